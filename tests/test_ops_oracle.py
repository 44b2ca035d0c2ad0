"""Every built-in op against two oracles: central differences and PyTorch (float64).

The cases cover the whole table (a test checks that none is missed) at points inside each
op's domain, including both branches of the stable sigmoid and of the pow rules.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from types import ModuleType
from typing import Any

import pytest
from conftest import BUILT_IN_OPS

from autograd import Value, dot, grad, sum_values
from autograd.ops import identity


class Case:
    def __init__(
        self,
        op: str,
        ours: Callable[..., Value],
        theirs: Callable[..., Any],
        *points: Sequence[float],
    ) -> None:
        self.op, self.ours, self.theirs, self.points = op, ours, theirs, points


CASES = [
    Case("+", lambda a, b: a + b, lambda a, b: a + b, (1.5, -2.0)),
    Case("-", lambda a, b: a - b, lambda a, b: a - b, (1.5, -2.0)),
    Case("*", lambda a, b: a * b, lambda a, b: a * b, (1.5, -2.0), (0.0, 3.0)),
    Case("/", lambda a, b: a / b, lambda a, b: a / b, (1.5, -2.0), (-0.3, 0.7)),
    Case("neg", lambda a: -a, lambda a: -a, (1.5,)),
    Case("identity", identity, lambda a: a * 1.0, (1.5,)),
    Case("exp", Value.exp, lambda a: a.exp(), (0.5,), (-3.0,), (20.0,)),
    Case("log", Value.log, lambda a: a.log(), (0.5,), (7.0,)),
    Case("tanh", Value.tanh, lambda a: a.tanh(), (0.5,), (-2.5,)),
    Case("sigmoid", Value.sigmoid, lambda a: a.sigmoid(), (0.5,), (-4.0,), (30.0,), (-30.0,)),
    Case("relu", Value.relu, lambda a: a.relu(), (0.5,), (-0.5,)),
    Case("abs", abs, lambda a: a.abs(), (0.5,), (-0.5,)),
    Case("**", lambda a, b: a**b, lambda a, b: a**b, (1.5, 2.5), (0.7, -1.3), (2.0, 0.0)),
    Case("**c", lambda a: a**3, lambda a: a**3, (1.5,), (-1.2,)),
    Case("**c", lambda a: a**0.5, lambda a: a**0.5, (2.0,)),
    Case("**c", lambda a: a**-2, lambda a: a**-2, (-1.5,)),
    Case("**c", lambda a: a**2, lambda a: a**2, (-1.5,)),
    Case("**c", lambda a: a**0, lambda a: a**0, (-1.5,)),
    Case("c**", lambda a: 2**a, lambda a: 2**a, (1.5,), (-0.5,)),
    Case("c**", lambda a: 0.3**a, lambda a: 0.3**a, (1.5,)),
    Case(
        "dot",
        lambda w1, w2, x1, x2, b: dot([w1, w2], [x1, x2], b),
        lambda w1, w2, x1, x2, b: w1 * x1 + w2 * x2 + b,
        (0.5, -1.0, 2.0, 3.0, 0.25),
    ),
    Case(
        "dot",
        lambda w1, w2, x1, x2: dot([w1, w2], [x1, x2]),
        lambda w1, w2, x1, x2: w1 * x1 + w2 * x2,
        (0.5, -1.0, 2.0, 3.0),
    ),
    Case("sum", lambda *v: sum_values(v), lambda *v: sum(v), (0.5, -1.0, 2.0), (4.0,)),
]

PARAMS = [
    pytest.param(case, point, id=f"{case.op}{list(point)}")
    for case in CASES
    for point in case.points
]


def ours(case: Case, point: Sequence[float]) -> tuple[float, list[float]]:
    inputs = [Value(x) for x in point]
    out = case.ours(*inputs)
    out.backward()
    return out.data, [x.grad for x in inputs]


def test_cases_cover_every_built_in_op() -> None:
    covered = {case.op for case in CASES}
    built_in = set(BUILT_IN_OPS)
    assert built_in - covered == set()
    assert {"**c", "c**"} <= covered  # the constant-exponent and constant-base families


def _at(case: Case, point: Sequence[float]) -> float:
    return case.ours(*[Value(x) for x in point]).data


@pytest.mark.parametrize(("case", "point"), PARAMS)
def test_op_against_central_differences(case: Case, point: Sequence[float]) -> None:
    _, analytic = ours(case, point)
    h = 1e-6
    for i in range(len(point)):
        up, down = list(point), list(point)
        up[i] += h
        down[i] -= h
        numeric = (_at(case, up) - _at(case, down)) / (2 * h)
        assert analytic[i] == pytest.approx(numeric, rel=1e-5, abs=1e-6), f"input {i}"


@pytest.mark.torch
@pytest.mark.parametrize(("case", "point"), PARAMS)
def test_op_against_torch(torch: ModuleType, case: Case, point: Sequence[float]) -> None:
    data, analytic = ours(case, point)
    inputs = [torch.tensor(x, requires_grad=True) for x in point]
    out = case.theirs(*inputs)
    out.backward()
    assert data == pytest.approx(out.item(), rel=1e-14, abs=1e-300)
    for i, x in enumerate(inputs):
        expected = 0.0 if x.grad is None else x.grad.item()
        assert analytic[i] == pytest.approx(expected, rel=1e-13, abs=1e-15), f"input {i}"


@pytest.mark.torch
@pytest.mark.parametrize(("case", "point"), PARAMS)
def test_second_derivative_against_torch(
    torch: ModuleType, case: Case, point: Sequence[float]
) -> None:
    """The diagonal of the Hessian, through grad(grad(f)) with the other inputs fixed."""
    for i in range(len(point)):

        def along_i(x: Any, i: int = i) -> Any:
            args: list[Any] = list(point)
            args[i] = x
            return case.ours(*args)

        second = grad(grad(along_i))(point[i])
        inputs = [torch.tensor(x, requires_grad=True) for x in point]
        (first,) = torch.autograd.grad(case.theirs(*inputs), [inputs[i]], create_graph=True)
        if first.requires_grad:
            (expected,) = torch.autograd.grad(first, [inputs[i]], allow_unused=True)
        else:
            expected = None
        expected_value = 0.0 if expected is None else expected.item()
        assert second == pytest.approx(expected_value, rel=1e-12, abs=1e-12), f"input {i}"
