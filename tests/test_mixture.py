"""Mixture: log-density (stable in the tails), sampling, support, validation."""

import math

import numpy as np
import pytest

from anadiv import DiagonalNormal, Exponential, Gamma, Laplace, MultivariateNormal, Normal, Uniform
from anadiv.mixture import WEIGHT_SUM_TOL, Mixture


def brute_logpdf(mix, x):
    parts = [math.log(w) + np.asarray(c.logpdf(x), dtype=float) for w, c in zip(mix.weights, mix.components)]
    return np.logaddexp.reduce(np.stack(parts), axis=0)


MIXTURES = {
    "normal": Mixture([0.3, 0.7], [Normal(-1.0, 0.5), Normal(2.0, 1.0)]),
    "mixed": Mixture([0.2, 0.5, 0.3], [Gamma(3.0, 2.0), Laplace(4.0, 0.5), Normal(-1.0, 2.0)]),
    "mvn": Mixture(
        [0.6, 0.4],
        [MultivariateNormal([0.0, 1.0], [[1.0, 0.5], [0.5, 2.0]]), MultivariateNormal([2.0, -1.0], [[0.3, 0.0], [0.0, 0.2]])],
    ),
    "diag": Mixture([0.5, 0.5], [DiagonalNormal([0.0, 0.0, 1.0], [1.0, 2.0, 0.5]), DiagonalNormal([1.0, 2.0, 3.0], [0.1, 0.2, 0.3])]),
}


@pytest.mark.parametrize("name", sorted(MIXTURES))
def test_logpdf_matches_components(name):
    mix = MIXTURES[name]
    rng = np.random.default_rng(0)
    x = mix.sample(200, rng=rng)
    np.testing.assert_allclose(mix.logpdf(x), brute_logpdf(mix, x), rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(mix.pdf(x), np.exp(brute_logpdf(mix, x)), rtol=1e-12)
    assert mix.component_logpdf(x).shape == x.shape[: x.ndim - mix.event_ndim] + (len(mix),)


def test_logpdf_stable_far_in_the_tails():
    mix = MIXTURES["normal"]
    x = np.array([-1e3, 1e3, -1e3 * 0.5 - 1.0, 2.0 + 1e3])  # ~1e3 scales out
    lp = mix.logpdf(x)
    assert np.all(np.isfinite(lp))
    # Far out the widest component dominates: log(0.7) + log N(x; 2, 1) up to exp(-huge).
    np.testing.assert_allclose(lp, math.log(0.7) + Normal(2.0, 1.0).logpdf(x), rtol=1e-14)
    mvn = MIXTURES["mvn"]
    far = np.array([[1e3, -1e3], [-2e3, 5e2]])
    lp2 = mvn.logpdf(far)
    assert np.all(np.isfinite(lp2))
    np.testing.assert_allclose(lp2, brute_logpdf(mvn, far), rtol=1e-13)


def test_logpdf_outside_every_support_is_minus_inf():
    mix = Mixture([0.5, 0.5], [Uniform(0.0, 1.0), Exponential(2.0)])
    lp = mix.logpdf(np.array([-1.0, 0.5, 3.0]))
    assert lp[0] == -np.inf and np.all(np.isfinite(lp[1:]))
    assert not np.any(np.isnan(lp))


@pytest.mark.parametrize("name", ["normal", "mvn"])
def test_sampling_moments(name):
    mix = MIXTURES[name]
    n = 200_000
    mean, cov = mix.mean_cov()
    for x in (mix.sample(n, rng=1), mix._sample_unordered(n, np.random.default_rng(2))):
        x2 = x.reshape(n, -1)
        se = np.sqrt(np.diag(cov) / n)
        assert np.all(np.abs(x2.mean(0) - mean) < 5 * se)
        np.testing.assert_allclose(np.cov(x2.T).reshape(cov.shape), cov, rtol=0.03, atol=0.01)


def test_sampling_component_frequencies_and_shapes():
    mix = MIXTURES["mixed"]
    labels = mix.sample_labels(100_000, np.random.default_rng(3))
    freq = np.bincount(labels, minlength=3) / labels.size
    se = np.sqrt(mix.weights * (1 - mix.weights) / labels.size)
    assert np.all(np.abs(freq - mix.weights) < 5 * se)
    assert mix.sample((3, 4), rng=0).shape == (3, 4)
    assert MIXTURES["diag"].sample(5, rng=0).shape == (5, 3)
    np.testing.assert_array_equal(mix.sample(10, rng=7), mix.sample(10, rng=7))


def test_support_and_breakpoints():
    mix = Mixture([0.5, 0.5], [Uniform(1.0, 2.0), Exponential(2.0)])
    lo, hi = mix.support()
    assert float(lo) == 0.0 and float(hi) == math.inf
    bps = [float(b) for b in mix.breakpoints()]
    assert 1.0 in bps and 2.0 in bps and 0.0 in bps


def test_gaussian_constructor():
    m1 = Mixture.gaussian([0.4, 0.6], [-1.0, 1.0], [0.5, 2.0])
    assert m1.dim == 0 and m1.is_gaussian
    m2 = Mixture.gaussian([0.4, 0.6], [[0.0, 0.0], [1.0, 1.0]], [np.eye(2), 2 * np.eye(2)])
    assert m2.dim == 2 and isinstance(m2.components[0], MultivariateNormal)
    m3 = Mixture.gaussian([0.4, 0.6], [[0.0, 0.0], [1.0, 1.0]], [[1.0, 2.0], [0.5, 0.5]])
    assert isinstance(m3.components[0], DiagonalNormal)
    with pytest.raises(ValueError, match="^scales_or_covs"):
        Mixture.gaussian([0.5, 0.5], [[0.0, 0.0], [1.0, 1.0]], [1.0, 2.0])
    with pytest.raises(ValueError, match="^scales_or_covs"):
        Mixture.gaussian([0.5, 0.5], [0.0, 1.0], [1.0, 2.0, 3.0])


def test_validation():
    n = [Normal(0.0, 1.0), Normal(1.0, 1.0)]
    with pytest.raises(ValueError, match="^weights.*sum to 1"):
        Mixture([0.5, 0.6], n)
    with pytest.raises(ValueError, match="^weights.*non-negative"):
        Mixture([1.5, -0.5], n)
    with pytest.raises(ValueError, match="^weights"):
        Mixture([1.0], n)
    with pytest.raises(ValueError, match="^weights"):
        Mixture([[0.5, 0.5]], n)
    with pytest.raises(ValueError, match="^weights"):
        Mixture([np.nan, 1.0], n)
    with pytest.raises(ValueError, match="^components"):
        Mixture([], [])
    with pytest.raises(ValueError, match="^components.*same dimension"):
        Mixture([0.5, 0.5], [Normal(0.0, 1.0), MultivariateNormal([0.0, 0.0], np.eye(2))])
    with pytest.raises(ValueError, match="^components.*same dimension"):
        Mixture([0.5, 0.5], [MultivariateNormal([0.0, 0.0], np.eye(2)), MultivariateNormal(np.zeros(3), np.eye(3))])
    with pytest.raises(ValueError, match=r"^components\[0\]"):
        Mixture([1.0], [Normal(np.zeros(2), 1.0)])
    with pytest.raises(ValueError, match=r"^components\[1\]"):
        Mixture([0.5, 0.5], [Normal(0.0, 1.0), "normal"])
    # Within the documented tolerance the weights are accepted and renormalised.
    m = Mixture([0.5, 0.5 + WEIGHT_SUM_TOL / 2], n)
    assert abs(m.weights.sum() - 1.0) < 1e-15


def test_mixture_of_one_dimensional_multivariate_gaussians_draws_points_of_shape_1():
    """Points of a 1-D MultivariateNormal have shape (1,): the mixture's fast samplers keep that axis."""
    import anadiv

    p, q = MultivariateNormal(np.zeros(1), np.eye(1)), MultivariateNormal(np.ones(1), np.eye(1))
    m = Mixture([0.5, 0.5], [p, q])
    rng = np.random.default_rng(0)
    assert m.sample(7, rng=0).shape == (7, 1)
    assert m._sample_unordered(7, rng).shape == (7, 1)
    assert m.sample_given_labels(np.array([0, 1, 1]), rng).shape == (3, 1)
    # Monte Carlo under M = (P + Q)/2 (the Jensen-Shannon route) used to fail on the missing axis
    est = anadiv.divergence_estimate("jensen_shannon", p, q, n=20_000, seed=1)
    truth = float(anadiv.divergence("jensen_shannon", Normal(0.0, 1.0), Normal(1.0, 1.0)))
    assert abs(est.value - truth) < 4 * est.stderr
