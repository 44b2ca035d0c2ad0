"""Model files: a module's parameters as JSON, written atomically and read back safely.

The file holds `{"format": "glassgrad.state_dict", "version": 1, "module": <class name>,
"parameters": {dotted name: float}}`. Floats round-trip exactly (JSON keeps their repr).
Saving writes a temporary file next to the target and renames it over the target, so a
crash never leaves a half-written model. Loading checks everything before changing the
model, like `load_state_dict`.
"""

from __future__ import annotations

import contextlib
import json
import os
import tempfile
from collections import Counter
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from nn.module import Module

__all__ = ["FORMAT", "VERSION", "load_state", "save_state"]

FORMAT = "glassgrad.state_dict"
VERSION = 1


def save_state(module: Module, path: str | os.PathLike[str]) -> None:
    """Write `module.state_dict()` to `path` as JSON, replacing any old file atomically."""
    document = {
        "format": FORMAT,
        "version": VERSION,
        "module": type(module).__name__,
        "parameters": module.state_dict(),
    }
    try:
        text = json.dumps(document, indent=1, allow_nan=False) + "\n"
    except ValueError:
        raise ValueError(
            f"cannot save {type(module).__name__}: a parameter is NaN or infinite"
        ) from None
    target = os.path.abspath(os.fspath(path))
    directory, name = os.path.split(target)
    fd, temporary = tempfile.mkstemp(prefix=f".{name}.", suffix=".tmp", dir=directory)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as file:
            file.write(text)
            file.flush()
            os.fsync(file.fileno())
        os.chmod(temporary, 0o644)  # mkstemp makes it private; a model file need not be
        os.replace(temporary, target)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(temporary)
        raise


def _no_duplicate_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    counts = Counter(key for key, _ in pairs)
    repeated = sorted(key for key, count in counts.items() if count > 1)
    if repeated:
        raise ValueError(f"repeated key(s) {', '.join(map(repr, repeated))}")
    return dict(pairs)


def load_state(module: Module, path: str | os.PathLike[str]) -> None:
    """Load a file written by `save_state` into `module`, or raise and change nothing."""
    from nn.module import StateDictError

    where = os.fspath(path)
    with open(where, encoding="utf-8") as file:
        text = file.read()
    try:
        document = json.loads(text, object_pairs_hook=_no_duplicate_keys)
    except ValueError as error:  # JSONDecodeError is a ValueError
        raise StateDictError(f"{where}: not a readable model file ({error})") from None
    if not isinstance(document, dict) or document.get("format") != FORMAT:
        raise StateDictError(f"{where}: not a glassgrad model file (no format {FORMAT!r})")
    if document.get("version") != VERSION:
        raise StateDictError(
            f"{where}: model file version {document.get('version')!r} is not supported "
            f"(this glassgrad reads version {VERSION})"
        )
    parameters = document.get("parameters")
    if not isinstance(parameters, dict):
        raise StateDictError(f"{where}: the model file has no 'parameters' table")
    try:
        module.load_state_dict(parameters, strict=True)
    except StateDictError as error:
        saved = document.get("module", "an unknown module")
        raise StateDictError(f"{where} (saved from {saved}): {error}") from None
