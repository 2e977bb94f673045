"""What ReduceLROnPlateau is fed at each step: its own lr, an expression of the step, or a CSV column."""

from __future__ import annotations

import csv
import io
import os
from functools import partial
from operator import getitem
from typing import Any, Callable, Iterable

from ..errors import Location, SpecError, first_line
from ..expr import compile_expression
from ..spec import MetricCsv, ResolvedSchedule, Spec
from ..text import did_you_mean


def read_metric_files(specs: Iterable[Spec]) -> None:
    """Read every metric CSV of ``specs`` now, before anything is simulated (or torch imported): a CSV
    that is missing, too big, a directory, a device or a pipe nobody writes fails at once, with the
    very line the simulation would have given. Read once (:meth:`lrplot.spec.Spec.read_input`): the
    cache and the simulation parse this same text."""
    for spec in specs:
        for schedule in spec.schedule_list():
            if isinstance(schedule.metric, MetricCsv):
                _metric_text(spec, schedule.metric, schedule.where("metric"))


def _metric_text(spec: Spec, metric: MetricCsv, where: tuple) -> str:
    path = spec.base_dir / metric.csv
    if not os.path.lexists(path):  # a symbolic link that leads nowhere is read, and says why
        raise spec.error(f"the metric CSV '{metric.csv}' does not exist (looked for {path.absolute()})", where + ("csv",),
                         hint="a metric CSV path is relative to the spec file's folder")
    return spec.read_input(path)  # the text the curve cache hashed (bounded: see Spec.read_input)


def read_metric_csv(spec: Spec, metric: MetricCsv, where: tuple) -> list[float]:
    path = spec.base_dir / metric.csv
    text = _metric_text(spec, metric, where)
    reader = csv.reader(io.StringIO(text))  # row by row: only the one column's numbers are kept
    try:
        header = next(reader, None)
        if header is None:
            raise SpecError("the metric CSV needs a header row and at least one value",
                            location=Location(str(path), 1))
        header = [h.strip() for h in header]
        column = metric.column if metric.column is not None else header[-1]
        if column not in header:
            hint = did_you_mean(column, header)
            raise spec.error(f"the metric CSV {metric.csv} has no column '{column}'", where + ("column",),
                             hint=hint or f"columns: {', '.join(header)}")
        index = header.index(column)
        values = []
        for row in reader:
            if not row or all(not c.strip() for c in row):
                continue
            cell = row[index].strip() if index < len(row) else ""
            try:
                values.append(float(cell))
            except ValueError:
                col = sum(len(c) + 1 for c in row[:index]) + 1
                shown = cell if len(cell) <= 40 else cell[:40] + "..."
                raise SpecError(f"'{shown}' in column '{column}' is not a number",
                                location=Location(str(path), reader.line_num, col),
                                hint="every row needs a numeric value") from None
    except csv.Error as exc:
        raise SpecError(f"not a valid CSV file: {first_line(exc)}", location=Location(str(path), reader.line_num),
                        hint=f"a field is at most {csv.field_size_limit()} characters") from None
    if not values:
        raise SpecError("the metric CSV needs a header row and at least one value", location=Location(str(path), 1))
    return values


def metric_feed(schedule: ResolvedSchedule, optimizer: Any, calls: int, start: int = 0) -> Callable[[], Any]:
    """A function giving the metric for each successive ``scheduler.step(metric)`` call,
    beginning with call number ``start`` (a resumed run continues where the first stopped)."""
    spec = schedule.spec
    metric = schedule.metric
    where = schedule.where("metric")
    if isinstance(metric, MetricCsv):
        values = read_metric_csv(spec, metric, where)
        if len(values) < calls:
            raise spec.error(
                f"the metric CSV has {len(values)} values but the schedule steps {calls} times", where,
                hint=f"add rows, or lower steps so that at most {len(values)} scheduler steps happen")
        return iter(values[start:]).__next__
    if metric == "lr":
        return partial(getitem, optimizer.param_groups[0], "lr")  # C-level: no Python frame per step
    expr = compile_expression(metric, ("step", "epoch"), what="metric",
                              location=lambda off: spec.source.text(where, off))
    counter = iter(range(start, calls + 1)).__next__
    return lambda: expr(counter())

