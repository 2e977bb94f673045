"""How a command ends: one line per error on stderr, its exit code, and standard output that fails loudly.

Only the command line prints errors and chooses exit codes: an :class:`~lrplot.errors.LrplotError`
becomes ``path:line:col: message`` on stderr and its exit code (1 for bad input, 2 for bad usage);
anything else is an internal error (70), one line unless ``--debug`` asks for the traceback.
"""

from __future__ import annotations

import io
import os
import sys
import warnings
from contextlib import contextmanager
from typing import Any, Iterator

import typer

from ..errors import LrplotError, OutputError, first_line
from ..text import printable
from ..tricks import is_click_error

INTERNAL_ERROR = 70


def _warning_line(message: Any, category: type, filename: str, lineno: int, file: Any = None,
                  line: Any = None) -> None:
    # the first paragraph, joined: a warning wrapped over lines (Composer's "The warmup duration is 0. If you
    # specified warmup as a fraction of total\n training duration, ...") is one sentence, not its first line
    paragraph = str(message).strip().split("\n\n")[0]
    text = " ".join(line.strip() for line in paragraph.splitlines()) or first_line(message, category.__name__)
    if text in _SHOWN:  # said once a run: a file's reader and its run both hear a framework's warning
        return
    _SHOWN.add(text)
    print(printable(f"lrplot: warning: {text}"), file=sys.stderr)


_SHOWN: set[str] = set()  # the warnings this command printed (emptied as each command starts)


class Terminated(KeyboardInterrupt):
    """SIGTERM, handled as Ctrl-C is: temporary files removed, one line, exit 143."""


def terminate(signum: int, frame: Any) -> None:
    raise Terminated()


def interrupted(exc: BaseException) -> int:
    terminated = isinstance(exc, Terminated)
    typer.echo("lrplot: terminated" if terminated else "lrplot: interrupted", err=True)
    return 143 if terminated else 130


class StdoutError(OutputError):
    """Standard output cannot be written (a full disk, a closed terminal); not a broken pipe."""


class _GuardedStdout(io.FileIO):
    """The raw standard output under lrplot's buffered one: a failed write becomes one clear
    error (``cannot write to standard output: No space left on device``), wherever it happens."""

    def write(self, data: Any) -> int | None:
        try:
            return super().write(data)
        except BrokenPipeError:
            raise
        except OSError as exc:
            raise StdoutError(f"cannot write to standard output: {exc.strerror or exc}") from None


def guard_stdout() -> None:
    try:
        fd = sys.stdout.fileno()
        sys.stdout.flush()
    except (AttributeError, OSError, ValueError):  # not a real file (already replaced)
        return
    old = sys.stdout
    sys.stdout = io.TextIOWrapper(io.BufferedWriter(_GuardedStdout(fd, "wb", closefd=False)),
                                  encoding=old.encoding, errors=old.errors, line_buffering=old.line_buffering)


def discard_stdout() -> None:
    """Point standard output at /dev/null, so that what is still buffered for it cannot fail
    again (and print a second message) when Python exits."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)
    except (OSError, ValueError, AttributeError):
        pass


@contextmanager
def reporting(debug: bool) -> Iterator[None]:
    """Turn an LrplotError into its one line and exit code; anything else is an internal error,
    also one line unless --debug asks for the traceback."""
    debug = debug or bool(os.environ.get("LRPLOT_DEBUG"))
    from ..reads import forget

    forget()  # a command is one run: the files it reads start here (a test may run several in one process)
    previous = warnings.showwarning
    _SHOWN.clear()
    if not debug:
        warnings.showwarning = _warning_line
    try:
        yield
        sys.stdout.flush()  # a full disk shows here, while errors are still reported
    except LrplotError as exc:
        if isinstance(exc, StdoutError):
            discard_stdout()
        if debug:
            raise
        line = f"lrplot: {exc.format()}" if exc.location is None else exc.format()
        typer.echo(printable(line), err=True)
        raise typer.Exit(exc.exit_code) from None
    except KeyboardInterrupt as exc:
        raise typer.Exit(interrupted(exc)) from None
    except BrokenPipeError:  # the reader of our output went away (| head): stop quietly
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        raise typer.Exit(141) from None
    except typer.Exit:
        raise
    except Exception as exc:  # a bug in lrplot, not in the input
        if is_click_error(exc):
            raise
        if debug:
            raise
        typer.echo(printable(f"lrplot: internal error: {type(exc).__name__}: {first_line(exc)} "
                             "(run with --debug for the traceback)"), err=True)
        raise typer.Exit(INTERNAL_ERROR) from None
    finally:
        warnings.showwarning = previous


@contextmanager
def json_error(json_: bool) -> Iterator[None]:
    """With --json, an error also prints a JSON object on stdout (the line still goes to stderr)."""
    try:
        yield
    except LrplotError as exc:
        if json_:
            import json

            typer.echo(json.dumps({"follows": None, "error": exc.format(), "verdicts": [], "skipped": []}))
        raise


def styled(stream: Any) -> bool:
    """Whether to print bold text on ``stream``: a terminal, and no NO_COLOR in the environment."""
    try:
        return stream.isatty() and not os.environ.get("NO_COLOR") and os.environ.get("TERM") != "dumb"
    except (AttributeError, ValueError):
        return False


def echo(text: str, err: bool = False) -> None:
    """One line of output, with control characters made visible."""
    typer.echo(printable(text), err=err)
