"""The generated backward steps do exactly what the rule table says, to the bit."""

from __future__ import annotations

import pickle

from hypothesis import assume, given
from hypothesis import strategies as st

from autograd import OPS, Value, fastpath, no_grad
from autograd.op import Op, apply_rule
from autograd.ops import _power_by, power

finite = st.floats(min_value=-50.0, max_value=50.0, allow_nan=False)


def _node(op: Op, inputs: list[float], g: float) -> Value:
    """A fresh node of `op` on leaves holding `inputs`, with incoming gradient `g`."""
    node = op.apply(*[Value(x) for x in inputs])
    node.grad = g
    return node


def _parent_grads(node: Value) -> list[float]:
    return [p.grad for p in node.parents]


def test_the_arithmetic_and_activations_get_a_written_step_and_dot_keeps_the_rule() -> None:
    written = {"+", "-", "*", "/", "neg", "identity", "exp", "log", "tanh", "sigmoid", "relu"}
    assert written <= set(fastpath.SOURCES)
    for name in written:
        assert OPS[name].step is not apply_rule
    assert OPS["dot"].step is apply_rule and OPS["sum"].step is apply_rule
    assert "a.grad += g * b.data" in fastpath.SOURCES["*"]


@given(
    name=st.sampled_from(sorted(set(fastpath.SOURCES) & set(OPS))),
    inputs=st.lists(finite, min_size=2, max_size=2),
    g=finite,
)
def test_each_written_step_adds_what_the_rule_adds_bit_for_bit(
    name: str, inputs: list[float], g: float
) -> None:
    op = OPS[name]
    assert op.arity is not None
    xs = inputs[: op.arity]
    assume(not ((name == "/" and xs[1] == 0.0) or (name == "log" and xs[0] <= 0.0)))
    by_rule, by_step = _node(op, xs, g), _node(op, xs, g)
    apply_rule(by_rule)
    op.step(by_step)
    assert list(map(repr, _parent_grads(by_step))) == list(map(repr, _parent_grads(by_rule)))


def test_a_reused_input_gets_both_shares() -> None:
    x = Value(3.0)
    (x * x).backward()
    assert x.grad == 6.0


def test_a_square_uses_its_written_step_and_a_root_the_rule() -> None:
    x = Value(4.0)
    y = power(x, 2.0) + power(x, 0.5)
    y.backward()  # each step is decided when backward first meets the op
    assert x.grad == 8.0 + 0.25
    square, root = _power_by(2.0).step, _power_by(0.5).step
    assert square is not apply_rule and square.__name__ != "first_step"
    assert root is apply_rule


def test_the_operators_pickle_by_name() -> None:
    """A module that keeps `Value.relu` as its activation can still be sent to a process."""
    for method in (Value.relu, Value.__mul__, Value.tanh):
        assert pickle.loads(pickle.dumps(method)) is method


def test_no_grad_still_records_nothing_and_records_again_after() -> None:
    x = Value(2.0)
    with no_grad():
        inside = x * 3.0 + 1.0
    assert inside.is_leaf
    assert not (x * 3.0).is_leaf


@given(name=st.sampled_from(["+", "-", "*"]), a=finite, b=finite)
def test_the_written_apply_computes_what_the_table_s_forward_computes(
    name: str, a: float, b: float
) -> None:
    op = OPS[name]
    for left, right in ((Value(a), Value(b)), (Value(a), b), (a, Value(b))):
        node = op.apply(left, right)
        assert repr(node.data) == repr(op.forward(a, b))
        assert node.op == name and [p.data for p in node.parents] == [a, b]
    assert op.apply(a, b) == op.forward(a, b)  # plain numbers: a plain float, no graph


def test_the_written_apply_fails_as_the_table_s_apply_does() -> None:
    import pytest

    from autograd import DomainError

    with pytest.raises(DomainError, match="is not a finite number"):
        Value(1e308) * 10.0
    with pytest.raises(DomainError, match="is not a finite number"):
        10.0 * Value(1e308)
    with pytest.raises(TypeError, match="needs an int or a float, got str"):
        Value(1.0) + "2"  # type: ignore[operator]


def test_reflected_operators_keep_the_number_on_the_left() -> None:
    x = Value(2.0)
    for node, expected in ((3.0 - x, 1.0), (3.0 * x, 6.0), (3.0 + x, 5.0)):
        assert node.data == expected
        assert [p.data for p in node.parents] == [3.0, 2.0]
    assert "    data = x.data * y.data\n" in fastpath.APPLY_SOURCES["*"]


@given(
    exponent=st.sampled_from([2.0, 3.0, 0.5, -1.0, 1.7, 0.0]),
    x=st.floats(min_value=0.2, max_value=20.0),
    g=finite,
)
def test_a_power_s_step_written_on_first_use_adds_what_its_rule_adds(
    exponent: float, x: float, g: float
) -> None:
    op = _power_by(exponent)
    by_rule, by_step = _node(op, [x], g), _node(op, [x], g)
    apply_rule(by_rule)
    op.step(by_step)
    assert op.step.__name__ != "first_step"  # decided once, kept for the next node
    assert repr(by_step.parents[0].grad) == repr(by_rule.parents[0].grad)


def test_a_new_exponent_makes_one_op_and_writes_no_code_until_backward() -> None:
    """Writing a step runs the rule of x ** c, which makes x ** (c - 1): done eagerly, each
    new constant made a chain of ops (gradgradcheck of x ** y took half a second)."""
    made_before = _power_by.cache_info().currsize
    y = Value(2.0) ** 1.2345
    assert _power_by.cache_info().currsize == made_before + 1
    assert _power_by(1.2345).step.__name__ == "first_step"
    y.backward()
    assert y.parents[0].grad == 1.2345 * 2.0**0.2345
    assert "**1.2345" not in fastpath.SOURCES  # the table's ops only: it cannot grow without end
