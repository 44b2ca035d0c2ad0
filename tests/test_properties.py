"""Property tests: the whole rule table and random graphs against independent oracles.

Every op over its domain and random expressions (DAGs, not only trees) are compared with
central differences, to first and second order, and with PyTorch in float64. The
strategies themselves are tested too: they stay in each op's domain and shrink well.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from types import ModuleType
from typing import Any

import pytest
from conftest import BUILT_IN_OPS
from hypothesis import HealthCheck, assume, find, given, settings
from hypothesis import strategies as st
from hypothesis.errors import NoSuchExample

from autograd import OPS, Op, Value, power, topological_order
from autograd.ops import _power_by, _power_of
from autograd.testing import GradcheckError, gradcheck, gradgradcheck
from autograd.testing.strategies import (
    BASES,
    EXPONENTS,
    MAX_MAGNITUDE,
    POWER_BY,
    POWER_OF,
    Expression,
    ExpressionFunction,
    Step,
    expressions,
    mlps,
    points_for,
    values,
)

BUILT_IN = BUILT_IN_OPS
TABLE = [*BUILT_IN, POWER_BY, POWER_OF]  # the ops random expressions are built from
# `find` shrinks to a minimal example; a fixed seed keeps that deterministic.
FIND = settings(database=None, derandomize=True, max_examples=2000)


# -- every op of the table over its domain -------------------------------------------------


def _single_ops() -> list[tuple[str, Op, Callable[..., Value]]]:
    """(id, op, function applying it) for every built-in op and every power constant."""
    cases = [(name, OPS[name], OPS[name].apply) for name in BUILT_IN]
    for c in EXPONENTS:
        cases.append((f"x**{c:g}", _power_by(c), lambda x, c=c: power(x, c)))
    for c in BASES:
        cases.append((f"{c:g}**x", _power_of(c), lambda x, c=c: power(c, x)))
    return cases


SINGLE_OPS = _single_ops()


@st.composite
def points(draw: st.DrawFn, op: Op) -> list[float]:
    """Inputs where `op` is smooth and its result moderate; variadic ops get 1 to 5."""
    n = op.arity if op.arity is not None else draw(st.integers(1, 5))
    # A mix of wide and narrow ranges, so that narrow domains (x ** y: x > 0.1) are hit often.
    scale = draw(st.sampled_from([10.0, 3.0, 1.0]))
    point = [draw(st.floats(-scale, scale, allow_nan=False)) for _ in range(n)]
    assume(op.smooth is None or op.smooth(*point))
    try:
        out = op.forward(*point)
    except ValueError:  # DomainError: outside the op's domain despite `smooth`
        assume(False)
    assume(abs(out) <= 1e4)
    return point


@pytest.mark.parametrize(
    ("op", "apply"), [c[1:] for c in SINGLE_OPS], ids=[c[0] for c in SINGLE_OPS]
)
@given(data=st.data())
def test_every_op_against_central_differences(
    op: Op, apply: Callable[..., Value], data: st.DataObject
) -> None:
    point = data.draw(points(op), label="point")
    assert gradcheck(apply, point)
    assert gradgradcheck(apply, point)


def test_the_parametrization_covers_the_table() -> None:
    covered = {case[1].name for case in SINGLE_OPS}
    assert set(BUILT_IN) <= covered
    assert len(SINGLE_OPS) == len(BUILT_IN) + len(EXPONENTS) + len(BASES)


# -- random expressions ----------------------------------------------------------------------


@given(expressions(n_inputs=3, max_depth=4, ops=TABLE))
def test_random_expressions_against_central_differences(expression: Expression) -> None:
    assert gradcheck(*expression)


@given(expressions(n_inputs=2, max_depth=3, ops=TABLE))
def test_second_derivatives_of_random_expressions(expression: Expression) -> None:
    assert gradgradcheck(*expression)


TORCH_OPS: dict[str, Callable[..., Any]] = {
    "+": lambda a, b: a + b,
    "-": lambda a, b: a - b,
    "*": lambda a, b: a * b,
    "/": lambda a, b: a / b,
    "**": lambda a, b: a**b,
    POWER_BY: lambda a, c: a**c,
    POWER_OF: lambda c, a: c**a,
    "neg": lambda a: -a,
    "identity": lambda a: a,
    "exp": lambda a: a.exp(),
    "log": lambda a: a.log(),
    "tanh": lambda a: a.tanh(),
    "sigmoid": lambda a: a.sigmoid(),
    "relu": lambda a: a.relu(),
    "abs": lambda a: a.abs(),
    "sum": lambda *xs: sum(xs[1:], xs[0]),
    "dot": lambda *xs: sum(
        (xs[i] * xs[len(xs) // 2 + i] for i in range(len(xs) // 2)),
        xs[-1] if len(xs) % 2 else 0.0 * xs[0],
    ),
}


def _run_in_torch(function: ExpressionFunction, xs: Sequence[Any]) -> Any:
    nodes: list[Any] = list(xs)
    for step in function.steps:
        nodes.append(
            TORCH_OPS[step.op](*[nodes[a] if isinstance(a, int) else a for a in step.args])
        )
    return sum(nodes[k] for k in function.outputs[1:]) + nodes[function.outputs[0]]


def test_the_torch_translation_covers_the_table() -> None:
    assert set(TABLE) <= set(TORCH_OPS)


@pytest.mark.torch
@settings(suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(expressions(n_inputs=3, max_depth=4, ops=TABLE))
def test_random_expressions_against_torch(torch: ModuleType, expression: Expression) -> None:
    function, point = expression
    xs = [torch.tensor(x, dtype=torch.float64, requires_grad=True) for x in point]
    out = _run_in_torch(function, xs)
    firsts = torch.autograd.grad(out, xs, create_graph=True, allow_unused=True)

    ours = function(*[Value(x) for x in point])
    assert ours.data == pytest.approx(out.item(), rel=1e-12, abs=1e-12)
    everything = tuple(range(len(point)))
    from autograd import grad

    gradient = grad(function, everything)
    for i, first in enumerate(firsts):
        expected = 0.0 if first is None else first.item()
        assert gradient(*point)[i] == pytest.approx(expected, rel=1e-9, abs=1e-10), f"d/dx{i}"
        if first is None or not first.requires_grad:
            seconds: Sequence[Any] = [None] * len(xs)
        else:
            seconds = torch.autograd.grad(first, xs, retain_graph=True, allow_unused=True)
        hessian_row = grad(lambda *v, i=i: gradient(*v)[i], everything)(*point)
        for j, second in enumerate(seconds):
            expected = 0.0 if second is None else second.item()
            assert hessian_row[j] == pytest.approx(expected, rel=1e-8, abs=1e-9), f"d2/dx{i}dx{j}"


def test_user_ops_join_random_expressions(user_ops: Callable[..., Any]) -> None:
    user_ops(
        "test_props_sqrt",
        math.sqrt,
        lambda g, out, x: (g * 0.5 / out,),
        uses_output=True,
        smooth=lambda x: x > 0.1,  # sqrt' has a pole at 0
    )

    @given(expressions(n_inputs=2, max_depth=3, ops=["-", "*", "test_props_sqrt"]))
    def check(expression: Expression) -> None:
        assert gradcheck(*expression)
        assert gradgradcheck(*expression)

    check()
    # With ops=None, a user op is drawn when it is required, and then in every expression.
    found = find(
        expressions(n_inputs=1, max_depth=2, require=["test_props_sqrt"]),
        lambda e: True,
        settings=FIND,
    )
    assert [step.op for step in found.function.steps] == ["test_props_sqrt"]


# -- DAGs: reused subexpressions -------------------------------------------------------------


@pytest.mark.parametrize(
    "f",
    [
        lambda x: (lambda y: y * y + y)(x * x),
        lambda x, y: (lambda s: s.log() / s + s.tanh() * s)(x * x + y * y + 1),
        lambda x: (lambda a: (lambda b: b * a + b.exp())(a.sigmoid() * a))(x.tanh()),
        lambda x, y: (lambda d: d * d * d - d / (2 + d * d))(x - y),
        lambda x: sum([x] * 7, x * 0) * x,  # one node used seven times by the next ones
    ],
)
def test_shared_subexpressions(f: Callable[..., Any]) -> None:
    point = [0.6, -0.9][: f.__code__.co_argcount]
    assert gradcheck(f, point)
    assert gradgradcheck(f, point)


def _reuses(function: ExpressionFunction) -> bool:
    refs = [a for step in function.steps for a in step.args if isinstance(a, int)]
    return len(refs) != len(set(refs))


def test_expressions_include_dags() -> None:
    found = find(
        expressions(n_inputs=2, max_depth=3, ops=TABLE),
        lambda e: _reuses(e.function) and len(e.function.steps) >= 3,
        settings=FIND,
    )
    assert gradcheck(*found)


@given(expressions(n_inputs=2, max_depth=4, ops=TABLE))
def test_dag_expressions_against_central_differences(expression: Expression) -> None:
    assume(_reuses(expression.function))
    assert gradcheck(*expression)


# -- the strategies keep their promises ------------------------------------------------------


@given(expressions(n_inputs=3, max_depth=3, ops=TABLE))
def test_expressions_stay_inside_every_domain(expression: Expression) -> None:
    function, point = expression
    assert 1 <= len(function.steps) <= 6
    out = function(*[Value(x) for x in point])
    nodes = topological_order(out)
    depth: dict[Value, int] = {}
    summed = len(function.outputs) > 1  # then `out` is the sum of the unused steps
    for node in nodes:
        depth[node] = 1 + max((depth[p] for p in node.parents), default=-1)
        if node is not out or not summed:
            assert abs(node.data) <= MAX_MAGNITUDE
        if node.op in OPS and OPS[node.op].smooth is not None:
            smooth = OPS[node.op].smooth
            assert smooth is not None and smooth(*[p.data for p in node.parents]), node
    # a constant of a power family counts as one leaf more; the sum as one node more
    assert depth[out] <= 3 + 1 + summed
    assert {step.op for step in function.steps} <= set(TABLE)


@pytest.mark.parametrize(
    ("wanted", "steps"),
    [
        ("log", ["log"]),
        ("relu", ["relu"]),
        ("/", ["/"]),
    ],
)
def test_expressions_shrink_to_one_step(wanted: str, steps: list[str]) -> None:
    found = find(
        expressions(n_inputs=2, max_depth=4, ops=TABLE),
        lambda e: any(step.op == wanted for step in e.function.steps),
        settings=FIND,
    )
    assert [step.op for step in found.function.steps] == steps


def test_a_wrong_rule_hidden_in_random_expressions_is_found_and_shrunk(
    user_ops: Callable[..., Any],
) -> None:
    # Right everywhere except for x > 1, where it is off by 10 %: a bug a fixed test
    # point could miss. Hypothesis finds it and shrinks the graph around it.
    user_ops(
        "test_props_subtle",
        lambda x: x * x,
        lambda g, x: (g * 2 * x * (1.1 if x > 1 else 1.0),),
    )

    def fails(expression: Expression) -> bool:
        try:
            gradcheck(*expression)
        except GradcheckError:
            return True
        return False

    found = find(
        expressions(n_inputs=2, max_depth=4, ops=[*TABLE, "test_props_subtle"]),
        fails,
        settings=FIND,
    )
    # Small: one step to get past x = 1, the op itself, and at most one more whose result
    # is summed into the value (no step is dead, so the shrinker cannot drop it for free).
    assert len(found.function.steps) <= 3
    assert "test_props_subtle" in repr(found.function)


def test_expression_repr_is_the_program() -> None:
    function = ExpressionFunction(
        2,
        [
            Step("*", (0, 1)),
            Step("log", (2,)),
            Step(POWER_BY, (3, 2.0)),
            Step(POWER_OF, (0.5, 2)),
            Step("dot", (4, 5, 0)),
            Step("neg", (6,)),
        ],
        {name: OPS[name] for name in ("*", "log", "dot", "neg")},
    )
    assert repr(function) == (
        "def f(x0, x1): v1 = x0 * x1; v2 = log(v1); v3 = v2 ** 2.0; v4 = 0.5 ** v1; "
        "v5 = dot(v3, v4, x0); v6 = -v5; return v6"
    )
    x0, x1 = 1.5, 2.0
    v1 = x0 * x1
    v3 = math.log(v1) ** 2
    expected = -(v3 * 0.5**v1 + x0)
    assert function(Value(x0), Value(x1)).data == pytest.approx(expected, rel=1e-15)
    assert gradcheck(function, [x0, x1])
    with pytest.raises(TypeError, match="takes 2 inputs"):
        function(Value(1.0))


def test_expressions_reject_bad_arguments() -> None:
    with pytest.raises(ValueError, match="n_inputs"):
        expressions(n_inputs=0)
    with pytest.raises(ValueError, match="max_depth"):
        expressions(max_depth=0)
    with pytest.raises(ValueError, match=r"unknown ops.*nope"):
        expressions(ops=["+", "nope"])
    with pytest.raises(TypeError, match="list of op names"):
        expressions(ops="+")
    with pytest.raises(ValueError, match="at least one op"):
        expressions(ops=[])


@given(values(-2.0, 2.0))
def test_values_are_fresh_leaves_in_range(x: Value) -> None:
    assert isinstance(x, Value) and x.is_leaf and x.grad == 0.0
    assert -2.0 <= x.data <= 2.0


# -- networks ------------------------------------------------------------------------------


@given(mlps())
def test_mlps_against_central_differences(network: Any) -> None:
    assert gradcheck(network.function, network.inputs)


@given(mlps(max_inputs=2, max_hidden=3))
def test_mlp_parameter_gradients_against_central_differences(network: Any) -> None:
    model, point = network
    model(list(point)).backward()
    parameters = model.parameters()
    analytic = [p.grad for p in parameters]
    eps = 1e-6
    for p, expected in zip(parameters, analytic):
        original = p.data
        p.data = original + eps
        up = model(list(point)).data
        p.data = original - eps
        down = model(list(point)).data
        p.data = original
        assert expected == pytest.approx((up - down) / (2 * eps), rel=1e-3, abs=1e-5)


def test_steps_no_later_step_uses_are_summed_into_the_value() -> None:
    function = ExpressionFunction(
        1,
        [Step("exp", (0,)), Step("log", (0,)), Step("*", (2, 0))],  # v1 is used by nothing
        {name: OPS[name] for name in ("exp", "log", "*")},
    )
    assert function.outputs == (1, 3)
    assert repr(function) == "def f(x0): v1 = exp(x0); v2 = log(x0); v3 = v2 * x0; return v1 + v3"
    x0 = 1.7
    assert function(Value(x0)).data == pytest.approx(math.exp(x0) + math.log(x0) * x0)
    assert gradcheck(function, [x0])


@given(expressions(n_inputs=2, max_depth=3, ops=TABLE))
def test_every_step_reaches_the_value(expression: Expression) -> None:
    function, point = expression
    inputs = [Value(x) for x in point]
    out = function(*inputs)
    reached = set(topological_order(out))
    step_nodes = [node for node in reached if node.op and node is not out]
    # every step made one node (a sum of several outputs adds the one `out` node)
    assert len(step_nodes) + (len(function.outputs) == 1) == len(function.steps)


# -- the op under test is always exercised (issue 17) ---------------------------------------

FEW = settings(max_examples=40)


def _define_examples(user_ops: Callable[..., Any]) -> None:
    """The three ops of the issue, with right rules."""
    sigmoid = OPS["sigmoid"].apply  # floats for floats, Values for Values
    user_ops("softplus", lambda x: math.log1p(math.exp(x)), lambda g, x: (g * sigmoid(x),))
    user_ops(
        "leaky",
        lambda x, slope=0.01: x if x > 0.0 else slope * x,
        lambda g, x: (g * (1.0 if x > 0.0 else 0.01),),
        smooth=lambda x: abs(x) > 1e-3,
    )
    user_ops(
        "hypot",
        math.hypot,
        lambda g, out, x, y: (g * x / out, g * y / out),
        uses_output=True,
        arity=2,
        smooth=lambda x, y: math.hypot(x, y) > 0.1,
    )


@pytest.mark.parametrize("name", ["softplus", "leaky", "hypot"])
def test_the_op_under_test_is_in_every_expression(user_ops: Callable[..., Any], name: str) -> None:
    # Before: an op whose smooth= failed was silently never drawn, and hypot (no signature)
    # took "any number" of inputs; now each expression uses the op named in `ops`.
    _define_examples(user_ops)

    @FEW
    @given(expressions(n_inputs=2, max_depth=3, ops=[name, "+", "*"]))
    def check(expression: Expression) -> None:
        steps = [step for step in expression.function.steps if step.op == name]
        assert steps, expression
        assert all(len(step.args) == (2 if name == "hypot" else 1) for step in steps)
        assert gradcheck(*expression)

    check()


def test_a_required_op_with_a_narrow_domain_is_placed(user_ops: Callable[..., Any]) -> None:
    user_ops(
        "root",
        math.sqrt,
        lambda g, out, x: (g * 0.5 / out,),
        uses_output=True,
        smooth=lambda x: x > 0.5,
    )

    @FEW
    @given(expressions(n_inputs=2, max_depth=3, ops=["-", "*", "tanh"], require=[]))
    def without(expression: Expression) -> None:
        assert "root" not in repr(expression)

    @FEW
    @given(expressions(n_inputs=1, max_depth=2, ops=["neg", "root"], min_value=-3.0))
    def check(expression: Expression) -> None:
        function, point = expression
        assert "root" in [step.op for step in function.steps]
        out = function(*[Value(x) for x in point])
        for node in topological_order(out):
            if node.op == "root":
                assert node.parents[0].data > 0.5

    without()
    check()


def test_ops_none_means_the_built_ins_and_the_ops_named(user_ops: Callable[..., Any]) -> None:
    # Before: every op registered anywhere in the process, so results hung on test order.
    user_ops("test_props_sloppy", lambda x: x, lambda g, x: (0.0,))
    with pytest.raises(NoSuchExample):
        find(
            expressions(n_inputs=1, max_depth=2),
            lambda e: "test_props_sloppy" in repr(e),
            settings=settings(FIND, max_examples=300),
        )
    drawn = find(
        expressions(n_inputs=1, max_depth=2, require=["test_props_sloppy"]),
        lambda e: True,
        settings=FIND,
    )
    assert [step.op for step in drawn.function.steps] == ["test_props_sloppy"]


def test_an_op_whose_smooth_or_forward_fails_is_an_error_not_a_skip(
    user_ops: Callable[..., Any],
) -> None:
    user_ops("test_props_typo", lambda x: x, lambda g, x: (g,), smooth=lambda x: x > "0")
    with pytest.raises(TypeError, match=r"smooth= of the op 'test_props_typo' raised TypeError"):
        expressions(ops=["test_props_typo", "+"])  # when the strategy is made
    # A forward that fails only at some points fails when such a point is drawn.
    user_ops(
        "test_props_half",
        lambda x: x if x > 0 else [][0],
        lambda g, x: (g,),
    )

    @FEW
    @given(expressions(n_inputs=1, ops=["test_props_half"], min_value=-3.0, max_value=-1.0))
    def check(expression: Expression) -> None:
        pass

    with pytest.raises(TypeError, match=r"the forward of the op 'test_props_half' raised Index"):
        check()


def test_every_expression_records_an_event_per_op(monkeypatch: pytest.MonkeyPatch) -> None:
    import autograd.testing.strategies as strategies

    seen: list[str] = []
    monkeypatch.setattr(strategies, "event", seen.append)

    @FEW
    @given(expressions(n_inputs=2, ops=["+", "*", "tanh"]))
    def check(expression: Expression) -> None:
        pass

    check()
    assert set(seen) == {"op +", "op *", "op tanh"}


@FEW
@given(expressions(n_inputs=2, max_depth=3, ops=TABLE, min_steps=3, max_steps=4))
def test_min_steps_and_max_steps_bound_the_steps(expression: Expression) -> None:
    assert 3 <= len(expression.function.steps) <= 4


def test_expression_arguments_are_checked_at_once() -> None:
    with pytest.raises(ValueError, match=r"min_steps \(5\) is more than max_steps \(4\)"):
        expressions(min_steps=5, max_steps=4)
    with pytest.raises(ValueError, match="max_steps must be a positive int"):
        expressions(max_steps=0)
    with pytest.raises(ValueError, match=r"require names ops that are not in ops: \['exp'\]"):
        expressions(ops=["+"], require=["exp"])
    with pytest.raises(ValueError, match="more than max_steps"):
        expressions(ops=["+", "*", "exp"], require=["+", "*", "exp"], max_steps=2)
    with pytest.raises(TypeError, match="require must be a list"):
        expressions(require="exp")
    with pytest.raises(ValueError, match="min_value"):
        expressions(min_value=2.0, max_value=1.0)


# -- failures paste back in -------------------------------------------------------------------


def test_an_expression_prints_as_the_call_that_rebuilds_it(user_ops: Callable[..., Any]) -> None:
    _define_examples(user_ops)
    user_ops("odd name", lambda x: 2 * x, lambda g, x: (2 * g,))

    @FEW
    @given(expressions(n_inputs=2, max_depth=3, ops=[*TABLE, "hypot", "odd name"]))
    def check(expression: Expression) -> None:
        pasted = eval(repr(expression), {"Expression": Expression})
        assert repr(pasted) == repr(expression)
        assert pasted.function.steps == expression.function.steps
        out, again = (
            expression.function(*map(Value, expression.inputs)),
            pasted.function(*map(Value, pasted.inputs)),
        )
        assert out.data == again.data

    check()
    rebuilt = Expression.from_source(
        "def f(x0, x1): v1 = hypot(x1, x0); v2 = OPS['odd name'](v1); v3 = v2 ** -1.0; "
        "v4 = 2.0 ** x0; return v3 + v4",
        inputs=(3.0, 4.0),
    )
    assert [s.op for s in rebuilt.function.steps] == ["hypot", "odd name", POWER_BY, POWER_OF]
    assert rebuilt.function(Value(3.0), Value(4.0)).data == pytest.approx(0.1 + 8.0)


@pytest.mark.parametrize(
    ("source", "message"),
    [
        ("def f(x0): v1 = nope(x0); return v1", r"'nope' is not defined: define it with define_op"),
        ("def f(x0): v1 = exp(x0); v2 = tanh(x0); return v2", r"must return .* v1 \+ v2"),
        ("def f(x0): v1 = exp(y); return v1", r"'y' is not an input or earlier step"),
        ("def f(x0): return x0", "no steps"),
        ("f(x0): v1 = exp(x0)", "not a program"),
    ],
)
def test_from_source_says_what_it_cannot_read(source: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        Expression.from_source(source, inputs=(1.0,))


# -- eager arguments; points inside a domain ------------------------------------------------


def test_mlps_check_their_arguments_when_made() -> None:
    # Before: `unknown activation 't'` and hypothesis's `max_size=-1`, only when drawing.
    with pytest.raises(TypeError, match=r"not the str 'tanh' \(write activations=\['tanh'\]\)"):
        mlps(activations="tanh")
    with pytest.raises(ValueError, match="max_layers must be a positive int, got 0"):
        mlps(max_layers=0)
    with pytest.raises(ValueError, match=r"unknown activations \['gelu'\]"):
        mlps(activations=["tanh", "gelu"])


@given(values(-1.0, 1.0, avoid=[0.0, 0.5], margin=0.01))
def test_values_stay_away_from_the_points_to_avoid(x: Value) -> None:
    assert -1.0 <= x.data <= 1.0
    assert abs(x.data) >= 0.01 and abs(x.data - 0.5) >= 0.01


def test_values_check_their_arguments_when_made() -> None:
    with pytest.raises(ValueError, match="min_value"):
        values(1.0, -1.0)
    with pytest.raises(ValueError, match="margin must be a non-negative"):
        values(avoid=[0.0], margin=-1.0)
    with pytest.raises(ValueError, match="nothing in"):
        values(-1.0, 1.0, avoid=[0.0], margin=2.0)
    with pytest.raises(TypeError, match="avoid must be a list"):
        values(avoid=0.0)  # type: ignore[arg-type]


@pytest.mark.parametrize("name", ["relu", "log", "/", "**", "dot"])
@FEW
@given(data=st.data())
def test_points_for_an_op_lie_in_its_domain(name: str, data: st.DataObject) -> None:
    op = OPS[name]
    point = data.draw(points_for(name))
    assert op.arity is None or len(point) == op.arity
    assert op.smooth is None or op.smooth(*point)
    assert gradcheck(op.apply, list(point))
