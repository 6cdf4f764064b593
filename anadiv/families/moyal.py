"""Moyal distribution: Landau's energy-loss law in Moyal's approximation."""

from __future__ import annotations

from typing import Any

import numpy as np

from ..constraints import positive, real
from ._base import Family, Param, ParamValue

# Python floats, so float32 inputs are not promoted to float64.
_LOG2 = float(np.log(2.0))
_HALF_LOG_2PI = float(0.5 * np.log(2.0 * np.pi))


class Moyal(Family):
    r"""Moyal distribution, location :math:`\mu`, scale :math:`\beta`: :math:`X = \mu - \beta\log Y`, :math:`Y \sim \chi^2_1`.

    scipy equivalent: ``scipy.stats.moyal(loc=loc, scale=scale)``;
    TensorFlow Probability: ``Moyal(loc, scale)``; torch has none.

    .. math::

        \log p(x) = -\log\beta - \tfrac12\log(2\pi) - \frac{z + e^{-z}}{2},
        \quad z = \frac{x - \mu}{\beta}

    Parameters
    ----------
    loc : array_like or sympy expression
        Location :math:`\mu` (the mode), any real number.
    scale : array_like or sympy expression
        Scale :math:`\beta > 0`.

    Notes
    -----
    ``exp(-z)`` is a chi-squared variable with one degree of freedom, so the
    moment generating function is :math:`E[e^{tX}] = e^{t\mu} 2^{-t\beta}
    \Gamma(1/2 - t\beta)/\Gamma(1/2)` for :math:`t\beta < 1/2`; mean
    :math:`\mu + \beta(\gamma + \log 2)`, variance :math:`\pi^2\beta^2/2`.
    The mode ``loc`` is the breakpoint.

    Examples
    --------
    >>> import math
    >>> from anadiv import Moyal, kl
    >>> bool(abs(float(Moyal(0.0, 1.0).logpdf(0.0)) + 0.5 + 0.5 * math.log(2 * math.pi)) < 1e-15)
    True
    >>> kl(Moyal(1.0, 2.0), Moyal(1.0, 2.0))
    0.0
    """

    name = "moyal"
    scipy_name = "moyal"
    location = "loc"
    parameters = (
        Param("loc", real, (-3.0, 3.0), "location (mode)"),
        Param("scale", positive, (0.3, 3.0), "scale"),
    )

    def __init__(self, loc: ParamValue, scale: ParamValue, *, validate: bool = True) -> None:
        # explicit, so editors and type checkers see the parameters
        super().__init__(loc, scale, validate=validate)

    @staticmethod
    def _np_logpdf(x: np.ndarray, loc: np.ndarray, scale: np.ndarray) -> np.ndarray:
        z = (x - loc) / scale
        with np.errstate(over="ignore"):
            return -np.log(scale) - _HALF_LOG_2PI - 0.5 * (z + np.exp(-z))

    @staticmethod
    def _np_sample(rng: np.random.Generator, size: tuple[int, ...], loc: np.ndarray, scale: np.ndarray) -> np.ndarray:
        # -log(Z^2) = -2 log|Z| for a standard normal Z
        with np.errstate(divide="ignore"):
            return loc - 2.0 * scale * np.log(np.abs(rng.standard_normal(size)))

    @staticmethod
    def _np_support(loc: np.ndarray, scale: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        s = np.broadcast_shapes(np.shape(loc), np.shape(scale))
        return np.full(s, -np.inf), np.full(s, np.inf)

    @staticmethod
    def _np_breakpoints(loc: np.ndarray, scale: np.ndarray) -> tuple[np.ndarray, ...]:
        return (np.asarray(loc),)

    @classmethod
    def _from_scipy_params(cls, shapes: dict[str, Any], loc: Any, scale: Any) -> tuple[Any, ...]:
        return (loc, scale)

    # ------------------------------------------------------------------ hooks
    torch_name = None  # torch.distributions has no Moyal
    _torch_params = None
    expectation_routes = {"pow": "mgf", "exp": "mgf", "abs": "abs"}

    @staticmethod
    def _np_quantile(u: np.ndarray, loc: np.ndarray, scale: np.ndarray) -> np.ndarray:
        from scipy.special import gammainccinv

        # X <= x exactly when the chi-squared variable exp(-z) >= exp(-z(x)): P = Q(1/2, exp(-z)/2)
        return loc - scale * (_LOG2 + np.log(gammainccinv(0.5, u)))

    @staticmethod
    def _np_mean_var(loc: np.ndarray, scale: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        return loc + (np.euler_gamma + _LOG2) * scale, np.pi**2 / 2 * scale * scale

    @staticmethod
    def _scipy_frozen(loc: np.ndarray, scale: np.ndarray) -> Any:
        import scipy.stats

        return scipy.stats.moyal(loc, scale)

    @staticmethod
    def _np_log_neg_logpdf(x: np.ndarray, loc: float, scale: float) -> np.ndarray:
        # -log p = c + (z + e^-z)/2 with c = log(scale sqrt(2 pi)); far left (z << 0) it is
        # e^-z/2 (1 + (z + 2c) e^z); far right (z >> 0, where z itself may overflow) it is z/2.
        z = (x - loc) / scale
        c = np.log(scale) + _HALF_LOG_2PI
        right = np.log(np.abs(x - loc)) - np.log(scale) - _LOG2
        return np.where(x > loc, right, -z - _LOG2 + np.log1p((z + 2.0 * c) * np.exp(z)))

    @classmethod
    def sym_logpdf(cls, x: Any, loc: Any, scale: Any) -> Any:
        import sympy

        z = (x - loc) / scale
        return -sympy.log(scale) - sympy.log(2 * sympy.pi) / 2 - (z + sympy.exp(-z)) / 2

    @classmethod
    def sym_support(cls, loc: Any, scale: Any) -> Any:
        import sympy

        return sympy.Interval(-sympy.oo, sympy.oo)

    @classmethod
    def sym_representation(cls) -> Any:
        import sympy

        from ._representation import Representation

        return Representation(
            lambda y, m, s: [(0, sympy.oo, sympy.exp(-y / 2) / sympy.sqrt(2 * sympy.pi * y))],
            lambda y, m, s: m - s * sympy.log(y),
            lambda x, m, s: sympy.exp(-(x - m) / s),
            False,
            "X = loc - scale*log(Y), Y ~ chi-squared(1)",
        )
