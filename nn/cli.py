"""The `glassgrad` command (also `python -m nn`): `demo` trains and draws, `graph` explains.

    glassgrad demo [--out DIR] [--seed S] [--epochs N]
    glassgrad graph "x*y + exp(x)" x=2 y=3 [--format svg|png|html|text] [--out FILE]

Errors in what the user typed exit with status 2 and one line on stderr; a missing
optional dependency (graphviz, dot, matplotlib) exits with status 1 and says what to
install. Neither prints a traceback.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any, NoReturn

from autograd import (
    DomainError,
    Value,
    animate_backward,
    draw_dot,
    no_grad,
    to_text,
    topological_order,
)
from nn.expression import ExpressionError, build, parse_assignments

__all__ = ["main"]

PROGRAM = "glassgrad"

EXIT_USAGE = 2
EXIT_MISSING = 1

DEMO_LAYERS = [16, 16, 1]
MAX_DRAWN = 500
"""The most values `glassgrad graph` draws (dot takes long beyond)."""


class Failure(Exception):
    """Stop with this one-line message and exit status."""

    def __init__(self, message: str, status: int) -> None:
        super().__init__(message)
        self.status = status


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line `argv` (default: `sys.argv[1:]`) and return the exit status."""
    parser = _parser()
    try:
        args = parser.parse_args(_protect_expressions(list(sys.argv[1:] if argv is None else argv)))
    except SystemExit as stop:  # --help, or a usage error already printed
        return stop.code if isinstance(stop.code, int) else EXIT_USAGE
    try:
        if args.command == "demo":
            status = demo(Path(args.out), seed=args.seed, epochs=args.epochs, compile=args.compile)
        else:
            status = graph(args.expression, args.values, args.format, args.out, order=args.order)
        sys.stdout.flush()  # here, so a closed pipe is caught below and not at exit
        return status
    except Failure as failure:
        print(f"{PROGRAM} {args.command}: error: {failure}", file=sys.stderr)
        return failure.status
    except KeyboardInterrupt:
        print(f"{PROGRAM} {args.command}: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        return _stdout_closed()


EXIT_BROKEN_PIPE = 141
"""What a command killed by SIGPIPE reports (128 + 13), as `yes | head -1` does."""


def _stdout_closed() -> int:
    """The reader of stdout went away (`| head`): stop quietly, as command-line tools do.

    What is left in Python's buffer would fail again at exit with a warning, so stdout is
    pointed at /dev/null first.
    """
    with contextlib.suppress(OSError, ValueError):
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)
    return EXIT_BROKEN_PIPE


class _Parser(argparse.ArgumentParser):
    """argparse, but a usage error is one line (and `--help` still shows everything)."""

    def error(self, message: str) -> NoReturn:
        if len(message) > 200:
            message = message[:197] + "..."
        self.exit(EXIT_USAGE, f"{self.prog}: error: {message} (see {self.prog} --help)\n")


_GRAPH_OPTIONS = ("--format", "--out", "--order", "--help")


def _protect_expressions(argv: list[str]) -> list[str]:
    """Let an expression start with '-' (`glassgrad graph "-x**2" x=3`).

    argparse would take "-x**2" for an option; a leading space makes it plain text (the
    expression parser strips it). Real options, and the values they take, are left alone.
    """
    if not argv or argv[0] != "graph":
        return argv
    protected = argv[:1]
    takes_value = False
    for index, arg in enumerate(argv[1:], start=1):
        if arg == "--":
            return protected + argv[index:]
        name = arg.split("=", 1)[0]
        matches = [option for option in _GRAPH_OPTIONS if option.startswith(name)]
        is_option = arg == "-h" or (arg.startswith("--") and bool(matches))
        if not is_option and not takes_value:  # the first positional: the expression
            if arg.startswith("-"):
                arg = " " + arg
            return [*protected, arg, *argv[index + 1 :]]
        takes_value = (
            is_option and "=" not in arg and all(m in ("--format", "--out") for m in matches)
        )
        protected.append(arg)
    return protected


def _parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog=PROGRAM,
        description="glassgrad: a see-through scalar autograd engine.",
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    demo_parser = commands.add_parser(
        "demo",
        help="train a small MLP on two moons and draw it",
        description="Train an MLP on make_moons, print its accuracy and write graph.svg "
        "(one neuron's graph with data and grads), history.png and boundary.png.",
    )
    demo_parser.add_argument(
        "--out",
        default="glassgrad-demo",
        metavar="DIR",
        help="where to write (default: %(default)s)",
    )
    demo_parser.add_argument("--seed", type=int, default=0, help="random seed (default: 0)")
    demo_parser.add_argument(
        "--epochs", type=_positive, default=40, metavar="N", help="epochs (default: %(default)s)"
    )
    demo_parser.add_argument(
        "--compile",
        action="store_true",
        help="trace the model once per batch shape and train on the generated code "
        "(fit(compile=True): the same numbers, faster)",
    )

    graph_parser = commands.add_parser(
        "graph",
        help="draw the graph of an arithmetic expression and its gradients",
        description="Build the graph of EXPR, run backward and print d(EXPR)/d(name) for each "
        "input, then draw the graph. EXPR may use numbers, names, + - * / **, unary minus "
        "and exp log tanh sigmoid relu; it is parsed, never evaluated.",
        epilog='example: glassgrad graph "x*y + exp(x)" x=2 y=3 --format text',
    )
    graph_parser.add_argument("expression", metavar="EXPR", help='e.g. "x*y + exp(x)"')
    graph_parser.add_argument("values", nargs="*", metavar="NAME=VALUE", help="e.g. x=2 y=3")
    graph_parser.add_argument(
        "--format",
        choices=("svg", "png", "html", "text"),
        default="svg",
        help="default: svg; html is a page that plays backward() step by step",
    )
    graph_parser.add_argument(
        "--out",
        metavar="FILE",
        help="where to write the drawing (default: graph.svg, graph.png or graph.html; text "
        "goes to stdout)",
    )
    graph_parser.add_argument(
        "--order", action="store_true", help="number the nodes in the order backward visits them"
    )
    return parser


def _positive(text: str) -> int:
    try:
        number = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if number < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, got {number}")
    return number


# -- glassgrad graph ------------------------------------------------------------------------


def graph(
    expression: str, assignments: Sequence[str], fmt: str, out: str | None, *, order: bool
) -> int:
    """Parse, build, differentiate, print the gradients and write the drawing."""
    try:
        values = parse_assignments(assignments)
        result, inputs = build(expression, values)
        result.backward()
    except (ExpressionError, DomainError) as error:
        raise Failure(str(error), EXIT_USAGE) from None

    given = ", ".join(f"{name}={number:g}" for name, number in values.items())
    shown = " ".join(expression.split())
    shown = shown if len(shown) <= 60 else shown[:57] + "..."
    print(f"{shown} = {result.data:.6g}" + (f"   ({given})" if given else ""))
    width = max((len(name) for name in inputs), default=0)
    for name, leaf in inputs.items():
        print(f"d/d{name:<{width}} = {leaf.grad:.6g}")

    if fmt == "text":
        listing = to_text(result)
        if out is None:
            print(listing)
        else:
            _write(Path(out), (listing + "\n").encode())
            print(f"wrote {out}")
        return 0
    path = Path(out if out is not None else f"graph.{fmt}")
    page = _player(result) if fmt == "html" else None
    _write(path, page if page is not None else _render(result, fmt, order=order))
    print(f"wrote {path}")
    return 0


def _render(root: Value, fmt: str, *, order: bool = False) -> bytes:
    """The drawing of `root` as svg or png bytes, or a Failure saying what is missing."""
    try:
        drawing = draw_dot(root, order=order, max_nodes=MAX_DRAWN)
    except ImportError as error:
        raise Failure(str(error), EXIT_MISSING) from None
    except ValueError:  # too big to draw
        size = len(topological_order(root))
        raise Failure(
            f"the graph has {size} values, more than a drawing shows ({MAX_DRAWN}); "
            "--format text lists any size",
            EXIT_USAGE,
        ) from None
    try:
        data: bytes = drawing.pipe(format=fmt)
    except RuntimeError as error:  # graphviz.ExecutableNotFound, with how to install dot
        raise Failure(str(error), EXIT_MISSING) from None
    return data


def _player(root: Value) -> bytes:
    """The page that plays backward() on `root`, or a Failure saying what is missing."""
    try:
        return animate_backward(root, max_nodes=MAX_DRAWN).html.encode("utf-8")
    except ImportError as error:
        raise Failure(str(error), EXIT_MISSING) from None
    except ValueError:  # too big to draw
        size = len(topological_order(root))
        raise Failure(
            f"the graph has {size} values, more than a drawing shows ({MAX_DRAWN}); "
            "--format text lists any size",
            EXIT_USAGE,
        ) from None
    except RuntimeError as error:  # graphviz.ExecutableNotFound, with how to install dot
        raise Failure(str(error), EXIT_MISSING) from None


def _write(path: Path, data: bytes) -> None:
    try:
        if path.parent != Path(""):
            path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
    except OSError as error:
        raise Failure(f"cannot write {path}: {error.strerror or error}", EXIT_MISSING) from None


# -- glassgrad demo -------------------------------------------------------------------------


def demo(out: Path, *, seed: int = 0, epochs: int = 40, compile: bool = False) -> int:
    """Train an MLP on two moons, print its accuracy and write the three pictures.

    With `compile`, `fit` runs the traced program of the model instead of the interpreter.
    """
    from nn import MLP, data, fit, losses, optim, plot

    _prepare_directory(out)
    start = time.perf_counter()
    X, y = data.make_moons(200, noise=0.1, seed=seed)
    (X_train, y_train), (X_val, y_val), _ = data.train_val_test_split(
        X, y, val=0.25, test=0.0, seed=seed
    )
    model = MLP(2, DEMO_LAYERS, seed=seed)
    print(
        f"Training MLP(2, {DEMO_LAYERS}) on two moons: {len(X_train)} training and "
        f"{len(X_val)} validation points, {epochs} epochs"
    )
    history = fit(
        model,
        X_train,
        y_train,
        losses.binary_cross_entropy_with_logits,
        optim.Adam(model.parameters(), lr=0.02),
        epochs=epochs,
        batch_size=32,
        val_data=(X_val, y_val),
        progress=True,
        seed=seed,
        compile=compile,
    )
    train_accuracy = history.train["accuracy"][-1]
    val_accuracy = history.val["accuracy"][-1]
    print(f"train accuracy {train_accuracy:.3f}, validation accuracy {val_accuracy:.3f}")

    out.mkdir(parents=True, exist_ok=True)
    written: list[str] = []
    problems: list[str] = []

    root = _one_neuron(model, X_val)
    try:
        _write(out / "graph.svg", _render(root, "svg", order=True))
        written.append("graph.svg")
    except Failure as failure:  # no graphviz or no dot: keep what can be had without
        problems.append(str(failure))
        try:
            _write(out / "graph.gv", draw_dot(root, order=True).source.encode())
            written.append("graph.gv (its DOT source)")
        except ImportError:
            _write(out / "graph.txt", (to_text(root) + "\n").encode())
            written.append("graph.txt (its listing)")

    try:
        figures: list[tuple[str, Any]] = [
            ("history.png", lambda: plot.history(history)),
            ("boundary.png", lambda: plot.decision_boundary(model, X, y)),
        ]
        for name, make in figures:
            make().savefig(out / name, dpi=110)
            written.append(name)
    except ImportError as error:
        problems.append(str(error))

    print(f"wrote {', '.join(written)} into {out}{os.sep}  ({time.perf_counter() - start:.1f} s)")
    for problem in problems:
        print(f"{PROGRAM} demo: error: {problem}", file=sys.stderr)
    return EXIT_MISSING if problems else 0


def _prepare_directory(out: Path) -> None:
    """Make sure the pictures can be written into `out`, before minutes of training."""
    if out.exists() and not out.is_dir():
        raise Failure(f"--out {out}: is a file, not a directory", EXIT_USAGE)
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise Failure(
            f"--out {out}: cannot create the directory ({error.strerror or error})", EXIT_USAGE
        ) from None
    if not os.access(out, os.W_OK | os.X_OK):
        raise Failure(f"--out {out}: the directory is not writable", EXIT_USAGE)


def _one_neuron(model: Any, X: Sequence[Sequence[float]]) -> Value:
    """A first-layer neuron on one validation point, after backward: small, and not dead.

    Its inputs are labelled x1 and x2; its weights and bias carry the names the model
    gave them (`layers.0.neurons.3.w.0`), so the drawing boxes them as that neuron.
    """
    neurons = model.layers[0].neurons
    with no_grad():
        chosen = next(((n, x) for x in X for n in neurons if n(x).data > 0.0), (neurons[0], X[0]))
    neuron, point = chosen
    model.zero_grad()
    out: Value = neuron([Value(point[0], label="x1"), Value(point[1], label="x2")])
    out.backward()
    return out
