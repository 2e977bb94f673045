"""Record the lr of every optimizer update of litgpt's own finetune schedule, driven as its fit loop drives it.

Run with litgpt 0.5.13 importable (``pip install --no-deps litgpt==0.5.13`` beside torch):
``python tests/data/litgpt/regenerate.py`` rewrites reference.json beside this file.

The loop is litgpt/finetune/full.py's ``fit`` (:272-293) with the model left out: a real torch DataLoader
(``batch_size=micro_batch_size``, shuffled, no drop_last, as litgpt's SFT data modules make it) cycled by
litgpt's own ``CycleIterator``; the scheduler is litgpt's own ``get_lr_scheduler`` (:415-419) built with
``lr_max_steps`` as ``main`` computes it (:144-145); the lr is recorded by a step pre-hook, i.e. the lr
each update applies.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

HERE = Path(__file__).parent
# name -> (config file in tests/data/published, dataset size, lr, global batch, micro batch, warmup, epochs, max_steps)
CASES = {
    "llama-3.2-1B_full_1900": ("litgpt_llama-3.2-1B_full.yaml", 1900, 2e-4, 64, 4, 25, 1, None),
    "phi-2_lora_1900": ("litgpt_phi-2_lora.yaml", 1900, 2e-4, 8, 4, 10, 1, None),
    "phi-2_lora_99_3_epochs": ("litgpt_phi-2_lora.yaml", 99, 2e-4, 8, 4, 10, 3, None),  # --set train.epochs=3
    "phi-2_lora_max_steps_40": ("litgpt_phi-2_lora.yaml", 1900, 2e-4, 8, 4, 10, 1, 40),  # --set train.max_steps=40
    # warmup longer than the run: the updates end inside the warmup, the cosine (T_max <= 0) never starts
    "llama-3.2-1B_full_1000": ("litgpt_llama-3.2-1B_full.yaml", 1000, 2e-4, 64, 4, 25, 1, None),
    "gemma-2b_full_1900_1_device": ("litgpt_gemma-2b_full.yaml", 1900, 2e-4, 16, 1, 100, 1, 50),  # --set devices=1
}


def lrs(n: int, lr: float, global_batch: int, micro: int, warmup: int, epochs: int, max_steps: int | None,
        devices: int = 1) -> list[float]:
    import torch
    from litgpt.args import TrainArgs
    from litgpt.finetune.full import get_lr_scheduler
    from litgpt.utils import CycleIterator
    from torch.utils.data import DataLoader

    train = TrainArgs(global_batch_size=global_batch, micro_batch_size=micro, lr_warmup_steps=warmup, epochs=epochs,
                      max_steps=max_steps)
    loader = DataLoader(list(range(n)), batch_size=micro, shuffle=True)
    accumulation = train.gradient_accumulation_iters(devices, 1)
    steps_per_epoch = len(loader) // accumulation                                   # full.py:144
    lr_max_steps = min(train.epochs * steps_per_epoch, (train.max_steps or float("inf")))  # full.py:145
    optimizer = torch.optim.AdamW([torch.nn.Parameter(torch.zeros(1))], lr=lr)
    scheduler = get_lr_scheduler(optimizer, warmup_steps=train.lr_warmup_steps, max_steps=lr_max_steps)
    seen: list[float] = []
    optimizer.register_step_pre_hook(lambda opt, args, kwargs: seen.append(opt.param_groups[0]["lr"]))
    iter_num = step_count = 0
    iterator = CycleIterator(loader)
    while step_count < (train.max_steps or float("inf")):                          # full.py:272-293
        iter_num += 1
        next(iterator)
        if iterator.epoch >= train.epochs:
            break
        if iter_num % accumulation == 0:
            optimizer.step()
            optimizer.zero_grad()
            scheduler.step()
            step_count += 1
    return seen


def main() -> None:
    import litgpt  # noqa: F401  (fails clearly where litgpt is missing)
    from importlib.metadata import version

    out = {"litgpt": version("litgpt"), "cases": {}}
    for name, (config, *args) in CASES.items():
        out["cases"][name] = {"config": config, "dataset_size": args[0], "lrs": lrs(*args)}
    (HERE / "reference.json").write_text(json.dumps(out, indent=1) + "\n")
    print(f"wrote {len(out['cases'])} cases", file=sys.stderr)


if __name__ == "__main__":
    main()
