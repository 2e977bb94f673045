"""Exactness: lrplot's values are bit-identical (==) to a plain torch training loop."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
import yaml
from torch.optim import lr_scheduler as L
from torch.optim.swa_utils import SWALR

from lrplot.errors import SpecError
from lrplot.engine import simulate
from lrplot.spec import parse_spec
from tests.helpers.schedulers import NESTED, SIMPLE, STEPS, all_torch_schedulers
from tests.helpers.loops import torch_cosine

GROUP_LRS = {1: [None], 3: [0.01, None, 0.3]}
BUILTINS = {"SWALR": SWALR, **{n: getattr(L, n) for n in dir(L)}}


def test_every_torch_scheduler_is_covered():
    assert all_torch_schedulers() == set(SIMPLE) | set(NESTED)


# --- the independent reference: plain torch, no lrplot code ---------------------------------

def ref_optimizer(groups, opt="SGD", **kwargs):
    params = [{"params": [torch.nn.Parameter(torch.zeros(1))], **({"lr": lr} if lr else {})} for lr in groups]
    return getattr(torch.optim, opt)(params, lr=0.1, **kwargs)


def ref_scheduler(spec: dict, opt, override=None):
    spec = dict(spec)
    cls = BUILTINS[spec.pop("type")]
    if "schedulers" in spec:
        spec["schedulers"] = [ref_scheduler(c, opt) for c in spec["schedulers"]]
        if cls is L.ChainedScheduler:
            return cls(spec["schedulers"], optimizer=opt)
    spec.update(override or {})
    return cls(opt, **spec)


def ref_loop(opt, sched, steps, fields=("lr",), metric=None, every=1):
    out = {f: [] for f in fields}
    for t in range(steps):
        for f in fields:
            out[f].append([g[f] if f in g else g["betas"][0] for g in opt.param_groups])
        opt.step()
        if (t + 1) % every == 0:
            if isinstance(sched, L.ReduceLROnPlateau):
                sched.step(opt.param_groups[0]["lr"] if metric is None else metric(t // every))
            else:
                sched.step()
    return {f: np.array(v).T for f, v in out.items()}


def lrplot_values(spec_dict, fields=("lr",)):
    curves = simulate(parse_spec(yaml.safe_dump(spec_dict), "s.yaml"))
    sc = curves.schedules[0]
    return {f: np.array([sc.values[(g, f)] for g in range(len(sc.groups))]) for f in fields}


def spec_for(scheduler, groups, steps=STEPS, optimizer=None, **extra):
    spec = {"steps": steps, "scheduler": scheduler, "optimizer": optimizer or {"type": "SGD", "lr": 0.1}, **extra}
    if groups != [None]:
        spec["param_groups"] = [{"lr": lr} if lr else {} for lr in groups]
    return spec


@pytest.mark.parametrize("ngroups", [1, 3])
@pytest.mark.parametrize("name", sorted(SIMPLE))
def test_builtin_scheduler_is_bit_identical(name, ngroups):
    args, ref_args = SIMPLE[name]
    groups = GROUP_LRS[ngroups]
    fields = ("lr", "momentum") if name in ("CyclicLR", "OneCycleLR") else ("lr",)
    opt_kwargs = {"momentum": 0.9} if fields != ("lr",) else {}
    ours = lrplot_values(spec_for({"type": name, **args}, groups, optimizer={"type": "SGD", "lr": 0.1, **opt_kwargs},
                                  fields=list(fields)), fields)
    opt = ref_optimizer(groups, **opt_kwargs)
    sched = ref_scheduler({"type": name, **args}, opt, ref_args)
    ref = ref_loop(opt, sched, STEPS, fields)
    for f in fields:
        assert ours[f].shape == (ngroups, STEPS)
        assert (ours[f] == ref[f]).all(), f"{name} {f} differs"


# torch itself warns while building SequentialLR over a ChainedScheduler (its constructor steps
# the chain); a plain training loop sees the same warning, so lrplot reports it rather than hide it.
@pytest.mark.filterwarnings("ignore:Detected call of")
@pytest.mark.parametrize("ngroups", [1, 3])
@pytest.mark.parametrize("name", sorted(NESTED))
def test_nested_schedulers_are_bit_identical(name, ngroups):
    groups = GROUP_LRS[ngroups]
    ours = lrplot_values(spec_for(NESTED[name], groups))
    opt = ref_optimizer(groups)
    ref = ref_loop(opt, ref_scheduler(NESTED[name], opt), STEPS)
    assert (ours["lr"] == ref["lr"]).all()


def test_lambda_list_one_expression_per_group():
    spec = spec_for({"type": "LambdaLR", "lr_lambda": ["0.9 ** epoch", "1 / (1 + epoch)"]}, [0.1, 0.2])
    ours = lrplot_values(spec)
    opt = ref_optimizer([0.1, 0.2])
    sched = L.LambdaLR(opt, [lambda e: 0.9 ** e, lambda e: 1 / (1 + e)])
    assert (ours["lr"] == ref_loop(opt, sched, STEPS)["lr"]).all()


def test_adam_momentum_is_beta1_and_betas_are_recorded_elementwise():
    sched = {"type": "OneCycleLR", "max_lr": 0.01, "total_steps": STEPS}
    spec = spec_for(sched, [None], optimizer={"type": "AdamW", "lr": 0.001, "betas": [0.9, 0.99]},
                    fields=["lr", "momentum", "betas", "weight_decay"])
    sc = simulate(parse_spec(yaml.safe_dump(spec), "s.yaml")).schedules[0]
    assert sc.fields == ("lr", "momentum", "betas[0]", "betas[1]", "weight_decay")
    opt = torch.optim.AdamW([torch.nn.Parameter(torch.zeros(1))], lr=0.001, betas=(0.9, 0.99))
    ref = ref_loop(opt, L.OneCycleLR(opt, max_lr=0.01, total_steps=STEPS), STEPS, ("lr", "momentum"))
    assert (sc.values[(0, "momentum")] == ref["momentum"][0]).all()
    assert (sc.values[(0, "betas[0]")] == ref["momentum"][0]).all()
    assert (sc.values[(0, "betas[1]")] == 0.99).all()
    assert (sc.values[(0, "weight_decay")] == 0.01).all()


def test_interval_epoch_steps_once_per_epoch():
    sched = {"type": "StepLR", "step_size": 2, "gamma": 0.5}
    sc = simulate(parse_spec(yaml.safe_dump(spec_for(sched, [None], steps=23, interval="epoch", steps_per_epoch=5)),
                             "s.yaml")).schedules[0]
    opt = ref_optimizer([None])
    ref = ref_loop(opt, L.StepLR(opt, step_size=2, gamma=0.5), 23, every=5)
    assert (sc.values[(0, "lr")] == ref["lr"][0]).all()
    assert sc.values[(0, "lr")][9] == 0.1 and sc.values[(0, "lr")][10] == 0.05


def test_last_epoch_and_initial_lr_start_mid_way():
    sched = {"type": "CosineAnnealingLR", "T_max": 50, "last_epoch": 19}
    spec = spec_for(sched, [None, 0.5], optimizer={"type": "SGD", "lr": 0.1, "initial_lr": 0.2},
                    param_groups=None)
    spec["param_groups"] = [{}, {"lr": 0.5, "initial_lr": 1.0}]
    ours = lrplot_values(spec)
    opt = ref_optimizer([None, 0.5])
    opt.param_groups[0]["initial_lr"] = 0.2
    opt.param_groups[1]["initial_lr"] = 1.0
    ref = ref_loop(opt, L.CosineAnnealingLR(opt, T_max=50, last_epoch=19), STEPS)
    assert (ours["lr"] == ref["lr"]).all()


def test_last_epoch_without_initial_lr_says_how_to_fix():
    spec = spec_for({"type": "StepLR", "step_size": 3, "last_epoch": 5}, [None])
    with pytest.raises(SpecError, match="needs 'initial_lr'; add 'initial_lr: <base lr>'"):
        simulate(parse_spec(yaml.safe_dump(spec), "s.yaml"))


def test_plateau_metric_expression_and_csv(tmp_path):
    sched = {"type": "ReduceLROnPlateau", "factor": 0.5, "patience": 1, "mode": "min"}
    metric = lambda k: 1 / (1 + k) if k < 8 else 0.5  # noqa: E731
    ours = lrplot_values(spec_for(sched, [None], metric="lambda step: 1 / (1 + step) if step < 8 else 0.5"))
    opt = ref_optimizer([None])
    assert (ours["lr"] == ref_loop(opt, L.ReduceLROnPlateau(opt, factor=0.5, patience=1), STEPS, metric=metric)["lr"]).all()

    losses = [2.0, 1.5, 1.2, 1.1, 1.1, 1.12, 1.1, 1.15, 1.0, 0.99, 0.99, 0.995, 0.99] + [0.98] * 30
    (tmp_path / "loss.csv").write_text("epoch,val_loss\n" + "".join(f"{i},{v}\n" for i, v in enumerate(losses)))
    text = yaml.safe_dump(spec_for(sched, [None], metric={"csv": "loss.csv", "column": "val_loss"}))
    (tmp_path / "p.yaml").write_text(text)
    from lrplot.spec import load_spec

    sc = simulate(load_spec(tmp_path / "p.yaml")).schedules[0]
    opt = ref_optimizer([None])
    ref = ref_loop(opt, L.ReduceLROnPlateau(opt, factor=0.5, patience=1), STEPS, metric=lambda k: losses[k])
    assert (sc.values[(0, "lr")] == ref["lr"][0]).all()
    assert len(set(sc.values[(0, "lr")])) > 2  # it really reduced


def test_plateau_metric_csv_too_short(write_spec):
    write_spec("epoch,val_loss\n0,1.0\n1,0.9\n", "loss.csv")
    path = write_spec("steps: 10\nmetric: {csv: loss.csv}\nscheduler: {type: ReduceLROnPlateau}\n")
    from lrplot.spec import load_spec

    with pytest.raises(SpecError, match="has 2 values but the schedule steps 9 times"):
        simulate(load_spec(path))


def test_optimizer_is_never_stepped():
    # Without gradients optimizer.step() changes nothing (the == tests above against a loop that
    # calls it every update prove it); skipping it saves the torch._dynamo import it triggers.
    calls = []
    from torch.optim.optimizer import register_optimizer_step_post_hook

    handle = register_optimizer_step_post_hook(lambda *a: calls.append(1))
    try:
        simulate(parse_spec("steps: 500\nscheduler: {type: StepLR, step_size: 10}\n", "s.yaml"))
    finally:
        handle.remove()
    assert calls == []


def test_no_step_order_warning(recwarn):
    simulate(parse_spec("steps: 5\nscheduler: {type: StepLR, step_size: 1}\n", "s.yaml"))
    assert not [w for w in recwarn if "lr_scheduler.step()" in str(w.message)]


def test_each_schedule_gets_a_fresh_optimizer():
    spec = parse_spec("""
steps: 10
optimizer: {type: SGD, lr: 0.1}
schedules:
  - {name: a, scheduler: {type: ExponentialLR, gamma: 0.5}}
  - {name: b, optimizer: {type: SGD, lr: 0.3}, scheduler: {type: StepLR, step_size: 100}}
""", "s.yaml")
    curves = simulate(spec)
    assert (curves["b"].values[(0, "lr")] == 0.3).all()  # no initial_lr leaked from schedule a


@pytest.mark.parametrize("scheduler, steps", [
    ("{type: OneCycleLR, max_lr: 0.1, total_steps: 120}", 120),
    ("{type: CosineAnnealingLR, T_max: 77}", 77),
    ("{type: LinearLR, total_iters: 9}", 10),
    ("{type: PolynomialLR, total_iters: 33}", 33),
    ("{type: SequentialLR, milestones: [5], schedulers: [{type: LinearLR, total_iters: 5}, "
     "{type: CosineAnnealingLR, T_max: 45}]}", 50),
    ("{type: OneCycleLR, max_lr: 0.1, epochs: 3, steps_per_epoch: 7}", 21),
])
def test_steps_may_be_left_out_when_the_schedule_has_a_length(scheduler, steps):
    curves = simulate(parse_spec(f"scheduler: {scheduler}\n", "s.yaml"))
    assert curves.schedules[0].steps == steps


def test_missing_steps_is_a_clear_error():
    with pytest.raises(SpecError) as e:
        simulate(parse_spec("scheduler:\n  type: StepLR\n  step_size: 3\n", "s.yaml"))
    assert e.value.format() == ("s.yaml:2:3: 'steps' is required: StepLR does not define its own length; "
                                "add 'steps: N' (the number of optimizer updates to draw)")


def test_onecycle_past_total_steps_says_how_to_fix():
    with pytest.raises(SpecError) as e:
        simulate(parse_spec("steps: 250\nscheduler: {type: OneCycleLR, max_lr: 0.1, total_steps: 200}\n", "s.yaml"))
    assert e.value.format() == ("s.yaml:1:8: steps: 250 runs past OneCycleLR's total_steps (200 steps); torch "
                                "raises at scheduler step 201; set steps: 200 or raise total_steps to 250")


def test_nested_failure_mid_run_is_reported_not_a_traceback():
    text = ("steps: 30\nscheduler:\n  type: SequentialLR\n  milestones: [5]\n  schedulers:\n"
            "    - {type: LinearLR, total_iters: 5}\n    - {type: OneCycleLR, max_lr: 0.1, total_steps: 10}\n")
    with pytest.raises(SpecError, match=r"s.yaml:3:3: SequentialLR failed at step \d+"):
        simulate(parse_spec(text, "s.yaml"))


@pytest.mark.parametrize("text, expected", [
    ("steps: 5\nscheduler: {type: CosineAnealingLR, T_max: 5}\n",
     "s.yaml:2:19: unknown scheduler 'CosineAnealingLR'; did you mean 'CosineAnnealingLR'?"),
    # without steps: the misspelt name is said, not that it "does not define its own length"
    ("scheduler: {type: CosineAnealingLR, T_max: 5}\n",
     "s.yaml:1:19: unknown scheduler 'CosineAnealingLR'; did you mean 'CosineAnnealingLR'?"),
    ("steps: 5\nscheduler: {type: StepLR, step_sise: 5}\n",
     "s.yaml:2:27: StepLR has no argument 'step_sise'; did you mean 'step_size'? valid: "
     "StepLR(step_size, gamma=0.1, last_epoch=-1)"),
    ("steps: 5\nscheduler: {type: StepLR}\n",
     "s.yaml:2:12: StepLR needs 'step_size'; signature: StepLR(step_size, gamma=0.1, last_epoch=-1)"),
    ("steps: 5\nscheduler: {type: LinearLR, start_factor: 2}\n",
     "s.yaml:2:12: LinearLR rejected its arguments: Starting multiplicative factor expected to be greater "
     "than 0 and less or equal to 1."),
    ("steps: 5\nscheduler: {type: LambdaLR, lr_lambda: \"0.9 ** epoch + os.getcwd()\"}\n",
     "s.yaml:2:56: lr_lambda: calling methods or results of calls is not allowed"),
    ("steps: 5\nscheduler: {type: LambdaLR, lr_lambda: \"0.9 ** epoch.real\"}\n",
     "s.yaml:2:48: lr_lambda: attribute access cannot be used"),
    ("steps: 5\noptimizer: {type: Adamw}\nscheduler: {type: StepLR, step_size: 1}\n",
     "s.yaml:2:19: unknown optimizer 'Adamw'; did you mean 'AdamW'?"),
    ("steps: 5\noptimizer: {type: SGD, momentun: 0.9}\nscheduler: {type: StepLR, step_size: 1}\n",
     "s.yaml:2:24: SGD has no argument 'momentun'; did you mean 'momentum'? valid: "),
    ("steps: 5\nparam_groups: [{lrr: 0.1}]\nscheduler: {type: StepLR, step_size: 1}\n",
     "s.yaml:2:17: SGD param groups have no option 'lrr'; did you mean 'lr'?"),
    ("steps: 5\nfields: [lr, wd]\nscheduler: {type: StepLR, step_size: 1}\n",
     "s.yaml:2:14: the param groups have no field 'wd'; numeric fields: "),
    ("steps: 5\nfields: [nesterov]\nscheduler: {type: StepLR, step_size: 1}\n",
     "s.yaml:2:10: field 'nesterov' is not a number (it is False)"),
    ("steps: 5\nscheduler: {type: StepLR, step_size: 1, schedulers: []}\n",
     "s.yaml:2:41: StepLR takes no nested 'schedulers'; only SequentialLR and ChainedScheduler do"),
])
def test_build_errors_are_located(text, expected):
    with pytest.raises(SpecError) as e:
        simulate(parse_spec(text, "s.yaml"))
    assert e.value.format().startswith(expected)


def test_values_are_finite_python_floats_as_float64():
    sc = simulate(parse_spec("scheduler: {type: CosineAnnealingLR, T_max: 10}\n", "s.yaml")).schedules[0]
    lr = sc.values[(0, "lr")]
    assert lr.dtype == np.float64 and lr[0] == 0.1 and math.isclose(lr[5], 0.05)


def test_schedule_names_that_collide_across_files_get_the_file_stem():
    text = "steps: 5\nschedules: [{name: base, scheduler: {type: StepLR, step_size: 2}}]\n"
    curves = simulate([parse_spec(text, "a.yaml"), parse_spec(text, "b.yaml"),
                       parse_spec("steps: 5\nscheduler: {type: StepLR, step_size: 2}\n", "c.yaml")])
    assert curves.names == ["a / base", "b / base", "c"]


def test_nan_produced_by_a_schedule_is_kept_in_the_data():
    sc = simulate(parse_spec("steps: 4\nscheduler: {type: LambdaLR, lr_lambda: \"inf * 0 if epoch > 1 else 1\"}\n",
                             "s.yaml")).schedules[0]
    lr = sc.values[(0, "lr")]
    assert lr[0] == 0.1 and np.isnan(lr[2:]).all()


def test_start_run_records_past_the_schedules_end_with_the_same_schedulers():
    from lrplot.engine.run import start_run

    (schedule,) = parse_spec("steps: 40\nscheduler: {type: CosineAnnealingLR, T_max: 40, eta_min: 0.001}\n"
                             "optimizer: {type: SGD, lr: 0.1}\n").schedule_list()
    run = start_run(schedule, steps=100)
    values = run.values(run.advance(0, 100))[(0, "lr")]
    assert run.steps == 100 and values.tolist() == torch_cosine(100)


# --- several groups: the loop extends its record by the lr list torch's step() leaves ----------

def test_the_lr_list_is_read_only_from_torch_steps_that_read_every_group():
    from lrplot.engine.loop import lr_list_owner

    class Halved(L.StepLR):  # a step() of its own: what it leaves in _last_lr is not known
        def step(self, epoch=None):
            super().step(epoch)
            self._last_lr = [lr / 2 for lr in self._last_lr]

    def owner(sched, opt, keys=None):
        groups = opt.param_groups
        return lr_list_owner(sched, groups, list(groups), keys or ["lr"] * len(groups))

    opt = ref_optimizer([0.01, None, 0.3], momentum=0.9)
    for sched in (L.StepLR(opt, 2), L.ReduceLROnPlateau(opt), L.CosineAnnealingWarmRestarts(opt, 3), SWALR(opt, 0.1)):
        assert owner(sched, opt) is sched
    assert owner(Halved(opt, 2), opt) is None
    assert owner(L.SequentialLR(opt, [L.StepLR(opt, 2), L.StepLR(opt, 3)], [4]), opt) is None
    assert owner(L.StepLR(opt, 2), opt, ["lr", "momentum", "lr"]) is None
    one = ref_optimizer([None])
    assert owner(L.StepLR(one, 2), one) is None  # one group: read directly
    tensor = ref_optimizer([torch.tensor(0.1), 0.2])  # torch clones tensors into _last_lr
    assert owner(L.StepLR(tensor, 2), tensor) is None


@pytest.mark.filterwarnings("ignore:Detected call of")
def test_a_stale_lr_list_is_caught_after_the_first_step():
    from types import SimpleNamespace

    from lrplot.engine.loop import run_loop

    opt = ref_optimizer([0.01, None, 0.3])
    sched = L.StepLR(opt, 2, gamma=0.5)
    stale = SimpleNamespace(_last_lr=[g["lr"] for g in opt.param_groups])
    groups = opt.param_groups
    rows = run_loop(sched.step, list(groups), ["lr"] * 3, 0, 9, 9, 1, None, owner=stale)
    opt2 = ref_optimizer([0.01, None, 0.3])
    expected = ref_loop(opt2, L.StepLR(opt2, 2, gamma=0.5), 9)["lr"]
    assert (np.array(rows).reshape(9, 3).T == expected).all()
    assert expected[0][-1] == 0.01 * 0.5 ** 4  # the values did change, so a stale list would differ
