"""Loss functions and weight penalties, each returning one Value to call `backward()` on.

Every loss takes `loss(pred, target)` for one example or for a batch (a list of
examples) and returns the mean over the batch, as PyTorch does by default (for several
outputs per example, the mean over all of them). Predictions are Values (or numbers);
targets are constants. Shapes must match exactly: a mismatch is an error, never a
silent broadcast. Each formula is arranged so no intermediate overflows, whatever the
size of the logits.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Iterable, Sequence
from typing import TypeGuard

from autograd import Value, sum_values
from nn.functional import logsumexp
from nn.module import Module

__all__ = [
    "binary_cross_entropy",
    "binary_cross_entropy_with_logits",
    "cross_entropy",
    "hinge",
    "l1",
    "l2",
    "mse",
]

Scalar = Value | float
Prediction = Scalar | Sequence[Scalar]
"""One example's prediction: a Value, or a list of Values for several outputs."""
Predictions = Prediction | Sequence[Prediction]
Target = float | Sequence[float]
Targets = Target | Sequence[Target]

_LOG_FLOOR = -100.0  # PyTorch's binary_cross_entropy clamps log(p) here, so p = 0 is finite


def _is_scalar(x: object) -> TypeGuard[Value | numbers.Real]:
    return isinstance(x, Value) or (isinstance(x, numbers.Real) and not isinstance(x, bool))


def _scalar(x: Value | numbers.Real) -> Value | float:
    return x if isinstance(x, Value) else float(x)


def _shape(x: object, loss: str, role: str) -> tuple[tuple[int | None, ...] | None, list[Scalar]]:
    """The nesting of `x` (None: a scalar; else, per item, None or its length) and its leaves."""
    if _is_scalar(x):
        return None, [_scalar(x)]
    if isinstance(x, (str, bytes)) or not isinstance(x, Sequence):
        raise TypeError(f"{loss}: {role} must be a number, a Value or a list, got {x!r}")
    if not x:
        raise ValueError(f"{loss}: {role} is an empty list")
    shape: list[int | None] = []
    leaves: list[Scalar] = []
    for item in x:
        if _is_scalar(item):
            shape.append(None)
            leaves.append(_scalar(item))
        elif isinstance(item, Sequence) and not isinstance(item, (str, bytes)) and item:
            for leaf in item:
                if not _is_scalar(leaf):
                    raise TypeError(f"{loss}: {role} holds {leaf!r}, not a number or Value")
                leaves.append(_scalar(leaf))
            shape.append(len(item))
        else:
            raise TypeError(f"{loss}: {role} holds {item!r}, not a number, Value or list")
    return tuple(shape), leaves


def _describe(shape: tuple[int | None, ...] | None) -> str:
    if shape is None:
        return "a single number"
    if all(n is None for n in shape):
        return f"a list of {len(shape)} numbers"
    return f"a list of {len(shape)} items of sizes {[1 if n is None else n for n in shape]}"


def _pairs(pred: object, target: object, loss: str) -> list[tuple[Value, float]]:
    """(prediction, target) for every output of every example; shapes must match."""
    pred_shape, preds = _shape(pred, loss, "pred")
    target_shape, targets = _shape(target, loss, "target")
    if pred_shape != target_shape:
        raise ValueError(
            f"{loss}: pred is {_describe(pred_shape)} but target is {_describe(target_shape)}"
        )
    return [(_as_value(p), _as_float(t)) for p, t in zip(preds, targets)]


def _as_value(x: Scalar) -> Value:
    return x if isinstance(x, Value) else Value(x)


def _as_float(x: Scalar) -> float:
    return x.data if isinstance(x, Value) else x


def _mean(terms: list[Value]) -> Value:
    return sum_values(terms) / len(terms)


def mse(pred: Predictions, target: Targets) -> Value:
    """Mean squared error: mean of (pred - target)²."""
    return _mean([(p - t) ** 2 for p, t in _pairs(pred, target, "mse")])


def _clamped_log(q: Value) -> Value | float:
    """log(q), or PyTorch's floor of -100 (a constant, no gradient) where log(q) < -100."""
    return q.log() if q.data > 0.0 and math.log(q.data) > _LOG_FLOOR else _LOG_FLOOR


def binary_cross_entropy(pred: Predictions, target: Targets) -> Value:
    """-[t log p + (1 - t) log(1 - p)] for probabilities p (e.g. sigmoid outputs).

    Targets are in [0, 1]. log is floored at -100 as in PyTorch, so p = 0 or 1 gives a
    large finite loss rather than an error. For raw scores, use the more accurate
    `binary_cross_entropy_with_logits`.
    """
    terms = []
    for p, t in _pairs(pred, target, "binary_cross_entropy"):
        if not 0.0 <= p.data <= 1.0:
            raise ValueError(
                f"binary_cross_entropy needs probabilities in [0, 1], got {p.data!r} "
                "(for raw scores use binary_cross_entropy_with_logits)"
            )
        _check_soft_label(t, "binary_cross_entropy")
        # A term with a zero weight is left out: 0 * log(0) would otherwise count 0 * -100.
        parts: list[Value | float] = []
        if t != 0.0:
            parts.append(t * _clamped_log(p))
        if t != 1.0:
            parts.append((1.0 - t) * _clamped_log(1.0 - p))
        terms.append(-sum_values(parts))
    return _mean(terms)


def _check_soft_label(t: float, loss: str) -> None:
    if not 0.0 <= t <= 1.0:
        raise ValueError(f"{loss} needs targets in [0, 1], got {t!r}")


def _softplus(z: Value) -> Value:
    """log(1 + e^z) without overflow: e is only ever raised to a non-positive power."""
    if z.data > 0.0:
        return z + ((-z).exp() + 1.0).log()
    return (z.exp() + 1.0).log()


def binary_cross_entropy_with_logits(pred: Predictions, target: Targets) -> Value:
    """Binary cross-entropy of sigmoid(z) computed from the logit z directly.

    Written as softplus(z) - t z, which stays exact and finite for logits of any size,
    where sigmoid followed by log would round to log(0).
    """
    terms = []
    for z, t in _pairs(pred, target, "binary_cross_entropy_with_logits"):
        _check_soft_label(t, "binary_cross_entropy_with_logits")
        terms.append(_softplus(z) - z * t if t != 0.0 else _softplus(z))
    return _mean(terms)


def hinge(pred: Predictions, target: Targets) -> Value:
    """The max-margin loss max(0, 1 - t * score) for targets t of -1 or +1 (an SVM's)."""
    terms = []
    for score, t in _pairs(pred, target, "hinge"):
        if t not in (-1.0, 1.0):
            raise ValueError(
                f"hinge needs targets -1 or +1, got {t!r} (map 0/1 labels with 2 * y - 1)"
            )
        terms.append((1.0 - score * t).relu())
    return _mean(terms)


def _class_index(t: object, classes: int) -> int:
    if isinstance(t, bool) or not isinstance(t, numbers.Integral):
        raise TypeError(f"cross_entropy: a target must be a class index (int), got {t!r}")
    if not 0 <= int(t) < classes:
        raise ValueError(f"cross_entropy: class index {t!r} is out of range for {classes} logits")
    return int(t)


def _logits(x: object) -> list[Value]:
    if isinstance(x, (str, bytes)) or not isinstance(x, Sequence) or not x:
        raise TypeError(
            f"cross_entropy: each prediction must be a non-empty list of logits, got {x!r}"
        )
    logits = []
    for z in x:
        if not _is_scalar(z):
            raise TypeError(f"cross_entropy: a logit must be a number or Value, got {z!r}")
        logits.append(z if isinstance(z, Value) else Value(float(z)))
    return logits


def cross_entropy(
    pred: Sequence[Scalar] | Sequence[Sequence[Scalar]], target: int | Sequence[int]
) -> Value:
    """-log softmax(logits)[target]: `pred` is one list of logits per example, `target`
    its class index (an int for one example, a list of ints for a batch).

    Computed as logsumexp(z) - z[target] with `nn.functional.logsumexp`, which subtracts
    the largest logit before exponentiating, so no exp overflows.
    """
    if isinstance(target, Sequence):
        if isinstance(pred, (str, bytes)) or not isinstance(pred, Sequence):
            raise TypeError(f"cross_entropy: pred must be a list of logit lists, got {pred!r}")
        if len(pred) != len(target):
            raise ValueError(f"cross_entropy: {len(pred)} predictions but {len(target)} targets")
        if not target:
            raise ValueError("cross_entropy: the batch is empty")
        examples = [(_logits(z), t) for z, t in zip(pred, target)]
    else:
        examples = [(_logits(pred), target)]
    terms = []
    for logits, t in examples:
        index = _class_index(t, len(logits))
        terms.append(logsumexp(logits) - logits[index])
    return _mean(terms)


def _params(params: Iterable[Value] | Module) -> list[Value]:
    values = params.parameters() if isinstance(params, Module) else list(params)
    for p in values:
        if not isinstance(p, Value):
            raise TypeError(f"a penalty needs Values (or a Module), got {p!r}")
    return values


def l1(params: Iterable[Value] | Module) -> Value:
    """The sum of |p|: pushes weights to exactly zero (sparsity). Its slope at 0 is 0."""
    return sum_values(
        [p if p.data > 0.0 else -p if p.data < 0.0 else p * 0.0 for p in _params(params)]
    )


def l2(params: Iterable[Value] | Module) -> Value:
    """The sum of p²: shrinks large weights. `alpha * l2(model)` adds 2 * alpha * p to
    each gradient, i.e. SGD's weight_decay=2 * alpha."""
    return sum_values([p * p for p in _params(params)])
