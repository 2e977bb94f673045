"""What both views take from the curves alike: each series with its legend name, the steps they span, and where
a logged run left the plan (said in words: neither view shades it)."""

from __future__ import annotations

from ..curves import Curves, Series
from ..figure.series import series_label, shown_label


def named(curves: Curves) -> list[tuple[Series, str]]:
    """Every series with its legend name, as a figure's legend names it: only the parts (schedule, group,
    field) that tell it apart, a field as the figure calls it (beta1), a log's values as logged."""
    parts = list(curves.series())
    show_schedule = len(curves.schedules) > 1
    show_group = len({(s.schedule, s.group) for s in parts}) > len({s.schedule for s in parts})
    show_field = len({s.field for s in parts}) > 1
    return [(s, shown_label(series_label(s, show_schedule, show_group, show_field), s, curves, show_field))
            for s in parts]


def extent(parts: list[Series]) -> tuple[int, int]:
    """(first step, number of steps) the series cover: from the earliest first step (0, or a run
    resumed by its spec: its first update) to the last (a logged run's last step included)."""
    drawn = [s.positions() for s in parts if len(s.values)]
    first = min((int(p[0]) for p in drawn), default=0)
    return first, max((int(p[-1]) + 1 for p in drawn), default=first + 1) - first


def diverging(curves: Curves) -> list[str]:
    """Where a logged run left the plan, said in words: a figure shades these steps red, a page and
    terminal text draw no bands (the steps as a figure's x axis counts them; the log named as the
    legend names it)."""
    from ..figure.marks import merged_spans
    from ..figure.series import logged_name

    lines = []
    for sc in curves.schedules:
        merged = [(a + sc.first_update, b + sc.first_update) for a, b in merged_spans(sc.spans, sc.steps)]
        if merged:
            one = len(merged) == 1 and merged[0][0] == merged[0][1]
            at = ", ".join(str(a) if a == b else f"{a}-{b}" for a, b in merged)
            lines.append(f"'{logged_name(sc, curves)}' leaves the plan at step{'' if one else 's'} {at}")
    return lines
