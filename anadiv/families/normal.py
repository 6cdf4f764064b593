"""Univariate normal (Gaussian) distribution."""

from __future__ import annotations

from typing import Any

import numpy as np

from ._base import Family, Param
from .constraints import positive, real

# A Python float, so float32 inputs are not promoted to float64.
_LOG_SQRT_2PI = float(0.5 * np.log(2.0 * np.pi))


class Normal(Family):
    r"""Normal distribution :math:`N(\mu, \sigma^2)` (scipy's ``norm(loc=mu, scale=sigma)``).

    .. math:: \log p(x) = -\frac{(x-\mu)^2}{2\sigma^2} - \log\sigma - \tfrac12\log(2\pi)

    Parameters
    ----------
    mu : array_like or sympy expression
        Mean, any real number.
    sigma : array_like or sympy expression
        Standard deviation, > 0.

    Examples
    --------
    >>> from anadiv import Normal
    >>> float(Normal(0.0, 2.0).logpdf(0.0))  # doctest: +ELLIPSIS
    -1.612...
    """

    name = "normal"
    scipy_name = "norm"
    location = "mu"
    parameters = (
        Param("mu", real, (-3.0, 3.0), "mean"),
        Param("sigma", positive, (0.3, 3.0), "standard deviation"),
    )

    @staticmethod
    def _np_logpdf(x: np.ndarray, mu: np.ndarray, sigma: np.ndarray) -> np.ndarray:
        z = (x - mu) / sigma
        return -0.5 * z * z - np.log(sigma) - _LOG_SQRT_2PI

    @staticmethod
    def _np_sample(rng: np.random.Generator, size: tuple[int, ...], mu: np.ndarray, sigma: np.ndarray) -> np.ndarray:
        return mu + sigma * rng.standard_normal(size)

    @staticmethod
    def _np_support(mu: np.ndarray, sigma: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        shape = np.broadcast_shapes(np.shape(mu), np.shape(sigma))
        return np.full(shape, -np.inf), np.full(shape, np.inf)

    @staticmethod
    def _np_breakpoints(mu: np.ndarray, sigma: np.ndarray) -> tuple[np.ndarray, ...]:
        return (np.asarray(mu),)

    @classmethod
    def _from_scipy_params(cls, shapes: dict[str, Any], loc: Any, scale: Any) -> tuple[Any, ...]:
        return (loc, scale)

    @classmethod
    def sym_logpdf(cls, x: Any, mu: Any, sigma: Any) -> Any:
        import sympy

        return -((x - mu) ** 2) / (2 * sigma**2) - sympy.log(sigma) - sympy.log(2 * sympy.pi) / 2

    @classmethod
    def sym_support(cls, mu: Any, sigma: Any) -> Any:
        import sympy

        return sympy.Interval(-sympy.oo, sympy.oo)
