"""The workloads, as user code for each engine, with their data and models.

glassgrad runs through its public API as a user would write it (`nn.MLP`, whose neurons
are one `dot` node each; `nn.losses.cross_entropy`; `nn.optim.SGD`); micrograd runs
as its README and demo notebook do. Both models of a workload start from the same
weights, copied from glassgrad's to micrograd's, so both engines do the same arithmetic.

Each `*_contenders` function returns {column: Contender} for `measure.alternate`.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Sequence
from typing import Any

from tests.benchmarks import micrograd_ext
from tests.benchmarks.measure import Contender, Step

GLASSGRAD = "glassgrad"
MICROGRAD = "micrograd"
MICROGRAD_NO_GC = "micrograd no-gc"

RAISED_RECURSION_LIMIT = 10**6
"""What the bench (never the library) sets for micrograd's recursive walk in rows 2r, 3r."""

MOONS_SIZES = [16, 16, 1]
DIGITS_SIZES = [32, 10]
DIGITS_BATCH = 10
SEED = 1


def micrograd_value() -> Any:
    """micrograd's Value class, with exp and log added (see `micrograd_ext`)."""
    try:
        return micrograd_ext.install()
    except ImportError:
        raise SystemExit(
            "micrograd is not installed: `make bench` installs it, or run "
            "`.venv/bin/pip install micrograd==0.1.0`"
        ) from None


# -- data ----------------------------------------------------------------------------------


def moons_data(n_points: int) -> tuple[list[list[float]], list[float]]:
    """Two interleaved half-moons (sklearn, generated, no download); labels -1 or +1."""
    from sklearn.datasets import make_moons

    points, labels = make_moons(n_samples=n_points, noise=0.1, random_state=SEED)
    return points.tolist(), [2.0 * label - 1.0 for label in labels.tolist()]


def digits_data(n_examples: int) -> tuple[list[list[float]], list[int]]:
    """The first `n_examples` 8x8 digits shipped with sklearn, pixels scaled to [0, 1]."""
    from sklearn.datasets import load_digits

    digits = load_digits()
    images = (digits.data[:n_examples] / 16.0).tolist()
    return images, [int(label) for label in digits.target[:n_examples]]


# -- models --------------------------------------------------------------------------------


def glassgrad_mlp(nin: int, nouts: list[int]) -> Any:
    from nn import MLP

    return MLP(nin, nouts, seed=SEED)


def micrograd_copy(model: Any, nin: int, nouts: list[int]) -> Any:
    """micrograd's MLP(nin, nouts) with the weights of the glassgrad `model`."""
    micrograd_value()
    from micrograd.nn import MLP

    copy = MLP(nin, nouts)
    ours, theirs = model.parameters(), copy.parameters()
    if len(ours) != len(theirs):
        raise AssertionError(f"{len(ours)} parameters here, {len(theirs)} in micrograd")
    for source, target in zip(ours, theirs):
        target.data = source.data
    return copy


def models(nin: int, nouts: list[int]) -> tuple[Any, Any]:
    """A glassgrad MLP and a micrograd MLP with the same initial weights."""
    model = glassgrad_mlp(nin, nouts)
    return model, micrograd_copy(model, nin, nouts)


# -- workload 1: moons, max-margin loss, full batch -----------------------------------------


def max_margin_loss(
    model: Any, params: Sequence[Any], points: list[list[float]], labels: list[float], value: Any
) -> Any:
    """micrograd's demo loss in plain user code (the same text runs on both engines):
    mean(relu(1 - y * score)) + 1e-4 * sum(p * p)."""
    inputs = [[value(x) for x in point] for point in points]
    scores = [model(x) for x in inputs]
    losses = [(1 + -y * score).relu() for y, score in zip(labels, scores)]
    data_loss = sum(losses) * (1.0 / len(losses))
    reg_loss = 1e-4 * sum(p * p for p in params)
    return data_loss + reg_loss


def glassgrad_sgd_step(model: Any, optimizer: Any, loss_of: Callable[[], Any]) -> Any:
    loss = loss_of()
    optimizer.zero_grad()
    loss.backward()
    optimizer.step()
    return loss


def micrograd_sgd_step(model: Any, lr: float, loss_of: Callable[[], Any]) -> Any:
    loss = loss_of()
    model.zero_grad()
    loss.backward()
    for p in model.parameters():
        p.data -= lr * p.grad
    return loss


def moons_contenders(n_points: int = 100, steps: int = 10, lr: float = 0.5) -> dict[str, Contender]:
    """MLP(2, [16, 16, 1]), relu, linear output; full batch; `steps` SGD steps."""
    points, labels = moons_data(n_points)

    def glassgrad() -> list[Step]:
        from autograd import Value
        from nn import optim

        model = glassgrad_mlp(2, MOONS_SIZES)
        params = model.parameters()
        optimizer = optim.SGD(params, lr=lr)

        def loss_of() -> Any:
            return max_margin_loss(model, params, points, labels, Value)

        return [lambda: glassgrad_sgd_step(model, optimizer, loss_of)] * steps

    def micrograd() -> list[Step]:
        value = micrograd_value()
        model = micrograd_copy(glassgrad_mlp(2, MOONS_SIZES), 2, MOONS_SIZES)
        params = model.parameters()

        def loss_of() -> Any:
            return max_margin_loss(model, params, points, labels, value)

        return [lambda: micrograd_sgd_step(model, lr, loss_of)] * steps

    return {
        GLASSGRAD: Contender(glassgrad),
        MICROGRAD: Contender(micrograd),
        MICROGRAD_NO_GC: Contender(micrograd, gc_off=True),
    }


# -- workload 2: a long chain ---------------------------------------------------------------


def chain(value: Any, length: int) -> float:
    """x = x * 1.0001 + 0.001, `length` times, then backward; returns dx_end/dx_start."""
    start = value(1.0)
    x = start
    for _ in range(length):
        x = x * 1.0001 + 0.001
    x.backward()
    return float(start.grad)


def chain_contenders(length: int, engines: Sequence[str]) -> dict[str, Contender]:
    """The chain on each of `engines`; micrograd's walk is recursive (RecursionError)."""

    def on(value_class: Callable[[], Any]) -> Callable[[], list[Step]]:
        def prepare() -> list[Step]:
            value = value_class()
            return [lambda: chain(value, length)]

        return prepare

    return _contenders(on, engines)


def _glassgrad_value() -> Any:
    from autograd import Value

    return Value


def _contenders(
    on: Callable[[Callable[[], Any]], Callable[[], list[Step]]], engines: Sequence[str]
) -> dict[str, Contender]:
    table = {
        GLASSGRAD: Contender(on(_glassgrad_value)),
        MICROGRAD: Contender(on(micrograd_value)),
        MICROGRAD_NO_GC: Contender(on(micrograd_value), gc_off=True),
        "micrograd raised": Contender(on(micrograd_value), recursion_limit=RAISED_RECURSION_LIMIT),
        "micrograd raised no-gc": Contender(
            on(micrograd_value), gc_off=True, recursion_limit=RAISED_RECURSION_LIMIT
        ),
    }
    return {name: table[name] for name in engines}


# -- workload 3: a wide sum of products -----------------------------------------------------

WIDE_SUM_VARIANTS = ("plain", "sum_values", "dot")


def wide_sum_inputs(value: Any, width: int) -> tuple[list[Any], list[Any]]:
    rng = random.Random(SEED)
    a = [value(rng.uniform(-1.0, 1.0)) for _ in range(width)]
    b = [value(rng.uniform(-1.0, 1.0)) for _ in range(width)]
    return a, b


def wide_sum(a: list[Any], b: list[Any], variant: str = "plain") -> Any:
    """sum of a_i * b_i: `plain` is the builtin `sum` (a chain of `+` nodes, as micrograd
    must); `sum_values` makes one sum node; `dot` makes one node in all (glassgrad only)."""
    if variant == "plain":
        return sum(x * y for x, y in zip(a, b))
    from autograd import dot, sum_values

    if variant == "sum_values":
        return sum_values([x * y for x, y in zip(a, b)])
    if variant == "dot":
        return dot(a, b)
    raise ValueError(f"unknown wide-sum variant {variant!r}")


def wide_sum_contenders(
    width: int, engines: Sequence[str], variant: str = "plain"
) -> dict[str, Contender]:
    """Forward and backward of the wide sum; the inputs are made before the timing."""

    def on(value_class: Callable[[], Any]) -> Callable[[], list[Step]]:
        def prepare() -> list[Step]:
            a, b = wide_sum_inputs(value_class(), width)

            def step() -> None:
                wide_sum(a, b, variant).backward()

            return [step]

        return prepare

    return _contenders(on, engines)


# -- workload 4: digits, softmax cross-entropy, mini-batches --------------------------------


def softmax_cross_entropy(logits: Sequence[Any], label: int) -> Any:
    """-log softmax(logits)[label] in plain user code, for micrograd (with exp and log)."""
    top = max(z.data for z in logits)
    log_sum_exp = sum((z - top).exp() for z in logits).log() + top
    return log_sum_exp - logits[label]


def digits_contenders(
    n_examples: int, batch: int = DIGITS_BATCH, lr: float = 0.1
) -> dict[str, Contender]:
    """MLP(64, [32, 10]), relu, linear output; an epoch of SGD over mini-batches."""
    images, labels = digits_data(n_examples)
    batches = [(images[i : i + batch], labels[i : i + batch]) for i in range(0, n_examples, batch)]

    def glassgrad() -> list[Step]:
        from autograd import Value
        from nn import losses, optim

        model = glassgrad_mlp(64, DIGITS_SIZES)
        optimizer = optim.SGD(model.parameters(), lr=lr)

        def step(xs: list[list[float]], ys: list[int]) -> Callable[[], Any]:
            def loss_of() -> Any:
                return losses.cross_entropy([model([Value(p) for p in x]) for x in xs], ys)

            return lambda: glassgrad_sgd_step(model, optimizer, loss_of)

        return [step(xs, ys) for xs, ys in batches]

    def micrograd() -> list[Step]:
        value = micrograd_value()
        model = micrograd_copy(glassgrad_mlp(64, DIGITS_SIZES), 64, DIGITS_SIZES)

        def step(xs: list[list[float]], ys: list[int]) -> Callable[[], Any]:
            def loss_of() -> Any:
                losses = [
                    softmax_cross_entropy(model([value(p) for p in x]), y) for x, y in zip(xs, ys)
                ]
                return sum(losses) * (1.0 / len(losses))

            return lambda: micrograd_sgd_step(model, lr, loss_of)

        return [step(xs, ys) for xs, ys in batches]

    return {
        GLASSGRAD: Contender(glassgrad),
        MICROGRAD: Contender(micrograd),
        MICROGRAD_NO_GC: Contender(micrograd, gc_off=True),
    }


def digits_glassgrad_only(n_examples: int) -> dict[str, Contender]:
    return {GLASSGRAD: digits_contenders(n_examples)[GLASSGRAD]}
