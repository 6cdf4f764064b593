"""Multivariate normal distribution with a full covariance matrix."""

from __future__ import annotations

from typing import Any

import numpy as np

from ._base import UNSET, Family, Param, ParamValue
from ..constraints import independent, positive_definite, real

_LOG_2PI = float(np.log(2.0 * np.pi))


class MultivariateNormal(Family):
    r"""Multivariate normal :math:`N(\mu, \Sigma)` in dimension :math:`d`.

    scipy equivalent: ``scipy.stats.multivariate_normal(mean, cov)``; torch:
    ``MultivariateNormal(loc=mean, covariance_matrix=cov)``.

    .. math::

        \log p(x) = -\tfrac12 (x-\mu)^\top \Sigma^{-1} (x-\mu)
                    - \tfrac12 \log\det\Sigma - \tfrac d2 \log(2\pi)

    Parameters
    ----------
    mean : array_like, shape (..., d), or sympy matrix (d x 1)
        Mean vector; leading axes are batch axes.
    cov : array_like, shape (..., d, d), or sympy matrix (d x d)
        Covariance matrix: symmetric positive definite. Leading axes are batch
        axes and broadcast with ``mean``'s.

    Notes
    -----
    Validation raises ``ValueError`` naming ``cov`` when it is not square, not
    symmetric (``|cov - cov.T| <= sqrt(eps) * max|cov|`` per matrix, with
    ``eps`` the machine epsilon of its dtype: about 1.5e-8 relative in
    float64), or not positive definite (its Cholesky factorization fails), and
    naming ``mean, cov`` when their dimensions differ.

    A validated instance holds ``cov`` as a private read-only copy together
    with the Cholesky factor computed while validating it; :func:`anadiv.kl`,
    :meth:`logpdf` and :meth:`sample` reuse that factor instead of factoring
    again. Changing the array that was passed in, after construction, does
    not change the distribution. With ``validate=False`` the array is used
    as given and factored on every use.

    ``logpdf(x)`` takes ``x`` of shape ``(..., d)``; ``sample(n)`` returns shape
    ``(n, *batch_shape, d)``. Both work through the Cholesky factor.

    Symbolic side: :meth:`symbols` gives ``MatrixSymbol``\ s of a symbolic
    dimension ``d`` (``mu_1`` is ``d x 1``, ``Sigma_1`` is ``d x d``; the
    same ``d`` symbol for every suffix) or of an explicit dimension, and
    :meth:`sym_logpdf` is written with ``Trace`` (of the 1 x 1 quadratic
    form), ``Inverse`` and ``Determinant``. :meth:`explicit_symbols` gives
    explicit matrices of scalar symbols with a symmetric covariance, for
    checking the general form against the 2 x 2 and 3 x 3 expansions.

    Examples
    --------
    >>> import numpy as np
    >>> from anadiv import MultivariateNormal
    >>> p = MultivariateNormal(np.zeros(2), np.eye(2))
    >>> float(p.logpdf(np.zeros(2)))  # doctest: +ELLIPSIS
    -1.837...
    >>> p.dim
    2
    """

    name = "multivariate_normal"
    scipy_name = "multivariate_normal"
    event_ndim = 1
    parameters = (
        Param("mean", independent(real), (-2.0, 2.0), "mean vector, shape (..., d)", aliases=("loc",)),
        Param("cov", positive_definite, (0.3, 3.0), "covariance matrix, shape (..., d, d); typical = eigenvalue range",
              aliases=("covariance_matrix",),
              reparametrizations=(
                  ("scale_tril", "torch's Cholesky factor L of cov: pass cov=L @ L.T"),
                  ("precision_matrix", "the inverse of cov: pass cov=numpy.linalg.inv(precision_matrix)"),
              )),
    )

    def __init__(
        self, mean: ParamValue = UNSET, cov: ParamValue = UNSET, *,
        loc: ParamValue = UNSET, covariance_matrix: ParamValue = UNSET, validate: bool = True,
    ) -> None:
        # explicit, so editors and type checkers see the parameters; the aliases are torch's and scipy's names
        super().__init__(mean, cov, loc=loc, covariance_matrix=covariance_matrix, validate=validate)

    # ------------------------------------------------------------ validation
    # The constraints check each parameter: ``cov`` is kept as the immutable
    # private copy positive_definite makes, with the Cholesky factor computed
    # while validating it, which anadiv.kl, logpdf and sample then reuse
    # (anadiv.numeric.linalg.factored_copy); later changes to the caller's array are harmless.
    def _check_joint(self, params: dict[str, np.ndarray]) -> None:
        mean, cov = params["mean"], params["cov"]
        if mean.shape[-1] != cov.shape[-1]:
            raise ValueError(f"mean, cov: dimensions differ (mean has d={mean.shape[-1]}, cov is {cov.shape[-2:]})")
        try:
            np.broadcast_shapes(mean.shape[:-1], cov.shape[:-2])
        except ValueError:
            raise ValueError(
                f"mean, cov: batch shapes {mean.shape[:-1]} and {cov.shape[:-2]} do not broadcast"
            ) from None

    # ----------------------------------------------------------------- shape
    @property
    def batch_shape(self) -> tuple[int, ...]:
        if self.symbolic:
            return ()
        return np.broadcast_shapes(np.shape(self.mean)[:-1], np.shape(self.cov)[:-2])

    @property
    def dim(self) -> Any:
        """Dimension ``d`` of the event (a sympy expression when symbolic)."""
        if self.symbolic:
            return self.mean.shape[0]
        return int(np.shape(self.mean)[-1])

    # --------------------------------------------------------------- numeric
    @staticmethod
    def _np_logpdf(x: np.ndarray, mean: np.ndarray, cov: np.ndarray) -> np.ndarray:
        from ..numeric.linalg import cholesky

        chol = cholesky(cov)
        d = chol.shape[-1]
        diff = x - mean
        batch = chol.shape[:-2]
        full = np.broadcast_shapes(diff.shape[:-1], batch)
        # Leading axes beyond the covariance's batch are solved as extra
        # right-hand sides of one triangular system instead of copying the
        # factor once per point.
        n_extra = len(full) - len(batch)
        batch_full = full[n_extra:]
        chol = np.broadcast_to(chol, batch_full + (d, d))
        rhs = np.broadcast_to(diff, full + (d,)).reshape((-1,) + batch_full + (d,))
        rhs = np.moveaxis(rhs, 0, -1)  # (*batch, d, n)
        if chol.ndim == 2:
            from scipy.linalg import solve_triangular  # one factor: a triangular solve beats LU

            z = solve_triangular(chol, rhs, lower=True, check_finite=False)
        else:
            z = np.linalg.solve(chol, rhs)
        maha = np.moveaxis(np.sum(z * z, axis=-2), -1, 0).reshape(full)
        half_logdet = np.sum(np.log(np.diagonal(chol, axis1=-2, axis2=-1)), axis=-1)
        return -0.5 * maha - half_logdet - 0.5 * d * _LOG_2PI

    @staticmethod
    def _np_sample(rng: np.random.Generator, size: tuple[int, ...], mean: np.ndarray, cov: np.ndarray) -> np.ndarray:
        from ..numeric.linalg import cholesky

        chol = cholesky(cov)
        z = rng.standard_normal(size + (chol.shape[-1],))
        return mean + (chol @ z[..., None])[..., 0]

    @staticmethod
    def _np_support(mean: np.ndarray, cov: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        shape = np.broadcast_shapes(np.shape(mean)[:-1], np.shape(cov)[:-2]) + (np.shape(mean)[-1],)
        return np.full(shape, -np.inf), np.full(shape, np.inf)

    @classmethod
    def random_params(cls, rng: np.random.Generator, dim: int = 2) -> tuple[np.ndarray, np.ndarray]:
        """A random mean and a random SPD covariance with eigenvalues in the typical range."""
        mean_range, eig_range = cls.parameters[0].typical, cls.parameters[1].typical
        assert mean_range is not None and eig_range is not None  # both declared in parameters
        mean = rng.uniform(*mean_range, size=dim)
        lo, hi = eig_range
        eig = np.exp(rng.uniform(np.log(lo), np.log(hi), size=dim))
        q, r = np.linalg.qr(rng.standard_normal((dim, dim)))
        q = q * np.sign(np.diag(r))
        cov = (q * eig) @ q.T
        return mean, 0.5 * (cov + cov.T)

    # ------------------------------------------------------------------ hooks
    torch_name = "MultivariateNormal"
    is_gaussian = True
    # QMC maps uniforms through the Cholesky factor (a Gaussian), not a quantile.
    _np_quantile = None

    @staticmethod
    def _np_mean_var(mean: np.ndarray, cov: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        return mean, cov

    @staticmethod
    def _np_gaussian(mean: np.ndarray, cov: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        return np.asarray(mean, dtype=float), np.asarray(cov, dtype=float)

    @staticmethod
    def _scipy_frozen(mean: np.ndarray, cov: np.ndarray) -> Any:
        import scipy.stats

        return scipy.stats.multivariate_normal(mean, cov)

    @staticmethod
    def _torch_params(mean: Any, cov: Any) -> dict[str, Any]:
        return {"loc": mean, "covariance_matrix": cov}

    @classmethod
    def _from_scipy_frozen(cls, frozen: Any) -> tuple[Any, ...]:
        return (np.asarray(frozen.mean, dtype=float), np.asarray(frozen.cov, dtype=float))

    # -------------------------------------------------------------- symbolic
    @classmethod
    def symbols(cls, suffix: str = "", dim: int | None = None) -> tuple[Any, ...]:
        """``MatrixSymbol`` mean (``d x 1``) and covariance (``d x d``).

        ``d`` is the symbol ``sympy.Symbol("d", integer=True, positive=True)``
        (shared by P and Q) unless ``dim`` is given.
        """
        import sympy

        d = sympy.Symbol("d", integer=True, positive=True) if dim is None else int(dim)
        tail = f"_{suffix}" if suffix else ""
        return sympy.MatrixSymbol(f"mu{tail}", d, 1), sympy.MatrixSymbol(f"Sigma{tail}", d, d)

    @classmethod
    def explicit_symbols(cls, suffix: str = "", dim: int = 2) -> tuple[Any, ...]:
        """Explicit ``Matrix`` mean and symmetric covariance of scalar symbols.

        Entries are ``mu_{suffix}_i`` (real) and ``Sigma_{suffix}_ij`` with
        ``Sigma_..._ij = Sigma_..._ji`` (real).
        """
        import sympy

        tail = f"_{suffix}" if suffix else ""
        mean = sympy.Matrix([sympy.Symbol(f"mu{tail}_{i}", real=True) for i in range(dim)])
        entries = {}
        for i in range(dim):
            for j in range(i, dim):
                entries[i, j] = entries[j, i] = sympy.Symbol(f"Sigma{tail}_{i}{j}", real=True)
        cov = sympy.Matrix(dim, dim, lambda i, j: entries[i, j])
        return mean, cov

    @classmethod
    def sym_logpdf(cls, x: Any, mean: Any, cov: Any) -> Any:
        """Symbolic log-density; ``x`` and ``mean`` are ``d x 1``, ``cov`` is ``d x d``.

        With explicit matrices (``sympy.Matrix``) the result is evaluated
        (``doit``) into a scalar expression in their entries.
        """
        import sympy

        explicit = all(isinstance(m, sympy.MatrixBase) for m in (x, mean, cov))
        if explicit:
            x, mean, cov = (sympy.ImmutableMatrix(m) for m in (x, mean, cov))
        d = mean.shape[0]
        r = x - mean
        quad = sympy.Trace(r.T * sympy.Inverse(cov) * r)
        expr = -quad / 2 - sympy.log(sympy.Determinant(cov)) / 2 - d * sympy.log(2 * sympy.pi) / 2
        return expr.doit() if explicit else expr

    @classmethod
    def sym_support(cls, mean: Any, cov: Any) -> Any:
        """Each coordinate ranges over the reals (the support is R^d)."""
        import sympy

        return sympy.Interval(-sympy.oo, sympy.oo)
