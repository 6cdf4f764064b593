"""Cross-entropy, :math:`H(P, Q) = -E_P[\\log q(X)]`."""

from __future__ import annotations

from typing import Any

from ._base import DivergenceKind


class CrossEntropy(DivergenceKind):
    name = "cross_entropy"
    title = "Cross-entropy"
    symbol = "H"
    separator = ", "
    latex_symbol = "H"
    latex_separator = ", "
    arity = 2
    log_densities = ("q",)
    definition = "-E_P[log q(X)]"
    route = "anadiv.symbolic:derive_cross_entropy"
    nonnegative = False  # a density above 1 makes it negative
    has_wrappers = True
    linear = True
    infinite_from_supports = True

    def integrand(self, logp: Any, logq: Any, **params: Any) -> Any:
        return -logq
