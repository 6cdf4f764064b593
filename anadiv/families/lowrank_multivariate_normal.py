"""Multivariate normal with a low-rank plus diagonal covariance ``W W^T + D``."""

from __future__ import annotations

from typing import Any

import numpy as np

from ._base import Family, Param, ParamValue
from ..constraints import independent, positive, real

_LOG_2PI = float(np.log(2.0 * np.pi))


class LowRankMultivariateNormal(Family):
    r"""Multivariate normal :math:`N(\mu, W W^\top + D)`, :math:`W` of shape ``d x r``, :math:`D` diagonal.

    The factor-analysis and VAE case: a ``d``-dimensional normal whose
    covariance is a rank-``r`` part plus independent noise, with ``r`` much
    smaller than ``d``. torch: ``LowRankMultivariateNormal(loc, cov_factor,
    cov_diag)``; scipy equivalent: ``scipy.stats.multivariate_normal(loc,
    W @ W.T + np.diag(cov_diag))``.

    .. math::

        \log p(x) = -\tfrac12 (x-\mu)^\top \Sigma^{-1} (x-\mu)
                    - \tfrac12 \log\det\Sigma - \tfrac d2 \log(2\pi),
        \qquad \Sigma = W W^\top + D

    computed through the ``r x r`` capacitance matrix
    :math:`C = I_r + W^\top D^{-1} W = L_C L_C^\top` (Cholesky):

    .. math::

        \Sigma^{-1} = D^{-1} - D^{-1} W C^{-1} W^\top D^{-1} \quad \text{(Woodbury)},
        \qquad \log\det\Sigma = \log\det C + \sum_i \log D_i
        \quad \text{(matrix determinant lemma)},

    so that :math:`(x-\mu)^\top \Sigma^{-1} (x-\mu) = |z|^2 - |L_C^{-1} U^\top z|^2`
    with :math:`z = D^{-1/2}(x - \mu)`, :math:`U = D^{-1/2} W`. No ``d x d``
    matrix is formed: ``O(d r^2)`` per distribution and ``O(d r)`` per point.

    Parameters
    ----------
    loc : array_like, shape (..., d)
        Mean vector.
    cov_factor : array_like, shape (..., d, r)
        The factor :math:`W` (any finite reals, ``r >= 1``).
    cov_diag : array_like, shape (..., d)
        The diagonal :math:`D`, every entry finite and > 0.
        Leading axes of the three are batch axes and broadcast.

    Notes
    -----
    Validation raises ``ValueError`` naming the argument: ``loc``,
    ``cov_factor`` or ``cov_diag`` for a wrong number of axes or a
    non-finite entry, ``cov_diag`` for an entry <= 0, ``cov_factor`` for
    ``r = 0``, and ``loc, cov_factor, cov_diag`` when the dimensions ``d``
    differ or the batch shapes do not broadcast.

    ``logpdf(x)`` takes ``x`` of shape ``(..., d)``; ``sample(n)`` returns
    shape ``(n, *batch_shape, d)``, drawn as :math:`x = \mu + W z_1 + D^{1/2} z_2`
    with standard normal :math:`z_1` (``r``) and :math:`z_2` (``d``).
    :meth:`to_multivariate` gives the equal dense :class:`MultivariateNormal`.
    The closed forms against itself, :class:`MultivariateNormal`,
    :class:`DiagonalNormal` and ``Independent(Normal, 1)`` are the rules of
    :mod:`anadiv.gaussian_pairs`.

    The quadratic form loses digits where ``x - loc`` lies along a column of
    ``W`` much larger than ``sqrt(D)`` (the two terms above cancel: an
    absolute error of about ``eps |z|^2``).

    Examples
    --------
    >>> import numpy as np
    >>> import anadiv
    >>> from anadiv import LowRankMultivariateNormal
    >>> p = LowRankMultivariateNormal(np.zeros(3), np.ones((3, 1)), np.ones(3))
    >>> float(p.logpdf(np.zeros(3)))  # doctest: +ELLIPSIS
    -3.449...
    >>> p.dim, p.rank, p.covariance_matrix[0].tolist()
    (3, 1, [2.0, 1.0, 1.0])
    >>> q = LowRankMultivariateNormal(np.ones(3), np.zeros((3, 1)), 2.0 * np.ones(3))
    >>> round(anadiv.kl(p, q), 12) == round(anadiv.kl(p.to_multivariate(), q.to_multivariate()), 12)
    True
    """

    name = "lowrank_multivariate_normal"
    # scipy's counterpart is multivariate_normal with the dense covariance
    # (_scipy_frozen); from_scipy maps it to MultivariateNormal, not here.
    scipy_name = None
    event_ndim = 1
    parameters = (
        Param("loc", independent(real), (-2.0, 2.0), "mean vector, shape (..., d)"),
        Param("cov_factor", independent(real, 2), (-1.0, 1.0), "covariance factor W, shape (..., d, r)"),
        Param("cov_diag", independent(positive), (0.3, 3.0), "covariance diagonal D > 0, shape (..., d)"),
    )

    def __init__(self, loc: ParamValue, cov_factor: ParamValue, cov_diag: ParamValue, *, validate: bool = True) -> None:
        # explicit, so editors and type checkers see the parameters
        super().__init__(loc, cov_factor, cov_diag, validate=validate)

    # ------------------------------------------------------------ validation
    @staticmethod
    def _check_param(param: Param, value: np.ndarray) -> np.ndarray:
        if param.name == "cov_factor" and np.ndim(value) < 2:
            got = "a scalar" if np.ndim(value) == 0 else f"shape {tuple(np.shape(value))}"
            raise ValueError(f"cov_factor: must have shape (..., d, r), got {got}")
        return param.constraint.check(value, param.name)

    def _check_joint(self, params: dict[str, np.ndarray]) -> None:
        loc, w, diag = params["loc"], params["cov_factor"], params["cov_diag"]
        if w.ndim >= 2 and w.shape[-1] == 0:
            raise ValueError(f"cov_factor: needs at least one column (r >= 1), got shape {w.shape}")
        dims = (loc.shape[-1], w.shape[-2], diag.shape[-1])
        if len(set(dims)) > 1:
            raise ValueError(
                f"loc, cov_factor, cov_diag: dimensions differ (loc has d={dims[0]}, cov_factor d={dims[1]}, "
                f"cov_diag d={dims[2]})"
            )
        try:
            np.broadcast_shapes(loc.shape[:-1], w.shape[:-2], diag.shape[:-1])
        except ValueError:
            raise ValueError(
                f"loc, cov_factor, cov_diag: batch shapes {loc.shape[:-1]}, {w.shape[:-2]} and {diag.shape[:-1]} "
                "do not broadcast"
            ) from None

    # ----------------------------------------------------------------- shape
    @property
    def batch_shape(self) -> tuple[int, ...]:
        if self.symbolic:
            return ()
        return np.broadcast_shapes(np.shape(self.loc)[:-1], np.shape(self.cov_factor)[:-2], np.shape(self.cov_diag)[:-1])

    @property
    def dim(self) -> Any:
        """Dimension ``d`` of the event (a sympy expression when symbolic)."""
        if self.symbolic:
            return self.loc.shape[0]
        return int(np.shape(self.loc)[-1])

    @property
    def rank(self) -> Any:
        """Number ``r`` of columns of the factor ``W``."""
        return self.cov_factor.shape[-1]

    @property
    def mean(self) -> np.ndarray:
        """The mean vector, broadcast to ``batch_shape + (d,)``."""
        self._require_numeric("mean")
        return np.broadcast_to(self.loc, self.batch_shape + (self.dim,))

    @property
    def covariance_matrix(self) -> np.ndarray:
        """The dense covariance ``W W^T + diag(D)``, shape ``batch_shape + (d, d)`` (formed on request)."""
        self._require_numeric("covariance_matrix")
        cov = _dense(self.cov_factor, self.cov_diag)
        return np.broadcast_to(cov, self.batch_shape + cov.shape[-2:])

    cov = covariance_matrix

    def to_multivariate(self) -> Family:
        """The same distribution as a :class:`MultivariateNormal` with the dense covariance."""
        from .multivariate_normal import MultivariateNormal

        self._require_numeric("to_multivariate")
        return MultivariateNormal(np.array(self.mean), self.covariance_matrix)

    # --------------------------------------------------------------- numeric
    @staticmethod
    def _np_logpdf(x: np.ndarray, loc: np.ndarray, cov_factor: np.ndarray, cov_diag: np.ndarray) -> np.ndarray:
        from ..numeric.linalg import capacitance_cholesky, lowrank_logdet, lowrank_mahalanobis

        chol = capacitance_cholesky(cov_factor, cov_diag)
        maha, _ = lowrank_mahalanobis(cov_diag, cov_factor, chol, x - loc)
        d = np.shape(loc)[-1]
        return -0.5 * maha - 0.5 * lowrank_logdet(cov_factor, cov_diag, chol) - 0.5 * d * _LOG_2PI

    @staticmethod
    def _np_sample(
        rng: np.random.Generator, size: tuple[int, ...], loc: np.ndarray, cov_factor: np.ndarray, cov_diag: np.ndarray
    ) -> np.ndarray:
        d, r = np.shape(cov_factor)[-2:]
        z1 = rng.standard_normal(size + (r, 1))
        z2 = rng.standard_normal(size + (d,))
        return loc + (cov_factor @ z1)[..., 0] + np.sqrt(cov_diag) * z2

    @staticmethod
    def _np_support(loc: np.ndarray, cov_factor: np.ndarray, cov_diag: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        shape = np.broadcast_shapes(np.shape(loc)[:-1], np.shape(cov_factor)[:-2], np.shape(cov_diag)[:-1])
        shape = shape + (np.shape(loc)[-1],)
        return np.full(shape, -np.inf), np.full(shape, np.inf)

    @classmethod
    def random_params(
        cls, rng: np.random.Generator, dim: int = 2, rank: int | None = None
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """A random mean, factor (``dim x rank``, rank ``max(1, dim // 2)`` by default) and diagonal."""
        r = max(1, dim // 2) if rank is None else int(rank)
        loc_range, factor_range = cls.parameters[0].typical, cls.parameters[1].typical
        assert loc_range is not None and factor_range is not None  # both declared in parameters
        loc = rng.uniform(*loc_range, size=dim)
        factor = rng.uniform(*factor_range, size=(dim, r))
        diag = cls.parameters[2].draw(rng, shape=(dim,))
        return loc, factor, diag

    # ------------------------------------------------------------------ hooks
    torch_name = "LowRankMultivariateNormal"
    is_gaussian = True
    # QMC maps uniforms through a Cholesky factor (a Gaussian), not a quantile.
    _np_quantile = None

    @staticmethod
    def _np_mean_var(loc: np.ndarray, cov_factor: np.ndarray, cov_diag: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        cov = _dense(cov_factor, cov_diag)
        return np.broadcast_to(loc, cov.shape[:-1]), cov

    @staticmethod
    def _np_gaussian(loc: np.ndarray, cov_factor: np.ndarray, cov_diag: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        return np.asarray(loc, dtype=float), _dense(np.asarray(cov_factor, dtype=float), np.asarray(cov_diag, dtype=float))

    @staticmethod
    def _scipy_frozen(loc: np.ndarray, cov_factor: np.ndarray, cov_diag: np.ndarray) -> Any:
        import scipy.stats

        return scipy.stats.multivariate_normal(loc, _dense(cov_factor, cov_diag))

    @staticmethod
    def _torch_params(loc: Any, cov_factor: Any, cov_diag: Any) -> dict[str, Any]:
        return {"loc": loc, "cov_factor": cov_factor, "cov_diag": cov_diag}

    # -------------------------------------------------------------- symbolic
    @classmethod
    def symbols(cls, suffix: str = "", dim: int | None = None, rank: int | None = None) -> tuple[Any, ...]:
        """``MatrixSymbol`` mean (``d x 1``), factor (``d x r``) and diagonal (``d x 1``).

        ``d`` and ``r`` are positive integer symbols unless given.
        """
        import sympy

        d = sympy.Symbol("d", integer=True, positive=True) if dim is None else int(dim)
        r = sympy.Symbol("r", integer=True, positive=True) if rank is None else int(rank)
        tail = f"_{suffix}" if suffix else ""
        return (
            sympy.MatrixSymbol(f"loc{tail}", d, 1),
            sympy.MatrixSymbol(f"W{tail}", d, r),
            sympy.MatrixSymbol(f"D{tail}", d, 1),
        )

    @classmethod
    def sym_logpdf(cls, x: Any, loc: Any, cov_factor: Any, cov_diag: Any) -> Any:
        """The multivariate normal log-density with ``Sigma = W W^T + diag(D)``.

        With explicit matrices (``sympy.Matrix``) the result is a scalar
        expression in their entries.
        """
        import sympy

        from .multivariate_normal import MultivariateNormal

        if isinstance(cov_diag, sympy.MatrixBase):
            diag = sympy.diag(*list(cov_diag))
        else:
            diag = sympy.DiagMatrix(cov_diag)
        cov = cov_factor * cov_factor.T + diag
        if isinstance(cov, sympy.MatrixBase):
            cov = sympy.ImmutableMatrix(cov)
        return MultivariateNormal.sym_logpdf(x, loc, cov)

    @classmethod
    def sym_support(cls, loc: Any, cov_factor: Any, cov_diag: Any) -> Any:
        """Each coordinate ranges over the reals (the support is R^d)."""
        import sympy

        return sympy.Interval(-sympy.oo, sympy.oo)


def _dense(cov_factor: np.ndarray, cov_diag: np.ndarray) -> np.ndarray:
    w = np.asarray(cov_factor)
    diag = np.asarray(cov_diag)
    cov = w @ np.swapaxes(w, -1, -2)
    d = cov.shape[-1]
    shape = np.broadcast_shapes(cov.shape[:-2], diag.shape[:-1]) + (d, d)
    cov = np.array(np.broadcast_to(cov, shape))
    idx = np.arange(d)
    cov[..., idx, idx] += diag
    return cov
