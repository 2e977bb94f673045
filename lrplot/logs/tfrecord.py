"""TFRecord framing in bulk: where every record of an event file lies, each length and data CRC-32C checked.

A record is ``length`` (u64 LE), the masked CRC-32C of those 8 bytes (u32), ``length`` bytes of
data and their masked CRC-32C. The framing is walked by predicting the next records from the last
lengths (event files repeat a few record lengths) and confirming a whole block of predictions at once
with numpy: a predicted offset is kept only when every length before it was read there, so the offsets
are exactly those of a record-by-record walk. Length CRCs are compared per distinct length; data CRCs
are computed by a C CRC-32C (``google-crc32c``; TensorBoard's pure-Python one when it is missing).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

_KEY = 0xA282EAD8
_BLOCK = 1 << 16  # predictions confirmed at once, at most


def _crc():
    try:
        import google_crc32c
    except ImportError:  # correct, only slower (the extra installs the C one)
        from tensorboard.compat.tensorflow_stub.pywrap_tensorflow import crc32c as slow

        return slow
    return google_crc32c.value


def masked(crc: np.ndarray) -> np.ndarray:
    crc = crc.astype(np.uint32)
    return (((crc >> np.uint32(15)) | (crc << np.uint32(17))) + np.uint32(_KEY)).astype(np.uint32)


@dataclass
class Frames:
    """The sound records of one file: data offsets and lengths (in file order), the index of each
    record in the file, and what ended the file early (None: its end, or a last record cut short)."""

    starts: np.ndarray       # int64 offset of each record's data
    lengths: np.ndarray      # int64
    numbers: np.ndarray      # int64 the record's index in the file (records skipped as corrupt leave gaps)
    bad_data: list[tuple[int, int]]  # (record index, byte offset of the record) whose data fails its CRC
    bad_length: tuple[int, int] | None  # (record index, byte offset) whose length fails its CRC: the rest is lost


def _u64(u8: np.ndarray, offsets: np.ndarray) -> np.ndarray:
    return u8[offsets[:, None] + np.arange(8)].copy().view("<u8").ravel()


def _u32(u8: np.ndarray, offsets: np.ndarray) -> np.ndarray:
    return u8[offsets[:, None] + np.arange(4)].copy().view("<u4").ravel()


def _walk(buf: bytes, u8: np.ndarray) -> tuple[np.ndarray, np.ndarray, tuple[int, int] | None]:
    """The offsets and lengths of the records whose header lies in the file (in order; the last
    may be cut short), and the last header whose length reaches past the end (offset, length)."""
    size = len(buf)
    offsets: list[np.ndarray] = []
    lengths: list[np.ndarray] = []
    recent: list[int] = []
    off, block = 0, 64
    while off + 12 <= size:
        pattern = None
        for period in range(1, 9):
            if len(recent) >= 2 * period and recent[-period:] == recent[-2 * period:-period]:
                pattern = recent[-period:]
                break
        if pattern is not None:
            lens = np.tile(np.array(pattern, dtype=np.int64), block // len(pattern) + 1)[:block]
            offs = off + np.concatenate(([0], np.cumsum(lens[:-1] + 16)))
            inside = offs + 12 <= size
            offs, lens = offs[inside], lens[inside]
            if len(offs):
                found = _u64(u8, offs).astype(np.int64)
                wrong = np.flatnonzero(found != lens)
                good = int(wrong[0]) if len(wrong) else len(offs)
                if good:
                    offsets.append(offs[:good])
                    lengths.append(lens[:good])
                    off = int(offs[good - 1] + 16 + lens[good - 1])
                    block = min(block * 2, _BLOCK) if good == len(offs) else 64
                    if good == len(offs):
                        continue
        if off + 12 > size:
            break
        length = int.from_bytes(buf[off:off + 8], "little")
        if length > size - off - 16:
            return _joined(offsets), _joined(lengths), (off, length)
        offsets.append(np.array([off], dtype=np.int64))
        lengths.append(np.array([length], dtype=np.int64))
        recent = (recent + [length])[-16:]
        off += 16 + length
    return _joined(offsets), _joined(lengths), None


def _joined(parts: list[np.ndarray]) -> np.ndarray:
    return np.concatenate(parts) if parts else np.zeros(0, np.int64)


def distinct_lengths(lens: np.ndarray) -> np.ndarray:
    """The distinct values of ``lens`` in ascending order (counted, not sorted, when all are small)."""
    if len(lens) and int(lens.max()) < 1 << 20:
        return np.flatnonzero(np.bincount(lens))
    return np.unique(lens)


def frames(buf: bytes, check: bool = True) -> Frames:
    """Every record of ``buf`` (one event file's bytes), CRC-checked (``check=False``: the data's
    CRCs not computed, to measure what they cost)."""
    u8 = np.frombuffer(buf, np.uint8)
    offs, lens, last = _walk(buf, u8)
    crc = _crc()
    # the length of every record, checked first: a length that fails ends the file there
    heads = _u32(u8, offs + 8) if len(offs) else np.zeros(0, np.uint32)
    distinct = distinct_lengths(lens)
    expected = masked(np.array([crc(int(n).to_bytes(8, "little")) for n in distinct], dtype=np.uint64))
    if len(lens) and distinct[-1] < 1 << 20:  # a table by length (no sort)
        table = np.zeros(int(distinct[-1]) + 1, np.uint32)
        table[distinct] = expected
        bad = np.flatnonzero(table[lens] != heads)
    else:
        bad = np.flatnonzero(expected[np.searchsorted(distinct, lens)] != heads)
    bad_length = None
    if len(bad):
        first = int(bad[0])
        bad_length = (first, int(offs[first]))
        offs, lens = offs[:first], lens[:first]
    elif last is not None:  # a length reaching past the end: a record cut short, unless the length is corrupt
        at, length = last
        if int(masked(np.array([crc(buf[at:at + 8])]))[0]) != int.from_bytes(buf[at + 8:at + 12], "little"):
            bad_length = (len(offs), at)
    whole = offs + 16 + lens <= len(buf)  # the last record may be cut short: not a record
    offs, lens = offs[whole], lens[whole]
    numbers = np.arange(len(offs), dtype=np.int64)
    starts = offs + 12
    ends = starts + lens
    if not check:
        return Frames(starts, lens, numbers, [], bad_length)
    data_crc = np.fromiter(map(crc, map(buf.__getitem__, map(slice, starts.tolist(), ends.tolist()))),
                           dtype=np.uint64, count=len(starts))
    tails = _u32(u8, ends) if len(ends) else np.zeros(0, np.uint32)
    wrong = masked(data_crc) != tails
    bad_data = [(int(i), int(offs[i])) for i in np.flatnonzero(wrong)]
    keep = ~wrong
    return Frames(starts[keep], lens[keep], numbers[keep], bad_data, bad_length)
