"""The spec: what a YAML file asks lrplot to simulate, as pydantic models.

``load_spec(path)`` reads a file with :mod:`lrplot.yamlio`, applies ``--set`` overrides, validates
it and returns a :class:`Spec` that remembers where every value came from, so that any later
stage (building the torch scheduler, evaluating an expression, reading a metric CSV) can report
``file:line:col``. Loading a spec never imports torch.
"""

from __future__ import annotations

import copy
import os
import re
import select
import stat
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any, Iterator, Literal, Union

from pydantic import (BaseModel, ConfigDict, Discriminator, Field, PrivateAttr, Tag, ValidationError,
                      model_validator)
from pydantic_core import PydanticCustomError

from .errors import Location, SpecError, UsageError
from .limits import MAX_CSV_BYTES, MAX_SPEC_BYTES, MAX_STEPS, PIPE_IDLE_SECONDS
from .text import did_you_mean
from .yamlio import KeyPath, SourceMap, format_path, load_yaml, parse_scalar


class _Model(BaseModel):
    """Base of the spec models: unknown keys are errors with a did-you-mean."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    @model_validator(mode="before")
    @classmethod
    def _reject_unknown_keys(cls, data: Any) -> Any:
        if isinstance(data, dict) and cls.model_config.get("extra") == "forbid":
            known = list(cls.model_fields)
            for key in data:
                if key not in cls.model_fields:
                    hint = did_you_mean(key, known) or f"known keys: {', '.join(known)}"
                    raise PydanticCustomError(
                        "unknown_key", "unknown key '{key}'; {hint}", {"key": key, "hint": hint}
                    )
        return data


class _Open(_Model):
    """A model whose extra keys are passed through to torch (validated there, against torch)."""

    model_config = ConfigDict(extra="allow", frozen=True)

    @property
    def options(self) -> dict[str, Any]:
        """The keys beyond the declared fields, in file order."""
        return dict(self.model_extra or {})


class OptimizerSpec(_Open):
    """Any ``torch.optim`` class by name, with its keyword arguments as further keys."""

    type: str = Field("SGD", description="Name of a torch.optim optimizer class, e.g. SGD, AdamW.")
    lr: float = Field(0.1, strict=True, description="Base learning rate, the default of every param group.")
    initial_lr: float | None = Field(
        None, strict=True, description="Set initial_lr in every param group (needed when a scheduler is built "
                          "with last_epoch, as in a resumed run).")


class ParamGroupSpec(_Open):
    """One param group: overrides of the optimizer's options (lr, weight_decay, initial_lr, ...)."""

    name: str | None = Field(None, description="Label in legends and exported data.")


class SchedulerNode(_Open):
    """A scheduler by name with its keyword arguments as further keys (``optimizer`` is implied)."""

    type: str = Field(description="A torch.optim.lr_scheduler class name (or SWALR), or an import path: "
                                  "'package.module:Name' or 'file.py:Name' (needs --allow-import).")
    schedulers: list[SchedulerNode] | None = Field(
        None, description="The nested schedulers of SequentialLR or ChainedScheduler.")
    interval: Literal["step", "epoch"] | None = Field(
        None, description="When this scheduler steps (a top-level scheduler only; default: the "
                          "schedule's interval): after every optimizer update, or at every epoch end.")
    frequency: int | None = Field(
        None, gt=0, strict=True,
        description="Step this scheduler after every N intervals (N updates, or N epochs) instead of "
                    "every one, as Lightning's 'frequency' does (a top-level scheduler only; default 1).")
    _path: KeyPath = PrivateAttr(default=())

    @property
    def path(self) -> KeyPath:
        """Where this scheduler stands in the spec file, e.g. ('scheduler', 'schedulers', 1)."""
        return self._path


def is_import_path(type_name: str) -> bool:
    """``package.module:Name`` or ``file.py:Name`` (built-in names never contain a colon)."""
    return ":" in type_name


class MetricCsv(_Model):
    """Real validation losses, one row per scheduler step."""

    csv: str = Field(description="Path of a CSV file, relative to the spec file.")
    column: str | None = Field(None, description="Column to read (default: the last column).")


Metric = Union[MetricCsv, str]
METRIC_DESCRIPTION = (
    "What ReduceLROnPlateau is fed at each step: 'lr' (the current lr of group 0, the classic "
    "plotting recipe), an expression of 'step' such as '1 / (1 + step)', or {csv, column}.")


SchedulerList = Annotated[list[SchedulerNode], Field(min_length=1)]
# One scheduler or a list; the discriminator picks the member by the value's shape, so an error
# speaks of the form the user wrote (not "should be a dictionary" for a bad list).
SchedulerField = Annotated[
    Union[Annotated[SchedulerNode, Tag("node")], Annotated[SchedulerList, Tag("list")]],
    Discriminator(lambda v: "list" if isinstance(v, list) else "node")]
SCHEDULER_DESCRIPTION = (
    "One scheduler, or a list of schedulers that all act on the same optimizer, each stepped in "
    "list order at its own interval and frequency (a per-update warmup beside a per-epoch "
    "MultiStepLR, as MMEngine configs and many hand-written loops do).")


class ScheduleEntry(_Model):
    """One named schedule of a comparison; unset keys fall back to the top level."""

    name: str
    scheduler: SchedulerField = Field(description=SCHEDULER_DESCRIPTION)
    steps: int | None = Field(None, gt=0, le=MAX_STEPS, strict=True)
    optimizer: OptimizerSpec | None = None
    param_groups: list[ParamGroupSpec] | None = Field(None, min_length=1)
    metric: Metric | None = Field(None, description=METRIC_DESCRIPTION)
    interval: Literal["step", "epoch"] | None = None
    steps_per_epoch: int | None = Field(None, gt=0, strict=True)
    fields: list[str] | None = Field(None, min_length=1, description=(
        "Param-group fields this schedule records (default: the spec's fields), e.g. weight_decay "
        "for an AdamW schedule beside an SGD one recording momentum."))


class Spec(_Model):
    """A whole spec file."""

    title: str | None = Field(None, description="Figure title (default: derived from the file).")
    steps: int | None = Field(
        None, gt=0, le=MAX_STEPS, strict=True,
        description="Optimizer updates to simulate; may be left out when the schedule defines its "
                    "own length (OneCycleLR total_steps, CosineAnnealingLR T_max, ...).")
    optimizer: OptimizerSpec = Field(default_factory=OptimizerSpec)
    param_groups: list[ParamGroupSpec] | None = Field(
        None, min_length=1, description="Per-group overrides, like optim.SGD([{...}, {...}], lr=...).")
    scheduler: SchedulerField | None = Field(None, description=SCHEDULER_DESCRIPTION)
    schedules: list[ScheduleEntry] | None = Field(None, min_length=1)
    steps_per_epoch: int | None = Field(None, gt=0, strict=True, description="Optimizer updates per epoch.")
    interval: Literal["step", "epoch"] = Field(
        "step", description="step: the scheduler steps after every update; epoch: once per epoch.")
    fields: list[str] = Field(
        default_factory=lambda: ["lr"], min_length=1,
        description="Param-group fields to record: lr, momentum (momentum or betas[0]), "
                    "weight_decay, betas[1], ...")
    metric: Metric = Field("lr", description=METRIC_DESCRIPTION)

    _source: SourceMap = PrivateAttr(default_factory=lambda: SourceMap("<spec>"))
    _file: Path | None = PrivateAttr(default=None)
    _inputs: dict[Path, str] = PrivateAttr(default_factory=dict)

    @property
    def source(self) -> SourceMap:
        return self._source

    @property
    def file(self) -> Path | None:
        """The spec file (None for a spec built in memory)."""
        return self._file

    @property
    def stem(self) -> str:
        return self._file.stem if self._file else "spec"

    @property
    def base_dir(self) -> Path:
        """Folder that relative paths in the spec (metric CSV, local modules) are relative to."""
        return self._file.parent if self._file else Path.cwd()

    def input_files(self) -> list[Path]:
        """Every file this spec reads besides itself (metric CSVs), in schedule order."""
        return [self.base_dir / s.metric.csv for s in self.schedule_list() if isinstance(s.metric, MetricCsv)]

    def read_input(self, path: Path) -> str:
        """The text of an input file of this spec, read once: the curve cache hashes and the
        simulation parses the very same text (a FIFO or a pipe can be read only once, and a file
        changed in between must not give a cache key for other content)."""
        if path not in self._inputs:  # the inputs beside a spec are its metric CSVs
            self._inputs[path] = read_text(path, "metric CSV", MAX_CSV_BYTES)
        return self._inputs[path]

    def locate(self, path: KeyPath) -> Location:
        return self._source.value(path)

    def locate_key(self, path: KeyPath) -> Location:
        return self._source.key(path)

    def error(self, message: str, path: KeyPath, hint: str | None = None, *, key: bool = False) -> SpecError:
        """A SpecError located at ``path`` in this spec (at the key when ``key``)."""
        return SpecError(message, hint=hint, location=self.locate_key(path) if key else self.locate(path))

    def schedule_list(self) -> list[ResolvedSchedule]:
        """Every schedule of the spec with the top-level defaults filled in."""
        if self.scheduler is not None:
            return [ResolvedSchedule(self, self.stem, _node_list(self.scheduler), ())]
        if self.schedules is None:  # not a validated spec: the model validator forbids it
            return []
        return [ResolvedSchedule(self, s.name, _node_list(s.scheduler), ("schedules", i))
                for i, s in enumerate(self.schedules)]

    @classmethod
    def from_dict(cls, data: dict[str, Any], overrides: list[str] | tuple[str, ...] = ()) -> Spec:
        """A Spec from a mapping built in Python (the same checks as a file; errors say ``<spec>``)."""
        return spec_from_data(data, None, overrides)

    @model_validator(mode="after")
    def _cross_key_rules(self) -> Spec:
        """Rules between keys, checked however a Spec is made (file, dict, ``model_validate``)."""
        try:
            _check(self)
        except _RuleBroken as exc:
            raise PydanticCustomError("cross_key", "{message}", {
                "message": exc.message, "path": exc.path, "hint": exc.hint, "key": exc.key}) from None
        return self


def _node_list(scheduler: SchedulerNode | list[SchedulerNode]) -> tuple[SchedulerNode, ...]:
    return tuple(scheduler) if isinstance(scheduler, list) else (scheduler,)


@dataclass(frozen=True)
class ResolvedSchedule:
    """One schedule to simulate, with every setting resolved (its own or the spec's).

    ``schedulers`` are the top-level scheduler nodes that act on the schedule's optimizer: one,
    or several when the spec lists them, each stepped at its own :meth:`period`."""

    spec: Spec
    name: str
    schedulers: tuple[SchedulerNode, ...]
    prefix: KeyPath

    @property
    def scheduler(self) -> SchedulerNode:
        """The first (usually the only) scheduler of the schedule."""
        return self.schedulers[0]

    @property
    def scheduler_label(self) -> str:
        """``CosineAnnealingLR``, or ``LinearLR + MultiStepLR`` for several schedulers."""
        return " + ".join(node.type for node in self.schedulers)

    def interval_of(self, node: SchedulerNode) -> str:
        """``step`` or ``epoch``: when ``node`` steps (its own interval, else the schedule's)."""
        return node.interval or self.interval

    def period(self, node: SchedulerNode) -> int:
        """Optimizer updates per scheduler step of ``node``: its frequency times 1 or steps_per_epoch."""
        per = (self.steps_per_epoch or 1) if self.interval_of(node) == "epoch" else 1
        return per * (node.frequency or 1)

    def _own(self) -> ScheduleEntry | None:
        return self.spec.schedules[self.prefix[1]] if self.prefix else None

    def _get(self, key: str) -> Any:
        own = self._own()
        value = getattr(own, key) if own is not None else None
        return getattr(self.spec, key) if value is None else value

    def where(self, key: str) -> KeyPath:
        """Spec path of the setting ``key`` as it applies to this schedule."""
        own = self._own()
        if own is not None and getattr(own, key) is not None:
            return self.prefix + (key,)
        return (key,)

    @property
    def steps(self) -> int | None:
        return self._get("steps")

    @property
    def optimizer(self) -> OptimizerSpec:
        return self._get("optimizer")

    @property
    def param_groups(self) -> list[ParamGroupSpec] | None:
        return self._get("param_groups")

    @property
    def metric(self) -> Metric:
        return self._get("metric")

    @property
    def interval(self) -> str:
        return self._get("interval")

    @property
    def steps_per_epoch(self) -> int | None:
        return self._get("steps_per_epoch")

    @property
    def fields(self) -> list[str]:
        return self._get("fields")

    @property
    def group_names(self) -> list[str]:
        groups = self.param_groups or [ParamGroupSpec()]
        return [g.name if g.name is not None else str(i) for i, g in enumerate(groups)]


# --- loading --------------------------------------------------------------------------------


def _size(n: int) -> str:
    return f"{n / 1e6:.3g} MB" if n >= 1_000_000 else f"{max(round(n / 1e3), 1)} kB"


def read_input(path: Path, what: str = "spec", limit: int = MAX_SPEC_BYTES) -> bytes:
    """The bytes of an input file the user named, at most ``limit``; every OS problem becomes
    one clear SpecError. Only regular files and pipes are read: the kind is checked with fstat
    on a descriptor opened with O_NONBLOCK (so a FIFO without a writer never blocks the open),
    and at most ``limit + 1`` bytes are ever read, so a device such as /dev/zero, a huge file or
    an endless pipe fails fast instead of filling memory."""
    where = Location(str(path))
    too_big = f"the {what} is more than {_size(limit)}; a {what} is at most {_size(limit)}"
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0))
    except FileNotFoundError:
        raise SpecError("no such file", location=where) from None
    except IsADirectoryError:
        raise SpecError(f"is a directory, not a {what} file", location=where) from None
    except PermissionError:
        raise SpecError("permission denied", location=where) from None
    except (OSError, ValueError) as exc:  # ValueError: a NUL in the name
        raise SpecError(f"cannot read: {getattr(exc, 'strerror', None) or exc}", location=where) from None
    try:
        info = os.fstat(fd)
        if stat.S_ISDIR(info.st_mode):
            raise SpecError(f"is a directory, not a {what} file", location=where)
        pipe = stat.S_ISFIFO(info.st_mode)
        if not (stat.S_ISREG(info.st_mode) or pipe):
            kind = "a device" if stat.S_ISCHR(info.st_mode) or stat.S_ISBLK(info.st_mode) else "not a regular file"
            raise SpecError(f"is {kind}, not a {what} file", hint=f"give the path of a {what} file",
                            location=where)
        if info.st_size > limit:
            raise SpecError(f"the {what} is {_size(info.st_size)}; a {what} is at most {_size(limit)}",
                            location=where)
        chunks: list[bytes] = []
        total = 0
        while total <= limit:
            # A FIFO nobody has opened for writing yet is not readable (Linux reports the end
            # only after a writer came and went): wait for one, a bounded time.
            if pipe and not select.select([fd], [], [], PIPE_IDLE_SECONDS)[0]:
                raise SpecError(f"the pipe gave no data for {PIPE_IDLE_SECONDS} s", location=where)
            try:
                chunk = os.read(fd, min(1 << 20, limit + 1 - total))
            except BlockingIOError:  # a pipe whose writer has not written yet
                if not select.select([fd], [], [], PIPE_IDLE_SECONDS)[0]:
                    raise SpecError(f"the pipe gave no data for {PIPE_IDLE_SECONDS} s", location=where) from None
                continue
            if not chunk:
                break
            chunks.append(chunk)
            total += len(chunk)
        if total > limit:
            raise SpecError(too_big, location=where)
        return b"".join(chunks)
    except OSError as exc:
        raise SpecError(f"cannot read: {exc.strerror or exc}", location=where) from None
    finally:
        os.close(fd)


def read_text(path: Path, what: str = "spec", limit: int = MAX_SPEC_BYTES) -> str:
    """Read a text file the user named (see :func:`read_input`), decoded as UTF-8."""
    data = read_input(path, what, limit)
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise SpecError(f"not a UTF-8 text file (byte {exc.start})", location=Location(str(path))) from None


def load_spec(path: str | Path, overrides: list[str] | tuple[str, ...] = ()) -> Spec:
    """Load and validate the spec file at ``path``; ``overrides`` are ``key.path=value`` texts."""
    path = Path(path)
    if path.is_dir():
        raise SpecError("is a directory, not a spec file", location=Location(str(path)))
    return parse_spec(read_text(path), str(path), overrides, file=path)


def parse_spec(text: str | dict[str, Any], name: str = "<spec>", overrides: list[str] | tuple[str, ...] = (),
               *, file: Path | None = None) -> Spec:
    """Validate spec text, or a dict of spec keys as a file would hold them (``name`` is used in
    error locations; a dict's are key paths: ``<spec>:scheduler.T_max``)."""
    if not isinstance(text, str):  # a dict (anything else is refused as not a mapping)
        return spec_from_data(text, SourceMap(name, by_path=True), overrides, file=file)
    data, source = load_yaml(text, name)
    if data is None:
        data = {}
        if not overrides:
            raise SpecError("the spec is empty", location=Location(name),
                            hint="write at least 'scheduler: {type: CosineAnnealingLR, T_max: 100}'")
    return spec_from_data(data, source, overrides, file=file)


def spec_from_data(data: Any, source: SourceMap | None = None, overrides: list[str] | tuple[str, ...] = (),
                   *, file: Path | None = None) -> Spec:
    """Validate already-loaded spec data. ``source`` says where each value came from (a spec
    file, or the training config a reader in :mod:`lrplot.sources` translated); without one,
    errors are located at ``<spec>``. ``overrides`` are ``key.path=value`` texts (``--set``)."""
    if source is None:
        source = SourceMap(str(file) if file is not None else "<spec>", by_path=True)
    name = source.path
    if not isinstance(data, dict):
        raise SpecError(f"a spec must be a mapping of keys, not a {_kind(data)}",
                        location=source.value(()),
                        hint="start with 'scheduler:' or 'schedules:'")
    data = copy.deepcopy(data)  # overrides edit it; the caller's data stays as it was
    for item in overrides:
        apply_override(data, source, item)
    try:
        spec = Spec.model_validate(data)
    except ValidationError as exc:
        raise _translate(exc, data, source) from None
    spec._source = source
    spec._file = file if file is not None else (Path(name) if not name.startswith("<") else None)
    return spec


def _kind(value: Any) -> str:
    return {list: "list", str: "text", int: "number", float: "number", bool: "boolean"}.get(
        type(value), type(value).__name__)


_PATH_PART = re.compile(r"([^.\[\]]+)|\[(\d+)\]")


def _parse_key_path(text: str) -> KeyPath:
    parts: list[Any] = []
    pos = 0
    for m in _PATH_PART.finditer(text):
        if m.start() != pos and text[pos:m.start()] != ".":
            raise ValueError
        pos = m.end()
        name, index = m.groups()
        parts.append(int(index) if index is not None else (int(name) if name.isdigit() else name))
    if pos != len(text) or not parts or not isinstance(parts[0], str):
        raise ValueError
    return tuple(parts)


SET_FORMS = "key.path=value (e.g. scheduler.T_max=50), or '~key.path' to delete a key"


def apply_override(data: dict, source: SourceMap, item: str, *, spec_keys: bool = True) -> None:
    """Apply one ``--set key.path=value`` to loaded data (value parsed with the YAML rules), or
    delete the key ``--set '~key.path'`` names (Hydra's spelling). ``spec_keys``: the data is an
    lrplot spec, so a path that sets must start at a spec key (a training config's keys are its
    framework's)."""
    key_text, sep, value_text = item.partition("=")
    key_text = key_text.strip()
    deleting = key_text.startswith("~")
    try:
        if bool(sep) == deleting:  # a value without '=' or a deletion with one
            raise ValueError
        path = _parse_key_path(key_text[1:] if deleting else key_text)
    except ValueError:
        raise UsageError(f"--set {item!r}: expected {SET_FORMS}") from None
    if deleting:
        delete_key(data, path, Location(f"--set {key_text}"))
        return
    where = Location(f"--set {key_text}")
    if spec_keys:
        _check_override_root(data, path, where)
    try:
        value = parse_scalar(value_text)
    except SpecError as exc:
        raise SpecError(f"cannot read the value: {exc.message}", location=where) from None
    node: Any = data
    for i, part in enumerate(path[:-1]):
        nxt = path[i + 1]
        if isinstance(node, dict) and isinstance(part, str):
            if part not in node or node[part] is None:
                node[part] = [] if isinstance(nxt, int) else {}
            node = node[part]
        elif isinstance(node, list) and isinstance(part, int):
            if not 0 <= part < len(node):
                raise SpecError(f"index {part} is out of range ({len(node)} items)", location=where)
            node = node[part]
        else:
            raise SpecError(f"'{format_path(path[:i + 1])}' cannot be indexed this way", location=where)
    last = path[-1]
    if isinstance(node, dict) and isinstance(last, str):
        node[last] = value
    elif isinstance(node, list) and isinstance(last, int) and 0 <= last < len(node):
        node[last] = value
    else:
        raise SpecError(f"'{format_path(path)}' does not name a value that can be set", location=where)
    source.override(path, where)


def delete_key(data: Any, path: KeyPath, where: Location) -> None:
    """Delete the key (or list item) at ``path`` of loaded data; refused at ``where`` when
    ``path`` names nothing, as Hydra refuses ``~key`` for a key the config does not have."""
    node = data
    for i, part in enumerate(path):
        last = i == len(path) - 1
        mapping = not isinstance(node, (list, str)) and hasattr(node, "keys")  # a dict or MMEngine's Config
        if mapping and isinstance(part, str) and part in node:
            if last:
                node.pop(part)
                return
        elif isinstance(node, list) and isinstance(part, int) and 0 <= part < len(node):
            if last:
                del node[part]
                return
        else:
            raise SpecError(f"'{format_path(path[:i + 1])}' is not in the input: nothing to delete", location=where)
        node = node[part]


def _find_key(data: Any, key: str, path: KeyPath = ()) -> KeyPath | None:
    """The first path in ``data`` whose last key is ``key`` (depth first), or None."""
    if isinstance(data, dict):
        if key in data:
            return path + (key,)
        items = data.items()
    elif isinstance(data, list):
        items = enumerate(data)
    else:
        return None
    for k, v in items:
        found = _find_key(v, key, path + (k,))
        if found is not None:
            return found
    return None


def _check_override_root(data: dict, path: KeyPath, where: Location) -> None:
    """A ``--set`` path must start at a key the spec can have, and at the form this spec uses:
    say what the user most likely meant instead of a confusing validation error later."""
    root = path[0]
    rest = format_path(path[1:])
    if root == "scheduler" and "schedules" in data and "scheduler" not in data:
        names = [s.get("name") for s in data["schedules"] if isinstance(s, dict)] if isinstance(
            data["schedules"], list) else []
        raise SpecError("this spec lists 'schedules:', so it has no top-level 'scheduler'", location=where,
                        hint=f"set one schedule's: --set schedules[0].scheduler{'.' + rest if rest else ''}=..."
                             + (f" (schedules: {', '.join(str(n) for n in names)})" if names else ""))
    if root == "schedules" and "scheduler" in data and "schedules" not in data:
        raise SpecError("this spec has one 'scheduler:', not a 'schedules:' list", location=where,
                        hint="set it with --set scheduler.KEY=VALUE")
    if root not in Spec.model_fields:
        found = _find_key(data, root)
        if found is not None:
            suggestion = format_path(found + tuple(path[1:]))
            hint = f"did you mean '{suggestion}'?"
        else:
            hint = did_you_mean(root, Spec.model_fields) or f"top-level keys: {', '.join(Spec.model_fields)}"
        raise SpecError(f"unknown key '{root}'", location=where, hint=hint)


def _data_path(data: Any, loc: tuple) -> KeyPath:
    """The part of a pydantic error location that walks the data (drops union member names)."""
    out: list[Any] = []
    node = data
    for part in loc:
        if isinstance(node, dict) and part in node:
            node = node[part]
            out.append(part)
        elif isinstance(node, list) and isinstance(part, int) and 0 <= part < len(node):
            node = node[part]
            out.append(part)
    return tuple(out)


_STRICT_NUMBERS = {"int_type": "int", "float_type": "float"}


def _translate(exc: ValidationError, data: Any, source: SourceMap) -> SpecError:
    """The most specific pydantic error, as one located SpecError."""
    best = None
    for err in exc.errors(include_url=False):
        path = _data_path(data, err["loc"])
        if err["type"] == "unknown_key":
            path = path + (err["ctx"]["key"],)
        rank = (len(path), err["type"] == "unknown_key")
        if best is None or rank > best[0]:
            best = (rank, path, err)
    assert best is not None
    _, path, err = best
    if err["type"] == "cross_key":
        ctx = err["ctx"]
        location = source.key(ctx["path"]) if ctx["key"] else source.value(ctx["path"])
        return SpecError(ctx["message"], hint=ctx["hint"], location=location)
    where = format_path(path)
    if err["type"] == "unknown_key":
        return SpecError(err["msg"], location=source.key(path))
    if err["type"] == "missing":
        missing = err["loc"][-1]
        return SpecError(f"{where + ': ' if where else ''}missing required key '{missing}'",
                         location=source.value(path))
    message = err["msg"]
    if err["type"] in _STRICT_NUMBERS:  # booleans and quoted numbers are not numbers
        from .argtypes import Expected, describe_value, suggestion

        expected = (Expected(_STRICT_NUMBERS[err["type"]]),)
        hint = suggestion(err["input"], expected)
        what = "an integer" if expected[0].kind == "int" else "a number"
        return SpecError(f"{where + ': ' if where else ''}expected {what}, got {describe_value(err['input'])}",
                         hint=hint, location=source.value(path))
    if err["type"].startswith(("literal_error", "enum")):
        message = message.replace("Input should be", "should be")
    else:
        message = message[0].lower() + message[1:]
    return SpecError(f"{where}: {message}" if where else message, location=source.value(path))


class _RuleBroken(Exception):
    """A cross-key rule the spec breaks, with where (a key path) and how to fix it."""

    def __init__(self, message: str, path: KeyPath, hint: str | None = None, key: bool = False):
        super().__init__(message)
        self.message, self.path, self.hint, self.key = message, tuple(path), hint, key


def _check(spec: Spec) -> None:
    """Rules between keys that pydantic's per-field types do not express."""
    if spec.scheduler is None and spec.schedules is None:
        raise _RuleBroken("the spec names no scheduler", (),
                          hint="add 'scheduler: {type: ...}' or a 'schedules:' list")
    if spec.scheduler is not None and spec.schedules is not None:
        raise _RuleBroken("give either 'scheduler' or 'schedules', not both", ("schedules",), key=True)
    if spec.schedules is not None:
        seen: dict[str, int] = {}
        for i, s in enumerate(spec.schedules):
            if s.name in seen:
                raise _RuleBroken(f"two schedules are named '{s.name}' (also schedules[{seen[s.name]}])",
                                  ("schedules", i, "name"), hint="give each schedule its own name")
            seen[s.name] = i
    for schedule in spec.schedule_list():
        listed = len(schedule.schedulers) > 1 or isinstance(
            spec.scheduler if not schedule.prefix else spec.schedules[schedule.prefix[1]].scheduler, list)
        for i, node in enumerate(schedule.schedulers):
            _assign_paths(node, schedule.prefix + (("scheduler", i) if listed else ("scheduler",)))
            for child in _descendants(node):
                for key in ("interval", "frequency"):
                    if getattr(child, key) is not None:
                        raise _RuleBroken(f"'{key}' applies to a top-level scheduler, not to one nested in "
                                          "SequentialLR or ChainedScheduler (its parent steps it)",
                                          child.path + (key,), hint=f"move '{key}' to the outer scheduler",
                                          key=True)
            if schedule.interval_of(node) == "epoch" and schedule.steps_per_epoch is None:
                where = node.path + ("interval",) if node.interval else schedule.where("interval")
                raise _RuleBroken("interval: epoch needs steps_per_epoch", where,
                                  hint="add 'steps_per_epoch: N' (optimizer updates per epoch)")
        groups = schedule.param_groups or []
        names = [g.name for g in groups if g.name is not None]
        if len(set(names)) != len(names):
            raise _RuleBroken("two param groups have the same name", schedule.where("param_groups"))
        for j, name in enumerate(schedule.fields):
            if schedule.fields.index(name) != j:
                raise _RuleBroken(f"field '{name}' is listed twice", schedule.where("fields") + (j,))
    for i, name in enumerate(spec.fields):
        if spec.fields.index(name) != i:
            raise _RuleBroken(f"field '{name}' is listed twice", ("fields", i))


def _descendants(node: SchedulerNode) -> Iterator[SchedulerNode]:
    for child in node.schedulers or []:
        yield child
        yield from _descendants(child)


def _assign_paths(sched: SchedulerNode, path: KeyPath) -> None:
    sched._path = path
    for i, child in enumerate(sched.schedulers or []):
        _assign_paths(child, path + ("schedulers", i))


def json_schema() -> dict[str, Any]:
    """The JSON Schema of spec files, generated from the models."""
    schema = Spec.model_json_schema()
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["title"] = "lrplot spec"
    return schema
