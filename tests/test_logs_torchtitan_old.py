"""torchtitan 0.2.2's TensorBoard log: its lr under the plain tag ``lr``, beside every metric of its
MetricsProcessor, at the 1-based step (torchtitan 0.2.2 train.py:672 ``self.step += 1`` before ``train_step``;
:552 ``lr = self.lr_schedulers.schedulers[0].get_last_lr()[0]`` before ``optimizers.step()`` :600 and
``lr_schedulers.step()`` :601; :638-647 ``metrics_processor.log(self.step, ..., extra_metrics={"n_tokens_seen",
"lr"})``; components/metrics.py:425-457 the metrics dict, :125-128 ``TensorBoardLogger.log``: ``add_scalar(tag, v,
step)``). torchtitan 0.2.2 does not import here (triton), so the loop below makes those calls with the real
``torch.utils.tensorboard.SummaryWriter``. Read as a plain loop's ``lr`` (step s = update s) a healthy run was
"shifted by n=-1"; its ``loss_metrics/global_avg_loss`` tag names the writer. Truth: the lr each update used
(an optimizer step pre-hook), float32 as TensorBoard stores it; verdicts as whole lines."""

from __future__ import annotations

from contextlib import contextmanager

import numpy as np
import pytest

from lrplot.logs import load_log, log_info
from lrplot.verify import verify_files

pytest.importorskip("tensorboard")
PLAN = "steps: 20\noptimizer: {type: SGD, lr: 0.1}\nscheduler: {type: CosineAnnealingLR, T_max: 20}\n"


def write(folder, fault: str = "ok", *, titan: bool = True, logger: str = "tensorboard") -> list[float]:
    """torchtitan's loop, its metrics written by its TensorBoardLogger (``add_scalar(tag, v, step)``) or its
    WandBLogger (components/metrics.py:163-168: ``wandb.log(metrics, step=step)``) with the real library."""
    import torch

    model = torch.nn.Linear(2, 1)
    opt = torch.optim.SGD(model.parameters(), lr=0.1)

    def scheduler():  # built anew without its state (a resume that did not load it): from the base lr
        for group in opt.param_groups:
            group["lr"] = 0.1
            group.pop("initial_lr", None)
        return torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=20)

    sched = scheduler()
    used: list[float] = []
    opt.register_step_pre_hook(lambda o, a, k: used.append(o.param_groups[0]["lr"]))
    with _logger(folder, logger) as log:
        step = 0
        while step < 20:
            step += 1                                   # train.py:672
            if fault == "resume" and step == 13:
                sched = scheduler()
            lr = sched.get_last_lr()[0]                 # train.py:552
            loss = model(torch.ones(1, 2)).sum()
            loss.backward()
            opt.step()                                  # :600
            for _ in range(2 if fault == "twice" else 1):
                sched.step()                            # :601
            metrics = {"loss_metrics/global_avg_loss": loss.item(), "loss_metrics/global_max_loss": loss.item(),
                       "grad_norm": 1.0, "n_tokens_seen": 8 * step, "lr": lr}
            log(metrics if titan else {"lr": lr}, step)
    return used


@contextmanager
def _logger(folder, kind: str):
    if kind == "wandb":
        import wandb

        run = wandb.init(project="torchtitan", dir=str(folder), mode="offline", id=f"titan-{folder.parent.name}")
        yield lambda metrics, step: run.log(metrics, step=step)  # components/metrics.py:168
        run.finish()
        wandb.teardown()  # the service gone: every record written (finish alone returned before, at times)
        return
    from torch.utils.tensorboard import SummaryWriter

    with SummaryWriter(str(folder), max_queue=1000) as writer:
        def log(metrics, step):
            for tag, value in metrics.items():
                writer.add_scalar(tag, value, step)  # components/metrics.py:125-128
        yield log


VERDICTS = {
    "ok": "lr: follows the plan (20 of 20 logged steps)",
    "twice": "lr: diverges at step 2: logged 0.0975528285, plan 0.099384417 (1 of 20 logged steps agree); compressed "
             "in time by k=2: the scheduler stepped 2 times per update (once per process on 2 processes, once per "
             "micro-batch with 2 accumulation steps, or an extra scheduler.step())",
    # the restart named in updates and in the log's own 1-based step, as the divergence before it is
    "resume": "lr: diverges at step 13: logged 0.100000001, plan 0.0345491503 (12 of 20 logged steps agree); restarted "
              "at update n=12 (the log's step 13): from there the lr starts the plan over (a resume that rebuilt "
              "the scheduler without loading its state)",
}


@pytest.mark.slow  # torch's SummaryWriter
@pytest.mark.parametrize("fault", list(VERDICTS))
def test_torchtitans_plain_lr_tag_is_read_at_its_1_based_step(tmp_path, fault):
    used = np.float32(write(tmp_path / "run", fault)).astype(np.float64).tolist()
    (trace,) = load_log(tmp_path / "run").schedules
    assert log_info(trace).writer.startswith("torchtitan 0.2.2")
    assert trace.at[(0, "lr")].tolist() == list(range(20)) and trace.values[(0, "lr")].tolist() == used
    (tmp_path / "plan.yaml").write_text(PLAN)
    (v,) = verify_files(tmp_path / "plan.yaml", tmp_path / "run").verdicts
    assert v.text() == VERDICTS[fault]


@pytest.mark.slow  # torch's SummaryWriter
def test_a_plain_loops_lr_tag_alone_is_still_read_at_its_own_step(tmp_path):
    write(tmp_path / "run", titan=False)
    (trace,) = load_log(tmp_path / "run").schedules
    assert (log_info(trace).step_offset, trace.at[(0, "lr")].tolist()) == (0, list(range(1, 21)))


@pytest.mark.slow  # a real wandb offline run
@pytest.mark.parametrize("fault", ["ok", "twice", "resume"])
def test_torchtitans_wandb_lr_key_is_read_at_its_1_based_step(tmp_path, fault):
    """The same run through torchtitan 0.2.2's WandBLogger: ``_step`` is torchtitan's 1-based step, so a healthy
    run read as a loop logging once per update at wandb's own step was "shifted by n=-1" (exit 1)."""
    pytest.importorskip("wandb")
    used = write(tmp_path / "run", fault, logger="wandb")
    (trace,) = load_log(tmp_path / "run").schedules
    assert log_info(trace).writer.startswith("torchtitan 0.2.2")
    assert trace.at[(0, "lr")].tolist() == list(range(20)) and trace.values[(0, "lr")].tolist() == used
    (tmp_path / "plan.yaml").write_text(PLAN)
    (v,) = verify_files(tmp_path / "plan.yaml", tmp_path / "run").verdicts
    assert v.text() == VERDICTS[fault].replace("logged 0.100000001", "logged 0.1").replace(
        "logged 0.0975528285", "logged 0.0975528258")  # float64 here
