"""Vector-valued normal with independent coordinates (diagonal covariance)."""

from __future__ import annotations

from typing import Any

import numpy as np

from ._base import UNSET, Family, Param, ParamValue
from ..constraints import Independent as EntryWise
from ..constraints import independent, positive, real
from .normal import Normal

_LOG_SQRT_2PI = float(0.5 * np.log(2.0 * np.pi))


class DiagonalNormal(Family):
    r"""Normal vector with independent coordinates: :math:`x_i \sim N(\mu_i, s_i^2)`.

    The VAE posterior case: no ``d x d`` matrix is ever formed. scipy
    equivalent: ``scipy.stats.multivariate_normal(mean, np.diag(scale**2))``;
    torch: ``Independent(Normal(mean, scale), 1)``.

    .. math::

        \log p(x) = \sum_{i=1}^{d} \left[-\frac{(x_i-\mu_i)^2}{2 s_i^2}
                    - \log s_i - \tfrac12\log(2\pi)\right]

    Parameters
    ----------
    mean : array_like, shape (..., d), or sympy expression
        Mean of each coordinate.
    scale : array_like, shape (..., d), or sympy expression
        Standard deviation of each coordinate, > 0. ``mean`` and ``scale``
        broadcast (a scalar scale gives an isotropic normal); the last axis of
        the broadcast shape is the event axis, the leading axes are the batch.

    Notes
    -----
    ``logpdf(x)`` takes ``x`` of shape ``(..., d)`` and sums over the last
    axis. :meth:`to_multivariate` gives the equivalent
    :class:`MultivariateNormal`.

    Symbolic side: the family is a product of univariate normals, so the
    symbolic engine works per coordinate and sums (``coordinate_family`` is
    :class:`Normal`). ``symbols(suffix)`` gives one coordinate's scalar
    symbols ``mean_<suffix>`` (real) and ``scale_<suffix>`` (positive), and
    ``sym_logpdf`` on scalars is that coordinate's term; ``symbols(suffix,
    dim)`` gives ``d x 1`` matrices of per-coordinate symbols, and
    ``sym_logpdf`` on matrices sums the coordinate terms.

    Examples
    --------
    >>> import numpy as np
    >>> from anadiv import DiagonalNormal
    >>> q = DiagonalNormal(np.zeros(3), np.ones(3))
    >>> float(q.logpdf(np.zeros(3)))  # doctest: +ELLIPSIS
    -2.756...
    >>> q.to_multivariate().cov.shape
    (3, 3)
    """

    name = "diagonal_normal"
    scipy_name = None  # scipy has no diagonal normal; see to_multivariate()
    location = "mean"
    event_ndim = 1
    coordinate_family = Normal
    parameters = (
        Param("mean", independent(real), (-3.0, 3.0), "mean of each coordinate, shape (..., d)", aliases=("loc",)),
        Param("scale", independent(positive), (0.3, 3.0), "standard deviation of each coordinate, shape (..., d)"),
    )

    def __init__(
        self, mean: ParamValue = UNSET, scale: ParamValue = UNSET, *,
        loc: ParamValue = UNSET, validate: bool = True,
    ) -> None:
        # explicit, so editors and type checkers see the parameters; the aliases are torch's and scipy's names
        super().__init__(mean, scale, loc=loc, validate=validate)

    @staticmethod
    def _check_param(param: Param, value: np.ndarray) -> np.ndarray:
        # mean and scale broadcast into the event axis together (a scalar scale
        # is isotropic): each is checked entry by entry, the event axis by _check_joint
        constraint = param.constraint
        base = constraint.base if isinstance(constraint, EntryWise) else constraint
        return base.check(value, param.name)

    def _check_joint(self, params: dict[str, np.ndarray]) -> None:
        try:
            shape = np.broadcast_shapes(np.shape(params["mean"]), np.shape(params["scale"]))
        except ValueError:
            raise ValueError(
                f"mean, scale: shapes {tuple(np.shape(params['mean']))} and {tuple(np.shape(params['scale']))} "
                "do not broadcast "
                "against each other in DiagonalNormal"
            ) from None
        if len(shape) == 0:
            raise ValueError("mean, scale: need shape (..., d); both are scalars")

    @property
    def batch_shape(self) -> tuple[int, ...]:
        if self.symbolic:
            return ()
        return np.broadcast_shapes(np.shape(self.mean), np.shape(self.scale))[:-1]

    @property
    def dim(self) -> Any:
        """Dimension ``d`` of the event (``None`` for scalar per-coordinate symbols)."""
        if self.symbolic:
            shape = getattr(self.mean, "shape", None)
            return shape[0] if shape else None
        return int(np.broadcast_shapes(np.shape(self.mean), np.shape(self.scale))[-1])

    def to_multivariate(self) -> Family:
        """The same distribution as a :class:`MultivariateNormal` (``cov = diag(scale**2)``)."""
        from .multivariate_normal import MultivariateNormal

        if self.symbolic:
            import sympy

            if not isinstance(self.scale, sympy.MatrixBase):
                raise TypeError("to_multivariate needs explicit (Matrix) symbolic parameters")
            return MultivariateNormal(self.mean, sympy.diag(*[s**2 for s in self.scale]))
        shape = np.broadcast_shapes(np.shape(self.mean), np.shape(self.scale))
        mean = np.broadcast_to(self.mean, shape)
        scale = np.broadcast_to(self.scale, shape)
        cov = scale[..., :, None] ** 2 * np.eye(shape[-1], dtype=scale.dtype)
        return MultivariateNormal(np.array(mean), cov, validate=False)

    @staticmethod
    def _np_logpdf(x: np.ndarray, mean: np.ndarray, scale: np.ndarray) -> np.ndarray:
        z = (x - mean) / scale
        return np.sum(-0.5 * z * z - np.log(scale) - _LOG_SQRT_2PI, axis=-1)

    @staticmethod
    def _np_sample(rng: np.random.Generator, size: tuple[int, ...], mean: np.ndarray, scale: np.ndarray) -> np.ndarray:
        d = np.broadcast_shapes(np.shape(mean), np.shape(scale))[-1]
        return mean + scale * rng.standard_normal(size + (d,))

    @staticmethod
    def _np_support(mean: np.ndarray, scale: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        shape = np.broadcast_shapes(np.shape(mean), np.shape(scale))
        return np.full(shape, -np.inf), np.full(shape, np.inf)

    # ------------------------------------------------------------------ hooks
    # torch's counterpart is Independent(Normal(mean, scale), 1), not one class.
    torch_name = None
    is_gaussian = True
    # QMC maps uniforms through the diagonal factor (a Gaussian), not a quantile.
    _np_quantile = None

    @staticmethod
    def _np_mean_var(mean: np.ndarray, scale: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        shape = np.broadcast_shapes(np.shape(mean), np.shape(scale))
        scale = np.broadcast_to(scale, shape)
        return np.broadcast_to(mean, shape), scale[..., :, None] ** 2 * np.eye(shape[-1])

    @staticmethod
    def _np_gaussian(mean: np.ndarray, scale: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        mean, scale = (np.asarray(v, dtype=float) for v in (mean, scale))
        return mean, np.diag(scale**2)

    @staticmethod
    def _scipy_frozen(mean: np.ndarray, scale: np.ndarray) -> Any:
        import scipy.stats

        return scipy.stats.multivariate_normal(mean, np.diag(scale**2))

    @classmethod
    def random_params(cls, rng: np.random.Generator, dim: int = 2) -> tuple[np.ndarray, np.ndarray]:
        """Random mean and scale vectors of length ``dim`` from the typical ranges."""
        mean = np.array([cls.parameters[0].draw(rng) for _ in range(dim)])
        scale = np.array([cls.parameters[1].draw(rng) for _ in range(dim)])
        return mean, scale

    # -------------------------------------------------------------- symbolic
    @classmethod
    def symbols(cls, suffix: str = "", dim: int | None = None) -> tuple[Any, ...]:
        """Per-coordinate scalar symbols, or ``d x 1`` matrices of them when ``dim`` is given."""
        if dim is None:
            return super().symbols(suffix)
        import sympy

        tail = f"_{suffix}" if suffix else ""
        mean = sympy.Matrix([sympy.Symbol(f"mean{tail}_{i}", real=True) for i in range(dim)])
        scale = sympy.Matrix([sympy.Symbol(f"scale{tail}_{i}", positive=True) for i in range(dim)])
        return mean, scale

    @classmethod
    def sym_logpdf(cls, x: Any, mean: Any, scale: Any) -> Any:
        """One coordinate's normal log-density on scalars; the sum over coordinates on matrices."""
        import sympy

        if isinstance(mean, sympy.MatrixBase):
            d = mean.shape[0]
            xs = x if isinstance(x, sympy.MatrixBase) else [x] * d
            return sympy.Add(*[Normal.sym_logpdf(xs[i], mean[i], scale[i]) for i in range(d)])
        return Normal.sym_logpdf(x, mean, scale)

    @classmethod
    def sym_support(cls, mean: Any, scale: Any) -> Any:
        """Each coordinate ranges over the reals."""
        import sympy

        return sympy.Interval(-sympy.oo, sympy.oo)
