"""define_op's contract with its user: how many inputs, what redefining does, and errors
that name the op and the fix (issue 17, items 1, 2, 3 and 8)."""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import pytest

from autograd import OPS, Value, grad
from autograd.testing import gradcheck, gradgradcheck

# -- the number of inputs ---------------------------------------------------------------------


def test_a_builtin_without_a_signature_needs_arity(user_ops: Callable[..., Any]) -> None:
    rule = lambda g, out, x, y: (g * x / out, g * y / out)  # noqa: E731
    with pytest.raises(TypeError, match=r"define_op\('hypot'\): cannot tell .* pass arity=N"):
        user_ops("hypot", math.hypot, rule, uses_output=True)
    assert "hypot" not in OPS
    hypot = user_ops("hypot", math.hypot, rule, uses_output=True, arity=2)
    assert OPS["hypot"].arity == 2
    assert hypot(3.0, 4.0) == 5.0
    assert gradcheck(hypot, [3.0, -4.0]) and gradgradcheck(hypot, [3.0, -4.0])


def test_calling_with_the_wrong_number_of_inputs_names_the_op(
    user_ops: Callable[..., Any],
) -> None:
    hypot = user_ops(
        "hypot",
        math.hypot,
        lambda g, out, x, y: (g * x / out, g * y / out),
        uses_output=True,
        arity=2,
    )
    with pytest.raises(TypeError, match=r"^hypot\(\) missing 1 required positional"):
        hypot(Value(3.0))  # before: accepted, and backward() failed later inside the rule
    with pytest.raises(TypeError, match=r"^hypot\(\) takes 2 positional"):
        hypot(Value(3.0), Value(4.0), Value(5.0))
    triple = user_ops("triple", lambda *xs: sum(xs), lambda g, *xs: [g] * 3, arity=3)
    with pytest.raises(TypeError, match=r"^triple takes 3 inputs, got 2$"):
        triple(Value(1.0), Value(2.0))


def test_defaulted_parameters_are_not_inputs(user_ops: Callable[..., Any]) -> None:
    def leaky(x: float, slope: float = 0.01) -> float:
        return x if x > 0.0 else slope * x

    op = user_ops("leaky", leaky, lambda g, x: (g * (1.0 if x > 0.0 else 0.01),))
    assert OPS["leaky"].arity == 1  # before: 2, so the op wanted a second input
    assert op(Value(-2.0)).data == -0.02
    assert gradcheck(op, [-2.0])
    # An explicit arity may take the defaulted parameter as an input after all.
    user_ops("leaky2", leaky, lambda g, x, s: (g * (1.0 if x > 0 else s), g * x), arity=2)
    assert OPS["leaky2"].arity == 2


@pytest.mark.parametrize(
    ("forward", "arity", "message"),
    [
        (lambda x: x, 2, r"arity=2, but forward takes 1 inputs"),
        (lambda x, y=1.0: x, 3, r"arity=3, but forward takes 1 to 2 inputs"),
        (lambda x, y, *z: x, 1, r"arity=1, but forward takes 2 or more inputs"),
        (lambda x: x, -1, r"arity must be a non-negative int, got -1"),
        (lambda x: x, True, r"arity must be a non-negative int, got True"),
        (
            lambda x, *, scale: x,
            None,
            r"forward has a keyword-only parameter without a default \('scale'\)",
        ),
    ],
)
def test_an_arity_the_forward_cannot_take_is_refused(
    user_ops: Callable[..., Any], forward: Callable[..., float], arity: Any, message: str
) -> None:
    with pytest.raises(TypeError, match=r"^define_op\('test_do_bad'\): " + message):
        user_ops("test_do_bad", forward, lambda g, x: (g,), arity=arity)
    assert "test_do_bad" not in OPS


def test_a_smooth_or_rule_with_the_wrong_signature_is_refused_at_once(
    user_ops: Callable[..., Any],
) -> None:
    # Before: accepted, and expressions() silently never drew the op (issue 17, item 1).
    with pytest.raises(TypeError, match=r"^define_op\('leaky2'\): smooth is called with 1 "):
        user_ops(
            "leaky2",
            lambda x: x if x > 0 else 0.01 * x,
            lambda g, x: (g * (1.0 if x > 0 else 0.01),),
            smooth=lambda x, eps: abs(x) > eps,
        )
    with pytest.raises(TypeError, match=r"^define_op\('sq'\): backward is called with 3 .*out"):
        user_ops("sq", lambda x: x * x, lambda g, x: (2 * g * x,), uses_output=True)
    with pytest.raises(TypeError, match=r"^define_op\('sq'\): smooth must be callable"):
        user_ops("sq", lambda x: x * x, lambda g, x: (2 * g * x,), smooth=True)
    assert "leaky2" not in OPS and "sq" not in OPS


# -- redefinition ---------------------------------------------------------------------------


def test_redefining_a_name_needs_replace(user_ops: Callable[..., Any]) -> None:
    old = user_ops("twice", lambda x: 2 * x, lambda g, x: (2 * g,))
    with pytest.raises(ValueError, match=r"'twice' is already defined .* replace=True"):
        user_ops("twice", lambda x: 2 * x, lambda g, x: (3 * g,))
    assert OPS["twice"].backward(1.0, 5.0) == (2.0,)  # the failed call changed nothing
    assert grad(old)(1.0) == 2.0
    new = user_ops("twice", lambda x: 2 * x, lambda g, x: (2.5 * g,), replace=True)
    assert OPS["twice"].backward(1.0, 5.0) == (2.5,)
    assert grad(new)(1.0) == 2.5
    assert grad(old)(1.0) == 2.0  # the earlier handle keeps the earlier op, as documented


def test_running_the_same_definition_again_is_allowed(user_ops: Callable[..., Any]) -> None:
    # What a notebook does when a cell runs twice: new function objects, the same code.
    source = "f = define_op('test_do_same', lambda x: x * x, lambda g, x: (2 * g * x,))"
    for _ in range(2):
        namespace: dict[str, Any] = {"define_op": user_ops}
        exec(source, namespace)
    assert grad(namespace["f"])(3.0) == 6.0
    # The same code closing over different values is a different definition.
    for scale in (2.0, 3.0):

        def define(scale: float = scale, replace: bool = False) -> Any:
            return user_ops(
                "test_do_scaled", lambda x: scale * x, lambda g, x: (scale * g,), replace=replace
            )

        if scale == 2.0:
            define()
        else:
            with pytest.raises(ValueError, match="already defined"):
                define()


# -- a rule that calls math on a Value ------------------------------------------------------


def test_a_rule_calling_math_on_a_value_names_the_op_and_the_fix(
    user_ops: Callable[..., Any],
) -> None:
    softplus = user_ops(
        "softplus",
        lambda x: math.log1p(math.exp(x)),
        lambda g, x: (g / (1.0 + math.exp(-x)),),  # fine on floats, not on Values
    )
    assert gradcheck(softplus, [0.3])  # the first-order pass gives the rule floats
    with pytest.raises(
        TypeError,
        match=r"^the derivative rule of 'softplus' called a math function on a Value: write "
        r"it with ops \(exp, log, .*\) or define the function with define_op",
    ):
        grad(grad(softplus))(0.3)
    with pytest.raises(TypeError, match="called a math function on a Value"):
        gradgradcheck(softplus, [0.3])


def test_other_type_errors_of_a_rule_pass_through(user_ops: Callable[..., Any]) -> None:
    def rule(g: Any, x: Any) -> tuple[Any]:
        raise TypeError("something else")

    op = user_ops("test_do_other", lambda x: x, rule)
    with pytest.raises(TypeError, match=r"^something else$"):
        grad(op)(1.0)
