"""The table: medians per engine, the ratios glassgrad / micrograd, and the targets.

Printed as a Markdown table, so the README's Performance section is a paste of it.
"""

from __future__ import annotations

import os
import platform
from collections.abc import Sequence
from dataclasses import dataclass, field
from importlib import metadata

from tests.benchmarks.measure import Outcome

NO_VALUE = "—"

SPEED_TARGETS = (0.1, 1 / 3)
"""glassgrad / micrograd as published, and glassgrad / micrograd without gc."""

MEMORY_TARGET = 0.25
"""glassgrad's bytes per node over micrograd's."""


@dataclass
class Cell:
    """One engine's measurement: a number (already in the row's unit) or an error."""

    number: float | None = None
    error: str | None = None

    @classmethod
    def of(cls, outcome: Outcome | None, scale: float = 1.0) -> Cell:
        if outcome is None:
            return cls()
        if outcome.error is not None:
            return cls(error=outcome.error)
        median = outcome.median
        return cls() if median is None else cls(number=median * scale)


@dataclass
class Row:
    """One line of the table. `kind` picks the target: speed, completes, memory or none."""

    key: str
    title: str
    unit: str
    glassgrad: Cell
    micrograd: Cell = field(default_factory=Cell)
    micrograd_no_gc: Cell = field(default_factory=Cell)
    kind: str = "none"

    def ratio(self, other: Cell) -> float | None:
        if self.glassgrad.number is None or other.number is None or other.number == 0:
            return None
        return self.glassgrad.number / other.number

    def target(self) -> str:
        if self.kind == "speed":
            return f"≤ {SPEED_TARGETS[0]:g} and ≤ {SPEED_TARGETS[1]:.3g}"
        if self.kind == "memory":
            return f"≤ {MEMORY_TARGET:g}"
        if self.kind == "completes":
            return "completes"
        return ""

    def result(self) -> str:
        if self.kind == "speed":
            published, no_gc = self.ratio(self.micrograd), self.ratio(self.micrograd_no_gc)
            ok = (
                published is not None
                and no_gc is not None
                and published <= SPEED_TARGETS[0]
                and no_gc <= SPEED_TARGETS[1]
            )
            return "PASS" if ok else "FAIL"
        if self.kind == "memory":
            ratio = self.ratio(self.micrograd)
            return "PASS" if ratio is not None and ratio <= MEMORY_TARGET else "FAIL"
        if self.kind == "completes":
            return "PASS" if self.glassgrad.number is not None else "FAIL"
        return ""


def format_number(number: float, unit: str) -> str:
    if unit == "s":
        return f"{number:.3g} s" if number >= 1.0 else f"{number * 1e3:.3g} ms"
    if unit in ("ms", "ms/example"):
        return f"{number:.3g} ms"
    if unit == "B":
        return f"{number:.0f} B"
    if unit == "MB":
        return f"{number:.0f} MB"
    return f"{number:.3g} {unit}"


def format_cell(cell: Cell, unit: str) -> str:
    if cell.error is not None:
        return cell.error
    if cell.number is None:
        return NO_VALUE
    return format_number(cell.number, unit)


def format_ratio(ratio: float | None) -> str:
    if ratio is None:
        return NO_VALUE
    if ratio < 1.0:
        return f"{ratio:.3f} ({1.0 / ratio:.1f}x)"
    return f"{ratio:.3g}"


HEADER = (
    "#",
    "workload",
    "glassgrad",
    "micrograd",
    "micrograd no-gc",
    "gg / mg",
    "gg / mg no-gc",
    "target",
    "result",
)


def table(rows: Sequence[Row]) -> str:
    lines = [HEADER]
    for row in rows:
        lines.append(
            (
                row.key,
                row.title,
                format_cell(row.glassgrad, row.unit),
                format_cell(row.micrograd, row.unit),
                format_cell(row.micrograd_no_gc, row.unit),
                format_ratio(row.ratio(row.micrograd)),
                format_ratio(row.ratio(row.micrograd_no_gc)),
                row.target(),
                row.result(),
            )
        )
    widths = [max(len(line[i]) for line in lines) for i in range(len(HEADER))]

    def render(cells: Sequence[str]) -> str:
        return "| " + " | ".join(c.ljust(w) for c, w in zip(cells, widths)) + " |"

    rule = "|" + "|".join("-" * (w + 2) for w in widths) + "|"
    return "\n".join([render(lines[0]), rule, *(render(line) for line in lines[1:])])


def machine() -> str:
    """nproc, the CPU model, Python and micrograd versions: what the numbers depend on."""
    cpu = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as info:
            for line in info:
                if line.startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    try:
        micrograd = metadata.version("micrograd")
    except metadata.PackageNotFoundError:
        micrograd = "not installed"
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    return (
        f"{cores} cores ({cpu}), {platform.system()}, "
        f"Python {platform.python_version()} ({platform.python_implementation()}), "
        f"micrograd {micrograd}"
    )
