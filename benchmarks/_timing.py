"""The one timing helper of the benchmark scripts (run as ``python benchmarks/<script>.py``, this folder
is on the path)."""

from __future__ import annotations

import time
from typing import Any, Callable


def timings(fn: Callable[[], Any], repeat: int, warm: bool = True) -> list[float]:
    """Wall times of ``repeat`` calls after one warm-up call (unless ``warm`` is False), in seconds."""
    if warm:
        fn()
    out = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        out.append(time.perf_counter() - t0)
    return out
