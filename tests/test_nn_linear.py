"""Linear against torch.nn.functional.linear (float64), gradcheck, names, labels and errors."""

from __future__ import annotations

import random
from types import ModuleType

import pytest

from autograd import Value, sum_values
from autograd.testing import gradcheck
from nn import Linear, Sequential, StateDictError


def weighted_total(outs: list[Value], seed: int = 0) -> Value:
    """A scalar that depends on every output with a different weight, so every grad shows."""
    rng = random.Random(seed)
    return sum_values([out * rng.uniform(-2.0, 2.0) for out in outs])


@pytest.mark.torch
@pytest.mark.parametrize("bias", [True, False])
def test_linear_matches_torch(torch: ModuleType, bias: bool) -> None:
    layer = Linear(4, 3, bias=bias, seed=1)
    if bias:
        for o, b in enumerate(layer.bias):
            b.data = 0.1 * o - 0.2
    rng = random.Random(2)
    x = [Value(rng.uniform(-1, 1)) for _ in range(4)]
    outs = layer(x)
    weighted_total(outs).backward()

    tw = torch.tensor([[w.data for w in row] for row in layer.weight], requires_grad=True)
    tx = torch.tensor([v.data for v in x], requires_grad=True)
    tb = torch.tensor([b.data for b in layer.bias], requires_grad=True) if bias else None
    t_out = torch.nn.functional.linear(tx, tw, tb)
    coefficients = random.Random(0)
    weights = torch.tensor([coefficients.uniform(-2.0, 2.0) for _ in range(3)])
    (t_out * weights).sum().backward()

    assert [o.data for o in outs] == pytest.approx(t_out.tolist(), abs=1e-12)
    assert [v.grad for v in x] == pytest.approx(tx.grad.tolist(), abs=1e-12)
    for row, t_row in zip(layer.weight, tw.grad.tolist()):
        assert [w.grad for w in row] == pytest.approx(t_row, abs=1e-12)
    if bias:
        assert [b.grad for b in layer.bias] == pytest.approx(tb.grad.tolist(), abs=1e-12)


def test_linear_gradcheck_over_inputs_and_parameters() -> None:
    layer = Linear(3, 2, seed=0)
    start = [v.data for v in layer.parameters()]

    def f(*values: Value) -> Value:
        weights, rest = values[:6], values[6:]
        layer.weight = [list(weights[:3]), list(weights[3:])]
        layer.bias = list(rest[:2])
        return weighted_total(layer(list(rest[2:])))

    assert gradcheck(f, [*start, 0.5, -1.5, 2.0])


def test_one_dot_node_per_output_with_a_dotted_label() -> None:
    model = Sequential(Linear(2, 3, seed=0), Linear(3, 2, seed=1))
    second = model.layers[1]
    outs = model([1.0, 2.0])
    assert [o.label for o in outs] == ["layers.1.out[0]", "layers.1.out[1]"]
    assert all(o.op == "dot" for o in outs)
    # weights, then inputs (the first layer's outputs), then the bias
    assert outs[0].parents[:3] == tuple(second.weight[0])
    assert [p.label for p in outs[0].parents[3:6]] == [f"layers.0.out[{o}]" for o in range(3)]
    assert outs[0].parents[6] is second.bias[0]


def test_parameter_names_follow_torch_layout() -> None:
    layer = Linear(3, 2)
    names = [name for name, _ in layer.named_parameters()]
    assert names == [*(f"weight.{o}.{i}" for o in range(2) for i in range(3)),
                     "bias.0", "bias.1"]  # fmt: skip
    assert len(Linear(3, 2, bias=False).parameters()) == 6
    assert repr(layer) == "Linear(in_features=3, out_features=2, bias=True)"


def test_seed_makes_weights_reproducible_and_bias_starts_at_zero() -> None:
    assert Linear(5, 4, seed=3).state_dict() == Linear(5, 4, seed=3).state_dict()
    assert Linear(5, 4, seed=3).state_dict() != Linear(5, 4, seed=4).state_dict()
    assert all(b.data == 0.0 for b in Linear(5, 4).bias)
    limit = (6 / 9) ** 0.5  # Xavier uniform
    assert all(abs(w.data) <= limit for w in Linear(5, 4, seed=0).parameters())
    assert all(w.data == 0.5 for w in Linear(2, 2, init=lambda i, o, r: 0.5).weight[0])


def test_state_dict_and_file_round_trip(tmp_path: pytest.TempPathFactory) -> None:
    source, target = Linear(3, 2, seed=0), Linear(3, 2, seed=1)
    source.bias[1].data = 0.25
    path = f"{tmp_path}/linear.json"
    source.save(path)
    target.load(path)
    assert target.state_dict() == source.state_dict()
    assert [o.data for o in target([1.0, 2.0, 3.0])] == [o.data for o in source([1.0, 2.0, 3.0])]
    with pytest.raises(StateDictError, match="missing 2 key"):
        Linear(3, 2).load_state_dict(Linear(3, 2, bias=False).state_dict())


def test_bad_sizes_and_inputs_say_what_is_wrong() -> None:
    with pytest.raises(ValueError, match=r"^Linear expects 3 inputs, got 2$"):
        Linear(3, 2)([1.0, 2.0])
    with pytest.raises(TypeError, match="expects a list of 3 numbers or Values, got float"):
        Linear(3, 2)(1.0)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="in_features must be a positive int, got 0"):
        Linear(0, 2)
    with pytest.raises(ValueError, match=r"out_features must be a positive int, got 2\.5"):
        Linear(2, 2.5)  # type: ignore[arg-type]
