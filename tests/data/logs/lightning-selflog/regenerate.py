"""Write the Lightning logs of tests/test_logs_lightning_selflog.py: the lr logged by a LightningModule's own
``self.log`` in ``training_step`` (as NeMo logs ``lr``), through Lightning's CSVLogger and TensorBoardLogger.

Usage: python tests/data/logs/lightning-selflog/regenerate.py

Measured with lightning 2.6.6, torch 2.13 (CPU), tensorboard 2.21.0. Each run: nn.Linear(2, 1), SGD lr 0.1,
CosineAnnealingLR(T_max=20) with ``interval: step``, ``accumulate_grad_batches=2``, ``max_steps=20``, 40
micro-batches of 2 (two epochs of 10 updates), ``log_every_n_steps=1``; ``self.log("lr",
optimizer.param_groups[0]["lr"])`` at every micro-batch. ``self.log`` turns the float into a float32 tensor,
so both loggers hold float32 numbers (metrics.csv writes 0.1 as 0.10000000149011612). An optimizer step
pre-hook records the lr each update used (``<run>/used.json``).

Runs (the plan is plan.yaml):
- ``step``: ``self.log("lr", lr)`` (on_step): the column ``lr``;
- ``both``: ``self.log("lr", lr, on_step=True, on_epoch=True)``: the columns ``lr_step`` and ``lr_epoch``
  (the epoch's mean);
- ``epoch``: as ``step``, the scheduler's ``interval: epoch`` (stepped once per 10-update epoch);
- ``twice``: as ``step``, ``self.lr_schedulers().step()`` once more by hand at each update's last micro-batch;
- ``resume``: as ``step``, stopped after 12 updates (``trainer.save_checkpoint``), then fitted again with
  ``ckpt_path`` from that checkpoint, its scheduler state dropped (``on_load_checkpoint``): each launch logs into
  a ``version_<n>`` folder of its own.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import lightning as L
import torch
from lightning.pytorch.loggers import CSVLogger, TensorBoardLogger

HERE = Path(__file__).resolve().parent


class Module(L.LightningModule):
    def __init__(self, run: str, used: list):
        super().__init__()
        self.run, self.used, self.lin = run, used, torch.nn.Linear(2, 1)

    def training_step(self, batch, index):
        self.log("lr", self.optimizers().param_groups[0]["lr"], on_step=True, on_epoch=self.run == "both")
        return self.lin(batch[0]).sum()

    def on_train_batch_end(self, outputs, batch, index):
        if self.run == "twice" and index % 2 == 1:  # the update's last micro-batch: a second step by hand
            self.lr_schedulers().step()

    def on_load_checkpoint(self, checkpoint):  # a checkpoint without the scheduler's state
        checkpoint["lr_schedulers"] = []

    def configure_optimizers(self):
        opt = torch.optim.SGD(self.parameters(), lr=0.1)
        opt.register_step_pre_hook(lambda o, a, k: self.used.append(o.param_groups[0]["lr"]))
        sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=20)
        return {"optimizer": opt, "lr_scheduler": {"scheduler": sched,
                                                    "interval": "epoch" if self.run == "epoch" else "step"}}


def run(name: str) -> None:
    out = HERE / name
    shutil.rmtree(out, ignore_errors=True)
    used: list[float] = []
    data = torch.utils.data.DataLoader(torch.utils.data.TensorDataset(torch.ones(40, 2)), batch_size=2)

    def trainer(max_steps: int, version: int) -> L.Trainer:
        return L.Trainer(max_steps=max_steps, accumulate_grad_batches=2, log_every_n_steps=1, accelerator="cpu",
                         logger=[CSVLogger(out, name="csv", version=version),
                                 TensorBoardLogger(out, name="tb", version=version)],
                         enable_checkpointing=False, enable_progress_bar=False, enable_model_summary=False)

    if name == "resume":
        first = trainer(12, 0)
        first.fit(Module(name, used), data)
        first.save_checkpoint(str(out / "mid.ckpt"))
        trainer(20, 1).fit(Module(name, used), data, ckpt_path=str(out / "mid.ckpt"))
        (out / "mid.ckpt").unlink()
    else:
        trainer(20, 0).fit(Module(name, used), data)
    (out / "used.json").write_text(json.dumps(used))
    for extra in out.glob("*/version_*/hparams.yaml"):
        extra.unlink()


if __name__ == "__main__":
    import sys

    for name in sys.argv[1:] or ("step", "both", "epoch", "twice", "resume"):
        run(name)
