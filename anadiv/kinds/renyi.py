r"""Renyi divergence of order :math:`\alpha`,
:math:`D_\alpha(P \| Q) = \frac{1}{\alpha - 1} \log \int p^\alpha q^{1 - \alpha}`.

Read through the moment (see :mod:`anadiv.kinds._fdiv`)

.. math::

    M_\alpha = E_P\!\left[\frac{e^{(1-\alpha) r} - 1}{\alpha - 1} + (e^{r} - 1)\right] + Q(p = 0)
             = \frac{\int p^\alpha q^{1-\alpha} - 1}{\alpha - 1}, \qquad
    D_\alpha = \frac{\log(1 + (\alpha - 1) M_\alpha)}{\alpha - 1},

whose integrand is nonnegative and of second order in ``r`` near P = Q. At
:math:`\alpha = 1` the integrand is :math:`e^r - 1 - r` and :math:`D_1 = M_1 = \mathrm{KL}`:
the order is continuous there. The limits at the ends are not computed here:
:math:`D_0 = -\log Q(p > 0)` and :math:`D_\infty = \log \operatorname{ess\,sup}_P p/q`.
For :math:`\alpha > 1` the divergence is infinite where P puts mass where ``q = 0``
(and can be infinite for finite parameters: the integral of :math:`p^\alpha q^{1-\alpha}`
diverges); for :math:`\alpha < 1` it is infinite only for mutually singular P and Q.
"""

from __future__ import annotations

import math
from typing import Any

from ._base import DivergenceKind, KindParameter
from ._fdiv import ops, quiet


def _check_alpha(value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) and not hasattr(value, "__float__"):
        raise ValueError(f"must be a real number > 0, got {value!r}")
    try:
        a = float(value)
    except (TypeError, ValueError):
        raise ValueError(f"must be a real number > 0, got {value!r}") from None
    if math.isnan(a) or a <= 0.0:
        raise ValueError(f"must be a real number > 0, got {value!r}")
    if math.isinf(a):
        raise ValueError("must be finite: the order-infinity limit log ess sup p/q is not computed by anadiv")
    return a


class Renyi(DivergenceKind):
    name = "renyi"
    title = "Renyi divergence"
    symbol = "D_alpha"
    separator = " || "
    latex_symbol = r"D_{\alpha}"
    latex_separator = r" \,\|\, "
    arity = 2
    parameters = (KindParameter("alpha", _check_alpha, "the order alpha > 0 (alpha = 1 is the KL divergence)",
                                (0.1, 0.5, 0.9, 1.5, 2.0, 4.0)),)
    log_densities = ("p", "q")
    definition = "log(E_P[(q(X)/p(X))**(1 - alpha)]) / (alpha - 1)"
    route = "anadiv.symbolic:derive_renyi"
    nonnegative = True
    infinite_from_supports = True
    outside_weight = 1.0
    infinite_where = "where the integral of p^alpha q^(1 - alpha) diverges (alpha > 1 only)"

    def infinite_at(self, alpha: float = 2.0, **params: Any) -> bool:
        # q = 0 where p > 0: p^alpha q^(1 - alpha) is infinite only for alpha > 1
        return alpha >= 1.0

    def closed_form(self, evaluate: Any, p: Any, q: Any = None, alpha: float = 2.0, **params: Any) -> Any:
        # the order-1 limit is the KL divergence (the generated forms divide by alpha - 1)
        if alpha == 1.0:
            return evaluate("kl", p, q)
        return evaluate(self.name, p, q, alpha)

    def bounded_under_mixture(self, alpha: float = 2.0, **params: Any) -> bool:
        return alpha <= 1.0  # p^alpha q^(1 - alpha) <= max(p, q) <= 2 m only for alpha <= 1

    def integrand(self, logp: Any, logq: Any, alpha: float = 2.0, **params: Any) -> Any:
        o = ops(logp, logq)
        r = logq - logp
        with quiet():  # overflows to inf where the ratio does: the tail scans read log_abs_integrand there
            if alpha == 1.0:
                return o.expm1(r) - r
            return o.expm1(r) + o.expm1((1.0 - alpha) * r) / (alpha - 1.0)

    def log_abs_weighted(self, logp: Any, logq: Any, alpha: float = 2.0, **params: Any) -> tuple[Any, Any]:
        import numpy as np

        lp, lq = np.asarray(logp, dtype=float), np.asarray(logq, dtype=float)
        r = lq - lp
        with np.errstate(all="ignore"):
            h = self.integrand(lp, lq, alpha=alpha)
            near = lp + np.log(np.abs(h))
            # r > 0: p h = q B, B = 1 - e^-r + (e^(-alpha r) - e^-r) / (alpha - 1) (alpha = 1: 1 - e^-r - r e^-r)
            s = np.where(r > 0, r, 1.0)
            e = np.exp(-s)
            bracket = (-np.expm1(-s) - s * e if alpha == 1.0
                       else -np.expm1(-s) + (np.exp(-alpha * s) - e) / (alpha - 1.0))
            far = lq + np.log(bracket)
            out = np.where((r > 1.0) | ((r > 0) & ~np.isfinite(h)), far, near)
            if alpha > 1.0:
                # r < 0 far out: p h ~ p^alpha q^(1 - alpha) / (alpha - 1)
                big = (r < 0) & ~np.isfinite(h)
                out = np.where(big, alpha * lp + (1.0 - alpha) * lq - math.log(alpha - 1.0), out)
        return out, np.ones_like(out)

    def outer(self, m: float, alpha: float = 2.0, **params: Any) -> float:
        if alpha == 1.0:
            return m
        t = (alpha - 1.0) * m
        if t <= -1.0:
            return math.inf
        return math.log1p(t) / (alpha - 1.0)

    def moment_range(self, alpha: float = 2.0, **params: Any) -> tuple[float, float]:
        return (0.0, 1.0 / (1.0 - alpha) if alpha < 1.0 else math.inf)
