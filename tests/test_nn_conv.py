"""Conv2d, MaxPool2d, AvgPool2d, Flatten and Unflatten against PyTorch (float64) with the
same numbers: outputs and the gradients of the input and of every parameter."""

from __future__ import annotations

import random
from types import ModuleType
from typing import Any

import pytest

from autograd import Value, sum_values
from autograd.testing import gradcheck
from nn import (
    AvgPool2d,
    Conv2d,
    Flatten,
    Linear,
    MaxPool2d,
    Sequential,
    StateDictError,
    Unflatten,
)

TOL = 1e-12


def image(channels: int, height: int, width: int, seed: int = 0) -> list[list[list[Value]]]:
    rng = random.Random(seed)
    return [[[Value(rng.uniform(-1, 1)) for _ in range(width)] for _ in range(height)]
            for _ in range(channels)]  # fmt: skip


def data(nested: Any) -> Any:
    """The floats of a nested list of Values, same nesting."""
    return nested.data if isinstance(nested, Value) else [data(item) for item in nested]


def grads(nested: Any) -> Any:
    return nested.grad if isinstance(nested, Value) else [grads(item) for item in nested]


def flat(nested: Any) -> list[Any]:
    return Flatten()(nested)


def coefficients(n: int) -> list[float]:
    rng = random.Random(7)
    return [rng.uniform(-2.0, 2.0) for _ in range(n)]


def backward_weighted(out: Any) -> list[float]:
    """Backpropagate sum(c_k * out_k) with fixed random c: every output gets its own slope."""
    outs = flat(out)
    c = coefficients(len(outs))
    sum_values([o * ck for o, ck in zip(outs, c)]).backward()
    return c


def assert_close(ours: Any, theirs: Any) -> None:
    assert flat(ours) == pytest.approx(flat(theirs), abs=TOL, rel=TOL)


CONV_CASES = [
    # in, out, kernel, stride, padding, height, width
    pytest.param(1, 1, 3, 1, 0, 5, 5, id="1to1-k3-s1-p0"),
    pytest.param(2, 3, 3, 1, 1, 5, 6, id="2to3-k3-s1-p1"),
    pytest.param(3, 2, 3, 2, 0, 7, 6, id="3to2-k3-s2-p0"),
    pytest.param(2, 2, 3, 2, 1, 6, 5, id="2to2-k3-s2-p1"),
    pytest.param(2, 3, (2, 3), (1, 2), (1, 0), 5, 7, id="2to3-k2x3-s1x2-p1x0"),
]


@pytest.mark.torch
@pytest.mark.parametrize(("c_in", "c_out", "kernel", "stride", "padding", "h", "w"), CONV_CASES)
def test_conv2d_matches_torch(
    torch: ModuleType, c_in: int, c_out: int, kernel: Any, stride: Any, padding: Any, h: int, w: int
) -> None:
    conv = Conv2d(c_in, c_out, kernel, stride, padding, seed=1)
    for o, b in enumerate(conv.bias):
        b.data = 0.3 * o - 0.2
    x = image(c_in, h, w)
    out = conv(x)
    c = backward_weighted(out)

    tx = torch.tensor(data(x), requires_grad=True)
    tw = torch.tensor(data(conv.weight), requires_grad=True)
    tb = torch.tensor(data(conv.bias), requires_grad=True)
    t_out = torch.nn.functional.conv2d(tx[None], tw, tb, stride=stride, padding=padding)[0]
    (t_out.flatten() * torch.tensor(c)).sum().backward()

    assert [len(out), len(out[0]), len(out[0][0])] == list(t_out.shape)
    assert conv.output_shape(h, w) == tuple(t_out.shape)
    assert_close(data(out), t_out.tolist())
    assert_close(grads(x), tx.grad.tolist())
    assert_close(grads(conv.weight), tw.grad.tolist())
    assert_close(grads(conv.bias), tb.grad.tolist())


@pytest.mark.torch
def test_conv2d_with_relu_and_no_bias_matches_torch(torch: ModuleType) -> None:
    conv = Conv2d(2, 2, 3, padding=1, bias=False, activation="relu", seed=3)
    x = image(2, 4, 4, seed=5)
    out = conv(x)
    c = backward_weighted(out)
    tx = torch.tensor(data(x), requires_grad=True)
    tw = torch.tensor(data(conv.weight), requires_grad=True)
    t_out = torch.relu(torch.nn.functional.conv2d(tx[None], tw, padding=1)[0])
    (t_out.flatten() * torch.tensor(c)).sum().backward()
    assert_close(data(out), t_out.tolist())
    assert_close(grads(x), tx.grad.tolist())
    assert_close(grads(conv.weight), tw.grad.tolist())
    assert not hasattr(conv, "bias") and len(conv.parameters()) == 36


POOL_CASES = [
    pytest.param(2, None, 4, 4, id="k2"),
    pytest.param(2, 1, 3, 4, id="k2-s1-overlapping"),
    pytest.param(3, 2, 7, 5, id="k3-s2"),
    pytest.param((2, 3), (1, 2), 4, 7, id="k2x3-s1x2"),
]


@pytest.mark.torch
@pytest.mark.parametrize("kind", ["max", "avg"])
@pytest.mark.parametrize(("kernel", "stride", "h", "w"), POOL_CASES)
def test_pools_match_torch(
    torch: ModuleType, kind: str, kernel: Any, stride: Any, h: int, w: int
) -> None:
    pool = MaxPool2d(kernel, stride) if kind == "max" else AvgPool2d(kernel, stride)
    x = image(2, h, w, seed=11)
    out = pool(x)
    c = backward_weighted(out)
    tx = torch.tensor(data(x), requires_grad=True)
    f = torch.nn.functional.max_pool2d if kind == "max" else torch.nn.functional.avg_pool2d
    t_out = f(tx[None], kernel, stride)[0]
    (t_out.flatten() * torch.tensor(c)).sum().backward()
    assert pool.output_shape(2, h, w) == tuple(t_out.shape)
    assert_close(data(out), t_out.tolist())
    assert_close(grads(x), tx.grad.tolist())


@pytest.mark.torch
def test_max_pool_ties_send_the_gradient_to_the_first_largest_like_torch(
    torch: ModuleType,
) -> None:
    numbers = [[[1.0, 3.0, 3.0, 0.0], [3.0, 2.0, 0.0, 0.0]]]
    x = [[[Value(v) for v in row] for row in channel] for channel in numbers]
    out = MaxPool2d(2)(x)
    backward_weighted(out)
    tx = torch.tensor(numbers, requires_grad=True)
    t_out = torch.nn.functional.max_pool2d(tx[None], 2)[0]
    (t_out.flatten() * torch.tensor(coefficients(2))).sum().backward()
    assert_close(grads(x), tx.grad.tolist())
    assert out[0][0][0] is x[0][0][1]  # max pooling makes no node: it picks one


def test_gradcheck_small_convolution_over_input_and_parameters() -> None:
    conv = Conv2d(2, 2, 2, padding=1, seed=0)
    for b in conv.bias:
        b.data = 0.1
    x = image(2, 2, 3, seed=1)
    start = [v.data for v in flat(conv.weight) + conv.bias + flat(x)]

    def f(*values: Value) -> Value:
        weights, biases, pixels = values[:16], values[16:18], values[18:]
        conv.weight = Unflatten((2, 2, 2, 2))(list(weights))
        conv.bias = list(biases)
        pooled = AvgPool2d(2, 1)(conv(Unflatten((2, 2, 3))(list(pixels))))
        outs = flat(pooled)
        return sum_values([o * ck for o, ck in zip(outs, coefficients(len(outs)))])

    assert gradcheck(f, start)


def test_each_output_is_one_dot_over_its_receptive_field() -> None:
    model = Sequential(Conv2d(2, 3, 3, padding=1, activation="relu", seed=0))
    conv = model.layers[0]
    x = [[[float(10 * c + 3 * i + j) for j in range(4)] for i in range(4)] for c in range(2)]
    out = model(x)
    assert len(out) == 3 and len(out[0]) == 4 and len(out[0][0]) == 4
    relu = out[2][1][3]
    assert relu.label == "layers.0.relu[2][1][3]" and relu.op == "relu"
    (node,) = relu.parents
    assert node.label == "layers.0.out[2][1][3]" and node.op == "dot"
    # Position (1, 3) with padding 1 sees rows 0..2 and columns 2..3 of both channels:
    # 2 channels x 3 rows x 2 columns = 12 weights, 12 pixels and the bias.
    parents = node.parents
    assert len(parents) == 25 and parents[-1] is conv.bias[2]
    weights, pixels = parents[:12], parents[12:24]
    expected = [conv.weight[2][c][ki][kj] for c in range(2) for ki in range(3) for kj in (0, 1)]
    assert list(weights) == expected
    assert [p.data for p in pixels] == [x[c][r][col] for c in range(2) for r in range(3)
                                        for col in (2, 3)]  # fmt: skip
    assert [w.label for w in weights[:2]] == ["layers.0.weight.2.0.0.0", "layers.0.weight.2.0.0.1"]


def test_parameter_names_init_and_repr() -> None:
    conv = Conv2d(2, 4, 3, seed=0)
    names = [name for name, _ in conv.named_parameters()]
    assert names[0] == "weight.0.0.0.0" and names[71] == "weight.3.1.2.2"
    assert names[72:] == ["bias.0", "bias.1", "bias.2", "bias.3"]
    assert Conv2d(2, 4, 3, seed=5).state_dict() == Conv2d(2, 4, 3, seed=5).state_dict()
    limit = (6 / (18 + 36)) ** 0.5  # Xavier uniform with fan-in 2*3*3 and fan-out 4*3*3
    assert all(abs(w.data) <= limit for w in flat(conv.weight))
    assert repr(conv) == "Conv2d(2, 4, kernel_size=(3, 3), stride=(1, 1), padding=(0, 0))"
    assert repr(MaxPool2d(2)) == "MaxPool2d(kernel_size=(2, 2), stride=(2, 2))"
    assert repr(Unflatten((1, 8, 8))) == "Unflatten(shape=(1, 8, 8))"


def cnn(seed: int) -> Sequential:
    return Sequential(
        Unflatten((1, 6, 6)),
        Conv2d(1, 2, 3, padding=1, activation="relu", seed=seed),
        MaxPool2d(2),
        Flatten(),
        Linear(18, 3, seed=seed),
    )


def test_cnn_state_dict_and_file_round_trip(tmp_path: Any) -> None:
    source, target = cnn(0), cnn(1)
    source.layers[1].bias[1].data = 0.5
    pixels = [((7 * k) % 5) / 5 for k in range(36)]
    assert data(source(pixels)) != data(target(pixels))
    source.save(tmp_path / "cnn.json")
    target.load(tmp_path / "cnn.json")
    assert target.state_dict() == source.state_dict()
    assert data(target(pixels)) == data(source(pixels))
    assert "layers.1.weight.1.0.2.2" in source.state_dict()
    with pytest.raises(StateDictError, match="missing 2 key"):
        Conv2d(1, 2, 3).load_state_dict(Conv2d(1, 2, 3, bias=False).state_dict())


def test_flatten_and_unflatten_are_inverse_and_make_no_nodes() -> None:
    x = image(2, 3, 4)
    flat_x = Flatten()(x)
    assert len(flat_x) == 24 and flat_x[5] is x[0][1][1] and flat_x[12] is x[1][0][0]
    assert Unflatten((2, 3, 4))(flat_x) == x
    assert Flatten()(Value(1.0))[0].data == 1.0


def test_shape_errors_name_the_expected_and_given_shape() -> None:
    conv = Conv2d(2, 3, 3)
    expected = r"^Conv2d expects an image x\[c\]\[i\]\[j\] of shape \(2, height, width\), "
    with pytest.raises(ValueError, match=expected + r"got shape \(3, 4, 4\)$"):
        conv(image(3, 4, 4))
    with pytest.raises(ValueError, match=r"got shape \(2, 4, 3/4\)"):
        conv([[[1.0] * 4] * 4, [[1.0] * 4] * 3 + [[1.0] * 3]])
    with pytest.raises(ValueError, match=r"got shape \(64\)"):
        conv([0.0] * 64)
    with pytest.raises(ValueError, match=r"a 3x3 kernel does not fit an image of 2x5"):
        conv(image(2, 2, 5))
    with pytest.raises(TypeError, match="an image holds numbers or Values, got str"):
        Conv2d(1, 1, 1)([[["a"]]])
    with pytest.raises(ValueError, match=r"^MaxPool2d expects an image .*\(channels, height"):
        MaxPool2d(2)([1.0, 2.0])
    with pytest.raises(ValueError, match=r"a 3x3 window does not fit an image of 2x2"):
        AvgPool2d(3)(image(1, 2, 2))
    with pytest.raises(
        ValueError, match=r"Unflatten\(1, 8, 8\) expects a flat list of 64 .*\(63\)"
    ):
        Unflatten((1, 8, 8))([0.0] * 63)
    with pytest.raises(ValueError, match=r"kernel_size must be an int >= 1 or a pair"):
        Conv2d(1, 1, 0)
    with pytest.raises(ValueError, match=r"padding must be an int >= 0 or a pair"):
        Conv2d(1, 1, 3, padding=-1)
    with pytest.raises(ValueError, match=r"stride must be an int >= 1 or a pair"):
        MaxPool2d(2, stride=(1, 2, 3))
