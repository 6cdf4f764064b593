"""Wasserstein-2 between dense Gaussians: anadiv, POT's Bures-Wasserstein distance, a plain scipy sqrtm formula.

Run: ``python benchmarks/wasserstein.py`` (``--quick``: fewer repetitions; ``--d``, ``--batch``
to change the sizes). POT is an optional bench dependency (``pip install "anadiv[bench]"`` or
``pip install pot==0.9.7.post1``); without it its rows are skipped.

A batch of ``batch`` pairs of ``MultivariateNormal(m, S)`` (default d = 200, 50 pairs, float64)
is timed as:

1. ``anadiv.wasserstein.wasserstein2(p, q)`` with the distributions built inside the timed call
   (their validation factors each covariance, and that factor is the one the closed form uses);
2. the same with the distributions built beforehand (the factorizations already done);
3. ``ot.gaussian.bures_wasserstein_distance(m1, m2, S1, S2, paired=True)`` (POT, numpy backend;
   its batched path multiplies the matrices with an unoptimized ``einsum``, ``O(d^4)`` per pair,
   so it is also timed one pair at a time);
4. the textbook formula with ``scipy.linalg.sqrtm``:
   ``sqrt(|m1 - m2|^2 + tr S1 + tr S2 - 2 tr sqrtm(sqrtm(S1) S2 sqrtm(S1)))``, one pair at a time.

Each is run ``repeat`` times; the median and the range (min-max) are printed with the ratios of
the medians to anadiv's, and the values are checked to agree. Then the accuracy of each at a
nearly equal pair at the same ``d``: ``S2`` with small integer entries and ``S1 = (1 + 2^-40) S2``
(both exact in float64), equal means, whose distance is exactly
``sqrt(tr S2) (sqrt(1 + 2^-40) - 1)`` (commuting covariances), evaluated with mpmath.
"""

from __future__ import annotations

import argparse
import statistics
from typing import Any

import numpy as np
from _timing import timings




def show(label: str, times: list[float], base: float | None = None) -> float:
    med = statistics.median(times)
    ratio = "" if base is None else f"   {med / base:6.2f}x anadiv"
    spread = f"range {min(times) * 1e3:9.2f} - {max(times) * 1e3:9.2f} ms"
    print(f"  {label:<40} median {med * 1e3:9.2f} ms   {spread}{ratio}")
    return med


def sqrtm_formula(m1: np.ndarray, m2: np.ndarray, s1: np.ndarray, s2: np.ndarray) -> np.ndarray:
    """The textbook W2 with scipy.linalg.sqrtm, pair by pair (imaginary round-off dropped)."""
    from scipy.linalg import sqrtm

    out = np.empty(len(m1))
    for i in range(len(m1)):
        root = sqrtm(s1[i])
        mid = sqrtm(root @ s2[i] @ root)
        b2 = np.trace(s1[i]) + np.trace(s2[i]) - 2.0 * np.real(np.trace(mid))
        out[i] = np.sqrt(max(float(np.sum((m1[i] - m2[i]) ** 2) + b2), 0.0))
    return out


def pot() -> Any:
    try:
        import ot.gaussian
    except ImportError:
        return None
    return ot.gaussian


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer repetitions")
    parser.add_argument("--d", type=int, default=200)
    parser.add_argument("--batch", type=int, default=50)
    args = parser.parse_args()
    repeat = 3 if args.quick else 11
    d, n = args.d, args.batch

    from anadiv import MultivariateNormal
    from anadiv.wasserstein import wasserstein2

    rng = np.random.default_rng(0)

    def spd() -> np.ndarray:
        a = rng.standard_normal((d, d))
        return a @ a.T / d + 0.1 * np.eye(d)

    m1, m2 = rng.standard_normal((n, d)), rng.standard_normal((n, d))
    s1 = np.stack([spd() for _ in range(n)])
    s2 = np.stack([spd() for _ in range(n)])
    gauss = pot()
    print(f"W2 between {n} pairs of dense Gaussians, d = {d}, float64 ({repeat} repetitions)")
    if gauss is None:
        print("  POT is not installed (optional bench dependency: pip install pot==0.9.7.post1): its rows are skipped")

    def built() -> Any:
        return wasserstein2(MultivariateNormal(m1, s1), MultivariateNormal(m2, s2))

    p, q = MultivariateNormal(m1, s1), MultivariateNormal(m2, s2)
    ref = built()
    base = show("anadiv (built in the call)", timings(built, repeat))
    show("anadiv (built beforehand)", timings(lambda: wasserstein2(p, q), repeat), base)
    if gauss is not None:
        got = [gauss.bures_wasserstein_distance(m1[i], m2[i], s1[i], s2[i]) for i in range(n)]
        assert np.allclose(got, ref, rtol=1e-8), "POT disagrees"
        # two runs, no warm-up: POT's batched product is an unoptimized einsum (O(d^4) per pair, minutes)
        show("POT bures_wasserstein_distance (batch)", timings(
            lambda: gauss.bures_wasserstein_distance(m1, m2, s1, s2, paired=True), 1 if args.quick else 2,
            warm=False), base)
        show("POT, one pair at a time (no einsum)", timings(
            lambda: [gauss.bures_wasserstein_distance(m1[i], m2[i], s1[i], s2[i]) for i in range(n)], repeat), base)
    assert np.allclose(sqrtm_formula(m1, m2, s1, s2), ref, rtol=1e-8), "the sqrtm formula disagrees"
    show("scipy.linalg.sqrtm formula", timings(lambda: sqrtm_formula(m1, m2, s1, s2), max(3, repeat // 3)), base)

    # nearly equal pair with an exact truth
    import mpmath as mp

    a = rng.integers(-1, 2, (d, d)).astype(float)
    cov2 = a @ a.T + d * np.eye(d)  # integers below 2^10: (1 + 2^-40) cov2 is exact
    cov1 = cov2 * (1.0 + 2.0**-40)
    zero = np.zeros(d)
    with mp.workdps(40):
        truth = mp.sqrt(mp.mpf(float(np.trace(cov2)))) * (mp.sqrt(1 + mp.mpf(2) ** -40) - 1)
    print(f"\nAccuracy at a nearly equal pair (d = {d}, S1 = (1 + 2^-40) S2, W2 = {float(truth):.6e}): relative error")
    values = {"anadiv": wasserstein2(MultivariateNormal(zero, cov1), MultivariateNormal(zero, cov2))}
    if gauss is not None:
        values["POT"] = float(gauss.bures_wasserstein_distance(zero, zero, cov1, cov2))
    values["scipy.linalg.sqrtm formula"] = float(sqrtm_formula(zero[None], zero[None], cov1[None], cov2[None])[0])
    for label, value in values.items():
        print(f"  {label:<40} {float(abs(mp.mpf(value) - truth) / truth):.1e}")


if __name__ == "__main__":
    main()
