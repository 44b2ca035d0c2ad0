"""The seed tutorials, reproduced: hand-derived gradients against `backward()`.

Seed 002 trains a 2-2-1 sigmoid network on XOR with per-sample updates it derives by
hand; seed 001 writes the backward pass of a one-hidden-layer sigmoid network with the
cross-entropy cost (its printed code is garbled; the corrected version is below). In
both cases the library, given the same starting weights, must agree with the hand work.
"""

from __future__ import annotations

import math
import random

import pytest

from autograd import Value
from nn import MLP, Neuron, data, losses, optim


def sigmoid(x: float) -> float:
    return 1.0 / (1.0 + math.exp(-x))


def deriv_sigmoid(x: float) -> float:
    fx = sigmoid(x)
    return fx * (1.0 - fx)


# -- seed 002 --------------------------------------------------------------------------------


def test_seed_002_neuron() -> None:
    neuron = Neuron(2, activation="sigmoid")
    neuron.load_state_dict({"w.0": 0.0, "w.1": 1.0, "b": 4.0})
    assert neuron([2, 3]).data == 0.9990889488055994


class HandTrainedXorNetwork:
    """Seed 002's network: hidden neurons h1, h2 and output o1, all sigmoid."""

    def __init__(self, w: list[float], b: list[float]) -> None:
        self.w1, self.w2, self.w3, self.w4, self.w5, self.w6 = w
        self.b1, self.b2, self.b3 = b

    def train(self, X: list[list[float]], ys: list[int], learn_rate: float, epochs: int) -> None:
        for _ in range(epochs):
            for x, y_true in zip(X, ys):
                sum_h1 = self.w1 * x[0] + self.w2 * x[1] + self.b1
                h1 = sigmoid(sum_h1)
                sum_h2 = self.w3 * x[0] + self.w4 * x[1] + self.b2
                h2 = sigmoid(sum_h2)
                sum_o1 = self.w5 * h1 + self.w6 * h2 + self.b3
                y_pred = sigmoid(sum_o1)

                # The loss is (y_true - y_pred)²; every partial derivative by the chain rule.
                d_L_d_ypred = -2.0 * (y_true - y_pred)
                d_ypred_d_w5 = h1 * deriv_sigmoid(sum_o1)
                d_ypred_d_w6 = h2 * deriv_sigmoid(sum_o1)
                d_ypred_d_b3 = deriv_sigmoid(sum_o1)
                d_ypred_d_h1 = self.w5 * deriv_sigmoid(sum_o1)
                d_ypred_d_h2 = self.w6 * deriv_sigmoid(sum_o1)
                d_h1_d_w1 = x[0] * deriv_sigmoid(sum_h1)
                d_h1_d_w2 = x[1] * deriv_sigmoid(sum_h1)
                d_h1_d_b1 = deriv_sigmoid(sum_h1)
                d_h2_d_w3 = x[0] * deriv_sigmoid(sum_h2)
                d_h2_d_w4 = x[1] * deriv_sigmoid(sum_h2)
                d_h2_d_b2 = deriv_sigmoid(sum_h2)

                self.w1 -= learn_rate * d_L_d_ypred * d_ypred_d_h1 * d_h1_d_w1
                self.w2 -= learn_rate * d_L_d_ypred * d_ypred_d_h1 * d_h1_d_w2
                self.b1 -= learn_rate * d_L_d_ypred * d_ypred_d_h1 * d_h1_d_b1
                self.w3 -= learn_rate * d_L_d_ypred * d_ypred_d_h2 * d_h2_d_w3
                self.w4 -= learn_rate * d_L_d_ypred * d_ypred_d_h2 * d_h2_d_w4
                self.b2 -= learn_rate * d_L_d_ypred * d_ypred_d_h2 * d_h2_d_b2
                self.w5 -= learn_rate * d_L_d_ypred * d_ypred_d_w5
                self.w6 -= learn_rate * d_L_d_ypred * d_ypred_d_w6
                self.b3 -= learn_rate * d_L_d_ypred * d_ypred_d_b3

    def state(self) -> dict[str, float]:
        """The same weights under the names an `MLP(2, [2, 1])` gives them."""
        return {
            "layers.0.neurons.0.w.0": self.w1,
            "layers.0.neurons.0.w.1": self.w2,
            "layers.0.neurons.0.b": self.b1,
            "layers.0.neurons.1.w.0": self.w3,
            "layers.0.neurons.1.w.1": self.w4,
            "layers.0.neurons.1.b": self.b2,
            "layers.1.neurons.0.w.0": self.w5,
            "layers.1.neurons.0.w.1": self.w6,
            "layers.1.neurons.0.b": self.b3,
        }


def test_seed_002_xor_hand_derived_updates_equal_backward() -> None:
    rng = random.Random(2)
    hand = HandTrainedXorNetwork(
        [rng.gauss(0.0, 1.0) for _ in range(6)], [rng.gauss(0.0, 1.0) for _ in range(3)]
    )
    model = MLP(2, [2, 1], activation="sigmoid", output_activation="sigmoid")
    model.load_state_dict(hand.state())
    initial = model.state_dict()
    X, y = data.make_xor()

    hand.train(X, y, learn_rate=0.1, epochs=1000)
    optimizer = optim.SGD(model.parameters(), lr=0.1)
    for _ in range(1000):
        for x, target in zip(X, y):
            optimizer.zero_grad()
            losses.mse(model(x), target).backward()
            optimizer.step()

    trained = model.state_dict()
    assert trained.keys() == hand.state().keys()
    for name, value in hand.state().items():
        assert trained[name] == pytest.approx(value, abs=1e-9), name
    assert all(abs(trained[name] - initial[name]) > 1e-3 for name in initial)  # it did move


# -- seed 001, corrected ----------------------------------------------------------------------

Matrix = list[list[float]]


def matmul(A: Matrix, B: Matrix) -> Matrix:
    return [[sum(a * b for a, b in zip(row, column)) for column in zip(*B)] for row in A]


def transpose(A: Matrix) -> Matrix:
    return [list(column) for column in zip(*A)]


def add_column(A: Matrix, b: list[float]) -> Matrix:
    return [[a + bi for a in row] for row, bi in zip(A, b)]


def apply(f: object, A: Matrix) -> Matrix:
    return [[f(a) for a in row] for row in A]  # type: ignore[operator]


def initialize_parameters(
    input_size: int, hidden_size: int, output_size: int, rng: random.Random, scale: float
) -> dict[str, Matrix]:
    return {
        "W1": [
            [rng.gauss(0.0, 1.0) * scale for _ in range(input_size)] for _ in range(hidden_size)
        ],
        "b1": [[0.0] for _ in range(hidden_size)],
        "W2": [
            [rng.gauss(0.0, 1.0) * scale for _ in range(hidden_size)] for _ in range(output_size)
        ],
        "b2": [[0.0] for _ in range(output_size)],
    }


def forward_propagation(
    X: Matrix, parameters: dict[str, Matrix]
) -> tuple[Matrix, dict[str, Matrix]]:
    """X has one column per example, as in the seed."""
    Z1 = add_column(matmul(parameters["W1"], X), [b[0] for b in parameters["b1"]])
    A1 = apply(sigmoid, Z1)
    Z2 = add_column(matmul(parameters["W2"], A1), [b[0] for b in parameters["b2"]])
    A2 = apply(sigmoid, Z2)
    return A2, {"Z1": Z1, "A1": A1, "Z2": Z2, "A2": A2}


def compute_cost(A2: Matrix, Y: Matrix) -> float:
    m = len(Y[0])
    total = sum(
        y * math.log(a) + (1.0 - y) * math.log(1.0 - a)
        for a_row, y_row in zip(A2, Y)
        for a, y in zip(a_row, y_row)
    )
    return -total / m


def backward_propagation(
    parameters: dict[str, Matrix], cache: dict[str, Matrix], X: Matrix, Y: Matrix
) -> dict[str, Matrix]:
    m = len(X[0])
    W2 = parameters["W2"]
    A1, A2 = cache["A1"], cache["A2"]
    # Sigmoid output with cross-entropy: dCost/dZ2 simplifies to A2 - Y.
    dZ2 = [[a - y for a, y in zip(a_row, y_row)] for a_row, y_row in zip(A2, Y)]
    dW2 = [[v / m for v in row] for row in matmul(dZ2, transpose(A1))]
    db2 = [[sum(row) / m] for row in dZ2]
    back = matmul(transpose(W2), dZ2)
    dZ1 = [[g * a * (1.0 - a) for g, a in zip(g_row, a_row)] for g_row, a_row in zip(back, A1)]
    dW1 = [[v / m for v in row] for row in matmul(dZ1, transpose(X))]
    db1 = [[sum(row) / m] for row in dZ1]
    return {"dW1": dW1, "db1": db1, "dW2": dW2, "db2": db2}


@pytest.mark.parametrize("scale", [0.01, 1.0])  # the seed's small init, and a harder one
def test_seed_001_hand_written_backward_equals_autograd(scale: float) -> None:
    rng = random.Random(1)
    n_x, n_h, m = 3, 4, 6
    parameters = initialize_parameters(n_x, n_h, 1, rng, scale)
    examples = [[rng.gauss(0.0, 1.0) for _ in range(n_x)] for _ in range(m)]
    labels = [rng.randrange(2) for _ in range(m)]
    X, Y = transpose(examples), [[float(label) for label in labels]]

    A2, cache = forward_propagation(X, parameters)
    cost = compute_cost(A2, Y)
    grads = backward_propagation(parameters, cache, X, Y)

    model = MLP(n_x, [n_h, 1], activation="sigmoid", output_activation="sigmoid")
    state = {}
    expected = {}
    for i in range(n_h):
        for j in range(n_x):
            state[f"layers.0.neurons.{i}.w.{j}"] = parameters["W1"][i][j]
            expected[f"layers.0.neurons.{i}.w.{j}"] = grads["dW1"][i][j]
        state[f"layers.0.neurons.{i}.b"] = parameters["b1"][i][0]
        expected[f"layers.0.neurons.{i}.b"] = grads["db1"][i][0]
        state[f"layers.1.neurons.0.w.{i}"] = parameters["W2"][0][i]
        expected[f"layers.1.neurons.0.w.{i}"] = grads["dW2"][0][i]
    state["layers.1.neurons.0.b"] = parameters["b2"][0][0]
    expected["layers.1.neurons.0.b"] = grads["db2"][0][0]
    model.load_state_dict(state)

    predictions = [model(x) for x in examples]
    loss = losses.binary_cross_entropy(predictions, labels)
    loss.backward()

    assert loss.data == pytest.approx(cost, rel=1e-12)
    assert [p.data for p in predictions] == pytest.approx(A2[0], rel=1e-12)  # type: ignore[union-attr]
    for name, p in model.named_parameters():
        assert abs(p.grad - expected[name]) <= 1e-10 * max(1.0, abs(expected[name])), name


def test_seed_001_small_init_matches_the_seed() -> None:
    """`init="small"` is the seed's N(0, 1) * 0.01 with zero biases."""
    model = MLP(64, [32, 1], activation="sigmoid", init="small", seed=0)
    weights = [p.data for name, p in model.named_parameters() if ".w." in name]
    assert max(map(abs, weights)) < 0.06
    assert all(p.data == 0.0 for name, p in model.named_parameters() if name.endswith(".b"))
    assert isinstance(model([0.0] * 64), Value)
