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

Cells are parsed with ``float``: exact float64 for what Python's csv writers write (``repr``).
"""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np

from ..errors import Location
from . import LogError, Raw, build_curves, classify

LOOKS_FOR = {"lightning-csv": "metrics.csv", "wandb-csv": "a W&B history CSV", "csv": "a step,lr CSV"}
FINDS = {"lightning-csv": "metrics.csv"}
_STEP_COLUMNS = {"lightning-csv": ("step",), "csv": ("step",),
                 "wandb-csv": ("trainer/global_step", "train/global_step", "_step")}


def _header(path: Path) -> list[str] | None:
    try:
        with path.open(newline="", encoding="utf-8") as fh:
            return next(csv.reader(fh), None)
    except (OSError, UnicodeDecodeError, csv.Error):
        return None


def _kind(header: list[str]) -> str | None:
    if "_step" in header:
        return "wandb-csv"
    if "step" not in header:
        return None
    if any(h.startswith("lr-") for h in header):
        return "lightning-csv"
    return "csv"


def find(folder: Path, fmt: str) -> Path | None:
    """The newest ``metrics.csv`` at most three folders down (CSVLogger writes NAME/version_N/)."""
    found = [p for pattern in ("metrics.csv", "*/metrics.csv", "*/*/metrics.csv", "*/*/*/metrics.csv")
             for p in folder.glob(pattern)]
    return max(found, key=lambda p: p.stat().st_mtime) if found else None


def detect_file(path: Path, fmt: str) -> bool:
    if path.suffix.lower() not in (".csv", ".tsv", ".txt"):
        return False
    header = _header(path)
    return header is not None and _kind(header) == fmt


def read(path: Path, fmt: str, key: str | None) -> "Curves":  # noqa: F821
    try:
        with path.open(newline="", encoding="utf-8") as fh:
            rows = list(csv.reader(fh))
    except (OSError, UnicodeDecodeError, csv.Error) as exc:
        raise LogError(f"cannot read as CSV: {exc}", location=Location(str(path))) from None
    if not rows:
        raise LogError("the file is empty", location=Location(str(path)))
    header = rows[0]
    step_col = next((c for c in _STEP_COLUMNS[fmt] if c in header), None)
    if step_col is None:
        raise LogError(f"no step column ({' or '.join(_STEP_COLUMNS[fmt])}) in the header", location=Location(str(path), 1),
                       hint="the first row must name the columns, e.g. step,lr")
    si = header.index(step_col)
    gi = header.index("group") if fmt == "csv" and "group" in header else None
    wanted = [i for i, h in enumerate(header) if i not in (si, gi) and classify(h, key) is not None]
    series: dict[tuple[str, str | None], tuple[list[int], list[float]]] = {}
    for line, row in enumerate(rows[1:], start=2):
        if len(row) <= si or not row[si].strip():
            continue
        try:
            step = int(float(row[si]))
        except ValueError:
            raise LogError(f"step '{row[si]}' is not a number", location=Location(str(path), line)) from None
        group = row[gi].strip() if gi is not None and len(row) > gi else None
        for i in wanted:
            cell = row[i].strip() if i < len(row) else ""
            if not cell:
                continue
            try:
                value = float(cell)
            except ValueError:
                raise LogError(f"{header[i]} '{cell}' is not a number", location=Location(str(path), line)) from None
            steps, values = series.setdefault((header[i], group), ([], []))
            steps.append(step)
            values.append(value)
    raws = [Raw("", k, np.array(s, dtype=np.int64), np.array(v, dtype=np.float64), group=g)
            for (k, g), (s, v) in series.items()]
    found = [h for i, h in enumerate(header) if i not in (si, gi)]
    return build_curves(raws, fmt, path, "float64", key=key, found=found, step=step_col)
