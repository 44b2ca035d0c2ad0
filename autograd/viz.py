"""`draw_dot`: the graph of a Value as a Graphviz drawing, every value and gradient on show.

Each Value is a box (label, data, grad) coloured by its role; each operation is a small
oval between its inputs and its result. Values that `nn` made inside a module (dotted
labels such as `layers.0.neurons.3.w.1`) are boxed together in a cluster named after the
module, and a graph too big to read is drawn with whole modules folded into one node each.

The `graphviz` package (the `viz` extra) is imported only when drawing. Building the DOT
source needs no `dot` program; rendering does, and says how to install it when missing.
"""

from __future__ import annotations

import html
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from autograd.backward import topological_order
from autograd.listing import (
    CONSTANT,
    INPUT,
    INTERMEDIATE,
    OUTPUT,
    PARAMETER,
    element_id,
    module_of,
    node_names,
    roles,
)
from autograd.value import Value

if TYPE_CHECKING:
    import graphviz

__all__ = ["DOT_MISSING", "VIZ_MISSING", "GraphTooLarge", "draw_dot"]

MODULE = "module"
"""The role of a node that stands for a whole folded module."""

COLOURS = {
    PARAMETER: "#fbd9a4",
    INPUT: "#c6dcf7",
    CONSTANT: "#f2f2f2",
    INTERMEDIATE: "#ffffff",
    OUTPUT: "#bfe8b5",
    MODULE: "#e4dbf5",
}
OP_STYLE = (
    'shape=ellipse style=filled fillcolor="#ececec" color="#888888" fontsize=10 '
    'width=0.3 height=0.25 margin="0.04,0.02"'
)
FONT = "Helvetica"

VIZ_MISSING = (
    "draw_dot needs the graphviz Python package: pip install 'glassgrad[viz]' "
    "(to_text(root) lists the same graph without it)"
)
DOT_MISSING = (
    "Graphviz's 'dot' program is not on PATH, so the graph cannot be rendered (building it "
    "and its .source work without it). Install Graphviz: sudo apt-get install graphviz "
    "(Debian/Ubuntu), brew install graphviz (macOS), conda install graphviz, "
    "or see https://graphviz.org/download/"
)

REPEATS_FOLDED = 4
"""An input used this many times or more by one op is drawn as one edge marked ×n."""

FAR_LEVELS = 3
FAR_USES = 4
"""A value used by `FAR_USES` or more ops more than `FAR_LEVELS` levels below it is drawn
again (a dashed copy of its box) next to each of those uses."""
COPY_STYLE = 'shape=box style="dashed,filled" fontsize=10 height=0.25 margin="0.06,0.02"'

SHOWN_OUTPUTS = 3
"""How many of a folded module's outputs its summary node lists."""


class GraphTooLarge(ValueError):
    """The graph has more nodes than `max_nodes`, even with its modules folded."""


def draw_dot(
    root: Value,
    *,
    rankdir: str = "LR",
    show_data: bool = True,
    show_grad: bool = True,
    order: bool = False,
    show_names: bool = True,
    title: str | None = None,
    group: bool = True,
    max_nodes: int | None = 500,
) -> graphviz.Digraph:
    """The computation graph of `root` as a `graphviz.Digraph`.

    A box per Value (label, data, grad), coloured by role: parameter (a leaf with a dotted
    label, or a weight or bias of a `dot`), input (another leaf), intermediate, output
    (`root`). An oval per operation, with edges inputs -> op -> result (one edge per
    input, so `x * x` has two).

    - `rankdir`: "LR" (left to right), "TB", "RL" or "BT".
    - `order=True` numbers the Values #1, #2, ... in the order `backward()` visits them.
    - `show_names=True` writes each box's name in `to_text(root)` small in the box when
      its label does not already say it (an unlabelled node, `v3`; a repeated label, `x#2`).
      The SVG element of each box, op and edge has an id made from that name by
      `autograd.listing.element_id` ('value:v3', 'op:v3', 'edge:v3:0'), shown or not.
    - `title` is written above the drawing, with the legend (a newline starts a new line):
      say there what the picture shows and what its grads are derivatives of.
    - `group=True` boxes the Values of each `nn` module in a cluster named after it.
    - Above `max_nodes` Values (None: no limit), whole modules are folded into one summary
      node each, from the innermost outwards; `GraphTooLarge` says what to do when that
      is not enough.

    Render with `.render(...)`, `.pipe(format="svg")` or by showing it in Jupyter; that
    needs Graphviz's `dot`, and without it raises `graphviz.ExecutableNotFound` saying how
    to install it. Without the `graphviz` package this raises ImportError.
    """
    if not isinstance(root, Value):
        raise TypeError(f"draw_dot needs a Value, got {type(root).__name__}")
    if rankdir not in ("LR", "RL", "TB", "BT"):
        raise ValueError(f"rankdir must be 'LR', 'RL', 'TB' or 'BT', got {rankdir!r}")
    if title is not None and not isinstance(title, str):
        raise TypeError(f"title must be a str, got {type(title).__name__}")
    if max_nodes is not None and (
        isinstance(max_nodes, bool) or not isinstance(max_nodes, int) or max_nodes < 1
    ):
        raise ValueError(f"max_nodes must be a positive int or None, got {max_nodes!r}")
    digraph = _digraph_class()

    nodes = _reading_order(root)
    position = {node: i for i, node in enumerate(nodes)}
    topological = topological_order(root)
    step = {node: i for i, node in enumerate(reversed(topological), start=1)}
    names = node_names(topological)
    chains = _cluster_chains(nodes) if group else {}
    folded = _fold(nodes, chains, root, max_nodes, group)
    folded_keys = set(folded.values())
    if root in chains and folded_keys.intersection(chains[root]):
        # The root's own module is folded: the root is drawn beside its summary, not in a
        # second box of the same name.
        chain = chains[root]
        chains[root] = chain[: min(chain.index(key) for key in folded_keys.intersection(chain))]
    role_of = roles(nodes, root)

    graph = digraph(
        name="glassgrad",
        # A low mclimit, and no second crossing-minimisation pass for clusters, keep the
        # order in which nodes are written (w.0, w.1, ..., b; neurons.0, neurons.1, ...)
        # where Graphviz would otherwise shuffle them to save a crossing or two.
        graph_attr={
            "rankdir": rankdir,
            "fontname": FONT,
            "nodesep": "0.2",
            "ranksep": "0.35",
            "mclimit": "0.01",
            "remincross": "false",
        },
        node_attr={"fontname": FONT, "fontsize": "11"},
        edge_attr={"arrowsize": "0.6", "color": "#666666"},
    )
    clusters: dict[str, Any] = {}
    filled: set[str] = set()  # the clusters that hold nodes of their own

    def container(chain: tuple[str, ...]) -> Any:
        """The (sub)graph a node of cluster `chain` goes in, creating clusters as needed."""
        if not chain:
            return graph
        for path in chain:
            if path not in clusters:
                clusters[path] = digraph(
                    name=f"cluster_{len(clusters)}",
                    graph_attr={
                        "label": f"<<B>{_escape(path)}</B>>",
                        "labeljust": "l",
                        "labelloc": "t",
                        "style": "rounded,filled",
                        "color": "#9a9a9a",
                        "fillcolor": "#fafafa",
                        "fontsize": "11",
                    },
                )
        filled.add(chain[-1])
        return clusters[chain[-1]]

    roles_shown: set[str] = set()
    for i, node in enumerate(nodes):
        if node in folded:
            continue
        role = role_of[node]
        roles_shown.add(role)
        chain = chains.get(node, ())
        where = container(chain)
        shown_label = node.label
        if chain and shown_label.startswith(chain[-1] + "."):
            shown_label = shown_label[len(chain[-1]) + 1 :]  # the cluster says the rest
        cells = []
        if order:
            cells.append(f'<TD><FONT POINT-SIZE="9">#{step[node]}</FONT></TD>')
        name = names[node]
        said = node.label or (_number(node.data) if show_data and node.is_leaf else "")
        if show_names and name != said:  # a constant's name is its value, as data shows
            cells.append(f'<TD><FONT POINT-SIZE="9" COLOR="#555555">{_escape(name)}</FONT></TD>')
        if shown_label:
            cells.append(f"<TD><B>{_escape(shown_label)}</B></TD>")
        if show_data:
            cells.append(f"<TD>data {_number(node.data)}</TD>")
        if show_grad:
            cells.append(f"<TD>grad {_number(node.grad)}</TD>")
        # DOT statements are written straight into the body: graphviz's own `node()` and
        # `edge()` re-quote every attribute, ten times slower on a 10**5-node graph.
        table = _table(cells or ["<TD> </TD>"], COLOURS[role], row=True)
        tooltip = _quoted(f"{role} {name}")
        ids = _quoted(element_id(name))
        where.body.append(f"\tv{i} [label={table} shape=plain id={ids} tooltip={tooltip}]\n")
        if not node.is_leaf:
            text = _escape(_op_text(node))
            ids = _quoted(element_id(name, "op"))
            where.body.append(f"\to{i} [label=<{text}> {OP_STYLE} id={ids}]\n")

    summaries = _summaries(nodes, folded, position)

    def numbers(node: Value) -> str:
        shown = [f"data {_number(node.data)}"] if show_data else []
        shown += [f"grad {_number(node.grad)}"] if show_grad else []
        return " ".join(shown)

    for key, (number, members, outputs) in summaries.items():
        roles_shown.add(MODULE)
        rows = _summary_rows(key, members, outputs, role_of, numbers)
        table = _table(rows, COLOURS[MODULE], row=False)
        tooltip = _quoted(f"module {key}: {len(members)} values folded")
        ids = _quoted(element_id(key, "module"))
        container(_cluster_chain(key)[:-1]).body.append(
            f"\tm{number} [label={table} shape=plain id={ids} tooltip={tooltip}]\n"
        )

    # A box that holds nothing but one other box (a layer drawn for one neuron) says
    # nothing: it is left out.
    inner: dict[str, int] = {}
    for path in clusters:
        chain = _cluster_chain(path)
        if len(chain) > 1:
            inner[chain[-2]] = inner.get(chain[-2], 0) + 1
    shown = [path for path in clusters if path in filled or inner.get(path, 0) > 1]
    # Clusters are complete once every node is placed; attach the innermost first, since
    # `subgraph()` copies a cluster's body at the moment it is attached.
    # (The sort is stable: boxes side by side keep the order in which they were made.)
    outer_box = {}
    for path in shown:
        outer = [p for p in _cluster_chain(path)[:-1] if p in shown]
        outer_box[path] = outer[-1] if outer else None
    for path in sorted(shown, key=lambda p: -len(_cluster_chain(p))):
        outer_path = outer_box[path]
        if outer_path is not None:
            clusters[outer_path].subgraph(clusters[path])
    for path in shown:
        if outer_box[path] is None:
            graph.subgraph(clusters[path])

    def shown_as(node: Value) -> str:
        key = folded.get(node)
        return f"v{position[node]}" if key is None else f"m{summaries[key][0]}"

    # A value used by many ops far downstream (x in x + x + ... + x) would need an edge
    # across every level in between, and Graphviz's layout time grows with the square of
    # those: each far use is drawn from a dashed copy of its box instead.
    depth = _depths(topological)
    far = _far_reaching(topological, depth, folded)
    copies: dict[Value, int] = {}

    def tail_for(child: Value) -> Callable[[Value], str]:
        def tail(parent: Value) -> str:
            if parent not in far or depth[child] - depth[parent] <= FAR_LEVELS:
                return shown_as(parent)
            count = copies[parent] = copies.get(parent, 0) + 1
            copy = f"c{position[parent]}_{count}"
            name = names[parent]
            ids = _quoted(element_id(name, "copy", count))
            tooltip = _quoted(f"{name} again: the same value, drawn near this use")
            graph.body.append(
                f"\t{copy} [label=<{_escape(name)}> {COPY_STYLE} "
                f'fillcolor="{COLOURS[role_of[parent]]}" id={ids} tooltip={tooltip}]\n'
            )
            return copy

        return tail

    edges: list[str] = []
    folded_edges: dict[tuple[str, str], None] = {}  # an ordered set
    for i, node in enumerate(nodes):
        if node.is_leaf:
            continue
        module = folded.get(node)
        if module is None:
            name = names[node]
            edges.extend(_input_edges(node, f"o{i}", name, tail_for(node)))
            edges.append(f"\to{i} -> v{i} [id={_quoted(element_id(name, 'edge'))}]\n")
        else:
            for parent in node.parents:
                if folded.get(parent) != module:
                    folded_edges[shown_as(parent), f"m{summaries[module][0]}"] = None
    edges.extend(f"\t{tail} -> {head}\n" for tail, head in folded_edges)
    graph.body.extend(edges)

    legend = _legend(roles_shown, order, bool(copies), title)
    graph.graph_attr.update(label=legend, labelloc="b" if title is None else "t", fontsize="10")
    return graph


def _depths(order: list[Value]) -> dict[Value, int]:
    """Each node's level: 0 for a leaf, else one more than its deepest parent."""
    depth: dict[Value, int] = {}
    for node in order:
        depth[node] = 1 + max((depth[p] for p in node.parents), default=-1)
    return depth


def _far_reaching(
    order: list[Value], depth: dict[Value, int], folded: dict[Value, str]
) -> set[Value]:
    """The drawn values used at least `FAR_USES` times more than `FAR_LEVELS` levels below."""
    far_uses: dict[Value, int] = {}
    for node in order:
        if node in folded:
            continue
        for parent in set(node.parents):
            if parent not in folded and depth[node] - depth[parent] > FAR_LEVELS:
                far_uses[parent] = far_uses.get(parent, 0) + 1
    return {node for node, count in far_uses.items() if count >= FAR_USES}


def _input_edges(
    node: Value, op_node: str, name: str, shown_as: Callable[[Value], str]
) -> list[str]:
    """The edges into `node`'s op: one per input, except that an input used
    `REPEATS_FOLDED` times or more is one edge marked ×n (x + x + ... + x stays drawable)."""
    uses: dict[Value, list[int]] = {}
    for k, parent in enumerate(node.parents):
        uses.setdefault(parent, []).append(k)
    lines = []
    for parent, places in uses.items():
        tail = shown_as(parent)
        if len(places) >= REPEATS_FOLDED:
            ids = _quoted(element_id(name, "edge", places[0]))
            lines.append(f'\t{tail} -> {op_node} [id={ids} label="×{len(places)}" fontsize=9]\n')
        else:
            lines.extend(
                f"\t{tail} -> {op_node} [id={_quoted(element_id(name, 'edge', k))}]\n"
                for k in places
            )
    return lines


def _reading_order(root: Value) -> list[Value]:
    """Parents before children, and a node's parents in their own order (w.0 before w.1).

    `topological_order` gives the order of `backward()`; this one is for the eye: Graphviz
    keeps the order in which nodes are written when it can, so inputs come out in order.
    """
    order: list[Value] = []
    visited: set[Value] = set()
    stack: list[tuple[Value, bool]] = [(root, False)]
    while stack:
        node, expanded = stack.pop()
        if expanded:
            order.append(node)
        elif node not in visited:
            visited.add(node)
            stack.append((node, True))
            stack.extend((parent, False) for parent in reversed(node.parents))
    return order


# -- clusters and folding ---------------------------------------------------------------


def _cluster_chain(module: str) -> tuple[str, ...]:
    """The clusters a module is drawn in, outermost first.

    'layers.0.neurons.3' -> ('layers.0', 'layers.0.neurons.3'): a prefix followed by an
    index ('layers', 'layers.0.neurons') is a list of modules, not a module, so it gets
    no box of its own.
    """
    if not module:
        return ()
    parts = module.split(".")
    chain = [".".join(parts[:i]) for i in range(1, len(parts)) if not parts[i].isdigit()]
    chain.append(module)
    return tuple(chain)


def _cluster_chains(nodes: list[Value]) -> dict[Value, tuple[str, ...]]:
    """Each node that belongs to a module, with the clusters it is drawn in."""
    cache: dict[str, tuple[str, ...]] = {}
    chains = {}
    for node in nodes:
        if not node.label:
            continue
        module = module_of(node.label)
        if module:
            if module not in cache:
                cache[module] = _cluster_chain(module)
            chains[node] = cache[module]
    return chains


def _fold(
    nodes: list[Value],
    chains: dict[Value, tuple[str, ...]],
    root: Value,
    max_nodes: int | None,
    group: bool,
) -> dict[Value, str]:
    """Which nodes to fold into which module, so that at most `max_nodes` are drawn.

    Tries the innermost modules first (one node per neuron), then their enclosing ones
    (one per layer), each time first keeping the modules that hold the root whole; the
    root itself always stays visible. Nothing is folded when the graph fits.
    """
    if max_nodes is None or len(nodes) <= max_nodes:
        return {}
    depth = max((len(chain) for chain in chains.values()), default=0)
    around_root = set(chains.get(root, ()))
    fewest = len(nodes)
    for keep_root_module in (True, False):
        for level in range(depth, 0, -1):
            folded = {}
            for node, chain in chains.items():
                key = chain[min(level, len(chain)) - 1]
                if node is not root and not (keep_root_module and key in around_root):
                    folded[node] = key
            count = len(nodes) - len(folded) + len(set(folded.values()))
            if count <= max_nodes:
                return folded
            fewest = min(fewest, count)
    raise GraphTooLarge(_too_large(len(nodes), fewest, max_nodes, group, depth > 0))


def _too_large(total: int, fewest: int, max_nodes: int, group: bool, modules: bool) -> str:
    if group and modules:
        situation = f"even with every nn module folded into one node it has {fewest}"
    elif group:
        situation = "and it has no nn modules (dotted labels) to fold"
    else:
        situation = "and group=False folds nothing"
    advice = [
        f"pass max_nodes={total} (or None) to draw every node (dot gets slow past a few thousand)",
        "draw a smaller graph (one neuron's output, one sample's loss)",
        "or list it with to_text(root)",
    ]
    if not group:
        advice.insert(0, "pass group=True to fold each nn module into one node")
    return (
        f"draw_dot: the graph has {total} values, more than max_nodes={max_nodes}, "
        f"{situation}. To draw it: {'; '.join(advice)}."
    )


def natural_key(path: str) -> tuple[tuple[int, int | str], ...]:
    """Sorts dotted paths with their numbers as numbers: neurons.4 before neurons.30."""
    return tuple((0, int(part)) if part.isdigit() else (1, part) for part in path.split("."))


def _summaries(
    nodes: list[Value], folded: dict[Value, str], position: dict[Value, int]
) -> dict[str, tuple[int, list[Value], list[Value]]]:
    """For each folded module, in natural order: its summary node's number, its members
    and those of its members used outside it, in topological order.
    """
    members: dict[str, list[Value]] = {}
    for node in nodes:
        key = folded.get(node)
        if key is not None:
            members.setdefault(key, []).append(node)
    used_outside: dict[str, set[Value]] = {key: set() for key in members}
    for node in nodes:
        key = folded.get(node)
        for parent in node.parents:
            parent_key = folded.get(parent)
            if parent_key is not None and parent_key != key:
                used_outside[parent_key].add(parent)
    return {
        key: (number, members[key], sorted(used_outside[key], key=position.__getitem__))
        for number, key in enumerate(sorted(members, key=natural_key))
    }


def _summary_rows(
    key: str, members: list[Value], used: list[Value], role_of: dict[Value, str], numbers: Any
) -> list[str]:
    """What a folded module's node says: its name, what it holds, and the values of it
    that are used outside it (computed ones first: a neuron's output before its weights)."""
    parameters = sum(1 for node in members if role_of[node] == PARAMETER)
    computed = sum(1 for node in members if not node.is_leaf)
    rows = [
        f"<TD><B>{_escape(key)}</B></TD>",
        f"<TD>{len(members)} values: {parameters} parameters, {computed} computed</TD>",
    ]
    used = sorted(used, key=lambda node: node.is_leaf)  # stable: keeps topological order
    for node in used[:SHOWN_OUTPUTS]:
        name = node.label[len(key) + 1 :] if node.label.startswith(key + ".") else node.label
        shown = numbers(node)
        if name or shown:
            rows.append(f"<TD>{_escape(name or 'out')}: {shown}</TD>")
    rest = used[SHOWN_OUTPUTS:]
    if rest:
        leaves = sum(1 for node in rest if node.is_leaf)
        kinds = [f"{len(rest) - leaves} computed"] if len(rest) > leaves else []
        kinds += [f"{leaves} parameters" if leaves > 1 else "1 parameter"] if leaves else []
        rows.append(f"<TD>... {len(rest)} more used outside it ({', '.join(kinds)})</TD>")
    return rows


# -- labels -----------------------------------------------------------------------------


def _escape(text: str) -> str:
    """Text made safe inside an HTML-like label: no markup, no control characters.

    HTML-like labels take `{ } | : \\ "` literally, unlike record labels and escStrings,
    so escaping `& < > "` as entities is all it needs.
    """
    printable = "".join(c if c.isprintable() else repr(c)[1:-1] for c in text)
    return html.escape(printable, quote=True)


def _quoted(text: str) -> str:
    """A quoted DOT string shown as is: no backslash starts an escape, no quote ends it."""
    printable = "".join(c if c.isprintable() else " " for c in text)
    return '"' + printable.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _number(x: float) -> str:
    return f"{x:.4g}"


def _table(cells: list[str], colour: str, *, row: bool) -> str:
    """An HTML-like label: the cells side by side (`row=True`) or stacked."""
    inner = f"<TR>{''.join(cells)}</TR>" if row else "".join(f"<TR>{c}</TR>" for c in cells)
    return (
        f'<<TABLE BORDER="0" CELLBORDER="1" CELLSPACING="0" CELLPADDING="3" '
        f'BGCOLOR="{colour}">{inner}</TABLE>>'
    )


def _op_text(node: Value) -> str:
    """What an op node shows: its name, or the formula of a neuron's weighted sum."""
    if node.op == "dot":
        return "Σ w·x + b" if len(node.parents) % 2 else "Σ w·x"
    if node.op == "sum":
        return "Σ"
    return node.op


def _legend(roles: set[str], order: bool, copies: bool, title: str | None = None) -> str:
    """The graph's caption: the title, the colours in use, and what the #numbers mean."""
    cells = [
        f'<TD BGCOLOR="{COLOURS[role]}" BORDER="1">{role}</TD>'
        for role in (PARAMETER, INPUT, CONSTANT, INTERMEDIATE, OUTPUT, MODULE)
        if role in roles
    ]
    if copies:
        cells.append("<TD>dashed: a value drawn again near a far use</TD>")
    if order:
        cells.append("<TD>#n: the order in which backward() visits the values</TD>")
    legend = f'<TABLE BORDER="0" CELLSPACING="4" CELLPADDING="2"><TR>{"".join(cells)}</TR></TABLE>'
    if not title:
        return f"<{legend}>"
    text = "<BR/>".join(_escape(line) for line in title.split("\n"))
    return (
        f'<<TABLE BORDER="0" CELLSPACING="0" CELLPADDING="2"><TR><TD><FONT POINT-SIZE="12">'
        f"{text}</FONT></TD></TR><TR><TD>{legend}</TD></TR></TABLE>>"
    )


# -- graphviz, imported on first use ----------------------------------------------------

_digraph_classes: dict[int, type[Any]] = {}


def _digraph_class() -> type[Any]:
    """`graphviz.Digraph`, extended so that rendering without `dot` says how to get it."""
    try:
        import graphviz
    except ImportError as error:
        raise ImportError(VIZ_MISSING) from error
    cached = _digraph_classes.get(id(graphviz))
    if cached is not None:
        return cached

    class DotNotFound(graphviz.ExecutableNotFound):  # type: ignore[misc]
        """Graphviz's `dot` is missing: the message says how to install it."""

        def __init__(self, message: str) -> None:
            RuntimeError.__init__(self, message)

    class Digraph(graphviz.Digraph):  # type: ignore[misc]
        """A `graphviz.Digraph` whose rendering explains a missing `dot`."""

        def pipe(self, *args: Any, **kwargs: Any) -> Any:
            try:
                return super().pipe(*args, **kwargs)
            except graphviz.ExecutableNotFound as error:
                raise DotNotFound(DOT_MISSING) from error

        def render(self, *args: Any, **kwargs: Any) -> Any:
            try:
                return super().render(*args, **kwargs)
            except graphviz.ExecutableNotFound as error:
                raise DotNotFound(DOT_MISSING) from error

        def unflatten(self, *args: Any, **kwargs: Any) -> Any:
            try:
                return super().unflatten(*args, **kwargs)
            except graphviz.ExecutableNotFound as error:
                raise DotNotFound(DOT_MISSING) from error

    _digraph_classes[id(graphviz)] = Digraph
    return Digraph
