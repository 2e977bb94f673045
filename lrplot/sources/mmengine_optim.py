"""What an MMEngine config's optim_wrapper means for the drawn schedule: the optimizer lrplot builds
(the config's torch class, or a stand-in for a registry optimizer such as LARS or Lamb), the types of
new-style (``read_base()``) configs, which MMEngine keeps as lazy imports, and
``accumulative_counts``: the one scheduler node that steps MMEngine's schedulers on the Runner's
iteration clock and is read at its optimizer updates (:mod:`.mmengine_updates`)."""

from __future__ import annotations

from contextlib import contextmanager
from typing import Any, Iterator

from ..errors import Location, SpecError
from ..facts.frameworks import ACCUMULATED  # the node's type: the fact table's row is keyed by it
from .protocol import Note, budget_number

SCHEDULERS_MODULE = "mmengine.optim.scheduler"  # where MMEngine's own parameter schedulers live
# What a stand-in keeps of a registry optimizer's arguments: the param-group fields schedules set.
_STAND_IN_KEYS = {"SGD": ("lr", "momentum", "weight_decay"), "AdamW": ("lr", "betas", "eps", "weight_decay")}


@contextmanager
def lazy_values() -> Iterator[None]:
    """Read a new-style config's values without importing what they name: MMEngine's ConfigDict
    builds (imports) a lazy import when it is read unless ``ConfigDict.lazy`` is set; the types
    lrplot needs are then named by their dotted path (:func:`plain`) and resolved by name."""
    from mmengine.config.config import ConfigDict

    before = ConfigDict.lazy
    ConfigDict.lazy = True
    try:
        yield
    finally:
        ConfigDict.lazy = before


def plain(value: Any) -> Any:
    """ConfigDict/tuples -> plain dicts and lists (what a spec holds); a lazy import of a new-style
    config (``type=LinearLR`` after ``from mmengine.optim import LinearLR``) -> its dotted path."""
    if isinstance(value, dict):
        return {str(k): plain(v) for k, v in dict.items(value)}
    if isinstance(value, (list, tuple)):
        return [plain(v) for v in value]
    module = type(value).__module__
    if module == "mmengine.config.lazy":
        if type(value).__name__ == "LazyAttr":  # module.attr: an attribute of a lazily imported module
            return f"{value.module}.{value.name}"
        module, imported = getattr(value, "_module", None), getattr(value, "_imported", None)
        if isinstance(module, str) and isinstance(imported, str):  # from module import imported
            return f"{module}.{imported}"
        return str(module)
    if isinstance(value, type):
        return f"{value.__module__}.{value.__qualname__}"
    return value


def optimizer(opt_cfg: dict, where: Location, notes: list[str]) -> dict:
    """The optimizer node of the spec: a torch.optim class by name (``'AdamW'``, or a class or lazy
    import of torch.optim), else a stand-in: MMEngine registries hold optimizers torch lacks (LARS,
    Lamb, apex's FusedAdam, ...); the schedulers set the param group's values whatever the class, so
    lrplot draws them on torch's SGD (AdamW for an Adam-like one), keeping lr, momentum / betas and
    weight decay, and says so."""
    import torch.optim

    opt = dict(opt_cfg)
    name = opt.pop("type")
    if not isinstance(name, str):
        raise SpecError(f"optim_wrapper.optimizer type must be a class name, not {name!r}", location=where)
    short = name.rpartition(".")[2]
    torch_class = getattr(torch.optim, short, None)
    if isinstance(torch_class, type) and issubclass(torch_class, torch.optim.Optimizer) and (
            "." not in name or name.startswith("torch.")):
        return {"type": short, **opt}
    stand_in = "AdamW" if "adam" in short.lower() or "betas" in opt else "SGD"
    kept = {k: v for k, v in opt.items() if k in _STAND_IN_KEYS[stand_in]}
    dropped = sorted(set(opt) - set(kept))
    notes.append(Note(f"optimizer {short} is not a torch.optim class: the schedule is drawn on a stand-in "
                      f"torch.optim.{stand_in} with its {', '.join(sorted(kept)) or 'defaults'}"
                      f"{f' (not {chr(44).join(dropped)})' if dropped else ''}; the schedulers set the param "
                      "group's values whatever the optimizer's class"))
    return {"type": stand_in, **kept}


def accumulative_counts(wrapper: dict, where: Location) -> int:
    value = wrapper.get("accumulative_counts", 1)
    return budget_number(value, "optim_wrapper.accumulative_counts", where, integer=True, positive=True)


def accumulated_node(entries: list[tuple[str, dict, bool]], counts: int, iterations: int,
                     epoch_length: int | None, where: Location) -> dict:
    """The one scheduler node for ``accumulative_counts > 1``: ``entries`` are the config's
    schedulers in its order, each (import path, arguments with ``by_epoch`` and ``end`` filled,
    convert_to_iter_based)."""
    nodes = []
    for i, (kind, args, convert) in enumerate(entries):
        module, _, name = kind.partition(":")
        if module != SCHEDULERS_MODULE or "." in name:
            raise SpecError(f"param_scheduler[{i}] ({name}) is not one of MMEngine's own schedulers, which is all "
                            "lrplot steps on the Runner's iteration clock with accumulative_counts",
                            location=where, hint="write the schedule as an lrplot spec")
        nodes.append({"type": name, **args, **({"convert_to_iter_based": True} if convert else {})})
    node: dict[str, Any] = {"type": ACCUMULATED, "interval": "step", "param_scheduler": nodes,
                            "accumulative_counts": counts, "max_iters": iterations}
    if epoch_length is not None:
        node["epoch_length"] = epoch_length
    return node


def updates(iterations: int, counts: int) -> int:
    """Optimizer updates of ``iterations`` with ``accumulative_counts`` (OptimWrapper.should_update:
    every counts-th iteration and the last one)."""
    return iterations // counts + int(iterations % counts > 0)
