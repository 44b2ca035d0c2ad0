"""The public face of `nn`: the names the issue promises, and only public `autograd` inside."""

from __future__ import annotations

import ast
from pathlib import Path

import autograd
import nn

NN_DIR = Path(nn.__file__).parent


def test_promised_names_are_importable() -> None:
    from nn import MLP, Dropout, History, Layer, Module, Neuron, data, losses, optim  # noqa: F401

    assert set(nn.__all__) <= set(dir(nn))
    for name in ["mse", "binary_cross_entropy", "binary_cross_entropy_with_logits",
                 "cross_entropy", "hinge", "l1", "l2"]:  # fmt: skip
        assert callable(getattr(losses, name)), name
    assert {"SGD", "Adam"} <= set(optim.__all__)
    for name in ["make_moons", "make_circles", "make_xor", "load_digits", "standardize",
                 "train_val_test_split", "kfold", "batches"]:  # fmt: skip
        assert callable(getattr(data, name)), name
    for name in ["fit", "cross_validate", "accuracy"]:
        assert callable(getattr(nn, name)), name


def test_every_module_lists_its_public_names() -> None:
    for module in [nn, nn.losses, nn.optim, nn.data, nn.init]:
        for name in module.__all__:
            assert hasattr(module, name), f"{module.__name__}.{name}"


def autograd_uses(path: Path) -> list[str]:
    """Every name `path` takes from autograd, as 'module:name', found in its syntax tree."""
    tree = ast.parse(path.read_text(), filename=str(path))
    uses = []
    aliases = set()
    for node in ast.walk(tree):
        if (
            isinstance(node, ast.ImportFrom)
            and node.module
            and node.module.split(".")[0] == "autograd"
        ):
            uses += [f"{node.module}:{alias.name}" for alias in node.names]
        elif isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.split(".")[0] == "autograd":
                    uses.append(f"{alias.name}:")
                    aliases.add(alias.asname or alias.name)
    for node in ast.walk(tree):
        is_name = isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name)
        if is_name and node.value.id in aliases:  # type: ignore[attr-defined]
            uses.append(f"autograd:{node.attr}")  # type: ignore[attr-defined]
    return uses


def test_nn_imports_only_public_autograd_names() -> None:
    files = sorted(NN_DIR.glob("*.py"))
    assert files
    offenders = []
    for path in files:
        for use in autograd_uses(path):
            module, _, name = use.partition(":")
            if module != "autograd" or name not in autograd.__all__:
                offenders.append(f"{path.name}: {use}")
    assert offenders == [], "nn must use only names in autograd.__all__"


def test_the_checker_catches_private_imports(tmp_path: Path) -> None:
    sample = tmp_path / "sample.py"
    sample.write_text(
        "from autograd.value import leaf\nfrom autograd import _data, Value\n"
        "import autograd\nautograd._secret\n"
    )
    assert autograd_uses(sample) == [
        "autograd.value:leaf",
        "autograd:_data",
        "autograd:Value",
        "autograd:",
        "autograd:_secret",
    ]
