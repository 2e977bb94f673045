"""Write the MLflow store of tests/test_logs_hf_mlflow.py with the REAL transformers Trainer and its MLflowCallback
(``report_to=["mlflow"]``):

    python tests/data/logs/hf-mlflow/regenerate.py

Measured with transformers 5.23.0, mlflow 3.17.2, torch 2.13 (CPU). Each run: AdamW 1e-3, cosine with 3 warmup
steps, 20 updates of batches of 4, logging every update, one run each, named after its case, in one sqlite store
``mlflow.db``:

- ``ok``: a tiny ``PreTrainedModel`` (its config's ``transformers_version`` becomes a param of the run);
- ``bare``: a plain ``nn.Module`` (no config: the run does not record the transformers version);
- ``twice``: the tiny PreTrainedModel, the scheduler stepped once more after every update (a callback);
- ``resume``: the tiny PreTrainedModel stopped after update 8 with a checkpoint whose ``scheduler.pt`` is then
  deleted, and resumed (``resume_from_checkpoint``) into the same MLflow run (``MLFLOW_RUN_ID``, as a resumed job
  sets it for MLflowCallback).

The store keeps, of the params MLflowCallback logs (every TrainingArguments field and the model's config), the
ones lrplot reads (``lrplot.logs.mlflowhf.PARAMS``), and no machine paths: the rest is dropped and the
database vacuumed (it was a megabyte). ``used.json``: per case, the lr every optimizer update used, recorded
by an optimizer step pre-hook (``register_step_pre_hook``), independent of the Trainer's logging.
"""

from __future__ import annotations

import json
import os
import sqlite3
import sys
import tempfile
from pathlib import Path

import torch

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parents[3]))

from lrplot.logs.mlflowhf import PARAMS  # noqa: E402
from tests.helpers.logruns import _HFModel, _hf_data, recording_trainer  # noqa: E402


def run(case: str, work: Path) -> list:
    from transformers import PretrainedConfig, PreTrainedModel, TrainerCallback, TrainingArguments

    class TinyConfig(PretrainedConfig):
        model_type = "lrplot-tiny"

    class Tiny(PreTrainedModel):
        config_class = TinyConfig

        def __init__(self, config):
            super().__init__(config)
            self.lin = torch.nn.Linear(4, 1)

        def forward(self, x, labels=None):
            return {"loss": torch.nn.functional.mse_loss(self.lin(x).squeeze(-1), labels)}

    class Extra(TrainerCallback):
        def on_step_end(self, args, state, control, lr_scheduler=None, **kw):
            lr_scheduler.step()

    used: list = []

    Recording = recording_trainer(used)  # the lr each update used, recorded once per optimizer

    class Stop(TrainerCallback):
        def on_step_end(self, args, state, control, **kw):
            if state.global_step >= 8:
                control.should_training_stop = True

    def trainer(stop: bool = False):
        args = TrainingArguments(output_dir=str(work / case), run_name=case, max_steps=20,
                                 per_device_train_batch_size=4, learning_rate=1e-3, lr_scheduler_type="cosine",
                                 warmup_steps=3, logging_steps=1, report_to=["mlflow"], use_cpu=True,
                                 disable_tqdm=True, save_strategy="steps" if stop else "no", save_steps=8, seed=0,
                                 dataloader_drop_last=True)
        torch.manual_seed(0)
        model = _HFModel() if case == "bare" else Tiny(TinyConfig())
        callbacks = [Extra()] if case == "twice" else [Stop()] if stop else []
        return Recording(model=model, args=args, train_dataset=_hf_data(80), callbacks=callbacks)

    if case == "resume":
        import mlflow

        trainer(stop=True).train()
        run_id = mlflow.active_run().info.run_id if mlflow.active_run() else mlflow.last_active_run().info.run_id
        mlflow.end_run()
        (work / case / "checkpoint-8" / "scheduler.pt").unlink()
        os.environ["MLFLOW_RUN_ID"] = run_id  # the relaunch logs into the same run
        trainer().train(resume_from_checkpoint=str(work / case / "checkpoint-8"))
        mlflow.end_run()
        os.environ.pop("MLFLOW_RUN_ID", None)
    else:
        trainer().train()
    return used


def main() -> None:
    import mlflow

    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        db = work / "mlflow.db"
        os.environ["MLFLOW_TRACKING_URI"] = f"sqlite:///{db}"
        os.environ["MLFLOW_EXPERIMENT_NAME"] = "lrplot"
        used = {case: run(case, work) for case in ("ok", "bare", "twice", "resume")}
        mlflow.end_run()
        with sqlite3.connect(db) as con:
            con.execute(f"DELETE FROM params WHERE key NOT IN ({', '.join('?' * len(PARAMS))})", PARAMS)
            con.execute("DELETE FROM tags WHERE key LIKE 'mlflow.source.%' OR key = 'mlflow.user'")
            con.execute("UPDATE runs SET artifact_uri = '.', source_name = ''")
            con.execute("UPDATE experiments SET artifact_location = '.'")
        with sqlite3.connect(db) as con:
            con.execute("VACUUM")
        (HERE / "mlflow.db").write_bytes(db.read_bytes())
    (HERE / "used.json").write_text(json.dumps(used) + "\n")


if __name__ == "__main__":
    main()
