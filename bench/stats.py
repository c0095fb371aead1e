"""Medians, ranges and human-readable units shared by the benchmarks."""

from __future__ import annotations

import statistics
from collections.abc import Sequence
from typing import Any


def median(values: Sequence[float]) -> float:
    return float(statistics.median(values)) if values else float("nan")


def summary(values: Sequence[float], scale: float = 1.0) -> dict[str, Any]:
    """Median, min, max and count of ``values`` times ``scale``."""
    if not values:
        return {"median": None, "min": None, "max": None, "n": 0}
    return {
        "median": median(values) * scale,
        "min": min(values) * scale,
        "max": max(values) * scale,
        "n": len(values),
    }


def ms(seconds: float | None) -> str:
    if seconds is None:
        return "n/a"
    value = seconds * 1000
    return f"{value:.0f} ms" if value >= 100 else f"{value:.1f} ms"


def size(n: float | None) -> str:
    if n is None:
        return "n/a"
    for unit in ("bytes", "KB", "MB", "GB"):
        if abs(n) < 1000 or unit == "GB":
            return f"{n:.0f} {unit}" if unit == "bytes" else f"{n:.1f} {unit}"
        n /= 1000
    return f"{n:.1f} GB"
