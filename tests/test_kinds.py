"""Divergence kinds as objects (issue 11, part 3): metadata, the generic numeric paths, sums.

A kind declared here (Jeffreys' symmetric KL, the reverse KL, a KL with an
extra weight parameter) must flow through quadrature and Monte Carlo without
touching them; a family on the counting measure (the built-in Geometric) gets
its entropy and KL from the engine as sums.
"""

from __future__ import annotations

import math
import subprocess
import sys
from typing import Any

import numpy as np
import pytest

import anadiv
from anadiv._generated import _index
from anadiv.estimators.monte_carlo import divergence_estimate
from anadiv.estimators.quadrature import divergence_quad
from anadiv.families import FAMILIES, Normal
from anadiv.kinds import KINDS, DivergenceKind, KindParameter, get_kind


def kl_normal(m1: float, s1: float, m2: float, s2: float) -> float:
    """KL(N(m1, s1^2) || N(m2, s2^2)), written out here (independent of anadiv)."""
    return math.log(s2 / s1) + (s1**2 + (m1 - m2) ** 2) / (2 * s2**2) - 0.5


# ------------------------------------------------------------------ metadata
def test_registry_holds_the_kinds_in_declaration_order() -> None:
    assert list(KINDS) == ["kl", "cross_entropy", "entropy", "renyi", "hellinger", "bhattacharyya", "chi_square",
                           "total_variation", "jeffreys", "jensen_shannon", "jensen_shannon_distance",
                           "wasserstein2"]
    assert all(isinstance(k, DivergenceKind) and k.name == name for name, k in KINDS.items())
    # the generated index has one section per kind the generator writes (a symbolic route of its own)
    assert set(_index.REGISTRY) == {n for n, k in KINDS.items() if k.route is not None and k.generated}
    assert set(_index.REGISTRY) == {"kl", "cross_entropy", "entropy", "renyi"}


@pytest.mark.parametrize(
    "name, arity, shown, latex, nonneg, from_supports, reads, route",
    [
        ("kl", 2, "KL(Normal || Gamma)", r"\mathrm{KL}\left(P \,\|\, Q\right)", True, True, ("p", "q"),
         "anadiv.symbolic.derive_kl"),
        ("cross_entropy", 2, "H(Normal, Gamma)", r"H\left(P, Q\right)", False, True, ("q",),
         "anadiv.symbolic.derive_cross_entropy"),
        ("entropy", 1, "H(Normal)", r"H\left(P\right)", False, False, ("p",), "anadiv.symbolic.derive_entropy"),
    ],
)
def test_kind_metadata(name: str, arity: int, shown: str, latex: str, nonneg: bool, from_supports: bool,
                       reads: tuple[str, ...], route: str) -> None:
    k = KINDS[name]
    assert k.arity == arity and k.parameters == ()
    assert k.show(["Normal", "Gamma"][:arity]) == shown
    assert k.latex(["P", "Q"][:arity]) == latex
    assert (k.nonnegative, k.infinite_from_supports, k.log_densities) == (nonneg, from_supports, reads)
    assert k.route_path == route
    assert k.function_name(["normal", "gamma"][:arity]) == "_".join([name, "normal", "gamma"][: arity + 1])
    assert k.index_section == name.upper()
    assert k.cli_name == name.replace("_", "-")
    # the suggestions name public functions that exist
    assert f"anadiv.{k.estimator}(" in k.instead() and f"anadiv.{k.quadrature}(" in k.instead()
    assert callable(getattr(anadiv, k.estimator)) and callable(getattr(anadiv, k.quadrature))
    # the closed-form function of the API has the kind's name
    assert callable(getattr(anadiv, name))


def test_integrands_are_the_definitions() -> None:
    lp, lq = np.array([-1.0, -2.5]), np.array([-3.0, -0.5])
    np.testing.assert_array_equal(KINDS["kl"].integrand(lp, lq), lp - lq)
    np.testing.assert_array_equal(KINDS["cross_entropy"].integrand(lp, lq), -lq)
    np.testing.assert_array_equal(KINDS["entropy"].integrand(lp, lq), -lp)


def test_get_kind_names_the_argument() -> None:
    assert get_kind("kl") is KINDS["kl"]
    with pytest.raises(ValueError, match="^kind: must be one of kl, cross_entropy, entropy, renyi, "):
        get_kind("kullback")


def test_kinds_package_imports_no_sympy() -> None:
    code = "import sys, anadiv.kinds; print('sympy' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=True)
    assert out.stdout.strip() == "False"


def test_registered_kinds_drive_the_existing_wrappers() -> None:
    p, q = Normal(0.3, 1.2), Normal(-0.5, 0.7)
    truth = kl_normal(0.3, 1.2, -0.5, 0.7)
    assert float(divergence_quad("kl", p, q)) == pytest.approx(truth, rel=1e-10)
    assert float(divergence_quad("kl", p, q)) == float(anadiv.kl_quad(p, q))
    # the entropy path is the one-distribution form of the same code
    assert float(divergence_quad(KINDS["entropy"], p)) == float(anadiv.entropy_quad(p))
    with pytest.raises(ValueError, match="^q: .* takes one distribution"):
        divergence_quad("entropy", p, q)
    with pytest.raises(ValueError, match="^q: .* needs a second distribution"):
        divergence_estimate("kl", p)


# ----------------------------------------------------- kinds declared here
@pytest.fixture
def declared_kinds():
    """Kinds declared for one test; removed from the registry afterwards."""
    before = dict(KINDS)

    class Jeffreys(DivergenceKind):
        """KL(P || Q) + KL(Q || P) = E_P[(log p - log q) (1 - q/p)]."""

        name = "test_jeffreys"
        title = "Jeffreys divergence"
        symbol = "J"
        arity = 2
        nonnegative = True

        def integrand(self, logp: Any, logq: Any, **params: Any) -> Any:
            d = logp - logq
            return d * -np.expm1(-d)

        def log_abs_integrand(self, logp: Any, logq: Any, **params: Any) -> Any:
            # |1 - e^-d| in logs: -d + log(1 - e^d) for d < 0, log(1 - e^-d) otherwise
            d = logp - logq
            neg = d < 0
            log_factor = np.where(neg, -d + np.log1p(-np.exp(np.minimum(d, 0.0))), np.log(-np.expm1(-np.abs(d))))
            return np.log(np.abs(d)) + log_factor, np.sign(d) * np.sign(d)

    class ReverseKL(DivergenceKind):
        """KL(Q || P) = E_P[(q/p) (log q - log p)] (equal supports)."""

        name = "test_reverse_kl"
        title = "reverse KL divergence"
        symbol = "KL_rev"
        arity = 2

        def integrand(self, logp: Any, logq: Any, **params: Any) -> Any:
            d = logq - logp
            return np.exp(d) * d

        def log_abs_integrand(self, logp: Any, logq: Any, **params: Any) -> Any:
            d = logq - logp
            return d + np.log(np.abs(d)), np.sign(d)

    def positive(value: Any) -> float:
        v = float(value)
        if not v > 0:
            raise ValueError(f"must be > 0, got {value!r}")
        return v

    class WeightedKL(DivergenceKind):
        """weight * KL(P || Q): a kind with an extra parameter."""

        name = "test_weighted_kl"
        title = "weighted KL divergence"
        symbol = "wKL"
        arity = 2
        parameters = (KindParameter("weight", positive, "the factor"),)

        def integrand(self, logp: Any, logq: Any, **params: Any) -> Any:
            return params["weight"] * (logp - logq)

    try:
        yield Jeffreys, ReverseKL, WeightedKL
    finally:
        for name in set(KINDS) - set(before):
            del KINDS[name]


def test_declaring_a_kind_registers_it_once(declared_kinds) -> None:
    jeffreys = declared_kinds[0]
    assert isinstance(KINDS["test_jeffreys"], jeffreys)
    with pytest.raises(TypeError, match="registered twice"):
        type("Other", (DivergenceKind,), {"name": "test_jeffreys"})
    with pytest.raises(TypeError, match="arity"):
        type("Bad", (DivergenceKind,), {"name": "test_bad_arity", "arity": 3})
    assert "test_bad_arity" not in KINDS


@pytest.mark.parametrize("params", [(0.3, 1.2, -0.5, 0.7), (1.0, 0.8, 0.0, 1.5)])
def test_declared_kinds_through_quadrature(declared_kinds, params) -> None:
    m1, s1, m2, s2 = params
    p, q = Normal(m1, s1), Normal(m2, s2)
    forward, backward = kl_normal(m1, s1, m2, s2), kl_normal(m2, s2, m1, s1)
    assert float(divergence_quad("test_jeffreys", p, q)) == pytest.approx(forward + backward, rel=1e-8)
    assert float(divergence_quad("test_reverse_kl", p, q)) == pytest.approx(backward, rel=1e-8)
    weighted = divergence_quad("test_weighted_kl", p, q, params={"weight": 2.5})
    assert float(weighted) == pytest.approx(2.5 * forward, rel=1e-10)


def test_declared_kinds_through_monte_carlo(declared_kinds) -> None:
    p, q = Normal(0.3, 1.2), Normal(-0.5, 1.5)
    forward, backward = kl_normal(0.3, 1.2, -0.5, 1.5), kl_normal(-0.5, 1.5, 0.3, 1.2)
    for name, truth in (("test_jeffreys", forward + backward), ("test_reverse_kl", backward)):
        est = divergence_estimate(name, p, q, n=200_000, seed=1)
        assert est.stderr_reliable and est.n == 200_000
        # 5 standard errors: a false failure has probability below 1e-6
        assert abs(est.value - truth) < 5 * est.stderr, (name, est, truth)
    weighted = divergence_estimate("test_weighted_kl", p, q, params={"weight": 0.5}, n=4096, seed=3)
    plain = divergence_estimate("kl", p, q, n=4096, seed=3)
    # same draws, integrand halved
    assert weighted.value == pytest.approx(0.5 * plain.value, rel=1e-12)


def test_extra_parameters_are_checked_keyed_and_in_the_signature(declared_kinds) -> None:
    k = KINDS["test_weighted_kl"]
    assert k.bind({"weight": 2}) == {"weight": 2.0}
    assert k.cache_key(["normal", "normal"], {"weight": 2}) == ("test_weighted_kl", "normal", "normal", 2.0)
    assert k.cache_key(["normal", "normal"], {"weight": 2}) != k.cache_key(["normal", "normal"], {"weight": 3})
    assert k.argument_names([["mu_1", "sigma_1"], ["mu_2", "sigma_2"]])[-1] == ["weight"]
    assert KINDS["kl"].argument_names([["mu_1"], ["mu_2"]]) == [["mu_1"], ["mu_2"]]
    with pytest.raises(ValueError, match="^weight: must be > 0"):
        divergence_quad(k, Normal(0.0, 1.0), Normal(0.0, 2.0), params={"weight": -1.0})
    with pytest.raises(ValueError, match="^weight: missing"):
        divergence_quad(k, Normal(0.0, 1.0), Normal(0.0, 2.0))
    with pytest.raises(ValueError, match="^alpha: not a parameter"):
        divergence_quad("kl", Normal(0.0, 1.0), Normal(0.0, 2.0), params={"alpha": 0.5})


def test_a_kind_without_route_has_no_closed_form(declared_kinds) -> None:
    from anadiv.errors import NoClosedFormError

    with pytest.raises(NoClosedFormError, match=r"anadiv\.divergence\('test_jeffreys', p, q\)") as info:
        KINDS["test_jeffreys"].derive(Normal, Normal)
    # what it suggests exists
    assert "anadiv.divergence_quad" in str(info.value) and callable(anadiv.divergence_quad)


# ------------------------------------------------------------ counting measure
@pytest.fixture
def geometric():
    """The built-in Geometric, p (1 - p)^k on k = 0, 1, 2, ...: a family on the counting measure."""
    return FAMILIES["geometric"]


def _mp_sum(term) -> Any:
    import mpmath

    with mpmath.workdps(30):
        return mpmath.nsum(term, [0, mpmath.inf])


def test_counting_measure_entropy_and_kl_are_sums(geometric) -> None:
    import mpmath
    import sympy as sp

    from anadiv.symbolic import derive_entropy, derive_kl

    h = derive_entropy(geometric)
    assert not h.expr.has(sp.Integral, sp.Sum)
    (p,) = h.symbols[0]
    d = derive_kl(geometric, geometric)
    assert not d.expr.has(sp.Integral, sp.Sum, sp.oo)
    (p1,), (p2,) = d.symbols
    for a, b in [(0.3, 0.7), (0.9, 0.05), (0.5, 0.5)]:
        with mpmath.workdps(30):
            A, B = mpmath.mpf(a), mpmath.mpf(b)

            def pmf(k: Any, r: Any) -> Any:
                return r * (1 - r) ** k

            entropy = _mp_sum(lambda k: -pmf(k, A) * mpmath.log(pmf(k, A)))
            kl = _mp_sum(lambda k: pmf(k, A) * (mpmath.log(pmf(k, A)) - mpmath.log(pmf(k, B))))
        assert float(h.expr.subs(p, a).evalf(30)) == pytest.approx(float(entropy), rel=1e-13)
        assert float(d.expr.subs({p1: a, p2: b}).evalf(30)) == pytest.approx(float(kl), rel=1e-13, abs=1e-15)
    # a counting-measure expectation in the steps (a sum over k, or E[x] from the score identity of the
    # sum), not an integral
    assert any("sum over k" in s or "score identity" in s for s in h.steps)
    assert not any("integral" in s.lower() for s in h.steps)


def test_counting_against_lebesgue_is_infinite(geometric) -> None:
    import sympy as sp

    from anadiv.symbolic import derive_kl

    assert derive_kl(geometric, FAMILIES["exponential"]).expr == sp.oo
