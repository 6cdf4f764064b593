r"""The Renyi divergence between Gaussians of any covariance structure.

For :math:`P = N(m_1, \Sigma_1)`, :math:`Q = N(m_2, \Sigma_2)` in :math:`d` dimensions
(Gil, Alajaji & Linder 2013), with :math:`\Sigma_\alpha = \alpha\Sigma_2 + (1 - \alpha)\Sigma_1`,

.. math::

    D_\alpha(P \| Q) = \frac{\alpha}{2} (m_1 - m_2)^\top \Sigma_\alpha^{-1} (m_1 - m_2)
        - \frac{1}{2(\alpha - 1)} \log\frac{|\Sigma_\alpha|}{|\Sigma_1|^{1-\alpha} |\Sigma_2|^{\alpha}},

finite where :math:`\Sigma_\alpha` is positive definite (always for :math:`\alpha < 1`).

How it is evaluated
-------------------
Whitened by the Cholesky factor :math:`L` of :math:`\Sigma_2`, with the eigenvalues
:math:`e_i` of :math:`L^{-1}(\Sigma_1 - \Sigma_2)L^{-\top}` (eigenvectors :math:`V`),
:math:`z = V^\top L^{-1}(m_1 - m_2)` and :math:`c = 1 - \alpha`, the divergence is a sum over
independent coordinates,

.. math::

    D_\alpha = \sum_i \frac{\alpha z_i^2}{2 (1 + c e_i)}
        + \frac{\operatorname{log1pmx}(c e_i) - c \operatorname{log1pmx}(e_i)}{2c},
    \qquad \operatorname{log1pmx}(t) = \log(1 + t) - t,

where the terms linear in :math:`e_i` cancelled symbolically: near :math:`\Sigma_1 = \Sigma_2`
each term is of second order and computed as such (no difference of log-determinants).
The difference :math:`\Sigma_1 - \Sigma_2` is formed from the covariances' parts with exact
products and double-double sums (:func:`~anadiv.numeric.linalg.covariance_difference`), so
relative changes of 1e-12 keep their digits. :math:`\Sigma_\alpha` not positive definite
(:math:`1 + c e_i \le 0`) gives ``inf``. Both sides diagonal (``DiagonalNormal``,
``Independent(Normal, 1)``): the sum of the univariate closed forms, coordinate by
coordinate. The order 1 is the KL divergence (``anadiv.renyi`` routes it there).

Results are float64, over the broadcast batch of the two distributions.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .families import DiagonalNormal, LowRankMultivariateNormal, MultivariateNormal
from .gaussian_pairs import _check, _chol, _difference, _finish, _parts, _Parts
from .independent import Independent
from .numeric import linalg
from .numeric.stable import log1pmx
from .registry import register_closed_form

__all__ = ["renyi_gaussian", "renyi_independent"]


def _diagonal(s: _Parts) -> bool:
    return s.dense is None and s.factor is None


def _diagonal_renyi(p: _Parts, q: _Parts, alpha: float) -> np.ndarray:
    """Both covariances diagonal: the univariate closed forms summed over the coordinates."""
    from ._generated.normal import renyi_normal_normal

    sigma_p, sigma_q = np.sqrt(p.diagonal[0] + p.diagonal[1]), np.sqrt(q.diagonal[0] + q.diagonal[1])
    return np.sum(renyi_normal_normal(p.loc, sigma_p, q.loc, sigma_q, alpha), axis=-1)


def _dense_renyi(p: _Parts, q: _Parts, batch: tuple[int, ...], alpha: float) -> np.ndarray:
    """The whitened eigenvalue form of the module notes, over the broadcast batch."""
    d = p.dim
    chol_q = np.broadcast_to(_chol(q, "cov_2"), batch + (d, d))
    _chol(p, "cov_1")  # P's covariance must be positive definite too (message naming it)
    everything = np.ones(batch, dtype=bool)
    diff = _difference(p, q, batch)(everything, np.zeros(int(np.prod(batch, dtype=int)), dtype=int))
    diff = diff.reshape(batch + (d, d))
    half = linalg.solve_lower(chol_q, diff)
    whitened = linalg.solve_lower(chol_q, np.swapaxes(half, -1, -2))
    e, v = np.linalg.eigh((whitened + np.swapaxes(whitened, -1, -2)) / 2)
    delta = linalg.solve_lower(chol_q, np.broadcast_to(p.loc - q.loc, batch + (d,))[..., None])
    z = (np.swapaxes(v, -1, -2) @ delta)[..., 0]
    c = 1.0 - alpha
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        shrink = 1.0 + c * e
        terms = alpha * z * z / (2.0 * shrink) + (np.asarray(log1pmx(c * e)) - c * np.asarray(log1pmx(e))) / (2.0 * c)
        value = np.sum(terms, axis=-1)
    return np.where(np.all(shrink > 0, axis=-1), np.maximum(value, 0.0), np.inf)


def renyi_gaussian(p: Any, q: Any, alpha: float) -> Any:
    r""":math:`D_\alpha(P \| Q)` between two Gaussians of the structures above (module notes).

    Examples
    --------
    >>> import numpy as np
    >>> import anadiv
    >>> p = anadiv.MultivariateNormal(np.zeros(2), np.eye(2))
    >>> q = anadiv.MultivariateNormal(np.array([1.0, 0.0]), np.eye(2))
    >>> anadiv.renyi(p, q, 2.0)  # alpha |m1 - m2|^2 / 2 for equal covariances
    1.0
    >>> float(anadiv.renyi(p, anadiv.DiagonalNormal(np.zeros(2), np.full(2, 1.0)), 0.5))
    0.0
    """
    if alpha == 1.0:
        from .api import kl

        return kl(p, q)
    a, b = _parts(p, "p"), _parts(q, "q")
    batch = _check(a, b)
    if _diagonal(a) and _diagonal(b):
        return _finish(np.broadcast_to(_diagonal_renyi(a, b, alpha), batch))
    return _finish(_dense_renyi(a, b, batch, alpha))


def renyi_independent(p: Independent, q: Independent, alpha: float) -> Any:
    r""":math:`D_\alpha(P \| Q) = \sum_i D_\alpha(P_i \| Q_i)` over the event axes (a product of independent coordinates)."""
    from .divergences import closed_form

    if p.event_shape != q.event_shape:
        raise ValueError(f"q: event shape {q.event_shape} differs from p's event shape {p.event_shape}")
    return p._sum(closed_form("renyi", p.base, q.base, alpha=alpha))


_VECTOR = (MultivariateNormal, DiagonalNormal, LowRankMultivariateNormal)
for _p in _VECTOR:
    for _q in _VECTOR:
        register_closed_form("renyi", _p, _q, status="conditional", source="builtin")(renyi_gaussian)
    register_closed_form("renyi", Independent, _p, status="conditional", source="composite")(renyi_gaussian)
    register_closed_form("renyi", _p, Independent, status="conditional", source="composite")(renyi_gaussian)
register_closed_form("renyi", Independent, Independent, status="conditional", source="composite")(renyi_independent)
del _p, _q
