"""nn.callbacks.LivePlot: a picture updated in place in Jupyter, a plain line elsewhere."""

from __future__ import annotations

import io
import sys
from types import SimpleNamespace
from typing import Any

import pytest
from conftest import require

from nn import MLP, data, fit, losses, optim
from nn.callbacks import LivePlot


def train(callback: LivePlot, epochs: int = 3, *, val: bool = True) -> Any:
    X, y = data.make_moons(24, noise=0.1, seed=0)
    model = MLP(2, [4, 1], seed=0)
    return fit(
        model,
        X[:18],
        y[:18],
        losses.binary_cross_entropy_with_logits,
        optim.Adam(model.parameters(), lr=0.05),
        epochs=epochs,
        val_data=(X[18:], y[18:]) if val else None,
        progress=False,
        callbacks=[callback],
        seed=0,
    )


def test_outside_jupyter_one_plain_line_per_epoch() -> None:
    out = io.StringIO()
    history = train(LivePlot(notebook=False, file=out), epochs=3)
    lines = out.getvalue().splitlines()
    assert len(lines) == 3
    assert lines[0].startswith("epoch 1/3  loss ")
    assert f"loss {history['loss'][-1]:.4g}" in lines[-1]
    assert f"val_accuracy {history['val_accuracy'][-1]:.4g}" in lines[-1]


def test_every_n_epochs_and_always_the_last() -> None:
    out = io.StringIO()
    train(LivePlot(every=2, notebook=False, file=out), epochs=5)
    assert [line.split()[1] for line in out.getvalue().splitlines()] == ["2/5", "4/5", "5/5"]


def test_in_jupyter_one_picture_updated_in_place(monkeypatch: pytest.MonkeyPatch) -> None:
    require("matplotlib")
    from nn import plot

    shown: list[tuple[str, bytes]] = []

    class Handle:
        def update(self, image: Any) -> None:
            shown.append(("update", image.data))

    def display(image: Any, display_id: bool = False) -> Handle:
        assert display_id
        shown.append(("display", image.data))
        return Handle()

    fake = SimpleNamespace(Image=lambda data, format: SimpleNamespace(data=data), display=display)
    monkeypatch.setitem(sys.modules, "IPython.display", fake)  # type: ignore[arg-type]
    figures: list[Any] = []
    original = plot._figure

    def spy(width: float, height: float) -> Any:
        figures.append(original(width, height))
        return figures[-1]

    monkeypatch.setattr(plot, "_figure", spy)
    X, y = data.make_moons(24, noise=0.1, seed=0)
    live = LivePlot(X, y, notebook=True, resolution=6)
    train(live, epochs=2)
    assert [kind for kind, _ in shown] == ["display", "update"]
    assert all(png.startswith(b"\x89PNG") for _, png in shown)
    assert live.frames == 2
    titles = [ax.get_title() for ax in figures[-1].axes]
    assert titles[0].startswith("loss") and titles[1].startswith("accuracy")
    assert titles[2] == "decision boundary, epoch 2"  # then its colour bar


def test_bad_arguments() -> None:
    with pytest.raises(ValueError, match="every"):
        LivePlot(every=0)
    with pytest.raises(ValueError, match="both X and y"):
        LivePlot([[0.0, 0.0]])
