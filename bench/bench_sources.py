"""What reading each kind of training config costs, against importing that framework's scheduler module.

Target (issue 24): for every kind in ``lrplot.sources.READERS``, reading costs at most the import of the
framework's scheduler module plus 0.1 s. Each measurement runs in a child forked from this process after
``import torch`` (every simulation imports torch; see bench/forked.py), timed as the child's CPU time:

  read     ``load_input(file)`` in a fresh child: lrplot's own modules, the reader, what it imports of
           its framework, the translation to a Spec (first call: what one ``lrplot`` command pays)
  own      read minus the read of a plain lrplot spec (``configs/cosine.yaml``): what this reader adds
           to lrplot's spec machinery (pydantic models, YAML), which every input pays alike
  import   importing the framework's scheduler module in a fresh child (torch's lr_scheduler, already
           imported with torch, for the kinds that step torch's own schedulers). timm, torchtune,
           torchtitan, Composer and NeMo load through the test suite's stub parents, the read as well,
           where their package ``__init__`` needs a library this machine lacks (torchvision, torchao,
           triton, onnx): the scheduler files themselves, unedited. Measured beside each kind in every
           round; the kinds that import the same module share one median of all its measurements
  again    the same ``load_input`` again in that child, everything imported (median of --again calls)

A kind is met when own <= import + 0.1 s. A framework that is not installed is skipped with the reason
(a kind whose reader imports nothing of its framework is still read). Medians of --runs interleaved rounds.

    python bench/bench_sources.py [--runs 5] [--again 20] [--only timm,hf]
"""

from __future__ import annotations

import argparse
import importlib
import importlib.util
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from forked import in_child  # noqa: E402

from tests.helpers.installed import torchtitan_registry  # noqa: E402

DATA = ROOT / "tests" / "data"
FRAMEWORKS = ROOT / "configs" / "frameworks"
TORCH = "torch.optim.lr_scheduler"


def stub(name: str):
    """The test suite's loader of a framework's scheduler module where its package cannot import here."""
    def load() -> None:
        if name == "timm":
            from tests.helpers.timm_stub import install_timm_stub
            ok = install_timm_stub()
        elif name == "composer":
            from tests.helpers.composer_stub import install_composer_stub
            ok = install_composer_stub()
        else:
            from tests.helpers import framework_stub
            ok = getattr(framework_stub, f"{name}_schedulers")() is not None
        if not ok:
            raise ModuleNotFoundError(f"{name} is not installed")
    return load


# kind -> (file, budget inputs, --allow-import, the framework's scheduler module, its loader or None, package)
KINDS = {
    "lrplot": (ROOT / "configs" / "cosine.yaml", {}, (), TORCH, None, None),
    "trl": (DATA / "published" / "open-r1_qwen2.5-1.5b_grpo_config_demo.yaml", {"dataset_size": 1000}, (),
            "transformers.optimization", None, "trl"),
    "axolotl": (DATA / "published" / "axolotl" / "examples" / "llama-3" / "instruct-lora-8b.yml",
                {"dataset_size": 1000}, (), "transformers.optimization", None, "transformers"),
    "llamafactory": (DATA / "published" / "llamafactory" / "examples" / "train_lora" / "qwen3_lora_sft.yaml",
                     {"dataset_size": 1000}, (), "transformers.optimization", None, "transformers"),
    "hf": (FRAMEWORKS / "hf_sft.yaml", {"dataset_size": 207865, "devices": 8}, (), "transformers.optimization", None,
           "transformers"),
    "litgpt": (DATA / "published" / "litgpt_phi-2_lora.yaml", {"dataset_size": 1900}, (), TORCH, None, None),
    "lightning": (FRAMEWORKS / "lightning_fit.yaml", {"dataset_size": 50000}, (), TORCH, None, None),
    "nemo": (DATA / "nemo" / "citrinet_512.yaml", {"dataset_size": 10000}, (), "nemo.core.optim.lr_scheduler",
             stub("nemo"), "nemo"),
    "hydra": (FRAMEWORKS / "hydra_train.yaml", {"dataset_size": 55000}, (), TORCH, None, "omegaconf"),
    # Hydra has no scheduler module (it builds torch's): what composing needs of Hydra instead
    "hydra (compose)": (ROOT / "examples" / "hydra" / "configs" / "train.yaml", {"dataset_size": 55000}, (),
                        "hydra.core.override_parser.overrides_parser", None, "hydra"),
    "timm": (FRAMEWORKS / "timm_args.yaml", {"dataset_size": 1281167, "devices": 8}, (), "timm.scheduler",
             stub("timm"), "timm"),
    "mmengine": (FRAMEWORKS / "mmdet_schedule_1x.py", {"dataset_size": 118287, "devices": 8}, ("mmengine",),
                 "mmengine.optim.scheduler", None, "mmengine"),
    "torchtune": (DATA / "torchtune" / "1B_lora_single_device.yaml", {"dataset_size": 51760}, (),
                  "torchtune.training.lr_schedulers", stub("torchtune"), "torchtune"),
    "deepspeed": (DATA / "deepspeed" / "t5_base_pretraining.json", {}, (), "deepspeed.runtime.lr_schedules", None,
                  "deepspeed"),
    "torchtitan": (DATA / "torchtitan" / "llama3_8b.toml", {}, (), "torchtitan.components.lr_scheduler",
                   stub("torchtitan"), "torchtitan"),
    # a config function runs its file, which imports torchtitan's models: the baseline is importing that file,
    # as torchtitan's own --module/--config does (installed torchtitan after 0.2.2; else skipped with the reason)
    "torchtitan-registry": (torchtitan_registry("llama3") or DATA / "torchtitan" / "registry" /
                            "llama3_config_registry.py", {}, ("torchtitan",),
                            "torchtitan.models.llama3.config_registry", None, "torchtitan"),
    "megatron": (DATA / "megatron" / "train_bert_340m_distributed.sh", {}, (),
                 "megatron.core.optimizer_param_scheduler", None, "megatron"),
    "composer": (DATA / "composer" / "mpt-125m.yaml", {}, (), "composer.optim.scheduler", stub("composer"),
                 "composer"),
}


OVERRIDES = {"torchtitan-registry": ("config=llama3_8b",)}  # --set of a case


def kind_of(name: str) -> str:
    return name.split(" ")[0]


def importing(module: str, loader) -> dict:
    start = time.process_time()
    if loader is not None:
        loader()
    importlib.import_module(module)
    return {"import": time.process_time() - start}


def reading(name: str, again: int) -> dict:
    path, inputs, allow, _, loader, _ = KINDS[name]
    start = time.process_time()
    if loader is not None:
        loader()
    from lrplot.sources import BudgetInputs, load_input

    call = lambda: load_input(path, inputs=BudgetInputs(**inputs), allow_import=allow,  # noqa: E731
                              overrides=OVERRIDES.get(name, ()))
    source = call()
    first = time.process_time() - start
    times = []
    for _ in range(again):
        t = time.process_time()
        call()
        times.append(time.process_time() - t)
    return {"read": first, "again": statistics.median(times) if times else float("nan"), "kind": source.kind}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--again", type=int, default=20)
    ap.add_argument("--only", default=None, help="comma list of kinds (the plain spec is always read)")
    args = ap.parse_args()
    importlib.import_module("torch")  # every child starts with torch imported, as a simulating process has it

    # the kinds, read in a child: importing lrplot.sources here would spare every child its import
    READERS = in_child(lambda: {"kinds": list(importlib.import_module("lrplot.sources").READERS)})["kinds"]
    missing = sorted({kind_of(k) for k in READERS} - {kind_of(k) for k in KINDS})
    if missing:
        raise SystemExit(f"no case in this bench for the kinds {', '.join(missing)}: add one to KINDS")
    skipped, names = {}, []
    chosen = {"lrplot", *args.only.split(",")} if args.only else set(KINDS)
    for name, (_, _, _, module, loader, package) in KINDS.items():
        if name not in chosen:
            continue
        if package is not None and importlib.util.find_spec(package.split(".")[0]) is None:
            skipped[name] = f"{package} is not installed"
            continue
        if name == "torchtitan-registry" and torchtitan_registry("llama3") is None:
            skipped[name] = "torchtitan after 0.2.2 (its config functions) is not installed"
            continue
        probe = in_child(lambda n=name: reading(n, 0))
        if "error" not in probe:
            probe = in_child(lambda m=module, lo=loader: importing(m, lo))
        if "error" in probe:
            skipped[name] = probe["error"]
            continue
        names.append(name)
    results: dict = {n: {"read": [], "again": [], "import": []} for n in names}
    for _ in range(args.runs):  # interleaved rounds: load drifts hit every kind alike
        for name in names:
            _, _, _, module, loader, _ = KINDS[name]
            r = in_child(lambda n=name: reading(n, args.again))
            i = in_child(lambda m=module, lo=loader: importing(m, lo))
            for out in (r, i):
                if "error" in out:
                    raise SystemExit(f"{name}: {out['error']}")
            results[name]["read"].append(r["read"])
            results[name]["again"].append(r["again"])
            results[name]["import"].append(i["import"])
    # one framework module's import, measured beside each kind that reads through it, is one sample: the
    # kinds that share transformers.optimization (hf, trl, axolotl, llamafactory) are held to the same
    # baseline, whose per-kind medians moved 0.25 s apart in one run
    pooled: dict = {}
    for n in names:
        pooled.setdefault(KINDS[n][3], []).extend(results[n]["import"])
    for n in names:
        results[n]["import"] = pooled[KINDS[n][3]]
    med = {n: {k: statistics.median(v) for k, v in results[n].items()} for n in names}
    plain = med["lrplot"]["read"]
    print(f"CPU seconds in a child forked after `import torch`, medians of {args.runs} rounds; load average "
          f"{os.getloadavg()[0]:.1f}; plain lrplot spec read: {plain:.3f} s")
    head = "| kind | read | own (read - plain) | scheduler module | import | own - import | again | met (<= 0.1 s) |"
    print(head)
    print("| --- | --- | --- | --- | --- | --- | --- | --- |")
    for name in [k for k in KINDS if k in chosen]:
        module = KINDS[name][3]
        if name in skipped:
            print(f"| {name} | skipped: {skipped[name]} | | `{module}` | | | | |")
            continue
        m = med[name]
        own = m["read"] - plain
        over = own - m["import"]
        print(f"| {name} | {m['read']:.3f} | {own:+.3f} | `{module}` | {m['import']:.3f} | {over:+.3f} | "
              f"{m['again'] * 1e3:.1f} ms | {'yes' if over <= 0.1 else 'NO'} |")


if __name__ == "__main__":
    main()
