"""No reference cycles: a graph is freed by reference counting alone."""

from __future__ import annotations

import weakref
from collections.abc import Iterator

import pytest

from autograd import Value, grad
from autograd.trace import _collector_paused


@pytest.fixture
def gc_off() -> Iterator[None]:
    with _collector_paused():  # off inside the test, as it was found afterwards
        yield


def test_graph_is_freed_when_output_goes(gc_off: None) -> None:
    x = Value(1.5)
    hidden = (x * 2.0).tanh()
    out = hidden * hidden + hidden.exp() + 2**x
    out.backward()
    watch = [weakref.ref(node) for node in (hidden, out)]
    del hidden, out
    assert all(ref() is None for ref in watch)
    assert x.grad != 0.0  # the leaf we still hold is untouched


def test_deep_graph_is_freed_without_gc(gc_off: None) -> None:
    x = Value(1.0)
    y = x
    for _ in range(10**4):
        y = y * 1.0 + 1.0
    first = weakref.ref(x * 1.0)  # a temporary: gone at once
    middle = weakref.ref(y.parents[0])
    y.backward()
    del y
    assert first() is None and middle() is None


def test_higher_order_graphs_are_freed(gc_off: None) -> None:
    x = Value(0.5)
    d2 = grad(grad(lambda v: (v * v).tanh()))(x)
    watch = weakref.ref(d2)
    del d2
    assert watch() is None
