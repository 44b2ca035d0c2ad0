"""Shared test set-up: hypothesis profiles and the rule for optional dependencies.

Profiles: `ci` (derandomized, so CI never flakes; chosen when CI=true), `dev` (quick, the
local default) and `thorough` (thousands of examples: `make test-thorough`).
HYPOTHESIS_PROFILE overrides the choice.
"""

from __future__ import annotations

import importlib
import os
import shutil
from collections.abc import Callable, Iterator
from types import ModuleType

import pytest
from hypothesis import HealthCheck, settings

from autograd import OPS, Value, define_op
from autograd.op import _BUILT_IN

IN_CI = os.environ.get("CI", "").lower() == "true"

BUILT_IN_OPS = list(_BUILT_IN)
"""The names of the built-in table, in order, without any op a test defines."""

settings.register_profile(
    "ci",
    derandomize=True,
    max_examples=150,
    deadline=None,
    print_blob=True,
    suppress_health_check=[HealthCheck.too_slow],
)
settings.register_profile("dev", max_examples=40, deadline=None)
settings.register_profile(
    "thorough", max_examples=3000, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci" if IN_CI else "dev"))


def require(module: str) -> ModuleType:
    """Import an optional test dependency: under CI=true a missing one fails the test,
    locally it skips with a reason (CI installs everything, so nothing is skipped there)."""
    if IN_CI:
        return importlib.import_module(module)
    return pytest.importorskip(module, reason=f"{module} is not installed (CI installs it)")


@pytest.fixture(autouse=True)
def restore_op_table() -> Iterator[None]:
    """Ops that a test defines with `define_op` leave the global table when it ends."""
    before = dict(OPS)
    yield
    OPS.clear()
    OPS.update(before)


@pytest.fixture
def user_ops() -> Callable[..., Callable[..., Value]]:
    """`define_op` for this test only: `restore_op_table` removes what it defines."""
    return define_op


@pytest.fixture
def torch() -> ModuleType:
    """PyTorch in float64, the independent oracle for gradients."""
    torch = require("torch")
    torch.set_default_dtype(torch.float64)
    return torch


@pytest.fixture
def dot_program() -> str:
    """Graphviz's `dot` (with the graphviz package). `make test` installs it or says what
    to install, so a missing one is a failure that says so, never a skip."""
    require("graphviz")
    path = shutil.which("dot")
    if path is None:
        pytest.fail(
            "Graphviz's dot is not on PATH: install it (Debian/Ubuntu: apt-get install "
            "graphviz; macOS: brew install graphviz), or run `make test`, which does as root"
        )
    return path
