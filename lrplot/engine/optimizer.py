"""The throwaway torch optimizer a schedule is stepped on: one one-element parameter per param group."""

from __future__ import annotations

import inspect
from typing import Any

from ..facts import facts_of
from ..spec import ParamGroupSpec, ResolvedSchedule
from ..text import did_you_mean
from ..argtypes import check_types
from .build import check_arguments, construct
from ..tricks import fast_optimizers


def optimizer_classes() -> dict[str, type]:
    import torch.optim

    return {
        name: obj for name, obj in vars(torch.optim).items()
        if isinstance(obj, type) and issubclass(obj, torch.optim.Optimizer) and obj is not torch.optim.Optimizer
    }


def _plain(value: Any) -> Any:
    """YAML lists become tuples (``betas: [0.9, 0.999]``), as torch code writes them."""
    return tuple(_plain(v) for v in value) if isinstance(value, list) else value


def build_optimizer(schedule: ResolvedSchedule) -> Any:
    """A fresh torch optimizer with one one-element parameter per param group."""
    import torch

    spec = schedule.spec
    opt = schedule.optimizer
    where = schedule.where("optimizer")
    classes = optimizer_classes()
    cls = classes.get(opt.type)
    if cls is None:
        hint = did_you_mean(opt.type, classes)
        raise spec.error(f"unknown optimizer '{opt.type}'", where + ("type",),
                         hint=hint or f"known: {', '.join(sorted(classes))}")
    kwargs = {k: _plain(v) for k, v in opt.options.items()}
    kwargs["lr"] = opt.lr
    check_arguments(spec, cls, opt.type, kwargs, where, implied=("params",))
    signature = inspect.signature(cls).parameters
    for i, g in enumerate(schedule.param_groups or []):  # a group's option has the type of the argument
        check_types(signature, {k: _plain(v) for k, v in g.options.items()},
                    lambda key, message, hint, i=i: spec.error(f"{opt.type} {message}",
                                                               schedule.where("param_groups") + (i, key), hint=hint))
    groups_spec = schedule.param_groups or [ParamGroupSpec()]
    groups = [
        {"params": [torch.nn.Parameter(torch.zeros(1))], **{k: _plain(v) for k, v in g.options.items()}}
        for g in groups_spec
    ]
    with fast_optimizers():  # same optimizer, without the first-call import of torch._dynamo
        optimizer = construct(spec, cls, opt.type, where, groups, kwargs)
    known = set(optimizer.defaults) | {"initial_lr", "params"}
    known.update(key for node in schedule.schedulers for key in facts_of(node).group_keys)
    for i, g in enumerate(groups_spec):
        for key in g.options:
            if key not in known:
                hint = did_you_mean(key, sorted(known - {"params"}))
                raise spec.error(f"{opt.type} param groups have no option '{key}'",
                                 schedule.where("param_groups") + (i, key), key=True,
                                 hint=hint or f"valid: {', '.join(sorted(known - {'params'}))}")
    if opt.initial_lr is not None:
        for group in optimizer.param_groups:
            group.setdefault("initial_lr", opt.initial_lr)
    return optimizer

