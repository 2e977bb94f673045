"""What drives a metric-driven schedule (ReduceLROnPlateau's loss), on a secondary y axis of its panel."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Sequence

import numpy as np

from ..curves import ScheduleTrace, Series
from .options import short
from .series import x_of

if TYPE_CHECKING:  # pragma: no cover
    from matplotlib.axes import Axes


def draw_metric(axis: Axes, series: Sequence[Series], schedules: dict[str, ScheduleTrace], unit: str) -> Any:
    """The metric of each schedule of ``series`` that has one (``meta["metric"]``: steps, values,
    name, from :func:`lrplot.findings.with_metrics`) as grey markers joined by a thin line, on a
    twin y axis of ``axis`` labelled with its name; None when no schedule has one."""
    import matplotlib

    names_here = dict.fromkeys(s.schedule for s in series if s.field == "lr")
    metrics = [(schedules[n], schedules[n].meta["metric"]) for n in names_here if "metric" in schedules[n].meta]
    metrics = [(sc, m) for sc, m in metrics if len(m[0])]
    if not metrics:
        return None
    twin = axis.twinx()
    twin.set_gid("metric-y")
    twin.grid(False)  # the lr axis's grid is the grid
    color = matplotlib.rcParams["axes.labelcolor"]
    names = []
    for sc, (steps, values, name) in metrics:
        x = x_of(np.asarray(steps), sc, unit)
        (line,) = twin.plot(x, values, color=color, alpha=0.45, linewidth=0.9, marker=".", markersize=3,
                            label=f"_{name}")
        line.set_gid(f"metric:{sc.name}")
        names.append(short(name))
    twin.set_ylabel(f"{' / '.join(dict.fromkeys(names))} (the metric it is fed)", alpha=0.7)
    from .ticks import number_ticks

    number_ticks(twin, False)
    axis.set_zorder(twin.get_zorder() + 1)  # the lr curve and its labels over the metric
    axis.patch.set_visible(False)
    return twin
