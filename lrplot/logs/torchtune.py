"""torchtune's DiskLogger logs: ``log_<time>.txt`` (``Step 1 | loss:0.52 lr:2e-05 ...``) or ``.jsonl``.

torchtune (pytorch/torchtune bd2a0fc7c, ``torchtune/training/metric_logging.py:165-199``) writes one line
per ``log_dict(payload, step)``: ``Step {step} | `` then ``{name}:{data} `` for each metric (txt), or
``{"step": step, name: data, ...}`` (jsonl). Its recipes (``recipes/full_finetune_single_device.py:
634-662``) call ``optimizer.step()``, ``lr_scheduler.step()``, ``global_step += 1`` and then log
``get_lr(optimizer)`` at ``step=global_step``: the lr read AFTER the scheduler stepped, so logged step s
holds the lr update s uses (lrplot step s), and a run's last line holds the lr of an update never run.
A folder holding several logs (one per launch, a resume's too) is read as one run per file
(:mod:`.folders`); ``--log-run log_<time>.txt`` reads one.
A float is written with ``str``/``json``: Python's repr, exact float64.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from ..errors import Location
from ..text import written_lines
from . import LogError, Raw, build_curves, classify, head_text, log_step, read_log_text, walk
from .folders import one_or_folder, runs_in

if TYPE_CHECKING:  # pragma: no cover
    from ..curves import Curves

LOOKS_FOR = {"torchtune": "a torchtune DiskLogger log (Step N | lr:...)"}
FINDS = {"torchtune": "a torchtune log_<time>.txt or .jsonl"}
SELECTS_RUNS = True  # a folder of logs, one per launch
_LINE = re.compile(r"^Step (?P<step>\d+) \| (?P<rest>.*)$")
_ITEM = re.compile(r"(?P<name>[^\s:]+):(?P<value>\S+)")


def _first_line(path: Path) -> str:
    return (head_text(path) or "").split("\n", 1)[0]


def _looks(path: Path) -> bool:
    first = _first_line(path)
    if path.suffix.lower() == ".txt":
        return _LINE.match(first) is not None
    if path.suffix.lower() == ".jsonl":
        try:
            row = json.loads(first)
        except ValueError:
            return False
        return isinstance(row, dict) and isinstance(row.get("step"), int) and any(classify(k) for k in row)
    return False


def _found(folder: Path) -> list[Path]:
    return [p for p in walk(folder, lambda name: name.startswith("log_") and name.endswith((".txt", ".jsonl")), 2)
            if _looks(p)]


def find(folder: Path, fmt: str) -> Path | None:
    """The ``log_*.txt`` / ``log_*.jsonl`` DiskLogger wrote (its output_dir/logs), or the folder
    when it holds several (each a run)."""
    return one_or_folder(folder, _found(folder))


def detect_file(path: Path, fmt: str) -> bool:
    return _looks(path)


def _number(name: str, text: str, where: Location) -> float:
    try:
        return float(text)
    except ValueError:
        raise LogError(f"{name}:{text} is not a number", location=where,
                       hint="log the lr as a Python float (a tensor is written as tensor(...))") from None


def read(path: Path, fmt: str, key: str | None, run: str | None = None) -> "Curves":  # noqa: F821
    runs = runs_in(path, _found(path) if path.is_dir() else [], lambda f: str(f.relative_to(path)), run,
                   "torchtune log")
    raws: list[Raw] = []
    found: dict[str, None] = {}
    for name, file in runs:
        raws.extend(_read_file(file, key, name, found))
    return build_curves(raws, fmt, path, "float64", key=key, found=found)


def _read_file(path: Path, key: str | None, run: str, found: dict[str, None]) -> list[Raw]:
    text = read_log_text(path)  # bounded, recorded as read
    jsonl = path.suffix.lower() == ".jsonl"
    series: dict[str, tuple[list[int], list[float]]] = {}
    for line_no, line in enumerate(written_lines(text), start=1):
        if not line.strip():
            continue
        where = Location(str(path), line_no)
        if jsonl:
            try:
                row = json.loads(line)
            except ValueError as exc:
                raise LogError(f"not a JSON object per line: {exc}", location=where) from None
            if not isinstance(row, dict) or "step" not in row:
                continue
            step_value, items = row["step"], [(k, v) for k, v in row.items() if k != "step"]
        else:
            m = _LINE.match(line)
            if m is None:
                continue
            step_value, items = int(m["step"]), [(i["name"], i["value"]) for i in _ITEM.finditer(m["rest"])]
        found.update(dict.fromkeys(k for k, _ in items))
        wanted = [(k, v) for k, v in items if classify(k, key) is not None]
        if not wanted:
            continue
        step = log_step(step_value, where)
        for k, v in wanted:
            if isinstance(v, bool) or not isinstance(v, (int, float, str)):
                raise LogError(f"{k} {v!r} is not a number", location=where)
            steps, values = series.setdefault(k, ([], []))
            steps.append(step)
            values.append(_number(k, v, where) if isinstance(v, str) else float(v))
    return [Raw(run, k, np.array(s, dtype=np.int64), np.array(v, dtype=np.float64)) for k, (s, v) in series.items()]
