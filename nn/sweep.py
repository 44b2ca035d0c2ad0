"""`sweep`: train one model per point of a hyperparameter grid, in parallel if asked.

    results = sweep(functools.partial(MLP, 2, [8, 1], seed=0),
                    {"lr": [0.01, 0.1], "batch_size": [8, 32]}, X, y,
                    loss=losses.binary_cross_entropy_with_logits, epochs=20,
                    val_data=(X_val, y_val), n_jobs=-1)

Every combination of the grid's values is one independent training (a job for joblib,
so `joblib.parallel_backend("dask")` sends them to a Dask cluster). Keys `lr`,
`batch_size` and `epochs` set the training; every other key is passed to `make_model` as
a keyword argument (`{"nouts": [[4, 1], [16, 1]]}` with `partial(MLP, 2)`).
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from autograd import Value
from nn.module import Module
from nn.optim import Adam, Optimizer
from nn.parallel import run_jobs
from nn.training import History, Loss, Metric, fit

__all__ = ["TRAINING_KEYS", "SweepResult", "sweep"]

TRAINING_KEYS = ("lr", "batch_size", "epochs")
"""Grid keys that set the training rather than the model."""


@dataclass
class SweepResult:
    """One grid point: its `params`, the training `history` and the trained `model`."""

    params: dict[str, Any]
    history: History
    model: Module

    def score(self, name: str = "val_loss") -> float:
        """The last epoch's `name` (`val_loss`, `val_accuracy`, `loss`, ...)."""
        return self.history[name][-1]


def _grid_points(grid: Mapping[str, Iterable[Any]]) -> list[dict[str, Any]]:
    if not isinstance(grid, Mapping) or not grid:
        raise ValueError(f"sweep: grid must be a non-empty dict of name -> values, got {grid!r}")
    names = list(grid)
    values = []
    for name in names:
        options = grid[name]
        if isinstance(options, (str, bytes)) or not isinstance(options, Iterable):
            raise TypeError(f"sweep: grid[{name!r}] must be a list of values, got {options!r}")
        options = list(options)
        if not options:
            raise ValueError(f"sweep: grid[{name!r}] has no values")
        values.append(options)
    return [dict(zip(names, point)) for point in itertools.product(*values)]


def _train_point(
    make_model: Callable[..., Module],
    params: dict[str, Any],
    X: Sequence[Sequence[float]],
    y: Sequence[Any],
    loss: Loss,
    make_optimizer: Callable[..., Optimizer],
    lr: float,
    epochs: int,
    batch_size: int | None,
    val_data: tuple[Sequence[Sequence[float]], Sequence[Any]] | None,
    metrics: tuple[str | Metric, ...],
    seed: int | None,
) -> SweepResult:
    """One grid point's training; a job for `run_jobs`, so it is a module-level function."""
    settings: dict[str, Any] = {"lr": lr, "epochs": epochs, "batch_size": batch_size}
    settings.update((key, params[key]) for key in TRAINING_KEYS if key in params)
    model = make_model(**{k: v for k, v in params.items() if k not in TRAINING_KEYS})
    parameters: list[Value] = model.parameters()
    history = fit(
        model,
        X,
        y,
        loss,
        make_optimizer(parameters, lr=settings["lr"]),
        settings["epochs"],
        settings["batch_size"],
        val_data=val_data,
        metrics=metrics,
        progress=False,
        seed=seed,
    )
    if history.interrupted:
        raise KeyboardInterrupt  # Ctrl-C stops the whole sweep, not one grid point
    return SweepResult(dict(params), history, model)


def sweep(
    make_model: Callable[..., Module],
    grid: Mapping[str, Iterable[Any]],
    X: Sequence[Sequence[float]],
    y: Sequence[Any],
    *,
    loss: Loss,
    epochs: int,
    lr: float = 0.01,
    batch_size: int | None = None,
    make_optimizer: Callable[..., Optimizer] = Adam,
    val_data: tuple[Sequence[Sequence[float]], Sequence[Any]] | None = None,
    metrics: Iterable[str | Metric] = ("accuracy",),
    seed: int | None = 0,
    n_jobs: int | None = None,
) -> list[SweepResult]:
    """Train a fresh `make_model(...)` at every point of `grid`; one `SweepResult` each.

    Points come in the order of `itertools.product` over the grid's values. `lr`,
    `epochs` and `batch_size` are used where the grid does not set them;
    `make_optimizer(params, lr=...)` builds each optimizer (Adam by default). Every run
    shuffles its batches from the same `seed`, so results are reproducible and the same
    sequentially, on local processes (`n_jobs=-1`) or on a Dask cluster.
    """
    if len(X) != len(y):
        raise ValueError(f"sweep: X has {len(X)} examples but y has {len(y)} labels")
    points = _grid_points(grid)
    metric_list = (metrics,) if isinstance(metrics, str) else tuple(metrics)
    data = (list(X), list(y))
    fixed = (loss, make_optimizer, lr, epochs, batch_size, val_data, metric_list, seed)
    jobs = [(make_model, point, *data, *fixed) for point in points]
    return run_jobs(_train_point, jobs, n_jobs)
