"""A log folder holding several files of one format: Lightning's CSVLogger ``version_0`` and ``version_1`` (a
resume with ``ckpt_path``), torchtune's ``log_<time>.txt`` of each launch. Each file is read as its own run (as
TensorBoard's run folders are), each verdict names it, and ``--log-run`` reads one. The torchtune logs are
written by torchtune's DiskLogger (tests/data/logs/torchtune-resumed/regenerate.py); the Lightning run is a
real CPU Trainer resumed from its checkpoint. Every value is compared with the lr each update used."""

from __future__ import annotations

import json

import pytest

from lrplot.logs import LogError, load_log, log_info
from lrplot.verify import verify_files
from tests.helpers.installed import require
from tests.helpers.paths import ROOT

DATA = ROOT / "tests" / "data" / "logs" / "torchtune-resumed"
PLAN = ROOT / "tests" / "data" / "logs" / "torchtune" / "plan.yaml"
USED = json.loads((DATA / "used.json").read_text())
FIRST, SECOND = sorted(p.name for p in DATA.glob("log_*.txt"))


def test_every_torchtune_log_of_a_folder_is_a_run():
    traces = load_log(DATA).schedules
    assert [t.name for t in traces] == [FIRST, SECOND]
    assert all(log_info(t).path == str(DATA) for t in traces)
    # logged step s holds the lr update s uses (read after lr_scheduler.step()); the last, an update never run
    assert traces[0].at[(0, "lr")].tolist() == list(range(1, 11))
    assert traces[1].at[(0, "lr")].tolist() == list(range(11, 25))
    assert traces[0].values[(0, "lr")].tolist() + traces[1].values[(0, "lr")].tolist()[:-1] == USED[1:]
    assert [v.text() for v in verify_files(PLAN, DATA).verdicts] == [
        f"{FIRST} · lr: follows the plan (10 of 10 logged steps); the log ends at step 10, the plan at step 23",
        f"{SECOND} · lr: follows the plan (14 of 14 logged steps)"]


def test_log_run_reads_one_log_of_the_folder(cli):
    (trace,) = load_log(DATA, run=SECOND).schedules
    assert trace.at[(0, "lr")].tolist() == list(range(11, 25))
    r = cli("verify", PLAN, "--log", DATA, "--log-run", SECOND)
    assert r.exit_code == 0 and r.stdout == "lr: follows the plan (14 of 14 logged steps)\n"
    with pytest.raises(LogError) as err:
        load_log(DATA, run="latest")
    assert str(err.value) == (
        f"{DATA}: --log-run latest: no such run in this folder (2 torchtune logs: {FIRST}, {SECOND}); name one of them")
    assert load_log(DATA / FIRST, run=FIRST).schedules[0].at[(0, "lr")].tolist() == list(range(1, 11))
    with pytest.raises(LogError) as err:
        load_log(DATA / FIRST, run=SECOND)
    assert str(err.value) == (f"{DATA / FIRST}: --log-run {SECOND}: this torchtune log is one run ({FIRST}); name the "
                              "folder holding the runs, or drop --log-run")


@pytest.mark.slow
@pytest.mark.timeout(300)
def test_a_lightning_run_resumed_from_its_checkpoint_is_two_runs(tmp_path, cli):
    require("lightning")
    import lightning.pytorch as pl
    import torch
    from lightning.pytorch.callbacks import LearningRateMonitor
    from lightning.pytorch.loggers import CSVLogger

    used: list[float] = []

    class Module(pl.LightningModule):
        def __init__(self):
            super().__init__()
            self.lin = torch.nn.Linear(4, 1)

        def training_step(self, batch, i):
            return self.lin(batch[0]).pow(2).mean()

        def configure_optimizers(self):
            opt = torch.optim.SGD(self.parameters(), lr=0.1)
            opt.register_step_pre_hook(lambda o, args, kwargs: used.append(o.param_groups[0]["lr"]))
            sched = torch.optim.lr_scheduler.LinearLR(opt, start_factor=0.1, total_iters=16)
            return {"optimizer": opt, "lr_scheduler": {"scheduler": sched, "interval": "step"}}

    data = torch.utils.data.DataLoader(torch.utils.data.TensorDataset(torch.randn(8, 4)), batch_size=2)

    def fit(max_steps: int, ckpt_path: str | None = None) -> pl.Trainer:
        trainer = pl.Trainer(max_steps=max_steps, accelerator="cpu", devices=1, logger=CSVLogger(str(tmp_path)),
                             callbacks=[LearningRateMonitor()], log_every_n_steps=1, enable_progress_bar=False,
                             enable_model_summary=False)
        trainer.fit(Module(), data, ckpt_path=ckpt_path)
        return trainer

    first = fit(6)
    (ckpt,) = (tmp_path / "lightning_logs" / "version_0" / "checkpoints").glob("*.ckpt")
    fit(16, str(ckpt))
    assert first.global_step == 6 and len(used) == 16
    plan = tmp_path / "plan.yaml"
    plan.write_text("steps: 16\noptimizer: {type: SGD, lr: 0.1}\n"
                    "scheduler: {type: LinearLR, start_factor: 0.1, total_iters: 16}\n")
    traces = load_log(tmp_path).schedules
    assert [t.name for t in traces] == ["lightning_logs/version_0", "lightning_logs/version_1"]
    assert [t.at[(0, "lr")].tolist() for t in traces] == [list(range(6)), list(range(6, 16))]
    assert traces[0].values[(0, "lr")].tolist() + traces[1].values[(0, "lr")].tolist() == used
    r = cli("verify", plan, "--log", tmp_path)
    assert r.exit_code == 0 and r.stdout == (
        "lightning_logs/version_0 · lr-SGD: follows the plan (6 of 6 logged steps); the log ends at step 5, the plan "
        "at step 15\nlightning_logs/version_1 · lr-SGD: follows the plan (10 of 10 logged steps)\n")
    r = cli("verify", plan, "--log", tmp_path, "--log-run", "version_1")
    assert r.exit_code == 0 and r.stdout == "lr-SGD: follows the plan (10 of 10 logged steps)\n"


def test_the_logs_of_a_folder_are_bounded_together(tmp_path, monkeypatch):
    import shutil

    import lrplot.limits

    for name in (FIRST, SECOND):
        shutil.copy(DATA / name, tmp_path / name)
    total = sum((DATA / name).stat().st_size for name in (FIRST, SECOND))
    monkeypatch.setattr(lrplot.limits, "MAX_LOG_BYTES", total - 1)
    with pytest.raises(LogError) as err:
        load_log(tmp_path)
    assert str(err.value) == (f"{tmp_path}: the 2 torchtune logs of this folder are {total / 1e6:.3g} MB together; "
                              f"a log is read with at most {(total - 1) / 1e6:.3g} MB; choose one with --log-run")
    assert len(load_log(tmp_path, run=FIRST).schedules) == 1
