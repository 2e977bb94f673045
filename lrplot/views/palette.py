"""The colours of lrplot's light and dark themes, read from their .mplstyle files (the one place
they are written), for views that do not draw with matplotlib."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from ..figure.themes import STYLES_DIR, THEMES


@dataclass(frozen=True)
class Palette:
    cycle: tuple[str, ...]  # "#rrggbb", in the theme's colour-cycle order
    background: str
    text: str
    grid: str
    edge: str


def _hex(value: str) -> str:
    value = value.strip().strip("'\"")
    if re.fullmatch(r"[0-9a-fA-F]{6}", value):
        return f"#{value.lower()}"
    return {"white": "#ffffff", "black": "#000000"}.get(value, value)


@lru_cache(maxsize=None)
def palette(theme: str) -> Palette:
    """``light`` or ``dark`` (any other style: ``light``'s colours)."""
    path = Path(STYLES_DIR) / f"{theme if theme in THEMES else 'light'}.mplstyle"
    settings: dict[str, str] = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        key, sep, value = line.partition(":")
        if sep and not key.lstrip().startswith("#"):
            settings[key.strip()] = value.split("#")[0].strip() if "cycler" not in value else value.strip()
    cycle = tuple(_hex(c) for c in re.findall(r"'([0-9a-fA-F]{6})'", settings["axes.prop_cycle"]))
    return Palette(cycle, _hex(settings["axes.facecolor"]), _hex(settings["text.color"]),
                   _hex(settings["grid.color"]), _hex(settings["axes.edgecolor"]))
