"""The benchmark's workloads compute the same numbers on glassgrad and on micrograd.

A check of the bench (seconds), not a timing: if the two engines did different work, the
ratios of `make bench` would mean nothing. micrograd 0.1.0 is the reference here.
"""

from __future__ import annotations

from typing import Any

import pytest
from conftest import require

require("micrograd")
require("sklearn")

from autograd import Value  # noqa: E402  (after the skips: the bench needs both)
from nn import losses, optim  # noqa: E402
from tests.benchmarks import workloads as w  # noqa: E402

TOLERANCE = 1e-9


def assert_close(ours: list[float], theirs: list[float]) -> None:
    assert len(ours) == len(theirs)
    for a, b in zip(ours, theirs):
        assert a == pytest.approx(b, rel=TOLERANCE, abs=TOLERANCE)


def grads(params: list[Any]) -> list[float]:
    return [float(p.grad) for p in params]


def test_moons_loss_gradients_and_step_match() -> None:
    points, labels = w.moons_data(5)
    ours, theirs = w.models(2, w.MOONS_SIZES)
    mg_value = w.micrograd_value()
    params = ours.parameters()

    loss = w.max_margin_loss(ours, params, points, labels, Value)
    reference = w.max_margin_loss(theirs, theirs.parameters(), points, labels, mg_value)
    assert loss.data == pytest.approx(reference.data, rel=TOLERANCE, abs=TOLERANCE)
    loss.backward()
    reference.backward()
    assert_close(grads(params), grads(theirs.parameters()))

    ours.zero_grad()
    step = w.glassgrad_sgd_step(
        ours,
        optim.SGD(params, lr=0.5),
        lambda: w.max_margin_loss(ours, params, points, labels, Value),
    )
    theirs.zero_grad()
    reference = w.micrograd_sgd_step(
        theirs,
        0.5,
        lambda: w.max_margin_loss(theirs, theirs.parameters(), points, labels, mg_value),
    )
    assert step.data == pytest.approx(reference.data, rel=TOLERANCE, abs=TOLERANCE)
    assert_close([p.data for p in params], [p.data for p in theirs.parameters()])


def test_digits_cross_entropy_and_gradients_match() -> None:
    images, labels = w.digits_data(3)
    ours, theirs = w.models(64, w.DIGITS_SIZES)
    mg_value = w.micrograd_value()

    loss = losses.cross_entropy([ours([Value(p) for p in x]) for x in images], labels)
    reference = sum(
        w.softmax_cross_entropy(theirs([mg_value(p) for p in x]), y) for x, y in zip(images, labels)
    ) * (1.0 / len(labels))
    assert loss.data == pytest.approx(reference.data, rel=TOLERANCE, abs=TOLERANCE)
    loss.backward()
    reference.backward()
    assert_close(grads(ours.parameters()), grads(theirs.parameters()))


def test_chain_gradient_matches() -> None:
    assert w.chain(Value, 200) == pytest.approx(w.chain(w.micrograd_value(), 200), rel=1e-12)


@pytest.mark.parametrize("variant", w.WIDE_SUM_VARIANTS)
def test_wide_sum_matches(variant: str) -> None:
    a, b = w.wide_sum_inputs(Value, 50)
    mg_a, mg_b = w.wide_sum_inputs(w.micrograd_value(), 50)
    out, reference = w.wide_sum(a, b, variant), w.wide_sum(mg_a, mg_b)
    assert out.data == pytest.approx(reference.data, rel=TOLERANCE, abs=TOLERANCE)
    out.backward()
    reference.backward()
    assert_close(grads(a + b), grads(mg_a + mg_b))


def test_every_contender_prepares_and_runs_a_step() -> None:
    """The timed code itself runs, on sizes small enough for a unit test."""
    workloads = [
        w.moons_contenders(n_points=4, steps=1),
        w.chain_contenders(10, [w.GLASSGRAD, w.MICROGRAD]),
        w.wide_sum_contenders(10, [w.GLASSGRAD, w.MICROGRAD], "plain"),
        w.digits_contenders(2, batch=2),
    ]
    for contenders in workloads:
        for contender in contenders.values():
            for step in contender.prepare():
                step()
