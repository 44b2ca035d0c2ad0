"""The rule table: every operation's forward on floats and its derivative rule, in one place.

A derivative rule `backward(g, *xs)` returns, for each input x_i, `g * d(out)/d(x_i)`.
Rules are written with arithmetic and ops (`log`, `power`: given plain numbers an op gives a
float, given Values a Value), so one rule serves twice: called with floats it is the fast
first-order backward pass; called with Values it builds the graph of the derivative, which
is what makes `grad(grad(f))` work. Rules marked
`uses_output=True` also receive the forward result: `backward(g, out, *xs)`.

Each op is defined with `define_op` (in `autograd.op`), the same function users call to
add their own, so theirs are treated exactly like these.
"""

from __future__ import annotations

import math
import operator
from collections.abc import Iterable, Sequence
from functools import lru_cache
from typing import Any

from autograd import fastpath
from autograd.op import OPS, DivisionByZeroError, DomainError, Op, define_op, mark_built_in
from autograd.value import Operand, Value, check_number, leaf

__all__ = ["OPS", "DomainError", "Op", "define_op", "dot", "power", "sum_values"]


def _data(x: Any) -> float:
    """The number in `x`, a float or a Value: for the branches a rule takes."""
    return x.data if isinstance(x, Value) else float(x)


# -- forwards on floats, each raising a DomainError that names the op and the value -------


def _divide(a: float, b: float) -> float:
    if b == 0.0:
        raise DivisionByZeroError(f"division by zero: {a!r} / {b!r}")
    return a / b


def _exp_forward(x: float) -> float:
    try:
        return math.exp(x)
    except OverflowError:
        raise DomainError(
            f"exp({x!r}) overflows a float (exp is finite up to about 709.78)"
        ) from None


def _log_forward(x: float) -> float:
    if x <= 0.0:
        raise DomainError(f"log is defined for x > 0 only, got log({x!r})")
    return math.log(x)


def _sigmoid_forward(x: float) -> float:
    if x >= 0.0:
        return 1.0 / (1.0 + math.exp(-x))
    z = math.exp(x)  # exp of a negative number never overflows
    return z / (1.0 + z)


def _relu_forward(x: float) -> float:
    return x if x > 0.0 else 0.0


def _pow_forward(x: float, y: float) -> float:
    if x == 0.0 and y < 0.0:
        raise DivisionByZeroError(f"0 ** negative is undefined: {x!r} ** {y!r}")
    if x < 0.0 and not float(y).is_integer():
        raise DomainError(f"negative ** non-integer is not real: {x!r} ** {y!r}")
    try:
        return float(x**y)
    except OverflowError:
        raise DomainError(f"{x!r} ** {y!r} overflows a float") from None


# -- derivative rules that need more than one line -----------------------------------------


def _pow_backward(g: Any, out: Any, x: Any, y: Any) -> tuple[Any, Any]:
    base = _data(x)
    # 0 ** (0 - 1) is undefined, but the slope of x ** 0 is 0 everywhere.
    d_base = g * 0.0 if base == 0.0 and _data(y) == 0.0 else g * y * power(x, y - 1.0)
    if base < 0.0:
        raise DomainError(
            f"the derivative of x ** y with respect to y is undefined for a negative base "
            f"(x = {base!r})"
        )
    d_exponent = g * 0.0 if base == 0.0 else g * out * log(x)
    return d_base, d_exponent


def _dot_forward(*xs: float) -> float:
    n = len(xs) // 2
    total = sum(map(operator.mul, xs[:n], xs[n : 2 * n]))
    return total + xs[-1] if len(xs) % 2 else float(total)


def _dot_backward(g: Any, *xs: Any) -> list[Any]:
    n = len(xs) // 2
    grads = [g * x for x in xs[n : 2 * n]]
    grads += [g * w for w in xs[:n]]
    if len(xs) % 2:
        grads.append(g)
    return grads


def _sum_forward(*xs: float) -> float:
    return float(sum(xs))


def _sum_backward(g: Any, *xs: Any) -> tuple[Any, ...]:
    return (g,) * len(xs)


# -- the table -----------------------------------------------------------------------------


def _far_from_zero(x: float) -> bool:
    return abs(x) > 1e-3


add = define_op("+", operator.add, lambda g, a, b: (g, g), formula="d(a+b)/da = 1, d(a+b)/db = 1")
sub = define_op("-", operator.sub, lambda g, a, b: (g, -g), formula="d(a-b)/da = 1, d(a-b)/db = -1")
mul = define_op(
    "*", operator.mul, lambda g, a, b: (g * b, g * a), formula="d(a*b)/da = b, d(a*b)/db = a"
)
div = define_op(
    "/",
    _divide,
    lambda g, a, b: (g / b, -g * a / (b * b)),
    smooth=lambda a, b: abs(b) > 0.1,
    formula="d(a/b)/da = 1/b, d(a/b)/db = -a/b²",
)
neg = define_op("neg", operator.neg, lambda g, x: (-g,), formula="d(-x)/dx = -1")
identity = define_op("identity", lambda x: x, lambda g, x: (g,), formula="d(x)/dx = 1")
exp = define_op(
    "exp",
    _exp_forward,
    lambda g, out, x: (g * out,),
    uses_output=True,
    smooth=lambda x: x < 50.0,
    formula="d(exp x)/dx = exp x",
)
log = define_op(
    "log",
    _log_forward,
    lambda g, x: (g / x,),
    smooth=lambda x: x > 0.1,
    formula="d(log x)/dx = 1/x",
)
tanh = define_op(
    "tanh",
    math.tanh,
    lambda g, out, x: (g * (1.0 - out * out),),
    uses_output=True,
    formula="d(tanh x)/dx = 1 - tanh² x",
)
sigmoid = define_op(
    "sigmoid",
    _sigmoid_forward,
    lambda g, out, x: (g * out * (1.0 - out),),
    uses_output=True,
    formula="d(σ(x))/dx = σ(x)·(1 - σ(x))",
)
relu = define_op(
    "relu",
    _relu_forward,
    lambda g, x: (g * (1.0 if x > 0.0 else 0.0),),
    smooth=_far_from_zero,
    formula="d(relu x)/dx = 1 if x > 0 else 0",
)
absolute = define_op(
    "abs",
    math.fabs,
    lambda g, x: (g * (1.0 if x > 0.0 else -1.0 if x < 0.0 else 0.0),),
    smooth=_far_from_zero,
    formula="d|x|/dx = sign(x)",
)
pow_values = define_op(
    "**",
    _pow_forward,
    _pow_backward,
    uses_output=True,
    smooth=lambda x, y: x > 0.1 and abs(y) < 4.0,
    formula="d(a**b)/da = b·a**(b-1), d(a**b)/db = a**b·log a",
)
dot_op = define_op(
    "dot",
    _dot_forward,
    _dot_backward,
    formula="d(Σ wᵢ·xᵢ + b)/dwᵢ = xᵢ, d(Σ wᵢ·xᵢ + b)/dxᵢ = wᵢ, d(Σ wᵢ·xᵢ + b)/db = 1",
)
sum_op = define_op("sum", _sum_forward, _sum_backward, formula="d(Σ xᵢ)/dxᵢ = 1")
mark_built_in()
for _op in OPS.values():
    fastpath.install(_op)
del _op
add, sub, mul = OPS["+"].apply, OPS["-"].apply, OPS["*"].apply  # written out by fastpath

# Value's operators are these apply functions themselves rather than methods that call them:
# one Python call per node instead of two. (Value's methods of the same names stay as the
# typed, documented form.)
for _method, _apply in {
    "__add__": add,
    "__sub__": sub,
    "__mul__": mul,
    "__radd__": fastpath.REFLECTED["+"],
    "__rsub__": fastpath.REFLECTED["-"],
    "__rmul__": fastpath.REFLECTED["*"],
    "__truediv__": div,
    "__neg__": neg,
    "exp": exp,
    "log": log,
    "tanh": tanh,
    "sigmoid": sigmoid,
    "relu": relu,
}.items():
    _apply.__doc__ = getattr(Value, _method).__doc__ or _apply.__doc__
    # Found again by that name, so pickle (and joblib, Dask) send it by reference.
    _apply.__module__, _apply.__qualname__ = Value.__module__, f"Value.{_method}"
    setattr(Value, _method, _apply)
del _method, _apply


@lru_cache(maxsize=256)
def _power_by(exponent: float) -> Op:
    """The op x ** c for one constant c: no gradient flows to c, so no log(x) is needed."""
    if exponent == 0.0:

        def rule(g: Any, x: Any) -> tuple[Any]:
            return (g * 0.0,)
    elif exponent == 2.0:

        def rule(g: Any, x: Any) -> tuple[Any]:
            return (g * 2.0 * x,)
    else:

        def rule(g: Any, x: Any) -> tuple[Any]:
            return (g * exponent * power(x, exponent - 1.0),)

    def forward(x: float) -> float:
        return _pow_forward(x, exponent)

    def smooth(x: float) -> bool:
        return x > 0.1 if not exponent.is_integer() or exponent < 0 else True

    formula = f"d(x**{exponent:g})/dx = {exponent:g}·x**{exponent - 1.0:g}"
    op = Op(f"**{exponent:g}", forward, rule, smooth=smooth, formula=formula)
    fastpath.install_on_first_use(op)
    return op


@lru_cache(maxsize=256)
def _power_of(base: float) -> Op:
    """The op c ** x for one constant base c."""

    def forward(x: float) -> float:
        return _pow_forward(base, x)

    def rule(g: Any, out: Any, x: Any) -> tuple[Any]:
        if base < 0.0:
            raise DomainError(f"the derivative of {base!r} ** x is undefined for a negative base")
        return (g * 0.0,) if base == 0.0 else (g * out * math.log(base),)

    return Op(
        f"{base:g}**",
        forward,
        rule,
        uses_output=True,
        smooth=lambda x: abs(x) < 20.0,
        formula=f"d({base:g}**x)/dx = {base:g}**x·log {base:g}",
    )


def power(base: Operand, exponent: Operand) -> Value:
    """base ** exponent, where either side (or both) may be a Value.

    A constant exponent (`x ** 2`) or a constant base (`2 ** x`) is folded into the op, so
    no gradient is computed for the constant.
    """
    if not isinstance(exponent, Value):
        return _power_by(check_number(exponent, "exponent")).apply(base)
    if not isinstance(base, Value):
        return _power_of(check_number(base, "base")).apply(exponent)
    return pow_values(base, exponent)


def dot(
    weights: Sequence[Operand], inputs: Sequence[Operand], bias: Operand | None = None
) -> Value:
    """sum(w * x) + bias as one node: a neuron's weighted sum, drawn and differentiated whole.

    One node with 2n + 1 parents instead of 2n binary nodes: fewer objects, faster backward.
    """
    if len(weights) != len(inputs):
        raise ValueError(
            f"dot needs as many weights as inputs, got {len(weights)} and {len(inputs)}"
        )
    if not weights:
        raise ValueError("dot needs at least one weight and one input")
    parents = [*weights, *inputs] if bias is None else [*weights, *inputs, bias]
    return dot_op(*parents)


def sum_values(values: Iterable[Operand]) -> Value:
    """The sum of many Values as one node (the builtin `sum` makes one node per term)."""
    terms = list(values)
    if not terms:
        return leaf(0.0)
    return sum_op(*terms)
