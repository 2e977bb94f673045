"""Write the trainer_state.json files of tests/test_logs_hf_old.py with the REAL transformers 4.50.3
Trainer (the last release before PR #36973, which moved the lr read before ``optimizer.step()``):

    pip install --target /some/dir --no-deps transformers==4.50.3 huggingface-hub==0.30.2 tokenizers==0.21.1
    PYTHONPATH=/some/dir:. python tests/data/logs/hf-4.50/regenerate.py

(torch 2.13, accelerate 1.15 as installed with lrplot's test extra). A tiny ``PreTrainedModel`` (so that
the checkpoint holds a ``config.json`` with ``transformers_version``), AdamW 1e-3, cosine with 3 warmup
steps, 20 updates, logging every update, a checkpoint at 20: ``ok/checkpoint-20/`` keeps its
``trainer_state.json`` and ``config.json``; ``twice/`` the same with the scheduler stepped twice per
update (a callback). ``used.json``: the lr every optimizer update used, recorded by an optimizer step
pre-hook (``register_step_pre_hook``), independent of the Trainer's logging.
"""

from __future__ import annotations

import json
import os
import shutil
import sys
import tempfile
from pathlib import Path

import torch

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parents[3]))

import transformers  # noqa: E402
import transformers.utils.import_utils  # noqa: E402

# the datasets installed beside a newer huggingface_hub cannot be imported with hub 0.30; the Trainer
# uses it only for datasets.Dataset inputs (a list is passed here), so it is hidden from 4.50.3
transformers.utils.import_utils._datasets_available = False
from transformers import PretrainedConfig, PreTrainedModel, Trainer, TrainerCallback, TrainingArguments  # noqa: E402

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


def run(case: str, twice: bool) -> None:
    used: list[list[float]] = []

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

    with tempfile.TemporaryDirectory() as tmp:
        args = TrainingArguments(output_dir=tmp, max_steps=20, per_device_train_batch_size=4, learning_rate=1e-3,
                                 lr_scheduler_type="cosine", warmup_steps=3, logging_steps=1, report_to=[],
                                 use_cpu=True, disable_tqdm=True, save_strategy="steps", save_steps=20, seed=0,
                                 dataloader_drop_last=True)
        torch.manual_seed(0)
        trainer = Recording(model=Tiny(TinyConfig()), args=args, train_dataset=_hf_data(80),
                            callbacks=[Extra()] if twice else [])
        trainer.train()
        out = HERE / case
        shutil.rmtree(out, ignore_errors=True)
        (out / "checkpoint-20").mkdir(parents=True)
        for name in ("trainer_state.json", "config.json"):
            shutil.copy(Path(tmp) / "checkpoint-20" / name, out / "checkpoint-20" / name)
    (out / "used.json").write_text(json.dumps(used) + "\n")


if __name__ == "__main__":
    os.environ.setdefault("WANDB_DISABLED", "true")
    run("ok", twice=False)
    run("twice", twice=True)
