"""The callback mechanism of `fit`: milestones in order, stopping, plain functions."""

from __future__ import annotations

import pytest

from nn import MLP, fit, losses, optim
from nn.callbacks import Callback, TrainingRun

X = [[0.0, 1.0], [1.0, 0.0], [1.0, 1.0], [0.0, 0.0], [0.5, 0.5]]
Y = [1.0, 1.0, 0.0, 0.0, 1.0]


class Recorder(Callback):
    def __init__(self) -> None:
        self.events: list[tuple[str, int, int]] = []

    def on_train_begin(self, run: TrainingRun) -> None:
        self.events.append(("train_begin", run.epoch, run.history.epochs))

    def on_epoch_begin(self, run: TrainingRun) -> None:
        self.events.append(("epoch_begin", run.epoch, run.history.epochs))

    def on_batch_end(self, run: TrainingRun) -> None:
        self.events.append(("batch_end", run.epoch, run.batch))

    def on_epoch_end(self, run: TrainingRun) -> None:
        self.events.append(("epoch_end", run.epoch, run.history.epochs))

    def on_train_end(self, run: TrainingRun) -> None:
        self.events.append(("train_end", run.epoch, run.history.epochs))


def _fit(callbacks: list[object], epochs: int = 2) -> object:
    model = MLP(2, [3, 1], seed=0)
    return fit(
        model,
        X,
        Y,
        losses.mse,
        optim.SGD(model.parameters(), lr=0.1),
        epochs=epochs,
        batch_size=2,
        val_data=(X, Y),
        progress=False,
        callbacks=callbacks,  # type: ignore[arg-type]
    )


def test_milestones_come_in_order_with_the_history_filled_in() -> None:
    recorder = Recorder()
    _fit([recorder])
    per_epoch = [("batch_end", e, b) for e in (0, 1) for b in (0, 1, 2)]
    assert recorder.events == [
        ("train_begin", 0, 0),
        ("epoch_begin", 0, 0),
        *per_epoch[:3],
        ("epoch_end", 0, 1),
        ("epoch_begin", 1, 1),
        *per_epoch[3:],
        ("epoch_end", 1, 2),
        ("train_end", 1, 2),
    ]


def test_a_callback_can_stop_training_after_an_epoch() -> None:
    class StopAtOnce(Callback):
        def on_epoch_end(self, run: TrainingRun) -> None:
            run.stop("enough")
            assert run.scores["val_loss"] == run.history["val_loss"][-1]

    history = _fit([StopAtOnce()], epochs=5)
    assert history.epochs == 1  # type: ignore[attr-defined]


def test_batch_numbers_are_those_of_the_step_just_taken() -> None:
    losses_seen: list[float] = []

    class Batches(Callback):
        def on_batch_end(self, run: TrainingRun) -> None:
            assert run.batch_size == (1 if run.batch == 2 else 2)
            losses_seen.append(run.batch_loss)

    history = _fit([Batches()], epochs=1)
    sizes = [2, 2, 1]
    mean = sum(loss * size for loss, size in zip(losses_seen, sizes)) / len(X)
    assert history["loss"] == [pytest.approx(mean, rel=1e-12)]  # type: ignore[index]


def test_plain_functions_run_at_each_epoch_end() -> None:
    seen: list[int] = []
    _fit([lambda epoch, history: seen.append(epoch)], epochs=3)
    assert seen == [0, 1, 2]


def test_a_class_instead_of_an_instance_is_refused_before_training() -> None:
    with pytest.raises(TypeError, match=r"Recorder\(\), not the class"):
        _fit([Recorder])
    with pytest.raises(TypeError, match="must be a Callback or a function"):
        _fit([3])
