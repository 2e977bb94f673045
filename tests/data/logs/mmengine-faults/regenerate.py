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

import copy
import json
import os
import shutil
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parents[3]))
DATASET = 22


def train(config: Path, work: Path, used: list, *, max_epochs: int | None = None, resume: str | None = None,
          name: str = "run") -> None:
    from mmengine.config import Config
    from mmengine.hooks import Hook
    from mmengine.runner import Runner

    from tests.helpers.mmengine_runner import _toys

    toy_model, toy_data = _toys(DATASET)

    class Record(Hook):
        def before_train(self, runner):
            runner.optim_wrapper.optimizer.register_step_pre_hook(
                lambda o, a, k: used.append(o.param_groups[0]["lr"]))

    class Resuming(Runner):
        def load_or_resume(self):  # Runner.resume without the param schedulers' state
            if resume is not None:
                os.environ["TORCH_FORCE_NO_WEIGHTS_ONLY_LOAD"] = "1"  # MMEngine 0.10's checkpoints pickle its objects
                try:
                    self.resume(resume, resume_optimizer=True, resume_param_scheduler=False)
                finally:
                    del os.environ["TORCH_FORCE_NO_WEIGHTS_ONLY_LOAD"]

    cfg = Config.fromfile(str(config))
    loader = copy.deepcopy(dict(cfg.train_dataloader))
    loader.update(dataset=toy_data(), num_workers=0, persistent_workers=False,
                  sampler=dict(type="DefaultSampler", shuffle=False))
    train_cfg = dict(cfg.train_cfg, **({"max_epochs": max_epochs} if max_epochs else {}))
    Resuming(model=toy_model(), work_dir=str(work), train_dataloader=loader, train_cfg=train_cfg,
             optim_wrapper=cfg.optim_wrapper, param_scheduler=cfg.param_scheduler,
             default_hooks=dict(checkpoint=dict(type="CheckpointHook", interval=1),
                                logger=dict(type="LoggerHook", interval=1)),
             custom_hooks=[Record()], log_level="INFO", default_scope="mmengine",
             experiment_name=f"lrplot-{name}",  # MMEngine's visualizers are global by name
             visualizer=dict(type="Visualizer", vis_backends=[dict(type="LocalVisBackend")])).train()


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
        train(per_epoch, Path(tmp) / "epoch", used, name="epoch")
        shutil.rmtree(HERE / "epoch", ignore_errors=True)
        (run,) = [p for p in (Path(tmp) / "epoch").iterdir() if p.is_dir()]
        keep(run, HERE / "epoch" / "20261207_000000")
        (HERE / "epoch" / "used.json").write_text(json.dumps(used) + "\n")

        used = []
        work = Path(tmp) / "resume"
        train(config, work, used, max_epochs=2, name="resume-0")
        import time

        time.sleep(1.1)  # the next launch gets a <timestamp>/ folder of its own (named to the second)
        train(config, work, used, resume=str(work / "epoch_2.pth"), name="resume-1")
        shutil.rmtree(HERE / "resume", ignore_errors=True)
        first, second = sorted(p for p in work.iterdir() if p.is_dir())
        keep(first, HERE / "resume" / "20261207_000000")
        keep(second, HERE / "resume" / "20261207_000001")
        (HERE / "resume" / "used.json").write_text(json.dumps(used) + "\n")


if __name__ == "__main__":
    main()
