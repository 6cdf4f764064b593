"""High-precision numerical truth for the closed-form tests (mpmath, 30+ digits).

Integrands are ``exp(logp) * (logp - logq)`` (KL), ``-exp(logp) * logq``
(cross-entropy), ``-exp(logp) * logp`` (entropy), integrated over P's
support split at both families' breakpoints. An infinite end is cut where the
integrand has fallen below ``10**-(dps + 15)`` (found by doubling steps);
heavy (power-law) tails that never fall that low keep the infinite end, which
``mpmath.quad`` maps itself. Cutting matters for the Gumbel's doubly
exponential left tail, where evaluating ``exp(exp(-z))`` far out stalls
``mpmath.quad``.

Under the counting measure (a family whose ``measure`` is ``"counting"``)
the truth is the sum of the same terms over the support.

This is a private test helper; ``anadiv.quadrature.kl_quad`` (scipy) is the
double-precision truth used alongside it.
"""

from __future__ import annotations

import functools
from typing import Any, Callable

import mpmath
import numpy as np
import sympy as sp


@functools.lru_cache(maxsize=None)
def mp_logpdf(cls: type) -> Callable[..., Any]:
    x = sp.Symbol("x", real=True)
    syms = cls.symbols("")
    return sp.lambdify((x, *syms), cls.sym_logpdf(x, *syms), modules="mpmath")


def _ends(cls: type, params: tuple[float, ...]) -> tuple[float, float]:
    lo, hi = cls._np_support(*[np.asarray(v, dtype=float) for v in params])
    return float(lo), float(hi)


def _breaks(cls: type, params: tuple[float, ...]) -> list[float]:
    try:
        pts = cls._np_breakpoints(*[np.asarray(v, dtype=float) for v in params])
    except Exception:
        return []
    return [float(np.asarray(p)) for p in pts]


def integral(
    kind: str, P: type, p: tuple[float, ...], Q: type | None = None, q: tuple[float, ...] | None = None, dps: int = 30
) -> mpmath.mpf:
    """KL / cross-entropy / entropy of univariate families at ``dps`` digits."""
    with mpmath.workdps(dps + 10):
        lp_f = mp_logpdf(P)
        pm = [mpmath.mpf(v) for v in p]
        lq_f = mp_logpdf(Q) if Q is not None else None
        qm = [mpmath.mpf(v) for v in q] if q is not None else None

        def f(x: Any) -> Any:
            lp = lp_f(x, *pm)
            if lp == -mpmath.inf:
                return mpmath.mpf(0)
            w = mpmath.exp(lp)
            if w == 0:
                return mpmath.mpf(0)
            if kind == "entropy":
                return -w * lp
            lq = lq_f(x, *qm)
            return w * (lp - lq) if kind == "kl" else -w * lq

        lo, hi = _ends(P, p)
        if getattr(P, "measure", "lebesgue") == "counting":
            return _count_sum(f, P, p, lo, hi, dps)
        inner = [b for b in _breaks(P, p) + (_breaks(Q, q) if Q is not None else []) if lo < b < hi]
        anchor_lo = min(inner) if inner else (lo if np.isfinite(lo) else (hi - 1 if np.isfinite(hi) else 0.0))
        anchor_hi = max(inner) if inner else (hi if np.isfinite(hi) else (lo + 1 if np.isfinite(lo) else 0.0))
        tiny = mpmath.mpf(10) ** (-(dps + 15))

        def cut(anchor: float, direction: int) -> Any:
            for k in range(0, 40):
                x = mpmath.mpf(anchor) + direction * mpmath.mpf(2) ** k
                if abs(f(x)) < tiny and abs(f(x + direction)) < tiny:
                    return x
            return direction * mpmath.inf

        a = mpmath.mpf(lo) if np.isfinite(lo) else cut(anchor_lo, -1)
        b = mpmath.mpf(hi) if np.isfinite(hi) else cut(anchor_hi, +1)
        pts = sorted({float(v) for v in inner if a < v < b})
        # extra nodes around the bulk keep tanh-sinh's degree low on long ranges
        nodes = [a, *[mpmath.mpf(v) for v in pts], b]
        refined = [nodes[0]]
        for left, right in zip(nodes[:-1], nodes[1:]):
            if mpmath.isinf(left) or mpmath.isinf(right):
                refined.append(right)
                continue
            n = int(min(8, max(1, mpmath.ceil((right - left) / 4))))
            refined.extend(left + (right - left) * mpmath.mpf(i) / n for i in range(1, n + 1))
        value = mpmath.quad(f, refined, maxdegree=10)
    return +value


def _count_sum(f: Callable[[Any], Any], P: type, p: tuple[float, ...], lo: float, hi: float, dps: int) -> mpmath.mpf:
    """Under the counting measure the truth is a sum: whole over a finite support, else over the counts
    up to mean + 80 sd + 400, whose rest is far below ``10**-(dps + 10)`` for the light-tailed mass
    functions here (Chernoff), then checked against the next 200 counts."""
    if np.isfinite(hi):
        return +mpmath.fsum(f(mpmath.mpf(k)) for k in range(int(lo), int(hi) + 1))
    mean, var = (float(np.asarray(v)) for v in P(*p).mean_variance())
    top = int(mean + 80.0 * np.sqrt(var) + 400.0)
    value = mpmath.fsum(f(mpmath.mpf(k)) for k in range(int(lo), top + 1))
    rest = mpmath.fsum(f(mpmath.mpf(k)) for k in range(top + 1, top + 201))
    assert abs(rest) <= mpmath.mpf(10) ** -(dps + 10) * max(abs(value), 1), "the sum's tail is not negligible"
    return +value
