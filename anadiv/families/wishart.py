"""Wishart distribution on d x d symmetric positive-definite matrices."""

from __future__ import annotations

from typing import Any

import numpy as np

from ._base import UNSET, Family, Param, ParamValue
from ..constraints import positive, positive_definite
from ..numeric.validation import all_true, to_numpy

_LOG_2 = float(np.log(2.0))
_LOG_PI = float(np.log(np.pi))


def log_multigamma(a: Any, d: int) -> np.ndarray:
    r"""The multivariate log-gamma function :math:`\log\Gamma_d(a)`, elementwise in ``a > (d - 1)/2``.

    .. math:: \log\Gamma_d(a) = \frac{d(d-1)}{4}\log\pi + \sum_{j=0}^{d-1}\log\Gamma\!\left(a - \frac j2\right)

    Examples
    --------
    >>> from anadiv.families.wishart import log_multigamma
    >>> round(float(log_multigamma(1.5, 2)), 12)  # log(pi^(1/2) Gamma(1.5) Gamma(1))
    0.451582705289
    """
    from scipy.special import gammaln  # deferred: import anadiv stays lean

    a = np.asarray(a, dtype=float)
    out = np.full(a.shape, 0.25 * d * (d - 1) * _LOG_PI)
    for j in range(d):
        out = out + gammaln(a - 0.5 * j)
    return out


def _cholesky_where_pd(x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Lower Cholesky factors of the matrices of ``x`` and a mask of those that are positive definite.

    A matrix that is not positive definite gets the identity as its factor
    (its mask entry is False), so one bad matrix does not stop the batch.
    """
    try:
        return np.linalg.cholesky(x), np.ones(x.shape[:-2], dtype=bool)
    except np.linalg.LinAlgError:
        pass
    flat = x.reshape((-1,) + x.shape[-2:])
    chol = np.broadcast_to(np.eye(x.shape[-1]), flat.shape).copy()
    ok = np.zeros(len(flat), dtype=bool)
    for i, m in enumerate(flat):
        try:
            chol[i] = np.linalg.cholesky(m)
            ok[i] = True
        except np.linalg.LinAlgError:
            continue
    return chol.reshape(x.shape), ok.reshape(x.shape[:-2])


class Wishart(Family):
    r"""Wishart distribution :math:`W_d(n, V)` of ``d x d`` positive-definite matrices.

    The law of :math:`\sum_{k=1}^{n} z_k z_k^\top` with :math:`z_k \sim N(0, V)`
    for integer ``n``, for any real degrees of freedom :math:`n > d - 1`.
    scipy equivalent: ``scipy.stats.wishart(df, scale)``; torch:
    ``Wishart(df, covariance_matrix=scale)``.

    .. math::

        \log p(X) = \frac{n - d - 1}{2}\log\det X - \frac12\operatorname{tr}(V^{-1}X)
                    - \frac{nd}{2}\log 2 - \frac n2\log\det V - \log\Gamma_d\!\left(\frac n2\right)

    with :math:`\log\Gamma_d` the multivariate log-gamma function
    (:func:`log_multigamma`). :math:`E[X] = nV`, :math:`\operatorname{Var}[X_{ij}]
    = n(V_{ij}^2 + V_{ii}V_{jj})`, :math:`E[\log\det X] = \psi_d(n/2) + d\log 2
    + \log\det V` with :math:`\psi_d(a) = \sum_{j<d}\psi(a - j/2)`.

    Parameters
    ----------
    df : array_like
        Degrees of freedom :math:`n > d - 1`; its shape is a batch shape.
    scale : array_like, shape (..., d, d)
        Scale matrix :math:`V`: symmetric positive definite. Leading axes are
        batch axes and broadcast with ``df``'s shape.

    Notes
    -----
    Validation raises ``ValueError`` naming ``df`` when it is not finite and
    ``> d - 1``, naming ``scale`` when it is not square, symmetric and
    positive definite (as for :class:`MultivariateNormal`'s ``cov``), and
    naming ``df, scale`` when their batch shapes do not broadcast.
    :meth:`from_scale_tril` builds the distribution from a Cholesky factor of
    the scale (torch's ``scale_tril``).

    ``logpdf(x)`` takes ``x`` of shape ``(..., d, d)`` and is ``-inf`` where
    ``x`` is not symmetric (beyond the tolerance of the ``scale`` check) or
    not positive definite: the support is the cone of positive-definite
    matrices. ``sample(n)`` returns shape ``(n, *batch_shape, d, d)``, drawn
    by the Bartlett decomposition :math:`X = L A A^\top L^\top` (``L`` the
    Cholesky factor of ``V``, ``A`` lower triangular with
    :math:`A_{ii}^2 \sim \chi^2_{n - i}` for :math:`i = 0, \dots, d - 1` and
    standard normal entries below the diagonal).

    The closed forms (KL, cross-entropy, entropy) are derived by the engine
    (:mod:`anadiv.symbolic.wishart`, the exponential-family route) and
    evaluated by anadiv's hand-written, numerically careful rules in
    :mod:`anadiv.wishart_pairs`.

    Examples
    --------
    >>> import numpy as np
    >>> from anadiv import Wishart
    >>> w = Wishart(3.0, np.eye(2))
    >>> round(float(w.logpdf(np.eye(2))), 12)
    -3.531024246969
    >>> w.sample(4, rng=0).shape
    (4, 2, 2)
    """

    name = "wishart"
    scipy_name = "wishart"
    event_ndim = 2
    parameters = (
        Param("df", positive, (2.5, 13.0), "degrees of freedom n > d - 1; typical for d = 2"),
        Param("scale", positive_definite, (0.3, 3.0), "scale matrix V, shape (..., d, d); typical = eigenvalue range",
              aliases=("covariance_matrix",),
              reparametrizations=(
                  ("scale_tril", "torch's Cholesky factor L of scale: pass scale=L @ L.T"),
                  ("precision_matrix", "the inverse of scale: pass scale=numpy.linalg.inv(precision_matrix)"),
              )),
    )

    def __init__(
        self, df: ParamValue = UNSET, scale: ParamValue = UNSET, *,
        covariance_matrix: ParamValue = UNSET, validate: bool = True,
    ) -> None:
        # explicit, so editors and type checkers see the parameters; the aliases are torch's and scipy's names
        super().__init__(df, scale, covariance_matrix=covariance_matrix, validate=validate)

    # ------------------------------------------------------------ validation
    def _check_joint(self, params: dict[str, np.ndarray]) -> None:
        df, scale = params["df"], params["scale"]
        try:
            np.broadcast_shapes(np.shape(df), tuple(scale.shape[:-2]))
        except ValueError:
            raise ValueError(
                f"df, scale: batch shapes {tuple(np.shape(df))} and {tuple(scale.shape[:-2])} do not broadcast"
            ) from None
        d = scale.shape[-1]
        if not all_true(df > d - 1):  # numpy, torch or JAX: on the values' device
            worst = float(np.min(to_numpy(df)))
            raise ValueError(f"df: must be > d - 1 = {d - 1} for a {d} x {d} scale, got {worst:g}")

    @classmethod
    def from_scale_tril(cls, df: Any, scale_tril: Any, validate: bool = True) -> "Wishart":
        r"""The Wishart with scale :math:`V = L L^\top` from its lower-triangular factor ``L``.

        Only the lower triangle of ``scale_tril`` is read; its diagonal must
        be positive (``ValueError`` naming ``scale_tril`` otherwise).

        Examples
        --------
        >>> import numpy as np
        >>> from anadiv import Wishart
        >>> Wishart.from_scale_tril(4.0, np.array([[2.0, 0.0], [1.0, 1.0]])).scale
        array([[4., 2.],
               [2., 2.]])
        """
        from ..numeric.validation import as_float_array, check_finite

        tril = as_float_array(scale_tril, "scale_tril")
        check_finite(tril, "scale_tril")
        if tril.ndim < 2 or tril.shape[-1] != tril.shape[-2]:
            raise ValueError(f"scale_tril: must be square with shape (..., d, d), got shape {tril.shape}")
        tril = np.tril(tril)
        if validate and not np.all(np.diagonal(tril, axis1=-2, axis2=-1) > 0):
            raise ValueError("scale_tril: the diagonal of a Cholesky factor must be positive")
        return cls(df, tril @ np.swapaxes(tril, -1, -2), validate=validate)

    # ----------------------------------------------------------------- shape
    @property
    def batch_shape(self) -> tuple[int, ...]:
        if self.symbolic:
            return ()
        return np.broadcast_shapes(np.shape(self.df), np.shape(self.scale)[:-2])

    @property
    def dim(self) -> Any:
        """Dimension ``d`` of the matrices (a sympy expression when symbolic)."""
        if self.symbolic:
            return self.scale.shape[0]
        return int(np.shape(self.scale)[-1])

    # --------------------------------------------------------------- numeric
    @staticmethod
    def _np_logpdf(x: np.ndarray, df: np.ndarray, scale: np.ndarray) -> np.ndarray:
        from ..numeric.linalg import cholesky, logdet, trace_solve

        d = scale.shape[-1]
        chol_v = cholesky(scale)
        x = np.asarray(x)
        if x.ndim < 2 or x.shape[-2:] != (d, d):
            raise ValueError(f"x: must have shape (..., {d}, {d}), got shape {x.shape}")
        with np.errstate(invalid="ignore"):
            asym = np.max(np.abs(x - np.swapaxes(x, -1, -2)), axis=(-2, -1))
            size = np.max(np.abs(x), axis=(-2, -1))
        symmetric = asym <= np.sqrt(np.finfo(x.dtype).eps) * size
        finite = np.all(np.isfinite(x), axis=(-2, -1))
        chol_x, pd = _cholesky_where_pd(np.where((symmetric & finite)[..., None, None], x, np.eye(d)))
        inside = symmetric & finite & pd
        dtype = np.result_type(x, df, scale, np.float32)
        df = np.asarray(df, dtype=np.float64)
        with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
            out = (
                0.5 * (df - d - 1.0) * logdet(chol_x)
                - 0.5 * trace_solve(chol_v, chol_x)
                - 0.5 * df * d * _LOG_2
                - 0.5 * df * logdet(chol_v)
                - log_multigamma(0.5 * df, d)
            )
        return np.where(inside, out, -np.inf).astype(dtype, copy=False)

    @staticmethod
    def _np_sample(rng: np.random.Generator, size: tuple[int, ...], df: np.ndarray, scale: np.ndarray) -> np.ndarray:
        from ..numeric.linalg import cholesky

        chol = cholesky(scale)
        d = chol.shape[-1]
        df = np.broadcast_to(np.asarray(df, dtype=float), size)
        a = np.zeros(size + (d, d))
        for i in range(d):
            a[..., i, i] = np.sqrt(rng.chisquare(df - i))
            a[..., i, :i] = rng.standard_normal(size + (i,))
        la = chol @ a
        return la @ np.swapaxes(la, -1, -2)

    @staticmethod
    def _np_support(df: np.ndarray, scale: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        # per entry: the entries range over the reals; the cone itself is checked by logpdf
        shape = np.broadcast_shapes(np.shape(df), np.shape(scale)[:-2]) + np.shape(scale)[-2:]
        return np.full(shape, -np.inf), np.full(shape, np.inf)

    @classmethod
    def random_params(cls, rng: np.random.Generator, dim: int = 2) -> tuple[np.ndarray, np.ndarray]:
        """Degrees of freedom ``dim - 1 + u`` (``u`` log-uniform in (1.5, 12)) and a random SPD scale.

        ``df >= dim + 0.5``: below ``dim`` the draws are nearly singular (an
        eigenvalue of 1e-12 is common), whose log-determinant no float
        algorithm gets to more than a few digits.
        """
        df = np.asarray(dim - 1.0 + positive.draw(rng, (1.5, 12.0)))
        scale = cls.parameters[1].draw(rng, (dim, dim))
        return df, scale

    # ------------------------------------------------------------------ hooks
    torch_name = "Wishart"
    _np_quantile = None  # a matrix variate has no quantile function

    @staticmethod
    def _np_mean_var(df: np.ndarray, scale: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """The mean ``n V`` and the entrywise variances ``n (V_ij^2 + V_ii V_jj)``."""
        n = np.asarray(df)[..., None, None]
        diag = np.diagonal(scale, axis1=-2, axis2=-1)
        return n * scale, n * (scale**2 + diag[..., :, None] * diag[..., None, :])

    @staticmethod
    def _scipy_frozen(df: np.ndarray, scale: np.ndarray) -> Any:
        import scipy.stats

        return scipy.stats.wishart(float(df), scale)

    @staticmethod
    def _torch_params(df: Any, scale: Any) -> dict[str, Any]:
        return {"df": df, "covariance_matrix": scale}

    @classmethod
    def _from_scipy_frozen(cls, frozen: Any) -> tuple[Any, ...]:
        scale = np.asarray(frozen.scale, dtype=float)
        return (np.asarray(float(frozen.df)), np.atleast_2d(scale))

    # -------------------------------------------------------------- symbolic
    @classmethod
    def symbols(cls, suffix: str = "", dim: int | None = None) -> tuple[Any, ...]:
        """Degrees of freedom ``n`` (positive) and a ``MatrixSymbol`` scale ``V`` (``d x d``).

        ``d`` is the symbol ``sympy.Symbol("d", integer=True, positive=True)``
        unless ``dim`` is given.
        """
        import sympy

        d = sympy.Symbol("d", integer=True, positive=True) if dim is None else int(dim)
        tail = f"_{suffix}" if suffix else ""
        return sympy.Symbol(f"n{tail}", positive=True), sympy.MatrixSymbol(f"V{tail}", d, d)

    @classmethod
    def sym_logpdf(cls, x: Any, df: Any, scale: Any) -> Any:
        """Symbolic log-density; ``x`` and ``scale`` are ``d x d`` (``Determinant``, ``Trace``, ``Inverse``)."""
        import sympy

        explicit = isinstance(x, sympy.MatrixBase) and isinstance(scale, sympy.MatrixBase)
        if explicit:
            x, scale = sympy.ImmutableMatrix(x), sympy.ImmutableMatrix(scale)
        d = scale.shape[0]
        expr = (
            (df - d - 1) / 2 * sympy.log(sympy.Determinant(x))
            - sympy.Trace(sympy.Inverse(scale) * x) / 2
            - df * d * sympy.log(2) / 2
            - df / 2 * sympy.log(sympy.Determinant(scale))
            - sympy.log(sympy.multigamma(df / 2, d))
        )
        return expr.doit() if explicit else expr

    @classmethod
    def sym_support(cls, df: Any, scale: Any) -> Any:
        """Each entry ranges over the reals; the support is the cone of positive-definite matrices."""
        import sympy

        return sympy.Interval(-sympy.oo, sympy.oo)
