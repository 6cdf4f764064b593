"""A user's own family: a class with parameters, a sympy log-density and a support, nothing else.

Its closed forms are derived, rendered and cached at first use
(``anadiv/codegen/on_demand.py``), its numeric log-density, support and
sampler derived (``anadiv/families/_derived.py``). Checked here: the symbolic
results, the numbers against 50-digit mpmath quadrature at typical and extreme
parameters, the disk cache across processes (no sympy on a hit, a changed
class re-derived, a tampered file refused), the derived sampler's moments
(tolerances from the standard error, fixed seeds), and that nothing leaks into
the built-in registry tables.

The families are declared inside the fixture, never at import: the generated
test modules parametrize over ``FAMILIES`` when they are collected.
"""

from __future__ import annotations

import math
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import mpmath
import numpy as np
import pytest
import scipy.stats as st
import sympy as sp

import anadiv
from anadiv import FAMILIES, Family, Gamma, HalfNormal, Normal, Param, registry
from anadiv.codegen import on_demand
from anadiv.constraints import positive, real
from anadiv.errors import NoClosedFormError
from anadiv.families import _derived

ROOT = Path(__file__).resolve().parent.parent
DIGITS = 50  # the references' working precision (set locally: other modules' tests share mpmath.mp)


def _declare_maxwell(family_name: str = "maxwell") -> type:
    class Maxwell(Family):
        r"""Maxwell-Boltzmann: the length of a 3-d vector of N(0, scale^2) coordinates."""

        name = family_name
        parameters = (Param("scale", positive, (0.3, 3.0)),)

        @classmethod
        def sym_logpdf(cls, x, scale):
            return sp.log(sp.sqrt(2 / sp.pi)) + 2 * sp.log(x) - x**2 / (2 * scale**2) - 3 * sp.log(scale)

        @classmethod
        def sym_support(cls, scale):
            return sp.Interval(0, sp.oo)

    return Maxwell


def _declare_gennormal() -> type:
    class GenNormal(Family):
        """Generalized normal (exponential power) with shape ``beta``."""

        name = "gennormal"
        parameters = (Param("loc", real, (-2.0, 2.0)), Param("scale", positive, (0.3, 3.0)),
                      Param("beta", positive, (0.8, 4.0)))

        @classmethod
        def sym_logpdf(cls, x, loc, scale, beta):
            return sp.log(beta) - sp.log(2 * scale) - sp.loggamma(1 / beta) - (sp.Abs(x - loc) / scale) ** beta

        @classmethod
        def sym_support(cls, loc, scale, beta):
            return sp.Interval(-sp.oo, sp.oo)

    return GenNormal


def _drop(cls: type) -> None:
    """Remove every trace of ``cls`` from the process: FAMILIES, the registry, the caches in memory."""
    if FAMILIES.get(cls.name) is cls:
        del FAMILIES[cls.name]
    registry.forget(cls)
    on_demand.forget(cls)
    _derived.forget(cls)


@pytest.fixture
def cache(tmp_path, monkeypatch):
    folder = tmp_path / "cache"
    monkeypatch.setenv(on_demand.CACHE_ENV, str(folder))
    return folder


@pytest.fixture
def declare(cache):
    """Declare families for one test (under names no other test uses), dropped afterwards."""
    made: list[type] = []

    def make(declarer, *args):
        cls = declarer(*args)
        made.append(cls)
        return cls

    yield make
    for cls in made:
        _drop(cls)


@pytest.fixture(scope="module")
def shared(tmp_path_factory):
    """Maxwell and GenNormal for the tests that only read them: derived once per module (and worker)."""
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv(on_demand.CACHE_ENV, str(tmp_path_factory.mktemp("shared-cache")))
        made = {"maxwell": _declare_maxwell(), "gennormal": _declare_gennormal()}
        yield made
        for cls in made.values():
            _drop(cls)


# ------------------------------------------------------------- mpmath truth
def _mp_maxwell(x, a):
    a = mpmath.mpf(a)  # a Python float would compute 2*a**2 in double precision
    return mpmath.log(mpmath.sqrt(2 / mpmath.pi)) + 2 * mpmath.log(x) - x**2 / (2 * a**2) - 3 * mpmath.log(a)


def _mp_gamma(x, shape, rate):
    shape, rate = mpmath.mpf(shape), mpmath.mpf(rate)
    return shape * mpmath.log(rate) - mpmath.loggamma(shape) + (shape - 1) * mpmath.log(x) - rate * x


def _mp_halfnormal(x, s):
    s = mpmath.mpf(s)
    return mpmath.log(mpmath.sqrt(2 / mpmath.pi)) - mpmath.log(s) - x**2 / (2 * s**2)


def _mp_expect(logp, f, scale):
    """E_P[f(X)] on (0, oo) with P's log-density ``logp`` at 50 digits, split around the scale."""
    with mpmath.workdps(DIGITS):
        s = mpmath.mpf(scale)
        points = [0, s / 8, s / 2, s, 2 * s, 4 * s, 8 * s, 16 * s, mpmath.inf]
        return +mpmath.quad(lambda x: mpmath.exp(logp(x)) * f(x), points)


def _close(value: float, truth, rtol: float = 1e-12) -> bool:
    with mpmath.workdps(DIGITS):
        return bool(abs(mpmath.mpf(value) - truth) <= rtol * abs(truth) + mpmath.mpf(10) ** -300)


# ---------------------------------------------------------------- hooks
def test_own_family_needs_no_other_hook(shared):
    Maxwell = shared["maxwell"]
    assert Maxwell.is_own_family() and not Normal.is_own_family()
    assert Maxwell.undeclared_hooks() == []
    for hook in Family.DECLARED_HOOKS:
        assert getattr(Maxwell, hook) is None
    with pytest.raises(NotImplementedError, match="quantile"):
        Maxwell(1.0).quantile(0.5)
    with pytest.raises(NotImplementedError, match="scipy"):
        Maxwell(1.0).to_scipy()


def test_a_family_inside_anadiv_still_declares_its_numeric_hooks():
    class Bare(Family):  # no name: never registered
        parameters = (Param("scale", positive),)

    Bare.__module__ = "anadiv.families.bare"
    Bare.sym_logpdf = classmethod(lambda cls, x, s: -x / s - sp.log(s))
    Bare.sym_support = classmethod(lambda cls, s: sp.Interval(0, sp.oo))
    missing = " | ".join(Bare.undeclared_hooks())
    for hook in ("_np_logpdf", "_np_sample", "_np_support", "_np_quantile", "torch_name"):
        assert hook in missing
    with pytest.raises(NotImplementedError, match="_np_logpdf: Bare"):
        Bare._np_logpdf(np.ones(2), 1.0)


def test_derived_logpdf_and_support_match_scipy(shared):
    Maxwell = shared["maxwell"]
    x = np.array([-1.0, 0.0, 1e-3, 0.5, 2.0, 40.0])
    got = Maxwell(1.7).logpdf(x)
    want = st.maxwell(scale=1.7).logpdf(x)
    assert got[0] == -np.inf and got[1] == -np.inf
    np.testing.assert_allclose(got[2:], want[2:], rtol=1e-13)
    lo, hi = Maxwell(np.array([1.0, 2.0])).support()
    assert lo.tolist() == [0.0, 0.0] and hi.tolist() == [np.inf, np.inf]
    assert Maxwell(np.float32(1.0)).logpdf(np.float32(1.0)).dtype == np.float32


# ------------------------------------------------------------- symbolic
def test_engine_derives_maxwell(shared):
    from anadiv.symbolic import derive_cross_entropy, derive_entropy, derive_kl

    Maxwell = shared["maxwell"]
    a, = Maxwell.symbols()
    assert sp.simplify(derive_entropy(Maxwell).expr - (sp.log(a * sp.sqrt(2 * sp.pi)) + sp.EulerGamma - sp.Rational(1, 2))) == 0
    a1, a2 = Maxwell.symbols("1")[0], Maxwell.symbols("2")[0]
    kl = derive_kl(Maxwell, Maxwell).expr
    assert sp.simplify(sp.expand_log(kl - (3 * a1**2 / (2 * a2**2) - sp.Rational(3, 2) + 3 * sp.log(a2 / a1)), force=True)) == 0
    for P, Q in ((Maxwell, Gamma), (HalfNormal, Maxwell)):
        expr = derive_kl(P, Q).expr
        assert not expr.has(sp.Integral) and expr.is_finite is not False
    assert not derive_cross_entropy(Maxwell, Normal).expr.has(sp.Integral)


def test_engine_limits_for_the_generalized_normal(shared):
    from anadiv.symbolic import derive_cross_entropy, derive_kl

    GenNormal = shared["gennormal"]
    # H(GenNormal, Normal) comes from sympy's integration of x and x^2 against the density
    # (test_generalized_normal_numbers checks its value)
    assert not derive_cross_entropy(GenNormal, Normal).expr.has(sp.Integral)
    # |x - loc|^beta with a symbolic beta is no basis term of the engine: no closed form, and the message says so
    with pytest.raises(NoClosedFormError, match=r"Abs\(loc_2 - x\)\*\*beta_2"):
        derive_kl(GenNormal, GenNormal)
    with pytest.raises(NoClosedFormError, match="kl_quad"):
        anadiv.kl(GenNormal(0.0, 1.0, 1.5), GenNormal(0.5, 2.0, 3.0))


# --------------------------------------------------------------- numbers
MAXWELL_POINTS = [(1.0, 2.0), (0.3, 3.0), (1e-8, 2e-8), (1e8, 3e7), (1.0, 1.0 + 1e-9), (5e-150, 5e-150 * (1 + 1e-7))]


@pytest.mark.parametrize("a, b", MAXWELL_POINTS)
def test_kl_maxwell_maxwell_against_mpmath(shared, a, b):
    Maxwell = shared["maxwell"]
    truth = _mp_expect(lambda x: _mp_maxwell(x, a), lambda x: _mp_maxwell(x, a) - _mp_maxwell(x, b), a)
    assert _close(anadiv.kl(Maxwell(a), Maxwell(b)), truth)


@pytest.mark.parametrize("a, shape, rate", [(1.0, 2.0, 1.5), (0.01, 0.5, 30.0), (1e6, 50.0, 1e-5), (3.0, 1e-3, 2.0)])
def test_kl_maxwell_gamma_against_mpmath(shared, a, shape, rate):
    Maxwell = shared["maxwell"]
    truth = _mp_expect(lambda x: _mp_maxwell(x, a), lambda x: _mp_maxwell(x, a) - _mp_gamma(x, shape, rate), a)
    assert _close(anadiv.kl(Maxwell(a), Gamma(shape, rate)), truth)
    ce = _mp_expect(lambda x: _mp_maxwell(x, a), lambda x: -_mp_gamma(x, shape, rate), a)
    assert _close(anadiv.cross_entropy(Maxwell(a), Gamma(shape, rate)), ce)


@pytest.mark.parametrize("s, a", [(1.0, 2.0), (1e-5, 3e-5), (1e7, 1e6), (2.0, 2.0 * (1 + 1e-10))])
def test_kl_halfnormal_maxwell_and_entropy_against_mpmath(shared, s, a):
    Maxwell = shared["maxwell"]
    truth = _mp_expect(lambda x: _mp_halfnormal(x, s), lambda x: _mp_halfnormal(x, s) - _mp_maxwell(x, a), s)
    assert _close(anadiv.kl(HalfNormal(s), Maxwell(a)), truth)
    entropy = _mp_expect(lambda x: _mp_maxwell(x, a), lambda x: -_mp_maxwell(x, a), a)
    assert _close(anadiv.entropy(Maxwell(a)), entropy)


def test_batches_and_the_registry_listing(shared):
    Maxwell = shared["maxwell"]
    a, b = np.array([1.0, 2.0, 3.0]), np.array([[2.0], [0.5]])
    got = anadiv.kl(Maxwell(a), Maxwell(b))
    want = 1.5 * a**2 / b**2 - 1.5 + 3 * np.log(b / a)
    assert got.shape == (2, 3)
    np.testing.assert_allclose(got, want, rtol=1e-13)
    listed = [c for c in anadiv.closed_form_pairs("kl") if c.source == "derived"]
    assert ("maxwell", "maxwell", "kl_maxwell_maxwell") in [(c.p, c.q, c.function) for c in listed]
    assert anadiv.kl_function(Maxwell, Maxwell)(1.0, 2.0) == pytest.approx(float(want[0, 0]), rel=1e-14)


def test_quadrature_and_monte_carlo_agree_with_the_closed_form(shared):
    Maxwell = shared["maxwell"]
    p, q = Maxwell(1.0), Gamma(2.0, 1.5)
    exact = anadiv.kl(p, q)
    quad = anadiv.kl_quad(p, q)
    assert abs(quad.value - exact) <= max(10 * quad.error, 1e-10)
    est = anadiv.kl_estimate(p, q, n=40_000, seed=7)
    assert abs(est.value - exact) <= 5 * est.stderr
    assert abs(anadiv.entropy_quad(p).value - anadiv.entropy(p)) <= 1e-10


def _mp_gennormal(x, loc, scale, beta):
    return mpmath.log(beta / (2 * scale)) - mpmath.loggamma(1 / beta) - (abs(x - loc) / scale) ** beta


def test_generalized_normal_numbers(shared):
    GenNormal = shared["gennormal"]
    P = ("0.5", "1.3", "1.7")
    p, q = GenNormal(*map(float, P)), Normal(-0.2, 2.0)
    pmp = [mpmath.mpf(v) for v in P]
    cut = [-mpmath.inf, -4, pmp[0], 5, mpmath.inf]
    with mpmath.workdps(25):  # nothing cancels here; checked to 1e-9
        truth = mpmath.quad(
            lambda x: mpmath.exp(_mp_gennormal(x, *pmp)) * ((x + mpmath.mpf("0.2")) ** 2 / 8 + mpmath.log(2 * mpmath.sqrt(2 * mpmath.pi))),
            cut,
        )
    # derived through sympy's integration (|x - loc|^beta is no basis term), checked against
    # quadrature at first use, and right (it was not, until the engine stopped counting the
    # density's constant twice on that path)
    assert _close(anadiv.cross_entropy(p, q), truth, 1e-12)
    assert _close(anadiv.cross_entropy_quad(p, q).value, truth, 1e-9)
    # no closed form for KL between two of them: quadrature works through the derived log-density
    # (a Q with a lighter tail than P's fails: log q overflows where p > 0 and the family derives no
    # _np_log_neg_logpdf)
    R = (mpmath.mpf("-0.5"), mpmath.mpf(2), mpmath.mpf("1.2"))
    quad = anadiv.kl_quad(p, GenNormal(-0.5, 2.0, 1.2))
    with mpmath.workdps(25):
        ref = mpmath.quad(
            lambda x: mpmath.exp(_mp_gennormal(x, *pmp)) * (_mp_gennormal(x, *pmp) - _mp_gennormal(x, *R)),
            [-mpmath.inf, -6, -0.5, 0.5, 6, mpmath.inf],
        )
    assert abs(quad.value - float(ref)) <= max(10 * quad.error, 1e-10)


# --------------------------------------------------------------- sampler
def test_derived_sampler_moments(shared):
    Maxwell = shared["maxwell"]
    a, n = 2.5, 200_000
    x = Maxwell(a).sample(n, rng=20261128)
    raw = [a**k * 2 ** (k / 2) * math.gamma((k + 3) / 2) / math.gamma(1.5) for k in range(5)]
    mean, var = raw[1], raw[2] - raw[1] ** 2
    fourth = raw[4] - 4 * raw[3] * mean + 6 * raw[2] * mean**2 - 3 * mean**4
    assert abs(x.mean() - mean) <= 5 * math.sqrt(var / n)
    assert abs(x.var() - var) <= 5 * math.sqrt((fourth - var**2) / n)
    # the whole distribution: Kolmogorov-Smirnov against scipy's Maxwell, fixed seed
    assert st.kstest(x, st.maxwell(scale=a).cdf).pvalue > 1e-3
    assert x.min() >= 0.0


def test_derived_sampler_batches_and_real_line(shared):
    GenNormal = shared["gennormal"]
    loc = np.array([-1e6, 0.0, 3.0])
    draws = GenNormal(loc, np.array([1e-3, 1.0, 0.5]), 1.5).sample(20_000, rng=5)
    assert draws.shape == (20_000, 3)
    for j, (m, s) in enumerate(zip(loc, (1e-3, 1.0, 0.5))):
        assert st.kstest(draws[:, j], st.gennorm(1.5, loc=m, scale=s).cdf).pvalue > 1e-3


def test_an_unnormalised_density_is_refused_by_the_sampler(declare):
    class Unnormalised(Family):
        name = "unnormalised"
        parameters = (Param("scale", positive),)

        @classmethod
        def sym_logpdf(cls, x, scale):
            return -x / scale  # the 1/scale is missing

        @classmethod
        def sym_support(cls, scale):
            return sp.Interval(0, sp.oo)

    declare(lambda: Unnormalised)
    with pytest.raises(ValueError, match="sym_logpdf: the density of Unnormalised.*integrates to"):
        Unnormalised(2.0).sample(10, rng=0)


# ------------------------------------------------------------------ cache
_SCRIPT = """
import sys
import anadiv
from anadiv import Family, Param
from anadiv.constraints import positive

class Maxwell(Family):
    name = "maxwell"
    parameters = (Param("scale", positive),)

    @classmethod
    def sym_logpdf(cls, x, scale):
        import sympy  # here, so that the script itself does not import sympy

        return sympy.log(sympy.sqrt(2 / sympy.pi)) + 2 * sympy.log(x) - x**2 / (2 * scale**2) - 3 * sympy.log(scale)

    @classmethod
    def sym_support(cls, scale):
        import sympy

        return sympy.Interval(0, sympy.oo)

print(repr(anadiv.kl(Maxwell(1.0), Maxwell(2.0))), repr(float(Maxwell(1.0).logpdf(1.5))), "sympy" in sys.modules)
"""


def _run(script: str, cache: Path) -> list[str]:
    env = dict(os.environ, PYTHONPATH=str(ROOT), **{on_demand.CACHE_ENV: str(cache)})
    out = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True, text=True, timeout=300, cwd=ROOT)
    assert out.returncode == 0, out.stderr
    return out.stdout.split()


def test_a_second_process_uses_the_cache_without_sympy(cache):
    first = _run(_SCRIPT, cache)
    assert first[-1] == "True"  # derived: the engine ran
    files = sorted(p.name for p in cache.iterdir())
    assert any(n.startswith("kl_maxwell_maxwell-") for n in files)
    assert any(n.startswith("family_maxwell-") for n in files)
    second = _run(_SCRIPT, cache)
    assert second == first[:-1] + ["False"]  # the same numbers, and sympy never imported
    assert sorted(p.name for p in cache.iterdir()) == files
    # a changed class (another log-density under the same name) misses the cache: printed again, with sympy
    changed = _SCRIPT.replace("- 3 * sympy.log(scale)", "- 3 * sympy.log(scale) + 0 * x")
    changed = changed[: changed.index("print(")] + 'print(repr(float(Maxwell(1.0).logpdf(1.5))), "sympy" in sys.modules)\n'
    third = _run(changed, cache)
    assert third == [first[1], "True"]
    assert len([p for p in cache.iterdir() if p.name.startswith("family_maxwell-")]) == 2


def test_the_builtin_numeric_path_never_derives(cache):
    from anadiv._generated import _index

    names = sorted({n for key in _index.REGISTRY["kl"] for n in key})
    missing = next((p, q) for p in names for q in names if (p, q) not in _index.REGISTRY["kl"])
    script = textwrap.dedent(f"""
        import sys
        import anadiv
        from anadiv import FAMILIES
        from anadiv.families._base import Family
        P, Q = FAMILIES[{missing[0]!r}], FAMILIES[{missing[1]!r}]
        p, q = P(*[x.typical[0] for x in P.parameters]), Q(*[x.typical[0] for x in Q.parameters])
        try:
            anadiv.kl(p, q)
        except anadiv.NoClosedFormError:
            print("none")
        print(anadiv.kl(anadiv.Normal(0.0, 1.0), anadiv.Normal(1.0, 2.0)), "sympy" in sys.modules)
    """)
    assert _run(script, cache)[-1] == "False"
    assert not cache.exists() or not any(cache.iterdir())


def test_a_tampered_or_foreign_file_is_not_imported(declare, cache):
    Maxwell = declare(_declare_maxwell, "maxwell_t")
    value = float(Maxwell(1.3).logpdf(0.7))
    path = next(cache.glob("family_maxwell_t-*.py"))
    path.write_text(path.read_text().replace("return", "return 1.0 +"))
    _drop(Maxwell)
    Maxwell = declare(_declare_maxwell, "maxwell_t")
    assert float(Maxwell(1.3).logpdf(0.7)) == value  # the checksum failed: printed again
    assert "1.0 +" not in path.read_text()  # and rewritten
    if os.name == "posix":
        path.chmod(0o666)
        _drop(Maxwell)
        Maxwell = declare(_declare_maxwell, "maxwell_t")
        with pytest.warns(RuntimeWarning, match="not importing"):
            assert float(Maxwell(1.3).logpdf(0.7)) == value


def test_a_redeclared_class_replaces_the_old_one_and_is_rederived(declare):
    from anadiv.symbolic import derive_entropy

    first = declare(_declare_maxwell, "maxwell_r")
    x = np.array([0.5, 2.0])
    np.testing.assert_allclose(first(4.0).logpdf(x), st.maxwell(scale=4.0).logpdf(x), rtol=1e-13)
    a, = first.symbols()
    assert sp.simplify(derive_entropy(first).expr - (sp.log(a * sp.sqrt(2 * sp.pi)) + sp.EulerGamma - sp.Rational(1, 2))) == 0

    def other():
        # the same name and place, another density (scale read as a variance): a new cache key
        class Maxwell(Family):
            __qualname__ = first.__qualname__
            name = "maxwell_r"
            parameters = (Param("scale", positive),)

            @classmethod
            def sym_logpdf(cls, x, scale):
                return sp.log(sp.sqrt(2 / sp.pi)) + 2 * sp.log(x) - x**2 / (2 * scale) - sp.Rational(3, 2) * sp.log(scale)

            @classmethod
            def sym_support(cls, scale):
                return sp.Interval(0, sp.oo)

        return Maxwell

    second = declare(other)
    assert FAMILIES["maxwell_r"] is second and on_demand.fingerprint(second) != on_demand.fingerprint(first)
    np.testing.assert_allclose(second(4.0).logpdf(x), st.maxwell(scale=2.0).logpdf(x), rtol=1e-13)
    # the engine's by-name caches (the Mellin transform behind E[log X]) were the old class's: forgotten
    v, = second.symbols()
    h = derive_entropy(second).expr
    assert sp.simplify(sp.expand_log(h - (sp.log(sp.sqrt(v) * sp.sqrt(2 * sp.pi)) + sp.EulerGamma - sp.Rational(1, 2)), force=True)) == 0


def test_nothing_leaks_into_the_builtin_tables(cache):
    before = (dict(FAMILIES), {k: dict(v) for k, v in registry._DERIVED.items()})
    Maxwell = _declare_maxwell("maxwell_leak")
    try:
        anadiv.kl(Maxwell(1.0), Normal(0.0, 1.0))
        assert any(k[1] is Maxwell for k in registry.RESOLVED)
    finally:
        _drop(Maxwell)
    assert dict(FAMILIES) == before[0]
    assert {k: dict(v) for k, v in registry._DERIVED.items() if v} == {k: v for k, v in before[1].items() if v}
    assert not any(Maxwell in k for k in registry.RESOLVED)
    assert "maxwell_leak" not in [c.p for c in anadiv.closed_form_pairs("kl")]


def test_docstring_examples_run() -> None:
    import doctest

    for module in (on_demand, _derived):
        result = doctest.testmod(module, verbose=False)
        assert result.failed == 0, module.__name__
        assert result.attempted > 0, module.__name__


def test_a_wrong_derivation_is_refused_at_first_use(declare, monkeypatch):
    """The quadrature check before caching catches an engine error (injected here: the rendered
    expression 1% too large); the pair is then reported as having no closed form, once."""
    import dataclasses

    from anadiv.codegen import render

    Maxwell = declare(_declare_maxwell, "maxwell_refused")
    true_render = render.render_function

    def off_by_one_percent(derivation):
        return true_render(dataclasses.replace(derivation, expr=derivation.expr * sp.Rational(101, 100)))

    monkeypatch.setattr(render, "render_function", off_by_one_percent)
    p, q = Maxwell(1.0), Gamma(2.0, 1.5)
    with pytest.warns(RuntimeWarning, match="failed its check"), pytest.raises(NoClosedFormError, match="cross_entropy_quad"):
        anadiv.cross_entropy(p, q)
    with pytest.raises(NoClosedFormError):  # remembered: no second derivation, no second warning
        anadiv.cross_entropy(p, q)
    # quadrature still answers, with the true value
    truth = _mp_expect(lambda x: _mp_maxwell(x, 1.0), lambda x: -_mp_gamma(x, 2.0, 1.5), 1.0)
    assert _close(anadiv.cross_entropy_quad(p, q).value, truth, 1e-9)
