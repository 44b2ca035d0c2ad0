"""fit, History, metrics, predict and cross_validate."""

from __future__ import annotations

import random
import sys
from typing import Any

import pytest
from conftest import require

from autograd import Value, is_grad_enabled
from nn import (
    MLP,
    Dropout,
    History,
    Layer,
    Sequential,
    accuracy,
    cross_validate,
    data,
    fit,
    losses,
    optim,
    predict,
)


def moons(n: int, seed: int) -> tuple[Any, Any]:
    X, y = data.make_moons(n, noise=0.1, seed=seed)
    train, val, _ = data.train_val_test_split(X, y, val=0.25, test=0.0, seed=seed)
    return train, val


def test_fit_on_moons_reaches_95_percent_validation_accuracy() -> None:
    (X, y), val = moons(200, seed=0)
    model = MLP(2, [8, 8, 1], seed=0)
    history = fit(
        model,
        X,
        y,
        losses.binary_cross_entropy_with_logits,
        optim.Adam(model.parameters(), lr=0.05),
        epochs=25,
        batch_size=16,
        val_data=val,
        progress=False,
        seed=0,
    )
    assert history.val["accuracy"][-1] >= 0.95
    assert history.train["loss"][-1] < history.train["loss"][0] / 3


def test_history_records_every_epoch() -> None:
    (X, y), val = moons(40, seed=1)
    model = MLP(2, [4, 1], seed=1)
    seen: list[int] = []
    history = fit(
        model,
        X,
        y,
        losses.mse,
        optim.SGD(model.parameters(), lr=0.05),
        epochs=3,
        batch_size=8,
        val_data=val,
        progress=False,
        callbacks=[lambda epoch, h: seen.append(h.epochs)],
    )
    assert seen == [1, 2, 3]
    assert history.epochs == 3
    assert set(history.train) == set(history.val) == {"loss", "accuracy"}
    assert all(len(values) == 3 for values in history.as_dict().values())
    assert history["val_loss"] is history.val["loss"]
    assert history["accuracy"] is history.train["accuracy"]
    assert list(history.as_dict()) == ["loss", "accuracy", "val_loss", "val_accuracy"]
    assert repr(history).startswith("History(epochs=3, loss=")
    assert repr(History()) == "History(epochs=0)"
    assert repr(History(train={"loss": []})) == "History(epochs=0)"


def test_full_batch_fit_is_the_hand_written_loop() -> None:
    X, y = data.make_xor()
    by_fit, by_hand = MLP(2, [4, 1], seed=2), MLP(2, [4, 1], seed=2)
    history = fit(
        by_fit, X, y, losses.mse, optim.SGD(by_fit.parameters(), lr=0.1), 5, progress=False
    )
    optimizer = optim.SGD(by_hand.parameters(), lr=0.1)
    recorded = []
    for _ in range(5):
        optimizer.zero_grad()
        loss = losses.mse([by_hand(x) for x in X], y)
        loss.backward()
        optimizer.step()
        recorded.append(loss.data)
    assert by_fit.state_dict() == by_hand.state_dict()
    assert history.train["loss"] == recorded


def test_validation_runs_in_eval_mode_without_gradients() -> None:
    (X, y), val = moons(40, seed=3)
    model = Sequential(Layer(2, 8, rng=random.Random(0)), Dropout(0.5, seed=0), Layer(8, 1))
    modes: list[tuple[bool, bool]] = []

    def loss(predictions: Any, targets: Any) -> Value:
        modes.append((is_grad_enabled(), model.layers[1].training))
        return losses.mse(predictions, targets)

    model.eval()  # fit trains in training mode and restores the mode it found
    fit(model, X, y, loss, optim.SGD(model, lr=0.01), 2, 10, val_data=val, progress=False)
    checks = [(False, False)] * 2  # fit checks the training and validation data first
    epoch = [(True, True)] * 3 + [(False, False)]
    assert modes == checks + epoch * 2
    assert not model.training


def test_accuracy() -> None:
    assert accuracy([0.9, 0.2, 0.6, 0.4], [1, 0, 0, 0]) == 0.75
    assert accuracy([Value(0.9), Value(0.2)], [1, 1]) == 0.5
    assert accuracy([-0.1, 0.3, 2.0], [0, 1, 1], threshold=0.0) == 1.0  # logits
    assert accuracy([-0.1, 0.3, -2.0], [-1, 1, 1]) == 2 / 3  # -1/+1 targets: sign
    assert accuracy([[0.1, 2.0, 0.3], [1.0, 0.0, -1.0]], [1, 2]) == 0.5  # argmax
    with pytest.raises(ValueError, match="2 predictions but 1"):
        accuracy([0.1, 0.2], [1])
    with pytest.raises(ValueError, match="empty"):
        accuracy([], [])


def test_accuracy_threshold_follows_the_loss() -> None:
    X, y = [[0.0], [1.0]], [0, 1]
    model = MLP(1, [1], seed=0)
    model.load_state_dict({"layers.0.neurons.0.w.0": 1.0, "layers.0.neurons.0.b": -0.2})
    # Outputs -0.2 and 0.8: right as logits (threshold 0), right at 0.5, wrong vs 0.9.
    no_steps = optim.SGD(model, lr=0.0)
    for loss, threshold, expected in [
        (losses.binary_cross_entropy_with_logits, None, 1.0),
        (losses.mse, None, 1.0),
        (losses.mse, 0.9, 0.5),
    ]:
        history = fit(model, X, y, loss, no_steps, 1, progress=False, threshold=threshold)
        assert history.train["accuracy"] == [expected]


def test_multiclass_fit_with_cross_entropy_and_a_custom_metric() -> None:
    rng = random.Random(0)
    centres = [(0.0, 2.0), (2.0, -1.0), (-2.0, -1.0)]
    X = [[cx + rng.gauss(0, 0.3), cy + rng.gauss(0, 0.3)] for cx, cy in centres for _ in range(15)]
    y = [label for label in range(3) for _ in range(15)]
    model = MLP(2, [8, 3], seed=0)

    def mean_top_logit(predictions: Any, targets: Any) -> float:
        return sum(max(p) for p in predictions) / len(predictions)

    history = fit(
        model,
        X,
        y,
        losses.cross_entropy,
        optim.Adam(model, lr=0.05),
        epochs=10,
        batch_size=15,
        metrics=("accuracy", mean_top_logit),
        progress=False,
        seed=0,
    )
    assert history.train["accuracy"][-1] >= 0.95
    assert set(history.train) == {"loss", "accuracy", "mean_top_logit"}


def test_progress_bar(capsys: pytest.CaptureFixture[str]) -> None:
    require("tqdm")
    X, y = data.make_xor()
    model = MLP(2, [2, 1], seed=0)
    fit(model, X, y, losses.mse, optim.SGD(model, lr=0.1), 2, val_data=(X, y))
    err = capsys.readouterr().err
    assert "2/2" in err and "epoch" in err and "val_accuracy" in err
    fit(model, X, y, losses.mse, optim.SGD(model, lr=0.1), 2, progress=False)
    assert capsys.readouterr().err == ""


def test_no_progress_bar_without_tqdm(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(sys.modules, "tqdm.auto", None)  # as if tqdm were not installed
    X, y = data.make_xor()
    model = MLP(2, [2, 1], seed=0)
    history = fit(model, X, y, losses.mse, optim.SGD(model, lr=0.1), 2, progress=True)
    assert history.epochs == 2
    assert capsys.readouterr().err == ""


def test_predict_gives_floats_without_a_graph() -> None:
    model = MLP(2, [3, 2], seed=0)
    outputs = predict(model, [[1.0, 2.0], [0.0, -1.0]])
    assert all(isinstance(o, list) and all(type(v) is float for v in o) for o in outputs)
    assert outputs[0] == [v.data for v in model([1.0, 2.0])]  # type: ignore[union-attr]
    assert all(p.grad == 0.0 for p in model.parameters()) and model.training
    single = predict(MLP(2, [1], seed=0), [[1.0, 2.0]])
    assert type(single[0]) is float


def test_cross_validate_scores_every_fold() -> None:
    X, y = data.make_moons(60, noise=0.1, seed=5)

    def run(metric: str) -> list[float]:
        return cross_validate(
            lambda: MLP(2, [6, 1], seed=0),
            X,
            y,
            k=3,
            loss=losses.binary_cross_entropy_with_logits,
            make_optimizer=lambda params: optim.Adam(params, lr=0.05),
            epochs=4,
            batch_size=10,
            metric=metric,
            seed=0,
        )

    scores = run("accuracy")
    assert len(scores) == 3 and all(0.0 <= s <= 1.0 for s in scores)
    assert sum(scores) / 3 > 0.7
    assert run("accuracy") == scores  # seeded
    val_losses = run("loss")
    assert len(val_losses) == 3 and all(s > 0.0 for s in val_losses)


def test_fit_errors() -> None:
    X, y = data.make_xor()
    model = MLP(2, [2, 1])
    sgd = optim.SGD(model, lr=0.1)
    with pytest.raises(ValueError, match="4 examples but y has 3"):
        fit(model, X, y[:3], losses.mse, sgd, 1, progress=False)
    with pytest.raises(ValueError, match="empty"):
        fit(model, [], [], losses.mse, sgd, 1, progress=False)
    with pytest.raises(ValueError, match="epochs"):
        fit(model, X, y, losses.mse, sgd, -1, progress=False)
    with pytest.raises(ValueError, match="batch_size"):
        fit(model, X, y, losses.mse, sgd, 1, batch_size=0, progress=False)
    with pytest.raises(ValueError, match="unknown metric 'f1'"):
        fit(model, X, y, losses.mse, sgd, 1, metrics=("f1",), progress=False)
    with pytest.raises(TypeError, match="val_data"):
        fit(model, X, y, losses.mse, sgd, 1, val_data=X, progress=False)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="must return a Value"):
        fit(model, X, y, lambda p, t: 0.0, sgd, 1, progress=False)  # type: ignore[arg-type,return-value]


def test_fit_without_shuffle_matches_a_hand_written_loop() -> None:
    X, y = data.make_moons(12, noise=0.1, seed=3)
    by_fit, by_hand = MLP(2, [4, 1], seed=5), MLP(2, [4, 1], seed=5)
    fit(
        by_fit,
        X,
        y,
        losses.binary_cross_entropy_with_logits,
        optim.SGD(by_fit.parameters(), lr=0.1),
        epochs=2,
        batch_size=4,
        shuffle=False,
        progress=False,
        metrics=(),
    )
    sgd = optim.SGD(by_hand.parameters(), lr=0.1)
    for _ in range(2):
        for start in range(0, 12, 4):
            sgd.zero_grad()
            batch = [by_hand(x) for x in X[start : start + 4]]
            losses.binary_cross_entropy_with_logits(batch, y[start : start + 4]).backward()
            sgd.step()
    assert by_fit.state_dict() == by_hand.state_dict()
