"""MMEngine's logs: ``vis_data/scalars.json`` (LocalVisBackend) and the text log ``<timestamp>.log``.

MMEngine 0.10.7 (read in its source, measured with a real Runner in tests/test_logs_mmengine.py):
``RuntimeInfoHook.before_train_iter`` (hooks/runtime_info_hook.py:99-108) records the lr of the coming
update (``optim_wrapper.get_lr()``, the first param group) before it runs; ``ParamSchedulerHook.
after_train_iter`` steps the schedulers after it; ``LoggerHook.after_train_iter`` writes the lr with
``step=runner.iter + 1`` (hooks/logger_hook.py:199-200), counting that update: logged step s is
lrplot step s - 1, as for the HF Trainer.

- ``mmengine``: one JSON object per line (``{"lr": ..., "loss": ..., "iter": 10, "step": 10}``;
  validation lines have no lr). Values are Python floats written by ``json``: exact float64.
- ``mmengine-text``: ``... - mmengine - INFO - Iter(train) [ 10/100]  lr: 1.0000e-03  ...`` or
  ``Epoch(train) [2][10/50]  lr: ...`` (runner/log_processor.py:156-203). The update is the printed
  iteration, counted over epochs in the Epoch form ((epoch - 1) x its length + iteration; an
  iteration-based loop prints epoch 1 throughout with the global iteration). The lr is printed
  rounded (``{value:.4e}``, ``num_digits``): such a log is compared with the plan rounded the same
  way (the plan's value printed with the log's own digits equals the logged text), not exactly.

A work_dir holding several runs (a ``<timestamp>/`` folder per launch, a ``resume=True`` one's too) is
read as one run per timestamp folder (:mod:`.folders`); ``--log-run <timestamp>`` reads one.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import TYPE_CHECKING, Callable

import numpy as np

from ..errors import Location
from ..text import written_lines
from . import LogError, Raw, build_curves, classify, head_text, log_step, read_log_text, walk
from .folders import one_or_folder, runs_in

if TYPE_CHECKING:  # pragma: no cover
    from ..curves import Curves

LOOKS_FOR = {"mmengine": "MMEngine's vis_data/scalars.json", "mmengine-text": "an MMEngine text log"}
FINDS = {"mmengine": "vis_data/scalars.json", "mmengine-text": "an MMEngine <timestamp>.log"}
SELECTS_RUNS = True  # a work_dir's <timestamp>/ runs
_STAMPED = re.compile(r"^\d{8}_\d{6}\.log$")
_TRAIN = re.compile(r" - mmengine - \w+ - (?:Epoch\(train\)\s*\[\s*(?P<epoch>\d+)\]|Iter\(train\)\s*)"
                    r"\[\s*(?P<iter>\d+)/(?P<of>\d+)\]\s+(?P<rest>.*)$")
_LR = re.compile(r"(?:^|\s)(?P<key>[\w.]*lr): (?P<value>[-+]?\d\.(?P<digits>\d*)e[-+]\d+)(?=\s|$)")


def _found(folder: Path, fmt: str) -> list[Path]:
    if fmt == "mmengine":
        return [p for p in walk(folder, lambda name: name == "scalars.json", 3) if p.parent.name == "vis_data"]
    found = walk(folder, lambda name: bool(_STAMPED.match(name)), 2)
    return [p for p in found if " - mmengine - " in (head_text(p, 1 << 14) or "")]


def find(folder: Path, fmt: str) -> Path | None:
    """The ``vis_data/scalars.json`` (or ``<timestamp>.log``) below a work_dir, or the work_dir when
    it holds several runs (each a run)."""
    return one_or_folder(folder, _found(folder, fmt))


def _run_name(folder: Path, fmt: str) -> Callable[[Path], str]:
    def name(file: Path) -> str:
        run = file.parent.parent if fmt == "mmengine" else file.parent  # the <timestamp>/ folder
        return str(run.relative_to(folder)) if run != folder and folder in run.parents else file.name
    return name


def detect_file(path: Path, fmt: str) -> bool:
    if fmt == "mmengine":
        if path.suffix.lower() != ".json":
            return False
        first = (head_text(path) or "").split("\n", 1)[0]
        try:
            row = json.loads(first)
        except ValueError:
            return False
        return isinstance(row, dict) and "step" in row and any(classify(k) for k in row)
    return path.suffix.lower() == ".log" and re.search(r" - mmengine - \w+ - ", head_text(path) or "") is not None


def read(path: Path, fmt: str, key: str | None, run: str | None = None) -> "Curves":  # noqa: F821
    runs = runs_in(path, _found(path, fmt) if path.is_dir() else [], _run_name(path, fmt), run, "MMEngine run")
    raws: list[Raw] = []
    found: dict[str, None] = {}
    digits: set[int] = set()
    for name, file in runs:
        raws.extend(_read_file(file, fmt, key, name, found, digits))
    if len(digits) > 1:
        raise LogError(f"the lr is printed with {' and '.join(map(str, sorted(digits)))} digits in one log",
                       location=Location(str(path)), hint="read vis_data/scalars.json instead (exact values)")
    # the text log's values are the plan printed as '%.<d>e': compared so (lrplot.verify.plan.agree)
    dtype = f"%.{digits.pop()}e" if fmt == "mmengine-text" and digits else "float64"
    return build_curves(raws, fmt, path, dtype, key=key, found=found)


def _read_file(path: Path, fmt: str, key: str | None, run: str, found: dict[str, None],
               digits: set[int]) -> list[Raw]:
    text = read_log_text(path)  # bounded, recorded as read
    series: dict[str, tuple[list[int], list[float]]] = {}
    for line_no, line in enumerate(written_lines(text), start=1):
        if not line.strip():
            continue
        where = Location(str(path), line_no)
        if fmt == "mmengine":
            try:
                row = json.loads(line)
            except ValueError as exc:
                raise LogError(f"not a JSON object per line: {exc}", location=where,
                               hint="vis_data/scalars.json holds one JSON object per line") from None
            if not isinstance(row, dict) or "step" not in row:
                continue
            items = [(k, v) for k, v in row.items() if k != "step"]
            step_value = row["step"]
        else:
            m = _TRAIN.search(line)
            if m is None:
                continue
            epoch, it, of = int(m["epoch"] or 1), int(m["iter"]), int(m["of"])
            step_value = (epoch - 1) * of + it if m["epoch"] else it
            items = []
            for lr in _LR.finditer(m["rest"]):
                items.append((lr["key"], float(lr["value"])))
                digits.add(len(lr["digits"]))
        wanted = [(k, v) for k, v in items if classify(k, key) is not None]
        found.update(dict.fromkeys(k for k, _ in items))
        if not wanted:
            continue
        step = log_step(step_value, where)
        for k, v in wanted:
            if isinstance(v, bool) or not isinstance(v, (int, float)):
                raise LogError(f"{k} {v!r} is not a number", location=where)
            steps, values = series.setdefault(k, ([], []))
            steps.append(step)
            values.append(float(v))
    return [Raw(run, k, np.array(s, dtype=np.int64), np.array(v, dtype=np.float64)) for k, (s, v) in series.items()]
