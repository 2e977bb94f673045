"""One call from a spec to a figure, for notebooks and scripts: :func:`plot`."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any, Iterable

from .errors import UsageError

if TYPE_CHECKING:  # pragma: no cover
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

    from .spec import Spec


def as_spec(source: Any, overrides: Iterable[str] = ()) -> "Spec":
    """A Spec from a Spec, a path to a spec or training config, spec YAML text (it has a line
    break) or a dict of spec keys (as in a spec file)."""
    from .spec import Spec, parse_spec

    overrides = tuple(overrides)
    if isinstance(source, Spec):
        if overrides:
            raise UsageError("set= applies to a file, text or dict, not to an already validated Spec",
                             hint="pass the path or the dict instead")
        return source
    if isinstance(source, dict):
        return Spec.from_dict(source, overrides)
    if isinstance(source, str) and "\n" in source:
        return parse_spec(source, "<spec>", overrides)
    if isinstance(source, (str, Path)):
        from .sources import load_input

        return load_input(source, overrides=overrides).spec
    raise UsageError(f"cannot make a spec from a {type(source).__name__}",
                     hint="pass a path, YAML text, a dict or a lrplot.Spec")


def plot(source: Any, *, ax: "Axes | None" = None, set: Iterable[str] = (),  # noqa: A002
         allow_import: Iterable[str] | None = None, cache: bool = False, **options: Any) -> "Figure":
    """Simulate and draw in one call: ``lrplot.plot("configs/cosine.yaml", log_y=True)``.

    ``source``: a path, spec YAML text, a dict of spec keys, a :class:`~lrplot.Spec`, or a list of
    these (drawn in one figure). ``set``: ``key.path=value`` overrides (``--set``). ``options``: any
    :class:`~lrplot.RenderOptions` field (``layout``, ``x``, ``log_y``, ``title``, ``theme``,
    ``size``, ``dpi``, ``legend``, ``annotate``); an unknown name fails with a did-you-mean before
    anything runs. ``cache=True`` uses the disk cache of curves as the CLI does. The figure
    displays itself in Jupyter."""
    from .figure import RenderOptions, check_ax_layout, check_option_names, render

    check_option_names(options)
    opts = RenderOptions(**options)  # values are checked before torch runs, too
    if ax is not None:
        check_ax_layout(opts.layout)
    sources = list(source) if isinstance(source, (list, tuple)) else [source]
    specs = [as_spec(s, set) for s in sources]
    from .engine import simulate

    curves = simulate(specs, allow_import=allow_import, cache=cache)
    return render(curves, ax=ax, options=opts)
