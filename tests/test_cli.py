"""The glassgrad command: `graph` on good and hostile input, `demo` end to end."""

from __future__ import annotations

import html
import math
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import require
from hypothesis import given
from hypothesis import strategies as st

from autograd import DomainError
from nn.cli import main
from nn.expression import ExpressionError, build, parse_assignments


def run(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    """Exit status, stdout and stderr of `glassgrad *argv`, run in this process."""
    try:
        status = main(argv)
    except SystemExit as exit:  # argparse's own errors and --help
        status = exit.code if isinstance(exit.code, int) else 1
    out, err = capsys.readouterr()
    return status, out, err


# -- glassgrad graph: good input -----------------------------------------------------------


def test_graph_prints_the_value_and_every_gradient(capsys: pytest.CaptureFixture[str]) -> None:
    status, out, err = run(["graph", "x*y + exp(x)", "x=2", "y=3", "--format", "text"], capsys)
    assert (status, err) == (0, "")
    lines = out.splitlines()
    assert lines[0] == f"x*y + exp(x) = {6 + math.exp(2):.6g}   (x=2, y=3)"
    assert lines[1] == f"d/dx = {3 + math.exp(2):.6g}"
    assert lines[2] == "d/dy = 2"
    assert lines[3].split() == ["node", "expression", "data", "grad"]
    assert lines[-1].startswith("v4    v3 + v1") and lines[-1].endswith("output")


@pytest.mark.parametrize(
    ("expression", "values", "value", "gradients"),
    [
        ("x**2", ["x=3"], 9.0, [6.0]),
        ("-x**2", ["x=3"], -9.0, [-6.0]),  # an expression may start with '-'
        ("2**x", ["x=3"], 8.0, [8.0 * math.log(2)]),
        ("a/b - a", ["a=1", "b=4"], -0.75, [-0.75, -1 / 16]),
        ("tanh(x) + sigmoid(x) + relu(x) + log(x)", ["x=0.5"], None, None),
        ("x ** y", ["x=2", "y=3"], 8.0, [12.0, 8.0 * math.log(2)]),
        ("2 * 3", [], 6.0, []),
        ("+x", ["x=-1.5"], -1.5, [1.0]),
    ],
)
def test_graph_computes_what_python_would(
    expression: str,
    values: list[str],
    value: float | None,
    gradients: list[float] | None,
    capsys: pytest.CaptureFixture[str],
) -> None:
    status, out, err = run(["graph", expression, *values, "--format", "text"], capsys)
    assert (status, err) == (0, "")
    lines = out.splitlines()
    if value is not None:
        assert float(lines[0].split(" = ")[1].split()[0]) == pytest.approx(value, rel=1e-5)
    if gradients is not None:
        shown = [float(line.split(" = ")[1]) for line in lines[1 : 1 + len(gradients)]]
        assert shown == pytest.approx(gradients, rel=1e-5)


def test_graph_writes_svg_and_png(
    dot_program: str,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.chdir(tmp_path)
    status, out, _ = run(["graph", "x*y + exp(x)", "x=2", "y=3"], capsys)
    assert status == 0 and out.splitlines()[-1] == "wrote graph.svg"
    svg = (tmp_path / "graph.svg").read_text()
    assert "<svg" in svg and ">exp<" in svg and "data 13.39" in svg
    status, out, _ = run(
        ["graph", "tanh(w*x)", "w=0.5", "x=-1", "--format=png", "--out", "pics/g.png", "--order"],
        capsys,
    )
    assert status == 0 and out.splitlines()[-1] == f"wrote {Path('pics/g.png')}"
    assert (tmp_path / "pics" / "g.png").read_bytes().startswith(b"\x89PNG")


def test_a_graph_too_big_to_draw_points_to_text(capsys: pytest.CaptureFixture[str]) -> None:
    require("graphviz")
    status, out, err = run(["graph", "x" + " + x" * 600, "x=1"], capsys)
    assert status == 2 and "d/dx = 601" in out
    assert err.count("\n") == 1 and "601 values" in err and "--format text" in err


def test_graph_text_can_go_to_a_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    target = tmp_path / "graph.txt"
    status, out, _ = run(["graph", "x*x", "x=3", "--format", "text", "--out", str(target)], capsys)
    assert status == 0 and out.splitlines()[-1] == f"wrote {target}"
    assert target.read_text().splitlines()[-1].endswith("output")


# -- glassgrad graph: hostile input ---------------------------------------------------------

HOSTILE = [
    (["x.__class__", "x=1"], "attribute access"),
    (["__import__('os').system('echo hacked')", "x=1"], "cannot be called"),
    (["open('/etc/passwd')", "x=1"], "unknown function 'open'"),
    (["sin(x)", "x=1"], "unknown function 'sin'"),
    (["exp(x, x)", "x=1"], "exp() takes exactly one argument"),
    (["exp(x=1)"], "exp() takes exactly one argument"),
    (["exp(*x)", "x=1"], "exp() takes exactly one argument"),
    (["z + 1", "x=1"], "unknown name 'z'"),
    (["x + y", "x=1"], "unknown name 'y': give its value as y=NUMBER"),
    (["x +", "x=1"], "cannot parse"),
    (["(x", "x=1"], "cannot parse"),
    (["x % 2", "x=1"], "the operator % is not allowed"),
    (["x // 2", "x=1"], "the operator // is not allowed"),
    (["~x", "x=1"], "the operator ~ is not allowed"),
    (["x < 2", "x=1"], "a comparison"),
    (["x if x else 1", "x=1"], "if/else"),
    (["1if x else 2", "x=1"], "if/else"),  # no SyntaxWarning on stderr either
    (["lambda: x", "x=1"], "lambda"),
    (["[x][0]", "x=1"], "indexing"),
    (["'a' * x", "x=1"], "only numbers are allowed"),
    (["True * x", "x=1"], "only numbers are allowed"),
    (["1j * x", "x=1"], "only numbers are allowed"),
    (["(y := 2) * x", "x=1"], "assignment"),
    (["x; import os", "x=1"], "cannot parse"),
    (["1e999 * x", "x=1"], "too large"),
    (["1" * 400 + " * x", "x=1"], "too large"),
    (["1" * 5000, "x=1"], "cannot parse"),
    (["x" + " + x" * 5000, "x=1"], "limit is 10000"),
    (["-" * 5000 + "x", "x=1"], "nested too deeply"),
    (["(" * 300 + "x" + ")" * 300, "x=1"], "cannot parse"),
    (["", "x=1"], "empty"),
    (["x", "x"], "expected NAME=VALUE"),
    (["x", "x=abc"], "'abc' is not a number"),
    (["x", "x=nan"], "finite"),
    (["x", "x=1", "x=2"], "x is given twice"),
    (["x", "x=1", "y=2"], "y=2 is given but the expression does not use y"),
    (["x", "x=1", "1y=2"], "not a valid name"),
    (["x", "x=1", "exp=2"], "'exp' is a function"),
    (["log(x)", "x=-1"], "log is defined for x > 0 only"),
    (["x / 0", "x=1"], "division by zero"),
    (["exp(x)", "x=1000"], "overflows"),
    (["x ** 0.5", "x=-4"], "negative ** non-integer"),
]


@pytest.mark.parametrize(("argv", "message"), HOSTILE)
def test_hostile_graph_input_exits_2_with_one_line(
    argv: list[str], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    status, out, err = run(["graph", *argv, "--format", "text"], capsys)
    assert status == 2
    assert out == ""
    assert err.count("\n") == 1 and err.startswith("glassgrad graph: error: "), err
    assert message in err
    assert "Traceback" not in err


@pytest.mark.parametrize(
    "argv",
    [
        ["graph"],
        ["graph", "x", "x=1", "--format", "jpg"],
        ["graph", "x", "x=1", "--bogus"],
        ["nonsense"],
        [],
        ["demo", "--epochs", "0"],
        ["demo", "--epochs", "many"],
    ],
)
def test_usage_errors_exit_2_with_one_line(
    argv: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    status, out, err = run(argv, capsys)
    assert status == 2 and out == ""
    assert err.count("\n") == 1 and "error:" in err and "--help" in err


@given(st.text(alphabet="xy0123456789.e+-*/() ,[]'_abcdgilmnoprst", max_size=40))
def test_any_text_is_built_or_rejected_with_a_clear_error(text: str) -> None:
    try:
        build(text, {})
    except (ExpressionError, DomainError) as error:
        assert str(error) and "\n" not in str(error)


def test_names_become_labelled_leaves_shared_between_uses() -> None:
    out, inputs = build("x * x + y", parse_assignments(["x=3", "y=1"]))
    assert out.data == 10.0 and set(inputs) == {"x", "y"}
    assert inputs["x"].label == "x"
    out.backward()
    assert inputs["x"].grad == 6.0


def test_the_command_runs_as_a_module_without_traceback() -> None:
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parent.parent)}
    good = subprocess.run(
        [sys.executable, "-m", "nn", "graph", "x*2", "x=4", "--format", "text"],
        capture_output=True,
        text=True,
        env=env,
        check=False,
    )
    assert good.returncode == 0 and good.stdout.startswith("x*2 = 8   (x=4)\nd/dx = 2\n")
    bad = subprocess.run(
        [sys.executable, "-m", "nn", "graph", "x.__class__", "x=1"],
        capture_output=True,
        text=True,
        env=env,
        check=False,
    )
    assert bad.returncode == 2 and bad.stdout == ""
    assert bad.stderr.startswith("glassgrad graph: error: attribute access")
    assert bad.stderr.count("\n") == 1


def test_without_dot_graph_says_how_to_install_it(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    require("graphviz")
    monkeypatch.setenv("PATH", str(tmp_path))
    status, out, err = run(["graph", "x*2", "x=1", "--out", str(tmp_path / "g.svg")], capsys)
    assert status == 1
    assert "d/dx = 2" in out
    assert err.count("\n") == 1 and "apt-get install graphviz" in err
    assert not (tmp_path / "g.svg").exists()


# -- glassgrad graph: the output file ------------------------------------------------------


def png_size(data: bytes) -> tuple[int, int]:
    assert data.startswith(b"\x89PNG")
    return int.from_bytes(data[16:20], "big"), int.from_bytes(data[20:24], "big")


@pytest.mark.parametrize(
    ("name", "starts"),
    [
        ("g.svg", b"<?xml"),
        ("g.png", b"\x89PNG"),
        ("G.PDF", b"%PDF"),
        ("g.dot", b"digraph"),
        ("g.gv", b"digraph"),
        ("g.txt", b"node  expression"),
    ],
)
def test_the_extension_of_out_picks_the_format(
    dot_program: str, name: str, starts: bytes, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    target = tmp_path / name
    status, out, err = run(["graph", "x**2", "x=3", "--out", str(target)], capsys)
    assert (status, err) == (0, ""), err
    assert target.read_bytes().startswith(starts)
    assert out.splitlines()[-1] == f"wrote {target}"


def test_a_format_that_contradicts_the_extension_is_one_line_and_writes_nothing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    for argv, says in [
        (["--out", str(tmp_path / "g.svg"), "--format", "png"], "--format png contradicts"),
        (["--out", str(tmp_path / "g.png"), "--format", "text"], "a .png file is png"),
        (["--out", str(tmp_path / "g.jpg")], "name it .svg .png .pdf .dot .gv .html .htm .txt"),
    ]:
        status, _, err = run(["graph", "x**2", "x=3", *argv], capsys)
        assert status == 2 and err.count("\n") == 1 and says in err, err
        assert err.startswith("glassgrad graph: error: ")
    assert list(tmp_path.iterdir()) == []


def test_a_format_given_for_a_file_without_extension_is_used(
    dot_program: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    status, _, _ = run(
        ["graph", "x**2", "x=3", "--out", str(tmp_path / "g"), "--format", "png"], capsys
    )
    assert status == 0 and (tmp_path / "g").read_bytes().startswith(b"\x89PNG")


def test_png_is_drawn_at_150_dpi(
    dot_program: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    run(["graph", "x**2", "x=3", "--out", str(tmp_path / "g.svg")], capsys)
    run(["graph", "x**2", "x=3", "--out", str(tmp_path / "g.png")], capsys)
    svg = (tmp_path / "g.svg").read_text()
    width_pt = float(re.search(r'<svg width="(\d+)pt"', svg).group(1))  # type: ignore[union-attr]
    width_px, height_px = png_size((tmp_path / "g.png").read_bytes())
    assert width_px >= width_pt * 150 / 72 - 2  # 72 points to the inch
    assert height_px >= 120


def test_a_new_output_format_is_one_entry_in_the_table(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    from nn import cli

    listing = cli.OutputFormat("json", (".json",), lambda root, order: b"{}", "a listing")
    monkeypatch.setitem(cli.OUTPUT_FORMATS, "json", listing)
    status, _, err = run(["graph", "x**2", "x=3", "--out", str(tmp_path / "p.json")], capsys)
    assert (status, err) == (0, "")
    assert (tmp_path / "p.json").read_bytes() == b"{}"
    status, out, _ = run(["graph", "--help"], capsys)
    assert "json (a listing)" in " ".join(out.split())


@pytest.mark.parametrize(
    ("argv", "says"),
    [
        (
            ["graph", "x**2", "x=3", "--formt", "svg"],
            "unknown option --formt (did you mean --format?)",
        ),
        (
            ["graph", "--formt=svg", "x**2", "x=3"],
            "unknown option --formt (did you mean --format?)",
        ),
        (["graph", "x**2", "x=3", "--ordr"], "unknown option --ordr (did you mean --order?)"),
        (["graph", "x**2", "x=3", "--zzz"], "unknown option --zzz (see glassgrad graph --help)"),
        (["demo", "--epohcs", "3"], "unknown option --epohcs (did you mean --epochs?)"),
    ],
)
def test_an_unknown_option_names_the_subcommands_help_and_the_closest_option(
    argv: list[str], says: str, capsys: pytest.CaptureFixture[str]
) -> None:
    status, out, err = run(argv, capsys)
    assert status == 2 and out == "" and err.count("\n") == 1
    assert says in err and f"see glassgrad {argv[0]} --help" in err


def test_a_dot_that_crashes_is_one_line_and_exit_1(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    require("graphviz")
    fake = tmp_path / "dot"
    fake.write_text("#!/bin/sh\necho 'Segmentation fault (core dumped)' >&2\nkill -SEGV $$\n")
    fake.chmod(0o755)
    monkeypatch.setenv("PATH", f"{tmp_path}{os.pathsep}{os.environ['PATH']}")
    target = tmp_path / "g.svg"
    status, out, err = run(["graph", "x*2", "x=1", "--out", str(target)], capsys)
    assert status == 1 and "d/dx = 2" in out
    assert err.count("\n") == 1 and "Traceback" not in err
    assert "dot was killed by signal 11 while drawing (Segmentation fault (core dumped))" in err
    assert "--format text" in err and not target.exists()


# -- glassgrad demo ---------------------------------------------------------------------------


def test_demo_trains_prints_accuracy_and_writes_three_files(
    dot_program: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    require("matplotlib")
    out_dir = tmp_path / "demo"
    status, out, err = run(["demo", "--out", str(out_dir), "--epochs", "3", "--seed", "1"], capsys)
    assert status == 0, err
    lines = out.splitlines()
    assert lines[0].startswith("Training MLP(2, [16, 16, 1]) on two moons")
    accuracy_line = next(line for line in lines if line.startswith("train accuracy"))
    train_accuracy = float(accuracy_line.split()[2].rstrip(","))
    val_accuracy = float(accuracy_line.split()[-1])
    assert 0.0 <= train_accuracy <= 1.0 and 0.0 <= val_accuracy <= 1.0
    assert "fit" in err  # the progress bar
    assert sorted(p.name for p in out_dir.iterdir()) == ["boundary.png", "graph.svg", "history.png"]
    svg = (out_dir / "graph.svg").read_text()
    assert "layers.0.neurons." in svg and "Σ w·x + b" in svg and ">x1<" in svg
    assert "grad 1" in svg  # the neuron's output, after backward
    # The title says which neuron, which point, and what the grads are derivatives of.
    texts = [html.unescape(t) for t in re.findall(r"<text[^>]*>(.*?)</text>", svg)]
    title = next(t for t in texts if t.startswith("Neuron layers.0.neurons."))
    assert "of the trained MLP(2, [16, 16, 1]) on validation point #" in title
    assert re.search(r"x1=-?[\d.]+, x2=-?[\d.]+$", title)
    assert "grad = d(this neuron's output)/d(value)" in " ".join(texts)
    for name in ("history.png", "boundary.png"):
        assert (out_dir / name).read_bytes().startswith(b"\x89PNG")


def test_demo_without_dot_keeps_the_dot_source_and_says_how_to_install(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    require("graphviz")
    require("matplotlib")
    monkeypatch.setenv("PATH", str(tmp_path))
    out_dir = tmp_path / "demo"
    status, out, err = run(["demo", "--out", str(out_dir), "--epochs", "1"], capsys)
    assert status == 1
    assert "train accuracy" in out
    assert sorted(p.name for p in out_dir.iterdir()) == ["boundary.png", "graph.gv", "history.png"]
    assert (out_dir / "graph.gv").read_text().startswith("digraph")
    assert "apt-get install graphviz" in err


def test_demo_compile_prints_the_same_accuracy(
    dot_program: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    require("matplotlib")
    accuracies = []
    for extra in ([], ["--compile"]):
        out_dir = tmp_path / f"demo{len(extra)}"
        status, out, err = run(
            ["demo", "--out", str(out_dir), "--epochs", "2", "--seed", "1", *extra], capsys
        )
        assert status == 0, err
        accuracies.append(next(line for line in out.splitlines() if "accuracy" in line))
    assert accuracies[0] == accuracies[1]
