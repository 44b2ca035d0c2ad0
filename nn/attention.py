"""`MultiHeadAttention`: each position of a sequence reads a weighted mix of the others.

For one head of size d = embed_dim / num_heads, position t scores every position s it may
see with q_t · k_s / sqrt(d), turns the scores into weights with a softmax, and outputs
the weighted sum of the values v_s. The heads' outputs are concatenated and projected.
`causal=True` lets position t see only s <= t (a language model must not read ahead).
Every score, weight and output is a node: `blocks.0.attn.head1.score[3][1]` is how much
position 3 attends to position 1 before the softmax, `...head1.att[3][1]` after it.
"""

from __future__ import annotations

import math
import random
from collections.abc import Sequence

from autograd import Value, dot
from nn.functional import softmax
from nn.linear import Linear
from nn.module import Input, Module, _check_count, _join, as_inputs

__all__ = ["MultiHeadAttention"]


class MultiHeadAttention(Module):
    """Attention over a sequence of T vectors of `embed_dim`, returning T vectors.

    `q_proj`, `k_proj`, `v_proj` and `out_proj` are `Linear(embed_dim, embed_dim)` (with
    biases unless `bias=False`); head h uses features h*d .. (h+1)*d - 1 of q, k and v, as
    PyTorch does. The softmax weights of the last call are kept as floats in
    `last_weights[head][t][s]` (0 where `causal` hides s from t), for `nn.plot.attention`.
    """

    def __init__(
        self,
        embed_dim: int,
        num_heads: int,
        causal: bool = False,
        seed: int | None = None,
        *,
        bias: bool = True,
    ) -> None:
        self.embed_dim = _check_count(embed_dim, "embed_dim")
        self.num_heads = _check_count(num_heads, "num_heads")
        if self.embed_dim % self.num_heads:
            raise ValueError(
                f"embed_dim ({embed_dim}) must be divisible by num_heads ({num_heads})"
            )
        self.head_dim = self.embed_dim // self.num_heads
        self.causal = bool(causal)
        rng = random.Random(seed)
        seeds = [rng.randrange(2**32) for _ in range(4)]
        self.q_proj = Linear(embed_dim, embed_dim, bias=bias, seed=seeds[0])
        self.k_proj = Linear(embed_dim, embed_dim, bias=bias, seed=seeds[1])
        self.v_proj = Linear(embed_dim, embed_dim, bias=bias, seed=seeds[2])
        self.out_proj = Linear(embed_dim, embed_dim, bias=bias, seed=seeds[3])
        self.last_weights: list[list[list[float]]] = []
        self._path_changed()

    def _path_changed(self) -> None:
        self._heads = [_join(self._path, f"head{h}") for h in range(self.num_heads)]
        self._label_cache: dict[tuple[int, str, int], list[str]] = {}

    def _labels(self, head: int, name: str, t: int, n: int) -> list[str]:
        """`<path>.head<h>.<name>[t][i]` for i < n, made once per (head, name, t)."""
        key = (head, name, t)
        labels = self._label_cache.get(key)
        if labels is None or len(labels) < n:
            labels = [f"{self._heads[head]}.{name}[{t}][{i}]" for i in range(n)]
            self._label_cache[key] = labels
        return labels

    def __call__(self, x: Sequence[Sequence[Input]]) -> list[list[Value]]:
        """The T output vectors for a sequence of T input vectors."""
        if isinstance(x, (str, bytes, Value)) or not isinstance(x, Sequence) or not x:
            raise ValueError(
                f"{self._describe()} expects a non-empty list of vectors of "
                f"{self.embed_dim}, got {x!r:.60}"
            )
        steps = []
        for t, vector in enumerate(x):
            try:
                steps.append(as_inputs(vector, self.embed_dim, self))
            except (TypeError, ValueError) as error:
                raise type(error)(f"position {t} of the sequence: {error} (embed_dim)") from None
        return self._forward(steps)

    def _forward(self, xs: list[list[Value]]) -> list[list[Value]]:
        length, d = len(xs), self.head_dim
        scale = 1.0 / math.sqrt(d)
        qs = [self.q_proj(v) for v in xs]
        ks = [self.k_proj(v) for v in xs]
        vs = [self.v_proj(v) for v in xs]
        mixed: list[list[Value]] = [[] for _ in range(length)]
        self.last_weights = []
        for head in range(self.num_heads):
            lo, hi = head * d, (head + 1) * d
            head_weights = []
            for t in range(length):
                visible = t + 1 if self.causal else length
                query = [q * scale for q in qs[t][lo:hi]]
                score_labels = self._labels(head, "score", t, visible)
                scores = []
                for s in range(visible):
                    score = dot(query, ks[s][lo:hi])
                    score.label = score_labels[s]
                    scores.append(score)
                weights = softmax(scores)
                for weight, label in zip(weights, self._labels(head, "att", t, visible)):
                    weight.label = label
                head_weights.append([w.data for w in weights] + [0.0] * (length - visible))
                out_labels = self._labels(head, "out", t, d)
                for j in range(d):
                    out = dot(weights, [vs[s][lo + j] for s in range(visible)])
                    out.label = out_labels[j]
                    mixed[t].append(out)
            self.last_weights.append(head_weights)
        return [self.out_proj(m) for m in mixed]

    def extra_repr(self) -> str:
        return f"embed_dim={self.embed_dim}, num_heads={self.num_heads}, causal={self.causal}"
