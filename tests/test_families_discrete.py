"""The univariate families on the counting measure (issue 12): Bernoulli, Poisson, Geometric.

Every closed form among them is checked against 40-digit mpmath sums (whole
over a finite support, over the bulk plus a checked-negligible rest over an
infinite one) at typical and extreme parameters and for nearly equal P and Q;
the pairs torch registers are compared with ``torch.distributions.kl_divergence``
(same value where torch is right; where it loses digits or is negative, shown);
the pairs without a closed form are refused by name and computed by the
summing "quadrature" and by Monte Carlo.
"""

from __future__ import annotations

import math
from typing import Any, Callable

import mpmath
import numpy as np
import pytest

import anadiv
from anadiv import Bernoulli, Geometric, Normal, Poisson, entropy, entropy_quad, kl, kl_estimate, kl_quad
from anadiv.errors import NoClosedFormError

DPS = 40


def _logmass(dist: Any) -> Callable[[Any], Any]:
    """The log-mass at 40 digits, written out here from the formulas (independent of anadiv)."""
    name = type(dist).__name__
    if name == "Bernoulli":
        p = mpmath.mpf(float(dist.p))
        return lambda k: mpmath.log(p) if k == 1 else mpmath.log1p(-p)
    if name == "Geometric":
        p = mpmath.mpf(float(dist.p))
        return lambda k: mpmath.log(p) + k * mpmath.log1p(-p)
    r = mpmath.mpf(float(dist.rate))
    return lambda k: k * mpmath.log(r) - r - mpmath.loggamma(k + 1)


def _counts(dist: Any) -> range:
    """The support (finite), or the counts within 40 sd + 100 of the mean (the rest is below 1e-300 of it)."""
    if isinstance(dist, Bernoulli):
        return range(2)
    mean, var = (float(v) for v in dist.mean_variance())
    lo = max(0, int(mean - 40 * math.sqrt(var) - 100))
    return range(lo, int(mean + 40 * math.sqrt(var) + 100))


def mp_kind(kind: str, p: Any, q: Any = None) -> Any:
    with mpmath.workdps(DPS):
        lp = _logmass(p)
        lq = _logmass(q) if q is not None else None

        def term(k: Any) -> Any:
            a = lp(k)
            w = mpmath.exp(a)
            return -w * a if kind == "entropy" else w * (a - lq(k)) if kind == "kl" else -w * lq(k)

        if isinstance(p, Geometric):
            # a geometric series times a polynomial in k: nsum's extrapolation is exact for it
            return mpmath.nsum(term, [0, mpmath.inf])
        total = []
        for k in _counts(p):
            a = lp(mpmath.mpf(k))
            w = mpmath.exp(a)
            if kind == "entropy":
                total.append(-w * a)
            elif kind == "kl":
                total.append(w * (a - lq(mpmath.mpf(k))))
            else:
                total.append(-w * lq(mpmath.mpf(k)))
        return mpmath.fsum(total)


def _rel(got: float, truth: Any) -> float:
    return float(abs(mpmath.mpf(got) - truth) / abs(truth)) if truth != 0 else abs(got)


# parameter points: typical, extreme (probabilities near 0 and 1, rates from 1e-300 to 1e6), nearly equal
KL_CASES = [
    (Bernoulli(0.3), Bernoulli(0.7)),
    (Bernoulli(1e-300), Bernoulli(0.5)),
    (Bernoulli(0.5), Bernoulli(1e-300)),
    (Bernoulli(1 - 1e-15), Bernoulli(0.2)),
    (Bernoulli(0.3), Bernoulli(0.3 * (1 + 1e-9))),
    (Bernoulli(1e-10), Bernoulli(1e-10 * (1 + 1e-9))),
    (Bernoulli(0.999999), Bernoulli(0.999999 * (1 + 1e-9))),
    (Bernoulli(0.3), Poisson(2.0)),
    (Bernoulli(1e-12), Poisson(1e-300)),
    (Bernoulli(0.9), Poisson(1e6)),
    (Bernoulli(0.3), Geometric(0.6)),
    (Bernoulli(1 - 1e-12), Geometric(1e-8)),
    (Poisson(2.0), Poisson(3.0)),
    (Poisson(1e-300), Poisson(1e-200)),
    (Poisson(1e5), Poisson(1.001e5)),
    (Poisson(4.0), Poisson(4.0 * (1 + 1e-9))),
    (Geometric(0.3), Geometric(0.6)),
    (Geometric(1e-3), Geometric(0.9)),
    (Geometric(0.999), Geometric(0.5)),
    (Geometric(0.4), Geometric(0.4 * (1 + 1e-9))),
]


@pytest.mark.parametrize("p, q", KL_CASES, ids=repr)
def test_kl_against_40_digit_sums(p: Any, q: Any) -> None:
    truth = mp_kind("kl", p, q)
    got = kl(p, q)
    assert got >= 0.0
    assert _rel(got, truth) <= 1e-12, (got, truth)


CE_CASES = [
    (Bernoulli(0.3), Bernoulli(0.7)), (Bernoulli(1e-300), Bernoulli(1 - 1e-15)), (Bernoulli(0.3), Poisson(2.0)),
    (Bernoulli(0.5), Poisson(1e300)), (Bernoulli(0.3), Geometric(0.6)), (Poisson(2.0), Geometric(0.3)),
    (Poisson(1e4), Geometric(1e-5)), (Geometric(0.3), Geometric(0.6)), (Geometric(1e-3), Geometric(1 - 1e-9)),
]


@pytest.mark.parametrize("p, q", CE_CASES, ids=repr)
def test_cross_entropy_against_40_digit_sums(p: Any, q: Any) -> None:
    truth = mp_kind("cross_entropy", p, q)
    assert _rel(anadiv.cross_entropy(p, q), truth) <= 1e-12


@pytest.mark.parametrize("p", [Bernoulli(0.3), Bernoulli(1e-300), Bernoulli(1 - 1e-15), Geometric(0.3),
                               Geometric(1e-3), Geometric(1 - 1e-12)], ids=repr)
def test_entropy_against_40_digit_sums(p: Any) -> None:
    assert _rel(entropy(p), mp_kind("entropy", p)) <= 1e-12


def test_infinite_from_the_supports() -> None:
    assert kl(Poisson(2.0), Bernoulli(0.3)) == math.inf
    assert kl(Geometric(0.5), Bernoulli(0.3)) == math.inf
    assert kl(Poisson(2.0), Normal(2.0, 1.0)) == math.inf
    assert kl(Normal(0.0, 1.0), Poisson(2.0)) == math.inf
    assert math.isinf(float(kl_quad(Poisson(2.0), Bernoulli(0.3))))


# -------------------------------------------------- no closed form: named, then summed
@pytest.mark.parametrize("call, named", [
    (lambda: entropy(Poisson(3.0)), "entropy"),
    (lambda: anadiv.cross_entropy(Poisson(3.0), Poisson(2.0)), "cross"),
    (lambda: kl(Poisson(3.0), Geometric(0.3)), "kl"),
    (lambda: kl(Geometric(0.3), Poisson(2.0)), "kl"),
])
def test_no_closed_form_is_refused(call: Callable[[], Any], named: str) -> None:
    with pytest.raises(NoClosedFormError, match=named.upper() if named == "kl" else "(?i)" + named):
        call()


def test_derivation_names_the_expectation() -> None:
    from anadiv.symbolic import derive_entropy, derive_kl

    with pytest.raises(NoClosedFormError, match=r"E\[log\(gamma\(k \+ 1\)\)\] over k in Range\(0, oo, 1\)"):
        derive_entropy(Poisson)
    with pytest.raises(NoClosedFormError, match=r"E\[log\(gamma\(k \+ 1\)\)\]"):
        derive_kl(Geometric, Poisson)


@pytest.mark.parametrize("p, q", [(Poisson(3.0), None), (Poisson(1e4), None), (Poisson(3.0), Geometric(0.3)),
                                  (Geometric(0.3), Poisson(2.0)), (Poisson(0.01), Poisson(5.0))], ids=repr)
def test_sums_and_monte_carlo_where_there_is_no_closed_form(p: Any, q: Any) -> None:
    kind = "entropy" if q is None else "kl"
    truth = float(mp_kind(kind, p, q))
    res = entropy_quad(p) if q is None else kl_quad(p, q)
    assert res.method == "sum over the support"
    # float64 log-masses lose ~eps k log k each (a Poisson at 1e4: ~1e-11 of the value): in the reported error
    assert abs(res.value - truth) <= res.error, (res, truth)
    assert res.error <= 1e-10 * abs(truth)
    if q is not None:
        est = kl_estimate(p, q, n=20000, seed=5)
        assert abs(est.value - truth) < 5 * est.stderr, (est, truth)


def test_bernoulli_sum_is_exact() -> None:
    res = kl_quad(Bernoulli(0.3), Poisson(2.0))
    assert res.value == pytest.approx(kl(Bernoulli(0.3), Poisson(2.0)), rel=1e-15)


# ----------------------------------------------------------------- torch
def _torch_pairs() -> list[tuple[Any, Any]]:
    return [
        (Bernoulli(0.3), Bernoulli(0.7)), (Bernoulli(0.3), Poisson(2.0)), (Geometric(0.3), Geometric(0.6)),
        (Poisson(2.0), Poisson(3.0)), (Poisson(2.0), Bernoulli(0.3)), (Bernoulli(1e-8), Poisson(1e-3)),
        (Poisson(1e3), Poisson(2e3)),
    ]


@pytest.mark.parametrize("p, q", _torch_pairs(), ids=repr)
def test_same_value_as_torch(p: Any, q: Any) -> None:
    torch = pytest.importorskip("torch")
    got = kl(p, q)
    ref = float(torch.distributions.kl_divergence(p.to_torch(), q.to_torch()))
    if math.isinf(got):
        assert ref == got
    else:
        assert got == pytest.approx(ref, rel=1e-12)


def test_where_torch_loses_the_digits() -> None:
    """Nearly equal Bernoullis: torch's difference of logs cancels (and goes negative); anadiv keeps them."""
    torch = pytest.importorskip("torch")
    p, q = Bernoulli(0.3), Bernoulli(0.3 * (1 + 1e-9))
    truth = mp_kind("kl", p, q)
    ours = kl(p, q)
    theirs = float(torch.distributions.kl_divergence(p.to_torch(), q.to_torch()))
    assert _rel(ours, truth) <= 1e-12
    assert _rel(theirs, truth) > 1e-3  # torch: -5.6e-18 against 2.14e-19


def test_torch_log_prob_and_conventions() -> None:
    """Geometric counts failures in torch as here; the samples of our families are counts as floats."""
    torch = pytest.importorskip("torch")
    k = np.arange(0.0, 12.0)
    for d in (Geometric(0.3), Poisson(2.5)):
        np.testing.assert_allclose(d.logpdf(k), d.to_torch().log_prob(torch.from_numpy(k)).numpy(), rtol=1e-13)
    np.testing.assert_allclose(Bernoulli(0.3).logpdf(k[:2]),
                               Bernoulli(0.3).to_torch().log_prob(torch.from_numpy(k[:2])).numpy(), rtol=1e-14)


# --------------------------------------------------------------- numeric hooks
def test_scipy_conventions() -> None:
    k = np.arange(0.0, 15.0)
    import scipy.stats as st

    np.testing.assert_allclose(Geometric(0.3).logpdf(k), st.geom(0.3, loc=-1).logpmf(k), rtol=1e-13)
    assert anadiv.from_scipy(st.geom(0.3, loc=-1)).p == 0.3
    with pytest.raises(ValueError, match="^loc: scipy.stats.geom counts trials"):
        anadiv.from_scipy(st.geom(0.3))
    assert float(Poisson(3.0).logpdf(2.5)) == -math.inf and float(Poisson(3.0).logpdf(-1.0)) == -math.inf
    assert float(Bernoulli(0.3).logpdf(0.5)) == -math.inf


@pytest.mark.parametrize("bad, match", [
    (lambda: Bernoulli(1.5), "^p: must lie in"), (lambda: Poisson(-1.0), "^rate: must be > 0"),
    (lambda: Geometric(0.0), "^p: must lie in"), (lambda: Poisson("3"), "^rate"),
])
def test_bad_parameters_name_the_argument(bad: Callable[[], Any], match: str) -> None:
    with pytest.raises(ValueError, match=match):
        bad()
