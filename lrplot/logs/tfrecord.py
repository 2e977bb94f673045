"""TFRecord framing in bulk: where every record of an event file lies, each length and data CRC-32C checked.

A record is ``length`` (u64 LE), the masked CRC-32C of those 8 bytes (u32), ``length`` bytes of
data and their masked CRC-32C. The framing is walked by predicting the next records from the last
lengths (event files repeat a few record lengths) and confirming a whole block of predictions at once
with numpy: a predicted offset is kept only when every length before it was read there, so the offsets
are exactly those of a record-by-record walk. Length CRCs are compared per distinct length; data CRCs
are computed by a C CRC-32C (``google-crc32c``; TensorBoard's pure-Python one when it is missing),
record by record, except where many records of one length differ in a few bytes only (a scalar's
wall time, step and value): CRC-32C is affine over GF(2), so for records of one length
``crc(r) = crc(r0) ^ L(r ^ r0)`` with ``L`` linear, and ``L`` of a difference is the XOR of one
table entry per differing byte, the tables built by the C CRC itself (8 calls per varying byte
position). Every record's own CRC is still computed and compared, exactly; tests/test_logs_tbfast.py
checks it against the record-by-record CRC, bit flips included.
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


def _at_every_byte(u8: np.ndarray, dtype: str) -> np.ndarray:
    """``u8`` seen as ``dtype`` starting at every byte offset (element i: the bytes i to i + size - 1; an
    unaligned, overlapping view, no copy), so that reading one at each of n offsets is one gather of n."""
    size = np.dtype(dtype).itemsize
    return np.ndarray((max(len(u8) - size + 1, 0),), dtype, buffer=u8, strides=(1,))


def _u64(u8: np.ndarray, offsets: np.ndarray) -> np.ndarray:
    return _at_every_byte(u8, "<u8")[offsets]


def _u32(u8: np.ndarray, offsets: np.ndarray) -> np.ndarray:
    return _at_every_byte(u8, "<u4")[offsets]


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


_LINEAR_MIN = 256     # records of one length for the linear CRC to pay off
_LINEAR_MAX_VARYING = 48  # byte positions that differ among them, at most


def _bit_tables(length: int, positions: np.ndarray, crc) -> np.ndarray:
    """``L(v at p)`` for every varying position p and byte value v: (len(positions), 256) uint32,
    from ``L(e) = crc(e) ^ crc(zeros)`` for the 8 single-bit bytes, combined by linearity."""
    zero = bytearray(length)
    base = crc(bytes(zero))
    bits = np.zeros((len(positions), 8), np.uint32)
    for i, p in enumerate(positions.tolist()):
        for b in range(8):
            zero[p] = 1 << b
            bits[i, b] = crc(bytes(zero)) ^ base
        zero[p] = 0
    values = np.arange(256, dtype=np.uint32)
    table = np.zeros((len(positions), 256), np.uint32)
    for b in range(8):
        table ^= np.where((values >> b) & 1, bits[:, b:b + 1], np.uint32(0)).astype(np.uint32)
    return table


def data_crcs(buf: bytes, u8: np.ndarray, starts: np.ndarray, lens: np.ndarray, crc) -> np.ndarray:
    """The CRC-32C of every record's data (uint64, in order): by the linear tables for the many
    records of one length that differ in few byte positions, else one C call per record."""
    out = np.zeros(len(starts), np.uint64)
    done = np.zeros(len(starts), bool)
    for length in distinct_lengths(lens) if len(lens) >= _LINEAR_MIN else ():
        idx = np.flatnonzero(lens == length)
        if len(idx) < _LINEAR_MIN or length == 0:
            continue
        first = int(starts[idx[0]])
        row0 = u8[first:first + int(length)]
        records = np.lib.stride_tricks.sliding_window_view(u8, int(length))  # row i: the bytes from i on
        varying = np.zeros(int(length), bool)
        for at in range(0, len(idx), 1 << 15):
            rows = records[starts[idx[at:at + (1 << 15)]]]
            varying |= (rows != row0).any(axis=0)
            if varying.sum() > _LINEAR_MAX_VARYING:
                break
        positions = np.flatnonzero(varying)
        if len(positions) > _LINEAR_MAX_VARYING:
            continue
        tables = _bit_tables(int(length), positions, crc)
        crc0 = np.uint32(crc(buf[first:first + int(length)]))
        for at in range(0, len(idx), 1 << 15):
            part = idx[at:at + (1 << 15)]
            acc = np.full(len(part), crc0, np.uint32)
            diff = u8[starts[part, None] + positions] ^ row0[positions]
            for i in range(len(positions)):
                acc ^= tables[i][diff[:, i]]
            out[part] = acc
        done[idx] = True
    rest = np.flatnonzero(~done)
    if len(rest):
        s, e = starts[rest].tolist(), (starts[rest] + lens[rest]).tolist()
        out[rest] = np.fromiter(map(crc, map(buf.__getitem__, map(slice, s, e))), dtype=np.uint64, count=len(rest))
    return out


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
    data_crc = data_crcs(buf, u8, starts, lens, crc)
    tails = _u32(u8, ends) if len(ends) else np.zeros(0, np.uint32)
    wrong = masked(data_crc) != tails
    bad_data = [(int(i), int(offs[i])) for i in np.flatnonzero(wrong)]
    keep = ~wrong
    return Frames(starts[keep], lens[keep], numbers[keep], bad_data, bad_length)
