"""The table of estimators from data: every route reachable through the front doors, each equal to its estimator."""

from __future__ import annotations

import numpy as np
import pytest

import anadiv
from anadiv import Normal
from anadiv.estimators import data_routes  # noqa: F401  (fills the table)
from anadiv.estimators.classifier import divergence_from_classifier, offered_kinds
from anadiv.estimators.from_data import DEFAULT_METHOD, ROUTES
from anadiv.estimators.histogram import histogram_divergence, histogram_entropy
from anadiv.estimators.one_dim import entropy_spacing, wasserstein_samples

RNG = np.random.default_rng(30)
X, Y = RNG.standard_normal(400), RNG.normal(0.5, 1.0, 300)
Q = Normal(0.5, 1.0)


def _front(kind, p, q=None, **kw):
    if kind == "entropy":
        return anadiv.entropy_estimate(p, **kw)
    return anadiv.divergence_estimate(kind, p, q, **kw)


@pytest.mark.parametrize("kind,inputs,method", sorted(ROUTES))
def test_every_route_runs_through_the_front_door(kind, inputs, method):
    p = X if inputs.startswith("samples") else Normal(0.0, 1.0)
    q = {"samples": None, "samples-samples": Y, "samples-density": Q, "density-samples": Y}[inputs]
    est = _front(kind, p, q, method=method, seed=0)
    assert isinstance(est, anadiv.Estimate)
    assert np.isfinite(est.stderr) or est.value == np.inf
    if DEFAULT_METHOD.get(f"{kind}|{inputs}") == method:
        again = _front(kind, p, q, seed=0)
        assert again.value == est.value


def test_routes_equal_their_estimators():
    assert anadiv.divergence_estimate("kl", X, Y, method="histogram").value == histogram_divergence(X, Y).value
    js = histogram_divergence(X, Y, "jensen_shannon")
    assert anadiv.divergence_estimate("jensen_shannon", X, Y, method="histogram").value == js.value
    assert anadiv.entropy_estimate(X, method="histogram").value == histogram_entropy(X).value
    assert anadiv.entropy_estimate(X, method="spacing").value == entropy_spacing(X).value
    assert anadiv.divergence_estimate("wasserstein2", X, Y).value == wasserstein_samples(X, Y, p=2).value
    for kind in ("jensen_shannon", "hellinger", "total_variation"):
        assert anadiv.divergence_estimate(kind, X, Y, seed=1).value == \
            divergence_from_classifier(kind, X, Y, seed=1).value


def test_classifier_kinds_are_the_default_for_two_samples_except_kl():
    for kind in offered_kinds():
        expected = "knn" if kind == "kl" else "classifier"
        assert DEFAULT_METHOD[f"{kind}|samples-samples"] == expected


def test_samples_against_a_density_for_bounded_kinds():
    truth = float(anadiv.divergence("jensen_shannon", Normal(0.0, 1.0), Q))
    est = anadiv.divergence_estimate("jensen_shannon", RNG.standard_normal(3000), Q, seed=2)
    # the one-step classifier estimate is low by at most ~0.01 here (docs/data.md)
    assert abs(est.value - truth) < 4 * est.stderr + 0.01


@pytest.mark.parametrize("call,match", [
    (lambda: anadiv.divergence_estimate("renyi", X, Y, params={"alpha": 2.0}), r"^kind: renyi is not offered"),
    (lambda: anadiv.divergence_estimate("chi_square", X, Q), r"^kind: chi_square is not offered from samples"),
    (lambda: anadiv.divergence_estimate("hellinger", X, Y, method="knn"), r"^method: 'knn' is not offered"),
    (lambda: anadiv.divergence_estimate("wasserstein2", np.zeros((9, 2)), np.ones((9, 2))), r"^p: the empirical"),
    (lambda: anadiv.entropy_estimate(X, method="spacing", k=3), r"^k: "),
    (lambda: anadiv.divergence_estimate("jensen_shannon", X, np.zeros((9, 2))), r"^q: samples have dimension 2"),
])
def test_what_is_not_offered_is_refused_by_name(call, match):
    with pytest.raises(ValueError, match=match):
        call()
