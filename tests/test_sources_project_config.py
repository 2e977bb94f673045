"""The interval a LightningModule's configure_optimizers reads from its own config
(lrplot/sources/project_config.py): ``self.cfg.train.get('scheduler_interval', 'step')`` where ``cfg``
is an init argument, ``self.hparams.sched["interval"]``, ``self.hparams.get("scheduler_interval",
"epoch")``. The Hydra reader looks the keys up in the module's node (tests/test_sources_hydra_published.py,
flash-attention and fly); here the LightningCLI reader looks them up in ``model.init_args``, through the
same lookup, and the REAL LightningCLI (subclass mode: the config's class_path picks the model) run on
CPU with that very module file records the lr each update used (``optimizer.register_step_pre_hook``,
tests/helpers/lightning_runs.py): lrplot's curve ``==`` it at every update.
"""

from __future__ import annotations

import sys
import textwrap

import pytest

from lrplot.errors import SpecError
from lrplot.sources import BudgetInputs, load_input

# the shapes of configure_optimizers seen in published projects (written here, not copied): a config
# object kept from an init argument (flash-attention's and fly's SequenceModel), a dict init argument
# read through save_hyperparameters()
MODULE = '''
import torch
from lightning.pytorch.cli import LRSchedulerCallable, OptimizerCallable

from tests.helpers.lightning_runs import TinyModel


class CfgModel(TinyModel):
    def __init__(self, optimizer: OptimizerCallable, scheduler: LRSchedulerCallable, cfg: dict):
        super().__init__()
        self.make_optimizer = optimizer
        self.make_scheduler = scheduler
        self.cfg = cfg

    def configure_optimizers(self):
        optimizer = self.make_optimizer(self.parameters())
        return {"optimizer": optimizer,
                "lr_scheduler": {"scheduler": self.make_scheduler(optimizer),
                                 "interval": self.cfg["train"].get("scheduler_interval", "step")}}


class HparamsModel(TinyModel):
    def __init__(self, optimizer: OptimizerCallable, scheduler: LRSchedulerCallable, sched: dict):
        super().__init__()
        self.save_hyperparameters(ignore=["optimizer", "scheduler"])
        self.make_optimizer = optimizer
        self.make_scheduler = scheduler

    def configure_optimizers(self):
        optimizer = self.make_optimizer(self.parameters())
        return {"optimizer": optimizer,
                "lr_scheduler": {"scheduler": self.make_scheduler(optimizer),
                                 "interval": self.hparams.sched["interval"]}}


class GetModel(TinyModel):
    def __init__(self, optimizer: OptimizerCallable, scheduler: LRSchedulerCallable, scheduler_interval: str):
        super().__init__()
        self.save_hyperparameters(ignore=["optimizer", "scheduler"])
        self.make_optimizer = optimizer
        self.make_scheduler = scheduler

    def configure_optimizers(self):
        optimizer = self.make_optimizer(self.parameters())
        return {"optimizer": optimizer, "lr_scheduler": {"scheduler": self.make_scheduler(optimizer),
                                                         "interval": self.hparams.get("scheduler_interval", "epoch")}}
'''
CONFIG = """\
trainer: {{max_epochs: 2, devices: 1}}
model:
  class_path: proj.lit.{model}
  init_args:
    optimizer: {{class_path: torch.optim.SGD, init_args: {{lr: 0.1}}}}
    scheduler: {{class_path: torch.optim.lr_scheduler.ExponentialLR, init_args: {{gamma: 0.8}}}}
{args}data: {{class_path: tests.helpers.lightning_runs.TinyData, init_args: {{dataset_size: 10, batch_size: 3}}}}
"""
CASES = {  # name: (model, its init_args beside optimizer/scheduler, the interval, how it is read)
    "cfg.train.get, set to epoch": ("CfgModel", "cfg: {train: {scheduler_interval: epoch}}", "epoch", "cfg"),
    "cfg.train.get, the code's default": ("CfgModel", "cfg: {train: {seed: 1}}", "step", "default"),
    "hparams.sched['interval']": ("HparamsModel", "sched: {interval: step}", "step", "sched"),
    "hparams.get": ("GetModel", "scheduler_interval: step", "step", "get"),
}


def _project(tmp_path, case):
    model, args, _, _ = CASES[case]
    (tmp_path / "pyproject.toml").write_text("[project]\nname = 'proj'\n")
    (tmp_path / "proj").mkdir()
    (tmp_path / "proj" / "__init__.py").write_text("")
    module = tmp_path / "proj" / "lit.py"
    module.write_text(textwrap.dedent(MODULE))
    (tmp_path / "configs").mkdir()
    path = tmp_path / "configs" / "fit.yaml"
    path.write_text(CONFIG.format(model=model, args=f"    {args}\n"))
    return path, module


def _line(file, text):
    return next(i for i, line in enumerate(file.read_text().splitlines(), 1) if text in line)


@pytest.mark.parametrize("case", sorted(CASES))
def test_the_interval_read_from_the_models_config_is_followed(tmp_path, case):
    model, _, interval, how = CASES[case]
    path, module = _project(tmp_path, case)
    source = load_input(path, inputs=BudgetInputs(dataset_size=10))
    assert source.spec.scheduler.interval == interval
    reads = {"cfg": "self.cfg['train'].get('scheduler_interval', 'step')",
             "default": "self.cfg['train'].get('scheduler_interval', 'step')",
             "sched": "self.hparams.sched['interval']", "get": "self.hparams.get('scheduler_interval', 'epoch')"}
    key = {"cfg": "cfg.train.scheduler_interval", "default": "cfg.train.scheduler_interval",
           "sched": "sched.interval", "get": "scheduler_interval"}[how]
    where = f"{module.resolve()}:{_line(module, reads[how].split('(')[0].replace(chr(39), chr(34)))}"
    at = f"proj.lit.{model}.configure_optimizers at {where} reads '{reads[how]}'"
    if how == "default":
        note = (f"interval 'step': the config has no model.init_args.{key}, so the code's default applies ({at})")
    else:
        note = f"interval '{interval}' read from model.init_args.{key} ({at})"
    assert note in source.notes
    assert list(source.assumptions) == []  # the model's own init_args: nothing assumed


def test_a_config_read_the_config_does_not_hold_is_asked_for(tmp_path):
    path, module = _project(tmp_path, "cfg.train.get, set to epoch")
    module.write_text(module.read_text().replace('.get("scheduler_interval", "step")', '["scheduler_interval"]'))
    path.write_text(path.read_text().replace("scheduler_interval: epoch", "seed: 1"))
    with pytest.raises(SpecError) as exc:
        load_input(path, inputs=BudgetInputs(dataset_size=10))
    where = f"{module.resolve()}:{_line(module, 'self.cfg[')}"
    assert exc.value.message == ("the scheduler's interval is read in code from 'model.init_args.cfg.train."
                                 f"scheduler_interval' ({where}: 'self.cfg['train']['scheduler_interval']'), which "
                                 "the config does not hold")
    assert exc.value.hint == ("add --set model.init_args.cfg.train.scheduler_interval=step or --set "
                              "model.init_args.cfg.train.scheduler_interval=epoch")
    assert exc.value.location.line == 3  # model.class_path
    source = load_input(path, inputs=BudgetInputs(dataset_size=10),
                        overrides=("model.init_args.cfg.train.scheduler_interval=epoch",))
    assert source.spec.scheduler.interval == "epoch"


def test_a_bad_value_is_located_where_the_config_sets_it(tmp_path):
    path, _ = _project(tmp_path, "hparams.sched['interval']")
    path.write_text(path.read_text().replace("interval: step", "interval: steps"))
    with pytest.raises(SpecError) as exc:
        load_input(path, inputs=BudgetInputs(dataset_size=10))
    assert exc.value.message.startswith("'model.init_args.sched.interval' is 'steps', which proj.lit.HparamsModel"
                                        ".configure_optimizers")
    assert (exc.value.location.line, exc.value.location.col) == (7, 23)  # the value "steps"


@pytest.mark.slow  # the real LightningCLI
@pytest.mark.timeout(300)
def test_equals_a_real_lightning_cli_run_of_that_module(tmp_path, monkeypatch):
    """Before: 'the scheduler's interval is computed in code (...)' for every case. Each case's module
    and config run for real (2 epochs of 4 batches); the step and epoch cases must differ."""
    pytest.importorskip("lightning")
    from lrplot.engine import simulate
    from tests.helpers.lightning_runs import run_cli

    curves = {}
    for i, case in enumerate(sorted(CASES)):
        root = tmp_path / str(i)
        root.mkdir()
        path, _ = _project(root, case)
        monkeypatch.syspath_prepend(str(root))
        for name in [m for m in sys.modules if m == "proj" or m.startswith("proj.")]:
            monkeypatch.delitem(sys.modules, name)
        recorded, _ = run_cli(path, root, classes=False)
        trace = simulate(load_input(path, inputs=BudgetInputs(dataset_size=10)).spec).schedules[0]
        assert trace.steps == len(recorded) == 8
        assert [[v] for v in trace.values[(0, "lr")].tolist()] == recorded, case
        curves[CASES[case][2]] = recorded
    assert curves["step"] != curves["epoch"]
