"""A REAL transformers Trainer run on CPU (a two-parameter model, a tiny dataset) that records the lr of
every param group before every update; run in-process by the HF tests and under torchrun by
hf_distributed.py."""

from __future__ import annotations

import json
from pathlib import Path


class _Data:
    def __init__(self, n: int):
        import torch

        g = torch.Generator().manual_seed(0)
        self.x = torch.randn(n, 2, generator=g)
        self.y = torch.randn(n, 1, generator=g)

    def __len__(self) -> int:
        return len(self.x)

    def __getitem__(self, i: int) -> dict:
        return {"x": self.x[i], "labels": self.y[i]}


def _model():
    import torch

    class Tiny(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.linear = torch.nn.Linear(2, 1)

        def forward(self, x, labels=None):
            return {"loss": torch.nn.functional.mse_loss(self.linear(x), labels)}

    return Tiny()


def run_trainer(args: dict, n: int, out: Path, create_scheduler=None) -> dict:
    """Train for real; return the lr of every group before every update, the Trainer's logged
    learning rates (from trainer_state.json) and its param groups. ``create_scheduler(optimizer,
    num_training_steps)``: the scheduler a Trainer subclass builds in its ``create_scheduler``
    override (axolotl's SchedulerMixin), else the Trainer's own."""
    import torch
    from transformers import Trainer, TrainerCallback, TrainingArguments

    torch.manual_seed(0)
    seen: list[list[float]] = []

    class Record(TrainerCallback):
        def on_train_begin(self, args, state, control, optimizer=None, **kwargs):
            inner = getattr(optimizer, "optimizer", optimizer)  # accelerate's wrapper -> the torch optimizer
            inner.register_step_pre_hook(lambda opt, a, k: seen.append([g["lr"] for g in opt.param_groups]))

    targs = TrainingArguments(output_dir=str(out), logging_steps=1, report_to="none", save_strategy="no",
                              use_cpu=True, disable_tqdm=True, remove_unused_columns=False, seed=0,
                              dataloader_num_workers=0, **args)
    class Own(Trainer):
        def create_scheduler(self, num_training_steps, optimizer=None):
            if self.lr_scheduler is None:
                self.lr_scheduler = create_scheduler(optimizer or self.optimizer, num_training_steps)
            return self.lr_scheduler

    kind = Trainer if create_scheduler is None else Own
    trainer = kind(model=_model(), args=targs, train_dataset=_Data(n), callbacks=[Record()])
    trainer.train()
    trainer.save_state()  # trainer_state.json, written by the main process only
    groups = [{"weight_decay": g["weight_decay"], "size": sum(p.numel() for p in g["params"])}
              for g in trainer.optimizer.param_groups]
    result = {"seen": seen, "max_steps": trainer.state.max_steps, "groups": groups}
    if trainer.is_world_process_zero():
        state = json.loads((out / "trainer_state.json").read_text())
        result["logged"] = {e["step"]: e["learning_rate"] for e in state["log_history"] if "learning_rate" in e}
        assert state["max_steps"] == trainer.state.max_steps
    return result
