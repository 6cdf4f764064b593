"""KL between low-rank plus diagonal Gaussians: anadiv (Woodbury), torch, and the dense closed form.

Run: ``python benchmarks/bench_lowrank.py`` (``--quick``: fewer repetitions;
``--d``, ``--r``, ``--batch`` to change the sizes).

A batch of ``batch`` pairs ``LowRankMultivariateNormal(loc, W, D)`` with
``W`` of shape ``d x r`` (default d = 1000, r = 10, 100 pairs), timed as:

1. ``anadiv.kl(p, q)`` on the LowRank distributions (``O(d r^2)`` per pair:
   Woodbury and the determinant lemma through the ``r x r`` capacitance);
2. ``torch.distributions.kl_divergence`` on torch's ``LowRankMultivariateNormal``
   (float64, CPU; skipped when torch is not installed);
3. ``anadiv.kl`` on the same pairs as dense ``MultivariateNormal`` (covariances
   formed and validated beforehand: the time is the factorizations and solves,
   ``O(d^3)`` per pair).

Each is run ``repeat`` times; the median and the range (min-max) are printed
with the ratios of the medians, and the values are checked to agree.
"""

from __future__ import annotations

import argparse
import statistics

import numpy as np
from _timing import timings




def show(label: str, times: list[float]) -> float:
    med = statistics.median(times)
    print(f"  {label:<34} median {med * 1e3:9.2f} ms   range {min(times) * 1e3:9.2f} - {max(times) * 1e3:9.2f} ms")
    return med


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer repetitions")
    parser.add_argument("--d", type=int, default=1000)
    parser.add_argument("--r", type=int, default=10)
    parser.add_argument("--batch", type=int, default=100)
    args = parser.parse_args()
    repeat = 3 if args.quick else 11
    d, r, n = args.d, args.r, args.batch

    import anadiv
    from anadiv import LowRankMultivariateNormal

    rng = np.random.default_rng(0)

    def params() -> tuple[np.ndarray, ...]:
        return rng.normal(size=(n, d)), rng.normal(size=(n, d, r)), np.exp(rng.uniform(-1, 1, size=(n, d)))

    pp, qp = params(), params()
    p, q = LowRankMultivariateNormal(*pp), LowRankMultivariateNormal(*qp)
    print(f"KL of {n} pairs of LowRankMultivariateNormal, d = {d}, r = {r} (float64; {anadiv.get_num_threads()} anadiv threads)")

    ours = anadiv.kl(p, q)
    t_ours = show("anadiv LowRank (Woodbury)", timings(lambda: anadiv.kl(p, q), repeat))

    t_torch = None
    try:
        import torch
    except ImportError:
        print("  torch not installed: skipped")
    else:
        torch.set_num_threads(anadiv.get_num_threads())
        tp, tq = (torch.distributions.LowRankMultivariateNormal(*(torch.from_numpy(v) for v in x)) for x in (pp, qp))
        theirs = torch.distributions.kl_divergence(tp, tq).numpy()
        t_torch = show("torch LowRank kl_divergence", timings(lambda: torch.distributions.kl_divergence(tp, tq), repeat))
        print(f"    largest relative difference from anadiv: {np.max(np.abs(theirs - ours) / ours):.1e}")

    dense_p, dense_q = p.to_multivariate(), q.to_multivariate()  # validated (factored) before timing
    dense = anadiv.kl(dense_p, dense_q)
    t_dense = show("anadiv dense MultivariateNormal", timings(lambda: anadiv.kl(dense_p, dense_q), max(3, repeat // 3)))
    print(f"    largest relative difference from anadiv LowRank: {np.max(np.abs(dense - ours) / ours):.1e}")

    print("  ratios of the medians:")
    if t_torch is not None:
        print(f"    torch LowRank / anadiv LowRank: {t_torch / t_ours:6.2f}")
    print(f"    dense MVN / anadiv LowRank:     {t_dense / t_ours:6.1f}")


if __name__ == "__main__":
    main()
