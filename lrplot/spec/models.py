"""The spec's pydantic models: what a spec file may hold, and each schedule with its settings resolved.

Every model is frozen and refuses unknown keys with a did-you-mean; scheduler and optimizer nodes
pass their further keys through to torch (checked there, against torch's signatures).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any, Literal, Union

from pydantic import ConfigDict, Discriminator, Field, PrivateAttr, Tag, model_validator
from pydantic_core import PydanticCustomError

from ..errors import Location, SpecError
from ..limits import MAX_CSV_BYTES, MAX_STEPS
from ..yamlio import KeyPath, SourceMap
from .files import read_text
from .base import _Model
from .budget import BUDGET_DESCRIPTION, BudgetSpec
from .rules import RuleBroken, assign_positions, check
from .stepping import Stepping


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
    global_batch_size: int | None = Field(
        None, gt=0, strict=True,
        description="Megatron's OptimizerParamScheduler only: samples per update, what its trainer passes to "
                    "step(increment=...) after each update (the global batch size).")
    rampup_batch_size: list[int] | None = Field(
        None, min_length=3, max_length=3,
        description="Megatron's --rampup-batch-size [start, increment, ramp-up samples]: the global batch grows "
                    "to global_batch_size, as Megatron's num-microbatches calculator gives it.")
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


STEPPING_DESCRIPTION = (
    "A trainer that steps the scheduler its own way: accelerate (AcceleratedScheduler: num_processes "
    "steps per update) or composer (Composer's training time). Default: one step per update.")


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
    stepping: Stepping | None = Field(None, description=STEPPING_DESCRIPTION)


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
    budget: BudgetSpec | None = Field(None, description=BUDGET_DESCRIPTION)
    interval: Literal["step", "epoch"] = Field(
        "step", description="step: the scheduler steps after every update; epoch: once per epoch.")
    fields: list[str] = Field(
        default_factory=lambda: ["lr"], min_length=1,
        description="Param-group fields to record: lr, momentum (momentum or betas[0]), "
                    "weight_decay, betas[1], ...")
    metric: Metric = Field("lr", description=METRIC_DESCRIPTION)
    stepping: Stepping | None = Field(None, description=STEPPING_DESCRIPTION)

    _source: SourceMap = PrivateAttr(default_factory=lambda: SourceMap("<spec>"))
    _file: Path | None = PrivateAttr(default=None)
    _inputs: dict[Path, str] = PrivateAttr(default_factory=dict)
    _counted: Any = PrivateAttr(default=None)
    _budget_notes: tuple[str, ...] = PrivateAttr(default=())

    @property
    def source(self) -> SourceMap:
        return self._source

    @property
    def file(self) -> Path | None:
        """The spec file (None for a spec built in memory)."""
        return self._file

    @property
    def step_budget(self) -> Any:
        """The :class:`lrplot.budget.Budget` its ``budget:`` section counted (None without one)."""
        return self._counted

    @property
    def budget_notes(self) -> tuple[str, ...]:
        """What counting the budget assumed (:class:`lrplot.budget.Note`), for the summary."""
        return self._budget_notes

    @property
    def stem(self) -> str:
        """The file's name without its suffix: the schedule's name; a name that is not text (a byte no
        encoding decodes, a control character) is shown escaped (``bad\\udcff``), as lrplot prints it."""
        from ..text import printable

        return printable(self._file.stem) if self._file else "spec"

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

    def key_name(self, path: KeyPath) -> str:
        """The name of the spec key ``path`` as the user wrote it: the training config's own dotted
        name when its reader gives one, else the spec key's."""
        return self._source.name(path) or str(path[-1])

    def advise(self, path: KeyPath, default: str) -> str:
        """How to change the spec key ``path``: ``default`` (in spec keys), or what the reader of the
        training config this spec came from says in that config's own keys. ``{key}`` in ``default``
        is the key's name: the config's own dotted name when its reader gives one, else the spec key's."""
        return self._source.advise(path) or default.replace("{key}", self._source.name(path) or str(path[-1]))

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
        """A Spec from a mapping built in Python (the same checks and limits as a file; errors say ``<spec>``)."""
        from . import parse_spec

        return parse_spec(data, "<spec>", overrides)

    def model_post_init(self, context: Any, /) -> None:
        """Each scheduler node learns where it stands in the spec (its :attr:`SchedulerNode.path`),
        once, as the Spec that holds it is built (before the rules, which locate by it)."""
        assign_positions(self)

    @model_validator(mode="after")
    def _cross_key_rules(self) -> Spec:
        """Rules between keys, checked however a Spec is made (file, dict, ``model_validate``)."""
        try:
            check(self)
        except RuleBroken as exc:
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
    def stepping(self) -> Stepping | None:
        return self._get("stepping")

    @property
    def group_names(self) -> list[str]:
        groups = self.param_groups or [ParamGroupSpec()]
        return [g.name if g.name is not None else str(i) for i, g in enumerate(groups)]


def json_schema() -> dict[str, Any]:
    """The JSON Schema of spec files, generated from the models."""
    schema = Spec.model_json_schema()
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["title"] = "lrplot spec"
    return schema
