"""Multivariate and diagonal normal closed forms: accuracy, batching, errors.

References are 50-digit mpmath evaluations of the textbook formulas at the
same float64 inputs. Budget: about 2 s.
"""

from __future__ import annotations

import mpmath
import numpy as np
import pytest

import anadiv
from anadiv.numeric import linalg as _linalg
from anadiv.families import DiagonalNormal, MultivariateNormal

mp = mpmath.mp


def _mp_kl(m1, s1, m2, s2):
    with mpmath.workdps(50):
        m1, m2 = mpmath.matrix(m1.tolist()), mpmath.matrix(m2.tolist())
        s1, s2 = mpmath.matrix(s1.tolist()), mpmath.matrix(s2.tolist())
        inv2 = s2**-1
        diff = m2 - m1
        d = s1.rows
        tr = sum((inv2 * s1)[i, i] for i in range(d))
        quad = (diff.T * inv2 * diff)[0, 0]
        return (tr + quad - d + mpmath.log(mpmath.det(s2)) - mpmath.log(mpmath.det(s1))) / 2


def _mp_entropy(s):
    with mpmath.workdps(50):
        s = mpmath.matrix(s.tolist())
        d = s.rows
        return (d * (1 + mpmath.log(2 * mpmath.pi)) + mpmath.log(mpmath.det(s))) / 2


def _mp_cross_entropy(m1, s1, m2, s2):
    with mpmath.workdps(50):
        return _mp_kl(m1, s1, m2, s2) + _mp_entropy(s1)


def _spd(rng, d, lo=0.3, hi=3.0):
    eig = np.exp(rng.uniform(np.log(lo), np.log(hi), size=d))
    q, r = np.linalg.qr(rng.standard_normal((d, d)))
    s = (q * eig) @ q.T
    return 0.5 * (s + s.T)


def _rel(a, b):
    b = mpmath.mpf(b)
    return float(abs(mpmath.mpf(float(a)) - b) / abs(b))


@pytest.mark.parametrize("d", [1, 2, 3, 5])
def test_kl_entropy_cross_entropy_match_mpmath(d):
    rng = np.random.default_rng(d)
    for _ in range(3):
        m1, m2 = rng.uniform(-2, 2, size=(2, d))
        s1, s2 = _spd(rng, d), _spd(rng, d)
        p, q = MultivariateNormal(m1, s1), MultivariateNormal(m2, s2)
        assert _rel(anadiv.kl(p, q), _mp_kl(m1, s1, m2, s2)) < 1e-12
        assert _rel(anadiv.entropy(p), _mp_entropy(s1)) < 1e-12
        assert _rel(anadiv.cross_entropy(p, q), _mp_cross_entropy(m1, s1, m2, s2)) < 1e-12


def test_kl_of_identical_gaussians_is_zero():
    rng = np.random.default_rng(1)
    for d in (1, 4, 30):
        m, s = rng.normal(size=d), _spd(rng, d)
        assert anadiv.kl(MultivariateNormal(m, s), MultivariateNormal(m, s)) == pytest.approx(0.0, abs=1e-300)


@pytest.mark.parametrize("eps", [1e-5, 1e-7, 1e-9])
def test_nearly_equal_gaussians_keep_relative_precision(eps):
    rng = np.random.default_rng(7)
    d = 4
    m1, s1 = rng.normal(size=d), _spd(rng, d)
    m2 = m1 + eps * rng.normal(size=d)
    pert = rng.normal(size=(d, d))
    s2 = s1 + eps * 0.5 * (pert + pert.T) @ s1 @ (pert + pert.T).T / d
    s2 = 0.5 * (s2 + s2.T)
    got = anadiv.kl(MultivariateNormal(m1, s1), MultivariateNormal(m2, s2))
    ref = _mp_kl(m1, s1, m2, s2)
    assert 0 < got
    assert _rel(got, ref) < 1e-10


def test_kl_core_small_eigen_perturbation_against_mpmath():
    # covariance differs from the first only: the log-det and trace terms cancel to 1e-18
    rng = np.random.default_rng(3)
    d = 3
    s1 = _spd(rng, d)
    s2 = s1 * (1 + 1e-9)
    m = np.zeros(d)
    got = anadiv.kl(MultivariateNormal(m, s1), MultivariateNormal(m, s2))
    ref = _mp_kl(m, s1, m, s2)
    assert _rel(got, ref) < 1e-10


def test_batched_over_leading_axes_and_broadcasting():
    rng = np.random.default_rng(5)
    d = 3
    m1 = rng.normal(size=(4, 1, d))
    s1 = np.stack([_spd(rng, d) for _ in range(4)])[:, None]
    m2 = rng.normal(size=(5, d))
    s2 = np.stack([_spd(rng, d) for _ in range(5)])
    out = anadiv.kl(MultivariateNormal(m1, s1), MultivariateNormal(m2, s2))
    assert out.shape == (4, 5)
    for i in range(4):
        for j in range(5):
            single = anadiv.kl(MultivariateNormal(m1[i, 0], s1[i, 0]), MultivariateNormal(m2[j], s2[j]))
            assert out[i, j] == pytest.approx(single, rel=1e-13)
    assert anadiv.entropy(MultivariateNormal(m1, s1)).shape == (4, 1)


def test_lapack_loop_path_matches_batched_path(monkeypatch):
    rng = np.random.default_rng(11)
    d = 40
    s1 = np.stack([_spd(rng, d) for _ in range(3)])
    s2 = np.stack([_spd(rng, d) for _ in range(3)])
    m1, m2 = rng.normal(size=(2, 3, d))
    # raw arrays through the generated function: both paths factor the covariances
    # themselves (validated families would hand over the factors made at validation)
    f = anadiv.kl_function(MultivariateNormal, MultivariateNormal)
    monkeypatch.setattr(_linalg, "_LOOP_MIN_DIM", 1)
    looped = f(m1, s1, m2, s2)
    small = [anadiv.kl(MultivariateNormal(m1[0, :5], s1[0, :5, :5]), MultivariateNormal(m2[0, :5], s2[0, :5, :5]))]
    monkeypatch.setattr(_linalg, "_LOOP_MIN_DIM", 10**9)
    batched = f(m1, s1, m2, s2)
    np.testing.assert_allclose(looped, batched, rtol=1e-12)
    np.testing.assert_allclose(anadiv.kl(MultivariateNormal(m1, s1), MultivariateNormal(m2, s2)), batched, rtol=1e-12)
    assert _rel(small[0], _mp_kl(m1[0, :5], s1[0, :5, :5], m2[0, :5], s2[0, :5, :5])) < 1e-12


def test_float32_stays_float32():
    rng = np.random.default_rng(2)
    d = 3
    m1, m2 = rng.normal(size=(2, 6, d)).astype(np.float32)
    s1 = np.stack([_spd(rng, d) for _ in range(6)]).astype(np.float32)
    s2 = np.stack([_spd(rng, d) for _ in range(6)]).astype(np.float32)
    out = anadiv.kl(MultivariateNormal(m1, s1), MultivariateNormal(m2, s2))
    assert out.dtype == np.float32
    ref = anadiv.kl(MultivariateNormal(m1.astype(float), s1.astype(float)), MultivariateNormal(m2.astype(float), s2.astype(float)))
    np.testing.assert_allclose(out, ref, rtol=1e-4)


def test_dimension_mismatch_names_q():
    p = MultivariateNormal(np.zeros(2), np.eye(2))
    q = MultivariateNormal(np.zeros(3), np.eye(3))
    with pytest.raises(ValueError, match=r"^q: dimension 3 differs from p's dimension 2"):
        anadiv.kl(p, q)
    with pytest.raises(ValueError, match=r"^mean_2, cov_2: dimension 3"):
        anadiv.kl_function(MultivariateNormal, MultivariateNormal)(np.zeros(2), np.eye(2), np.zeros(3), np.eye(3))


def test_non_positive_definite_covariance_is_rejected():
    bad = np.array([[1.0, 2.0], [2.0, 1.0]])
    with pytest.raises(ValueError, match=r"^cov"):
        MultivariateNormal(np.zeros(2), bad)
    f = anadiv.kl_function(MultivariateNormal, MultivariateNormal)
    with pytest.raises(ValueError, match=r"^cov_2: must be positive definite"):
        f(np.zeros(2), np.eye(2), np.zeros(2), bad)
    with pytest.raises(ValueError, match=r"^cov_1: must be positive definite"):
        f(np.zeros(2), np.stack([np.eye(2), bad]), np.zeros(2), np.eye(2))
    big = np.stack([np.eye(30)] * 2)
    big[1, 0, 0] = -1.0
    with pytest.raises(ValueError, match=r"^cov_1: must be positive definite"):
        f(np.zeros(30), big, np.zeros(30), np.eye(30))


# ----------------------------------------------------------- diagonal normal
def test_diagonal_normal_matches_multivariate_on_explicit_diagonal_matrices():
    rng = np.random.default_rng(4)
    d = 6
    m1, m2 = rng.normal(size=(2, 8, d))
    sc1, sc2 = np.exp(rng.normal(size=(2, 8, d)) * 0.5)
    got = anadiv.kl(DiagonalNormal(m1, sc1), DiagonalNormal(m2, sc2))
    ref = anadiv.kl(MultivariateNormal(m1, sc1[..., None] * np.eye(d) * sc1[..., None, :]),
                    MultivariateNormal(m2, sc2[..., None] * np.eye(d) * sc2[..., None, :]))
    assert got.shape == (8,)
    np.testing.assert_allclose(got, ref, rtol=1e-12)
    got_h = anadiv.entropy(DiagonalNormal(m1, sc1))
    ref_h = anadiv.entropy(MultivariateNormal(m1, sc1[..., None] * np.eye(d) * sc1[..., None, :]))
    np.testing.assert_allclose(got_h, ref_h, rtol=1e-12)
    got_x = anadiv.cross_entropy(DiagonalNormal(m1, sc1), DiagonalNormal(m2, sc2))
    np.testing.assert_allclose(got_x, ref + ref_h, rtol=1e-12)


def test_vae_batch_against_standard_normal():
    # the VAE loss term: a batch of diagonal Gaussians against N(0, I), no d x d matrices
    rng = np.random.default_rng(9)
    batch, d = 256, 16
    mean = rng.normal(size=(batch, d)).astype(np.float32)
    scale = np.exp(0.3 * rng.normal(size=(batch, d))).astype(np.float32)
    out = anadiv.kl(DiagonalNormal(mean, scale), DiagonalNormal(np.zeros(d, np.float32), np.ones(d, np.float32)))
    assert out.shape == (batch,) and out.dtype == np.float32
    textbook = 0.5 * np.sum(scale.astype(float) ** 2 + mean.astype(float) ** 2 - 1 - 2 * np.log(scale.astype(float)), axis=-1)
    np.testing.assert_allclose(out, textbook, rtol=1e-4)


def test_diagonal_dimension_mismatch_names_q():
    with pytest.raises(ValueError, match=r"^q: dimension"):
        anadiv.kl(DiagonalNormal(np.zeros(2), np.ones(2)), DiagonalNormal(np.zeros(3), np.ones(3)))


# ------------------------------------------------------------ the helpers
def test_x_minus_log1p_against_mpmath():
    xs = np.array([-0.9, -0.4, -1e-3, -1e-9, 1e-12, 1e-6, 0.3, 0.49, 0.51, 3.0, 1e5])
    got = _linalg._x_minus_log1p(xs)
    with mpmath.workdps(50):
        for x, g in zip(xs, got):
            ref = mpmath.mpf(float(x)) - mpmath.log1p(mpmath.mpf(float(x)))
            assert _rel(g, ref) < 2e-15


def test_cholesky_and_logdet_and_mahalanobis():
    s = np.array([[4.0, 2.0], [2.0, 2.0]])
    chol = _linalg.cholesky(s)
    assert _linalg.logdet(chol) == pytest.approx(np.log(4.0), rel=1e-15)
    v = np.array([1.0, -1.0])
    assert _linalg.mahalanobis(chol, v) == pytest.approx(v @ np.linalg.solve(s, v), rel=1e-14)
    with pytest.raises(ValueError, match="^cov: must be square"):
        _linalg.cholesky(np.ones(3))
