"""Gamma distribution (shape/rate parametrization, as in torch)."""

from __future__ import annotations

from typing import Any

import numpy as np

from ._base import UNSET, Family, Param, ParamValue
from ..constraints import positive
from ._scipy import require_zero_loc


class Gamma(Family):
    r"""Gamma distribution with shape :math:`\alpha` and rate :math:`\beta`.

    scipy equivalent: ``scipy.stats.gamma(a=shape, scale=1/rate)``; torch:
    ``Gamma(concentration=shape, rate=rate)``.

    .. math::

        \log p(x) = \alpha\log\beta + (\alpha-1)\log x - \beta x - \log\Gamma(\alpha),
        \quad x \ge 0

    Parameters
    ----------
    shape : array_like or sympy expression
        Shape :math:`\alpha > 0` (scipy's ``a``, torch's ``concentration``).
    rate : array_like or sympy expression
        Rate :math:`\beta > 0` (inverse scale); the mean is ``shape / rate``.

    Notes
    -----
    For ``shape < 1`` the density is infinite at 0; for ``shape > 1`` the
    mode ``(shape - 1) / rate`` is reported as a breakpoint (otherwise the
    breakpoint sits at the support start 0, a no-op split).

    Examples
    --------
    >>> from anadiv import Gamma
    >>> float(Gamma(2.0, 3.0).logpdf(0.5))  # doctest: +ELLIPSIS
    0.00407...
    """

    name = "gamma"
    scipy_name = "gamma"
    parameters = (
        Param("shape", positive, (0.5, 6.0), "shape (concentration)", aliases=("concentration", "a")),
        Param("rate", positive, (0.3, 3.0), "rate (inverse scale)",
              reparametrizations=(("scale", "scipy's scale is 1/rate: pass rate=1/scale"),)),
    )

    def __init__(
        self, shape: ParamValue = UNSET, rate: ParamValue = UNSET, *,
        concentration: ParamValue = UNSET, a: ParamValue = UNSET, validate: bool = True,
    ) -> None:
        # explicit, so editors and type checkers see the parameters; the aliases are torch's and scipy's names
        super().__init__(shape, rate, concentration=concentration, a=a, validate=validate)

    @staticmethod
    def _np_logpdf(x: np.ndarray, shape: np.ndarray, rate: np.ndarray) -> np.ndarray:
        from scipy.special import gammaln, xlogy

        inside = x >= 0
        xs = np.where(inside, x, 1.0)
        with np.errstate(divide="ignore", invalid="ignore"):
            out = xlogy(shape, rate) + xlogy(shape - 1, xs) - rate * xs - gammaln(shape)
        return np.where(inside, out, -np.inf)

    @staticmethod
    def _np_sample(rng: np.random.Generator, size: tuple[int, ...], shape: np.ndarray, rate: np.ndarray) -> np.ndarray:
        return rng.standard_gamma(np.broadcast_to(shape, size)) / rate

    @staticmethod
    def _np_support(shape: np.ndarray, rate: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        b = np.broadcast_shapes(np.shape(shape), np.shape(rate))
        return np.zeros(b), np.full(b, np.inf)

    @staticmethod
    def _np_breakpoints(shape: np.ndarray, rate: np.ndarray) -> tuple[np.ndarray, ...]:
        return (np.where(shape > 1, (shape - 1) / rate, 0.0),)

    @classmethod
    def _from_scipy_params(cls, shapes: dict[str, Any], loc: Any, scale: Any) -> tuple[Any, ...]:
        require_zero_loc(loc, "gamma")
        return (shapes["a"], 1.0 / np.asarray(scale, dtype=float))

    # ------------------------------------------------------------------ hooks
    torch_name = "Gamma"
    exponential_family = True
    expectation_routes = {"pow": "mellin", "logpow": "mellin", "exp": "direct", "abs": "abs"}

    @staticmethod
    def _np_quantile(u: np.ndarray, shape: np.ndarray, rate: np.ndarray) -> np.ndarray:
        from scipy.special import gammaincinv

        return gammaincinv(shape, u) / rate

    @staticmethod
    def _np_mean_var(shape: np.ndarray, rate: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        return shape / rate, shape / (rate * rate)

    @staticmethod
    def _scipy_frozen(shape: np.ndarray, rate: np.ndarray) -> Any:
        import scipy.stats

        return scipy.stats.gamma(shape, scale=1 / rate)

    @staticmethod
    def _torch_params(shape: Any, rate: Any) -> dict[str, Any]:
        return {"concentration": shape, "rate": rate}

    @staticmethod
    def _np_log_neg_logpdf(x: np.ndarray, shape: float, rate: float) -> np.ndarray:
        # -log p ~ rate x once that overflows (the log x term is below rounding)
        return np.log(x) + np.log(rate)

    @classmethod
    def sym_logpdf(cls, x: Any, shape: Any, rate: Any) -> Any:
        import sympy

        return shape * sympy.log(rate) + (shape - 1) * sympy.log(x) - rate * x - sympy.loggamma(shape)

    @classmethod
    def sym_support(cls, shape: Any, rate: Any) -> Any:
        import sympy

        return sympy.Interval(0, sympy.oo)

    @classmethod
    def sym_representation(cls) -> Any:
        import sympy

        from ._representation import Representation

        return Representation(
            lambda y, a, r: [(0, sympy.oo, y ** (a - 1) * sympy.exp(-y) / sympy.gamma(a))],
            lambda y, a, r: y / r,
            lambda x, a, r: r * x,
            True,
            "X = G/rate, G ~ Gamma(shape, 1)",
        )

    # exponential family: eta = (shape - 1, -rate), T(x) = (log x, x)
    @classmethod
    def sym_natural_params(cls, shape: Any, rate: Any) -> tuple[Any, ...]:
        return (shape - 1, -rate)

    @classmethod
    def sym_sufficient_statistics(cls, x: Any) -> tuple[Any, ...]:
        import sympy

        return (sympy.log(x), x)

    @classmethod
    def sym_log_normalizer(cls, eta1: Any, eta2: Any) -> Any:
        import sympy

        return sympy.loggamma(eta1 + 1) - (eta1 + 1) * sympy.log(-eta2)

    @classmethod
    def sym_log_base_measure(cls, x: Any) -> Any:
        import sympy

        return sympy.Integer(0)
