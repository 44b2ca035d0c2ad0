"""animate_backward: the steps come from the engine, and the page plays them in a real browser.

The browser tests drive Debian's Chromium headless with Playwright (one browser for the
whole session). `make test` installs both; under CI=true a missing one is a failure.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from conftest import require
from hypothesis import given, settings
from hypothesis import strategies as st

from autograd import Value, animate_backward, topological_order
from autograd.listing import node_names
from autograd.player import backward_steps
from autograd.testing.strategies import expressions
from nn import MLP, Neuron

ODD = "<b>&\"'x"


def neuron() -> Value:
    """The lecture's neuron: tanh(x1*w1 + x2*w2 + b), with x1 reused once more."""
    unit = Neuron(2, activation="tanh")
    unit.w[0].data, unit.w[1].data, unit.b.data = -3.0, 1.0, 6.8813735870195432
    x1, x2 = Value(2.0, label="x1"), Value(0.0, label="x2")
    return unit([x1, x2]) * x1


def reused() -> Value:
    """x is used four times and a constant once: grads must sum."""
    x = Value(0.5, label="x")
    y = Value(-1.5, label=ODD)
    a = x * x
    return (a + y).tanh() * x + a.exp() / (y - 3)


def by_hand() -> Value:
    """A node built micrograd's way, with its own `_backward`."""
    a, b = Value(2.0, label="a"), Value(-4.0, label="b")
    out = Value(a.data * b.data, (a, b), "*")

    def _backward() -> None:
        a.grad += b.data * out.grad
        b.grad += a.data * out.grad

    out._backward = _backward
    return (out + a).relu() + out * 0.5


def operation_nodes(root: Value) -> list[Value]:
    """The nodes backward() applies a rule at, in its order."""
    return [node for node in reversed(topological_order(root)) if not node.is_leaf]


def partial_backward(root: Value, k: int) -> dict[Value, float | None]:
    """Each node's grad after backward() has applied its first k rules (None: not reached)."""
    order = topological_order(root)
    for node in order:
        node.grad = 0.0
    root.grad = 1.0
    reached = {root}
    for node in operation_nodes(root)[:k]:
        node._backward()
        reached.update(node.parents)
    return {node: node.grad if node in reached else None for node in order}


def fresh_backward(root: Value) -> dict[Value, float]:
    order = topological_order(root)
    for node in order:
        node.grad = 0.0
    root.backward()
    return {node: node.grad for node in order}


# -- the steps, in Python -------------------------------------------------------------------


@pytest.mark.parametrize("build", [neuron, reused, by_hand])
def test_steps_are_backwards_walk_and_its_grads(build: Callable[[], Value]) -> None:
    root = build()
    before = {node: node.grad for node in topological_order(root)}
    steps = backward_steps(root)
    assert {node: node.grad for node in topological_order(root)} == before  # nothing touched
    assert [step.node for step in steps] == operation_nodes(root)
    for k in range(len(steps) + 1):
        expected = partial_backward(root, k)
        shown: dict[Value, float] = {root: 1.0}
        for step in steps[:k]:
            for c in step.contributions:
                shown[c.parent] = c.after
        assert {n: g for n, g in expected.items() if g is not None} == shown
    final = fresh_backward(root)
    assert steps[-1].contributions  # and every contribution is local * upstream
    for step in steps:
        for c in step.contributions:
            assert c.local is not None
            assert math.isclose(c.added, c.local * c.upstream, abs_tol=1e-12)
    shown = {root: 1.0}
    for step in steps:
        for c in step.contributions:
            shown[c.parent] = c.after
    assert shown == final


@settings(max_examples=40)
@given(expressions(n_inputs=2, max_depth=4), st.integers(0, 30))
def test_steps_of_random_graphs_equal_partial_backward(expression: Any, k: int) -> None:
    inputs = [Value(x) for x in expression.inputs]
    root = expression.function(*inputs)
    if not isinstance(root, Value):
        return
    steps = backward_steps(root)
    k = min(k, len(steps))
    expected = partial_backward(root, k)
    shown: dict[Value, float] = {root: 1.0}
    for step in steps[:k]:
        for c in step.contributions:
            shown[c.parent] = c.after
    assert {n: g for n, g in expected.items() if g is not None} == shown


def test_bad_input_and_what_the_page_contains(dot_program: str, tmp_path: Path) -> None:
    with pytest.raises(TypeError, match="animate_backward needs a Value"):
        animate_backward(3.0)  # type: ignore[arg-type]
    root = reused()
    player = animate_backward(root, tmp_path / "page.html")
    page = (tmp_path / "page.html").read_text(encoding="utf-8")
    assert page == player.html
    assert "http://" not in page.replace("http://www.w3.org/", "")
    assert "https://" not in page and "<link" not in page and " src=" not in page
    assert "<b>&" not in page  # the odd label is escaped everywhere
    frame = player._repr_html_()
    assert frame.startswith("<iframe srcdoc=") and "<script" not in frame


# -- the page, in a browser -----------------------------------------------------------------


class Page:
    """A loaded player page, with what it logged and fetched."""

    def __init__(self, page: Any, root: Value, problems: list[str], requests: list[str]) -> None:
        self.page = page
        self.root = root
        self.problems = problems
        self.requests = requests
        self.names = node_names(topological_order(root))

    def shown(self) -> dict[str, tuple[str, bool]]:
        """data-node -> (data-grad, is current), for every drawn value."""
        rows = self.page.evaluate(
            "Array.from(document.querySelectorAll('g[data-node]'))"
            ".map(e => [e.getAttribute('data-node'), e.getAttribute('data-grad'),"
            " e.hasAttribute('data-current')])"
        )
        return {name: (grad, current) for name, grad, current in rows}

    def status(self) -> str:
        return str(self.page.text_content("#gg-status"))


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    """One headless Chromium for the session (Debian's, not a Playwright download)."""
    import os
    import shutil

    sync_api = require("playwright.sync_api")
    executable = os.environ.get("GLASSGRAD_CHROMIUM") or next(
        (
            path
            for path in map(shutil.which, ("chromium", "chromium-browser", "google-chrome"))
            if path
        ),
        None,
    )
    if executable is None:
        pytest.fail(
            "Chromium is not on PATH: install it (Debian/Ubuntu: apt-get install chromium), or "
            "run `make test`, which does as root; GLASSGRAD_CHROMIUM may name the program"
        )
    with sync_api.sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=executable)
        yield chromium
        chromium.close()


@pytest.fixture
def open_page(browser: Any, dot_program: str, tmp_path: Path) -> Iterator[Callable[..., Page]]:
    opened: list[Any] = []

    def load(root: Value, **options: Any) -> Page:
        path = tmp_path / f"player{len(opened)}.html"
        animate_backward(root, path, **options)
        page = browser.new_page()
        opened.append(page)
        problems: list[str] = []
        requests: list[str] = []
        page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda error: problems.append(str(error)))
        page.on("request", lambda request: requests.append(request.url))
        page.goto(path.as_uri())
        return Page(page, root, problems, requests)

    yield load
    for page in opened:
        page.close()


def expected_shown(player: Page, k: int) -> dict[str, str | None]:
    grads = partial_backward(player.root, k)
    return {player.names[node]: grad for node, grad in grads.items()}


def check_step(player: Page, k: int) -> None:
    shown = player.shown()
    expected = expected_shown(player, k)
    assert player.status() == f"step {k} of {len(operation_nodes(player.root))}"
    assert set(shown) == set(expected)
    for name, (grad, _) in shown.items():
        want = expected[name]
        assert (grad == "") if want is None else (grad != "" and float(grad) == want), name
    current = [name for name, (_, is_current) in shown.items() if is_current]
    if k == 0:
        assert current == []
    else:
        assert current == [player.names[operation_nodes(player.root)[k - 1]]]


@pytest.mark.parametrize("build", [neuron, reused, by_hand])
def test_next_steps_through_backward_in_its_order(
    open_page: Callable[..., Page], build: Callable[[], Value]
) -> None:
    player = open_page(build())
    steps = len(operation_nodes(player.root))
    assert player.page.evaluate("window.glassgrad.steps") == steps
    check_step(player, 0)
    for k in range(1, steps + 1):
        player.page.click("#gg-next")
        check_step(player, k)
    player.page.click("#gg-next")  # past the end: stays
    check_step(player, steps)
    final = fresh_backward(player.root)
    assert {name: float(grad) for name, (grad, _) in player.shown().items()} == {
        player.names[node]: grad for node, grad in final.items()
    }
    assert player.problems == []
    assert player.requests == [player.page.url]  # the page itself, nothing else


def test_buttons_keys_slider_goto_and_play(open_page: Callable[..., Page]) -> None:
    player = open_page(reused())
    page, steps = player.page, len(operation_nodes(player.root))
    page.click("#gg-last")
    check_step(player, steps)
    page.click("#gg-back")
    check_step(player, steps - 1)
    page.click("#gg-first")
    check_step(player, 0)
    page.keyboard.press("ArrowRight")
    page.keyboard.press("ArrowRight")
    check_step(player, 2)
    page.keyboard.press("ArrowLeft")
    check_step(player, 1)
    page.keyboard.press("End")
    check_step(player, steps)
    page.keyboard.press("Home")
    check_step(player, 0)
    page.fill("#gg-slider", "3")
    check_step(player, 3)
    assert page.evaluate("window.glassgrad.goto(4)") == 4
    check_step(player, 4)
    # The rule table's line for the step, and the sum on each edge.
    node = operation_nodes(player.root)[3]
    assert node._rule is not None and node._rule.formula
    assert node._rule.formula in str(page.text_content("#gg-rule"))
    labels = page.eval_on_selector_all(".gg-edge-label", "ls => ls.map(l => l.textContent)")
    assert len(labels) == len(node.parents) and all(" × " in text for text in labels)
    page.select_option("#gg-speed", "150")
    page.click("#gg-play")
    # (wait_for_function would evaluate a string, which the page's CSP forbids)
    for _ in range(200):
        if not page.evaluate("window.glassgrad.playing"):
            break
        page.wait_for_timeout(50)
    assert page.evaluate("window.glassgrad.step") == steps
    check_step(player, steps)
    assert player.problems == []


def test_labels_are_shown_as_typed(open_page: Callable[..., Page]) -> None:
    player = open_page(reused())
    page = player.page
    assert ODD in player.shown()
    texts = page.eval_on_selector_all("g[data-node] text", "ts => ts.map(t => t.textContent)")
    assert ODD in texts
    page.evaluate("window.glassgrad.goto(window.glassgrad.steps)")
    assert f"{ODD}.grad" in str(page.text_content("#gg-updates"))
    assert page.title().startswith("backward() of ")
    assert player.problems == []


def test_a_large_graph_is_folded_with_a_message(open_page: Callable[..., Page]) -> None:
    model = MLP(2, [4, 4, 1], seed=0)
    root = model([Value(0.5, label="x1"), Value(-1.0, label="x2")])
    assert isinstance(root, Value)
    player = open_page(root, max_nodes=12)
    message = str(player.page.text_content("#gg-message"))
    assert "folded" in message and "max_nodes=12" in message
    steps = len(operation_nodes(root))
    assert player.page.evaluate("window.glassgrad.steps") == steps
    player.page.evaluate(f"window.glassgrad.goto({steps})")
    assert player.page.locator("[data-current]").count() == 1
    assert player.problems == []


def test_the_command_line_writes_the_same_page(
    browser: Any, dot_program: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from nn.cli import main

    out = tmp_path / "page.html"
    assert main(["graph", "x*y + exp(x)", "x=2", "y=3", "--format", "html", "--out", str(out)]) == 0
    assert f"wrote {out}" in capsys.readouterr().out
    page = browser.new_page()
    try:
        page.goto(out.as_uri())
        assert page.evaluate("window.glassgrad.steps") == 3  # exp, *, +
        page.evaluate("window.glassgrad.goto(3)")
        grads = page.eval_on_selector_all(
            "g[data-node]", "gs => gs.map(g => [g.dataset.node, g.dataset.grad])"
        )
        assert {name: float(grad) for name, grad in grads}["x"] == pytest.approx(3 + math.exp(2))
    finally:
        page.close()
