"""Themes: lrplot's light and dark, a matplotlib style or a .mplstyle file, applied while drawing and saving."""

from __future__ import annotations

from contextlib import contextmanager
from functools import lru_cache
from pathlib import Path
from typing import Any, Iterator

from ..errors import UsageError

STYLES_DIR = Path(__file__).parent.parent / "styles"
THEMES = ("light", "dark")


def style_path(theme: str) -> str:
    """The matplotlib style for a theme name, a style name or a style file."""
    if theme in THEMES:
        return str(STYLES_DIR / f"{theme}.mplstyle")
    import matplotlib.style

    if theme in matplotlib.style.available or theme == "default":
        return theme
    path = Path(theme)
    if path.suffix == ".mplstyle" or path.exists():
        if not path.is_file():
            raise UsageError(f"--style {theme}: no such style file")
        from .stylefile import check_style_file

        check_style_file(path)  # every line a setting lrplot can draw with, before anything is drawn
        return str(path)
    from ..text import did_you_mean

    choices = list(THEMES) + sorted(matplotlib.style.available)
    raise UsageError(f"unknown style '{theme}'", hint=did_you_mean(theme, choices) or
                     f"use light, dark, a matplotlib style ({', '.join(sorted(matplotlib.style.available)[:5])}, ...) "
                     "or a .mplstyle file")


@contextmanager
def styled(theme: str, defaults: bool = True) -> Iterator[None]:
    """matplotlib's settings for ``theme`` while the block runs, on top of matplotlib's defaults:
    a user's matplotlibrc (or rcParams a notebook set) never reaches lrplot's figures, so the same
    spec gives the same bytes on every machine, as the gallery and the docs' image cache rely on.
    ``defaults=False`` (drawing into an Axes of the user's own figure) keeps the session's settings
    under the theme's, so lrplot's artists match the rest of that figure.
    lrplot's own themes are read from their files directly: ``matplotlib.style`` parses its whole
    style library (about 30 files, 17 ms) on import, for names lrplot's themes never use; the
    settings are the same ones ``matplotlib.style.context`` would apply."""
    import matplotlib

    with matplotlib.rc_context(_default_params() if defaults else {}):
        if theme in THEMES:
            with matplotlib.rc_context(_theme_params(theme)):
                yield
            return
        import matplotlib.style

        found = style_path(theme)
        if found == theme and theme in matplotlib.style.available or theme == "default":
            with matplotlib.style.context(found):
                yield
            return
        from .stylefile import check_style_file

        with matplotlib.rc_context(check_style_file(Path(found))):  # the settings as checked, read once
            yield


# what matplotlib.style leaves alone when it applies a style (its own list): the backend and the
# session's other settings, none of which changes what a figure looks like
_SESSION = frozenset({"backend", "backend_fallback", "interactive", "toolbar", "timezone", "date.epoch",
                      "docstring.hardcopy", "figure.max_open_warning", "figure.raise_window",
                      "savefig.directory", "tk.window_focus", "webagg.address", "webagg.open_in_browser",
                      "webagg.port", "webagg.port_retries"})


@lru_cache(maxsize=None)
def _default_params() -> dict[str, Any]:
    """matplotlib's own defaults of every setting a style may set, whatever a matplotlibrc says."""
    import matplotlib

    return {k: v for k, v in matplotlib.rcParamsDefault.items() if k not in _SESSION}


@lru_cache(maxsize=None)
def _theme_params(theme: str) -> dict[str, Any]:
    """The settings of one of lrplot's theme files, read once per process."""
    import matplotlib

    return dict(matplotlib.rc_params_from_file(style_path(theme), use_default_template=False).items())
