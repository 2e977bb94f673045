"""TEST DOUBLE of timm's scheduler API (timm.scheduler.Scheduler and CosineLRScheduler) — not timm.

timm cannot be installed on the CI machine (it imports torchvision, which has no CPU build there), so
lrplot's timm protocol is tested against this double. It reproduces the behaviour of timm's
``timm/scheduler/scheduler.py`` and ``timm/scheduler/cosine_lr.py`` (huggingface/pytorch-image-models,
the version with ``t_in_epochs`` on the base class): the same constructor arguments, the same
``step(epoch, metric)`` / ``step_update(num_updates, metric)`` gating by ``t_in_epochs``, warmup,
cycles (``cycle_mul``, ``cycle_decay``, ``cycle_limit``), k-decay, seeded noise and ``lr_scale``.
Tests that need the real timm are in tests/test_protocols.py and skip when timm does not import.
"""

from __future__ import annotations

import math

import torch


class Scheduler:
    """Double of ``timm.scheduler.Scheduler``: called at the END of each epoch with the next epoch's
    index and at the END of each optimizer update with the update count."""

    def __init__(self, optimizer, param_group_field, t_in_epochs=True, noise_range_t=None,
                 noise_type="normal", noise_pct=0.67, noise_std=1.0, noise_seed=None, initialize=True):
        self.optimizer = optimizer
        self.param_group_field = param_group_field
        self._initial_param_group_field = f"initial_{param_group_field}"
        for i, group in enumerate(optimizer.param_groups):
            if initialize:
                if param_group_field not in group:
                    raise KeyError(f"{param_group_field} missing from param_groups[{i}]")
                group.setdefault(self._initial_param_group_field, group[param_group_field])
            elif self._initial_param_group_field not in group:
                raise KeyError(f"{self._initial_param_group_field} missing from param_groups[{i}]")
        self.base_values = [g[self._initial_param_group_field] for g in optimizer.param_groups]
        self.metric = None
        self.t_in_epochs = t_in_epochs
        self.noise_range_t = noise_range_t
        self.noise_pct = noise_pct
        self.noise_type = noise_type
        self.noise_std = noise_std
        self.noise_seed = 42 if noise_seed is None else noise_seed
        self.update_groups(self.base_values)

    def _get_lr(self, t):
        raise NotImplementedError

    def _get_values(self, t, on_epoch=True):
        if on_epoch != self.t_in_epochs:  # epoch calls act only when t is in epochs, update calls otherwise
            return None
        return self._get_lr(t)

    def step(self, epoch, metric=None):
        self.metric = metric
        values = self._get_values(epoch, on_epoch=True)
        if values is not None:
            self.update_groups(self._add_noise(values, epoch))

    def step_update(self, num_updates, metric=None):
        self.metric = metric
        values = self._get_values(num_updates, on_epoch=False)
        if values is not None:
            self.update_groups(self._add_noise(values, num_updates))

    def update_groups(self, values):
        if not isinstance(values, (list, tuple)):
            values = [values] * len(self.optimizer.param_groups)
        for group, value in zip(self.optimizer.param_groups, values):
            group[self.param_group_field] = value * group["lr_scale"] if "lr_scale" in group else value

    def _add_noise(self, values, t):
        if self._is_apply_noise(t):
            noise = self._calculate_noise(t)
            values = [v + v * noise for v in values]
        return values

    def _is_apply_noise(self, t):
        if self.noise_range_t is None:
            return False
        if isinstance(self.noise_range_t, (list, tuple)):
            return self.noise_range_t[0] <= t < self.noise_range_t[1]
        return t >= self.noise_range_t

    def _calculate_noise(self, t):
        g = torch.Generator()
        g.manual_seed(self.noise_seed + t)
        if self.noise_type == "normal":
            while True:  # resample until inside the percent limit
                noise = torch.randn(1, generator=g).item()
                if abs(noise) < self.noise_pct:
                    return noise
        return 2 * (torch.rand(1, generator=g).item() - 0.5) * self.noise_pct


# lrplot recognises a scheduler by its base class (lrplot.engine.protocols.SCHEDULER_BASES), never by
# its methods; this double stands in for timm's base class, so it carries that class's name.
Scheduler.__module__ = "timm.scheduler.scheduler"


class CosineLRScheduler(Scheduler):
    """Double of ``timm.scheduler.CosineLRScheduler``: cosine with warmup, restarts and k-decay."""

    def __init__(self, optimizer, t_initial, lr_min=0.0, cycle_mul=1.0, cycle_decay=1.0, cycle_limit=1,
                 warmup_t=0, warmup_lr_init=0, warmup_prefix=False, t_in_epochs=True, noise_range_t=None,
                 noise_pct=0.67, noise_std=1.0, noise_seed=42, k_decay=1.0, initialize=True):
        super().__init__(optimizer, param_group_field="lr", t_in_epochs=t_in_epochs,
                         noise_range_t=noise_range_t, noise_pct=noise_pct, noise_std=noise_std,
                         noise_seed=noise_seed, initialize=initialize)
        assert t_initial > 0
        assert lr_min >= 0
        self.t_initial = t_initial
        self.lr_min = lr_min
        self.cycle_mul = cycle_mul
        self.cycle_decay = cycle_decay
        self.cycle_limit = cycle_limit
        self.warmup_t = warmup_t
        self.warmup_lr_init = warmup_lr_init
        self.warmup_prefix = warmup_prefix
        self.k_decay = k_decay
        if warmup_t:
            self.warmup_steps = [(v - warmup_lr_init) / warmup_t for v in self.base_values]
            super().update_groups(warmup_lr_init)
        else:
            self.warmup_steps = [1 for _ in self.base_values]

    def _get_lr(self, t):
        if t < self.warmup_t:
            return [self.warmup_lr_init + t * s for s in self.warmup_steps]
        if self.warmup_prefix:
            t = t - self.warmup_t
        if self.cycle_mul != 1:
            i = math.floor(math.log(1 - t / self.t_initial * (1 - self.cycle_mul), self.cycle_mul))
            t_i = self.cycle_mul ** i * self.t_initial
            t_curr = t - (1 - self.cycle_mul ** i) / (1 - self.cycle_mul) * self.t_initial
        else:
            i = t // self.t_initial
            t_i = self.t_initial
            t_curr = t - (self.t_initial * i)
        if i >= self.cycle_limit:
            return [self.lr_min for _ in self.base_values]
        gamma = self.cycle_decay ** i
        k = self.k_decay
        return [self.lr_min + 0.5 * (v * gamma - self.lr_min) * (1 + math.cos(math.pi * t_curr ** k / t_i ** k))
                for v in self.base_values]
