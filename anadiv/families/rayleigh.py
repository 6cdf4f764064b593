"""Rayleigh distribution: the length of a centred isotropic 2-d normal vector."""

from __future__ import annotations

from typing import Any

import numpy as np

from ..constraints import positive
from ._base import Family, Param, ParamValue
from ._scipy import require_zero_loc


class Rayleigh(Family):
    r"""Rayleigh distribution with scale :math:`\sigma`: :math:`X = \sigma\sqrt{2E}`, :math:`E \sim \mathrm{Exp}(1)`.

    scipy equivalent: ``scipy.stats.rayleigh(scale=scale)``; torch has none.

    .. math::

        \log p(x) = \log x - 2\log\sigma - \frac{x^2}{2\sigma^2}, \quad x \ge 0

    Parameters
    ----------
    scale : array_like or sympy expression
        Scale :math:`\sigma > 0` (the mode).

    Notes
    -----
    An exponential family with sufficient statistic :math:`x^2`, natural
    parameter :math:`-1/(2\sigma^2)` and base measure :math:`x` on
    :math:`x \ge 0`; mean :math:`\sigma\sqrt{\pi/2}`, variance
    :math:`\sigma^2(4 - \pi)/2`, entropy :math:`1 + \log(\sigma/\sqrt2) + \gamma/2`.

    Examples
    --------
    >>> from anadiv import Rayleigh, kl
    >>> float(Rayleigh(1.0).logpdf(1.0))
    -0.5
    >>> round(kl(Rayleigh(1.0), Rayleigh(2.0)), 6)  # 2 log 2 + 1/4 - 1
    0.636294
    """

    name = "rayleigh"
    scipy_name = "rayleigh"
    parameters = (Param("scale", positive, (0.3, 3.0), "scale (the mode)"),)

    def __init__(self, scale: ParamValue, *, validate: bool = True) -> None:
        # explicit, so editors and type checkers see the parameters
        super().__init__(scale, validate=validate)

    @staticmethod
    def _np_logpdf(x: np.ndarray, scale: np.ndarray) -> np.ndarray:
        inside = x >= 0
        z = np.where(inside, x, 0.0) / scale
        with np.errstate(divide="ignore"):
            out = np.log(z) - np.log(scale) - 0.5 * z * z
        return np.where(inside, out, -np.inf)

    @staticmethod
    def _np_sample(rng: np.random.Generator, size: tuple[int, ...], scale: np.ndarray) -> np.ndarray:
        return scale * np.sqrt(2.0 * rng.standard_exponential(size))

    @staticmethod
    def _np_support(scale: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        s = np.shape(scale)
        return np.zeros(s), np.full(s, np.inf)

    @staticmethod
    def _np_breakpoints(scale: np.ndarray) -> tuple[np.ndarray, ...]:
        return (np.asarray(scale, dtype=float),)

    @classmethod
    def _from_scipy_params(cls, shapes: dict[str, Any], loc: Any, scale: Any) -> tuple[Any, ...]:
        require_zero_loc(loc, "rayleigh")
        return (scale,)

    # ------------------------------------------------------------------ hooks
    torch_name = None  # torch.distributions has no Rayleigh
    exponential_family = True
    expectation_routes = {"pow": "mellin", "logpow": "mellin", "exp": "direct", "abs": "abs"}

    @staticmethod
    def _np_quantile(u: np.ndarray, scale: np.ndarray) -> np.ndarray:
        return scale * np.sqrt(-2.0 * np.log1p(-u))

    @staticmethod
    def _np_mean_var(scale: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        return scale * np.sqrt(np.pi / 2.0), scale * scale * (2.0 - np.pi / 2.0)

    @staticmethod
    def _scipy_frozen(scale: np.ndarray) -> Any:
        import scipy.stats

        return scipy.stats.rayleigh(scale=scale)

    _torch_params = None

    @staticmethod
    def _np_log_neg_logpdf(x: np.ndarray, scale: float) -> np.ndarray:
        # -log p ~ x^2 / (2 scale^2) once that overflows (x > 1e154 scale)
        return 2.0 * np.log(x) - np.log(2.0 * scale * scale)

    @classmethod
    def sym_logpdf(cls, x: Any, scale: Any) -> Any:
        import sympy

        return sympy.log(x) - 2 * sympy.log(scale) - x**2 / (2 * scale**2)

    @classmethod
    def sym_support(cls, scale: Any) -> Any:
        import sympy

        return sympy.Interval(0, sympy.oo)

    @classmethod
    def sym_representation(cls) -> Any:
        import sympy

        from ._representation import Representation

        return Representation(
            lambda y, s: [(0, sympy.oo, y * sympy.exp(-(y**2) / 2))],
            lambda y, s: s * y,
            lambda x, s: x / s,
            True,
            "X = scale*R, R standard Rayleigh (density y exp(-y**2/2))",
        )

    # exponential family: eta = -1/(2 scale^2), T(x) = x^2, A(eta) = -log(-2 eta), h(x) = x
    @classmethod
    def sym_natural_params(cls, scale: Any) -> tuple[Any, ...]:
        return (-1 / (2 * scale**2),)

    @classmethod
    def sym_sufficient_statistics(cls, x: Any) -> tuple[Any, ...]:
        return (x**2,)

    @classmethod
    def sym_log_normalizer(cls, eta: Any) -> Any:
        import sympy

        return -sympy.log(-2 * eta)

    @classmethod
    def sym_log_base_measure(cls, x: Any) -> Any:
        import sympy

        return sympy.log(x)
