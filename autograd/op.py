"""What an operation is (`Op`), how one is added (`define_op`), and how one is applied.

Applying an op computes its forward on the inputs' floats, refuses a result that is not a
finite real number (`DomainError`), and records a graph node. This runs once per node of
every graph, so the one- and two-input cases are written out without generic plumbing.
"""

from __future__ import annotations

import inspect
import math
import re
from collections.abc import Callable, Sequence
from itertools import repeat
from typing import Any, ClassVar

from autograd import mode
from autograd.mode import is_grad_enabled
from autograd.value import Operand, Value, as_value, check_number, node

_INF = math.inf


class DomainError(ValueError):
    """An operation was asked for a result that is not a finite real number."""


class DivisionByZeroError(DomainError, ZeroDivisionError):
    """A division by zero, forward or in a derivative rule: both a `DomainError` and the
    `ZeroDivisionError` Python's own `1 / 0` raises, so either `except` catches it."""


class Op:
    """One row of the rule table: a named forward function and its derivative rule."""

    __slots__ = (
        "apply",
        "arity",
        "backward",
        "formula",
        "forward",
        "name",
        "smooth",
        "step",
        "uses_output",
    )

    hand_written: ClassVar[bool] = False
    """True for the rule of a node built micrograd's way (see `HandWrittenRule`)."""

    def __init__(
        self,
        name: str,
        forward: Callable[..., float],
        backward: Callable[..., Sequence[Any]],
        *,
        uses_output: bool = False,
        smooth: Callable[..., bool] | None = None,
        arity: int | None = None,
        formula: str = "",
    ) -> None:
        self.name = name
        self.formula = formula
        self.forward = forward
        self.backward = backward
        self.uses_output = uses_output
        self.arity = _arity(name, forward, arity)
        self.smooth = smooth
        self.apply: Callable[..., Value] = _make_apply(self)
        self.step: Callable[[Value], None] = apply_rule
        """One node's share of `backward()`: add `node.grad * d(node)/d(parent)` to each
        parent's `.grad`. The built-in ops get a step written out from their rule."""

    def __repr__(self) -> str:
        return f"Op({self.name!r})"


class HandWrittenRule(Op):
    """The rule of a node built micrograd's way, `Value(data, _children, _op)`.

    Its derivative is whatever function was assigned to the node's `_backward` (which adds
    into the parents' grads itself, as micrograd's closures do); until one is assigned the
    node has no rule, and `backward()` through it says so.
    """

    __slots__ = ()
    hand_written = True

    def __init__(self, name: str, step: Callable[[], None] | None = None) -> None:
        def run(g: Any, *inputs: Any) -> tuple[float, ...]:
            if step is None:
                raise TypeError(
                    f"the node {name or '(unnamed)'!r} was made by Value(data, _children, _op) "
                    "and has no derivative rule: assign its _backward, or compute it with "
                    "operators (a + b, a.tanh(), ...)"
                )
            step()  # adds into the parents' grads itself
            return (0.0,) * len(inputs)

        def apply(*xs: Any) -> Any:
            raise TypeError(f"{name!r} was written by hand for one node and cannot be applied")

        self.name = name
        self.formula = "a _backward written by hand (micrograd's way)"
        self.forward = apply
        self.backward = run
        self.uses_output = False
        self.arity = None
        self.smooth = None
        self.apply = apply
        self.step = apply_rule


def local_gradients(node: Value, g: float) -> Sequence[Any]:
    """The float gradients `node`'s rule sends to its parents for incoming gradient `g`."""
    op = node._rule
    assert op is not None
    inputs = [parent.data for parent in node._parents]
    return op.backward(g, node.data, *inputs) if op.uses_output else op.backward(g, *inputs)


def apply_rule(node: Value) -> None:
    """Add `node.grad * d(node)/d(parent)` to each parent's `.grad`, by calling the rule of
    `node`'s op on floats: the step of `backward()` for any op (see `Op.step`)."""
    for parent, grad in zip(node._parents, local_gradients(node, node.grad)):
        parent.grad += grad


OPS: dict[str, Op] = {}
"""Every named operation, built-in and user-defined, by name."""

_BUILT_IN: dict[str, None] = {}  # an ordered set: the names, in table order


def define_op(
    name: str,
    forward: Callable[..., float],
    backward: Callable[..., Sequence[Any]],
    *,
    uses_output: bool = False,
    smooth: Callable[..., bool] | None = None,
    arity: int | None = None,
    replace: bool = False,
    formula: str = "",
) -> Callable[..., Value]:
    """Add an operation to the table and return a function that applies it.

    `forward(*xs: float) -> float` computes the result; `backward(g, *xs)` returns one
    gradient per input, written with arithmetic and ops (the returned function gives a
    float for plain numbers and a Value for Values), so the rule runs on floats in the
    first-order pass and on Values for every higher order. With `uses_output=True` the
    rule is `backward(g, out, *xs)`. `smooth(*xs) -> bool` tells property tests where the op is
    defined and differentiable with some room (away from kinks and poles). `formula` is the
    rule in words for people (`"d(a*b)/da = b, d(a*b)/db = a"`); the backward player shows it.

    `arity` is the number of inputs. By default it is read from `forward`'s signature
    (parameters with a default value are not inputs; `*xs` means any number); a function
    without one, such as `math.hypot`, needs it. Calling the op with another number of
    inputs is a TypeError naming it.

    A name is defined once: defining it again with a different forward, rule or options
    is a ValueError unless `replace=True` (running the same definition again, as when a
    notebook cell is re-run, is allowed). Replacing changes what the name means for
    `OPS`, strategies and new `define_op` handles; a function returned by an earlier
    `define_op` keeps applying the op it was made for. The built-in names are fixed.
    """
    if not isinstance(name, str) or not name:
        raise TypeError(f"define_op needs a non-empty str name, got {name!r}")
    if name in _BUILT_IN:
        raise ValueError(f"define_op: {name!r} is a built-in op and cannot be redefined")
    for what, fn in (("forward", forward), ("backward", backward)):
        if not callable(fn):
            raise TypeError(f"define_op({name!r}): {what} must be callable, got {fn!r}")
    if smooth is not None and not callable(smooth):
        raise TypeError(f"define_op({name!r}): smooth must be callable or None, got {smooth!r}")
    n = _arity(name, forward, arity)
    if n is not None:
        _check_takes(name, "backward", backward, n + (2 if uses_output else 1))
        if smooth is not None:
            _check_takes(name, "smooth", smooth, n)
    earlier = OPS.get(name)
    if (
        earlier is not None
        and not replace
        and not _same_definition(earlier, forward, backward, uses_output, smooth, n)
    ):
        raise ValueError(
            f"define_op: {name!r} is already defined with another forward, rule or options; "
            "pass replace=True to replace it (functions returned by the earlier define_op "
            "keep applying the earlier op)"
        )
    rule = _checked_rule(name, backward, uses_output) if _BUILT_IN else backward
    op = Op(name, forward, rule, uses_output=uses_output, smooth=smooth, arity=n, formula=formula)
    OPS[name] = op
    return op.apply


def mark_built_in() -> None:
    """Freeze the names defined so far (the built-in table) against redefinition."""
    _BUILT_IN.update(dict.fromkeys(OPS))


def _checked_rule(
    name: str, rule: Callable[..., Sequence[Any]], uses_output: bool
) -> Callable[..., Sequence[Any]]:
    """`rule`, raising a TypeError that names the op if it returns the wrong things or
    calls a `math` function on a Value (in the higher-order pass, which gives it Values)."""
    skip = 2 if uses_output else 1  # g (and out) come before the inputs

    def checked(*args: Any) -> Sequence[Any]:
        try:
            grads = rule(*args)
        except TypeError as error:
            if _MATH_ON_VALUE.search(str(error)) and any(isinstance(a, Value) for a in args):
                raise TypeError(
                    f"the derivative rule of {name!r} called a math function on a Value: "
                    "write it with ops (exp, log, tanh, ** ...) or define the function with "
                    f"define_op ({error})"
                ) from error
            raise
        count = len(args) - skip
        if not isinstance(grads, (tuple, list)) or len(grads) != count:
            raise TypeError(
                f"the derivative rule of {name!r} must return a tuple with one gradient per "
                f"input ({count}), got {grads!r}"
            )
        if type(args[0]) is float:  # the first-order pass: every gradient a number
            for grad in grads:
                if isinstance(grad, bool) or not isinstance(grad, (int, float)):
                    raise TypeError(
                        f"the derivative rule of {name!r} returned {type(grad).__name__} "
                        f"{grad!r} for float inputs: write it with arithmetic and ops, "
                        f"which give floats for floats and Values for Values"
                    )
        return grads

    checked.__wrapped__ = rule  # type: ignore[attr-defined]
    return checked


# What math.exp(v), float(v) and the like say when given a Value.
_MATH_ON_VALUE = re.compile(r"real number, not '?Value'?")


def _arity(name: str, forward: Callable[..., float], arity: int | None) -> int | None:
    """How many inputs the op takes: `arity` if given (checked against `forward`'s
    signature), else read from the signature; None when it takes any number (*xs)."""
    if arity is not None and (isinstance(arity, bool) or not isinstance(arity, int) or arity < 0):
        raise TypeError(f"define_op({name!r}): arity must be a non-negative int, got {arity!r}")
    try:
        parameters = list(inspect.signature(forward).parameters.values())
    except (TypeError, ValueError):
        if arity is None:
            raise TypeError(
                f"define_op({name!r}): cannot tell how many inputs {forward!r} takes (it has "
                "no signature): pass arity=N"
            ) from None
        return arity
    required = 0
    most: int | None = 0  # None: any number
    for parameter in parameters:
        if parameter.kind is parameter.VAR_POSITIONAL:
            most = None
        elif parameter.kind in (parameter.POSITIONAL_ONLY, parameter.POSITIONAL_OR_KEYWORD):
            if most is not None:
                most += 1
            if parameter.default is parameter.empty:
                required += 1
        elif parameter.kind is parameter.KEYWORD_ONLY and parameter.default is parameter.empty:
            raise TypeError(
                f"define_op({name!r}): forward has a keyword-only parameter without a default "
                f"({parameter.name!r}); the op can only pass inputs by position"
            )
    if arity is None:
        return None if most is None else required
    if arity < required or (most is not None and arity > most):
        takes = f"{required} or more" if most is None else f"{required} to {most}"
        raise TypeError(
            f"define_op({name!r}): arity={arity}, but forward takes "
            f"{required if most == required else takes} inputs"
        )
    return arity


def _check_takes(name: str, what: str, fn: Callable[..., Any], count: int) -> None:
    """A TypeError naming the op unless `fn` can be called with `count` positional args."""
    try:
        signature = inspect.signature(fn)
    except (TypeError, ValueError):
        return  # nothing to check: it will say so itself when called
    try:
        signature.bind(*range(count))
    except TypeError as error:
        raise TypeError(
            f"define_op({name!r}): {what} is called with {count} positional arguments "
            f"({_CALLED_WITH[what]}), but it cannot take them: {error}"
        ) from None


_CALLED_WITH = {
    "backward": "g, then out if uses_output=True, then one per input",
    "smooth": "one per input",
}


def _same_definition(
    op: Op,
    forward: Callable[..., float],
    backward: Callable[..., Sequence[Any]],
    uses_output: bool,
    smooth: Callable[..., bool] | None,
    arity: int | None,
) -> bool:
    """True if `op` was defined with these very functions (or the same code, as when a
    notebook cell runs again) and options: redefining it so changes nothing."""
    return (
        op.uses_output == uses_output
        and op.arity == arity
        and _same_function(op.forward, forward)
        and _same_function(getattr(op.backward, "__wrapped__", op.backward), backward)
        and (
            op.smooth is smooth
            or (op.smooth is not None and smooth is not None and _same_function(op.smooth, smooth))
        )
    )


def _same_function(a: Callable[..., Any], b: Callable[..., Any]) -> bool:
    if a is b:
        return True
    code_a, code_b = getattr(a, "__code__", None), getattr(b, "__code__", None)
    return (
        code_a is not None
        and code_a == code_b
        and getattr(a, "__closure__", None) is None
        and getattr(b, "__closure__", None) is None
        and getattr(a, "__defaults__", None) == getattr(b, "__defaults__", None)
        and getattr(a, "__kwdefaults__", None) == getattr(b, "__kwdefaults__", None)
    )


def _make_apply(op: Op) -> Callable[..., Value]:
    """The function that runs `op` on Values or numbers and records the node."""
    forward = op.forward
    name = op.name
    new = object.__new__
    grad_enabled = is_grad_enabled

    def compute(args: list[float]) -> float:
        """The forward on floats, refused unless it is a finite real number."""
        try:
            data = forward(*args)
        except (ArithmeticError, ValueError) as error:
            raise _failed(name, args, error) from None
        if type(data) is not float or not -_INF < data < _INF:
            data = _checked(name, data, args)
        return data

    def on_numbers(*xs: Operand) -> float:
        """Plain numbers in, a plain float out: no graph, the same checks.

        This is what lets a derivative rule call other ops (`g * cos(x)`) and run on
        floats in the first-order pass as well as on Values for higher orders.
        """
        return compute([check_number(x, f"{name} input") for x in xs])

    if op.arity == 1:

        def apply(x: Operand) -> Any:
            if not isinstance(x, Value):
                return on_numbers(x)
            try:
                data = forward(x.data)
            except (ArithmeticError, ValueError) as error:
                raise _failed(name, (x.data,), error) from None
            if type(data) is not float or not -_INF < data < _INF:
                data = _checked(name, data, (x.data,))
            # node() written out: this is the hottest path of the library.
            result = new(Value)
            result.data = data
            result.grad = 0.0
            result.label = ""
            if not mode.open_blocks or grad_enabled():
                result._rule = op
                result._first = x
            else:
                result._rule = None
                result._first = None
            result._second = None
            return result

    elif op.arity == 2:

        def apply(x: Operand, y: Operand) -> Any:  # type: ignore[misc]
            if not isinstance(x, Value):
                if not isinstance(y, Value):
                    return on_numbers(x, y)
                x = as_value(x)
            elif not isinstance(y, Value):
                y = as_value(y)
            try:
                data = forward(x.data, y.data)
            except (ArithmeticError, ValueError) as error:
                raise _failed(name, (x.data, y.data), error) from None
            if type(data) is not float or not -_INF < data < _INF:
                data = _checked(name, data, (x.data, y.data))
            result = new(Value)
            result.data = data
            result.grad = 0.0
            result.label = ""
            if not mode.open_blocks or grad_enabled():
                result._rule = op
                result._first = x
                result._second = y
            else:
                result._rule = None
                result._first = result._second = None
            return result

    else:

        def apply(*xs: Operand) -> Any:  # type: ignore[misc]
            if op.arity is not None and len(xs) != op.arity:
                raise TypeError(f"{name} takes {op.arity} inputs, got {len(xs)}")
            # Usually all Values already (a neuron's weights and inputs): checked in C.
            inputs: tuple[Value, ...]
            if all(map(isinstance, xs, repeat(Value))):
                inputs = xs  # type: ignore[assignment]
            elif not any(map(isinstance, xs, repeat(Value))):
                return on_numbers(*xs)
            else:
                inputs = tuple(map(as_value, xs))
            return node(compute([x.data for x in inputs]), op, inputs)

    apply.__name__ = apply.__qualname__ = name if name.isidentifier() else "apply"
    apply.__doc__ = f"Apply the op {name!r} to Values or numbers."
    return apply


def _failed(name: str, args: Sequence[float], error: Exception) -> Exception:
    """The error to raise when a forward raised: DomainErrors pass through unchanged."""
    if isinstance(error, DomainError):
        return error
    kind = DivisionByZeroError if isinstance(error, ZeroDivisionError) else DomainError
    return kind(f"{name}({', '.join(map(repr, args))}) failed: {error}")


RULE_FAILURES = (ArithmeticError, ValueError)
"""What a derivative rule raises when the numbers fail it (a TypeError is a malformed rule
or a node without one, and passes through as it is)."""


def describe_node(name: str, inputs: Sequence[Any], out: Any) -> str:
    """`name(inputs) = out`, the way error messages show one node."""
    return f"{name}({', '.join(map(repr, map(_number, inputs)))}) = {_number(out)!r}"


def rule_failed(name: str, inputs: Sequence[Any], out: Any, error: Exception) -> DomainError:
    """The DomainError for a derivative rule of `name` that raised `error` at this node.

    A division by zero stays a ZeroDivisionError too, so `except ZeroDivisionError` works.
    """
    kind = DivisionByZeroError if isinstance(error, ZeroDivisionError) else DomainError
    where = describe_node(name, inputs, out)
    return kind(f"the derivative rule of {name!r} failed at {where}: {error}")


def _number(x: Any) -> Any:
    return x.data if isinstance(x, Value) else x


def _checked(name: str, data: object, args: Sequence[float]) -> float:
    """`data` as a float, or a DomainError if it is not a finite real number."""
    if isinstance(data, bool) or not isinstance(data, (int, float)):
        raise DomainError(f"{name} returned {type(data).__name__} {data!r}, not a real number")
    result = float(data)
    if not -_INF < result < _INF:
        raise DomainError(
            f"{name}({', '.join(map(repr, args))}) = {result!r} is not a finite number"
        )
    return result
