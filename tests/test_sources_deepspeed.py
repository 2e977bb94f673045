"""DeepSpeed JSON configs: lrplot's curve equals DeepSpeed's OWN scheduler driven as its engine drives it,
``==`` at every update.

DeepSpeed's engine does not run a training step on CPU here, so the reference drives the real classes of
``deepspeed.runtime.lr_schedules`` (deepspeed 0.19.8) with the engine's loop arithmetic, read from
deepspeed/runtime/engine.py of that release (the calls are quoted in tests/helpers/deepspeed_engine.py):
``_scheduler_from_config`` (engine.py:1921-1937) builds it once, ``_take_model_step`` (engine.py:3536-3545)
calls ``lr_scheduler.step()`` after each applied ``optimizer.step()``. The 500,000-update T5 run is compared
with that loop's record (tests/data/deepspeed/regenerate.py), which a test re-checks against DeepSpeed.

The published configs in tests/data/deepspeed/ are taken unedited (CRLF line ends included) from
deepspeedai/DeepSpeedExamples:
  claude_tutorials/model_configs/gpt/gpt2_baseline.json at a56a7261e8412f1a734af7cdf8d087a34f29b130
  claude_tutorials/model_configs/t5/t5_base_pretraining.json at d6b8036ecce3a70dea35476d74e09e5b43976b51
  training/tensor_parallel/hf_integration/configs/ds_config.json (as tp_hf_ds_config.json) and
  ds_config_temp.json (as tp_hf_ds_config_temp.json, a template its run script fills in) at
  45b4b7156c8794a3452a5a7d03dbd8d797068569; training/MoQ/test.json (as MoQ_test.json, no scheduler block and
  only fp16, gradient_clipping, steps_per_print, quantize_training) at the same commit
and from microsoft/DeepSpeedExamples: QANet-Pytorch/ds_bsz512_1cycle.json (as qanet_ds_bsz512_1cycle.json,
indented with tabs) at 69785c7cff23b0d2f7e4d96bc6a0a442f9b60a94
"""

from __future__ import annotations

import json

import pytest

from lrplot.errors import SpecError
from lrplot.sources import load_input
from lrplot.yamlio import load_yaml

from tests.helpers.deepspeed_engine import digest, engine_loop
from tests.helpers.installed import require
from tests.helpers.paths import ROOT

require("deepspeed")

DATA = ROOT / "tests" / "data" / "deepspeed"
GPT2 = DATA / "gpt2_baseline.json"
T5 = DATA / "t5_base_pretraining.json"
T5_RECORD = DATA / "t5_base_pretraining.engine.json"  # regenerate.py
TP_HF = DATA / "tp_hf_ds_config.json"
TP_TEMPLATE = DATA / "tp_hf_ds_config_temp.json"
QANET = DATA / "qanet_ds_bsz512_1cycle.json"


def drawn(path, overrides=(), kind=None):
    from lrplot.engine import simulate

    source = load_input(path, overrides=overrides, kind=kind)
    return source, simulate(source.spec).schedules[0].values[(0, "lr")].tolist()


@pytest.mark.slow
def test_published_warmup_decay_config_equals_the_engine():
    # the engine loop's 500,000 updates, recorded (the loop takes seconds): every value through the digest
    record = json.loads(T5_RECORD.read_text())
    source, lr = drawn(T5)
    assert source.kind == "deepspeed" and source.budget.updates == 500000 and len(lr) == record["updates"]
    assert {i: lr[int(i)] for i in record["sample"]} == record["sample"]  # shows where a curve differs
    assert digest(lr) == record["sha256"]  # and equal at every update
    assert lr[0] == lr[1] == 0 and max(lr) == 1e-4  # log warmup: the first two updates at warmup_min_lr


@pytest.mark.slow
def test_the_recorded_engine_run_is_the_installed_deepspeeds():
    """The record cannot go stale: its sample is what DeepSpeed gives now, the warmup and the decay's start
    through the engine loop itself, the rest from DeepSpeed's own WarmupDecayLR set to each update with its
    ``step(last_batch_iteration=i - 1)`` (the value after i steps: the schedule is a function of the
    iteration, lr_schedules.py ``WarmupDecayLR._get_gamma``)."""
    import deepspeed
    import torch
    from deepspeed.runtime.lr_schedules import WarmupDecayLR

    record, config = json.loads(T5_RECORD.read_text()), json.loads(T5.read_text())
    assert (record["config"], record["deepspeed"], record["updates"]) == (T5.name, deepspeed.__version__, 500000)
    sample = {int(i): value for i, value in record["sample"].items()}
    head = engine_loop(config, 12_000)  # the 10,000 warmup updates and the decay's start
    assert {i: head[i] for i in sample if i < 12_000} == {i: v for i, v in sample.items() if i < 12_000}
    optimizer = torch.optim.AdamW([torch.nn.Parameter(torch.zeros(1))], lr=config["optimizer"]["params"]["lr"])
    scheduler = WarmupDecayLR(optimizer, **config["scheduler"]["params"])
    live = {}
    for i in (i for i in sample if i >= 12_000):
        scheduler.step(last_batch_iteration=i - 1)
        live[i] = optimizer.param_groups[0]["lr"]
    assert live == {i: v for i, v in sample.items() if i >= 12_000} and len(live) > 480


@pytest.mark.slow
def test_published_warmup_config_with_the_run_length_given_equals_the_engine():
    config = json.loads(GPT2.read_text())
    source, lr = drawn(GPT2, ["scheduler.params.total_num_steps=2000"])
    assert lr == engine_loop(config, 2000)
    assert lr[500:] == [5e-5] * 1500
    assert [n for n in source.notes if n.assumed] == [source.assumptions[0]]
    assert source.assumptions[0].startswith("fp16 dynamic loss scaling: DeepSpeed's engine skips "
                                            "lr_scheduler.step() on every update whose gradients overflow")


def test_a_json_config_indented_with_tabs_reads_as_json_reads_it():
    """JSON separates tokens with tabs too; YAML refused the tab that indents QANet's scheduler block, so
    the file was not recognised as DeepSpeed's. Positions stay those of the file (a tab is one column)."""
    text = QANET.read_text()
    data, source = load_yaml(text, str(QANET))
    assert "\t" in text and data == json.loads(text)
    assert (source.value(("scheduler", "type")).line, source.value(("scheduler", "type")).col) == (18, 10)
    with pytest.raises(SpecError) as err:
        load_input(QANET)
    assert str(err.value) == (f"{QANET}:18:10: needs the number of updates to draw (OneCycle has no "
                              "total_num_steps: the training script decides the run length); add --set "
                              "scheduler.params.total_num_steps=N")


@pytest.mark.slow
def test_published_one_cycle_config_equals_the_engine():
    """OneCycle with staircases and a decay phase, the run length given: the engine loop of deepspeed 0.19.8."""
    source, lr = drawn(QANET, ["scheduler.params.total_num_steps=2500"])
    assert source.kind == "deepspeed" and lr == engine_loop(json.loads(QANET.read_text()), 2500)
    assert lr[0] == 0.004 and max(lr) == 0.015 and lr[-1] < 0.004  # min, peak at 1000, decay past 1100


BLOCKS = {
    "WarmupCosineLR, log warmup by default": {"type": "WarmupCosineLR", "params": {
        "total_num_steps": 300, "warmup_num_steps": 40, "warmup_min_ratio": 0.1, "cos_min_ratio": 0.01}},
    "WarmupDecayLR, linear warmup": {"type": "WarmupDecayLR", "params": {
        "total_num_steps": 200, "warmup_min_lr": 1e-5, "warmup_max_lr": 3e-4, "warmup_num_steps": 20,
        "warmup_type": "linear"}},
    "OneCycle with decay": {"type": "OneCycle", "params": {
        "cycle_min_lr": 1e-4, "cycle_max_lr": 1e-3, "cycle_first_step_size": 50, "decay_step_size": 10,
        "decay_lr_rate": 0.1, "cycle_momentum": True, "cycle_min_mom": 0.85, "cycle_max_mom": 0.99}},
    "LRRangeTest, staircase": {"type": "LRRangeTest", "params": {
        "lr_range_test_min_lr": 1e-5, "lr_range_test_step_size": 10, "lr_range_test_step_rate": 2.0,
        "lr_range_test_staircase": True}},
    "a torch scheduler by name": {"type": "CosineAnnealingLR", "params": {"T_max": 150, "eta_min": 1e-6}},
}


@pytest.mark.slow
@pytest.mark.parametrize("case", sorted(BLOCKS))
def test_every_schedule_equals_the_engine(tmp_path, case):
    config = {"train_micro_batch_size_per_gpu": 4, "zero_optimization": {"stage": 2},
              "optimizer": {"type": "AdamW", "params": {"lr": 2e-4, "betas": [0.9, 0.95], "weight_decay": 0.1}},
              "scheduler": BLOCKS[case]}
    path = tmp_path / "ds_config.json"
    path.write_text(json.dumps(config, indent=2))
    given = "total_num_steps" in BLOCKS[case]["params"]
    source, lr = drawn(path, () if given else ["scheduler.params.total_num_steps=250"])
    assert lr == engine_loop(config, len(lr)) and len(lr) == (BLOCKS[case]["params"]["total_num_steps"] if given
                                                             else 250)


def test_is_recognised_by_content_and_by_from(tmp_path):
    from lrplot.sources import detect, load_document

    assert detect(load_document(T5)) == "deepspeed"
    plain = tmp_path / "plain.json"
    plain.write_text('{"scheduler": {"type": "WarmupLR", "params": {"warmup_num_steps": 5, "total_num_steps": 9}}}')
    assert detect(load_document(plain)) == "lrplot"  # no DeepSpeed key: an lrplot spec's errors apply
    with pytest.raises(SpecError) as err:
        load_input(plain, kind="deepspeed")
    assert err.value.format() == (
        f"{plain}:1:70: WarmupLR takes no total_num_steps (DeepSpeed would fail: WarmupLR() got an unexpected keyword "
        "argument 'total_num_steps'); remove it from the file, and give the length to draw with --set "
        "scheduler.params.total_num_steps=N")


@pytest.mark.parametrize("text, message", [
    ('{"train_batch_size": 8,\n "scheduler": {"type": "WarmupDecayLR",\n  "params": {"total_num_steps": "auto"}}}',
     'ds.json:3:33: scheduler.params.total_num_steps is "auto": HF\'s Trainer fills it (num_training_steps and '
     'warmup steps, learning_rate), and a DeepSpeed config read alone has no value for it; read the HF config '
     'that names this file (its deepspeed: key), or --set scheduler.params.total_num_steps=VALUE'),
    ('{"train_batch_size": 8,\n "scheduler": {"type": "WarmupLR",\n  "params": {"warmup_num_steps": 10}}}',
     "ds.json:2:24: needs the number of updates to draw (WarmupLR has no total_num_steps: the training script "
     "decides the run length); add --set scheduler.params.total_num_steps=N"),
    ('{"train_batch_size": 8,\n "scheduler": {"type": "WarmupDecayLr", "params": {}}}',
     "ds.json:2:24: scheduler.type 'WarmupDecayLr' is neither a DeepSpeed schedule nor a torch scheduler "
     "(DeepSpeed would fail: 'DeepSpeed does not recognize LR scheduler'); did you mean 'WarmupDecayLR'?"),
    ('{"train_batch_size": 8, "zero_optimization": {"stage": 3}}',
     "ds.json:1:1: this DeepSpeed config has no scheduler block: the training script passes its own scheduler "
     "to deepspeed.initialize (or HF's Trainer builds its own); draw that scheduler instead, or add a "
     "scheduler: {type, params} block"),
    ('{"train_batch_size": 8,\n "scheduler": {"type": "WarmupCosineLR",\n  "params": {"total_num_steps": 100}}}',
     "ds.json:2:24: needs the optimizer's lr (the schedule starts from it; with no optimizer block the training "
     "script's optimizer sets it); add --set optimizer.params.lr=LR"),
])
def test_bad_configs_are_one_located_line(tmp_path, text, message):
    path = tmp_path / "ds.json"
    path.write_text(text)
    with pytest.raises(SpecError) as err:
        load_input(path)
    assert err.value.format() == f"{tmp_path}/{message}"


def test_a_published_config_with_no_scheduler_nor_batch_keys_is_deepspeeds():
    """It fell to the lrplot spec (steps_per_print is near steps_per_epoch): 'unknown key 'steps_per_print'; did
    you mean 'steps_per_epoch'?' about a DeepSpeed file."""
    path = DATA / "MoQ_test.json"
    with pytest.raises(SpecError) as err:
        load_input(path)
    assert err.value.format() == (
        f"{path}:1:1: this DeepSpeed config has no scheduler block: the training script passes its own scheduler "
        "to deepspeed.initialize (or HF's Trainer builds its own); draw that scheduler instead, or add a "
        "scheduler: {type, params} block")


@pytest.mark.slow
def test_print_spec_is_the_same_schedule(cli, tmp_path):
    from lrplot.engine import simulate
    from lrplot.spec import load_spec

    printed = cli(GPT2, "--set", "scheduler.params.total_num_steps=900", "--print-spec")
    assert printed.exit_code == 0, printed.output
    assert "type: 'deepspeed.runtime.lr_schedules:WarmupLR'" in printed.stdout
    (tmp_path / "spec.yaml").write_text(printed.stdout)
    again = simulate(load_spec(tmp_path / "spec.yaml")).schedules[0].values[(0, "lr")].tolist()
    assert again == drawn(GPT2, ["scheduler.params.total_num_steps=900"])[1]


# Inside an HF run: transformers' tests/deepspeed/ds_config_zero2.json (huggingface/transformers at
# 00e12e7c54598e50e7bef1540db3408f81916de1), unedited: WarmupLR, every value "auto".
ZERO2 = DATA / "ds_config_zero2.json"
HF_CONFIG = "output_dir: out\nlearning_rate: 2.0e-5\nmax_steps: 300\nwarmup_steps: 0.1\nfp16: true\ndeepspeed: {ds}\n"


def hf_run(tmp_path, ds_text: str, hf_text: str = HF_CONFIG):
    (tmp_path / "ds.json").write_text(ds_text)
    path = tmp_path / "sft.yaml"
    path.write_text(hf_text.format(ds="ds.json"))
    return path


@pytest.mark.slow
def test_an_hf_config_naming_a_deepspeed_scheduler_draws_deepspeeds_schedule_filled_as_hf_fills_it(tmp_path):
    """The reference fills "auto" with transformers' OWN HfTrainerDeepSpeedConfig (trainer_config_process,
    then trainer_config_finalize with the Trainer's num_training_steps), then drives DeepSpeed's class as the
    engine does."""
    from transformers import TrainingArguments
    from transformers.integrations.deepspeed import HfTrainerDeepSpeedConfig

    path = hf_run(tmp_path, ZERO2.read_text())
    source, lr = drawn(path)
    args = TrainingArguments(output_dir=str(tmp_path / "out"), learning_rate=2e-5, max_steps=300, warmup_steps=0.1,
                             use_cpu=True)
    args.fp16 = True  # as the config says (fp16 needs a GPU to construct TrainingArguments with)
    hf = HfTrainerDeepSpeedConfig(json.loads(ZERO2.read_text()))
    hf.trainer_config_process(args)
    hf.trainer_config_finalize(args, None, 300)
    assert hf.config["scheduler"]["params"] == {"warmup_min_lr": 0, "warmup_max_lr": 2e-5, "warmup_num_steps": 30}
    assert source.kind == "hf" and len(lr) == 300 and lr == engine_loop(hf.config, 300)
    assert lr[:2] == [0.0, 0.0] and lr[30:] == [2e-5] * 270  # WarmupLR: flat after warmup, not HF's linear decay
    assert any(n.startswith("the schedule is ds.json's scheduler block (WarmupLR), which HF's DeepSpeed integration "
                            "runs instead of lr_scheduler_type") for n in source.notes)
    assert source.assumptions[-1].startswith("fp16 dynamic loss scaling")


@pytest.mark.slow
def test_without_a_scheduler_block_hfs_own_scheduler_applies(tmp_path):
    config = json.loads(ZERO2.read_text())
    del config["scheduler"]
    with_ds = drawn(hf_run(tmp_path, json.dumps(config)))[1]
    (tmp_path / "plain.yaml").write_text(HF_CONFIG.replace("deepspeed: {ds}\n", ""))
    assert with_ds == drawn(tmp_path / "plain.yaml")[1]


def test_a_value_that_mismatches_the_trainer_is_refused_as_hf_refuses_it(tmp_path):
    config = json.loads(ZERO2.read_text())
    config["scheduler"]["params"]["warmup_max_lr"] = 1e-3
    path = hf_run(tmp_path, json.dumps(config, indent=1))
    with pytest.raises(SpecError) as err:
        load_input(path)
    assert err.value.format() == (
        f"{tmp_path}/ds.json:26:21: scheduler.params.warmup_max_lr 0.001 differs from the Trainer's learning_rate "
        "2e-05: HF's Trainer refuses to start ('Please correct the following DeepSpeed config values that mismatch "
        "TrainingArguments values'); set it to \"auto\", or to 2e-05")


def test_published_hf_config_of_autos_is_asked_for_the_hf_run():
    with pytest.raises(SpecError) as info:
        load_input(TP_HF)
    assert str(info.value) == (
        f'{TP_HF}:17:28: scheduler.params.total_num_steps is "auto": HF\'s Trainer fills it (num_training_steps and '
        "warmup steps, learning_rate), and a DeepSpeed config read alone has no value for it; read the HF config "
        "that names this file (its deepspeed: key), or --set scheduler.params.total_num_steps=VALUE")


def test_published_template_names_its_placeholder():
    # was only "not valid YAML: expected ',' or '}', but got '{'"
    with pytest.raises(SpecError) as info:
        load_input(TP_TEMPLATE)
    assert str(info.value) == (
        f"{TP_TEMPLATE}:24:17: not valid YAML: expected ',' or '}}', but got '{{'; ${{zero_stage}} is a template "
        "placeholder a launch script fills in; read the filled-in file, or write the value")


def checked(path, overrides):
    from lrplot.check import check_schedule

    (schedule,) = load_input(path, overrides=overrides).spec.schedule_list()
    return [f.text() for f in check_schedule(schedule)]


def test_a_finding_is_advised_in_the_jsons_own_keys(tmp_path):
    # DeepSpeed builds torch's CosineAnnealingLR from a name it does not ship (engine.py:1921-1937); a
    # minimal config (no published one names it): T_max 60 on a run of 100 updates climbs again, first to
    # 1e-3 * (1 - cos(pi / 60)) / 2 = 6.85233e-07
    path = tmp_path / "ds.json"
    path.write_text('{"train_batch_size": 8, "optimizer": {"type": "AdamW", "params": {"lr": 0.001}},\n'
                    ' "scheduler": {"type": "CosineAnnealingLR", "params": {"T_max": 60}}}')
    run = ["scheduler.params.total_num_steps=100"]
    (line,) = [x for x in checked(path, run) if x.endswith("[rebound]")]
    assert line == (f"{path}:2:55: error: 'ds' lr at step 61: CosineAnnealingLR (T_max=60) rises again after T_max, "
                    "from 0 to 6.85233e-07; set scheduler.params.T_max to the updates it drives (100) [rebound]")
    (line,) = [x for x in checked(path, run) if x.endswith("[short-schedule]")]
    assert line.endswith("after step 60 it is past its end; set scheduler.params.T_max to the scheduler steps it "
                         "drives (100) [short-schedule]")
    assert checked(path, run + ["scheduler.params.T_max=100"]) == []


@pytest.mark.slow
@pytest.mark.timeout(120)
def test_check_json_stays_json_where_deepspeed_warns_of_a_total_below_its_warmup():
    # WarmupDecayLR logs 'total_num_steps 5000 is less than warmup_num_steps 10000' (lr_schedules.py:826-828) on
    # its logger, which prints on stdout: long-warmup says it, located, and stdout holds only the JSON
    from tests.helpers import forked

    r = forked.run(["check", str(T5), "--set", "scheduler.params.total_num_steps=5000", "--json"], cwd=ROOT,
                   text=True, timeout=60)
    assert r.returncode == 0, r.stderr
    # (its first two updates at warmup_min_lr 0 are its log warmup's start, not said)
    assert [f["rule"] for f in json.loads(r.stdout)["findings"]] == ["long-warmup"]


@pytest.mark.slow
@pytest.mark.parametrize("path, block", [(QANET, None), (None, "LRRangeTest, staircase")])
def test_check_compares_deepspeeds_lr_with_the_peak_its_schedule_declares(tmp_path, path, block):
    # OneCycle rises to cycle_max_lr (0.015 here, the optimizer's lr 0.001: lr_schedules.py:547-549, :620-628),
    # LRRangeTest on without a bound: neither is an overshoot of the optimizer's lr (an error that failed check)
    from lrplot.check import check_schedule

    if path is None:
        path = tmp_path / "ds.json"
        path.write_text(json.dumps({"train_batch_size": 8, "optimizer": {"type": "AdamW", "params": {"lr": 1e-5}},
                                    "scheduler": BLOCKS[block]}))
    source, lr = drawn(path, ["scheduler.params.total_num_steps=2500"])
    assert max(lr) > source.spec.schedule_list()[0].spec.optimizer.lr * 10
    assert [f.text() for s in source.spec.schedule_list() for f in check_schedule(s) if f.level == "error"] == []


@pytest.mark.slow
@pytest.mark.timeout(180)
@pytest.mark.parametrize("path, change, note", [
    (T5, "scheduler.params.warmup_type=cosine",
     "warmup_type 'cosine': DeepSpeed knows log and linear; it warns and warms up as log, as drawn here"),
    (QANET, "optimizer.type=SGD", "OneCycle cycles momentum only for an optimizer with betas "
                                  "(lr_schedules.py:563-569): with SGD DeepSpeed turns cycle_momentum off")])
def test_what_deepspeeds_schedules_log_is_a_note_and_stdout_stays_json(path, change, note):
    # WarmupLR/WarmupDecayLR's 'Using unknown warmup_type: cosine. The increasing function is set to default (log)'
    # (lr_schedules.py:747) and OneCycle's 'cycle_momentum is disabled because optimizer SGD does not support
    # momentum' (:565) went to stdout through DeepSpeed's logger, timestamped, ahead of check --json's JSON
    from tests.helpers import forked

    r = forked.run(["check", str(path), "--set", change, "--set", "scheduler.params.total_num_steps=20000", "--json"],
                   cwd=ROOT, text=True, timeout=120)
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout)["specs"] == [{"path": str(path), "valid": True}]  # the whole of stdout is the JSON
    assert f"{path}: {note}" in r.stderr.splitlines()
