"""Write broken MMEngine runs for tests/test_logs_mmengine_faults.py with the REAL MMEngine Runner (0.10.7, CPU):

    python tests/data/logs/mmengine-faults/regenerate.py

``config.py``: 4 epochs of a 22-example dataset at batch 4 (6 iterations an epoch, the last one partial), SGD,
LinearLR then CosineAnnealingLR written per iteration (``by_epoch=False``): 24 updates. The Runner is the one of
tests/test_verify_real_runs.py (its LoggerHook every iteration, LocalVisBackend, a checkpoint every epoch, an
optimizer step pre-hook recording the lr each update used into ``used.json``).

- ``epoch/``: the same schedulers with ``by_epoch=True`` (stepped at each epoch's end, not each iteration);
- ``resume/``: stopped after epoch 2 (12 updates), then a second launch ``Runner.resume(checkpoint,
  resume_optimizer=True, resume_param_scheduler=False)``: the optimizer's state restored, the param schedulers
  built anew (a ``<timestamp>/`` folder per launch).

Each launch keeps ``vis_data/scalars.json`` and the text log's ``(train)`` lines (the lines lrplot reads: the
log's header is the machine's environment), under a fixed timestamp folder name per launch.
"""

from __future__ import annotations

import json
import shutil
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parents[3]))
DATASET = 22


def train(config: Path, work: Path, used: list, **launch) -> None:
    """One launch of the Runner of tests/test_verify_real_runs.py (INFO: its text log keeps the (train) lines)."""
    from tests.helpers.mmengine_runner import train_resumable

    train_resumable(config, work, used, DATASET, log_level="INFO", **launch)


def keep(run: Path, out: Path) -> None:
    """A launch's ``scalars.json`` and ``(train)`` log lines, under ``out`` (a fixed timestamp name)."""
    (out / "vis_data").mkdir(parents=True)
    shutil.copy(run / "vis_data" / "scalars.json", out / "vis_data" / "scalars.json")
    lines = (run / f"{run.name}.log").read_text().splitlines(keepends=True)
    (out / f"{out.name}.log").write_text("".join(line for line in lines if "(train)" in line))


def main() -> None:
    config = HERE / "config.py"
    with tempfile.TemporaryDirectory() as tmp:
        per_epoch = Path(tmp) / "per_epoch.py"
        per_epoch.write_text(config.read_text().replace("by_epoch=False", "by_epoch=True"))
        used: list = []
        train(per_epoch, Path(tmp) / "epoch", used)
        shutil.rmtree(HERE / "epoch", ignore_errors=True)
        (run,) = [p for p in (Path(tmp) / "epoch").iterdir() if p.is_dir()]
        keep(run, HERE / "epoch" / "20261207_000000")
        (HERE / "epoch" / "used.json").write_text(json.dumps(used) + "\n")

        used = []
        work = Path(tmp) / "resume"
        train(config, work, used, max_epochs=2)
        train(config, work, used, resume=str(work / "epoch_2.pth"), scheduler_state=False)
        shutil.rmtree(HERE / "resume", ignore_errors=True)
        first, second = sorted(p for p in work.iterdir() if p.is_dir())
        keep(first, HERE / "resume" / "20261207_000000")
        keep(second, HERE / "resume" / "20261207_000001")
        (HERE / "resume" / "used.json").write_text(json.dumps(used) + "\n")


if __name__ == "__main__":
    main()
