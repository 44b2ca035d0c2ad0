"""The gradient checker itself: it passes right rules, and it is proven able to fail.

Ops with deliberately wrong derivative rules, defined through `define_op` like any user's
op, must each make `gradcheck` (or `gradgradcheck`) raise. The ops are named `test_*` and
taken out of the table again after each test.
"""

from __future__ import annotations

import json
import math
import re
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

import autograd
from autograd import OPS, Op, Value, grad
from autograd.ops import _power_by, _power_of
from autograd.testing import (
    GradcheckError,
    check_grads,
    gradcheck,
    gradcheck_module,
    gradgradcheck,
)

README = Path(__file__).resolve().parents[1] / "README.md"


# -- right rules pass ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("f", "inputs"),
    [
        (lambda x: x * x * x, [1.5]),
        (lambda x, y: x * y.tanh(), [0.5, -1.0]),
        (lambda x, y, z: (x * y + z).sigmoid() / (1 + z * z), [0.3, -2.0, 1.1]),
        (lambda x: x.exp().log(), [-0.7]),
        (lambda x, y: x**y + 2**x - y ** (-2), [1.3, 0.4]),
        (lambda x: autograd.sum_values([x, x * x, x.relu()]), [0.8]),
        (lambda w, x, b: autograd.dot([w, x], [x, w], b), [0.5, -1.5, 2.0]),
    ],
)
def test_right_rules_pass(f: Callable[..., Any], inputs: list[float]) -> None:
    assert gradcheck(f, inputs) is True
    assert gradgradcheck(f, inputs) is True


def test_inputs_may_be_a_number_or_values() -> None:
    assert gradcheck(lambda x: x.tanh(), 0.25)
    assert gradcheck(lambda x: x.tanh(), Value(0.25))
    assert gradcheck(lambda x, y: x * y, [Value(2.0), 3])
    assert gradgradcheck(lambda x: x.tanh(), 0.25)


def test_constant_functions_and_unused_inputs_have_zero_gradient() -> None:
    assert gradcheck(lambda x: 3.0, [1.0])
    assert gradcheck(lambda x, y: x * 2, [1.0, 5.0])
    assert gradgradcheck(lambda x: 3.0, [1.0])
    assert gradgradcheck(lambda x, y: x * x, [1.0, 5.0])


def test_f_may_itself_be_a_derivative() -> None:
    # f calls grad inside: the checker must not switch recording off while evaluating f.
    tanh_prime = grad(lambda x: x.tanh())
    assert gradcheck(tanh_prime, [0.4])
    assert gradgradcheck(tanh_prime, [0.4])


def test_a_user_op_with_right_rules_passes(user_ops: Callable[..., Any]) -> None:
    cube = user_ops("test_gc_cube", lambda x: x**3, lambda g, x: (3 * g * x * x,))
    hypot = user_ops(
        "test_gc_hypot",
        math.hypot,
        lambda g, out, a, b: (g * a / out, g * b / out),
        uses_output=True,
        arity=2,  # math.hypot has no signature to read it from
    )
    assert gradcheck(lambda x, y: hypot(cube(x), y), [0.7, -1.2])
    assert gradgradcheck(lambda x, y: hypot(cube(x), y), [0.7, -1.2])


# -- wrong rules fail ----------------------------------------------------------------------

WRONG_RULES: list[tuple[str, Callable[..., float], Callable[..., Any], dict[str, Any]]] = [
    ("wrong_sign", lambda x: x * x, lambda g, x: (-2 * g * x,), {}),
    ("missing_factor", lambda x: x * x, lambda g, x: (g * x,), {}),
    ("missing_g", lambda x: x * x, lambda g, x: (2 * x,), {}),
    ("wrong_input", lambda a, b: a * b * b, lambda g, a, b: (g * a * a, 2 * g * a * b), {}),
    ("swapped_inputs", lambda a, b: a - b, lambda g, a, b: (-g, g), {}),
    ("one_input_forgotten", lambda a, b: a * b, lambda g, a, b: (g * b, 0.0), {}),
    ("off_by_constant", math.sin, lambda g, x: (g * (1 + 0.01 * x * x) ** 0.5,), {}),
    ("input_for_output", math.exp, lambda g, out, x: (g * x,), {"uses_output": True}),
    (
        "forgot_chain_rule",
        lambda x: math.exp(2 * x),
        lambda g, out, x: (g * out,),
        {"uses_output": True},
    ),
]


@pytest.mark.parametrize(
    ("name", "forward", "backward", "options"), WRONG_RULES, ids=[r[0] for r in WRONG_RULES]
)
def test_wrong_rules_are_caught(
    user_ops: Callable[..., Any],
    name: str,
    forward: Callable[..., float],
    backward: Callable[..., Any],
    options: dict[str, Any],
) -> None:
    op = user_ops(f"test_gc_{name}", forward, backward, **options)
    n = OPS[f"test_gc_{name}"].arity or 1
    point = [0.7, -1.3][:n]
    # Scaled, so that a rule ignoring the incoming gradient g shows too.
    with pytest.raises(GradcheckError):
        gradcheck(lambda *xs: op(*xs) * 2.5, point)
    # Inside a bigger function too, where its inputs are themselves results.
    with pytest.raises(GradcheckError):
        gradcheck(lambda *xs: (op(*[x.tanh() for x in xs]) * 3).sigmoid(), point)


def test_a_wrong_rule_is_caught_inside_a_user_expression(user_ops: Callable[..., Any]) -> None:
    # Wrong by a factor 1.01 only: still caught at the default tolerances.
    square = user_ops("test_gc_almost", lambda x: x * x, lambda g, x: (2.02 * g * x,))
    with pytest.raises(GradcheckError):
        gradcheck(lambda x, y: square(x) * y + y, [1.5, 0.5])


def test_the_message_shows_each_input(user_ops: Callable[..., Any]) -> None:
    op = user_ops("test_gc_message", lambda a, b: a * b, lambda g, a, b: (g * b, -g * a))
    with pytest.raises(GradcheckError) as caught:
        gradcheck(op, [2.0, 3.0])
    message = str(caught.value)
    assert "analytic" in message and "numeric" in message and "difference" in message
    assert "eps=1e-06, atol=1e-05, rtol=0.001" in message
    lines = message.splitlines()
    row_0 = next(line for line in lines if line.split()[:2] == ["0", "2"])
    row_1 = next(line for line in lines if line.split()[:2] == ["1", "3"])
    # Input 0 is right (3 both ways); input 1 is wrong: -2 analytic, 2 numeric.
    assert "differs" not in row_0 and row_0.split()[2] == "3"
    assert "differs" in row_1 and row_1.split()[2] == "-2"
    assert float(row_1.split()[3]) == pytest.approx(2.0, rel=1e-6)
    assert float(row_1.split()[4]) == pytest.approx(-4.0, rel=1e-6)
    assert caught.value.analytic == [3.0, -2.0]
    assert caught.value.numeric == pytest.approx([3.0, 2.0], rel=1e-6)
    assert isinstance(caught.value, AssertionError)


def test_tolerances_decide(user_ops: Callable[..., Any]) -> None:
    square = user_ops("test_gc_loose", lambda x: x * x, lambda g, x: (2.0001 * g * x,))
    assert gradcheck(square, [1.0])  # off by 1e-4 relative, within rtol=1e-3
    with pytest.raises(GradcheckError):
        gradcheck(square, [1.0], rtol=1e-6, atol=1e-8)
    assert gradcheck(lambda x: x * x, [1.0], eps=1e-4, atol=1e-9, rtol=1e-9)


def test_the_backward_walk_is_checked_too(monkeypatch: pytest.MonkeyPatch) -> None:
    # grad() and .backward() walk the graph differently; a broken .backward() must show.
    monkeypatch.setattr(Value, "backward", lambda self: None)
    with pytest.raises(GradcheckError, match=r"\.backward\(\) gave 0"):
        gradcheck(lambda x: x * x, [1.5])


def test_non_finite_analytic_gradients_fail(user_ops: Callable[..., Any]) -> None:
    op = user_ops("test_gc_nan", lambda x: x, lambda g, x: (g * math.nan,))
    with pytest.raises(GradcheckError):
        gradcheck(op, [1.0])


def _built_in_ops() -> list[Op]:
    """The rows of a fresh `import autograd` (not ops other tests define), and the two
    constant-power families at a few constants."""
    code = "import json, autograd; print(json.dumps(list(autograd.OPS)))"
    names = json.loads(subprocess.check_output([sys.executable, "-c", code], text=True))
    return [
        *(OPS[name] for name in names),
        *(_power_by(c) for c in (2.0, 3.0, 0.5, -1.0)),
        *(_power_of(c) for c in (2.0, 0.5)),
    ]


ROWS = [(op, k) for op in _built_in_ops() for k in range(op.arity or 3)]


@pytest.mark.parametrize(
    "corrupt",
    [lambda g, d: -d, lambda g, d: 2 * d, lambda g, d: d + 0.5 * g],
    ids=["negated", "doubled", "shifted"],
)
@pytest.mark.parametrize(("op", "k"), ROWS, ids=[f"{op.name}-input{k}" for op, k in ROWS])
def test_any_row_of_the_table_made_wrong_is_caught(
    user_ops: Callable[..., Any], op: Op, k: int, corrupt: Callable[[Any, Any], Any]
) -> None:
    """Each rule of the table, with its derivative for one input corrupted, fails."""
    n = op.arity or 3
    point = [0.7, 1.3, 0.4][:n]  # inside every op's smooth domain

    def backward(g: Any, *args: Any) -> list[Any]:
        grads = list(op.backward(g, *args))
        grads[k] = corrupt(g, grads[k])
        return grads

    wrong = user_ops(
        f"test_gc_corrupt_{op.name}",
        op.forward,
        backward,
        uses_output=op.uses_output,
        smooth=op.smooth,
    )
    assert op.smooth is None or op.smooth(*point)
    assert gradcheck(lambda *xs: 1.5 * op.apply(*xs), point)
    if grad(op.apply, k)(*point) == 0.0 and corrupt(1.0, 0.0) == 0.0:
        return  # negating or doubling a zero derivative (of x ** 0) changes nothing
    with pytest.raises(GradcheckError):
        gradcheck(lambda *xs: 1.5 * wrong(*xs), point)


# -- second derivatives --------------------------------------------------------------------


def test_a_rule_that_detaches_its_graph_fails_gradgradcheck(user_ops: Callable[..., Any]) -> None:
    # Right on floats, but it reads .data, so as a graph it is a constant: f'' comes out 0.
    def rule(g: Any, x: Any) -> tuple[Any]:
        x = x.data if isinstance(x, Value) else x
        return (3 * g * x * x,)

    cube = user_ops("test_gc_detached", lambda x: x**3, rule)
    assert gradcheck(cube, [0.8])
    with pytest.raises(GradcheckError, match=r"(?s)second derivatives.*\n  0,0 [^\n]*differs"):
        gradgradcheck(lambda x, y: cube(x) * y, [0.8, 1.5])


def test_a_rule_that_differs_on_values_fails_gradgradcheck(user_ops: Callable[..., Any]) -> None:
    # On floats the rule is right; built as a graph it is off by a constant, which the
    # second derivatives alone cannot see, but the first derivatives as graphs do.
    def rule(g: Any, x: Any) -> tuple[Any]:
        return (2 * g * x + 1,) if isinstance(x, Value) else (2 * g * x,)

    square = user_ops("test_gc_two_faced", lambda x: x * x, rule)
    assert gradcheck(square, [0.8])
    with pytest.raises(GradcheckError, match=r"built as a graph is 2\.6"):
        gradgradcheck(square, [0.8])


def test_a_wrong_second_derivative_of_a_built_in_shape_fails(user_ops: Callable[..., Any]) -> None:
    # tanh' written as 1 - tanh(x)² would be right; 1 - out * out with `out` frozen is not.
    def rule(g: Any, out: Any, x: Any) -> tuple[Any]:
        frozen = out.data if isinstance(out, Value) else out
        return (g * (1.0 - frozen * frozen),)

    tanh = user_ops("test_gc_frozen_tanh", math.tanh, rule, uses_output=True)
    assert gradcheck(tanh, [0.6])
    with pytest.raises(GradcheckError):
        gradgradcheck(tanh, [0.6])


# -- arguments -------------------------------------------------------------------------------


def test_bad_arguments_are_clear_errors() -> None:
    with pytest.raises(ValueError, match="at least one input"):
        gradcheck(lambda: Value(1.0), [])
    with pytest.raises(ValueError, match="eps must be positive"):
        gradcheck(lambda x: x, [1.0], eps=0.0)
    with pytest.raises(ValueError, match="non-negative"):
        gradcheck(lambda x: x, [1.0], atol=-1.0)
    with pytest.raises(TypeError, match="str"):
        gradcheck(lambda x: "no", [1.0])
    with pytest.raises(TypeError, match="input 1"):
        gradcheck(lambda x, y: x, [1.0, "2"])  # type: ignore[list-item]
    with pytest.raises(ValueError, match="finite"):
        gradgradcheck(lambda x: x, [math.inf])


# -- packaging: hypothesis only when asked for, the README example runs ---------------------


def _python(code: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=False, timeout=60
    )


def test_importing_the_checker_does_not_import_hypothesis() -> None:
    result = _python(
        "import sys, autograd.testing\n"
        "assert 'hypothesis' not in sys.modules, 'imported hypothesis'\n"
        "autograd.testing.strategies.values\n"
        "assert 'hypothesis' in sys.modules\n"
    )
    assert result.returncode == 0, result.stderr


def test_strategies_without_hypothesis_name_the_extra() -> None:
    result = _python(
        "import sys\n"
        "sys.modules['hypothesis'] = None  # as if it were not installed\n"
        "import autograd.testing\n"
        "try:\n"
        "    import autograd.testing.strategies\n"
        "except ImportError as error:\n"
        "    print(error)\n"
    )
    assert result.returncode == 0, result.stderr
    assert "pip install 'glassgrad[dev]'" in result.stdout


def _run_readme_example(code: str) -> None:
    """Run the example's code and every test it defines; its ops leave the table after."""
    before = set(OPS)
    namespace: dict[str, Any] = {"__name__": "readme_example"}
    try:
        exec(compile(code, str(README), "exec"), namespace)
        tests = [f for name, f in namespace.items() if name.startswith("test_") and callable(f)]
        assert tests, "the README example defines no test"
        for test in tests:
            test()
    finally:
        for name in set(OPS) - before:
            del OPS[name]


def test_the_readme_example_runs_and_can_fail() -> None:
    section = README.read_text(encoding="utf-8").split("## Testing gradients", 1)[1]
    found = re.search(r"```python\n(.*?)```", section, re.S)
    assert found, "the README's 'Testing gradients' section has no python example"
    code = found.group(1)
    _run_readme_example(code)
    # The wrong rule the README shows failing does fail.
    assert "(3 * g * x * x,)" in code
    with pytest.raises(GradcheckError, match=r"cube\(x"):
        _run_readme_example(code.replace("(3 * g * x * x,)", "(3 * g * x,)"))


# -- for real test suites (issue 17) ----------------------------------------------------------


def test_argnums_checks_only_the_inputs_asked_for(user_ops: Callable[..., Any]) -> None:
    op = user_ops("test_gc_half", lambda a, b: a * b, lambda g, a, b: (g * b, 0.0))
    assert gradcheck(op, [2.0, 3.0], argnums=0)  # d/da is right
    with pytest.raises(GradcheckError, match=r"(?m)^  1 .*differs$"):
        gradcheck(op, [2.0, 3.0], argnums=(1,))
    with pytest.raises(ValueError, match=r"argnums \[2\] are outside the 2 inputs"):
        gradcheck(op, [2.0, 3.0], argnums=2)
    with pytest.raises(TypeError, match="argnums must be an int or a tuple of ints"):
        gradcheck(op, [2.0, 3.0], argnums="0")  # type: ignore[arg-type]


def test_raise_exception_false_returns_false(user_ops: Callable[..., Any]) -> None:
    op = user_ops("test_gc_off", lambda x: x * x, lambda g, x: (g * x,))
    assert gradcheck(op, [1.5], raise_exception=False) is False
    assert gradcheck(lambda x: x * x, [1.5], raise_exception=False) is True
    assert check_grads(op, [1.5], order=2, raise_exception=False) is False


def test_check_grads_checks_every_order_up_to_order(user_ops: Callable[..., Any]) -> None:
    # cube's rule calls square, square's calls twice, and only twice's rule is wrong:
    # orders 1 and 2 are right, the third derivative is not.
    twice = user_ops("test_gc_twice", lambda x: 2 * x, lambda g, x: (3 * g,))
    square = user_ops("test_gc_square", lambda x: x * x, lambda g, x: (g * twice(x),))
    cube = user_ops("test_gc_cube3", lambda x: x**3, lambda g, x: (3 * g * square(x),))
    assert check_grads(cube, [0.7], order=1)
    assert check_grads(cube, [0.7], order=2)
    assert check_grads(lambda x, y: x.tanh() * y, [0.3, 0.8], order=3)
    from autograd.testing.strategies import Expression

    program = "def f(x0, x1): v1 = test_gc_cube3(x1); v2 = v1 * x0; return v2"
    assert check_grads(*Expression.from_source(program, inputs=(0.5, 0.7)), order=2)
    with pytest.raises(GradcheckError, match=r"second derivatives of d/dx0 test_gc_cube3"):
        check_grads(cube, [0.7], order=3)
    with pytest.raises(ValueError, match="order must be a positive int"):
        check_grads(cube, [0.7], order=0)


def test_the_report_names_the_first_node_whose_rule_disagrees(
    user_ops: Callable[..., Any],
) -> None:
    cube = user_ops("test_gc_cube_bad", lambda x: x**3, lambda g, x: (3 * x * x,))  # no g
    with pytest.raises(GradcheckError) as caught:
        gradcheck(lambda x, y: (cube(x.tanh()) * y).sigmoid(), [0.5, 2.0])
    message = str(caught.value)
    assert re.search(
        r"the first node whose rule disagrees: test_gc_cube_bad\(tanh\(x0\)\), at tanh\(x0\) = "
        r"0\.46211715\d*: d/dtanh\(x0\) by its rule 0\.32\d*, by central differences of its "
        r"forward 0\.64\d*",
        message,
    ), message
    # Inside random expressions the nodes have the program's names.
    from autograd.testing.strategies import Expression

    expression = Expression.from_source(
        "def f(x0): v1 = tanh(x0); v2 = test_gc_cube_bad(v1); v3 = v2 * x0; return v3",
        inputs=(0.5,),
    )
    with pytest.raises(GradcheckError, match=r"first node whose rule disagrees: v2 = "):
        gradcheck(*expression)


def test_gradcheck_module_checks_every_parameter() -> None:
    from nn import MLP, losses

    model = MLP(2, [3, 1], activation="tanh", seed=0)
    model.parameters()[0].grad = 0.25  # left as it was found
    before = model.state_dict()
    assert gradcheck_module(model, [0.5, -1.0])
    X, y = [[0.5, -1.0], [1.5, 0.3]], [1.0, 0.0]
    assert gradcheck_module(model, X, lambda out: losses.mse(out, y))
    assert model.state_dict() == before and model.parameters()[0].grad == 0.25
    with pytest.raises(TypeError, match="pass loss= to turn the model's output into one"):
        gradcheck_module(model, X)


class _Scaled:
    """A model of one weight and one bias through a user op: out = op(w * x + b)."""

    def __init__(self, op: Callable[..., Any]) -> None:
        self.w, self.b, self.op = Value(0.8, label="w"), Value(-0.3, label="b"), op

    def named_parameters(self) -> list[tuple[str, Value]]:
        return [("w", self.w), ("b", self.b)]

    def __call__(self, x: list[float]) -> Any:
        return self.op(self.w * x[0] + self.b)


def test_gradcheck_module_names_the_wrong_parameters_and_node(
    user_ops: Callable[..., Any],
) -> None:
    bad = user_ops("test_gc_bad_square", lambda x: x * x, lambda g, x: (g * x,))
    model = _Scaled(bad)
    with pytest.raises(GradcheckError) as caught:
        gradcheck_module(model, [2.0])
    message = str(caught.value)
    assert "gradcheck_module: the parameter gradients of _Scaled disagree" in message
    assert re.search(r"(?m)^  w +0\.8 .*differs$", message), message
    assert re.search(r"(?m)^  b +-0\.3 .*differs$", message), message
    assert (
        "first node whose rule disagrees: test_gc_bad_square((w * 2) + b), at (w * 2) + b = 1.3"
        in message
    )
    assert model.w.data == 0.8 and model.w.grad == 0.0
    with pytest.raises(ValueError, match="no parameters"):
        gradcheck_module(type("Empty", (), {"parameters": lambda self: []})(), [1.0])


def test_failures_read_as_the_test_s_and_paste_into_a_regression_test(
    tmp_path: Path,
) -> None:
    # A user's property test with a planted bug, run by pytest as a user runs it.
    (tmp_path / "test_user.py").write_text(
        "import math\n"
        "from hypothesis import Phase, given, settings\n"
        "from autograd import define_op\n"
        "from autograd.testing import gradcheck\n"
        "from autograd.testing.strategies import expressions\n"
        "hypot = define_op('test_gc_hypot', math.hypot,\n"
        "                  lambda g, out, x, y: (g * x / out, g * x / out),\n"
        "                  uses_output=True, arity=2, smooth=lambda x, y: math.hypot(x, y) > 0.1)\n"
        "@settings(derandomize=True, database=None, phases=[Phase.generate], max_examples=50)\n"
        "@given(expressions(ops=['test_gc_hypot', '+', '*']))\n"
        "def test_hypot(expression):\n"
        "    assert gradcheck(*expression)\n",
        encoding="utf-8",
    )
    run = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "test_user.py"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    output = run.stdout
    assert run.returncode == 1, output + run.stderr
    assert "GradcheckError: gradcheck: the gradient of def f(x0, x1):" in output
    assert "raise GradcheckError" not in output and "def gradcheck" not in output  # hidden
    pasted = re.search(r"expression=(Expression\.from_source\(.*\)),\n", output)
    assert pasted, output
    # The printed example is Python: pasted into a regression test, it fails the same way.
    namespace: dict[str, Any] = {}
    exec(
        (tmp_path / "test_user.py").read_text(encoding="utf-8")
        + "from autograd.testing.strategies import Expression\n"
        + f"def test_regression():\n    assert gradcheck(*{pasted.group(1)})\n",
        namespace,
    )
    with pytest.raises(GradcheckError, match="test_gc_hypot"):
        namespace["test_regression"]()
