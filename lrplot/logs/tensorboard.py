"""TensorBoard event files, read with TensorBoard's own ``EventAccumulator`` (never by hand).

A run is a folder holding ``events.out.tfevents.*`` files (TensorBoard's own definition); a log
folder may hold several runs (``runs/exp1/version_0``, HF's ``runs/<date>_<host>``), each becomes its
own traces. Every scalar is kept (``size_guidance`` 0: no reservoir sampling). Scalars are stored as
float32 (``simple_value``, or a float32 tensor from ``tf.summary``), so ``verify`` compares them
with the plan rounded to float32.

Steps: the HF Trainer's ``train/learning_rate`` is logged at ``global_step`` after the update that
used it (lrplot step = s - 1); Lightning's LearningRateMonitor tags (``lr-AdamW``, ``lr-AdamW/pg1``,
``lr-AdamW-momentum``) and plain loops log the lr of update s at step s. See :mod:`lrplot.logs`.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from ..errors import Location
from . import LogError, Raw, build_curves

MARK = "tfevents"
LOOKS_FOR = {"tensorboard": "TensorBoard events"}
FINDS = {"tensorboard": "TensorBoard event files"}


def _event_files(folder: Path) -> list[Path]:
    return sorted(p for p in folder.rglob(f"*{MARK}*") if p.is_file())


def find(folder: Path, fmt: str) -> Path | None:
    return folder if _event_files(folder) else None


def detect_file(path: Path, fmt: str) -> bool:
    return MARK in path.name


def _accumulator():
    try:
        from tensorboard.backend.event_processing import event_accumulator
    except ImportError:
        raise LogError("reading TensorBoard logs needs the tensorboard package",
                       hint="pip install 'lrplot[tensorboard]'") from None
    return event_accumulator


def read_run(target: Path) -> tuple[dict[str, tuple[np.ndarray, np.ndarray]], str]:
    """Every scalar tag of one run (a folder of event files, or one file): {tag: (steps, values)}
    and the storage dtype."""
    ea = _accumulator()
    guidance = {ea.SCALARS: 0, ea.TENSORS: 0, ea.HISTOGRAMS: 1, ea.IMAGES: 1, ea.AUDIO: 1,
                ea.COMPRESSED_HISTOGRAMS: 1}
    acc = ea.EventAccumulator(str(target), size_guidance=guidance)
    try:
        acc.Reload()
    except Exception as exc:  # TensorBoard raises its own errors for corrupt records
        raise LogError(f"TensorBoard cannot read these events: {type(exc).__name__}: {exc}",
                       location=Location(str(target))) from None
    tags = acc.Tags()
    out: dict[str, tuple[np.ndarray, np.ndarray]] = {}
    dtype = "float32"
    for tag in tags.get("scalars", []):
        events = acc.Scalars(tag)
        out[tag] = (np.fromiter((e.step for e in events), dtype=np.int64, count=len(events)),
                    np.fromiter((e.value for e in events), dtype=np.float64, count=len(events)))
    for tag in tags.get("tensors", []):
        if tag in out:
            continue
        from tensorboard.util import tensor_util

        events = acc.Tensors(tag)
        arrays = [tensor_util.make_ndarray(e.tensor_proto) for e in events]
        if not arrays or any(a.ndim != 0 or a.dtype.kind not in "fiu" for a in arrays):
            continue
        if any(a.dtype == np.float64 for a in arrays):
            dtype = "float64"
        out[tag] = (np.array([e.step for e in events], dtype=np.int64), np.array(arrays, dtype=np.float64))
    return out, dtype


def read(path: Path, fmt: str, key: str | None) -> "Curves":  # noqa: F821
    if path.is_file():
        runs = {"": path}
    else:
        folders = sorted({p.parent for p in _event_files(path)})
        if not folders:
            raise LogError("no TensorBoard event files (events.out.tfevents.*) in this folder",
                           location=Location(str(path)))
        runs = {str(f.relative_to(path)) if f != path else "": f for f in folders}
    raws: list[Raw] = []
    dtype = "float32"
    found: list[str] = []
    for run, target in runs.items():
        tags, kind = read_run(target)
        dtype = "float64" if kind == "float64" else dtype
        found.extend(tags)
        raws.extend(Raw(run if len(runs) > 1 else "", tag, s, v) for tag, (s, v) in tags.items())
    return build_curves(raws, fmt, path, dtype, key=key, found=found)
