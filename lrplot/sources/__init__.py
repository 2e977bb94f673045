"""Input files -> Spec: an lrplot spec, or a training config people already have, one reader per kind.

Every input becomes the same thing, an ordinary :class:`~lrplot.spec.Spec` (plus, for training
configs, the step-budget arithmetic the reader did), so the engine, the cache, the figures,
``check``, ``state`` and ``resume`` never learn which framework a schedule came from.

A reader is a small module of this package with::

    KIND = "hf"                                   # the --from name
    LOOKS_FOR = "keys such as lr_scheduler_type"  # said when no reader recognises a file
    def detect(data) -> bool: ...                 # from the loaded content alone, cheap
    def read(doc: Document, inputs: BudgetInputs, *, allow_import: Allowance) -> Source: ...

and is listed in :data:`READERS`. A reader that resolves import strings (Hydra ``_target_``, MMEngine
types) does it with :func:`lrplot.imports.resolve_allowed` and ``allow_import``, never by itself. Reader modules import their framework inside ``read`` only, so
a plain spec never imports transformers, Lightning, Hydra, timm or MMEngine. ``--set`` overrides
apply to the input's own keys (a config's ``gradient_accumulation_steps``, a spec's
``scheduler.T_max``) before the reader translates it; a reader that applies them itself (a Hydra
primary config: Hydra overrides, given to Hydra's composition) defines ``own_overrides(doc) -> bool``.

Helpers every reader uses: :func:`needs` (a budget number the config lacks, with the flag that
gives it) and :class:`Budget` (the arithmetic line shown by the summary and ``--print-spec``).
This module imports nothing heavy at import time (the CLI reads :data:`READERS` for ``--help``).
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable

from typing import TYPE_CHECKING

from ..errors import Location, SpecError, UsageError, first_line
from ..text import did_you_mean

if TYPE_CHECKING:  # pragma: no cover
    from ..imports import AllowImport
    from ..spec import Spec
    from ..yamlio import KeyPath, SourceMap

# kind -> module, in detection order; "lrplot" is the fallback and last.
READERS: dict[str, str] = {
    "hf": "lrplot.sources.hf",
    "lightning": "lrplot.sources.lightning",
    "hydra": "lrplot.sources.hydra",
    "timm": "lrplot.sources.timm",
    "mmengine": "lrplot.sources.mmengine",
    "lrplot": "lrplot.sources.lrplot_spec",
}


@dataclass(frozen=True)
class BudgetInputs:
    """What the command line adds to a training config: ``--dataset-size`` (training examples),
    ``--devices`` (world size: devices x nodes) and ``--batch-size`` (per device, where the
    config does not hold it)."""

    dataset_size: int | None = None
    devices: int | None = None
    batch_size: int | None = None


@dataclass(frozen=True)
class Budget:
    """The update-count arithmetic a reader did, shown in the summary and by ``--print-spec``."""

    text: str                       # one line: "207865 examples / (16 x 8) = 1624 batches per epoch / ..."
    updates: int                    # optimizer updates of the whole run
    updates_per_epoch: int | None = None


@dataclass
class Document:
    """One input file, loaded (YAML/JSON through :mod:`lrplot.yamlio`, with positions) and with
    ``--set`` overrides applied. ``data`` is None for inputs that are not YAML (MMEngine's
    Python configs); ``text`` is always the file's text."""

    path: Path
    text: str
    data: Any
    source: SourceMap
    overrides: tuple[str, ...] = ()


@dataclass(frozen=True)
class Source:
    """An input file, read: the spec it means, its kind, and the budget arithmetic if any."""

    kind: str
    spec: Spec
    budget: Budget | None = None
    notes: tuple[str, ...] = field(default=())  # facts the reader wants the user to see


def _reader(kind: str) -> Any:
    return importlib.import_module(READERS[kind])


def kinds() -> list[str]:
    return list(READERS)


def needs(doc: Document, what: str, flag: str, path: KeyPath = ()) -> SpecError:
    """The error for a budget number the config lacks: ``needs the training-set size; add
    --dataset-size N``, located at ``path`` in the config (the key that made it needed) or at the
    file."""
    where = doc.source.value(path) if path else Location(str(doc.path))
    return SpecError(f"needs {what}", hint=f"add {flag}", location=where)


def load_document(path: Path) -> Document:
    """Read ``path`` and, when it is YAML or JSON, parse it with positions."""
    from ..spec import read_text
    from ..yamlio import SourceMap, load_yaml

    if path.is_dir():
        raise SpecError("is a directory, not a spec file", location=Location(str(path)))
    text = read_text(path)
    if path.suffix == ".py":
        return Document(path, text, None, SourceMap(str(path)))
    data, source = load_yaml(text, str(path))
    return Document(path, text, data, source)


def apply_overrides(doc: Document, overrides: Iterable[str], kind: str) -> None:
    """Apply ``--set`` overrides to the document's own keys (checked against the spec's keys for
    an lrplot spec; a training config's keys are its framework's)."""
    from ..spec import apply_override

    doc.overrides = tuple(overrides)
    own = getattr(_reader(kind), "own_overrides", None)
    if own is not None and own(doc):  # the reader applies them itself (Hydra: as Hydra overrides)
        return
    if isinstance(doc.data, dict):
        for item in doc.overrides:
            apply_override(doc.data, doc.source, item, spec_keys=kind == "lrplot")


def detect(doc: Document) -> str:
    """The kind of ``doc``, recognised by its content. A mapping that no reader recognises and
    that has no key of an lrplot spec (not even a misspelt one) is refused, saying what each
    reader looked for; anything else falls back to the lrplot spec, whose errors are precise."""
    for kind in READERS:
        if kind != "lrplot" and _reader(kind).detect(doc):
            return kind
    if isinstance(doc.data, dict) and doc.data and not _near_spec(doc.data):
        looked = "; ".join(f"{kind}: {_reader(kind).LOOKS_FOR}" for kind in READERS)
        raise SpecError(f"not a kind of file lrplot reads (looked for {looked})",
                        hint=f"force one with --from {'|'.join(READERS)}", location=doc.source.value(()))
    return "lrplot"


def _near_spec(data: dict) -> bool:
    from ..spec import Spec

    fields = list(Spec.model_fields)
    return any(isinstance(k, str) and (k in fields or did_you_mean(k, fields)) for k in data)


def load_input(path: str | Path, *, kind: str | None = None, overrides: Iterable[str] = (),
               inputs: BudgetInputs = BudgetInputs(), allow_import: AllowImport = None) -> Source:
    """Read one input file of any kind lrplot knows (``kind`` forces one, as ``--from`` does)."""
    if kind is not None and kind not in READERS:
        hint = did_you_mean(kind, READERS)
        raise UsageError(f"--from {kind}: unknown kind of input", hint=hint or f"use one of {', '.join(READERS)}")
    doc = load_document(Path(path))
    kind = kind or detect(doc)
    apply_overrides(doc, overrides, kind)
    from ..imports import allowed_imports

    try:
        return _reader(kind).read(doc, inputs, allow_import=allowed_imports(allow_import))
    except ImportError as exc:  # the framework, or something it imports (timm -> torchvision), is missing
        from ..errors import MissingLibraryError

        missing = (exc.name or "").split(".")[0] or kind
        raise MissingLibraryError(
            f"reading this {kind} config needs the Python package '{missing}', which does not import here "
            f"({first_line(exc)})", package=missing, location=Location(str(doc.path)),
            hint=f"install it in the environment that runs lrplot (pip install {missing.replace('_', '-')})"
        ) from None


def load_inputs(paths: Iterable[str | Path], **kwargs: Any) -> list[Source]:
    return [load_input(p, **kwargs) for p in paths]


def spec_text(sources: Iterable[Source], names: Iterable[str | Path]) -> str:
    """What ``--print-spec`` prints: each input's equivalent lrplot spec as YAML, headed by
    where it came from and the budget arithmetic as comment lines; several inputs are separate
    YAML documents."""
    from ..specyaml import dump_spec

    parts = []
    for source, name in zip(sources, names):
        comments = [f"lrplot spec of {name} (read as {source.kind})"]
        if source.budget is not None:
            comments.append(f"budget: {source.budget.text}")
        comments += [f"note: {n}" for n in source.notes]
        parts.append(dump_spec(source.spec, comments))
    return "---\n".join(parts)


def budget_lines(sources: Iterable[Source], names: Iterable[str | Path]) -> list[str]:
    """The summary's lines about training configs: ``sft.yaml: 207865 examples / ... = 4872
    updates; warmup 10% = 488`` and the readers' notes."""
    lines = []
    for source, name in zip(sources, names):
        if source.budget is not None:
            lines.append(f"{name}: {source.budget.text}")
        lines += [f"{name}: {n}" for n in source.notes]
    return lines
