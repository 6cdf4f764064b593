"""Student's t distribution with location and scale."""

from __future__ import annotations

from typing import Any

import numpy as np

from ._base import Family, Param, ParamValue
from ..constraints import positive, real

_LOG_PI = float(np.log(np.pi))


class StudentT(Family):
    r"""Student's t with :math:`\nu` degrees of freedom, location :math:`\mu`, scale :math:`s`.

    scipy equivalent: ``scipy.stats.t(df, loc=loc, scale=scale)``; torch:
    ``StudentT(df, loc, scale)``.

    .. math::

        \log p(x) = \log\Gamma\left(\tfrac{\nu+1}{2}\right) - \log\Gamma\left(\tfrac{\nu}{2}\right)
                    - \tfrac12\log(\nu\pi) - \log s
                    - \tfrac{\nu+1}{2}\log\left(1 + \frac{z^2}{\nu}\right),
        \quad z = \frac{x-\mu}{s}

    Parameters
    ----------
    df : array_like or sympy expression
        Degrees of freedom :math:`\nu > 0` (``df = 1`` is Cauchy; large
        ``df`` approaches the normal).
    loc : array_like or sympy expression
        Location :math:`\mu` (median and mode), any real number.
    scale : array_like or sympy expression
        Scale :math:`s > 0` (not the standard deviation).

    Notes
    -----
    ``loc`` is the breakpoint. The mean exists for ``df > 1``, the variance
    ``scale**2 * df / (df - 2)`` for ``df > 2``.

    Examples
    --------
    >>> from anadiv import StudentT
    >>> float(StudentT(3.0, 0.0, 1.0).logpdf(0.0))  # doctest: +ELLIPSIS
    -1.000...
    """

    name = "studentt"
    scipy_name = "t"
    location = "loc"
    parameters = (
        Param("df", positive, (1.0, 30.0), "degrees of freedom"),
        Param("loc", real, (-3.0, 3.0), "location (median and mode)"),
        Param("scale", positive, (0.3, 3.0), "scale"),
    )

    def __init__(self, df: ParamValue, loc: ParamValue, scale: ParamValue, *, validate: bool = True) -> None:
        # explicit, so editors and type checkers see the parameters
        super().__init__(df, loc, scale, validate=validate)

    @staticmethod
    def _np_logpdf(x: np.ndarray, df: np.ndarray, loc: np.ndarray, scale: np.ndarray) -> np.ndarray:
        from scipy.special import gammaln

        z = (x - loc) / scale
        norm = gammaln((df + 1) / 2) - gammaln(df / 2) - 0.5 * (np.log(df) + _LOG_PI) - np.log(scale)
        return norm - (df + 1) / 2 * np.log1p(z * z / df)

    @staticmethod
    def _np_sample(
        rng: np.random.Generator, size: tuple[int, ...], df: np.ndarray, loc: np.ndarray, scale: np.ndarray
    ) -> np.ndarray:
        return loc + scale * rng.standard_t(np.broadcast_to(df, size))

    @staticmethod
    def _np_support(df: np.ndarray, loc: np.ndarray, scale: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        s = np.broadcast_shapes(np.shape(df), np.shape(loc), np.shape(scale))
        return np.full(s, -np.inf), np.full(s, np.inf)

    @staticmethod
    def _np_breakpoints(df: np.ndarray, loc: np.ndarray, scale: np.ndarray) -> tuple[np.ndarray, ...]:
        return (np.asarray(loc),)

    @classmethod
    def _from_scipy_params(cls, shapes: dict[str, Any], loc: Any, scale: Any) -> tuple[Any, ...]:
        return (shapes["df"], loc, scale)

    # ------------------------------------------------------------------ hooks
    torch_name = "StudentT"
    expectation_routes = {"pow": "tail_t", "exp": "tail", "abs": "tail", "logquad": "t_beta"}

    @staticmethod
    def _np_quantile(u: np.ndarray, df: np.ndarray, loc: np.ndarray, scale: np.ndarray) -> np.ndarray:
        from scipy.special import stdtrit

        return loc + scale * stdtrit(df, u)

    @staticmethod
    def _np_mean_var(df: np.ndarray, loc: np.ndarray, scale: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        # The mean exists for df > 1, the variance for df > 2.
        shape = np.broadcast_shapes(np.shape(df), np.shape(loc), np.shape(scale))
        with np.errstate(divide="ignore", invalid="ignore"):
            mean = np.where(df > 1, loc, np.nan)
            var = np.where(df > 2, scale * scale * df / (df - 2), np.inf)
        return np.broadcast_to(mean, shape), np.broadcast_to(var, shape)

    @staticmethod
    def _scipy_frozen(df: np.ndarray, loc: np.ndarray, scale: np.ndarray) -> Any:
        import scipy.stats

        return scipy.stats.t(df, loc, scale)

    @staticmethod
    def _torch_params(df: Any, loc: Any, scale: Any) -> dict[str, Any]:
        return {"df": df, "loc": loc, "scale": scale}

    @staticmethod
    def _np_log_neg_logpdf(x: np.ndarray, df: float, loc: float, scale: float) -> np.ndarray:
        # -log p = -c + (df + 1)/2 log(1 + z^2 / df) ~ -c + (df + 1)/2 (2 log|z| - log df)
        from scipy.special import gammaln

        c = gammaln((df + 1) / 2) - gammaln(df / 2) - 0.5 * np.log(df * np.pi) - np.log(scale)
        log_z = np.log(np.abs(x - loc)) - np.log(scale)
        return np.log(-c + 0.5 * (df + 1) * (2.0 * log_z - np.log(df)))

    @classmethod
    def sym_logpdf(cls, x: Any, df: Any, loc: Any, scale: Any) -> Any:
        import sympy

        z = (x - loc) / scale
        return (
            sympy.loggamma((df + 1) / 2)
            - sympy.loggamma(df / 2)
            - sympy.log(df * sympy.pi) / 2
            - sympy.log(scale)
            - (df + 1) / 2 * sympy.log(1 + z**2 / df)
        )

    @classmethod
    def sym_support(cls, df: Any, loc: Any, scale: Any) -> Any:
        import sympy

        return sympy.Interval(-sympy.oo, sympy.oo)

    @classmethod
    def sym_representation(cls) -> Any:
        import sympy

        from ._representation import Representation

        return Representation(
            lambda y, nu, m, s: [
                (
                    -sympy.oo,
                    sympy.oo,
                    sympy.gamma((nu + 1) / 2)
                    / (sympy.sqrt(nu * sympy.pi) * sympy.gamma(nu / 2))
                    * (1 + y**2 / nu) ** (-(nu + 1) / 2),
                )
            ],
            lambda y, nu, m, s: m + s * y,
            lambda x, nu, m, s: (x - m) / s,
            True,
            "X = loc + scale*Y, Y ~ t(df)",
            lambda nu, m, s: (m, s),
        )
