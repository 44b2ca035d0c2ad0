"""RNN, GRU and LSTM against PyTorch (float64) with the same weights: outputs, final state,
and the gradients of the inputs, of the initial state and of every parameter."""

from __future__ import annotations

import itertools
import random
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from autograd import Value, sum_values
from autograd.testing import gradcheck
from nn import GRU, LSTM, RNN, Module
from nn.recurrent import gradient_norms

INPUT, HIDDEN, STEPS = 3, 4, 5


def torch_cell(torch: ModuleType, cell: Module) -> Any:
    """The PyTorch module of the same kind holding exactly `cell`'s numbers."""
    if isinstance(cell, RNN):
        theirs = torch.nn.RNN(INPUT, HIDDEN, nonlinearity=cell.nonlinearity)
    elif isinstance(cell, GRU):
        theirs = torch.nn.GRU(INPUT, HIDDEN)
    else:
        theirs = torch.nn.LSTM(INPUT, HIDDEN)
    with torch.no_grad():
        for name in ("weight_ih", "weight_hh", "bias_ih", "bias_hh"):
            table = getattr(cell, name)
            numbers = (
                [[v.data for v in row] for row in table]
                if name[0] == "w"
                else [v.data for v in table]
            )
            getattr(theirs, f"{name}_l0").copy_(torch.tensor(numbers))
    return theirs


def parameter_grads(torch_module: Any) -> dict[str, list[float]]:
    return {
        name.removesuffix("_l0"): p.grad.flatten().tolist()
        for name, p in torch_module.named_parameters()
    }


def our_grads(cell: Module) -> dict[str, list[float]]:
    grads: dict[str, list[float]] = {}
    for name, p in cell.named_parameters():
        grads.setdefault(name.split(".")[0], []).append(p.grad)
    return grads


CELLS = [
    ("rnn_tanh", lambda seed: RNN(INPUT, HIDDEN, seed=seed)),
    ("rnn_relu", lambda seed: RNN(INPUT, HIDDEN, nonlinearity="relu", seed=seed)),
    ("gru", lambda seed: GRU(INPUT, HIDDEN, seed=seed)),
    ("lstm", lambda seed: LSTM(INPUT, HIDDEN, seed=seed)),
]


@pytest.mark.parametrize("with_state", [False, True], ids=["zero_state", "given_state"])
@pytest.mark.parametrize(("kind", "make"), CELLS, ids=[c[0] for c in CELLS])
def test_matches_torch(torch: ModuleType, kind: str, make: Any, with_state: bool) -> None:
    rng = random.Random(len(kind) + with_state)
    cell = make(rng.randrange(1000))
    xs = [[rng.uniform(-2, 2) for _ in range(INPUT)] for _ in range(STEPS)]
    out_weights = [[rng.uniform(-1, 1) for _ in range(HIDDEN)] for _ in range(STEPS)]
    state_weights = [[rng.uniform(-1, 1) for _ in range(HIDDEN)] for _ in range(2)]
    h0 = [rng.uniform(-1, 1) for _ in range(HIDDEN)]
    c0 = [rng.uniform(-1, 1) for _ in range(HIDDEN)]
    is_lstm = kind == "lstm"

    x_values = [[Value(x) for x in row] for row in xs]
    h_values, c_values = [Value(v) for v in h0], [Value(v) for v in c0]
    state: Any = None
    if with_state:
        state = (h_values, c_values) if is_lstm else h_values
    outputs, final = cell(x_values, state)
    finals = list(final) if is_lstm else [final]
    terms = [w * o for ws, os in zip(out_weights, outputs) for w, o in zip(ws, os)]
    terms += [w * v for ws, vs in zip(state_weights, finals) for w, v in zip(ws, vs)]
    sum_values(terms).backward()

    theirs = torch_cell(torch, cell)
    x = torch.tensor(xs, requires_grad=True)
    h = torch.tensor([h0], requires_grad=True)
    c = torch.tensor([c0], requires_grad=True)
    if with_state:
        out, final_t = theirs(x, (h, c) if is_lstm else h)
    else:
        out, final_t = theirs(x)
    finals_t = [t[0] for t in final_t] if is_lstm else [final_t[0]]
    loss = (out * torch.tensor(out_weights)).sum()
    for ws, t in zip(state_weights, finals_t):
        loss = loss + (t * torch.tensor(ws)).sum()
    loss.backward()

    close = {"rel": 1e-9, "abs": 1e-12}
    assert [v.data for o in outputs for v in o] == pytest.approx(out.flatten().tolist(), **close)
    for ours, ref in zip(finals, finals_t):
        assert [v.data for v in ours] == pytest.approx(ref.tolist(), **close)
    assert [v.grad for row in x_values for v in row] == pytest.approx(
        x.grad.flatten().tolist(), **close
    )
    if with_state:
        assert [v.grad for v in h_values] == pytest.approx(h.grad[0].tolist(), **close)
        if is_lstm:
            assert [v.grad for v in c_values] == pytest.approx(c.grad[0].tolist(), **close)
    ours_by_name, theirs_by_name = our_grads(cell), parameter_grads(theirs)
    assert ours_by_name.keys() == theirs_by_name.keys()
    for name in ours_by_name:
        assert ours_by_name[name] == pytest.approx(theirs_by_name[name], **close), name


@pytest.mark.parametrize(("kind", "make"), CELLS, ids=[c[0] for c in CELLS])
def test_gradcheck_through_time(kind: str, make: Any) -> None:
    cell = make(3)
    small = type(cell)(2, 2, seed=3) if kind != "rnn_relu" else RNN(2, 2, "relu", seed=3)

    def last_hidden_sum(*xs: Value) -> Value:
        outputs, _ = small([[xs[0], xs[1]], [xs[2], xs[3]], [xs[4], xs[5]]])
        return outputs[-1][0] * 1.5 + outputs[-1][1]

    assert gradcheck(last_hidden_sum, [0.3, -0.8, 1.1, 0.4, -0.5, 0.9])


def test_layouts_and_gate_labels() -> None:
    lstm, gru, rnn = LSTM(3, 2, seed=0), GRU(3, 2, seed=0), RNN(3, 2, seed=0)
    assert (len(lstm.weight_ih), len(lstm.weight_ih[0])) == (8, 3)
    assert (len(lstm.weight_hh), len(lstm.weight_hh[0])) == (8, 2)
    assert len(gru.bias_ih) == len(gru.bias_hh) == 6
    assert len(rnn.weight_ih) == 2
    assert len(lstm.parameters()) == 8 * 3 + 8 * 2 + 8 + 8
    outputs, (h, c) = lstm([[1.0, 0.0, 0.0]] * 5)
    assert h is outputs[-1]
    assert h[1].label == "lstm.t4.h[1]" and c[0].label == "lstm.t4.c[0]"
    forget = h[0].parents[1].parents[0].parents[0]  # h = o * tanh(c), c = dot(f, c', i, g)
    assert forget.label == "lstm.t4.f[0]"

    class Model(Module):
        def __init__(self) -> None:
            self.encoder = GRU(3, 2, seed=0)

    model = Model()
    outputs, _ = model.encoder([[0.5, 0.5, 0.5]] * 2)
    assert outputs[1][0].label == "encoder.t1.h[0]"
    assert model.encoder.weight_ih[5][2].label == "encoder.weight_ih.5.2"


def test_the_same_seed_gives_the_same_cell() -> None:
    assert LSTM(2, 3, seed=5).state_dict() == LSTM(2, 3, seed=5).state_dict()
    assert LSTM(2, 3, seed=5).state_dict() != LSTM(2, 3, seed=6).state_dict()


@pytest.mark.parametrize(("kind", "make"), CELLS, ids=[c[0] for c in CELLS])
def test_save_and_load_round_trip(tmp_path: Path, kind: str, make: Any) -> None:
    cell, other = make(1), make(2)
    path = tmp_path / f"{kind}.json"
    cell.save(path)
    other.load(path)
    assert other.state_dict() == cell.state_dict()
    xs = [[0.1, -0.2, 0.3], [0.5, 0.5, -1.0]]
    assert [v.data for v in other(xs)[0][-1]] == [v.data for v in cell(xs)[0][-1]]


def test_gradient_norms_vanish_for_a_small_weight_rnn() -> None:
    rnn = RNN(1, 3, seed=0)
    for row in rnn.weight_hh:
        for w in row:
            w.data *= 0.3
    outputs, h = rnn([[1.0]] * 12)
    sum_values(h).backward()
    norms = gradient_norms(outputs)
    assert len(norms) == 12 and norms[-1] == pytest.approx(3**0.5)
    assert norms[0] < 1e-3 * norms[-1]
    assert all(a < b for a, b in itertools.pairwise(norms))


@pytest.mark.parametrize(
    ("call", "error", "match"),
    [
        (lambda: LSTM(3, 2)([]), ValueError, "at least one step"),
        (
            lambda: LSTM(3, 2)([[1.0, 2.0]]),
            ValueError,
            "step 0 of the sequence: .*expects 3 inputs, got 2",
        ),
        (lambda: GRU(3, 2)([[1.0, 2.0, 3.0], [1.0]]), ValueError, "step 1 of the sequence"),
        (lambda: RNN(3, 2)("abc"), TypeError, "expects a sequence"),
        (
            lambda: RNN(3, 2)([[1.0, 2.0, 3.0]], [0.0]),
            ValueError,
            "state: .*expects 2 inputs, got 1",
        ),
        (lambda: LSTM(3, 2)([[1.0, 2.0, 3.0]], [0.0, 0.0]), TypeError, r"pair \(h, c\)"),
        (lambda: LSTM(3, 2)([[1.0, 2.0, 3.0]], ([0.0, 0.0], [0.0])), ValueError, "state c"),
        (lambda: RNN(3, 2, nonlinearity="sigmoid"), ValueError, "'tanh' or 'relu'"),
        (lambda: GRU(0, 2), ValueError, "input_size must be a positive int"),
        (lambda: LSTM(2, 2.5), ValueError, "hidden_size"),  # type: ignore[arg-type]
    ],
)
def test_bad_input_is_a_clear_error(call: Any, error: type, match: str) -> None:
    with pytest.raises(error, match=match):
        call()
