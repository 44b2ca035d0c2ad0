"""nn.plot.network: the Playground view, one map per neuron and one line per weight."""

from __future__ import annotations

from types import ModuleType

import pytest
from conftest import require

from nn import MLP, Sequential, data, plot


@pytest.fixture(autouse=True)
def matplotlib() -> ModuleType:
    return require("matplotlib")


def maps_and_lines(fig: object) -> tuple[int, int]:
    images = sum(len(ax.images) for ax in fig.axes)  # type: ignore[attr-defined]
    lines = len(fig.artists) + len(fig.lines)  # type: ignore[attr-defined]
    return images, lines


def test_one_map_per_neuron_and_one_line_per_weight() -> None:
    model = MLP(2, [8, 8, 1], seed=0)
    X, y = data.make_moons(30, noise=0.1, seed=0)
    fig = plot.network(model, X, y, resolution=8)
    images, lines = maps_and_lines(fig)
    assert images == 2 + 8 + 8 + 1  # the two inputs, then every neuron
    assert lines == 2 * 8 + 8 * 8 + 8
    output = max(fig.axes, key=lambda ax: ax.get_position().width)
    assert len(output.collections) >= 2  # the boundary, then the points of each class
    assert sum(len(c.get_offsets()) for c in output.collections[1:]) == len(X)


def test_line_colour_says_the_sign_and_width_the_size() -> None:
    model = MLP(2, [1], seed=0)
    model.layers[0].neurons[0].w[0].data = 2.0
    model.layers[0].neurons[0].w[1].data = -0.5
    fig = plot.network(model, resolution=4)
    first, second = fig.artists[:2] if fig.artists else fig.lines[:2]
    assert first.get_color() == plot.POSITIVE and second.get_color() == plot.NEGATIVE
    assert first.get_linewidth() > second.get_linewidth()


def test_maps_show_each_neurons_output() -> None:
    model = MLP(2, [3, 1], seed=1)
    fig = plot.network(model, resolution=5)
    hidden = [ax for ax in fig.axes if ax.images][2:5]
    grid = [-2.0 + i for i in range(5)]
    for j, ax in enumerate(hidden):
        shown = ax.images[0].get_array()
        neuron = model.layers[0].neurons[j]
        for row, gy in enumerate(grid):
            for col, gx in enumerate(grid):
                assert shown[row][col] == pytest.approx(neuron([gx, gy]).data)


def test_bad_models_and_data_are_refused() -> None:
    with pytest.raises(ValueError, match="2-input"):
        plot.network(MLP(3, [2, 1]))
    with pytest.raises(TypeError, match="layers of neurons"):
        plot.network(Sequential(MLP(2, [1])))
    with pytest.raises(ValueError, match="both X and y"):
        plot.network(MLP(2, [1]), [[0.0, 1.0]])
    with pytest.raises(ValueError, match="resolution"):
        plot.network(MLP(2, [1]), resolution=1)
