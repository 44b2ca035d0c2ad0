"""to_torch / from_torch: the same outputs in PyTorch (float64, to 1e-12) and back."""

from __future__ import annotations

import random
from typing import Any

import pytest

import nn
from nn import MLP, Dropout, Layer, Linear, Module, Neuron, Sequential, from_torch, to_torch

pytestmark = pytest.mark.torch

INPUTS = [[random.Random(i).uniform(-2.0, 2.0) for _ in range(3)] for i in range(6)]


def _outputs(model: Module) -> list[list[float]]:
    """glassgrad's outputs, one row per input, as the torch side lays them out."""
    rows = []
    for out in nn.predict(model, INPUTS):
        rows.append(out if isinstance(out, list) else [out])
    return rows


def _assert_close(ours: list[list[float]], theirs: Any) -> None:
    """Equal to 1e-12 (relative, or absolute near 0), row by row."""
    rows = theirs.tolist() if hasattr(theirs, "tolist") else theirs
    assert len(ours) == len(rows)
    for a, b in zip(ours, rows):
        assert a == pytest.approx(b, rel=1e-12, abs=1e-12)


def _models() -> list[Module]:
    return [
        MLP(3, [5, 4, 2], seed=0),
        MLP(3, [4, 1], activation="tanh", output_activation="sigmoid", seed=1),
        Layer(3, 4, "relu", rng=random.Random(2)),
        Neuron(3, "tanh", rng=random.Random(3)),
        Linear(3, 2, seed=4),
        Linear(3, 2, bias=False, seed=5),
        Sequential(Layer(3, 4, rng=random.Random(6)), Dropout(0.3), Linear(4, 2, seed=7)),
    ]


@pytest.mark.parametrize("model", _models(), ids=lambda m: type(m).__name__)
def test_to_torch_gives_the_same_outputs_and_from_torch_the_same_weights(
    torch: Any, model: Module
) -> None:
    model.eval()
    converted = to_torch(model)
    assert isinstance(converted, torch.nn.Module) and not converted.training
    theirs = converted(torch.tensor(INPUTS, dtype=torch.float64))
    assert theirs.dtype == torch.float64
    _assert_close(_outputs(model), theirs.detach())
    back = from_torch(converted)
    _assert_close(_outputs(back), _outputs(model))
    assert not back.training
    if not isinstance(model, Neuron):  # a Neuron comes back as its one-neuron Layer
        assert type(back) is type(model) and back.state_dict() == model.state_dict()


def test_the_torch_copy_trains_on_its_own(torch: Any) -> None:
    model = MLP(3, [4, 1], seed=0)
    converted = to_torch(model)
    before = model.state_dict()
    loss = converted(torch.tensor(INPUTS)).pow(2).mean()
    loss.backward()
    torch.optim.SGD(converted.parameters(), lr=0.1).step()
    assert model.state_dict() == before
    assert from_torch(converted).state_dict() != before


def test_a_hand_written_torch_mlp_reads_back_as_an_mlp(torch: Any) -> None:
    torch.manual_seed(0)
    module = torch.nn.Sequential(torch.nn.Linear(3, 8), torch.nn.Tanh(), torch.nn.Linear(8, 1))
    module = module.double()
    model = from_torch(module)
    assert isinstance(model, MLP) and [layer.activation for layer in model.layers] == [
        "tanh", "linear"
    ]  # fmt: skip
    _assert_close(_outputs(model), module(torch.tensor(INPUTS)).detach())


def test_what_cannot_be_converted_is_named(torch: Any) -> None:
    with pytest.raises(TypeError, match="no PyTorch counterpart for function"):
        to_torch(Sequential(Layer(2, 2), lambda x: x))
    with pytest.raises(TypeError, match=r"no glassgrad module for torch\.nn\.Conv1d"):
        from_torch(torch.nn.Conv1d(1, 1, 3))
    with pytest.raises(TypeError, match=r"needs a torch\.nn\.Module"):
        from_torch([1, 2])  # type: ignore[arg-type]


SEQUENCE = [[random.Random(10 + t).uniform(-1.0, 1.0) for _ in range(3)] for t in range(4)]


def _recurrent_cells() -> list[Module]:
    from nn.recurrent import GRU, LSTM, RNN

    return [RNN(3, 4, seed=0), RNN(3, 2, "relu", seed=1), GRU(3, 4, seed=2), LSTM(3, 4, seed=3)]


@pytest.mark.parametrize("cell", _recurrent_cells(), ids=lambda m: type(m).__name__)
def test_recurrent_cells_run_the_same_sequence_in_torch(torch: Any, cell: Any) -> None:
    outputs, state = cell(SEQUENCE)
    converted = to_torch(cell)
    theirs, their_state = converted(torch.tensor(SEQUENCE, dtype=torch.float64))
    _assert_close([[h.data for h in step] for step in outputs], theirs.detach())
    last = state[1] if isinstance(state, tuple) else state  # LSTM: compare the cell state c
    their_last = their_state[1] if isinstance(their_state, tuple) else their_state
    _assert_close([[v.data for v in last]], their_last.detach())
    back = from_torch(converted)
    assert type(back) is type(cell) and back.state_dict() == cell.state_dict()


def test_embedding_and_norms_match_torch(torch: Any) -> None:
    from nn.embedding import Embedding
    from nn.normalization import LayerNorm, RMSNorm

    embedding = Embedding(5, 3, seed=0)
    converted = to_torch(embedding)
    _assert_close([embedding(i) and [v.data for v in embedding(i)] for i in range(5)],
                  converted(torch.arange(5)).detach())  # fmt: skip
    for norm in (LayerNorm(3, eps=1e-3), RMSNorm(3)):
        for p in norm.parameters():
            p.data = random.Random(id(p) % 97).uniform(0.5, 1.5)
        theirs = to_torch(norm)(torch.tensor(INPUTS, dtype=torch.float64)).detach()
        _assert_close([[v.data for v in norm(x)] for x in INPUTS], theirs)
        assert from_torch(to_torch(norm)).state_dict() == norm.state_dict()
    assert from_torch(converted).state_dict() == embedding.state_dict()
    with pytest.raises(TypeError, match=r"no glassgrad module for torch\.nn\.LSTM"):
        from_torch(torch.nn.LSTM(3, 4, num_layers=2))


def test_a_small_cnn_matches_torch_on_a_batch_of_one_image(torch: Any) -> None:
    from nn.conv import Conv2d
    from nn.flatten import Flatten
    from nn.pooling import AvgPool2d, MaxPool2d

    rng = random.Random(0)
    image = [[[rng.uniform(-1, 1) for _ in range(6)] for _ in range(6)] for _ in range(2)]
    model = Sequential(Conv2d(2, 3, 3, padding=1, seed=0, activation="relu"), MaxPool2d(2),
                       Conv2d(3, 2, 2, seed=1), AvgPool2d(2, 1), Flatten(),
                       Linear(2, 2, seed=2))  # fmt: skip
    model.eval()
    converted = to_torch(model)
    theirs = converted(torch.tensor([image], dtype=torch.float64)).detach()
    _assert_close([[v.data for v in model(image)]], theirs)
    back = from_torch(converted)
    assert back.state_dict() == model.state_dict()
    _assert_close([[v.data for v in back(image)]], theirs)
