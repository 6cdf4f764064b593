"""anadiv.numeric.stable against 50-digit mpmath, and the sympy mirrors in anadiv.codegen.helpers.

Budget: about 3 s.
"""

from __future__ import annotations

import math

import mpmath
import numpy as np
import pytest

from anadiv.numeric import stable as _stable
ULP = np.finfo(np.float64).eps


def _rel(value: float, ref: mpmath.mpf) -> float:
    if ref == 0:
        return abs(float(value))
    return float(abs((mpmath.mpf(float(value)) - ref) / ref))


def _signed_logspace(lo: float, hi: float, n: int) -> list[float]:
    mags = 10.0 ** np.linspace(lo, hi, n)
    return [float(s * m) for m in mags for s in (1.0, -1.0)]


def _positive_pairs(seed: int, n: int = 300) -> list[tuple[float, float]]:
    """(a, b) over 1e-8..1e8: independent, and b = a (1 + e) with |e| from 1e-15 to 0.3."""
    rng = np.random.default_rng(seed)
    out = []
    for i in range(n):
        a = float(10.0 ** rng.uniform(-8, 8))
        if i % 4 == 0:
            b = float(10.0 ** rng.uniform(-8, 8))
        else:
            b = a * (1 + float(rng.choice((-1.0, 1.0))) * 10.0 ** rng.uniform(-15, -0.5))
        out.append((a, b))
    return out


def _worst_ulps(fn, ref, points) -> tuple[float, tuple]:
    worst, where = 0.0, ()
    with mpmath.workdps(50):
        for pt in points:
            r = ref(*[mpmath.mpf(x) for x in pt])
            e = _rel(fn(*pt), r) / ULP
            if e > worst:
                worst, where = e, pt
    return worst, where


ONE_ARG = {
    "expm1mx": (_stable.expm1mx, lambda u: mpmath.expm1(u) - u, _signed_logspace(-15, 2.5, 150), 3),
    "log1pmx": (
        _stable.log1pmx,
        lambda t: mpmath.log1p(t) - t,
        [t for t in _signed_logspace(-15, 6, 150) if t > -1] + [-1 + 10.0**-k for k in range(1, 15)],
        3,
    ),
}


@pytest.mark.parametrize("name", sorted(ONE_ARG))
def test_one_argument_helpers(name):
    fn, ref, pts, ulps = ONE_ARG[name]
    worst, where = _worst_ulps(fn, ref, [(x,) for x in pts])
    assert worst <= ulps, f"{name}: {worst:.1f} ulps at {where}"


# (function, reference, allowed ulps). lgamma/digamma differences of far-apart arguments are
# as ill-conditioned as the difference itself (e.g. lgamma(1.5) - lgamma(1.9)), hence 32.
TWO_ARG = {
    "log_ratio": (_stable.log_ratio, lambda a, b: mpmath.log(a / b), 3),
    "xm1mlog": (_stable.xm1mlog, lambda a, b: a / b - 1 - mpmath.log(a / b), 4),
    # fast path (hot in Normal-Normal): expm1(u) - u for 0.05 <= |u| < 1 loses up to 2/|u| ulps
    "powm1mlog": (lambda a, b: _stable.powm1mlog(a, b, 2.5), lambda a, b: (a / b) ** 2.5 - 1 - 2.5 * mpmath.log(a / b), 48),
    "lgamma_bregman": (_stable.lgamma_bregman, lambda a, b: mpmath.loggamma(b) - mpmath.loggamma(a) - (b - a) * mpmath.digamma(a), 32),
    # the step d = b - a is rounded here, and the reference uses that rounded step exactly
    "lgamma_bregman_d": (
        lambda a, b: _stable.lgamma_bregman_d(a, b - a),
        lambda a, b: mpmath.loggamma(a + mpmath.mpf(float(b - a))) - mpmath.loggamma(a) - mpmath.mpf(float(b - a)) * mpmath.digamma(a),
        32,
    ),
    "lgamma_diff": (_stable.lgamma_diff, lambda a, b: mpmath.loggamma(b) - mpmath.loggamma(a), 32),
    "digamma_diff": (_stable.digamma_diff, lambda a, b: mpmath.digamma(b) - mpmath.digamma(a), 8),
}


@pytest.mark.parametrize("name", sorted(TWO_ARG))
def test_two_argument_helpers(name):
    fn, ref, ulps = TWO_ARG[name]
    worst, where = _worst_ulps(fn, ref, _positive_pairs(seed=len(name)))
    assert worst <= ulps, f"{name}: {worst:.1f} ulps at {where}"


def test_near_equal_values_are_second_order():
    # the motivating case: Normal(0.3, 1.2) vs Normal(0.3 + 1e-9, 1.2 (1 + 1e-9))
    s1, s2 = 1.2, 1.2 * (1 + 1e-9)
    kl = 0.5 * _stable.powm1mlog(s1, s2, 2.0) + 0.5 * ((0.3 - (0.3 + 1e-9)) / s2) ** 2
    with mpmath.workdps(50):
        m1, m2, S1, S2 = (mpmath.mpf(x) for x in (0.3, 0.3 + 1e-9, s1, s2))
        ref = mpmath.log(S2 / S1) + (S1**2 + (m1 - m2) ** 2) / (2 * S2**2) - mpmath.mpf(1) / 2
    assert abs(float(ref) - 1.35e-18) < 0.01e-18
    assert _rel(kl, ref) < 1e-14


@pytest.mark.parametrize("name", ["expm1mx", "log1pmx", "log_ratio", "xm1mlog", "lgamma_bregman", "lgamma_diff", "digamma_diff"])
def test_vectorised_broadcasting_and_float32(name):
    fn = getattr(_stable, name)
    nargs = 1 if name in ("expm1mx", "log1pmx") else 2
    a = np.array([[0.5], [2.0], [30.0]])
    b = np.array([0.5000001, 3.0, 29.0, 1e-3])
    args = (a,) if nargs == 1 else (a, b)
    out = fn(*args)
    assert out.shape == np.broadcast_shapes(*(np.shape(x) for x in args))
    for idx in np.ndindex(out.shape):
        scalar = fn(*[np.broadcast_to(x, out.shape)[idx] for x in args])
        assert out[idx] == scalar
    out32 = fn(*[x.astype(np.float32) for x in args])
    assert out32.dtype == np.float32
    np.testing.assert_allclose(out32, out, rtol=1e-4, atol=1e-6)
    assert np.isscalar(fn(*[float(np.ravel(x)[0]) for x in args]))


def _gamma_kl_mp(a1, b1, a2, b2):
    return (mpmath.loggamma(a2) - mpmath.loggamma(a1) - (a2 - a1) * mpmath.digamma(a1)
            + a1 * (b2 / b1 - 1 - mpmath.log(b2 / b1)) + (a2 - a1) * mpmath.log(b1 / b2))


def _beta_kl_mp(a1, b1, a2, b2):
    def br(x, y):
        return mpmath.loggamma(y) - mpmath.loggamma(x) - (y - x) * mpmath.digamma(x)

    return br(a1, a2) + br(b1, b2) - br(a1 + b1, a2 + b2)


def _family_points(seed: int, lo: float, hi: float, n: int = 240) -> list[tuple[float, ...]]:
    """(a1, b1, a2, b2): Q = P perturbed (one or both, relative 1e-14..0.1), equal means included."""
    rng = np.random.default_rng(seed)
    out = []
    for i in range(n):
        a1, b1 = (float(10.0 ** rng.uniform(lo, hi)) for _ in range(2))
        e = 10.0 ** rng.uniform(-14, -1)
        a2 = a1 * (1 + e * rng.choice((-1, 1))) if i % 3 != 1 else a1
        b2 = b1 * (1 + e * rng.choice((-1, 1))) if i % 3 != 2 else b1
        if i % 5 == 0:
            b2 = b1 * a2 / a1
        out.append((a1, b1, a2, b2))
    return out


# Beta with one parameter much larger than the other is not covered (documented bound in
# docs/accuracy.md): the ranges keep a and b within a factor 1e2 of each other, or both large.
@pytest.mark.parametrize(
    "fn, ref, lo, hi, ulps",
    [
        (_stable.gamma_bregman, _gamma_kl_mp, -1, 7, 64),
        (_stable.beta_bregman, _beta_kl_mp, -1, 1, 256),
        (_stable.beta_bregman, _beta_kl_mp, 1.3, 7, 64),
    ],
    ids=["gamma", "beta-small", "beta-large"],
)
def test_family_bregman_helpers(fn, ref, lo, hi, ulps):
    worst, where = _worst_ulps(fn, ref, _family_points(7, lo, hi))
    assert worst <= ulps, f"{worst:.1f} ulps at {where}"


def test_bregman_is_nonnegative_and_zero_at_equality():
    rng = np.random.default_rng(3)
    a = 10.0 ** rng.uniform(-5, 7, 2000)
    b = a * (1 + 10.0 ** rng.uniform(-16, 0, 2000) * rng.choice((-1, 1), 2000))
    assert np.all(_stable.lgamma_bregman(a, b) >= 0)
    assert np.all(_stable.lgamma_bregman(a, a) == 0)
    assert np.all(_stable.xm1mlog(a, b) >= 0)
    assert np.all(_stable.expm1mx(np.log(a)) >= 0)


def test_numeric_helpers_do_not_import_sympy():
    import subprocess
    import sys

    code = "import sys, anadiv.numeric.stable as s; s.lgamma_bregman(2.0, 3.0); print('sympy' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


# --------------------------------------------------------------------- sympy mirrors

sympy = pytest.importorskip("sympy")


def test_helpers_mirror_stable_names():
    from anadiv.codegen.helpers import HELPERS

    # ContinuousBernoulli declares its log-normalizer and its derivatives as sympy functions of its
    # own (anadiv/families/continuous_bernoulli.py), printed to these stable names
    family_functions = {"cb_log_normalizer", "cb_mean", "cb_variance"}
    for name in HELPERS:
        assert callable(getattr(_stable, name)), name
    assert set(HELPERS) == set(_stable.__all__) - family_functions
    assert all(callable(getattr(_stable, name)) for name in family_functions)


def test_helpers_elementary_form_and_mpmath_evaluation_agree():
    from anadiv.codegen.helpers import HELPERS

    rng = np.random.default_rng(5)
    for name, cls in HELPERS.items():
        for _ in range(5):
            args = [sympy.Rational(int(rng.integers(1, 400)), int(rng.integers(1, 100))) for _ in range(max(cls.nargs))]
            if name in ("log1pmx", "expm1mx"):
                args = [args[0] / (args[0] + 1) - sympy.Rational(1, 2)]
            if name == "betainc_reg":
                args[2] = args[2] / (args[2] + 1)
            if name == "cos_half_pi":  # dyadic points of (0, 2), exact in float64, around the zero at 1
                args = [sympy.Rational(int(rng.integers(1, 2**21)), 2**20)]
            # the helper sees float64 inputs: its error is measured against the exact value
            # at those (lowergamma_reg(113/3, 9/22) has condition number ~170 in s, so the
            # rounding of the rational inputs alone moved the true value by 2e-14)
            # (powm1mlog's exponent stays the small rational: a power with a 2^52 denominator makes
            # sympy's exact arithmetic grow without bound, and its rounding moves the value by ~1e-16)
            args = [a if (name, i) == ("powm1mlog", 2) else sympy.Rational(float(a)) for i, a in enumerate(args)]
            if name in ("log_ratio_d", "xm1mlog_d"):  # d is a - b by definition
                args[2] = args[0] - args[1]
            if name == "log_diff":  # a width: a > b
                args = [max(args), min(args) - 1]
            if name in ("log_mix_gap", "lgamma_mix_gap"):  # an order in (0, 2) whose mixture stays positive
                args[0] = sympy.Rational(float(2 * args[0] / (args[0] + 1)))
                if args[0] > 1:
                    args[1], args[2] = sorted(args[1:3])[::-1]
                args[3] = args[1] - args[2]
            if name == "mix":  # an order
                args[0] = sympy.Rational(float(args[0] / (args[0] + 1)))
            expr = cls(*args)
            if name == "betainc_reg":  # sympy cannot evalf betainc_regularized; mpmath can
                with mpmath.workdps(40):
                    exact = sympy.Float(mpmath.betainc(*[mpmath.mpf(sympy.Float(a, 50)) for a in (args[0], args[1])], 0,
                                                       mpmath.mpf(sympy.Float(args[2], 50)), regularized=True), 40)
            else:
                exact = sympy.N(expr.as_elementary(), 40)
            assert abs(sympy.N(expr, 40) - exact) <= 1e-35 * max(1, abs(exact)), name
            with mpmath.workdps(40):
                num = _stable_value(name, args)
            assert _rel(num, mpmath.mpf(str(exact))) < 64 * ULP * _cancellation(name, args), name


def _cancellation(name, args):
    """How much the helper's own terms cancel (1 for helpers that sum no signed terms).

    beta_bregman's general branch adds three Bregman terms, each to a few ulps of
    itself: its error is that times ``(A + B + S) / (A + B - S)``, and it returns NaN
    (for the generated code's exact fallback) when that exceeds 256.
    """
    if name == "gamma_bregman":
        # the generic branch (a shape below 16): the nonnegative Bregman part plus the signed
        # (a2 - a1) log(b1/b2), NaN beyond a cancellation of 256 (the generated code's refinement)
        a1, b1, a2, b2 = (mpmath.mpf(sympy.Float(a, 50)) for a in args)
        if min(a1, a2) >= 16:
            return 1.0
        with mpmath.workdps(50):
            bregman = (mpmath.loggamma(a2) - mpmath.loggamma(a1) - (a2 - a1) * mpmath.digamma(a1)
                       + a1 * (b2 / b1 - 1 - mpmath.log(b2 / b1)))
            cross = (a2 - a1) * mpmath.log(b1 / b2)
            return float(max(1, (bregman + abs(cross)) / (bregman + cross)))
    if name != "beta_bregman":
        return 1.0
    a1, b1, a2, b2 = (mpmath.mpf(sympy.Float(a, 50)) for a in args)
    with mpmath.workdps(50):
        def breg(x, y):
            return mpmath.loggamma(y) - mpmath.loggamma(x) - (y - x) * mpmath.digamma(x)
        terms = (breg(a1, a2), breg(b1, b2), breg(a1 + b1, a2 + b2))
        return float(max(1, sum(terms) / (terms[0] + terms[1] - terms[2])))


def _stable_value(name, args):
    return getattr(_stable, name)(*[float(a) for a in args])


def test_helpers_derivatives_match_elementary_form():
    from sympy.core.function import ArgumentIndexError

    from anadiv.codegen.helpers import HELPERS

    xs = sympy.symbols("x0:4", positive=True)
    pt = {xs[0]: sympy.Rational(7, 3), xs[1]: sympy.Rational(5, 2), xs[2]: sympy.Rational(3, 4), xs[3]: sympy.Rational(9, 4)}
    for name, cls in HELPERS.items():
        n = max(cls.nargs)
        expr = cls(*xs[:n])
        for i in range(n):
            try:
                expr.fdiff(i + 1)
            except ArgumentIndexError:
                continue  # no closed-form derivative in that argument (documented in the helper)
            if name == "betainc_reg":
                pt2 = dict(pt)
                pt2[xs[2]] = sympy.Rational(3, 7)
                got = sympy.N(sympy.diff(expr, xs[i]).subs(pt2), 30)
                want = sympy.N(sympy.diff(expr.as_elementary(), xs[i]).subs(pt2).doit(), 30)
                assert abs(got - want) < 1e-25, (name, i)
                continue
            got = sympy.N(sympy.diff(expr, xs[i]).subs(pt), 30)
            want = sympy.N(sympy.diff(expr.as_elementary(), xs[i]).subs(pt), 30)
            assert abs(got - want) < 1e-25, (name, i)


def test_helpers_lambdify_to_mpmath_keeps_tiny_values():
    from anadiv.codegen.helpers import powm1mlog

    s1, s2 = sympy.symbols("s1 s2", positive=True)
    f = sympy.lambdify((s1, s2), powm1mlog(s1, s2, 2) / 2, modules="mpmath")
    with mpmath.workdps(50):
        v = f(mpmath.mpf(1.2), mpmath.mpf(1.2 * (1 + 1e-9)))
    assert math.isclose(float(v), 1.0000001638e-18, rel_tol=1e-6)


@pytest.mark.parametrize("k", [1.0, 2.0, -1.0, -2.0])
def test_powm1mlog_integer_powers_array_and_scalar_paths(k):
    # the Normal KL's hot path: the series subset is chosen from the value itself, the
    # far subset (a << b) after a min; check both sides of each threshold densely
    rng = np.random.default_rng(int(k * 10) + 100)
    t = np.concatenate(
        [
            _signed_logspace(-15, 0, 120),
            rng.uniform(-0.06, -0.04, 200),
            rng.uniform(0.04, 0.06, 200),
            -1 + 10.0 ** -rng.uniform(0.5, 12, 100),  # a << b
            10.0 ** rng.uniform(0, 8, 50),  # a >> b
        ]
    )
    t = t[t > -1]
    b = np.exp(rng.uniform(-3, 3, t.size))
    a = b * (1 + t)
    got = _stable.powm1mlog(a, b, k)
    worst = 0.0
    for ai, bi, gi in zip(a, b, got):
        with mpmath.workdps(90):  # the value is ~t^2/2: 1e-30 needs 30 extra digits
            r = mpmath.mpf(float(ai)) / mpmath.mpf(float(bi))
            truth = r**k - 1 - k * mpmath.log(r)
        if truth == 0:
            assert gi == 0
            continue
        worst = max(worst, float(abs((gi - truth) / truth)))
        scalar = _stable.powm1mlog(float(ai), float(bi), k)
        assert float(abs((scalar - truth) / truth)) < 2e-14, (ai, bi, scalar)
    assert worst < 2e-14


def test_beta_bregman_hands_heavy_cancellation_to_the_fallback():
    # one shape below 16 (no Stirling branch), the three terms cancelling by ~1e3
    a1, b1, a2, b2 = 400.0, 300.0, 3.0, 2.0
    with mpmath.workdps(50):
        def breg(x, y):
            x, y = mpmath.mpf(x), mpmath.mpf(y)
            return mpmath.loggamma(y) - mpmath.loggamma(x) - (y - x) * mpmath.digamma(x)
        terms = (breg(a1, a2), breg(b1, b2), breg(a1 + b1, a2 + b2))
        exact = terms[0] + terms[1] - terms[2]
        factor = sum(terms) / exact
    assert factor > 256
    assert math.isnan(float(_stable.beta_bregman(a1, b1, a2, b2)))
    # and the generated KL answers it in full through the exact fallback
    from anadiv._generated.beta import kl_beta_beta

    assert _rel(float(kl_beta_beta(a1, b1, a2, b2)), exact) < 4 * ULP


def test_cos_half_pi_keeps_its_digits_next_to_its_zeros():
    # the documented range |x| <= 2 (the Mellin transform of a half-Cauchy needs |x| < 1)
    x = np.array([1.0 - 2.0**-50, 1.0 - 1e-9, 1.0 + 1e-12, -1.0 + 1e-7, 0.5, 0.3, 1.7, 2.0, -1.5])
    got = _stable.cos_half_pi(x)
    for xi, gi in zip(x, got):
        with mpmath.workdps(40):
            assert _rel(gi, mpmath.cospi(mpmath.mpf(float(xi)) / 2)) < 8 * ULP, xi


@pytest.mark.parametrize("low, high", [(0.3, 1.3000000001), (-2e-272, 1.0), (1e8, 1e8 + 1.0000001), (-0.5, 0.5 + 2**-40)])
def test_a_width_near_one_keeps_its_logarithm(low, high):
    """log(high - low) with the rounding of the difference added back: the Uniform's entropy."""
    import anadiv

    with mpmath.workdps(60):
        want = float(mpmath.log(mpmath.mpf(high) - mpmath.mpf(low)))
    assert _rel(float(anadiv.entropy(anadiv.Uniform(low, high))), mpmath.mpf(want)) < 4 * ULP
    assert _rel(float(_stable.log_diff(np.array([high]), np.array([low]))[0]), mpmath.mpf(want)) < 4 * ULP
    # before: log of the rounded difference (0.0 for (-2e-272, 1), 6e-7 relative for (0.3, 1.3000000001))
