r"""Monte Carlo estimates of KL divergence, cross-entropy and entropy, with error bars.

Every estimator here writes the target as an expectation under P,

.. math::

    \mathrm{KL}(P\|Q) = E_P[\log p(X) - \log q(X)],\quad
    H(P, Q) = E_P[-\log q(X)],\quad H(P) = E_P[-\log p(X)],

so it works for any P that can be sampled and any P, Q whose log-densities
can be evaluated: families (univariate or vector-valued) and
:class:`~anadiv.Mixture` objects alike. Samples are drawn and evaluated in
chunks of ``chunk_size`` and folded into running statistics, so memory stays
bounded whatever ``n`` is (``n = 10**8`` is fine).

Methods (``method=``), each with an honest standard error:

**"mc"** (plain Monte Carlo):
    i.i.d. samples; the value is the sample mean and ``stderr`` the sample
    standard deviation over :math:`\sqrt n` (streaming Chan/Welford update).
    The 95% interval is a normal interval; it covers well once ``n`` is in the
    hundreds.
**"qmc"** (randomized quasi-Monte Carlo):
    needs inverse CDFs (every built-in univariate family, ``MultivariateNormal``,
    ``DiagonalNormal`` and mixtures of them). A mixture P is stratified by
    component: :math:`E_P[h] = \sum_k w_k E_{P_k}[h]`, each term is integrated
    with scrambled Sobol points (``scipy.stats.qmc.Sobol``) pushed through the
    component's inverse CDF (Cholesky factor for a full covariance), and the
    whole computation is repeated with ``batches`` (default 16) independent
    scrambles. The value is the mean of those independent replicates and the
    interval a Student-t interval with ``batches - 1`` degrees of freedom, so
    the error bar is a real one (not a heuristic QMC bound). For smooth
    integrands the error falls almost like :math:`1/n` instead of
    :math:`1/\sqrt n`.
**"control"** (control variates, batch means):
    regression on polynomials of the standardised sample
    :math:`z = L^{-1}(x - m)` (:math:`m, LL^T` P's mean and covariance) minus
    their exact means under P, so every control has mean exactly 0. For a
    Gaussian P (a Gaussian family or a mixture of Gaussians) the controls are
    the powers :math:`z_i^k`, :math:`k \le 6` (:math:`k \le 4` below
    ``n = 16384``), and, up to dimension 10, the products :math:`z_i z_j`;
    their means come from each coordinate's Gaussian-mixture marginal. For
    other univariate families they are :math:`z` and :math:`z^2` (mean and
    variance from the family's ``_np_mean_var``; not available for Cauchy, or Student-t with
    ``df <= 2``). The sample is split into ``batches`` (default 32) interleaved
    batches; each batch's coefficient is fitted on the *other* batches
    (cross-fitting, so each batch estimate is unbiased), and the interval is a
    Student-t interval over the batch estimates with ``batches - 1`` degrees of
    freedom. Naive control-variate standard errors under-cover at small ``n``;
    the batch-means error does not rely on the regression being right. At
    least 64 samples per batch are drawn (``n`` is raised to ``64 * batches``
    if smaller).

Adaptive mode: give ``rtol`` and/or ``atol`` and sampling continues (starting
from ``n``, then in chunks, or by doubling for ``"qmc"``) until
``stderr <= atol + rtol * |value|``, or ``max_n`` samples, whichever comes
first (a ``RuntimeWarning`` says when the cap was hit). ``progress=True``
prints one updating line to stderr.

Infinite divergences: when P's support is not inside Q's (decided from the
supports, univariate), when an infinite tail makes the expectation diverge
(univariate; the log-space tail scan of :func:`anadiv.kl_quad`), or when a
sample lands where ``q = 0``, KL and cross-entropy are ``inf`` (with
``stderr`` 0).

Unreliable error bars: when ``E_P[h^2]`` is infinite (the same tail scan on
``p h^2``), or, for ``"qmc"`` and ``"control"``, when ``h`` grows like a power
of ``|x|`` on a polynomial tail of P, the value is returned with
``stderr_reliable=False``, a ``warning`` text and a ``RuntimeWarning``;
:meth:`Estimate.ci` then raises :class:`UnreliableIntervalError`.

Draws that round onto a finite support end where the density is unbounded
(Beta(0.01, 0.01), Gamma(0.001)) get their integrand from a power-law model
of the end (see :class:`_EdgeModel`) instead of an infinite log-density.
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass
from typing import Any, Callable

import numpy as np

from ..errors import UnreliableIntervalError
from ..numeric.validation import check_count, check_seed, check_tol
from ..families._base import Family
from ..families._scipy_objects import as_distribution
from .from_data import inputs_of
from .progress import Progress
from .result import Estimate
from ..kinds import KINDS, DivergenceKind
from ..mixture import Mixture, _is_gaussian, _vector_parameters, gaussian_params
from .quadrature import (
    _checked_kind,
    _dim,
    _h,
    _measure,
    _scan_tails,
    _singular_value,
    _split_points,
    _support,
    _support_inside,
    _tail_diverges,
    _weighted_components,
)

__all__ = ["Estimate", "UnreliableIntervalError", "divergence_estimate", "kl_estimate", "cross_entropy_estimate",
           "entropy_estimate"]

_DEFAULT_BATCHES = {"mc": None, "qmc": 16, "control": 32}
#: The control method draws at least this many samples per batch.
_MIN_BATCH = 64


# ----------------------------------------------------------------- inputs
#: Upper bound on n and max_n: 1e12 samples already take hours; larger values are
#: almost always a typo (``10**26``) and would run without bound.
_MAX_SAMPLES = 10**12


class _InfiniteTarget(Exception):
    pass


def _evaluator(kind: Any, p: Any, q: Any, rng: np.random.Generator) -> Callable[[np.ndarray], np.ndarray]:
    h = _h(kind)
    edges = _EdgeModel(kind, p, q) if _dim(p, "p") == 0 else None
    # q = 0 where p > 0 makes the target infinite for the kinds whose infinities come from the supports
    q_zero_infinite = q is not None and kind.infinite_from_supports

    def evaluate(x: np.ndarray) -> np.ndarray:
        with np.errstate(all="ignore"):
            lp = np.asarray(p.logpdf(x), dtype=float)
            lq = np.asarray(q.logpdf(x), dtype=float) if q is not None else lp
            if q_zero_infinite and np.any((lq == -np.inf) & (lp > -np.inf)):
                raise _InfiniteTarget
            v = np.asarray(h(lp, lq), dtype=float)
        if edges is not None:
            bad = ~np.isfinite(v)
            if np.any(bad):
                v = edges.patch(v, x, bad, rng)
        return v

    return evaluate


class _EdgeModel:
    """The integrand at samples that rounded onto a finite end of P's support.

    A density unbounded at an end (Beta(0.01, 0.01), Gamma(0.001)) puts
    samples closer to the end than float64 can tell apart from it: a third
    of Beta(0.01, 0.01)'s draws are exactly 1.0, half of Gamma(0.001)'s are
    0.0, and the log-densities there are infinite. Near the end ``e`` both
    log-densities are linear in ``log t`` (``t = |x - e|``; ``p ~ t^(a-1)``),
    so for such a draw the true ``t`` is ``t0 * U^(1/a)`` (``t0`` the
    rounding distance at ``e``, ``U`` uniform) and ``h`` is linear in
    ``log t``: each rounded draw gets an independent value of
    ``h(t1) + slope * (log t0 + log(U) / a - log t1)``, with ``a`` and the
    slope read off the log-densities at ``t1 = t0 2^20`` and ``t0 2^30``.
    """

    def __init__(self, kind: Any, p: Any, q: Any) -> None:
        self.ends: dict[float, tuple[float, float, float, float]] = {}
        h = _h(kind)
        lo, hi = _support(p)
        for e, sign in ((lo, 1.0), (hi, -1.0)):
            if not math.isfinite(e):
                continue
            t0 = 2.0**-1074 if e == 0 else 0.5 * abs(e - np.nextafter(e, e + sign))
            t1, t2 = t0 * 2.0**20, t0 * 2.0**30
            x1, x2 = e + sign * t1, e + sign * t2
            with np.errstate(all="ignore"):
                lp1, lp2 = float(p.logpdf(x1)), float(p.logpdf(x2))
                lq1 = float(q.logpdf(x1)) if q is not None else lp1
                lq2 = float(q.logpdf(x2)) if q is not None else lp2
                h1, h2 = float(h(lp1, lq1)), float(h(lp2, lq2))
            dlog = math.log(t1 / t2)
            a = 1.0 + (lp1 - lp2) / dlog
            if not (math.isfinite(h1) and math.isfinite(h2) and math.isfinite(a) and a > 0):
                continue
            # (end, a, h at t1, slope of h in log t, log t0 - log t1)
            self.ends[e] = (a, h1, (h1 - h2) / dlog, math.log(t0 / t1))

    def patch(self, v: np.ndarray, x: np.ndarray, bad: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        v = v.copy()
        for e, (a, h1, slope, shift) in self.ends.items():
            at = bad & (x == e)
            m = int(np.count_nonzero(at))
            if m:
                log_u = np.log(rng.random(m) + 2.0**-60)  # U in (0, 1]: log U finite
                v[at] = h1 + slope * (shift + log_u / a)
        return v


def _draw(p: Any, m: int, rng: np.random.Generator) -> np.ndarray:
    """m i.i.d. draws from P, in any order (each chunk is only used as a multiset)."""
    if isinstance(p, Mixture):
        return p._sample_unordered(m, rng)
    return p.sample(m, rng=rng)


# ------------------------------------------------------------- plain MC
class _MC:
    """Streaming mean/variance (Chan et al. pairwise update of Welford's sums)."""

    df = math.inf

    def __init__(self, p: Any, evaluate: Callable[[np.ndarray], np.ndarray], rng: Any, batches: Any, n: int = 0):
        self.p, self.evaluate, self.rng = p, evaluate, rng
        self.n, self.mean, self.m2 = 0, 0.0, 0.0

    def step(self, m: int) -> None:
        v = self.evaluate(_draw(self.p, m, self.rng))
        cm = float(np.mean(v))
        cm2 = float(np.sum((v - cm) ** 2))
        tot = self.n + m
        delta = cm - self.mean
        self.mean += delta * m / tot
        self.m2 += cm2 + delta * delta * self.n * m / tot
        self.n = tot

    def result(self) -> tuple[float, float]:
        return self.mean, math.sqrt(self.m2 / (self.n - 1) / self.n)


# ------------------------------------------------ quadratic control variates
def _moments_univariate(c: Family) -> tuple[float, float] | None:
    """(mean, variance) of a scalar univariate family from its ``_np_mean_var`` hook; None if not finite."""
    fn = type(c)._np_mean_var
    if fn is None:
        return None
    mom = fn(*(float(np.asarray(v)) for v in c.param_values))
    if mom is None:
        return None
    mean, var = float(mom[0]), float(mom[1])
    if not (math.isfinite(mean) and math.isfinite(var)):
        return None
    return mean, var


def _mean_cov(p: Any) -> tuple[np.ndarray, np.ndarray]:
    """Mean vector and covariance of P, exactly; ValueError if not available."""
    parts = []
    for w, c in _weighted_components(p):
        if _is_gaussian(c):
            parts.append((w,) + gaussian_params(c))
            continue
        mom = _moments_univariate(c) if getattr(c, "event_ndim", 0) == 0 else None
        if mom is None:
            why = (
                "its class declares no mean (_np_mean_var is None)"
                if type(c)._np_mean_var is None
                else "they are not finite for these parameters"
            )
            raise ValueError(
                f"method: 'control' needs P's mean and variance in closed form; not available for {c!r} ({why}); "
                "use method='mc' or method='qmc'"
            )
        parts.append((w, np.array([mom[0]]), np.array([[mom[1]]])))
    weights = np.array([t[0] for t in parts])
    means = np.stack([t[1] for t in parts])
    covs = np.stack([t[2] for t in parts])
    m = weights @ means
    dev = means - m
    s = np.einsum("k,kij->ij", weights, covs + dev[:, :, None] * dev[:, None, :])
    return m, s


# Powers of each standardised coordinate used for Gaussian P: degree 6 removes
# far more variance, but its heavy-tailed features make small batches' means
# skewed (measured coverage of the 95% interval 0.92 at n = 2048 with degree 6,
# 0.94 with degree 4), so the high degree waits for enough samples.
_POLY_DEGREE_SMALL, _POLY_DEGREE, _HIGH_DEGREE_FROM_N = 4, 6, 1 << 14
_MAX_PAIRWISE_DIM = 10  # cross products z_i z_j only up to this dimension


def _normal_raw_moments(mu: np.ndarray, var: np.ndarray, degree: int) -> np.ndarray:
    """E[Z^j], j = 1..degree, for Z ~ N(mu, var) (vectorised over mu, var)."""
    out = []
    for j in range(1, degree + 1):
        tot = np.zeros_like(mu)
        for i in range(0, j + 1, 2):
            dfact = math.prod(range(i - 1, 0, -2)) if i else 1
            tot = tot + math.comb(j, i) * mu ** (j - i) * var ** (i // 2) * dfact
        out.append(tot)
    return np.stack(out, axis=-1)


class _Features:
    """Polynomials of the standardised sample with exactly known means under P.

    Gaussian P (a Gaussian family or a mixture of them): powers 1..6 of every
    standardised coordinate (each coordinate's marginal is a Gaussian mixture,
    whose raw moments are sums of binomial terms) and, up to dimension 10, the
    products z_i z_j. Other univariate P: z and z^2 (mean and variance from a
    family's ``_np_mean_var`` hook).
    """

    def __init__(self, p: Any, n: int) -> None:
        m, s = _mean_cov(p)
        self.center = m
        self.whiten = np.linalg.inv(np.linalg.cholesky(s))
        d = m.shape[0]
        parts = list(_weighted_components(p))
        gaussian = all(_is_gaussian(c) for _, c in parts)
        degree = (_POLY_DEGREE if n >= _HIGH_DEGREE_FROM_N else _POLY_DEGREE_SMALL) if gaussian else 2
        if gaussian:
            w = np.array([wk for wk, _ in parts])
            mus, covs = zip(*(gaussian_params(c) for _, c in parts))
            mu_z = (np.stack(mus) - m) @ self.whiten.T  # (K, d)
            cov_z = self.whiten @ np.stack(covs) @ self.whiten.T  # (K, d, d)
            var_z = np.diagonal(cov_z, axis1=1, axis2=2)
            self.power_means = np.einsum("k,kij->ij", w, _normal_raw_moments(mu_z, var_z, degree))  # (d, deg)
            second = np.einsum("k,kij->ij", w, cov_z + mu_z[:, :, None] * mu_z[:, None, :])
        else:
            # Standardised with the exact mean and variance: E z = 0, E z^2 = 1.
            self.power_means = np.tile(np.array([0.0, 1.0]), (d, 1))
            second = np.eye(d)
        self.degree = degree
        self.pairs = np.triu_indices(d, 1) if 1 < d <= _MAX_PAIRWISE_DIM else (np.array([], int), np.array([], int))
        self.pair_means = second[self.pairs]
        self.count = d * degree + len(self.pairs[0])

    def __call__(self, x: np.ndarray) -> np.ndarray:
        x2 = x.reshape(x.shape[0], -1)
        z = (x2 - self.center) @ self.whiten.T
        cols = [z]
        zk = z
        for _ in range(self.degree - 1):
            zk = zk * z
            cols.append(zk)
        powers = np.stack(cols, axis=-1) - self.power_means  # (n, d, deg)
        feats = [powers.reshape(x2.shape[0], -1)]
        if len(self.pairs[0]):
            feats.append(z[:, self.pairs[0]] * z[:, self.pairs[1]] - self.pair_means)
        return np.concatenate(feats, axis=1)


def _solve_psd(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Regression coefficients from the normal equations.

    A relative ridge of 1e-12 keeps collinear controls solvable; any
    coefficient keeps the cross-fitted estimate unbiased, so this only trades
    a negligible amount of variance for robustness (and is far faster than an
    SVD-based least squares).
    """
    ridge = 1e-12 * max(float(np.trace(a)) / a.shape[0], 1e-300)
    try:
        return np.linalg.solve(a + ridge * np.eye(a.shape[0]), b)
    except np.linalg.LinAlgError:
        return np.linalg.lstsq(a, b, rcond=None)[0]


class _Control:
    """Cross-fitted polynomial control variates with a batch-means error."""

    def __init__(self, p: Any, evaluate: Callable[[np.ndarray], np.ndarray], rng: np.random.Generator, batches: int,
                 n: int):
        self.p, self.evaluate, self.rng = p, evaluate, rng
        self.features = _Features(p, n)
        nf = self.features.count
        self.B = batches
        # Per batch: count, sum h, sum c, sum c c^T, sum c h. h is shifted by
        # the first chunk's mean so the sums stay well scaled.
        self.count = np.zeros(batches)
        self.sh = np.zeros(batches)
        self.sc = np.zeros((batches, nf))
        self.scc = np.zeros((batches, nf, nf))
        self.sch = np.zeros((batches, nf))
        self.shift: float | None = None
        self.next_batch = 0
        self.n = 0
        self.df = batches - 1

    def step(self, m: int) -> None:
        x = _draw(self.p, m, self.rng)
        h = self.evaluate(x)
        if self.shift is None:
            self.shift = float(np.mean(h))
        h = h - self.shift
        c = self.features(x)
        b = self.next_batch
        self.next_batch = (b + 1) % self.B
        self.count[b] += m
        self.sh[b] += h.sum()
        self.sc[b] += c.sum(axis=0)
        self.scc[b] += c.T @ c
        self.sch[b] += c.T @ h
        self.n += m

    def result(self) -> tuple[float, float]:
        tot = (self.count.sum(), self.sh.sum(), self.sc.sum(0), self.scc.sum(0), self.sch.sum(0))
        est = np.empty(self.B)
        for b in range(self.B):
            # Coefficient from the other batches only: independent of batch b,
            # so batch b's estimate is unbiased (the controls have mean 0).
            n_o = tot[0] - self.count[b]
            hbar = (tot[1] - self.sh[b]) / n_o
            cbar = (tot[2] - self.sc[b]) / n_o
            cc = (tot[3] - self.scc[b]) / n_o - np.outer(cbar, cbar)
            ch = (tot[4] - self.sch[b]) / n_o - cbar * hbar
            beta = _solve_psd(cc, ch)
            est[b] = self.sh[b] / self.count[b] - beta @ (self.sc[b] / self.count[b])
        value = float(np.mean(est)) + (self.shift or 0.0)
        return value, float(np.std(est, ddof=1) / math.sqrt(self.B))


# ----------------------------------------------------- randomized QMC
def _component_transform(c: Family) -> tuple[int, Callable[[np.ndarray], np.ndarray]]:
    """(number of uniforms, map from uniforms (m, k) to samples) for one component."""
    if _is_gaussian(c) and getattr(c, "event_ndim", 0) == 1:
        from scipy.special import ndtri

        mean, cov = gaussian_params(c)
        chol = np.linalg.cholesky(cov)
        return mean.shape[0], lambda u: mean + ndtri(u) @ chol.T
    fn = type(c)._np_quantile if getattr(c, "event_ndim", 0) == 0 else None
    if fn is None:
        raise ValueError(
            f"method: 'qmc' needs an inverse CDF; {type(c).__name__} declares no quantile function "
            f"(its _np_quantile is None), so none is available for {c!r} (use method='mc')"
        )
    params = tuple(float(np.asarray(v)) for v in c.param_values)
    return 1, lambda u: fn(u[:, 0], *params)


@dataclass
class _Stratum:
    """One mixture component's share of the QMC points: its Sobol engines (one per replicate) and sums."""

    weight: float
    transform: Callable[[np.ndarray], np.ndarray]  # uniforms (m, k) -> samples
    engines: list[Any]
    have: int  # points per replicate drawn so far
    sums: np.ndarray  # per replicate


class _QMC:
    """Scrambled Sobol, stratified over mixture components, independent replicates."""

    def __init__(self, p: Any, evaluate: Callable[[np.ndarray], np.ndarray], rng: np.random.Generator, batches: int,
                 n: int = 0):
        from scipy.stats import qmc

        self.evaluate = evaluate
        self.R = batches
        self.df = batches - 1
        self.strata: list[_Stratum] = []
        for w, c in _weighted_components(p):
            k, tf = _component_transform(c)
            engines = [qmc.Sobol(k, scramble=True, seed=rng) for _ in range(batches)]
            self.strata.append(_Stratum(w, tf, engines, 0, np.zeros(batches)))
        self.n = 0
        self.block = 0  # points per stratum and replicate already requested

    def plan(self, n_total: int) -> list[int]:
        """Points per stratum (a power of 2, >= 2) for about n_total points overall."""
        per_rep = max(n_total / self.R, 2.0)
        return [1 << max(1, int(round(math.log2(max(s.weight * per_rep, 2.0))))) for s in self.strata]

    def draw(self, targets: list[int], chunk: int) -> None:
        """Extend each stratum's Sobol sequences to ``targets`` points (powers of 2)."""
        chunk = 1 << max(1, int(math.log2(max(chunk, 2))))
        for s, target in zip(self.strata, targets):
            while s.have < target:
                m = min(chunk, target - s.have) if s.have else min(chunk, target)
                m = 1 << int(math.log2(m))
                for r, eng in enumerate(s.engines):
                    u = eng.random(m)
                    np.clip(u, 2.0**-64, 1.0 - 2.0**-53, out=u)
                    s.sums[r] += float(np.sum(self.evaluate(s.transform(u))))
                s.have += m
                self.n += m * self.R

    def result(self) -> tuple[float, float]:
        reps = sum(s.weight * s.sums / s.have for s in self.strata)
        return float(np.mean(reps)), float(np.std(reps, ddof=1) / math.sqrt(self.R))


_METHODS: dict[str, type] = {"mc": _MC, "qmc": _QMC, "control": _Control}


# --------------------------------------------------------------- driver
def _estimate(
    kind: Any,
    p: Any,
    q: Any,
    *,
    n: int,
    seed: Any,
    method: str | None,
    rtol: float | None,
    atol: float | None,
    max_n: int,
    chunk_size: int,
    batches: int | None,
    progress: bool,
    k: int | None = None,
) -> Estimate:
    # scipy objects: their family, or the adapter on scipy's own methods
    p = as_distribution(p, "p")
    q = as_distribution(q, "q") if q is not None else None
    inputs = inputs_of(p, q)
    if inputs is not None:
        # data, not distributions: the estimators from samples (knn, sample means, ...)
        for name, value in (("rtol", rtol), ("atol", atol), ("batches", batches)):
            if value is not None:
                raise ValueError(f"{name}: applies to Monte Carlo over distributions, not to samples (arrays)")
        if progress:
            raise ValueError("progress: applies to Monte Carlo over distributions, not to samples (arrays)")
        from .data_routes import estimate_from_data  # the estimators from data, loaded when data arrives

        return estimate_from_data(kind.name, p, q, inputs, method, k, seed, n)
    if k is not None:
        raise ValueError(f"k: the neighbour rank applies to samples (arrays), not to distributions (got k={k!r})")
    if method is None:
        method = "mc"
    if not isinstance(method, str) or method not in _METHODS:
        raise ValueError(f"method: must be one of {tuple(_METHODS)}, got {method!r}")
    n = check_count(n, "n", 2, _MAX_SAMPLES)
    max_n = check_count(max_n, "max_n", 2, _MAX_SAMPLES)
    chunk_size = check_count(chunk_size, "chunk_size", 2, 1 << 30)
    rtol, atol = check_tol(rtol, "rtol"), check_tol(atol, "atol")
    seed = check_seed(seed)
    if batches is None:
        batches = _DEFAULT_BATCHES[method] or 2
    batches = check_count(batches, "batches", 2, 1 << 16)
    if not isinstance(progress, (bool, np.bool_)):
        raise ValueError(f"progress: must be True or False, got {progress!r}")
    adaptive = rtol is not None or atol is not None
    if method == "control":
        # Batch means below ~64 samples per batch are too skewed for the
        # t-interval to be trusted, so the control method never uses fewer.
        n = max(n, _MIN_BATCH * batches)
    dp = _dim(p, "p")
    if q is not None:
        dq = _dim(q, "q")
        if dq != dp:
            raise ValueError(f"q: dimension {dq or 1} does not match p's dimension {dp or 1}")
        if dp == 0 and _measure(p) != _measure(q):
            # a mass function against a density: the value follows from the measures alone
            r = _singular_value(kind)
            return Estimate(r.value, 0.0, 0, "support")
        if dp == 0 and kind.infinite_from_supports and not _support_inside(p, q):
            return Estimate(math.inf, 0.0, 0, "support")
        if dp == 0 and math.isinf(float(getattr(kind, "outside_weight", 0.0))) and not _support_inside(q, p):
            # Jeffreys: Q's mass where p = 0 is infinite on its own
            return Estimate(math.inf, 0.0, 0, "support")
        if dp == 0:
            lo, hi = _support(p)
            if _tail_diverges(kind, p, q, _split_points(p, q, lo, hi)):
                # Sample means would be finite but meaningless (infinite variance).
                return Estimate(math.inf, 0.0, 0, "divergent tail")
    rng = np.random.default_rng(seed)
    half = _half_mixture(p, q) if q is not None and kind.bounded_under_mixture() else None
    if half is not None:
        # draws from M = (P + Q)/2: a bounded integrand, and Q's mass where p = 0 drawn too
        sampler, evaluate, unreliable = half, _mixture_evaluator(kind, p, q), ""
    else:
        sampler, evaluate = p, _evaluator(kind, p, q, rng)
        unreliable = _unreliable_reason(kind, p, q, dp, method)
    try:
        acc = _METHODS[method](sampler, evaluate, rng, batches, n)
        if method == "qmc":
            value, stderr = _drive_qmc(acc, n, rtol, atol, max_n, chunk_size, progress, adaptive)
        else:
            value, stderr = _drive_stream(acc, method, n, rtol, atol, max_n, chunk_size, batches, progress, adaptive)
    except _InfiniteTarget:
        return Estimate(math.inf, 0.0, n, method)
    if not math.isfinite(value):
        # inf - inf style failures must not pass as numbers
        raise FloatingPointError(f"{kind.name} estimate is not finite ({value}); check the log-densities")
    c = float(getattr(kind, "outside_weight", 0.0))
    if q is not None and c != 0.0 and half is None and _may_miss(p, q, dp):
        out, out_se = _outside_fraction(p, q, int(acc.n), rng)
        if out > 0.0 and math.isinf(c):
            return Estimate(math.inf, 0.0, int(acc.n), "support")
        if math.isfinite(c):
            value, stderr = value + c * out, math.hypot(stderr, c * out_se)
    extra: dict[str, Any] = {}
    if unreliable:
        warnings.warn(f"{kind.name} estimate: {unreliable}", RuntimeWarning, stacklevel=3)
        extra = {"stderr_reliable": False, "warning": unreliable}
    if kind.maps_moment:
        return Estimate.of_moment(kind.outer, kind.moment_range(), value, stderr, int(acc.n), method,
                                  float(acc.df), **extra)
    return Estimate(value, stderr, int(acc.n), method, float(acc.df), **extra)


def _half_mixture(p: Any, q: Any) -> Mixture | None:
    """``M = (P + Q)/2`` as one mixture of their components, or None where they cannot be mixed."""
    parts = []
    for dist in (p, q):
        if isinstance(dist, Mixture):
            parts += [(0.5 * float(w), c) for w, c in zip(dist.weights, dist.components) if w > 0]
        elif isinstance(dist, Family):
            parts.append((0.5, dist))
        else:
            return None
    try:
        return Mixture([w for w, _ in parts], [c for _, c in parts])
    except (ValueError, TypeError):
        return None


def _mixture_evaluator(kind: Any, p: Any, q: Any) -> Callable[[np.ndarray], np.ndarray]:
    """The integrand under ``M = (P + Q)/2`` at draws of M (:meth:`~anadiv.kinds.DivergenceKind.mixture_integrand`)."""

    def evaluate(x: np.ndarray) -> np.ndarray:
        with np.errstate(all="ignore"):
            return kind.mixture_integrand(np.asarray(p.logpdf(x), dtype=float), np.asarray(q.logpdf(x), dtype=float))

    return evaluate


def _may_miss(p: Any, q: Any, dim: int) -> bool:
    """Whether Q may have mass where P has none (univariate: Q's support not inside P's, or P a mixture with gaps)."""
    return dim == 0 and (isinstance(p, Mixture) or not _support_inside(q, p))


def _outside_fraction(p: Any, q: Any, n: int, rng: np.random.Generator) -> tuple[float, float]:
    """``Q(p = 0)`` estimated from ``n`` draws from Q (the binomial standard error)."""
    x = _draw(q, n, rng)
    with np.errstate(all="ignore"):
        zero = np.asarray(p.logpdf(x), dtype=float) == -np.inf
    f = float(np.mean(zero))
    return f, math.sqrt(f * (1.0 - f) / n)


def _unreliable_reason(kind: Any, p: Any, q: Any, dim: int, method: str) -> str:
    """Why the standard error cannot be trusted, or "" when it can.

    Decided before sampling, from the tails of P and of the integrand ``h``
    (the tail scan of :mod:`anadiv.quadrature`, in log space):

    * every method needs ``E_P[h^2] < inf`` for its central-limit interval:
      a Student-t(3) P against a Normal Q has ``h ~ x^2 / (2 sigma^2)`` and
      ``E x^4 = inf``;
    * ``"qmc"`` and ``"control"`` also need ``h`` not to grow like a power of
      ``|x|`` on a polynomial tail of P. There ``h(F^-1(u))`` has a power
      singularity at ``u = 0`` or 1: randomized-QMC replicates (and the
      batch estimates of the z, z^2 regression) are strongly skewed, a few
      large values among many low ones, and the Student-t interval misses
      low (measured: Student-t(7) against N(0, 2), n = 10^4, 200 seeds:
      qmc covers 71%, control 92%, while plain MC covers 95.5%).

    Vector-valued P are Gaussian (or mixtures of them) against Gaussian Q:
    ``h`` is quadratic and every moment is finite. A P with a vector
    parameter and scalar values (a Categorical) has a finite support: no tail.
    """
    if dim != 0 or _vector_parameters(p):  # dim 0 with a vector parameter: a Categorical
        return ""
    left, right = _scan_tails(kind, p, q, power=2)
    if left.diverges or right.diverges:
        return ("the variance of the integrand under P is infinite (a heavy tail of P against a "
                "fast-growing log-density ratio): the standard error and any confidence interval are "
                "not valid, the error shrinks slower than 1/sqrt(n), and single estimates are mostly "
                "low. Use kl_quad for univariate pairs.")
    if method in ("qmc", "control"):
        tails_p = _scan_tails(kind, p, q, power=0)
        tails_h = _scan_tails(kind, p, q, power=1)
        for tp, th in zip(tails_p, tails_h):
            # alpha(power=0) is P's tail index (finite and moderate for a
            # polynomial tail); h grows like |x|^beta with beta = alpha0 - alpha1.
            if tp.alpha < _POLY_TAIL_INDEX and tp.alpha - th.alpha > _POWER_GROWTH:
                return (f"P has a polynomial tail on which the integrand grows like a power of |x|: the "
                        f"'{method}' interval is not valid (it misses low); use method='mc', whose interval "
                        "holds when the variance is finite.")
    return ""


#: A tail scan decay rate below this is a polynomial tail (a Student-t has
#: its df; exponential tails give rates in the thousands far out).
_POLY_TAIL_INDEX = 100.0
#: h growing faster than |x|^0.05 counts as power growth (log-growth, e.g.
#: Student-t against Cauchy, has rate ~0 far out).
_POWER_GROWTH = 0.05


def _target_met(value: float, stderr: float, rtol: float | None, atol: float | None) -> bool:
    return stderr <= (atol or 0.0) + (rtol or 0.0) * abs(value)


def _needed(n: int, value: float, stderr: float, rtol: Any, atol: Any, max_n: int) -> int:
    """Sample size at which the stderr should meet the tolerance (1/sqrt(n) law, 10% margin)."""
    tol = (atol or 0.0) + (rtol or 0.0) * abs(value)
    if tol <= 0:
        return max_n
    want = n * (stderr / tol) ** 2 * 1.1
    return int(min(max_n, max(want, n + 2)))


class _Progress:
    """The progress display of one estimate (:mod:`.progress`), or nothing when it is off."""

    def __init__(self, on: bool, method: str) -> None:
        self.display = Progress(method) if on else None
        self.total = 0

    def __call__(self, acc: Any, force: bool = False, total: int | None = None) -> None:
        if self.display is None:
            return
        self.total = max(self.total, total or 0, acc.n)
        value, stderr = acc.result()
        self.display.update(acc.n, self.total, value, stderr, final=force)


def _drive_stream(acc: Any, method: str, n: int, rtol: Any, atol: Any, max_n: int, chunk: int, batches: int,
                  progress: bool, adaptive: bool) -> tuple[float, float]:
    show = _Progress(progress, method)
    if method == "control":
        # Interleaved batches: one chunk per batch per round, equal batch sizes.
        def sample_to(total: int) -> None:
            per = min(chunk, max(2, -(-(total - acc.n) // batches)))
            while acc.n < total:
                for _ in range(batches):
                    acc.step(per)
                show(acc, total=total)
    else:

        def sample_to(total: int) -> None:
            while acc.n < total:
                acc.step(min(chunk, total - acc.n) if total - acc.n >= 2 else 2)
                show(acc, total=total)

    sample_to(n)
    value, stderr = acc.result()
    while adaptive and not _target_met(value, stderr, rtol, atol) and acc.n < max_n:
        sample_to(_needed(acc.n, value, stderr, rtol, atol, max_n))
        value, stderr = acc.result()
    show(acc, force=True)
    _finish(acc, method, value, stderr, rtol, atol, max_n, adaptive)
    return value, stderr


def _drive_qmc(acc: _QMC, n: int, rtol: Any, atol: Any, max_n: int, chunk: int, progress: bool,
               adaptive: bool) -> tuple[float, float]:
    show = _Progress(progress, "qmc")
    targets = acc.plan(n)
    acc.draw(targets, chunk)
    value, stderr = acc.result()
    while adaptive and not _target_met(value, stderr, rtol, atol) and 2 * acc.n <= max_n:
        targets = [2 * t for t in targets]  # Sobol balance: extend to the next power of 2
        acc.draw(targets, chunk)
        value, stderr = acc.result()
        show(acc, total=sum(targets))
    show(acc, force=True)
    _finish(acc, "qmc", value, stderr, rtol, atol, max_n, adaptive)
    return value, stderr


def _finish(acc: Any, method: str, value: float, stderr: float, rtol: Any, atol: Any, max_n: int,
            adaptive: bool) -> None:
    if adaptive and not _target_met(value, stderr, rtol, atol):
        warnings.warn(
            f"max_n={max_n:,} reached before the requested tolerance: stderr {stderr:.3g} at n={acc.n:,}",
            RuntimeWarning,
            stacklevel=4,
        )


_DOC_PARAMS = """
    Parameters
    ----------
    p, q : Family, Mixture or array of samples
        Distributions with scalar parameters (univariate, or vector-valued of
        one dimension). P must be able to sample (and, for ``"qmc"``, have
        inverse CDFs). Either may instead be data, an array of shape ``(n,)``
        or ``(n, d)``: then the estimators from samples answer (k-nearest
        neighbours, sample means; :mod:`anadiv.estimators.from_data` lists
        which kinds and inputs), and ``rtol``, ``atol``, ``batches`` and
        ``progress`` are refused.
    n : int
        Number of samples (>= 2); with ``rtol``/``atol`` the initial number.
        (Data against a distribution P: the number of draws of P.)
    seed : int, numpy Generator or None
        Same seed and ``chunk_size`` give the same result.
    method : {"mc", "qmc", "control"} or a method from data, optional
        Plain Monte Carlo (the default), randomized quasi-Monte Carlo, or
        quadratic control variates (see the module documentation for what
        each guarantees). For data: ``"knn"`` (the default), ``"sample mean"``
        (cross-entropy against a density), and the others of
        :data:`anadiv.estimators.from_data.ROUTES`.
    rtol, atol : float, optional
        Adaptive mode: sample until ``stderr <= atol + rtol * |value|``.
    max_n : int
        Cap on the number of samples in adaptive mode.
    chunk_size : int
        Samples drawn and evaluated at once (bounds the memory).
    batches : int, optional
        Independent replicates (``"qmc"``, default 16) or batches
        (``"control"``, default 32) behind the Student-t interval.
    progress : bool
        Print a progress line to stderr.
    k : int, optional
        Data only: the neighbour rank of the k-nearest-neighbour estimators
        (default :func:`anadiv.estimators.knn.default_k` of the dimension).

    Returns
    -------
    Estimate
        ``value``, ``stderr``, ``n``, ``method``, ``df``, ``ci(level)``.

    Raises
    ------
    ValueError
        A bad argument (the message starts with its name: ``n``, ``seed``,
        ``rtol``, ...), unknown ``method``, batched or mismatched ``p``/``q``,
        ``method`` unavailable for P.

    Warns
    -----
    RuntimeWarning
        The standard error is not valid (``stderr_reliable`` False: infinite
        variance, or a power singularity for ``"qmc"``/``"control"``).
"""


def divergence_estimate(
    kind: str | DivergenceKind,
    p: Any,
    q: Any = None,
    *,
    params: dict[str, Any] | None = None,
    n: int = 100_000,
    seed: Any = None,
    method: str | None = None,
    rtol: float | None = None,
    atol: float | None = None,
    max_n: int = 10**8,
    chunk_size: int = 1 << 16,
    batches: int | None = None,
    progress: bool = False,
    k: int | None = None,
) -> Estimate:
    return _estimate(_checked_kind(kind, q, params, data=inputs_of(p, q) is not None), p, q, n=n, seed=seed,
                     method=method, rtol=rtol, atol=atol,
                     max_n=max_n, chunk_size=chunk_size, batches=batches, progress=progress, k=k)


def kl_estimate(
    p: Any,
    q: Any,
    *,
    n: int = 100_000,
    seed: Any = None,
    method: str | None = None,
    rtol: float | None = None,
    atol: float | None = None,
    max_n: int = 10**8,
    chunk_size: int = 1 << 16,
    batches: int | None = None,
    progress: bool = False,
    k: int | None = None,
) -> Estimate:
    return _estimate(KINDS["kl"], p, q, n=n, seed=seed, method=method, rtol=rtol, atol=atol, max_n=max_n,
                     chunk_size=chunk_size, batches=batches, progress=progress, k=k)


def cross_entropy_estimate(
    p: Any,
    q: Any,
    *,
    n: int = 100_000,
    seed: Any = None,
    method: str | None = None,
    rtol: float | None = None,
    atol: float | None = None,
    max_n: int = 10**8,
    chunk_size: int = 1 << 16,
    batches: int | None = None,
    progress: bool = False,
    k: int | None = None,
) -> Estimate:
    return _estimate(KINDS["cross_entropy"], p, q, n=n, seed=seed, method=method, rtol=rtol, atol=atol, max_n=max_n,
                     chunk_size=chunk_size, batches=batches, progress=progress, k=k)


def entropy_estimate(
    p: Any,
    *,
    n: int = 100_000,
    seed: Any = None,
    method: str | None = None,
    rtol: float | None = None,
    atol: float | None = None,
    max_n: int = 10**8,
    chunk_size: int = 1 << 16,
    batches: int | None = None,
    progress: bool = False,
    k: int | None = None,
) -> Estimate:
    return _estimate(KINDS["entropy"], p, None, n=n, seed=seed, method=method, rtol=rtol, atol=atol, max_n=max_n,
                     chunk_size=chunk_size, batches=batches, progress=progress, k=k)


divergence_estimate.__doc__ = r"""Monte Carlo estimate of any divergence kind, :math:`E_P[h(\log p(X), \log q(X))]`.

    The one path behind :func:`kl_estimate`, :func:`cross_entropy_estimate` and
    :func:`entropy_estimate`: draws from P, the kind's
    :meth:`~anadiv.kinds.DivergenceKind.integrand` at each draw, averaged.
    ``kind`` is a name in :data:`anadiv.kinds.KINDS` or a kind object (registered
    or not); ``q`` is given only for a kind of arity 2; ``params`` holds the
    values of the kind's extra parameters (none for KL, cross-entropy, entropy).
    ``kind``, ``q`` and ``params`` are checked first (``ValueError``); the
    other arguments are those of :func:`kl_estimate`.
""" + _DOC_PARAMS + """
    Examples
    --------
    >>> from anadiv import Normal
    >>> est = divergence_estimate("kl", Normal(0.0, 1.0), Normal(1.0, 2.0), n=20_000, seed=0)
    >>> lo, hi = est.ci(0.99)
    >>> bool(lo < 0.4431471806 < hi)
    True
"""
kl_estimate.__doc__ = r"""Monte Carlo estimate of :math:`\mathrm{KL}(P\|Q) = E_P[\log p - \log q]`.
""" + _DOC_PARAMS + """
    Examples
    --------
    >>> from anadiv import Mixture, Normal, kl_estimate
    >>> p = Mixture([0.3, 0.7], [Normal(-1.0, 0.5), Normal(2.0, 1.0)])
    >>> q = Normal(0.0, 2.0)
    >>> est = kl_estimate(p, q, n=20_000, seed=0)
    >>> lo, hi = est.ci(0.95)
    >>> bool(lo < 0.33736 < hi)  # kl_quad(p, q) = 0.337357...
    True
    >>> kl_estimate(p, q, n=4096, seed=0, method="qmc").stderr < est.stderr
    True
"""
cross_entropy_estimate.__doc__ = r"""Monte Carlo estimate of the cross-entropy :math:`H(P, Q) = -E_P[\log q]`.
""" + _DOC_PARAMS + """
    Examples
    --------
    >>> from anadiv import Normal, cross_entropy_estimate
    >>> est = cross_entropy_estimate(Normal(0.0, 1.0), Normal(0.0, 1.0), n=10_000, seed=1, method="qmc")
    >>> abs(est.value - 1.4189385332) < 4 * est.stderr
    True
"""
entropy_estimate.__doc__ = r"""Monte Carlo estimate of the entropy :math:`H(P) = -E_P[\log p]`.
""" + _DOC_PARAMS + """
    Examples
    --------
    >>> from anadiv import Exponential, entropy_estimate
    >>> est = entropy_estimate(Exponential(2.0), n=10_000, seed=1)
    >>> lo, hi = est.ci()
    >>> lo < 0.30685 < hi
    True
"""
