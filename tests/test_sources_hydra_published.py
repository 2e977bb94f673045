"""Hydra trees as projects publish them, taken UNEDITED from public repositories (a tree folder
per project under tests/data/published/, relative layout kept):

* lightning-hydra-template: ashleve/lightning-hydra-template@bddbc24b82ab6ccfa6243e815a49dc5bfe8d4144,
  configs/ + src/models/mnist_module.py + setup.py (hydra/default.yaml overrides both logging groups
  to hydra-colorlog's 'colorlog'; experiment/example.yaml has '/group' entries);
* pflow-encodec: seastar105/pflow-encodec@6dd533958a07eac39b9146b5b9a8c4837a2c17ba, configs/ +
  pflow_encodec/models/lightning_modules/pflow.py + setup.py (colorlog; experiment/libritts_base.yaml
  with 'override /trainer: gpu.yaml'; configure_optimizers returns interval 'step' at pflow.py:76);
* flash-attention: Dao-AILab/flash-attention@0251105a2fb19d2957484b7f023cd8c115286ced, the files of
  training/configs/ Hydra reads for config.yaml with experiment=owt/gpt2s-flash + training/src/tasks/seq.py (colorlog in config.yaml's own defaults;
  'datamodule:'; '- /experiment/owt/base.yaml'; ${eval:...} and the project's ${div_up:...};
  the module is 'task._target_', whose configure_optimizers reads the interval at seq.py:148 from
  cfg.train.get('scheduler_interval', 'step'), cfg being the whole config: training/src/train.py:50
  (at a8bd06f56edf627c04431ff90603adbe09d8d429) instantiate(config.task, cfg=config, _recursive_=False);
  the config has no such key: the code's 'step');
* fly: HazyResearch/fly@6b73449a6b3e228af9e4afe4f153a384e9b537b9, the files Hydra reads for
  configs/config.yaml with experiment=imagenet-cnn + src/tasks/seq.py (flash-attention's ancestor:
  colorlog, 'datamodule:', '- override /optimizer: sgd', lr: ${eval:0.1 * ${train.global_batch_size} / 256},
  interval read at seq.py:136 from train.scheduler_interval, the whole config passed as cfg by
  src/train.py:38 (at eeb689c00b9f322f33f6b6f85eaaac0a1d6a5eab, as flash-attention's);
  experiment/imagenet-cnn.yaml:48 sets it to epoch);
* pytorch_project_template: Blinorot/pytorch_project_template@e668eb362ae1261159790aedbd99d5b353972882,
  src/configs/ + src/trainer/{base_trainer,trainer}.py + train.py (a plain training script: its
  'trainer:' is its own loop, n_epochs x epoch_len batches, StepLR(step_size: ${trainer.epoch_len})
  stepped after every optimizer step at trainer.py:46-48);
* dla_hw1_asr: TmBoris/dla_hw1_asr@126d0ca50cd8042064cd749f982f1cea713b941b, the same layout (a
  project made from that template), OneCycleLR(steps_per_epoch: ${trainer.epoch_len},
  epochs: ${trainer.n_epochs}) stepped at trainer.py:54-56.

Read ones are compared with ``==`` against a REAL Lightning Trainer on CPU (lr recorded by an
optimizer step pre-hook) whose optimizer and scheduler Hydra builds from the same tree, composed by
Hydra itself (with its logging groups set to Hydra's own 'disabled', since hydra-colorlog is not
installed here), built and stepped as the project's module does (file:line named at each run).
Asked ones: the whole line is asserted.
"""

from __future__ import annotations

import pytest

from tests.helpers.installed import require

require("hydra")

from lrplot.errors import SpecError  # noqa: E402
from lrplot.sources import BudgetInputs, load_input  # noqa: E402
from tests.helpers.paths import ROOT  # noqa: E402

PUBLISHED = "tests/data/published"
TEMPLATE = f"{PUBLISHED}/pytorch_project_template"
ASR = f"{PUBLISHED}/dla_hw1_asr"
LHT = f"{PUBLISHED}/lightning-hydra-template"
PFLOW = f"{PUBLISHED}/pflow-encodec"
FLASH = f"{PUBLISHED}/flash-attention/training"
FLY = f"{PUBLISHED}/fly"
FLY_SET = ("experiment=imagenet-cnn", "trainer.max_epochs=5", "train.scheduler.milestones=[1,3]",
           "datamodule.batch_size=4")  # 16 examples / 4 = 4 updates per epoch x 5 epochs
COLORLOG = ("composed without 'hydra/job_logging: colorlog' and 'hydra/hydra_logging: colorlog': a Hydra logging "
            "plugin not installed here (e.g. hydra-colorlog); Hydra's logging settings cannot change the schedule")
# flash-attention's experiment with the answers its asked lines request (see test_flash_attention_asks)
FLASH_SET = ("experiment=owt/gpt2s-flash", "datamodule.batch_size=16",
             "trainer.accumulate_grad_batches=4", "train.optimizer._target_=torch.optim.AdamW",
             "~train.optimizer.adam_w_mode")
# the interval each reads from its config through seq.py (the whole config being the 'cfg' the caller passes)
WHOLE = "; its 'cfg' taken to be the whole config, which your code passes (task gives none)"


def _reads(tree, line):
    return (f"src.tasks.seq.{'SequenceLMModel' if 'flash' in tree else 'SequenceModel'}.configure_optimizers at "
            f"{tree}/src/tasks/seq.py:{line} reads 'self.cfg.train.get('scheduler_interval', 'step')'")


@pytest.fixture(autouse=True)
def _at_root(monkeypatch):
    monkeypatch.chdir(ROOT)  # locations and source lines are printed relative to the working folder


def _load(path, *overrides, **inputs):
    return load_input(path, inputs=BudgetInputs(**inputs), overrides=overrides)


def _asked(path, *overrides, **inputs):
    with pytest.raises(SpecError) as caught:
        _load(path, *overrides, **inputs)
    return str(caught.value)


# --- read: the notes say what was composed without and where the interval was read ---------------

def test_template_composes_without_colorlog_and_reads_the_interval_from_its_module():
    source = _load(f"{LHT}/configs/train.yaml", dataset_size=100)
    assert source.kind == "hydra"
    assert list(source.notes[:2]) == [
        COLORLOG,
        f"interval 'epoch' read from src.models.mnist_module.MNISTLitModule.configure_optimizers at "
        f"{LHT}/src/models/mnist_module.py:209"]
    assert not source.notes[1].assumed
    assert source.spec.scheduler.type == "ReduceLROnPlateau" and source.spec.scheduler.interval == "epoch"


def test_the_logging_stubs_are_gone_after_composing_and_other_missing_plugins_stay_errors():
    from hydra.core.config_store import ConfigStore

    _load(f"{LHT}/configs/train.yaml", dataset_size=100)
    hydra_groups = ConfigStore.instance().repo.get("hydra", {})
    assert "colorlog.yaml" not in hydra_groups.get("job_logging", {})
    assert "colorlog.yaml" not in hydra_groups.get("hydra_logging", {})
    # a launcher can matter to the run (it is the launcher's to say how): never composed without
    assert _asked(f"{LHT}/configs/train.yaml", "hydra/launcher=submitit_slurm", dataset_size=100) == (
        "--set hydra/launcher: config group 'hydra/launcher' has no option 'submitit_slurm' (options: basic); "
        "choose one of basic")


def test_template_experiment_with_absolute_group_entries_composes():
    source = _load(f"{LHT}/configs/train.yaml", "experiment=example", dataset_size=640)
    assert source.spec.optimizer.lr == 0.002  # experiment/example.yaml's model.optimizer.lr
    assert source.budget.updates == 100  # 640 / data.batch_size 64 = 10 updates x max_epochs 10


def test_pflow_reads_interval_step_from_its_module():
    source = _load(f"{PFLOW}/configs/train.yaml", "experiment=libritts_base", "trainer.max_steps=40",
                   dataset_size=200, batch_size=1)
    assert list(source.notes[:2]) == [
        COLORLOG,
        "interval 'step' read from pflow_encodec.models.lightning_modules.pflow.PFlowLightningModule."
        f"configure_optimizers at {PFLOW}/pflow_encodec/models/lightning_modules/pflow.py:76"]
    assert source.spec.scheduler.interval == "step" and source.spec.scheduler.total_steps == 40


# --- asked: one line naming the key ---------------------------------------------------------------

def test_flash_attention_asks_for_each_value_its_code_computes():
    """The config's own questions first, then what lrplot cannot build (the interval is read: see
    test_flash_attention_reads_the_interval_default_its_code_gives)."""
    config = f"{FLASH}/configs/config.yaml"
    # datamodule.batch_size: ${eval:"16 if ${train.gpu_mem} < 24 ..."}, and train.gpu_mem an
    # ${eval:} that calls nvidia-smi through __import__('subprocess'): never run
    assert _asked(config, "experiment=owt/gpt2s-flash") == (
        f"{FLASH}/configs/experiment/owt/base.yaml:27:28: 'trainer.accumulate_grad_batches': ${{eval:...}} is "
        "computed by lrplot's own expression evaluator (numbers and arithmetic), which refuses it: the expression: "
        "calling methods or results of calls is not allowed; give its value: --set trainer.accumulate_grad_batches=VALUE")
    assert _asked(config, "experiment=owt/gpt2s-flash", "datamodule.batch_size=16") == (
        f"{FLASH}/configs/experiment/owt/base.yaml:27:28: 'trainer.accumulate_grad_batches' is computed by the "
        "resolver 'div_up', which your code registers and lrplot does not run; give its value: "
        "--set trainer.accumulate_grad_batches=VALUE")
    assert _asked(config, *FLASH_SET[:3], dataset_size=100000) == (
        f"{FLASH}/configs/optimizer/adamw-apex.yaml:2:11: optimizer 'apex.optimizers.FusedAdam': lrplot builds "
        "torch.optim optimizers only; name the torch optimizer closest to it (--set on this key), e.g. "
        "torch.optim.AdamW")


def test_flash_attention_eval_is_computed_by_lrplots_evaluator():
    source = _load(f"{FLASH}/configs/config.yaml", *FLASH_SET, "trainer.max_steps=300", dataset_size=100000)
    assert source.notes[0] == COLORLOG
    # num_warmup_steps: ${eval:0.01 * ${trainer.max_steps}} (experiment/owt/base.yaml)
    assert source.spec.scheduler.num_warmup_steps == 0.01 * 300
    assert source.spec.scheduler.num_training_steps == 300 == source.budget.updates
    # datamodule: (not data:) gives the per-device batch size; trainer.devices 8 from the experiment
    assert source.budget.text == ("100000 examples / 8 devices = 12500 per device / 16 = 782 batches per epoch "
                                  "(rounded up) / accumulation 4 = 196 updates per epoch, last window partial ; "
                                  "max_steps 300 = 300 updates")


def test_flash_attention_reads_the_interval_default_its_code_gives():
    source = _load(f"{FLASH}/configs/config.yaml", *FLASH_SET, "trainer.max_steps=300", dataset_size=100000)
    assert source.spec.scheduler.interval == "step"
    assert source.assumptions[0] == (
        "interval 'step': the config has no train.scheduler_interval, so the code's default applies "
        f"({_reads(FLASH, 148)}){WHOLE}")
    assert source.assumptions[0].settle == "+train.scheduler_interval=step|epoch"


def test_fly_reads_the_interval_its_config_sets_then_computes_its_eval_lr():
    config = f"{FLY}/configs/config.yaml"
    source = _load(config, "experiment=imagenet-cnn", dataset_size=1281167)
    assert source.spec.scheduler.interval == "epoch"
    assert source.assumptions[0] == f"interval 'epoch' read from train.scheduler_interval ({_reads(FLY, 136)}){WHOLE}"
    assert source.notes[0] == COLORLOG
    # train.global_batch_size: ${eval:${trainer.gpus} * ${datamodule.batch_size}} = 8 x 256, and
    # lr: ${eval:0.1 * ${train.global_batch_size} / 256}
    assert source.spec.optimizer.lr == 0.1 * (8 * 256) / 256
    assert source.budget.updates == 5005 * 90  # datamodule.batch_size 256 per device, 1 device (said in a note)


def test_a_module_section_reads_the_interval_its_init_argument_gives(tmp_path):
    """'module:' (not 'model:'): the node above the scheduler with a _target_ is the LightningModule;
    its configure_optimizers takes the interval from an init argument the config sets."""
    (tmp_path / "lit").mkdir()
    (tmp_path / "lit" / "module.py").write_text(
        "class Lit:\n"
        "    def __init__(self, optimizer, scheduler, lr_interval='epoch'):\n"
        "        self.save_hyperparameters()\n\n"
        "    def configure_optimizers(self):\n"
        "        opt = self.hparams.optimizer(params=self.parameters())\n"
        "        return [opt], [{'scheduler': self.hparams.scheduler(optimizer=opt),\n"
        "                        'interval': self.hparams.lr_interval}]\n")
    config = tmp_path / "config.yaml"
    config.write_text("module:\n  _target_: lit.module.Lit\n  lr_interval: ${trainer.unit}\n"
                      "  optimizer: {_target_: torch.optim.Adam, _partial_: true, lr: 0.001}\n"
                      "  scheduler: {_target_: torch.optim.lr_scheduler.StepLR, _partial_: true, step_size: 2}\n"
                      "trainer: {_target_: lightning.pytorch.trainer.Trainer, max_steps: 8, unit: step}\n")
    source = _load(config)
    assert source.spec.scheduler.interval == "step" and source.budget.updates == 8
    assert source.notes[-1] == ("interval 'step' read from lit.module.Lit.configure_optimizers at "
                                f"{tmp_path / 'lit' / 'module.py'}:8 (init argument 'lr_interval' is 'step')")


def _config_reading_project(tmp_path, interval_expr, config_tail):
    (tmp_path / "lit").mkdir(exist_ok=True)
    (tmp_path / "lit" / "module.py").write_text(
        "class Lit:\n"
        "    def __init__(self, cfg, optimizer, scheduler):\n"
        "        self.conf = cfg\n\n"
        "    def configure_optimizers(self):\n"
        "        opt = self.hparams.optimizer(params=self.parameters())\n"
        "        return [opt], [{'scheduler': self.hparams.scheduler(optimizer=opt),\n"
        f"                        'interval': {interval_expr}}}]\n")
    config = tmp_path / "config.yaml"
    config.write_text("module:\n  _target_: lit.module.Lit\n"
                      "  optimizer: {_target_: torch.optim.Adam, _partial_: true, lr: 0.001}\n"
                      "  scheduler: {_target_: torch.optim.lr_scheduler.StepLR, _partial_: true, step_size: 2}\n"
                      "trainer: {_target_: lightning.pytorch.trainer.Trainer, max_steps: 8}\n" + config_tail)
    return config


def test_an_interval_read_from_the_config_the_module_node_gives_is_a_fact(tmp_path):
    config = _config_reading_project(tmp_path, "self.conf['sched'].unit", "")
    text = config.read_text().replace("module:\n", "module:\n  cfg: {sched: {unit: step}}\n")
    config.write_text(text)
    source = _load(config)
    assert source.spec.scheduler.interval == "step" and source.budget.updates == 8
    assert source.notes[-1] == ("interval 'step' read from module.cfg.sched.unit (lit.module.Lit.configure_optimizers "
                                f"at {tmp_path / 'lit' / 'module.py'}:8 reads 'self.conf['sched'].unit')")
    assert not source.notes[-1].assumed


def test_an_interval_read_from_a_key_the_config_lacks_is_asked_naming_that_key(tmp_path):
    config = _config_reading_project(tmp_path, "self.conf.train.scheduler_interval", "train: {epochs: 3}\n")
    assert _asked(config) == (
        f"{config}:2:13: the scheduler's interval is read in code from 'train.scheduler_interval' "
        f"({tmp_path / 'lit' / 'module.py'}:8: 'self.conf.train.scheduler_interval'), which the config does not "
        "hold; add --set train.scheduler_interval=step or --set train.scheduler_interval=epoch")
    source = _load(config, "train.scheduler_interval=epoch", dataset_size=10, batch_size=2)
    assert source.spec.scheduler.interval == "epoch" and source.assumptions[0].startswith(
        "interval 'epoch' read from train.scheduler_interval (lit.module.Lit.configure_optimizers at ")
    config.write_text(config.read_text().replace("train: {epochs: 3}", "train: {scheduler_interval: steps}"))
    assert _asked(config) == (
        f"{config}:6:29: 'train.scheduler_interval' is 'steps', which lit.module.Lit.configure_optimizers "
        f"({tmp_path / 'lit' / 'module.py'}:8) returns as the scheduler's interval; Lightning takes 'step' or "
        "'epoch'; set it to step or epoch")


def test_a_module_whose_source_is_missing_is_asked_for(tmp_path):
    config = tmp_path / "config.yaml"  # a composed template config away from its project
    config.write_text("model:\n  _target_: src.models.mnist_module.MNISTLitModule\n"
                      "  optimizer: {_target_: torch.optim.Adam, _partial_: true, lr: 0.001}\n"
                      "  scheduler: {_target_: torch.optim.lr_scheduler.StepLR, _partial_: true, step_size: 2}\n"
                      "trainer: {_target_: lightning.pytorch.trainer.Trainer, max_epochs: 4}\n")
    assert _asked(config, dataset_size=10) == (
        f"{config}:2:13: the scheduler's interval is decided by src.models.mnist_module.MNISTLitModule."
        "configure_optimizers, whose source is not found on the config's project tree or PYTHONPATH; add "
        "--set model.scheduler.interval=step or --set model.scheduler.interval=epoch, as your "
        "configure_optimizers returns it")


def test_eval_is_lrplots_evaluator_and_the_callers_resolver_comes_back(tmp_path):
    from omegaconf import OmegaConf

    seen = []
    OmegaConf.register_new_resolver("eval", lambda text: seen.append(text) or 0, replace=True)  # a caller's
    try:
        config = tmp_path / "config.yaml"
        template = ("model:\n  optimizer: {{_target_: torch.optim.SGD, lr: 0.1}}\n"
                    "  scheduler: {{_target_: torch.optim.lr_scheduler.StepLR, interval: step, "
                    "step_size: \"${{eval:'{}'}}\"}}\n"
                    "trainer: {{_target_: lightning.pytorch.trainer.Trainer, max_steps: 40}}\n")
        config.write_text(template.format("${trainer.max_steps} // 4"))
        assert _load(config).spec.scheduler.step_size == 10
        config.write_text(template.format('__import__(\\"os\\").getpid()'))
        assert _asked(config) == (
            f"{config}:3:85: 'model.scheduler.step_size': ${{eval:...}} is computed by lrplot's own expression "
            "evaluator (numbers and arithmetic), which refuses it: the expression: calling methods or results of "
            "calls is not allowed; give its value: --set model.scheduler.step_size=VALUE")
        assert seen == []  # the caller's resolver never saw lrplot's reading
        assert OmegaConf.create({"x": "${eval:'1'}"}).x == 0 and seen == ["1"]  # and is back after it
    finally:
        OmegaConf.clear_resolver("eval")


# --- plain training scripts: their 'trainer:' is their own loop ------------------------------------

OWN_KEYS = ("log_step, n_epochs, epoch_len, device_tensors, resume_from, device, override, monitor, save_period, "
            "early_stop, save_dir, seed are not Lightning 2.6.6 Trainer arguments")


def test_template_trainer_is_never_read_as_lightnings_and_asks_for_what_its_loop_decides():
    assert _asked(f"{TEMPLATE}/src/configs/baseline.yaml") == (
        f"{TEMPLATE}/src/configs/baseline.yaml:18:1: 'trainer' is not Lightning's Trainer ({OWN_KEYS}): the "
        "script's own loop decides how many updates it makes and when it steps the scheduler, which the config "
        "does not say; if the script steps it once per update, add --set +lr_scheduler.interval=step --set "
        "+trainer.max_steps=N (the updates it makes); else describe the run as an lrplot spec (steps: N, the "
        "scheduler and its interval)")


def test_template_answered_says_what_was_given():
    source = _load(f"{TEMPLATE}/src/configs/baseline.yaml", "+lr_scheduler.interval=step",
                   "+trainer.max_steps=50000")
    assert source.budget.updates == 50000
    assert source.notes[-1] == (
        "50000 updates (trainer.max_steps), the scheduler stepped once per update (lr_scheduler.interval 'step'), "
        f"as given; 'trainer' is the script's own loop ({OWN_KEYS})")
    assert not source.notes[-1].assumed


def test_one_cycle_sized_by_the_loop_is_drawn_with_the_assumption_named():
    source = _load(f"{ASR}/src/configs/baseline.yaml")  # no --dataset-size asked for
    assert source.budget.updates == 10000
    assert source.assumptions == (
        "the script is assumed to step OneCycleLR once per update, for epochs x steps_per_epoch = 20 x 500 = 10000 "
        "updates (its length as torch defines it; stepping it further raises); 'trainer' is the script's own loop "
        "(log_step, n_epochs, epoch_len, device_tensors, saver_decode_methods, resume_from, device, override, "
        "monitor, save_period, early_stop, save_dir, seed are not Lightning 2.6.6 Trainer arguments)",)


def _script_run(config_dir, overrides, step_line):
    """The project's train.py:50-51 (instantiate(config.optimizer, params=...), then
    instantiate(config.lr_scheduler, optimizer=...)) and its BaseTrainer loop: for each of n_epochs
    epochs, epoch_len batches (base_trainer.py, inf_loop), each an optimizer.step() followed by
    lr_scheduler.step() (``step_line``); the lr recorded right before each update."""
    import torch
    from hydra.utils import instantiate

    cfg = _composed(config_dir, "baseline", overrides)
    params = [torch.nn.Parameter(torch.zeros(2))]
    optimizer = instantiate(cfg.optimizer, params=params)
    lr_scheduler = instantiate(cfg.lr_scheduler, optimizer=optimizer)
    recorded = []
    optimizer.register_step_pre_hook(lambda o, args, kwargs: recorded.append(o.param_groups[0]["lr"]))
    for _epoch in range(1, cfg.trainer.n_epochs + 1):
        for _batch_idx in range(cfg.trainer.epoch_len):
            params[0].grad = torch.ones(2)
            optimizer.step()
            lr_scheduler.step()
    return recorded


@pytest.mark.slow
@pytest.mark.parametrize("tree, answers, step_line", [
    (TEMPLATE, ("+lr_scheduler.interval=step", "+trainer.max_steps=60"), "trainer.py:46-48"),
    (ASR, (), "trainer.py:54-56"),
])
def test_plain_script_equals_the_scheduler_driven_as_its_script_drives_it(tree, answers, step_line):
    shrink = ("trainer.n_epochs=3", "trainer.epoch_len=20")  # 60 updates: the loop as the config sizes it
    reference = _script_run(f"{tree}/src/configs", list(shrink), step_line)
    source = _load(f"{tree}/src/configs/baseline.yaml", *shrink, *answers)
    assert _curve(source) == reference
    assert len(reference) == 60 and len(set(reference)) > 2


# --- drawn == a REAL Lightning Trainer -------------------------------------------------------------

def _composed(config_dir, name, overrides):
    """The tree composed by Hydra itself, as the project's train.py would with these overrides
    (hydra-colorlog is not installed here: Hydra's own 'disabled' logging instead)."""
    from hydra import compose, initialize_config_dir
    from hydra.core.global_hydra import GlobalHydra

    GlobalHydra.instance().clear()
    try:
        with initialize_config_dir(config_dir=str(ROOT / config_dir), version_base="1.3"):
            return compose(config_name=name, overrides=list(overrides) + [
                "hydra/job_logging=disabled", "hydra/hydra_logging=disabled"])
    finally:
        GlobalHydra.instance().clear()


def _real_run(cfg, make_optimizer, make_scheduler, interval, dataset_size, batch_size, root, **trainer):
    from tests.helpers.lightning_runs import ConfiguredModel, TinyData, run_trainer

    model = ConfiguredModel(make_optimizer, make_scheduler, interval, 1)
    recorded, _ = run_trainer(model, TinyData(dataset_size, batch_size), root, **trainer)
    return [r[0] for r in recorded]


@pytest.fixture(scope="module")
def real_runs(tmp_path_factory):
    require("lightning")
    from hydra.utils import instantiate
    from omegaconf import OmegaConf

    runs = {}
    # pflow-encodec: pflow.py:72 instantiate(optimizer_cfg, params=...), :75 instantiate(scheduler_cfg,
    # optimizer=...), :76 returns it with interval 'step', frequency 1
    cfg = _composed(f"{PFLOW}/configs", "train", ["experiment=libritts_base", "trainer.max_steps=40"])
    runs["pflow"] = _real_run(
        cfg, lambda m: instantiate(cfg.model.optimizer, params=m.parameters()),
        lambda o: instantiate(cfg.model.scheduler, optimizer=o), "step", 200, 1, tmp_path_factory.mktemp("pflow"),
        max_steps=cfg.trainer.max_steps, max_epochs=cfg.trainer.max_epochs,
        accumulate_grad_batches=cfg.trainer.accumulate_grad_batches, gradient_clip_val=cfg.trainer.gradient_clip_val)
    # flash-attention: training/run.py:11 registers Python's eval as the 'eval' resolver; seq.py:133
    # instantiate(cfg.train.optimizer, parameters), :146 instantiate(cfg.train.scheduler, optimizer),
    # :147-148 interval cfg.train.get('scheduler_interval', 'step') ('step' here, as set)
    cfg = _composed(f"{FLASH}/configs", "config", [*FLASH_SET, "trainer.max_steps=300"])
    OmegaConf.register_new_resolver("eval", eval, replace=True)
    try:
        scheduler = OmegaConf.to_container(cfg.train.scheduler, resolve=True)
    finally:
        OmegaConf.clear_resolver("eval")
    optimizer = OmegaConf.to_container(cfg.train.optimizer, resolve=True)
    runs["flash"] = _real_run(
        cfg, lambda m: instantiate(optimizer, m.parameters()), lambda o: instantiate(scheduler, o),
        cfg.train.get("scheduler_interval", "step"),
        100000 // 8, 16, tmp_path_factory.mktemp("flash"),
        max_steps=cfg.trainer.max_steps, accumulate_grad_batches=4)  # (one device: 100000 / 8 examples)
    # fly: run.py:11 registers Python's eval; seq.py:121 instantiate(cfg.train.optimizer, parameters),
    # :134 instantiate(cfg.train.scheduler, optimizer), :136 interval cfg.train.scheduler_interval ('epoch')
    cfg = _composed(f"{FLY}/configs", "config", list(FLY_SET))
    OmegaConf.register_new_resolver("eval", eval, replace=True)
    try:
        optimizer = OmegaConf.to_container(cfg.train.optimizer, resolve=True)
        scheduler = OmegaConf.to_container(cfg.train.scheduler, resolve=True)
    finally:
        OmegaConf.clear_resolver("eval")
    assert cfg.train.scheduler_interval == "epoch"
    runs["fly"] = _real_run(
        cfg, lambda m: instantiate(optimizer, m.parameters()), lambda o: instantiate(scheduler, o),
        cfg.train.scheduler_interval, 16, 4, tmp_path_factory.mktemp("fly"), max_epochs=cfg.trainer.max_epochs)
    runs["template"] = _template_run(tmp_path_factory.mktemp("template"))
    return runs


def _template_run(root):
    """lightning-hydra-template's OWN MNISTLitModule (the published file, loaded by path), built
    from the composed model node as its train.py does (hydra.utils.instantiate(cfg.model), the net a
    tiny stand-in), fitted by a Trainer with the composed trainer's arguments on 200 random
    examples: its configure_optimizers (mnist_module.py:192-213) steps ReduceLROnPlateau per epoch on
    val/loss. The lr is recorded right before each optimizer update."""
    import importlib.util
    import sys
    import warnings

    import torch
    from hydra.utils import instantiate
    from lightning.pytorch import Callback, LightningDataModule, Trainer
    from torch.utils.data import DataLoader, TensorDataset

    file = ROOT / LHT / "src" / "models" / "mnist_module.py"
    spec = importlib.util.spec_from_file_location("published_lht_mnist_module", file)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    cfg = _composed(f"{LHT}/configs", "train", [])
    model = module.MNISTLitModule(net=torch.nn.Linear(4, 10), optimizer=instantiate(cfg.model.optimizer),
                                  scheduler=instantiate(cfg.model.scheduler), compile=False)

    class Data(LightningDataModule):
        def _loader(self, n, seed):
            g = torch.Generator().manual_seed(seed)
            return DataLoader(TensorDataset(torch.randn(n, 4, generator=g), torch.randint(0, 10, (n,), generator=g)),
                              batch_size=cfg.data.batch_size)

        def train_dataloader(self):
            return self._loader(200, 0)

        def val_dataloader(self):
            return self._loader(20, 1)

    recorded = []

    class Record(Callback):
        def on_fit_start(self, trainer, pl_module):
            trainer.optimizers[0].register_step_pre_hook(
                lambda o, args, kwargs: recorded.append(o.param_groups[0]["lr"]))

    from omegaconf import OmegaConf

    raw = OmegaConf.to_container(cfg.trainer, resolve=False)  # (default_root_dir needs a running Hydra app)
    args = {k: v for k, v in raw.items() if k not in ("_target_", "default_root_dir")}
    trainer = Trainer(**args, default_root_dir=str(root), logger=False, enable_checkpointing=False,
                      enable_progress_bar=False, enable_model_summary=False, callbacks=[Record()])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        trainer.fit(model, datamodule=Data())
    return recorded


def _curve(source):
    from lrplot.engine import simulate

    trace = simulate(source.spec).schedules[0]
    return [trace.values[(0, "lr")][t] for t in range(trace.steps)]


@pytest.mark.slow
def test_template_equals_its_own_module_fitted_by_a_real_trainer(real_runs):
    source = _load(f"{LHT}/configs/train.yaml", dataset_size=200)
    # 200 / 128 = 2 updates per epoch x 10 epochs; ReduceLROnPlateau(patience 10) never reduces in 10
    # epochs, whatever the metric: lrplot's own staircase and the run's val/loss agree here
    assert _curve(source) == real_runs["template"]
    assert len(real_runs["template"]) == 20


@pytest.mark.slow
def test_fly_equals_a_real_trainer_at_every_update(real_runs):
    source = _load(f"{FLY}/configs/config.yaml", *FLY_SET, dataset_size=16)
    assert _curve(source) == real_runs["fly"]
    assert len(real_runs["fly"]) == 20 and len(set(real_runs["fly"])) == 3  # MultiStepLR at epochs 1 and 3


@pytest.mark.slow
def test_pflow_equals_a_real_trainer_at_every_update(real_runs):
    source = _load(f"{PFLOW}/configs/train.yaml", "experiment=libritts_base", "trainer.max_steps=40",
                   dataset_size=200, batch_size=1)
    assert _curve(source) == real_runs["pflow"]
    assert len(real_runs["pflow"]) == 40 and len(set(real_runs["pflow"])) > 10


@pytest.mark.slow
def test_flash_attention_with_its_answers_equals_a_real_trainer_at_every_update(real_runs):
    source = _load(f"{FLASH}/configs/config.yaml", *FLASH_SET, "trainer.max_steps=300", dataset_size=100000)
    assert _curve(source) == real_runs["flash"]
    assert len(real_runs["flash"]) == 300 and len(set(real_runs["flash"])) > 100
