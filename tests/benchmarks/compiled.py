"""Workloads 6-9: `trace` and the interpreter against the code one writes without a library.

- 6: moons, one full-batch SGD step of MLP(2, [16, 16, 1]) on micrograd's demo loss:
  the traced program vs glassgrad's interpreted nn.MLP, vs micrograd with its collector
  off, and vs hand-written float code (lists and loops, the backward derived by hand).
- 7: digits, one epoch of MLP(64, [32, 10]), 500 examples in batches of 10:
  `fit(compile=True)` (tracing and compiling included) vs `fit`.
- 8: a GPT in microgpt's style (1 layer, 16-dim embedding, 4 heads, block 16, Adam, one
  name per step) on glassgrad's Value vs a minimal 40-line scalar Value of the same kind.
- 9: the chain x = x * 1.0001 + 0.001, per node, vs the floor: a slots object per node,
  one float operation forward and one multiply-add backward.
"""

from __future__ import annotations

import gc
import math
import random
from collections.abc import Callable, Sequence
from typing import Any

from tests.benchmarks import workloads as w
from tests.benchmarks.measure import Contender, Step

# -- 6: moons -------------------------------------------------------------------------------

MOONS_LR = 0.5
ALPHA = 1e-4


def traced_moons_step(n_points: int = 100, steps: int = 10) -> Callable[[], list[Step]]:
    """Each step: the program (forward + backward into .grad), then SGD."""
    points, labels = w.moons_data(n_points)

    def prepare() -> list[Step]:
        from autograd import trace
        from nn import optim

        model = w.glassgrad_mlp(2, w.MOONS_SIZES)
        params = model.parameters()
        optimizer = optim.SGD(params, lr=MOONS_LR)

        def loss(inputs: list[list[Any]]) -> Any:
            return w.max_margin_loss(model, params, inputs, labels, lambda v: v)

        program = trace(loss, points, argnums=(), rows=False)  # one line per weight: fastest

        def step() -> None:
            optimizer.zero_grad()
            program(points)
            optimizer.step()

        return [step] * steps

    return prepare


def hand_written_moons_step(n_points: int = 100, steps: int = 10) -> Callable[[], list[Step]]:
    """The same step on floats: forward, the hinge and L2 loss, backward written out."""
    points, labels = w.moons_data(n_points)

    def prepare() -> list[Step]:
        model = w.glassgrad_mlp(2, w.MOONS_SIZES)
        layers = [
            ([[p.data for p in n.w] for n in layer.neurons], [n.b.data for n in layer.neurons])
            for layer in model.layers
        ]
        return [lambda: hand_written_step(layers, points, labels)] * steps

    return prepare


def hand_written_step(
    layers: list[tuple[list[list[float]], list[float]]],
    points: list[list[float]],
    labels: list[float],
) -> float:
    """One SGD step of mean(relu(1 - y * score)) + ALPHA * sum(p²), by hand, in place."""
    grads = [([[0.0] * len(row) for row in W], [0.0] * len(b)) for W, b in layers]
    last = len(layers) - 1
    total = 0.0
    for x, y in zip(points, labels):
        activations = [x]
        for k, (W, b) in enumerate(layers):
            inputs = activations[-1]
            sums = [sum(wi * xi for wi, xi in zip(row, inputs)) + bias for row, bias in zip(W, b)]
            activations.append(sums if k == last else [s if s > 0.0 else 0.0 for s in sums])
        margin = 1.0 - y * activations[-1][0]
        if margin <= 0.0:
            continue
        total += margin
        delta = [-y / len(points)]  # d(loss)/d(score)
        for k in range(last, -1, -1):
            W, _ = layers[k]
            gW, gb = grads[k]
            inputs = activations[k]
            for j, d in enumerate(delta):
                gb[j] += d
                row = gW[j]
                for i, xi in enumerate(inputs):
                    row[i] += d * xi
            if k:
                back = [
                    sum(W[j][i] * delta[j] for j in range(len(delta))) for i in range(len(inputs))
                ]
                delta = [d if a > 0.0 else 0.0 for d, a in zip(back, inputs)]
    penalty = 0.0
    for (W, b), (gW, gb) in zip(layers, grads):
        for row, grow in zip([*W, b], [*gW, gb]):
            for i, p in enumerate(row):
                penalty += p * p
                row[i] = p - MOONS_LR * (grow[i] + 2.0 * ALPHA * p)
    return total / len(points) + ALPHA * penalty


WARM_STEPS = 8
"""Row 6: steps each contender runs, untimed, before its ten timed ones.

CPython 3.11 specializes an instruction after it has run a few times, and straight-line
code runs each of its instructions once per call, so a traced program's first calls run
unspecialized: on the moons step they take 4.5, 3.7, 3.5 ... ms, settling at 2.4-2.6 ms
after about 6 calls. A training run takes hundreds of steps: the row reports the steady
step, with the same untimed steps for every contender (each trains its own model on).
"""


def warmed(contender: Contender, warm: int = WARM_STEPS) -> Contender:
    """`contender` whose preparation also runs its first step `warm` times, untimed."""

    def prepare() -> Sequence[Step]:
        steps = contender.prepare()
        collector_was_on = gc.isenabled()
        if contender.gc_off:
            gc.disable()  # as the timed steps run (micrograd's cycles wait for the collector)
        try:
            for _ in range(warm):
                steps[0]()
        finally:
            if collector_was_on:
                gc.enable()
        return steps

    return Contender(prepare, contender.gc_off, contender.recursion_limit)


def moons_contenders() -> dict[str, Contender]:
    theirs = w.moons_contenders()
    contenders = {
        "traced": Contender(traced_moons_step()),
        "interpreted": theirs[w.GLASSGRAD],
        "micrograd no-gc": theirs[w.MICROGRAD_NO_GC],
        "hand-written floats": Contender(hand_written_moons_step()),
    }
    return {name: warmed(contender) for name, contender in contenders.items()}


# -- 7: digits epoch --------------------------------------------------------------------------

DIGITS_EXAMPLES = 500


def digits_epoch(compile: bool, n_examples: int = DIGITS_EXAMPLES) -> Callable[[], list[Step]]:
    images, labels = w.digits_data(n_examples)

    def prepare() -> list[Step]:
        from nn import fit, losses, optim

        model = w.glassgrad_mlp(64, w.DIGITS_SIZES)
        optimizer = optim.SGD(model.parameters(), lr=0.1)

        def epoch() -> None:
            fit(
                model,
                images,
                labels,
                losses.cross_entropy,
                optimizer,
                epochs=1,
                batch_size=w.DIGITS_BATCH,
                metrics=(),
                progress=False,
                shuffle=False,
                compile=compile,
            )

        return [epoch]

    return prepare


def digits_contenders(n_examples: int = DIGITS_EXAMPLES) -> dict[str, Contender]:
    return {
        "fit(compile=True)": Contender(digits_epoch(True, n_examples)),
        "fit": Contender(digits_epoch(False, n_examples)),
    }


# -- 8: a GPT in microgpt's style ---------------------------------------------------------------


class TinyValue:
    """A minimal scalar autograd Value: what a 40-line tutorial engine is."""

    __slots__ = ("_children", "_local", "data", "grad")

    def __init__(self, data: float, children: tuple[Any, ...] = (), local: tuple[float, ...] = ()):
        self.data = data
        self.grad = 0.0
        self._children = children
        self._local = local

    def __add__(self, other: Any) -> TinyValue:
        other = other if isinstance(other, TinyValue) else TinyValue(other)
        return TinyValue(self.data + other.data, (self, other), (1.0, 1.0))

    def __mul__(self, other: Any) -> TinyValue:
        other = other if isinstance(other, TinyValue) else TinyValue(other)
        return TinyValue(self.data * other.data, (self, other), (other.data, self.data))

    def __pow__(self, k: float) -> TinyValue:
        return TinyValue(self.data**k, (self,), (k * self.data ** (k - 1),))

    def log(self) -> TinyValue:
        return TinyValue(math.log(self.data), (self,), (1.0 / self.data,))

    def exp(self) -> TinyValue:
        e = math.exp(self.data)
        return TinyValue(e, (self,), (e,))

    def relu(self) -> TinyValue:
        return TinyValue(max(0.0, self.data), (self,), (float(self.data > 0),))

    def __neg__(self) -> TinyValue:
        return self * -1.0

    def __radd__(self, other: Any) -> TinyValue:
        return self + other

    def __sub__(self, other: Any) -> TinyValue:
        return self + (-other)

    def __rmul__(self, other: Any) -> TinyValue:
        return self * other

    def __truediv__(self, other: Any) -> TinyValue:
        return self * other**-1

    def backward(self) -> None:
        order, seen, stack = [], set(), [(self, False)]
        while stack:
            node, done = stack.pop()
            if done:
                order.append(node)
            elif node not in seen:
                seen.add(node)
                stack.append((node, True))
                stack.extend((child, False) for child in node._children)
        self.grad = 1.0
        for node in reversed(order):
            for child, local in zip(node._children, node._local):
                child.grad += local * node.grad


NAMES = (
    "emma",
    "olivia",
    "ava",
    "isabella",
    "sophia",
    "mia",
    "amelia",
    "harper",
    "evelyn",
    "abigail",
    "emily",
    "ella",
    "elizabeth",
    "camila",
    "luna",
    "sofia",
    "avery",
    "mila",
    "aria",
    "scarlett",
    "penelope",
    "layla",
    "chloe",
    "victoria",
    "madison",
    "eleanor",
    "grace",
    "nora",
    "riley",
    "zoey",
    "hannah",
    "hazel",
    "lily",
    "ellie",
    "violet",
    "lillian",
    "zoe",
    "stella",
    "aurora",
    "natalie",
    "liam",
    "noah",
    "oliver",
    "elijah",
    "james",
    "william",
    "benjamin",
    "lucas",
    "henry",
    "theodore",
    "jack",
    "levi",
    "alexander",
    "jackson",
    "mateo",
    "daniel",
    "michael",
    "mason",
    "sebastian",
    "ethan",
    "logan",
    "owen",
    "samuel",
    "jacob",
    "asher",
    "aiden",
)


def gpt_steps(value: Callable[[float], Any], steps: int = 4, seed: int = 0) -> list[Step]:
    """microgpt's model and training step, written here for any scalar Value class."""
    rng = random.Random(seed)
    chars = sorted(set("".join(NAMES)))
    bos = len(chars)
    vocab, n_embd, n_head, block = len(chars) + 1, 16, 4, 16
    head = n_embd // n_head

    def matrix(rows: int, cols: int) -> list[list[Any]]:
        return [[value(rng.gauss(0.0, 0.08)) for _ in range(cols)] for _ in range(rows)]

    state = {
        "wte": matrix(vocab, n_embd),
        "wpe": matrix(block, n_embd),
        "lm": matrix(vocab, n_embd),
        "wq": matrix(n_embd, n_embd),
        "wk": matrix(n_embd, n_embd),
        "wv": matrix(n_embd, n_embd),
        "wo": matrix(n_embd, n_embd),
        "fc1": matrix(4 * n_embd, n_embd),
        "fc2": matrix(n_embd, 4 * n_embd),
    }
    params = [p for rows in state.values() for row in rows for p in row]
    m = [0.0] * len(params)
    v = [0.0] * len(params)

    def linear(x: Sequence[Any], W: list[list[Any]]) -> list[Any]:
        return [sum(wi * xi for wi, xi in zip(row, x)) for row in W]

    def softmax(logits: list[Any]) -> list[Any]:
        top = max(z.data for z in logits)
        exps = [(z - top).exp() for z in logits]
        total = sum(exps)
        return [e / total for e in exps]

    def rmsnorm(x: list[Any]) -> list[Any]:
        scale = (sum(xi * xi for xi in x) / len(x) + 1e-5) ** -0.5
        return [xi * scale for xi in x]

    def gpt(token: int, position: int, keys: list[Any], values: list[Any]) -> list[Any]:
        x = [t + p for t, p in zip(state["wte"][token], state["wpe"][position])]
        x = rmsnorm(x)
        residual = x
        x = rmsnorm(x)
        q, k, val = linear(x, state["wq"]), linear(x, state["wk"]), linear(x, state["wv"])
        keys.append(k)
        values.append(val)
        attended: list[Any] = []
        for h in range(n_head):
            s = slice(h * head, (h + 1) * head)
            scores = [sum(a * b for a, b in zip(q[s], key[s])) / head**0.5 for key in keys]
            weights = softmax(scores)
            attended += [
                sum(weights[t] * values[t][s][j] for t in range(len(keys))) for j in range(head)
            ]
        x = [a + b for a, b in zip(linear(attended, state["wo"]), residual)]
        residual = x
        x = [h.relu() for h in linear(rmsnorm(x), state["fc1"])]
        x = [a + b for a, b in zip(linear(x, state["fc2"]), residual)]
        return linear(x, state["lm"])

    def step(number: int) -> Callable[[], None]:
        def run() -> None:
            name = NAMES[number % len(NAMES)]
            tokens = [bos, *(chars.index(c) for c in name), bos][: block + 1]
            keys: list[Any] = []
            values_: list[Any] = []
            losses = []
            for position in range(len(tokens) - 1):
                probs = softmax(gpt(tokens[position], position, keys, values_))
                losses.append(-probs[tokens[position + 1]].log())
            loss = (1.0 / len(losses)) * sum(losses)
            loss.backward()
            lr, b1, b2 = 0.01, 0.85, 0.99
            for i, p in enumerate(params):
                m[i] = b1 * m[i] + (1 - b1) * p.grad
                v[i] = b2 * v[i] + (1 - b2) * p.grad**2
                p.data -= (
                    lr
                    * (m[i] / (1 - b1 ** (number + 1)))
                    / ((v[i] / (1 - b2 ** (number + 1))) ** 0.5 + 1e-8)
                )
                p.grad = 0.0

        return run

    return [step(k) for k in range(steps)]


def gpt_contenders(steps: int = 4) -> dict[str, Contender]:
    def on(make_value: Callable[[], Callable[[float], Any]]) -> Callable[[], list[Step]]:
        return lambda: gpt_steps(make_value(), steps)

    def glassgrad() -> Callable[[float], Any]:
        from autograd import Value

        return Value

    return {
        "glassgrad Value": Contender(on(glassgrad)),
        "minimal Value": Contender(on(lambda: TinyValue)),
    }


# -- 9: per-node cost of a chain ------------------------------------------------------------------


class FloorNode:
    """The least a node can be: its number, its gradient, its parent and the local slope."""

    __slots__ = ("data", "grad", "parent", "slope")

    def __init__(self, data: float, parent: Any, slope: float) -> None:
        self.data = data
        self.grad = 0.0
        self.parent = parent
        self.slope = slope


def floor_chain(length: int) -> float:
    start = x = FloorNode(1.0, None, 0.0)
    nodes = []
    for _ in range(length):
        x = FloorNode(x.data * 1.0001, x, 1.0001)
        nodes.append(x)
        x = FloorNode(x.data + 0.001, x, 1.0)
        nodes.append(x)
    x.grad = 1.0
    for node in reversed(nodes):
        node.parent.grad += node.grad * node.slope
    return start.grad


CHAIN = 10**5


def chain_contenders(length: int = CHAIN) -> dict[str, Contender]:
    def glassgrad() -> list[Step]:
        from autograd import Value

        return [lambda: w.chain(Value, length)]

    return {
        "glassgrad": Contender(glassgrad),
        "floor": Contender(lambda: [lambda: floor_chain(length)]),
    }


# -- compile time and code size -----------------------------------------------------------------


def code_sizes() -> list[tuple[str, int, float]]:
    """(workload, lines of generated code, seconds to trace and compile) for the README."""
    import time

    from autograd import Value, trace
    from nn import losses
    from nn.training import compiled_forward

    out = []
    points, labels = w.moons_data(100)
    model = w.glassgrad_mlp(2, w.MOONS_SIZES)
    params = model.parameters()
    started = time.perf_counter()
    program = trace(
        lambda inputs: w.max_margin_loss(model, params, inputs, labels, lambda v: v),
        points,
        argnums=(),
        rows=False,
    )
    out.append(
        ("moons, full batch of 100, loss traced", program.lines, time.perf_counter() - started)
    )
    images, digit_labels = w.digits_data(w.DIGITS_BATCH)
    digits_model = w.glassgrad_mlp(64, w.DIGITS_SIZES)
    forward = compiled_forward(digits_model)
    started = time.perf_counter()
    forward.vjp(images)
    out.append(
        (
            f"digits, batch of {w.DIGITS_BATCH}, model traced (fit)",
            forward.lines,
            time.perf_counter() - started,
        )
    )
    one = trace(
        lambda x: losses.cross_entropy(digits_model(x), digit_labels[0]), images[0], argnums=()
    )
    out.append(("digits, one example, loss traced", one.lines, one.compile_seconds))
    del Value
    return out


# -- the table --------------------------------------------------------------------------------


def targets(repeat: int, progress: Callable[[str], None], only: set[str]) -> str:
    """Run workloads 6-9 (those in `only`) and return their Markdown table."""
    from tests.benchmarks.measure import alternate
    from tests.benchmarks.report import format_number, format_ratio

    lines = [
        "| #  | workload | glassgrad | reference | ratio | target | result |",
        "|----|----------|-----------|-----------|-------|--------|--------|",
    ]

    def row(
        key: str,
        title: str,
        ours: Any,
        ref_name: str,
        ref: Any,
        target: float,
        unit: str,
        scale: float = 1.0,
    ) -> None:
        a, b = ours.median, ref.median
        if a is None or b is None:
            lines.append(f"| {key} | {title} | — | {ref_name}: — | — | ≤ {target:g} | FAIL |")
            return
        ratio = a / b
        verdict = "PASS" if ratio <= target else "FAIL"
        lines.append(
            f"| {key} | {title} | {format_number(a * scale, unit)} | {ref_name}: "
            f"{format_number(b * scale, unit)} | {format_ratio(ratio)} | ≤ {target:g} | {verdict} |"
        )

    if "6" in only:
        progress("workload 6: moons step, traced vs interpreted vs hand-written")
        out = alternate(moons_contenders(), repeat, progress)
        per_step = 1e3 / 10
        title = "moons step, MLP(2, [16, 16, 1]), 100 points, traced program"
        row(
            "6", title, out["traced"], "nn.MLP interpreted", out["interpreted"], 0.1, "ms", per_step
        )
        row(
            "6m",
            title,
            out["traced"],
            "micrograd no-gc",
            out["micrograd no-gc"],
            0.02,
            "ms",
            per_step,
        )
        row(
            "6h",
            title,
            out["traced"],
            "hand-written floats",
            out["hand-written floats"],
            1.0,
            "ms",
            per_step,
        )
    if "7" in only:
        progress("workload 7: digits epoch, fit(compile=True) vs fit")
        out = alternate(digits_contenders(), repeat, progress)
        row(
            "7",
            f"digits epoch, MLP(64, [32, 10]), {DIGITS_EXAMPLES} examples, batches of 10, "
            "fit(compile=True) incl. tracing",
            out["fit(compile=True)"],
            "fit",
            out["fit"],
            0.2,
            "s",
        )
    if "8" in only:
        progress("workload 8: microgpt-style GPT, glassgrad Value vs a minimal Value")
        out = alternate(gpt_contenders(), repeat, progress)
        row(
            "8",
            "GPT step (1 layer, 16 dims, 4 heads, block 16, Adam), interpreted",
            out["glassgrad Value"],
            "minimal Value",
            out["minimal Value"],
            0.5,
            "ms",
            1e3 / 4,
        )
    if "9" in only:
        progress("workload 9: chain per node vs the floor")
        out = alternate(chain_contenders(), repeat, progress)
        per_node = 1e6 / (2 * CHAIN)
        row(
            "9",
            "chain x = x * 1.0001 + 0.001, per node, forward+backward",
            out["glassgrad"],
            "floor",
            out["floor"],
            2.5,
            "µs",
            per_node,
        )
    return "\n".join(lines)
