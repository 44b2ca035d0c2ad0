"""`fit(compile=True)`: the traced forward pass trains exactly as the interpreter does."""

from __future__ import annotations

import random
from collections.abc import Callable
from typing import Any

import pytest

import nn.training
from nn import (
    MLP,
    Conv2d,
    Dropout,
    Flatten,
    Layer,
    Linear,
    MaxPool2d,
    Sequential,
    Unflatten,
    data,
    fit,
    losses,
    optim,
)
from nn.callbacks import Callback, TrainingRun
from nn.training import RETRACE_CHECK_AFTER, _train_batch, compiled_forward

TOLERANCE = 1e-10


def moons_model() -> MLP:
    return MLP(2, [8, 8, 1], seed=3)


def dropout_model() -> Sequential:
    rng = random.Random(5)
    return Sequential(
        Layer(2, 8, rng=rng),
        Dropout(0.3, seed=11),
        Layer(8, 8, rng=rng),
        Layer(8, 1, "linear", rng=rng),
    )


def digits_model() -> MLP:
    return MLP(64, [6, 10], seed=1)


def train(
    make: Callable[[], Any],
    make_optimizer: Callable[[list[Any]], Any],
    compile: bool,
    loss: Any = losses.hinge,
    dataset: str = "moons",
    **options: Any,
) -> tuple[Any, Any]:
    if dataset == "moons":
        X, y = data.make_moons(40, noise=0.1, seed=2)
        targets: list[Any] = [2.0 * t - 1.0 for t in y]
    else:
        X, y = data.load_digits()
        X, targets = X[:30], y[:30]
    model = make()
    history = fit(
        model,
        X,
        targets,
        loss,
        make_optimizer(model.parameters()),
        epochs=3,
        batch_size=8,
        val_data=(X[:10], targets[:10]),
        progress=False,
        seed=4,
        compile=compile,
        **options,
    )
    return history, model


def assert_same(a: Any, b: Any) -> None:
    flat_a, flat_b = a.as_dict(), b.as_dict()
    assert flat_a.keys() == flat_b.keys()
    for key in flat_a:
        assert flat_a[key] == pytest.approx(flat_b[key], rel=TOLERANCE, abs=TOLERANCE), key


@pytest.mark.parametrize(
    "make_optimizer",
    [lambda p: optim.SGD(p, lr=0.1), lambda p: optim.Adam(p, lr=0.01)],
    ids=["sgd", "adam"],
)
@pytest.mark.parametrize("make", [moons_model, dropout_model], ids=["mlp", "dropout"])
def test_history_equals_the_interpreters(make: Any, make_optimizer: Any) -> None:
    interpreted, model_a = train(make, make_optimizer, compile=False)
    compiled, model_b = train(make, make_optimizer, compile=True)
    assert_same(compiled, interpreted)
    for p, q in zip(model_a.parameters(), model_b.parameters()):
        assert p.data == pytest.approx(q.data, rel=TOLERANCE, abs=TOLERANCE)


def test_cross_entropy_on_digits_and_a_loss_that_reads_parameters() -> None:
    def penalized(model: MLP) -> Any:
        return lambda p, t: losses.cross_entropy(p, t) + 1e-3 * losses.l2(model)

    made: list[MLP] = []

    def make() -> MLP:
        made.append(digits_model())
        return made[-1]

    results = []
    for compile in (False, True):
        made.clear()
        model = make()
        rng = random.Random(0)
        X = [[rng.random() for _ in range(64)] for _ in range(30)]
        y = [rng.randrange(10) for _ in range(30)]
        history = fit(
            model,
            X,
            y,
            penalized(model),
            optim.Adam(model.parameters(), lr=0.01),
            epochs=2,
            batch_size=10,
            progress=False,
            seed=1,
            compile=compile,
        )
        results.append(history)
    assert_same(results[1], results[0])


def test_callbacks_see_the_same_run() -> None:
    class Recorder(Callback):
        def __init__(self) -> None:
            self.seen: list[tuple[str, int, int, float]] = []

        def on_batch_end(self, run: TrainingRun) -> None:
            self.seen.append(("batch", run.epoch, run.batch, run.batch_loss))

        def on_epoch_end(self, run: TrainingRun) -> None:
            self.seen.append(("epoch", run.epoch, -1, run.history.train["loss"][-1]))

    records = []
    for compile in (False, True):
        recorder = Recorder()
        train(moons_model, lambda p: optim.SGD(p, lr=0.1), compile, callbacks=[recorder])
        records.append(recorder.seen)
    assert [r[:3] for r in records[0]] == [r[:3] for r in records[1]]
    for a, b in zip(*records):
        assert a[3] == pytest.approx(b[3], rel=TOLERANCE)


def test_traced_once_per_batch_shape() -> None:
    model = moons_model()
    program = compiled_forward(model)
    X, y = data.make_moons(20, seed=0)
    targets = [2.0 * t - 1.0 for t in y]
    optimizer = optim.SGD(model.parameters(), lr=0.1)
    for start in (0, 8, 16):  # batches of 8, 8 and 4
        _train_batch(
            model,
            losses.hinge,
            optimizer,
            X[start : start + 8],
            targets[start : start + 8],
            program,
        )
    assert program.traces == 2
    assert "layers_0_neurons_0_w = " in program.source


def test_compile_must_be_a_bool() -> None:
    X, y = data.make_moons(8, seed=0)
    model = moons_model()
    with pytest.raises(TypeError, match="compile"):
        fit(model, X, y, losses.mse, optim.SGD(model.parameters(), lr=0.1), 1, compile="yes")  # type: ignore[arg-type]


def test_a_graph_that_changes_with_the_data_is_trained_interpreted_after_a_few_batches(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """Max pooling compares values, so each new batch fails the program's guards and is
    traced again (a CNN epoch took 49 s against 3.7 s interpreted): fit notices and goes on
    interpreted, with the same History."""

    def pooled_model() -> Sequential:
        return Sequential(
            Unflatten((1, 4, 4)),
            Conv2d(1, 2, 3, padding=1, seed=1),
            MaxPool2d(2),
            Flatten(),
            Linear(8, 3, seed=2),
        )

    rng = random.Random(0)
    X = [[rng.uniform(-1.0, 1.0) for _ in range(16)] for _ in range(24)]
    y = [rng.randrange(3) for _ in X]
    programs = []

    def kept(model: Any) -> Any:
        programs.append(compiled_forward(model))
        return programs[-1]

    monkeypatch.setattr(nn.training, "compiled_forward", kept)
    histories = []
    for compile in (False, True):
        model = pooled_model()
        optimizer = optim.Adam(model.parameters(), lr=0.01)
        histories.append(
            fit(
                model,
                X,
                y,
                losses.cross_entropy,
                optimizer,
                2,
                2,
                progress=False,
                seed=0,
                compile=compile,
            )
        )
    assert_same(*histories)
    (program,) = programs
    assert RETRACE_CHECK_AFTER // 2 < program.traces <= RETRACE_CHECK_AFTER  # then no more
    message = capsys.readouterr().err
    assert message.count("so the rest of training runs interpreted") == 1, message


def test_a_fixed_graph_stays_compiled(capsys: pytest.CaptureFixture[str]) -> None:
    train(moons_model, lambda p: optim.SGD(p, lr=0.1), compile=True)
    assert "interpreted" not in capsys.readouterr().err
