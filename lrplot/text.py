"""Text helpers shared by every layer: the did-you-mean suggestion, characters no input may hold,
escaping what lrplot prints from its inputs, and the finished lines of a log being written."""

from __future__ import annotations

import difflib
import re
from typing import Any


# A training config's key is refused as a misspelt schedule key only at this difflib ratio or above: real
# misspellings score 0.77-0.98 (warmup_step 0.96, num_epochs 0.77, lr_scheduler 0.83); a script's own key
# that merely shares words with one scores less (open-r1's code_eval_test_batch_size 0.62)
TYPO_RATIO = 0.75


def did_you_mean(word: str, choices: Any, cutoff: float = 0.6) -> str | None:
    """``"did you mean 'T_max'?"`` for the closest of ``choices`` (difflib ratio >= ``cutoff``), or None."""
    choices = [str(c) for c in choices]
    lowered = {c.lower(): c for c in choices}
    if str(word).lower() in lowered:
        close = [lowered[str(word).lower()]]
    else:
        close = difflib.get_close_matches(str(word), choices, n=1, cutoff=cutoff)
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


def cell_width(text: str) -> int:
    """Terminal columns ``text`` takes: wide East Asian characters take two, combining marks none."""
    import unicodedata

    if text.isascii():
        return len(text)
    return sum(0 if unicodedata.combining(c) else 2 if unicodedata.east_asian_width(c) in "WF" else 1
               for c in text)


def text_table(header: list[str], rows: list[list[str]], right: frozenset[str] = frozenset(),
               bold_header: bool = False) -> str:
    """Rows as aligned columns two spaces apart (``right`` names the right-aligned columns), the
    header bold when asked (a terminal); cells are printed as given, so escape them first."""
    widths = [max(cell_width(str(r[i])) for r in [header, *rows]) for i in range(len(header))]

    def line(cells: list[str]) -> str:
        out = []
        for name, cell, width in zip(header, cells, widths):
            pad = " " * (width - cell_width(cell))
            out.append(pad + cell if name in right else cell + pad)
        return "  ".join(out).rstrip()

    top = line(header)
    return "\n".join([f"\x1b[1m{top}\x1b[0m" if bold_header else top, *(line(r) for r in rows)])


def written_lines(text: str) -> list[str]:
    """The lines of a log written a line at a time (torchtune's DiskLogger, MMEngine): a last line
    without its line end is a record still being written (a running job, a copy taken mid-write),
    whose number may be cut (``lr:0.00119`` of ``lr:0.0011992724``), so it is not read, as
    TensorBoard does not read a cut last record."""
    lines = text.splitlines()
    return lines[:-1] if lines and not text.endswith(("\n", "\r")) else lines
