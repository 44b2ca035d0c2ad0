"""Losses and penalties: values and gradients against PyTorch (float64), stability, errors."""

from __future__ import annotations

import math
import random
from collections.abc import Callable
from types import ModuleType
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from autograd import Value
from nn import MLP, losses

rng = random.Random(0)


def leaves(numbers: list[float]) -> list[Value]:
    return [Value(x) for x in numbers]


def check_against_torch(
    torch: ModuleType,
    ours: Value,
    inputs: list[Value],
    theirs: Callable[[Any], Any],
    numbers: list[float],
) -> None:
    """Our loss and d(loss)/d(input) equal PyTorch's to float64 rounding."""
    tensor = torch.tensor(numbers, requires_grad=True)
    reference = theirs(tensor)
    reference.backward()
    ours.backward()
    assert ours.data == pytest.approx(reference.item(), rel=1e-12, abs=1e-14)
    assert [v.grad for v in inputs] == pytest.approx(tensor.grad.tolist(), rel=1e-10, abs=1e-14)


def test_mse_matches_torch(torch: ModuleType) -> None:
    preds = [rng.uniform(-3, 3) for _ in range(7)]
    targets = [rng.uniform(-3, 3) for _ in range(7)]
    values = leaves(preds)
    check_against_torch(
        torch,
        losses.mse(values, targets),
        values,
        lambda p: torch.nn.functional.mse_loss(p, torch.tensor(targets)),
        preds,
    )


def test_mse_with_several_outputs_is_the_mean_over_all(torch: ModuleType) -> None:
    preds = [[rng.uniform(-1, 1) for _ in range(3)] for _ in range(4)]
    targets = [[rng.uniform(-1, 1) for _ in range(3)] for _ in range(4)]
    values = [leaves(row) for row in preds]
    flat = [v for row in values for v in row]
    check_against_torch(
        torch,
        losses.mse(values, targets),
        flat,
        lambda p: torch.nn.functional.mse_loss(p, torch.tensor(targets).flatten()),
        [x for row in preds for x in row],
    )


def test_binary_cross_entropy_matches_torch(torch: ModuleType) -> None:
    probabilities = [rng.uniform(0.01, 0.99) for _ in range(8)]
    targets = [0.0, 1.0, 1.0, 0.0, 0.25, 0.5, 1.0, 0.0]  # soft labels included
    values = leaves(probabilities)
    check_against_torch(
        torch,
        losses.binary_cross_entropy(values, targets),
        values,
        lambda p: torch.nn.functional.binary_cross_entropy(p, torch.tensor(targets)),
        probabilities,
    )


def test_binary_cross_entropy_at_certain_probabilities_is_finite(torch: ModuleType) -> None:
    probabilities, targets = [0.0, 1.0, 0.0, 1.0], [1.0, 0.0, 0.0, 1.0]
    ours = losses.binary_cross_entropy(leaves(probabilities), targets)
    theirs = torch.nn.functional.binary_cross_entropy(
        torch.tensor(probabilities), torch.tensor(targets)
    )
    assert ours.data == theirs.item() == 50.0  # log floored at -100, as in PyTorch


@pytest.mark.parametrize("scale", [1.0, 50.0, 800.0])
def test_binary_cross_entropy_with_logits_matches_torch(torch: ModuleType, scale: float) -> None:
    logits = [rng.uniform(-scale, scale) for _ in range(8)] + [0.0, -scale, scale]
    targets = [float(rng.randrange(2)) for _ in range(10)] + [0.3]
    values = leaves(logits)
    check_against_torch(
        torch,
        losses.binary_cross_entropy_with_logits(values, targets),
        values,
        lambda z: torch.nn.functional.binary_cross_entropy_with_logits(z, torch.tensor(targets)),
        logits,
    )


@pytest.mark.parametrize("scale", [1.0, 30.0, 1000.0])
def test_cross_entropy_matches_torch(torch: ModuleType, scale: float) -> None:
    logits = [[rng.uniform(-scale, scale) for _ in range(4)] for _ in range(5)]
    targets = [rng.randrange(4) for _ in range(5)]
    values = [leaves(row) for row in logits]
    check_against_torch(
        torch,
        losses.cross_entropy(values, targets),
        [v for row in values for v in row],
        lambda z: torch.nn.functional.cross_entropy(z.reshape(5, 4), torch.tensor(targets)),
        [x for row in logits for x in row],
    )


@settings(suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    st.lists(st.floats(-1e4, 1e4), min_size=1, max_size=6).flatmap(
        lambda row: st.tuples(st.just(row), st.integers(0, len(row) - 1))
    )
)
def test_cross_entropy_is_stable_for_any_logits(
    torch: ModuleType, example: tuple[list[float], int]
) -> None:
    logits, target = example
    values = leaves(logits)
    loss = losses.cross_entropy(values, target)
    loss.backward()
    assert math.isfinite(loss.data) and loss.data >= 0.0
    assert sum(v.grad for v in values) == pytest.approx(0.0, abs=1e-9)  # softmax - one-hot
    reference = torch.nn.functional.cross_entropy(
        torch.tensor([logits]), torch.tensor([target])
    ).item()
    assert loss.data == pytest.approx(reference, rel=1e-9, abs=1e-12)


def test_hinge_matches_torch(torch: ModuleType) -> None:
    scores = [rng.uniform(-2, 2) for _ in range(9)]
    targets = [rng.choice([-1, 1]) for _ in range(9)]
    values = leaves(scores)
    check_against_torch(
        torch,
        losses.hinge(values, targets),
        values,
        lambda s: torch.clamp(1 - torch.tensor(targets, dtype=torch.float64) * s, min=0).mean(),
        scores,
    )


@pytest.mark.parametrize(
    ("loss", "pred", "target"),
    [
        (losses.mse, 0.5, 1.0),
        (losses.binary_cross_entropy, 0.8, 1),
        (losses.binary_cross_entropy_with_logits, -1.5, 0),
        (losses.hinge, 0.3, -1),
        (losses.cross_entropy, [0.1, 2.0, -1.0], 2),
    ],
)
def test_one_example_equals_a_batch_of_one(loss: Any, pred: Any, target: Any) -> None:
    single = pred if isinstance(pred, list) else Value(pred)
    assert loss(single, target).data == loss([single], [target]).data


def test_losses_flow_back_through_a_model() -> None:
    model = MLP(2, [4, 3], seed=0)
    X, y = [[0.5, -1.0], [1.0, 2.0]], [2, 0]
    loss = losses.cross_entropy([model(x) for x in X], y)
    loss.backward()
    assert all(math.isfinite(p.grad) for p in model.parameters())
    assert any(p.grad != 0.0 for p in model.parameters())


# -- errors -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("call", "error", "message"),
    [
        (lambda: losses.mse([Value(1.0), Value(2.0)], [1.0]), ValueError, "2 numbers.*1 numbers"),
        (lambda: losses.mse(Value(1.0), [1.0, 2.0]), ValueError, "single number"),
        (lambda: losses.mse([[Value(1.0)], [Value(2.0)]], [1.0, 0.0]), ValueError, "sizes"),
        (lambda: losses.mse([], []), ValueError, "empty"),
        (lambda: losses.mse("ab", [1, 2]), TypeError, "pred must be"),
        (lambda: losses.mse([Value(1.0)], [None]), TypeError, "target holds None"),
        (lambda: losses.mse([Value(1.0)], [True]), TypeError, "target holds True"),
        (lambda: losses.binary_cross_entropy(Value(1.5), 1), ValueError, "probabilities"),
        (lambda: losses.binary_cross_entropy(Value(0.5), 2), ValueError, r"targets in \[0, 1\]"),
        (lambda: losses.binary_cross_entropy_with_logits(Value(0.5), -1), ValueError, "targets"),
        (lambda: losses.hinge(Value(0.5), 0), ValueError, "-1 or \\+1.*2 \\* y - 1"),
        (lambda: losses.cross_entropy([1.0, 2.0], 2), ValueError, "out of range for 2"),
        (lambda: losses.cross_entropy([1.0, 2.0], -1), ValueError, "out of range"),
        (lambda: losses.cross_entropy([1.0, 2.0], 1.0), TypeError, "class index"),
        (lambda: losses.cross_entropy([[1.0, 2.0]], [0, 1]), ValueError, "1 predictions.*2"),
        (lambda: losses.cross_entropy([1.0, 2.0], [0, 1]), TypeError, "list of logits"),
        (lambda: losses.cross_entropy([[1.0, [2.0]]], [0]), TypeError, "a logit must"),
        (lambda: losses.cross_entropy([], []), ValueError, "empty"),
    ],
)
def test_bad_shapes_and_targets_are_clear_errors(
    call: Callable[[], Any], error: type[Exception], message: str
) -> None:
    with pytest.raises(error, match=message):
        call()


# -- penalties ----------------------------------------------------------------------------


def test_penalties_and_their_gradients(torch: ModuleType) -> None:
    numbers = [1.5, -2.0, 0.0, 0.25]
    params = leaves(numbers)
    check_against_torch(torch, losses.l2(params), params, lambda p: (p * p).sum(), numbers)
    params = leaves(numbers)
    check_against_torch(torch, losses.l1(params), params, lambda p: p.abs().sum(), numbers)
    assert [p.grad for p in params] == [1.0, -1.0, 0.0, 1.0]


def test_penalties_accept_a_module() -> None:
    model = MLP(2, [3, 1], seed=0)
    expected = sum(p.data**2 for p in model.parameters())
    assert losses.l2(model).data == pytest.approx(expected, rel=1e-14)
    assert losses.l1([]).data == 0.0
    with pytest.raises(TypeError, match="penalty needs Values"):
        losses.l2([1.0])  # type: ignore[list-item]
