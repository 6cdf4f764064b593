"""Exponential distribution."""

from __future__ import annotations

from typing import Any

import numpy as np

from ._base import Family, Param
from .constraints import positive
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
    parameters = (Param("rate", positive, (0.2, 5.0), "rate (inverse mean)"),)

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

    @classmethod
    def sym_logpdf(cls, x: Any, rate: Any) -> Any:
        import sympy

        return sympy.log(rate) - rate * x

    @classmethod
    def sym_support(cls, rate: Any) -> Any:
        import sympy

        return sympy.Interval(0, sympy.oo)
