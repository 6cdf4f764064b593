"""Differential entropy, :math:`H(P) = -E_P[\\log p(X)]`."""

from __future__ import annotations

from typing import Any

from ._base import DivergenceKind


class Entropy(DivergenceKind):
    name = "entropy"
    title = "Differential entropy"
    symbol = "H"
    separator = ""
    latex_symbol = "H"
    latex_separator = ""
    arity = 1
    log_densities = ("p",)
    definition = "-E_P[log p(X)]"
    route = "anadiv.symbolic:derive_entropy"
    nonnegative = False  # differential entropy can be negative
    has_wrappers = True
    linear = True
    infinite_from_supports = False  # no Q whose support could miss P's mass

    def integrand(self, logp: Any, logq: Any, **params: Any) -> Any:
        return -logp
