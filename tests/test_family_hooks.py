"""The hooks a family declares on its class, checked for every family in ``FAMILIES``.

A family is one file: what the engine, the estimators, quadrature, interop
and the generated tests need is declared on its class (see ``Family`` in
``anadiv/families/_base.py``). Here: every family declares every hook (or says
there is none), and each hook is checked against an independent truth:
scipy's cdf, moments and ``ppf``, torch's ``log_prob``, the family's own
log-density, and ``anadiv.kl``.
"""

from __future__ import annotations

import pkgutil
import subprocess
import sys
import textwrap
import zlib

import numpy as np
import pytest
import scipy.stats as st
import sympy as sp

import anadiv
import anadiv.families as families
from _measure import is_counting

from anadiv import FAMILIES, Family, Normal, Param, from_scipy, kl, kl_estimate
from anadiv.constraints import real
from anadiv.mixture import _is_gaussian, gaussian_params

ALL = sorted(FAMILIES)
UNIVARIATE = sorted(n for n, c in FAMILIES.items() if c.event_ndim == 0 and all(p.constraint.event_ndim == 0 for p in c.parameters))
WITH_SCIPY = sorted(n for n, c in FAMILIES.items() if c._scipy_frozen is not None)
#: quantiles checked against scipy's cdf and ppf here; the others against their cdf in closed form
#: (tests/test_families_new_continuous2.py)
WITH_QUANTILE = sorted(n for n in UNIVARIATE if FAMILIES[n]._np_quantile is not None and n in WITH_SCIPY)
WITH_TORCH = sorted(n for n, c in FAMILIES.items() if c.torch_name is not None)
#: scalar natural parameters; the vector ones (Dirichlet, Categorical) through the Bregman route: tests/test_simplex_families.py
EXPONENTIAL = sorted(n for n, c in FAMILIES.items() if c.exponential_family and all(p.constraint.event_ndim == 0 for p in c.parameters))


def _points(name: str, n: int = 5) -> list[tuple]:
    rng = np.random.default_rng(zlib.crc32(f"{name}/hooks".encode()))
    return [FAMILIES[name].random_params(rng) for _ in range(n)]


# ------------------------------------------------------------- declarations
@pytest.mark.parametrize("name", ALL)
def test_family_declares_every_hook(name):
    missing = FAMILIES[name].undeclared_hooks()
    assert not missing, f"family {name!r} lacks: " + "; ".join(missing)


def test_undeclared_hooks_names_what_is_missing():
    # No name: not registered, so the registry the other tests iterate over is untouched.
    class Partial(Family):
        parameters = (Param("loc", real, (-1.0, 1.0)),)

        @staticmethod
        def _np_logpdf(x, loc):
            return -(x - loc) ** 2

        _np_quantile = None  # an explicit "none" counts as declared

    missing = " | ".join(Partial.undeclared_hooks())
    for hook in ("_np_sample", "_np_support", "sym_logpdf", "sym_support", "_np_mean_var", "_scipy_frozen",
                 "torch_name", "name"):
        assert hook in missing
    assert "_np_quantile" not in missing and "_np_logpdf" not in missing
    assert "Partial" not in FAMILIES and "" not in FAMILIES


def test_every_family_module_is_registered_and_exported():
    modules = [m.name for m in pkgutil.iter_modules(families.__path__) if not m.name.startswith("_")]
    by_module = {cls.__module__.rsplit(".", 1)[1]: cls for cls in FAMILIES.values()}
    assert sorted(modules) == sorted(by_module)
    for cls in FAMILIES.values():
        assert getattr(families, cls.__name__) is cls
        assert getattr(anadiv, cls.__name__) is cls
        assert cls.__name__ in families.__all__


# ------------------------------------------------------------------ quantile
@pytest.mark.parametrize("name", WITH_QUANTILE)
def test_quantile_inverts_the_scipy_cdf(name):
    cls = FAMILIES[name]
    u = np.array([1e-6, 0.01, 0.2, 0.5, 0.7, 0.99, 1 - 1e-6])
    for params in _points(name):
        x = cls(*params).quantile(u)
        ref = cls._scipy_frozen(*params)
        if is_counting(cls):
            # the smallest count whose cdf reaches u
            assert np.all(ref.cdf(x) >= u) and np.all(ref.cdf(x - 1) < u), params
            np.testing.assert_array_equal(x, ref.ppf(u), err_msg=str(params))
            continue
        np.testing.assert_allclose(ref.cdf(x), u, rtol=1e-9, atol=1e-14, err_msg=str(params))
        np.testing.assert_allclose(x, ref.ppf(u), rtol=1e-9, atol=1e-12, err_msg=str(params))


@pytest.mark.parametrize("name", WITH_QUANTILE)
def test_quantile_broadcasts_over_a_batch(name):
    cls = FAMILIES[name]
    pts = _points(name, 3)
    batch = cls(*(np.array(col) for col in zip(*pts)))
    u = np.array([[0.1], [0.6]])
    got = batch.quantile(u)
    assert got.shape == (2, 3)
    for j, params in enumerate(pts):
        np.testing.assert_allclose(got[:, j], cls(*params).quantile(u[:, 0]), rtol=1e-14)


def test_quantile_refuses_probabilities_outside_the_unit_interval():
    with pytest.raises(ValueError, match="^u"):
        Normal(0.0, 1.0).quantile([0.5, 1.5])


# ------------------------------------------------------------------- moments
@pytest.mark.parametrize("name", WITH_SCIPY)
def test_mean_and_variance_equal_scipy(name):
    cls = FAMILIES[name]
    for params in _points(name):
        ref = cls._scipy_frozen(*params)
        if cls._np_mean_var is None:
            assert not np.isfinite(ref.mean())
            with pytest.raises(NotImplementedError, match="no mean"):
                cls(*params).mean_variance()
            continue
        mean, var = cls(*params).mean_variance()
        if cls.event_ndim == 0:
            np.testing.assert_allclose([mean, var], [ref.mean(), ref.var()], rtol=1e-12, err_msg=str(params))
        elif cls.event_ndim == 2:
            # scipy's matrix variates: the mean matrix and the entrywise variances, as methods
            np.testing.assert_allclose(mean, ref.mean(), rtol=1e-14)
            np.testing.assert_allclose(var, ref.var(), rtol=1e-14)
        else:
            np.testing.assert_allclose(mean, ref.mean, rtol=1e-14)
            np.testing.assert_allclose(var, ref.cov, rtol=1e-14)


def test_studentt_moments_are_infinite_where_scipy_says_so():
    mean, var = FAMILIES["studentt"](np.array([0.8, 1.5, 2.0, 5.0]), 1.0, 2.0).mean_variance()
    assert np.isnan(mean[0]) and np.all(mean[1:] == 1.0)
    assert np.all(np.isinf(var[:3])) and var[3] == pytest.approx(4.0 * 5 / 3)
    # scipy agrees that these do not exist (it reports the undefined mean as inf)
    assert not np.isfinite(st.t(0.8, 1.0, 2.0).mean()) and np.isinf(st.t(2.0, 1.0, 2.0).var())


# -------------------------------------------------------- scipy and torch
@pytest.mark.parametrize("name", sorted(n for n, c in FAMILIES.items() if c.scipy_name))
def test_from_scipy_inverts_the_scipy_counterpart(name):
    cls = FAMILIES[name]
    for params in _points(name, 3):
        back = from_scipy(cls(*params).to_scipy())
        assert type(back) is cls
        for got, want in zip(back.param_values, params):
            np.testing.assert_allclose(got, want, rtol=1e-14)


def test_to_scipy_of_a_batch_is_a_batched_scipy_distribution():
    g = anadiv.Gamma(np.array([1.0, 2.0]), np.array([2.0, 4.0]))
    np.testing.assert_allclose(g.to_scipy().mean(), [0.5, 0.5])


#: torch counterparts whose log-density is an approximation, with its size; compared with the
#: documented error (and anadiv's with mpmath) in tests/test_families_new_continuous2.py
TORCH_APPROXIMATE = {
    "vonmises": "torch's log I0 is a polynomial fit, off by ~2e-8 in the log-density",
}


@pytest.mark.parametrize("name", [n for n in WITH_TORCH if n not in TORCH_APPROXIMATE])
def test_torch_counterpart_has_the_same_log_density(name):
    torch = pytest.importorskip("torch")
    cls = FAMILIES[name]
    for params in _points(name, 3):
        dist = cls(*params)
        x = np.asarray(dist.sample(7, rng=3), dtype=np.float64)
        got = dist.to_torch().log_prob(torch.as_tensor(x)).numpy()
        np.testing.assert_allclose(got, dist.logpdf(x), rtol=1e-10, atol=1e-12, err_msg=str(params))


# ------------------------------------------------------------------- Gaussian
def test_is_gaussian_is_declared_by_the_gaussian_families_only():
    assert {n for n, c in FAMILIES.items() if c.is_gaussian} == {
        "normal", "multivariate_normal", "diagonal_normal", "lowrank_multivariate_normal"
    }
    for name in ALL:
        dist = FAMILIES[name](*FAMILIES[name].random_params(np.random.default_rng(0)))
        assert _is_gaussian(dist) is FAMILIES[name].is_gaussian


@pytest.mark.parametrize("name", ["normal", "multivariate_normal", "diagonal_normal", "lowrank_multivariate_normal"])
def test_gaussian_params_come_from_the_hook_and_equal_scipy(name):
    cls = FAMILIES[name]
    params = _points(name, 1)[0]
    ref = cls._scipy_frozen(*params)
    mean, cov = gaussian_params(cls(*params))
    np.testing.assert_allclose(mean, np.atleast_1d(ref.mean() if cls.event_ndim == 0 else ref.mean), rtol=1e-14)
    want = np.atleast_2d(ref.var() if cls.event_ndim == 0 else ref.cov)
    np.testing.assert_allclose(cov, want, rtol=1e-14)


# ------------------------------------------------- estimators ask the family
class _NoHooks(Normal):
    """A Normal whose class declares neither a quantile nor moments (not registered: no name)."""

    name = ""
    _np_quantile = None
    _np_mean_var = None
    is_gaussian = False


def test_qmc_says_when_the_family_declares_no_quantile():
    with pytest.raises(ValueError, match=r"^method: 'qmc' needs an inverse CDF; _NoHooks declares no quantile"):
        kl_estimate(_NoHooks(0.0, 1.0), Normal(0.5, 1.0), n=256, method="qmc", seed=0)


def test_control_says_when_the_family_declares_no_moments():
    with pytest.raises(ValueError, match=r"^method: 'control'.*declares no mean.*method='mc'"):
        kl_estimate(_NoHooks(0.0, 1.0), Normal(0.5, 1.0), n=4096, method="control", seed=0)


def test_estimators_use_the_declared_quantile_and_moments():
    # Gumbel is not Gaussian: qmc goes through its _np_quantile, control through its _np_mean_var.
    p, q = anadiv.Gumbel(0.3, 1.2), anadiv.Normal(0.5, 2.0)
    exact = float(kl(p, q))
    for method in ("qmc", "control"):
        est = kl_estimate(p, q, n=1 << 14, method=method, seed=1)
        assert abs(est.value - exact) < 5 * est.stderr + 1e-12, (method, est, exact)


# -------------------------------------------------------- exponential families
def _eta_and_form(cls, params, x):
    eta = cls.sym_natural_params(*params)
    stats = cls.sym_sufficient_statistics(x)
    assert len(eta) == len(stats)
    return sum(e * t for e, t in zip(eta, stats)) - cls.sym_log_normalizer(*eta) + cls.sym_log_base_measure(x)


@pytest.mark.parametrize("name", EXPONENTIAL)
def test_exponential_family_form_is_the_log_density(name):
    cls = FAMILIES[name]
    x = sp.Symbol("x", positive=True)
    params = cls.symbols("1")
    diff = sp.expand_log(_eta_and_form(cls, params, x) - cls.sym_logpdf(x, *params), force=True)
    assert sp.simplify(diff) == 0
    for p in _points(name, 3):
        dist = cls(*p)
        for xv in dist.sample(4, rng=5):
            form = _eta_and_form(cls, tuple(sp.Float(v, 30) for v in p), sp.Float(float(xv), 30))
            assert float(form) == pytest.approx(float(dist.logpdf(xv)), rel=1e-12, abs=1e-12)


def test_the_exponential_families_are_the_expected_ones():
    assert set(EXPONENTIAL) >= {"normal", "exponential", "gamma", "beta", "lognormal"}


@pytest.mark.parametrize("name", EXPONENTIAL)
def test_kl_is_the_bregman_divergence_of_the_log_normalizer(name):
    """KL(P1 || P2) = A(eta2) - A(eta1) - (eta2 - eta1) . grad A(eta1), from the hooks alone."""
    cls = FAMILIES[name]
    k = len(cls.sym_natural_params(*cls.symbols("1")))
    eta = sp.symbols(f"e0:{k}", real=True)
    a = cls.sym_log_normalizer(*eta)
    grad = [sp.diff(a, e) for e in eta]
    pts = _points(name, 6)
    for p1, p2 in zip(pts[:3], pts[3:]):
        e1 = [sp.Float(v, 30) for v in cls.sym_natural_params(*(sp.Float(v, 30) for v in p1))]
        e2 = [sp.Float(v, 30) for v in cls.sym_natural_params(*(sp.Float(v, 30) for v in p2))]
        at1, at2 = dict(zip(eta, e1)), dict(zip(eta, e2))
        bregman = a.subs(at2) - a.subs(at1) - sum((b - c) * g.subs(at1) for b, c, g in zip(e2, e1, grad))
        assert float(sp.N(bregman, 20)) == pytest.approx(float(kl(cls(*p1), cls(*p2))), rel=1e-10, abs=1e-13)


# ----------------------------------------------------- a new family is one file
_RAYLEIGH = '''
"""A copy of the Rayleigh distribution (a test family: one file, nothing else edited)."""

from typing import Any

import numpy as np

from anadiv.constraints import positive

from ._base import Family, Param
from ._scipy import require_zero_loc


class OneFileRayleigh(Family):
    name = "rayleigh_test"
    scipy_name = "rayleigh"
    torch_name = None  # torch.distributions has no Rayleigh
    parameters = (Param("sigma", positive, (0.5, 2.0), "scale"),)

    @staticmethod
    def _np_logpdf(x, sigma):
        with np.errstate(divide="ignore", invalid="ignore"):
            out = np.log(x) - 2 * np.log(sigma) - x * x / (2 * sigma * sigma)
        return np.where(x >= 0, out, -np.inf)

    @staticmethod
    def _np_sample(rng, size, sigma):
        return sigma * np.sqrt(2 * rng.standard_exponential(size))

    @staticmethod
    def _np_support(sigma):
        return np.zeros(np.shape(sigma)), np.full(np.shape(sigma), np.inf)

    @staticmethod
    def _np_quantile(u, sigma):
        return sigma * np.sqrt(-2 * np.log1p(-u))

    @staticmethod
    def _np_mean_var(sigma):
        return sigma * np.sqrt(np.pi / 2), sigma * sigma * (2 - np.pi / 2)

    @staticmethod
    def _scipy_frozen(sigma):
        import scipy.stats

        return scipy.stats.rayleigh(scale=sigma)

    @classmethod
    def _from_scipy_params(cls, shapes, loc, scale):
        require_zero_loc(loc, "rayleigh")
        return (scale,)

    @classmethod
    def sym_logpdf(cls, x, sigma):
        import sympy

        return sympy.log(x) - 2 * sympy.log(sigma) - x**2 / (2 * sigma**2)

    @classmethod
    def sym_support(cls, sigma):
        import sympy

        return sympy.Interval(0, sympy.oo)
'''

_ONE_FILE_CHECK = '''
import sys

import numpy as np
import scipy.stats as st
import sympy as sp

import anadiv
import anadiv.families as families

families.__path__.append(sys.argv[1])
families._import_family_modules()
from anadiv import FAMILIES, from_scipy, kl_estimate
from anadiv.symbolic.expectations import expectation, routes
from anadiv.symbolic.terms import Term

cls = FAMILIES["rayleigh_test"]
assert families.OneFileRayleigh is cls and "OneFileRayleigh" in families.__all__
# registered after the built-in Rayleigh, the file's family now answers for scipy.stats.rayleigh
assert cls.undeclared_hooks() == [], cls.undeclared_hooks()
assert type(from_scipy(st.rayleigh(scale=2.0))) is cls
# the engine's generic route: no representation, no routes declared
assert set(routes(cls)) >= {"pow", "logpow", "exp", "abs"}
(s,) = cls.symbols("P")
m2 = expectation(cls, (s,), Term("pow", (sp.Integer(2),)))
assert sp.simplify(m2.value - 2 * s**2) == 0, m2.value
m1 = expectation(cls, (s,), Term("pow", (sp.Integer(1),)))
assert sp.simplify(m1.value - s * sp.sqrt(sp.pi / 2)) == 0, m1.value
# the estimators ask the class: qmc uses its quantile, control its moments
p, q = cls(1.3), anadiv.Normal(0.5, 2.0)
for method in ("qmc", "control"):
    est = kl_estimate(p, q, n=1 << 13, method=method, seed=2)
    ref = kl_estimate(p, q, n=1 << 16, method="mc", seed=3)
    assert abs(est.value - ref.value) < 5 * (est.stderr + ref.stderr), (method, est, ref)
print("ok")
'''


def test_a_new_family_is_one_file(tmp_path):
    """A family file dropped into the package is registered, exported, derived generically and estimated."""
    (tmp_path / "rayleigh_test.py").write_text(textwrap.dedent(_RAYLEIGH))
    out = subprocess.run(
        [sys.executable, "-c", _ONE_FILE_CHECK, str(tmp_path)], capture_output=True, text=True, timeout=600
    )
    assert out.returncode == 0, out.stderr[-3000:]
    assert out.stdout.strip() == "ok"


def test_base_docstring_examples_run():
    import doctest

    import anadiv.families._base as base

    result = doctest.testmod(base, optionflags=doctest.ELLIPSIS, verbose=False)
    assert result.attempted >= 5 and result.failed == 0


def test_an_unknown_route_name_is_refused_naming_the_attribute():
    from anadiv.symbolic.expectations import ROUTE_FUNCTIONS, routes

    class Misrouted(Normal):
        name = ""  # not registered
        expectation_routes = {"pow": "no_such_route"}

    with pytest.raises(ValueError, match="^expectation_routes: Misrouted names the unknown route 'no_such_route'"):
        routes(Misrouted)
    assert routes(Normal) == {k: ROUTE_FUNCTIONS[v] for k, v in Normal.expectation_routes.items()}
