"""A torchtune recipe config (``tune run <recipe> --config x.yaml``: ``_component_`` keys) as an lrplot spec.

The schedule is torchtune's own: the spec names the ``lr_scheduler`` block's ``_component_``
(``torchtune.training.lr_schedulers:get_cosine_schedule_with_warmup``, a LambdaLR) with the block's
other keys and ``num_training_steps``, exactly as the recipes' ``_setup_lr_scheduler`` calls it:
``config.instantiate(cfg_lr_scheduler, optimizer, num_training_steps=self.total_epochs *
self._steps_per_epoch, last_epoch=self.global_step - 1)``.

What lrplot reproduces, read from the recipes torchtune 0.6.1 ships (``recipes/*.py`` in its
wheel; the fine-tuning recipes count alike, e.g. ``full_finetune_single_device.py`` and
``lora_finetune_single_device.py``):

* the data loader: ``StatefulDistributedSampler(ds, num_replicas=1)`` (single device, :581 / :552;
  the distributed recipes: ``num_replicas=self.dp_size``, full_finetune_distributed.py:719, which
  pads the dataset to a multiple of the world size) and ``StatefulDataLoader(batch_size=...,
  drop_last=True)`` (:600 / :571): ``len(dataloader) = ceil(N / world) // batch_size``;
* updates per epoch (:325-330 / :329-334): ``len(dataloader) // gradient_accumulation_steps``,
  capped by ``max_steps_per_epoch``; the whole run ``total_epochs * steps_per_epoch`` is the
  scheduler's ``num_training_steps`` (:337 / :342);
* stepping: ``if (idx + 1) % gradient_accumulation_steps == 0: optimizer.step(); ...
  lr_scheduler.step()`` (:704-717 / :709-718), and the epoch ends after ``max_steps_per_epoch``
  updates (:776-779 / :772-775): one ``step()`` per update, the spec's ``interval: step``.

torchtune's GRPO recipe (``recipes/dev/grpo_full_finetune_distributed.py`` at pytorch/torchtune
bd2a0fc; its configs are told by ``grpo_samples``) counts otherwise: it reads no
``gradient_accumulation_steps``; ``self._steps_per_epoch = len(self._dataloader)`` (:201, the same
sampler and ``drop_last`` loader, :446-466) and ``num_training_steps=self.total_epochs *
self._steps_per_epoch`` (:205-209); every batch runs ``ppo_epochs`` updates, each
``optimizer.step(); ... self._lr_scheduler.step()`` (:839-857); the run stops after ``num_steps``
batches (:225, :902-904), however many epochs are left.

torchtune's PPO recipe (``recipes/ppo_full_finetune_single_device.py`` at the same commit; its configs are
told by ``ppo_batch_size``) reads no ``epochs``: the run is ``num_steps // batch_size`` batches (:442), as many
epochs as that takes (:447); every batch runs ``ppo_epochs x (batch_size // ppo_batch_size)`` updates, each
stepping the scheduler (:983-1026; ``gradient_accumulation_steps`` splits one update's minibatch), and
``num_training_steps`` is the run's updates (:260-271). torchtune 0.6.1's PPO recipe builds no scheduler.

The training-set size is not in a recipe config (the ``dataset`` component builds it): it is asked
for (``--dataset-size``), the number of examples after packing when ``packed`` is on.
"""

from __future__ import annotations

import math
import re
from typing import TYPE_CHECKING, Any

from ..errors import SpecError
from .protocol import Budget, Source, Told, assumption, budget_number, needs, world_size

if TYPE_CHECKING:  # pragma: no cover
    from ..imports import Allowance
    from ..yamlio import SourceMap
    from .protocol import BudgetInputs, Document

KIND = "torchtune"
LOOKS_FOR = "a torchtune recipe config: _component_ blocks (optimizer, lr_scheduler) with epochs, batch_size"
FOLLOWS = "torchtune 0.6.1 (recipes full_finetune_*, lora_finetune_*)"
DOCS = "docs/frameworks/torchtune.rst"  # README's table links the kind to it
# torchtune.training re-exports its scheduler factory; the spec names the module that defines it.
REEXPORTS = {"torchtune.training.get_cosine_schedule_with_warmup":
             "torchtune.training.lr_schedulers.get_cosine_schedule_with_warmup"}
# Arguments the recipe passes itself (config.instantiate(..., num_training_steps=..., last_epoch=...)).
PASSED = ("num_training_steps", "last_epoch")
RECIPE_KEYS = ("epochs", "batch_size", "gradient_accumulation_steps", "max_steps_per_epoch", "dataset", "model")


def _component(node: Any) -> bool:
    return isinstance(node, dict) and isinstance(node.get("_component_"), str)


def detect(doc: Document) -> bool:
    data = doc.data
    return (isinstance(data, dict) and (_component(data.get("optimizer")) or _component(data.get("lr_scheduler")))
            and sum(k in data for k in RECIPE_KEYS) >= 2)


def _number(doc: Document, data: dict, key: str, *, low: int = 1) -> int:
    if key not in data:
        raise SpecError(f"the recipe reads cfg.{key}, which this config does not set", location=doc.source.value(()),
                        hint=f"add {key}: N (or --set {key}=N)")
    return budget_number(data[key], key, doc.source.value((key,)), integer=True, low=low,
                         hint=f"fix it, or --set {key}=N")


def _optimizer(doc: Document, data: dict, notes: list[str]) -> dict:
    block = data.get("optimizer")
    if not _component(block):
        raise SpecError("the recipe builds its optimizer from an optimizer: {_component_: ...} block, which this "
                        "config lacks", location=doc.source.value(()),
                        hint="add optimizer: {_component_: torch.optim.AdamW, lr: 2e-5}")
    path = block["_component_"]
    module, _, name = path.rpartition(".")
    torch_name = name if module == "torch.optim" else None
    if torch_name is None:
        notes.append(f"optimizer {path} is drawn on torch AdamW: the lr schedule is the same (a LambdaLR scales "
                     "each param group's initial lr)")
    if "lr" not in block:
        raise needs(doc, "the optimizer's lr (the schedule scales it)", "--set optimizer.lr=LR", ("optimizer",))
    out: dict[str, Any] = {"type": torch_name or "AdamW"}
    for key in ("lr", "weight_decay"):
        if key in block:
            out[key] = budget_number(block[key], f"optimizer.{key}", doc.source.value(("optimizer", key)), low=0,
                                     hint=f"fix it, or --set optimizer.{key}=X")
    return out


def _scheduler(doc: Document, data: dict) -> tuple[str, dict]:
    block = data.get("lr_scheduler")
    if block is None:
        lr = (data.get("optimizer") or {}).get("lr")
        raise SpecError(f"no lr_scheduler: torchtune's recipe runs no scheduler and the lr stays at {lr} "
                        "(_setup_lr_scheduler: 'Using constant learning rate')", location=doc.source.value(()),
                        hint="nothing to draw; add lr_scheduler: {_component_: "
                             "torchtune.training.lr_schedulers.get_cosine_schedule_with_warmup, num_warmup_steps: N}")
    if not _component(block):
        raise SpecError("lr_scheduler must be a {_component_: ..., ...} block (config.instantiate builds it)",
                        location=doc.source.value(("lr_scheduler",)),
                        hint="e.g. {_component_: torchtune.training.lr_schedulers.get_cosine_schedule_with_warmup, "
                             "num_warmup_steps: 100}")
    path = REEXPORTS.get(block["_component_"], block["_component_"])
    module, _, name = path.rpartition(".")
    if not module:
        raise SpecError(f"lr_scheduler._component_ {path!r} is not a dotted path", hint="e.g. "
                        "torchtune.training.lr_schedulers.get_cosine_schedule_with_warmup",
                        location=doc.source.value(("lr_scheduler", "_component_")))
    kwargs = {k: v for k, v in block.items() if k != "_component_"}
    for key in PASSED:
        if key in kwargs:
            raise SpecError(f"lr_scheduler.{key}: the recipe passes {key} itself (torchtune would fail: got "
                            f"multiple values for keyword argument '{key}')",
                            location=doc.source.key(("lr_scheduler", key)), hint=f"--set '~lr_scheduler.{key}'")
    return f"{module}:{name}", kwargs


def _source_map(doc: Document, kwargs: dict) -> SourceMap:
    """Where each key of the generated spec comes from in the recipe config."""
    from ..yamlio import SourceMap

    src = doc.source
    out = SourceMap(src.path)
    out.values[()] = src.value(())
    for spec_path, path in ((("scheduler",), ("lr_scheduler",)), (("scheduler", "type"), ("lr_scheduler", "_component_")),
                            (("optimizer",), ("optimizer",)), (("optimizer", "type"), ("optimizer", "_component_")),
                            (("optimizer", "lr"), ("optimizer", "lr")), (("steps",), ("epochs",)),
                            (("scheduler", "num_training_steps"), ("epochs",)), (("steps_per_epoch",), ("batch_size",))):
        if path in src.values:
            out.values[spec_path] = src.value(path)
            out.keys[spec_path] = src.key(path)
    for key in kwargs:
        out.values[("scheduler", key)] = src.value(("lr_scheduler", key))
        out.keys[("scheduler", key)] = src.key(("lr_scheduler", key))
    return out


def _in_backward(doc: Document, data: dict, accum: int) -> None:
    """optimizer_in_bwd: True steps the optimizer inside backward; every recipe that reads it refuses
    accumulation and clipping beside it (full_finetune_single_device.py:146-157 in torchtune 0.6.1)."""
    if data.get("optimizer_in_bwd") is not True:
        return
    if accum > 1:
        raise SpecError(f"gradient_accumulation_steps {accum} with optimizer_in_bwd: True: torchtune's recipe refuses "
                        "to start ('Gradient accumulation is not supported with optimizer in bwd')",
                        location=doc.source.value(("gradient_accumulation_steps",)),
                        hint="set gradient_accumulation_steps: 1, or optimizer_in_bwd: False")
    if data.get("clip_grad_norm") is not None:
        raise SpecError("clip_grad_norm with optimizer_in_bwd: True: torchtune's recipe refuses to start ('Gradient "
                        "clipping is not supported with optimizer in bwd')",
                        location=doc.source.value(("clip_grad_norm",)),
                        hint="set clip_grad_norm: null, or optimizer_in_bwd: False")


def read(doc: Document, inputs: BudgetInputs, *, allow_import: Allowance) -> Source:
    from ..spec import spec_from_data

    data = doc.data
    if not isinstance(data, dict):
        raise SpecError("a torchtune recipe config must be a mapping of keys", location=doc.source.value(()),
                        hint="e.g. optimizer: {_component_: torch.optim.AdamW, lr: 2e-5}, epochs: 1")
    notes: list[str] = []
    sched_type, kwargs = _scheduler(doc, data)
    optimizer = _optimizer(doc, data, notes)
    if "ppo_batch_size" in data:
        return _ppo(doc, data, sched_type, kwargs, optimizer, notes)
    epochs = _number(doc, data, "epochs")
    batch = _number(doc, data, "batch_size")
    if "grpo_samples" in data:
        return _grpo(doc, data, inputs, sched_type, kwargs, optimizer, notes, epochs, batch)
    accum = _number(doc, data, "gradient_accumulation_steps")
    _in_backward(doc, data, accum)
    cap = data.get("max_steps_per_epoch")
    if cap is not None:
        cap = _number(doc, data, "max_steps_per_epoch")
    if inputs.dataset_size is None:
        raise needs(doc, "the training-set size (the dataset component builds it; the recipe's updates per epoch "
                         "are its data loader's length)", "--dataset-size N",
                    ("dataset",) if "dataset" in data else ())
    dataset = data.get("dataset")
    if isinstance(dataset, dict) and dataset.get("packed") is True:
        notes.append("packed: True: --dataset-size is the number of packed sequences (PackedDataset's length)")
    n = inputs.dataset_size
    world, told_world = world_size(inputs)
    # a single-device recipe (named in the config's file name, or in its own 'tune run' comment) has one rank
    single = "single_device" in doc.path.stem or re.search(r"tune run\b.*single_device", doc.text) is not None
    per_rank = math.ceil(n / world)                 # StatefulDistributedSampler pads to the world size
    batches = per_rank // batch                     # StatefulDataLoader(drop_last=True)
    per_epoch = batches // accum                    # len(self._dataloader) // self._gradient_accumulation_steps
    capped = cap is not None and cap < per_epoch
    if capped:
        per_epoch = cap
    if per_epoch == 0:
        raise SpecError(f"{n} examples give {batches} full batches of {batch}{f' per rank (x {world})' if world > 1 else ''}"
                        f", fewer than one update of {accum} accumulated batches (torchtune drops the last partial "
                        "batch)", location=doc.source.value(("batch_size",)),
                        hint="check --dataset-size, batch_size and gradient_accumulation_steps")
    total = epochs * per_epoch
    spec_data: dict[str, Any] = {
        "title": f"torchtune {sched_type.rpartition(':')[2]}: {doc.path.name}",
        "steps": total,
        "steps_per_epoch": per_epoch,
        "optimizer": optimizer,
        "scheduler": {"type": sched_type, **kwargs, "num_training_steps": total},
    }
    spec = spec_from_data(spec_data, _source_map(doc, kwargs), file=doc.path)
    ranks = f" x {world}" if world > 1 else ""
    text = (f"{n} examples / ({batch}{ranks}) = {batches} batches per epoch (drop_last) / accumulation {accum} = "
            f"{batches // accum} updates{f', max_steps_per_epoch {cap}' if capped else ''} x {epochs} epochs = "
            f"{total} updates (num_training_steps)")
    warm = _warmup(kwargs)
    text += f"; num_warmup_steps {warm}" if warm is not None else ""
    told = (Told("dataset size", n, "--dataset-size"), told_world,
            Told("batch size", batch, "batch_size"), Told("accumulation", accum, "gradient_accumulation_steps"),
            Told("epochs", epochs, "epochs"))
    budget = Budget(text, total, per_epoch, warmup=warm, told=told, decided_by="epochs", where=doc.source.value(("epochs",)),
                    world=None if single else
                    "a distributed recipe's sampler splits the dataset over its data-parallel ranks")
    return Source(KIND, spec, budget, tuple(notes))


def _warmup(kwargs: dict) -> int | None:
    """The scheduler's ``num_warmup_steps`` where it is a count (the budget line says it, check reads it)."""
    warmup = kwargs.get("num_warmup_steps")
    return warmup if isinstance(warmup, int) and not isinstance(warmup, bool) and warmup >= 0 else None


def _grpo(doc: Document, data: dict, inputs: BudgetInputs, sched_type: str, kwargs: dict, optimizer: dict,
          notes: list[str], epochs: int, batch: int) -> Source:
    """torchtune's GRPO recipe: ``ppo_epochs`` updates per batch, ``num_steps`` batches at most, the
    scheduler's horizon ``epochs x len(dataloader)`` (see the module docstring)."""
    from ..spec import spec_from_data

    ppo = _number(doc, data, "ppo_epochs")
    num_steps = _number(doc, data, "num_steps")
    if "gradient_accumulation_steps" in data:
        notes.append("gradient_accumulation_steps is not read by torchtune's GRPO recipe (one batch, ppo_epochs "
                     "updates)")
    if inputs.dataset_size is None:
        raise needs(doc, "the number of prompts in the training set (the dataset component builds it; the GRPO "
                         "recipe's horizon is epochs x its data loader's length)", "--dataset-size N",
                    ("dataset",) if "dataset" in data else ())
    n = inputs.dataset_size
    world, told_world = world_size(inputs)
    batches = math.ceil(n / world) // batch         # StatefulDistributedSampler pads; drop_last=True
    if batches == 0:
        raise SpecError(f"{n} prompts give no full batch of {batch}{f' per rank (x {world})' if world > 1 else ''} "
                        "(torchtune drops the last partial batch)", location=doc.source.value(("batch_size",)),
                        hint="check --dataset-size and batch_size")
    horizon = epochs * batches                      # num_training_steps
    run = min(horizon, num_steps)                   # batches before the num_steps stop
    total = run * ppo
    spec_data: dict[str, Any] = {
        "title": f"torchtune GRPO {sched_type.rpartition(':')[2]}: {doc.path.name}",
        "steps": total,
        "steps_per_epoch": batches * ppo,
        "optimizer": optimizer,
        "scheduler": {"type": sched_type, **kwargs, "num_training_steps": horizon},
    }
    spec = spec_from_data(spec_data, _source_map(doc, kwargs), file=doc.path)
    ranks = f" x {world}" if world > 1 else ""
    stop = f"stops at num_steps {num_steps} batches" if num_steps < horizon else f"num_steps {num_steps} not reached"
    text = (f"{n} prompts / ({batch}{ranks}) = {batches} batches per epoch (drop_last) x {epochs} epochs = {horizon} "
            f"(num_training_steps); the run {stop}; x ppo_epochs {ppo} = {total} updates")
    warm = _warmup(kwargs)
    text += f"; num_warmup_steps {warm}" if warm is not None else ""
    told = (Told("dataset size", n, "--dataset-size"), told_world,
            Told("batch size", batch, "batch_size"), Told("epochs", epochs, "epochs"),
            Told("num steps", num_steps, "num_steps"), Told("ppo epochs", ppo, "ppo_epochs"))
    budget = Budget(text, total, batches * ppo, warmup=warm, told=told,
                    decided_by="num_steps" if num_steps < horizon else "epochs",
                    where=doc.source.value(("num_steps" if num_steps < horizon else "epochs",)),
                    world="the GRPO recipe splits the prompts over its ranks, which sets the scheduler's horizon")
    return Source(KIND, spec, budget, tuple(notes))


def _ppo(doc: Document, data: dict, sched_type: str, kwargs: dict, optimizer: dict, notes: list[str]) -> Source:
    """torchtune's PPO recipe: ``num_steps // batch_size`` batches, each ``ppo_epochs x (batch_size //
    ppo_batch_size)`` updates; the horizon is the run's updates, whatever the dataset (see the docstring)."""
    from ..spec import spec_from_data

    batch, ppo_batch = _number(doc, data, "batch_size"), _number(doc, data, "ppo_batch_size")
    ppo, num_steps = _number(doc, data, "ppo_epochs"), _number(doc, data, "num_steps")
    if batch % ppo_batch:
        raise SpecError(f"batch_size {batch} is not a multiple of ppo_batch_size {ppo_batch} (the PPO recipe "
                        "refuses it)", location=doc.source.value(("ppo_batch_size",)),
                        hint="make ppo_batch_size divide batch_size")
    batches = num_steps // batch                    # self._total_steps
    if batches == 0:
        raise SpecError(f"num_steps {num_steps} is less than batch_size {batch}: no batch to train on (the PPO "
                        "recipe refuses it)", location=doc.source.value(("num_steps",)),
                        hint="num_steps counts samples: make it at least batch_size")
    per_batch = ppo * (batch // ppo_batch)
    total = batches * per_batch                     # lr_steps, the scheduler's num_training_steps
    notes.append(assumption("read as torchtune's PPO recipe at bd2a0fc (main), which steps lr_scheduler after "
                            "every PPO update; torchtune 0.6.1's recipe builds no scheduler (a constant lr)",
                            settle="--set '~lr_scheduler' for torchtune 0.6.1's constant lr"))
    spec_data: dict[str, Any] = {
        "title": f"torchtune PPO {sched_type.rpartition(':')[2]}: {doc.path.name}",
        "steps": total,
        "optimizer": optimizer,
        "scheduler": {"type": sched_type, **kwargs, "num_training_steps": total},
    }
    spec = spec_from_data(spec_data, _source_map(doc, kwargs), file=doc.path)
    text = (f"num_steps {num_steps} // batch_size {batch} = {batches} batches x ppo_epochs {ppo} x (batch_size // "
            f"ppo_batch_size {ppo_batch} = {batch // ppo_batch}) = {total} updates (num_training_steps)")
    warm = _warmup(kwargs)
    text += f"; num_warmup_steps {warm}" if warm is not None else ""
    told = (Told("batch size", batch, "batch_size"), Told("num steps", num_steps, "num_steps"),
            Told("ppo epochs", ppo, "ppo_epochs"), Told("ppo batch size", ppo_batch, "ppo_batch_size"))
    budget = Budget(text, total, None, warmup=warm, told=told, decided_by="num_steps",
                    where=doc.source.value(("num_steps",)))
    return Source(KIND, spec, budget, tuple(notes))
