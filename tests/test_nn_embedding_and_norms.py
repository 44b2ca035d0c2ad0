"""Embedding, LayerNorm and RMSNorm against PyTorch (float64) with the same weights."""

from __future__ import annotations

import random
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from autograd import Value, sum_values
from autograd.testing import gradcheck
from nn import Embedding, LayerNorm, RMSNorm

rng = random.Random(0)


def weighted(outs: list[Value], weights: list[float]) -> Value:
    return sum_values([w * o for w, o in zip(weights, outs)])


def test_embedding_matches_torch(torch: ModuleType) -> None:
    emb = Embedding(6, 3, seed=0)
    ids = [4, 1, 4, 0]
    weights = [[rng.uniform(-1, 1) for _ in range(3)] for _ in ids]
    outs = [emb(i) for i in ids]
    sum_values([weighted(o, w) for o, w in zip(outs, weights)]).backward()

    theirs = torch.nn.Embedding(6, 3)
    with torch.no_grad():
        theirs.weight.copy_(torch.tensor([[v.data for v in row] for row in emb.weight]))
    out = theirs(torch.tensor(ids))
    (out * torch.tensor(weights)).sum().backward()
    assert [v.data for o in outs for v in o] == out.flatten().tolist()
    assert [p.grad for p in emb.parameters()] == pytest.approx(
        theirs.weight.grad.flatten().tolist(), rel=1e-12, abs=1e-15
    )


def test_embedding_rows_are_the_parameters_themselves() -> None:
    emb = Embedding(4, 2, seed=1)
    row = emb(3)
    assert row[0] is emb.weight[3][0] and row[1].label == "weight.3.1"
    assert len(emb.parameters()) == 8


@pytest.mark.parametrize("index", [6, -1, 100])
def test_embedding_index_out_of_range_names_the_range(index: int) -> None:
    with pytest.raises(IndexError, match=r"index -?\d+ is out of range 0\.\.5 \(6 embeddings\)"):
        Embedding(6, 2)(index)


@pytest.mark.parametrize("index", [1.0, True, [1, 2], "a"])
def test_embedding_index_must_be_an_int(index: Any) -> None:
    with pytest.raises(TypeError, match="takes one int index"):
        Embedding(6, 2)(index)


def random_affine(norm: LayerNorm | RMSNorm) -> None:
    for p in norm.parameters():
        p.data = rng.uniform(-2, 2)


@pytest.mark.parametrize("scale", [1.0, 100.0])
def test_layer_norm_matches_torch(torch: ModuleType, scale: float) -> None:
    dim = 5
    norm = LayerNorm(dim, eps=1e-5)
    random_affine(norm)
    numbers = [rng.uniform(-scale, scale) for _ in range(dim)]
    weights = [rng.uniform(-1, 1) for _ in range(dim)]
    xs = [Value(x) for x in numbers]
    outs = norm(xs)
    weighted(outs, weights).backward()

    theirs = torch.nn.LayerNorm(dim, eps=1e-5)
    with torch.no_grad():
        theirs.weight.copy_(torch.tensor([w.data for w in norm.weight]))
        theirs.bias.copy_(torch.tensor([b.data for b in norm.bias]))
    x = torch.tensor(numbers, requires_grad=True)
    out = theirs(x)
    (out * torch.tensor(weights)).sum().backward()
    close = {"rel": 1e-9, "abs": 1e-12}
    assert [o.data for o in outs] == pytest.approx(out.tolist(), **close)
    assert [v.grad for v in xs] == pytest.approx(x.grad.tolist(), **close)
    assert [w.grad for w in norm.weight] == pytest.approx(theirs.weight.grad.tolist(), **close)
    assert [b.grad for b in norm.bias] == pytest.approx(theirs.bias.grad.tolist(), **close)


@pytest.mark.parametrize("scale", [1.0, 100.0])
def test_rms_norm_matches_torch(torch: ModuleType, scale: float) -> None:
    dim = 6
    norm = RMSNorm(dim, eps=1e-5)
    random_affine(norm)
    numbers = [rng.uniform(-scale, scale) for _ in range(dim)]
    weights = [rng.uniform(-1, 1) for _ in range(dim)]
    xs = [Value(x) for x in numbers]
    outs = norm(xs)
    weighted(outs, weights).backward()

    theirs = torch.nn.RMSNorm(dim, eps=1e-5)
    with torch.no_grad():
        theirs.weight.copy_(torch.tensor([w.data for w in norm.weight]))
    x = torch.tensor(numbers, requires_grad=True)
    out = theirs(x)
    (out * torch.tensor(weights)).sum().backward()
    close = {"rel": 1e-9, "abs": 1e-12}
    assert [o.data for o in outs] == pytest.approx(out.tolist(), **close)
    assert [v.grad for v in xs] == pytest.approx(x.grad.tolist(), **close)
    assert [w.grad for w in norm.weight] == pytest.approx(theirs.weight.grad.tolist(), **close)


@pytest.mark.parametrize("make", [LayerNorm, RMSNorm])
def test_norm_gradcheck(make: Any) -> None:
    norm = make(3)
    random_affine(norm)
    assert gradcheck(lambda *xs: weighted(norm(list(xs)), [0.7, -1.1, 0.4]), [0.5, -1.5, 2.0])


@pytest.mark.parametrize("make", [LayerNorm, RMSNorm])
def test_norm_output_statistics(make: Any) -> None:
    outs = [o.data for o in make(4)([3.0, -1.0, 7.0, 0.5])]
    if make is LayerNorm:
        assert sum(outs) == pytest.approx(0.0, abs=1e-12)
    assert sum(o * o for o in outs) / 4 == pytest.approx(1.0, rel=1e-4)


@pytest.mark.parametrize(
    "make", [lambda: Embedding(5, 3, seed=2), lambda: LayerNorm(3), lambda: RMSNorm(3)]
)
def test_save_and_load_round_trip(tmp_path: Path, make: Any) -> None:
    module, other = make(), make()
    for p in module.parameters():
        p.data = rng.uniform(-1, 1)
    module.save(tmp_path / "m.json")
    other.load(tmp_path / "m.json")
    assert other.state_dict() == module.state_dict()


@pytest.mark.parametrize(
    ("call", "error", "match"),
    [
        (lambda: LayerNorm(3)([1.0, 2.0]), ValueError, "LayerNorm expects 3 inputs, got 2"),
        (lambda: RMSNorm(2)(Value(1.0)), TypeError, "RMSNorm expects a list of 2"),
        (lambda: LayerNorm(3, eps=0.0), ValueError, "eps must be a positive number"),
        (lambda: RMSNorm(0), ValueError, "dim must be a positive int"),
        (lambda: Embedding(0, 3), ValueError, "num_embeddings"),
    ],
)
def test_bad_input_is_a_clear_error(call: Any, error: type, match: str) -> None:
    with pytest.raises(error, match=match):
        call()
