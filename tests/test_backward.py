"""backward(): the chain rule in reverse topological order, iterative, accumulating."""

from __future__ import annotations

import sys
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from autograd import Value, backward, dot, no_grad, topological_order


def test_simple_expression_gradients() -> None:
    x, y = Value(2.0), Value(-3.0)
    z = x * y + x.tanh()
    z.backward()
    assert x.grad == pytest.approx(-3.0 + (1 - 0.9640275800758169**2), rel=1e-12)
    assert y.grad == 2.0
    assert z.grad == 1.0


def test_reused_nodes_are_exact() -> None:
    a = Value(3.0)
    (a + a).backward()
    assert a.grad == 2.0

    b = Value(3.0)
    (b * b).backward()
    assert b.grad == 6.0

    c = Value(1.5)
    shared = c * 2.0
    total = shared * shared + shared + shared.exp()
    total.backward()
    # d/dc of (2c)² + 2c + e^(2c) = 8c + 2 + 2e^(2c)
    assert c.grad == pytest.approx(8 * 1.5 + 2 + 2 * 2.718281828459045**3, rel=1e-12)


def test_backward_twice_accumulates_exactly_twice() -> None:
    x = Value(0.7)
    y = (x * x).tanh() * 3.0 + x
    y.backward()
    once = {node: node.grad for node in topological_order(y)}
    y.backward()
    for node, grad in once.items():
        assert node.grad == 2 * grad


def test_backward_from_two_outputs_sharing_a_subgraph() -> None:
    x = Value(2.0)
    shared = x * x
    first, second = shared * 3.0, shared + 1.0
    first.backward()
    second.backward()
    assert x.grad == 6 * 2.0 + 2 * 2.0  # d(3x²)/dx + d(x² + 1)/dx, each path once


def test_order_puts_parents_before_children() -> None:
    a, b = Value(1.0), Value(2.0)
    c = a * b
    d = c + a
    e = d * c
    order = topological_order(e)
    position = {node: i for i, node in enumerate(order)}
    assert order[-1] is e and len(order) == 5
    for node in order:
        for parent in node.parents:
            assert position[parent] < position[node]


def _depth_first(root: Value) -> list[Value]:
    """The order backward() promises, written as a recursion: a node's leaf inputs are listed
    as soon as it is expanded, its other inputs are expanded last one first, then the node."""
    order: list[Value] = []
    seen: set[Value] = set()

    def expand(node: Value) -> None:
        seen.add(node)
        inner = []
        for parent in node.parents:
            if parent not in seen:
                if parent.parents:
                    inner.append(parent)
                else:
                    seen.add(parent)
                    order.append(parent)
        for parent in reversed(inner):
            if parent not in seen:
                expand(parent)
        order.append(node)

    expand(root)
    return order


# A graph built step by step from a few leaves: each step applies an op of one, two or any
# number of inputs to nodes made before, so nodes are shared and inputs repeat.
_steps = st.lists(
    st.tuples(st.sampled_from(["tanh", "*", "+", "dot"]), st.lists(st.integers(0, 99), min_size=4)),
    min_size=1,
    max_size=25,
)


@given(_steps)
def test_order_is_the_depth_first_order_whatever_the_graph(steps: list[Any]) -> None:
    """The walk reads one or two inputs from their own slots and more from a tuple: the order
    must come out as the plain recursion's, parents first, each node once."""
    nodes = [Value(0.5), Value(-1.5), Value(2.0)]
    for op, picks in steps:
        chosen = [nodes[k % len(nodes)] for k in picks]
        if op == "tanh":
            nodes.append(chosen[0].tanh())
        elif op == "*":
            nodes.append(chosen[0] * chosen[1])
        elif op == "+":
            nodes.append(chosen[0] + 1.0)
        else:
            half = len(chosen) // 2
            nodes.append(dot(chosen[:half], chosen[half : 2 * half]))
    root = nodes[-1]
    order = topological_order(root)
    assert order == _depth_first(root)
    assert len(set(order)) == len(order)


def test_deep_chain_needs_no_recursion() -> None:
    x = Value(1.0)
    y = x
    for _ in range(10**5):
        y = y * 1.0000001 + 0.0
    limit = sys.getrecursionlimit()
    y.backward()
    assert sys.getrecursionlimit() == limit
    assert x.grad == pytest.approx(1.0000001 ** (10**5), rel=1e-9)


def test_leaf_backward_seeds_one() -> None:
    x = Value(5.0)
    x.backward()
    assert x.grad == 1.0
    backward(x)
    assert x.grad == 2.0


def test_no_grad_makes_leaves_and_restores() -> None:
    x = Value(2.0)
    with no_grad():
        y = x * x + 1
        assert y.is_leaf and y.parents == () and y.op == ""
    z = x * x
    assert z.op == "*" and z.parents == (x, x)
    y.backward()
    assert x.grad == 0.0


def test_no_grad_is_per_thread() -> None:
    import threading

    seen: list[str] = []
    inside, release = threading.Event(), threading.Event()

    def evaluate() -> None:
        with no_grad():
            inside.set()
            release.wait(5)

    worker = threading.Thread(target=evaluate)
    worker.start()
    inside.wait(5)
    seen.append((Value(1.0) * 2).op)  # this thread still records the graph
    release.set()
    worker.join()
    assert seen == ["*"]


def test_no_grad_is_per_asyncio_task() -> None:
    import asyncio

    async def evaluate(gate: asyncio.Event) -> str:
        with no_grad():
            await gate.wait()
            return (Value(1.0) * 2).op

    async def train(gate: asyncio.Event) -> str:
        await asyncio.sleep(0)
        op = (Value(1.0) * 2).op
        gate.set()
        return op

    async def main() -> list[str]:
        gate = asyncio.Event()
        return list(await asyncio.gather(evaluate(gate), train(gate)))

    assert asyncio.run(main()) == ["", "*"]


def test_detach_is_a_leaf_with_same_data() -> None:
    x = Value(2.0)
    y = x * 3
    d = y.detach()
    assert d.data == 6.0 and d.is_leaf and d is not y
    (d * x).backward()
    assert x.grad == 6.0 and y.grad == 0.0
