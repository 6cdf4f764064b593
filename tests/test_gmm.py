"""Gaussian-mixture approximations and bounds, checked against quadrature."""

import math

import numpy as np
import pytest

from anadiv import Exponential, MultivariateNormal, Normal
from anadiv import gmm
from anadiv.mixture import Mixture
from anadiv.estimators.quadrature import kl_quad

APPROXIMATIONS = [
    "kl_variational",
    "kl_variational_upper_bound",
    "kl_matched_bound",
    "kl_moment_matched",
    "kl_product",
    "kl_unscented",
    "kl_lower_bound",
    "kl_upper_bound",
    "kl_bounds_mean",
]


def random_mixture(rng, d, k=3):
    w = rng.dirichlet(np.ones(k))
    if d == 1:
        return Mixture.gaussian(w, rng.uniform(-3, 3, k), np.exp(rng.uniform(np.log(0.3), np.log(2.0), k)))
    covs = np.array([MultivariateNormal.random_params(rng, dim=d)[1] for _ in range(k)])
    return Mixture.gaussian(w, rng.uniform(-2, 2, (k, d)), covs)


def kl_mvn(m0, s0, m1, s1):
    s1i = np.linalg.inv(s1)
    diff = m1 - m0
    return 0.5 * (np.trace(s1i @ s0) + diff @ s1i @ diff - len(m0) + np.linalg.slogdet(s1)[1] - np.linalg.slogdet(s0)[1])


@pytest.mark.slow
@pytest.mark.parametrize("d", [1, 2])
def test_bounds_bracket_quadrature_truth(d):
    rng = np.random.default_rng(100 + d)
    errors = {name: [] for name in APPROXIMATIONS}
    for _ in range(12):
        p, q = random_mixture(rng, d), random_mixture(rng, d)
        truth = kl_quad(p, q)
        slack = 10 * truth.error + 1e-12
        lo, hi = gmm.kl_lower_bound(p, q), gmm.kl_upper_bound(p, q)
        vub = gmm.kl_variational_upper_bound(p, q)
        assert lo <= truth.value + slack
        assert truth.value <= hi + slack
        assert truth.value <= vub + slack
        assert lo <= gmm.kl_bounds_mean(p, q) <= hi
        for name in APPROXIMATIONS:
            errors[name].append(abs(getattr(gmm, name)(p, q) - truth.value) / truth.value)
    medians = {name: float(np.median(v)) for name, v in errors.items()}
    # Printed with -s for the report; the approximations are not bounds, so only sanity is asserted.
    print(f"\nd={d} median relative error:", {k: f"{v:.1%}" for k, v in medians.items()})
    assert medians["kl_unscented"] < 0.25
    assert medians["kl_variational"] < 0.5


def test_single_gaussians_are_exact_where_they_should_be():
    m0, s0 = np.array([0.3, -1.0]), np.array([[1.0, 0.4], [0.4, 0.7]])
    m1, s1 = np.array([1.0, 0.5]), np.array([[2.0, -0.3], [-0.3, 0.9]])
    p, q = MultivariateNormal(m0, s0), MultivariateNormal(m1, s1)
    exact = kl_mvn(m0, s0, m1, s1)
    for name in ("kl_variational", "kl_variational_upper_bound", "kl_matched_bound", "kl_moment_matched", "kl_unscented"):
        assert abs(getattr(gmm, name)(p, q) - exact) < 1e-12 * max(1.0, exact), name
    # Univariate Normal and one-component mixtures go through the same path.
    assert abs(gmm.kl_variational(Normal(0.0, 1.0), Mixture.gaussian([1.0], [1.0], [2.0])) - (math.log(2) + 2 / 8 - 0.5)) < 1e-14
    # The Durrieu bounds still bracket the exact value.
    assert gmm.kl_lower_bound(p, q) <= exact <= gmm.kl_upper_bound(p, q)


def test_variational_upper_bound_far_apart_does_not_overflow():
    # exp(-KL) underflows to 0 for every pair here: the log-domain iteration must stay finite.
    p = Mixture.gaussian([0.5, 0.5], [-500.0, 500.0], [0.1, 0.1])
    q = Mixture.gaussian([0.5, 0.5], [-400.0, 400.0], [0.1, 0.2])
    v = gmm.kl_variational_upper_bound(p, q)
    assert math.isfinite(v) and v > 0
    truth = kl_quad(p, q).value
    assert truth <= v * (1 + 1e-9)
    assert gmm.kl_lower_bound(p, q) <= truth <= gmm.kl_upper_bound(p, q) * (1 + 1e-12)


def test_variational_upper_bound_decreases_with_iterations():
    rng = np.random.default_rng(7)
    p, q = random_mixture(rng, 2, 4), random_mixture(rng, 2, 4)
    values = [gmm.kl_variational_upper_bound(p, q, max_iter=k, tol=0.0) for k in (0, 1, 3, 10, 100)]
    assert all(a >= b - 1e-12 for a, b in zip(values, values[1:]))


def test_zero_weight_components_are_ignored():
    p = Mixture.gaussian([0.5, 0.5, 0.0], [-1.0, 1.0, 50.0], [0.5, 0.5, 0.1])
    p2 = Mixture.gaussian([0.5, 0.5], [-1.0, 1.0], [0.5, 0.5])
    q = Mixture.gaussian([0.3, 0.7], [0.0, 2.0], [1.0, 1.0])
    for name in APPROXIMATIONS:
        assert abs(getattr(gmm, name)(p, q) - getattr(gmm, name)(p2, q)) < 1e-12, name


def test_bad_input():
    g = Mixture.gaussian([0.5, 0.5], [0.0, 1.0], [1.0, 1.0])
    with pytest.raises(ValueError, match="^p"):
        gmm.kl_variational(Mixture([1.0], [Exponential(1.0)]), g)
    with pytest.raises(ValueError, match="^q"):
        gmm.kl_variational(g, Mixture.gaussian([1.0], [[0.0, 0.0]], [np.eye(2)]))
    with pytest.raises(ValueError, match="^p"):
        gmm.kl_unscented(Normal(np.zeros(2), 1.0), g)
    with pytest.raises(ValueError, match="^q"):
        gmm.kl_upper_bound(g, "normal")
