"""LightningCLI config shapes beyond --print_config's (lrplot/sources/lightning_config.py,
project_cli.py, composed.py), on configs published in public repositories (tests/data/published/
lightning/SOURCE.md): each is drawn == a REAL LightningCLI run on CPU, or refused/asked in one line.

The real run gets the published file's ``optimizer:`` and ``lr_scheduler:`` sections as their
verbatim text (the model, data and hardware keys name classes of the projects that do not run
here), a ``trainer.max_epochs`` that both sides are given (``--set``; fewer epochs than published,
past every milestone and T_max, to keep the runs cheap), a tiny dataset of two batches an epoch (so per-epoch
and per-update stepping differ), and, for a fixed-class section, a LightningCLI subclass making the
same ``add_optimizer_args`` / ``add_lr_scheduler_args`` calls as the project's CLI file. The lr of
every update is recorded with ``optimizer.register_step_pre_hook`` (tests/helpers/lightning_runs.py).
"""

from __future__ import annotations

import re

import pytest

from tests.helpers.installed import require

require("lightning", "jsonargparse")

from lrplot.engine import simulate  # noqa: E402
from lrplot.errors import SpecError, UsageError  # noqa: E402
from lrplot.sources import BudgetInputs, load_input  # noqa: E402
from tests.helpers.paths import ROOT  # noqa: E402

DATA = ROOT / "tests" / "data" / "published" / "lightning"
TU = "ENSTA-U2IS-AI/torch-uncertainty@2685fb517f8fbc320f96f554a09c779d4103e537"
TERRATORCH = "IBM/terratorch@85467a9fbbaf567e7ce4541758c09a548a7bace5"
TGCN = "mamintoosi/TGCN-GSL-PyTorch@dac89785f47968d4aaf1d728b6ec6556d9874e1e"


def _blocks(text: str, keys: tuple[str, ...]) -> str:
    """The top-level ``key:`` blocks of a YAML text, verbatim."""
    out, keep = [], False
    for line in text.splitlines():
        if line and not line[0].isspace() and not line.startswith("#"):
            keep = line.split(":")[0] in keys
        if keep:
            out.append(line)
    return "\n".join(out) + "\n"


def _torch_uncertainty(tmp_path, experiment: str):
    """A torch-uncertainty experiment laid out as in the repository (its CLI files as .py)."""
    top = tmp_path / "tu"
    folder = top / "experiments" / "classification" / experiment
    (folder / "configs" / "resnet18").mkdir(parents=True)
    (top / "pyproject.toml").write_text("[project]\nname = 'torch-uncertainty'\n")
    for cli in (DATA / "torch-uncertainty" / experiment).glob("*.py.txt"):
        (folder / cli.name[:-4]).write_text(cli.read_text())
    config = folder / "configs" / "resnet18" / "standard.yaml"
    config.write_text((DATA / "torch-uncertainty" / experiment / "configs" / "resnet18" / "standard.yaml").read_text())
    return config


def _fixed_cli(optimizer: str, scheduler: str):
    """A LightningCLI subclass making the calls the project's CLI file makes (resnet.py:12-13)."""
    import torch
    from lightning.pytorch.cli import LightningCLI

    optimizer_class = getattr(torch.optim, optimizer)
    scheduler_class = getattr(torch.optim.lr_scheduler, scheduler)

    class FixedCLI(LightningCLI):
        def add_arguments_to_parser(self, parser):
            parser.add_optimizer_args(optimizer_class)
            parser.add_lr_scheduler_args(scheduler_class)

    return FixedCLI


def _real(tmp_path, name, published_text, epochs, size, batch, cli=None, nest=False):
    from tests.helpers.lightning_runs import run_cli

    sections = _blocks(published_text, ("optimizer", "lr_scheduler"))
    body = f"trainer: {{max_epochs: {epochs}}}\ndata: {{dataset_size: {size}, batch_size: {batch}}}\n" + sections
    if nest:
        body = "fit:\n" + "".join(f"  {line}\n" for line in body.splitlines())
    folder = tmp_path / name
    folder.mkdir()
    path = folder / "run.yaml"
    path.write_text(body)
    return run_cli(path, folder, cli, top_level=nest)[0]


@pytest.fixture(scope="module")
def real(tmp_path_factory):
    """The real LightningCLI runs, once per module (importing Lightning takes seconds)."""
    tmp = tmp_path_factory.mktemp("real")
    tu = DATA / "torch-uncertainty"
    forestnet = (DATA / "terratorch" / "forestnet_timm.yaml").read_text()
    substation = (DATA / "terratorch" / "object_detection_substation_resnet50.yaml").read_text()
    return {
        # tiny-imagenet/resnet.py:12-13 fixes SGD and CosineAnnealingLR (T_max 200); 30 epochs of 2 batches (256 + 255)
        "tiny": _real(tmp, "tiny", (tu / "tiny-imagenet/configs/resnet18/standard.yaml").read_text(), 30, 511, 256,
                      _fixed_cli("SGD", "CosineAnnealingLR")),
        # cifar10/resnet.py:12-13: SGD and MultiStepLR (milestones 25, 50); 55 epochs of 2 batches (128 + 1)
        "cifar": _real(tmp, "cifar", (tu / "cifar10/configs/resnet18/standard.yaml").read_text(), 55, 129, 128,
                       _fixed_cli("SGD", "MultiStepLR")),
        # the stock LightningCLI resolves 'CosineAnnealingLR' itself; batch_size 16 as published
        "forestnet": _real(tmp, "forestnet", forestnet, 30, 31, 16),  # T_max 20: down and up again
        "substation": _real(tmp, "substation", substation, 10, 7, 4),
        # the same sections in a fit: section given to the CLI's top-level --config
        "forestnet_fit": _real(tmp, "forestnet_fit", forestnet, 30, 31, 16, nest=True),
    }


def _lrplot(path, size, *overrides, batch=None, epochs=None, key="trainer.max_epochs"):
    overrides += (f"{key}={epochs}",) if epochs else ()
    source = load_input(path, inputs=BudgetInputs(dataset_size=size, batch_size=batch), overrides=overrides)
    trace = simulate(source.spec).schedules[0]
    return source, [[trace.values[(0, "lr")][t]] for t in range(trace.steps)]


# --- fixed-class sections (parser.add_optimizer_args(...)) --------------------------------------

@pytest.mark.slow
def test_fixed_class_read_from_the_projects_cli_equals_real_lightning(real, tmp_path):
    """torch-uncertainty experiments/classification/tiny-imagenet/configs/resnet18/standard.yaml
    (TU): 'optimizer: {lr: 0.2, ...}', no class_path; its resnet.py fixes SGD and CosineAnnealingLR."""
    config = _torch_uncertainty(tmp_path, "tiny-imagenet")
    source, ours = _lrplot(config, 511, epochs=30)
    assert (source.spec.optimizer.type, source.spec.scheduler.type) == ("SGD", "CosineAnnealingLR")
    cli = config.resolve().parents[2] / "resnet.py"
    assert [n for n in source.notes if "fixed by" in n] == [
        f"optimizer class torch.optim.SGD: fixed by parser.add_optimizer_args at {cli}:12",
        f"lr_scheduler class torch.optim.lr_scheduler.CosineAnnealingLR: fixed by parser.add_lr_scheduler_args "
        f"at {cli}:13"]
    assert len(ours) == len(real["tiny"]) == 60
    assert ours == real["tiny"]


@pytest.mark.slow
def test_fixed_class_that_the_project_leaves_open_is_asked_then_equals_real_lightning(real, tmp_path, monkeypatch):
    """torch-uncertainty experiments/classification/cifar10/configs/resnet18/standard.yaml (TU): the
    folder's three CLIs fix SGD (resnet.py, wideresnet.py) and Adam (vgg.py): which runs it is the
    user's command, so lrplot asks; with the class set, == the real run."""
    config = _torch_uncertainty(tmp_path, "cifar10")
    monkeypatch.chdir(config.parents[2])
    with pytest.raises(SpecError) as exc:
        load_input(config, inputs=BudgetInputs(dataset_size=129))
    assert (exc.value.location.line, exc.value.location.col) == (35, 1)
    assert exc.value.message == (
        "'optimizer' has no class_path: a LightningCLI subclass fixes its class with parser.add_optimizer_args(...), "
        "and the project's CLI subclasses fix different classes (resnet.py:12: torch.optim.SGD, vgg.py:12: "
        "torch.optim.Adam, wideresnet.py:12: torch.optim.SGD)")
    assert exc.value.hint == ("add --set optimizer.class_path=CLASS, the class your CLI passes to add_optimizer_args "
                              "(e.g. torch.optim.SGD)")
    source, ours = _lrplot(config, 129, "optimizer.class_path=torch.optim.SGD", epochs=55)
    assert source.spec.optimizer.nesterov is True and source.spec.scheduler.milestones == [25, 50]
    assert len(ours) == len(real["cifar"]) == 110
    assert ours[49] == [0.05] and ours[50] != ours[49] and ours[100] != ours[99]  # epochs 25 and 50
    assert ours == real["cifar"]


def test_fixed_class_without_a_cli_in_the_project_is_asked(tmp_path):
    config = tmp_path / "standard.yaml"
    config.write_text((DATA / "torch-uncertainty/cifar10/configs/resnet18/standard.yaml").read_text())
    with pytest.raises(SpecError) as exc:
        load_input(config, inputs=BudgetInputs(dataset_size=129))
    assert exc.value.message == (
        "'optimizer' has no class_path: a LightningCLI subclass fixes its class with parser.add_optimizer_args(...), "
        "and no such call is in the project's source (the config's folder and its parents)")


# --- short class names ---------------------------------------------------------------------------

@pytest.mark.slow
@pytest.mark.parametrize("name, size, batch, epochs, key", [
    ("forestnet_timm.yaml", 31, None, 30, "forestnet"),                   # data batch_size 16
    ("object_detection_substation_resnet50.yaml", 7, 4, None, "substation"),  # no batch size in the file
])
def test_short_class_names_resolve_as_lightning_cli_does(real, name, size, batch, epochs, key):
    """terratorch examples/confs/<name> (TERRATORCH): 'class_path: CosineAnnealingLR'."""
    source, ours = _lrplot(DATA / "terratorch" / name, size, batch=batch, epochs=epochs)
    assert source.spec.scheduler.type == "CosineAnnealingLR" and source.spec.scheduler.interval == "epoch"
    assert len(ours) == len(real[key]) and ours == real[key]


def test_short_name_that_is_not_torchs_is_asked(tmp_path):
    path = tmp_path / "fit.yaml"
    path.write_text("trainer: {max_steps: 10}\noptimizer: {class_path: AdamW}\n"
                    "lr_scheduler: {class_path: WarmupCosine, init_args: {warmup: 2}}\n")
    with pytest.raises(SpecError) as exc:
        load_input(path)
    assert exc.value.message == ("short class name 'WarmupCosine': LightningCLI resolves it among the imported "
                                 "subclasses of the lr_scheduler base class, and it is none of torch's")
    assert exc.value.hint == "write its full dotted path (--set lr_scheduler.class_path=package.module.WarmupCosine)"
    assert exc.value.location.line == 3


def test_short_names_map_to_the_classes_lightning_cli_picks():
    """Checked against a real LightningCLI: ReduceLROnPlateau is Lightning's own subclass."""
    from lrplot.sources.lightning_config import full_name

    assert full_name("optimizer", "AdamW") == "torch.optim.AdamW"
    assert full_name("optimizer", "torch.optim.adamw.AdamW") == "torch.optim.AdamW"
    assert full_name("lr_scheduler", "CosineAnnealingLR") == "torch.optim.lr_scheduler.CosineAnnealingLR"
    assert full_name("lr_scheduler", "ReduceLROnPlateau") == "lightning.pytorch.cli.ReduceLROnPlateau"
    assert full_name("lr_scheduler", "AdamW") is None


@pytest.mark.slow
def test_short_names_as_the_real_cli_resolves_them(tmp_path, monkeypatch):
    import sys

    from lightning.pytorch.cli import LightningCLI

    from lrplot.sources.lightning_config import full_name
    from tests.helpers.lightning_runs import TinyData, TinyModel

    monkeypatch.setattr(sys, "argv", ["lightning"])
    for sched, arg in (("CosineAnnealingLR", "T_max=3"), ("ReduceLROnPlateau", "monitor=x"), ("StepLR", "step_size=2")):
        cli = LightningCLI(TinyModel, TinyData, run=False, args=[
            "--optimizer", "AdamW", "--lr_scheduler", sched, f"--lr_scheduler.{arg}",
            "--trainer.default_root_dir", str(tmp_path)])
        assert cli.config.optimizer.class_path == full_name("optimizer", "AdamW")
        assert cli.config.lr_scheduler.class_path == full_name("lr_scheduler", sched)


# --- fit: sections --------------------------------------------------------------------------------

@pytest.mark.slow
def test_fit_section_equals_real_lightning_given_it_at_the_top_level(real, tmp_path):
    """The forestnet sections nested in a fit: section, as LightningCLI's top-level --config takes them."""
    text = (DATA / "terratorch" / "forestnet_timm.yaml").read_text()
    path = tmp_path / "fit.yaml"
    path.write_text("fit:\n" + "".join(f"  {line}\n" for line in text.splitlines()))
    source, ours = _lrplot(path, 31, epochs=30, key="fit.trainer.max_epochs")
    assert source.notes[0] == "read the 'fit' section: the fit subcommand's config (--config FILE fit)"
    assert ours == real["forestnet_fit"] == real["forestnet"]


@pytest.mark.parametrize("name", ["gcn-sz-gsl-pre_len1.yaml", "tgcn-los-gsl-pre_len3.yaml"])
def test_published_fit_section_whose_code_builds_the_optimizer_is_refused(name):
    """TGCN-GSL-PyTorch configs/<name> (TGCN): a fit: section with the model's learning_rate; its own
    loop builds a constant-lr Adam (tasks/supervised.py:138)."""
    with pytest.raises(SpecError) as exc:
        load_input(DATA / "tgcn-gsl" / name)
    assert exc.value.message == ("the config names no optimizer and no lr_scheduler (no class_path in 'optimizer', "
                                 "'lr_scheduler' or the model's init_args): the project's own code builds them")
    assert exc.value.location.line == 2


def test_fit_section_hints_name_the_nested_key(tmp_path):
    path = tmp_path / "fit.yaml"
    path.write_text("fit:\n  trainer: {max_steps: 10}\n  optimizer: {lr: 0.1}\n"
                    "  lr_scheduler: {class_path: StepLR, init_args: {step_size: 2}}\n")
    with pytest.raises(SpecError) as exc:
        load_input(path)
    assert exc.value.hint.startswith("add --set fit.optimizer.class_path=CLASS")
    assert (exc.value.location.line, exc.value.location.col) == (3, 3)


# --- configs split over several files ------------------------------------------------------------

@pytest.mark.slow
def test_files_composed_in_lightning_cli_order_equal_real_lightning(tmp_path):
    """``lrplot a.yaml+b.yaml`` == ``fit --config a.yaml --config b.yaml``: the published forestnet
    sections, then a file that changes the lr and T_max (merged key by key)."""
    from tests.helpers.lightning_runs import run_cli

    first = tmp_path / "base.yaml"
    first.write_text("trainer: {max_epochs: 6}\ndata: {dataset_size: 31, batch_size: 16}\n"
                     + _blocks((DATA / "terratorch" / "forestnet_timm.yaml").read_text(), ("optimizer", "lr_scheduler")))
    second = tmp_path / "short.yaml"
    second.write_text("optimizer: {init_args: {lr: 0.01}}\nlr_scheduler: {init_args: {T_max: 3}}\n")
    recorded, _ = run_cli([first, second], tmp_path)
    source, ours = _lrplot(f"{first}+{second}", 31)
    assert source.spec.optimizer.lr == 0.01 and source.spec.optimizer.weight_decay == 0.05
    assert len(ours) == 12 and ours == recorded


@pytest.mark.slow
def test_a_later_file_changing_the_class_keeps_earlier_args_in_lightning_so_lrplot_asks(tmp_path):
    from tests.helpers.lightning_runs import run_cli

    first = tmp_path / "a.yaml"
    first.write_text("trainer: {max_epochs: 4}\ndata: {dataset_size: 4, batch_size: 2}\n"
                     "optimizer: {class_path: torch.optim.SGD, init_args: {lr: 0.1}}\n"
                     "lr_scheduler: {class_path: torch.optim.lr_scheduler.ExponentialLR, init_args: {gamma: 0.5}}\n")
    second = tmp_path / "b.yaml"
    second.write_text("lr_scheduler: {class_path: torch.optim.lr_scheduler.StepLR, init_args: {step_size: 2}}\n")
    recorded, _ = run_cli([first, second], tmp_path)
    assert [r[0] for r in recorded][::2] == [0.1, 0.1, 0.05, 0.05]  # StepLR kept a.yaml's gamma 0.5
    with pytest.raises(SpecError) as exc:
        load_input(f"{first}+{second}", inputs=BudgetInputs(dataset_size=4))
    assert exc.value.message == (
        "'lr_scheduler' changes class from torch.optim.lr_scheduler.ExponentialLR to torch.optim.lr_scheduler.StepLR: "
        "LightningCLI then keeps the earlier init_args the new class accepts (gamma), which lrplot does not compose")
    assert exc.value.location.path == str(second) and exc.value.location.line == 1


NO_SCHEDULE = ("the config names no optimizer and no lr_scheduler (no class_path in 'optimizer', 'lr_scheduler' or "
               "the model's init_args): the project's own code builds them")


@pytest.mark.parametrize("folder, files", [
    # NiklasHargarter/focus_offset_public@b5c1d29944a0407ac18aa23b18f9d914f194b5d9, README: "python -m src.train fit
    # --config configs/trainer.yaml --config configs/models/resnet50.yaml --config configs/data/zstack_he.yaml";
    # the model's configure_optimizers returns a bare Adam(lr=1e-4) (src/models/lightning_module.py:119)
    ("focus_offset_public", ("trainer.yaml", "resnet50.yaml", "zstack_he.yaml")),
    # rpatrik96/ima-vae@c3d2595e10f7ccaa9eb18d83b586eab4224b6623, README: "ima_vae/cli.py fit --config
    # configs/trainer.yaml --config configs/synth/moebius.yaml" (a PyTorch Lightning 1.x trainer section)
    ("ima-vae", ("trainer.yaml", "moebius.yaml")),
])
def test_published_configs_split_over_files_compose_and_say_the_code_builds_the_schedule(folder, files):
    with pytest.raises(SpecError) as exc:
        load_input("+".join(str(DATA / folder / f) for f in files))
    assert exc.value.message == NO_SCHEDULE


def test_a_missing_part_is_named(tmp_path):
    first = tmp_path / "a.yaml"
    first.write_text("trainer: {max_steps: 3}\n")
    with pytest.raises(UsageError) as exc:
        load_input(f"{first}+{tmp_path / 'nope.yaml'}")
    assert exc.value.message == f"{first}+{tmp_path / 'nope.yaml'}: no such file {tmp_path / 'nope.yaml'}"


def test_only_lightning_configs_compose(tmp_path):
    first, second = tmp_path / "a.yaml", tmp_path / "b.yaml"
    first.write_text("scheduler: {type: StepLR, step_size: 2}\nsteps: 10\n")
    second.write_text("steps: 12\n")
    with pytest.raises(UsageError) as exc:
        load_input(f"{first}+{second}")
    assert re.fullmatch(r".*: several files compose only as LightningCLI configs \(--config a --config b\); "
                        r"these were recognised as lrplot", exc.value.message)


# --- a trainer: that is not Lightning's ----------------------------------------------------------

def test_a_trainer_section_lightning_does_not_take_is_refused(tmp_path):
    path = tmp_path / "cfg.yaml"
    path.write_text("model: {class_path: proj.Model}\ntrainer:\n  epochs: 50\n  epoch_len: 1000\n"
                    "optimizer: {class_path: torch.optim.AdamW, init_args: {lr: 0.001}}\n"
                    "lr_scheduler: {class_path: torch.optim.lr_scheduler.StepLR, init_args: {step_size: 2}}\n")
    with pytest.raises(SpecError) as exc:
        load_input(path)
    assert exc.value.message == ("this 'trainer' is not Lightning's Trainer (epochs, epoch_len are not Lightning "
                                 "2.6.6 Trainer arguments), and lrplot counts a LightningCLI config's updates as "
                                 "Lightning's Trainer does")
    assert (exc.value.location.line, exc.value.location.col) == (2, 1)


@pytest.mark.parametrize("files, where, message", [
    # kaiko-ai/eva@3487e633b2da6cb49bf583bc52c4e4b67cc090cf configs/vision/pathology/offline/classification/bach.yaml:
    # eva.Trainer repeats Lightning's fit n_runs times
    (("eva/bach.yaml",), ("eva/bach.yaml", 2),
     "this 'trainer' (eva.Trainer) is not Lightning's Trainer (n_runs is not a Lightning 2.6.6 Trainer argument)"),
    # ireydiak/pyad@6e031270d0e249a019d09ef1f6d699b07ded8c5f config/arrhythmia/{_data,_trainer,autoencoder}.yaml, composed
    # as its README runs them (--config x3); ModuleTrainer is the project's own loop
    (("pyad/_data.yaml", "pyad/_trainer.yaml", "pyad/autoencoder.yaml"), ("pyad/_trainer.yaml", 1),
     "this 'trainer' (pyad.models.trainer.ModuleTrainer) is not Lightning's Trainer (n_runs, enable_checkpoints, "
     "checkpoint_interval are not Lightning 2.6.6 Trainer arguments)"),
])
def test_published_trainers_that_are_not_lightnings_are_refused(files, where, message):
    with pytest.raises(SpecError) as exc:
        load_input("+".join(str(DATA / f) for f in files))
    tail = ", and lrplot counts a LightningCLI config's updates as Lightning's Trainer does"
    assert exc.value.message == message + tail
    assert (exc.value.location.path, exc.value.location.line) == (str(DATA / where[0]), where[1])


def test_a_trainer_class_of_lightnings_shape_is_asked_to_be_named_lightnings(tmp_path):
    path = tmp_path / "cfg.yaml"
    path.write_text("trainer: {class_path: proj.MyTrainer, init_args: {max_epochs: 2}}\n"
                    "optimizer: {class_path: torch.optim.SGD, init_args: {lr: 0.1}}\n"
                    "lr_scheduler: {class_path: torch.optim.lr_scheduler.StepLR, init_args: {step_size: 1}}\n")
    with pytest.raises(SpecError) as exc:
        load_input(path)
    assert exc.value.hint == ("if that class keeps Lightning's loop as it is, read it so with "
                              "--set trainer.class_path=lightning.pytorch.Trainer")
    source = load_input(path, inputs=BudgetInputs(dataset_size=4, batch_size=2),
                        overrides=("trainer.class_path=lightning.pytorch.Trainer",))
    assert source.budget.updates == 4


def _findings(path, size, *overrides):
    from lrplot.check import check_schedule

    (schedule,) = load_input(path, inputs=BudgetInputs(dataset_size=size), overrides=overrides).spec.schedule_list()
    return [f.text() for f in check_schedule(schedule) if f.rule != "nonpositive-lr"]


def test_a_finding_is_advised_in_the_configs_init_args():
    """terratorch examples/confs/forestnet_timm.yaml (TERRATORCH), unedited: T_max 20 on 100 epochs (interval
    epoch, 380 / 16 -> 24 batches per epoch) climbs back up at epoch 21; the advice names the config's lr_scheduler.init_args.T_max, and applied it is gone."""
    path = DATA / "terratorch" / "forestnet_timm.yaml"
    assert _findings(path, 380) == [
        f"{path}:132:15: error: 'forestnet_timm' lr at step 504: CosineAnnealingLR (T_max=20) rises again after "
        "T_max, from 0 to 6.15583e-07; set lr_scheduler.init_args.T_max to the updates it drives (100) [rebound]",
        f"{path}:132:15: warning: 'forestnet_timm' at step 480: CosineAnnealingLR defines 20 scheduler steps but "
        "drives 100; after step 480 it is past its end; set lr_scheduler.init_args.T_max to the scheduler steps it "
        "drives (100) [short-schedule]"]
    assert _findings(path, 380, "lr_scheduler.init_args.T_max=100") == []


def test_torch_names_of_the_imported_modules_equal_those_read_from_torchs_source(monkeypatch):
    import importlib
    import sys

    from lrplot.sources.lightning_config import torch_names

    importlib.import_module("torch.optim.lr_scheduler")  # the read takes the imported module's __all__

    for module in ("torch.optim", "torch.optim.lr_scheduler"):
        imported = torch_names.__wrapped__(module)
        with monkeypatch.context() as m:
            m.delitem(sys.modules, module)
            from_source = torch_names.__wrapped__(module)
        assert imported == from_source == frozenset(sys.modules[module].__all__)
        assert "CosineAnnealingLR" in torch_names("torch.optim.lr_scheduler") and "AdamW" in torch_names("torch.optim")
