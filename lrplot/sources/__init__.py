"""Input files -> Spec: an lrplot spec, or a training config people already have, one reader per kind.

Every input becomes the same thing, an ordinary :class:`~lrplot.spec.Spec` (plus, for training
configs, the step-budget arithmetic the reader did and what it assumed), so the engine, the cache,
the figures, ``check``, ``state`` and ``resume`` never learn which framework a schedule came from.

A reader is a module with the attributes of :class:`~.protocol.ConfigReader`::

    KIND = "hf"                                   # the --from name
    LOOKS_FOR = "keys such as lr_scheduler_type"  # said when no reader recognises a file
    FOLLOWS = "transformers 5.23.0 (Trainer)"     # whose counting and stepping rules it reproduces
    DOCS = "docs/frameworks/huggingface.rst"      # optional: its page, linked from README's table
    def detect(doc: Document) -> bool: ...        # from the loaded content alone, cheap
    def read(doc: Document, inputs: BudgetInputs, *, allow_import: Allowance) -> Source: ...

and one line in :data:`READERS` (kind -> module path, in detection order; :func:`register` adds one
at run time). The CLI's ``--from`` choices and help, :func:`load_input` (the CLI, ``lrplot.plot``,
``verify``, the gallery, the doc integrations) and :func:`describe` (the docs) all read that registry.
A reader that resolves import strings (Hydra ``_target_``, MMEngine types) does it with
:func:`lrplot.imports.resolve_allowed` and ``allow_import``, never by itself. Reader modules import
their framework inside ``read`` only, so a plain spec never imports transformers, Lightning, Hydra,
timm or MMEngine. ``--set`` overrides apply to the input's own keys (a config's
``gradient_accumulation_steps``, a spec's ``scheduler.T_max``) before the reader translates it; a
reader that applies them itself (a Hydra primary config: Hydra overrides, given to Hydra's
composition) defines ``own_overrides(doc) -> bool``. A file that is not YAML (a TOML, a launch
script) reaches the readers' ``detect`` as ``text`` with ``data`` None; YAML's error reaches the user
only when no reader recognises it.

Helpers every reader uses: :func:`needs` (a budget number the config lacks, with the flag that
gives it), :class:`~.protocol.Budget` (the arithmetic, checked in one place) and
:func:`~.protocol.assumption` (a note that changes the curve).
This module imports nothing heavy at import time (the CLI reads :data:`READERS` for ``--help``).
"""

from __future__ import annotations

import importlib
from pathlib import Path
from typing import TYPE_CHECKING, Iterable

from ..errors import Location, SpecError, UsageError, first_line
from ..text import did_you_mean
from .protocol import Budget, BudgetInputs, ConfigReader, Document, Note, Source, Told, assumption, needs

if TYPE_CHECKING:  # pragma: no cover
    from ..imports import AllowImport

__all__ = ["READERS", "Budget", "BudgetInputs", "ConfigReader", "Document", "Note", "Source", "Told", "assumption",
           "describe", "detect", "kinds", "load_input", "needs", "reader", "register"]

# kind -> the reader's module (or, registered at run time, the reader itself), in detection order;
# "lrplot" is the fallback and stays last.
READERS: dict[str, str | ConfigReader] = {
    "llamafactory": "lrplot.sources.llamafactory",  # before trl: its DataArguments has packing
    "axolotl": "lrplot.sources.axolotl",  # before hf and deepspeed: learning_rate, gradient_accumulation_steps
    "trl": "lrplot.sources.trl",
    "hf": "lrplot.sources.hf",
    "litgpt": "lrplot.sources.litgpt",  # before lightning: its optimizer/data carry class_path
    "lightning": "lrplot.sources.lightning",
    "nemo": "lrplot.sources.nemo",  # before hydra, which claims any _target_ node
    "hydra": "lrplot.sources.hydra",
    "timm": "lrplot.sources.timm",
    "mmengine": "lrplot.sources.mmengine",
    "torchtune": "lrplot.sources.torchtune",  # before deepspeed, which claims gradient_accumulation_steps
    "deepspeed": "lrplot.sources.deepspeed",
    "torchtitan": "lrplot.sources.torchtitan",
    "torchtitan-registry": "lrplot.sources.torchtitan_registry",
    "megatron": "lrplot.sources.megatron",
    "composer": "lrplot.sources.composer",
    "lrplot": "lrplot.sources.lrplot_spec",
}


FALLBACK = "lrplot"


def reader(kind: str) -> ConfigReader:
    """The reader of ``kind`` (its module imported on first use)."""
    entry = READERS[kind]
    return importlib.import_module(entry) if isinstance(entry, str) else entry


def kinds() -> list[str]:
    return list(READERS)


def register(entry: str | ConfigReader) -> str:
    """Add a reader (a module path, or an object with :class:`ConfigReader`'s attributes), tried
    before the lrplot spec's fallback; its kind is then a ``--from`` choice. Returns the kind."""
    obj = importlib.import_module(entry) if isinstance(entry, str) else entry
    if not isinstance(obj, ConfigReader):
        missing = [a for a in ("KIND", "LOOKS_FOR", "FOLLOWS", "detect", "read") if not hasattr(obj, a)]
        raise TypeError(f"{obj!r} is not a config reader: it lacks {', '.join(missing)}")
    fallback = READERS.pop(FALLBACK)
    READERS[obj.KIND] = entry
    READERS[FALLBACK] = fallback
    return obj.KIND


def describe() -> list[tuple[str, str, str]]:
    """(kind, what it looks for, the framework rules it follows) of every reader, for the docs."""
    return [(kind, reader(kind).LOOKS_FOR, reader(kind).FOLLOWS) for kind in READERS]


def markdown_table() -> str:
    """README's table of the kinds of input, in detection order; a reader's ``DOCS`` page links its kind."""
    rows = []
    for kind, looks, follows in describe():
        page = getattr(reader(kind), "DOCS", None)
        name = f"[`{kind}`]({page})" if page else f"`{kind}`"
        rows.append(f"| {name} | {looks} | {follows} |")
    return "\n".join(["| `--from` | recognised by | counting and stepping rules of |", "| --- | --- | --- |", *rows]) + "\n"


def load_document(path: Path) -> Document:
    """Read ``path`` and, when it is YAML or JSON, parse it with positions; text YAML refuses is
    kept as text, with YAML's error, for a reader of another format to recognise."""
    from ..spec import read_text
    from ..yamlio import SourceMap, load_yaml

    if path.is_dir():
        raise SpecError("is a directory, not a spec file", location=Location(str(path)))
    text = read_text(path)
    if path.suffix == ".py":
        return Document(path, text, None, SourceMap(str(path)))
    try:
        data, source = load_yaml(text, str(path), strict_text=False)  # an lrplot spec refuses what it escaped
    except SpecError as exc:
        return Document(path, text, None, SourceMap(str(path)), not_yaml=exc)
    return Document(path, text, data, source)


def apply_overrides(doc: Document, overrides: Iterable[str], kind: str) -> None:
    """Apply ``--set`` overrides to the document's own keys (checked against the spec's keys for
    an lrplot spec; a training config's keys are its framework's)."""
    from ..spec import apply_override

    doc.overrides = tuple(overrides)
    own = getattr(reader(kind), "own_overrides", None)
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
        if kind != FALLBACK and reader(kind).detect(doc):
            return kind
    from ..yamlio import TemplateFileError

    if isinstance(doc.not_yaml, TemplateFileError):  # a template: its placeholder is the thing to say
        raise doc.not_yaml
    from ..spec import Spec
    from .unread import component_config, nemo_model_section

    named = component_config(doc, list(Spec.model_fields)) or nemo_model_section(doc)
    if named is not None:
        raise SpecError(f"{named[0]}: lrplot does not read this kind of file", hint=named[1],
                        location=doc.source.value(()))
    if not (isinstance(doc.data, dict) and _near_spec(doc.data)):
        from .unread import what

        named = what(doc)
        if named is not None:
            raise SpecError(f"{named[0]}: lrplot does not read this kind of file", hint=named[1],
                            location=Location(str(doc.path)))
    if doc.not_yaml is not None:
        raise doc.not_yaml
    if isinstance(doc.data, dict) and doc.data and not _near_spec(doc.data):
        # the kinds by name: what each looks for is README's table (one line per kind would not fit one line)
        raise SpecError(f"not a kind of file lrplot reads (none of {', '.join(READERS)} recognised it)",
                        hint=f"force one with --from {'|'.join(READERS)}; README's 'Training configs' table says "
                             "what each kind is recognised by", location=doc.source.value(()))
    return FALLBACK


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
    from . import composed

    parts = composed.split(path)
    doc = composed.compose(parts) if parts else load_document(Path(path))
    if kind is not None and doc.not_yaml is not None and not reader(kind).detect(doc):
        raise doc.not_yaml
    kind = kind or detect(doc)
    if parts:
        composed.refuse_kind(kind, str(path))
    apply_overrides(doc, overrides, kind)
    from ..errors import warnings_named
    from ..imports import allowed_imports

    try:
        with warnings_named(path):  # a framework's warning says which of several files it is about
            return reader(kind).read(doc, inputs, allow_import=allowed_imports(allow_import))
    except ImportError as exc:  # the framework, or something it imports (timm -> torchvision), is missing
        from ..errors import MissingLibraryError
        from ..imports.loading import forget_orphans

        forget_orphans()  # so that the next config of this kind fails the same way

        missing = (exc.name or "").split(".")[0] or kind
        raise MissingLibraryError(
            f"reading this {kind} config needs the Python package '{missing}', which does not import here "
            f"({first_line(exc)})", package=missing, location=Location(str(doc.path)),
            hint=f"install it in the environment that runs lrplot (pip install {missing.replace('_', '-')})"
        ) from None


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
