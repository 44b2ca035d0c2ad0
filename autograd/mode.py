"""Whether operations record graph nodes: `no_grad()` turns recording off.

The switch lives in a `ContextVar`, so one thread or asyncio task evaluating a model
under `no_grad()` does not stop another from training.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

_grad_enabled: ContextVar[bool] = ContextVar("glassgrad_grad_enabled", default=True)

is_grad_enabled = _grad_enabled.get
"""True when operations on Values record graph nodes (the default)."""

open_blocks = 0
"""How many `no_grad()` blocks are open right now, in all threads and tasks together.

While it is 0 gradients are on everywhere, so each operation can skip asking the ContextVar
(the hot path reads this number instead); otherwise it asks.
"""
_counting = threading.Lock()


def _count_block(change: int) -> None:
    global open_blocks
    with _counting:
        open_blocks += change


@contextmanager
def no_grad() -> Iterator[None]:
    """Inside this block, results of operations are leaves: no graph, no memory kept.

    Use it to evaluate a model or to update parameters without recording the work.
    """
    _count_block(+1)
    token = _grad_enabled.set(False)
    try:
        yield
    finally:
        _grad_enabled.reset(token)
        _count_block(-1)
