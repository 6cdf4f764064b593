"""Half-normal distribution: the absolute value of a centred normal."""

from __future__ import annotations

from typing import Any

import numpy as np

from ..constraints import positive
from ._base import Family, Param, ParamValue
from ._scipy import require_zero_loc

# Python floats, so float32 inputs are not promoted to float64.
_LOG_SQRT_2_OVER_PI = float(0.5 * np.log(2.0 / np.pi))


class HalfNormal(Family):
    r"""Half-normal distribution: :math:`X = \sigma |Z|` with :math:`Z \sim N(0, 1)`.

    scipy equivalent: ``scipy.stats.halfnorm(scale=scale)``; torch:
    ``HalfNormal(scale)``.

    .. math::

        \log p(x) = \tfrac12\log\frac{2}{\pi} - \log\sigma - \frac{x^2}{2\sigma^2},
        \quad x \ge 0

    Parameters
    ----------
    scale : array_like or sympy expression
        Scale :math:`\sigma > 0` (the standard deviation of the normal folded
        at 0).

    Notes
    -----
    An exponential family with sufficient statistic :math:`x^2`, natural
    parameter :math:`-1/(2\sigma^2)` and base measure :math:`\sqrt{2/\pi}` on
    :math:`x \ge 0`; mean :math:`\sigma\sqrt{2/\pi}`, variance
    :math:`\sigma^2(1 - 2/\pi)`.

    Examples
    --------
    >>> from anadiv import HalfNormal, kl
    >>> float(HalfNormal(1.0).logpdf(0.0))  # doctest: +ELLIPSIS
    -0.225...
    >>> round(kl(HalfNormal(1.0), HalfNormal(2.0)), 6)  # log 2 + 1/8 - 1/2
    0.318147
    """

    name = "halfnormal"
    scipy_name = "halfnorm"
    parameters = (Param("scale", positive, (0.3, 3.0), "scale (standard deviation of the folded normal)"),)

    def __init__(self, scale: ParamValue, *, validate: bool = True) -> None:
        # explicit, so editors and type checkers see the parameters
        super().__init__(scale, validate=validate)

    @staticmethod
    def _np_logpdf(x: np.ndarray, scale: np.ndarray) -> np.ndarray:
        inside = x >= 0
        z = np.where(inside, x, 0.0) / scale
        return np.where(inside, _LOG_SQRT_2_OVER_PI - np.log(scale) - 0.5 * z * z, -np.inf)

    @staticmethod
    def _np_sample(rng: np.random.Generator, size: tuple[int, ...], scale: np.ndarray) -> np.ndarray:
        return scale * np.abs(rng.standard_normal(size))

    @staticmethod
    def _np_support(scale: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        s = np.shape(scale)
        return np.zeros(s), np.full(s, np.inf)

    @staticmethod
    def _np_breakpoints(scale: np.ndarray) -> tuple[np.ndarray, ...]:
        # the mode sits at the support's start, 0 (a no-op split, as for a Weibull with shape <= 1)
        return (np.zeros(np.shape(scale)),)

    @classmethod
    def _from_scipy_params(cls, shapes: dict[str, Any], loc: Any, scale: Any) -> tuple[Any, ...]:
        require_zero_loc(loc, "halfnorm")
        return (scale,)

    # ------------------------------------------------------------------ hooks
    torch_name = "HalfNormal"
    exponential_family = True
    expectation_routes = {"pow": "mellin", "logpow": "mellin", "exp": "direct", "abs": "abs"}

    @staticmethod
    def _np_quantile(u: np.ndarray, scale: np.ndarray) -> np.ndarray:
        from scipy.special import ndtri

        # |Z| <= z with probability 2 Phi(z) - 1
        return scale * ndtri(0.5 + 0.5 * u)

    @staticmethod
    def _np_mean_var(scale: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        return scale * np.sqrt(2.0 / np.pi), scale * scale * (1.0 - 2.0 / np.pi)

    @staticmethod
    def _scipy_frozen(scale: np.ndarray) -> Any:
        import scipy.stats

        return scipy.stats.halfnorm(scale=scale)

    @staticmethod
    def _torch_params(scale: Any) -> dict[str, Any]:
        return {"scale": scale}

    @staticmethod
    def _np_log_neg_logpdf(x: np.ndarray, scale: float) -> np.ndarray:
        # -log p ~ x^2 / (2 scale^2) once that overflows (x > 1e154 scale)
        return 2.0 * np.log(x) - np.log(2.0 * scale * scale)

    @classmethod
    def sym_logpdf(cls, x: Any, scale: Any) -> Any:
        import sympy

        return sympy.log(2 / sympy.pi) / 2 - sympy.log(scale) - x**2 / (2 * scale**2)

    @classmethod
    def sym_support(cls, scale: Any) -> Any:
        import sympy

        return sympy.Interval(0, sympy.oo)

    @classmethod
    def sym_representation(cls) -> Any:
        import sympy

        from ._representation import Representation, std_normal_density

        return Representation(
            lambda y, s: [(0, sympy.oo, 2 * std_normal_density(y))],
            lambda y, s: s * y,
            lambda x, s: x / s,
            True,
            "X = scale*|Z|, Z ~ N(0, 1)",
        )

    # exponential family: eta = -1/(2 scale^2), T(x) = x^2, A(eta) = -log(-2 eta)/2, h(x) = sqrt(2/pi)
    @classmethod
    def sym_natural_params(cls, scale: Any) -> tuple[Any, ...]:
        return (-1 / (2 * scale**2),)

    @classmethod
    def sym_sufficient_statistics(cls, x: Any) -> tuple[Any, ...]:
        return (x**2,)

    @classmethod
    def sym_log_normalizer(cls, eta: Any) -> Any:
        import sympy

        return -sympy.log(-2 * eta) / 2

    @classmethod
    def sym_log_base_measure(cls, x: Any) -> Any:
        import sympy

        return sympy.log(2 / sympy.pi) / 2
