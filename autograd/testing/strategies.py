"""Hypothesis strategies for property tests of gradients: numbers, expressions, networks.

    from hypothesis import given
    from autograd.testing import gradcheck
    from autograd.testing.strategies import expressions

    @given(expressions(n_inputs=2, max_depth=3))
    def test_gradients(expression):
        assert gradcheck(*expression)

`expressions` builds random graphs from the rule table (your own ops included), keeps
every op inside its domain and away from kinks, and shrinks a failure to a small graph.
This module needs hypothesis, which the `dev` extra installs.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any, NamedTuple

try:
    from hypothesis import assume
    from hypothesis import strategies as st
except ImportError as error:  # pragma: no cover - exercised in a subprocess by the tests
    raise ImportError(
        "autograd.testing.strategies needs hypothesis, which is not installed: "
        "pip install 'glassgrad[dev]'",
        name="hypothesis",
    ) from error

from autograd.backward import topological_order
from autograd.ops import OPS, Op, _power_by, _power_of, power, sum_values
from autograd.value import Value

__all__ = [
    "BASES",
    "EXPONENTS",
    "MAX_MAGNITUDE",
    "POWER_BY",
    "POWER_OF",
    "Expression",
    "ExpressionFunction",
    "Network",
    "Step",
    "expressions",
    "mlps",
    "values",
]

POWER_BY = "**c"
"""In `ops`, the family x ** c for a constant exponent c taken from `EXPONENTS`."""
POWER_OF = "c**"
"""In `ops`, the family c ** x for a constant base c taken from `BASES`."""
EXPONENTS = (2.0, 3.0, 0.5, -1.0, 1.5, -2.0, 1.0, 0.0)
BASES = (2.0, 0.5, math.e, 10.0)
MAX_MAGNITUDE = 1e3
"""No node of a drawn expression is larger than this in absolute value.

Bounded values keep central differences accurate (their rounding error grows with |f|)
and keep the `eps` steps of a check from crossing a kink the expression stays away from.
"""


def values(min_value: float = -10.0, max_value: float = 10.0) -> st.SearchStrategy[Value]:
    """Finite floats in [min_value, max_value], each wrapped in a fresh leaf `Value`."""
    return _floats(min_value, max_value).map(Value)


class Step(NamedTuple):
    """One node of an expression: `op` applied to `args`.

    `op` is a name in the rule table, `POWER_BY` or `POWER_OF`. An int in `args` refers to
    an earlier node (the inputs come first, then the steps in order); a float is a
    constant (the c of the power families).
    """

    op: str
    args: tuple[int | float, ...]


class ExpressionFunction:
    """A function of `n_inputs` Values computed by `steps`.

    A node may be used by several later steps, so the graph is a DAG, not only a tree.
    The value is the sum of the `outputs`, the steps that no later step uses (the last
    step, and any other left over), so that every step reaches the value and is checked.
    Its repr is the program, one assignment per step.
    """

    __slots__ = ("n_inputs", "ops", "outputs", "steps")

    def __init__(self, n_inputs: int, steps: Sequence[Step], ops: dict[str, Op]) -> None:
        self.n_inputs = n_inputs
        self.steps = tuple(steps)
        self.ops = ops
        used = {a for step in self.steps for a in step.args if isinstance(a, int)}
        last = n_inputs + len(self.steps) - 1
        self.outputs = (*(k for k in range(n_inputs, last) if k not in used), last)

    def __call__(self, *xs: Any) -> Any:
        if len(xs) != self.n_inputs:
            raise TypeError(f"this expression takes {self.n_inputs} inputs, got {len(xs)}")
        nodes: list[Any] = list(xs)
        for step in self.steps:
            args = [nodes[a] if isinstance(a, int) else a for a in step.args]
            if step.op in (POWER_BY, POWER_OF):
                nodes.append(power(args[0], args[1]))
            else:
                nodes.append(self.ops[step.op].apply(*args))
        if len(self.outputs) == 1:
            return nodes[self.outputs[0]]
        return sum_values([nodes[k] for k in self.outputs])

    def __repr__(self) -> str:
        names = [f"x{i}" for i in range(self.n_inputs)]
        names += [f"v{k + 1}" for k in range(len(self.steps))]
        lines = []
        for k, step in enumerate(self.steps):
            args = [names[a] if isinstance(a, int) else repr(a) for a in step.args]
            lines.append(f"{names[self.n_inputs + k]} = {_format(step.op, args)}")
        lines.append(f"return {' + '.join(names[k] for k in self.outputs)}")
        return f"f({', '.join(names[: self.n_inputs])}): {'; '.join(lines)}"


class Expression(NamedTuple):
    """A random function and a point inside its domain: `gradcheck(*expression)`."""

    function: ExpressionFunction
    inputs: tuple[float, ...]


def expressions(
    n_inputs: int = 2,
    max_depth: int = 4,
    ops: Sequence[str] | None = None,
    *,
    min_value: float = -3.0,
    max_value: float = 3.0,
) -> st.SearchStrategy[Expression]:
    """Random expressions of `n_inputs` inputs, at most `max_depth` ops deep, with a point.

    `ops` names the ops to use (`POWER_BY` and `POWER_OF` for x ** c and c ** x); None
    means every op in the table when `expressions()` is called, user-defined ops included,
    and both power families. Inputs lie in [min_value, max_value]; the expression's value
    is the sum of the steps no later step uses, so every step counts. The graph is built
    bottom-up with the data known, and an op is applied only where its `smooth` predicate
    holds, its forward succeeds and the result is at most `MAX_MAGNITUDE`: log of something
    positive, no division by near-zero, relu away from 0. Later steps prefer recent nodes
    and may reuse any node, so expressions are DAGs.
    Failures shrink towards few steps, ops early in `ops`, and inputs of 1.0.
    """
    if not isinstance(n_inputs, int) or n_inputs < 1:
        raise ValueError(f"n_inputs must be a positive int, got {n_inputs!r}")
    if not isinstance(max_depth, int) or max_depth < 1:
        raise ValueError(f"max_depth must be a positive int, got {max_depth!r}")
    names = _resolve(ops)
    table = {name: OPS[name] for name in names if name in OPS}
    return _expressions(n_inputs, max_depth, names, table, min_value, max_value)


@st.composite
def _expressions(
    draw: st.DrawFn,
    n_inputs: int,
    max_depth: int,
    names: list[str],
    table: dict[str, Op],
    min_value: float,
    max_value: float,
) -> Expression:
    inputs = tuple(draw(_inputs(min_value, max_value)) for _ in range(n_inputs))
    datas = list(inputs)
    depths = [0] * n_inputs
    steps: list[Step] = []

    def argument() -> int:
        # Counted from the most recent node, so shrinking makes chains and reuse (x * x).
        eligible = [k for k, depth in enumerate(depths) if depth < max_depth]
        return eligible[-1 - draw(st.integers(0, len(eligible) - 1))]

    for index in range(2 * max_depth):
        # After the first step, go on four times in five; shrinking stops early.
        if index > 0 and draw(st.integers(0, 4)) == 0:
            break
        name = draw(st.sampled_from(names))
        constant: float | None = None
        if name in (POWER_BY, POWER_OF):
            constant = draw(st.sampled_from(EXPONENTS if name == POWER_BY else BASES))
            refs: tuple[int, ...] = (argument(),)
        else:
            arity = table[name].arity
            count = arity if arity is not None else draw(st.integers(1, 4))
            refs = tuple(argument() for _ in range(count))
        # Where these arguments are outside the drawn op's domain, the first op of `names`
        # that takes them is used instead, without drawing again: a repair that keeps
        # the draws of later steps where they were, which is what lets failures shrink.
        for candidate in (name, *names):
            made = _make_step(
                candidate, refs, constant if candidate == name else None, table, datas
            )
            if made is not None:
                step, result, used = made
                steps.append(step)
                datas.append(result)
                depths.append(1 + max(depths[k] for k in used))
                break
    assume(steps)
    return Expression(ExpressionFunction(n_inputs, steps, table), inputs)


def _make_step(
    name: str,
    refs: tuple[int, ...],
    constant: float | None,
    table: dict[str, Op],
    datas: list[float],
) -> tuple[Step, float, tuple[int, ...]] | None:
    """The step `name` on the nodes `refs` (reused in turn if it needs more), its result
    and the nodes it reads; None if that is outside the op's smooth domain."""
    args: tuple[int | float, ...]
    if name == POWER_BY:
        exponent = EXPONENTS[0] if constant is None else constant
        op, used = _power_by(exponent), refs[:1]
        args = (refs[0], exponent)
    elif name == POWER_OF:
        base = BASES[0] if constant is None else constant
        op, used = _power_of(base), refs[:1]
        args = (base, refs[0])
    else:
        op = table[name]
        count = op.arity if op.arity is not None else len(refs)
        used = tuple(refs[i % len(refs)] for i in range(count))
        args = used
    result = _checked_forward(op, [datas[k] for k in used])
    return None if result is None else (Step(name, args), result, used)


def _checked_forward(op: Op, datas: list[float]) -> float | None:
    """op's result on `datas`, or None where the op is not smooth or the result is too big."""
    try:
        if op.smooth is not None and not op.smooth(*datas):
            return None
        result = op.forward(*datas)
    except (ArithmeticError, ValueError, TypeError):
        return None
    if isinstance(result, bool) or not isinstance(result, (int, float)):
        return None
    result = float(result)
    return result if abs(result) <= MAX_MAGNITUDE else None  # False for NaN too


def _resolve(ops: Sequence[str] | None) -> list[str]:
    if ops is None:
        return [name for name, op in OPS.items() if op.arity != 0] + [POWER_BY, POWER_OF]
    if isinstance(ops, str):
        raise TypeError(f"ops must be a list of op names, not the str {ops!r}")
    names = list(dict.fromkeys(ops))
    unknown = [name for name in names if name not in OPS and name not in (POWER_BY, POWER_OF)]
    if unknown:
        known = ", ".join(repr(name) for name in [*OPS, POWER_BY, POWER_OF])
        raise ValueError(f"unknown ops {unknown}; the table has {known}")
    if not names:
        raise ValueError("expressions needs at least one op")
    if any(name in OPS and OPS[name].arity == 0 for name in names):
        raise ValueError("expressions cannot use ops without inputs")
    return names


def _format(op: str, args: list[str]) -> str:
    if op in (POWER_BY, POWER_OF, "+", "-", "*", "/", "**"):
        symbol = "**" if op in (POWER_BY, POWER_OF) else op
        return f"{args[0]} {symbol} {args[1]}"
    if op == "neg":
        return f"-{args[0]}"
    return f"{op}({', '.join(args)})"


def _floats(min_value: float, max_value: float) -> st.SearchStrategy[float]:
    return st.floats(min_value, max_value, allow_nan=False, allow_infinity=False)


def _inputs(min_value: float, max_value: float) -> st.SearchStrategy[float]:
    """Floats in the range that shrink towards 1.0 (not 0.0) when the range holds it: 1.0
    is inside every built-in op's smooth domain, so small examples need fewer detours."""
    if not min_value <= 1.0 <= max_value:
        return _floats(min_value, max_value)
    return _floats(min_value - 1.0, max_value - 1.0).map(
        lambda d: min(max(1.0 + d, min_value), max_value)
    )


# -- networks ------------------------------------------------------------------------------


class Network(NamedTuple):
    """A small MLP with one output and a point to evaluate it at: `model(list(inputs))`."""

    model: Any
    inputs: tuple[float, ...]

    def function(self, *xs: Any) -> Any:
        """The network as a function of its inputs, for `gradcheck(net.function, net.inputs)`."""
        return self.model(list(xs))


def mlps(
    max_inputs: int = 3,
    max_hidden: int = 4,
    max_layers: int = 2,
    activations: Sequence[str] = ("tanh", "sigmoid", "relu"),
) -> st.SearchStrategy[Network]:
    """Small random `nn.MLP`s with one output, and a point away from every relu's kink.

    Up to `max_layers` layers (the last has one neuron), hidden ones of at most
    `max_hidden` neurons, `activations` to choose from, seeded weights. Needs `nn`.
    """
    return _mlps(max_inputs, max_hidden, max_layers, tuple(activations))


@st.composite
def _mlps(
    draw: st.DrawFn,
    max_inputs: int,
    max_hidden: int,
    max_layers: int,
    activations: tuple[str, ...],
) -> Network:
    from nn import MLP  # imported here: autograd itself never imports nn

    nin = draw(st.integers(1, max_inputs))
    hidden = draw(st.lists(st.integers(1, max_hidden), min_size=0, max_size=max_layers - 1))
    activation = draw(st.sampled_from(activations))
    output_activation = draw(st.sampled_from(("linear", *activations)))
    seed = draw(st.integers(0, 2**16))
    model = MLP(nin, [*hidden, 1], activation, output_activation, seed=seed)
    inputs = tuple(draw(_floats(-2.0, 2.0)) for _ in range(nin))
    out = model(list(inputs))
    if not isinstance(out, Value):
        raise TypeError(f"an MLP with one output should return a Value, got {out!r}")
    # Like `expressions`: no node of the graph sits on a kink (a relu input near 0).
    assume(all(_smooth_at(node) for node in topological_order(out)))
    return Network(model, inputs)


def _smooth_at(node: Value) -> bool:
    op = OPS.get(node.op)
    if op is None or op.smooth is None:
        return True
    return bool(op.smooth(*[parent.data for parent in node.parents]))
