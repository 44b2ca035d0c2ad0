"""Images as nested lists, `x[c][i][j]` (channels x height x width): shape checks and windows.

Shared by the convolution and pooling layers. A window is described once per image size as
index lists into the flattened image (`c * H * W + i * W + j`), so a forward pass is list
indexing and `dot` calls, with no index arithmetic per output.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from autograd import Value

__all__ = ["Image", "Shape", "flat_values", "image_shape", "output_size", "shape_of"]

Image = Sequence[Sequence[Sequence[Any]]]
"""An image `x[c][i][j]` of numbers or Values."""

Shape = tuple[int, ...]


def shape_of(x: object) -> str:
    """A readable description of a nested list's shape, ragged or not: '(3, 8, 8)'."""
    if isinstance(x, (Value, int, float)):
        return "a single number" if not isinstance(x, Value) else "a single Value"
    if isinstance(x, (str, bytes)) or not isinstance(x, Sequence):
        return type(x).__name__
    sizes: list[str] = []
    level: list[Any] = [x]
    while level and all(
        isinstance(item, Sequence) and not isinstance(item, (str, bytes)) for item in level
    ):
        lengths = {len(item) for item in level}
        if len(lengths) > 1:
            sizes.append("/".join(str(n) for n in sorted(lengths)))  # ragged: every size seen
            break
        sizes.append(str(lengths.pop()))
        level = [inner for item in level for inner in item]
    return f"({', '.join(sizes)})"


def _is_list(x: object) -> bool:
    return isinstance(x, Sequence) and not isinstance(x, (str, bytes))


def image_shape(x: Any, channels: int | None, who: str) -> tuple[int, int, int]:
    """(C, H, W) of `x` if it is a C x H x W nested list of numbers or Values (C =
    `channels` unless that is None), else an error naming the expected and given shape."""
    wanted = "channels" if channels is None else str(channels)
    ok = _is_list(x) and len(x) > 0 and (channels is None or len(x) == channels)
    ok = ok and _is_list(x[0]) and len(x[0]) > 0 and _is_list(x[0][0]) and len(x[0][0]) > 0
    if ok:
        height, width = len(x[0]), len(x[0][0])
        ok = all(
            _is_list(channel)
            and len(channel) == height
            and all(_is_list(row) and len(row) == width for row in channel)
            for channel in x
        )
    if not ok:
        raise ValueError(
            f"{who} expects an image x[c][i][j] of shape ({wanted}, height, width), "
            f"got shape {shape_of(x)}"
        )
    return len(x), height, width


def flat_values(x: Image) -> tuple[list[Value], bool]:
    """The pixels of `x` in row-major order, numbers turned into constant leaves once each,
    and whether any pixel was given as a Value (one that may want a gradient)."""
    flat: list[Value] = []
    given = False
    for channel in x:
        for row in channel:
            for item in row:
                if isinstance(item, Value):
                    flat.append(item)
                    given = True
                elif isinstance(item, (int, float)) and not isinstance(item, bool):
                    flat.append(Value(item))
                else:
                    raise TypeError(
                        f"an image holds numbers or Values, got {type(item).__name__}: {item!r}"
                    )
    return flat, given


def output_size(size: int, kernel: int, stride: int, padding: int) -> int:
    """How many windows of `kernel` fit along `size` (plus padding on both sides)."""
    return (size + 2 * padding - kernel) // stride + 1
