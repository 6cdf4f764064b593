r"""Closed forms between the Gaussian families of different covariance structure.

``LowRankMultivariateNormal`` (:math:`\Sigma = W W^\top + D`), ``MultivariateNormal``
(dense :math:`\Sigma`), ``DiagonalNormal`` (:math:`\Sigma = \operatorname{diag}(s^2)`)
and ``Independent(Normal(mu, sigma), 1)`` (the same as a diagonal normal) are
all :math:`N(m, \Sigma)`, so every pair has the Gaussian closed forms

.. math::

    KL(P \| Q) = \tfrac12 \left[\operatorname{tr}(\Sigma_Q^{-1}\Sigma_P) - d
        - \log\det(\Sigma_Q^{-1}\Sigma_P) + (m_Q - m_P)^\top \Sigma_Q^{-1} (m_Q - m_P)\right],

    H(P) = \tfrac12 \left[d (1 + \log 2\pi) + \log\det\Sigma_P\right], \qquad
    H(P, Q) = H(P) + KL(P \| Q).

They are registered here (:func:`anadiv.register_closed_form`, ``source="builtin"``) for the pairs
the engine does not derive (it pairs a vector family only with itself):
LowRank with LowRank, MultivariateNormal and DiagonalNormal (both
directions), DiagonalNormal with MultivariateNormal (both directions), the
entropy of a LowRank, and, as composite rules, ``Independent(Normal, 1)`` with
each of the three vector families.

How each term is evaluated
--------------------------
Every covariance is held in parts: ``dense`` (a MultivariateNormal's matrix),
a diagonal as a double-double pair ``(hi, lo)`` (a LowRank's ``D`` is exact;
a diagonal normal's variances ``s^2`` are the exact pair
:func:`~anadiv.numeric.linalg.two_product` ``(s, s)``), and a factor ``W``.

*Neither side dense* (LowRank, DiagonalNormal, Independent): ``O(d r^2)``,
no ``d x d`` matrix (:func:`~anadiv.numeric.linalg.lowrank_kl_core`):
``tr(Sigma_Q^-1 Sigma_P)`` by the Woodbury identity
``Sigma^-1 = D^-1 - D^-1 W C^-1 W^T D^-1`` with the ``r x r`` capacitance
``C = I + W^T D^-1 W`` factored by Cholesky, ``log det Sigma = sum log D +
log det C`` (matrix determinant lemma), and ``tr(D_Q^-1 D_P) - d - sum log
(D_P / D_Q)`` as the nonnegative atoms ``t - log1p(t)`` of ``t = (D_P - D_Q) /
D_Q`` (from the difference of the diagonals); the Mahalanobis term by
Woodbury too (:func:`~anadiv.numeric.linalg.lowrank_mahalanobis`).

*Nearly equal low-rank parts.* The Woodbury terms are of the size of
``|W|^2 / D`` while the KL may be far smaller (equal factors: they cancel
exactly). Each value comes with the sum of its terms' sizes; where the value
is below ``1e-3`` of it (``_NEAR``), the item is recomputed on the dense path
below, whose near-equal branch keeps every digit.

*One side dense* (and the recomputed items): the dense covariances and their
Cholesky factors (a validated MultivariateNormal's remembered one), then
:func:`~anadiv.numeric.linalg.kl_core_from_difference`: the sum of the
nonnegative terms of ``M = L_Q^-1 L_P`` and, where small, ``sum(e - log1p(e))``
over the eigenvalues ``e`` of ``L_Q^-1 (Sigma_P - Sigma_Q) L_Q^-T``, the
difference ``Sigma_P - Sigma_Q`` formed from the parts with exact products and
double-double sums (:func:`~anadiv.numeric.linalg.covariance_difference`), not
by subtracting the rounded dense matrices: full relative precision for
relative changes down to 1e-15 and below. ``O(d^3)``: a dense covariance needs
its factorization anyway.

Results are float64 (float32 parameters are computed in float64).

*torch tensors and JAX arrays.* Where a side holds them, both sides are made
dense ``(mean, covariance)`` in that library (on its device, differentiable)
and handed to the generated ``MultivariateNormal`` closed forms, which compute
in the arrays' own library: ``O(d^3)``, the Cholesky form of the
differentiable backends (:class:`~anadiv.numeric.backends.generic.GenericLinalg`),
results in the arrays' dtype.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable

import numpy as np

from .errors import NoClosedFormError
from .families import DiagonalNormal, LowRankMultivariateNormal, MultivariateNormal, Normal
from .independent import Independent
from .numeric import linalg
from .numeric.validation import ArrayLibrary, with_library
from .registry import register_closed_form

__all__ = ["kl_gaussian", "cross_entropy_gaussian", "entropy_lowrank"]

_LOG_2PI_E = float(np.log(2.0 * np.pi) + 1.0)
#: A structured value below this fraction of the sum of its terms' sizes is recomputed densely.
_NEAR = 1e-3


@dataclass
class _Parts:
    """One side's mean and covariance parts (see the module notes), each with its own batch axes."""

    loc: np.ndarray  # (..., d)
    dense: np.ndarray | None = None  # (..., d, d)
    diag: tuple[np.ndarray, np.ndarray] | None = None  # (..., d) twice
    factor: np.ndarray | None = None  # (..., d, r)

    @property
    def dim(self) -> int:
        return int(self.loc.shape[-1])

    @property
    def diagonal(self) -> tuple[np.ndarray, np.ndarray]:
        """``diag``, which the structured parts (no ``dense``) always have."""
        if self.diag is None:
            raise TypeError("a dense covariance has no diagonal part: take the dense path")
        return self.diag

    @property
    def batch(self) -> tuple[int, ...]:
        shapes = [self.loc.shape[:-1]]
        if self.dense is not None:
            shapes.append(self.dense.shape[:-2])
        if self.diag is not None:
            shapes.append(self.diag[0].shape[:-1])
        if self.factor is not None:
            shapes.append(self.factor.shape[:-2])
        return np.broadcast_shapes(*shapes)


def _f64(x: Any) -> np.ndarray:
    return np.asarray(x, dtype=np.float64)


def _parts(dist: Any, arg: str) -> _Parts:
    if isinstance(dist, LowRankMultivariateNormal):
        diag = _f64(dist.cov_diag)
        return _Parts(_f64(dist.loc), diag=(diag, np.zeros_like(diag)), factor=_f64(dist.cov_factor))
    if isinstance(dist, MultivariateNormal):
        # the validated covariance as is (float64): its remembered Cholesky factor is reused
        cov = dist.cov if np.asarray(dist.cov).dtype == np.float64 else _f64(dist.cov)
        return _Parts(_f64(dist.mean), dense=cov)
    if isinstance(dist, DiagonalNormal):
        mean, scale = np.broadcast_arrays(_f64(dist.mean), _f64(dist.scale))
        return _Parts(mean, diag=linalg.two_product(scale, scale))
    if isinstance(dist, Independent):
        base = dist.base
        if not isinstance(base, Normal) or dist.reinterpreted_batch_ndims != 1:
            raise NoClosedFormError(
                f"{arg}: the Gaussian closed forms take Independent(Normal(mu, sigma), 1), got {dist!r}; "
                "use anadiv.kl_estimate(p, q)"
            )
        mu, sigma = np.broadcast_arrays(_f64(base.mu), _f64(base.sigma))
        mu, sigma = (np.broadcast_to(v, dist.batch_shape + dist.event_shape) for v in (mu, sigma))
        return _Parts(mu, diag=linalg.two_product(sigma, sigma))
    raise TypeError(f"{arg}: not a Gaussian distribution: {dist!r}")  # pragma: no cover - dispatch sends Gaussians


def _check(p: _Parts, q: _Parts) -> tuple[int, ...]:
    if p.dim != q.dim:
        raise ValueError(f"q: dimension {q.dim} differs from p's dimension {p.dim}")
    try:
        return np.broadcast_shapes(p.batch, q.batch)
    except ValueError:
        raise ValueError(f"q: batch shape {q.batch} does not broadcast with p's batch shape {p.batch}") from None


# ------------------------------------------------------------ dense path
def _dense_cov(s: _Parts) -> np.ndarray:
    if s.dense is not None:
        return s.dense
    d = s.dim
    hi = s.diag[0] if s.diag is not None else np.zeros(d)
    if s.factor is None:
        cov = hi[..., :, None] * np.eye(d)
    else:
        cov = s.factor @ np.swapaxes(s.factor, -1, -2)
        cov = np.array(np.broadcast_to(cov, np.broadcast_shapes(cov.shape[:-2], hi.shape[:-1]) + (d, d)))
        idx = np.arange(d)
        cov[..., idx, idx] += hi
    return cov


def _chol(s: _Parts, name: str) -> np.ndarray:
    if s.factor is None and s.dense is None:
        return np.sqrt(s.diagonal[0])[..., :, None] * np.eye(s.dim)  # diagonal: no factorization
    return linalg.cholesky(_dense_cov(s), name)


def _select(s: _Parts, batch: tuple[int, ...], mask: Any) -> _Parts:
    """``s`` broadcast to ``batch`` and restricted to ``mask`` (a leading axis of items)."""

    def take(x: np.ndarray, event: int) -> np.ndarray:
        return np.broadcast_to(x, batch + x.shape[x.ndim - event :])[mask]

    def take_part(x: np.ndarray | None, event: int) -> np.ndarray | None:
        return None if x is None else take(x, event)

    diag = None if s.diag is None else (take(s.diag[0], 1), take(s.diag[1], 1))
    return _Parts(take(s.loc, 1), take_part(s.dense, 2), diag, take_part(s.factor, 2))


def _difference(p: _Parts, q: _Parts, batch: tuple[int, ...]) -> Callable[[np.ndarray, np.ndarray], np.ndarray]:
    def difference(near: np.ndarray, k: np.ndarray) -> np.ndarray:
        a, b = _select(p, batch, near), _select(q, batch, near)
        return linalg.covariance_difference((a.dense, a.diag, a.factor), (b.dense, b.diag, b.factor), k)

    return difference


def _dense_kl2(p: _Parts, q: _Parts) -> np.ndarray:
    """``2 KL`` on the dense path (module notes), over the broadcast batch of ``p`` and ``q``."""
    batch = np.broadcast_shapes(p.batch, q.batch)
    chol_p, chol_q = _chol(p, "cov_1"), _chol(q, "cov_2")
    core = linalg.kl_core_from_difference(chol_p, chol_q, _difference(p, q, batch))
    return core + linalg.mahalanobis(chol_q, p.loc - q.loc)


# ------------------------------------------------------- structured path
def _capacitance(s: _Parts) -> np.ndarray | None:
    return None if s.factor is None else linalg.capacitance_cholesky(s.factor, s.diagonal[0])


def _structured_kl2(p: _Parts, q: _Parts, batch: tuple[int, ...]) -> np.ndarray:
    """``2 KL`` in ``O(d r^2)``, the items whose terms cancel recomputed densely."""
    cap_p, cap_q = _capacitance(p), _capacitance(q)
    core, core_scale = linalg.lowrank_kl_core(p.diagonal, p.factor, cap_p, q.diagonal, q.factor, cap_q)
    maha, maha_scale = linalg.lowrank_mahalanobis(q.diagonal[0], q.factor, cap_q, p.loc - q.loc)
    value = np.broadcast_to(core + maha, batch)
    redo = np.broadcast_to((core < _NEAR * core_scale) | (maha < _NEAR * maha_scale), batch)
    if np.any(redo):
        value = np.array(value, copy=True)
        value[redo] = _dense_kl2(_select(p, batch, redo), _select(q, batch, redo))
    return value


def _kl2(p: _Parts, q: _Parts, batch: tuple[int, ...]) -> np.ndarray:
    if p.dense is None and q.dense is None:
        return _structured_kl2(p, q, batch)
    return np.broadcast_to(_dense_kl2(p, q), batch)


def _entropy(s: _Parts) -> np.ndarray:
    if s.dense is not None:
        logdet = linalg.logdet(linalg.cholesky(s.dense, "cov"))
    else:
        logdet = linalg.lowrank_logdet(s.factor, s.diagonal[0], _capacitance(s))
    return 0.5 * (s.dim * _LOG_2PI_E + logdet)


def _finish(value: Any) -> Any:
    return float(value) if np.ndim(value) == 0 else np.asarray(value)


# ---------------------------------------------- torch tensors, JAX arrays
def _library(*dists: Any) -> ArrayLibrary | None:
    """The array library (torch, JAX) some of ``dists`` hold, or ``None`` (numpy)."""
    for dist in dists:
        family = dist.base if isinstance(dist, Independent) else dist
        if family._library is not None:
            return family._library
    return None


def _dense(dist: Any, lib: ArrayLibrary, arg: str) -> tuple[Any, Any]:
    """``(mean, covariance)`` of a Gaussian, formed with the operations of its parameters' library."""
    if isinstance(dist, MultivariateNormal):
        return dist.mean, dist.cov
    if isinstance(dist, LowRankMultivariateNormal):
        w = dist.cov_factor
        return dist.loc, w @ w.swapaxes(-1, -2) + _diagonal_matrix(dist.cov_diag, lib, w)
    if isinstance(dist, DiagonalNormal):
        mean, scale = dist.mean, dist.scale
    elif isinstance(dist, Independent) and isinstance(dist.base, Normal) and dist.reinterpreted_batch_ndims == 1:
        mean, scale = dist.base.mu, dist.base.sigma
    else:
        _parts(dist, arg)  # raises what the numpy path raises for it
        raise TypeError(f"{arg}: not a Gaussian distribution: {dist!r}")  # pragma: no cover
    ref = scale if isinstance(mean, float) else mean  # one of them is an array of the library
    # both to the batch + event shape (a Python float or a shorter array broadcast by adding zeros)
    zeros = lib.like(np.zeros(tuple(dist.batch_shape) + (int(dist.dim),), dtype=_np_dtype(ref)), ref)
    mean, scale = mean + zeros, scale + zeros
    return mean, _diagonal_matrix(scale * scale, lib, ref)


def _np_dtype(x: Any) -> np.dtype[Any]:
    """The numpy dtype of a torch or JAX array's dtype (``torch.float32`` -> ``float32``)."""
    return np.dtype(str(x.dtype).rpartition(".")[2])


def _diagonal_matrix(diag: Any, lib: ArrayLibrary, ref: Any) -> Any:
    return diag[..., :, None] * lib.like(np.eye(diag.shape[-1], dtype=_np_dtype(diag)), ref)


def _through_dense(kind: str, lib: ArrayLibrary, *dists: Any) -> Any:
    """The generated MultivariateNormal closed form of ``kind`` on the dense forms of ``dists``."""
    from .api import _raw  # deferred: api imports the registry this module fills

    args: tuple[Any, ...] = ()
    for dist, arg in zip(dists, ("p", "q")):
        args += _dense(dist, lib, arg)
    if len(dists) == 2 and dists[0].dim != dists[1].dim:
        raise ValueError(f"q: dimension {dists[1].dim} differs from p's dimension {dists[0].dim}")
    key = ("multivariate_normal",) * len(dists)
    return _raw(kind, key if len(key) == 2 else key[0])(*with_library(args, lib))


# ------------------------------------------------------------------ rules
def kl_gaussian(p: Any, q: Any) -> Any:
    r""":math:`KL(P \| Q)` between two Gaussians of any of the structures above (module notes).

    .. math:: \tfrac12 \left[\operatorname{tr}(\Sigma_Q^{-1}\Sigma_P) - d - \log\det(\Sigma_Q^{-1}\Sigma_P) + (m_Q - m_P)^\top \Sigma_Q^{-1} (m_Q - m_P)\right]

    Raises
    ------
    ValueError
        Naming ``q`` when the dimensions differ or the batch shapes do not broadcast.
    NoClosedFormError
        For an ``Independent`` whose base is not a ``Normal`` with one reinterpreted axis.

    Examples
    --------
    >>> import numpy as np
    >>> import anadiv
    >>> from anadiv import DiagonalNormal, LowRankMultivariateNormal, MultivariateNormal
    >>> p = LowRankMultivariateNormal(np.zeros(2), np.array([[1.0], [0.5]]), np.ones(2))
    >>> q = DiagonalNormal(np.ones(2), 2.0)
    >>> round(anadiv.kl(p, q), 12) == round(anadiv.kl(p.to_multivariate(), q.to_multivariate()), 12)
    True
    >>> round(anadiv.kl(q, MultivariateNormal(np.zeros(2), np.eye(2))), 6)
    2.613706
    """
    lib = _library(p, q)
    if lib is not None:
        return _through_dense("kl", lib, p, q)
    a, b = _parts(p, "p"), _parts(q, "q")
    batch = _check(a, b)
    return _finish(0.5 * _kl2(a, b, batch))


def cross_entropy_gaussian(p: Any, q: Any) -> Any:
    r""":math:`H(P, Q) = H(P) + KL(P \| Q)`, :math:`H(P) = \tfrac12 [d(1 + \log 2\pi) + \log\det\Sigma_P]`.

    .. math:: \tfrac12 \left[d \log 2\pi + \log\det\Sigma_Q + \operatorname{tr}(\Sigma_Q^{-1}\Sigma_P) + (m_Q - m_P)^\top \Sigma_Q^{-1} (m_Q - m_P)\right]
    """
    lib = _library(p, q)
    if lib is not None:
        return _through_dense("cross_entropy", lib, p, q)
    a, b = _parts(p, "p"), _parts(q, "q")
    batch = _check(a, b)
    return _finish(_entropy(a) + 0.5 * _kl2(a, b, batch))


def entropy_lowrank(p: LowRankMultivariateNormal) -> Any:
    r"""The entropy of a LowRankMultivariateNormal (the matrix determinant lemma).

    .. math:: \tfrac12 \left[d(1 + \log 2\pi) + \sum_i \log D_i + \log\det(I_r + W^\top D^{-1} W)\right]

    Examples
    --------
    >>> import numpy as np
    >>> import anadiv
    >>> p = anadiv.LowRankMultivariateNormal(np.zeros(3), np.ones((3, 1)), np.ones(3))
    >>> round(anadiv.entropy(p), 12) == round(anadiv.entropy(p.to_multivariate()), 12)
    True
    """
    lib = _library(p)
    if lib is not None:
        return _through_dense("entropy", lib, p)
    return _finish(_entropy(_parts(p, "p")))


_VECTOR_PAIRS = [
    (LowRankMultivariateNormal, LowRankMultivariateNormal),
    (LowRankMultivariateNormal, MultivariateNormal),
    (MultivariateNormal, LowRankMultivariateNormal),
    (LowRankMultivariateNormal, DiagonalNormal),
    (DiagonalNormal, LowRankMultivariateNormal),
    (DiagonalNormal, MultivariateNormal),
    (MultivariateNormal, DiagonalNormal),
]
_INDEPENDENT_PAIRS = [
    pair
    for other in (LowRankMultivariateNormal, MultivariateNormal, DiagonalNormal)
    for pair in ((Independent, other), (other, Independent))
]

for _p, _q in _VECTOR_PAIRS:
    register_closed_form("kl", _p, _q, source="builtin")(kl_gaussian)
    register_closed_form("cross_entropy", _p, _q, source="builtin")(cross_entropy_gaussian)
for _pi, _qi in _INDEPENDENT_PAIRS:
    register_closed_form("kl", _pi, _qi, source="composite")(kl_gaussian)
    register_closed_form("cross_entropy", _pi, _qi, source="composite")(cross_entropy_gaussian)
register_closed_form("entropy", LowRankMultivariateNormal, source="builtin")(entropy_lowrank)
