r"""Closed forms of the Wishart family: KL, cross-entropy and entropy.

The engine derives these closed forms (``anadiv.symbolic.derive_kl(Wishart,
Wishart)``, :mod:`anadiv.symbolic.wishart`: the exponential-family route, from
the natural parameters, the sufficient statistics and the log-normalizer);
the rules here, registered with ``source="builtin"``, are the stable
evaluations of the derived forms, and the registry calls them (the code
generator prints no Wishart function). ``tests/test_wishart_derivation.py``
checks that the two agree. The derivation is short.
For :math:`X \sim W_d(n, V)` (``d x d``, density in
:class:`~anadiv.Wishart`) the log-density is linear in :math:`\log\det X`
and :math:`X`, and

.. math::

    E[X] = nV, \qquad E[\log\det X] = \psi_d(n/2) + d\log 2 + \log\det V,

(:math:`\psi_d(a) = \sum_{j<d}\psi(a - j/2)`; the Bartlett decomposition
makes :math:`\det X / \det V` a product of independent
:math:`\chi^2_{n-j}`, whose log-means are :math:`\psi((n-j)/2) + \log 2`), so
with :math:`a_j = (n - j)/2` and :math:`\log\Gamma_d(n/2) = \tfrac{d(d-1)}4\log\pi
+ \sum_j \log\Gamma(a_j)`:

.. math::

    H(P) &= \tfrac{d+1}2\log\det V + \tfrac{d(d+1)}2\log 2 + \tfrac{d(d-1)}4(\log\pi + 1)
            + \sum_{j<d}\left[\log\Gamma(a_j) + (c_j - a_j)\psi(a_j) + a_j\right],
            \quad c_j = \tfrac{d+1-j}2,

    KL(P_1\|P_2) &= \tfrac{n_1}2\left[\operatorname{tr}(V_2^{-1}V_1) - d\right]
            + \tfrac{n_2}2\log\frac{\det V_2}{\det V_1}
            + \log\Gamma_d(\tfrac{n_2}2) - \log\Gamma_d(\tfrac{n_1}2)
            + \tfrac{n_1 - n_2}2\,\psi_d(\tfrac{n_1}2),

    H(P_1, P_2) &= H(P_1) + KL(P_1\|P_2).

How each is evaluated
---------------------
*KL*, with :math:`\delta = (n_2 - n_1)/2`: the sum of nonnegative
:math:`\tfrac{n_1}2[\operatorname{tr}(V_2^{-1}V_1) - d - \log\det(V_2^{-1}V_1)]`
(:func:`~anadiv.numeric.linalg.kl_core`, through Cholesky factors),
nonnegative :math:`\sum_j B_{\log\Gamma}(a_{1j}, a_{1j} + \delta)`
(:func:`~anadiv.numeric.stable.lgamma_bregman_d`) and the signed
:math:`\delta\log\det(V_2 V_1^{-1})` (from the ratios of the factors'
diagonals). Where the signed term cancels the others by more than a factor
16, or the scales are nearly equal (the log-determinant ratio is then a
difference of rounded numbers), it is recomputed from the eigenvalues
:math:`1 + e_i` of :math:`V_2^{-1}V_1`, :math:`e_i` those of the whitened
difference :math:`L_2^{-1}(V_1 - V_2)L_2^{-\top}`
(:func:`~anadiv.numeric.linalg.whitened_difference_eigenvalues`): pairing
eigenvalue :math:`i` with :math:`a_{1i}` (and :math:`n_1/2 = a_{1i} + i/2`)
writes the KL as a sum of nonnegative terms,

.. math::

    KL = \sum_{i<d}\left[KL\big(\mathrm{Gamma}(a_{1i}, 1)\,\|\,\mathrm{Gamma}(a_{1i} + \delta, 1 + e_i)\big)
         + \tfrac i2\,(e_i - \log(1 + e_i))\right],

each Gamma KL by :func:`~anadiv.numeric.stable.gamma_bregman_step`
(Stirling's series regroups its cancelling terms for shapes of 16 and more).
*Entropy*: the terms above, each of :math:`\log\Gamma(a) + (c - a)\psi(a) + a`
by :func:`~anadiv.numeric.stable.lgamma_mpsi` (no :math:`a\log a` cancellation).
*Cross-entropy*: the entropy plus the KL.

Every value comes with the sum of its terms' sizes; where that exceeds the
value 64-fold (an entropy near zero, a cancellation the regrouping does not
remove), or the float path gives NaN, the item is evaluated exactly with
mpmath (:func:`anadiv.numeric.refine.exact_value`, the result check's exact
path). Results are float64 (float32 parameters are computed in float64).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .families import Wishart
from .numeric import linalg, refine, stable
from .registry import register_closed_form

__all__ = ["kl_wishart", "cross_entropy_wishart", "entropy_wishart"]

_LOG_2 = float(np.log(2.0))
_LOG_PI = float(np.log(np.pi))
#: The KL's signed term may cancel the nonnegative ones by this factor before the eigenvalue path.
_CANCEL_KL = 16.0
#: A value below 1/_CANCEL_EXACT of the sum of its terms' sizes is evaluated exactly.
_CANCEL_EXACT = 64.0
#: kl_core below this (per dimension): the scales are nearly equal, take the eigenvalue path.
_NEAR = 1e-3
#: The eigenvalue path's error bound may be this fraction of its value before the exact path.
_TRUST = 1e-14


def _side(dist: Any, arg: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    if not isinstance(dist, Wishart):
        raise TypeError(f"{arg}: expected a Wishart, got {type(dist).__name__}")
    if dist._library is not None:  # the stable evaluation below is numpy's (lgamma Bregman terms, eigenvalues)
        raise TypeError(
            f"{arg}: the Wishart closed forms compute with numpy; this Wishart holds {dist._library.name} arrays: "
            "build it from numpy values"
        )
    scale = dist.scale if np.asarray(dist.scale).dtype == np.float64 else np.asarray(dist.scale, dtype=np.float64)
    return np.asarray(dist.df, dtype=np.float64), scale, linalg.cholesky(scale, "scale")


def _batch(p: tuple[np.ndarray, ...], q: tuple[np.ndarray, ...]) -> tuple[int, ...]:
    if p[1].shape[-1] != q[1].shape[-1]:
        raise ValueError(f"q: dimension {q[1].shape[-1]} differs from p's dimension {p[1].shape[-1]}")
    pb = np.broadcast_shapes(p[0].shape, p[1].shape[:-2])
    qb = np.broadcast_shapes(q[0].shape, q[1].shape[:-2])
    try:
        return np.broadcast_shapes(pb, qb)
    except ValueError:
        raise ValueError(f"q: batch shape {qb} does not broadcast with p's batch shape {pb}") from None


def _shapes(n: np.ndarray, d: int) -> np.ndarray:
    """``a_j = (n - j) / 2`` for ``j < d``, on a last axis."""
    return 0.5 * (n[..., None] - np.arange(d, dtype=np.float64))


def _log_ratio_det(chol_a: np.ndarray, chol_b: np.ndarray) -> np.ndarray:
    """``log det A - log det B`` from the ratios of the factors' diagonals (no difference of large logs)."""
    a = np.diagonal(chol_a, axis1=-2, axis2=-1)
    b = np.diagonal(chol_b, axis1=-2, axis2=-1)
    with np.errstate(over="ignore", under="ignore", divide="ignore"):
        r = a / b
        logs = np.where((r > 0) & np.isfinite(r), np.log(r), np.log(a) - np.log(b))
    return 2.0 * np.sum(logs, axis=-1)


# ------------------------------------------------------------- float paths
def _entropy_terms(n: np.ndarray, chol: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The entropy and the sum of its terms' sizes."""
    d = chol.shape[-1]
    a = _shapes(n, d)
    c = 0.5 * (d + 1.0 - np.arange(d, dtype=np.float64))
    gam = np.asarray(stable.lgamma_mpsi(a, np.broadcast_to(c, a.shape)))
    det = 0.5 * (d + 1.0) * linalg.logdet(chol)
    const = 0.5 * d * (d + 1.0) * _LOG_2 + 0.25 * d * (d - 1.0) * (_LOG_PI + 1.0)
    value = det + const + np.sum(gam, axis=-1)
    size = np.abs(det) + const + np.sum(np.abs(gam), axis=-1)
    return value, size


def _kl_generic(n1: np.ndarray, v1: np.ndarray, l1: np.ndarray, n2: np.ndarray, v2: np.ndarray,
                l2: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The KL as three terms (module notes), the sum of their sizes, and the core."""
    d = l1.shape[-1]
    core = linalg.kl_core(v1, l1, v2, l2)
    delta = 0.5 * (n2 - n1)
    # a_j and b_j each from its own df: a_j + delta would round a tiny b_j (df near d - 1) away
    a, b = np.broadcast_arrays(_shapes(n1, d), _shapes(n2, d))
    bregman = np.sum(np.asarray(stable.lgamma_bregman(a, b)), axis=-1)
    with np.errstate(invalid="ignore", over="ignore"):
        cross = delta * _log_ratio_det(l2, l1)
        nonneg = 0.5 * n1 * core + bregman
        return nonneg + cross, nonneg + np.abs(cross), core


def _kl_eigen(n1: np.ndarray, v1: np.ndarray, n2: np.ndarray, v2: np.ndarray, l2: np.ndarray) -> np.ndarray:
    """The KL as the sum of nonnegative per-eigenvalue terms (module notes); NaN where that is inaccurate.

    Each term's error is bounded from the eigenvalues' rounding ``de`` (relative to
    the largest ``|e|``) and the shapes' rounding, through the term's first and
    second derivatives in the rate step; where the bound exceeds ``_TRUST`` of the
    value (huge degrees of freedom with matched means: the KL is then a tiny
    remainder of terms of the size of ``df``) the item is left to the exact path.
    """
    d = l2.shape[-1]
    e = linalg.whitened_difference_eigenvalues(v1, v2, l2)
    a, b = np.broadcast_arrays(_shapes(n1, d), _shapes(n2, d))
    eps = np.finfo(np.float64).eps
    with np.errstate(invalid="ignore", divide="ignore", over="ignore"):
        log1pe = np.log1p(e)
        atoms = np.where(e >= -0.5, -np.asarray(stable.log1pmx(e)), e - log1pe)
        terms = np.asarray(stable.gamma_bregman_step(a, b, e))
        terms = terms + 0.5 * np.arange(d, dtype=np.float64) * atoms
        value = np.sum(terms, axis=-1)
        de = 16.0 * d * eps * (1.0 + np.max(np.abs(e), axis=-1, keepdims=True))
        ratio = (b - a * (1.0 + e)) / (a * (1.0 + e))  # the mean ratio minus 1
        u = de / (1.0 + e) + eps * (np.abs(b - a) + a * np.abs(e)) / (a * (1.0 + e))
        bound = np.sum(b * (np.abs(ratio) * u + u * u), axis=-1)
    # 1 + e far below 1 carries the absolute rounding of the largest |e|: exact path too
    ok = np.all(e > -0.5, axis=-1) & (bound <= _TRUST * value)
    return np.where(ok, value, np.nan)


# ------------------------------------------------------------- exact path
def _mp_parts(params: tuple[Any, ...], sides: int) -> tuple[list[tuple[Any, Any, Any]], int]:
    """``(n, V, log det V)`` per side from the flat mpmath parameters ``n, V.ravel()`` of each side."""
    import mpmath

    d = int(round(((len(params) - sides) / sides) ** 0.5))
    out = []
    for s in range(sides):
        chunk = params[s * (1 + d * d): (s + 1) * (1 + d * d)]
        v = mpmath.matrix(d, d)
        for i in range(d):
            for j in range(d):
                v[i, j] = chunk[1 + i * d + j]
        chol = mpmath.cholesky(v)
        out.append((chunk[0], v, 2 * mpmath.fsum(mpmath.log(chol[i, i]) for i in range(d))))
    return out, d


def _mp_lmvgamma(a: Any, d: int) -> Any:
    import mpmath

    return d * (d - 1) * mpmath.log(mpmath.pi) / 4 + mpmath.fsum(mpmath.loggamma(a - mpmath.mpf(j) / 2) for j in range(d))


def _mp_psi(a: Any, d: int) -> Any:
    import mpmath

    return mpmath.fsum(mpmath.digamma(a - mpmath.mpf(j) / 2) for j in range(d))


def _mp_entropy(n: Any, logdet: Any, d: int) -> Any:
    import mpmath

    return ((d + 1) * logdet / 2 + d * (d + 1) * mpmath.log(2) / 2 + _mp_lmvgamma(n / 2, d)
            - (n - d - 1) / 2 * _mp_psi(n / 2, d) + n * d / mpmath.mpf(2))


def _mp_kl(sides: list[tuple[Any, Any, Any]], d: int) -> Any:
    import mpmath

    (n1, v1, ld1), (n2, v2, ld2) = sides
    trace = mpmath.fsum(mpmath.cholesky_solve(v2, v1[:, k])[k] for k in range(d))
    return (n1 / 2 * (trace - d) + n2 / 2 * (ld2 - ld1) + _mp_lmvgamma(n2 / 2, d) - _mp_lmvgamma(n1 / 2, d)
            + (n1 - n2) / 2 * _mp_psi(n1 / 2, d))


def _exact_entropy(_mp: Any, *params: Any) -> Any:
    sides, d = _mp_parts(params, 1)
    n, _, logdet = sides[0]
    return _mp_entropy(n, logdet, d)


def _exact_kl(_mp: Any, *params: Any) -> Any:
    sides, d = _mp_parts(params, 2)
    return _mp_kl(sides, d)


def _exact_cross_entropy(_mp: Any, *params: Any) -> Any:
    sides, d = _mp_parts(params, 2)
    n1, _, ld1 = sides[0]
    return _mp_entropy(n1, ld1, d) + _mp_kl(sides, d)


def _redo_exact(value: np.ndarray, redo: np.ndarray, kind: str, exact: Any,
                arrays: list[tuple[np.ndarray, int]], batch: tuple[int, ...]) -> np.ndarray:
    """``value`` with its ``redo`` items evaluated exactly from the parameters (``(array, event_ndim)`` each)."""
    if not np.any(redo):
        return value
    value = np.array(np.broadcast_to(value, batch), dtype=np.float64)
    full = [np.broadcast_to(a, batch + a.shape[a.ndim - k:]) for a, k in arrays]
    where = np.broadcast_to(redo, batch)
    for idx in zip(*np.nonzero(where)) if batch else [()]:
        params = [float(x) for a in full for x in np.ravel(a[idx])]
        value[idx] = refine.exact_value(exact, params, kind)
    return value


# ------------------------------------------------------------------ rules
def _finish(value: Any) -> Any:
    return float(value) if np.ndim(value) == 0 else np.asarray(value)


def _kl(p: tuple[np.ndarray, ...], q: tuple[np.ndarray, ...], batch: tuple[int, ...]) -> np.ndarray:
    (n1, v1, l1), (n2, v2, l2) = p, q
    d = l1.shape[-1]
    value, size, core = _kl_generic(n1, v1, l1, n2, v2, l2)
    value = np.array(np.broadcast_to(value, batch), dtype=np.float64)
    eigen = np.broadcast_to(~(size <= _CANCEL_KL * value) | (core < _NEAR * d), batch)
    if np.any(eigen):
        full = lambda x, k: np.broadcast_to(x, batch + x.shape[x.ndim - k:])[eigen]  # noqa: E731
        value[eigen] = _kl_eigen(full(n1, 0), full(v1, 2), full(n2, 0), full(v2, 2), full(l2, 2))
    return _redo_exact(value, np.isnan(value), "kl", _exact_kl, [(n1, 0), (v1, 2), (n2, 0), (v2, 2)], batch)


def kl_wishart(p: Wishart, q: Wishart) -> Any:
    r""":math:`KL(W_d(n_1, V_1) \,\|\, W_d(n_2, V_2))` (module notes for the evaluation).

    .. math:: \tfrac{n_1}2[\operatorname{tr}(V_2^{-1}V_1) - d] + \tfrac{n_2}2\log\frac{\det V_2}{\det V_1}
              + \log\Gamma_d(\tfrac{n_2}2) - \log\Gamma_d(\tfrac{n_1}2) + \tfrac{n_1 - n_2}2\psi_d(\tfrac{n_1}2)

    Raises
    ------
    ValueError
        Naming ``q`` when the dimensions differ or the batch shapes do not broadcast.

    Examples
    --------
    >>> import numpy as np
    >>> import anadiv
    >>> p, q = anadiv.Wishart(4.0, np.eye(2)), anadiv.Wishart(5.0, 2.0 * np.eye(2))
    >>> round(anadiv.kl(p, q), 12)
    1.641563856369
    >>> anadiv.kl(p, p)
    0.0
    """
    a, b = _side(p, "p"), _side(q, "q")
    return _finish(_kl(a, b, _batch(a, b)))


def entropy_wishart(p: Wishart) -> Any:
    r""":math:`H(W_d(n, V))` (module notes for the evaluation).

    .. math:: \tfrac{d+1}2\log\det V + \tfrac{d(d+1)}2\log 2 + \log\Gamma_d(\tfrac n2)
              - \tfrac{n - d - 1}2\psi_d(\tfrac n2) + \tfrac{nd}2

    Examples
    --------
    >>> import numpy as np
    >>> import anadiv
    >>> round(anadiv.entropy(anadiv.Wishart(4.0, np.eye(2))), 12)
    6.301387092431
    """
    n, v, chol = _side(p, "p")
    batch = np.broadcast_shapes(n.shape, v.shape[:-2])
    value, size = _entropy_terms(n, chol)
    redo = ~(size <= _CANCEL_EXACT * np.abs(value))
    return _finish(_redo_exact(value, redo, "entropy", _exact_entropy, [(n, 0), (v, 2)], batch))


def cross_entropy_wishart(p: Wishart, q: Wishart) -> Any:
    r""":math:`H(P, Q) = -E_P[\log q] = H(P) + KL(P \| Q)` between Wisharts.

    .. math:: -\tfrac{n_2 - d - 1}2\left[\psi_d(\tfrac{n_1}2) + d\log 2 + \log\det V_1\right]
              + \tfrac{n_1}2\operatorname{tr}(V_2^{-1}V_1) + \tfrac{n_2 d}2\log 2
              + \tfrac{n_2}2\log\det V_2 + \log\Gamma_d(\tfrac{n_2}2)

    Examples
    --------
    >>> import numpy as np
    >>> import anadiv
    >>> p, q = anadiv.Wishart(4.0, np.eye(2)), anadiv.Wishart(5.0, 2.0 * np.eye(2))
    >>> round(anadiv.cross_entropy(p, q), 12)
    7.9429509488
    """
    a, b = _side(p, "p"), _side(q, "q")
    batch = _batch(a, b)
    h, size = _entropy_terms(a[0], a[2])
    kl = _kl(a, b, batch)
    value = h + kl
    redo = ~(size + kl <= _CANCEL_EXACT * np.abs(value))
    arrays = [(a[0], 0), (a[1], 2), (b[0], 0), (b[1], 2)]
    return _finish(_redo_exact(value, redo, "cross_entropy", _exact_cross_entropy, arrays, batch))


register_closed_form("kl", Wishart, Wishart, source="builtin")(kl_wishart)
register_closed_form("cross_entropy", Wishart, Wishart, source="builtin")(cross_entropy_wishart)
register_closed_form("entropy", Wishart, source="builtin")(entropy_wishart)
