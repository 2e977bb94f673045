"""The ``lrplot`` command line: parse options, call the library, print one line per error.

Only this module prints errors and chooses exit codes: an :class:`~lrplot.errors.LrplotError`
becomes ``path:line:col: message`` on stderr and its exit code (1 for bad input, 2 for bad usage).
Heavy modules (torch, matplotlib) are imported inside the commands, so ``--help`` and
``--version`` stay fast.
"""

from __future__ import annotations

import io
import os
import signal
import sys
import warnings
from contextlib import contextmanager
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, Iterator, Optional

import typer
from typer.core import TyperArgument, TyperCommand, TyperGroup

from . import __version__
from .errors import LrplotError, OutputError, UsageError, first_line
from .sources import READERS
from .text import bad_character, printable

if TYPE_CHECKING:  # pragma: no cover
    from .imports import Allowance

DEFAULT_COMMAND = "plot"
INTERNAL_ERROR = 70

# typer ships its own copy of click; take its exception classes from typer's public ones.
_ClickUsageError = next(c for c in typer.BadParameter.__mro__ if c.__name__ == "UsageError")
_ClickException = next(c for c in typer.BadParameter.__mro__ if c.__name__ == "ClickException")


class LrplotGroup(TyperGroup):
    """``lrplot SPEC...`` means ``lrplot plot SPEC...``; errors are printed as one line."""

    def parse_args(self, ctx: Any, args: list[str]) -> list[str]:
        if args and args[0] not in self.commands and args[0] not in ctx.help_option_names \
                and args[0] not in ("--version", "--install-completion", "--show-completion"):
            args = [DEFAULT_COMMAND, *args]
        return super().parse_args(ctx, args)

    def main(self, args: Any = None, prog_name: Any = None, standalone_mode: bool = True, **extra: Any) -> Any:
        try:
            rv = super().main(args=args, prog_name=prog_name or "lrplot", standalone_mode=False, **extra)
            code = rv if isinstance(rv, int) else 0
        except _ClickUsageError as exc:
            if type(exc).__name__ == "NoArgsIsHelpError" and exc.ctx is not None:
                typer.echo(exc.ctx.get_help())  # plain 'lrplot': the help, and exit 2 as for any usage slip
                code = 2
                if standalone_mode:
                    sys.exit(code)
                return code
            command = exc.ctx.command_path if exc.ctx else "lrplot"
            typer.echo(f"{command}: {exc.format_message()} (see '{command} --help')", err=True)
            code = 2
        except _ClickException as exc:
            typer.echo(f"lrplot: {exc.format_message()}", err=True)
            code = exc.exit_code
        except typer.Exit as exc:
            code = exc.exit_code
        except StdoutError as exc:  # --help or --version into a full disk
            _discard_stdout()
            typer.echo(f"lrplot: {exc.format()}", err=True)
            code = exc.exit_code
        except (typer.Abort, KeyboardInterrupt) as exc:
            code = _interrupted(exc)
        if standalone_mode:
            sys.exit(code)
        return code


class _Argument(TyperArgument):
    """An argument shown as a CLI user reads it: ``SPEC...``, not ``{SPEC}... <list[Path]>``."""

    def display_type_rich(self, ctx: Any) -> None:
        return None

    def _usage_display_name(self) -> str:
        name = self.display_name_raw
        name = name if self.required else f"[{name}]"
        return name + ("..." if self.nargs != 1 else "")

    def _rich_display_name(self) -> str:
        return self._usage_display_name()


class LrplotCommand(TyperCommand):
    """A command whose help has no Python type names (typer shows ``<list[Path]>`` otherwise)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for param in self.params:
            if isinstance(param, TyperArgument):
                param.__class__ = _Argument


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


def _warning_line(message: Any, category: type, filename: str, lineno: int, file: Any = None,
                  line: Any = None) -> None:
    text = first_line(message, category.__name__)
    print(printable(f"lrplot: warning: {text}"), file=sys.stderr)


class Terminated(KeyboardInterrupt):
    """SIGTERM, handled as Ctrl-C is: temporary files removed, one line, exit 143."""


def _terminate(signum: int, frame: Any) -> None:
    raise Terminated()


def _interrupted(exc: BaseException) -> int:
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


def _guard_stdout() -> None:
    try:
        fd = sys.stdout.fileno()
        sys.stdout.flush()
    except (AttributeError, OSError, ValueError):  # not a real file (already replaced)
        return
    old = sys.stdout
    sys.stdout = io.TextIOWrapper(io.BufferedWriter(_GuardedStdout(fd, "wb", closefd=False)),
                                  encoding=old.encoding, errors=old.errors, line_buffering=old.line_buffering)


def _discard_stdout() -> None:
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
    previous = warnings.showwarning
    if not debug:
        warnings.showwarning = _warning_line
    try:
        yield
        sys.stdout.flush()  # a full disk shows here, while errors are still reported
    except LrplotError as exc:
        if isinstance(exc, StdoutError):
            _discard_stdout()
        if debug:
            raise
        line = f"lrplot: {exc.format()}" if exc.location is None else exc.format()
        typer.echo(printable(line), err=True)
        raise typer.Exit(exc.exit_code) from None
    except KeyboardInterrupt as exc:
        raise typer.Exit(_interrupted(exc)) from None
    except BrokenPipeError:  # the reader of our output went away (| head): stop quietly
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        raise typer.Exit(141) from None
    except (typer.Exit, _ClickException):
        raise
    except Exception as exc:  # a bug in lrplot, not in the input
        if debug:
            raise
        typer.echo(printable(f"lrplot: internal error: {type(exc).__name__}: {first_line(exc)} "
                             "(run with --debug for the traceback)"), err=True)
        raise typer.Exit(INTERNAL_ERROR) from None
    finally:
        warnings.showwarning = previous


# --- shared option types -------------------------------------------------------------------------

SpecsArg = Annotated[list[Path], typer.Argument(
    help="lrplot specs or training configs (YAML/JSON, MMEngine .py), recognised by content (see --from).",
    metavar="SPEC", show_default=False)]
SetOpt = Annotated[Optional[list[str]], typer.Option(
    "--set", metavar="KEY.PATH=VALUE", help="Override a value of the input, e.g. --set scheduler.T_max=50 (repeatable; on a Hydra "
                                             "config with a defaults list, a Hydra override such as model=other).")]
DebugOpt = Annotated[bool, typer.Option("--debug", help="Show tracebacks (also LRPLOT_DEBUG=1).")]
AllowOpt = Annotated[Optional[list[str]], typer.Option(
    "--allow-import", metavar="PACKAGE|FILE.py",
    help="Let import-path scheduler types ('package.module:Name', 'file.py:Name') import this package, "
         "or this local file by its path (repeatable; also LRPLOT_ALLOW_IMPORT=a,b). The scheduler modules "
         "of torch, timm, transformers and pytorch-accelerated need no flag.")]


FromOpt = Annotated[Optional[str], typer.Option(
    "--from", metavar="KIND",
    help="Read every SPEC as this kind instead of recognising it by content: "
         + " | ".join(READERS) + ".", show_default=False)]
DatasetSizeOpt = Annotated[Optional[int], typer.Option(
    "--dataset-size", metavar="N", min=1, help="Training examples (for training configs).", show_default=False)]
DevicesOpt = Annotated[Optional[int], typer.Option(
    "--devices", metavar="K", min=1, help="World size, devices x nodes (for training configs; default 1).",
    show_default=False)]
BatchSizeOpt = Annotated[Optional[int], typer.Option(
    "--batch-size", metavar="B", min=1, help="Per-device batch size, where a training config does not hold it.",
    show_default=False)]
PrintSpecOpt = Annotated[bool, typer.Option(
    "--print-spec", help="Print the equivalent lrplot spec (YAML, with the step arithmetic as a comment) "
                         "and exit without simulating.")]


@dataclass(frozen=True)
class Inputs:
    """The options that say how SPEC files are read (shared by plot, check, state and resume)."""

    paths: list[Path]
    overrides: list[str] | None = None
    kind: str | None = None
    dataset_size: int | None = None
    devices: int | None = None
    batch_size: int | None = None
    allow_import: list[str] | None = None

    def load(self) -> list[Any]:
        """Every SPEC file as a :class:`lrplot.sources.Source`."""
        from .sources import BudgetInputs, load_input

        budget = BudgetInputs(self.dataset_size, self.devices, self.batch_size)
        allowance = _allowed(self.allow_import)
        return [load_input(p, kind=self.kind, overrides=self.overrides or (), inputs=budget, allow_import=allowance)
                for p in self.paths]

    def print_budget(self, sources: list[Any]) -> None:
        """The training configs' budget arithmetic and notes, on stderr."""
        from .sources import budget_lines

        for line in budget_lines(sources, self.paths):
            typer.echo(line, err=True)

    def print_spec(self, sources: list[Any]) -> None:
        from .sources import spec_text

        typer.echo(spec_text(sources, self.paths), nl=False)


def _allowed(names: list[str] | None) -> Allowance:
    from .imports import allowed_imports

    return allowed_imports(names)


@app.command(DEFAULT_COMMAND, cls=LrplotCommand, short_help="Draw the schedules of SPEC files into one figure.")
def plot(
    specs: SpecsArg,
    output: Annotated[Optional[Path], typer.Option(
        "-o", "--output", metavar="FILE", help="Figure file: .png, .svg or .pdf (default: the SPEC's stem + .png in the current folder; "
             "- for standard output).",
        show_default=False)] = None,
    fmt: Annotated[Optional[str], typer.Option(
        "--format", metavar="FORMAT", help="png | svg | pdf: the format for -o - (standard output); otherwise the suffix decides.",
        show_default=False)] = None,
    data: Annotated[Optional[Path], typer.Option(
        "--data", metavar="FILE", help="Also write the numbers: .csv (schedule,group,field,step,value) or .json.")] = None,
    set_: SetOpt = None,
    layout: Annotated[str, typer.Option(
        "--layout", metavar="LAYOUT", help="overlay | grid (a panel per schedule) | fields (a row per field) | groups | auto.")] = "auto",
    x: Annotated[str, typer.Option("--x", metavar="UNIT", help="x axis unit: step | epoch (needs steps_per_epoch).")] = "step",
    log_y: Annotated[bool, typer.Option("--log-y", help="Logarithmic y axis.")] = False,
    title: Annotated[Optional[str], typer.Option("--title", metavar="TEXT", help="Figure title (default: the spec's title).")] = None,
    theme: Annotated[str, typer.Option("--theme", metavar="THEME", help="light | dark | both (writes NAME.light.EXT and NAME.dark.EXT).")] = "light",
    style: Annotated[Optional[str], typer.Option(
        "--style", metavar="STYLE", help="Any matplotlib style name or .mplstyle file (instead of --theme).")] = None,
    size: Annotated[str, typer.Option("--size", metavar="WxH", help="Figure size in inches, WIDTHxHEIGHT.")] = "8x4.5",
    dpi: Annotated[int, typer.Option("--dpi", metavar="DPI", min=20, max=1200, help="Resolution of PNG output.")] = 150,
    no_legend: Annotated[bool, typer.Option("--no-legend", help="Leave the legend out.")] = False,
    annotate: Annotated[str, typer.Option(
        "--annotate", metavar="LIST", help="Comma list of milestones, peak, final, jumps; or all, or none.")] = "all",
    quiet: Annotated[bool, typer.Option("-q", "--quiet", help="No summary table on stderr.")] = False,
    allow_import: AllowOpt = None,
    from_: FromOpt = None,
    dataset_size: DatasetSizeOpt = None,
    devices: DevicesOpt = None,
    batch_size: BatchSizeOpt = None,
    print_spec: PrintSpecOpt = False,
    log: LogOpt = None,
    log_format: LogFormatOpt = None,
    log_key: LogKeyOpt = None,
    no_cache: Annotated[bool, typer.Option(
        "--no-cache", help="Simulate even if the curves are cached (and do not cache them). "
                           "Cache folder: $LRPLOT_CACHE_DIR, else $XDG_CACHE_HOME/lrplot or ~/.cache/lrplot.")] = False,
    debug: DebugOpt = False,
) -> None:
    """Simulate the schedules of SPEC files and draw them into one figure."""
    with reporting(debug):
        import sys

        inputs = Inputs(specs, set_, from_, dataset_size, devices, batch_size, allow_import)
        if print_spec:
            inputs.print_spec(inputs.load())
            return
        from .output import DATA_SUFFIXES, check_target, plan_figures
        from .figure import RenderOptions, style_path

        figures = plan_figures(output, specs, theme, style, fmt, stdout_is_tty=sys.stdout.isatty())
        if data is not None:
            check_target(data, DATA_SUFFIXES, "data", protected=tuple(specs))
        for figure in figures:
            style_path(figure.theme)
        if title is not None and bad_character(title):
            raise UsageError(f"--title contains {bad_character(title)}", hint="remove it")
        options = RenderOptions(layout=layout, x=x, log_y=log_y, title=title, size=size, dpi=dpi,
                                legend=not no_legend, annotate=annotate)
        from .figure import check_raster

        for figure in figures:
            check_raster(options.size, options.dpi, figure.fmt)

        logged = None
        if log is not None:
            from .logs import load_log

            logged = load_log(log, fmt=log_format, key=log_key)
        sources = inputs.load()
        loaded = [source.spec for source in sources]
        from .output import protect_inputs
        from .walk import input_files

        protect_inputs([f.path for f in figures] + [data], input_files(loaded))
        from .engine import simulate
        from .engine.memory import exporting
        from .progress import terminal_progress

        with terminal_progress() as progress, exporting(data.suffix if data is not None else None):
            curves = simulate(loaded, allow_import=_allowed(allow_import), cache=not no_cache, progress=progress)
        if logged is not None:
            from .verify import overlay

            curves = overlay(curves, [s for spec in loaded for s in spec.schedule_list()], logged,
                             allow_import=_allowed(allow_import))
        for series, first, count in curves.nonfinite():
            typer.echo(printable(f"lrplot: warning: '{series.schedule}' {series.field} of group "
                                 f"{series.group_name} is NaN or infinite at {count} step(s), first at step "
                                 f"{first}; drawn where finite"), err=True)
        from dataclasses import replace

        from .figure import render_to_bytes
        from .output import Staged

        # All or nothing: every output is rendered first, written to temporary files, and renamed
        # into place only once all are ready; a failure or an interrupt leaves nothing behind.
        rendered = [render_to_bytes(curves, f.fmt, replace(options, theme=f.theme)) for f in figures]
        with Staged() as staged:
            if data is not None:
                staged.add(data, data_writer(curves, data))
            for figure, blob in zip(figures, rendered):
                if figure.path is not None:
                    staged.add(figure.path, lambda fh, blob=blob: fh.write(blob))
            for figure, blob in zip(figures, rendered):
                if figure.path is None:
                    stream = typer.get_binary_stream("stdout")
                    stream.write(blob)
                    stream.flush()
            staged.commit()
        for figure in figures:
            if figure.path is not None:
                typer.echo(printable(str(figure.path)))
        if data is not None:
            typer.echo(printable(str(data)), err=figures[0].path is None)
        if not quiet:
            inputs.print_budget(sources)
            print_summary(curves)


def data_writer(curves: Any, path: Path) -> Any:
    """What writes ``--data`` to an open file (checked against the memory first)."""
    from .curves import DATA_FORMATS, write_csv
    from .engine.memory import check_export_memory

    suffix = path.suffix.lower()
    check_export_memory(curves, suffix)
    if suffix == ".csv":  # streamed: its memory does not grow with the steps
        return lambda fh: write_csv(curves, fh)
    return lambda fh: fh.write(DATA_FORMATS[suffix](curves).encode("utf-8"))


def print_summary(curves: Any) -> None:
    """Per schedule and group: initial, peak, final, min and jumps, as a table on stderr."""
    from .summary import summarize
    from .text import text_table

    rows = summarize(curves)
    if not rows:
        return
    header = ["schedule", "group", "field", "initial", "peak (step)", "final", "min", "jumps at"]
    cells = [[printable(r.schedule), printable(r.group), printable(r.field), f"{r.initial:.4g}",
              f"{r.peak:.4g} ({r.peak_step})", f"{r.final:.4g}", f"{r.min:.4g}", r.jumps_text()] for r in rows]
    right = frozenset(("initial", "peak (step)", "final", "min"))
    typer.echo(text_table(header, cells, right, bold_header=_styled(sys.stderr)), err=True)


def _styled(stream: Any) -> bool:
    """Whether to print bold text on ``stream``: a terminal, and no NO_COLOR in the environment."""
    try:
        return stream.isatty() and not os.environ.get("NO_COLOR") and os.environ.get("TERM") != "dumb"
    except (AttributeError, ValueError):
        return False


@app.command("gallery", cls=LrplotCommand, short_help="Render every spec of a folder to PNG and SVG, with an index.")
def gallery(
    configs: Annotated[Path, typer.Argument(help="Folder of spec files.", metavar="CONFIGS", show_default=False)] = Path("configs"),
    output: Annotated[Path, typer.Option("-o", "--output", metavar="DIR", help="Gallery folder (figures + README.md).")] = Path("gallery"),
    allow_import: AllowOpt = None,
    debug: DebugOpt = False,
) -> None:
    """Render every spec of a folder to PNG and SVG with an index README, in one process."""
    with reporting(debug):
        from .gallery import build_gallery

        entries = build_gallery(configs, output, allow_import=_allowed(allow_import))
        failed = [e for e in entries if e.error]
        for e in failed:
            typer.echo(printable(e.error), err=True)
        typer.echo(printable(f"{output / 'README.md'} ({len(entries)} configs"
                             + (f", {len(failed)} failed: listed in the index" if failed else "") + ")"))
        if failed:
            raise typer.Exit(1)


@app.command("schema", cls=LrplotCommand, short_help="Print the JSON Schema of spec files.")
def schema(
    output: Annotated[Optional[Path], typer.Option("-o", "--output", metavar="FILE", help="Write to a file instead of stdout.")] = None,
    debug: DebugOpt = False,
) -> None:
    """Print the JSON Schema of spec files (for editor completion and validation)."""
    with reporting(debug):
        import json

        from .spec import json_schema

        text = json.dumps(json_schema(), indent=2) + "\n"
        if output is None:
            typer.echo(text, nl=False)
        else:
            from .output import write_text_atomic

            write_text_atomic(output, text)
            typer.echo(printable(str(output)))


LogOpt = Annotated[Optional[Path], typer.Option(
    "--log", metavar="LOG", help="A training log to draw over the plan, as points: TensorBoard events (a run folder "
                                 "or a file), trainer_state.json, metrics.csv, a W&B history CSV, a step,lr CSV.")]
LogFormatOpt = Annotated[Optional[str], typer.Option(
    "--log-format", metavar="FORMAT", help="Force the log's format: hf | lightning-csv | wandb-csv | csv | tensorboard.",
    show_default=False)]
LogKeyOpt = Annotated[Optional[str], typer.Option(
    "--log-key", metavar="TAG", help="The lr tag or column, when its name is not a usual one (lr, learning_rate, "
                                     "train/learning_rate, lr-AdamW and the like).", show_default=False)]
AtOpt = Annotated[list[int], typer.Option(
    "--at", metavar="K", min=1, help="Resume after update K (repeatable: --at 50 --at 120).", show_default=False)]
JsonOpt = Annotated[bool, typer.Option("--json", help="Print JSON on stdout instead of text.")]


def _schedules(inputs: Inputs, print_spec: bool) -> list[Any] | None:
    """The schedules of every input; None after printing the specs (--print-spec)."""
    sources = inputs.load()
    if print_spec:
        inputs.print_spec(sources)
        return None
    inputs.print_budget(sources)
    return [s for source in sources for s in source.spec.schedule_list()]


def _console(stderr: bool = False) -> Any:
    from rich.console import Console

    return Console(stderr=stderr, width=max(100, Console().width), highlight=False)


@app.command("state", cls=LrplotCommand, short_help="Show the scheduler's state and param groups after K updates.")
def state(
    specs: SpecsArg,
    at: Annotated[int, typer.Option("--at", metavar="K", min=0, show_default=False,
                                    help="State after K updates (before update K).")],
    json_: JsonOpt = False,
    set_: SetOpt = None,
    allow_import: AllowOpt = None,
    from_: FromOpt = None,
    dataset_size: DatasetSizeOpt = None,
    devices: DevicesOpt = None,
    batch_size: BatchSizeOpt = None,
    print_spec: PrintSpecOpt = False,
    debug: DebugOpt = False,
) -> None:
    """Show what the scheduler keeps (state_dict) and the optimizer's param groups after K updates."""
    with reporting(debug):
        import json

        from .state import state_at

        schedules = _schedules(Inputs(specs, set_, from_, dataset_size, devices, batch_size, allow_import),
                               print_spec)
        if schedules is None:
            return
        allowance = _allowed(allow_import)
        states = [state_at(s, at, allow_import=allowance) for s in schedules]
        if json_:
            typer.echo(json.dumps(states if len(states) > 1 else states[0], indent=1))
            return
        from rich.pretty import Pretty

        console = _console()
        from rich.markup import escape

        for st in states:
            console.print(f"[bold]{escape(printable(st['schedule']))}[/bold] ({escape(printable(st['scheduler']))}) "
                          f"after {st['at']} updates ({st['scheduler_steps']} scheduler steps)")
            console.print("scheduler.state_dict():")
            console.print(Pretty(st["scheduler_state"], indent_guides=False), soft_wrap=False)
            console.print("optimizer param groups:")
            console.print(Pretty(st["param_groups"], indent_guides=False))


@app.command("resume", cls=LrplotCommand, short_help="Check that resuming after update K continues the same curve.")
def resume(
    specs: SpecsArg,
    at: AtOpt,
    method: Annotated[Optional[list[str]], typer.Option(
        "--method", metavar="METHOD", help="full | scheduler-only | last_epoch (repeatable; default: all three).")] = None,
    output: Annotated[Optional[Path], typer.Option(
        "-o", "--output", metavar="FILE", help="Draw the uninterrupted and the differing resumed curves (.png/.svg/.pdf).")] = None,
    json_: JsonOpt = False,
    set_: SetOpt = None,
    allow_import: AllowOpt = None,
    from_: FromOpt = None,
    dataset_size: DatasetSizeOpt = None,
    devices: DevicesOpt = None,
    batch_size: BatchSizeOpt = None,
    print_spec: PrintSpecOpt = False,
    debug: DebugOpt = False,
) -> None:
    """Stop after update K, save state, resume as a user would, and compare with the uninterrupted run.

    Exit 0 when every method is identical (==), 1 when one differs or cannot resume (the report
    says which); a bad spec also exits 1 but prints a located error line instead of a report.
    """
    with reporting(debug):
        import json

        from .resume import check_resume, resume_methods

        methods = resume_methods(method)
        if output is not None:
            from .output import FIGURE_SUFFIXES, check_target

            check_target(output, FIGURE_SUFFIXES, "figure", protected=tuple(specs))
        schedules = _schedules(Inputs(specs, set_, from_, dataset_size, devices, batch_size, allow_import),
                               print_spec)
        if schedules is None:
            return
        if output is not None:
            from .output import protect_inputs
            from .walk import input_files

            protect_inputs([output], input_files({id(s.spec): s.spec for s in schedules}.values()))
        allowance = _allowed(allow_import)
        reports = [check_resume(s, at, methods, allow_import=allowance) for s in schedules]
        if output is not None:
            from .figure import RenderOptions, render_to_file
            from .resume import resume_curves

            render_to_file(resume_curves(reports), output, RenderOptions())  # several fields: own axes
        if json_:
            typer.echo(json.dumps([r.to_json() for r in reports], indent=1))
        else:
            from rich.table import Table

            table = Table(box=None, pad_edge=False, header_style="bold")
            for col in ("schedule", "at", "method", "result"):
                table.add_column(col, justify="right" if col == "at" else "left", overflow="fold")
            for rep in reports:
                for r in rep.results:
                    style = "green" if r.identical else "red"
                    from rich.markup import escape

                    table.add_row(escape(printable(rep.schedule)), str(r.at), r.method,
                                  f"[{style}]{escape(printable(r.describe()))}[/{style}]")
            _console().print(table)
        if output is not None:
            typer.echo(printable(str(output)))
        if not all(r.identical for r in reports):
            raise typer.Exit(1)


@app.command("check", cls=LrplotCommand, short_help="Lint schedules: jumps, overshoot, rebound, no anneal, zero lr.")
def check(
    specs: SpecsArg,
    strict: Annotated[bool, typer.Option("--strict", help="Warnings fail too (exit 1).")] = False,
    ignore: Annotated[Optional[list[str]], typer.Option(
        "--ignore", metavar="RULE", help="Skip a rule (repeatable): jump, overshoot, no-anneal, rebound, short-schedule, nonpositive-lr, nan-inf, constant-lambda, plateau-self-metric.")] = None,
    json_: JsonOpt = False,
    set_: SetOpt = None,
    allow_import: AllowOpt = None,
    from_: FromOpt = None,
    dataset_size: DatasetSizeOpt = None,
    devices: DevicesOpt = None,
    batch_size: BatchSizeOpt = None,
    print_spec: PrintSpecOpt = False,
    debug: DebugOpt = False,
) -> None:
    """Lint schedules: jumps, overshoot, no anneal, cosine rebound, short schedules, zero/NaN lr.

    Exit 0 when clean, 1 when an error-level finding exists (warnings too with --strict).
    """
    with reporting(debug):
        import json

        from .check import check_files, check_rule_ids

        check_rule_ids(ignore or ())
        inputs = Inputs(specs, set_, from_, dataset_size, devices, batch_size, allow_import)
        if print_spec:
            _schedules(inputs, print_spec)
            return

        def load_one(path: Path) -> Any:  # one file: a bad one is a finding, the others are checked
            one = replace(inputs, paths=[path])
            sources = one.load()
            one.print_budget(sources)
            return sources[0].spec

        report = check_files(specs, ignore or (), _allowed(allow_import), load=load_one)
        if json_:
            typer.echo(json.dumps(report.to_json(), indent=1))
        else:
            for line in report.lines():
                typer.echo(printable(line))
        if report.failing(strict):
            raise typer.Exit(1)


@contextmanager
def _json_error(json_: bool) -> Iterator[None]:
    """With --json, an error also prints a JSON object on stdout (the line still goes to stderr)."""
    try:
        yield
    except LrplotError as exc:
        if json_:
            import json

            typer.echo(json.dumps({"follows": None, "error": exc.format(), "verdicts": [], "skipped": []}))
        raise


@app.command("verify", cls=LrplotCommand, short_help="Did the run follow the plan? Logged lr against the schedule.")
def verify(
    plan: Annotated[Path, typer.Argument(help="The plan: a spec or training config lrplot draws.", metavar="PLAN",
                                         show_default=False)],
    log: Annotated[Path, typer.Option("--log", metavar="LOG", help="The training log (see lrplot plot --log).",
                                      show_default=False)],
    json_: JsonOpt = False,
    rtol: Annotated[float, typer.Option("--rtol", metavar="R", help="Relative tolerance (default 0: exact, at "
                                                                   "float32 for logs that store float32).")] = 0.0,
    log_format: LogFormatOpt = None,
    log_key: LogKeyOpt = None,
    schedule: Annotated[Optional[str], typer.Option(
        "--schedule", metavar="NAME", help="The plan's schedule the run followed (when the plan has several).",
        show_default=False)] = None,
    output: Annotated[Optional[Path], typer.Option(
        "-o", "--output", metavar="FIG", help="Also draw the plan, the logged points and where they diverge "
                                              "(.png/.svg/.pdf).",
        show_default=False)] = None,
    set_: SetOpt = None,
    allow_import: AllowOpt = None,
    from_: FromOpt = None,
    dataset_size: DatasetSizeOpt = None,
    devices: DevicesOpt = None,
    batch_size: BatchSizeOpt = None,
    debug: DebugOpt = False,
) -> None:
    """Did the run follow the plan? Compare every logged lr with the plan; name the cause when not.

    Exit 0 when every logged series follows the plan, 1 when one does not (or on bad input).
    """
    with reporting(debug), _json_error(json_):
        from .verify import verify_files
        from .sources import BudgetInputs

        if output is not None:
            from .output import FIGURE_SUFFIXES, check_target

            check_target(output, FIGURE_SUFFIXES, "figure", protected=(plan, log))
        report = verify_files(plan, log, log_format=log_format, log_key=log_key, rtol=rtol, schedule=schedule,
                              overrides=set_ or (), allow_import=_allowed(allow_import), kind=from_,
                              inputs=BudgetInputs(dataset_size, devices, batch_size))
        if output is not None:
            from .figure import RenderOptions, render_to_file

            render_to_file(report.curves, output, RenderOptions(layout="overlay"))
    if json_:
        import json

        typer.echo(json.dumps(report.to_json(), indent=1, allow_nan=False))
    else:
        for v in report.verdicts:
            typer.echo(v.text())
        for line in report.skipped:
            typer.echo(f"{line} (not compared)")
    if output is not None:
        typer.echo(str(output), err=json_)
    if not report.ok:
        raise typer.Exit(1)


def main() -> None:
    """Entry point of the ``lrplot`` script and ``python -m lrplot``."""
    from . import startup

    startup.install()
    _guard_stdout()
    try:
        signal.signal(signal.SIGTERM, _terminate)
    except ValueError:  # not the main thread
        pass
    try:
        app()
    except SystemExit as exc:
        _exit_now(exc.code)
        raise
    _exit_now(0)


def _exit_now(code: Any) -> None:
    """Leave the process without tearing the interpreter down.

    Once a command has finished, every output is written, renamed into place and closed. What is
    left is Python's finalization, which for a process that imported torch takes about 0.45 s
    (a third of torch's import time) to free objects the operating system frees anyway. So run
    the exit handlers (logging, temporary folders, coverage), flush the standard streams, and
    ``os._exit``. Anything unusual (another thread still running, a stream that cannot be
    flushed, a code that is not a number, a profiler or debugger that still wants to report)
    falls back to the normal exit.
    """
    import atexit
    import threading

    if not (code is None or isinstance(code, int)) or sys.getprofile() is not None or sys.gettrace() is not None:
        return
    if any(t is not threading.main_thread() and t.is_alive() and not t.daemon for t in threading.enumerate()):
        return
    run_exit_handlers = getattr(atexit, "_run_exitfuncs", None)
    if run_exit_handlers is None:
        return
    try:
        sys.stdout.flush()
    except BrokenPipeError:
        _discard_stdout()
        code = 141 if not code else code
    except Exception:  # noqa: BLE001 - the normal exit reports it as before
        return
    run_exit_handlers()
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (OSError, ValueError, AttributeError):
            pass
    os._exit(code or 0)
