"""`to_torch` and `from_torch`: the same network as a PyTorch module, and back.

For the day a model outgrows scalars: `to_torch(model)` builds a float64 `torch.nn.Module`
with the same weights, whose outputs equal glassgrad's (to rounding, 1e-12), and
`from_torch(module)` reads such a module back into glassgrad. The torch side takes a
batch: glassgrad's output for one example `x` is row `i` of `torch_model(X)`, shape
(batch, outputs), for `x = X[i]`.

| glassgrad | torch |
|---|---|
| `Layer(nin, nout, act)`, `Neuron` (nout 1) | `Sequential(Linear(nin, nout), <act>)` |
| `MLP(nin, [h, ..., out])` | `Sequential(Linear, <act>, Linear, <act>, ..., Linear, <out act>)` |
| `Linear`, `Dropout(p)`, `Sequential(...)` | `Linear`, `Dropout(p)`, `Sequential(...)` |
| `Embedding`, `LayerNorm`, `RMSNorm` | the same names, same `weight` / `bias` |
| `RNN`, `GRU`, `LSTM` (one layer) | the same names; `weight_ih` is `weight_ih_l0`, ... |

`<act>` is `ReLU`, `Tanh`, `Sigmoid`, or `Identity` for "linear". Reading back, a
`Sequential` of (Linear, activation) pairs is an `MLP` (one pair: a `Layer`), and a final
`Linear` without an activation is a linear output. The recurrent cells take one sequence
on the glassgrad side and an unbatched (steps, features) tensor, or a batch, on torch's.
Attention and GPT have no torch counterpart here. Needs `pip install 'glassgrad[torch]'`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from nn.conv import Conv2d
from nn.embedding import Embedding
from nn.flatten import Flatten, Unflatten
from nn.linear import Linear
from nn.module import MLP, Dropout, Layer, Module, Neuron, Sequential
from nn.normalization import LayerNorm, RMSNorm
from nn.pooling import AvgPool2d, MaxPool2d
from nn.recurrent import GRU, LSTM, RNN

if TYPE_CHECKING:
    import torch

__all__ = ["from_torch", "to_torch"]

_TORCH_ACTIVATIONS = {"relu": "ReLU", "tanh": "Tanh", "sigmoid": "Sigmoid", "linear": "Identity"}

_RECURRENT_PARAMETERS = {
    "weight_ih": "weight_ih_l0",
    "weight_hh": "weight_hh_l0",
    "bias_ih": "bias_ih_l0",
    "bias_hh": "bias_hh_l0",
}
# Modules whose parameters already have PyTorch's layout: class -> (torch class name,
# glassgrad attribute -> torch parameter name). Conversion copies them table by table.
_SAME_LAYOUT: dict[type[Module], tuple[str, dict[str, str]]] = {
    Embedding: ("Embedding", {"weight": "weight"}),
    LayerNorm: ("LayerNorm", {"weight": "weight", "bias": "bias"}),
    RMSNorm: ("RMSNorm", {"weight": "weight"}),
    RNN: ("RNN", _RECURRENT_PARAMETERS),
    GRU: ("GRU", _RECURRENT_PARAMETERS),
    LSTM: ("LSTM", _RECURRENT_PARAMETERS),
}


def _new_torch_module(torch: Any, module: Module) -> Any:
    """The empty float64 torch counterpart of a same-layout glassgrad module."""
    nn = torch.nn
    if isinstance(module, Embedding):
        return nn.Embedding(module.num_embeddings, module.embedding_dim, dtype=torch.float64)
    if isinstance(module, (LayerNorm, RMSNorm)):
        kind = nn.LayerNorm if isinstance(module, LayerNorm) else nn.RMSNorm
        return kind(module.dim, eps=module.eps, dtype=torch.float64)
    assert isinstance(module, (RNN, GRU, LSTM))
    extra = {"nonlinearity": module.nonlinearity} if isinstance(module, RNN) else {}
    kind = getattr(nn, _SAME_LAYOUT[type(module)][0])
    return kind(module.input_size, module.hidden_size, dtype=torch.float64, **extra)


def _new_glassgrad_module(torch: Any, module: Any) -> Module | None:
    """The glassgrad counterpart of a torch module with the same layout, or None."""
    nn = torch.nn
    kind = type(module)
    if kind is nn.Embedding:
        return Embedding(module.num_embeddings, module.embedding_dim)
    if kind in (nn.LayerNorm, nn.RMSNorm):
        shape = tuple(module.normalized_shape)
        affine = module.elementwise_affine and (kind is nn.RMSNorm or module.bias is not None)
        if len(shape) != 1 or not affine:
            return None
        eps = module.eps if module.eps is not None else torch.finfo(torch.float64).eps
        return (LayerNorm if kind is nn.LayerNorm else RMSNorm)(shape[0], eps=eps)
    if kind in (nn.RNN, nn.GRU, nn.LSTM):
        if module.num_layers != 1 or module.bidirectional or not module.bias:
            return None
        if getattr(module, "proj_size", 0):
            return None
        if kind is nn.RNN:
            return RNN(module.input_size, module.hidden_size, module.nonlinearity)
        return (GRU if kind is nn.GRU else LSTM)(module.input_size, module.hidden_size)
    return None


def _copy_into_values(table: Any, numbers: Any) -> None:
    """Set the Values of a (nested) list from a same-shaped nested list of floats."""
    pending = [(table, numbers)]
    while pending:
        values, floats = pending.pop()
        if not isinstance(values, list):
            values.data = float(floats)
            continue
        if len(values) != len(floats):
            raise ValueError(f"from_torch: a table of {len(values)} rows got {len(floats)}")
        pending.extend(zip(values, floats))


def _data_of(table: Any) -> Any:
    """A nested list of Values (a few levels: rows, or filters) as the same nesting of floats."""
    if isinstance(table, list):
        return [_data_of(item) for item in table]
    return table.data


def _torch() -> Any:
    try:
        import torch
    except ImportError:
        raise ImportError(
            "to_torch and from_torch need PyTorch: pip install 'glassgrad[torch]'"
        ) from None
    return torch


def _tensor(torch: Any, rows: Any) -> Any:
    return torch.tensor(rows, dtype=torch.float64)


def _linear(torch: Any, weight: list[list[float]], bias: list[float] | None) -> Any:
    out_features, in_features = len(weight), len(weight[0])
    linear = torch.nn.Linear(in_features, out_features, bias=bias is not None, dtype=torch.float64)
    with torch.no_grad():
        linear.weight.copy_(_tensor(torch, weight))
        if bias is not None:
            linear.bias.copy_(_tensor(torch, bias))
    return linear


def _layer_modules(torch: Any, layer: Layer | Neuron) -> list[Any]:
    neurons = [layer] if isinstance(layer, Neuron) else layer.neurons
    weight = [[w.data for w in neuron.w] for neuron in neurons]
    bias = [neuron.b.data for neuron in neurons]
    activation = getattr(torch.nn, _TORCH_ACTIVATIONS[layer.activation])()
    return [_linear(torch, weight, bias), activation]


def _convert_to_torch(torch: Any, module: Any) -> Any:
    if isinstance(module, (Layer, Neuron)):
        return torch.nn.Sequential(*_layer_modules(torch, module))
    if isinstance(module, MLP):
        parts = [part for layer in module.layers for part in _layer_modules(torch, layer)]
        return torch.nn.Sequential(*parts)
    if isinstance(module, Linear):
        bias = [b.data for b in module.bias] if hasattr(module, "bias") else None
        return _linear(torch, [[w.data for w in row] for row in module.weight], bias)
    if isinstance(module, Dropout):
        return torch.nn.Dropout(module.p)
    if isinstance(module, Conv2d):
        has_bias = hasattr(module, "bias")
        conv = torch.nn.Conv2d(module.in_channels, module.out_channels, module.kernel_size,
                               module.stride, module.padding, bias=has_bias,
                               dtype=torch.float64)  # fmt: skip
        with torch.no_grad():
            conv.weight.copy_(_tensor(torch, _data_of(module.weight)))
            if has_bias:
                conv.bias.copy_(_tensor(torch, _data_of(module.bias)))
        if module.activation == "linear":
            return conv
        return torch.nn.Sequential(conv, getattr(torch.nn, _TORCH_ACTIVATIONS[module.activation])())
    if isinstance(module, (MaxPool2d, AvgPool2d)):
        kind = torch.nn.MaxPool2d if isinstance(module, MaxPool2d) else torch.nn.AvgPool2d
        return kind(module.kernel_size, module.stride)
    if isinstance(module, Flatten):
        return torch.nn.Flatten()
    if isinstance(module, Unflatten):
        return torch.nn.Unflatten(1, module.shape)
    if type(module) in _SAME_LAYOUT:
        converted = _new_torch_module(torch, module)
        with torch.no_grad():
            for ours, theirs in _SAME_LAYOUT[type(module)][1].items():
                getattr(converted, theirs).copy_(_tensor(torch, _data_of(getattr(module, ours))))
        return converted
    if isinstance(module, Sequential):
        return torch.nn.Sequential(*(_convert_to_torch(torch, m) for m in module.layers))
    raise TypeError(
        f"to_torch: no PyTorch counterpart for {type(module).__name__}; it converts "
        "MLP, Layer, Neuron, Linear, Dropout, Conv2d, MaxPool2d, AvgPool2d, Flatten, "
        "Unflatten, Embedding, LayerNorm, RMSNorm, RNN, GRU, LSTM and Sequential of those"
    )


def to_torch(model: Module) -> torch.nn.Module:
    """A float64 `torch.nn.Module` computing what `model` computes, with copies of its weights.

    The torch module is in the same train/eval mode as `model`. Changing either model
    afterwards does not change the other: convert again, or `from_torch` back.
    """
    torch = _torch()
    converted = _convert_to_torch(torch, model)
    converted.train(model.training)
    return converted  # type: ignore[no-any-return]


def _activation_name(torch: Any, module: Any) -> str | None:
    for name, torch_name in _TORCH_ACTIVATIONS.items():
        if type(module) is getattr(torch.nn, torch_name):
            return name
    return None


def _rows(tensor: Any) -> Any:
    return tensor.detach().cpu().double().tolist()


def _layers_of(torch: Any, children: list[Any]) -> list[tuple[Any, str]] | None:
    """(Linear, activation) pairs if `children` are an MLP's pattern, else None."""
    pairs: list[tuple[Any, str]] = []
    index = 0
    while index < len(children):
        linear = children[index]
        if type(linear) is not torch.nn.Linear or linear.bias is None:
            return None
        following = children[index + 1] if index + 1 < len(children) else None
        activation = None if following is None else _activation_name(torch, following)
        if activation is None and following is not None:
            return None
        pairs.append((linear, activation or "linear"))
        index += 2
    sizes_chain = all(
        pairs[i][0].out_features == pairs[i + 1][0].in_features for i in range(len(pairs) - 1)
    )
    hidden = {activation for _, activation in pairs[:-1]}
    if not pairs or not sizes_chain or len(hidden) > 1 or "linear" in hidden:
        return None
    return pairs


def _load_layer(layer: Layer, linear: Any) -> None:
    weight, bias = _rows(linear.weight), _rows(linear.bias)
    for neuron, row, b in zip(layer.neurons, weight, bias):
        for w, value in zip(neuron.w, row):
            w.data = float(value)
        neuron.b.data = float(b)


def _conv_from_torch(torch: Any, module: Any, activation: str) -> Conv2d:
    plain = module.groups == 1 and tuple(module.dilation) == (1, 1)
    if not plain or module.padding_mode != "zeros" or isinstance(module.padding, str):
        raise TypeError("from_torch: only Conv2d with groups=1, dilation=1 and zero padding")
    conv = Conv2d(module.in_channels, module.out_channels, tuple(module.kernel_size),
                  tuple(module.stride), tuple(module.padding), bias=module.bias is not None,
                  activation=activation)  # fmt: skip
    _copy_into_values(conv.weight, _rows(module.weight))
    if module.bias is not None:
        _copy_into_values(conv.bias, _rows(module.bias))
    return conv


def _convert_from_torch(torch: Any, module: Any) -> Module:
    if type(module) is torch.nn.Linear:
        weight = _rows(module.weight)
        linear = Linear(module.in_features, module.out_features, bias=module.bias is not None)
        for row, values in zip(linear.weight, weight):
            for w, value in zip(row, values):
                w.data = float(value)
        if module.bias is not None:
            for b, value in zip(linear.bias, _rows(module.bias)):
                b.data = float(value)
        return linear
    if type(module) is torch.nn.Dropout:
        return Dropout(module.p)
    if type(module) is torch.nn.Conv2d:
        return _conv_from_torch(torch, module, "linear")
    if type(module) in (torch.nn.MaxPool2d, torch.nn.AvgPool2d):
        padding = module.padding if isinstance(module.padding, tuple) else (module.padding,)
        if any(padding) or module.ceil_mode or getattr(module, "dilation", 1) not in (1, (1, 1)):
            raise TypeError("from_torch: only pools without padding, dilation or ceil_mode")
        pool = MaxPool2d if type(module) is torch.nn.MaxPool2d else AvgPool2d
        return pool(module.kernel_size, module.stride)
    if type(module) is torch.nn.Flatten and (module.start_dim, module.end_dim) == (1, -1):
        return Flatten()
    if type(module) is torch.nn.Unflatten and module.dim == 1:
        return Unflatten(tuple(module.unflattened_size))
    same = _new_glassgrad_module(torch, module)
    if same is not None:
        for ours, theirs in _SAME_LAYOUT[type(same)][1].items():
            _copy_into_values(getattr(same, ours), _rows(getattr(module, theirs)))
        return same
    if type(module) is torch.nn.Sequential:
        children = list(module.children())
        pairs = _layers_of(torch, children)
        if pairs is not None and len(pairs) == 1 and len(children) == 2:
            linear, activation = pairs[0]
            layer = Layer(linear.in_features, linear.out_features, activation)
            _load_layer(layer, linear)
            return layer
        if pairs is not None and len(pairs) > 1:
            hidden = pairs[0][1]
            sizes = [linear.out_features for linear, _ in pairs]
            model = MLP(pairs[0][0].in_features, sizes, hidden, pairs[-1][1])
            for layer, (linear, _) in zip(model.layers, pairs):
                _load_layer(layer, linear)
            return model
        if not children:
            raise ValueError("from_torch: an empty torch.nn.Sequential has no glassgrad module")
        pair_activation = _activation_name(torch, children[-1]) if len(children) == 2 else None
        if pair_activation is not None and type(children[0]) is torch.nn.Conv2d:
            return _conv_from_torch(torch, children[0], pair_activation)  # to_torch's Conv2d
        parts: list[Module] = []
        index = 0
        while index < len(children):
            child = children[index]
            following = children[index + 1] if index + 1 < len(children) else None
            then = None if following is None else _activation_name(torch, following)
            if then is not None and type(child) is torch.nn.Conv2d:
                parts.append(_conv_from_torch(torch, child, then))
                index += 2
                continue
            if then is not None and type(child) is torch.nn.Linear:
                if child.bias is None:
                    raise TypeError("from_torch: a Linear before an activation needs a bias")
                parts.append(_convert_from_torch(torch, torch.nn.Sequential(child, following)))
                index += 2
                continue
            parts.append(_convert_from_torch(torch, child))
            index += 1
        return Sequential(*parts)
    raise TypeError(
        f"from_torch: no glassgrad module for torch.nn.{type(module).__name__} here; it reads "
        "Linear, Dropout, Embedding, LayerNorm, RMSNorm, one-layer unidirectional RNN, GRU "
        "and LSTM with biases, and Sequential of those and of (Linear, ReLU/Tanh/Sigmoid/"
        "Identity)"
    )


def from_torch(module: torch.nn.Module) -> Module:
    """A glassgrad module with `module`'s weights (as made by `to_torch`, or by hand).

    Raises, naming the torch class, for a module it cannot represent; nothing is changed.
    """
    torch = _torch()
    if not isinstance(module, torch.nn.Module):
        raise TypeError(f"from_torch needs a torch.nn.Module, got {type(module).__name__}")
    converted = _convert_from_torch(torch, module)
    converted.train(module.training)
    return converted
