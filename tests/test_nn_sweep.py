"""Parallel and distributed trainings: `sweep` and `cross_validate(n_jobs=...)` give the
sequential results on local processes and on a real Dask LocalCluster."""

from __future__ import annotations

import functools
from collections.abc import Iterator
from typing import Any

import pytest
from conftest import require

import nn
from nn import MLP, SweepResult, cross_validate, data, losses, optim

# Module-level, picklable by reference: a Dask worker imports `nn`, not this test file.
MAKE_MODEL = functools.partial(MLP, 2, seed=0)
GRID = {"lr": [0.02, 0.2], "batch_size": [4, 16], "nouts": [[3, 1]]}
(X, Y), VAL, _ = data.train_val_test_split(*data.make_moons(40, seed=0), val=0.25, test=0.0,
                                           seed=0)  # fmt: skip


def _sweep(n_jobs: int | None = None) -> list[SweepResult]:
    return nn.sweep(MAKE_MODEL, GRID, X, Y, loss=losses.binary_cross_entropy_with_logits,
                    epochs=3, val_data=VAL, n_jobs=n_jobs)  # fmt: skip


def _fingerprint(results: list[SweepResult]) -> list[Any]:
    return [(r.params, r.history.as_dict(), r.model.state_dict()) for r in results]


def _cross_validate(n_jobs: int | None = None) -> list[float]:
    return cross_validate(functools.partial(MLP, 2, [3, 1], seed=1), X, Y, k=3,
                          loss=losses.binary_cross_entropy_with_logits,
                          make_optimizer=functools.partial(optim.SGD, lr=0.1), epochs=2,
                          batch_size=8, seed=0, n_jobs=n_jobs)  # fmt: skip


@pytest.fixture(scope="module")
def sequential() -> list[SweepResult]:
    return _sweep()


def test_sweep_trains_every_grid_point_in_product_order(sequential: list[SweepResult]) -> None:
    assert [r.params for r in sequential] == [
        {"lr": lr, "batch_size": b, "nouts": [3, 1]} for lr in (0.02, 0.2) for b in (4, 16)
    ]
    for result in sequential:
        assert result.history.epochs == 3 and isinstance(result.model, MLP)
        assert result.model.layers[0].nout == 3
        assert result.score() == result.history["val_loss"][-1]
    # Different settings train differently; the same settings again train identically.
    assert len({r.score() for r in sequential}) == 4
    assert _fingerprint(_sweep()) == _fingerprint(sequential)


def test_sweep_on_local_processes_equals_the_sequential_sweep(
    sequential: list[SweepResult],
) -> None:
    require("joblib")
    assert _fingerprint(_sweep(n_jobs=2)) == _fingerprint(sequential)
    assert _cross_validate(n_jobs=2) == _cross_validate()


@pytest.fixture(scope="module")
def dask_client() -> Iterator[Any]:
    """A real LocalCluster with two worker processes, started once for this file."""
    distributed = require("distributed")
    with (
        distributed.LocalCluster(
            n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None
        ) as cluster,  # fmt: skip
        distributed.Client(cluster) as client,
    ):
        yield client


def test_the_same_code_on_a_dask_cluster_gives_the_sequential_results(
    dask_client: Any, sequential: list[SweepResult]
) -> None:
    joblib = require("joblib")
    with joblib.parallel_backend("dask"):
        results = _sweep()
        scores = _cross_validate()
    assert _fingerprint(results) == _fingerprint(sequential)
    assert scores == _cross_validate()
    # The work really went to the cluster's two worker processes.
    assert len(dask_client.scheduler_info()["workers"]) == 2
    assert sum(dask_client.run(lambda: 1).values()) == 2


def test_bad_grids_and_n_jobs_are_clear_errors() -> None:
    with pytest.raises(ValueError, match="grid must be a non-empty dict"):
        nn.sweep(MAKE_MODEL, {}, X, Y, loss=losses.mse, epochs=1)
    with pytest.raises(TypeError, match=r"grid\['lr'\] must be a list of values"):
        nn.sweep(MAKE_MODEL, {"lr": 0.1}, X, Y, loss=losses.mse, epochs=1)
    with pytest.raises(ValueError, match=r"grid\['lr'\] has no values"):
        nn.sweep(MAKE_MODEL, {"lr": []}, X, Y, loss=losses.mse, epochs=1)
    with pytest.raises(ValueError, match="n_jobs must not be 0"):
        _cross_validate(n_jobs=0)
    with pytest.raises(ValueError, match="X has 30 examples but y has 2"):
        nn.sweep(MAKE_MODEL, {"lr": [0.1]}, X, Y[:2], loss=losses.mse, epochs=1)


class _PressCtrlCOnce:
    """A loss that presses Ctrl-C (the real signal) in its `at`-th call, then is BCE."""

    def __init__(self, at: int) -> None:
        self.calls, self.at = 0, at

    def __call__(self, predictions: Any, targets: Any) -> Any:
        import signal

        self.calls += 1
        if self.calls == self.at:
            signal.raise_signal(signal.SIGINT)
        return losses.binary_cross_entropy_with_logits(predictions, targets)


def test_ctrl_c_in_one_fold_stops_the_whole_cross_validation() -> None:
    """No score from a half-trained fold, and no fold after it."""
    loss = _PressCtrlCOnce(at=13)  # in the second fold: each fold calls the loss 10 times
    with pytest.raises(KeyboardInterrupt):
        cross_validate(functools.partial(MLP, 2, [3, 1], seed=1), X, Y, k=3, loss=loss,
                       make_optimizer=functools.partial(optim.SGD, lr=0.1), epochs=2,
                       batch_size=8, seed=0)  # fmt: skip
    assert 13 <= loss.calls <= 20  # the second fold stopped; the third never began


def test_ctrl_c_in_one_grid_point_stops_the_whole_sweep() -> None:
    loss = _PressCtrlCOnce(at=25)  # in the second of four grid points, 20 calls each
    with pytest.raises(KeyboardInterrupt):
        nn.sweep(MAKE_MODEL, GRID, X, Y, loss=loss, epochs=3, val_data=VAL)
    assert 25 <= loss.calls <= 40
