"""`Conv2d`: a 2-D convolution on an image of nested lists, one `dot` node per output.

Layouts are PyTorch's, so the same numbers loaded into `torch.nn.Conv2d` give the same
results: the image is `x[c][i][j]` (channels x height x width), the output `out[o][i][j]`,
the filters `weight[o][c][ki][kj]` and the biases `bias[o]`. As in PyTorch it is a
cross-correlation (the kernel is not flipped). Each output is one `dot` of the filter with
its receptive field, labelled `<path>.out[o][i][j]`, so `draw_dot` shows which filter and
which window made it. Zero padding adds no nodes: padded positions are left out of the dot.
"""

from __future__ import annotations

import random
from operator import itemgetter
from typing import Any

from autograd import Value, dot, no_grad
from nn.activations import ACTIVATIONS, check_activation
from nn.images import Image, flat_values, image_shape, output_size
from nn.init import Initializer, get_initializer
from nn.module import Module, _check_count, is_frozen

__all__ = ["Conv2d"]

Gather = Any
"""An `operator.itemgetter` that picks a window's entries out of a flat list as a tuple."""


def _pair(value: object, what: str, minimum: int) -> tuple[int, int]:
    """An int or a pair of ints (height, width), each >= minimum, as a pair."""
    pair = value if isinstance(value, (tuple, list)) else (value, value)
    if len(pair) != 2 or not all(
        isinstance(n, int) and not isinstance(n, bool) and n >= minimum for n in pair
    ):
        raise ValueError(f"{what} must be an int >= {minimum} or a pair of them, got {value!r}")
    return int(pair[0]), int(pair[1])


def gather(indices: list[int]) -> Gather:
    """An itemgetter that always returns a tuple, even for a single index."""
    if len(indices) == 1:
        (index,) = indices
        return lambda items: (items[index],)
    return itemgetter(*indices)


class Conv2d(Module):
    """out[o][i][j] = bias[o] + sum of weight[o][c][ki][kj] * x[c][s*i + ki - p][s*j + kj - p].

    `kernel_size`, `stride` and `padding` are ints or (height, width) pairs. The input is
    a C x H x W nested list of numbers or Values; the output an `out_channels` x H' x W'
    nested list of Values, H' = (H + 2p - k) // s + 1. `activation` (default `linear`:
    none) is applied to each output, as in `Layer`, labelled `<path>.<activation>[o][i][j]`.
    Filters are drawn by `init` (None: He for relu, else Xavier, with fan-in
    C * kh * kw and fan-out out_channels * kh * kw) from `random.Random(seed)`; biases
    start at zero.
    """

    _expand_in_repr = False

    def __init__(
        self,
        in_channels: int,
        out_channels: int,
        kernel_size: int | tuple[int, int],
        stride: int | tuple[int, int] = 1,
        padding: int | tuple[int, int] = 0,
        init: str | Initializer | None = None,
        seed: int | None = None,
        *,
        bias: bool = True,
        activation: str = "linear",
    ) -> None:
        self.in_channels = _check_count(in_channels, "in_channels")
        self.out_channels = _check_count(out_channels, "out_channels")
        self.kernel_size = _pair(kernel_size, "kernel_size", 1)
        self.stride = _pair(stride, "stride", 1)
        self.padding = _pair(padding, "padding", 0)
        self.activation = check_activation(activation)
        draw = get_initializer(init, self.activation)
        rng = random.Random(seed)
        kh, kw = self.kernel_size
        fan_in, fan_out = self.in_channels * kh * kw, self.out_channels * kh * kw
        self.weight = [
            [
                [[Value(draw(fan_in, fan_out, rng)) for _ in range(kw)] for _ in range(kh)]
                for _ in range(self.in_channels)
            ]
            for _ in range(self.out_channels)
        ]
        if bias:
            self.bias = [Value(0.0) for _ in range(self.out_channels)]
        self._activate = ACTIVATIONS[self.activation]
        self._plans: dict[tuple[int, int], Any] = {}
        self._path_changed()

    def _path_changed(self) -> None:
        self._prefix = f"{self._path}." if self._path else ""
        self._plans = {}

    def output_shape(self, height: int, width: int) -> tuple[int, int, int]:
        """(out_channels, H', W') for an input of `height` x `width`."""
        (kh, kw), (sh, sw), (ph, pw) = self.kernel_size, self.stride, self.padding
        return (
            self.out_channels,
            output_size(height, kh, sh, ph),
            output_size(width, kw, sw, pw),
        )

    def _plan(self, height: int, width: int) -> Any:
        """Per output position, which weights and which pixels its dot reads (cached)."""
        key = (height, width)
        if key in self._plans:
            return self._plans[key]
        _, out_h, out_w = self.output_shape(height, width)
        if out_h < 1 or out_w < 1:
            (kh, kw), (ph, pw) = self.kernel_size, self.padding
            raise ValueError(
                f"{self._describe()}: a {kh}x{kw} kernel does not fit an image of "
                f"{height}x{width} with padding ({ph}, {pw})"
            )
        (kh, kw), (sh, sw), (ph, pw) = self.kernel_size, self.stride, self.padding
        positions = []
        for i in range(out_h):
            for j in range(out_w):
                weights, pixels = [], []
                for c in range(self.in_channels):
                    for ki in range(kh):
                        row = i * sh + ki - ph
                        if not 0 <= row < height:
                            continue
                        for kj in range(kw):
                            col = j * sw + kj - pw
                            if 0 <= col < width:
                                weights.append((c * kh + ki) * kw + kj)
                                pixels.append((c * height + row) * width + col)
                positions.append((i, j, gather(weights), gather(pixels)))
        name = self.activation
        labels = [
            [
                (f"{self._prefix}out[{o}][{i}][{j}]", f"{self._prefix}{name}[{o}][{i}][{j}]")
                for i in range(out_h)
                for j in range(out_w)
            ]
            for o in range(self.out_channels)
        ]
        plan = (out_h, out_w, positions, labels)
        self._plans[key] = plan
        return plan

    def __call__(self, x: Image) -> list[list[list[Value]]]:
        """The feature maps `out[o][i][j]` of one image `x[c][i][j]`."""
        _, height, width = image_shape(x, self.in_channels, self._describe())
        out_h, out_w, positions, labels = self._plan(height, width)
        pixels, given_values = flat_values(x)
        filters = [[w for channel in f for row in channel for w in row] for f in self.weight]
        biases: list[Value | None] = list(getattr(self, "bias", [None] * self.out_channels))
        # A frozen convolution of plain numbers needs no graph: nothing before it can
        # take a gradient, and its own parameters will not be updated.
        if not given_values and all(is_frozen(p) for p in self._own_parameters(filters, biases)):
            with no_grad():
                return self._forward(pixels, filters, biases, out_h, out_w, positions, labels)
        return self._forward(pixels, filters, biases, out_h, out_w, positions, labels)

    @staticmethod
    def _own_parameters(filters: list[list[Value]], biases: list[Value | None]) -> list[Value]:
        return [*(w for f in filters for w in f), *(b for b in biases if b is not None)]

    def _forward(
        self,
        pixels: list[Value],
        filters: list[list[Value]],
        biases: list[Value | None],
        out_h: int,
        out_w: int,
        positions: list[tuple[int, int, Gather, Gather]],
        labels: list[list[tuple[str, str]]],
    ) -> list[list[list[Value]]]:
        activate = self._activate
        maps = []
        for weights, b, names in zip(filters, biases, labels):
            rows: list[list[Value]] = [[] for _ in range(out_h)]
            for (i, _j, pick_weights, pick_pixels), (label, activated) in zip(positions, names):
                out = dot(pick_weights(weights), pick_pixels(pixels), b)
                out.label = label
                if activate is not None:
                    out = activate(out)
                    out.label = activated
                rows[i].append(out)
            maps.append(rows)
        return maps

    def extra_repr(self) -> str:
        text = (
            f"{self.in_channels}, {self.out_channels}, kernel_size={self.kernel_size}, "
            f"stride={self.stride}, padding={self.padding}"
        )
        if not hasattr(self, "bias"):
            text += ", bias=False"
        if self.activation != "linear":
            text += f", activation={self.activation!r}"
        return text
