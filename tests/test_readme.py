"""The README's Python examples run as written and print what their comments say.

Convention: each `print(...)` prints one line; a `print(...)  # RESULT (any note)` must
print text that starts with RESULT (the comment up to two spaces or a parenthesis).
"""

from __future__ import annotations

import contextlib
import io
import re
from pathlib import Path

import pytest

README = Path(__file__).resolve().parent.parent / "README.md"
BLOCKS = re.findall(r"```python\n(.*?)```", README.read_text(encoding="utf-8"), re.S)


def expected_prints(source: str) -> list[str | None]:
    """Per print line, the start of what it should print (None: no comment to check)."""
    expected: list[str | None] = []
    for line in source.splitlines():
        if re.match(r"\s*print\(", line):
            match = re.search(r"\)\s+#\s?(.*)$", line)
            result = re.split(r"\s{2,}|\s\(", match.group(1).strip())[0] if match else None
            expected.append(result)
    return expected


def test_readme_has_examples() -> None:
    assert BLOCKS, "README.md has no ```python blocks"


@pytest.mark.parametrize("source", BLOCKS, ids=[f"block{i}" for i in range(len(BLOCKS))])
def test_readme_example_runs_and_prints_its_comments(
    source: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)  # examples that save files write them here
    output = io.StringIO()
    with contextlib.redirect_stdout(output):
        exec(compile(source, "README.md", "exec"), {"__name__": "readme"})
    printed = output.getvalue().splitlines()
    expected = expected_prints(source)
    assert len(printed) == len(expected), "each print in a README example prints one line"
    for line, want in zip(printed, expected):
        if want is not None:
            assert line.startswith(want), f"printed {line!r}, README says {want!r}"
