r"""The Wasserstein-2 distance: closed forms between Gaussians, quadrature for any univariate pair.

.. math::

    W_2(P, Q)^2 = \inf_{\pi \in \Pi(P, Q)} E_\pi |X - Y|^2 .

**Gaussians** (:func:`wasserstein2`). Between :math:`N(m_1, \Sigma_1)` and :math:`N(m_2, \Sigma_2)`

.. math::

    W_2^2 = |m_1 - m_2|^2 + B^2, \qquad
    B^2 = \operatorname{tr}\Sigma_1 + \operatorname{tr}\Sigma_2
        - 2 \operatorname{tr}\bigl(\Sigma_1^{1/2}\Sigma_2\Sigma_1^{1/2}\bigr)^{1/2}

(:math:`B` the Bures distance), for ``Normal``, ``DiagonalNormal``,
``Independent(Normal(mu, sigma), 1)``, ``MultivariateNormal`` and
``LowRankMultivariateNormal`` in every combination of the vector ones.
No inverse or matrix square root is formed:

* *Univariate, and diagonal against diagonal*: :math:`B^2 = \sum_i (s_{1i} - s_{2i})^2`
  exactly (the scales' difference is exact where they are within a factor 2).
* *Otherwise*, with Cholesky factors :math:`\Sigma_k = L_k L_k^\top`,
  :math:`\operatorname{tr}(\Sigma_1^{1/2}\Sigma_2\Sigma_1^{1/2})^{1/2} = \|L_2^\top L_1\|_*`
  and, from the SVD :math:`L_2^\top L_1 = W S V^\top`, the orthogonal-Procrustes form
  :math:`B^2 = \min_{U^\top U = I} \|L_1 - L_2 U\|_F^2` at :math:`U = W V^\top`,
  summed as squares (no cancellation of the traces; :math:`U`'s own rounding enters
  to second order only, the optimum being stationary in :math:`U`). Its absolute
  error is still about :math:`\epsilon \|L\|` per entry (the factors' rounding), so
  where :math:`B^2 < 10^{-3}(\operatorname{tr}\Sigma_1 + \operatorname{tr}\Sigma_2)`
  the item is recomputed from the exactly formed difference
  :math:`E = \Sigma_1 - \Sigma_2` (:func:`~anadiv.numeric.linalg.covariance_difference`):
  the transport map :math:`T = I + X` (:math:`X` symmetric, :math:`T\Sigma_2T = \Sigma_1`)
  solves :math:`X\Sigma_2 + \Sigma_2 X + X\Sigma_2 X = E`, :math:`B^2 = \operatorname{tr}(X\Sigma_2X)`.
  In whitened form :math:`Z = L_2^\top X L_2`, :math:`C = L_2^\top L_2 = Q\Lambda Q^\top`,
  :math:`F = Q^\top L_2^\top E L_2 Q`, the iteration
  :math:`Z_{ij} \leftarrow (F - Z^2)_{ij} / (\lambda_i + \lambda_j)` (from :math:`Z = 0`)
  converges (by a factor of about :math:`\|Z\|/\lambda_{\min}` a step) and
  :math:`B^2 = \sum_{ij} Z_{ij}^2 / \lambda_j`, a sum of nonnegative terms whose relative error
  does not grow as :math:`\Sigma_1 \to \Sigma_2`. An item whose iteration does not
  converge (a very ill-conditioned :math:`\Sigma_2`) keeps the Procrustes value.

Measured relative error of :math:`W_2` against mpmath (``mp.sqrtm`` at 50 digits), means
equal, :math:`\Sigma_1 = \Sigma_2 + \delta\,(\text{random symmetric of norm} \sim \|\Sigma_2\|)`
for :math:`\delta = 10^{-3} \dots 10^{-12}` and ``d = 2, 3, 10`` (condition numbers to ~30):
at most ``4e-15`` (the Procrustes form alone: about :math:`\epsilon / \delta`, ``1e-4`` at
:math:`\delta = 10^{-12}`). Scales from ``1e-150`` to ``1e150`` are computed after an exact
power-of-2 scaling. Results are float64.

**Any univariate pair** (:func:`wasserstein2_quad`): the quantile integral

.. math:: W_2^2 = \int_0^1 \bigl(F_P^{-1}(u) - F_Q^{-1}(u)\bigr)^2\,du

by ``scipy.integrate.quad``, each half in ``t = u`` or ``t = 1 - u`` and ``t = e^{-s}``
(``s`` from ``log 2`` to 700, split on a geometric ladder, plus the remainder beyond):
the upper half uses ``isf`` (scipy's inverse survival function) where the family has a
scipy counterpart, so both tails keep their digits down to ``t = 1e-304``. A pair of families
takes about 0.1 s; a :class:`~anadiv.Mixture` inverts its cdf by root finding at every node
(about 1 s).
"""

from __future__ import annotations

import math
import warnings
from typing import Any, Callable

import numpy as np

from .errors import NoClosedFormError, QuadratureError
from .estimators.result import QuadResult
from .families import DiagonalNormal, LowRankMultivariateNormal, MultivariateNormal, Normal
from .distribution import Distribution
from .families._base import Family
from .families._scipy_objects import ScipyDistribution, as_distribution
from .independent import Independent
from .mixture import Mixture
from .numeric import linalg
from .typing import DivergenceValue

__all__ = ["wasserstein2", "wasserstein2_quad"]

#: A Bures term below this fraction of ``tr S1 + tr S2`` is recomputed from the exact difference.
_NEAR = 1e-3
#: Steps of the near-equal iteration before an item keeps its Procrustes value.
_MAX_STEPS = 200

# ----------------------------------------------------------------- closed form
_INSTEAD = "use anadiv.wasserstein2_quad(p, q) for univariate pairs"


def _f64(x: Any) -> np.ndarray:
    return np.asarray(x, dtype=np.float64)


def _gaussian(dist: Any, arg: str) -> tuple[np.ndarray, np.ndarray | None, Any, np.ndarray | None, np.ndarray | None]:
    """``(loc, dense, diag, factor, scale)`` of a vector Gaussian: its mean and covariance parts.

    ``diag`` is the exact pair ``(hi, lo)`` of ``s^2`` (:func:`~anadiv.numeric.linalg.two_product`)
    and ``scale`` the standard deviations ``s`` for the diagonal families, ``None`` otherwise.
    """
    if isinstance(dist, MultivariateNormal):
        cov = dist.cov if np.asarray(dist.cov).dtype == np.float64 else _f64(dist.cov)  # keeps its factor
        return _f64(dist.mean), cov, None, None, None
    if isinstance(dist, LowRankMultivariateNormal):
        diag = _f64(dist.cov_diag)
        return _f64(dist.loc), None, (diag, np.zeros_like(diag)), _f64(dist.cov_factor), None
    if isinstance(dist, DiagonalNormal):
        mean, scale = np.broadcast_arrays(_f64(dist.mean), _f64(dist.scale))
        return mean, None, linalg.two_product(scale, scale), None, scale
    if isinstance(dist, Independent) and isinstance(dist.base, Normal) and dist.reinterpreted_batch_ndims == 1:
        shape = dist.batch_shape + dist.event_shape
        mu, sigma = (np.broadcast_to(_f64(v), shape) for v in (dist.base.mu, dist.base.sigma))
        return mu, None, linalg.two_product(sigma, sigma), None, sigma
    if isinstance(dist, (Family, Independent, Mixture)):
        raise NoClosedFormError(
            f"{arg}: no closed-form Wasserstein-2 distance for {dist!r} (closed forms: Normal with Normal, and "
            "the Gaussians DiagonalNormal, Independent(Normal, 1), MultivariateNormal, LowRankMultivariateNormal "
            f"with each other); {_INSTEAD}"
        )
    raise TypeError(f"{arg}: must be an anadiv distribution, got {type(dist).__name__}")


def _batch(loc: np.ndarray, dense: np.ndarray | None, diag: Any, factor: np.ndarray | None) -> tuple[int, ...]:
    shapes = [loc.shape[:-1]]
    shapes += [dense.shape[:-2]] if dense is not None else []
    shapes += [diag[0].shape[:-1]] if diag is not None else []
    shapes += [factor.shape[:-2]] if factor is not None else []
    return np.broadcast_shapes(*shapes)


def _dense_factor(parts: tuple[Any, ...], arg: str) -> np.ndarray:
    """Lower Cholesky factor of one side's covariance (a diagonal side: ``diag(s)``, no factorization)."""
    _, dense, diag, factor, scale = parts
    if scale is not None:
        return scale[..., :, None] * np.eye(scale.shape[-1])
    if dense is None:
        d = diag[0].shape[-1]
        cov = np.array(factor @ np.swapaxes(factor, -1, -2))
        cov = np.array(np.broadcast_to(cov, np.broadcast_shapes(cov.shape[:-2], diag[0].shape[:-1]) + (d, d)))
        idx = np.arange(d)
        cov[..., idx, idx] += diag[0]
        dense = cov
    return linalg.cholesky(dense, f"{arg}.cov")


def _pow2(x: np.ndarray) -> np.ndarray:
    """Per item, ``k`` with ``2^-k x`` in [0.5, 1) (0 where ``x`` is 0 or not finite)."""
    ok = np.isfinite(x) & (x > 0)
    return np.where(ok, np.frexp(np.where(ok, x, 1.0))[1], 0).astype(np.int64)


def _procrustes(l1: np.ndarray, l2: np.ndarray) -> np.ndarray:
    r""":math:`\min_U \|L_1 - L_2 U\|_F^2` at :math:`U = W V^\top` from the SVD :math:`L_2^\top L_1 = W S V^\top`."""
    w, _, vt = np.linalg.svd(np.swapaxes(l2, -1, -2) @ l1)
    diff = l1 - l2 @ (w @ vt)
    return np.sum(diff * diff, axis=(-2, -1))


def _near_equal(l2: np.ndarray, diff: np.ndarray, fallback: np.ndarray) -> np.ndarray:
    r"""``B^2`` from ``L_2`` and ``E = S_1 - S_2`` (both scaled alike), by the whitened iteration (module notes).

    One item per leading index; ``fallback`` (the Procrustes values) is kept where it does not converge.
    """
    c = np.swapaxes(l2, -1, -2) @ l2
    lam, q = np.linalg.eigh(c)
    qt_l2t = np.swapaxes(l2 @ q, -1, -2)
    f = qt_l2t @ diff @ np.swapaxes(qt_l2t, -1, -2)
    f = 0.5 * (f + np.swapaxes(f, -1, -2))
    denom = lam[..., :, None] + lam[..., None, :]
    z = f / denom
    done = np.zeros(z.shape[0], dtype=bool)
    for _ in range(_MAX_STEPS):
        new = (f - z @ z) / denom
        change = np.max(np.abs(new - z), axis=(-2, -1))
        z = new
        done = change <= 4 * np.finfo(float).eps * np.max(np.abs(z), axis=(-2, -1))
        if np.all(done | ~np.isfinite(change)):
            break
    value = np.sum(z * z / lam[..., None, :], axis=(-2, -1))
    return np.where(done & np.isfinite(value), value, fallback)


def _bures(a: tuple[Any, ...], b: tuple[Any, ...], batch: tuple[int, ...], d: int) -> tuple[np.ndarray, np.ndarray]:
    """``(4^-k B^2, k)`` per item of ``batch``: the Bures term after the exact scaling by ``2^-k``."""
    if a[4] is not None and b[4] is not None:
        # both diagonal: the scales' differences, exactly
        s1, s2 = np.broadcast_arrays(a[4], b[4])
        k = _pow2(np.maximum(np.max(s1, axis=-1, initial=0.0), np.max(s2, axis=-1, initial=0.0)))
        diff = np.ldexp(s1, -k[..., None]) - np.ldexp(s2, -k[..., None])
        return np.broadcast_to(np.sum(diff * diff, axis=-1), batch), np.broadcast_to(k, batch)
    l1 = np.broadcast_to(_dense_factor(a, "p"), batch + (d, d))
    l2 = np.broadcast_to(_dense_factor(b, "q"), batch + (d, d))
    top = np.maximum(np.max(np.abs(l1), axis=(-2, -1), initial=0.0), np.max(np.abs(l2), axis=(-2, -1), initial=0.0))
    k = _pow2(top)
    l1 = np.ldexp(l1, -k[..., None, None])
    l2 = np.ldexp(l2, -k[..., None, None])
    value = _procrustes(l1, l2)
    traces = np.sum(l1 * l1, axis=(-2, -1)) + np.sum(l2 * l2, axis=(-2, -1))
    near = value < _NEAR * traces
    if np.any(near):
        value = np.array(value, copy=True)

        def part(x: Any, event: int) -> Any:
            return None if x is None else np.broadcast_to(x, batch + x.shape[x.ndim - event :])[near]

        pa = (part(a[1], 2), None if a[2] is None else (part(a[2][0], 1), part(a[2][1], 1)), part(a[3], 2))
        pb = (part(b[1], 2), None if b[2] is None else (part(b[2][0], 1), part(b[2][1], 1)), part(b[3], 2))
        diff = linalg.covariance_difference(pa, pb, k[near])
        value[near] = _near_equal(l2[near], diff, value[near])
    return value, k


def wasserstein2(p: Distribution, q: Distribution, *, squared: bool = False) -> DivergenceValue:
    r"""The Wasserstein-2 distance between two Gaussians in closed form, batched.

    .. math::

        W_2(P, Q) = \Bigl(|m_P - m_Q|^2 + \operatorname{tr}\Sigma_P + \operatorname{tr}\Sigma_Q
            - 2 \operatorname{tr}\bigl(\Sigma_P^{1/2}\Sigma_Q\Sigma_P^{1/2}\bigr)^{1/2}\Bigr)^{1/2};
        \quad \text{univariate: } W_2 = \sqrt{(\mu_P - \mu_Q)^2 + (\sigma_P - \sigma_Q)^2}.

    How each term is evaluated without cancellation: see the module notes.

    Parameters
    ----------
    p, q : Distribution
        Two ``Normal``, or two of ``DiagonalNormal``, ``Independent(Normal(mu, sigma), 1)``,
        ``MultivariateNormal``, ``LowRankMultivariateNormal`` (any combination) of one
        dimension. Parameters may be batches: they broadcast like :func:`anadiv.kl`.
    squared : bool
        Return :math:`W_2^2` instead of :math:`W_2`.

    Returns
    -------
    float or numpy.ndarray
        A float for unbatched inputs, else an array of the broadcast batch shape.
        Exactly 0 for identical inputs.

    Raises
    ------
    ValueError
        Naming ``q`` when the dimensions differ or the batch shapes do not broadcast;
        naming ``p.cov`` or ``q.cov`` for a covariance that is not positive definite
        (a ``MultivariateNormal`` built with ``validate=False``).
    NoClosedFormError
        For any other pair (naming the argument; use :func:`wasserstein2_quad` for univariate pairs).
    TypeError
        Naming the argument that is not an anadiv distribution.

    Examples
    --------
    >>> import numpy as np
    >>> from anadiv import MultivariateNormal, Normal
    >>> from anadiv.wasserstein import wasserstein2
    >>> wasserstein2(Normal(0.0, 1.0), Normal(3.0, 5.0))
    5.0
    >>> wasserstein2(Normal(0.0, 1.0), Normal(0.0, [1.0, 2.0, 4.0]), squared=True).tolist()
    [0.0, 1.0, 9.0]
    >>> p = MultivariateNormal(np.zeros(2), np.eye(2))
    >>> q = MultivariateNormal(np.ones(2), 4.0 * np.eye(2))
    >>> round(wasserstein2(p, q, squared=True), 12)  # |m|^2 + 2 (2 - 1)^2
    4.0
    """
    p, q = as_distribution(p, "p"), as_distribution(q, "q")  # scipy objects: their family, or the adapter
    if isinstance(p, Normal) and isinstance(q, Normal):
        return _finish(_normal(p, q, squared))
    if isinstance(p, Normal) or isinstance(q, Normal):
        arg, other = ("q", q) if isinstance(p, Normal) else ("p", p)
        hint = (_INSTEAD if isinstance(other, Mixture) or (isinstance(other, Family) and not other.event_ndim)
                else "use Independent(Normal(mu, sigma), 1) for a vector with independent coordinates")
        raise NoClosedFormError(f"{arg}: a Normal pairs only with a Normal in the closed form, got {other!r}; {hint}")
    a, b = _gaussian(p, "p"), _gaussian(q, "q")
    d1, d2 = int(a[0].shape[-1]), int(b[0].shape[-1])
    if d1 != d2:
        raise ValueError(f"q: dimension {d2} differs from p's dimension {d1}")
    try:
        batch = np.broadcast_shapes(_batch(*a[:4]), _batch(*b[:4]))
    except ValueError:
        raise ValueError(f"q: batch shape {_batch(*b[:4])} does not broadcast with p's {_batch(*a[:4])}") from None
    with np.errstate(over="ignore", under="ignore"):
        bures, k = _bures(a, b, batch, d1)
        m1, m2 = np.broadcast_arrays(a[0], b[0])
        mk = _pow2(np.maximum(np.max(np.abs(m1), axis=-1, initial=0.0), np.max(np.abs(m2), axis=-1, initial=0.0)))
        # means and covariances are scaled apart; the larger exponent takes both (exact in the power of 2)
        top = np.maximum(np.broadcast_to(mk, batch), k)
        dm = np.ldexp(m1, -top[..., None]) - np.ldexp(m2, -top[..., None])
        total = np.sum(dm * dm, axis=-1) + np.ldexp(bures, 2 * (k - top))
        value = np.ldexp(total, 2 * top) if squared else np.ldexp(np.sqrt(total), top)
    return _finish(value)


def _normal(p: Normal, q: Normal, squared: bool) -> np.ndarray:
    mu1, s1, mu2, s2 = (_f64(v) for v in (p.mu, p.sigma, q.mu, q.sigma))
    with np.errstate(over="ignore"):
        dm, ds = mu1 - mu2, s1 - s2
        # hypot scales: no overflow or underflow of the squares unless W2 itself is out of range
        return dm * dm + ds * ds if squared else np.hypot(dm, ds)


def _finish(value: Any) -> Any:
    return float(value) if np.ndim(value) == 0 else np.asarray(value)


# ------------------------------------------------------------------ quadrature
#: The quantile integral in s = -log t runs to here (t = 1e-304, above the subnormals).
_S_MAX = 700.0
#: Where the upper half has only ``quantile(1 - t)``: ``1 - t`` is exact down to ``t = 2^-53``.
_S_MAX_ROUNDED = 36.0
_LADDER = (1.0, 2.0, 4.0, 8.0, 16.0, 32.0, 64.0, 128.0, 256.0, 512.0)
#: Discrete quantiles jump at F(k): at most this many jumps become split points.
_MAX_JUMPS = 200
_EPSREL = 1e-12

_Quantile = Callable[[float], float]


class _Side:
    """One distribution's quantiles on the two halves: ``lower(t) = F^-1(t)``, ``upper(t) = F^-1(1 - t)``."""

    def __init__(self, lower: _Quantile, upper: _Quantile, upper_exact: bool, cdf: Any, sf: Any) -> None:
        self.lower, self.upper, self.upper_exact = lower, upper, upper_exact
        self.cdf, self.sf = cdf, sf  # callables or None (jumps of discrete families, mixtures)


def _check_univariate(dist: Any, arg: str) -> None:
    if isinstance(dist, Mixture):
        if dist.dim:
            raise ValueError(f"{arg}: wasserstein2_quad needs a univariate distribution, got a {dist.dim}-D mixture")
        return
    if not isinstance(dist, Family):
        what = "an Independent (vector) distribution" if isinstance(dist, Independent) else type(dist).__name__
        raise (ValueError if isinstance(dist, Independent) else TypeError)(
            f"{arg}: wasserstein2_quad needs a univariate anadiv Family or Mixture, got {what}"
        )
    if dist.symbolic:
        raise ValueError(f"{arg}: must have numeric parameters, got symbolic {dist!r}")
    if dist.event_ndim:
        raise ValueError(f"{arg}: wasserstein2_quad needs a univariate distribution, got {type(dist).__name__}; "
                         "use wasserstein2 for Gaussians")
    if dist.batch_shape != ():
        raise ValueError(f"{arg}: wasserstein2_quad needs scalar parameters, got batch shape {dist.batch_shape}")


def _scalar(fn: Callable[..., Any], *params: Any) -> _Quantile:
    def f(t: float) -> float:
        with np.errstate(divide="ignore", over="ignore"):
            return float(fn(np.float64(t), *params))

    return f


def _family_side(dist: Family, arg: str) -> _Side:
    cls, params = type(dist), dist.param_values
    if cls._scipy_frozen is not None or isinstance(dist, ScipyDistribution):
        # scipy's ppf and isf keep their digits far in both tails (a quantile hook may not:
        # 1 - 2|u - 1/2| loses them below u ~ 1e-8), and invert the cdf where no formula exists;
        # scipy's new distribution objects name them icdf, iccdf, cdf and ccdf
        frozen = dist.to_scipy()
        ppf, isf, cdf, sf = (getattr(frozen, old, None) or getattr(frozen, new)
                             for old, new in (("ppf", "icdf"), ("isf", "iccdf"), ("cdf", "cdf"), ("sf", "ccdf")))
        return _Side(_scalar(ppf), _scalar(isf), True, _scalar(cdf), _scalar(sf))
    if cls._np_quantile is not None:
        lower = _scalar(cls._np_quantile, *params)
        return _Side(lower, lambda t: lower(1.0 - t), False, _cdf_from_quantile(lower), None)
    raise ValueError(f"{arg}: {cls.__name__} has neither a quantile function (_np_quantile) nor a cdf "
                     "(_scipy_frozen): its W2 cannot be integrated")


def _cdf_from_quantile(lower: _Quantile) -> Callable[[float], float]:
    """``F(x)`` by inverting a quantile function (a component without a cdf inside a mixture)."""
    from scipy.optimize import brentq

    def cdf(x: float) -> float:
        if lower(0.0) >= x:
            return 0.0
        if lower(1.0) <= x:
            return 1.0
        return float(brentq(lambda u: lower(u) - x, 0.0, 1.0, xtol=1e-300, rtol=4 * np.finfo(float).eps))

    return cdf


def _mixture_side(dist: Mixture, arg: str) -> _Side:
    from scipy.optimize import brentq

    parts = [(float(w), _family_side(c, f"{arg}.components[{i}]"))
             for i, (w, c) in enumerate(zip(dist.weights, dist.components)) if w > 0]
    exact = all(s.sf is not None for _, s in parts)

    def cdf(x: float) -> float:
        return sum(w * s.cdf(x) for w, s in parts)

    def sf(x: float) -> float:
        return sum(w * (s.sf(x) if s.sf is not None else 1.0 - s.cdf(x)) for w, s in parts)

    def invert(f: Callable[[float], float], t: float, ends: list[float], sign: float) -> float:
        # the mixture's quantile lies between its components' quantiles at the same level
        lo, hi = min(ends), max(ends)
        if lo == hi:
            return lo
        return float(brentq(lambda x: sign * (f(x) - t), lo, hi, xtol=1e-300, rtol=4 * np.finfo(float).eps))

    def lower(t: float) -> float:
        return invert(cdf, t, [s.lower(t) for _, s in parts], 1.0)

    def upper(t: float) -> float:
        return invert(sf, t, [s.upper(t) for _, s in parts], -1.0)

    return _Side(lower, upper, exact, cdf, sf if exact else None)


def _side(dist: Any, arg: str) -> _Side:
    if isinstance(dist, Mixture):
        for i, c in enumerate(dist.components):
            if type(c)._np_quantile is None and type(c)._scipy_frozen is None:
                raise ValueError(f"{arg}: component {i} ({type(c).__name__}) has neither a quantile function nor a "
                                 "cdf: the mixture's quantiles cannot be computed")
        return _mixture_side(dist, arg)
    return _family_side(dist, arg)


def _infinite_second_moment(dist: Any) -> bool | None:
    """True where ``E X^2 = inf`` (from the supports and the moments hook), None where unknown."""
    if isinstance(dist, Mixture):
        flags = [_infinite_second_moment(c) for w, c in zip(dist.weights, dist.components) if w > 0]
        return True if any(f is True for f in flags) else (None if None in flags else False)
    lo, hi = (float(np.asarray(v)) for v in dist.support())
    if math.isfinite(lo) and math.isfinite(hi):
        return False
    cls = type(dist)
    if not cls._declares("_np_mean_var"):
        return None  # a user's own family: no moments declared
    if cls._np_mean_var is None:
        return True  # the mean never exists
    mv = dist.mean_variance()
    return mv is None or not bool(np.all(np.isfinite(np.asarray(mv[1], dtype=float))))


def _same(p: Any, q: Any) -> bool:
    """Whether ``p`` and ``q`` are the same distribution: one class, equal parameters (or weights and components)."""
    if type(p) is not type(q):
        return False
    if isinstance(p, Mixture):
        return (len(p.components) == len(q.components) and bool(np.array_equal(p.weights, q.weights))
                and all(_same(a, b) for a, b in zip(p.components, q.components)))
    return all(np.array_equal(a, b) for a, b in zip(p.param_values, q.param_values))


def _jumps(dist: Any, side: _Side, upper: bool, s_max: float) -> list[float]:
    """``s = -log t`` of the discontinuities of a counting family's quantile on one half."""
    if isinstance(dist, Mixture) or dist.measure != "counting" or side.cdf is None:
        return []
    f = side.upper if upper else side.lower
    ends = sorted((f(0.5), f(math.exp(-s_max))))
    if not all(math.isfinite(e) for e in ends) or ends[1] - ends[0] > _MAX_JUMPS:
        return []
    ks = np.arange(math.floor(ends[0]), math.floor(ends[1]) + 1, dtype=float)
    mass = [side.sf(k) if upper else side.cdf(k) for k in ks]
    with np.errstate(divide="ignore"):
        return [float(-np.log(m)) for m in mass if 0.0 < m < 0.5]


def _reach(fp: _Quantile, fq: _Quantile, s_cap: float) -> float:
    """The largest ``s <= s_cap`` (to within 1/16) where both quantiles at ``t = e^-s`` are finite.

    Some quantile functions give up far in a tail (scipy's Poisson ``isf`` is nan below 1e-21);
    the integral stops there and the remainder beyond is estimated from the decay.
    """

    def ok(s: float) -> bool:
        t = math.exp(-s)
        return all(math.isfinite(f(t)) for f in (fp, fq))

    if ok(s_cap):
        return s_cap
    good, bad = math.log(2.0), s_cap
    for s in (8.0, 16.0, 32.0, 64.0, 128.0, 256.0, 512.0):
        if s >= s_cap or not ok(s):
            bad = min(bad, s)
            break
        good = s
    while bad - good > 0.0625:
        mid = 0.5 * (good + bad)
        good, bad = (mid, bad) if ok(mid) else (good, mid)
    return good


def _half(fp: _Quantile, fq: _Quantile, s_max: float, jumps: list[float], exact: bool) -> tuple[float, float]:
    r""":math:`\int_0^{1/2} (f_P(t) - f_Q(t))^2 dt` in ``s = -log t``, with its error estimate."""
    from scipy.integrate import quad

    def h(s: float) -> float:
        t = math.exp(-s)
        d = fp(t) - fq(t)
        if d != d:
            raise QuadratureError(f"wasserstein2_quad: a quantile is not a number at level {t!r}")
        return d * d * t

    edges = sorted({math.log(2.0), s_max, *(e for e in _LADDER if e < s_max),
                    *(j for j in jumps if math.log(2.0) < j < s_max)})
    total = err = 0.0
    for a, b in zip(edges[:-1], edges[1:]):
        v, e = quad(h, a, b, epsabs=1e-14 * total, epsrel=_EPSREL, limit=200)
        total += v
        err += e
    hb = h(s_max)
    if hb == 0.0:
        return total, err
    if not exact:
        # quantile(1 - t) near t = 2^-53 carries the rounding of 1 - t: no decay rate can be read
        # there; the remainder is taken as h(s_max) (an integrand falling like t) and added to the error
        return total + hb, err + hb
    # beyond s_max: the integrand falls like exp(-rate s) (a finite second moment)
    ha = h(s_max - 4.0)
    rate = (math.log(ha) - math.log(hb)) / 4.0 if ha > 0.0 else 0.0
    if rate <= 0.0:
        raise QuadratureError(f"wasserstein2_quad: the quantile integrand does not decay at t = {math.exp(-s_max):g}")
    return total + hb / rate, err + hb / rate


def wasserstein2_quad(p: Any, q: Any, *, squared: bool = False) -> QuadResult:
    r"""The Wasserstein-2 distance between any two univariate distributions, by quadrature.

    .. math::

        W_2(P, Q)^2 = \int_0^1 \bigl(F_P^{-1}(u) - F_Q^{-1}(u)\bigr)^2\,du

    (the monotone coupling is optimal on the line). Each half of ``(0, 1)`` is integrated in
    :math:`s = -\log t`, ``t = u`` below 1/2 and ``t = 1 - u`` above (``isf`` where the family
    has a scipy counterpart, else ``quantile(1 - t)`` down to ``t = 2^-53``), split on a geometric
    ladder and at the jumps of a discrete quantile, by ``scipy.integrate.quad`` (``epsrel=1e-12``).
    A family without a quantile function uses scipy's inversion of its cdf; a
    :class:`~anadiv.Mixture` inverts its cdf :math:`\sum_k w_k F_k` between its components'
    quantiles. Where exactly one of P and Q has an infinite second moment (decided from the
    supports and the ``_np_mean_var`` hook: Cauchy, Student t with ``df <= 2``) the distance is
    ``inf``. The quantile difference is formed in float64, so for nearly equal P and Q the
    relative error grows like :math:`\epsilon |F^{-1}| / |F_P^{-1} - F_Q^{-1}|`.

    Parameters
    ----------
    p, q : Family or Mixture
        Univariate, scalar (unbatched) parameters.
    squared : bool
        Return :math:`W_2^2` instead of :math:`W_2`.

    Returns
    -------
    QuadResult
        ``value`` (:math:`W_2`, or :math:`W_2^2` with ``squared``), ``error`` (quad's estimate
        for :math:`W_2^2` propagated through the square root:
        :math:`e / (\sqrt{V + e} + \sqrt{V})`), ``method``.

    Raises
    ------
    ValueError
        Naming the argument that is not univariate, batched, symbolic, or has neither a
        quantile function nor a cdf.
    TypeError
        Naming the argument that is not an anadiv distribution.
    QuadratureError
        Where both second moments are infinite (W2 may then be finite, e.g. two Cauchy
        differing only in location, or infinite: float quantiles in the far tails cannot tell),
        unless P and Q are equal.

    Examples
    --------
    >>> from anadiv import Exponential, Normal, Uniform
    >>> from anadiv.wasserstein import wasserstein2_quad
    >>> r = wasserstein2_quad(Normal(0.0, 1.0), Normal(3.0, 5.0))
    >>> round(r.value, 10), r.error < 1e-9
    (5.0, True)
    >>> round(wasserstein2_quad(Uniform(0.0, 1.0), Uniform(0.0, 3.0), squared=True).value, 12)  # int (2u)^2
    1.333333333333
    >>> from anadiv import Cauchy
    >>> wasserstein2_quad(Cauchy(0.0, 1.0), Exponential(1.0)).value
    inf
    """
    p, q = as_distribution(p, "p"), as_distribution(q, "q")  # scipy objects: their family, or the adapter
    _check_univariate(p, "p")
    _check_univariate(q, "q")
    inf_p, inf_q = _infinite_second_moment(p), _infinite_second_moment(q)
    if inf_p is True or inf_q is True:
        if inf_p is True and inf_q is True:
            if _same(p, q):
                return QuadResult(0.0, 0.0, "equal distributions")
            raise QuadratureError(
                "p, q: both second moments are infinite: W2 may be finite (equal tails, e.g. two Cauchy differing "
                "only in location) or infinite, and float64 quantiles far in the tails cannot tell"
            )
        return QuadResult(math.inf, 0.0, f"infinite second moment ({'p' if inf_p is True else 'q'})")
    a, b = _side(p, "p"), _side(q, "q")
    with warnings.catch_warnings():
        # scipy's ppf warns where its root finding meets an underflowing tail (a Beta's quantile
        # below 1e-300); the quantile returned there is right, and quad's own warnings still show
        warnings.simplefilter("ignore", RuntimeWarning)
        halves = []
        for upper, exact in ((False, True), (True, a.upper_exact and b.upper_exact)):
            fp, fq = (a.upper, b.upper) if upper else (a.lower, b.lower)
            if upper and not exact:
                # both through quantile(1 - t), so that both see the same rounded level
                fp, fq = (lambda t: a.lower(1.0 - t)), (lambda t: b.lower(1.0 - t))
            s_max = _reach(fp, fq, _S_MAX if exact else _S_MAX_ROUNDED)
            jumps = _jumps(p, a, upper, s_max) + _jumps(q, b, upper, s_max)
            halves.append(_half(fp, fq, s_max, jumps, exact))
    (lo, e_lo), (hi, e_hi) = halves
    value, err = lo + hi, e_lo + e_hi
    method = "scipy.integrate.quad (quantile integral)"
    if squared:
        return QuadResult(value, err, method)
    root = math.sqrt(value)
    return QuadResult(root, err / (math.sqrt(value + err) + root) if err > 0 else 0.0, method)
