r"""Jeffreys divergence, :math:`J(P, Q) = KL(P \| Q) + KL(Q \| P) = \int (p - q) \log\frac{p}{q}`.

Symmetric; a closed form wherever both KL divergences have one. Read as
:math:`E_P[r (e^r - 1)]` (``r = log q - log p``, nonnegative terms), infinite when
either distribution puts mass where the other has none.
"""

from __future__ import annotations

import math
from typing import Any

from ._base import DivergenceKind
from ._fdiv import log_abs_gap, ops, quiet


class Jeffreys(DivergenceKind):
    name = "jeffreys"
    title = "Jeffreys divergence"
    symbol = "J"
    separator = ", "
    latex_symbol = r"J"
    latex_separator = ", "
    arity = 2
    log_densities = ("p", "q")
    definition = "KL(P || Q) + KL(Q || P)"
    route = None  # the closed form is the sum of the two KL closed forms
    nonnegative = True
    infinite_from_supports = True
    outside_weight = math.inf

    def closed_form(self, evaluate: Any, p: Any, q: Any = None, **params: Any) -> Any:
        return evaluate("kl", p, q) + evaluate("kl", q, p)

    def integrand(self, logp: Any, logq: Any, **params: Any) -> Any:
        o = ops(logp, logq)
        r = logq - logp
        with quiet():  # overflows to inf where q / p does: the tail scans read log_abs_integrand there
            return r * o.expm1(r)

    def log_abs_weighted(self, logp: Any, logq: Any, **params: Any) -> tuple[Any, Any]:
        # p r (e^r - 1) = r (q - p)
        import numpy as np

        r = np.asarray(logq, dtype=float) - np.asarray(logp, dtype=float)
        with np.errstate(all="ignore"):
            out = np.log(np.abs(r)) + log_abs_gap(logp, logq)
        return out, np.ones_like(out)
