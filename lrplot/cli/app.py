"""The typer application: ``lrplot SPEC...`` as ``lrplot plot SPEC...``, usage errors as one line, the process entry.

Commands are declared in :mod:`lrplot.cli.commands`; heavy modules (torch, matplotlib) are imported
inside them, so ``--help`` and ``--version`` stay fast.
"""

from __future__ import annotations

import signal
import sys
from typing import Any, Annotated, Optional

import typer
from typer.core import TyperCommand, TyperGroup

from .. import tricks
from .._version import __version__
from .report import StdoutError, discard_stdout, guard_stdout, interrupted, terminate

DEFAULT_COMMAND = "plot"


class LrplotGroup(TyperGroup):
    """``lrplot SPEC...`` means ``lrplot plot SPEC...``; errors are printed as one line."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        tricks.quick_coercion(self.params)  # --version: no pydantic adapter for its absence

    def get_help_option(self, ctx: Any) -> Any:
        return tricks.quick_coercion_of(super().get_help_option(ctx))  # typer makes --help on demand

    def parse_args(self, ctx: Any, args: list[str]) -> list[str]:
        if args and args[0] not in self.commands and args[0] not in ctx.help_option_names \
                and args[0] not in ("--version", "--install-completion", "--show-completion"):
            _not_a_misspelt_command(args[0], list(self.commands))
            args = [DEFAULT_COMMAND, *args]
        return super().parse_args(ctx, args)

    def main(self, args: Any = None, prog_name: Any = None, standalone_mode: bool = True, **extra: Any) -> Any:
        try:
            rv = super().main(args=args, prog_name=prog_name or "lrplot", standalone_mode=False, **extra)
            code = rv if isinstance(rv, int) else 0
        except typer.Exit as exc:
            code = exc.exit_code
        except StdoutError as exc:  # --help or --version into a full disk
            discard_stdout()
            typer.echo(f"lrplot: {exc.format()}", err=True)
            code = exc.exit_code
        except (typer.Abort, KeyboardInterrupt) as exc:
            code = interrupted(exc)
        except Exception as exc:
            if tricks.is_usage_error(exc):
                code = _usage_error(exc)
            elif tricks.is_click_error(exc):
                typer.echo(f"lrplot: {exc.format_message()}", err=True)  # type: ignore[attr-defined]
                code = exc.exit_code  # type: ignore[attr-defined]
            else:
                raise
        if standalone_mode:
            sys.exit(code)
        return code


def _not_a_misspelt_command(word: str, commands: list[str]) -> None:
    """``lrplot chek spec.yaml``: not a spec named 'chek' that does not exist ('chek: no such file'),
    but a command misspelt (exit 2). A word with a suffix or a folder, or an existing file, is a spec."""
    import os

    from ..text import did_you_mean

    if word.startswith("-") or "." in word or "/" in word or os.sep in word or os.path.lexists(word):
        return
    close = did_you_mean(word, commands, cutoff=0.75)
    if close:
        typer.echo(f"lrplot: {word}: no such command or spec file; {close}", err=True)
        raise typer.Exit(2)


def _usage_error(exc: Any) -> int:
    """``lrplot plot: No such option: --bogus (see 'lrplot plot --help')``; plain ``lrplot`` prints the help."""
    if type(exc).__name__ == "NoArgsIsHelpError" and exc.ctx is not None:
        typer.echo(exc.ctx.get_help())  # plain 'lrplot': the help, and exit 2 as for any usage slip
        return 2
    command = exc.ctx.command_path if exc.ctx else "lrplot"
    message = exc.format_message()
    if type(exc).__name__ == "MissingParameter" and getattr(getattr(exc, "param", None), "opts", None) == ["--log"]:
        # 'lrplot verify plan.yaml run.csv': the log named as a second argument
        message = f"{message.rstrip('.')}: the training log is named with it ({command} PLAN --log LOG)"
    typer.echo(f"{command}: {message} (see '{command} --help')", err=True)
    return 2


class LrplotCommand(TyperCommand):
    """A command whose help has no Python type names (typer shows ``<list[Path]>`` otherwise), and whose
    plain values are converted without typer's pydantic adapters (tricks/typercoerce.py)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        tricks.plain_arguments(self.params)
        tricks.quick_coercion(self.params)

    def get_help_option(self, ctx: Any) -> Any:
        return tricks.quick_coercion_of(super().get_help_option(ctx))

    def parse_args(self, ctx: Any, args: list[str]) -> list[str]:
        _no_empty_path(args, {o: p.metavar for p in self.params if getattr(p, "metavar", None) in PATH_METAVARS
                              for o in p.opts},
                       {o for p in self.params if p.param_type_name == "option" and not getattr(p, "is_flag", False)
                        and not getattr(p, "count", False) for o in p.opts})
        _no_missing_folder(args, [o for p in self.params if getattr(p, "metavar", None) in ("FILE", "FIG")
                                  for o in p.opts])
        return super().parse_args(ctx, args)


PATH_METAVARS = ("FILE", "FIG", "DIR", "LOG")  # options whose value is a path


def _no_empty_path(args: list[str], flags: dict[str, str], valued: set[str]) -> None:
    """``-o ''`` is the path '.', told it "is a folder" (and a gallery's ``-o ''`` the current folder):
    an empty path given to a path option (``flags``), or as an input, is refused as empty. ``valued``:
    every option that takes a value (the word after it is that value, not an input)."""
    taken = False  # this word is the value of the option before it
    for i, arg in enumerate(args):
        if taken:
            taken = False
            continue
        if arg == "--":
            return
        taken = arg in valued
        if arg == "":
            typer.echo("lrplot: '': an input path is empty; name a spec or config file", err=True)
            raise typer.Exit(2)
        if arg in flags and i + 1 < len(args) and args[i + 1] == "":
            flag = arg
        elif arg.startswith("--") and arg.endswith("=") and arg[:-1] in flags:
            flag = arg[:-1]
        else:
            continue
        what = "output " if flag in ("-o", "--output", "--data") else ""
        kind = {"DIR": "a folder", "LOG": "the training log"}.get(flags[flag], "a file")
        typer.echo(f"lrplot: {flag} '': the {what}path is empty; name {kind}", err=True)
        raise typer.Exit(2)


def _no_missing_folder(args: list[str], flags: list[str]) -> None:
    """``-o x.png/`` names a folder, but a path loses its trailing slash: the file x.png was written.
    An output file (FILE, FIG) that ends in a slash and is no folder is refused (a folder that exists is
    refused as one by lrplot.output.check_target)."""
    import os

    for i, arg in enumerate(args):
        if arg == "--":
            return
        flag, value = next(((f, arg[len(f) + (f.startswith("--")):]) for f in flags if arg != f and arg.startswith(
            f + "=" if f.startswith("--") else f)), (arg, args[i + 1] if arg in flags and i + 1 < len(args) else None))
        if value and value.endswith(("/", os.sep)) and value.strip("/" + os.sep) and not os.path.isdir(value):
            typer.echo(f"lrplot: {flag} {value}: no such folder (a trailing slash names one); to write the file, "
                       f"leave the slash out: {flag} {value.rstrip('/' + os.sep)}", err=True)
            raise typer.Exit(2)


app = typer.Typer(
    cls=LrplotGroup,
    name="lrplot",
    help="Draw exactly what a PyTorch learning-rate schedule does, before training.\n\n"
         "'lrplot SPEC...' is short for 'lrplot plot SPEC...'. A spec file named like a command "
         "stays reachable as ./NAME.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
    context_settings={"help_option_names": ["-h", "--help"]},
)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"lrplot {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: Annotated[Optional[bool], typer.Option(
        "--version", callback=_version, is_eager=True, help="Print the version and exit.")] = None,
) -> None:
    """Draw exactly what a PyTorch learning-rate schedule does, before training."""


def command(name: str, short_help: str) -> Any:
    """Declare a command of ``lrplot`` (its help free of Python type names)."""
    return app.command(name, cls=LrplotCommand, short_help=short_help)


def main() -> None:
    """Entry point of the ``lrplot`` script and ``python -m lrplot``."""
    tricks.install_startup()
    guard_stdout()
    try:
        signal.signal(signal.SIGTERM, terminate)
    except ValueError:  # not the main thread
        pass
    try:
        app()
    except SystemExit as exc:
        tricks.exit_now(exc.code, discard_stdout)
        raise
    tricks.exit_now(0, discard_stdout)
