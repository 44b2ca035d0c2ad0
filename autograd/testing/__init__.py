"""Check derivatives against finite differences: the checker glassgrad's own tests use.

`gradcheck(f, inputs)` compares the gradient glassgrad computes for `f` with central
differences at `inputs`; `gradgradcheck` does the same one order up. Both return True or
raise `GradcheckError`, whose message shows per input both numbers and their difference.

    >>> from autograd.testing import gradcheck
    >>> gradcheck(lambda x, y: x * y.tanh(), [0.5, -1.0])
    True

Hypothesis strategies (random numbers, expressions, networks) are in
`autograd.testing.strategies`; importing this module does not import hypothesis.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Callable, Sequence
from types import ModuleType
from typing import Any

from autograd.backward import grad, gradients
from autograd.op import DomainError
from autograd.value import Operand, Value, check_number

__all__ = ["GradcheckError", "gradcheck", "gradgradcheck"]


class GradcheckError(AssertionError):
    """Analytic and numeric derivatives disagree; the message shows both for every input.

    An `AssertionError`, so a failing check reads as a failed assertion under pytest.
    `analytic` and `numeric` hold the numbers compared, in the order of the message.
    """

    def __init__(self, message: str, analytic: list[float], numeric: list[float]) -> None:
        super().__init__(message)
        self.analytic = analytic
        self.numeric = numeric


def gradcheck(
    f: Callable[..., Any],
    inputs: Operand | Sequence[Operand],
    *,
    eps: float = 1e-6,
    atol: float = 1e-5,
    rtol: float = 1e-3,
) -> bool:
    """Check df/dx_i against central differences at `inputs`, for every input i.

    `f` takes one Value per input and returns a Value (or a number). Its gradient is taken
    twice, with `grad(f)` and with `.backward()` (the two walks of the engine), and each must
    match (f(x + eps) - f(x - eps)) / (2 eps) within atol + rtol * |numeric|. Returns True
    or raises `GradcheckError`.
    """
    point = _as_point(inputs)
    _check_tolerances(eps, atol, rtol)
    everything = tuple(range(len(point)))
    _evaluate(f, point)  # a forward that fails raises its own error, unchanged
    try:
        analytic = [float(g) for g in grad(f, everything)(*point)]
        by_backward = _backward_gradient(f, point)
    except DomainError as error:  # the rules gave a non-finite gradient or failed
        raise GradcheckError(
            f"gradcheck: the gradient of {getattr(f, '__name__', f)!r} could not be computed "
            f"at {list(point)}: {error}",
            [],
            [],
        ) from error
    numeric = [_central_difference(lambda xs: _evaluate(f, xs), point, i, eps) for i in everything]

    rows = []
    failed = False
    for i in everything:
        backward_off = not _close(by_backward[i], numeric[i], atol, rtol)
        mismatch = backward_off or not _close(analytic[i], numeric[i], atol, rtol)
        note = ""
        if backward_off and by_backward[i] != analytic[i]:
            note = f"  (.backward() gave {by_backward[i]:.10g})"
        failed = failed or mismatch
        rows.append(_row(str(i), point[i], analytic[i], numeric[i], mismatch) + note)
    if failed:
        raise GradcheckError(
            _report(
                "gradcheck: the gradient of {} disagrees with", f, eps, atol, rtol, "input", rows
            ),
            analytic,
            numeric,
        )
    return True


def gradgradcheck(
    f: Callable[..., Any],
    inputs: Operand | Sequence[Operand],
    *,
    eps: float = 1e-6,
    atol: float = 1e-5,
    rtol: float = 1e-3,
) -> bool:
    """Check every second derivative d2f/dx_i dx_j against central differences.

    The analytic one is `grad(grad(f))`, built by running the derivative rules on Values;
    the numeric one differentiates df/dx_i, computed by the rules on floats, by central
    differences. So this checks that the rules give the same derivative both ways, and that
    the graph they build differentiates correctly. Pair it with `gradcheck`, which checks
    the first derivatives themselves.
    """
    point = _as_point(inputs)
    _check_tolerances(eps, atol, rtol)
    everything = tuple(range(len(point)))
    rows: list[str] = []
    analytic: list[float] = []
    numeric: list[float] = []
    failed = False

    # First derivatives built as graphs must equal the ones computed on floats.
    on_floats = [float(g) for g in grad(f, everything)(*point)]
    as_graphs = _first_derivatives_as_graphs(f, point)
    for i in everything:
        if not _close(as_graphs[i], on_floats[i], atol, rtol):
            failed = True
            rows.append(
                f"  df/dx{i} built as a graph is {as_graphs[i]:.10g}, "
                f"on floats it is {on_floats[i]:.10g}  <- differs"
            )

    gradient = grad(f, everything)  # every input a Value, so f may call their methods
    for i in everything:

        def first(*xs: Any, i: int = i) -> Any:
            return gradient(*xs)[i]

        row_analytic = [float(h) for h in grad(first, everything)(*point)]
        for j in everything:
            estimate = _central_difference(lambda xs: float(first(*xs)), point, j, eps)
            mismatch = not _close(row_analytic[j], estimate, atol, rtol)
            failed = failed or mismatch
            analytic.append(row_analytic[j])
            numeric.append(estimate)
            rows.append(_row(f"{i},{j}", point[j], row_analytic[j], estimate, mismatch))
    if failed:
        raise GradcheckError(
            _report(
                "gradgradcheck: the second derivatives of {} disagree with",
                f,
                eps,
                atol,
                rtol,
                "i,j",
                rows,
            ),
            analytic,
            numeric,
        )
    return True


# -- helpers -------------------------------------------------------------------------------


def _as_point(inputs: Operand | Sequence[Operand]) -> list[float]:
    """The inputs as floats: a single number or Value stands for a one-element list."""
    items = [inputs] if isinstance(inputs, (Value, int, float, numbers.Real)) else inputs
    point = [
        x.data if isinstance(x, Value) else check_number(x, f"gradcheck input {i}")
        for i, x in enumerate(items)
    ]
    if not point:
        raise ValueError("gradcheck needs at least one input")
    return point


def _check_tolerances(eps: float, atol: float, rtol: float) -> None:
    if not eps > 0.0:
        raise ValueError(f"eps must be positive, got {eps!r}")
    if not (atol >= 0.0 and rtol >= 0.0):
        raise ValueError(f"atol and rtol must be non-negative, got {atol!r} and {rtol!r}")


def _evaluate(f: Callable[..., Any], point: Sequence[float]) -> float:
    """f at `point` as a float (f gets Values, so it may call their methods)."""
    return _as_float(f(*[Value(x) for x in point]))


def _as_float(out: object) -> float:
    if isinstance(out, Value):
        return out.data
    if isinstance(out, numbers.Real) and not isinstance(out, bool):
        return float(out)
    raise TypeError(f"gradcheck needs f to return a Value or a number, got {type(out).__name__}")


def _central_difference(
    f: Callable[[list[float]], float], point: Sequence[float], i: int, eps: float
) -> float:
    """(f(x + eps e_i) - f(x - eps e_i)) / (2 eps)."""
    up = list(point)
    down = list(point)
    up[i] += eps
    down[i] -= eps
    return (f(up) - f(down)) / (2.0 * eps)


def _backward_gradient(f: Callable[..., Any], point: Sequence[float]) -> list[float]:
    """The gradient as `.backward()` leaves it in the inputs' `.grad`."""
    xs = [Value(x) for x in point]
    out = f(*xs)
    if isinstance(out, Value):
        out.backward()
    return [x.grad for x in xs]


def _first_derivatives_as_graphs(f: Callable[..., Any], point: Sequence[float]) -> list[float]:
    xs = [Value(x) for x in point]
    out = f(*xs)
    if not isinstance(out, Value):
        return [0.0 for _ in xs]
    return [_as_float(g) for g in gradients(out, xs, create_graph=True)]


def _close(analytic: float, numeric: float, atol: float, rtol: float) -> bool:
    return math.isfinite(analytic) and abs(analytic - numeric) <= atol + rtol * abs(numeric)


def _row(where: str, x: float, analytic: float, numeric: float, mismatch: bool) -> str:
    line = (
        f"  {where:<6} {x:<20.10g} {analytic:<20.10g} {numeric:<20.10g} {analytic - numeric:<20.3g}"
    )
    return line + " <- differs" if mismatch else line.rstrip()


def _report(
    headline: str,
    f: Callable[..., Any],
    eps: float,
    atol: float,
    rtol: float,
    where: str,
    rows: list[str],
) -> str:
    name = getattr(f, "__name__", None) or repr(f)
    header = f"  {where:<6} {'at x':<20} {'analytic':<20} {'numeric':<20} {'difference':<20}"
    return "\n".join(
        [
            f"{headline.format(name)} central differences "
            f"(eps={eps:g}, atol={atol:g}, rtol={rtol:g})",
            header.rstrip(),
            *rows,
        ]
    )


def __getattr__(name: str) -> ModuleType:
    # `autograd.testing.strategies` on first use, so hypothesis is imported only then.
    if name == "strategies":
        import importlib

        return importlib.import_module("autograd.testing.strategies")
    raise AttributeError(f"module 'autograd.testing' has no attribute {name!r}")
