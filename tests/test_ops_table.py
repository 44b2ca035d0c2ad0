"""The corners of the rule table and of the backward walk, found by mutation testing.

Each test here kills mutants of `autograd/` that survived the property tests: branches
taken only at exact points (a zero base, an empty sum), every path of applying an op and
of walking back through it (one, two, three or any number of inputs, rules with and
without the output), and what grad() returns when nothing depends on the inputs.
"""

from __future__ import annotations

import functools
import inspect
import math
from collections.abc import Callable
from fractions import Fraction
from types import ModuleType
from typing import Any

import pytest
from conftest import BUILT_IN_OPS

from autograd import (
    OPS,
    DomainError,
    Op,
    Value,
    define_op,
    dot,
    grad,
    gradients,
    no_grad,
    power,
    sum_values,
    value_and_grad,
)
from autograd.testing import gradcheck, gradgradcheck

# x ** y where the base is 0: d/dx = y * 0 ** (y - 1) (0 ** 0 taken as 1 for y = 1, and
# the slope of x ** 0 as 0); d/dy = 0 (the limit from 0 ** y = 0 for y > 0), as in PyTorch.
ZERO_BASE = [
    # (y, d/dx, d/dy)
    (0.0, 0.0, 0.0),
    (1.0, 1.0, 0.0),
    (2.0, 0.0, 0.0),
    (3.0, 0.0, 0.0),
]


@pytest.mark.parametrize(("y", "d_base", "d_exponent"), ZERO_BASE)
def test_pow_of_values_at_a_zero_base(y: float, d_base: float, d_exponent: float) -> None:
    assert grad(lambda a, b: a**b, (0, 1))(0.0, y) == (d_base, d_exponent)
    x, e = Value(0.0), Value(y)
    (x**e * 3.0).backward()
    assert (x.grad, e.grad) == (3.0 * d_base, 3.0 * d_exponent)


@pytest.mark.parametrize(("y", "d_base", "d_exponent"), ZERO_BASE)
def test_pow_of_values_at_a_zero_base_as_a_graph(
    y: float, d_base: float, d_exponent: float
) -> None:
    # The same rule run on Values (for higher orders) takes the same branches.
    first = grad(lambda a, b: a**b, (0, 1))(Value(0.0), Value(y))
    assert (first[0].data, first[1].data) == (d_base, d_exponent)


@pytest.mark.torch
@pytest.mark.parametrize(("y", "d_base", "d_exponent"), ZERO_BASE)
def test_pow_at_a_zero_base_agrees_with_torch(
    torch: ModuleType, y: float, d_base: float, d_exponent: float
) -> None:
    a = torch.tensor(0.0, requires_grad=True)
    b = torch.tensor(y, requires_grad=True)
    (a**b).backward()
    assert (a.grad.item(), b.grad.item()) == (d_base, d_exponent)


def test_the_empty_sum_is_a_zero_leaf() -> None:
    total = sum_values([])
    assert total.data == 0.0 and type(total.data) is float and total.is_leaf
    assert sum_values([]).data + sum_values([Value(2.0)]).data == 2.0


BUILT_IN = BUILT_IN_OPS


def _inputs_for(name: str) -> list[Value]:
    op = OPS[name]
    return [Value(x) for x in [0.7, 1.3, 0.4][: op.arity or 3]]


@pytest.mark.parametrize("name", BUILT_IN)
def test_every_op_makes_a_fresh_node(name: str) -> None:
    """A result starts with grad 0.0 and no label, whatever path of `apply` made it."""
    inputs = _inputs_for(name)
    out = OPS[name].apply(*inputs)
    assert (out.grad, out.label, out.op, out.parents) == (0.0, "", name, tuple(inputs))
    # Its own gradient, after a backward through it, is exactly the chain rule's.
    (out * 3.0).backward()
    assert out.grad == 3.0


@pytest.mark.parametrize("name", BUILT_IN)
def test_under_no_grad_every_op_makes_a_leaf(name: str) -> None:
    inputs = _inputs_for(name)
    with no_grad():
        out = OPS[name].apply(*inputs)
    assert out.is_leaf and out.op == "" and out.parents == () and out.grad == 0.0
    assert out.label == ""


def test_bad_power_operands_say_which_side() -> None:
    with pytest.raises(TypeError, match=r"^exponent needs"):
        power(Value(2.0), "3")  # type: ignore[arg-type]
    with pytest.raises(TypeError, match=r"^base needs"):
        power("2", Value(3.0))  # type: ignore[arg-type]


# -- the machinery that applies an op, seen through ops defined at run time ------------------
# (The built-in ops' apply functions are made at import; user ops exercise the same code.)

# Every path of `apply` and of the backward walk: one, two, three and any number of inputs,
# with rules that read the output (`uses_output=True`) and rules that do not.
USER_OPS: dict[str, tuple[int | None, Callable[..., float], Callable[..., Any], bool]] = {
    "1": (1, lambda x: 2.0 * x, lambda g, x: (2.0 * g,), False),
    "2": (2, lambda a, b: a * b + a, lambda g, a, b: (g * (b + 1.0), g * a), False),
    "3": (
        3,
        lambda a, b, c: a * b * c,
        lambda g, a, b, c: (g * b * c, g * a * c, g * a * b),
        False,
    ),
    "any": (None, lambda *xs: float(sum(xs)), lambda g, *xs: [g for _ in xs], False),
    "1-out": (1, math.exp, lambda g, out, x: (g * out,), True),
    "2-out": (2, lambda a, b: a * b, lambda g, out, a, b: (g * out / a, g * out / b), True),
    "3-out": (
        3,
        lambda a, b, c: a * b * c,
        lambda g, out, a, b, c: (g * out / a, g * out / b, g * out / c),
        True,
    ),
    "any-out": (
        None,
        lambda *xs: math.prod(xs),
        lambda g, out, *xs: [g * out / x for x in xs],
        True,
    ),
}


@pytest.fixture
def user_op(request: pytest.FixtureRequest) -> Any:
    """A user op from USER_OPS (variadic ones get 3 inputs), removed from the table after."""
    arity, forward, backward, uses_output = USER_OPS[request.param]
    name = f"test_table_{request.param.replace('-', '_')}"
    apply = define_op(name, forward, backward, uses_output=uses_output)
    yield name, apply, arity, forward
    OPS.pop(name, None)


@pytest.mark.parametrize("user_op", list(USER_OPS), indirect=True)
def test_user_ops_of_any_arity_make_fresh_nodes(user_op: Any) -> None:
    name, apply, arity, forward = user_op
    n = 3 if arity is None else arity
    inputs = [Value(x) for x in [0.5, -1.5, 2.0][:n]]
    out = apply(*inputs)
    assert type(out.data) is float
    assert (out.grad, out.label, out.op, out.parents) == (0.0, "", name, tuple(inputs))
    (out * 3.0).backward()
    assert out.grad == 3.0
    assert gradcheck(apply, [0.5, -1.5, 2.0][:n])  # through grad() and .backward()
    assert gradgradcheck(apply, [0.5, -1.5, 2.0][:n])
    with no_grad():
        leaf = apply(*inputs)
    assert leaf.is_leaf and leaf.op == "" and leaf.parents == () and leaf.grad == 0.0
    assert leaf.label == "" and leaf.data == out.data
    # Plain numbers only: a plain float, no graph. Mixed: numbers become constant leaves.
    assert type(apply(*[1.0] * n)) is float and apply(*[1.0] * n) == forward(*[1.0] * n)
    if n >= 2:
        mixed = apply(inputs[0], *[1.0] * (n - 1))
        assert mixed.parents[0] is inputs[0]
        assert all(p.is_leaf and p.data == 1.0 for p in mixed.parents[1:])
        mixed = apply(*[1.0] * (n - 1), inputs[-1])
        assert mixed.parents[-1] is inputs[-1]
        assert all(p.is_leaf and p.data == 1.0 for p in mixed.parents[:-1])
    with pytest.raises(TypeError, match=rf"^{name} input needs an int or a float, got str"):
        apply(*["1"] * n)
    if arity == 3:
        with pytest.raises(TypeError, match=rf"^{name} takes 3 inputs, got 2$"):
            apply(1.0, 2.0)
    assert apply.__name__ == name
    assert apply.__doc__ == f"Apply the op {name!r} to Values or numbers."


@pytest.mark.parametrize("arity", [1, 2, 3])
def test_user_op_results_are_checked(arity: int) -> None:
    names = [f"test_table_result_{arity}_{i}" for i in range(5)]
    args = ", ".join(["1.0"] * arity)

    def defined(i: int, result: Any) -> Any:
        def forward(*xs: float) -> Any:
            if isinstance(result, Exception):
                raise result
            return result

        forward.__signature__ = _signature(arity)  # type: ignore[attr-defined]
        return define_op(names[i], forward, lambda g, *xs: [g for _ in xs], replace=True)

    try:
        # On Values (a graph node) and on plain numbers (a float) alike.
        for inputs in ([Value(1.0) for _ in range(arity)], [1.0] * arity):
            out = defined(0, 3)(*inputs)  # an int result becomes a float
            assert getattr(out, "data", out) == 3.0
            assert type(getattr(out, "data", out)) is float
            with pytest.raises(DomainError, match=rf"^{names[1]}\({args}\) = -inf is not"):
                defined(1, -math.inf)(*inputs)
            with pytest.raises(DomainError, match=rf"^{names[1]}\({args}\) = inf is not"):
                defined(1, math.inf)(*inputs)
            with pytest.raises(DomainError, match=rf"^{names[2]} returned str 'x', not a real"):
                defined(2, "x")(*inputs)
            with pytest.raises(DomainError, match=rf"^{names[3]}\({args}\) failed: no$"):
                defined(3, ValueError("no"))(*inputs)
            with pytest.raises(DomainError, match=r"^as raised$"):
                defined(4, DomainError("as raised"))(*inputs)
    finally:
        for name in names:
            OPS.pop(name, None)


def _signature(arity: int) -> inspect.Signature:
    kind = inspect.Parameter.POSITIONAL_OR_KEYWORD
    return inspect.Signature([inspect.Parameter(f"x{i}", kind) for i in range(arity)])


def test_define_op_names_what_is_not_callable() -> None:
    with pytest.raises(TypeError, match=r"^define_op\('test_table_bad'\): forward must be"):
        define_op("test_table_bad", None, lambda g, x: (g,))  # type: ignore[arg-type]
    with pytest.raises(TypeError, match=r"^define_op\('test_table_bad'\): backward must be"):
        define_op("test_table_bad", lambda x: x, None)  # type: ignore[arg-type]
    assert "test_table_bad" not in OPS


# -- forwards at the edges of their domains ------------------------------------------------


def test_forwards_at_the_edges_of_their_domains() -> None:
    with pytest.raises(DomainError, match=r"defined for x > 0 only, got log\(0\.0\)"):
        Value(0.0).log()
    assert (Value(0.0) ** 0.5).data == 0.0  # 0 ** non-integer is defined
    assert (Value(0.0) ** Value(2.5)).data == 0.0
    assert math.copysign(1.0, Value(-0.0).relu().data) == 1.0  # never -0.0
    assert Value(0.0).sigmoid().data == 0.5


def test_dot_errors_say_what_is_wrong() -> None:
    with pytest.raises(ValueError, match=r"^dot needs as many weights as inputs, got 2 and 1$"):
        dot([1.0, 2.0], [1.0])
    with pytest.raises(ValueError, match=r"^dot needs at least one weight and one input$"):
        dot([], [])


# -- the backward walk and grad(): outputs that only exact assertions see ---------------------


def test_gradients_gives_floats_unless_asked_for_graphs() -> None:
    x, unused = Value(1.5), Value(2.0)
    y = x * x
    floats = gradients(y, [x, unused])
    assert floats == [3.0, 0.0] and all(type(g) is float for g in floats)
    graphs = gradients(y, [x, unused], create_graph=True)
    assert all(isinstance(g, Value) for g in graphs)
    assert [g.data for g in graphs] == [3.0, 0.0]
    # An output that depends on none of the inputs: zeros of the asked-for kind.
    constant = Value(4.0) * 2.0
    assert gradients(constant, [x]) == [0.0]
    (zero,) = gradients(constant, [x], create_graph=True)
    assert isinstance(zero, Value) and zero.data == 0.0


def test_nodes_off_the_path_to_the_inputs_are_not_differentiated() -> None:
    # (-2) ** y has no derivative in y; it is a constant here, so its rule must not run.
    def f(x: Value) -> Value:
        return x * Value(-2.0) ** Value(2.0)

    assert grad(f)(3.0) == 4.0
    assert grad(grad(f))(3.0) == 0.0


def test_value_and_grad_keeps_the_kind_of_its_inputs() -> None:
    value, slope = value_and_grad(lambda x: x * x)(Value(3.0))
    assert isinstance(value, Value) and value.data == 9.0
    assert isinstance(slope, Value) and slope.data == 6.0
    value, slope = value_and_grad(lambda x: 3)(2.0)
    assert (value, slope) == (3.0, 0.0) and type(value) is float and type(slope) is float
    value, slope = value_and_grad(lambda x: 3)(Value(2.0))
    assert value == 3.0 and isinstance(slope, Value) and slope.data == 0.0
    with pytest.raises(TypeError, match=r"^grad needs an int or a float, got str"):
        grad(lambda x: x)("2")


def test_derivative_functions_say_what_they_differentiate() -> None:
    def cube(x: Value) -> Value:
        return x * x * x

    assert grad(cube).__doc__ == "Gradient of 'cube'."
    assert value_and_grad(cube).__doc__ == "Value and gradient of 'cube'."
    nameless = functools.partial(cube)  # no __name__: its repr stands in
    assert grad(nameless).__doc__ == f"Gradient of {nameless!r}."
    assert value_and_grad(nameless).__doc__ == f"Value and gradient of {nameless!r}."


def test_an_op_keeps_its_options() -> None:
    def smooth(x: float) -> bool:
        return x > 0.0

    plain = Op("test_table_plain", lambda x: x, lambda g, x: (g,))
    assert plain.uses_output is False and plain.smooth is None and plain.arity == 1
    try:
        define_op(
            "test_table_options",
            math.sqrt,
            lambda g, out, x: (g * 0.5 / out,),
            uses_output=True,
            smooth=smooth,
        )
        op = OPS["test_table_options"]
        assert op.uses_output is True and op.smooth is smooth
    finally:
        OPS.pop("test_table_options", None)


def test_an_op_named_like_no_python_function_applies_as_apply() -> None:
    try:
        apply = define_op("test table spaced", lambda x: x, lambda g, x: (g,))
        assert apply.__name__ == apply.__qualname__ == "apply"
    finally:
        OPS.pop("test table spaced", None)


# -- Value's own edges, also found by mutation ------------------------------------------------


def test_value_edges() -> None:
    assert Value(Fraction(1, 2)).data == 0.5  # any real number, not only int and float
    with pytest.raises(TypeError, match=r"^Value needs an int or a float, got str"):
        Value("1")  # type: ignore[arg-type]
    with pytest.raises(TypeError, match=r"^label must be a str, got int$"):
        Value(1.0, label=3)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match=r"^comparison needs an int or a float, got str"):
        assert Value(1.0) < "2"  # type: ignore[operator]
    one = Value(1.0)
    assert not one < 1.0 and not one > 1.0 and one >= 1.0 and one <= 1.0
    assert not one < Value(1.0) and one >= Value(1.0)
    assert f"{one}" == repr(one) and f"{one:.2f}" == "1.00"
    # Leaves made by the engine (detach, an empty sum, a number operand) have no label.
    labelled = Value(2.0, label="w")
    constant = (labelled * 3).parents[1]
    assert (labelled.detach().label, sum_values([]).label, constant.label) == ("", "", "")
