"""The commands of ``lrplot``: each one its option declarations and one call to :mod:`lrplot.cli.actions`.

The input options every SPEC-reading command shares are declared once, in :mod:`lrplot.cli.options`,
and given to a command by :func:`~lrplot.cli.options.input_options` in place of its ``inputs``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer

from . import actions
from .app import DEFAULT_COMMAND, command
from .options import (AllowOpt, DebugOpt, GlobalBatchOpt, Inputs, JsonOpt, LogFormatOpt, LogKeyOpt, LogOpt, LogRunOpt, LogSkipOpt, SpecsArg,
                      input_options)


@command(DEFAULT_COMMAND, "Draw the schedules of SPEC files into one figure.")
@input_options()
def plot(
    specs: SpecsArg,
    output: Annotated[Optional[Path], typer.Option(
        "-o", "--output", metavar="FILE", help="Figure file: .png, .svg, .pdf, or .html (an interactive page) "
                                               "(default: the SPEC's stem + .png in the current folder; - for standard "
                                               "output, drawn as text on a terminal; none: no figure, as --no-figure).",
        show_default=False)] = None,
    fmt: Annotated[Optional[str], typer.Option(
        "--format", metavar="FORMAT", help="png | svg | pdf | html: the format for -o - (standard output); term: "
                                           "draw in the terminal. Otherwise the suffix decides.", show_default=False)] = None,
    data: Annotated[Optional[Path], typer.Option(
        "--data", metavar="FILE", help="Also write the numbers: .csv (schedule,group,field,step,value) or .json.")] = None,
    no_figure: Annotated[bool, typer.Option(
        "--no-figure", help="Draw no figure (the same as -o none): only --data and the summary; "
                            "matplotlib is not even imported.")] = False,
    layout: Annotated[str, typer.Option(
        "--layout", metavar="LAYOUT", help="overlay | grid (a panel per schedule) | fields (a row per field) | "
                                           "groups (a panel per param group) | auto; grid and groups put "
                                           "each field in a column of its own.")] = "auto",
    x: Annotated[str, typer.Option("--x", metavar="UNIT", help="x axis unit: step | epoch (needs steps_per_epoch).")] = "step",
    log_y: Annotated[bool, typer.Option("--log-y", help="Logarithmic y axis (else an lr axis starts at 0).")] = False,
    xlim: Annotated[Optional[str], typer.Option(
        "--xlim", metavar="LOW,HIGH", help="The x range shown, in the x unit (default: the whole run).",
        show_default=False)] = None,
    ylim: Annotated[Optional[str], typer.Option(
        "--ylim", metavar="LOW,HIGH", help="The y range shown (default: from 0 for an lr axis).",
        show_default=False)] = None,
    no_inset: Annotated[bool, typer.Option(
        "--no-inset", help="No zoomed inset of a phase shorter than 2% of the run.")] = False,
    title: Annotated[Optional[str], typer.Option("--title", metavar="TEXT", help="Figure title (default: the spec's title).")] = None,
    theme: Annotated[str, typer.Option("--theme", metavar="THEME", help="light | dark | both (writes NAME.light.EXT "
                                                                       "and NAME.dark.EXT).")] = "light",
    style: Annotated[Optional[str], typer.Option(
        "--style", metavar="STYLE", help="Any matplotlib style name or .mplstyle file (instead of --theme).")] = None,
    size: Annotated[str, typer.Option("--size", metavar="WxH", help="Figure size in inches, WIDTHxHEIGHT.")] = "8x4.5",
    dpi: Annotated[int, typer.Option("--dpi", metavar="DPI", min=20, max=1200, help="Resolution of PNG output.")] = 150,
    no_legend: Annotated[bool, typer.Option("--no-legend", help="Leave the legend out.")] = False,
    annotate: Annotated[str, typer.Option(
        "--annotate", metavar="LIST", help="Comma list of milestones, peak, final, jumps; or all, or none.")] = "all",
    quiet: Annotated[bool, typer.Option("-q", "--quiet", help="No summary table on stderr.")] = False,
    inputs: Inputs = None,  # type: ignore[assignment]  # --set, --allow-import, --from, budget, --print-spec
    log: LogOpt = None,
    log_format: LogFormatOpt = None,
    log_key: LogKeyOpt = None,
    log_run: LogRunOpt = None,
    log_skip_corrupt: LogSkipOpt = False,
    global_batch: GlobalBatchOpt = None,
    no_cache: Annotated[bool, typer.Option(
        "--no-cache", help="Simulate even if the curves are cached (and do not cache them). "
                           "Cache folder: $LRPLOT_CACHE_DIR, else $XDG_CACHE_HOME/lrplot or ~/.cache/lrplot.")] = False,
    debug: DebugOpt = False,
) -> None:
    """Simulate the schedules of SPEC files and draw them into one figure."""
    actions.plot(inputs, output=output, fmt=fmt, data=data, no_figure=no_figure, theme=theme, style=style,
                 render=dict(layout=layout, x=x, log_y=log_y, title=title, size=size, dpi=dpi, legend=not no_legend,
                             annotate=annotate, xlim=xlim, ylim=ylim, inset=not no_inset),
                 log=log, log_format=log_format, log_key=log_key, log_run=log_run, log_skip_corrupt=log_skip_corrupt,
                 global_batch=global_batch, quiet=quiet,
                 cache=not no_cache, debug=debug)


@command("watch", "Redraw whenever a spec, its metric CSV or a module it imports changes.")
@input_options()
def watch(
    specs: SpecsArg,
    output: Annotated[Optional[Path], typer.Option(
        "-o", "--output", metavar="FILE", help="Figure or page to redraw (.png, .svg, .pdf, .html; - or "
                                               "--format term: the terminal).", show_default=False)] = None,
    fmt: Annotated[Optional[str], typer.Option("--format", metavar="FORMAT", help="As for plot; term: draw in "
                                                                                   "the terminal.", show_default=False)] = None,
    data: Annotated[Optional[Path], typer.Option("--data", metavar="FILE", help="Also rewrite the numbers (.csv, .json).")] = None,
    layout: Annotated[str, typer.Option("--layout", metavar="LAYOUT", help="As for plot.")] = "auto",
    x: Annotated[str, typer.Option("--x", metavar="UNIT", help="step | epoch.")] = "step",
    log_y: Annotated[bool, typer.Option("--log-y", help="Logarithmic y axis.")] = False,
    theme: Annotated[str, typer.Option("--theme", metavar="THEME", help="light | dark | both.")] = "light",
    quiet: Annotated[bool, typer.Option("-q", "--quiet", help="No summary table after each drawing.")] = False,
    interval: Annotated[float, typer.Option("--interval", metavar="SECONDS", min=0.05, max=60,
                                            help="How often to look for changes.")] = 0.5,
    inputs: Inputs = None,  # type: ignore[assignment]
    debug: DebugOpt = False,
) -> None:
    """Simulate and draw, then again whenever a file the run reads is saved; a bad save prints its one
    error line and the watch goes on. Ctrl-C stops."""
    actions.watch(inputs, output=output, fmt=fmt, data=data, theme=theme,
                  render=dict(layout=layout, x=x, log_y=log_y), quiet=quiet, interval=interval, debug=debug)


@command("gallery", "Render every spec of a folder to PNG and SVG, with an index.")
def gallery(
    configs: Annotated[Path, typer.Argument(help="Folder of spec files.", metavar="CONFIGS", show_default=False)] = Path("configs"),
    output: Annotated[Path, typer.Option("-o", "--output", metavar="DIR", help="Gallery folder (figures + README.md).")] = Path("gallery"),
    formats: Annotated[str, typer.Option(
        "--formats", metavar="LIST", help="Comma list of png, svg, pdf, html (the interactive page).")] = "png,svg",
    theme: Annotated[str, typer.Option("--theme", metavar="THEME", help="light | dark | both (NAME.light.EXT and "
                                                                       "NAME.dark.EXT; a page follows the viewer).")] = "light",
    set_: Annotated[Optional[list[str]], typer.Option(
        "--set", metavar="KEY.PATH=VALUE", help="Override a value of every config, as for plot (repeatable).")] = None,
    allow_import: AllowOpt = None,
    debug: DebugOpt = False,
) -> None:
    """Render every spec of a folder (PNG and SVG unless --formats) with an index README, in one process."""
    actions.gallery(configs, output, allow_import, debug, formats=formats, theme=theme, overrides=set_ or [])


@command("schema", "Print the JSON Schema of spec files.")
def schema(
    output: Annotated[Optional[Path], typer.Option("-o", "--output", metavar="FILE", help="Write to a file instead of stdout.")] = None,
    debug: DebugOpt = False,
) -> None:
    """Print the JSON Schema of spec files (for editor completion and validation)."""
    actions.schema(output, debug)


@command("state", "Show the scheduler's state and param groups after K updates.")
@input_options()
def state(
    specs: SpecsArg,
    at: Annotated[int, typer.Option("--at", metavar="K", min=0, show_default=False,
                                    help="State after K updates (before update K); K may be the run's length "
                                         "(after its last update).")],
    json_: JsonOpt = False,
    inputs: Inputs = None,  # type: ignore[assignment]
    debug: DebugOpt = False,
) -> None:
    """Show what the scheduler keeps (state_dict) and the optimizer's param groups after K updates."""
    actions.state(inputs, at=at, json_=json_, debug=debug)


@command("resume", "Check that resuming after update K continues the same curve.")
@input_options()
def resume(
    specs: SpecsArg,
    at: Annotated[list[int], typer.Option(
        "--at", metavar="K", min=1, help="Resume after update K (repeatable: --at 50 --at 120).", show_default=False)],
    method: Annotated[Optional[list[str]], typer.Option(
        "--method", metavar="METHOD", help="full | scheduler-only | last_epoch (repeatable; default: all three).")] = None,
    output: Annotated[Optional[Path], typer.Option(
        "-o", "--output", metavar="FILE", help="Draw the uninterrupted and the differing resumed curves "
                                               "(.png/.svg/.pdf; none: no figure).")] = None,
    json_: JsonOpt = False,
    inputs: Inputs = None,  # type: ignore[assignment]
    debug: DebugOpt = False,
) -> None:
    """Stop after update K, save state, resume as a user would, and compare with the uninterrupted run.

    Exit 0 when every method is identical (==), 1 when one differs or cannot resume (the report
    says which); a bad spec also exits 1 but prints a located error line instead of a report.
    """
    actions.resume(inputs, at=at, method=method, output=output, json_=json_, debug=debug)


@command("check", "Lint schedules: jumps, overshoot, rebound, no anneal, zero lr.")
@input_options()
def check(
    specs: SpecsArg,
    strict: Annotated[bool, typer.Option("--strict", help="Warnings fail too (exit 1).")] = False,
    ignore: Annotated[Optional[list[str]], typer.Option(
        "--ignore", metavar="RULE", help="Skip a rule (repeatable): nan-inf, nonpositive-lr, overshoot, jump, "
                                         "no-anneal, rebound, short-schedule, long-warmup, constant-lambda, "
                                         "idle, plateau-self-metric, last-epoch.")] = None,
    json_: JsonOpt = False,
    inputs: Inputs = None,  # type: ignore[assignment]
    debug: DebugOpt = False,
) -> None:
    """Lint schedules: jumps, overshoot, no anneal, cosine rebound, short schedules, long warmups, zero/NaN lr.

    Exit 0 when clean, 1 when an error-level finding exists (warnings too with --strict).
    """
    actions.check(inputs, strict=strict, ignore=ignore, json_=json_, debug=debug)


@command("verify", "Did the run follow the plan? Logged lr against the schedule.")
@input_options(paths="plan", print_spec=False)
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
    log_run: LogRunOpt = None,
    log_skip_corrupt: LogSkipOpt = False,
    global_batch: GlobalBatchOpt = None,
    schedule: Annotated[Optional[str], typer.Option(
        "--schedule", metavar="NAME", help="The plan's schedule the run followed (when the plan has several).",
        show_default=False)] = None,
    output: Annotated[Optional[Path], typer.Option(
        "-o", "--output", metavar="FIG", help="Also draw the plan, the logged points and where they diverge "
                                              "(.png/.svg/.pdf, or an interactive page .html; none: no "
                                              "figure).", show_default=False)] = None,
    inputs: Inputs = None,  # type: ignore[assignment]
    debug: DebugOpt = False,
) -> None:
    """Did the run follow the plan? Compare every logged lr with the plan; name the cause when not.

    Exit 0 when every logged series follows the plan, 1 when one does not (or on bad input).
    """
    actions.verify(inputs, log=log, json_=json_, rtol=rtol, log_format=log_format, log_key=log_key,
                   log_run=log_run, log_skip_corrupt=log_skip_corrupt, global_batch=global_batch,
                   schedule=schedule, output=output, debug=debug)
