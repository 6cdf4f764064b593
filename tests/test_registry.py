"""The open registry of closed forms: dispatch by class, registered rules, Independent.

Every rule a test registers goes through the ``register`` fixture, which
removes it afterwards and checks that the listing is back to the generated
index, so no other test sees it. Budget: about 3 s.
"""

from __future__ import annotations

import contextlib
import math
from typing import Any, Callable, Iterator

import numpy as np
import pytest
from scipy import integrate

import anadiv
from anadiv import (
    FAMILIES,
    AmbiguousClosedFormError,
    DiagonalNormal,
    Distribution,
    Exponential,
    Independent,
    Laplace,
    NoClosedFormError,
    Normal,
    register_closed_form,
    unregister_closed_form,
)
from anadiv import registry

KINDS = ("kl", "cross_entropy", "entropy")


def _generated_listing() -> dict[str, list[tuple[str, str | None, str]]]:
    return {k: [(c.p, c.q, c.function) for c in anadiv.closed_form_pairs(k)] for k in KINDS}


GENERATED = _generated_listing()


@pytest.fixture
def register() -> Iterator[Callable[..., Callable[[Any], Any]]]:
    """``register(kind, P, Q)(func)`` like register_closed_form, undone after the test."""
    added: list[tuple[str, type, type | None]] = []

    def reg(kind: str, P: type, Q: type | None = None, **kw: Any) -> Callable[[Any], Any]:
        decorate = register_closed_form(kind, P, Q, **kw)

        def wrap(func: Any) -> Any:
            decorate(func)
            added.append((kind, P, Q))
            return func

        return wrap

    yield reg
    for kind, P, Q in reversed(added):
        with contextlib.suppress(ValueError):  # already removed by the test itself
            unregister_closed_form(kind, P, Q)
    assert _generated_listing() == GENERATED
    assert not any(r.source == "registered" for k in KINDS for r in registry.rules(k))


class MyNormal(Normal):
    """A variant of Normal: no name of its own."""


class Rayleigh(Distribution):
    """A distribution anadiv does not know, with hand-written closed forms."""

    def __init__(self, sigma: float) -> None:
        self.sigma = float(sigma)

    def logpdf(self, x: Any) -> Any:
        x = np.asarray(x, dtype=float)
        with np.errstate(divide="ignore"):
            return np.where(x > 0, np.log(x) - 2 * np.log(self.sigma) - x * x / (2 * self.sigma**2), -np.inf)


def _kl_rayleigh(p: Rayleigh, q: Rayleigh) -> float:
    # KL = 2 log(s2/s1) + (s1^2 - s2^2)/s2^2
    return 2 * math.log(q.sigma / p.sigma) + (p.sigma**2 - q.sigma**2) / q.sigma**2


# ------------------------------------------------------- family registration
def test_a_subclass_without_a_name_registers_nothing_and_raises_nothing() -> None:
    class Plain(Normal):
        pass

    assert FAMILIES["normal"] is Normal
    assert Plain not in FAMILIES.values() and MyNormal not in FAMILIES.values()
    with pytest.raises(TypeError, match="family name 'normal' registered twice"):

        class Clash(Normal):
            name = "normal"


def test_a_subclass_with_a_name_of_its_own_is_a_family() -> None:
    class Renamed(Normal):
        name = "renamed_normal_for_test"

    try:
        assert FAMILIES["renamed_normal_for_test"] is Renamed
        # still a Normal underneath: Normal's closed form applies
        assert anadiv.kl(Renamed(0.0, 1.0), Normal(1.0, 2.0)) == anadiv.kl(Normal(0.0, 1.0), Normal(1.0, 2.0))
    finally:
        del FAMILIES["renamed_normal_for_test"]


# ------------------------------------------------------------ subclass dispatch
def test_subclass_dispatches_to_the_parents_closed_forms() -> None:
    mu = np.array([0.0, 1.5, -2.0])
    for p, q in [(MyNormal(0.3, 1.2), MyNormal(1.0, 2.0)), (MyNormal(mu, 1.0), Normal(0.5, 2.0)),
                 (Normal(0.3, 1.2), MyNormal(mu, 0.7))]:
        base_p, base_q = Normal(*p.param_values), Normal(*q.param_values)
        np.testing.assert_array_equal(anadiv.kl(p, q), anadiv.kl(base_p, base_q))
        np.testing.assert_array_equal(anadiv.cross_entropy(p, q), anadiv.cross_entropy(base_p, base_q))
    assert anadiv.kl(MyNormal(0.0, 1.0), MyNormal(1.0, 2.0)) == pytest.approx(math.log(2) - 0.25, rel=1e-15)
    assert anadiv.entropy(MyNormal(0.0, 2.0)) == anadiv.entropy(Normal(0.0, 2.0))
    assert anadiv.kl(MyNormal(0.0, 1.0), Exponential(1.0)) == math.inf
    f = anadiv.kl_function(Normal, Normal)
    assert anadiv.kl_function(MyNormal, Normal) is f and anadiv.kl_function(MyNormal(0, 1), "normal") is f
    assert registry.RESOLVED[("kl", MyNormal, MyNormal)].name == "kl_normal_normal"
    assert registry.RAW[("kl", MyNormal, MyNormal)] is f  # what the hot path reads


def test_a_subclass_rule_wins_over_the_parents(register) -> None:
    p, q = MyNormal(0.0, 1.0), MyNormal(1.0, 2.0)
    parent = anadiv.kl(p, q)  # resolved and cached before the registration
    register("kl", MyNormal, MyNormal)(lambda a, b: -1.0)
    assert not registry.RAW and not registry.RESOLVED  # registering cleared the caches
    register("kl", MyNormal, Normal)(lambda a, b: -2.0)
    assert anadiv.kl(p, q) == -1.0  # the cache was cleared
    assert anadiv.kl(p, Normal(1.0, 2.0)) == -2.0  # nearer on P's side than (Normal, Normal)
    assert anadiv.kl(Normal(0.0, 1.0), q) == parent  # no rule for (Normal, MyNormal): the parent's
    assert anadiv.kl(Normal(0.0, 1.0), Normal(1.0, 2.0)) == parent


def test_multiple_inheritance_follows_the_mro(register) -> None:
    class A(Normal):
        pass

    class B(Normal):
        pass

    class C(A, B):
        pass

    register("entropy", A)(lambda p: "A")
    register("entropy", B)(lambda p: "B")
    assert anadiv.entropy(C(0.0, 1.0)) == "A"  # A comes before B in C's MRO
    assert anadiv.entropy(B(0.0, 1.0)) == "B"


def test_ambiguous_matches_raise_and_an_exact_rule_settles_them(register) -> None:
    class A(Normal):
        pass

    register("kl", A, Normal)(lambda p, q: 1.0)
    register("kl", Normal, A)(lambda p, q: 2.0)
    p, q = A(0.0, 1.0), A(1.0, 2.0)
    with pytest.raises(AmbiguousClosedFormError, match=r"kl\(A, A\).*kl\(A, Normal\).*kl\(Normal, A\)") as info:
        anadiv.kl(p, q)
    assert "register_closed_form('kl', A, A)" in str(info.value)
    assert ("kl", A, A) not in registry.RESOLVED  # a failed look-up is not cached
    assert anadiv.kl(p, Normal(0.0, 1.0)) == 1.0 and anadiv.kl(Normal(0.0, 1.0), q) == 2.0
    register("kl", A, A)(lambda p, q: 3.0)
    assert anadiv.kl(p, q) == 3.0


# ------------------------------------------------------------ hand-written rules
def test_a_hand_written_rule_is_used_and_listed(register) -> None:
    register("kl", Rayleigh, Rayleigh)(_kl_rayleigh)
    p, q = Rayleigh(1.3), Rayleigh(0.8)
    # the rule against quadrature of E_P[log p - log q]
    truth, _ = integrate.quad(lambda x: math.exp(p.logpdf(x)) * (p.logpdf(x) - q.logpdf(x)), 0, np.inf,
                              epsabs=1e-13, epsrel=1e-12)
    assert anadiv.kl(p, q) == pytest.approx(truth, rel=1e-9)
    rows = [c for c in anadiv.closed_form_pairs("kl") if c.source == "registered"]
    assert [(c.kind, c.p, c.q, c.status, c.function) for c in rows] == [
        ("kl", "Rayleigh", "Rayleigh", "finite", f"{__name__}._kl_rayleigh")
    ]
    assert len(anadiv.closed_form_pairs("kl")) == len(GENERATED["kl"]) + 1
    with pytest.raises(NoClosedFormError, match="entropy_estimate"):
        anadiv.entropy(p)
    with pytest.raises(TypeError, match="^kl_function: KL\\(Rayleigh \\|\\| Rayleigh\\).*anadiv.kl\\(p, q\\)"):
        anadiv.kl_function(Rayleigh, Rayleigh)


def test_a_registered_rule_replaces_a_generated_one_until_removed(register) -> None:
    p, q = Normal(0.0, 1.0), Normal(1.0, 2.0)
    generated = anadiv.kl(p, q)
    register("kl", Normal, Normal, status="conditional")(lambda a, b: 42.0)
    assert anadiv.kl(p, q) == 42.0 and anadiv.kl(MyNormal(0.0, 1.0), q) == 42.0
    listing = anadiv.closed_form_pairs("kl")
    assert len(listing) == len(GENERATED["kl"])  # listed in place of the generated one
    (row,) = [c for c in listing if (c.p, c.q) == ("normal", "normal")]
    assert (row.source, row.status) == ("registered", "conditional")
    with pytest.raises(TypeError, match="^kl_function"):
        anadiv.kl_function(Normal, Normal)
    unregister_closed_form("kl", Normal, Normal)
    assert anadiv.kl(p, q) == generated
    assert anadiv.kl_function(Normal, Normal).__name__ == "kl_normal_normal"


def test_registration_errors_name_the_argument() -> None:
    ok: Callable[..., float] = lambda *a: 0.0  # noqa: E731
    with pytest.raises(ValueError, match="^kind: must be one of bhattacharyya, chi_square, cross_entropy, entropy, "
                                         "hellinger, jeffreys, jensen_shannon, jensen_shannon_distance, kl, renyi, total_variation, "
                                         "wasserstein2, got 'kullback'"):
        register_closed_form("kullback", Normal, Normal)
    with pytest.raises(TypeError, match="^P: expected a distribution class.*instance of Normal"):
        register_closed_form("kl", Normal(0, 1), Normal)
    with pytest.raises(TypeError, match="^Q: float is not a subclass of anadiv.Distribution"):
        register_closed_form("kl", Normal, float)
    with pytest.raises(TypeError, match="^Q: a kl rule is for a pair"):
        register_closed_form("kl", Normal)
    with pytest.raises(TypeError, match="^Q: an entropy rule is for one class"):
        register_closed_form("entropy", Normal, Normal)
    with pytest.raises(ValueError, match="^status"):
        register_closed_form("kl", Normal, Normal, status="maybe")
    with pytest.raises(ValueError, match="^source"):
        register_closed_form("kl", Normal, Normal, source="generated")
    with pytest.raises(TypeError, match="^function: expected a callable"):
        register_closed_form("kl", MyNormal, MyNormal)(3.0)
    with pytest.raises(ValueError, match=r"^P: no rule registered for kl\(MyNormal, Normal\)"):
        unregister_closed_form("kl", MyNormal, Normal)
    with pytest.raises(ValueError, match="^P: no rule registered"):
        unregister_closed_form("kl", Normal, Normal)  # generated rules cannot be removed
    assert ok() == 0.0 and _generated_listing() == GENERATED


# ------------------------------------------------------------ api recognition
def test_api_recognises_distributions_by_class_not_module() -> None:
    # an anadiv object that is no distribution is refused, naming the argument
    with pytest.raises(ValueError, match="^q: expected an anadiv distribution"):
        anadiv.kl(Normal(0.0, 1.0), anadiv.api.ClosedForm("kl", "a", "b", "finite", "f"))
    # a distribution defined outside anadiv reaches the registry
    with pytest.raises(NoClosedFormError, match=r"KL\(Normal \|\| Rayleigh\).*kl_estimate"):
        anadiv.kl(Normal(0.0, 1.0), Rayleigh(1.0))
    assert isinstance(Normal(0.0, 1.0), Distribution) and isinstance(Independent(Normal([0.0], 1.0), 1), Distribution)


# ------------------------------------------------------------------ Independent
def _params(rng: np.random.Generator, shape: tuple[int, ...]) -> tuple[np.ndarray, np.ndarray]:
    return rng.normal(size=shape), rng.uniform(0.5, 2.0, size=shape)


def test_independent_shapes_logpdf_and_sample() -> None:
    rng = np.random.default_rng(1)
    mu, s = _params(rng, (4, 2, 3))
    base = Normal(mu, s)
    d = Independent(base, 2)
    assert (d.batch_shape, d.event_shape, d.event_ndim, d.dim) == ((4,), (2, 3), 2, 6)
    assert Independent(base, 0).event_shape == () and Independent(base, 3).batch_shape == ()
    x = rng.normal(size=(5, 4, 2, 3))
    np.testing.assert_allclose(d.logpdf(x), base.logpdf(x).sum(axis=(-2, -1)), rtol=1e-15)
    assert d.logpdf(x).shape == (5, 4)
    assert d.sample((7,), rng=0).shape == (7, 4, 2, 3) and d.sample(rng=0).shape == (4, 2, 3)
    one = Independent(Normal(mu[0, 0], s[0, 0]), 1)
    assert isinstance(one.logpdf(np.zeros(3)), float)
    with pytest.raises(ValueError, match=r"^x: the last 2 axes must have shape \(2, 3\)"):
        d.logpdf(np.zeros((4, 3, 2)))


def test_independent_kl_is_the_sum_of_the_bases() -> None:
    rng = np.random.default_rng(2)
    (m1, s1), (m2, s2) = _params(rng, (3,)), _params(rng, (3,))
    p, q = Independent(Normal(m1, s1), 1), Independent(Normal(m2, s2), 1)
    value = anadiv.kl(p, q)
    assert isinstance(value, float)
    terms = [anadiv.kl(Normal(m1[i], s1[i]), Normal(m2[i], s2[i])) for i in range(3)]
    assert value == pytest.approx(math.fsum(terms), rel=1e-14)
    assert value == pytest.approx(anadiv.kl(DiagonalNormal(m1, s1), DiagonalNormal(m2, s2)), rel=1e-13)
    assert anadiv.cross_entropy(p, q) == pytest.approx(
        math.fsum(anadiv.cross_entropy(Normal(m1[i], s1[i]), Normal(m2[i], s2[i])) for i in range(3)), rel=1e-14)
    assert anadiv.entropy(p) == pytest.approx(math.fsum(anadiv.entropy(Normal(m1[i], s1[i])) for i in range(3)),
                                              rel=1e-14)
    assert anadiv.kl(p, p) == 0.0


def test_independent_with_different_bases_uses_the_base_pair() -> None:
    rng = np.random.default_rng(3)
    (m1, s1), (m2, s2) = _params(rng, (5, 3)), _params(rng, (3,))
    p, q = Independent(Normal(m1, s1), 1), Independent(Laplace(m2, s2), 1)
    out = anadiv.kl(p, q)
    assert out.shape == (5,)  # the batch axis stays, the event axis is summed
    np.testing.assert_allclose(out, anadiv.kl(Normal(m1, s1), Laplace(m2, s2)).sum(axis=-1), rtol=1e-14)
    inf = anadiv.kl(p, Independent(Exponential(np.ones(3)), 1))  # the base pair's infinity
    assert inf.shape == (5,) and np.all(inf == math.inf)


def test_independent_against_monte_carlo_of_the_summed_log_density() -> None:
    """KL and entropies of a 3-dim Independent against E_P of its own summed log-densities."""
    p = Independent(Normal(np.array([0.0, 1.0, -0.5]), np.array([1.0, 0.6, 1.8])), 1)
    q = Independent(Laplace(np.array([0.3, 0.5, 0.0]), np.array([1.2, 1.0, 1.5])), 1)
    x = p.sample(400_000, rng=np.random.default_rng(4))
    lp, lq = p.logpdf(x), q.logpdf(x)
    for value, samples in [(anadiv.kl(p, q), lp - lq), (anadiv.cross_entropy(p, q), -lq), (anadiv.entropy(p), -lp)]:
        se = samples.std(ddof=1) / math.sqrt(samples.size)
        assert abs(value - samples.mean()) < 5 * se, (value, samples.mean(), se)
    # and each coordinate against quadrature, so the sum is of the right terms
    for i in range(3):
        pi, qi = Normal(p.base.mu[i], p.base.sigma[i]), Laplace(q.base.loc[i], q.base.scale[i])
        truth, _ = integrate.quad(lambda t: math.exp(pi.logpdf(t)) * (pi.logpdf(t) - qi.logpdf(t)), -40, 40,
                                  points=[float(qi.loc)], limit=200)
        assert anadiv.kl(pi, qi) == pytest.approx(truth, rel=1e-9)


def test_independent_errors_name_the_argument() -> None:
    p = Independent(Normal(np.zeros(3), 1.0), 1)
    with pytest.raises(ValueError, match=r"^q: event shape \(4,\) differs from p's event shape \(3,\)"):
        anadiv.kl(p, Independent(Normal(np.zeros(4), 1.0), 1))
    with pytest.raises(ValueError, match="^q: event shape"):
        anadiv.cross_entropy(p, Independent(Normal(np.zeros((3, 1)), 1.0), 2))
    with pytest.raises(ValueError, match="^q: batch shape"):
        anadiv.kl(Independent(Normal(np.zeros((2, 3)), 1.0), 1), Independent(Normal(np.zeros((4, 3)), 1.0), 1))
    with pytest.raises(ValueError, match="^base: expected a univariate family instance.*the class Normal"):
        Independent(Normal, 1)
    with pytest.raises(ValueError, match="^base: must be univariate"):
        Independent(DiagonalNormal(np.zeros(3), 1.0), 1)
    for n in (2, -1, 1.0, True):
        with pytest.raises(ValueError, match=r"^reinterpreted_batch_ndims: must be an integer from 0 to 1"):
            Independent(Normal(np.zeros(3), 1.0), n)
    with pytest.raises(NoClosedFormError, match=r"KL\(Independent \|\| Normal\)"):
        anadiv.kl(p, Normal(0.0, 1.0))
    with pytest.raises(TypeError, match="^entropy_function.*anadiv.entropy\\(p\\)"):
        anadiv.entropy_function(Independent)


def test_independent_rules_are_listed_as_composite() -> None:
    gaussian = {"lowrank_multivariate_normal", "multivariate_normal", "diagonal_normal"}
    for kind in KINDS:
        plain = anadiv.closed_form_pairs(kind)
        full = anadiv.closed_form_pairs(kind, composite=True)
        extra = [c for c in full if c not in plain]
        q = None if kind == "entropy" else "independent"
        own = [(c.p, c.q, c.source) for c in extra if c.function.startswith("anadiv.independent.")]
        assert own == [("independent", q, "composite")]
        # the rest: Independent(Normal, 1) against each vector Gaussian, both ways (anadiv.gaussian_pairs)
        others = {(c.p, c.q) for c in extra if not c.function.startswith("anadiv.independent.")}
        want = set() if kind == "entropy" else {(a, b) for g in gaussian for a, b in (("independent", g), (g, "independent"))}
        assert others == want
        assert all(c.source == "composite" and c.function.startswith("anadiv.gaussian_pairs.") for c in extra if (c.p, c.q) in want)
        assert {c.source for c in plain} == {"generated", "builtin"}
        assert all(c.function.startswith(("anadiv.gaussian_pairs.", "anadiv.wishart_pairs."))
                   for c in plain if c.source == "builtin")


def test_docstring_examples_run() -> None:
    import doctest

    from anadiv import distribution
    from anadiv import independent

    for module in (registry, independent, distribution):
        result = doctest.testmod(module, verbose=False)
        assert result.failed == 0, module.__name__
        assert result.attempted > 0, module.__name__
    assert _generated_listing() == GENERATED  # the examples undo their registrations


def test_a_mass_function_against_a_density_is_one_rule_and_inf() -> None:
    """Every ordered pair of a discrete and a continuous family: inf for KL and cross-entropy, in the
    parameters' broadcast shape, by one registry rule (no generated function per pair), as the engine derives."""
    import sympy as sp

    from anadiv import FAMILIES
    from anadiv.codegen.generate import jobs
    from anadiv.symbolic import derive_kl

    univariate = [f for f in FAMILIES.values() if f.event_ndim == 0]
    pairs = [(a, b) for a in univariate for b in univariate if a.measure != b.measure]
    assert pairs, "no discrete family to pair"
    generated = {(j.kind, j.names) for j in jobs()}
    rng = np.random.default_rng(0)
    for kind in ("kl", "cross_entropy"):
        for P, Q in pairs:
            assert registry.mutually_singular(P, Q)
            assert (kind, (P.name, Q.name)) not in generated
            rule = registry.resolve(kind, P, Q)
            assert (rule.source, rule.status, rule.name) == ("builtin", "infinite", "infinite_by_measure")
            p = P(*[np.full(3, v) for v in P.random_params(rng)])
            q = Q(*Q.random_params(rng))
            out = getattr(anadiv, kind)(p, q)
            assert np.shape(out) == (3,) and np.all(np.isinf(out)) and np.all(out > 0), (P, Q, out)
    P, Q = pairs[0]
    assert derive_kl(P, Q).expr == sp.oo
    assert not registry.mutually_singular(FAMILIES["normal"], FAMILIES["gamma"])


def test_kl_function_of_a_builtin_rule_points_to_kl() -> None:
    """anadiv's own rules take the distributions: kl_function says so, without calling them the user's."""
    with pytest.raises(TypeError, match=r"one of anadiv's rules of distribution objects .*call anadiv\.kl\(p, q\)"):
        anadiv.kl_function(anadiv.DiagonalNormal, anadiv.LowRankMultivariateNormal)
