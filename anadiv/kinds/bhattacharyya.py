r"""Bhattacharyya distance, :math:`D_B(P, Q) = -\log BC`, :math:`BC = \int \sqrt{p q}`.

:math:`BC = 1 - H^2` (:mod:`anadiv.kinds.hellinger`), so :math:`D_B = -\log(1 - H^2)`
is computed as ``-log1p(-H^2)`` from the nonnegative squared-Hellinger moment: no
cancellation near P = Q, where :math:`D_B \approx H^2`. Equal to half the Renyi
divergence of order 1/2; ``inf`` for mutually singular P and Q.
"""

from __future__ import annotations

import math
from typing import Any

from ._base import DivergenceKind
from .hellinger import half_squared_root_gap, log_half_squared_root_gap


class Bhattacharyya(DivergenceKind):
    name = "bhattacharyya"
    title = "Bhattacharyya distance"
    symbol = "D_B"
    separator = ", "
    latex_symbol = r"D_{B}"
    latex_separator = ", "
    arity = 2
    log_densities = ("p", "q")
    definition = "-log(1 - H(P, Q)**2), BC = E_P[sqrt(q(X)/p(X))]"
    route = "anadiv.symbolic:derive_bhattacharyya"
    generated = False  # evaluated from the Renyi closed form of order 1/2
    nonnegative = True
    infinite_from_supports = False
    outside_weight = 0.5

    def bounded_under_mixture(self, **params: Any) -> bool:
        return True  # (sqrt p - sqrt q)^2 / (2 m) <= 1

    def integrand(self, logp: Any, logq: Any, **params: Any) -> Any:
        return half_squared_root_gap(logp, logq)

    def log_abs_weighted(self, logp: Any, logq: Any, **params: Any) -> tuple[Any, Any]:
        return log_half_squared_root_gap(logp, logq)

    def outer(self, m: float, **params: Any) -> float:
        return math.inf if m >= 1.0 else -math.log1p(-max(m, 0.0))

    def moment_range(self, **params: Any) -> tuple[float, float]:
        return (0.0, 1.0)

    #: the Renyi order whose closed form gives this kind's (see :mod:`anadiv.symbolic.chernoff`)
    renyi_order = 0.5
    from_renyi_text = "D_B = D_1/2 / 2"

    def closed_form(self, evaluate: Any, p: Any, q: Any = None, **params: Any) -> Any:
        return self.from_renyi(evaluate("renyi", p, q, self.renyi_order))

    def from_renyi(self, d: Any) -> Any:
        """This kind's value from the Renyi divergence of order :attr:`renyi_order` (numpy, no loss)."""
        import numpy as np

        return np.asarray(d, dtype=float) / 2

    @staticmethod
    def sym_from_renyi(d: Any) -> Any:
        """The same map on a sympy expression."""
        import sympy

        return d / 2
