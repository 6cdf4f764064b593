"""High-precision numerical truth for the closed-form tests (mpmath, 30+ digits).

Integrands are ``exp(logp) * (logp - logq)`` (KL), ``-exp(logp) * logq``
(cross-entropy), ``-exp(logp) * logp`` (entropy), integrated over P's
support split at both families' breakpoints. An infinite end is cut where the
integrand has fallen below ``10**-(dps + 15)`` (found by doubling steps), which
matters for the Gumbel's doubly exponential left tail, where evaluating
``exp(exp(-z))`` far out stalls ``mpmath.quad``.

Two kinds of ends are integrated in logarithmic coordinates instead, where
tanh-sinh in ``x`` cannot reach 30 digits:

* a heavy tail (the integrand has not fallen below the threshold within
  ``2**6`` of the outermost breakpoint): a power law ``x**-(1 + e)`` (Pareto,
  half-Cauchy and inverse-gamma tails against a ``log q`` growing like a power)
  has a fraction ``R**-e`` of its integral beyond ``R``, so with ``e = 0.01`` a
  cut at any float-sized ``R`` (or ``mpmath.quad``'s own map of ``[a, oo]``,
  whose nodes stop at ``1/(1 - t) ~ 10**dps``) misses whole digits. With
  ``x = anchor + expm1(u)`` the tail is ``exp(-e u)`` in ``u``, integrated over
  pieces ``[0, 1], [1, 2], [2, 4], ...`` until it is below the threshold;
* a near non-integrable singularity at a finite end, ``|x - end|**s`` with
  ``s < -1/2`` (``E[1/X]`` of an inverse-gamma ``Q`` under a chi-squared with 2
  degrees of freedom: ``s = df/2 - 2``): tanh-sinh's nodes come no closer to the
  end than ``10**-dps`` of the interval, and the ``|x - end|**(1 + s)/(1 + s)``
  left out is most of the digits. With ``x = end + w exp(-v)`` it is
  ``exp(-(1 + s) v)`` in ``v``, in doubling pieces as above (the working
  precision raised so that ``end + w exp(-v)`` is not rounded to ``end``).

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


#: An infinite end whose integrand is below the threshold this far from the outermost breakpoint is
#: light (cut there, integrated in x); beyond it the tail is integrated in log coordinates.
_LIGHT_TAIL = 6
#: A finite end where the integrand behaves like ``|x - end|**s`` with ``s`` below this is
#: integrated in log coordinates (tanh-sinh in x leaves ``10**(-dps (1 + s))`` out).
_SINGULAR_POWER = -0.5
#: Doublings of the log-coordinate range before giving up (``u = 2**60``: a tail exponent of ``1e-16``).
_MAX_DOUBLINGS = 60


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
            for k in range(0, _LIGHT_TAIL + 1):
                x = mpmath.mpf(anchor) + direction * mpmath.mpf(2) ** k
                if abs(f(x)) < tiny and abs(f(x + direction)) < tiny:
                    return x
            return None  # a heavy tail: integrated in log coordinates

        total = mpmath.mpf(0)
        a = mpmath.mpf(lo) if np.isfinite(lo) else cut(anchor_lo, -1)
        b = mpmath.mpf(hi) if np.isfinite(hi) else cut(anchor_hi, +1)
        if a is None:
            a = mpmath.mpf(anchor_lo)
            total += _log_tail(f, a, -1, tiny)
        if b is None:
            b = mpmath.mpf(anchor_hi)
            total += _log_tail(f, b, +1, tiny)
        pts = sorted({float(v) for v in inner if a < v < b})
        # extra nodes around the bulk keep tanh-sinh's degree low on long ranges
        nodes = [a, *[mpmath.mpf(v) for v in pts], b]
        refined = [nodes[0]]
        for left, right in zip(nodes[:-1], nodes[1:]):
            n = int(min(8, max(1, mpmath.ceil((right - left) / 4))))
            refined.extend(left + (right - left) * mpmath.mpf(i) / n for i in range(1, n + 1))
        # a near non-integrable singularity at a finite end: its first piece in log coordinates
        for side, finite in ((0, np.isfinite(lo)), (-1, np.isfinite(hi))):
            end, nxt = refined[side], refined[1 if side == 0 else -2]
            if not finite or not _singular(f, end, nxt):
                continue
            if len(refined) == 2:  # one piece: its other half stays in x
                nxt = (end + nxt) / 2
                refined.insert(1, nxt)
            total += _log_end(f, end, nxt, tiny)
            refined = refined[1:] if side == 0 else refined[:-1]
        total += mpmath.quad(f, refined, maxdegree=10)
    return +total


def _doubling(g: Callable[[Any], Any], tiny: Any) -> Any:
    """``int_0^oo g`` for a ``g`` that decays (perhaps slowly) towards ``oo``: pieces ``[0, 1], [1, 2], [2, 4], ...``
    up to the first end where ``g`` (and the next piece's midpoint) is below ``tiny``."""
    ends = [mpmath.mpf(0), mpmath.mpf(1)]
    while not (abs(g(ends[-1])) < tiny and abs(g(ends[-1] * 1.5)) < tiny):
        assert len(ends) < _MAX_DOUBLINGS, "the integrand does not decay in log coordinates"
        ends.append(2 * ends[-1])
    return mpmath.quad(g, ends, maxdegree=10)


def _log_tail(f: Callable[[Any], Any], anchor: Any, direction: int, tiny: Any) -> Any:
    """``int f`` from ``anchor`` to ``direction * oo`` with ``x = anchor + direction*expm1(u)``."""
    return _doubling(lambda u: f(anchor + direction * mpmath.expm1(u)) * mpmath.exp(u), tiny)


def _singular(f: Callable[[Any], Any], end: Any, inner: Any) -> bool:
    """Whether ``f ~ |x - end|**s`` with ``s`` below ``_SINGULAR_POWER`` (from two points close to ``end``)."""
    width = inner - end
    with mpmath.extraprec(80):
        near, nearer = abs(f(end + width * mpmath.mpf(10) ** -12)), abs(f(end + width * mpmath.mpf(10) ** -24))
    if near == 0 or nearer == 0:
        return False
    return mpmath.log(nearer / near) / mpmath.log(mpmath.mpf(10) ** -12) < _SINGULAR_POWER


def _log_end(f: Callable[[Any], Any], end: Any, inner: Any, tiny: Any) -> Any:
    """``int f`` between a singular ``end`` and ``inner`` with ``x = end + (inner - end)*exp(-v)``.

    ``end + w*exp(-v)`` keeps its offset only with ``v/log(2)`` more bits than the
    working precision (unless ``end`` is 0): the precision follows ``v``.
    """
    width = inner - end
    base = mpmath.mp.prec

    def g(v: Any) -> Any:
        extra = 0 if end == 0 else int(v / mpmath.ln2) + 20
        with mpmath.workprec(base + extra):
            t = width * mpmath.exp(-v)
            return f(end + t) * abs(t)

    return _doubling(g, tiny)


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
