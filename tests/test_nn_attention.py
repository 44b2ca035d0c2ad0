"""MultiHeadAttention against PyTorch's scaled_dot_product_attention with the same
projections (float64), and the GPT built from it: shapes, labels, generation, errors."""

from __future__ import annotations

import random
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from autograd import Value, sum_values, topological_order
from autograd.testing import gradcheck
from nn import GPT, Linear, MultiHeadAttention, losses

EMBED, HEADS, STEPS = 6, 2, 4


def torch_linear(torch: ModuleType, linear: Linear) -> Any:
    has_bias = hasattr(linear, "bias")
    theirs = torch.nn.Linear(linear.in_features, linear.out_features, bias=has_bias)
    with torch.no_grad():
        theirs.weight.copy_(torch.tensor([[w.data for w in row] for row in linear.weight]))
        if has_bias:
            theirs.bias.copy_(torch.tensor([b.data for b in linear.bias]))
    return theirs


@pytest.mark.parametrize("bias", [True, False])
@pytest.mark.parametrize("causal", [False, True])
def test_matches_scaled_dot_product_attention(torch: ModuleType, causal: bool, bias: bool) -> None:
    rng = random.Random(int(causal) + 2 * int(bias))
    attn = MultiHeadAttention(EMBED, HEADS, causal=causal, seed=rng.randrange(100), bias=bias)
    for p in attn.parameters():  # biases start at 0: give them numbers worth checking
        if p.data == 0.0:
            p.data = rng.uniform(-0.5, 0.5)
    xs = [[rng.uniform(-1.5, 1.5) for _ in range(EMBED)] for _ in range(STEPS)]
    out_weights = [[rng.uniform(-1, 1) for _ in range(EMBED)] for _ in range(STEPS)]
    x_values = [[Value(v) for v in row] for row in xs]
    outs = attn(x_values)
    sum_values([w * o for ws, os in zip(out_weights, outs) for w, o in zip(ws, os)]).backward()

    projections = {
        name: torch_linear(torch, getattr(attn, name))
        for name in ("q_proj", "k_proj", "v_proj", "out_proj")
    }
    x = torch.tensor(xs, requires_grad=True)
    d = EMBED // HEADS

    def heads(t: Any) -> Any:  # (T, E) -> (H, T, d)
        return t.reshape(STEPS, HEADS, d).transpose(0, 1)

    q, k, v = (heads(projections[n](x)) for n in ("q_proj", "k_proj", "v_proj"))
    mixed = torch.nn.functional.scaled_dot_product_attention(q, k, v, is_causal=causal)
    out = projections["out_proj"](mixed.transpose(0, 1).reshape(STEPS, EMBED))
    (out * torch.tensor(out_weights)).sum().backward()

    close = {"rel": 1e-9, "abs": 1e-12}
    assert [v.data for o in outs for v in o] == pytest.approx(out.flatten().tolist(), **close)
    assert [v.grad for row in x_values for v in row] == pytest.approx(
        x.grad.flatten().tolist(), **close
    )
    for name, theirs in projections.items():
        ours = getattr(attn, name)
        assert [w.grad for row in ours.weight for w in row] == pytest.approx(
            theirs.weight.grad.flatten().tolist(), **close
        ), name
        if bias:
            assert [b.grad for b in ours.bias] == pytest.approx(
                theirs.bias.grad.tolist(), **close
            ), name

    scores = q @ k.transpose(1, 2) / d**0.5
    if causal:
        scores = scores.masked_fill(torch.ones(STEPS, STEPS).triu(1).bool(), float("-inf"))
    expected = torch.softmax(scores, -1)
    assert [w for head in attn.last_weights for row in head for w in row] == pytest.approx(
        expected.flatten().tolist(), **close
    )


def test_gradcheck_small_attention() -> None:
    attn = MultiHeadAttention(2, 1, causal=True, seed=4)

    def f(*xs: Value) -> Value:
        outs = attn([[xs[0], xs[1]], [xs[2], xs[3]], [xs[4], xs[5]]])
        return outs[2][0] * 0.8 - outs[1][1] + outs[0][0]

    assert gradcheck(f, [0.4, -0.3, 1.2, 0.5, -0.9, 0.1])


def test_causal_weights_hide_the_future_and_rows_sum_to_one() -> None:
    attn = MultiHeadAttention(4, 2, causal=True, seed=1)
    attn([[0.1 * (t + i) for i in range(4)] for t in range(3)])
    assert len(attn.last_weights) == 2 and len(attn.last_weights[0]) == 3
    for head in attn.last_weights:
        for t, row in enumerate(head):
            assert sum(row) == pytest.approx(1.0)
            assert all(w == 0.0 for w in row[t + 1 :])
            assert all(w > 0.0 for w in row[: t + 1])


def test_attention_node_labels() -> None:
    model = GPT(5, 4, embed_dim=4, num_heads=2, seed=0)
    logits = model([0, 1, 2])
    seen = {node.label for node in topological_order(sum_values([z for r in logits for z in r]))}
    assert "blocks.0.attn.head1.score[2][1]" in seen
    assert "blocks.0.attn.head0.att[1][0]" in seen
    assert "blocks.0.attn.head1.score[1][2]" not in seen  # causal: 1 never sees 2
    assert "blocks.0.attn.q_proj.weight.3.1" in seen
    assert "token_embedding.weight.2.0" in seen


def test_gpt_shapes_parameters_and_training_step() -> None:
    model = GPT(7, 5, embed_dim=8, num_heads=2, num_layers=2, seed=0)
    logits = model([0, 3, 4, 1])
    assert len(logits) == 4 and all(len(row) == 7 for row in logits)
    names = dict(model.named_parameters())
    assert "blocks.1.attn.out_proj.weight.7.7" in names
    assert "position_embedding.weight.4.7" in names
    assert "head.bias.6" in names
    loss = losses.cross_entropy(logits, [3, 4, 1, 0])
    loss.backward()
    assert all(p.grad != 0.0 for p in model.token_embedding.weight[3])
    assert all(p.grad == 0.0 for p in model.token_embedding.weight[2])  # never looked up


def test_gpt_positions_do_not_see_the_future() -> None:
    model = GPT(6, 4, embed_dim=4, num_heads=2, seed=3)
    short = model([1, 2])
    longer = model([1, 2, 5, 3])
    for a, b in zip(short, longer):
        assert [z.data for z in a] == pytest.approx([z.data for z in b], rel=1e-12)


def test_gpt_generate_is_seeded_and_stops() -> None:
    model = GPT(6, 4, embed_dim=4, num_heads=2, seed=3)
    first = model.generate([0], 10, seed=7)
    assert first == model.generate([0], 10, seed=7)
    assert len(first) == 11 and first[0] == 0
    assert all(0 <= t < 6 for t in first)
    stopped = model.generate([0], 50, seed=1, stop=0)
    assert stopped[-1] == 0 or len(stopped) == 51
    assert 0 not in stopped[1:-1]
    greedy = model.generate([1, 2], 3, temperature=1e-3, seed=0)
    assert greedy == model.generate([1, 2], 3, temperature=1e-3, seed=99)


def test_gpt_save_and_load_round_trip(tmp_path: Path) -> None:
    model, other = (
        GPT(5, 3, embed_dim=4, num_heads=2, seed=0),
        GPT(5, 3, embed_dim=4, num_heads=2, seed=1),
    )
    model.save(tmp_path / "gpt.json")
    other.load(tmp_path / "gpt.json")
    assert other.state_dict() == model.state_dict()
    assert [z.data for z in other([1, 2])[-1]] == [z.data for z in model([1, 2])[-1]]


@pytest.mark.parametrize(
    ("call", "error", "match"),
    [
        (
            lambda: MultiHeadAttention(6, 4),
            ValueError,
            r"embed_dim \(6\) must be divisible by num_heads \(4\)",
        ),
        (lambda: MultiHeadAttention(4, 2)([]), ValueError, "non-empty list of vectors"),
        (
            lambda: MultiHeadAttention(4, 2)([[1.0] * 4, [1.0] * 3]),
            ValueError,
            "position 1 of the sequence: .*expects 4 inputs, got 3",
        ),
        (
            lambda: GPT(5, 3, embed_dim=4, num_heads=2)([0, 1, 2, 3]),
            ValueError,
            "1 to block_size=3 tokens, got 4",
        ),
        (lambda: GPT(5, 3, embed_dim=4, num_heads=2)([]), ValueError, "got 0"),
        (
            lambda: GPT(5, 3, embed_dim=4, num_heads=2)([0, 5]),
            ValueError,
            r"token 5 is not an id in range 0\.\.4",
        ),
        (lambda: GPT(5, 3, embed_dim=4, num_heads=2)("ab"), TypeError, "list of token ids"),
        (
            lambda: GPT(5, 3, embed_dim=4, num_heads=2).generate([0], 2, temperature=0.0),
            ValueError,
            "temperature must be > 0",
        ),
        (
            lambda: GPT(5, 3, embed_dim=4, num_heads=2).generate([0], -1),
            ValueError,
            "max_new_tokens",
        ),
        (lambda: GPT(5, 3, embed_dim=6, num_heads=4), ValueError, "divisible"),
    ],
)
def test_bad_input_is_a_clear_error(call: Any, error: type, match: str) -> None:
    with pytest.raises(error, match=match):
        call()
