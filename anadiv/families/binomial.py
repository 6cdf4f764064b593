"""Binomial distribution: successes in n independent trials."""

from __future__ import annotations

from typing import Any

import numpy as np

from ..constraints import nonnegative_integer, unit_interval
from ._base import UNSET, Family, Param, ParamValue
from ._scipy import require_zero_loc
from .poisson import _counts


class Binomial(Family):
    r"""Binomial distribution: successes in :math:`n` trials of success probability :math:`p`, :math:`k = 0, \dots, n`.

    scipy equivalent: ``scipy.stats.binom(n, p)``; torch:
    ``Binomial(total_count=n, probs=p)``.

    .. math::

        \log p(k) = \log\binom{n}{k} + k \log p + (n - k) \log(1 - p), \quad k \in \{0, \dots, n\}

    Parameters
    ----------
    n : array_like or sympy expression
        Number of trials, a non-negative integer.
    p : array_like or sympy expression
        Success probability, :math:`0 < p < 1`.

    Notes
    -----
    A probability mass function (``measure = "counting"``) on a support that
    depends on :math:`n`. :math:`\mathrm{KL}(\mathrm{Bin}(n_1, p_1) \|
    \mathrm{Bin}(n_2, p_2))` is infinite for :math:`n_1 > n_2`, and for
    :math:`n_1 = n_2 = n` the binomial coefficients cancel:
    :math:`n\,[p_1 \log(p_1/p_2) + (1 - p_1)\log((1 - p_1)/(1 - p_2))]`. For
    :math:`n_1 < n_2` it needs :math:`E[\log\binom{n_2}{k}]`, which has no
    closed form: there the closed form raises ``NoClosedFormError`` (use
    ``kl_quad``, an exact finite sum). The entropy has no closed form either.
    Mean :math:`np`, variance :math:`np(1 - p)`.

    Examples
    --------
    >>> from anadiv import Binomial, kl
    >>> round(float(Binomial(4, 0.5).pdf(2.0)), 6)  # 6/16
    0.375
    >>> round(kl(Binomial(4, 0.5), Binomial(4, 0.25)), 9)  # 4 KL(Bernoulli(0.5) || Bernoulli(0.25))
    0.575364145
    """

    name = "binomial"
    scipy_name = "binom"
    measure = "counting"
    parameters = (
        Param("n", nonnegative_integer, (0.0, 30.0), "number of trials", aliases=("total_count",)),
        Param("p", unit_interval, (0.05, 0.95), "success probability", aliases=("probs",),
              reparametrizations=(("logits", "torch's log-odds: pass p=scipy.special.expit(logits)"),)),
    )

    def __init__(
        self, n: ParamValue = UNSET, p: ParamValue = UNSET, *,
        total_count: ParamValue = UNSET, probs: ParamValue = UNSET, validate: bool = True,
    ) -> None:
        # explicit, so editors and type checkers see the parameters; the aliases are torch's and scipy's names
        super().__init__(n, p, total_count=total_count, probs=probs, validate=validate)

    @staticmethod
    def _np_logpdf(x: np.ndarray, n: np.ndarray, p: np.ndarray) -> np.ndarray:
        from scipy.special import gammaln, xlog1py, xlogy

        inside = _counts(x) & (x <= n)
        k = np.where(inside, x, 0.0)
        log_choose = gammaln(n + 1.0) - gammaln(k + 1.0) - gammaln(n - k + 1.0)
        return np.where(inside, log_choose + xlogy(k, p) + xlog1py(n - k, -p), -np.inf)

    @staticmethod
    def _np_sample(rng: np.random.Generator, size: tuple[int, ...], n: np.ndarray, p: np.ndarray) -> np.ndarray:
        return rng.binomial(np.asarray(n).astype(np.int64), p, size).astype(float)

    @staticmethod
    def _np_support(n: np.ndarray, p: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        s = np.broadcast_shapes(np.shape(n), np.shape(p))
        return np.zeros(s), np.broadcast_to(np.asarray(n, dtype=float), s).copy()

    @classmethod
    def _from_scipy_params(cls, shapes: dict[str, Any], loc: Any, scale: Any) -> tuple[Any, ...]:
        require_zero_loc(loc, "binom")
        return (shapes["n"], shapes["p"])

    # ------------------------------------------------------------------ hooks
    torch_name = "Binomial"
    _np_log_neg_logpdf = None

    @staticmethod
    def _np_quantile(u: np.ndarray, n: np.ndarray, p: np.ndarray) -> np.ndarray:
        import scipy.stats

        return scipy.stats.binom.ppf(u, n, p)

    @staticmethod
    def _np_mean_var(n: np.ndarray, p: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        return n * p, n * p * (1.0 - p)

    @staticmethod
    def _scipy_frozen(n: np.ndarray, p: np.ndarray) -> Any:
        import scipy.stats

        return scipy.stats.binom(n, p)

    @staticmethod
    def _torch_params(n: Any, p: Any) -> dict[str, Any]:
        return {"total_count": n, "probs": p}

    @classmethod
    def sym_logpdf(cls, x: Any, n: Any, p: Any) -> Any:
        import sympy

        return (
            sympy.loggamma(n + 1) - sympy.loggamma(x + 1) - sympy.loggamma(n - x + 1)
            + x * sympy.log(p) + (n - x) * sympy.log(1 - p)
        )

    @classmethod
    def sym_support(cls, n: Any, p: Any) -> Any:
        import sympy

        return sympy.Range(0, n + 1)
