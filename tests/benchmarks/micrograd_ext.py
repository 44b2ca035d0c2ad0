"""exp and log for micrograd's Value, written in micrograd's own closure style.

micrograd 0.1.0 has neither, and softmax cross-entropy (workload 4) needs both. `install()`
adds them as methods of `micrograd.engine.Value` in the benchmark's process only. Like
micrograd's own operators, each node's `_backward` closure captures `out`, the node itself:
the same reference cycle as every other micrograd node, so the comparison stays fair.
"""

from __future__ import annotations

import math
from typing import Any


def install() -> Any:
    """Give micrograd's Value `exp()` and `log()` (once) and return the class."""
    from micrograd.engine import Value

    if not hasattr(Value, "exp"):
        Value.exp = _exp
    if not hasattr(Value, "log"):
        Value.log = _log
    return Value


def _exp(self: Any) -> Any:
    out = type(self)(math.exp(self.data), (self,), "exp")

    def _backward() -> None:
        self.grad += out.data * out.grad

    out._backward = _backward
    return out


def _log(self: Any) -> Any:
    out = type(self)(math.log(self.data), (self,), "log")

    def _backward() -> None:
        self.grad += (1.0 / self.data) * out.grad

    out._backward = _backward
    return out
