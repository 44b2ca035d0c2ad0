"""SGD and Adam follow torch.optim's trajectories step for step (float64)."""

from __future__ import annotations

import itertools
from collections.abc import Callable, Sequence
from types import ModuleType
from typing import Any

import pytest

from autograd import Value
from nn import MLP, optim

START = [0.5, -1.25, 2.0, 0.1, -0.3]
CENTRES = [1.0, 0.5, -1.0, 0.0, 2.0]
STEPS = 12


def objective(p: Sequence[Any], tanh: Callable[[Any], Any]) -> Any:
    """A bumpy function of five parameters, written so Values and tensors both run it."""
    total = 0.0
    for i, (x, c) in enumerate(zip(p, CENTRES)):
        total = total + (i + 1) * (x - c) * (x - c)
    for a, b in itertools.pairwise(p):
        total = total + tanh(a * b)
    return total


def our_trajectory(
    make: Callable[[list[Value]], optim.Optimizer], schedule: Callable[[int], float] | None
) -> list[list[float]]:
    params = [Value(x) for x in START]
    optimizer = make(params)
    path = []
    for step in range(STEPS):
        if schedule is not None:
            optimizer.lr = schedule(step)
        optimizer.zero_grad()
        objective(params, lambda v: v.tanh()).backward()
        optimizer.step()
        path.append([p.data for p in params])
    return path


def torch_trajectory(
    torch: ModuleType, make: Callable[[Any], Any], schedule: Callable[[int], float] | None
) -> list[list[float]]:
    params = torch.tensor(START, dtype=torch.float64, requires_grad=True)
    optimizer = make([params])
    path = []
    for step in range(STEPS):
        if schedule is not None:
            optimizer.param_groups[0]["lr"] = schedule(step)
        optimizer.zero_grad()
        objective(params, torch.tanh).backward()
        optimizer.step()
        path.append(params.detach().tolist())
    return path


SGD_CONFIGS = [
    {"lr": 0.05},
    {"lr": 0.05, "momentum": 0.9},
    {"lr": 0.05, "momentum": 0.9, "nesterov": True},
    {"lr": 0.05, "weight_decay": 0.1},
    {"lr": 0.02, "momentum": 0.5, "weight_decay": 0.3, "nesterov": True},
]

ADAM_CONFIGS = [
    {},
    {"lr": 0.1},
    {"lr": 0.05, "betas": (0.8, 0.99), "eps": 1e-6},
    {"lr": 0.05, "weight_decay": 0.1},
]


def step_decay(step: int) -> float:
    return 0.05 * 0.5 ** (step // 4)


@pytest.mark.parametrize("schedule", [None, step_decay], ids=["constant", "schedule"])
@pytest.mark.parametrize("config", SGD_CONFIGS, ids=str)
def test_sgd_matches_torch(
    torch: ModuleType, config: dict[str, Any], schedule: Callable[[int], float] | None
) -> None:
    ours = our_trajectory(lambda p: optim.SGD(p, **config), schedule)
    theirs = torch_trajectory(torch, lambda p: torch.optim.SGD(p, **config), schedule)
    for mine, reference in zip(ours, theirs):
        assert mine == pytest.approx(reference, rel=1e-12, abs=1e-14)


@pytest.mark.parametrize("schedule", [None, step_decay], ids=["constant", "schedule"])
@pytest.mark.parametrize("config", ADAM_CONFIGS, ids=str)
def test_adam_matches_torch(
    torch: ModuleType, config: dict[str, Any], schedule: Callable[[int], float] | None
) -> None:
    ours = our_trajectory(lambda p: optim.Adam(p, **config), schedule)
    theirs = torch_trajectory(torch, lambda p: torch.optim.Adam(p, **config), schedule)
    for mine, reference in zip(ours, theirs):
        assert mine == pytest.approx(reference, rel=1e-12, abs=1e-14)


def test_optimizers_move_downhill() -> None:
    for make in (lambda p: optim.SGD(p, lr=0.02), lambda p: optim.Adam(p, lr=0.05)):
        params = [Value(x) for x in START]
        optimizer = make(params)
        start = objective(params, lambda v: v.tanh()).data
        for _ in range(50):
            optimizer.zero_grad()
            objective(params, lambda v: v.tanh()).backward()
            optimizer.step()
        assert objective(params, lambda v: v.tanh()).data < start


def test_zero_grad_and_module_parameters() -> None:
    model = MLP(2, [3, 1], seed=0)
    optimizer = optim.SGD(model, lr=0.1)
    assert optimizer.params == model.parameters()
    out = model([1.0, 2.0])
    assert isinstance(out, Value)
    out.backward()
    optimizer.zero_grad()
    assert all(p.grad == 0.0 for p in model.parameters())


def test_repeated_parameters_are_updated_once() -> None:
    p = Value(1.0)
    optimizer = optim.SGD([p, p], lr=0.5)
    assert optimizer.params == [p]
    p.grad = 1.0
    optimizer.step()
    assert p.data == 0.5


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda: optim.SGD([Value(1.0)], lr=-0.1), "lr must be"),
        (lambda: optim.SGD([Value(1.0)], lr=float("nan")), "lr must be"),
        (lambda: optim.SGD([Value(1.0)], lr=0.1, momentum=-1), "momentum"),
        (lambda: optim.SGD([Value(1.0)], lr=0.1, nesterov=True), "Nesterov"),
        (lambda: optim.SGD([Value(1.0)], lr=0.1, weight_decay=-1), "weight_decay"),
        (lambda: optim.Adam([Value(1.0)], betas=(0.9, 1.0)), "beta2"),
        (lambda: optim.Adam([Value(1.0)], betas=(0.9,)), "betas"),
        (lambda: optim.Adam([Value(1.0)], eps=-1e-8), "eps"),
        (lambda: optim.Adam([]), "no parameters"),
    ],
)
def test_bad_hyperparameters_are_clear_errors(make: Callable[[], Any], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        make()


def test_bad_learning_rate_assignment_and_non_values() -> None:
    optimizer = optim.Adam([Value(1.0)])
    with pytest.raises(ValueError, match="lr must be"):
        optimizer.lr = -1.0
    assert optimizer.lr == 1e-3
    with pytest.raises(TypeError, match="needs Values"):
        optim.SGD([1.0], lr=0.1)  # type: ignore[list-item]
