"""Timing: every contender of a workload runs once per round, in a rotating order, so
whatever else loads the machine during a run weighs on all of them alike; we keep medians.
Times are CPU seconds of this process (`time.process_time`: user + system), which on a
shared machine, unlike wall-clock time, leave out the moments another process has the core.

A contender's `prepare()` builds its data and model (untimed) and returns the steps to
time, one callable per step (an SGD step, or one forward+backward). With `gc_off` the
cyclic garbage collector is disabled around each step and run between steps, untimed:
micrograd without the cost of its reference cycles. Only the benchmark toggles the
collector, and only for micrograd; glassgrad always runs as a user would run it.
"""

from __future__ import annotations

import gc
import statistics
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

Step = Callable[[], object]


@dataclass(frozen=True)
class Contender:
    """One engine (or one way of running it) on one workload."""

    prepare: Callable[[], Sequence[Step]]
    gc_off: bool = False
    recursion_limit: int | None = None
    """Raise `sys.setrecursionlimit` to this during the steps (micrograd's deep rows)."""


@dataclass
class Outcome:
    """Seconds per repeat, or the error that stopped the contender."""

    times: list[float] = field(default_factory=list)
    error: str | None = None

    @property
    def median(self) -> float | None:
        return statistics.median(self.times) if self.times and self.error is None else None


def time_once(contender: Contender) -> float:
    """Prepare, then run and time the steps; returns the total of the steps' times."""
    steps = contender.prepare()
    gc.collect()
    gc_was_enabled = gc.isenabled()
    limit = sys.getrecursionlimit()
    if contender.recursion_limit is not None:
        sys.setrecursionlimit(contender.recursion_limit)
    total = 0.0
    try:
        for step in steps:
            if contender.gc_off:
                gc.disable()
            try:
                start = time.process_time()
                step()
                total += time.process_time() - start
            finally:
                if contender.gc_off and gc_was_enabled:
                    gc.enable()
                if contender.gc_off:
                    gc.collect()  # the cycles the step left behind, outside the timing
    finally:
        sys.setrecursionlimit(limit)
        del steps
        gc.collect()
    return total


def alternate(
    contenders: dict[str, Contender],
    repeat: int,
    progress: Callable[[str], None] = lambda line: None,
) -> dict[str, Outcome]:
    """Run each contender `repeat` times, all of them once per round, rotating the order."""
    names = list(contenders)
    outcomes = {name: Outcome() for name in names}
    for round_index in range(repeat):
        shift = round_index % len(names)
        for name in names[shift:] + names[:shift]:
            outcome = outcomes[name]
            if outcome.error is not None:
                continue  # a deterministic failure: once is enough
            try:
                seconds = time_once(contenders[name])
            except RecursionError:
                outcome.error = "RecursionError"
                progress(f"  round {round_index + 1}/{repeat} {name}: RecursionError")
                continue
            outcome.times.append(seconds)
            progress(f"  round {round_index + 1}/{repeat} {name}: {seconds:.4f} s")
    return outcomes


def profile(contender: Contender, top: int = 15) -> str:
    """cProfile's `top` entries by own time over one run of the contender's steps."""
    import cProfile
    import io
    import pstats

    steps = contender.prepare()
    profiler = cProfile.Profile()
    profiler.enable()
    for step in steps:
        step()
    profiler.disable()
    report = io.StringIO()
    pstats.Stats(profiler, stream=report).sort_stats("tottime").print_stats(top)
    return report.getvalue()
