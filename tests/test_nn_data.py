"""Datasets, standardization, splits, k-fold partitions and batches."""

from __future__ import annotations

import math
import random
import statistics
import sys
from collections.abc import Callable
from typing import Any

import pytest
from conftest import require
from hypothesis import given
from hypothesis import strategies as st

from nn import data


@pytest.mark.parametrize("make", [data.make_moons, data.make_circles])
def test_toy_datasets_have_their_shape_and_are_seeded(make: Callable[..., Any]) -> None:
    X, y = make(101, noise=0.1, seed=3)
    assert len(X) == len(y) == 101
    assert all(len(row) == 2 and all(type(v) is float for v in row) for row in X)
    assert sorted(set(y)) == [0, 1] and y.count(0) == 50
    assert make(101, noise=0.1, seed=3) == (X, y)
    assert make(101, noise=0.1, seed=4) != (X, y)
    assert y[:20] != sorted(y[:20])  # shuffled


def test_moons_without_noise_lie_on_their_half_circles() -> None:
    X, y = data.make_moons(40, noise=0.0, seed=0)
    for (a, b), label in zip(X, y):
        if label == 0:
            assert math.hypot(a, b) == pytest.approx(1.0) and b >= -1e-12
        else:
            assert math.hypot(a - 1.0, b - 0.5) == pytest.approx(1.0) and b <= 0.5 + 1e-12


def test_circles_without_noise_have_their_radii() -> None:
    X, y = data.make_circles(30, noise=0.0, factor=0.3, seed=0)
    for (a, b), label in zip(X, y):
        assert math.hypot(a, b) == pytest.approx(0.3 if label else 1.0)


def test_bad_dataset_arguments() -> None:
    with pytest.raises(ValueError, match="n must be"):
        data.make_moons(1)
    with pytest.raises(ValueError, match="noise"):
        data.make_moons(10, noise=-0.1)
    with pytest.raises(ValueError, match="factor"):
        data.make_circles(10, factor=1.5)
    with pytest.raises(TypeError, match="seed"):
        data.make_moons(10, seed="0")  # type: ignore[arg-type]


def test_xor_is_the_seed_data() -> None:
    assert data.make_xor() == ([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]], [0, 1, 1, 0])


def test_load_digits() -> None:
    require("sklearn")
    X, y = data.load_digits()
    assert len(X) == len(y) == 1797
    assert len(X[0]) == 64 and all(0.0 <= v <= 16.0 for v in X[0])
    assert sorted(set(y)) == list(range(10))
    X, y = data.load_digits(n_class=3)
    assert sorted(set(y)) == [0, 1, 2]


def test_load_digits_without_scikit_learn_names_the_extra(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setitem(sys.modules, "sklearn.datasets", None)
    with pytest.raises(ImportError, match="notebooks"):
        data.load_digits()


def test_standardize_fits_on_train_only() -> None:
    train = [[1.0, 5.0, 2.0], [3.0, 5.0, 4.0], [5.0, 5.0, 9.0]]
    test = [[3.0, 6.0, 5.0]]
    train_scaled, test_scaled = data.standardize(train, test)
    for j in range(3):
        column = [row[j] for row in train_scaled]
        assert statistics.fmean(column) == pytest.approx(0.0, abs=1e-12)
        if j != 1:
            assert statistics.pstdev(column) == pytest.approx(1.0)
    assert [row[1] for row in train_scaled] == [0.0, 0.0, 0.0]  # constant: centred only
    assert test_scaled[0][0] == 0.0 and test_scaled[0][1] == 1.0
    assert train == [[1.0, 5.0, 2.0], [3.0, 5.0, 4.0], [5.0, 5.0, 9.0]]  # inputs untouched
    (alone,) = data.standardize(train)
    assert alone == train_scaled
    with pytest.raises(ValueError, match="features"):
        data.standardize(train, [[1.0, 2.0]])
    with pytest.raises(ValueError, match="empty"):
        data.standardize([])


def test_train_val_test_split() -> None:
    X = [[float(i)] for i in range(50)]
    y = list(range(50))
    (X_train, y_train), (X_val, y_val), (X_test, y_test) = data.train_val_test_split(
        X, y, val=0.2, test=0.1, seed=0
    )
    assert (len(y_train), len(y_val), len(y_test)) == (35, 10, 5)
    assert sorted(y_train + y_val + y_test) == y
    for X_part, y_part in ((X_train, y_train), (X_val, y_val), (X_test, y_test)):
        assert X_part == [[float(label)] for label in y_part]
    assert data.train_val_test_split(X, y, seed=0) == data.train_val_test_split(X, y, seed=0)
    _, (_, unshuffled), _ = data.train_val_test_split(X, y, val=0.1, test=0.1, shuffle=False)
    assert unshuffled == [0, 1, 2, 3, 4]
    with pytest.raises(ValueError, match="no training examples"):
        data.train_val_test_split(X, y, val=0.5, test=0.5)
    with pytest.raises(ValueError, match="val must be"):
        data.train_val_test_split(X, y, val=1.5)
    with pytest.raises(ValueError, match="50 examples but y has 3"):
        data.train_val_test_split(X, [1, 2, 3])


@given(
    st.integers(2, 60).flatmap(lambda n: st.tuples(st.just(n), st.integers(2, n))), st.integers()
)
def test_kfold_partitions(nk: tuple[int, int], seed: int) -> None:
    n, k = nk
    folds = data.kfold(n, k, seed=seed)
    assert len(folds) == k
    validation = [i for _, val in folds for i in val]
    assert sorted(validation) == list(range(n))  # every index validated exactly once
    sizes = [len(val) for _, val in folds]
    assert max(sizes) - min(sizes) <= 1
    for train, val in folds:
        assert sorted(train + val) == list(range(n)) and not set(train) & set(val)
        assert train == sorted(train) and val == sorted(val)
    assert data.kfold(n, k, seed=seed) == folds


def test_kfold_errors_and_order() -> None:
    assert data.kfold(6, 3, shuffle=False) == [
        ([2, 3, 4, 5], [0, 1]),
        ([0, 1, 4, 5], [2, 3]),
        ([0, 1, 2, 3], [4, 5]),
    ]
    with pytest.raises(ValueError, match="k=5 folds need at least 5"):
        data.kfold(4, 5)
    with pytest.raises(ValueError, match="k must be"):
        data.kfold(4, 1)


def test_batches() -> None:
    X = [[float(i)] for i in range(10)]
    y = list(range(10))
    chunks = list(data.batches(X, y, 4, shuffle=False))
    assert [labels for _, labels in chunks] == [[0, 1, 2, 3], [4, 5, 6, 7], [8, 9]]
    shuffled = list(data.batches(X, y, 3, seed=1))
    assert sorted(label for _, labels in shuffled for label in labels) == y
    assert all(rows == [[float(v)] for v in labels] for rows, labels in shuffled)
    assert shuffled == list(data.batches(X, y, 3, seed=1))
    stream = random.Random(0)
    first, second = (
        list(data.batches(X, y, 10, seed=stream)),
        list(data.batches(X, y, 10, seed=stream)),
    )
    assert first != second  # a shared Random gives a new order each epoch
    with pytest.raises(ValueError, match="batch_size"):
        data.batches(X, y, 0)
    with pytest.raises(ValueError, match="10 examples but y has 9"):
        data.batches(X, y[:-1], 2)
