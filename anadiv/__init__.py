"""anadiv: divergences between probability distributions.

Derived closed forms (sympy), generated sympy-free numpy code, Monte Carlo
estimators with honest error bars, Gaussian-mixture approximations, and
checked discrete divergences.

Heavy or optional parts (the sympy engine, estimators, quadrature) are loaded
on first use, so ``import anadiv`` and the numeric path never import sympy.
"""

from __future__ import annotations

import importlib
from typing import Any

from .distribution import Distribution
from .errors import AmbiguousClosedFormError, NoClosedFormError, QuadratureError, UnreliableIntervalError
from .families import FAMILIES, Family, Param
from .families import *  # noqa: F401,F403  (the family classes)
from .families import __all__ as _family_names

__version__ = "0.1.0"

# name -> module that defines it; imported lazily on first attribute access.
_LAZY: dict[str, str] = {
    # numeric closed forms (generated code)
    "kl": "anadiv.api",
    "entropy": "anadiv.api",
    "cross_entropy": "anadiv.api",
    "kl_function": "anadiv.api",
    "entropy_function": "anadiv.api",
    "cross_entropy_function": "anadiv.api",
    "closed_form_pairs": "anadiv.api",
    # every kind: one front door, and the closed forms beyond KL
    "divergence": "anadiv.divergences",
    "renyi": "anadiv.divergences",
    "bhattacharyya": "anadiv.divergences",
    "hellinger": "anadiv.divergences",
    "chi_square": "anadiv.divergences",
    "total_variation": "anadiv.divergences",
    "jeffreys": "anadiv.divergences",
    "wasserstein2": "anadiv.wasserstein",
    "wasserstein2_quad": "anadiv.wasserstein",
    "divergence_quad": "anadiv.estimators.quadrature",
    "divergence_estimate": "anadiv.estimators.monte_carlo",
    "divergence_from_classifier": "anadiv.estimators.classifier",
    # the open registry of closed forms
    "register_closed_form": "anadiv.registry",
    "Independent": "anadiv.independent",
    "unregister_closed_form": "anadiv.registry",
    # symbolic engine (imports sympy)
    "derive_kl": "anadiv.symbolic",
    "derive_entropy": "anadiv.symbolic",
    "derive_cross_entropy": "anadiv.symbolic",
    "Derivation": "anadiv.symbolic",
    "derivable_pairs": "anadiv.symbolic",
    # no closed form
    "Mixture": "anadiv.mixture",
    "kl_estimate": "anadiv.estimators.monte_carlo",
    "entropy_estimate": "anadiv.estimators.monte_carlo",
    "cross_entropy_estimate": "anadiv.estimators.monte_carlo",
    "Estimate": "anadiv.estimators.result",
    "kl_quad": "anadiv.estimators.quadrature",
    "entropy_quad": "anadiv.estimators.quadrature",
    "cross_entropy_quad": "anadiv.estimators.quadrature",
    "QuadResult": "anadiv.estimators.result",
    # from data (samples)
    "kl_knn": "anadiv.estimators.knn",
    "entropy_knn": "anadiv.estimators.knn",
    "kl_knn_density": "anadiv.estimators.knn",
    "kl_density_knn": "anadiv.estimators.knn",
    "cross_entropy_samples": "anadiv.estimators.against_density",
    "Result": "anadiv.estimators.result",
    # divergences from samples: histograms and the one-dimensional estimators
    "histogram_divergence": "anadiv.estimators.histogram",
    "histogram_entropy": "anadiv.estimators.histogram",
    "entropy_spacing": "anadiv.estimators.one_dim",
    "wasserstein_samples": "anadiv.estimators.one_dim",
    # interoperability
    "from_scipy": "anadiv.interop",
    # threads for large batches
    "get_num_threads": "anadiv.numeric.threads",
    "set_num_threads": "anadiv.numeric.threads",
}

_SUBMODULES = (
    "registry", "divergences", "discrete", "gmm", "symbolic", "estimate", "quadrature", "mixture", "interop", "api", "cli", "estimators",
    "numeric",
)

__all__ = [
    "FAMILIES",
    "Family",
    "Param",
    "Distribution",
    "NoClosedFormError",
    "AmbiguousClosedFormError",
    "QuadratureError",
    "UnreliableIntervalError",
    *[n for n in _family_names if n not in ("FAMILIES", "Family", "Param")],
    *_LAZY,
    *_SUBMODULES,
]


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        value = getattr(importlib.import_module(_LAZY[name]), name)
        globals()[name] = value
        return value
    if name in _SUBMODULES:
        return importlib.import_module(f"anadiv.{name}")
    raise AttributeError(f"module 'anadiv' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
