"""torchtitan config functions (releases after 0.2.2, pytorch/torchtitan#2386): lrplot's curve equals
torchtitan's OWN schedulers, built from the config the function returns and stepped as its trainer steps
them, ``==`` at every update; without ``--allow-import`` nothing of the file runs.

The reference selects the function with torchtitan's own ``ConfigManager().parse_args(["--module", M,
"--config", NAME])`` (torchtitan 0.3.0, ``torchtitan/config/manager.py:34-46`` and ``_load_config``
:48-159: ``importlib.import_module(f"torchtitan.models.{M}.config_registry")``, ``config_fn()``) and
follows 0.3.0's ``torchtitan/trainer.py`` (pytorch/torchtitan at c537bca68d96cbedcee6c22cfd693dfecdb54752,
whose torchtitan/ files named here are byte-identical to the 0.3.0 wheel's):

* :549 ``self.optimizers = config.optimizer.build(model_parts=self.model_parts)`` and :554-557
  ``self.lr_schedulers = config.lr_scheduler.build(optimizers=self.optimizers,
  training_steps=config.training.steps)``;
* :1031-1032 ``while self.should_continue_training(): self.step += 1; ...`` (:1075-1076 ``self.step <
  self.config.training.steps``), in ``train_step`` :876 ``lr_metrics = self.lr_schedulers.get_metrics()``
  (the lr it logs for the step), then :948-949 ``self.optimizers.step(); self.lr_schedulers.step()``.

The published config functions are taken unedited from pytorch/torchtitan at
c537bca68d96cbedcee6c22cfd693dfecdb54752: torchtitan/models/llama3/config_registry.py (llama3_debugmodel,
llama3_8b, llama3_70b) and torchtitan/models/deepseek_v3/config_registry.py (deepseek_v3_16b), in
tests/data/torchtitan/registry/. Their relative imports (``from . import model_registry``) need their
package, so lrplot reads the installed torchtitan's copy of each, checked byte-identical to the committed
file first, as torchtitan itself imports them.

torchtitan after 0.2.2 cannot be installed beside the 0.2.2 the test extra pins; the tests that run it
skip unless it is the installed one (CI runs this module again with torchtitan 0.3.0 installed to a
separate folder, see .ci/run). The refusals need no torchtitan at all.
"""

from __future__ import annotations

import pytest

from lrplot.errors import ImportNotAllowedError, SpecError
from lrplot.sources import load_input

from tests.helpers.installed import release, torchtitan_registry
from tests.helpers.paths import ROOT

DATA = ROOT / "tests" / "data" / "torchtitan" / "registry"
LLAMA3 = torchtitan_registry("llama3")
DEEPSEEK = torchtitan_registry("deepseek_v3")
needs_release = pytest.mark.skipif(LLAMA3 is None or DEEPSEEK is None,
                                   reason="torchtitan after 0.2.2 (its config functions) is not installed")
PROJECT = """\
from torchtitan.components.optimizer import default_adamw, LRSchedulersContainer
from torchtitan.config import TrainingConfig
from torchtitan.trainer import Trainer


def my_run() -> Trainer.Config:
    return Trainer.Config(
        optimizer=default_adamw(lr=1e-3),
        lr_scheduler=LRSchedulersContainer.Config(warmup_steps=5, decay_ratio=0.5, decay_type="sqrt",
                                                  min_lr_factor=0.1),
        training=TrainingConfig(steps=30),
    )
"""


def trainer_loop(module: str, name: str, overrides: tuple[str, ...] = ()) -> tuple[list[float], list[float]]:
    """trainer.py's calls, as quoted above: (the lr each step's update uses, the lr train_step logs)."""
    import logging

    import torch
    from torchtitan.config import ConfigManager

    logging.disable(logging.WARNING)  # the published hf_assets_path is not here
    try:
        config = ConfigManager().parse_args(["--module", module, "--config", name, *overrides])
    finally:
        logging.disable(logging.NOTSET)
    optimizers = config.optimizer.build(model_parts=[torch.nn.Linear(2, 2), torch.nn.Linear(2, 2)])
    lr_schedulers = config.lr_scheduler.build(optimizers=optimizers, training_steps=config.training.steps)
    used, logged = [], []
    optimizers.optimizers[-1].register_step_pre_hook(lambda opt, args, kwargs: used.append(opt.param_groups[0]["lr"]))
    step = 0
    while step < config.training.steps:
        step += 1
        logged.append(lr_schedulers.get_metrics()["lr/AdamW"])
        optimizers.step()
        lr_schedulers.step()
    return used, logged


def drawn(path, overrides=(), allow="torchtitan"):
    from lrplot.engine import simulate

    source = load_input(path, overrides=overrides, allow_import=[allow])
    return source, simulate(source.spec).schedules[0].values[(0, "lr")].tolist()


@needs_release
def test_the_installed_config_registries_are_the_published_files():
    assert LLAMA3.read_bytes() == (DATA / "llama3_config_registry.py").read_bytes()
    assert DEEPSEEK.read_bytes() == (DATA / "deepseek_v3_config_registry.py").read_bytes()


@needs_release
@pytest.mark.slow
@pytest.mark.parametrize("module, name, updates", [
    ("llama3", "llama3_debugmodel", 10), ("llama3", "llama3_8b", 1000), ("llama3", "llama3_70b", 1000),
    ("deepseek_v3", "deepseek_v3_16b", 1000)])
def test_published_config_functions_equal_the_trainer(module, name, updates):
    source, lr = drawn(torchtitan_registry(module), [f"config={name}"])
    used, logged = trainer_loop(module, name)
    assert source.kind == "torchtitan-registry" and source.budget.updates == updates == len(lr)
    assert lr == used == logged


@needs_release
@pytest.mark.slow
def test_set_changes_the_config_as_torchtitans_command_line_does():
    source, lr = drawn(LLAMA3, ["config=llama3_debugmodel", "lr_scheduler.warmup_steps=20", "training.steps=12"])
    used, _ = trainer_loop("llama3", "llama3_debugmodel", ("--lr_scheduler.warmup_steps", "20",
                                                           "--training.steps", "12"))
    assert lr == used and len(lr) == 12
    cut = ["torchtitan: Warmup steps (20) exceed total steps (12). Adjusting warmup steps to 12.",
           "torchtitan: Warmup (12) + decay (10) steps exceed total steps (12). Adjusting decay steps to 0."]
    assert list(source.assumptions) == cut
    # what torchtitan logs while the function builds its config is said (not on stderr), assuming nothing
    assert list(source.notes) == ["torchtitan, building llama3_debugmodel()'s config: initial_load_model_only=True "
                                  "has no effect without an initial_load_path."] + cut


@needs_release
@pytest.mark.slow
def test_a_projects_own_config_file_is_read_by_its_path(tmp_path, monkeypatch):
    """A file on its own (absolute imports of torchtitan), allowed by its path; the reference is
    torchtitan's own selection of a fully qualified module (manager.py:125-141) from the same file."""
    path = tmp_path / "my_configs.py"
    path.write_text(PROJECT)
    source, lr = drawn(path, allow=str(path))
    monkeypatch.syspath_prepend(str(tmp_path))
    used, logged = trainer_loop("my_configs", "my_run")
    assert source.budget.text == ("my_run(): training.steps 30 = 30 updates (one lr_schedulers.step() per step); "
                                  "warmup_steps 5, decay_ratio 0.5, sqrt decay to min_lr_factor 0.1")
    assert lr == used == logged and lr[-1] > 1e-4


@needs_release
@pytest.mark.slow
def test_a_file_in_a_project_package_is_imported_under_its_package_name(tmp_path, monkeypatch):
    """Allowed by the package folder's path, the file runs as ``projconf.config_registry`` (its relative
    imports work), as torchtitan's --module projconf would import it (manager.py:129-141)."""
    (tmp_path / "projconf").mkdir()
    (tmp_path / "projconf" / "__init__.py").write_text("")
    (tmp_path / "projconf" / "schedules.py").write_text("WARMUP = 7\n")
    path = tmp_path / "projconf" / "config_registry.py"
    path.write_text("from .schedules import WARMUP\n" + PROJECT.replace("warmup_steps=5", "warmup_steps=WARMUP"))
    monkeypatch.chdir(tmp_path)
    source, lr = drawn(path, allow="./projconf")
    monkeypatch.syspath_prepend(str(tmp_path))
    used, _ = trainer_loop("projconf", "my_run")
    assert "warmup_steps 7" in source.budget.text and lr == used


@needs_release
@pytest.mark.slow
def test_what_lrplot_cannot_draw_is_refused_in_one_line(tmp_path):
    path = tmp_path / "configs.py"
    path.write_text(PROJECT + "\n\nclass Mine(LRSchedulersContainer):\n    @dataclass(kw_only=True, slots=True)\n"
                    "    class Config(LRSchedulersContainer.Config):\n        pass\n\n\n"
                    "def custom() -> Trainer.Config:\n    config = my_run()\n"
                    "    config.lr_scheduler = Mine.Config()\n    return config\n\n\n"
                    "def missing() -> Trainer.Config:\n    return object()\n\n\n"
                    "def broken() -> Trainer.Config:\n    return Trainer.Config(no_such_field=1)\n")
    path.write_text("from dataclasses import dataclass\n" + path.read_text())
    lines = path.read_text().splitlines()
    at = {name: lines.index(f"def {name}() -> Trainer.Config:") + 1 for name in ("custom", "missing", "broken")}
    messages = {}
    for name in at:
        with pytest.raises(SpecError) as err:
            load_input(path, overrides=[f"config={name}"], allow_import=[str(path)])
        messages[name] = err.value.format()
    for item in ("lr_scheduler.warmup=3", "~lr_scheduler.decay_ratio"):
        with pytest.raises(SpecError) as err:
            load_input(path, overrides=["config=my_run", item], allow_import=[str(path)])
        messages[item] = err.value.format()
    assert messages == {
        "custom": f"{path}:{at['custom']}:1: custom() configures its lr_scheduler with Mine.Config of configs.py, not "
                  "torchtitan's LRSchedulersContainer.Config; lrplot draws torchtitan's own schedule only; describe "
                  "that schedule as an lrplot spec",
        "missing": f"{path}:{at['missing']}:1: missing() returned object without lr_scheduler; lrplot reads a "
                   "torchtitan Trainer.Config's lr_scheduler, training.steps and optimizer; return the Trainer.Config "
                   "torchtitan would train with",
        "broken": f"{path}:{at['broken'] + 1}: calling broken() failed: TypeError: Trainer.Config.__init__() got an "
                  "unexpected keyword argument 'no_such_field'; torchtitan's own call of it would fail the same way "
                  "(--debug shows the traceback)",
        "lr_scheduler.warmup=3": f"{path}:7:1: --set lr_scheduler.warmup: lrplot changes only "
                                 "lr_scheduler.warmup_steps, lr_scheduler.total_steps, lr_scheduler.decay_ratio, "
                                 "lr_scheduler.decay_type, lr_scheduler.min_lr_factor, training.steps, optimizer.lr of "
                                 "a torchtitan config; did you mean 'lr_scheduler.warmup_steps'?",
        "~lr_scheduler.decay_ratio": f"{path}:7:1: --set ~lr_scheduler.decay_ratio: a torchtitan config's fields "
                                     "cannot be deleted, only set; --set lr_scheduler.decay_ratio=VALUE",
    }


@pytest.fixture
def project(tmp_path):
    path = tmp_path / "config_registry.py"
    path.write_text(PROJECT + "\n\ndef other() -> Trainer.Config:\n    return my_run()\n\n\ndef plain():\n"
                    "    return my_run()\n")
    return path


def test_is_recognised_by_content(project):
    from lrplot.sources import detect, load_document

    assert detect(load_document(project)) == "torchtitan-registry"
    assert detect(load_document(DATA / "llama3_config_registry.py")) == "torchtitan-registry"


def test_without_the_allowance_nothing_runs(project, monkeypatch):
    """The refusal comes before any import: torchtitan is not even looked up."""
    import importlib.metadata

    def tripwire(*args, **kwargs):
        raise AssertionError("looked up torchtitan before the allowance was checked")

    monkeypatch.setattr(importlib.metadata, "version", tripwire)
    with pytest.raises(ImportNotAllowedError) as err:
        load_input(project, overrides=["config=my_run"])
    assert err.value.format() == (
        f"{project}:6:1: a torchtitan config function is code: reading my_run() runs this file, and lrplot runs "
        f"no code it was not allowed to; if you trust it, add --allow-import {project} (or set "
        f"LRPLOT_ALLOW_IMPORT={project})")


def test_a_file_in_a_package_is_allowed_by_its_package(tmp_path):
    (tmp_path / "mypkg").mkdir()
    (tmp_path / "mypkg" / "__init__.py").write_text("")
    path = tmp_path / "mypkg" / "config_registry.py"
    path.write_text(PROJECT)
    with pytest.raises(ImportNotAllowedError) as err:
        load_input(path)
    assert err.value.format() == (
        f"{path}:6:1: a torchtitan config function is code: reading my_run() runs the package 'mypkg', and lrplot "
        "runs no code it was not allowed to; if you trust it, add --allow-import mypkg (or set "
        "LRPLOT_ALLOW_IMPORT=mypkg)")


@pytest.mark.parametrize("sets, message", [
    ((), "2 torchtitan config functions here (my_run, other); torchtitan runs the one its --config names; "
         "choose one: --set config=NAME"),
    (("config=my_rum",), "no config function 'my_rum' here (torchtitan would fail: Config function not found); "
                         "did you mean 'my_run'?"),
])
def test_the_function_is_chosen_as_torchtitans_config_flag_chooses_it(project, sets, message):
    with pytest.raises(SpecError) as err:
        load_input(project, overrides=sets, allow_import=[str(project)])
    assert err.value.format() == f"{project}: {message}"


@needs_release
@pytest.mark.slow
def test_a_function_without_annotation_is_read_when_named(project):
    """torchtitan calls whatever callable its --config names (manager.py:144-158); the annotation only
    says which functions a file offers when none is named."""
    assert drawn(project, ["config=plain"], allow=str(project))[1] == drawn(project, ["config=my_run"],
                                                                            allow=str(project))[1]


@pytest.mark.skipif(release("torchtitan") is None or release("torchtitan") > (0, 2, 2),
                    reason="needs torchtitan 0.2.2 or earlier installed")
def test_an_older_torchtitan_is_named_before_the_file_runs(project):
    with pytest.raises(SpecError) as err:
        load_input(project, overrides=["config=other"], allow_import=[str(project)])
    assert err.value.format() == (
        f"{project}:15:1: a torchtitan config function (Trainer.Config, since pytorch/torchtitan#2386) needs "
        "torchtitan after 0.2.2; 0.2.2 is installed, which reads TOML job configs; pip install 'torchtitan>=0.3.0'")
