"""Hydra primary configs (a defaults list): lrplot's curve == a REAL @hydra.main app's run, `==`.

The reference is tests/helpers/hydra_app.py run in a child process over a config tree shaped like
lightning-hydra-template (train.yaml's defaults -> data/, model/, trainer/, paths/): Hydra composes
it (with the case's command-line overrides), the module's configure_optimizers instantiates the
optimizer and scheduler partials, a Lightning Trainer instantiated from the composed ``trainer``
fits it, and a step pre-hook records every group's lr before each update. lrplot reads the same
train.yaml with the same overrides given as ``--set``.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

pytest.importorskip("hydra")

from lrplot.engine import simulate  # noqa: E402
from lrplot.sources import BudgetInputs, detect, load_document, load_input  # noqa: E402
from tests.helpers import forked  # noqa: E402
from tests.helpers.installed import installed  # noqa: E402
from tests.helpers.paths import ROOT  # noqa: E402

DATASET_SIZE = 10

TREE = {
    "train.yaml": """\
# @package _global_
defaults:
  - _self_
  - data: tiny
  - model: mnist
  - paths: default
  - trainer: default

task_name: train
seed: null
""",
    "data/tiny.yaml": """\
_target_: src.data.mnist_datamodule.MNISTDataModule
data_dir: ${paths.data_dir}
batch_size: 3
num_workers: 0
""",
    "model/mnist.yaml": """\
_target_: src.models.mnist_module.MNISTLitModule

optimizer:
  _target_: torch.optim.Adam
  _partial_: true
  lr: 0.001
  weight_decay: 0.0

scheduler:
  _target_: torch.optim.lr_scheduler.StepLR
  _partial_: true
  step_size: 2
  gamma: 0.5

compile: false
""",
    "model/other.yaml": """\
_target_: src.models.mnist_module.MNISTLitModule
optimizer: {_target_: torch.optim.SGD, _partial_: true, lr: 0.1, momentum: 0.9}
lr_scheduler:
  scheduler:
    _target_: torch.optim.lr_scheduler.SequentialLR
    _partial_: true
    milestones: [3]
    schedulers:
      - {_target_: torch.optim.lr_scheduler.LinearLR, _partial_: true, start_factor: 0.1, total_iters: 3}
      - {_target_: torch.optim.lr_scheduler.CosineAnnealingLR, _partial_: true, T_max: 9}
  interval: step
  frequency: 1
""",
    "paths/default.yaml": """\
data_dir: data/
output_dir: ${hydra:runtime.output_dir}
""",
    "trainer/default.yaml": """\
_target_: lightning.pytorch.trainer.Trainer
default_root_dir: ${paths.output_dir}
min_epochs: 1
max_epochs: 4
accelerator: cpu
devices: 1
check_val_every_n_epoch: 1
deterministic: false
""",
}


# the module model/*.yaml name: lightning-hydra-template's own (published copy, see
# tests/test_sources_hydra_published.py), whose configure_optimizers lrplot reads (never imports):
# interval 'epoch' for the bare scheduler, as tests/helpers/hydra_app.py steps it
TREE["src/models/mnist_module.py"] = (
    ROOT / "tests/data/published/lightning-hydra-template/src/models/mnist_module.py").read_text()


def write_tree(folder: Path) -> Path:
    for name, text in TREE.items():
        (folder / name).parent.mkdir(parents=True, exist_ok=True)
        (folder / name).write_text(text)
    return folder / "train.yaml"


# name -> the overrides, typed after `python train.py` and given to lrplot as --set
CASES = {
    "default": [],
    "value_overrides": ["model.optimizer.lr=0.01", "model.scheduler.gamma=0.1", "data.batch_size=4",
                        "trainer.max_epochs=3"],
    "group_switch_per_step": ["model=other"],
    "group_switch_accumulate": ["model=other", "trainer.max_epochs=3", "+trainer.accumulate_grad_batches=2"],
}


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    if not installed("lightning"):  # the app runs in a child process: nothing to import here
        pytest.skip("lightning is not installed")
    folder = tmp_path_factory.mktemp("hydra_app")
    config = write_tree(folder / "configs")
    argv = [["--config-path", str(config.parent), "--config-name", "train", *overrides,
             f"hydra.run.dir={folder / 'out' / name}", "hydra.output_subdir=null",
             "hydra/job_logging=disabled", "hydra/hydra_logging=disabled"]
            for name, overrides in CASES.items()]
    (folder / "cases.json").write_text(json.dumps(argv))
    out = folder / "recorded.json"
    # python -m tests.helpers.hydra_app in a child forked from a process that imported torch once
    # (tests/helpers/forked.py): the app's run is the reference here, not a cold start
    done = forked.run([out, DATASET_SIZE, folder / "cases.json"], module="tests.helpers.hydra_app", text=True,
                      cwd=folder, env={**os.environ, "PYTHONPATH": str(ROOT)}, timeout=600)
    assert done.returncode == 0, done.stderr[-3000:]
    return config, dict(zip(CASES, json.loads(out.read_text())))


@pytest.mark.slow
@pytest.mark.parametrize("name", list(CASES))
def test_equals_the_real_hydra_app_at_every_update(runs, name):
    config, recorded = runs
    source = load_input(config, overrides=CASES[name], inputs=BudgetInputs(dataset_size=DATASET_SIZE))
    assert source.kind == "hydra"
    trace = simulate(source.spec).schedules[0]
    assert source.budget.updates == len(recorded[name]) == trace.steps
    assert [[trace.values[(0, "lr")][t]] for t in range(trace.steps)] == recorded[name][:]
    assert len({r[0] for r in recorded[name]}) > 1  # the schedule moved


@pytest.mark.slow
def test_print_spec_of_a_composed_config_reloads_to_the_real_run(runs, cli, tmp_path):
    """--print-spec of train.yaml --set model=other (through the CLI) is a plain lrplot spec that
    draws exactly what the real app ran."""
    config, recorded = runs
    printed = cli(config, "--dataset-size", str(DATASET_SIZE), "--print-spec",
                  *[a for o in CASES["group_switch_accumulate"] for a in ("--set", o)])
    assert printed.exit_code == 0, printed.output
    spec_file = tmp_path / "printed.yaml"
    spec_file.write_text(printed.stdout)
    reloaded = load_input(spec_file)
    assert reloaded.kind == "lrplot"
    values = simulate(reloaded.spec).schedules[0].values[(0, "lr")]
    assert [[v] for v in values] == recorded["group_switch_accumulate"]


# --- fast: composition alone, no framework run ---------------------------------------------------

def test_detected_and_keys_located_in_the_group_file(tmp_path):
    config = write_tree(tmp_path)
    assert detect(load_document(config)) == "hydra"
    source = load_input(config, inputs=BudgetInputs(dataset_size=DATASET_SIZE))
    line = TREE["model/mnist.yaml"].splitlines().index("  step_size: 2") + 1
    where = source.spec.locate(("scheduler", "step_size"))
    assert (Path(where.path), where.line) == (tmp_path / "model" / "mnist.yaml", line)
    assert str(source.spec.locate(("optimizer", "lr"))) != str(where)
    overridden = load_input(config, overrides=["model.scheduler.step_size=3"],
                            inputs=BudgetInputs(dataset_size=DATASET_SIZE))
    assert str(overridden.spec.locate(("scheduler", "step_size"))) == "--set model.scheduler.step_size"


def test_unresolvable_interpolation_in_a_group_file_is_located_there(tmp_path):
    config = write_tree(tmp_path)
    model = tmp_path / "model" / "mnist.yaml"
    model.write_text(TREE["model/mnist.yaml"].replace("step_size: 2", "step_size: ${trainer.max_epoch}"))
    from lrplot.errors import SpecError

    with pytest.raises(SpecError) as exc:
        load_input(config, inputs=BudgetInputs(dataset_size=DATASET_SIZE))
    assert exc.value.location.path == str(model)
    assert model.read_text().splitlines()[exc.value.location.line - 1] == "  step_size: ${trainer.max_epoch}"


@pytest.mark.parametrize("data", [
    {"defaults": ["_self_", {"model": "mnist"}], "x": 1},
    {"defaults": [{"override hydra/launcher": "basic"}, {"optional db@x": None}, "base"]},
])
def test_hydra_defaults_lists_are_primary_configs(data):
    from lrplot.sources.hydra_compose import is_primary

    assert is_primary(data)


@pytest.mark.parametrize("data", [
    {"defaults": []}, {"defaults": {"lr": 0.1}}, {"defaults": [{"lr": 0.1}]}, {"defaults": [1, 2]},
    {"defaults": [{"a": 1, "b": 2}]}, {"defaults": ["has space"]}, {"steps": 10, "defaults": None},
])
def test_other_defaults_are_not_primary_configs(data):
    from lrplot.sources.hydra_compose import is_primary

    assert not is_primary(data)


# --- errors through the CLI: exit code and the one line ---------------------------------------------

@pytest.mark.slow
def test_cli_errors_are_one_located_line(tmp_path, cli, monkeypatch):
    """The CLI in this process (the exit code and stderr are what the command gives; what only a child
    process shows, hydra-core absent, is the next test's)."""
    monkeypatch.delenv("LRPLOT_ALLOW_IMPORT", raising=False)
    config = write_tree(tmp_path)
    config.write_text(TREE["train.yaml"].replace("model: mnist", "model: mnsit"))
    done = cli("train.yaml", "--dataset-size", "10", "-o", "x.png")
    line = TREE["train.yaml"].splitlines().index("  - model: mnist") + 1
    assert done.exit_code == 1 and done.stderr.count("\n") == 1
    assert done.stderr == (f"train.yaml:{line}:12: config group 'model' has no option 'mnsit' (options: mnist, "
                           "other); did you mean 'mnist'?\n")
    config.write_text(TREE["train.yaml"])
    done = cli("train.yaml", "--dataset-size", "10", "-o", "x.png", "--set", "model=othr")
    assert done.exit_code == 1
    assert done.stderr == ("--set model: config group 'model' has no option 'othr' (options: mnist, other); "
                           "did you mean 'other'?\n")
    done = cli("train.yaml", "--dataset-size", "10", "-o", "x.png", "--set", "model.optimizer.betas=1")
    assert done.exit_code == 1
    assert done.stderr == ("--set model.optimizer.betas: Hydra cannot compose it: Could not override "
                           "'model.optimizer.betas'; To append to your config use +model.optimizer.betas=1\n")
    config.write_text(TREE["train.yaml"] + "hydra:\n  searchpath:\n    - pkg://my_project.configs\n")
    done = cli("train.yaml", "--dataset-size", "10", "-o", "x.png")
    assert done.exit_code == 1 and done.stderr.count("\n") == 1
    assert done.stderr.startswith(f"train.yaml:{len(TREE['train.yaml'].splitlines()) + 3}:7: hydra.searchpath "
                                  "entry 'pkg://my_project.configs' imports the Python package")
    assert "--allow-import my_project.configs" in done.stderr
    assert not (tmp_path / "x.png").exists()


def test_hydra_core_absent_is_a_missing_library_one_line(tmp_path, monkeypatch):
    """omegaconf alone reads composed configs; a defaults list needs hydra-core."""
    from lrplot.errors import MissingLibraryError

    config = write_tree(tmp_path)
    monkeypatch.setitem(sys.modules, "hydra", None)  # import hydra -> ModuleNotFoundError
    with pytest.raises(MissingLibraryError) as exc:
        load_input(config, inputs=BudgetInputs(dataset_size=DATASET_SIZE))
    assert exc.value.package == "hydra-core"
    assert exc.value.location.line == 2 and "pip install hydra-core" in exc.value.hint


@pytest.mark.slow
def test_cli_without_hydra_core_says_what_to_install(tmp_path):
    write_tree(tmp_path)
    code = ("import runpy, sys; sys.modules['hydra'] = None; "  # hydra-core absent, omegaconf present
            "sys.argv = ['lrplot', 'train.yaml', '--dataset-size', '10', '-o', 'x.png']; "
            "runpy.run_module('lrplot', run_name='__main__', alter_sys=True)")
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, cwd=tmp_path,
                          timeout=120)
    assert done.returncode == 1 and done.stderr.count("\n") == 1, done.stderr
    assert done.stderr.startswith("train.yaml:2:1: this Hydra config has a defaults list, and composing it "
                                  "needs hydra-core")
    assert "pip install hydra-core" in done.stderr


@pytest.mark.parametrize("overrides", [[], ["model=cosine_per_step"], ["model.optimizer.lr=0.003",
                                                                         "+model.scheduler.interval=step"]])
def test_example_tree_reads_as_its_composed_config(tmp_path, overrides, monkeypatch):
    """examples/hydra: the primary config gives the same spec as the composed config Hydra writes
    for the same overrides (what `python train.py --cfg job ARGS` prints), read as before (the
    composed file elsewhere: its module's source found on PYTHONPATH)."""
    from hydra import compose, initialize_config_dir
    from omegaconf import OmegaConf

    monkeypatch.setenv("PYTHONPATH", str(ROOT / "examples" / "hydra"))
    config = ROOT / "examples" / "hydra" / "configs" / "train.yaml"
    with initialize_config_dir(config_dir=str(config.parent), version_base="1.3"):
        composed = tmp_path / "composed.yaml"
        composed.write_text(OmegaConf.to_yaml(compose(config_name="train", overrides=overrides)))
    inputs = BudgetInputs(dataset_size=55000)
    ours = load_input(config, overrides=overrides, inputs=inputs)
    reference = load_input(composed, inputs=inputs)
    assert ours.spec.model_dump() == reference.spec.model_dump()
    assert ours.budget == reference.budget and ours.budget.updates == 43000


def test_errors_in_group_files_are_located_in_them(tmp_path):
    from lrplot.errors import SpecError

    config = write_tree(tmp_path)
    model = tmp_path / "model" / "mnist.yaml"
    model.write_text("optimizer: [1\n")
    with pytest.raises(SpecError) as exc:
        load_input(config, inputs=BudgetInputs(dataset_size=DATASET_SIZE))
    assert str(exc.value.location) == f"{model}:2:1" and exc.value.message.startswith("not valid YAML")
    model.write_text(TREE["model/mnist.yaml"] + "defaults:\n  - _self_\n  - missing_base\n")
    with pytest.raises(SpecError) as exc:
        load_input(config, inputs=BudgetInputs(dataset_size=DATASET_SIZE))
    lines = model.read_text().splitlines()
    assert exc.value.location.path == str(model) and lines[exc.value.location.line - 1] == "  - missing_base"
    assert exc.value.message == "config group 'model' has no option 'missing_base' (options: mnist, other)"


def test_called_inside_a_hydra_app_leaves_the_apps_hydra_as_it_was(tmp_path):
    """lrplot as a library inside an initialized Hydra (an app plotting its own schedule)."""
    from hydra import compose, initialize_config_dir
    from hydra.core.global_hydra import GlobalHydra
    from hydra.version import VersionBase

    config = write_tree(tmp_path / "lrplot_tree")
    app = tmp_path / "app"
    app.mkdir()
    (app / "main.yaml").write_text("x: 1\n")
    with initialize_config_dir(config_dir=str(app), version_base="1.2"):
        before = (GlobalHydra.instance().hydra, VersionBase.instance().getbase())
        source = load_input(config, inputs=BudgetInputs(dataset_size=DATASET_SIZE))
        assert source.spec.optimizer.type == "Adam"
        assert (GlobalHydra.instance().hydra, VersionBase.instance().getbase()) == before
        assert compose(config_name="main").x == 1
    assert not GlobalHydra.instance().is_initialized()


@pytest.mark.slow  # imports torch and simulates
def test_keys_the_composition_lacks_are_added_with_hydras_plus(tmp_path):
    """The hints say '+key=value' (Hydra refuses to set a key the config lacks without it); given
    so, the run == a plain torch loop over the scheduler Hydra's instantiate builds from it."""
    import torch
    from hydra import compose, initialize_config_dir
    from hydra.utils import instantiate

    from lrplot.errors import SpecError

    (tmp_path / "model").mkdir()
    config = tmp_path / "train.yaml"
    config.write_text("defaults:\n  - _self_\n  - model: m\n")
    (tmp_path / "model" / "m.yaml").write_text(
        "optimizer: {_target_: torch.optim.SGD, _partial_: true, lr: 0.1}\n"
        "scheduler: {_target_: torch.optim.lr_scheduler.StepLR, _partial_: true, step_size: 3}\n")
    with pytest.raises(SpecError) as exc:
        load_input(config)
    assert "--set +trainer.max_steps=N" in exc.value.hint
    overrides = ["+trainer.max_steps=9", "+model.scheduler.interval=step"]
    values = simulate(load_input(config, overrides=overrides).spec).schedules[0].values[(0, "lr")]
    with initialize_config_dir(config_dir=str(tmp_path), version_base="1.3"):
        cfg = compose(config_name="train", overrides=overrides)
    optimizer = instantiate(cfg.model.optimizer)(params=[torch.nn.Parameter(torch.zeros(1))])
    node = {k: v for k, v in cfg.model.scheduler.items() if k != "interval"}
    scheduler = instantiate(node)(optimizer=optimizer)
    expected = []
    for _ in range(cfg.trainer.max_steps):
        expected.append(optimizer.param_groups[0]["lr"])
        optimizer.step()
        scheduler.step()
    assert list(values) == expected and len(set(expected)) == 3


def test_a_misspelt_override_key_gets_a_did_you_mean(tmp_path):
    from lrplot.errors import SpecError

    config = write_tree(tmp_path)
    with pytest.raises(SpecError) as exc:
        load_input(config, overrides=["model.optimzer.lr=0.1"], inputs=BudgetInputs(dataset_size=DATASET_SIZE))
    assert exc.value.format() == ("--set model.optimzer.lr: Hydra cannot compose it: Could not override "
                                  "'model.optimzer.lr'; did you mean 'model.optimizer.lr'?")


def test_pkg_search_path_refused_even_through_an_interpolation_and_allowed_by_name(tmp_path):
    from lrplot.errors import ImportNotAllowedError

    config = write_tree(tmp_path)
    config.write_text(TREE["train.yaml"] + "pkgs: {mine: 'pkg://my_pkg.conf'}\n"
                                           "hydra:\n  searchpath:\n    - ${pkgs.mine}\n")
    with pytest.raises(ImportNotAllowedError) as exc:
        load_input(config, inputs=BudgetInputs(dataset_size=DATASET_SIZE))
    assert exc.value.location.line == len(config.read_text().splitlines())
    assert "--allow-import my_pkg.conf" in exc.value.hint
    with pytest.raises(ImportNotAllowedError):
        load_input(config, overrides=["hydra.searchpath=[pkg://other_pkg]"], allow_import=["my_pkg"],
                   inputs=BudgetInputs(dataset_size=DATASET_SIZE))
    # allowed: Hydra may import it (here it does not exist, so Hydra skips that search path entry)
    source = load_input(config, allow_import=["my_pkg"], inputs=BudgetInputs(dataset_size=DATASET_SIZE))
    assert source.spec.optimizer.type == "Adam"


def test_a_config_only_in_hydras_config_store_is_a_clear_error(tmp_path):
    """Structured configs exist only when user code registered them (lrplot never runs it)."""
    from lrplot.errors import SpecError

    config = write_tree(tmp_path)
    config.write_text(TREE["train.yaml"].replace("  - _self_\n", "  - base_train_config\n  - _self_\n"))
    with pytest.raises(SpecError) as exc:
        load_input(config, inputs=BudgetInputs(dataset_size=DATASET_SIZE))
    assert config.read_text().splitlines()[exc.value.location.line - 1] == "  - base_train_config"
    assert exc.value.message == "Hydra found no config 'base_train_config' (no base_train_config.yaml beside train.yaml)"
    assert "ConfigStore" in exc.value.hint and "--cfg job" in exc.value.hint


BOMB = "\n".join(['a0: &a0 ["x", "x", "x", "x", "x", "x", "x", "x", "x", "x"]']
                 + [f"a{i}: &a{i} [{', '.join([f'*a{i - 1}'] * 10)}]" for i in range(1, 9)]) + "\n"


@pytest.mark.parametrize("where", ["model/mnist.yaml", "extra/model/bomb.yaml"])
@pytest.mark.timeout(60)  # a hang guard, far above the normal time
def test_a_file_hydra_would_never_finish_loading_is_refused_before_hydra_loads_it(tmp_path, where):
    """Hydra loads group files with PyYAML and copies them with OmegaConf, without lrplot's limits:
    ten levels of ten aliases (10^9 values) would never finish (the unguarded composition was still
    running after 30 s). Every file Hydra reads, in the config folder or a file:// search path, is
    checked as Hydra reaches it, and the refusal is located in the file."""
    from lrplot.errors import SpecError

    config = write_tree(tmp_path)
    overrides = []
    if where.startswith("extra/"):
        config.write_text(TREE["train.yaml"] + f"hydra:\n  searchpath:\n    - file://{tmp_path / 'extra'}\n")
        overrides = ["model=bomb"]
    (tmp_path / where).parent.mkdir(parents=True, exist_ok=True)
    text = (tmp_path / where).read_text() if (tmp_path / where).exists() else ""
    (tmp_path / where).write_text(text + BOMB)
    with pytest.raises(SpecError) as err:
        load_input(config, overrides=overrides, inputs=BudgetInputs(dataset_size=10))
    line = len(text.splitlines()) + 5  # a4, the first anchor over 100000 values
    assert err.value.format() == (f"{tmp_path / where}:{line}:5: the aliases (*name) and merge keys (<<) of this "
                                  "file expand to more than 100000 values; write the values out, or use fewer "
                                  "nested aliases")


def test_a_tree_with_modest_aliases_and_a_large_plain_file_still_composes(tmp_path):
    config = write_tree(tmp_path)
    (tmp_path / "model" / "mnist.yaml").write_text(
        TREE["model/mnist.yaml"] + "shared: &shared {a: 1, b: [1, 2, 3]}\nuses: [*shared, *shared]\n")
    (tmp_path / "data" / "classes.yaml").write_text(
        "classes:\n" + "".join(f"  - class_{i}\n" for i in range(30_000)))  # unused, big, linear
    source = load_input(config, inputs=BudgetInputs(dataset_size=10))
    assert source.kind == "hydra"
