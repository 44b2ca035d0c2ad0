"""nn.functional: softmax, log_softmax, logsumexp and the activations against PyTorch (float64)."""

from __future__ import annotations

import math
import random
from collections.abc import Callable
from types import ModuleType
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from autograd import Value, sum_values
from autograd.testing import gradcheck
from nn import functional as F

rng = random.Random(0)


def weighted_sum(outs: list[Value], weights: list[float]) -> Value:
    """A scalar that depends on every output with a different weight, to test full Jacobians."""
    return sum_values([w * o for w, o in zip(weights, outs)])


CASES: list[tuple[str, Callable[[Any], list[Value]], Callable[[Any, Any], Any]]] = [
    ("softmax", F.softmax, lambda torch, x: torch.softmax(x, 0)),
    ("log_softmax", F.log_softmax, lambda torch, x: torch.log_softmax(x, 0)),
    ("relu", F.relu, lambda torch, x: torch.relu(x)),
    ("tanh", F.tanh, lambda torch, x: torch.tanh(x)),
    ("sigmoid", F.sigmoid, lambda torch, x: torch.sigmoid(x)),
    ("gelu", F.gelu, lambda torch, x: torch.nn.functional.gelu(x, approximate="tanh")),
]


@pytest.mark.parametrize(("name", "ours", "theirs"), CASES, ids=[c[0] for c in CASES])
@pytest.mark.parametrize("scale", [1.0, 50.0])
def test_matches_torch_values_and_gradients(
    torch: ModuleType,
    name: str,
    ours: Callable[[Any], list[Value]],
    theirs: Callable[[Any, Any], Any],
    scale: float,
) -> None:
    numbers = [rng.uniform(-scale, scale) for _ in range(6)]
    weights = [rng.uniform(-1, 1) for _ in range(6)]
    xs = [Value(x) for x in numbers]
    outs = ours(xs)
    weighted_sum(outs, weights).backward()
    tensor = torch.tensor(numbers, requires_grad=True)
    reference = theirs(torch, tensor)
    (reference * torch.tensor(weights)).sum().backward()
    assert [o.data for o in outs] == pytest.approx(reference.tolist(), rel=1e-12, abs=1e-14)
    assert [x.grad for x in xs] == pytest.approx(tensor.grad.tolist(), rel=1e-9, abs=1e-12)


def test_logsumexp_matches_torch(torch: ModuleType) -> None:
    numbers = [rng.uniform(-800, 800) for _ in range(5)]
    xs = [Value(x) for x in numbers]
    out = F.logsumexp(xs)
    out.backward()
    tensor = torch.tensor(numbers, requires_grad=True)
    reference = torch.logsumexp(tensor, 0)
    reference.backward()
    assert out.data == pytest.approx(reference.item(), rel=1e-12)
    assert [x.grad for x in xs] == pytest.approx(tensor.grad.tolist(), rel=1e-9, abs=1e-12)


@settings(suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(st.floats(-1e4, 1e4), min_size=1, max_size=6))
def test_softmax_is_a_distribution_for_any_logits(logits: list[float]) -> None:
    probabilities = F.softmax(logits)
    assert all(0.0 <= p.data <= 1.0 for p in probabilities)
    assert sum(p.data for p in probabilities) == pytest.approx(1.0, abs=1e-12)
    log_probabilities = F.log_softmax(logits)
    assert all(math.isfinite(lp.data) and lp.data <= 1e-12 for lp in log_probabilities)
    assert max(lp.data for lp in log_probabilities) >= -math.log(len(logits)) - 1e-9


def test_the_shift_is_the_largest_entry_and_is_one_function() -> None:
    xs = [Value(1.0), Value(900.0), Value(-3.0)]
    assert F.stable_shift(xs) == 900.0
    assert F.logsumexp(xs).data == pytest.approx(900.0 + math.log1p(math.exp(-899) + 0.0))


@pytest.mark.parametrize("function", [F.softmax, F.log_softmax, F.gelu, F.sigmoid])
def test_gradcheck(function: Callable[[Any], list[Value]]) -> None:
    weights = [0.3, -1.2, 0.7]
    assert gradcheck(lambda *xs: weighted_sum(function(list(xs)), weights), [0.5, -1.0, 2.0])


def test_numbers_become_constants() -> None:
    assert [p.data for p in F.softmax([0.0, 0.0])] == [0.5, 0.5]


@pytest.mark.parametrize(
    ("call", "error", "match"),
    [
        (lambda: F.softmax([]), ValueError, "softmax needs at least one value"),
        (lambda: F.log_softmax(Value(1.0)), TypeError, "log_softmax needs a list"),
        (lambda: F.relu([1.0, "2"]), TypeError, "relu needs Values or numbers, got str"),
        (lambda: F.gelu([True]), TypeError, "bool"),
        (lambda: F.logsumexp("ab"), TypeError, "logsumexp needs a list"),
    ],
)
def test_bad_input_is_a_clear_error(call: Callable[[], Any], error: type, match: str) -> None:
    with pytest.raises(error, match=match):
        call()
