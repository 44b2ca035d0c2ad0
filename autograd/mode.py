"""Whether operations record graph nodes: `no_grad()` turns recording off.

The switch lives in a `ContextVar`, so one thread or asyncio task evaluating a model
under `no_grad()` does not stop another from training.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

_grad_enabled: ContextVar[bool] = ContextVar("glassgrad_grad_enabled", default=True)

is_grad_enabled = _grad_enabled.get
"""True when operations on Values record graph nodes (the default)."""


@contextmanager
def no_grad() -> Iterator[None]:
    """Inside this block, results of operations are leaves: no graph, no memory kept.

    Use it to evaluate a model or to update parameters without recording the work.
    """
    token = _grad_enabled.set(False)
    try:
        yield
    finally:
        _grad_enabled.reset(token)
