"""`Flatten` and `Unflatten`: between images `x[c][i][j]` and flat vectors, for `Sequential`.

A CNN's convolutions and pools work on images, its `Linear` head on a vector; `Flatten()`
lists the entries row by row (`c`, then `i`, then `j`, as `torch.flatten` does) and
`Unflatten((1, 8, 8))` turns a dataset's flat rows back into images. Neither makes nodes:
they rearrange the same Values (or numbers).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

from autograd import Value
from nn.images import shape_of
from nn.module import Module, _check_count

__all__ = ["Flatten", "Unflatten"]


class Flatten(Module):
    """A nested list of any depth (an image `x[c][i][j]`) as one flat list, in row-major order."""

    def __call__(self, x: Any) -> list[Any]:
        """The entries of `x`, depth first: x[0][0][0], x[0][0][1], ..."""
        if isinstance(x, (Value, int, float)):
            return [x]
        if isinstance(x, (str, bytes)) or not isinstance(x, Sequence):
            raise TypeError(f"Flatten expects a nested list, got {type(x).__name__}")
        flat: list[Any] = []
        stack: list[Any] = [x]
        while stack:
            item = stack.pop()
            if isinstance(item, Sequence) and not isinstance(item, (str, bytes)):
                stack.extend(reversed(item))
            else:
                flat.append(item)
        return flat


class Unflatten(Module):
    """A flat list of prod(`shape`) entries as a nested list of that shape, row-major."""

    def __init__(self, shape: Sequence[int]) -> None:
        if isinstance(shape, (str, bytes)) or not isinstance(shape, Sequence) or not shape:
            raise ValueError(f"Unflatten needs a shape such as (1, 8, 8), got {shape!r}")
        self.shape = tuple(_check_count(n, "each size in the shape") for n in shape)

    def __call__(self, x: Sequence[Any]) -> list[Any]:
        """`x` (prod(shape) numbers or Values) as nested lists `out[a][b]...`."""
        size = math.prod(self.shape)
        if isinstance(x, (str, bytes, Value)) or not isinstance(x, Sequence) or len(x) != size:
            raise ValueError(
                f"Unflatten{self.shape} expects a flat list of {size} entries, got {shape_of(x)}"
            )
        nested: list[Any] = list(x)
        for n in reversed(self.shape[1:]):
            nested = [nested[k : k + n] for k in range(0, len(nested), n)]
        return nested

    def extra_repr(self) -> str:
        return f"shape={self.shape}"
