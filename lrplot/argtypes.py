"""The type a scheduler's or optimizer's argument expects, read from its signature, and a check of
a spec value against it before torch sees the value.

torch passes most values through unchecked (``milestones: "30, 60"`` iterates over characters and
draws a flat lr), so lrplot checks every argument against the callee's own annotation, or, when a
parameter has none, against the type of its default. Annotations may be objects or strings (torch
uses ``from __future__ import annotations`` in ``lr_scheduler.py``); both are turned into text with
``inspect.formatannotation`` and parsed with :mod:`ast` (never evaluated). A name lrplot does not
know (``torch.Tensor``, ``LRScheduler``, a library's own class) is a type no YAML value can be,
except as the only member of a union, where it makes the parameter accept anything: lrplot checks
what it understands and leaves the rest to the callee.

torch's docstrings document a per-group list for some arguments whose annotation says only
``float`` (CyclicLR's ``base_momentum (float or list)``, SWALR's ``swa_lr``): where the callee's
``Args:`` entry names scalar types and a list, a list of those scalars is accepted too. The
docstring only adds that per-group form; a more precise annotation (a ``Literal``, ``list[int]``)
is never widened by a docstring's looser words.

Rules: a boolean is never a number; an integer is a number where a float is expected; an integer
is expected as such (``2.0`` is refused with "write 2"), except ``.inf``/``-.inf``, the idiom for
"never" (``patience: .inf``); ``None`` is allowed only where the annotation says Optional / ``| None`` or the default is None.
"""

from __future__ import annotations

import ast
import functools
import inspect
import math
import re
from dataclasses import dataclass
from typing import Any, Callable

# --- expected types -------------------------------------------------------------------------


@dataclass(frozen=True)
class Expected:
    """One accepted type: ``kind`` is int, float, bool, str, none, list, tuple, literal, callable,
    dict, any (unchecked) or opaque (a class no YAML value can be)."""

    kind: str
    items: tuple[Expected, ...] = ()  # list: (element,); tuple: one per position (or (elem,) + ellipsis)
    values: tuple[Any, ...] = ()  # literal
    variadic: bool = False  # tuple[X, ...]


ANY = Expected("any")
_SIMPLE = {"int": "int", "float": "float", "bool": "bool", "str": "str", "None": "none", "NoneType": "none",
           "Any": "any", "object": "any"}
_SEQUENCES = {"list", "List", "Iterable", "Sequence", "MutableSequence", "Collection", "set", "Set",
              "frozenset"}
_TUPLES = {"tuple", "Tuple"}
_CALLABLES = {"Callable"}
_MAPPINGS = {"dict", "Dict", "Mapping", "MutableMapping"}


def _name(node: ast.expr) -> str | None:
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):  # typing.Optional, collections.abc.Iterable, torch.Tensor
        return node.attr if isinstance(node.value, (ast.Name, ast.Attribute)) else None
    return None


def _parse(node: ast.expr) -> tuple[Expected, ...]:
    """The union of types an annotation node allows."""
    if isinstance(node, ast.Constant):
        if node.value is None:
            return (Expected("none"),)
        if isinstance(node.value, str):  # a quoted forward reference inside an annotation
            try:
                return _parse(ast.parse(node.value, mode="eval").body)
            except SyntaxError:
                return (ANY,)
        return (ANY,)
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.BitOr):
        return _parse(node.left) + _parse(node.right)
    if isinstance(node, ast.Subscript):
        base = _name(node.value)
        args = list(node.slice.elts) if isinstance(node.slice, ast.Tuple) else [node.slice]
        if base in ("Optional",):
            return _parse(args[0]) + (Expected("none"),)
        if base in ("Union",):
            return tuple(t for a in args for t in _parse(a))
        if base == "Literal":
            values = tuple(a.value for a in args if isinstance(a, ast.Constant))
            return (Expected("literal", values=values),) if len(values) == len(args) else (ANY,)
        if base in _SEQUENCES:
            return (Expected("list", items=(_one(args[0]),)),)
        if base in _TUPLES:
            if len(args) == 2 and isinstance(args[1], ast.Constant) and args[1].value is Ellipsis:
                return (Expected("tuple", items=(_one(args[0]),), variadic=True),)
            return (Expected("tuple", items=tuple(_one(a) for a in args)),)
        if base in _CALLABLES:
            return (Expected("callable"),)
        if base in _MAPPINGS:
            return (Expected("dict"),)
        if base in ("Annotated",):
            return _parse(args[0])
        return (ANY,)
    name = _name(node)
    if name in _SIMPLE:
        return (Expected(_SIMPLE[name]),)
    if name in _SEQUENCES:
        return (Expected("list", items=(ANY,)),)
    if name in _TUPLES:
        return (Expected("tuple", items=(ANY,), variadic=True),)
    if name in _CALLABLES:
        return (Expected("callable"),)
    if name in _MAPPINGS:
        return (Expected("dict"),)
    return (Expected("opaque"),)


def _one(node: ast.expr) -> Expected:
    """A single Expected for a container's element (a union element becomes a nested union)."""
    options = _normalise(_parse(node))  # list[LRScheduler]: a list of anything
    return options[0] if len(options) == 1 else Expected("union", items=options)


def _normalise(options: tuple[Expected, ...]) -> tuple[Expected, ...]:
    """Drop opaque members of a union; a union of only opaque members accepts anything."""
    known = tuple(o for o in options if o.kind != "opaque")
    return known if known else (ANY,)


def _from_default(default: Any) -> tuple[Expected, ...] | None:
    if default is None:
        return None  # says nothing about the type
    if isinstance(default, bool):
        return (Expected("bool"),)
    if isinstance(default, (int, float)):  # no annotation: an int default may well hold a float
        return (Expected("float"),)
    if isinstance(default, str):
        return (Expected("str"),)
    if isinstance(default, (tuple, list)) and default:
        items = []
        for d in default:
            got = _from_default(d)
            items.append(got[0] if got else ANY)
        return (Expected("tuple", items=tuple(items)),)
    return None


_DOC_ENTRY = re.compile(r"^\s*(\w+) \(([^()]*)\):", re.M)
_DOC_SCALARS = {"float": "float", "int": "int", "number": "float", "bool": "bool", "str": "str",
                "function": "callable", "callable": "callable"}
_DOC_LISTS = {"list", "sequence", "iterable", "tuple"}


@functools.lru_cache(maxsize=256)
def documented_lists(doc: str | None) -> dict[str, Expected]:
    """``{argument: list of its scalars}`` for every docstring ``Args:`` entry that documents a
    per-group list beside scalars: ``base_momentum (float or list): ...`` gives a list of numbers."""
    out: dict[str, Expected] = {}
    for name, text in _DOC_ENTRY.findall(doc or ""):
        words = [w.strip().lower() for w in re.split(r",| or ", text)]
        scalars = tuple(dict.fromkeys(Expected(_DOC_SCALARS[w]) for w in words if w in _DOC_SCALARS))
        if scalars and any(w in _DOC_LISTS for w in words):
            out[name] = Expected("list", items=(scalars[0] if len(scalars) == 1 else Expected("union", scalars),))
    return out


def _documented_list(param: inspect.Parameter, doc: str | None) -> Expected | None:
    lists = documented_lists(doc)  # SWALR documents its swa_lr as "swa_lrs": the plural names it too
    return lists.get(param.name, lists.get(param.name + "s"))


def expected_types(param: inspect.Parameter, doc: str | None = None) -> tuple[Expected, ...] | None:
    """What ``param`` accepts, or None when lrplot cannot tell (then nothing is checked);
    ``doc``: the callee's docstring, whose per-group lists are accepted too."""
    options = _declared_types(param)
    per_group = _documented_list(param, doc) if options is not None else None
    if per_group is not None and not any(_matches([], o) for o in options):
        options = options + (per_group,)
    return options


def _declared_types(param: inspect.Parameter) -> tuple[Expected, ...] | None:
    options: tuple[Expected, ...] | None = None
    if param.annotation is not param.empty:
        text = param.annotation if isinstance(param.annotation, str) else inspect.formatannotation(param.annotation)
        try:
            options = _normalise(_parse(ast.parse(text, mode="eval").body))
        except (SyntaxError, RecursionError, ValueError):
            options = None
    elif param.default is not param.empty:
        options = _from_default(param.default)
    if options is None:
        return None
    if param.default is None and not any(o.kind == "none" for o in options):
        options = options + (Expected("none"),)  # ``x: int = None``: None is what the callee expects
    if any(o.kind == "any" for o in options):
        return None
    return options


# --- matching --------------------------------------------------------------------------------

def _matches(value: Any, t: Expected) -> bool:
    kind = t.kind
    if kind == "any":
        return True
    if kind == "union":
        return any(_matches(value, o) for o in _normalise(t.items))
    if kind == "int":  # .inf / -.inf: the idiom for "never" (patience: .inf), which torch compares fine
        return isinstance(value, int) and not isinstance(value, bool) or isinstance(value, float) and math.isinf(value)
    if kind == "float":
        return isinstance(value, (int, float)) and not isinstance(value, bool)
    if kind == "bool":
        return isinstance(value, bool)
    if kind == "str":
        return isinstance(value, str)
    if kind == "none":
        return value is None
    if kind == "literal":
        return any(value == v and type(value) is type(v) for v in t.values)
    if kind == "callable":
        return callable(value)
    if kind == "dict":
        return isinstance(value, dict)
    if kind == "list":
        return isinstance(value, (list, tuple)) and all(_matches(v, t.items[0]) for v in value)
    if kind == "tuple":
        if not isinstance(value, (list, tuple)):
            return False
        if t.variadic:
            return all(_matches(v, t.items[0]) for v in value)
        return len(value) == len(t.items) and all(_matches(v, i) for v, i in zip(value, t.items))
    if kind == "opaque":
        return False
    return True


_A = {"int": "an integer", "float": "a number", "bool": "true or false", "str": "a text", "none": "null",
      "callable": "an expression", "dict": "a mapping", "any": "any value", "opaque": "an object"}
_PLURAL = {"int": "integers", "float": "numbers", "bool": "booleans (true/false)", "str": "texts",
           "none": "nulls", "callable": "expressions", "dict": "mappings", "any": "values", "opaque": "objects"}


def describe(t: Expected, plural: bool = False) -> str:
    """``a list of integers``, ``a number``, ``one of 'cos', 'linear'``."""
    if t.kind == "literal":
        return ("values among " if plural else "one of ") + ", ".join(repr(v) for v in t.values)
    if t.kind == "union":
        return " or ".join(describe(o, plural) for o in _normalise(t.items))
    if t.kind == "list":
        return ("lists" if plural else "a list") + f" of {describe(t.items[0], True)}"
    if t.kind == "tuple":
        if t.variadic:
            return ("lists" if plural else "a list") + f" of {describe(t.items[0], True)}"
        same = all(i == t.items[0] for i in t.items)
        n = len(t.items)
        if same:
            return (f"lists of {n} " if plural else f"a list of {n} ") + describe(t.items[0], True)
        return ("lists " if plural else "a list ") + "[" + ", ".join(describe(i) for i in t.items) + "]"
    return (_PLURAL if plural else _A)[t.kind]


def describe_all(options: tuple[Expected, ...]) -> str:
    parts = [describe(o) for o in options if o.kind != "none"]
    text = " or ".join(dict.fromkeys(parts))
    return text + " (or null)" if any(o.kind == "none" for o in options) and parts else (text or "null")


def describe_value(value: Any) -> str:
    if isinstance(value, bool):
        return f"the boolean {'true' if value else 'false'}"
    if isinstance(value, str):
        return f"the text {value!r}"
    if value is None:
        return "null"
    if isinstance(value, (int, float)):
        return f"the number {_yaml(value)}"
    if isinstance(value, (list, tuple)):
        return f"the list {_yaml(value)}"
    if isinstance(value, dict):
        return "a mapping"
    if callable(value):
        return "an expression"
    return f"a {type(value).__name__}"


def _yaml(value: Any) -> str:
    """How ``value`` is written in a spec (YAML flow style)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None:
        return "null"
    if isinstance(value, float):
        if math.isnan(value):
            return ".nan"
        if math.isinf(value):
            return ".inf" if value > 0 else "-.inf"
        return repr(value)
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(_yaml(v) for v in value) + "]"
    if isinstance(value, str):
        return repr(value)
    return str(value)


def suggestion(value: Any, options: tuple[Expected, ...]) -> str | None:
    """How to write ``value`` so that it has an accepted type, when lrplot can tell."""
    from .errors import SpecError
    from .yamlio import parse_scalar

    def fits(v: Any) -> bool:
        return any(_matches(v, o) for o in options)

    if isinstance(value, str):
        text = value.strip()
        for candidate in (text, f"[{text}]"):
            try:
                parsed = parse_scalar(candidate)
            except (SpecError, RecursionError, ValueError):
                continue
            if parsed is not None and not isinstance(parsed, str) and fits(parsed):
                return f"drop the quotes: write {candidate}" if candidate == text else f"write {_yaml(parsed)}"
        return None
    if isinstance(value, bool):
        return "a boolean is not a number: write a number" if fits(0) else None
    if isinstance(value, float) and value.is_integer() and abs(value) <= 2**53 and fits(int(value)):
        # (beyond 2**53 a float is no exact whole number: suggesting its 300 digits would mislead)
        return f"write {int(value)}"
    if isinstance(value, (int, float)) and fits([value]):
        return f"write [{_yaml(value)}]"
    if isinstance(value, (list, tuple)):
        def fix(v: Any) -> Any:
            if isinstance(v, str):
                try:
                    parsed = parse_scalar(v.strip())
                except (SpecError, RecursionError, ValueError):
                    return v
                return v if isinstance(parsed, (str, list, dict)) or parsed is None else parsed
            return int(v) if isinstance(v, float) and v.is_integer() else v

        fixed = [fix(v) for v in value]
        if fits(fixed):
            quoted = any(isinstance(v, str) for v in value)
            return f"{'drop the quotes: ' if quoted else ''}write {_yaml(fixed)}"
    return None


def type_problem(param: inspect.Parameter, value: Any, doc: str | None = None,
                 float_int: bool = False) -> tuple[str, str | None] | None:
    """``(message, hint)`` when ``value`` is not what ``param`` accepts, else None (``doc``: the
    callee's docstring; ``float_int``: an ``int`` it annotates is any number, as its own trainer
    passes a float there)."""
    options = expected_types(param, doc)
    if options is not None and float_int:
        options = options + tuple(Expected("float") for o in options if o.kind == "int")
    if options is None or any(_matches(value, o) for o in options):
        return None
    message = f"{param.name}: expected {describe_all(options)}, got {describe_value(value)}"
    return message, suggestion(value, options)


def check_types(params: dict[str, inspect.Parameter], given: dict[str, Any],
                fail: Callable[[str, str, str | None], Exception], doc: str | None = None,
                float_ints: tuple[str, ...] = ()) -> None:
    """Raise ``fail(key, message, hint)`` for the first value of ``given`` its parameter does not
    accept (``doc``: the callee's docstring, see :func:`documented_lists`; ``float_ints``: the
    parameters annotated ``int`` that the callee's own trainer passes a float, see :func:`type_problem`)."""
    for key, value in given.items():
        param = params.get(key)
        if param is None or param.kind in (param.VAR_POSITIONAL, param.VAR_KEYWORD):
            continue
        problem = type_problem(param, value, doc, key in float_ints)
        if problem is not None:
            raise fail(key, *problem)
