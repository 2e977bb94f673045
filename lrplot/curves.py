"""Curves: the recorded values of every schedule, param group and field, and their export.

This module needs only numpy: curves can be exported, cached and drawn without torch.
"""

from __future__ import annotations

import csv
import io
import json
import math
from dataclasses import dataclass, field
from typing import Any, Iterator

import numpy as np

CSV_COLUMNS = ("schedule", "group", "field", "step", "value")


@dataclass(frozen=True)
class Event:
    """A step worth marking on a figure: a milestone, the end of warmup, a phase change."""

    step: int
    label: str
    kind: str = "milestone"  # milestone | phase


@dataclass(frozen=True)
class Series:
    """One line: the values of ``field`` in param group ``group`` at steps 0..n-1."""

    schedule: str
    group: int
    group_name: str
    field: str
    values: np.ndarray
    at: np.ndarray | None = None  # the steps of ``values`` when not 0..n-1 (a sparse log)

    def positions(self) -> np.ndarray:
        """The step of every value."""
        return np.arange(len(self.values)) if self.at is None else self.at


@dataclass(frozen=True)
class ScheduleTrace:
    """What one schedule recorded: ``values[(group, field)]`` is a float64 array of ``steps``.

    A logged run (:mod:`lrplot.logs`) is a trace too: its values are where the run logged them,
    so ``at[(group, field)]`` holds their steps (int64, increasing, lrplot's step convention: the
    value at step t is the lr of update t) and ``steps`` is the last step + 1. ``style`` says how a
    figure draws it (``line`` or ``points``); ``spans`` are (first, last) step ranges to shade,
    where a logged run left the plan."""

    name: str
    scheduler: str
    steps: int
    interval: str
    steps_per_epoch: int | None
    groups: tuple[str, ...]
    fields: tuple[str, ...]
    values: dict[tuple[int, str], np.ndarray]
    source: str = ""
    events: tuple[Event, ...] = ()
    meta: dict[str, Any] = field(default_factory=dict)
    at: dict[tuple[int, str], np.ndarray] | None = None
    style: str = "line"
    spans: tuple[tuple[int, int], ...] = ()

    def series(self) -> Iterator[Series]:
        for g, group_name in enumerate(self.groups):
            for f in self.fields:
                if (g, f) in self.values:
                    at = None if self.at is None else self.at[(g, f)]
                    yield Series(self.name, g, group_name, f, self.values[(g, f)], at)


@dataclass(frozen=True)
class Curves:
    """Every schedule of one lrplot run, in spec order."""

    schedules: tuple[ScheduleTrace, ...]
    title: str | None = None

    def series(self) -> Iterator[Series]:
        for s in self.schedules:
            yield from s.series()

    def __getitem__(self, name: str) -> ScheduleTrace:
        for s in self.schedules:
            if s.name == name:
                return s
        raise KeyError(name)

    def nonfinite(self) -> list[tuple[Series, int, int]]:
        """(series, first step, count) for every line with NaN or infinite values."""
        out = []
        for s in self.series():
            bad = np.flatnonzero(~np.isfinite(s.values))
            if len(bad):
                out.append((s, int(bad[0]), len(bad)))
        return out

    @property
    def names(self) -> list[str]:
        return [s.name for s in self.schedules]


def _repr_values(values: np.ndarray) -> list[str]:
    # repr of a Python float is the shortest text that reads back as the same float64.
    return [repr(v) for v in values.tolist()]


def to_csv_text(curves: Curves) -> str:
    """The tidy table ``schedule,group,field,step,value``; values round-trip exactly."""
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    for s in curves.series():
        texts = _repr_values(s.values)
        name, group, fld = s.schedule, str(s.group), s.field
        writer.writerows((name, group, fld, str(i), v) for i, v in zip(s.positions().tolist(), texts))
    return buf.getvalue()


def _json_number(v: float) -> float | None:
    return v if math.isfinite(v) else None


def to_json_data(curves: Curves) -> dict[str, Any]:
    """Nested schedule -> group -> field; non-finite values become null."""
    out: dict[str, Any] = {"title": curves.title, "schedules": {}}
    for s in curves.schedules:
        groups = []
        for g, group_name in enumerate(s.groups):
            fields = {}
            for f in s.fields:
                if (g, f) not in s.values:
                    continue
                values = s.values[(g, f)].tolist()
                if not all(math.isfinite(v) for v in values):
                    values = [_json_number(v) for v in values]
                fields[f] = values if s.at is None else {"steps": s.at[(g, f)].tolist(), "values": values}
            groups.append({"index": g, "name": group_name, "fields": fields})
        out["schedules"][s.name] = {
            "scheduler": s.scheduler,
            "steps": s.steps,
            "interval": s.interval,
            "steps_per_epoch": s.steps_per_epoch,
            "groups": groups,
        }
    return out


def to_json_text(curves: Curves) -> str:
    return json.dumps(to_json_data(curves), indent=1, allow_nan=False) + "\n"


DATA_FORMATS = {".csv": to_csv_text, ".json": to_json_text}
