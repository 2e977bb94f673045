"""A Hydra config whose ``trainer:`` is not a Lightning Trainer's: the training script's own loop
(pytorch_project_template's ``trainer: {n_epochs, epoch_len, ...}``, read by its own
``BaseTrainer``). Never read as Lightning's: how many updates the script makes and when it steps
the scheduler are the script's. Drawn when the config says it in updates, with what was assumed
named in a note:

* a scheduler argument interpolates an update count (``total_steps: ${trainer.max_steps}``): a
  script that sizes its scheduler so steps it once per update, for that many updates;
* OneCycleLR sized by ``epochs`` x ``steps_per_epoch`` (torch's definition of its length, in
  batches; stepping it past that raises): stepped once per update for that many updates;
* the user's answers, ``--set <scheduler>.interval=step`` and ``--set trainer.max_steps=N``.

Anything else is refused in one line naming the two keys that would answer it; no dataset size is
asked for (an epoch-stepped reading would need one, and the loop's epochs are its own).
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from ..yamlio import KeyPath, format_path
from . import framework as fw
from .protocol import Note, assumption, budget_number

if TYPE_CHECKING:  # pragma: no cover
    from ..imports import Allowance
    from .protocol import Document, Source

# scheduler arguments that size it in optimizer updates: interpolating one of these names means the
# script steps the scheduler once per update
UPDATE_COUNTS = ("max_steps", "total_steps", "num_steps", "num_training_steps", "training_steps", "train_steps",
                 "max_iters", "max_iter", "total_iters", "num_iters", "max_updates", "num_updates", "total_updates")
ONE_CYCLE = ("torch.optim.lr_scheduler.OneCycleLR", "OneCycleLR")


def _horizon(doc: Document, sched_path: KeyPath) -> tuple[KeyPath, str] | None:
    """A scheduler argument (its own or a nested scheduler's) that interpolates an update count:
    ``total_steps: ${trainer.max_steps}``, and the key it interpolates."""
    raw = doc.data
    for part in sched_path:
        raw = raw[part]
    nodes = [(sched_path, raw)] + [(sched_path + ("schedulers", i), c)
                                   for i, c in enumerate(raw.get("schedulers") or []) if isinstance(c, dict)]
    for path, node in nodes:
        for key, value in node.items():
            match = re.fullmatch(r"\$\{([\w.]+)\}", value.strip()) if isinstance(value, str) else None
            if match and match.group(1).rsplit(".", 1)[-1] in UPDATE_COUNTS:
                return path + (key,), match.group(1)
    return None


def _updates(resolver: Any, path: KeyPath) -> Any:
    return resolver.node(path)


def _count(doc: Document, value: Any, path: KeyPath) -> int:
    return budget_number(value, f"'{format_path(path)}'", doc.source.value(path), integer=True, positive=True)


def read(doc: Document, resolver: Any, optimizer: fw.Target, scheduler: fw.Target, sched_path: KeyPath,
         stepping: dict, foreign: str, allow_import: Allowance, add: str, notes: list[str],
         stepping_keys: tuple[str, ...]) -> Source:
    what = f"'trainer' is not Lightning's Trainer ({foreign})"
    own = f"'trainer' is the script's own loop ({foreign})"  # said last: the figure's footnote shows the start
    key = f"{add}{format_path(sched_path)}.interval"
    interval, frequency = stepping.get("interval"), stepping.get("frequency", 1)
    raw_trainer = doc.data["trainer"]
    sched_raw = scheduler.args
    found = _horizon(doc, sched_path)
    if interval == "step" and frequency == 1 and "max_steps" in raw_trainer:
        path: KeyPath = ("trainer", "max_steps")
        updates = _updates(resolver, path)
        given = any(o.lstrip("+").partition("=")[0].strip() == "trainer.max_steps" for o in doc.overrides)
        text = (f"{updates} updates (trainer.max_steps), the scheduler stepped once per update "
                f"({format_path(sched_path)}.interval 'step')")
        note = Note(f"{text}, as given; {own}") if given else assumption(
            f"{text}; trainer.max_steps is read as the number of updates the script makes; {own}",
            settle=f"{add}trainer.max_steps")
    elif found is not None and interval in (None, "step") and frequency == 1:
        path, source_key = found
        updates = _updates(resolver, path)
        note = assumption(f"the script is assumed to step the scheduler once per update, for {updates} updates, as "
                          f"{format_path(path)}: ${{{source_key}}} sizes it in updates; {own}", settle=key)
    elif (scheduler.name in ONE_CYCLE and interval in (None, "step") and frequency == 1
          and "total_steps" not in sched_raw and {"epochs", "steps_per_epoch"} <= set(sched_raw)):
        path = sched_path + ("epochs",)
        epochs, per_epoch = sched_raw["epochs"], sched_raw["steps_per_epoch"]
        updates = _count(doc, epochs, path) * _count(doc, per_epoch, sched_path + ("steps_per_epoch",))
        note = assumption(f"the script is assumed to step OneCycleLR once per update, for epochs x steps_per_epoch "
                          f"= {epochs} x {per_epoch} = {updates} updates (its length as torch defines it; stepping "
                          f"it further raises); {own}", settle=key)
    else:
        raise fw.error(doc, f"{what}: the script's own loop decides how many updates it makes and when it steps "
                            "the scheduler, which the config does not say", ("trainer",), key=True,
                       hint=f"if the script steps it once per update, add --set {key}=step --set "
                            f"{add}trainer.max_steps=N (the updates it makes); else describe the run as an lrplot "
                            "spec (steps: N, the scheduler and its interval)")
    loop = fw.LoopSettings(None, updates, 1, None, None, False, 1, None,
                           {"max_steps": path, "max_epochs": path, "limit": path}, frozenset())
    return fw.lightning_source("hydra", doc, optimizer, scheduler, loop, "step", 1,
                               {k: sched_path + (k,) for k in stepping_keys}, allow_import, notes + [note])
