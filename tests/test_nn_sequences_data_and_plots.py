"""Text and sequence data (names, CharTokenizer, the memory task) and their two plots."""

from __future__ import annotations

from types import ModuleType
from typing import Any

import pytest
from conftest import require

from autograd import sum_values
from nn import GPT, LSTM, data, plot
from nn.recurrent import gradient_norms


def test_load_names_ships_a_few_thousand_lowercase_names() -> None:
    names = data.load_names()
    assert len(names) == 5163
    assert names == sorted(set(names))
    assert set("".join(names)) == set("abcdefghijklmnopqrstuvwxyz")
    assert {"mary", "james", "emma", "zachary"} <= set(names)
    assert max(map(len, names)) == 11


def test_char_tokenizer_round_trips_and_marks_boundaries() -> None:
    tokenizer = data.CharTokenizer(["emma", "ava"])
    assert tokenizer.tokens == [".", "a", "e", "m", "v"]
    assert tokenizer.vocab_size == 5
    assert tokenizer.encode("emma") == [2, 3, 3, 1]
    assert tokenizer.encode("ava", boundaries=True) == [0, 1, 4, 1, 0]
    assert tokenizer.decode([0, 2, 3, 3, 1, 0]) == "emma"
    names = data.load_names()
    full = data.CharTokenizer(names)
    assert full.vocab_size == 27
    assert all(full.decode(full.encode(n, boundaries=True)) == n for n in names[:50])


@pytest.mark.parametrize(
    ("call", "error", "match"),
    [
        (lambda t: t.encode("emmz"), ValueError, "'z' in 'emmz' is not in the tokenizer's 4"),
        (lambda t: t.decode([0, 9]), ValueError, r"id 9 is out of range 0\.\.4"),
        (lambda t: t.decode([1.0]), TypeError, "int ids"),
        (lambda t: t.encode(3), TypeError, "needs a str"),
        (lambda t: data.CharTokenizer(["a.b"]), ValueError, "boundary token '.' appears"),
        (lambda t: data.CharTokenizer("emma"), TypeError, "one str"),
        (lambda t: data.CharTokenizer(["ab"], boundary="<>"), ValueError, "one character"),
    ],
)
def test_tokenizer_errors(call: Any, error: type, match: str) -> None:
    with pytest.raises(error, match=match):
        call(data.CharTokenizer(["emma", "ava"]))


def test_memory_task_labels_are_the_first_symbol_and_seeded() -> None:
    X, y = data.make_memory_task(50, length=7, symbols=3, seed=0)
    assert len(X) == len(y) == 50 and all(len(seq) == 7 for seq in X)
    assert all(sum(step) == 1.0 and len(step) == 3 for seq in X for step in seq)
    assert all(seq[0].index(1.0) == label for seq, label in zip(X, y))
    assert set(y) == {0, 1, 2}
    assert (X, y) == data.make_memory_task(50, length=7, symbols=3, seed=0)
    assert (X, y) != data.make_memory_task(50, length=7, symbols=3, seed=1)
    with pytest.raises(ValueError, match="symbols must be an int >= 2"):
        data.make_memory_task(5, symbols=1)


@pytest.fixture
def matplotlib() -> ModuleType:
    return require("matplotlib")


def test_attention_plot_has_one_panel_per_head(matplotlib: ModuleType) -> None:
    model = GPT(5, 4, embed_dim=4, num_heads=2, seed=0)
    model([0, 1, 2])
    weights = model.blocks[0].attn.last_weights
    fig = plot.attention(weights, [".", "a", "b"])
    heatmaps = [ax for ax in fig.axes if ax.images]
    assert len(heatmaps) == 2
    assert [t.get_text() for t in heatmaps[0].get_xticklabels()] == [".", "a", "b"]
    assert heatmaps[1].images[0].get_array().tolist() == weights[1]
    single = plot.attention(weights[0], ["x", "y", "z"], title="one head")
    assert [ax.get_title() for ax in single.axes if ax.images] == ["one head"]
    with pytest.raises(ValueError, match="3 x 3 but there are 2 tokens"):
        plot.attention(weights, ["a", "b"])
    with pytest.raises(ValueError, match="every head must be a 3 x 3 matrix"):
        plot.attention([[[1.0, 0.0, 0.0]] * 3, [[1.0]]], ["a", "b", "c"])


def test_gradient_through_time_draws_each_model_and_snapshot(matplotlib: ModuleType) -> None:
    lstm = LSTM(2, 3, seed=0)
    outputs, (h, _) = lstm([[1.0, 0.0]] * 6)
    sum_values(h).backward()
    norms = gradient_norms(outputs)
    fig = plot.gradient_through_time({"LSTM": norms, "twice": [norms, [2 * g for g in norms]]})
    assert [ax.get_title() for ax in fig.axes] == ["LSTM", "twice"]
    assert len(fig.axes[0].lines) == 1 and len(fig.axes[1].lines) == 2
    assert fig.axes[0].get_yscale() == "log"
    assert list(fig.axes[1].lines[1].get_ydata()) == pytest.approx([2 * g for g in norms])
    one = plot.gradient_through_time([1.0, 0.1, 0.0])
    assert list(one.axes[0].lines[0].get_ydata()) == [1.0, 0.1, 0.1]  # 0 is drawn at the floor
    with pytest.raises(ValueError, match="list of gradient sizes per step"):
        plot.gradient_through_time([])
    with pytest.raises(ValueError, match="must be a list of numbers"):
        plot.gradient_through_time([["a"]])
