"""Whether operations record graph nodes: `no_grad()` turns recording off.

The switch lives in a `ContextVar`, so one thread or asyncio task evaluating a model
under `no_grad()` does not stop another from training.
"""

from __future__ import annotations

from contextvars import ContextVar
from typing import Any

_grad_enabled: ContextVar[bool] = ContextVar("glassgrad_grad_enabled", default=True)

is_grad_enabled = _grad_enabled.get
"""True when operations on Values record graph nodes (the default)."""

open_blocks: dict[object, None] = {}
"""The `no_grad()` blocks open right now, in all threads and tasks together, one key each.

While it is empty gradients are on everywhere, so each operation can skip asking the
ContextVar (the hot path tests this dict's truth instead); otherwise it asks. Each block
adds and removes its own key in one step, so no lock is needed and no count can drift.
"""


class no_grad:
    """Inside this block, results of operations are leaves: no graph, no memory kept.

    Use it to evaluate a model or to update parameters without recording the work.
    Ctrl-C while the block opens or closes cannot leave gradients off: each change is
    undone if the interrupt stops the others. (Python can still raise at the very first
    instruction of `__exit__`, before any of its code runs; `fit` turns Ctrl-C into a stop
    at the end of a batch so that it never lands there.)
    """

    def __init__(self) -> None:
        self._entered: list[tuple[object, bool]] = []  # (block key, switch found), innermost last

    def __enter__(self) -> None:
        entry = (object(), _grad_enabled.get())
        try:
            self._entered.append(entry)
            open_blocks[entry[0]] = None
            _grad_enabled.set(False)
        except BaseException:  # interrupted half way in: undo what was done
            _grad_enabled.set(entry[1])
            open_blocks.pop(entry[0], None)
            if self._entered and self._entered[-1] is entry:
                self._entered.pop()
            raise

    def __exit__(self, *exc_info: Any) -> None:
        entry = self._entered[-1]
        try:
            _grad_enabled.set(entry[1])
        finally:
            try:
                open_blocks.pop(entry[0], None)
            finally:
                self._entered.pop()
