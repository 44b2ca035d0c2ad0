"""to_text: the graph as plain lines, and the role and module helpers draw_dot shares."""

from __future__ import annotations

import sys
from collections.abc import Callable

import pytest

from autograd import Value, dot, sum_values, to_text, topological_order
from autograd.listing import module_of, roles


def test_a_small_graph_reads_as_a_table() -> None:
    x = Value(3.0, label="x")
    y = x * x + 1
    y.backward()
    assert to_text(y).splitlines() == [
        "node  expression  data  grad",
        "1     constant       1     1",
        "x     input          3     6",
        "v2    x * x          9     1",
        "v3    v2 + 1        10     1  output",
    ]


def test_lines_follow_topological_order_and_name_every_parent() -> None:
    a, b = Value(2.0, label="a"), Value(-1.5, label="b")
    y = ((a * b).tanh() + a / b) ** 2
    y.label = "y"
    y.backward()
    order = topological_order(y)
    lines = to_text(y).splitlines()[1:]
    assert len(lines) == len(order)
    for line, node in zip(lines, order):
        name, _, rest = line.partition(" ")
        assert name == (node.label or f"v{order.index(node)}")
        data, grad = rest.split()[-2:] if node is not y else rest.split()[-3:-1]
        assert float(data) == pytest.approx(node.data, rel=1e-5)
        assert float(grad) == pytest.approx(node.grad, rel=1e-5, abs=1e-9)
    assert lines[-1].startswith("y ") and lines[-1].endswith("output")


@pytest.mark.parametrize(
    ("make", "expected"),
    [
        (lambda x, y: x + y, "x + y"),
        (lambda x, y: x - y, "x - y"),
        (lambda x, y: x * y, "x * y"),
        (lambda x, y: x / y, "x / y"),
        (lambda x, y: x**y, "x ** y"),
        (lambda x, y: -x, "-x"),
        (lambda x, y: x**2, "x ** 2"),
        (lambda x, y: x**0.5, "x ** 0.5"),
        (lambda x, y: 3**x, "3 ** x"),
        (lambda x, y: x.exp(), "exp(x)"),
        (lambda x, y: x.log(), "log(x)"),
        (lambda x, y: x.tanh(), "tanh(x)"),
        (lambda x, y: x.sigmoid(), "sigmoid(x)"),
        (lambda x, y: x.relu(), "relu(x)"),
        (lambda x, y: sum_values([x, y, x]), "x + y + x"),
        (lambda x, y: dot([x, y], [y, x]), "x*y + y*x"),
        (lambda x, y: dot([x], [y], x), "x*y + x"),
    ],
)
def test_each_op_is_written_as_a_formula(
    make: Callable[[Value, Value], Value], expected: str
) -> None:
    x, y = Value(2.0, label="x"), Value(0.5, label="y")
    last = to_text(make(x, y)).splitlines()[-1]
    assert last.split(None, 1)[1].startswith(expected + " ")


def test_leaves_show_their_role() -> None:
    w = Value(0.5, label="layers.0.neurons.0.w.0")
    x = Value(2.0, label="x")
    text = to_text(w * x)
    assert "layers.0.neurons.0.w.0  parameter" in text
    assert "x                       input" in text


def test_repeated_labels_are_told_apart() -> None:
    first, second = Value(1.0, label="x"), Value(2.0, label="x")
    text = to_text(first + second)
    assert "x#0   input          1" in text and "x#1   input          2" in text
    assert "x#0 + x#1" in text


def test_a_long_chain_is_listed_without_recursion() -> None:
    y = Value(0.5, label="x")
    for _ in range(10**5 - 1):
        y = y.sigmoid()
    lines = to_text(y).splitlines()
    assert len(lines) == 10**5 + 1
    assert lines[-1].startswith("v99999  sigmoid(v99998)")


def test_to_text_needs_no_graphviz(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "graphviz", None)
    assert to_text(Value(1.0) + 2).endswith("output")


def test_roles() -> None:
    w, x = Value(1.0, label="neurons.0.w.0"), Value(2.0, label="x")
    y = w * x
    z = y + 1
    role = roles(topological_order(z), z)
    assert role[z] == "output"
    assert role[w] == "parameter"  # a dotted label: a name nn gave
    assert role[x] == "input"
    assert role[y] == "intermediate"
    assert [r for node, r in role.items() if node.is_leaf and not node.label] == ["constant"]


def test_weights_and_bias_of_a_dot_are_parameters_whatever_their_labels() -> None:
    w, b, x = Value(0.5, label="w"), Value(0.1, label="b"), Value(2.0, label="x")
    out = dot([w], [x], b).tanh()
    role = roles(topological_order(out), out)
    assert (role[w], role[b], role[x]) == ("parameter", "parameter", "input")
    assert "b     parameter" in to_text(out)


@pytest.mark.parametrize(
    ("label", "module"),
    [
        ("layers.0.neurons.3.w.1", "layers.0.neurons.3"),
        ("layers.0.neurons.3.b", "layers.0.neurons.3"),
        ("layers.0.neurons.3.sum", "layers.0.neurons.3"),
        ("layers.0.neurons.3.relu", "layers.0.neurons.3"),
        ("head.weight.3.1", "head"),
        ("features.0.weight.2.0.1.1", "features.0"),
        ("features.0.out[2][3][1]", "features.0"),
        ("w.0", ""),
        ("b", ""),
        ("x", ""),
        ("", ""),
    ],
)
def test_module_of(label: str, module: str) -> None:
    assert module_of(label) == module


def test_the_readme_shows_what_to_text_prints() -> None:
    from pathlib import Path

    from nn import Neuron

    readme = (Path(__file__).resolve().parent.parent / "README.md").read_text(encoding="utf-8")
    shown = readme.split("## Seeing the graph", 1)[1].split("```text\n", 1)[1].split("```")[0]
    neuron = Neuron(2, activation="tanh")
    neuron.w[0].data, neuron.w[1].data, neuron.b.data = -3.0, 1.0, 6.8813735870195432
    out = neuron([Value(2.0, label="x1"), Value(0.0, label="x2")])
    out.backward()
    assert to_text(out) == shown.rstrip("\n")
