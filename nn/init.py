"""Weight initializers: how a neuron's first weights are drawn, by name or as a function.

An initializer draws one weight from `rng` given the layer's fan-in (inputs per neuron)
and fan-out (neurons in the layer). The scaled ones keep the spread of activations and
gradients roughly constant from layer to layer, so deep stacks neither die out nor blow
up. Biases always start at zero.

| name | draws from | suits |
|---|---|---|
| `uniform` | U(-1, 1) (micrograd) | small demos |
| `small` | N(0, 1) * 0.01 | shallow sigmoid nets (seed 001) |
| `xavier` = `xavier_uniform` | U(-a, a), a = sqrt(6 / (fan_in + fan_out)) | tanh, sigmoid, linear |
| `xavier_normal` | N(0, 2 / (fan_in + fan_out)) | tanh, sigmoid, linear |
| `he` = `he_normal` | N(0, 2 / fan_in) | relu |
| `he_uniform` | U(-a, a), a = sqrt(6 / fan_in) | relu |
"""

from __future__ import annotations

import math
import random
from collections.abc import Callable

__all__ = [
    "DEFAULT_FOR_ACTIVATION",
    "INITIALIZERS",
    "Initializer",
    "get_initializer",
    "he_normal",
    "he_uniform",
    "small",
    "uniform",
    "xavier_normal",
    "xavier_uniform",
]

Initializer = Callable[[int, int, random.Random], float]
"""`init(fan_in, fan_out, rng) -> float`: draws one weight."""


def uniform(fan_in: int, fan_out: int, rng: random.Random) -> float:
    """U(-1, 1), whatever the layer's size (micrograd's choice)."""
    return rng.uniform(-1.0, 1.0)


def small(fan_in: int, fan_out: int, rng: random.Random) -> float:
    """N(0, 1) * 0.01: tiny weights, so sigmoids start in their linear middle."""
    return rng.gauss(0.0, 1.0) * 0.01


def xavier_uniform(fan_in: int, fan_out: int, rng: random.Random) -> float:
    """Glorot uniform: variance 2 / (fan_in + fan_out), balancing forward and backward."""
    limit = math.sqrt(6.0 / (fan_in + fan_out))
    return rng.uniform(-limit, limit)


def xavier_normal(fan_in: int, fan_out: int, rng: random.Random) -> float:
    """Glorot normal: N(0, 2 / (fan_in + fan_out))."""
    return rng.gauss(0.0, math.sqrt(2.0 / (fan_in + fan_out)))


def he_normal(fan_in: int, fan_out: int, rng: random.Random) -> float:
    """Kaiming normal: N(0, 2 / fan_in); the 2 makes up for relu zeroing half its inputs."""
    return rng.gauss(0.0, math.sqrt(2.0 / fan_in))


def he_uniform(fan_in: int, fan_out: int, rng: random.Random) -> float:
    """Kaiming uniform: U(-a, a) with a = sqrt(6 / fan_in), the same variance as he_normal."""
    limit = math.sqrt(6.0 / fan_in)
    return rng.uniform(-limit, limit)


INITIALIZERS: dict[str, Initializer] = {
    "uniform": uniform,
    "small": small,
    "xavier": xavier_uniform,
    "xavier_uniform": xavier_uniform,
    "xavier_normal": xavier_normal,
    "he": he_normal,
    "he_normal": he_normal,
    "he_uniform": he_uniform,
}
"""Initializer name -> function."""

DEFAULT_FOR_ACTIVATION: dict[str, str] = {
    "relu": "he",
    "tanh": "xavier",
    "sigmoid": "xavier",
    "linear": "xavier",
}
"""The initializer used when none is given: He for relu, Xavier for the others."""


def get_initializer(init: str | Initializer | None, activation: str) -> Initializer:
    """The initializer named by `init`, or the default for `activation` when it is None."""
    if init is None:
        return INITIALIZERS[DEFAULT_FOR_ACTIVATION[activation]]
    if isinstance(init, str):
        try:
            return INITIALIZERS[init]
        except KeyError:
            known = ", ".join(repr(name) for name in INITIALIZERS)
            raise ValueError(f"unknown init {init!r}: choose one of {known}") from None
    if callable(init):
        return init
    raise TypeError(
        f"init must be a name, a function (fan_in, fan_out, rng) -> float, or None; "
        f"got {type(init).__name__}"
    )
