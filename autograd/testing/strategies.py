"""Hypothesis strategies for property tests of gradients: numbers, expressions, networks.

    from hypothesis import given
    from autograd.testing import gradcheck
    from autograd.testing.strategies import expressions

    @given(expressions(n_inputs=2, max_depth=3))
    def test_gradients(expression):
        assert gradcheck(*expression)

`expressions` builds random graphs from the rule table (your own ops when you name them),
keeps every op inside its domain and away from kinks, makes sure the op under test is in
every graph, and shrinks a failure to a small graph that prints as Python you can paste
into a regression test. This module needs hypothesis, which the `dev` extra installs.
"""

from __future__ import annotations

import ast
import itertools
import keyword
import math
import numbers
from collections.abc import Iterable, Sequence
from typing import Any, NamedTuple

try:
    from hypothesis import assume, event
    from hypothesis import strategies as st
except ImportError as error:  # pragma: no cover - exercised in a subprocess by the tests
    raise ImportError(
        "autograd.testing.strategies needs hypothesis, which is not installed: "
        "pip install 'glassgrad[dev]'",
        name="hypothesis",
    ) from error

from autograd.backward import topological_order
from autograd.op import _BUILT_IN
from autograd.ops import OPS, Op, _power_by, _power_of, power, sum_values
from autograd.value import Value, check_number

__all__ = [
    "BASES",
    "EXPONENTS",
    "MAX_MAGNITUDE",
    "POWER_BY",
    "POWER_OF",
    "Expression",
    "ExpressionFunction",
    "Network",
    "Step",
    "expressions",
    "mlps",
    "points_for",
    "values",
]

POWER_BY = "**c"
"""In `ops`, the family x ** c for a constant exponent c taken from `EXPONENTS`."""
POWER_OF = "c**"
"""In `ops`, the family c ** x for a constant base c taken from `BASES`."""
EXPONENTS = (2.0, 3.0, 0.5, -1.0, 1.5, -2.0, 1.0, 0.0)
BASES = (2.0, 0.5, math.e, 10.0)
MAX_MAGNITUDE = 1e3
"""No node of a drawn expression is larger than this in absolute value.

Bounded values keep central differences accurate (their rounding error grows with |f|)
and keep the `eps` steps of a check from crossing a kink the expression stays away from.
"""


def values(
    min_value: float = -10.0,
    max_value: float = 10.0,
    *,
    avoid: Iterable[float] = (),
    margin: float = 1e-3,
) -> st.SearchStrategy[Value]:
    """Finite floats in [min_value, max_value], each wrapped in a fresh leaf `Value`.

    `avoid` lists points to stay at least `margin` away from (a kink: `avoid=[0.0]` for
    relu or abs), drawn from the intervals between them rather than rejected, so no test
    loses its examples to an `assume`.
    """
    return _floats_avoiding(min_value, max_value, avoid, margin).map(Value)


def points_for(
    op: str | Op, min_value: float = -3.0, max_value: float = 3.0
) -> st.SearchStrategy[tuple[float, ...]]:
    """Inputs for `op` (a name in the table, or an Op) inside its domain: its `smooth`
    holds there, its forward succeeds and the result is at most `MAX_MAGNITUDE`.

    One float per input in [min_value, max_value] (a variadic op gets one to four), for
    `gradcheck(op_function, point)`. A `smooth` or forward that fails with anything but
    a domain error (ArithmeticError, ValueError) is a bug in the op, and raises.
    """
    table_op = _lookup(op)
    low, high = _check_range(min_value, max_value, "points_for")
    _probe(table_op)
    counts = st.just(table_op.arity) if table_op.arity is not None else st.integers(1, 4)
    return counts.flatmap(
        lambda n: st.tuples(*[_inputs(low, high)] * n).filter(
            lambda xs: _checked_forward(table_op, list(xs)) is not None
        )
    )


class Step(NamedTuple):
    """One node of an expression: `op` applied to `args`.

    `op` is a name in the rule table, `POWER_BY` or `POWER_OF`. An int in `args` refers to
    an earlier node (the inputs come first, then the steps in order); a float is a
    constant (the c of the power families).
    """

    op: str
    args: tuple[int | float, ...]


class ExpressionFunction:
    """A function of `n_inputs` Values computed by `steps`.

    A node may be used by several later steps, so the graph is a DAG, not only a tree.
    The value is the sum of the `outputs`, the steps that no later step uses (the last
    step, and any other left over), so that every step reaches the value and is checked.
    Its repr is the program as Python, one assignment per step (`def f(x0): v1 = ...`);
    the nodes it makes are labelled with those names, so checkers' reports use them too.
    """

    __slots__ = ("n_inputs", "ops", "outputs", "steps")

    def __init__(self, n_inputs: int, steps: Sequence[Step], ops: dict[str, Op]) -> None:
        self.n_inputs = n_inputs
        self.steps = tuple(steps)
        self.ops = ops
        used = {a for step in self.steps for a in step.args if isinstance(a, int)}
        last = n_inputs + len(self.steps) - 1
        self.outputs = (*(k for k in range(n_inputs, last) if k not in used), last)

    def __call__(self, *xs: Any) -> Any:
        if len(xs) != self.n_inputs:
            raise TypeError(f"this expression takes {self.n_inputs} inputs, got {len(xs)}")
        nodes: list[Any] = list(xs)
        for k, step in enumerate(self.steps):
            args = [nodes[a] if isinstance(a, int) else a for a in step.args]
            if step.op in (POWER_BY, POWER_OF):
                result = power(args[0], args[1])
            else:
                result = self.ops[step.op].apply(*args)
            if isinstance(result, Value) and not result.label:
                result.label = f"v{k + 1}"
            nodes.append(result)
        if len(self.outputs) == 1:
            return nodes[self.outputs[0]]
        return sum_values([nodes[k] for k in self.outputs])

    @property
    def __name__(self) -> str:  # gradcheck's report names the function by this
        return repr(self)

    def __repr__(self) -> str:
        names = [f"x{i}" for i in range(self.n_inputs)]
        names += [f"v{k + 1}" for k in range(len(self.steps))]
        lines = []
        for k, step in enumerate(self.steps):
            args = [names[a] if isinstance(a, int) else repr(a) for a in step.args]
            lines.append(f"{names[self.n_inputs + k]} = {_format(step.op, args)}")
        lines.append(f"return {' + '.join(names[k] for k in self.outputs)}")
        return f"def f({', '.join(names[: self.n_inputs])}): {'; '.join(lines)}"


class Expression(NamedTuple):
    """A random function and a point inside its domain: `gradcheck(*expression)`.

    It prints as the call that rebuilds it, so a failure hypothesis shrinks can be pasted
    into a regression test as it is (the ops it names must be defined by then):

        gradcheck(*Expression.from_source("def f(x0): v1 = cube(x0); return v1", (2.0,)))
    """

    function: ExpressionFunction
    inputs: tuple[float, ...]

    @classmethod
    def from_source(cls, source: str, inputs: Sequence[float]) -> Expression:
        """The expression whose program is `source` (as printed), at the point `inputs`."""
        function = _parse(source)
        point = tuple(float(x) for x in inputs)
        if len(point) != function.n_inputs:
            raise ValueError(
                f"the program takes {function.n_inputs} inputs, but {len(point)} were given"
            )
        return cls(function, point)

    def __repr__(self) -> str:
        return f"Expression.from_source({repr(self.function)!r}, inputs={self.inputs!r})"

    def _repr_pretty_(self, printer: Any, cycle: bool) -> None:
        # hypothesis prints falsifying examples with IPython's pretty printer.
        printer.text(repr(self))


def expressions(
    n_inputs: int = 2,
    max_depth: int = 4,
    ops: Sequence[str] | None = None,
    *,
    require: Sequence[str] | None = None,
    min_steps: int = 1,
    max_steps: int | None = None,
    min_value: float = -3.0,
    max_value: float = 3.0,
) -> st.SearchStrategy[Expression]:
    """Random expressions of `n_inputs` inputs, at most `max_depth` ops deep, with a point.

    `ops` names the ops to use (`POWER_BY` and `POWER_OF` for x ** c and c ** x); None
    means the built-in ops, both power families and the ops in `require`: never whatever
    else happens to be defined in the process. Every expression uses each op in `require`
    at least once; by default that is every op in `ops` that is not built in (the ops under
    test). Each drawn expression has `min_steps` to `max_steps` steps (default
    2 * max_depth) and records a hypothesis `event` per op it uses, so
    `pytest --hypothesis-show-statistics` shows the mix.

    Inputs lie in [min_value, max_value]; the expression's value is the sum of the steps
    no later step uses, so every step counts. The graph is built bottom-up with the data
    known, and an op is applied only where its `smooth` predicate holds, its forward
    succeeds and the result is at most `MAX_MAGNITUDE`: log of something positive, no
    division by near-zero, relu away from 0. Later steps prefer recent nodes and may reuse
    any node, so expressions are DAGs. A `smooth` or forward that fails with anything but
    a domain error raises (it is a bug in the op, never a reason to leave the op out).
    Failures shrink towards few steps, required ops, ops early in `ops`, and inputs of 1.0.
    """
    for what, number in (("n_inputs", n_inputs), ("max_depth", max_depth)):
        if isinstance(number, bool) or not isinstance(number, int) or number < 1:
            raise ValueError(f"{what} must be a positive int, got {number!r}")
    if max_steps is None:
        max_steps = 2 * max_depth
    for what, number in (("min_steps", min_steps), ("max_steps", max_steps)):
        if isinstance(number, bool) or not isinstance(number, int) or number < 1:
            raise ValueError(f"{what} must be a positive int, got {number!r}")
    if min_steps > max_steps:
        raise ValueError(f"min_steps ({min_steps}) is more than max_steps ({max_steps})")
    low, high = _check_range(min_value, max_value, "expressions")
    names, required = _resolve(ops, require)
    if len(required) > max_steps:
        raise ValueError(
            f"require names {len(required)} ops, more than max_steps ({max_steps}) can hold"
        )
    table = {name: OPS[name] for name in names if name in OPS}
    for op in table.values():
        _probe(op)
    # Required ops first: failures shrink towards them, and repairs try them first.
    names = [*required, *(name for name in names if name not in required)]
    return _expressions(
        n_inputs, max_depth, min_steps, max_steps, names, required, table, low, high
    )


@st.composite
def _expressions(
    draw: st.DrawFn,
    n_inputs: int,
    max_depth: int,
    min_steps: int,
    max_steps: int,
    names: list[str],
    required: list[str],
    table: dict[str, Op],
    min_value: float,
    max_value: float,
) -> Expression:
    point = st.tuples(*[_inputs(min_value, max_value)] * n_inputs)
    if required:  # inputs at which every required op can be applied to some of them
        point = point.filter(lambda xs: all(_admits(name, table, list(xs)) for name in required))
    inputs = draw(point)
    datas = list(inputs)
    depths = [0] * n_inputs
    steps: list[Step] = []
    missing = list(required)

    def argument() -> int:
        # Counted from the most recent node, so shrinking makes chains and reuse (x * x).
        eligible = [k for k, depth in enumerate(depths) if depth < max_depth]
        return eligible[-1 - draw(st.integers(0, len(eligible) - 1))]

    def place(made: tuple[Step, float, tuple[int, ...]]) -> None:
        step, result, used = made
        steps.append(step)
        datas.append(result)
        depths.append(1 + max(depths[k] for k in used))
        if step.op in missing:
            missing.remove(step.op)

    for index in range(max_steps):
        # After min_steps, go on four times in five; shrinking stops early. A required op
        # not drawn yet is placed before stopping, or when only room for it is left.
        stop = len(steps) >= min_steps and draw(st.integers(0, 4)) == 0
        if stop and not missing:
            break
        forced = bool(missing) and (stop or max_steps - index <= len(missing))
        name = missing[0] if forced else draw(st.sampled_from(names))
        constant: float | None = None
        if name in (POWER_BY, POWER_OF):
            constant = draw(st.sampled_from(EXPONENTS if name == POWER_BY else BASES))
            refs: tuple[int, ...] = (argument(),)
        else:
            arity = table[name].arity
            count = arity if arity is not None else draw(st.integers(1, 4))
            refs = tuple(argument() for _ in range(count))
        if forced:
            made = _place_required(name, refs, constant, table, datas, depths, max_depth)
            place(made)
            continue
        # Where these arguments are outside the drawn op's domain, the first op of `names`
        # that takes them is used instead, without drawing again: a repair that keeps
        # the draws of later steps where they were, which is what lets failures shrink.
        for candidate in (name, *names):
            tried = _make_step(
                candidate, refs, constant if candidate == name else None, table, datas
            )
            if tried is not None:
                place(tried)
                break
    assume(len(steps) >= min_steps)
    for op_name in dict.fromkeys(step.op for step in steps):
        event(f"op {op_name}")
    return Expression(ExpressionFunction(n_inputs, steps, table), inputs)


def _place_required(
    name: str,
    refs: tuple[int, ...],
    constant: float | None,
    table: dict[str, Op],
    datas: list[float],
    depths: list[int],
    max_depth: int,
) -> tuple[Step, float, tuple[int, ...]]:
    """The step applying the required op `name`: on the drawn nodes `refs` if it is smooth
    there, else on the first nodes (most recent first) where it is; the inputs were drawn
    so that some of them always do."""
    made = _make_step(name, refs, constant, table, datas)
    if made is not None:
        return made
    eligible = [k for k in reversed(range(len(depths))) if depths[k] < max_depth]
    for choice in itertools.islice(itertools.product(eligible, repeat=len(refs)), 512):
        made = _make_step(name, choice, constant, table, datas)
        if made is not None:
            return made
    arity = table[name].arity if name in table else 1
    inputs = [k for k in range(len(depths)) if depths[k] == 0]
    for choice in itertools.product(inputs, repeat=arity if arity is not None else 1):
        made = _make_step(name, choice, constant, table, datas)
        if made is not None:
            return made
    raise AssertionError(f"no inputs admit {name!r}, though they were drawn to")  # unreachable


def _admits(name: str, table: dict[str, Op], inputs: list[float]) -> bool:
    """True if the op `name` is smooth at some tuple of `inputs` (each may repeat)."""
    if name in (POWER_BY, POWER_OF):
        return any(_make_step(name, (k,), None, table, inputs) for k in range(len(inputs)))
    arity = table[name].arity
    for choice in itertools.product(range(len(inputs)), repeat=arity if arity is not None else 1):
        if _make_step(name, choice, None, table, inputs) is not None:
            return True
    return False


def _make_step(
    name: str,
    refs: tuple[int, ...],
    constant: float | None,
    table: dict[str, Op],
    datas: list[float],
) -> tuple[Step, float, tuple[int, ...]] | None:
    """The step `name` on the nodes `refs` (reused in turn if it needs more), its result
    and the nodes it reads; None if that is outside the op's smooth domain."""
    args: tuple[int | float, ...]
    if name == POWER_BY:
        exponent = EXPONENTS[0] if constant is None else constant
        op, used = _power_by(exponent), refs[:1]
        args = (refs[0], exponent)
    elif name == POWER_OF:
        base = BASES[0] if constant is None else constant
        op, used = _power_of(base), refs[:1]
        args = (base, refs[0])
    else:
        op = table[name]
        count = op.arity if op.arity is not None else len(refs)
        used = tuple(refs[i % len(refs)] for i in range(count))
        args = used
    result = _checked_forward(op, [datas[k] for k in used])
    return None if result is None else (Step(name, args), result, used)


def _checked_forward(op: Op, datas: list[float]) -> float | None:
    """op's result on `datas`, or None where the op is not smooth, outside its domain
    (ArithmeticError, ValueError, a result that is no finite number) or the result is too
    big. Any other error of `smooth` or the forward is a bug in the op: it raises."""
    where = f"({', '.join(map(repr, datas))})"
    if op.smooth is not None:
        try:
            smooth = op.smooth(*datas)
        except Exception as error:
            raise TypeError(
                f"smooth= of the op {op.name!r} raised {type(error).__name__} at {where}: "
                f"{error}. It must take the op's inputs and return True or False for any "
                "finite floats"
            ) from error
        if not smooth:
            return None
    try:
        result = op.forward(*datas)
    except (ArithmeticError, ValueError):
        return None
    except Exception as error:
        raise TypeError(
            f"the forward of the op {op.name!r} raised {type(error).__name__} at {where}: {error}"
        ) from error
    if isinstance(result, bool) or not isinstance(result, numbers.Real):
        return None
    result = float(result)
    return result if abs(result) <= MAX_MAGNITUDE else None  # False for NaN too


def _probe(op: Op) -> None:
    """Run op's `smooth` and forward once at 1.0, so an op whose `smooth` or forward fails
    on any input (a wrong signature, a typo) is an error when the strategy is made."""
    _checked_forward(op, [1.0] * (op.arity if op.arity is not None else 2))


def _lookup(op: str | Op) -> Op:
    if isinstance(op, Op):
        return op
    if isinstance(op, str) and op in OPS:
        return OPS[op]
    known = ", ".join(repr(name) for name in OPS)
    raise ValueError(f"unknown op {op!r}; the table has {known}")


def _resolve(
    ops: Sequence[str] | None, require: Sequence[str] | None
) -> tuple[list[str], list[str]]:
    """The op names to draw from and the ones every expression must use."""
    for what, given in (("ops", ops), ("require", require)):
        if isinstance(given, str):
            raise TypeError(f"{what} must be a list of op names, not the str {given!r}")
    required = [] if require is None else list(dict.fromkeys(require))
    families = (POWER_BY, POWER_OF)
    if ops is None:
        names = [name for name in _BUILT_IN if OPS[name].arity != 0]
        names = [*names, *families, *(name for name in required if name not in families)]
        names = list(dict.fromkeys(names))
    else:
        names = list(dict.fromkeys(ops))
    unknown = [name for name in names if name not in OPS and name not in families]
    if unknown:
        known = ", ".join(repr(name) for name in [*OPS, *families])
        raise ValueError(f"unknown ops {unknown}; the table has {known}")
    if not names:
        raise ValueError("expressions needs at least one op")
    if any(name in OPS and OPS[name].arity == 0 for name in names):
        raise ValueError("expressions cannot use ops without inputs")
    absent = [name for name in required if name not in names]
    if absent:
        raise ValueError(f"require names ops that are not in ops: {absent}")
    if require is None:
        required = [name for name in names if name not in _BUILT_IN and name not in families]
    return names, required


def _format(op: str, args: list[str]) -> str:
    if op in (POWER_BY, POWER_OF, "+", "-", "*", "/", "**"):
        symbol = "**" if op in (POWER_BY, POWER_OF) else op
        return f"{args[0]} {symbol} {args[1]}"
    if op == "neg":
        return f"-{args[0]}"
    if not op.isidentifier() or keyword.iskeyword(op):
        return f"OPS[{op!r}]({', '.join(args)})"
    return f"{op}({', '.join(args)})"


_BINARY = {ast.Add: "+", ast.Sub: "-", ast.Mult: "*", ast.Div: "/", ast.Pow: "**"}


def _parse(source: str) -> ExpressionFunction:
    """The ExpressionFunction printed as `source` (see `ExpressionFunction.__repr__`)."""
    if not isinstance(source, str):
        raise TypeError(f"from_source needs the program as a str, got {type(source).__name__}")
    try:
        tree = ast.parse(source)
    except SyntaxError as error:
        raise ValueError(f"from_source: not a program ({error.msg}): {source!r}") from None
    if len(tree.body) != 1 or not isinstance(tree.body[0], ast.FunctionDef):
        raise ValueError(f"from_source needs one 'def f(x0, ...): ...', got {source!r}")
    definition = tree.body[0]
    nodes = {arg.arg: k for k, arg in enumerate(definition.args.args)}
    n_inputs = len(nodes)
    if n_inputs == 0:
        raise ValueError("from_source: the function needs at least one input")
    steps: list[Step] = []
    *body, last = definition.body
    for statement in body:
        if not (
            isinstance(statement, ast.Assign)
            and len(statement.targets) == 1
            and isinstance(statement.targets[0], ast.Name)
        ):
            raise ValueError(
                f"from_source: expected 'name = op(...)', got {ast.unparse(statement)!r}"
            )
        steps.append(_parse_step(statement.value, nodes))
        nodes[statement.targets[0].id] = n_inputs + len(steps) - 1
    if not steps:
        raise ValueError("from_source: the program has no steps")
    if not isinstance(last, ast.Return) or last.value is None:
        raise ValueError("from_source: the program must end with 'return ...'")
    table = {step.op: OPS[step.op] for step in steps if step.op in OPS}
    function = ExpressionFunction(n_inputs, steps, table)
    returned = _parse_sum(last.value, nodes)
    if tuple(returned) != function.outputs:
        names = {k: name for name, k in nodes.items()}
        expected = " + ".join(names[k] for k in function.outputs)
        raise ValueError(
            f"from_source: the program must return the sum of the steps no later step uses, "
            f"{expected}, not {ast.unparse(last.value)}"
        )
    return function


def _parse_step(node: ast.expr, nodes: dict[str, int]) -> Step:
    def ref(arg: ast.expr) -> int:
        if isinstance(arg, ast.Name) and arg.id in nodes:
            return nodes[arg.id]
        raise ValueError(f"from_source: {ast.unparse(arg)!r} is not an input or earlier step")

    def constant(arg: ast.expr) -> float | None:
        try:
            value = ast.literal_eval(arg)
        except ValueError:
            return None
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            return None
        return float(value)

    if isinstance(node, ast.BinOp) and type(node.op) in _BINARY:
        symbol = _BINARY[type(node.op)]
        if symbol == "**":
            exponent, base = constant(node.right), constant(node.left)
            if exponent is not None:
                return Step(POWER_BY, (ref(node.left), exponent))
            if base is not None:
                return Step(POWER_OF, (base, ref(node.right)))
        return Step(_known(symbol), (ref(node.left), ref(node.right)))
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub):
        return Step(_known("neg"), (ref(node.operand),))
    if isinstance(node, ast.Call) and not node.keywords:
        func = node.func
        if isinstance(func, ast.Name):
            name = func.id
        elif (
            isinstance(func, ast.Subscript)
            and isinstance(func.value, ast.Name)
            and func.value.id == "OPS"
            and isinstance(func.slice, ast.Constant)
            and isinstance(func.slice.value, str)
        ):
            name = func.slice.value
        else:
            raise ValueError(f"from_source: cannot read the call {ast.unparse(node)!r}")
        return Step(_known(name), tuple(ref(arg) for arg in node.args))
    raise ValueError(f"from_source: cannot read {ast.unparse(node)!r}")


def _known(name: str) -> str:
    if name not in OPS:
        raise ValueError(
            f"from_source: the op {name!r} is not defined: define it with define_op first"
        )
    return name


def _parse_sum(node: ast.expr, nodes: dict[str, int]) -> list[int]:
    terms: list[int] = []
    stack = [node]
    while stack:  # a + b + c is ((a + b) + c): walk it without recursion
        item = stack.pop()
        if isinstance(item, ast.BinOp) and isinstance(item.op, ast.Add):
            stack += [item.right, item.left]
        elif isinstance(item, ast.Name) and item.id in nodes:
            terms.append(nodes[item.id])
        else:
            raise ValueError(f"from_source: cannot read the return value {ast.unparse(node)!r}")
    return terms


def _check_range(min_value: float, max_value: float, who: str) -> tuple[float, float]:
    for what, number in (("min_value", min_value), ("max_value", max_value)):
        if isinstance(number, bool) or not isinstance(number, numbers.Real):
            raise TypeError(f"{who}: {what} must be a number, got {number!r}")
        if not math.isfinite(number):
            raise ValueError(f"{who}: {what} must be finite, got {number!r}")
    if min_value > max_value:
        raise ValueError(f"{who}: min_value ({min_value!r}) is more than max_value ({max_value!r})")
    return float(min_value), float(max_value)


def _floats(min_value: float, max_value: float) -> st.SearchStrategy[float]:
    return st.floats(min_value, max_value, allow_nan=False, allow_infinity=False)


def _floats_avoiding(
    min_value: float, max_value: float, avoid: Iterable[float], margin: float
) -> st.SearchStrategy[float]:
    """Floats in the range, at least `margin` from every point of `avoid`."""
    low, high = _check_range(min_value, max_value, "values")
    if isinstance(avoid, (str, numbers.Real)):
        raise TypeError(f"values: avoid must be a list of numbers, got {avoid!r}")
    points = sorted(check_number(a, "values: a point to avoid") for a in avoid)
    if isinstance(margin, bool) or not isinstance(margin, numbers.Real) or not margin >= 0:
        raise ValueError(f"values: margin must be a non-negative number, got {margin!r}")
    intervals = []
    start = low
    for point in points:
        if point - margin > start:
            intervals.append((start, min(point - margin, high)))
        start = max(start, point + margin)
    if start <= high:
        intervals.append((start, high))
    intervals = [(a, b) for a, b in intervals if a <= b]
    if not intervals:
        raise ValueError(f"values: nothing in [{low!r}, {high!r}] is {margin!r} away from {points}")
    return st.one_of(*[_floats(a, b) for a, b in intervals])


def _inputs(min_value: float, max_value: float) -> st.SearchStrategy[float]:
    """Floats in the range that shrink towards 1.0 (not 0.0) when the range holds it: 1.0
    is inside every built-in op's smooth domain, so small examples need fewer detours."""
    if not min_value <= 1.0 <= max_value:
        return _floats(min_value, max_value)
    return _floats(min_value - 1.0, max_value - 1.0).map(
        lambda d: min(max(1.0 + d, min_value), max_value)
    )


# -- networks ------------------------------------------------------------------------------


class Network(NamedTuple):
    """A small MLP with one output and a point to evaluate it at: `model(list(inputs))`."""

    model: Any
    inputs: tuple[float, ...]

    def function(self, *xs: Any) -> Any:
        """The network as a function of its inputs, for `gradcheck(net.function, net.inputs)`."""
        return self.model(list(xs))


def mlps(
    max_inputs: int = 3,
    max_hidden: int = 4,
    max_layers: int = 2,
    activations: Sequence[str] = ("tanh", "sigmoid", "relu"),
) -> st.SearchStrategy[Network]:
    """Small random `nn.MLP`s with one output, and a point away from every relu's kink.

    Up to `max_layers` layers (the last has one neuron), hidden ones of at most
    `max_hidden` neurons, `activations` to choose from, seeded weights. Needs `nn`.
    The arguments are checked here, not when the first example is drawn.
    """
    from nn.activations import ACTIVATIONS  # imported here: autograd itself never imports nn

    for what, number in (
        ("max_inputs", max_inputs),
        ("max_hidden", max_hidden),
        ("max_layers", max_layers),
    ):
        if isinstance(number, bool) or not isinstance(number, int) or number < 1:
            raise ValueError(f"mlps: {what} must be a positive int, got {number!r}")
    if isinstance(activations, str):
        raise TypeError(
            f"mlps: activations must be a list of names, not the str {activations!r} "
            f"(write activations=[{activations!r}])"
        )
    names = tuple(activations)
    unknown = [name for name in names if name not in ACTIVATIONS]
    if unknown or not names:
        known = ", ".join(repr(name) for name in ACTIVATIONS)
        raise ValueError(f"mlps: unknown activations {unknown or names!r}; choose from {known}")
    return _mlps(max_inputs, max_hidden, max_layers, names)


@st.composite
def _mlps(
    draw: st.DrawFn,
    max_inputs: int,
    max_hidden: int,
    max_layers: int,
    activations: tuple[str, ...],
) -> Network:
    from nn import MLP  # imported here: autograd itself never imports nn

    nin = draw(st.integers(1, max_inputs))
    hidden = draw(st.lists(st.integers(1, max_hidden), min_size=0, max_size=max_layers - 1))
    activation = draw(st.sampled_from(activations))
    output_activation = draw(st.sampled_from(("linear", *activations)))
    seed = draw(st.integers(0, 2**16))
    model = MLP(nin, [*hidden, 1], activation, output_activation, seed=seed)
    inputs = tuple(draw(_floats(-2.0, 2.0)) for _ in range(nin))
    out = model(list(inputs))
    if not isinstance(out, Value):
        raise TypeError(f"an MLP with one output should return a Value, got {out!r}")
    # Like `expressions`: no node of the graph sits on a kink (a relu input near 0).
    assume(all(_smooth_at(node) for node in topological_order(out)))
    return Network(model, inputs)


def _smooth_at(node: Value) -> bool:
    op = OPS.get(node.op)
    if op is None or op.smooth is None:
        return True
    return bool(op.smooth(*[parent.data for parent in node.parents]))
