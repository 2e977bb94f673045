"""Write the Composer logs of tests/test_logs_composer.py with Composer's OWN Trainer, LRMonitor and loggers.

Usage: PYTHONPATH=tests/data/logs/composer/stub python tests/data/logs/composer/regenerate.py

Measured with mosaicml (Composer) 0.32.1, torch 2.13 (CPU), tensorboard 2.21.0, mlflow 3.17.2, wandb 0.31.0.
The stub folder stands in for three packages Composer imports but that play no part in logging an lr and
are not installed here: torchvision (composer/utils/misc.py imports it), mcli (its platform logger) and
coolname (names a run when none is given). wandb 0.31 has ``Run.url`` where Composer 0.32 calls
``Run.get_url()`` (loggers/wandb_logger.py:207): the one shim below.

Each run: a ComposerClassifier over nn.Linear(2, 2), SGD lr 0.1, torch's CosineAnnealingLR(T_max=20),
max_duration 20ba, batches of 4, LRMonitor logging ``lr-SGD/group0`` at BATCH_END through a
TensorboardLogger (``<run>/tb``), an MLFlowLogger (one shared ``mlflow.db``, the run named after the
fault) and a WandBLogger in offline mode (``<run>/run-<id>.wandb``). An optimizer step pre-hook records
the lr each update used (``<run>/used.json``), the reference the test compares with.

Runs (the plan is plan.yaml):
- ``ok``: 20 batches an epoch, schedulers stepped every batch (Composer's default);
- ``twice``: the same scheduler passed twice (``schedulers=[s, s]``): stepped twice per batch;
- ``epoch``: 5 batches an epoch and ``step_schedulers_every_batch=False``: stepped at EPOCH_END;
- ``accum``: ``device_train_microbatch_size=1`` (4 micro-batches per batch): one update, one step per batch;
- ``resume``: 12 batches with a checkpoint, then a second Trainer loading it with
  ``load_ignore_keys=["state/schedulers"]`` (the optimizer's state restored, the scheduler's not),
  logging into the same TensorBoard folder (no W&B logger in the second one).
"""

from __future__ import annotations

import json
import os
import shutil
import sys
from pathlib import Path

os.environ["WANDB_MODE"] = "offline"
os.environ["WANDB_SILENT"] = "true"

import torch  # noqa: E402
import wandb  # noqa: E402
from composer import Trainer  # noqa: E402
from composer.callbacks import LRMonitor  # noqa: E402
from composer.loggers import MLFlowLogger, TensorboardLogger, WandBLogger  # noqa: E402
from composer.models import ComposerClassifier  # noqa: E402
from torch.utils.data import DataLoader, TensorDataset  # noqa: E402

if not hasattr(wandb.sdk.wandb_run.Run, "get_url"):
    wandb.sdk.wandb_run.Run.get_url = lambda self: self.url

HERE = Path(__file__).resolve().parent


def run(fault: str, out: Path, work: Path, *, duration: str = "20ba", load: str | None = None,
        save: str | None = None, used: list | None = None) -> list:
    out.mkdir(parents=True, exist_ok=True)
    torch.manual_seed(0)
    per_epoch = 5 if fault == "epoch" else 20
    data = TensorDataset(torch.randn(per_epoch * 4, 2), torch.randint(0, 2, (per_epoch * 4,)))
    model = ComposerClassifier(torch.nn.Linear(2, 2), num_classes=2)
    opt = torch.optim.SGD(model.parameters(), lr=0.1)
    sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=20)
    used = [] if used is None else used
    opt.register_step_pre_hook(lambda o, a, k: used.append(o.param_groups[0]["lr"]))
    loggers = [TensorboardLogger(log_dir=str(out / "tb"), flush_interval=1),
               MLFlowLogger(experiment_name="lr", run_name=fault, tracking_uri=f"sqlite:///{HERE / 'mlflow.db'}",
                            log_system_metrics=False, synchronous=True)]
    if load is None:
        loggers.append(WandBLogger(project="lr", name=fault, init_kwargs={"dir": str(work / fault)}))
    trainer = Trainer(model=model, train_dataloader=DataLoader(data, batch_size=4), optimizers=opt,
                      schedulers=[sched, sched] if fault == "twice" else sched, max_duration=duration,
                      step_schedulers_every_batch=fault != "epoch", callbacks=[LRMonitor()], loggers=loggers,
                      run_name="lr", device="cpu", progress_bar=False, log_to_console=False,
                      device_train_microbatch_size=1 if fault == "accum" else None,
                      save_folder=save, save_interval="12ba" if save else "1ep",
                      save_filename="ep{epoch}-ba{batch}.pt", load_path=load,
                      load_ignore_keys=["state/schedulers"] if load else None)
    trainer.fit()
    trainer.close()
    (out / "used.json").write_text(json.dumps(used))
    return used


def main() -> None:
    work = HERE / "work"
    for fault in ("ok", "twice", "epoch", "accum", "resume"):
        shutil.rmtree(HERE / fault, ignore_errors=True)
    (HERE / "mlflow.db").unlink(missing_ok=True)
    for fault in ("ok", "twice", "epoch", "accum"):
        run(fault, HERE / fault, work)
    used = run("resume", HERE / "resume", work, duration="12ba", save=str(work / "ckpt"))
    run("resume", HERE / "resume", work, load=str(work / "ckpt" / "ep0-ba12.pt"), used=used)
    for fault in ("ok", "twice", "epoch", "accum", "resume"):  # the offline run file alone
        (found,) = (work / fault).glob("wandb/offline-run-*/run-*.wandb")
        shutil.copy(found, HERE / fault / found.name)
    shutil.rmtree(work)


if __name__ == "__main__":
    sys.exit(main())
