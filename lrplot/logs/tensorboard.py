"""TensorBoard event files: every record read and CRC-checked here, its events kept by TensorBoard's own ``EventAccumulator``.

A run is a folder holding ``events.out.tfevents.*`` files (TensorBoard's own definition); a log
folder may hold several runs (``runs/exp1/version_0``, HF's ``runs/<date>_<host>``), each becomes its
own traces. Every scalar is kept (``size_guidance`` 0: no reservoir sampling). Scalars are stored as
float32 (``simple_value``, or a float32 tensor from ``tf.summary``), so ``verify`` compares them
with the plan rounded to float32.

Records are read here, not by TensorBoard's loader: it stops silently at the first record whose
CRC fails (it takes it for a run still writing), so one flipped bit would truncate the log and the
verdict would read "follows the plan". A record whose length or data fails its CRC is an error at
``file:byte offset``; with ``--log-skip-corrupt`` it is skipped and every verdict names it. Only a
last record cut short (a run still writing, or killed) ends a file quietly, as TensorBoard does.
Tensors that are not scalars are never expanded (a 200-byte record may declare gigabytes).

Steps: the HF Trainer's ``train/learning_rate`` is logged at ``global_step`` after the update that
used it (lrplot step = s - 1); Lightning's LearningRateMonitor tags (``lr-AdamW``, ``lr-AdamW/pg1``,
``lr-AdamW-momentum``) and plain loops log the lr of update s at step s. See :mod:`lrplot.logs`.
"""

from __future__ import annotations

import os
import stat
import struct
from pathlib import Path
from typing import TYPE_CHECKING, Iterator

import numpy as np

from ..errors import Location
from ..limits import MAX_LOG_FOLDER_DEPTH
from . import LogError, Raw, build_curves, log_step, walk

if TYPE_CHECKING:  # pragma: no cover
    from ..curves import Curves

MARK = "tfevents"
LOOKS_FOR = {"tensorboard": "TensorBoard events"}
FINDS = {"tensorboard": "TensorBoard event files"}


def _event_files(folder: Path) -> list[Path]:
    return walk(folder, lambda name: MARK in name, MAX_LOG_FOLDER_DEPTH)


def find(folder: Path, fmt: str) -> Path | None:
    return folder if _event_files(folder) else None


def detect_file(path: Path, fmt: str) -> bool:
    return MARK in path.name


def _accumulator():
    try:
        from tensorboard.backend.event_processing import event_accumulator
    except ImportError:
        raise LogError("reading TensorBoard logs needs the tensorboard package",
                       hint="pip install '.[tensorboard]' in the lrplot checkout (or pip install tensorboard)") from None
    return event_accumulator


class Budget:
    """The bytes of event files one --log may read, all runs together."""

    def __init__(self) -> None:
        from ..limits import MAX_EVENTS_BYTES

        self.left = MAX_EVENTS_BYTES
        self.limit = MAX_EVENTS_BYTES


def records(path: Path, budget: Budget, skip_corrupt: bool, damaged: list[str]) -> Iterator[bytes]:
    """The records of one event file (TFRecord framing: length, its masked CRC-32C, data, its
    masked CRC-32C), each checked; the file is recorded as read (no output may replace it)."""
    from tensorboard.compat.tensorflow_stub.pywrap_tensorflow import masked_crc32c

    from ..reads import record

    where = Location(str(path))
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0))
    except OSError as exc:
        raise LogError(f"cannot read: {exc.strerror or exc}", location=where) from None
    with os.fdopen(fd, "rb") as fh:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            raise LogError("is not a regular file, not a TensorBoard event file", location=where)
        budget.left -= info.st_size
        if budget.left < 0:
            raise LogError(f"the TensorBoard event files of this log are more than {budget.limit / 1e6:.3g} MB; "
                           f"a log is read with at most {budget.limit / 1e6:.3g} MB of events", location=where,
                           hint="name one run folder or event file")
        record(path, "a TensorBoard event file", info)
        offset, n = 0, 0
        while True:
            head = fh.read(12)
            if len(head) < 12:
                return  # the end, or a last record cut short (a run still writing)
            length, head_crc = struct.unpack("<QI", head)
            if masked_crc32c(head[:8]) != head_crc:
                problem = f"record {n} at byte {offset}: its length fails its CRC check (the file is corrupt)"
                if not skip_corrupt:
                    raise LogError(problem, location=where, hint="pass --log-skip-corrupt to read the records "
                                   "before it (every verdict then names what was skipped)")
                damaged.append(f"{path}: {problem}; the rest of the file from byte {offset} skipped")
                return
            if length > info.st_size - offset - 16:
                return  # a last record cut short (its length is sound, its data not all there)
            data = fh.read(length)
            tail = fh.read(4)
            if len(data) < length or len(tail) < 4:
                return  # cut short
            if masked_crc32c(data) != struct.unpack("<I", tail)[0]:
                problem = f"record {n} at byte {offset}: its data fails its CRC check (the file is corrupt)"
                if not skip_corrupt:
                    raise LogError(problem, location=where, hint="pass --log-skip-corrupt to skip it (every "
                                   "verdict then names it)")
                damaged.append(f"{path}: {problem}; skipped")
            else:
                yield data
            offset += 16 + length
            n += 1


class _Events:
    """EventAccumulator's source of events: the records of a run's event files (in name order,
    as TensorBoard's DirectoryWatcher reads them), parsed as Event protos."""

    def __init__(self, files: list[Path], budget: Budget, skip_corrupt: bool, damaged: list[str]):
        self.files, self.budget, self.skip_corrupt, self.damaged = files, budget, skip_corrupt, damaged

    def Load(self) -> Iterator[object]:  # noqa: N802 - TensorBoard's loader interface
        from google.protobuf.message import DecodeError
        from tensorboard.compat.proto import event_pb2

        for file in self.files:
            for data in records(file, self.budget, self.skip_corrupt, self.damaged):
                try:
                    yield event_pb2.Event.FromString(data)
                except (DecodeError, RecursionError):  # a sound CRC over bytes that are no event
                    problem = "a record that is not a TensorBoard event"
                    if not self.skip_corrupt:
                        raise LogError(problem, location=Location(str(file)),
                                       hint="pass --log-skip-corrupt to skip it") from None
                    self.damaged.append(f"{file}: {problem}; skipped")


def _scalar(proto: object) -> float | None:
    """The value of a scalar tensor proto, or None for anything else: the declared shape is looked
    at before anything is expanded."""
    from tensorboard.util import tensor_util

    if len(proto.tensor_shape.dim) != 0:  # type: ignore[attr-defined]
        return None
    array = tensor_util.make_ndarray(proto)
    if array.ndim != 0 or array.dtype.kind not in "fiu":
        return None
    return array


def read_run(target: Path, budget: Budget | None = None, skip_corrupt: bool = False,
             damaged: list[str] | None = None) -> tuple[dict[str, tuple[np.ndarray, np.ndarray]], str]:
    """Every scalar tag of one run (a folder of event files, or one file): {tag: (steps, values)}
    and the storage dtype."""
    ea = _accumulator()
    guidance = {ea.SCALARS: 0, ea.TENSORS: 0, ea.HISTOGRAMS: 1, ea.IMAGES: 1, ea.AUDIO: 1,
                ea.COMPRESSED_HISTOGRAMS: 1}
    files = [target] if target.is_file() else sorted(p for p in target.iterdir() if MARK in p.name and p.is_file())
    acc = ea.EventAccumulator(str(target), size_guidance=guidance)
    acc._generator = _Events(files, budget or Budget(), skip_corrupt, damaged if damaged is not None else [])
    try:
        acc.Reload()
    except LogError:
        raise
    except Exception as exc:  # TensorBoard raises its own errors for events it cannot take
        raise LogError(f"TensorBoard cannot read these events: {type(exc).__name__}: {exc}",
                       location=Location(str(target))) from None
    tags = acc.Tags()
    out: dict[str, tuple[np.ndarray, np.ndarray]] = {}
    dtype = "float32"
    where = Location(str(target))
    for tag in tags.get("scalars", []):
        events = acc.Scalars(tag)
        out[tag] = (np.fromiter((log_step(e.step, where, f"{tag}: step") for e in events), dtype=np.int64,
                                count=len(events)),
                    np.fromiter((e.value for e in events), dtype=np.float64, count=len(events)))
    for tag in tags.get("tensors", []):
        if tag in out:
            continue
        events = acc.Tensors(tag)
        arrays = [_scalar(e.tensor_proto) for e in events]
        if not arrays or any(a is None for a in arrays):
            continue
        if any(a.dtype == np.float64 for a in arrays):
            dtype = "float64"
        out[tag] = (np.array([log_step(e.step, where, f"{tag}: step") for e in events], dtype=np.int64),
                    np.array(arrays, dtype=np.float64))
    return out, dtype


def read(path: Path, fmt: str, key: str | None, *, skip_corrupt: bool = False) -> "Curves":  # noqa: F821
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
    budget = Budget()
    damaged: list[str] = []
    for run, target in runs.items():
        tags, kind = read_run(target, budget, skip_corrupt, damaged)
        dtype = "float64" if kind == "float64" else dtype
        found.extend(tags)
        raws.extend(Raw(run if len(runs) > 1 else "", tag, s, v) for tag, (s, v) in tags.items())
    return build_curves(raws, fmt, path, dtype, key=key, found=found, damaged=damaged)
