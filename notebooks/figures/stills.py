"""Make the README's stills: player.png (the backward player) and network.png.

Run from the repository root: `python notebooks/figures/stills.py` (needs matplotlib,
Graphviz, Playwright and Debian's chromium, as `make test` installs them).
"""

import shutil
import tempfile
from pathlib import Path

from playwright.sync_api import sync_playwright

from autograd import Value, animate_backward
from nn import MLP, Neuron, data, fit, losses, optim, plot

HERE = Path(__file__).resolve().parent

neuron = Neuron(2, activation="tanh")
neuron.w[0].data, neuron.w[1].data, neuron.b.data = -3.0, 1.0, 6.8813735870195432
out = neuron([Value(2.0, label="x1"), Value(0.0, label="x2")])
with tempfile.TemporaryDirectory() as tmp:
    page_path = animate_backward(out, Path(tmp) / "neuron.html").save(Path(tmp) / "neuron.html")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=shutil.which("chromium"))
        page = browser.new_page(viewport={"width": 1000, "height": 400}, device_scale_factor=1.5)
        page.goto(page_path.as_uri())
        page.evaluate("window.glassgrad.goto(2)")
        page.screenshot(path=HERE / "player.png", full_page=True)
        browser.close()

X, y = data.make_moons(200, noise=0.1, seed=0)
model = MLP(2, [8, 8, 1], seed=0)
fit(model, X, y, losses.binary_cross_entropy_with_logits, optim.Adam(model.parameters(), lr=0.05),
    epochs=25, batch_size=16, progress=False, seed=0)
plot.network(model, X, y).savefig(HERE / "network.png", dpi=80)
