"""Every derived closed form against numerical integration.

Generated from the engine: the tests run over every ordered pair of
univariate families, so a pair the engine learns to derive is tested at
once, and a pair it cannot derive must raise ``NoClosedFormError`` naming
the alternatives. For each derivable pair, 5 parameter points from the
families' typical ranges (repaired so the finite branch holds, plus points on
the infinite branch where there is one):

* the closed form through numpy/scipy against ``anadiv.quadrature.kl_quad``
  (scipy.integrate.quad), relative tolerance 1e-8;
* the closed form through mpmath at 30 digits against a 30-digit
  ``mpmath.quad`` of ``exp(logp) * (logp - logq)`` (``_quadrature_truth``),
  relative tolerance 1e-12, at the first :data:`HIGH_PRECISION_POINTS` of them
  (the 30-digit integrals are most of this file's time, and three points
  already pin a derivation down; the generated code itself is checked at
  every point of the whole valid range by test_full_range);
* KL >= 0, KL(P, P) = 0, cross-entropy = entropy + KL, entropy and
  cross-entropy against quadrature.
"""

from __future__ import annotations

import functools
import math

import mpmath
import numpy as np
import pytest
import scipy.special
import sympy as sp
from sympy.utilities.lambdify import implemented_function

from anadiv import FAMILIES
from anadiv.errors import NoClosedFormError
from anadiv.estimators.quadrature import cross_entropy_quad, entropy_quad, kl_quad
from anadiv.symbolic import derivable_pairs, derive_cross_entropy, derive_entropy, derive_kl

from _quadrature_truth import integral

#: scalar parameters (Dirichlet and Categorical, vector parameters: tests/test_simplex_families.py)
UNIVARIATE = sorted(n for n, f in FAMILIES.items() if f.event_ndim == 0 and all(p.constraint.event_ndim == 0 for p in f.parameters))
ALL_PAIRS = [(a, b) for a in UNIVARIATE for b in UNIVARIATE]
N_POINTS = 5
HIGH_PRECISION_POINTS = 3
RTOL_DOUBLE = 1e-8
RTOL_HIGH = 1e-12


# ----------------------------------------------------------------- helpers
@functools.lru_cache(maxsize=None)
def _compiled(kind: str, names: tuple[str, ...]):
    fams = [FAMILIES[n] for n in names]
    d = {"kl": derive_kl, "cross_entropy": derive_cross_entropy}[kind](*fams) if kind != "entropy" else derive_entropy(fams[0])
    syms = [s for group in d.symbols for s in group]
    # sympy's SciPy printer writes betainc_regularized(a, b, x1, x2) inline as
    # "betainc(a, b, x2) - betainc(a, b, x1)" without parentheses, so a factor or
    # divisor around it applies to one of the two terms; its mpmath printer calls
    # the sympy class itself. Both get a function of their own here.
    expr_np = d.expr.replace(sp.betainc_regularized, lambda *args: _IBETA_NP(*args))
    f_np = sp.lambdify(syms, expr_np, modules=["scipy", "numpy"])
    f_mp = sp.lambdify(syms, d.expr, modules=[_MP_FIXES, "mpmath"])
    return d, f_np, f_mp


_IBETA_NP = implemented_function(
    "ibeta_difference", lambda a, b, x1, x2: scipy.special.betainc(a, b, x2) - scipy.special.betainc(a, b, x1)
)
_MP_FIXES = {"betainc_regularized": lambda a, b, x1, x2: mpmath.betainc(a, b, x1, x2, regularized=True)}


def _value_np(kind, names, params) -> float:
    _, f_np, _ = _compiled(kind, names)
    with np.errstate(all="ignore"):
        # numpy scalars: a Piecewise evaluates every branch, and Python floats would turn
        # (negative)**(fraction) in an unused branch into a complex number
        return float(f_np(*[np.float64(v) for v in params]))


def _value_mp(kind, names, params, dps=30):
    _, _, f_mp = _compiled(kind, names)
    with mpmath.workdps(dps + 10):
        return f_mp(*[mpmath.mpf(v) for v in params])


def _inside(qcls, q, rng):
    """Uniform parameters whose interval lies inside Q's support."""
    lo, hi = (float(v) for v in qcls._np_support(*[np.asarray(v) for v in q]))
    if not np.isfinite(lo):
        return None
    if np.isfinite(hi):
        width = hi - lo
        return (lo + width * rng.uniform(0.02, 0.45), lo + width * rng.uniform(0.55, 0.98))
    low = lo + rng.uniform(0.05, 1.5)
    return (low, low + rng.uniform(0.2, 2.0))


def _draw(P, Q, rng, repair):
    p, q = P.random_params(rng), Q.random_params(rng)
    if repair and P.name == "uniform":
        p = _inside(Q, q, rng) or p
    elif repair and Q.name == "uniform":
        lo, hi = (float(v) for v in P._np_support(*[np.asarray(v) for v in p]))
        if np.isfinite(lo) and np.isfinite(hi):
            q = (lo - rng.uniform(0.0, 1.0), hi + rng.uniform(0.0, 1.0))
    elif not repair and P.name == "uniform" and rng.uniform() < 0.5:
        # a uniform reaching past a bounded Q's support (a von Mises on [-pi, pi]): the infinite branch
        lo, hi = (float(v) for v in Q._np_support(*[np.asarray(v) for v in q]))
        if np.isfinite(lo) and np.isfinite(hi):
            p = (lo - rng.uniform(0.0, 1.0), hi + rng.uniform(0.0, 1.0))
    return p, q


def _tie(kind, P, Q):
    """``(index in q, index in p)`` of the parameters a closed form needs equal (a Binomial pair's trial count)."""
    from anadiv.codegen.stabilize import tied_symbols

    d = _compiled(kind, (P.name, Q.name))[0]
    ps, qs = [s.name for s in d.symbols[0]], [s.name for s in d.symbols[1]]
    return [(qs.index(b.name), ps.index(a.name)) for b, a in tied_symbols(d.expr).items()]


def _points(kind, P, Q, finite=True, n=N_POINTS, seed=0):
    """``n`` parameter points where the closed form is finite (or infinite).

    Points where it has no value (``nan``: a Binomial pair with ``n_1 < n_2``,
    where the generated function raises, see test_families_discrete.py) are
    neither; a repaired draw takes the parameters the closed form needs equal.
    """
    rng = np.random.default_rng([seed, UNIVARIATE.index(P.name), UNIVARIATE.index(Q.name)])
    tie = _tie(kind, P, Q)
    out = []
    for attempt in range(600):
        p, q = _draw(P, Q, rng, repair=finite and attempt % 2 == 0)
        if tie and finite and attempt % 2 == 0:
            q = list(q)
            for i, j in tie:
                q[i] = p[j]
            q = tuple(q)
        v = _value_np(kind, (P.name, Q.name), (*p, *q))
        if np.isnan(v):
            continue
        if np.isinf(v) != finite:
            out.append((p, q))
            if len(out) == n:
                break
    return out


@pytest.fixture(autouse=True)
def _mp_precision():
    """30-digit comparisons need the working precision while comparing, not only while evaluating."""
    with mpmath.workdps(40):
        yield


def _close(a, b, rtol, atol):
    return abs(a - b) <= rtol * abs(b) + atol


def _derive_or_none(kind, P, Q):
    try:
        return {"kl": derive_kl, "cross_entropy": derive_cross_entropy}[kind](P, Q)
    except NoClosedFormError as exc:
        assert "kl_quad" in str(exc) or "cross_entropy_quad" in str(exc)
        assert "estimate" in str(exc)
        assert (P, Q) not in derivable_pairs(kind)
        return None


# ------------------------------------------------------------------- KL
def _bounded_density(P, p) -> bool:
    """False where P's density blows up at a support end (Beta a < 1, Gamma shape < 1, ...).

    ``scipy.integrate.quad`` does not reach 1e-8 relative accuracy on such integrable
    endpoint singularities (Beta(3.6, 0.54) || Beta(2.7, 0.75): error 2.6e-9 against an
    estimate of 8e-10), so there only the 30-digit mpmath truth is used.
    """
    lo, hi = (float(v) for v in P._np_support(*[np.asarray(v) for v in p]))
    for end, inward in ((lo, 1.0), (hi, -1.0)):
        if np.isfinite(end):
            near = float(P._np_logpdf(np.asarray(end + inward * 1e-12), *[np.asarray(v) for v in p]))
            far = float(P._np_logpdf(np.asarray(end + inward * 1e-6), *[np.asarray(v) for v in p]))
            if near > far + 1e-3:
                return False
    return True


def _supports_nested(P, p, Q, q):
    plo, phi = (float(v) for v in P._np_support(*[np.asarray(v) for v in p]))
    qlo, qhi = (float(v) for v in Q._np_support(*[np.asarray(v) for v in q]))
    return qlo <= plo and phi <= qhi


@pytest.mark.parametrize("pname,qname", ALL_PAIRS)
def test_kl_against_quadrature(pname, qname):
    """numpy closed form vs scipy quad (1e-8) and vs 30-digit mpmath (1e-8); mpmath closed form at 30 digits (1e-12)."""
    P, Q = FAMILIES[pname], FAMILIES[qname]
    d = _derive_or_none("kl", P, Q)
    if d is None:
        return
    assert (P, Q) in derivable_pairs("kl")
    if d.expr == sp.oo:
        # infinite everywhere; where the supports decide it, quadrature agrees
        rng = np.random.default_rng(1)
        for _ in range(3):
            p, q = P.random_params(rng), Q.random_params(rng)
            if not _supports_nested(P, p, Q, q):
                assert math.isinf(float(kl_quad(P(*p), Q(*q))))
        return
    finite = _points("kl", P, Q, finite=True)
    assert len(finite) == N_POINTS, "could not draw parameter points on the finite branch"
    for i, (p, q) in enumerate(finite):
        closed = _value_np("kl", (pname, qname), (*p, *q))
        assert closed >= 0.0
        bounded = _bounded_density(P, p)
        if i < HIGH_PRECISION_POINTS or not bounded:  # scipy's quad is no truth at an endpoint singularity
            closed_high = _value_mp("kl", (pname, qname), (*p, *q))
            truth = integral("kl", P, p, Q, q, dps=30)
            assert _close(closed, float(truth), RTOL_DOUBLE, 1e-14), (p, q, closed, truth)
            assert _close(closed_high, truth, mpmath.mpf(RTOL_HIGH), mpmath.mpf(10) ** -25), (p, q, closed_high, truth)
        if bounded:
            scipy_truth = float(kl_quad(P(*p), Q(*q)))
            assert _close(closed, scipy_truth, RTOL_DOUBLE, 1e-12), (p, q, closed, scipy_truth)
    if d.expr.has(sp.oo):
        infinite = _points("kl", P, Q, finite=False, n=2)
        assert infinite, "no parameter point on the infinite branch"
        for p, q in infinite:
            assert math.isinf(_value_np("kl", (pname, qname), (*p, *q)))
            assert _value_mp("kl", (pname, qname), (*p, *q)) == mpmath.inf
            if not _supports_nested(P, p, Q, q):
                assert math.isinf(float(kl_quad(P(*p), Q(*q))))


#: Families whose KL against another member of the family has no closed form, and why.
NO_SELF_KL = {
    "studentt": "E log(1 + (x - m)^2/(df s^2)) under another Student t",
    "logistic": "E log(1 + exp(-(x - m)/s)) under a logistic with another location or scale (a dilogarithm)",
    "kumaraswamy": "E log(1 - x^c) under a Kumaraswamy with another power a (an infinite series)",
}


@pytest.mark.parametrize("name", UNIVARIATE)
def test_kl_of_a_distribution_with_itself_is_zero(name):
    P = FAMILIES[name]
    try:
        d = derive_kl(P, P)
    except NoClosedFormError:
        assert name in NO_SELF_KL, name
        return
    same = {b: a for a, b in zip(d.symbols[0], d.symbols[1])}
    value = d.expr.xreplace(same)
    if value != 0:  # not zero symbolically: zero at every point
        rng = np.random.default_rng(7)
        for _ in range(N_POINTS):
            p = P.random_params(rng)
            v = _value_mp("kl", (name, name), (*p, *p))
            assert abs(v) < mpmath.mpf(10) ** -25


# -------------------------------------------------------- entropy, cross
#: Families whose entropy needs E[log k!] (or E[log gamma(k + n)]; E[log x(1 - x)] under a LogitNormal), which has no closed form.
NO_CLOSED_ENTROPY = {"poisson", "binomial", "negative_binomial", "multinomial", "logitnormal"}
#: Why the engine refuses an entropy, where that is not a mass function's E[log k!] (the default below).
ENTROPY_REFUSAL = {"logitnormal": r"E\[log\(x\)\] under LogitNormal.*entropy_quad"}


def _entropy_mp(name, p):
    """The entropy at 30 digits: the closed form, or the summed truth where there is none."""
    if name in NO_CLOSED_ENTROPY:
        return integral("entropy", FAMILIES[name], p, dps=30)
    return _value_mp("entropy", (name,), p)


@pytest.mark.parametrize("name", sorted(NO_CLOSED_ENTROPY & set(UNIVARIATE)))
def test_entropy_without_closed_form_is_refused_by_name_and_summed(name):
    P = FAMILIES[name]
    with pytest.raises(NoClosedFormError, match=ENTROPY_REFUSAL.get(name, r"E\[log\(gamma\(k \+ .*entropy_quad")):
        derive_entropy(P)
    assert (P,) not in derivable_pairs("entropy")
    rng = np.random.default_rng(3)
    for _ in range(N_POINTS):
        p = P.random_params(rng)
        truth = integral("entropy", P, p, dps=30)
        res = entropy_quad(P(*p))
        assert _close(res.value, float(truth), 1e-13, 1e-15), (p, res, truth)
        assert abs(res.value - float(truth)) <= res.error + 1e-14 * abs(float(truth))


@pytest.mark.parametrize("name", sorted(set(UNIVARIATE) - NO_CLOSED_ENTROPY))
def test_entropy_against_quadrature(name):
    P = FAMILIES[name]
    d = derive_entropy(P)
    assert (P,) in derivable_pairs("entropy")
    rng = np.random.default_rng(3)
    for _ in range(N_POINTS):
        p = P.random_params(rng)
        closed = _value_np("entropy", (name,), p)
        if _bounded_density(P, p):
            truth = float(entropy_quad(P(*p)))
            assert _close(closed, truth, RTOL_DOUBLE, 1e-12), (p, closed, truth)
        high = _value_mp("entropy", (name,), p)
        assert _close(high, integral("entropy", P, p, dps=30), mpmath.mpf(RTOL_HIGH), mpmath.mpf(10) ** -25)
    assert d._repr_latex_().startswith("$")


@pytest.mark.parametrize("pname,qname", ALL_PAIRS)
def test_cross_entropy_against_quadrature_and_identity(pname, qname):
    P, Q = FAMILIES[pname], FAMILIES[qname]
    d = _derive_or_none("cross_entropy", P, Q)
    if d is None:
        return
    if P.measure == "lebesgue" and (P,) in derivable_pairs("entropy"):
        # KL = H(P, Q) - H(P): one is a closed form iff the other is, where H(P) is (not for a
        # LogitNormal, whose cross-entropy against a Uniform is a constant and whose entropy is none)
        assert ((P, Q) in derivable_pairs("kl")) == ((P, Q) in derivable_pairs("cross_entropy"))
    if d.expr == sp.oo:
        assert derive_kl(P, Q).expr == sp.oo
        return
    for p, q in _points("cross_entropy", P, Q, finite=True):
        closed = _value_np("cross_entropy", (pname, qname), (*p, *q))
        if _bounded_density(P, p):
            truth = float(cross_entropy_quad(P(*p), Q(*q)))
            assert _close(closed, truth, RTOL_DOUBLE, 1e-12), (p, q, closed, truth)
        # H(P, Q) = H(P) + KL(P || Q), at 30 digits
        if (P, Q) not in derivable_pairs("kl"):
            continue  # no KL in closed form (E[log k!] does not cancel): the cross-entropy was checked above
        h = _entropy_mp(pname, p)
        kl = _value_mp("kl", (pname, qname), (*p, *q))
        ce = _value_mp("cross_entropy", (pname, qname), (*p, *q))
        assert abs(ce - (h + kl)) <= mpmath.mpf(10) ** -24 * (1 + abs(ce))


def test_every_family_and_pair_has_cases():
    derivable = set(derivable_pairs("kl"))
    tested = {(FAMILIES[a], FAMILIES[b]) for a, b in ALL_PAIRS}
    vector = {(P, Q) for P, Q in derivable if P.name not in UNIVARIATE or Q.name not in UNIVARIATE}
    assert derivable - vector <= tested  # every univariate pair the engine derives is tested above
    # tested in test_symbolic (the normals), test_simplex_families (the Bregman route's) and
    # test_wishart_derivation (the Wishart's, against its hand-written rules)
    assert {P.name for P, _ in vector} == {"multivariate_normal", "diagonal_normal", "dirichlet", "categorical",
                                          "multinomial", "wishart"}
    # LowRankMultivariateNormal's closed forms are anadiv's hand-written rules, checked in test_lowrank.py
    builtin = {"lowrank_multivariate_normal"}
    for name, fam in FAMILIES.items():
        assert (fam, fam) in derivable or name in set(NO_SELF_KL) | builtin, name
        assert ((fam,) in derivable_pairs("entropy")) == (name not in NO_CLOSED_ENTROPY | builtin), name
