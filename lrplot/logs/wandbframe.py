"""The chunks of a large ``.wandb`` file framed in bulk, every chunk's CRC-32 checked.

A chunk never spans a 32 KiB block (a record that does not fit is split into FIRST/MIDDLE/LAST
chunks, the next piece starting the next block), so the chunks of every block are walked side by
side, one chunk of each block per numpy step, each header read as one 8-byte word. The chunk types
are checked in order as :func:`records` checks them, and every chunk's CRC-32 over its
type byte and data is computed (one C call per chunk) and compared. Anything that reader would
refuse (a chunk past its block, types out of order, a failed CRC) is left to it, so that its
located line is what the user sees; where it stops quietly (zeros, a last record cut short) this
stops at the same byte.
"""

from __future__ import annotations

import struct
import zlib
from pathlib import Path
from typing import Callable

import numpy as np

from ..errors import Location
from . import LogError

HEADER = b":W&B" + struct.pack("<HB", 0xBEE1, 0)  # the transaction log's 7 bytes: ':W&B', 0xBEE1, version 0
BLOCK = 32768
FULL, FIRST, MIDDLE, LAST = 1, 2, 3, 4

def words(buf) -> np.ndarray:
    """Every 8 bytes of ``buf`` (bytes or a uint8 array) from each byte offset, as little-endian
    u64 (a view, no copy)."""
    return np.ndarray((len(buf) - 7,), dtype="<u8", buffer=buf, offset=0, strides=(1,))




Records = list[tuple[int, bytes]]


def frame(buf: bytes) -> tuple[np.ndarray, np.ndarray, Records] | None:
    """The records of a ``.wandb`` file as the chunk-by-chunk reader finds them: (offsets and lengths
    of the data of every FULL chunk, the records assembled from FIRST..LAST pieces with the byte
    offset of their first chunk); every chunk's CRC checked. None where that reader would refuse the
    file (it then names the byte)."""
    size = len(buf)
    word = words(buf)
    blocks = (size + BLOCK - 1) // BLOCK
    pos = np.arange(blocks, dtype=np.int64) * BLOCK
    pos[0] = 7
    live = np.arange(blocks, dtype=np.int64)
    count = np.zeros(blocks, np.int64)  # chunks found in each block so far
    found: list[tuple[np.ndarray, np.ndarray]] = []
    stops = [size]   # where the chunk-by-chunk reader stops quietly
    bad = [size + 1]  # where it would raise
    while live.size:
        at = pos[live]
        end = (live + 1) * BLOCK
        room = end - at >= 7
        if not room.all():
            live, at, end = live[room], at[room], end[room]
        short = at + 7 > size
        if short.any():
            stops.append(int(at[short].min()))
            live, at, end = live[~short], at[~short], end[~short]
        if not live.size:
            break
        head = word[np.minimum(at, size - 8)]  # crc (u32) length (u16) type (u8): one gather
        if at[-1] > size - 8:
            head = np.where(at > size - 8, head >> np.uint64(8), head)
        head = head.view(np.int64)
        length = (head >> 32) & 0xFFFF
        zero = (head & 0xFFFFFFFFFFFFFF) == 0
        over = length > end - at - 7
        cut = at + 7 + length > size
        if zero.any() or cut.any():
            stops.append(int(at[zero | (cut & ~over)].min(initial=size)))
        if over.any():
            bad.append(int(at[over].min()))
        ok = ~(zero | over | cut)
        if not ok.all():
            live, at, length = live[ok], at[ok], length[ok]
        found.append((live, at))
        count[live] += 1
        pos[live] = at + 7 + length
    stop = min(stops)
    if min(bad) < stop:
        return None
    if not found:
        return np.zeros(0, np.int64), np.zeros(0, np.int64), []
    # the j-th chunk of a block goes to (the chunks of the blocks before it) + j: file order, no sort
    base = np.cumsum(count) - count
    at = np.empty(int(count.sum()), np.int64)
    for j, (live, where) in enumerate(found):
        at[base[live] + j] = where
    at = at[:np.searchsorted(at, stop)]
    head = word[np.minimum(at, size - 8)].view(np.int64)
    if at.size and at[-1] > size - 8:
        head = np.where(at > size - 8, head >> 8, head)
    crc, length, kind = head & 0xFFFFFFFF, (head >> 32) & 0xFFFF, (head >> 48) & 0xFF
    # the chunk types in order: FULL or FIRST outside a record, MIDDLE or LAST inside one
    opens, closes = kind == FIRST, kind == LAST
    inside = np.r_[0, np.cumsum(opens.astype(np.int64) - closes)[:-1]]
    if np.any((inside != 0) & (inside != 1)) or np.any((inside == 1) != ((kind == MIDDLE) | closes)) \
            or np.any((inside == 0) != ((kind == FULL) | opens)):
        return None
    if not _crcs_hold(buf, at, length, kind, crc):
        return None
    full = kind == FULL
    pieces: Records = []
    firsts = np.flatnonzero(opens)
    lasts = np.flatnonzero(closes)
    for first, last in zip(firsts.tolist(), lasts.tolist()):  # a FIRST with no LAST (cut short) is dropped
        chunks = zip(at[first:last + 1].tolist(), length[first:last + 1].tolist())
        pieces.append((int(at[first]), b"".join(buf[a + 7:a + 7 + n] for a, n in chunks)))
    return at[full] + 7, length[full], pieces


def _crc32() -> Callable[[bytes, int], int]:
    """CRC-32 (the same function as zlib's): zlib-ng's or ISA-L's SIMD one where installed."""
    for module, name in (("zlib_ng.zlib_ng", "crc32"), ("isal.isal_zlib", "crc32")):
        try:
            import importlib

            return getattr(importlib.import_module(module), name)
        except ImportError:
            continue
    return zlib.crc32


def _crcs_hold(buf: bytes, at: np.ndarray, length: np.ndarray, kind: np.ndarray, crc: np.ndarray) -> bool:
    """Every chunk's CRC-32 over its type byte and data (adjacent in the file: one span each),
    computed and compared."""
    crc32 = _crc32()
    view = memoryview(buf)
    spans = map(slice, (at + 6).tolist(), (at + 7 + length).tolist())
    got = np.fromiter(map(crc32, map(view.__getitem__, spans)), dtype=np.int64, count=len(at))
    return bool(np.array_equal(got, crc))


def records(buf: bytes, path: Path, damaged: list[str] | None = None) -> list[tuple[int, bytes]]:
    """Every whole record of a ``.wandb`` file: (byte offset of its first chunk, its data), each
    chunk's CRC checked. A last record cut short ends the list. A corrupt chunk is an error at its
    byte; given ``damaged`` (--log-skip-corrupt) it is named there and the rest of its 32 KiB block
    skipped, with any record it was part of, as LevelDB's log reader (and wandb-core's) skips it."""
    def bad(off: int, problem: str, hint: str | None = None, upto: int | None = None) -> int:
        if damaged is None:
            raise LogError(f"chunk at byte {off}: {problem} (the file is corrupt)", location=where, hint=(
                f"{hint}; " if hint else "") + "pass --log-skip-corrupt to skip it (every verdict then names it)")
        nxt = upto or (off // BLOCK + 1) * BLOCK
        damaged.append(f"{path}: chunk at byte {off}: {problem} (the file is corrupt); bytes {off}-{min(nxt, size) - 1} "
                       "skipped")
        pieces.clear()
        return nxt

    where = Location(str(path))
    if buf[:len(HEADER)] != HEADER:
        raise LogError("not a W&B run file (it does not start with the ':W&B' header of wandb's transaction log)",
                       location=where, hint="name a run-<id>.wandb file or its run folder")
    out: list[tuple[int, bytes]] = []
    size = len(buf)
    off = len(HEADER)
    pieces: list[bytes] = []
    start = -1
    unpack = struct.Struct("<IHB").unpack_from
    crc32 = zlib.crc32
    type_crc = [crc32(bytes([t])) for t in range(256)]
    while True:
        left = BLOCK - off % BLOCK
        if left < 7:  # a block's tail too short for a chunk header: padding
            off += left
            continue
        if off + 7 > size:
            break  # the end (or a header cut short: a run still writing)
        crc, length, kind = unpack(buf, off)
        if kind == 0 and length == 0 and crc == 0:  # zeros: preallocated space, the end of what was written
            break
        end = off + 7 + length
        if length > left - 7:
            off = bad(off, f"its length {length} runs past its 32 KiB block")
            continue
        if end > size:
            break  # its data cut short: a run still writing, or killed
        if crc32(buf[off + 7:end], type_crc[kind]) != crc:
            off = bad(off, "its data fails its CRC check", "the records before it can be seen with `wandb leet inspect`")
            continue
        if kind in (FULL, FIRST) and pieces and damaged is not None:  # a record left without its last piece
            bad(start, "a record without its last chunk", upto=off)
        if kind == FULL and not pieces:
            out.append((off, buf[off + 7:end]))
        elif kind == FIRST and not pieces:
            start, pieces = off, [buf[off + 7:end]]
        elif kind in (MIDDLE, LAST) and pieces:
            pieces.append(buf[off + 7:end])
            if kind == LAST:
                out.append((start, b"".join(pieces)))
                pieces = []
        else:
            off = bad(off, f"chunk type {kind} out of order", upto=end)
            continue
        off = end
    return out
