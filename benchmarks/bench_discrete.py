"""Benchmark anadiv.discrete against scipy, measured in the same run.

1. The 1000 x 1000 Jensen-Shannon distance matrix over 256-bin histograms:
   ``anadiv.discrete.pairwise`` against the obvious per-pair loop over
   ``scipy.spatial.distance.jensenshannon`` (timed on a random subset of
   pairs and extrapolated per pair, which the output says) and against
   ``scipy.spatial.distance.pdist(X, "jensenshannon")`` (compiled, timed in
   full).  Two data sets: Dirichlet(1) histograms and histograms of 2,000
   samples from random normals (sparse, similar shapes).
2. 10,000 x 256 distributions, the full matrix in chunks: time and memory
   (tracemalloc peak beyond the 800 MB result; the process's max RSS).
3. Batched ``kl`` on 100,000 pairs of 256-bin vectors against
   ``scipy.stats.entropy(p, q, axis=-1)`` and ``rel_entr(p, q).sum(-1)``, and
   the accuracy of each against 50-digit mpmath on nearly equal vectors.

Run:  python benchmarks/bench_discrete.py [--large N] [--quick]
(on this machine: env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE python ...)
"""

from __future__ import annotations

import argparse
import os
import resource
import time
import tracemalloc

import numpy as np
from scipy.spatial.distance import jensenshannon, pdist, squareform
from scipy.special import rel_entr
from scipy.stats import entropy as scipy_entropy

from anadiv import discrete


def best_of(func, repeats: int) -> float:
    best = float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        func()
        best = min(best, time.perf_counter() - start)
    return best


def best_cpu(func, repeats: int) -> float:
    """Best process CPU time: steadier than wall time on a shared machine,
    and comparable between single-threaded runs."""
    best = float("inf")
    for _ in range(repeats):
        start = time.process_time()
        func()
        best = min(best, time.process_time() - start)
    return best


def dirichlet_histograms(rng: np.random.Generator, n: int, bins: int) -> np.ndarray:
    return rng.dirichlet(np.ones(bins), size=n)


def sample_histograms(rng: np.random.Generator, n: int, bins: int, samples: int = 2000) -> np.ndarray:
    edges = np.linspace(-6.0, 6.0, bins + 1)
    out = np.empty((n, bins))
    for i in range(n):
        x = rng.normal(rng.uniform(-1, 1), rng.uniform(0.5, 1.5), size=samples)
        out[i] = np.histogram(np.clip(x, -5.999, 5.999), bins=edges)[0]
    return out / out.sum(axis=1, keepdims=True)


def bench_pairwise(label: str, x: np.ndarray, loop_pairs: int, repeats: int, rng: np.random.Generator) -> None:
    n, bins = x.shape
    print(f"\n## {n} x {n} JS distance matrix, {bins} bins: {label}")
    t_default = best_of(lambda: discrete.pairwise("js_distance", x), repeats)
    t_single = best_of(lambda: discrete.pairwise("js_distance", x, workers=1), repeats)
    matrix = discrete.pairwise("js_distance", x)

    idx = rng.integers(0, n, size=(loop_pairs, 2))
    start = time.perf_counter()
    sampled = [jensenshannon(x[i], x[j]) for i, j in idx]
    per_pair = (time.perf_counter() - start) / loop_pairs
    t_loop_full = per_pair * n * n
    t_loop_half = per_pair * n * (n - 1) / 2

    t_pdist = best_of(lambda: pdist(x, "jensenshannon"), 1)
    reference = squareform(pdist(x, "jensenshannon"))

    # CPU-time ratios, all single-threaded (interleaved to share the same load)
    cpu_single = best_cpu(lambda: discrete.pairwise("js_distance", x, workers=1), repeats)
    sub = idx[: loop_pairs // 3]
    cpu_loop = best_cpu(lambda: [jensenshannon(x[i], x[j]) for i, j in sub], 1) / len(sub) * n * n
    cpu_pdist = best_cpu(lambda: pdist(x, "jensenshannon"), 1)

    sampled = np.array(sampled)
    mine = matrix[idx[:, 0], idx[:, 1]]
    nonzero = sampled > 0
    rel_loop = np.max(np.abs(mine[nonzero] - sampled[nonzero]) / sampled[nonzero])
    off = ~np.eye(n, dtype=bool)
    rel_pdist = np.max(np.abs(matrix[off] - reference[off]) / reference[off])

    workers = discrete._default_workers()
    print(f"anadiv pairwise, {workers} worker thread(s) (default) : {t_default:8.3f} s")
    print(f"anadiv pairwise, workers=1                 : {t_single:8.3f} s")
    print(
        f"scipy jensenshannon loop: {per_pair * 1e6:.1f} us/pair, timed on {loop_pairs} random "
        f"pairs and EXTRAPOLATED to {n * n} pairs: {t_loop_full:8.2f} s "
        f"(to the {n * (n - 1) // 2} pairs i < j: {t_loop_half:.2f} s)"
    )
    print(f"scipy pdist(X, 'jensenshannon'), {n * (n - 1) // 2} pairs, timed in full: {t_pdist:8.3f} s")
    print(f"ratio, obvious full loop / anadiv default   : {t_loop_full / t_default:8.1f} x")
    print(f"ratio, obvious full loop / anadiv workers=1 : {t_loop_full / t_single:8.1f} x")
    print(f"ratio, i<j loop / anadiv default            : {t_loop_half / t_default:8.1f} x")
    print(f"ratio, pdist / anadiv default               : {t_pdist / t_default:8.2f} x")
    print(f"ratio, pdist / anadiv workers=1             : {t_pdist / t_single:8.2f} x")
    print(
        f"CPU time, single thread: anadiv {cpu_single:.3f} s, loop {cpu_loop:.2f} s (extrapolated, "
        f"{len(sub)} pairs timed), pdist {cpu_pdist:.3f} s -> loop/anadiv {cpu_loop / cpu_single:.1f} x, "
        f"i<j loop/anadiv {cpu_loop * (n - 1) / (2 * n) / cpu_single:.1f} x, pdist/anadiv {cpu_pdist / cpu_single:.2f} x"
    )
    print(f"max relative difference vs scipy loop {rel_loop:.1e}, vs pdist {rel_pdist:.1e}")


def bench_large(n: int, bins: int, rng: np.random.Generator) -> None:
    print(f"\n## {n} x {bins} distributions: the full {n} x {n} JS distance matrix in chunks")
    x = dirichlet_histograms(rng, n, bins)
    tracemalloc.start()
    start = time.perf_counter()
    cpu = time.process_time()
    matrix = discrete.pairwise("js_distance", x)
    wall, cpu = time.perf_counter() - start, time.process_time() - cpu
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    result_mb = matrix.nbytes / 2**20
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**10
    pairs = n * (n + 1) // 2
    print(f"wall {wall:.1f} s, cpu {cpu:.1f} s, {pairs} distinct pairs, {wall / pairs * 1e9:.0f} ns/pair wall")
    print(
        f"tracemalloc peak {peak / 2**20:.0f} MiB = result {result_mb:.0f} MiB + "
        f"{(peak - matrix.nbytes) / 2**20:.1f} MiB of inputs, tiles and scratch; max RSS {rss:.0f} MiB"
    )
    i, j = rng.integers(0, n, size=(2, 100))
    check = np.max(np.abs(matrix[i, j] - [jensenshannon(x[a], x[b]) for a, b in zip(i, j)]))
    print(f"max abs difference vs scipy on 100 random pairs: {check:.1e}")


def bench_kl(rng: np.random.Generator, pairs: int, bins: int, repeats: int) -> None:
    print(f"\n## batched KL, {pairs} pairs of {bins}-bin vectors (nats)")
    p = dirichlet_histograms(rng, pairs, bins)
    q = dirichlet_histograms(rng, pairs, bins)
    t_mine = best_of(lambda: discrete.kl(p, q), repeats)
    t_stats = best_of(lambda: scipy_entropy(p, q, axis=-1), repeats)
    t_rel = best_of(lambda: rel_entr(p, q).sum(axis=-1), repeats)
    diff = np.max(np.abs(discrete.kl(p, q) - rel_entr(p, q).sum(-1)) / rel_entr(p, q).sum(-1))
    print(f"anadiv kl (checks + cancellation-free terms) : {t_mine * 1e3:8.1f} ms")
    print(f"scipy.stats.entropy(p, q, axis=-1)           : {t_stats * 1e3:8.1f} ms  (ratio scipy/anadiv {t_stats / t_mine:.2f})")
    print(f"rel_entr(p, q).sum(-1) (no checks)           : {t_rel * 1e3:8.1f} ms  (ratio scipy/anadiv {t_rel / t_mine:.2f})")
    print(f"max relative difference anadiv vs rel_entr: {diff:.1e}")

    import mpmath

    mpmath.mp.dps = 50
    print("accuracy on nearly equal vectors (entries k / 2**40, exact unit sums), relative error:")
    for spread in (1e3, 1.0, 1e-2):
        base = rng.integers(2**40 // (4 * 64), 2**40 // 64, size=64)
        base[-1] = 2**40 - base[:-1].sum()
        other = base + np.round(rng.integers(-1000, 1001, size=64) * spread).astype(np.int64)
        other[-1] = 2**40 - other[:-1].sum()
        a, b = base / 2.0**40, other / 2.0**40
        exact = sum(
            mpmath.mpf(int(u)) / 2**40 * mpmath.log(mpmath.mpf(int(u)) / int(v)) for u, v in zip(base, other)
        )
        err = {
            "anadiv": discrete.kl(a, b),
            "stats.entropy": scipy_entropy(a, b),
            "rel_entr.sum": rel_entr(a, b).sum(),
        }
        line = ", ".join(f"{k} {float(abs(v - exact) / exact):.1e}" for k, v in err.items())
        print(f"  KL = {float(exact):.2e}: {line}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--large", type=int, default=10_000, help="distributions in the chunked run (0 skips)")
    parser.add_argument("--quick", action="store_true", help="fewer repeats and loop pairs")
    args = parser.parse_args()
    rng = np.random.default_rng(2024)
    repeats = 1 if args.quick else 3
    loop_pairs = 5_000 if args.quick else 30_000
    print(f"numpy {np.__version__}, CPUs available {discrete._default_workers()}, load average {os.getloadavg()}")
    bench_pairwise("Dirichlet(1) histograms", dirichlet_histograms(rng, 1000, 256), loop_pairs, repeats, rng)
    bench_pairwise("histograms of 2,000 normal samples", sample_histograms(rng, 1000, 256), loop_pairs, repeats, rng)
    bench_kl(rng, 100_000, 256, repeats)
    if args.large:
        bench_large(args.large, 256, rng)
    print(f"\nload average at the end {os.getloadavg()}")


if __name__ == "__main__":
    main()
