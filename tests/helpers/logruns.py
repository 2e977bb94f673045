"""Tiny real training runs on CPU that write the logs `lrplot verify` reads (seconds each).

Every run records, independently of any logger, the lr each optimizer update really used
(``optimizer.register_step_pre_hook``: every group's lr right before each ``optimizer.step()``), so
tests can check both the reader's alignment and the verdict against the truth. Faults are injected
the way they happen in real code: an extra ``scheduler.step()`` in a callback, ``interval: "epoch"``
for a schedule written in updates, a resume whose checkpoint lost the scheduler's state, another
base lr.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import torch


def _record(optimizer: torch.optim.Optimizer, out: list) -> None:
    def hook(opt, args, kwargs):
        out.append([g["lr"] for g in opt.param_groups])

    optimizer.register_step_pre_hook(hook)


# --- Hugging Face transformers Trainer ----------------------------------------------------------

class _HFModel(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.lin = torch.nn.Linear(4, 1)

    def forward(self, x, labels=None):
        loss = torch.nn.functional.mse_loss(self.lin(x).squeeze(-1), labels)
        return {"loss": loss}


def recording_trainer(used: list):
    """transformers' Trainer whose optimizer records, by a step pre-hook, the lr each update uses
    (once, however often the Trainer builds it: a resume builds it again)."""
    from transformers import Trainer

    class Recording(Trainer):
        def create_optimizer(self, *a, **kw):
            opt = super().create_optimizer(*a, **kw)
            if not getattr(opt, "_lrplot_recorded", False):
                _record(opt, used)
                opt._lrplot_recorded = True
            return opt

    return Recording


def _hf_data(n: int):
    g = torch.Generator().manual_seed(0)
    x = torch.randn(n, 4, generator=g)
    return [{"x": x[i], "labels": x[i].sum()} for i in range(n)]


def hf_run(out: Path, *, lr: float = 1e-3, max_steps: int = 20, warmup: int = 3, logging_steps: int = 1,
           scheduler: str = "cosine", extra_step: bool = False, save_steps: int | None = None,
           resume_without_scheduler: bool = False) -> list[list[float]]:
    """Train with transformers' Trainer (batch 4, 1 device): trainer_state.json + TensorBoard in ``out``.
    ``extra_step``: a callback steps the scheduler once more after every update (twice per update).
    ``resume_without_scheduler``: stop at ``save_steps``, delete the checkpoint's scheduler.pt, resume."""
    from transformers import Trainer, TrainerCallback, TrainingArguments

    os.environ.setdefault("WANDB_DISABLED", "true")
    used: list[list[float]] = []

    class ExtraStep(TrainerCallback):
        def on_step_end(self, args, state, control, lr_scheduler=None, **kw):
            lr_scheduler.step()

    Recording = recording_trainer(used)

    def trainer(stop: int | None = None) -> Trainer:
        args = TrainingArguments(
            output_dir=str(out), max_steps=max_steps, per_device_train_batch_size=4, learning_rate=lr,
            lr_scheduler_type=scheduler, warmup_steps=warmup, logging_steps=logging_steps,
            report_to=["tensorboard"], use_cpu=True, disable_tqdm=True,
            save_strategy="steps" if save_steps else "no", save_steps=save_steps or 500, seed=0,
            dataloader_drop_last=True)
        callbacks = [ExtraStep()] if extra_step else []
        t = Recording(model=_HFModel(), args=args, train_dataset=_hf_data(4 * max_steps), callbacks=callbacks)
        if stop is not None:
            class Stop(TrainerCallback):
                def on_step_end(self, args, state, control, **kw):
                    if state.global_step >= stop:
                        control.should_training_stop = True
            t.add_callback(Stop())
        return t

    if resume_without_scheduler:
        assert save_steps
        trainer(stop=save_steps).train()
        checkpoint = out / f"checkpoint-{save_steps}"
        (checkpoint / "scheduler.pt").unlink()
        t = trainer()
        t.train(resume_from_checkpoint=str(checkpoint))
    else:
        t = trainer()
        t.train()
    t.state.save_to_json(str(out / "trainer_state.json"))
    return used


# --- Lightning ----------------------------------------------------------------------------------

def lightning_run(out: Path, *, lr: float = 0.1, max_steps: int = 24, batches: int = 6,
                  total_iters: int = 24, interval: str = "step", groups: int = 1,
                  log_every_n_steps: int = 1, momentum: bool = False) -> list[list[float]]:
    """Train a Lightning module (SGD, LinearLR over ``total_iters``) with CSVLogger + TensorBoardLogger
    and LearningRateMonitor; ``interval`` is the lr_scheduler config's (``"epoch"`` is the fault)."""
    import lightning.pytorch as pl
    from lightning.pytorch.callbacks import LearningRateMonitor
    from lightning.pytorch.loggers import CSVLogger, TensorBoardLogger

    used: list[list[float]] = []

    class Module(pl.LightningModule):
        def __init__(self):
            super().__init__()
            self.a = torch.nn.Linear(4, 1)
            self.b = torch.nn.Linear(1, 1)

        def training_step(self, batch, i):
            (x,) = batch
            return self.b(self.a(x)).pow(2).mean()

        def configure_optimizers(self):
            params = ([{"params": self.a.parameters()}, {"params": self.b.parameters(), "lr": lr / 10}]
                      if groups == 2 else self.parameters())
            opt = torch.optim.SGD(params, lr=lr, momentum=0.9 if momentum else 0.0)
            _record(opt, used)
            sched = torch.optim.lr_scheduler.LinearLR(opt, start_factor=0.1, total_iters=total_iters)
            return {"optimizer": opt, "lr_scheduler": {"scheduler": sched, "interval": interval}}

    data = torch.utils.data.DataLoader(torch.utils.data.TensorDataset(torch.randn(batches * 2, 4)), batch_size=2)
    trainer = pl.Trainer(
        max_steps=max_steps, accelerator="cpu", devices=1, default_root_dir=str(out),
        logger=[CSVLogger(str(out), name="csv", version=0), TensorBoardLogger(str(out), name="tb", version=0)],
        callbacks=[LearningRateMonitor(log_momentum=momentum)], log_every_n_steps=log_every_n_steps,
        enable_checkpointing=False, enable_progress_bar=False, enable_model_summary=False)
    trainer.fit(Module(), data)
    return used


# --- a plain torch loop -------------------------------------------------------------------------

def torch_run(out: Path, *, lr: float = 0.1, steps: int = 30, per_step: int = 1, restart_at: int | None = None,
              tag: str = "lr", steps_per_epoch: int | None = None, log_after: bool = False) -> list[list[float]]:
    """The classic loop with ``torch.utils.tensorboard.SummaryWriter``: the lr of update t is logged
    at step t, before the update (``get_last_lr()`` before ``scheduler.step()``). ``per_step``
    scheduler steps per update (2: stepped per micro-batch of two); ``restart_at``: the scheduler
    is rebuilt there without its state; ``steps_per_epoch``: stepped once per epoch instead;
    ``log_after``: the lr is logged after ``scheduler.step()`` (the next update's). Also writes the
    same values as ``lr.csv`` (``step,group,lr``, two rows per step: the loop's two param groups)."""
    from torch.utils.tensorboard import SummaryWriter

    model = torch.nn.Linear(4, 1)
    opt = torch.optim.SGD([{"params": [model.weight]}, {"params": [model.bias], "lr": lr / 10}], lr=lr)
    used: list[list[float]] = []
    _record(opt, used)

    def build():
        return torch.optim.lr_scheduler.LambdaLR(opt, lambda t: min(1.0, (t + 1) / 5) * 0.97 ** t)

    sched = build()
    rows = ["step,group,lr"]
    with SummaryWriter(str(out)) as writer:
        for t in range(steps):
            if restart_at is not None and t == restart_at:
                for g, base in zip(opt.param_groups, (lr, lr / 10)):  # a fresh optimizer, as a naive resume
                    g["lr"] = base
                    g.pop("initial_lr", None)
                sched = build()
            if not log_after:
                writer.add_scalar(tag, sched.get_last_lr()[0], t)
                rows += [f"{t},{g},{v!r}" for g, v in enumerate(sched.get_last_lr())]
            opt.zero_grad()
            model(torch.randn(2, 4)).pow(2).mean().backward()
            opt.step()
            if steps_per_epoch is None:
                for _ in range(per_step):
                    sched.step()
            elif (t + 1) % steps_per_epoch == 0:
                sched.step()
            if log_after:
                writer.add_scalar(tag, sched.get_last_lr()[0], t)
                rows += [f"{t},{g},{v!r}" for g, v in enumerate(sched.get_last_lr())]
    (out / "lr.csv").write_text("\n".join(rows) + "\n")
    return used


def copy_tree(src: Path, dst: Path) -> Path:
    shutil.copytree(src, dst)
    return dst
