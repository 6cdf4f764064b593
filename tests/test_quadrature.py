"""Quadrature truth: checked against closed forms and against mpmath at 30+ digits."""

import math

import numpy as np
import pytest

from anadiv import FAMILIES, DiagonalNormal, Exponential, Gamma, Laplace, MultivariateNormal, Normal, Uniform
from anadiv.mixture import Mixture
from anadiv.estimators.quadrature import QuadResult, cross_entropy_quad, entropy_quad, kl_quad


def kl_normal(m1, s1, m2, s2):
    return math.log(s2 / s1) + (s1**2 + (m1 - m2) ** 2) / (2 * s2**2) - 0.5


def kl_mvn(m0, s0, m1, s1):
    d = len(m0)
    s1i = np.linalg.inv(s1)
    diff = m1 - m0
    _, ld0 = np.linalg.slogdet(s0)
    _, ld1 = np.linalg.slogdet(s1)
    return 0.5 * (np.trace(s1i @ s0) + diff @ s1i @ diff - d + ld1 - ld0)


@pytest.mark.parametrize("seed", range(5))
def test_normal_normal_matches_closed_form(seed):
    rng = np.random.default_rng(seed)
    m1, m2 = rng.uniform(-3, 3, 2)
    s1, s2 = np.exp(rng.uniform(np.log(0.3), np.log(3), 2))
    truth = kl_normal(m1, s1, m2, s2)
    r = kl_quad(Normal(m1, s1), Normal(m2, s2))
    assert isinstance(r, QuadResult)
    assert r.error < 1e-11
    assert abs(float(r) - truth) <= 1e-12 * max(1.0, truth)


def test_normal_normal_high_precision():
    r = kl_quad(Normal(0.3, 1.2), Normal(-0.4, 0.7), precision="high", digits=40)
    assert abs(r.value - kl_normal(0.3, 1.2, -0.4, 0.7)) < 1e-15
    assert r.error < 1e-25
    assert "mpmath" in r.method


def test_entropies_and_cross_entropy_closed_forms():
    assert abs(float(entropy_quad(Exponential(2.0))) - (1 - math.log(2.0))) < 1e-13
    assert abs(float(entropy_quad(Uniform(-1.0, 3.0))) - math.log(4.0)) < 1e-13
    assert abs(float(entropy_quad(Normal(1.0, 3.0))) - 0.5 * math.log(2 * math.pi * math.e * 9)) < 1e-13
    # H(U(0,1), Laplace(0.5, 1)) = log 2 + E|x - 0.5| = log 2 + 1/4
    assert abs(float(cross_entropy_quad(Uniform(0.0, 1.0), Laplace(0.5, 1.0))) - (math.log(2) + 0.25)) < 1e-13
    # Gamma(1/2, 1) has an integrable infinite density at 0; compare with mpmath.
    g = Gamma(0.5, 1.0)
    assert abs(float(entropy_quad(g)) - float(entropy_quad(g, precision="high"))) < 1e-12


def test_infinite_when_p_has_mass_outside_q_support():
    assert kl_quad(Normal(0.0, 1.0), Exponential(1.0)).value == math.inf
    assert cross_entropy_quad(Uniform(-1.0, 1.0), Uniform(0.0, 2.0)).value == math.inf
    # Mass in a gap of Q's support (found while integrating).
    gap = Mixture([0.5, 0.5], [Uniform(0.0, 1.0), Uniform(2.0, 3.0)])
    assert kl_quad(Uniform(0.0, 3.0), gap).value == math.inf
    # The other direction is finite: log(1/3) - log(1/2) ... KL = log(3/2).
    assert abs(float(kl_quad(gap, Uniform(0.0, 3.0))) - math.log(1.5)) < 1e-13


MIXTURE_PAIRS = {
    "overlapping": (
        Mixture([0.3, 0.7], [Normal(-1.0, 0.5), Normal(2.0, 1.0)]),
        Mixture([0.5, 0.5], [Normal(0.0, 1.0), Normal(1.5, 2.0)]),
    ),
    "narrow_q_component": (
        Mixture([0.3, 0.7], [Normal(-1.0, 0.5), Normal(2.0, 1.0)]),
        Mixture([0.5, 0.5], [Normal(0.0, 1.0), Normal(3.0, 0.01)]),
    ),
    "separated": (
        Mixture([0.5, 0.5], [Normal(-8.0, 0.3), Normal(8.0, 0.3)]),
        Mixture([0.2, 0.8], [Normal(-7.0, 1.0), Normal(9.0, 0.5)]),
    ),
    "mixed_families": (
        Mixture([0.4, 0.6], [Gamma(3.0, 2.0), Laplace(4.0, 0.5)]),
        Mixture([0.5, 0.5], [Exponential(0.5), Normal(3.0, 2.0)]),
    ),
}


@pytest.mark.slow
@pytest.mark.parametrize("name", sorted(MIXTURE_PAIRS))
def test_mixture_double_agrees_with_mpmath(name):
    p, q = MIXTURE_PAIRS[name]
    dbl = kl_quad(p, q)
    high = kl_quad(p, q, precision="high")
    assert math.isfinite(dbl.value) and dbl.value > 0
    assert high.error < 1e-20
    assert abs(dbl.value - high.value) <= max(1e-12 * high.value, 10 * dbl.error)
    assert dbl.error < 1e-10


def test_mvn_matches_closed_form():
    m0, s0 = np.array([0.0, 1.0]), np.array([[1.0, 0.5], [0.5, 2.0]])
    m1, s1 = np.array([1.0, -1.0]), np.array([[2.0, -0.3], [-0.3, 0.5]])
    r = kl_quad(MultivariateNormal(m0, s0), MultivariateNormal(m1, s1))
    truth = kl_mvn(m0, s0, m1, s1)
    assert r.error < 1e-8
    assert abs(r.value - truth) <= max(1e-9 * truth, r.error)
    e = entropy_quad(DiagonalNormal([0.0, 1.0], [1.0, 0.1]))
    assert abs(e.value - 0.5 * math.log((2 * math.pi * math.e) ** 2 * 0.01)) < 1e-9


def test_2d_mixture_reduces_to_1d_when_a_coordinate_is_shared():
    # Second coordinate N(0, 1) in every component of both mixtures: the 2-D KL
    # equals the 1-D KL of the first coordinates, which mpmath gives to 30 digits.
    w_p, w_q = [0.3, 0.7], [0.6, 0.4]
    mp_, sp_ = [-1.0, 1.5], [0.5, 1.0]
    mq_, sq_ = [0.0, 2.0], [1.0, 0.7]
    p2 = Mixture.gaussian(w_p, [[m, 0.0] for m in mp_], [[s, 1.0] for s in sp_])
    q2 = Mixture.gaussian(w_q, [[m, 0.0] for m in mq_], [[s, 1.0] for s in sq_])
    p1 = Mixture.gaussian(w_p, mp_, sp_)
    q1 = Mixture.gaussian(w_q, mq_, sq_)
    truth = kl_quad(p1, q1, precision="high").value
    r = kl_quad(p2, q2)
    assert abs(r.value - truth) <= max(1e-9 * truth, 2 * r.error)


def test_bad_input():
    with pytest.raises(ValueError, match="^p"):
        kl_quad(Normal(np.zeros(3), 1.0), Normal(0.0, 1.0))
    with pytest.raises(ValueError, match="^precision"):
        kl_quad(Normal(0.0, 1.0), Normal(0.0, 1.0), precision="quad")
    with pytest.raises(ValueError, match="^q"):
        kl_quad(Normal(0.0, 1.0), MultivariateNormal([0.0, 0.0], np.eye(2)))
    with pytest.raises(ValueError, match="^p"):
        kl_quad(MultivariateNormal(np.zeros(3), np.eye(3)), MultivariateNormal(np.zeros(3), np.eye(3)))


def test_double_exponential_tails_do_not_fake_infinity_or_hang():
    # Far left, log q of a Gumbel overflows to -inf where p has already
    # underflowed to 0: the double path must give the finite value, and the
    # mpmath path must not try exp(exp(huge)).
    gumbel = FAMILIES["gumbel"]
    p, q = gumbel(-2.4352281465576047, 0.813295173441634), gumbel(-0.12569221115499563, 0.43337132251037036)
    dbl, high = kl_quad(p, q), kl_quad(p, q, precision="high")
    assert math.isfinite(dbl.value)
    assert abs(dbl.value - high.value) <= 1e-12 * high.value


def test_divergent_tails_are_infinite():
    cauchy, student = FAMILIES["cauchy"], FAMILIES["studentt"]
    # E_P[x^2] is infinite for a Cauchy and for a Student-t with df <= 2.
    assert kl_quad(cauchy(0.0, 1.0), Normal(0.0, 1.0)).value == math.inf
    assert kl_quad(student(1.5, 0.0, 1.0), Normal(0.0, 1.0), precision="high").value == math.inf
    # df = 3 is finite; both precisions agree.
    p = student(3.0, 0.0, 1.0)
    assert abs(kl_quad(p, Normal(0.0, 1.0)).value - kl_quad(p, Normal(0.0, 1.0), precision="high").value) < 1e-11
    # Cauchy against Cauchy is finite: log((1 + 1/4 + ...)) closed form
    # KL(C(0,1) || C(1,2)) = log(((1 + 2)^2 + 1^2) / (4 * 1 * 2)) = log(10/8).
    assert abs(kl_quad(cauchy(0.0, 1.0), cauchy(1.0, 2.0)).value - math.log(10 / 8)) < 1e-12


def test_numeric_paths_do_not_import_sympy():
    import subprocess
    import sys

    code = (
        "import sys\n"
        "from anadiv import Mixture, Normal, kl_quad, kl_estimate, gmm\n"
        "p = Mixture.gaussian([0.5, 0.5], [0.0, 2.0], [1.0, 0.5]); q = Normal(1.0, 2.0)\n"
        "kl_quad(p, q); kl_estimate(p, q, n=1000, method='qmc'); kl_estimate(p, q, n=4096, method='control')\n"
        "gmm.kl_variational(p, q)\n"
        "assert 'sympy' not in sys.modules\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)
