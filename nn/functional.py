"""Functions on a vector (a list of Values or numbers) that return Values: softmax and friends.

`softmax`, `log_softmax` and `losses.cross_entropy` all go through one stable
`logsumexp`, which subtracts the largest entry before exponentiating so no `exp` overflows.
That shift is a plain float read from the data (it changes the graph's constants, not its
gradients, since log-sum-exp does not depend on it mathematically); it is taken in one
place, `stable_shift`, so that anything replaying a graph on new data (a tracer) has one
function to re-run or guard. `relu`, `tanh`, `sigmoid` and `gelu` apply elementwise.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

from autograd import Value, sum_values

__all__ = [
    "gelu",
    "log_softmax",
    "logsumexp",
    "relu",
    "sigmoid",
    "softmax",
    "stable_shift",
    "tanh",
]

Vector = Sequence[Value | float]
"""A list of Values or plain numbers (numbers become constant leaves)."""


def _values(xs: Vector, what: str) -> list[Value]:
    """`xs` as a non-empty list of Values, or a TypeError/ValueError naming `what`."""
    if isinstance(xs, (Value, str, bytes)) or not isinstance(xs, Sequence):
        raise TypeError(f"{what} needs a list of Values or numbers, got {type(xs).__name__}")
    if not xs:
        raise ValueError(f"{what} needs at least one value, got an empty list")
    out = []
    for x in xs:
        if isinstance(x, Value):
            out.append(x)
        elif isinstance(x, (int, float)) and not isinstance(x, bool):
            out.append(Value(x))
        else:
            raise TypeError(f"{what} needs Values or numbers, got {type(x).__name__}: {x!r}")
    return out


def stable_shift(values: Sequence[Value]) -> float:
    """The constant subtracted before exponentiating: the largest entry's data.

    With it, every exponent is <= 0, so exp never overflows and the largest term is 1,
    so the sum never underflows to 0 (whose log would fail).
    """
    return max(v.data for v in values)


def logsumexp(xs: Vector) -> Value:
    """log(sum(exp(x))), computed as m + log(sum(exp(x - m))) with m = `stable_shift(xs)`."""
    values = _values(xs, "logsumexp")
    shift = stable_shift(values)
    return sum_values([(v - shift).exp() for v in values]).log() + shift


def log_softmax(xs: Vector) -> list[Value]:
    """x - logsumexp(x): log-probabilities, finite even where softmax rounds to 0."""
    values = _values(xs, "log_softmax")
    total = logsumexp(values)
    return [v - total for v in values]


def softmax(xs: Vector) -> list[Value]:
    """exp(x) / sum(exp(x)), shifted by `stable_shift` so it works for logits of any size."""
    values = _values(xs, "softmax")
    shift = stable_shift(values)
    exps = [(v - shift).exp() for v in values]
    total = sum_values(exps)
    return [e / total for e in exps]


def relu(xs: Vector) -> list[Value]:
    """max(0, x) for each entry."""
    return [v.relu() for v in _values(xs, "relu")]


def tanh(xs: Vector) -> list[Value]:
    """tanh(x) for each entry."""
    return [v.tanh() for v in _values(xs, "tanh")]


def sigmoid(xs: Vector) -> list[Value]:
    """1 / (1 + exp(-x)) for each entry."""
    return [v.sigmoid() for v in _values(xs, "sigmoid")]


_GELU_SCALE = math.sqrt(2.0 / math.pi)


def gelu(xs: Vector) -> list[Value]:
    """x * Φ(x) in its tanh form (GPT-2's, torch's `gelu(approximate="tanh")`), per entry:
    0.5 x (1 + tanh(sqrt(2/π) (x + 0.044715 x³))). A smooth relu, built from Value ops."""
    return [
        0.5 * v * (1.0 + (_GELU_SCALE * (v + 0.044715 * v**3)).tanh()) for v in _values(xs, "gelu")
    ]
