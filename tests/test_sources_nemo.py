"""NeMo model configs: lrplot's curve equals NeMo's OWN scheduler class driven as NeMo + Lightning step it.

Published configs, unedited, from NVIDIA/NeMo at 8cfedd7203462cb251a914e700e5605444277561:
examples/asr/conf/citrinet/citrinet_512.yaml (CosineAnnealing),
examples/asr/conf/conformer/conformer_ctc_bpe.yaml (NoamAnnealing, d_model an interpolation) and
examples/audio/conf/maxine_bnr.yaml (torch's StepLR by name; trainer.max_steps and max_epochs both -1) and
examples/tts/conf/audio_codec/audio_codec_16000.yaml (a GAN model's: refused; once its trainer.max_steps:
${max_steps} was resolved it was drawn for 200000 scheduler steps its run does not make),
examples/tts/conf/vits.yaml and vits_44100.yaml (VITS steps its two optimizers and schedulers by hand: refused;
vits_44100's CosineAnnealing was drawn for its sched.max_steps 1000000) and
examples/tts/conf/tacotron2.yaml and fastpitch_align_v1.05.yaml (the batch size under train_ds.dataloader_params),
examples/asr/conf/quartznet/quartznet_15x5_zh.yaml (its 5,206 labels written once, repeated by alias: 21,133 values expanded).
More published configs, each of which showed a reader bug: tests/test_sources_nemo_published.py.

torch's schedulers named in NeMo's registry (StepLR, ExponentialLR, CyclicLR, ReduceLROnPlateau) are compared
with a REAL Lightning fit whose configure_optimizers returns ``[optimizer], [prepare_lr_scheduler(...)]`` as
ModelPT.configure_optimizers does (modelPT.py:889-898), the sched block given the trainer's max_steps as
setup_optimization gives it (modelPT.py:690-691): NeMo's own interval ('epoch' for EPOCH_SCHEDULERS) and
frequency, stepped by Lightning itself.

The reference (nemo_toolkit 3.0.0): trainer.max_steps is -1, so ModelPT.setup_optimization
(nemo/core/classes/modelPT.py:675-685) hands max_epochs, accumulate_grad_batches, limit_train_batches and
num_devices * num_nodes to prepare_lr_scheduler, which calls compute_max_steps (nemo/core/optim/
lr_scheduler.py:1019-1041, here NeMo's own function) and builds ``scheduler_cls(optimizer, **args)``
(:987-995), stepped by Lightning once per optimizer update (``interval: 'step'``, :1007-1016).
NeMo's package __init__ needs onnx: the tests import its real scheduler file through stub parents
(tests/helpers/framework_stub.py).
"""

from __future__ import annotations

import pytest

from lrplot.errors import SpecError
from lrplot.sources import BudgetInputs, load_input

from tests.helpers import forked
from tests.helpers.nemo_reference import drawn, nemo_loop
from tests.helpers.installed import require
from tests.helpers.paths import ROOT

require("nemo", "omegaconf")

DATA = ROOT / "tests" / "data" / "nemo"
CITRINET = DATA / "citrinet_512.yaml"
CONFORMER = DATA / "conformer_ctc_bpe.yaml"
MAXINE = DATA / "maxine_bnr.yaml"
CODEC = DATA / "audio_codec_16000.yaml"
VITS, VITS_44100 = DATA / "vits.yaml", DATA / "vits_44100.yaml"
TACOTRON2, FASTPITCH = DATA / "tacotron2.yaml", DATA / "fastpitch_align_v1.05.yaml"
QUARTZNET_ZH = DATA / "quartznet_15x5_zh.yaml"


@pytest.mark.slow
@pytest.mark.timeout(120)
def test_published_citrinet_cosine_equals_nemo(nemo):
    expected = nemo_loop(nemo, "CosineAnnealing", 0.05, {"warmup_steps": 1000, "warmup_ratio": None, "min_lr": 1e-5,
                                                         "last_epoch": -1}, epochs=100, examples=1000, batch=32)
    assert len(expected) == 3200  # ceil(1000 / 32) = 32 updates x 100 epochs
    assert drawn(CITRINET, 1000) == expected


@pytest.mark.slow
@pytest.mark.timeout(120)
def test_published_conformer_noam_equals_nemo(nemo):
    expected = nemo_loop(nemo, "NoamAnnealing", 2.0, {"d_model": 512, "warmup_steps": 10000, "warmup_ratio": None,
                                                      "min_lr": 1e-6}, epochs=1000, examples=100, batch=16)
    assert len(expected) == 7000  # ceil(100 / 16) = 7 updates x 1000 epochs
    assert drawn(CONFORMER, 100) == expected


@pytest.mark.slow
@pytest.mark.timeout(120)
def test_published_config_repeating_a_long_label_list_equals_nemo(nemo):
    """Refused before as 'the document expands to more than 10000 values' (its labels, aliased three times)."""
    expected = nemo_loop(nemo, "CosineAnnealing", 0.01, {"warmup_steps": None, "warmup_ratio": None, "min_lr": 0.0,
                                                         "last_epoch": -1}, epochs=5, examples=1000, batch=32)
    assert len(expected) == 160  # ceil(1000 / 32) = 32 updates x 5 epochs
    assert drawn(QUARTZNET_ZH, 1000) == expected


def test_published_config_without_dataset_size_asks_in_one_line():
    with pytest.raises(SpecError) as err:
        load_input(CITRINET, inputs=BudgetInputs())
    assert str(err.value).splitlines() == [
        f"{CITRINET}:405:14: needs the training-set size (NeMo reads len(train_dataloader.dataset) to compute "
        "max_steps, trainer.max_steps being unset); add --dataset-size N (or --set trainer.max_steps=N)"]


@pytest.mark.slow  # NeMo imported afresh in a child process
def test_importing_nemo_leaves_hydras_config_store_as_it_was():
    """NeMo's modules register structured configs (a 'trainer' group) in Hydra's process-wide ConfigStore
    on import; a Hydra tree composed later in the same process found a 'trainer' option it does not have.
    lrplot imports NeMo inside hydra_plugins.store_kept: inside the block the import has registered the
    group (so the check after it can fail), after the block the store is as it was. One process that had
    not imported NeMo shows both (NeMo's import costs seconds; a second child importing it without the
    block showed the same registration): tests/helpers/nemo_store_probe.py, forked from a process that
    imported lrplot and torch once (tests/helpers/forked.py), the probe saying that NeMo was not there."""
    out = forked.run([], module="tests.helpers.nemo_store_probe", text=True, timeout=300, cwd=ROOT)
    assert out.returncode == 0, out.stderr[-2000:]
    assert out.stdout.strip().splitlines()[-4:] == ["nemo imported False", "before []", "inside ['trainer.yaml']",
                                                    "after []"]


def lightning_lrs(nemo, sched: dict, lr: float, max_steps: int, tmp_path, dataset_size: int = 10,
                  batch: int = 3) -> list:
    """The lr of each update of a REAL Lightning fit of a model configured as NeMo's ModelPT configures one."""
    import torch

    from tests.helpers.lightning_runs import TinyData, TinyModel, run_trainer

    class NemoModel(TinyModel):
        def configure_optimizers(self):  # modelPT.py:889-898 with setup_optimization's sched (:690-691)
            optimizer = torch.optim.Adam(self.parameters(), lr=lr)  # NeMo's 'adam'
            return [optimizer], [nemo.prepare_lr_scheduler(optimizer, {**sched, "max_steps": max_steps})]

    recorded, _ = run_trainer(NemoModel(), TinyData(dataset_size, batch), tmp_path, max_steps=max_steps)
    return [row[0] for row in recorded]


@pytest.mark.slow
def test_the_torch_schedulers_and_intervals_are_nemos_registry(nemo):
    from lrplot.sources import nemo as reader

    module = nemo
    torch_names = {k for k, v in module.AVAILABLE_SCHEDULERS.items() if v.__module__.startswith("torch.")}
    assert set(reader.TORCH_SCHEDULES) == torch_names
    assert reader.TORCH_SCHEDULES == {k: "epoch" if k in module.EPOCH_SCHEDULERS else "step" for k in torch_names}
    assert set(reader.SCHEDULES) == set(module.AVAILABLE_SCHEDULERS) - torch_names


@pytest.mark.slow
@pytest.mark.timeout(300)
@pytest.mark.parametrize("name, overrides, sched", [
    ("StepLR", [], {"name": "StepLR", "gamma": 0.999, "step_size": 2}),  # the published block as it is
    ("ExponentialLR", ["model.optim.sched.name=ExponentialLR", "~model.optim.sched.step_size",
                       "model.optim.sched.gamma=0.5"], {"name": "ExponentialLR", "gamma": 0.5}),
    ("CyclicLR", ["model.optim.sched.name=CyclicLR", "~model.optim.sched.step_size", "~model.optim.sched.gamma",
                  "model.optim.sched.base_lr=1e-4", "model.optim.sched.max_lr=5e-4",
                  "model.optim.sched.step_size_up=5"],
     {"name": "CyclicLR", "base_lr": 1e-4, "max_lr": 5e-4, "step_size_up": 5})])
def test_torch_schedulers_by_name_equal_a_real_lightning_fit_of_nemos_prepare_lr_scheduler(nemo, tmp_path, name,
                                                                                           overrides, sched):
    """maxine_bnr.yaml trains until stopped (max_steps and max_epochs -1): 30 updates of 4 batches an epoch
    (10 examples, batch 3), its StepLR as published, and the other torch names in its place."""
    from lrplot.engine import simulate

    sets = ["trainer.max_steps=30", "model.train_ds.batch_size=3", *overrides]
    source = load_input(MAXINE, overrides=sets, inputs=BudgetInputs(dataset_size=10))
    lr = simulate(source.spec).schedules[0].values[(0, "lr")].tolist()
    expected = lightning_lrs(nemo, sched, 0.0005, 30, tmp_path)
    assert len(expected) == 30 and lr == expected
    assert source.spec.scheduler.type == name and source.spec.interval == ("epoch" if name == "ExponentialLR" else
                                                                             "step")
    if name == "ExponentialLR":  # once per epoch of 4 updates
        assert lr[:9] == [0.0005] * 4 + [0.00025] * 4 + [0.000125]


def test_a_scheduler_nemo_steps_per_epoch_asks_for_the_dataset_size_in_one_line():
    with pytest.raises(SpecError) as err:
        load_input(MAXINE, overrides=["trainer.max_steps=30", "model.optim.sched.name=ExponentialLR"])
    assert str(err.value).splitlines() == [
        "--set model.optim.sched.name: needs the training-set size: NeMo steps ExponentialLR once per epoch (EPOCH_SCHEDULERS), "
        "so the updates of an epoch matter (Lightning's len(train_dataloader)); add --dataset-size N"]


def test_an_unregistered_name_is_refused_naming_the_registry():
    with pytest.raises(SpecError) as err:
        load_input(MAXINE, overrides=["trainer.max_steps=30", "model.optim.sched.name=StepLr"])
    assert str(err.value).splitlines() == [
        "--set model.optim.sched.name: model.optim.sched.name 'StepLr' is not a scheduler NeMo's registry names "
        "(AVAILABLE_SCHEDULERS of nemo.core.optim.lr_scheduler); did you mean 'StepLR'?"]


@pytest.mark.slow
def test_reduce_on_plateau_is_read_per_epoch_and_names_the_metric_it_is_fed(nemo):
    source = load_input(MAXINE, overrides=["trainer.max_steps=30", "model.optim.sched.name=ReduceLROnPlateau",
                                           "~model.optim.sched.step_size", "~model.optim.sched.gamma"],
                        inputs=BudgetInputs(dataset_size=10))
    assert (source.spec.scheduler.type, source.spec.interval, source.spec.steps_per_epoch) == (
        "ReduceLROnPlateau", "epoch", 1)  # batch 64: one update per epoch of 10 examples
    assert [str(n) for n in source.assumptions][-1] == (
        "ReduceLROnPlateau is fed lrplot's metric (default: its own lr, a staircase), not 'loss'; Lightning steps it "
        "at each epoch end")


def test_the_trainers_max_steps_is_the_schedulers_over_the_blocks_own():
    # ModelPT.setup_optimization (modelPT.py:675, :690-691) writes trainer.max_steps >= 0 into the sched block
    source = load_input(CITRINET, overrides=["trainer.max_steps=100", "model.optim.sched.max_steps=50"])
    assert source.budget.updates == 100 and source.spec.scheduler.options["max_steps"] == 100
    assert source.budget.text == "trainer.max_steps 100"


def test_the_trainers_numbers_are_read_resolved_and_only_those_needed(tmp_path):
    # trainer.max_steps: ${max_steps} is the top-level key's value; a mandatory max_epochs it then does not need
    text = MAXINE.read_text().replace("  max_epochs: -1\n", "  max_epochs: ${max_epochs}\n").replace(
        "  max_steps: -1 # computed at runtime if not set", "  max_steps: ${max_steps}")
    path = tmp_path / "bnr.yaml"
    path.write_text("max_epochs: ???\nmax_steps: 40\n" + text)
    source = load_input(path)
    assert source.budget.updates == 40 and source.budget.text == "trainer.max_steps 40"


def test_a_gan_models_config_is_refused_in_one_line():
    with pytest.raises(SpecError) as err:
        load_input(CODEC)
    assert str(err.value).splitlines() == [
        f"{CODEC}:128:3: {GAN_REFUSAL.format(part='model.discriminator')}"]


GAN_REFUSAL = (
    "{part}: a NeMo GAN model's config (HifiGan, UnivNet, AudioCodecModel, VITS: generator and discriminator "
    "optimizers stepped by hand in training_step, and their schedulers stepped by the model itself); Lightning "
    "counts trainer.max_steps over every optimizer step, so such a run makes fewer training steps and scheduler steps "
    "than max_steps, and the model builds its schedulers itself: lrplot does not model that trainer; draw its "
    "schedule as an lrplot spec (steps: the training steps the run makes)")


@pytest.mark.parametrize("path, where", [(VITS, "160:3"), (VITS_44100, "155:3")])
def test_published_vits_configs_are_refused_as_a_gan_models(path, where):
    # VitsModel (nemo/collections/tts/models/vits.py at 8cfedd7203462cb251a914e700e5605444277561):
    # automatic_optimization = False (:93), two optimizers and schedulers (:141-176), both stepped in training_step
    # (:235-269); its config names no generator, only model.synthesizer (the SynthesizerTrn it trains)
    with pytest.raises(SpecError) as err:
        load_input(path, inputs=BudgetInputs(dataset_size=1000))
    assert str(err.value).splitlines() == [f"{path}:{where}: {GAN_REFUSAL.format(part='model.synthesizer')}"]


def loader_numbers(path, examples: int) -> tuple[int, bool]:
    """batch_size and drop_last of the DataLoader a NeMo TTS model builds, ``DataLoader(dataset,
    **cfg.dataloader_params)`` (tacotron2.py:381, fastpitch.py:613-616 at 8cfedd7203462cb251a914e700e5605444277561),
    read as prepare_lr_scheduler reads them (lr_scheduler.py:945-962)."""
    import torch
    import yaml

    params = yaml.safe_load(path.read_text())["model"]["train_ds"]["dataloader_params"]
    loader = torch.utils.data.DataLoader(range(examples), **{k: params[k] for k in ("batch_size", "drop_last",
                                                                                    "shuffle")})
    return loader.batch_size, loader.drop_last


@pytest.mark.slow
@pytest.mark.timeout(120)
@pytest.mark.parametrize("path, name, lr, args, epochs, updates", [
    (TACOTRON2, "CosineAnnealing", 1e-3, {"min_lr": 1e-5}, 2, 42),   # ceil(1000 / 48) = 21 x 2 epochs (--set)
    (FASTPITCH, "NoamAnnealing", 1e-3, {"warmup_steps": 1000, "last_epoch": -1, "d_model": 1}, 1000, 32000),
])
def test_published_tts_configs_read_the_batch_size_of_their_dataloader_params(nemo, path, name, lr, args, epochs,
                                                                               updates):
    from lrplot.engine import simulate

    batch, drop_last = loader_numbers(path, 1000)
    assert drop_last is False
    expected = nemo_loop(nemo, name, lr, args, epochs=epochs, examples=1000, batch=batch)
    source = load_input(path, inputs=BudgetInputs(dataset_size=1000), overrides=[f"trainer.max_epochs={epochs}"])
    assert source.budget.updates == len(expected) == updates
    assert simulate(source.spec).schedules[0].values[(0, "lr")].tolist() == expected
    assert "model.train_ds.dataloader_params.drop_last" not in " ".join(str(n) for n in source.assumptions)


@pytest.mark.slow
@pytest.mark.timeout(300)
def test_lightning_counts_max_steps_over_every_optimizer_of_a_model_stepping_two_by_hand(tmp_path):
    """What the GAN refusal rests on, with the installed Lightning: two optimizers stepped by hand in each
    training_step (as hifigan.py's does), max_steps 10: five training steps."""
    import torch
    from lightning.pytorch import LightningModule

    from tests.helpers.lightning_runs import TinyData, run_trainer

    class Gan(LightningModule):
        def __init__(self):
            super().__init__()
            self.g, self.d = torch.nn.Linear(2, 1), torch.nn.Linear(2, 1)
            self.automatic_optimization = False
            self.recorded = []

        def training_step(self, batch, batch_idx):
            (x,) = batch
            optim_g, optim_d = self.optimizers()
            for optimizer, part in ((optim_d, self.d), (optim_g, self.g)):
                optimizer.zero_grad()
                self.manual_backward(part(x).pow(2).mean())
                optimizer.step()
            self.recorded.append(batch_idx)

        def configure_optimizers(self):
            return [torch.optim.SGD(self.g.parameters(), lr=0.1), torch.optim.SGD(self.d.parameters(), lr=0.1)]

    model = Gan()
    run_trainer(model, TinyData(40, 2), tmp_path, max_steps=10)
    assert len(model.recorded) == 5 and model.trainer.global_step == 10


def test_the_blocks_max_steps_without_the_trainers_is_named_as_not_the_runs_length():
    # trainer.max_steps -1: Lightning trains max_epochs epochs, while the scheduler ends at the block's max_steps
    source = load_input(CITRINET, overrides=["model.optim.sched.max_steps=500"])
    assert source.budget.updates == 500 and [str(n) for n in source.assumptions] == [
        "model.optim.sched.max_steps 500 is the schedule's length, not the run's: with trainer.max_steps -1 Lightning "
        "trains trainer.max_epochs (100) epochs; drawn for 500 updates"]


def test_two_batch_sizes_that_differ_are_refused_in_one_line(tmp_path):
    text = TACOTRON2.read_text().replace("  train_ds:\n", "  train_ds:\n    batch_size: 16\n", 1)
    path = tmp_path / "tacotron2.yaml"
    path.write_text(text)
    line = text.splitlines().index("    batch_size: 16") + 1
    with pytest.raises(SpecError) as err:
        load_input(path, inputs=BudgetInputs(dataset_size=1000), overrides=["trainer.max_epochs=2"])
    assert str(err.value).splitlines() == [
        f"{path}:{line}:17: model.train_ds.batch_size and model.train_ds.dataloader_params.batch_size differ: which one "
        "the training DataLoader takes is the model's code; --set the one the model does not read to the other's value"]

