"""Run independent trainings in parallel with joblib, or one after another without it.

`run_jobs(function, jobs, n_jobs)` is `[function(*job) for job in jobs]`, spread over
processes by joblib when `n_jobs` asks for it. Inside `joblib.parallel_backend("dask")`
the same call runs on a Dask cluster: that one line is the switch from local processes
to a cluster. Each job gets its seed from its arguments, so results do not depend on
where or in which order the jobs ran.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from typing import Any, TypeVar

__all__ = ["run_jobs"]

T = TypeVar("T")


def _joblib() -> Any:
    try:
        import joblib
    except ImportError:
        return None
    return joblib


def run_jobs(
    function: Callable[..., T], jobs: Iterable[Sequence[Any]], n_jobs: int | None = None
) -> list[T]:
    """`function(*job)` for every job, in order; in parallel as joblib's `n_jobs` says.

    `n_jobs=None` follows joblib's active backend (sequential unless a
    `joblib.parallel_backend(...)` block says otherwise), 1 is sequential, -1 uses every
    core, k uses k workers. Without joblib only None and 1 work.
    """
    if n_jobs is not None and (isinstance(n_jobs, bool) or not isinstance(n_jobs, int)):
        raise TypeError(f"n_jobs must be an int or None, got {n_jobs!r}")
    if n_jobs == 0:
        raise ValueError("n_jobs must not be 0: use 1 for sequential, -1 for every core")
    jobs = list(jobs)
    joblib = _joblib()
    if joblib is None:
        if n_jobs not in (None, 1):
            raise ImportError(
                f"n_jobs={n_jobs} needs joblib: pip install 'glassgrad[sklearn]' "
                "(or 'glassgrad[distributed]' for Dask)"
            )
        return [function(*job) for job in jobs]
    return list(joblib.Parallel(n_jobs=n_jobs)(joblib.delayed(function)(*job) for job in jobs))
