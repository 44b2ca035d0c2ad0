"""The training loop: `fit` a model, keep a `History`, and score with `cross_validate`.

`fit` is the loop every tutorial writes by hand (forward, loss, backward, step, per
batch), plus the bookkeeping: per-epoch loss and metrics on the training data (averaged
over the epoch's batches, as they were computed) and on validation data (computed after
the epoch, in eval mode, under `no_grad()`), and a tqdm progress bar when tqdm is there.
"""

from __future__ import annotations

import functools
import math
import numbers
import random
import signal
import sys
import threading
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from autograd import Program, Value, no_grad
from nn import losses
from nn.callbacks import Callback, ProgressBar, TrainingRun, as_callbacks
from nn.data import batches, kfold
from nn.module import Module, is_frozen
from nn.optim import Optimizer
from nn.parallel import run_jobs

__all__ = ["METRICS", "History", "accuracy", "cross_validate", "fit", "predict"]

Output = float | list[float]
"""One example's prediction as plain numbers: a float, or a list for several outputs."""
Loss = Callable[[Any, Any], Value]
Metric = Callable[[Sequence[Any], Sequence[Any]], float]


def _number(x: Value | float) -> float:
    return x.data if isinstance(x, Value) else float(x)


def _as_output(prediction: Any) -> Output:
    """A model's output (a Value or a list of Values) as plain floats."""
    if isinstance(prediction, (list, tuple)):
        return [_number(p) for p in prediction]
    return _number(prediction)


def accuracy(
    predictions: Sequence[Any], targets: Sequence[Any], threshold: float | None = None
) -> float:
    """The fraction of examples classified correctly.

    A list of outputs per example is read as class scores (argmax vs a class index).
    A single output is read as a binary decision: `> threshold` means the positive class
    (1, or +1 for -1/+1 targets). Without a threshold: 0 when the targets are -1/+1,
    else 0.5 (probabilities, or 0/1 regression). For logits, pass `threshold=0.0`.
    """
    if len(predictions) != len(targets):
        raise ValueError(f"accuracy: {len(predictions)} predictions but {len(targets)} targets")
    if not targets:
        raise ValueError("accuracy of an empty set is undefined")
    if threshold is None:
        threshold = 0.0 if any(_number(t) < 0.0 for t in targets) else 0.5
    correct = 0
    for prediction, target in zip(predictions, targets):
        output = _as_output(prediction)
        if isinstance(output, list):
            guess = max(range(len(output)), key=output.__getitem__)
            correct += guess == target
        else:
            correct += (output > threshold) == (_number(target) > 0.0)
    return correct / len(targets)


METRICS: dict[str, Metric] = {"accuracy": accuracy}
"""Metric name -> function(predictions, targets) -> float, for `fit(metrics=...)`."""

# Losses whose single-output predictions are logits: positive means class 1.
_LOGIT_LOSSES: set[Callable[..., Value]] = {
    losses.binary_cross_entropy_with_logits,
    losses.hinge,
}


def _threshold_for(loss: Callable[..., Any]) -> float | None:
    while isinstance(loss, functools.partial):
        loss = loss.func
    return 0.0 if loss in _LOGIT_LOSSES else None


def _resolve_metrics(metrics: Iterable[str | Metric], threshold: float | None) -> dict[str, Metric]:
    if isinstance(metrics, str):
        metrics = (metrics,)
    resolved: dict[str, Metric] = {}
    for metric in metrics:
        if isinstance(metric, str):
            if metric not in METRICS:
                known = ", ".join(repr(name) for name in METRICS)
                raise ValueError(f"unknown metric {metric!r}: choose one of {known}")
            function = METRICS[metric]
            if function is accuracy:
                function = functools.partial(accuracy, threshold=threshold)
            resolved[metric] = function
        elif callable(metric):
            resolved[getattr(metric, "__name__", f"metric{len(resolved)}")] = metric
        else:
            raise TypeError(f"a metric must be a name or a function, got {metric!r}")
    if "loss" in resolved:
        raise ValueError("'loss' is always recorded; it cannot be a metric name")
    return resolved


@dataclass
class History:
    """Per-epoch numbers from `fit`: `train["loss"]`, `val["accuracy"]`, ...

    `train` and `val` map "loss" and each metric name to one value per epoch (`val` is
    empty without validation data). `history["val_loss"]` is the Keras-style spelling.
    """

    train: dict[str, list[float]] = field(default_factory=dict)
    val: dict[str, list[float]] = field(default_factory=dict)
    interrupted: bool = False
    """True when training was stopped by Ctrl-C (KeyboardInterrupt): the History holds
    the epochs completed before it, and the model the last whole optimizer step."""

    @property
    def epochs(self) -> int:
        """How many epochs have been recorded."""
        return len(self.train.get("loss", []))

    def __getitem__(self, key: str) -> list[float]:
        if key.startswith("val_"):
            return self.val[key[4:]]
        return self.train[key]

    def as_dict(self) -> dict[str, list[float]]:
        """Everything in one flat dict: `loss`, `accuracy`, `val_loss`, `val_accuracy`, ..."""
        flat = dict(self.train)
        flat.update({f"val_{name}": values for name, values in self.val.items()})
        return flat

    def __repr__(self) -> str:
        last = ", ".join(
            f"{name}={values[-1]:.4g}" for name, values in self.as_dict().items() if values
        )
        stopped = ", interrupted=True" if self.interrupted else ""
        return f"History(epochs={self.epochs}{', ' if last else ''}{last}{stopped})"

    def _keep_whole_epochs(self) -> None:
        """Drop the numbers of an epoch that was cut short, so every list has one per epoch."""
        lists = [*self.train.values(), *self.val.values()]
        whole = min((len(values) for values in lists), default=0)
        for values in lists:
            del values[whole:]


def _put_back_mode(model: Module, training: bool) -> None:
    """`model.train(training)`, done once more if Ctrl-C stops it half way through the layers,
    so that no layer is left in the other mode (Dropout on at test time)."""
    try:
        model.train(training)
    except BaseException:
        model.train(training)
        raise


def predict(model: Module, X: Sequence[Sequence[float]]) -> list[Output]:
    """The model's outputs on `X` as floats, in eval mode and without recording a graph."""
    was_training = model.training
    try:
        model.eval()  # inside the try: Ctrl-C half way through still puts every layer back
        with no_grad():
            return [_as_output(model(x)) for x in X]
    finally:
        _put_back_mode(model, was_training)


def _evaluate(
    model: Module,
    X: Sequence[Sequence[float]],
    y: Sequence[Any],
    loss: Loss,
    metrics: dict[str, Metric],
) -> dict[str, float]:
    was_training = model.training
    try:
        model.eval()  # inside the try: Ctrl-C half way through still puts every layer back
        with no_grad():
            predictions = [model(x) for x in X]
            scores = {"loss": _loss_value(loss, predictions, y)}
    finally:
        _put_back_mode(model, was_training)
    outputs = [_as_output(p) for p in predictions]
    scores.update((name, float(metric(outputs, y))) for name, metric in metrics.items())
    return scores


def _loss_value(loss: Loss, predictions: list[Any], targets: Sequence[Any]) -> float:
    result = loss(predictions, list(targets))
    if not isinstance(result, Value):
        raise TypeError(f"the loss must return a Value, got {type(result).__name__}")
    return result.data


_ONLY_FLOATS = frozenset({float})


def _check_rows(X: Sequence[Any], name: str) -> None:
    """When the first row is a flat list of numbers, every row must be one of that length."""
    first = X[0]
    if not isinstance(first, (list, tuple)) or not all(
        isinstance(x, numbers.Real) and not isinstance(x, bool) for x in first
    ):
        return  # sequences, tokens, images...: the model checks its own inputs
    width = len(first)
    for i, row in enumerate(X):
        if not isinstance(row, (list, tuple)) or len(row) != width:
            size = len(row) if isinstance(row, (list, tuple)) else type(row).__name__
            raise ValueError(f"fit: {name}[{i}] has {size} numbers, {name}[0] has {width}")
        # A row of floats with a finite sum is finite throughout: no look at each number.
        if set(map(type, row)) <= _ONLY_FLOATS and -math.inf < sum(row) < math.inf:
            continue
        for x in row:
            if isinstance(x, bool) or not isinstance(x, numbers.Real) or not math.isfinite(x):
                raise ValueError(f"fit: {name}[{i}] holds {x!r}, not a finite number")


def _distinct(labels: Sequence[Any]) -> list[Any]:
    """Each label once, in order of first appearance (all of them if they are unhashable).

    Keyed by type too: 1, 1.0 and True are equal as dict keys but not to every loss.
    """
    try:
        return [label for _, label in dict.fromkeys((type(v), v) for v in labels)]
    except TypeError:  # lists as targets
        return list(labels)


def _check_data(
    model: Module,
    X: Sequence[Any],
    y: Sequence[Any],
    loss: Loss,
    metrics: dict[str, Metric],
    val_data: tuple[Sequence[Any], Sequence[Any]] | None,
) -> None:
    """Every problem with the data, found before the first step rather than epochs in.

    Training rows are checked for shape, and every label against the loss (with the first
    example's prediction standing in for all, so a class index out of range in the last
    batch is caught now; each distinct label once). Validation data gets one full
    evaluation, as after an epoch.
    """
    _check_rows(X, "X")
    labels = _distinct(y)
    was_training = model.training
    try:
        model.eval()  # inside the try: Ctrl-C half way through still puts every layer back
        with no_grad():
            first = model(X[0])
            _loss_value(loss, [first] * len(labels), labels)
    except (ValueError, TypeError, IndexError, KeyError) as error:
        raise type(error)(f"fit: the training data does not fit the loss: {error}") from error
    finally:
        _put_back_mode(model, was_training)
    if val_data is None:
        return
    X_val, y_val = val_data
    if len(X_val) != len(y_val):
        raise ValueError(f"fit: val_data has {len(X_val)} examples but {len(y_val)} labels")
    if len(X_val) == 0:
        raise ValueError("fit: val_data is empty")
    _check_rows(X_val, "X_val")
    try:
        _evaluate(model, X_val, y_val, loss, metrics)
    except (ValueError, TypeError, IndexError, KeyError) as error:
        raise type(error)(f"fit: val_data cannot be evaluated: {error}") from error


def _train_batch(
    model: Module,
    loss: Loss,
    optimizer: Optimizer,
    X_batch: list[Any],
    y_batch: list[Any],
    program: Program | None = None,
) -> tuple[float, list[Any]]:
    """One step: zero the gradients, predict, loss, backward, optimizer step.

    With a `program` (the traced forward pass of the model over a batch, see
    `compiled_forward`) the predictions come from it and the loss's gradient with respect
    to them flows back through it; the numbers are the same.
    """
    optimizer.zero_grad()
    if program is None:
        predictions = [model(x) for x in X_batch]
        value = loss(predictions, y_batch)
        if not isinstance(value, Value):
            raise TypeError(f"the loss must return a Value, got {type(value).__name__}")
        value.backward()
    else:
        outputs, pullback = program.vjp([list(x) for x in X_batch])
        predictions = [_as_leaves(output) for output in outputs]
        value = loss(predictions, y_batch)
        if not isinstance(value, Value):
            raise TypeError(f"the loss must return a Value, got {type(value).__name__}")
        value.backward()
        pullback([_grads_of(prediction) for prediction in predictions])
    optimizer.step()
    return value.data, predictions


def compiled_forward(model: Module) -> Program:
    """The model's forward pass over a batch, `[model(x) for x in X]`, as a traced program.

    `fit(compile=True)` uses it: traced once per batch shape, then run as plain Python
    for each batch. The loss stays interpreted (it reads targets: class indices, labels),
    which costs little next to the model.
    """

    def forward(X: list[Any]) -> list[Any]:
        return [model(x) for x in X]

    return Program(forward, argnums=(), rows=True)  # rows: compiling is part of training


RETRACE_CHECK_AFTER = 4
"""`fit(compile=True)` looks at how often it traced after this many batches (see below)."""


def _retraces_too_often(program: Program, batches_run: int) -> bool:
    """True when the program traced again at more than half of its first batches.

    A graph that depends on the data's values (max pooling, `max` over scores: comparisons,
    which `trace` turns into guards) comes out different for nearly every batch, and each
    new trace costs more than interpreting the batch would.
    """
    return batches_run == RETRACE_CHECK_AFTER and program.traces > batches_run // 2


def _as_leaves(output: Any) -> Any:
    if isinstance(output, list):
        return [Value(o) for o in output]
    return Value(output)


def _grads_of(prediction: Any) -> Any:
    if isinstance(prediction, list):
        return [p.grad for p in prediction]
    return prediction.grad


class _CtrlCAtBatchEnd:
    """While `fit` trains, the first Ctrl-C asks it to stop at the end of the current batch.

    Python raises KeyboardInterrupt wherever the program happens to be; some places (the
    first instruction of a `with` block's exit, say) no code can guard, so an interrupt
    there could leave `no_grad()` switched on. Stopping at a batch boundary leaves every
    step whole and every block closed. A second Ctrl-C interrupts at once, as usual (each
    optimizer step still undoes itself if interrupted). Only the main thread gets signals,
    and a handler someone else installed is left alone: there Ctrl-C works as before.
    """

    def __init__(self) -> None:
        self.pressed = False
        self._installed = False

    def install(self) -> None:
        if (
            threading.current_thread() is threading.main_thread()
            and signal.getsignal(signal.SIGINT) is signal.default_int_handler
        ):
            signal.signal(signal.SIGINT, self._press)
            self._installed = True

    def _press(self, signum: int, frame: Any) -> None:
        self.pressed = True
        signal.signal(signal.SIGINT, signal.default_int_handler)

    def uninstall(self) -> None:
        if self._installed:
            signal.signal(signal.SIGINT, signal.default_int_handler)


def fit(
    model: Module,
    X: Sequence[Sequence[float]],
    y: Sequence[Any],
    loss: Loss,
    optimizer: Optimizer,
    epochs: int,
    batch_size: int | None = None,
    val_data: tuple[Sequence[Sequence[float]], Sequence[Any]] | None = None,
    metrics: Iterable[str | Metric] = ("accuracy",),
    progress: bool = True,
    *,
    seed: int | random.Random | None = None,
    shuffle: bool = True,
    threshold: float | None = None,
    callbacks: Iterable[Callback | Callable[[int, History], Any]] = (),
    compile: bool = False,
) -> History:
    """Train `model` on `(X, y)` for `epochs` passes and return the `History`.

    Each batch: zero the gradients, predict every example, `loss(predictions, targets)`,
    `backward()`, `optimizer.step()`. `batch_size=None` uses the whole set as one batch;
    smaller batches are reshuffled every epoch (reproducibly with `seed`) unless
    `shuffle=False`, which keeps the data's order (as hand-written loops do). `metrics` are
    names from `METRICS` or functions `(predictions, targets) -> float`; accuracy's
    decision threshold follows the loss (0 for logits) unless `threshold` is given.
    `callbacks` watch or steer training (`nn.callbacks`: early stopping, plots, logs); a
    plain function `f(epoch, history)` in the list runs after each epoch. `progress` adds a
    tqdm bar. `compile=True` traces the model's forward pass once per batch shape
    (`autograd.trace`) and runs the generated code for each batch: the same History,
    several times faster for a fixed architecture (see `compiled_forward`); a model whose
    graph changes with the data (max pooling) is noticed after a few batches and trained
    interpreted from there on, with a message.
    """
    n = len(X)
    if n != len(y):
        raise ValueError(f"fit: X has {n} examples but y has {len(y)} labels")
    if n == 0:
        raise ValueError("fit: the training set is empty")
    if not isinstance(compile, bool):
        raise TypeError(f"fit: compile must be True or False, got {compile!r}")
    if isinstance(epochs, bool) or not isinstance(epochs, int) or epochs < 0:
        raise ValueError(f"fit: epochs must be an int >= 0, got {epochs!r}")
    size = n if batch_size is None else batch_size
    if val_data is not None and (not isinstance(val_data, (tuple, list)) or len(val_data) != 2):
        raise TypeError("fit: val_data must be a pair (X_val, y_val)")
    frozen = [p for p in optimizer.params if is_frozen(p)]
    if frozen:
        names = ", ".join(p.label or "(unnamed)" for p in frozen[:3])
        raise ValueError(
            f"fit: the optimizer holds {len(frozen)} frozen parameter(s) ({names}"
            f"{', ...' if len(frozen) > 3 else ''}): build it from "
            "model.trainable_parameters()"
        )
    if threshold is None:
        threshold = _threshold_for(loss)
    metric_functions = _resolve_metrics(metrics, threshold)
    _check_data(model, X, y, loss, metric_functions, val_data)
    watchers = as_callbacks(callbacks)
    if progress:
        watchers.insert(0, ProgressBar())
    rng = seed if isinstance(seed, random.Random) else random.Random(seed)
    program = compiled_forward(model) if compile else None
    compiled_batches = 0

    history = History(train={name: [] for name in ("loss", *metric_functions)})
    if val_data is not None:
        history.val = {name: [] for name in ("loss", *metric_functions)}
    run = TrainingRun(model=model, optimizer=optimizer, history=history, epochs=epochs)
    steps_before = optimizer.steps
    was_training = model.training
    ctrl_c = _CtrlCAtBatchEnd()
    try:
        ctrl_c.install()
        model.train()
        for watcher in watchers:
            watcher.on_train_begin(run)
        for epoch in range(epochs):
            run.epoch = epoch
            for watcher in watchers:
                watcher.on_epoch_begin(run)
            total = 0.0
            outputs: list[Output] = []
            targets: list[Any] = []
            shuffled = shuffle and size < n
            for index, (X_batch, y_batch) in enumerate(
                batches(X, y, size, shuffle=shuffled, seed=rng)
            ):
                batch_loss, predictions = _train_batch(
                    model, loss, optimizer, X_batch, y_batch, program
                )
                if program is not None:
                    compiled_batches += 1
                    if _retraces_too_often(program, compiled_batches):
                        print(
                            f"fit: compile=True traced the model again at {program.traces} of "
                            f"its first {compiled_batches} batches (its comparisons, such as "
                            "max pooling's, come out differently for new data), so the rest "
                            "of training runs interpreted: the same numbers, without the "
                            "tracing",
                            file=sys.stderr,
                        )
                        program = None
                total += batch_loss * len(X_batch)
                if metric_functions:
                    outputs.extend(_as_output(p) for p in predictions)
                    targets.extend(y_batch)
                run.batch, run.batch_loss, run.batch_size = index, batch_loss, len(X_batch)
                for watcher in watchers:
                    watcher.on_batch_end(run)
                if ctrl_c.pressed:
                    raise KeyboardInterrupt  # the Ctrl-C pressed during this batch
            history.train["loss"].append(total / n)
            for name, f in metric_functions.items():
                history.train[name].append(float(f(outputs, targets)))
            if val_data is not None:
                val_scores = _evaluate(model, val_data[0], val_data[1], loss, metric_functions)
                for name, score in val_scores.items():
                    history.val[name].append(score)
            for watcher in watchers:
                watcher.on_epoch_end(run)
            if ctrl_c.pressed:
                raise KeyboardInterrupt  # pressed during validation or a callback
            if run.stop_requested:
                break
    except KeyboardInterrupt:
        # After a first Ctrl-C the last batch is whole; after a second one, each optimizer
        # step is all or nothing. Either way the model holds the last whole step.
        history.interrupted = True
        history._keep_whole_epochs()
    finally:
        ctrl_c.uninstall()
        _put_back_mode(model, was_training)
        for watcher in watchers:
            watcher.on_train_end(run)
    if history.interrupted:
        print(
            f"fit: interrupted in epoch {run.epoch + 1} of {epochs} after "
            f"{optimizer.steps - steps_before} optimizer steps; returning the History of the "
            f"{history.epochs} whole epochs (history.interrupted is True)",
            file=sys.stderr,
        )
    return history


def _fold_score(
    make_model: Callable[[], Module],
    train: tuple[list[Any], list[Any]],
    val: tuple[list[Any], list[Any]],
    loss: Loss,
    make_optimizer: Callable[[list[Value]], Optimizer],
    epochs: int,
    batch_size: int | None,
    metric: str | Metric,
    seed: int | None,
    progress: bool,
) -> float:
    """Train a fresh model on one fold's training part; its last score on the held-out part."""
    model = make_model()
    history = fit(
        model,
        train[0],
        train[1],
        loss,
        make_optimizer(model.parameters()),
        epochs,
        batch_size,
        val_data=val,
        metrics=() if metric == "loss" else (metric,),
        progress=progress,
        seed=seed,
    )
    if history.interrupted:
        raise KeyboardInterrupt  # Ctrl-C stops the whole cross-validation, not one fold
    name = metric if isinstance(metric, str) else getattr(metric, "__name__", "metric0")
    return history.val[name][-1]


def cross_validate(
    make_model: Callable[[], Module],
    X: Sequence[Sequence[float]],
    y: Sequence[Any],
    k: int = 5,
    *,
    loss: Loss,
    make_optimizer: Callable[[list[Value]], Optimizer],
    epochs: int,
    batch_size: int | None = None,
    metric: str | Metric = "accuracy",
    seed: int | None = None,
    progress: bool = False,
    n_jobs: int | None = None,
) -> list[float]:
    """Train a fresh model on each of `k` folds and score it on the held-out fold.

    `make_model()` builds an untrained model, `make_optimizer(params)` its optimizer.
    Returns one score per fold: the validation `metric` after the last epoch (`"loss"`
    for the validation loss). `n_jobs` trains the folds in parallel with joblib (-1: every
    core; inside `joblib.parallel_backend("dask")`, on a Dask cluster); the scores are the
    same whatever runs them. In parallel, the functions must be picklable (cloudpickle
    also takes lambdas, but a Dask worker must be able to import what they refer to).
    """
    if len(X) != len(y):
        raise ValueError(f"cross_validate: X has {len(X)} examples but y has {len(y)} labels")
    folds = kfold(len(X), k, seed=seed)
    jobs = [
        (
            make_model,
            ([X[i] for i in train_indices], [y[i] for i in train_indices]),
            ([X[i] for i in val_indices], [y[i] for i in val_indices]),
            loss,
            make_optimizer,
            epochs,
            batch_size,
            metric,
            seed,
            progress,
        )
        for train_indices, val_indices in folds
    ]
    return run_jobs(_fold_score, jobs, n_jobs)
