"""`LayerNorm` and `RMSNorm`: rescale one vector so its size stays steady through deep stacks.

Both act on a single vector of `dim` entries (one token's features), as PyTorch's do on the
last dimension. LayerNorm centres and scales to variance 1 (the biased variance, as in
PyTorch); RMSNorm only divides by the root mean square, which is cheaper and what small
GPTs use. Each has a learned gain `weight` (starting at 1); LayerNorm also a `bias` (0).
"""

from __future__ import annotations

from collections.abc import Sequence

from autograd import Value, dot, sum_values
from nn.module import Input, Module, _check_count, _join, as_inputs

__all__ = ["LayerNorm", "RMSNorm"]


def _check_eps(eps: object) -> float:
    if isinstance(eps, bool) or not isinstance(eps, (int, float)) or not eps > 0.0:
        raise ValueError(f"eps must be a positive number, got {eps!r}")
    return float(eps)


class LayerNorm(Module):
    """(x - mean) / sqrt(var + eps) * weight + bias over the `dim` entries of x.

    Nodes are labelled `<path>.mean`, `<path>.var`, `<path>.rstd` (1 / sqrt(var + eps)) and
    `<path>.out[<i>]`.
    """

    _expand_in_repr = False

    def __init__(self, dim: int, eps: float = 1e-5) -> None:
        self.dim = _check_count(dim, "dim")
        self.eps = _check_eps(eps)
        self.weight = [Value(1.0) for _ in range(self.dim)]
        self.bias = [Value(0.0) for _ in range(self.dim)]
        self._path_changed()

    def _path_changed(self) -> None:
        self._labels = {name: _join(self._path, name) for name in ("mean", "var", "rstd")}
        self._out_labels = [_join(self._path, f"out[{i}]") for i in range(self.dim)]

    def __call__(self, x: Sequence[Input]) -> list[Value]:
        """The normalized vector, `dim` Values."""
        xs = as_inputs(x, self.dim, self)
        mean = sum_values(xs) / self.dim
        mean.label = self._labels["mean"]
        centred = [v - mean for v in xs]
        var = sum_values([c * c for c in centred]) / self.dim
        var.label = self._labels["var"]
        rstd = (var + self.eps) ** -0.5
        rstd.label = self._labels["rstd"]
        outs = []
        for c, w, b, label in zip(centred, self.weight, self.bias, self._out_labels):
            out = dot([w], [c * rstd], b)
            out.label = label
            outs.append(out)
        return outs

    def extra_repr(self) -> str:
        return f"{self.dim}, eps={self.eps:g}"


class RMSNorm(Module):
    """x / sqrt(mean(x²) + eps) * weight over the `dim` entries of x.

    Nodes are labelled `<path>.ms` (the mean square), `<path>.rrms` (1 / sqrt(ms + eps)) and
    `<path>.out[<i>]`.
    """

    _expand_in_repr = False

    def __init__(self, dim: int, eps: float = 1e-5) -> None:
        self.dim = _check_count(dim, "dim")
        self.eps = _check_eps(eps)
        self.weight = [Value(1.0) for _ in range(self.dim)]
        self._path_changed()

    def _path_changed(self) -> None:
        self._ms_label = _join(self._path, "ms")
        self._rrms_label = _join(self._path, "rrms")
        self._out_labels = [_join(self._path, f"out[{i}]") for i in range(self.dim)]

    def __call__(self, x: Sequence[Input]) -> list[Value]:
        """The normalized vector, `dim` Values."""
        xs = as_inputs(x, self.dim, self)
        ms = dot(xs, xs) / self.dim
        ms.label = self._ms_label
        rrms = (ms + self.eps) ** -0.5
        rrms.label = self._rrms_label
        outs = []
        for v, w, label in zip(xs, self.weight, self._out_labels):
            out = v * rrms * w
            out.label = label
            outs.append(out)
        return outs

    def extra_repr(self) -> str:
        return f"{self.dim}, eps={self.eps:g}"
