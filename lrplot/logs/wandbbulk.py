"""Reading a large ``.wandb`` file in bulk: its chunks framed and its history items decoded by numpy.

:mod:`.wandbrun` reads a run file chunk by chunk and parses each history record with wandb's own
``Record`` class: ≈ 8 µs per logged point, 8 s for a million. Here the same file is read with the
same result in a few passes of numpy over all records at once:

- **Framing** (:mod:`.wandbframe`): every chunk's CRC-32 checked, as :func:`.wandbframe.records` does.
- **Records.** A whole (FULL) record that is a history record laid out the way wandb-core writes it
  (``num``; ``history`` last; items of one ``nested_key`` or ``key`` and a ``value_json``; the step)
  is decoded item by item, every record's n-th item at once; every other record (split over blocks,
  another layout, a typed value) is parsed by wandb's ``Record`` class, as :mod:`.wandbrun` does.
  Keys are told apart by their length and bytes (compared whole); a value that is plainly a JSON
  number (its grammar checked as a table) is summed digit by digit if it is an integer of up to 15
  digits, else converted by numpy's text-to-float cast (correctly rounded: what ``json.loads`` gives);
  any other value (``NaN``, a string, an object) goes through ``json``.

One difference, on files no wandb writes: the bulk decoder does not check that the value texts of the
keys it does not read are UTF-8 (the Record class refuses such a record; wandb-core writes UTF-8, and
every chunk's CRC vouches that the bytes are as written).

tests/test_logs_wandb_bulk.py checks that both readers give the same columns (values ``==``), keys and
errors on a multi-block file written by the real wandb, whole and damaged.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Callable

import numpy as np

from ..errors import Location
from . import LogError
from .wandbframe import frame, words as _words

MIN_BYTES = 1 << 20   # smaller files: the chunk-by-chunk reader is as fast
MAX_ITEMS = 256       # items per record decoded side by side; a record with more is parsed by the Record class
MAX_KEY = 40          # longer keys: the record is parsed by the Record class
MAX_VALUE = 32        # longer value_json texts of lr-like keys: likewise
# JSON's number grammar (RFC 8259 6: -? (0 | [1-9][0-9]*) (. [0-9]+)? ([eE] [+-]? [0-9]+)?) as a table of
# states by byte class: 0 other, 1 '0', 2 '1'-'9', 3 '-', 4 '+', 5 '.', 6 'e' 'E', 7 a zero byte (the text's end)
_CLASS = np.zeros(256, np.uint8)
_CLASS[list(b"0")], _CLASS[list(b"123456789")], _CLASS[list(b"-")], _CLASS[list(b"+")] = 1, 2, 3, 4
_CLASS[list(b".")], _CLASS[list(b"eE")], _CLASS[0] = 5, 6, 7
_INTEGER, _FRACTION, _REJECT = 9, 10, 11
_GRAMMAR = np.full((12, 8), _REJECT, np.uint8)
for _state, _moves in {0: {1: 2, 2: 3, 3: 1}, 1: {1: 2, 2: 3},   # start, after '-'
                       2: {5: 4, 6: 6, 7: _INTEGER}, 3: {1: 3, 2: 3, 5: 4, 6: 6, 7: _INTEGER},  # '0', 1-9 digits
                       4: {1: 5, 2: 5}, 5: {1: 5, 2: 5, 6: 6, 7: _FRACTION},  # after '.', its digits
                       6: {1: 8, 2: 8, 3: 7, 4: 7}, 7: {1: 8, 2: 8}, 8: {1: 8, 2: 8, 7: _FRACTION},  # exponent
                       _INTEGER: {7: _INTEGER}, _FRACTION: {7: _FRACTION}}.items():
    for _cls, _to in _moves.items():
        _GRAMMAR[_state, _cls] = _to

_HIGH = np.uint64(0x8080808080808080)


def _varint_end(arr: np.ndarray, at: np.ndarray, limit: np.ndarray, most: int) -> np.ndarray:
    """The index after a varint starting at ``at`` (its bytes below ``limit``); -1 where it is not
    closed within ``most`` bytes or runs past ``limit``. Varints of at most 8 bytes are found from
    one 8-byte word each (the lowest byte without its high bit), longer ones byte by byte."""
    out = np.full(at.shape, -1, np.int64)
    if not at.size:
        return out
    size = arr.size
    inside = at <= size - 8
    w = _words(arr)[np.minimum(at, size - 8)]
    term = ~w & _HIGH
    low = term & (~term + np.uint64(1))
    nbytes = np.where(term == 0, 0, (np.log2(np.maximum(low, np.uint64(1)).astype(np.float64)).astype(np.int64) - 7) // 8 + 1)
    done = inside & (term != 0)
    out[done] = at[done] + nbytes[done]
    live = np.flatnonzero(~done)
    pos = at.copy()
    for _ in range(most):
        if not live.size:
            break
        byte = arr[np.minimum(pos[live], size - 1)]
        fin = byte < 0x80
        out[live[fin]] = pos[live[fin]] + 1
        live = live[~fin]
        pos[live] += 1
    out[(out > limit) | (out - at > most)] = -1
    return out


def _items(arr: np.ndarray, start: np.ndarray, end: np.ndarray):
    """The history records among whole records [start, end), decoded side by side.

    Returns (is_history, slow, items): a record is history or not by the rule of :mod:`.wandbrun`;
    ``slow`` marks the history records not laid out as expected (parsed by the Record class);
    ``items`` are (record index, slot, key start, key length, value start, value length) arrays."""
    size = arr.size
    n = start.size
    i = start.copy()
    numbered = (start < end) & (arr[np.minimum(start, size - 1)] == 0x08)
    slow = np.zeros(n, bool)
    nums = np.flatnonzero(numbered)
    after = _varint_end(arr, start[nums] + 1, end[nums], 10)
    # wandbrun skips an unclosed varint to the record's end (no history then); past 10 bytes: the Record class
    slow[nums[after < 0]] = True
    i[nums] = np.where(after < 0, end[nums], after)
    hist = (i < end) & (arr[np.minimum(i, size - 1)] == 0x12)
    idx = np.flatnonzero(hist & ~slow)
    body = _varint_end(arr, i[idx] + 1, end[idx], 3)
    ok = body >= 0
    length = np.zeros(idx.size, np.int64)
    if ok.any():
        length[ok] = _varint_value(arr, i[idx][ok] + 1, body[ok])
    ok &= body + length == end[idx]  # history is the record's last field
    slow[idx[~ok]] = True
    idx, q = idx[ok], body[ok]
    parts: list[tuple[np.ndarray, ...]] = []
    for slot in range(MAX_ITEMS + 1):
        live = q < end[idx]
        idx, q = idx[live], q[live]
        if not idx.size:
            break
        if slot == MAX_ITEMS:
            slow[idx] = True
            break
        e = end[idx]
        tag = arr[q]
        step = tag == 0x12
        if step.any():  # HistoryStep, the last field: empty, or num (a varint) filling it
            s_idx, s_q, s_e = idx[step], q[step], e[step]
            s_len = arr[np.minimum(s_q + 1, size - 1)].astype(np.int64)
            fine = (s_len < 0x80) & (s_q + 2 + s_len == s_e)
            has = fine & (s_len > 0)
            if has.any():
                num_end = _varint_end(arr, s_q[has] + 3, s_e[has], 10)
                good = (arr[np.minimum(s_q[has] + 2, size - 1)] == 0x08) & (num_end == s_e[has])
                fine[np.flatnonzero(has)[~good]] = False
            slow[s_idx[~fine]] = True
        item = tag == 0x0A
        slow[idx[~(step | item)]] = True
        idx, q, e = idx[item], q[item], e[item]
        c = _varint_end(arr, q + 1, e, 2)
        fine = c >= 0
        ilen = np.zeros(idx.size, np.int64)
        ilen[fine] = _varint_value(arr, q[fine] + 1, c[fine])
        ie = c + ilen
        fine &= ie <= e
        cc = np.minimum(c, size - 3)
        kf = arr[cc]
        klen = arr[cc + 1].astype(np.int64)
        ks = c + 2
        ke = ks + klen
        kc = np.minimum(ke, size - 3)
        vlen = arr[kc + 2].astype(np.int64)
        fine &= ((kf == 0x12) | (kf == 0x0A)) & (klen > 0) & (klen <= MAX_KEY) & (ke + 3 <= e)
        fine &= (arr[kc] == 0x82) & (arr[kc + 1] == 0x01) & (vlen > 0) & (vlen < 0x80) & (ke + 3 + vlen == ie)
        fine &= ks + 8 <= size - 8  # the key's 8-byte windows inside the buffer
        slow[idx[~fine]] = True
        parts.append((idx[fine], np.full(int(fine.sum()), slot), ks[fine], klen[fine], ke[fine] + 3, vlen[fine]))
        idx, q = idx[fine], ie[fine]
    items = tuple(np.concatenate(p) if p else np.zeros(0, np.int64) for p in zip(*parts)) if parts else \
        tuple(np.zeros(0, np.int64) for _ in range(6))
    keep = ~slow[items[0]]  # a record one of whose items is odd is parsed whole by the Record class
    return hist, slow & hist, items if keep.all() else tuple(a[keep] for a in items)


def _varint_value(arr: np.ndarray, at: np.ndarray, after: np.ndarray) -> np.ndarray:
    """The value of short varints (at most 3 bytes) from ``at`` to ``after``."""
    value = np.zeros(at.size, np.int64)
    for k in range(3):
        inside = at + k < after
        value[inside] |= (arr[at[inside] + k].astype(np.int64) & 0x7F) << (7 * k)
    return value


def _masked(words: np.ndarray, at: np.ndarray, count: np.ndarray) -> np.ndarray:
    """The u64 of the 8 bytes at ``at``, only the first ``count`` (0..8) of them kept."""
    w = words[at]
    bits = (np.minimum(count, 8) * 8).astype(np.uint64)
    mask = np.where(bits >= 64, np.uint64(0xFFFFFFFFFFFFFFFF),
                    (np.uint64(1) << np.minimum(bits, np.uint64(63))) - np.uint64(1))
    return w & mask


def _key_ids(buf: bytes, words: np.ndarray, ks: np.ndarray, klen: np.ndarray) -> tuple[np.ndarray, list[str]] | None:
    """An id per item by its key's bytes (compared whole: its length and 8-byte windows covering it),
    and the names; None where a key is no UTF-8 (the Record class refuses the record then)."""
    cols = [klen.astype(np.uint64), _masked(words, ks, klen)]
    for k in (8, 16, 24, 32):
        longer = klen > k
        if not longer.any():
            break
        col = np.zeros(ks.size, np.uint64)
        col[longer] = _masked(words, ks[longer] + k, klen[longer] - k)
        cols.append(col)
    ids = np.full(ks.size, -1, np.int64)
    names: list[str] = []
    left = np.arange(ks.size)
    while left.size:
        first = left[0]
        same = np.ones(left.size, bool)
        for col in cols:
            same &= col[left] == col[first]
        ids[left[same]] = len(names)
        at = int(ks[first])
        try:
            names.append(buf[at:at + int(klen[first])].decode("utf-8"))
        except UnicodeDecodeError:
            return None
        left = left[~same]
        if len(names) > 4096:
            return None  # so many keys: the record-by-record reader
    return ids, names


def _values(buf: bytes, arr: np.ndarray, words: np.ndarray, vs: np.ndarray, vlen: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The value_json texts at ``vs`` as float64 where each is plainly a JSON number (its grammar
    walked as a table, one byte of every text per step), and a mask of those that are not (read by
    json). Integers of up to 15 digits are summed digit by digit (exact, as json's int -> float);
    the rest by numpy's text-to-float cast (correctly rounded, as json's float)."""
    width = int(min(MAX_VALUE, max(8, -(-int(vlen.max(initial=1)) // 8) * 8)))
    inside = (vlen <= MAX_VALUE) & (vs + width <= len(buf) - 8)
    idx = np.flatnonzero(inside)
    table = np.zeros((idx.size, width // 8), np.uint64)
    for k in range(width // 8):
        table[:, k] = _masked(words, vs[idx] + 8 * k, np.clip(vlen[idx] - 8 * k, 0, 8))
    text = table.view(np.uint8).reshape(idx.size, width)
    n = vlen[idx]
    state = np.zeros(idx.size, np.uint8)
    for k in range(width):  # JSON's number grammar, one byte of every text at a time (zeros after it)
        state = _GRAMMAR[state, _CLASS[text[:, k]]]
    state = _GRAMMAR[state, 7]
    state[np.count_nonzero(text, axis=1) != n] = _REJECT  # a zero byte inside the text itself
    values = np.zeros(vs.size, np.float64)
    odd = np.ones(vs.size, bool)
    whole = state == _INTEGER
    if whole.any():  # integers of up to 15 digits: exact in int64 and as float64, as json's int -> float
        rows, digits = text[whole], n[whole]
        minus = rows[:, 0] == 0x2D
        digits = digits - minus
        fits = digits <= 15
        number = np.zeros(rows.shape[0], np.int64)
        for k in range(min(16, width)):
            d = rows[:, k].astype(np.int64) - 0x30
            more = (k < n[whole]) & (d >= 0)
            number = np.where(more, number * 10 + d, number)
        rows_at = idx[whole][fits]
        values[rows_at] = np.where(minus, -number, number)[fits]
        odd[rows_at] = False
        state[np.flatnonzero(whole)[~fits]] = _FRACTION  # longer: by the float cast below
    plain = state == _FRACTION
    good = idx[plain]
    if good.size:
        try:
            values[good] = text[plain].view(f"S{width}").ravel().astype(np.float64)
            odd[good] = False
        except ValueError:
            pass  # every one read by json then
    return values, odd


def numbers(name: str, texts: list[str], where: list[int], path: Path) -> tuple[np.ndarray, np.ndarray]:
    """Which of one key's ``value_json`` texts are numbers, and their values: parsed by ``json`` in
    one call (each text alone where that fails, to name the record); media, text and booleans are
    no learning rate."""
    try:
        parsed = json.loads("[" + ",".join(texts) + "]")
        if len(parsed) != len(texts):
            raise ValueError
    except (ValueError, RecursionError):
        parsed = []
        for text, at in zip(texts, where):
            try:
                parsed.append(json.loads(text))
            except (ValueError, RecursionError):
                raise LogError(f"record at byte {at}: {name} {text[:40]!r} is not JSON",
                               location=Location(str(path))) from None
    keep = np.zeros(len(texts), bool)
    values = np.zeros(len(texts), np.float64)
    for i, (value, at) in enumerate(zip(parsed, where)):
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            continue  # an image, a table, a histogram: not a learning rate
        try:
            values[i] = float(value)
        except OverflowError:
            raise LogError(f"record at byte {at}: {name} {str(value)[:20]}... is beyond any float",
                           location=Location(str(path))) from None
        keep[i] = True
    return keep, values


Slow = Callable[[bytes, int], "list[tuple[str, str]] | None"]


def history(buf: bytes, path: Path, wanted: Callable[[str], bool], slow_items: Slow):
    """{key: (history record numbers, values)} of the wanted keys of a ``.wandb`` file and every key
    it logged (in the order first logged), as :func:`.wandbrun._history` reads them; None where the
    chunk-by-chunk reader must read the file (it refuses it, or it is small)."""
    if len(buf) < MIN_BYTES:
        return None
    framed = frame(buf)
    if framed is None:
        return None
    starts, lengths, pieces = framed
    arr = np.frombuffer(buf, np.uint8)
    words = _words(buf)
    hist, slow, (rec, slot, ks, klen, vs, vlen) = _items(arr, starts, starts + lengths)
    got = _key_ids(buf, words, ks, klen)
    if got is None:
        return None
    ids, names = got
    others = [(int(a) - 7, buf[int(a):int(a) + int(n)]) for a, n in zip(starts[slow], lengths[slow])] + pieces
    parsed = [(at, slow_items(data, at)) for at, data in others]
    parsed = [(at, items) for at, items in parsed if items is not None]
    offsets = np.sort(np.concatenate([starts[hist & ~slow] - 7, np.array([at for at, _ in parsed], np.int64)]))
    rows = np.searchsorted(offsets, starts[rec] - 7)
    order = rows * (MAX_ITEMS + 1) + slot
    first: dict[str, int] = {}
    firsts = np.full(len(names), np.iinfo(np.int64).max, np.int64)
    np.minimum.at(firsts, ids, order)
    for j, name in enumerate(names):
        if firsts[j] < np.iinfo(np.int64).max:
            first[name] = min(first.get(name, firsts[j]), int(firsts[j]))
    slow_by_name: dict[str, tuple[list[int], list[str], list[int]]] = {}
    for at, items in parsed:
        row = int(np.searchsorted(offsets, at))
        for k, (name, text) in enumerate(items):
            key = row * (MAX_ITEMS + 1) + k
            first[name] = min(first.get(name, key), key)
            if wanted(name):
                part = slow_by_name.setdefault(name, ([], [], []))
                part[0].append(key)
                part[1].append(text)
                part[2].append(at)
    found = sorted(first, key=first.__getitem__)
    columns: dict[str, tuple[np.ndarray, np.ndarray]] = {}
    for name in found:
        if not wanted(name):
            continue
        keys, vals = [], []
        for j in (j for j, n in enumerate(names) if n == name):
            mine = np.flatnonzero(ids == j)
            values, odd = _values(buf, arr, words, vs[mine], vlen[mine])
            keys.append(order[mine][~odd])
            vals.append(values[~odd])
            if odd.any():
                at = mine[odd]
                try:
                    texts = [buf[int(a):int(a) + int(n)].decode("utf-8") for a, n in zip(vs[at], vlen[at])]
                except UnicodeDecodeError:
                    return None  # no UTF-8: the Record class refuses the record (the chunk-by-chunk reader says so)
                keep, parsed_values = numbers(name, texts, (starts[rec[at]] - 7).tolist(), path)
                keys.append(order[at][keep])
                vals.append(parsed_values[keep])
        if name in slow_by_name:
            skeys, texts, where = slow_by_name[name]
            keep, parsed_values = numbers(name, texts, where, path)
            keys.append(np.array(skeys, np.int64)[keep])
            vals.append(parsed_values[keep])
        k = np.concatenate(keys) if keys else np.zeros(0, np.int64)
        v = np.concatenate(vals) if vals else np.zeros(0, np.float64)
        by = np.argsort(k, kind="stable")
        columns[name] = (k[by] // (MAX_ITEMS + 1), v[by])
    return columns, found
