"""State dicts and model files: exact round trips, and every bad load changes nothing."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest

from nn import MLP, Neuron, StateDictError


def model() -> MLP:
    return MLP(2, [3, 1], seed=0)


def test_state_dict_round_trip() -> None:
    source, target = MLP(2, [3, 1], seed=1), MLP(2, [3, 1], seed=2)
    state = source.state_dict()
    assert list(state) == [name for name, _ in source.named_parameters()]
    assert all(type(v) is float for v in state.values())
    result = target.load_state_dict(state)
    assert target.state_dict() == state
    assert result.missing == [] and result.unexpected == []
    assert target([0.3, -0.7]).data == source([0.3, -0.7]).data  # type: ignore[union-attr]


def test_state_dict_is_a_snapshot() -> None:
    m = model()
    state = m.state_dict()
    m.parameters()[0].data += 1.0
    assert state != m.state_dict()


def bad_states() -> list[tuple[str, Any, str]]:
    good = model().state_dict()
    missing = dict(good)
    del missing["layers.0.neurons.1.b"]
    extra = {**good, "layers.9.neurons.0.w.0": 1.0}
    non_numeric = {**good, "layers.0.neurons.0.w.0": "0.5", "layers.1.neurons.0.b": None}
    return [
        ("missing", missing, "missing 1 key.*'layers.0.neurons.1.b'"),
        ("unexpected", extra, "unexpected 1 key.*'layers.9.neurons.0.w.0'"),
        ("non-numeric", non_numeric, "not finite numbers.*w.0='0.5'.*b=None"),
        ("nan", {**good, "layers.1.neurons.0.b": float("nan")}, "not finite"),
        ("infinite", {**good, "layers.1.neurons.0.b": float("inf")}, "not finite"),
        ("bool", {**good, "layers.1.neurons.0.b": True}, "not finite"),
    ]


@pytest.mark.parametrize(("case", "state", "message"), bad_states(), ids=lambda x: str(x)[:12])
def test_bad_state_dicts_raise_and_change_nothing(case: str, state: Any, message: str) -> None:
    m = model()
    before = m.state_dict()
    with pytest.raises(StateDictError, match=message):
        m.load_state_dict(state)
    assert m.state_dict() == before


def test_not_a_dict() -> None:
    with pytest.raises(TypeError, match="needs a dict"):
        model().load_state_dict([("layers.0.neurons.0.w.0", 1.0)])  # type: ignore[arg-type]


def test_many_missing_keys_are_summarised() -> None:
    with pytest.raises(StateDictError, match=r"missing 337 key\(s\).* and 329 more"):
        MLP(2, [16, 16, 1]).load_state_dict({})


def test_non_strict_load_skips_and_reports() -> None:
    m = model()
    state = {"layers.0.neurons.0.w.0": 0.5, "other": 1.0}
    result = m.load_state_dict(state, strict=False)
    assert m.layers[0].neurons[0].w[0].data == 0.5
    assert result.unexpected == ["other"]
    assert len(result.missing) == len(m.parameters()) - 1
    with pytest.raises(StateDictError, match="not finite"):
        m.load_state_dict({"layers.0.neurons.0.w.0": "x"}, strict=False)


def test_save_and_load_round_trip_exactly(tmp_path: Path) -> None:
    source = MLP(2, [16, 16, 1], seed=3)
    path = tmp_path / "model.json"
    source.save(path)
    target = MLP(2, [16, 16, 1], seed=4)
    assert target.load(str(path)) is target
    assert target.state_dict() == source.state_dict()  # bit for bit
    document = json.loads(path.read_text())
    assert document["format"] == "glassgrad.state_dict" and document["module"] == "MLP"
    assert [p.name for p in tmp_path.iterdir()] == ["model.json"]  # no temporary left


def test_save_replaces_an_old_file(tmp_path: Path) -> None:
    path = tmp_path / "model.json"
    first, second = model(), MLP(2, [3, 1], seed=9)
    first.save(path)
    second.save(path)
    assert model().load(path).state_dict() == second.state_dict()


def test_a_failed_save_leaves_the_old_file(tmp_path: Path) -> None:
    path = tmp_path / "model.json"
    good = model()
    good.save(path)
    old_text = path.read_text()
    broken = model()
    broken.parameters()[0].data = float("nan")
    with pytest.raises(ValueError, match="NaN or infinite"):
        broken.save(path)
    assert path.read_text() == old_text
    assert os.listdir(tmp_path) == ["model.json"]


def corrupt_files(good_text: str) -> list[tuple[str, str, str]]:
    document = json.loads(good_text)
    missing = json.loads(good_text)
    del missing["parameters"]["layers.1.neurons.0.b"]
    wrong_values = json.loads(good_text)
    wrong_values["parameters"]["layers.1.neurons.0.b"] = "zero"
    return [
        ("truncated", good_text[: len(good_text) // 2], "not a readable model file"),
        ("empty", "", "not a readable model file"),
        ("not json", "hello", "not a readable model file"),
        ("a list", "[1, 2]", "not a glassgrad model file"),
        ("other json", json.dumps({"weights": [1, 2]}), "not a glassgrad model file"),
        ("future version", json.dumps({**document, "version": 99}), "version 99"),
        ("no parameters", json.dumps({**document, "parameters": [1.0]}), "no 'parameters'"),
        ("mismatched", json.dumps(missing), "saved from MLP.*missing 1 key"),
        ("bad value", json.dumps(wrong_values), "not finite numbers.*'zero'"),
        (
            "repeated key",
            good_text.replace('"layers.0.neurons.0.b"', '"layers.0.neurons.0.w.0"'),
            "repeated key",
        ),
    ]


CORRUPT_CASES = [
    "truncated",
    "empty",
    "not json",
    "a list",
    "other json",
    "future version",
    "no parameters",
    "mismatched",
    "bad value",
    "repeated key",
]


@pytest.mark.parametrize("case", CORRUPT_CASES)
def test_corrupt_or_mismatched_files_raise_and_change_nothing(tmp_path: Path, case: str) -> None:
    path = tmp_path / "model.json"
    MLP(2, [3, 1], seed=5).save(path)
    cases = {c: (t, m) for c, t, m in corrupt_files(path.read_text())}
    assert set(cases) == set(CORRUPT_CASES)
    text, message = cases[case]
    path.write_text(text)
    m = model()
    before = m.state_dict()
    with pytest.raises(StateDictError, match=message):
        m.load(path)
    assert m.state_dict() == before


def test_loading_into_a_different_architecture(tmp_path: Path) -> None:
    path = tmp_path / "model.json"
    MLP(2, [3, 1]).save(path)
    with pytest.raises(StateDictError, match="unexpected"):
        Neuron(2).load(path)
    with pytest.raises(StateDictError, match="missing"):
        MLP(2, [4, 1]).load(path)


def test_missing_file_is_a_file_not_found_error(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError):
        model().load(tmp_path / "nope.json")
