"""Text helpers shared by every layer: the did-you-mean suggestion, characters no input may hold
and escaping what lrplot prints from its inputs."""

from __future__ import annotations

import difflib
import re
from typing import Any


def did_you_mean(word: str, choices: Any) -> str | None:
    """``"did you mean 'T_max'?"`` for the closest of ``choices``, or None."""
    choices = [str(c) for c in choices]
    lowered = {c.lower(): c for c in choices}
    if str(word).lower() in lowered:
        close = [lowered[str(word).lower()]]
    else:
        close = difflib.get_close_matches(str(word), choices, n=1, cutoff=0.6)
    return f"did you mean '{close[0]}'?" if close else None


# Control characters (but tab and newline) and lone surrogates: they break terminals, file names
# and fonts, and an escape sequence from an input must never reach the terminal raw.
BAD_CHARACTER = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\ud800-\udfff]")
_UNPRINTABLE = re.compile(r"[\x00-\x1f\x7f-\x9f\ud800-\udfff]")


def bad_character(text: str) -> str | None:
    """``"the control character U+001B"`` for the first character no input text may hold, or None."""
    bad = BAD_CHARACTER.search(text)
    if bad is None:
        return None
    char = bad.group()
    kind = "a lone surrogate" if "\ud800" <= char <= "\udfff" else "the control character"
    return f"{kind} U+{ord(char):04X}"


def printable(text: str) -> str:
    """``text`` with every control character (newlines too) and lone surrogate shown as an
    escape (``\\x1b``, ``\\udcff``): what lrplot prints from its inputs stays one inert line."""
    return _UNPRINTABLE.sub(lambda m: m.group().encode("unicode_escape", "backslashreplace").decode("ascii")
                            if not "\ud800" <= m.group() <= "\udfff" else f"\\u{ord(m.group()):04x}", text)
