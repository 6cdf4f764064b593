"""Beta distribution on the unit interval."""

from __future__ import annotations

from typing import Any

import numpy as np

from ._base import UNSET, Family, Param, ParamValue
from ..constraints import positive
from ._scipy import require_unit_scale, require_zero_loc


class Beta(Family):
    r"""Beta distribution with shape parameters :math:`a, b` on :math:`[0, 1]`.

    scipy equivalent: ``scipy.stats.beta(a, b)``; torch:
    ``Beta(concentration1=a, concentration0=b)``.

    .. math::

        \log p(x) = (a-1)\log x + (b-1)\log(1-x) - \log B(a, b), \quad 0 \le x \le 1,

    with :math:`\log B(a,b) = \log\Gamma(a) + \log\Gamma(b) - \log\Gamma(a+b)`.

    Parameters
    ----------
    a : array_like or sympy expression
        First shape parameter, > 0 (pulls mass towards 1).
    b : array_like or sympy expression
        Second shape parameter, > 0 (pulls mass towards 0).

    Notes
    -----
    When ``a > 1`` and ``b > 1`` the interior mode ``(a-1)/(a+b-2)`` is the
    breakpoint; otherwise the breakpoint sits at the support start 0 (a no-op
    split). The density is infinite at 0 when ``a < 1`` and at 1 when ``b < 1``.

    Examples
    --------
    >>> from anadiv import Beta
    >>> float(Beta(2.0, 3.0).logpdf(0.25))  # doctest: +ELLIPSIS
    0.523...
    """

    name = "beta"
    scipy_name = "beta"
    parameters = (
        Param("a", positive, (0.5, 5.0), "first shape parameter (concentration1)", aliases=("concentration1",)),
        Param("b", positive, (0.5, 5.0), "second shape parameter (concentration0)", aliases=("concentration0",)),
    )

    def __init__(
        self, a: ParamValue = UNSET, b: ParamValue = UNSET, *,
        concentration1: ParamValue = UNSET, concentration0: ParamValue = UNSET, validate: bool = True,
    ) -> None:
        # explicit, so editors and type checkers see the parameters; the aliases are torch's and scipy's names
        super().__init__(a, b, concentration1=concentration1, concentration0=concentration0, validate=validate)

    @staticmethod
    def _np_logpdf(x: np.ndarray, a: np.ndarray, b: np.ndarray) -> np.ndarray:
        from scipy.special import betaln, xlog1py, xlogy

        inside = (x >= 0) & (x <= 1)
        xs = np.where(inside, x, 0.5)
        with np.errstate(divide="ignore", invalid="ignore"):
            out = xlogy(a - 1, xs) + xlog1py(b - 1, -xs) - betaln(a, b)
        return np.where(inside, out, -np.inf)

    @staticmethod
    def _np_sample(rng: np.random.Generator, size: tuple[int, ...], a: np.ndarray, b: np.ndarray) -> np.ndarray:
        return rng.beta(a, b, size)

    @staticmethod
    def _np_support(a: np.ndarray, b: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        s = np.broadcast_shapes(np.shape(a), np.shape(b))
        return np.zeros(s), np.ones(s)

    @staticmethod
    def _np_breakpoints(a: np.ndarray, b: np.ndarray) -> tuple[np.ndarray, ...]:
        interior = (a > 1) & (b > 1)
        with np.errstate(divide="ignore", invalid="ignore"):
            mode = (a - 1) / (a + b - 2)
        return (np.where(interior, mode, 0.0),)

    @classmethod
    def _from_scipy_params(cls, shapes: dict[str, Any], loc: Any, scale: Any) -> tuple[Any, ...]:
        require_zero_loc(loc, "beta")
        require_unit_scale(scale, "beta")
        return (shapes["a"], shapes["b"])

    # ------------------------------------------------------------------ hooks
    torch_name = "Beta"
    exponential_family = True
    expectation_routes = {"pow": "mellin", "logpow": "mellin", "log1m": "mellin", "abs": "abs"}

    @staticmethod
    def _np_quantile(u: np.ndarray, a: np.ndarray, b: np.ndarray) -> np.ndarray:
        from scipy.special import betaincinv

        return betaincinv(a, b, u)

    @staticmethod
    def _np_mean_var(a: np.ndarray, b: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        return a / (a + b), a * b / ((a + b) ** 2 * (a + b + 1))

    @staticmethod
    def _scipy_frozen(a: np.ndarray, b: np.ndarray) -> Any:
        import scipy.stats

        return scipy.stats.beta(a, b)

    @staticmethod
    def _torch_params(a: Any, b: Any) -> dict[str, Any]:
        return {"concentration1": a, "concentration0": b}

    @classmethod
    def sym_logpdf(cls, x: Any, a: Any, b: Any) -> Any:
        import sympy

        log_beta = sympy.loggamma(a) + sympy.loggamma(b) - sympy.loggamma(a + b)
        return (a - 1) * sympy.log(x) + (b - 1) * sympy.log(1 - x) - log_beta

    @classmethod
    def sym_support(cls, a: Any, b: Any) -> Any:
        import sympy

        return sympy.Interval(0, 1)

    @classmethod
    def sym_representation(cls) -> Any:
        import sympy

        from ._representation import Representation

        return Representation(
            lambda y, a, b: [(0, 1, y ** (a - 1) * (1 - y) ** (b - 1) / sympy.beta(a, b))],
            lambda y, a, b: y,
            lambda x, a, b: x,
            True,
            "X with density x**(a-1)*(1-x)**(b-1)/B(a, b)",
        )

    # exponential family: eta = (a - 1, b - 1), T(x) = (log x, log(1 - x))
    @classmethod
    def sym_natural_params(cls, a: Any, b: Any) -> tuple[Any, ...]:
        return (a - 1, b - 1)

    @classmethod
    def sym_sufficient_statistics(cls, x: Any) -> tuple[Any, ...]:
        import sympy

        return (sympy.log(x), sympy.log(1 - x))

    @classmethod
    def sym_log_normalizer(cls, eta1: Any, eta2: Any) -> Any:
        import sympy

        return sympy.loggamma(eta1 + 1) + sympy.loggamma(eta2 + 1) - sympy.loggamma(eta1 + eta2 + 2)

    @classmethod
    def sym_log_base_measure(cls, x: Any) -> Any:
        import sympy

        return sympy.Integer(0)
