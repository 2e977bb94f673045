"""A plain spec's ``budget:``: the run's length said the way people think of it, counted the Hugging
Face Trainer's way (:mod:`lrplot.budget`, shared with the HF/TRL readers), and its numbers usable
in scheduler arguments by name.

``budget: {epochs, dataset_size, batch_size (per device), accumulation, devices, drop_last,
warmup_ratio | warmup_steps}`` gives the spec's ``steps`` and ``steps_per_epoch`` (written into the
spec, so ``--print-spec`` shows them and reads back as the same spec) and a :class:`~lrplot.budget.Budget`
for the summary. A string value that is exactly ``${name}`` anywhere in the spec is one of
:data:`NAMES`, resolved here (never evaluated; lrplot does no arithmetic on it). ``--dataset-size``,
``--devices`` and ``--batch-size`` fill what a spec's budget does not hold, and must agree with what it holds.
"""

from __future__ import annotations

import re
from typing import Any

from pydantic import ConfigDict, Field, ValidationError, field_serializer

from ..budget import (CONVENTION, WARMUP_CONVENTION, WORLD_DEFAULT, Budget, BudgetInputs, Note, Told, assumption,
                      per_epoch_text, total_updates, warmup_updates)
from ..errors import Location, SpecError, UsageError
from ..limits import MAX_BUDGET_NUMBER
from ..text import did_you_mean
from ..yamlio import KeyPath, SourceMap
from .base import _Model
from .translate import translate

# The names a spec may use as ${name}, each with what it is (README and the schema say the same).
NAMES: dict[str, str] = {
    "total_steps": "optimizer updates of the whole run (the schedule's steps)",
    "steps_per_epoch": "optimizer updates per epoch (the schedule's steps_per_epoch)",
    "warmup_steps": "warmup updates (budget.warmup_steps, or budget.warmup_ratio of the total, rounded up)",
    "decay_steps": "total_steps - warmup_steps (what follows the warmup)",
    "epochs": "budget.epochs, when it is a whole number",
}
REFERENCE = re.compile(r"^\$\{\s*([^{}]*?)\s*\}$")
_INSIDE = re.compile(r"\$\{[^{}]*\}")


class BudgetSpec(_Model):
    """The step budget as people think of it; the Hugging Face Trainer's counting (lrplot.budget)."""

    epochs: float | None = Field(None, gt=0, le=MAX_BUDGET_NUMBER, strict=True, description=(
        "Passes over the training set; may be fractional (updates = ceil(epochs x updates per epoch)). "
        "Needs dataset_size and batch_size."))
    dataset_size: int | None = Field(None, gt=0, le=MAX_BUDGET_NUMBER, strict=True, description=(
        "Training examples (or --dataset-size)."))
    batch_size: int | None = Field(None, gt=0, le=MAX_BUDGET_NUMBER, strict=True, description=(
        "Examples per batch on one device (or --batch-size)."))
    accumulation: int = Field(1, gt=0, le=MAX_BUDGET_NUMBER, strict=True, description=(
        "Batches per optimizer update (gradient accumulation); a last partial window is an update."))
    devices: int = Field(1, gt=0, le=MAX_BUDGET_NUMBER, strict=True, description=(
        "World size, devices x nodes (or --devices); the batches are sharded as accelerate does."))
    drop_last: bool = Field(False, strict=True, description=(
        "Drop the last partial batch (dataloader_drop_last); default false: it is a batch."))
    warmup_ratio: float | None = Field(None, ge=0, lt=1, strict=True, description=(
        "Warmup as a share of the total updates, rounded up: ${warmup_steps}."))
    warmup_steps: int | None = Field(None, ge=0, le=MAX_BUDGET_NUMBER, strict=True, description=(
        "Warmup updates: ${warmup_steps}."))

    @field_serializer("epochs")
    def _whole_epochs(self, epochs: float | None) -> float | int | None:
        """``epochs: 3`` is written back as 3, not 3.0."""
        return int(epochs) if epochs is not None and epochs.is_integer() else epochs


BUDGET_DESCRIPTION = (
    "The run's length the way people think of it: epochs, dataset_size, batch_size (per device), accumulation, "
    "devices, drop_last, warmup_ratio or warmup_steps; counted as the Hugging Face Trainer does. Gives steps and "
    "steps_per_epoch; any value written ${name} is one of: " + ", ".join(NAMES) + ".")


class _BudgetOnly(_Model):
    """The budget section validated on its own, before the rest (which it fills in)."""

    model_config = ConfigDict(extra="ignore", frozen=True)
    budget: BudgetSpec | None = None


def resolve(data: dict[str, Any], source: SourceMap, inputs: BudgetInputs | None) -> tuple[Budget | None, list[Note]]:
    """Count the budget of spec ``data`` (edited in place: ``steps``, ``steps_per_epoch``, the
    command line's numbers written into ``budget``, and every ``${name}`` replaced by its number);
    the Budget and the notes for the summary."""
    budget, notes = None, []
    numbers = {"total_steps": _whole(data.get("steps")), "steps_per_epoch": _whole(data.get("steps_per_epoch"))}
    if data.get("budget") is not None:
        try:
            spec: Any = _BudgetOnly.model_validate({"budget": data["budget"]}).budget
        except ValidationError as exc:
            raise translate(exc, {"budget": data["budget"]}, source) from None
        spec = _with_inputs(data, spec, source, inputs or BudgetInputs())
        budget, notes = _count(data, spec, source)
        numbers = {"total_steps": budget.updates,
                   "steps_per_epoch": budget.updates_per_epoch or _whole(data.get("steps_per_epoch")),
                   "warmup_steps": budget.warmup,  # the key is there with a budget, its value or not
                   "epochs": int(spec.epochs) if spec.epochs is not None and spec.epochs.is_integer() else None}
        if budget.warmup is not None:
            numbers["decay_steps"] = budget.updates - budget.warmup
    _substitute(data, (), source, numbers, data.get("budget"))
    return budget, notes


def _whole(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _with_inputs(data: dict, spec: BudgetSpec, source: SourceMap, inputs: BudgetInputs) -> BudgetSpec:
    """The command line's numbers where the budget does not hold them (written into ``data``, so
    the spec printed back holds them); a different number than the budget holds is an error."""
    given = {}
    flags = (("dataset_size", "--dataset-size", inputs.dataset_size), ("devices", "--devices", inputs.devices),
             ("batch_size", "--batch-size", inputs.batch_size))
    for key, flag, value in flags:
        if value is None:
            continue
        if key in spec.model_fields_set and getattr(spec, key) != value:
            raise UsageError(f"{flag} {value}: the spec's budget holds {key}: {getattr(spec, key)} "
                             f"({source.value(('budget', key))})", hint=f"change it with --set budget.{key}={value}")
        if key not in spec.model_fields_set:
            data["budget"][key] = value
            source.override(("budget", key), Location(f"{flag} {value}"))
            given[key] = value
    return spec.model_copy(update=given) if given else spec


def _count(data: dict, spec: BudgetSpec, source: SourceMap) -> tuple[Budget, list[Note]]:
    """The Trainer's arithmetic on the budget's numbers, and the spec's steps / steps_per_epoch
    filled in (or checked against it)."""
    at = lambda key: source.value(("budget", key))  # noqa: E731
    given = spec.model_fields_set
    told = [Told(key.replace("_", " "), getattr(spec, key), _origin(source, key))
            for key in ("dataset_size", "batch_size", "devices", "accumulation", "epochs") if key in given]
    notes: list[Note] = []
    per_epoch = None
    if spec.dataset_size is not None or spec.batch_size is not None:
        missing = "batch_size" if spec.batch_size is None else "dataset_size" if spec.dataset_size is None else None
        if missing is not None:
            present = "dataset_size" if missing == "batch_size" else "batch_size"
            flag = "--batch-size B" if missing == "batch_size" else "--dataset-size N"
            raise SpecError(f"budget.{present} counts updates only with budget.{missing}", location=at(present),
                            hint=f"add budget.{missing} (or {flag})")
        batches, per_epoch, head = per_epoch_text(spec.dataset_size, spec.batch_size, spec.devices, spec.drop_last,
                                                  spec.accumulation)
        if batches == 0:
            raise SpecError(f"{spec.dataset_size} examples make no full batch of {spec.batch_size} x {spec.devices} "
                            "with drop_last: there is nothing to train on", location=at("batch_size"))
        if "drop_last" not in given and spec.dataset_size % (spec.batch_size * spec.devices):
            notes.append(assumption("the last partial batch is a batch (drop_last: false, the Trainer's default); "
                                    "set budget.drop_last", settle="budget.drop_last"))
    else:
        unused = [key for key in ("epochs", "accumulation", "devices", "drop_last") if key in given]
        if unused:
            raise SpecError(f"budget.{unused[0]} counts nothing without budget.dataset_size and budget.batch_size",
                            location=at(unused[0]), hint="add them (or --dataset-size N and --batch-size B)")
    steps = data.get("steps")
    if spec.epochs is not None and per_epoch is not None:
        total = total_updates(spec.epochs, per_epoch)
        text = f"{head.replace(' updates per epoch', ' updates')} x {spec.epochs:g} epoch" \
               f"{'' if spec.epochs == 1 else 's'} = {total} updates"
        decided, where = "budget.epochs", at("epochs")
        if isinstance(steps, int) and not isinstance(steps, bool) and steps != total:
            raise SpecError(f"steps: {steps} disagrees with the budget ({text})", location=source.value(("steps",)),
                            hint="remove steps, or budget.epochs")
    elif isinstance(steps, int) and not isinstance(steps, bool):
        total = steps
        text = f"{head}; steps = {steps} updates" if per_epoch is not None else f"steps = {steps} updates"
        decided, where = "steps", source.value(("steps",))
    else:
        where = at("warmup_ratio" if "warmup_ratio" in given else "warmup_steps" if "warmup_steps" in given
                   else "dataset_size")
        raise SpecError("the budget gives no run length", location=where,
                        hint="add budget.epochs, or steps: N (optimizer updates)")
    if per_epoch is not None:
        given_upe = data.get("steps_per_epoch")
        if isinstance(given_upe, int) and not isinstance(given_upe, bool) and given_upe != per_epoch:
            raise SpecError(f"steps_per_epoch: {given_upe} disagrees with the budget ({head})",
                            location=source.value(("steps_per_epoch",)), hint="remove steps_per_epoch")
    warmup = None
    if spec.warmup_steps is not None and spec.warmup_ratio is not None:
        raise SpecError("give budget.warmup_steps or budget.warmup_ratio, not both", location=at("warmup_ratio"))
    if spec.warmup_ratio is not None:
        warmup = warmup_updates(spec.warmup_ratio, total)
        text += f"; warmup {spec.warmup_ratio * 100:g}% = {warmup}"
    elif spec.warmup_steps is not None:
        warmup = spec.warmup_steps
        text += f"; warmup {warmup} steps"
    if warmup is not None and isinstance(total, int) and warmup > total:
        key = "warmup_ratio" if spec.warmup_ratio is not None else "warmup_steps"
        raise SpecError(f"budget.{key} gives {warmup} warmup updates, more than the run's {total}", location=at(key))
    if per_epoch is not None:
        text += f" ({CONVENTION})"
    elif spec.warmup_ratio is not None:
        text += f" ({WARMUP_CONVENTION})"
    world = None
    if per_epoch is not None and "devices" not in given and decided == "budget.epochs":  # lrplot's 1, named
        told.append(Told("devices", 1, WORLD_DEFAULT))
        world = "accelerate shards each epoch's batches over the processes (BatchSamplerShard)"
    made = Budget(text, total, per_epoch, warmup=warmup, told=tuple(told), decided_by=decided, where=where,
                  world=world)
    if "steps" not in data:
        data["steps"] = total
        source.override(("steps",), where)
    if per_epoch is not None and "steps_per_epoch" not in data:
        data["steps_per_epoch"] = per_epoch
        source.override(("steps_per_epoch",), at("batch_size"))
    return made, notes


def _origin(source: SourceMap, key: str) -> str:
    where = str(source.value(("budget", key)))
    return where.split(" ")[0] if where.startswith("--") else f"budget.{key}"


def _substitute(node: Any, path: KeyPath, source: SourceMap, numbers: dict[str, int | None], skip: Any) -> None:
    """Replace every ``${name}`` value below ``node`` by its number, in place (a schedule of
    ``schedules:`` uses its own steps and steps_per_epoch where it has them)."""
    if node is skip and skip is not None:
        return
    if isinstance(node, dict):
        if len(path) == 2 and path[0] == "schedules":
            numbers = dict(numbers)
            for name, key in (("total_steps", "steps"), ("steps_per_epoch", "steps_per_epoch")):
                if _whole(node.get(key)) is not None:
                    numbers[name] = node[key]
        items: Any = list(node.items())
    elif isinstance(node, list):
        items = list(enumerate(node))
    else:
        return
    if not path:  # a key the spec does not have is refused by name, not for a ${...} in its value
        from .models import Spec

        items = [(k, v) for k, v in items if k in Spec.model_fields]
    for key, value in items:
        here = path + (key,)
        if isinstance(value, str) and "${" in value:
            node[key] = _number(value, here, source, numbers)
        else:
            _substitute(value, here, source, numbers, skip)


def _number(text: str, path: KeyPath, source: SourceMap, numbers: dict[str, int | None]) -> Any:
    match = REFERENCE.match(text)
    if match is None:
        if path == ("title",) or not _INSIDE.search(text):
            return text
        raise SpecError(f"{text!r}: a budget name is a whole value, on which lrplot does no arithmetic",
                        location=source.value(path), hint="write e.g. T_max: ${decay_steps}")
    name = match.group(1)
    if name not in NAMES:
        near = did_you_mean(name, NAMES)
        raise SpecError(f"unknown budget name '{name}'", location=source.value(path),
                        hint=(near + " " if near else "") + "known: " + ", ".join(NAMES))
    value = numbers.get(name)
    if value is None:
        raise SpecError(f"${{{name}}} has no value here: {_why(name, 'warmup_steps' in numbers)}",
                        location=source.value(path), hint=_fix(name))
    return value


def _why(name: str, budget: bool) -> str:
    if name in ("warmup_steps", "decay_steps", "epochs") and not budget:
        return "the spec has no budget: section"
    if name in ("warmup_steps", "decay_steps"):
        return "the spec's budget gives no warmup"
    if name == "epochs":
        return "the spec's budget gives no whole number of epochs"
    return f"the spec gives no {'steps' if name == 'total_steps' else 'steps_per_epoch'}"


def _fix(name: str) -> str:
    return {"total_steps": "add steps: N, or a budget: with epochs, dataset_size and batch_size",
            "steps_per_epoch": "add steps_per_epoch: N, or a budget: with dataset_size and batch_size",
            "warmup_steps": "add budget.warmup_steps or budget.warmup_ratio",
            "decay_steps": "add budget.warmup_steps or budget.warmup_ratio",
            "epochs": "write budget.epochs as a whole number"}[name]
