"""What both views take from the curves alike: each series with its legend name, and the steps they span."""

from __future__ import annotations

from ..curves import Curves, Series
from ..figure.series import series_label


def named(curves: Curves) -> list[tuple[Series, str]]:
    """Every series with its legend name: only the parts (schedule, group, field) that tell it apart."""
    parts = list(curves.series())
    show_schedule = len(curves.schedules) > 1
    show_group = len({(s.schedule, s.group) for s in parts}) > len({s.schedule for s in parts})
    show_field = len({s.field for s in parts}) > 1
    return [(s, series_label(s, show_schedule, show_group, show_field)) for s in parts]


def extent(parts: list[Series]) -> tuple[int, int]:
    """(first step, number of steps) the series cover: from the earliest first step (0, or a run
    resumed by its spec: its first update) to the last (a logged run's last step included)."""
    drawn = [s.positions() for s in parts if len(s.values)]
    first = min((int(p[0]) for p in drawn), default=0)
    return first, max((int(p[-1]) + 1 for p in drawn), default=first + 1) - first
