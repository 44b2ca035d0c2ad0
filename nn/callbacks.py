"""Callbacks: the one way to watch or steer `fit` (progress, plots, early stopping, logs).

`fit(..., callbacks=[...])` calls each callback at the same milestones, in list order:
`on_train_begin`, then per epoch `on_epoch_begin`, `on_batch_end` after every optimizer
step, `on_epoch_end` once the epoch's scores are in the History, and `on_train_end`
(also after an interrupted or stopped run). Each receives the same `TrainingRun`, which
says where training is and lets a callback stop it with `run.stop()`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from nn.module import Module
    from nn.optim import Optimizer
    from nn.training import History

__all__ = ["Callback", "EpochEndFunction", "ProgressBar", "TrainingRun", "as_callbacks"]


@dataclass
class TrainingRun:
    """What a callback sees: the model, its optimizer, the History so far, and where we are.

    `epoch` counts from 0; `batch` is the index of the batch just done within the epoch;
    `batch_loss` its loss and `batch_size` its number of examples. `scores` holds the
    epoch's numbers (`loss`, `val_loss`, ...) once `on_epoch_end` is called.
    """

    model: Module
    optimizer: Optimizer
    history: History
    epochs: int
    epoch: int = 0
    batch: int = 0
    batch_loss: float = float("nan")
    batch_size: int = 0
    stop_requested: bool = False
    stop_reason: str = ""

    @property
    def scores(self) -> dict[str, float]:
        """The latest epoch's numbers, flat: `loss`, `accuracy`, `val_loss`, ..."""
        return {name: values[-1] for name, values in self.history.as_dict().items() if values}

    def stop(self, reason: str = "") -> None:
        """Ask `fit` to stop after the current epoch (what early stopping does)."""
        self.stop_requested = True
        self.stop_reason = reason


class Callback:
    """Base class: override the milestones you need; each gets the `TrainingRun`."""

    def on_train_begin(self, run: TrainingRun) -> None:
        """Before the first epoch."""

    def on_epoch_begin(self, run: TrainingRun) -> None:
        """Before each epoch's first batch."""

    def on_batch_end(self, run: TrainingRun) -> None:
        """After each optimizer step."""

    def on_epoch_end(self, run: TrainingRun) -> None:
        """After each epoch, with its training and validation scores in `run.history`."""

    def on_train_end(self, run: TrainingRun) -> None:
        """After the last epoch, or after training was stopped or interrupted."""


class EpochEndFunction(Callback):
    """A plain function `f(epoch, history)` called at the end of every epoch."""

    def __init__(self, function: Callable[[int, History], Any]) -> None:
        self.function = function

    def on_epoch_end(self, run: TrainingRun) -> None:
        self.function(run.epoch, run.history)

    def __repr__(self) -> str:
        return f"EpochEndFunction({getattr(self.function, '__name__', self.function)!r})"


class ProgressBar(Callback):
    """A tqdm bar over epochs with the latest scores, when tqdm is installed; else silent."""

    def __init__(self) -> None:
        self.bar: Any = None

    def on_train_begin(self, run: TrainingRun) -> None:
        try:
            from tqdm.auto import tqdm
        except ImportError:
            return
        self.bar = tqdm(total=run.epochs, desc="fit", unit="epoch")

    def on_epoch_end(self, run: TrainingRun) -> None:
        if self.bar is not None:
            self.bar.set_postfix({name: f"{value:.4g}" for name, value in run.scores.items()})
            self.bar.update(1)

    def on_train_end(self, run: TrainingRun) -> None:
        if self.bar is not None:
            self.bar.close()
            self.bar = None


def as_callbacks(callbacks: Iterable[Callback | Callable[[int, History], Any]]) -> list[Callback]:
    """`callbacks` as a list of Callback objects (a plain function runs at each epoch's end)."""
    if isinstance(callbacks, Callback) or callable(callbacks):
        callbacks = [callbacks]
    result: list[Callback] = []
    for callback in callbacks:
        if isinstance(callback, Callback):
            result.append(callback)
        elif isinstance(callback, type) and issubclass(callback, Callback):
            raise TypeError(
                f"callbacks takes instances: write {callback.__name__}(), not the class"
            )
        elif callable(callback):
            result.append(EpochEndFunction(callback))
        else:
            raise TypeError(f"a callback must be a Callback or a function, got {callback!r}")
    return result
