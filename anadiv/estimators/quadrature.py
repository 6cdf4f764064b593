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
from the supports before integrating, or ``q = 0`` met where ``p > 0``), KL
and cross-entropy are ``inf``. They are also ``inf`` when an infinite tail
makes the integral diverge, method ``"divergent tail"``: ``log|x f(x)|`` is
scanned in log space on a geometric grid from P's bulk to the end of the
float range (:func:`_scan_tail`), and ``|x f(x)|`` not decaying there (a
Cauchy P against a Normal Q; a Laplace P against a Gumbel Q, where
``p ~ e^-|x|`` meets ``-log q ~ e^|x|``) means divergence. Both precisions use
this one scan. Where ``log q`` overflows float64 but ``p > 0`` (a Gumbel's
left tail), the integrand comes from ``log(-log q)`` (the family's ``_np_log_neg_logpdf`` hook);
for a family without that formula :class:`QuadratureError` is raised.

Split points also follow P's own scale (a geometric ladder of P-widths
around P's bulk), and infinite pieces are mapped onto ``[0, 1]`` with the
scale of their start, so a P much narrower or wider than Q is integrated as
accurately as a standardized one. ``precision="high"`` integrates each
infinite tail in ``u = log(1 + |x - a| / s)`` to ``|x| = 1e280 s`` and adds
the power-law remainder; it warns (``IntegrationWarning``) when its error
estimate exceeds ``10**-digits`` of the value.
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass
from typing import Any, Callable

import numpy as np

from ..errors import QuadratureError
from ..numeric.validation import check_count, check_tol
from ..families._base import Family
from ..families._scipy_objects import as_distribution
from .result import QuadResult
from ..kinds import KINDS, DivergenceKind, get_kind
from ..mixture import Mixture, _component_dim, _is_gaussian, gaussian_params
from ..numeric.caching import memoize

__all__ = ["QuadResult", "QuadratureError", "divergence_quad", "kl_quad", "entropy_quad", "cross_entropy_quad"]

_PRECISIONS = ("double", "high")
#: Working precision cap of the "high" path (beyond it one integral takes hours).
_MAX_DIGITS = 1000
#: Half-width of the 2-D integration box, in component standard deviations.
_BOX_SDS = 12.0
#: Quantile levels of each component used as split points in 1-D.
_SPLIT_LEVELS = np.array([1e-4, 1e-3, 0.01, 0.05, 0.2, 0.5, 0.8, 0.95, 0.99, 0.999, 1 - 1e-4])


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


@memoize
def _bulk_points(c: Family) -> tuple[float, ...]:
    """Quantiles of one component from a fixed-seed sample (deterministic)."""
    s = np.asarray(c.sample(4096, rng=np.random.default_rng(20260522)), dtype=float)
    return tuple(float(v) for v in np.quantile(s, _SPLIT_LEVELS))


def _p_scale(p: Any) -> float:
    """Width of P's narrowest component (inter-quantile range), the unit of P's standardized variable."""
    widths = []
    for _, c in _weighted_components(p):
        b = _bulk_points(c)
        w = b[7] - b[3]  # 95% - 5% quantiles
        if w > 0 and math.isfinite(w):
            widths.append(w)
    return min(widths) if widths else 1.0


#: Geometric ladder of split points, in units of P's scale, around each
#: component of P: pieces grow by 4x away from P's bulk, so a P much narrower
#: than Q (or than the distance to Q's split points) is never stepped over.
_LADDER = 4.0 ** np.arange(1, 16)


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
    for _, c in _weighted_components(p):
        b = _bulk_points(c)
        w = b[7] - b[3]
        if w > 0 and math.isfinite(w):
            pts.update((b[0] - w * _LADDER).tolist())
            pts.update((b[-1] + w * _LADDER).tolist())
    # Near a finite end where the density may be unbounded (Beta(0.01, 0.01)
    # has quantiles like 1e-258), quad's own endpoint treatment of the one
    # piece touching the end does far better than pieces spanning hundreds of
    # decades: no split points within 1e-12 P-widths of a finite end.
    guard = 1e-12 * _p_scale(p)
    inner = sorted(v for v in pts if math.isfinite(v) and lo + guard < v < hi - guard)
    # Drop points that would make a zero-width piece (relative to the value's
    # own spacing, so a P of width 1e-8 keeps its points).
    edges = [lo]
    for v in inner:
        prev = edges[-1]
        if not math.isfinite(prev) or v - prev > 1e-13 * max(abs(v), abs(prev)):
            edges.append(v)
    if len(edges) > 1 and math.isfinite(hi) and hi - edges[-1] <= 1e-13 * max(abs(hi), abs(edges[-1])):
        edges.pop()
    edges.append(hi)
    return edges


def _log_neg_logq(q: Any, x: np.ndarray) -> np.ndarray:
    """log(-log q(x)) from each family's ``_np_log_neg_logpdf`` (NaN where it has none).

    The case that matters is a Gumbel's left tail: log q = -e^-z is -inf in
    float64 from z = -709.8 on, while p (-log q) is often still a number (a
    Normal P against a narrow Gumbel Q).

    For a mixture all of whose components overflow, -log q is the smallest
    of the components' -log(w_k q_k) to far below rounding.
    """
    x = np.asarray(x, dtype=float)
    out = np.full(x.shape, np.inf)
    for w, c in _weighted_components(q):
        fn = getattr(type(c), "_np_log_neg_logpdf", None)
        lo, hi = _support(c)
        with np.errstate(all="ignore"):
            lq_k = np.asarray(c.logpdf(x), dtype=float)
            known = np.log(-lq_k - math.log(w))
            if fn is not None:
                tail = fn(x, *(float(np.asarray(v)) for v in c.param_values))
            else:
                tail = np.full(x.shape, np.nan)
        # Outside the component's support it adds nothing (-log(w q_k) = inf).
        lnl = np.where((x < lo) | (x > hi), np.inf, np.where(np.isfinite(lq_k), known, tail))
        out = np.minimum(out, lnl)
    return out


@dataclass
class _Tail:
    """What the scan of one infinite end found: ``diverges``, and the decay rate
    ``alpha`` of log|x f(x)| per unit of log|x| over the farthest points."""

    diverges: bool = False
    alpha: float = math.inf


def _log_abs_h(kind: Any, lp: np.ndarray, lq: np.ndarray) -> np.ndarray:
    with np.errstate(all="ignore"):
        return get_kind(kind).log_abs_integrand(lp, lq)[0]


def _in_q_support(q: Any, x: np.ndarray) -> np.ndarray:
    inside = np.zeros(np.shape(x), dtype=bool)
    for _, c in _weighted_components(q):
        lo, hi = _support(c)
        inside |= (x >= lo) & (x <= hi)
    return inside


def _log_integrand(kind: str | DivergenceKind, p: Any, q: Any, x: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(log p, log|p h|, sign of h) at x, with log|p h| right where log q overflows.

    ``log|p h|`` comes from the kind (:meth:`~anadiv.kinds.DivergenceKind.log_abs_weighted`),
    not as ``log p + log|h|``: where ``h ~ q/p`` (Jensen-Shannon far in a light tail of P)
    that sum adds two numbers of 1e300 to get ``log q``.

    Raises ``_Infinite`` where p > 0 and q = 0 (x outside every part of Q's
    support) and ``QuadratureError`` where log q overflows and no formula for
    log(-log q) is known.
    """
    with np.errstate(all="ignore"):
        lp = np.asarray(p.logpdf(x), dtype=float)
        lq = np.asarray(q.logpdf(x), dtype=float) if q is not None else np.zeros_like(lp)
        log_h, sign = get_kind(kind).log_abs_weighted(lp, lq)
    alive = lp > -np.inf
    over = alive & (lq == -np.inf)
    if np.any(over) and get_kind(kind).infinite_from_supports:
        if np.any(over & ~_in_q_support(q, x)):
            raise _Infinite
        if not get_kind(kind).linear:
            # h is not -log q to rounding there (a Renyi integrand): the point cannot be judged
            log_h = np.array(log_h, dtype=float)
            log_h[over] = np.nan
            return lp, log_h, np.array(sign, dtype=float)
        lnl = _log_neg_logq(q, x[over] if np.ndim(x) else x)
        if np.any(np.isnan(lnl)):
            bad = float(np.asarray(x)[over].ravel()[0]) if np.ndim(x) else float(x)
            raise QuadratureError(f"log q overflows float64 at x = {bad:.6g} where p > 0, and no formula "
                                  f"for log(-log q) is known for {q!r}; the integral cannot be computed")
        # h = log p - log q (or -log q) is -log q to rounding there: positive.
        log_h = np.array(log_h, dtype=float)
        sign = np.array(sign, dtype=float)
        log_h[over] = lp[over] + lnl
        sign[over] = 1.0
    return lp, log_h, sign


def _scan_tail(kind: str, p: Any, q: Any, start: float, sign: float, scale: float, power: int = 1) -> _Tail:
    """Decide whether the integral over ``[start, sign * inf)`` converges, in log space.

    ``log g = log|x - start| + log p + log|h|`` is evaluated on the grid
    ``start + sign * scale * 2**j`` out to the end of the float range, so
    nothing underflows: a Laplace P against a Gumbel Q has ``p ~ e^-|x|`` and
    ``|h| ~ e^|x|``, fine in logs while their product in float64 was 0 * inf.
    The integral converges when ``g = |x f(x)|`` decays over the farthest
    points evaluated (by a factor 8 in ``|x|``), and diverges when it does not.
    """
    j = np.arange(0, 1100, dtype=float)
    with np.errstate(all="ignore"):
        d = scale * np.exp2(j)
        x = start + sign * d
    keep = np.isfinite(x) & (d > 0) & (x != start)
    if _measure(p) == "counting":
        # counts on the float grid: whole numbers below 2**53, where a log-mass (log k! ~ k log k) is finite
        x = np.round(x)
        keep &= (np.abs(x) < 2.0**53) & (x != start)
    x, d = x[keep], d[keep]
    lp, log_ph, _ = _log_integrand(kind, p, q, x)
    with np.errstate(all="ignore"):
        # log(d p |h|^power), from log|p h| so that power 1 adds nothing large
        log_g = np.log(d) + (1 - power) * lp + power * log_ph
    ok = np.isfinite(log_g)
    if np.count_nonzero(ok) < 4:
        return _Tail()
    lg, dd = log_g[ok], d[ok]
    alpha = float(lg[-4] - lg[-1]) / math.log(dd[-1] / dd[-4])
    return _Tail(diverges=bool(alpha <= 0 and lg[-1] > math.log(1e-300)), alpha=alpha)


def _scan_tails(kind: str, p: Any, q: Any, power: int = 1) -> tuple[_Tail, _Tail]:
    """(left, right) tail scans from P's outermost bulk quantiles; a finite end gives an empty ``_Tail``.

    ``power=2`` scans ``p h^2`` instead of ``p h``: whether ``E_P[h^2]`` (so
    the variance of a Monte Carlo estimate) is finite.
    """
    lo, hi = _support(p)
    scale = _p_scale(p)
    bulk = [b for _, c in _weighted_components(p) for b in _bulk_points(c)]
    left = _scan_tail(kind, p, q, min(bulk), -1.0, scale, power) if not math.isfinite(lo) else _Tail()
    right = _scan_tail(kind, p, q, max(bulk), 1.0, scale, power) if not math.isfinite(hi) else _Tail()
    return left, right


def _tail_diverges(kind: str, p: Any, q: Any, edges: list[float] | None = None) -> bool:
    """True when an infinite end makes the integral diverge (see :func:`_scan_tail`), or, for a kind
    not linear in the logs, a finite end does (:func:`_end_diverges`).

    ``edges`` is accepted for the callers' convenience; the scan starts from P's bulk.
    """
    left, right = _scan_tails(kind, p, q)
    if left.diverges or right.diverges:
        return True
    return not get_kind(kind).linear and _end_diverges(kind, p, q)


def _end_diverges(kind: Any, p: Any, q: Any) -> bool:
    """Whether ``p h`` has a non-integrable singularity at a finite end of P's support.

    A Renyi integrand of order alpha > 1 between two Gammas is
    ``x^(alpha (k_P - 1) + (1 - alpha)(k_Q - 1))`` near 0, which diverges where
    the exponent is at most -1 though both densities are integrable. Scanned
    like an infinite tail, in logs: ``log(d p |h|)`` at ``d = s 2^-j`` from the
    end must decrease as ``d -> 0`` (over the last points the float grid
    resolves next to the end).
    """
    if _measure(p) == "counting":
        return False
    scale = _p_scale(p)
    j = np.arange(0, 1100, dtype=float)
    for end, inward in zip(_support(p), (1.0, -1.0)):
        if not math.isfinite(end):
            continue
        d = scale * np.exp2(-j)
        x = end + inward * d
        keep = (x != end) & (d > 0)
        x, d = x[keep], d[keep]
        d = np.abs(x - end)  # the distance the float grid holds
        try:
            _, log_ph, _ = _log_integrand(kind, p, q, x)
        except _Infinite:
            continue  # decided by the supports elsewhere
        with np.errstate(all="ignore"):
            log_g = np.log(d) + log_ph
        ok = np.isfinite(log_g)
        if np.count_nonzero(ok) < 8:
            continue
        lg = log_g[ok]
        if lg[-1] >= lg[-8] and lg[-1] > math.log(1e-300):
            return True
    return False


def _peak_points(kind: Any, p: Any, q: Any, lo: float, hi: float, edges: list[float]) -> list[float]:
    """Split points around where ``|x| p |h|`` peaks on a geometric grid out from P's bulk.

    KL's integrand lives where P does; a chi-square or Renyi integrand
    (``p^alpha q^(1 - alpha)``) can peak far out in P's tail (two LogNormals
    whose ``p^2/q`` peaks at 1e30), past every split point taken from P and Q:
    quad would step over it. The grid cell holding the maximum and its
    neighbours become pieces of their own.
    """
    scale = _p_scale(p)
    bulk = [b for _, c in _weighted_components(p) for b in _bulk_points(c)]
    inner = [e for e in edges[1:-1] if math.isfinite(e)]
    covered = (min(inner), max(inner)) if inner else (math.inf, -math.inf)
    out: list[float] = []

    def scan(x: np.ndarray, origin: float) -> None:
        """The cell of ``x`` (a geometric grid from ``origin``) where ``|x - origin| p |h|`` peaks, and its neighbours."""
        x = x[np.isfinite(x) & (x > lo) & (x < hi)]
        if len(x) < 3:
            return
        try:
            _, log_ph, _ = _log_integrand(kind, p, q, x)
        except _Infinite:
            return
        with np.errstate(all="ignore"):
            log_g = np.log(np.abs(x - origin)) + log_ph
        if not np.any(np.isfinite(log_g)):
            return
        k = int(np.nanargmax(np.where(np.isfinite(log_g), log_g, -np.inf)))
        # a peak among the split points already taken is integrated as it is
        if not covered[0] <= x[k] <= covered[1]:
            out.extend(float(v) for v in x[max(k - 40, 0):k + 41])

    j = np.arange(0, 1100, dtype=float)
    with np.errstate(all="ignore"):
        steps = scale * np.exp2(j)
    for start, sign in ((min(bulk), -1.0), (max(bulk), 1.0)):
        with np.errstate(all="ignore"):
            scan(start + sign * steps, start)
    for end, inward in zip((lo, hi), (1.0, -1.0)):
        if math.isfinite(end):
            # towards a finite end: x = end + s 2^-j (p^2/q of two LogNormals can peak at 1e-17)
            scan(end + inward * scale * np.exp2(-j), end)
    return out


def _check_precision(precision: str) -> None:
    if not isinstance(precision, str) or precision not in _PRECISIONS:
        raise ValueError(f"precision: must be one of {_PRECISIONS}, got {precision!r}")


def _h(kind: Any) -> Callable[[Any, Any], Any]:
    """The integrand ``h(log p, log q)`` of a kind (object or name): the target is ``E_P[h]``."""
    return get_kind(kind).integrand


# ------------------------------------------------------------ double, 1-D
def _quad_1d_double(kind: str | DivergenceKind, p: Any, q: Any, edges: list[float]) -> QuadResult:
    from scipy.integrate import quad

    h = _h(kind)
    # q = 0 where p > 0 is the kind's infinity (KL), or just a value of its integrand (Hellinger)
    infinite = q is not None and get_kind(kind).infinite_from_supports
    # p h tends to c q where p -> 0 (c the outside weight): the terms where p underflows count
    carried = float(getattr(get_kind(kind), "outside_weight", 0.0)) != 0.0

    def f(x: float) -> float:
        lp = float(p.logpdf(x))
        if lp == math.inf:
            # a node rounded onto a finite end where the density is unbounded (Beta(0.9, 0.99) at 1):
            # an integrable singularity, whose one node carries no weight
            return 0.0
        dens = math.exp(lp)
        if dens == 0.0:
            # p underflows: the term is 0 even where log q overflows to -inf
            # (Gumbel tails: log q ~ -exp(|x|)), unless h grows like q/p (Jensen-Shannon,
            # Hellinger: p h -> c q in a light tail of P under a heavy-tailed Q), read in logs.
            if not carried or lp == -math.inf or q is None:
                return 0.0
            lq = float(q.logpdf(x))
            with np.errstate(all="ignore"):
                log_ph, sign = get_kind(kind).log_abs_weighted(np.array([lp]), np.array([lq]))
            t = float(log_ph[0])
            return float(sign[0]) * math.exp(t) if t < 709.7 else math.inf
        lq = float(q.logpdf(x)) if q is not None else 0.0
        if lq == math.inf:
            return 0.0  # the same at an end where q is unbounded
        if lq == -math.inf and infinite:
            # q = 0 (raises _Infinite) or log q overflowed: p |log q| from logs.
            _, log_ph, _ = _log_integrand(kind, p, q, np.array([x]))
            v = float(log_ph[0])
            return math.exp(v) if v < 709.7 else math.inf
        v = dens * h(lp, lq)
        if not math.isfinite(v) and math.isfinite(lq):
            # h overflowed where p h does not (an integrand with q/p in it): p h from logs
            with np.errstate(all="ignore"):
                log_ph, sign = get_kind(kind).log_abs_weighted(np.array([lp]), np.array([lq]))
            t = float(log_ph[0])
            return float(sign[0]) * (math.exp(t) if t < 709.7 else math.inf)
        return v

    total, err, messages = 0.0, 0.0, []
    scale = _p_scale(p)
    for a, b in zip(edges[:-1], edges[1:]):
        if math.isfinite(a) and math.isfinite(b):
            out = quad(f, a, b, epsabs=1e-14, epsrel=1e-12, limit=500, full_output=1)
        else:
            # An infinite piece starting at |a| >> 1 (the outermost split point,
            # far out in P's own scale): quad's x = a + (1 - t) / t would crowd
            # the whole tail into t < 1 / |a|. x = a +- S t / (1 - t) with S the
            # distance scale at a keeps it on [0, 1]; a power tail becomes an
            # algebraic end singularity (1 - t)^(alpha - 1), which quad extrapolates.
            start, sign = (b, -1.0) if math.isinf(a) else (a, 1.0)
            S = max(abs(start), scale)

            def ft(t: float, start: float = start, sign: float = sign, S: float = S) -> float:
                if t >= 1.0:
                    return 0.0
                u = 1.0 - t
                with np.errstate(over="ignore"):
                    x = start + sign * S * t / u
                if not math.isfinite(x):
                    return 0.0
                v = f(x)
                return v * S / (u * u) if v else 0.0

            out = quad(ft, 0.0, 1.0, epsabs=1e-14, epsrel=1e-12, limit=500, full_output=1)
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
@memoize
def _mp_logpdf_function(cls: type[Family]) -> Callable[..., Any]:
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

    h = _h(kind)
    infinite = q is not None and get_kind(kind).infinite_from_supports
    c_weight = float(getattr(get_kind(kind), "outside_weight", 0.0))
    carried = q is not None and c_weight != 0.0 and math.isfinite(c_weight)
    with mpmath.workdps(digits + 5):
        logp = _mp_logpdf(p)
        logq = _mp_logpdf(q) if q is not None else (lambda x: mpmath.mpf(0))

        # Only P's own finite support ends (not the far split points, where a
        # Gumbel's log-density would cost mpmath exp(1e9)).
        finite_edges = np.array([v for v in _support(p) if math.isfinite(v)])
        near_tol = 1e-8 * (1 + np.abs(finite_edges))
        with np.errstate(all="ignore"):
            # Does P's log-density stay above -1e4 at |x| = 1e150 (a polynomial tail)?
            heavy = {side: bool(float(p.logpdf((1e150 if side else -1e150))) > -1e4) for side in (False, True)}

        def negligible(x: Any) -> bool:
            # A float64 look first: where p < exp(-10^4) the integrand is far
            # below any working precision, and some log-densities there (Gumbel's
            # -exp(-z)) would cost mpmath an exponent with billions of digits.
            # Near a finite end float rounding may fake -inf, so mpmath decides there.
            xf = float(x)
            if not math.isfinite(xf):
                return True
            if np.any(np.abs(xf - finite_edges) <= near_tol):
                return False
            with np.errstate(all="ignore"):
                lpf = float(p.logpdf(xf))
            if lpf == -math.inf and heavy[xf > 0]:
                # A polynomial tail whose float64 log-density overflowed
                # (x^2 at |x| > 1e154): mpmath evaluates it cheaply.
                return False
            if carried and lpf < -1e4:
                # p h -> c q there: negligible only where q is too
                with np.errstate(all="ignore"):
                    return float(q.logpdf(xf)) < -1e4
            return lpf < -1e4

        def f(x: Any) -> Any:
            if negligible(x):
                return mpmath.mpf(0)
            lp = logp(x)
            if lp is None:
                return mpmath.mpf(0)
            lq = logq(x)
            if lq is None:
                if infinite:
                    raise _Infinite
                lq = mpmath.ninf
            if carried and lq - lp > 10_000:
                # p/q < e^-10000: p h = c q to far beyond any working precision (and r = log q - log p
                # would carry the rounding of two numbers of 1e300 into an exponent)
                return c_weight * mpmath.exp(lq)
            return mpmath.exp(lp) * h(lp, lq)

        total, err = mpmath.mpf(0), mpmath.mpf(0)
        finite = [mpmath.mpf(v) for v in edges if math.isfinite(v)]
        for a, b in zip(finite[:-1], finite[1:]):
            # tanh-sinh nodes closer to an end than the working precision round
            # onto it, where a log-density may be +-inf; such a node has a
            # negligible weight, so it contributes 0.
            def g(x: Any, a: Any = a, b: Any = b) -> Any:
                return f(x) if a < x < b else mpmath.mpf(0)

            v, e = mpmath.quad(g, [a, b], error=True, maxdegree=10)
            total += v
            err += e
        scale = mpmath.mpf(_p_scale(p))
        for sign, end, a in ((-1, edges[0], finite[0]), (1, edges[-1], finite[-1])):
            if math.isfinite(end):
                continue
            v, e = _high_tail(f, a, sign, scale)
            total += v
            err += e
        # Promise: `digits` significant digits; say so when the error estimate is larger.
        if err > mpmath.mpf(10) ** (-digits) * max(abs(total), mpmath.mpf(1)):
            warnings.warn(f"precision='high': error estimate {float(err):.3g} is above the requested "
                          f"{digits} digits (value {float(total):.17g})", _integration_warning(), stacklevel=4)
        return QuadResult(float(total), float(err), f"mpmath.quad ({digits} digits)")


def _integration_warning() -> type:
    from scipy.integrate import IntegrationWarning

    return IntegrationWarning


#: The "high" path integrates an infinite tail to |x - a| = scale * _FAR, in the
#: variable u = log(1 + |x - a| / scale), then adds the power-law remainder.
_FAR = 1e280
#: Pieces of the u-range (u = log(1 + |x - a| / scale); 645 at _FAR).
_U_SPLITS = (0.0, 0.5, 1.0, 2.0, 4.0, 8.0, 16.0, 32.0, 64.0, 128.0, 256.0, 448.0)


def _high_tail(f: Callable[[Any], Any], a: Any, sign: int, scale: Any) -> tuple[Any, Any]:
    """Integral of f over [a, sign * inf) at mpmath precision, with its error.

    In u = log(1 + |x - a| / scale) the integrand of a polynomial tail,
    ``f ~ C |x|^(-1-alpha)``, becomes ``~ e^(-alpha u)``: smooth and easy for
    tanh-sinh (a Student-t P with df = 2.05 against a Normal Q has alpha =
    0.05, so |x| = 1e40 still leaves 1% of the tail). Up to |x - a| = scale *
    1e280 the tail is integrated; the remainder is ``g(X) / alpha`` with
    ``g = |x - a| f`` and alpha read off g at X / 1e10 and X. The error counts
    the spread of that estimate between two alphas (X / 10 against X / 1e10):
    exact for a pure power law, honest when log factors make it less so.
    """
    import mpmath

    def x_of(u: Any) -> Any:
        return a + sign * scale * mpmath.expm1(u)

    def fu(u: Any) -> Any:
        return f(x_of(u)) * scale * mpmath.exp(u) if u > 0 else mpmath.mpf(0)

    u_end = mpmath.log1p(mpmath.mpf(_FAR))
    cuts = [mpmath.mpf(c) for c in _U_SPLITS] + [u_end]
    total, err = mpmath.mpf(0), mpmath.mpf(0)
    for lo, hi in zip(cuts[:-1], cuts[1:]):
        v, e = mpmath.quad(fu, [lo, hi], error=True, maxdegree=10)
        total += v
        err += e

    def g(t: Any) -> Any:
        return abs(f(a + sign * scale * t)) * scale * t

    far = mpmath.mpf(_FAR)
    g_end = g(far)
    if g_end == 0:
        return total, err
    g_10, g_1e10 = g(far / 10), g(far / mpmath.mpf(1e10))
    if g_10 <= g_end or g_1e10 <= g_end:
        # Not decaying at 1e280 scales: the tail analysis should have said
        # "divergent"; refuse rather than guess.
        raise QuadratureError("precision='high': the integrand's tail does not decay by |x| = 1e280; "
                              "the integral cannot be given to the requested digits")
    alpha_near = mpmath.log(g_10 / g_end) / mpmath.log(10)
    alpha_far = mpmath.log(g_1e10 / g_end) / mpmath.log(mpmath.mpf(1e10))
    sgn = mpmath.sign(f(a + sign * scale * far))
    rest = sgn * g_end / alpha_far
    total += rest
    err += abs(g_end / alpha_near - g_end / alpha_far)
    return total, err


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

    h = _h(kind)
    k = get_kind(kind)
    infinite = q is not None and k.infinite_from_supports
    c = float(getattr(k, "outside_weight", 0.0))
    # p h -> c q where p vanishes: outside P's box the integral is c Q(outside), read as c (1 - Q(box))
    carried = q is not None and c != 0.0 and math.isfinite(c)
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
        if infinite and np.any(alive & (lq == -np.inf)):
            raise _Infinite
        with np.errstate(invalid="ignore", over="ignore", divide="ignore"):
            if carried:
                # from logs: p h keeps its value (~ c q) where p underflows; second column: Q's mass
                log_ph, sign = k.log_abs_weighted(lp, lq)
                value = np.where(np.isfinite(log_ph), sign * np.exp(log_ph), np.where(lp == -np.inf, c * np.exp(lq), 0.0))
                return np.stack([value, np.exp(lq)], axis=-1)
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
    if carried:
        # outside the box p h = c q + (p h - c q), and |p h - c q| <= K (p + sqrt(p q)) with
        # K = sup |g(t) - c t| / (1 + sqrt t) (the kind's generator, r = log t), so by Cauchy-Schwarz
        # its integral there is at most K (P_out + sqrt(P_out))
        value += c * (1.0 - second)
        tail = _gap_bound(k, c) * (p_out + math.sqrt(p_out)) + abs(c) * float(res.error[1])
    else:
        tail = math.sqrt(p_out) * math.sqrt(2.0 * max(second, 0.0) + 1.0)
    return QuadResult(value, float(res.error[0]) + tail, "scipy.integrate.cubature (gk21)")


def _gap_bound(kind: Any, c: float) -> float:
    """``sup_t |g(t) - c t| / (1 + sqrt t)`` for the kind's generator ``g`` (on a fine grid of ``log t``, plus 10%)."""
    # up to t = e^40: beyond, |g(t) - c t| is a difference of two numbers near c t, all rounding
    r = np.linspace(-700.0, 40.0, 20001)
    with np.errstate(all="ignore"):
        log_ph, sign = kind.log_abs_weighted(np.zeros_like(r), r)  # p = 1, q = t
        gap = np.abs(sign * np.exp(log_ph) - c * np.exp(r)) / (1.0 + np.exp(r / 2))
    gap = gap[np.isfinite(gap)]
    return 1.1 * float(np.max(gap)) if gap.size else math.inf


# ------------------------------------------------------- counting measure
#: Counts summed per block; a finite support up to this many counts is summed whole.
_SUM_BLOCK = 4096
_SUM_WHOLE = 10_000_000


def _measure(dist: Any) -> str:
    """``"counting"`` or ``"lebesgue"``: a family's reference measure (a mixture's, from its components)."""
    measures = {getattr(type(c), "measure", "lebesgue") for _, c in _weighted_components(dist)}
    if len(measures) > 1:
        raise ValueError("mixtures of mass functions and densities are not supported by quadrature")
    return measures.pop()


def _sum_terms(kind: Any, p: Any, q: Any, k: np.ndarray) -> np.ndarray:
    """``p(k) h(log p(k), log q(k))`` at the counts ``k``; raises ``_Infinite`` where p > 0 and q = 0."""
    h = _h(kind)
    with np.errstate(all="ignore"):
        lp = np.asarray(p.logpdf(k), dtype=float)
        lq = np.asarray(q.logpdf(k), dtype=float) if q is not None else np.zeros_like(lp)
        alive = lp > -np.inf
        if q is not None and get_kind(kind).infinite_from_supports and np.any(alive & (lq == -np.inf)):
            raise _Infinite
        return np.where(alive, np.exp(lp) * h(lp, lq), 0.0)


def _tail_bound(t: np.ndarray) -> float:
    """A bound on the sum of the terms after ``t`` (ordered away from the bulk), or ``inf``.

    Where the last half of ``t`` decreases in size geometrically, by a ratio
    of at most ``r < 1`` from term to term, the rest is below ``|t_last| r/(1 - r)``
    as long as the ratio does not grow again: the mass functions here
    (Poisson, geometric, negative binomial) have term ratios that fall or
    settle beyond their mode, and ``h`` grows like ``k log k`` at most.
    """
    a = np.abs(t[len(t) // 2:])
    if a[-1] == 0.0:
        return 0.0 if np.all(a[-8:] == 0.0) else math.inf
    with np.errstate(all="ignore"):
        ratios = a[1:] / a[:-1]
    r = float(np.max(ratios))
    if not r < 1.0 or not np.all(np.diff(a) <= 0):
        return math.inf
    return float(a[-1]) * r / (1.0 - r)


def _log_mass_rounding(p: Any, q: Any, k: np.ndarray) -> float:
    """A bound on the float64 rounding of the log-masses, summed with the terms' weights.

    A log-mass at count ``k`` is a difference of terms up to ``~k log k`` in
    size (``k log(rate) - log k!``), each rounded to ``eps`` of its size, so
    ``log p(k)`` carries an absolute error of a few ``eps k log(k + 2)``.
    """
    with np.errstate(all="ignore"):
        lp = np.asarray(p.logpdf(k), dtype=float)
        w = np.where(lp > -np.inf, np.exp(lp), 0.0)
    size = (k + 1.0) * np.log(k + 2.0) + 1.0
    return float(8 * np.finfo(float).eps * math.fsum(w * size) * (2 if q is not None else 1))


def _sum_side(kind: Any, p: Any, q: Any, start: float, stop: float, step: int,
              tol: float) -> tuple[list[float], float, float]:
    """Terms from ``start`` towards ``stop`` (inclusive) in blocks, until the tail bound is below ``tol``.

    Returns the partial sums of the blocks, the bound on what was left and the last count summed.
    """
    parts: list[float] = []
    k0 = start
    while (step > 0 and k0 <= stop) or (step < 0 and k0 >= stop):
        end = min(k0 + step * (_SUM_BLOCK - 1), stop) if step > 0 else max(k0 + step * (_SUM_BLOCK - 1), stop)
        k = np.arange(k0, end + step, step, dtype=float)
        t = _sum_terms(kind, p, q, k)
        parts.append(math.fsum(t))
        if (step > 0 and end >= stop) or (step < 0 and end <= stop):
            return parts, 0.0, end
        bound = _tail_bound(t)
        if bound <= tol * max(abs(math.fsum(parts)), 1e-300):
            return parts, bound, end
        k0 = end + step
        if abs(k0 - start) > 1e12:
            raise QuadratureError("the terms of the sum over the counts do not decay fast enough to bound the rest")
    return parts, 0.0, start - step


def _sum_1d(kind: Any, p: Any, q: Any, precision: str, digits: int) -> QuadResult:
    r"""``sum_k p(k) h(log p(k), log q(k))`` over P's support: "quadrature" under the counting measure.

    A finite support (up to 10^7 counts) is summed whole: exact to rounding.
    Otherwise the sum runs outwards from P's mean in blocks, and stops on
    each side once the terms decrease geometrically and the bound on the rest
    (:func:`_tail_bound`) is below the requested relative tolerance
    (``1e-17``, or ``10**-digits`` for ``precision="high"``); the bound is
    the reported error, with the rounding of the summation and of the
    float64 log-masses (:func:`_log_mass_rounding`: a Poisson at rate 1e4
    has log-masses of ~1e5 that cancel to ~10, so ~1e-11 of the value).
    """
    lo, hi = _support(p)
    tol = 1e-17 if precision == "double" else 10.0 ** (-digits)
    whole = math.isfinite(hi) and hi - lo <= _SUM_WHOLE
    if whole:
        k = np.arange(lo, hi + 1.0)
        t = _sum_terms(kind, p, q, k)
        parts, left_bound, right_bound, first, last = [math.fsum(t)], 0.0, 0.0, lo, hi
    else:
        centre = lo
        mv = None
        if all(type(c)._np_mean_var is not None for _, c in _weighted_components(p)):
            try:
                mv = p.mean_variance()
            except (NotImplementedError, AttributeError):
                mv = None
        if mv is not None:
            centre = min(max(math.floor(float(np.asarray(mv[0]))), lo), hi)
        right, right_bound, last = _sum_side(kind, p, q, centre, hi, 1, tol)
        left, left_bound, first = (_sum_side(kind, p, q, centre - 1, lo, -1, tol) if centre - 1 >= lo
                                   else ([], 0.0, centre))
        parts = right + left
    if precision == "high":
        return _sum_1d_high(kind, p, q, first, last, left_bound + right_bound, digits)
    total = math.fsum(parts)
    counts = np.arange(first, last + 1.0)
    rounding = 4 * np.finfo(float).eps * sum(abs(v) for v in parts) + _log_mass_rounding(p, q, counts)
    return QuadResult(total, float(left_bound + right_bound + rounding), "sum over the support")


def _sum_1d_high(kind: Any, p: Any, q: Any, first: float, last: float, bound: float, digits: int) -> QuadResult:
    """The sum over ``first..last`` (the counts the float64 pass needed for ``10**-digits``) at ``digits``
    digits, with mpmath log-densities from the families' ``sym_logpdf``; ``bound`` is the float64 tail bound."""
    import mpmath

    h = _h(kind)
    with mpmath.workdps(digits + 5):
        logp = _mp_logpdf(p)
        logq = _mp_logpdf(q) if q is not None else (lambda x: mpmath.mpf(0))

        def term(k: Any) -> Any:
            lp = logp(mpmath.mpf(k))
            if lp is None:
                return mpmath.mpf(0)
            lq = logq(mpmath.mpf(k))
            if lq is None:
                if get_kind(kind).infinite_from_supports:
                    raise _Infinite
                lq = mpmath.ninf
            return mpmath.exp(lp) * h(lp, lq)

        total = mpmath.fsum(term(k) for k in range(int(first), int(last) + 1))
        return QuadResult(float(total), float(bound), f"sum over the support ({digits} digits)")


# ---------------------------------------------------------------- driver
def _moment(kind: Any, p: Any, q: Any, precision: str, digits: int, rtol: float) -> QuadResult:
    """``E_P[h]``: the integral (or sum) over P's support, or ``inf`` from the supports or a divergent tail."""
    _check_precision(precision)
    digits = check_count(digits, "digits", 15, _MAX_DIGITS)
    # rtol steers the 2-D cubature; 0 or a negative value would never be met.
    rtol = check_tol(rtol, "rtol", allow_none=False, positive=True)
    dp = _dim(p, "p")
    if q is not None:
        dq = _dim(q, "q")
        if dq != dp:
            raise ValueError(f"q: dimension {dq or 1} does not match p's dimension {dp or 1}")
    try:
        if dp == 0 and (_measure(p) == "counting" or (q is not None and _measure(q) == "counting")):
            if q is not None and kind.infinite_from_supports and _measure(p) != _measure(q):
                # one has atoms, the other a density: each puts mass where the other has none
                return QuadResult(math.inf, 0.0, "support")
            if q is not None and kind.infinite_from_supports and not _support_inside(p, q):
                return QuadResult(math.inf, 0.0, "support")
            if _measure(p) == "counting":
                return _sum_1d(kind, p, q, precision, int(digits))
        if dp == 0:
            lo, hi = _support(p)
            if q is not None and kind.infinite_from_supports and not _support_inside(p, q):
                return QuadResult(math.inf, 0.0, "support")
            edges = _split_points(p, q, lo, hi)
            if q is not None and _tail_diverges(kind, p, q, edges):
                return QuadResult(math.inf, 0.0, "divergent tail")
            if q is not None and not kind.linear:
                edges = sorted(set(edges) | set(_peak_points(kind, p, q, lo, hi, edges)))
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


class _Mass(DivergenceKind):
    """The integrand 1: ``E_P[1]`` over a piece is P's mass there (not registered: no ``name``)."""

    infinite_from_supports = False

    def integrand(self, logp: Any, logq: Any, **params: Any) -> Any:
        return 1.0 + 0.0 * logp


_MASS = _Mass()


def _gaps(p: Any, q: Any) -> list[tuple[float, float]]:
    """The pieces of Q's support where no component of P has any: ``Q(p = 0)`` lives there.

    Under the counting measure the pieces are whole counts (both ends included).
    """
    qlo, qhi = _support(q)
    counting = _measure(q) == "counting"
    step = 1.0 if counting else 0.0
    out, cur = [], qlo
    for lo, hi in sorted(_support(c) for _, c in _weighted_components(p)):
        if lo > cur:
            out.append((cur, min(lo - step, qhi)))
        cur = max(cur, hi + step)
        if cur > qhi:
            break
    if math.isfinite(cur) and cur <= qhi and (counting or cur < qhi):
        out.append((cur, qhi))
    return [(a, b) for a, b in out if b > a or (counting and b == a)]


def _outside_mass(p: Any, q: Any) -> QuadResult:
    """``Q(p = 0)``, Q's mass where P has none, by quadrature (or summation) over :func:`_gaps`.

    0 for 2-D Gaussians (their supports are the whole plane).
    """
    if _dim(p, "p") != 0:
        return QuadResult(0.0, 0.0, "")
    total, err = 0.0, 0.0
    for a, b in _gaps(p, q):
        if _measure(q) == "counting":
            if math.isfinite(b) and b - a <= _SUM_WHOLE:
                k = np.arange(a, b + 1.0)
                t = _sum_terms(_MASS, q, None, k)
                total += math.fsum(t)
            else:
                parts, bound, _ = _sum_side(_MASS, q, None, a, b, 1, 1e-17)
                total += math.fsum(parts)
                err += bound
            continue
        edges = [a, *[v for v in _split_points(q, None, a, b)[1:-1]], b]
        r = _quad_1d_double(_MASS, q, None, edges)
        total += r.value
        err += r.error
    return QuadResult(total, err, "")


def _integrate(kind: Any, p: Any, q: Any, precision: str, digits: int, rtol: float) -> QuadResult:
    """The divergence: ``outer(E_P[h] + c Q(p = 0))`` (see :mod:`anadiv.kinds._fdiv`)."""
    k = get_kind(kind)
    # scipy objects: their family, or the adapter on scipy's own methods
    p = as_distribution(p, "p")
    q = as_distribution(q, "q") if q is not None else None
    c = float(getattr(k, "outside_weight", 0.0))
    if q is not None and math.isinf(c) and _dim(p, "p") == 0 and not _support_inside(q, p):
        # Jeffreys: Q's mass where p = 0 is infinite on its own
        return QuadResult(math.inf, 0.0, "support")
    if q is not None and _dim(p, "p") == 0 and _measure(p) != _measure(q):
        return _singular_value(k)
    m = _moment(k, p, q, precision, digits, rtol)
    if not math.isfinite(m.value):
        return m
    value, error = m.value, m.error
    if q is not None and c != 0.0:
        out = _outside_mass(p, q)
        if out.value > 0.0 and math.isinf(c):
            return QuadResult(math.inf, 0.0, "support")
        if math.isfinite(c):
            value, error = value + c * out.value, error + abs(c) * out.error
    return _mapped(k, value, error, m.method)


def _singular_value(kind: Any) -> QuadResult:
    """A mass function against a density (or the reverse): each puts its mass where the other has none.

    ``q = 0`` wherever ``p > 0`` and ``Q(p = 0) = 1``, so the moment is
    ``h(log p, -inf) + c``: ``inf`` for KL, 1 for the Hellinger and total
    variation distances, ``log 2`` for Jensen-Shannon.
    """
    if kind.infinite_from_supports:
        return QuadResult(math.inf, 0.0, "support")
    with np.errstate(all="ignore"):
        m = float(kind.integrand(np.float64(0.0), np.float64(-np.inf)))
    c = float(getattr(kind, "outside_weight", 0.0))
    return _mapped(kind, m + c, 0.0, "support")


def _mapped(kind: Any, m: float, err: float, method: str) -> QuadResult:
    """The divergence and its error bound from the moment and its bound (``outer`` is monotone)."""
    if not kind.maps_moment:
        return QuadResult(m, err, method)
    lo, hi = kind.moment_range()
    clip = lambda v: min(max(v, lo), hi)  # noqa: E731
    value = kind.outer(clip(m))
    spread = max(abs(kind.outer(clip(m + err)) - value), abs(value - kind.outer(clip(m - err))))
    return QuadResult(value, spread, method)


def divergence_quad(
    kind: str | DivergenceKind,
    p: Any,
    q: Any = None,
    *,
    params: dict[str, Any] | None = None,
    precision: str = "double",
    digits: int = 30,
    rtol: float = 1e-10,
) -> QuadResult:
    r"""Any divergence kind by numerical integration: :math:`\int p(x)\, h(\log p(x), \log q(x))\, dx`.

    The one path behind :func:`kl_quad`, :func:`cross_entropy_quad` and
    :func:`entropy_quad`; ``h`` is the kind's :meth:`~anadiv.kinds.DivergenceKind.integrand`.

    Parameters
    ----------
    kind : str or DivergenceKind
        A name in :data:`anadiv.kinds.KINDS` (``"kl"``, ...) or a kind object,
        registered or not.
    p, q : Family or Mixture
        As for :func:`kl_quad`; ``q`` only for a kind of arity 2.
    params : dict, optional
        Values of the kind's extra parameters (none for KL, cross-entropy, entropy).
    precision, digits, rtol
        As for :func:`kl_quad`.

    Returns
    -------
    QuadResult

    Raises
    ------
    ValueError
        ``kind`` unknown, ``q`` given to (or missing from) a kind that
        takes one (or two) distributions, a bad parameter of the kind, and
        everything :func:`kl_quad` refuses.

    Examples
    --------
    >>> from anadiv import Normal
    >>> round(float(divergence_quad("kl", Normal(0.0, 1.0), Normal(1.0, 2.0))), 12)
    0.44314718056
    """
    k = _checked_kind(kind, q, params)
    return _integrate(k, p, q, precision, digits, rtol)


def _checked_kind(kind: Any, q: Any, params: dict[str, Any] | None, data: bool = False) -> Any:
    """The kind object with its parameters fixed; the number of distributions checked against its arity.

    ``data``: the inputs are samples, whose estimators are listed per kind by
    :mod:`anadiv.estimators.from_data` (Wasserstein-2 included), so a kind that
    is not an expectation is not refused here.
    """
    k = get_kind(kind).at(params)
    if not k.expectation and not data:
        raise ValueError(f"kind: the {k.title} is not an expectation under P, so this path cannot compute it; "
                         f"use {k.instead()}")
    if k.arity == 1 and q is not None:
        raise ValueError(f"q: {k.title} takes one distribution, got a second one")
    if k.arity == 2 and q is None:
        raise ValueError(f"q: {k.title} needs a second distribution")
    return k


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
        ``precision`` unknown; ``digits`` not an integer in [15, 1000];
        ``rtol`` not a finite number > 0.
    QuadratureError
        ``log q`` overflows float64 where ``p > 0`` and cannot be recovered,
        or the ``"high"`` tail does not decay: no value can be promised.

    Examples
    --------
    >>> from anadiv import Normal, kl_quad
    >>> r = kl_quad(Normal(0.0, 1.0), Normal(1.0, 2.0))
    >>> round(float(r), 12)  # log 2 + (1 + 1) / 8 - 1/2
    0.44314718056
    >>> r.error < 1e-10
    True
    """
    return _integrate(KINDS["kl"], p, q, precision, digits, rtol)


def cross_entropy_quad(p: Any, q: Any, *, precision: str = "double", digits: int = 30, rtol: float = 1e-10) -> QuadResult:
    r"""Cross-entropy :math:`H(P, Q) = -\int p \log q` by numerical integration.

    Same arguments and guarantees as :func:`kl_quad`.

    Examples
    --------
    >>> from anadiv import Normal, cross_entropy_quad
    >>> round(float(cross_entropy_quad(Normal(0.0, 1.0), Normal(0.0, 1.0))), 12)  # 0.5 log(2 pi e)
    1.418938533205
    """
    return _integrate(KINDS["cross_entropy"], p, q, precision, digits, rtol)


def entropy_quad(p: Any, *, precision: str = "double", digits: int = 30, rtol: float = 1e-10) -> QuadResult:
    r"""Differential entropy :math:`H(P) = -\int p \log p` by numerical integration.

    Same arguments and guarantees as :func:`kl_quad`.

    Examples
    --------
    >>> from anadiv import Exponential, entropy_quad
    >>> round(float(entropy_quad(Exponential(2.0))), 12)  # 1 - log 2
    0.30685281944
    """
    return _integrate(KINDS["entropy"], p, None, precision, digits, rtol)
