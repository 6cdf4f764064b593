"""Inverse-gamma distribution: the reciprocal of a Gamma variable."""

from __future__ import annotations

from typing import Any

import numpy as np

from ..constraints import positive
from ._base import UNSET, Family, Param, ParamValue
from ._scipy import require_zero_loc


class InverseGamma(Family):
    r"""Inverse-gamma distribution with shape :math:`\alpha` and scale :math:`\beta`: :math:`X = \beta/G`, :math:`G \sim \mathrm{Gamma}(\alpha, 1)`.

    scipy equivalent: ``scipy.stats.invgamma(a=concentration, scale=rate)``;
    torch: ``InverseGamma(concentration, rate)``.

    .. math::

        \log p(x) = \alpha\log\beta - \log\Gamma(\alpha) - (\alpha + 1)\log x
                    - \frac{\beta}{x}, \quad x > 0

    Parameters
    ----------
    concentration : array_like or sympy expression
        Shape :math:`\alpha > 0` (scipy's ``a``).
    rate : array_like or sympy expression
        :math:`\beta > 0`, the rate of the Gamma variable ``1/X`` (scipy's
        ``scale``, as in torch).

    Notes
    -----
    An exponential family with sufficient statistics :math:`(\log x, 1/x)`
    and natural parameters :math:`(-\alpha - 1, -\beta)`. The mean
    :math:`\beta/(\alpha-1)` is infinite for :math:`\alpha \le 1`, the
    variance :math:`\beta^2/((\alpha-1)^2(\alpha-2))` for :math:`\alpha \le 2`;
    the mode :math:`\beta/(\alpha+1)` is the breakpoint. KL between two
    inverse-gamma laws equals KL between the Gamma laws of ``1/X``.

    Examples
    --------
    >>> from anadiv import Gamma, InverseGamma, kl
    >>> float(InverseGamma(2.0, 1.0).logpdf(1.0))  # doctest: +ELLIPSIS
    -1.0
    >>> round(kl(InverseGamma(2.0, 3.0), InverseGamma(4.0, 1.5)), 12) == round(kl(Gamma(2.0, 3.0), Gamma(4.0, 1.5)), 12)
    True
    """

    name = "inversegamma"
    scipy_name = "invgamma"
    parameters = (
        Param("concentration", positive, (0.5, 6.0), "shape (concentration)", aliases=("a",)),
        Param("rate", positive, (0.3, 3.0), "rate of the Gamma variable 1/X (the scale of X)", aliases=("scale",)),
    )

    def __init__(
        self, concentration: ParamValue = UNSET, rate: ParamValue = UNSET, *,
        a: ParamValue = UNSET, scale: ParamValue = UNSET, validate: bool = True,
    ) -> None:
        # explicit, so editors and type checkers see the parameters; the aliases are torch's and scipy's names
        super().__init__(concentration, rate, a=a, scale=scale, validate=validate)

    @staticmethod
    def _np_logpdf(x: np.ndarray, concentration: np.ndarray, rate: np.ndarray) -> np.ndarray:
        from scipy.special import gammaln, xlogy

        inside = x > 0
        xs = np.where(inside, x, 1.0)
        with np.errstate(divide="ignore", invalid="ignore"):
            out = xlogy(concentration, rate) - gammaln(concentration) - (concentration + 1) * np.log(xs) - rate / xs
        return np.where(inside, out, -np.inf)

    @staticmethod
    def _np_sample(
        rng: np.random.Generator, size: tuple[int, ...], concentration: np.ndarray, rate: np.ndarray
    ) -> np.ndarray:
        return rate / rng.standard_gamma(np.broadcast_to(concentration, size))

    @staticmethod
    def _np_support(concentration: np.ndarray, rate: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        b = np.broadcast_shapes(np.shape(concentration), np.shape(rate))
        return np.zeros(b), np.full(b, np.inf)

    @staticmethod
    def _np_breakpoints(concentration: np.ndarray, rate: np.ndarray) -> tuple[np.ndarray, ...]:
        return (rate / (concentration + 1),)

    @classmethod
    def _from_scipy_params(cls, shapes: dict[str, Any], loc: Any, scale: Any) -> tuple[Any, ...]:
        require_zero_loc(loc, "invgamma")
        return (shapes["a"], scale)

    # ------------------------------------------------------------------ hooks
    torch_name = "InverseGamma"
    exponential_family = True
    # no "exp": E[exp(-x/s)] is a Bessel function K (no numpy counterpart here); no "abs": the partial
    # integral of E|X - c| comes out as exp(b/c) uppergamma(a, b/c) / (exp(b/c) gamma(a)), which overflows
    # for small c and whose exact fallback then takes up to a minute per element
    expectation_routes = {"pow": "mellin", "logpow": "mellin"}

    @staticmethod
    def _np_quantile(u: np.ndarray, concentration: np.ndarray, rate: np.ndarray) -> np.ndarray:
        from scipy.special import gammainccinv

        # X <= x  <=>  G >= rate/x
        return rate / gammainccinv(concentration, u)

    @staticmethod
    def _np_mean_var(concentration: np.ndarray, rate: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        # infinite for concentration <= 1 (mean) and <= 2 (variance)
        shape = np.broadcast_shapes(np.shape(concentration), np.shape(rate))
        a = concentration
        with np.errstate(divide="ignore", invalid="ignore"):
            mean = np.where(a > 1, rate / (a - 1), np.inf)
            var = np.where(a > 2, rate * rate / ((a - 1) * (a - 1) * (a - 2)), np.inf)
        return np.broadcast_to(mean, shape), np.broadcast_to(var, shape)

    @staticmethod
    def _scipy_frozen(concentration: np.ndarray, rate: np.ndarray) -> Any:
        import scipy.stats

        return scipy.stats.invgamma(concentration, scale=rate)

    @staticmethod
    def _torch_params(concentration: Any, rate: Any) -> dict[str, Any]:
        return {"concentration": concentration, "rate": rate}

    @staticmethod
    def _np_log_neg_logpdf(x: np.ndarray, concentration: float, rate: float) -> np.ndarray:
        # -log p ~ rate/x once that overflows (x -> 0: the log x term is below rounding)
        return np.log(rate) - np.log(x)

    @classmethod
    def sym_logpdf(cls, x: Any, concentration: Any, rate: Any) -> Any:
        import sympy

        a, b = concentration, rate
        return a * sympy.log(b) - sympy.loggamma(a) - (a + 1) * sympy.log(x) - b / x

    @classmethod
    def sym_support(cls, concentration: Any, rate: Any) -> Any:
        import sympy

        return sympy.Interval(0, sympy.oo)

    @classmethod
    def sym_representation(cls) -> Any:
        import sympy

        from ._representation import Representation

        return Representation(
            lambda y, a, b: [(0, sympy.oo, y ** (a - 1) * sympy.exp(-y) / sympy.gamma(a))],
            lambda y, a, b: b / y,
            lambda x, a, b: b / x,
            False,
            "X = rate/G, G ~ Gamma(concentration, 1)",
        )

    # exponential family: eta = (-concentration - 1, -rate), T(x) = (log x, 1/x)
    @classmethod
    def sym_natural_params(cls, concentration: Any, rate: Any) -> tuple[Any, ...]:
        return (-concentration - 1, -rate)

    @classmethod
    def sym_sufficient_statistics(cls, x: Any) -> tuple[Any, ...]:
        import sympy

        return (sympy.log(x), 1 / x)

    @classmethod
    def sym_log_normalizer(cls, eta1: Any, eta2: Any) -> Any:
        import sympy

        return sympy.loggamma(-eta1 - 1) - (-eta1 - 1) * sympy.log(-eta2)

    @classmethod
    def sym_log_base_measure(cls, x: Any) -> Any:
        import sympy

        return sympy.Integer(0)
