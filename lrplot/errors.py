"""The one domain exception of lrplot and its kinds.

Every error a user can cause is an :class:`LrplotError`. It carries the message, an optional hint
(how to fix it) and, when the error comes from a spec file, the source location. Only the command
line (``lrplot.cli``) turns one into a printed line and an exit code; the library raises and never exits.
"""

from __future__ import annotations

from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, Iterator


@dataclass(frozen=True)
class Location:
    """A position in a source file; ``line`` and ``col`` are 1-based as editors show them."""

    path: str
    line: int | None = None
    col: int | None = None
    key: str | None = None  # in a document without lines (a dict built in Python): the key path

    def __str__(self) -> str:
        if self.line is None:
            return f"{self.path}:{self.key}" if self.key else self.path
        if self.col is None:
            return f"{self.path}:{self.line}"
        return f"{self.path}:{self.line}:{self.col}"


def first_line(obj: object, default: str = "") -> str:
    """The first line of ``str(obj)`` (an exception's or a warning's message), or ``default``."""
    text = str(obj).strip()
    return text.splitlines()[0] if text else default


# Values read from environment variables on a config's behalf (``${oc.env:VAR}``), value -> VAR: an
# error line names the variable instead of printing its value (a token, a password).
_ENV_VALUES: dict[str, str] = {}


def said_by_name(value: object, variable: str) -> None:
    """From now on, error lines say ``${oc.env:VARIABLE}`` where they would print ``value``
    (numbers, booleans and very short values are no secrets, and replacing them would garble lines)."""
    text = str(value)
    if len(text) >= 4 and text.strip().lower() not in ("true", "false", "null", "none"):
        try:
            float(text)
        except ValueError:
            _ENV_VALUES[text] = variable


def _named(text: str) -> str:
    for value in sorted((v for v in _ENV_VALUES if v in text), key=len, reverse=True):
        text = text.replace(value, f"${{oc.env:{_ENV_VALUES[value]}}}")
    return text


class LrplotError(Exception):
    """Base class: something the user can fix. ``exit_code`` is what the CLI exits with."""

    exit_code = 1

    def __init__(self, message: str, *, hint: str | None = None, location: Location | None = None):
        if _ENV_VALUES:
            message, hint = _named(message), hint and _named(hint)
        super().__init__(message)
        self.message = message
        self.hint = hint
        self.location = location

    def format(self) -> str:
        """The single line the CLI prints: ``path:line:col: message; hint``."""
        text = self.message
        key = self.location.key if self.location else None
        if self.location and key is None and self.location.path.startswith("--set "):
            key = self.location.path[len("--set "):]  # '--set steps: steps: expected ...' says it twice
        if key and text.startswith(f"{key}: "):  # the location names the key already
            text = text[len(key) + 2:]
        if self.hint:
            text = f"{text}; {self.hint}"
        return f"{self.location}: {text}" if self.location else text

    def __str__(self) -> str:
        return self.format()


class SpecError(LrplotError):
    """The spec (YAML file, --set override, expression, metric CSV) is wrong."""


class UsageError(LrplotError):
    """The command line is wrong (bad option value, unknown output suffix, ...)."""

    exit_code = 2


class OutputError(LrplotError):
    """An output file cannot be written."""


class MissingLibraryError(SpecError):
    """A spec names a package that is not installed."""

    def __init__(self, message: str, *, package: str, **kwargs):
        super().__init__(message, **kwargs)
        self.package = package


class ImportNotAllowedError(SpecError):
    """A spec names code to import that the user has not allowed with --allow-import."""


class LrplotWarning(UserWarning):
    """What ``lrplot plot`` prints as a warning line, raised by :func:`lrplot.plot` as a Python
    warning so ``warnings.filterwarnings`` and pytest see it: a schedule that ends far from its
    floor (no-anneal), runs past its end (short-schedule) or rises again (rebound), a value that
    is NaN or infinite. The text is the command line's, located at the spec's line."""


@contextmanager
def warnings_named(name: Any) -> Iterator[None]:
    """The Python warnings raised inside (a framework's, while one input file is read or run) raised again with
    the file named first (``path: text``): a run over several files said which file each one came from in no
    way. ``name`` None (a spec built in memory) leaves them as they are."""
    import warnings

    if name is None:
        yield
        return
    with warnings.catch_warnings(record=True) as heard:
        try:
            yield
        finally:
            caught = list(heard)
    for w in caught:
        text = f"{name}: {w.message}"
        try:
            message: Any = w.category(text)
        except Exception:  # noqa: BLE001 - a warning class that takes other arguments: its text alone
            message = text
        warnings.warn_explicit(message, w.category, w.filename, w.lineno)
