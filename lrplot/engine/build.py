"""Scheduler objects from the spec: torch's classes by name, or import paths the user allowed.

Built-in names are the scheduler classes of ``torch.optim.lr_scheduler`` of the installed torch
(whatever that version has) plus ``SWALR``. Arguments are checked against the class signature so
a typo gets a did-you-mean and the valid signature instead of torch's TypeError; torch's own
ValueErrors are reported at the scheduler's place in the spec. ``lr_lambda`` (LambdaLR,
MultiplicativeLR) and ``scale_fn`` (CyclicLR) may be expressions, compiled by :mod:`lrplot.expr`.
"""

from __future__ import annotations

import inspect
from typing import Any, Callable

from ..errors import LrplotError, SpecError, first_line
from ..expr import compile_expression
from ..facts import NESTED, facts_of
from ..families import resolve_class
from ..imports import Allowance, factory_result, may_build, resolve_import
from ..spec import SchedulerNode, Spec, is_import_path, read_text
from ..argtypes import check_types
from ..text import did_you_mean

# Arguments torch's schedulers took once and no longer take: configs written for an older torch
# still carry them, and a refusal says why and how to drop one without editing the file.
REMOVED_ARGUMENTS = {"verbose": "torch removed it from its schedulers (it only printed every change)"}
# Arguments that hold an expression of one variable: {argument: variable names}.
EXPRESSION_ARGS = {"lr_lambda": ("epoch", "step"), "scale_fn": ("x",)}


def signature_text(name: str, fn: Callable[..., Any], skip: tuple[str, ...] = ("self", "optimizer")) -> str:
    """``CosineAnnealingLR(T_max, eta_min=0.0, last_epoch=-1)``: a signature without annotations."""
    try:
        params = inspect.signature(fn).parameters.values()
    except (TypeError, ValueError):
        return f"{name}(...)"
    parts = []
    for p in params:
        if p.name in skip or p.kind in (p.VAR_POSITIONAL, p.VAR_KEYWORD):
            continue
        parts.append(p.name if p.default is p.empty else f"{p.name}={p.default!r}")
    return f"{name}({', '.join(parts)})"


def check_arguments(spec: Spec, fn: Callable[..., Any], name: str, given: dict[str, Any],
                    path: tuple, implied: tuple[str, ...] = ("optimizer",), float_ints: tuple[str, ...] = ()) -> None:
    """Unknown or missing keyword arguments of ``fn``, or a value of the wrong type (see
    :mod:`lrplot.argtypes`; ``float_ints``: its scheduler-type facts), as a located SpecError, before
    ``fn`` is called."""
    try:
        params = inspect.signature(fn).parameters
    except (TypeError, ValueError):
        return
    accepts_any = any(p.kind is p.VAR_KEYWORD for p in params.values())
    valid = [p for p in params if p not in ("self",) + implied]
    sig = signature_text(name, fn, ("self",) + implied)
    for key in given:
        if key in implied:
            raise spec.error(f"'{key}' is implied: lrplot builds it", path + (key,), key=True,
                             hint="remove this key")
        if key not in params and not accepts_any and key in REMOVED_ARGUMENTS and _is_torch(fn):
            where = _input_key_path(spec, path + (key,))
            raise spec.error(f"{name} has no argument '{key}': {REMOVED_ARGUMENTS[key]}", path + (key,), key=True,
                             hint=f"delete it, or leave the input as it is and add --set '~{where or 'KEY.PATH'}'")
        if key not in params and not accepts_any:
            hint = did_you_mean(key, valid)
            raise spec.error(f"{name} has no argument '{key}'", path + (key,), key=True,
                             hint=f"{hint + ' ' if hint else ''}valid: {sig}")
    for pname, p in params.items():
        if pname in ("self",) + implied or p.kind in (p.VAR_POSITIONAL, p.VAR_KEYWORD):
            continue
        if p.default is p.empty and pname not in given:
            raise spec.error(f"{name} needs '{pname}'", path, hint=f"signature: {sig}")
    check_types(params, given, lambda key, message, hint: spec.error(f"{name} {message}", path + (key,),
                                                                     hint=hint), doc=inspect.getdoc(fn),
                float_ints=float_ints)


def _is_torch(fn: Any) -> bool:
    return str(getattr(fn, "__module__", "")).startswith("torch.")


def _input_key_path(spec: Spec, path: tuple) -> str | None:
    """The path of the key at ``path`` in the input file itself, as ``--set`` names it there (a
    training config's keys are its framework's, not the spec's), or None when it is not in that
    file (a Hydra group file, a --set value)."""
    from ..yamlio import format_path, load_yaml

    loc = spec.locate_key(path)
    if loc.key is not None:
        return loc.key
    if spec.file is None or loc.path != str(spec.file) or loc.line is None or not spec.file.is_file():
        return None  # (a pipe cannot be read twice)
    try:
        _, source = load_yaml(read_text(spec.file), loc.path)
    except (LrplotError, OSError):
        return None
    return next((format_path(p) for p, at in source.keys.items() if at == loc), None)


def _compile_arg(spec: Spec, key: str, value: Any, path: tuple) -> Any:
    names = EXPRESSION_ARGS[key]
    if isinstance(value, (list, tuple)):  # one per param group (a tuple from a dict built in Python)
        return [
            compile_expression(v, names, what=key,
                               location=lambda off, p=path + (key, i): spec.source.text(p, off))
            for i, v in enumerate(value)
        ]
    return compile_expression(value, names, what=key,
                              location=lambda off: spec.source.text(path + (key,), off))


def build_scheduler(spec: Spec, sched: SchedulerNode, optimizer: Any, *, allow_import: Allowance = Allowance(),
                    placeholders: dict[str, int] | None = None) -> Any:
    """Construct the scheduler for ``sched`` on ``optimizer`` (nested ones first). Import-path
    types are imported only if ``allow_import`` covers them; ``placeholders`` fill pytorch-accelerated's
    TrainerPlaceholderValues (NUM_EPOCHS, NUM_UPDATE_STEPS_PER_EPOCH, ...)."""
    if is_import_path(sched.type):
        return build_imported(spec, sched, optimizer, allow_import=allow_import, placeholders=placeholders)
    cls = resolve_class(spec, sched)
    path = sched.path
    kwargs = dict(sched.options)
    if sched.type in NESTED:
        if not sched.schedulers:
            raise spec.error(f"{sched.type} needs a 'schedulers' list", path,
                             hint="e.g. schedulers: [{type: LinearLR, ...}, {type: CosineAnnealingLR, ...}]")
        kwargs["schedulers"] = [build_scheduler(spec, child, optimizer, allow_import=allow_import,
                                                placeholders=placeholders)
                                for child in sched.schedulers]
    elif sched.schedulers is not None:
        raise spec.error(f"{sched.type} takes no nested 'schedulers'", path + ("schedulers",), key=True,
                         hint=f"only {' and '.join(NESTED)} do")
    for key in EXPRESSION_ARGS:
        if key in kwargs:
            kwargs[key] = _compile_arg(spec, key, kwargs[key], path)
    check_arguments(spec, cls, sched.type, kwargs, path)
    for key in ("milestones",):
        if key in kwargs and isinstance(kwargs[key], tuple):
            kwargs[key] = list(kwargs[key])
    return construct(spec, cls, sched.type, path, optimizer, kwargs)


def construct(spec: Spec, fn: Callable[..., Any], name: str, path: tuple, optimizer: Any,
              kwargs: dict[str, Any]) -> Any:
    """Call ``fn(optimizer, **kwargs)``, translating what torch raises into a located SpecError."""
    try:
        params = inspect.signature(fn).parameters
    except (TypeError, ValueError):
        params = {}
    try:
        if "optimizer" in params:  # by name: ChainedScheduler takes (schedulers, optimizer=None)
            return fn(**kwargs, optimizer=optimizer)
        return fn(optimizer, **kwargs)
    except SpecError:
        raise
    except KeyError as exc:
        key = exc.args[0] if exc.args else ""
        if "initial_lr" in str(key):
            raise spec.error(f"{name}: last_epoch is set, so every param group needs 'initial_lr'", path,
                             hint="add 'initial_lr: <base lr>' under optimizer (or per param group)") from None
        if kwargs.get("last_epoch", -1) != -1:  # a resumed scheduler reads what it stored in the groups
            raise spec.error(f"{name} could not be built: last_epoch is set, so torch reads {key!r} from every "
                             "param group, and the optimizer's groups have none", path,
                             hint="a resumed run loads the optimizer's saved state (it holds them) before "
                                  "building the scheduler") from None
        raise spec.error(f"{name} could not be built: the optimizer's param groups have no {key!r}", path) from None
    except (ValueError, TypeError, IndexError, ZeroDivisionError, AttributeError,
            RuntimeError, OverflowError) as exc:
        message = first_line(exc, type(exc).__name__)
        raise spec.error(f"{name} rejected its arguments: {message}", path) from None


# --- import paths (other libraries, your own file) ------------------------------------------

def _optimizer_parameter(fn: Callable[..., Any], kwargs: dict[str, Any]) -> str | None:
    """The name under which ``fn`` takes the optimizer, or None for a factory that takes no
    optimizer (``CosineLrScheduler.create_scheduler_fn``: its result is called with it)."""
    try:
        params = inspect.signature(fn).parameters
    except (TypeError, ValueError):
        return "optimizer"
    if "optimizer" in params:
        return "optimizer"
    for p in params.values():
        if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD) and p.default is p.empty \
                and p.name not in kwargs:
            return p.name
    if any(p.kind is p.VAR_POSITIONAL for p in params.values()):
        return "*args"  # e.g. MMEngine's Scheduler.build_iter_from_epoch(*args, ...): first positional
    return None


def _pairs_as_tuples(fn: Callable[..., Any], kwargs: dict[str, Any]) -> None:
    """A list of lists (YAML has no tuples) for an argument annotated ``list[tuple[...]]`` becomes a list of
    tuples: ignite's PiecewiseLinear refuses ``milestones_values`` pairs that are not tuples."""
    import re

    try:
        params = inspect.signature(fn).parameters
    except (TypeError, ValueError):
        return
    for key, value in kwargs.items():
        note = str(params[key].annotation) if key in params else ""
        if re.match(r"^(list|List|Sequence|typing\.List)\[(tuple|Tuple|typing\.Tuple)\[", note) and \
                isinstance(value, list) and all(isinstance(v, list) for v in value):
            kwargs[key] = [tuple(v) for v in value]


def _nested_parameter(fn: Callable[..., Any], count: int) -> str | None:
    """Where ``fn`` takes the schedulers nested under it in the spec: ``schedulers`` (a list), or
    ``lr_scheduler`` (exactly one, as ignite's LRScheduler and create_lr_scheduler_with_warmup)."""
    try:
        params = inspect.signature(fn).parameters
    except (TypeError, ValueError):
        return None
    if "schedulers" in params:
        return "schedulers"
    return "lr_scheduler" if "lr_scheduler" in params and count == 1 else None


def _fill_placeholders(spec: Spec, sched: SchedulerNode, factory: Any,
                       placeholders: dict[str, int] | None) -> Any:
    """Replace pytorch-accelerated's TrainerPlaceholderValues in a ``functools.partial`` with the
    numbers its Trainer would put there, taken from the spec."""
    import functools
    from enum import Enum

    if not isinstance(factory, functools.partial):
        return factory
    found = {k: v for k, v in factory.keywords.items()
             if isinstance(v, Enum) and type(v).__name__ == "TrainerPlaceholderValues"}
    if not found:
        return factory
    filled = {}
    for key, value in found.items():
        if placeholders is None or value.name not in placeholders:
            raise spec.error(f"{sched.type}: '{key}' is left to the trainer ({value.name}) and the spec "
                             "does not say it", sched.path,
                             hint=f"add 'steps_per_epoch: N' to the spec, or give '{key}' under the scheduler")
        filled[key] = _placeholder_number(spec, sched, key, value, placeholders[value.name])
    return functools.partial(factory, **filled)


def _placeholder_number(spec: Spec, sched: SchedulerNode, key: str, value: Any, number: int) -> Any:
    """The number pytorch-accelerated's Trainer puts where ``value`` stands.

    pytorch-accelerated 0.1.61 (``trainer.py``: ``TrainerPlaceholderValues.__mul__``/``__add__``
    and ``replace_trainer_placeholder_values``): a placeholder's value is the text of a Python
    expression, ``"trainer.run_config.num_local_update_steps_per_epoch"``; ``placeholder * 2``
    builds a new member whose value is that text with ``"*2"`` appended (``+ 1`` appends
    ``"+1"``), and the Trainer ``eval``s the text. lrplot never evals: the text must be the
    member's original expression followed by that appended arithmetic, which lrplot's safe
    evaluator computes with the original expression replaced by ``number``, the same operator
    precedence as the Trainer's eval."""
    from ..expr import compile_expression

    base = _placeholder_base(value)
    text = str(value.value)
    if base is None or not text.startswith(base):
        raise spec.error(f"{sched.type}: '{key}' is a trainer placeholder lrplot cannot read ({text!r})",
                         sched.path, hint=f"give '{key}' under the scheduler")
    rest = text[len(base):]
    if not rest:
        return number
    expr = compile_expression(f"x{rest}", ("x",), what=f"the trainer placeholder of '{key}'",
                              location=lambda off: spec.locate(sched.path))
    result = expr(number)
    return int(result) if isinstance(result, float) and result.is_integer() and "." not in rest else result


def _placeholder_base(value: Any) -> str | None:
    """The original expression text of the placeholder member ``value`` names, from the library's
    own ``TrainerPlaceholderValues`` (``value`` may be a derived member of a new Enum)."""
    import sys

    trainer = sys.modules.get("pytorch_accelerated.trainer")
    cls = getattr(trainer, "TrainerPlaceholderValues", None)
    member = getattr(cls, "_member_map_", {}).get(value.name) if cls is not None else None
    return str(member.value) if member is not None else None


def build_imported(spec: Spec, sched: SchedulerNode, optimizer: Any, *, allow_import: Allowance,
                   placeholders: dict[str, int] | None) -> Any:
    """Build a scheduler named by an import path: a class or function called with the optimizer,
    or a factory whose result (a ``functools.partial``, as ``create_scheduler_fn`` returns) is.
    :mod:`lrplot.imports` checks what is called, and what a factory returns, before it is called."""
    def is_scheduler(obj: Any) -> bool:
        return may_build(type(obj), allow_import)

    fn = resolve_import(spec, sched, allow_import=allow_import)
    path = sched.path
    kwargs = {k: (list(v) if isinstance(v, tuple) else v) for k, v in sched.options.items()}
    if sched.schedulers is not None:  # ignite's ConcatScheduler(schedulers), LRScheduler(lr_scheduler), ...
        nested = _nested_parameter(fn, len(sched.schedulers))
        if nested is None:
            raise spec.error(f"{sched.type} takes no nested 'schedulers'", path + ("schedulers",), key=True,
                             hint=f"only {' and '.join(NESTED)}, and imported schedulers taking 'schedulers' or "
                                  "(one) 'lr_scheduler', do")
        children = [build_scheduler(spec, child, optimizer, allow_import=allow_import, placeholders=placeholders)
                    for child in sched.schedulers]
        kwargs[nested] = children if nested == "schedulers" else children[0]
    _pairs_as_tuples(fn, kwargs)
    name = sched.type.rpartition(":")[2]
    opt_param = _optimizer_parameter(fn, kwargs)
    check_arguments(spec, fn, name, kwargs, path, implied=(opt_param,) if opt_param else (),
                    float_ints=facts_of(sched).float_ints)

    def call(callee: Callable[..., Any], /, *args: Any, **kw: Any) -> Any:
        # positional-only, so a keyword argument of any name (the spec's 'callee', 'f', 'self') reaches callee
        try:
            return callee(*args, **kw)
        except SpecError:
            raise
        except KeyError as exc:
            key = exc.args[0] if exc.args else ""
            raise spec.error(f"{name} could not be built: {key}", path,
                             hint="a scheduled field must be in the optimizer's param groups") from None
        except Exception as exc:  # noqa: BLE001 - third-party code may raise anything
            message = first_line(exc)
            kind = "" if isinstance(exc, (ValueError, TypeError)) else f"{type(exc).__name__}: "
            raise spec.error(f"{name} rejected its arguments: {kind}{message or type(exc).__name__}",
                             path) from None

    if opt_param == "optimizer":
        obj = call(fn, **kwargs, optimizer=optimizer)
    elif opt_param is not None:
        obj = call(fn, optimizer, **kwargs)
    else:
        obj = call(fn, **kwargs)
    if isinstance(obj, tuple) and obj and is_scheduler(obj[0]):
        obj = obj[0]  # a factory returning (scheduler, ...): timm's create_scheduler_v2 gives (scheduler, num_epochs)
    where = spec.locate(path + ("type",))
    if not is_scheduler(obj):
        factory = factory_result(obj, name, allow_import=allow_import, location=where)
        obj = call(_fill_placeholders(spec, sched, factory, placeholders), optimizer)
    if not is_scheduler(obj):
        factory_result(obj, name, allow_import=allow_import, location=where)  # raises: not a scheduler
    return obj
