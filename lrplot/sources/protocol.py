"""What a config reader is and gives back: the ConfigReader protocol, Source, Budget and Note.

A reader is a module (or any object) with the attributes of :class:`ConfigReader`; the registry
(:data:`lrplot.sources.READERS`) names it by its dotted module path, so listing the kinds (for
``--help``) imports no reader. Why a ``Protocol`` of module attributes rather than an ABC: a reader
is a handful of plain functions over a :class:`Document`, it holds no state, and a module imported on
first use keeps ``lrplot --help`` and a plain spec from importing any reader's helpers; a test (or a
plugin) registers any object with the same attributes (``register``), which an ABC would force into a
class hierarchy for nothing.

:class:`Budget` is the one record of the update-count arithmetic every training-config reader does
(and a plain spec's ``budget:`` section): it lives in :mod:`lrplot.budget`, below the spec, and is
re-exported here with :class:`Told`, :class:`BudgetInputs` and :func:`budget_number` for the readers.
What a reader assumed that changes the curve (an interval nothing in the file states, a world size
of 1 for ``devices: auto``) is a :class:`Note` with ``assumed=True``, kept in reading order with the
other notes. A count made for one process because no ``--devices`` was given is named in one place:
the reader says how the world size enters its count (:attr:`Budget.world`, with the devices
:class:`Told` from :func:`lrplot.budget.world_size`) and :class:`Source` adds the note
(:func:`lrplot.budget.world_note`) after the reader's, unless the reader wrote a richer one settled by ``--devices``. The summary and ``--print-spec``'s comments show every note, in that order;
:attr:`Source.assumptions` is what a figure's footnote names.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

from ..budget import Budget, BudgetInputs, Note, Told, assumption, budget_number, world_assumption, world_note, \
    world_size
from ..errors import Location, SpecError

__all__ = ["Budget", "BudgetInputs", "ConfigReader", "Document", "Note", "Source", "Told", "assumption",
           "budget_number", "needs", "world_assumption", "world_size"]

if TYPE_CHECKING:  # pragma: no cover
    from pathlib import Path

    from ..imports import Allowance
    from ..spec import Spec
    from ..yamlio import KeyPath, SourceMap


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


@dataclass(frozen=True)
class Source:
    """An input file, read: the spec it means, its kind, the budget arithmetic if any, and the
    notes (some of them assumptions) in the order the reader made them."""

    kind: str
    spec: Spec
    budget: Budget | None = None
    notes: tuple[str, ...] = field(default=())  # each a Note (a plain str is a note that assumes nothing)

    def __post_init__(self) -> None:
        # The one place a count made for one process without --devices is named (last, after the reader's
        # notes); a reader's own richer note on it (settled by --devices) stands instead.
        note = world_note(self.budget) if self.budget is not None else None
        if note is not None and not any(getattr(n, "settle", None) and n.settle.startswith("--devices")
                                        for n in self.notes):
            object.__setattr__(self, "notes", (*self.notes, note))

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
