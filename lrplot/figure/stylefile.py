"""A ``--style`` file, read and checked before anything is drawn: only ``setting: value`` lines of
matplotlib settings with values lrplot can draw.

matplotlib itself reads any file as a style: a line that is not a setting is logged to stderr
with the line quoted (``--style /etc/passwd`` printed the file), and values it accepts can still
not be drawn: ``text.usetex`` needs a LaTeX installation, an empty colour cycle divides by zero,
a font or tick size of 1e300 overflows the renderer. Each is refused at its line, in one line,
without quoting the file.
"""

from __future__ import annotations

import math
import re
from functools import lru_cache
from pathlib import Path
from typing import Any

from ..errors import Location, UsageError
from ..limits import MAX_STYLE_BYTES, MAX_STYLE_SIZE

# matplotlib's own list of settings a style may not set (matplotlib.style ignores them with a warning)
_NOT_STYLE = {"backend", "backend_fallback", "date.epoch", "docstring.hardcopy", "figure.max_open_warning",
              "figure.raise_window", "interactive", "savefig.directory", "timezone", "tk.window_focus",
              "toolbar", "webagg.address", "webagg.open_in_browser", "webagg.port", "webagg.port_retries"}
_SIZE = re.compile(r"(size|width|pad|length|space|spacing)$")  # lengths in points (or figure fractions)
_NAME = re.compile(r"[A-Za-z0-9_.\-]{1,60}")


def _strip_comment(line: str) -> str:
    """The line without its ``#`` comment (a ``#`` inside double quotes is a value: a colour)."""
    quoted = False
    for i, ch in enumerate(line):
        if ch == '"':
            quoted = not quoted
        elif ch == "#" and not quoted:
            return line[:i].strip()
    return line.strip()


def _numbers(value: Any) -> list[float]:
    if isinstance(value, bool):
        return []
    if isinstance(value, (int, float)):
        return [float(value)]
    if isinstance(value, (list, tuple)):
        return [n for v in value for n in _numbers(v)]
    return []


def check_style_file(path: Path) -> dict[str, Any]:
    """The settings of a style file, validated by matplotlib's own validators; a line that is not
    a setting, or a value lrplot cannot draw, is a UsageError at ``file:line``."""
    key = (str(path), *_identity(path))
    return dict(_checked(key))


def _identity(path: Path) -> tuple[int, int]:
    try:
        info = path.stat()
    except OSError:
        return (0, 0)
    return (info.st_mtime_ns, info.st_size)


@lru_cache(maxsize=32)
def _checked(key: tuple) -> tuple[tuple[str, Any], ...]:
    import matplotlib

    from ..spec import read_text

    name = key[0]
    text = read_text(Path(name), "style file", MAX_STYLE_BYTES)
    settings: dict[str, Any] = {}
    for n, line in enumerate(text.splitlines(), 1):
        where = Location(name, n)
        stripped = _strip_comment(line)
        if not stripped:
            continue
        setting, colon, value = stripped.partition(":")
        setting, value = setting.strip(), value.strip()
        if not colon or not _NAME.fullmatch(setting):
            raise UsageError("not a matplotlib style file: a style file holds 'setting: value' lines",
                             location=where, hint="give a .mplstyle file, or a matplotlib style name")
        if setting not in matplotlib.rcParams.validate:
            raise UsageError(f"'{setting}' is not a matplotlib setting", location=where,
                             hint="a style file holds 'setting: value' lines of matplotlib's rcParams")
        if setting in _NOT_STYLE:
            continue  # not a style setting: matplotlib.style ignores it too
        if value.startswith('"') and value.endswith('"') and len(value) > 1:
            value = value[1:-1]
        try:
            checked = matplotlib.rcParams.validate[setting](value)
        except (ValueError, TypeError, RuntimeError) as exc:  # matplotlib's validators raise ValueError
            raise UsageError(f"{setting}: not a valid value ({str(exc).splitlines()[0][:80] if str(exc) else 'refused'})",
                             location=where) from None
        _drawable(setting, checked, where)
        settings[setting] = checked
    return tuple(settings.items())


def _drawable(setting: str, value: Any, where: Location) -> None:
    """Refuse a value matplotlib accepts but lrplot cannot draw with."""
    if setting == "text.usetex" and value:
        raise UsageError("text.usetex needs a LaTeX installation, which lrplot does not run", location=where,
                         hint="remove the line (matplotlib's own text rendering draws the same labels)")
    if setting == "axes.prop_cycle" and len(value) == 0:
        raise UsageError("axes.prop_cycle is empty: the curves need at least one colour", location=where)
    for number in _numbers(value):
        if not math.isfinite(number):
            raise UsageError(f"{setting}: {number} is not a finite number", location=where)
        if _SIZE.search(setting) and abs(number) > MAX_STYLE_SIZE:
            raise UsageError(f"{setting}: {number:g} is out of range; a size in a style is at most "
                             f"{MAX_STYLE_SIZE:g}", location=where)
