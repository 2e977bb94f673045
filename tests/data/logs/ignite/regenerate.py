"""Write the ignite logs of tests/test_logs_ignite.py with the REAL pytorch-ignite (0.5.5) on the CPU, its
MLflowLogger's into the REAL mlflow (mlflow-skinny 3.17.2), its WandBLogger's into the REAL wandb (0.31.0, offline).

Usage: python tests/data/logs/ignite/regenerate.py [CASE ...]    # every case when none is named; ``used.json``
keeps the cases not run (each TensorBoard event file has its own timestamps: a case run again is rewritten)

ignite's loop (ignite/engine/engine.py:1265-1270): ``state.iteration += 1``, fire ITERATION_STARTED, run the
process function (here: forward, backward, ``optimizer.step()``), fire ITERATION_COMPLETED; handlers of one
event run in the order they were attached. ``TensorboardLogger.attach_opt_params_handler`` attaches
``OptimizerParamsHandler`` (ignite/handlers/tensorboard_logger.py:396-408): it writes
``{tag/}lr/group_{i}`` = ``param_groups[i]["lr"]`` at ``engine.state.get_event_attrib_value(event)``: the
iteration (1-based) of the event it is attached to. An optimizer step pre-hook records the lr each update
used (``used.json``: case -> one list of lrs per update), the reference the test compares with.

Runs (10 iterations x 2 epochs = 20 updates, SGD lr 0.1, two param groups in ``torch-started``):
- ``torch-started``: a torch CosineAnnealingLR(T_max=20) wrapped in ignite's ``LRScheduler`` attached at
  ITERATION_STARTED (ignite's documented use), lr logged at ITERATION_STARTED after it: step i holds update i-1's lr;
- ``torch-completed-log``: the same, lr logged at ITERATION_COMPLETED: step i holds update i-1's lr;
- ``native``: ignite's CosineAnnealingScheduler(0.1 -> 0.001, cycle_size 21) at ITERATION_STARTED, logged there;
- ``legacy-after``: ``LRScheduler(..., use_legacy=True)`` at ITERATION_COMPLETED (torch's own loop order),
  lr logged at ITERATION_COMPLETED after it: step i holds the lr of update i (the next one);
- ``legacy-before``: the same scheduler, lr logged at ITERATION_STARTED: step i holds update i-1's lr;
- ``twice``: ``torch-started`` with the scheduler attached twice (stepped twice per update).
- ``epoch``: ``torch-started`` with one param group, its scheduler attached at EPOCH_STARTED instead (stepped once
  per 10-update epoch);
- ``resume``: ``torch-started`` with one param group, stopped after the first epoch with ignite's ``Checkpoint``
  saving the trainer, model and optimizer but not the scheduler, then a new process's objects (the scheduler built
  anew) loaded by ``Checkpoint.load_objects`` and run to the end, logging into the same TensorBoard folder;
- ``log-first``: the lr handler attached at ITERATION_STARTED BEFORE the scheduler: step i holds the lr update i-2
  used, step 1 the lr before the scheduler's first call.
- ``mlflow``: ``torch-started`` logged by ignite's ``MLflowLogger`` (handlers/mlflow_logger.py:356-367: "lr group_N"
  at the event's iteration) into mlflow's default sqlite store, ``mlflow/mlflow.db`` (machine paths and source tags
  scrubbed, vacuumed: tests/data/mlflow/regenerate.py ``scrub``);
- ``wandb``: ``torch-started`` with one param group logged by ignite's ``WandBLogger`` (handlers/wandb_logger.py:
  362-372: ``wandb.log({"lr/group_N": ...}, step=iteration)``), offline, in a process of its own (wandb-core has
  written and closed the run file only once that process has ended); only ``wandb/wandb/offline-run-*/run-*.wandb``
  is kept (the rest of a run folder is logs and requirements).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
import warnings
from pathlib import Path

import torch
from ignite.engine import Engine, Events
from ignite.handlers import TensorboardLogger
from ignite.handlers.param_scheduler import CosineAnnealingScheduler, LRScheduler

HERE = Path(__file__).resolve().parent
ITERATIONS, EPOCHS = 10, 2
TENSORBOARD = ("torch-started", "torch-completed-log", "native", "legacy-after", "legacy-before", "twice", "log-first",
               "epoch")


def torch_started(groups: int) -> tuple:
    """``torch-started``'s loop without its logger: (trainer, optimizer, the lrs each update used)."""
    torch.manual_seed(0)
    model = torch.nn.Sequential(torch.nn.Linear(2, 2), torch.nn.Linear(2, 1))
    params = ([{"params": model[0].parameters()}, {"params": model[1].parameters(), "lr": 0.05}]
              if groups == 2 else model.parameters())
    optimizer = torch.optim.SGD(params, lr=0.1)
    used: list[list[float]] = []
    optimizer.register_step_pre_hook(lambda opt, args, kwargs: used.append([g["lr"] for g in opt.param_groups]))

    def update(engine, batch):
        optimizer.zero_grad()
        model(torch.ones(4, 2)).pow(2).mean().backward()
        optimizer.step()

    trainer = Engine(update)
    scheduler = torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=ITERATIONS * EPOCHS)
    trainer.add_event_handler(Events.ITERATION_STARTED, LRScheduler(scheduler))
    return trainer, optimizer, used


def run_mlflow() -> list[list[float]]:
    from ignite.handlers import MLflowLogger

    sys.path.insert(0, str(HERE.parents[3]))
    from tests.data.mlflow.regenerate import scrub

    folder = HERE / "mlflow"
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir()
    trainer, optimizer, used = torch_started(2)
    cwd = os.getcwd()
    os.chdir(tempfile.mkdtemp())  # the sqlite store's default artifact root is ./mlruns: not in the checkout
    try:
        logger = MLflowLogger(tracking_uri=f"sqlite:///{folder / 'mlflow.db'}")
        logger.attach_opt_params_handler(trainer, event_name=Events.ITERATION_STARTED, optimizer=optimizer)
        trainer.run(range(ITERATIONS), max_epochs=EPOCHS)
        logger.close()
        scrub(folder)  # the artifact root under this working directory made relative too
    finally:
        os.chdir(cwd)
    return used


def wandb_child(work: str) -> None:
    """The ``wandb`` case's run, in the child :func:`run_wandb` starts: prints the lrs each update used."""
    from ignite.handlers import WandBLogger

    trainer, optimizer, used = torch_started(1)
    logger = WandBLogger(mode="offline", dir=work, project="lrplot", id="ignite-wandb")
    logger.attach_opt_params_handler(trainer, event_name=Events.ITERATION_STARTED, optimizer=optimizer)
    trainer.run(range(ITERATIONS), max_epochs=EPOCHS)
    logger.close()
    print(json.dumps(used))


def run_wandb() -> list[list[float]]:
    # no machine details in the committed file (paths, host, git): lrplot reads none of them
    env = {**os.environ, "WANDB_MODE": "offline", "WANDB_SILENT": "true", "WANDB_DISABLE_CODE": "true",
           "WANDB_DISABLE_GIT": "true", "WANDB_X_DISABLE_META": "true", "WANDB_X_DISABLE_STATS": "true",
           "WANDB_X_DISABLE_MACHINE_INFO": "true"}
    with tempfile.TemporaryDirectory() as work:
        done = subprocess.run([sys.executable, "-W", "ignore", __file__, "--wandb-child", work], env=env, cwd=work,
                              check=True, capture_output=True, text=True)
        (file,) = Path(work).rglob("run-*.wandb")
        target = HERE / "wandb" / "wandb" / file.parent.name / file.name
        shutil.rmtree(HERE / "wandb", ignore_errors=True)
        target.parent.mkdir(parents=True)
        shutil.copy(file, target)
    return json.loads(done.stdout.strip().splitlines()[-1])


def run(case: str) -> list[list[float]]:
    torch.manual_seed(0)
    model = torch.nn.Sequential(torch.nn.Linear(2, 2), torch.nn.Linear(2, 1))
    groups = ([{"params": model[0].parameters()}, {"params": model[1].parameters(), "lr": 0.05}]
              if case == "torch-started" else model.parameters())
    optimizer = torch.optim.SGD(groups, lr=0.1)
    used: list[list[float]] = []
    optimizer.register_step_pre_hook(lambda opt, args, kwargs: used.append([g["lr"] for g in opt.param_groups]))

    def update(engine, batch):
        optimizer.zero_grad()
        model(torch.ones(4, 2)).pow(2).mean().backward()
        optimizer.step()

    trainer = Engine(update)
    folder = HERE / case
    shutil.rmtree(folder, ignore_errors=True)
    logger = TensorboardLogger(log_dir=str(folder))
    at = Events.ITERATION_COMPLETED if case in ("torch-completed-log", "legacy-after") else Events.ITERATION_STARTED
    if case == "log-first":
        logger.attach_opt_params_handler(trainer, event_name=at, optimizer=optimizer)
    legacy = case.startswith("legacy")
    if case == "native":
        scheduler = CosineAnnealingScheduler(optimizer, "lr", start_value=0.1, end_value=0.001, cycle_size=21)
    else:
        torch_scheduler = torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=ITERATIONS * EPOCHS)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # use_legacy's reminder to attach at ITERATION_COMPLETED
            scheduler = LRScheduler(torch_scheduler, use_legacy=legacy)
    attach = Events.ITERATION_COMPLETED if legacy else Events.EPOCH_STARTED if case == "epoch" else Events.ITERATION_STARTED
    trainer.add_event_handler(attach, scheduler)
    if case == "twice":
        trainer.add_event_handler(Events.ITERATION_STARTED, scheduler)
    if case != "log-first":
        logger.attach_opt_params_handler(trainer, event_name=at, optimizer=optimizer)
    trainer.run(range(ITERATIONS), max_epochs=EPOCHS)
    logger.close()
    return used


def run_resume() -> list[list[float]]:
    """``resume``: two launches, the second loading the first's checkpoint without the scheduler's state."""
    from ignite.handlers import Checkpoint, DiskSaver

    folder = HERE / "resume"
    shutil.rmtree(folder, ignore_errors=True)
    used: list[list[float]] = []
    with tempfile.TemporaryDirectory() as saved:
        for launch in range(2):
            torch.manual_seed(0)
            model = torch.nn.Sequential(torch.nn.Linear(2, 2), torch.nn.Linear(2, 1))
            optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
            optimizer.register_step_pre_hook(
                lambda opt, args, kwargs: used.append([g["lr"] for g in opt.param_groups]))

            def update(engine, batch, model=model, optimizer=optimizer):
                optimizer.zero_grad()
                model(torch.ones(4, 2)).pow(2).mean().backward()
                optimizer.step()

            trainer = Engine(update)
            scheduler = torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=ITERATIONS * EPOCHS)
            trainer.add_event_handler(Events.ITERATION_STARTED, LRScheduler(scheduler))
            logger = TensorboardLogger(log_dir=str(folder))
            logger.attach_opt_params_handler(trainer, event_name=Events.ITERATION_STARTED, optimizer=optimizer)
            to_save = {"trainer": trainer, "model": model, "optimizer": optimizer}  # the scheduler left out
            if launch == 0:
                trainer.add_event_handler(Events.EPOCH_COMPLETED, Checkpoint(to_save, DiskSaver(saved)))
                trainer.run(range(ITERATIONS), max_epochs=1)
            else:
                (checkpoint,) = Path(saved).glob("*.pt")
                Checkpoint.load_objects(to_load=to_save, checkpoint=torch.load(checkpoint, weights_only=False))
                trainer.run(range(ITERATIONS), max_epochs=EPOCHS)
            logger.close()
    return used


def main() -> None:
    if sys.argv[1:2] == ["--wandb-child"]:
        return wandb_child(sys.argv[2])
    runs = {**{case: lambda case=case: run(case) for case in TENSORBOARD}, "mlflow": run_mlflow, "wandb": run_wandb,
            "resume": run_resume}
    used = json.loads((HERE / "used.json").read_text()) if (HERE / "used.json").exists() else {}
    for case in sys.argv[1:] or list(runs):
        used[case] = runs[case]()
    used = {case: used[case] for case in runs if case in used}
    (HERE / "used.json").write_text(json.dumps(used, indent=1) + "\n")


if __name__ == "__main__":
    main()
