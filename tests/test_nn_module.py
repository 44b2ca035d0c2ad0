"""Modules: parameters and their names and labels, calls, initializers, modes, Dropout."""

from __future__ import annotations

import math
import random
import statistics
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from autograd import Value, no_grad
from nn import MLP, Dropout, Layer, Module, Neuron, Sequential
from nn import init as initializers

# -- micrograd compatibility and parameters -------------------------------------------------


def test_micrograd_style_code_runs_unchanged() -> None:
    model = MLP(2, [16, 16, 1])
    out = model([1.0, 2.0])
    assert isinstance(out, Value)
    model.zero_grad()
    out.backward()
    before = [p.data for p in model.parameters()]
    for p in model.parameters():
        p.data -= 0.1 * p.grad
    after = [p.data for p in model.parameters()]
    assert any(a != b for a, b in zip(before, after))


def test_parameter_counts() -> None:
    assert len(MLP(2, [16, 16, 1]).parameters()) == 337
    assert len(Layer(3, 4).parameters()) == 16
    assert len(Neuron(5).parameters()) == 6


def test_dotted_names_and_labels() -> None:
    model = MLP(2, [16, 16, 1], seed=0)
    named = dict(model.named_parameters())
    assert list(named)[:3] == [
        "layers.0.neurons.0.w.0",
        "layers.0.neurons.0.w.1",
        "layers.0.neurons.0.b",
    ]
    assert named["layers.0.neurons.3.w.1"] is model.layers[0].neurons[3].w[1]
    assert list(named)[-1] == "layers.2.neurons.0.b"
    for name, p in named.items():
        assert p.label == name
    assert model.parameters() == list(named.values())


def test_standalone_neuron_labels_and_output_nodes() -> None:
    neuron = Neuron(2, activation="tanh")
    assert [p.label for p in neuron.parameters()] == ["w.0", "w.1", "b"]
    out = neuron([1.0, 2.0])
    assert out.label == "tanh" and out.op == "tanh"
    (weighted_sum,) = out.parents
    assert weighted_sum.label == "sum" and weighted_sum.op == "dot"


def test_output_nodes_are_labelled_with_the_neuron_path() -> None:
    model = MLP(2, [3, 1], seed=1)
    out = model([0.5, -0.5])
    assert isinstance(out, Value)
    assert out.label == "layers.1.neurons.0.sum"  # linear output: only the sum node
    hidden = [p for p in out.parents if p.op == "relu"]
    assert sorted(h.label for h in hidden) == [f"layers.0.neurons.{i}.relu" for i in range(3)]
    assert {h.parents[0].label for h in hidden} == {f"layers.0.neurons.{i}.sum" for i in range(3)}


class Net(Module):
    def __init__(self) -> None:
        self.body = Sequential(Layer(2, 3, rng=random.Random(0)), Dropout(0.5, seed=0))
        self.head = Neuron(3, "linear", rng=random.Random(1))
        self.scale = Value(2.0)

    def __call__(self, x: list[float]) -> Value:
        hidden = self.body(x)
        return self.head(hidden) * self.scale


def test_nesting_relabels_everything_below() -> None:
    net = Net()
    names = [name for name, _ in net.named_parameters()]
    assert names[0] == "body.layers.0.neurons.0.w.0"
    assert names[-5:] == ["head.w.0", "head.w.1", "head.w.2", "head.b", "scale"]
    assert all(p.label == name for name, p in net.named_parameters())
    net.eval()
    out = net([1.0, 2.0])
    assert out.parents[0].label == "head.sum"
    assert {name for name, _ in net.named_modules()} == {
        "",
        "body",
        "body.layers.0",
        "body.layers.1",
        "body.layers.0.neurons.0",
        "body.layers.0.neurons.1",
        "body.layers.0.neurons.2",
        "head",
    }
    # Nesting the whole thing once more prefixes every label again.
    outer = Sequential(net)
    assert net.head.w[0].label == "layers.0.head.w.0"
    assert outer([1.0, 2.0]).parents[0].label == "layers.0.head.sum"


def test_shared_parameters_are_listed_once() -> None:
    neuron = Neuron(2)
    pair = Sequential(neuron, neuron)
    assert len(pair.parameters()) == 3


class _Holder(Module):
    """A module that holds whatever it is given, under the given attribute names."""

    def __init__(self, members: dict[str, object]) -> None:
        for name, member in members.items():
            setattr(self, name, member)

    def __call__(self, x: object) -> object:
        return x


# What a module's attribute may hold: a pool Value, a module made before, something else (the
# int 7: not walked), or lists and tuples of those nested to any depth.
_members = st.recursive(
    st.one_of(st.tuples(st.just("value"), st.integers(0, 5))),
    lambda inner: st.one_of(st.lists(inner, max_size=4), st.tuples(inner, inner)),
    max_leaves=8,
)
_attributes = st.dictionaries(
    st.sampled_from(["a", "b", "layers", "w", "_private"]),
    st.one_of(_members, st.tuples(st.just("module"), st.integers(0, 3)), st.just(7)),
    max_size=4,
)


def _build(spec: object, values: list[Value], modules: list[Module]) -> object:
    if isinstance(spec, tuple) and len(spec) == 2 and spec[0] in ("value", "module"):
        pool: list[Any] = values if spec[0] == "value" else modules
        return pool[spec[1] % len(pool)] if pool else 7
    if isinstance(spec, (list, tuple)):
        built = [_build(inner, values, modules) for inner in spec]
        return built if isinstance(spec, list) else tuple(built)
    return spec


@given(st.lists(_attributes, min_size=1, max_size=5))
def test_parameters_and_train_walk_what_the_named_walk_walks(specs: list[dict[str, Any]]) -> None:
    """`parameters()` and `train()` take a walk without names (faster): it must meet the
    same parameters in the same order, and the same modules, as `named_parameters()` and
    `named_modules()`, whatever is shared, nested, private or not a parameter at all."""
    values = [Value(float(i)) for i in range(6)]
    modules: list[Module] = []
    for spec in specs:  # each module may hold the ones made before it: shared, nested
        modules.append(_Holder({k: _build(v, values, modules) for k, v in spec.items()}))
    root = modules[-1]
    assert root.parameters() == [p for _, p in root.named_parameters()]
    assert [id(p) for p in root.parameters()] == list(dict.fromkeys(map(id, root.parameters())))
    reached = [m for _, m in root.named_modules()]
    for module in modules:
        object.__setattr__(module, "training", True)
    root.eval()
    assert [m for m in modules if not m.training] == [m for m in modules if m in reached]
    root.train()
    assert all(m.training for m in modules)


# -- calling ---------------------------------------------------------------------------------


def test_calls_return_a_value_for_one_output_and_a_list_otherwise() -> None:
    assert isinstance(MLP(2, [4, 1])([1, 2]), Value)
    outs = MLP(2, [4, 3])([1, 2])
    assert isinstance(outs, list) and len(outs) == 3
    assert isinstance(Layer(2, 1)([1, 2]), Value)
    assert len(Layer(2, 5)([Value(1.0), 2])) == 5
    assert isinstance(Neuron(2)((1.0, 2.0)), Value)


def test_neuron_computes_its_formula() -> None:
    for activation, f in [
        ("relu", lambda s: max(s, 0.0)),
        ("tanh", math.tanh),
        ("sigmoid", lambda s: 1 / (1 + math.exp(-s))),
        ("linear", lambda s: s),
    ]:
        neuron = Neuron(3, activation, rng=random.Random(2))
        neuron.b.data = 0.25
        x = [0.5, -1.5, 2.0]
        s = sum(w.data * xi for w, xi in zip(neuron.w, x)) + 0.25
        assert neuron(x).data == pytest.approx(f(s), rel=1e-14, abs=1e-15)


def test_inputs_may_be_values_and_gradients_reach_them() -> None:
    x = [Value(1.0), Value(-2.0)]
    out = MLP(2, [4, 1], activation="tanh", seed=3)(x)
    assert isinstance(out, Value)
    out.backward()
    assert any(xi.grad != 0.0 for xi in x)


@pytest.mark.parametrize("module", [Neuron(2), Layer(2, 3), MLP(2, [3, 1])])
def test_wrong_input_length_is_a_clear_error(module: Module) -> None:
    with pytest.raises(ValueError, match="expects 2 inputs, got 3"):
        module([1.0, 2.0, 3.0])
    with pytest.raises(TypeError, match="expects a list of 2"):
        module(1.0)
    with pytest.raises(TypeError):
        module(["a", "b"])


def test_bad_constructor_arguments_are_clear_errors() -> None:
    with pytest.raises(ValueError, match="unknown activation 'gelu'"):
        Neuron(2, activation="gelu")
    with pytest.raises(ValueError, match="unknown activation"):
        MLP(2, [3, 1], output_activation="softmax")
    with pytest.raises(ValueError, match="unknown init 'glorot'"):
        Layer(2, 3, init="glorot")
    with pytest.raises(TypeError, match="init must be"):
        Neuron(2, init=3)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="nin must be a positive int"):
        Neuron(0)
    with pytest.raises(ValueError, match="nouts"):
        MLP(2, [])
    with pytest.raises(ValueError, match="layer size"):
        MLP(2, [3, 0])
    with pytest.raises(ValueError, match="Sequential needs"):
        Sequential()


# -- initialization -----------------------------------------------------------------------


def weights(model: Module) -> list[float]:
    return [p.data for name, p in model.named_parameters() if not name.endswith("b")]


def test_seed_makes_initialization_reproducible() -> None:
    assert weights(MLP(3, [5, 2], seed=7)) == weights(MLP(3, [5, 2], seed=7))
    assert weights(MLP(3, [5, 2], seed=7)) != weights(MLP(3, [5, 2], seed=8))
    assert all(p.data == 0.0 for name, p in MLP(3, [5, 2]).named_parameters() if name[-1] == "b")


@pytest.mark.parametrize(
    ("init", "expected_std"),
    [
        ("uniform", 1 / math.sqrt(3)),
        ("small", 0.01),
        ("xavier", math.sqrt(2 / (50 + 40))),
        ("xavier_uniform", math.sqrt(2 / (50 + 40))),
        ("xavier_normal", math.sqrt(2 / (50 + 40))),
        ("he", math.sqrt(2 / 50)),
        ("he_normal", math.sqrt(2 / 50)),
        ("he_uniform", math.sqrt(2 / 50)),
    ],
)
def test_initializers_have_their_spread(init: str, expected_std: float) -> None:
    drawn = weights(Layer(50, 40, init=init, rng=random.Random(0)))
    assert abs(statistics.fmean(drawn)) < 4 * expected_std / math.sqrt(len(drawn))
    assert statistics.pstdev(drawn) == pytest.approx(expected_std, rel=0.05)


def test_uniform_initializers_stay_in_their_bounds() -> None:
    assert max(map(abs, weights(Layer(10, 10, init="uniform")))) <= 1.0
    limit = math.sqrt(6 / 20)
    assert max(map(abs, weights(Layer(10, 10, init="xavier_uniform")))) <= limit
    assert max(map(abs, weights(Layer(10, 10, init="he_uniform")))) <= math.sqrt(6 / 10)


def test_default_initializer_follows_the_activation() -> None:
    expected = {"relu": "he", "tanh": "xavier", "sigmoid": "xavier", "linear": "xavier"}
    assert expected == initializers.DEFAULT_FOR_ACTIVATION
    for activation, name in expected.items():
        default = Layer(8, 4, activation, rng=random.Random(5))
        explicit = Layer(8, 4, activation, init=name, rng=random.Random(5))
        assert weights(default) == weights(explicit)


def test_custom_initializer_function() -> None:
    def constant(fan_in: int, fan_out: int, rng: random.Random) -> float:
        return 1.0 / (fan_in * fan_out)

    assert weights(Layer(2, 5, init=constant)) == [0.1] * 10


# -- modes and Dropout ----------------------------------------------------------------------


def test_train_and_eval_reach_every_submodule() -> None:
    net = Net()
    assert net.training and net.body.layers[1].training
    assert net.eval() is net
    assert not any(module.training for _, module in net.named_modules())
    net.train()
    assert all(module.training for _, module in net.named_modules())


def test_dropout_statistics() -> None:
    p, n = 0.3, 20_000
    dropout = Dropout(p, seed=0)
    xs = [Value(1.0) for _ in range(n)]
    outs = dropout(xs)
    assert isinstance(outs, list)
    zeros = sum(out.data == 0.0 for out in outs)
    # Binomial(n, p): 5 standard deviations is about 0.014 here.
    assert abs(zeros / n - p) < 5 * math.sqrt(p * (1 - p) / n)
    assert {out.data for out in outs} == {0.0, 1 / (1 - p)}
    assert statistics.fmean(out.data for out in outs) == pytest.approx(1.0, abs=0.03)
    assert all(out.label == "dropout" for out in outs)
    # Gradients: 1 / (1 - p) through a kept unit, 0 through a dropped one.
    total = outs[0] + outs[1] + outs[2]
    total.backward()
    assert [x.grad for x in xs[:3]] == [out.data for out in outs[:3]]


def test_dropout_is_seeded_and_identity_in_eval() -> None:
    xs = [Value(float(i)) for i in range(1, 101)]
    first = [v.data for v in Dropout(0.5, seed=1)(xs)]
    assert first == [v.data for v in Dropout(0.5, seed=1)(xs)]
    assert first != [v.data for v in Dropout(0.5, seed=2)(xs)]
    dropout = Dropout(0.5).eval()
    assert dropout(xs) == xs
    single = Value(3.0)
    assert dropout(single) is single
    assert Dropout(0.0)(xs) == xs
    assert all(v.data == 0.0 for v in Dropout(1.0)(xs))


@pytest.mark.parametrize("p", [-0.1, 1.5, math.nan, "0.5", True, None])
def test_dropout_rejects_a_bad_p(p: object) -> None:
    with pytest.raises(ValueError, match="probability"):
        Dropout(p)  # type: ignore[arg-type]


def test_dropout_inside_a_network_trains_only_in_training_mode() -> None:
    net = Sequential(
        Layer(2, 16, rng=random.Random(0)),
        Dropout(0.5, seed=0),
        Layer(16, 1, activation="linear", rng=random.Random(1)),
    )
    x = [1.0, -1.0]
    net.train()
    training_outputs = {net(x).data for _ in range(5)}
    net.eval()
    with no_grad():
        eval_outputs = {net(x).data for _ in range(5)}
    assert len(training_outputs) > 1 and len(eval_outputs) == 1


# -- display ------------------------------------------------------------------------------


def test_nested_repr() -> None:
    assert repr(MLP(2, [16, 16, 1])) == (
        "MLP(\n"
        "  nin=2, nouts=[16, 16, 1]\n"
        "  (layers.0): Layer(nin=2, nout=16, activation='relu')\n"
        "  (layers.1): Layer(nin=16, nout=16, activation='relu')\n"
        "  (layers.2): Layer(nin=16, nout=1, activation='linear')\n"
        ")"
    )
    assert repr(Net()).splitlines()[1:3] == [
        "  (body): Sequential(",
        "    (layers.0): Layer(nin=2, nout=3, activation='relu')",
    ]
    assert repr(Neuron(3, "tanh")) == "Neuron(nin=3, activation='tanh')"
    assert repr(Dropout(0.25)) == "Dropout(p=0.25)"


def test_a_matrix_of_parameters_is_found_and_named_by_its_indices() -> None:
    class Matrix(Module):
        def __init__(self) -> None:
            self.weight = [[Value(float(3 * i + j)) for j in range(3)] for i in range(2)]

    class Outer(Module):
        def __init__(self) -> None:
            self.inner = Matrix()

    model = Outer()
    names = [name for name, _ in model.named_parameters()]
    assert names == [f"inner.weight.{i}.{j}" for i in range(2) for j in range(3)]
    assert model.inner.weight[1][2].label == "inner.weight.1.2"
    assert model.state_dict()["inner.weight.1.0"] == 3.0
