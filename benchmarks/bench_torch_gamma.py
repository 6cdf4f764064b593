"""Gamma-Gamma and Beta-Beta KLs on torch float64 CPU tensors: anadiv's torch path with the
gamma-function helpers on the host (numpy, as before they were native) and native, against
``torch.distributions.kl_divergence(..., validate_args=False)``; and the accuracy of anadiv
and torch at nearly equal parameters against 50-digit mpmath.

Run: ``python benchmarks/bench_torch_gamma.py`` (``--n`` pairs, default 10^6; ``--repeat``,
default 5; ``--threads``, default 2). Prints the median and range of the repeated runs.
"""

from __future__ import annotations

import argparse
import contextlib
import statistics
from typing import Any, Callable, Iterator

import numpy as np

from _timing import timings

# the helpers the Gamma and Beta KLs call (anadiv.numeric.stable's names)
GAMMA_HELPERS = ("gamma_bregman", "beta_bregman", "lgamma_bregman", "lgamma_bregman_d", "lgamma_diff",
                 "lgamma_diff_d", "digamma_diff", "digamma_diff_d", "lgamma_mpsi")


@contextlib.contextmanager
def host_helpers() -> Iterator[None]:
    """The torch path as it was: every gamma-function helper through numpy on the host."""
    from anadiv.numeric.backends import torch_backend

    st = torch_backend.namespace()._stable
    for name in GAMMA_HELPERS:
        torch_backend._TorchStable.__getattr__(st, name)  # sets the host version on the instance
    try:
        yield
    finally:
        for name in GAMMA_HELPERS:
            vars(st).pop(name, None)


def report(label: str, times: list[float]) -> float:
    med = statistics.median(times)
    print(f"  {label:<34} {1e3 * med:9.2f} ms  ({1e3 * min(times):.2f}-{1e3 * max(times):.2f})")
    return med


def bench(name: str, anadiv_fn: Callable[[], Any], torch_fn: Callable[[], Any], repeat: int) -> None:
    print(name)
    with host_helpers():
        host = report("anadiv, helpers on the host", timings(anadiv_fn, repeat))
    native = report("anadiv, native helpers", timings(anadiv_fn, repeat))
    ref = report("torch.distributions", timings(torch_fn, repeat))
    print(f"  native/host {native / host:.3f}x, native/torch {native / ref:.2f}x")


def exact_gamma(a1: float, b1: float, a2: float, b2: float) -> float:
    import mpmath as mp

    a1, b1, a2, b2 = map(mp.mpf, (a1, b1, a2, b2))
    return float((a1 - a2) * mp.digamma(a1) - mp.loggamma(a1) + mp.loggamma(a2)
                 + a2 * (mp.log(b1) - mp.log(b2)) + a1 * (b2 - b1) / b1)


def exact_beta(a1: float, b1: float, a2: float, b2: float) -> float:
    import mpmath as mp

    a1, b1, a2, b2 = map(mp.mpf, (a1, b1, a2, b2))
    lbeta = lambda a, b: mp.loggamma(a) + mp.loggamma(b) - mp.loggamma(a + b)  # noqa: E731
    return float(lbeta(a2, b2) - lbeta(a1, b1) + (a1 - a2) * mp.digamma(a1) + (b1 - b2) * mp.digamma(b1)
                 + (a2 - a1 + b2 - b1) * mp.digamma(a1 + b1))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--n", type=int, default=10**6)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args()

    import mpmath
    import torch
    from torch.distributions import Beta, Gamma, kl_divergence

    import anadiv
    from anadiv.families import FAMILIES

    mpmath.mp.dps = 50
    torch.set_num_threads(args.threads)
    print(f"torch {torch.__version__}, anadiv {anadiv.__version__}, {args.threads} threads, "
          f"{args.n:.0e} pairs, float64 CPU tensors, median (range) of {args.repeat}")
    rng = np.random.default_rng(0)
    p1, p2, q1, q2 = (torch.tensor(np.exp(rng.normal(0.0, 1.0, args.n))) for _ in range(4))
    kl_gamma = anadiv.kl_function(FAMILIES["gamma"], FAMILIES["gamma"])
    kl_beta = anadiv.kl_function(FAMILIES["beta"], FAMILIES["beta"])
    bench("Gamma(shape, rate) || Gamma", lambda: kl_gamma(p1, p2, q1, q2),
          lambda: kl_divergence(Gamma(p1, p2, validate_args=False), Gamma(q1, q2, validate_args=False)), args.repeat)
    bench("Beta || Beta", lambda: kl_beta(p1, p2, q1, q2),
          lambda: kl_divergence(Beta(p1, p2, validate_args=False), Beta(q1, q2, validate_args=False)), args.repeat)

    print("accuracy at shape 50, Q's parameters 1e-6 relative away, against 50-digit mpmath (relative error)")
    a1, b1 = 50.0, 50.0 * 1.3
    a2, b2 = a1 * (1 + 1e-6), b1 * (1 - 1e-6)
    t = [torch.tensor([v], dtype=torch.float64) for v in (a1, b1, a2, b2)]
    for name, fn, dist, exact in (("Gamma", kl_gamma, Gamma, exact_gamma), ("Beta", kl_beta, Beta, exact_beta)):
        truth = exact(a1, b1, a2, b2)
        ours = float(fn(*t)[0])
        pd, qd = dist(t[0], t[1], validate_args=False), dist(t[2], t[3], validate_args=False)
        theirs = float(kl_divergence(pd, qd)[0])
        ours_err, theirs_err = abs(ours - truth) / truth, abs(theirs - truth) / truth
        print(f"  {name}: true {truth:.6e}; anadiv {ours_err:.1e}; torch {theirs_err:.1e}")


if __name__ == "__main__":
    main()
