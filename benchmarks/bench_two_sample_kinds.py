"""Bias and interval coverage of the classifier estimates of JS, Hellinger and TV from two samples.

Pairs: P = N(0, I_d) against Q = N(mu e_1, diag(s^2, 1, ..., 1)) at d = 1, 2, 5 (the pair differs in
one coordinate; the others are nuisance dimensions the classifier must learn to ignore). The truth is
``anadiv.divergence(kind, P, Q)`` on ``MultivariateNormal`` (closed form for Hellinger, what
``method="auto"`` picks for JS, Monte Carlo with 2e6 draws for TV; its own standard error is
printed), checked against the univariate pair (``Normal`` at d = 1). The oracle rows score the true
eta on the same draws: the sampling noise alone.

Classifiers: the default k-nearest-neighbour posterior (k by held-out log-loss), the same with a
fixed k = sqrt(n_train), and scikit-learn's LogisticRegression on quadratic features (well specified
for two Gaussians: their log-ratio is quadratic). Each replication draws fresh samples and folds; one
cross-fitted posterior serves the three kinds and both corrections.

Printed per (classifier, d, n, kind, correction): the mean error (bias) over R replications with its
own standard error, the ratio of the empirical spread to the mean reported stderr, and the coverage of
the reported 95% interval. The machine is shared (2 cores, other jobs): the timings are indicative.

Run: python benchmarks/bench_two_sample_kinds.py [--scale 1.0] [--only knn logistic oracle] > out.txt
     python benchmarks/bench_two_sample_kinds.py --compact out.txt   (the tables of docs/data.md)
"""

from __future__ import annotations

import argparse
import math
import sys
import time

import numpy as np

import anadiv
from anadiv.estimators.classifier import HeldOutPosterior, divergence_from_posterior, held_out_posterior

KINDS = ("jensen_shannon", "hellinger", "total_variation")
CORRECTIONS = ("one_step", "plug_in")
SHIFT, SCALE = 1.0, 1.5
DIMS = (1, 2, 5)
SIZES = (500, 2000, 10000)
REPS = {500: 200, 2000: 80, 10000: 20}


def pair(d: int) -> tuple[anadiv.Distribution, anadiv.Distribution]:
    if d == 1:  # MultivariateNormal of dimension 1 fails in Monte Carlo (a broadcasting error): the univariate pair
        return anadiv.Normal(0.0, 1.0), anadiv.Normal(SHIFT, SCALE)
    mu = np.zeros(d)
    mu[0] = SHIFT
    cov = np.eye(d)
    cov[0, 0] = SCALE**2
    return anadiv.MultivariateNormal(np.zeros(d), np.eye(d)), anadiv.MultivariateNormal(mu, cov)


def truths(d: int) -> dict[str, tuple[float, float]]:
    p, q = pair(d)
    out = {}
    for kind in KINDS:
        # the cubature of a kinked TV integrand in d = 2 runs for minutes: Monte Carlo there
        method = "mc" if (kind == "total_variation" and d > 1) else "auto"
        r = anadiv.divergence(kind, p, q, method=method, n=2_000_000, seed=12345)
        out[kind] = (float(r.value), float(r.error))
    return out


def quad_logistic():
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import PolynomialFeatures, StandardScaler

    return make_pipeline(PolynomialFeatures(2, include_bias=False), StandardScaler(),
                         LogisticRegression(C=1.0, max_iter=1000))


def oracle_posterior(x: np.ndarray, y: np.ndarray, p: anadiv.Distribution, q: anadiv.Distribution) -> HeldOutPosterior:
    """The true eta = p / (p + q): what the estimator gives with a perfect classifier (sampling noise only)."""
    z = np.concatenate([x, y])
    with np.errstate(over="ignore"):
        eta = 1.0 / (1.0 + np.exp(np.asarray(q.logpdf(z)) - np.asarray(p.logpdf(z))))
    from_x = np.arange(len(z)) < len(x)
    clip = 1.0 / (2 * len(z))
    return HeldOutPosterior(np.clip(eta, clip, 1.0 - clip), from_x, clip, None, "oracle")


def run(scale: float, only: list[str] | None) -> None:
    one_d = {k: float(anadiv.divergence(k, anadiv.Normal(0.0, 1.0), anadiv.Normal(SHIFT, SCALE)).value) for k in KINDS}
    print(f"pair: N(0, I) against N({SHIFT} e1, diag({SCALE}^2, 1, ...)); univariate truth "
          + ", ".join(f"{k} {v:.5f}" for k, v in one_d.items()))
    classifiers = {
        "knn (k by log-loss)": lambda x, y, rng, p, q: held_out_posterior(x, y, seed=rng),
        "knn (k = sqrt n_train)": lambda x, y, rng, p, q: held_out_posterior(
            x, y, seed=rng, k=math.ceil(math.sqrt(0.8 * (len(x) + len(y))))),
        "logistic, quadratic features": lambda x, y, rng, p, q: held_out_posterior(
            x, y, seed=rng, classifier=quad_logistic()),
        # the truth's eta: the sampling noise alone, on the same draws (the reference for the spread ratio)
        "oracle (true eta)": lambda x, y, rng, p, q: oracle_posterior(x, y, p, q),
    }
    if only:
        classifiers = {name: f for name, f in classifiers.items() if name.split()[0] in only}
    rows = []
    for d in DIMS:
        truth = truths(d)
        print(f"d = {d}: truth " + ", ".join(f"{k} {v:.5f} (+- {e:.1e})" for k, (v, e) in truth.items()), flush=True)
        for n in SIZES:
            reps = max(5, int(REPS[n] * scale))
            for name, extra in classifiers.items():
                p, q = pair(d)
                err = {(k, c): [] for k in KINDS for c in CORRECTIONS}
                se = {(k, c): [] for k in KINDS for c in CORRECTIONS}
                cover = {(k, c): 0 for k in KINDS for c in CORRECTIONS}
                ks, t0 = [], time.perf_counter()
                for r in range(reps):
                    rng = np.random.default_rng([d, n, r])
                    x = p.sample(n, rng=rng)
                    y = q.sample(n, rng=rng)
                    post = extra(x, y, rng, p, q)
                    ks.append(post.k or 0)
                    for k in KINDS:
                        for c in CORRECTIONS:
                            est = divergence_from_posterior(k, post, correction=c)
                            err[k, c].append(est.value - truth[k][0])
                            se[k, c].append(est.stderr)
                            lo, hi = est.ci(0.95)
                            cover[k, c] += lo <= truth[k][0] <= hi
                per_rep = (time.perf_counter() - t0) / reps
                print(f"  {name}, d = {d}, n = {n}: R = {reps}, {per_rep:.2f} s per replication, "
                      f"median k {int(np.median(ks))}", flush=True)
                for k in KINDS:
                    for c in CORRECTIONS:
                        e = np.asarray(err[k, c])
                        row = (f"| {name} | {d} | {n} | {k} | {c} | {reps} | {truth[k][0]:.4f} | "
                               f"{e.mean():+.4f} (+- {e.std(ddof=1) / math.sqrt(reps):.4f}) | "
                               f"{e.std(ddof=1) / np.mean(se[k, c]):.2f} | {cover[k, c] / reps:.0%} |")
                        rows.append(row)
                        print(row, flush=True)
    print()
    print(HEADER)
    print("\n".join(rows))


HEADER = ("| classifier | d | n | kind | correction | R | truth | bias (+- its se) | spread / stderr | 95% coverage |\n"
          "|---|---|---|---|---|---|---|---|---|---|")


def compact(lines: list[str]) -> None:
    """The long rows as two tables (one-step, plug-in): one line per classifier, d and n; bias / coverage per kind.

    Several outputs may be given: a later one's rows replace an earlier one's for the same classifier, d and n.
    """
    cells: dict[tuple[str, str, str, str], dict[str, str]] = {}
    for line in lines:
        parts = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(parts) != 10 or not parts[1].isdigit():
            continue
        name, d, n, kind, corr, reps, _, bias, ratio, cover = parts
        cells.setdefault((corr, name, d, n), {"R": reps})[kind] = f"{bias.split()[0]} / {ratio} / {cover}"
    for corr in CORRECTIONS:
        print(f"\n{corr}: bias / spread over stderr / coverage of the 95% interval\n")
        print("| classifier | d | n | R | " + " | ".join(KINDS) + " |")
        print("|---|---|---|---|" + "---|" * len(KINDS))
        for (c, name, d, n), row in sorted(cells.items(), key=lambda kv: (int(kv[0][2]), int(kv[0][3]))):
            if c == corr:
                print(f"| {name} | {d} | {n} | {row['R']} | " + " | ".join(row.get(k, "") for k in KINDS) + " |")


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--scale", type=float, default=1.0, help="multiply the replication counts")
    ap.add_argument("--only", nargs="*", help="classifiers by first word: knn, logistic, oracle")
    ap.add_argument("--compact", nargs="+", metavar="OUTPUT", help="only reformat earlier outputs of this script")
    args = ap.parse_args(argv)
    if args.compact:
        lines = [line for path in args.compact for line in open(path, encoding="utf-8")]
        compact(lines)
        return
    t0 = time.perf_counter()
    run(args.scale, args.only)
    print(f"\ntotal {time.perf_counter() - t0:.0f} s (python {sys.version.split()[0]}, numpy {np.__version__})")


if __name__ == "__main__":
    main()
