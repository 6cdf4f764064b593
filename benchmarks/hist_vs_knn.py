"""Histogram against k-nearest-neighbour estimates of the KL, on the same samples.

P = N(0, I_d), Q = N(e_1, I_d) (KL 0.5), d = 1 and 2, n = m = 1e3, 1e4, 1e5: the mean estimate over
``reps`` replications, its spread, and the mean reported standard error, for the histogram estimate
(Freedman-Diaconis bins in 1-D, Sturges in 2-D; Jeffreys pseudo-counts, since without smoothing the
KL of the counts is infinite in nearly every run) and for the two-sample kNN estimate (default k).

Run: ``python benchmarks/hist_vs_knn.py`` (a few minutes on 2 cores). Prints a markdown table.
"""

from __future__ import annotations

import numpy as np

from anadiv.estimators.histogram import histogram_divergence
from anadiv.estimators.knn import kl_knn


def main() -> None:
    print("| d | n | histogram (Jeffreys) | histogram se | kNN | kNN se | reps |")
    print("|---|---|---|---|---|---|---|")
    for d, bins in ((1, "fd"), (2, "sturges")):
        for n in (1_000, 10_000, 100_000):
            reps = 40 if n <= 10_000 else 8
            rng = np.random.default_rng([7, d, n])
            shift = np.zeros(d)
            shift[0] = 1.0
            h, hs, k, ks = [], [], [], []
            for _ in range(reps):
                x = rng.standard_normal((n, d))
                y = rng.standard_normal((n, d)) + shift
                hist = histogram_divergence(x, y, bins=bins, pseudo_count="jeffreys")
                knn = kl_knn(x, y)
                h.append(hist.value)
                hs.append(hist.stderr)
                k.append(knn.value)
                ks.append(knn.stderr)
            print(f"| {d} ({bins}) | {n} | {np.mean(h):.4f} +- {np.std(h, ddof=1):.4f} | {np.mean(hs):.4f} | "
                  f"{np.mean(k):.4f} +- {np.std(k, ddof=1):.4f} | {np.mean(ks):.4f} | {reps} |")


if __name__ == "__main__":
    main()
