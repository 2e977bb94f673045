"""timm args.yaml: lrplot's curve equals timm's REAL scheduler driven by a plain loop written from timm's
train.py, ``==`` at every update.

timm's scheduler code runs for real through the ``real_timm`` fixture (a stub parent package, see
tests/conftest.py). The reference loop below is transcribed from timm's train.py
(huggingface/pytorch-image-models aa4b5850, 1.0.29.dev0) -- ``main()`` and ``train_one_epoch()``:

    if not args.lr:
        global_batch_size = batch_size_reference * args.world_size * args.grad_accum_steps
        batch_ratio = global_batch_size / args.lr_base_size
        if not args.lr_base_scale:
            on = args.opt.lower()
            args.lr_base_scale = 'sqrt' if any([o in on for o in ('ada', 'lamb')]) else 'linear'
        if args.lr_base_scale == 'sqrt':
            batch_ratio = batch_ratio ** 0.5
        args.lr = args.lr_base * batch_ratio
    eval_metric = args.eval_metric if loader_eval is not None else 'loss'
    decreasing_metric = eval_metric == 'loss'
    updates_per_epoch = (len(loader_train) + args.grad_accum_steps - 1) // args.grad_accum_steps
    lr_scheduler, num_epochs = create_scheduler_v2(
        optimizer, **scheduler_kwargs(args, decreasing_metric=decreasing_metric),
        updates_per_epoch=updates_per_epoch)
    for epoch in range(start_epoch, num_epochs):
        # train_one_epoch: num_updates = epoch * updates_per_epoch; after each optimizer update:
        #     num_updates += 1; lr_scheduler.step_update(num_updates=num_updates, metric=losses_m.avg)
        lr_scheduler.step(epoch + 1, latest_metric)

The loader length comes from a real torch DataLoader built as timm's create_loader builds the training
loader (``drop_last=True``; torch's DistributedSampler when distributed).
"""

from __future__ import annotations

from argparse import Namespace

import pytest
import torch
import yaml

from lrplot.engine import simulate
from lrplot.errors import SpecError
from lrplot.sources import BudgetInputs, load_input

from tests.helpers.paths import CONFIGS

BASE = dict(sched="cosine", epochs=8, warmup_epochs=2, warmup_lr=1e-4, min_lr=1e-5, lr=None, lr_base=0.1,
            lr_base_size=256, lr_base_scale="", batch_size=32, grad_accum_steps=1, opt="sgd", momentum=0.9,
            weight_decay=2e-5, cooldown_epochs=0, seed=42, val_split="validation", eval_metric="top1")

CASES = {
    "cosine, warmup inside, lr from lr_base, 2 devices, accumulation 3": (
        dict(grad_accum_steps=3, cooldown_epochs=2), 2),
    "cosine, warmup prefix, lr set, sqrt-scaled adamw unused": (
        dict(warmup_prefix=True, lr=0.003, opt="adamw"), 1),
    "cosine, lr_base sqrt scaling (adamw)": (dict(opt="adamw", lr_base=5e-4, lr_base_size=1024), 4),
    "step": (dict(sched="step", decay_epochs=2, decay_rate=0.5), 1),
    "multistep": (dict(sched="multistep", decay_milestones=[3, 6], decay_rate=0.3), 1),
    "poly": (dict(sched="poly", decay_rate=2.0, warmup_epochs=1), 1),
    "tanh": (dict(sched="tanh", cooldown_epochs=1), 1),
    "cosine cycles, k-decay": (
        dict(lr_cycle_limit=3, lr_cycle_mul=1.5, lr_cycle_decay=0.5, lr_k_decay=1.5, epochs=3, cooldown_epochs=1), 1),
    "cosine sched_on_updates": (dict(sched_on_updates=True, warmup_prefix=True, grad_accum_steps=2), 1),
    "cosine with noise": (dict(lr_noise=[0.3, 0.8], lr_noise_pct=0.5), 1),
    "wsd (timm 1.0.31), per update": (dict(sched="wsd", decay_epochs=0.3, sched_on_updates=True), 1),
    "constant after warmup": (dict(sched="constant"), 1),
    "plateau fed a metric": (dict(sched="plateau", patience_epochs=1, decay_rate=0.5, epochs=12,
                                  metric="min(epoch, 3)"), 1),
    "plateau, loss without a validation split": (dict(sched="plateau", patience_epochs=0, decay_rate=0.5,
                                                      val_split="", metric="1 + (epoch > 4)"), 1),
}
DATASET = 1000


def train_py_loop(scheduler_module, args: dict, dataset_size: int, world: int, metric) -> list[list[float]]:
    """timm's train.py, as quoted in the module docstring, on a real torch DataLoader."""
    args = Namespace(**args)
    data = torch.utils.data.TensorDataset(torch.zeros(dataset_size))
    sampler = (torch.utils.data.distributed.DistributedSampler(data, num_replicas=world, rank=0)
               if world > 1 else None)
    loader_train = torch.utils.data.DataLoader(data, batch_size=args.batch_size, sampler=sampler, drop_last=True)
    if not args.lr:
        global_batch_size = args.batch_size * world * args.grad_accum_steps
        batch_ratio = global_batch_size / args.lr_base_size
        if not args.lr_base_scale:
            on = args.opt.lower()
            args.lr_base_scale = 'sqrt' if any([o in on for o in ('ada', 'lamb')]) else 'linear'
        if args.lr_base_scale == 'sqrt':
            batch_ratio = batch_ratio ** 0.5
        args.lr = args.lr_base * batch_ratio
    params = [torch.nn.Parameter(torch.zeros(1))]
    optimizer = torch.optim.SGD(params, lr=args.lr, momentum=0.9)
    eval_metric = args.eval_metric if args.val_split else 'loss'
    decreasing_metric = eval_metric == 'loss'
    updates_per_epoch = (len(loader_train) + args.grad_accum_steps - 1) // args.grad_accum_steps
    lr_scheduler, num_epochs = scheduler_module.create_scheduler_v2(
        optimizer, **scheduler_module.scheduler_kwargs(args, decreasing_metric=decreasing_metric),
        updates_per_epoch=updates_per_epoch)
    lrs = []
    for epoch in range(num_epochs):
        num_updates = epoch * updates_per_epoch
        for _ in range(updates_per_epoch):
            lrs.append([g["lr"] for g in optimizer.param_groups])  # the lr this update uses
            optimizer.step()
            num_updates += 1
            lr_scheduler.step_update(num_updates=num_updates, metric=0.5)
        lr_scheduler.step(epoch + 1, metric(epoch))
    return lrs


def write_args(tmp_path, args: dict):
    path = tmp_path / "args.yaml"
    path.write_text(yaml.safe_dump(args))  # as train.py writes it
    return path


@pytest.mark.filterwarnings("ignore::FutureWarning")  # PlateauLRScheduler's deprecation notice
@pytest.mark.parametrize("case", sorted(CASES))
def test_args_yaml_equals_timm_train_py(real_timm, tmp_path, case):
    changes, world = CASES[case]
    args = {**BASE, **changes}
    path = write_args(tmp_path, args)
    source = load_input(path, inputs=BudgetInputs(dataset_size=DATASET, devices=world))
    assert source.kind == "timm"
    trace = simulate(source.spec).schedules[0]
    expr = {"min(epoch, 3)": lambda e: min(e, 3), "1 + (epoch > 4)": lambda e: 1 + (e > 4)}
    metric = expr.get(args.get("metric"), lambda e: None)
    ref = train_py_loop(real_timm, {k: v for k, v in args.items() if k != "metric"}, DATASET, world, metric)
    ours = trace.values[(0, "lr")]
    assert len(ours) == len(ref) == source.budget.updates
    assert ours.tolist() == [r[0] for r in ref]
    assert trace.steps_per_epoch == source.budget.updates_per_epoch


@pytest.mark.filterwarnings("ignore::FutureWarning")
def test_plateau_reduces_only_because_of_the_metric(real_timm, tmp_path):
    """Before lrplot fed timm's step(epoch, metric), PlateauLRScheduler got None and never reduced."""
    args = {**BASE, "sched": "plateau", "patience_epochs": 1, "decay_rate": 0.5, "epochs": 12,
            "metric": "min(epoch, 3)"}
    inputs = BudgetInputs(dataset_size=DATASET)
    lr = simulate(load_input(write_args(tmp_path, args), inputs=inputs).spec
                  ).schedules[0].values[(0, "lr")]
    per = DATASET // 32
    assert lr[-1] < lr[per * 3] and sorted(set(lr[per * 3:]), reverse=True) == sorted(set(lr[per * 3:]))[::-1]
    assert len(set(lr[per * 3:])) > 2  # halved several times once the metric stops improving


@pytest.mark.parametrize("changes", [dict(sched_on_updates=True, warmup_prefix=True), dict(sched="step", decay_epochs=2)])
def test_a_resumed_run_trains_the_rest_of_the_drawn_schedule_and_is_said(real_timm, tmp_path, changes):
    """train.py (aa4b5850) :1085-1095: with start_epoch (or a resume checkpoint's epoch) it calls
    ``lr_scheduler.step_update(start_epoch * updates_per_epoch)`` (sched_on_updates) or ``step(start_epoch)``,
    then runs ``for epoch in range(start_epoch, num_epochs)``: the lrs of the whole curve from that epoch on."""
    args = {**BASE, **changes, "start_epoch": 3}
    source = load_input(write_args(tmp_path, args), inputs=BudgetInputs(dataset_size=DATASET))
    assert ("start_epoch 3: train.py starts at epoch 3 and sets the scheduler there (a resumed run); it trains the "
            "rest of the schedule drawn here from epoch 0") in source.notes
    drawn = simulate(source.spec).schedules[0].values[(0, "lr")].tolist()
    a = Namespace(**{**BASE, "sched_on_updates": False, "warmup_prefix": False, **changes, "start_epoch": 3,
                     "lr": 0.1 * 32 / 256})
    optimizer = torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=a.lr, momentum=0.9)
    per_epoch = DATASET // a.batch_size
    scheduler, num_epochs = real_timm.create_scheduler_v2(
        optimizer, **real_timm.scheduler_kwargs(a, decreasing_metric=False), updates_per_epoch=per_epoch)
    if a.sched_on_updates:
        scheduler.step_update(a.start_epoch * per_epoch)
    else:
        scheduler.step(a.start_epoch)
    resumed = []
    for epoch in range(a.start_epoch, num_epochs):
        num_updates = epoch * per_epoch
        for _ in range(per_epoch):
            resumed.append(optimizer.param_groups[0]["lr"])
            optimizer.step()
            num_updates += 1
            scheduler.step_update(num_updates=num_updates, metric=0.5)
        scheduler.step(epoch + 1, None)
    assert resumed == drawn[a.start_epoch * per_epoch:] and 0 < len(resumed) < len(drawn)


def test_budget_text_and_lr_scaling(real_timm, tmp_path):
    path = write_args(tmp_path, {**BASE, "grad_accum_steps": 3, "cooldown_epochs": 2})
    source = load_input(path, inputs=BudgetInputs(dataset_size=1001, devices=2))
    # ceil(1001 / 2) = 501 per device, // 32 = 15 batches, ceil(15 / 3) = 5 updates, 8 + 2 epochs
    assert source.budget.text == (
        "1001 examples / (32 x 2) = 15 batches per epoch (drop_last) / accumulation 3 = 5 updates x 10 epochs "
        "(8 + 2 from the factory: cooldown 2) = 50 updates; lr 0.075 = lr_base 0.1 x (32 x 2 x 3 / 256) "
        "(linear scaling)")
    assert source.spec.optimizer.lr == 0.1 * (32 * 2 * 3 / 256)
    assert source.spec.scheduler.type == "timm.scheduler:create_scheduler_v2"


def test_example_config_renders(real_timm, tmp_path, cli):
    result = cli(CONFIGS / "frameworks" / "timm_args.yaml", "--dataset-size", "1281167", "--devices", "8",
                 "-o", tmp_path / "t.png", "--x", "epoch")
    assert result.exit_code == 0, result.output
    assert "625 updates x 110 epochs" in result.output and (tmp_path / "t.png").stat().st_size > 5000


def test_needs_the_dataset_size(real_timm, tmp_path):
    path = write_args(tmp_path, BASE)
    with pytest.raises(SpecError) as err:
        load_input(path)
    line = next(i for i, text in enumerate(path.read_text().splitlines(), 1) if text.startswith("sched:"))
    assert str(err.value) == (f"{path}:{line}:8: needs the training-set size (timm's updates per epoch are its "
                              "data loader's length); add --dataset-size N")


def test_bad_number_is_located(real_timm, tmp_path):
    path = tmp_path / "args.yaml"
    path.write_text("sched: cosine\nepochs: ten\nbatch_size: 32\n")
    with pytest.raises(SpecError, match=r"args.yaml:2:9: epochs must be a whole number >= 0, not 'ten'"):
        load_input(path, inputs=BudgetInputs(dataset_size=100))


@pytest.mark.parametrize("command", [["check"], ["state", "--at", "40"], ["resume", "--at", "40", "--method", "full"]])
def test_check_state_resume_work_on_args_yaml(real_timm, tmp_path, cli, command):
    path = write_args(tmp_path, {**BASE, "sched_on_updates": True})
    result = cli(*command, path, "--dataset-size", "1000")
    assert result.exit_code == 0, result.output
    if command[0] == "state":
        assert "num_updates" in result.output or "base_values" in result.output
    if command[0] == "resume":
        assert "identical" in result.output


def test_timm_cosine_yaml_is_real_timm(real_timm):
    """configs/timm_cosine.yaml (an lrplot spec naming timm's CosineLRScheduler) runs timm's real code and
    equals train.py's calls on that object."""
    from lrplot.spec import load_spec

    spec = load_spec(CONFIGS / "timm_cosine.yaml")
    lr = simulate(spec).schedules[0].values[(0, "lr")]
    opt = torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=0.1, momentum=0.9)
    opts = {k: v for k, v in spec.scheduler.options.items()}
    sched = real_timm.CosineLRScheduler(opt, **opts)
    ref = []
    for epoch in range(20):
        for i in range(100):
            ref.append(opt.param_groups[0]["lr"])
            sched.step_update(num_updates=epoch * 100 + i + 1)
        sched.step(epoch + 1)
    assert lr.tolist() == ref
    assert all(len(set(lr[e * 100:(e + 1) * 100])) == 1 for e in range(20))
    assert lr[0] == 1e-4 and lr[200] == 0.1 and lr[1999] == 1e-5


def test_print_spec_is_the_same_schedule(real_timm, tmp_path, cli):
    """--print-spec writes an lrplot spec that draws exactly what the args.yaml draws."""
    config = CONFIGS / "frameworks" / "timm_args.yaml"
    flags = ["--dataset-size", "12811", "--devices", "8"]
    printed = cli(config, *flags, "--print-spec")
    assert printed.exit_code == 0, printed.output
    (tmp_path / "spec.yaml").write_text(printed.stdout)
    from lrplot.spec import load_spec

    again = simulate(load_spec(tmp_path / "spec.yaml")).schedules[0]
    direct = simulate(load_input(config, inputs=BudgetInputs(12811, 8)).spec).schedules[0]
    assert again.values[(0, "lr")].tolist() == direct.values[(0, "lr")].tolist()
    assert again.steps_per_epoch == direct.steps_per_epoch == 6


def test_a_run_resumed_from_a_checkpoint_says_on_the_figure_that_its_epoch_is_not_known(real_timm, tmp_path):
    # resume: with no start_epoch: train.py starts at the checkpoint's epoch (train.py aa4b5850 :1085-1095), which
    # only the checkpoint holds. The note was a summary line only; the figure drew epoch 0 on without a word of it
    from lrplot.findings import footnotes

    source = load_input(write_args(tmp_path, {**BASE, "resume": "output/train/last.pth.tar"}),
                        inputs=BudgetInputs(dataset_size=DATASET))
    text = ("resume: train.py starts at the epoch the checkpoint holds, which lrplot does not read: drawn from "
            "epoch 0, the run trains only the rest of it")
    (note,) = [n for n in source.assumptions if n.startswith("resume:")]
    assert (note, note.settle) == (text, "start_epoch")
    assert f"assumed: {text} (set start_epoch to change it)" in footnotes([], [source])
