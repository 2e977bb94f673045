"""DeepSpeed's engine loop with no lrplot code, shared by tests/test_sources_deepspeed.py and the script
that records its long reference (tests/data/deepspeed/regenerate.py).

The engine's calls, read from deepspeed/runtime/engine.py of deepspeed 0.19.8:

* engine.py:1921-1937 ``_scheduler_from_config``: ``scheduler = getattr(lr_schedules, name)`` (else
  ``torch.optim.lr_scheduler``'s), ``scheduler(optimizer, **scheduler_params)``, built once at
  ``deepspeed.initialize`` (engine.py:683, ``_configure_lr_scheduler``), before any update;
* engine.py:3536-3545 ``_take_model_step``: after ``optimizer.step()``, ``if overflow: skipped_steps += 1
  else: self.lr_scheduler.step(**(lr_kwargs or {}))`` -- one ``lr_scheduler.step()`` per applied update.
"""

from __future__ import annotations

import hashlib


def engine_loop(config: dict, updates: int) -> list[float]:
    """The engine's calls, as quoted above, on a torch optimizer made from the optimizer block: the lr
    each update uses."""
    import torch
    from deepspeed.runtime import lr_schedules

    opt = (config.get("optimizer") or {}).get("params", {})
    optimizer = torch.optim.AdamW([torch.nn.Parameter(torch.zeros(1))], lr=opt.get("lr", 1e-3),
                                  betas=tuple(opt.get("betas", (0.9, 0.999))))
    block = config["scheduler"]
    cls = getattr(lr_schedules, block["type"], None) or getattr(torch.optim.lr_scheduler, block["type"])
    scheduler = cls(optimizer, **block["params"])          # _scheduler_from_config
    lrs = []
    for _ in range(updates):
        lrs.append(optimizer.param_groups[0]["lr"])         # the lr this update uses
        optimizer.step()
        scheduler.step()                                    # _take_model_step, no overflow
    return lrs


def digest(values) -> str:
    """sha256 of the values as little-endian float64: equal digests, equal values at every update."""
    import numpy as np

    return hashlib.sha256(np.asarray(values, dtype="<f8").tobytes()).hexdigest()
