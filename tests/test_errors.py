"""Domain errors never turn silently into NaN or infinity; messages name op and value."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from autograd import DomainError, Value, define_op, grad


@pytest.mark.parametrize(
    ("compute", "pattern"),
    [
        (lambda: Value(0.0).log(), r"log.*0\.0"),
        (lambda: Value(-2.0).log(), r"log.*-2\.0"),
        (lambda: Value(1.0) / Value(0.0), r"division by zero.*1\.0 / 0\.0"),
        (lambda: Value(1.0) / 0, r"division by zero"),
        (lambda: 3 / Value(0.0), r"division by zero.*3\.0 / 0\.0"),
        (lambda: Value(0.0) ** -1, r"0 \*\* negative.*0\.0 \*\* -1"),
        (lambda: Value(0.0) ** Value(-0.5), r"0 \*\* negative"),
        (lambda: Value(-8.0) ** (1 / 3), r"negative \*\* non-integer.*-8\.0"),
        (lambda: (-8) ** Value(0.5), r"negative \*\* non-integer.*-8\.0"),
        (lambda: Value(800.0).exp(), r"exp\(800\.0\) overflows"),
        (lambda: 10 ** Value(400.0), r"overflows"),
        (lambda: Value(1e200) * Value(1e200), r"\*\(1e\+200, 1e\+200\).*not a finite"),
    ],
)
def test_domain_errors_name_the_op_and_value(compute: Callable[[], Value], pattern: str) -> None:
    with pytest.raises(DomainError, match=pattern):
        compute()


def test_domain_error_is_a_value_error() -> None:
    assert issubclass(DomainError, ValueError)


def test_derivative_with_respect_to_a_negative_base_is_an_error() -> None:
    y = Value(-2.0) ** Value(2.0)  # defined: (-2)² = 4
    assert y.data == 4.0
    with pytest.raises(DomainError, match="negative base"):
        y.backward()
    z = (-2) ** Value(3.0)
    assert z.data == -8.0
    with pytest.raises(DomainError, match="negative base"):
        z.backward()


def test_operand_errors_name_the_type() -> None:
    with pytest.raises(TypeError, match="str"):
        Value(1.0) + "2"  # type: ignore[operator]
    with pytest.raises(TypeError, match="NoneType"):
        Value(1.0) * None  # type: ignore[operator]
    with pytest.raises(ValueError, match="finite"):
        Value(1.0) + float("nan")
    with pytest.raises(TypeError, match="complex"):
        assert Value(1.0) < 1j  # type: ignore[operator]


def test_user_op_errors_are_domain_errors() -> None:
    import math

    root = define_op("test_errors_sqrt", math.sqrt, lambda g, x: (g * 0.5 / x**0.5,))
    assert root(4.0) == 2.0 and root(Value(4.0)).data == 2.0
    with pytest.raises(DomainError, match=r"test_errors_sqrt\(-1\.0\)"):
        root(-1.0)
    wrong = define_op("test_errors_complex", lambda x: complex(x, 1), lambda g, x: (g,))
    with pytest.raises(DomainError, match="complex"):
        wrong(1.0)
    with pytest.raises(TypeError, match="takes 1 positional argument"):
        root(1.0, 2.0)


def test_define_op_rejects_bad_definitions() -> None:
    with pytest.raises(ValueError, match="built-in"):
        define_op("exp", lambda x: x, lambda g, x: (g,))
    with pytest.raises(TypeError, match="name"):
        define_op("", lambda x: x, lambda g, x: (g,))
    with pytest.raises(TypeError, match="backward must be callable"):
        define_op("test_errors_bad", lambda x: x, None)  # type: ignore[arg-type]


def test_grad_rejects_bad_arguments() -> None:
    with pytest.raises(TypeError, match="argnums"):
        grad(lambda x: x, argnums=-1)
    with pytest.raises(TypeError, match="argnums"):
        grad(lambda x: x, argnums=(True,))
    with pytest.raises(TypeError, match="argument 1"):
        grad(lambda x, y: x * y, argnums=1)(2.0)
    with pytest.raises(TypeError, match="list"):
        grad(lambda x: [x])(1.0)
    with pytest.raises(TypeError, match="str"):
        grad(lambda x: x)("1.0")


def test_malformed_user_rules_are_reported_with_the_op_name() -> None:
    import math

    no_tuple = define_op("test_errors_no_tuple", math.sin, lambda g, x: g * math.cos(x))
    with pytest.raises(TypeError, match=r"test_errors_no_tuple.*one gradient per input"):
        no_tuple(Value(0.5)).backward()
    too_many = define_op("test_errors_too_many", math.sin, lambda g, x: (g, g))
    with pytest.raises(TypeError, match=r"test_errors_too_many.*\(1\)"):
        grad(too_many)(0.5)
    detached = Value(2.0)
    leaky = define_op("test_errors_leaky", math.sin, lambda g, x: (g * detached,))
    with pytest.raises(TypeError, match=r"test_errors_leaky.*returned Value.*float inputs"):
        leaky(Value(0.5)).backward()
