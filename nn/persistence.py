"""Model files: a module's parameters as JSON, written atomically and read back safely.

The file holds `{"format": "glassgrad.state_dict", "version": 1, "module": <class name>,
"parameters": {dotted name: float}}`. Floats round-trip exactly (JSON keeps their repr).
Saving writes `NAME.incomplete-save.XXXX.tmp` next to the target and renames it over the
target, so a crash (even SIGKILL) never leaves a half-written model, only at worst that
clearly named leftover. An existing file keeps its permissions, a symlink keeps pointing
where it did (the file it points to is replaced), and a device or other non-regular file
is refused. Loading checks everything before changing the model: a file far larger than
the model could need is refused before it is read, and every problem (not UTF-8, not
JSON, nested too deep, numbers too large) is a `StateDictError` naming the file.
"""

from __future__ import annotations

import contextlib
import errno
import json
import math
import os
import secrets
import stat
from collections import Counter
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from nn.module import Module

__all__ = ["FORMAT", "VERSION", "load_state", "save_state"]

FORMAT = "glassgrad.state_dict"
VERSION = 1

_TEMPORARY = ".incomplete-save."
"""The temporary file of a save is the target's name, this, 8 hex digits and `.tmp`."""


def save_state(module: Module, path: str | os.PathLike[str]) -> None:
    """Write `module.state_dict()` to `path` as JSON, replacing any old file atomically."""
    from nn.module import StateDictError

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
    given = os.fspath(path)
    target = os.path.realpath(given)  # through a symlink: replace the file it points to
    directory, name = os.path.split(target)
    try:
        existing: os.stat_result | None = os.stat(target)
    except FileNotFoundError:
        existing = None
    if existing is not None and not stat.S_ISREG(existing.st_mode):
        kind = "a directory" if stat.S_ISDIR(existing.st_mode) else "not a regular file"
        raise StateDictError(f"cannot save to {given}: {target} is {kind}")
    if not os.path.isdir(directory):
        raise FileNotFoundError(
            errno.ENOENT,
            f"cannot save the model: the directory {directory!r} does not exist",
            given,
        )
    fd, temporary = _create_temporary(directory, name, given)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as file:
            if existing is not None:  # keep the old file's permissions (and owner, as root)
                os.fchmod(file.fileno(), stat.S_IMODE(existing.st_mode))
                if os.geteuid() == 0:
                    with contextlib.suppress(OSError):
                        os.fchown(file.fileno(), existing.st_uid, existing.st_gid)
            file.write(text)
            file.flush()
            os.fsync(file.fileno())
        os.replace(temporary, target)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(temporary)
        raise
    _sync_directory(directory)


def _create_temporary(directory: str, name: str, given: str) -> tuple[int, str]:
    """A new file next to the target, named after it, created with the default mode (0666
    under the umask, as any new file is)."""
    stem = name[:200]  # room for the suffix within the usual 255-byte name limit
    for _ in range(100):
        temporary = os.path.join(directory, f"{stem}{_TEMPORARY}{secrets.token_hex(4)}.tmp")
        try:
            return os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666), temporary
        except FileExistsError:
            continue
        except OSError as error:
            raise type(error)(
                error.errno,
                f"cannot save the model: cannot create a file in {directory!r} ({error.strerror})",
                given,
            ) from None
    raise FileExistsError(errno.EEXIST, "cannot save the model: no free temporary name", given)


def _sync_directory(directory: str) -> None:
    """Make the rename itself durable (where the system allows opening a directory)."""
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        with contextlib.suppress(OSError):
            os.fsync(fd)
    finally:
        os.close(fd)


def _no_duplicate_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    counts = Counter(key for key, _ in pairs)
    repeated = sorted(key for key, count in counts.items() if count > 1)
    if repeated:
        raise ValueError(f"repeated key(s) {', '.join(map(repr, repeated))}")
    return dict(pairs)


def _number(text: str) -> Any:
    """A JSON number as a float; one too large for a float stays its (shortened) text, so
    the usual check reports it as not a finite number."""
    try:
        value = float(text)
    except OverflowError:
        value = math.inf
    if math.isfinite(value):
        return int(text) if text.lstrip("-").isdigit() else value
    return text if len(text) <= 30 else f"{text[:12]}...{text[-6:]} ({len(text)} characters)"


def _refuse_constant(text: str) -> Any:
    raise ValueError(f"{text} is not a number a model file may hold")


def size_limit(module: Module) -> int:
    """The largest model file `module` could need, with room for any formatting.

    Each parameter takes its name, the longest float repr (24 characters) and some
    punctuation; four times that plus 64 KiB is far more than any file `save` writes.
    """
    names = sum(len(name) + 32 for name, _ in module.named_parameters())
    return 4 * (names + len(type(module).__name__) + 256) + 65536


def load_state(module: Module, path: str | os.PathLike[str]) -> None:
    """Load a file written by `save_state` into `module`, or raise and change nothing."""
    from nn.module import StateDictError

    where = os.fspath(path)
    limit = size_limit(module)
    if not stat.S_ISREG(os.stat(where).st_mode):  # before open: a FIFO would block it
        raise StateDictError(f"{where}: not a regular file, so not a model file")
    with open(where, "rb") as file:
        info = os.fstat(file.fileno())
        if info.st_size > limit:
            raise StateDictError(
                f"{where}: {info.st_size} bytes is far more than a model file of "
                f"{type(module).__name__} needs (at most {limit} bytes); not read"
            )
        data = file.read(limit + 1)
    if len(data) > limit:  # it grew while we looked
        raise StateDictError(f"{where}: larger than {limit} bytes; not read")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as error:
        raise StateDictError(
            f"{where}: not a model file (not UTF-8 text: byte {data[error.start]:#04x} at "
            f"offset {error.start})"
        ) from None
    try:
        document = json.loads(
            text,
            object_pairs_hook=_no_duplicate_keys,
            parse_float=_number,
            parse_int=_number,
            parse_constant=_refuse_constant,
        )
    except RecursionError:
        raise StateDictError(f"{where}: not a model file (JSON nested too deeply)") from None
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
