"""Training never writes a non-finite parameter, checks all the data before the first
step, and Ctrl-C returns the History with no half-applied step (issue 10, items 10-12)."""

from __future__ import annotations

import math
import os
import random
import signal
import subprocess
import sys
import textwrap
import time
from typing import Any

import pytest

from autograd import DomainError, Value
from nn import MLP, losses, optim
from nn.callbacks import Callback, TrainingRun
from nn.training import History, _check_rows, fit

# -- 10. optimizer steps that would make a parameter non-finite -----------------------------


def _params(*grads: float) -> list[Value]:
    params = [Value(1.0, label=f"w{i}") for i in range(len(grads))]
    for p, g in zip(params, grads):
        p.grad = g
    return params


@pytest.mark.parametrize(
    ("make", "grads", "pattern"),
    [
        (lambda ps: optim.Adam(ps, lr=1e308), (1.0, 1.0), r"Adam.*'w0'.*-inf"),
        (lambda ps: optim.SGD(ps, lr=1e300), (0.1, 1e10), r"SGD.*parameter 1 \('w1'\).*-inf"),
        (lambda ps: optim.SGD(ps, lr=0.1, momentum=0.9), (1.0, math.inf), r"'w1'"),
        (lambda ps: optim.Adam(ps), (1.0, 1e200), r"squared gradient.*'w1'"),
        (lambda ps: optim.SGD(ps, lr=0.1), (math.nan, 1.0), r"'w0'.*nan"),
    ],
)
def test_a_step_that_would_make_a_parameter_non_finite_changes_nothing(
    make: Any, grads: tuple[float, ...], pattern: str
) -> None:
    params = _params(*grads)
    optimizer = make(params)
    state = dict(vars(optimizer))
    with pytest.raises(DomainError, match=pattern + r".*no parameter was changed"):
        optimizer.step()
    assert [p.data for p in params] == [1.0] * len(params)
    assert vars(optimizer) == state and optimizer.steps == 0


def test_adam_refuses_eps_zero_when_built() -> None:
    with pytest.raises(ValueError, match="eps must be > 0"):
        optim.Adam(_params(1.0), eps=0.0)


def test_a_huge_but_finite_sum_is_not_refused() -> None:
    params = _params(-1e308, -1e308)  # each new value is finite, their sum is not
    for p in params:
        p.data = 1e308
    optim.SGD(params, lr=0.5).step()
    assert [p.data for p in params] == [1.5e308, 1.5e308]


class Fragile(Value):
    """A parameter whose next write of `data` is interrupted (Ctrl-C mid-commit)."""

    __slots__ = ("armed",)

    def __setattr__(self, name: str, value: Any) -> None:
        if name == "data" and getattr(self, "armed", False):
            object.__setattr__(self, "armed", False)
            raise KeyboardInterrupt
        super().__setattr__(name, value)


@pytest.mark.parametrize(
    "make", [lambda ps: optim.Adam(ps, lr=0.1), lambda ps: optim.SGD(ps, 0.1, 0.9)]
)
def test_an_interrupted_commit_puts_the_old_values_back(make: Any) -> None:
    params = [Value(1.0), Value(2.0), Fragile(3.0)]
    for p in params:
        p.grad = 1.0
    optimizer = make(params)
    state = dict(vars(optimizer))
    params[2].armed = True  # type: ignore[attr-defined]
    with pytest.raises(KeyboardInterrupt):
        optimizer.step()
    assert [p.data for p in params] == [1.0, 2.0, 3.0]
    assert vars(optimizer) == state and optimizer.steps == 0
    optimizer.step()  # and the next step is a whole one
    assert optimizer.steps == 1 and all(p.data < start for p, start in zip(params, (1, 2, 3)))


# -- 11. all the data is checked before the first step -----------------------------------


def _data() -> tuple[list[list[float]], list[int]]:
    rng = random.Random(0)
    X = [[rng.uniform(-1, 1), rng.uniform(-1, 1)] for _ in range(12)]
    return X, [int(a > b) for a, b in X]


def test_rows_whose_sum_overflows_are_still_finite_data() -> None:
    """Rows are checked a row at a time by their sum; a sum past a float is no error."""
    X, _ = _data()
    X[3] = [1.5e308, 1.5e308]
    _check_rows(X, "X")
    with pytest.raises(ValueError, match=r"X\[4\] holds nan"):
        _check_rows([*X[:4], [math.nan, -math.nan], *X[5:]], "X")


@pytest.mark.parametrize(
    ("change", "pattern"),
    [
        (lambda X, y, v: (X, [*y[:-1], 3], v), r"class index 3 is out of range for 3"),
        (lambda X, y, v: (X, y, (v[0], [*v[1][:-1], 7])), r"val_data.*class index 7"),
        (lambda X, y, v: (X, y, ([*v[0][:-1], [0.5]], v[1])), r"val_data|X_val\[3\]"),
        (lambda X, y, v: (X, y, (v[0], v[1][:-1])), r"val_data has 4 examples but 3"),
        (lambda X, y, v: ([*X[:-1], [0.1, math.nan]], y, v), r"X\[11\] holds nan"),
        (lambda X, y, v: ([*X[:-1], [math.inf, -math.inf]], y, v), r"X\[11\] holds inf"),
        (lambda X, y, v: ([*X[:5], [0.1, True], *X[6:]], y, v), r"X\[5\] holds True"),
        (lambda X, y, v: ([*X[:-1], [0.1]], y, v), r"X\[11\] has 1 numbers"),
    ],
)
def test_bad_data_anywhere_is_refused_before_training(change: Any, pattern: str) -> None:
    X, y = _data()
    val = (X[:4], y[:4])
    X, y, val = change(X, y, val)
    model = MLP(2, [4, 3], seed=0)
    before = model.state_dict()
    optimizer = optim.SGD(model, lr=0.1)
    with pytest.raises(ValueError, match=pattern):
        fit(model, X, y, losses.cross_entropy, optimizer, 3, 4, val_data=val, progress=False)
    assert model.state_dict() == before and optimizer.steps == 0


# -- 12. Ctrl-C: the History comes back and no step is torn --------------------------------

INTERRUPTED_FIT = textwrap.dedent(
    """
    import random, sys
    from nn import MLP, losses, optim
    from nn.callbacks import Callback
    from nn.training import _train_batch, fit
    from nn.data import batches

    rng = random.Random(0)
    X = [[rng.uniform(-1, 1), rng.uniform(-1, 1)] for _ in range(6)]
    y = [float(a > b) for a, b in X]

    def replay(steps):
        model = MLP(2, [6, 1], seed=1)
        optimizer = optim.Adam(model, lr=0.01)
        while optimizer.steps < steps:
            for Xb, yb in batches(X, y, 2, shuffle=False):
                if optimizer.steps == steps:
                    break
                _train_batch(model, losses.mse, optimizer, Xb, yb)
        return model.state_dict()

    class Started(Callback):  # says so once the first optimizer step is done
        def on_train_begin(self, run):
            self.said = False

        def on_batch_end(self, run):
            if not self.said:
                self.said = True
                print("started", flush=True)

    for _ in range(int(sys.argv[1])):
        model = MLP(2, [6, 1], seed=1)
        optimizer = optim.Adam(model, lr=0.01)
        history = fit(model, X, y, losses.mse, optimizer, 10**6, 2, val_data=(X, y),
                      metrics=(), progress=False, shuffle=False, callbacks=[Started()])
        whole = (
            history.interrupted
            and len(history.train["loss"]) == len(history.val["loss"]) == history.epochs
            and 3 * history.epochs <= optimizer.steps <= 3 * history.epochs + 3
        )
        same = model.state_dict() == replay(optimizer.steps)
        print(f"done {optimizer.steps} {whole} {same}", flush=True)
    """
)


def test_ctrl_c_during_fit_returns_the_history_and_never_tears_a_step() -> None:
    runs = 20
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    child = subprocess.Popen(
        [sys.executable, "-c", INTERRUPTED_FIT, str(runs)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )
    assert child.stdout is not None
    rng = random.Random(12)
    results = []
    try:
        for _ in range(runs):
            assert child.stdout.readline() == "started\n"
            # A random moment: anywhere in forward, backward, the step or the bookkeeping.
            time.sleep(rng.uniform(0.0, 0.05))
            child.send_signal(signal.SIGINT)
            results.append(child.stdout.readline().split())
    finally:
        child.stdout.close()
        _, errors = child.communicate(timeout=60)
    assert child.returncode == 0, errors
    assert all(r[0] == "done" and r[2:] == ["True", "True"] for r in results), results
    assert all(int(r[1]) >= 1 for r in results), results  # no step done is lost
    lines = errors.strip().splitlines()
    assert len(lines) == runs and all(
        line.startswith("fit: interrupted in epoch ") and "history.interrupted is True" in line
        for line in lines
    ), errors[-2000:]


def test_interrupt_in_fit_returns_history_and_runs_on_train_end(
    capsys: pytest.CaptureFixture[str],
) -> None:
    X, y = _data()
    ended: list[bool] = []

    class Stopper(Callback):
        def on_batch_end(self, run: TrainingRun) -> None:
            if run.epoch == 2 and run.batch == 1:
                raise KeyboardInterrupt  # what Ctrl-C raises, at a known moment

        def on_train_end(self, run: TrainingRun) -> None:
            ended.append(True)

    model = MLP(2, [4, 3], seed=0)
    optimizer = optim.SGD(model, lr=0.1)
    history = fit(
        model, X, y, losses.cross_entropy, optimizer, 5, 4, progress=False, callbacks=[Stopper()]
    )
    assert isinstance(history, History) and history.interrupted and history.epochs == 2
    assert optimizer.steps == 2 * 3 + 2 and ended == [True]
    assert "interrupted=True" in repr(history)
    err = capsys.readouterr().err.strip().splitlines()
    assert err == [
        "fit: interrupted in epoch 3 of 5 after 8 optimizer steps; returning the History of "
        "the 2 whole epochs (history.interrupted is True)"
    ]


def test_an_interrupt_just_after_the_step_count_goes_up_undoes_the_whole_step() -> None:
    class InterruptedAtTheCount(optim.Adam):
        """Adam whose step count is written, then Ctrl-C arrives (as a signal can)."""

        armed = False

        @property  # type: ignore[override]
        def steps(self) -> int:
            return self._count

        @steps.setter
        def steps(self, value: int) -> None:
            self._count = value
            if self.armed and value == 2:
                self.armed = False
                raise KeyboardInterrupt

    model = MLP(2, [3, 1], seed=0)
    optimizer = InterruptedAtTheCount(model, lr=0.1)
    for _ in range(2):
        optimizer.zero_grad()
        losses.mse(model([0.5, -1.0]), 1.0).backward()
        if optimizer.steps == 1:
            before = (model.state_dict(), list(optimizer._m), list(optimizer._v))
            optimizer.armed = True
            with pytest.raises(KeyboardInterrupt):
                optimizer.step()
        else:
            optimizer.step()
    assert optimizer.steps == 1
    assert (model.state_dict(), list(optimizer._m), list(optimizer._v)) == before


def test_a_bad_label_is_found_before_training_among_many_good_copies() -> None:
    """The check before the first step looks at each distinct label, whatever its type."""
    from nn import fit

    model = MLP(2, [3], seed=0)
    before = [p.data for p in model.parameters()]
    X = [[0.1, 0.2]] * 40
    for bad in (3, True):
        y = [0, 1, 2] * 13 + [bad]
        with pytest.raises((ValueError, TypeError, IndexError)):
            fit(model, X, y, losses.cross_entropy, optim.SGD(model.parameters()), epochs=1,
                progress=False)  # fmt: skip
        assert [p.data for p in model.parameters()] == before


def _replayed(steps: int, X: list[list[float]], y: list[int]) -> dict[str, Any]:
    """The parameters after `steps` whole SGD steps of batch 4, in order, as `fit` takes them."""
    from nn.data import batches
    from nn.training import _train_batch

    model = MLP(2, [4, 3], seed=0)
    optimizer = optim.SGD(model, lr=0.1)
    while optimizer.steps < steps:
        for Xb, yb in batches(X, y, 4, shuffle=False):
            if optimizer.steps < steps:
                _train_batch(model, losses.cross_entropy, optimizer, Xb, yb)
    return model.state_dict()


def test_a_first_ctrl_c_during_a_batch_stops_fit_at_that_batch_end() -> None:
    """The signal itself, raised in the loss of the 5th batch: that step is still taken."""
    X, y = _data()
    model = MLP(2, [4, 3], seed=0)
    optimizer = optim.SGD(model, lr=0.1)
    presses = 0

    def loss_pressing_ctrl_c(predictions: Any, targets: Any) -> Value:
        nonlocal presses
        if optimizer.steps == 4 and not presses:
            presses += 1
            signal.raise_signal(signal.SIGINT)  # handled here, in the middle of the batch
        return losses.cross_entropy(predictions, targets)

    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler
    history = fit(model, X, y, loss_pressing_ctrl_c, optimizer, 5, 4, val_data=(X, y),
                  metrics=(), progress=False, shuffle=False)  # fmt: skip
    assert history.interrupted and optimizer.steps == 5 and presses == 1
    assert history.epochs == 1 and len(history.val["loss"]) == 1
    assert model.state_dict() == _replayed(5, X, y)
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler  # put back


def test_a_second_ctrl_c_interrupts_at_once_and_the_step_is_not_taken() -> None:
    X, y = _data()
    model = MLP(2, [4, 3], seed=0)
    optimizer = optim.SGD(model, lr=0.1)

    def loss_pressing_ctrl_c_twice(predictions: Any, targets: Any) -> Value:
        if optimizer.steps == 4:
            signal.raise_signal(signal.SIGINT)
            signal.raise_signal(signal.SIGINT)  # KeyboardInterrupt here: no 5th step
        return losses.cross_entropy(predictions, targets)

    history = fit(model, X, y, loss_pressing_ctrl_c_twice, optimizer, 5, 4,
                  metrics=(), progress=False, shuffle=False)  # fmt: skip
    assert history.interrupted and optimizer.steps == 4 and history.epochs == 1
    assert model.state_dict() == _replayed(4, X, y)
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler


def test_a_ctrl_c_during_validation_stops_fit_after_that_epoch() -> None:
    X, y = _data()
    presses = 0

    class PressDuringValidation(Callback):
        def on_epoch_end(self, run: TrainingRun) -> None:
            nonlocal presses
            if run.epoch == 1:
                presses += 1
                signal.raise_signal(signal.SIGINT)

    model = MLP(2, [4, 3], seed=0)
    optimizer = optim.SGD(model, lr=0.1)
    history = fit(model, X, y, losses.cross_entropy, optimizer, 5, 4, val_data=(X, y),
                  progress=False, shuffle=False, callbacks=[PressDuringValidation()])  # fmt: skip
    batches_per_epoch = math.ceil(len(X) / 4)
    assert presses == 1 and history.interrupted and history.epochs == 2
    assert optimizer.steps == 2 * batches_per_epoch
    assert model.state_dict() == _replayed(2 * batches_per_epoch, X, y)


def test_a_handler_someone_else_installed_is_left_alone() -> None:
    X, y = _data()
    seen: list[int] = []

    def their_handler(signum: int, frame: Any) -> None:
        seen.append(signum)

    def loss_pressing_ctrl_c(predictions: Any, targets: Any) -> Value:
        if not seen:
            signal.raise_signal(signal.SIGINT)
        return losses.cross_entropy(predictions, targets)

    previous = signal.signal(signal.SIGINT, their_handler)
    try:
        model = MLP(2, [4, 3], seed=0)
        optimizer = optim.SGD(model, lr=0.1)
        history = fit(model, X, y, loss_pressing_ctrl_c, optimizer, 2, 4, progress=False)
        assert seen == [signal.SIGINT] and not history.interrupted and history.epochs == 2
        assert signal.getsignal(signal.SIGINT) is their_handler
    finally:
        signal.signal(signal.SIGINT, previous)


@pytest.mark.parametrize("training", [True, False])
def test_ctrl_c_anywhere_in_predict_leaves_every_layer_in_its_mode(training: bool) -> None:
    """At every point a signal can land in `predict` and in the mode switches it makes."""
    from autograd import is_grad_enabled, mode, no_grad
    from nn import Dropout, Linear, Sequential, predict
    from nn.module import Module
    from nn.training import _put_back_mode
    from tests.interrupting import interrupted_at_check_point

    model = Sequential(Linear(2, 4, seed=0), Dropout(0.5), Linear(4, 3, seed=1), Dropout(0.5))
    model.train(training)
    codes = {
        f.__code__
        for f in (predict, _put_back_mode, Module.train, Module.eval, Module.named_modules)
    } | {no_grad.__enter__.__code__, no_grad.__exit__.__code__}
    X, _ = _data()
    points = 0
    while interrupted_at_check_point(points + 1, codes, lambda: predict(model, X[:2])):
        points += 1
        assert [m.training for _, m in model.named_modules()] == [training] * 5, points
        assert is_grad_enabled() and not mode.open_blocks, points
    assert points >= 20  # the walk went through the switches there and back
