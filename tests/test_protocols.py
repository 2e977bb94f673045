"""Schedulers from other libraries: each is bit-identical (==) to driving that library's object by hand,
the way its own trainer does; import paths are refused unless allowed; import failures are one line.

pytorch-accelerated and transformers are in the ``test`` extra, so these run in CI; so is timm, whose
package ``__init__`` needs torchvision (no CPU build there): its REAL scheduler code runs through the
``real_timm`` fixture (a stub parent package, tests/helpers/timm_stub.py).
"""

from __future__ import annotations

import importlib.util
import math
import shutil
import subprocess
import sys
import textwrap

import numpy as np
import pytest
import torch

from lrplot.errors import ImportNotAllowedError, SpecError
from lrplot.engine import simulate
from lrplot.spec import load_spec

from tests.helpers.installed import needs_accelerated, needs_transformers
from tests.helpers.loops import (COSINE_ARGS, TIMM_CASES, accelerated_trainer_loop, as_arrays, record,
                                  timm_train_loop, two_group_sgd)
from tests.helpers.paths import CONFIGS, ROOT


@pytest.fixture(autouse=True)
def no_allow_list_from_the_environment(monkeypatch):
    """A CI job that sets LRPLOT_ALLOW_IMPORT must not change what these tests see."""
    monkeypatch.delenv("LRPLOT_ALLOW_IMPORT", raising=False)


def values(spec_path, allow, fields=("lr",)):
    sc = simulate(load_spec(spec_path), allow_import=allow).schedules[0]
    return {f: np.array([sc.values[(g, f)] for g in range(len(sc.groups))]) for f in fields}


SPEC_GROUPS = """\
optimizer: {type: SGD, lr: 0.5}
param_groups: [{lr: 0.1}, {lr: 0.02}]
"""


# --- pytorch-accelerated ---------------------------------------------------------------------

@needs_accelerated
@pytest.mark.parametrize("how", ["class", "create_scheduler_fn"])
def test_accelerated_cosine_is_bit_identical_to_its_trainer_loop(write_spec, how):
    from pytorch_accelerated.schedulers import CosineLrScheduler

    steps, per = 230, 20  # 11.5 epochs: the last one is partial, as with a ragged dataloader
    args = "\n".join(f"  {k}: {v}" for k, v in COSINE_ARGS.items())
    if how == "class":
        head = ("  type: 'pytorch_accelerated.schedulers:CosineLrScheduler'\n"
                "  total_num_epochs: 12\n  num_update_steps_per_epoch: 20\n")
    else:  # the Trainer's way: the placeholders are filled from steps / steps_per_epoch
        head = "  type: 'pytorch_accelerated.schedulers:CosineLrScheduler.create_scheduler_fn'\n"
    path = write_spec(f"steps: {steps}\nsteps_per_epoch: {per}\n{SPEC_GROUPS}scheduler:\n{head}{args}\n")
    ours = values(path, ["pytorch_accelerated"])
    opt = two_group_sgd()
    ref = accelerated_trainer_loop(opt, CosineLrScheduler(opt, total_num_epochs=12, num_update_steps_per_epoch=20,
                                                          **COSINE_ARGS), steps)
    assert ours["lr"].shape == (2, steps)
    assert (ours["lr"] == ref["lr"]).all()
    # the quirk the Trainer really has: the first step() recomputes update 0, so it is used twice
    assert ours["lr"][0, 0] == ours["lr"][0, 1] == 1e-4
    assert ours["lr"][0, 2] > 1e-4


@needs_accelerated
def test_accelerated_placeholders_need_steps_per_epoch(write_spec):
    path = write_spec("""\
        steps: 100
        scheduler: {type: 'pytorch_accelerated.schedulers:CosineLrScheduler.create_scheduler_fn'}
        """)
    with pytest.raises(SpecError) as err:
        simulate(load_spec(path), allow_import=["pytorch_accelerated"])
    assert str(err.value) == (
        f"{path}:2:12: pytorch_accelerated.schedulers:CosineLrScheduler.create_scheduler_fn: 'total_num_epochs' "
        "is left to the trainer (NUM_EPOCHS) and the spec does not say it; add 'steps_per_epoch: N' to the "
        "spec, or give 'total_num_epochs' under the scheduler")


@needs_accelerated
def test_accelerated_stateless_step_update_schedules_momentum(write_spec):
    """A stateless SchedulerBase with param_group_field: momentum, driven as its docstring loop does."""
    module = """\
        from pytorch_accelerated.schedulers import SchedulerBase

        class HalveEvery(SchedulerBase):
            def __init__(self, optimizer, every, param_group_field="lr"):
                super().__init__(optimizer, param_group_field=param_group_field)
                self.every = every

            def get_updated_values(self, num_updates):
                return [v * 0.5 ** (num_updates // self.every) for v in self.base_lr_values]
        """
    write_spec(module, "halving.py")
    path = write_spec("""\
        steps: 40
        optimizer: {type: SGD, lr: 0.1, momentum: 0.9}
        fields: [lr, momentum]
        scheduler: {type: 'halving.py:HalveEvery', every: 7, param_group_field: momentum}
        """)
    ours = values(path, [str(path.parent / "halving.py")], ("lr", "momentum"))
    spec = importlib.util.spec_from_file_location("halving_ref", path.parent / "halving.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    opt = torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=0.1, momentum=0.9)
    sched = mod.HalveEvery(opt, every=7, param_group_field="momentum")
    rows = []
    num_updates = 0
    for _ in range(40):
        rows.append(record(opt, ("lr", "momentum")))
        opt.step()
        num_updates += 1
        sched.step_update(num_updates)
    ref = as_arrays(rows, ("lr", "momentum"))
    assert (ours["momentum"] == ref["momentum"]).all() and (ours["lr"] == 0.1).all()
    assert ours["momentum"][0, 6] == 0.9 and ours["momentum"][0, 7] == 0.45


@needs_accelerated
def test_accelerated_weight_decay_config_is_bit_identical():
    path = CONFIGS / "accelerated_weight_decay.yaml"
    ours = values(path, [str(CONFIGS / "accelerated_schedules.py")], ("lr", "weight_decay"))
    spec = importlib.util.spec_from_file_location("acc_ref", CONFIGS / "accelerated_schedules.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    opt = torch.optim.AdamW([torch.nn.Parameter(torch.zeros(1))], lr=5e-4, weight_decay=0.04)
    ref = accelerated_trainer_loop(opt, mod.CosineRamp(opt, end=0.4, total_updates=300), 300, ("lr", "weight_decay"))
    assert (ours["weight_decay"] == ref["weight_decay"]).all()
    assert ours["weight_decay"][0, 0] == 0.04 and ours["weight_decay"][0, -1] > 0.39
    assert (ours["lr"] == 5e-4).all()


@needs_accelerated
def test_accelerated_scheduler_refuses_interval_epoch(write_spec):
    path = write_spec("""\
        steps: 40
        steps_per_epoch: 10
        interval: epoch
        scheduler: {type: 'pytorch_accelerated.schedulers:CosineLrScheduler', total_num_epochs: 4,
                    num_update_steps_per_epoch: 10}
        """)
    with pytest.raises(SpecError, match=r":3:11: interval: epoch does not apply to .*: pytorch-accelerated "
                                        r"schedulers step after every optimizer update; remove 'interval: epoch'"):
        simulate(load_spec(path), allow_import=["pytorch_accelerated"])


# --- timm ------------------------------------------------------------------------------------

def spec_args(args):
    return "\n".join(f"  {k}: {list(v) if isinstance(v, tuple) else v}" for k, v in args.items())


@pytest.mark.parametrize("case", sorted(TIMM_CASES))
def test_timm_cosine_is_bit_identical_to_timm_train_loop(write_spec, real_timm, case):
    args = TIMM_CASES[case]
    steps, per = 263, 25  # 10.5 epochs
    path = write_spec(f"steps: {steps}\nsteps_per_epoch: {per}\n{SPEC_GROUPS}scheduler:\n"
                      f"  type: 'timm.scheduler:CosineLRScheduler'\n{spec_args(args)}\n")
    ours = values(path, [])
    opt = two_group_sgd()
    ref = timm_train_loop(opt, real_timm.CosineLRScheduler(opt, **args), steps, per)
    assert ours["lr"].shape == (2, steps)
    assert (ours["lr"] == ref["lr"]).all()


def test_timm_per_epoch_values_change_only_at_epoch_ends(write_spec, real_timm):
    path = write_spec("""\
        steps: 100
        steps_per_epoch: 10
        scheduler: {type: 'timm.scheduler:CosineLRScheduler', t_initial: 10, warmup_t: 2, warmup_lr_init: 0.01}
        """)
    lr = values(path, [])["lr"][0]
    assert set(np.flatnonzero(np.diff(lr)) + 1) <= {10, 20, 30, 40, 50, 60, 70, 80, 90}
    assert lr[0] == 0.01 and lr[10] == 0.01 + (0.1 - 0.01) / 2
    # timm's default warmup_prefix=False: the warmup eats the cosine's start, the base lr is never used
    assert lr[20] == 0.5 * 0.1 * (1 + math.cos(math.pi * 2 / 10)) and lr.max() < 0.0905


def test_timm_needs_steps_per_epoch(write_spec, real_timm):
    path = write_spec("""\
        steps: 100
        scheduler: {type: 'timm.scheduler:CosineLRScheduler', t_initial: 10}
        """)
    with pytest.raises(SpecError) as err:
        simulate(load_spec(path))
    assert str(err.value) == (
        f"{path}:2:12: timm.scheduler:CosineLRScheduler is a timm scheduler, stepped at every epoch end, so "
        "the spec needs steps_per_epoch; add 'steps_per_epoch: N' (optimizer updates per epoch)")


# --- transformers ----------------------------------------------------------------------------

TRANSFORMERS_CASES = {
    "get_cosine_schedule_with_warmup": ("transformers:get_cosine_schedule_with_warmup",
                                        dict(num_warmup_steps=30, num_training_steps=200, num_cycles=0.7)),
    "get_scheduler cosine_with_restarts": (
        "transformers:get_scheduler",
        dict(name="cosine_with_restarts", num_warmup_steps=10, num_training_steps=200,
             scheduler_specific_kwargs={"num_cycles": 3})),
    "get_polynomial_decay_schedule_with_warmup": (
        "transformers.optimization:get_polynomial_decay_schedule_with_warmup",
        dict(num_warmup_steps=20, num_training_steps=180, lr_end=1e-4, power=2.0)),
}


@needs_transformers
@pytest.mark.parametrize("case", sorted(TRANSFORMERS_CASES))
def test_transformers_factory_is_bit_identical_to_a_training_loop(write_spec, case):
    import json

    import transformers

    type_, args = TRANSFORMERS_CASES[case]
    steps = 210  # past num_training_steps: what the factories do there is part of the curve
    path = write_spec(f"steps: {steps}\n{SPEC_GROUPS}scheduler: {json.dumps({'type': type_, **args})}\n")
    ours = values(path, ["transformers"])
    opt = two_group_sgd()
    sched = getattr(transformers, type_.rpartition(":")[2])(optimizer=opt, **args)
    assert isinstance(sched, torch.optim.lr_scheduler.LambdaLR)
    rows = []
    for _ in range(steps):  # transformers' Trainer: optimizer.step(); lr_scheduler.step()
        rows.append(record(opt, ("lr",)))
        opt.step()
        sched.step()
    assert (ours["lr"] == as_arrays(rows, ("lr",))["lr"]).all()


@needs_transformers
def test_transformers_length_from_num_training_steps(write_spec):
    path = write_spec("""\
        scheduler: {type: 'transformers:get_linear_schedule_with_warmup', num_warmup_steps: 5, num_training_steps: 50}
        """)
    assert simulate(load_spec(path), allow_import=["transformers"]).schedules[0].steps == 50


@pytest.mark.slow
def test_other_libraries_are_imported_only_when_a_spec_names_them():
    code = textwrap.dedent(f"""
        import sys
        from lrplot.engine import simulate
        from lrplot.spec import load_spec
        simulate(load_spec({str(CONFIGS / 'cosine.yaml')!r}))
        print(sorted(m for m in ('transformers', 'pytorch_accelerated', 'timm', 'mmengine') if m in sys.modules))
        """)
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, check=True)
    assert out.stdout.strip() == "[]"


# --- your own scheduler ----------------------------------------------------------------------

def test_custom_scheduler_config_is_bit_identical():
    ours = values(CONFIGS / "custom_scheduler.yaml", [str(CONFIGS / "my_schedules.py")])
    spec = importlib.util.spec_from_file_location("my_schedules_ref", CONFIGS / "my_schedules.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    opt = torch.optim.AdamW([torch.nn.Parameter(torch.zeros(1))], lr=1e-3)
    sched = mod.WarmupPoly(opt, warmup=40, total=400, power=2.0, end_lr=1e-5)
    rows = []
    for _ in range(400):
        rows.append(record(opt, ("lr",)))
        opt.step()
        sched.step()
    assert (ours["lr"] == as_arrays(rows, ("lr",))["lr"]).all()
    assert ours["lr"][0, 39] == 1e-3


def test_imported_scheduler_nested_in_sequential_lr(write_spec):
    shutil.copy(CONFIGS / "my_schedules.py", write_spec("", "x.yaml").parent / "my_schedules.py")
    path = write_spec("""\
        steps: 60
        scheduler:
          type: SequentialLR
          milestones: [30]
          schedulers:
            - {type: 'my_schedules.py:WarmupPoly', warmup: 10, total: 30}
            - {type: ConstantLR, factor: 0.5, total_iters: 100}
        """)
    with pytest.raises(ImportNotAllowedError, match=r":6:14: .*--allow-import \S*my_schedules.py"):
        simulate(load_spec(path))
    lr = values(path, [str(path.parent / "my_schedules.py")])["lr"][0]
    assert lr[9] == 0.1 and lr[30] == 0.05


# --- the allow-import rule, through the CLI --------------------------------------------------

TRANSFORMERS_SPEC = """\
steps: 20
scheduler:
  type: "transformers:get_linear_schedule_with_warmup"
  num_warmup_steps: 5
  num_training_steps: 20
"""


def test_import_path_is_refused_without_allow_import(cli, write_spec, tmp_path):
    path = write_spec("steps: 20\nscheduler:\n  type: 'mylib.schedules:Cosine'\n")
    result = cli(path, "-q")
    assert result.exit_code == 1
    assert result.stdout == ""
    assert result.stderr == (
        f"{path}:3:9: scheduler type 'mylib.schedules:Cosine' imports the Python package 'mylib', and a spec "
        "alone may not run code; to allow it, add --allow-import mylib (or set LRPLOT_ALLOW_IMPORT=mylib)\n")
    assert not (tmp_path / "spec.png").exists()


def test_only_the_scheduler_module_of_a_trusted_library_is_trusted(cli, write_spec):
    path = write_spec("steps: 20\nscheduler:\n  type: 'transformers.trainer_pt_utils:LayerWiseDummyScheduler'\n")
    result = cli(path, "-q")
    assert result.exit_code == 1
    assert result.stderr == (
        f"{path}:3:9: scheduler type 'transformers.trainer_pt_utils:LayerWiseDummyScheduler' imports the Python "
        "module 'transformers.trainer_pt_utils', and a spec alone may not run code (of transformers, lrplot "
        "trusts only transformers.optimization); to allow it, add --allow-import transformers "
        "(or set LRPLOT_ALLOW_IMPORT=transformers)\n")


def test_local_file_is_refused_by_its_module_name(cli, write_spec):
    shutil.copy(CONFIGS / "my_schedules.py", write_spec("", "x.yaml").parent / "my_schedules.py")
    path = write_spec("steps: 10\nscheduler: {type: 'my_schedules.py:WarmupPoly', warmup: 2, total: 10}\n")
    result = cli(path, "-q", "--allow-import", "my_schedules")
    assert result.exit_code == 1
    assert result.stderr == (
        f"{path}:2:19: scheduler type 'my_schedules.py:WarmupPoly' imports the local file my_schedules.py, and a "
        "spec alone may not run code; to allow it, add --allow-import my_schedules.py "
        "(or set LRPLOT_ALLOW_IMPORT=my_schedules.py) ('my_schedules' allows a package: a local file is allowed "
        "by its path)\n")


def test_allowing_one_package_does_not_allow_another(cli, write_spec):
    path = write_spec("steps: 20\nscheduler:\n  type: 'mylib.schedules:Cosine'\n")
    result = cli(path, "-q", "--allow-import", "pytorch_accelerated", "--allow-import", "mylibx",
                 "--allow-import", "mylib_schedules")
    assert result.exit_code == 1 and "add --allow-import mylib " in result.stderr


def test_allow_import_flag_and_environment_variable(cli, write_spec, tmp_path, monkeypatch):
    """A local file is allowed by its path: relative to the current folder, or absolute."""
    sub = tmp_path / "specs"
    sub.mkdir()
    shutil.copy(CONFIGS / "my_schedules.py", sub / "my_schedules.py")
    path = sub / "spec.yaml"
    path.write_text("steps: 30\nscheduler: {type: 'my_schedules.py:WarmupPoly', warmup: 5, total: 30}\n")
    result = cli(path, "-q", "--data", "none.csv")
    assert result.exit_code == 1 and "add --allow-import specs/my_schedules.py " in result.stderr
    result = cli(path, "-q", "--allow-import", "specs/my_schedules.py", "--data", "a.csv")
    assert result.exit_code == 0, result.stderr
    monkeypatch.setenv("LRPLOT_ALLOW_IMPORT", f"pytorch_accelerated, {sub / 'my_schedules.py'}")
    result = cli(path, "-q", "--data", "b.csv")
    assert result.exit_code == 0, result.stderr
    assert (tmp_path / "a.csv").read_text() == (tmp_path / "b.csv").read_text()
    assert not (tmp_path / "none.csv").exists()


@needs_transformers
def test_trusted_scheduler_modules_need_no_flag(cli, write_spec, tmp_path):
    path = write_spec(TRANSFORMERS_SPEC)
    result = cli(path, "-q", "--data", "a.csv")
    assert result.exit_code == 0, result.stderr
    result = cli(path, "-q", "--allow-import", "transformers", "--data", "b.csv")
    assert result.exit_code == 0, result.stderr
    assert (tmp_path / "a.csv").read_text() == (tmp_path / "b.csv").read_text()


def test_builtin_names_never_need_allow_import(cli, monkeypatch):
    monkeypatch.delenv("LRPLOT_ALLOW_IMPORT", raising=False)
    assert cli(CONFIGS / "cosine.yaml", "-q").exit_code == 0


# --- import failures: one located line with a hint -------------------------------------------

@pytest.mark.parametrize("type_, allow, message", [
    ("no_such_pkg_lrplot.sched:Thing", "no_such_pkg_lrplot",
     ":2:19: cannot import 'no_such_pkg_lrplot.sched': no module named 'no_such_pkg_lrplot'; install it "
     "(pip install no-such-pkg-lrplot) in the environment that runs lrplot, or check the spelling"),
    ("torch.optim.lr_scheduler:CosineAnealingLR", "torch",
     ":2:19: 'torch.optim.lr_scheduler' has no attribute 'CosineAnealingLR'; did you mean 'CosineAnnealingLR'?"),
    ("torch.optim.no_such_module:X", "torch",
     ":2:19: cannot import 'torch.optim.no_such_module': there is no module 'torch.optim.no_such_module'; "
     "check the module path"),
    ("missing.py:X", "missing", ":2:19: no such Python file: missing.py (looked in {dir}); local files are "
                                "relative to the spec file's folder"),
    ("torch.optim.lr_scheduler:bisect_right", "torch",
     ":2:19: scheduler type 'torch.optim.lr_scheduler:bisect_right' is a built-in function, not a scheduler class "
     "or factory; name a scheduler class, or a function that returns a scheduler"),
    ("torch.optim.lr_scheduler:inf", "torch", ":2:19: scheduler type 'torch.optim.lr_scheduler:inf' is a float, not "
                                              "a scheduler class or factory; name a scheduler class, or a function "
                                              "that returns a scheduler"),
    ("transformers:", "transformers", ":2:19: scheduler type 'transformers:' is not an import path; write "
                                      "'package.module:Name' or 'file.py:Name', e.g. "
                                      "\"transformers:get_cosine_schedule_with_warmup\" or "
                                      "\"my_schedules.py:WarmupPoly\""),
])
def test_import_errors_are_one_located_line(cli, write_spec, type_, allow, message):
    path = write_spec(f"steps: 10\nscheduler: {{type: '{type_}'}}\n")
    result = cli(path, "-q", "--allow-import", allow)
    assert result.exit_code == 1
    assert result.stderr == f"{path}{message.format(dir=path.parent)}\n"


def test_a_missing_package_is_installed_by_its_distributions_name(cli, write_spec, monkeypatch):
    """nemo is installed by nemo-toolkit, megatron by megatron-core: 'pip install nemo' installs another project.
    The name comes from the one table of trusted packages (imports/allowance.py DISTRIBUTIONS)."""
    from lrplot.imports import allowance

    monkeypatch.setitem(allowance.DISTRIBUTIONS, "no_such_pkg_lrplot", "no-such-dist-lrplot")
    path = write_spec("steps: 10\nscheduler: {type: 'no_such_pkg_lrplot.sched:Thing'}\n")
    result = cli(path, "-q", "--allow-import", "no_such_pkg_lrplot")
    assert result.exit_code == 1
    assert result.stderr == (f"{path}:2:19: cannot import 'no_such_pkg_lrplot.sched': no module named "
                             "'no_such_pkg_lrplot'; install it (pip install no-such-dist-lrplot) in the environment "
                             "that runs lrplot, or check the spelling\n")


def test_local_file_errors_point_into_the_file(cli, write_spec):
    write_spec("import math\n\ndef broken(:\n    pass\n", "bad_syntax.py")
    write_spec("import math\nRATE = 1 / 0\n", "bad_run.py")
    write_spec("def factory(optimizer, scale):\n    return undefined_name * scale\n", "bad_call.py")
    spec = write_spec("steps: 10\nscheduler: {type: 'bad_syntax.py:X'}\n", "a.yaml")
    result = cli(spec, "-q", "--allow-import", "bad_syntax.py")
    assert result.exit_code == 1
    assert result.stderr == (f"{spec.parent / 'bad_syntax.py'}:3:12: syntax error in bad_syntax.py: invalid syntax; "
                             f"fix the file (it is imported by {spec}:2:19)\n")
    spec = write_spec("steps: 10\nscheduler: {type: 'bad_run.py:X'}\n", "b.yaml")
    result = cli(spec, "-q", "--allow-import", "bad_run.py")
    assert result.stderr == (f"{spec.parent / 'bad_run.py'}:2: importing bad_run.py failed: ZeroDivisionError: "
                             f"division by zero; fix the file (it is imported by {spec}:2:19)\n")
    spec = write_spec("steps: 10\nscheduler: {type: 'bad_call.py:factory', scale: 2}\n", "c.yaml")
    result = cli(spec, "-q", "--allow-import", "bad_call.py")
    assert result.exit_code == 1
    assert result.stderr == (f"{spec}:2:12: factory rejected its arguments: NameError: name 'undefined_name' "
                             "is not defined\n")


def test_unknown_argument_of_an_imported_scheduler_gets_its_signature(cli, write_spec):
    shutil.copy(CONFIGS / "my_schedules.py", write_spec("", "x.yaml").parent / "my_schedules.py")
    path = write_spec("steps: 10\nscheduler: {type: 'my_schedules.py:WarmupPoly', warmup: 2, totl: 10}\n")
    result = cli(path, "-q", "--allow-import", "my_schedules.py")
    assert result.exit_code == 1
    assert result.stderr == (f"{path}:2:60: WarmupPoly has no argument 'totl'; did you mean 'total'? valid: "
                             "WarmupPoly(warmup, total, power=1.0, end_lr=0.0, last_epoch=-1)\n")
