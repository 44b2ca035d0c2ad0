"""The activation functions a neuron can apply to its weighted sum, by name.

Each name maps to a method of `Value` (one graph node) or to None for `linear`, which
leaves the weighted sum as it is.
"""

from __future__ import annotations

from collections.abc import Callable

from autograd import Value

__all__ = ["ACTIVATIONS", "check_activation"]

ACTIVATIONS: dict[str, Callable[[Value], Value] | None] = {
    "relu": Value.relu,
    "tanh": Value.tanh,
    "sigmoid": Value.sigmoid,
    "linear": None,
}
"""Activation name -> the Value method applying it (None: no activation)."""


def check_activation(name: object) -> str:
    """Return `name` if it names an activation, else raise listing the known ones."""
    if not isinstance(name, str) or name not in ACTIVATIONS:
        known = ", ".join(repr(key) for key in ACTIVATIONS)
        raise ValueError(f"unknown activation {name!r}: choose one of {known}")
    return name
