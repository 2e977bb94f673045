"""Write the W&B run files tests/test_logs_wandb.py reads: tiny CPU runs logged by the REAL wandb
in offline mode (wandb 0.31.0: only ``run-<id>.wandb`` is written), correct and broken on purpose.

    WANDB_MODE=offline python tests/data/wandb/regenerate.py    # needs wandb, transformers, lightning

Each case keeps only its ``wandb/offline-run-*/run-<id>.wandb`` (the rest of a run folder is logs and
requirements) and ``used.json``: the lr every optimizer update really used, recorded by an optimizer
step pre-hook (``register_step_pre_hook``), independent of every logger.

- ``plain/*``: a torch loop calling ``wandb.log({"lr": ...}, step=t)`` before each update
  (``ok``; ``twice``: the scheduler stepped twice per update; ``epoch``: stepped once per 5-update
  epoch; ``resume``: stopped after 12 updates and resumed into the same W&B run id with a
  scheduler rebuilt without its state).
- ``resumed/offline``: a ``plain`` run stopped after 12 updates and resumed (``resume="allow"``) with the
  scheduler's state, the second process calling ``wandb.log`` without ``step=``: resumed offline, wandb
  counts its ``_step`` from 0 again (its run record says ``resume``, no ``starting_step``).
  ``resumed/auto``: the same resumed with ``resume=True`` (wandb's "auto": the run record says no
  ``resume``); ``resumed/rebuilt``, ``resumed/auto-rebuilt``: resumed with ``resume="allow"`` or
  ``resume=True`` and a scheduler rebuilt without its state; ``resumed/sparse``: ``resumed/offline`` logging
  the lr at every 5th update only (the first process's last ``_step``, 11, logs no lr).
- ``named/*``: ``plain`` runs given names (``wandb.init(name=...)``): two named ``exp``, one ``solo``.
- ``hf/ok``, ``hf/twice``: transformers' Trainer with ``report_to=["wandb"]`` (its WandbCallback);
  ``hf/resume``: stopped after update 8 with a checkpoint whose ``scheduler.pt`` is then deleted, and resumed
  (``resume_from_checkpoint``) into the same W&B run (``WANDB_RUN_ID``, ``WANDB_RESUME=allow``).
- ``lightning/ok``, ``lightning/epoch``: Lightning's WandbLogger with LearningRateMonitor; ``lightning/twice``:
  the scheduler stepped once more by hand after every batch; ``lightning/resume``: stopped after 12 updates and
  fitted again from that checkpoint without its scheduler state, into the same W&B run.
"""

from __future__ import annotations

import json
import os
import shutil
import sys
import tempfile
from pathlib import Path

import torch

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parents[2]))

from tests.helpers.logruns import _record  # noqa: E402


def keep(work: Path, case: Path, used: list) -> None:
    """Copy the case's run files (and only them) from ``work`` into tests/data/wandb/<case>/."""
    shutil.rmtree(case, ignore_errors=True)
    files = sorted(work.rglob("run-*.wandb"))
    assert files, f"no run file written under {work}"
    for file in files:
        target = case / "wandb" / file.parent.name / file.name
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(file, target)
    (case / "used.json").write_text(json.dumps(used) + "\n")


def plain(work: Path, *, per_step: int = 1, steps_per_epoch: int | None = None, restart_at: int | None = None,
          steps: int = 30, name: str | None = None, keep_state: bool = False, resume: str | bool = "allow",
          own_step: bool = False, lr_every: int = 1) -> list:
    import wandb

    model = torch.nn.Linear(4, 1)
    opt = torch.optim.SGD(model.parameters(), lr=0.1)
    used: list = []
    _record(opt, used)

    def build():
        return torch.optim.lr_scheduler.LambdaLR(opt, lambda t: min(1.0, (t + 1) / 5) * 0.97 ** t)

    sched = build()
    run = wandb.init(project="lrplot", dir=str(work), mode="offline", id=work.name, name=name)
    for t in range(steps):
        if restart_at is not None and t == restart_at:  # the process ends; a new one resumes the W&B run
            run.finish()
            run = wandb.init(project="lrplot", dir=str(work), mode="offline", id=work.name,
                             resume=resume)
            if not keep_state:
                opt.param_groups[0]["lr"] = 0.1  # a fresh optimizer and scheduler: the state was not saved
                opt.param_groups[0].pop("initial_lr", None)
                sched = build()
        row = {"lr": opt.param_groups[0]["lr"], "loss": 1.0 / (t + 1)}
        if t % lr_every:
            del row["lr"]
        if own_step and restart_at is not None and t >= restart_at:
            run.log(row)  # W&B's own _step, from 0 again
        else:
            run.log(row, step=t)
        opt.zero_grad()
        model(torch.randn(2, 4)).pow(2).mean().backward()
        opt.step()
        if steps_per_epoch is None:
            for _ in range(per_step):
                sched.step()
        elif (t + 1) % steps_per_epoch == 0:
            sched.step()
    run.finish()
    return used


def hf(work: Path, *, extra_step: bool = False, resume_without_scheduler: bool = False) -> list:
    from transformers import TrainerCallback, TrainingArguments

    from tests.helpers.logruns import _HFModel, _hf_data, recording_trainer

    os.environ["WANDB_PROJECT"] = "lrplot"
    used: list = []

    class ExtraStep(TrainerCallback):
        def on_step_end(self, args, state, control, lr_scheduler=None, **kw):
            lr_scheduler.step()

    Recording = recording_trainer(used)  # the lr each update used, recorded once per optimizer

    import wandb

    if resume_without_scheduler:  # both launches log into one W&B run, as a resumed job asks wandb to
        os.environ["WANDB_RUN_ID"], os.environ["WANDB_RESUME"] = work.name, "allow"

    def trainer(stop: int | None = None):
        args = TrainingArguments(
            output_dir="out", max_steps=20, per_device_train_batch_size=4, learning_rate=1e-3,
            lr_scheduler_type="cosine", warmup_steps=3, logging_steps=1, report_to=["wandb"], use_cpu=True,
            disable_tqdm=True, save_strategy="steps" if stop else "no", save_steps=stop or 500, seed=0,
            dataloader_drop_last=True)
        callbacks = [ExtraStep()] if extra_step else []
        if stop is not None:
            class Stop(TrainerCallback):
                def on_step_end(self, args, state, control, **kw):
                    if state.global_step >= stop:
                        control.should_training_stop = True

            callbacks.append(Stop())
        return Recording(model=_HFModel(), args=args, train_dataset=_hf_data(80), callbacks=callbacks)

    if resume_without_scheduler:
        # stopped after update 8 (its checkpoint saved), the checkpoint's scheduler.pt lost, launched again
        trainer(stop=8).train()
        wandb.finish()
        (Path("out") / "checkpoint-8" / "scheduler.pt").unlink()
        trainer().train(resume_from_checkpoint=str(Path("out") / "checkpoint-8"))
    else:
        trainer().train()
    wandb.finish()
    return used


def lightning(work: Path, *, interval: str = "step", twice: bool = False, resume: bool = False) -> list:
    """``twice``: a second ``lr_schedulers().step()`` by hand after every batch, beside Lightning's own;
    ``resume``: stopped after 12 updates (``trainer.save_checkpoint``), then fitted again with ``ckpt_path`` from
    that checkpoint, its scheduler state dropped (``on_load_checkpoint``), into the same W&B run (its id,
    ``resume="allow"``)."""
    import lightning.pytorch as pl
    import wandb
    from lightning.pytorch.callbacks import LearningRateMonitor
    from lightning.pytorch.loggers import WandbLogger

    used: list = []

    class Module(pl.LightningModule):
        def __init__(self):
            super().__init__()
            self.a = torch.nn.Linear(4, 1)

        def training_step(self, batch, i):
            (x,) = batch
            return self.a(x).pow(2).mean()

        def on_train_batch_end(self, *a):
            if twice:
                self.lr_schedulers().step()

        def configure_optimizers(self):
            opt = torch.optim.SGD(self.parameters(), lr=0.1, momentum=0.9)
            _record(opt, used)
            sched = torch.optim.lr_scheduler.LinearLR(opt, start_factor=0.1, total_iters=24)
            return {"optimizer": opt, "lr_scheduler": {"scheduler": sched, "interval": interval}}

        def on_load_checkpoint(self, checkpoint):  # a checkpoint without the scheduler's state
            checkpoint["lr_schedulers"] = []

    data = torch.utils.data.DataLoader(torch.utils.data.TensorDataset(torch.randn(12, 4)), batch_size=2)

    def fit(max_steps: int, ckpt: str | None = None) -> pl.Trainer:
        logger = (WandbLogger(project="lrplot", save_dir=str(work), offline=True, id=work.name, resume="allow")
                  if resume else WandbLogger(project="lrplot", save_dir=str(work), offline=True))
        trainer = pl.Trainer(max_steps=max_steps, accelerator="cpu", devices=1, default_root_dir=str(work),
                             logger=logger, callbacks=[LearningRateMonitor()], log_every_n_steps=1,
                             enable_checkpointing=False, enable_progress_bar=False, enable_model_summary=False)
        trainer.fit(Module(), data, ckpt_path=ckpt)
        return trainer

    if resume:
        fit(12).save_checkpoint(str(work / "mid.ckpt"))
        wandb.finish()
        fit(24, str(work / "mid.ckpt"))
    else:
        fit(24)
    wandb.finish()
    return used


CASES = {
    "plain/ok": lambda w: plain(w),
    "plain/twice": lambda w: plain(w, per_step=2),
    "plain/epoch": lambda w: plain(w, steps_per_epoch=5),
    "plain/resume": lambda w: plain(w, restart_at=12),
    "resumed/offline": lambda w: plain(w, restart_at=12, keep_state=True, own_step=True),
    "resumed/auto": lambda w: plain(w, restart_at=12, keep_state=True, own_step=True, resume=True),
    "resumed/rebuilt": lambda w: plain(w, restart_at=12, own_step=True),
    "resumed/auto-rebuilt": lambda w: plain(w, restart_at=12, own_step=True, resume=True),
    "resumed/sparse": lambda w: plain(w, restart_at=12, keep_state=True, own_step=True, lr_every=5),
    "named/exp-ok": lambda w: plain(w, name="exp"),  # two runs named alike, chosen by id; one by its name
    "named/exp-twice": lambda w: plain(w, per_step=2, name="exp"),
    "named/solo": lambda w: plain(w, per_step=2, name="solo"),
    "hf/ok": lambda w: hf(w),
    "hf/twice": lambda w: hf(w, extra_step=True),
    "hf/resume": lambda w: hf(w, resume_without_scheduler=True),
    "lightning/ok": lambda w: lightning(w),
    "lightning/epoch": lambda w: lightning(w, interval="epoch"),
    "lightning/twice": lambda w: lightning(w, twice=True),
    "lightning/resume": lambda w: lightning(w, resume=True),
}


def one(name: str, work: Path) -> None:
    """Run one case in this process (a child of :func:`main`): wandb-core has written and closed
    the run file only once the process that started it has ended."""
    import wandb

    torch.manual_seed(0)
    used = CASES[name](work)
    wandb.teardown()
    (work / "used.json").write_text(json.dumps(used) + "\n")


def main() -> None:
    import subprocess

    os.environ["WANDB_MODE"] = "offline"
    os.environ.setdefault("WANDB_SILENT", "true")
    # no machine details in the committed files (paths, host, git): lrplot reads none of them
    for switch in ("WANDB_DISABLE_CODE", "WANDB_DISABLE_GIT", "WANDB_X_DISABLE_META", "WANDB_X_DISABLE_STATS",
                   "WANDB_X_DISABLE_MACHINE_INFO"):
        os.environ[switch] = "true"
    if sys.argv[1:2] == ["--one"]:
        return one(sys.argv[2], Path(sys.argv[3]))
    for name in sys.argv[1:] or list(CASES):
        with tempfile.TemporaryDirectory() as tmp:
            work = Path(tmp) / name.replace("/", "-")
            work.mkdir()
            env = {**os.environ, "WANDB_DIR": str(work)}
            subprocess.run([sys.executable, "-W", "ignore", __file__, "--one", name, str(work)], env=env, check=True,
                           cwd=work)
            used = json.loads((work / "used.json").read_text())
            keep(work, HERE / name, used)
            print(name, len(used), "updates")


if __name__ == "__main__":
    main()
