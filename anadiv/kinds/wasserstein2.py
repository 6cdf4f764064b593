r"""Wasserstein-2 distance, :math:`W_2(P, Q) = \bigl(\inf_{\pi \in \Pi(P, Q)} E_\pi |X - Y|^2\bigr)^{1/2}`.

Not an expectation under P of the two log-densities, so it has no integrand: its closed
forms (Gaussians of any covariance structure, through the Bures term without a matrix square
root) and its quadrature (the quantile integral of any univariate pair) live in
:mod:`anadiv.wasserstein`, named here and imported on use. In the units of the variable
(not nats); ``inf`` where a second moment is.
"""

from __future__ import annotations

import importlib
from typing import Any

from ._base import DivergenceKind


def _load(path: str) -> Any:
    module, name = path.split(":")
    return getattr(importlib.import_module(module), name)


class Wasserstein2(DivergenceKind):
    name = "wasserstein2"
    title = "Wasserstein-2 distance"
    symbol = "W2"
    separator = ", "
    latex_symbol = r"W_{2}"
    latex_separator = ", "
    arity = 2
    log_densities = ()
    definition = "(inf over couplings of E|X - Y|^2)^(1/2)"
    route = None
    nonnegative = True
    infinite_from_supports = False
    expectation = False
    in_nats = False
    #: the closed forms and the quadrature, ``"module:function"``
    closed_route = "anadiv.wasserstein:wasserstein2"
    quadrature_route = "anadiv.wasserstein:wasserstein2_quad"

    def closed_form(self, evaluate: Any, p: Any, q: Any = None, **params: Any) -> Any:
        return _load(self.closed_route)(p, q)

    def own_quadrature(self, p: Any, q: Any) -> Any:
        """The quantile integral (:func:`anadiv.wasserstein.wasserstein2_quad`), a ``QuadResult``."""
        return _load(self.quadrature_route)(p, q)

    def integrand(self, logp: Any, logq: Any, **params: Any) -> Any:
        raise TypeError("kind: the Wasserstein-2 distance is not an expectation of the log-densities; "
                        "use anadiv.wasserstein2 (Gaussians) or anadiv.wasserstein2_quad (univariate)")

    def instead(self) -> str:
        return ("anadiv.wasserstein2_quad(p, q) (the quantile integral, any univariate pair) or "
                "anadiv.divergence('wasserstein2', p, q)")
