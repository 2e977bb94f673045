"""Numbers as ML people write them (``3e-4``, ``100k``): formats, tick formatters, the secondary x axis."""

from __future__ import annotations

import math
from functools import lru_cache
from typing import TYPE_CHECKING, Any

import numpy as np

from ..curves import Curves

if TYPE_CHECKING:  # pragma: no cover
    from matplotlib.axes import Axes

    from .options import RenderOptions


def format_number(v: float, sci: bool | None = None, digits: int = 3) -> str:
    """``3e-4``, ``0.1``, ``2.5e-5``, ``1200``: short, no trailing zeros, exponents without padding.
    ``sci`` forces (or forbids) the exponent form; by default small (< 0.01) and huge numbers use it."""
    if v == 0 or not math.isfinite(v):
        return "0" if v == 0 else str(v)
    a = abs(v)
    if sci is None:
        sci = a < 1e-2 or a >= 1e5
    if not sci:
        text = f"{v:.{digits}g}"
        if "e" not in text:
            return text
    mantissa, exponent = f"{v:.{digits - 1}e}".split("e")
    mantissa = mantissa.rstrip("0").rstrip(".")
    return f"{mantissa}e{int(exponent)}"


def format_steps(v: float, short: bool) -> str:
    """Step counts: ``2000``, or with ``short`` ``100k``, ``1.5M``."""
    if short and abs(v) >= 1e6:
        return f"{v / 1e6:.4g}M"
    if short and abs(v) >= 1e3:
        return f"{v / 1e3:.4g}k"
    return f"{int(v)}" if float(v).is_integer() else f"{v:.4g}"


@lru_cache(maxsize=None)
def _formatters() -> dict[str, type]:
    """The tick formatter classes, made on first use (matplotlib is imported lazily)."""
    from matplotlib.ticker import Formatter, MaxNLocator

    class NumberFormatter(Formatter):
        """y ticks: one notation per axis, chosen from the largest visible tick."""

        sci = False

        def set_locs(self, locs: Any) -> None:
            super().set_locs(locs)
            lo, hi = sorted(self.axis.get_view_interval()) if self.axis is not None else (-np.inf, np.inf)
            shown = [abs(v) for v in locs if v != 0 and lo <= v <= hi]
            top = max(shown, default=1.0)
            self.sci = top < 1e-2 or top >= 1e5 or (min(shown, default=1.0) < 1e-3)

        def __call__(self, x: float, pos: Any = None) -> str:
            return format_number(x, self.sci if x != 0 else None, digits=4)

    class LogMinorFormatter(Formatter):
        """Log axes spanning less than a decade, or showing fewer than two powers of ten, label 2x
        and 5x ticks, other minors stay blank: 4.9e-3 to 0.063 had '0.01' alone to read it by."""

        def __call__(self, x: float, pos: Any = None) -> str:
            if self.axis is None or x <= 0:
                return ""
            lo, hi = sorted(self.axis.get_view_interval())
            if lo <= 0 or (math.log10(hi / lo) > 1.0
                           and math.floor(math.log10(hi) + 1e-9) - math.ceil(math.log10(lo) - 1e-9) >= 1):
                return ""
            lead = round(x / 10 ** math.floor(math.log10(x) + 1e-9), 6)
            return format_number(x) if lead in (2.0, 5.0) else ""

    class StepFormatter(Formatter):
        """x ticks: ``100k``, ``1.5M`` once the axis reaches 10,000."""

        short = False

        def set_locs(self, locs: Any) -> None:
            super().set_locs(locs)
            self.short = max((abs(v) for v in locs), default=0) >= 1e4

        def __call__(self, x: float, pos: Any = None) -> str:
            return format_steps(x, self.short)

    class XLocator(MaxNLocator):
        """x ticks at 0 and above: a step or an epoch below 0 is the axis's margin, not a place."""

        def tick_values(self, vmin: float, vmax: float) -> Any:
            ticks = super().tick_values(vmin, vmax)
            return ticks[ticks >= 0] if (ticks >= 0).any() else ticks

    class YLocator(MaxNLocator):
        """y ticks at 1, 2 or 5 times a power of ten (5e-6, 1e-5, 1.5e-5, not nine ticks of 1.75e-5):
        at most 6 intervals, and fewer in a panel too short for them. Each interval gets at least
        twice the labels' font size (matplotlib's own measure of a tick's room), so labels stay apart
        however short the panel: a fixed 6 put seven labels into a 4x3 figure's panel, one over the next."""

        room: tuple = ()  # the panel's height and dpi its nbins was measured at (a layout asks dozens of times)

        def tick_values(self, vmin: float, vmax: float) -> Any:
            if self.axis is not None:
                room = (self.axis.axes.bbox.height, self.axis.figure.dpi)
                if room != self.room:
                    self.room = room
                    self.set_params(nbins=max(min(self.axis.get_tick_space(), 6), 1))
            return super().tick_values(vmin, vmax)

    return {"number": NumberFormatter, "logminor": LogMinorFormatter, "steps": StepFormatter, "x": XLocator,
            "y": YLocator}


def number_ticks(axis: Any, log_y: bool, steps: bool | None = None) -> None:
    """lrplot's tick formatters on ``axis`` (y: values, x: steps or epochs). ``steps``: the x axis
    counts updates (True) or epochs (False), or is another axis's (None: its ticks are left alone).
    No x tick is below 0, a place in the margin no step or epoch has (-0.25 epochs over a short run
    ran into the axis's unit); a step is a whole number, never a 0.5 or -0.4 no update has."""
    if hasattr(axis, "yaxis") and axis.__class__.__name__ != "SecondaryAxis":
        axis.yaxis.set_major_formatter(_formatters()["number"]())
        if log_y:
            axis.yaxis.set_minor_formatter(_formatters()["logminor"]())
        else:
            axis.yaxis.set_major_locator(_formatters()["y"](nbins=6, steps=[1, 2, 5, 10]))
    axis.xaxis.set_major_formatter(_formatters()["steps"]())
    if steps is not None:  # matplotlib's AutoLocator, whole and not below 0 where so asked
        axis.xaxis.set_major_locator(_formatters()["x"](nbins="auto", steps=[1, 2, 2.5, 5, 10], integer=steps,
                                                        min_n_ticks=1 if steps else 2))


def secondary_axis(axis: Axes, curves: Curves, opts: RenderOptions) -> None:
    """Epochs on top of a step axis (steps on top of an epoch axis), when every schedule has the
    same steps_per_epoch."""
    per = {s.steps_per_epoch for s in curves.schedules}
    if len(per) != 1 or None in per:
        return
    (spe,) = per
    if opts.x == "epoch":
        sec = axis.secondary_xaxis("top", functions=(lambda e: e * spe, lambda s: s / spe))
    else:
        sec = axis.secondary_xaxis("top", functions=(lambda s: s / spe, lambda e: e * spe))
    # the unit left of the top tick labels, in their row: not wedged between them and the title
    import matplotlib
    from matplotlib.transforms import ScaledTranslation

    label = sec.set_xlabel("step" if opts.x == "epoch" else "epoch", ha="right", va="bottom",
                           fontsize=matplotlib.rcParams["xtick.labelsize"])
    ticks = sec.xaxis.get_major_ticks()
    pad = ticks[0].get_tick_padding() + ticks[0].get_pad() if ticks else 7.0  # where the tick labels sit
    sec.xaxis.set_label_coords(-0.01, 1.0)
    label.set_transform(axis.transAxes + ScaledTranslation(0, pad / 72, axis.figure.dpi_scale_trans))
    sec.set_gid("secondary-x")
    number_ticks(sec, False, steps=opts.x == "epoch")
