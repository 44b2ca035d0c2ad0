"""`Value`: one float, its gradient, and the operation that produced it.

A Value is a node of a dynamic computation graph. It refers only to its parents (never
to its children, never to a closure that refers back to itself), so a graph is freed by
reference counting as soon as its output is dropped, without waiting for the cyclic
garbage collector. Arithmetic on Values delegates to the rule table in `autograd.ops`.

Labels may be dotted paths (`layers.0.neurons.3.w.1`): `nn` names the parameters and the
outputs of its modules that way, and `draw_dot` groups nodes by that prefix.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any, Union

from autograd import mode
from autograd.mode import is_grad_enabled

if TYPE_CHECKING:
    from autograd.ops import Op

_tracer: Any = None
"""While `autograd.trace` runs a function: what it records (new leaves, comparisons).

None otherwise, which is all the hot paths below look at.
"""

_INF = math.inf
_BIG_INT = 2**53  # every int below this in size is exactly a float

Number = Union[int, float]  # noqa: UP007  (aliases are evaluated at runtime on 3.10)
Operand = Union["Value", int, float]


def check_number(data: object, what: str = "Value") -> float:
    """Return `data` as a finite float, or raise naming what is wrong with it."""
    if type(data) is float:
        result = data
    elif type(data) is int and -_BIG_INT < data < _BIG_INT:  # the common `0 + x`, `2 * x`
        return float(data)
    elif isinstance(data, bool) or not isinstance(data, numbers.Real):
        raise TypeError(f"{what} needs an int or a float, got {type(data).__name__}: {data!r}")
    else:
        try:
            result = float(data)
        except OverflowError:  # an int or Fraction past 1.8e308
            raise ValueError(
                f"{what} needs a finite number, got {_shorten(data)}, too large for a float"
            ) from None
    if not math.isfinite(result):
        raise ValueError(f"{what} needs a finite number, got {result!r}")
    return result


def _shorten(number: object) -> str:
    """`repr(number)`, its middle cut out when it is long (a 400-digit int)."""
    try:
        text = repr(number)
    except ValueError:  # an int past Python's str conversion limit
        return f"an int of {number.bit_length()} bits" if isinstance(number, int) else "a number"
    if len(text) <= 40:
        return text
    return f"{text[:16]}...{text[-12:]} ({len(text)} characters)"


class Value:
    """A scalar in a computation graph: `data`, `grad`, and how it was computed.

    `Value(2.0, label="w")` makes a leaf. Arithmetic with Values or plain numbers on
    either side makes new nodes; `backward()` fills in `grad` for every node reachable.
    Equality and hashing are by identity, so Values can live in sets and dicts.
    """

    __slots__ = ("__weakref__", "_first", "_rule", "_second", "data", "grad", "label")

    data: float
    grad: float
    label: str
    _rule: Op | None  # the row of the rule table that made this node; None for a leaf
    # The inputs, held without a tuple for the ops of one or two (nearly every node): a tuple
    # per node was a second object for CPython to allocate, free and have its cycle collector
    # walk (the collector took about 40% of the bench's GPT step). `_first` is the first
    # input (None for a leaf), `_second` the second (None for one input); an op of three or
    # more inputs keeps them all in `_first` as a tuple, with `_second` set to MANY.
    _first: Any
    _second: Any

    def __init__(
        self,
        data: Number,
        _children: Iterable[Value] | str = (),
        _op: str = "",
        label: str = "",
    ) -> None:
        # micrograd's constructor form, Value(data, _children, _op, label), is accepted as is;
        # a str in second place is glassgrad's older positional label, Value(2.0, "w").
        if isinstance(_children, str):
            label = label or _children
            _children = ()
        self.data = check_number(data)
        self.grad = 0.0
        if not isinstance(label, str):
            raise TypeError(f"label must be a str, got {type(label).__name__}")
        if not isinstance(_op, str):
            raise TypeError(f"_op must be a str (the op's name), got {type(_op).__name__}")
        self.label = label
        if _tracer is not None:
            _tracer.created.append(self)
        parents = tuple(_children)
        for parent in parents:
            if not isinstance(parent, Value):
                raise TypeError(f"_children must be Values, got {type(parent).__name__}")
        _hold(self, parents)
        if parents:
            from autograd.op import HandWrittenRule  # the micrograd form only: off the hot path

            self._rule = HandWrittenRule(_op)
        elif _op:
            raise ValueError(f"_op={_op!r} names an operation, but no _children were given")
        else:
            self._rule = None

    # -- what produced this node -------------------------------------------------------

    @property
    def op(self) -> str:
        """The name of the operation that produced this node ('' for a leaf)."""
        return "" if self._rule is None else self._rule.name

    @property
    def _op(self) -> str:
        """micrograd's name for `op`: the operation's name as a str, '' for a leaf."""
        return "" if self._rule is None else self._rule.name

    @property
    def parents(self) -> tuple[Value, ...]:
        """The inputs of the operation that produced this node (empty for a leaf)."""
        first = self._first
        if first is None:
            return ()
        second = self._second
        if second is None:
            return (first,)
        if second is MANY:
            return first  # type: ignore[no-any-return]
        return (first, second)

    _parents = parents  # what the graph walks read, but for the hottest (see `_first`)

    @property
    def is_leaf(self) -> bool:
        """True for a Value made directly rather than by an operation."""
        return self._rule is None

    @property
    def _prev(self) -> set[Value]:
        """micrograd's name for the parents, so its drawing code runs unchanged."""
        return set(self._parents)

    @property
    def _backward(self) -> Callable[[], None]:
        """micrograd's per-node step: adds `self.grad * d(self)/d(parent)` to each parent's grad.

        Calling it node by node, outputs first, is backpropagation by hand (what `backward()`
        does in one call). A leaf's does nothing. Assigning a function replaces this node's
        rule, for `backward()` too, as micrograd's hand-written closures do.
        """
        from autograd.backward import apply_rule_once

        return lambda: apply_rule_once(self)

    @_backward.setter
    def _backward(self, step: Callable[[], None]) -> None:
        if not callable(step):
            raise TypeError(f"_backward must be a function of no arguments, got {step!r}")
        from autograd.op import HandWrittenRule

        if not self._parents:
            raise ValueError("a leaf has no rule to replace: _backward is for a node with parents")
        self._rule = HandWrittenRule(self.op, step)

    def __repr__(self) -> str:
        parts = [f"data={self.data:.6g}", f"grad={self.grad:.6g}"]
        if self._rule is not None:
            parts.append(f"op={self._rule.name!r}")
        if self.label:
            parts.append(f"label={self.label!r}")
        return f"Value({', '.join(parts)})"

    def __format__(self, spec: str) -> str:
        return format(self.data, spec) if spec else repr(self)

    # -- gradients -----------------------------------------------------------------------

    def backward(self) -> None:
        """Add d(self)/d(node) to `node.grad` for every node this one depends on.

        Gradients accumulate: call `zero_grad` (or set `grad = 0.0`) between steps.
        Calling it twice on the same graph adds the same gradients twice, exactly.
        """
        from autograd.backward import backward

        backward(self)

    def detach(self) -> Value:
        """A new leaf with the same data, cut off from this graph."""
        return leaf(self.data)

    # -- arithmetic: every operator is a row of the rule table ---------------------------

    # These methods are the typed, documented form. Once the table is built, `autograd.ops`
    # puts its apply functions in their place (`Value.__mul__ is ops.mul`): one call a node.

    def __add__(self, other: Operand) -> Value:
        return ops.add(self, other)

    def __radd__(self, other: Operand) -> Value:
        return ops.add(other, self)

    def __sub__(self, other: Operand) -> Value:
        return ops.sub(self, other)

    def __rsub__(self, other: Operand) -> Value:
        return ops.sub(other, self)

    def __mul__(self, other: Operand) -> Value:
        return ops.mul(self, other)

    def __rmul__(self, other: Operand) -> Value:
        return ops.mul(other, self)

    def __truediv__(self, other: Operand) -> Value:
        return ops.div(self, other)

    def __rtruediv__(self, other: Operand) -> Value:
        return ops.div(other, self)

    def __pow__(self, exponent: Operand) -> Value:
        return ops.power(self, exponent)

    def __rpow__(self, base: Operand) -> Value:
        return ops.power(base, self)

    def __neg__(self) -> Value:
        return ops.neg(self)

    def __pos__(self) -> Value:
        return self

    def exp(self) -> Value:
        """e ** self; raises `DomainError` where the result would overflow."""
        return ops.exp(self)

    def log(self) -> Value:
        """Natural logarithm; raises `DomainError` for self <= 0."""
        return ops.log(self)

    def tanh(self) -> Value:
        """Hyperbolic tangent."""
        return ops.tanh(self)

    def sigmoid(self) -> Value:
        """1 / (1 + e ** -self), computed without overflow for large |self|."""
        return ops.sigmoid(self)

    def relu(self) -> Value:
        """max(0, self); its derivative at 0 is taken as 0, as in PyTorch."""
        return ops.relu(self)

    def abs(self) -> Value:
        """|self|; its derivative at 0 is taken as 0, as in PyTorch."""
        return ops.absolute(self)

    __abs__ = abs

    # -- comparisons look at data and return bool; == stays identity ----------------------

    # While tracing, each comparison is recorded: the program checks it again at each call.

    def __lt__(self, other: Operand) -> bool:
        result = self.data < _data(other)
        if _tracer is not None:
            _tracer.compared(self, "<", other, result)
        return result

    def __le__(self, other: Operand) -> bool:
        result = self.data <= _data(other)
        if _tracer is not None:
            _tracer.compared(self, "<=", other, result)
        return result

    def __gt__(self, other: Operand) -> bool:
        result = self.data > _data(other)
        if _tracer is not None:
            _tracer.compared(self, ">", other, result)
        return result

    def __ge__(self, other: Operand) -> bool:
        result = self.data >= _data(other)
        if _tracer is not None:
            _tracer.compared(self, ">=", other, result)
        return result

    __hash__ = object.__hash__


def _data(x: Operand) -> float:
    return x.data if isinstance(x, Value) else check_number(x, "comparison")


_new_value: Callable[[type[Value]], Value] = object.__new__


class _Many:
    """The type of `MANY`, which has one instance."""

    def __repr__(self) -> str:
        return "MANY"


MANY: Any = _Many()
"""In `_second`: the node's inputs are the tuple in `_first` (an op of 3 or more inputs)."""


def _hold(node: Value, parents: tuple[Value, ...]) -> None:
    """Store `parents` as `_first` and `_second` (see `Value`)."""
    if not parents:
        node._first = node._second = None
    elif len(parents) == 1:
        node._first, node._second = parents[0], None
    elif len(parents) == 2:
        node._first, node._second = parents
    else:
        node._first, node._second = parents, MANY


def leaf(data: float, label: str = "") -> Value:
    """A leaf from a float already known to be finite (skips the checks of `Value()`)."""
    node = _new_value(Value)
    node.data = data
    node.grad = 0.0
    node.label = label
    node._rule = None
    node._first = node._second = None
    if _tracer is not None:
        _tracer.created.append(node)
    return node


def node(data: float, op: Op, parents: tuple[Value, ...]) -> Value:
    """The result of `op` on `parents`: a graph node, or a leaf when gradients are off.

    The hot paths build their nodes with these same lines written out, one call fewer per
    operation: `op._make_apply` (one and two inputs) and `fastpath`'s written `+ - *`.
    """
    result = _new_value(Value)
    result.data = data
    result.grad = 0.0
    result.label = ""
    if not mode.open_blocks or is_grad_enabled():
        result._rule = op
        _hold(result, parents)
    else:
        result._rule = None
        result._first = result._second = None
    return result


def as_value(x: Any) -> Value:
    """`x` itself if it is a Value, else a new constant leaf (checked like `Value(x)`).

    Every `x * 2.0` makes one of these, so the common case, a finite float, is one call.
    """
    if isinstance(x, Value):
        return x
    constant = _new_value(Value)
    constant.data = x if type(x) is float and -_INF < x < _INF else check_number(x)
    constant.grad = 0.0
    constant.label = ""
    constant._rule = None
    constant._first = constant._second = None
    if _tracer is not None:
        _tracer.created.append(constant)
    return constant


from autograd import ops  # noqa: E402  (the rule table needs Value defined first)
