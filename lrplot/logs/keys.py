"""Which tags and columns of a log hold a learning rate (or its momentum), and of which param group.

The names the writers use (Lightning's ``lr-AdamW/pg1``, a plain ``lr`` or ``train/learning_rate``, Keras's
``epoch_learning_rate``, Megatron's ``learning-rate``, torchtitan's ``lr/AdamW``, pytorch-ignite's ``lr/group_0``,
a loop's ``lr/0`` or ``lr/head``); where each writer's step and lr are read is the table of :mod:`.conventions`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_LIGHTNING = re.compile(r"^(?P<base>lr-[^/]+?)(?:/(?P<group>.+?))?(?P<momentum>-momentum)?$")
# Lightning's self.log(..., on_step=True, on_epoch=True) writes <name>_step (each update's) and <name>_epoch
# (the epoch's mean, no update's lr: not read)
_PLAIN = re.compile(r"^(?:.*/)?(?:lr|learning_rate|learning-rate|learningrate|epoch_learning_rate|"
                    r"learning-rate vs samples)(?:_step)?$", re.I)
_PER_OPTIMIZER = re.compile(r"^(?P<base>lr/[A-Z][^/]*)(?:/(?P<group>\d+))?$")  # torchtitan: lr/AdamW, lr/AdamW/1
_NAMED_GROUP = re.compile(r"^(?P<base>lr)/(?P<group>[^/]+)$")  # a loop's lr/{group['name']}: lr/head, lr/body
# a loop's lr/0, lr_pg1; pytorch-ignite's lr/group_0 (MLflowLogger: "lr group_0")
_PLAIN_GROUP = re.compile(r"^(?P<base>(?:.*/)?(?:lr|learning_rate))[/_ ](?:pg|group|param_group)?_?(?P<group>\d+)$",
                          re.I)


@dataclass(frozen=True)
class KeyMeaning:
    base: str          # the series a key belongs to (one trace): 'lr-AdamW', 'train/learning_rate'
    group: str | None  # 'pg1', 'head', '0'; None: the only group
    field: str         # lr | momentum


def classify(key: str, forced: str | None = None) -> KeyMeaning | None:
    """What a tag or column holds, or None when it is not a learning rate (or its momentum).
    ``forced`` (``--log-key``): only that key, or its per-group keys ``KEY/...``."""
    if forced is not None:
        if key == forced:
            return KeyMeaning(forced, None, "lr")
        if key.startswith(forced + "/"):
            return KeyMeaning(forced, key[len(forced) + 1:], "lr")
        return None
    m = _LIGHTNING.match(key)
    if m:
        return KeyMeaning(m["base"], m["group"], "momentum" if m["momentum"] else "lr")
    if _PLAIN.match(key):
        return KeyMeaning(key, None, "lr")
    m = _PLAIN_GROUP.match(key)
    if m:
        return KeyMeaning(m["base"], m["group"], "lr")
    m = _PER_OPTIMIZER.match(key) or _NAMED_GROUP.match(key)
    if m:
        return KeyMeaning(m["base"], m["group"], "lr")
    return None


def group_order(label: str | None) -> tuple:
    if label is None:
        return (0, 0, "")
    m = re.fullmatch(r"(?:pg|group|param_group)?_?(\d+)", label)
    return (1, int(m[1]), "") if m else (2, 0, label)  # named: ordered by appearance by the caller
