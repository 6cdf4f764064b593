"""Bias, spread and interval coverage of the k-nearest-neighbour estimators on Gaussian pairs with known values.

For each dimension d, sample size n and neighbour rank k, draws ``reps``
independent pairs of samples and reports, against the exact value:

* bias: mean of the estimates minus the truth (with its Monte Carlo error),
* sd: the spread of the estimates, and se: the mean reported standard error
  (the jackknife is honest when se ~ sd),
* cover: how often the 95 % interval ``value +- 1.96 se`` holds the truth,
* cover(mean): how often it holds the mean of the estimates (the interval's
  own calibration, bias aside).

Pairs: P = N(0, I_d) against Q = N(e_1, I_d) (KL 0.5 in every dimension) for
the two-sample KL (``kl``) and samples against the density of Q
(``density``); the entropy of P, d/2 log(2 pi e) (``entropy``).

Run: ``python benchmarks/knn_study.py`` (about 10-20 minutes on 2 cores;
``--quick`` for a smaller grid). Prints markdown tables.
"""

from __future__ import annotations

import argparse
import math
import time

import numpy as np

from anadiv import MultivariateNormal, Normal
from anadiv.estimators.knn import default_k, entropy_knn, kl_knn, kl_knn_density


def _q(d: int):
    if d == 1:
        return Normal(1.0, 1.0)
    mu = np.zeros(d)
    mu[0] = 1.0
    return MultivariateNormal(mu, np.eye(d))


def _run(what: str, d: int, n: int, k: int | None, reps: int, seed: int) -> dict:
    k = default_k(d) if k is None else k
    rng = np.random.default_rng([seed, d, n, k, len(what)])
    shift = np.zeros(d)
    shift[0] = 1.0
    truth = 0.5 if what != "entropy" else 0.5 * d * math.log(2 * math.pi * math.e)
    q = _q(d) if what == "density" else None
    vals, ses = [], []
    t0 = time.perf_counter()
    for _ in range(reps):
        x = rng.standard_normal((n, d))
        if what == "kl":
            est = kl_knn(x, rng.standard_normal((n, d)) + shift, k=k)
        elif what == "density":
            est = kl_knn_density(x, q, k=k)
        else:
            est = entropy_knn(x, k=k)
        vals.append(est.value)
        ses.append(est.stderr)
    v, s = np.array(vals), np.array(ses)
    z = 1.959963984540054
    return {
        "what": what, "d": d, "n": n, "k": k, "reps": reps, "truth": truth,
        "bias": v.mean() - truth, "bias_err": v.std(ddof=1) / math.sqrt(reps),
        "sd": v.std(ddof=1), "se": s.mean(),
        "cover": np.mean(np.abs(v - truth) <= z * s),
        "cover_mean": np.mean(np.abs(v - v.mean()) <= z * s),
        "seconds": (time.perf_counter() - t0) / reps,
    }


def _table(rows: list[dict]) -> str:
    out = ["| estimator | d | n | k | reps | bias | sd | mean se | cover (truth) | cover (mean) | s/estimate |",
           "|---|---|---|---|---|---|---|---|---|---|---|"]
    for r in rows:
        out.append(f"| {r['what']} | {r['d']} | {r['n']} | {r['k']} | {r['reps']} | "
                   f"{r['bias']:+.4f} +- {r['bias_err']:.4f} | {r['sd']:.4f} | {r['se']:.4f} | "
                   f"{100 * r['cover']:.0f} % | {100 * r['cover_mean']:.0f} % | {r['seconds']:.3f} |")
    return "\n".join(out)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="smaller grid and fewer replications")
    ap.add_argument("--part", choices=["k", "coverage", "bias", "all"], default="all")
    ap.add_argument("--seed", type=int, default=2026)
    args = ap.parse_args()
    quick = args.quick

    def reps(n: int) -> int:
        base = 200 if n <= 2000 else 100 if n <= 10_000 else 25
        return max(base // (4 if quick else 1), 10)

    if args.part in ("k", "all"):
        rows = [_run("kl", d, 2000, k, reps(2000), args.seed) for d in (1, 2, 5) for k in (1, 3, 5, 10)]
        print("## choice of k (two-sample KL, n = m = 2000)\n")
        print(_table(rows))
        for d in (1, 2, 5):
            sub = [r for r in rows if r["d"] == d]
            best = min(sub, key=lambda r: r["bias"] ** 2 + r["sd"] ** 2)
            print(f"\nd = {d}: smallest RMSE at k = {best['k']} "
                  f"({', '.join('k=%d: %.4f' % (r['k'], math.hypot(r['bias'], r['sd'])) for r in sub)})")
        print()
    if args.part in ("coverage", "all"):
        sizes = (500, 2000, 10_000) if quick else (500, 2000, 10_000, 100_000)
        rows = [_run(w, d, n, None, reps(n), args.seed) for w in ("kl", "density", "entropy")
                for d in (1, 2, 5) for n in sizes]
        print("## coverage of the 95 % jackknife interval (default k)\n")
        print(_table(rows))
        print()
    if args.part in ("bias", "all"):
        sizes = (500, 2000) if quick else (500, 2000, 10_000)
        rows = [_run(w, d, n, None, max(reps(n) // 4, 10), args.seed) for w in ("kl", "entropy")
                for d in (1, 2, 5, 10, 20) for n in sizes]
        print("## bias by dimension (default k)\n")
        print(_table(rows))


if __name__ == "__main__":
    main()
