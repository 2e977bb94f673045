"""lrplot verify as a new user meets it: REAL training runs on CPU, healthy and broken the way real code breaks.

- transformers' Trainer (the newest installed) with gradient accumulation 3, ``num_train_epochs`` 3 and a dataset of
  50 (not a multiple of the batch of 4: 13 batches, 5 updates an epoch), the plan its own TrainingArguments read by
  lrplot (``--dataset-size 50``); a run resumed with ``resume_from_checkpoint`` from its mid-run checkpoint
  (``trainer_state.json`` and the TensorBoard run folder of each launch), the same without the checkpoint's
  ``scheduler.pt``, and a callback stepping the scheduler a second time per update;
- Lightning with CSVLogger and LearningRateMonitor at ``logging_interval="epoch"`` (a healthy run, the scheduler's
  ``interval: "epoch"`` for a schedule written in updates, stepped twice per update), and a run resumed with
  ``ckpt_path`` from a checkpoint whose scheduler state was dropped;
- MMEngine's Runner (``vis_data/scalars.json``): schedulers ``by_epoch=True`` for a plan written per iteration,
  a ``resume`` from a mid-run checkpoint, and one with ``resume_param_scheduler=False``.

Truth: every logged value of a healthy run is the lr its update used (an optimizer step pre-hook), at the step
lrplot puts it; each verdict is the whole line, with the exit code (0: the run followed the plan)."""

from __future__ import annotations

import os
import textwrap

import pytest

from lrplot.logs import load_log

pytestmark = [pytest.mark.slow, pytest.mark.filterwarnings("ignore")]

COMPRESSED = ("compressed in time by k=2: the scheduler stepped 2 times per update (once per process on 2 processes, "
              "once per micro-batch with 2 accumulation steps, or an extra scheduler.step())")
STRETCHED = ("stretched in time by k=6: the scheduler stepped once every 6 updates (once per epoch of 6 updates "
             "instead of after every update)")
FROM_LR = ("from the lr it had there: the scheduler was built anew without its state and stepped on from the lr the "
           "optimizer's checkpoint restored (a resume that loaded the optimizer's state but not the scheduler's)")


def logged_are_used(log, used) -> int:
    """Every value each run of ``log`` holds is the lr its update used; how many were checked."""
    n = 0
    for trace in load_log(log).schedules:
        at, values = trace.at[(0, "lr")].tolist(), trace.values[(0, "lr")].tolist()
        assert values == [used[t] for t in at], trace.name
        n += len(values)
    return n


def runs_of(folder):
    return sorted(p.name for p in folder.iterdir() if p.is_dir())


# --- transformers' Trainer ------------------------------------------------------------------------------------

HF_ARGS = """
    learning_rate: 1.0e-3
    lr_scheduler_type: cosine
    warmup_steps: 2
    num_train_epochs: 3
    per_device_train_batch_size: 4
    gradient_accumulation_steps: 3
    logging_steps: 1
"""


def hf_train(out, used, *, twice=False, stop=None, resume=None):
    from transformers import TrainerCallback, TrainingArguments

    from tests.helpers.logruns import _HFModel, _hf_data, recording_trainer

    Recording = recording_trainer(used)

    class Faults(TrainerCallback):
        def on_step_end(self, args, state, control, lr_scheduler=None, **kw):
            if twice:
                lr_scheduler.step()
            if stop is not None and state.global_step >= stop:
                control.should_training_stop = True

    args = TrainingArguments(output_dir=str(out), num_train_epochs=3, per_device_train_batch_size=4,
                             gradient_accumulation_steps=3, learning_rate=1e-3, lr_scheduler_type="cosine",
                             warmup_steps=2, logging_steps=1, report_to=["tensorboard"], use_cpu=True,
                             disable_tqdm=True, save_strategy="steps", save_steps=6, seed=0)
    t = Recording(model=_HFModel(), args=args, train_dataset=_hf_data(50), callbacks=[Faults()])
    t.train(resume_from_checkpoint=resume)
    t.state.save_to_json(str(out / "trainer_state.json"))


@pytest.fixture(scope="module")
def hf(tmp_path_factory):
    pytest.importorskip("transformers")
    pytest.importorskip("tensorboard")
    os.environ.setdefault("WANDB_DISABLED", "true")
    root = tmp_path_factory.mktemp("hf")
    used: dict[str, list] = {name: [] for name in ("ok", "twice", "resume", "nosched")}
    hf_train(root / "ok", used["ok"])
    hf_train(root / "twice", used["twice"], twice=True)
    for name in ("resume", "nosched"):
        hf_train(root / name, used[name], stop=6)
        if name == "nosched":
            (root / name / "checkpoint-6" / "scheduler.pt").unlink()
        hf_train(root / name, used[name], resume=str(root / name / "checkpoint-6"))
    (root / "args.yaml").write_text(textwrap.dedent(HF_ARGS).lstrip())
    return root, {name: [lr for lr, *_ in rows] for name, rows in used.items()}


def test_hf_trainer_accumulating_over_epochs_of_a_ragged_dataset(hf, cli):
    root, used = hf
    assert len(used["ok"]) == 15  # 50 examples / 4 = 13 batches, / 3 = 5 updates an epoch, x 3 epochs
    assert logged_are_used(root / "ok", used["ok"]) == 15
    r = cli("verify", root / "args.yaml", "--dataset-size", "50", "--log", root / "ok")
    assert (r.exit_code, r.stdout) == (0, "learning_rate: follows the plan (15 of 15 logged steps)\n")
    r = cli("verify", root / "args.yaml", "--dataset-size", "50", "--log", root / "ok" / "runs")
    assert (r.exit_code, r.stdout) == (0, "train/learning_rate: follows the plan (15 of 15 logged steps)\n")
    r = cli("verify", root / "args.yaml", "--dataset-size", "50", "--log", root / "twice")
    assert (r.exit_code, r.stdout) == (1, "learning_rate: diverges at step 2: logged 0.001, plan 0.0005 (1 of 15 "
                                          f"logged steps agree); {COMPRESSED}\n")


def test_hf_trainer_resumed_from_a_mid_run_checkpoint(hf, cli):
    root, used = hf
    assert used["resume"] == used["ok"] and logged_are_used(root / "resume", used["resume"]) == 15
    r = cli("verify", root / "args.yaml", "--dataset-size", "50", "--log", root / "resume")
    assert (r.exit_code, r.stdout) == (0, "learning_rate: follows the plan (15 of 15 logged steps)\n")
    first, second = runs_of(root / "resume" / "runs")  # a TensorBoard run folder per launch
    r = cli("verify", root / "args.yaml", "--dataset-size", "50", "--log", root / "resume" / "runs")
    assert (r.exit_code, r.stdout) == (0, f"{first} · train/learning_rate: follows the plan (6 of 6 logged steps); "
                                          "the log ends at step 6, the plan at step 15\n"
                                          f"{second} · train/learning_rate: follows the plan (9 of 9 logged steps)\n")
    # checkpoint-6 without scheduler.pt: the Trainer builds its scheduler anew at update 6 (HF's step 7)
    assert used["nosched"][6:] == used["ok"][:9]
    r = cli("verify", root / "args.yaml", "--dataset-size", "50", "--log", root / "nosched")
    assert (r.exit_code, r.stdout) == (1, "learning_rate: diverges at step 7: logged 0, plan 0.000784032373 (6 of 15 "
                                          "logged steps agree); restarted at update n=6 (the log's step 7): from "
                                          "there the lr starts the plan over (a resume that rebuilt the scheduler "
                                          "without loading its state)\n")


# --- Lightning ------------------------------------------------------------------------------------------------

PL_PLAN = "steps: 24\nsteps_per_epoch: 6\noptimizer: {type: SGD, lr: 0.1}\nscheduler: {type: CosineAnnealingLR, T_max: 24}\n"


def pl_train(out, used, *, monitor="step", interval="step", twice=False, stop=None, ckpt=None, version=0,
             drop_scheduler=False):
    import lightning.pytorch as pl
    import torch
    from lightning.pytorch.callbacks import LearningRateMonitor
    from lightning.pytorch.loggers import CSVLogger

    class Module(pl.LightningModule):
        def __init__(self):
            super().__init__()
            self.a = torch.nn.Linear(4, 1)

        def training_step(self, batch, i):
            return self.a(batch[0]).pow(2).mean()

        def on_train_batch_end(self, *a):
            if twice:  # a second step by hand, beside Lightning's own
                self.lr_schedulers().step()

        def configure_optimizers(self):
            opt = torch.optim.SGD(self.parameters(), lr=0.1)
            opt.register_step_pre_hook(lambda o, a, k: used.append(o.param_groups[0]["lr"]))
            sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=24)
            return {"optimizer": opt, "lr_scheduler": {"scheduler": sched, "interval": interval}}

        def on_load_checkpoint(self, checkpoint):
            if drop_scheduler:  # a checkpoint without the scheduler's state: the optimizer's alone restored
                checkpoint["lr_schedulers"] = []

    data = torch.utils.data.DataLoader(torch.utils.data.TensorDataset(torch.randn(12, 4)), batch_size=2)
    trainer = pl.Trainer(max_steps=stop or 24, accelerator="cpu", devices=1, default_root_dir=str(out),
                         logger=CSVLogger(str(out), name="csv", version=version),
                         callbacks=[LearningRateMonitor(logging_interval=monitor)], log_every_n_steps=1,
                         enable_checkpointing=False, enable_progress_bar=False, enable_model_summary=False)
    trainer.fit(Module(), data, ckpt_path=ckpt)
    if stop:
        trainer.save_checkpoint(str(out / "mid.ckpt"))


@pytest.fixture(scope="module")
def pl_runs(tmp_path_factory):
    pytest.importorskip("lightning")
    root = tmp_path_factory.mktemp("pl")
    used: dict[str, list] = {name: [] for name in ("ok", "epoch", "twice", "nosched")}
    pl_train(root / "ok", used["ok"], monitor="epoch")
    pl_train(root / "epoch", used["epoch"], monitor="epoch", interval="epoch")
    pl_train(root / "twice", used["twice"], monitor="epoch", twice=True)
    pl_train(root / "nosched", used["nosched"], stop=12)
    pl_train(root / "nosched", used["nosched"], ckpt=str(root / "nosched" / "mid.ckpt"), version=1, drop_scheduler=True)
    (root / "plan.yaml").write_text(PL_PLAN)
    return root, used


def test_lightning_monitor_at_each_epoch(pl_runs, cli):
    root, used = pl_runs
    # logging_interval="epoch": at each epoch's start, at the updates done: the lr the epoch's first update uses
    assert logged_are_used(root / "ok", used["ok"]) == 4
    assert load_log(root / "ok").schedules[0].at[(0, "lr")].tolist() == [0, 6, 12, 18]
    r = cli("verify", root / "plan.yaml", "--log", root / "ok")
    assert (r.exit_code, r.stdout) == (0, "lr-SGD: follows the plan (4 of 4 logged steps)\n")
    r = cli("verify", root / "plan.yaml", "--log", root / "epoch")
    assert (r.exit_code, r.stdout) == (1, "lr-SGD: diverges at step 6: logged 0.0995722431, plan 0.0853553391 (1 of 4 "
                                          f"logged steps agree); {STRETCHED}\n")
    r = cli("verify", root / "plan.yaml", "--log", root / "twice")
    assert (r.exit_code, r.stdout) == (1, "lr-SGD: diverges at step 6: logged 0.05, plan 0.0853553391 (1 of 4 logged "
                                          f"steps agree); {COMPRESSED}\n")


def test_lightning_resumed_without_the_schedulers_state(pl_runs, cli):
    root, used = pl_runs
    assert logged_are_used(root / "nosched", used["nosched"]) == 24 and used["nosched"][:12] == used["ok"][:12]
    r = cli("verify", root / "plan.yaml", "--log", root / "nosched")
    assert (r.exit_code, r.stdout) == (1, "csv/version_0 · lr-SGD: follows the plan (12 of 12 logged steps); the log "
                                          "ends at step 11, the plan at step 23\ncsv/version_1 · lr-SGD: diverges at "
                                          "step 13: logged 0.0497861215, plan 0.0434736904 (1 of 12 logged steps "
                                          f"agree); restarted at step n=12 {FROM_LR}\n")


# --- MMEngine's Runner ----------------------------------------------------------------------------------------

MM_PLAN = """
    train_cfg = dict(type='EpochBasedTrainLoop', max_epochs=4)
    train_dataloader = dict(batch_size=4)
    optim_wrapper = dict(optimizer=dict(type='SGD', lr=0.05))
    param_scheduler = [
        dict(type='LinearLR', start_factor=0.25, by_epoch=False, begin=0, end=6),
        dict(type='CosineAnnealingLR', T_max=18, by_epoch=False, begin=6, end=24),
    ]
"""
MM_DATASET = 22  # 6 iterations an epoch at batch 4, the last one partial


def mm_train(config, work, used, **launch):
    from tests.helpers.mmengine_runner import train_resumable

    train_resumable(config, work, used, MM_DATASET, **launch)


@pytest.fixture(scope="module")
def mm_runs(tmp_path_factory):
    pytest.importorskip("mmengine")
    root = tmp_path_factory.mktemp("mm")
    plan = root / "plan.py"
    plan.write_text(textwrap.dedent(MM_PLAN).lstrip())
    per_epoch = root / "per_epoch.py"  # the same schedulers stepped at each epoch's end
    per_epoch.write_text(plan.read_text().replace("by_epoch=False", "by_epoch=True"))
    used: dict[str, list] = {name: [] for name in ("ok", "per_epoch", "resume", "nosched")}
    mm_train(plan, root / "ok", used["ok"])
    mm_train(per_epoch, root / "per_epoch", used["per_epoch"])
    for name in ("resume", "nosched"):
        mm_train(plan, root / name, used[name], max_epochs=2)
        mm_train(plan, root / name, used[name], resume=str(root / name / "epoch_2.pth"),
                 scheduler_state=name == "resume")
    return root, used


def mm_verify(cli, root, log):
    return cli("verify", root / "plan.py", "--dataset-size", str(MM_DATASET), "--allow-import", "mmengine",
               "--log", log)


def test_mmengine_stepped_per_epoch_and_resumed(mm_runs, cli):
    root, used = mm_runs
    r = mm_verify(cli, root, root / "ok")
    assert (r.exit_code, r.stdout) == (0, "lr: follows the plan (24 of 24 logged steps)\n")
    assert logged_are_used(root / "per_epoch", used["per_epoch"]) == 24
    r = mm_verify(cli, root, root / "per_epoch")
    assert (r.exit_code, r.stdout) == (1, "lr: diverges at step 2: logged 0.0125, plan 0.02 (1 of 24 logged steps "
                                          f"agree); {STRETCHED}\n")
    assert used["resume"] == used["ok"] and logged_are_used(root / "resume", used["resume"]) == 24
    first, second = runs_of(root / "resume")  # a <timestamp>/ folder per launch
    r = mm_verify(cli, root, root / "resume")
    assert (r.exit_code, r.stdout) == (0, f"{first} · lr: follows the plan (12 of 12 logged steps); the log ends at "
                                          f"step 12, the plan at step 24\n{second} · lr: follows the plan (12 of 12 "
                                          "logged steps)\n")
    assert logged_are_used(root / "nosched", used["nosched"]) == 24
    first, second = runs_of(root / "nosched")
    r = mm_verify(cli, root, root / "nosched")
    assert (r.exit_code, r.stdout) == (1, f"{first} · lr: follows the plan (12 of 12 logged steps); the log ends at "
                                          f"step 12, the plan at step 24\n{second} · lr: diverges at step 14: logged "
                                          "0.06, plan 0.0335505036 (1 of 12 logged steps agree); restarted at "
                                          f"update n=12 (the log's step 13) {FROM_LR}\n")
