"""Build optimizers without the one-time ``import torch._dynamo`` (1-3 s) of the first one in a process.

``torch.optim.Optimizer.add_param_group`` is decorated with ``torch._disable_dynamo``, whose wrapper
(torch/_compile.py) imports ``torch._dynamo`` on its first call only to build a dynamo-disabled copy
of the function, caches that copy as the attribute ``__dynamo_disable`` of the undecorated function,
and calls it. Outside ``torch.compile`` the disabled copy does exactly what the undecorated function
does. So while lrplot builds its optimizers it pre-seeds that cache with the undecorated function
itself, and removes the seed afterwards, leaving torch as it found it (a later ``torch.compile`` in
the same process still gets the real dynamo-disabled function).

This is done only when the wrapper has exactly the structure verified on torch 2.13
(:func:`seed_target`); anything else -- another torch, a changed decorator, an already seeded cache
-- falls back to the normal path, which is merely slower. The optimizer built either way is equal
(param_groups, defaults, state_dict); tests/test_torchfast.py checks that and the fallback.

The same import happens on the first ``optimizer.step()`` (``_use_grad_for_differentiable``), so
:mod:`lrplot.engine` does not call it: the step only exists to silence torch's "scheduler.step()
before optimizer.step()" warning, and changes nothing without gradients.
"""

from __future__ import annotations

import inspect
from contextlib import contextmanager
from typing import Any, Iterator

CACHE_ATTRIBUTE = "__dynamo_disable"  # the name torch/_compile.py caches the disabled function under
ENV_DISABLE = "LRPLOT_NO_FASTPATH"


def seed_target(optimizer_class: Any = None) -> Any:
    """The undecorated ``add_param_group`` whose dynamo cache can be seeded, or None when the
    decorator does not look exactly like the verified one."""
    try:
        if optimizer_class is None:
            from torch.optim import Optimizer as optimizer_class  # noqa: N813
        wrapper = inspect.getattr_static(optimizer_class, "add_param_group")
        inner = getattr(wrapper, "__wrapped__", None)
        if not (inspect.isfunction(wrapper) and inspect.isfunction(inner)):
            return None
        code = wrapper.__code__
        if code.co_name != "inner" or not code.co_filename.replace("\\", "/").endswith("torch/_compile.py"):
            return None
        if CACHE_ATTRIBUTE not in code.co_consts or "disable" not in code.co_names:
            return None
        cells = dict(zip(code.co_freevars, (c.cell_contents for c in wrapper.__closure__ or ())))
        if cells.get("fn") is not inner or inner.__name__ != "add_param_group":
            return None
        if inner.__code__.co_argcount != 2:  # (self, param_group)
            return None
        return inner
    except Exception:  # anything unexpected: the normal path
        return None


@contextmanager
def fast_optimizers() -> Iterator[bool]:
    """While active, building a torch optimizer does not import torch._dynamo (yields True) --
    or, when the structure does not match, nothing changes (yields False)."""
    import os

    target = None if os.environ.get(ENV_DISABLE) else seed_target()
    if target is None or CACHE_ATTRIBUTE in vars(target):
        yield False  # unknown structure, or torch already cached its disabled function
        return
    setattr(target, CACHE_ATTRIBUTE, target)
    try:
        yield True
    finally:
        if vars(target).get(CACHE_ATTRIBUTE) is target:
            delattr(target, CACHE_ATTRIBUTE)
