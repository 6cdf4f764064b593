"""Bias and coverage of the histogram and one-dimensional estimators from samples.

Prints Markdown tables (pasted into docs/data.md, "Histograms" and "One dimension"):

1. histogram KL and Jensen-Shannon of N(0, I) against N(e_1, I) in d = 1, 2, n = m = 1e3, 1e4, 1e5,
   bins "fd", without smoothing, with Laplace / Jeffreys pseudo-counts and with Miller-Madow: mean, bias
   against the *binned* truth (the divergence of the cell probabilities for the edges actually used,
   from the normal cdf) and against the continuous value, the ratio mean(stderr) / sd(estimates), the
   coverage of the binned truth by +-1.96 stderr, and the share of infinite KL;
2. the binning gap (continuous minus binned truth) per numpy rule;
3. the spacing entropy of N(0, 1) and Exp(1) per method: bias, sd, mean stderr, coverage;
4. the empirical W1 and W2 of N(0, 1) against N(1, 2) (and N(0, 1) against itself) against the exact
   values: bias, jackknife stderr against the spread, coverage of the Student-t interval.

Usage: python benchmarks/bench_histogram.py [--reps 200] [--reps-large 40] [--only hist|gap|spacing|wasserstein]
The machine is shared: the tables report statistics, not timings.
"""

from __future__ import annotations

import argparse
import math
import time

import numpy as np
from scipy import integrate, stats

from anadiv import Normal, divergence, wasserstein2
from anadiv.discrete import js_divergence, kl
from anadiv.estimators import histogram
from anadiv.estimators.histogram import histogram_divergence
from anadiv.estimators.one_dim import entropy_spacing, wasserstein_samples

KL_TRUE = 0.5
JS_TRUE = float(divergence("jensen_shannon", Normal(0.0, 1.0), Normal(1.0, 1.0)))
VARIANTS = {
    "plain": {},
    "laplace": {"pseudo_count": "laplace"},
    "jeffreys": {"pseudo_count": "jeffreys"},
    "miller-madow": {"correction": "miller-madow"},
}
RULES = ("fd", "scott", "sturges", "sqrt", "rice", "doane", "auto")


def _binned_truth(edges0: np.ndarray) -> tuple[float, float]:
    """KL and JS of the cell probabilities of N(0,1), N(1,1) on the first axis (the others are equal)."""
    p = np.diff(stats.norm.cdf(edges0))
    q = np.diff(stats.norm.cdf(edges0, loc=1.0))
    return float(kl(p, q, normalize=True)), float(js_divergence(p, q, normalize=True))


def _samples(rng: np.random.Generator, n: int, d: int) -> tuple[np.ndarray, np.ndarray]:
    x = rng.normal(size=(n, d))
    y = rng.normal(size=(n, d))
    y[:, 0] += 1.0
    return x, y


def histogram_table(reps: int, reps_large: int, rule: str) -> None:
    print(f"\n### Histogram KL and JS, N(0, I) against N(e1, I), bins={rule!r}, n = m\n")
    print("| kind | d | n | variant | mean | bias vs binned | bias vs continuous | stderr/sd | coverage 95% | inf |")
    print("|---|---|---|---|---|---|---|---|---|---|")
    for d in (1, 2):
        for n in (1_000, 10_000, 100_000):
            r = reps if n < 100_000 else reps_large
            rng = np.random.default_rng(1000 * d + n)
            rows: dict[tuple[str, str], list[tuple[float, float, float]]] = {}
            for _ in range(r):
                x, y = _samples(rng, n, d)
                grid = histogram._grid(np.concatenate([x, y]), rule, None)
                truth = dict(zip(("kl", "jensen_shannon"), _binned_truth(grid.edges[0])))
                for kind in ("kl", "jensen_shannon"):
                    for name, kw in VARIANTS.items():
                        e = histogram_divergence(x, y, kind, bins=rule, **kw)
                        rows.setdefault((kind, name), []).append((e.value, e.stderr, truth[kind]))
            for (kind, name), vals in rows.items():
                a = np.array(vals)
                finite = np.isfinite(a[:, 0])
                v, s, t = a[finite].T
                cont = KL_TRUE if kind == "kl" else JS_TRUE
                if not finite.any():
                    print(f"| {kind} | {d} | {n:.0e} | {name} | inf | | | | | {1 - finite.mean():.2f} |")
                    continue
                sd = float(np.std(v, ddof=1)) if len(v) > 1 else math.nan
                cover = float(np.mean(np.abs(v - t) <= 1.96 * s))
                print(f"| {kind} | {d} | {n:.0e} | {name} | {v.mean():.4f} | {np.mean(v - t):+.4f} | "
                      f"{np.mean(v) - cont:+.4f} | {np.mean(s) / sd:.2f} | {cover:.2f} | {1 - finite.mean():.2f} |")


def gap_table(reps: int) -> None:
    print(f"\n### Binning gap: continuous minus binned divergence (mean over {reps} pooled samples)\n")
    print(f"KL(N(0,1) || N(1,1)) = {KL_TRUE}, JS = {JS_TRUE:.5f}; the gap is the same in d = 1 and 2 "
          "(the second axis is common to both), only the number of cells differs.\n")
    print("| rule | n | bins per axis | KL gap | JS gap |")
    print("|---|---|---|---|---|")
    for rule in RULES:
        for n in (1_000, 10_000, 100_000):
            rng = np.random.default_rng(n)
            gaps, sizes = [], []
            for _ in range(reps):
                x, y = _samples(rng, n, 1)
                grid = histogram._grid(np.concatenate([x, y]), rule, None)
                k, j = _binned_truth(grid.edges[0])
                gaps.append((KL_TRUE - k, JS_TRUE - j))
                sizes.append(grid.shape[0])
            g = np.mean(gaps, axis=0)
            print(f"| {rule} | {n:.0e} | {np.mean(sizes):.0f} | {g[0]:.4f} | {g[1]:.5f} |")


def spacing_table(reps: int, reps_large: int) -> None:
    print("\n### Spacing entropy against the exact entropy\n")
    print("| distribution | n | method | bias | sd | mean stderr | coverage 95% |")
    print("|---|---|---|---|---|---|---|")
    cases = {"N(0,1)": (lambda rng, n: rng.normal(size=n), 0.5 * math.log(2 * math.pi * math.e)),
             "Exp(1)": (lambda rng, n: rng.exponential(size=n), 1.0)}
    for label, (draw, exact) in cases.items():
        for n in (100, 1_000, 10_000):
            r = reps if n < 10_000 else reps_large
            rng = np.random.default_rng(n)
            res: dict[str, list[tuple[float, float]]] = {}
            for _ in range(r):
                x = draw(rng, n)
                for method in ("vasicek", "ebrahimi", "van es", "correa"):
                    e = entropy_spacing(x, method=method)
                    res.setdefault(method, []).append((e.value, e.stderr))
            for method, vals in res.items():
                v, s = np.array(vals).T
                cover = float(np.mean(np.abs(v - exact) <= 1.96 * s))
                print(f"| {label} | {n:.0e} | {method} | {v.mean() - exact:+.4f} | {v.std(ddof=1):.4f} | "
                      f"{s.mean():.4f} | {cover:.2f} |")
    print("\nRounded data (one decimal), N(0,1), method 'vasicek', window widened by the tie rule:\n")
    print("| n | window | mean | bias vs exact |")
    print("|---|---|---|---|")
    exact = 0.5 * math.log(2 * math.pi * math.e)
    for n in (1_000, 10_000, 100_000):
        rng = np.random.default_rng(7 + n)
        vals = [entropy_spacing(np.round(rng.normal(size=n), 1), method="vasicek") for _ in range(20)]
        window = vals[0].warning.split(" to ")[1].split(" ")[0] if vals[0].warning else "default"
        mean = float(np.mean([v.value for v in vals]))
        print(f"| {n:.0e} | {window} (first run) | {mean:.4f} | {mean - exact:+.4f} |")


def _w1_normals(m1: float, s1: float, m2: float, s2: float) -> float:
    """W1 of two normals: the integral of |F - G| (scipy quad)."""
    f = lambda t: abs(stats.norm.cdf(t, m1, s1) - stats.norm.cdf(t, m2, s2))  # noqa: E731
    lo, hi = min(m1 - 12 * s1, m2 - 12 * s2), max(m1 + 12 * s1, m2 + 12 * s2)
    return float(integrate.quad(f, lo, hi, limit=200, points=[(m1 + m2) / 2])[0])


def wasserstein_table(reps: int, reps_large: int) -> None:
    print("\n### Empirical Wasserstein distances against the exact population distance (n_y = 1.5 n_x)\n")
    print("| pair | p | n_x | exact | bias | sd | mean stderr | coverage 95% (t, 19 df) |")
    print("|---|---|---|---|---|---|---|---|")
    pairs = {"N(0,1), N(1,2)": (0.0, 1.0, 1.0, 2.0), "N(0,1), N(0,1)": (0.0, 1.0, 0.0, 1.0)}
    for label, (m1, s1, m2, s2) in pairs.items():
        exact = {1: _w1_normals(m1, s1, m2, s2), 2: float(wasserstein2(Normal(m1, s1), Normal(m2, s2)))}
        for n in (1_000, 10_000, 100_000):
            r = reps if n < 100_000 else reps_large
            rng = np.random.default_rng(n + 11)
            res: dict[int, list[tuple[float, float, bool]]] = {1: [], 2: []}
            for _ in range(r):
                x, y = rng.normal(m1, s1, n), rng.normal(m2, s2, int(1.5 * n))
                for p in (1, 2):
                    e = wasserstein_samples(x, y, p=p)
                    lo, hi = e.ci()
                    res[p].append((e.value, e.stderr, lo <= exact[p] <= hi))
            for p, vals in res.items():
                a = np.array(vals, dtype=float)
                print(f"| {label} | {p} | {n:.0e} | {exact[p]:.4f} | {a[:, 0].mean() - exact[p]:+.5f} | "
                      f"{a[:, 0].std(ddof=1):.5f} | {a[:, 1].mean():.5f} | {a[:, 2].mean():.2f} |")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reps", type=int, default=200)
    parser.add_argument("--reps-large", type=int, default=40)
    parser.add_argument("--only", choices=("hist", "gap", "spacing", "wasserstein"))
    args = parser.parse_args()
    start = time.perf_counter()
    if args.only in (None, "hist"):
        for rule in ("fd", "sturges"):
            histogram_table(args.reps, args.reps_large, rule)
    if args.only in (None, "gap"):
        gap_table(20)
    if args.only in (None, "spacing"):
        spacing_table(args.reps, args.reps_large)
    if args.only in (None, "wasserstein"):
        wasserstein_table(args.reps, args.reps_large)
    print(f"\n({args.reps} replications, {args.reps_large} at the largest n; {time.perf_counter() - start:.0f} s "
          "on a shared 2-core machine)")


if __name__ == "__main__":
    main()
