"""A small, safe evaluator for the expressions a spec may contain.

``lr_lambda: "0.95 ** epoch"`` or ``"lambda epoch: min(1.0, (epoch + 1) / 10)"`` and synthetic
metrics like ``"1 / (1 + step)"`` are parsed with :mod:`ast` and compiled into a tree of Python
closures. Only an allow-list of node types runs: numbers, the counter variable, arithmetic,
comparisons, ``and``/``or``/``not``, conditional expressions and a few math functions. Nothing is
ever passed to ``eval``; names, attributes, subscripts, strings, comprehensions and calls outside
the list are rejected at load time with the position of the offending piece. The arithmetic is
Python's own, so ``"0.95 ** epoch"`` gives bit-for-bit what ``lambda epoch: 0.95 ** epoch`` gives.
"""

from __future__ import annotations

import ast
import math
import operator
from typing import Any, Callable

from .errors import Location, SpecError
from .limits import (MAX_EXACT_POW_BITS, MAX_EXPRESSION_CHARS, MAX_EXPRESSION_DEPTH, MAX_EXPRESSION_INT_BITS,
                     MAX_ROUND_DIGITS)


def _round(x: Any, ndigits: Any = None) -> Any:
    if ndigits is None:
        return round(x)
    if isinstance(ndigits, int) and not isinstance(ndigits, bool):
        ndigits = max(-MAX_ROUND_DIGITS, min(ndigits, MAX_ROUND_DIGITS))
    return round(x, ndigits)


def _mul(a: Any, b: Any) -> Any:
    result = a * b
    if type(result) is int and result.bit_length() > MAX_EXPRESSION_INT_BITS:
        raise OverflowError("integer too large")
    return result


FUNCTIONS: dict[str, tuple[Callable[..., Any], int, int]] = {
    # name: (function, min args, max args)
    "min": (min, 2, 16),
    "max": (max, 2, 16),
    "abs": (abs, 1, 1),
    "round": (_round, 1, 2),
    "int": (int, 1, 1),
    "float": (float, 1, 1),
    "floor": (math.floor, 1, 1),
    "ceil": (math.ceil, 1, 1),
    "sqrt": (math.sqrt, 1, 1),
    "exp": (math.exp, 1, 1),
    "log": (math.log, 1, 2),
    "log2": (math.log2, 1, 1),
    "log10": (math.log10, 1, 1),
    "sin": (math.sin, 1, 1),
    "cos": (math.cos, 1, 1),
    "tan": (math.tan, 1, 1),
    "tanh": (math.tanh, 1, 1),
}
CONSTANTS = {"pi": math.pi, "e": math.e, "inf": math.inf}


def _pow(a: Any, b: Any) -> Any:
    if isinstance(a, int) and isinstance(b, int) and not isinstance(a, bool) and b > 0:
        # Exact integer power only while it stays small; beyond that use float arithmetic,
        # which raises OverflowError instead of spending minutes on a huge integer.
        if max(abs(a).bit_length(), 1) * b > MAX_EXACT_POW_BITS:
            a = float(a)
    result = a**b
    if isinstance(result, complex):
        raise ValueError("the result is not a real number")
    return result


_BINOPS: dict[type, Callable[[Any, Any], Any]] = {
    ast.Add: operator.add,
    ast.Sub: operator.sub,
    ast.Mult: _mul,
    ast.Div: operator.truediv,
    ast.FloorDiv: operator.floordiv,
    ast.Mod: operator.mod,
    ast.Pow: _pow,
}
_UNARY: dict[type, Callable[[Any], Any]] = {
    ast.USub: operator.neg,
    ast.UAdd: operator.pos,
    ast.Not: operator.not_,
}
_COMPARE: dict[type, Callable[[Any, Any], bool]] = {
    ast.Lt: operator.lt,
    ast.LtE: operator.le,
    ast.Gt: operator.gt,
    ast.GtE: operator.ge,
    ast.Eq: operator.eq,
    ast.NotEq: operator.ne,
}
_DESCRIBE = {
    ast.Attribute: "attribute access",
    ast.Subscript: "subscripts",
    ast.ListComp: "comprehensions",
    ast.SetComp: "comprehensions",
    ast.DictComp: "comprehensions",
    ast.GeneratorExp: "comprehensions",
    ast.Lambda: "a nested lambda",
    ast.NamedExpr: "assignment expressions",
    ast.JoinedStr: "strings",
    ast.List: "lists",
    ast.Tuple: "tuples",
    ast.Dict: "dicts",
    ast.Set: "sets",
    ast.Starred: "unpacking",
    ast.Await: "await",
    ast.Yield: "yield",
    ast.BitAnd: "bitwise operators",
    ast.BitOr: "bitwise operators",
    ast.BitXor: "bitwise operators",
    ast.LShift: "bitwise operators",
    ast.RShift: "bitwise operators",
    ast.MatMult: "matrix products",
    ast.Invert: "bitwise operators",
}

Locator = Callable[[int], Location]


class Expression:
    """A compiled expression of one variable, callable like the lambda it stands for.

    It is a callable *object* (not a function), so torch's ``LambdaLR.state_dict()`` keeps it.
    """

    def __init__(self, text: str, variable: str, names: tuple[str, ...], fn: Callable[[Any], Any],
                 location: Location | None, locate: Callable[[Any], Location | None] | None = None):
        self.text = text
        self.variable = variable
        self.names = names
        self._fn = fn
        self.location = location
        # x -> where the evaluation at x fails (the failing piece of the text); only on failure
        self._locate_failure = locate

    def __call__(self, x: Any) -> Any:
        try:
            return self._fn(x)
        except (ArithmeticError, ValueError, TypeError) as exc:
            where = self._locate_failure(x) if self._locate_failure is not None else None
            raise SpecError(
                f"expression {self.text!r} fails at {self.variable}={x}: {_explain(exc)}",
                hint="guard it, e.g. with max(...) or a conditional",
                location=where or self.location,
            ) from None

    def __repr__(self) -> str:
        return f"Expression({self.text!r})"

    def __getstate__(self) -> dict:
        # The compiled closures are rebuilt from the text; this keeps the object picklable.
        return {"text": self.text, "variable": self.variable, "names": self.names,
                "location": self.location}

    def __setstate__(self, state: dict) -> None:
        other = compile_expression(state["text"], state["names"], location=lambda _: state["location"])
        self.__dict__.update(other.__dict__)


def _explain(exc: BaseException) -> str:
    if isinstance(exc, OverflowError):
        return "the result is too large"
    if isinstance(exc, ZeroDivisionError):
        return "division by zero"
    return str(exc)


def _fail(message: str, node: ast.AST | int, locate: Locator, hint: str | None = None) -> SpecError:
    offset = node if isinstance(node, int) else getattr(node, "col_offset", 0)
    return SpecError(message, hint=hint, location=locate(offset))


def compile_expression(
    text: Any,
    names: tuple[str, ...] | list[str],
    *,
    location: Locator | None = None,
    what: str = "expression",
) -> Expression:
    """Compile ``text`` into an :class:`Expression` whose single variable may be written as any
    of ``names`` (e.g. ``("epoch", "step")``), or as the parameter of a ``lambda x: ...`` form.
    ``location(offset)`` maps a character offset in ``text`` to a source location."""
    names = tuple(names)
    locate: Locator = location or (lambda offset: Location("<expression>", 1, offset + 1))
    if isinstance(text, bool) or not isinstance(text, (str, int, float)):
        raise _fail(f"{what} must be a text expression such as \"0.95 ** {names[0]}\"", 0, locate)
    text = str(text)
    if len(text) > MAX_EXPRESSION_CHARS:
        raise _fail(f"{what} is {len(text)} characters long; the limit is {MAX_EXPRESSION_CHARS}", 0, locate)
    if not text.strip():
        raise _fail(f"{what} is empty", 0, locate, hint=f"write e.g. \"0.95 ** {names[0]}\"")
    try:
        tree = ast.parse(text.strip() if "\n" in text else text, mode="eval")
    except SyntaxError as exc:
        offset = max((exc.offset or 1) - 1, 0)
        raise _fail(f"{what} is not a valid expression: {exc.msg}", offset, locate) from None
    except (RecursionError, MemoryError, ValueError):
        raise _fail(f"{what} is nested too deeply", 0, locate) from None

    body = tree.body
    variable = names[0]
    bound = set(names)
    if isinstance(body, ast.Lambda):
        args = body.args
        if (len(args.args) != 1 or args.vararg or args.kwarg or args.kwonlyargs
                or args.posonlyargs or args.defaults):
            raise _fail(f"{what}: a lambda must take exactly one argument, e.g. \"lambda {variable}: ...\"",
                        body, locate)
        variable = args.args[0].arg
        bound = {variable}
        body = body.body
    elif names and not bound:
        bound = set(names)

    fn = _Compiler(bound, locate, what).compile(body, 0)
    located = _Compiler(bound, locate, what, locating=True).compile(body, 0)

    def locate_failure(x: Any) -> Location | None:
        try:
            located(x)
        except _Failed as failed:
            return locate(failed.offset)
        except (ArithmeticError, ValueError, TypeError):
            pass
        return None

    return Expression(text, variable, names, fn, locate(0), locate_failure)


class _Failed(Exception):
    """Raised by the locating build of an expression: the innermost piece that failed."""

    def __init__(self, offset: int):
        super().__init__(offset)
        self.offset = offset


class _Compiler:
    def __init__(self, bound: set[str], locate: Locator, what: str, locating: bool = False):
        self.bound = bound
        self.locate = locate
        self.what = what
        # The locating build wraps every operation to say which one failed; the fast build
        # (run at every step) has no such overhead and is only re-run this way on failure.
        self.locating = locating

    def fail(self, message: str, node: ast.AST, hint: str | None = None) -> SpecError:
        return _fail(f"{self.what}: {message}", node, self.locate, hint)

    def _number_hint(self, value: Any) -> str:
        """How to write the number ``value`` was meant to be: float('nan') was refused with no word of how."""
        try:
            number = float(value) if isinstance(value, str) else None
        except ValueError:
            number = None
        if number is None:
            names = ", ".join(sorted(self.bound)) or "numbers"
            return f"write a number without quotes, or arithmetic of {names}"
        if math.isnan(number):
            return "NaN has no name here: write inf - inf, which is NaN"
        if math.isinf(number):
            return f"write {'-' if number < 0 else ''}inf, without quotes"
        return f"write the number without quotes: {value.strip()}"

    def compile(self, node: ast.AST, depth: int) -> Callable[[Any], Any]:
        fn = self._compile(node, depth)
        if isinstance(node, ast.Constant) or any(
            isinstance(n, ast.Name) and n.id in self.bound for n in ast.walk(node)
        ):
            if self.locating and isinstance(node, (ast.BinOp, ast.UnaryOp, ast.Call, ast.Compare)):
                inner, offset = fn, node.col_offset

                def fn(x: Any) -> Any:
                    try:
                        return inner(x)
                    except (ArithmeticError, ValueError, TypeError):
                        raise _Failed(offset) from None
            return fn
        # A sub-expression without the variable is evaluated once, now, as Python's own
        # compiler would fold it: the same value, and "9**9**9" fails at load time.
        try:
            value = fn(None)
        except (ArithmeticError, ValueError, TypeError) as exc:
            raise self.fail(f"cannot be computed: {_explain(exc)}", node) from None
        return lambda x: value

    def _compile(self, node: ast.AST, depth: int) -> Callable[[Any], Any]:
        if depth > MAX_EXPRESSION_DEPTH:
            raise self.fail(f"nested deeper than {MAX_EXPRESSION_DEPTH} levels", node)
        c = lambda child: self.compile(child, depth + 1)  # noqa: E731
        if isinstance(node, ast.Constant):
            value = node.value
            if isinstance(value, bool) or not isinstance(value, (int, float)):
                raise self.fail(f"only numbers are allowed, not {value!r}", node, hint=self._number_hint(value))
            return lambda x: value
        if isinstance(node, ast.Name):
            if node.id in self.bound:
                return lambda x: x
            if node.id in CONSTANTS:
                value = CONSTANTS[node.id]
                return lambda x: value
            known = sorted(self.bound) + sorted(CONSTANTS)
            raise self.fail(f"unknown name '{node.id}'", node,
                            hint=f"the names available are {', '.join(known)}")
        if isinstance(node, ast.BinOp):
            op = _BINOPS.get(type(node.op))
            if op is None:
                raise self.fail(f"{_DESCRIBE.get(type(node.op), type(node.op).__name__)} cannot be used", node)
            left, right = c(node.left), c(node.right)
            return lambda x: op(left(x), right(x))
        if isinstance(node, ast.UnaryOp):
            op = _UNARY.get(type(node.op))
            if op is None:
                raise self.fail(f"{_DESCRIBE.get(type(node.op), type(node.op).__name__)} cannot be used", node)
            operand = c(node.operand)
            return lambda x: op(operand(x))
        if isinstance(node, ast.BoolOp):
            values = [c(v) for v in node.values]
            if isinstance(node.op, ast.And):
                def and_(x: Any) -> Any:
                    result = True
                    for v in values:
                        result = v(x)
                        if not result:
                            return result
                    return result
                return and_

            def or_(x: Any) -> Any:
                result = False
                for v in values:
                    result = v(x)
                    if result:
                        return result
                return result
            return or_
        if isinstance(node, ast.Compare):
            ops = []
            for op_node in node.ops:
                op = _COMPARE.get(type(op_node))
                if op is None:
                    raise self.fail(f"the comparison '{type(op_node).__name__}' is not allowed", node)
                ops.append(op)
            first = c(node.left)
            rest = [c(v) for v in node.comparators]
            pairs = list(zip(ops, rest))

            def compare(x: Any) -> bool:
                left = first(x)
                for op, right_fn in pairs:
                    right = right_fn(x)
                    if not op(left, right):
                        return False
                    left = right
                return True
            return compare
        if isinstance(node, ast.IfExp):
            test, body, orelse = c(node.test), c(node.body), c(node.orelse)
            return lambda x: body(x) if test(x) else orelse(x)
        if isinstance(node, ast.Call):
            if not isinstance(node.func, ast.Name) or node.func.id not in FUNCTIONS:
                name = node.func.id if isinstance(node.func, ast.Name) else None
                what = f"calling '{name}'" if name else "calling methods or results of calls"
                raise self.fail(f"{what} is not allowed", node,
                                hint=f"the functions available are {', '.join(sorted(FUNCTIONS))}")
            if node.keywords:
                raise self.fail("keyword arguments are not allowed", node)
            fn, lo, hi = FUNCTIONS[node.func.id]
            if not lo <= len(node.args) <= hi:
                count = f"{lo}" if lo == hi else f"{lo} to {hi}"
                raise self.fail(f"{node.func.id}() takes {count} arguments, got {len(node.args)}", node)
            args = [c(a) for a in node.args]
            if len(args) == 1:
                (a0,) = args
                return lambda x: fn(a0(x))
            if len(args) == 2:
                a0, a1 = args
                return lambda x: fn(a0(x), a1(x))
            return lambda x: fn(*[a(x) for a in args])
        described = _DESCRIBE.get(type(node), f"'{type(node).__name__}' expressions")
        raise self.fail(f"{described} cannot be used", node)
