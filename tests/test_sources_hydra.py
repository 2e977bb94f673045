"""Hydra configs: lrplot's values == a REAL Lightning Trainer run built from the same config.

The reference builds everything from the config with ``hydra.utils.instantiate``, as
lightning-hydra-template does: the optimizer and scheduler partials (``optimizer(params=...)``,
``scheduler(optimizer=...)``; SequentialLR's partial children are called with the optimizer first)
and the Trainer from ``trainer._target_``. The lr of every group is recorded right before each
optimizer update (step pre-hook) and by LearningRateMonitor/CSVLogger (exact float64 repr); both are
compared with ``==``.
"""

from __future__ import annotations

import pytest

from tests.helpers.installed import require

require("lightning", "hydra")  # imported where a test runs them: collecting this module stays cheap

from lrplot.engine import simulate  # noqa: E402
from lrplot.errors import ImportNotAllowedError, SpecError  # noqa: E402
from lrplot.sources import BudgetInputs, load_input  # noqa: E402
from lrplot.spec import spec_from_data  # noqa: E402

pytestmark = pytest.mark.slow  # importing Lightning alone takes seconds

TEMPLATE = """
data:
  _target_: src.data.mnist_datamodule.MNISTDataModule
  data_dir: ${paths.data_dir}
  batch_size: 3
  num_workers: 0
model:
  _target_: src.models.mnist_module.MNISTLitModule
  optimizer:
    _target_: torch.optim.Adam
    _partial_: true
    lr: 0.001
    weight_decay: 0.0
  scheduler:
    _target_: torch.optim.lr_scheduler.SequentialLR
    _partial_: true
    milestones: [2]
    schedulers:
      - _target_: torch.optim.lr_scheduler.LinearLR
        _partial_: true
        start_factor: 0.1
        total_iters: 2
      - _target_: torch.optim.lr_scheduler.CosineAnnealingLR
        _partial_: true
        T_max: ${trainer.max_epochs}
trainer:
  _target_: lightning.pytorch.trainer.Trainer
  default_root_dir: ${paths.output_dir}
  min_epochs: 1
  max_epochs: 4
  accelerator: cpu
  devices: 1
paths:
  data_dir: data/
  output_dir: ${hydra:runtime.output_dir}
"""

DICT_FORM = """
data: {batch_size: 2}
model:
  optimizer: {_target_: torch.optim.SGD, _partial_: true, lr: 0.1, momentum: 0.9}
  lr_scheduler:
    scheduler:
      _target_: torch.optim.lr_scheduler.OneCycleLR
      _partial_: true
      max_lr: 0.5
      total_steps: ${trainer.max_steps}
    interval: step
    frequency: 1
trainer:
  _target_: lightning.pytorch.trainer.Trainer
  max_steps: 7
  accumulate_grad_batches: 2
"""


def _reference(text, root, dataset_size, sched_key, interval, frequency, groups=1):
    """The real run: objects from the config via hydra.utils.instantiate, a real Trainer."""
    from hydra.utils import instantiate
    from omegaconf import OmegaConf

    from tests.helpers.lightning_runs import ConfiguredModel, TinyData, hydra_scheduler_factory, run_trainer

    cfg = OmegaConf.create(text)
    make_opt = instantiate(cfg.model.optimizer)

    def make_optimizer(model):
        return make_opt(params=model.groups(make_opt.keywords["lr"]))

    sched_node = OmegaConf.select(cfg, sched_key)
    model = ConfiguredModel(make_optimizer, hydra_scheduler_factory(sched_node), interval, frequency, groups)
    data = TinyData(dataset_size, cfg.data.batch_size, bool(cfg.data.get("drop_last", False)))
    trainer_cfg = OmegaConf.masked_copy(cfg.trainer, [k for k in cfg.trainer if k != "default_root_dir"])
    trainer = instantiate(trainer_cfg, _partial_=True)
    recorded, logged = run_trainer(model, data, root, **{**trainer.keywords, "accelerator": "cpu", "devices": 1})
    return recorded, logged


def _template_module(folder):
    """lightning-hydra-template's MNISTLitModule (published copy, see test_sources_hydra_published.py)
    beside the config, where lrplot reads its configure_optimizers: interval 'epoch' (line 209)."""
    from tests.helpers.paths import ROOT

    module = folder / "src" / "models" / "mnist_module.py"
    module.parent.mkdir(parents=True)
    module.write_text((ROOT / "tests/data/published/lightning-hydra-template/src/models/mnist_module.py").read_text())


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    cases = {
        "template_epoch": (TEMPLATE, 10, "model.scheduler", "epoch", 1, 1, ()),
        "template_step_two_groups": (TEMPLATE, 10, "model.scheduler", "step", 1, 2,
                                     ("model.scheduler.interval=step",)),
        "dict_form_step_accumulate2": (DICT_FORM, 10, "model.lr_scheduler.scheduler", "step", 1, 1, ()),
    }
    out = {}
    for name, (text, size, key, interval, frequency, groups, overrides) in cases.items():
        folder = tmp_path_factory.mktemp(name)
        path = folder / "config.yaml"
        path.write_text(text)
        _template_module(folder)
        reference = _reference(text, folder, size, key, interval, frequency, groups)
        out[name] = (path, size, groups, overrides, reference)
    return out


@pytest.mark.parametrize("name", ["template_epoch", "template_step_two_groups", "dict_form_step_accumulate2"])
def test_equals_real_trainer_built_by_hydra_at_every_update(runs, name):
    path, size, groups, overrides, (recorded, logged) = runs[name]
    source = load_input(path, inputs=BudgetInputs(dataset_size=size), overrides=overrides)
    assert source.kind == "hydra"
    spec = source.spec
    if groups == 2:  # the model builds two groups, the second at half the lr (not in the config)
        data = spec.model_dump(exclude_none=True)
        data["param_groups"] = [{}, {"lr": spec.optimizer.lr / 2}]
        spec = spec_from_data(data)
    trace = simulate(spec).schedules[0]
    assert source.budget.updates == len(recorded) == trace.steps
    ours = [[trace.values[(g, "lr")][t] for g in range(groups)] for t in range(trace.steps)]
    assert ours == recorded
    # LearningRateMonitor's columns: lr-Adam (one group) or lr-Adam/pg1, lr-Adam/pg2
    columns = [logged[k] for k in sorted(logged)]
    assert len(columns) == groups
    for g, column in enumerate(columns):
        assert [column[t] for t in range(len(recorded))] == [row[g] for row in ours]
    assert len(set(r[0] for r in recorded)) > 2  # the schedule moved


def test_budget_of_the_template(runs):
    path, size, *_ = runs["template_epoch"]
    source = load_input(path, inputs=BudgetInputs(dataset_size=size))
    assert source.budget.text == ("10 examples / 3 = 4 batches per epoch (rounded up) = 4 updates per epoch "
                                  "x 4 epochs = 16 updates")
    assert source.notes[0] == ("interval 'epoch' read from src.models.mnist_module.MNISTLitModule."
                               f"configure_optimizers at {path.parent / 'src/models/mnist_module.py'}:209")
    assert not source.assumptions


# --- errors are one located line; nothing is executed ----------------------------------------

def _write(tmp_path, text):
    path = tmp_path / "config.yaml"
    path.write_text(text)
    return path


def test_unresolvable_interpolation_is_located(tmp_path):
    path = _write(tmp_path, DICT_FORM.replace("${trainer.max_steps}", "${trainer.max_step}"))
    with pytest.raises(SpecError) as exc:
        load_input(path)
    line = next(i for i, t in enumerate(path.read_text().splitlines(), 1) if "total_steps" in t)
    assert exc.value.location.line == line
    assert "trainer.max_step" in exc.value.message


def test_unrelated_hydra_resolver_does_not_matter(runs):
    path, size, *_ = runs["template_epoch"]   # paths.output_dir: ${hydra:runtime.output_dir}
    assert load_input(path, inputs=BudgetInputs(dataset_size=size)).kind == "hydra"


def test_other_targets_need_allow_import(tmp_path):
    path = _write(tmp_path, DICT_FORM.replace("torch.optim.lr_scheduler.OneCycleLR", "mylib.sched.Warm"))
    with pytest.raises(ImportNotAllowedError) as exc:
        load_input(path)
    line = next(i for i, t in enumerate(path.read_text().splitlines(), 1) if "mylib.sched.Warm" in t)
    assert exc.value.location.line == line
    assert exc.value.hint == "to allow it, add --allow-import mylib (or set LRPLOT_ALLOW_IMPORT=mylib)"


def test_a_stdlib_target_is_said_to_be_no_scheduler_never_offered_as_an_allowance(tmp_path):
    """--allow-import os is itself refused (the standard library holds no schedulers): the hint
    must only suggest what would be accepted."""
    path = _write(tmp_path, DICT_FORM.replace("torch.optim.lr_scheduler.OneCycleLR", "os.system"))
    with pytest.raises(ImportNotAllowedError) as exc:
        load_input(path)
    line, col = next((i, t.index("os.system") + 1) for i, t in enumerate(path.read_text().splitlines(), 1)
                     if "os.system" in t)
    assert exc.value.format() == (f"{path}:{line}:{col}: scheduler type 'os.system' is in Python's standard "
                                  "library ('os'), which holds no schedulers; name a scheduler class, e.g. "
                                  "torch.optim.lr_scheduler.CosineAnnealingLR")


def test_no_trainer_says_how_to_give_the_length(tmp_path):
    path = _write(tmp_path, """
optimizer: {_target_: torch.optim.SGD, lr: 0.1}
scheduler: {_target_: torch.optim.lr_scheduler.StepLR, step_size: 3}
""")
    with pytest.raises(SpecError) as exc:
        load_input(path)
    assert "trainer.max_steps" in exc.value.hint
    source = load_input(path, overrides=("trainer.max_steps=9", "scheduler.interval=step"))
    values = simulate(source.spec).schedules[0].values[(0, "lr")]
    assert list(values) == [0.1] * 3 + [0.1 * 0.1] * 3 + [0.1 * 0.1 * 0.1] * 3


def test_trusted_factory_target_equals_a_plain_loop_built_by_hydra(tmp_path):
    """A _target_ outside torch that lrplot's import rule trusts (transformers' schedule factory),
    stepped per update: == a plain torch loop over the scheduler hydra.utils.instantiate builds."""
    pytest.importorskip("transformers")
    import torch
    from hydra.utils import instantiate
    from omegaconf import OmegaConf

    text = """
model:
  optimizer: {_target_: torch.optim.AdamW, _partial_: true, lr: 0.001}
  scheduler:
    _target_: transformers.optimization.get_cosine_schedule_with_warmup
    _partial_: true
    num_warmup_steps: 10
    num_training_steps: ${trainer.max_steps}
trainer: {max_steps: 60}
"""
    path = _write(tmp_path, text)
    cfg = OmegaConf.create(text)
    optimizer = instantiate(cfg.model.optimizer)(params=[torch.nn.Parameter(torch.zeros(1))])
    scheduler = instantiate(cfg.model.scheduler)(optimizer=optimizer)
    expected = []
    for _ in range(60):
        expected.append(optimizer.param_groups[0]["lr"])
        optimizer.step()
        scheduler.step()
    source = load_input(path, overrides=("model.scheduler.interval=step",))
    assert source.spec.scheduler.type == "transformers.optimization:get_cosine_schedule_with_warmup"
    assert list(simulate(source.spec).schedules[0].values[(0, "lr")]) == expected


OWN_LOOP = """
trainer:
  num_epochs: 5
  epoch_len: 10
  total_steps: 50
model:
  optimizer: {_target_: torch.optim.AdamW, _partial_: true, lr: 0.001}
  scheduler:
    _target_: torch.optim.lr_scheduler.OneCycleLR
    _partial_: true
    max_lr: 0.001
    total_steps: ${trainer.total_steps}
"""


def test_own_loop_trainer_sized_in_updates_equals_a_plain_loop(tmp_path):
    """A trainer: section of the script's own loop (epoch_len, num_epochs), read as Lightning's before
    (1000 epochs x a dataset size asked for); the scheduler interpolates an update count, so the
    script steps it per update: == a plain torch loop over the scheduler Hydra builds, and said."""
    import torch
    from hydra.utils import instantiate
    from omegaconf import OmegaConf

    path = _write(tmp_path, OWN_LOOP)
    cfg = OmegaConf.create(OWN_LOOP)
    optimizer = instantiate(cfg.model.optimizer)(params=[torch.nn.Parameter(torch.zeros(1))])
    scheduler = instantiate(cfg.model.scheduler)(optimizer=optimizer)
    expected = []
    for _ in range(50):
        expected.append(optimizer.param_groups[0]["lr"])
        optimizer.step()
        scheduler.step()
    source = load_input(path)
    assert source.budget.updates == 50
    assert list(simulate(source.spec).schedules[0].values[(0, "lr")]) == expected
    assert [str(n) for n in source.assumptions] == [
        "the script is assumed to step the scheduler once per update, for 50 updates, as "
        "model.scheduler.total_steps: ${trainer.total_steps} sizes it in updates; 'trainer' is the script's own loop "
        "(num_epochs, epoch_len, total_steps are not Lightning 2.6.6 Trainer arguments)"]


def test_own_loop_trainer_without_an_update_count_is_refused(tmp_path):
    path = _write(tmp_path, OWN_LOOP.replace("${trainer.total_steps}", "50"))
    with pytest.raises(SpecError) as exc:
        load_input(path)
    assert exc.value.format() == (
        f"{path}:2:1: 'trainer' is not Lightning's Trainer (num_epochs, epoch_len, total_steps are not Lightning "
        "2.6.6 Trainer arguments): the script's own loop decides how many updates it makes and when it steps the "
        "scheduler, which the config does not say; if the script steps it once per update, add --set "
        "model.scheduler.interval=step --set trainer.max_steps=N (the updates it makes); else describe the run as "
        "an lrplot spec (steps: N, the scheduler and its interval)")


def test_trainer_target_decides_whose_trainer_it_is(tmp_path):
    text = OWN_LOOP.replace("trainer:\n", "trainer:\n  _target_: src.trainer.Trainer\n")
    path = _write(tmp_path, text.replace("  num_epochs: 5\n  epoch_len: 10\n  total_steps: 50\n", "  max_steps: 50\n")
                  .replace("${trainer.total_steps}", "60"))
    with pytest.raises(SpecError) as exc:
        load_input(path)
    assert exc.value.message.startswith("'trainer' is not Lightning's Trainer (its _target_ is src.trainer.Trainer): ")
    lightning = path.read_text().replace("src.trainer.Trainer", "lightning.pytorch.trainer.Trainer")
    path.write_text(lightning)
    source = load_input(path, overrides=("model.scheduler.interval=step",))
    assert source.budget.updates == 50
    path.write_text(lightning.replace("  _target_: lightning.pytorch.trainer.Trainer\n", "  gpus: 0\n"))
    assert load_input(path, overrides=("model.scheduler.interval=step",)).budget.updates == 50  # 1.x keys too


def test_recorded_trainer_arguments_are_lightnings():
    import inspect

    from lightning.pytorch import Trainer

    from lrplot.sources.lightning_loop import LIGHTNING_VERSION, TRAINER_ARGS, installed_trainer_args

    real = frozenset(inspect.signature(Trainer.__init__).parameters) - {"self"}
    assert installed_trainer_args() == real
    import lightning

    if lightning.__version__ == LIGHTNING_VERSION:
        assert TRAINER_ARGS == real


def _findings(path, *overrides):
    from lrplot.check import check_schedule

    (schedule,) = load_input(path, inputs=BudgetInputs(dataset_size=10), overrides=overrides).spec.schedule_list()
    return [f.text() for f in check_schedule(schedule) if f.rule in ("no-anneal", "rebound", "short-schedule")]


def test_a_finding_is_advised_at_the_configs_own_key_path(tmp_path):
    # the template's cosine (T_max ${trainer.max_epochs} = 4) starts after the LinearLR's 2 epochs, so it runs
    # 2 of its 4 epochs; the advice names its key in the config (at epoch ends, no T_max ends it: T_max 1
    # drives 2 steps, T_max 2 ends at its midpoint; stepped per update, one does, below)
    path = _write(tmp_path, TEMPLATE)
    _template_module(tmp_path)
    assert _findings(path) == [
        f"{path}:15:15: warning: 'config' lr at step 15: CosineAnnealingLR ends at 0.000853553, 85% of the way from "
        "its floor 0 to its declared peak 0.001; does model.scheduler.schedulers[1].T_max match the run "
        "(trainer.max_epochs, interval 'epoch')? [no-anneal]"]
    # stepped per update (16 updates), the cosine climbs again: the length to set, in the config's key
    step = ("model.scheduler.interval=step",)
    assert _findings(path, *step)[1:] == [
        f"{path}:15:15: error: 'config' lr at step 7: CosineAnnealingLR (T_max=4) rises again after T_max, from 0 to "
        "0.000146447; set model.scheduler.schedulers[1].T_max to the updates it drives (14) [rebound]",
        f"{path}:15:15: warning: 'config' at step 6: CosineAnnealingLR defines 4 scheduler steps but drives 14; after "
        "step 6 it is past its end; set model.scheduler.schedulers[1].T_max to the scheduler steps it drives (14) "
        "[short-schedule]"]
    assert _findings(path, *step, "model.scheduler.schedulers[1].T_max=14") == []  # the no-anneal too
