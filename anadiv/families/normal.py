"""Univariate normal (Gaussian) distribution."""

from __future__ import annotations

from typing import Any

import numpy as np

from ._base import UNSET, Family, Param, ParamValue
from ..constraints import positive, real

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
        Param("mu", real, (-3.0, 3.0), "mean", aliases=("loc",)),
        Param("sigma", positive, (0.3, 3.0), "standard deviation", aliases=("scale",)),
    )

    def __init__(
        self, mu: ParamValue = UNSET, sigma: ParamValue = UNSET, *,
        loc: ParamValue = UNSET, scale: ParamValue = UNSET, validate: bool = True,
    ) -> None:
        # explicit, so editors and type checkers see the parameters; the aliases are torch's and scipy's names
        super().__init__(mu, sigma, loc=loc, scale=scale, validate=validate)

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

    # ------------------------------------------------------------------ hooks
    torch_name = "Normal"
    is_gaussian = True
    exponential_family = True
    expectation_routes = {"pow": "mgf", "exp": "mgf", "abs": "abs"}

    @staticmethod
    def _np_quantile(u: np.ndarray, mu: np.ndarray, sigma: np.ndarray) -> np.ndarray:
        from scipy.special import ndtri

        return mu + sigma * ndtri(u)

    @staticmethod
    def _np_mean_var(mu: np.ndarray, sigma: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        return mu, sigma * sigma

    @staticmethod
    def _np_gaussian(mu: np.ndarray, sigma: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        mu, sigma = (np.asarray(v, dtype=float) for v in (mu, sigma))
        return mu.reshape(1), (sigma**2).reshape(1, 1)

    @staticmethod
    def _scipy_frozen(mu: np.ndarray, sigma: np.ndarray) -> Any:
        import scipy.stats

        return scipy.stats.norm(mu, sigma)

    @staticmethod
    def _torch_params(mu: Any, sigma: Any) -> dict[str, Any]:
        return {"loc": mu, "scale": sigma}

    @staticmethod
    def _np_log_neg_logpdf(x: np.ndarray, mu: float, sigma: float) -> np.ndarray:
        # -log p ~ z^2 / 2 once z^2 overflows (|z| > 1e154); the constant is below rounding
        return 2.0 * np.log(np.abs(x - mu)) - np.log(2.0 * sigma * sigma)

    @classmethod
    def sym_logpdf(cls, x: Any, mu: Any, sigma: Any) -> Any:
        import sympy

        return -((x - mu) ** 2) / (2 * sigma**2) - sympy.log(sigma) - sympy.log(2 * sympy.pi) / 2

    @classmethod
    def sym_support(cls, mu: Any, sigma: Any) -> Any:
        import sympy

        return sympy.Interval(-sympy.oo, sympy.oo)

    @classmethod
    def sym_representation(cls) -> Any:
        import sympy

        from ._representation import Representation, std_normal_density

        return Representation(
            lambda y, mu, s: [(-sympy.oo, sympy.oo, std_normal_density(y))],
            lambda y, mu, s: mu + s * y,
            lambda x, mu, s: (x - mu) / s,
            True,
            "X = mu + sigma*Z, Z ~ N(0, 1)",
            lambda mu, s: (mu, s),
        )

    # exponential family: eta = (mu/sigma^2, -1/(2 sigma^2)), T(x) = (x, x^2)
    @classmethod
    def sym_natural_params(cls, mu: Any, sigma: Any) -> tuple[Any, ...]:
        return (mu / sigma**2, -1 / (2 * sigma**2))

    @classmethod
    def sym_sufficient_statistics(cls, x: Any) -> tuple[Any, ...]:
        return (x, x**2)

    @classmethod
    def sym_log_normalizer(cls, eta1: Any, eta2: Any) -> Any:
        import sympy

        return -(eta1**2) / (4 * eta2) - sympy.log(-2 * eta2) / 2

    @classmethod
    def sym_log_base_measure(cls, x: Any) -> Any:
        import sympy

        return -sympy.log(2 * sympy.pi) / 2
