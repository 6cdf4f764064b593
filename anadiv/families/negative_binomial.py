"""Negative binomial distribution, in torch's convention: successes before a number of failures."""

from __future__ import annotations

from typing import Any

import numpy as np

from ..constraints import positive, unit_interval
from ._base import UNSET, Family, Param, ParamValue
from ._scipy import require_zero_loc
from .poisson import _counts


class NegativeBinomial(Family):
    r"""Negative binomial distribution: the number :math:`k = 0, 1, 2, \dots` of successes before the
    ``total_count``-th failure, each trial a success with probability ``probs``.

    The convention of torch's ``NegativeBinomial(total_count=r, probs=p)`` (the
    same parameters give the same law there). scipy's ``nbinom(n, p)`` counts
    the failures before ``n`` successes of probability ``p``, so the same law is
    ``scipy.stats.nbinom(r, 1 - p)``.

    .. math::

        \log p(k) = \log\Gamma(k + r) - \log\Gamma(r) - \log k! + r \log(1 - p) + k \log p,
        \quad k \in \{0, 1, 2, \dots\}

    Parameters
    ----------
    total_count : array_like or sympy expression
        Number of failures :math:`r > 0` (real values give the Polya
        distribution, a Gamma mixture of Poissons).
    probs : array_like or sympy expression
        Success probability :math:`p`, :math:`0 < p < 1` (torch also allows 0;
        here the mass function must be positive somewhere beyond 0).

    Notes
    -----
    A probability mass function (``measure = "counting"``). For equal
    :math:`r` the :math:`\log\Gamma(k + r)` of both mass functions cancel in
    the KL: :math:`r \log\frac{1 - p_1}{1 - p_2} + \frac{r p_1}{1 - p_1}
    \log\frac{p_1}{p_2}`. With different :math:`r`, and for the entropy and
    the cross-entropy, :math:`E[\log\Gamma(k + r)]` is needed and has no
    closed form. Mean :math:`r p/(1 - p)`, variance :math:`r p/(1 - p)^2`.

    Examples
    --------
    >>> from anadiv import NegativeBinomial, kl
    >>> round(float(NegativeBinomial(2.0, 0.5).pdf(1.0)), 6)  # 2 * 0.5**2 * 0.5
    0.25
    >>> [float(v) for v in NegativeBinomial(2.0, 0.5).mean_variance()]
    [2.0, 4.0]
    >>> round(kl(NegativeBinomial(2.0, 0.5), NegativeBinomial(2.0, 0.25)), 9)  # 2 log(2/3) + 2 log 2
    0.575364145
    """

    name = "negative_binomial"
    scipy_name = "nbinom"
    measure = "counting"
    parameters = (
        Param("total_count", positive, (0.5, 20.0), "number of failures that ends the trials", aliases=("n",)),
        Param("probs", unit_interval, (0.05, 0.95), "success probability of each trial",
              reparametrizations=(
                  ("p", "scipy's nbinom p is 1 - probs: pass probs=1 - p"),
                  ("logits", "torch's log-odds: pass probs=scipy.special.expit(logits)"),
              )),
    )

    def __init__(
        self, total_count: ParamValue = UNSET, probs: ParamValue = UNSET, *,
        n: ParamValue = UNSET, validate: bool = True,
    ) -> None:
        # explicit, so editors and type checkers see the parameters; the aliases are torch's and scipy's names
        super().__init__(total_count, probs, n=n, validate=validate)

    @staticmethod
    def _np_logpdf(x: np.ndarray, total_count: np.ndarray, probs: np.ndarray) -> np.ndarray:
        from scipy.special import gammaln, xlog1py, xlogy

        inside = _counts(x)
        k = np.where(inside, x, 0.0)
        log_choose = gammaln(k + total_count) - gammaln(total_count) - gammaln(k + 1.0)
        return np.where(inside, log_choose + xlog1py(total_count, -probs) + xlogy(k, probs), -np.inf)

    @staticmethod
    def _np_sample(rng: np.random.Generator, size: tuple[int, ...], total_count: np.ndarray,
                   probs: np.ndarray) -> np.ndarray:
        # numpy counts the failures (probability 1 - success) before n successes: the roles swapped
        return rng.negative_binomial(total_count, 1.0 - probs, size).astype(float)

    @staticmethod
    def _np_support(total_count: np.ndarray, probs: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        s = np.broadcast_shapes(np.shape(total_count), np.shape(probs))
        return np.zeros(s), np.full(s, np.inf)

    @staticmethod
    def _np_breakpoints(total_count: np.ndarray, probs: np.ndarray) -> tuple[np.ndarray, ...]:
        # the mode: floor((r - 1) p / (1 - p)) for r > 1, else 0
        return (np.floor(np.maximum(total_count - 1.0, 0.0) * probs / (1.0 - probs)),)

    @classmethod
    def _from_scipy_params(cls, shapes: dict[str, Any], loc: Any, scale: Any) -> tuple[Any, ...]:
        require_zero_loc(loc, "nbinom")
        return (shapes["n"], 1.0 - np.asarray(shapes["p"], dtype=float))

    # ------------------------------------------------------------------ hooks
    torch_name = "NegativeBinomial"
    _np_log_neg_logpdf = None

    @staticmethod
    def _np_quantile(u: np.ndarray, total_count: np.ndarray, probs: np.ndarray) -> np.ndarray:
        import scipy.stats

        return scipy.stats.nbinom.ppf(u, total_count, 1.0 - probs)

    @staticmethod
    def _np_mean_var(total_count: np.ndarray, probs: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        odds = probs / (1.0 - probs)
        return total_count * odds, total_count * odds / (1.0 - probs)

    @staticmethod
    def _scipy_frozen(total_count: np.ndarray, probs: np.ndarray) -> Any:
        import scipy.stats

        return scipy.stats.nbinom(total_count, 1.0 - probs)

    @staticmethod
    def _torch_params(total_count: Any, probs: Any) -> dict[str, Any]:
        return {"total_count": total_count, "probs": probs}

    @classmethod
    def sym_logpdf(cls, x: Any, total_count: Any, probs: Any) -> Any:
        import sympy

        return (
            sympy.loggamma(x + total_count) - sympy.loggamma(total_count) - sympy.loggamma(x + 1)
            + total_count * sympy.log(1 - probs) + x * sympy.log(probs)
        )

    @classmethod
    def sym_support(cls, total_count: Any, probs: Any) -> Any:
        import sympy

        return sympy.Range(0, sympy.oo)
