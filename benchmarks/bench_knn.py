"""Exact k-nearest-neighbour search: where brute force beats the k-d tree, and the two-sample KL work.

Run from the repository root: ``PYTHONPATH=. python benchmarks/bench_knn.py`` (sections:
``--only crossover|kl|memory``; ``--repeat``).
universal-divergence is an optional bench dependency (``pip install "anadiv[bench]"``); without it
its row is skipped.

1. Crossover. ``NeighbourIndex(X, method=...)`` queried with ``m`` points of the same
   distribution (standard normal in ``d`` dimensions), for ``method="kdtree"`` (scipy's
   cKDTree) and ``"brute"`` (BLAS picks candidates, exact distances). n = m = 10^4, build included (the estimators build one index
   per call), over d = 1..64 and k = 1..5 (k = 1 and 5 away from the crossover); n = 10^5
   around the crossover, the query of m = 2 * 10^3 rows timed alone (a brute-force run at
   n = m = 10^5 takes minutes on this shared machine; both methods' query times are
   proportional to m) and the builds printed once. The times printed are those measured.
2. Two-sample KL work, X and Y of 10^6 points each in d = 3, k = 1:
   (a) bare cKDTree: build trees of X and Y, query X against X with k + 1 and X against Y with k;
   (b) NeighbourIndex doing the same (self excluded by index);
   (c) ``universal_divergence.estimate(X, Y, k=1)``: at 10^6 when a run at 10^5 says it takes
       under about 3 minutes, else at 10^5 and 3 * 10^5 only (printed as such);
   (d) ``anadiv.estimators.knn.kl_knn(X, Y, k=1)`` when that module exists.
   Ratios against (a) and (c) at the same n.
3. Memory. The tracemalloc peak of streaming ``chunks`` over 10^6 dask query points (10 blocks)
   and summing log-distances, against ``query`` on the same points as one numpy array.

Times are wall clock on whatever machine runs this: medians and ranges (min-max) of ``repeat``
runs; on a shared machine single runs move by tens of percent.
"""

from __future__ import annotations

import argparse
import statistics
import time
import tracemalloc
from typing import Any

import numpy as np
from _timing import timings

from anadiv import get_num_threads
from anadiv.estimators.neighbours import NeighbourIndex




def fmt(times: list[float]) -> str:
    return f"{statistics.median(times):8.3f} s ({min(times):.3f}-{max(times):.3f})"


def crossover(repeat: int, dims: list[int] | None = None) -> None:
    rng = np.random.default_rng(0)
    print(f"1. crossover: standard normal data, {get_num_threads()} threads, median (range) of {repeat}")
    # k = 1..5 where the crossover lies, k = 1 and 5 (the ends: the tree's cost grows with k,
    # brute force's hardly) elsewhere
    near = {8, 10, 12, 16, 24}
    n = m = 10**4
    print(f"  n = m = {n:.0e}, build + query")
    print(f"  {'d':>3} {'k':>2}  {'kdtree':>26}  {'brute':>26}  tree/brute")
    for d in dims or (1, 2, 4, 8, 10, 12, 16, 24, 32, 64):
        x, y = rng.normal(size=(n, d)), rng.normal(size=(m, d))
        for k in ((1, 2, 3, 4, 5) if d in near else (1, 5)):
            res = {meth: timings(lambda meth=meth: NeighbourIndex(x, method=meth).query(y, k), repeat, warm=False)
                   for meth in ("kdtree", "brute")}
            ratio = statistics.median(res["kdtree"]) / statistics.median(res["brute"])
            print(f"  {d:>3} {k:>2}  {fmt(res['kdtree']):>26}  {fmt(res['brute']):>26}  {ratio:6.2f}", flush=True)
    n, m = 10**5, 2 * 10**3
    print(f"  n = {n:.0e}: query of m = {m:.0e} rows, build excluded (printed once)")
    print(f"  {'d':>3} {'k':>2}  {'kdtree':>26}  {'brute':>26}  tree/brute")
    for d in dims or (8, 10, 12, 16, 24):
        x, y = rng.normal(size=(n, d)), rng.normal(size=(m, d))
        built = {}
        for meth in ("kdtree", "brute"):
            t0 = time.perf_counter()
            built[meth] = NeighbourIndex(x, method=meth)
            print(f"  {d:>3}     build {meth}: {time.perf_counter() - t0:.3f} s")
        for k in (1, 5):
            res = {meth: timings(lambda meth=meth: built[meth].query(y, k), repeat, warm=False) for meth in built}
            ratio = statistics.median(res["kdtree"]) / statistics.median(res["brute"])
            print(f"  {d:>3} {k:>2}  {fmt(res['kdtree']):>26}  {fmt(res['brute']):>26}  {ratio:6.2f}", flush=True)


def kl_work(repeat: int) -> None:
    from scipy.spatial import cKDTree

    rng = np.random.default_rng(1)
    n, d, k = 10**6, 3, 1
    x, y = rng.normal(size=(n, d)), rng.normal(0.5, 1.0, size=(n, d))
    workers = get_num_threads()
    print(f"2. two-sample KL neighbour work, n = m = {n:.0e}, d = {d}, k = {k}, {workers} threads, "
          f"median (range) of {repeat}")

    def bare() -> None:
        tx, ty = cKDTree(x), cKDTree(y)
        tx.query(x, k=k + 1, workers=workers)
        ty.query(x, k=k, workers=workers)

    def ours() -> None:
        ix, iy = NeighbourIndex(x), NeighbourIndex(y)
        ix.query(x, k, exclude_self=True)
        iy.query(x, k)

    base = timings(bare, repeat, warm=False)
    mine = timings(ours, repeat, warm=False)
    print(f"  (a) bare cKDTree                   {fmt(base)}")
    print(f"  (b) NeighbourIndex                 {fmt(mine)}   {statistics.median(mine) / statistics.median(base):.2f}x (a)")
    kl_knn: Any = None
    t: list[float] = []
    try:
        from anadiv.estimators.knn import kl_knn
    except ImportError:
        print("  (d) anadiv.estimators.knn.kl_knn: not importable in this tree, skipped")
    else:
        t = timings(lambda: kl_knn(x, y, k=1), repeat, warm=False)
        print(f"  (d) kl_knn                         {fmt(t)}   {statistics.median(t) / statistics.median(base):.2f}x (a)")
    try:
        import universal_divergence
    except ImportError:
        print("  (c) universal-divergence not installed, skipped")
        return
    small = 10**5
    t_small = timings(lambda: universal_divergence.estimate(x[:small], y[:small], k=1), 1, warm=False)[0]
    sizes = [small, 3 * small] if t_small * 10 > 180 else [n]
    if sizes != [n]:
        print(f"  (c) universal-divergence took {t_small:.1f} s at n = 1e5 (one run): about 3 minutes or more "
              f"at 1e6, so it is timed at 1e5 and 3e5 only, with (a) and (b) at the same n")
    for size in sizes:
        xs, ys = x[:size], y[:size]
        # one run each: a run takes minutes
        t_ud = [t_small] if size == small else timings(lambda: universal_divergence.estimate(xs, ys, k=1), 1, warm=False)
        if size == n:
            b, o = base, mine
        else:
            b = timings(lambda: (cKDTree(xs).query(xs, k=k + 1, workers=workers),
                                 cKDTree(ys).query(xs, k=k, workers=workers)), repeat, warm=False)
            o = timings(lambda: (NeighbourIndex(xs).query(xs, k, exclude_self=True),
                                 NeighbourIndex(ys).query(xs, k)), repeat, warm=False)
        med = statistics.median(t_ud)
        print(f"  (c) universal_divergence, n = {size:.0e}  {fmt(t_ud)} ({len(t_ud)} run(s))   "
              f"{med / statistics.median(b):.0f}x (a); (a) {fmt(b)}, (b) {fmt(o)}: "
              f"(b) is {med / statistics.median(o):.0f}x faster than (c)")
        if kl_knn is not None:
            est = t if size == n else timings(lambda: kl_knn(xs, ys, k=1), repeat, warm=False)
            print(f"      (d) kl_knn at n = {size:.0e}: {fmt(est)}, {med / statistics.median(est):.1f}x faster "
                  "than (c)")


def memory() -> None:
    import dask.array as da

    rng = np.random.default_rng(2)
    n, m, d = 10**5, 10**6, 3
    index = NeighbourIndex(rng.normal(size=(n, d)))
    q = rng.normal(size=(m, d))
    lazy = da.from_array(q, chunks=(m // 10, d))
    print(f"3. memory: n = {n:.0e} reference points, m = {m:.0e} queries in d = {d}, k = 4, tracemalloc peaks")

    def streamed() -> float:
        total = 0.0
        for _, dist, _ in index.chunks(lazy, 4, chunk_size=m // 100):
            total += float(np.log(dist[:, -1]).sum())
        return total

    def whole() -> float:
        dist, _ = index.query(q, 4)
        return float(np.log(dist[:, -1]).sum())

    for label, fn in (("chunks over dask, 10 blocks, chunk_size 1e4", streamed), ("query on the numpy array", whole)):
        tracemalloc.start()
        value = fn()
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
        print(f"  {label:<45} peak {peak / 2**20:7.1f} MiB   (sum of log distances {value:.6f})")
    print(f"  (the queries themselves: {q.nbytes / 2**20:.1f} MiB; the full (dist, idx) output: {m * 4 * 16 / 2**20:.1f} MiB)")
    try:
        from anadiv.estimators.knn import kl_knn
    except ImportError:
        return
    x, y = rng.normal(size=(m, d)), rng.normal(0.5, 1.0, size=(m, d))
    tracemalloc.start()
    kl_knn(x, y, k=4)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    print(f"  kl_knn, n = m = {m:.0e}, k = 4: peak {peak / 2**20:.1f} MiB beyond the two samples "
          f"({(x.nbytes + y.nbytes) / 2**20:.1f} MiB); its neighbour lists whole would be "
          f"{2 * m * 5 * 16 / 2**20:.1f} MiB")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", choices=("crossover", "kl", "memory"))
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--dims", type=int, nargs="+", help="crossover: only these dimensions")
    args = parser.parse_args()
    sections = {"kl": lambda: kl_work(args.repeat), "memory": memory, "crossover": lambda: crossover(args.repeat, args.dims)}
    for name, run in sections.items():
        if args.only in (None, name):
            run()


if __name__ == "__main__":
    main()
