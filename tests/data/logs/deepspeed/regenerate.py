"""Write the DeepSpeed logs of tests/test_logs_deepspeed.py with DeepSpeed's OWN engine and monitor.

Usage: TORCH_EXTENSIONS_DIR=$(mktemp -d) python tests/data/logs/deepspeed/regenerate.py
(run from a scratch folder: it writes the runs under this script's folder and removes the checkpoints).

Measured with deepspeed 0.19.8 (DS_ACCELERATOR=cpu, one process, gloo), torch 2.13 (CPU), tensorboard 2.21.0.
``deepspeed.initialize`` builds its shared-memory comm op with torch's JIT (a few minutes, once per
TORCH_EXTENSIONS_DIR). Each run: nn.Linear(2, 1), the config plan.json (SGD lr 0.1, the scheduler block
WarmupCosineLR total_num_steps 20, warmup_num_steps 5, warmup_type linear, train_batch_size 16) plus a
``tensorboard`` block: the engine's monitor logs ``Train/Samples/lr`` = ``get_lr()[0]`` at global_samples in
``engine.step()`` after ``_take_model_step`` stepped the scheduler (deepspeed/runtime/engine.py:3540-3566,
:3626-3630). An optimizer step pre-hook records the lr each update used (``<run>/used.json``).

Runs (20 updates each):
- ``ok``: the engine steps its scheduler once per update;
- ``twice``: the script also calls ``lr_scheduler.step()`` after ``engine.step()`` (as a script written for a
  plain torch loop does): stepped twice per update, the second after the monitor's log;
- ``epoch``: no scheduler block; the script builds the same WarmupCosineLR on the engine's optimizer and steps
  it once per 5-update epoch;
- ``resume``: 12 updates, ``save_checkpoint``, a new engine ``load_checkpoint(load_lr_scheduler_states=False)``
  (the optimizer's state restored, its lr too; the scheduler new), logging into the same folder;
- ``accum``: gradient_accumulation_steps 2 (micro-batches of 8): one update, one step per 2 micro-batches.
"""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

os.environ.setdefault("DS_ACCELERATOR", "cpu")
os.environ.update(MASTER_ADDR="127.0.0.1", MASTER_PORT="29533", RANK="0", WORLD_SIZE="1", LOCAL_RANK="0")

import deepspeed  # noqa: E402
import torch  # noqa: E402
from deepspeed.runtime import lr_schedules  # noqa: E402

HERE = Path(__file__).parent
PLAN = json.loads((HERE / "plan.json").read_text())


def engine(out: Path, fault: str, accum: int = 1):
    torch.manual_seed(0)
    model = torch.nn.Linear(2, 1)
    config = {**PLAN, "train_micro_batch_size_per_gpu": 16 // accum, "gradient_accumulation_steps": accum,
              "tensorboard": {"enabled": True, "output_path": str(out), "job_name": "tb"}, "steps_per_print": 1000}
    if fault == "epoch":
        del config["scheduler"]
    eng, opt, _, sched = deepspeed.initialize(model=model, model_parameters=model.parameters(), config=config)
    return eng, opt, sched


def run(fault: str) -> None:
    out = HERE / fault
    shutil.rmtree(out, ignore_errors=True)
    accum = 2 if fault == "accum" else 1
    eng, opt, sched = engine(out, fault, accum)
    used: list[float] = []

    def hook(o, args, kwargs):
        used.append(o.param_groups[0]["lr"])

    handle = opt.register_step_pre_hook(hook)
    if fault == "epoch":
        sched = lr_schedules.WarmupCosineLR(opt, **PLAN["scheduler"]["params"])
    for update in range(20):
        if fault == "resume" and update == 12:
            eng.save_checkpoint(str(out / "ckpt"))
            handle.remove()
            eng, opt, sched = engine(out, fault)
            eng.load_checkpoint(str(out / "ckpt"), load_lr_scheduler_states=False)
            handle = opt.register_step_pre_hook(hook)
        for _ in range(accum):
            eng.backward(eng(torch.ones(16 // accum, 2)).sum())
            eng.step()
        if fault == "twice":
            sched.step()
        if fault == "epoch" and update % 5 == 4:
            sched.step()
    shutil.rmtree(out / "ckpt", ignore_errors=True)
    (out / "used.json").write_text(json.dumps(used))


if __name__ == "__main__":
    for name in ("ok", "twice", "epoch", "resume", "accum"):
        run(name)
