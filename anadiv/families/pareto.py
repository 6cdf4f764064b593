"""Pareto (type I) distribution: a power-law tail above a scale."""

from __future__ import annotations

from typing import Any

import numpy as np

from ..constraints import positive
from ._base import UNSET, Family, Param, ParamValue
from ._scipy import require_zero_loc


class Pareto(Family):
    r"""Pareto distribution with scale :math:`x_m` and tail index :math:`\alpha`.

    scipy equivalent: ``scipy.stats.pareto(b=alpha, scale=scale)``; torch:
    ``Pareto(scale, alpha)``.

    .. math::

        \log p(x) = \log\alpha + \alpha\log x_m - (\alpha + 1)\log x,
        \quad x \ge x_m

    Parameters
    ----------
    scale : array_like or sympy expression
        Scale :math:`x_m > 0`, the start of the support.
    alpha : array_like or sympy expression
        Tail index :math:`\alpha > 0`.

    Notes
    -----
    The support :math:`[x_m, \infty)` depends on a parameter, so
    :math:`\mathrm{KL}(P \,\|\, Q)` between two Pareto laws is finite only
    when :math:`x_{m,P} \ge x_{m,Q}`, and a law with mass below :math:`x_m`
    (a Normal, an Exponential) has an infinite KL against a Pareto. The mean
    :math:`\alpha x_m/(\alpha - 1)` is infinite for :math:`\alpha \le 1`,
    the variance :math:`x_m^2\alpha/((\alpha-1)^2(\alpha-2))` for
    :math:`\alpha \le 2`. ``X = x_m e^{E/\alpha}`` with :math:`E \sim
    \mathrm{Exp}(1)`.

    Examples
    --------
    >>> from anadiv import Pareto, kl
    >>> float(Pareto(1.0, 2.0).logpdf(2.0))  # doctest: +ELLIPSIS
    -1.386...
    >>> # log(a1/a2) + a2 log(s1/s2) + a2/a1 - 1 where s1 >= s2
    >>> round(kl(Pareto(2.0, 3.0), Pareto(1.0, 2.0)), 6)
    1.458426
    >>> kl(Pareto(1.0, 3.0), Pareto(2.0, 2.0))  # P has mass below Q's scale
    inf
    """

    name = "pareto"
    scipy_name = "pareto"
    parameters = (
        Param("scale", positive, (0.3, 3.0), "scale (the support starts there)"),
        Param("alpha", positive, (0.6, 6.0), "tail index (shape)", aliases=("b",)),
    )

    def __init__(
        self, scale: ParamValue = UNSET, alpha: ParamValue = UNSET, *,
        b: ParamValue = UNSET, validate: bool = True,
    ) -> None:
        # explicit, so editors and type checkers see the parameters; the aliases are torch's and scipy's names
        super().__init__(scale, alpha, b=b, validate=validate)

    @staticmethod
    def _np_logpdf(x: np.ndarray, scale: np.ndarray, alpha: np.ndarray) -> np.ndarray:
        inside = x >= scale
        xs = np.where(inside, x, scale)
        # log(x/scale): no log(x) - log(scale) cancellation near the support start; where x/scale
        # overflows (x near the float maximum with scale < 1: quadrature follows the power-law tail
        # that far), log x - log scale, which has nothing to cancel there
        with np.errstate(over="ignore"):
            t = xs / scale
        finite = np.isfinite(t)
        log_t = np.where(finite, np.log(np.where(finite, t, 1.0)), np.log(xs) - np.log(scale))
        return np.where(inside, np.log(alpha) - np.log(scale) - (alpha + 1) * log_t, -np.inf)

    @staticmethod
    def _np_sample(rng: np.random.Generator, size: tuple[int, ...], scale: np.ndarray, alpha: np.ndarray) -> np.ndarray:
        return scale * np.exp(rng.standard_exponential(size) / alpha)

    @staticmethod
    def _np_support(scale: np.ndarray, alpha: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        b = np.broadcast_shapes(np.shape(scale), np.shape(alpha))
        return np.broadcast_to(scale, b).astype(float), np.full(b, np.inf)

    @staticmethod
    def _np_breakpoints(scale: np.ndarray, alpha: np.ndarray) -> tuple[np.ndarray, ...]:
        # the mode is the support's start (a no-op split)
        b = np.broadcast_shapes(np.shape(scale), np.shape(alpha))
        return (np.broadcast_to(scale, b).astype(float),)

    @classmethod
    def _from_scipy_params(cls, shapes: dict[str, Any], loc: Any, scale: Any) -> tuple[Any, ...]:
        require_zero_loc(loc, "pareto")
        return (scale, shapes["b"])

    # ------------------------------------------------------------------ hooks
    torch_name = "Pareto"
    # no "exp": E[exp(-x/s)] = alpha E_{alpha+1}(scale/s), a generalized exponential integral that the
    # numpy namespace lacks (gamma(-alpha) gammaincc(-alpha, z) is NaN in scipy, so every element went
    # to the exact fallback, seconds each): Pareto -> Gumbel raises NoClosedFormError instead
    expectation_routes = {"pow": "mellin", "logpow": "mellin", "abs": "abs"}
    # A power-law tail: log p never overflows before p underflows.
    _np_log_neg_logpdf = None

    @staticmethod
    def _np_quantile(u: np.ndarray, scale: np.ndarray, alpha: np.ndarray) -> np.ndarray:
        return scale * np.exp(-np.log1p(-u) / alpha)

    @staticmethod
    def _np_mean_var(scale: np.ndarray, alpha: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        # infinite for alpha <= 1 (mean) and alpha <= 2 (variance)
        shape = np.broadcast_shapes(np.shape(scale), np.shape(alpha))
        with np.errstate(divide="ignore", invalid="ignore"):
            am1 = alpha - 1
            mean = np.where(alpha > 1, alpha * scale / am1, np.inf)
            var = np.where(alpha > 2, scale * scale * alpha / (am1 * am1 * (alpha - 2)), np.inf)
        return np.broadcast_to(mean, shape), np.broadcast_to(var, shape)

    @staticmethod
    def _scipy_frozen(scale: np.ndarray, alpha: np.ndarray) -> Any:
        import scipy.stats

        return scipy.stats.pareto(alpha, scale=scale)

    @staticmethod
    def _torch_params(scale: Any, alpha: Any) -> dict[str, Any]:
        return {"scale": scale, "alpha": alpha}

    @classmethod
    def sym_logpdf(cls, x: Any, scale: Any, alpha: Any) -> Any:
        import sympy

        return sympy.log(alpha) + alpha * sympy.log(scale) - (alpha + 1) * sympy.log(x)

    @classmethod
    def sym_support(cls, scale: Any, alpha: Any) -> Any:
        import sympy

        return sympy.Interval(scale, sympy.oo)

    @classmethod
    def sym_representation(cls) -> Any:
        import sympy

        from ._representation import Representation

        # its own density on [scale, oo): powers and exp(-x/s) integrate there in closed form
        return Representation(
            lambda y, s, a: [(s, sympy.oo, a * s**a * y ** (-a - 1))],
            lambda y, s, a: y,
            lambda x, s, a: x,
            True,
            "X with density alpha scale**alpha x**(-alpha-1) on [scale, oo)",
        )
