"""How many random examples hypothesis needs to find a planted bug in a user's op.

Three ops a user might add (softplus, a leaky relu, hypot), each with one wrong derivative
rule, tested the way the README tests an op: `gradcheck` on `expressions(ops=[op, ...])`.
For each op the property test runs under many seeds, without shrinking, and the number of
examples run up to and including the first failing one is recorded; the median is printed.

    python -m tests.benchmarks.examples_to_bug [--seeds 25]

It runs on today's `autograd.testing` and on older versions without `arity=` or `require=`
(the ops are then defined as a user would have had to: hypot without an arity), so the
same script measures before and after: `PYTHONPATH=<old checkout> python -m ...`.
Not part of `make bench`: it counts examples, it does not time anything.
"""

from __future__ import annotations

import argparse
import inspect
import math
import statistics
from typing import Any

from hypothesis import Phase, given, seed, settings

from autograd import OPS, define_op
from autograd.testing import GradcheckError, gradcheck
from autograd.testing.strategies import expressions

HAS_ARITY = "arity" in inspect.signature(define_op).parameters
OTHER_OPS = ["+", "*", "tanh", "exp"]
MAX_EXAMPLES = 2000


def _define(name: str, forward: Any, backward: Any, **options: Any) -> None:
    if not HAS_ARITY:
        options.pop("arity", None)
    OPS.pop(name, None)
    define_op(name, forward, backward, **options)


def define_buggy_ops() -> list[str]:
    """The three ops, each with a planted bug in its rule."""
    sigmoid = OPS["sigmoid"].apply
    # softplus' = sigmoid, but the rule forgets the incoming gradient g.
    _define(
        "softplus",
        lambda x: math.log1p(math.exp(x)),
        lambda g, x: (sigmoid(x),),
        smooth=lambda x: x < 30.0,
    )
    # leaky relu with slope 0.01, but the rule uses 0.1 left of the kink.
    _define(
        "leaky",
        lambda x: x if x > 0.0 else 0.01 * x,
        lambda g, x: (g * (1.0 if x > 0.0 else 0.1),),
        smooth=lambda x: abs(x) > 1e-3,
    )
    # hypot(x, y), but the second gradient was copied from the first: g * x / out.
    hypot_smooth: Any = (
        (lambda x, y: math.hypot(x, y) > 0.1) if HAS_ARITY else (lambda *xs: math.hypot(*xs) > 0.1)
    )
    _define(
        "hypot",
        math.hypot,
        lambda g, out, *xs: tuple(g * xs[0] / out for _ in xs),
        uses_output=True,
        arity=2,
        smooth=hypot_smooth,
    )
    return ["softplus", "leaky", "hypot"]


def examples_until_failure(op: str, run_seed: int) -> int | None:
    """Examples run until the first failure of the property test (None: not found)."""
    count = 0

    @seed(run_seed)
    @settings(max_examples=MAX_EXAMPLES, database=None, deadline=None, phases=[Phase.generate])
    @given(expressions(n_inputs=2, max_depth=3, ops=[op, *OTHER_OPS]))
    def test_op(expression: Any) -> None:
        nonlocal count
        count += 1
        assert gradcheck(*expression)

    try:
        test_op()
    except GradcheckError:
        return count
    return None


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=25)
    seeds = parser.parse_args().seeds
    print(f"arity= available: {HAS_ARITY}; ops besides the one tested: {OTHER_OPS}")
    for op in define_buggy_ops():
        counts = [examples_until_failure(op, s) for s in range(seeds)]
        found = [c for c in counts if c is not None]
        median = statistics.median(found) if found else float("nan")
        print(
            f"{op:<9} median {median:>6g} examples to the bug  (found in {len(found)}/{seeds} "
            f"runs of up to {MAX_EXAMPLES}; min {min(found, default=0)}, "
            f"max {max(found, default=0)})"
        )


if __name__ == "__main__":
    main()
