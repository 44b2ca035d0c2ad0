"""Notebook exercises: every blank has a collapsed solution and a self-check that catches it.

CI runs the solved form (the blank cells are tagged `skip-execution`). Here each blank is run in
place of its solution, and its self-check must then fail: a check that passes on an unfilled
blank checks nothing.
"""

from __future__ import annotations

import json
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


def _run(sources: list[str]) -> None:
    namespace: dict[str, Any] = {"__name__": "__notebook__"}
    for source in sources:
        exec(compile(source, "<cell>", "exec"), namespace)


@pytest.mark.parametrize(
    ("path", "exercise"),
    [(path, index) for path in WITH_EXERCISES for index in _exercises(path)],
    ids=lambda item: item.stem if isinstance(item, Path) else str(item),
)
def test_a_self_check_fails_while_its_blank_is_unfilled(path: Path, exercise: int) -> None:
    cells = _cells(path)
    code = [
        (i, cell)
        for i, cell in enumerate(cells[: exercise + 3])
        if cell["cell_type"] == "code" and "skip-execution" not in _tags(cell)
    ]
    solved = [_source(cell) for i, cell in code if i <= exercise + 2]
    unsolved = [
        _source(cells[exercise]) if i == exercise + 1 else s for (i, _), s in zip(code, solved)
    ]
    _run(solved)  # the solved form passes its checks ...
    with pytest.raises((AssertionError, TypeError, ValueError)):
        _run(unsolved)  # ... and the blank in place of the solution does not
