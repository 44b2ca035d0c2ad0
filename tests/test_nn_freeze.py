"""Transfer learning: freeze(), unfreeze(), trainable_parameters(), and what respects them."""

from __future__ import annotations

from typing import Any

import pytest

from autograd import Value, sum_values
from nn import Conv2d, Flatten, Linear, MaxPool2d, Sequential, Unflatten, fit, losses, optim
from nn.module import is_frozen


def cnn() -> Sequential:
    return Sequential(
        Unflatten((1, 4, 4)),
        Conv2d(1, 2, 3, padding=1, activation="relu", seed=0),
        MaxPool2d(2),
        Flatten(),
        Linear(8, 2, seed=1),
    )


IMAGES = [[((3 * k + n) % 7) / 7 for k in range(16)] for n in range(6)]
LABELS = [0, 1, 0, 1, 1, 0]


def test_freeze_unfreeze_and_trainable_parameters() -> None:
    model = cnn()
    conv, head = model.layers[1], model.layers[4]
    assert model.trainable_parameters() == model.parameters()
    assert conv.freeze() is conv
    assert model.trainable_parameters() == head.parameters()
    assert all(is_frozen(p) for p in conv.parameters())
    assert not any(is_frozen(p) for p in head.parameters())
    assert len(model.state_dict()) == len(model.parameters())  # frozen ones are still saved
    conv.unfreeze()
    assert model.trainable_parameters() == model.parameters()
    model.freeze()
    assert model.trainable_parameters() == []


@pytest.mark.parametrize(
    "make",
    [
        lambda ps: optim.SGD(ps, lr=0.1, weight_decay=0.1),
        lambda ps: optim.SGD(ps, lr=0.1, momentum=0.9),
        lambda ps: optim.Adam(ps, lr=0.1, weight_decay=0.1),
    ],
    ids=["sgd", "sgd-momentum", "adam"],
)
def test_an_optimizer_step_never_changes_a_frozen_parameter(make: Any) -> None:
    model = cnn()
    optimizer = make(model.parameters())  # built before freezing: holds every parameter
    model.layers[1].freeze()
    frozen = model.layers[1].state_dict()
    head_before = model.layers[4].state_dict()
    for _ in range(2):
        optimizer.zero_grad()
        loss = losses.cross_entropy([model(x) for x in IMAGES], LABELS)
        loss.backward()
        for p in model.layers[1].parameters():
            p.grad = 1.0  # even with a gradient (and weight decay), nothing moves
        optimizer.step()
    assert model.layers[1].state_dict() == frozen
    assert model.layers[4].state_dict() != head_before


def test_fit_refuses_an_optimizer_holding_frozen_parameters_and_changes_nothing() -> None:
    model = cnn()
    model.layers[1].freeze()
    before = model.state_dict()
    with pytest.raises(ValueError, match=r"^fit: the optimizer holds 20 frozen parameter\(s\) "
                                         r"\(layers\.1\.weight\.0\.0\.0\.0, .*\): build it from "
                                         r"model\.trainable_parameters\(\)$"):  # fmt: skip
        fit(model, IMAGES, LABELS, losses.cross_entropy, optim.SGD(model.parameters(), lr=0.1),
            epochs=1, progress=False)  # fmt: skip
    assert model.state_dict() == before


def test_fit_trains_only_what_is_not_frozen() -> None:
    model = cnn()
    model.layers[1].freeze()
    conv_before, head_before = model.layers[1].state_dict(), model.layers[4].state_dict()
    history = fit(model, IMAGES, LABELS, losses.cross_entropy,
                  optim.Adam(model.trainable_parameters(), lr=0.05), epochs=5,
                  progress=False)  # fmt: skip
    assert model.layers[1].state_dict() == conv_before
    assert model.layers[4].state_dict() != head_before
    assert history.train["loss"][-1] < history.train["loss"][0]


def test_a_frozen_layer_fed_numbers_records_no_graph() -> None:
    conv = Conv2d(1, 2, 3, activation="relu", seed=0)
    pixels = [[[0.1 * (i + j) for j in range(4)] for i in range(4)]]
    assert not conv(pixels)[0][0][0].is_leaf
    conv.freeze()
    out = conv(pixels)
    assert all(v.is_leaf for channel in out for row in channel for v in row)
    assert [[v.data for v in row] for row in out[1]] == [
        [v.data for v in row] for row in Conv2d(1, 2, 3, activation="relu", seed=0)(pixels)[1]
    ]
    # Values in: someone may want their gradient, so the graph is recorded.
    x = [[[Value(v) for v in row] for row in pixels[0]]]
    sum_values(Flatten()(conv(x))).backward()
    assert any(v.grad != 0.0 for row in x[0] for v in row)
    # Unfrozen again: the graph is back.
    conv.unfreeze()
    assert not conv(pixels)[0][0][0].is_leaf


def test_a_cnn_trains_the_same_compiled_and_interpreted() -> None:
    histories = []
    for compile_ in (False, True):
        model = cnn()
        histories.append(fit(model, IMAGES, LABELS, losses.cross_entropy,
                             optim.Adam(model.parameters(), lr=0.05), epochs=3, batch_size=3,
                             progress=False, seed=0, compile=compile_))  # fmt: skip
    plain, compiled = histories
    assert compiled.train["loss"] == pytest.approx(plain.train["loss"], rel=1e-10)
