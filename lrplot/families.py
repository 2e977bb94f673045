"""What a scheduler is: torch's own scheduler classes, and the base classes of every scheduler family
lrplot drives, written once. A new family (a framework reader's scheduler) is one row of
:data:`SCHEDULER_BASES`; recognising a class imports no library.
"""

from __future__ import annotations

import inspect
from functools import lru_cache
from typing import Any


def builtin_schedulers() -> dict[str, type]:
    """Every scheduler class torch ships, by name (imports torch)."""
    import torch.optim.lr_scheduler as lr_scheduler
    from torch.optim.swa_utils import SWALR

    bases = (lr_scheduler.LRScheduler, lr_scheduler.ReduceLROnPlateau)
    found = {
        name: obj
        for name, obj in vars(lr_scheduler).items()
        if inspect.isclass(obj) and issubclass(obj, bases) and not name.startswith("_")
        and obj is not lr_scheduler.LRScheduler
    }
    found["SWALR"] = SWALR
    return found


def resolve_class(spec: Any, sched: Any) -> type:
    """The torch scheduler class named by ``sched.type`` (a SchedulerNode of ``spec``), or the spec's
    one-line error naming the closest known name."""
    from .text import did_you_mean

    builtins = builtin_schedulers()
    cls = builtins.get(sched.type)
    if cls is not None:
        return cls
    hint = did_you_mean(sched.type, builtins)
    raise spec.error(f"unknown scheduler '{sched.type}'", sched.path + ("type",),
                     hint=hint or f"known: {', '.join(sorted(builtins))}")


# The base classes of the scheduler families lrplot drives, as (defining module, qualified name), so
# that recognising one imports no library. A scheduler is an instance of a subclass of one of them.
SCHEDULER_BASES = frozenset({
    ("torch.optim.lr_scheduler", "LRScheduler"),
    ("torch.optim.lr_scheduler", "ReduceLROnPlateau"),
    ("pytorch_accelerated.schedulers.scheduler_base", "SchedulerBase"),
    ("pytorch_accelerated.schedulers.scheduler_base", "StatefulSchedulerBase"),
    ("timm.scheduler.scheduler", "Scheduler"),
    ("mmengine.optim.scheduler.param_scheduler", "_ParamScheduler"),
    ("composer.optim.scheduler", "ComposerScheduler"),  # stateless: compiled on Composer's training time
    ("ignite.handlers.param_scheduler", "ParamScheduler"),  # called on an engine event, not stepped
    # DeepSpeed's schedulers have no base class of their own (each derives from object)
    ("deepspeed.runtime.lr_schedules", "LRRangeTest"),
    ("deepspeed.runtime.lr_schedules", "OneCycle"),
    ("deepspeed.runtime.lr_schedules", "WarmupLR"),
    ("deepspeed.runtime.lr_schedules", "WarmupCosineLR"),
    ("megatron.core.optimizer_param_scheduler", "OptimizerParamScheduler"),  # also object's subclass
})


def is_scheduler_class(cls: Any) -> bool:
    """``cls`` is a class of a scheduler family lrplot knows (see :data:`SCHEDULER_BASES`)."""
    mro = getattr(cls, "__mro__", None) if isinstance(cls, type) else None
    return bool(mro) and any((getattr(c, "__module__", None), getattr(c, "__qualname__", None))
                             in SCHEDULER_BASES for c in mro)


NOT_LITERAL = object()  # a default source_defaults could not read as a literal


@lru_cache(maxsize=1)
def source_defaults() -> dict[str, dict[str, Any]]:
    """The literal argument defaults of every class in torch's scheduler modules, read from their
    source (``ast``) without importing torch: ``{"CosineAnnealingLR": {"eta_min": 0.0, ...}}``. An
    argument with no default maps to :data:`inspect.Parameter.empty`, one whose default is not a
    literal to a marker :func:`torch_default`'s caller never sees. Empty when torch's files cannot be
    found. tests/test_dependency_shapes.py checks every entry against ``inspect.signature``."""
    import ast
    import importlib.util
    from pathlib import Path

    from .astparse import parse

    found = importlib.util.find_spec("torch")
    if found is None or not found.submodule_search_locations:
        return {}
    out: dict[str, dict[str, Any]] = {}
    for name in ("lr_scheduler.py", "swa_utils.py"):
        try:
            tree = parse((Path(found.submodule_search_locations[0]) / "optim" / name).read_text("utf-8"))
        except (OSError, SyntaxError, ValueError):
            return {}
        for node in tree.body:
            init = next((f for f in getattr(node, "body", ()) if isinstance(f, ast.FunctionDef)
                         and f.name == "__init__"), None) if isinstance(node, ast.ClassDef) else None
            if init is None:
                continue
            args = init.args
            positional = args.posonlyargs + args.args
            defaults = [inspect.Parameter.empty] * (len(positional) - len(args.defaults)) + list(args.defaults)
            params = list(zip(positional, defaults)) + list(zip(args.kwonlyargs, args.kw_defaults))
            out[node.name] = {arg.arg: _literal(default) for arg, default in params}
    return out


def _literal(node: Any) -> Any:
    if node is None or node is inspect.Parameter.empty:
        return inspect.Parameter.empty
    import ast

    try:
        return ast.literal_eval(node)
    except (ValueError, TypeError, SyntaxError):
        return NOT_LITERAL
