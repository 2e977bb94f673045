"""Curves -> one self-contained interactive HTML page (``-o plan.html``).

The page needs no network when it is viewed: uPlot (MIT, 51 kB minified, vendored in
``views/assets`` with its licence) and the data are inside the file. Why uPlot: it is built for long
time series (a 1,000,000-point line redraws in tens of milliseconds), it has hover read-outs,
drag-to-zoom, double-click reset and legend toggles built in, it has no dependencies, and it is
small enough to inline in every page; Plotly's bundle is about 90 times larger and Chart.js
redraws a million points far slower (see the note in docs/figures-in-docs.rst).

Every value is stored exactly: each series is its float64 array (little-endian) taken as 64-bit
integers, each minus the one before (wrapping), its 8 byte planes one after the other (all lowest
bytes, then the next, ...), deflated with zlib and base64-encoded. The differences of a smooth
curve share their high bytes, which deflate then packs: a 1,000,000-step cosine takes 2.1 MB
instead of 7.9 MB for the plain array (``bench/bench_html.py``). The page inflates it with the
browser's ``DecompressionStream`` (every current browser has one), undoes the planes and the
differences with 32-bit halves and a carry (exact), and shows each value with JavaScript's
shortest round-trip decimal, so hovering over step t shows the very number lrplot recorded. Steps are x0..x0+n-1 (x0: 0, or the first update of a
run resumed by its spec; a logged run keeps its own steps, drawn as points); where the series have
values at fewer steps than that (a sparse log whose steps reach 10**9), the page stores those steps,
encoded as the values are, and each series on them: the page holds as many points as the curves
have, never one per step of the range. The same curves and options give the same bytes.
"""

from __future__ import annotations

import base64
import json
import zlib
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np

from ..curves import Curves, Series
from ..figure.options import RenderOptions
from ..figure.series import axis_label, x_padded
from .naming import diverging, extent, named
from .palette import palette

ASSETS = Path(__file__).parent / "assets"


@lru_cache(maxsize=None)
def _asset(name: str) -> str:
    return (ASSETS / name).read_text(encoding="utf-8")


def _encode(values: np.ndarray) -> str:
    """``values`` exactly, as the page's ``inflate`` reads them back (see the module's docstring)."""
    bits = np.ascontiguousarray(values, dtype="<f8").view("<i8")
    with np.errstate(over="ignore"):
        delta = np.diff(bits, prepend=np.zeros(1, "<i8")).astype("<i8")  # wraps at 2**64, undone exactly
    planes = delta.view(np.uint8).reshape(-1, 8).T.tobytes()
    return base64.b64encode(zlib.compress(planes, 6)).decode("ascii")


def decode(data: str) -> np.ndarray:
    """The float64 array :func:`_encode` stored (what the page's script computes)."""
    planes = np.frombuffer(zlib.decompress(base64.b64decode(data)), dtype=np.uint8)
    delta = planes.reshape(8, -1).T.copy().view("<i8").ravel()
    with np.errstate(over="ignore"):
        return np.cumsum(delta, dtype="<i8").view("<f8")


def _dense(s: Series, x0: int, n: int) -> np.ndarray:
    """``s`` on steps x0..x0+n-1: NaN where it has no value (a logged run's gaps, a shorter schedule)."""
    out = np.full(n, np.nan)
    out[s.positions() - x0] = s.values
    return out


def _sparse_steps(parts: list[Series], x0: int, n: int) -> np.ndarray | None:
    """The steps some series has a value at, when they are fewer than the ``n`` steps from the first
    to the last (a log of 50 points up to step 10**9; schedules resumed far apart), else None: then
    every step x0..x0+n-1 has a value and the page stores no steps."""
    ranges = sorted((int(s.start), int(s.start) + len(s.values)) for s in parts if s.at is None and len(s.values))
    covered, end = 0, x0
    for lo, hi in ranges:  # the schedules' own steps: ranges, counted without building them
        covered += max(0, hi - max(lo, end))
        end = max(end, hi)
    if covered == n:
        return None
    steps = np.unique(np.concatenate([s.positions() for s in parts if len(s.values)]))
    return None if len(steps) == n else steps


def _on(s: Series, steps: np.ndarray) -> np.ndarray:
    """``s`` on ``steps`` (every step of ``s`` is one of them): NaN where it has no value."""
    out = np.full(len(steps), np.nan)
    out[np.searchsorted(steps, s.positions())] = s.values
    return out


def payload(curves: Curves, options: RenderOptions) -> dict[str, Any]:
    """What the page's script draws: the series, their axes and the labels."""
    labelled = named(curves)
    parts = [s for s, _ in labelled]
    x0, n = extent(parts)
    steps = _sparse_steps(parts, x0, n)
    traces = {sc.name: sc for sc in curves.schedules}
    spe = {sc.steps_per_epoch for sc in curves.schedules if sc.steps_per_epoch}
    fields = list(dict.fromkeys(s.field for s in parts))
    left = "lr" if "lr" in fields else fields[0] if fields else "lr"  # the left axis: lr, else the first field
    # every other field on a right axis of its own (momentum 0.85-0.95 beside a weight decay of 0.01 on one
    # 0-0.95 axis lay flat): the first called "other", the next "other1", ...
    right = [f for f in fields if f != left]
    scales = {left: "lr", **{f: "other" + (str(i) if i else "") for i, f in enumerate(right)}}
    series = []
    for s, label in labelled:
        sc = traces[s.schedule]
        series.append({
            "label": label,
            "scale": scales[s.field],
            "points": sc.style == "points",
            "data": _encode(_dense(s, x0, n) if steps is None else _on(s, steps)),
        })
    names = {f: axis_label(f, [traces[s.schedule] for s in parts if s.field == f]) for f in fields}
    return {
        "title": (options.title if options.title is not None else curves.title) or "",
        "x0": x0,
        "n": n if steps is None else len(steps),
        "xRange": list(x_padded(float(x0), float(x0 + n - 1))),  # the figure's: the last step inside, not on the edge
        **({} if steps is None else {"steps": _encode(steps.astype(np.float64))}),
        "stepsPerEpoch": spe.pop() if len(spe) == 1 else None,
        "logY": options.log_y,
        "leftLabel": names.get(left, ""),
        "right": [{"scale": scales[f], "label": names[f]} for f in right],
        "series": series,
    }


_SCRIPT = r"""
(async function () {
  const spec = JSON.parse(document.getElementById("lrplot-data").textContent);
  async function inflate(b64) {
    const bytes = Uint8Array.from(atob(b64), c => c.charCodeAt(0));
    const stream = new Blob([bytes]).stream().pipeThrough(new DecompressionStream("deflate"));
    const planes = new Uint8Array(await new Response(stream).arrayBuffer());
    const n = planes.length / 8, le = new Uint8Array(planes.length);
    for (let p = 0; p < 8; p++) for (let i = 0, o = p * n; i < n; i++) le[i * 8 + p] = planes[o + i];
    const w = new Uint32Array(le.buffer);  // each value's low and high 32 bits: add with a carry
    let lo = 0, hi = 0;
    for (let i = 0; i < n; i++) {
      const l = (lo + w[2 * i]) >>> 0;
      hi = (hi + w[2 * i + 1] + (l < lo ? 1 : 0)) >>> 0;
      lo = l;
      w[2 * i] = lo; w[2 * i + 1] = hi;
    }
    return Array.from(new Float64Array(le.buffer), v => Number.isFinite(v) ? v : null);
  }
  const dark = document.documentElement.dataset.theme === "dark" ||
    (document.documentElement.dataset.theme === "auto" && matchMedia("(prefers-color-scheme: dark)").matches);
  const pal = JSON.parse(document.getElementById("lrplot-palette").textContent)[dark ? "dark" : "light"];
  const xs = spec.steps ? await inflate(spec.steps) : Array.from({length: spec.n}, (_, i) => spec.x0 + i);
  const data = [xs];
  for (const s of spec.series) data.push(await inflate(s.data));
  const spe = spec.stepsPerEpoch;
  const fmtX = (u, v) => v == null ? "" :
    spe ? `step ${v} \u00b7 epoch ${(v / spe).toFixed(3).replace(/\.?0+$/, "")}` : `step ${v}`;
  const fmtY = (u, v) => v == null ? "\u2013" : String(v);
  const axis = {stroke: pal.text, grid: {stroke: pal.grid, width: 1}, ticks: {stroke: pal.edge, width: 1}};
  // the x range the figure shows (a margin either side) where the page spans every step (drawn, or reset by a
  // double-click), not where a zoom shows what was dragged over: on the edge the last steps were hard to hover
  const whole = (u, lo, hi) => lo === xs[0] && hi === xs[xs.length - 1] ? spec.xRange.slice() : [lo, hi];
  const opts = {
    title: spec.title,
    width: Math.max(320, Math.min(window.innerWidth - 24, 1200)),
    height: Math.max(240, Math.min(window.innerHeight - 140, 520)),
    cursor: {drag: {x: true, y: false}, focus: {prox: 16}},
    scales: Object.assign({x: {time: false, range: whole}, lr: spec.logY ? {distr: 3} : {}},
                          Object.fromEntries(spec.right.map(r => [r.scale, {}]))),
    axes: [Object.assign({label: "step"}, axis),
           Object.assign({scale: "lr", label: spec.leftLabel, size: 70}, axis)]
      .concat(spec.right.map(r => Object.assign({scale: r.scale, side: 1, label: r.label, size: 60},
                                                axis, {grid: {show: false}}))),
    series: [{label: "step", value: fmtX}].concat(spec.series.map((s, i) => ({
      label: s.label, scale: s.scale, value: fmtY, width: 1.5,
      stroke: pal.cycle[i % pal.cycle.length],
      points: s.points ? {show: true, size: 5, fill: pal.cycle[i % pal.cycle.length]} : {show: false},
      paths: s.points ? () => null : undefined,
      spanGaps: false,
    }))),
  };
  const plot = new uPlot(opts, data, document.getElementById("lrplot"));
  window.lrplot = {plot: plot, ready: true};
})().catch(e => { document.getElementById("lrplot").textContent = "lrplot: " + e; throw e; });
"""


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _page(spec: dict[str, Any], theme: str, notes: tuple[str, ...] = ()) -> str:
    light, dark = palette("light"), palette("dark")
    colours = {name: {"cycle": list(p.cycle), "text": p.text, "grid": p.grid, "edge": p.edge, "background": p.background}
               for name, p in (("light", light), ("dark", dark))}
    mode = {"dark": "dark", "both": "auto"}.get(theme, "light")
    data = json.dumps(spec, sort_keys=True, separators=(",", ":")).replace("</", "<\\/")
    title = spec["title"] or "lrplot"
    esc = _escape(title)
    # what the figure's footnote says: check's findings on a mis-sized schedule, the readers' assumptions
    said = "".join(f'<div class="lrplot-note" style="font-size: 12px; margin-top: 4px;">{_escape(line)}</div>\n'
                   for line in notes)
    return f"""<!DOCTYPE html>
<html lang="en" data-theme="{mode}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="generator" content="lrplot">
<title>{esc}</title>
<style>{_asset("uPlot.min.css")}</style>
<style>
html {{ background: {light.background}; color: {light.text}; font: 14px system-ui, sans-serif; }}
html[data-theme="dark"] {{ background: {dark.background}; color: {dark.text}; }}
@media (prefers-color-scheme: dark) {{ html[data-theme="auto"] {{ background: {dark.background}; color: {dark.text}; }} }}
body {{ margin: 12px; }}
.u-legend {{ text-align: left; }}
.lrplot-help {{ opacity: 0.7; font-size: 12px; margin-top: 6px; }}
</style>
</head>
<body>
<div id="lrplot"></div>
<div class="lrplot-help">Hover for exact values; drag to zoom, double-click to reset; click a legend entry to hide it.</div>
{said}<script id="lrplot-data" type="application/json">{data}</script>
<script id="lrplot-palette" type="application/json">{json.dumps(colours, sort_keys=True, separators=(",", ":"))}</script>
<script>/* uPlot, MIT licence: */
/* {_asset("uPlot.LICENSE").strip().replace("*/", "* /")} */
{_asset("uPlot.iife.min.js")}</script>
<script>{_SCRIPT}</script>
</body>
</html>
"""


def render_html(curves: Curves, options: RenderOptions, theme: str = "light") -> bytes:
    """The interactive page for ``curves`` in ``theme``: light, dark, or both (the viewer's colour
    scheme picks; one file serves both)."""
    from ..figure.footnote import log_assumed, log_hidden

    hidden = log_hidden(curves) if options.log_y else []  # as under a figure: what the log axis cannot show
    return _page(payload(curves, options), theme,
                 (*options.notes, *log_assumed(curves), *hidden, *diverging(curves))).encode("utf-8")

