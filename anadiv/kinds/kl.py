"""Kullback-Leibler divergence, :math:`KL(P \\| Q) = E_P[\\log p(X) - \\log q(X)]`."""

from __future__ import annotations

from typing import Any

from ._base import DivergenceKind


class KL(DivergenceKind):
    name = "kl"
    title = "Kullback-Leibler divergence"
    symbol = "KL"
    separator = " || "
    latex_symbol = r"\mathrm{KL}"
    latex_separator = r" \,\|\, "
    arity = 2
    log_densities = ("p", "q")
    definition = "E_P[log p(X)] - E_P[log q(X)]"
    route = "anadiv.symbolic:derive_kl"
    nonnegative = True
    has_wrappers = True
    linear = True
    infinite_from_supports = True

    def integrand(self, logp: Any, logq: Any, **params: Any) -> Any:
        return logp - logq
