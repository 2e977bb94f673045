"""Each trick's environment switch, and the one that turns off all (see the table in ``__init__``)."""

from __future__ import annotations

import os

SWITCHES = {
    "artist-docs": "LRPLOT_NO_ARTIST_DOCS",
    "pydantic-plugins": "LRPLOT_NO_PLUGIN_SKIP",
    "fast-exit": "LRPLOT_NO_FAST_EXIT",
    "argument-names": "LRPLOT_NO_ARGUMENT_NAMES",
    "click-errors": "LRPLOT_NO_CLICK_CLASSES",
    "dynamo-seed": "LRPLOT_NO_FASTPATH",
    "lean-torch": "LRPLOT_NO_LEAN_TORCH",
    "typer-coercion": "LRPLOT_NO_TYPER_COERCION",
    "lean-matplotlib": "LRPLOT_NO_LEAN_MATPLOTLIB",
}
ALL_OFF = "LRPLOT_NO_TRICKS"


def enabled(trick: str) -> bool:
    """Whether ``trick`` may run: neither its switch nor ``LRPLOT_NO_TRICKS`` is set."""
    return not (os.environ.get(SWITCHES[trick]) or os.environ.get(ALL_OFF))
