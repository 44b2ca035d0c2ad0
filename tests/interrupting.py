"""Ctrl-C at every moment it can land: a helper for the tests of what an interrupt leaves.

Python turns a signal into KeyboardInterrupt only at certain instructions (a backward jump,
just after a call, a function's start); `interrupted_at_check_point` raises it at each of
them in turn, inside chosen functions, through `sys.settrace`.
"""

from __future__ import annotations

import dis
import sys
from collections.abc import Callable
from types import CodeType, FrameType
from typing import Any


def _handler(code: CodeType, offset: int) -> int | None:
    """Where an exception at `offset` goes in `code` (None: out of the function)."""
    entries = getattr(dis.Bytecode(code), "exception_entries", None)
    if entries is None:  # Python 3.10: no exception table; every point counts
        return None
    return next((e.target for e in entries if e.start <= offset < e.end), None)


def interrupted_at_check_point(n: int, codes: set[CodeType], action: Callable[[], Any]) -> bool:
    """Run `action`, raising KeyboardInterrupt at the n-th point inside `codes` where Python
    looks for signals once a function has begun: a backward jump, just after a call. True if
    the interrupt was raised (there were at least n such points).

    Python raises a signal found just after a call from the call instruction itself; the
    trace can only raise from the next one, so a next instruction that belongs to another
    `try` (the first one after a `with` block's body) is not counted: raising there would
    be a moment that cannot happen."""
    seen = 0
    call_at: dict[int, int] = {}  # frame id -> offset of the call it has just made

    def at_each_instruction(frame: FrameType, event: str, arg: Any) -> Any:
        nonlocal seen
        if event == "opcode":
            code, offset = frame.f_code, frame.f_lasti
            name = dis.opname[code.co_code[offset]]
            call = call_at.pop(id(frame), None)
            after_call = call is not None and _handler(code, call) == _handler(code, offset)
            if name.startswith("JUMP_BACKWARD") or after_call:
                seen += 1
                if seen == n:
                    raise KeyboardInterrupt
            if name.startswith("CALL"):
                call_at[id(frame)] = offset
        return at_each_instruction

    def on_call(frame: FrameType, event: str, arg: Any) -> Any:
        if frame.f_code in codes:
            frame.f_trace_opcodes = True
            return at_each_instruction
        return None

    sys.settrace(on_call)
    try:
        action()
    except KeyboardInterrupt:
        return True
    finally:
        sys.settrace(None)
    return False
