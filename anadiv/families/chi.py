"""Chi distribution: the length of a standard normal vector in ``df`` dimensions."""

from __future__ import annotations

from typing import Any

import numpy as np

from ..constraints import positive
from ._base import Family, Param, ParamValue
from ._scipy import require_zero_loc

# Python floats, so float32 inputs are not promoted to float64.
_LOG2 = float(np.log(2.0))


class Chi(Family):
    r"""Chi distribution with :math:`k` degrees of freedom: :math:`X = \sqrt{2G}`, :math:`G \sim \mathrm{Gamma}(k/2, 1)`.

    scipy equivalent: ``scipy.stats.chi(df)``; TensorFlow Probability:
    ``Chi(df)``; torch has none.

    .. math::

        \log p(x) = (k - 1)\log x - \frac{x^2}{2} - \left(\frac k2 - 1\right)\log 2
                    - \log\Gamma\left(\frac k2\right), \quad x \ge 0

    Parameters
    ----------
    df : array_like or sympy expression
        Degrees of freedom :math:`k > 0` (any positive real).

    Notes
    -----
    An exponential family with sufficient statistic :math:`\log x`, natural
    parameter :math:`k - 1` and base measure :math:`e^{-x^2/2}`; mean
    :math:`\sqrt2\,\Gamma((k+1)/2)/\Gamma(k/2)`, second moment :math:`k`.
    ``X**2`` is a chi-squared variable with ``df`` degrees of freedom; ``df = 1``
    is a half-normal, ``df = 2`` a Rayleigh of scale 1. For ``df > 1`` the mode
    :math:`\sqrt{k - 1}` is the breakpoint; otherwise the density peaks (or is
    infinite) at 0.

    Examples
    --------
    >>> from anadiv import Chi, kl
    >>> float(Chi(2.0).logpdf(1.0))  # a Rayleigh of scale 1: log 1 - 1/2
    -0.5
    >>> from scipy.special import digamma, gammaln
    >>> a, b = 3.0, 5.0
    >>> tfp_fact = gammaln(b / 2) - gammaln(a / 2) + (a - b) / 2 * digamma(a / 2)
    >>> bool(abs(kl(Chi(a), Chi(b)) - tfp_fact) < 1e-14)
    True
    """

    name = "chi"
    scipy_name = "chi"
    # from df = 1/2: the endpoint singularity x**(df - 1) is then no stronger than Chi2's x**(df/2 - 1) from
    # df = 1, where the 30-digit quadrature truth of the generated tests still reaches 1e-12; below df = 1 lie
    # the infinite branches (E[1/X] is infinite for df <= 1: KL against an InverseGamma)
    parameters = (Param("df", positive, (0.5, 10.0), "degrees of freedom"),)

    def __init__(self, df: ParamValue, *, validate: bool = True) -> None:
        # explicit, so editors and type checkers see the parameters
        super().__init__(df, validate=validate)

    @staticmethod
    def _np_logpdf(x: np.ndarray, df: np.ndarray) -> np.ndarray:
        from scipy.special import gammaln, xlogy

        inside = x >= 0
        xs = np.where(inside, x, 1.0)
        h = 0.5 * df
        with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
            out = xlogy(df - 1, xs) - 0.5 * xs * xs - (h - 1) * _LOG2 - gammaln(h)
        return np.where(inside, out, -np.inf)

    @staticmethod
    def _np_sample(rng: np.random.Generator, size: tuple[int, ...], df: np.ndarray) -> np.ndarray:
        return np.sqrt(2.0 * rng.standard_gamma(np.broadcast_to(0.5 * np.asarray(df), size)))

    @staticmethod
    def _np_support(df: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        s = np.shape(df)
        return np.zeros(s), np.full(s, np.inf)

    @staticmethod
    def _np_breakpoints(df: np.ndarray) -> tuple[np.ndarray, ...]:
        df = np.asarray(df, dtype=float)
        return (np.sqrt(np.where(df > 1, df - 1.0, 0.0)),)

    @classmethod
    def _from_scipy_params(cls, shapes: dict[str, Any], loc: Any, scale: Any) -> tuple[Any, ...]:
        from ._scipy import require_unit_scale

        require_zero_loc(loc, "chi")
        require_unit_scale(scale, "chi")
        return (shapes["df"],)

    # ------------------------------------------------------------------ hooks
    torch_name = None  # torch.distributions has no Chi
    _torch_params = None
    exponential_family = True
    expectation_routes = {"pow": "mellin", "logpow": "mellin", "exp": "direct", "abs": "abs"}

    @staticmethod
    def _np_quantile(u: np.ndarray, df: np.ndarray) -> np.ndarray:
        from scipy.special import gammaincinv

        return np.sqrt(2.0 * gammaincinv(0.5 * df, u))

    @staticmethod
    def _np_mean_var(df: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        from scipy.special import poch

        df = np.asarray(df, dtype=float)
        # Gamma((k+1)/2) / Gamma(k/2) as a Pochhammer symbol: no overflow for large df
        mean = np.sqrt(2.0) * poch(0.5 * df, 0.5)
        return mean, np.maximum(df - mean * mean, 0.0)

    @staticmethod
    def _scipy_frozen(df: np.ndarray) -> Any:
        import scipy.stats

        return scipy.stats.chi(df)

    @staticmethod
    def _np_log_neg_logpdf(x: np.ndarray, df: float) -> np.ndarray:
        # -log p ~ x^2 / 2 once that overflows (x > 1e154)
        return 2.0 * np.log(x) - _LOG2

    @classmethod
    def sym_logpdf(cls, x: Any, df: Any) -> Any:
        import sympy

        return (df - 1) * sympy.log(x) - x**2 / 2 - (df / 2 - 1) * sympy.log(2) - sympy.loggamma(df / 2)

    @classmethod
    def sym_support(cls, df: Any) -> Any:
        import sympy

        return sympy.Interval(0, sympy.oo)

    @classmethod
    def sym_representation(cls) -> Any:
        import sympy

        from ._representation import Representation

        return Representation(
            lambda y, k: [(0, sympy.oo, y ** (k / 2 - 1) * sympy.exp(-y) / sympy.gamma(k / 2))],
            lambda y, k: sympy.sqrt(2 * y),
            lambda x, k: x**2 / 2,
            True,
            "X = sqrt(2G), G ~ Gamma(df/2, 1)",
        )

    # exponential family: eta = df - 1, T(x) = log x, A(eta) = lgamma((eta + 1)/2) + ((eta - 1)/2) log 2,
    # h(x) = e^(-x^2/2)
    @classmethod
    def sym_natural_params(cls, df: Any) -> tuple[Any, ...]:
        return (df - 1,)

    @classmethod
    def sym_sufficient_statistics(cls, x: Any) -> tuple[Any, ...]:
        import sympy

        return (sympy.log(x),)

    @classmethod
    def sym_log_normalizer(cls, eta: Any) -> Any:
        import sympy

        return sympy.loggamma((eta + 1) / 2) + (eta - 1) / 2 * sympy.log(2)

    @classmethod
    def sym_log_base_measure(cls, x: Any) -> Any:
        return -(x**2) / 2
