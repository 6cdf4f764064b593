"""The lazy pairwise matrix on a dask.distributed LocalCluster: scaling with the number of workers.

    python benchmarks/bench_pairwise_dask.py            # scaling at N = 10,000 (10^8 entries)
    python benchmarks/bench_pairwise_dask.py --large    # also N = 100,000 (10^10 entries, minutes)

Each run computes, for every histogram, the Jensen-Shannon divergence to its
nearest other histogram: a reduction of the whole N x N matrix, which is
never held (the 10^10-entry matrix would be 80 GB). Workers are processes
with one thread each. The in-memory numpy ``pairwise`` on as many threads is
timed on the same data for reference (at N = 10,000 only: its matrix is
800 MB). Prints median and range of ``--repeat`` runs.
"""

from __future__ import annotations

import argparse
import statistics
import time

import numpy as np

import dask.array as da
import distributed

from anadiv.discrete import pairwise


def nearest(x: np.ndarray, chunks: int) -> da.Array:
    """JS divergence of every histogram to its nearest other histogram, lazily."""
    lazy = pairwise("js_divergence", da.from_array(x, chunks=(chunks, -1)))
    n = x.shape[0]
    return (lazy + da.diag(da.full(n, np.inf, chunks=chunks))).min(axis=1)


def fmt(times: list[float]) -> str:
    return f"{statistics.median(times):7.2f} s ({min(times):.2f}-{max(times):.2f})"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--n", type=int, default=10_000)
    parser.add_argument("--bins", type=int, default=8)
    parser.add_argument("--chunks", type=int, default=2_500)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--large", action="store_true", help="also N = 100,000 on every worker count")
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2])
    args = parser.parse_args()

    rng = np.random.default_rng(0)
    sizes = [(args.n, args.chunks)] + ([(100_000, 10_000)] if args.large else [])
    print(f"Jensen-Shannon to the nearest other histogram, {args.bins} bins; median (range) of {args.repeat}")
    for n, chunks in sizes:
        x = rng.dirichlet(np.ones(args.bins), size=n)
        print(f"\nN = {n:,} ({n * n:.1e} pairs), blocks of {chunks:,} ({(n // chunks) ** 2} tasks)")
        reference = None
        if n * n <= 2e8:
            for w in args.workers:
                times = []
                for _ in range(args.repeat):
                    t0 = time.perf_counter()
                    m = pairwise("js_divergence", x, workers=w)
                    np.fill_diagonal(m, np.inf)
                    reference = m.min(axis=1)
                    times.append(time.perf_counter() - t0)
                    del m
                print(f"  numpy pairwise in memory, {w} thread(s):     {fmt(times)}")
        for w in args.workers:
            with distributed.LocalCluster(
                n_workers=w, threads_per_worker=1, processes=True, dashboard_address=None, silence_logs=50
            ) as cluster, distributed.Client(cluster) as client:
                times = []
                for _ in range(args.repeat if n <= 20_000 else 1):
                    t0 = time.perf_counter()
                    got = client.compute(nearest(x, chunks), sync=True)
                    times.append(time.perf_counter() - t0)
                if reference is not None:
                    np.testing.assert_allclose(got, reference, rtol=1e-12)
                print(f"  lazy on a LocalCluster, {w} worker process(es): {fmt(times)}"
                      f"  ({n * n / statistics.median(times):.3g} pairs/s)")


if __name__ == "__main__":
    main()
