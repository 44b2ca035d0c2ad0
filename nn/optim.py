"""Optimizers: turn each parameter's `.grad` into a change of its `.data`.

`SGD` and `Adam` follow PyTorch's update rules step for step (same defaults, same
weight decay, same bias correction), so a trajectory here matches `torch.optim` on the
same numbers. Updates are plain float arithmetic: they record no graph. `lr` is an
ordinary attribute, so a schedule can change it between steps.

A step is all or nothing: the new values are computed first and written only if every
one is a finite number (else `DomainError` naming the parameter), and a step interrupted
while writing (Ctrl-C) puts back the old values, so no parameter ever holds half a step.
`steps` counts the steps taken.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Iterable, Sequence
from typing import Any

from autograd import DomainError, Value
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


def _parameter_name(params: Sequence[Value], i: int) -> str:
    label = params[i].label
    return f"parameter {i} ({label!r})" if label else f"parameter {i}"


_STATE_NAMES = {
    "parameter": "value",
    "_buffers": "momentum buffer",
    "_m": "running mean of the gradient",
    "_v": "running mean of the squared gradient",
}


def _refuse_non_finite(optimizer: Optimizer, what: str, values: Sequence[float]) -> None:
    """Raise DomainError naming the first parameter whose new `what` is not finite."""
    for i, value in enumerate(values):
        if not math.isfinite(value):
            p = optimizer.params[i]
            kind = _STATE_NAMES.get(what, what)
            raise DomainError(
                f"{type(optimizer).__name__}.step() would make the {kind} of "
                f"{_parameter_name(optimizer.params, i)} {value!r} (data {p.data!r}, "
                f"grad {p.grad!r}, lr {optimizer.lr!r}); no parameter was changed"
            )


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
        self.steps = 0

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

    def _commit(self, new: list[float], state: dict[str, Any]) -> None:
        """Write the new parameter values and optimizer state, all or nothing.

        Refuses (changing nothing) if a value is not finite. If writing is interrupted
        (KeyboardInterrupt), the old values and state are put back before it propagates.
        """
        params = self.params
        # One cheap test: a sum of finite floats is finite unless it overflows, so only a
        # non-finite total needs the exact look (which may find nothing).
        total = sum(new) + sum(sum(values) for values in state.values())
        if not -math.inf < total < math.inf:
            for name, values in (("parameter", new), *state.items()):
                if isinstance(values, list):
                    _refuse_non_finite(self, name, values)
        old = [p.data for p in params]
        saved = {name: getattr(self, name) for name in state}
        steps = self.steps
        try:
            for p, value in zip(params, new):
                p.data = value
            for name, value in state.items():
                setattr(self, name, value)
            self.steps = steps + 1
        except BaseException:
            # Ctrl-C can land anywhere here, even just after the count went up: undo it all.
            for p, value in zip(params, old):
                p.data = value
            for name, value in saved.items():
                setattr(self, name, value)
            self.steps = steps
            raise

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
        params = self.params
        if momentum == 0.0 and not decay and not _FROZEN:  # plain SGD, nothing frozen
            self._commit([p.data - lr * p.grad for p in params], {})
            return
        updatable = self._updatable()
        if momentum == 0.0:
            new = [p.data for p in params]
            for i, p in updatable:
                new[i] = p.data - lr * (p.grad + decay * p.data if decay else p.grad)
            self._commit(new, {})
            return
        first = self._buffers is None
        buffers = [0.0] * len(params) if self._buffers is None else list(self._buffers)
        new = [p.data for p in params]
        for i, p in updatable:
            g = p.grad + decay * p.data if decay else p.grad
            buffers[i] = g if first else momentum * buffers[i] + g
            new[i] = p.data - lr * (g + momentum * buffers[i] if self.nesterov else buffers[i])
        self._commit(new, {"_buffers": buffers})


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
        if self.eps == 0.0:
            raise ValueError("eps must be > 0 (it keeps the step finite where a gradient is 0)")
        self.weight_decay = _check("weight_decay", weight_decay)
        self._m = [0.0] * len(self.params)
        self._v = [0.0] * len(self.params)

    def step(self) -> None:
        t = self.steps + 1
        beta1, beta2 = self.betas
        decay, eps = self.weight_decay, self.eps
        step_size = self.lr / (1.0 - beta1**t)
        correction2 = math.sqrt(1.0 - beta2**t)
        m, v = list(self._m), list(self._v)
        new = [p.data for p in self.params]
        for i, p in self._updatable():
            g = p.grad + decay * p.data if decay else p.grad
            m[i] += (1.0 - beta1) * (g - m[i])
            v[i] = v[i] * beta2 + (1.0 - beta2) * g * g
            new[i] = p.data - step_size * (m[i] / (math.sqrt(v[i]) / correction2 + eps))
        self._commit(new, {"_m": m, "_v": v})
