"""micrograd's spellings on glassgrad's Value: `_op`, `_prev`, `_backward`, its constructor."""

from __future__ import annotations

import pytest

from autograd import Value, topological_order


def test_op_is_the_name_as_a_str_and_empty_for_a_leaf() -> None:
    a, b = Value(2.0), Value(-3.0)
    c = (a * b).tanh()
    assert a._op == "" and c._op == "tanh" and c._op == c.op
    assert str(id(c)) + c._op == f"{id(c)}tanh"


def test_backward_by_hand_node_by_node_equals_backward() -> None:
    def build() -> tuple[list[Value], Value]:
        x1, x2, w1, w2, b = (Value(v) for v in (2.0, 0.0, -3.0, 1.0, 6.8813735870195432))
        n = x1 * w1 + x2 * w2 + b
        return [x1, x2, w1, w2, b], n.tanh() * 2 - n / 3

    leaves, out = build()
    out.grad = 1.0
    for node in reversed(topological_order(out)):
        node._backward()
    by_hand = [v.grad for v in leaves]

    leaves, out = build()
    out.backward()
    assert by_hand == [v.grad for v in leaves]
    assert by_hand[2] != 0.0


def test_a_leafs_backward_does_nothing() -> None:
    a = Value(1.0)
    a.grad = 3.0
    a._backward()
    assert a.grad == 3.0


def test_micrograds_constructor_makes_a_node_whose_rule_is_assigned_by_hand() -> None:
    a, b = Value(2.0), Value(5.0)
    out = Value(a.data * b.data, (a, b), "*")
    assert out._op == "*" and out._prev == {a, b} and not out.is_leaf
    with pytest.raises(TypeError, match="no derivative rule: assign its _backward"):
        out.backward()
    assert a.grad == b.grad == 0.0

    def _backward() -> None:
        a.grad += b.data * out.grad
        b.grad += a.data * out.grad

    out._backward = _backward
    (out * 2.0).backward()
    assert (a.grad, b.grad) == (10.0, 4.0)


def test_older_positional_label_and_bad_constructor_arguments() -> None:
    assert Value(1.0, "w").label == "w"
    assert Value(1.0, label="w", _children=()).label == "w"
    with pytest.raises(ValueError, match="no _children"):
        Value(1.0, (), "+")
    with pytest.raises(TypeError, match="_children must be Values"):
        Value(1.0, (1.0,), "+")
    with pytest.raises(ValueError, match="a leaf has no rule"):
        Value(1.0)._backward = lambda: None


def test_backward_by_hand_sums_what_a_node_sends_to_a_parent_used_twice() -> None:
    x = Value(3.0)
    y = x * x
    y.grad = 1.0
    y._backward()
    assert x.grad == 6.0
