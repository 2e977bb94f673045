"""TensorBoard event files: every record read and CRC-checked here, the scalars kept as TensorBoard's ``EventAccumulator`` keeps them.

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

Speed: records are framed and CRC-checked in bulk (:mod:`.tfrecord`, a C CRC-32C) and scalar
events read in bulk (:mod:`.tbscalars`, EventAccumulator's purge rules applied), equal to what
EventAccumulator reads (tests/test_logs_tbfast.py); a run that does not declare ``file_version`` 2
first (older purge rules) is read by EventAccumulator itself. bench/bench_logs.py measures both.

Steps: the HF Trainer's ``train/learning_rate`` is logged at ``global_step`` after the update that
used it (lrplot step = s - 1); Lightning's LearningRateMonitor tags (``lr-AdamW``, ``lr-AdamW/pg1``,
``lr-AdamW-momentum``) and plain loops log the lr of update s at step s. See :mod:`lrplot.logs`.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Iterator

import numpy as np

from ..errors import Location
from ..limits import MAX_LOG_FOLDER_DEPTH
from .folders import ByteAllowance
from . import LogError, Raw, build_curves, log_step, walk

if TYPE_CHECKING:  # pragma: no cover
    from ..curves import Curves
    from .tfrecord import Frames

MARK = "tfevents"
SKIPS_CORRUPT = True  # --log-skip-corrupt: records that fail their CRC
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


def allowance() -> ByteAllowance:
    """The bytes of event files one --log may read, all runs together."""
    from ..limits import MAX_EVENTS_BYTES

    return ByteAllowance(MAX_EVENTS_BYTES, "a TensorBoard event file", "the TensorBoard event files",
                         hint="name one run folder or event file")


def records(path: Path, budget: ByteAllowance, skip_corrupt: bool, damaged: list[str]) -> tuple[bytes, "Frames"]:
    """The bytes of one event file and its sound records (TFRecord framing: length, its masked
    CRC-32C, data, its masked CRC-32C), each checked. A corrupt record is an error at its byte
    offset; with ``skip_corrupt`` it is skipped and named in ``damaged``."""
    from .tfrecord import frames

    buf = budget.read(path)
    found = frames(buf)
    problems = [(n, at, f"record {n} at byte {at}: its data fails its CRC check (the file is corrupt)",
                 "pass --log-skip-corrupt to skip it (every verdict then names it)", "skipped")
                for n, at in found.bad_data]
    if found.bad_length is not None:
        n, at = found.bad_length
        problems.append((n, at, f"record {n} at byte {at}: its length fails its CRC check (the file is corrupt)",
                         "pass --log-skip-corrupt to read the records before it (every verdict then names what "
                         "was skipped)", f"the rest of the file from byte {at} skipped"))
    for n, at, problem, hint, what in sorted(problems):
        if not skip_corrupt:
            raise LogError(problem, location=Location(str(path)), hint=hint)
        damaged.append(f"{path}: {problem}; {what}")
    return buf, found


def _data(buf: bytes, found: "Frames") -> Iterator[bytes]:
    for start, length in zip(found.starts.tolist(), found.lengths.tolist()):
        yield buf[start:start + length]


class _Events:
    """EventAccumulator's source of events: the records of a run's event files (in name order,
    as TensorBoard's DirectoryWatcher reads them), parsed as Event protos."""

    def __init__(self, files: list[Path], budget: ByteAllowance, skip_corrupt: bool, damaged: list[str]):
        self.files, self.budget, self.skip_corrupt, self.damaged = files, budget, skip_corrupt, damaged

    def Load(self) -> Iterator[object]:  # noqa: N802 - TensorBoard's loader interface
        from google.protobuf.message import DecodeError
        from tensorboard.compat.proto import event_pb2

        for file in self.files:
            for data in _data(*records(file, self.budget, self.skip_corrupt, self.damaged)):
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


def _fast_run(files: list[Path], target: Path, budget: ByteAllowance, skip_corrupt: bool,
              damaged: list[str]) -> tuple[dict[str, tuple[np.ndarray, np.ndarray]], str] | None:
    """What :func:`_accumulated` returns, read in bulk (:mod:`.tbscalars`); None for a run whose
    first event does not declare ``file_version`` 2 (EventAccumulator's older purge rules apply)."""
    from google.protobuf.message import DecodeError
    from tensorboard.backend.event_processing.event_util import ParseFileVersion
    from tensorboard.compat.proto import event_pb2

    from .tbscalars import Items, bulk

    items = Items()
    starts: list[tuple[int, int]] = []  # SessionLog.START: (record index in the run, step)
    bad_tensor: list[tuple[int, int, int]] = []  # (record index, tag index, step): a tensor that is no scalar
    first_seen: int | None = None
    first_bulk: int | None = None
    base = 0
    for file in files:
        buf, found = records(file, budget, skip_corrupt, damaged)
        order = base + found.numbers
        base += int(found.numbers[-1]) + 1 if len(found.numbers) else 0
        rest = bulk(buf, found.starts, found.lengths, order, items)
        done = np.ones(len(order), bool)
        done[rest] = False
        if done.any():
            first_bulk = int(order[done].min()) if first_bulk is None else first_bulk
        for pos in rest.tolist():
            start, n = int(found.starts[pos]), int(found.lengths[pos])
            try:
                event = event_pb2.Event.FromString(buf[start:start + n])
            except (DecodeError, RecursionError):
                problem = "a record that is not a TensorBoard event"
                if not skip_corrupt:
                    raise LogError(problem, location=Location(str(file)), hint="pass --log-skip-corrupt to skip it")
                damaged.append(f"{file}: {problem}; skipped")
                continue
            index = int(order[pos])
            if first_seen is None:
                first_seen = index
                if not event.HasField("file_version") or ParseFileVersion(event.file_version) < 2:
                    return None
            if event.HasField("file_version") and ParseFileVersion(event.file_version) < 2:
                return None
            if event.HasField("session_log") and event.session_log.status == event_pb2.SessionLog.START:
                starts.append((index, event.step))
            if not event.HasField("summary"):
                continue
            for value in event.summary.value:
                if value.HasField("simple_value"):
                    items.add(value.tag, False, [index], [event.step], [value.simple_value], False)
                elif value.HasField("tensor"):
                    tag = value.tag or value.node_name
                    array = _scalar(value.tensor)
                    if array is None:
                        bad_tensor.append((index, items.names.setdefault((tag, True), len(items.names)), event.step))
                        continue
                    items.add(tag, True, [index], [event.step], [float(array)], array.dtype == np.float64)
    if first_bulk is not None and (first_seen is None or first_bulk < first_seen):
        return None  # the first event is a scalar: no file_version before it
    return _kept(items, starts, bad_tensor, target)


def _kept(items, starts, bad_tensor, target: Path) -> tuple[dict[str, tuple[np.ndarray, np.ndarray]], str]:
    """The values EventAccumulator keeps: purged by every later SessionLog.START at a step <= theirs;
    scalar tags first, then tensor tags whose every value is a scalar, each in first-seen order."""
    from ..limits import MAX_LOG_STEP

    if not items.names:
        return {}, "float32"
    cat = (lambda parts, dt: np.concatenate(parts) if parts else np.zeros(0, dt))
    order, tags = cat(items.order, np.int64), cat(items.tags, np.int64)
    steps, values = cat(items.steps, np.int64), cat(items.values, np.float64)
    sort = np.argsort(order, kind="stable")
    order, tags, steps, values = order[sort], tags[sort], steps[sort], values[sort]
    first = {}
    for i in range(len(items.names)):
        hit = np.flatnonzero(tags == i)
        first[i] = int(order[hit[0]]) if len(hit) else None
    for index, t, _ in bad_tensor:
        first[t] = index if first.get(t) is None else min(first[t], index)
    keep = np.ones(len(order), bool)
    if starts:
        at = np.array([a for a, _ in starts], np.int64)
        floor = np.minimum.accumulate(np.array([s for _, s in starts], np.int64)[::-1])[::-1]
        nxt = np.searchsorted(at, order, side="right")
        later = nxt < len(at)
        keep[later] = steps[later] < floor[nxt[later]]
        bad_tensor = [(i, t, st) for i, t, st in bad_tensor if not any(a > i and s <= st for a, s in starts)]
    where = Location(str(target))
    out: dict[str, tuple[np.ndarray, np.ndarray]] = {}
    dtype = "float32"
    names = sorted(items.names.items(), key=lambda kv: (kv[0][1], first[kv[1]] if first[kv[1]] is not None else 0))
    broken = {t for _, t, _ in bad_tensor}
    for (tag, tensor), i in names:
        mask = keep & (tags == i)
        if tensor and (tag in out or i in broken or not mask.any()):
            continue
        s, v = steps[mask], values[mask]
        wrong = np.flatnonzero((s < 0) | (s > MAX_LOG_STEP))
        if len(wrong):
            log_step(int(s[wrong[0]]), where, f"{tag}: step")
        if tensor and i in items.wide:
            dtype = "float64"
        out[tag] = (s, v)
    return out, dtype


def read_run(target: Path, budget: ByteAllowance | None = None, skip_corrupt: bool = False,
             damaged: list[str] | None = None) -> tuple[dict[str, tuple[np.ndarray, np.ndarray]], str]:
    """Every scalar tag of one run (a folder of event files, or one file): {tag: (steps, values)}
    and the storage dtype, as EventAccumulator reads them: in bulk where the run declares
    ``file_version`` 2 first (every writer since 2016), else by EventAccumulator itself."""
    _accumulator()  # the tensorboard package, or one line saying how to install it
    budget = budget or allowance()
    damaged = damaged if damaged is not None else []
    files = [target] if target.is_file() else sorted(p for p in target.iterdir() if MARK in p.name and p.is_file())
    left, named = budget.left, len(damaged)
    fast = _fast_run(files, target, budget, skip_corrupt, damaged)
    if fast is not None:
        return fast
    budget.left, damaged[named:] = left, []  # read again, by EventAccumulator
    return _accumulated(files, target, budget, skip_corrupt, damaged)


def _accumulated(files: list[Path], target: Path, budget: ByteAllowance, skip_corrupt: bool,
                 damaged: list[str]) -> tuple[dict[str, tuple[np.ndarray, np.ndarray]], str]:
    """Every scalar tag of one run, by TensorBoard's own EventAccumulator (its events from the
    records read and checked here)."""
    ea = _accumulator()
    guidance = {ea.SCALARS: 0, ea.TENSORS: 0, ea.HISTOGRAMS: 1, ea.IMAGES: 1, ea.AUDIO: 1,
                ea.COMPRESSED_HISTOGRAMS: 1}
    acc = ea.EventAccumulator(str(target), size_guidance=guidance)
    acc._generator = _Events(files, budget, skip_corrupt, damaged)
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
    budget = allowance()
    damaged: list[str] = []
    for run, target in runs.items():
        tags, kind = read_run(target, budget, skip_corrupt, damaged)
        dtype = "float64" if kind == "float64" else dtype
        found.extend(tags)
        raws.extend(Raw(run if len(runs) > 1 else "", tag, s, v) for tag, (s, v) in tags.items())
    from .conventions import written_by

    # torchtitan 0.2.2's plain "lr" at its 1-based step, named by its other tags
    return build_curves(raws, fmt, path, dtype, key=key, found=found, damaged=damaged,
                        rule=written_by(found, "tensorboard"))
