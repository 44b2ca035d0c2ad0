"""`animate_backward`: watch `backward()` happen, one operation at a time, in a web page.

The page is `draw_dot`'s drawing (inline SVG) plus a little JavaScript that steps through
the walk: at step k the k-th operation node that `backward()` visits is highlighted, each
edge to a parent shows `grad += local * upstream` with the numbers, and the parents'
grads update. Every number comes from the engine (the rule table, applied here exactly as
`backward()` applies it); the script only shows them. The page needs no network and no
other file (its template is `autograd/player.html`, shipped in the package).
"""

from __future__ import annotations

import html
import json
import math
import re
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

from autograd.backward import apply_rule_once, topological_order
from autograd.listing import element_id, expression, module_of, node_names
from autograd.value import Value

__all__ = ["BackwardPlayer", "Contribution", "Step", "animate_backward", "backward_steps"]

SVG_NS = "http://www.w3.org/2000/svg"
XLINK_NS = "http://www.w3.org/1999/xlink"


@dataclass(frozen=True)
class Contribution:
    """What one step adds to one parent: `local * upstream`, and the parent's grad after.

    `local` is d(node)/d(parent) (None when a hand-written `_backward` hides it).
    """

    parent: Value
    local: float | None
    upstream: float
    added: float
    after: float


@dataclass(frozen=True)
class Step:
    """One step of `backward()`: an operation node and what it sends to each parent."""

    node: Value
    contributions: tuple[Contribution, ...]


def backward_steps(root: Value) -> list[Step]:
    """The steps of `root.backward()`, one per operation node, in the order it visits them.

    The gradients are those of one fresh `backward()` (as if every grad started at 0),
    computed with each node's rule from the table exactly as `backward()` applies it; no
    `.grad` is changed.
    """
    if not isinstance(root, Value):
        raise TypeError(f"backward_steps needs a Value, got {type(root).__name__}")
    order = topological_order(root)
    grads: dict[Value, float] = {root: 1.0}
    steps = []
    for node in reversed(order):
        rule = node._rule
        if rule is None:
            continue
        upstream = grads.get(node, 0.0)
        parents = node._parents
        if rule.hand_written:
            added = _run_by_hand(node, upstream, grads)
            locals_: list[float | None] = [
                a / upstream if upstream else None for a in added
            ]  # the best a hidden rule allows
        else:
            inputs = [parent.data for parent in parents]
            head = (node.data,) if rule.uses_output else ()
            added = [float(a) for a in rule.backward(upstream, *head, *inputs)]
            locals_ = [float(a) for a in rule.backward(1.0, *head, *inputs)]
        contributions = []
        for parent, local, add in zip(parents, locals_, added):
            grads[parent] = grads.get(parent, 0.0) + add
            contributions.append(Contribution(parent, local, upstream, add, grads[parent]))
        steps.append(Step(node, tuple(contributions)))
    return steps


def _run_by_hand(node: Value, upstream: float, grads: dict[Value, float]) -> list[float]:
    """Run a micrograd-style `_backward` on the side; what it added to each parent.

    The node and its parents get the walk's grads for the call and their own back after.
    A parent that appears twice gets the whole amount on its first edge.
    """
    parents = node._parents
    touched = [node, *dict.fromkeys(parents)]
    saved = [(value, value.grad) for value in touched]
    try:
        for parent in parents:
            parent.grad = grads.get(parent, 0.0)
        node.grad = upstream
        apply_rule_once(node)
        total = {parent: parent.grad - grads.get(parent, 0.0) for parent in parents}
    finally:
        for value, grad in saved:
            value.grad = grad
    added = []
    for parent in parents:
        added.append(total.pop(parent, 0.0))
    return added


class BackwardPlayer:
    """The page made by `animate_backward`: `.html` is its text; Jupyter shows it inline."""

    def __init__(self, page: str, height: int) -> None:
        self.html = page
        self.height = height

    def save(self, path: str | Path) -> Path:
        """Write the page (UTF-8) to `path` and return the path."""
        path = Path(path)
        path.write_text(self.html, encoding="utf-8")
        return path

    def _repr_html_(self) -> str:
        # In its own frame, so that several players in one notebook do not share ids,
        # styles or `window.glassgrad`.
        return (
            f'<iframe srcdoc="{html.escape(self.html, quote=True)}" '
            f'style="width: 100%; height: {self.height}px; border: 0" '
            'title="backward() step by step"></iframe>'
        )

    def __repr__(self) -> str:
        return f"<BackwardPlayer: {len(self.html)} characters of HTML>"


def animate_backward(
    root: Value,
    path: str | Path | None = None,
    *,
    rankdir: str = "LR",
    max_nodes: int | None = 500,
) -> BackwardPlayer:
    """A web page that plays `root.backward()` one operation node at a time.

    Step 0 is the start (only the output's grad, 1, is known); step k has visited the
    first k operation nodes in `backward()`'s order. Buttons, a slider and the arrow keys
    move between steps. The drawing is `draw_dot(root, rankdir=..., max_nodes=...)`, so
    a graph above `max_nodes` values has its `nn` modules folded (the page says so).
    Given `path`, the page is written there. The grads of the graph are left as they are.
    Needs the graphviz package and Graphviz's `dot`, like rendering `draw_dot`.
    """
    from autograd.viz import draw_dot

    if not isinstance(root, Value):
        raise TypeError(f"animate_backward needs a Value, got {type(root).__name__}")
    order = topological_order(root)
    steps = backward_steps(root)
    final = {root: 1.0}
    for step in steps:
        for c in step.contributions:
            final[c.parent] = c.after
    # Drawn with the final grads, so that each grad cell is wide enough for its number
    # (and the page without JavaScript shows the finished result).
    saved = [(node, node.grad) for node in order]
    try:
        for node in order:
            node.grad = final.get(node, 0.0)
        drawing = draw_dot(root, rankdir=rankdir, max_nodes=max_nodes)
        svg_text = drawing.pipe(format="svg").decode("utf-8")
    finally:
        for node, grad in saved:
            node.grad = grad

    index = {node: i for i, node in enumerate(order)}
    names = node_names(order)
    svg, boxes, edges, folded = _tag_svg(svg_text, order, index, names, steps)

    data: dict[str, Any] = {
        "root": index[root],
        "nodes": [
            {"name": names[node], "box": boxes.get(node), "leaf": node.is_leaf} for node in order
        ],
        "steps": [
            {
                "node": index[step.node],
                "expression": expression(step.node, names),
                "op": step.node.op,
                "formula": step.node._rule.formula if step.node._rule is not None else "",
                "upstream": _number(step.contributions[0].upstream if step.contributions else 0.0),
                "contributions": [
                    {
                        "parent": index[c.parent],
                        "edge": edges.get((index[step.node], j)),
                        "local": "?" if c.local is None else _number(c.local),
                        "added": _number(c.added),
                        "after": _json_number(c.after),
                        "after_text": _number(c.after),
                    }
                    for j, c in enumerate(step.contributions)
                ],
            }
            for step in steps
        ],
        "message": _fold_message(len(order), folded, max_nodes),
    }
    template = resources.files("autograd").joinpath("player.html").read_text(encoding="utf-8")
    parts = {
        "TITLE": html.escape(f"backward() of {names[root]}"),
        "STEPS": str(len(steps)),
        "DATA": _script_safe_json(data),
        "SVG": svg,
    }
    # One pass, so that a label that spells a placeholder is not filled in.
    page = re.sub(r"__GLASSGRAD_([A-Z]+)__", lambda m: parts[m.group(1)], template)
    height = _page_height(svg_text)
    player = BackwardPlayer(page, height)
    if path is not None:
        player.save(path)
    return player


def _tag_svg(
    svg_text: str,
    order: list[Value],
    index: dict[Value, int],
    names: dict[Value, str],
    steps: list[Step],
) -> tuple[str, dict[Value, str], dict[tuple[int, int], str], int]:
    """Graphviz's SVG with the hooks the page and its tests use.

    `draw_dot` gives each element an id from the node's name (`listing.element_id`).
    Each drawn value's group gets `data-node` (its `to_text` name), `data-index` (its place
    in topological order), `data-grad` and `data-box`; its grad's text gets the class
    `gg-grad`; each op oval gets `data-op`; each edge from a parent into an op gets
    `data-edge`. (The page looks elements up by these plain keys, never by names, which
    may hold any character.) Returns the SVG, the box that shows each value (its own, or
    its folded module's), the edge of each (step, parent position) and how many values
    are folded away.
    """
    ET.register_namespace("", SVG_NS)
    ET.register_namespace("xlink", XLINK_NS)
    tree = ET.fromstring(svg_text[svg_text.index("<svg") :])
    by_id: dict[str, ET.Element] = {}
    for group in tree.iter(f"{{{SVG_NS}}}g"):
        key = group.get("id")
        if key:
            by_id[key] = group
    modules = {
        key[len("module:") :]: group for key, group in by_id.items() if key.startswith("module:")
    }
    module_boxes: dict[str, str] = {}
    for number, (key, group) in enumerate(modules.items()):
        module_boxes[key] = f"m{number}"
        group.set("data-box", f"m{number}")
        group.set("data-module", key)

    boxes: dict[Value, str] = {}
    folded = 0
    for node in order:
        name, i = names[node], index[node]
        value_group = by_id.get(element_id(name))
        if value_group is None:
            folded += 1
            module = module_of(node.label) if node.label else ""
            # The innermost folded module that holds the node stands for it.
            holders = [key for key in modules if module == key or module.startswith(key + ".")]
            if holders:
                boxes[node] = module_boxes[max(holders, key=len)]
            continue
        value_group.set("data-node", name)
        value_group.set("data-index", str(i))
        value_group.set("data-grad", "")
        value_group.set("data-box", f"v{i}")
        boxes[node] = f"v{i}"
        every_text = value_group.iter(f"{{{SVG_NS}}}text")
        texts = [t for t in every_text if (t.text or "").startswith("grad ")]
        if texts:
            texts[-1].set("class", "gg-grad")
        op_group = by_id.get(element_id(name, "op"))
        if op_group is not None:
            op_group.set("data-op", str(i))

    edges: dict[tuple[int, int], str] = {}
    for step in steps:
        node = step.node
        if boxes.get(node) != f"v{index[node]}":
            continue  # folded: its edges are not drawn
        name = names[node]
        first_use: dict[Value, int] = {}
        for k, parent in enumerate(node._parents):
            first_use.setdefault(parent, k)
            # An input used many times by one op is one edge, with the id of its first use.
            edge_group = by_id.get(element_id(name, "edge", k))
            if edge_group is None:
                edge_group = by_id.get(element_id(name, "edge", first_use[parent]))
            if edge_group is not None:
                edge_key = f"e{len(edges)}"
                if edge_group.get("data-edge") is None:
                    edge_group.set("data-edge", edge_key)
                edges[index[node], k] = edge_group.get("data-edge", edge_key)
    return ET.tostring(tree, encoding="unicode"), boxes, edges, folded


def _fold_message(total: int, folded: int, max_nodes: int | None) -> str:
    if not folded:
        return ""
    return (
        f"This graph has {total} values, more than max_nodes={max_nodes}: as in draw_dot, "
        f"{folded} of them are folded into one box per nn module. A step inside a folded "
        "module highlights its box; its own grads are not drawn. Pass a larger max_nodes "
        "(slow past a few thousand), or play a smaller graph (one neuron, one sample's loss)."
    )


def _number(x: float) -> str:
    return f"{x:.4g}"


def _json_number(x: float) -> float | str:
    """A float for JSON; JSON has no inf or NaN, so those travel as text."""
    return x if math.isfinite(x) else str(x)


def _script_safe_json(data: Any) -> str:
    """JSON that cannot end the <script> element it sits in, whatever the labels say."""
    text = json.dumps(data, ensure_ascii=False, allow_nan=False)
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


def _page_height(svg_text: str) -> int:
    """A frame height for Jupyter: the drawing's height plus the controls, within reason."""
    match = re.search(r'<svg[^>]*height="([\d.]+)pt"', svg_text)
    drawing = float(match.group(1)) * 4 / 3 if match else 300.0
    return int(min(max(drawing + 230, 320), 900))
