r"""Jensen-Shannon distance, :math:`\sqrt{JS(P, Q)}`: a metric on distributions, at most :math:`\sqrt{\log 2}`.

The same moment as :mod:`anadiv.kinds.jensen_shannon` (no closed form: quadrature and Monte
Carlo), mapped through the square root; Monte Carlo's interval is the interval of the divergence
mapped the same way.
"""

from __future__ import annotations

import math
from typing import Any

from ._fdiv import LOG2
from .jensen_shannon import JensenShannon


class JensenShannonDistance(JensenShannon):
    name = "jensen_shannon_distance"
    discrete_name = "js_distance"
    title = "Jensen-Shannon distance"
    symbol = "JSD"
    definition = "sqrt(JS(P, Q))"
    in_nats = False  # the square root of nats

    def outer(self, m: float, **params: Any) -> float:
        return math.sqrt(min(max(m, 0.0), LOG2))

    def instead(self) -> str:
        return ("anadiv.divergence('jensen_shannon_distance', p, q) (quadrature, else Monte Carlo): no closed form "
                "exists")
