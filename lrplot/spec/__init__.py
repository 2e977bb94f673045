"""The spec: what a YAML file asks lrplot to simulate, read, overridden and validated.

``load_spec(path)`` reads a file with :mod:`lrplot.yamlio`, applies ``--set`` overrides, validates
it and returns a :class:`Spec` that remembers where every value came from, so that any later
stage (building the torch scheduler, evaluating an expression, reading a metric CSV) can report
``file:line:col``. Loading a spec never imports torch. The models are in :mod:`.models`, bounded
file reading in :mod:`.files`, ``--set`` in :mod:`.overrides`, pydantic's errors in lrplot's words
in :mod:`.translate`, the rules between keys in :mod:`.rules`.
"""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from ..budget import BudgetInputs
from ..errors import Location, SpecError
from ..yamlio import KeyPath, SourceMap, check_data, load_yaml
from .budget import resolve
from .files import read_input, read_text
from .models import (METRIC_DESCRIPTION, SCHEDULER_DESCRIPTION, Metric, MetricCsv, OptimizerSpec, ParamGroupSpec,
                     ResolvedSchedule, ScheduleEntry, SchedulerNode, Spec, is_import_path, json_schema)
from .overrides import SET_FORMS, apply_override, delete_key
from .translate import translate


def load_spec(path: str | Path, overrides: list[str] | tuple[str, ...] = ()) -> Spec:
    """Load and validate the spec file at ``path``; ``overrides`` are ``key.path=value`` texts."""
    path = Path(path)
    if path.is_dir():
        raise SpecError("is a directory, not a spec file", location=Location(str(path)))
    return parse_spec(read_text(path), str(path), overrides, file=path)


def parse_spec(text: str | dict[str, Any], name: str = "<spec>", overrides: list[str] | tuple[str, ...] = (),
               *, file: Path | None = None, inputs: BudgetInputs | None = None) -> Spec:
    """Validate spec text, or a dict of spec keys as a file would hold them (``name`` is used in
    error locations; a dict's are key paths: ``<spec>:scheduler.T_max``); ``inputs``: the
    command line's budget numbers, for a ``budget:`` section."""
    if not isinstance(text, str):  # a dict (anything else is refused as not a mapping)
        check_data(text, name)  # the limits of a file: size, depth, no cycle
        return spec_from_data(text, SourceMap(name, by_path=True), overrides, file=file, inputs=inputs)
    data, source = load_yaml(text, name)
    if data is None:
        data = {}
        if not overrides:
            raise SpecError("the spec is empty", location=Location(name),
                            hint="write at least 'scheduler: {type: CosineAnnealingLR, T_max: 100}'")
    return spec_from_data(data, source, overrides, file=file, inputs=inputs)


def spec_from_data(data: Any, source: SourceMap | None = None, overrides: list[str] | tuple[str, ...] = (),
                   *, file: Path | None = None, inputs: BudgetInputs | None = None) -> Spec:
    """Validate already-loaded spec data. ``source`` says where each value came from (a spec
    file, or the training config a reader in :mod:`lrplot.sources` translated); without one,
    errors are located at ``<spec>``. ``overrides`` are ``key.path=value`` texts (``--set``);
    ``inputs``: the command line's budget numbers, for a ``budget:`` section (:mod:`.budget`)."""
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
    counted, notes = resolve(data, source, inputs)
    try:
        spec = Spec.model_validate(data)
    except ValidationError as exc:
        raise translate(exc, data, source) from None
    spec._counted, spec._budget_notes = counted, tuple(notes)
    spec._source = source
    spec._file = file if file is not None else (Path(name) if not name.startswith("<") else None)
    return spec


def _kind(value: Any) -> str:
    return {list: "list", str: "text", int: "number", float: "number", bool: "boolean"}.get(
        type(value), type(value).__name__)


__all__ = ["METRIC_DESCRIPTION", "SCHEDULER_DESCRIPTION", "KeyPath", "Metric", "MetricCsv", "OptimizerSpec",
           "ParamGroupSpec", "ResolvedSchedule", "SET_FORMS", "ScheduleEntry", "SchedulerNode", "Spec", "apply_override",
           "delete_key", "is_import_path", "json_schema", "load_spec", "parse_spec", "read_input", "read_text", "spec_from_data"]
