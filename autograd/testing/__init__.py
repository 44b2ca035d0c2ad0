"""Check derivatives against finite differences: the checker glassgrad's own tests use.

`gradcheck(f, inputs)` compares the gradient glassgrad computes for `f` with central
differences at `inputs`; `gradgradcheck` does the same one order up, `check_grads` every
order up to `order`, and `gradcheck_module` every parameter of a model. Each returns True
or raises `GradcheckError`, whose message shows per input both numbers and their
difference, and names the first node of the graph whose own rule disagrees with its
forward. The checkers hide their own frames from pytest's tracebacks.

    >>> from autograd.testing import gradcheck
    >>> gradcheck(lambda x, y: x * y.tanh(), [0.5, -1.0])
    True

Hypothesis strategies (random numbers, expressions, networks) are in
`autograd.testing.strategies`; importing this module does not import hypothesis.
"""

from __future__ import annotations

import itertools
import math
import numbers
from collections.abc import Callable, Sequence
from types import ModuleType
from typing import Any

from autograd.backward import grad, gradients, topological_order
from autograd.op import DomainError
from autograd.value import Operand, Value, check_number

__all__ = ["GradcheckError", "check_grads", "gradcheck", "gradcheck_module", "gradgradcheck"]

ArgNums = int | Sequence[int] | None


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
    argnums: ArgNums = None,
    eps: float = 1e-6,
    atol: float = 1e-5,
    rtol: float = 1e-3,
    raise_exception: bool = True,
) -> bool:
    """Check df/dx_i against central differences at `inputs`, for every input i in `argnums`
    (an int or a tuple; None: all of them).

    `f` takes one Value per input and returns a Value (or a number). Its gradient is taken
    twice, with `grad(f)` and with `.backward()` (the two walks of the engine), and each must
    match (f(x + eps) - f(x - eps)) / (2 eps) within atol + rtol * |numeric|. Returns True;
    on a mismatch raises `GradcheckError`, or returns False if `raise_exception=False`.
    """
    __tracebackhide__ = True
    point = _as_point(inputs)
    _check_tolerances(eps, atol, rtol)
    checked = _checked_inputs(argnums, len(point))
    _evaluate(f, point)  # a forward that fails raises its own error, unchanged
    try:
        analytic = [float(g) for g in grad(f, checked)(*point)]
        by_backward = _backward_gradient(f, point)
    except DomainError as error:  # the rules gave a non-finite gradient or failed
        raise GradcheckError(
            f"gradcheck: the gradient of {getattr(f, '__name__', f)!r} could not be computed "
            f"at {list(point)}: {error}",
            [],
            [],
        ) from error
    numeric = [_central_difference(lambda xs: _evaluate(f, xs), point, i, eps) for i in checked]

    rows = []
    failed = False
    for n, i in enumerate(checked):
        backward_off = not _close(by_backward[i], numeric[n], atol, rtol)
        mismatch = backward_off or not _close(analytic[n], numeric[n], atol, rtol)
        note = ""
        if backward_off and by_backward[i] != analytic[n]:
            note = f"  (.backward() gave {by_backward[i]:.10g})"
        failed = failed or mismatch
        rows.append(_row(str(i), point[i], analytic[n], numeric[n], mismatch) + note)
    if not failed:
        return True
    headline = "gradcheck: the gradient of {} disagrees with"
    message = _report(headline, f, eps, atol, rtol, "input", rows)
    message += _first_wrong_rule(lambda: _labelled_output(f, point), eps, atol, rtol)
    return _fail(GradcheckError(message, analytic, numeric), raise_exception)


def gradgradcheck(
    f: Callable[..., Any],
    inputs: Operand | Sequence[Operand],
    *,
    argnums: ArgNums = None,
    eps: float = 1e-6,
    atol: float = 1e-5,
    rtol: float = 1e-3,
    raise_exception: bool = True,
) -> bool:
    """Check every second derivative d2f/dx_i dx_j against central differences.

    The analytic one is `grad(grad(f))`, built by running the derivative rules on Values;
    the numeric one differentiates df/dx_i, computed by the rules on floats, by central
    differences. So this checks that the rules give the same derivative both ways, and that
    the graph they build differentiates correctly. Pair it with `gradcheck`, which checks
    the first derivatives themselves (`check_grads` runs both). `argnums` and
    `raise_exception` are as for `gradcheck`.
    """
    __tracebackhide__ = True
    point = _as_point(inputs)
    _check_tolerances(eps, atol, rtol)
    everything = _checked_inputs(argnums, len(point))
    rows: list[str] = []
    analytic: list[float] = []
    numeric: list[float] = []
    failed = False

    # First derivatives built as graphs must equal the ones computed on floats.
    on_floats = [float(g) for g in grad(f, everything)(*point)]
    as_graphs = _first_derivatives_as_graphs(f, point, everything)
    for n, i in enumerate(everything):
        if not _close(as_graphs[n], on_floats[n], atol, rtol):
            failed = True
            rows.append(
                f"  df/dx{i} built as a graph is {as_graphs[n]:.10g}, "
                f"on floats it is {on_floats[n]:.10g}  <- differs"
            )

    gradient = grad(f, everything)  # every input a Value, so f may call their methods
    for n, i in enumerate(everything):

        def first(*xs: Any, n: int = n) -> Any:
            return gradient(*xs)[n]

        row_analytic = [float(h) for h in grad(first, everything)(*point)]
        for j in everything:
            estimate = _central_difference(lambda xs: float(first(*xs)), point, j, eps)
            mismatch = not _close(row_analytic[j], estimate, atol, rtol)
            failed = failed or mismatch
            analytic.append(row_analytic[j])
            numeric.append(estimate)
            rows.append(_row(f"{i},{j}", point[j], row_analytic[j], estimate, mismatch))
    if not failed:
        return True
    headline = "gradgradcheck: the second derivatives of {} disagree with"
    message = _report(headline, f, eps, atol, rtol, "i,j", rows)
    return _fail(GradcheckError(message, analytic, numeric), raise_exception)


def check_grads(
    f: Callable[..., Any],
    inputs: Operand | Sequence[Operand],
    order: int = 2,
    *,
    argnums: ArgNums = None,
    eps: float = 1e-6,
    atol: float = 1e-5,
    rtol: float = 1e-3,
    raise_exception: bool = True,
) -> bool:
    """Check every derivative of `f` up to `order` at `inputs`, in one call.

    Order 1 is `gradcheck`, order 2 `gradgradcheck`; order k checks, for every (k - 2)-th
    derivative of f, its second derivatives the same way. The first failing order raises
    (its message names the derivative checked), or returns False if `raise_exception=False`.
    """
    __tracebackhide__ = True
    if isinstance(order, bool) or not isinstance(order, int) or order < 1:
        raise ValueError(f"order must be a positive int, got {order!r}")
    point = _as_point(inputs)
    checked = _checked_inputs(argnums, len(point))
    options: dict[str, Any] = {"eps": eps, "atol": atol, "rtol": rtol, "argnums": checked}
    options["raise_exception"] = raise_exception
    if not gradcheck(f, point, **options):
        return False
    for k in range(2, order + 1):
        for wrt in itertools.combinations_with_replacement(checked, k - 2):
            if not gradgradcheck(_derivative(f, wrt), point, **options):
                return False
    return True


def gradcheck_module(
    model: Any,
    inputs: Any,
    loss: Callable[[Any], Any] | None = None,
    *,
    eps: float = 1e-6,
    atol: float = 1e-5,
    rtol: float = 1e-3,
    raise_exception: bool = True,
) -> bool:
    """Check the gradient of every parameter of `model` against central differences.

    The function checked is `loss(model(inputs))` (or `model(inputs)` itself, which must
    then be one Value); a list of examples, `[[x1, x2], [x3, x4]]`, is run one example at
    a time, and `loss` gets the list of outputs, as `fit` does. Both walks (`.backward()`
    into `.grad`, and `gradients`) are compared with nudging each parameter by +-eps. The
    model's parameters and their `.grad` are as they were afterwards. A model that draws
    random numbers as it runs (dropout in training mode) must be put in `eval()` first.
    """
    __tracebackhide__ = True
    _check_tolerances(eps, atol, rtol)
    named = _named_parameters(model)
    parameters = [p for _, p in named]
    batch = isinstance(inputs, (list, tuple)) and bool(inputs)
    batch = batch and all(isinstance(x, (list, tuple)) for x in inputs)

    def run() -> Value:
        out = [model(x) for x in inputs] if batch else model(inputs)
        value = out if loss is None else loss(out)
        if not isinstance(value, Value):
            raise TypeError(
                "gradcheck_module needs one Value to differentiate, got "
                f"{type(value).__name__}: pass loss= to turn the model's output into one"
            )
        return value

    saved = [(p.data, p.grad) for p in parameters]
    try:
        for p in parameters:
            p.grad = 0.0
        out = run()
        out.backward()
        analytic = [p.grad for p in parameters]
        walked = [float(g) for g in gradients(out, parameters)]
        numeric = []
        for p, (data, _) in zip(parameters, saved):
            p.data = data + eps
            up = run().data
            p.data = data - eps
            down = run().data
            p.data = data
            numeric.append((up - down) / (2.0 * eps))
    finally:
        for p, (data, grad_before) in zip(parameters, saved):
            p.data, p.grad = data, grad_before

    rows = []
    failed = False
    for (name, p), a, w, n in zip(named, analytic, walked, numeric):
        mismatch = not (_close(a, n, atol, rtol) and _close(w, n, atol, rtol))
        failed = failed or mismatch
        note = f"  (gradients() gave {w:.10g})" if mismatch and w != a else ""
        rows.append(_row(name, p.data, a, n, mismatch, width=_width(named)) + note)
    if not failed:
        return True
    message = _report(
        "gradcheck_module: the parameter gradients of {} disagree with",
        model,
        eps,
        atol,
        rtol,
        "parameter",
        rows,
        width=_width(named),
        name=type(model).__name__,
    )
    message += _first_wrong_rule(run, eps, atol, rtol)
    return _fail(GradcheckError(message, analytic, numeric), raise_exception)


# -- helpers -------------------------------------------------------------------------------


def _fail(error: GradcheckError, raise_exception: bool) -> bool:
    __tracebackhide__ = True
    if raise_exception:
        raise error
    return False


def _checked_inputs(argnums: ArgNums, n: int) -> tuple[int, ...]:
    """The input positions to check: all of them for None."""
    if argnums is None:
        return tuple(range(n))
    positions = (argnums,) if isinstance(argnums, int) else tuple(argnums)
    if not positions or not all(isinstance(i, int) and not isinstance(i, bool) for i in positions):
        raise TypeError(f"argnums must be an int or a tuple of ints, got {argnums!r}")
    outside = [i for i in positions if not 0 <= i < n]
    if outside:
        raise ValueError(f"argnums {outside} are outside the {n} inputs")
    return tuple(dict.fromkeys(positions))


def _derivative(f: Callable[..., Any], wrt: tuple[int, ...]) -> Callable[..., Any]:
    """d/dx_wrt[-1] ... d/dx_wrt[0] f, named so for the report."""
    if not wrt:
        return f
    derivative = f
    for i in wrt:
        derivative = grad(derivative, i)
    name = getattr(f, "__name__", None) or repr(f)
    derivative.__name__ = "".join(f"d/dx{i} " for i in reversed(wrt)) + name
    return derivative


def _named_parameters(model: Any) -> list[tuple[str, Value]]:
    if hasattr(model, "named_parameters"):
        named = [(str(name), p) for name, p in model.named_parameters()]
    elif hasattr(model, "parameters"):
        named = [(f"parameter {k}", p) for k, p in enumerate(model.parameters())]
    else:
        raise TypeError(
            f"gradcheck_module needs a model with parameters(), got {type(model).__name__}"
        )
    if not named:
        raise ValueError("gradcheck_module: the model has no parameters to check")
    for name, p in named:
        if not isinstance(p, Value):
            raise TypeError(f"gradcheck_module: parameter {name} is not a Value: {p!r}")
    return named


def _width(named: list[tuple[str, Value]]) -> int:
    return max(9, *(len(name) for name, _ in named))


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


def _first_derivatives_as_graphs(
    f: Callable[..., Any], point: Sequence[float], checked: Sequence[int]
) -> list[float]:
    xs = [Value(x) for x in point]
    out = f(*xs)
    if not isinstance(out, Value):
        return [0.0 for _ in checked]
    return [_as_float(g) for g in gradients(out, [xs[i] for i in checked], create_graph=True)]


def _labelled_output(f: Callable[..., Any], point: Sequence[float]) -> Any:
    """f at `point`, its inputs labelled x0, x1, ... for the report."""
    return f(*[Value(x, label=f"x{i}") for i, x in enumerate(point)])


def _first_wrong_rule(build: Callable[[], Any], eps: float, atol: float, rtol: float) -> str:
    """A line naming the first node (inputs first) whose own derivative rule disagrees
    with central differences of its own forward at its inputs, or saying none does.

    Each node is checked alone, with an incoming gradient g = 2 so that a rule that forgets
    g shows too; nodes where the op says it is not smooth are skipped.
    """
    try:
        out = build()
    except Exception:  # the report is a help; the mismatch above is the finding
        return ""
    if not isinstance(out, Value):
        return ""
    order = topological_order(out)
    names = _node_names(order)
    g = 2.0
    for node in order:
        op = node._rule
        if op is None or op.hand_written:
            continue
        xs = [parent.data for parent in node._parents]
        try:
            if op.smooth is not None and not op.smooth(*xs):
                continue
            local = op.backward(g, node.data, *xs) if op.uses_output else op.backward(g, *xs)
            for k in range(len(xs)):
                up, down = list(xs), list(xs)
                up[k] += eps
                down[k] -= eps
                numeric = (op.forward(*up) - op.forward(*down)) / (2.0 * eps)
                analytic = float(local[k]) / g
                if not _close(analytic, numeric, atol, rtol):
                    described = _describe(op.name, [names[p] for p in node._parents])
                    what = f"{node.label} = {described}" if node.label else described
                    named = [p for p in node._parents if p.label or p._parents]
                    at = ", ".join(f"{names[p]} = {p.data:.10g}" for p in named)
                    return (
                        f"\nthe first node whose rule disagrees: {what}"
                        f"{f', at {at}' if at else ''}: d/d{names[node._parents[k]]} by its "
                        f"rule {analytic:.10g}, by central differences of its forward "
                        f"{numeric:.10g}"
                    )
        except (ArithmeticError, ValueError, TypeError):
            continue
    return (
        "\nevery node's rule agrees with its own forward at its inputs: look at how f "
        "combines them (a kink, a hand-written _backward, or a Value's .data read in f)"
    )


def _node_names(order: list[Value]) -> dict[Value, str]:
    """A name for each node: its label, a constant's value, or its expression in its
    parents' names while that stays short (n<k> after that: the k-th node in `order`)."""
    names: dict[Value, str] = {}
    for k, node in enumerate(order):  # parents first, so their names are known
        if node.label:
            names[node] = node.label
        elif not node._parents or node._rule is None:
            names[node] = f"{node.data:g}"
        else:
            args = [names[p] if " " not in names[p] else f"({names[p]})" for p in node._parents]
            text = _describe(node._rule.name, args)
            names[node] = text if len(text) <= 40 else f"n{k}"
    return names


def _describe(op: str, args: list[str]) -> str:
    if op in ("+", "-", "*", "/", "**") and len(args) == 2:
        return f"{args[0]} {op} {args[1]}"
    if op.startswith("**") and len(args) == 1:
        return f"{args[0]} ** {op[2:]}"
    if op.endswith("**") and len(args) == 1:
        return f"{op[:-2]} ** {args[0]}"
    if op == "neg" and len(args) == 1:
        return f"-{args[0]}"
    return f"{op}({', '.join(args)})"


def _close(analytic: float, numeric: float, atol: float, rtol: float) -> bool:
    return math.isfinite(analytic) and abs(analytic - numeric) <= atol + rtol * abs(numeric)


def _row(
    where: str, x: float, analytic: float, numeric: float, mismatch: bool, width: int = 6
) -> str:
    line = (
        f"  {where:<{width}} {x:<20.10g} {analytic:<20.10g} {numeric:<20.10g} "
        f"{analytic - numeric:<20.3g}"
    )
    return line + " <- differs" if mismatch else line.rstrip()


def _report(
    headline: str,
    f: Any,
    eps: float,
    atol: float,
    rtol: float,
    where: str,
    rows: list[str],
    width: int = 6,
    name: str | None = None,
) -> str:
    if name is None:
        name = getattr(f, "__name__", None) or repr(f)
    at = "value" if where == "parameter" else "at x"
    header = f"  {where:<{width}} {at:<20} {'analytic':<20} {'numeric':<20} {'difference':<20}"
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
