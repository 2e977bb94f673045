"""A pytorch-accelerated scheduler for any param-group field: configs/accelerated_weight_decay.yaml
ramps weight decay with it (as DINO does). Draw it with
    lrplot configs/accelerated_weight_decay.yaml --allow-import configs/accelerated_schedules.py
"""

import math

from pytorch_accelerated.schedulers import StatefulSchedulerBase


class CosineRamp(StatefulSchedulerBase):
    """Cosine from the param group's value to ``end`` over ``total_updates``; then held at ``end``."""

    def __init__(self, optimizer, end, total_updates, param_group_field="weight_decay"):
        super().__init__(optimizer, param_group_field=param_group_field)
        self.end, self.total_updates = end, total_updates

    def get_updated_values(self, num_updates):
        progress = min(1.0, num_updates / self.total_updates)
        return [self.end + (start - self.end) * 0.5 * (1 + math.cos(math.pi * progress))
                for start in self.base_lr_values]

    def state_dict(self):
        return {"end": self.end, "total_updates": self.total_updates, "num_updates": self._num_updates}

    def load_state_dict(self, state):
        self.end, self.total_updates, self._num_updates = state["end"], state["total_updates"], state["num_updates"]
