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


def test_trace_workloads_compute_the_same_numbers() -> None:
    """Workloads 6-9: the hand-written moons step, the traced step and the floor agree."""
    from tests.benchmarks import compiled as c

    points, labels = w.moons_data(6)
    model = w.glassgrad_mlp(2, w.MOONS_SIZES)
    layers = [
        ([[p.data for p in n.w] for n in layer.neurons], [n.b.data for n in layer.neurons])
        for layer in model.layers
    ]
    by_hand = c.hand_written_step(layers, points, labels)
    params = model.parameters()
    loss = w.max_margin_loss(model, params, points, labels, Value)
    loss.backward()
    assert by_hand == pytest.approx(loss.data, rel=TOLERANCE)
    updated = [p.data - c.MOONS_LR * p.grad for p in params]
    ours = [x for W, b in layers for x in [*(v for row in W for v in row), *b]]
    order = [
        p
        for layer in model.layers
        for p in [*(q for n in layer.neurons for q in n.w), *(n.b for n in layer.neurons)]
    ]
    by_param = dict(zip(map(id, order), ours))
    assert [by_param[id(p)] for p in params] == pytest.approx(updated, rel=TOLERANCE, abs=1e-15)
    assert c.floor_chain(50) == pytest.approx(w.chain(Value, 50), rel=1e-12)
    glass, tiny = (c.gpt_steps(v, steps=1)[0] for v in (Value, c.TinyValue))
    glass()
    tiny()
    for prepare in (
        c.traced_moons_step(6, 1),
        c.hand_written_moons_step(6, 1),
        c.digits_epoch(True, 4),
    ):
        for step in prepare():
            step()


def test_warmed_contenders_run_their_first_step_untimed_as_their_timed_steps_run() -> None:
    """Row 6's warm-up: the first step runs `warm` times inside the preparation (outside the
    timing), with the collector off for a contender timed with it off, and back on after."""
    import gc

    from tests.benchmarks import compiled as c
    from tests.benchmarks.measure import Contender

    calls: list[bool] = []

    def prepare() -> list[Any]:
        return [lambda: calls.append(gc.isenabled())] * 3

    for gc_off in (False, True):
        calls.clear()
        steps = c.warmed(Contender(prepare, gc_off=gc_off), warm=4).prepare()
        assert calls == [not gc_off] * 4 and len(steps) == 3
        assert gc.isenabled()
