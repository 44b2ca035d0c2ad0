"""Value: construction, attributes, operators with numbers on either side, comparisons."""

from __future__ import annotations

import gc
import math

import pytest

from autograd import Value, dot, no_grad


def test_data_is_stored_as_float_and_grad_starts_as_float_zero() -> None:
    v = Value(3)
    assert v.data == 3.0 and type(v.data) is float
    assert v.grad == 0.0 and type(v.grad) is float
    assert v.label == "" and v.op == "" and v.parents == ()
    assert v.is_leaf


@pytest.mark.parametrize("bad", ["1.0", None, 1 + 2j, True, False, [1.0], (1.0,), {}])
def test_non_numbers_are_a_type_error_naming_the_type(bad: object) -> None:
    with pytest.raises(TypeError, match=type(bad).__name__):
        Value(bad)  # type: ignore[arg-type]


@pytest.mark.parametrize("bad", [math.nan, math.inf, -math.inf])
def test_non_finite_numbers_are_a_value_error(bad: float) -> None:
    with pytest.raises(ValueError, match="finite"):
        Value(bad)


def test_label_must_be_a_string() -> None:
    with pytest.raises(TypeError, match="label"):
        Value(1.0, label=3)  # type: ignore[arg-type]


def test_op_and_parents_are_read_only() -> None:
    a, b = Value(1.0), Value(2.0)
    c = a * b
    assert c.op == "*" and c.parents == (a, b)
    with pytest.raises(AttributeError):
        c.op = "+"  # type: ignore[misc]
    with pytest.raises(AttributeError):
        c.parents = ()  # type: ignore[misc]


def test_parents_come_back_in_order_for_every_number_of_inputs() -> None:
    """A node holds one or two inputs without a tuple (see `Value`); `parents` and micrograd's
    `_prev` must not be able to tell, whatever made the node."""
    a, b, c = Value(1.0), Value(2.0), Value(3.0)
    assert a.parents == () and a._prev == set()
    assert a.exp().parents == (a,)
    assert (a - b).parents == (a, b) and (b - a).parents == (b, a)
    assert (a * a).parents == (a, a) and (a * a)._prev == {a}
    assert (2.0 * a).parents[1] is a and (2.0 * a).parents[0].data == 2.0
    assert dot([a, b], [c, a]).parents == (a, b, c, a)
    assert Value(6.0, (a, b, c), "f").parents == (a, b, c)  # micrograd's form, three inputs
    assert Value(1.0, (a,), "g").parents == (a,) and Value(3.0, [a, b], "+").parents == (a, b)
    with no_grad():
        assert (a * b).parents == () and (a * b).is_leaf and a.exp().parents == ()


def test_a_node_of_two_inputs_is_one_object() -> None:
    """No tuple per node: what the cycle collector walks and what memory holds per node."""
    a, b = Value(1.0), Value(2.0)
    for node in (a * b, a + 1.0, a.tanh(), Value(3.0, (a, b), "+")):
        assert not any(isinstance(r, tuple) for r in gc.get_referents(node)), node


def test_repr_shows_data_grad_op_and_label() -> None:
    a = Value(2.0, label="a")
    assert repr(a) == "Value(data=2, grad=0, label='a')"
    assert repr(a * 3) == "Value(data=6, grad=0, op='*')"
    assert f"{a:.3f}" == "2.000"


@pytest.mark.parametrize(
    ("expression", "expected"),
    [
        (lambda a: a + 2, 5.0),
        (lambda a: 2 + a, 5.0),
        (lambda a: a - 2, 1.0),
        (lambda a: 2 - a, -1.0),
        (lambda a: a * 2, 6.0),
        (lambda a: 2 * a, 6.0),
        (lambda a: a / 2, 1.5),
        (lambda a: 2 / a, 2 / 3),
        (lambda a: a**2, 9.0),
        (lambda a: 2**a, 8.0),
        (lambda a: a**a, 27.0),
        (lambda a: -a, -3.0),
        (lambda a: +a, 3.0),
        (lambda a: a.exp(), math.exp(3.0)),
        (lambda a: a.log(), math.log(3.0)),
        (lambda a: a.tanh(), math.tanh(3.0)),
        (lambda a: a.sigmoid(), 1 / (1 + math.exp(-3.0))),
        (lambda a: a.relu(), 3.0),
        (lambda a: (-a).relu(), 0.0),
        (lambda a: abs(-a), 3.0),
        (lambda a: a.abs(), 3.0),
    ],
)
def test_operators_accept_values_and_numbers_on_either_side(expression, expected) -> None:  # type: ignore[no-untyped-def]
    result = expression(Value(3.0))
    assert isinstance(result, Value)
    assert result.data == pytest.approx(expected, rel=1e-15)


def test_sigmoid_is_stable_for_large_inputs() -> None:
    assert Value(800.0).sigmoid().data == 1.0
    assert Value(-800.0).sigmoid().data == 0.0
    assert Value(-30.0).sigmoid().data == pytest.approx(math.exp(-30.0) / (1 + math.exp(-30.0)))


def test_comparisons_look_at_data_and_return_bool() -> None:
    a, b = Value(1.0), Value(2.0)
    assert (a < b) is True and (a <= 1) is True and (b > 1.5) is True and (b >= a) is True
    assert (a > b) is False
    assert a > 0.5  # reflected through Value.__gt__


def test_equality_and_hash_are_identity() -> None:
    a, b = Value(1.0), Value(1.0)
    assert a == a and a != b
    assert len({a, b, a}) == 2
    grads = {a: "first", b: "second"}
    assert grads[a] == "first"


def test_micrograd_style_code_runs_unchanged() -> None:
    a = Value(-4.0)
    b = Value(2.0)
    c = a + b
    d = a * b + b**3
    c += c + 1
    c += 1 + c + (-a)
    d += d * 2 + (b + a).relu()
    d += 3 * d + (b - a).relu()
    e = c - d
    f = e**2
    g = f / 2.0
    g += 10.0 / f
    g.backward()
    # Values worked out by hand (and by PyTorch) for micrograd's own README example.
    assert g.data == pytest.approx(24.70408163265306, rel=1e-12)
    assert a.grad == pytest.approx(138.83381924198252, rel=1e-12)
    assert b.grad == pytest.approx(645.5772594752186, rel=1e-12)
    assert {p.data for p in g._prev} == {p.data for p in g.parents}
