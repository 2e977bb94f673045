"""The options several commands share, each declared once, and how SPEC files are read from them.

:func:`input_options` gives a command the input options (``--set``, ``--allow-import``, ``--from``,
``--dataset-size``, ``--devices``, ``--batch-size``, ``--print-spec``) in place of its ``inputs``
parameter, and hands the command one :class:`Inputs`.
"""

from __future__ import annotations

import functools
import inspect
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any, Callable, Optional

import typer

from ..sources import READERS

SpecsArg = Annotated[list[Path], typer.Argument(
    help="lrplot specs or training configs (YAML/JSON, MMEngine .py), recognised by content (see --from).",
    metavar="SPEC", show_default=False)]
DebugOpt = Annotated[bool, typer.Option("--debug", help="Show tracebacks (also LRPLOT_DEBUG=1).")]
JsonOpt = Annotated[bool, typer.Option("--json", help="Print JSON on stdout instead of text.")]
LogOpt = Annotated[Optional[Path], typer.Option(
    "--log", metavar="LOG", help="A training log to draw over the plan, as points: TensorBoard events (a run folder "
                                 "or a file), trainer_state.json, metrics.csv, a W&B run (run-<id>.wandb, a history "
                                 "CSV), an MLflow store (mlflow.db, mlruns/), a step,lr CSV.")]
LogFormatOpt = Annotated[Optional[str], typer.Option(
    "--log-format", metavar="FORMAT", help="Force the log's format: hf | lightning-csv | wandb-csv | csv | mmengine | "
                                           "mmengine-text | torchtune | tensorboard | wandb | mlflow.",
    show_default=False)]
LogKeyOpt = Annotated[Optional[str], typer.Option(
    "--log-key", metavar="TAG", help="The lr tag or column, when its name is not a usual one (lr, learning_rate, "
                                     "train/learning_rate, lr-AdamW and the like).", show_default=False)]
LogRunOpt = Annotated[Optional[str], typer.Option(
    "--log-run", metavar="RUN", help="Read only this run of a log holding several: a W&B run id or folder, an "
                                     "MLflow run id (or its first characters) or run name; a Lightning version_N folder, "
                                     "a torchtune log_<time>.txt or an MMEngine <timestamp> run of a folder holding "
                                     "several.", show_default=False)]
LogSkipOpt = Annotated[bool, typer.Option(
    "--log-skip-corrupt", help="Skip corrupt records instead of refusing the log (each verdict names them): "
                               "TensorBoard records and W&B chunks that fail their CRC check (a W&B chunk with "
                               "the rest of its 32 KiB block), W&B history lines that are no JSON.")]
GlobalBatchOpt = Annotated[Optional[int], typer.Option(
    "--global-batch", metavar="N", min=1, help="Samples per update, for logs whose step counts samples "
                                               "(DeepSpeed's Train/Samples/lr, Megatron's learning-rate vs samples).",
    show_default=False)]
AllowOpt = Annotated[Optional[list[str]], typer.Option(
    "--allow-import", metavar="PACKAGE|FILE.py|./FOLDER",
    help="Let import-path scheduler types ('package.module:Name', 'file.py:Name') import this package, "
         "this local file by its path, or a package of the project by its folder's path ('./src/mypkg') "
         "(repeatable; also LRPLOT_ALLOW_IMPORT=a,b). The scheduler modules "
         "of torch, timm, transformers and pytorch-accelerated need no flag.")]

# The input options, in the order --help lists them.
INPUT_OPTIONS: dict[str, Any] = {
    "set_": Annotated[Optional[list[str]], typer.Option(
        "--set", metavar="KEY.PATH=VALUE", help="Override a value of the input, e.g. --set scheduler.T_max=50, "
                                                 "or delete a key: --set '~scheduler.verbose' (repeatable; on a "
                                                 "Hydra config with a defaults list, a Hydra override such as "
                                                 "model=other).")],
    "allow_import": AllowOpt,
    "from_": Annotated[Optional[str], typer.Option(
        "--from", metavar="KIND", help="Read every SPEC as this kind instead of recognising it by content: "
                                       + " | ".join(READERS) + ".", show_default=False)],
    "dataset_size": Annotated[Optional[int], typer.Option(
        "--dataset-size", metavar="N", min=1, help="Training examples (for training configs, and a spec's budget:).", show_default=False)],
    "devices": Annotated[Optional[int], typer.Option(
        "--devices", metavar="K", min=1, help="World size, devices x nodes (for training configs, and a spec's budget:; default 1).",
        show_default=False)],
    "batch_size": Annotated[Optional[int], typer.Option(
        "--batch-size", metavar="B", min=1, help="Per-device batch size, where a training config (or a spec's budget:) does not hold it.",
        show_default=False)],
    "print_spec": Annotated[bool, typer.Option(
        "--print-spec", help="Print the equivalent lrplot spec (YAML, with the step arithmetic as a comment) "
                             "and exit without simulating.")],
}


@dataclass(frozen=True)
class Inputs:
    """The SPEC files of a command and the options that say how they are read."""

    paths: list[Path]
    overrides: list[str] | None = None
    kind: str | None = None
    dataset_size: int | None = None
    devices: int | None = None
    batch_size: int | None = None
    allow_import: list[str] | None = None
    print_spec: bool = False

    def reading(self) -> Any:
        """The :class:`lrplot.pipeline.Reading` these options mean."""
        from ..pipeline import Reading
        from ..sources import BudgetInputs

        return Reading(tuple(self.overrides or ()), self.kind,
                       BudgetInputs(self.dataset_size, self.devices, self.batch_size), self.allow_import)

    def load(self) -> list[Any]:
        """Every SPEC file as a :class:`lrplot.sources.Source`."""
        return self.reading().load(self.paths)

    def allowance(self) -> Any:
        from ..imports import allowed_imports

        return allowed_imports(self.allow_import)

    def print_budget(self, sources: list[Any]) -> None:
        """The training configs' budget arithmetic and notes, on stderr."""
        from ..sources import budget_lines

        for line in budget_lines(sources, self.paths):
            typer.echo(line, err=True)

    def print_spec_text(self, sources: list[Any]) -> None:
        from ..sources import spec_text

        typer.echo(spec_text(sources, self.paths), nl=False)

    def schedules(self) -> list[Any] | None:
        """The schedules of every input; None after printing the specs (--print-spec)."""
        sources = self.load()
        if self.print_spec:
            self.print_spec_text(sources)
            return None
        self.print_budget(sources)
        return [s for source in sources for s in source.spec.schedule_list()]


def input_options(*, paths: str = "specs", print_spec: bool = True) -> Callable[[Callable], Callable]:
    """Give a command the input options in place of its ``inputs`` parameter; the command is
    called with ``inputs``, an :class:`Inputs` of its ``paths`` parameter and those options."""
    names = [n for n in INPUT_OPTIONS if print_spec or n != "print_spec"]

    def wrap(fn: Callable) -> Callable:
        declared = inspect.signature(fn, eval_str=True)
        params = list(declared.parameters.values())
        at = [p.name for p in params].index("inputs")
        shared = [inspect.Parameter(n, inspect.Parameter.POSITIONAL_OR_KEYWORD, annotation=INPUT_OPTIONS[n],
                                    default=False if n == "print_spec" else None) for n in names]

        @functools.wraps(fn)
        def command(**kwargs: Any) -> Any:
            given = {n: kwargs.pop(n) for n in names}
            files = kwargs[paths]
            kwargs["inputs"] = Inputs(list(files) if isinstance(files, list) else [files], given["set_"],
                                      given["from_"], given["dataset_size"], given["devices"], given["batch_size"],
                                      given["allow_import"], bool(given.get("print_spec")))
            return fn(**kwargs)

        command.__signature__ = declared.replace(parameters=params[:at] + shared + params[at + 1:])  # type: ignore[attr-defined]
        return command

    return wrap
