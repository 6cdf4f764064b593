"""anadiv: divergences between probability distributions.

Derived closed forms (sympy), generated sympy-free numpy code, Monte Carlo
estimators with honest error bars, Gaussian-mixture approximations, and
checked discrete divergences.

Heavy or optional parts (the sympy engine, estimators, quadrature) are loaded
on first use, so ``import anadiv`` and the numeric path never import sympy.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from .distribution import Distribution
from .errors import AmbiguousClosedFormError, NoClosedFormError, QuadratureError, UnreliableIntervalError
from .families import FAMILIES, Family, Param
from .families import *  # noqa: F401,F403  (the family classes)
from .families import __all__ as _family_names

__version__ = "0.1.0"

if TYPE_CHECKING:
    # What the lazy names below are, for type checkers and editors: the same
    # objects, imported at run time only on first access (__getattr__);
    # tests/test_typing.py checks that these lines and _LAZY agree.
    # ``name as name``: an explicit re-export, as strict checkers want.
    from . import (  # noqa: F401
        api as api, discrete as discrete, divergences as divergences, estimators as estimators,
        interop as interop, mixture as mixture, numeric as numeric, registry as registry, symbolic as symbolic,
    )
    # the modules' earlier names (anadiv/estimate.py & co. replace themselves with these)
    from .estimators import gmm as gmm, monte_carlo as estimate, quadrature as quadrature  # noqa: F401
    from .api import (  # noqa: F401
        kl as kl, entropy as entropy, cross_entropy as cross_entropy, kl_function as kl_function,
        entropy_function as entropy_function, cross_entropy_function as cross_entropy_function,
        closed_form_pairs as closed_form_pairs,
    )
    from .divergences import (  # noqa: F401
        divergence as divergence, renyi as renyi, bhattacharyya as bhattacharyya, hellinger as hellinger,
        chi_square as chi_square, total_variation as total_variation, jeffreys as jeffreys,
    )
    from .wasserstein import wasserstein2 as wasserstein2, wasserstein2_quad as wasserstein2_quad  # noqa: F401
    from .estimators.quadrature import (  # noqa: F401
        divergence_quad as divergence_quad, kl_quad as kl_quad, entropy_quad as entropy_quad,
        cross_entropy_quad as cross_entropy_quad,
    )
    from .estimators.monte_carlo import (  # noqa: F401
        divergence_estimate as divergence_estimate, kl_estimate as kl_estimate,
        entropy_estimate as entropy_estimate, cross_entropy_estimate as cross_entropy_estimate,
    )
    from .estimators.classifier import divergence_from_classifier as divergence_from_classifier  # noqa: F401
    from .registry import (  # noqa: F401
        register_closed_form as register_closed_form, unregister_closed_form as unregister_closed_form,
    )
    from .independent import Independent as Independent  # noqa: F401
    from .symbolic import (  # noqa: F401
        derive_kl as derive_kl, derive_entropy as derive_entropy, derive_cross_entropy as derive_cross_entropy,
        Derivation as Derivation, derivable_pairs as derivable_pairs,
    )
    from .mixture import Mixture as Mixture  # noqa: F401
    from .estimators.result import Estimate as Estimate, QuadResult as QuadResult, Result as Result  # noqa: F401
    from .estimators.knn import (  # noqa: F401
        kl_knn as kl_knn, entropy_knn as entropy_knn, kl_knn_density as kl_knn_density,
        kl_density_knn as kl_density_knn,
    )
    from .estimators.against_density import cross_entropy_samples as cross_entropy_samples  # noqa: F401
    from .estimators.histogram import (  # noqa: F401
        histogram_divergence as histogram_divergence, histogram_entropy as histogram_entropy,
    )
    from .estimators.one_dim import (  # noqa: F401
        entropy_spacing as entropy_spacing, wasserstein_samples as wasserstein_samples,
    )
    from .interop import from_scipy as from_scipy  # noqa: F401
    from .numeric.threads import get_num_threads as get_num_threads, set_num_threads as set_num_threads  # noqa: F401

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


if not TYPE_CHECKING:
    # hidden from type checkers, which read the imports above: with a module
    # __getattr__ they would take every misspelt name for an ``Any``
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
