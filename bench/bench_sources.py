"""Cost of reading each kind of training config into a Spec, against reading a plain lrplot spec
(medians, ratios), with each reader's library already imported; the imports are measured apart.

  plain      ``load_input(configs/cosine.yaml)``: YAML with positions -> Spec
  hf         ``configs/frameworks/hf_sft.yaml --dataset-size 207865 --devices 8``: TrainingArguments
             defaults, SchedulerType, get_warmup_steps and the budget arithmetic
  lightning  ``configs/frameworks/lightning_fit.yaml --dataset-size 50000``: class_path nodes and
             Lightning 2.6.6's update arithmetic (no framework import)
  hydra      ``configs/frameworks/hydra_train.yaml --dataset-size 55000``: OmegaConf resolution of the
             keys read, the same arithmetic
  hydra-compose ``examples/hydra/configs/train.yaml --dataset-size 55000``: the same config as a
             primary config with a defaults list, composed by hydra.compose (initialize_config_dir,
             compose, Hydra's defaults list for the locations), then read as ``hydra``
  timm       ``configs/frameworks/timm_args.yaml --dataset-size 1281167 --devices 8``: the budget
             arithmetic plus one call of timm's create_scheduler_v2 on a throwaway optimizer
  mmengine   ``configs/frameworks/mmdet_schedule_1x.py --dataset-size 118287 --devices 8``: MMEngine's
             Config.fromfile (runs the file and its _base_) and the translation
  deepspeed  ``tests/data/deepspeed/t5_base_pretraining.json`` (DeepSpeedExamples, unedited): the JSON
             with positions and the translation to DeepSpeed's WarmupDecayLR (no simulation)
  composer   ``tests/data/composer/mpt-125m.yaml`` (LLM Foundry, unedited): max_duration, the global
             batch and the translation to Composer's CosineAnnealingWithWarmupScheduler (the reader
             imports nothing of Composer; the engine does, when it simulates)
  torchtune  ``tests/data/torchtune/1B_lora_single_device.yaml --dataset-size 51760`` (torchtune's own, unedited):
             the recipe's update arithmetic and the translation (torchtune's factory runs at simulation)
  torchtitan ``tests/data/torchtitan/llama3_8b.toml`` (torchtitan v0.2.2's own, unedited): tomllib, torchtitan's
             config dataclasses, and one build of its schedulers (to repeat its warnings)
  megatron   ``tests/data/megatron/train_bert_340m_distributed.sh`` (NVIDIA/Megatron-LM, unedited): the
             script split by shlex, its variables expanded, Megatron's sample arithmetic (no simulation)
  litgpt     ``tests/data/published/litgpt_phi-2_lora.yaml --dataset-size 1900`` (config_hub, unedited):
             the train: arithmetic and the SequentialLR spec litgpt's get_lr_scheduler builds
  import     what the HF reader imports (transformers parts) and what the Hydra reader imports
             (omegaconf; hydra-core to compose), torchtune's and torchtitan's scheduler modules (through stub
             parents, as the tests load them), once per process, in fresh interpreters, over importing torch

    python bench/bench_sources.py [--runs 100] [--imports 3]
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
FRAMEWORKS = ROOT / "configs" / "frameworks"

# name -> (file, budget inputs, what --allow-import must name to read it)
KINDS = {
    "plain": (ROOT / "configs" / "cosine.yaml", {}, ()),
    "hf": (FRAMEWORKS / "hf_sft.yaml", {"dataset_size": 207865, "devices": 8}, ()),
    "lightning": (FRAMEWORKS / "lightning_fit.yaml", {"dataset_size": 50000}, ()),
    "hydra": (FRAMEWORKS / "hydra_train.yaml", {"dataset_size": 55000}, ()),
    "hydra-compose": (ROOT / "examples" / "hydra" / "configs" / "train.yaml", {"dataset_size": 55000}, ()),
    "timm": (FRAMEWORKS / "timm_args.yaml", {"dataset_size": 1281167, "devices": 8}, ()),
    "mmengine": (FRAMEWORKS / "mmdet_schedule_1x.py", {"dataset_size": 118287, "devices": 8}, ("mmengine",)),
    "deepspeed": (ROOT / "tests" / "data" / "deepspeed" / "t5_base_pretraining.json", {}, ()),
    "composer": (ROOT / "tests" / "data" / "composer" / "mpt-125m.yaml", {}, ()),
    "torchtune": (ROOT / "tests" / "data" / "torchtune" / "1B_lora_single_device.yaml", {"dataset_size": 51760}, ()),
    "torchtitan": (ROOT / "tests" / "data" / "torchtitan" / "llama3_8b.toml", {}, ()),
    "megatron": (ROOT / "tests" / "data" / "megatron" / "train_bert_340m_distributed.sh", {}, ()),
    "litgpt": (ROOT / "tests" / "data" / "published" / "litgpt_phi-2_lora.yaml", {"dataset_size": 1900}, ()),
}
IMPORTS = {"transformers parts": "import transformers.training_args, transformers.optimization",
           "omegaconf": "import omegaconf",
           "deepspeed schedules": "import deepspeed.runtime.lr_schedules",
           # Composer's package needs torchvision (absent here): its scheduler and time code through the
           # tests' stub parent, i.e. a lower bound of `import composer.optim.scheduler`
           "composer schedules": "from tests.helpers.composer_stub import install_composer_stub as i; i()",
           "hydra (compose)": "import hydra, hydra.core.global_hydra, hydra.core.override_parser.overrides_parser",
           "torchtune schedulers": "from tests.helpers.framework_stub import torchtune_schedulers as t; t()",
           "torchtitan schedulers": "from tests.helpers.framework_stub import torchtitan_schedulers as t; t()"}
if importlib.util.find_spec("megatron") is None:  # the [megatron] extra is optional
    del KINDS["megatron"]
else:
    IMPORTS["megatron-core scheduler"] = "import megatron.core.optimizer_param_scheduler"


def median_seconds(fn, runs: int) -> float:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=100)
    ap.add_argument("--imports", type=int, default=3)
    args = ap.parse_args()
    from tests.helpers.timm_stub import install_timm_stub

    install_timm_stub()  # timm's scheduler code where its package needs a torchvision this machine lacks
    from tests.helpers.framework_stub import torchtitan_schedulers, torchtune_schedulers

    torchtune_schedulers()  # likewise: torchtune's __init__ needs torchao, torchtitan's models triton
    torchtitan_schedulers()
    from lrplot.sources import BudgetInputs, load_input

    calls = {name: (lambda p=path, i=BudgetInputs(**inputs), a=allow: load_input(p, inputs=i, allow_import=a))
             for name, (path, inputs, allow) in KINDS.items()}
    for call in calls.values():
        call()  # imports each reader's library once, outside the timing
    rounds: dict[str, list[float]] = {name: [] for name in calls}
    for _ in range(5):  # interleaved rounds, so load drifts hit every kind alike
        for name, call in calls.items():
            rounds[name].append(median_seconds(call, max(1, args.runs // 5)))
    plain = statistics.median(rounds["plain"])
    for name, times in rounds.items():
        t = statistics.median(times)
        print(f"{name:13} -> Spec {t * 1e3:8.2f} ms" + ("" if name == "plain" else f"   ratio {t / plain:6.2f} x plain"))
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    codes = {"python": "pass", "torch": "import torch", **{k: "import torch; " + v for k, v in IMPORTS.items()}}
    times = {name: [] for name in codes}
    for _ in range(args.imports):
        for name, code in codes.items():
            start = time.perf_counter()
            subprocess.run([sys.executable, "-c", code], check=True, env=env)
            times[name].append(time.perf_counter() - start)
    med = {name: statistics.median(v) for name, v in times.items()}
    for name in IMPORTS:
        print(f"import {name:18} {med[name] - med['torch']:6.2f} s   (once per process, over importing torch, "
              f"which every simulation does; torch itself {med['torch'] - med['python']:.2f} s)")


if __name__ == "__main__":
    main()
