r"""Bhattacharyya distance, :math:`D_B(P, Q) = -\log BC`, :math:`BC = \int \sqrt{p q}`.

:math:`BC = 1 - H^2` (:mod:`anadiv.kinds.hellinger`), so :math:`D_B = -\log(1 - H^2)`
is computed as ``-log1p(-H^2)`` from the nonnegative squared-Hellinger moment: no
cancellation near P = Q, where :math:`D_B \approx H^2`. Equal to half the Renyi
divergence of order 1/2; ``inf`` for mutually singular P and Q.
"""

from __future__ import annotations

import math
from typing import Any

from .hellinger import Hellinger


class Bhattacharyya(Hellinger):
    """The squared-Hellinger moment, integrand, outside weight and Renyi order of :class:`Hellinger`; its own map."""

    name = "bhattacharyya"
    title = "Bhattacharyya distance"
    symbol = "D_B"
    latex_symbol = r"D_{B}"
    definition = "-log(1 - H(P, Q)**2), BC = E_P[sqrt(q(X)/p(X))]"
    route = "anadiv.symbolic:derive_bhattacharyya"
    in_nats = True  # a logarithm, unlike the Hellinger distance
    from_renyi_text = "D_B = D_1/2 / 2"

    def outer(self, m: float, **params: Any) -> float:
        return math.inf if m >= 1.0 else -math.log1p(-max(m, 0.0))

    def from_renyi(self, d: Any) -> Any:
        """:math:`D_B = D_{1/2} / 2`."""
        import numpy as np

        return np.asarray(d, dtype=float) / 2

    @staticmethod
    def sym_from_renyi(d: Any) -> Any:
        """The same map on a sympy expression."""
        return d / 2
