"""One pipeline from inputs to figures: load -> simulate -> overlay a log -> render -> stage and write.

Every figure lrplot makes goes through these phases, wherever it is asked for: ``lrplot plot``
runs them all through :class:`Plotter` (whose :meth:`Plotter.run` reads as the list of phases),
:func:`lrplot.plot` loads, simulates and renders into a matplotlib Figure, the gallery and the
doc integrations load, simulate and render to files. Nothing here prints: lines for the user are
handed to a ``warn`` callable, so the command line and the libraries show them their own way.
Heavy modules (torch, matplotlib) are imported inside the phases that need them.
"""

from __future__ import annotations

import re
import sys
import warnings
from contextlib import nullcontext
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any, Callable, ContextManager, Iterable

from . import plotmemo
from .errors import UsageError
from .findings import figure_facts
from .sources import BudgetInputs, Source

if TYPE_CHECKING:  # pragma: no cover
    from .curves import Curves
    from .figure import RenderOptions
    from .imports import AllowImport
    from .output import FigureTarget
    from .spec import Spec

# Text rather than a path: it has a line break, or starts as a YAML mapping does ('{', 'key: ').
_YAML_TEXT = re.compile(r"\s*(\{|[^\s:/\\]+:(\s|$))")


# --- load --------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Reading:
    """How inputs are read: ``--set`` overrides, ``--from`` kind, budget inputs, ``--allow-import``."""

    overrides: tuple[str, ...] = ()
    kind: str | None = None
    budget: BudgetInputs = BudgetInputs()
    allow_import: AllowImport = None

    def load(self, sources: Iterable[Any]) -> list[Source]:
        """Every input read (the allowance is made once, when the first input is read)."""
        from .imports import allowed_imports

        items = list(sources)
        reading = replace(self, allow_import=allowed_imports(self.allow_import)) if items else self
        return [load_source(s, reading) for s in items]


def is_spec_text(source: Any) -> bool:
    """Whether a ``str`` given to :func:`load_spec` is spec text (a line break, or one line that
    starts as a YAML mapping: ``{...}``, ``key: value``) rather than a path."""
    return isinstance(source, str) and ("\n" in source or not source.strip() or bool(_YAML_TEXT.match(source)))


def load_source(source: Any, reading: Reading = Reading(), *, name: str = "<spec>",
                base_dir: Path | None = None) -> Source:
    """One input as a :class:`~lrplot.sources.Source`: a path to any file ``lrplot plot`` reads
    (spec, training config of any kind, recognised by content unless ``reading.kind`` says),
    spec text, a dict of spec keys, or a :class:`~lrplot.Spec`. ``name`` and ``base_dir`` are for
    text and dicts: the name errors are located at, the folder relative paths resolve in."""
    from .spec import Spec, parse_spec

    overrides = tuple(reading.overrides)
    if isinstance(source, Spec):
        if overrides:
            raise UsageError("set= applies to a file, text or dict, not to an already validated Spec",
                             hint="pass the path or the dict instead")
        return Source("lrplot", source)
    if isinstance(source, dict) or is_spec_text(source):
        if reading.kind not in (None, "lrplot"):
            raise UsageError(f"--from {reading.kind} reads a file; spec text and dicts are lrplot specs",
                             hint="pass the config's path")
        file = None if base_dir is None else Path(base_dir) / f"{Path(name).stem}.yaml"
        spec = parse_spec(source, name, overrides, file=file, inputs=reading.budget)  # a dict: with a file's limits
        return Source("lrplot", spec, budget=spec.step_budget, notes=spec.budget_notes)
    if isinstance(source, (str, Path)):
        from .sources import load_input

        return load_input(source, kind=reading.kind, overrides=overrides, inputs=reading.budget,
                          allow_import=reading.allow_import)
    raise UsageError(f"cannot make a spec from a {type(source).__name__}",
                     hint="pass a path, YAML text, a dict or a lrplot.Spec")


def load_spec(source: Any, *, set: Iterable[str] = (), kind: str | None = None,  # noqa: A002
              dataset_size: int | None = None, devices: int | None = None, batch_size: int | None = None,
              allow_import: AllowImport = None, name: str = "<spec>", base_dir: Path | None = None) -> "Spec":
    """The :class:`~lrplot.Spec` of anything ``lrplot plot`` reads, the one public loader:
    ``lrplot.load_spec("sft.yaml", dataset_size=207865, devices=8)``.

    ``source``: a path (an lrplot spec or a training config, recognised by content; ``kind``
    forces one as ``--from`` does), spec YAML text (a ``str`` with a line break, or one line
    starting as a mapping: ``"{scheduler: {type: StepLR, step_size: 10}, steps: 50}"``), a dict of
    spec keys, or a Spec. ``set``: ``key.path=value`` overrides (``--set``); ``dataset_size``,
    ``devices``, ``batch_size``: the budget inputs of training configs; ``allow_import``: as ``--allow-import``."""
    reading = Reading(tuple(set), kind, BudgetInputs(dataset_size, devices, batch_size), allow_import)
    return load_source(source, reading, name=name, base_dir=base_dir).spec


# --- simulate, overlay ----------------------------------------------------------------------------------

def simulate(specs: "list[Spec]", *, allow_import: AllowImport = None, cache: bool = False,
             progress: Any = None, export: str | None = None) -> "Curves":
    """The curves of every spec (torch runs here); ``export`` is the suffix of a ``--data`` file
    the curves will be written to (its memory is checked as they are made)."""
    from .engine import simulate as run
    from .engine.memory import exporting

    with exporting(export):
        return run(specs, allow_import=allow_import, cache=cache, progress=progress)


def overlay_log(curves: "Curves", specs: "list[Spec]", logged: "Curves | None", *,
                allow_import: AllowImport = None, global_batch: int | None = None,
                sources: "list[Source] | None" = None) -> "Curves":
    """The plan with a training log's points drawn over it (and where they diverge); ``sources``, where
    the specs were read from files, say the samples per update their configs state."""
    if logged is None:
        return curves
    from .verify import overlay, stated_batches

    return overlay(curves, [s for spec in specs for s in spec.schedule_list()], logged, allow_import=allow_import,
                   global_batch=global_batch, batches=stated_batches(sources or []))


def nonfinite_lines(curves: "Curves") -> list[str]:
    """A warning line per series that is NaN or infinite somewhere (drawn where finite)."""
    return [f"lrplot: warning: '{series.schedule}' {series.field} of group {series.group_name} is NaN or infinite "
            f"at {count} step(s), first at step {first}; drawn where finite"
            for series, first, count in curves.nonfinite()]


# --- render, stage and write ------------------------------------------------------------------------

def render_all(curves: "Curves", figures: "list[FigureTarget]", options: "RenderOptions", *,
               colour: bool = False) -> list[bytes]:
    """Every figure in memory, each in its theme and format (a page or terminal text by
    :mod:`lrplot.views`; ``colour``: ANSI colours in terminal text)."""
    if not figures:  # --no-figure: the numbers only, matplotlib stays unimported
        return []
    from .figure import render_themed
    from .views import VIEW_FORMATS, render_view

    blobs = render_themed(curves, [(f.theme, f.fmt) for f in figures if f.fmt not in VIEW_FORMATS], options)
    return [render_view(curves, f.fmt, options, f.theme, colour=colour) if f.fmt in VIEW_FORMATS
            else blobs[f.theme, f.fmt] for f in figures]


def render_files(curves: "Curves", paths: Iterable[Path], options: "RenderOptions") -> list[Path]:
    """Each path in the format its suffix names, all or nothing, as a plot writes its figures."""
    from .output import FigureTarget
    figures = [FigureTarget(p, options.theme, p.suffix.lower().lstrip(".")) for p in paths]  # options' theme
    stage_and_write(curves, figures, render_all(curves, figures, options), None, None)
    return [f.path for f in figures]


def data_writer(curves: "Curves", path: Path) -> Callable[[IO[bytes]], Any]:
    """What writes ``--data`` to an open file (checked against the memory first)."""
    from .curves import DATA_FORMATS, write_csv
    from .engine.memory import check_export_memory

    suffix = path.suffix.lower()
    check_export_memory(curves, suffix)
    if suffix == ".csv":  # streamed: its memory does not grow with the steps
        return lambda fh: write_csv(curves, fh)
    return lambda fh: fh.write(DATA_FORMATS[suffix](curves).encode("utf-8"))


def stage_and_write(curves: "Curves", figures: "list[FigureTarget]", rendered: list[bytes], data: Path | None,
                    stdout: IO[bytes] | None) -> None:
    """All or nothing: every output goes to a temporary file and is renamed into place only once
    all are ready; a failure or an interrupt leaves nothing behind. A figure for standard output
    (``-o -``) is written to ``stdout`` before the files are renamed."""
    from .output import Staged

    with Staged() as staged:
        if data is not None:
            staged.add(data, data_writer(curves, data))
        for figure, blob in zip(figures, rendered):
            if figure.path is not None:
                staged.add(figure.path, lambda fh, blob=blob: fh.write(blob))
        for figure, blob in zip(figures, rendered):
            if figure.path is None and stdout is not None:
                stdout.write(blob)
                stdout.flush()
        staged.commit()


# --- the whole pipeline, as ``lrplot plot`` runs it ---------------------------------------------------------

@dataclass(frozen=True)
class LogRequest:
    """A training log to draw over the plan (``--log``, ``--log-format``, ``--log-key``, ``--log-skip-corrupt``,
    ``--log-run``, ``--global-batch``)."""

    path: Path
    fmt: str | None = None
    key: str | None = None
    skip_corrupt: bool = False
    run: str | None = None
    global_batch: int | None = None


@dataclass
class Plotter:
    """A plot of input files into figure files (and ``--data``), checked before anything runs."""

    paths: list[Path]
    reading: Reading
    figures: "list[FigureTarget]"
    options: "RenderOptions"
    data: Path | None = None
    log: LogRequest | None = None
    cache: bool = True
    progress: Callable[[], ContextManager[Any]] = nullcontext  # what reports a long simulation's progress
    stdout: IO[bytes] | None = None
    warn: Callable[[str], None] = field(default=lambda line: print(line, file=sys.stderr))
    sources: list[Source] = field(default_factory=list)
    lean_torch: bool = False  # the command line: torch imported without its meta kernels (tricks.lean_torch)
    recalled_budget: "tuple[str, ...] | None" = None  # the budget lines of a plot memo (then no sources)

    def run(self) -> "Curves":
        """The phases, in order; returns the curves drawn."""
        logged = self.read_log()
        memo = self.memo_key()
        recalled = plotmemo.recall(memo)
        if recalled is not None:  # the same input files read the same way before: nothing to read
            curves, notes = recalled.curves, recalled.notes
            self.recalled_budget = recalled.budget
            from . import reads

            for path, what in recalled.inputs:  # read all the same: no output may replace them (lrplot.reads)
                reads.record(path, what)
            self.protect(recalled.inputs)
            for line in recalled.warnings:
                self.warn(line)
        else:
            heard: list = []
            try:
                with warnings.catch_warnings(record=True) as heard:
                    self.sources = self.reading.load(self.paths)
            finally:
                for message in heard:  # shown as they would have been; a run with any is not memoised
                    warnings.showwarning(message.message, message.category, message.filename, message.lineno)
            specs = [source.spec for source in self.sources]
            from .walk import input_files

            inputs = input_files(specs)
            self.protect(inputs)
            curves = self.simulate(specs)
            curves, findings, notes = figure_facts(specs, curves, self.sources, allow_import=self.reading.allow_import)
            lines = [finding.text() for finding in findings]
            for line in lines:
                self.warn(line)
            if memo is not None and not heard and plotmemo.memoisable(self.sources):
                plotmemo.store(memo, curves, self.sources, warnings=lines, notes=notes,
                               budget=self.budget_lines(), inputs=inputs)
            curves = overlay_log(curves, specs, logged, allow_import=self.reading.allow_import,
                                 global_batch=self.log.global_batch if self.log is not None else None,
                                 sources=self.sources)
            if logged is not None:
                from .figure.footnote import log_assumed

                for line in log_assumed(curves):  # said under the figure too: the points move if it is wrong
                    self.warn(f"lrplot: {line}")
        for line in nonfinite_lines(curves):
            self.warn(line)
        rendered = render_all(curves, self.figures, replace(self.options, notes=self.options.notes + notes),
                              colour=self.colour())
        stage_and_write(curves, self.figures, rendered, self.data, self.stdout)
        return curves

    def simulate(self, specs: "list[Spec]") -> "Curves":
        from .engine import check_inputs
        from .tricks import lean_torch, whole_torch
        from .walk import import_paths

        check_inputs(specs, self.reading.allow_import)  # a refused or unreadable input fails before torch is imported
        lean = self.lean_torch and not any(import_paths(spec) for spec in specs)  # no code of the spec's own
        if not lean:
            whole_torch()
        with self.progress() as progress, (lean_torch() if lean else nullcontext()):
            return simulate(specs, allow_import=self.reading.allow_import, cache=self.cache, progress=progress,
                            export=self.data.suffix if self.data is not None else None)

    def colour(self) -> bool:
        """ANSI colours for terminal text: standard output is a terminal, and NO_COLOR is unset."""
        if not any(f.fmt == "term" for f in self.figures):
            return False
        from .views.terminal import colours_allowed

        return colours_allowed(self.stdout)

    def read_log(self) -> "Curves | None":
        if self.log is None:
            return None
        from .logs import load_log

        return load_log(self.log.path, fmt=self.log.fmt, key=self.log.key, skip_corrupt=self.log.skip_corrupt,
                        run=self.log.run)

    def protect(self, inputs: "list[tuple[Path, str]] | tuple[tuple[Path, str], ...]") -> None:
        """No output may overwrite a file the run reads (configs, metric CSVs, local modules;
        :func:`lrplot.walk.input_files`)."""
        from .output import protect_inputs

        protect_inputs([f.path for f in self.figures] + [self.data], inputs)

    def memo_key(self) -> "dict[str, Any] | None":
        """The plot memo's key (:mod:`lrplot.plotmemo`): only for a cached run without a log."""
        return plotmemo.plot_key(self.paths, self.reading) if self.cache and self.log is None else None

    def budget_lines(self) -> tuple[str, ...]:
        """The training configs' budget arithmetic and notes (:func:`lrplot.sources.budget_lines`)."""
        if self.recalled_budget is not None:
            return self.recalled_budget
        from .sources import budget_lines

        return tuple(budget_lines(self.sources, self.paths))


def plan_outputs(paths: list[Path], *, output: Path | None, fmt: str | None, data: Path | None, theme: str,
                 style: str | None, options: dict[str, Any], stdout_is_tty: bool, no_figure: bool = False
                 ) -> "tuple[list[FigureTarget], RenderOptions]":
    """The figures a plot writes and its render options, all checked before any work (names, formats, themes,
    ``--data``'s target, title, raster size); ``no_figure`` (``--no-figure``, ``-o none``): nothing rendered."""
    from .figure import RenderOptions, style_path
    from .output import DATA_SUFFIXES, check_target, plan_figures
    from .text import bad_character
    from .views import check_targets_drawn

    figures = plan_figures(output, paths, theme, style, fmt, stdout_is_tty=stdout_is_tty, no_figure=no_figure)
    if data is not None:
        check_target(data, DATA_SUFFIXES, "data", protected=tuple(paths))
    for figure in figures:
        if figure.theme != "both":  # a page's "both": the viewer's scheme picks light or dark
            style_path(figure.theme)
    title = options.get("title")
    if title is not None and bad_character(title):
        raise UsageError(f"--title contains {bad_character(title)}", hint="remove it")
    render_options = RenderOptions(**options)
    # a page or terminal text: no option it would silently ignore; a figure: its pixels; no figure: no look option
    check_targets_drawn([f.fmt for f in figures], render_options, theme, style, "--no-figure" if no_figure else "-o none")
    return figures, render_options
