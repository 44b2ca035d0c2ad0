"""Modules: the `Module` base that finds and names parameters, and the layers built on it.

A Module finds its parameters (Values) and submodules in its public attributes: a Value,
a Module, or a list or tuple of them (nested to any depth, as in a weight matrix), in the
order they were assigned. So
`named_parameters()` yields dotted names such as `layers.0.neurons.3.w.1`, and
`state_dict()` / `load_state_dict()` use the same names.

Assigning such an attribute also sets each parameter's `label` to its dotted name
relative to the outermost module, and tells each neuron its path, so the nodes it makes
are labelled `layers.0.neurons.3.sum` and `layers.0.neurons.3.relu`: `draw_dot` groups the
graph by those prefixes. (Mutating a list in place, `model.layers[0] = ...`, does not
relabel: assign the whole list again.)
"""

from __future__ import annotations

import math
import numbers
import os
import random
import weakref
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from typing import Any, ClassVar, NamedTuple, cast

from autograd import Value, dot, sample
from nn.activations import ACTIVATIONS, check_activation
from nn.init import Initializer, get_initializer

__all__ = [
    "MLP",
    "Dropout",
    "Layer",
    "LoadResult",
    "Module",
    "Neuron",
    "Sequential",
    "StateDictError",
    "is_frozen",
]

Input = Value | float
"""One input of a module: a Value or a plain number."""


_FROZEN: weakref.WeakSet[Value] = weakref.WeakSet()
"""The parameters frozen by `Module.freeze()` (weak: a dropped model leaves no trace)."""


def is_frozen(parameter: Value) -> bool:
    """True if `parameter` was frozen by `Module.freeze()` and not unfrozen since."""
    return parameter in _FROZEN


class StateDictError(ValueError):
    """A state dict or model file does not fit the model (nothing was loaded), or a path
    cannot hold a model file (nothing was saved)."""


class LoadResult(NamedTuple):
    """What `load_state_dict(..., strict=False)` skipped."""

    missing: list[str]
    unexpected: list[str]


def _join(prefix: str, name: str) -> str:
    return f"{prefix}.{name}" if prefix else name


def _held(name: str, value: object) -> Iterator[tuple[str, Value | Module]]:
    """The Values and Modules in `value`, itself one or a list of them nested to any depth
    (a weight matrix `weight[out][in]` is named `weight.<out>.<in>`), in order."""
    stack: list[tuple[str, object]] = [(name, value)]
    while stack:
        path, item = stack.pop()
        if isinstance(item, (Value, Module)):
            yield path, item
        elif isinstance(item, (list, tuple)):
            stack.extend(
                (f"{path}.{index}", inner) for index, inner in reversed(list(enumerate(item)))
            )


def _direct_members(module: Module) -> Iterator[tuple[str, Value | Module]]:
    """The Values and Modules held by `module`'s public attributes, with their names."""
    for name, value in vars(module).items():
        if not name.startswith("_"):
            yield from _held(name, value)


def _walk(root: Value | Module, prefix: str) -> Iterator[tuple[str, Value | Module]]:
    """Every module and parameter under `root`, depth first in attribute order, each once."""
    seen: set[int] = set()
    stack: list[tuple[str, Value | Module]] = [(prefix, root)]
    while stack:
        path, item = stack.pop()
        if id(item) in seen:
            continue
        seen.add(id(item))
        yield path, item
        if isinstance(item, Module):
            children = list(_direct_members(item))
            stack.extend((_join(path, name), child) for name, child in reversed(children))


def _held_in_order(module: Module) -> list[Value | Module]:
    """`_direct_members(module)` without the names: what `parameters()` and `train()` need."""
    found: list[Value | Module] = []
    for name, value in vars(module).items():
        if name.startswith("_"):
            continue
        if isinstance(value, (Value, Module)):
            found.append(value)
            continue
        if not isinstance(value, (list, tuple)):
            continue
        lists = [iter(value)]  # nested lists depth first, without recursion
        while lists:
            for inner in lists[-1]:
                if isinstance(inner, (Value, Module)):
                    found.append(inner)
                elif isinstance(inner, (list, tuple)):
                    lists.append(iter(inner))
                    break
            else:
                lists.pop()
    return found


def _walk_unnamed(root: Module) -> list[Value | Module]:
    """What `_walk(root, "")` yields, in the same order, without building a name for each.

    A model of a few thousand parameters is walked in a fraction of the time: `fit`,
    optimizers and micrograd-style loops call `parameters()` and `train()` often.
    """
    seen: set[int] = set()
    order: list[Value | Module] = []
    pending: list[Iterator[Value | Module]] = [iter((root,))]  # one per module being expanded
    while pending:
        for item in pending[-1]:
            if id(item) in seen:
                continue
            seen.add(id(item))
            order.append(item)
            if isinstance(item, Module):
                pending.append(iter(_held_in_order(item)))
                break
        else:
            pending.pop()
    return order


def _relabel(prefix: str, root: Value | Module) -> None:
    """Give every parameter under `root` its dotted name and every module its path."""
    for path, item in _walk(root, prefix):
        if isinstance(item, Value):
            item.label = path
        else:
            object.__setattr__(item, "_path", path)
            item._path_changed()


def _is_number(value: object) -> bool:
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        return False
    try:
        return math.isfinite(float(value))
    except OverflowError:  # an int or Fraction too large for a float
        return False


def _names(keys: Iterable[object], limit: int = 8) -> str:
    """The first `limit` keys, each repr shortened, and how many more there are."""
    shown: list[str] = []
    more = 0
    for key in keys:
        if len(shown) < limit:
            shown.append(_short_repr(key))
        else:
            more += 1
    return ", ".join(shown) + (f" and {more} more" if more > 0 else "")


def _short_repr(value: object, width: int = 60) -> str:
    try:
        text = repr(value)
    except ValueError:  # an int past Python's str conversion limit
        return f"<{type(value).__name__} too long to show>"
    return text if len(text) <= width else f"{text[:40]}...{text[-12:]} ({len(text)} chars)"


def as_inputs(x: Sequence[Input], n: int, module: Module) -> list[Value]:
    """`x` as a list of `n` Values (numbers become constant leaves), or a clear error."""
    if isinstance(x, (Value, str)) or not isinstance(x, Iterable):
        raise TypeError(
            f"{module._describe()} expects a list of {n} numbers or Values, got {type(x).__name__}"
        )
    items = list(x)
    if len(items) != n:
        raise ValueError(f"{module._describe()} expects {n} inputs, got {len(items)}")
    return [item if isinstance(item, Value) else Value(item) for item in items]


GLOBAL_RANDOM = cast(random.Random, random)
"""Python's global generator: the `random` module's functions are the methods of its hidden
`Random`, so weights drawn from it follow `random.seed(...)`, as micrograd's do."""


def _weights_rng(rng: random.Random | None) -> random.Random:
    return GLOBAL_RANDOM if rng is None else rng


def _activation_of(activation: str, nonlin: bool | None, module: str) -> str:
    """The activation named by `activation` or by micrograd's `nonlin` (relu or linear)."""
    if isinstance(activation, bool):
        raise TypeError(
            f"{module}: activation must be a name such as 'relu'; for micrograd's nonlin "
            f"write nonlin={activation} (a keyword)"
        )
    activation = check_activation(activation)
    if nonlin is None:
        return activation
    if not isinstance(nonlin, bool):
        raise TypeError(f"{module}: nonlin must be True or False, got {nonlin!r}")
    wanted = "relu" if nonlin else "linear"
    if activation not in ("relu", wanted):  # 'relu' is the default, which nonlin overrides
        raise ValueError(
            f"{module}: nonlin={nonlin} means activation={wanted!r}, which contradicts "
            f"activation={activation!r}: give one of them"
        )
    return wanted


def _check_count(value: object, what: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ValueError(f"{what} must be a positive int, got {value!r}")
    return value


class Module:
    """Base class: parameters, names, train/eval mode, state dicts and files.

    Subclasses assign their parameters and submodules as attributes and define
    `__call__`; everything else comes from here.
    """

    training: bool = True
    """True in training mode (the default), False after `eval()`; Dropout looks at it."""

    _path: str = ""
    _expand_in_repr: ClassVar[bool] = True

    def __setattr__(self, name: str, value: Any) -> None:
        object.__setattr__(self, name, value)
        if not name.startswith("_") and isinstance(value, (Value, Module, list, tuple)):
            for path, item in _held(_join(self._path, name), value):
                _relabel(path, item)

    def _path_changed(self) -> None:
        """Hook: this module's dotted path (`self._path`) was just set."""

    def _describe(self) -> str:
        return f"{type(self).__name__} {self._path}" if self._path else type(self).__name__

    def __call__(self, x: Any) -> Any:
        raise NotImplementedError(f"{type(self).__name__} does not define __call__")

    # -- parameters ----------------------------------------------------------------------

    def named_modules(self) -> Iterator[tuple[str, Module]]:
        """(dotted name, module) for this module ('') and every submodule, each once."""
        for path, item in _walk(self, ""):
            if isinstance(item, Module):
                yield path, item

    def named_parameters(self) -> Iterator[tuple[str, Value]]:
        """(dotted name, Value) for every parameter, each once, e.g. `layers.0.neurons.3.w.1`."""
        for path, item in _walk(self, ""):
            if isinstance(item, Value):
                yield path, item

    def parameters(self) -> list[Value]:
        """Every parameter, each once, in a fixed order (the order of `named_parameters`)."""
        return [item for item in _walk_unnamed(self) if isinstance(item, Value)]

    def zero_grad(self) -> None:
        """Set every parameter's gradient to 0.0 (gradients accumulate otherwise)."""
        for p in self.parameters():
            p.grad = 0.0

    # -- freezing (transfer learning) ----------------------------------------------------

    def freeze(self) -> Module:
        """Freeze every parameter of this module: optimizers and `fit` leave them as they are.

        For transfer learning: `model.features.freeze()` keeps pretrained filters fixed
        while the head trains. A frozen layer fed plain numbers records no graph (nothing
        before it needs a gradient), so backward does no work for it. Returns `self`.
        """
        _FROZEN.update(self.parameters())
        return self

    def unfreeze(self) -> Module:
        """Make every parameter of this module trainable again. Returns `self`."""
        for p in self.parameters():
            _FROZEN.discard(p)
        return self

    def trainable_parameters(self) -> list[Value]:
        """The parameters that are not frozen, in `parameters()` order: give these to an
        optimizer."""
        return [p for p in self.parameters() if p not in _FROZEN]

    # -- modes ---------------------------------------------------------------------------

    def train(self, mode: bool = True) -> Module:
        """Put this module and every submodule in training mode (or eval with False)."""
        training = bool(mode)
        for item in _walk_unnamed(self):
            if isinstance(item, Module):
                object.__setattr__(item, "training", training)
        return self

    def eval(self) -> Module:
        """Evaluation mode: Dropout becomes the identity."""
        return self.train(False)

    # -- state -------------------------------------------------------------------------

    def state_dict(self) -> dict[str, float]:
        """Parameter name -> value, in parameter order: a snapshot to save or restore."""
        return {name: p.data for name, p in self.named_parameters()}

    def load_state_dict(self, state: Mapping[str, float], strict: bool = True) -> LoadResult:
        """Set parameters from `state` (as made by `state_dict`), or change nothing.

        With `strict` (the default) missing and unexpected names are errors; without it
        they are skipped and returned. Values that are not finite numbers are always
        errors. Every check runs before the first parameter is touched.
        """
        if not isinstance(state, Mapping):
            raise TypeError(f"load_state_dict needs a dict, got {type(state).__name__}")
        params = dict(self.named_parameters())
        missing = [name for name in params if name not in state]
        unexpected = [name for name in state if name not in params]
        bad = [name for name in params if name in state and not _is_number(state[name])]
        problems = []
        if strict and missing:
            problems.append(f"missing {len(missing)} key(s): {_names(missing)}")
        if strict and unexpected:
            problems.append(f"unexpected {len(unexpected)} key(s): {_names(unexpected)}")
        if bad:
            shown = ", ".join(f"{name}={_short_repr(state[name])}" for name in bad[:8])
            shown += f" and {len(bad) - 8} more" if len(bad) > 8 else ""
            problems.append(f"{len(bad)} value(s) are not finite numbers: {shown}")
        if problems:
            raise StateDictError(
                f"cannot load into {type(self).__name__}: {'; '.join(problems)}. "
                "Nothing was changed."
            )
        for name, p in params.items():
            if name in state:
                p.data = float(state[name])
        return LoadResult(missing, [str(name) for name in unexpected])

    def save(self, path: str | os.PathLike[str]) -> None:
        """Write the parameters to `path` as JSON, atomically (a crash leaves the old file)."""
        from nn.persistence import save_state

        save_state(self, path)

    def load(self, path: str | os.PathLike[str]) -> Module:
        """Load parameters saved by `save` into this model, or raise and change nothing."""
        from nn.persistence import load_state

        load_state(self, path)
        return self

    # -- display -------------------------------------------------------------------------

    def extra_repr(self) -> str:
        """What goes inside the parentheses of this module's repr."""
        return ""

    def __repr__(self) -> str:
        children = [
            (name, item)
            for name, item in _direct_members(self)
            if isinstance(item, Module) and self._expand_in_repr
        ]
        extra = self.extra_repr()
        if not children:
            return f"{type(self).__name__}({extra})"
        lines = [f"{type(self).__name__}("]
        if extra:
            lines.append(f"  {extra}")
        for name, child in children:
            body = repr(child).replace("\n", "\n  ")
            lines.append(f"  ({name}): {body}")
        return "\n".join(lines) + "\n)"


class Neuron(Module):
    """activation(w · x + b): `w` is a list of Values, `b` a Value starting at 0.

    `init` names an initializer from `nn.init` (None: the default for the activation) or
    is a function; `rng` draws the weights (None: Python's global `random`, so
    `random.seed(...)` makes them reproducible). micrograd's `nonlin=True` / `nonlin=False`
    means `activation="relu"` / `"linear"`. The weighted sum is one `dot` node labelled
    `<path>.sum`, the activation one node labelled `<path>.<activation>` (none for `linear`).
    """

    _expand_in_repr = False

    def __init__(
        self,
        nin: int,
        activation: str = "relu",
        init: str | Initializer | None = None,
        rng: random.Random | None = None,
        *,
        nout: int = 1,
        nonlin: bool | None = None,
    ) -> None:
        self.nin = _check_count(nin, "nin")
        self.activation = _activation_of(activation, nonlin, "Neuron")
        draw = get_initializer(init, self.activation)
        rng = _weights_rng(rng)
        fan_out = _check_count(nout, "nout")
        self.w = [Value(draw(self.nin, fan_out, rng)) for _ in range(self.nin)]
        self.b = Value(0.0)
        self._activate = ACTIVATIONS[self.activation]
        self._path_changed()

    def _path_changed(self) -> None:
        # Labels are computed here, once, rather than formatted on every call.
        self._sum_label = _join(self._path, "sum")
        self._activation_label = _join(self._path, self.activation)

    def __call__(self, x: Sequence[Input]) -> Value:
        """The neuron's output for one input vector."""
        return self._forward(as_inputs(x, self.nin, self))

    def _forward(self, xs: list[Value]) -> Value:
        out = dot(self.w, xs, self.b)
        out.label = self._sum_label
        activate = self._activate
        if activate is None:
            return out
        out = activate(out)
        out.label = self._activation_label
        return out

    @property
    def nonlin(self) -> bool:
        """micrograd's flag: False for a linear neuron, True when an activation is applied."""
        return self.activation != "linear"

    def extra_repr(self) -> str:
        return f"nin={self.nin}, activation={self.activation!r}"


class Layer(Module):
    """`nout` neurons reading the same `nin` inputs; they share `activation` and `init`.

    `rng` and `nonlin` are as for `Neuron`."""

    _expand_in_repr = False

    def __init__(
        self,
        nin: int,
        nout: int,
        activation: str = "relu",
        init: str | Initializer | None = None,
        rng: random.Random | None = None,
        *,
        nonlin: bool | None = None,
    ) -> None:
        self.nin = _check_count(nin, "nin")
        self.nout = _check_count(nout, "nout")
        self.activation = _activation_of(activation, nonlin, "Layer")
        rng = _weights_rng(rng)
        self.neurons = [
            Neuron(self.nin, self.activation, init, rng, nout=self.nout) for _ in range(self.nout)
        ]

    def __call__(self, x: Sequence[Input]) -> Value | list[Value]:
        """One Value for a one-neuron layer, else a list with one Value per neuron."""
        outs = self._forward(as_inputs(x, self.nin, self))
        return outs[0] if len(outs) == 1 else outs

    def _forward(self, xs: list[Value]) -> list[Value]:
        return [neuron._forward(xs) for neuron in self.neurons]

    @property
    def nonlin(self) -> bool:
        """micrograd's flag: False for a linear layer, True when an activation is applied."""
        return self.activation != "linear"

    def extra_repr(self) -> str:
        return f"nin={self.nin}, nout={self.nout}, activation={self.activation!r}"


class MLP(Module):
    """A multilayer perceptron: layers of sizes `nouts`, each feeding the next.

    Hidden layers use `activation`, the last one `output_activation` (relu then linear,
    as in micrograd). `seed` makes the initial weights reproducible; without it they come
    from Python's global `random`, so `random.seed(1337)` before `MLP(...)` does too.
    `MLP(2, [16, 16, 1])` has 337 parameters.
    """

    def __init__(
        self,
        nin: int,
        nouts: Sequence[int],
        activation: str = "relu",
        output_activation: str = "linear",
        init: str | Initializer | None = None,
        seed: int | None = None,
    ) -> None:
        self.nin = _check_count(nin, "nin")
        if isinstance(nouts, (str, bytes)) or not isinstance(nouts, Sequence) or not nouts:
            raise ValueError(f"nouts must be a non-empty list of layer sizes, got {nouts!r}")
        sizes = [self.nin, *(_check_count(n, "each layer size in nouts") for n in nouts)]
        check_activation(activation)
        check_activation(output_activation)
        rng = _weights_rng(None if seed is None else random.Random(seed))
        last = len(sizes) - 2
        self.layers = [
            Layer(sizes[i], sizes[i + 1], activation if i < last else output_activation, init, rng)
            for i in range(len(sizes) - 1)
        ]

    def __call__(self, x: Sequence[Input]) -> Value | list[Value]:
        """One Value when the last layer has one neuron, else a list of Values."""
        xs = as_inputs(x, self.nin, self)
        for layer in self.layers:
            xs = layer._forward(xs)
        return xs[0] if len(xs) == 1 else xs

    def extra_repr(self) -> str:
        sizes = [layer.nout for layer in self.layers]
        return f"nin={self.nin}, nouts={sizes}"


class Dropout(Module):
    """Inverted dropout: in training, each input is zeroed with probability `p` and the
    rest are scaled by 1 / (1 - p), so the expected output equals the input and `eval()`
    can simply pass inputs through. Each output is `x * mask`, labelled `<path>.dropout`.
    """

    def __init__(self, p: float = 0.5, seed: int | None = None) -> None:
        if not _is_number(p) or not 0.0 <= float(p) <= 1.0:
            raise ValueError(f"Dropout p must be a probability in [0, 1], got {p!r}")
        self.p = float(p)
        self._scale = 0.0 if self.p == 1.0 else 1.0 / (1.0 - self.p)
        self._rng = random.Random(seed)
        self._path_changed()

    def _path_changed(self) -> None:
        self._label = _join(self._path, "dropout")
        self._mask_label = _join(self._path, "mask")

    def __call__(self, x: Input | Sequence[Input]) -> Value | list[Value]:
        """The dropped-out inputs: a Value for a Value, a list for a list."""
        if isinstance(x, (Value, int, float)):
            return self._forward([x if isinstance(x, Value) else Value(x)])[0]
        xs = as_inputs(x, len(x), self)
        return self._forward(xs)

    def _forward(self, xs: list[Value]) -> list[Value]:
        if not self.training or self.p == 0.0:
            return xs
        outs = []
        for v in xs:
            # The mask comes through `sample`, so a traced program draws it afresh per call.
            out = v * sample(self._draw_mask, self._mask_label)
            out.label = self._label
            outs.append(out)
        return outs

    def _draw_mask(self) -> float:
        return self._scale if self._rng.random() >= self.p else 0.0

    def extra_repr(self) -> str:
        return f"p={self.p}"


class Sequential(Module):
    """Modules applied one after another, e.g. `Sequential(Layer(2, 16), Dropout(0.2), ...)`.

    Each module's output feeds the next (a single Value is passed on as a one-item list).
    The modules are in `layers`, so parameter names match those of an MLP.
    """

    def __init__(self, *modules: Callable[..., Any]) -> None:
        if not modules:
            raise ValueError("Sequential needs at least one module")
        self.layers = list(modules)

    def __call__(self, x: Any) -> Any:
        out = x
        for index, module in enumerate(self.layers):
            if index and isinstance(out, Value):
                out = [out]
            out = module(out)
        return out
