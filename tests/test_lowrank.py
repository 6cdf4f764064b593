"""LowRankMultivariateNormal: log-density, sampler, validation, hooks and symbolic form.

The generated per-family tests (``test_families``, ``test_family_hooks``)
cover it at typical values against scipy and torch; here: large ``d`` and
``r``, extreme scales, batches, each bad argument, the symbolic log-density.
"""

from __future__ import annotations

import zlib

import mpmath as mp
import numpy as np
import pytest
import scipy.stats as st

import _gaussian_truth as truth
import anadiv
from anadiv import LowRankMultivariateNormal as LowRank


def _rng(salt: str) -> np.random.Generator:
    return np.random.default_rng(zlib.crc32(f"lowrank/{salt}".encode()))


def _params(rng: np.random.Generator, d: int, r: int, s: float = 1.0, big: float = 1.0):
    return rng.normal(size=d) * s, rng.normal(size=(d, r)) * s * big, np.exp(rng.uniform(-1, 1, d)) * s * s


@pytest.mark.parametrize("d, r, s", [(50, 10, 1.0), (20, 5, 1e-8), (20, 5, 1e8), (3, 1, 1.0)])
def test_logpdf_equals_mpmath(d, r, s):
    rng = _rng(f"logpdf/{d}/{r}/{s}")
    params = _params(rng, d, r, s)
    dist = LowRank(*params)
    x = dist.sample(3, rng=rng)
    got = dist.logpdf(x)
    with mp.workdps(40):
        mean, cov = truth.covariance("lowrank", params)
        chol = mp.cholesky(cov)
        for xi, g in zip(x, got):
            (z,) = truth._solve_lower(chol, [[mp.mpf(a) - b for a, b in zip(xi, mean)]])
            ref = -mp.fsum(v * v for v in z) / 2 - mp.fsum(mp.log(chol[i, i]) for i in range(d)) - d * mp.log(2 * mp.pi) / 2
            # |log p| sums d terms of both signs: 1e-13 of the sum of their sizes
            size = mp.fsum(v * v for v in z) / 2 + mp.fsum(abs(mp.log(chol[i, i])) for i in range(d)) + d
            assert abs(mp.mpf(g) - ref) <= 1e-13 * size, (g, ref)
    want = st.multivariate_normal(params[0], dist.covariance_matrix).logpdf(x)
    np.testing.assert_allclose(got, want, rtol=1e-10)


def test_batches_broadcast():
    rng = _rng("batch")
    d, r = 4, 2
    loc, w, diag = rng.normal(size=(3, 1, d)), rng.normal(size=(5, d, r)), np.exp(rng.normal(size=d))
    dist = LowRank(loc, w, diag)
    assert dist.batch_shape == (3, 5) and dist.dim == d and dist.rank == r
    x = rng.normal(size=(2, 1, 1, d))
    got = dist.logpdf(x)
    assert got.shape == (2, 3, 5)
    for i in range(3):
        for j in range(5):
            one = LowRank(loc[i, 0], w[j], diag)
            np.testing.assert_allclose(got[:, i, j], one.logpdf(x[:, 0, 0]), rtol=1e-13)
            np.testing.assert_allclose(dist.covariance_matrix[i, j], w[j] @ w[j].T + np.diag(diag), rtol=1e-15)
    assert dist.sample(7, rng=0).shape == (7, 3, 5, d)
    assert dist.mean.shape == (3, 5, d)
    lo, hi = dist.support()
    assert lo.shape == (3, 5, d) and np.all(lo == -np.inf) and np.all(hi == np.inf)


def test_sampler_moments_with_a_dominant_factor():
    rng = _rng("sample")
    loc, w, diag = rng.normal(size=6), 10.0 * rng.normal(size=(6, 2)), np.full(6, 0.01)
    dist = LowRank(loc, w, diag)
    n = 100_000
    draws = dist.sample(n, rng=3)
    cov = dist.covariance_matrix
    assert np.all(np.abs(draws.mean(axis=0) - loc) < 5 * np.sqrt(np.diag(cov) / n))
    se = np.sqrt((np.outer(np.diag(cov), np.diag(cov)) + cov**2) / n)
    assert np.all(np.abs(np.cov(draws, rowvar=False) - cov) < 5 * se)


@pytest.mark.parametrize(
    "args, start",
    [
        ((np.zeros(3), np.ones(3), np.ones(3)), "cov_factor: must have shape (..., d, r)"),
        ((np.zeros(3), 1.0, np.ones(3)), "cov_factor: must have shape (..., d, r)"),
        ((np.zeros(3), np.ones((3, 0)), np.ones(3)), "cov_factor: needs at least one column"),
        ((np.zeros(3), np.full((3, 1), np.nan), np.ones(3)), "cov_factor: must be finite"),
        ((np.zeros(3), np.full((3, 1), np.inf), np.ones(3)), "cov_factor: must be finite"),
        ((np.zeros(3), np.ones((3, 1)), np.array([1.0, 0.0, 1.0])), "cov_diag: must be > 0"),
        ((np.zeros(3), np.ones((3, 1)), -np.ones(3)), "cov_diag: must be > 0"),
        ((np.zeros(3), np.ones((3, 1)), np.array([1.0, np.inf, 1.0])), "cov_diag"),
        ((np.zeros(3), np.ones((3, 1)), 1.0), "cov_diag: must have shape (..., d)"),
        ((0.0, np.ones((3, 1)), np.ones(3)), "loc: must have shape (..., d)"),
        ((np.array([0.0, np.nan, 0.0]), np.ones((3, 1)), np.ones(3)), "loc: must be finite"),
        ((np.zeros(3), np.ones((2, 1)), np.ones(3)), "loc, cov_factor, cov_diag: dimensions differ"),
        ((np.zeros(3), np.ones((3, 1)), np.ones(4)), "loc, cov_factor, cov_diag: dimensions differ"),
        ((np.zeros((2, 3)), np.ones((4, 3, 1)), np.ones(3)), "loc, cov_factor, cov_diag: batch shapes"),
        (("0", np.ones((3, 1)), np.ones(3)), "loc: "),
    ],
)
def test_bad_parameters_are_refused_naming_the_argument(args, start):
    with pytest.raises(ValueError) as info:
        LowRank(*args)
    assert str(info.value).startswith(start), str(info.value)


def test_float32_stays_float32():
    rng = _rng("f32")
    params = [np.asarray(v, dtype=np.float32) for v in _params(rng, 5, 2)]
    dist = LowRank(*params)
    x = np.zeros((3, 5), dtype=np.float32)
    assert dist.logpdf(x).dtype == np.float32
    assert dist.sample(2, rng=0).shape == (2, 5)


def test_hooks_give_the_dense_gaussian():
    rng = _rng("hooks")
    params = _params(rng, 4, 2)
    dist = LowRank(*params)
    mean, cov = dist.mean_variance()
    np.testing.assert_array_equal(mean, params[0])
    np.testing.assert_allclose(cov, params[1] @ params[1].T + np.diag(params[2]), rtol=1e-15)
    dense = dist.to_multivariate()
    x = dist.sample(5, rng=1)
    np.testing.assert_allclose(dist.logpdf(x), dense.logpdf(x), rtol=1e-12)
    assert LowRank._np_gaussian(*params)[1].shape == (4, 4)


def test_torch_counterpart():
    torch = pytest.importorskip("torch")
    rng = _rng("torch")
    dist = LowRank(*_params(rng, 20, 4))
    t = dist.to_torch()
    assert isinstance(t, torch.distributions.LowRankMultivariateNormal)
    x = dist.sample(4, rng=2)
    np.testing.assert_allclose(t.log_prob(torch.as_tensor(x)).numpy(), dist.logpdf(x), rtol=1e-12)
    assert float(t.entropy()) == pytest.approx(anadiv.entropy(dist), rel=1e-12)


def test_symbolic_log_density_matches_numpy():
    import sympy

    rng = _rng("sym")
    loc, w, diag = _params(rng, 2, 1)
    dist = LowRank(loc, w, diag)
    x = dist.sample(1, rng=4)[0]
    got = LowRank.sym_logpdf(sympy.Matrix(x), sympy.Matrix(loc), sympy.Matrix(w), sympy.Matrix(diag))
    assert float(got) == pytest.approx(float(dist.logpdf(x)), rel=1e-12)
    sym = LowRank(*LowRank.symbols("1"))
    assert sym.symbolic and sym.dim == sympy.Symbol("d", integer=True, positive=True)
    general = LowRank.sym_logpdf(sympy.MatrixSymbol("x", sym.dim, 1), *LowRank.symbols("1"))
    assert sympy.Symbol("d", integer=True, positive=True) in general.free_symbols
    with pytest.raises(anadiv.NoClosedFormError):
        anadiv.kl(sym, LowRank(*LowRank.symbols("2")))
