r"""Pearson chi-square divergence, :math:`\chi^2(P \| Q) = \int \frac{(p - q)^2}{q} = \int \frac{p^2}{q} - 1`.

Read as (see :mod:`anadiv.kinds._fdiv`)

.. math::

    \chi^2 = E_P\!\left[\left(e^{r/2} - e^{-r/2}\right)^2\right] + Q(p = 0)
           = E_P\!\left[4 \sinh^2(r/2)\right] + Q(p = 0),

nonnegative terms throughout. It is :math:`e^{D_2} - 1` with :math:`D_2` the Renyi
divergence of order 2, so it is infinite where P puts mass where ``q = 0`` and also
for finite parameters where :math:`\int p^2/q` diverges (a Normal P wider than
:math:`\sqrt 2` times Q's standard deviation).
"""

from __future__ import annotations

import math
from typing import Any

from ._base import DivergenceKind
from ._fdiv import log_abs_gap, ops, quiet


class ChiSquare(DivergenceKind):
    name = "chi_square"
    title = "Pearson chi-square divergence"
    symbol = "chi2"
    separator = " || "
    latex_symbol = r"\chi^{2}"
    latex_separator = r" \,\|\, "
    arity = 2
    log_densities = ("p", "q")
    definition = "E_P[p(X)/q(X)] - 1"
    route = "anadiv.symbolic:derive_chi_square"
    generated = False  # evaluated from the Renyi closed form of order 2
    nonnegative = True
    in_nats = False  # a distance (or a ratio), not a logarithm
    infinite_from_supports = True
    outside_weight = 1.0

    def integrand(self, logp: Any, logq: Any, **params: Any) -> Any:
        o = ops(logp, logq)
        with quiet():  # overflows to inf where p / q does: the tail scans read log_abs_integrand there
            s = o.sinh((logq - logp) / 2)
            return 4 * s * s

    def log_abs_weighted(self, logp: Any, logq: Any, **params: Any) -> tuple[Any, Any]:
        # p 4 sinh^2(r/2) = (p - q)^2 / q
        import numpy as np

        with np.errstate(all="ignore"):
            out = 2.0 * log_abs_gap(logp, logq) - np.asarray(logq, dtype=float)
        return out, np.ones_like(out)

    #: the Renyi order whose closed form gives this kind's (see :mod:`anadiv.symbolic.chernoff`)
    renyi_order = 2
    from_renyi_text = "chi2 = exp(D_2) - 1"

    def closed_form(self, evaluate: Any, p: Any, q: Any = None, **params: Any) -> Any:
        return self.from_renyi(evaluate("renyi", p, q, self.renyi_order))

    def from_renyi(self, d: Any) -> Any:
        """This kind's value from the Renyi divergence of order :attr:`renyi_order` (numpy, no loss)."""
        import numpy as np

        return np.expm1(np.asarray(d, dtype=float))

    @staticmethod
    def sym_from_renyi(d: Any) -> Any:
        """The same map on a sympy expression."""
        import sympy

        return sympy.exp(d) - 1
