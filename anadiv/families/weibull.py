"""Weibull distribution (minimum extreme value type)."""

from __future__ import annotations

from typing import Any

import numpy as np

from ._base import UNSET, Family, Param, ParamValue
from ..constraints import positive
from ._scipy import require_zero_loc


class Weibull(Family):
    r"""Weibull distribution with shape :math:`k` and scale :math:`\lambda`.

    scipy equivalent: ``scipy.stats.weibull_min(c=shape, scale=scale)``;
    torch: ``Weibull(scale, concentration=shape)`` (note torch's order).

    .. math::

        \log p(x) = \log k - \log\lambda + (k-1)\log\frac{x}{\lambda}
                    - \left(\frac{x}{\lambda}\right)^k, \quad x \ge 0

    Parameters
    ----------
    shape : array_like or sympy expression
        Shape :math:`k > 0` (scipy's ``c``, torch's ``concentration``);
        ``shape = 1`` is the exponential distribution.
    scale : array_like or sympy expression
        Scale :math:`\lambda > 0`.

    Notes
    -----
    For ``shape > 1`` the mode ``scale * ((shape-1)/shape)**(1/shape)`` is
    the breakpoint; otherwise it sits at the support start 0 (a no-op
    split). The density is infinite at 0 for ``shape < 1``.

    Examples
    --------
    >>> from anadiv import Weibull
    >>> float(Weibull(2.0, 1.0).logpdf(1.0))  # doctest: +ELLIPSIS
    -0.306...
    """

    name = "weibull"
    scipy_name = "weibull_min"
    parameters = (
        Param("shape", positive, (0.6, 5.0), "shape (concentration)", aliases=("concentration", "c")),
        Param("scale", positive, (0.3, 3.0), "scale"),
    )

    def __init__(
        self, shape: ParamValue = UNSET, scale: ParamValue = UNSET, *,
        concentration: ParamValue = UNSET, c: ParamValue = UNSET, validate: bool = True,
    ) -> None:
        # explicit, so editors and type checkers see the parameters; the aliases are torch's and scipy's names
        super().__init__(shape, scale, concentration=concentration, c=c, validate=validate)

    @staticmethod
    def _np_logpdf(x: np.ndarray, shape: np.ndarray, scale: np.ndarray) -> np.ndarray:
        from scipy.special import xlogy

        inside = x >= 0
        t = np.where(inside, x, 1.0) / scale
        with np.errstate(divide="ignore", invalid="ignore"):
            out = np.log(shape) - np.log(scale) + xlogy(shape - 1, t) - t**shape
        return np.where(inside, out, -np.inf)

    @staticmethod
    def _np_sample(rng: np.random.Generator, size: tuple[int, ...], shape: np.ndarray, scale: np.ndarray) -> np.ndarray:
        return scale * rng.weibull(np.broadcast_to(shape, size))

    @staticmethod
    def _np_support(shape: np.ndarray, scale: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        s = np.broadcast_shapes(np.shape(shape), np.shape(scale))
        return np.zeros(s), np.full(s, np.inf)

    @staticmethod
    def _np_breakpoints(shape: np.ndarray, scale: np.ndarray) -> tuple[np.ndarray, ...]:
        k = np.asarray(shape)
        with np.errstate(divide="ignore", invalid="ignore"):
            mode = scale * np.abs((k - 1) / k) ** (1 / k)
        return (np.where(k > 1, mode, 0.0),)

    @classmethod
    def _from_scipy_params(cls, shapes: dict[str, Any], loc: Any, scale: Any) -> tuple[Any, ...]:
        require_zero_loc(loc, "weibull_min")
        return (shapes["c"], scale)

    # ------------------------------------------------------------------ hooks
    torch_name = "Weibull"
    expectation_routes = {"pow": "mellin", "logpow": "mellin", "abs": "abs"}

    @staticmethod
    def _np_quantile(u: np.ndarray, shape: np.ndarray, scale: np.ndarray) -> np.ndarray:
        return scale * (-np.log1p(-u)) ** (1.0 / shape)

    @staticmethod
    def _np_mean_var(shape: np.ndarray, scale: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        from scipy.special import gamma

        g1 = gamma(1 + 1 / shape)
        return scale * g1, scale * scale * (gamma(1 + 2 / shape) - g1**2)

    @staticmethod
    def _scipy_frozen(shape: np.ndarray, scale: np.ndarray) -> Any:
        import scipy.stats

        return scipy.stats.weibull_min(shape, scale=scale)

    @staticmethod
    def _torch_params(shape: Any, scale: Any) -> dict[str, Any]:
        return {"scale": scale, "concentration": shape}

    @staticmethod
    def _np_log_neg_logpdf(x: np.ndarray, shape: float, scale: float) -> np.ndarray:
        # -log p ~ (x / scale)^shape once that overflows
        return shape * (np.log(x) - np.log(scale))

    @classmethod
    def sym_logpdf(cls, x: Any, shape: Any, scale: Any) -> Any:
        import sympy

        return (
            sympy.log(shape)
            - sympy.log(scale)
            + (shape - 1) * (sympy.log(x) - sympy.log(scale))
            - (x / scale) ** shape
        )

    @classmethod
    def sym_support(cls, shape: Any, scale: Any) -> Any:
        import sympy

        return sympy.Interval(0, sympy.oo)

    @classmethod
    def sym_representation(cls) -> Any:
        import sympy

        from ._representation import Representation, exp1_density

        return Representation(
            lambda y, k, lam: [(0, sympy.oo, exp1_density(y))],
            lambda y, k, lam: lam * y ** (1 / k),
            lambda x, k, lam: (x / lam) ** k,
            True,
            "X = scale*E**(1/shape), E ~ Exp(1)",
        )
