"""The engine and quadrature under the counting measure (issue 12): sums over the support.

A family declared here (a Poisson-like mass function with its ``log k!``)
checks that terms common to ``log p`` and ``log q`` cancel before the
expectation (KL in closed form although ``E[log k!]`` has none), that the
expectations with no closed form are reported by name, and that quadrature
becomes a sum with an error bound, keyed on ``measure``, not on names.
"""

from __future__ import annotations

import math
from typing import Any

import mpmath
import numpy as np
import pytest

from anadiv.constraints import positive
from anadiv.errors import NoClosedFormError
from anadiv.estimators.quadrature import divergence_quad
from anadiv.families import FAMILIES, Family, Normal, Param


@pytest.fixture
def counts():
    """rate^k e^-rate / k! on k = 0, 1, ...: a mass function with log k! in its log."""
    from scipy.special import gammaln, xlogy

    class Counts(Family):
        name = "test_counts"
        measure = "counting"
        parameters = (Param("rate", positive, (0.5, 5.0), "mean"),)

        @staticmethod
        def _np_logpdf(x: np.ndarray, rate: np.ndarray) -> np.ndarray:
            ok = (x >= 0) & (x == np.floor(x))
            k = np.where(ok, x, 0.0)
            return np.where(ok, xlogy(k, rate) - rate - gammaln(k + 1), -np.inf)

        @staticmethod
        def _np_sample(rng: np.random.Generator, size: tuple[int, ...], rate: np.ndarray) -> np.ndarray:
            return rng.poisson(rate, size).astype(float)

        @staticmethod
        def _np_support(rate: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
            return np.zeros(np.shape(rate)), np.full(np.shape(rate), np.inf)

        @staticmethod
        def _np_mean_var(rate: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
            return rate, rate

        @classmethod
        def sym_logpdf(cls, x: Any, rate: Any) -> Any:
            import sympy

            return x * sympy.log(rate) - rate - sympy.loggamma(x + 1)

        @classmethod
        def sym_support(cls, rate: Any) -> Any:
            import sympy

            return sympy.Range(0, sympy.oo)

    try:
        yield Counts
    finally:
        FAMILIES.pop("test_counts", None)


def _mp_poisson_sum(f: Any, rate: float) -> Any:
    """The sum over k of f(k) for a Poisson(rate) weight, whole up to rate + 80 sqrt(rate) + 200.

    The terms beyond are below 1e-600 of the sum (Chernoff), far under 40 digits;
    mpmath's nsum extrapolates from k = 0 and misses a bulk at k = 700.
    """
    with mpmath.workdps(40):
        return mpmath.fsum(f(mpmath.mpf(k)) for k in range(int(rate + 80 * math.sqrt(rate) + 200)))


def test_common_log_factorials_cancel_in_the_kl(counts) -> None:
    import sympy as sp

    from anadiv.symbolic import derive_kl

    d = derive_kl(counts, counts)
    (r1,), (r2,) = d.symbols
    assert not d.expr.has(sp.loggamma, sp.gamma, sp.Sum)
    assert any("expanded as one expression" in s for s in d.steps)
    for a, b in [(2.0, 3.0), (0.01, 40.0), (700.0, 650.0)]:
        with mpmath.workdps(40):
            A, B = mpmath.mpf(a), mpmath.mpf(b)

            def lp(k: Any, r: Any) -> Any:
                return k * mpmath.log(r) - r - mpmath.loggamma(k + 1)

            truth = _mp_poisson_sum(lambda k: mpmath.exp(lp(k, A)) * (lp(k, A) - lp(k, B)), a)
        got = d.expr.subs({r1: sp.Rational(a), r2: sp.Rational(b)}).evalf(40)
        assert abs(float(got) - float(truth)) <= 1e-25 * abs(float(truth))


def test_expectations_without_closed_form_are_named(counts) -> None:
    from anadiv.symbolic import derive_cross_entropy, derive_entropy

    with pytest.raises(NoClosedFormError, match=r"E\[log\(gamma\(k \+ 1\)\)\] over k in Range\(0, oo, 1\)"):
        derive_entropy(counts)
    with pytest.raises(NoClosedFormError, match="entropy_quad"):
        derive_entropy(counts)
    # -log q alone keeps its log k!: no cancellation for the cross-entropy
    with pytest.raises(NoClosedFormError, match="loggamma"):
        derive_cross_entropy(counts, counts)


def test_counting_against_a_density_is_infinite_both_ways(counts) -> None:
    import sympy as sp

    from anadiv.symbolic import derive_kl

    assert derive_kl(counts, Normal).expr == sp.oo
    assert derive_kl(Normal, counts).expr == sp.oo
    for kind in ("kl", "cross_entropy"):
        assert math.isinf(float(divergence_quad(kind, counts(2.0), Normal(0.0, 1.0))))
        assert math.isinf(float(divergence_quad(kind, Normal(1.0, 1.0), counts(2.0))))


@pytest.mark.parametrize("rate", [0.3, 4.0, 2500.0])
def test_quadrature_is_a_sum_with_a_tail_bound(counts, rate: float) -> None:
    with mpmath.workdps(40):
        R = mpmath.mpf(rate)

        def lp(k: Any) -> Any:
            return k * mpmath.log(R) - R - mpmath.loggamma(k + 1)

        truth = float(_mp_poisson_sum(lambda k: -mpmath.exp(lp(k)) * lp(k), rate))
    res = divergence_quad("entropy", counts(rate))
    assert res.method == "sum over the support"
    # float64 log-masses k log(rate) - rate - log k! lose ~eps * k log k each (1e-12 of 5.3 at rate 2500):
    # the reported error counts that rounding
    assert abs(res.value - truth) <= res.error, (res, truth)
    assert res.error < max(1e-13, 1e-15 * rate * math.log(rate)) * abs(truth)
    high = divergence_quad("entropy", counts(rate), precision="high", digits=25)
    assert abs(high.value - truth) <= 4e-16 * abs(truth)
