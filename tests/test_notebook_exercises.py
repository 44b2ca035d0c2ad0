"""Notebook exercises: every blank has a collapsed solution and a self-check that catches it.

CI runs the solved form (the blank cells are tagged `skip-execution`). Here each blank is run in
place of its solution, and its self-check must then fail: a check that passes on an unfilled
blank checks nothing.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import pytest

NOTEBOOKS = sorted(Path(__file__).parent.parent.glob("notebooks/*.ipynb"))


def _cells(path: Path) -> list[dict[str, Any]]:
    cells: list[dict[str, Any]] = json.loads(path.read_text(encoding="utf-8"))["cells"]
    return cells


def _tags(cell: dict[str, Any]) -> list[str]:
    tags: list[str] = cell.get("metadata", {}).get("tags", [])
    return tags


def _source(cell: dict[str, Any]) -> str:
    """The cell's code without IPython magics, with the test suite's parameter sizes."""
    source = cell["source"]
    text = source if isinstance(source, str) else "".join(source)
    text = "\n".join(line for line in text.splitlines() if not line.startswith(("%", "!")))
    mock = cell.get("metadata", {}).get("nbmake", {}).get("mock", {})
    return text + "".join(f"\n{name} = {value!r}" for name, value in mock.items())


def _exercises(path: Path) -> list[int]:
    return [i for i, cell in enumerate(_cells(path)) if "exercise" in _tags(cell)]


WITH_EXERCISES = [path for path in NOTEBOOKS if _exercises(path)]


def test_some_notebooks_have_exercises() -> None:
    assert any(path.name.startswith("01b_") for path in WITH_EXERCISES)


@pytest.mark.parametrize("path", WITH_EXERCISES, ids=lambda path: path.stem)
def test_every_blank_is_skipped_in_ci_and_followed_by_a_solution_and_a_check(path: Path) -> None:
    cells = _cells(path)
    for index in _exercises(path):
        blank, solution, check = cells[index : index + 3]
        assert "skip-execution" in _tags(blank), f"cell {index} must not run in CI"
        assert "..." in _source(blank), f"cell {index} has no blank to fill"
        assert "solution" in _tags(solution), f"cell {index + 1} should be the solution"
        assert solution["metadata"].get("jupyter", {}).get("source_hidden") is True
        assert "self-check" in _tags(check), f"cell {index + 2} should be the self-check"
        assert "assert" in _source(check)


def _run(source: str, namespace: dict[str, Any]) -> None:
    exec(compile(source, "<cell>", "exec"), namespace)
    pyplot = sys.modules.get("matplotlib.pyplot")
    if pyplot is not None:  # a notebook shows each figure once; here they would pile up
        pyplot.close("all")


@pytest.mark.parametrize("path", WITH_EXERCISES, ids=lambda path: path.stem)
def test_each_self_check_passes_when_solved_and_fails_while_its_blank_is_unfilled(
    path: Path,
) -> None:
    """One pass over the notebook: at each exercise, the blank and its check run in a copy of
    the namespace (the check must fail), then the solution and the check (it must pass). The
    pass stops after the last self-check: nothing after it is checked here (CI runs it)."""
    cells = _cells(path)
    last_check = max(_exercises(path)) + 2
    namespace: dict[str, Any] = {"__name__": "__notebook__"}
    index = 0
    while index < len(cells):
        cell = cells[index]
        if "exercise" in _tags(cell):
            blank, solution, check = (_source(c) for c in cells[index : index + 3])
            unfilled = dict(namespace)
            with pytest.raises((AssertionError, TypeError, ValueError)):
                _run(blank, unfilled)
                _run(check, unfilled)
            _run(solution, namespace)
            _run(check, namespace)
            index += 3
        elif cell["cell_type"] == "code":
            _run(_source(cell), namespace)
            index += 1
        else:
            index += 1
        if index > last_check:
            break
