"""Model files: a save keeps modes and symlinks, never leaves a torn file even under
SIGKILL, and every bad file is one StateDictError naming it (issue 10, items 5-9)."""

from __future__ import annotations

import json
import os
import random
import signal
import stat
import subprocess
import sys
import textwrap
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from nn import MLP, StateDictError
from nn.persistence import size_limit


def model(seed: int = 0) -> MLP:
    return MLP(2, [3, 1], seed=seed)


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.fixture
def umask() -> Iterator[None]:
    """Run under umask 022 and put the old one back."""
    old = os.umask(0o022)
    yield
    os.umask(old)


# -- 5. permissions ----------------------------------------------------------------------


@pytest.mark.parametrize("permissions", [0o600, 0o640, 0o604])
def test_save_keeps_the_mode_of_an_existing_file(
    tmp_path: Path, permissions: int, umask: None
) -> None:
    path = tmp_path / "private.json"
    path.write_text("old")
    path.chmod(permissions)
    model().save(path)
    assert mode(path) == permissions
    assert model(1).load(path).state_dict() == model().state_dict()


@pytest.mark.parametrize(("mask", "expected"), [(0o022, 0o644), (0o077, 0o600), (0o002, 0o664)])
def test_a_new_file_gets_the_default_mode_under_the_umask(
    tmp_path: Path, mask: int, expected: int, umask: None
) -> None:
    os.umask(mask)
    path = tmp_path / "new.json"
    model().save(path)
    assert mode(path) == expected


# -- 6. symlinks and files that are not regular --------------------------------------------


def test_save_through_a_symlink_replaces_the_file_it_points_to(tmp_path: Path) -> None:
    (tmp_path / "real").mkdir()
    target = tmp_path / "real" / "model.json"
    target.write_text("old")
    target.chmod(0o600)
    link = tmp_path / "latest.json"
    link.symlink_to(target)
    model().save(link)
    assert link.is_symlink() and os.readlink(link) == str(target)
    assert mode(target) == 0o600
    assert model(1).load(target).state_dict() == model().state_dict()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["latest.json", "real"]


def test_save_through_a_dangling_symlink_creates_its_target(tmp_path: Path) -> None:
    link = tmp_path / "link.json"
    link.symlink_to(tmp_path / "made.json")
    model().save(link)
    assert link.is_symlink() and (tmp_path / "made.json").is_file()


def test_save_refuses_a_fifo_or_a_directory(tmp_path: Path) -> None:
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    with pytest.raises(StateDictError, match=r"pipe.*not a regular file"):
        model().save(fifo)
    assert stat.S_ISFIFO(fifo.lstat().st_mode)
    with pytest.raises(StateDictError, match="is a directory"):
        model().save(tmp_path)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["pipe"]


def test_load_refuses_a_fifo_without_blocking(tmp_path: Path) -> None:
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    with pytest.raises(StateDictError, match=r"pipe: not a regular file"):
        model().load(fifo)


# -- 7. numbers too large, nesting too deep, not UTF-8 ---------------------------------------


def _file_with(tmp_path: Path, value_text: str) -> Path:
    state = {name: 0.5 for name in model().state_dict()}
    text = json.dumps({"format": "glassgrad.state_dict", "version": 1, "parameters": state})
    first = json.dumps(next(iter(state)))
    path = tmp_path / "m.json"
    path.write_text(text.replace(f"{first}: 0.5", f"{first}: {value_text}", 1))
    return path


@pytest.mark.parametrize(
    ("value_text", "pattern"),
    [
        ("1" + "0" * 400, r"m\.json.*not finite numbers: layers\.0\.neurons\.0\.w\.0='1000"),
        ("1e400", r"m\.json.*not finite numbers.*'1e400'"),
        ("-1e400", r"not finite numbers.*'-1e400'"),
        ("9" * 5000, r"m\.json"),  # past Python's int conversion limit
        ("NaN", r"m\.json: not a readable model file.*NaN"),
        ("Infinity", r"m\.json: not a readable model file.*Infinity"),
    ],
)
def test_numbers_a_float_cannot_hold_are_state_dict_errors(
    tmp_path: Path, value_text: str, pattern: str
) -> None:
    path = _file_with(tmp_path, value_text)
    m = model()
    before = m.state_dict()
    with pytest.raises(StateDictError, match=pattern):
        m.load(path)
    assert m.state_dict() == before


def test_load_state_dict_with_a_huge_int_is_a_state_dict_error() -> None:
    m = model()
    state = m.state_dict()
    before = dict(state)
    state[next(iter(state))] = 10**400  # type: ignore[assignment]
    with pytest.raises(StateDictError, match=r"not finite numbers.*\(401 chars\)"):
        m.load_state_dict(state)
    assert m.state_dict() == before


def test_deeply_nested_file_is_a_state_dict_error(tmp_path: Path) -> None:
    path = tmp_path / "deep.json"
    path.write_text("[" * 20_000 + "]" * 20_000)
    with pytest.raises(StateDictError, match=r"deep\.json.*nested too deeply"):
        model().load(path)


def test_file_that_is_not_utf8_is_a_state_dict_error(tmp_path: Path) -> None:
    path = tmp_path / "latin1.json"
    path.write_bytes(b'{"format": "caf\xe9"}')
    with pytest.raises(StateDictError, match=r"latin1\.json.*not UTF-8.*0xe9 at offset 15"):
        model().load(path)


# -- 8. a file far too large is refused before it is read ------------------------------------


def test_a_file_far_larger_than_the_model_needs_is_refused_unread(tmp_path: Path) -> None:
    m = model()
    limit = size_limit(m)
    saved = tmp_path / "ok.json"
    m.save(saved)
    assert saved.stat().st_size * 4 < limit  # a real file is far below the limit
    path = tmp_path / "huge.json"
    with path.open("wb") as file:  # sparse: large on paper, nothing to parse
        file.truncate(200 * 1024 * 1024)
    before = m.state_dict()
    with pytest.raises(StateDictError, match=r"huge\.json: 209715200 bytes is far more.*MLP"):
        m.load(path)
    assert m.state_dict() == before


# -- 9. temporary files and the missing-directory error -------------------------------------


def test_missing_directory_error_names_the_target(tmp_path: Path) -> None:
    target = tmp_path / "no" / "such" / "model.json"
    with pytest.raises(FileNotFoundError, match=r"directory .*no/such.* does not exist") as info:
        model().save(target)
    assert info.value.filename == str(target)
    assert ".tmp" not in str(info.value)


SAVE_LOOP = textwrap.dedent(
    """
    import sys
    from nn import MLP
    m = MLP(2, [3, 1], seed=0)
    print("ready", flush=True)
    k = 0
    while True:
        k += 1
        for p in m.parameters():
            p.data = float(k)
        m.save(sys.argv[1])
    """
)


def test_sigkill_during_a_save_loop_never_leaves_a_torn_file(tmp_path: Path) -> None:
    path = tmp_path / "model.json"
    start = model()
    for p in start.parameters():
        p.data = 0.0
    start.save(path)
    rng = random.Random(10)
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    for _ in range(4):
        child = subprocess.Popen(
            [sys.executable, "-c", SAVE_LOOP, str(path)], stdout=subprocess.PIPE, env=env
        )
        assert child.stdout is not None and child.stdout.readline() == b"ready\n"
        time.sleep(rng.uniform(0.02, 0.2))
        child.send_signal(signal.SIGKILL)
        child.wait()
        child.stdout.close()
        values = set(model(1).load(path).state_dict().values())
        assert len(values) == 1  # one whole save: every parameter from the same step
        leftovers = [p.name for p in tmp_path.iterdir() if p.name != "model.json"]
        assert all(
            name.startswith("model.json.incomplete-save.") and name.endswith(".tmp")
            for name in leftovers
        ), leftovers


def test_the_temporary_file_is_named_after_the_target(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    renames: list[tuple[str, str]] = []
    replace = os.replace

    def recording_replace(source: str, target: str) -> None:
        renames.append((os.path.basename(source), target))
        replace(source, target)

    monkeypatch.setattr(os, "replace", recording_replace)
    model().save(tmp_path / "weights.json")
    ((temporary, target),) = renames
    assert target == str(tmp_path / "weights.json")
    assert temporary.startswith("weights.json.incomplete-save.") and temporary.endswith(".tmp")
