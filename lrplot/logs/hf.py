"""Hugging Face ``trainer_state.json``: the ``learning_rate`` of each ``log_history`` entry.

transformers' Trainer (read in 5.23.0, ``Trainer._inner_training_loop``) reads the lr with
``_get_learning_rate()`` before ``optimizer.step()`` and logs it every ``logging_steps`` updates under
``step = state.global_step``, which already counts that update: logged step s is lrplot step s - 1.
Values are Python floats written by ``json``: exact float64.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from ..errors import Location
from . import LogError, Raw, build_curves, head_text, log_step, read_log_text, walk

if TYPE_CHECKING:  # pragma: no cover
    from ..curves import Curves

NAME = "trainer_state.json"
LOOKS_FOR = {"hf": NAME}
FINDS = {"hf": NAME}


def find(folder: Path, fmt: str) -> Path | None:
    """``trainer_state.json`` in the folder, else in its newest ``checkpoint-N``."""
    found = walk(folder, lambda name: name == NAME, 1)
    if folder / NAME in found:
        return folder / NAME
    checkpoints = sorted((p for p in found if p.parent.name.startswith("checkpoint-")),
                         key=lambda p: int(p.parent.name.split("-")[-1]) if p.parent.name.split("-")[-1].isdigit() else -1)
    return checkpoints[-1] if checkpoints else None


def detect_file(path: Path, fmt: str) -> bool:
    if path.suffix.lower() != ".json":
        return False
    return path.name == NAME or '"log_history"' in (head_text(path) or "")


def read(path: Path, fmt: str, key: str | None) -> "Curves":  # noqa: F821
    text = read_log_text(path)  # bounded, recorded as read
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise LogError(f"not valid JSON: {exc.msg}", location=Location(str(path), exc.lineno, exc.colno)) from None
    except RecursionError:
        raise LogError("not a trainer_state.json: nested too deeply", location=Location(str(path))) from None
    history = data.get("log_history") if isinstance(data, dict) else None
    if not isinstance(history, list):
        raise LogError("no 'log_history' list: not a Hugging Face trainer_state.json",
                       location=Location(str(path)), hint="force another format with --log-format")
    columns: dict[str, tuple[list[int], list[float]]] = {}
    for n, entry in enumerate(history):
        if not isinstance(entry, dict) or not isinstance(entry.get("step"), int):
            continue
        step = log_step(entry["step"], Location(str(path)), f"log_history[{n}].step")
        for k, v in entry.items():
            if k in ("step", "epoch") or isinstance(v, bool) or not isinstance(v, (int, float)):
                continue
            try:
                value = float(v)
            except OverflowError:  # an integer beyond any float
                raise LogError(f"log_history[{n}].{k}: {str(v)[:20]}... is beyond any float",
                               location=Location(str(path))) from None
            steps, values = columns.setdefault(k, ([], []))
            steps.append(step)
            values.append(value)
    raws = [Raw("", k, np.array(s, dtype=np.int64), np.array(v, dtype=np.float64)) for k, (s, v) in columns.items()]
    return build_curves(raws, fmt, path, "float64", key=key)
