"""What a config reader is and gives back: the ConfigReader protocol, Source, Budget and Note.

A reader is a module (or any object) with the attributes of :class:`ConfigReader`; the registry
(:data:`lrplot.sources.READERS`) names it by its dotted module path, so listing the kinds (for
``--help``) imports no reader. Why a ``Protocol`` of module attributes rather than an ABC: a reader
is a handful of plain functions over a :class:`Document`, it holds no state, and a module imported on
first use keeps ``lrplot --help`` and a plain spec from importing any reader's helpers; a test (or a
plugin) registers any object with the same attributes (``register``), which an ABC would force into a
class hierarchy for nothing.

:class:`Budget` is the one record of the update-count arithmetic every training-config reader does:
what it was told (:class:`Told`: a config key or a command-line flag, and the value), what it
computed (total updates, updates per epoch, warmup updates) and the line that explains it. Its
numbers are checked here, once, for every reader: whole, positive, within what lrplot simulates.
What a reader assumed that changes the curve (an interval nothing in the file states, a world size
of 1 for ``devices: auto``) is a :class:`Note` with ``assumed=True``, kept in reading order with the
other notes. The summary and ``--print-spec``'s comments show every note, in that order;
:attr:`Source.assumptions` is what a figure's footnote names (the figure does not draw one yet).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

from ..errors import Location, SpecError
from ..limits import MAX_STEPS

if TYPE_CHECKING:  # pragma: no cover
    from pathlib import Path

    from ..imports import Allowance
    from ..spec import Spec
    from ..yamlio import KeyPath, SourceMap


@dataclass(frozen=True)
class BudgetInputs:
    """What the command line adds to a training config: ``--dataset-size`` (training examples),
    ``--devices`` (world size: devices x nodes) and ``--batch-size`` (per device, where the
    config does not hold it)."""

    dataset_size: int | None = None
    devices: int | None = None
    batch_size: int | None = None

    def __post_init__(self) -> None:
        from ..errors import UsageError

        for flag, value in (("--dataset-size", self.dataset_size), ("--devices", self.devices),
                            ("--batch-size", self.batch_size)):
            if value is not None:
                budget_number(value, flag, None, integer=True, positive=True, error=UsageError)


@dataclass
class Document:
    """One input file, loaded (YAML/JSON through :mod:`lrplot.yamlio`, with positions) and with
    ``--set`` overrides applied. ``data`` is None for inputs that are not YAML (MMEngine's
    Python configs; a TOML file or a launch script, whose reader parses ``text`` itself); ``text``
    is always the file's text. ``not_yaml`` is why YAML refused the text: the error the user sees
    unless a reader recognises the text as its own."""

    path: Path
    text: str
    data: Any
    source: SourceMap
    overrides: tuple[str, ...] = ()
    not_yaml: SpecError | None = None


def needs(doc: Document, what: str, flag: str, path: KeyPath = ()) -> SpecError:
    """The error for a budget number the config lacks: ``needs the training-set size; add
    --dataset-size N``, located at ``path`` in the config (the key that made it needed) or at the
    file."""
    where = doc.source.value(path) if path else Location(str(doc.path))
    return SpecError(f"needs {what}", hint=f"add {flag}", location=where)


class Note(str):
    """A line a reader wants the user to read, as text (a ``str``), and whether it is an assumption
    that changes the curve (``assumed``) with the key or flag that would settle it (``settle``)."""

    assumed: bool
    settle: str | None

    def __new__(cls, text: str, *, assumed: bool = False, settle: str | None = None) -> Note:
        note = super().__new__(cls, text)
        note.assumed = assumed
        note.settle = settle
        return note


def assumption(text: str, settle: str | None = None) -> Note:
    """A note naming an assumption that changes the curve (``settle``: the key or flag that would
    make it a fact instead)."""
    return Note(text, assumed=True, settle=settle)


def budget_number(value: Any, what: str, location: Location | None, *, integer: bool = False,
                  low: float | None = None, positive: bool = False, hint: str | None = None,
                  error: type[SpecError] = SpecError) -> Any:
    """The one check of a number that a reader's budget or lr arithmetic takes (a dataset size, a
    batch size, epochs, a base lr): a real number (not a bool, not text), finite, whole where
    ``integer``, ``> 0`` where ``positive``, ``>= low``, and at most MAX_BUDGET_NUMBER (exact as a
    float; what the arithmetic then gives is checked against the step limit by :class:`Budget`).
    Refused: ``what must be a whole number >= 1, not 'ten'`` at ``location``."""
    from ..limits import MAX_BUDGET_NUMBER

    kind = "a whole number" if integer else "a number"
    bound = " > 0" if positive else f" >= {low:g}" if low is not None else ""
    number = isinstance(value, (int, float)) and not isinstance(value, bool)
    if isinstance(value, int) and not isinstance(value, bool) and value.bit_length() > 64:
        shown = f"a number of {len(str(abs(value)))} digits"
    elif isinstance(value, str) and len(value) > 40:
        shown = repr(value[:40] + "...")
    else:
        shown = repr(value) if not isinstance(value, float) or math.isfinite(value) else str(value)
    if (not number or isinstance(value, float) and (not math.isfinite(value) or integer and not value.is_integer())
            or positive and value <= 0 or low is not None and value < low):
        raise error(f"{what} must be {kind}{bound}, not {shown}", location=location, hint=hint)
    if abs(value) > MAX_BUDGET_NUMBER:
        raise error(f"{what} must be at most {MAX_BUDGET_NUMBER:,}, not {shown}", location=location, hint=hint)
    return int(value) if integer else value


@dataclass(frozen=True)
class Told:
    """One number a reader was told: its name (``dataset size``), value, and where it came from (a
    config key such as ``per_device_train_batch_size``, or a flag such as ``--dataset-size``)."""

    name: str
    value: Any
    origin: str


@dataclass(frozen=True)
class Budget:
    """The update-count arithmetic a reader did, shown in the summary and by ``--print-spec``.

    ``where`` locates ``decided_by`` in the file (errors about these numbers point there)."""

    text: str                       # one line: "207865 examples / (16 x 8) = 1624 batches per epoch / ..."
    updates: int                    # optimizer updates of the whole run
    updates_per_epoch: int | None = None
    warmup: int | None = None       # warmup updates, where the reader computed them
    told: tuple[Told, ...] = ()
    decided_by: str | None = None   # the config key (or flag) that decides the total: "max_steps"
    where: Location | None = field(default=None, compare=False)

    def __post_init__(self) -> None:
        for name, value, low in (("updates", self.updates, 1), ("updates per epoch", self.updates_per_epoch, 1),
                                 ("warmup updates", self.warmup, 0)):
            if value is None and name != "updates":
                continue
            if isinstance(value, bool) or not isinstance(value, int) or value < low:
                shown = value if not isinstance(value, float) or math.isfinite(value) else str(value)
                raise SpecError(f"the budget gives {shown!r} {name} ({self.text}): expected a whole number >= {low}",
                                location=self.where, hint="check the run length, batch size and --dataset-size")
            if value > MAX_STEPS:
                raise SpecError(f"the budget gives {value:,} {name}, more than lrplot simulates ({MAX_STEPS:,}): "
                                f"{self.text}", location=self.where,
                                hint="check the run length, batch size and --dataset-size")

    def told_value(self, name: str) -> Any:
        return next((t.value for t in self.told if t.name == name), None)


@dataclass(frozen=True)
class Source:
    """An input file, read: the spec it means, its kind, the budget arithmetic if any, and the
    notes (some of them assumptions) in the order the reader made them."""

    kind: str
    spec: Spec
    budget: Budget | None = None
    notes: tuple[str, ...] = field(default=())  # each a Note (a plain str is a note that assumes nothing)

    @property
    def assumptions(self) -> tuple[Note, ...]:
        """The notes that change the curve: what the figure's footnote names."""
        return tuple(n for n in self.notes if isinstance(n, Note) and n.assumed)


@runtime_checkable
class ConfigReader(Protocol):
    """A reader of one kind of input. Optional: ``own_overrides(doc) -> bool`` for a reader that
    applies ``--set`` itself (a Hydra primary config: as Hydra overrides), and ``DOCS``, the path of its
    documentation page in this repository (README's table of kinds links the kind to it)."""

    KIND: str        # the --from name
    LOOKS_FOR: str   # said when no reader recognises a file: "keys such as lr_scheduler_type"
    FOLLOWS: str     # the framework (and version) whose rules it reproduces: "transformers 5.23.0 Trainer"

    def detect(self, doc: Document) -> bool:
        """From the loaded content alone, cheaply: is this file of this kind?"""

    def read(self, doc: Document, inputs: BudgetInputs, *, allow_import: Allowance) -> Source:
        """The file as a Source; the framework is imported here, never at module top."""
