"""Pictures of training: loss curves, decision boundaries, activation and gradient histograms,
convolution filters and feature maps.

Each function returns a `matplotlib.figure.Figure` built without pyplot (no global state,
no GUI backend needed): a notebook shows it, `fig.savefig("name.png")` writes it.
matplotlib is the `plot` extra and is imported only when a function is called.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from autograd import Value, no_grad, sum_values
from nn.activations import ACTIVATIONS
from nn.module import Layer, Module
from nn.training import History, predict

if TYPE_CHECKING:
    from matplotlib.figure import Figure

__all__ = [
    "PLOT_MISSING",
    "attention",
    "decision_boundary",
    "feature_maps",
    "filters",
    "gradient_through_time",
    "history",
    "layer_stats",
    "network",
]

PLOT_MISSING = "nn.plot needs matplotlib: pip install 'glassgrad[plot]'"

TRAIN_COLOUR, VAL_COLOUR = "#1f77b4", "#d62728"
CLASS_COLOURS = ["#3b75af", "#ef8636", "#519e3e", "#c53a32", "#8d69b8", "#84584e", "#d57fbe"]


def _figure(width: float, height: float) -> Figure:
    try:
        from matplotlib.figure import Figure
    except ImportError as error:
        raise ImportError(PLOT_MISSING) from error
    return Figure(figsize=(width, height), layout="constrained")


def history(h: History) -> Figure:
    """Train and validation curves per epoch: one panel for the loss, one per metric."""
    if not isinstance(h, History):
        raise TypeError(f"history needs the History returned by fit, got {type(h).__name__}")
    if h.epochs == 0:
        raise ValueError("history: nothing to plot, the History has no epochs")
    names = history_panels(h)
    fig = _figure(5.0 * len(names), 3.8)
    axes = fig.subplots(1, len(names), squeeze=False)[0]
    draw_history(list(axes), h, names)
    return fig


def history_panels(h: History) -> list[str]:
    """The panels `history` draws: the loss, then each metric."""
    return ["loss", *(name for name in h.train if name != "loss")]


def draw_history(axes: list[Any], h: History, names: list[str]) -> None:
    """Draw the train and validation curves of each of `names` on its own axes."""
    epochs = list(range(1, h.epochs + 1))
    for ax, name in zip(axes, names):
        ax.plot(epochs, h.train[name], color=TRAIN_COLOUR, label=f"train {name}")
        last = f"train {h.train[name][-1]:.4g}"
        if name in h.val:
            ax.plot(
                epochs, h.val[name], color=VAL_COLOUR, linestyle="--", label=f"validation {name}"
            )
            last += f", validation {h.val[name][-1]:.4g}"
        ax.set_title(f"{name} (last epoch: {last})")
        ax.set_xlabel("epoch")
        ax.set_ylabel(name)
        ax.grid(alpha=0.3)
        ax.legend()
        if (
            name == "loss"
            and min(h.train[name]) > 0
            and max(h.train[name]) > 20 * min(h.train[name])
        ):
            ax.set_yscale("log")


def _output_activation(model: Module) -> str | None:
    """The activation of the model's last neuron ('sigmoid', 'linear', ...), if it has one."""
    last = None
    for _, module in model.named_modules():
        last = getattr(module, "activation", last)
    return last if isinstance(last, str) else None


def decision_boundary(
    model: Module,
    X: Sequence[Sequence[float]],
    y: Sequence[Any],
    *,
    resolution: int = 50,
    threshold: float | None = None,
    val: tuple[Sequence[Sequence[float]], Sequence[Any]] | None = None,
) -> Figure:
    """The classes a 2-D classifier predicts over the plane, with the points `(X, y)` on top.

    One output: class 1 where it is above `threshold` (default 0.5 after a sigmoid, else
    0: logits, tanh, hinge); shading shows the output itself and the line is the decision
    boundary. Several outputs: the argmax class. `resolution` points per side are predicted.
    With `val=(X_val, y_val)`, `(X, y)` are the training points (circles) and the
    validation points are drawn as triangles; the title gives each set's accuracy.
    """
    sets = [("", X, y)] if val is None else [("train", X, y), ("validation", *val)]
    for what, points, labels in sets:
        where = f" ({what})" if what else ""
        if len(points) != len(labels):
            raise ValueError(
                f"decision_boundary: X{where} has {len(points)} points but y has "
                f"{len(labels)} labels"
            )
        if not points or any(len(point) != 2 for point in points):
            raise ValueError(f"decision_boundary needs a non-empty X{where} of 2-D points")
    if isinstance(resolution, bool) or not isinstance(resolution, int) or resolution < 2:
        raise ValueError(f"resolution must be an int >= 2, got {resolution!r}")
    fig = _figure(5.6, 4.8)
    draw_boundary(fig.subplots(), model, X, y, resolution=resolution, threshold=threshold, val=val)
    return fig


def draw_boundary(
    ax: Any,
    model: Module,
    X: Sequence[Sequence[float]],
    y: Sequence[Any],
    *,
    resolution: int = 50,
    threshold: float | None = None,
    val: tuple[Sequence[Sequence[float]], Sequence[Any]] | None = None,
) -> None:
    """Draw `decision_boundary`'s picture on `ax` (checked input assumed)."""
    every = list(X) + (list(val[0]) if val is not None else [])
    xs, ys = [p[0] for p in every], [p[1] for p in every]
    pad_x = 0.1 * (max(xs) - min(xs)) or 1.0
    pad_y = 0.1 * (max(ys) - min(ys)) or 1.0
    grid_x = _linspace(min(xs) - pad_x, max(xs) + pad_x, resolution)
    grid_y = _linspace(min(ys) - pad_y, max(ys) + pad_y, resolution)
    outputs: list[Any] = grid_outputs(model, [[gx, gy] for gy in grid_y for gx in grid_x])
    if threshold is None:
        threshold = 0.5 if _output_activation(model) == "sigmoid" else 0.0

    sets = [("", X, y)] if val is None else [("train", X, y), ("validation", *val)]
    labels = sorted({label for _, _, ys_ in sets for label in ys_})
    several = all(isinstance(o, list) for o in outputs)
    if several:
        classes = [_argmax(o) for o in outputs]
        grid = _rows(classes, resolution)
        levels = [k - 0.5 for k in range(max(classes) + 2)]
        ax.contourf(grid_x, grid_y, grid, levels=levels, colors=CLASS_COLOURS, alpha=0.25)
    else:
        scores = [float(o) for o in outputs]
        grid = _rows(scores, resolution)
        # Shade by how far the output is from the threshold, blue below and red above;
        # the scale stops at the 90th percentile so that a few far corners do not wash
        # out the rest of the picture.
        distances = sorted(abs(s - threshold) for s in scores)
        spread = distances[int(0.9 * (len(distances) - 1))] or 1.0
        levels = [threshold + spread * (k / 10 - 1) for k in range(21)]
        shading = ax.contourf(
            grid_x, grid_y, grid, levels=levels, cmap="RdBu_r", extend="both", alpha=0.35
        )
        ax.contour(grid_x, grid_y, grid, levels=[threshold], colors="black", linewidths=1.5)
        bar = ax.figure.colorbar(shading, ax=ax, shrink=0.85)
        bar.set_label(f"model output (the black line: {threshold:g})")

    accuracies = []
    for what, points_of_set, labels_of_set in sets:
        predictions: list[Any] = predict(model, points_of_set)
        if several:
            correct = sum(_argmax(p) == t for p, t in zip(predictions, labels_of_set))
        else:
            positive = [float(t) > 0.0 for t in labels_of_set]
            correct = sum((float(p) > threshold) == t for p, t in zip(predictions, positive))
        accuracies.append((what, correct / len(labels_of_set), len(labels_of_set)))
        marker = "^" if what == "validation" else "o"
        for index, label in enumerate(labels):
            points = [p for p, t in zip(points_of_set, labels_of_set) if t == label]
            ax.scatter(
                [p[0] for p in points],
                [p[1] for p in points],
                s=26 if marker == "^" else 18,
                marker=marker,
                color=CLASS_COLOURS[index % len(CLASS_COLOURS)],
                edgecolors="black",
                linewidths=0.5,
                label=f"class {label}" + (f", {what}" if what else ""),
            )
    if val is None:
        _, accuracy, count = accuracies[0]
        ax.set_title(f"decision boundary (accuracy {accuracy:.3f} on these {count} points)")
    else:
        shown = ", ".join(
            f"{what} {accuracy:.3f} ({count} points)" for what, accuracy, count in accuracies
        )
        ax.set_title(f"decision boundary\naccuracy: {shown}", fontsize="medium")
    ax.set_xlabel("x1")
    ax.set_ylabel("x2")
    ax.legend(loc="best", fontsize="small")


def layer_stats(
    model: Module,
    X: Sequence[Sequence[float]],
    y: Sequence[Any] | None = None,
    loss: Callable[[Any, Any], Value] | None = None,
    *,
    max_examples: int = 200,
) -> Figure:
    """Histograms of each layer's outputs and of their gradients, to spot vanishing,
    exploding or dead units.

    The gradients are those of `loss(predictions, y)` when both are given, else of the sum
    of the outputs. At most `max_examples` examples of `X` are used. The model's own
    parameter gradients are left as they were.
    """
    if (y is None) != (loss is None):
        raise ValueError("layer_stats: pass both y and loss, or neither")
    layers = list(getattr(model, "layers", [model]))
    examples = list(X[:max_examples])
    if not examples:
        raise ValueError("layer_stats needs at least one example")
    saved = [(p, p.grad) for p in model.parameters()]
    outputs: list[list[Value]] = [[] for _ in layers]
    predictions = []
    try:
        for x in examples:
            current: Any = [Value(float(v)) for v in x]
            for index, layer in enumerate(layers):
                current = layer(current)
                if isinstance(current, Value):
                    current = [current]
                outputs[index].extend(current)
            predictions.append(current[0] if len(current) == 1 else current)
        if loss is not None and y is not None:
            total = loss(predictions, list(y[: len(examples)]))
        else:
            total = sum_values(outputs[-1])
        total.backward()
        data = [[v.data for v in values] for values in outputs]
        grads = [[v.grad for v in values] for values in outputs]
    finally:
        for p, grad in saved:
            p.grad = grad

    # Small multiples: one row per layer, each panel on its own scale, so a narrow layer is
    # not squeezed into a spike by a wide one; the numbers that compare layers are in the titles.
    fig = _figure(10.0, 0.4 + 1.7 * len(layers))
    axes = fig.subplots(len(layers), 2, squeeze=False)
    for index, (layer, (ax_data, ax_grad)) in enumerate(zip(layers, axes)):
        name = f"layers.{index}"
        activation = getattr(layer, "activation", None)
        if isinstance(activation, str):
            name += f" ({activation})"
        shown = data[index]
        if activation == "relu":  # the zeros are a spike of their own: counted, not drawn
            shown = [v for v in shown if v != 0.0] or shown
        _histogram(ax_data, shown)
        _histogram(ax_grad, grads[index])
        ax_data.set_title(f"{name} outputs: {_describe(data[index], dead=activation)}", fontsize=9)
        ax_grad.set_title(f"{name} gradients: {_describe(grads[index])}", fontsize=9)
        ax_grad.set_yscale("log")  # gradients pile up near 0; the tails are what tell
        for ax in (ax_data, ax_grad):
            ax.set_ylabel("density", fontsize=8)
            ax.tick_params(labelsize=8)
            ax.grid(alpha=0.3)
    axes[-1][0].set_xlabel("value of the layer's outputs")
    axes[-1][1].set_xlabel("gradient arriving at the layer's outputs")
    fig.suptitle("Each layer on its own scale: compare the spreads (std) in the titles")
    return fig


# -- the Playground view ----------------------------------------------------------------

NEGATIVE, POSITIVE = "#f59322", "#0877bd"
"""Orange for negative and blue for positive, in maps and edges alike (as in Playground)."""


def network(
    model: Module,
    X: Sequence[Sequence[float]] | None = None,
    y: Sequence[Any] | None = None,
    *,
    resolution: int = 30,
) -> Figure:
    """A 2-input network drawn the way TensorFlow Playground draws it.

    Each neuron is a small map of its output over the input plane (orange negative, blue
    positive, white zero); the two inputs come first and the output's map, larger, shows the
    points `(X, y)` and the decision boundary. Lines join neurons: blue for a positive
    weight, orange for a negative one, thicker for a larger one. The plane spans `X` (or
    [-2, 2] squared without it), `resolution` points a side. `model` is an `MLP` (or any
    module whose `layers` are all `Layer`s).
    """
    layers = getattr(model, "layers", None)
    if (
        not isinstance(model, Module)
        or not layers
        or not all(isinstance(layer, Layer) for layer in layers)
    ):
        raise TypeError(
            f"network draws a model made of layers of neurons (an MLP), got {type(model).__name__}"
        )
    nin = len(layers[0].neurons[0].w)
    if nin != 2:
        raise ValueError(f"network draws 2-input models (the input plane), this one has {nin}")
    if isinstance(resolution, bool) or not isinstance(resolution, int) or resolution < 2:
        raise ValueError(f"resolution must be an int >= 2, got {resolution!r}")
    if (X is None) != (y is None):
        raise ValueError("network: pass both X and y, or neither")
    if X is not None and y is not None:
        if len(X) != len(y):
            raise ValueError(f"network: X has {len(X)} points but y has {len(y)} labels")
        if not X or any(len(point) != 2 for point in X):
            raise ValueError("network needs a non-empty X of 2-D points")
        xs, ys = [p[0] for p in X], [p[1] for p in X]
        pad_x = 0.1 * (max(xs) - min(xs)) or 1.0
        pad_y = 0.1 * (max(ys) - min(ys)) or 1.0
        box = (min(xs) - pad_x, max(xs) + pad_x, min(ys) - pad_y, max(ys) + pad_y)
    else:
        box = (-2.0, 2.0, -2.0, 2.0)
    grid_x = _linspace(box[0], box[1], resolution)
    grid_y = _linspace(box[2], box[3], resolution)
    points = [[gx, gy] for gy in grid_y for gx in grid_x]

    # maps[c][j]: the j-th map of column c over the grid (column 0: the inputs themselves).
    maps: list[list[list[float]]] = [[[p[0] for p in points], [p[1] for p in points]]]
    neuron_maps = _neuron_outputs(model, points)
    assert neuron_maps is not None  # a model of layers of neurons, checked above
    maps.extend(neuron_maps)

    from matplotlib.colors import LinearSegmentedColormap, Normalize
    from matplotlib.lines import Line2D

    colours = LinearSegmentedColormap.from_list("playground", [NEGATIVE, "#ffffff", POSITIVE])
    columns = [2, *(len(layer.neurons) for layer in layers)]
    tallest = max(columns)
    last = len(columns) - 1
    cell, gap, output_cell = 0.62, 0.16, 2.4  # inches
    margin_top, margin_side = 0.5, 0.25
    column_gap = max(1.0, 0.25 * tallest)
    height = margin_top + max(tallest * (cell + gap), output_cell + 0.6) + 0.2
    width = 2 * margin_side + last * (cell + column_gap) + output_cell
    fig = _figure(width, height)
    fig.set_layout_engine("none")

    # Each map's box in inches from the bottom left: (left, bottom, size).
    places: list[list[tuple[float, float, float]]] = []
    for c, count in enumerate(columns):
        size = output_cell if c == last and count == 1 else cell
        left = margin_side + c * (cell + column_gap)
        span = count * size + (count - 1) * gap
        top = height - margin_top - (height - margin_top - 0.2 - span) / 2
        places.append([(left, top - (j + 1) * size - j * gap, size) for j in range(count)])

    titles = ["inputs", *(_layer_title(i, layer, last) for i, layer in enumerate(layers, 1))]
    for c, column in enumerate(places):
        left, _, size = column[0]
        fig.text(
            (left + size / 2) / width,
            1 - 0.25 / height,
            titles[c],
            ha="center",
            va="center",
            fontsize=9,
        )

    # Edges first, underneath the maps: one line per weight.
    weights = [abs(w.data) for layer in layers for n in layer.neurons for w in n.w]
    biggest = max(weights) or 1.0
    for c, layer in enumerate(layers, start=1):
        for j, neuron in enumerate(layer.neurons):
            tl, tb, ts = places[c][j]
            for i, w in enumerate(neuron.w):
                sl, sb, ss = places[c - 1][i]
                strength = abs(w.data) / biggest
                fig.add_artist(
                    Line2D(
                        [(sl + ss) / width, tl / width],
                        [(sb + ss / 2) / height, (tb + ts / 2) / height],
                        transform=fig.transFigure,
                        color=POSITIVE if w.data > 0 else NEGATIVE,
                        linewidth=0.3 + 3.2 * strength,
                        alpha=0.25 + 0.65 * strength,
                        zorder=0,
                    )
                )

    threshold = 0.5 if _output_activation(model) == "sigmoid" else 0.0
    for c, column in enumerate(places):
        for j, (left, bottom, size) in enumerate(column):
            ax = fig.add_axes((left / width, bottom / height, size / width, size / height))
            values = maps[c][j]
            is_output = c == last and len(column) == 1
            centre = threshold if is_output else 0.0
            reach = max(abs(v - centre) for v in values) or 1.0
            ax.imshow(
                _rows(values, resolution),
                origin="lower",
                extent=box,
                aspect="auto",
                cmap=colours,
                norm=Normalize(centre - reach, centre + reach),
                interpolation="bilinear",
            )
            ax.set_xticks([])
            ax.set_yticks([])
            if c == 0:
                ax.set_ylabel(f"x{j + 1}", rotation=0, ha="right", va="center", fontsize=9)
            elif not is_output and not any(values):
                ax.text(
                    0.5,
                    0.5,
                    "0 everywhere",
                    transform=ax.transAxes,
                    ha="center",
                    va="center",
                    fontsize=6,
                    color="#888888",
                )
            if is_output:
                ax.contour(
                    grid_x,
                    grid_y,
                    _rows(values, resolution),
                    levels=[threshold],
                    colors="black",
                    linewidths=1.0,
                )
                if X is not None and y is not None:
                    labels = sorted(set(y))
                    for index, label in enumerate(labels):
                        chosen = [p for p, t in zip(X, y) if t == label]
                        ax.scatter(
                            [p[0] for p in chosen],
                            [p[1] for p in chosen],
                            s=12,
                            color=[NEGATIVE, POSITIVE, *CLASS_COLOURS][index % 9],
                            edgecolors="white",
                            linewidths=0.5,
                        )
                ax.set_xlim(box[0], box[1])
                ax.set_ylim(box[2], box[3])
    return fig


def grid_outputs(model: Module, points: list[list[float]]) -> list[Any]:
    """The model's output at each point: a float, or a list of floats for several outputs."""
    maps = _neuron_outputs(model, points)
    if maps is None:
        return list(predict(model, points))
    last = maps[-1]
    if len(last) == 1:
        return last[0]
    return [[column[k] for column in last] for k in range(len(points))]


def _neuron_outputs(model: Module, points: list[list[float]]) -> list[list[list[float]]] | None:
    """Every neuron's output at each point, layer by layer, for a model of layers of
    neurons (None for any other model).

    On floats, with each neuron's own weights and activation (the ops take floats too):
    building a graph per point of a grid would take seconds.
    """
    layers = getattr(model, "layers", None)
    if not layers or not all(isinstance(layer, Layer) for layer in layers):
        return None
    neurons = [
        [([w.data for w in n.w], n.b.data, ACTIVATIONS[n.activation]) for n in layer.neurons]
        for layer in layers
    ]
    maps = [[[0.0] * len(points) for _ in layer] for layer in neurons]
    for k, point in enumerate(points):
        current: list[float] = point
        for c, layer_weights in enumerate(neurons):
            outputs = []
            for j, (w, b, activate) in enumerate(layer_weights):
                z = sum(wi * xi for wi, xi in zip(w, current)) + b
                out = z if activate is None else float(activate(z))  # type: ignore[arg-type]
                maps[c][j][k] = out
                outputs.append(out)
            current = outputs
    return maps


def _layer_title(number: int, layer: Any, last: int) -> str:
    activation = getattr(layer, "activation", "")
    name = "output" if number == last else f"layer {number}"
    return f"{name} ({activation})" if activation else name


def _histogram(ax: Any, values: list[float]) -> None:
    low, high = min(values), max(values)
    if high - low < 1e-12:  # a constant: one narrow bar instead of a failed binning
        low, high = low - 0.5, high + 0.5
    ax.hist(
        values,
        bins=40,
        range=(low, high),
        density=True,
        histtype="step",
        linewidth=1.5,
    )


def _describe(values: list[float], dead: str | None = None) -> str:
    n = len(values)
    mean = sum(values) / n
    std = math.sqrt(sum((v - mean) ** 2 for v in values) / n)
    text = f"mean {mean:.3g}, std {std:.3g}"
    if dead == "relu":
        text += f", {sum(v == 0.0 for v in values) / n:.0%} zero"
    elif dead in ("tanh", "sigmoid"):
        low, high = (-0.97, 0.97) if dead == "tanh" else (0.03, 0.97)
        text += f", {sum(not low < v < high for v in values) / n:.0%} saturated"
    return text


def _argmax(values: list[float]) -> int:
    return max(range(len(values)), key=values.__getitem__)


def _linspace(start: float, stop: float, n: int) -> list[float]:
    return [start + (stop - start) * i / (n - 1) for i in range(n)]


def _rows(values: list[Any], width: int) -> list[list[Any]]:
    return [values[i : i + width] for i in range(0, len(values), width)]


# -- sequences: attention maps and gradients through time --------------------------------


def attention(
    weights: Sequence[Sequence[float]] | Sequence[Sequence[Sequence[float]]],
    tokens: Sequence[str],
    *,
    title: str = "attention",
) -> Figure:
    """Heatmaps of attention weights: row t shows how much position t reads each position s.

    `weights` is one head's T x T matrix, or a list of them (`MultiHeadAttention.last_weights`),
    one panel per head; `tokens` names the T positions on both axes.
    """
    heads = _as_heads(weights)
    size = len(heads[0])
    if isinstance(tokens, str) or len(tokens) != size:
        raise ValueError(
            f"attention: the weights are {size} x {size} but there are "
            f"{len(tokens)} tokens; pass one label per position"
        )
    labels = [str(token) for token in tokens]
    fig = _figure(0.6 + 2.9 * len(heads), 3.3)
    axes = fig.subplots(1, len(heads), squeeze=False)[0]
    images = []
    for index, (ax, head) in enumerate(zip(axes, heads)):
        image = ax.imshow(head, cmap="viridis", vmin=0.0, vmax=1.0)
        ax.set_xticks(range(size), labels, fontsize=8)
        ax.set_yticks(range(size), labels if index == 0 else [""] * size, fontsize=8)
        ax.set_title(f"head {index}" if len(heads) > 1 else title, fontsize=10)
        ax.set_xlabel("attends to (s)", fontsize=8)
        images.append(image)
    axes[0].set_ylabel("position (t)", fontsize=8)
    fig.colorbar(images[-1], ax=list(axes), shrink=0.8, label="weight")
    if len(heads) > 1:
        fig.suptitle(title)
    return fig


def _as_heads(weights: Any) -> list[list[list[float]]]:
    """`weights` as a list of square matrices of floats, or a ValueError saying why not."""
    if not isinstance(weights, Sequence) or not weights:
        raise ValueError("attention needs a T x T matrix of weights or a list of them")
    heads = weights if isinstance(weights[0][0], Sequence) else [weights]
    size = len(heads[0])
    result = []
    for head in heads:
        if len(head) != size or any(len(row) != size for row in head):
            raise ValueError(f"attention: every head must be a {size} x {size} matrix")
        result.append([[float(w.data if isinstance(w, Value) else w) for w in row] for row in head])
    return result


def gradient_through_time(
    history_of_grads: Sequence[float] | Sequence[Sequence[float]] | Mapping[str, Any],
    *,
    title: str = "gradient size per time step",
) -> Figure:
    """How big d(loss)/d(h_t) is at each step t, on a log scale: a vanishing gradient is a
    line falling towards step 0.

    Pass one list of sizes per step (`nn.recurrent.gradient_norms(outputs)`), a list of such
    lists (snapshots during training, drawn light to dark), or a dict name -> either, one
    panel per name on a shared scale (to compare RNN, GRU and LSTM).
    """
    if isinstance(history_of_grads, Mapping):
        panels = [(str(name), _snapshots(value)) for name, value in history_of_grads.items()]
    else:
        panels = [("", _snapshots(history_of_grads))]
    if not panels:
        raise ValueError("gradient_through_time: nothing to plot")
    fig = _figure(0.8 + 3.8 * len(panels), 3.6)
    axes = fig.subplots(1, len(panels), squeeze=False, sharey=True)[0]
    floor = min(
        (g for _, snaps in panels for snap in snaps for g in snap if g > 0.0), default=1e-12
    )
    for ax, (name, snapshots) in zip(axes, panels):
        count = len(snapshots)
        for index, sizes in enumerate(snapshots):
            shade = 0.25 + 0.75 * (index + 1) / count
            label = None
            if count > 1 and index in (0, count - 1):
                label = "first" if index == 0 else "last"
            ax.plot(
                range(len(sizes)),
                [max(g, floor) for g in sizes],
                color=(0.12 * shade, 0.35 * shade, 0.75 * shade),
                alpha=0.4 + 0.6 * (index + 1) / count,
                marker="o" if count == 1 else None,
                markersize=3,
                label=label,
            )
        ax.set_yscale("log")
        ax.set_xlabel("time step t")
        ax.set_title(name or title, fontsize=10)
        ax.grid(alpha=0.3, which="both")
        if count > 1:
            ax.legend(fontsize=8, title="snapshot", title_fontsize=8)
    axes[0].set_ylabel("|d loss / d h_t|")
    if len(panels) > 1:
        fig.suptitle(title)
    return fig


def _snapshots(value: Any) -> list[list[float]]:
    if not isinstance(value, Sequence) or isinstance(value, str) or not value:
        raise ValueError(
            "gradient_through_time needs a list of gradient sizes per step, a list of such "
            f"lists, or a dict of them; got {value!r:.60}"
        )
    snapshots = value if isinstance(value[0], Sequence) else [value]
    result = []
    for snap in snapshots:
        if not snap or any(isinstance(g, bool) or not isinstance(g, (int, float)) for g in snap):
            raise ValueError("gradient_through_time: each snapshot must be a list of numbers")
        result.append([float(g) for g in snap])
    return result


def _image_data(x: Any) -> list[list[list[float]]]:
    return [[[_number(v) for v in row] for row in channel] for channel in x]


def _number(v: Any) -> float:
    return v.data if isinstance(v, Value) else float(v)


def _grid(count: int, columns: int, size: float, title_room: float = 0.5) -> tuple[Figure, Any]:
    columns = max(1, min(columns, count))
    rows = math.ceil(count / columns)
    fig = _figure(size * columns + 0.4, size * rows + title_room)
    axes = fig.subplots(rows, columns, squeeze=False)
    for ax in axes.flat:
        ax.axis("off")
    return fig, axes


def filters(conv: Module, *, columns: int = 8) -> Figure:
    """The filters of a `Conv2d`, red for positive weights and blue for negative (one shared
    scale): for one input channel a grid of `columns` per row, else one row per filter
    and one column per input channel."""
    weight = getattr(conv, "weight", None)
    if not hasattr(conv, "kernel_size") or not isinstance(weight, list):
        raise TypeError(f"filters needs a Conv2d, got {type(conv).__name__}")
    kernels = [_image_data(f) for f in weight]  # kernels[o][c][ki][kj]
    limit = max(abs(w) for f in kernels for c in f for row in c for w in row) or 1.0
    out_channels, in_channels = len(kernels), len(kernels[0])
    if in_channels == 1:
        fig, grid = _grid(out_channels, columns, 1.3, title_room=0.6)
        panels = [(ax, kernel[0], f"filter {o}") for o, (ax, kernel) in enumerate(
            zip(grid.flat, kernels))]  # fmt: skip
    else:
        fig = _figure(1.3 * in_channels + 1.2, 1.3 * out_channels + 0.6)
        grid = fig.subplots(out_channels, in_channels, squeeze=False)
        panels = [(grid[o][c], kernel, f"filter {o}, channel {c}")
                  for o, f in enumerate(kernels) for c, kernel in enumerate(f)]  # fmt: skip
    shown: Any = None
    for ax, kernel, title in panels:
        ax.axis("on")
        shown = ax.imshow(kernel, cmap="RdBu_r", vmin=-limit, vmax=limit)
        ax.set_xticks([])
        ax.set_yticks([])
        ax.set_title(title, fontsize=9)
    fig.colorbar(shown, ax=grid, shrink=0.8)
    fig.suptitle("Filters (red: positive, blue: negative)")
    return fig


def feature_maps(conv: Module, image: Any, *, columns: int = 8) -> Figure:
    """An image `x[c][i][j]` and what `conv` makes of it: its input channels, then one
    panel per output channel (feature map), computed without recording a graph."""
    if not callable(conv):
        raise TypeError(f"feature_maps needs a Conv2d, got {type(conv).__name__}")
    with no_grad():
        maps = _image_data(conv(image))
    inputs = _image_data(image)
    fig, axes = _grid(len(inputs) + len(maps), columns, 1.5)
    for k, (ax, picture) in enumerate(zip(axes.flat, [*inputs, *maps])):
        ax.axis("on")
        ax.set_xticks([])
        ax.set_yticks([])
        if k < len(inputs):
            ax.imshow(picture, cmap="gray_r")
            ax.set_title("input" if len(inputs) == 1 else f"input {k}", fontsize=9)
        else:
            ax.imshow(picture, cmap="viridis")
            ax.set_title(f"map {k - len(inputs)}", fontsize=9)
    fig.suptitle(f"{type(conv).__name__} feature maps")
    return fig
