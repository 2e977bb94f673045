"""The bulk W&B reader's decoding of ``value_json`` texts (lrplot/logs/wandbbulk.py ``_values``) against
``json.loads``, which the record-by-record reader uses: every text the bulk path decodes itself is a
JSON number and gives the same float64 (sign of zero included); every other text is left to json.

No wandb needed: the texts are laid out in a plain buffer the way the bulk reader finds them.
"""

from __future__ import annotations

import json
import random

import numpy as np

from lrplot.logs import wandbbulk

TRICKY = ["0", "-0", "1", "-1", "12", "012", "-012", "00", "0.5", ".5", "5.", "-.5", "1e5", "1E+5", "1e-05",
          "-1.5e-3", "0e0", "0.0e-0", "-0.0", "1e", "1e+", "1e5e5", "1.2.3", "--1", "+1", "-", "1-", "1+1", "1e5.0",
          "NaN", "Infinity", "-Infinity", "true", "null", '"1"', "1 ", " 1", "0x10", "1_0", "1\x00", "1\x002", "\x001",
          "123456789012345", "1234567890123456", "-123456789012345", "12345678901234567890", "9" * 31, "1e400",
          "-1e400", "1e-400", "4332", "1.0", "0.00029998615537696474", "1.796587033086867e+09", "[0.1]", "{}"]


def _decoded(texts: list[str]) -> tuple[np.ndarray, np.ndarray]:
    blob = bytearray(16)
    starts, lengths = [], []
    for text in texts:
        data = text.encode()
        starts.append(len(blob))
        lengths.append(len(data))
        blob += data + b"\xff\x82\x01"  # what follows a value in a record is never part of it
    buf = bytes(blob + bytes(64))
    return wandbbulk._values(buf, np.frombuffer(buf, np.uint8), wandbbulk._words(buf), np.array(starts),
                             np.array(lengths))


def _json_number(text: str) -> float | None:
    try:
        value = json.loads(text)
    except ValueError:
        return None
    return float(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else None


def test_values_decoded_in_bulk_are_json_numbers_read_as_json_reads_them():
    rng = random.Random(22)
    texts = TRICKY + [repr(rng.uniform(-1e6, 1e6)) for _ in range(300)] + \
        [str(rng.randrange(-10 ** 17, 10 ** 17)) for _ in range(300)] + \
        [repr(rng.random() * 10.0 ** rng.randrange(-300, 300)) for _ in range(300)]
    values, odd = _decoded(texts)
    for text, value, left in zip(texts, values.tolist(), odd.tolist()):
        expected = _json_number(text)
        if not left:
            assert expected is not None, text
            assert value == expected and np.signbit(value) == np.signbit(expected), (text, value, expected)
    # the plain numbers are all decoded here, not left to json; NaN, Infinity and spaces are json's
    plain = [t for t in texts if _json_number(t) is not None and t.strip() == t and t.lstrip("-")[:1].isdigit()]
    assert [t for t, left in zip(texts, odd.tolist()) if left and t in plain] == []
    assert odd[[TRICKY.index(t) for t in ("NaN", "Infinity", " 1", "1\x00", "012", "+1", ".5", "5.")]].all()
