"""Write the logs of tests/test_logs_hf_old_mlflow.py with the REAL transformers 4.50.3 Trainer (the last release
before PR #36973, which moved the lr read before ``optimizer.step()``), logging to MLflow through its
MLflowCallback (``report_to=["mlflow"]``) and to trainer_state.json, in a copy of the test environment:

    cp -a VENV VENV-old && VENV-old/bin/pip install transformers==4.50.3
    VENV-old/bin/python tests/data/logs/hf-4.50-mlflow/regenerate.py

Measured with transformers 4.50.3, huggingface-hub 0.36.2, tokenizers 0.21.4, mlflow 3.17.2, torch 2.13 (CPU).
Each run: a tiny ``PreTrainedModel`` (its config's ``transformers_version`` becomes a param of the run), AdamW
1e-3, cosine with 3 warmup steps, 20 updates of batches of 4, logging every update, a checkpoint at 20; one
MLflow run each, named after its case, in one sqlite store ``mlflow.db``; ``<case>/checkpoint-20/`` keeps the
same run's ``trainer_state.json`` and ``config.json``:

- ``ok``: as configured;
- ``twice``: the scheduler stepped once more after every update (a callback).

The store keeps, of the params MLflowCallback logs, the ones lrplot reads (``lrplot.logs.mlflowhf.PARAMS``),
and no machine paths. ``used.json``: per case, the lr every optimizer update used, recorded by an optimizer
step pre-hook (``register_step_pre_hook``), independent of the Trainer's logging.
"""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
import sys
import tempfile
from pathlib import Path

import torch

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parents[3]))

import transformers  # noqa: E402
import transformers.utils.import_utils  # noqa: E402

# the datasets installed beside a newer huggingface_hub cannot be imported with this one; the Trainer uses it only
# for datasets.Dataset inputs (a list is passed here), so it is hidden from 4.50.3
transformers.utils.import_utils._datasets_available = False
from transformers import PretrainedConfig, PreTrainedModel, Trainer, TrainerCallback, TrainingArguments  # noqa: E402

from lrplot.logs.mlflowhf import PARAMS  # noqa: E402
from tests.helpers.logruns import _hf_data, _record  # noqa: E402

assert transformers.__version__ == "4.50.3", transformers.__version__


class TinyConfig(PretrainedConfig):
    model_type = "lrplot-tiny"


class Tiny(PreTrainedModel):
    config_class = TinyConfig

    def __init__(self, config):
        super().__init__(config)
        self.lin = torch.nn.Linear(4, 1)

    def forward(self, x, labels=None):
        return {"loss": torch.nn.functional.mse_loss(self.lin(x).squeeze(-1), labels)}


def run(case: str, work: Path) -> list:
    used: list = []

    class Extra(TrainerCallback):
        def on_step_end(self, args, state, control, lr_scheduler=None, **kw):
            lr_scheduler.step()

    class Recording(Trainer):
        def create_optimizer(self, *a, **kw):
            opt = super().create_optimizer(*a, **kw)
            if not getattr(opt, "_lrplot_recorded", False):
                _record(opt, used)
                opt._lrplot_recorded = True
            return opt

    args = TrainingArguments(output_dir=str(work / case), run_name=case, max_steps=20, per_device_train_batch_size=4,
                             learning_rate=1e-3, lr_scheduler_type="cosine", warmup_steps=3, logging_steps=1,
                             report_to=["mlflow"], use_cpu=True, disable_tqdm=True, save_strategy="steps",
                             save_steps=20, seed=0, dataloader_drop_last=True)
    torch.manual_seed(0)
    Recording(model=Tiny(TinyConfig()), args=args, train_dataset=_hf_data(80),
              callbacks=[Extra()] if case == "twice" else []).train()
    out = HERE / case / "checkpoint-20"
    shutil.rmtree(HERE / case, ignore_errors=True)
    out.mkdir(parents=True)
    for name in ("trainer_state.json", "config.json"):
        shutil.copy(work / case / "checkpoint-20" / name, out / name)
    return used


def main() -> None:
    import mlflow

    os.environ.setdefault("WANDB_DISABLED", "true")
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        db = work / "mlflow.db"
        os.environ["MLFLOW_TRACKING_URI"] = f"sqlite:///{db}"
        os.environ["MLFLOW_EXPERIMENT_NAME"] = "lrplot"
        used = {case: run(case, work) for case in ("ok", "twice")}
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
