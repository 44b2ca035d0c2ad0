"""The `glassgrad` command (also `python -m nn`): `demo` trains and draws, `graph` explains.

    glassgrad demo [--out DIR] [--seed S] [--epochs N]
    glassgrad graph "x*y + exp(x)" x=2 y=3 [--format svg|png|pdf|dot|html|text] [--out FILE]

`graph` writes the format that `--out`'s extension names (`OUTPUT_FORMATS`, a table a new
format is added to), or `--format`'s; when both are given they must agree.

Errors in what the user typed exit with status 2 and one line on stderr; a missing
optional dependency (graphviz, dot, matplotlib) exits with status 1 and says what to
install. Neither prints a traceback.
"""

from __future__ import annotations

import argparse
import contextlib
import difflib
import os
import subprocess
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
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
PNG_DPI = 150
"""The resolution of PNG drawings: readable when shown at their size, and printable."""


@dataclass(frozen=True)
class OutputFormat:
    """One thing `glassgrad graph` can write: its `--format` name, the file extensions
    that mean it, and how to make its bytes from the graph's root (`order`: number the
    nodes as backward visits them)."""

    name: str
    extensions: tuple[str, ...]
    render: Callable[[Value, bool], bytes]
    description: str


OUTPUT_FORMATS: dict[str, OutputFormat] = {
    fmt.name: fmt
    for fmt in (
        OutputFormat("svg", (".svg",), lambda r, o: _render(r, "svg", order=o), "SVG drawing"),
        OutputFormat("png", (".png",), lambda r, o: _render(r, "png", order=o), "PNG at 150 dpi"),
        OutputFormat("pdf", (".pdf",), lambda r, o: _render(r, "pdf", order=o), "PDF drawing"),
        OutputFormat(
            "dot", (".dot", ".gv"), lambda r, o: _dot_source(r, order=o), "Graphviz DOT source"
        ),
        OutputFormat(
            "html", (".html", ".htm"), lambda r, o: _player(r), "a page that plays backward()"
        ),
        OutputFormat(
            "text", (".txt",), lambda r, o: (to_text(r) + "\n").encode(), "to_text listing"
        ),
    )
}
"""`--format` name -> what it writes. Add an entry to offer a new format; `--out FILE`
picks it by FILE's extension."""


class Failure(Exception):
    """Stop with this one-line message and exit status."""

    def __init__(self, message: str, status: int) -> None:
        super().__init__(message)
        self.status = status


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line `argv` (default: `sys.argv[1:]`) and return the exit status."""
    parser = _parser()
    try:
        args, unknown = parser.parse_known_args(
            _protect_expressions(list(sys.argv[1:] if argv is None else argv))
        )
        if unknown:
            _unknown_arguments(parser, args.command, unknown)
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


def _unknown_arguments(parser: argparse.ArgumentParser, command: str, unknown: list[str]) -> None:
    """Exit 2 with one line naming the subcommand's help, and the closest option to a typo."""
    first = unknown[0]
    subparser = _subparsers(parser)[command]
    options = [
        o for action in subparser._actions for o in action.option_strings if o.startswith("--")
    ]
    name = first.split("=", 1)[0]
    if name.startswith("-"):
        close = difflib.get_close_matches(name, options, n=1, cutoff=0.75)
        hint = f" (did you mean {close[0]}?)" if close else ""
        what = f"unknown option {name}{hint}"
    else:
        what = f"unexpected argument {first!r}"
    subparser.error(what)


def _subparsers(parser: argparse.ArgumentParser) -> dict[str, argparse.ArgumentParser]:
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            return dict(action.choices)
    return {}


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
        typo = arg.startswith("--") and bool(difflib.get_close_matches(name, _GRAPH_OPTIONS))
        is_option = arg == "-h" or (arg.startswith("--") and bool(matches)) or typo
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
        choices=tuple(OUTPUT_FORMATS),
        help="what to write: "
        + ", ".join(f"{f.name} ({f.description})" for f in OUTPUT_FORMATS.values())
        + "; default: the extension of --out, else svg",
    )
    graph_parser.add_argument(
        "--out",
        metavar="FILE",
        help="where to write; its extension ("
        + " ".join(e for f in OUTPUT_FORMATS.values() for e in f.extensions)
        + ") picks the format (default: graph.FORMAT; text goes to stdout)",
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

    chosen = output_format(fmt, out)
    if chosen.name == "text" and out is None:
        print(to_text(result))
        return 0
    path = Path(out if out is not None else f"graph{chosen.extensions[0]}")
    _write(path, chosen.render(result, order))
    print(f"wrote {path}")
    return 0


def output_format(fmt: str | None, out: str | None) -> OutputFormat:
    """The format to write: `--out`'s extension and `--format` agree, or one of them
    decides; a contradiction, or an extension that names no format, is a usage error."""
    by_extension = {e: f for f in OUTPUT_FORMATS.values() for e in f.extensions}
    known = " ".join(by_extension)
    suffix = Path(out).suffix.lower() if out is not None else ""
    implied = by_extension.get(suffix)
    if fmt is not None:
        chosen = OUTPUT_FORMATS[fmt]
        if implied is not None and implied is not chosen:
            raise Failure(
                f"--format {fmt} contradicts --out {out} (a {suffix} file is "
                f"{implied.name}): drop --format, or give the file a {chosen.extensions[0]} name",
                EXIT_USAGE,
            )
        return chosen
    if out is None:
        return OUTPUT_FORMATS["svg"]
    if implied is None:
        raise Failure(
            f"cannot tell the format of --out {out} from its extension: name it {known}, "
            "or give --format",
            EXIT_USAGE,
        )
    return implied


@contextlib.contextmanager
def _drawing_failures(root: Value) -> Iterator[None]:
    """Turn what stops a drawing into one Failure: the graphviz package missing, or too big."""
    try:
        yield
    except ImportError as error:
        raise Failure(str(error), EXIT_MISSING) from None
    except ValueError:  # too big to draw
        size = len(topological_order(root))
        raise Failure(
            f"the graph has {size} values, more than a drawing shows ({MAX_DRAWN}); "
            "--format text lists any size",
            EXIT_USAGE,
        ) from None


def _drawing(root: Value, *, order: bool, title: str | None = None) -> Any:
    """`draw_dot(root)`, or a Failure: the graphviz package missing, or too big to draw."""
    with _drawing_failures(root):
        return draw_dot(root, order=order, max_nodes=MAX_DRAWN, title=title)


def _render(root: Value, fmt: str, *, order: bool = False, title: str | None = None) -> bytes:
    """The drawing of `root` as svg, png or pdf bytes, or a Failure saying what went wrong."""
    drawing = _drawing(root, order=order, title=title)
    if fmt == "png":
        drawing.graph_attr["dpi"] = str(PNG_DPI)
    try:
        data: bytes = drawing.pipe(format=fmt, quiet=True)
    except RuntimeError as error:  # graphviz.ExecutableNotFound, with how to install dot
        raise Failure(str(error), EXIT_MISSING) from None
    except subprocess.CalledProcessError as error:  # dot itself failed (or crashed)
        raise Failure(_dot_failed(error), EXIT_MISSING) from None
    return data


def _player(root: Value) -> bytes:
    """The page that plays backward() on `root`, or a Failure saying what is missing."""
    with _drawing_failures(root):
        try:
            return animate_backward(root, max_nodes=MAX_DRAWN).html.encode("utf-8")
        except RuntimeError as error:  # graphviz.ExecutableNotFound, with how to install dot
            raise Failure(str(error), EXIT_MISSING) from None


def _dot_failed(error: subprocess.CalledProcessError) -> str:
    """One line for a `dot` that failed: how it ended and the first line it said."""
    code = error.returncode
    how = f"was killed by signal {-code}" if code < 0 else f"exited with status {code}"
    said = error.stderr.decode(errors="replace") if isinstance(error.stderr, bytes) else ""
    first = next((line.strip() for line in said.splitlines() if line.strip()), "")
    detail = f" ({first[:150]})" if first else ""
    return (
        f"Graphviz's dot {how} while drawing{detail}; try --format text, or --format dot "
        "to keep the DOT source"
    )


def _dot_source(root: Value, *, order: bool = False) -> bytes:
    """The drawing's DOT source: needs the graphviz package, not the dot program."""
    source: str = _drawing(root, order=order).source
    return source.encode()


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
    if history.interrupted:
        raise KeyboardInterrupt  # stop here: no drawings of a half-trained model
    train_accuracy = history.train["accuracy"][-1]
    val_accuracy = history.val["accuracy"][-1]
    print(f"train accuracy {train_accuracy:.3f}, validation accuracy {val_accuracy:.3f}")

    out.mkdir(parents=True, exist_ok=True)
    written: list[str] = []
    problems: list[str] = []

    root, title = _one_neuron(model, X_val)
    try:
        _write(out / "graph.svg", _render(root, "svg", order=True, title=title))
        written.append("graph.svg")
    except Failure as failure:  # no graphviz or no dot: keep what can be had without
        problems.append(str(failure))
        try:
            _write(out / "graph.gv", draw_dot(root, order=True, title=title).source.encode())
            written.append("graph.gv (its DOT source)")
        except ImportError:
            _write(out / "graph.txt", (to_text(root) + "\n").encode())
            written.append("graph.txt (its listing)")

    try:
        figures: list[tuple[str, Any]] = [
            ("history.png", lambda: plot.history(history)),
            (
                "boundary.png",
                lambda: plot.decision_boundary(model, X_train, y_train, val=(X_val, y_val)),
            ),
        ]
        for name, make in figures:
            make().savefig(out / name, dpi=PNG_DPI)
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


def _one_neuron(model: Any, X: Sequence[Sequence[float]]) -> tuple[Value, str]:
    """A first-layer neuron on one validation point, after backward (small, and not
    dead), and a title that says which neuron, which point and what the grads are.

    Its inputs are labelled x1 and x2; its weights and bias carry the names the model
    gave them (`layers.0.neurons.3.w.0`), so the drawing boxes them as that neuron.
    """
    neurons = model.layers[0].neurons
    with no_grad():
        chosen = next(
            ((k, i, x) for i, x in enumerate(X) for k, n in enumerate(neurons) if n(x).data > 0.0),
            (0, 0, X[0]),
        )
    index, point_index, point = chosen
    model.zero_grad()
    out: Value = neurons[index]([Value(point[0], label="x1"), Value(point[1], label="x2")])
    out.backward()
    title = (
        f"Neuron layers.0.neurons.{index} of the trained MLP(2, {DEMO_LAYERS}) on validation "
        f"point #{point_index}: x1={point[0]:.4g}, x2={point[1]:.4g}\n"
        "grad = d(this neuron's output)/d(value): backward() from the neuron's output, "
        "not from the loss"
    )
    return out, title
