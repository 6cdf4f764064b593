r"""Numerical integration of KL divergence, cross-entropy and entropy.

This is the numerical truth the test-suite checks every closed form and
estimator against, and users can call it on any pair with numeric
log-densities:

.. math::

    \mathrm{KL}(P\|Q) = \int p(x)\,(\log p(x) - \log q(x))\,dx, \quad
    H(P, Q) = -\int p \log q, \quad H(P) = -\int p \log p.

The integrand is written as ``exp(logp) * (logp - logq)``, set to 0 where
``logp = -inf`` (never ``0 * inf = NaN``).

**Univariate** (any family with scalar parameters, or a :class:`~anadiv.Mixture`):
    the range is P's support, split at its finite ends, at P's and Q's
    breakpoints (kinks, modes, support ends of mixture components) and at
    quantiles of every component of P and Q (so a narrow component is never
    stepped over). ``precision="double"`` integrates each piece with
    ``scipy.integrate.quad`` (``epsabs=1e-14``, ``epsrel=1e-12``, ``limit=500``)
    and reports the sum of its error estimates; infinite pieces use quad's own
    variable transformation, so there is **no truncation of the tails**.
    ``precision="high"`` uses ``mpmath.quad`` (tanh-sinh) at ``digits``
    significant digits on the same pieces, with log-densities built from each
    family's symbolic ``sym_logpdf`` lambdified to mpmath. That path imports
    sympy (once; the lambdified function is cached per family class); the
    ``"double"`` path never does. Where a density is unbounded at a finite
    support end (Beta with ``a < 1`` or ``b < 1``), float64 cannot resolve
    points closer to the end than its spacing there, and the ``"double"``
    value can be off by ~1e-10 (more than quad's own estimate); use
    ``"high"`` for such cases.

**Two dimensions** (``MultivariateNormal``/``DiagonalNormal`` or mixtures of them):
    ``scipy.integrate.cubature`` (Gauss-Kronrod 21 product rule, adaptive) over
    the box spanned by every component of P's mean +/- 12 standard deviations
    per coordinate. The returned error is cubature's estimate **plus a rigorous
    bound on the truncated tails**: by Cauchy-Schwarz,

    .. math::

        \Bigl|\int_{\text{outside}} p\,h\Bigr| \le
        \sqrt{P(\text{outside})}\;\sqrt{E_P[h^2]},

    where :math:`P(\text{outside}) \le \sum_k w_k \sum_i [\Phi(-a_{ki}) + \Phi(-b_{ki})]`
    (union bound over coordinates, :math:`a, b` the distances from component
    :math:`k`'s mean to the box edges in standard deviations, at least 12, so
    :math:`P(\text{outside}) < 10^{-32}`) and :math:`E_P[h^2]` is integrated
    alongside the value (the box part, plus a margin of a factor of 2). A
    non-converged cubature gives an ``IntegrationWarning``.

If P puts mass where Q's density is zero (P's support not inside Q's, decided
from the supports before integrating, or ``logq = -inf`` met where ``p > 0``),
KL and cross-entropy are ``inf``. They are also ``inf`` when an infinite tail
makes the integral diverge (``|x f(x)|`` not decaying far out, e.g. a Cauchy P
against a Normal Q, where :math:`E_P[x^2] = \infty`); method ``"divergent tail"``.
"""

from __future__ import annotations

import functools
import math
import warnings
from dataclasses import dataclass
from typing import Any, Callable

import numpy as np

from .families._base import Family
from .mixture import Mixture, _component_dim, _is_gaussian, gaussian_params

__all__ = ["QuadResult", "kl_quad", "entropy_quad", "cross_entropy_quad"]

_PRECISIONS = ("double", "high")
#: Half-width of the 2-D integration box, in component standard deviations.
_BOX_SDS = 12.0
#: Quantile levels of each component used as split points in 1-D.
_SPLIT_LEVELS = np.array([1e-4, 1e-3, 0.01, 0.05, 0.2, 0.5, 0.8, 0.95, 0.99, 0.999, 1 - 1e-4])


@dataclass(frozen=True)
class QuadResult:
    """A numerically integrated value with its error estimate.

    Attributes
    ----------
    value : float
        The integral (``inf`` when the divergence is infinite).
    error : float
        Absolute error estimate (quadrature estimate, plus the tail bound for
        the truncated 2-D box).
    method : str
        How it was computed, e.g. ``"scipy.integrate.quad"``.

    ``float(result)`` gives ``value``.
    """

    value: float
    error: float
    method: str

    def __float__(self) -> float:
        return float(self.value)


class _Infinite(Exception):
    """Raised inside an integrand when P has mass where log q = -inf."""


# ------------------------------------------------------------------ helpers
def _dim(dist: Any, name: str) -> int:
    """0 for univariate, d for d-dimensional; validates scalar parameters."""
    if isinstance(dist, Mixture):
        return dist.dim
    if isinstance(dist, Family):
        try:
            return _component_dim(dist, name)
        except ValueError as exc:
            msg = str(exc)
            raise ValueError(f"{name}: quadrature needs a single distribution, not a batch "
                             f"({msg.split(': ', 1)[-1]})") from None
    raise ValueError(f"{name}: must be an anadiv Family instance or a Mixture, got {type(dist).__name__}")


def _weighted_components(dist: Any) -> list[tuple[float, Family]]:
    if isinstance(dist, Mixture):
        return [(float(w), c) for w, c in zip(dist.weights, dist.components) if w > 0]
    return [(1.0, dist)]


def _support(dist: Any) -> tuple[float, float]:
    lo, hi = dist.support()
    return float(np.asarray(lo)), float(np.asarray(hi))


def _support_inside(p: Any, q: Any) -> bool:
    """True when every component of P lives inside the support of some part of Q's hull."""
    qlo, qhi = _support(q)
    plo, phi = _support(p)
    return plo >= qlo and phi <= qhi


@functools.lru_cache(maxsize=None)
def _bulk_points(c: Family) -> tuple[float, ...]:
    """Quantiles of one component from a fixed-seed sample (deterministic)."""
    s = np.asarray(c.sample(4096, rng=np.random.default_rng(20260522)), dtype=float)
    return tuple(float(v) for v in np.quantile(s, _SPLIT_LEVELS))


def _split_points(p: Any, q: Any, lo: float, hi: float) -> list[float]:
    pts: set[float] = set()
    for dist in (p, q):
        if dist is None:
            continue
        pts.update(float(np.asarray(b)) for b in dist.breakpoints())
        for _, c in _weighted_components(dist):
            pts.update(_bulk_points(c))
            clo, chi = _support(c)
            pts.update(v for v in (clo, chi) if math.isfinite(v))
    inner = sorted(v for v in pts if lo < v < hi and math.isfinite(v))
    # Drop points that would make a zero-width piece.
    edges = [lo]
    for v in inner:
        if v - edges[-1] > 1e-12 * max(1.0, abs(v)):
            edges.append(v)
    if hi - edges[-1] <= 1e-12 * max(1.0, abs(hi)) and len(edges) > 1 and math.isfinite(hi):
        edges.pop()
    edges.append(hi)
    return edges


def _tail_diverges(kind: str, p: Any, q: Any, edges: list[float]) -> bool:
    """True when an infinite end makes the integral diverge.

    For a convergent integral over an infinite end, ``|x f(x)| -> 0``. The
    integrand is looked at on a geometric grid far out (up to 1e12 times the
    spread of the split points); if ``|x f(x)|`` is not small and still not
    decreasing there, the tail integral grows without bound (a Cauchy P and a
    Normal Q: ``f ~ const``). Quadrature would otherwise return a finite
    number for a divergent integral.
    """
    h, _ = _KINDS[kind]
    scale = max([1.0] + [abs(v) for v in edges if math.isfinite(v)])
    for sign, end in ((1.0, edges[-1]), (-1.0, edges[0])):
        if math.isfinite(end):
            continue
        g = []
        for k in (9, 12):
            x = sign * scale * 10.0**k
            with np.errstate(all="ignore"):
                lp = float(p.logpdf(x))
                dens = math.exp(lp)
                if dens == 0.0:
                    g.append(0.0)
                    continue
                lq = float(q.logpdf(x)) if q is not None else 0.0
            if lq == -math.inf:
                return True
            g.append(abs(dens * h(lp, lq)) * abs(x))
        if g[1] > 1e-9 and g[1] >= g[0]:
            return True
    return False


def _check_precision(precision: str) -> None:
    if precision not in _PRECISIONS:
        raise ValueError(f"precision: must be one of {_PRECISIONS}, got {precision!r}")


# Integrand h(logp, logq) such that the target is E_P[h]; keyed by kind.
def _h_kl(lp: Any, lq: Any) -> Any:
    return lp - lq


def _h_cross(lp: Any, lq: Any) -> Any:
    return -lq


def _h_entropy(lp: Any, lq: Any) -> Any:
    return -lp


_KINDS: dict[str, tuple[Callable[[Any, Any], Any], bool]] = {
    # kind: (h, needs Q)
    "kl": (_h_kl, True),
    "cross_entropy": (_h_cross, True),
    "entropy": (_h_entropy, False),
}


# ------------------------------------------------------------ double, 1-D
def _quad_1d_double(kind: str, p: Any, q: Any, edges: list[float]) -> QuadResult:
    from scipy.integrate import quad

    h, _ = _KINDS[kind]

    def f(x: float) -> float:
        lp = float(p.logpdf(x))
        dens = math.exp(lp)
        if dens == 0.0:
            # p underflows: the term is 0 even where log q overflows to -inf
            # (Gumbel tails: log q ~ -exp(|x|)).
            return 0.0
        lq = float(q.logpdf(x)) if q is not None else 0.0
        if lq == -math.inf:
            # q = 0 (or log q < -1.8e308) where p > 1e-308: the integral diverges.
            raise _Infinite
        return dens * h(lp, lq)

    total, err, messages = 0.0, 0.0, []
    for a, b in zip(edges[:-1], edges[1:]):
        out = quad(f, a, b, epsabs=1e-14, epsrel=1e-12, limit=500, full_output=1)
        total += out[0]
        err += out[1]
        if len(out) > 3:
            messages.append(f"[{a:g}, {b:g}]: {str(out[3]).splitlines()[0]}")
    # quad flags round-off on pieces whose integral is ~0; only an error
    # estimate that is large in absolute and relative terms is worth a warning.
    if messages and err > max(1e-9, 1e-7 * abs(total)):
        from scipy.integrate import IntegrationWarning

        warnings.warn("quad did not fully converge on " + "; ".join(messages), IntegrationWarning, stacklevel=3)
    return QuadResult(total, err, "scipy.integrate.quad")


# -------------------------------------------------------------- high, 1-D
@functools.lru_cache(maxsize=None)
def _mp_logpdf_function(cls: type) -> Callable[..., Any]:
    """mpmath log-density of a family class from its sympy ``sym_logpdf`` (cached)."""
    import sympy  # high-precision path only

    x = sympy.Symbol("x", real=True)
    params = cls.symbols()
    expr = cls.sym_logpdf(x, *params)
    return sympy.lambdify((x, *params), expr, modules="mpmath")


def _mp_logpdf(dist: Any) -> Callable[[Any], Any]:
    """mpmath log-density (``None`` meaning -inf) of a family or mixture."""
    import mpmath

    parts = []
    for w, c in _weighted_components(dist):
        fn = _mp_logpdf_function(type(c))
        params = tuple(mpmath.mpf(float(np.asarray(v))) for v in c.param_values)
        lo, hi = _support(c)
        parts.append((mpmath.log(mpmath.mpf(w)), fn, params, mpmath.mpf(lo), mpmath.mpf(hi)))

    def logpdf(x: Any) -> Any:
        terms = [lw + fn(x, *params) for lw, fn, params, lo, hi in parts if lo <= x <= hi]
        terms = [t for t in terms if t != -mpmath.inf]
        if not terms:
            return None
        if len(terms) == 1:
            return terms[0]
        m = max(terms)
        return m + mpmath.log(mpmath.fsum(mpmath.exp(t - m) for t in terms))

    return logpdf


def _quad_1d_high(kind: str, p: Any, q: Any, edges: list[float], digits: int) -> QuadResult:
    import mpmath

    h, _ = _KINDS[kind]
    with mpmath.workdps(digits + 5):
        logp = _mp_logpdf(p)
        logq = _mp_logpdf(q) if q is not None else (lambda x: mpmath.mpf(0))

        finite_edges = [v for v in edges if math.isfinite(v)]

        def negligible(x: Any) -> bool:
            # A float64 look first: where p < exp(-10^4) the integrand is far
            # below any working precision, and some log-densities there (Gumbel's
            # -exp(-z)) would cost mpmath an exponent with billions of digits.
            # Near a finite end float rounding may fake -inf, so mpmath decides there.
            xf = float(x)
            if not math.isfinite(xf):
                return True
            if any(abs(xf - e) <= 1e-8 * (1 + abs(e)) for e in finite_edges):
                return False
            with np.errstate(all="ignore"):
                lpf = float(p.logpdf(xf))
            return lpf < -1e4

        def f(x: Any) -> Any:
            if negligible(x):
                return mpmath.mpf(0)
            lp = logp(x)
            if lp is None:
                return mpmath.mpf(0)
            lq = logq(x)
            if lq is None:
                raise _Infinite
            return mpmath.exp(lp) * h(lp, lq)

        pts = [mpmath.mpf(v) if math.isfinite(v) else (mpmath.inf if v > 0 else -mpmath.inf) for v in edges]
        # On infinite pieces tanh-sinh reaches nodes like 1e(10^5), where a
        # double-exponential tail (Gumbel) would need exp(exp(1e5)): no
        # finite-cost answer. Beyond |x| = 1e40 * (1 + |largest split point|)
        # even a Cauchy tail holds less than 1e-38 of the integral, so such
        # nodes contribute 0.
        cutoff = mpmath.mpf(1e40) * (1 + max([abs(v) for v in edges if math.isfinite(v)] + [0.0]))
        total, err = mpmath.mpf(0), mpmath.mpf(0)
        for a, b in zip(pts[:-1], pts[1:]):
            # tanh-sinh nodes closer to an end than the working precision round
            # onto it, where a log-density may be +-inf; such a node has a
            # negligible weight, so it contributes 0.
            def g(x: Any, a: Any = a, b: Any = b) -> Any:
                return f(x) if a < x < b and abs(x) < cutoff else mpmath.mpf(0)

            v, e = mpmath.quad(g, [a, b], error=True, maxdegree=10)
            total += v
            err += e
        return QuadResult(float(total), float(err), f"mpmath.quad ({digits} digits)")


# ------------------------------------------------------------------- 2-D
def _gaussian_parts(dist: Any, name: str) -> list[tuple[float, np.ndarray, np.ndarray]]:
    parts = []
    for w, c in _weighted_components(dist):
        if not _is_gaussian(c):
            raise ValueError(f"{name}: 2-D quadrature supports Gaussian components only, got {c!r}")
        m, s = gaussian_params(c)
        parts.append((w, m, s))
    return parts


def _quad_2d(kind: str, p: Any, q: Any, rtol: float) -> QuadResult:
    from scipy.integrate import IntegrationWarning, cubature
    from scipy.special import ndtr

    h, _ = _KINDS[kind]
    parts = _gaussian_parts(p, "p")
    means = np.array([m for _, m, _ in parts])
    sds = np.array([np.sqrt(np.diag(s)) for _, _, s in parts])
    weights = np.array([w for w, _, _ in parts])
    lo = np.min(means - _BOX_SDS * sds, axis=0)
    hi = np.max(means + _BOX_SDS * sds, axis=0)
    # Union bound on the P-mass outside the box (exact Gaussian tails per coordinate).
    p_out = float(np.sum(weights[:, None] * (ndtr(-(means - lo) / sds) + ndtr(-(hi - means) / sds))))

    def f(x: np.ndarray) -> np.ndarray:
        lp = np.asarray(p.logpdf(x), dtype=float)
        lq = np.asarray(q.logpdf(x), dtype=float) if q is not None else np.zeros_like(lp)
        with np.errstate(invalid="ignore", over="ignore"):
            dens = np.exp(lp)
        alive = dens > 0
        if np.any(alive & (lq == -np.inf)):
            raise _Infinite
        with np.errstate(invalid="ignore", over="ignore"):
            hv = np.where(alive, h(lp, lq), 0.0)
        return np.stack([dens * hv, dens * hv * hv], axis=-1)

    res = cubature(f, lo, hi, rule="gk21", rtol=rtol, atol=1e-15, max_subdivisions=20000)
    if res.status != "converged":
        warnings.warn(
            f"cubature did not converge (error estimate {res.error[0]:.3g}); the value may be inaccurate",
            IntegrationWarning,
            stacklevel=3,
        )
    value, second = float(res.estimate[0]), float(res.estimate[1])
    tail = math.sqrt(p_out) * math.sqrt(2.0 * max(second, 0.0) + 1.0)
    return QuadResult(value, float(res.error[0]) + tail, "scipy.integrate.cubature (gk21)")


# ---------------------------------------------------------------- driver
def _integrate(kind: str, p: Any, q: Any, precision: str, digits: int, rtol: float) -> QuadResult:
    _check_precision(precision)
    if not isinstance(digits, (int, np.integer)) or digits < 15:
        raise ValueError(f"digits: must be an integer >= 15, got {digits!r}")
    dp = _dim(p, "p")
    if q is not None:
        dq = _dim(q, "q")
        if dq != dp:
            raise ValueError(f"q: dimension {dq or 1} does not match p's dimension {dp or 1}")
    try:
        if dp == 0:
            lo, hi = _support(p)
            if q is not None and not _support_inside(p, q):
                return QuadResult(math.inf, 0.0, "support")
            edges = _split_points(p, q, lo, hi)
            if kind != "entropy" and _tail_diverges(kind, p, q, edges):
                return QuadResult(math.inf, 0.0, "divergent tail")
            if precision == "high":
                return _quad_1d_high(kind, p, q, edges, int(digits))
            return _quad_1d_double(kind, p, q, edges)
        if dp == 2:
            if precision == "high":
                raise ValueError("precision: 'high' is only available for univariate distributions")
            if q is not None:
                _gaussian_parts(q, "q")
            return _quad_2d(kind, p, q, rtol)
        raise ValueError(f"p: quadrature supports univariate and 2-D distributions, got dimension {dp}; "
                         "use kl_estimate")
    except _Infinite:
        return QuadResult(math.inf, 0.0, "support")


def kl_quad(p: Any, q: Any, *, precision: str = "double", digits: int = 30, rtol: float = 1e-10) -> QuadResult:
    r"""KL divergence :math:`\int p \log(p/q)` by numerical integration.

    Parameters
    ----------
    p, q : Family or Mixture
        Univariate distributions with scalar parameters, or 2-D Gaussians /
        Gaussian mixtures.
    precision : {"double", "high"}
        ``"double"``: scipy (``quad`` in 1-D, ``cubature`` in 2-D).
        ``"high"``: ``mpmath.quad`` at ``digits`` digits (1-D only; imports
        sympy to build mpmath log-densities).
    digits : int
        Working precision of the ``"high"`` path (>= 15).
    rtol : float
        Relative tolerance of the 2-D cubature.

    Returns
    -------
    QuadResult
        ``value`` (``inf`` if P has mass where ``q = 0``), ``error``, ``method``.

    Raises
    ------
    ValueError
        ``p``/``q`` batched, of different or unsupported dimension;
        ``precision`` unknown.

    Examples
    --------
    >>> from anadiv import Normal, kl_quad
    >>> r = kl_quad(Normal(0.0, 1.0), Normal(1.0, 2.0))
    >>> round(float(r), 12)  # log 2 + (1 + 1) / 8 - 1/2
    0.44314718056
    >>> r.error < 1e-10
    True
    """
    return _integrate("kl", p, q, precision, digits, rtol)


def cross_entropy_quad(p: Any, q: Any, *, precision: str = "double", digits: int = 30, rtol: float = 1e-10) -> QuadResult:
    r"""Cross-entropy :math:`H(P, Q) = -\int p \log q` by numerical integration.

    Same arguments and guarantees as :func:`kl_quad`.

    Examples
    --------
    >>> from anadiv import Normal, cross_entropy_quad
    >>> round(float(cross_entropy_quad(Normal(0.0, 1.0), Normal(0.0, 1.0))), 12)  # 0.5 log(2 pi e)
    1.418938533205
    """
    return _integrate("cross_entropy", p, q, precision, digits, rtol)


def entropy_quad(p: Any, *, precision: str = "double", digits: int = 30, rtol: float = 1e-10) -> QuadResult:
    r"""Differential entropy :math:`H(P) = -\int p \log p` by numerical integration.

    Same arguments and guarantees as :func:`kl_quad`.

    Examples
    --------
    >>> from anadiv import Exponential, entropy_quad
    >>> round(float(entropy_quad(Exponential(2.0))), 12)  # 1 - log 2
    0.30685281944
    """
    return _integrate("entropy", p, None, precision, digits, rtol)
