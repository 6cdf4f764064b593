"""Finite mixtures of distribution families.

A :class:`Mixture` is a weighted sum of component densities,

.. math:: p(x) = \\sum_{k=1}^K w_k\\, p_k(x), \\qquad w_k \\ge 0,\\ \\sum_k w_k = 1,

whose components are univariate families (any mix of them) or vector-valued
Gaussians (``MultivariateNormal``, ``DiagonalNormal``) of one common
dimension. Its log-density is evaluated with a log-sum-exp, so it stays finite
and accurate far in the tails where every component density underflows.

Mixtures have no closed-form divergences; use :func:`anadiv.kl_estimate`
(Monte Carlo with error bars), :func:`anadiv.kl_quad` (numerical integration,
d <= 2) or the Gaussian-mixture approximations and bounds in
:mod:`anadiv.gmm`.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from .distribution import Distribution
from .families._base import Family

#: Weights may miss a total of 1 by at most this much (absolute); they are
#: then renormalised exactly. Large enough for float32 inputs, small enough to
#: catch a forgotten normalisation.
WEIGHT_SUM_TOL = 1e-6

__all__ = ["Mixture", "WEIGHT_SUM_TOL", "gaussian_params"]


# ---------------------------------------------------------------- Gaussians
def _is_gaussian(c: Any) -> bool:
    # The family class says so (``is_gaussian``) and gives mean and covariance (``_np_gaussian``).
    return isinstance(c, Family) and type(c).is_gaussian and type(c)._np_gaussian is not None


def gaussian_params(c: Any) -> tuple[np.ndarray, np.ndarray]:
    """``(mean, cov)`` of a Gaussian family instance as a vector and a matrix.

    A univariate ``Normal(mu, sigma)`` gives ``([mu], [[sigma**2]])``.

    Raises
    ------
    ValueError
        If ``c`` is not a Gaussian with scalar (unbatched) parameters.
    """
    if not _is_gaussian(c):
        raise ValueError(f"component: {c!r} is not a Gaussian family")
    return type(c)._np_gaussian(*c.param_values)


def _component_dim(c: Any, where: str) -> int:
    """0 for a scalar univariate family, ``d`` for a d-dimensional vector family."""
    if isinstance(c, Mixture):
        raise ValueError(f"{where}: nested mixtures are not supported; flatten the weights")
    if not isinstance(c, Family):
        raise ValueError(f"{where}: must be an anadiv Family instance, got {type(c).__name__}")
    if c.symbolic:
        raise ValueError(f"{where}: must have numeric parameters, got symbolic {c!r}")
    if getattr(c, "event_ndim", 0) == 0:
        # a Categorical's probs are a vector of one distribution: ask the batch shape, not the ndim
        if c.batch_shape != () or (not _vector_parameters(c) and any(np.ndim(v) != 0 for v in c.param_values)):
            raise ValueError(f"{where}: parameters must be scalars (got a batch of shape {c.batch_shape})")
        return 0
    if getattr(c, "event_ndim", 0) == 2:
        # a matrix variate (Wishart): its first parameter may be a scalar (df), so ask its batch shape
        if c.batch_shape:
            raise ValueError(f"{where}: must be a single matrix distribution (got a batch of shape {c.batch_shape})")
        return int(c.dim)
    # the first vector parameter gives the dimension (a Multinomial's first parameter is its count)
    index = next((i for i, par in enumerate(type(c).parameters) if getattr(par.constraint, "event_ndim", 0) == 1), 0)
    first = np.asarray(c.param_values[index])
    if first.ndim != 1:
        raise ValueError(f"{where}: must be a single vector distribution (got parameter shape {first.shape})")
    return int(first.shape[0])


def _vector_parameters(c: Any) -> bool:
    """True when some parameter of ``c``'s family is a vector for one distribution (a Categorical's probs)."""
    return any(getattr(par.constraint, "event_ndim", 0) for par in getattr(type(c), "parameters", ()))


#: Up to this dimension the quadratic forms are accumulated column by column.
_SMALL_D = 8


class _GaussianKernel:
    """All components' whitening transforms, stacked so one matrix product
    evaluates every component's quadratic form at once.

    Work arrays are laid out (K, n): reductions over the K components are
    then elementwise operations on contiguous rows, far faster than numpy
    reductions along a short last axis.
    """

    def __init__(self, log_w: np.ndarray, means: np.ndarray, covs: np.ndarray) -> None:
        k, d = means.shape
        chol = np.linalg.cholesky(covs)  # (K, d, d)
        inv_chol = np.linalg.inv(chol)  # z = L^{-1}(x - m)
        self.A = np.ascontiguousarray(inv_chol.reshape(k * d, d))  # rows: component k, coordinate i
        self.b = np.einsum("kij,kj->ki", inv_chol, means).reshape(k * d, 1)
        logdet = np.sum(np.log(np.diagonal(chol, axis1=1, axis2=2)), axis=1)
        self.const = (log_w - logdet - 0.5 * d * np.log(2.0 * np.pi)).reshape(k, 1)
        self.k, self.d = k, d
        self.means, self.chol = means, chol

    def component_logpdf_kn(self, x: np.ndarray) -> np.ndarray:
        """``log w_k + log N(x; m_k, S_k)`` for x of shape (n, d), laid out (K, n)."""
        if self.d == 1:
            z = self.A * x[:, 0]  # (K, n)
        elif self.d <= _SMALL_D:
            # BLAS is slow for an inner dimension this small; accumulate columns.
            xt = np.ascontiguousarray(x.T)
            z = self.A[:, :1] * xt[0]
            for j in range(1, self.d):
                z += self.A[:, j : j + 1] * xt[j]
        else:
            z = self.A @ x.T  # (K*d, n)
        z -= self.b
        z *= z
        if self.d == 1:
            q = z
        else:
            z3 = z.reshape(self.k, self.d, -1)
            q = z3[:, 0].copy()
            for i in range(1, self.d):
                q += z3[:, i]
        q *= -0.5
        q += self.const
        return q


def _logsumexp_rows(a: np.ndarray) -> np.ndarray:
    """log(sum(exp(a), axis=0)) for a of shape (K, n), overwriting a; exact -inf, no NaN."""
    m = a[0].copy()
    for row in a[1:]:
        np.maximum(m, row, out=m)
    m[~np.isfinite(m)] = 0.0
    a -= m
    np.exp(a, out=a)
    s = a[0].copy()
    for row in a[1:]:
        s += row
    with np.errstate(divide="ignore"):
        np.log(s, out=s)
    s += m
    return s


class Mixture(Distribution):
    r"""Finite mixture :math:`p(x) = \sum_k w_k p_k(x)`.

    Parameters
    ----------
    weights : array_like, shape (K,)
        Non-negative mixing weights summing to 1 (within
        :data:`WEIGHT_SUM_TOL` = 1e-6 absolute; they are then renormalised).
    components : sequence of Family, length K
        Univariate families with scalar parameters (any mix of families), or
        vector Gaussians (``MultivariateNormal``/``DiagonalNormal``) of one
        common dimension.

    Raises
    ------
    ValueError
        Message starting with ``weights`` (negative, not summing to 1, not
        finite, wrong length) or ``components`` (empty, batched, symbolic,
        mixed dimensions).

    Examples
    --------
    >>> from anadiv import Mixture, Normal
    >>> m = Mixture([0.3, 0.7], [Normal(-1.0, 0.5), Normal(2.0, 1.0)])
    >>> round(float(m.logpdf(0.0)), 6)
    -2.656574
    >>> m.sample(4, rng=0).shape
    (4,)
    >>> Mixture.gaussian([0.5, 0.5], [[0.0, 0.0], [1.0, 1.0]], [[[1.0, 0.0], [0.0, 1.0]]] * 2).dim
    2
    """

    #: Mixtures are plain Python objects with scalar "batch".
    batch_shape: tuple[int, ...] = ()
    symbolic = False
    name = "mixture"

    def __init__(self, weights: Any, components: Sequence[Family]) -> None:
        try:
            comps = tuple(components)
        except TypeError:
            raise ValueError("components: must be a sequence of family instances") from None
        if len(comps) == 0:
            raise ValueError("components: a mixture needs at least one component")
        w = np.asarray(weights, dtype=float)
        if w.ndim != 1:
            raise ValueError(f"weights: must be a 1-D vector, got shape {w.shape}")
        if w.shape[0] != len(comps):
            raise ValueError(f"weights: has {w.shape[0]} entries but there are {len(comps)} components")
        if not np.all(np.isfinite(w)):
            raise ValueError("weights: must be finite")
        if np.any(w < 0):
            raise ValueError(f"weights: must be non-negative, got {float(w[w < 0][0])!r}")
        total = float(np.sum(w))
        if abs(total - 1.0) > WEIGHT_SUM_TOL:
            raise ValueError(f"weights: must sum to 1 (within {WEIGHT_SUM_TOL:g}), got {total!r}")
        dims = [_component_dim(c, f"components[{i}]") for i, c in enumerate(comps)]
        if len(set(dims)) != 1:
            raise ValueError(f"components: must all have the same dimension, got dimensions {sorted(set(dims))}")
        self.weights: np.ndarray = w / total
        self.components: tuple[Family, ...] = comps
        #: 0 for a univariate mixture, d for a mixture of d-dimensional Gaussians.
        self.dim: int = dims[0]
        self.event_ndim: int = 0 if self.dim == 0 else 1
        with np.errstate(divide="ignore"):
            self._log_w = np.log(self.weights)
        self._kernel: _GaussianKernel | None = None
        if all(_is_gaussian(c) for c in comps):
            means, covs = zip(*(gaussian_params(c) for c in comps))
            self._kernel = _GaussianKernel(self._log_w, np.stack(means), np.stack(covs))

    # ------------------------------------------------------------ builders
    @classmethod
    def gaussian(cls, weights: Any, means: Any, scales_or_covs: Any) -> "Mixture":
        """Gaussian mixture from stacked parameters.

        * ``means`` shape (K,), ``scales_or_covs`` shape (K,): univariate
          ``Normal(mean, scale)`` components.
        * ``means`` shape (K, d), ``scales_or_covs`` shape (K, d, d): full
          covariances (``MultivariateNormal``).
        * ``means`` shape (K, d), ``scales_or_covs`` shape (K, d): diagonal
          standard deviations (``DiagonalNormal``).

        Examples
        --------
        >>> from anadiv import Mixture
        >>> Mixture.gaussian([0.4, 0.6], [-1.0, 1.0], [0.5, 2.0]).components[1]
        Normal(mu=1.0, sigma=2.0)
        """
        from . import families

        m = np.asarray(means, dtype=float)
        s = np.asarray(scales_or_covs, dtype=float)
        if m.ndim == 1:
            if s.shape != m.shape:
                raise ValueError(f"scales_or_covs: expected shape {m.shape} (one scale per mean), got {s.shape}")
            comps = [families.Normal(mi, si) for mi, si in zip(m, s)]
        elif m.ndim == 2:
            if s.shape == m.shape:
                cls_ = getattr(families, "DiagonalNormal", None)
                if cls_ is None:  # pragma: no cover - family not available yet
                    raise ValueError("scales_or_covs: DiagonalNormal is not available")
                comps = [cls_(mi, si) for mi, si in zip(m, s)]
            elif s.shape == m.shape + (m.shape[1],):
                cls_ = getattr(families, "MultivariateNormal", None)
                if cls_ is None:  # pragma: no cover
                    raise ValueError("scales_or_covs: MultivariateNormal is not available")
                comps = [cls_(mi, si) for mi, si in zip(m, s)]
            else:
                raise ValueError(
                    f"scales_or_covs: expected shape {m.shape} (diagonal scales) or {m.shape + (m.shape[1],)} "
                    f"(covariances), got {s.shape}"
                )
        else:
            raise ValueError(f"means: must have shape (K,) or (K, d), got {m.shape}")
        return cls(weights, comps)

    # ------------------------------------------------------------- numeric
    @property
    def is_gaussian(self) -> bool:
        """True when every component is a Gaussian (fast fused evaluation)."""
        return self._kernel is not None

    def __len__(self) -> int:
        return len(self.components)

    def __repr__(self) -> str:
        parts = ", ".join(f"{w:.4g}*{c!r}" for w, c in zip(self.weights, self.components))
        return f"Mixture({parts})"

    def _as_points(self, x: Any) -> tuple[np.ndarray, tuple[int, ...]]:
        x = np.asarray(x, dtype=float)
        if self.dim == 0:
            return x.reshape(-1, 1), x.shape
        if x.shape[-1:] != (self.dim,):
            raise ValueError(f"x: last axis must have length {self.dim}, got shape {x.shape}")
        return x.reshape(-1, self.dim), x.shape[:-1]

    def component_logpdf(self, x: Any) -> np.ndarray:
        """``log w_k + log p_k(x)`` with a trailing component axis (shape ``x_batch + (K,)``)."""
        pts, shape = self._as_points(x)
        return self._component_logpdf_kn(pts).T.reshape(shape + (len(self.components),))

    def _component_logpdf_kn(self, pts: np.ndarray) -> np.ndarray:
        if self._kernel is not None:
            return self._kernel.component_logpdf_kn(pts)
        xs = pts[:, 0] if self.dim == 0 else pts
        out = np.stack([np.asarray(c.logpdf(xs), dtype=float) for c in self.components])
        out += self._log_w[:, None]
        return out

    def logpdf(self, x: Any) -> np.ndarray:
        """Log-density by log-sum-exp over components (``-inf`` off the support)."""
        pts, shape = self._as_points(x)
        return _logsumexp_rows(self._component_logpdf_kn(pts)).reshape(shape)

    def pdf(self, x: Any) -> np.ndarray:
        """Density at ``x``."""
        return np.exp(self.logpdf(x))

    def sample(self, size: int | tuple[int, ...] = (), rng: np.random.Generator | int | None = None) -> np.ndarray:
        """Draw samples of shape ``size`` (+ ``(d,)`` for vector mixtures).

        Component labels are drawn i.i.d. from the weights, then each
        component fills its own positions, so the output is an i.i.d. sample
        in random order.
        """
        rng = np.random.default_rng(rng)
        shape = (int(size),) if isinstance(size, (int, np.integer)) else tuple(size)
        n = int(np.prod(shape, dtype=np.int64))
        labels = self.sample_labels(n, rng)
        out = self.sample_given_labels(labels, rng)
        return out.reshape(shape + ((self.dim,) if self.dim else ()))

    def sample_labels(self, n: int, rng: np.random.Generator) -> np.ndarray:
        """``n`` i.i.d. component indices drawn with the mixture weights."""
        cdf = np.cumsum(self.weights)
        cdf[-1] = 1.0
        u = rng.random(n)
        if len(cdf) > 16:
            return np.searchsorted(cdf, u, side="right").astype(np.intp)
        labels = np.zeros(n, dtype=np.intp)
        for c in cdf[:-1]:
            labels += u >= c
        return labels

    def _sample_unordered(self, n: int, rng: np.random.Generator) -> np.ndarray:
        """An i.i.d. sample of size ``n`` as a multiset, grouped by component.

        Multinomial counts, then each component fills one block: no gathers,
        so it is several times faster than :meth:`sample`. Estimators that
        only use the sample as a multiset (means, sums) may call it.
        """
        counts = rng.multinomial(n, self.weights)
        if self._kernel is None:
            parts = [np.asarray(c.sample(int(m), rng), dtype=float) for c, m in zip(self.components, counts) if m]
            return np.concatenate(parts)
        kern = self._kernel
        d = kern.d
        if d == 1:
            z = rng.standard_normal(n)
            start = 0
            for k, m in enumerate(counts):
                block = z[start : start + m]
                block *= kern.chol[k, 0, 0]
                block += kern.means[k, 0]
                start += m
            # a mixture of 1-D multivariate Gaussians has points of shape (1,), not scalars
            return z if self.dim == 0 else z[:, None]
        z = rng.standard_normal((d, n))
        out = np.empty((d, n))
        start = 0
        for k, m in enumerate(counts):
            if not m:
                continue
            zb, ob, L = z[:, start : start + m], out[:, start : start + m], kern.chol[k]
            if d <= _SMALL_D:
                # x_i = m_i + sum_{j <= i} L_ij z_j, column by column (BLAS is slow at this size).
                for i in range(d):
                    row = ob[i]
                    np.multiply(zb[0], L[i, 0], out=row)
                    for j in range(1, i + 1):
                        row += L[i, j] * zb[j]
                    row += kern.means[k, i]
            else:
                ob[...] = L @ zb + kern.means[k][:, None]
            start += m
        return out.T

    def sample_given_labels(self, labels: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        """One draw from component ``labels[i]`` for each i: shape (n,) or (n, d)."""
        n = labels.shape[0]
        if self._kernel is not None:
            kern = self._kernel
            z = rng.standard_normal((n, kern.d))
            if kern.d == 1:
                x = kern.chol[labels, 0, 0] * z[:, 0]
                x += kern.means[labels, 0]
                return x if self.dim == 0 else x[:, None]
            x = np.empty((n, kern.d))
            if kern.d <= 4:
                # Gathers of scalars per (i, j) beat a gathered (n, d, d) einsum.
                for i in range(kern.d):
                    xi = kern.means[labels, i].copy()
                    for j in range(i + 1):
                        xi += kern.chol[labels, i, j] * z[:, j]
                    x[:, i] = xi
                return x
            for k in range(kern.k):
                idx = np.flatnonzero(labels == k)
                x[idx] = kern.means[k] + z[idx] @ kern.chol[k].T
            return x
        out = np.empty((n,) if self.dim == 0 else (n, self.dim))
        for k, c in enumerate(self.components):
            mask = labels == k
            cnt = int(np.count_nonzero(mask))
            if cnt:
                out[mask] = c.sample(cnt, rng)
        return out

    def support(self) -> tuple[np.ndarray, np.ndarray]:
        """Union hull ``(low, high)`` of the components' supports (univariate),
        or ``(-inf, inf)`` per coordinate for vector Gaussians."""
        if self.dim:
            return np.full(self.dim, -np.inf), np.full(self.dim, np.inf)
        lows, highs = zip(*(c.support() for c in self.components))
        return np.asarray(np.min(lows), dtype=float), np.asarray(np.max(highs), dtype=float)

    def breakpoints(self) -> tuple[np.ndarray, ...]:
        """Every component's support ends (finite ones) and breakpoints: places
        where the mixture density may have a kink or a jump."""
        if self.dim:
            return ()
        pts: list[float] = []
        for c in self.components:
            lo, hi = c.support()
            pts.extend(float(v) for v in (lo, hi) if np.isfinite(v))
            pts.extend(float(np.asarray(b)) for b in c.breakpoints())
        return tuple(np.asarray(v) for v in sorted(set(pts)))

    # ------------------------------------------------------------ moments
    def mean_cov(self) -> tuple[np.ndarray, np.ndarray]:
        """Mean vector and covariance matrix of a Gaussian mixture.

        .. math:: m = \\sum_k w_k m_k, \\quad S = \\sum_k w_k (S_k + (m_k - m)(m_k - m)^T)
        """
        if self._kernel is None:
            raise ValueError("self: mean_cov needs Gaussian components")
        kern = self._kernel
        covs = kern.chol @ np.swapaxes(kern.chol, 1, 2)
        m = self.weights @ kern.means
        dev = kern.means - m
        s = np.einsum("k,kij->ij", self.weights, covs + dev[:, :, None] * dev[:, None, :])
        return m, s
