"""The file store's metric lines (``timestamp value step``) read in bulk by numpy: each field found by
its spaces, integers read eight digits at a time, and each value's decimal text turned into the very
double Python's ``float()`` gives for it, without a Python object per line.

MLflow writes a line as ``f"{metric.timestamp} {metric.value} {metric.step}\\n"`` (file_store.py
``_log_run_metric``), the value as ``repr`` of a float: ``-?digits[.digits][e±digits]``, ``inf``, ``nan``.
A text of that form is an integer mantissa ``m`` (at most 19 significant digits taken here) times
``10**q``. For ``|q|`` small enough that ``10**|q|`` is exact in numpy's long double (64-bit mantissa on
x86: ``|q| <= 27``), ``m * 10**q`` (or ``m / 10**-q``) is one correctly rounded long-double operation,
and rounding that to a double gives ``float()``'s correctly rounded result unless a halfway point
between two doubles lies within the long double's rounding error of it. Such a value, ``nan``,
``inf``, and every value with more digits or a larger exponent is converted by ``float()`` itself.
A file with any other text (a sign or '_' in an integer, 'E', a stray character) is left to the
line-by-line reader, which reads it as MLflow does or names the line. tests/test_logs_mlflow_text.py
checks the bulk values bit for bit against ``float()`` on random bit patterns, halfway cases and
special values.

What 1,000,000 lines cost (bench/bench_logs_stores.py, the 1M-point file store): ≈ 0.28 s CPU (0.23 s
user, 0.05 s system) against ≈ 0.7 s splitting the text and calling ``int()``/``float()`` per field;
606 of its values go to ``float()``. See bench/README.md "MLflow, third pass".
"""

from __future__ import annotations

import sys

import numpy as np

_LD = np.finfo(np.longdouble)
CHUNK = 1 << 20  # bytes of lines read at a time
_PAD = 24  # '0' bytes before the text: every eight-byte window read lies inside the buffer


def _exact_powers() -> np.ndarray | None:
    """10**k as long doubles, for every k whose power is exact in one (5**k below 2**(mantissa bits));
    None where the long double is narrower than 64 bits (the bulk conversion is then not used)."""
    if _LD.nmant < 63:
        return None
    powers = [np.longdouble(1)]
    while 5 ** len(powers) < 2 ** (_LD.nmant + 1):
        powers.append(powers[-1] * np.longdouble(10))  # exact: the product is representable
    return np.array(powers, dtype=np.longdouble)


POWERS = _exact_powers()
# x86's 80-bit long double (stored in 16 bytes, the 64-bit significand first): its bits can be read
X87 = _LD.nmant == 63 and np.dtype(np.longdouble).itemsize == 16 and sys.byteorder == "little"
_ZEROS = np.uint64(0x3030303030303030)
_ALL = np.uint64(0xFFFFFFFFFFFFFFFF)


def _eight(windows: np.ndarray, last: np.ndarray, count: np.ndarray) -> np.ndarray:
    """The integer written by the ``count`` (0 to 8) digit bytes ending before ``last``, every field at
    once: the eight bytes before ``last`` read as one little-endian word, the bytes before the field
    made zero (leading zeros), then summed pairwise in three multiplications (the SWAR
    steps of fast_float's ``parse_eight_digits_unrolled``). The bytes must be digits (checked by the caller)."""
    word = windows[last - 8].view("<u8").ravel() ^ _ZEROS  # '0'..'9' -> 0..9, no borrow
    word &= ~(_ALL >> (count * 8).astype(np.uint64))  # the bytes before the field: 0; numpy: a shift by 64 gives 0
    word = word * np.uint64(10) + (word >> np.uint64(8))
    mask = np.uint64(0x000000FF000000FF)
    word = ((word & mask) * np.uint64(100 + (1000000 << 32))
            + ((word >> np.uint64(16)) & mask) * np.uint64(1 + (10000 << 32))) >> np.uint64(32)
    return word & np.uint64(0xFFFFFFFF)


def _number(windows: np.ndarray, last: np.ndarray, count: np.ndarray, words: int) -> np.ndarray:
    """The integer of up to ``8 * words`` digits ending before ``last`` (below 2**64 for <= 19 digits)."""
    out = _eight(windows, last, np.minimum(count, 8))
    for w in range(1, words):
        part = _eight(windows, last - 8 * w, np.clip(count - 8 * w, 0, 8))
        out += part * np.uint64(10 ** (8 * w))
    return out


def _where(arr: np.ndarray, byte: int, low: np.ndarray, high: np.ndarray) -> tuple[np.ndarray, int] | None:
    """Each field's position of ``byte`` (``high`` where it has none) when every one in the text lies
    in some field ``[low, high)``, at most one per field; with the number found. None otherwise."""
    at = np.flatnonzero(arr == byte)
    pos = high.copy()
    if len(at) == 0:
        return pos, 0
    row = np.arange(len(at))  # one in every field, the common case, checked as any other
    if len(at) != len(low) or not np.all((at >= low) & (at < high)):
        row = np.searchsorted(high, at, side="right")  # the field that ends after it
        if row[-1] >= len(low) or not np.all(at >= low[row]):
            return None
        if len(row) > 1 and not np.all(row[1:] > row[:-1]):
            return None
    pos[row] = at
    return pos, len(at)


def metric_columns(data: bytes) -> tuple[np.ndarray | None, np.ndarray, np.ndarray] | None:
    """The three columns of a metric file whose every line is ``timestamp value step`` (two single
    spaces, ASCII digits in the integers, values as above): timestamps (None when the steps are
    strictly increasing, the only case in which they decide nothing), values, steps. None when any
    line is otherwise: the line-by-line reader then reads the file, or names the line.

    Read a megabyte of whole lines at a time: numpy's temporaries then stay small, in the cache and in
    memory already mapped (a fresh 30 MB temporary per step cost more in page zeroing than its work)."""
    if not data:
        return np.zeros(0, np.int64), np.zeros(0, np.float64), np.zeros(0, np.int64)
    if not data.endswith(b"\n"):
        data += b"\n"
    parts = []
    at = 0
    while at < len(data):
        cut = data.find(b"\n", min(at + CHUNK, len(data) - 1)) + 1
        part = _chunk(data, at, cut)
        if part is None:
            return None
        parts.append(part)
        at = cut
    stamps, values, steps = (np.concatenate(column) for column in zip(*parts))
    if len(steps) < 2 or bool(np.all(steps[1:] > steps[:-1])):
        return None, values, steps
    return stamps, values, steps


def _chunk(data: bytes, at: int, cut: int) -> tuple[np.ndarray, np.ndarray, np.ndarray] | None:
    """The columns of the whole lines ``data[at:cut]``."""
    arr = np.frombuffer(data, np.uint8, cut - at, at)
    ends = np.flatnonzero(arr == 10)
    spaces = np.flatnonzero(arr == 32)
    n = len(ends)
    if len(spaces) != 2 * n or np.count_nonzero(arr < 33) != 3 * n:
        return None
    starts = np.r_[0, ends[:-1] + 1]
    first, second = spaces[0::2], spaces[1::2]
    # each line's two spaces inside it, every field non-empty (no other whitespace: counted above)
    if not (np.all(first > starts) and np.all(second > first + 1) and np.all(ends > second + 1)):
        return None
    neg = arr[first + 1] == 45  # '-'
    body = first + 1 + neg
    width = second - body
    # nan, inf, -inf: converted by float()
    special = np.zeros(n, bool)
    three = np.flatnonzero(width == 3)
    if len(three):
        word = np.sum(arr[body[three, None] + np.arange(3)].astype(np.int64) << np.array([16, 8, 0]), axis=1)
        special[three] = ((word == 0x6E616E) & ~neg[three]) | (word == 0x696E66)
    found = _where(arr, 101, body, second)  # 'e'
    if found is None:
        return None
    epos, n_e = found
    found = _where(arr, 46, body, epos)  # '.' before the exponent
    if found is None:
        return None
    dot, n_dot = found
    has_dot, has_e = dot < epos, epos < second
    sign = arr[np.minimum(epos + 1, second)]
    signed = has_e & ((sign == 45) | (sign == 43))
    # every byte that is no digit is one of those just placed: then all the others are digits
    expected = 3 * n + int(np.count_nonzero(neg)) + n_e + n_dot + int(np.count_nonzero(signed)) + 3 * int(np.count_nonzero(special))
    if np.count_nonzero((arr - np.uint8(48)) > 9) != expected:
        return None
    n_mant = epos - body - has_dot
    n_exp = second - epos - 1 - signed
    n_stamp, n_step = first - starts, ends - second - 1
    if (np.any(~special & ((n_mant < 1) | (has_e & (n_exp < 1))))
            or int(n_stamp.max()) > 18 or int(n_step.max()) > 18):
        return None
    # the text without its points, so that each mantissa's digits are side by side
    shift = np.cumsum(has_dot) + (-_PAD)
    text = np.concatenate([np.full(_PAD, 48, np.uint8), arr[arr != 46] if n_dot else arr])
    windows = np.lib.stride_tricks.sliding_window_view(text, 8)
    steps = _number(windows, ends - shift, n_step, (int(n_step.max()) + 7) // 8).astype(np.int64)
    stamps = _number(windows, first - shift + has_dot, n_stamp, (int(n_stamp.max()) + 7) // 8).astype(np.int64)
    try:
        if POWERS is None:  # no long double wider than a double (Windows, Apple silicon): float() of each
            return stamps, np.fromiter(map(float, data[at:cut].split()[1::3]), np.float64, n), steps
        values = _values(windows, epos - shift, n_mant, second - shift, np.minimum(n_exp, 4) * has_e,
                         np.where(has_dot, epos - dot - 1, 0), neg, signed & (sign == 45))
        unsure = special | ~np.isfinite(values) | (n_mant > 24) | (n_exp > 4)  # leading zeros count in n_mant
        for i in np.flatnonzero(unsure).tolist():
            values[i] = float(data[at + first[i] + 1:at + second[i]].decode("ascii"))
    except ValueError:
        return None
    return stamps, values, steps


def _values(windows, mant_end, n_mant, exp_end, n_exp, frac, neg, minus) -> np.ndarray:
    """Each value as a double where the long double conversion is sure of it, NaN where not (then
    ``float()`` converts it): see the module's docstring."""
    count = np.minimum(n_mant, 24)
    mant = _eight(windows, mant_end, np.minimum(count, 8))
    mant += _eight(windows, mant_end - 8, np.clip(count - 8, 0, 8)) * np.uint64(10**8)
    top = _eight(windows, mant_end - 16, np.clip(count - 16, 0, 8))
    big = top >= 1000  # 20 or more significant digits: beyond 2**64
    mant += np.minimum(top, 999) * np.uint64(10**16)
    exp = _eight(windows, exp_end, n_exp).astype(np.int64)
    q = np.where(minus, -exp, exp) - frac
    most = len(POWERS) - 1
    sure = ~big & (np.abs(q) <= most)
    y = mant.astype(np.longdouble) / POWERS[np.clip(-q, 0, most)]
    up = np.flatnonzero(q > 0)
    y[up] = mant[up].astype(np.longdouble) * POWERS[np.minimum(q[up], most)]
    r = y.astype(np.float64)
    sure &= (mant == 0) | (np.abs(r) >= np.finfo(np.float64).tiny)  # always, for |q| <= 27: kept as a guard
    return np.where(sure & ~_near_halfway(y, r), np.where(neg, -r, r), np.nan)


def _near_halfway(y: np.ndarray, r: np.ndarray) -> np.ndarray:
    """Whether a halfway point between two doubles lies within the long double's rounding error of
    ``y`` (then rounding ``y`` to the double ``r`` may differ from rounding the exact value). On x86's
    80-bit long double, read from the 64-bit significand: its 11 bits below a double's 53 are within
    one unit of 0x400 (the halfway point). Elsewhere, by the distance to the halfway point on y's side."""
    if X87:
        low = y.view(np.uint64)[0::2] & np.uint64(0x7FF)
        return (low - np.uint64(0x3FF)) < np.uint64(3)  # 0x3FF, 0x400, 0x401 (below 0x3FF: wraps, large)
    return near_halfway_generic(y, r)


def near_halfway_generic(y: np.ndarray, r: np.ndarray) -> np.ndarray:
    toward = np.nextafter(r, np.where(y > r, np.inf, -np.inf))
    half = (r.astype(np.longdouble) + toward.astype(np.longdouble)) / 2
    return np.abs(y - half) <= np.abs(y) * _LD.eps
