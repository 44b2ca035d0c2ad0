"""Reading a graph: each node's role and module, and `to_text`, the graph as plain lines.

`to_text` needs nothing but the standard library: it is the drawing for a terminal, a
doctest or a diff. The helpers here (roles, modules, names) are shared with `draw_dot`,
so the text and the picture always agree.

Roles: the root is the *output*; a leaf is a *parameter* when it is labelled with a
dotted path (`layers.0.neurons.3.w.1`: the names `nn` gives its parameters) or is a
weight or the bias of a `dot` node (a neuron's weighted sum); another labelled leaf is an
*input*; a leaf without a label is a *constant* (a plain number such as the 2 in `2*x`, or
a Value left unnamed); everything else is *intermediate*.

Names: `node_names` gives every node of a graph one name, and `element_id` turns a name
into the id of that node's element in `draw_dot`'s SVG, so a program (the backprop
player, a test, a stylesheet) can find in the picture the node a `to_text` line names.
"""

from __future__ import annotations

from autograd.backward import topological_order
from autograd.value import Value

__all__ = ["element_id", "module_of", "node_names", "roles", "to_text"]

OUTPUT, PARAMETER, INPUT, INTERMEDIATE = "output", "parameter", "input", "intermediate"
CONSTANT = "constant"
ELEMENT_KINDS = ("value", "op", "edge", "copy", "module")
"""What `element_id` names: a Value's box, the op oval that made it, an edge, a copy of a
box drawn near a far use, a folded module."""


def roles(order: list[Value], root: Value) -> dict[Value, str]:
    """Each node's role in the graph of `root`: output, parameter, input, constant or
    intermediate."""
    weights: set[Value] = set()
    for node in order:
        if node.op == "dot":  # parents: w_1..w_n, x_1..x_n, then the bias if any
            parents = node.parents
            n = len(parents) // 2
            weights.update(parents[:n])
            if len(parents) % 2:
                weights.add(parents[-1])
    result = {}
    for node in order:
        if node is root:
            result[node] = OUTPUT
        elif not node.is_leaf:
            result[node] = INTERMEDIATE
        elif "." in node.label or node in weights:
            result[node] = PARAMETER
        elif node.label:
            result[node] = INPUT
        else:
            result[node] = CONSTANT
    return result


def module_of(label: str) -> str:
    """The module a dotted label belongs to: 'layers.0.neurons.3.w.1' -> 'layers.0.neurons.3'.

    The last name (`w`, `b`, `sum`, `tanh`) and the indices after it (`weight.3.1` in a
    matrix) are dropped; a label without a module ('x', 'w.0', 'b') gives ''.
    """
    parts = label.split(".")
    while len(parts) > 1 and parts[-1].isdigit():
        parts.pop()
    parts.pop()
    return ".".join(parts)


def node_names(order: list[Value]) -> dict[Value, str]:
    """A unique, readable name per node: its label; else, for a constant (a leaf), its
    value ('2'), and for a computed node `v<position>`.

    A name that would be shared (two nodes labelled 'x') gets `#<position>` appended.
    Positions are in `order`; pass `topological_order(root)` to get the names that
    `to_text(root)` and `draw_dot(root)` show.
    """
    names = [
        node.label or (f"{node.data:g}" if node.is_leaf else f"v{i}")
        for i, node in enumerate(order)
    ]
    seen: dict[str, int] = {}
    for name in names:
        seen[name] = seen.get(name, 0) + 1
    return {
        node: name if seen[name] == 1 else f"{name}#{i}"
        for i, (node, name) in enumerate(zip(order, names))
    }


def element_id(name: str, kind: str = "value", index: int | None = None) -> str:
    """The id of a drawn element in `draw_dot`'s SVG, from a node's name (`node_names`).

    'value:NAME' is the box of the Value named NAME, 'op:NAME' the oval of the op that
    made it, 'edge:NAME' the edge from that oval to the box, 'edge:NAME:K' the edge into
    the oval from its K-th input (counting from 0; one edge stands for all the uses of
    an input repeated many times, with the first K), 'copy:NAME:J' the J-th dashed copy
    of NAME's box (counting from 1; drawn next to a use far below the box), and
    'module:KEY' a folded module.

        >>> element_id("v3"), element_id("v3", "op"), element_id("v3", "edge", 1)
        ('value:v3', 'op:v3', 'edge:v3:1')
    """
    if kind not in ELEMENT_KINDS:
        raise ValueError(f"kind must be one of {', '.join(ELEMENT_KINDS)}, got {kind!r}")
    if index is not None and kind not in ("edge", "copy"):
        raise ValueError(f"only an edge or a copy id takes an index, not a {kind!r} id")
    if kind == "copy" and index is None:
        raise ValueError("a copy id needs its index")
    return f"{kind}:{name}" if index is None else f"{kind}:{name}:{index}"


def expression(node: Value, names: dict[Value, str]) -> str:
    """How `node` was computed, written with its parents' names: 'v1 * x', 'tanh(v3)'."""
    op = node.op
    args = [names[parent] for parent in node.parents]
    if op in ("+", "-", "*", "/", "**") and len(args) == 2:
        return f"{args[0]} {op} {args[1]}"
    if op == "neg" and len(args) == 1:
        return f"-{args[0]}"
    if op.startswith("**") and len(op) > 2 and len(args) == 1:  # constant exponent: '**2'
        return f"{args[0]} ** {op[2:]}"
    if op.endswith("**") and len(op) > 2 and len(args) == 1:  # constant base: '2**'
        return f"{op[:-2]} ** {args[0]}"
    if op == "sum":
        return " + ".join(args)
    if op == "dot":
        n = len(args) // 2
        terms = [f"{w}*{x}" for w, x in zip(args[:n], args[n : 2 * n])]
        if len(args) % 2:
            terms.append(args[-1])
        return " + ".join(terms)
    return f"{op}({', '.join(args)})"


def to_text(root: Value) -> str:
    """The graph of `root` as text: one line per node, parents before children.

    Each line gives the node's name (its label; unlabelled, a constant's value or
    `v<line>`), how it was computed (or its role, for a leaf), its data and its grad;
    the output is last. The lines follow
    `topological_order(root)`, so read bottom-up they are the order in which `backward()`
    visits the nodes (the numbers `draw_dot(root, order=True)` shows).

        >>> from autograd import Value
        >>> x = Value(3.0, label="x")
        >>> y = x * x + 1
        >>> y.backward()
        >>> print(to_text(y))
        node  expression  data  grad
        1     constant       1     1
        x     input          3     6
        v2    x * x          9     1
        v3    v2 + 1        10     1  output
    """
    order = topological_order(root)
    names = node_names(order)
    rows = [("node", "expression", "data", "grad", "")]
    role_of = roles(order, root)
    for node in order:
        role = role_of[node]
        described = role if node.is_leaf else expression(node, names)
        rows.append(
            (
                names[node],
                described,
                f"{node.data:.6g}",
                f"{node.grad:.6g}",
                OUTPUT if role == OUTPUT else "",
            )
        )
    # Column widths from the rows, capped so that one huge expression cannot push every
    # number off the screen (that line just runs longer).
    caps = (30, 60, 12, 12)
    widths = [min(max(len(row[i]) for row in rows), cap) for i, cap in enumerate(caps)]
    lines = []
    for name, described, data, grad, note in rows:
        line = (
            f"{name:<{widths[0]}}  {described:<{widths[1]}}  "
            f"{data:>{widths[2]}}  {grad:>{widths[3]}}  {note}"
        )
        lines.append(line.rstrip())
    return "\n".join(lines)
