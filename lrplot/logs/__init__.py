"""Training logs -> Curves: the learning rate a run really logged, one small reader per format.

Every reader turns a log into :class:`~lrplot.curves.Curves`: one ScheduleTrace per run and
series (a TensorBoard run folder, a CSV file; a Lightning optimizer), its param groups from the
tags or columns (``lr-AdamW/pg1``, ``lr-AdamW/pg2``; a ``group`` column), ``lr`` and ``momentum``
as fields, and the steps the values were logged at in ``at`` (logs are sparse). Steps are moved to
lrplot's convention as the writing framework counts them, so that logged step t and plan step t are
the same update (the value at step t is the lr optimizer update t used, updates counted from 0): how
each writer counts is the table of :mod:`.conventions`, and which writer it was is recorded in
each trace's :class:`LogInfo` (the provenance). A loop that logs after ``scheduler.step()`` is one
step ahead: ``verify`` says "shifted by 1 step".

A reader is a module with the attributes of :class:`LogReader` (one module may read several
formats: :mod:`.csvlogs`), listed in :data:`FORMATS` (format -> module path, in detection order;
one line per format). Formats are recognised by content (``--log-format`` forces one; ``--log-key`` names the tag or
column when its name is not one of the usual ones). TensorBoard files are read with the protobuf
classes TensorBoard ships and a C CRC-32C (the optional extra ``tensorboard``), equal to TensorBoard's
EventAccumulator, imported only for TensorBoard logs.
"""

from __future__ import annotations

import importlib
import math
import os
import stat
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterable, Protocol, runtime_checkable

import numpy as np

from ..curves import Curves, ScheduleTrace
from ..errors import Location, SpecError, UsageError
from ..text import did_you_mean
from ..limits import MAX_LOG_SERIES, MAX_LOG_STEP, MAX_LOG_VALUES
from .conventions import OTHER_READING, Convention, convention
from .keys import KeyMeaning, classify, group_order

# format -> the reader's module (or, registered at run time, the reader itself), in detection order
FORMATS: dict[str, str | LogReader] = {
    "hf": "lrplot.logs.hf",
    "lightning-csv": "lrplot.logs.csvlogs",
    "wandb-csv": "lrplot.logs.csvlogs",
    "csv": "lrplot.logs.csvlogs",
    "mmengine": "lrplot.logs.mmengine",
    "mmengine-text": "lrplot.logs.mmengine",
    "torchtune": "lrplot.logs.torchtune",
    "tensorboard": "lrplot.logs.tensorboard",
    "wandb": "lrplot.logs.wandbrun",
    "mlflow": "lrplot.logs.mlflowstore",
}


class LogError(SpecError):
    """A log file lrplot cannot read, or without a learning-rate series."""


@runtime_checkable
class LogReader(Protocol):
    """A reader of one or more log formats (``fmt`` says which)."""

    LOOKS_FOR: dict[str, str]   # format -> what a file of it is: "trainer_state.json" (said when none matches)
    FINDS: dict[str, str]       # format -> what it looks for in a folder; only formats found in folders

    def find(self, folder: Path, fmt: str) -> Path | None:
        """The log of format ``fmt`` in ``folder`` (the file or run folder to read), or None."""

    def detect_file(self, path: Path, fmt: str) -> bool:
        """Cheaply, from the name and the first bytes: is this file a log of format ``fmt``?"""

    def read(self, path: Path, fmt: str, key: str | None) -> Curves:
        """The log's lr series (``key``: the tag or column ``--log-key`` names) as Curves, built by
        :func:`build_curves` (which records the provenance)."""


@dataclass(frozen=True)
class Raw:
    """One column or tag of a log, as written: the log's own steps and the values."""

    run: str                 # the run (a folder below the log, a file) or "" for the only one
    key: str                 # tag or column name
    steps: np.ndarray        # int64, the log's own step numbers
    values: np.ndarray       # float64
    group: str | None = None  # from a 'group' column


@dataclass(frozen=True)
class LogInfo:
    """How a logged trace was read: kept in ``ScheduleTrace.meta["log"]``."""

    format: str
    path: str
    dtype: str                       # float32 (TensorBoard, a float64 log of float32 numbers) | float64
    step_offset: int                 # the log's step minus lrplot's step (HF: 1)
    keys: dict[tuple[int, str], str] = field(default_factory=dict)  # (group, field) -> tag/column
    writer: str = ""                 # whose convention the steps follow (lrplot.logs.conventions)
    damaged: tuple[str, ...] = ()    # records skipped as corrupt (--log-skip-corrupt), each located
    axis: str = "updates"            # what the log's step counts: updates | samples | epochs | iterations
    per: int = 1                     # samples per update | updates per epoch; 0: not moved to updates yet
    other: tuple[str, int] | None = None  # another reading (writer, offset) when the log does not say which
    after: bool = False              # read after scheduler.step(): the last value is the lr of an update never run
    more: tuple[tuple[str, int], ...] = ()  # readings verify tries after ``other`` (ignite: the handlers' order)
    unended: bool = False            # its last line has no line end: a live run's record, maybe cut short
    placed: str = ""                 # how the reader placed steps the log itself does not (a W&B run resumed offline)
    resumes: tuple[str, int | None] | None = None  # a resumed run's later folder counting from 0 again: (earlier
    #                                                folder, its end); ("", None): its earlier folders not read
    assumed: str = ""                # what the steps were read with that nothing said, a clause after the log's name
    #                                  (the samples per update from its own step spacing; the writer verify took
    #                                  where the log does not record it): said under every figure

    def log_step(self, t: int) -> int:
        """The log's own step of lrplot step (update) ``t``."""
        if self.axis == "samples":
            return (t + self.step_offset) * self.per
        if self.axis == "epochs":
            return t // max(self.per, 1) + self.step_offset
        if self.axis == "iterations":  # MMEngine's with accumulative_counts: update t at iteration (t + 1) x per
            return (t + 1) * self.per
        return t + self.step_offset


def log_info(trace: ScheduleTrace) -> LogInfo:
    return trace.meta["log"]


# --- building traces -----------------------------------------------------------------------------

def stored_as(dtype: str, values: list[np.ndarray]) -> str:
    """How a series' values were stored: float32 when a float64 log holds only float32 numbers (a
    LightningModule's ``self.log`` makes a Python float a float32 tensor before its logger writes
    ``.item()``: 0.1 is logged 0.10000000149011612), so the plan is rounded to float32 to compare."""
    if dtype != "float64" or not values:
        return dtype
    with np.errstate(over="ignore", invalid="ignore"):
        exact = all(bool(np.all((v.astype(np.float32) == v) | ~np.isfinite(v))) for v in values)
    return "float32" if exact else dtype


def build_curves(raws: list[Raw], fmt: str, path: Path, dtype: str, *, key: str | None = None,
                 step: str = "step", found: Iterable[str] = (), damaged: Iterable[str] = (),
                 rule: Convention | None = None, other: Convention | None = None, unended: bool = False) -> Curves:
    """Group the lr-like keys of ``raws`` into traces: one per (run, series base), their steps
    moved to lrplot's by the convention of (``fmt``, the key, the ``step`` column they came from),
    or ``rule`` when the reader knows the writer (``other``: a second reading verify also tries,
    when the log does not say which writer wrote it). Steps counted in samples or epochs stay in
    the log's unit until :func:`.axes.to_updates` moves them. ``damaged``: the corrupt records
    skipped at the user's request, named by every verdict."""
    by_trace: dict[tuple[str, str], list[tuple[KeyMeaning, Raw]]] = {}
    for raw in raws:
        meaning = classify(raw.key, key)
        if meaning is None:
            continue
        if raw.group is not None:
            meaning = KeyMeaning(meaning.base, raw.group, meaning.field)
        by_trace.setdefault((raw.run, meaning.base), []).append((meaning, raw))
    if not by_trace or not any(m.field == "lr" for items in by_trace.values() for m, _ in items):
        keys = list(dict.fromkeys([*found, *(r.key for r in raws)]))
        shown = ", ".join(keys[:12]) + (f", ... ({len(keys)} in all)" if len(keys) > 12 else "")
        if key is not None:
            hint = did_you_mean(key, keys)
            raise LogError(f"no tag or column '{key}' in this {fmt} log; found: {shown or 'none'}",
                           location=Location(str(path)), hint=hint or "name one of them with --log-key")
        named = [repr(k) for k in keys if (m := classify(k, key)) is not None and m.field == "lr"]
        if named:  # an lr column with no value under it (a header alone), not a missing name
            raise LogError(f"the learning-rate series {', '.join(named[:3])} of this {fmt} log holds no logged value",
                           location=Location(str(path)), hint="verify it once the run has logged its lr")
        raise LogError(f"no learning-rate series in this {fmt} log; found: {shown or 'no series'}",
                       location=Location(str(path)), hint="name the lr tag or column with --log-key")
    series = sum(len(items) for items in by_trace.values())
    if series > MAX_LOG_SERIES:
        raise LogError(f"{series:,} learning-rate series (tags, columns or groups); a log is read with at most "
                       f"{MAX_LOG_SERIES:,}", location=Location(str(path)), hint="name one with --log-key")
    count = sum(len(raw.values) for items in by_trace.values() for _, raw in items)
    if count > MAX_LOG_VALUES:
        raise LogError(f"{count:,} logged learning-rate values; a log is read with at most {MAX_LOG_VALUES:,}",
                       location=Location(str(path)), hint="log less often, or cut the log")
    runs = {run for run, _ in by_trace}
    bases = {base for _, base in by_trace}
    traces = []
    for (run, base), items in by_trace.items():
        if not any(m.field == "lr" for m, _ in items):
            continue
        seen = {lbl: i for i, lbl in enumerate(dict.fromkeys(m.group for m, _ in items))}  # the log's order
        labels = sorted(seen, key=lambda lbl: (*group_order(lbl)[:2], seen[lbl]))
        index = {lbl: i for i, lbl in enumerate(labels)}
        groups = tuple(lbl if lbl is not None else "0" for lbl in labels)
        fields = tuple(f for f in ("lr", "momentum") if any(m.field == f for m, _ in items))
        values: dict[tuple[int, str], np.ndarray] = {}
        at: dict[tuple[int, str], np.ndarray] = {}
        keys: dict[tuple[int, str], str] = {}
        # the convention of the key as written (Composer's lr-AdamW/group0 is not Lightning's lr-AdamW/pg1)
        used = rule or convention(fmt, next(raw.key for m, raw in items if m.field == "lr"), step)
        readings = [(r.writer, r.offset) for r in ((other,) if other is not None else OTHER_READING.get(used, ()))]
        shift = used.offset if used.axis == "updates" else 0
        for m, raw in items:
            g = index[m.group]
            if len(raw.steps) < 2 or bool(np.all(raw.steps[1:] > raw.steps[:-1])):  # in order, once each
                at[(g, m.field)], values[(g, m.field)] = raw.steps - shift if shift else raw.steps, raw.values
            else:
                order = np.argsort(raw.steps, kind="stable")
                steps = raw.steps[order] - shift
                vals = raw.values[order]
                # a step logged twice (a resumed run writing over its own tail): keep the last value
                last = np.r_[steps[1:] != steps[:-1], True]
                values[(g, m.field)] = vals[last]
                at[(g, m.field)] = steps[last]
            keys[(g, m.field)] = raw.key if raw.group is None else f"{raw.key} (group {raw.group})"
        name = " · ".join(p for p in (run if len(runs) > 1 else "", base if len(bases) > 1 or not run else "") if p)
        end = max(int(a[-1]) + 1 for a in at.values() if len(a))
        traces.append(ScheduleTrace(
            name=name or base, scheduler=f"logged ({fmt})", steps=end, interval="step", steps_per_epoch=None,
            groups=groups, fields=fields, values=values, source=str(path),
            meta={"log": LogInfo(fmt, str(path), stored_as(dtype, [raw.values for _, raw in items]), used.offset, keys, used.writer, tuple(damaged), used.axis,
                                 1 if used.axis == "updates" else 0,
                                 readings[0] if readings else None, used.lr == "next", tuple(readings[1:]),
                                 unended)},
            at=at, style="points"))
    return Curves(tuple(traces), title=None)


# --- finding and reading files ------------------------------------------------------------------

def log_step(value: object, where: Location, what: str = "step") -> int:
    """A step as a log wrote it (an int, or a float with an integral value): a count of updates,
    0 .. 2**53 (beyond, a float step is no longer exact and no run is that long)."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise LogError(f"{what} {value!r} is not a number", location=where)
    if isinstance(value, float) and not (math.isfinite(value) and value.is_integer()):
        raise LogError(f"{what} {value!r} is not a whole number", location=where)
    if value < 0:
        raise LogError(f"{what} {int(value)} is negative; a log's steps count updates from 0", location=where)
    if value > MAX_LOG_STEP:
        shown = repr(value) if len(repr(value)) <= 24 else f"{repr(value)[:20]}... ({len(repr(value))} digits)"
        raise LogError(f"{what} {shown} is beyond any run's length (at most 2**53)", location=where)
    return int(value)


def walk(folder: Path, match: Callable[[str], bool], depth: int) -> list[Path]:
    """The files below ``folder`` (at most ``depth`` folders down; linked folders not followed)
    whose name ``match``es, in name order; a folder holding more than MAX_LOG_WALK entries in
    those levels is refused (``--log /`` never walks the disk)."""
    from ..limits import MAX_LOG_WALK

    found: list[Path] = []
    seen = 0
    stack = [(folder, 0)]
    while stack:
        current, level = stack.pop()
        try:
            with os.scandir(current) as entries:
                for entry in entries:
                    seen += 1
                    if seen > MAX_LOG_WALK:
                        raise LogError(f"more than {MAX_LOG_WALK:,} files and folders to look through for a log",
                                       location=Location(str(folder)), hint="name the run folder or the log file")
                    try:
                        if entry.is_dir(follow_symlinks=False):
                            if level < depth:
                                stack.append((Path(entry.path), level + 1))
                        elif match(entry.name):
                            found.append(Path(entry.path))
                    except OSError:
                        continue
        except OSError:  # a folder that vanished or cannot be listed (/proc): nothing of a log there
            continue
    return sorted(found)


def check_kind(path: Path) -> os.stat_result:
    """A log file must be a regular file: a pipe or a device is refused before it is opened."""
    try:
        info = os.stat(path)
    except FileNotFoundError:
        raise LogError("no such file or folder", location=Location(str(path))) from None
    except (OSError, ValueError) as exc:
        raise LogError(f"cannot read: {getattr(exc, 'strerror', None) or exc}", location=Location(str(path))) from None
    if not stat.S_ISREG(info.st_mode) and not stat.S_ISDIR(info.st_mode):
        kind = ("a pipe" if stat.S_ISFIFO(info.st_mode) else
                "a device" if stat.S_ISCHR(info.st_mode) or stat.S_ISBLK(info.st_mode) else "not a regular file")
        raise LogError(f"is {kind}, not a training log file", location=Location(str(path)),
                       hint="save the log to a file and name that")
    return info


def head_text(path: Path, size: int = 1 << 16) -> str | None:
    """The first ``size`` bytes of a regular file (``check_kind`` passed), as text without a
    UTF-8 BOM; None when it cannot be read. For detecting a format by its first bytes."""
    try:
        with path.open("rb") as fh:
            return fh.read(size).decode("utf-8-sig", errors="replace")
    except OSError:
        return None


def read_log_text(path: Path) -> str:
    """The text of a CSV or JSON log: bounded, recorded as read (no output may replace it)."""
    from ..limits import MAX_LOG_BYTES
    from ..spec import read_text

    check_kind(path)
    return read_text(path, "training log", MAX_LOG_BYTES)


# --- detection -----------------------------------------------------------------------------------

def reader(fmt: str) -> LogReader:
    """The reader of format ``fmt`` (its module imported on first use)."""
    entry = FORMATS[fmt]
    return importlib.import_module(entry) if isinstance(entry, str) else entry


def register(fmt: str, entry: str | LogReader) -> None:
    """Add a log format (a module path, or an object with :class:`LogReader`'s attributes), tried
    after the formats already known; it is then a ``--log-format`` choice."""
    obj = importlib.import_module(entry) if isinstance(entry, str) else entry
    if not isinstance(obj, LogReader) or fmt not in obj.LOOKS_FOR:
        raise TypeError(f"{obj!r} is not a log reader of {fmt!r}")
    FORMATS[fmt] = entry


def _and(items: list[str]) -> str:
    return items[0] if len(items) == 1 else f"{', '.join(items[:-1])} and {items[-1]}"


def detect(path: Path) -> tuple[str, Path]:
    """The format of a log file or folder, by content, and the file or folder to read."""
    if path.is_dir():
        in_folders = [fmt for fmt in FORMATS if fmt in reader(fmt).FINDS]
        for fmt in in_folders:  # the first format found wins: the exact ones come first
            target = reader(fmt).find(path, fmt)
            if target is not None:
                return fmt, target
        looked = _and([reader(fmt).FINDS[fmt] for fmt in in_folders])
        raise LogError(f"no training log in this folder (looked for {looked})", location=Location(str(path)),
                       hint="name the log file, or force a format with --log-format")
    check_kind(path)  # a pipe or a device is refused before any reader opens it
    for fmt in FORMATS:
        if reader(fmt).detect_file(path, fmt):
            return fmt, path
    from .csvlogs import unread_export

    export = unread_export(path)
    if export is not None:
        raise export
    looked = ", ".join(reader(fmt).LOOKS_FOR[fmt] for fmt in FORMATS)
    raise LogError(f"not a training log lrplot reads ({looked})", location=Location(str(path)),
                   hint="force a format with --log-format " + "|".join(FORMATS))


def selects_runs(fmt: str) -> bool:
    """Does ``--log-run`` choose a run of a ``fmt`` log (``SELECTS_RUNS``: True, or the formats it does for)?"""
    selects = getattr(reader(fmt), "SELECTS_RUNS", False)
    return selects is True or (not isinstance(selects, bool) and fmt in selects)


def load_log(path: str | Path, *, fmt: str | None = None, key: str | None = None,
             skip_corrupt: bool = False, run: str | None = None) -> Curves:
    """Read a training log (file or run folder) into Curves of its logged lr series. A corrupt
    record (TensorBoard, W&B; readers with ``SKIPS_CORRUPT``) is an error located at its file and
    byte offset or line; with ``skip_corrupt`` it is skipped, and named in the log's
    :class:`LogInfo` (``damaged``) and every verdict.
    ``run`` (``--log-run``) reads one run of a log holding several (readers with ``SELECTS_RUNS``)."""
    path = Path(path)
    if fmt is not None and fmt not in FORMATS:
        raise UsageError(f"--log-format {fmt}: unknown log format",
                         hint=did_you_mean(fmt, FORMATS) or f"use one of {', '.join(FORMATS)}")
    if fmt is None:
        fmt, target = detect(path)
    else:
        check_kind(path)
        target = path
        if path.is_dir():
            found = reader(fmt).find(path, fmt)
            if found is None:
                raise LogError(f"no {fmt} log in this folder", location=Location(str(path)))
            target = found
    options: dict[str, object] = {}
    if run is not None:
        if not selects_runs(fmt):
            chooses = ", ".join(f for f in FORMATS if selects_runs(f))
            raise UsageError(f"--log-run chooses one run of a log holding several ({chooses}); this is a {fmt} log",
                             hint="name the run's own folder or file instead")
        options["run"] = run
    if skip_corrupt and getattr(reader(fmt), "SKIPS_CORRUPT", False):
        options["skip_corrupt"] = True
    return reader(fmt).read(target, fmt, key, **options)
