"""`trace`: the compiled program gives backward()'s numbers, errors, guards and draws."""

from __future__ import annotations

import gc
import math
import random
import re
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from autograd import DomainError, Value, dot, sample, sum_values, trace
from autograd.testing.strategies import Expression, Network, expressions, mlps
from autograd.trace import _collector_paused
from nn import MLP, Dropout, Sequential, losses
from nn.module import Layer

RELATIVE = 1e-12


def close(a: float, b: float) -> bool:
    return a == b or abs(a - b) <= RELATIVE * max(abs(a), abs(b), 1e-300)


def interpreted(f: Any, xs: list[float]) -> tuple[float, list[float]]:
    leaves = [Value(x) for x in xs]
    out = f(*leaves)
    out.backward()
    return out.data, [leaf.grad for leaf in leaves]


def other_point(expression: Expression, data: Any) -> list[float]:
    """Inputs near the example where the expression is still defined the same way."""
    shifts = data.draw(
        st.lists(
            st.floats(-0.05, 0.05), min_size=len(expression.inputs), max_size=len(expression.inputs)
        )
    )
    return [x + s for x, s in zip(expression.inputs, shifts)]


@given(expressions(n_inputs=3, max_depth=4), st.data())
def test_program_equals_backward_on_expressions(expression: Expression, data: Any) -> None:
    f, inputs = expression
    program = trace(f, *inputs)
    for point in (list(inputs), other_point(expression, data)):
        try:
            expected = interpreted(f, point)
        except DomainError as error:
            with pytest.raises(DomainError) as raised:
                program(*point)
            assert str(raised.value) == str(error)
            continue
        value, grads = program(*point)
        assert close(value, expected[0]), (value, expected[0])
        assert all(close(a, b) for a, b in zip(grads, expected[1])), (grads, expected[1])


@given(expressions(n_inputs=2, max_depth=3))
def test_program_is_bitwise_backward_at_the_example(expression: Expression) -> None:
    f, inputs = expression
    value, grads = trace(f, *inputs)(*inputs)
    expected = interpreted(f, list(inputs))
    assert value == expected[0]
    assert list(grads) == pytest.approx(expected[1], rel=1e-15, abs=1e-300)


def test_user_ops_compile_from_their_rules(user_ops: Any) -> None:
    cube = user_ops("cube", lambda x: x * x * x, lambda g, x: (g * 3.0 * x * x,))
    clipped = user_ops(
        "clipped", lambda x: x if x < 1.0 else 1.0, lambda g, x: (g if x < 1.0 else g * 0.0,)
    )
    wavy = user_ops("wavy", math.sin, lambda g, x: (g * math.cos(x),))

    def f(x: Value) -> Value:
        return clipped(cube(x)) + wavy(x)

    program = trace(f, 0.5)
    assert "x * x * x" in program.source  # inlined from the forward
    assert " if " in program.source  # the rule's branch became a conditional expression
    for x in (0.5, 0.9, 1.5, -2.0):
        value, grad = program(x)
        expected = interpreted(f, [x])
        assert (value, grad) == (expected[0], expected[1][0])
    assert program.traces == 1  # no guard: the branches live in the code


@pytest.mark.parametrize("rows", [True, False], ids=["rows", "lines"])
@given(network=mlps(max_inputs=3, max_hidden=4, max_layers=3), data=st.data())
def test_program_equals_backward_on_mlps(network: Network, data: Any, rows: bool) -> None:
    model, inputs = network
    program = trace(lambda x: model(x), list(inputs), rows=rows)
    params = model.parameters()
    for point in (list(inputs), [x + data.draw(st.floats(-1, 1)) for x in inputs]):
        model.zero_grad()
        value, grads = program(point)
        ours = [p.grad for p in params]
        model.zero_grad()
        expected_value, expected_grads = interpreted(lambda *xs: model(list(xs)), point)
        assert close(value, expected_value)
        assert all(close(a, b) for a, b in zip(grads, expected_grads))
        theirs = [p.grad for p in params]
        assert all(close(a, b) for a, b in zip(ours, theirs))


def test_parameters_are_read_at_every_call_and_grads_accumulate() -> None:
    w = Value(2.0, label="layers.0.neurons.3.w.1")
    program = trace(lambda x: w * x * 3.0, 1.0)
    assert "layers_0_neurons_3_w_1 = _params[0].data" in program.source
    assert "3.0" in program.source  # a plain number is a literal
    assert program(1.0) == (6.0, 6.0)
    assert w.grad == 3.0
    w.data = 5.0
    assert program(2.0) == (30.0, 15.0)
    assert w.grad == 3.0 + 6.0


def test_shapes_and_argnums() -> None:
    def f(x: list[Value], y: Value) -> Value:
        return dot(x, [y, y]) + y

    value, (gx, gy) = trace(f, [1.0, 2.0], 3.0)([1.0, 2.0], 3.0)
    assert value == 12.0 and gx == [3.0, 3.0] and gy == 4.0
    value, gy = trace(f, [1.0, 2.0], 3.0, argnums=1)([1.0, 2.0], 3.0)
    assert gy == 4.0
    program = trace(f, [1.0, 2.0], 3.0)
    value, (gx, gy) = program([2.0, 5.0], 1.0)
    assert value == 8.0 and gx == [1.0, 1.0] and gy == 8.0
    assert program.traces == 1
    with pytest.raises(ValueError, match="dot needs as many"):
        program([1.0, 2.0, 4.0], 1.0)  # a new shape is traced again: f's own error


def test_guards_retrace_rather_than_give_a_wrong_answer() -> None:
    def f(x: Value) -> Value:
        return x * 2.0 if x > 0 else x.exp()

    program = trace(f, 1.0)
    assert program(3.0) == (6.0, 2.0)
    assert program.traces == 1
    value, grad = program(-1.0)
    assert (value, grad) == (math.exp(-1.0), math.exp(-1.0))
    assert program.traces == 2
    assert program(5.0) == (10.0, 2.0)
    assert program(-2.0)[0] == math.exp(-2.0)
    assert program.traces == 2  # both programs are cached


def test_max_of_values_is_guarded() -> None:
    def f(xs: list[Value]) -> Value:
        return max(xs) * 2.0

    program = trace(f, [1.0, 3.0, 2.0])
    assert program([1.0, 3.0, 2.0]) == (6.0, [0.0, 2.0, 0.0])
    assert program([5.0, 3.0, 2.0]) == (10.0, [2.0, 0.0, 0.0])


def test_relu_and_abs_hold_for_any_data_without_guards() -> None:
    def f(x: Value) -> Value:
        return x.relu() + abs(x) * 3.0

    program = trace(f, 1.0)
    assert " if " in program.source
    for x in (2.0, -2.0, 0.0):
        assert program(x) == tuple([interpreted(f, [x])[0], interpreted(f, [x])[1][0]])
    assert program.traces == 1


def test_domain_errors_are_the_interpreters() -> None:
    def f(x: Value, y: Value) -> Value:
        return (x / y).log() + (x * 1e298) * 0.0

    program = trace(f, 2.0, 1.0)
    for args in ((-2.0, 1.0), (1.0, 0.0), (2e10, 1.0)):
        leaves = [Value(a) for a in args]
        with pytest.raises(DomainError) as theirs:
            f(*leaves).backward()
        with pytest.raises(DomainError) as ours:
            program(*args)
        assert str(ours.value) == str(theirs.value)


def test_a_failed_call_changes_no_grad() -> None:
    w = Value(1.0)
    program = trace(lambda x: (w * x).log(), 1.0)
    w.grad = 7.0
    with pytest.raises(DomainError):
        program(-1.0)
    assert w.grad == 7.0


def test_nothing_non_finite_is_returned() -> None:
    w = Value(1e200)
    program = trace(lambda x: w * x, 1.0)
    with pytest.raises(DomainError):
        program(1e200)
    value, grad = program(2.0)
    assert math.isfinite(value) and math.isfinite(grad)


def test_samples_are_drawn_at_every_call_like_the_interpreter() -> None:
    def run(rng: random.Random) -> Any:
        return lambda x: x * sample(rng.random) + x * sample(rng.random)

    ours, theirs = random.Random(3), random.Random(3)
    program = trace(run(ours), 1.0)  # tracing draws once ...
    run(theirs)(Value(1.0))  # ... as one interpreted call does
    for x in (1.0, 2.0, 3.0):
        value, grad = program(x)
        expected = interpreted(run(theirs), [x])
        assert (value, grad) == (expected[0], expected[1][0])
    assert program.traces == 1


def test_dropout_under_trace_matches_the_interpreter() -> None:
    def make() -> Sequential:
        return Sequential(Layer(3, 4, rng=random.Random(1)), Dropout(0.5, seed=7), Layer(4, 1))

    ours, theirs = make(), make()
    for a, b in zip(ours.parameters(), theirs.parameters()):
        b.data = a.data
    program = trace(lambda x: ours(x), [0.1, 0.2, 0.3])
    theirs([0.1, 0.2, 0.3])  # the draws tracing made
    for x in ([0.5, -1.0, 2.0], [1.0, 1.0, 1.0], [0.3, 0.2, -0.1]):
        value, _grads = program(x)
        out = theirs([Value(v) for v in x])
        assert value == out.data
    assert "_draws[0]" in program.source


def test_cross_entropy_under_trace() -> None:
    model = MLP(3, [4, 3], seed=2)

    def f(x: list[Value]) -> Value:
        return losses.cross_entropy(model(x), 1)

    program = trace(f, [0.1, 0.2, 0.3])
    for x in ([0.1, 0.2, 0.3], [3.0, -2.0, 1.0], [-5.0, 4.0, 0.0]):
        value, grads = program(x)
        expected = interpreted(lambda *xs: f(list(xs)), x)
        assert close(value, expected[0])
        assert all(close(a, b) for a, b in zip(grads, expected[1]))


def test_vjp_for_several_outputs() -> None:
    w = Value(3.0)
    program = trace(lambda x: [w * x, x * x], 2.0)
    outputs, pullback = program.vjp(2.0)
    assert outputs == [6.0, 4.0]
    assert pullback([1.0, 10.0]) == 3.0 + 40.0
    assert w.grad == 2.0
    with pytest.raises(TypeError, match="vjp"):
        program(2.0)


def test_source_is_readable_python() -> None:
    model = MLP(2, [2, 1], seed=0)
    program = trace(lambda x: model(x), [1.0, 2.0], rows=False)
    source = program.source
    assert str(program) == source
    assert "layers_0_neurons_1_w_0 = _params[" in source
    assert "grad_layers_0_neurons_0_w_0 = " in source
    assert "layers_0_neurons_0_relu = layers_0_neurons_0_sum if" in source
    rows = trace(lambda x: model(x), [1.0, 2.0], rows=True).source
    assert "layers_0_neurons_1_w = [_p.data for _p in _params[" in rows
    assert "sum(map(_mul, layers_0_neurons_1_w, layers_0_inputs))" in rows
    assert len(rows.splitlines()) < len(source.splitlines())
    compile(source, "<test>", "exec")


def test_bad_input() -> None:
    with pytest.raises(TypeError, match="function"):
        trace(3.0)  # type: ignore[arg-type]
    program = trace(lambda x: x * 2.0, 1.0)
    with pytest.raises(TypeError, match="Value"):
        program(Value(1.0))
    with pytest.raises(ValueError, match="finite"):
        program(math.inf)
    rows = trace(lambda xs: xs[0][1] * xs[1][0], [[1.0, 2.0], (3.0, 4.0)])
    assert rows([[1.0, 2.0], (3.0, 4.0)]) == (6.0, [[0.0, 3.0], (2.0, 0.0)])
    halved = trace(lambda xs: xs[0] * 0.5, [1.0, 1.0])
    assert halved([1.5e308, 1.5e308]) == (7.5e307, [0.5, 0.0])  # the row's sum overflows
    for bad, message in (
        ([[1.0, math.nan], (3.0, 4.0)], r"argument 0\[0\]\[1\].*finite"),
        ([[1.0, 2.0], (3.0, Value(4.0))], r"argument 0\[1\]\[1\] is a Value"),
        ([[1.0, 2.0], (3.0, "4")], r"argument 0\[1\]\[1\].*int or a float"),
    ):
        with pytest.raises((TypeError, ValueError), match=message):
            rows(bad)
    with pytest.raises(TypeError, match="int or a float"):
        program("1")
    with pytest.raises(TypeError, match="hand"):
        trace(lambda x: Value(x.data, (x,), "mine"), 1.0)


def _flattened_by_hand(args: Any) -> tuple[list[float], Any]:
    """What `_flatten_arguments` must give, walked one number at a time."""
    flat: list[float] = []

    def walk(x: Any) -> Any:
        if isinstance(x, (list, tuple)):
            return (type(x) is tuple, tuple(walk(item) for item in x))
        flat.append(float(x))
        return 0

    return flat, tuple(walk(x) for x in args)


_numbers = st.one_of(st.floats(-1e308, 1e308), st.integers(-5, 5))
_rows = st.one_of(st.lists(_numbers, max_size=3), st.tuples(_numbers, _numbers))


@given(st.lists(st.one_of(_rows, _numbers, st.lists(_rows, max_size=3)), max_size=5), st.booleans())
def test_batches_flatten_as_one_number_at_a_time(batch: list[Any], uniform: bool) -> None:
    """The fast paths (a row, a batch of alike rows) give the plain walk's numbers and shape:
    whatever mixes rows, tuples, ragged lengths, ints and sums past a float."""
    from autograd.trace import _flatten_arguments

    if uniform:
        batch = [[1.5e308, float(i)] for i in range(len(batch))] + [[-1.0, 2.0]]
    flat, shape = _flatten_arguments([batch, 2.0], "trace")
    assert (flat, shape) == _flattened_by_hand([batch, 2.0])
    assert all(type(x) is float for x in flat)  # ints become floats, as in the interpreter


def test_a_bad_number_deep_in_a_batch_is_named_where_it_is() -> None:
    program = trace(lambda xs: xs[0][0] * 2.0, [[1.0, 2.0]] * 4)
    for row, column, bad, message in (
        (3, 1, math.nan, "finite"),
        (2, 0, "1", "int or a float"),
        (1, 1, Value(1.0), "is a Value"),
    ):
        rows: list[list[Any]] = [[1.0, 2.0] for _ in range(4)]
        rows[row][column] = bad
        with pytest.raises(
            (TypeError, ValueError), match=rf"argument 0\[{row}\]\[{column}\].*{message}"
        ):
            program(rows)


def test_hand_written_nodes_are_refused_clearly() -> None:
    def f(x: Value) -> Value:
        out = Value(x.data * 2, (x,), "twice")
        out._backward = lambda: None
        return out

    with pytest.raises(TypeError, match="built by hand"):
        trace(f, 1.0)


def test_sum_values_and_wide_dot() -> None:
    def f(xs: list[Value]) -> Value:
        return sum_values([x * x for x in xs]) + dot(xs, xs)

    xs = [0.1 * i for i in range(300)]
    value, grads = trace(f, xs)(xs)
    expected = interpreted(lambda *v: f(list(v)), xs)
    assert value == expected[0] and grads == expected[1]


def test_rows_give_backwards_numbers_bitwise_on_a_batch() -> None:
    model = MLP(5, [6, 4, 3], seed=4)
    rng = random.Random(0)
    batch = [[rng.uniform(-1, 1) for _ in range(5)] for _ in range(4)]

    def f(X: list[list[Value]]) -> Value:
        return losses.cross_entropy([model(x) for x in X], [0, 1, 2, 1])

    for rows in (True, False):
        program = trace(f, batch, rows=rows)
        if rows:  # each example's row is read as one slice of the arguments, in their order
            assert "    layers_0_inputs = _args[0:5]\n    layers_0_inputs_2 = _args[5:10]\n" in (
                program.source
            )
            assert "X_0_0" not in program.source
        model.zero_grad()
        value, grads = program(batch)
        ours = [p.grad for p in model.parameters()]
        model.zero_grad()
        leaves = [[Value(v) for v in x] for x in batch]
        out = f(leaves)
        out.backward()
        assert value == out.data
        assert ours == [p.grad for p in model.parameters()]
        assert grads == [[v.grad for v in x] for x in leaves]


def test_compiling_leaves_the_cycle_collector_as_it_found_it() -> None:
    """The collector is paused while a graph compiles (it spent half the compile time walking
    the graph), and is back as it was afterwards, also when compiling fails."""
    try:
        for enabled in (True, False):
            (gc.enable if enabled else gc.disable)()
            program = trace(lambda x: x * x + 1.0, 3.0)
            assert gc.isenabled() is enabled
            assert program(2.0) == (5.0, 4.0)
        gc.enable()
        with pytest.raises(ZeroDivisionError), _collector_paused():
            assert not gc.isenabled()
            _ = 1 / 0
        assert gc.isenabled()
    finally:
        gc.enable()


@pytest.mark.parametrize("rows", [False, True], ids=["lines", "rows"])
def test_a_relu_that_is_off_skips_its_neuron_s_gradient_lines_as_backward_does(
    rows: bool,
) -> None:
    """Where a relu is off its neuron's weighted sum gets a gradient of exactly 0, and
    backward() skips that node: the program puts the neuron's lines under `if grad_...:`
    (one line per weight, or the row's list and the layer's input list), and its numbers
    stay the interpreter's, bit for bit, with units on and off."""
    model = MLP(3, [9, 9, 1], seed=4)
    params = model.parameters()
    program = trace(lambda x: model(x), [0.1, -0.2, 0.3], rows=rows)
    if rows:
        assert (
            "    grad_layers_1_neurons_0_w = [0.0] * 9\n"
            "    grad_layers_1_inputs = [0.0] * 9\n"
            "    grad_layers_1_neurons_0_b = 0.0\n"
            "    if grad_layers_1_neurons_0_sum:\n"
            "        grad_layers_1_neurons_0_w = list(map(_add, grad_layers_1_neurons_0_w, "
        ) in program.source
    else:
        assert "    if grad_layers_1_neurons_0_sum:\n        grad_layers_1_neurons_0_w_0 += " in (
            program.source
        )
    # a first-layer neuron too: three weights and a bias are enough lines to test g first
    assert "    if grad_layers_0_neurons_0_sum:\n" in program.source
    rng = random.Random(7)
    off_seen = 0
    for _ in range(20):
        point = [rng.uniform(-2.0, 2.0) for _ in range(3)]
        model.zero_grad()
        value, grads = program(point)
        ours = [p.grad for p in params]
        model.zero_grad()
        xs = [Value(x) for x in point]
        expected = model(xs)
        hidden = model.layers[1](model.layers[0]([Value(x) for x in point]))  # after relu
        off_seen += sum(h.data <= 0.0 for h in hidden)
        expected.backward()
        assert value == expected.data
        assert list(map(repr, ours)) == list(map(repr, (p.grad for p in params)))
        assert list(map(repr, grads)) == list(map(repr, (x.grad for x in xs)))
    assert off_seen > 0  # some units were off, so some blocks were skipped


def test_a_satisfied_hinge_skips_its_whole_example_as_backward_does() -> None:
    """With micrograd's hinge loss, relu(1 - y * score), an example whose margin is met sends
    exactly 0 back, and backward() skips every node of it. The 0 travels through the linear
    steps to the output neuron, so the program tests it there too (`if grad_..._sum_k:`), and
    the numbers stay backward()'s bit for bit with margins met and not."""
    model = MLP(2, [9, 9, 1], seed=3)
    params = model.parameters()
    labels = [1.0, -1.0, 1.0, -1.0, 1.0, -1.0]

    def hinge(points: list[list[Any]]) -> Any:
        scores = [model(point) for point in points]
        losses = [(1 + -y * score).relu() for y, score in zip(labels, scores)]
        return sum(losses) * (1.0 / len(losses))

    rng = random.Random(11)

    def batch() -> list[list[float]]:
        return [[rng.uniform(-2.0, 2.0), rng.uniform(-2.0, 2.0)] for _ in labels]

    program = trace(hinge, batch(), argnums=(), rows=False)
    tested = re.findall(r"\n    if grad_layers_2_neurons_0_sum(?:_\d+)?:\n", program.source)
    assert len(tested) == len(labels)  # every example's output neuron
    met = unmet = 0
    for _ in range(30):
        for p in model.layers[2].parameters():  # a larger output, so some margins are met
            p.data *= 1.2
        points = batch()
        model.zero_grad()
        value, _ = program(points)
        ours = [p.grad for p in params]
        model.zero_grad()
        expected = hinge([[Value(x) for x in point] for point in points])
        expected.backward()
        margins = [y * model(point).data for y, point in zip(labels, points)]
        met += sum(m >= 1.0 for m in margins)
        unmet += sum(m < 1.0 for m in margins)
        assert value == expected.data
        assert list(map(repr, ours)) == list(map(repr, (p.grad for p in params)))
    assert met > 0 and unmet > 0  # both kinds of example were seen


@pytest.mark.parametrize(
    "terms",
    [
        [(1e16, 1.0), (1.0, 1.0), (-1e16, 1.0), (0.5, 1.0)],  # order of the additions shows
        [(-0.0, 1.0), (0.0, -1.0), (-0.0, 3.0)],  # negative zeros: sum() starts from 0
        [(0.1, 0.2), (0.3, 0.7), (1e-300, 1e-10), (-0.06, 1.0)],
    ],
)
def test_a_weighted_sum_is_the_interpreter_s_number_to_the_bit(
    terms: list[tuple[float, float]],
) -> None:
    """The program's line of `+`s adds the products in the table's order, from 0.0."""
    weights = [Value(w, label=f"w{i}") for i, (w, _) in enumerate(terms)]
    for bias in (-0.0, 0.25):
        b = Value(bias, label="b")
        row = [*weights, b]
        program = trace(lambda xs, row=row: dot(row, [*xs, 1.0]), [x for _, x in terms])
        value, grads = program([x for _, x in terms])
        xs = [Value(x) for _, x in terms]
        expected = dot(row, [*xs, 1.0])
        expected.backward()
        assert repr(value) == repr(expected.data)
        # == for the gradients: a first gradient of -0.0 stays -0.0 in the program, where
        # backward() adds it to a .grad of 0.0 and gets 0.0 (equal numbers).
        assert grads == [x.grad for x in xs]


def test_ctrl_c_while_compiling_leaves_the_cycle_collector_on() -> None:
    """At every point a signal can land in the pause of the collector around compiling."""
    from tests.interrupting import interrupted_at_check_point

    codes = {_collector_paused.__wrapped__.__code__}  # type: ignore[attr-defined]
    points = 0
    while interrupted_at_check_point(points + 1, codes, lambda: trace(lambda x: x * x, 2.0)):
        points += 1
        assert gc.isenabled(), points
    assert points >= 3
