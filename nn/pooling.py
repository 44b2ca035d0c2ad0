"""`MaxPool2d` and `AvgPool2d`: each output summarises one window of one channel.

Same layout as `Conv2d`: an image `x[c][i][j]` in, `out[c][i][j]` out, windows of
`kernel_size` moved by `stride` (by default the kernel size, so windows do not overlap).
Max pooling picks one input per window: its output *is* that input's node (no new node,
as PyTorch's gradient shows: only the largest entry, the first of equal ones, gets any).
Average pooling is one `dot` node per window with the constant weights 1 / (kh * kw),
labelled `<path>.out[c][i][j]`.
"""

from __future__ import annotations

from typing import Any

from autograd import Value, dot
from nn.conv import _pair
from nn.images import Image, flat_values, image_shape, output_size
from nn.module import Module

__all__ = ["AvgPool2d", "MaxPool2d"]


class _Pool2d(Module):
    """What both pools share: window sizes, the shape check and the window plan."""

    def __init__(
        self, kernel_size: int | tuple[int, int], stride: int | tuple[int, int] | None = None
    ) -> None:
        self.kernel_size = _pair(kernel_size, "kernel_size", 1)
        self.stride = self.kernel_size if stride is None else _pair(stride, "stride", 1)
        self._plans: dict[tuple[int, int, int], Any] = {}
        self._path_changed()

    def _path_changed(self) -> None:
        self._prefix = f"{self._path}." if self._path else ""
        self._plans = {}

    def output_shape(self, channels: int, height: int, width: int) -> tuple[int, int, int]:
        """(channels, H', W') for an input of that shape."""
        (kh, kw), (sh, sw) = self.kernel_size, self.stride
        return channels, output_size(height, kh, sh, 0), output_size(width, kw, sw, 0)

    def _windows(self, channels: int, height: int, width: int) -> Any:
        """Per channel and output row, the flat indices of each window (cached)."""
        key = (channels, height, width)
        if key in self._plans:
            return self._plans[key]
        _, out_h, out_w = self.output_shape(channels, height, width)
        (kh, kw), (sh, sw) = self.kernel_size, self.stride
        if out_h < 1 or out_w < 1:
            raise ValueError(
                f"{self._describe()}: a {kh}x{kw} window does not fit an image of {height}x{width}"
            )
        plan = [
            [
                [
                    [
                        (c * height + i * sh + ki) * width + j * sw + kj
                        for ki in range(kh)
                        for kj in range(kw)
                    ]
                    for j in range(out_w)
                ]
                for i in range(out_h)
            ]
            for c in range(channels)
        ]
        self._plans[key] = plan
        return plan

    def _prepare(self, x: Image) -> tuple[list[Value], Any]:
        channels, height, width = image_shape(x, None, self._describe())
        pixels, _ = flat_values(x)
        return pixels, self._windows(channels, height, width)

    def extra_repr(self) -> str:
        return f"kernel_size={self.kernel_size}, stride={self.stride}"


class MaxPool2d(_Pool2d):
    """The largest entry of each `kernel_size` window, per channel."""

    def __call__(self, x: Image) -> list[list[list[Value]]]:
        """`out[c][i][j]`: for each window, the input Value holding the largest data."""
        pixels, plan = self._prepare(x)
        out = []
        for channel in plan:
            rows = []
            for row in channel:
                picked = []
                for window in row:
                    best = pixels[window[0]]
                    for index in window[1:]:
                        # Values compared, not their .data: a tracer sees (and guards) this
                        if pixels[index] > best:
                            best = pixels[index]
                    picked.append(best)
                rows.append(picked)
            out.append(rows)
        return out


class AvgPool2d(_Pool2d):
    """The mean of each `kernel_size` window, per channel: one `dot` node per window."""

    def __call__(self, x: Image) -> list[list[list[Value]]]:
        """`out[c][i][j]`: the average of each window, labelled `<path>.out[c][i][j]`."""
        pixels, plan = self._prepare(x)
        kh, kw = self.kernel_size
        weights = [Value(1.0 / (kh * kw))] * (kh * kw)  # one shared constant leaf
        prefix = self._prefix
        out = []
        for c, channel in enumerate(plan):
            rows = []
            for i, row in enumerate(channel):
                means = []
                for j, window in enumerate(row):
                    mean = dot(weights, [pixels[k] for k in window])
                    mean.label = f"{prefix}out[{c}][{i}][{j}]"
                    means.append(mean)
                rows.append(means)
            out.append(rows)
        return out
