"""`GPT`: a tiny decoder-only transformer on scalar Values, the size of microgpt.

tokens -> token embedding + position embedding -> `num_layers` blocks -> RMSNorm -> linear
head -> one list of `vocab_size` logits per position. Each block is pre-norm:
x = x + attn(norm1(x)), then x = x + mlp(norm2(x)), with causal multi-head attention and an
MLP of width 4 * embed_dim with relu. Position t's logits predict token t + 1, so training
on a text is `cross_entropy` of every position's logits against the next token.
"""

from __future__ import annotations

import random
from collections.abc import Sequence

from autograd import Value, no_grad
from nn.attention import MultiHeadAttention
from nn.embedding import Embedding
from nn.functional import softmax
from nn.linear import Linear
from nn.module import Module, _check_count, _join
from nn.normalization import RMSNorm

__all__ = ["GPT", "Block"]

_EMBEDDING_STD = 0.1  # small embeddings at the start keep the first logits near uniform


class Block(Module):
    """One transformer block: x + attn(norm1(x)), then x + mlp(norm2(x)), per position."""

    _expand_in_repr = False

    def __init__(self, embed_dim: int, num_heads: int, seed: int | None = None) -> None:
        rng = random.Random(seed)
        self.norm1 = RMSNorm(embed_dim)
        self.attn = MultiHeadAttention(
            embed_dim, num_heads, causal=True, seed=rng.randrange(2**32), bias=False
        )
        self.norm2 = RMSNorm(embed_dim)
        self.fc = Linear(embed_dim, 4 * embed_dim, bias=False, init="he", seed=rng.randrange(2**32))
        self.proj = Linear(4 * embed_dim, embed_dim, bias=False, seed=rng.randrange(2**32))
        self._path_changed()

    def _path_changed(self) -> None:
        self._relu_label = _join(self._path, "relu")

    def __call__(self, xs: list[list[Value]]) -> list[list[Value]]:
        """The block's output for a sequence of vectors (one per position)."""
        attended = self.attn([self.norm1(x) for x in xs])
        xs = [[a + b for a, b in zip(x, y)] for x, y in zip(xs, attended)]
        out = []
        for x in xs:
            hidden = self.fc(self.norm2(x))
            for h in range(len(hidden)):
                hidden[h] = hidden[h].relu()
                hidden[h].label = self._relu_label
            out.append([a + b for a, b in zip(x, self.proj(hidden))])
        return out


class GPT(Module):
    """A character-level (or any-token) language model.

    `model(tokens)` takes 1 to `block_size` token ids and returns, per position, the
    `vocab_size` logits of the next token. `generate` samples a continuation. Parameters
    are named `token_embedding.weight.<id>.<d>`, `blocks.0.attn.q_proj.weight.<o>.<i>`, ...
    `GPT(27, 16)` (embed_dim 16, 4 heads, 1 layer) has about 4.2 thousand.
    """

    def __init__(
        self,
        vocab_size: int,
        block_size: int,
        embed_dim: int = 16,
        num_heads: int = 4,
        num_layers: int = 1,
        seed: int | None = None,
    ) -> None:
        self.vocab_size = _check_count(vocab_size, "vocab_size")
        self.block_size = _check_count(block_size, "block_size")
        self.embed_dim = _check_count(embed_dim, "embed_dim")
        self.num_heads = _check_count(num_heads, "num_heads")
        self.num_layers = _check_count(num_layers, "num_layers")
        if embed_dim % num_heads:
            raise ValueError(
                f"embed_dim ({embed_dim}) must be divisible by num_heads ({num_heads})"
            )
        rng = random.Random(seed)
        self.token_embedding = Embedding(vocab_size, embed_dim, seed=rng.randrange(2**32))
        self.position_embedding = Embedding(block_size, embed_dim, seed=rng.randrange(2**32))
        for table in (self.token_embedding.weight, self.position_embedding.weight):
            for row in table:
                for p in row:
                    p.data *= _EMBEDDING_STD
        self.blocks = [
            Block(embed_dim, num_heads, seed=rng.randrange(2**32)) for _ in range(num_layers)
        ]
        self.norm = RMSNorm(embed_dim)
        self.head = Linear(embed_dim, vocab_size, seed=rng.randrange(2**32))

    def _check_tokens(self, tokens: Sequence[int]) -> list[int]:
        if isinstance(tokens, (str, bytes)) or not isinstance(tokens, Sequence):
            raise TypeError(f"GPT takes a list of token ids, got {type(tokens).__name__}")
        if not 1 <= len(tokens) <= self.block_size:
            raise ValueError(
                f"GPT takes 1 to block_size={self.block_size} tokens, got {len(tokens)}"
            )
        for t in tokens:
            if isinstance(t, bool) or not isinstance(t, int) or not 0 <= t < self.vocab_size:
                raise ValueError(f"GPT: token {t!r} is not an id in range 0..{self.vocab_size - 1}")
        return list(tokens)

    def __call__(self, tokens: Sequence[int]) -> list[list[Value]]:
        """The next-token logits at every position: `len(tokens)` lists of `vocab_size`."""
        ids = self._check_tokens(tokens)
        xs = [
            [a + b for a, b in zip(self.token_embedding(token), self.position_embedding(t))]
            for t, token in enumerate(ids)
        ]
        for block in self.blocks:
            xs = block(xs)
        return [self.head(self.norm(x)) for x in xs]

    def generate(
        self,
        prefix: Sequence[int],
        max_new_tokens: int,
        temperature: float = 1.0,
        seed: int | None = None,
        *,
        stop: int | None = None,
    ) -> list[int]:
        """`prefix` followed by up to `max_new_tokens` sampled ids (no graph is recorded).

        Each new id is drawn from softmax(logits / temperature) of the last position, the
        model seeing at most the last `block_size` ids. Lower temperatures pick likelier
        tokens. Sampling ends early after drawing the id `stop` (kept in the result).
        """
        ids = self._check_tokens(prefix)
        if isinstance(max_new_tokens, bool) or not isinstance(max_new_tokens, int):
            raise TypeError(f"max_new_tokens must be an int, got {max_new_tokens!r}")
        if max_new_tokens < 0:
            raise ValueError(f"max_new_tokens must be >= 0, got {max_new_tokens}")
        if isinstance(temperature, bool) or not isinstance(temperature, (int, float)):
            raise TypeError(f"temperature must be a number, got {temperature!r}")
        if not temperature > 0.0:
            raise ValueError(f"temperature must be > 0, got {temperature!r}")
        rng = random.Random(seed)
        with no_grad():
            for _ in range(max_new_tokens):
                logits = self(ids[-self.block_size :])[-1]
                probabilities = softmax([z.data / temperature for z in logits])
                token = rng.choices(range(self.vocab_size), [p.data for p in probabilities])[0]
                ids.append(token)
                if token == stop:
                    break
        return ids

    def extra_repr(self) -> str:
        return (
            f"vocab_size={self.vocab_size}, block_size={self.block_size}, "
            f"embed_dim={self.embed_dim}, num_heads={self.num_heads}, "
            f"num_layers={self.num_layers}"
        )
