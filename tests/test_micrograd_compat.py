"""Code written for micrograd (its engine, nn, demo, trace_graph) and for the lecture that
builds it runs on glassgrad with only the imports changed.

Each test is written here in that code's style (hand-written graph walks over `_prev`,
`_backward` called node by node, `nonlin=`, `random.seed` before building a model, the
demo's training loop), not copied from it. The installed `micrograd` package (a dev
dependency) is the oracle for what micrograd itself computes.
"""

from __future__ import annotations

import math
import random
import re
from collections.abc import Callable
from types import ModuleType
from typing import Any

import pytest
from conftest import require

from autograd import Value, topological_order
from nn import MLP, Layer, Neuron


@pytest.fixture
def micrograd() -> ModuleType:
    require("micrograd")
    import micrograd.engine
    import micrograd.nn

    return micrograd


# -- the engine's attributes ---------------------------------------------------------------


def test_a_value_has_micrograds_attributes() -> None:
    a = Value(2.0, label="a")
    b = Value(-3.0, (), "", "b")  # every argument given by position
    c = a * b
    c.label = "c"
    assert (a.data, a.grad, a.label, a._op, a._prev) == (2.0, 0.0, "a", "", set())
    assert b.label == "b"
    assert c._op == "*" and c._prev == {a, b}
    assert isinstance(c._prev, set) and isinstance(c._op, str)
    assert callable(c._backward)
    assert repr(c).startswith("Value(data=-6")  # micrograd prints Value(data=..., grad=...)
    assert "grad=0" in repr(c)


@pytest.mark.parametrize(
    ("make", "op"),
    [
        (lambda a, b: a + b, "+"),
        (lambda a, b: a * b, "*"),
        (lambda a, b: a**2, "**2"),
        (lambda a, b: a.relu(), "relu"),
        (lambda a, b: a.tanh(), "tanh"),
        (lambda a, b: a.exp(), "exp"),
    ],
)
def test_op_names_are_strs_a_drawing_can_append(
    make: Callable[[Value, Value], Value], op: str
) -> None:
    out = make(Value(0.5), Value(2.0))
    assert out._op == op
    assert str(id(out)) + out._op == f"{id(out)}{op}"


def test_the_operators_micrograd_has_give_its_numbers(micrograd: ModuleType) -> None:
    """The same expression, mixing Values and plain numbers on both sides, in both engines."""

    def expression(value: Callable[[float], Any]) -> tuple[Any, list[Any]]:
        a, b = value(-4.0), value(2.0)
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
        h = 2 - g * 0.5 + (a * a).relu() / (1 + b)
        h.backward()
        return h, [a, b]

    ours, (a, b) = expression(Value)
    theirs, (ta, tb) = expression(micrograd.engine.Value)
    assert ours.data == pytest.approx(theirs.data, rel=1e-12)
    assert a.grad == pytest.approx(ta.grad, rel=1e-12)
    assert b.grad == pytest.approx(tb.grad, rel=1e-12)
    assert a.grad != 0.0 and b.grad != 0.0


def test_a_value_used_twice_gets_both_gradients() -> None:
    """The lecture's bug hunt: `a + a` and `d * e` reusing a and b."""
    a = Value(3.0, label="a")
    b = a + a
    b.backward()
    assert a.grad == 2.0
    a, b = Value(-2.0, label="a"), Value(3.0, label="b")
    d, e = a * b, a + b
    f = d * e
    f.backward()
    assert (a.grad, b.grad) == (-3.0, -8.0)


# -- backprop by hand, as the lecture does it -----------------------------------------------


def neuron_graph() -> dict[str, Value]:
    """The lecture's two-input tanh neuron, one labelled node per step."""
    v = {
        "x1": Value(2.0, label="x1"),
        "x2": Value(0.0, label="x2"),
        "w1": Value(-3.0, label="w1"),
        "w2": Value(1.0, label="w2"),
        "b": Value(6.8813735870195432, label="b"),
    }
    v["x1*w1"] = v["x1"] * v["w1"]
    v["x2*w2"] = v["x2"] * v["w2"]
    v["x1*w1 + x2*w2"] = v["x1*w1"] + v["x2*w2"]
    v["n"] = v["x1*w1 + x2*w2"] + v["b"]
    v["o"] = v["n"].tanh()
    for name, node in v.items():
        node.label = name
    return v


def test_backprop_by_hand_cell_by_cell_gives_the_lectures_numbers() -> None:
    v = neuron_graph()
    v["o"].grad = 1.0
    for name in ("o", "n", "b", "x1*w1 + x2*w2", "x2*w2", "x1*w1"):
        v[name]._backward()  # a leaf's (b) does nothing
    grads = {name: round(node.grad, 6) for name, node in v.items()}
    assert grads == {
        "x1": -1.5,
        "x2": 0.5,
        "w1": 1.0,
        "w2": 0.0,
        "b": 0.5,
        "x1*w1": 0.5,
        "x2*w2": 0.5,
        "x1*w1 + x2*w2": 0.5,
        "n": 0.5,
        "o": 1.0,
    }


def test_a_hand_written_topological_sort_over_prev_then_backward_equals_backward() -> None:
    """A user's recursive build_topo over `_prev` (small graphs only), then `_backward`."""

    def build_topo(v: Value, topo: list[Value], visited: set[Value]) -> None:
        if v not in visited:
            visited.add(v)
            for child in v._prev:
                build_topo(child, topo, visited)
            topo.append(v)

    by_hand = neuron_graph()
    topo: list[Value] = []
    build_topo(by_hand["o"], topo, set())
    assert set(topo) == set(topological_order(by_hand["o"]))
    by_hand["o"].grad = 1.0
    for node in reversed(topo):
        node._backward()
    automatic = neuron_graph()
    automatic["o"].backward()
    assert {k: n.grad for k, n in by_hand.items()} == {k: n.grad for k, n in automatic.items()}


def test_ops_written_micrograds_way_backpropagate_with_the_built_in_ones() -> None:
    """An op made with the constructor and a `_backward` closure, as the lecture writes tanh."""

    def my_tanh(x: Value) -> Value:
        t = (math.exp(2 * x.data) - 1) / (math.exp(2 * x.data) + 1)
        out = Value(t, (x,), "tanh")

        def _backward() -> None:
            x.grad += (1 - t**2) * out.grad

        out._backward = _backward
        return out

    def my_mul(x: Value, y: Value) -> Value:
        out = Value(x.data * y.data, (x, y), "*")

        def _backward() -> None:
            x.grad += y.data * out.grad
            y.grad += x.data * out.grad

        out._backward = _backward
        return out

    a, b = Value(0.3, label="a"), Value(-1.2, label="b")
    hand = my_tanh(my_mul(a, b) + 1.0) * a
    assert hand._op == "*" and {p._op for p in hand._prev} == {"tanh", ""}
    hand.backward()
    hand_grads = (a.grad, b.grad)

    a2, b2 = Value(0.3), Value(-1.2)
    built_in = (a2 * b2 + 1.0).tanh() * a2
    built_in.backward()
    assert hand.data == pytest.approx(built_in.data, rel=1e-14)
    assert hand_grads == pytest.approx((a2.grad, b2.grad), rel=1e-12)


# -- a drawing written micrograd's way, over _prev and _op ----------------------------------


def trace(root: Value) -> tuple[set[Value], set[tuple[Value, Value]]]:
    nodes: set[Value] = set()
    edges: set[tuple[Value, Value]] = set()
    stack = [root]
    while stack:
        v = stack.pop()
        if v not in nodes:
            nodes.add(v)
            for child in v._prev:
                edges.add((child, v))
                stack.append(child)
    return nodes, edges


def micrograd_style_drawing(graphviz: ModuleType, root: Value) -> Any:
    dot = graphviz.Digraph(format="svg", graph_attr={"rankdir": "LR"})
    nodes, edges = trace(root)
    for n in nodes:
        uid = str(id(n))
        dot.node(
            name=uid,
            label=f"{{ {n.label} | data {n.data:.4f} | grad {n.grad:.4f} }}",
            shape="record",
        )
        if n._op:
            dot.node(name=uid + n._op, label=n._op)
            dot.edge(uid + n._op, uid)
    for n1, n2 in edges:
        dot.edge(str(id(n1)), str(id(n2)) + n2._op)
    return dot


def test_a_drawing_written_micrograds_way_renders(dot_program: str) -> None:
    graphviz = require("graphviz")
    v = neuron_graph()
    v["o"].backward()
    dot = micrograd_style_drawing(graphviz, v["o"])
    svg = dot.pipe().decode()
    ops = re.findall(r"<text[^>]*>(tanh|\+|\*)</text>", svg)
    assert sorted(ops) == ["*", "*", "+", "+", "tanh"]
    assert "grad &#45;1.5000" in svg or "grad -1.5000" in svg  # x1's gradient is shown
    leaf = Value(1.0, label="alone")
    assert micrograd_style_drawing(graphviz, leaf).source.count("->") == 0


def test_trace_graphs_neuron_draws_both_ways(dot_program: str) -> None:
    """trace_graph's second example: a seeded 2-input Neuron, backward, then drawn."""
    graphviz = require("graphviz")
    from autograd import draw_dot

    random.seed(1337)
    n = Neuron(2)
    x = [Value(1.0), Value(-2.0)]
    y = n(x)
    y.backward()
    assert micrograd_style_drawing(graphviz, y).pipe().startswith(b"<?xml")
    assert draw_dot(y).pipe(format="svg").startswith(b"<?xml")
    assert x[0].grad == (n.w[0].data if y.data > 0 else 0.0)


# -- nn as micrograd spells it ----------------------------------------------------------------


def test_nonlin_picks_relu_or_linear() -> None:
    linear = Neuron(2, nonlin=False)
    assert linear.activation == "linear" and linear.nonlin is False
    relu = Neuron(2, nonlin=True)
    assert relu.activation == "relu" and relu.nonlin is True
    assert Neuron(2).nonlin is True and Neuron(2, "tanh").nonlin is True
    linear.w[0].data, linear.w[1].data, linear.b.data = 1.0, 1.0, 0.0
    relu.w[0].data, relu.w[1].data, relu.b.data = 1.0, 1.0, 0.0
    assert linear([-1.0, -2.0]).data == -3.0
    assert relu([-1.0, -2.0]).data == 0.0
    layer = Layer(2, 3, nonlin=False)
    assert layer.nonlin is False and all(n.activation == "linear" for n in layer.neurons)
    assert Layer(2, 3, nonlin=True).activation == "relu"
    assert Neuron(2, "linear", nonlin=False).activation == "linear"


def test_nonlin_and_an_activation_that_disagree_are_refused() -> None:
    with pytest.raises(ValueError, match=r"nonlin=False means activation='linear'.*'tanh'"):
        Neuron(2, "tanh", nonlin=False)
    with pytest.raises(ValueError, match="nonlin=True means activation='relu'"):
        Layer(2, 3, activation="linear", nonlin=True)
    with pytest.raises(TypeError, match="nonlin must be True or False"):
        Neuron(2, nonlin=1)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match=r"write nonlin=False \(a keyword\)"):
        Neuron(2, False)  # type: ignore[arg-type]


def test_parameters_come_in_micrograds_order() -> None:
    n = Neuron(3)
    assert n.parameters() == [*n.w, n.b]
    layer = Layer(3, 2)
    assert layer.parameters() == [p for neuron in layer.neurons for p in neuron.parameters()]
    model = MLP(2, [16, 16, 1])
    assert len(model.parameters()) == 337
    assert [layer.nonlin for layer in model.layers] == [True, True, False]
    assert isinstance(Layer(2, 1)([1.0, 2.0]), Value)  # one neuron: one Value, not a list
    assert len(Layer(2, 3)([1.0, 2.0])) == 3


def test_random_seed_reproduces_a_model_and_seed_still_works() -> None:
    random.seed(1337)
    first = [p.data for p in MLP(2, [4, 1]).parameters()]
    random.seed(1337)
    second = [p.data for p in MLP(2, [4, 1]).parameters()]
    assert first == second
    random.seed(1337)
    neuron = [p.data for p in Neuron(3).parameters()]
    random.seed(1337)
    assert neuron == [p.data for p in Neuron(3).parameters()]
    assert first != [p.data for p in MLP(2, [4, 1]).parameters()]  # the stream moved on
    state = random.getstate()
    seeded = [p.data for p in MLP(2, [4, 1], seed=5).parameters()]
    assert random.getstate() == state  # seed= draws from its own generator
    assert seeded == [p.data for p in MLP(2, [4, 1], seed=5).parameters()]


def test_uniform_init_after_random_seed_gives_micrograds_exact_weights(
    micrograd: ModuleType,
) -> None:
    random.seed(1337)
    theirs = [p.data for p in micrograd.nn.MLP(2, [16, 16, 1]).parameters()]
    random.seed(1337)
    ours = [p.data for p in MLP(2, [16, 16, 1], init="uniform").parameters()]
    assert ours == theirs


def test_micrograds_own_nn_code_runs_on_glassgrads_value(
    micrograd: ModuleType, monkeypatch: pytest.MonkeyPatch
) -> None:
    """micrograd.nn's classes, with its Value swapped for ours, build and train."""
    monkeypatch.setattr(micrograd.nn, "Value", Value)
    random.seed(3)
    model = micrograd.nn.MLP(2, [4, 1])
    out = model([Value(1.0), Value(-2.0)])
    assert isinstance(out, Value)
    model.zero_grad()
    out.backward()
    assert any(p.grad != 0 for p in model.parameters())
    assert "MLP of [Layer of [ReLUNeuron(2)" in repr(model)


# -- the demo: svm loss, L2, hand-written SGD, on micrograd's and on our models ----------------


def moons_like(n: int) -> tuple[list[list[float]], list[int]]:
    rng = random.Random(0)
    X, y = [], []
    for i in range(n):
        t = math.pi * i / n
        if i % 2:
            X.append([math.cos(t) + rng.gauss(0, 0.1), math.sin(t) + rng.gauss(0, 0.1)])
            y.append(1)
        else:
            X.append([1 - math.cos(t) + rng.gauss(0, 0.1), 0.5 - math.sin(t) + rng.gauss(0, 0.1)])
            y.append(-1)
    return X, y


def demo_training(
    value: Callable[[float], Any], model: Any, steps: int
) -> list[tuple[float, float]]:
    """The demo's loop, with a numpy-free dataset: returns (loss, accuracy) per step."""
    X, y = moons_like(20)
    history = []
    for k in range(steps):
        inputs = [list(map(value, row)) for row in X]
        scores = list(map(model, inputs))
        losses = [(1 + -yi * si).relu() for yi, si in zip(y, scores)]
        data_loss = sum(losses) * (1.0 / len(losses))
        reg_loss = 1e-4 * sum(p * p for p in model.parameters())
        total = data_loss + reg_loss
        accuracy = sum((yi > 0) == (si.data > 0) for yi, si in zip(y, scores)) / len(y)
        model.zero_grad()
        total.backward()
        for p in model.parameters():
            p.data -= (1.0 - 0.9 * k / steps) * p.grad
        history.append((total.data, accuracy))
    return history


def test_the_demos_training_loop_gives_micrograds_numbers(micrograd: ModuleType) -> None:
    random.seed(1337)
    theirs = demo_training(micrograd.engine.Value, micrograd.nn.MLP(2, [8, 8, 1]), 8)
    random.seed(1337)
    ours = demo_training(Value, MLP(2, [8, 8, 1], init="uniform"), 8)
    assert [loss for loss, _ in ours] == pytest.approx([loss for loss, _ in theirs], rel=1e-9)
    assert [acc for _, acc in ours] == [acc for _, acc in theirs]
    assert ours[-1][0] < ours[0][0]


def test_numpy_numbers_mix_with_values_as_in_the_demo() -> None:
    np = require("numpy")
    row = np.array([0.5, -1.5])
    xs = list(map(Value, row))
    assert [x.data for x in xs] == [0.5, -1.5] and all(type(x.data) is float for x in xs)
    yi = np.int64(-1)
    out = (1 + -yi * xs[0]).relu()
    assert isinstance(out, Value) and out.data == 1.5
    out.backward()
    assert xs[0].grad == 1.0
