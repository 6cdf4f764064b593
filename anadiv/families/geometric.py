"""Geometric distribution: failures before the first success."""

from __future__ import annotations

from typing import Any

import numpy as np

from ..constraints import unit_interval
from ._base import UNSET, Family, Param, ParamValue
from .poisson import _counts


class Geometric(Family):
    r"""Geometric distribution: the number of failures before the first success, :math:`k = 0, 1, 2, \dots`.

    scipy equivalent: ``scipy.stats.geom(p, loc=-1)`` (scipy counts the trials,
    from 1); torch: ``Geometric(probs=p)`` (the same count as here).

    .. math::

        \log p(k) = \log p + k \log(1 - p), \quad k \in \{0, 1, 2, \dots\}

    Parameters
    ----------
    p : array_like or sympy expression
        Success probability of each trial, :math:`0 < p < 1`.

    Notes
    -----
    A probability mass function (``measure = "counting"``): divergences are
    sums over the support. Mean :math:`(1 - p)/p`, variance :math:`(1 - p)/p^2`.

    Examples
    --------
    >>> from anadiv import Geometric, entropy
    >>> round(float(Geometric(0.5).pdf(2.0)), 15)  # 0.5 * 0.5**2, through exp(log p + k log(1 - p))
    0.125
    >>> round(entropy(Geometric(0.5)), 9)  # 2 log 2
    1.386294361
    """

    name = "geometric"
    scipy_name = "geom"
    measure = "counting"
    parameters = (Param("p", unit_interval, (0.05, 0.95), "success probability", aliases=("probs",),
              reparametrizations=(("logits", "torch's log-odds: pass p=scipy.special.expit(logits)"),)),)

    def __init__(self, p: ParamValue = UNSET, *, probs: ParamValue = UNSET, validate: bool = True) -> None:
        # explicit, so editors and type checkers see the parameters; the aliases are torch's and scipy's names
        super().__init__(p, probs=probs, validate=validate)

    @staticmethod
    def _np_logpdf(x: np.ndarray, p: np.ndarray) -> np.ndarray:
        inside = _counts(x)
        k = np.where(inside, x, 0.0)
        return np.where(inside, np.log(p) + k * np.log1p(-p), -np.inf)

    @staticmethod
    def _np_sample(rng: np.random.Generator, size: tuple[int, ...], p: np.ndarray) -> np.ndarray:
        return rng.geometric(p, size) - 1.0  # numpy counts the trials

    @staticmethod
    def _np_support(p: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        s = np.shape(p)
        return np.zeros(s), np.full(s, np.inf)

    @classmethod
    def _from_scipy_params(cls, shapes: dict[str, Any], loc: Any, scale: Any) -> tuple[Any, ...]:
        if np.any(np.asarray(loc) != -1):
            from ._scipy import NotRepresentable

            raise NotRepresentable(
                "loc: scipy.stats.geom counts trials (from 1); the anadiv Geometric counts failures, which is "
                f"geom(p, loc=-1); got loc={loc!r}"
            )
        return (shapes["p"],)

    # ------------------------------------------------------------------ hooks
    torch_name = "Geometric"
    _np_log_neg_logpdf = None

    @staticmethod
    def _np_quantile(u: np.ndarray, p: np.ndarray) -> np.ndarray:
        # P(X <= k) = 1 - (1 - p)^(k + 1) >= u  <=>  k >= log(1 - u)/log(1 - p) - 1
        with np.errstate(divide="ignore", invalid="ignore"):
            k = np.ceil(np.log1p(-u) / np.log1p(-p) - 1.0)
        return np.maximum(k, 0.0)

    @staticmethod
    def _np_mean_var(p: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        return (1.0 - p) / p, (1.0 - p) / (p * p)

    @staticmethod
    def _scipy_frozen(p: np.ndarray) -> Any:
        import scipy.stats

        return scipy.stats.geom(p, loc=-1)

    @staticmethod
    def _torch_params(p: Any) -> dict[str, Any]:
        return {"probs": p}

    @classmethod
    def sym_logpdf(cls, x: Any, p: Any) -> Any:
        import sympy

        return sympy.log(p) + x * sympy.log(1 - p)

    @classmethod
    def sym_support(cls, p: Any) -> Any:
        import sympy

        return sympy.Range(0, sympy.oo)
