"""What every figure of a plan says beside its curves: check's findings on a mis-sized or misleadingly
resumed schedule, each assumption a reader made that changes the curve, and the metric that drives a
metric-driven schedule. The pipeline (:mod:`lrplot.pipeline`), the library call, the gallery and the doc
figures all take them from :func:`figure_facts`, so a figure says the same wherever it is drawn.
"""

from __future__ import annotations

import re
from dataclasses import replace
from typing import TYPE_CHECKING, Any, Iterable

if TYPE_CHECKING:  # pragma: no cover
    from .curves import Curves
    from .imports import AllowImport
    from .sources import Source
    from .spec import Spec

_CITATION = re.compile(r"\s*\([^()]*\.py:\d+[^()]*\)")  # "(lightning/pytorch/cli.py:682, ...)": the summary has it
PLOT_RULES = ("no-anneal", "short-schedule", "long-warmup", "idle", "rebound", "last-epoch")  # mis-sized, or not as resumed


def plan_findings(specs: "list[Spec]", curves: "Curves", allow_import: AllowImport = None) -> list[Any]:
    """What ``lrplot check`` says of a mis-sized or misleadingly resumed schedule (:data:`PLOT_RULES`),
    found on the curves already simulated (``curves`` as :func:`lrplot.pipeline.simulate` returns them, in spec order)."""
    from .check import RULES, Context

    schedules = [schedule for spec in specs for schedule in spec.schedule_list()]
    return [finding for schedule, trace in zip(schedules, curves.schedules)
            for rule_id in PLOT_RULES for finding in RULES[rule_id].fn(Context(schedule, trace, allow_import))]


def footnotes(findings: Iterable[Any], sources: Iterable[Source] = ()) -> tuple[str, ...]:
    """The figure's footnote lines: each finding, then each assumption a reader made that changes
    the curve (with the key or flag that would settle it)."""
    lines = [f"\u26a0 {f.message} [{f.rule}]" for f in findings]
    for note in (n for source in sources for n in source.assumptions):
        text = _CITATION.sub("", note)
        lines.append(("" if "assum" in text.lower() else "assumed: ") + text
                     + (f" (set {note.settle} to change it)" if note.settle and note.settle not in text else ""))
    return tuple(dict.fromkeys(lines))


def with_metrics(specs: "list[Spec]", curves: "Curves") -> "Curves":
    """``curves`` with what drives each metric-driven schedule (a loss CSV, an expression) in its
    trace's ``meta["metric"]``: (steps, values, name), each value at the update whose lr it decides,
    as the engine feeds it (:func:`lrplot.engine.metric.metric_feed`). A schedule fed its own lr has
    nothing to add."""
    from .facts import facts_of
    from .spec import MetricCsv

    schedules = [schedule for spec in specs for schedule in spec.schedule_list()]
    traces = list(curves.schedules)
    for i, (schedule, trace) in enumerate(zip(schedules, curves.schedules)):
        node = next((n for n in schedule.schedulers if facts_of(n).metric_driven), None)
        if node is None or schedule.metric == "lr" or trace.steps < 2:
            continue
        from .engine.metric import metric_feed

        period = schedule.period(node)
        calls = (trace.steps - 1) // period
        feed = metric_feed(schedule, None, calls)
        values = [float(feed()) for _ in range(calls)]
        name = (schedule.metric.column or "metric") if isinstance(schedule.metric, MetricCsv) else str(schedule.metric)
        steps = [(k + 1) * period for k in range(calls)]  # fed after update (k+1)*period - 1
        traces[i] = replace(trace, meta={**trace.meta, "metric": (steps, values, name)})
    return replace(curves, schedules=tuple(traces))


def figure_facts(specs: "list[Spec]", curves: "Curves", sources: Iterable[Source] = (), *,
                 allow_import: AllowImport = None) -> "tuple[Curves, list[Any], tuple[str, ...]]":
    """What every figure of these specs shows beside the curves: the curves with their metrics
    (:func:`with_metrics`), check's findings (:func:`plan_findings`) and the footnote lines."""
    findings = plan_findings(specs, curves, allow_import)
    return with_metrics(specs, curves), findings, footnotes(findings, sources)
