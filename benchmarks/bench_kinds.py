"""The divergences beyond KL: closed form against quadrature and Monte Carlo, and against what a user
writes without anadiv (time and accuracy, same run).

Run: ``python benchmarks/bench_kinds.py`` (``--quick``: fewer repetitions).

For each (kind, pair) it times, median and range over repeats:

1. ``anadiv.divergence(kind, p, q)`` on the closed-form path (one pair; then a batch of 10^5
   pairs through the explicit function, per element);
2. ``anadiv.divergence_quad(kind, p, q)`` (adaptive quadrature of the kind's integrand);
3. ``anadiv.divergence_estimate(kind, p, q, n=100_000)`` (plain Monte Carlo);
4. the textbook quadrature a user writes with scipy (``quad`` over the real line of the defining
   integrand from ``scipy.stats`` densities: ``sqrt(p q)`` for Hellinger and Bhattacharyya,
   ``p^alpha q^(1 - alpha)`` for Renyi, ``p^2/q`` for chi-square, ``|p - q| / 2`` for total variation);

and the relative error of each against the closed form (itself checked against 50-digit mpmath in
the tests), at a typical pair and at a nearly equal one (relative parameter change 1e-6), where the
textbook ``1 - BC`` and ``log int ...`` forms cancel. The Jensen-Shannon divergence has no closed
form: quadrature and Monte Carlo against the textbook integral only.
"""

from __future__ import annotations

import argparse
import math
import statistics
import warnings
from typing import Any

import numpy as np
from _timing import timings




def fmt_time(times: list[float]) -> str:
    med = statistics.median(times)
    unit, scale = ("ms", 1e3) if med >= 1e-4 else ("us", 1e6)
    return f"{med * scale:8.2f} {unit} [{min(times) * scale:.2f}-{max(times) * scale:.2f}]"


def rel(a: float, b: float) -> float:
    if a == b:
        return 0.0
    return abs(a - b) / abs(b) if b else math.inf


def textbook(kind: str, p_sp: Any, q_sp: Any, alpha: float | None) -> float:
    """What a user writes: scipy.integrate.quad of the defining integrand over the real line."""
    from scipy.integrate import quad

    lo, hi = p_sp.support()
    lo, hi = min(lo, q_sp.support()[0]), max(hi, q_sp.support()[1])
    f = {
        "hellinger": lambda x: math.sqrt(p_sp.pdf(x) * q_sp.pdf(x)),
        "bhattacharyya": lambda x: math.sqrt(p_sp.pdf(x) * q_sp.pdf(x)),
        "renyi": lambda x: p_sp.pdf(x) ** alpha * q_sp.pdf(x) ** (1 - alpha),
        "chi_square": lambda x: p_sp.pdf(x) ** 2 / q_sp.pdf(x) if q_sp.pdf(x) > 0 else 0.0,
        "total_variation": lambda x: abs(p_sp.pdf(x) - q_sp.pdf(x)) / 2,
        "jensen_shannon": lambda x: _js_point(p_sp.pdf(x), q_sp.pdf(x)),
    }[kind]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        v = quad(f, lo, hi, limit=200)[0]
    return {
        "hellinger": lambda v: math.sqrt(max(1 - v, 0.0)),
        "bhattacharyya": lambda v: -math.log(v),
        "renyi": lambda v: math.log(v) / (alpha - 1),
        "chi_square": lambda v: v - 1,
        "total_variation": lambda v: v,
        "jensen_shannon": lambda v: v,
    }[kind](v)


def _js_point(a: float, b: float) -> float:
    m = (a + b) / 2
    out = 0.0
    if a > 0:
        out += a * math.log(a / m) / 2
    if b > 0:
        out += b * math.log(b / m) / 2
    return out


CASES = [
    ("hellinger", None, ("Normal", (0.0, 1.0), (1.0, 2.0))),
    ("bhattacharyya", None, ("Gamma", (2.0, 1.0), (3.0, 2.0))),
    ("renyi", 0.5, ("Beta", (2.0, 3.0), (1.5, 0.7))),
    ("renyi", 2.0, ("Normal", (0.0, 1.0), (0.5, 1.2))),
    ("chi_square", None, ("Exponential", (1.0,), (1.5,))),
    ("total_variation", None, ("Normal", (0.0, 1.0), (1.0, 2.0))),
    ("jensen_shannon", None, ("Normal", (0.0, 1.0), (1.0, 2.0))),
]


def near(params: tuple[float, ...]) -> tuple[float, ...]:
    return tuple(v * (1 + 1e-6) if v != 0 else 1e-6 for v in params)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="fewer repetitions")
    args = ap.parse_args()
    repeat = 3 if args.quick else 9

    import anadiv
    from anadiv.families import FAMILIES

    print(f"anadiv {anadiv.__version__}; times: median [min-max] of {repeat} runs; errors relative to the "
          "closed form (JS: to the 30-digit quadrature)")
    for kind, alpha, (fam, pp, qp) in CASES:
        cls = {f.__name__: f for f in FAMILIES.values()}[fam]
        params = {"alpha": alpha} if alpha is not None else {}
        for label, qv in (("typical", qp), ("near P = Q", near(pp))):
            p, q = cls(*pp), cls(*qv)
            title = f"{kind}{'(' + str(alpha) + ')' if alpha else ''} {fam}{pp} || {fam}{qv} [{label}]"
            print(f"\n{title}")
            try:
                truth = anadiv.divergence(kind, p, q, method="closed", **params).value
                t = timings(lambda: anadiv.divergence(kind, p, q, method="closed", **params), repeat)
                print(f"  closed form            {fmt_time(t)}")
            except anadiv.NoClosedFormError:
                truth = anadiv.divergence_quad(kind, p, q, params=params or None, precision="high").value
            tq = timings(lambda: anadiv.divergence_quad(kind, p, q, params=params or None), repeat)
            vq = anadiv.divergence_quad(kind, p, q, params=params or None).value
            print(f"  anadiv quadrature      {fmt_time(tq)}   error {rel(vq, truth):.1e}")
            tm = timings(lambda: anadiv.divergence_estimate(kind, p, q, params=params or None, n=100_000, seed=1),
                         max(1, repeat // 3))
            em = anadiv.divergence_estimate(kind, p, q, params=params or None, n=100_000, seed=1)
            print(f"  anadiv Monte Carlo     {fmt_time(tm)}   error {rel(em.value, truth):.1e} "
                  f"(stderr {em.stderr / abs(truth):.1e} relative)")
            p_sp, q_sp = p.to_scipy(), q.to_scipy()
            tt = timings(lambda: textbook(kind, p_sp, q_sp, alpha), repeat)
            vt = textbook(kind, p_sp, q_sp, alpha)
            print(f"  scipy textbook quad    {fmt_time(tt)}   error {rel(vt, truth):.1e}")
        if kind != "jensen_shannon":
            n = 100_000
            rng = np.random.default_rng(0)
            batch_p = cls(*[np.full(n, v) * (1 + 0.1 * rng.random(n)) for v in pp])
            batch_q = cls(*[np.full(n, v) * (1 + 0.1 * rng.random(n)) for v in qp])
            tb = timings(lambda: anadiv.divergences.closed_form(kind, batch_p, batch_q, **params), repeat)
            per = statistics.median(tb) / n
            print(f"  closed form, batch of 10^5: {fmt_time(tb)} ({per * 1e9:.0f} ns per pair)")


if __name__ == "__main__":
    main()
