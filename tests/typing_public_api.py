"""Typical calls of the public API with their types pinned: type-checked, never run.

tests/test_typing.py runs mypy on this file: an ``assert_type`` that no
longer holds (a public function back to ``Any``, a narrower or wider return
type) fails the test, and so does a ``# type: ignore[...]`` that is no longer
needed (``warn_unused_ignores``): those lines pin what a type checker refuses.
"""

from __future__ import annotations

from typing import Any, Callable

import numpy as np
from numpy.typing import NDArray
from typing_extensions import assert_type

import anadiv
import anadiv.discrete
from anadiv import (
    Derivation,
    Estimate,
    Family,
    Gamma,
    Independent,
    Mixture,
    Normal,
    QuadResult,
    Result,
    closed_form_pairs,
    cross_entropy,
    entropy,
    kl,
    kl_function,
)
from anadiv.api import ClosedForm
from anadiv.typing import ClosedFormFunction, DivergenceValue

p, q = Normal(0.0, 1.0), Normal(1.0, 2.0)
batch = Normal(np.zeros(3), np.ones(3))

# closed forms: a float, or an array over the batch shape
assert_type(kl(p, q), DivergenceValue)
assert_type(anadiv.kl(batch, q), "float | NDArray[np.floating[Any]]")
assert_type(cross_entropy(p, q), DivergenceValue)
assert_type(entropy(Gamma(2.0, 1.0)), DivergenceValue)
assert_type(anadiv.hellinger(p, q), DivergenceValue)
assert_type(anadiv.renyi(p, q, 0.5), DivergenceValue)
assert_type(anadiv.jeffreys(p, q), DivergenceValue)
assert_type(anadiv.wasserstein2(p, q), DivergenceValue)
assert_type(kl(Mixture([0.5, 0.5], [p, q]), q), DivergenceValue)
assert_type(kl(Independent(batch, 1), Independent(batch, 1)), DivergenceValue)
value = float(kl(p, q))  # both members convert

# the generated functions, by class, instance or name
assert_type(kl_function(Normal, Normal), ClosedFormFunction)
assert_type(anadiv.entropy_function("normal"), "Callable[..., float | NDArray[np.floating[Any]]]")
assert_type(anadiv.cross_entropy_function(p, "gamma")(0.0, 1.0, 2.0, 1.0), DivergenceValue)
assert_type(closed_form_pairs("kl"), list[ClosedForm])

# every kind through one door, and the estimators: results with their errors
assert_type(anadiv.divergence("hellinger", p, q), Result)
assert_type(anadiv.kl_estimate(p, q, n=1000, seed=0), Estimate)
assert_type(anadiv.kl_estimate(p, q).ci(0.9), tuple[float, float])
assert_type(anadiv.kl_estimate(p, q).stderr, float)
assert_type(anadiv.entropy_estimate(p), Estimate)
assert_type(anadiv.divergence_estimate("renyi", p, q, params={"alpha": 0.5}), Estimate)
assert_type(anadiv.kl_quad(p, q), QuadResult)
assert_type(anadiv.kl_quad(p, q).error, float)
assert_type(anadiv.divergence_quad("hellinger", p, q), QuadResult)
assert_type(anadiv.wasserstein2_quad(p, q), QuadResult)
x, y = np.zeros((100, 2)), np.ones((100, 2))
assert_type(anadiv.kl_knn(x, y), Estimate)
assert_type(anadiv.entropy_knn(x), Estimate)
assert_type(anadiv.histogram_divergence(x[:, 0], y[:, 0], "kl"), Estimate)
assert_type(anadiv.wasserstein_samples(x[:, 0], y[:, 0]), Estimate)

# the symbolic engine
assert_type(anadiv.derive_kl(Normal, Normal), Derivation)
assert_type(anadiv.derive_entropy(Normal), Derivation)
assert_type(anadiv.derive_cross_entropy(Normal(0.0, 1.0), Gamma), Derivation)
assert_type(anadiv.derivable_pairs("kl"), list[tuple[type[Family], ...]])

# probability vectors
assert_type(anadiv.discrete.kl([0.5, 0.5], [0.25, 0.75]), "float | NDArray[np.float64]")
assert_type(anadiv.discrete.js_distance(np.full((4, 3), 1 / 3), [0.2, 0.3, 0.5]), "float | NDArray[np.float64]")

# distributions and the registry
assert_type(anadiv.from_scipy(object()), Family)
assert_type(p.logpdf(0.5), NDArray[Any])
assert_type(p.sample(10, rng=0), NDArray[Any])
assert_type(anadiv.FAMILIES["normal"], type[Family])


@anadiv.register_closed_form("kl", Normal, Gamma)
def _kl_normal_gamma(p: Normal, q: Gamma) -> float:
    return float("inf")


assert_type(_kl_normal_gamma(p, Gamma(2.0, 1.0)), float)  # the decorator keeps the signature

# what a type checker refuses (each ignore must still be needed)
kl(Normal, Normal)  # type: ignore[arg-type]  # a class is not a distribution
kl(p, "normal")  # type: ignore[arg-type]
anadiv.kl_estimate(p, q, n="1000")  # type: ignore[arg-type]
anadiv.derive_kl("normal", Normal)  # type: ignore[arg-type]  # classes or instances, not names
anadiv.no_such_name  # type: ignore[attr-defined]  # noqa: B018
