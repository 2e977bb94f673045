"""Cost of reading a training config into a Spec, against reading a plain lrplot spec (medians, ratio).

  plain     ``load_input(configs/cosine.yaml)``: YAML with positions -> Spec
  hf        ``load_input(configs/frameworks/hf_sft.yaml, --dataset-size 207865 --devices 8)``: the same
            plus the TrainingArguments defaults, SchedulerType, get_warmup_steps and the budget
            arithmetic, with transformers already imported
  lightning ``load_input(configs/frameworks/lightning_fit.yaml, --dataset-size 50000)``: class_path
            nodes, Lightning 2.6.6's update arithmetic (no framework import)
  hydra     ``load_input(configs/frameworks/hydra_train.yaml, --dataset-size 55000)``: OmegaConf
            resolution of the keys read, the same arithmetic, with omegaconf already imported
  import    importing what the HF reader needs (transformers.training_args, transformers.optimization),
            and what the Hydra reader needs (omegaconf), once per process, measured in fresh
            interpreters and reported separately

    python bench/bench_sources.py [--runs 200] [--imports 3]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

PLAIN = ROOT / "configs" / "cosine.yaml"
HF = ROOT / "configs" / "frameworks" / "hf_sft.yaml"
LIGHTNING = ROOT / "configs" / "frameworks" / "lightning_fit.yaml"
HYDRA = ROOT / "configs" / "frameworks" / "hydra_train.yaml"
IMPORT = "import transformers.training_args, transformers.optimization"
IMPORT_HYDRA = "import omegaconf"


def median_seconds(fn, runs: int) -> float:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=200)
    ap.add_argument("--imports", type=int, default=3)
    args = ap.parse_args()
    from lrplot.sources import BudgetInputs, load_input

    inputs = BudgetInputs(dataset_size=207865, devices=8)
    load_input(HF, inputs=inputs)  # imports transformers once, outside the timing
    lightning_inputs, hydra_inputs = BudgetInputs(dataset_size=50000), BudgetInputs(dataset_size=55000)
    load_input(HYDRA, inputs=hydra_inputs)  # imports omegaconf once, outside the timing
    plain, hf, lit, hyd = [], [], [], []
    for _ in range(5):  # interleaved rounds, so load drifts hit all alike
        plain.append(median_seconds(lambda: load_input(PLAIN), args.runs // 5))
        hf.append(median_seconds(lambda: load_input(HF, inputs=inputs), args.runs // 5))
        lit.append(median_seconds(lambda: load_input(LIGHTNING, inputs=lightning_inputs), args.runs // 5))
        hyd.append(median_seconds(lambda: load_input(HYDRA, inputs=hydra_inputs), args.runs // 5))
    p, h = statistics.median(plain), statistics.median(hf)
    li, hy = statistics.median(lit), statistics.median(hyd)
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    base, torch_, imp, imp_hydra = [], [], [], []
    for _ in range(args.imports):
        for code, out in (("pass", base), ("import torch", torch_), ("import torch; " + IMPORT, imp),
                          ("import torch; " + IMPORT_HYDRA, imp_hydra)):
            start = time.perf_counter()
            subprocess.run([sys.executable, "-c", code], check=True, env=env)
            out.append(time.perf_counter() - start)
    print(f"plain spec -> Spec        {p * 1e3:8.2f} ms")
    print(f"HF config  -> Spec        {h * 1e3:8.2f} ms   ratio {h / p:.2f} x plain (transformers imported)")
    print(f"Lightning  -> Spec        {li * 1e3:8.2f} ms   ratio {li / p:.2f} x plain")
    print(f"Hydra      -> Spec        {hy * 1e3:8.2f} ms   ratio {hy / p:.2f} x plain (omegaconf imported)")
    print(f"import omegaconf          {(statistics.median(imp_hydra) - statistics.median(torch_)):8.2f} s   "
          "(once per process, over importing torch)")
    print(f"import transformers parts {(statistics.median(imp) - statistics.median(torch_)):8.2f} s   "
          "(once per process, over importing torch, which every simulation does; torch itself: "
          f"{statistics.median(torch_) - statistics.median(base):.2f} s)")


if __name__ == "__main__":
    main()
