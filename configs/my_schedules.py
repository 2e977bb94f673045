"""Your own scheduler, in a file next to the spec: configs/custom_scheduler.yaml draws it with
    lrplot configs/custom_scheduler.yaml --allow-import configs/my_schedules.py
"""

from torch.optim.lr_scheduler import LRScheduler


class WarmupPoly(LRScheduler):
    """Linear warmup over ``warmup`` updates, then polynomial decay to ``end_lr`` at ``total``."""

    def __init__(self, optimizer, warmup, total, power=1.0, end_lr=0.0, last_epoch=-1):
        self.warmup, self.total, self.power, self.end_lr = warmup, total, power, end_lr
        super().__init__(optimizer, last_epoch)

    def get_lr(self):
        t = self.last_epoch
        if t < self.warmup:
            return [base * (t + 1) / self.warmup for base in self.base_lrs]
        progress = min(1.0, (t - self.warmup) / max(1, self.total - self.warmup))
        return [self.end_lr + (base - self.end_lr) * (1.0 - progress) ** self.power for base in self.base_lrs]
