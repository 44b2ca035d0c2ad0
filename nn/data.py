"""Small datasets and the plumbing around them, in pure Python and reproducible from a seed.

A dataset is a pair `(X, y)`: `X` a list of examples (each a list of floats) and `y` a
list of labels (class indices 0/1/..., or numbers for regression). Wherever randomness
enters, `seed` may be an int (the same result every time), a `random.Random` (to draw
from a stream you own) or None (fresh randomness).
"""

from __future__ import annotations

import math
import random
from collections.abc import Iterable, Iterator, Sequence
from importlib import resources
from typing import Any, TypeVar

__all__ = [
    "CharTokenizer",
    "Dataset",
    "Matrix",
    "batches",
    "kfold",
    "load_digits",
    "load_names",
    "make_circles",
    "make_memory_task",
    "make_moons",
    "make_xor",
    "standardize",
    "train_val_test_split",
]

Matrix = list[list[float]]
"""Examples as rows of features."""
Dataset = tuple[Matrix, list[Any]]
"""`(X, y)`: examples and their labels."""
Seed = int | random.Random | None

Label = TypeVar("Label")


def _rng(seed: Seed) -> random.Random:
    if isinstance(seed, random.Random):
        return seed
    if seed is not None and (isinstance(seed, bool) or not isinstance(seed, int)):
        raise TypeError(f"seed must be an int, a random.Random or None, got {seed!r}")
    return random.Random(seed)


def _check_int(name: str, value: object, minimum: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        raise ValueError(f"{name} must be an int >= {minimum}, got {value!r}")
    return value


def _check_noise(noise: float) -> float:
    if isinstance(noise, bool) or not isinstance(noise, (int, float)) or not noise >= 0.0:
        raise ValueError(f"noise must be a number >= 0, got {noise!r}")
    return float(noise)


def _linspace(start: float, stop: float, n: int, endpoint: bool = True) -> list[float]:
    steps = (n - 1 if endpoint else n) or 1
    return [start + (stop - start) * i / steps for i in range(n)]


def _noisy_shuffled(
    points: list[tuple[float, float]], labels: list[int], noise: float, rng: random.Random
) -> tuple[Matrix, list[int]]:
    X = [[x + rng.gauss(0.0, noise), y + rng.gauss(0.0, noise)] for x, y in points]
    order = list(range(len(X)))
    rng.shuffle(order)
    return [X[i] for i in order], [labels[i] for i in order]


def make_moons(n: int = 100, noise: float = 0.1, seed: Seed = None) -> tuple[Matrix, list[int]]:
    """Two interleaving half circles in 2-D, labels 0 (upper) and 1 (lower), shuffled.

    Not linearly separable: a linear model gets about 85%, a small MLP nearly 100%.
    `noise` is the standard deviation of the Gaussian noise added to each coordinate.
    """
    n = _check_int("n", n, 2)
    noise = _check_noise(noise)
    rng = _rng(seed)
    upper, lower = n // 2, n - n // 2
    points = [(math.cos(t), math.sin(t)) for t in _linspace(0.0, math.pi, upper)]
    points += [(1.0 - math.cos(t), 0.5 - math.sin(t)) for t in _linspace(0.0, math.pi, lower)]
    return _noisy_shuffled(points, [0] * upper + [1] * lower, noise, rng)


def make_circles(
    n: int = 100, noise: float = 0.1, factor: float = 0.5, seed: Seed = None
) -> tuple[Matrix, list[int]]:
    """Two concentric circles in 2-D: label 0 outside (radius 1), 1 inside (radius `factor`)."""
    n = _check_int("n", n, 2)
    noise = _check_noise(noise)
    if isinstance(factor, bool) or not isinstance(factor, (int, float)) or not 0 < factor < 1:
        raise ValueError(f"factor must be a number between 0 and 1, got {factor!r}")
    rng = _rng(seed)
    outer, inner = n // 2, n - n // 2
    angles_out = _linspace(0.0, 2.0 * math.pi, outer, endpoint=False)
    angles_in = _linspace(0.0, 2.0 * math.pi, inner, endpoint=False)
    points = [(math.cos(t), math.sin(t)) for t in angles_out]
    points += [(factor * math.cos(t), factor * math.sin(t)) for t in angles_in]
    return _noisy_shuffled(points, [0] * outer + [1] * inner, noise, rng)


def make_xor() -> tuple[Matrix, list[int]]:
    """The four corners of the unit square, labelled by XOR (seed 002's training data)."""
    return [[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]], [0, 1, 1, 0]


def load_digits(n_class: int = 10) -> tuple[Matrix, list[int]]:
    """scikit-learn's 8x8 handwritten digits: 64 pixel values 0..16 per image, label 0..9.

    Needs scikit-learn (part of the `notebooks` extra). Standardize before training.
    """
    try:
        from sklearn.datasets import load_digits as sklearn_load_digits
    except ImportError:
        raise ImportError(
            "load_digits needs scikit-learn, which is part of the 'notebooks' extra: "
            "pip install 'glassgrad[notebooks]'"
        ) from None
    n_class = _check_int("n_class", n_class, 1)
    if n_class > 10:
        raise ValueError(f"n_class must be between 1 and 10, got {n_class}")
    bunch = sklearn_load_digits(n_class=n_class)
    X = [[float(pixel) for pixel in row] for row in bunch.data]
    return X, [int(label) for label in bunch.target]


def _check_matrix(X: Sequence[Sequence[float]], what: str) -> int:
    """The number of features in `X`, after checking every row has that many."""
    if not X:
        raise ValueError(f"{what} is empty")
    width = len(X[0])
    for i, row in enumerate(X):
        if len(row) != width:
            raise ValueError(f"{what}: row {i} has {len(row)} features, row 0 has {width}")
    return width


def standardize(
    train: Sequence[Sequence[float]], *others: Sequence[Sequence[float]]
) -> tuple[Matrix, ...]:
    """Scale each feature to mean 0 and standard deviation 1, fitted on `train` only.

    Returns `train` and each of `others` (validation, test, ...) transformed with the
    train statistics: fitting on them too would leak their information into training.
    A constant feature is only centred. `X_train, X_test = standardize(X_train, X_test)`.
    """
    width = _check_matrix(train, "standardize: the training set")
    n = len(train)
    means = [sum(row[j] for row in train) / n for j in range(width)]
    stds = [math.sqrt(sum((row[j] - means[j]) ** 2 for row in train) / n) for j in range(width)]
    scales = [std if std > 0.0 else 1.0 for std in stds]
    results = []
    for index, X in enumerate((train, *others)):
        if X and _check_matrix(X, f"standardize: set {index}") != width:
            raise ValueError(
                f"standardize: set {index} has {len(X[0])} features, the training set {width}"
            )
        results.append([[(row[j] - means[j]) / scales[j] for j in range(width)] for row in X])
    return tuple(results)


def _check_pair(X: Sequence[Any], y: Sequence[Any], what: str) -> int:
    if len(X) != len(y):
        raise ValueError(f"{what}: X has {len(X)} examples but y has {len(y)} labels")
    return len(X)


def train_val_test_split(
    X: Sequence[Sequence[float]],
    y: Sequence[Label],
    val: float = 0.2,
    test: float = 0.2,
    seed: Seed = None,
    shuffle: bool = True,
) -> tuple[tuple[Matrix, list[Label]], tuple[Matrix, list[Label]], tuple[Matrix, list[Label]]]:
    """Split `(X, y)` into train, validation and test datasets.

    `val` and `test` are fractions of the examples (rounded); the rest is for training.
    `train, val, test = train_val_test_split(X, y, seed=0)`; each is an `(X, y)` pair.
    """
    n = _check_pair(X, y, "train_val_test_split")
    for name, fraction in (("val", val), ("test", test)):
        if isinstance(fraction, bool) or not isinstance(fraction, (int, float)):
            raise TypeError(f"{name} must be a fraction, got {fraction!r}")
        if not 0.0 <= fraction < 1.0:
            raise ValueError(f"{name} must be a fraction in [0, 1), got {fraction!r}")
    n_val, n_test = round(n * val), round(n * test)
    if n - n_val - n_test < 1:
        raise ValueError(
            f"train_val_test_split: val={val} and test={test} leave no training examples out of {n}"
        )
    order = list(range(n))
    if shuffle:
        _rng(seed).shuffle(order)
    parts = (order[n_val + n_test :], order[:n_val], order[n_val : n_val + n_test])
    train_part, val_part, test_part = (
        ([list(X[i]) for i in part], [y[i] for i in part]) for part in parts
    )
    return train_part, val_part, test_part


def kfold(
    n: int, k: int = 5, seed: Seed = None, shuffle: bool = True
) -> list[tuple[list[int], list[int]]]:
    """`k` (train indices, validation indices) pairs for k-fold cross-validation.

    The validation folds partition range(n) into k nearly equal parts (the first n % k
    folds get one extra); each train set is the rest. Indices come sorted.
    """
    n = _check_int("n", n, 1)
    k = _check_int("k", k, 2)
    if k > n:
        raise ValueError(f"kfold: k={k} folds need at least {k} examples, got n={n}")
    order = list(range(n))
    if shuffle:
        _rng(seed).shuffle(order)
    folds = []
    start = 0
    for fold in range(k):
        size = n // k + (1 if fold < n % k else 0)
        val_set = set(order[start : start + size])
        start += size
        folds.append(([i for i in range(n) if i not in val_set], sorted(val_set)))
    return folds


def batches(
    X: Sequence[Sequence[float]],
    y: Sequence[Label],
    batch_size: int,
    shuffle: bool = True,
    seed: Seed = None,
) -> Iterator[tuple[list[Sequence[float]], list[Label]]]:
    """Yield `(X_batch, y_batch)` of `batch_size` examples (the last may be smaller).

    With `shuffle`, a new order is drawn each call: pass a `random.Random` as `seed`
    to get a different, reproducible order every epoch.
    """
    n = _check_pair(X, y, "batches")
    batch_size = _check_int("batch_size", batch_size, 1)
    order = list(range(n))
    if shuffle:
        _rng(seed).shuffle(order)

    def generate() -> Iterator[tuple[list[Sequence[float]], list[Label]]]:
        for start in range(0, n, batch_size):
            chunk = order[start : start + batch_size]
            yield [X[i] for i in chunk], [y[i] for i in chunk]

    return generate()


# -- text and sequences ------------------------------------------------------------------


def load_names() -> list[str]:
    """5163 first names, lowercase a-z, sorted: for character-level language models.

    They ship with glassgrad (`nn/first_names.txt`, nothing is downloaded): the US 1990
    Census first-name lists (public domain) as packaged in the PyPI package `names` 0.3.0
    (MIT licence), lowercased and deduplicated.
    """
    text = resources.files("nn").joinpath("first_names.txt").read_text(encoding="utf-8")
    return [line for line in text.splitlines() if line and not line.startswith("#")]


class CharTokenizer:
    """Text <-> token ids, one id per character.

    Id 0 is the boundary token (`boundary`, "." by default), which marks where a text starts
    and ends, so a model can learn both how names begin and when to stop; ids 1, 2, ... are
    the characters of `texts`, sorted. `encode("emma", boundaries=True)` is
    `[0, 5, 13, 13, 1, 0]`-like; `decode` leaves boundary tokens out.
    """

    def __init__(self, texts: Iterable[str], boundary: str = ".") -> None:
        if not isinstance(boundary, str) or len(boundary) != 1:
            raise ValueError(f"boundary must be one character, got {boundary!r}")
        if isinstance(texts, str):
            raise TypeError("CharTokenizer needs a list of texts, got one str (wrap it: [text])")
        characters = sorted(set("".join(texts)))
        if boundary in characters:
            raise ValueError(
                f"the boundary token {boundary!r} appears in the texts: choose another one"
            )
        self.boundary = boundary
        self.tokens = [boundary, *characters]
        """Token id -> character (id 0 is the boundary)."""
        self._ids = {token: index for index, token in enumerate(self.tokens)}

    @property
    def vocab_size(self) -> int:
        """The number of token ids, boundary included."""
        return len(self.tokens)

    def encode(self, text: str, *, boundaries: bool = False) -> list[int]:
        """The ids of `text`'s characters; with `boundaries`, wrapped in boundary tokens."""
        if not isinstance(text, str):
            raise TypeError(f"encode needs a str, got {type(text).__name__}")
        try:
            ids = [self._ids[character] for character in text]
        except KeyError as error:
            raise ValueError(
                f"encode: {error.args[0]!r} in {text!r} is not in the tokenizer's "
                f"{self.vocab_size - 1} characters"
            ) from None
        return [0, *ids, 0] if boundaries else ids

    def decode(self, ids: Iterable[int]) -> str:
        """The text of `ids`, with boundary tokens (id 0) left out."""
        characters = []
        for index in ids:
            if isinstance(index, bool) or not isinstance(index, int):
                raise TypeError(f"decode needs int ids, got {index!r}")
            if not 0 <= index < self.vocab_size:
                raise ValueError(f"decode: id {index} is out of range 0..{self.vocab_size - 1}")
            if index:
                characters.append(self.tokens[index])
        return "".join(characters)

    def __repr__(self) -> str:
        return f"CharTokenizer(vocab_size={self.vocab_size}, boundary={self.boundary!r})"


def make_memory_task(
    n: int = 100, length: int = 10, symbols: int = 2, seed: Seed = None
) -> tuple[list[Matrix], list[int]]:
    """`n` sequences of `length` one-hot vectors; each one's label is its first symbol.

    The first step shows one of `symbols` symbols; every later step shows a random one,
    which is noise. To answer at the end, a model must carry the first symbol across
    `length - 1` steps: a test of memory that a plain RNN fails as `length` grows (its
    gradient from the answer back to step 0 vanishes) and a GRU or LSTM passes.
    Returns `(X, y)`: `X[i]` is a list of `length` vectors of `symbols` floats.
    """
    n = _check_int("n", n, 1)
    length = _check_int("length", length, 1)
    symbols = _check_int("symbols", symbols, 2)
    rng = _rng(seed)

    def one_hot(symbol: int) -> list[float]:
        return [1.0 if k == symbol else 0.0 for k in range(symbols)]

    X, y = [], []
    for _ in range(n):
        sequence = [rng.randrange(symbols) for _ in range(length)]
        X.append([one_hot(symbol) for symbol in sequence])
        y.append(sequence[0])
    return X, y
