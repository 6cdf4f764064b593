"""Binomial and NegativeBinomial: closed forms against 60-digit sums, where they hold and where they do not.

The KL between two Binomials (or two NegativeBinomials) has a closed form only
for equal trial counts (the binomial coefficients, the ``log Gamma(k + r)``,
cancel); P's count above Q's makes it infinite, below it needs
``E[log C(n_2, k)]``, for which the generated function raises
``NoClosedFormError`` naming ``kl_quad`` (an exact finite sum there). Each
closed form is checked against the sum of the mass function written out here
with mpmath (whole over a finite support; the bulk summed and the tail by
``nsum`` over an infinite one), at typical, extreme and nearly equal points;
torch's conventions and values are compared.
"""

from __future__ import annotations

import math
from typing import Any, Callable

import mpmath
import numpy as np
import pytest

import anadiv
from anadiv import Bernoulli, Binomial, Geometric, NegativeBinomial, Poisson, cross_entropy, kl, kl_quad
from anadiv.errors import NoClosedFormError

DPS = 60


def _logmass(dist: Any) -> Callable[[Any], Any]:
    """The log-mass at DPS digits, from the formulas (independent of anadiv's code)."""
    name = type(dist).__name__
    if name == "Bernoulli":
        p = mpmath.mpf(float(dist.p))
        return lambda k: (mpmath.log(p) if k == 1 else mpmath.log1p(-p)) if k in (0, 1) else -mpmath.inf
    if name == "Geometric":
        p = mpmath.mpf(float(dist.p))
        return lambda k: mpmath.log(p) + k * mpmath.log1p(-p)
    if name == "Binomial":
        n, p = int(dist.n), mpmath.mpf(float(dist.p))
        return lambda k: (mpmath.loggamma(n + 1) - mpmath.loggamma(k + 1) - mpmath.loggamma(n - k + 1)
                          + k * mpmath.log(p) + (n - k) * mpmath.log1p(-p)) if k <= n else -mpmath.inf
    # torch's convention: k successes (probability probs) before total_count failures
    r, p = mpmath.mpf(float(dist.total_count)), mpmath.mpf(float(dist.probs))
    return lambda k: (mpmath.loggamma(k + r) - mpmath.loggamma(r) - mpmath.loggamma(k + 1)
                      + r * mpmath.log1p(-p) + k * mpmath.log(p))


def mp_sum(kind: str, p: Any, q: Any) -> Any:
    """KL or cross-entropy at DPS digits: a whole sum over a finite support, else bulk + nsum'd tail."""
    with mpmath.workdps(DPS):
        lp, lq = _logmass(p), _logmass(q)

        def term(k: Any) -> Any:
            a = lp(k)
            if a == -mpmath.inf:
                return mpmath.mpf(0)
            w = mpmath.exp(a)
            return w * (a - lq(k)) if kind == "kl" else -w * lq(k)

        if isinstance(p, Bernoulli):
            return term(0) + term(1)
        if isinstance(p, Binomial):
            return mpmath.fsum(term(mpmath.mpf(k)) for k in range(int(p.n) + 1))
        mean, var = (float(v) for v in p.mean_variance())
        top = int(mean + 40 * math.sqrt(var) + 100)
        bulk = mpmath.fsum(term(mpmath.mpf(k)) for k in range(top))
        return bulk + mpmath.nsum(term, [top, mpmath.inf])


def _rel(got: float, truth: Any) -> float:
    return float(abs(mpmath.mpf(got) - truth) / abs(truth)) if truth != 0 else abs(got)


KL_CASES = [
    (Binomial(10, 0.3), Binomial(10, 0.7)),
    (Binomial(0, 0.3), Binomial(0, 0.9)),  # one point at 0: KL 0
    (Binomial(1, 0.2), Binomial(1, 0.6)),  # a Bernoulli
    (Binomial(400, 1e-6), Binomial(400, 0.5)),
    (Binomial(25, 1 - 1e-9), Binomial(25, 0.01)),
    (Binomial(12, 0.3), Binomial(12, 0.3 * (1 + 1e-8))),
    (Binomial(30, 1e-9), Binomial(30, 1e-9 * (1 + 1e-8))),
    (Binomial(7, 0.999999), Binomial(7, 0.999999 * (1 + 1e-8))),
    (NegativeBinomial(3.5, 0.4), NegativeBinomial(3.5, 0.7)),
    (NegativeBinomial(0.01, 0.9), NegativeBinomial(0.01, 0.2)),
    (NegativeBinomial(20.0, 1e-8), NegativeBinomial(20.0, 0.3)),
    (NegativeBinomial(2.0, 0.6), NegativeBinomial(2.0, 0.6 * (1 + 1e-8))),
    (NegativeBinomial(5.0, 1e-9), NegativeBinomial(5.0, 1e-9 * (1 + 1e-8))),
    (Bernoulli(0.3), Binomial(4, 0.2)),
    (Bernoulli(1e-12), Binomial(1000, 0.5)),
    (Bernoulli(0.9), Binomial(1, 0.9 * (1 + 1e-8))),
    (Bernoulli(0.3), NegativeBinomial(2.5, 0.4)),
    (Bernoulli(0.5), NegativeBinomial(1e-3, 1e-6)),
    # Binomial || Bernoulli: finite for one trial or none (the supports nest only there)
    (Binomial(1, 0.3), Bernoulli(0.8)),
    (Binomial(1, 0.3), Bernoulli(0.3 * (1 + 1e-9))),
    (Binomial(1, 1e-12), Bernoulli(0.5)),
    (Binomial(0, 0.3), Bernoulli(0.999)),
    (Binomial(0, 0.9), Bernoulli(1e-15)),
]


@pytest.mark.parametrize("p, q", KL_CASES, ids=repr)
def test_kl_against_60_digit_sums(p: Any, q: Any) -> None:
    truth = mp_sum("kl", p, q)
    got = kl(p, q)
    assert got >= 0.0
    assert _rel(got, truth) <= 1e-12, (got, truth)


CE_CASES = [
    (Binomial(1, 0.3), Bernoulli(0.8)), (Binomial(0, 0.3), Bernoulli(1e-9)), (Binomial(9, 0.3), Geometric(0.2)),
    (Binomial(300, 1e-7), Geometric(1 - 1e-9)), (NegativeBinomial(4.0, 0.3), Geometric(0.6)),
    (NegativeBinomial(0.2, 0.99), Geometric(1e-4)), (Bernoulli(0.3), Binomial(6, 0.5)),
    (Bernoulli(0.3), NegativeBinomial(7.0, 0.2)),
]


@pytest.mark.parametrize("p, q", CE_CASES, ids=repr)
def test_cross_entropy_against_60_digit_sums(p: Any, q: Any) -> None:
    assert _rel(cross_entropy(p, q), mp_sum("cross_entropy", p, q)) <= 1e-12


def test_infinite_where_p_has_mass_where_q_has_none() -> None:
    assert kl(Binomial(10, 0.3), Binomial(9, 0.3)) == math.inf
    assert kl(Binomial(2, 0.3), Bernoulli(0.3)) == math.inf  # two trials: mass at 2, where Q has none
    assert math.isinf(float(kl_quad(Binomial(2, 0.3), Bernoulli(0.3))))
    got = kl(Binomial(np.array([0.0, 1.0, 2.0, 50.0]), 0.3), Bernoulli(0.4))
    assert got[0] == pytest.approx(-math.log(0.6), rel=1e-15) and np.isinf(got[2:]).all()
    assert got[1] == pytest.approx(float(kl(Bernoulli(0.3), Bernoulli(0.4))), rel=1e-15)
    assert cross_entropy(Binomial(2, 0.3), Bernoulli(0.4)) == math.inf
    assert kl(Bernoulli(0.3), Binomial(0, 0.5)) == math.inf
    for p, q in [(Poisson(2.0), Binomial(5, 0.3)), (NegativeBinomial(2.0, 0.3), Binomial(5, 0.3)),
                 (Geometric(0.4), Binomial(30, 0.5)), (NegativeBinomial(2.0, 0.3), Bernoulli(0.5))]:
        assert kl(p, q) == math.inf and cross_entropy(p, q) == math.inf
        assert math.isinf(float(kl_quad(p, q)))
    assert math.isinf(float(kl_quad(Binomial(10, 0.3), Binomial(9, 0.3))))
    got = kl(Binomial(np.array([4.0, 5.0, 6.0]), 0.3), Binomial(4, 0.5))
    assert got[0] == pytest.approx(float(mp_sum("kl", Binomial(4, 0.3), Binomial(4, 0.5))), rel=1e-13)
    assert np.isinf(got[1:]).all()


# ----------------------------------------- where the closed form does not hold: refused by name
@pytest.mark.parametrize("p, q, named", [
    (Binomial(5, 0.3), Binomial(10, 0.3), "kl_binomial_binomial: no closed form where n_1 < n_2"),
    (NegativeBinomial(2.0, 0.3), NegativeBinomial(2.5, 0.3),
     "no closed form where total_count_1 != total_count_2"),
])
def test_unequal_counts_raise_and_are_summed(p: Any, q: Any, named: str) -> None:
    with pytest.raises(NoClosedFormError, match=named + r".*kl_quad"):
        kl(p, q)
    res = kl_quad(p, q)
    assert abs(res.value - float(mp_sum("kl", p, q))) <= max(res.error, 1e-15)


def test_a_batch_with_one_such_element_raises_on_every_backend() -> None:
    from anadiv._generated.binomial import kl_binomial_binomial

    n1, n2 = np.array([4.0, 4.0, 3.0]), np.array([4.0, 2.0, 4.0])
    with pytest.raises(NoClosedFormError, match=r"n_1 < n_2.*\(1 of 3 elements\)"):
        kl_binomial_binomial(n1, 0.3, n2, 0.4)
    ok = kl_binomial_binomial(n1[:2], 0.3, n2[:2], 0.4)
    assert ok[1] == math.inf and ok[0] == pytest.approx(float(mp_sum("kl", Binomial(4, 0.3), Binomial(4, 0.4))),
                                                        rel=1e-13)
    torch = pytest.importorskip("torch")
    with pytest.raises(NoClosedFormError, match="n_1 < n_2"):
        kl_binomial_binomial(torch.tensor(n1), torch.tensor(0.3, dtype=torch.float64), torch.tensor(n2),
                             torch.tensor(0.4, dtype=torch.float64))
    np.testing.assert_array_equal(
        kl_binomial_binomial(torch.tensor(n1[:2]), torch.tensor(0.3, dtype=torch.float64), torch.tensor(n2[:2]),
                             torch.tensor(0.4, dtype=torch.float64)).numpy(), ok)


def test_no_entropy_and_no_self_cross_entropy_in_closed_form() -> None:
    from anadiv.symbolic import derive_cross_entropy, derive_entropy

    for P in (Binomial, NegativeBinomial):
        with pytest.raises(NoClosedFormError, match=r"E\[log\(gamma\(k \+ 1\)\)\].*entropy_quad"):
            derive_entropy(P)
        with pytest.raises(NoClosedFormError, match="cross_entropy_quad"):
            derive_cross_entropy(P, P)
    res = anadiv.entropy_quad(Binomial(20, 0.3))
    import scipy.stats as st

    assert res.value == pytest.approx(float(st.binom(20, 0.3).entropy()), rel=1e-13)


@pytest.mark.parametrize("P, Q, why", [
    (Binomial, Poisson, r"E\[log\(gamma\(k \+ 1\)\)\] over k in Range\(0, n_P \+ 1, 1\)"),
    (Poisson, NegativeBinomial, r"E\[log\(gamma\(k \+ 1\)\)\]"),
    (NegativeBinomial, Poisson, r"E\[log\(gamma\(k \+ 1\)\)\]"),
])
def test_cross_family_pairs_without_closed_form_name_the_expectation(P: type, Q: type, why: str) -> None:
    from anadiv.symbolic import derive_kl

    with pytest.raises(NoClosedFormError, match=why):
        derive_kl(P, Q)


def test_binomial_bernoulli_is_derived_where_the_supports_nest() -> None:
    import sympy as sp

    from anadiv.symbolic import derive_kl

    d = derive_kl(Binomial, Bernoulli)
    (n1, p1), (p2,) = d.symbols
    (none, at0), (one, at1), (rest, _) = d.expr.args
    assert at0 == sp.Eq(n1, 0) and at1 == sp.Eq(n1, 1) and rest == sp.oo
    assert sp.simplify(none + sp.log(1 - p2)) == 0
    # n = 1: the Bernoulli KL, derived here from the sums over the two points
    bern = derive_kl(Bernoulli, Bernoulli)
    assert sp.simplify(one - bern.expr.xreplace(dict(zip(bern.symbols[0] + bern.symbols[1], (p1, p2))))) == 0
    assert any("supports nest only where" in s for s in d.steps)


def test_derivation_is_conditional_on_the_counts() -> None:
    import sympy as sp

    from anadiv.symbolic import derive_kl

    d = derive_kl(Binomial, Binomial)
    (n1, p1), (n2, p2) = d.symbols
    assert isinstance(d.expr, sp.Piecewise)
    (infinite, beyond), (value, tie), (undefined, _) = d.expr.args
    assert tie == sp.Eq(n1, n2) and infinite == sp.oo and beyond == (n1 > n2) and undefined is sp.nan
    # n KL(Bernoulli(p1) || Bernoulli(p2)), with the E[X] = n p of the score identity
    bern = p1 * sp.log(p1 / p2) + (1 - p1) * sp.log((1 - p1) / (1 - p2))
    assert sp.simplify(sp.expand_log(value - n1 * bern, force=True)) == 0
    assert any("score identity" in s for s in d.steps)


# ----------------------------------------------------------------- torch
def test_torch_conventions_and_log_prob() -> None:
    torch = pytest.importorskip("torch")
    k = np.arange(0.0, 40.0)
    b, nb = Binomial(12, 0.35), NegativeBinomial(2.5, 0.7)
    np.testing.assert_allclose(b.logpdf(k[:13]), b.to_torch().log_prob(torch.from_numpy(k[:13])).numpy(), rtol=1e-13)
    np.testing.assert_allclose(nb.logpdf(k), nb.to_torch().log_prob(torch.from_numpy(k)).numpy(), rtol=1e-13)
    tnb = nb.to_torch()
    mean, var = nb.mean_variance()
    assert float(tnb.mean) == pytest.approx(float(mean), rel=1e-14)
    assert float(tnb.variance) == pytest.approx(float(var), rel=1e-14)
    draws = nb.sample(20000, rng=3)
    assert abs(draws.mean() - float(mean)) < 5 * math.sqrt(float(var) / draws.size)


@pytest.mark.parametrize("p, q", [
    (Binomial(10, 0.3), Binomial(10, 0.6)), (Binomial(30, 0.9), Binomial(30, 0.05)), (Binomial(8, 0.3), Binomial(3, 0.2)),
], ids=repr)
def test_same_value_as_torch(p: Any, q: Any) -> None:
    torch = pytest.importorskip("torch")
    ref = float(torch.distributions.kl_divergence(p.to_torch(), q.to_torch()))
    got = kl(p, q)
    assert got == ref if math.isinf(ref) else got == pytest.approx(ref, rel=1e-12)


def test_torch_refuses_where_anadiv_refuses_and_loses_digits_where_anadiv_keeps_them() -> None:
    torch = pytest.importorskip("torch")
    p, q = Binomial(3, 0.3), Binomial(8, 0.3)
    with pytest.raises(NotImplementedError):
        torch.distributions.kl_divergence(p.to_torch(), q.to_torch())
    with pytest.raises(NotImplementedError):  # NoClosedFormError is a NotImplementedError
        kl(p, q)
    p, q = Binomial(12, 0.3), Binomial(12, 0.3 * (1 + 1e-8))
    truth = mp_sum("kl", p, q)
    theirs = float(torch.distributions.kl_divergence(p.to_torch(), q.to_torch()))
    assert _rel(kl(p, q), truth) <= 1e-12
    assert _rel(theirs, truth) > 1e-6


# --------------------------------------------------------------- numeric hooks
def test_scipy_conventions() -> None:
    import scipy.stats as st

    k = np.arange(0.0, 30.0)
    nb = NegativeBinomial(2.5, 0.7)
    # scipy's nbinom counts failures before n successes: probs there is 1 - probs here
    np.testing.assert_allclose(nb.logpdf(k), st.nbinom(2.5, 0.3).logpmf(k), rtol=1e-13)
    back = anadiv.from_scipy(st.nbinom(2.5, 0.3))
    assert isinstance(back, NegativeBinomial) and float(back.probs) == pytest.approx(0.7, rel=1e-15)
    assert float(anadiv.from_scipy(st.binom(7, 0.25)).n) == 7.0
    assert float(Binomial(5, 0.3).logpdf(6.0)) == -math.inf and float(Binomial(5, 0.3).logpdf(2.5)) == -math.inf
    assert float(NegativeBinomial(2.0, 0.3).logpdf(-1.0)) == -math.inf


@pytest.mark.parametrize("bad, match", [
    (lambda: Binomial(2.5, 0.3), "^n: must be a non-negative integer, got 2.5"),
    (lambda: Binomial(-1, 0.3), "^n: must be a non-negative integer"),
    (lambda: Binomial(np.inf, 0.3), "^n"),
    (lambda: Binomial(3, 0.0), "^p: must lie in"), (lambda: Binomial(3, 1.0), "^p: must lie in"),
    (lambda: Binomial("3", 0.5), "^n"),
    (lambda: NegativeBinomial(0.0, 0.5), "^total_count: must be > 0"),
    (lambda: NegativeBinomial(2.0, 1.0), "^probs: must lie in"),
    (lambda: NegativeBinomial(2.0, 0.0), "^probs: must lie in"),
])
def test_bad_parameters_name_the_argument(bad: Callable[[], Any], match: str) -> None:
    with pytest.raises(ValueError, match=match):
        bad()
