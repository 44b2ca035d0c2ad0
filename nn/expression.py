"""Arithmetic from the command line turned into a graph of Values: parsed, never evaluated.

`build("x*y + exp(x)", {"x": 2, "y": 3})` reads the text with the `ast` module, accepts
only numbers, names, `+ - * / **`, unary minus and calls of `exp log tanh sigmoid relu`,
and applies the matching Value operations. Python's `eval` is never used, so no text
can reach an attribute, an import or any other function. Anything else is an
`ExpressionError` whose message is one line a person can act on.
"""

from __future__ import annotations

import ast
import keyword
import math
import operator
import unicodedata
import warnings
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from autograd import Value

__all__ = ["FUNCTIONS", "MAX_LENGTH", "ExpressionError", "build", "parse_assignments"]

FUNCTIONS: dict[str, Callable[[Value], Value]] = {
    "exp": Value.exp,
    "log": Value.log,
    "tanh": Value.tanh,
    "sigmoid": Value.sigmoid,
    "relu": Value.relu,
}
"""The functions an expression may call, each a method of Value."""

MAX_LENGTH = 10_000
"""The longest expression accepted (characters)."""

_BINARY: dict[type[ast.operator], Callable[[Any, Any], Any]] = {
    ast.Add: operator.add,
    ast.Sub: operator.sub,
    ast.Mult: operator.mul,
    ast.Div: operator.truediv,
    ast.Pow: operator.pow,
}
_SYMBOLS = {
    ast.FloorDiv: "//",
    ast.Mod: "%",
    ast.MatMult: "@",
    ast.LShift: "<<",
    ast.RShift: ">>",
    ast.BitOr: "|",
    ast.BitXor: "^",
    ast.BitAnd: "&",
    ast.Not: "not",
    ast.Invert: "~",
}
_ALLOWED = "numbers, names, + - * / **, unary minus and calls of " + ", ".join(FUNCTIONS)

Term = Value | float


class ExpressionError(ValueError):
    """The expression or a NAME=VALUE is not acceptable; the message says why, in one line."""


def parse_assignments(items: Sequence[str]) -> dict[str, float]:
    """`["x=2", "y=-0.5"]` -> `{"x": 2.0, "y": -0.5}`, checking names and numbers."""
    values: dict[str, float] = {}
    for item in items:
        name, equals, text = item.partition("=")
        # Python reads names in NFKC form (fullwidth x is x, the ligature fi is fi): so
        # does this, or a name would be "unknown" in an expression that uses it.
        name = unicodedata.normalize("NFKC", name.strip())
        if not equals:
            raise ExpressionError(f"expected NAME=VALUE, got {item!r}")
        _check_name(name, item)
        if name in values:
            raise ExpressionError(f"{name} is given twice")
        try:
            number = float(text)
        except ValueError:
            raise ExpressionError(f"{item!r}: {text.strip()!r} is not a number") from None
        if not math.isfinite(number):
            raise ExpressionError(f"{item!r}: the value must be a finite number")
        values[name] = number
    return values


def _check_name(name: str, item: str) -> None:
    if not name.isidentifier() or keyword.iskeyword(name):
        raise ExpressionError(f"{item!r}: {name!r} is not a valid name")
    if name in FUNCTIONS:
        raise ExpressionError(f"{item!r}: {name!r} is a function and cannot be given a value")


def build(expression: str, values: Mapping[str, float]) -> tuple[Value, dict[str, Value]]:
    """The Value computed by `expression`, and the input Value made for each name.

    Each name becomes one leaf labelled with it (used twice, it is the same leaf); every
    name in `values` must appear in the expression and every name in it must be given.
    """
    tree = _parse(expression)
    inputs = {name: Value(number, label=name) for name, number in values.items()}
    used: set[str] = set()
    # Post-order walk with an explicit stack: deeply nested input cannot exhaust the
    # recursion limit here (the parser itself refuses absurd nesting).
    results: list[Term] = []
    stack: list[tuple[ast.AST, bool]] = [(tree.body, False)]
    while stack:
        node, ready = stack.pop()
        if not ready:
            children = _children(node, expression)
            stack.append((node, True))
            stack.extend((child, False) for child in reversed(children))
            continue
        if isinstance(node, ast.Constant):
            results.append(_number(node.value))
        elif isinstance(node, ast.Name):
            if node.id not in inputs:
                raise ExpressionError(
                    f"unknown name {node.id!r}: give its value as {node.id}=NUMBER"
                )
            used.add(node.id)
            results.append(inputs[node.id])
        elif isinstance(node, ast.UnaryOp):
            operand = results.pop()
            results.append(operand if isinstance(node.op, ast.UAdd) else -operand)
        elif isinstance(node, ast.BinOp):
            right, left = results.pop(), results.pop()
            if not isinstance(left, Value) and not isinstance(right, Value):
                left = Value(left)  # numbers alone go through the engine's checks too
            results.append(_BINARY[type(node.op)](left, right))
        elif isinstance(node, ast.Call):
            assert isinstance(node.func, ast.Name)  # checked by _children
            argument = results.pop()
            results.append(FUNCTIONS[node.func.id](_as_value(argument)))
    unused = [name for name in inputs if name not in used]
    if unused:
        raise ExpressionError(
            f"{unused[0]}={values[unused[0]]:g} is given but the expression does not use "
            f"{unused[0]}"
        )
    return _as_value(results.pop()), inputs


def _parse(expression: str) -> ast.Expression:
    if not isinstance(expression, str):
        raise ExpressionError(f"the expression must be text, got {type(expression).__name__}")
    if not expression.strip():
        raise ExpressionError("the expression is empty")
    if len(expression) > MAX_LENGTH:
        raise ExpressionError(
            f"the expression is {len(expression)} characters long; the limit is {MAX_LENGTH}"
        )
    try:
        with warnings.catch_warnings():  # "invalid decimal literal" and the like: the
            warnings.simplefilter("ignore")  # error below, if any, says enough
            return ast.parse(expression.strip(), mode="eval")
    except SyntaxError as error:
        where = f" at column {error.offset}" if error.offset else ""
        raise ExpressionError(f"cannot parse {_short(expression)}: {error.msg}{where}") from None
    except (RecursionError, MemoryError):
        raise ExpressionError("the expression is nested too deeply") from None
    except ValueError as error:  # e.g. an integer literal of more than 4300 digits
        raise ExpressionError(f"cannot parse {_short(expression)}: {error}") from None


def _children(node: ast.AST, expression: str) -> list[ast.AST]:
    """The sub-expressions of an allowed node, in evaluation order; anything else raises."""
    if isinstance(node, (ast.Constant, ast.Name)):
        return []
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.USub, ast.UAdd)):
        return [node.operand]
    if isinstance(node, ast.BinOp) and type(node.op) in _BINARY:
        return [node.left, node.right]
    if isinstance(node, ast.Call):
        if not isinstance(node.func, ast.Name):
            raise ExpressionError(f"{_snippet(node.func, expression)} cannot be called: {_hint()}")
        name = node.func.id
        if name not in FUNCTIONS:
            raise ExpressionError(f"unknown function {name!r}: use one of {', '.join(FUNCTIONS)}")
        if len(node.args) != 1 or node.keywords or isinstance(node.args[0], ast.Starred):
            raise ExpressionError(f"{name}() takes exactly one argument")
        return [node.args[0]]
    if isinstance(node, (ast.BinOp, ast.UnaryOp)) and type(node.op) in _SYMBOLS:
        raise ExpressionError(f"the operator {_SYMBOLS[type(node.op)]} is not allowed: {_hint()}")
    if isinstance(node, ast.Attribute):
        raise ExpressionError(
            f"attribute access ({_snippet(node, expression)}) is not allowed: {_hint()}"
        )
    raise ExpressionError(f"{_kind(node)} ({_snippet(node, expression)}) is not allowed: {_hint()}")


def _number(value: object) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ExpressionError(f"only numbers are allowed as constants, got {value!r:.40}")
    try:
        number = float(value)
    except OverflowError:
        raise ExpressionError("a number in the expression is too large for a float") from None
    if not math.isfinite(number):
        raise ExpressionError("a number in the expression is too large for a float")
    return number


def _as_value(x: Term) -> Value:
    return x if isinstance(x, Value) else Value(x)


def _hint() -> str:
    return f"only {_ALLOWED} are allowed"


_KINDS = {
    ast.Compare: "a comparison",
    ast.BoolOp: "and/or",
    ast.IfExp: "if/else",
    ast.Lambda: "lambda",
    ast.Subscript: "indexing",
    ast.List: "a list",
    ast.Tuple: "a tuple",
    ast.Dict: "a dict",
    ast.Set: "a set",
    ast.JoinedStr: "an f-string",
    ast.NamedExpr: "assignment (:=)",
    ast.Starred: "unpacking (*)",
    ast.ListComp: "a comprehension",
    ast.GeneratorExp: "a generator",
    ast.Await: "await",
}


def _kind(node: ast.AST) -> str:
    return _KINDS.get(type(node), type(node).__name__)


def _snippet(node: ast.AST, expression: str) -> str:
    text = ast.get_source_segment(expression.strip(), node) or ast.unparse(node)
    return _short(text)


def _short(text: str, limit: int = 40) -> str:
    text = " ".join(text.split())
    return repr(text if len(text) <= limit else text[: limit - 3] + "...")
