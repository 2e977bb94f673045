"""The lrplot spec itself, as a reader: the fallback kind when no training config is recognised."""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..errors import Location, SpecError
from ..spec import spec_from_data

if TYPE_CHECKING:  # pragma: no cover
    from ..imports import Allowance
    from .protocol import BudgetInputs, Document, Source

KIND = "lrplot"
LOOKS_FOR = "an lrplot spec: 'scheduler:' or 'schedules:'"
FOLLOWS = "lrplot's own spec"
DOCS = "docs/getting-started.rst"  # README's table links the kind to it


def detect(doc: Document) -> bool:
    data = doc.data
    return isinstance(data, dict) and ("scheduler" in data or "schedules" in data)


def read(doc: Document, inputs: BudgetInputs, *, allow_import: Allowance) -> Source:
    from . import Source

    from ..yamlio import refuse_unprintable

    refuse_unprintable(doc.source)
    data = doc.data
    if data is None:
        if doc.path.suffix == ".py":
            raise SpecError("a Python file is not an lrplot spec", location=Location(str(doc.path)),
                            hint="MMEngine configs are read with --from mmengine")
        if not doc.overrides:
            raise SpecError("the spec is empty", location=Location(str(doc.path)),
                            hint="write at least 'scheduler: {type: CosineAnnealingLR, T_max: 100}'")
        data = {}
        from ..spec import apply_override

        for item in doc.overrides:
            apply_override(data, doc.source, item)
    spec = spec_from_data(data, doc.source, file=doc.path, inputs=inputs)
    return Source(KIND, spec, budget=spec.step_budget, notes=spec.budget_notes + _metric_default(spec, data))


def _metric_default(spec, data: dict) -> tuple:
    """A metric-driven scheduler (ReduceLROnPlateau) whose spec gives no ``metric``: it is fed the default, its
    own lr, which decides the whole curve (a drop on a fixed beat), so the figure and summary name it."""
    from ..facts import facts_of
    from .protocol import assumption

    entries = data.get("schedules") if isinstance(data.get("schedules"), list) else [{}]
    for schedule, entry in zip(spec.schedule_list(), entries):
        given = "metric" in data or (isinstance(entry, dict) and "metric" in entry)
        node = next((n for n in schedule.schedulers if facts_of(n).metric_driven), None)
        if node is not None and not given:
            return (assumption(f"{node.type} is fed its own lr (metric's default): it drops on a fixed beat, "
                               "a staircase, not training", settle="metric:"),)
    return ()
