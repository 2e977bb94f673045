"""LightningCLI configs: lrplot's values == what a REAL LightningCLI/Trainer run uses, at every update.

Each case writes a LightningCLI config, runs ``LightningCLI(..., args=["fit", "--config", path])``
in-process on CPU with a tiny model (tests/helpers/lightning_runs.py), and records the lr of every group
right before each optimizer update (``optimizer.register_step_pre_hook``) plus the CSVLogger rows
of ``LearningRateMonitor(logging_interval="step")``. CSVLogger writes ``str(float)``, the shortest
repr of the Python float, so its values round-trip exactly: both are compared with ``==`` at float64.
"""

from __future__ import annotations

import sys

import pytest

from tests.helpers.installed import require

require("lightning", "jsonargparse")  # imported where a test runs them: collecting this module stays cheap

from lrplot.engine import simulate  # noqa: E402
from lrplot.errors import ImportNotAllowedError, SpecError  # noqa: E402
from lrplot.sources import BudgetInputs, load_input  # noqa: E402
from lrplot.sources.lightning_loop import step_frequency  # noqa: E402

pytestmark = pytest.mark.slow  # importing Lightning alone takes seconds

# name: (config text, dataset size, cli (interval, frequency) or None for the stock LightningCLI)
CASES = {
    # stock LightningCLI: steps per EPOCH; accumulation 4 over 10 batches (last window partial)
    "cli_epoch_accumulate4": ("""
trainer: {max_epochs: 3, accumulate_grad_batches: 4}
data: {dataset_size: 10, batch_size: 1}
optimizer: {class_path: torch.optim.SGD, init_args: {lr: 0.1}}
lr_scheduler: {class_path: torch.optim.lr_scheduler.ExponentialLR, init_args: {gamma: 0.5}}
""", 10, None),
    # per-step, 10 examples / batch 3 (last batch short), epochs
    "step_nondividing": ("""
trainer: {max_epochs: 2}
data: {dataset_size: 10, batch_size: 3}
optimizer: {class_path: torch.optim.AdamW, init_args: {lr: 0.01}}
lr_scheduler: {class_path: torch.optim.lr_scheduler.CosineAnnealingLR, init_args: {T_max: 8}}
""", 10, ("step", 1)),
    "step_drop_last": ("""
trainer: {max_epochs: 2}
data: {dataset_size: 10, batch_size: 3, drop_last: true}
optimizer: {class_path: torch.optim.SGD, init_args: {lr: 0.1}}
lr_scheduler: {class_path: torch.optim.lr_scheduler.StepLR, init_args: {step_size: 2, gamma: 0.5}}
""", 10, ("step", 1)),
    "step_accumulate4_onecycle": ("""
trainer: {max_epochs: 2, accumulate_grad_batches: 4}
data: {dataset_size: 10, batch_size: 1}
optimizer: {class_path: torch.optim.SGD, init_args: {lr: 0.1, momentum: 0.9}}
lr_scheduler: {class_path: torch.optim.lr_scheduler.OneCycleLR, init_args: {max_lr: 0.5, total_steps: 6}}
""", 10, ("step", 1)),
    # max_steps stops mid-epoch; epoch interval
    "max_steps_mid_epoch": ("""
trainer: {max_steps: 6}
data: {dataset_size: 10, batch_size: 3}
optimizer: {class_path: torch.optim.SGD, init_args: {lr: 0.1}}
lr_scheduler: {class_path: torch.optim.lr_scheduler.StepLR, init_args: {step_size: 1, gamma: 0.5}}
""", 10, None),
    # max_epochs binds before max_steps
    "epochs_before_max_steps": ("""
trainer: {max_epochs: 2, max_steps: 100}
data: {dataset_size: 10, batch_size: 3}
optimizer: {class_path: torch.optim.SGD, init_args: {lr: 0.1}}
lr_scheduler: {class_path: torch.optim.lr_scheduler.LinearLR, init_args: {start_factor: 0.1, total_iters: 5}}
""", 10, ("step", 1)),
    # frequency 2, per step: 4 batches per epoch, so every 2nd update
    "step_frequency2": ("""
trainer: {max_epochs: 2}
data: {dataset_size: 8, batch_size: 2}
optimizer: {class_path: torch.optim.SGD, init_args: {lr: 0.1}}
lr_scheduler: {class_path: torch.optim.lr_scheduler.ExponentialLR, init_args: {gamma: 0.5}}
""", 8, ("step", 2)),
    # frequency 2 with accumulation 2: Lightning counts batches, so EVERY update steps
    "step_frequency2_accumulate2": ("""
trainer: {max_epochs: 2, accumulate_grad_batches: 2}
data: {dataset_size: 8, batch_size: 1}
optimizer: {class_path: torch.optim.SGD, init_args: {lr: 0.1}}
lr_scheduler: {class_path: torch.optim.lr_scheduler.ExponentialLR, init_args: {gamma: 0.5}}
""", 8, ("step", 2)),
    "epoch_frequency2": ("""
trainer: {max_epochs: 5}
data: {dataset_size: 6, batch_size: 3}
optimizer: {class_path: torch.optim.SGD, init_args: {lr: 0.1}}
lr_scheduler: {class_path: torch.optim.lr_scheduler.ExponentialLR, init_args: {gamma: 0.5}}
""", 6, ("epoch", 2)),
    "limit_int": ("""
trainer: {max_epochs: 3, limit_train_batches: 3}
data: {dataset_size: 10, batch_size: 2}
optimizer: {class_path: torch.optim.SGD, init_args: {lr: 0.1}}
lr_scheduler: {class_path: torch.optim.lr_scheduler.StepLR, init_args: {step_size: 1, gamma: 0.5}}
""", 10, None),
    "limit_fraction_step": ("""
trainer: {max_epochs: 2, limit_train_batches: 0.5}
data: {dataset_size: 10, batch_size: 2}
optimizer: {class_path: torch.optim.SGD, init_args: {lr: 0.1}}
lr_scheduler: {class_path: torch.optim.lr_scheduler.StepLR, init_args: {step_size: 1, gamma: 0.5}}
""", 10, ("step", 1)),
}


def _overrides(cli):
    if cli is None:
        return ()
    interval, frequency = cli
    return (f"lr_scheduler.interval={interval}", f"lr_scheduler.frequency={frequency}")


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    from tests.helpers.lightning_runs import dict_cli, run_cli

    out = {}
    for name, (text, size, cli) in CASES.items():
        folder = tmp_path_factory.mktemp(name)
        path = folder / "fit.yaml"
        path.write_text(text)
        cli_class = dict_cli(*cli) if cli else None
        out[name] = (path, size, cli, run_cli(path, folder, cli_class))
    return out


def _lrplot(path, size, cli):
    source = load_input(path, inputs=BudgetInputs(dataset_size=size), overrides=_overrides(cli))
    trace = simulate(source.spec).schedules[0]
    return source, trace


@pytest.mark.parametrize("name", list(CASES))
def test_equals_real_lightning_cli_at_every_update(runs, name):
    path, size, cli, (recorded, logged) = runs[name]
    source, trace = _lrplot(path, size, cli)
    assert source.kind == "lightning"
    assert source.budget.updates == len(recorded) == trace.steps
    ours = [[trace.values[(g, "lr")][t] for g in range(len(trace.groups))] for t in range(trace.steps)]
    assert ours == recorded
    (column,) = logged.values()
    assert sorted(column) == list(range(len(recorded)))
    assert [column[t] for t in range(len(recorded))] == [row[0] for row in ours]


def test_stepping_actually_differs_between_cases(runs):
    """The cases are not all the same curve: epoch vs step stepping and frequency show up."""
    def first_change(name):
        recorded = runs[name][3][0]
        return next(i for i in range(1, len(recorded)) if recorded[i] != recorded[i - 1])

    assert first_change("cli_epoch_accumulate4") == 3      # after the first epoch's 3 updates
    assert first_change("step_frequency2") == 2            # after 2 updates
    assert first_change("step_frequency2_accumulate2") == 1  # after every update
    assert first_change("epoch_frequency2") == 4           # 2 epochs of 2 updates


def test_stock_cli_says_it_steps_per_epoch(runs):
    path, size, cli, _ = runs["cli_epoch_accumulate4"]
    source, _ = _lrplot(path, size, cli)
    assert any("once per epoch" in n for n in source.notes)
    assert source.budget.text == ("10 examples / 1 = 10 batches per epoch (rounded up) / accumulation 4 = "
                                  "3 updates per epoch, last window partial x 3 epochs = 9 updates")


def test_print_config_output_is_read(tmp_path, capsys, monkeypatch):
    """The full YAML LightningCLI's own --print_config writes (every default spelled out)."""
    from lightning.pytorch.cli import LightningCLI
    from tests.helpers.lightning_runs import TinyData, TinyModel

    monkeypatch.setattr(sys, "argv", ["fit"])

    with pytest.raises(SystemExit):
        LightningCLI(TinyModel, TinyData, args=[
            "fit", "--optimizer", "AdamW", "--optimizer.lr", "0.01", "--lr_scheduler", "StepLR",
            "--lr_scheduler.step_size", "2", "--trainer.max_epochs", "4", "--data.dataset_size", "7",
            "--data.batch_size", "2", "--print_config"])
    path = tmp_path / "fit.yaml"
    path.write_text(capsys.readouterr().out)
    source = load_input(path, inputs=BudgetInputs(dataset_size=7))
    assert source.kind == "lightning"
    assert source.spec.optimizer.type == "AdamW"
    assert source.budget.updates == 16
    values = simulate(source.spec).schedules[0].values[(0, "lr")]
    assert values[3] == 0.01 and values[8] == 0.001  # epoch-stepped StepLR(step_size=2)


# --- frequency rule: where it is not "every N-th update" ------------------------------------

def test_frequency_that_is_not_every_nth_update_is_refused_and_lightning_agrees(tmp_path):
    """frequency 3 with 4 batches per epoch: Lightning restarts its batch count every epoch, so it
    steps after updates 3 and 7 (not 3 and 6). The real run shows it; lrplot refuses to guess."""
    from tests.helpers.lightning_runs import dict_cli, run_cli

    path = tmp_path / "fit.yaml"
    path.write_text("""
trainer: {max_epochs: 2}
data: {dataset_size: 8, batch_size: 2}
optimizer: {class_path: torch.optim.SGD, init_args: {lr: 0.1}}
lr_scheduler: {class_path: torch.optim.lr_scheduler.ExponentialLR, init_args: {gamma: 0.5}}
""")
    recorded, _ = run_cli(path, tmp_path, dict_cli("step", 3))
    assert [r[0] for r in recorded] == [0.1, 0.1, 0.1, 0.05, 0.05, 0.05, 0.05, 0.025]
    with pytest.raises(SpecError) as exc:
        load_input(path, inputs=BudgetInputs(dataset_size=8), overrides=_overrides(("step", 3)))
    assert "batch index within the epoch" in exc.value.message


def test_step_frequency_rule():
    assert step_frequency(2, batches=4, accumulate=1, total=8) == 2
    assert step_frequency(2, batches=8, accumulate=2, total=8) == 1
    assert step_frequency(4, batches=8, accumulate=2, total=8) == 2
    assert step_frequency(3, batches=4, accumulate=1, total=8) is None
    assert step_frequency(3, batches=4, accumulate=1, total=4) == 3     # one epoch: no restart seen
    assert step_frequency(3, batches=10, accumulate=4, total=3) == 4   # 4, 8, 10: never steps in the run
    assert step_frequency(5, batches=10, accumulate=4, total=6) == 3   # only at the partial window (10)
    assert step_frequency(2, batches=5, accumulate=1, total=10) is None  # after 2, 4, then 7, 9


# --- errors are one located line ------------------------------------------------------------

def _write(tmp_path, text):
    path = tmp_path / "fit.yaml"
    path.write_text(text)
    return path


def test_missing_dataset_size_names_the_flag(tmp_path):
    path = _write(tmp_path, """
trainer: {max_epochs: 2}
data: {batch_size: 2}
optimizer: {class_path: torch.optim.SGD, init_args: {lr: 0.1}}
lr_scheduler: {class_path: torch.optim.lr_scheduler.StepLR, init_args: {step_size: 1}}
""")
    with pytest.raises(SpecError) as exc:
        load_input(path)
    assert exc.value.format() == f"{path}:2:23: needs the training-set size (interval 'epoch'); add --dataset-size N"


def test_a_published_config_asks_for_the_size_at_its_max_epochs(monkeypatch):
    """IBM/terratorch@85467a9fbbaf567e7ce4541758c09a548a7bace5 examples/confs/burnscars_smp.yaml (unedited):
    ReduceLROnPlateau, which LightningCLI returns without an interval, stepped per epoch; was located at the
    file alone."""
    from tests.helpers.paths import ROOT

    monkeypatch.chdir(ROOT)
    with pytest.raises(SpecError) as exc:
        load_input("tests/data/published/lightning/terratorch/burnscars_smp.yaml")
    assert exc.value.format() == ("tests/data/published/lightning/terratorch/burnscars_smp.yaml:28:15: needs the "
                                  "training-set size (interval 'epoch'); add --dataset-size N")


def test_max_steps_alone_needs_no_dataset(tmp_path):
    path = _write(tmp_path, """
trainer: {max_steps: 50}
optimizer: {class_path: torch.optim.SGD, init_args: {lr: 0.1}}
lr_scheduler: {class_path: torch.optim.lr_scheduler.CosineAnnealingLR, init_args: {T_max: 50}}
""")
    source = load_input(path, overrides=("lr_scheduler.interval=step",))
    assert source.budget.updates == 50 and source.spec.steps == 50


def test_torch_error_is_located_in_the_config(tmp_path):
    path = _write(tmp_path, """
trainer: {max_steps: 50}
optimizer: {class_path: torch.optim.SGD, init_args: {lr: 0.1}}
lr_scheduler:
  class_path: torch.optim.lr_scheduler.StepLR
  init_args: {step_sise: 1}
""")
    source = load_input(path, overrides=("lr_scheduler.interval=step",))
    with pytest.raises(SpecError) as exc:
        simulate(source.spec)
    assert exc.value.location.path == str(path) and exc.value.location.line == 6


def test_other_packages_need_allow_import(tmp_path):
    path = _write(tmp_path, """
trainer: {max_steps: 50}
optimizer: {class_path: torch.optim.SGD, init_args: {lr: 0.1}}
lr_scheduler:
  class_path: my_lib.schedules.WarmupCosine
""")
    with pytest.raises(ImportNotAllowedError) as exc:
        load_input(path)
    assert exc.value.location.line == 5 and "--allow-import my_lib" in exc.value.hint


def test_non_torch_optimizer_is_refused(tmp_path):
    path = _write(tmp_path, """
trainer: {max_steps: 50}
optimizer: {class_path: bitsandbytes.optim.AdamW8bit, init_args: {lr: 0.1}}
lr_scheduler: {class_path: torch.optim.lr_scheduler.StepLR, init_args: {step_size: 1}}
""")
    with pytest.raises(SpecError) as exc:
        load_input(path)
    assert exc.value.location.line == 3 and "torch.optim optimizers only" in exc.value.message


def test_two_processes_ddp_equal_lrplot_with_devices_2(tmp_path):
    """A real 2-process CPU run (torchrun, gloo, strategy ddp), recorded by
    tests/data/distributed/regenerate.py (tests/helpers/distributed.py: the record fails this test when
    it was made with other versions, files or inputs): 11 examples over 2 ranks is 6 per rank
    (DistributedSampler rounds up), 3 batches of 2, 2 updates per epoch with accumulation 2."""
    from tests.helpers.distributed import LIGHTNING_CONFIG, recorded

    used = recorded("lightning_ddp")  # the lr rank 0 (== rank 1) used before every update
    path = _write(tmp_path, LIGHTNING_CONFIG)
    source = load_input(path, inputs=BudgetInputs(dataset_size=11), overrides=_overrides(("step", 1)))
    assert source.budget.updates == 6 == len(used)
    values = simulate(source.spec).schedules[0].values[(0, "lr")]
    assert [[v] for v in values] == used
