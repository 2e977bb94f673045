"""Write the logs of tests/test_logs_accelerate_processes.py: a REAL 2-process ``accelerate launch`` on the CPU
(gloo), logging the lr through Accelerate's own trackers to TensorBoard, W&B (offline) and MLflow (its sqlite
store ``mlflow.db`` and its file store ``mlruns/``).

    python tests/data/logs/accelerate-processes/regenerate.py     # needs accelerate, wandb, mlflow, tensorboard

Measured with accelerate 1.15.0, torch 2.13 (CPU), wandb 0.31.0, mlflow 3.17.2, tensorboard 2.21.0 (also written
to versions.json with the process count the run reports). ``accelerate launch --cpu --num_processes 2`` starts one
process in accelerate 1.15 (tests/test_stepping.py), so the launch is ``--multi_gpu --num_processes 2`` of this
script, whose ``Accelerator(cpu=True)`` trains on the CPU over gloo.

Each run: nn.Linear(2, 1), AdamW lr 0.1, 96 examples in batches of 4 split between the 2 processes (12 batches
each an epoch), 2 epochs: 24 updates. The loop is Accelerate's examples' (the scheduler goes through
``accelerator.prepare``, ``lr_scheduler.step()`` after ``optimizer.step()``); process 0 logs the lr read before
``optimizer.step()`` with ``accelerator.log({"lr": lr}, step=update)`` (0-based: the lr of update s at step s).
An optimizer step pre-hook records the lr each update used (``<case>/used.json``, process 0's; both processes'
are equal, checked here).

Cases (plans beside this file):
- ``ok``: OneCycleLR(max_lr=0.1, total_steps=24), ``Accelerator(step_scheduler_with_optimizer=False)``: the
  prepared scheduler steps once per ``lr_scheduler.step()`` call, once per update (plan-onecycle.yaml);
- ``processes``: the same with Accelerate's default: AcceleratedScheduler.step steps the scheduler once per
  process, 2 times per update, until ``total_steps`` (accelerate scheduler.py:71-82; plan-onecycle.yaml);
- ``processes-cosine``: CosineAnnealingLR(T_max=24) with the default: 2 steps per update throughout, which
  only the run's process count (``--devices 2``) tells from an extra ``scheduler.step()`` (plan-cosine.yaml).

Accelerate's MLflow tracker writes to one store per Accelerator: the cases run once with the sqlite store (and
TensorBoard and W&B) and once more with the file store only; the lrs of both passes are checked equal.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parents[3]))

from tests.helpers.paths import ROOT  # noqa: E402
CASES = {
    "ok": {"scheduler": "OneCycleLR", "kwargs": {"max_lr": 0.1, "total_steps": 24}, "with_optimizer": False},
    "processes": {"scheduler": "OneCycleLR", "kwargs": {"max_lr": 0.1, "total_steps": 24}, "with_optimizer": True},
    "processes-cosine": {"scheduler": "CosineAnnealingLR", "kwargs": {"T_max": 24}, "with_optimizer": True},
}


def run_case(name: str, case: dict, work: Path, trackers: list[str], mlflow_uri: str) -> dict:
    import torch
    from accelerate import Accelerator
    from accelerate.state import AcceleratorState, GradientState
    from torch.utils.data import DataLoader, TensorDataset

    AcceleratorState._reset_state(reset_partial_state=False)  # a fresh Accelerator per case (the group stays)
    GradientState._reset_state()
    accelerator = Accelerator(cpu=True, log_with=trackers, project_dir=str(work / name),
                              step_scheduler_with_optimizer=case["with_optimizer"])
    if accelerator.is_main_process and "mlflow" in trackers:
        import mlflow

        mlflow.set_tracking_uri(mlflow_uri)
    accelerator.init_trackers("lrplot", init_kwargs={
        "wandb": {"mode": "offline", "dir": str(work / name), "id": name, "name": name},
        "mlflow": {"run_name": name}})
    torch.manual_seed(0)
    model = torch.nn.Linear(2, 1)
    optimizer = torch.optim.AdamW(model.parameters(), lr=0.1)
    used: list[float] = []
    optimizer.register_step_pre_hook(lambda opt, args, kwargs: used.append(opt.param_groups[0]["lr"]))
    scheduler = getattr(torch.optim.lr_scheduler, case["scheduler"])(optimizer, **case["kwargs"])
    data = DataLoader(TensorDataset(torch.randn(96, 2), torch.randn(96, 1)), batch_size=4)
    model, optimizer, data, scheduler = accelerator.prepare(model, optimizer, data, scheduler)
    update = 0
    for _ in range(2):
        for x, y in data:
            lr = optimizer.param_groups[0]["lr"]
            accelerator.backward(torch.nn.functional.mse_loss(model(x), y))
            optimizer.step()
            scheduler.step()
            optimizer.zero_grad()
            accelerator.log({"lr": lr}, step=update)
            update += 1
    every = accelerator.gather(torch.tensor([used], dtype=torch.float64))
    assert all(row == used for row in every.tolist()), "the processes' optimizers used different lrs"
    for tracker in accelerator.trackers:  # end_training, but the process group stays for the next case
        tracker.finish()
    return {"used": used, "num_processes": accelerator.num_processes}


def child(work: Path) -> None:
    """Under ``accelerate launch``: every case with TensorBoard, W&B and the sqlite store, then again with the
    file store; process 0 writes ``results.json``."""
    import torch

    results = {}
    for name, case in CASES.items():
        results[name] = run_case(name, case, work / "first", ["tensorboard", "wandb", "mlflow"],
                                 f"sqlite:///{work / 'mlflow.db'}")
        again = run_case(name, case, work / "again", ["mlflow"], (work / "mlruns").as_uri())
        assert again["used"] == results[name]["used"], name
    if torch.distributed.get_rank() == 0:
        (work / "results.json").write_text(json.dumps(results))
    torch.distributed.barrier()
    torch.distributed.destroy_process_group()  # left before teardown (tests/helpers/accelerate_loop.py)


def main() -> None:
    import importlib.util

    if sys.argv[1:2] == ["--child"]:
        return child(Path(sys.argv[2]))
    import accelerate
    import mlflow
    import tensorboard
    import torch
    import wandb

    spec = importlib.util.spec_from_file_location("_mlflow_regen", ROOT / "tests" / "data" / "mlflow" / "regenerate.py")
    mlflow_regen = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mlflow_regen)
    env = {**os.environ, "PYTHONPATH": str(ROOT), "OMP_NUM_THREADS": "1", "WANDB_MODE": "offline",
           "WANDB_SILENT": "true", "MLFLOW_ALLOW_FILE_STORE": "true"}
    # no machine details in the committed files (paths, host, git): lrplot reads none of them
    for switch in ("WANDB_DISABLE_CODE", "WANDB_DISABLE_GIT", "WANDB_X_DISABLE_META", "WANDB_X_DISABLE_STATS",
                   "WANDB_X_DISABLE_MACHINE_INFO"):
        env[switch] = "true"
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        subprocess.run([sys.executable, "-m", "accelerate.commands.launch", "--multi_gpu", "--num_processes", "2",
                        "--num_machines", "1", "--mixed_precision", "no", "--dynamo_backend", "no",
                        "--main_process_port", "0", __file__, "--child", str(work)],
                       env=env, cwd=work, check=True, timeout=900)
        results = json.loads((work / "results.json").read_text())
        for store in ("mlflow.db", "mlruns"):
            target = HERE / store
            target.unlink(missing_ok=True) if store == "mlflow.db" else shutil.rmtree(target, ignore_errors=True)
            (shutil.copy if store == "mlflow.db" else shutil.copytree)(work / store, target)
        os.chdir(work)  # the stores were written here: scrub makes the paths under the working folder relative
        mlflow_regen.scrub(HERE)
        os.chdir(HERE)
        for meta in (HERE / "mlruns").rglob("meta.yaml"):
            meta.write_text(meta.read_text().replace("file://" + str(work), ".").replace(str(work), "."))
        for name, result in results.items():
            case = HERE / name
            shutil.rmtree(case, ignore_errors=True)
            (events,) = (work / "first" / name / "lrplot").glob("events.out.tfevents.*")
            (case / "tb").mkdir(parents=True)
            shutil.copy(events, case / "tb" / events.name)
            (run,) = (work / "first" / name).rglob("run-*.wandb")
            shutil.copy(run, case / run.name)
            (case / "used.json").write_text(json.dumps(result["used"]) + "\n")
            print(name, len(result["used"]), "updates on", result["num_processes"], "processes")
    versions = {"accelerate": accelerate.__version__, "torch": torch.__version__, "wandb": wandb.__version__,
                "mlflow": mlflow.__version__, "tensorboard": tensorboard.__version__,
                "num_processes": {name: r["num_processes"] for name, r in results.items()}}
    (HERE / "versions.json").write_text(json.dumps(versions, indent=1) + "\n")


if __name__ == "__main__":
    main()
