"""Optimizers: turn each parameter's `.grad` into a change of its `.data`.

`SGD` and `Adam` follow PyTorch's update rules step for step (same defaults, same
weight decay, same bias correction), so a trajectory here matches `torch.optim` on the
same numbers. Updates are plain float arithmetic: they record no graph. `lr` is an
ordinary attribute, so a schedule can change it between steps.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Iterable

from autograd import Value
from nn.module import _FROZEN, Module

__all__ = ["SGD", "Adam", "Optimizer"]


def _check(name: str, value: float, upper: float | None = None) -> float:
    """`value` as a float if it is a finite number >= 0 (and < upper), else an error."""
    if (
        isinstance(value, bool)
        or not isinstance(value, numbers.Real)
        or not math.isfinite(value)
        or value < 0.0
        or (upper is not None and value >= upper)
    ):
        bound = f" and below {upper}" if upper is not None else ""
        raise ValueError(f"{name} must be a number >= 0{bound}, got {value!r}")
    return float(value)


class Optimizer:
    """Holds the parameters (each once, in order) and the learning rate."""

    def __init__(self, params: Iterable[Value] | Module, lr: float) -> None:
        values = params.parameters() if isinstance(params, Module) else list(params)
        unique: dict[int, Value] = {}
        for p in values:
            if not isinstance(p, Value):
                raise TypeError(f"{type(self).__name__} needs Values to optimize, got {p!r}")
            unique.setdefault(id(p), p)
        if not unique:
            raise ValueError(f"{type(self).__name__} got no parameters to optimize")
        self.params = list(unique.values())
        self.lr = lr

    @property
    def lr(self) -> float:
        """The learning rate; assign to it between steps to follow a schedule."""
        return self._lr

    @lr.setter
    def lr(self, value: float) -> None:
        self._lr = _check("lr", value)

    def zero_grad(self) -> None:
        """Set every parameter's gradient to 0.0 before the next backward pass."""
        for p in self.params:
            p.grad = 0.0

    def step(self) -> None:
        """Update every parameter from its current gradient (frozen ones are left alone)."""
        raise NotImplementedError

    def _updatable(self) -> list[tuple[int, Value]]:
        """(index, parameter) for each parameter that is not frozen (see `Module.freeze`)."""
        if not _FROZEN:  # nothing is frozen anywhere: the common case, without lookups
            return list(enumerate(self.params))
        return [(i, p) for i, p in enumerate(self.params) if p not in _FROZEN]

    def __repr__(self) -> str:
        return f"{type(self).__name__}({len(self.params)} parameters, lr={self.lr})"


class SGD(Optimizer):
    """Stochastic gradient descent, with optional momentum, Nesterov and weight decay.

    Per parameter, as in `torch.optim.SGD` (no dampening):
    g = grad + weight_decay * p; buf = g on the first step, else momentum * buf + g;
    the step is g + momentum * buf with Nesterov, else buf; p -= lr * step.
    """

    def __init__(
        self,
        params: Iterable[Value] | Module,
        lr: float,
        momentum: float = 0.0,
        weight_decay: float = 0.0,
        nesterov: bool = False,
    ) -> None:
        super().__init__(params, lr)
        self.momentum = _check("momentum", momentum)
        self.weight_decay = _check("weight_decay", weight_decay)
        if nesterov and self.momentum == 0.0:
            raise ValueError("Nesterov momentum needs momentum > 0")
        self.nesterov = bool(nesterov)
        self._buffers: list[float] | None = None

    def step(self) -> None:
        lr, momentum, decay = self.lr, self.momentum, self.weight_decay
        updatable = self._updatable()
        if momentum == 0.0:
            for _, p in updatable:
                p.data -= lr * (p.grad + decay * p.data if decay else p.grad)
            return
        first = self._buffers is None
        buffers = [0.0] * len(self.params) if self._buffers is None else self._buffers
        for i, p in updatable:
            g = p.grad + decay * p.data if decay else p.grad
            buffers[i] = g if first else momentum * buffers[i] + g
            p.data -= lr * (g + momentum * buffers[i] if self.nesterov else buffers[i])
        self._buffers = buffers


class Adam(Optimizer):
    """Adam: steps scaled by running averages of the gradient and of its square.

    Per parameter, as in `torch.optim.Adam` (weight decay added to the gradient, not
    decoupled as in AdamW): g = grad + weight_decay * p; m += (1 - b1)(g - m);
    v = b2 v + (1 - b2) g²; p -= lr / (1 - b1^t) * m / (sqrt(v) / sqrt(1 - b2^t) + eps).
    """

    def __init__(
        self,
        params: Iterable[Value] | Module,
        lr: float = 1e-3,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 0.0,
    ) -> None:
        super().__init__(params, lr)
        if not isinstance(betas, (tuple, list)) or len(betas) != 2:
            raise ValueError(f"betas must be a pair (beta1, beta2), got {betas!r}")
        self.betas = (_check("beta1", betas[0], 1.0), _check("beta2", betas[1], 1.0))
        self.eps = _check("eps", eps)
        self.weight_decay = _check("weight_decay", weight_decay)
        self.steps = 0
        self._m = [0.0] * len(self.params)
        self._v = [0.0] * len(self.params)

    def step(self) -> None:
        self.steps += 1
        beta1, beta2 = self.betas
        decay, eps = self.weight_decay, self.eps
        step_size = self.lr / (1.0 - beta1**self.steps)
        correction2 = math.sqrt(1.0 - beta2**self.steps)
        m, v = self._m, self._v
        for i, p in self._updatable():
            g = p.grad + decay * p.data if decay else p.grad
            m[i] += (1.0 - beta1) * (g - m[i])
            v[i] = v[i] * beta2 + (1.0 - beta2) * g * g
            p.data -= step_size * (m[i] / (math.sqrt(v[i]) / correction2 + eps))
