"""``check``, ``state``, ``resume`` and ``--print-spec`` on every kind of input lrplot reads (every entry of
``lrplot.sources.READERS``), each on a config of that kind: exit 0, the lines that say what was done
(whole lines), and the printed spec, read back as an lrplot spec, draws the very curve of the config (==).

The configs (cited in the kind's own test module, which compares their curves with the framework's):
published and unedited where tests/data holds one of the kind -- trl: huggingface/open-r1
recipes/Qwen2.5-1.5B-Instruct/grpo/config_demo.yaml @ bd581c7e73bbd0b63b6605fc1ed4b51d231fa597;
litgpt: Lightning-AI/litgpt config_hub/finetune/phi-2/lora.yaml @ 26857050fe3ff627cd714fe92f5838f51a3d5efa;
mmengine: open-mmlab/mmpretrain configs/resnet/resnet50_8xb256-rsb-a3-100e_in1k.py (tests/data/mmengine);
torchtune: pytorch/torchtune recipes/configs/llama3_2/1B_lora_single_device.yaml (0.6.1); deepspeed:
deepspeedai/DeepSpeedExamples gpt2_baseline.json; torchtitan: pytorch/torchtitan v0.2.2
deepseek_v3/train_configs/deepseek_v3_16b.toml; torchtitan-registry: pytorch/torchtitan
torchtitan/models/llama3/config_registry.py (llama3_8b) @ c537bca68d96cbedcee6c22cfd693dfecdb54752; megatron: NVIDIA/Megatron-LM examples/gpt3/gpt_config.yaml
(core_v0.16.1; its run shortened with --set, the ramp-up kept inside it); composer: mosaicml/llm-foundry
yamls/finetune/mpt-7b_dolly_sft.yaml @ 8c8dd48f; nemo: NVIDIA/NeMo examples/asr/conf/citrinet/citrinet_512.yaml
@ 8cfedd7203462cb251a914e700e5605444277561; llamafactory: hiyouga/LLaMA-Factory
examples/train_lora/qwen3_lora_sft.yaml @ ff6d4d12eeb035d6ce06805a5733dd7b29f2ac30; axolotl: axolotl-ai-cloud/axolotl
examples/llama-3/instruct-lora-8b.yml @ 067b021c8b87a9e5e380b9173c704cf7340e30f5. tests/data has no published config of the hf, lightning, hydra
and timm kinds that reads without project files: lrplot's own examples (configs/frameworks/) stand in.
"""

from __future__ import annotations

import pytest

from lrplot.sources import READERS, BudgetInputs, load_input

from tests.helpers.installed import installed, torchtitan_registry
from tests.helpers.paths import CONFIGS, ROOT

pytestmark = pytest.mark.slow  # the frameworks' own scheduler code is imported

DATA = ROOT / "tests" / "data"
FRAMEWORKS = CONFIGS / "frameworks"
# torchtitan after 0.2.2: the installed package's copy of the published file (see test_sources_torchtitan_registry.py)
TITAN_REGISTRY = torchtitan_registry("llama3")
MEGATRON_SHORT = ("train_samples=200000", "rampup_batch_size=[32, 32, 96000]", "lr_decay_samples=150000")

# kind: (config, --dataset-size, --set, --allow-import, check's warnings (a warmup's own start at lr 0 and its
# rises are none since check reads the declared warmup), state's scheduler label and
# scheduler steps after 40 updates, packages that must import)
CASES = {
    "llamafactory": (DATA / "published/llamafactory/examples/train_lora/qwen3_lora_sft.yaml", 1000, (), None, 0,
                     "transformers.optimization:get_scheduler", 40, ("transformers",)),
    "axolotl": (DATA / "published/axolotl/examples/llama-3/instruct-lora-8b.yml", 1000, (), None, 0,
                "transformers.optimization:get_scheduler", 40, ("transformers",)),
    "trl": (DATA / "published/open-r1_qwen2.5-1.5b_grpo_config_demo.yaml", 1000, (), None, 0,
            "transformers.optimization:get_scheduler", 40, ("trl",)),
    "hf": (FRAMEWORKS / "hf_sft.yaml", 5000, (), None, 0, "transformers.optimization:get_scheduler", 40,
           ("transformers",)),
    "litgpt": (DATA / "published/litgpt_phi-2_lora.yaml", 1000, (), None, 1, "SequentialLR", 40, ()),
    "lightning": (FRAMEWORKS / "lightning_fit.yaml", 5000, (), None, 0, "CosineAnnealingLR", 1, ()),
    "nemo": (DATA / "nemo/citrinet_512.yaml", 1000, (), None, 0, "nemo.core.optim.lr_scheduler:CosineAnnealing",
             40, ("nemo", "omegaconf")),
    "hydra": (FRAMEWORKS / "hydra_train.yaml", 5000, (), None, 0, "SequentialLR", 0, ("omegaconf",)),
    "timm": (FRAMEWORKS / "timm_args.yaml", 10000, (), None, 1, "timm.scheduler:create_scheduler_v2", 40, ("timm",)),
    "mmengine": (DATA / "mmengine/mmpretrain/configs/resnet/resnet50_8xb256-rsb-a3-100e_in1k.py", 20000, (),
                 "mmengine", 0, "mmengine.optim.scheduler:LinearLR.build_iter_from_epoch + "
                 "mmengine.optim.scheduler:CosineAnnealingLR", 40, ("mmengine",)),
    # 2000 examples give 62 updates, fewer than num_warmup_steps 100: long-warmup (its lr 0 at update 0 is the
    # declared warmup's start, by torchtune's design: not a finding)
    "torchtune": (DATA / "torchtune/1B_lora_single_device.yaml", 2000, (), None, 1,
                  "torchtune.training.lr_schedulers:get_cosine_schedule_with_warmup", 40, ("torchtune",)),
    # 100 updates of a 500-update warmup: long-warmup (its lr 0 at updates 0 and 1, WarmupLR's log warmup, is
    # the declared warmup's start: not a finding)
    "deepspeed": (DATA / "deepspeed/gpt2_baseline.json", None, ("scheduler.params.total_num_steps=100",), None, 1,
                  "deepspeed.runtime.lr_schedules:WarmupLR", 40, ("deepspeed",)),
    "torchtitan": (DATA / "torchtitan/deepseek_v3_16b.toml", None, (), None, 0,
                   "lrplot.sources.torchtitan:lr_schedulers", 40, ("torchtitan",)),
    "torchtitan-registry": (TITAN_REGISTRY or DATA / "torchtitan/registry/llama3_config_registry.py", None,
                            ("config=llama3_8b",), "torchtitan", 0, "lrplot.sources.torchtitan_registry:lr_schedulers",
                            40, ("torchtitan",)),
    "megatron": (DATA / "megatron/gpt_config.yaml", None, MEGATRON_SHORT, None, 0,
                 "megatron.core.optimizer_param_scheduler:OptimizerParamScheduler", 40, ("megatron",)),
    "composer": (DATA / "composer/mpt-7b_dolly_sft.yaml", 3000, (), None, 0,
                 "composer.optim.scheduler:LinearWithWarmupScheduler", 40, ("composer",)),
    "lrplot": (CONFIGS / "warmup_cosine.yaml", None, (), None, 0, "SequentialLR", 40, ()),
}


def test_every_registered_kind_has_a_case():
    assert set(CASES) == set(READERS)


def _framework(kind: str) -> None:
    """Skip when the kind's framework is not installed; load the scheduler modules whose package
    ``__init__`` cannot import here the way every test of those kinds loads them (real files, stub parents)."""
    missing = [p for p in CASES[kind][-1] if not installed(p)]
    if missing:
        pytest.skip(f"the {kind} kind needs {', '.join(missing)}, which is not installed")
    if kind == "torchtitan-registry" and TITAN_REGISTRY is None:
        pytest.skip("the torchtitan-registry kind needs torchtitan after 0.2.2, which is not installed")
    from tests.helpers import framework_stub
    from tests.helpers.composer_stub import install_composer_stub
    from tests.helpers.timm_stub import install_timm_stub

    loaders = {"torchtune": framework_stub.torchtune_schedulers, "torchtitan": framework_stub.torchtitan_schedulers,
               "nemo": framework_stub.nemo_schedulers, "composer": install_composer_stub, "timm": install_timm_stub}
    if kind in loaders and not loaders[kind]():
        pytest.skip(f"the {kind} kind's scheduler module does not import here")


def _args(kind: str) -> list[str]:
    path, size, sets, allow, *_ = CASES[kind]
    args = [str(path)]
    if size is not None:
        args += ["--dataset-size", str(size)]
    for item in sets:
        args += ["--set", item]
    if allow:
        args += ["--allow-import", allow]
    return args


def _source(kind: str):
    path, size, sets, allow, *_ = CASES[kind]
    return load_input(path, overrides=sets, inputs=BudgetInputs(dataset_size=size),
                      allow_import=[allow] if allow else None)


def _lines(output: str) -> list[str]:
    return output.splitlines()


@pytest.fixture
def wide(monkeypatch):
    monkeypatch.setenv("COLUMNS", "400")  # one table row, one state header per line


@pytest.mark.parametrize("kind", list(CASES))
def test_check_state_resume_and_print_spec_work_on_every_kind(kind, cli, wide, tmp_path):
    from lrplot.engine import simulate
    from lrplot.spec import load_spec

    _framework(kind)
    path, _, _, allow, warnings, label, calls, _ = CASES[kind]
    source = _source(kind)
    said = [f"{path}: {line}" for line in ([source.budget.text] if source.budget else []) + list(source.notes)]
    stem = path.stem

    checked = cli("check", *_args(kind))
    assert checked.exit_code == 0, checked.output
    assert _lines(checked.output)[:len(said)] == said
    assert _lines(checked.output)[-1] == f"1 schedule(s) checked: 0 error(s), {warnings} warning(s)"

    state = cli("state", *_args(kind), "--at", "40")
    assert state.exit_code == 0, state.output
    assert _lines(state.output)[:len(said) + 1] == said + [
        f"{stem} ({label}) after 40 updates ({calls} scheduler steps)"]

    resumed = cli("resume", *_args(kind), "--at", "40", "--method", "full")
    assert resumed.exit_code == 0, resumed.output
    assert [" ".join(line.split()) for line in _lines(resumed.output)[len(said):]] == [
        "schedule at method result", f"{stem} 40 full identical"]

    printed = cli(*_args(kind), "--print-spec")
    assert printed.exit_code == 0, printed.output
    head = [f"# lrplot spec of {path} (read as {kind})"]
    head += [f"# budget: {source.budget.text}"] if source.budget else []
    head += [f"# note: {note}" for note in source.notes]
    assert _lines(printed.stdout)[:len(head)] == head
    (tmp_path / "printed.yaml").write_text(printed.stdout)
    again = simulate(load_spec(tmp_path / "printed.yaml"), allow_import=[allow] if allow else None).schedules[0]
    drawn = simulate(source.spec, allow_import=[allow] if allow else None).schedules[0]
    assert again.steps == drawn.steps
    assert {k: v.tolist() for k, v in again.values.items()} == {k: v.tolist() for k, v in drawn.values.items()}
