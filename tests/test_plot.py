"""nn.plot: each function returns a matplotlib Figure with the panels it promises."""

from __future__ import annotations

import sys
from pathlib import Path
from types import ModuleType

import pytest
from conftest import require

from nn import MLP, History, data, losses, optim
from nn import fit as train


@pytest.fixture(autouse=True)
def matplotlib() -> ModuleType:
    return require("matplotlib")


Moons = tuple[list[list[float]], list[int]]


@pytest.fixture(scope="module")
def moons() -> Moons:
    return data.make_moons(40, noise=0.1, seed=0)


def trained(moons: Moons, epochs: int = 3) -> tuple[MLP, History]:
    X, y = moons
    model = MLP(2, [6, 1], seed=0)
    history = train(
        model,
        X[:30],
        y[:30],
        losses.binary_cross_entropy_with_logits,
        optim.Adam(model.parameters(), lr=0.05),
        epochs=epochs,
        val_data=(X[30:], y[30:]),
        progress=False,
    )
    return model, history


def test_history_has_a_loss_panel_and_one_per_metric(moons: Moons, tmp_path: Path) -> None:
    from matplotlib.figure import Figure

    from nn import plot

    _, history = trained(moons, epochs=4)
    fig = plot.history(history)
    assert isinstance(fig, Figure)
    loss_ax, accuracy_ax = fig.axes
    assert loss_ax.get_title().startswith("loss") and loss_ax.get_xlabel() == "epoch"
    assert accuracy_ax.get_title().startswith("accuracy")
    for ax, name in ((loss_ax, "loss"), (accuracy_ax, "accuracy")):
        train_line, val_line = ax.get_lines()
        assert list(train_line.get_xdata()) == [1, 2, 3, 4]
        assert list(train_line.get_ydata()) == history.train[name]
        assert list(val_line.get_ydata()) == history.val[name]
        assert [t.get_text() for t in ax.get_legend().get_texts()] == [
            f"train {name}",
            f"validation {name}",
        ]
        last = f"train {history.train[name][-1]:.4g}, validation {history.val[name][-1]:.4g}"
        assert ax.get_title() == f"{name} (last epoch: {last})"
    fig.savefig(tmp_path / "history.png")
    assert (tmp_path / "history.png").read_bytes().startswith(b"\x89PNG")


def test_history_without_validation_or_metrics() -> None:
    from nn import plot

    fig = plot.history(History(train={"loss": [1.0, 0.5, 0.25]}))
    (ax,) = fig.axes
    assert len(ax.get_lines()) == 1
    with pytest.raises(ValueError, match="no epochs"):
        plot.history(History(train={"loss": []}))
    with pytest.raises(TypeError, match="History"):
        plot.history({"loss": [1.0]})  # type: ignore[arg-type]


def test_decision_boundary_shades_the_plane_and_shows_every_point(moons: Moons) -> None:
    from nn import plot

    X, y = moons
    model, _ = trained(moons)
    fig = plot.decision_boundary(model, X, y, resolution=12)
    ax, colour_bar = fig.axes
    assert colour_bar.get_ylabel() == "model output (the black line: 0)"
    assert ax.get_xlabel() == "x1" and ax.get_ylabel() == "x2"
    assert ax.get_title().startswith("decision boundary (accuracy ")
    assert ax.get_title().endswith(f" on these {len(X)} points)")
    scatters = [c for c in ax.collections if c.get_offsets().shape[1:] == (2,) and c.get_label()]
    labelled = {c.get_label(): len(c.get_offsets()) for c in scatters if "class" in c.get_label()}
    assert labelled == {"class 0": y.count(0), "class 1": y.count(1)}
    # The plane spans every point.
    (x_low, x_high), (y_low, y_high) = ax.get_xlim(), ax.get_ylim()
    assert all(x_low <= p[0] <= x_high and y_low <= p[1] <= y_high for p in X)


def test_decision_boundary_marks_train_and_validation_points_and_says_which_accuracy(
    moons: Moons,
) -> None:
    from nn import plot
    from nn.training import predict

    X, y = moons
    model, _ = trained(moons)
    fig = plot.decision_boundary(model, X[:30], y[:30], resolution=8, val=(X[30:], y[30:]))
    ax, _colour_bar = fig.axes
    by_label = {c.get_label(): c for c in ax.collections if "class" in str(c.get_label())}
    assert {k: len(c.get_offsets()) for k, c in by_label.items()} == {
        "class 0, train": y[:30].count(0),
        "class 1, train": y[:30].count(1),
        "class 0, validation": y[30:].count(0),
        "class 1, validation": y[30:].count(1),
    }
    train_marker = by_label["class 0, train"].get_paths()[0].vertices
    val_marker = by_label["class 0, validation"].get_paths()[0].vertices
    assert len(train_marker) != len(val_marker)  # a circle and a triangle

    def accuracy(points: list[list[float]], labels: list[int]) -> float:
        return sum(
            (float(p) > 0.0) == (t == 1) for p, t in zip(predict(model, points), labels)
        ) / len(labels)

    assert ax.get_title() == (
        "decision boundary\naccuracy: "
        f"train {accuracy(X[:30], y[:30]):.3f} (30 points), "
        f"validation {accuracy(X[30:], y[30:]):.3f} (10 points)"
    )
    with pytest.raises(ValueError, match=r"X \(validation\) has 2 points but y has 1"):
        plot.decision_boundary(model, X, y, val=([[0.0, 0.0], [1.0, 1.0]], [0]))


def test_decision_boundary_for_several_classes() -> None:
    from nn import plot

    X = [[0.0, 0.0], [1.0, 0.0], [0.0, 1.0], [1.0, 1.0]]
    y = [0, 1, 2, 1]
    fig = plot.decision_boundary(MLP(2, [4, 3], seed=1), X, y, resolution=6)
    labels = [c.get_label() for c in fig.axes[0].collections if "class" in str(c.get_label())]
    assert labels == ["class 0", "class 1", "class 2"]


def test_decision_boundary_checks_its_input() -> None:
    from nn import plot

    model = MLP(2, [1], seed=0)
    with pytest.raises(ValueError, match="2-D"):
        plot.decision_boundary(model, [[1.0, 2.0, 3.0]], [0])
    with pytest.raises(ValueError, match="labels"):
        plot.decision_boundary(model, [[1.0, 2.0]], [0, 1])


def test_layer_stats_has_one_histogram_per_layer_and_leaves_gradients_alone(moons: Moons) -> None:
    from nn import plot

    X, y = moons
    model = MLP(2, [5, 4, 1], seed=0)
    for p in model.parameters():
        p.grad = 0.25
    fig = plot.layer_stats(model, X, y, losses.binary_cross_entropy_with_logits)
    titles = [ax.get_title() for ax in fig.axes]
    assert [title.split(":")[0] for title in titles] == [
        f"{name} {what}"
        for name in ("layers.0 (relu)", "layers.1 (relu)", "layers.2 (linear)")
        for what in ("outputs", "gradients")
    ]
    assert all("mean" in title and "std" in title for title in titles)
    assert "zero" in titles[0] and "zero" not in titles[1]
    assert [ax.get_yscale() for ax in fig.axes[1::2]] == ["log"] * 3
    assert all(p.grad == 0.25 for p in model.parameters())
    # Without a loss, the gradients are those of the summed outputs.
    assert len(plot.layer_stats(model, X[:5]).axes) == 6
    with pytest.raises(ValueError, match="both"):
        plot.layer_stats(model, X, y)


def test_without_matplotlib_the_error_names_the_plot_extra(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from nn import plot

    monkeypatch.setitem(sys.modules, "matplotlib", None)
    monkeypatch.setitem(sys.modules, "matplotlib.figure", None)
    with pytest.raises(ImportError, match=r"pip install 'glassgrad\[plot\]'"):
        plot.history(History(train={"loss": [1.0]}))


def test_importing_nn_plot_does_not_import_matplotlib() -> None:
    import subprocess

    code = "import sys, nn.plot; sys.exit('matplotlib' in sys.modules)"
    assert subprocess.run([sys.executable, "-c", code], check=False).returncode == 0
