"""Recurrent cells: `RNN`, `GRU` and `LSTM`, run over a sequence one step at a time.

`outputs, state = cell(sequence, state=None)`: `sequence` is a list of T input vectors
(each `input_size` numbers or Values), `outputs` the T hidden vectors, `state` the last
hidden vector `h` (RNN, GRU) or the pair `(h, c)` (LSTM). With no `state`, h (and c)
start at zero. Unrolled, the loop is one graph: backward() through it is backpropagation
through time, and every hidden Value keeps its gradient for `gradient_norms`.

Layouts are PyTorch's: `weight_ih[gates * hidden][input]`, `weight_hh[gates * hidden][hidden]`,
`bias_ih` and `bias_hh` `[gates * hidden]`, the gates stacked in the order r, z, n (GRU) and
i, f, g, o (LSTM); all drawn from U(-1/sqrt(hidden), 1/sqrt(hidden)). Nodes are labelled by
step and gate: `lstm.t4.f[2]` is unit 2 of the forget gate at step 4 (0-based), inside
clusters `lstm` > `lstm.t4` when drawn. A cell that is not part of a bigger model uses its
class name (`rnn`, `gru`, `lstm`) as the path.
"""

from __future__ import annotations

import math
import random
from collections.abc import Sequence
from typing import Any, ClassVar

from autograd import Value, dot
from nn.module import Input, Module, _check_count, as_inputs

__all__ = ["GRU", "LSTM", "RNN", "gradient_norms"]

Vector = list[Value]


class _Recurrent(Module):
    """What the three cells share: the four weight tables, input checks, the loop over steps."""

    _expand_in_repr = False
    gate_names: ClassVar[tuple[str, ...]] = ()

    def __init__(self, input_size: int, hidden_size: int, seed: int | None) -> None:
        self.input_size = _check_count(input_size, "input_size")
        self.hidden_size = _check_count(hidden_size, "hidden_size")
        rows = len(self.gate_names) * self.hidden_size
        bound = 1.0 / math.sqrt(self.hidden_size)
        rng = random.Random(seed)

        def table(n_rows: int, n_cols: int) -> list[list[Value]]:
            return [
                [Value(rng.uniform(-bound, bound)) for _ in range(n_cols)] for _ in range(n_rows)
            ]

        self.weight_ih = table(rows, self.input_size)
        self.weight_hh = table(rows, self.hidden_size)
        self.bias_ih = table(1, rows)[0]
        self.bias_hh = table(1, rows)[0]
        self._labels: dict[tuple[int, str], list[str]] = {}

    def _path_changed(self) -> None:
        self._labels = {}

    def _label(self, step: int, name: str) -> list[str]:
        """`<path>.t<step>.<name>[<unit>]` for every unit, made once per (step, name)."""
        key = (step, name)
        labels = self._labels.get(key)
        if labels is None:
            path = self._path or type(self).__name__.lower()
            labels = [f"{path}.t{step}.{name}[{j}]" for j in range(self.hidden_size)]
            self._labels[key] = labels
        return labels

    def _gate(
        self, gate: int, x: Vector, h: Vector, step: int, activation: str, one: Value
    ) -> Vector:
        """activation(W_ih x + b_ih + W_hh h + b_hh) for one gate: one `dot` node per unit
        (b_hh rides along as a weight on the constant 1), then the activation."""
        name = self.gate_names[gate]
        sums, outs = self._label(step, f"{name}_sum"), self._label(step, name)
        result = []
        for j in range(self.hidden_size):
            row = gate * self.hidden_size + j
            pre = dot(
                [*self.weight_ih[row], *self.weight_hh[row], self.bias_hh[row]],
                [*x, *h, one],
                self.bias_ih[row],
            )
            pre.label = sums[j]
            out = (
                pre.tanh()
                if activation == "tanh"
                else pre.relu()
                if activation == "relu"
                else pre.sigmoid()
            )
            out.label = outs[j]
            result.append(out)
        return result

    def _sequence(self, sequence: Sequence[Sequence[Input]]) -> list[Vector]:
        if isinstance(sequence, (str, bytes, Value)) or not isinstance(sequence, Sequence):
            raise TypeError(
                f"{self._describe()} expects a sequence: a list of input vectors, "
                f"got {type(sequence).__name__}"
            )
        if not sequence:
            raise ValueError(f"{self._describe()} expects at least one step, got an empty sequence")
        steps = []
        for t, x in enumerate(sequence):
            try:
                steps.append(as_inputs(x, self.input_size, self))
            except (TypeError, ValueError) as error:
                raise type(error)(f"step {t} of the sequence: {error} (input_size)") from None
        return steps

    def _vector(self, v: object, what: str) -> Vector:
        try:
            return as_inputs(v, self.hidden_size, self)  # type: ignore[arg-type]
        except (TypeError, ValueError) as error:
            raise type(error)(f"{what}: {error} (hidden_size)") from None

    def _zeros(self) -> Vector:
        return [Value(0.0) for _ in range(self.hidden_size)]

    def extra_repr(self) -> str:
        return f"{self.input_size}, {self.hidden_size}"


class RNN(_Recurrent):
    """The Elman cell: h_t = act(W_ih x_t + b_ih + W_hh h_(t-1) + b_hh), act tanh or relu.

    Its gradient through time is a product of one Jacobian per step, which shrinks (or
    grows) geometrically: the vanishing gradient that GRU and LSTM were made to avoid.
    """

    gate_names = ("h",)

    def __init__(
        self,
        input_size: int,
        hidden_size: int,
        nonlinearity: str = "tanh",
        *,
        seed: int | None = None,
    ) -> None:
        if nonlinearity not in ("tanh", "relu"):
            raise ValueError(f"nonlinearity must be 'tanh' or 'relu', got {nonlinearity!r}")
        self.nonlinearity = nonlinearity
        super().__init__(input_size, hidden_size, seed)

    def __call__(
        self, sequence: Sequence[Sequence[Input]], state: Sequence[Input] | None = None
    ) -> tuple[list[Vector], Vector]:
        """(the hidden vector after each step, the last one)."""
        steps = self._sequence(sequence)
        h = self._zeros() if state is None else self._vector(state, "state")
        one = Value(1.0)
        outputs = []
        for t, x in enumerate(steps):
            h = self._gate(0, x, h, t, self.nonlinearity, one)
            outputs.append(h)
        return outputs, h

    def extra_repr(self) -> str:
        return f"{self.input_size}, {self.hidden_size}, nonlinearity={self.nonlinearity!r}"


class GRU(_Recurrent):
    """Gated recurrent unit. r (reset) and z (update) are sigmoid gates; the candidate
    n = tanh(W_in x + b_in + r * (W_hn h + b_hn)); then h_t = (1 - z) * n + z * h_(t-1).
    Where z is near 1 the old state passes through untouched, and so does its gradient.
    """

    gate_names = ("r", "z", "n")

    def __init__(self, input_size: int, hidden_size: int, *, seed: int | None = None) -> None:
        super().__init__(input_size, hidden_size, seed)

    def __call__(
        self, sequence: Sequence[Sequence[Input]], state: Sequence[Input] | None = None
    ) -> tuple[list[Vector], Vector]:
        """(the hidden vector after each step, the last one)."""
        steps = self._sequence(sequence)
        h = self._zeros() if state is None else self._vector(state, "state")
        one = Value(1.0)
        size = self.hidden_size
        outputs = []
        for t, x in enumerate(steps):
            r = self._gate(0, x, h, t, "sigmoid", one)
            z = self._gate(1, x, h, t, "sigmoid", one)
            hn_labels, n_sums, n_labels = (
                self._label(t, "hn"),
                self._label(t, "n_sum"),
                self._label(t, "n"),
            )
            h_labels, keep_labels = self._label(t, "h"), self._label(t, "1-z")
            new_h = []
            for j in range(size):
                row = 2 * size + j
                hn = dot(self.weight_hh[row], h, self.bias_hh[row])
                hn.label = hn_labels[j]
                pre = dot([*self.weight_ih[row], r[j]], [*x, hn], self.bias_ih[row])
                pre.label = n_sums[j]
                n = pre.tanh()
                n.label = n_labels[j]
                keep_new = 1.0 - z[j]
                keep_new.label = keep_labels[j]
                out = dot([keep_new, z[j]], [n, h[j]])
                out.label = h_labels[j]
                new_h.append(out)
            h = new_h
            outputs.append(h)
        return outputs, h


class LSTM(_Recurrent):
    """Long short-term memory. Gates i (input), f (forget), o (output) are sigmoids and
    g = tanh(...) the candidate; c_t = f * c_(t-1) + i * g and h_t = o * tanh(c_t). The cell
    c is a sum, not a squashed product, so with f near 1 its gradient flows back many steps.
    `state` is the pair (h, c).
    """

    gate_names = ("i", "f", "g", "o")

    def __init__(self, input_size: int, hidden_size: int, *, seed: int | None = None) -> None:
        super().__init__(input_size, hidden_size, seed)

    def __call__(
        self,
        sequence: Sequence[Sequence[Input]],
        state: tuple[Sequence[Input], Sequence[Input]] | None = None,
    ) -> tuple[list[Vector], tuple[Vector, Vector]]:
        """(the hidden vector after each step, (the last h, the last c))."""
        steps = self._sequence(sequence)
        if state is None:
            h, c = self._zeros(), self._zeros()
        else:
            if not (
                isinstance(state, (tuple, list))
                and len(state) == 2
                and all(isinstance(part, (tuple, list)) for part in state)
            ):
                raise TypeError(
                    f"{self._describe()} expects state as a pair (h, c), got {_kind(state)}"
                )
            h, c = self._vector(state[0], "state h"), self._vector(state[1], "state c")
        one = Value(1.0)
        outputs = []
        for t, x in enumerate(steps):
            i = self._gate(0, x, h, t, "sigmoid", one)
            f = self._gate(1, x, h, t, "sigmoid", one)
            g = self._gate(2, x, h, t, "tanh", one)
            o = self._gate(3, x, h, t, "sigmoid", one)
            c_labels, tanh_labels, h_labels = (
                self._label(t, "c"),
                self._label(t, "tanh_c"),
                self._label(t, "h"),
            )
            new_c, new_h = [], []
            for j in range(self.hidden_size):
                cell = dot([f[j], i[j]], [c[j], g[j]])
                cell.label = c_labels[j]
                squashed = cell.tanh()
                squashed.label = tanh_labels[j]
                out = o[j] * squashed
                out.label = h_labels[j]
                new_c.append(cell)
                new_h.append(out)
            h, c = new_h, new_c
            outputs.append(h)
        return outputs, (h, c)


def _kind(x: Any) -> str:
    return (
        f"{type(x).__name__} of length {len(x)}"
        if isinstance(x, (tuple, list))
        else type(x).__name__
    )


def gradient_norms(outputs: Sequence[Sequence[Value]]) -> list[float]:
    """The size (Euclidean norm) of d(loss)/d(h_t) for each step t, read after backward().

    Pass the `outputs` of a cell; the list is what `nn.plot.gradient_through_time` draws.
    """
    return [math.sqrt(sum(v.grad * v.grad for v in h)) for h in outputs]
