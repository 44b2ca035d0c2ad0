"""`trace(f, *example_args)`: run `f` once on Values, compile its graph into Python, reuse it.

The program is the straight-line code a tutorial writes by hand: one statement per node
for the forward pass, then `grad_x += ...` lines for the backward pass, in the order
`backward()` visits the nodes (`print(program)` shows it). It creates no Value per
operation, which is where the interpreter's time goes, and gives the same numbers.

What a trace sees is what `f` does to Values: arithmetic, ops, and comparisons (`x > 0`,
`max(values)`), which become guards checked at every call; a call whose guards fail is
traced again (a few programs are kept per argument shape). What it cannot see, and what
`f` therefore must not do, is read a Value's `.data` (or `detach()` it, or compute under
`no_grad()`) to decide anything or to make a number: such numbers are frozen into the
program as they were while tracing. Likewise plain Python state (a module's `training`
flag, a list's length) is read once. Random numbers must come through `sample(draw)`
(as `nn.Dropout`'s masks do), which makes them inputs of the program, drawn at each call.
`nn.losses` read their targets' numbers: close over the targets (constants of the program)
rather than passing them as traced arguments; `cross_entropy`'s log-sum-exp shift is frozen
as a constant, which is exact in mathematics (an exp that overflows sends the call back to
the interpreter).
"""

from __future__ import annotations

import gc
import inspect
import itertools
import linecache
import math
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from autograd import value as _value_module
from autograd.backward import backward, topological_order
from autograd.codegen import Graph, generate, natural_order
from autograd.ops import sum_values
from autograd.value import Value, check_number

__all__ = ["Program", "sample", "trace"]

_INF = math.inf
_MAX_VARIANTS = 8  # programs kept per argument shape (one per set of guard outcomes)
_MAX_SHAPES = 32
_counter = itertools.count(1)


class _Retrace(Exception):
    """A guard failed: this program does not fit these arguments."""


class _Failed(Exception):
    """The program met a number it must not return (or an error): ask the interpreter."""


@contextmanager
def _collector_paused() -> Iterator[None]:
    """Pause Python's cycle collector while a graph is compiled. The compiler makes tens of
    thousands of small containers; every few hundred of them start a collection, and the
    older generations' collections walk every object alive, the whole graph among them (on
    the digits, a third of the compile time after a batch of training). The compiler makes no
    cycle, so nothing waits for the collector; it is left as it was found."""
    was_enabled = gc.isenabled()
    try:
        gc.disable()  # inside the try: a Ctrl-C just after it still turns the collector back on
        yield
    finally:
        if was_enabled:
            gc.enable()


def _fail() -> None:
    raise _Failed


_FAILURES = (ArithmeticError, ValueError, TypeError, _Failed)


class _Replay:
    """The draws of one call, kept so that a retrace or a rerun sees the same numbers."""

    def __init__(self) -> None:
        self.values: list[float] = []
        self.position = 0

    def next(self, draw: Callable[[], float]) -> float:
        if self.position < len(self.values):
            number = self.values[self.position]
        else:
            number = check_number(draw(), "sample")
            self.values.append(number)
        self.position += 1
        return number

    def take(self, draws: Sequence[Callable[[], float]]) -> list[float]:
        self.position = 0
        return [self.next(draw) for draw in draws]


_replay: _Replay | None = None


class _Recorder:
    """What one run of `f` did: the leaves it made, its comparisons and its draws."""

    def __init__(self) -> None:
        self.created: list[Value] = []
        self.guards: list[tuple[Value, str, Any, bool]] = []
        self.samples: list[tuple[Value, Callable[[], float]]] = []

    def compared(self, node: Value, symbol: str, other: Any, result: bool) -> None:
        self.guards.append((node, symbol, other, result))


def sample(draw: Callable[[], float], label: str = "") -> Value:
    """A leaf holding `draw()`, a number from outside the graph (a random draw).

    Outside a trace this is `Value(draw(), label=label)`. Inside one, the leaf becomes an
    input of the program and `draw()` is called again at every call, in the same order,
    so a traced dropout mask changes from call to call exactly as the interpreter's does.
    """
    replay = _replay
    number = replay.next(draw) if replay is not None else check_number(draw(), "sample")
    leaf = Value(number, label=label)
    tracer = _value_module._tracer
    if tracer is not None:
        tracer.samples.append((leaf, draw))
    return leaf


# -- arguments and outputs as flat lists --------------------------------------------------


_ONLY_FLOATS = frozenset({float})


def _flatten_arguments(args: Sequence[Any], what: str) -> tuple[list[float], Any]:
    """The numbers in `args` (nested lists/tuples of numbers) and a hashable shape."""
    flat: list[float] = []
    extend = flat.extend

    def walk(x: Any, path: tuple[int, ...]) -> Any:
        if type(x) is float and -_INF < x < _INF:
            flat.append(x)
            return 0
        if isinstance(x, (list, tuple)):
            if _finite_floats(x):  # a row of finite floats, the usual example, in one go
                extend(x)
                return (type(x) is tuple, (0,) * len(x))
            batch = _uniform_rows(x)
            if batch is not None:  # rows of finite floats, all alike: the usual batch
                extend(itertools.chain.from_iterable(x))
                return (type(x) is tuple, batch)
            shapes = []
            for i, item in enumerate(x):
                if type(item) in _SEQUENCES and _finite_floats(item):  # a batch's rows
                    extend(item)
                    shapes.append((type(item) is tuple, (0,) * len(item)))
                else:
                    shapes.append(walk(item, (*path, i)))
            return (type(x) is tuple, tuple(shapes))
        where = f"argument {path[0]}" + "".join(f"[{i}]" for i in path[1:])
        if isinstance(x, Value):
            raise TypeError(
                f"{what}: {where} is a Value; pass plain numbers (the Values f uses without "
                "being given them are its parameters)"
            )
        flat.append(check_number(x, f"{what}: {where}"))
        return 0

    shape = tuple(walk(x, (i,)) for i, x in enumerate(args))
    return flat, shape


_SEQUENCES = frozenset({list, tuple})


def _uniform_rows(x: Sequence[Any]) -> tuple[Any, ...] | None:
    """The shapes of `x`'s items if they are rows of finite floats, all of one type and one
    length (checked in C loops, as `_finite_floats` checks a row), else None."""
    kinds = set(map(type, x))
    if len(kinds) != 1 or not kinds <= _SEQUENCES:
        return None
    lengths = set(map(len, x))
    if len(lengths) != 1:
        return None
    items = itertools.chain.from_iterable
    if not set(map(type, items(x))) <= _ONLY_FLOATS or not -_INF < sum(items(x)) < _INF:
        return None
    return ((kinds.pop() is tuple, (0,) * lengths.pop()),) * len(x)


def _finite_floats(x: Sequence[Any]) -> bool:
    """True if every item of `x` is a finite float. A sum of finite floats is finite unless
    it overflows; anything else takes the walk in `_flatten_arguments`, which says why."""
    return set(map(type, x)) <= _ONLY_FLOATS and -_INF < sum(x) < _INF


def _rebuild(shape: Any, items: Sequence[Any], start: int = 0) -> tuple[Any, int]:
    """`items` put back into the nesting `shape` (from `_flatten_arguments`)."""
    if shape == 0:
        return items[start], start + 1
    is_tuple, children = shape
    out = []
    for child in children:
        item, start = _rebuild(child, items, start)
        out.append(item)
    return (tuple(out) if is_tuple else out), start


def _flatten_outputs(out: Any) -> tuple[list[Any], Any]:
    flat: list[Any] = []

    def walk(x: Any) -> Any:
        if isinstance(x, Value):
            flat.append(x)
            return 0
        if isinstance(x, (list, tuple)):
            return (type(x) is tuple, tuple(walk(item) for item in x))
        flat.append(check_number(x, "the result of the traced function"))
        return 0

    return flat, walk(out)


def _order(roots: Sequence[Value], visited: set[Value]) -> list[Value]:
    """Every node the roots depend on not yet in `visited`, parents first."""
    order: list[Value] = []
    for root in roots:
        if root in visited:
            continue
        stack: list[Value | None] = [root]
        while stack:
            node = stack.pop()
            if node is None:
                order.append(stack.pop())  # type: ignore[arg-type]
                continue
            if node in visited:
                continue
            visited.add(node)
            if not node._parents:
                order.append(node)
                continue
            stack.append(node)
            stack.append(None)
            stack.extend(p for p in node._parents if p not in visited)
    return order


@dataclass
class _Compiled:
    """One program: the function and what it reads."""

    function: Callable[..., Any]
    parameters: list[Value]
    draws: list[Callable[[], float]]
    output_shape: Any
    source: str
    lines: int
    seconds: float


@dataclass
class _Run:
    """One call's traced graph, run by the interpreter (the tracing call, or a fallback)."""

    arguments: list[Value]
    outputs: list[Value]
    output_shape: Any


class Program:
    """A function compiled by `trace`: call it like `grad`, read it with `print(program)`.

    `program(*args)` returns `(value, grads)` for a scalar `f` and adds d(value)/d(p) into
    `p.grad` for every parameter `p` (a Value `f` uses that is not an argument), read
    afresh at each call. `program.vjp(*args)` is the general form for several outputs.
    """

    def __init__(
        self,
        f: Callable[..., Any],
        argnums: int | Sequence[int] | None = None,
        *,
        rows: bool | None = None,
    ) -> None:
        if not callable(f):
            raise TypeError(f"trace needs a function, got {f!r}")
        self.f = f
        self.argnums = argnums
        self.rows = rows
        self._cache: dict[Any, list[_Compiled]] = {}
        self._latest: _Compiled | None = None
        self.traces = 0
        """How many times `f` was traced (once per argument shape and guard outcome)."""
        self.compile_seconds = 0.0
        """Time spent generating and compiling code, in total."""
        name = getattr(f, "__name__", "")
        self._name = name if name.isidentifier() and not name.startswith("_") else "traced"
        try:
            parameters = list(inspect.signature(f).parameters.values())
        except (TypeError, ValueError):
            parameters = []
        self._arg_names = [
            p.name for p in parameters if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)
        ]

    # -- what a user reads -------------------------------------------------------------

    @property
    def source(self) -> str:
        """The Python source of the most recently compiled or used program."""
        if self._latest is None:
            raise ValueError("nothing traced yet: call the program once")
        return self._latest.source

    @property
    def lines(self) -> int:
        """Lines of code of `source`."""
        return 0 if self._latest is None else self._latest.lines

    def show(self) -> None:
        """Print `source`."""
        print(self.source)

    def __str__(self) -> str:
        return self.source

    def __repr__(self) -> str:
        count = sum(len(v) for v in self._cache.values())
        return f"<Program {self._name}: {count} compiled, {self.lines} lines>"

    # -- calls -------------------------------------------------------------------------

    def __call__(self, *args: Any) -> tuple[float, Any]:
        """`(f(*args), gradients)` for a scalar `f`; parameters' `.grad` get theirs too."""
        flat, shape = _flatten_arguments(args, "trace")
        replay = _Replay()
        found = self._forward(flat, shape, replay)
        if isinstance(found, _Run):
            self._check_scalar(found.outputs, found.output_shape)
            found.outputs[0].backward()
            return found.outputs[0].data, self._shaped(shape, [v.grad for v in found.arguments])
        compiled, outputs, generator = found
        self._check_scalar(outputs, compiled.output_shape)
        try:
            grads = generator.send((1.0,))
        except _FAILURES:
            run = self._interpret(flat, shape, replay)
            run.outputs[0].backward()
            return run.outputs[0].data, self._shaped(shape, [v.grad for v in run.arguments])
        return outputs[0], self._shaped(shape, grads, wanted_only=True)

    def vjp(self, *args: Any) -> tuple[Any, Callable[[Any], Any]]:
        """`(outputs, pullback)`: f's outputs as floats (nested as f returns them) and a
        function that takes the gradients of some scalar with respect to those outputs,
        adds the parameters' shares into their `.grad` and returns the arguments'."""
        flat, shape = _flatten_arguments(args, "trace")
        replay = _Replay()
        found = self._forward(flat, shape, replay)
        if isinstance(found, _Run):
            outputs_now = _rebuild(found.output_shape, [v.data for v in found.outputs])[0]
            return outputs_now, self._pull_by_interpreter(found, shape)
        compiled, outputs, generator = found

        def pullback(seeds: Any) -> Any:
            flat_seeds = _seeds(seeds, len(outputs))
            try:
                grads = generator.send(flat_seeds)
            except _FAILURES:
                run = self._interpret(flat, shape, replay)
                return self._pull_by_interpreter(run, shape)(seeds)
            return self._shaped(shape, grads, wanted_only=True)

        return _rebuild(compiled.output_shape, outputs)[0], pullback

    # -- machinery ---------------------------------------------------------------------

    def _pull_by_interpreter(self, run: _Run, shape: Any) -> Callable[[Any], Any]:
        def pullback(seeds: Any) -> Any:
            flat_seeds = _seeds(seeds, len(run.outputs))
            total = sum_values([out * seed for out, seed in zip(run.outputs, flat_seeds)])
            backward(total)
            return self._shaped(shape, [v.grad for v in run.arguments])

        return pullback

    def _check_scalar(self, outputs: Sequence[Any], output_shape: Any) -> None:
        if len(outputs) != 1 or output_shape != 0:
            raise TypeError(
                "calling a traced program needs f to return one Value; for several "
                "outputs use program.vjp(*args)"
            )

    def _wanted(self, shape: Any) -> list[int]:
        """The positions, among the arguments, whose gradients are returned."""
        argnums = self.argnums
        if argnums is None:
            return list(range(len(shape)))
        positions = [argnums] if isinstance(argnums, int) else list(argnums)
        for i in positions:
            if not 0 <= i < len(shape):
                raise TypeError(f"argnums asks for argument {i}, but {len(shape)} were given")
        return positions

    def _shaped(self, shape: Any, grads: Sequence[float], wanted_only: bool = False) -> Any:
        """Gradients in the shape of the arguments: one item per wanted argument."""
        wanted = self._wanted(shape)
        if not wanted and not isinstance(self.argnums, int):
            return ()  # argnums=(): only the parameters' gradients, no sizes to count
        sizes = [_size(s) for s in shape]
        starts = list(itertools.accumulate([0, *sizes]))
        parts = []
        offset = 0
        for i in wanted:
            if wanted_only:
                chunk = grads[offset : offset + sizes[i]]
                offset += sizes[i]
            else:
                chunk = grads[starts[i] : starts[i] + sizes[i]]
            parts.append(_rebuild(shape[i], list(chunk))[0])
        single = isinstance(self.argnums, int) or (self.argnums is None and len(shape) == 1)
        return parts[0] if single else tuple(parts)

    def _forward(self, flat: list[float], shape: Any, replay: _Replay) -> Any:
        """Run a cached program's forward pass, or trace: (compiled, outputs, generator)
        from a program, or the `_Run` of the tracing call (whose numbers the interpreter
        gives)."""
        global _replay
        variants = self._cache.get(shape)
        if variants:
            for k, compiled in enumerate(variants):
                draws = replay.take(compiled.draws)
                generator = compiled.function(flat, compiled.parameters, draws)
                try:
                    outputs = next(generator)
                except _Retrace:
                    continue
                except _FAILURES:
                    break  # let the interpreter find the error (or the right branch)
                if k:
                    variants.insert(0, variants.pop(k))
                self._latest = compiled
                return compiled, outputs, generator
        replay.position = 0
        return self._trace(flat, shape, replay)

    def _interpret(self, flat: list[float], shape: Any, replay: _Replay) -> _Run:
        """Run f on Values with this call's draws, as the interpreter would."""
        global _replay
        arguments = [Value(x) for x in flat]
        values, _ = _rebuild((False, shape), arguments)
        replay.position = 0
        _replay = replay
        try:
            out = self.f(*values)
        finally:
            _replay = None
        outputs, output_shape = _flatten_outputs(out)
        return _Run(
            arguments, [o if isinstance(o, Value) else Value(o) for o in outputs], output_shape
        )

    def _trace(self, flat: list[float], shape: Any, replay: _Replay) -> _Run:
        global _replay
        if _value_module._tracer is not None:
            raise RuntimeError("trace: a traced function cannot itself call a traced program")
        names = self._arg_names
        arguments = []
        for i, part in enumerate(shape):
            base = names[i] if i < len(names) else f"arg{i}"
            arguments += [Value(0.0, label=label) for label in _labels(part, base)]
        for leaf, x in zip(arguments, flat):
            leaf.data = x
        values, _ = _rebuild((False, shape), arguments)
        recorder = _Recorder()
        _value_module._tracer = recorder
        _replay = replay
        try:
            out = self.f(*values)
            outputs, output_shape = _flatten_outputs(out)
            outputs = [o if isinstance(o, Value) else Value(o) for o in outputs]
        finally:
            _value_module._tracer = None
            _replay = None
        started = time.perf_counter()
        with _collector_paused():
            compiled = self._compile(recorder, arguments, outputs, output_shape, shape)
        compiled.seconds = time.perf_counter() - started
        self.compile_seconds += compiled.seconds
        self.traces += 1
        variants = self._cache.setdefault(shape, [])
        variants.insert(0, compiled)
        del variants[_MAX_VARIANTS:]
        if len(self._cache) > _MAX_SHAPES:
            del self._cache[next(iter(self._cache))]
        self._latest = compiled
        return _Run(arguments, outputs, output_shape)

    def _compile(
        self,
        recorder: _Recorder,
        arguments: list[Value],
        outputs: list[Value],
        output_shape: Any,
        shape: Any,
    ) -> _Compiled:
        guard_nodes = [node for node, _, other, _ in recorder.guards]
        guard_nodes += [other for _, _, other, _ in recorder.guards if isinstance(other, Value)]
        visited: set[Value] = set()
        if len(outputs) == 1:
            backward_order = topological_order(outputs[0])  # exactly backward()'s order
            visited.update(backward_order)
        else:
            backward_order = _order(outputs, visited)
        forward = backward_order + _order(guard_nodes, visited)
        argument_set = set(arguments)
        sample_leaves = [leaf for leaf, _ in recorder.samples]
        sample_set = set(sample_leaves)
        created = set(recorder.created)
        parameters = [
            v
            for v in forward
            if v._rule is None
            and v not in argument_set
            and v not in sample_set
            and v not in created
        ]
        parameters.sort(key=lambda p: natural_order(p.label))  # in model order
        sizes = [_size(s) for s in shape]
        starts = list(itertools.accumulate([0, *sizes]))
        wanted = [
            leaf
            for i in self._wanted(shape)
            for leaf in arguments[starts[i] : starts[i] + sizes[i]]
        ]
        number = next(_counter)
        graph = Graph(
            forward=forward,
            backward=list(reversed(backward_order)),
            outputs=outputs,
            arguments=arguments,
            parameters=parameters,
            samples=sample_leaves,
            wanted=wanted,
            guards=recorder.guards,
            name=self._name,
            rows=self.rows,
        )
        generated = generate(graph)
        parameters = generated.parameters
        filename = f"<glassgrad trace {number}: {self._name}>"
        linecache.cache[filename] = (
            len(generated.source),
            None,
            generated.source.splitlines(keepends=True),
            filename,
        )
        namespace = {"_fail": _fail, "_Retrace": _Retrace, "_inf": _INF, **generated.namespace}
        exec(compile(generated.source, filename, "exec"), namespace)
        return _Compiled(
            function=namespace[self._name],
            parameters=parameters,
            draws=[draw for _, draw in recorder.samples],
            output_shape=output_shape,
            source=generated.source,
            lines=generated.lines,
            seconds=0.0,
        )


def _seeds(seeds: Any, count: int) -> tuple[float, ...]:
    flat, _ = _flatten_arguments([seeds], "pullback")
    if len(flat) != count:
        raise ValueError(f"pullback needs {count} gradients (one per output), got {len(flat)}")
    return tuple(flat)


def _size(shape: Any) -> int:
    if shape == 0:
        return 1
    return sum(_size(child) for child in shape[1])


def _labels(shape: Any, base: str) -> list[str]:
    if shape == 0:
        return [base]
    return [label for i, child in enumerate(shape[1]) for label in _labels(child, f"{base}.{i}")]


def trace(
    f: Callable[..., Any],
    *example_args: Any,
    argnums: int | Sequence[int] | None = None,
    rows: bool | None = None,
) -> Program:
    """Compile `f` into a `Program` by running it once on Values made from `example_args`.

    Each argument is a number or a (nested) list/tuple of numbers. `program(*args)`
    returns `(f(*args), gradients)`, the gradients in the shape of the arguments (of the
    ones `argnums` names; all by default, as one item for one argument), and adds each
    parameter's gradient into its `.grad`. Read the module docstring for what `f` must
    not do (read `.data`, draw random numbers other than through `sample`). With
    `rows=True` a neuron's weights are read and differentiated as one list, in C loops
    (`sum(map(_mul, w, x))`): a fraction of the code, so it compiles fast, but it runs
    slower than one line per weight (`rows=False`, the most readable form). The default,
    None, writes lines unless that would make more than about 10**5 of them.
    """
    program = Program(f, argnums, rows=rows)
    flat, shape = _flatten_arguments(example_args, "trace")
    program._trace(flat, shape, _Replay())
    return program
