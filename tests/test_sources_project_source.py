"""The stepping interval that lives in a project's code, read from its source without importing it
(lrplot/sources/project_source.py), as the LightningCLI reader uses it: a LightningCLI subclass's
configure_optimizers for a top-level lr_scheduler, the model class's for a scheduler in the model's
init_args; asked for in one line where the code does not say. The real-Lightning test runs
LightningCLI with the very configure_optimizers the project file holds and compares with ==."""

from __future__ import annotations

import textwrap

import pytest

from lrplot.errors import SpecError
from lrplot.sources import BudgetInputs, load_input

MODEL_CONFIG = """\
trainer: {max_epochs: 2}
model:
  class_path: proj.models.lit.LitModel
  init_args:
    optimizer: {class_path: torch.optim.SGD, init_args: {lr: 0.1}}
    scheduler: {class_path: torch.optim.lr_scheduler.ExponentialLR, init_args: {gamma: 0.9}}
data: {class_path: proj.data.Data, init_args: {batch_size: 2}}
"""

# the shapes of configure_optimizers seen in published projects (written here, not copied)
LITERAL_STEP = '''
from lightning import LightningModule

class Base(LightningModule):
    def configure_optimizers(self):
        optimizer = self.hparams.optimizer(self.parameters())
        scheduler = self.hparams.scheduler(optimizer)
        return {"optimizer": optimizer, "lr_scheduler": {"scheduler": scheduler, "interval": "step"}}

class LitModel(Base):
    def __init__(self, optimizer, scheduler):
        super().__init__()
        self.save_hyperparameters()
'''
HPARAM_DEFAULT = '''
from lightning import LightningModule

class LitModel(LightningModule):
    def __init__(self, optimizer=None, scheduler=None, scheduler_interval="step", scheduler_frequency: int = 1):
        super().__init__()
        self.save_hyperparameters()

    def configure_optimizers(self):
        optimizer = self.hparams.optimizer(params=self.parameters())
        scheduler = self.hparams.scheduler(optimizer=optimizer)
        return {
            "optimizer": optimizer,
            "lr_scheduler": {
                "scheduler": scheduler,
                "interval": self.hparams.scheduler_interval,
                "frequency": self.hparams.scheduler_frequency,
            },
        }
'''
BARE = '''
from lightning import LightningModule

class LitModel(LightningModule):
    def configure_optimizers(self):
        optimizer = self.hparams.optimizer(self.parameters())
        return [optimizer], [self.hparams.scheduler(optimizer)]
'''
DYNAMIC_CLI = '''
from lightning.pytorch.cli import LightningCLI

class ProjectCLI(LightningCLI):
    @staticmethod
    def configure_optimizers(lightning_module, optimizer, lr_scheduler=None):
        if lr_scheduler is None:
            return optimizer
        return [optimizer], [{"scheduler": lr_scheduler, "interval": lr_scheduler.interval}]
'''
STEP_CLI = '''
from lightning.pytorch.cli import LightningCLI

class DictCLI(LightningCLI):
    @staticmethod
    def configure_optimizers(lightning_module, optimizer, lr_scheduler=None):
        return {"optimizer": optimizer,
                "lr_scheduler": {"scheduler": lr_scheduler, "interval": "step", "frequency": 1}}
'''
CLI_CONFIG = """\
trainer: {max_epochs: 2}
model: {param_groups: 1}
data: {dataset_size: 10, batch_size: 3}
optimizer: {class_path: torch.optim.SGD, init_args: {lr: 0.1}}
lr_scheduler: {class_path: torch.optim.lr_scheduler.ExponentialLR, init_args: {gamma: 0.5}}
"""


def _project(tmp_path, module_text, config=MODEL_CONFIG, module="proj/models/lit.py"):
    tmp_path.mkdir(parents=True, exist_ok=True)
    (tmp_path / "pyproject.toml").write_text("[project]\nname = 'proj'\n")
    file = tmp_path / module
    file.parent.mkdir(parents=True, exist_ok=True)
    file.write_text(textwrap.dedent(module_text))
    (tmp_path / "configs").mkdir(exist_ok=True)
    path = tmp_path / "configs" / "fit.yaml"
    path.write_text(config)
    return path, file


def _line(file, text):
    return next(i for i, line in enumerate(file.read_text().splitlines(), 1) if text in line)


def test_literal_interval_in_a_base_class_is_read(tmp_path):
    path, file = _project(tmp_path, LITERAL_STEP)
    source = load_input(path, inputs=BudgetInputs(dataset_size=4))
    assert source.spec.scheduler.interval == "step"
    assert source.budget.updates == 4  # 2 batches x 2 epochs, stepped every update
    where = f"{file.resolve()}:{_line(file, 'interval')}"
    assert f"interval 'step' read from proj.models.lit.LitModel.configure_optimizers at {where}" in source.notes


def test_init_arg_interval_takes_the_config_value_else_the_init_default(tmp_path):
    path, file = _project(tmp_path, HPARAM_DEFAULT)
    where = f"{file.resolve()}:{_line(file, 'self.hparams.scheduler_interval')}"
    source = load_input(path, inputs=BudgetInputs(dataset_size=4))
    assert source.spec.scheduler.interval == "step"
    assert (f"interval 'step' read from proj.models.lit.LitModel.configure_optimizers at {where} "
            "('scheduler_interval' defaults to 'step')") in source.notes
    path.write_text(MODEL_CONFIG.replace("  init_args:\n", "  init_args:\n    scheduler_interval: epoch\n"))
    source = load_input(path, inputs=BudgetInputs(dataset_size=4))
    assert source.spec.scheduler.interval == "epoch"
    assert (f"interval 'epoch' read from proj.models.lit.LitModel.configure_optimizers at {where} "
            "(init argument 'scheduler_interval' is 'epoch')") in source.notes


def test_a_bare_scheduler_gets_lightnings_default(tmp_path):
    path, file = _project(tmp_path, BARE)
    source = load_input(path, inputs=BudgetInputs(dataset_size=4))
    assert source.spec.scheduler.interval == "epoch"
    where = f"{file.resolve()}:{_line(file, 'def configure_optimizers')}"
    assert (f"interval 'epoch': proj.models.lit.LitModel.configure_optimizers ({where}) returns the scheduler "
            "without an interval, so Lightning's default applies (LRSchedulerConfig.interval, "
            "lightning/pytorch/utilities/types.py:86)") in source.notes


def test_a_computed_interval_is_asked_for(tmp_path):
    path, file = _project(tmp_path, DYNAMIC_CLI, CLI_CONFIG, module="cli.py")
    with pytest.raises(SpecError) as exc:
        load_input(path, inputs=BudgetInputs(dataset_size=10))
    where = f"{file.resolve()}:{_line(file, 'lr_scheduler.interval')}"
    assert exc.value.message == (f"the scheduler's interval is computed in code ({where}: "
                                 "'lr_scheduler.interval' is neither a literal nor an init argument)")
    assert exc.value.hint == ("add --set lr_scheduler.interval=step or --set lr_scheduler.interval=epoch, "
                              "as your configure_optimizers returns it")
    source = load_input(path, inputs=BudgetInputs(dataset_size=10), overrides=("lr_scheduler.interval=step",))
    assert source.spec.scheduler.interval == "step"


def test_model_source_not_found_is_asked_for(tmp_path):
    path, _ = _project(tmp_path, LITERAL_STEP, module="elsewhere/lit.py")
    with pytest.raises(SpecError) as exc:
        load_input(path, inputs=BudgetInputs(dataset_size=4))
    assert exc.value.message == ("the interval of this scheduler is decided by proj.models.lit.LitModel's "
                                 "configure_optimizers, whose source is not found on the config's project tree "
                                 "or PYTHONPATH")
    assert exc.value.location.line == 3


def test_pythonpath_is_searched(tmp_path, monkeypatch):
    path, _ = _project(tmp_path / "a", "x = 1\n", module="other.py")  # the config's tree holds no proj package
    (tmp_path / "lib" / "proj" / "models").mkdir(parents=True)
    (tmp_path / "lib" / "proj" / "models" / "lit.py").write_text(LITERAL_STEP)
    monkeypatch.setenv("PYTHONPATH", str(tmp_path / "lib"))
    assert load_input(path, inputs=BudgetInputs(dataset_size=4)).spec.scheduler.interval == "step"


def test_stock_lightning_cli_keeps_its_epoch_default(tmp_path):
    path, _ = _project(tmp_path, "x = 1\n", CLI_CONFIG, module="other.py")
    source = load_input(path, inputs=BudgetInputs(dataset_size=10))
    assert source.spec.scheduler.interval == "epoch"
    assert any(n.startswith("LightningCLI steps the scheduler once per epoch: no LightningCLI subclass in the "
                            "project overrides configure_optimizers") and "lightning/pytorch/cli.py:682" in n
               for n in source.assumptions)


@pytest.mark.slow
def test_cli_subclass_interval_step_equals_a_real_lightning_cli_run(tmp_path):
    """Before: drawn per epoch (2 of 8 values equal). Now read from the project's CLI subclass,
    whose configure_optimizers is the one the real run uses."""
    pytest.importorskip("lightning")
    from lrplot.engine import simulate
    from tests.helpers.lightning_runs import dict_cli, run_cli

    path, _ = _project(tmp_path, STEP_CLI, CLI_CONFIG, module="cli.py")
    recorded, _ = run_cli(path, tmp_path, dict_cli("step", 1))
    source = load_input(path, inputs=BudgetInputs(dataset_size=10))
    trace = simulate(source.spec).schedules[0]
    assert source.budget.updates == len(recorded) == trace.steps == 8
    assert [[trace.values[(0, "lr")][t]] for t in range(trace.steps)] == recorded


def _lightning_ir(tmp_path):
    """webis-de/lightning-ir as published (tests/data/lightning_ir/SOURCE.md), laid out as in the repository."""
    from tests.helpers.paths import ROOT

    data = ROOT / "tests" / "data" / "lightning_ir"
    (tmp_path / "pyproject.toml").write_text("[project]\nname = 'lightning-ir'\n")
    (tmp_path / "lightning_ir" / "schedulers").mkdir(parents=True)
    (tmp_path / "configs" / "examples").mkdir(parents=True)
    (tmp_path / "lightning_ir" / "main.py").write_text((data / "main.py.txt").read_text())
    schedulers = tmp_path / "lightning_ir" / "schedulers" / "lr_schedulers.py"
    schedulers.write_text((data / "lr_schedulers.py.txt").read_text())
    config = tmp_path / "configs" / "examples" / "fine-tune.yaml"
    config.write_text((data / "fine-tune.yaml").read_text())
    return config, schedulers


WARMUP = "lightning_ir.schedulers.lr_schedulers.LinearLRSchedulerWithLinearWarmup"


def test_published_cli_subclass_reads_the_interval_its_scheduler_class_sets(tmp_path):
    """lightning-ir's CLI returns ``lr_scheduler.interval``; its warmup schedulers set
    ``self.interval = "step"`` in a base class's __init__: read as 'step', at that line."""
    from lrplot.sources.project_source import cli_interval

    config, schedulers = _lightning_ir(tmp_path)
    found = cli_interval(config, WARMUP)
    assert (found.value, found.where) == ("step", f"{schedulers.resolve()}:22")
    assert found.why == "the scheduler's interval, set by lightning_ir.schedulers.lr_schedulers.WarmupLRScheduler"


def test_published_cli_subclass_with_a_torch_scheduler_is_asked_for(tmp_path):
    """The published fine-tune.yaml with a torch scheduler given on the command line: the CLI
    subclass reads the scheduler's own ``interval``, which no torch scheduler has: asked."""
    config, _ = _lightning_ir(tmp_path)
    main = (tmp_path / "lightning_ir" / "main.py").resolve()
    line = _line(main, '"interval": lr_scheduler.interval')
    overrides = ("lr_scheduler={class_path: torch.optim.lr_scheduler.LinearLR, init_args: {total_iters: 10}}",)
    with pytest.raises(SpecError) as exc:
        load_input(config, overrides=overrides)
    assert exc.value.message == (f"the scheduler's interval is computed in code ({main}:{line}: "
                                 "'lr_scheduler.interval' is neither a literal nor an init argument)")
    source = load_input(config, overrides=overrides + ("lr_scheduler.interval=step",))
    assert source.spec.scheduler.interval == "step" and source.budget.updates == 100_000


PARAM_DEFAULT_CLI = '''
from lightning.pytorch.cli import LightningCLI

class ProjectCLI(LightningCLI):
    @staticmethod
    def configure_optimizers(lightning_module, optimizer, lr_scheduler=None, interval="step"):
        return {"optimizer": optimizer, "lr_scheduler": {"scheduler": lr_scheduler, "interval": interval}}
'''


@pytest.mark.slow
def test_a_cli_parameter_its_caller_never_passes_is_its_default_as_a_real_run_uses_it(tmp_path):
    """configure_optimizers(lightning_module, optimizer, lr_scheduler=None, interval="step"): LightningCLI
    passes the first three (lightning/pytorch/cli.py), so interval is "step". It was asked for ("'interval' is
    neither a literal nor an init argument"). Compared with a real LightningCLI run of that very class."""
    pytest.importorskip("lightning")
    from lrplot.engine import simulate
    from tests.helpers.lightning_runs import run_cli

    path, file = _project(tmp_path, PARAM_DEFAULT_CLI, CLI_CONFIG, module="cli.py")
    source = load_input(path, inputs=BudgetInputs(dataset_size=10))
    line = _line(file, '"interval": interval')
    where = f"{file.resolve()}:{line}"
    assert (f"interval 'step' read from the project's LightningCLI subclass's configure_optimizers at {where} "
            "(configure_optimizers' 'interval' defaults to 'step', and its caller never passes it)") in source.notes
    namespace: dict = {}
    exec(compile(file.read_text(), str(file), "exec"), namespace)  # the project's class, as its run imports it
    recorded, _ = run_cli(path, tmp_path, namespace["ProjectCLI"])
    trace = simulate(source.spec).schedules[0]
    assert source.budget.updates == len(recorded) == trace.steps == 8
    assert [[trace.values[(0, "lr")][t]] for t in range(trace.steps)] == recorded


@pytest.mark.parametrize("written", [
    "class DictCLI(LightningCLI):",
    "class DictCLI(\n    cli.LightningCLI,\n):",
    "class DictCLI(mixin(), LightningCLI, metaclass=type):",
])
def test_a_cli_subclass_is_found_however_its_class_statement_is_written(tmp_path, written):
    """Files that only mention LightningCLI are not parsed (the scan of lrplot's own tree is 25% faster):
    every way of writing the class statement is still read (interval "step", not Lightning's epoch)."""
    header = "from lightning.pytorch import cli\nfrom lightning.pytorch.cli import LightningCLI\nmixin = object\n"
    module = STEP_CLI.replace("from lightning.pytorch.cli import LightningCLI\n", header).replace(
        "class DictCLI(LightningCLI):", written)
    path, _ = _project(tmp_path, module, CLI_CONFIG, module="train.py")
    (tmp_path / "notes.py").write_text("# LightningCLI steps per epoch\nx = 'LightningCLI'\n")
    assert load_input(path, inputs=BudgetInputs(dataset_size=10)).spec.scheduler.interval == "step"


def _walked(top, skip):
    """The files the LightningCLI scan listed with os.walk before lrplot/sources/project_files.py."""
    import os

    out = []
    for folder, dirs, files in os.walk(top):
        dirs[:] = sorted(d for d in dirs if d not in skip and not d.startswith("."))
        out += [os.path.join(folder, name) for name in sorted(files) if name.endswith(".py")]
    return out


def test_the_scan_lists_the_files_os_walk_lists_in_its_order(tmp_path):
    import os

    from lrplot.sources.project_files import python_files
    from lrplot.sources.project_source import _SKIP_DIRS
    from tests.helpers.paths import ROOT

    for name in ("b.py", "a.py", "notes.txt", "pkg/z.py", "pkg/a/x.py", "pkg/B/y.py", "pkg/__pycache__/c.py",
                 ".hidden/h.py", "venv/v.py", "zz/deep/er/d.py", "pkg/a.py/inner.py"):
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text("x = 1\n")
    (tmp_path / "linked").symlink_to(tmp_path / "pkg", target_is_directory=True)  # listed, not entered
    (tmp_path / "pkg" / "link.py").symlink_to(tmp_path / "b.py")
    (tmp_path / "pkg" / "dangling.py").symlink_to(tmp_path / "missing.py")
    walked = _walked(str(tmp_path), _SKIP_DIRS)
    assert list(python_files(str(tmp_path), _SKIP_DIRS)) == walked
    assert [os.path.basename(path) for path in walked] == ["a.py", "b.py", "dangling.py", "link.py", "z.py", "y.py", "x.py",
                                            "inner.py", "d.py"]
    assert list(python_files(str(ROOT), _SKIP_DIRS)) == _walked(str(ROOT), _SKIP_DIRS)
    assert list(python_files(str(tmp_path / "missing"), _SKIP_DIRS)) == []
