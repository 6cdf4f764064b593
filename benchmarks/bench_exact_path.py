"""Time of the result check's exact path: confirming with 24 more digits against doubling them.

A generated closed form whose float result is doubtful (cancellation, overflow,
parameters at 1e+-300) is recomputed with mpmath by ``anadiv.numeric.refine``:
at a first precision chosen from the parameters, then at a second that must
agree. Until 2026-11-28 the second precision doubled the first; it now adds
``CONFIRM_DIGITS`` (24). This script evaluates the same generated functions at
the same points (typical, +-8 decades, each parameter at 1e+-300, nearly equal
pairs: the whole-range test's points) under both rules, interleaved, and prints
the median and range of the total time of each and whether every value is the
same.

Run: ``python benchmarks/bench_exact_path.py [--rounds 3]``.
"""

from __future__ import annotations

import argparse
import importlib
import math
import statistics
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from anadiv._generated import _index  # noqa: E402
from anadiv.families import FAMILIES  # noqa: E402
from anadiv.numeric import refine  # noqa: E402

PAIRS = [("kl", ("gamma", "lognormal")), ("kl", ("beta", "weibull")), ("cross_entropy", ("gamma", "lognormal")),
         ("kl", ("weibull", "gamma")), ("kl", ("beta", "beta"))]
_FIRST = refine._precisions


def doubling(params: list[float]) -> tuple[int, ...]:
    first = _FIRST(params)[0]
    return (first, 2 * first, 4 * first)


def _points(names: tuple[str, ...], rng: np.random.Generator) -> list[tuple[float, ...]]:
    """Typical points, each parameter in turn at 1e-300 and 1e300, and nearly equal pairs."""
    fams = [FAMILIES[n] for n in names]
    out = []
    for _ in range(4):
        out.append(tuple(v for f in fams for v in f.random_params(rng)))
    for i, f in enumerate(fams):
        for j in range(len(f.parameters)):
            for e in (-300, 300):
                groups = [list(g.random_params(rng)) for g in fams]
                groups[i][j] = 10.0**e
                out.append(tuple(v for g in groups for v in g))
    if fams[0] is fams[-1] and len(fams) == 2:
        for eps in (1e-6, 1e-9, 1e-12):
            p = fams[0].random_params(rng)
            out.append((*p, *(v * (1 + eps) for v in p)))
    return out


def run(rule) -> tuple[float, list[float]]:
    refine._precisions = rule
    values, total = [], 0.0
    rng = np.random.default_rng(20261128)
    for kind, names in PAIRS:
        module, fname, _ = _index.REGISTRY[kind][names]
        fn = getattr(importlib.import_module(f"anadiv._generated.{module}"), fname)
        for point in _points(names, rng):
            t = time.perf_counter()
            values.append(float(fn(*point)))
            total += time.perf_counter() - t
    refine._precisions = _FIRST
    return total, values


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    times: dict[str, list[float]] = {"doubling": [], "plus 24 digits": []}
    same = True
    for _ in range(args.rounds):
        t_old, v_old = run(doubling)
        t_new, v_new = run(_FIRST)
        times["doubling"].append(t_old)
        times["plus 24 digits"].append(t_new)
        same &= all(a == b or (math.isnan(a) and math.isnan(b)) for a, b in zip(v_old, v_new))
    n = len(v_new)
    for label, ts in times.items():
        print(f"{label:>15}: median {statistics.median(ts):.2f} s (range {min(ts):.2f}-{max(ts):.2f}) over {n} calls")
    ratio = statistics.median(times["doubling"]) / statistics.median(times["plus 24 digits"])
    print(f"ratio {ratio:.1f}x; identical values: {same}")


if __name__ == "__main__":
    main()
