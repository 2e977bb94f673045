"""An LLM Foundry training YAML (MosaicML Composer's Trainer) as an lrplot spec.

LLM Foundry (llmfoundry/command_utils/train.py, 8c8dd48f) builds ``scheduler: {name, ...}`` from its
registry (llmfoundry/optim/__init__.py:23-31: ``constant_with_warmup``, ``cosine_with_warmup``,
``linear_decay_with_warmup`` are Composer's classes, ``inv_sqrt_with_warmup`` its own) with the other
keys as arguments (``build_scheduler``, llmfoundry/utils/builders.py:479-490), and hands it to
Composer's ``Trainer(schedulers=..., max_duration=...)``. Composer compiles it against its training
time and steps it after every batch (see :mod:`lrplot.engine.stepping`); the spec names the class and
says that time in ``stepping.composer``.

Times are Composer's strings (composer/core/time.py:54-71): ``ba`` batches (= optimizer updates: one
per batch, ``device_train_microbatch_size`` only splits it), ``ep`` epochs (x the dataloader's length),
``sp`` samples (``global_train_batch_size`` per batch), ``tok`` tokens, ``dur`` fractions of
``max_duration`` (composer/optim/scheduler.py:138-159 converts ``ep`` and ``dur``). The run lasts while
the timestamp is below ``max_duration`` (trainer.py:2416): ``ceil(max_duration / per batch)`` batches.
"""

from __future__ import annotations

import math
import re
from typing import TYPE_CHECKING, Any

from ..errors import SpecError
from .protocol import Budget, Source, Told, assumption, budget_number, needs, world_assumption

if TYPE_CHECKING:  # pragma: no cover
    from ..imports import Allowance
    from ..yamlio import SourceMap
    from .protocol import BudgetInputs, Document

KIND = "composer"
LOOKS_FOR = "an LLM Foundry YAML: max_duration with a scheduler: {name: ...} block or global_train_batch_size"
FOLLOWS = "mosaicml (Composer) 0.32.1 (Trainer), llm-foundry 8c8dd48f"
DOCS = "docs/frameworks/composer.rst"  # README's table links the kind to it
MODULE = "composer.optim.scheduler"
# LLM Foundry's scheduler registry (llmfoundry/optim/__init__.py:23-31)
SCHEDULERS = {
    "constant_with_warmup": f"{MODULE}:ConstantWithWarmupScheduler",
    "cosine_with_warmup": f"{MODULE}:CosineAnnealingWithWarmupScheduler",
    "linear_decay_with_warmup": f"{MODULE}:LinearWithWarmupScheduler",
    "inv_sqrt_with_warmup": "llmfoundry.optim.scheduler:InverseSquareRootWithWarmupScheduler",
}
TIME = re.compile(r"^\s*(\d+(?:\.\d*)?(?:e\d+)?)\s*(ep|ba|sp|tok|dur|iter)\s*$", re.IGNORECASE)
INTERPOLATION = re.compile(r"^\$\{variables\.(\w+)\}$")


def detect(doc: Document) -> bool:
    data = doc.data
    return isinstance(data, dict) and "max_duration" in data and (
        "global_train_batch_size" in data or isinstance(data.get("scheduler"), dict) and "name" in data["scheduler"])


def _error(doc: Document, message: str, path: tuple, hint: str | None = None) -> SpecError:
    return SpecError(message, hint=hint, location=doc.source.value(path))


def _duration(doc: Document, data: dict) -> tuple[float, str]:
    """max_duration as (value, unit); an integer counts epochs (Trainer: ensure_time(max_duration, EPOCH))."""
    value = data.get("max_duration")
    if isinstance(value, int) and not isinstance(value, bool):
        return budget_number(value, "max_duration", doc.source.value(("max_duration",)), integer=True,
                             positive=True), "ep"
    match = TIME.match(value) if isinstance(value, str) else None
    if match is None or match.group(2).lower() in ("dur", "iter"):
        raise _error(doc, f"max_duration should be a Composer time in ep, ba, sp or tok (4800ba, 2ep), not {value!r}",
                     ("max_duration",), hint="e.g. max_duration: 4800ba")
    number = float(match.group(1))
    if number <= 0 or not number.is_integer():
        raise _error(doc, f"max_duration should be a whole number > 0 of {match.group(2)}, not {value!r}",
                     ("max_duration",))
    return int(number), match.group(2).lower()


def _resolve(doc: Document, data: dict, key: str) -> Any:
    """A top-level value, or the ``variables:`` entry a plain ``${variables.NAME}`` names."""
    value = data.get(key)
    match = INTERPOLATION.match(value) if isinstance(value, str) else None
    if match and isinstance(data.get("variables"), dict):
        return data["variables"].get(match.group(1))
    return value


def _units(data: dict, block: dict) -> set[str]:
    units = set()
    for value in block.values():
        match = TIME.match(value) if isinstance(value, str) else None
        if match:
            units.add(match.group(2).lower())
    return units


def _optimizer(doc: Document, data: dict, notes: list[str]) -> dict[str, Any]:
    block = data.get("optimizer")
    if not isinstance(block, dict) or "lr" not in block:
        raise needs(doc, "the optimizer's lr (the schedule multiplies it; optimizer.lr is missing)",
                    "--set optimizer.lr=LR", ("optimizer",) if isinstance(block, dict) else ())
    lr = budget_number(block["lr"], "optimizer.lr", doc.source.value(("optimizer", "lr")), low=0)
    name = block.get("name")
    if name != "decoupled_adamw":
        notes.append(f"optimizer {name} is stepped as a torch AdamW: Composer's schedulers scale only the lr "
                     "the optimizer starts with")
    return {"type": "AdamW", "lr": lr}


def _source_map(doc: Document) -> SourceMap:
    from ..yamlio import SourceMap

    src, out = doc.source, SourceMap(doc.source.path)
    for table_in, table_out in ((src.values, out.values), (src.keys, out.keys), (src.text_start, out.text_start)):
        for path, loc in table_in.items():
            if path[:1] in (("scheduler",), ("optimizer",), ()):
                table_out.setdefault(path, loc)
    for spec_path, config_path in ((("scheduler", "type"), ("scheduler", "name")), (("steps",), ("max_duration",)),
                                   (("stepping",), ("max_duration",))):
        out.values[spec_path] = src.value(config_path)
    return out


def _per_epoch(doc: Document, data: dict, inputs: BudgetInputs, batch: int, notes: list[str]) -> int:
    """Composer's ``dataloader_len``: ``len(train_dataloader)`` on one rank (state.py:1657-1675).

    LLM Foundry splits ``global_train_batch_size`` evenly over the world size, refusing a remainder
    (llmfoundry/utils/config_utils.py:437-446). A Hugging Face dataset goes through torch's
    ``DistributedSampler`` with the loader's ``drop_last`` (llmfoundry/data/finetuning/dataloader.py:334-351;
    torch/utils/data/distributed.py:94-102: floor(n / world) examples when dropping, else padded to
    ceil(n / world)); a streaming dataset (``train_loader.name: text``, or a finetuning ``dataset.remote`` /
    ``streams``, dataloader.py:186-189) has ``len = ceil(n / world)`` (mosaicml-streaming's
    ``StreamingDataset``: ``self.length = ceil(self.epoch_size / world.num_ranks)``). Then torch's
    DataLoader: per-rank examples // device batch, or rounded up (torch/utils/data/dataloader.py:548-550).
    """
    loader = data.get("train_loader") if isinstance(data.get("train_loader"), dict) else {}
    dataset = loader.get("dataset") if isinstance(loader.get("dataset"), dict) else {}
    n, world = inputs.dataset_size, inputs.devices or 1
    assert n is not None
    if batch % world:
        raise _error(doc, f"global_train_batch_size {batch} does not split over --devices {world}: LLM Foundry "
                          "refuses a per-device batch that would be truncated", ("global_train_batch_size",),
                     hint=f"use --devices K with K dividing {batch}")
    device_batch = batch // world
    where = ("train_loader", "drop_last") if "drop_last" in loader else ("train_loader",)
    drop_last = loader.get("drop_last", False) is True
    if "drop_last" not in loader:
        if loader.get("name") == "finetuning":  # build_finetuning_dataloader(drop_last=False), dataloader.py:61
            notes.append("train_loader.drop_last is not set: LLM Foundry's finetuning loader keeps the last batch")
        else:
            notes.append(assumption("train_loader.drop_last is not set: counted as false (the last, partial "
                                    "batch of an epoch is kept)", settle="--set train_loader.drop_last=true"))
    streaming = loader.get("name") == "text" or "remote" in dataset or "streams" in dataset
    if streaming or not (drop_last and n % world):
        per_rank = -(-n // world)
    else:
        per_rank = n // world
    per_epoch = per_rank // device_batch if drop_last else -(-per_rank // device_batch)
    if per_epoch == 0:
        raise needs(doc, f"more examples than one global batch ({batch}) for a batch per epoch", "--dataset-size N",
                    where)
    split = (f"{n} examples / {world} devices = {per_rank} per device "
             f"({'a streaming dataset rounds up' if streaming else 'DistributedSampler'}); " if world > 1 else
             f"{n} examples; ")
    notes.append(assumption(f"dataloader length: {split}/ {device_batch} per device batch = {per_epoch} batches per "
                            f"epoch ({'rounded down, train_loader.drop_last' if drop_last else 'rounded up'}); "
                            "a packing ratio can change it", settle="--dataset-size"))
    if inputs.devices is None and streaming:  # a DistributedSampler's count does not depend on the world size
        notes.append(world_assumption("world size 1: a streaming dataset rounds each device's share up, so the "
                                      "device count can add a batch per epoch"))
    return per_epoch


def read(doc: Document, inputs: BudgetInputs, *, allow_import: Allowance) -> Source:
    from ..spec import spec_from_data

    data = doc.data
    block = data.get("scheduler")
    if not isinstance(block, dict) or "name" not in block:
        raise _error(doc, "this LLM Foundry config has no scheduler: {name: ...} block", ("scheduler",) if
                     "scheduler" in data else (), hint="add e.g. scheduler: {name: cosine_with_warmup, t_warmup: 100ba}")
    name = block["name"]
    if name not in SCHEDULERS:
        from ..text import did_you_mean

        raise _error(doc, f"scheduler.name {name!r} is not in LLM Foundry's scheduler registry", ("scheduler", "name"),
                     hint=did_you_mean(str(name), SCHEDULERS) or f"use one of {', '.join(SCHEDULERS)}")
    args = {k: v for k, v in block.items() if k != "name"}
    notes: list[str] = []
    optimizer = _optimizer(doc, data, notes)
    value, unit = _duration(doc, data)
    units = _units(data, args) | {unit}
    stepping: dict[str, Any] = {"max_duration": f"{value}{unit}"}
    told = [Told("max duration", f"{value}{unit}", "max_duration")]
    where = doc.source.value(("max_duration",))
    batch = data.get("global_train_batch_size")
    if batch is not None:
        batch = budget_number(batch, "global_train_batch_size", doc.source.value(("global_train_batch_size",)),
                              integer=True, positive=True)
        stepping["samples_per_batch"] = batch
        told.append(Told("samples per batch", batch, "global_train_batch_size"))
    elif units & {"sp", "tok", "ep"}:
        raise needs(doc, f"the global batch size (max_duration or the scheduler counts in "
                         f"{'/'.join(sorted(units & {'sp', 'tok', 'ep'}))})", "--set global_train_batch_size=B")
    per_epoch = None
    if "ep" in units or "dur" in units and unit == "ep":
        if inputs.dataset_size is None:
            raise needs(doc, "the training-set size (Composer counts epochs in batches of the train dataloader)",
                        "--dataset-size N", ("max_duration",) if unit == "ep" else ("scheduler",))
        per_epoch = _per_epoch(doc, data, inputs, batch, notes)
        stepping["dataloader_len"] = per_epoch
        told.append(Told("dataset size", inputs.dataset_size, "--dataset-size"))
    if "tok" in units:
        seq = _resolve(doc, data, "max_seq_len")
        if not isinstance(seq, int) or isinstance(seq, bool) or seq < 1 or batch is None:
            raise needs(doc, "the tokens per batch (max_duration or the scheduler counts in tok; no max_seq_len)",
                        "--set max_seq_len=N", ("max_duration",))
        stepping["tokens_per_batch"] = batch * seq
        notes.append(assumption(f"tokens per batch = global_train_batch_size {batch} x max_seq_len {seq} = "
                                f"{batch * seq} (every sequence full, as concatenated text is; padding counts fewer)",
                                settle="max_seq_len"))
    if unit == "ba":
        updates, text = value, f"max_duration {value}ba = {value} updates"
    elif unit == "ep":
        assert per_epoch is not None
        updates, text = value * per_epoch, f"max_duration {value}ep x {per_epoch} batches = {value * per_epoch} updates"
    else:
        each = stepping["samples_per_batch"] if unit == "sp" else stepping["tokens_per_batch"]
        updates = math.ceil(value / each)
        text = f"max_duration {value}{unit} / {each} {unit} per batch = {updates} updates (rounded up)"
    text += " (one optimizer update per batch; Composer steps the scheduler after each)"
    micro = data.get("device_train_microbatch_size")
    if micro is not None:
        notes.append(f"device_train_microbatch_size {micro} splits each batch; it does not change the update count")
    spec_data: dict[str, Any] = {
        "title": f"LLM Foundry {name}: {doc.path.name}",
        "steps": budget_number(updates, "the run's updates", where, integer=True, positive=True),
        "optimizer": optimizer,
        "scheduler": {"type": SCHEDULERS[name], **args},
        "stepping": {"composer": stepping},
    }
    if per_epoch is not None:
        spec_data["steps_per_epoch"] = per_epoch
    spec = spec_from_data(spec_data, _source_map(doc), file=doc.path)
    budget = Budget(text, updates, per_epoch, told=tuple(told), decided_by="max_duration", where=where)
    return Source(KIND, spec, budget, tuple(notes))
