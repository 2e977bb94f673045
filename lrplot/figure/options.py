"""RenderOptions and the checks a figure passes before anything is drawn (option values, size, drawable values)."""

from __future__ import annotations

import re

from dataclasses import dataclass, field, fields, replace
from typing import Any, Sequence

import numpy as np

from ..errors import UsageError
from ..facts import STEP_CHANGE
from ..limits import MAX_PIXELS, MAX_SIDE_INCHES, MIN_SIDE_INCHES
from ..limits import MAX_TEXT_CHARS as MAX_TEXT
from .themes import THEMES, style_path

LAYOUTS = ("auto", "overlay", "grid", "fields", "groups")
ANNOTATIONS = ("milestones", "peak", "final", "jumps")


@dataclass(frozen=True)
class RenderOptions:
    """Everything about how curves look; none of it changes the numbers.

    The options own their rules: every field is normalised and checked here, so the library, the
    CLI and the doc-tool directives accept the same values and give the same messages.
    ``annotate`` takes a comma text (``"peak,final"``), a list, ``"all"`` or ``"none"``; ``size``
    takes ``"8x4.5"`` or ``(8, 4.5)``; an unknown ``layout``, ``x``, ``theme`` or annotation is
    a :class:`~lrplot.errors.UsageError` with a did-you-mean."""

    layout: str = "auto"
    x: str = "step"  # step | epoch
    log_y: bool = False
    title: str | None = None
    theme: str = "light"  # light | dark | any matplotlib style name or .mplstyle file
    size: tuple[float, float] = (8.0, 4.5)
    dpi: int = 150
    legend: bool = True
    annotate: frozenset[str] = field(default_factory=lambda: frozenset(ANNOTATIONS))
    jump_threshold: float = STEP_CHANGE  # an abrupt change, as a fraction of the value (summary.jump_steps)
    xlim: tuple[float, float] | None = None  # the x range shown, in the x unit; None: the whole run
    ylim: tuple[float, float] | None = None  # the y range shown; None: from 0 (an lr axis), or the data's
    inset: bool = True  # a zoomed inset of a declared phase shorter than INSET_FRACTION of the run
    notes: tuple[str, ...] = ()  # footnote lines under the figure (what check found, what was assumed)

    def __post_init__(self) -> None:
        set_ = object.__setattr__
        set_(self, "layout", _choice("layout", self.layout, LAYOUTS))
        set_(self, "x", _choice("x", self.x, ("step", "epoch")))
        set_(self, "size", parse_size(self.size))
        set_(self, "annotate", parse_annotate(self.annotate))
        if isinstance(self.dpi, bool) or not isinstance(self.dpi, int) or not 20 <= self.dpi <= 1200:
            raise UsageError(f"dpi {self.dpi!r}: expected a whole number from 20 to 1200")
        set_(self, "xlim", parse_limits("xlim", self.xlim))
        set_(self, "ylim", parse_limits("ylim", self.ylim))
        if self.log_y and self.ylim is not None and self.ylim[0] <= 0:
            # matplotlib would only warn and ignore the limits: the figure would not show what was asked
            low, high = self.ylim
            raise UsageError(f"--ylim '{low:g},{high:g}': a logarithmic y axis (--log-y) shows only values above 0",
                             hint=f"give LOW above 0, e.g. {high / 1000:g},{high:g}, or leave --log-y out"
                             if high > 0 else "leave --log-y out")
        if not isinstance(self.inset, bool):
            raise UsageError(f"inset {self.inset!r}: expected true or false")
        notes = (self.notes,) if isinstance(self.notes, str) else self.notes
        try:
            set_(self, "notes", tuple(short(str(n), 2 * MAX_TEXT) for n in notes))  # a sentence or two each
        except TypeError:
            raise UsageError(f"notes {self.notes!r}: expected a list of lines") from None
        if not isinstance(self.theme, str):
            raise UsageError(f"theme {self.theme!r}: expected a name such as light or dark")
        if self.theme not in THEMES:
            style_path(self.theme)  # unknown styles fail here, with a did-you-mean

    @classmethod
    def names(cls) -> tuple[str, ...]:
        return tuple(f.name for f in fields(cls))

    def replace(self, **changes: Any) -> "RenderOptions":
        """A copy with ``changes``; an unknown option name is a UsageError with a did-you-mean."""
        check_option_names(changes)
        return replace(self, **changes) if changes else self


def check_option_names(names: Any) -> None:
    """Refuse names that are not RenderOptions fields (``render(lgend=False)``)."""
    from ..text import did_you_mean

    known = RenderOptions.names()
    for name in names:
        if name not in known:
            raise UsageError(f"unknown option '{name}'",
                             hint=did_you_mean(name, known) or f"options are {', '.join(known)}")


def _choice(what: str, value: Any, choices: Sequence[str]) -> str:
    text = str(value).strip().lower() if isinstance(value, str) else value
    if text in choices:
        return text
    from ..text import did_you_mean

    raise UsageError(f"unknown {what} '{value}'",
                     hint=did_you_mean(str(value), choices) or f"use one of {', '.join(choices)}")


def parse_size(value: Any) -> tuple[float, float]:
    """``"8x4.5"``, ``"8,4.5"`` or ``(8, 4.5)`` -> (8.0, 4.5) inches, each in [1, 100] (below an
    inch matplotlib draws an empty image and cannot write it)."""
    try:
        if isinstance(value, str):
            parts = value.lower().replace(",", "x").split("x")
        else:
            parts = list(value)
        if len(parts) != 2 or any(isinstance(p, bool) for p in parts):
            raise ValueError
        w, h = (float(p) for p in parts)
        if not (MIN_SIDE_INCHES <= w <= MAX_SIDE_INCHES and MIN_SIDE_INCHES <= h <= MAX_SIDE_INCHES):
            raise ValueError
        return w, h
    except (TypeError, ValueError, OverflowError):  # OverflowError: an int beyond any float (10**400)
        shown = value if isinstance(value, str) else tuple(value) if isinstance(value, (list, tuple)) else value
        shown = str(shown) if len(str(shown)) <= 40 else f"{str(shown)[:40]}..."
        raise UsageError(f"size '{shown}': expected WIDTHxHEIGHT in inches, each {MIN_SIDE_INCHES} to {MAX_SIDE_INCHES}, "
                         "e.g. 8x4.5") from None


def parse_limits(what: str, value: Any) -> tuple[float, float] | None:
    """``"0,1000"``, ``"0:1e-3"`` or ``(0, 1000)`` -> (0.0, 1000.0): LOW below HIGH, both finite."""
    if value is None or isinstance(value, str) and value.strip().lower() in ("", "auto", "none"):
        return None
    try:
        parts = value.replace(":", ",").split(",") if isinstance(value, str) else list(value)
        if len(parts) != 2 or any(isinstance(p, bool) for p in parts):
            raise ValueError
        lo, hi = (float(p) for p in parts)
        if not (np.isfinite(lo) and np.isfinite(hi) and lo < hi):
            raise ValueError
        return lo, hi
    except (TypeError, ValueError, OverflowError):
        shown = str(value) if len(str(value)) <= 40 else f"{str(value)[:40]}..."
        raise UsageError(f"--{what} '{shown}': expected LOW,HIGH with LOW below HIGH, e.g. "
                         f"{'0,1000' if what == 'xlim' else '0,1e-3'}") from None


def parse_annotate(value: Any) -> frozenset[str]:
    """``"all"``, ``"none"``, ``"peak,final"``, a list or a set of annotation names."""
    if value is None:
        return frozenset()
    if isinstance(value, str):
        text = value.strip().lower()
        if text in ("none", ""):
            return frozenset()
        if text == "all":
            return frozenset(ANNOTATIONS)
        items = [t.strip().lower() for t in text.split(",") if t.strip()]
    else:
        try:
            items = [str(t).strip().lower() for t in value]
        except TypeError:
            raise UsageError(f"annotate {value!r}: expected a comma list of {', '.join(ANNOTATIONS)}, "
                             "or all, or none") from None
        if items in (["all"], ["none"]):
            return parse_annotate(items[0])
    from ..text import did_you_mean

    for item in items:
        if item not in ANNOTATIONS:
            raise UsageError(f"unknown annotation '{item}'", hint=did_you_mean(item, ANNOTATIONS) or
                             f"use a comma list of {', '.join(ANNOTATIONS)}, or all, or none")
    return frozenset(items)


def check_raster(size: tuple[float, float], dpi: float, fmt: str) -> None:
    """Refuse a figure of more than MAX_PIXELS pixels before anything is drawn (any format:
    labels are placed on an Agg canvas of the figure's pixel size, SVG and PDF too)."""
    width, height = round(size[0] * dpi), round(size[1] * dpi)
    if width * height > MAX_PIXELS:
        raise UsageError(f"--size {size[0]:g}x{size[1]:g} at --dpi {dpi:g} makes a {width}x{height} pixel figure "
                         f"({width * height / 1e6:.0f} megapixels); a figure is at most {MAX_PIXELS // 1_000_000} "
                         "megapixels", hint="lower --dpi or --size")


def y_range(axis: Any, series: Sequence[Any], opts: RenderOptions) -> None:
    """``--ylim`` when given; else an lr axis starts at 0 (a drop from 1e-3 to 9e-4 is a tenth, not
    the whole height), unless the axis is logarithmic or a value is below 0."""
    if opts.ylim is not None:
        axis.set_ylim(*opts.ylim)
        return
    if opts.log_y or not series or any(s.field != "lr" for s in series):
        return
    lowest = min((float(np.nanmin(s.values)) for s in series if np.isfinite(s.values).any()), default=0.0)
    if lowest >= 0:
        axis.set_ylim(bottom=0)


_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\ud800-\udfff]")  # tab and newline are text


def short(text: str, limit: int = MAX_TEXT) -> str:
    """``text`` as it is drawn: control characters shown as escapes (``\\x1b``: a name from a log or a
    spec never reaches a figure raw), cut to MAX_TEXT characters, with an ellipsis when cut."""
    if _CONTROL.search(text):
        from ..text import printable

        text = _CONTROL.sub(lambda m: printable(m.group()), text)
    return text if len(text) <= limit else text[: limit - 1] + "\u2026"
