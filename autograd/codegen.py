"""A recorded graph as straight-line Python: one statement per node, forward then backward.

`generate(graph)` writes the function `trace` compiles. Nothing here knows a derivative:
each op's line is found by running the op's own forward and rule from the table on
symbols (`_Symbol`) that write down the arithmetic done to them. A comparison met on the
way (relu's `x > 0.0`) is explored both ways and becomes a conditional expression, so the
code holds for any data; an op the symbols cannot follow (`math.exp`, a rule that reads
`float(x)`) becomes a call of the op's own function. Either way the generated code does
the same float operations in the same order as the interpreter.
"""

from __future__ import annotations

import itertools
import keyword
import operator
import re
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from autograd.op import OPS, DomainError, Op
from autograd.value import Value

# -- symbolic execution of one op -----------------------------------------------------------

_ATOM, _POWER, _UNARY, _PRODUCT, _SUM, _COMPARE, _NOT, _CONDITIONAL = 9, 8, 7, 6, 5, 4, 3, 1


class _Unfollowable(Exception):
    """The symbols cannot stand in for floats here (a C function wants a real float)."""


class _Branches:
    """The outcomes forced for the comparisons of one run, and the comparisons met."""

    def __init__(self, forced: list[bool]) -> None:
        self.forced = forced
        self.met: list[str] = []

    def decide(self, condition: str) -> bool:
        index = len(self.met)
        if index >= 6:
            raise _Unfollowable("too many branches")
        self.met.append(condition)
        return self.forced[index] if index < len(self.forced) else True


_branches: _Branches | None = None


def _text(x: Any, level: int) -> str:
    """`x` (a symbol or a plain number) as code, parenthesized to bind at least `level`."""
    if isinstance(x, _Symbol):
        return x.code if x.level >= level else f"({x.code})"
    if isinstance(x, bool) or not isinstance(x, (int, float)):
        raise _Unfollowable(f"not a number: {x!r}")
    if x != x or x in (float("inf"), float("-inf")):
        raise _Unfollowable("a non-finite constant")
    code = repr(x)
    return f"({code})" if code.startswith("-") and level > _UNARY else code


def _binary(symbol: str, level: int, left: Any, right: Any) -> _Symbol:
    if symbol == "**":  # right-associative, binds tighter than a unary minus on its left
        return _Symbol(f"{_text(left, _POWER + 1)} ** {_text(right, _UNARY)}", _POWER)
    return _Symbol(f"{_text(left, level)} {symbol} {_text(right, level + 1)}", level)


class _Symbol:
    """A float not yet known: arithmetic on it writes the code that would compute it."""

    __slots__ = ("code", "level")

    def __init__(self, code: str, level: int = _ATOM) -> None:
        self.code = code
        self.level = level

    def __add__(self, other: Any) -> _Symbol:
        return _binary("+", _SUM, self, other)

    def __radd__(self, other: Any) -> _Symbol:
        return _binary("+", _SUM, other, self)

    def __sub__(self, other: Any) -> _Symbol:
        return _binary("-", _SUM, self, other)

    def __rsub__(self, other: Any) -> _Symbol:
        return _binary("-", _SUM, other, self)

    def __mul__(self, other: Any) -> _Symbol:
        return _binary("*", _PRODUCT, self, other)

    def __rmul__(self, other: Any) -> _Symbol:
        return _binary("*", _PRODUCT, other, self)

    def __truediv__(self, other: Any) -> _Symbol:
        return _binary("/", _PRODUCT, self, other)

    def __rtruediv__(self, other: Any) -> _Symbol:
        return _binary("/", _PRODUCT, other, self)

    def __pow__(self, other: Any) -> _Symbol:
        return _binary("**", _POWER, self, other)

    def __rpow__(self, other: Any) -> _Symbol:
        return _binary("**", _POWER, other, self)

    def __neg__(self) -> _Symbol:
        return _Symbol(f"-{_text(self, _UNARY)}", _UNARY)

    def __pos__(self) -> _Symbol:
        return self

    def __abs__(self) -> _Symbol:
        return _Symbol(f"abs({self.code})")

    def _compare(self, symbol: str, other: Any) -> bool:
        if _branches is None:
            raise _Unfollowable("a comparison outside an exploration")
        return _branches.decide(f"{_text(self, _SUM)} {symbol} {_text(other, _SUM)}")

    def __lt__(self, other: Any) -> bool:
        return self._compare("<", other)

    def __le__(self, other: Any) -> bool:
        return self._compare("<=", other)

    def __gt__(self, other: Any) -> bool:
        return self._compare(">", other)

    def __ge__(self, other: Any) -> bool:
        return self._compare(">=", other)

    def __eq__(self, other: object) -> bool:
        return self._compare("==", other)

    def __ne__(self, other: object) -> bool:
        return self._compare("!=", other)

    def __bool__(self) -> bool:
        if _branches is None:
            raise _Unfollowable("truth of a symbol outside an exploration")
        return _branches.decide(self.code if self.level > _NOT else f"({self.code})")

    __hash__ = None  # type: ignore[assignment]

    def __float__(self) -> float:
        raise _Unfollowable("float() of a symbol")

    def __int__(self) -> int:
        raise _Unfollowable("int() of a symbol")

    def __index__(self) -> int:
        raise _Unfollowable("a symbol used as an index")


_FAIL = object()  # the leaf of a branch that raised DomainError


@dataclass
class _Tree:
    """The outcome of an op: a result, or a comparison and the outcome on each side."""

    condition: str | None = None
    result: Any = None
    when_true: _Tree | None = None
    when_false: _Tree | None = None


def _explore(function: Callable[..., Any], args: Sequence[Any]) -> _Tree:
    """Run `function` on symbols along every path its comparisons can take."""
    global _branches

    def run(forced: list[bool]) -> tuple[Any, list[str], list[bool]]:
        global _branches
        _branches = _Branches(forced)
        try:
            try:
                result: Any = function(*args)
            except DomainError:
                result = _FAIL
            met = _branches.met
        finally:
            _branches = None
        decisions = [*forced, *([True] * (len(met) - len(forced)))]
        return result, met, decisions

    root = _Tree()
    pending: list[tuple[list[bool], _Tree]] = [([], root)]
    runs = 0
    while pending:
        forced, tree = pending.pop()
        runs += 1
        if runs > 32:
            raise _Unfollowable("too many paths")
        result, met, decisions = run(forced)
        # Hang this run's path below `tree`: a node per comparison not forced yet.
        for depth in range(len(forced), len(met)):
            tree.condition = met[depth]
            tree.when_true, tree.when_false = _Tree(), _Tree()
            pending.append(([*decisions[:depth], False], tree.when_false))
            tree = tree.when_true
        tree.result = result
    _branches = None
    return root


def _render(tree: _Tree, pick: Callable[[Any], Any]) -> str:
    """The tree as one expression: nested `a if condition else b`, `_fail()` for errors."""
    if tree.condition is None:
        if tree.result is _FAIL:
            return "_fail()"
        return _text(pick(tree.result), _CONDITIONAL + 1)
    assert tree.when_true is not None and tree.when_false is not None
    yes = _render(tree.when_true, pick)
    no = _render(tree.when_false, pick)
    if yes == no:
        return yes
    return f"{_wrap(yes)} if {tree.condition} else {no}"


def _wrap(code: str) -> str:
    return f"({code})" if " if " in code else code


def _placeholder(index: int | str) -> _Symbol:
    return _Symbol(f"{{{index}}}")


@dataclass
class Template:
    """How one op appears in the code: format strings over `{0}`, `{1}`, ... and `{g}`,
    `{out}`, or None where the op's own function is called instead."""

    forward: str | None
    gradients: list[str] | None


_templates: dict[tuple[Op, int], Template] = {}

_NEVER_OVERFLOW = frozenset(["relu", "abs", "neg", "identity", "tanh", "sigmoid"])
"""Built-in ops whose result is finite whenever their input is: no overflow check needed."""


def template(op: Op, n_inputs: int) -> Template:
    """The code for `op` on `n_inputs` inputs (cached per op and input count)."""
    key = (op, n_inputs)
    found = _templates.get(key)
    if found is not None:
        return found
    inputs = [_placeholder(i) for i in range(n_inputs)]
    made = Template(_forward_template(op, inputs), _gradient_templates(op, inputs))
    _templates[key] = made
    return made


_SUM_ADDS_IN_ORDER = sys.version_info < (3, 12)
"""Before Python 3.12 `sum()` of floats adds them one at a time from 0.0, so the line
`0.0 + a + b + ...` gives the same number, and runs a quarter faster than `sum((a, b, ...))`
(the forward pass of the moons step: 1.76 against 2.30 ms). From 3.12 `sum()` compensates
its rounding, and only a call of `sum` gives its result."""


def _sum_of(terms: list[str]) -> str:
    """The code for `sum(terms)` that gives the very number the table's `dot` and `sum` do."""
    if _SUM_ADDS_IN_ORDER:
        return " + ".join(["0.0", *terms])
    return f"sum(({', '.join(terms)},))"


def _forward_template(op: Op, inputs: list[_Symbol]) -> str | None:
    if op is OPS["dot"]:  # the table's forward, sum(map(mul, w, x)) (+ bias), spelled out
        n = len(inputs) // 2
        if n == 0:
            return "0 + {0}"
        products = [f"{{{i}}} * {{{n + i}}}" for i in range(n)]
        tail = f" + {{{2 * n}}}" if len(inputs) % 2 else ""
        return _sum_of(products) + tail
    if op is OPS["sum"]:
        return _sum_of([f"{{{i}}}" for i in range(len(inputs))])
    if op.arity is None:  # a user's variadic op: its forward may use sum(), called as is
        return None
    try:
        tree = _explore(op.forward, inputs)
        return _render(tree, lambda result: result)
    except _Unfollowable:
        return None
    except Exception:
        return None


def _gradient_templates(op: Op, inputs: list[_Symbol]) -> list[str] | None:
    args = [_placeholder("g"), *([_placeholder("out")] if op.uses_output else []), *inputs]
    try:
        tree = _explore(op.backward, args)
        count = len(inputs)

        def component(i: int) -> Callable[[Any], Any]:
            def pick(result: Any) -> Any:
                if not isinstance(result, (tuple, list)) or len(result) != count:
                    raise _Unfollowable("a rule that does not return one gradient per input")
                return result[i]

            return pick

        return [_render(tree, component(i)) for i in range(count)]
    except _Unfollowable:
        return None
    except Exception:
        return None


# -- names ------------------------------------------------------------------------------------


class Names:
    """Unique identifiers for the nodes, made from their labels (`layers.0.w.1` ->
    `layers_0_w_1`); names starting with `_` are kept for the program's own use."""

    def __init__(self) -> None:
        self.taken: set[str] = set()

    def new(self, wish: str) -> str:
        base = re.sub(r"\W+", "_", wish).strip("_") or "v"
        if base[0].isdigit():
            base = f"v{base}"
        if keyword.iskeyword(base) or base in ("sum", "abs"):
            base = f"{base}_"
        name, k = base, 1
        while name in self.taken:
            k += 1
            name = f"{base}_{k}"
        self.taken.add(name)
        return name


# -- the whole program ------------------------------------------------------------------------


@dataclass
class Graph:
    """What `trace` recorded, ready to be written out.

    `forward` is every node to compute, parents first; `backward` the nodes in the order
    `backward()` visits them (outputs first); `arguments`/`parameters`/`samples` the leaves
    read from the call's arguments, from Values' `.data` and from fresh draws; `wanted`
    the argument leaves whose gradients are returned.
    """

    forward: list[Value]
    backward: list[Value]
    outputs: list[Value]
    arguments: list[Value]
    parameters: list[Value]
    samples: list[Value]
    wanted: list[Value]
    guards: list[tuple[Value, str, Any, bool]] = field(default_factory=list)
    name: str = "traced"
    rows: bool | None = None
    """Write a neuron's weights as one list (`sum(map(_mul, w, x))`) instead of a line each;
    None: only when one line per weight would pass `MAX_LINES`."""


@dataclass
class Generated:
    """The source and what its names refer to."""

    source: str
    namespace: dict[str, Any]
    lines: int
    parameters: list[Value]
    """The parameters in the order the code reads them from `_params`."""


_CHUNK = 64  # terms per line in the overflow checks


def generate(graph: Graph) -> Generated:
    """The generator function `name(_args, _params, _draws)` for `graph`.

    It computes the forward pass and checks the guards, yields the outputs, receives the
    gradients of the outputs, runs the backward pass, adds into each parameter's `.grad`
    and yields the gradients of the wanted arguments. Any non-finite number fails it
    (`_fail()`), before it has touched a `.grad`.
    """
    names = Names()
    for reserved in ("sum", "abs"):
        names.taken.add(reserved)
    namespace: dict[str, Any] = {}
    name_of: dict[Value, str] = {}
    code: list[str] = []
    emit = code.append

    def literal(x: Value) -> str:
        return _text(x.data, _ATOM)

    functions: dict[int, str] = {}

    def function_name(function: Callable[..., Any], wish: str) -> str:
        """The name the code calls `function` by: one per function."""
        found = functions.get(id(function))
        if found is None:
            found = functions[id(function)] = f"_{names.new(wish)}"
            namespace[found] = function
        return found

    def ref(v: Value) -> str:
        """How the code reads node `v`: its name, or the constant it is."""
        found = name_of.get(v)
        if found is not None:
            return found
        return literal(v)

    signature = "_args, _params, _draws"
    emit(f"def {graph.name}({signature}):")
    rows = _rows(graph) if _use_rows(graph) else _Rows()
    vector_name: dict[tuple[Value, ...], str] = {}
    if graph.arguments:
        emit("    # the arguments")
        # In rows, a neuron's inputs that are a run of the arguments (a data row) are read as
        # one slice of them, each element then known by its place in it, as weights are.
        sliced = _argument_runs(graph.arguments, rows)
        for xs, (start, dot_node) in sorted(sliced.items(), key=lambda run: run[1][0]):
            wish = dot_node.label.rsplit(".neurons", 1)[0] if dot_node.label else ""
            run = vector_name[xs] = names.new(f"{wish}_inputs" if wish else "inputs")
            emit(f"    {run} = _args[{start}:{start + len(xs)}]")
            for i, x in enumerate(xs):
                name_of.setdefault(x, f"{run}[{i}]")
        named = [(k, v) for k, v in enumerate(graph.arguments) if v not in name_of]
        arg_names = [names.new(v.label or "x") for _, v in named]
        for (_, v), n in zip(named, arg_names):
            name_of[v] = n
        if len(named) == len(graph.arguments) and len(arg_names) <= 16:
            emit(f"    {', '.join(arg_names)}, = _args")
        elif len(named) == len(graph.arguments):
            for start in range(0, len(arg_names), 16):
                part = arg_names[start : start + 16]
                emit(f"    {', '.join(part)}, = _args[{start}:{start + len(part)}]")
        else:
            for (k, _), n in zip(named, arg_names):
                emit(f"    {n} = _args[{k}]")
    parameters = [p for row in rows.weights for p in row]
    in_rows = set(parameters)
    parameters += [p for p in graph.parameters if p not in in_rows]
    row_name: dict[tuple[Value, ...], str] = {}
    row_start: dict[tuple[Value, ...], int] = {}
    if parameters:
        emit("    # the parameters, read at every call")
        start = 0
        for row in rows.weights:
            n = names.new(_row_label(row[0].label) if row[0].label else "w")
            row_name[row], row_start[row] = n, start
            name_of.update((w, f"{n}[{i}]") for i, w in enumerate(row))
            emit(f"    {n} = [_p.data for _p in _params[{start}:{start + len(row)}]]")
            start += len(row)
        for i, v in enumerate(parameters[start:], start):
            n = names.new(v.label or "p")
            name_of[v] = n
            emit(f"    {n} = _params[{i}].data")
    if graph.samples:
        emit("    # fresh draws (dropout masks): inputs of the program, drawn for each call")
        for i, v in enumerate(graph.samples):
            n = names.new(v.label or "draw")
            name_of[v] = n
            emit(f"    {n} = _draws[{i}]")

    emit("    # forward: one line per node")
    checked: list[str] = []
    call_count = node_count = 0
    namespace.update(_mul=operator.mul, _add=operator.add, _repeat=itertools.repeat)
    for v in graph.forward:
        op = v._rule
        if op is None:
            continue
        if op.hand_written:
            raise TypeError(
                f"trace cannot compile the node {v.op!r}: it was built by hand with "
                "Value(data, _children, _op) and has no forward to replay"
            )
        node_count += 1
        n = names.new(v.label or f"v{node_count}")
        name_of[v] = n
        dot_row = rows.of.get(v)
        if dot_row is not None:
            xs = rows.inputs[v]
            vector = vector_name.get(xs)
            if vector is None:
                wish = f"{v.label.rsplit('.neurons', 1)[0]}_inputs" if v.label else "inputs"
                vector = vector_name[xs] = names.new(wish)
                emit(f"    {vector} = ({', '.join(ref(x) for x in xs)},)")
            bias = f" + {ref(v._parents[-1])}" if len(v._parents) % 2 else ""
            emit(f"    {n} = sum(map(_mul, {row_name[dot_row]}, {vector})){bias}")
            checked.append(n)
            continue
        inputs = [ref(p) for p in v._parents]
        made = template(op, len(inputs))
        if made.forward is not None:
            expression = made.forward.format(*inputs)
        else:
            call_count += 1
            function = function_name(op.forward, _identifier(op.name))
            expression = f"{function}({', '.join(inputs)})"
        emit(f"    {n} = {expression}")
        if op.name not in _NEVER_OVERFLOW or op.name not in OPS or OPS[op.name] is not op:
            checked.append(n)
    if graph.guards:
        emit("    # guards: the comparisons made while tracing must come out the same")
        conditions = []
        for node, symbol, other, result in graph.guards:
            right = ref(other) if isinstance(other, Value) else _text(float(other), _SUM)
            test = f"{ref(node)} {symbol} {right}"
            conditions.append(test if result else f"not {test}")
        for start in range(0, len(conditions), 8):
            emit(f"    if not ({' and '.join(conditions[start : start + 8])}):")
            emit("        raise _Retrace")
    _emit_check(emit, checked, "every value finite? (one sum, not one test per node)")
    outputs = [ref(v) for v in graph.outputs]
    emit(f"    _seeds = yield ({', '.join(outputs)},)")

    # -- backward ----------------------------------------------------------------------------
    emit("    # backward: the chain rule, node by node in the order backward() visits them")
    needs = set(graph.parameters) | set(graph.wanted)
    for v in graph.forward:  # parents come first, so one pass decides every node
        if v._parents and any(p in needs for p in v._parents):
            needs.add(v)
    grad_of: dict[Value, str] = {}
    row_grads: dict[tuple[Value, ...], str] = {}
    vector_grads: dict[tuple[Value, ...], str] = {}

    # Gradients that may be exactly 0 at run time: set by a kink's conditional expression (a
    # relu that is off), or only from gradients that may be 0 (every rule is linear in g, so
    # 0 in gives 0 out). A hinge that is satisfied zeroes its whole example this way.
    maybe_zero: set[str] = set()

    def accumulate(
        target: Value, expression: str, indent: str = "    ", source: str | None = None
    ) -> None:
        """grad(target) += expression, which is `source`'s share of it (linear in it)."""
        zero_when_source_is = " if " in expression or source in maybe_zero
        found = grad_of.get(target)
        if found is None:
            found = grad_of[target] = names.new(f"grad_{ref(target)}")
            emit(f"{indent}{found} = {expression}")
            if zero_when_source_is:
                maybe_zero.add(found)
        else:
            emit(f"{indent}{found} += {expression}")
            if not zero_when_source_is:
                maybe_zero.discard(found)

    for k, v in enumerate(graph.outputs):
        if v in needs:
            accumulate(v, f"_seeds[{k}]")

    def accumulate_list(
        store: dict[tuple[Value, ...], str],
        key: tuple[Value, ...],
        wish: str,
        factors: str,
        g: str,
        indent: str = "    ",
    ) -> None:
        """`key`'s list of gradients += g * each of `factors`, elementwise, in C."""
        found = store.get(key)
        if found is None:
            found = store[key] = names.new(wish)
            emit(f"{indent}{found} = list(map(_mul, {factors}, _repeat({g})))")
        else:
            emit(f"{indent}{found} = list(map(_add, {found}, map(_mul, {factors}, _repeat({g}))))")

    for row in rows.weights:
        if row in rows.shared:
            found = row_grads[row] = names.new(f"grad_{row_name[row]}")
            emit(f"    {found} = [0.0] * {len(row)}")
            grad_of.update((w, f"{found}[{i}]") for i, w in enumerate(row))
    for v in graph.backward:
        shared_inputs = rows.vector_of.get(v)
        if shared_inputs is not None and v not in grad_of and shared_inputs in vector_grads:
            # The inputs a layer shares arrive as one list: unpack it into one name each.
            unpacked = [names.new(f"grad_{ref(x)}") for x in shared_inputs]
            emit(f"    {', '.join(unpacked)}, = {vector_grads[shared_inputs]}")
            grad_of.update(zip(shared_inputs, unpacked))
        op = v._rule
        g = grad_of.get(v)
        if op is None or g is None:
            continue
        parents = v._parents
        targets = [i for i, p in enumerate(parents) if p in needs]
        if not targets:
            continue
        dot_row = rows.of.get(v)
        if dot_row is not None:
            half = len(dot_row)
            xs = rows.inputs[v]
            # (store, key, name wished for, factors): gradients that travel as lists
            lists = [(row_grads, dot_row, f"grad_{row_name[dot_row]}", vector_name[xs])]
            singles: list[tuple[Value, str]] = []  # (target, its share)
            if any(x in needs for x in xs):
                if xs in rows.vectors:
                    lists.append((vector_grads, xs, f"grad_{vector_name[xs]}", row_name[dot_row]))
                else:
                    singles += [
                        (x, f"{g} * {row_name[dot_row]}[{i}]")
                        for i, x in enumerate(xs)
                        if x in needs
                    ]
            if len(parents) % 2 and parents[-1] in needs:
                singles.append((parents[-1], g))
            indent = "    "
            if g in maybe_zero:
                # backward() skips a node whose gradient is exactly 0 (a neuron whose relu is
                # off): so do these lines, each gradient starting at 0.0 as the interpreter's
                for store, key, wish, _ in lists:
                    if key not in store:
                        store[key] = names.new(wish)
                        emit(f"    {store[key]} = [0.0] * {half}")
                for target, _ in singles:
                    if target not in grad_of:
                        grad_of[target] = names.new(f"grad_{ref(target)}")
                        emit(f"    {grad_of[target]} = 0.0")
                        maybe_zero.add(grad_of[target])
                emit(f"    if {g}:")
                indent = "        "
            for store, key, wish, factors in lists:
                accumulate_list(store, key, wish, factors, g, indent)
            for target, share in singles:
                accumulate(target, share, indent, source=g)
            continue
        inputs = [ref(p) for p in parents]
        made = template(op, len(parents))
        if made.gradients is not None:
            indent = "    "
            if g in maybe_zero and len(targets) >= _SKIPPED_BLOCK:
                # backward() skips a node whose gradient is exactly 0: so does this block
                # (each gradient it adds into starts at 0.0, as the interpreter's do).
                for i in targets:
                    if parents[i] not in grad_of:
                        grad_of[parents[i]] = names.new(f"grad_{ref(parents[i])}")
                        emit(f"    {grad_of[parents[i]]} = 0.0")
                        maybe_zero.add(grad_of[parents[i]])
                emit(f"    if {g}:")
                indent = "        "
            for i in targets:
                expression = made.gradients[i].format(*inputs, g=g, out=ref(v))
                accumulate(parents[i], expression, indent, source=g)
            continue
        function = function_name(op.backward, _identifier(op.name) + "_rule")
        zeros = f"({', '.join(['0.0'] * len(parents))},)"
        out = f"{ref(v)}, " if op.uses_output else ""
        local = f"_{names.new('local')}"
        # backward() skips a node whose gradient is 0: so does this call.
        emit(f"    {local} = {function}({g}, {out}{', '.join(inputs)}) if {g} else {zeros}")
        for i in targets:
            accumulate(parents[i], f"{local}[{i}]", source=g)

    results = [grad_of.get(v, "0.0") for v in graph.wanted]
    param_grads = [
        (i, grad_of[v])
        for i, v in enumerate(parameters[len(in_rows) :], len(in_rows))
        if v in grad_of
    ]
    row_sums = [f"sum({row_grads[row]})" for row in rows.weights if row in row_grads]
    _emit_check(emit, results + [g for _, g in param_grads] + row_sums, "every gradient finite?")
    if param_grads or row_grads:
        emit("    # into the parameters' .grad")
        for row in rows.weights:
            if row in row_grads:
                start = row_start[row]
                emit(
                    f"    for _p, _g in zip(_params[{start}:{start + len(row)}], {row_grads[row]}):"
                )
                emit("        _p.grad += _g")
        for i, g in param_grads:
            emit(f"    _params[{i}].grad += {g}")
    emit(f"    yield ({''.join(f'{r}, ' for r in results)})")
    source = "\n".join(code) + "\n"
    return Generated(source, namespace, len(code), parameters)


@dataclass
class _Rows:
    """The neurons whose weights are read and differentiated as lists.

    `weights`: each row of parameters (a neuron's w), used only as the weights of `dot`
    nodes; `of`: dot node -> its row; `inputs`: dot node -> the inputs its row multiplies
    (one tuple object per distinct input vector); `vectors`: input tuples whose every
    element is used only by such dots at its own position, so their gradients can travel
    as one list;
    `vector_of`: element -> its input tuple.
    """

    weights: list[tuple[Value, ...]] = field(default_factory=list)
    of: dict[Value, tuple[Value, ...]] = field(default_factory=dict)
    inputs: dict[Value, tuple[Value, ...]] = field(default_factory=dict)
    vectors: set[tuple[Value, ...]] = field(default_factory=set)
    vector_of: dict[Value, tuple[Value, ...]] = field(default_factory=dict)
    shared: set[tuple[Value, ...]] = field(default_factory=set)
    """Rows whose weights are also used outside their neuron's dot."""


_SKIPPED_BLOCK = 3
"""A node with at least this many gradient lines gets them under `if g:` when g may be exactly 0
(it comes from a kink, relu or abs, or only through gradients that do). Three lines already
pay for the test: on the moons step, wrapping the first layer's neurons too (two weights and
a bias each) took 25.3 -> 21.7 million instructions."""

MAX_LINES = 100_000
"""Past about this many lines, straight-line code compiles slowly: weights go in lists."""


def _argument_runs(
    arguments: list[Value], rows: _Rows
) -> dict[tuple[Value, ...], tuple[int, Value]]:
    """Each rows neuron's inputs that are a run of consecutive arguments: (start, first dot)."""
    position = {v: k for k, v in enumerate(arguments)}
    runs: dict[tuple[Value, ...], tuple[int, Value]] = {}
    for v, xs in rows.inputs.items():
        if xs in runs:
            continue
        start = position.get(xs[0])
        if start is not None and arguments[start : start + len(xs)] == list(xs):
            runs[xs] = (start, v)
    return runs


def _use_rows(graph: Graph) -> bool:
    if graph.rows is not None:
        return graph.rows
    # About one line per node and two per input of a node (forward and gradient).
    return len(graph.forward) + 2 * sum(len(v._parents) for v in graph.forward) > MAX_LINES


def _rows(graph: Graph) -> _Rows:
    dot_op = OPS["dot"]
    parameters = set(graph.parameters)
    uses: dict[Value, list[tuple[Value, int]]] = {}
    for v in graph.forward:
        for position, p in enumerate(v._parents):
            uses.setdefault(p, []).append((v, position))
    # One tuple object per row and per input vector, so that telling two apart is `is`, not
    # a comparison element by element (a digits batch has 10 uses of each of 2,410 weights).
    interned: dict[tuple[Value, ...], tuple[Value, ...]] = {}
    candidates: dict[Value, tuple[Value, ...]] = {}
    inputs_of: dict[Value, tuple[Value, ...]] = {}
    for v in graph.forward:
        if v._rule is not dot_op:
            continue
        parents = v._parents
        if len(parents) < 4:
            continue
        half = len(parents) // 2
        weights = parents[:half]
        weights = interned.setdefault(weights, weights)
        if len(set(weights)) == half and all(w in parameters for w in weights):
            candidates[v] = weights
            xs = parents[half : 2 * half]
            inputs_of[v] = interned.setdefault(xs, xs)
    rows = _Rows()
    accepted: dict[tuple[Value, ...], bool] = {}
    for v, weights in candidates.items():
        ok = accepted.get(weights)
        if ok is None:
            # Other uses of a weight (an L2 penalty's p * p) are fine: they add into
            # the row's list element by element, in backward()'s order.
            ok = accepted[weights] = all(
                user._rule is not dot_op or (candidates.get(user) is weights and position == i)
                for i, w in enumerate(weights)
                for user, position in uses[w]
            )
            if ok and any(user._rule is not dot_op for w in weights for user, _ in uses[w]):
                rows.shared.add(weights)
            if ok:
                rows.weights.append(weights)
        if ok:
            rows.of[v] = weights
            rows.inputs[v] = inputs_of[v]
    rows.weights.sort(key=lambda row: natural_order(row[0].label))
    for v, weights in rows.of.items():
        half = len(weights)
        xs = rows.inputs[v]
        if xs in rows.vectors or len(set(xs)) != half:
            continue
        if all(
            x._parents
            and all(
                user in rows.of and inputs_of[user] is xs and position == half + i
                for user, position in uses[x]
            )
            for i, x in enumerate(xs)
        ):
            rows.vectors.add(xs)
            rows.vector_of.update((x, xs) for x in xs)
    return rows


def natural_order(label: str) -> tuple[tuple[int, int | str], ...]:
    """A sort key that puts `layers.2.w` before `layers.10.w`."""
    return tuple((0, int(part)) if part.isdigit() else (1, part) for part in label.split("."))


def _row_label(label: str) -> str:
    """`layers.0.neurons.3.w.1` -> `layers.0.neurons.3.w`: the name of the whole row."""
    head, _, tail = label.rpartition(".")
    return head if head and tail.isdigit() else label


def _emit_check(emit: Callable[[str], None], terms: list[str], comment: str) -> None:
    if not terms:
        return
    emit(f"    # {comment}")
    for start in range(0, len(terms), _CHUNK):
        part = ", ".join(terms[start : start + _CHUNK])
        operator = "=" if start == 0 else "+="
        emit(f"    _check {operator} sum(({part},))")
    emit("    if not -_inf < _check < _inf:")
    emit("        _fail()")


def _identifier(name: str) -> str:
    """A readable identifier for an op's name: `+` -> `add`, `**2` -> `pow2`."""
    named = {"+": "add", "-": "sub", "*": "mul", "/": "div"}.get(name)
    if named:
        return named
    if name.startswith("**"):
        return f"pow{name[2:]}"
    if name.endswith("**"):
        return f"power_of_{name[:-2]}"
    return name
