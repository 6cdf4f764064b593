r"""Jensen-Shannon divergence, :math:`JS(P, Q) = \tfrac12 KL(P \| M) + \tfrac12 KL(Q \| M)`, :math:`M = (P + Q)/2`.

Symmetric and bounded by :math:`\log 2` (in nats); its square root is a metric (the
Jensen-Shannon distance). No closed form exists between the usual families (the
log of a sum of densities). Read as (see :mod:`anadiv.kinds._fdiv`), with :math:`t = q/p = e^r`,

.. math::

    JS = E_P[g(t)] + \tfrac{\log 2}{2} Q(p = 0), \qquad
    g(t) = \tfrac12\left[t \log\frac{2t}{1 + t} + \log\frac{2}{1 + t}\right],

with :math:`g(1) = g'(1) = 0` and :math:`g \ge 0`; the logarithms are written as
softplus functions of ``r`` so that nothing overflows.
"""

from __future__ import annotations

import math
from typing import Any

from ._base import DivergenceKind
from ._fdiv import LOG2, ops, quiet as _quiet


class JensenShannon(DivergenceKind):
    name = "jensen_shannon"
    discrete_name = "js_divergence"
    title = "Jensen-Shannon divergence"
    symbol = "JS"
    separator = ", "
    latex_symbol = r"\mathrm{JS}"
    latex_separator = ", "
    arity = 2
    log_densities = ("p", "q")
    definition = "KL(P || M) / 2 + KL(Q || M) / 2, M = (P + Q) / 2"
    route = None  # no closed form: quadrature and Monte Carlo
    nonnegative = True
    infinite_from_supports = False
    outside_weight = LOG2 / 2

    def bounded_under_mixture(self, **params: Any) -> bool:
        return True  # at most log 2 per unit of m

    def integrand(self, logp: Any, logq: Any, **params: Any) -> Any:
        o = ops(logp, logq)
        r = logq - logp
        # t log(2t / (1 + t)) = e^r (log 2 - softplus(-r)); log(2 / (1 + t)) = log 2 - softplus(r)
        with _quiet():
            t = o.exp(r)
            # t log t -> 0 as t -> 0 (q = 0 where p > 0), where the product reads 0 * inf
            first = o.where(t == 0, 0.0, t * (LOG2 - o.softplus(-r)))
        return (first + (LOG2 - o.softplus(r))) / 2

    def log_abs_weighted(self, logp: Any, logq: Any, **params: Any) -> tuple[Any, Any]:
        # for r > 0: p g(e^r) = q g(e^r) e^-r, with g e^-r = [(log 2 - softplus(-r)) + e^-r (log 2 - softplus(r))] / 2
        import numpy as np

        lp, lq = np.asarray(logp, dtype=float), np.asarray(logq, dtype=float)
        r = lq - lp
        with np.errstate(all="ignore"):
            near = lp + np.log(np.abs(self.integrand(lp, lq)))
            s = np.where(r > 0, r, 0.0)
            per_q = ((LOG2 - np.logaddexp(0.0, -s)) + np.exp(-s) * (LOG2 - np.logaddexp(0.0, s))) / 2
            far = lq + np.log(per_q)
            out = np.where(r > 1.0, far, near)
        return out, np.ones_like(out)

    def outer(self, m: float, **params: Any) -> float:
        return min(max(m, 0.0), LOG2)

    def moment_range(self, **params: Any) -> tuple[float, float]:
        return (0.0, LOG2)

    def instead(self) -> str:
        return ("anadiv.divergence('jensen_shannon', p, q) (quadrature, else Monte Carlo): no closed form exists; "
                "or anadiv.divergence_quad / anadiv.divergence_estimate with kind='jensen_shannon'")
