"""The command line: `demo --out` is checked before training, names are read the way Python
reads them, and a closed pipe ends quietly (issue 10, items 14-16)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

import nn
from nn.cli import EXIT_BROKEN_PIPE, main
from nn.expression import build, parse_assignments


def run(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    status = main(argv)
    out, err = capsys.readouterr()
    return status, out, err


# -- 14. demo --out is checked before any training --------------------------------------------


@pytest.fixture
def no_training(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Record a call of `fit` instead of training: the check must come before it."""
    calls: list[str] = []

    def fit(*args: object, **kwargs: object) -> None:
        calls.append("fit")
        raise AssertionError("trained before checking --out")

    monkeypatch.setattr(nn, "fit", fit)
    return calls


@pytest.mark.parametrize("kind", ["a file", "under a file", "not writable"])
def test_demo_out_is_checked_before_training(
    tmp_path: Path, kind: str, no_training: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    afile = tmp_path / "taken"
    afile.write_text("")
    out = {"a file": afile, "under a file": afile / "sub", "not writable": Path("/proc/x")}[kind]
    status, stdout, err = run(["demo", "--out", str(out), "--epochs", "1"], capsys)
    assert status == 2 and no_training == [] and stdout == ""
    assert err.count("\n") == 1 and err.startswith(f"glassgrad demo: error: --out {out}: ")
    assert "Traceback" not in err


def test_ctrl_c_during_the_demo_stops_it_without_writing_anything(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """fit returns the History of the whole epochs; the demo then stops, exit 130."""
    import signal

    from nn.callbacks import Callback, TrainingRun

    real_fit = nn.fit

    class PressCtrlC(Callback):
        def on_batch_end(self, run: TrainingRun) -> None:
            if run.epoch == 1 and run.batch == 2:
                signal.raise_signal(signal.SIGINT)

    def fit(*args: object, **kwargs: object) -> object:
        return real_fit(*args, **kwargs, callbacks=[PressCtrlC()])  # type: ignore[arg-type]

    monkeypatch.setattr(nn, "fit", fit)
    out = tmp_path / "demo"
    status, stdout, err = run(["demo", "--out", str(out), "--epochs", "3"], capsys)
    assert status == 130 and err.rstrip().endswith("glassgrad demo: interrupted")
    assert "fit: interrupted in epoch 2 of 3" in err and "train accuracy" not in stdout
    assert not out.exists() or not any(out.iterdir())


# -- 15. names normalized as Python normalizes them ---------------------------------------


@pytest.mark.parametrize(
    ("expression", "given", "name"),
    [
        ("ｘ * 2", "ｘ=3", "x"),
        ("ﬁ * 2", "ﬁ=3", "fi"),
        ("x * 2", "ｘ=3", "x"),
        ("ｘ * 2", "x=3", "x"),
    ],
)
def test_names_are_read_in_nfkc_form(expression: str, given: str, name: str) -> None:
    values = parse_assignments([given])
    assert values == {name: 3.0}
    result, inputs = build(expression, values)
    assert result.data == 6.0 and list(inputs) == [name]


def test_the_same_name_twice_in_two_spellings_is_an_error(
    capsys: pytest.CaptureFixture[str],
) -> None:
    status, _, err = run(["graph", "x*2", "x=1", "ｘ=2", "--format", "text"], capsys)
    assert status == 2 and "x is given twice" in err


# -- 16. a closed pipe ends quietly -------------------------------------------------------


def test_a_closed_pipe_ends_the_command_quietly() -> None:
    expression = "+".join(["x*y"] * 1200)  # a listing far larger than a pipe's buffer
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    child = subprocess.Popen(
        [sys.executable, "-m", "nn", "graph", expression, "x=2", "y=3", "--format", "text"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=env,
    )
    assert child.stdout is not None and child.stderr is not None
    first = child.stdout.readline()
    child.stdout.close()  # what `| head -1` does
    errors = child.stderr.read().decode()
    child.stderr.close()
    assert child.wait(timeout=60) == EXIT_BROKEN_PIPE
    assert first.startswith(b"x*y+x*y") and errors == ""
