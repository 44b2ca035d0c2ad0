"""`python -m tests.benchmarks [--quick] [--repeat N] [--digits N] [--only 1,2,...]`.

Runs the workloads on glassgrad and micrograd 0.1.0, alternating, and prints the table of
medians, ratios and targets (Markdown, on stdout); progress goes to stderr.
`--profile W` instead prints cProfile's top entries for glassgrad on workload W (1-4).
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable

from tests.benchmarks import compiled
from tests.benchmarks import workloads as w
from tests.benchmarks.measure import Contender, alternate, profile
from tests.benchmarks.memory import measure_in_subprocess
from tests.benchmarks.report import Cell, Row, machine, table

CHAIN = 10**5
LONG_CHAIN = 10**6
WIDTH = 10**5
DIGITS_EPOCH = 500
RAISED = "micrograd raised"
RAISED_NO_GC = "micrograd raised no-gc"


def parse(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m tests.benchmarks", description=__doc__)
    parser.add_argument("--repeat", type=int, default=3, help="rounds per workload (default 3)")
    parser.add_argument(
        "--quick", action="store_true", help="one round, 30 digits: a check that it all runs"
    )
    parser.add_argument(
        "--digits",
        type=int,
        default=100,
        help="digits both engines train on in workload 4 (default 100 of the epoch's 500)",
    )
    parser.add_argument(
        "--only",
        default="1,2,3,4,5,6,7,8,9",
        help="comma-separated workloads to run (default all)",
    )
    parser.add_argument(
        "--profile",
        choices=["1", "2", "3", "4"],
        help="print cProfile's top entries for glassgrad on this workload, and nothing else",
    )
    args = parser.parse_args(argv)
    if args.quick:
        args.repeat, args.digits = 1, 30
    args.only = {part.strip() for part in args.only.split(",")}
    return args


def moons(repeat: int, progress: Callable[[str], None]) -> list[Row]:
    progress("workload 1: moons")
    out = alternate(w.moons_contenders(), repeat, progress)
    return [
        Row(
            "1",
            "moons: MLP(2, [16, 16, 1]), 100 points, 10 full-batch SGD steps",
            "s",
            Cell.of(out[w.GLASSGRAD]),
            Cell.of(out[w.MICROGRAD]),
            Cell.of(out[w.MICROGRAD_NO_GC]),
            kind="speed",
        )
    ]


def chains(repeat: int, progress: Callable[[str], None]) -> list[Row]:
    progress(f"workload 2: chain of {CHAIN}")
    engines = [w.GLASSGRAD, w.MICROGRAD, w.MICROGRAD_NO_GC, RAISED, RAISED_NO_GC]
    out = alternate(w.chain_contenders(CHAIN, engines), repeat, progress)
    progress(f"workload 2: chain of {LONG_CHAIN}, glassgrad alone")
    limit = sys.getrecursionlimit()
    long = alternate(w.chain_contenders(LONG_CHAIN, [w.GLASSGRAD]), 1, progress)
    glassgrad = Cell.of(out[w.GLASSGRAD])
    return [
        Row(
            "2",
            "chain x = x * 1.0001 + 0.001, 10**5 links, forward+backward",
            "s",
            glassgrad,
            Cell.of(out[w.MICROGRAD]),
            Cell.of(out[w.MICROGRAD_NO_GC]),
        ),
        Row(
            "2r",
            "the same, micrograd's recursion limit raised to 10**6 by the bench",
            "s",
            glassgrad,
            Cell.of(out[RAISED]),
            Cell.of(out[RAISED_NO_GC]),
        ),
        Row(
            "2m",
            f"chain of 10**6 links, glassgrad alone (one run), recursion limit {limit}",
            "s",
            Cell.of(long[w.GLASSGRAD]),
            kind="completes",
        ),
    ]


def wide_sums(repeat: int, progress: Callable[[str], None]) -> list[Row]:
    progress(f"workload 3: sum of {WIDTH} products")
    contenders: dict[str, Contender] = {}
    for variant in w.WIDE_SUM_VARIANTS:
        contenders[f"glassgrad {variant}"] = w.wide_sum_contenders(WIDTH, [w.GLASSGRAD], variant)[
            w.GLASSGRAD
        ]
    engines = [w.MICROGRAD, w.MICROGRAD_NO_GC, RAISED, RAISED_NO_GC]
    contenders.update(w.wide_sum_contenders(WIDTH, engines))
    out = alternate(contenders, repeat, progress)
    raised, raised_no_gc = Cell.of(out[RAISED]), Cell.of(out[RAISED_NO_GC])
    return [
        Row(
            "3",
            "sum(a * b) of 10**5 products (builtin sum), forward+backward",
            "s",
            Cell.of(out["glassgrad plain"]),
            Cell.of(out[w.MICROGRAD]),
            Cell.of(out[w.MICROGRAD_NO_GC]),
        ),
        Row(
            "3r",
            "the same, micrograd's recursion limit raised to 10**6 by the bench",
            "s",
            Cell.of(out["glassgrad plain"]),
            raised,
            raised_no_gc,
        ),
        Row(
            "3s",
            "glassgrad sum_values(a * b) (micrograd: its sum, row 3r)",
            "s",
            Cell.of(out["glassgrad sum_values"]),
            raised,
            raised_no_gc,
        ),
        Row(
            "3d",
            "glassgrad dot(a, b) (micrograd: its sum, row 3r)",
            "s",
            Cell.of(out["glassgrad dot"]),
            raised,
            raised_no_gc,
        ),
    ]


def digits(repeat: int, n_examples: int, progress: Callable[[str], None]) -> list[Row]:
    progress(f"workload 4: digits, {n_examples} examples")
    out = alternate(w.digits_contenders(n_examples), repeat, progress)
    progress(f"workload 4: digits, the whole epoch of {DIGITS_EPOCH}, glassgrad alone")
    epoch = alternate(w.digits_glassgrad_only(DIGITS_EPOCH), repeat, progress)
    per_example = 1e3 / n_examples
    return [
        Row(
            "4",
            f"digits: MLP(64, [32, 10]), softmax CE, batches of {w.DIGITS_BATCH}, "
            f"first {n_examples} examples, per example",
            "ms/example",
            Cell.of(out[w.GLASSGRAD], per_example),
            Cell.of(out[w.MICROGRAD], per_example),
            Cell.of(out[w.MICROGRAD_NO_GC], per_example),
            kind="speed",
        ),
        Row(
            "4e",
            f"the whole epoch of {DIGITS_EPOCH} digits, glassgrad alone, per example",
            "ms/example",
            Cell.of(epoch[w.GLASSGRAD], 1e3 / DIGITS_EPOCH),
        ),
    ]


def memory(progress: Callable[[str], None]) -> list[Row]:
    progress(f"workload 5: memory of workload 3, {WIDTH} products, one process each")

    def probe(engine: str, variant: str, mode: str) -> dict[str, float]:
        result = measure_in_subprocess(engine, variant, WIDTH, mode)
        progress(f"  {engine} {variant} {mode}: {result}")
        return result

    def cell(result: dict[str, float], number: Callable[[dict[str, float]], float]) -> Cell:
        if "error" in result:
            return Cell(error=str(result["error"]))
        return Cell(number=number(result))

    traced = {
        variant: probe(w.GLASSGRAD, variant, "tracemalloc") for variant in w.WIDE_SUM_VARIANTS
    }
    theirs = probe(w.MICROGRAD, "plain", "tracemalloc")
    rss_ours = {variant: probe(w.GLASSGRAD, variant, "rss") for variant in ("plain", "dot")}
    rss_theirs = probe(w.MICROGRAD, "plain", "rss")

    def per_node(r: dict[str, float]) -> float:
        return r["retained"] / r["nodes"]

    def per_term(r: dict[str, float]) -> float:
        return r["retained"] / r["terms"]

    def peak_mb(r: dict[str, float]) -> float:
        return r["peak_kib"] / 1024

    rows = [
        Row(
            "5",
            "bytes per node, graph of row 3 (inputs included)",
            "B",
            cell(traced["plain"], per_node),
            cell(theirs, per_node),
            kind="memory",
        ),
        Row(
            "5t",
            "bytes per product term, same graph",
            "B",
            cell(traced["plain"], per_term),
            cell(theirs, per_term),
        ),
    ]
    for variant in ("sum_values", "dot"):
        rows.append(
            Row(
                f"5{variant[0]}",
                f"bytes per product term, glassgrad {variant} (micrograd: its sum)",
                "B",
                cell(traced[variant], per_term),
                cell(theirs, per_term),
            )
        )
    for variant, rss in rss_ours.items():
        rows.append(
            Row(
                f"5m{'' if variant == 'plain' else 'd'}",
                f"peak RSS, forward+backward of row 3, glassgrad {variant} (micrograd: its sum)",
                "MB",
                cell(rss, peak_mb),
                cell(rss_theirs, peak_mb),
            )
        )
    return rows


NOTES = """\
Notes
- Times are CPU seconds of the bench process (time.process_time), medians over {repeat}
  round(s); in each round every engine runs once, in a rotating order, so load on the
  machine weighs on all alike. Ratios are glassgrad's median over micrograd's: below 1
  glassgrad is faster ("(23x)": 23 times faster).
- micrograd: micrograd 0.1.0 from PyPI as published (garbage collector on). micrograd
  no-gc: the bench disables the collector around each timed step and collects between
  steps, untimed, so its reference cycles cost nothing: the engines alone. glassgrad runs
  with the collector on, as a user runs it; the library pauses it only while `trace`
  compiles a program (rows 6 and 7).
- Both engines start every model from the same weights and run the same user code: row 1
  is micrograd's demo loss, mean(relu(1 - y * score)) + 1e-4 * sum(p * p), with `sum`,
  `relu` and `*`; SGD lr 0.5. Row 4 trains on the first {digits} digits for both engines
  (micrograd needs minutes for the whole epoch; time per example is the comparable unit),
  SGD lr 0.1; glassgrad uses nn.losses.cross_entropy, micrograd the same log-sum-exp as
  user code on exp and log that the bench adds to its Value (micrograd_ext.py, closure style).
- Rows 2 and 3: micrograd's recursive topological sort raises RecursionError at Python's
  default recursion limit; rows 2r and 3r raise the limit (in the bench, for micrograd only)
  to compare times. Row 2m: 10**6 links at the default limit.
- Row 5: tracemalloc, in a fresh process per engine: bytes still allocated once the 2 * 10**5
  inputs and the forward graph exist (collector run first), divided by the nodes reachable
  from the output (inputs included: 4 * 10**5 + 1 for the builtin sum) or by the 10**5
  product terms. Peak RSS (VmHWM, fresh process, includes the interpreter's own ~16 MB):
  forward and backward; micrograd with its recursion limit raised so backward completes.
"""


TRACE_NOTES = """
- Row 6: ten SGD steps per round, reported per step, after 8 untimed steps for every
  contender (a traced program's first calls run before CPython has specialized its
  instructions: the steady step is what training pays); the program is traced before the
  timing (see row 7 for a case where tracing is timed). Hand-written floats: the same
  network and loss on lists of floats, the backward pass derived by hand.
- Row 7: a fresh model per round, so tracing and compiling are inside the timing.
- Row 8: the same model code (tests/benchmarks/compiled.py) runs on both Value classes.
- Row 9: the floor is one slots object per node, one float operation forward and one
  multiply-add backward: what any per-node Python engine must pay."""


def main(argv: list[str] | None = None) -> int:
    args = parse(argv)

    def progress(line: str) -> None:
        print(line, file=sys.stderr, flush=True)

    if args.profile:
        glassgrad = {
            "1": lambda: w.moons_contenders(),
            "2": lambda: w.chain_contenders(CHAIN, [w.GLASSGRAD]),
            "3": lambda: w.wide_sum_contenders(WIDTH, [w.GLASSGRAD]),
            "4": lambda: w.digits_contenders(args.digits),
        }[args.profile]()[w.GLASSGRAD]
        print(profile(glassgrad))
        return 0

    started = time.perf_counter()
    w.micrograd_value()  # fail early, with the install hint, when micrograd is missing
    rows: list[Row] = []
    if "1" in args.only:
        rows += moons(args.repeat, progress)
    if "2" in args.only:
        rows += chains(args.repeat, progress)
    if "3" in args.only:
        rows += wide_sums(args.repeat, progress)
    if "4" in args.only:
        rows += digits(args.repeat, args.digits, progress)
    if "5" in args.only:
        rows += memory(progress)
    later = {"6", "7", "8", "9"} & args.only
    trace_table = compiled.targets(args.repeat, progress, later) if later else ""
    sizes = compiled.code_sizes() if {"6", "7"} & args.only else []
    minutes = (time.perf_counter() - started) / 60
    print(f"glassgrad vs micrograd: {machine()}\n")
    if rows:
        print(table(rows))
        print()
        print(NOTES.format(repeat=args.repeat, digits=args.digits), end="")
    if trace_table:
        print("\ntrace and the interpreter against code written without a library:\n")
        print(trace_table)
        print(TRACE_NOTES)
    for workload, lines, seconds in sizes:
        print(
            f"- Generated code, {workload}: {lines:,} lines, traced and compiled in {seconds:.2f} s"
        )
    print(f"- The whole run took {minutes:.1f} minutes.")
    failed = [row.key for row in rows if row.result() == "FAIL"]
    if failed:
        print(f"Targets missed: rows {', '.join(failed)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
