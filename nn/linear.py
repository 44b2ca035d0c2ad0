"""`Linear`: y = W x + b with PyTorch's layout, `weight[out][in]` and `bias[out]`.

It computes what a `Layer` with `activation="linear"` computes, one `dot` node per output,
but stores the weights as a matrix, so a torch `nn.Linear` with the same numbers gives the
same outputs and a state dict maps onto `weight`/`bias` tensors row by row.
"""

from __future__ import annotations

import random
from collections.abc import Sequence

from autograd import Value, dot
from nn.init import Initializer, get_initializer
from nn.module import Input, Module, _check_count, as_inputs

__all__ = ["Linear"]


class Linear(Module):
    """`out[o] = sum_i weight[o][i] * x[i] + bias[o]`: a list of `out_features` Values.

    Use `Linear` where a matrix is the natural picture (attention projections, a model's
    head, the end of a CNN, anything compared with PyTorch); use `Layer` for the
    neuron-by-neuron view of an MLP, with its activation built in. The output is always a
    list (one Value per output feature), each a `dot` node labelled `<path>.out[o]`.

    Weights are drawn by `init` (a name from `nn.init` or a function; None: Xavier, as for
    a linear layer) from `random.Random(seed)`; the bias starts at zero. `bias=False`
    leaves it out (no `bias` attribute, no bias parameters).
    """

    _expand_in_repr = False

    def __init__(
        self,
        in_features: int,
        out_features: int,
        bias: bool = True,
        init: str | Initializer | None = None,
        seed: int | None = None,
    ) -> None:
        self.in_features = _check_count(in_features, "in_features")
        self.out_features = _check_count(out_features, "out_features")
        draw = get_initializer(init, "linear")
        rng = random.Random(seed)
        fan_in, fan_out = self.in_features, self.out_features
        self.weight = [[Value(draw(fan_in, fan_out, rng)) for _ in range(fan_in)]
                       for _ in range(fan_out)]  # fmt: skip
        if bias:
            self.bias = [Value(0.0) for _ in range(fan_out)]
        self._path_changed()

    def _path_changed(self) -> None:
        self._labels = [f"{self._path}.out[{o}]" if self._path else f"out[{o}]"
                        for o in range(self.out_features)]  # fmt: skip

    def __call__(self, x: Sequence[Input]) -> list[Value]:
        """The `out_features` outputs for one input vector of `in_features` numbers or Values."""
        xs = as_inputs(x, self.in_features, self)
        bias: Sequence[Value | None] = getattr(self, "bias", None) or [None] * self.out_features
        outs = []
        for row, b, label in zip(self.weight, bias, self._labels):
            out = dot(row, xs, b)
            out.label = label
            outs.append(out)
        return outs

    def extra_repr(self) -> str:
        has_bias = hasattr(self, "bias")
        return f"in_features={self.in_features}, out_features={self.out_features}, bias={has_bias}"
