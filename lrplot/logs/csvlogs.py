"""CSV logs: Lightning's ``CSVLogger`` ``metrics.csv``, a W&B history export, and a plain ``step,lr``.

All three are a table with a step column and one column per metric, with empty cells where a row
logged something else (Lightning writes sparse rows; a W&B export has one row per ``_step``):

- ``lightning-csv``: columns ``step`` (and ``epoch``) and LearningRateMonitor's ``lr-<Optimizer>``,
  ``lr-<Optimizer>/pg1``, ``lr-<Optimizer>-momentum``. Lightning 2.6.6 (``LearningRateMonitor.
  on_train_batch_start``) logs the lr the coming update uses with ``step = _batches_that_stepped``
  (updates done so far): logged step s is lrplot step s.
- ``wandb-csv``: ``_step`` plus the metrics. Lightning's WandbLogger adds ``trainer/global_step``
  (used as the step), transformers' WandbCallback ``train/global_step`` (used as the step);
  otherwise ``_step`` is the step. How each counts: :mod:`lrplot.logs.conventions`.
- ``csv``: ``step,lr`` or ``step,group,lr`` (any lr-like column name): step s holds the lr of update s.

A folder holding several ``metrics.csv`` (``version_0``, ``version_1`` after a resume) is read as one run per
file (:mod:`.folders`); ``--log-run version_1`` reads one.

Cells are parsed with ``float``: exact float64 for what Python's csv writers write (``repr``).
"""

from __future__ import annotations

import csv
import io
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from ..errors import Location
from . import LogError, Raw, build_curves, classify, head_text, log_step, read_log_text, walk
from .folders import one_or_folder, runs_in

if TYPE_CHECKING:  # pragma: no cover
    from ..curves import Curves

LOOKS_FOR = {"lightning-csv": "metrics.csv", "wandb-csv": "a W&B history CSV", "csv": "a step,lr CSV"}
FINDS = {"lightning-csv": "metrics.csv"}
SELECTS_RUNS = ("lightning-csv",)  # a folder of CSVLogger versions
_STEP_COLUMNS = {"lightning-csv": ("step",), "csv": ("step",),
                 "wandb-csv": ("trainer/global_step", "train/global_step", "_step")}


def _header(path: Path) -> list[str] | None:
    text = head_text(path)  # the first 64 kB: a header line without an end is no log's
    if text is None:
        return None
    try:
        return next(csv.reader(io.StringIO(text.split("\n", 1)[0])), None)
    except csv.Error:
        return None


def _kind(header: list[str]) -> str | None:
    if "_step" in header:
        return "wandb-csv"
    if "step" not in header:
        return None
    if any(h.startswith("lr-") for h in header):
        return "lightning-csv"
    return "csv"


def _found(folder: Path) -> list[Path]:
    return walk(folder, lambda name: name == "metrics.csv", 3)


def find(folder: Path, fmt: str) -> Path | None:
    """The ``metrics.csv`` at most three folders down (CSVLogger writes NAME/version_N/), or the
    folder when it holds several (each a run)."""
    return one_or_folder(folder, _found(folder))


def detect_file(path: Path, fmt: str) -> bool:
    if path.suffix.lower() not in (".csv", ".tsv", ".txt"):
        return False
    header = _header(path)
    return header is not None and _kind(header) == fmt


def unread_export(path: Path) -> LogError | None:
    """A CSV a dashboard exports, which lrplot does not read: its one line, or None. Neither names the tag's
    writer, so neither says how its steps count (transformers' Trainer logs update s at step s + 1)."""
    header = _header(path) if path.suffix.lower() == ".csv" else None
    where = Location(str(path))
    if header == ["Wall time", "Step", "Value"]:
        return LogError("a TensorBoard dashboard download (Wall time, Step, Value): it does not say which tag, nor "
                        "whose, it holds", location=where, hint="name the run's folder or its event file instead")
    if header and header[0] == "Step" and any(" - " in h for h in header[1:]):
        return LogError("a W&B chart panel export (Step, '<run> - <metric>'): it does not say which step the chart "
                        "was drawn against", location=where,
                        hint="name the run's folder (wandb/run-*) instead, or export the run's history (its _step column)")
    return None


def read(path: Path, fmt: str, key: str | None, run: str | None = None) -> "Curves":  # noqa: F821
    runs = runs_in(path, _found(path) if path.is_dir() else [],
                   lambda f: str(f.parent.relative_to(path)) if f.parent != path else f.name, run, "metrics.csv")
    raws: list[Raw] = []
    found: dict[str, None] = {}
    step_col = "step"
    unended = False
    for name, file in runs:
        more, columns, step_col, cut = _read_file(file, fmt, key, name)
        raws.extend(more)
        found.update(dict.fromkeys(columns))
        unended |= cut
    return build_curves(raws, fmt, path, "float64", key=key, found=found, step=step_col, unended=unended)


def _read_file(path: Path, fmt: str, key: str | None, run: str) -> tuple[list[Raw], list[str], str, bool]:
    """The file's series, its columns, its step column, and whether its last row has no line end."""
    text = read_log_text(path)  # bounded, recorded as read; a UTF-8 BOM is dropped
    rows = csv.reader(io.StringIO(text, newline=""))  # streamed: one row in memory at a time
    try:
        header = next(rows, None)
    except csv.Error as exc:
        raise LogError(f"cannot read as CSV: {exc}", location=Location(str(path), 1)) from None
    if header is None:
        raise LogError("the file is empty", location=Location(str(path)))
    step_col = next((c for c in _STEP_COLUMNS[fmt] if c in header), None)
    if step_col is None:
        raise LogError(f"no step column ({' or '.join(_STEP_COLUMNS[fmt])}) in the header", location=Location(str(path), 1),
                       hint="the first row must name the columns, e.g. step,lr")
    si = header.index(step_col)
    gi = header.index("group") if fmt == "csv" and "group" in header else None
    wanted = [i for i, h in enumerate(header) if i not in (si, gi) and classify(h, key) is not None]
    series: dict[tuple[str, str | None], tuple[list[int], list[float]]] = {}
    line = 1
    try:
        for line, row in enumerate(rows, start=2):
            if len(row) <= si or not row[si].strip():
                continue
            where = Location(str(path), line)
            try:
                step = log_step(float(row[si]), where)
            except ValueError:
                raise LogError(f"step '{row[si]}' is not a number", location=where) from None
            group = row[gi].strip() if gi is not None and len(row) > gi else None
            for i in wanted:
                cell = row[i].strip() if i < len(row) else ""
                if not cell:
                    continue
                try:
                    value = float(cell)
                except ValueError:
                    raise LogError(f"{header[i]} '{cell}' is not a number", location=where) from None
                steps, values = series.setdefault((header[i], group), ([], []))
                steps.append(step)
                values.append(value)
    except csv.Error as exc:
        raise LogError(f"cannot read as CSV: {exc}", location=Location(str(path), line + 1)) from None
    raws = [Raw(run, k, np.array(s, dtype=np.int64), np.array(v, dtype=np.float64), group=g)
            for (k, g), (s, v) in series.items()]
    unended = line > 1 and not text.endswith(("\n", "\r"))  # a live run's last row, maybe cut short
    return raws, [h for i, h in enumerate(header) if i not in (si, gi)], step_col, unended
