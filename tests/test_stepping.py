"""``stepping: {accelerate: ...}``: the curve of a scheduler that goes through ``accelerator.prepare`` equals a
REAL ``accelerate launch`` run with 2 CPU processes, ``==`` at every update.

accelerate 1.15.0, src/accelerate/scheduler.py:54-82, ``AcceleratedScheduler.step``: nothing while
``gradient_state.sync_gradients`` is false (an accumulating micro-batch; ``_step_count`` still counts), else
the wrapped scheduler steps once if ``split_batches``, else ``AcceleratorState().num_processes`` times (a
scheduler with ``total_steps``, OneCycleLR, only while ``_step_count <= total_steps``). The run is the loop
of Accelerate's examples (tests/helpers/accelerate_loop.py). ``accelerate launch --cpu --num_processes 2``
starts ONE process in accelerate 1.15 (its simple launcher; several CPU processes need an MPI host file),
so the run is ``accelerate launch --multi_gpu --num_processes 2`` of a script whose ``Accelerator(cpu=True)``
then trains on the CPU over gloo: two processes, as the run records.
"""

from __future__ import annotations

import json

import pytest

from lrplot.errors import SpecError
from lrplot.spec import parse_spec

from tests.helpers.installed import require
from tests.helpers.paths import ROOT

require("accelerate")

CASES = {
    "cosine, 2 processes, accumulation 2": {
        "split_batches": False, "gradient_accumulation_steps": 2, "lr": 0.1, "type": "CosineAnnealingLR",
        "kwargs": {"T_max": 30}, "examples": 160, "batch_size": 4, "epochs": 2},
    "OneCycleLR, 2 processes: stepping stops at total_steps": {
        "split_batches": False, "gradient_accumulation_steps": 1, "lr": 0.1, "type": "OneCycleLR",
        "kwargs": {"max_lr": 0.1, "total_steps": 30}, "examples": 96, "batch_size": 4, "epochs": 2},
    "split batches, accumulation 3": {
        "split_batches": True, "gradient_accumulation_steps": 3, "lr": 0.1, "type": "StepLR",
        "kwargs": {"step_size": 3, "gamma": 0.5}, "examples": 96, "batch_size": 4, "epochs": 2},
}


def drawn(case: dict, updates: int) -> list[float]:
    from lrplot.engine import simulate

    stepping = {"num_processes": 2, "split_batches": case["split_batches"],
                "gradient_accumulation_steps": case["gradient_accumulation_steps"]}
    spec = parse_spec({"steps": updates, "optimizer": {"type": "AdamW", "lr": case["lr"]},
                       "scheduler": {"type": case["type"], **case["kwargs"]}, "stepping": {"accelerate": stepping}})
    return simulate(spec).schedules[0].values[(0, "lr")].tolist()


ONE_CYCLE = "OneCycleLR, 2 processes: stepping stops at total_steps"  # also logged as Megatron-LM logs


@pytest.fixture(scope="module")
def launched(tmp_path_factory):
    """One real 2-process ``accelerate launch`` running every case in turn (each with a fresh Accelerator):
    the launch, not the loops, is what costs. The OneCycleLR case also writes a TensorBoard log (the folder
    ``tensorboard`` of its result) for :func:`test_stepped_once_per_process_by_a_real_two_process_accelerate_run`."""
    import os
    import subprocess
    import sys

    tmp_path = tmp_path_factory.mktemp("accelerate")
    out = tmp_path / "seen.json"
    cases = {name: dict(case) for name, case in CASES.items()}
    cases[ONE_CYCLE]["tensorboard"] = str(tmp_path / "tb")
    env = {**os.environ, "PYTHONPATH": str(ROOT), "OMP_NUM_THREADS": "1", "HF_HOME": str(tmp_path / "hf")}
    proc = subprocess.run(
        [sys.executable, "-m", "accelerate.commands.launch", "--multi_gpu", "--num_processes", "2", "--num_machines",
         "1", "--mixed_precision", "no", "--dynamo_backend", "no", "--main_process_port", "0",
         str(ROOT / "tests" / "helpers" / "accelerate_loop.py"), json.dumps(cases), str(out)],
        capture_output=True, text=True, timeout=540, env=env, cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr[-3000:]
    results = json.loads(out.read_text())
    results[ONE_CYCLE]["tensorboard"] = tmp_path / "tb"
    return results


@pytest.mark.slow
@pytest.mark.timeout(600)
@pytest.mark.parametrize("name", sorted(CASES))
def test_accelerate_launch_with_two_processes_equals_the_spec(launched, name):
    case = CASES[name]
    real = launched[name]
    assert real["num_processes"] == 2 and real["split_batches"] == case["split_batches"]
    # each process reads half the batches; with split_batches each batch is split across the two instead
    batches = case["examples"] // case["batch_size"] // (1 if case["split_batches"] else 2)
    updates = batches * case["epochs"] // case["gradient_accumulation_steps"]
    assert len(real["seen"]) == updates
    assert drawn(case, updates) == real["seen"]


def test_split_batches_steps_once_per_update_and_accumulation_never_adds_steps():
    """Without a launch: split batches step the scheduler once per update, like a plain loop."""
    import torch

    optimizer = torch.optim.AdamW([torch.nn.Parameter(torch.zeros(1))], lr=0.1)
    scheduler = torch.optim.lr_scheduler.StepLR(optimizer, step_size=3, gamma=0.5)
    seen = []
    for _ in range(12):
        seen.append(optimizer.param_groups[0]["lr"])
        optimizer.step()
        scheduler.step()
    assert drawn(CASES["split batches, accumulation 3"], 12) == seen == [0.1] * 3 + [0.05] * 3 + [0.025] * 3 + \
        [0.0125] * 3


def test_accelerated_scheduler_has_the_shape_lrplot_drives():
    """lrplot runs AcceleratedScheduler.step as written, with its module global AcceleratorState replaced in a
    copy of the function, on an instance holding what __init__ sets: a new release that renames them fails here."""
    import inspect

    import accelerate.scheduler as module

    code = module.AcceleratedScheduler.step.__code__
    assert "AcceleratorState" in code.co_names and not code.co_freevars
    init = inspect.getsource(module.AcceleratedScheduler.__init__)
    for attribute in ("scheduler", "optimizers", "split_batches", "step_with_optimizer", "gradient_state"):
        assert f"self.{attribute} =" in init
    step = inspect.getsource(module.AcceleratedScheduler.step)
    assert all(name in step for name in ("sync_gradients", "adjust_scheduler", "step_was_skipped", "num_processes"))


@pytest.mark.parametrize("text, message", [
    ("steps: 20\nscheduler: {type: CosineAnnealingLR, T_max: 30}\nstepping:\n  accelerate: {num_process: 2}\n",
     "4:16: unknown key 'num_process'; did you mean 'num_processes'?"),
    ("steps: 20\nscheduler: {type: CosineAnnealingLR, T_max: 30}\nstepping:\n  accelerate: {num_processes: 0}\n",
     "4:31: stepping.accelerate.num_processes: 0 is below 1; write a number of at least 1"),
])
def test_a_bad_stepping_is_one_line(tmp_path, text, message):
    from lrplot.spec import load_spec

    path = tmp_path / "spec.yaml"
    path.write_text(text)
    with pytest.raises(SpecError) as err:
        load_spec(path)
    assert err.value.format() == f"{path}:{message}"


def test_a_plan_resimulated_as_stepped_once_per_process():
    """What verify calls: the plan's schedule, stepped as 2 processes under Accelerate would step it."""
    from lrplot.engine import start_run
    from lrplot.engine.stepping import accelerated

    plain = parse_spec({"steps": 20, "optimizer": {"type": "AdamW", "lr": 0.1},
                        "scheduler": {"type": "CosineAnnealingLR", "T_max": 30}})
    schedule = plain.schedule_list()[0]
    run = start_run(accelerated(schedule, 2, gradient_accumulation_steps=2), steps=20)
    assert run.values(run.advance(0, 20))[(0, "lr")].tolist() == drawn(CASES["cosine, 2 processes, accumulation 2"],
                                                                      20)
    listed = parse_spec({"schedules": [{"name": "a", "steps": 20, "scheduler": {"type": "StepLR", "step_size": 3}}]})
    run = start_run(accelerated(listed.schedule_list()[0], 3), steps=4)  # 3 steps of StepLR(3) per update
    assert run.values(run.advance(0, 4))[(0, "lr")].tolist() == [0.1, 0.1 * 0.1, 0.1 * 0.1 * 0.1, 0.1 * 0.1 ** 3]


@pytest.mark.slow
@pytest.mark.timeout(600)
def test_stepped_once_per_process_by_a_real_two_process_accelerate_run(launched, tmp_path):
    """``accelerate launch`` with 2 CPU processes: AcceleratedScheduler steps OneCycleLR twice per update
    (accelerate scheduler.py:71-82) until total_steps; process 0 logs learning-rate as Megatron-LM does
    (after each update's ``scheduler.step()``, at the updates done), and ``lrplot verify`` names the fault."""
    import numpy as np

    from lrplot.logs import load_log
    from lrplot.verify import verify_files

    real = launched[ONE_CYCLE]
    seen = real["seen"]
    (trace,) = load_log(real["tensorboard"]).schedules
    assert len(seen) == 24 and trace.at[(0, "lr")].tolist() == list(range(1, 25))
    assert trace.values[(0, "lr")].tolist()[:23] == np.float32(seen[1:]).astype(np.float64).tolist()
    plan = tmp_path / "plan.yaml"
    plan.write_text("steps: 24\noptimizer: {type: AdamW, lr: 0.1}\n"
                    "scheduler: {type: OneCycleLR, max_lr: 0.1, total_steps: 30}\n")
    (v,) = verify_files(plan, real["tensorboard"]).verdicts
    assert v.text() == (
        "learning-rate: diverges at step 1: logged 0.0180588737, plan 0.00765378244 (0 of 24 logged steps agree); "
        "stepped once per process (Accelerate, 2 processes): the scheduler stepped 2 times per update, as "
        "Accelerate's prepared scheduler does unless split_batches=True or step_scheduler_with_optimizer=False (the "
        "plan re-simulated so matches every "
        "logged value)")
