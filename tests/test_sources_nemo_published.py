"""NVIDIA's published NeMo configs, read unedited, each of which showed a bug of the NeMo reader: the curve ``==``
NeMo's own scheduler class driven as NeMo + Lightning drive it, or the whole line lrplot answers with.

From NVIDIA/NeMo at 8cfedd7203462cb251a914e700e5605444277561 (nemo_toolkit 3.0.0 is the reference):
examples/asr/conf/ssl/wav2vec/wav2vec_ci.yaml (no trainer.max_epochs: refused, though Lightning trains 1000 epochs),
examples/speaker_tasks/recognition/conf/SpeakerNet_recognition_3x2x512.yaml (sched.max_steps -1 with trainer.max_steps
-1: NeMo builds no scheduler, and lrplot refused it for its args form instead),
examples/audio/conf/maxine_bnr.yaml (trainer.max_epochs and max_steps both -1: 'must be a whole number >= 1, not -1'),
examples/audio/conf/predictive_conformer.yaml and examples/tts/conf/fastpitch/fastpitch_22050.yaml (a '???' the
reading needs, itself or through ``${max_epochs}``: 'fix the interpolation, or give the value with --set KEY=VALUE'),
examples/tts/conf/ssl_tts_22050.yaml (model.optim_backbone and optim_downstream: read by the Hydra reader as 'the
config names no scheduler; add one') and examples/tts/conf/rad-tts_dec.yaml (RadTTSModel builds no scheduler: refused
as 'exp_decay' not in NeMo's registry, with a list of names to pick from),
examples/nlp/language_modeling/conf/transformer_lm_config.yaml (train_ds.tokens_in_batch, no batch_size: asked for
'model.train_ds.batch_size', which TransformerLMModel never reads) and
examples/tts/conf/magpietts/magpietts_inference_en.yaml (no model.train_ds: asked for model.train_ds.batch_size) and
examples/asr/conf/lang_id/titanet_large.yaml (trainer.devices: 2 was not read: drawn for 1 device, twice NeMo's length).
"""

from __future__ import annotations

import pytest

from lrplot.errors import SpecError
from lrplot.sources import BudgetInputs, load_input

from tests.helpers.installed import require
from tests.helpers.nemo_reference import drawn, nemo_loop
from tests.helpers.paths import ROOT

require("nemo", "omegaconf")

DATA = ROOT / "tests" / "data" / "nemo"
WAV2VEC_CI, SPEAKERNET = DATA / "wav2vec_ci.yaml", DATA / "SpeakerNet_recognition_3x2x512.yaml"
PREDICTIVE, FASTPITCH_22050 = DATA / "predictive_conformer.yaml", DATA / "fastpitch_22050.yaml"
MAXINE = DATA / "maxine_bnr.yaml"
SSL_TTS, RADTTS = DATA / "ssl_tts_22050.yaml", DATA / "rad-tts_dec.yaml"
TRANSFORMER_LM, MAGPIE_INFER = DATA / "transformer_lm_config.yaml", DATA / "magpietts_inference_en.yaml"
TITANET = DATA / "titanet_large.yaml"


def lightning_max_epochs(max_epochs, max_steps: int) -> int:
    """The max_epochs a Lightning Trainer built with these holds when configure_optimizers runs: Trainer._run
    calls _parse_loop_limits (loops/utilities.py) before the strategy's setup calls configure_optimizers."""
    from lightning.pytorch import Trainer
    from lightning.pytorch.loops.utilities import _parse_loop_limits

    trainer = Trainer(max_epochs=max_epochs, max_steps=max_steps, logger=False, enable_checkpointing=False,
                      enable_progress_bar=False, enable_model_summary=False)
    return _parse_loop_limits(trainer.min_steps, trainer.max_steps, trainer.min_epochs, trainer.max_epochs, trainer)[1]


@pytest.mark.slow
@pytest.mark.timeout(120)
def test_published_config_without_max_epochs_is_drawn_for_lightnings_default_epochs(nemo):
    """wav2vec_ci.yaml sets trainer.max_steps -1 and no max_epochs: it was refused as 'needs trainer.max_steps or
    trainer.max_epochs', though Lightning has made max_epochs 1000 by the time NeMo's setup_optimization reads it."""
    epochs = lightning_max_epochs(None, -1)
    expected = nemo_loop(nemo, "NoamAnnealing", 2.0, {"min_lr": 0.001, "d_model": 768, "warmup_steps": 15000,
                                                      "warmup_ratio": None}, epochs=epochs, examples=100, batch=8)
    assert len(expected) == 13000  # ceil(100 / 8) = 13 updates x 1000 epochs
    assert drawn(WAV2VEC_CI, 100) == expected
    source = load_input(WAV2VEC_CI, inputs=BudgetInputs(dataset_size=100))
    assert "trainer.max_epochs unset: Lightning trains 1000 epochs (its default when max_steps is -1)" in [
        str(n) for n in source.notes]


@pytest.mark.slow
def test_published_config_whose_sched_max_steps_is_minus_one_is_refused_as_nemo_builds_no_scheduler(nemo):
    """SpeakerNet_recognition_3x2x512.yaml gives its CosineAnnealing arguments in the args form and sched.max_steps
    -1, with trainer.max_steps -1: it was refused for the args form, though NeMo builds no scheduler for it at all."""
    import torch
    import yaml

    sched = yaml.safe_load(SPEAKERNET.read_text())["model"]["optim"]["sched"]
    # what setup_optimization hands on with trainer.max_steps -1 (modelPT.py:674-685): the t_* keys, max_steps kept
    sched.update(t_max_epochs=200, t_accumulate_grad_batches=1, t_limit_train_batches=1.0, t_num_workers=1)
    optimizer = torch.optim.Adam([torch.nn.Parameter(torch.zeros(1))], lr=0.008)
    loader = torch.utils.data.DataLoader(range(1000), batch_size=64)
    assert nemo.prepare_lr_scheduler(optimizer, sched, train_dataloader=loader) is None
    with pytest.raises(SpecError) as err:
        load_input(SPEAKERNET, inputs=BudgetInputs(dataset_size=1000))
    assert str(err.value).splitlines() == [
        f"{SPEAKERNET}:123:18: model.optim.sched.max_steps is -1 and trainer.max_steps does not replace it: NeMo "
        "builds no scheduler then (prepare_lr_scheduler) and the lr stays at model.optim.lr; nothing to draw; --set "
        "trainer.max_steps=N for a schedule of N updates"]


def test_both_limits_minus_one_ask_for_max_steps_in_one_line():
    with pytest.raises(SpecError) as err:
        load_input(MAXINE, inputs=BudgetInputs(dataset_size=1000))
    assert str(err.value).splitlines() == [
        f"{MAXINE}:85:15: trainer.max_epochs and trainer.max_steps are both -1: Lightning trains until stopped, and "
        "NeMo's compute_max_steps gives the schedule no length; add --set trainer.max_steps=N"]


def test_a_mandatory_value_the_reading_needs_is_asked_for_by_its_key():
    # trainer.max_steps: ??? ("needs to be set for shar datasets")
    with pytest.raises(SpecError) as err:
        load_input(PREDICTIVE, inputs=BudgetInputs(dataset_size=1000))
    assert str(err.value).splitlines() == [
        f"{PREDICTIVE}:89:14: 'trainer.max_steps' is ??? (a value the config leaves to the command line); give it: "
        "--set trainer.max_steps=VALUE"]


def test_a_mandatory_value_read_through_an_interpolation_is_asked_for_where_it_stands():
    # max_epochs: ??? at the top (line 7), trainer.max_epochs: ${max_epochs}
    with pytest.raises(SpecError) as err:
        load_input(FASTPITCH_22050, inputs=BudgetInputs(dataset_size=1000))
    assert str(err.value).splitlines() == [
        f"{FASTPITCH_22050}:7:13: 'max_epochs' is ??? (a value the config leaves to the command line), and "
        "'trainer.max_epochs' takes it by interpolation; give it: --set max_epochs=VALUE"]


@pytest.mark.slow
@pytest.mark.timeout(120)
def test_the_value_given_for_it_is_drawn_equal_to_nemo(nemo):
    from lrplot.engine import simulate

    # fastpitch_22050.yaml: NoamAnnealing (lr 1e-3, warmup 1000, d_model 1), batch_size 32 under dataloader_params
    expected = nemo_loop(nemo, "NoamAnnealing", 1e-3, {"warmup_steps": 1000, "last_epoch": -1, "d_model": 1},
                         epochs=3, examples=1000, batch=32)
    source = load_input(FASTPITCH_22050, inputs=BudgetInputs(dataset_size=1000), overrides=["max_epochs=3"])
    assert source.budget.updates == len(expected) == 96  # ceil(1000 / 32) = 32 x 3 epochs
    assert simulate(source.spec).schedules[0].values[(0, "lr")].tolist() == expected


def test_a_model_with_an_optimizer_per_part_is_refused_as_configuring_its_own():
    # SSLDisentangler (nemo/collections/tts/models/ssl_tts.py at 8cfedd7203462cb251a914e700e5605444277561):
    # automatic_optimization = False (:89), configure_optimizers builds a WarmupPolicy from each block's sched
    # (:206-260)
    with pytest.raises(SpecError) as err:
        load_input(SSL_TTS, inputs=BudgetInputs(dataset_size=1000))
    assert str(err.value).splitlines() == [
        f"{SSL_TTS}:138:3: model.optim_backbone, model.optim_downstream: an optimizer per part of the model and no "
        "model.optim, so setup_optimization builds nothing from them; the model's own configure_optimizers does "
        "(SSLDisentangler: a WarmupPolicy from each sched block, both stepped by hand in training_step), and lrplot "
        "does not model that trainer; draw its schedule as an lrplot spec (steps: the training steps the run makes)"]


def test_a_model_whose_configure_optimizers_builds_no_scheduler_is_refused_saying_so():
    # RadTTSModel.configure_optimizers (nemo/collections/tts/models/radtts.py:264-284 at
    # 8cfedd7203462cb251a914e700e5605444277561) returns the optimizer alone; its sched name exp_decay is read by no one
    with pytest.raises(SpecError) as err:
        load_input(RADTTS, inputs=BudgetInputs(dataset_size=1000))
    assert str(err.value).splitlines() == [
        f"{RADTTS}:35:11: model.target RadTTSModel: its configure_optimizers returns its optimizer alone "
        "(radtts.py:264-284), so model.optim.sched is never read: NeMo builds no scheduler and the lr stays at "
        "model.optim.lr; nothing to draw"]


def test_a_config_batching_by_tokens_asks_for_the_number_of_batches():
    with pytest.raises(SpecError) as err:
        load_input(TRANSFORMER_LM)
    assert str(err.value).splitlines() == [
        f"{TRANSFORMER_LM}:88:3: needs the number of training batches of model.train_ds.tokens_in_batch 4096 tokens "
        "(the model's DataLoader takes one a step, and NeMo reads len(train_dataloader.dataset) to compute max_steps, "
        "trainer.max_steps being unset); add --dataset-size N (or --set trainer.max_steps=N)"]


@pytest.mark.slow
@pytest.mark.timeout(120)
def test_a_config_batching_by_tokens_is_drawn_equal_to_nemo_over_its_loader_of_batches(nemo):
    """TransformerLMModel's DataLoader (transformer_lm_model.py:306-333 at 8cfedd7203462cb251a914e700e5605444277561):
    batch_size=1 over a dataset whose items are batches of tokens_in_batch tokens; prepare_lr_scheduler is handed
    that loader and the trainer's numbers as setup_optimization hands them (max_steps -1: 2 epochs, its 4 devices)."""
    import torch
    import yaml

    from lrplot.engine import simulate

    optim = yaml.safe_load(TRANSFORMER_LM.read_text())["model"]["optim"]
    sched = {**optim["sched"], "t_max_epochs": 2, "t_accumulate_grad_batches": 1, "t_limit_train_batches": 1.0,
             "t_num_workers": 4}
    optimizer = torch.optim.Adam([torch.nn.Parameter(torch.zeros(1))], lr=optim["lr"])
    built = nemo.prepare_lr_scheduler(optimizer, sched, train_dataloader=torch.utils.data.DataLoader(range(300),
                                                                                                     batch_size=1))
    assert built["interval"] == "step"
    expected = []
    for _ in range(150):  # ceil(300 batches / 4 ranks) = 75 x 2 epochs
        expected.append(optimizer.param_groups[0]["lr"])
        optimizer.step()
        built["scheduler"].step()
    source = load_input(TRANSFORMER_LM, inputs=BudgetInputs(dataset_size=300), overrides=["trainer.max_epochs=2"])
    assert source.budget.updates == 150 == built["scheduler"].max_steps
    assert simulate(source.spec).schedules[0].values[(0, "lr")].tolist() == expected


def test_a_config_without_a_training_loader_is_said_to_train_nothing():
    # mode: test, a test_ds only; its ExponentialLR steps once per epoch, so trainer.max_steps alone would not do
    with pytest.raises(SpecError) as err:
        load_input(MAGPIE_INFER, inputs=BudgetInputs(dataset_size=1000))
    assert str(err.value).splitlines() == [
        f"{MAGPIE_INFER}:20:1: model.train_ds is missing: the config sets up no training DataLoader (a test or "
        "inference config trains nothing), and NeMo counts an epoch's updates from its batches; give lrplot the "
        "training config"]


@pytest.mark.slow
@pytest.mark.timeout(120)
def test_the_devices_the_trainer_states_divide_the_dataset_as_nemo_divides_it(nemo):
    """titanet_large.yaml: trainer.devices 2, num_nodes 1, max_steps -1, 40 epochs, batch 128. setup_optimization
    hands prepare_lr_scheduler t_num_workers = num_devices * num_nodes (modelPT.py:685), which compute_max_steps
    divides the dataset by (lr_scheduler.py:1024)."""
    import torch
    import yaml

    from lrplot.engine import simulate

    optim = yaml.safe_load(TITANET.read_text())["model"]["optim"]
    sched = {**optim["sched"], "t_max_epochs": 40, "t_accumulate_grad_batches": 1, "t_limit_train_batches": 1.0,
             "t_num_workers": 2 * 1}
    optimizer = torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=optim["lr"])
    built = nemo.prepare_lr_scheduler(optimizer, sched, train_dataloader=torch.utils.data.DataLoader(range(1000),
                                                                                                     batch_size=128))
    expected = []
    for _ in range(built["scheduler"].max_steps):
        expected.append(optimizer.param_groups[0]["lr"])
        optimizer.step()
        built["scheduler"].step()
    assert len(expected) == 160  # ceil(ceil(1000 / 2) / 128) = 4 updates x 40 epochs
    source = load_input(TITANET, inputs=BudgetInputs(dataset_size=1000))
    assert simulate(source.spec).schedules[0].values[(0, "lr")].tolist() == expected
    assert not any("--devices" in str(n) for n in source.assumptions)
    assert load_input(TITANET, inputs=BudgetInputs(dataset_size=1000, devices=4)).budget.updates == 80
    # --devices is the world size (devices x nodes), as for every reader: 4 ranks over 2 nodes, not 4 per node
    assert load_input(TITANET, inputs=BudgetInputs(dataset_size=1000, devices=4),
                      overrides=["trainer.num_nodes=2"]).budget.updates == 80
    assert load_input(TITANET, inputs=BudgetInputs(dataset_size=1000),  # the config's 2 devices on each of 2 nodes
                      overrides=["trainer.num_nodes=2"]).budget.updates == 80
