"""The graph walk: topological order, `backward()`, and `grad()` for any order.

Nothing here knows a derivative: each node's rule comes from the table in `autograd.ops`.
Nothing here recurses either, so a chain of a million operations is as easy as ten.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Callable, Sequence
from contextvars import ContextVar
from typing import Any, NoReturn

from autograd.ops import identity  # first: the table imports value and op in their order

# isort: split
from autograd.op import RULE_FAILURES, DomainError, describe_node, local_gradients, rule_failed
from autograd.value import MANY, Value, check_number, leaf

_INF = math.inf


def topological_order(root: Value) -> list[Value]:
    """Every node `root` depends on, each after all of its parents; `root` comes last."""
    order: list[Value] = []
    visited: set[Value] = set()
    # Depth-first with an explicit stack instead of recursion. A node is pushed back under
    # a None marker while its parents are expanded above it; popping the marker means all
    # of them are in `order`, so the node goes next. A leaf depends on nothing: it goes into
    # `order` as soon as it is met, without a trip through the stack.
    # The inputs are read from `_first` and `_second` (see `Value`), in that order, each test
    # written out for the two: a tuple built per node to loop over took the order of a GPT
    # step from 129 to 165 million instructions.
    stack: list[Value | None] = [root]
    push, pop, emit, visit = stack.append, stack.pop, order.append, visited.add
    while stack:
        node = pop()
        if node is None:
            emit(pop())  # type: ignore[arg-type]
            continue
        if node in visited:
            continue
        visit(node)
        first = node._first
        if first is None:
            emit(node)  # only the root can be a leaf here
            continue
        push(node)
        push(None)
        second = node._second
        if second is MANY:
            for parent in first:
                if parent not in visited:
                    if parent._first is not None:
                        push(parent)
                    else:
                        visit(parent)
                        emit(parent)
            continue
        if first not in visited:
            if first._first is not None:
                push(first)
            else:
                visit(first)
                emit(first)
        if second is not None and second not in visited:
            if second._first is not None:
                push(second)
            else:
                visit(second)
                emit(second)
    return order


def backward(root: Value) -> None:
    """Add d(root)/d(node) to `node.grad` for every node `root` depends on.

    Gradients from earlier calls are set aside while this call propagates its own, then
    added back, so calling twice gives exactly twice the gradients at every node. A call
    that fails (a rule raising, a gradient overflowing, Ctrl-C) leaves every `.grad` exactly
    as it was before the call.
    """
    order = topological_order(root)
    earlier = [(node, node.grad) for node in order if node.grad]
    try:
        for node, _ in earlier:
            node.grad = 0.0
        root.grad = 1.0
        _propagate(order)
        for node, grad in earlier:
            node.grad += grad
        # One cheap test of everything: a sum of finite floats is finite unless it
        # overflows, so only a non-finite total needs the exact look (and rarely finds none).
        total = sum([node.grad for node in order])
        if not -_INF < total < _INF and not all(map(math.isfinite, [n.grad for n in order])):
            _restore(order, earlier)
            _raise_overflow(order, root, earlier)
    except BaseException:
        _restore(order, earlier)
        raise


def _restore(order: list[Value], earlier: list[tuple[Value, float]]) -> None:
    """Put back the `.grad` every node in `order` had before `backward()` started."""
    for node in order:
        node.grad = 0.0
    for node, grad in earlier:
        node.grad = grad


def _propagate(order: list[Value]) -> None:
    """Push each node's `.grad` to its parents, outputs first (floats only).

    Each op's `step` does one node: for the built-in ops it is their rule written out as a
    few lines of float arithmetic (`autograd.fastpath`), for any other the rule called.
    """
    node = None
    try:
        for node in reversed(order):
            op = node._rule
            if op is not None and node.grad != 0.0:  # every rule is linear in g: 0 adds nothing
                op.step(node)
    except RULE_FAILURES as error:
        raise _failure_at(node, error) from error


def _failure_at(node: Value | None, error: Exception) -> Exception:
    """`error` raised by the rule of `node`, as a DomainError naming the op and the node."""
    if node is None or node._rule is None:
        return error
    return rule_failed(node._rule.name, node._parents, node.data, error)


def _raise_overflow(
    order: list[Value], root: Value, earlier: list[tuple[Value, float]]
) -> NoReturn:
    """Walk `order` again with a check at every step and raise where a gradient overflowed.

    The slow path of `backward()`, taken only when some gradient came out non-finite; the
    caller restores every `.grad` afterwards.
    """
    for node in order:
        node.grad = 0.0
    root.grad = 1.0
    for node in reversed(order):
        op = node._rule
        g = node.grad
        if op is None or g == 0.0:
            continue
        if op.hand_written:  # its step adds into the parents itself
            local_gradients(node, g)
            for i, parent in enumerate(node._parents):
                if not math.isfinite(parent.grad):
                    raise _overflow(node, i, g, parent.grad)
            continue
        for i, (parent, grad) in enumerate(zip(node._parents, local_gradients(node, g))):
            if not math.isfinite(grad):
                raise _overflow(node, i, g, grad)
            total = parent.grad + grad
            if not math.isfinite(total):
                raise _overflow(node, i, g, grad, parent.grad)
            parent.grad = total
    for node, grad in earlier:
        if not math.isfinite(node.grad + grad):
            raise DomainError(
                f"backward: the gradient of {_name(node)} overflows when added to the .grad "
                f"it already had: {node.grad!r} + {grad!r} is not finite (call zero_grad() "
                "between steps)"
            )
    raise DomainError("backward: a gradient came out non-finite (a hand-written _backward?)")


def _overflow(
    node: Value, i: int, g: float, grad: float, already: float | None = None
) -> DomainError:
    """The error for the gradient `node` sends to its input `i` not being a finite number."""
    op = node._rule
    assert op is not None
    where = describe_node(op.name, node._parents, node.data)
    parent = node._parents[i]
    target = f"input {i} ({_name(parent)})"
    if already is None:
        what = f"the gradient it sends to its {target} is {grad!r}"
    else:
        what = f"the gradients reaching its {target} add up past a float: {already!r} + {grad!r}"
    return DomainError(
        f"a gradient overflowed at the node {where} (op {op.name!r}, incoming gradient "
        f"{g!r}): {what}"
    )


def _name(node: Value) -> str:
    """A node as messages show it: its label if it has one, and its value."""
    return f"{node.label!r} = {node.data!r}" if node.label else repr(node.data)


def apply_rule_once(node: Value) -> None:
    """One step of backpropagation by hand: add `node.grad * d(node)/d(parent)` to each parent.

    This is `node._backward()`, micrograd's per-node step; a leaf has nothing to do. It
    changes no gradient when the rule fails or a gradient would overflow.
    """
    rule = node._rule
    if rule is None:
        return
    parents = node._parents
    g = node.grad
    try:
        grads = local_gradients(node, g)
    except RULE_FAILURES as error:
        raise _failure_at(node, error) from error
    if rule.hand_written:
        return
    # Summed per parent first (x * x sends two amounts to x), written only when all are finite.
    sums: dict[Value, float] = {}
    for i, (parent, grad) in enumerate(zip(parents, grads)):
        before = sums.get(parent, parent.grad)
        total = before + grad
        if not math.isfinite(total):
            raise _overflow(node, i, g, grad, before if math.isfinite(grad) else None)
        sums[parent] = total
    for parent, total in sums.items():
        parent.grad = total


def gradients(output: Value, inputs: Sequence[Value], *, create_graph: bool = False) -> list[Any]:
    """d(output)/d(x) for each x in `inputs`, without touching any `.grad`.

    With `create_graph=True` the gradients are Values whose graph leads back to the inputs,
    so they can be differentiated again; otherwise they are floats. A rule that fails or a
    gradient that overflows raises `DomainError` naming the node where it happened.
    """
    order = topological_order(output)
    # Only nodes on a path from an input to the output need a gradient.
    on_path: set[Value] = set(inputs)
    for node in order:
        if node not in on_path and any(parent in on_path for parent in node._parents):
            on_path.add(node)
    zero: Any = leaf(0.0) if create_graph else 0.0
    if output not in on_path:
        return [zero for _ in inputs]
    if create_graph:
        return _walk(order, on_path, output, inputs, create_graph=True, checked=False)
    results = _walk(order, on_path, output, inputs, create_graph=False, checked=False)
    if not all(map(math.isfinite, results)):  # rules are linear in g: it reaches an input
        _walk(order, on_path, output, inputs, create_graph=False, checked=True)
    return results


def _walk(
    order: list[Value],
    on_path: set[Value],
    output: Value,
    inputs: Sequence[Value],
    *,
    create_graph: bool,
    checked: bool,
) -> list[Any]:
    """The gradients of `output` for `inputs`, in a dict; `checked` tests every step."""
    zero: Any = leaf(0.0) if create_graph else 0.0
    grads: dict[Value, Any] = {output: leaf(1.0) if create_graph else 1.0}
    for node in reversed(order):
        op = node._rule
        g = grads.get(node)
        if op is None or g is None or node not in on_path:
            continue
        if op.hand_written:
            raise TypeError(
                f"grad() and gradients() cannot go through the node {node.op!r}: its rule is a "
                "hand-written _backward that only backward() can run"
            )
        parents = node._parents
        args: list[Any] = list(parents) if create_graph else [p.data for p in parents]
        out: Any = node if create_graph else node.data
        try:
            local = op.backward(g, out, *args) if op.uses_output else op.backward(g, *args)
        except RULE_FAILURES as error:
            if create_graph and isinstance(error, DomainError):
                _diagnose(node, g.data)  # an overflow in the derivative's own graph?
            raise _failure_at(node, error) from error
        for i, (parent, grad) in enumerate(zip(parents, local)):
            if parent not in on_path:
                continue
            if checked and not math.isfinite(grad):
                raise _overflow(node, i, g, grad)
            if parent not in grads:
                grads[parent] = grad
                continue
            try:
                total = grads[parent] + grad
            except RULE_FAILURES:  # Values: the sum itself overflowed
                raise _overflow(node, i, g.data, grad.data, grads[parent].data) from None
            if checked and not math.isfinite(total):
                raise _overflow(node, i, g, grad, grads[parent])
            grads[parent] = total
    return [grads.get(x, zero) for x in inputs]


def _diagnose(node: Value, g: float) -> None:
    """Raise the overflow error if `node`'s rule on floats gives a non-finite gradient."""
    try:
        local = local_gradients(node, g)
    except RULE_FAILURES:
        return
    for i, grad in enumerate(local):
        if not math.isfinite(grad):
            raise _overflow(node, i, g, grad)


_nesting: ContextVar[int] = ContextVar("glassgrad_grad_nesting", default=0)
"""How many calls of grad-made functions are running f right now (in this thread/task)."""


def value_and_grad(
    f: Callable[..., Any], argnums: int | Sequence[int] = 0
) -> Callable[..., tuple[Any, Any]]:
    """Like `grad`, but the new function returns `(f(*args), gradient)`."""
    positions = _check_argnums(argnums)

    def value_and_gradient(*args: Any) -> tuple[Any, Any]:
        values = list(args)
        for i in positions:
            if i >= len(values):
                raise TypeError(f"argnums asks for argument {i}, but only {len(values)} given")
        # Inside another grad (or given Values), the derivative must itself be a graph
        # that the outer derivative can walk: f may close over the outer variables.
        create_graph = _nesting.get() > 0 or any(isinstance(values[i], Value) for i in positions)
        inputs = []
        for i in positions:
            x = values[i]
            # A Value gets a fresh identity node, so that this derivative is taken with
            # respect to this call's variable only, even when f also closes over x.
            values[i] = identity(x) if isinstance(x, Value) else Value(check_number(x, "grad"))
            inputs.append(values[i])
        token = _nesting.set(_nesting.get() + 1)
        try:
            out = f(*values)
        finally:
            _nesting.reset(token)
        if isinstance(out, Value):
            grads = gradients(out, inputs, create_graph=create_graph)
            value: Any = out if create_graph else out.data
        elif isinstance(out, numbers.Real) and not isinstance(out, bool):
            grads = [leaf(0.0) if create_graph else 0.0 for _ in inputs]
            value = float(out)
        else:
            raise TypeError(f"grad needs f to return a Value or a number, got {type(out).__name__}")
        return value, grads[0] if isinstance(argnums, int) else tuple(grads)

    value_and_gradient.__doc__ = f"Value and gradient of {getattr(f, '__name__', f)!r}."
    return value_and_gradient


def grad(f: Callable[..., Any], argnums: int | Sequence[int] = 0) -> Callable[..., Any]:
    """The function computing df/dx with respect to argument `argnums` (a tuple for several).

    Floats in give floats out; Values in give Values whose graph can be differentiated
    again, so `grad(grad(grad(f)))(0.5)` is the third derivative of f at 0.5.
    """
    with_value = value_and_grad(f, argnums)

    def gradient(*args: Any) -> Any:
        return with_value(*args)[1]

    gradient.__doc__ = f"Gradient of {getattr(f, '__name__', f)!r}."
    return gradient


def _check_argnums(argnums: int | Sequence[int]) -> tuple[int, ...]:
    positions = (argnums,) if isinstance(argnums, int) else tuple(argnums)
    if not positions or not all(
        isinstance(i, int) and not isinstance(i, bool) and i >= 0 for i in positions
    ):
        raise TypeError(f"argnums must be a non-negative int or a tuple of them, got {argnums!r}")
    return positions
