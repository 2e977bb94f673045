"""TRL's own GRPO/RLOO dataloader (its ``get_train_dataloader`` and ``RepeatSampler``, the real code)
on a REAL transformers Trainer, and the Trainer's own update count and scheduler over it: the
reference the TRL reader's curve must equal. A whole GRPO run needs a generating model and reward
functions (minutes per case on CPU); the count and the schedule need neither."""

from __future__ import annotations

from pathlib import Path


def trl_schedule(config: str, args: dict, prompts: int, out: Path) -> dict:
    """``config`` (``GRPOConfig``...) built from ``args``; the Trainer counts the updates over TRL's
    dataloader of ``prompts`` prompts, builds its scheduler and steps it once per update; returns the
    lr of every param group before every update and the Trainer's max_steps."""
    import torch
    import trl
    from transformers import Trainer

    from tests.helpers.hf_trainer import _Data, _model

    cls = getattr(trl, config)
    targs = cls(output_dir=str(out), report_to="none", save_strategy="no", use_cpu=True, disable_tqdm=True,
                remove_unused_columns=False, seed=0, **args)
    trainer_cls = {"GRPOConfig": trl.GRPOTrainer, "RLOOConfig": trl.RLOOTrainer}.get(config)
    if trainer_cls is None:
        driven = Trainer
    else:
        class driven(Trainer):  # the TRL trainer's dataloader and sampler, its own functions
            get_train_dataloader = trainer_cls.get_train_dataloader
            _get_train_sampler = trainer_cls._get_train_sampler

    trainer = driven(model=_model(), args=targs, train_dataset=_Data(prompts))
    trainer.num_generations, trainer.num_iterations, trainer.shuffle_dataset = (
        getattr(targs, "num_generations", None), getattr(targs, "num_iterations", None), True)
    loader = trainer.get_train_dataloader()
    max_steps = trainer.set_initial_training_values(targs, loader)[-1]
    trainer.create_optimizer_and_scheduler(num_training_steps=max_steps)
    seen = []
    for _ in range(max_steps):
        seen.append([g["lr"] for g in trainer.optimizer.param_groups])
        trainer.optimizer.step()
        trainer.lr_scheduler.step()
    del torch
    return {"seen": seen, "max_steps": max_steps, "len_loader": len(loader)}
