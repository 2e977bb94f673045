"""litgpt finetune configs (``litgpt finetune_lora --config x.yaml``, config_hub/finetune/*/*.yaml) -> Spec.

litgpt builds its finetune schedule in code from the ``train:`` section; lrplot builds the same torch
classes with the arguments that code passes, and the engine steps them once per optimizer update, as
``fit`` does. Read from litgpt 0.5.13 (the same lines in full.py, lora.py, adapter.py, adapter_v2.py and
lora_legacy.py; cited from ``litgpt/finetune/full.py``):

* ``get_lr_scheduler`` (:415-419): ``SequentialLR([LambdaLR(lambda step: step / warmup_steps),
  CosineAnnealingLR(T_max=max_steps - warmup_steps)], milestones=[warmup_steps])`` with
  ``warmup_steps=train.lr_warmup_steps`` and ``max_steps=lr_max_steps`` (:162);
* ``lr_max_steps = min(train.epochs * steps_per_epoch, train.max_steps or inf)`` (:145), where
  ``steps_per_epoch = len(train_dataloader) // gradient_accumulation_iters`` (:144);
* ``fit`` (:272-293): iterations over a ``CycleIterator`` (``litgpt/utils.py`` :482-507) until its
  epoch reaches ``train.epochs`` (so ``epochs x len(train_dataloader)`` iterations), an optimizer
  update and ``scheduler.step()`` every ``gradient_accumulation_iters``-th iteration (counted across
  epochs), at most ``train.max_steps`` updates. The run can thus make more updates than
  ``lr_max_steps``: the cosine then rises again, as it does in the real run;
* ``gradient_accumulation_iters = (global_batch_size // (devices x num_nodes)) // micro_batch_size``
  (``litgpt/args.py`` :56-66); the dataloader (``batch_size=micro_batch_size``, no ``drop_last``) is
  sharded by ``fabric.setup_dataloaders`` with torch's ``DistributedSampler`` (padded to the world size);
* ``train.min_lr`` is not used by the finetune schedule (the cosine ends at 0), and
  ``lr_warmup_fraction`` / ``max_tokens`` are refused by ``validate_args`` (:443-458);
* keys the file leaves out take ``setup``'s default ``TrainArgs(...)`` (:52-60) and ``optimizer="AdamW"``
  (:63), a torch optimizer with its own default lr (``instantiate_torch_optimizer``, utils.py :636+).

litgpt's ``pretrain.py`` sets the lr itself at every micro-batch iteration (``get_lr``,
``litgpt/pretrain.py`` :463-474) over ``max_tokens``: lrplot does not read pretrain configs, and says so.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ..errors import Location, SpecError, UsageError
from .protocol import Budget, Note, Source, Told, budget_number, needs

if TYPE_CHECKING:  # pragma: no cover
    from ..imports import Allowance
    from .protocol import BudgetInputs, Document

KIND = "litgpt"
LITGPT_READ = "0.5.13"
FOLLOWS = f"litgpt {LITGPT_READ} (finetune get_lr_scheduler and fit's loop)"
DOCS = "docs/frameworks/litgpt.rst"  # README's table links the kind to it
LOOKS_FOR = "a litgpt config: a train: section with global_batch_size, micro_batch_size, lr_warmup_steps"

# TrainArgs' fields (litgpt/args.py :8-37); detection needs two of them under train:
TRAIN_FIELDS = ("save_interval", "log_interval", "global_batch_size", "micro_batch_size", "lr_warmup_steps",
                "lr_warmup_fraction", "epochs", "max_tokens", "max_steps", "max_time", "max_seq_length",
                "tie_embeddings", "max_norm", "min_lr")
# finetune setup()'s default TrainArgs (litgpt/finetune/full.py :52-60, the same in every finetune script)
DEFAULTS = {"global_batch_size": 16, "micro_batch_size": 1, "lr_warmup_steps": 100, "epochs": 5,
            "max_steps": None, "lr_warmup_fraction": None, "max_tokens": None}


def detect(doc: Document) -> bool:
    data = doc.data
    if not isinstance(data, dict) or not isinstance(data.get("train"), dict):
        return False
    train = data["train"]
    return sum(k in train for k in TRAIN_FIELDS) >= 2 and any(
        k in train for k in ("global_batch_size", "micro_batch_size", "lr_warmup_steps", "lr_warmup_fraction"))


class _Train:
    def __init__(self, doc: Document):
        self.doc, self.data = doc, doc.data["train"]

    def where(self, key: str) -> Location:
        return self.doc.source.value(("train", key)) if key in self.data else self.doc.source.key(("train",))

    def get(self, key: str) -> Any:
        return self.data[key] if key in self.data else DEFAULTS[key]

    def int(self, key: str) -> int:
        return budget_number(self.get(key), f"train.{key}", self.where(key), integer=True, positive=True)


def _world(doc: Document, inputs: BudgetInputs) -> tuple[int, list[Told]]:
    data = doc.data
    devices, nodes = data.get("devices", 1), data.get("num_nodes", 1)
    nodes = budget_number(nodes, "num_nodes", doc.source.value(("num_nodes",)) if "num_nodes" in data else None,
                          integer=True, positive=True)
    if devices in ("auto", -1, "-1"):
        if inputs.devices is None:
            raise SpecError(f"devices: {devices} means every device of the machine, which lrplot cannot see",
                            hint="add --devices N (the number of processes, devices x num_nodes)",
                            location=doc.source.value(("devices",)))
        return inputs.devices, [Told("devices", inputs.devices, "--devices")]
    where = doc.source.value(("devices",)) if "devices" in data else None
    devices = budget_number(devices, "devices", where, integer=True, positive=True)
    if inputs.devices is not None and inputs.devices != devices * nodes:
        raise UsageError(f"--devices {inputs.devices}: the config holds devices: {devices} x num_nodes: {nodes} "
                         f"({where or doc.path})", hint=f"change it with --set devices={inputs.devices}")
    return devices * nodes, [Told("devices", devices * nodes, "devices x num_nodes")]


def budget(doc: Document, train: _Train, inputs: BudgetInputs) -> tuple[Budget, int, list[str]]:
    """(the run's updates, the lr_max_steps the cosine is built with, notes)."""
    notes = [Note(f"train.{k} not set: litgpt finetune's default {DEFAULTS[k]}")
             for k in ("global_batch_size", "micro_batch_size", "lr_warmup_steps", "epochs") if k not in train.data]
    world, told = _world(doc, inputs)
    micro, global_batch = train.int("micro_batch_size"), train.int("global_batch_size")
    accumulation = (global_batch // world) // micro
    if accumulation < 1:
        raise SpecError(f"train.global_batch_size {global_batch} over {world} devices is below micro_batch_size "
                        f"{micro}: litgpt's gradient_accumulation_iters is 0 (it asserts > 0)",
                        location=train.where("global_batch_size"), hint="raise global_batch_size")
    epochs = train.int("epochs")
    max_steps = train.get("max_steps")
    if max_steps is not None:
        max_steps = train.int("max_steps")
    data = doc.data.get("data")
    name = data.get("class_path") if isinstance(data, dict) else data
    if inputs.dataset_size is None:
        what = f"the number of training examples of {name}" if isinstance(name, str) else "the training-set size"
        raise needs(doc, f"{what} (after its validation split): litgpt sizes the cosine from len(train_dataloader)",
                    "--dataset-size N", ("train", "epochs") if "epochs" in train.data else ())
    n = inputs.dataset_size
    per_rank = -(-n // world)  # DistributedSampler pads to a multiple of the world size
    batches = -(-per_rank // micro)
    steps_per_epoch = batches // accumulation
    updates = epochs * batches // accumulation
    lr_max_steps = epochs * steps_per_epoch
    if max_steps is not None:
        updates, lr_max_steps = min(updates, max_steps), min(lr_max_steps, max_steps)
    shard = f"{n} examples" if world == 1 else f"{n} examples over {world} devices = {per_rank} per device"
    text = (f"{shard} / micro_batch_size {micro} = {batches} batches per epoch; accumulation {global_batch} // "
            f"{world} // {micro} = {accumulation}; {epochs} epoch{'s' if epochs != 1 else ''} x {batches} // "
            f"{accumulation} = {epochs * batches // accumulation} updates"
            + (f", max_steps {max_steps}" if max_steps is not None else "")
            + f"; cosine over lr_max_steps = {lr_max_steps}")
    if updates < 1:
        raise SpecError(f"{n} examples make no optimizer update ({text})", location=train.where("global_batch_size"),
                        hint="check --dataset-size and the batch sizes")
    told += [Told("dataset size", n, "--dataset-size"), Told("batch size", micro, "train.micro_batch_size"),
             Told("accumulation", accumulation, "train.global_batch_size")]
    decided = "max_steps" if max_steps is not None and updates == max_steps else "epochs"
    made = Budget(text, updates, steps_per_epoch or None, told=tuple(told), decided_by=f"train.{decided}",
                  where=train.where(decided))
    return made, lr_max_steps, notes


def _optimizer(doc: Document, notes: list[str]) -> tuple[dict[str, Any], Location | None]:
    value = doc.data.get("optimizer", "AdamW")
    src = doc.source
    if isinstance(value, str):
        path, args, where = value, {}, src.value(("optimizer",)) if "optimizer" in doc.data else None
    elif isinstance(value, dict) and isinstance(value.get("class_path"), str):
        path, args = value["class_path"], value.get("init_args") or {}
        where = src.value(("optimizer", "init_args", "lr")) if "lr" in args else src.value(("optimizer",))
        if not isinstance(args, dict):
            raise SpecError("optimizer.init_args must be a mapping", location=src.value(("optimizer", "init_args")))
    else:
        raise SpecError("optimizer must be a class name (AdamW) or {class_path, init_args}",
                        location=src.value(("optimizer",)))
    module, _, name = path.rpartition(".")
    if module in ("", "torch.optim"):
        return {"type": name, **args}, where
    out: dict[str, Any] = {"type": "AdamW"}
    if "lr" in args:
        out["lr"] = args["lr"]
    notes.append(f"optimizer {path} is drawn on torch AdamW with its lr: the schedule scales the lr the same way")
    return out, where


def _advice(updates: int, lr_max_steps: int, warmup: int) -> dict[tuple, str]:
    """A finding's advice in litgpt's own keys: litgpt computes the cosine's T_max itself (fit's
    ``lr_max_steps``, finetune/full.py:145), so the spec's T_max and steps are no keys of the config."""
    own = (f"litgpt sets T_max itself (lr_max_steps {lr_max_steps} - train.lr_warmup_steps {warmup})")
    if updates > lr_max_steps:
        own += (f": lr_max_steps counts train.epochs x (batches per epoch // accumulation), fewer than the run's "
                f"{updates} updates; set train.max_steps: {lr_max_steps} to end the run where the cosine ends")
    else:
        own += "; the run's length is train.epochs or train.max_steps"
    return {("scheduler", "schedulers", 1, "T_max"): own, ("steps",): own}


def read(doc: Document, inputs: BudgetInputs, *, allow_import: Allowance) -> Source:
    from ..spec import spec_from_data
    from ..yamlio import SourceMap

    if not isinstance(doc.data, dict) or not isinstance(doc.data.get("train"), dict):
        raise SpecError("a litgpt config needs a train: mapping", location=Location(str(doc.path)))
    train = _Train(doc)
    for key in ("max_tokens", "lr_warmup_fraction"):
        if train.get(key) is not None:
            pretrain = key == "max_tokens"
            raise SpecError(
                f"train.{key} is set: " + ("a litgpt pretrain config; pretrain.py sets the lr at every iteration "
                                          "with its own get_lr (litgpt/pretrain.py:463), which lrplot does not read"
                                          if pretrain else "litgpt's finetune scripts refuse it (validate_args) and "
                                          "pretrain.py computes its own lr, which lrplot does not read"),
                location=train.where(key),
                hint="describe the schedule as an lrplot spec" if pretrain else "use train.lr_warmup_steps")
    made, lr_max_steps, notes = budget(doc, train, inputs)
    warmup = train.get("lr_warmup_steps")
    if warmup is None or warmup == 0:
        raise SpecError(f"train.lr_warmup_steps is {warmup}: litgpt's get_lr_scheduler builds LambdaLR(lambda step: "
                        f"step / {warmup}), which fails when it is built", location=train.where("lr_warmup_steps"),
                        hint="set train.lr_warmup_steps to a whole number >= 1")
    warmup = train.int("lr_warmup_steps")
    if lr_max_steps - warmup < 1 and made.updates > warmup:
        raise SpecError(f"train.lr_warmup_steps {warmup} is not below the cosine's length lr_max_steps "
                        f"{lr_max_steps} ({made.text}): litgpt builds CosineAnnealingLR(T_max={lr_max_steps - warmup}), "
                        + (f"and update {warmup + 1} fails in it (ZeroDivisionError)" if lr_max_steps == warmup else
                           f"which updates {warmup + 1} on would follow; lrplot draws no cosine of negative length"),
                        location=train.where("lr_warmup_steps"),
                        hint="lower lr_warmup_steps or train longer")
    if lr_max_steps - warmup < 1:
        # torch builds a cosine with T_max <= 0 without complaint and SequentialLR never reaches it: the
        # run is the warmup's first updates (litgpt/finetune/full.py get_lr_scheduler; checked by the tests).
        notes.append(Note(f"train.lr_warmup_steps {warmup} is not below lr_max_steps {lr_max_steps}: the run's "
                          f"{made.updates} updates end inside the warmup, at {made.updates - 1}/{warmup} of the lr "
                          f"(the cosine, CosineAnnealingLR(T_max={lr_max_steps - warmup}), never starts)"))
    if "min_lr" in train.data:
        notes.append(Note(f"train.min_lr {train.data['min_lr']} is not used by litgpt's finetune schedule "
                          "(CosineAnnealingLR without eta_min: the cosine ends at 0)"))
    optimizer, lr_where = _optimizer(doc, notes)
    data = {
        "steps": made.updates,
        "optimizer": optimizer,
        "scheduler": {"type": "SequentialLR", "milestones": [warmup], "schedulers": [
            {"type": "LambdaLR", "lr_lambda": f"lambda step: step / {warmup}"},
            {"type": "CosineAnnealingLR", "T_max": lr_max_steps - warmup}]},
    }
    src = SourceMap(doc.source.path)
    for path, where in ((("optimizer",), doc.source.value(("optimizer",)) if "optimizer" in doc.data else None),
                        (("optimizer", "lr"), lr_where), (("steps",), made.where),
                        (("scheduler",), train.where("lr_warmup_steps"))):
        if where is not None:
            src.values[path] = where
    src.advice.update(_advice(made.updates, lr_max_steps, warmup))
    spec = spec_from_data(data, src, file=doc.path)
    from dataclasses import replace

    text = f"{made.text}; warmup {warmup} steps"
    return Source(KIND, spec, replace(made, text=text, warmup=warmup), tuple(notes))
