"""Text helpers shared by every layer: the did-you-mean suggestion."""

from __future__ import annotations

import difflib
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
