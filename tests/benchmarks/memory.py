"""Workload 5: the memory of workload 3's graph, each measurement in a fresh process.

`python -m tests.benchmarks.memory ENGINE VARIANT WIDTH MODE` prints one JSON object:

- mode `tracemalloc`: the bytes still allocated once the inputs and the forward graph of
  the wide sum exist (tracemalloc started before the inputs were made; the cyclic garbage
  collector run before reading), the number of distinct nodes reachable from the output
  (inputs included) and the number of product terms;
- mode `rss`: the peak resident set size (VmHWM on Linux, else `ru_maxrss`) of a process
  that builds the same graph and runs backward through it, and the peak before it started.
  micrograd's recursive walk needs a raised recursion limit here, which this process sets.

A process of its own per measurement keeps one engine's peak out of another's.
"""

from __future__ import annotations

import gc
import json
import resource
import subprocess
import sys
import tracemalloc
from pathlib import Path
from typing import Any

from tests.benchmarks.workloads import (
    GLASSGRAD,
    RAISED_RECURSION_LIMIT,
    micrograd_value,
    wide_sum,
    wide_sum_inputs,
)

ROOT = Path(__file__).resolve().parents[2]


def _value_class(engine: str) -> Any:
    if engine == GLASSGRAD:
        from autograd import Value

        return Value
    return micrograd_value()


def _graph(engine: str, variant: str, width: int) -> Any:
    """Only the output is returned: the input lists die here, the graph holds the inputs."""
    a, b = wide_sum_inputs(_value_class(engine), width)
    return wide_sum(a, b, variant)


def count_nodes(output: Any) -> int:
    """Distinct nodes reachable from `output` (either engine), without recursion."""
    seen = {id(output)}
    stack = [output]
    while stack:
        node = stack.pop()
        parents = node._parents if hasattr(node, "_parents") else node._prev
        for parent in parents:
            if id(parent) not in seen:
                seen.add(id(parent))
                stack.append(parent)
    return len(seen)


def traced_bytes(engine: str, variant: str, width: int) -> dict[str, float]:
    _value_class(engine)  # imports happen before the tracing starts
    gc.collect()
    tracemalloc.start()
    before = tracemalloc.get_traced_memory()[0]
    output = _graph(engine, variant, width)
    gc.collect()
    retained = tracemalloc.get_traced_memory()[0] - before
    tracemalloc.stop()
    return {"retained": retained, "nodes": count_nodes(output), "terms": width}


def peak_rss_kib() -> int:
    """This process's peak resident set size in KiB.

    Linux's VmHWM is this process image's own peak; `ru_maxrss` would also count the
    parent's resident set at fork time (it survives exec), mixing the bench into it.
    """
    try:
        with open("/proc/self/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1])
    except OSError:
        pass
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak // 1024 if sys.platform == "darwin" else peak  # macOS counts bytes


def peak_rss(engine: str, variant: str, width: int) -> dict[str, float]:
    _value_class(engine)
    gc.collect()
    baseline = peak_rss_kib()
    if engine != GLASSGRAD:
        sys.setrecursionlimit(RAISED_RECURSION_LIMIT)
    output = _graph(engine, variant, width)
    output.backward()
    return {"peak_kib": peak_rss_kib(), "baseline_kib": baseline}


def measure_in_subprocess(engine: str, variant: str, width: int, mode: str) -> dict[str, Any]:
    """Run one measurement in a fresh interpreter; returns its JSON, or {'error': ...}."""
    command = [sys.executable, "-m", "tests.benchmarks.memory", engine, variant, str(width), mode]
    done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        last = (done.stderr.strip().splitlines() or ["no output"])[-1]
        return {"error": last}
    result: dict[str, Any] = json.loads(done.stdout)
    return result


def main(argv: list[str]) -> None:
    engine, variant, width, mode = argv
    measure = traced_bytes if mode == "tracemalloc" else peak_rss
    print(json.dumps(measure(engine, variant, int(width))))


if __name__ == "__main__":
    main(sys.argv[1:])
