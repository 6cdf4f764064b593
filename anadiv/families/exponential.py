"""Exponential distribution."""

from __future__ import annotations

from typing import Any

import numpy as np

from ._base import Family, Param, ParamValue
from ..constraints import positive
from ._scipy import require_zero_loc


class Exponential(Family):
    r"""Exponential distribution with rate :math:`\lambda` (scipy's ``expon(scale=1/rate)``).

    .. math:: \log p(x) = \log\lambda - \lambda x, \quad x \ge 0

    Parameters
    ----------
    rate : array_like or sympy expression
        Rate :math:`\lambda > 0` (the mean is ``1/rate``), as in torch.

    Examples
    --------
    >>> from anadiv import Exponential
    >>> float(Exponential(2.0).logpdf(0.5))  # doctest: +ELLIPSIS
    -0.306...
    """

    name = "exponential"
    scipy_name = "expon"
    parameters = (Param("rate", positive, (0.2, 5.0), "rate (inverse mean)",
              reparametrizations=(("scale", "scipy's scale is 1/rate: pass rate=1/scale"),)),)

    def __init__(self, rate: ParamValue, *, validate: bool = True) -> None:
        # explicit, so editors and type checkers see the parameters
        super().__init__(rate, validate=validate)

    @staticmethod
    def _np_logpdf(x: np.ndarray, rate: np.ndarray) -> np.ndarray:
        with np.errstate(invalid="ignore"):
            out = np.log(rate) - rate * x
        return np.where(x >= 0, out, -np.inf)

    @staticmethod
    def _np_sample(rng: np.random.Generator, size: tuple[int, ...], rate: np.ndarray) -> np.ndarray:
        return rng.standard_exponential(size) / rate

    @staticmethod
    def _np_support(rate: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        shape = np.shape(rate)
        return np.zeros(shape), np.full(shape, np.inf)

    @classmethod
    def _from_scipy_params(cls, shapes: dict[str, Any], loc: Any, scale: Any) -> tuple[Any, ...]:
        require_zero_loc(loc, "expon")
        return (1.0 / np.asarray(scale, dtype=float),)

    # ------------------------------------------------------------------ hooks
    torch_name = "Exponential"
    exponential_family = True
    expectation_routes = {"pow": "mellin", "logpow": "mellin", "exp": "direct", "abs": "abs"}

    @staticmethod
    def _np_quantile(u: np.ndarray, rate: np.ndarray) -> np.ndarray:
        return -np.log1p(-u) / rate

    @staticmethod
    def _np_mean_var(rate: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        return 1 / rate, 1 / (rate * rate)

    @staticmethod
    def _scipy_frozen(rate: np.ndarray) -> Any:
        import scipy.stats

        return scipy.stats.expon(scale=1 / rate)

    @staticmethod
    def _torch_params(rate: Any) -> dict[str, Any]:
        return {"rate": rate}

    @staticmethod
    def _np_log_neg_logpdf(x: np.ndarray, rate: float) -> np.ndarray:
        # -log p = rate x - log rate ~ rate x once that overflows
        return np.log(x) + np.log(rate)

    @classmethod
    def sym_logpdf(cls, x: Any, rate: Any) -> Any:
        import sympy

        return sympy.log(rate) - rate * x

    @classmethod
    def sym_support(cls, rate: Any) -> Any:
        import sympy

        return sympy.Interval(0, sympy.oo)

    @classmethod
    def sym_representation(cls) -> Any:
        import sympy

        from ._representation import Representation, exp1_density

        return Representation(
            lambda y, r: [(0, sympy.oo, exp1_density(y))],
            lambda y, r: y / r,
            lambda x, r: r * x,
            True,
            "X = E/rate, E ~ Exp(1)",
        )

    # exponential family: eta = -rate, T(x) = x
    @classmethod
    def sym_natural_params(cls, rate: Any) -> tuple[Any, ...]:
        return (-rate,)

    @classmethod
    def sym_sufficient_statistics(cls, x: Any) -> tuple[Any, ...]:
        return (x,)

    @classmethod
    def sym_log_normalizer(cls, eta: Any) -> Any:
        import sympy

        return -sympy.log(-eta)

    @classmethod
    def sym_log_base_measure(cls, x: Any) -> Any:
        import sympy

        return sympy.Integer(0)
