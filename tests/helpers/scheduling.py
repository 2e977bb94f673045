"""Which worker runs which test module under ``-n 2 --dist loadscope`` (see tests/conftest.py).

Importing a training framework costs each worker seconds of CPU (Megatron, Lightning, NeMo,
torchtitan, MMEngine, transformers/TRL, DeepSpeed, ...), and a worker pays it once however many
modules use the framework. pytest-xdist's loadscope hands out whole modules in the suite's order
(longest first), so two workers each imported most frameworks. :class:`FrameworkScheduling` keeps
modules as the units of work and the order, but when a worker asks for work it is given the first
module whose frameworks it has already imported, else the first whose frameworks no other worker
has imported yet, and a module of another worker's frameworks only when nothing else is left (then
it keeps the worker busy: an idle worker costs more wall time than an import costs CPU).

A module's frameworks are the names of :data:`FRAMEWORKS` its source mentions :data:`MENTIONS`
times or more (a test of a framework names it in imports, data folders and expected lines); a
module added later is placed by the same rule, and a wrong guess costs time, never a result.
"""

from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path

# Top-level import names whose import costs a worker a second or more (measured with -X importtime).
# A package that imports another (TRL imports transformers) is listed with what it imports.
FRAMEWORKS = {
    "megatron": ("megatron",), "nemo": ("nemo", "lightning", "megatron"), "lightning": ("lightning",),
    "pytorch_lightning": ("lightning",), "litgpt": ("litgpt", "lightning"), "torchtitan": ("torchtitan",),
    "mmengine": ("mmengine",), "transformers": ("transformers",), "trl": ("trl", "transformers"),
    "axolotl": ("axolotl", "transformers", "trl"), "llamafactory": ("llamafactory", "transformers", "trl"),
    "deepspeed": ("deepspeed",), "composer": ("composer",), "torchtune": ("torchtune",),
    "accelerate": ("accelerate",), "ignite": ("ignite",), "wandb": ("wandb",), "mlflow": ("mlflow",),
}
MENTIONS = 3
_WORD = re.compile(r"\b(" + "|".join(FRAMEWORKS) + r")\b")


@lru_cache(maxsize=None)
def frameworks_of(module: str, root: str) -> frozenset:
    """The frameworks the test module ``module`` (a node id's file part, relative to ``root``) imports."""
    try:
        text = (Path(root) / module).read_text(encoding="utf-8")
    except OSError:
        return frozenset()
    counts: dict[str, int] = {}
    for match in _WORD.finditer(text):
        counts[match.group(1)] = counts.get(match.group(1), 0) + 1
    return frozenset(fw for name, n in counts.items() if n >= MENTIONS for fw in FRAMEWORKS[name])


def pick(scopes, mine: set, others: set, frameworks) -> str:
    """The scope (module) a worker that imported ``mine`` runs next, the other workers having imported
    ``others``: the first in the suite's order of those scoring most (``frameworks(scope)`` already
    imported by this worker count +1 each, those imported by another worker only -1 each)."""
    def score(scope: str) -> int:
        fws = frameworks(scope)
        return len(fws & mine) - len((fws - mine) & others)

    return max(scopes, key=score)  # max keeps the first of equals


def make_scheduler(config, log):
    """A :class:`FrameworkScheduling` for ``--dist loadscope``; None for any other distribution."""
    if config.getvalue("dist") != "loadscope":
        return None
    from xdist.scheduler import LoadScopeScheduling

    class FrameworkScheduling(LoadScopeScheduling):
        def __init__(self, config, log=None):
            super().__init__(config, log)
            self.imported: dict = {}  # node -> the frameworks its modules imported
            self.root = str(config.rootpath)

        def _assign_work_unit(self, node) -> None:
            mine = self.imported.setdefault(node, set())
            others = set().union(*(fws for n, fws in self.imported.items() if n is not node))
            best = pick(self.workqueue, mine, others, lambda scope: frameworks_of(scope.split("::")[0], self.root))
            mine.update(frameworks_of(best.split("::")[0], self.root))
            self.workqueue.move_to_end(best, last=False)
            super()._assign_work_unit(node)

    return FrameworkScheduling(config, log)
