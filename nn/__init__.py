"""glassgrad's training library, built only on the public API of `autograd`.

    >>> from nn import MLP, data, fit, losses, optim
    >>> (X, y), val, _ = data.train_val_test_split(*data.make_moons(200, seed=0), seed=0)
    >>> model = MLP(2, [16, 16, 1], seed=0)
    >>> history = fit(model, X, y, losses.binary_cross_entropy_with_logits,
    ...               optim.Adam(model.parameters(), lr=0.05), epochs=30, val_data=val,
    ...               progress=False)

Modules (`Module`, `Neuron`, `Layer`, `MLP`, `Dropout`, `Sequential`, `Linear`, `Conv2d`,
`MaxPool2d`, `AvgPool2d`, `Flatten`, `Unflatten`, `Embedding`, `LayerNorm`, `RMSNorm`, `RNN`,
`GRU`, `LSTM`, `MultiHeadAttention`, `GPT`) are here; losses,
optimizers, datasets and initializers are in `nn.losses`, `nn.optim`, `nn.data` and
`nn.init`; softmax, log_softmax and other functions of a vector in `nn.functional`;
callbacks for `fit` (early stopping, checkpoints, TensorBoard) in `nn.callbacks`.
"""

from nn import callbacks, data, functional, init, losses, optim, plot
from nn.attention import MultiHeadAttention
from nn.callbacks import Callback, EarlyStopping, ModelCheckpoint, TensorBoard
from nn.conv import Conv2d
from nn.embedding import Embedding
from nn.flatten import Flatten, Unflatten
from nn.gpt import GPT
from nn.linear import Linear
from nn.module import MLP, Dropout, Layer, LoadResult, Module, Neuron, Sequential, StateDictError
from nn.normalization import LayerNorm, RMSNorm
from nn.pooling import AvgPool2d, MaxPool2d
from nn.recurrent import GRU, LSTM, RNN
from nn.sweep import SweepResult, sweep
from nn.torch_bridge import from_torch, to_torch
from nn.training import History, accuracy, cross_validate, fit, predict

__all__ = [
    "GPT",
    "GRU",
    "LSTM",
    "MLP",
    "RNN",
    "AvgPool2d",
    "Callback",
    "Conv2d",
    "Dropout",
    "EarlyStopping",
    "Embedding",
    "Flatten",
    "History",
    "Layer",
    "LayerNorm",
    "Linear",
    "LoadResult",
    "MaxPool2d",
    "ModelCheckpoint",
    "Module",
    "MultiHeadAttention",
    "Neuron",
    "RMSNorm",
    "Sequential",
    "StateDictError",
    "SweepResult",
    "TensorBoard",
    "Unflatten",
    "accuracy",
    "callbacks",
    "cross_validate",
    "data",
    "fit",
    "from_torch",
    "functional",
    "init",
    "losses",
    "optim",
    "plot",
    "predict",
    "sweep",
    "to_torch",
]
