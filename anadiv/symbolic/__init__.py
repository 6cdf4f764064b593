"""The derivation engine: closed forms of KL divergence, entropy, cross-entropy and the
Renyi family (Renyi, Bhattacharyya, Hellinger, chi-square).

Imports sympy; the numeric path of anadiv never imports this package. See
``docs/derivation.md`` for how the engine derives.
"""

from __future__ import annotations

from .derivation import Derivation
from .engine import (
    cross_entropy_symbolic,
    derivable_pairs,
    derive_bhattacharyya,
    derive_chi_square,
    derive_cross_entropy,
    derive_entropy,
    derive_hellinger,
    derive_kl,
    derive_renyi,
    entropy_symbolic,
    kl_symbolic,
    no_closed_form_pairs,
)

__all__ = [
    "Derivation",
    "derive_kl",
    "derive_entropy",
    "derive_cross_entropy",
    "derive_renyi",
    "derive_bhattacharyya",
    "derive_hellinger",
    "derive_chi_square",
    "derivable_pairs",
    "no_closed_form_pairs",
    "kl_symbolic",
    "entropy_symbolic",
    "cross_entropy_symbolic",
]
