"""Reading a graph: each node's role and module, and `to_text`, the graph as plain lines.

`to_text` needs nothing but the standard library: it is the drawing for a terminal, a
doctest or a diff. The helpers here (roles, modules, names) are shared with `draw_dot`,
so the text and the picture always agree.

Roles: the root is the *output*; a leaf labelled with a dotted path (`layers.0.w.1`, the
names `nn` gives its parameters) is a *parameter*; other leaves are *inputs*; everything
else is *intermediate*.
"""

from __future__ import annotations

from autograd.backward import topological_order
from autograd.value import Value

__all__ = ["module_of", "node_names", "role_of", "to_text"]

OUTPUT, PARAMETER, INPUT, INTERMEDIATE = "output", "parameter", "input", "intermediate"


def role_of(node: Value, root: Value) -> str:
    """'output', 'parameter', 'input' or 'intermediate': how `node` takes part in `root`."""
    if node is root:
        return OUTPUT
    if node.is_leaf:
        return PARAMETER if "." in node.label else INPUT
    return INTERMEDIATE


def module_of(label: str) -> str:
    """The module a dotted label belongs to: 'layers.0.neurons.3.w.1' -> 'layers.0.neurons.3'.

    The last name (`w`, `b`, `sum`, `tanh`) and an index after it are dropped; a label
    without a module ('x', 'w.0', 'b') gives ''.
    """
    parts = label.split(".")
    if len(parts) > 1 and parts[-1].isdigit():
        parts.pop()
    parts.pop()
    return ".".join(parts)


def node_names(order: list[Value]) -> dict[Value, str]:
    """A unique, readable name per node: its label, or `v<position>` when it has none.

    A name that would be shared (two nodes labelled 'x') gets `#<position>` appended.
    """
    names = [node.label or f"v{i}" for i, node in enumerate(order)]
    seen: dict[str, int] = {}
    for name in names:
        seen[name] = seen.get(name, 0) + 1
    return {
        node: name if seen[name] == 1 else f"{name}#{i}"
        for i, (node, name) in enumerate(zip(order, names))
    }


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

    Each line gives the node's name (its label, or `v<line>`), how it was computed (or
    its role, for a leaf), its data and its grad; the output is last. The lines follow
    `topological_order(root)`, so read bottom-up they are the order in which `backward()`
    visits the nodes (the numbers `draw_dot(root, order=True)` shows).

        >>> from autograd import Value
        >>> x = Value(3.0, label="x")
        >>> y = x * x + 1
        >>> y.backward()
        >>> print(to_text(y))
        node  expression  data  grad
        v0    input          1     1
        x     input          3     6
        v2    x * x          9     1
        v3    v2 + v0       10     1  output
    """
    order = topological_order(root)
    names = node_names(order)
    rows = [("node", "expression", "data", "grad", "")]
    for node in order:
        role = role_of(node, root)
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
