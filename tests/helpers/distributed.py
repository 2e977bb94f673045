"""The two real 2-process CPU runs (torchrun, gloo) that tests/test_sources_lightning.py and
tests/test_sources_hf.py compare lrplot's ``devices: 2`` budgets with, and their committed records.

A run starts torchrun's launcher and two processes, each importing torch and its framework afresh:
about 10 s of CPU each, a tenth of the suite's wall time between them. They are recorded by
``python tests/data/distributed/regenerate.py`` (the runs as they were in the tests: the helper scripts
tests/helpers/lightning_ddp.py and hf_distributed.py under ``python -m torch.distributed.run``); a record
holds the versions it was made with, the sha256 of every file the run executes from this repository and
its inputs, and :func:`recorded` fails a test, naming that command, when any of them is not what is
installed or checked out now (the test extra pins these frameworks, CI pins torch)."""

from __future__ import annotations

import hashlib
import json
import os
import socket
import subprocess
import sys
from pathlib import Path

from tests.helpers.paths import ROOT

RECORDS = ROOT / "tests" / "data" / "distributed"
REGENERATE = "python tests/data/distributed/regenerate.py"

# LightningCLI fit, strategy ddp: 11 examples over 2 ranks is 6 per rank (DistributedSampler rounds up),
# 3 batches of 2, 2 updates per epoch with accumulation 2
LIGHTNING_CONFIG = """
trainer: {max_epochs: 3, accumulate_grad_batches: 2, devices: 2}
data: {dataset_size: 11, batch_size: 2}
optimizer: {class_path: torch.optim.SGD, init_args: {lr: 0.1}}
lr_scheduler: {class_path: torch.optim.lr_scheduler.ExponentialLR, init_args: {gamma: 0.5}}
"""
# HF Trainer under torchrun: 23 examples in batches of 3 are 8 batches, 4 per process (accelerate shards
# them), 2 updates per epoch with accumulation 2
HF_ARGS = {"num_train_epochs": 2, "per_device_train_batch_size": 3, "gradient_accumulation_steps": 2,
           "learning_rate": 1e-3, "lr_scheduler_type": "cosine", "warmup_steps": 0.2}
HF_EXAMPLES = 23

RUNS = {
    "lightning_ddp": {"packages": ("torch", "lightning", "jsonargparse"),
                      "files": ("tests/helpers/lightning_ddp.py", "tests/helpers/lightning_runs.py"),
                      "inputs": {"config": LIGHTNING_CONFIG}},
    "hf_torchrun": {"packages": ("torch", "transformers", "accelerate"),
                    "files": ("tests/helpers/hf_distributed.py", "tests/helpers/hf_trainer.py"),
                    "inputs": {"args": HF_ARGS, "examples": HF_EXAMPLES}},
}


def provenance(name: str) -> dict:
    """What a record of run ``name`` depends on: package versions, the files it runs, its inputs."""
    from importlib.metadata import version

    run = RUNS[name]
    return {"versions": {p: version(p) for p in run["packages"]},
            "files": {f: hashlib.sha256((ROOT / f).read_bytes()).hexdigest() for f in run["files"]},
            "inputs": run["inputs"]}


def recorded(name: str):
    """The result recorded for run ``name``; fails the test when the record was made with other versions,
    files or inputs than these (then re-record: :data:`REGENERATE`)."""
    import pytest

    path = RECORDS / f"{name}.json"
    record = json.loads(path.read_text())
    now = provenance(name)
    for key in ("versions", "files", "inputs"):
        if record[key] != now[key]:
            pytest.fail(f"{path.relative_to(ROOT)} was recorded with {key} {record[key]}, not {now[key]}; "
                        f"run {REGENERATE}")
    return record["result"]


def _torchrun(args: list[str], cwd: Path, env: dict | None = None) -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    done = subprocess.run([sys.executable, "-m", "torch.distributed.run", "--nproc_per_node", "2",
                           "--master_port", str(port), *args], capture_output=True, text=True, timeout=600,
                          cwd=cwd, env={**os.environ, "PYTHONPATH": str(ROOT), "OMP_NUM_THREADS": "1",
                                        "PYTHONWARNINGS": "ignore", **(env or {})})
    if done.returncode != 0:
        raise RuntimeError(done.stderr[-3000:])


def run_lightning_ddp(folder: Path) -> list:
    """The lr each rank's optimizer used before every update (both ranks must agree)."""
    config = folder / "fit.yaml"
    config.write_text(LIGHTNING_CONFIG)
    _torchrun([str(ROOT / "tests" / "helpers" / "lightning_ddp.py"), str(config), str(folder / "out.json")], folder)
    ranks = [json.loads((folder / f"out.rank{r}.json").read_text()) for r in (0, 1)]
    if ranks[0] != ranks[1]:
        raise RuntimeError(f"the ranks used different lrs: {ranks}")
    return ranks[0]


def run_hf_torchrun(folder: Path) -> dict:
    """Process 0's ``seen`` (every group's lr before every update), ``max_steps`` and ``logged``."""
    out = folder / "run"
    _torchrun([str(ROOT / "tests" / "helpers" / "hf_distributed.py"), json.dumps(HF_ARGS), str(HF_EXAMPLES),
               str(out)], folder)
    return json.loads((out / "lrplot_result.json").read_text())
