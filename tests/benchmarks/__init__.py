"""glassgrad against micrograd 0.1.0, side by side: `make bench` or `python -m tests.benchmarks`.

| module | its job |
|---|---|
| `workloads.py` | the five workloads, as user code for each engine, with their data and models |
| `micrograd_ext.py` | exp and log for micrograd's Value (it has neither), in its closure style |
| `measure.py` | timing: engines alternate within one run, medians over repeats |
| `memory.py` | bytes per node (tracemalloc) and peak RSS, one fresh subprocess each |
| `report.py` | the table of medians, ratios and targets, and its notes |

Not run by `make test`; `tests/test_benchmarks_smoke.py` checks (in seconds) that the
workloads compute the same numbers on both engines.
"""
