"""The example framework configs, the CLI path and detection, without importing Lightning (fast).

The truth against real runs is in test_sources_lightning.py and test_sources_hydra.py (slow)."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from lrplot.engine import simulate
from lrplot.sources import BudgetInputs, load_input
from tests.helpers.paths import ROOT

FRAMEWORKS = ROOT / "configs" / "frameworks"


def _cli(*args, cwd=None):
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.run([sys.executable, "-m", "lrplot", *args], capture_output=True, text=True,
                          env=env, cwd=cwd, timeout=120)


def test_lightning_example_reads_as_the_cli_runs_it():
    source = load_input(FRAMEWORKS / "lightning_fit.yaml", inputs=BudgetInputs(dataset_size=50000))
    assert source.kind == "lightning"
    assert source.budget.updates == 391 * 30 and source.budget.updates_per_epoch == 391
    node = source.spec.scheduler
    assert node.type == "CosineAnnealingLR" and node.interval == "epoch"
    values = simulate(source.spec).schedules[0].values[(0, "lr")]
    assert len(set(values[:391])) == 1 and values[391] < values[0]  # one value per epoch


def test_hydra_example_reads_the_template_layout():
    source = load_input(FRAMEWORKS / "hydra_train.yaml", inputs=BudgetInputs(dataset_size=55000))
    assert source.kind == "hydra"
    assert source.budget.updates == 860 * 50
    assert source.spec.optimizer.type == "AdamW"
    assert [c.type for c in source.spec.scheduler.schedulers] == ["LinearLR", "CosineAnnealingLR"]


def test_devices_and_drop_last_in_the_budget():
    source = load_input(FRAMEWORKS / "lightning_fit.yaml", inputs=BudgetInputs(dataset_size=50000, devices=4),
                        overrides=("data.init_args.drop_last=true", "trainer.accumulate_grad_batches=3"))
    # DistributedSampler: ceil(50000 / 4) = 12500 per device; // 128 = 97 (drop_last); ceil(97 / 3) = 33
    assert source.budget.text == ("50000 examples / 4 devices = 12500 per device / 128 = 97 batches per epoch "
                                  "(rounded down, drop_last) / accumulation 3 = 33 updates per epoch, "
                                  "last window partial x 30 epochs = 990 updates")


@pytest.mark.slow
def test_print_spec_and_missing_dataset_size_through_the_cli(tmp_path, cli):  # in this process: no process property
    done = cli(str(FRAMEWORKS / "lightning_fit.yaml"), "--dataset-size", "50000", "--print-spec")
    assert done.exit_code == 0, done.stderr
    assert "# budget: 50000 examples / 128 = 391 batches per epoch" in done.stdout
    assert "interval: epoch" in done.stdout
    done = cli(str(FRAMEWORKS / "hydra_train.yaml"), "-o", str(tmp_path / "x.png"))
    assert done.exit_code == 1
    assert done.stderr.strip().count("\n") == 0 and "--dataset-size N" in done.stderr


@pytest.mark.parametrize("name", ["lightning_fit.yaml", "hydra_train.yaml"])
def test_detected_by_content(name):
    from lrplot.sources import detect, load_document

    assert detect(load_document(FRAMEWORKS / name)) == name.split("_")[0]


@pytest.mark.slow  # a child process
def test_reading_a_lightning_config_imports_no_framework():
    code = ("import sys; from lrplot.sources import load_input, BudgetInputs; "
            f"load_input({str(FRAMEWORKS / 'lightning_fit.yaml')!r}, inputs=BudgetInputs(dataset_size=10)); "
            "print(sorted(m for m in ('lightning', 'pytorch_lightning', 'omegaconf', 'hydra', 'jsonargparse') "
            "if m in sys.modules))")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          env={**os.environ, "PYTHONPATH": str(ROOT)}, timeout=120)
    assert done.stdout.strip() == "[]", done.stderr


def test_model_injected_optimizer_and_plateau(tmp_path):
    """The documented LightningCLI pattern where the model's __init__ takes the optimizer and
    scheduler (its own configure_optimizers builds them); LightningCLI's ReduceLROnPlateau."""
    path = tmp_path / "fit.yaml"
    path.write_text("""
trainer: {max_steps: 20}
model:
  class_path: my.Model
  init_args:
    optimizer: {class_path: torch.optim.Adam, init_args: {lr: 0.01}}
    scheduler:
      class_path: lightning.pytorch.cli.ReduceLROnPlateau
      init_args: {monitor: val_loss, patience: 1}
""")
    source = load_input(path, overrides=("model.init_args.scheduler.interval=step",))
    assert source.spec.optimizer.type == "Adam" and source.spec.scheduler.type == "ReduceLROnPlateau"
    assert "monitor" not in source.spec.scheduler.options
    assert any("not 'val_loss'" in n for n in source.notes)
    from lrplot.errors import SpecError

    with pytest.raises(SpecError) as exc:
        load_input(path)  # the model's configure_optimizers decides the interval, and its source is absent
    assert exc.value.message == ("the interval of this scheduler is decided by my.Model's configure_optimizers, "
                                 "whose source is not found on the config's project tree or PYTHONPATH")
    assert exc.value.hint == ("add --set model.init_args.scheduler.interval=step or --set "
                              "model.init_args.scheduler.interval=epoch, as your configure_optimizers returns it")
    assert exc.value.location.line == 4  # model.class_path


def test_primary_config_with_a_missing_group_folder_names_its_defaults_entry(tmp_path):
    """A defaults list is composed by Hydra now; a group without its folder is one line at its entry."""
    pytest.importorskip("hydra")
    from lrplot.errors import SpecError

    path = tmp_path / "train.yaml"
    path.write_text("defaults:\n  - model: mnist\n  - trainer: default\ntask_name: train\n"
                    "data: {_target_: src.data.X, batch_size: 4}\n")
    with pytest.raises(SpecError) as exc:
        load_input(path)
    group = exc.value.message.split("'")[1]
    assert group in ("model", "trainer") and exc.value.message.startswith(f"no config group '{group}'")
    line = path.read_text().splitlines()[exc.value.location.line - 1]
    assert line == f"  - {group}: {'mnist' if group == 'model' else 'default'}"


@pytest.mark.slow
def test_check_flags_onecycle_stepped_per_epoch_by_lightning_cli(cli):
    """The Lightning #5631 trap: OneCycleLR sized in updates, but LightningCLI steps it per epoch."""
    config = FRAMEWORKS / "lightning_fit.yaml"
    onecycle = ("--set", "lr_scheduler.class_path=torch.optim.lr_scheduler.OneCycleLR",
                "--set", "lr_scheduler.init_args={max_lr: 0.1, total_steps: 11730}")
    r = cli("check", config, "--dataset-size", "50000", *onecycle)
    assert "[no-anneal]" in r.output
    r = cli("check", config, "--dataset-size", "50000", *onecycle, "--set", "lr_scheduler.interval=step")
    assert "[no-anneal]" not in r.output and r.exit_code == 0
