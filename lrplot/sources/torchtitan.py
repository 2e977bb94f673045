"""A torchtitan TOML job config (releases up to 0.2.2: ``[lr_scheduler]``, ``[training] steps``,
``[optimizer] lr``) as an lrplot spec.

The schedule is torchtitan's own: :func:`lr_schedulers` (the spec's scheduler type) calls
``torchtitan.components.lr_scheduler.build_lr_schedulers`` with torchtitan's ``LRScheduler`` config
dataclass made of the file's ``[lr_scheduler]`` table and ``training.steps``, as the trainer does
(torchtitan 0.2.2, ``torchtitan/train.py:278-280``: ``build_lr_schedulers_fn(self.optimizers,
job_config.lr_scheduler, job_config.training.steps)``), and returns the LambdaLR it built
(``linear_warmup_stable_decay`` with its warmup, stable and decay arithmetic, all torchtitan's). The
trainer builds one LambdaLR per model part, all with the same lambda and lr; lrplot's one optimizer
is one part. Stepping (train.py:598-601, inside ``train_step``, once per ``self.step += 1`` of
``train``, :672-674, until ``training.steps``): ``optimizers.step()`` then ``lr_schedulers.step()``,
the spec's ``interval: step``.

Keys left out take the defaults of torchtitan's own config dataclasses (``torchtitan.config``:
``LRScheduler``, ``Training``, ``Optimizer``); a key or table ``JobConfig`` lacks, in any table (an older
release's ``[job] print_args``, renamed ``print_config``), is refused, as torchtitan's
``ConfigManager._dict_to_dataclass`` refuses the whole file before training (config/manager.py:160-181,
``Invalid field names``). A ``job.custom_config_module`` makes torchtitan merge that module's ``JobConfig``
into its own (manager.py:86-158), which lrplot does not import: keys outside torchtitan's own are then
left unchecked, and said so.

Releases after 0.2.2 (pytorch/torchtitan#2386, 2026-02-23) configure a run with Python functions
returning ``Trainer.Config``: the kind ``torchtitan-registry`` (:mod:`.torchtitan_registry`) reads those.
"""

from __future__ import annotations

import logging
import re
from typing import TYPE_CHECKING, Any

from ..errors import Location, SpecError
from .protocol import Budget, Source, Told, assumption, budget_number

if TYPE_CHECKING:  # pragma: no cover
    from ..imports import Allowance
    from .protocol import BudgetInputs, Document

KIND = "torchtitan"
LOOKS_FOR = "a torchtitan (<= 0.2.2) TOML: [lr_scheduler], [training] and [optimizer] tables"
TORCHTITAN_READ = "0.2.2"
FOLLOWS = f"torchtitan {TORCHTITAN_READ} (train.py, components/lr_scheduler.py)"
DOCS = "docs/frameworks/torchtitan.rst"  # README's table links the kind to it
SCHEDULER = "lrplot.sources.torchtitan:lr_schedulers"
_TABLES = re.compile(r"^\s*\[(lr_scheduler|training|optimizer)\]\s*(#.*)?$", re.M)
_TOML_AT = re.compile(r"\(at line (\d+), column (\d+)\)")


def detect(doc: Document) -> bool:
    return (doc.data is None or doc.path.suffix == ".toml") and _TABLES.search(doc.text) is not None


def own_overrides(doc: Document) -> bool:
    """``--set`` items apply to the TOML's tables (``lr_scheduler.warmup_steps=10``), in :func:`read`."""
    return True


def lr_schedulers(optimizer: Any, training_steps: int, **lr_scheduler: Any) -> Any:
    """torchtitan's ``build_lr_schedulers`` on one model part's optimizer: its LambdaLR.

    ``lr_scheduler`` holds the fields of torchtitan's ``LRScheduler`` config dataclass
    (``warmup_steps``, ``decay_ratio``, ``decay_type``, ``min_lr_factor``, ``total_steps``); fields
    left out take torchtitan's defaults."""
    from torchtitan.components.lr_scheduler import build_lr_schedulers
    from torchtitan.config import LRScheduler

    return build_lr_schedulers([optimizer], LRScheduler(**lr_scheduler), training_steps).schedulers[0]


def _where(doc: Document, table: str, key: str | None = None) -> Location:
    """The line of ``key = ...`` in ``[table]`` (else the table's header, else the file)."""
    lines = doc.text.splitlines()
    current = None
    header = None
    for n, line in enumerate(lines, 1):
        m = re.match(r"\s*\[([^\]]+)\]", line)
        if m:
            current = m.group(1).strip()
            if current == table and header is None:
                header = Location(str(doc.path), n, 1)
            continue
        if current == table and key is not None:
            k = re.match(rf"(\s*){re.escape(key)}\s*=", line)
            if k:
                return Location(str(doc.path), n, len(k.group(1)) + 1)
    return header or Location(str(doc.path))


def _parse(doc: Document) -> dict:
    try:
        import tomllib
    except ModuleNotFoundError:  # Python 3.10: tomli, which torchtitan itself requires there
        import tomli as tomllib
    try:
        data = tomllib.loads(doc.text)
    except tomllib.TOMLDecodeError as exc:
        text = str(exc)
        m = _TOML_AT.search(text)
        where = Location(str(doc.path), int(m.group(1)), int(m.group(2))) if m else Location(str(doc.path))
        raise SpecError(f"not valid TOML: {_TOML_AT.sub('', text).strip()}", location=where,
                        hint="fix the file (torchtitan's ConfigManager reads it with tomllib)") from None
    if doc.overrides:
        from ..spec import apply_override
        from ..yamlio import SourceMap

        for item in doc.overrides:
            apply_override(data, SourceMap(str(doc.path)), item, spec_keys=False)
    return data


def _check_fields(doc: Document, data: dict, cls: type, path: tuple[str, ...] = ()) -> None:
    """Every table and key of the file against torchtitan's ``JobConfig``, as ``_dict_to_dataclass``
    checks them (manager.py:160-181: the invalid names of each dataclass level, then its dataclass
    fields given as tables, recursively)."""
    from dataclasses import fields, is_dataclass

    from ..text import did_you_mean

    valid = {f.name: f for f in fields(cls)}
    for key in data:
        if key not in valid:
            hint = did_you_mean(key, list(valid))
            what = f"[{'.'.join(path)}] has no key '{key}'" if path else f"'{key}' is not a table of torchtitan's JobConfig"
            raise SpecError(f"{what} (torchtitan {TORCHTITAN_READ} would fail: Invalid field names)",
                            location=_where_key(doc, path + (key,)),
                            hint=hint or (f"remove it (valid: {', '.join(valid)})" if path else
                                          "remove it, or add --set job.custom_config_module=M where the run gives "
                                          f"--job.custom_config_module=M (torchtitan's tables: {', '.join(valid)})"))
    for key, value in data.items():
        if is_dataclass(valid[key].type) and isinstance(value, dict):
            _check_fields(doc, value, valid[key].type, path + (key,))


def _where_key(doc: Document, path: tuple[str, ...]) -> Location:
    """Where the key at ``path`` is written: ``key =`` in its table (or as a dotted key in a parent
    table), else its own table's header, else the file."""
    for cut in range(len(path) - 1, 0, -1):
        found = _where(doc, ".".join(path[:cut]), ".".join(path[cut:]))
        if found.line is not None and not re.match(r"\s*\[", doc.text.splitlines()[found.line - 1]):
            return found
    head = re.search(rf"^\s*\[{re.escape('.'.join(path))}[\].]", doc.text, re.M)
    first = re.search(r"^\s*\[", doc.text, re.M)  # a top-level key stands before the first table
    if head is None and len(path) == 1:
        head = re.search(rf"^{re.escape(path[0])}\s*=", doc.text[:first.start() if first else None], re.M)
    if head is None:
        return Location(str(doc.path))
    return Location(str(doc.path), doc.text.count("\n", 0, head.start()) + 1, 1)


def _table(doc: Document, data: dict, name: str, cls: type) -> dict:
    """The ``[name]`` table checked against torchtitan's dataclass ``cls`` (its fields, as
    ``ConfigManager._dict_to_dataclass`` checks them), with its defaults filled in."""
    from dataclasses import fields

    from ..text import did_you_mean

    table = data.get(name, {})
    if not isinstance(table, dict):
        raise SpecError(f"{name} must be a table ([{name}])", location=_where(doc, name), hint=f"e.g. [{name}]")
    valid = [f.name for f in fields(cls)]
    for key in table:
        if key not in valid:
            hint = did_you_mean(key, valid)
            raise SpecError(f"[{name}] has no key '{key}' (torchtitan {TORCHTITAN_READ} would fail: Invalid field "
                            "names)", location=_where(doc, name, key),
                            hint=hint or f"valid: {', '.join(valid)}")
    defaults = {f.name: getattr(cls(), f.name) for f in fields(cls)}
    return {**defaults, **table}


def read(doc: Document, inputs: BudgetInputs, *, allow_import: Allowance) -> Source:
    from ..spec import spec_from_data

    data = _parse(doc)
    from dataclasses import fields
    from typing import get_args, get_type_hints

    from torchtitan.config import JobConfig, LRScheduler, Optimizer, Training

    job = data.get("job")
    custom = job.get("custom_config_module") if isinstance(job, dict) else None
    notes: list[str] = []
    if custom:  # torchtitan merges its JobConfig into its own (manager.py:86-158): not imported here
        notes.append(f"job.custom_config_module {custom!r}: torchtitan merges that module's JobConfig into its own; "
                     "lrplot does not import it, so keys torchtitan's own JobConfig lacks were not checked and are "
                     "not read")
        for name in ("lr_scheduler", "training", "optimizer"):
            table = data.get(name)
            if isinstance(table, dict):
                known = {f.name for f in fields({f.name: f.type for f in fields(JobConfig)}[name])}
                data[name] = {k: v for k, v in table.items() if k in known}
    else:
        _check_fields(doc, data, JobConfig)

    sched = _table(doc, data, "lr_scheduler", LRScheduler)
    training = _table(doc, data, "training", Training)
    optim = _table(doc, data, "optimizer", Optimizer)
    steps = budget_number(training["steps"], "training.steps", _where(doc, "training", "steps"), integer=True,
                          positive=True, hint="fix it, or --set training.steps=N")
    for key in ("warmup_steps", "total_steps"):
        if sched[key] is not None:
            sched[key] = budget_number(sched[key], f"lr_scheduler.{key}", _where(doc, "lr_scheduler", key),
                                       low=0, hint=f"fix it, or --set lr_scheduler.{key}=N")
    for key in ("decay_ratio", "min_lr_factor"):
        if sched[key] is not None:
            budget_number(sched[key], f"lr_scheduler.{key}", _where(doc, "lr_scheduler", key), low=0,
                          hint=f"fix it, or --set lr_scheduler.{key}=X")
    decay_types = get_args(get_type_hints(LRScheduler)["decay_type"])
    if sched["decay_type"] not in decay_types:
        raise SpecError(f"lr_scheduler.decay_type {sched['decay_type']!r} is not one of torchtitan's "
                        f"({', '.join(decay_types)}): its lr lambda would fail at the first decay step",
                        location=_where(doc, "lr_scheduler", "decay_type"), hint=f"use one of {', '.join(decay_types)}")
    if optim["name"] not in ("Adam", "AdamW"):  # build_optimizers' optimizer_classes (components/optimizer.py)
        raise SpecError(f"optimizer.name {optim['name']!r}: torchtitan {TORCHTITAN_READ} builds only Adam and AdamW "
                        f"(NotImplementedError: Optimizer {optim['name']} not added.)",
                        location=_where(doc, "optimizer", "name"), hint="use AdamW")
    lr = budget_number(optim["lr"], "optimizer.lr", _where(doc, "optimizer", "lr"), low=0,
                       hint="fix it, or --set optimizer.lr=X")
    kwargs = {k: v for k, v in sched.items() if v is not None}
    notes += _torchtitan_warnings(steps, kwargs)
    if inputs.dataset_size is not None or inputs.batch_size is not None:
        notes.append("--dataset-size and --batch-size are not used: torchtitan runs training.steps steps")
    spec_data: dict[str, Any] = {
        "title": f"torchtitan {sched['decay_type']} decay: {doc.path.name}",
        "steps": steps,
        "optimizer": {"type": optim["name"], "lr": lr, "weight_decay": optim["weight_decay"], "eps": optim["eps"],
                      "betas": [optim["beta1"], optim["beta2"]]},
        "scheduler": {"type": SCHEDULER, "training_steps": steps, **kwargs},
    }
    spec = spec_from_data(spec_data, _source_map(doc, kwargs), file=doc.path)
    parts = [f"warmup_steps {sched['warmup_steps']}"]
    if sched["decay_ratio"] is not None:
        parts.append(f"decay_ratio {sched['decay_ratio']}")
    if sched["total_steps"] is not None:
        parts.append(f"total_steps {sched['total_steps']}")
    text = (f"training.steps {steps} = {steps} updates (one lr_schedulers.step() per step); "
            f"{', '.join(parts)}, {sched['decay_type']} decay to min_lr_factor {sched['min_lr_factor']}")
    told = (Told("total updates", steps, "training.steps" if "steps" in data.get("training", {}) else "default"),)
    budget = Budget(text, steps, told=told, decided_by="training.steps", where=_where(doc, "training", "steps"))
    return Source(KIND, spec, budget, tuple(notes))


def _torchtitan_warnings(steps: int, kwargs: dict) -> list:
    """What torchtitan's build_lr_schedulers warns about this schedule (warmup or decay cut to fit the
    run), caught by building it once on a throwaway optimizer: an assumption note each, since the
    trainer changes the schedule the file asks for."""
    import torch

    from ..tricks import fast_optimizers

    caught: list[str] = []

    class Catch(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            if record.levelno >= logging.WARNING and record.pathname.endswith("lr_scheduler.py"):
                caught.append(record.getMessage())

    root = logging.getLogger()  # torchtitan.tools.logging.logger is the root logger
    handler = Catch()
    root.addHandler(handler)
    try:
        with fast_optimizers():  # the same optimizer, without the first one's import of torch._dynamo
            probe = torch.optim.AdamW([torch.nn.Parameter(torch.zeros(1))], lr=1.0)
        lr_schedulers(probe, steps, **kwargs)
    finally:
        root.removeHandler(handler)
    return [assumption(f"torchtitan: {message}", settle="lr_scheduler.warmup_steps") for message in caught]


def _source_map(doc: Document, kwargs: dict) -> Any:
    """Where each key of the generated spec comes from in the TOML (by line)."""
    from ..yamlio import SourceMap

    out = SourceMap(str(doc.path))
    out.values[()] = Location(str(doc.path))
    out.values[("scheduler",)] = out.values[("scheduler", "type")] = _where(doc, "lr_scheduler")
    for key in kwargs:
        out.values[("scheduler", key)] = out.keys[("scheduler", key)] = _where(doc, "lr_scheduler", key)
    out.values[("steps",)] = out.values[("scheduler", "training_steps")] = _where(doc, "training", "steps")
    out.values[("optimizer",)] = _where(doc, "optimizer")
    for key in ("lr", "weight_decay", "eps"):
        out.values[("optimizer", key)] = _where(doc, "optimizer", key)
    return out
