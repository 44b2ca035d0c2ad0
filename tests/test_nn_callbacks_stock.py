"""The stock callbacks: EarlyStopping, ModelCheckpoint, and TensorBoard read back by
TensorBoard's own event reader."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from conftest import require

from nn import MLP, History, fit, losses, optim
from nn.callbacks import EarlyStopping, ModelCheckpoint, TensorBoard

X = [[0.0, 1.0], [1.0, 0.0], [1.0, 1.0], [0.0, 0.0], [0.5, 0.2], [0.2, 0.9]]
Y = [1.0, 1.0, 0.0, 0.0, 1.0, 0.0]
# Opposite labels: the better the model fits X, the worse it does here, so the validation
# loss falls for a few epochs (from a poor start) and then rises.
OPPOSITE = [1.0 - y for y in Y]


def _best(scores: list[float]) -> int:
    best = min(range(len(scores)), key=scores.__getitem__)
    assert 0 < best < len(scores) - 2  # the data make a real minimum, then a rise
    return best


def _train(callbacks: list[Any], epochs: int = 12, val: list[float] = OPPOSITE) -> Any:
    """Train a fresh model; returns (model, history, the state after each epoch)."""
    model = MLP(2, [4, 1], seed=1)
    states: list[dict[str, float]] = []

    def snapshot(epoch: int, history: History) -> None:
        states.append(model.state_dict())

    history = fit(
        model,
        X,
        Y,
        losses.binary_cross_entropy_with_logits,
        optim.Adam(model.parameters(), lr=0.1),
        epochs=epochs,
        val_data=(X, val),
        progress=False,
        callbacks=[snapshot, *callbacks],
    )
    return model, history, states


def test_early_stopping_stops_after_patience_and_restores_the_best_epoch() -> None:
    stopper = EarlyStopping("val_loss", patience=3)
    model, history, states = _train([stopper])
    best = _best(history["val_loss"])
    assert stopper.best_epoch == best
    assert history.epochs == best + 1 + 3 == stopper.stopped_epoch + 1
    assert model.state_dict() == states[best] != states[-1]


def test_early_stopping_without_restore_keeps_the_last_weights() -> None:
    model, history, states = _train([EarlyStopping(patience=2, restore_best=False)])
    assert history.epochs == _best(history["val_loss"]) + 1 + 2
    assert model.state_dict() == states[-1]


def test_early_stopping_on_accuracy_maximizes_and_never_stops_an_improving_run() -> None:
    stopper = EarlyStopping("accuracy", patience=20)
    _, history, _ = _train([stopper], epochs=5, val=Y)
    assert history.epochs == 5 and stopper.stopped_epoch is None
    assert stopper.best_score == max(history["accuracy"])


def test_a_monitor_fit_does_not_record_is_an_error_before_training() -> None:
    model = MLP(2, [4, 1], seed=1)
    before = model.state_dict()
    with pytest.raises(ValueError, match=r"not 'val_loss' \(did you pass val_data"):
        fit(model, X, Y, losses.mse, optim.SGD(model.parameters(), lr=0.1), epochs=3,
            progress=False, callbacks=[EarlyStopping()])  # fmt: skip
    assert model.state_dict() == before
    with pytest.raises(ValueError, match="patience must be an int >= 1"):
        EarlyStopping(patience=0)
    with pytest.raises(ValueError, match="mode must be"):
        ModelCheckpoint("m.json", mode="lowest")


def test_model_checkpoint_keeps_the_best_model_on_disk(tmp_path: Path) -> None:
    path = tmp_path / "best.json"
    checkpoint = ModelCheckpoint(path, monitor="val_loss")
    _, history, states = _train([checkpoint], epochs=8)
    best = _best(history["val_loss"])
    improvements = [
        e for e in range(8) if history["val_loss"][e] < min([*history["val_loss"][:e], 9.0])
    ]
    assert improvements[-1] == best
    assert checkpoint.saved == [str(path)] * len(improvements)
    assert MLP(2, [4, 1]).load(path).state_dict() == states[best]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["best.json"]  # no temporary left


def test_model_checkpoint_names_files_from_epoch_and_scores(tmp_path: Path) -> None:
    pattern = str(tmp_path / "m-{epoch:02d}-{val_loss:.3f}.json")
    checkpoint = ModelCheckpoint(pattern, save_best_only=False)
    _, history, states = _train([checkpoint], epochs=3)
    expected = [pattern.format(epoch=e, val_loss=history["val_loss"][e]) for e in range(3)]
    assert checkpoint.saved == expected
    document = json.loads(Path(expected[2]).read_text())
    assert document["parameters"] == states[2]


def test_tensorboard_event_files_read_back_with_tensorboards_reader(tmp_path: Path) -> None:
    require("tensorboard")
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

    model = MLP(2, [3, 1], seed=0)
    optimizer = optim.SGD(model.parameters(), lr=0.2)
    grads: list[list[float]] = []
    weights: list[list[float]] = []

    def keep(epoch: int, history: History) -> None:
        first_layer = [p for name, p in model.named_parameters() if name.startswith("layers.0.")]
        weights.append([p.data for p in first_layer if ".w." in p.label])
        grads.append([p.grad for p in first_layer if ".w." in p.label])
        optimizer.lr = optimizer.lr / 2  # a schedule, so the logged rate changes

    history = fit(model, X, Y, losses.binary_cross_entropy_with_logits, optimizer, epochs=3,
                  batch_size=4, val_data=(X, Y), progress=False, seed=0,
                  callbacks=[keep, TensorBoard(tmp_path)])  # fmt: skip

    events = EventAccumulator(str(tmp_path), size_guidance={"scalars": 0, "histograms": 0})
    events.Reload()
    tags = events.Tags()
    assert set(tags["scalars"]) == {
        "train/loss", "train/accuracy", "val/loss", "val/accuracy", "learning_rate"
    }  # fmt: skip
    for tag, name in [("train/loss", "loss"), ("val/loss", "val_loss"),
                      ("val/accuracy", "val_accuracy")]:  # fmt: skip
        scalars = events.Scalars(tag)
        assert [s.step for s in scalars] == [1, 2, 3]
        assert [s.value for s in scalars] == pytest.approx(history[name], rel=1e-6)
    rates = [s.value for s in events.Scalars("learning_rate")]
    assert rates == pytest.approx([0.1, 0.05, 0.025], rel=1e-7)  # float32 in the file

    assert set(tags["histograms"]) == {
        f"{kind}/layers.{i}.{p}" for kind in ("weights", "gradients") for i in (0, 1)
        for p in ("w", "b")
    }  # fmt: skip
    for tag, numbers in [("weights/layers.0.w", weights), ("gradients/layers.0.w", grads)]:
        for event, expected in zip(events.Histograms(tag), numbers):
            histogram = event.histogram_value
            assert histogram.num == len(expected) == 6
            assert histogram.min == min(expected) and histogram.max == max(expected)
            assert histogram.sum == pytest.approx(sum(expected), rel=1e-12)
            assert sum(histogram.bucket) == 6
