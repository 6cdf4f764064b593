"""Bernoulli distribution: one trial, 1 with probability p."""

from __future__ import annotations

from typing import Any

import numpy as np

from ..constraints import unit_interval
from ._base import UNSET, Family, Param, ParamValue
from ._scipy import require_zero_loc


class Bernoulli(Family):
    r"""Bernoulli distribution on :math:`\{0, 1\}` with :math:`P(X = 1) = p`.

    scipy equivalent: ``scipy.stats.bernoulli(p)``; torch: ``Bernoulli(probs=p)``.

    .. math::

        \log p(k) = k \log p + (1 - k) \log(1 - p), \quad k \in \{0, 1\}

    Parameters
    ----------
    p : array_like or sympy expression
        Probability of a one, :math:`0 < p < 1`.

    Notes
    -----
    A probability mass function (``measure = "counting"``): divergences are
    finite sums over :math:`\{0, 1\}`, e.g.
    :math:`\mathrm{KL} = p_1 \log(p_1/p_2) + (1 - p_1)\log((1 - p_1)/(1 - p_2))`.
    Mean :math:`p`, variance :math:`p(1 - p)`.

    Examples
    --------
    >>> from anadiv import Bernoulli, kl
    >>> float(Bernoulli(0.25).pdf(1.0))
    0.25
    >>> round(kl(Bernoulli(0.5), Bernoulli(0.25)), 9)  # 0.5 log 2 + 0.5 log(2/3)
    0.143841036
    """

    name = "bernoulli"
    scipy_name = "bernoulli"
    measure = "counting"
    parameters = (Param("p", unit_interval, (0.05, 0.95), "probability of a one", aliases=("probs",),
              reparametrizations=(("logits", "torch's log-odds: pass p=scipy.special.expit(logits)"),)),)

    def __init__(self, p: ParamValue = UNSET, *, probs: ParamValue = UNSET, validate: bool = True) -> None:
        # explicit, so editors and type checkers see the parameters; the aliases are torch's and scipy's names
        super().__init__(p, probs=probs, validate=validate)

    @staticmethod
    def _np_logpdf(x: np.ndarray, p: np.ndarray) -> np.ndarray:
        return np.where(x == 1, np.log(p), np.where(x == 0, np.log1p(-p), -np.inf))

    @staticmethod
    def _np_sample(rng: np.random.Generator, size: tuple[int, ...], p: np.ndarray) -> np.ndarray:
        return (rng.random(size) < p).astype(float)

    @staticmethod
    def _np_support(p: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        s = np.shape(p)
        return np.zeros(s), np.ones(s)

    @classmethod
    def _from_scipy_params(cls, shapes: dict[str, Any], loc: Any, scale: Any) -> tuple[Any, ...]:
        require_zero_loc(loc, "bernoulli")
        return (shapes["p"],)

    # ------------------------------------------------------------------ hooks
    torch_name = "Bernoulli"
    _np_log_neg_logpdf = None

    @staticmethod
    def _np_quantile(u: np.ndarray, p: np.ndarray) -> np.ndarray:
        # P(X <= 0) = 1 - p: the smallest k with P(X <= k) >= u
        return np.where(u > 1.0 - p, 1.0, 0.0)

    @staticmethod
    def _np_mean_var(p: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        return p, p * (1.0 - p)

    @staticmethod
    def _scipy_frozen(p: np.ndarray) -> Any:
        import scipy.stats

        return scipy.stats.bernoulli(p)

    @staticmethod
    def _torch_params(p: Any) -> dict[str, Any]:
        return {"probs": p}

    @classmethod
    def sym_logpdf(cls, x: Any, p: Any) -> Any:
        import sympy

        return x * sympy.log(p) + (1 - x) * sympy.log(1 - p)

    @classmethod
    def sym_support(cls, p: Any) -> Any:
        import sympy

        return sympy.Range(0, 2)
