"""A model init argument the scheduler's interval is read from, set by ``parser.link_arguments`` in the
project's LightningCLI subclass (lrplot/sources/project_links.py): neither the config nor
``fit --print_config`` holds the link's target (jsonargparse strips it), so before lrplot took the
model's ``__init__`` default ('epoch') or the code's ``.get`` default ('step') where the run used the
linked value. The link is followed to the source key the config sets, or asked for in one line.

The reference: the REAL LightningCLI subclass of that very module file, run on CPU in subclass mode
(tests/helpers/lightning_runs.py), recording the lr of every update with ``optimizer.register_step_pre_hook``;
lrplot's curve ``==`` it, and the step and epoch runs differ (so a wrong interval cannot pass).
"""

from __future__ import annotations

import contextlib
import io
import sys
import textwrap
import warnings

import pytest

from lrplot.errors import SpecError
from lrplot.sources import BudgetInputs, load_input

MODULE = '''
from lightning.pytorch.cli import LightningCLI, LRSchedulerCallable, OptimizerCallable

from tests.helpers.lightning_runs import TinyModel


class ArgModel(TinyModel):
    def __init__(self, optimizer: OptimizerCallable, scheduler: LRSchedulerCallable, scheduler_interval: str = "epoch"):
        super().__init__()
        self.save_hyperparameters(ignore=["optimizer", "scheduler"])
        self.make_optimizer = optimizer
        self.make_scheduler = scheduler

    def configure_optimizers(self):
        optimizer = self.make_optimizer(self.parameters())
        return {"optimizer": optimizer, "lr_scheduler": {"scheduler": self.make_scheduler(optimizer),
                                                         "interval": self.hparams.scheduler_interval}}


class CfgModel(TinyModel):
    def __init__(self, optimizer: OptimizerCallable, scheduler: LRSchedulerCallable, cfg: dict = None):
        super().__init__()
        self.make_optimizer = optimizer
        self.make_scheduler = scheduler
        self.cfg = cfg

    def configure_optimizers(self):
        optimizer = self.make_optimizer(self.parameters())
        return {"optimizer": optimizer,
                "lr_scheduler": {"scheduler": self.make_scheduler(optimizer),
                                 "interval": self.cfg["train"].get("scheduler_interval", "step")}}


class LinkCLI(LightningCLI):
    def add_arguments_to_parser(self, parser):
        parser.add_argument("--schedule.interval", default="epoch")
        parser.add_argument("--experiment", type=dict, default={})
        parser.link_arguments("schedule.interval", "model.init_args.scheduler_interval")
        parser.link_arguments("experiment", "model.init_args.cfg")
'''
CONFIG = """\
trainer: {{max_epochs: 2, devices: 1}}
{extra}model:
  class_path: proj.lit.{model}
  init_args:
    optimizer: {{class_path: torch.optim.SGD, init_args: {{lr: 0.1}}}}
    scheduler: {{class_path: torch.optim.lr_scheduler.ExponentialLR, init_args: {{gamma: 0.8}}}}
data: {{class_path: tests.helpers.lightning_runs.TinyData, init_args: {{dataset_size: 10, batch_size: 3}}}}
"""
CASES = {  # name: (model, the config's keys beside the CLI's, the interval the run uses, lrplot's before)
    "init argument linked, step": ("ArgModel", "schedule: {interval: step}\n", "step", "epoch"),
    "config read through a linked dict, epoch": (
        "CfgModel", "schedule: {interval: step}\nexperiment: {train: {scheduler_interval: epoch}}\n", "epoch", "step"),
}


def _project(root, model, extra):
    (root / "pyproject.toml").write_text("[project]\nname = 'proj'\n")
    (root / "proj").mkdir()
    (root / "proj" / "__init__.py").write_text("")
    module = root / "proj" / "lit.py"
    module.write_text(textwrap.dedent(MODULE))
    (root / "configs").mkdir()
    path = root / "configs" / "fit.yaml"
    path.write_text(CONFIG.format(model=model, extra=extra))
    return path, module


LINK_INTERVAL, LINK_DICT = 'link_arguments("schedule.interval"', 'link_arguments("experiment"'


def _line(file, text):
    return next(i for i, line in enumerate(file.read_text().splitlines(), 1) if text in line)


def test_a_linked_init_argument_is_read_from_the_links_source(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    path, module = _project(tmp_path, *CASES["init argument linked, step"][:2])
    source = load_input(path, inputs=BudgetInputs(dataset_size=10))
    assert source.spec.scheduler.interval == "step"
    assert (f"interval 'step' read from schedule.interval (proj.lit.ArgModel.configure_optimizers at proj/lit.py:"
            f"{_line(module, 'self.hparams.scheduler_interval')} returns init argument 'scheduler_interval'); "
            "model.init_args.scheduler_interval is linked from schedule.interval by parser.link_arguments at "
            f"proj/lit.py:{_line(module, LINK_INTERVAL)}") in source.notes
    assert list(source.assumptions) == []


def test_a_config_read_through_a_linked_dict_is_read_below_its_source(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    path, module = _project(tmp_path, *CASES["config read through a linked dict, epoch"][:2])
    source = load_input(path, inputs=BudgetInputs(dataset_size=10))
    assert source.spec.scheduler.interval == "epoch"
    where = f"proj/lit.py:{_line(module, 'self.cfg[')}"
    assert (f"interval 'epoch' read from experiment.train.scheduler_interval (proj.lit.CfgModel.configure_optimizers "
            f"at {where} reads 'self.cfg['train'].get('scheduler_interval', 'step')'); model.init_args.cfg is linked "
            f"from experiment by parser.link_arguments at proj/lit.py:{_line(module, LINK_DICT)}"
            ) in source.notes


def test_a_link_source_the_config_does_not_set_is_asked_for(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    path, module = _project(tmp_path, "ArgModel", "")
    with pytest.raises(SpecError) as exc:
        load_input(path, inputs=BudgetInputs(dataset_size=10))
    assert exc.value.message == (
        "the scheduler's interval is read from the model's init argument 'scheduler_interval' (proj/lit.py:"
        f"{_line(module, 'self.hparams.scheduler_interval')}), which parser.link_arguments at proj/lit.py:"
        f"{_line(module, LINK_INTERVAL)} sets from 'schedule.interval', which the config "
        "does not set")
    assert exc.value.hint == "add --set schedule.interval=step or --set schedule.interval=epoch"
    assert exc.value.location.line == 3  # model.class_path
    source = load_input(path, inputs=BudgetInputs(dataset_size=10), overrides=("schedule.interval=step",))
    assert source.spec.scheduler.interval == "step"


def test_a_link_through_a_compute_fn_is_asked_for_at_its_target(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    path, module = _project(tmp_path, *CASES["init argument linked, step"][:2])
    module.write_text(module.read_text().replace(
        '"model.init_args.scheduler_interval")', '"model.init_args.scheduler_interval", compute_fn=str.lower)'))
    with pytest.raises(SpecError) as exc:
        load_input(path, inputs=BudgetInputs(dataset_size=10))
    assert exc.value.message.endswith("and lrplot cannot follow that link: it computes the value from "
                                      "'schedule.interval' (str.lower)")
    assert exc.value.hint == ("add --set model.init_args.scheduler_interval=step or --set "
                              "model.init_args.scheduler_interval=epoch, as the link sets it")


@pytest.mark.slow  # the real LightningCLI
@pytest.mark.timeout(300)
def test_equals_a_real_lightning_cli_run_and_its_print_config(tmp_path, monkeypatch):
    """Each case's module, CLI subclass and config run for real (2 epochs of 4 batches); the config
    ``fit --print_config`` writes (no link target in it) reads the same."""
    pytest.importorskip("lightning")
    from lrplot.engine import simulate
    from tests.helpers.lightning_runs import run_cli

    curves = {}
    for i, case in enumerate(sorted(CASES)):
        model, extra, interval, before = CASES[case]
        root = tmp_path / str(i)
        root.mkdir()
        path, _ = _project(root, model, extra)
        monkeypatch.syspath_prepend(str(root))
        for name in [m for m in sys.modules if m == "proj" or m.startswith("proj.")]:
            monkeypatch.delitem(sys.modules, name)
        from proj.lit import LinkCLI

        recorded, _ = run_cli(path, root, cli_class=LinkCLI, classes=False)
        printed = root / "configs" / "printed.yaml"
        out = io.StringIO()
        with contextlib.redirect_stdout(out), pytest.raises(SystemExit), warnings.catch_warnings():
            warnings.simplefilter("ignore")
            LinkCLI(None, None, args=["fit", "--config", str(path), "--print_config"])
        printed.write_text(out.getvalue())
        assert "scheduler_interval" not in printed.read_text().split("model:")[1].split("data:")[0]
        for config in (path, printed):
            trace = simulate(load_input(config, inputs=BudgetInputs(dataset_size=10)).spec).schedules[0]
            assert trace.steps == len(recorded) == 8
            assert [[v] for v in trace.values[(0, "lr")].tolist()] == recorded, (case, config.name)
        curves[interval] = recorded
        assert before != interval  # what lrplot drew before: the other interval
    assert curves["step"] != curves["epoch"]
