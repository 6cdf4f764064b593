"""Poisson distribution: counts of events at a constant rate."""

from __future__ import annotations

from typing import Any

import numpy as np

from ..constraints import positive
from ._base import UNSET, Family, Param, ParamValue
from ._scipy import require_zero_loc


def _counts(x: np.ndarray) -> np.ndarray:
    """Where ``x`` is a count 0, 1, 2, ... (the support of the counting families)."""
    return (x >= 0) & (x == np.floor(x)) & np.isfinite(x)


class Poisson(Family):
    r"""Poisson distribution with mean ``rate``, on :math:`k = 0, 1, 2, \dots`.

    scipy equivalent: ``scipy.stats.poisson(mu=rate)``; torch: ``Poisson(rate)``.

    .. math::

        \log p(k) = k \log\lambda - \lambda - \log k!, \quad k \in \{0, 1, 2, \dots\}

    Parameters
    ----------
    rate : array_like or sympy expression
        Mean :math:`\lambda > 0` (also the variance).

    Notes
    -----
    A probability mass function (``measure = "counting"``): divergences are
    sums over the support. The entropy :math:`\lambda(1 - \log\lambda) +
    E[\log k!]` has no closed form (neither has ``E[log k!]``), while
    :math:`\mathrm{KL}(\lambda_1 \| \lambda_2) = \lambda_1 \log(\lambda_1/\lambda_2)
    - \lambda_1 + \lambda_2`, where the :math:`\log k!` of both mass
    functions cancel before the expectation.

    Examples
    --------
    >>> from anadiv import Poisson, kl
    >>> round(float(Poisson(2.0).pdf(1.0)), 6)  # 2 e^-2
    0.270671
    >>> round(kl(Poisson(2.0), Poisson(3.0)), 9)  # 2 log(2/3) - 2 + 3
    0.189069784
    """

    name = "poisson"
    scipy_name = "poisson"
    measure = "counting"
    parameters = (Param("rate", positive, (0.3, 20.0), "mean number of events", aliases=("mu",)),)

    def __init__(self, rate: ParamValue = UNSET, *, mu: ParamValue = UNSET, validate: bool = True) -> None:
        # explicit, so editors and type checkers see the parameters; the aliases are torch's and scipy's names
        super().__init__(rate, mu=mu, validate=validate)

    @staticmethod
    def _np_logpdf(x: np.ndarray, rate: np.ndarray) -> np.ndarray:
        from scipy.special import gammaln, xlogy

        inside = _counts(x)
        k = np.where(inside, x, 0.0)
        return np.where(inside, xlogy(k, rate) - rate - gammaln(k + 1.0), -np.inf)

    @staticmethod
    def _np_sample(rng: np.random.Generator, size: tuple[int, ...], rate: np.ndarray) -> np.ndarray:
        return rng.poisson(rate, size).astype(float)

    @staticmethod
    def _np_support(rate: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        s = np.shape(rate)
        return np.zeros(s), np.full(s, np.inf)

    @staticmethod
    def _np_breakpoints(rate: np.ndarray) -> tuple[np.ndarray, ...]:
        return (np.floor(rate),)  # the mode

    @classmethod
    def _from_scipy_params(cls, shapes: dict[str, Any], loc: Any, scale: Any) -> tuple[Any, ...]:
        require_zero_loc(loc, "poisson")
        return (shapes["mu"],)

    # ------------------------------------------------------------------ hooks
    torch_name = "Poisson"

    @staticmethod
    def _np_quantile(u: np.ndarray, rate: np.ndarray) -> np.ndarray:
        import scipy.stats

        return scipy.stats.poisson.ppf(u, rate)

    @staticmethod
    def _np_mean_var(rate: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        return rate, rate

    @staticmethod
    def _scipy_frozen(rate: np.ndarray) -> Any:
        import scipy.stats

        return scipy.stats.poisson(rate)

    @staticmethod
    def _torch_params(rate: Any) -> dict[str, Any]:
        return {"rate": rate}

    _np_log_neg_logpdf = None

    @classmethod
    def sym_logpdf(cls, x: Any, rate: Any) -> Any:
        import sympy

        return x * sympy.log(rate) - rate - sympy.loggamma(x + 1)

    @classmethod
    def sym_support(cls, rate: Any) -> Any:
        import sympy

        return sympy.Range(0, sympy.oo)
