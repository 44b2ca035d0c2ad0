"""`Embedding`: a table of learned vectors, one row per token id."""

from __future__ import annotations

import random

from autograd import Value
from nn.module import Module, _check_count

__all__ = ["Embedding"]


class Embedding(Module):
    """`weight[index][d]`: `num_embeddings` rows of `embedding_dim` parameters, drawn N(0, 1)
    as in PyTorch. `emb(index)` returns row `index` itself (the parameter Values, no new
    node), so a token's gradient lands straight on the row it looked up.
    """

    _expand_in_repr = False

    def __init__(self, num_embeddings: int, embedding_dim: int, seed: int | None = None) -> None:
        self.num_embeddings = _check_count(num_embeddings, "num_embeddings")
        self.embedding_dim = _check_count(embedding_dim, "embedding_dim")
        rng = random.Random(seed)
        self.weight = [
            [Value(rng.gauss(0.0, 1.0)) for _ in range(self.embedding_dim)]
            for _ in range(self.num_embeddings)
        ]

    def __call__(self, index: int) -> list[Value]:
        """Row `index` of the table: a list of `embedding_dim` Values."""
        if isinstance(index, bool) or not isinstance(index, int):
            raise TypeError(
                f"{self._describe()} takes one int index, got {type(index).__name__}: {index!r}"
                " (for a sequence of ids, look each one up: [emb(i) for i in ids])"
            )
        if not 0 <= index < self.num_embeddings:
            raise IndexError(
                f"{self._describe()}: index {index} is out of range 0..{self.num_embeddings - 1}"
                f" ({self.num_embeddings} embeddings)"
            )
        return list(self.weight[index])

    def extra_repr(self) -> str:
        return f"{self.num_embeddings}, {self.embedding_dim}"
