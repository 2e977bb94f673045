"""Curves: the recorded values of every schedule, param group and field, and their export.

This module needs only numpy: curves can be exported, cached and drawn without torch.
"""

from __future__ import annotations

import csv
import io
import json
import math
from dataclasses import dataclass, field
from typing import IO, Any, Iterator

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
    """One line: the values of ``field`` in param group ``group`` at steps start..start+n-1."""

    schedule: str
    group: int
    group_name: str
    field: str
    values: np.ndarray
    at: np.ndarray | None = None  # the steps of ``values`` (from ``start``) when not consecutive (a sparse log)
    start: int = 0  # the trainer's step of index 0 (a run resumed by its spec: its first update)

    def positions(self) -> np.ndarray:
        """The step of every value: the one place every exporter and message takes steps from."""
        return np.arange(self.start, self.start + len(self.values)) if self.at is None else self.at + self.start


@dataclass(frozen=True)
class ScheduleTrace:
    """What one schedule recorded: ``values[(group, field)]`` is a float64 array of ``steps``.

    A logged run (:mod:`lrplot.logs`) is a trace too: its values are where the run logged them,
    so ``at[(group, field)]`` holds their steps (int64, increasing, lrplot's step convention: the
    value at step t is the lr of update t) and ``steps`` is the last step + 1. ``style`` says how a
    figure draws it (``line`` or ``points``); ``spans`` are (first, last) step ranges to shade,
    where a logged run left the plan. A run resumed by its spec records updates from
    :attr:`first_update` on: ``values[..][i]`` is the lr of the trainer's update ``first_update + i``
    (and a log compared with it counts ``at`` and ``spans`` from there too)."""

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

    @property
    def first_update(self) -> int:
        """The trainer's number of the first update recorded: 0, or later for a run resumed by its
        spec (``last_epoch``). Figures, exports, the summary and ``check`` count steps from it."""
        return int(self.meta.get("first_update", 0))

    def series(self) -> Iterator[Series]:
        start = self.first_update
        for g, group_name in enumerate(self.groups):
            for f in self.fields:
                if (g, f) in self.values:
                    at = None if self.at is None else self.at[(g, f)]
                    yield Series(self.name, g, group_name, f, self.values[(g, f)], at, start)


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
                out.append((s, int(s.positions()[bad[0]]), len(bad)))
        return out

    def nonpositive(self) -> list[tuple[Series, int, int]]:
        """(series, first step, count) for every line with values at or below 0 (what a log axis cannot show)."""
        out = []
        for s in self.series():
            low = np.flatnonzero(np.asarray(s.values, dtype=float) <= 0)
            if len(low):
                out.append((s, int(s.positions()[low[0]]), len(low)))
        return out

    @property
    def names(self) -> list[str]:
        return [s.name for s in self.schedules]

    def to_records(self) -> list[dict[str, Any]]:
        """The tidy table as a list of rows ``{schedule, group, field, step, value}`` (the CSV's
        columns; ``group`` is the param group's index), for seaborn, polars or plain Python."""
        return [{"schedule": s.schedule, "group": s.group, "field": s.field, "step": i, "value": v}
                for s in self.series() for i, v in zip(s.positions().tolist(), s.values.tolist())]

    def to_pandas(self) -> Any:
        """The tidy table as a pandas DataFrame (columns as :meth:`to_records`, plus
        ``group_name``); needs pandas."""
        try:
            import pandas as pd
        except ImportError:
            from .errors import MissingLibraryError

            raise MissingLibraryError("Curves.to_pandas() needs pandas, which is not installed",
                                      package="pandas", hint="pip install pandas") from None
        parts = list(self.series())
        lengths = [len(s.values) for s in parts]
        return pd.DataFrame({
            "schedule": np.repeat([s.schedule for s in parts], lengths).astype(object),
            "group": np.repeat(np.array([s.group for s in parts], dtype=np.int64), lengths),
            "group_name": np.repeat([s.group_name for s in parts], lengths).astype(object),
            "field": np.repeat([s.field for s in parts], lengths).astype(object),
            "step": np.concatenate([s.positions().astype(np.int64) for s in parts]) if parts else [],
            "value": np.concatenate([s.values for s in parts]) if parts else [],
        })


def _repr_values(values: np.ndarray) -> list[str]:
    # repr of a Python float is the shortest text that reads back as the same float64.
    return [repr(v) for v in values.tolist()]


CSV_CHUNK = 16384  # values per write: the CSV export's memory is bounded, whatever the run's length


def write_csv(curves: Curves, fh: IO[bytes]) -> None:
    """Stream the tidy table ``schedule,group,field,step,value`` into ``fh``, ``CSV_CHUNK``
    values at a time (its memory does not grow with the steps); values round-trip exactly."""
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    fh.write(buf.getvalue().encode("utf-8"))
    for s in curves.series():
        buf.seek(0)
        buf.truncate()
        writer.writerow((s.schedule, str(s.group), s.field))  # quoted as csv quotes them
        prefix = buf.getvalue()[:-1]
        steps = s.positions()
        for start in range(0, len(s.values), CSV_CHUNK):  # a step or a float repr never needs quotes
            texts = _repr_values(s.values[start:start + CSV_CHUNK])
            at = steps[start:start + CSV_CHUNK].tolist()
            fh.write("".join(f"{prefix},{i},{v}\n" for i, v in zip(at, texts)).encode("utf-8"))


def to_csv_text(curves: Curves) -> str:
    """The tidy table ``schedule,group,field,step,value``; values round-trip exactly."""
    out = io.BytesIO()
    write_csv(curves, out)
    return out.getvalue().decode("utf-8")


def _json_number(v: float) -> float | str:
    """``v``, or the string JSON has no number for: "NaN", "Infinity", "-Infinity" (as JavaScript's
    ``Number()`` and Python's ``float()`` read them back). null lost which of the three it was,
    which the CSV keeps."""
    if math.isfinite(v):
        return v
    return "NaN" if math.isnan(v) else ("Infinity" if v > 0 else "-Infinity")


def to_json_data(curves: Curves) -> dict[str, Any]:
    """Nested schedule -> group -> field; a value that is not a finite number is the string "NaN",
    "Infinity" or "-Infinity" (strict JSON has no such numbers). A field is the list of
    its values at steps 0..n-1, or ``{"steps": [...], "values": [...]}`` where its steps are not
    those: a sparse log, or a run resumed by its spec (whose steps count from its first update)."""
    out: dict[str, Any] = {"title": curves.title, "schedules": {}}
    for s in curves.schedules:
        first = s.first_update
        groups = []
        for g, group_name in enumerate(s.groups):
            fields = {}
            for f in s.fields:
                if (g, f) not in s.values:
                    continue
                values = s.values[(g, f)].tolist()
                if not all(math.isfinite(v) for v in values):
                    values = [_json_number(v) for v in values]
                if s.at is not None:
                    fields[f] = {"steps": (s.at[(g, f)] + first).tolist(), "values": values}
                elif first:
                    fields[f] = {"steps": list(range(first, first + len(values))), "values": values}
                else:
                    fields[f] = values
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
