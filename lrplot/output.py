"""Writing output files atomically: a temporary file in the target folder, then a rename.

An interrupted or failed run never leaves a truncated file, and never replaces a good file with
a broken one.
"""

from __future__ import annotations

import os
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Callable, Iterable

from .errors import OutputError, UsageError

FIGURE_SUFFIXES = (".png", ".svg", ".pdf")
PAGE_SUFFIXES = (".html",)  # the interactive page (lrplot.views)
PLOT_SUFFIXES = FIGURE_SUFFIXES + PAGE_SUFFIXES
# --format: the figure formats, the page, and terminal text (standard output only)
PLOT_FORMATS = ("png", "svg", "pdf", "html", "term")
DATA_SUFFIXES = (".csv", ".json")
THEME_CHOICES = ("light", "dark", "both")


@dataclass(frozen=True)
class FigureTarget:
    """One figure to write: a file, or standard output (``path`` None) in ``fmt``."""

    path: Path | None
    theme: str  # a figure's theme or style; a page's light | dark | both (the viewer's colour scheme)
    fmt: str  # png | svg | pdf | html | term

    def __str__(self) -> str:
        return "-" if self.path is None else str(self.path)


NO_FIGURE = "none"  # -o none: the same as --no-figure


def plan_figures(output: Path | None, specs: list[Path], theme: str, style: str | None,
                 fmt: str | None, stdout_is_tty: bool, no_figure: bool = False) -> list[FigureTarget]:
    """The figures a plot writes, checked before any work: the default name, ``-`` for standard
    output (drawn as text on a terminal), ``--theme both`` writing NAME.light.EXT and NAME.dark.EXT
    (a page serves both in one file), ``--format term`` drawing in the terminal; none at all for
    ``--no-figure`` or ``-o none`` (the numbers only: ``--data``, the summary)."""
    fmt = fmt.strip().lower() if isinstance(fmt, str) else fmt  # as a suffix is read: -o x.PNG is a PNG
    if no_figure or (output is not None and str(output) == NO_FIGURE):
        if fmt is not None:
            raise UsageError(f"--format {fmt} names a figure format, but no figure is drawn (--no-figure or -o none)",
                             hint="leave --format out, or drop --no-figure")
        if no_figure and output is not None and str(output) != NO_FIGURE:
            raise UsageError(f"-o {output} names a figure, but --no-figure draws none",
                             hint="leave -o out, or drop --no-figure")
        return []
    if theme not in THEME_CHOICES:
        raise UsageError(f"--theme {theme}: use light, dark or both (or --style for any matplotlib style)")
    if style is not None and theme != "light":  # the style was drawn and the theme silently dropped
        raise UsageError(f"--theme {theme} and --style {style}: a style replaces the theme",
                         hint="give one of them")
    if fmt is not None and fmt not in PLOT_FORMATS:
        raise UsageError(f"--format {fmt}: use png, svg, pdf, html or term")
    themes = ["light", "dark"] if theme == "both" and style is None else [style or theme]
    if fmt == "term" and output is not None and str(output) != "-":
        raise UsageError("--format term draws in the terminal; it writes no file", hint="leave -o out, or use -o -")
    if fmt == "term" or (output is not None and str(output) == "-"):
        if fmt is None and stdout_is_tty:
            fmt = "term"  # no image viewer on a terminal: draw the curves in it
        fmt = fmt or "png"
        if fmt == "html":
            themes = [theme if style is None else "light"]
        if len(themes) > 1 and fmt != "term":
            raise UsageError("--theme both writes two files; it cannot write to standard output")
        if stdout_is_tty and fmt in ("png", "pdf"):
            raise UsageError(f"refusing to write a binary {fmt.upper()} figure to the terminal",
                             hint="redirect it (> fig.png), use -o FILE, or leave --format out to draw it here")
        return [FigureTarget(None, themes[0], fmt)]
    target = output or default_output(specs, f".{fmt}" if fmt else ".png")
    if fmt is not None and target.suffix.lower() != f".{fmt}":
        raise UsageError(f"--format {fmt} does not match the output name {target}",
                         hint="leave --format out; the format comes from the suffix")
    if target.suffix.lower() in PAGE_SUFFIXES:  # one page follows the viewer's light or dark scheme
        themes = [theme if style is None else "light"]
    paths = [target] if len(themes) == 1 else [target.with_suffix(f".{t}{target.suffix}") for t in themes]
    for path in paths:
        check_target(path, PLOT_SUFFIXES, "figure", protected=tuple(specs))
    return [FigureTarget(p, t, p.suffix.lower()[1:]) for p, t in zip(paths, themes)]


def drawn(output: Path | None) -> Path | None:
    """``output``, or None for ``-o none`` (no figure), as ``plot`` reads it; for verify and resume."""
    return None if output is not None and str(output) == NO_FIGURE else output


def default_output(paths: list[Path], suffix: str = ".png") -> Path:
    """``cosine.png`` for one spec, ``cosine_vs_step.png`` for several, in the current folder."""
    stems = list(dict.fromkeys(p.stem for p in paths))
    return Path("_vs_".join(stems)[:120] + suffix)


def no_folder(path: Path, folder: Path) -> OutputError:
    """The error for an output whose ``folder`` is not a folder: missing, or a file in the way
    (``-o a.png/x.png`` beside an existing a.png was told that a.png does not exist)."""
    blocker = next((p for p in (folder, *folder.parents) if p.exists() or p.is_symlink()), None)
    if blocker is not None and not blocker.is_dir():
        return OutputError(f"{path}: {blocker} is {'a file' if blocker.is_file() else 'there'}, not a folder",
                           hint="write into a folder, or move it away")
    return OutputError(f"{path}: the folder {folder} does not exist", hint="create it first")


def check_target(path: Path, suffixes: tuple[str, ...], what: str, protected: tuple[Path, ...] = ()) -> None:
    """Refuse an output path lrplot cannot or must not write, before any work is done."""
    if str(path) == "-":  # only a plot's figure goes to standard output (-o -)
        raise UsageError(f"-: standard output takes no {what} file here", hint=f"name a file, e.g. name{suffixes[0]}")
    refuse_folder(path, what, suffixes[0])
    if path.suffix.lower() not in suffixes:
        raise UsageError(f"{path}: unknown {what} format '{path.suffix or '(none)'}'",
                         hint=f"use one of {', '.join(suffixes)}")
    folder = path.parent if str(path.parent) else Path(".")
    if not folder.is_dir():
        raise no_folder(path, folder)
    if path.is_dir():
        raise OutputError(f"{path}: is a directory")
    if not os.access(folder, os.W_OK):
        raise OutputError(f"{path}: the folder {folder} is not writable")
    try:
        path.resolve()
    except (RuntimeError, OSError):  # RuntimeError: a symbolic link loop (Python < 3.13)
        raise OutputError(f"{path}: is a symbolic link loop", hint="remove the link or choose another name") from None
    for other in protected:
        if same_file(path, other):
            raise UsageError(f"{path}: refusing to overwrite an input file", hint="choose another output name")
    refuse_read(path)


def refuse_folder(path: Path, what: str, suffix: str) -> None:
    """Refuse a folder named as an output file: a usage error (exit 2), said alike by every command."""
    if path.is_dir() or str(path).endswith(("/", os.sep)):
        raise UsageError(f"{path}: is a folder, not a {what} file", hint=f"name a file in it, e.g. {path / ('name' + suffix)}")


def refuse_read(path: Path) -> None:
    """Refuse ``path`` as an output when this run read it (:mod:`lrplot.reads`)."""
    from .reads import read_as

    what = read_as(path)
    if what is not None:
        raise UsageError(f"{path}: refusing to overwrite an input file ({what})", hint="choose another output name")


def same_file(a: Path, b: Path) -> bool:
    """Whether ``a`` and ``b`` name one file (through symlinks, ``..`` and hard links)."""
    try:
        return os.path.samefile(a, b)
    except (OSError, ValueError):
        try:
            return a.resolve() == b.resolve()
        except (OSError, RuntimeError, ValueError):
            return False


def protect_inputs(outputs: Iterable[Path | None], inputs: Iterable[tuple[Path, str]]) -> None:
    """Refuse, before any work, an output that would overwrite a file the run reads (``inputs``:
    each with what it is, see :func:`lrplot.walk.input_files`): the next run would read lrplot's
    output as its input (``--data`` over the spec's own metric CSV)."""
    inputs = list(inputs)
    for out in outputs:
        if out is None:
            continue
        for path, what in inputs:
            if same_file(out, path):
                raise UsageError(f"{out}: refusing to overwrite an input file ({what})",
                                 hint="choose another output name")
        refuse_read(out)


def write_atomic(path: Path, write: Callable[[IO[bytes]], None]) -> None:
    """Call ``write(fh)`` on a temporary file beside ``path``, then rename it over ``path``."""
    with Staged() as staged:
        staged.add(path, write)
        staged.commit()


class Staged:
    """Several output files written all-or-nothing: each is written to a temporary file beside
    its target; :meth:`commit` renames them all into place at the end. Leaving the ``with``
    block without a commit (an error, Ctrl-C, SIGTERM) removes every temporary file, so a run
    that fails while drawing has written nothing, not even its --data file."""

    def __init__(self) -> None:
        self._pending: list[tuple[str, Path]] = []

    def __enter__(self) -> "Staged":
        return self

    def add(self, path: Path, write: Callable[[IO[bytes]], None]) -> None:
        refuse_read(path)  # the last word: every file the run read is known by now
        folder = path.parent if str(path.parent) else Path(".")
        try:
            fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=folder)
        except OSError as exc:
            if not folder.is_dir():  # said as check_target says it (schema -o, save_figure reach here unchecked)
                raise no_folder(path, folder) from None
            raise OutputError(f"{path}: cannot write: {exc.strerror or exc}") from None
        self._pending.append((tmp, path))
        try:
            with os.fdopen(fd, "wb") as fh:
                write(fh)
            os.chmod(tmp, 0o666 & ~_umask())
        except OSError as exc:
            raise OutputError(f"{path}: cannot write: {exc.strerror or exc}") from None

    def commit(self) -> None:
        while self._pending:
            tmp, path = self._pending[0]
            try:
                os.replace(tmp, path)
            except OSError as exc:
                raise OutputError(f"{path}: cannot write: {exc.strerror or exc}") from None
            self._pending.pop(0)

    def __exit__(self, *exc: object) -> None:
        for tmp, _ in self._pending:
            try:
                os.unlink(tmp)
            except OSError:
                pass
        self._pending.clear()


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def write_text_atomic(path: Path, text: str) -> None:
    write_atomic(path, lambda fh: fh.write(text.encode("utf-8")))


def regular_bytes(path: Path, limit: int) -> bytes | None:
    """The bytes of ``path`` if it is a regular file of at most ``limit`` bytes, never read through
    a symbolic link (None otherwise, or when it cannot be read)."""
    import stat

    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_CLOEXEC", 0))
    except OSError:
        return None
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode) or info.st_size > limit:
            return None
        with os.fdopen(os.dup(fd), "rb") as fh:
            return fh.read()
    finally:
        os.close(fd)
