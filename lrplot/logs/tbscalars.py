"""TensorBoard scalar events in bulk: (tag, step, value) of every record, as EventAccumulator keeps them.

Records of one length usually share one layout (a SummaryWriter scalar: wall_time, step, one
summary value with its tag and a float32 ``simple_value`` or scalar tensor). The layout of one
record is read here byte by byte; every record of that length whose bytes equal it everywhere but
in the wall time, the step and the value is read with numpy at once (its protobuf parse could not
differ). Every other record is parsed by the ``Event`` class TensorBoard ships, one by one.

What EventAccumulator does with the events is done here too (``purge_orphaned_data``, its default):
with ``file_version`` 2 (every writer since 2016), a ``SessionLog.START`` drops every value logged
before it at a step >= its step. Runs without it are left to EventAccumulator itself (the caller).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

_DTYPES = {1: ("<f4", 4), 2: ("<f8", 8)}  # DT_FLOAT, DT_DOUBLE


def _varint(data: bytes, i: int) -> tuple[int, int]:
    value = shift = 0
    while True:
        if i >= len(data) or shift > 63:
            raise ValueError
        b = data[i]
        value |= (b & 0x7F) << shift
        i, shift = i + 1, shift + 7
        if b < 0x80:
            return value, i


def _fields(data: bytes, start: int, end: int) -> list[tuple[int, int, int, int]]:
    """(field number, wire type, start of the value, end of the value) of one message's bytes."""
    out = []
    i = start
    while i < end:
        key, i = _varint(data, i)
        number, wire = key >> 3, key & 7
        if wire == 0:
            _, j = _varint(data, i)
        elif wire == 1:
            j = i + 8
        elif wire == 5:
            j = i + 4
        elif wire == 2:
            n, i = _varint(data, i)
            j = i + n
        else:
            raise ValueError
        if j > end:
            raise ValueError
        out.append((number, wire, i, j))
        i = j
    return out


@dataclass(frozen=True)
class Layout:
    """Where the step and the value of a record lie, the tag, and which bytes are the same in every
    record of this layout (all but the wall time, the step and the value)."""

    tag: str
    step: tuple[int, int]    # start, end of the step varint ((0, 0): no step, 0)
    value: tuple[int, int]   # start, end of the value's bytes
    dtype: str               # "<f4" | "<f8"
    tensor: bool             # a scalar tensor (else simple_value)
    fixed: np.ndarray = field(compare=False)  # bool per byte: the same in every record of the layout


def layout(data: bytes) -> Layout | None:
    """The layout of one Event record, when it is one scalar summary value in a plain form."""
    try:
        top = _fields(data, 0, len(data))
        numbers = [f[0] for f in top]
        if len(set(numbers)) != len(numbers) or not set(numbers) <= {1, 2, 5}:
            return None
        kinds = {f[0]: f for f in top}
        if 5 not in kinds or kinds[5][1] != 2 or kinds.get(1, (1, 1))[1] != 1 or kinds.get(2, (2, 0))[1] != 0:
            return None
        summary = _fields(data, kinds[5][2], kinds[5][3])
        if len(summary) != 1 or summary[0][:2] != (1, 2):
            return None
        value = _fields(data, summary[0][2], summary[0][3])
        vnum = [f[0] for f in value]
        if len(set(vnum)) != len(vnum) or not set(vnum) <= {1, 2, 8, 9} or 1 not in vnum:
            return None
        parts = {f[0]: f for f in value}
        tag_f = parts[1]
        if tag_f[1] != 2 or tag_f[3] == tag_f[2] or any(p[1] != 2 for n, p in parts.items() if n in (8, 9)):
            return None
        tag = data[tag_f[2]:tag_f[3]].decode("utf-8")
        if (2 in parts) == (8 in parts):
            return None
        if 2 in parts:
            if parts[2][1] != 5:
                return None
            where, dtype, tensor = (parts[2][2], parts[2][3]), "<f4", False
        else:
            tensor_f = _fields(data, parts[8][2], parts[8][3])
            found = {f[0]: f for f in tensor_f}
            if len(found) != len(tensor_f) or set(found) - {1, 2} not in ({4}, {5}, {6}):
                return None
            dt = found.get(1)
            if dt is None or dt[1] != 0 or _varint(data, dt[2])[0] not in _DTYPES or 2 not in found:
                return None
            dtype, size = _DTYPES[_varint(data, dt[2])[0]]
            if found[2][3] != found[2][2]:  # a shape with dimensions: not a scalar
                return None
            (number, wire, s, e), = [found[n] for n in (4, 5, 6) if n in found]
            if wire != 2 or e - s != size or (number == 5 and size != 4) or (number == 6 and size != 8):
                return None
            where, tensor = (s, e), True
    except (ValueError, UnicodeDecodeError, IndexError):
        return None
    fixed = np.ones(len(data), dtype=bool)
    if 1 in kinds:
        fixed[kinds[1][2]:kinds[1][3]] = False
    step = (kinds[2][2], kinds[2][3]) if 2 in kinds else (0, 0)
    fixed[step[0]:step[1]] = False
    fixed[where[0]:where[1]] = False
    return Layout(tag, step, where, dtype, tensor, fixed)


@dataclass
class Items:
    """Scalar values read in bulk or one by one: each with the index of its record in the run."""

    order: list[np.ndarray] = field(default_factory=list)   # record index in the run
    tags: list[np.ndarray] = field(default_factory=list)    # index into names
    steps: list[np.ndarray] = field(default_factory=list)
    values: list[np.ndarray] = field(default_factory=list)  # float64
    names: dict[tuple[str, bool], int] = field(default_factory=dict)  # (tag, is a tensor) -> index
    wide: set[int] = field(default_factory=set)  # tags with a float64 value

    def add(self, tag: str, tensor: bool, order, steps, values, wide: bool) -> None:
        i = self.names.setdefault((tag, tensor), len(self.names))
        if wide:
            self.wide.add(i)
        n = len(steps)
        self.order.append(np.asarray(order, np.int64))
        self.tags.append(np.full(n, i, np.int64))
        self.steps.append(np.asarray(steps, np.int64))
        self.values.append(np.asarray(values, np.float64))


def bulk(buf: bytes, starts: np.ndarray, lengths: np.ndarray, order: np.ndarray, items: Items) -> np.ndarray:
    """Read the records of the common layouts into ``items``; returns the positions (in ``starts``)
    of the records left to parse one by one."""
    from .tfrecord import distinct_lengths

    u8 = np.frombuffer(buf, np.uint8)
    rest = []
    for length in distinct_lengths(lengths):
        idx = np.flatnonzero(lengths == length)
        for _ in range(4):  # a few layouts of one length (a short tag with a long step, ...)
            if len(idx) < 16:
                break
            first = int(starts[idx[0]])
            lay = layout(buf[first:first + int(length)])
            if lay is None:
                break
            same, steps, values = _match(u8, starts[idx], int(length), lay)
            if not same.any():
                break
            items.add(lay.tag, lay.tensor, order[idx[same]], steps, values, lay.dtype == "<f8")
            idx = idx[~same]
        rest.append(idx)
    return np.sort(np.concatenate(rest)) if rest else np.zeros(0, np.int64)


def _match(u8: np.ndarray, starts: np.ndarray, length: int, lay: Layout) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Which records (their data at ``starts``) have ``lay``'s layout; their steps and values."""
    same, steps, values = [], [], []
    s0, s1 = lay.step
    columns = np.arange(length)
    expected = u8[starts[0] + np.flatnonzero(lay.fixed)]  # the first record's fixed bytes
    for at in range(0, len(starts), 1 << 16):  # in slices: a few MB of indices at a time
        rows = u8[starts[at:at + (1 << 16), None] + columns]
        ok = (rows[:, lay.fixed] == expected).all(axis=1)
        if s1 - s0 > 8:
            ok[:] = False
        elif s1 > s0:
            cont = rows[:, s0:s1] >= 0x80
            ok &= cont[:, :-1].all(axis=1) & ~cont[:, -1]
        hit = rows[ok]
        step = np.zeros(len(hit), np.int64)
        for k in range(s1 - s0):
            step |= (hit[:, s0 + k].astype(np.int64) & 0x7F) << (7 * k)
        same.append(ok)
        steps.append(step)
        values.append(hit[:, lay.value[0]:lay.value[1]].copy().view(lay.dtype).ravel().astype(np.float64))
    return np.concatenate(same), np.concatenate(steps), np.concatenate(values)
