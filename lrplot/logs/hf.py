"""Hugging Face ``trainer_state.json``: the ``learning_rate`` of each ``log_history`` entry.

transformers' Trainer (read in 5.23.0, ``Trainer._inner_training_loop``) reads the lr with
``_get_learning_rate()`` before ``optimizer.step()`` and logs it every ``logging_steps`` updates under
``step = state.global_step``, which already counts that update: logged step s is lrplot step s - 1.
Before transformers PR #36973 (first released in 4.51.0; 4.50.3 ``trainer.py:2614`` steps the scheduler,
then ``_maybe_log_save_evaluate`` reads the lr at :3083) the logged value was the NEXT update's lr, so
logged step s is lrplot step s. trainer_state.json does not record the version; the model's
``config.json`` beside it (a ``checkpoint-N`` folder) or in the run folder above does
(``transformers_version``). Without it both readings are kept: ``verify`` says which one the log follows.
Values are Python floats written by ``json``: exact float64.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from ..errors import Location
from . import LogError, Raw, build_curves, head_text, log_step, read_log_text, walk
from .conventions import HF_BEFORE_4_51, convention

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
        cut = bool(text.strip()) and not text.rstrip().endswith("}")  # the Trainer writes it whole: a save being written
        raise LogError(f"not valid JSON: {exc.msg}" + ("; the file ends before its JSON does (cut short, or a save "
                                                      "still being written)" if cut else ""),
                       location=Location(str(path), exc.lineno, exc.colno),
                       hint="read it once the save is written, or name an earlier checkpoint-N folder" if cut else
                       None) from None
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
    version = transformers_version(path)
    current = convention(fmt, "learning_rate")
    if version is None:  # not recorded: the current reading, and the older one for verify to try
        return build_curves(raws, fmt, path, "float64", key=key, rule=current, other=HF_BEFORE_4_51)
    rule = HF_BEFORE_4_51 if version < (4, 51) else current
    return build_curves(raws, fmt, path, "float64", key=key, rule=rule)


def transformers_version(path: Path) -> tuple[int, int] | None:
    """(major, minor) of the transformers that wrote ``path``, from ``transformers_version`` in the
    ``config.json`` beside it or in the folder above (the run's output_dir); None if neither says."""
    for folder in (path.parent, path.parent.parent):
        config = folder / "config.json"
        if not config.is_file():
            continue
        try:
            data = json.loads(read_log_text(config))
        except (LogError, ValueError, RecursionError):
            continue
        m = re.match(r"(\d+)\.(\d+)", str(data.get("transformers_version", ""))) if isinstance(data, dict) else None
        if m:
            return int(m[1]), int(m[2])
    return None
