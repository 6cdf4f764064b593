"""Dirichlet and Categorical: the exponential-family (Bregman) route and its generated code.

Truth: the closed forms evaluated by mpmath at 60 digits, exact sums over the
categories, a Monte Carlo estimate with its standard error, scipy's and
torch's values, and the expectation route of the univariate families the
two-category cases reduce to (Beta, Bernoulli).
"""

from __future__ import annotations

import math

import mpmath
import numpy as np
import pytest
import sympy as sp

import anadiv
from anadiv import Bernoulli, Beta, Categorical, Dirichlet
from anadiv._generated import categorical as gen_cat
from anadiv._generated import dirichlet as gen_dir
from anadiv.symbolic import derive_cross_entropy, derive_entropy, derive_kl

mpmath.mp.dps = 60


# ------------------------------------------------------------------- truths
def _mp_dirichlet_kl(a, b) -> float:
    a = [mpmath.mpf(float(v)) for v in a]
    b = [mpmath.mpf(float(v)) for v in b]
    a0, b0 = mpmath.fsum(a), mpmath.fsum(b)
    out = mpmath.loggamma(a0) - mpmath.fsum(map(mpmath.loggamma, a)) - mpmath.loggamma(b0)
    out += mpmath.fsum(map(mpmath.loggamma, b))
    out += mpmath.fsum((x - y) * (mpmath.digamma(x) - mpmath.digamma(a0)) for x, y in zip(a, b))
    return float(out)


def _mp_dirichlet_entropy(a) -> float:
    a = [mpmath.mpf(float(v)) for v in a]
    a0, k = mpmath.fsum(a), len(a)
    log_b = mpmath.fsum(map(mpmath.loggamma, a)) - mpmath.loggamma(a0)
    return float(log_b + (a0 - k) * mpmath.digamma(a0) - mpmath.fsum((x - 1) * mpmath.digamma(x) for x in a))


def _mp_dirichlet_cross_entropy(a, b) -> float:
    return float(mpmath.mpf(_mp_dirichlet_entropy(a)) + mpmath.mpf(_mp_dirichlet_kl(a, b)))


def _mp_categorical(p, q):
    """KL, cross-entropy and entropy as exact sums (0 log 0 = 0; inf where q = 0 < p).

    The KL is summed as its terms p log(p/q) - p + q: the same value for vectors summing
    to 1, and for float vectors (which sum to 1 only to rounding) the quantity the KL of
    two nearly equal vectors is defined by (a plain sum of p log(p/q) would carry the
    rounding of the sums, sum(p - q), which exceeds a KL of 1e-24).
    """
    p = [mpmath.mpf(float(v)) for v in p]
    q = [mpmath.mpf(float(v)) for v in q]
    kl = ce = h = mpmath.mpf(0)
    for x, y in zip(p, q):
        if x == 0:
            kl += y
            continue
        h -= x * mpmath.log(x)
        if y == 0:
            kl = ce = mpmath.inf
            continue
        kl += x * mpmath.log(x / y) - x + y
        ce -= x * mpmath.log(y)
    return float(kl), float(ce), float(h)


DIRICHLET_POINTS = [
    ([1.0, 2.0, 3.0], [2.0, 2.0, 2.0]),
    ([0.3, 0.7], [1.5, 0.4]),
    ([1e-3, 2e-3, 5.0, 0.5], [1.0, 1e-2, 0.2, 3.0]),
    ([1e6, 2e6, 3e6], [1.1e6, 2e6, 2.9e6]),
    ([2.0, 3.0, 4.0], [2.0 * (1 + 1e-9), 3.0, 4.0 * (1 - 1e-9)]),  # nearly equal
    ([50.0, 0.5, 8.0], [50.0, 0.5 + 1e-7, 8.0]),  # nearly equal, one coordinate
]


# ----------------------------------------------------- the route, symbolically
def test_two_category_dirichlet_is_beta_by_both_routes():
    """Bregman route (Dirichlet) and expectation route (Beta) agree at 60 digits."""
    for a, b in [((0.5, 2.0), (3.0, 0.25)), ((4.0, 4.0), (1.0, 7.0))]:
        bregman = derive_kl(Dirichlet(sp.Matrix([sp.Rational(str(v)) for v in a])),
                            Dirichlet(sp.Matrix([sp.Rational(str(v)) for v in b]))).expr
        expect = derive_kl(Beta(*(sp.Rational(str(v)) for v in a)), Beta(*(sp.Rational(str(v)) for v in b))).expr
        assert abs(sp.N(bregman - expect, 60)) < sp.Float("1e-55")
        h_dir = derive_entropy(Dirichlet(sp.Matrix([sp.Rational(str(v)) for v in a]))).expr
        h_beta = derive_entropy(Beta(*(sp.Rational(str(v)) for v in a))).expr
        assert abs(sp.N(h_dir - h_beta, 60)) < sp.Float("1e-55")


def test_two_category_categorical_is_bernoulli_by_both_routes():
    p, q = sp.Rational(1, 5), sp.Rational(2, 3)
    cat = derive_kl(Categorical(sp.Matrix([1 - p, p])), Categorical(sp.Matrix([1 - q, q]))).expr
    ber = derive_kl(Bernoulli(p), Bernoulli(q)).expr
    assert abs(sp.N(cat - ber, 60)) < sp.Float("1e-55")
    ce = derive_cross_entropy(Categorical(sp.Matrix([1 - p, p])), Categorical(sp.Matrix([1 - q, q]))).expr
    assert abs(sp.N(ce - derive_cross_entropy(Bernoulli(p), Bernoulli(q)).expr, 60)) < sp.Float("1e-55")


def test_the_dirichlet_kl_is_the_textbook_formula():
    a1, a2 = Dirichlet.symbols("1")[0], Dirichlet.symbols("2")[0]
    vals = ([sp.Rational(3, 2), sp.Rational(1, 3), 4], [2, sp.Rational(5, 7), sp.Rational(1, 2)])
    d = derive_kl(Dirichlet(sp.Matrix(vals[0])), Dirichlet(sp.Matrix(vals[1])))
    assert float(sp.N(d.expr, 30)) == pytest.approx(_mp_dirichlet_kl(*vals), rel=1e-15)
    assert derive_kl(Dirichlet, Dirichlet).expr.has(a1, a2)


def test_multinomial_like_cross_pairs_are_not_derived():
    from anadiv.errors import NoClosedFormError

    with pytest.raises(NoClosedFormError, match="pairs a vector exponential family only with itself"):
        derive_kl(Dirichlet, Categorical)


# ------------------------------------------------------------ generated code
@pytest.mark.parametrize("a, b", DIRICHLET_POINTS)
def test_dirichlet_generated_against_mpmath(a, b):
    a, b = np.array(a), np.array(b)
    assert gen_dir.kl_dirichlet_dirichlet(a, b) == pytest.approx(_mp_dirichlet_kl(a, b), rel=1e-12, abs=0)
    assert gen_dir.entropy_dirichlet(a) == pytest.approx(_mp_dirichlet_entropy(a), rel=1e-12, abs=1e-300)
    assert gen_dir.cross_entropy_dirichlet_dirichlet(a, b) == pytest.approx(
        _mp_dirichlet_cross_entropy(a, b), rel=1e-12, abs=1e-300)


def test_dirichlet_kl_against_monte_carlo_and_scipy():
    import scipy.stats as st

    rng = np.random.default_rng(11)
    a, b = np.array([0.8, 2.5, 1.7]), np.array([1.5, 1.0, 3.0])
    p, q = Dirichlet(a), Dirichlet(b)
    x = p.sample(40_000, rng=rng)
    x = x[np.all(x > 0, axis=-1)]  # a gamma draw may underflow to 0 (log density -inf): probability ~0 here
    terms = p.logpdf(x) - q.logpdf(x)
    mean, se = terms.mean(), terms.std(ddof=1) / math.sqrt(len(terms))
    value = float(anadiv.kl(p, q))
    assert abs(value - mean) < 5 * se
    assert float(anadiv.entropy(p)) == pytest.approx(st.dirichlet(a).entropy(), rel=1e-12)
    pt = np.array([0.2, 0.3, 0.5])
    assert float(p.logpdf(pt)) == pytest.approx(st.dirichlet(a).logpdf(pt), rel=1e-13)


def test_dirichlet_batches_broadcast():
    a = np.array([[1.0, 2.0, 3.0], [0.5, 0.5, 0.5]])
    b = np.array([2.0, 2.0, 2.0])
    got = anadiv.kl(Dirichlet(a), Dirichlet(b))
    assert np.shape(got) == (2,)
    assert np.allclose(got, [_mp_dirichlet_kl(a[0], b), _mp_dirichlet_kl(a[1], b)], rtol=1e-13)


CATEGORICAL_POINTS = [
    ([0.2, 0.3, 0.5], [0.5, 0.25, 0.25]),
    ([0.0, 0.4, 0.6], [0.1, 0.0, 0.9]),  # q = 0 < p: inf
    ([0.0, 0.4, 0.6], [0.2, 0.3, 0.5]),  # 0 log 0
    ([0.5, 0.5, 0.0], [0.25, 0.75, 0.0]),  # 0 against 0
    ([1e-300, 0.5, 0.5 - 1e-300], [0.5, 1e-300, 0.5]),
    ([0.25, 0.25, 0.5], [0.25 * (1 + 1e-9), 0.25, 0.5 - 0.25e-9]),  # nearly equal
]


@pytest.mark.parametrize("p, q", CATEGORICAL_POINTS)
def test_categorical_generated_against_exact_sums(p, q):
    kl, ce, h = _mp_categorical(p, q)
    p, q = np.array(p), np.array(q)
    with np.errstate(all="ignore"):
        got = (gen_cat.kl_categorical_categorical(p, q), gen_cat.cross_entropy_categorical_categorical(p, q),
               gen_cat.entropy_categorical(p))
    for g, want in zip(got, (kl, ce, h)):
        assert g == pytest.approx(want, rel=1e-12, abs=0) if math.isfinite(want) else g == want
    if math.isfinite(kl):
        assert float(anadiv.discrete.kl(p, q)) == pytest.approx(kl, rel=1e-12, abs=0)


def test_categorical_against_its_own_mass_function():
    p, q = Categorical(np.array([0.1, 0.6, 0.3])), Categorical(np.array([0.3, 0.3, 0.4]))
    k = np.arange(3.0)
    lp, lq = p.logpdf(k), q.logpdf(k)
    assert float(anadiv.kl(p, q)) == pytest.approx(float(np.sum(np.exp(lp) * (lp - lq))), rel=1e-12)
    assert float(anadiv.entropy(p)) == pytest.approx(float(-np.sum(np.exp(lp) * lp)), rel=1e-12)
    draws = p.sample(20_000, rng=4)
    assert np.allclose(np.bincount(draws.astype(int), minlength=3) / 20_000, [0.1, 0.6, 0.3], atol=5 * np.sqrt(0.25 / 20_000))


# ------------------------------------------------------------------- inputs
def test_input_errors_name_the_argument():
    with pytest.raises(ValueError, match="^probs: must sum to 1"):
        Categorical(np.array([0.2, 0.2, 0.5]))
    with pytest.raises(ValueError, match="^probs: must be non-negative"):
        Categorical(np.array([-0.1, 0.6, 0.5]))
    with pytest.raises(ValueError, match="^concentration: "):
        Dirichlet(np.array([1.0, 0.0, 2.0]))
    with pytest.raises(ValueError, match="^concentration: needs shape"):
        Dirichlet(np.array([1.0]))
    with pytest.raises(ValueError, match="^q: probs_2 has"):
        anadiv.kl(Categorical(np.array([0.5, 0.5])), Categorical(np.array([0.2, 0.3, 0.5])))
    with pytest.raises(ValueError, match="^q: concentration_2 has"):
        anadiv.kl(Dirichlet(np.array([1.0, 2.0])), Dirichlet(np.array([1.0, 2.0, 3.0])))


# ------------------------------------------------------------------ backends
def test_torch_backend_and_torch_values():
    torch = pytest.importorskip("torch")
    a, b = np.array([0.8, 2.5, 1.7]), np.array([1.5, 1.0, 3.0])
    got = gen_dir.kl_dirichlet_dirichlet(torch.tensor(a), torch.tensor(b))
    assert isinstance(got, torch.Tensor)
    theirs = torch.distributions.kl_divergence(torch.distributions.Dirichlet(torch.tensor(a)),
                                               torch.distributions.Dirichlet(torch.tensor(b)))
    assert float(got) == pytest.approx(float(theirs), rel=1e-12)
    p, q = np.array([0.2, 0.3, 0.5]), np.array([0.5, 0.25, 0.25])
    got = gen_cat.kl_categorical_categorical(torch.tensor(p), torch.tensor(q))
    assert isinstance(got, torch.Tensor)
    # torch's OneHotCategorical is the same law as Categorical (the event one-hot): one KL
    for cls in (torch.distributions.Categorical, torch.distributions.OneHotCategorical):
        theirs = torch.distributions.kl_divergence(cls(probs=torch.tensor(p)), cls(probs=torch.tensor(q)))
        assert float(got) == pytest.approx(float(theirs), rel=1e-12)


def test_jax_backend():
    jnp = pytest.importorskip("jax.numpy")
    import jax

    jax.config.update("jax_enable_x64", True)
    a, b = np.array([0.8, 2.5, 1.7]), np.array([1.5, 1.0, 3.0])
    got = gen_dir.kl_dirichlet_dirichlet(jnp.asarray(a), jnp.asarray(b))
    assert float(got) == pytest.approx(_mp_dirichlet_kl(a, b), rel=1e-12)
    p, q = np.array([0.0, 0.4, 0.6]), np.array([0.2, 0.3, 0.5])
    got = gen_cat.kl_categorical_categorical(jnp.asarray(p), jnp.asarray(q))
    assert float(got) == pytest.approx(_mp_categorical(p, q)[0], rel=1e-12)


# --------------------------------------------------------------- Multinomial
def _mp_multinomial_kl(n1, p, n2, q) -> float:
    """KL as the exact sum over every count vector (the truth, not the closed form)."""
    from itertools import product

    if n1 != n2:
        return math.inf
    p = [mpmath.mpf(float(v)) for v in p]
    q = [mpmath.mpf(float(v)) for v in q]
    total = mpmath.mpf(0)
    for x in product(range(n1 + 1), repeat=len(p) - 1):
        last = n1 - sum(x)
        if last < 0:
            continue
        counts = (*x, last)
        logc = mpmath.loggamma(n1 + 1) - mpmath.fsum(mpmath.loggamma(c + 1) for c in counts)
        lp = logc + mpmath.fsum(c * mpmath.log(v) for c, v in zip(counts, p) if c)
        if any(c and v == 0 for c, v in zip(counts, p)):
            continue  # probability 0 under P
        if any(c and v == 0 for c, v in zip(counts, q)):
            return math.inf
        lq = logc + mpmath.fsum(c * mpmath.log(v) for c, v in zip(counts, q) if c)
        total += mpmath.exp(lp) * (lp - lq)
    return float(total)


MULTINOMIAL_POINTS = [
    (4, [0.2, 0.3, 0.5], 4, [0.5, 0.25, 0.25]),
    (7, [0.0, 0.4, 0.6], 7, [0.2, 0.3, 0.5]),
    (3, [0.5, 0.5], 3, [0.0, 1.0]),  # q = 0 < p: inf
    (5, [0.25, 0.25, 0.5], 5, [0.25 * (1 + 1e-9), 0.25, 0.5 - 0.25e-9]),  # nearly equal
    (4, [0.2, 0.3, 0.5], 5, [0.2, 0.3, 0.5]),  # disjoint supports: inf
]


@pytest.mark.parametrize("n1, p, n2, q", MULTINOMIAL_POINTS)
def test_multinomial_kl_is_the_exact_sum(n1, p, n2, q):
    from anadiv import Multinomial
    from anadiv._generated import multinomial as gen_mult

    want = _mp_multinomial_kl(n1, p, n2, q)
    got = gen_mult.kl_multinomial_multinomial(n1, np.array(p), n2, np.array(q))
    assert got == pytest.approx(want, rel=1e-12, abs=0) if math.isfinite(want) else got == want
    assert float(anadiv.kl(Multinomial(n1, np.array(p)), Multinomial(n2, np.array(q)))) == got


def test_multinomial_batches_entropy_none_and_inputs():
    from anadiv import Multinomial
    from anadiv.errors import NoClosedFormError

    n = np.array([3.0, 4.0])
    p = np.array([[0.2, 0.8], [0.5, 0.5]])
    got = anadiv.kl(Multinomial(n, p), Multinomial(np.array([3.0, 5.0]), np.array([0.5, 0.5])))
    assert got[0] == pytest.approx(_mp_multinomial_kl(3, [0.2, 0.8], 3, [0.5, 0.5]), rel=1e-12) and got[1] == math.inf
    with pytest.raises(NoClosedFormError, match="E_P\\[log h"):
        derive_entropy(Multinomial)
    with pytest.raises(NoClosedFormError, match="E_P\\[log h"):
        derive_cross_entropy(Multinomial, Multinomial)
    with pytest.raises(ValueError, match="^total_count: "):
        Multinomial(2.5, np.array([0.5, 0.5]))
    with pytest.raises(ValueError, match="^total_count: "):
        Multinomial(0, np.array([0.5, 0.5]))
    with pytest.raises(ValueError, match="^probs: must sum to 1"):
        Multinomial(3, np.array([0.5, 0.6]))
    with pytest.raises(ValueError, match="^q: probs_2 has"):
        anadiv.kl(Multinomial(3, np.array([0.5, 0.5])), Multinomial(3, np.array([0.2, 0.3, 0.5])))
    dist = Multinomial(4, np.array([0.2, 0.3, 0.5]))
    x = dist.sample(2000, rng=3)
    assert x.shape == (2000, 3) and np.all(x.sum(axis=-1) == 4)
    import scipy.stats as st

    assert float(dist.logpdf(np.array([1.0, 1.0, 2.0]))) == pytest.approx(
        st.multinomial(4, [0.2, 0.3, 0.5]).logpmf([1, 1, 2]), rel=1e-13)
    assert float(dist.logpdf(np.array([1.0, 1.0, 1.0]))) == -math.inf


PROPORTIONAL = [([3.0, 5.0, 9.0], 1 + 1e-6), ([2e3, 1e3], 1 - 1e-9), ([1e6, 3e6, 2e6, 5e5], 1 + 1e-3),
                ([4e8, 1e8, 5e8], 1 + 1e-4), ([0.5, 1.5], 1 + 1e-12), ([1e12, 2e12, 3e12], 1 - 1e-5)]


@pytest.mark.parametrize("a, c", PROPORTIONAL)
def test_dirichlet_kl_along_proportional_concentrations_is_recomputed(a, c):
    """b = c a: the two nonnegative parts cancel by about a0/(K - 1); the result check recomputes it."""
    a = np.array(a)
    b = a * c
    want = _mp_dirichlet_kl(a, b)
    assert float(gen_dir.kl_dirichlet_dirichlet(a, b)) == pytest.approx(want, rel=1e-12, abs=0)
    # the same in a batch, next to a typical row that keeps its float value
    batch = gen_dir.kl_dirichlet_dirichlet(np.stack([a, np.full_like(a, 2.0)]), np.stack([b, np.full_like(a, 3.0)]))
    assert batch[0] == pytest.approx(want, rel=1e-12, abs=0)
    assert batch[1] == pytest.approx(_mp_dirichlet_kl(np.full_like(a, 2.0), np.full_like(a, 3.0)), rel=1e-12)


def test_entropy_and_cross_entropy_with_cancelling_parts_are_recomputed():
    # large concentrations: log-gamma parts of size 1e13 cancel to a value of size 10
    a = np.array([1e12, 2e12, 3e12])
    assert float(gen_dir.entropy_dirichlet(a)) == pytest.approx(_mp_dirichlet_entropy(a), rel=1e-12, abs=0)
    b = a * (1 + 1e-9)
    assert float(gen_dir.cross_entropy_dirichlet_dirichlet(a, b)) == pytest.approx(
        _mp_dirichlet_cross_entropy(a, b), rel=1e-12, abs=0)


@pytest.mark.parametrize("library", ["torch", "jax", "dask"])
def test_recomputed_elements_on_every_backend(library):
    a = np.array([[3.0, 5.0, 9.0], [1.0, 2.0, 3.0]])
    b = a * np.array([[1 + 1e-7], [1.5]])
    want = [_mp_dirichlet_kl(x, y) for x, y in zip(a, b)]
    if library == "torch":
        torch = pytest.importorskip("torch")
        got = gen_dir.kl_dirichlet_dirichlet(torch.tensor(a), torch.tensor(b)).numpy()
    elif library == "jax":
        jax = pytest.importorskip("jax")
        jax.config.update("jax_enable_x64", True)
        import jax.numpy as jnp

        got = np.asarray(jax.jit(gen_dir.kl_dirichlet_dirichlet)(jnp.asarray(a), jnp.asarray(b)))
    else:
        da = pytest.importorskip("dask.array")
        # chunks that split the coordinate axis: each block still gets whole rows for the exact form
        got = gen_dir.kl_dirichlet_dirichlet(da.from_array(a, chunks=(1, 2)), da.from_array(b, chunks=(1, 2))).compute()
    np.testing.assert_allclose(got, want, rtol=1e-12, atol=0)
    # the probability vectors' exact form: 0 log 0 = 0 and an overflowing ratio recomputed
    p, q = np.array([[0.0, 1.0], [1e-310, 1.0 - 1e-310]]), np.array([[0.5, 0.5], [1.0 - 1e-16, 1e-16]])
    expect = [_mp_categorical(x, y)[0] for x, y in zip(p, q)]
    np.testing.assert_allclose(gen_cat.kl_categorical_categorical(p, q), expect, rtol=1e-12)


@pytest.mark.parametrize("name", ["categorical", "multinomial", "dirichlet"])
def test_monte_carlo_estimates_agree_with_the_closed_forms(name):
    # kl_estimate and entropy_estimate take one distribution whose parameter is a vector (a
    # Categorical's probs, a Multinomial's count and probs): they raised "not a batch" before
    from anadiv import FAMILIES, kl_estimate

    cls = FAMILIES[name]
    rng = np.random.default_rng(11)
    p, q = cls(*cls.random_params(rng)), cls(*cls.random_params(rng))
    if name == "multinomial":  # equal counts: a finite KL
        q = cls(p.param_values[0], q.param_values[-1])
    est = kl_estimate(p, q, n=20_000, seed=3)
    assert abs(est.value - float(anadiv.kl(p, q))) < 5 * est.stderr
    if name != "multinomial":  # its entropy has no closed form
        h = anadiv.entropy_estimate(p, n=20_000, seed=4)
        assert abs(h.value - float(anadiv.entropy(p))) < 5 * h.stderr
    with pytest.raises(ValueError, match="method: 'qmc' needs an inverse CDF"):
        kl_estimate(p, q, n=1024, seed=2, method="qmc")
