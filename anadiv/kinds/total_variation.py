r"""Total variation distance, :math:`TV(P, Q) = \sup_A |P(A) - Q(A)| = \tfrac12 \int |p - q| = \int (p - q)_+`.

In [0, 1]. Read as :math:`E_P[\max(0, 1 - e^{r})]` (``r = log q - log p``): the
positive part vanishes where ``p = 0``, so nothing is carried outside P's
support, and every term is nonnegative.
"""

from __future__ import annotations

import math
from typing import Any

from ._base import DivergenceKind
from ._fdiv import ops


class TotalVariation(DivergenceKind):
    name = "total_variation"
    title = "Total variation distance"
    symbol = "TV"
    separator = ", "
    latex_symbol = r"\mathrm{TV}"
    latex_separator = ", "
    arity = 2
    log_densities = ("p", "q")
    definition = "E_P[max(0, 1 - q(X)/p(X))]"
    route = None  # closed forms are written by hand (anadiv.total_variation_pairs)
    nonnegative = True
    in_nats = False  # a distance (or a ratio), not a logarithm
    infinite_from_supports = False
    outside_weight = 0.0

    def bounded_under_mixture(self, **params: Any) -> bool:
        return True  # (p - q)_+ / m <= 2

    def integrand(self, logp: Any, logq: Any, **params: Any) -> Any:
        o = ops(logp, logq)
        return o.maximum(-o.expm1(logq - logp), 0.0)

    def outer(self, m: float, **params: Any) -> float:
        return min(max(m, 0.0), 1.0)

    def moment_range(self, **params: Any) -> tuple[float, float]:
        return (0.0, 1.0)

    def instead(self) -> str:
        return ("anadiv.divergence('total_variation', p, q) (closed form, else quadrature, else Monte Carlo), or "
                "anadiv.divergence_quad / anadiv.divergence_estimate with kind='total_variation'")
