"""Callbacks: the one way to watch or steer `fit` (progress, plots, early stopping, logs).

`fit(..., callbacks=[...])` calls each callback at the same milestones, in list order:
`on_train_begin`, then per epoch `on_epoch_begin`, `on_batch_end` after every optimizer
step, `on_epoch_end` once the epoch's scores are in the History, and `on_train_end`
(also after an interrupted or stopped run). Each receives the same `TrainingRun`, which
says where training is and lets a callback stop it with `run.stop()`.
"""

from __future__ import annotations

import io
import math
import os
import sys
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, TextIO

if TYPE_CHECKING:
    from autograd import Value
    from nn.module import Module
    from nn.optim import Optimizer
    from nn.training import History

__all__ = [
    "Callback",
    "EarlyStopping",
    "EpochEndFunction",
    "LivePlot",
    "ModelCheckpoint",
    "ProgressBar",
    "TensorBoard",
    "TrainingRun",
    "as_callbacks",
]


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


class _Best:
    """The best score of one monitored number so far ("min" for losses, "max" otherwise)."""

    def __init__(self, monitor: str, mode: str, min_delta: float) -> None:
        if mode not in ("auto", "min", "max"):
            raise ValueError(f"mode must be 'auto', 'min' or 'max', got {mode!r}")
        if not isinstance(min_delta, (int, float)) or isinstance(min_delta, bool) or min_delta < 0:
            raise ValueError(f"min_delta must be a number >= 0, got {min_delta!r}")
        self.monitor = monitor
        self.mode = mode if mode != "auto" else ("min" if monitor.endswith("loss") else "max")
        self.min_delta = float(min_delta)
        self.reset()

    def reset(self) -> None:
        self.score = float("inf") if self.mode == "min" else float("-inf")
        self.epoch = -1

    def check_known(self, run: TrainingRun, who: str) -> None:
        known = run.history.as_dict()
        if self.monitor not in known:
            names = ", ".join(repr(name) for name in known)
            hint = "" if self.monitor[:4] != "val_" else " (did you pass val_data to fit?)"
            raise ValueError(f"{who}: fit records {names}, not {self.monitor!r}{hint}")

    def improved(self, run: TrainingRun) -> bool:
        """Whether this epoch's score beats the best by more than `min_delta` (then keep it)."""
        score = run.scores[self.monitor]
        if self.mode == "min":
            better = score < self.score - self.min_delta
        else:
            better = score > self.score + self.min_delta
        if better:
            self.score, self.epoch = score, run.epoch
        return better


class EarlyStopping(Callback):
    """Stop when `monitor` has not improved for `patience` epochs in a row.

    With `restore_best` the model gets back the parameters of its best epoch when training
    ends. `mode` "auto" minimizes names ending in "loss" and maximizes the rest (accuracy);
    an improvement must exceed `min_delta`. `best_epoch` and `stopped_epoch` say what happened.
    """

    def __init__(
        self,
        monitor: str = "val_loss",
        patience: int = 5,
        restore_best: bool = True,
        *,
        min_delta: float = 0.0,
        mode: str = "auto",
    ) -> None:
        if isinstance(patience, bool) or not isinstance(patience, int) or patience < 1:
            raise ValueError(f"patience must be an int >= 1, got {patience!r}")
        self.monitor = monitor
        self.patience = patience
        self.restore_best = restore_best
        self._best = _Best(monitor, mode, min_delta)
        self._best_state: dict[str, float] | None = None
        self._waited = 0
        self.stopped_epoch: int | None = None

    @property
    def best_epoch(self) -> int | None:
        """The (0-based) epoch with the best score, None before any."""
        return None if self._best.epoch < 0 else self._best.epoch

    @property
    def best_score(self) -> float:
        """The best score seen (inf or -inf before any)."""
        return self._best.score

    def on_train_begin(self, run: TrainingRun) -> None:
        self._best.check_known(run, "EarlyStopping")
        self._best.reset()
        self._best_state = None
        self._waited = 0
        self.stopped_epoch = None

    def on_epoch_end(self, run: TrainingRun) -> None:
        if self._best.improved(run):
            self._waited = 0
            if self.restore_best:
                self._best_state = run.model.state_dict()
            return
        self._waited += 1
        if self._waited >= self.patience:
            self.stopped_epoch = run.epoch
            run.stop(
                f"{self.monitor} has not improved for {self._waited} epochs "
                f"(best {self._best.score:.4g} at epoch {self._best.epoch})"
            )

    def on_train_end(self, run: TrainingRun) -> None:
        if self._best_state is not None:
            run.model.load_state_dict(self._best_state)

    def __repr__(self) -> str:
        return (
            f"EarlyStopping(monitor={self.monitor!r}, patience={self.patience}, "
            f"restore_best={self.restore_best})"
        )


class ModelCheckpoint(Callback):
    """Save the model to `path` (atomically, with `Module.save`) whenever `monitor` improves.

    `path` may hold `{epoch}` and score names, e.g. "ckpt-{epoch:03d}-{val_loss:.3f}.json",
    to keep one file per improvement. `save_best_only=False` saves after every epoch.
    `saved` lists the files written, in order.
    """

    def __init__(
        self,
        path: str | os.PathLike[str],
        monitor: str = "val_loss",
        *,
        save_best_only: bool = True,
        mode: str = "auto",
        min_delta: float = 0.0,
    ) -> None:
        self.path = os.fspath(path)
        self.monitor = monitor
        self.save_best_only = save_best_only
        self._best = _Best(monitor, mode, min_delta)
        self.saved: list[str] = []

    def on_train_begin(self, run: TrainingRun) -> None:
        if self.save_best_only:
            self._best.check_known(run, "ModelCheckpoint")
        self._best.reset()
        self.saved = []

    def on_epoch_end(self, run: TrainingRun) -> None:
        if self.save_best_only and not self._best.improved(run):
            return
        target = self.path.format(epoch=run.epoch, **run.scores)
        run.model.save(target)
        self.saved.append(target)

    def __repr__(self) -> str:
        return f"ModelCheckpoint({self.path!r}, monitor={self.monitor!r})"


def _parameter_groups(model: Module) -> dict[str, list[Value]]:
    """Parameters grouped per layer and kind: `layers.0.neurons.3.w.1` goes to `layers.0.w`.

    Trailing indices and `neurons.<i>` are dropped from the dotted name, so every neuron's
    weights of one layer share a histogram, and its biases another.
    """
    groups: dict[str, list[Value]] = {}
    for name, parameter in model.named_parameters():
        parts = name.split(".")
        while len(parts) > 1 and parts[-1].isdigit():
            parts.pop()
        kept: list[str] = []
        index = 0
        while index < len(parts):
            if parts[index] == "neurons" and index + 1 < len(parts) and parts[index + 1].isdigit():
                index += 2
                continue
            kept.append(parts[index])
            index += 1
        groups.setdefault(".".join(kept), []).append(parameter)
    return groups


def _histogram(numbers: list[float], buckets: int = 30) -> Any:
    """A TensorBoard HistogramProto of `numbers` with equal-width buckets."""
    from tensorboard.compat.proto.summary_pb2 import HistogramProto

    low, high = min(numbers), max(numbers)
    width = (high - low) / buckets if high > low else 1.0
    counts = [0.0] * buckets
    for x in numbers:
        counts[min(int((x - low) / width), buckets - 1)] += 1.0
    return HistogramProto(
        min=low,
        max=high,
        num=float(len(numbers)),
        sum=math.fsum(numbers),
        sum_squares=math.fsum(x * x for x in numbers),
        bucket_limit=[low + width * (i + 1) for i in range(buckets)],
        bucket=counts,
    )


class TensorBoard(Callback):
    """Write TensorBoard event files to `log_dir`: run `tensorboard --logdir <log_dir>`.

    After each epoch (step = epochs done): scalars `train/loss`, `val/loss`, each metric
    (`train/accuracy`, ...) and `learning_rate`; with `histograms`, the weights and the
    gradients of each layer (`weights/layers.0.w`, `gradients/layers.0.w`, ...; gradients
    are those of the epoch's last batch). Needs `pip install 'glassgrad[tensorboard]'`.
    """

    def __init__(self, log_dir: str | os.PathLike[str], *, histograms: bool = True) -> None:
        self.log_dir = os.fspath(log_dir)
        self.histograms = histograms
        self._writer: Any = None

    def on_train_begin(self, run: TrainingRun) -> None:
        try:
            from tensorboard.summary.writer.event_file_writer import EventFileWriter
        except ImportError:
            raise ImportError(
                "the TensorBoard callback needs the tensorboard package: "
                "pip install 'glassgrad[tensorboard]'"
            ) from None
        os.makedirs(self.log_dir, exist_ok=True)
        self._writer = EventFileWriter(self.log_dir)

    def on_epoch_end(self, run: TrainingRun) -> None:
        from tensorboard.compat.proto.event_pb2 import Event
        from tensorboard.compat.proto.summary_pb2 import Summary

        values = []
        for name, score in run.scores.items():
            tag = f"val/{name[4:]}" if name.startswith("val_") else f"train/{name}"
            values.append(Summary.Value(tag=tag, simple_value=score))
        values.append(Summary.Value(tag="learning_rate", simple_value=run.optimizer.lr))
        if self.histograms:
            for group, parameters in _parameter_groups(run.model).items():
                weights = [p.data for p in parameters]
                gradients = [p.grad for p in parameters]
                values.append(Summary.Value(tag=f"weights/{group}", histo=_histogram(weights)))
                values.append(Summary.Value(tag=f"gradients/{group}", histo=_histogram(gradients)))
        event = Event(wall_time=time.time(), step=run.epoch + 1, summary=Summary(value=values))
        self._writer.add_event(event)
        self._writer.flush()

    def on_train_end(self, run: TrainingRun) -> None:
        if self._writer is not None:
            self._writer.close()
            self._writer = None

    def __repr__(self) -> str:
        return f"TensorBoard({self.log_dir!r})"


class LivePlot(Callback):
    """Training curves redrawn in place every epoch in Jupyter; a progress line elsewhere.

    In a notebook, one picture is updated after each `every` epochs: the loss and each
    metric (train and validation), and, given the points `X, y` of a 2-input model, its
    decision boundary. Outside Jupyter (a script, a terminal, a test) each such epoch prints
    one plain line, `epoch 3/20  loss 0.4123  accuracy 0.85  ...`, to `file` (stdout).
    `notebook` forces one mode or the other (None: detect). Needs matplotlib in Jupyter.
    """

    def __init__(
        self,
        X: Sequence[Sequence[float]] | None = None,
        y: Sequence[Any] | None = None,
        *,
        every: int = 1,
        resolution: int = 30,
        notebook: bool | None = None,
        file: TextIO | None = None,
    ) -> None:
        if isinstance(every, bool) or not isinstance(every, int) or every < 1:
            raise ValueError(f"LivePlot: every must be a positive int, got {every!r}")
        if (X is None) != (y is None):
            raise ValueError("LivePlot: pass both X and y (for the decision boundary), or neither")
        if X is not None and y is not None and len(X) != len(y):
            raise ValueError(f"LivePlot: X has {len(X)} points but y has {len(y)} labels")
        self.X, self.y = X, y
        self.every = every
        self.resolution = resolution
        self.notebook = notebook
        self.file = file
        self.frames = 0
        """How many times the picture (or the line) was drawn."""
        self._handle: Any = None

    def on_train_begin(self, run: TrainingRun) -> None:
        self.frames = 0
        self._handle = None
        if self.notebook is None:
            self.notebook = _in_notebook()

    def on_epoch_end(self, run: TrainingRun) -> None:
        epoch = run.epoch + 1
        if epoch % self.every and epoch != run.epochs and not run.stop_requested:
            return
        self.frames += 1
        if self.notebook:
            self._show(self.picture(run))
        else:
            scores = "  ".join(f"{name} {value:.4g}" for name, value in run.scores.items())
            print(f"epoch {epoch}/{run.epochs}  {scores}", file=self.file or sys.stdout)

    def picture(self, run: TrainingRun) -> bytes:
        """The current picture as PNG bytes."""
        from nn import plot

        names = plot.history_panels(run.history)
        boundary = self.X is not None and self.y is not None and _two_inputs(run.model)
        panels = len(names) + (1 if boundary else 0)
        fig = plot._figure(4.2 * panels, 3.4)
        axes = list(fig.subplots(1, panels, squeeze=False)[0])
        plot.draw_history(axes, run.history, names)
        if boundary and self.X is not None and self.y is not None:
            plot.draw_boundary(axes[-1], run.model, self.X, self.y, resolution=self.resolution)
            axes[-1].set_title(f"decision boundary, epoch {run.epoch + 1}")
        buffer = io.BytesIO()
        fig.savefig(buffer, format="png", dpi=80)
        return buffer.getvalue()

    def _show(self, png: bytes) -> None:
        from IPython.display import Image, display

        image = Image(data=png, format="png")  # type: ignore[no-untyped-call]
        if self._handle is None:
            self._handle = display(image, display_id=True)  # type: ignore[no-untyped-call]
        else:
            self._handle.update(image)

    def __repr__(self) -> str:
        return f"LivePlot(every={self.every})"


def _in_notebook() -> bool:
    """True inside a Jupyter kernel (where a picture can be shown and updated)."""
    shell = sys.modules.get("IPython")
    if shell is None:
        return False
    try:
        from IPython import get_ipython
    except ImportError:
        return False
    ipython = get_ipython()
    return ipython is not None and type(ipython).__name__ == "ZMQInteractiveShell"


def _two_inputs(model: Any) -> bool:
    layers = getattr(model, "layers", None)
    first = layers[0] if layers else model
    return getattr(first, "nin", None) == 2
