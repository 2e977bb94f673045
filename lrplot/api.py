"""One call from a spec to a figure, for notebooks and scripts: :func:`plot`."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Iterable

if TYPE_CHECKING:  # pragma: no cover
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure


def plot(source: Any, *, ax: "Axes | None" = None, set: Iterable[str] = (),  # noqa: A002
         allow_import: Iterable[str] | None = None, cache: bool = False, **options: Any) -> "Figure":
    """Simulate and draw in one call: ``lrplot.plot("configs/cosine.yaml", log_y=True)``.

    ``source``: anything :func:`lrplot.load_spec` reads (a path to a spec or training config,
    spec YAML text, a dict of spec keys, a :class:`~lrplot.Spec`), or a list of these (drawn in
    one figure). ``set``: ``key.path=value`` overrides (``--set``; one as a text, or a list). ``options``: any
    :class:`~lrplot.RenderOptions` field (``layout``, ``x``, ``log_y``, ``title``, ``theme``,
    ``size``, ``dpi``, ``legend``, ``annotate``, ``xlim``, ``ylim``, ``inset``, ``notes``); an unknown name fails with a did-you-mean before
    anything runs. ``cache=True`` uses the disk cache of curves as the CLI does. The figure
    displays itself in Jupyter.

    What ``lrplot plot`` prints as warning lines (``lrplot check``'s no-anneal, short-schedule,
    long-warmup and rebound findings; NaN or infinite values) is raised as a :class:`~lrplot.LrplotWarning`, one
    per line, with the same text (``warnings.filterwarnings("error", category=lrplot.LrplotWarning)``
    makes them errors)."""
    import warnings

    from .errors import LrplotWarning, UsageError
    from .figure import RenderOptions, check_ax_layout, check_option_names, check_raster, render
    from .findings import figure_facts
    from .pipeline import Reading, nonfinite_lines, simulate

    check_option_names(options)
    opts = RenderOptions(**options)  # values are checked before torch runs, too
    check_raster(opts.size, opts.dpi, "png")  # pixels too: a notebook's memory
    if ax is not None:
        check_ax_layout(opts.layout)
    sources = list(source) if isinstance(source, (list, tuple)) else [source]
    if not sources:  # an empty figure would look like a schedule that draws nothing
        raise UsageError("plot() got an empty list", hint="pass a spec: a path, YAML text, a dict or a lrplot.Spec")
    overrides = (set,) if isinstance(set, str) else tuple(set)  # one --set as a text, not its characters
    loaded = Reading(overrides, allow_import=allow_import).load(sources)
    specs = [s.spec for s in loaded]
    curves, findings, notes = figure_facts(specs, simulate(specs, allow_import=allow_import, cache=cache), loaded,
                                           allow_import=allow_import)
    lines = [f.text() for f in findings] + [line.removeprefix("lrplot: warning: ")
                                            for line in nonfinite_lines(curves)]
    for line in lines:
        warnings.warn(line, LrplotWarning, stacklevel=2)  # at the caller's line: the notebook cell
    return render(curves, ax=ax, options=opts.replace(notes=opts.notes + notes))
