"""Pareto, Rayleigh, Chi2, InverseGamma and HalfCauchy: what the generated tests do not state on their own.

The generated tests (hooks, scipy, quadrature, mpmath over the whole range,
backends) cover these families like every other; here: the facts of their
supports and infinite moments, the pairs without a closed form (which must say
so, never return a number), and every pair torch registers, against
``torch.distributions.kl_divergence``.
"""

from __future__ import annotations

import zlib
from typing import Any

import mpmath
import numpy as np
import pytest

import anadiv
from anadiv import (
    Beta, Chi2, Exponential, Gamma, Gumbel, HalfCauchy, InverseGamma, Laplace, Normal, Pareto, Uniform, kl,
)
from anadiv.errors import NoClosedFormError

NEW = ("pareto", "rayleigh", "chi2", "inversegamma", "halfcauchy")


def _rel(got: float, want: Any) -> float:
    return abs(got - float(want)) / abs(float(want))


# ------------------------------------------------------------ supports, moments
def test_pareto_against_pareto_is_finite_iff_its_scale_is_not_below_q_s():
    # log(a1/a2) + a2 log(s1/s2) + a2/a1 - 1 where s1 >= s2
    assert kl(Pareto(2.0, 3.0), Pareto(1.0, 2.0)) == pytest.approx(np.log(1.5) + 2 * np.log(2.0) + 2 / 3 - 1, rel=1e-15)
    assert kl(Pareto(1.0, 3.0), Pareto(1.0, 3.0)) == 0.0
    assert kl(Pareto(1.0, 3.0), Pareto(1.0 + 1e-12, 3.0)) == np.inf
    got = kl(Pareto(np.array([0.5, 1.0, 2.0]), 3.0), Pareto(1.0, 2.0))
    assert got[0] == np.inf and np.all(np.isfinite(got[1:]))


@pytest.mark.parametrize("p", [Normal(0.0, 1.0), Exponential(1.0), Gamma(2.0, 1.0), Beta(2.0, 3.0), Laplace(3.0, 1.0)])
def test_a_law_with_mass_below_the_pareto_scale_has_an_infinite_kl(p):
    assert kl(p, Pareto(0.5, 2.0)) == np.inf


def test_a_uniform_above_the_pareto_scale_has_a_finite_kl_and_one_reaching_below_an_infinite_one():
    u, q = Uniform(1.5, 3.0), Pareto(1.2, 2.2)
    # -log(b - a) - log(alpha) - alpha log(s) + (alpha + 1) E[log X], E[log X] = (b log b - a log a)/(b - a) - 1
    mpmath.mp.dps = 40
    a, b, s, al = (mpmath.mpf(v) for v in (1.5, 3.0, 1.2, 2.2))
    elog = (b * mpmath.log(b) - a * mpmath.log(a)) / (b - a) - 1
    want = -mpmath.log(b - a) - mpmath.log(al) - al * mpmath.log(s) + (al + 1) * elog
    assert _rel(kl(u, q), want) < 1e-14
    assert kl(Uniform(1.0, 3.0), q) == np.inf


def test_pareto_and_inverse_gamma_moments_are_infinite_where_they_diverge():
    mean, var = Pareto(2.0, np.array([0.5, 1.0, 1.5, 2.0, 3.0])).mean_variance()
    assert np.all(np.isinf(mean[:2])) and mean[2] == pytest.approx(6.0) and mean[4] == pytest.approx(3.0)
    assert np.all(np.isinf(var[:4])) and var[4] == pytest.approx(3.0)
    mean, var = InverseGamma(np.array([0.7, 1.0, 1.5, 3.0]), 2.0).mean_variance()
    assert np.all(np.isinf(mean[:2])) and mean[2] == pytest.approx(4.0) and mean[3] == pytest.approx(1.0)
    assert np.all(np.isinf(var[:3])) and var[3] == pytest.approx(1.0)
    with pytest.raises(NotImplementedError, match="no mean"):
        HalfCauchy(1.0).mean_variance()


def test_kl_against_a_pareto_or_an_exponential_is_infinite_where_the_needed_moment_is():
    assert kl(Pareto(1.0, 0.9), Exponential(1.0)) == np.inf  # E[X] = oo
    assert np.isfinite(kl(Pareto(1.0, 1.1), Exponential(1.0)))
    assert kl(Pareto(1.0, 1.9), Normal(0.0, 1.0)) == np.inf  # E[X^2] = oo
    assert kl(InverseGamma(0.9, 1.0), Exponential(1.0)) == np.inf
    assert kl(Exponential(1.0), InverseGamma(2.0, 1.0)) == np.inf  # E[1/X] = oo
    assert kl(HalfCauchy(1.0), Exponential(1.0)) == np.inf
    assert kl(HalfCauchy(1.0), anadiv.Weibull(1.0, 1.0)) == np.inf  # E[X^k] = oo for k >= 1


def test_halfcauchy_kl_is_the_closed_form_of_the_scales():
    for s1, s2 in [(1.0, 3.0), (0.2, 7.0), (5.0, 5.0)]:
        assert kl(HalfCauchy(s1), HalfCauchy(s2)) == pytest.approx(np.log((s1 + s2) ** 2 / (4 * s1 * s2)), rel=1e-14, abs=1e-16)


def test_chi2_and_inverse_gamma_equal_their_gamma_forms():
    # Chi2(k) is Gamma(k/2, 1/2); KL is invariant under x -> 1/x, so IG pairs are the Gamma pairs of 1/X
    assert kl(Chi2(3.0), Chi2(7.5)) == pytest.approx(kl(Gamma(1.5, 0.5), Gamma(3.75, 0.5)), rel=1e-14)
    assert kl(Chi2(3.0), Gamma(2.0, 0.7)) == pytest.approx(kl(Gamma(1.5, 0.5), Gamma(2.0, 0.7)), rel=1e-14)
    assert kl(InverseGamma(2.0, 3.0), InverseGamma(4.0, 1.5)) == pytest.approx(kl(Gamma(2.0, 3.0), Gamma(4.0, 1.5)),
                                                                                rel=1e-14)
    assert anadiv.entropy(Chi2(5.0)) == pytest.approx(anadiv.entropy(Gamma(2.5, 0.5)), rel=1e-14)


# --------------------------------------------------------------- no closed form
NO_CLOSED_FORM = [
    (Pareto(1.0, 2.0), anadiv.Cauchy(0.0, 1.0)),
    (Pareto(1.0, 2.0), HalfCauchy(1.0)),
    (Pareto(1.0, 2.0), Gumbel(0.0, 1.0)),
    (InverseGamma(2.0, 1.0), Gumbel(0.0, 1.0)),
    (HalfCauchy(1.0), Gumbel(0.0, 1.0)),
    (HalfCauchy(1.0), anadiv.Cauchy(1.0, 1.0)),
    (anadiv.Rayleigh(1.0), HalfCauchy(2.0)),
    (Chi2(3.0), anadiv.StudentT(3.0, 0.0, 1.0)),
]


@pytest.mark.parametrize("p, q", NO_CLOSED_FORM, ids=lambda d: type(d).__name__)
def test_pairs_without_a_closed_form_say_so(p, q):
    with pytest.raises(NoClosedFormError, match="kl_estimate"):
        kl(p, q)


# ------------------------------------------------------------------- torch
#: Every pair with a new family that torch 2.13 registers (directly, or through
#: Chi2 < Gamma and the transformed-distribution rule for InverseGamma and HalfCauchy).
TORCH_PAIRS = [
    ("beta", "chi2"), ("beta", "pareto"), ("chi2", "beta"), ("chi2", "chi2"), ("chi2", "exponential"),
    ("chi2", "gamma"), ("chi2", "gumbel"), ("chi2", "normal"), ("chi2", "pareto"), ("chi2", "uniform"),
    ("exponential", "chi2"), ("exponential", "pareto"), ("gamma", "chi2"), ("gamma", "pareto"), ("gumbel", "chi2"),
    ("gumbel", "pareto"), ("halfcauchy", "halfcauchy"), ("inversegamma", "inversegamma"), ("laplace", "chi2"),
    ("laplace", "pareto"), ("normal", "chi2"), ("normal", "pareto"), ("pareto", "beta"), ("pareto", "chi2"),
    ("pareto", "exponential"), ("pareto", "gamma"), ("pareto", "normal"), ("pareto", "pareto"),
    ("pareto", "uniform"), ("uniform", "chi2"), ("uniform", "pareto"),
    # with a ContinuousBernoulli (a family of another branch: torch registers these through Gamma and Pareto)
    ("chi2", "continuous_bernoulli"), ("continuous_bernoulli", "pareto"), ("pareto", "continuous_bernoulli"),
]

#: Points where the pair is finite, beyond the random draws (which often give inf for Pareto's Q).
FINITE_POINTS = {
    ("pareto", "pareto"): ((1.5, 2.5), (1.2, 1.3)),
    ("uniform", "pareto"): ((1.5, 3.0), (1.2, 2.2)),
    ("uniform", "chi2"): ((0.5, 4.0), (3.0,)),
    ("pareto", "normal"): ((0.7, 4.5), (1.0, 2.0)),
}


def _torch_kl(torch: Any, p: Any, q: Any) -> float:
    return float(torch.distributions.kl_divergence(p.to_torch(), q.to_torch()))


@pytest.mark.parametrize("pair", TORCH_PAIRS, ids="->".join)
def test_kl_equals_torch_where_torch_registers_the_pair(pair):
    torch = pytest.importorskip("torch")
    P, Q = (anadiv.FAMILIES[n] for n in pair)
    rng = np.random.default_rng(zlib.crc32("->".join(pair).encode()))
    points = [(P.random_params(rng), Q.random_params(rng)) for _ in range(6)]
    if pair in FINITE_POINTS:
        points.append(FINITE_POINTS[pair])
    finite = 0
    for pp, qq in points:
        p, q = P(*pp), Q(*qq)
        want, got = _torch_kl(torch, p, q), kl(p, q)
        if np.isinf(want):
            assert got == np.inf, (p, q, got)
        else:
            finite += 1
            assert got == pytest.approx(want, rel=1e-12), (p, q)
    if pair in FINITE_POINTS:
        assert finite, "the finite point was not finite"


def test_torch_registers_no_other_pair_with_a_new_family():
    torch = pytest.importorskip("torch")
    names = sorted(n for n, c in anadiv.FAMILIES.items() if c.torch_name and c.event_ndim == 0)
    registered = []
    for p in names:
        for q in names:
            if p not in NEW and q not in NEW:
                continue
            P, Q = anadiv.FAMILIES[p], anadiv.FAMILIES[q]
            rng = np.random.default_rng(0)
            try:
                _torch_kl(torch, P(*P.random_params(rng)), Q(*Q.random_params(rng)))
            except NotImplementedError:
                continue
            registered.append((p, q))
    assert sorted(registered) == sorted(TORCH_PAIRS)


def test_torch_loses_digits_for_nearly_equal_pairs_and_anadiv_does_not():
    """anadiv against 40-digit mpmath; torch's float64 values (2.13) in the comments."""
    torch = pytest.importorskip("torch")
    mpmath.mp.dps = 40
    mp = mpmath.mpf
    # Pareto(1.3, 2.5) || Pareto(1.3, 2.5 (1 + 1e-9)): exact 5.00000082e-19, torch 0.0 (relative error 1.0)
    s, a1 = 1.3, 2.5
    a2 = a1 * (1 + 1e-9)
    want = mpmath.log(mp(a1) / mp(a2)) + mp(a2) / mp(a1) - 1
    assert _rel(kl(Pareto(s, a1), Pareto(s, a2)), want) < 1e-13
    # Pareto(1.3, 2.5) || Pareto(1.3 (1 - 1e-9), 2.5): exact 2.49999978e-9, torch 2.49999954e-9 (9.6e-8)
    s2 = s * (1 - 1e-9)
    want = mp(a1) * mpmath.log(mp(s) / mp(s2))
    assert _rel(kl(Pareto(s, a1), Pareto(s2, a1)), want) < 1e-13
    # HalfCauchy(1.7) || HalfCauchy(1.7 (1 + 1e-6)): exact 2.4999975e-13, torch 2.50022e-13 (9.0e-5)
    s1, s2 = 1.7, 1.7 * (1 + 1e-6)
    want = mpmath.log((mp(s1) + mp(s2)) ** 2 / (4 * mp(s1) * mp(s2)))
    assert _rel(kl(HalfCauchy(s1), HalfCauchy(s2)), want) < 1e-13
    # InverseGamma(2.3, 1.4) || InverseGamma(2.3 (1 + 1e-7), 1.4 (1 + 1e-7)): exact 2.85011558e-15,
    # torch 2.76512889e-15 (3.0e-2); Chi2(3.1) || Chi2(3.1 (1 + 1e-7)): exact 1.07518374e-14, torch 1.07575276e-14
    # (5.3e-4). Their truth is the Gamma pair's, which the Gamma tests check against mpmath.
    c1, r1 = 2.3, 1.4
    c2, r2 = c1 * (1 + 1e-7), r1 * (1 + 1e-7)
    assert _rel(kl(InverseGamma(c1, r1), InverseGamma(c2, r2)), kl(Gamma(c1, r1), Gamma(c2, r2))) < 1e-13
    d1, d2 = 3.1, 3.1 * (1 + 1e-7)
    assert _rel(kl(Chi2(d1), Chi2(d2)), kl(Gamma(d1 / 2, 0.5), Gamma(d2 / 2, 0.5))) < 1e-13
    # Uniform(1.5, 1.5 (1 + 1e-9)) || Pareto(1.2, 2.2): torch 20.4257242108476 (1.2e-10)
    lo, hi, sc, al = 1.5, 1.5 * (1 + 1e-9), 1.2, 2.2
    a, b = mp(lo), mp(hi)
    elog = (b * mpmath.log(b) - a * mpmath.log(a)) / (b - a) - 1
    want = -mpmath.log(b - a) - mpmath.log(al) - mp(al) * mpmath.log(sc) + (mp(al) + 1) * elog
    assert _rel(kl(Uniform(lo, hi), Pareto(sc, al)), want) < 1e-13


# --------------------------------------------------------- gradients per branch
#: One batch over two branches of a Piecewise: (P params, Q params) per element; the torch
#: gradients of the finite elements must be finite and match central differences of numpy.
BRANCH_BATCHES = {
    # loc <= scale: one formula; loc > scale: another, with loc**alpha (NaN at loc < 0 where not taken)
    (Pareto, Laplace): ([[1.0, 1.0], [2.5, 2.5]], [[-2.0, 3.0], [1.5, 1.5]]),
    # low = 0: infinite (oo*|high|/high), low > 0: finite
    (Uniform, InverseGamma): ([[0.0, 0.5], [2.0, 2.0]], [[3.0, 3.0], [1.2, 1.2]]),
}


@pytest.mark.parametrize("pair", list(BRANCH_BATCHES), ids=lambda pair: "->".join(c.__name__ for c in pair))
def test_torch_gradients_are_finite_in_every_branch_of_one_batch(pair):
    torch = pytest.importorskip("torch")
    f = anadiv.kl_function(*pair)
    p_params, q_params = BRANCH_BATCHES[pair]
    arrays = [np.asarray(v, dtype=float) for v in (*p_params, *q_params)]
    tensors = [torch.tensor(a, dtype=torch.float64, requires_grad=True) for a in arrays]
    value = f(*tensors)
    finite = torch.isfinite(value).detach().numpy()
    assert finite.any() and np.array_equal(value.detach().numpy(), f(*arrays))
    torch.where(torch.isfinite(value), value, torch.zeros_like(value)).sum().backward()
    for i, t in enumerate(tensors):
        assert np.all(np.isfinite(t.grad.numpy()[finite])), (i, t.grad)
        for j in np.flatnonzero(finite):
            h = 1e-6 * max(1.0, abs(arrays[i][j]))
            up, down = [a.copy() for a in arrays], [a.copy() for a in arrays]
            up[i][j] += h
            down[i][j] -= h
            numeric = (f(*up)[j] - f(*down)[j]) / (2 * h)
            assert t.grad.numpy()[j] == pytest.approx(numeric, rel=1e-5, abs=1e-7)
