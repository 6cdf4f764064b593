"""Log-normal distribution."""

from __future__ import annotations

from typing import Any

import numpy as np

from ._base import UNSET, Family, Param, ParamValue
from ..constraints import positive, real
from ._scipy import require_zero_loc

_LOG_SQRT_2PI = float(0.5 * np.log(2.0 * np.pi))


class LogNormal(Family):
    r"""Log-normal distribution: :math:`\log X \sim N(\mu, \sigma^2)`.

    scipy equivalent: ``scipy.stats.lognorm(s=sigma, scale=exp(mu))``; torch:
    ``LogNormal(loc=mu, scale=sigma)``.

    .. math::

        \log p(x) = -\log x - \log\sigma - \tfrac12\log(2\pi)
                    - \frac{(\log x - \mu)^2}{2\sigma^2}, \quad x > 0

    Parameters
    ----------
    mu : array_like or sympy expression
        Mean of ``log X``, any real number (``exp(mu)`` is the median).
    sigma : array_like or sympy expression
        Standard deviation of ``log X``, > 0.

    Notes
    -----
    Breakpoints: the mode ``exp(mu - sigma**2)`` and the median ``exp(mu)``
    (the density is sharply peaked for small ``sigma``). The symbolic support
    is the closed half-line ``[0, oo)`` like the other positive families (the
    density is 0 at 0), so supports compare consistently.

    Examples
    --------
    >>> from anadiv import LogNormal
    >>> float(LogNormal(0.0, 1.0).logpdf(1.0))  # doctest: +ELLIPSIS
    -0.918...
    """

    name = "lognormal"
    scipy_name = "lognorm"
    parameters = (
        Param("mu", real, (-1.0, 1.0), "mean of log X", aliases=("loc",)),
        Param("sigma", positive, (0.3, 1.5), "standard deviation of log X", aliases=("scale", "s")),
    )

    def __init__(
        self, mu: ParamValue = UNSET, sigma: ParamValue = UNSET, *,
        loc: ParamValue = UNSET, scale: ParamValue = UNSET, s: ParamValue = UNSET, validate: bool = True,
    ) -> None:
        # explicit, so editors and type checkers see the parameters; the aliases are torch's and scipy's names
        super().__init__(mu, sigma, loc=loc, scale=scale, s=s, validate=validate)

    @staticmethod
    def _np_logpdf(x: np.ndarray, mu: np.ndarray, sigma: np.ndarray) -> np.ndarray:
        inside = x > 0
        xs = np.where(inside, x, 1.0)
        lx = np.log(xs)
        z = (lx - mu) / sigma
        out = -lx - np.log(sigma) - _LOG_SQRT_2PI - 0.5 * z * z
        return np.where(inside, out, -np.inf)

    @staticmethod
    def _np_sample(rng: np.random.Generator, size: tuple[int, ...], mu: np.ndarray, sigma: np.ndarray) -> np.ndarray:
        return np.exp(mu + sigma * rng.standard_normal(size))

    @staticmethod
    def _np_support(mu: np.ndarray, sigma: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        s = np.broadcast_shapes(np.shape(mu), np.shape(sigma))
        return np.zeros(s), np.full(s, np.inf)

    @staticmethod
    def _np_breakpoints(mu: np.ndarray, sigma: np.ndarray) -> tuple[np.ndarray, ...]:
        return (np.exp(mu - sigma * sigma), np.exp(np.broadcast_to(mu, np.broadcast_shapes(np.shape(mu), np.shape(sigma)))))

    @classmethod
    def _from_scipy_params(cls, shapes: dict[str, Any], loc: Any, scale: Any) -> tuple[Any, ...]:
        require_zero_loc(loc, "lognorm")
        return (np.log(np.asarray(scale, dtype=float)), shapes["s"])

    # ------------------------------------------------------------------ hooks
    torch_name = "LogNormal"
    exponential_family = True
    expectation_routes = {"pow": "mellin", "logpow": "mellin", "abs": "abs"}

    @staticmethod
    def _np_quantile(u: np.ndarray, mu: np.ndarray, sigma: np.ndarray) -> np.ndarray:
        from scipy.special import ndtri

        return np.exp(mu + sigma * ndtri(u))

    @staticmethod
    def _np_mean_var(mu: np.ndarray, sigma: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        s2 = sigma * sigma
        return np.exp(mu + s2 / 2), np.expm1(s2) * np.exp(2 * mu + s2)

    @staticmethod
    def _scipy_frozen(mu: np.ndarray, sigma: np.ndarray) -> Any:
        import scipy.stats

        return scipy.stats.lognorm(sigma, scale=np.exp(mu))

    @staticmethod
    def _torch_params(mu: Any, sigma: Any) -> dict[str, Any]:
        return {"loc": mu, "scale": sigma}

    @classmethod
    def sym_logpdf(cls, x: Any, mu: Any, sigma: Any) -> Any:
        import sympy

        return (
            -sympy.log(x)
            - sympy.log(sigma)
            - sympy.log(2 * sympy.pi) / 2
            - (sympy.log(x) - mu) ** 2 / (2 * sigma**2)
        )

    @classmethod
    def sym_support(cls, mu: Any, sigma: Any) -> Any:
        import sympy

        return sympy.Interval(0, sympy.oo)

    @classmethod
    def sym_representation(cls) -> Any:
        import sympy

        from ._representation import Representation, std_normal_density

        return Representation(
            lambda y, mu, s: [(-sympy.oo, sympy.oo, std_normal_density(y))],
            lambda y, mu, s: sympy.exp(mu + s * y),
            lambda x, mu, s: (sympy.log(x) - mu) / s,
            True,
            "X = exp(mu + sigma*Z), Z ~ N(0, 1)",
        )

    # exponential family: eta = (mu/sigma^2, -1/(2 sigma^2)), T(x) = (log x, log(x)^2)
    @classmethod
    def sym_natural_params(cls, mu: Any, sigma: Any) -> tuple[Any, ...]:
        return (mu / sigma**2, -1 / (2 * sigma**2))

    @classmethod
    def sym_sufficient_statistics(cls, x: Any) -> tuple[Any, ...]:
        import sympy

        return (sympy.log(x), sympy.log(x) ** 2)

    @classmethod
    def sym_log_normalizer(cls, eta1: Any, eta2: Any) -> Any:
        import sympy

        return -(eta1**2) / (4 * eta2) - sympy.log(-2 * eta2) / 2

    @classmethod
    def sym_log_base_measure(cls, x: Any) -> Any:
        import sympy

        return -sympy.log(x) - sympy.log(2 * sympy.pi) / 2
