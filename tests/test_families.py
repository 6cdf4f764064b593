"""Per-family checks, generated over ``FAMILIES`` so a new family cannot go untested.

Truth comes from ``scipy.stats`` (log-densities, cdfs for the KS test) through
each family's declared scipy counterpart (``_scipy_frozen``; scipy's own code,
so the comparison with the family's numpy code checks both), and from
``scipy.integrate`` (normalization).
"""

from __future__ import annotations

import zlib
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import scipy.integrate as integrate
import scipy.stats as st

from _measure import is_counting, sampler_pvalue, scipy_log_density, total_mass

from anadiv import FAMILIES, DiagonalNormal, MultivariateNormal
from anadiv.constraints import independent, positive, real, unit_interval

N_POINTS = 6

# name -> parameters -> frozen scipy distribution, from each family's
# ``_scipy_frozen`` hook. It is not taken on trust: the logpdf, cdf and moment
# tests below compare it with the family's own numpy code, and
# test_family_hooks.py checks that from_scipy inverts it.
SCIPY = {name: cls._scipy_frozen for name, cls in FAMILIES.items() if cls._scipy_frozen is not None}

UNIVARIATE = sorted(n for n, c in FAMILIES.items() if c.event_ndim == 0 and all(p.constraint.event_ndim == 0 for p in c.parameters))
VECTOR = sorted(n for n, c in FAMILIES.items() if c.event_ndim == 1 and c.is_gaussian)
MATRIX = sorted(n for n, c in FAMILIES.items() if c.event_ndim == 2)
#: vector parameters on the simplex: tests/test_simplex_families.py
SIMPLEX = sorted(n for n, c in FAMILIES.items() if n not in UNIVARIATE and n not in VECTOR and n not in MATRIX)
ALL = sorted(FAMILIES)
#: Families scipy has a counterpart of; the others are compared with torch (test_family_hooks)
#: and with their cdf in closed form (tests/test_families_new_continuous2.py).
WITH_SCIPY = sorted(SCIPY)
UNIVARIATE_SCIPY = sorted(n for n in UNIVARIATE if n in SCIPY)


def _draws(name: str, params: tuple, size: int, rng: Any) -> np.ndarray:
    """Points to evaluate at: scipy's sampler where scipy has the family, the family's own otherwise."""
    if name in SCIPY:
        return np.asarray(SCIPY[name](*params).rvs(size=size, random_state=rng))
    return np.asarray(FAMILIES[name](*params).sample(size, rng=rng))


def _rng(name: str, salt: str = "") -> np.random.Generator:
    return np.random.default_rng(zlib.crc32(f"{name}/{salt}".encode()))


def _points(name: str, n: int = N_POINTS) -> list[tuple]:
    rng = _rng(name, "points")
    return [FAMILIES[name].random_params(rng) for _ in range(n)]


def _edges(dist) -> list[float]:
    """Support ends plus interior breakpoints, sorted, for splitting quadrature."""
    lo, hi = (float(v) for v in dist.support())
    inner = sorted({float(b) for b in dist.breakpoints() if lo < float(b) < hi})
    return [lo, *inner, hi]


#: Families neither scipy nor torch has, each checked against mpmath formulas in its own test file instead.
NO_PEER = {"logitnormal": "tests/test_families_tfp2.py"}


def test_every_family_has_cases():
    for name in set(FAMILIES) - set(SCIPY) - set(NO_PEER):
        # scipy has none: the family is compared with torch's instead
        assert FAMILIES[name].torch_name, f"add a scipy or torch equivalent for {name}"
    for name, path in NO_PEER.items():
        assert name not in SCIPY and not FAMILIES[name].torch_name, f"{name} has a peer now: drop it from NO_PEER"
        assert FAMILIES[name].__name__ in (Path(__file__).resolve().parents[1] / path).read_text(), path
    assert set(UNIVARIATE) | set(VECTOR) | set(MATRIX) == set(FAMILIES) - set(SIMPLEX)
    assert set(SIMPLEX) == {"dirichlet", "categorical", "multinomial"}
    for name in FAMILIES:
        assert len(_points(name)) >= 5
    assert len(FAMILIES) >= 13


# ------------------------------------------------------------------ numeric
@pytest.mark.parametrize("name", WITH_SCIPY)
def test_logpdf_matches_scipy(name):
    cls = FAMILIES[name]
    rng = _rng(name, "x")
    for params in _points(name):
        dist, ref = cls(*params), SCIPY[name](*params)
        x = np.asarray(ref.rvs(size=25, random_state=rng))
        if cls.event_ndim == 0:
            x = np.concatenate([x, [-2.5, -0.3, 0.0, 0.4, 1.0, 1.7, 4.0]])
        got, want = dist.logpdf(x), scipy_log_density(ref, x, cls.event_ndim)
        assert got.shape == np.shape(want)
        assert np.array_equal(np.isneginf(got), np.isneginf(want)), params
        finite = np.isfinite(want)
        np.testing.assert_allclose(got[finite], want[finite], rtol=1e-11, atol=1e-12, err_msg=str(params))


@pytest.mark.parametrize("name", UNIVARIATE)
def test_density_integrates_to_one(name):
    cls = FAMILIES[name]
    for params in _points(name):
        dist = cls(*params)
        if is_counting(cls):
            assert total_mass(dist) == pytest.approx(1.0, rel=1e-13), params
            continue
        edges = _edges(dist)
        total = 0.0
        for a, b in zip(edges[:-1], edges[1:]):
            val, err = integrate.quad(lambda t: float(dist.pdf(t)), a, b, limit=200, epsabs=1e-13, epsrel=1e-11)
            total += val
        assert total == pytest.approx(1.0, rel=1e-8), params


@pytest.mark.parametrize("name", VECTOR)
def test_vector_density_integrates_to_one_2d(name):
    cls = FAMILIES[name]
    dist = cls(*cls.random_params(_rng(name, "dblquad"), dim=2))
    mvn = dist.to_multivariate() if name == "diagonal_normal" else dist
    mean, sd = mvn.mean, np.sqrt(np.diag(mvn.cov))
    lo, hi = mean - 12 * sd, mean + 12 * sd
    # dblquad integrates func(y, x) with x outer.
    val, _ = integrate.dblquad(
        lambda y, x: float(dist.pdf(np.array([x, y]))), lo[0], hi[0], lo[1], hi[1], epsabs=1e-11, epsrel=1e-10
    )
    assert val == pytest.approx(1.0, rel=1e-8)


@pytest.mark.parametrize("name", UNIVARIATE_SCIPY)
def test_sampler_matches_distribution(name):
    cls = FAMILIES[name]
    for i, params in enumerate(_points(name)):
        dist, ref = cls(*params), SCIPY[name](*params)
        draws = dist.sample(3000, rng=1000 + i)
        assert draws.shape == (3000,)
        pvalue = sampler_pvalue(draws, ref, is_counting(cls))
        assert pvalue > 1e-3, (params, pvalue)


@pytest.mark.parametrize("name", VECTOR)
def test_vector_sampler_moments(name):
    cls = FAMILIES[name]
    n = 40_000
    for i, params in enumerate(_points(name)):
        dist = cls(*params)
        cov = np.asarray(SCIPY[name](*params).cov)
        mean = np.asarray(params[0])
        draws = dist.sample(n, rng=2000 + i)
        assert draws.shape == (n, len(mean))
        se_mean = np.sqrt(np.diag(cov) / n)
        assert np.all(np.abs(draws.mean(axis=0) - mean) < 5 * se_mean), params
        # Standard error of a sample covariance entry of a Gaussian.
        se_cov = np.sqrt((np.outer(np.diag(cov), np.diag(cov)) + cov**2) / n)
        assert np.all(np.abs(np.cov(draws, rowvar=False) - cov) < 5 * se_cov), params


# ----------------------------------------------------------------- symbolic
@pytest.mark.parametrize("name", UNIVARIATE)
def test_sym_logpdf_matches_numpy(name):
    import sympy

    cls = FAMILIES[name]
    syms = cls.symbols("1")
    x = sympy.Symbol("x", real=True)
    fn = sympy.lambdify((x, *syms), cls.sym_logpdf(x, *syms), modules=["scipy", "numpy"])
    rng = _rng(name, "sym")
    for params in _points(name):
        dist = cls(*params)
        xs = _draws(name, params, 10, rng)
        lo, hi = dist.support()
        xs = xs[(xs > lo) & (xs < hi)]
        got = np.array([float(np.real(fn(v, *params))) for v in xs])
        np.testing.assert_allclose(got, dist.logpdf(xs), rtol=1e-10, atol=1e-12, err_msg=str(params))


def test_mvn_sym_logpdf_matches_numpy():
    import sympy

    x = sympy.MatrixSymbol("x", 2, 1)
    mean_s, cov_s = MultivariateNormal.symbols("1", dim=2)
    expr = MultivariateNormal.sym_logpdf(x, mean_s, cov_s)
    general = MultivariateNormal.sym_logpdf(
        sympy.MatrixSymbol("x", sympy.Symbol("d", integer=True, positive=True), 1), *MultivariateNormal.symbols("1")
    )
    assert general.free_symbols >= {sympy.Symbol("d", integer=True, positive=True)}
    em, ec = MultivariateNormal.explicit_symbols("1", dim=2)
    assert ec == ec.T and len(ec.free_symbols) == 3
    rng = _rng("multivariate_normal", "sym")
    for params in _points("multivariate_normal"):
        dist = MultivariateNormal(*params)
        pt = dist.sample(1, rng=rng)[0]
        want = float(dist.logpdf(pt))
        subs = {x: sympy.Matrix(pt), mean_s: sympy.Matrix(params[0]), cov_s: sympy.Matrix(params[1])}
        got_matrix_symbols = float(expr.subs(subs).doit())
        got_explicit = float(
            MultivariateNormal.sym_logpdf(sympy.Matrix(pt), sympy.Matrix(params[0]), sympy.Matrix(params[1]))
        )
        entries = {em[i]: params[0][i] for i in range(2)}
        entries.update({ec[i, j]: params[1][i, j] for i in range(2) for j in range(2)})
        got_symbols = float(MultivariateNormal.sym_logpdf(sympy.Matrix(pt), em, ec).subs(entries))
        for got in (got_matrix_symbols, got_explicit, got_symbols):
            assert got == pytest.approx(want, rel=1e-10)


def test_diagonal_normal_sym_logpdf_matches_numpy():
    import sympy

    x = sympy.Symbol("x", real=True)
    coord = sympy.lambdify((x, *DiagonalNormal.symbols("1")), DiagonalNormal.sym_logpdf(x, *DiagonalNormal.symbols("1")))
    mean_s, scale_s = DiagonalNormal.symbols("1", dim=2)
    xs = sympy.Matrix(sympy.symbols("x0 x1", real=True))
    full = sympy.lambdify((list(xs), list(mean_s), list(scale_s)), DiagonalNormal.sym_logpdf(xs, mean_s, scale_s))
    rng = _rng("diagonal_normal", "sym")
    for mean, scale in _points("diagonal_normal"):
        dist = DiagonalNormal(mean, scale)
        pt = dist.sample(1, rng=rng)[0]
        want = float(dist.logpdf(pt))
        assert sum(coord(pt[i], mean[i], scale[i]) for i in range(2)) == pytest.approx(want, rel=1e-12)
        assert full(list(pt), list(mean), list(scale)) == pytest.approx(want, rel=1e-12)
    assert DiagonalNormal.coordinate_family is FAMILIES["normal"]


@pytest.mark.parametrize("name", ALL)
def test_symbolic_support_matches_numeric(name):
    import sympy

    cls = FAMILIES[name]
    syms = cls.symbols("1")
    support = cls.sym_support(*syms)
    for params in _points(name):
        lo, hi = cls(*params).support()
        if name in SIMPLEX and cls.event_ndim == 1 and isinstance(support, sympy.Range):
            # counts 0 .. n of a Multinomial: the scalar parameters substituted
            numeric_support = support.subs({s: int(v) for s, v in zip(syms, params) if np.ndim(v) == 0})
            lo, hi = np.unique(lo), np.unique(hi)
        elif name in SIMPLEX and cls.event_ndim == 0:
            # the categories 0 .. K - 1 of a probability vector over K symbolic coordinates
            numeric_support = support.subs(sympy.Symbol("K", integer=True, positive=True), np.shape(params[0])[-1])
        elif cls.event_ndim == 0:
            numeric_support = support.subs(dict(zip(syms, params)))
        else:
            numeric_support = support  # one interval per coordinate
            lo, hi = np.unique(lo), np.unique(hi)
        assert isinstance(numeric_support, sympy.Range if is_counting(cls) else sympy.Interval)
        assert float(numeric_support.inf) == pytest.approx(float(np.squeeze(lo)), rel=1e-12)
        assert float(numeric_support.sup) == pytest.approx(float(np.squeeze(hi)), rel=1e-12)


@pytest.mark.parametrize("name", ALL)
def test_symbolic_parameters_make_a_symbolic_instance(name):
    import sympy

    cls = FAMILIES[name]
    dist = cls(*cls.symbols("1"))
    assert dist.symbolic
    assert all(isinstance(v, sympy.Basic) for v in dist.param_values)
    with pytest.raises(TypeError, match="symbolic"):
        dist.logpdf(0.0)


def test_symbols_carry_assumptions():
    for name in UNIVARIATE:
        cls = FAMILIES[name]
        for p, s in zip(cls.parameters, cls.symbols("2")):
            assert s.name.endswith("_2")
            assert s.is_real
            if p.constraint == positive:
                assert s.is_positive


# --------------------------------------------------------------- validation
def _invalid_cases(name):
    """(params, parameter name expected in the message) built from the constraints."""
    cls = FAMILIES[name]
    base = list(_points(name, 1)[0])
    positive_entries = (positive, independent(positive))  # a DiagonalNormal's scale is positive entry by entry
    for i, p in enumerate(cls.parameters):
        bad_values = {positive: [0.0, -1.0, np.nan, np.inf], independent(positive): [0.0, -1.0, np.nan, np.inf],
                      real: [np.nan, np.inf], unit_interval: [0.0, 1.5]}
        if cls.event_ndim == 0 or p.constraint in positive_entries:
            for bad in bad_values.get(p.constraint, []):
                params = list(base)
                params[i] = np.full(np.shape(base[i]), bad) if p.constraint in positive_entries else bad
                yield params, p.name
    if name == "uniform":
        yield [1.0, 1.0], "low, high"
        yield [2.0, 1.0], "low, high"
    if name in ("multivariate_normal", "diagonal_normal"):
        yield [np.array([0.0, np.nan]), base[1]], "mean"
    if name == "multivariate_normal":
        yield [np.zeros(2), np.ones((2, 3))], "cov"
        yield [np.zeros(2), np.array([[1.0, 0.5], [0.0, 1.0]])], "cov"
        yield [np.zeros(2), np.array([[1.0, 2.0], [2.0, 1.0]])], "cov"
        yield [np.zeros(2), np.array([[1.0, np.nan], [np.nan, 1.0]])], "cov"
        yield [np.zeros(3), np.eye(2)], "mean, cov"
        yield [0.0, np.eye(1)], "mean"
    if name == "wishart":
        yield [1.0, np.eye(2)], "df"  # df must exceed d - 1
        yield [np.array([3.0, 0.5]), np.eye(2)], "df"
        yield [base[0], np.array([[1.0, 2.0], [2.0, 1.0]])], "scale"  # not positive definite
        yield [base[0], np.array([[1.0, 0.5], [0.0, 1.0]])], "scale"  # not symmetric
        yield [base[0], np.ones((2, 3))], "scale"
        yield [np.full(3, 4.0), np.broadcast_to(np.eye(2), (2, 2, 2))], "df, scale"
    if name == "categorical":
        yield [np.array([0.2, 0.2, 0.5])], "probs"
        yield [np.array([-0.1, 0.6, 0.5])], "probs"
        yield [np.array([np.nan, 0.5, 0.5])], "probs"
        yield [0.5], "probs"
    if name == "dirichlet":
        yield [np.array([1.0])], "concentration"
    if name == "multinomial":
        yield [2.5, np.array([0.5, 0.5])], "total_count"
        yield [0.0, np.array([0.5, 0.5])], "total_count"
        yield [3.0, np.array([0.5, 0.6])], "probs"
        yield [np.array([3.0, 4.0, 5.0]), np.array([[0.5, 0.5], [0.2, 0.8]])], "total_count, probs"
    if name == "diagonal_normal":
        yield [0.0, 1.0], "mean, scale"
        yield [np.zeros(3), np.ones(2)], "mean, scale"


@pytest.mark.parametrize("name", ALL)
def test_invalid_parameters_name_the_parameter(name):
    cases = list(_invalid_cases(name))
    assert cases
    for params, pname in cases:
        with pytest.raises(ValueError) as info:
            FAMILIES[name](*params)
        assert str(info.value).startswith(pname), (params, str(info.value))


def test_mvn_symmetry_tolerance():
    cov = np.array([[2.0, 0.3], [0.3 * (1 + 1e-12), 1.0]])
    MultivariateNormal(np.zeros(2), cov)  # round-off asymmetry is accepted
    with pytest.raises(ValueError, match="^cov: must be symmetric"):
        MultivariateNormal(np.zeros(2), np.array([[2.0, 0.3], [0.3001, 1.0]]))


# ------------------------------------------------------------- batch, dtype
@pytest.mark.parametrize("name", UNIVARIATE)
def test_batched_parameters_broadcast(name):
    cls = FAMILIES[name]
    rng = _rng(name, "batch")
    first = [cls.random_params(rng) for _ in range(3)]
    rest = [cls.random_params(rng) for _ in range(4)]
    params = [np.array([p[0] for p in first])[:, None]]
    params += [np.array([p[k] for p in rest]) for k in range(1, len(cls.parameters))]
    if len(cls.parameters) == 1:
        params = [np.array([p[0] for p in first + rest]).reshape(7, 1)]
    dist = cls(*params)
    shape = np.broadcast_shapes(*(np.shape(p) for p in params))
    assert dist.batch_shape == shape
    x = np.linspace(0.1, 0.9, shape[-1])
    got = dist.logpdf(x)
    assert got.shape == shape
    for idx in np.ndindex(shape):
        scalar = [np.broadcast_to(p, shape)[idx] for p in params]
        assert got[idx] == pytest.approx(float(cls(*scalar).logpdf(x[idx[-1]])), rel=1e-13, abs=1e-13)
    assert dist.sample(5, rng=0).shape == (5, *shape)
    lo, hi = dist.support()
    assert np.shape(lo) == shape and np.shape(hi) == shape
    for b in dist.breakpoints():
        b = np.broadcast_to(b, shape)
        assert np.all((b >= lo) & (b <= hi))


def test_mvn_batched():
    rng = _rng("multivariate_normal", "batch")
    pts = [MultivariateNormal.random_params(rng, dim=3) for _ in range(4)]
    means = np.stack([p[0] for p in pts])
    covs = np.stack([p[1] for p in pts])
    dist = MultivariateNormal(means, covs)
    assert dist.batch_shape == (4,) and dist.dim == 3
    x = rng.normal(size=(5, 4, 3))
    got = dist.logpdf(x)
    want = np.array([[st.multivariate_normal(means[j], covs[j]).logpdf(x[i, j]) for j in range(4)] for i in range(5)])
    np.testing.assert_allclose(got, want, rtol=1e-12)
    assert dist.sample(7, rng=0).shape == (7, 4, 3)
    # one mean, a batch of covariances
    shared = MultivariateNormal(means[0], covs)
    assert shared.batch_shape == (4,)
    assert shared.logpdf(x[0, 0]).shape == (4,)


def test_diagonal_normal_batched_and_to_multivariate():
    rng = _rng("diagonal_normal", "batch")
    mean = rng.normal(size=(3, 5))
    scale = np.exp(rng.normal(size=5))
    dist = DiagonalNormal(mean, scale)
    assert dist.batch_shape == (3,) and dist.dim == 5
    x = rng.normal(size=(2, 3, 5))
    np.testing.assert_allclose(dist.logpdf(x), dist.to_multivariate().logpdf(x), rtol=1e-12)
    assert dist.sample(4, rng=0).shape == (4, 3, 5)
    iso = DiagonalNormal(np.zeros(4), 2.0)
    assert iso.dim == 4 and iso.batch_shape == ()


@pytest.mark.parametrize("name", ALL)
def test_float32_parameters_stay_float32(name):
    cls = FAMILIES[name]
    for params in _points(name, 3):
        p32 = [np.asarray(p, dtype=np.float32) for p in params]
        dist64, dist32 = cls(*params), cls(*p32)
        x = np.asarray(_draws(name, params, 4, 0), dtype=np.float32)
        got = dist32.logpdf(x)
        assert got.dtype == np.float32, got.dtype
        np.testing.assert_allclose(got, dist64.logpdf(x.astype(np.float64)), rtol=2e-4, atol=2e-4)


def test_docstring_examples_run():
    import doctest
    import importlib

    for cls in FAMILIES.values():
        module = importlib.import_module(cls.__module__)
        result = doctest.testmod(module, optionflags=doctest.ELLIPSIS)
        assert result.attempted > 0, module.__name__
        assert result.failed == 0, module.__name__


@pytest.mark.parametrize("name", [n for n in UNIVARIATE if FAMILIES[n]._np_breakpoints is not FAMILIES["uniform"]._np_breakpoints])
def test_first_breakpoint_is_the_mode(name):
    # Every univariate family reports its mode first (when it is interior), so
    # quadrature splits where the density peaks.
    cls = FAMILIES[name]
    for params in _points(name):
        dist = cls(*params)
        lo, hi = (float(v) for v in dist.support())
        mode = float(dist.breakpoints()[0])
        if not lo < mode < hi:
            continue
        h = 1e-4 * max(1.0, abs(mode))
        peak = float(dist.logpdf(mode))
        assert peak >= float(dist.logpdf(mode - h)) and peak >= float(dist.logpdf(mode + h)), params
