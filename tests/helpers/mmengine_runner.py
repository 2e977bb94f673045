"""A real MMEngine Runner on CPU, recording the values every optimizer update uses: the reference of
the MMEngine reader's tests (what OpenMMLab's tools/visualization/vis_scheduler.py does: a tiny model
and dataset, the config's train_cfg, optim_wrapper, param_scheduler and auto_scale_lr, and a hook that
registers ``register_step_pre_hook`` on the optimizer the runner steps)."""

from __future__ import annotations

import copy
import os
import time

import numpy as np


def _toys(dataset_size: int):
    """(a one-weight model, a dataset of ``dataset_size`` zero inputs): what the Runner trains here."""
    import torch
    from mmengine.model import BaseModel

    class ToyModel(BaseModel):
        def __init__(self):
            super().__init__()
            self.w = torch.nn.Parameter(torch.ones(1))

        def forward(self, inputs, data_samples=None, mode="tensor"):
            return {"loss": (self.w ** 2).sum()}

    class ToyData(torch.utils.data.Dataset):
        def __len__(self):
            return dataset_size

        def __getitem__(self, i):
            return dict(inputs=torch.zeros(1))

    return ToyModel, ToyData


def run_runner(path, dataset_size: int, batch_size: int | None = None, optimizer: dict | None = None
               ) -> dict[str, np.ndarray]:
    """Train with MMEngine's Runner on CPU and return group 0's lr / momentum / weight_decay per update
    (``optimizer``: replaces optim_wrapper.optimizer, for a registry optimizer the venv lacks)."""
    from mmengine.config import Config
    from mmengine.hooks import Hook
    from mmengine.runner import Runner

    ToyModel, ToyData = _toys(dataset_size)

    class Record(Hook):
        rows: list = []

        def before_train(self, runner):
            def pre(optimizer, args, kwargs):
                g = optimizer.param_groups[0]
                self.rows.append((g["lr"], g["betas"][0] if "betas" in g else g["momentum"], g["weight_decay"]))

            runner.optim_wrapper.optimizer.register_step_pre_hook(pre)

    cfg = Config.fromfile(str(path), import_custom_modules=False)  # a project's own modules: not installed here
    if Config._is_lazy_import(str(path)):  # a new-style config: its dataset type is a lazy import (mmpretrain's)
        from mmengine.config.config import ConfigDict

        ConfigDict.lazy = True
        try:
            raw = dict.items(cfg.get("train_dataloader") or {})
            loader = {k: v for k, v in raw if k in ("batch_size", "drop_last")}
        finally:
            ConfigDict.lazy = False
    else:
        loader = copy.deepcopy(dict(cfg.get("train_dataloader") or {}))
    loader.update(dataset=ToyData(), num_workers=0, persistent_workers=False, pin_memory=False)  # CPU
    loader.setdefault("batch_size", batch_size)
    loader.setdefault("sampler", dict(type="DefaultSampler", shuffle=False))
    optim_wrapper = copy.deepcopy(cfg.optim_wrapper)
    if optimizer is not None:
        optim_wrapper["optimizer"] = optimizer
        optim_wrapper.pop("paramwise_cfg", None)
    if "Amp" in str(optim_wrapper.get("type")):  # AmpOptimWrapper needs a GPU; the lr it steps with is the same
        optim_wrapper["type"] = "OptimWrapper"
        for key in ("loss_scale", "dtype"):
            optim_wrapper.pop(key, None)
    # The run is a function of what the Runner is given: two configs that give it the same (mmselfsup's and
    # mmpretrain's copies of one project config) share one run per process instead of training twice.
    key = repr((cfg.train_cfg, optim_wrapper, cfg.param_scheduler, cfg.get("auto_scale_lr"),
                sorted((k, repr(v)) for k, v in loader.items() if k != "dataset"), dataset_size))
    if key not in _RUNS:
        _RUNS[key] = _train(cfg, loader, optim_wrapper, path, Record, ToyModel, Runner)
    return {k: v.copy() for k, v in _RUNS[key].items()}


_RUNS: dict[str, dict[str, np.ndarray]] = {}


def _train(cfg, loader, optim_wrapper, path, Record, ToyModel, Runner) -> dict[str, np.ndarray]:  # noqa: N803
    record = Record()
    record.rows = []
    runner = Runner(model=ToyModel(), work_dir=str(path.parent / "work"), train_dataloader=loader,
                    train_cfg=cfg.train_cfg, optim_wrapper=optim_wrapper, param_scheduler=cfg.param_scheduler,
                    auto_scale_lr=cfg.get("auto_scale_lr"), default_hooks=dict(checkpoint=None, logger=None),
                    custom_hooks=[record], log_level="ERROR", default_scope="mmengine")
    runner.train()
    rows = np.array(record.rows, dtype=np.float64)
    return {"lr": rows[:, 0], "momentum": rows[:, 1], "weight_decay": rows[:, 2]}


def train_logged(path, work_dir, dataset_size: int, *, twice: bool = False) -> list[float]:
    """Train ``path`` with MMEngine's Runner and its LoggerHook (interval 1) + LocalVisBackend in ``work_dir``;
    the lr every update used (``twice``: a second ParamSchedulerHook steps the schedulers twice per iteration)."""
    from mmengine.config import Config
    from mmengine.hooks import Hook, ParamSchedulerHook
    from mmengine.runner import Runner

    ToyModel, ToyData = _toys(dataset_size)

    used: list[float] = []

    class Record(Hook):
        def before_train(self, runner):
            runner.optim_wrapper.optimizer.register_step_pre_hook(
                lambda opt, args, kwargs: used.append(opt.param_groups[0]["lr"]))

    cfg = Config.fromfile(str(path))
    loader = copy.deepcopy(dict(cfg.train_dataloader))
    loader.update(dataset=ToyData(), num_workers=0, persistent_workers=False)
    loader.setdefault("sampler", dict(type="DefaultSampler", shuffle=False))
    hooks = [Record()] + ([ParamSchedulerHook()] if twice else [])
    runner = Runner(model=ToyModel(), work_dir=str(work_dir), train_dataloader=loader, train_cfg=cfg.train_cfg,
                    optim_wrapper=cfg.optim_wrapper, param_scheduler=cfg.param_scheduler,
                    default_hooks=dict(checkpoint=None, logger=dict(type="LoggerHook", interval=1)),
                    custom_hooks=hooks, log_level="INFO", default_scope="mmengine",
                    experiment_name=f"lrplot-{work_dir.name}",  # its own visualizer: MMEngine's are global by name
                    visualizer=dict(type="Visualizer", vis_backends=[dict(type="LocalVisBackend")]))
    runner.train()
    return used


def train_resumable(config, work, used: list, dataset_size: int, *, max_epochs: int | None = None,
                    resume: str | None = None, scheduler_state: bool = True, log_level: str = "WARNING") -> None:
    """One launch of MMEngine's Runner on ``config`` in ``work`` (its LoggerHook every iteration, LocalVisBackend, a
    checkpoint every epoch), appending the lr each update used to ``used``; ``max_epochs`` stops it early, ``resume``
    (a checkpoint) resumes it with the optimizer's state and, unless not ``scheduler_state``, the param schedulers'.
    Each launch gets a ``<timestamp>/`` folder of its own (named to the second: it waits one second after)."""
    from mmengine.config import Config
    from mmengine.hooks import Hook
    from mmengine.runner import Runner

    toy_model, toy_data = _toys(dataset_size)

    class Record(Hook):
        def before_train(self, runner):
            runner.optim_wrapper.optimizer.register_step_pre_hook(
                lambda o, a, k: used.append(o.param_groups[0]["lr"]))

    class Resuming(Runner):
        def load_or_resume(self):  # Runner.resume, with or without the param schedulers' state
            if resume is not None:
                os.environ["TORCH_FORCE_NO_WEIGHTS_ONLY_LOAD"] = "1"  # MMEngine 0.10's checkpoints pickle its objects
                try:
                    self.resume(resume, resume_optimizer=True, resume_param_scheduler=scheduler_state)
                finally:
                    del os.environ["TORCH_FORCE_NO_WEIGHTS_ONLY_LOAD"]

    cfg = Config.fromfile(str(config))
    loader = copy.deepcopy(dict(cfg.train_dataloader))
    loader.update(dataset=toy_data(), num_workers=0, persistent_workers=False,
                  sampler=dict(type="DefaultSampler", shuffle=False))
    train_cfg = dict(cfg.train_cfg, **({"max_epochs": max_epochs} if max_epochs else {}))
    launches = len(list(work.glob("*/"))) if work.exists() else 0
    Resuming(model=toy_model(), work_dir=str(work), train_dataloader=loader, train_cfg=train_cfg,
             optim_wrapper=cfg.optim_wrapper, param_scheduler=cfg.param_scheduler,
             default_hooks=dict(checkpoint=dict(type="CheckpointHook", interval=1),
                                logger=dict(type="LoggerHook", interval=1)),
             custom_hooks=[Record()], log_level=log_level, default_scope="mmengine",
             experiment_name=f"lrplot-{work.name}-{launches}",  # MMEngine's visualizers are global by name
             visualizer=dict(type="Visualizer", vis_backends=[dict(type="LocalVisBackend")])).train()
    time.sleep(1.1)
