"""Divergence kinds: one object per kind, in one registry.

``KINDS`` maps a name to its :class:`DivergenceKind`, in declaration order
(KL, cross-entropy, entropy, then the f-divergences: Renyi, Bhattacharyya,
Hellinger, chi-square, total variation, Jeffreys, Jensen-Shannon; and the Wasserstein-2
distance, which is no expectation of the log-densities). Adding a kind is one module here (a subclass of
:class:`DivergenceKind`, imported below) plus its symbolic route in the engine.
Importing this package imports neither numpy nor sympy.

Examples
--------
>>> from anadiv.kinds import KINDS
>>> list(KINDS)[:3]
['kl', 'cross_entropy', 'entropy']
>>> KINDS["cross_entropy"].show(["Normal", "Gamma"]), KINDS["entropy"].show(["Normal"])
('H(Normal, Gamma)', 'H(Normal)')
"""

from __future__ import annotations

from ._base import KINDS, DivergenceKind, KindParameter, get_kind

# Declaring a kind registers it; the order here is the order of KINDS.
from .kl import KL
from .cross_entropy import CrossEntropy
from .entropy import Entropy
from .renyi import Renyi
from .hellinger import Hellinger
from .bhattacharyya import Bhattacharyya
from .chi_square import ChiSquare
from .total_variation import TotalVariation
from .jeffreys import Jeffreys
from .jensen_shannon import JensenShannon
from .jensen_shannon_distance import JensenShannonDistance
from .wasserstein2 import Wasserstein2

__all__ = ["KINDS", "DivergenceKind", "KindParameter", "get_kind", "KL", "CrossEntropy", "Entropy", "Renyi",
           "Bhattacharyya", "Hellinger", "ChiSquare", "TotalVariation", "Jeffreys", "JensenShannon", "JensenShannonDistance",
           "Wasserstein2"]
