"""timm's ``args.yaml`` (the file timm's ``train.py`` writes into every run folder) as an lrplot spec.

The schedule is built by timm's own code: the spec names ``timm.scheduler:create_scheduler_v2``
with the keyword arguments timm's own ``scheduler_kwargs(args, decreasing_metric=...)`` makes of the
file, plus ``updates_per_epoch``, exactly as train.py calls it. The number of epochs is what that
factory returns (cooldown and, for cycle schedules, every cycle added). The engine then drives the
scheduler as train.py does (see :mod:`lrplot.engine.protocols`): ``step_update(num_updates)`` after
every optimizer update and ``step(epoch + 1, metric)`` after every epoch.

What lrplot reproduces itself, read from timm's ``train.py`` (huggingface/pytorch-image-models at
commit aa4b5850, version 1.0.29.dev0 of 2026-08-08, the newest train.py available here; timm
1.0.31's wheel does not ship train.py, and its ``timm/scheduler`` is what runs):

* argparse defaults for keys a hand-written file leaves out (:data:`TRAIN_DEFAULTS`);
* the lr from ``lr_base`` when ``lr`` is not set (train.py ``if not args.lr:``)::

      global_batch_size = batch_size * world_size * grad_accum_steps
      batch_ratio = global_batch_size / lr_base_size
      lr_base_scale = lr_base_scale or ('sqrt' if 'ada' or 'lamb' in opt.lower() else 'linear')
      lr = lr_base * (batch_ratio ** 0.5 if lr_base_scale == 'sqrt' else batch_ratio)

* the updates per epoch: ``updates_per_epoch = (len(loader_train) + grad_accum_steps - 1) //
  grad_accum_steps``, where timm's ``create_loader`` (timm/data/loader.py, 1.0.31) builds the
  training loader with ``drop_last=True`` over torch's ``DistributedSampler`` (which pads the dataset
  to a multiple of the world size) when distributed: ``len(loader_train) = ceil(N / world) // batch``;
* the metric direction: ``eval_metric = args.eval_metric if val_split else 'loss'``,
  ``decreasing_metric = eval_metric == 'loss'``.
"""

from __future__ import annotations

import math
from argparse import Namespace
from typing import TYPE_CHECKING, Any

from ..errors import SpecError

from .protocol import Budget, Source, Told, assumption, budget_number, needs, world_size

if TYPE_CHECKING:  # pragma: no cover
    from ..imports import Allowance
    from ..yamlio import SourceMap
    from .protocol import BudgetInputs, Document

KIND = "timm"
LOOKS_FOR = "a timm args.yaml: keys such as sched, epochs, warmup_epochs, lr_base"
FOLLOWS = "timm train.py (aa4b5850, 1.0.29.dev0)"
DOCS = "docs/frameworks/timm.rst"  # README's table links the kind to it
FACTORY = "timm.scheduler:create_scheduler_v2"

# train.py's argparse defaults for every key lrplot reads (timm train.py aa4b5850).
TRAIN_DEFAULTS: dict[str, Any] = {
    "sched": "cosine", "sched_on_updates": False, "lr": None, "lr_base": 0.1, "lr_base_size": 256,
    "lr_base_scale": "", "lr_noise": None, "lr_noise_pct": 0.67, "lr_noise_std": 1.0, "lr_cycle_mul": 1.0,
    "lr_cycle_decay": 0.5, "lr_cycle_limit": 1, "lr_k_decay": 1.0, "warmup_lr": 1e-5, "min_lr": 0,
    "epochs": 300, "epoch_repeats": 0.0, "decay_milestones": [90, 180, 270], "decay_epochs": 90,
    "warmup_epochs": 5, "warmup_prefix": False, "cooldown_epochs": 0, "patience_epochs": 10,
    "decay_rate": 0.1, "batch_size": 128, "grad_accum_steps": 1, "opt": "sgd", "momentum": 0.9,
    "weight_decay": 2e-5, "seed": 42, "val_split": "validation", "eval_metric": "top1", "val_interval": 1,
    "aug_repeats": 0,
}
# Which key of args.yaml each argument of create_scheduler_v2 comes from (timm's scheduler_kwargs).
FROM_ARG = {
    "sched": "sched", "num_epochs": "epochs", "decay_epochs": "decay_epochs",
    "decay_milestones": "decay_milestones", "warmup_epochs": "warmup_epochs",
    "cooldown_epochs": "cooldown_epochs", "patience_epochs": "patience_epochs", "decay_rate": "decay_rate",
    "min_lr": "min_lr", "warmup_lr": "warmup_lr", "warmup_prefix": "warmup_prefix", "noise": "lr_noise",
    "noise_pct": "lr_noise_pct", "noise_std": "lr_noise_std", "noise_seed": "seed",
    "cycle_mul": "lr_cycle_mul", "cycle_decay": "lr_cycle_decay", "cycle_limit": "lr_cycle_limit",
    "k_decay": "lr_k_decay", "decay_fn": "lr_decay_fn", "stable_timescale": "lr_stable_timescale",
    "plateau_mode": "eval_metric", "step_on_epochs": "sched_on_updates", "updates_per_epoch": "batch_size",
}
# timm optimizer names -> the torch optimizer lrplot builds (the schedule never depends on it; the
# recorded fields do: momentum for SGD, betas for the Adam family).
OPTIMIZERS = {"sgd": "SGD", "nesterov": "SGD", "momentum": "SGD", "adam": "Adam", "adamw": "AdamW",
              "nadam": "NAdam", "radam": "RAdam", "rmsprop": "RMSprop", "adagrad": "Adagrad",
              "adadelta": "Adadelta", "adamax": "Adamax"}
KEYS = ("sched", "epochs", "warmup_epochs", "lr_base", "decay_epochs", "cooldown_epochs", "sched_on_updates")


def detect(doc: Document) -> bool:
    data = doc.data
    return (isinstance(data, dict) and "sched" in data and "scheduler" not in data
            and "schedules" not in data and sum(k in data for k in KEYS) >= 2)


def _number(doc: Document, args: dict, key: str, kind: type = float, minimum: float | None = None,
            positive: bool = False) -> Any:
    return kind(budget_number(args[key], key, doc.source.value((key,)), integer=kind is int, low=minimum,
                              positive=positive, hint=f"fix it, or --set {key}=N"))


def _source_map(doc: Document, kwargs: dict) -> SourceMap:
    """Where each key of the generated spec comes from in args.yaml."""
    from ..yamlio import SourceMap

    src = doc.source
    out = SourceMap(src.path)
    out.values[()] = src.value(())
    present = lambda key: (key,) in src.values  # noqa: E731
    sched_at = src.value(("sched",))
    out.values[("scheduler",)] = sched_at
    out.values[("scheduler", "type")] = sched_at
    for arg in kwargs:
        key = FROM_ARG.get(arg, arg)
        out.values[("scheduler", arg)] = src.value((key,)) if present(key) else sched_at
        out.keys[("scheduler", arg)] = src.key((key,)) if present(key) else sched_at
    for spec_key, key in (("steps", "epochs"), ("steps_per_epoch", "batch_size")):
        out.values[(spec_key,)] = src.value((key,)) if present(key) else sched_at
    out.values[("optimizer",)] = src.value(("opt",)) if present("opt") else sched_at
    lr_key = "lr" if present("lr") else "lr_base"
    out.values[("optimizer", "lr")] = src.value((lr_key,)) if present(lr_key) else sched_at
    for key in ("metric",):
        if present(key):
            out.values[(key,)] = src.value((key,))
            out.keys[(key,)] = src.key((key,))
            for p, loc in src.values.items():
                if p[:1] == (key,):
                    out.values[p] = loc
            for p, loc in src.text_start.items():
                if p[:1] == (key,):
                    out.text_start[p] = loc
    return out


def lr_from_base(args: dict, world: int) -> tuple[float, str]:
    """train.py's ``if not args.lr:`` block (timm train.py aa4b5850), with the text that explains it."""
    batch, accum = args["batch_size"], args["grad_accum_steps"]
    global_batch_size = batch * world * accum
    batch_ratio = global_batch_size / args["lr_base_size"]
    scale = args["lr_base_scale"]
    if not scale:
        on = str(args["opt"]).lower()
        scale = "sqrt" if any(o in on for o in ("ada", "lamb")) else "linear"
    if scale == "sqrt":
        batch_ratio = batch_ratio ** 0.5
    lr = args["lr_base"] * batch_ratio
    return lr, (f"lr {lr:g} = lr_base {args['lr_base']:g} x ({batch} x {world} x {accum} / "
                f"{args['lr_base_size']}){' ** 0.5' if scale == 'sqrt' else ''} ({scale} scaling)")


def _optimizer(doc: Document, args: dict, lr: float) -> tuple[dict, str | None]:
    name = str(args["opt"]).lower()
    bare = name.split("_")[-1]  # lookahead_adamw, fused_...
    torch_name = OPTIMIZERS.get(bare)
    opt: dict[str, Any] = {"type": torch_name or "SGD", "lr": lr}
    note = None
    if torch_name is None:
        note = (f"opt '{args['opt']}' is an optimizer of timm's own; lrplot steps the schedule on a torch "
                "SGD (timm's schedulers do not depend on the optimizer)")
    if opt["type"] == "SGD":
        opt["momentum"] = _number(doc, args, "momentum", minimum=0)
        opt["nesterov"] = bare in ("sgd", "nesterov") and opt["momentum"] > 0
    opt["weight_decay"] = _number(doc, args, "weight_decay", minimum=0)
    return opt, note


def read(doc: Document, inputs: BudgetInputs, *, allow_import: Allowance) -> Source:
    from ..spec import spec_from_data

    data = doc.data
    if not isinstance(data, dict):
        raise SpecError("a timm args.yaml must be a mapping of train.py's arguments",
                        location=doc.source.value(()), hint="e.g. sched: cosine, epochs: 300, lr_base: 0.1")
    args = {**TRAIN_DEFAULTS, **data}
    notes: list[str] = []
    world, told_world = world_size(inputs)
    if "batch_size" not in data and inputs.batch_size is not None:
        args["batch_size"] = inputs.batch_size
    elif inputs.batch_size is not None and inputs.batch_size != data["batch_size"]:
        notes.append(f"--batch-size {inputs.batch_size} ignored: the file says batch_size {data['batch_size']} "
                     "(--set batch_size=N changes it)")
    batch = _number(doc, args, "batch_size", int, 1)
    accum = max(1, _number(doc, args, "grad_accum_steps", int))  # train.py: max(1, grad_accum_steps)
    args["grad_accum_steps"] = accum
    if args.get("epoch_repeats"):
        raise SpecError("epoch_repeats changes how many batches an epoch has, which lrplot does not model",
                        location=doc.source.value(("epoch_repeats",)),
                        hint="give the repeated size as --dataset-size and --set epoch_repeats=0")
    if args.get("aug_repeats") and world > 1:
        raise SpecError("aug_repeats: timm's RepeatAugSampler sets the epoch length, which lrplot does not model",
                        location=doc.source.value(("aug_repeats",)),
                        hint="--set aug_repeats=0 to see the schedule with torch's DistributedSampler")
    for key in ("train_img_sizes", "train_batch_sizes"):
        if data.get(key):
            raise SpecError(f"{key}: scheduled batch sizes set the epoch length, which lrplot does not model",
                            location=doc.source.value((key,)), hint=f"--set {key}=null")
    for key in ("epochs", "warmup_epochs", "cooldown_epochs", "lr_cycle_limit"):
        args[key] = _number(doc, args, key, int, 0)
    # train.py:1085-1095: start_epoch, else the epoch of the 'resume' checkpoint; the scheduler is set there and the
    # loop runs the remaining epochs, each lr as in the whole schedule (timm's schedulers are functions of the count)
    start = _number(doc, data, "start_epoch", int, 0) if data.get("start_epoch") is not None else None
    if start:
        notes.append(f"start_epoch {start}: train.py starts at epoch {start} and sets the scheduler there (a resumed "
                     "run); it trains the rest of the schedule drawn here from epoch 0")
    elif start is None and data.get("resume"):  # the epoch is in the checkpoint, which lrplot does not read
        notes.append(assumption("resume: train.py starts at the epoch the checkpoint holds, which lrplot does not "
                                "read: drawn from epoch 0, the run trains only the rest of it", settle="start_epoch"))
    if inputs.dataset_size is None:
        raise needs(doc, "the training-set size (timm's updates per epoch are its data loader's length)",
                    "--dataset-size N", ("sched",))
    n = inputs.dataset_size
    per_process = math.ceil(n / world) if world > 1 else n      # DistributedSampler pads to the world size
    batches = per_process // batch                               # create_loader: drop_last=True for training
    if batches == 0:
        raise SpecError(f"{n} examples give no full batch of {batch} per device (timm drops the last partial "
                        "batch)", location=doc.source.value(("batch_size",)), hint="check --dataset-size and batch_size")
    updates_per_epoch = (batches + accum - 1) // accum           # train.py
    if args["lr"]:
        lr = _number(doc, args, "lr", minimum=0)
        lr_text = f"lr {lr:g}"
    else:
        _number(doc, args, "lr_base", minimum=0)  # checked; train.py computes with the values as given
        _number(doc, args, "lr_base_size", positive=True)
        lr, lr_text = lr_from_base(args, world)
    if args.get("val_interval", 1) != 1 and args["sched"] == "plateau":
        notes.append(assumption(f"val_interval {args['val_interval']}: train.py feeds the plateau scheduler no "
                                "metric on epochs it does not validate; lrplot feeds the metric every epoch",
                                settle="val_interval"))

    import torch
    from timm.scheduler import create_scheduler_v2, scheduler_kwargs

    eval_metric = args["eval_metric"] if args["val_split"] else "loss"   # train.py
    kwargs = scheduler_kwargs(Namespace(**args), decreasing_metric=eval_metric == "loss")
    kwargs = {k: (list(v) if isinstance(v, tuple) else v) for k, v in kwargs.items()}
    kwargs["updates_per_epoch"] = updates_per_epoch
    if kwargs["sched"] == "none":
        raise SpecError("sched: none: train.py runs no scheduler, the lr stays at "
                        f"{lr:g}", location=doc.source.value(("sched",)), hint="nothing to draw")
    from ..tricks import fast_optimizers

    with fast_optimizers():  # the same optimizer, without the first one's import of torch._dynamo (1-3 s)
        probe = torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=lr)
    try:
        import warnings

        with warnings.catch_warnings():
            warnings.simplefilter("ignore", FutureWarning)  # PlateauLRScheduler's deprecation
            _, num_epochs = create_scheduler_v2(probe, **kwargs)
    except (ValueError, AssertionError, TypeError) as exc:
        key = FROM_ARG.get("sched")
        raise SpecError(f"timm's create_scheduler_v2 rejected the arguments: {exc}",
                        location=doc.source.value((key,)), hint="check the schedule's arguments") from None
    steps = num_epochs * updates_per_epoch
    optimizer, note = _optimizer(doc, args, lr)
    if note:
        notes.append(note)
    spec_data: dict[str, Any] = {
        "title": f"timm {kwargs['sched']}: {doc.path.parent.name + '/' if doc.path.parent.name else ''}{doc.path.name}",
        "steps": steps,
        "steps_per_epoch": updates_per_epoch,
        "optimizer": optimizer,
        "scheduler": {"type": FACTORY, **kwargs},
    }
    if "metric" in data:
        spec_data["metric"] = data["metric"]
    spec = spec_from_data(spec_data, _source_map(doc, kwargs), file=doc.path)
    devices = f" x {world}" if world > 1 else ""
    cooldown = kwargs["cooldown_epochs"]
    extra = num_epochs - args["epochs"]
    epochs_text = f"{num_epochs} epochs" + (f" ({args['epochs']} + {extra} from the factory: cooldown "
                                            f"{cooldown}{', warmup prefix' if args['warmup_prefix'] else ''}"
                                            f"{', cycles' if args['lr_cycle_limit'] > 1 else ''})" if extra else "")
    text = (f"{n} examples / ({batch}{devices}) = {batches} batches per epoch (drop_last) / accumulation {accum} "
            f"= {updates_per_epoch} updates x {epochs_text} = {steps} updates; {lr_text}")
    told = (Told("dataset size", n, "--dataset-size"), told_world,
            Told("batch size", batch, "batch_size" if "batch_size" in data else "--batch-size" if inputs.batch_size
                 else "default"), Told("accumulation", accum, "grad_accum_steps"),
            Told("epochs", args["epochs"], "epochs" if "epochs" in data else "default"))
    sharded = ("torch's DistributedSampler gives each process ceil(N / world size) examples (train.py)"
               + ("" if args["lr"] else ", and lr_base is scaled by the global batch, batch_size x world size"))
    budget = Budget(text, steps, updates_per_epoch, told=told, decided_by="epochs",
                    where=doc.source.value(("epochs",)) if "epochs" in data else doc.source.value(("sched",)),
                    world=sharded)
    return Source(KIND, spec, budget, tuple(notes))
