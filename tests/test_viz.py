"""draw_dot: the DOT it writes for known graphs, clusters, folding, escaping, rendering."""

from __future__ import annotations

import html
import re
import subprocess
import sys
from pathlib import Path
from types import ModuleType

import pytest
from conftest import require

from autograd import Op, Value, dot, draw_dot, sum_values, to_text, topological_order
from autograd.viz import COLOURS, MODULE, GraphTooLarge


@pytest.fixture
def graphviz() -> ModuleType:
    return require("graphviz")


# -- reading the DOT source back ---------------------------------------------------------


def value_nodes(source: str) -> dict[str, str]:
    """Value node id -> its label, e.g. {'v0': '<<TABLE ...>>'}."""
    return dict(re.findall(r"^\s*(v\d+) \[label=(<.*?</TABLE>>)", source, re.M))


def op_nodes(source: str) -> dict[str, str]:
    """Op node id -> the text it shows."""
    return {k: html.unescape(v) for k, v in re.findall(r"^\s*(o\d+) \[label=<(.*?)>", source, re.M)}


def summary_nodes(source: str) -> dict[str, str]:
    return dict(re.findall(r"^\s*(m\d+) \[label=(<.*?</TABLE>>)", source, re.M))


def edges(source: str) -> list[tuple[str, str]]:
    return re.findall(r"^\s*(\w+) -> (\w+)(?: \[.*\])?$", source, re.M)


def cells(label: str) -> list[str]:
    """The text of each table cell of a node label, unescaped."""
    texts = re.findall(r"<TD[^>]*>(.*?)</TD>", label)
    return [html.unescape(re.sub(r"<[^>]+>", "", text)) for text in texts]


def node_with(source: str, text: str) -> str:
    """The label of the one Value node that has a cell reading `text`."""
    found = [label for label in value_nodes(source).values() if text in cells(label)]
    assert len(found) == 1, f"{len(found)} nodes show {text!r}"
    return found[0]


def clusters(source: str) -> list[tuple[int, str]]:
    """(nesting depth, name) of each cluster, in the order they open."""
    result = []
    depth = 0
    for line in source.splitlines():
        stripped = line.strip()
        if stripped.startswith("subgraph cluster_"):
            depth += 1
            continue
        if stripped == "}":
            depth -= 1
            continue
        if depth and stripped.startswith("graph [") and "label=<<B>" in stripped:
            name = re.search(r"label=<<B>(.*?)</B>>", stripped)
            assert name is not None
            result.append((depth, html.unescape(name.group(1))))
    return result


def neuron(path: str, xs: list[Value], weights: list[float], act: str = "tanh") -> Value:
    """A neuron labelled the way `nn` labels one: `<path>.w.i`, `<path>.b`, `.sum`, `.tanh`."""
    prefix = f"{path}." if path else ""
    ws = [Value(w, label=f"{prefix}w.{i}") for i, w in enumerate(weights)]
    total = dot(ws, xs, Value(0.5, label=f"{prefix}b"))
    total.label = f"{prefix}sum"
    out: Value = getattr(total, act)()
    out.label = f"{prefix}{act}"
    return out


# -- known expressions -------------------------------------------------------------------


def test_a_small_expression_has_one_node_per_value_and_per_op() -> None:
    a, b, c = Value(2.0, label="a"), Value(-3.0, label="b"), Value(10.0, label="c")
    e = a * b
    e.label = "e"
    y = e + c
    y.label = "y"
    y.backward()
    source = draw_dot(y).source

    assert len(value_nodes(source)) == 5
    assert sorted(op_nodes(source).values()) == ["*", "+"]
    assert len(edges(source)) == 6  # a, b -> * -> e; e, c -> + -> y
    assert cells(node_with(source, "a")) == ["a", "data 2", "grad -3"]
    assert cells(node_with(source, "b")) == ["b", "data -3", "grad 2"]
    assert cells(node_with(source, "y")) == ["y", "data 4", "grad 1"]


def test_edges_go_inputs_then_op_then_result() -> None:
    x = Value(3.0, label="x")
    y = x * x
    source = draw_dot(y).source
    ids = {cells(label)[0]: node for node, label in value_nodes(source).items() if cells(label)}
    (op,) = op_nodes(source)
    x_id = ids["x"]
    assert edges(source).count((x_id, op)) == 2  # x is used twice: two edges
    result = next(node for node in value_nodes(source) if node != x_id)
    assert (op, result) in edges(source)
    assert len(edges(source)) == 3


def test_every_op_shows_its_name_and_a_neuron_sum_its_formula() -> None:
    x = Value(0.5, label="x")
    parts = [x + 1, x - 1, x * 2, x / 2, -x, x**2, 2**x, x**x, x.exp(), x.log()]
    parts += [x.tanh(), x.sigmoid(), x.relu(), dot([x], [x]), dot([x], [x], x)]
    y = sum_values(parts)
    shown = sorted(op_nodes(draw_dot(y).source).values())
    expected = ["+", "-", "*", "/", "neg", "**2", "2**", "**", "exp", "log", "tanh"]
    expected += ["sigmoid", "relu", "Σ w·x", "Σ w·x + b", "Σ"]
    assert shown == sorted(expected)


def test_show_data_and_show_grad_can_be_turned_off() -> None:
    x = Value(3.0, label="x")
    y = x.tanh()
    y.backward()
    source = draw_dot(y, show_data=False, show_grad=False).source
    assert cells(node_with(source, "x")) == ["x"]
    assert not any("data" in c or "grad" in c for c in cells("".join(value_nodes(source).values())))
    source = draw_dot(y, show_grad=False).source
    assert cells(node_with(source, "x")) == ["x", "data 3"]


def test_colours_tell_parameters_inputs_intermediates_and_the_output_apart() -> None:
    x = Value(1.0, label="x")
    out = neuron("layers.0.neurons.1", [x], [0.3])
    source = draw_dot(out, group=False).source
    colour = {
        cells(label)[0]: re.search(r'BGCOLOR="(#\w+)"', label).group(1)  # type: ignore[union-attr]
        for label in value_nodes(source).values()
    }
    assert colour["layers.0.neurons.1.w.0"] == COLOURS["parameter"]
    assert colour["layers.0.neurons.1.b"] == COLOURS["parameter"]
    assert colour["x"] == COLOURS["input"]
    assert colour["layers.0.neurons.1.sum"] == COLOURS["intermediate"]
    assert colour["layers.0.neurons.1.tanh"] == COLOURS["output"]
    assert "parameter</TD>" in source and "output</TD>" in source  # the legend


def test_order_numbers_the_nodes_as_backward_visits_them() -> None:
    x = Value(2.0, label="x")
    h = x * 3.0
    h.label = "h"
    y = h.tanh() + x
    y.label = "y"
    source = draw_dot(y, order=True).source
    visits = list(reversed(topological_order(y)))
    for step, node in enumerate(visits, start=1):
        if node.label:
            assert cells(node_with(source, node.label))[0] == f"#{step}"
    assert cells(node_with(source, "y"))[0] == "#1"
    numbers = sorted(int(c[0][1:]) for c in map(cells, value_nodes(source).values()))
    assert numbers == list(range(1, len(visits) + 1))
    assert "#" not in "".join(cells(node_with(draw_dot(y).source, "y")))


def test_rankdir_is_passed_on_and_checked() -> None:
    y = Value(1.0) + 1
    assert "rankdir=TB" in draw_dot(y, rankdir="TB").source
    with pytest.raises(ValueError, match="rankdir"):
        draw_dot(y, rankdir="sideways")


def test_bad_arguments_are_rejected() -> None:
    with pytest.raises(TypeError, match="needs a Value"):
        draw_dot(3.0)  # type: ignore[arg-type]
    for bad in (0, -5, 2.5, True):
        with pytest.raises(ValueError, match="max_nodes"):
            draw_dot(Value(1.0), max_nodes=bad)  # type: ignore[arg-type]


def test_a_leaf_alone_is_one_node() -> None:
    source = draw_dot(Value(4.0, label="x")).source
    assert len(value_nodes(source)) == 1 and not op_nodes(source) and not edges(source)


# -- clusters ----------------------------------------------------------------------------


def two_layer_graph() -> Value:
    """Three hidden neurons and one output neuron, labelled as `nn` labels an MLP."""
    xs = [Value(1.0, label="x1"), Value(-2.0, label="x2")]
    hidden = [neuron(f"layers.0.neurons.{i}", xs, [0.1 * i, -0.2]) for i in range(3)]
    out = neuron("layers.1.neurons.0", hidden, [0.3, -0.1, 0.2])
    loss = (out - 1.0) ** 2
    loss.backward()
    return loss


def test_values_of_a_module_are_grouped_in_a_cluster_named_after_it() -> None:
    source = draw_dot(two_layer_graph()).source
    assert sorted(clusters(source), key=lambda c: c[1]) == [
        (1, "layers.0"),
        (2, "layers.0.neurons.0"),
        (2, "layers.0.neurons.1"),
        (2, "layers.0.neurons.2"),
        (1, "layers.1.neurons.0"),  # no box `layers.1` around its only neuron
    ]
    # Inside its cluster a node shows the rest of its label.
    body = source.split("label=<<B>layers.0.neurons.1</B>>")[1].split("}")[0]
    shown = sorted(cells(label)[0] for label in value_nodes(body).values())
    assert shown == ["b", "sum", "tanh", "w.0", "w.1"]
    assert len(op_nodes(body)) == 2  # the sum and the tanh
    assert "x1" not in body  # inputs are outside every module


def test_group_false_draws_no_clusters_and_full_labels() -> None:
    source = draw_dot(two_layer_graph(), group=False).source
    assert "subgraph" not in source
    node_with(source, "layers.0.neurons.1.w.0")


def test_a_standalone_neurons_values_are_not_in_a_cluster() -> None:
    out = neuron("", [Value(1.0, label="x")], [0.5])
    source = draw_dot(out).source
    assert "subgraph" not in source
    assert cells(node_with(source, "w.0"))[0] == "w.0"
    # Labelled just `b`, the bias is still a parameter: it is the bias of a `dot`.
    assert f'BGCOLOR="{COLOURS["parameter"]}"' in node_with(source, "b")
    assert f'BGCOLOR="{COLOURS["input"]}"' in node_with(source, "x")


def test_an_nn_model_is_grouped_by_its_own_labels() -> None:
    from nn.module import MLP

    model = MLP(2, [3, 1], seed=0)
    out = model([1.0, -1.0])
    assert isinstance(out, Value)
    out.backward()
    names = {name for _, name in clusters(draw_dot(out).source)}
    assert {"layers.0", "layers.0.neurons.2", "layers.1.neurons.0"} <= names
    assert "layers.1" not in names


# -- big graphs --------------------------------------------------------------------------


def test_a_graph_of_10_to_the_5_nodes_builds_its_source() -> None:
    y = Value(0.1, label="x")
    for _ in range(10**5 - 1):
        y = y.tanh()
    assert len(topological_order(y)) == 10**5
    source = draw_dot(y, max_nodes=None, order=True).source
    assert source.count(" [label=<<TABLE") == 10**5
    assert len(edges(source)) == 2 * (10**5 - 1)
    with pytest.raises(GraphTooLarge, match=r"100000 values.*max_nodes=500.*to_text"):
        draw_dot(y)


def test_above_max_nodes_neurons_are_folded_into_one_node_each() -> None:
    loss = two_layer_graph()
    total = len(topological_order(loss))
    assert total == 26
    source = draw_dot(loss, max_nodes=12).source
    summaries = summary_nodes(source)
    # Four neurons, each one node; the inputs, the loss's own nodes and the output stay.
    assert sorted(cells(label)[0] for label in summaries.values()) == [
        "layers.0.neurons.0",
        "layers.0.neurons.1",
        "layers.0.neurons.2",
        "layers.1.neurons.0",
    ]
    assert len(value_nodes(source)) + len(summaries) <= 12
    first = cells(summaries["m0"])
    assert first[1] == "5 values: 3 parameters, 2 computed"
    assert first[2].startswith("tanh: data ")
    assert COLOURS[MODULE] in summaries["m0"]
    # Neurons of a layer stay inside the layer's cluster.
    assert clusters(source) == [(1, "layers.0"), (1, "layers.1")]
    # Each hidden neuron feeds the output neuron once, and reads both inputs.
    hidden_to_out = [e for e in edges(source) if e[0] in ("m0", "m1", "m2") and e[1] == "m3"]
    assert len(hidden_to_out) == 3
    assert sum(1 for tail, head in edges(source) if head == "m0") == 2


def test_when_neurons_are_not_enough_whole_layers_are_folded() -> None:
    loss = two_layer_graph()
    source = draw_dot(loss, max_nodes=8).source
    summaries = summary_nodes(source)
    assert sorted(cells(label)[0] for label in summaries.values()) == ["layers.0", "layers.1"]
    assert cells(summaries["m0"])[1] == "15 values: 9 parameters, 6 computed"
    assert "subgraph" not in source
    assert ("m0", "m1") in edges(source)


def test_when_folding_is_not_enough_the_error_names_the_options() -> None:
    loss = two_layer_graph()
    with pytest.raises(GraphTooLarge) as error:
        draw_dot(loss, max_nodes=3)
    message = str(error.value)
    assert "26 values" in message and "max_nodes=3" in message
    assert "max_nodes=26" in message and "to_text(root)" in message
    with pytest.raises(GraphTooLarge, match="group=True"):
        draw_dot(loss, max_nodes=12, group=False)
    assert isinstance(error.value, ValueError)


def test_the_output_is_never_folded_away() -> None:
    out = neuron("layers.0.neurons.0", [Value(1.0, label="x")], [0.5])
    source = draw_dot(out, max_nodes=3).source
    # Its neuron is folded, so the output is drawn beside the summary, not in a second
    # box named after the same neuron.
    assert cells(node_with(source, "neurons.0.tanh"))[0] == "neurons.0.tanh"
    assert len(summary_nodes(source)) == 1
    assert clusters(source) == [(1, "layers.0")]


# -- escaping ----------------------------------------------------------------------------

HOSTILE = 'a<b>{c}|d:"e"\\f\\n &amp; \\'


def test_labels_and_op_names_with_special_characters_are_escaped() -> None:
    x = Value(1.0, label=HOSTILE)
    # An Op made directly is not registered in the table other tests run through.
    weird_op = Op('<op>|{"\\}', lambda a: a, lambda g, a: (g,))
    y = weird_op.apply(x)
    y.label = 'layers.0."x\\.sum'
    source = draw_dot(y).source
    assert cells(node_with(source, HOSTILE))[0] == HOSTILE
    assert list(op_nodes(source).values()) == ['<op>|{"\\}']
    assert [name for _, name in clusters(source)] == ['layers.0."x\\']
    label = node_with(source, HOSTILE)
    assert "<b>" not in label and "&amp;amp;" in label and "&lt;b&gt;" in label


def test_escaped_labels_render_as_written(dot_program: str) -> None:
    x = Value(1.0, label=HOSTILE)
    y = x * 2
    y.label = "tab\there\x00"
    svg = draw_dot(y).pipe(format="svg").decode()
    texts = [html.unescape(t) for t in re.findall(r"<text[^>]*>(.*?)</text>", svg)]
    assert HOSTILE in texts
    assert "tab\\there\\x00" in texts  # control characters are shown, not interpreted


# -- rendering and missing dependencies ----------------------------------------------------


def test_renders_svg_with_dot(dot_program: str, tmp_path: Path) -> None:
    loss = two_layer_graph()
    svg = draw_dot(loss, order=True).pipe(format="svg").decode()
    assert svg.lstrip().startswith("<?xml") and "<svg" in svg
    assert svg.count('class="cluster"') == 5
    assert "layers.0.neurons.2" in svg and "Σ w·x + b" in svg
    written = draw_dot(loss).render(tmp_path / "graph", format="png")
    assert (tmp_path / "graph.png").read_bytes().startswith(b"\x89PNG")
    assert written.endswith("graph.png")


def test_without_the_graphviz_package_the_error_names_the_viz_extra(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setitem(sys.modules, "graphviz", None)
    with pytest.raises(ImportError, match=re.escape("pip install 'glassgrad[viz]'")):
        draw_dot(Value(1.0) * 2)


def test_without_dot_building_works_and_rendering_says_how_to_install(
    graphviz: ModuleType, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    empty = tmp_path / "empty"
    empty.mkdir()
    monkeypatch.setenv("PATH", str(empty))
    graph = draw_dot(two_layer_graph())
    assert isinstance(graph, graphviz.Digraph)
    assert graph.source.startswith("digraph")
    for render in (
        lambda: graph.pipe(format="svg"),
        lambda: graph.render(tmp_path / "graph", format="svg"),
        lambda: graph._repr_image_svg_xml(),
    ):
        with pytest.raises(graphviz.ExecutableNotFound) as error:
            render()
        assert "apt-get install graphviz" in str(error.value)
        assert "brew install graphviz" in str(error.value)


def test_importing_autograd_does_not_import_graphviz() -> None:
    code = "import sys, autograd; autograd.draw_dot; sys.exit('graphviz' in sys.modules)"
    assert subprocess.run([sys.executable, "-c", code], check=False).returncode == 0


def test_the_committed_readme_picture_is_a_neuron_after_backward() -> None:
    svg = (Path(__file__).resolve().parent.parent / "notebooks/figures/neuron.svg").read_text()
    texts = [html.unescape(t) for t in re.findall(r"<text[^>]*>(.*?)</text>", svg)]
    for expected in ("Σ w·x + b", "tanh", "data 0.7071", "grad 1", "x1", "w.0", "b", "#1"):
        assert expected in texts, expected


# -- names shared with to_text, and ids in the SVG ----------------------------------------


def svg_ids(svg: str, kind: str) -> list[str]:
    """The ids of the SVG groups of one class ('node' or 'edge'), unescaped."""
    return [html.unescape(i) for i in re.findall(rf'<g id="([^"]*)" class="{kind}">', svg)]


def test_every_to_text_name_is_the_id_of_its_box_op_and_edges(dot_program: str) -> None:
    from autograd.listing import element_id

    x = Value(3.0, label="x")
    y = (x * x + 2 * x).tanh()
    y.backward()
    names = [line.split()[0] for line in to_text(y).splitlines()[1:]]
    assert names == ["2", "x", "v2", "v3", "v4", "v5"]
    svg = draw_dot(y).pipe(format="svg").decode()
    nodes, edges_ = svg_ids(svg, "node"), svg_ids(svg, "edge")
    assert sorted(nodes) == sorted(
        [element_id(n) for n in names] + [element_id(n, "op") for n in names[2:]]
    )
    # Each op's edges: one per input, in input order, and one to its result.
    expected = {"v2": 2, "v3": 2, "v4": 2, "v5": 1}
    assert sorted(edges_) == sorted(
        [element_id(n, "edge", k) for n, count in expected.items() for k in range(count)]
        + [element_id(n, "edge") for n in expected]
    )


def test_unlabelled_and_repeated_names_are_written_small_in_their_box() -> None:
    a, b = Value(1.0, label="a"), Value(2.0, label="a")
    y = a * b + 0.125 + 3
    source = draw_dot(y).source
    firsts = sorted(cells(label)[0] for label in value_nodes(source).values())
    # A constant's name is its value, which its data cell already shows.
    assert firsts == ["a#2", "a#3", "data 0.125", "data 3", "v4", "v5", "v6"]
    names = [line.split()[0] for line in to_text(y).splitlines()[1:]]
    assert sorted(names) == ["0.125", "3", "a#2", "a#3", "v4", "v5", "v6"]
    assert 'id="value:a#2"' in source and 'id="op:v6"' in source and 'id="value:3"' in source
    hidden = draw_dot(y, show_names=False).source
    firsts = sorted(cells(label)[0] for label in value_nodes(hidden).values())
    assert firsts == ["a", "a", "data 0.125", "data 2", "data 2.125", "data 3", "data 5.125"]
    assert 'id="value:v6"' in hidden  # the ids stay
    unshown = draw_dot(y, show_data=False).source
    assert "3" in [cells(label)[0] for label in value_nodes(unshown).values()]


def test_element_id_checks_its_kind() -> None:
    from autograd.listing import element_id

    assert element_id("layers.0.b", "module") == "module:layers.0.b"
    with pytest.raises(ValueError, match="kind must be one of"):
        element_id("x", "box")
    with pytest.raises(ValueError, match="only an edge"):
        element_id("x", "op", 2)


def test_plain_numbers_are_constants_with_their_own_colour_in_the_legend() -> None:
    x = Value(1.5, label="x")
    y = 2 * x + x**2
    source = draw_dot(y).source
    assert f'BGCOLOR="{COLOURS["constant"]}"' in node_with(source, "data 2")
    assert f'BGCOLOR="{COLOURS["input"]}"' in node_with(source, "x")
    assert len(set(COLOURS.values())) == len(COLOURS)
    assert f'<TD BGCOLOR="{COLOURS["constant"]}" BORDER="1">constant</TD>' in source
    assert "constant</TD>" not in draw_dot(x * x).source  # the legend shows what is drawn


def test_an_input_used_many_times_by_one_op_is_one_edge_marked_with_the_count() -> None:
    x, y = Value(1.0, label="x"), Value(2.0, label="y")
    total = sum_values([x] * 250 + [y, y])
    source = draw_dot(total).source
    assert len(edges(source)) == 4  # x once (×250), y twice, the op to its result
    assert source.count('label="×250"') == 1 and 'id="edge:v2:0"' in source
    assert 'id="edge:v2:250"' in source and 'id="edge:v2:251"' in source


# -- the order things are drawn in ----------------------------------------------------------


def drawn_top_to_bottom(svg: str, pattern: str) -> list[str]:
    """The texts matching `pattern`, in the order they appear from the top of the picture."""
    found = re.findall(r'<text[^>]*x="([-\d.]+)" y="([-\d.]+)"[^>]*>([^<]*)</text>', svg)
    hits = [(float(y), float(x), html.unescape(t)) for x, y, t in found]
    return [t for _, _, t in sorted(hits) if re.fullmatch(pattern, t)]


def test_each_neurons_parameters_are_drawn_in_index_order(dot_program: str) -> None:
    from nn.module import MLP

    model = MLP(4, [3, 1], seed=0)
    out = model([1.0, 2.0, 3.0, 4.0])
    assert isinstance(out, Value)
    svg = draw_dot(out).pipe(format="svg").decode()
    order = drawn_top_to_bottom(svg, r"w\.\d+|b")
    assert order == ["w.0", "w.1", "w.2", "w.3", "b"] * 3 + ["w.0", "w.1", "w.2", "b"]


def test_folded_modules_come_in_numeric_order_each_once(dot_program: str) -> None:
    from nn.module import MLP

    model = MLP(2, [12, 12, 1], seed=0)
    out = model([1.0, 2.0])
    assert isinstance(out, Value)
    out.backward()
    source = draw_dot(out, max_nodes=100).source
    summaries = [cells(label)[0] for label in summary_nodes(source).values()]
    numbers = [int(name.rsplit(".", 1)[1]) for name in summaries]
    assert numbers == list(range(12)) * 2  # layers.0.neurons.0..11, then layers.1's
    # The root's neuron is drawn whole, in one box, and is not also a summary.
    assert "layers.2.neurons.0" not in summaries
    assert [name for _, name in clusters(source)].count("layers.2.neurons.0") == 1
    svg = draw_dot(out, max_nodes=100).pipe(format="svg").decode()
    for layer in ("0", "1"):
        drawn = drawn_top_to_bottom(svg, rf"layers\.{layer}\.neurons\.\d+")
        assert [int(n.rsplit(".", 1)[1]) for n in drawn] == list(range(12))


def test_a_summary_says_what_it_holds_and_what_is_used_outside_it() -> None:
    from nn.module import MLP

    model = MLP(2, [6, 1], seed=1)
    out = model([1.0, 2.0])
    assert isinstance(out, Value)
    loss = (out - 1.0) ** 2 + 0.01 * sum(p * p for p in model.parameters())
    loss.backward()
    source = draw_dot(loss, max_nodes=70).source
    rows = cells(next(iter(summary_nodes(source).values())))
    assert rows[0] == "layers.0.neurons.0"
    assert rows[1] == "5 values: 3 parameters, 2 computed"
    # Its output first (the next layer reads it), then the weights the L2 term reads.
    assert rows[2].startswith("relu: data ")
    assert rows[3].startswith("w.0: data ") and rows[4].startswith("w.1: data ")
    assert rows[5] == "... 1 more used outside it (1 parameter)"


# -- x + x + ... + x ---------------------------------------------------------------------------


def test_a_value_used_far_below_many_times_is_drawn_again_near_each_use() -> None:
    from autograd.listing import element_id

    x = Value(1.0, label="x")
    y = x
    for _ in range(11):
        y = y + x
    source = draw_dot(y).source
    copies = re.findall(r'^\s*(c\d+_\d+) \[label=<x>.*id="(copy:x:\d+)"', source, re.M)
    # Uses up to FAR_LEVELS levels below x read its box; the 8 further ones a copy each.
    assert [copy_id for _, copy_id in copies] == [element_id("x", "copy", j) for j in range(1, 9)]
    tails = [tail for tail, _ in edges(source)]
    assert tails.count("v0") == 4 and all(tails.count(c) == 1 for c, _ in copies)
    assert "dashed: a value drawn again near a far use" in source
    assert "dashed" not in draw_dot(x * x + x).source


def test_250_uses_of_one_input_render_without_dot_choking(dot_program: str) -> None:
    x = Value(1.0, label="x")
    y = x
    for _ in range(249):
        y = y + x
    y.backward()
    svg = draw_dot(y).pipe(format="svg").decode()
    assert svg.count('class="node"') == 249 + 250 + 246  # ops, values, copies of x


def test_a_title_goes_above_the_legend_and_is_escaped(dot_program: str) -> None:
    x = Value(2.0, label="x")
    y = x * x
    source = draw_dot(y, title="y = x*x <at x=2>\ngrads: dy/d(value)").source
    assert "labelloc=t" in source
    svg = draw_dot(y, title="y = x*x <at x=2>\ngrads: dy/d(value)").pipe(format="svg").decode()
    texts = [html.unescape(t) for t in re.findall(r"<text[^>]*>(.*?)</text>", svg)]
    assert "y = x*x <at x=2>" in texts and "grads: dy/d(value)" in texts
    assert "labelloc=b" in draw_dot(y).source
    with pytest.raises(TypeError, match="title must be a str"):
        draw_dot(y, title=3)  # type: ignore[arg-type]
