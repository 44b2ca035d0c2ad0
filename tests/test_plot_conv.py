"""nn.plot.filters and nn.plot.feature_maps: one panel per filter and per feature map."""

from __future__ import annotations

from types import ModuleType

import pytest
from conftest import require

from autograd import Value
from nn import Conv2d, Linear, plot


@pytest.fixture(autouse=True)
def matplotlib() -> ModuleType:
    return require("matplotlib")


def shown_axes(fig: object) -> list[object]:
    return [ax for ax in fig.axes if ax.get_images()]  # type: ignore[attr-defined]


def test_filters_has_one_panel_per_output_and_input_channel() -> None:
    conv = Conv2d(2, 3, 3, seed=0)
    fig = plot.filters(conv)
    panels = shown_axes(fig)
    assert len(panels) == 6
    first = panels[0].get_images()[0].get_array()  # type: ignore[attr-defined]
    assert first.tolist() == [[w.data for w in row] for row in conv.weight[0][0]]
    assert panels[1].get_title() == "filter 0, channel 1"  # type: ignore[attr-defined]
    single = shown_axes(plot.filters(Conv2d(1, 5, 3, seed=0), columns=3))
    assert [ax.get_title() for ax in single] == [f"filter {o}" for o in range(5)]  # type: ignore[attr-defined]
    with pytest.raises(TypeError, match="filters needs a Conv2d, got Linear"):
        plot.filters(Linear(2, 2))


def test_feature_maps_shows_the_input_then_each_map_without_a_graph() -> None:
    conv = Conv2d(1, 4, 3, padding=1, activation="relu", seed=0)
    image = [[[Value(0.1 * (i * j % 5)) for j in range(6)] for i in range(6)]]
    fig = plot.feature_maps(conv, image, columns=3)
    panels = shown_axes(fig)
    assert len(panels) == 5
    assert [ax.get_title() for ax in panels] == ["input", "map 0", "map 1", "map 2", "map 3"]  # type: ignore[attr-defined]
    expected = [[v.data for v in row] for row in conv(image)[2]]
    assert panels[3].get_images()[0].get_array().tolist() == expected  # type: ignore[attr-defined]
    assert all(v.grad == 0.0 for row in image[0] for v in row)
