"""The engine never hands back a non-finite gradient, names where a rule failed, and a
failed `backward()` changes no `.grad` (issue 10, items 1-4), and Ctrl-C while a `no_grad()`
block opens or closes cannot leave gradients off."""

from __future__ import annotations

import math
from collections.abc import Callable
from fractions import Fraction
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from autograd import (
    DivisionByZeroError,
    DomainError,
    Value,
    define_op,
    grad,
    gradients,
    is_grad_enabled,
    mode,
    no_grad,
    topological_order,
)
from tests.interrupting import interrupted_at_check_point

# -- 1. overflowing gradients raise, naming the op, the node's value and the gradient --------


def _twice_huge(x: Any) -> Any:
    return x * 1e200 * 1e200 - x * 1e200 * 1e200


OVERFLOWS: list[tuple[Callable[[Any], Any], float, str]] = [
    (_twice_huge, 1e-300, r"node \*\(1e-300, 1e\+200\) = 1e-100.*input 0.*is inf"),
    (lambda x: x.log() if isinstance(x, Value) else math.log(x), 5e-324, r"log\(5e-324\).*inf"),
    (lambda x: 1 / x, 1e-160, r"node /\(1\.0, 1e-160\) = 1e\+160.*input 1.*-inf"),
]


@pytest.mark.parametrize(("f", "x", "pattern"), OVERFLOWS)
def test_backward_raises_where_a_gradient_overflows(
    f: Callable[[Any], Any], x: float, pattern: str
) -> None:
    leaf = Value(x)
    out = f(leaf)
    with pytest.raises(DomainError, match=pattern):
        out.backward()
    assert all(node.grad == 0.0 for node in topological_order(out))


@pytest.mark.parametrize(("f", "x", "pattern"), OVERFLOWS)
def test_grad_and_gradients_raise_where_a_gradient_overflows(
    f: Callable[[Any], Any], x: float, pattern: str
) -> None:
    with pytest.raises(DomainError, match=pattern):
        grad(f)(x)
    leaf = Value(x)
    with pytest.raises(DomainError, match=pattern):
        gradients(f(leaf), [leaf])
    with pytest.raises(DomainError, match=pattern):  # the graph-building path
        gradients(f(leaf), [leaf], create_graph=True)


def test_higher_order_overflow_is_an_error() -> None:
    with pytest.raises(DomainError, match=r"overflowed|failed"):
        grad(grad(lambda x: x * x * 1e200 * 1e200))(1e-300)
    with pytest.raises(DomainError, match="log"):
        grad(grad(lambda x: x.log()))(5e-324)


def test_gradients_that_add_up_past_a_float_are_an_error() -> None:
    x = Value(1e-300, label="x")
    out = x * 1e308 + x * 1e308  # each path is finite, their sum is not
    with pytest.raises(DomainError, match=r"'x' = 1e-300.*add up.*1e\+308 \+ 1e\+308"):
        out.backward()
    assert x.grad == 0.0
    with pytest.raises(DomainError, match="add up"):
        grad(lambda x: x * 1e308 + x * 1e308)(1e-300)
    with pytest.raises(DomainError, match="add up"):
        gradients(out, [x], create_graph=True)


def test_a_gradient_that_overflows_the_earlier_grad_is_an_error() -> None:
    w = Value(1.0, label="w")
    w.grad = 1e308
    with pytest.raises(DomainError, match=r"'w'.*already had.*zero_grad"):
        (w * 1e308).backward()
    assert w.grad == 1e308


def test_a_finite_sum_check_false_alarm_is_not_an_error() -> None:
    # The gradients are all finite but their total is not: backward must still succeed.
    a, b = Value(1e-300), Value(1e-300)
    out = a * 1e308 + b * 1e308
    out.backward()
    assert a.grad == b.grad == 1e308


# -- 2. failures inside a rule are DomainErrors naming the op ----------------------------------


def test_division_by_zero_in_a_rule_is_a_domain_and_zero_division_error() -> None:
    x = Value(1e-4)
    out = 1 / x**50
    with pytest.raises(DomainError, match=r"derivative rule of '/' failed at /\(1\.0") as info:
        out.backward()
    assert isinstance(info.value, ZeroDivisionError)
    with pytest.raises(ZeroDivisionError, match=r"rule of '/'"):
        grad(grad(lambda x: 1 / x))(1e-110)
    with pytest.raises(DomainError, match=r"rule of '/'"):
        grad(lambda x: 1 / x**50)(1e-4)


@pytest.mark.parametrize(
    "compute",
    [
        lambda: Value(1.0) / 0,
        lambda: 1 / Value(0.0),
        lambda: Value(0.0) ** -1,
        lambda: Value(0.0) ** Value(-2.0),
    ],
)
def test_division_by_zero_forward_is_both_errors(compute: Callable[[], Any]) -> None:
    with pytest.raises(DivisionByZeroError) as info:
        compute()
    assert isinstance(info.value, DomainError) and isinstance(info.value, ZeroDivisionError)


def test_a_user_rule_raising_arithmetic_errors_is_named() -> None:
    bad = define_op("test_rel_bad_rule", math.sin, lambda g, x: (g * math.log(x - 10.0),))
    with pytest.raises(DomainError, match=r"rule of 'test_rel_bad_rule' failed at .*\(0\.5\)"):
        bad(Value(0.5)).backward()
    with pytest.raises(DomainError, match="test_rel_bad_rule"):
        grad(bad)(0.5)
    with pytest.raises(DomainError, match="test_rel_bad_rule"):
        bad(Value(0.5))._backward()


def test_type_errors_of_malformed_rules_stay_type_errors() -> None:
    no_rule = Value(1.0, (Value(2.0),), "hand")
    with pytest.raises(TypeError, match="no derivative rule"):
        no_rule.backward()
    broken = define_op("test_rel_typo", math.sin, lambda g, x: (g * "2",))
    with pytest.raises(TypeError):
        broken(Value(0.5)).backward()


# -- 3. a failed backward() leaves every .grad as it was ---------------------------------------


def test_failed_backward_restores_earlier_gradients() -> None:
    w = Value(1.0, label="w")
    (w * 2.0).backward()
    assert w.grad == 2.0
    out = w * 3.0 + 1 / (w * 1e-160)  # the second term's gradient overflows
    with pytest.raises(DomainError):
        out.backward()
    assert w.grad == 2.0
    assert all(node.grad == 0.0 for node in topological_order(out) if node is not w)


def test_failed_rule_restores_earlier_gradients() -> None:
    w = Value(1e-4, label="w")
    w.grad = 2.0
    out = w * 3.0 + 1 / w**50
    with pytest.raises(ZeroDivisionError):
        out.backward()
    assert w.grad == 2.0


def test_interrupted_backward_restores_earlier_gradients() -> None:
    def stop(*_: Any) -> tuple[Any]:
        raise KeyboardInterrupt

    w = Value(0.5)
    w.grad = 7.0
    halt = define_op("test_rel_halt", math.sin, lambda g, x: stop())
    out = w * 2.0 + halt(w)
    with pytest.raises(KeyboardInterrupt):
        out.backward()
    assert w.grad == 7.0


@given(
    st.lists(st.floats(-1e3, 1e3), min_size=3, max_size=3),
    st.sampled_from([1e-200, 1e-160, 1e-4, 0.5, 3.0]),
)
def test_backward_either_adds_exactly_or_changes_nothing(prior: list[float], x: float) -> None:
    a, b, c = Value(x), Value(2.0), Value(-1.0)
    for node, grad_before in zip((a, b, c), prior):
        node.grad = grad_before
    out = a * b + 1 / (a * c) + (a * 1e10).tanh() * b
    try:
        out.backward()
    except DomainError:
        assert [a.grad, b.grad, c.grad] == prior
        return
    fresh = gradients(out, [a, b, c])
    assert [a.grad, b.grad, c.grad] == [p + f for p, f in zip(prior, fresh)]
    assert all(math.isfinite(node.grad) for node in topological_order(out))


# -- 4. numbers too large for a float are the usual ValueError ---------------------------------


@pytest.mark.parametrize(
    "compute",
    [
        lambda: Value(10**400),
        lambda: Value(Fraction(10**400, 1)),
        lambda: Value(1.0) + 10**400,
        lambda: 10**400 * Value(1.0),
        lambda: Value(2.0) ** 10**400,
        lambda: Value(10**5000),  # past Python's int-to-str limit: still one clear line
    ],
)
def test_numbers_too_large_for_a_float_are_value_errors(compute: Callable[[], Any]) -> None:
    with pytest.raises(ValueError, match=r"needs a finite number, got .*too large for a float"):
        compute()


def test_the_too_large_message_names_the_number_briefly() -> None:
    with pytest.raises(ValueError, match=r"got 1000000000000000\.\.\.0+ \(401 characters\)"):
        Value(10**400)


# -- 5. Ctrl-C while a no_grad() block opens or closes ----------------------------------------


@pytest.mark.parametrize("inside", ["enabled", "no_grad"])
def test_ctrl_c_entering_or_leaving_no_grad_puts_back_what_it_found(inside: str) -> None:
    """At every point where a signal can land after a function has begun. (The trace sees a
    frame only after its first instruction: the one point no Python code can guard, the
    first instruction of `__exit__`, is not among them. `fit` keeps Ctrl-C away from it.)"""
    codes = {no_grad.__enter__.__code__, no_grad.__exit__.__code__}
    outer = no_grad()

    def block() -> None:
        with no_grad(), no_grad():  # nested, as model code calling model code does
            pass

    if inside == "no_grad":
        outer.__enter__()
    try:
        points = 0
        while interrupted_at_check_point(points + 1, codes, block):
            points += 1
            assert is_grad_enabled() is (inside == "enabled"), points
            assert len(mode.open_blocks) == (inside == "no_grad"), points
        assert points >= 8  # the walk really went through the enter and the exit code
    finally:
        if inside == "no_grad":
            outer.__exit__(None, None, None)
    assert is_grad_enabled() and not mode.open_blocks
