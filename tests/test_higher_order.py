"""grad() of any order: analytic derivatives, composition, several arguments."""

from __future__ import annotations

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from autograd import Value, grad, value_and_grad

finite = st.floats(min_value=-3.0, max_value=3.0, allow_nan=False)


def test_floats_in_give_floats_out() -> None:
    d = grad(lambda x: x * x * x)(2.0)
    assert type(d) is float and d == 12.0
    value, d = value_and_grad(lambda x: x * x)(3)
    assert (value, d) == (9.0, 6.0)
    assert type(value) is float


@given(finite)
def test_tanh_derivatives_up_to_third_order(x: float) -> None:
    t = math.tanh(x)
    tanh = Value.tanh
    assert grad(tanh)(x) == pytest.approx(1 - t * t, rel=1e-12, abs=1e-12)
    assert grad(grad(tanh))(x) == pytest.approx(-2 * t * (1 - t * t), rel=1e-10, abs=1e-12)
    third = (1 - t * t) * (6 * t * t - 2)
    assert grad(grad(grad(tanh)))(x) == pytest.approx(third, rel=1e-9, abs=1e-12)


@pytest.mark.parametrize(
    ("f", "derivatives"),
    [
        (Value.exp, lambda x: [math.exp(x)] * 4),
        (Value.sigmoid, lambda x: _sigmoid_derivatives(x)),
        (lambda v: v.log(), lambda x: [1 / x, -1 / x**2, 2 / x**3, -6 / x**4]),
        (lambda v: v**3, lambda x: [3 * x**2, 6 * x, 6.0, 0.0]),
        (lambda v: 2**v, lambda x: [math.log(2) ** k * 2**x for k in (1, 2, 3, 4)]),
        (lambda v: v**v, lambda x: _x_to_the_x_derivatives(x)),
        (lambda v: 1 / v, lambda x: [-1 / x**2, 2 / x**3, -6 / x**4, 24 / x**5]),
        (lambda v: (v * v).relu(), lambda x: [2 * x, 2.0, 0.0, 0.0]),
    ],
)
@pytest.mark.parametrize("x", [0.3, 1.7])
def test_four_orders_of_every_kind_of_op(f, derivatives, x) -> None:  # type: ignore[no-untyped-def]
    expected = derivatives(x)
    g = f
    for order in range(4):
        g = grad(g)
        assert g(x) == pytest.approx(expected[order], rel=1e-9, abs=1e-12), f"order {order + 1}"


def _sigmoid_derivatives(x: float) -> list[float]:
    s = 1 / (1 + math.exp(-x))
    d1 = s * (1 - s)
    d2 = d1 * (1 - 2 * s)
    d3 = d1 * (1 - 6 * s + 6 * s * s)
    d4 = d1 * (1 - 2 * s) * (1 - 12 * s + 12 * s * s)
    return [d1, d2, d3, d4]


def _x_to_the_x_derivatives(x: float) -> list[float]:
    u = math.log(x) + 1  # (x^x)' = x^x · u
    f = x**x
    d1 = f * u
    d2 = f * (u * u + 1 / x)
    d3 = f * (u**3 + 3 * u / x - 1 / x**2)
    d4 = f * (u**4 + 6 * u * u / x - 4 * u / x**2 + 3 / x**2 + 2 / x**3)
    return [d1, d2, d3, d4]


def test_several_argnums_give_a_tuple() -> None:
    def f(x: Value, y: Value, z: float) -> Value:
        return x * x * y + z

    dx, dy = grad(f, argnums=(0, 1))(3.0, 2.0, 5.0)
    assert (dx, dy) == (12.0, 9.0)
    (dy_only,) = grad(f, argnums=(1,))(3.0, 2.0, 5.0)
    assert dy_only == 9.0
    # mixed second derivative d²f/dxdy = 2x
    assert grad(grad(f, argnums=1), argnums=0)(3.0, 2.0, 5.0) == 6.0


def test_no_perturbation_confusion_with_closures() -> None:
    # d/dx [ x · d/dy (x + y) ] = d/dx [ x · 1 ] = 1, not 2
    def outer(x: Value) -> Value:
        return x * grad(lambda y: x + y)(x)

    assert grad(outer)(1.0) == 1.0


def test_constant_function_has_zero_gradient() -> None:
    assert grad(lambda x: 3.0)(1.0) == 0.0
    assert grad(grad(lambda x: x * 2))(1.0) == 0.0
    assert grad(lambda x, y: y * 2, argnums=0)(1.0, 2.0) == 0.0


def test_grad_does_not_touch_existing_grads() -> None:
    w = Value(3.0)
    w.grad = 0.25
    assert grad(lambda x: x * w)(2.0) == 3.0
    assert w.grad == 0.25


def test_values_in_give_values_out() -> None:
    x = Value(2.0)
    d = grad(lambda v: v * v * v)(x)
    assert isinstance(d, Value) and d.data == 12.0
    d.backward()
    assert x.grad == 12.0  # d/dx of 3x² at 2


def test_user_ops_that_call_each_other_have_every_order() -> None:
    from autograd import define_op

    sin = define_op("test_hi_sin", math.sin, lambda g, x: (g * cos(x),))
    cos = define_op("test_hi_cos", math.cos, lambda g, x: (-g * sin(x),))
    assert sin(0.3) == math.sin(0.3) and type(sin(0.3)) is float  # numbers in, float out
    expected = [math.cos(0.3), -math.sin(0.3), -math.cos(0.3), math.sin(0.3)]
    f = sin
    for order, value in enumerate(expected, start=1):
        f = grad(f)
        assert f(0.3) == pytest.approx(value, rel=1e-14), f"order {order}"
    x = Value(0.3)
    sin(x).backward()
    assert type(x.grad) is float and x.grad == math.cos(0.3)
