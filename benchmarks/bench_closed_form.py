"""Speed of the generated closed forms, with competitors measured in the same run.

Run: ``python benchmarks/bench_closed_form.py`` (``--quick`` for fewer
repetitions, ``--no-derive`` to skip the cold derivation timings).

Prints:

1. 1e6 Normal-Normal KLs: generated function vs the naive one-line numpy
   expression (target: at most 1.1x) and vs ``torch.distributions.kl_divergence``
   on the CPU (target: at least 2x faster); torch is skipped when not installed.
2. 50 MultivariateNormal pairs of dimension 200 vs torch (target: 2x faster).
3. Scalar ``anadiv.kl`` per-call overhead (target: under 20 us).
4. Time to import anadiv and compute one KL in a fresh process.
5. Cold derivation time per pair (fresh process, sympy caches cleared).

For stable timings unset OPENBLAS_CORETYPE / OPENBLAS_L2_SIZE for this run only.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import textwrap
import time
from typing import Any, Callable

import numpy as np


def best_of(fn: Callable[[], Any], repeat: int, number: int = 1) -> float:
    """Best wall time of ``number`` calls, over ``repeat`` runs, in seconds per call."""
    fn()
    best = float("inf")
    for _ in range(repeat):
        t0 = time.perf_counter()
        for _ in range(number):
            fn()
        best = min(best, (time.perf_counter() - t0) / number)
    return best


def _torch() -> Any:
    try:
        import torch
    except ImportError:
        print("  torch not installed: skipped (pip install torch==2.13.0)")
        return None
    torch.set_num_threads(2)
    return torch


def bench_normal(repeat: int) -> None:
    import anadiv

    threads = anadiv.get_num_threads()
    print(f"1. 1e6 Normal-Normal KLs (float64); anadiv and torch on {threads} threads, then both on 1")
    n = 10**6
    rng = np.random.default_rng(0)
    m1, m2 = rng.normal(size=(2, n))
    s1, s2 = np.exp(rng.normal(size=(2, n)) * 0.5)
    f = anadiv.kl_function("normal", "normal")

    def naive() -> Any:
        return np.log(s2 / s1) + (s1**2 + (m1 - m2) ** 2) / (2 * s2**2) - 0.5

    t_gen = best_of(lambda: f(m1, s1, m2, s2), repeat)
    t_naive = best_of(naive, repeat)
    t_api = best_of(lambda: anadiv.kl(anadiv.Normal(m1, s1, validate=False), anadiv.Normal(m2, s2, validate=False), validate=False), repeat)
    anadiv.set_num_threads(1)
    t_gen1 = best_of(lambda: f(m1, s1, m2, s2), repeat)
    anadiv.set_num_threads(None)
    print(f"  generated kl_normal_normal   {t_gen * 1e3:8.2f} ms   ({threads} threads)")
    print(f"  naive numpy one-liner        {t_naive * 1e3:8.2f} ms   generated/naive = {t_gen / t_naive:.2f}x (target <= 1.1x)")
    print(f"  generated, 1 thread          {t_gen1 * 1e3:8.2f} ms   generated/naive = {t_gen1 / t_naive:.2f}x (both on one core)")
    print(f"  anadiv.kl on batched Normals {t_api * 1e3:8.2f} ms")
    torch = _torch()
    if torch is not None:
        from torch.distributions import Normal as TN, kl_divergence

        tm1, tm2, ts1, ts2 = (torch.from_numpy(a) for a in (m1, m2, s1, s2))
        torch.set_num_threads(threads)
        t_torch = best_of(lambda: kl_divergence(TN(tm1, ts1, validate_args=False), TN(tm2, ts2, validate_args=False)), repeat)
        print(f"  torch kl_divergence (CPU)    {t_torch * 1e3:8.2f} ms   torch/generated = {t_torch / t_gen:.2f}x (target >= 2x; {threads} threads each)")
        torch.set_num_threads(1)
        t_torch1 = best_of(lambda: kl_divergence(TN(tm1, ts1, validate_args=False), TN(tm2, ts2, validate_args=False)), repeat)
        torch.set_num_threads(threads)
        print(f"  torch, 1 thread              {t_torch1 * 1e3:8.2f} ms   torch/generated = {t_torch1 / t_gen1:.2f}x (1 thread each); "
              f"torch/naive = {t_torch1 / t_naive:.2f}x")
        ours = f(m1, s1, m2, s2)
        theirs = kl_divergence(TN(tm1, ts1), TN(tm2, ts2)).numpy()
        print(f"  median relative difference to torch: {np.median(np.abs(ours - theirs) / ours):.1e}")


def _spd_batch(rng: np.random.Generator, n: int, d: int) -> np.ndarray:
    a = rng.standard_normal((n, d, d)) / np.sqrt(d)
    return a @ np.swapaxes(a, -1, -2) + 0.5 * np.eye(d)


def bench_mvn(repeat: int) -> None:
    import anadiv

    print("2. 50 MultivariateNormal pairs, d = 200 (float64)")
    rng = np.random.default_rng(1)
    n, d = 50, 200
    m1, m2 = rng.normal(size=(2, n, d))
    s1, s2 = _spd_batch(rng, n, d), _spd_batch(rng, n, d)
    f = anadiv.kl_function("multivariate_normal", "multivariate_normal")
    t_gen = best_of(lambda: f(m1, s1, m2, s2), repeat)
    anadiv.set_num_threads(1)
    t_gen1 = best_of(lambda: f(m1, s1, m2, s2), repeat)
    anadiv.set_num_threads(None)
    print(f"  generated (Cholesky)         {t_gen * 1e3:8.1f} ms   ({anadiv.get_num_threads()} threads; 1 thread: {t_gen1 * 1e3:.1f} ms)")
    torch = _torch()
    if torch is not None:
        from torch.distributions import MultivariateNormal as TM, kl_divergence

        tm1, tm2, ts1, ts2 = (torch.from_numpy(a) for a in (m1, m2, s1, s2))
        t_torch = best_of(
            lambda: kl_divergence(TM(tm1, covariance_matrix=ts1, validate_args=False), TM(tm2, covariance_matrix=ts2, validate_args=False)),
            repeat,
        )
        print(f"  torch kl_divergence (CPU)    {t_torch * 1e3:8.1f} ms   torch/generated = {t_torch / t_gen:.2f}x (target >= 2x); "
              f"with anadiv on 1 thread: {t_torch / t_gen1:.2f}x")
        t_torch_v = best_of(lambda: kl_divergence(TM(tm1, covariance_matrix=ts1), TM(tm2, covariance_matrix=ts2)), repeat)
        t_api = best_of(lambda: anadiv.kl(anadiv.MultivariateNormal(m1, s1), anadiv.MultivariateNormal(m2, s2)), repeat)
        print(f"  with argument validation: anadiv.kl(MultivariateNormal(...), ...) {t_api * 1e3:.1f} ms, "
              f"torch default {t_torch_v * 1e3:.1f} ms: torch/anadiv = {t_torch_v / t_api:.2f}x")
        ours = f(m1, s1, m2, s2)
        theirs = kl_divergence(TM(tm1, covariance_matrix=ts1), TM(tm2, covariance_matrix=ts2)).numpy()
        print(f"  max relative difference to torch: {np.max(np.abs(ours - theirs) / np.abs(ours)):.1e}")


def bench_scalar() -> None:
    import math

    import anadiv
    from anadiv import Normal

    print("3. scalar per-call overhead (Normal-Normal)")
    p, q = Normal(0.3, 1.2), Normal(1.0, 2.0)
    f = anadiv.kl_function(Normal, Normal)
    number = 20000

    def plain_math() -> float:
        return math.log(2.0 / 1.2) + (1.2**2 + 0.7**2) / (2 * 2.0**2) - 0.5

    rows = [
        ("anadiv.kl(p, q)", lambda: anadiv.kl(p, q)),
        ("anadiv.kl(p, q, validate=False)", lambda: anadiv.kl(p, q, validate=False)),
        ("kl_normal_normal(floats)", lambda: f(0.3, 1.2, 1.0, 2.0)),
        ("Normal(...) construction x2 + kl", lambda: anadiv.kl(Normal(0.3, 1.2), Normal(1.0, 2.0))),
        ("plain math one-liner", plain_math),
    ]
    for label, fn in rows:
        t = best_of(fn, 5, number)
        print(f"  {label:<36} {t * 1e6:7.2f} us")


def _fresh(code: str) -> float:
    t0 = time.perf_counter()
    subprocess.run([sys.executable, "-c", code], check=True)
    return time.perf_counter() - t0


def bench_import() -> None:
    print("4. fresh process: import anadiv and compute one KL")
    base = min(_fresh("pass") for _ in range(3))
    one = min(_fresh("import anadiv; anadiv.kl(anadiv.Normal(0, 1), anadiv.Normal(1, 2))") for _ in range(3))
    imp = min(_fresh("import anadiv") for _ in range(3))
    sym = min(_fresh("import sympy") for _ in range(3))
    print(f"  python startup               {base * 1e3:7.0f} ms")
    print(f"  import anadiv                {(imp - base) * 1e3:7.0f} ms (beyond startup)")
    print(f"  import anadiv + one kl       {(one - base) * 1e3:7.0f} ms (beyond startup)")
    print(f"  for scale: import sympy      {(sym - base) * 1e3:7.0f} ms")


_DERIVE_SCRIPT = textwrap.dedent(
    """
    import sys, time, json
    from anadiv._generated import _index
    from anadiv.families import FAMILIES
    t0 = time.perf_counter()
    import sympy
    from anadiv import symbolic
    setup = time.perf_counter() - t0
    names = {"kl": "derive_kl", "entropy": "derive_entropy", "cross_entropy": "derive_cross_entropy"}

    def clear_caches():
        sympy.core.cache.clear_cache()
        for name, mod in list(sys.modules.items()):
            if name.startswith("anadiv.symbolic") and mod is not None:
                for obj in vars(mod).values():
                    if callable(getattr(obj, "cache_clear", None)):
                        obj.cache_clear()

    out = {"setup": setup, "pairs": []}
    for kind, table in _index.REGISTRY.items():
        for key in sorted(table):
            fams = [FAMILIES[n] for n in ((key,) if kind == "entropy" else key)]
            clear_caches()
            t = time.perf_counter()
            getattr(symbolic, names[kind])(*fams)
            label = kind + " " + " || ".join(f.name for f in fams)
            out["pairs"].append([label, time.perf_counter() - t])
    print(json.dumps(out))
    """
)


def bench_derive() -> None:
    import json

    print("5. cold derivation time per closed form (fresh process, caches cleared before each)")
    t0 = time.perf_counter()
    res = subprocess.run([sys.executable, "-c", _DERIVE_SCRIPT], capture_output=True, text=True)
    if res.returncode != 0:
        print("  failed: " + res.stderr.strip().splitlines()[-1] if res.stderr else "  failed")
        return
    data = json.loads(res.stdout)
    times = sorted(data["pairs"], key=lambda r: -r[1])
    secs = [t for _, t in times]
    print(f"  import sympy + engine        {data['setup']:7.2f} s")
    print(f"  {len(secs)} closed forms: median {statistics.median(secs):.2f} s, mean {statistics.mean(secs):.2f} s, "
          f"max {secs[0]:.2f} s, total {sum(secs):.1f} s (wall {time.perf_counter() - t0:.1f} s)")
    for label, t in times[:5]:
        print(f"    slowest: {label:<44} {t:6.2f} s")
    for label, t in data["pairs"]:
        if label == "kl normal || normal":
            print(f"    kl normal || normal: {t:.3f} s")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--no-derive", action="store_true")
    args = parser.parse_args()
    repeat = 3 if args.quick else 7
    bench_normal(repeat)
    bench_mvn(2 if args.quick else 3)
    bench_scalar()
    bench_import()
    if not args.no_derive:
        bench_derive()


if __name__ == "__main__":
    main()
