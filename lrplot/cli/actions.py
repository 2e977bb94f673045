"""What each command does once its options are parsed: call the library, print its answer, choose the exit code.

One function per command of :mod:`lrplot.cli.commands`, each inside :func:`~lrplot.cli.report.reporting`
(an error is one line and its exit code). The figure pipeline itself is :mod:`lrplot.pipeline`.
"""

from __future__ import annotations

import json
import sys
from dataclasses import replace
from pathlib import Path
from typing import Any

import typer

from ..errors import UsageError
from ..text import printable
from .options import Inputs
from .report import echo, json_error, reporting, styled


def plot(inputs: Inputs, *, output: Path | None, fmt: str | None, data: Path | None, no_figure: bool, theme: str,
         style: str | None, render: dict[str, Any], log: Path | None, log_format: str | None, log_key: str | None,
         log_run: str | None, log_skip_corrupt: bool, quiet: bool, cache: bool, debug: bool,
         global_batch: int | None = None) -> None:
    """Simulate the schedules of SPEC files and draw them into one figure (``lrplot plot``)."""
    with reporting(debug):
        if inputs.print_spec:
            inputs.print_spec_text(inputs.load())
            return
        from ..pipeline import LogRequest, Plotter, plan_outputs
        from ..progress import terminal_progress

        figures, options = plan_outputs(inputs.paths, output=output, fmt=fmt, data=data, theme=theme, style=style,
                                        options=render, stdout_is_tty=sys.stdout.isatty(), no_figure=no_figure)
        plotter = Plotter(inputs.paths, inputs.reading(), figures, options, data=data, cache=cache,
                          log=_log_request(LogRequest, log, log_format, log_key, log_skip_corrupt, log_run, global_batch),
                          progress=terminal_progress, stdout=typer.get_binary_stream("stdout"),
                          warn=lambda line: echo(line, err=True), lean_torch=True)
        curves = plotter.run()
        for figure in figures:
            if figure.path is not None:
                echo(str(figure.path))
        if data is not None:
            echo(str(data), err=bool(figures) and figures[0].path is None)
        if not quiet:
            for line in plotter.budget_lines():  # as Inputs.print_budget writes them
                typer.echo(line, err=True)
            print_summary(curves)


def watch(inputs: Inputs, *, output: Path | None, fmt: str | None, data: Path | None, theme: str,
          render: dict[str, Any], quiet: bool, interval: float, debug: bool) -> None:
    """Redraw whenever a file the run reads changes (``lrplot watch``)."""
    with reporting(debug):
        from ..pipeline import Plotter, plan_outputs
        from ..walk import input_files
        from .watching import watch_loop

        tty = sys.stdout.isatty()
        figures, options = plan_outputs(inputs.paths, output=output, fmt=fmt, data=data, theme=theme, style=None,
                                        options=render, stdout_is_tty=tty)
        to_terminal = any(f.path is None for f in figures)

        def once() -> list[Path]:
            plotter = Plotter(inputs.paths, inputs.reading(), figures, options, data=data, cache=False,
                              stdout=typer.get_binary_stream("stdout"), warn=lambda line: echo(line, err=True),
                              lean_torch=True)
            if to_terminal and tty:
                typer.echo("\x1b[H\x1b[2J", nl=False)  # each drawing replaces the last
            curves = plotter.run()
            for figure in figures:
                if figure.path is not None:
                    echo(f"lrplot: drew {figure.path}", err=True)
            if not quiet:
                print_summary(curves)
            return [path for path, _ in input_files(source.spec for source in plotter.sources)]

        watch_loop(once, list(inputs.paths), say=lambda line: echo(line, err=True), interval=interval)


def _log_request(request: Any, log: Path | None, fmt: str | None, key: str | None, skip: bool, run: str | None,
                 global_batch: int | None = None) -> Any:
    """The --log to draw over the plan, or None; a --log-* option without --log is refused (it
    would be silently ignored: the figure then shows no log, and says nothing of it)."""
    if log is None:
        given = [flag for flag, value in (("--log-format", fmt), ("--log-key", key), ("--log-run", run),
                                          ("--log-skip-corrupt", skip or None), ("--global-batch", global_batch))
                 if value is not None]
        if given:
            raise UsageError(f"{given[0]} needs --log: it tells how to read a training log, and none is given",
                             hint=f"add --log LOG, or leave {given[0]} out")
        return None
    return request(log, fmt, key, skip, run, global_batch)


def print_summary(curves: Any) -> None:
    """Per schedule and group: initial, peak, final, min and jumps, as a table on stderr."""
    from ..summary import summarize
    from ..text import text_table

    rows = summarize(curves)
    if not rows:
        return
    header = ["schedule", "group", "field", "initial", "peak (step)", "final", "min", "jumps at"]
    cells = [[printable(r.schedule), printable(r.group), printable(r.field), f"{r.initial:.4g}",
              f"{r.peak:.4g} ({r.peak_step})", f"{r.final:.4g}", f"{r.min:.4g}", r.jumps_text()] for r in rows]
    right = frozenset(("initial", "peak (step)", "final", "min"))
    typer.echo(text_table(header, cells, right, bold_header=styled(sys.stderr)), err=True)


def _console(stderr: bool = False) -> Any:
    from rich.console import Console

    return Console(stderr=stderr, width=max(100, Console().width), highlight=False)


def state(inputs: Inputs, *, at: int, json_: bool, debug: bool) -> None:
    """Show the scheduler's state_dict and the optimizer's param groups after K updates."""
    with reporting(debug):
        from ..state import state_at

        schedules = inputs.schedules()
        if schedules is None:
            return
        allowance = inputs.allowance()
        states = [state_at(s, at, allow_import=allowance) for s in schedules]
        if json_:
            typer.echo(json.dumps(states if len(states) > 1 else states[0], indent=1))
            return
        from rich.markup import escape
        from rich.pretty import Pretty

        console = _console()
        for st in states:
            console.print(f"[bold]{escape(printable(st['schedule']))}[/bold] ({escape(printable(st['scheduler']))}) "
                          f"after {st['at']} updates ({st['scheduler_steps']} scheduler steps)")
            console.print("scheduler.state_dict():")
            console.print(Pretty(st["scheduler_state"], indent_guides=False), soft_wrap=False)
            console.print("optimizer param groups:")
            console.print(Pretty(st["param_groups"], indent_guides=False))


def resume(inputs: Inputs, *, at: list[int], method: list[str] | None, output: Path | None, json_: bool,
           debug: bool) -> None:
    """Stop after update K, save state, resume as a user would, compare; exit 1 when one differs."""
    with reporting(debug):
        from ..output import drawn
        from ..resume import check_resume, resume_methods

        output = drawn(output)  # -o none: no figure, as for plot
        methods = resume_methods(method)
        if output is not None:
            from ..output import FIGURE_SUFFIXES, check_target

            check_target(output, FIGURE_SUFFIXES, "figure", protected=tuple(inputs.paths))
        schedules = inputs.schedules()
        if schedules is None:
            return
        if output is not None:
            from ..output import protect_inputs
            from ..walk import input_files

            protect_inputs([output], input_files({id(s.spec): s.spec for s in schedules}.values()))
        allowance = inputs.allowance()
        reports = [check_resume(s, at, methods, allow_import=allowance) for s in schedules]
        if output is not None:
            from ..figure import RenderOptions
            from ..pipeline import render_files
            from ..resume import resume_curves

            render_files(resume_curves(reports), [output], RenderOptions())  # several fields: own axes
        if json_:
            typer.echo(json.dumps([r.to_json() for r in reports], indent=1))
        else:
            _console().print(_resume_table(reports))
        if output is not None:
            echo(str(output))
        if not all(r.identical for r in reports):
            raise typer.Exit(1)


def _resume_table(reports: list[Any]) -> Any:
    from rich.markup import escape
    from rich.table import Table

    table = Table(box=None, pad_edge=False, header_style="bold")
    for col in ("schedule", "at", "method", "result"):
        table.add_column(col, justify="right" if col == "at" else "left", overflow="fold")
    for rep in reports:
        for r in rep.results:
            style = "green" if r.identical else "red"
            table.add_row(escape(printable(rep.schedule)), str(r.at), r.method,
                          f"[{style}]{escape(printable(r.describe()))}[/{style}]")
    return table


def check(inputs: Inputs, *, strict: bool, ignore: list[str] | None, json_: bool, debug: bool) -> None:
    """Lint schedules; exit 1 on an error-level finding (warnings too with --strict)."""
    with reporting(debug):
        from ..check import check_files, check_rule_ids

        check_rule_ids(ignore or ())
        if inputs.print_spec:
            inputs.schedules()
            return

        def load_one(path: Path) -> Any:  # one file: a bad one is a finding, the others are checked
            one = replace(inputs, paths=[path])
            sources = one.load()
            one.print_budget(sources)
            return sources[0].spec

        report = check_files(inputs.paths, ignore or (), inputs.allowance(), load=load_one)
        if json_:
            typer.echo(json.dumps(report.to_json(), indent=1))
        else:
            for line in report.lines():
                echo(line)
        if report.failing(strict):
            raise typer.Exit(1)


def verify(inputs: Inputs, *, log: Path, json_: bool, rtol: float, log_format: str | None, log_key: str | None,
           log_run: str | None, log_skip_corrupt: bool,
           schedule: str | None, output: Path | None, debug: bool, global_batch: int | None = None) -> None:
    """Compare every logged lr with the plan; exit 1 when a series does not follow it."""
    plan = inputs.paths[0]
    with reporting(debug), json_error(json_):
        from ..output import drawn
        from ..verify import verify_files

        output = drawn(output)  # -o none: no figure, as for plot (it said "unknown figure format '(none)'")

        if output is not None:
            from ..output import PLOT_SUFFIXES, check_target

            check_target(output, PLOT_SUFFIXES, "figure", protected=(plan, log))  # as plot --log writes them
        reading = inputs.reading()
        report = verify_files(plan, log, log_format=log_format, log_key=log_key, log_run=log_run, rtol=rtol, schedule=schedule,
                              overrides=reading.overrides, allow_import=inputs.allowance(), kind=reading.kind,
                              inputs=reading.budget, skip_corrupt=log_skip_corrupt, global_batch=global_batch)
        if not json_:  # the verdicts first: a figure that cannot be drawn does not take them away
            for v in report.verdicts:
                typer.echo(v.text())
            for line in report.skipped:
                typer.echo(f"{line} (not compared)")
        if output is not None:
            from ..figure import RenderOptions
            from ..pipeline import render_files

            render_files(report.curves, [output], RenderOptions(layout="overlay"))
    if json_:
        typer.echo(json.dumps(report.to_json(), indent=1, allow_nan=False))
    if output is not None:
        typer.echo(str(output), err=json_)
    if not report.ok:
        raise typer.Exit(1)


def gallery(configs: Path, output: Path, allow_import: list[str] | None, debug: bool, *, formats: str = "png,svg",
            theme: str = "light", overrides: list[str] = ()) -> None:  # type: ignore[assignment]
    """Render every spec of a folder with an index README; exit 1 when one failed."""
    with reporting(debug):
        from ..gallery import Look, build_gallery
        from ..imports import allowed_imports

        look = Look(tuple(f.strip().lower() for f in formats.split(",") if f.strip()), theme, tuple(overrides))
        entries = build_gallery(configs, output, allow_import=allowed_imports(allow_import), look=look)
        failed = [e for e in entries if e.error]
        for e in failed:
            echo(e.error, err=True)
        missing = [e for e in entries if e.missing]
        for e in missing:  # said here too, not only in the index: its figures are not in the gallery
            echo(f"{e.config}: not rendered: it needs the {e.missing} package, which is not installed", err=True)
        echo(f"{output / 'README.md'} ({len(entries)} configs"
             + (f", {len(failed)} failed: listed in the index" if failed else "")
             + (f", {len(missing)} not rendered for a missing package" if missing else "") + ")")
        if failed:
            raise typer.Exit(1)


def schema(output: Path | None, debug: bool) -> None:
    """Print (or write) the JSON Schema of spec files."""
    with reporting(debug):
        from ..spec import json_schema

        text = json.dumps(json_schema(), indent=2) + "\n"
        if output is None:
            typer.echo(text, nl=False)
        else:
            from ..output import refuse_folder, write_text_atomic

            refuse_folder(output, "schema", ".json")  # exit 2 and the words of plot -o DIR, not "cannot write"
            write_text_atomic(output, text)
            echo(str(output))
