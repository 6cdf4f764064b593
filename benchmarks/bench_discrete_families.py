"""KL between discrete families (Bernoulli, Geometric, Binomial, Categorical): speed and accuracy.

For each pair: a batch of 10^4 nearly equal pairs (Q = P perturbed by 1e-9
relative) and of 10^4 typical pairs, timed for anadiv and for
``torch.distributions.kl_divergence`` (CPU) in the same run; one scalar
``anadiv.kl`` call; and the worst relative error of each against a 60-digit
mpmath evaluation of the defining sum on 200 of the nearly equal pairs.
Medians of ``--repeat`` runs, with the range.

Run: ``python benchmarks/bench_discrete_families.py [--repeat 7]``.
"""

from __future__ import annotations

import argparse
import statistics
import time
from typing import Any, Callable

import mpmath
import numpy as np

import anadiv
from anadiv import Bernoulli, Binomial, Categorical, Geometric

N = int(__import__("os").environ.get("BENCH_N", "10000"))


def _timed(fn: Callable[[], Any], repeat: int) -> tuple[float, float, float]:
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times), min(times), max(times)


def _two_point(p1: Any, p2: Any) -> Any:
    return p1 * mpmath.log(p1 / p2) + (1 - p1) * mpmath.log((1 - p1) / (1 - p2))


def _normalized_kl(p: np.ndarray, q: np.ndarray) -> Any:
    """KL of the distributions two float probability vectors stand for: each divided by its exact sum.

    A float vector sums to 1 only up to rounding, and near P = Q that rounding (1e-16)
    dwarfs the KL itself (1e-18): the plain sum of p log(p/q) over the floats is off by
    sum(q - p) there.
    """
    P = [mpmath.mpf(float(x)) for x in p]
    Q = [mpmath.mpf(float(y)) for y in q]
    sp, sq = mpmath.fsum(P), mpmath.fsum(Q)
    return mpmath.fsum((x / sp) * mpmath.log((x / sp) / (y / sq)) for x, y in zip(P, Q))


def _cases(rng: np.random.Generator) -> list[dict[str, Any]]:
    p = rng.uniform(0.02, 0.98, N)
    near = p * (1 + 1e-9 * rng.choice([-1.0, 1.0], N))
    typical = rng.uniform(0.02, 0.98, N)
    n = rng.integers(1, 50, N).astype(float)
    probs = rng.dirichlet(np.ones(8), N)
    probs_near = probs * (1 + 1e-9 * rng.standard_normal(probs.shape))
    probs_near /= probs_near.sum(-1, keepdims=True)
    probs_typ = rng.dirichlet(np.ones(8), N)
    return [
        {"name": "Bernoulli", "anadiv": lambda a, b: (Bernoulli(a), Bernoulli(b)), "torch": "Bernoulli",
         "tp": lambda t, a: {"probs": t(a)}, "near": (p, near), "typical": (p, typical),
         "exact": lambda i, a, b: _two_point(mpmath.mpf(a[i]), mpmath.mpf(b[i]))},
        {"name": "Geometric", "anadiv": lambda a, b: (Geometric(a), Geometric(b)), "torch": "Geometric",
         "tp": lambda t, a: {"probs": t(a)}, "near": (p, near), "typical": (p, typical),
         "exact": lambda i, a, b: _two_point(mpmath.mpf(a[i]), mpmath.mpf(b[i])) / mpmath.mpf(a[i])},
        {"name": "Binomial (n < 50)", "anadiv": lambda a, b: (Binomial(n, a), Binomial(n, b)), "torch": "Binomial",
         "tp": lambda t, a: {"total_count": t(n), "probs": t(a)}, "near": (p, near), "typical": (p, typical),
         "exact": lambda i, a, b: n[i] * _two_point(mpmath.mpf(a[i]), mpmath.mpf(b[i]))},
        {"name": "Categorical (K = 8)", "anadiv": lambda a, b: (Categorical(a), Categorical(b)), "torch": "Categorical",
         "tp": lambda t, a: {"probs": t(a)}, "near": (probs, probs_near), "typical": (probs, probs_typ),
         "exact": lambda i, a, b: _normalized_kl(a[i], b[i])},
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=7)
    args = parser.parse_args()
    try:
        import torch
        import torch.distributions as td
    except ImportError:  # the comparison needs the bench extra
        torch = td = None
    rng = np.random.default_rng(0)
    mpmath.mp.dps = 60
    print(f"{'pair':22s} {'batch':8s} {'anadiv ms':>22s} {'torch ms':>22s} {'anadiv err':>11s} {'torch err':>11s}")
    for case in _cases(rng):
        for label in ("near", "typical"):
            a, b = case[label]
            P, Q = case["anadiv"](a, b)
            anadiv.kl(P, Q)  # first call: imports
            t_ad = _timed(lambda: anadiv.kl(P, Q), args.repeat)
            value = np.asarray(anadiv.kl(P, Q))
            t_torch, tvalue = None, None
            if td is not None:
                tt = lambda x: torch.as_tensor(x, dtype=torch.float64)  # noqa: E731
                TP = getattr(td, case["torch"])(**case["tp"](tt, a), validate_args=False)
                TQ = getattr(td, case["torch"])(**case["tp"](tt, b), validate_args=False)
                t_torch = _timed(lambda: td.kl_divergence(TP, TQ), args.repeat)
                tvalue = td.kl_divergence(TP, TQ).numpy()
            err_ad = err_t = "-"
            if label == "near":
                worst_ad = worst_t = 0.0
                for i in range(200):
                    ref = case["exact"](i, a, b)
                    worst_ad = max(worst_ad, float(abs((value[i] - ref) / ref)))
                    if tvalue is not None:
                        worst_t = max(worst_t, float(abs((tvalue[i] - ref) / ref)))
                err_ad, err_t = f"{worst_ad:.1e}", (f"{worst_t:.1e}" if tvalue is not None else "-")
            fmt = lambda t: f"{t[0] * 1e3:.2f} ({t[1] * 1e3:.2f}-{t[2] * 1e3:.2f})"  # noqa: E731
            print(f"{case['name']:22s} {label:8s} {fmt(t_ad):>22s} {fmt(t_torch) if t_torch else '-':>22s} "
                  f"{err_ad:>11s} {err_t:>11s}")
        if case["name"] not in ("Bernoulli", "Geometric"):
            continue  # the scalar call: the two one-parameter families
        P, Q = case["anadiv"](float(case["near"][0][0]), float(case["near"][1][0]))
        anadiv.kl(P, Q)
        reps = 2000
        t0 = time.perf_counter()
        for _ in range(reps):
            anadiv.kl(P, Q)
        print(f"{case['name']:22s} scalar   {(time.perf_counter() - t0) / reps * 1e6:.1f} us per anadiv.kl call")


if __name__ == "__main__":
    main()
