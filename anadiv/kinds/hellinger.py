r"""Hellinger distance, :math:`H(P, Q) = \sqrt{1 - \int \sqrt{p q}} = \sqrt{\tfrac12 \int (\sqrt p - \sqrt q)^2}`.

In [0, 1]: 0 for P = Q, 1 for mutually singular P and Q. Read through the squared
distance (see :mod:`anadiv.kinds._fdiv`)

.. math::

    H^2 = E_P\!\left[\tfrac12 \left(e^{r/2} - 1\right)^2\right] + \tfrac12 Q(p = 0),

a sum of nonnegative terms (no ``1 - BC`` cancellation near P = Q), and
:math:`H = \sqrt{H^2}`. Some authors call :math:`\int (\sqrt p - \sqrt q)^2 = 2 H^2`
the squared Hellinger distance; anadiv's is bounded by 1.
"""

from __future__ import annotations

import math
from typing import Any

from ._base import DivergenceKind
from ._fdiv import ops, quiet


def half_squared_root_gap(logp: Any, logq: Any) -> Any:
    r""":math:`\tfrac12 (e^{r/2} - 1)^2`, ``r = logq - logp``: the squared Hellinger distance's integrand."""
    o = ops(logp, logq)
    with quiet():  # overflows to inf where q / p does: the tail scans read the log form there
        e = o.expm1((logq - logp) / 2)
        return e * e / 2


def log_half_squared_root_gap(logp: Any, logq: Any) -> tuple[Any, Any]:
    """``log(p (e^{r/2} - 1)^2 / 2) = log((sqrt p - sqrt q)^2 / 2)``, exact at any magnitude of the logs."""
    import numpy as np

    lp, lq = np.asarray(logp, dtype=float), np.asarray(logq, dtype=float)
    with np.errstate(all="ignore"):
        out = np.maximum(lp, lq) + 2.0 * np.log(-np.expm1(-np.abs(lq - lp) / 2)) - math.log(2.0)
    return out, np.ones_like(out)


class Hellinger(DivergenceKind):
    name = "hellinger"
    title = "Hellinger distance"
    symbol = "Hellinger"
    separator = ", "
    latex_symbol = r"\mathrm{H}"
    latex_separator = ", "
    arity = 2
    log_densities = ("p", "q")
    definition = "sqrt(E_P[(sqrt(q(X)/p(X)) - 1)**2 / 2] + Q(p = 0) / 2)"
    route = "anadiv.symbolic:derive_hellinger"
    generated = False  # evaluated from the Renyi closed form of order 1/2
    nonnegative = True
    in_nats = False  # a distance (or a ratio), not a logarithm
    infinite_from_supports = False
    outside_weight = 0.5

    def bounded_under_mixture(self, **params: Any) -> bool:
        return True  # (sqrt p - sqrt q)^2 / (2 m) <= 1

    def integrand(self, logp: Any, logq: Any, **params: Any) -> Any:
        return half_squared_root_gap(logp, logq)

    def log_abs_weighted(self, logp: Any, logq: Any, **params: Any) -> tuple[Any, Any]:
        return log_half_squared_root_gap(logp, logq)

    def outer(self, m: float, **params: Any) -> float:
        return math.sqrt(min(max(m, 0.0), 1.0))

    def moment_range(self, **params: Any) -> tuple[float, float]:
        return (0.0, 1.0)

    #: the Renyi order whose closed form gives this kind's (see :mod:`anadiv.symbolic.chernoff`)
    renyi_order = 0.5
    from_renyi_text = "H = sqrt(1 - exp(-D_1/2 / 2))"

    def closed_form(self, evaluate: Any, p: Any, q: Any = None, **params: Any) -> Any:
        return self.from_renyi(evaluate("renyi", p, q, self.renyi_order))

    def from_renyi(self, d: Any) -> Any:
        """This kind's value from the Renyi divergence of order :attr:`renyi_order` (numpy, no loss)."""
        import numpy as np

        return np.sqrt(-np.expm1(-np.asarray(d, dtype=float) / 2))

    @staticmethod
    def sym_from_renyi(d: Any) -> Any:
        """The same map on a sympy expression."""
        import sympy

        return sympy.sqrt(1 - sympy.exp(-d / 2))
