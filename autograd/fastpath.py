"""Each built-in op's step of `backward()`, written out from its rule as plain float code.

The rule table holds every derivative once. Calling a rule for every node of every backward
pass costs a Python call and a tuple per node; so for the built-in ops the rule is run once
on symbols (the same symbolic run `trace` uses, `autograd.codegen.template`) and written out
as a function of one node. For `*` it reads:

    def step_mul(node):
        a = node._first
        b = node._second
        g = node.grad
        a.grad += g * b.data
        b.grad += g * a.data

It does the same float operations in the same order as the rule, so the gradients are the
same to the bit. An op whose rule the symbols cannot follow, that can fail on purpose, or that
takes any number of inputs (`dot`, `sum`) keeps the generic step, `autograd.op.apply_rule`.
User ops keep it too: their rules may read state that changes between calls.
"""

from __future__ import annotations

import math
from collections.abc import Callable

from autograd import mode
from autograd.codegen import template
from autograd.mode import is_grad_enabled
from autograd.op import Op, apply_rule
from autograd.value import Value, as_value

SOURCES: dict[str, str] = {}
"""The source of each table op's generated step, by op name: what `backward()` runs for it."""

APPLY_SOURCES: dict[str, str] = {}
"""The source of every generated apply function (`a * b` for Values), by op name."""

REFLECTED: dict[str, Callable[..., Value]] = {}
"""The same functions with their two parameters swapped, by op name: `Value.__rmul__` and
the like, so that `2 * x` is one call too (its node still has the parents (2, x))."""

# A binary op whose forward is plain float arithmetic computes it in place instead of
# calling the table's forward; any case out of the ordinary (plain numbers on both sides, a
# result that is not finite) goes to the op's general apply, which gives the same answer or
# raises the same error. The node is built as `autograd.value.node` builds it, written out
# (as in `op._make_apply`'s one- and two-input closures) to save a call per operation: a
# change to what a node holds goes into all of them.
_BINARY_APPLY = """\
def {name}({parameters}):
    if not isinstance(x, Value):
        if not isinstance(y, Value):
            return general(x, y)
        x = as_value(x)
    elif not isinstance(y, Value):
        y = as_value(y)
    data = {expression}
    if not -inf < data < inf:
        return general(x, y)
    result = new(Value)
    result.data = data
    result.grad = 0.0
    result.label = ""
    if not mode.open_blocks or is_grad_enabled():
        result._rule = op
        result._first = x
        result._second = y
    else:
        result._rule = None
        result._first = result._second = None
    return result
"""

_STEP_NAMES = {"+": "add", "-": "sub", "*": "mul", "/": "div", "**": "pow"}
_PARENTS = ("a", "b")


def install(op: Op) -> None:
    """Give `op` a step written out from its rule, and an apply function written out from
    its forward, where they can be written."""
    step = _written_step(op)
    if step is not None:
        op.step = step
    apply = _written_apply(op)
    if apply is not None:
        op.apply = apply


def install_on_first_use(op: Op) -> None:
    """Give `op` a step written out from its rule when `backward()` first reaches one of its
    nodes. For the ops made per constant (`x ** c` for each c): writing a step runs the rule
    on symbols, and the rule of `x ** c` makes the op `x ** (c - 1)`, so writing eagerly would
    make and write a chain of ops for every new constant."""

    def first_step(node: Value) -> None:
        op.step = _written_step(op, record=False) or apply_rule
        op.step(node)

    op.step = first_step


def _written_apply(op: Op) -> Callable[..., Value] | None:
    if op.arity != 2:
        return None
    forward = template(op, 2).forward
    if forward is None or "_fail()" in forward or " if " in forward:
        return None
    name = _identifier(op.name)
    expression = forward.format("x.data", "y.data")
    source = _BINARY_APPLY.format(name=name, parameters="x, y", expression=expression)
    reflected = _BINARY_APPLY.format(name="r" + name, parameters="y, x", expression=expression)
    namespace: dict[str, object] = {
        "Value": Value,
        "as_value": as_value,
        "new": object.__new__,
        "inf": math.inf,
        "mode": mode,
        "is_grad_enabled": is_grad_enabled,
        "op": op,
        "general": op.apply,
    }
    exec(compile(source + "\n\n" + reflected, f"<apply of {op.name!r}>", "exec"), namespace)
    APPLY_SOURCES[op.name] = source
    apply: Callable[..., Value] = namespace[name]  # type: ignore[assignment]
    swapped: Callable[..., Value] = namespace["r" + name]  # type: ignore[assignment]
    swapped.__doc__ = f"other {op.name} self: the op {op.name!r} with the Value on the right."
    REFLECTED[op.name] = swapped
    apply.__doc__ = op.apply.__doc__
    return apply


def _written_step(op: Op, record: bool = True) -> Callable[[Value], None] | None:
    if op.arity not in (1, 2):
        return None
    made = template(op, op.arity)
    if made.gradients is None or any("_fail()" in line for line in made.gradients):
        return None
    parents = _PARENTS[: op.arity]
    data = [f"{parent}.data" for parent in parents]
    name = "step_" + _identifier(op.name)
    lines = [f"def {name}(node):", "    a = node._first"]
    if op.arity == 2:
        lines.append("    b = node._second")
    lines.append("    g = node.grad")
    for parent, gradient in zip(parents, made.gradients):
        lines.append(f"    {parent}.grad += {gradient.format(*data, g='g', out='node.data')}")
    source = "\n".join(lines) + "\n"
    namespace: dict[str, object] = {}
    exec(compile(source, f"<backward step of {op.name!r}>", "exec"), namespace)
    if record:
        SOURCES[op.name] = source
    step: Callable[[Value], None] = namespace[name]  # type: ignore[assignment]
    return step


def _identifier(name: str) -> str:
    if name in _STEP_NAMES:
        return _STEP_NAMES[name]
    spelled = name.replace("**", "pow_").replace("-", "minus_").replace(".", "_")
    cleaned = "".join(c if c.isalnum() else "_" for c in spelled)
    return cleaned if cleaned.isidentifier() else "op"
