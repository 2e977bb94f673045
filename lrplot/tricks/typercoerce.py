"""The typer-coercion trick: a command's plain values converted without building pydantic adapters.

typer 0.29 converts every value of a command, given or default, through a pydantic ``TypeAdapter`` it
builds for that parameter (typer/_coercion.py ``build_runtime_param``, typer/_adapters.py
``build_leaf_adapter``), on every run: for ``lrplot plot`` that is importing pydantic (when nothing else
needs it, as in a re-run served by the plot memo) and building 30 adapters, ≈ 0.1 s CPU. Most values are
converted by something much simpler, which this trick calls directly:

- an absent value (None): typer's own ``RuntimeParam.coerce`` returns None or ``()`` without using the
  adapter; it still runs, only the adapter is no longer built for it;
- ``str`` from a ``str`` (no parser, no click type): the adapter is ``_parse_cli_str`` (``str(value)``)
  and pydantic's ``str``, the same string;
- ``int``/``float`` from a value of exactly that type within ``min``/``max`` (no clamp): the adapter's
  ``Field(ge=, le=)`` passes it unchanged (a default; command-line text still goes to pydantic);
- ``Path`` from a ``str``: the adapter calls typer's ``coerce_cli_path``, which converts the text by
  pydantic's ``TypeAdapter(Path)`` (``Path(text)``) and then checks the path options; here ``Path(text)``
  is handed to that same ``coerce_cli_path``;
- ``list[...]`` of those from a list or tuple: item by item, into a list, as typer's list adapter does.

Anything else, and any of these that raises, goes through typer's own adapter, so every error message is
typer's. Switch: ``LRPLOT_NO_TYPER_COERCION``. Shape check: :func:`typer_shape`. tests/test_tricks.py
compares every value of every lrplot command with typer's adapter; tests/test_dependency_shapes.py checks
the shape.
"""

from __future__ import annotations

from functools import partial
from pathlib import Path
from typing import Any, get_args, get_origin

from .switches import enabled


def typer_shape() -> bool:
    """typer's parameters still convert through ``get_runtime_param().coerce(value, param=, ctx=)`` with the
    lazily built ``_runtime_param``, ``RuntimeParam.coerce`` handles None itself, and ``coerce_cli_path``
    takes the path type, parameter and context by keyword."""
    import inspect

    try:
        from typer import _coercion, _param_types, core
    except ImportError:
        return False
    process = getattr(core._TyperParameter, "process_value", None)
    coerce = getattr(_coercion.RuntimeParam, "coerce", None)
    path = getattr(_param_types, "coerce_cli_path", None)
    if not (callable(process) and callable(coerce) and callable(path)
            and callable(getattr(core._TyperParameter, "get_runtime_param", None))):
        return False
    try:
        names = set(process.__code__.co_names)
        keywords = inspect.signature(path).parameters
    except (TypeError, ValueError, AttributeError):
        return False
    return {"get_runtime_param", "coerce"} <= names and "_coerce_value" in coerce.__code__.co_names \
        and all(k in keywords for k in ("path_type", "param", "ctx"))


def quick_coercion(params: list[Any]) -> None:
    """Let each typer parameter of a command convert its plain values without a pydantic adapter."""
    if not enabled("typer-coercion") or not typer_shape():
        return
    for param in params:
        if hasattr(param, "type_descriptor") and "_runtime_param" in vars(param):
            param.get_runtime_param = partial(_runtime_param, param)


def quick_coercion_of(param: Any) -> Any:
    """:func:`quick_coercion` of one parameter (None passes), returned."""
    if param is not None:
        quick_coercion([param])
    return param


def _runtime_param(param: Any) -> Any:
    return param._runtime_param if param._runtime_param is not None else _Quick(param)


class _Quick:
    """Stands for a parameter's ``RuntimeParam`` until a value needs typer's adapter."""

    def __init__(self, param: Any) -> None:
        self.param = param

    def coerce(self, value: Any, param: Any, ctx: Any) -> Any:
        from typer._coercion import RuntimeParam

        return RuntimeParam.coerce(self, value, param=param, ctx=ctx)  # type: ignore[arg-type]  # typer's own None rule

    def _coerce_value(self, value: Any, param: Any, ctx: Any) -> Any:
        descriptor = param.type_descriptor
        try:
            return plain_value(descriptor.annotation, descriptor.parameter_info, value, param, ctx)
        except Exception:  # noqa: BLE001 - not a plain value, or an error: typer's adapter says what it says
            pass
        if param._runtime_param is None:
            from typer._coercion import build_runtime_param

            param._runtime_param = build_runtime_param(descriptor)
        return param._runtime_param._coerce_value(value, param=param, ctx=ctx)


class NotPlain(LookupError):
    """A value this trick leaves to typer's adapter."""


def plain_value(annotation: Any, info: Any, value: Any, param: Any = None, ctx: Any = None) -> Any:
    """``value`` converted as typer's adapter for ``annotation`` converts it (see the module's list), or
    :class:`NotPlain`."""
    if info.parser is not None or getattr(info, "click_type", None) is not None:
        raise NotPlain(annotation)
    if get_origin(annotation) is list and type(value) in (list, tuple):
        (item,) = get_args(annotation)
        return [plain_value(item, info, v, param, ctx) for v in value]
    if annotation is str and type(value) is str:
        return value
    if annotation in (int, float) and type(value) is annotation and not info.clamp \
            and (info.min is None or value >= info.min) and (info.max is None or value <= info.max):
        return value
    if annotation is Path and info.path_type is None and type(value) is str:
        from typer._param_types import coerce_cli_path

        return coerce_cli_path(Path(value), info, path_type=Path, param=param, ctx=ctx)
    raise NotPlain(annotation)
