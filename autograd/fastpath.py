"""Each built-in op's step of `backward()`, written out from its rule as plain float code.

The rule table holds every derivative once. Calling a rule for every node of every backward
pass costs a Python call and a tuple per node; so for the built-in ops the rule is run once
on symbols (the same symbolic run `trace` uses, `autograd.codegen.template`) and written out
as a function of one node. For `*` it reads:

    def step_mul(node):
        a, b = node._parents
        g = node.grad
        a.grad += g * b.data
        b.grad += g * a.data

It does the same float operations in the same order as the rule, so the gradients are the
same to the bit. An op whose rule the symbols cannot follow, that can fail on purpose, or that
takes any number of inputs (`dot`, `sum`) keeps the generic step, `autograd.op.apply_rule`.
User ops keep it too: their rules may read state that changes between calls.
"""

from __future__ import annotations

from collections.abc import Callable

from autograd.codegen import template
from autograd.op import Op
from autograd.value import Value

SOURCES: dict[str, str] = {}
"""The source of every generated step, by op name: what `backward()` runs for that op."""

_STEP_NAMES = {"+": "add", "-": "sub", "*": "mul", "/": "div", "**": "pow"}
_PARENTS = ("a", "b")


def install(op: Op) -> None:
    """Give `op` a step written out from its rule, if one can be written."""
    step = _written_step(op)
    if step is not None:
        op.step = step


def _written_step(op: Op) -> Callable[[Value], None] | None:
    if op.arity not in (1, 2):
        return None
    made = template(op, op.arity)
    if made.gradients is None or any("_fail()" in line for line in made.gradients):
        return None
    parents = _PARENTS[: op.arity]
    data = [f"{parent}.data" for parent in parents]
    name = "step_" + _identifier(op.name)
    unpack = "a, b" if op.arity == 2 else "(a,)"
    lines = [f"def {name}(node):", f"    {unpack} = node._parents", "    g = node.grad"]
    for parent, gradient in zip(parents, made.gradients):
        lines.append(f"    {parent}.grad += {gradient.format(*data, g='g', out='node.data')}")
    source = "\n".join(lines) + "\n"
    namespace: dict[str, object] = {}
    exec(compile(source, f"<backward step of {op.name!r}>", "exec"), namespace)
    SOURCES[op.name] = source
    step: Callable[[Value], None] = namespace[name]  # type: ignore[assignment]
    return step


def _identifier(name: str) -> str:
    if name in _STEP_NAMES:
        return _STEP_NAMES[name]
    spelled = name.replace("**", "pow_").replace("-", "minus_").replace(".", "_")
    cleaned = "".join(c if c.isalnum() else "_" for c in spelled)
    return cleaned if cleaned.isidentifier() else "op"
