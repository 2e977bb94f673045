"""What a verification says: the first divergence, the cause, one verdict per logged series, the report."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ..curves import Curves
from ..limits import MAX_VERIFY_SPANS as MAX_SPANS


@dataclass(frozen=True)
class Divergence:
    step: int          # as the log counts
    update: int        # lrplot's step (the update that used the lr)
    logged: float
    planned: float | None  # None: past the plan's end


@dataclass(frozen=True)
class Cause:
    kind: str   # frozen | unscheduled | compressed | stretched | micro-batches | shifted | restarted | scaled | longer | nonfinite | unended
    text: str
    k: int | None = None
    n: int | None = None
    factor: float | None = None
    lr: float | None = None

    def to_json(self) -> dict[str, Any]:
        return {k: v for k, v in self.__dict__.items() if v is not None}


@dataclass(frozen=True)
class Verdict:
    """One logged series against the plan."""

    log: str
    key: str
    group: str
    field: str
    schedule: str
    compared: int
    agreed: int
    first: Divergence | None = None
    cause: Cause | None = None
    spans: tuple[tuple[int, int], ...] = ()
    note: str | None = None
    dtype: str = "float64"
    damaged: tuple[str, ...] = ()  # corrupt records of the log skipped at the user's request
    start: int = 0  # the trainer's update of lrplot's step 0 (a plan resumed by its spec): ``update``
    #                 and ``spans`` count from it, the JSON says the trainer's numbers
    moved: int = 0  # the updates its steps were moved by to follow the plan (a resumed run's later folder)
    placed: str = ""  # why they were moved, said under the figure where the points are drawn so

    @property
    def ok(self) -> bool:
        return self.first is None

    @property
    def label(self) -> str:
        """The series named in the text: its key, after its run where the log holds several runs
        (the trace is then named ``run`` or ``run · series``)."""
        if not self.log or self.key.startswith(self.log):
            return self.key
        return f"{self.log.split(' · ')[0]} · {self.key}"

    def text(self) -> str:
        if self.ok:
            out = f"{self.label}: follows the plan ({self.agreed} of {self.compared} logged steps)"
        else:
            d = self.first
            # nine digits, or every digit where nine print both alike (0.01 logged, 0.010000000000000002 planned)
            alike = d.planned is not None and f"{d.logged:.9g}" == f"{d.planned:.9g}"
            shown = repr if alike else (lambda v: f"{v:.9g}")
            planned = "past the plan's end" if d.planned is None else f"plan {shown(d.planned)}"
            out = (f"{self.label}: diverges at step {d.step}: logged {shown(d.logged)}, {planned} "
                   f"({self.agreed} of {self.compared} logged steps agree)")
            out += f"; {self.cause.text}" if self.cause else "; no single cause explains every logged value"
        if self.damaged:
            out += (f"; {len(self.damaged)} corrupt record(s) of the log skipped (--log-skip-corrupt), "
                    f"first: {self.damaged[0]}")
        return out + (f"; {self.note}" if self.note else "")

    def to_json(self) -> dict[str, Any]:
        return {
            "log": self.log, "key": self.key, "group": self.group, "field": self.field, "schedule": self.schedule,
            "follows": self.ok, "compared": self.compared, "agreed": self.agreed, "dtype": self.dtype,
            "first_divergence": None if self.first is None else {
                "step": self.first.step, "update": self.first.update + self.start,
                "logged": _num(self.first.logged),
                "planned": None if self.first.planned is None else _num(self.first.planned)},
            "cause": None if self.cause is None else self.cause.to_json(),
            "diverging_steps": [[a + self.start, b + self.start] for a, b in self.spans],
            "note": self.note,
            "skipped_records": list(self.damaged),
        }


def _num(v: float) -> float | None:
    return v if math.isfinite(v) else None


def spans_of(at: np.ndarray, bad: np.ndarray) -> tuple[tuple[int, int], ...]:
    """(first, last) step of every run of consecutive diverging logged values (merged beyond MAX_SPANS)."""
    idx = np.flatnonzero(bad)
    if not len(idx):
        return ()
    breaks = np.flatnonzero(np.diff(idx) > 1)
    starts = np.r_[idx[0], idx[breaks + 1]]
    ends = np.r_[idx[breaks], idx[-1]]
    spans = [(int(at[a]), int(at[b])) for a, b in zip(starts, ends)]
    if len(spans) > MAX_SPANS:
        spans = [(spans[0][0], spans[-1][1])]
    return tuple(spans)


@dataclass
class Report:
    """Every verdict of a log against a plan, and the figure's curves."""

    verdicts: list[Verdict] = field(default_factory=list)
    curves: Curves | None = None
    skipped: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return all(v.ok for v in self.verdicts)

    def to_json(self) -> dict[str, Any]:
        return {"follows": self.ok, "verdicts": [v.to_json() for v in self.verdicts], "skipped": self.skipped}
