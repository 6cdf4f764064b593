"""Wishart: its density and sampler, and its closed forms (anadiv.wishart_pairs) against mpmath,
Monte Carlo, scipy and torch, over the whole valid range, batched, and its input errors."""

from __future__ import annotations

import math
import warnings

import mpmath as mp
import numpy as np
import pytest
import scipy.stats as st

import anadiv
from anadiv import Gamma, Wishart
from anadiv.estimators.monte_carlo import divergence_estimate
from anadiv.numeric.stable import gamma_bregman_step

RTOL = 1e-12


# ------------------------------------------------- 60-digit reference (textbook formulas)
def _mat(v: np.ndarray) -> mp.matrix:
    return mp.matrix([[mp.mpf(float(x)) for x in row] for row in np.asarray(v, dtype=float)])


def _lmvgamma(a: mp.mpf, d: int) -> mp.mpf:
    return d * (d - 1) * mp.log(mp.pi) / 4 + mp.fsum(mp.loggamma(a - mp.mpf(j) / 2) for j in range(d))


def _psi_d(a: mp.mpf, d: int) -> mp.mpf:
    return mp.fsum(mp.digamma(a - mp.mpf(j) / 2) for j in range(d))


def _dps(*values: float) -> int:
    """60 digits plus the magnitudes' (the terms of a huge df cancel to O(1))."""
    return 60 + int(max(abs(math.log10(abs(v))) for v in values if v))


def _entropy_mp(n: float, v: np.ndarray) -> mp.mpf:
    a, d = _mat(v), len(v)
    n = mp.mpf(float(n))
    return ((d + 1) * mp.log(mp.det(a)) / 2 + d * (d + 1) * mp.log(2) / 2 + _lmvgamma(n / 2, d)
            - (n - d - 1) / 2 * _psi_d(n / 2, d) + n * d / 2)


def _kl_mp(n1: float, v1: np.ndarray, n2: float, v2: np.ndarray) -> mp.mpf:
    a, b, d = _mat(v1), _mat(v2), len(v1)
    n1, n2 = mp.mpf(float(n1)), mp.mpf(float(n2))
    trace = mp.fsum((mp.inverse(b) * a)[i, i] for i in range(d))
    return (n1 / 2 * (trace - d) + n2 / 2 * mp.log(mp.det(b) / mp.det(a)) + _lmvgamma(n2 / 2, d)
            - _lmvgamma(n1 / 2, d) + (n1 - n2) / 2 * _psi_d(n1 / 2, d))


def _truth(n1: float, v1: np.ndarray, n2: float, v2: np.ndarray) -> tuple[float, float, float]:
    """(KL, cross-entropy, entropy of P), each correctly rounded."""
    with mp.workdps(_dps(n1, n2, *np.ravel(v1), *np.ravel(v2))):
        kl, h = _kl_mp(n1, v1, n2, v2), _entropy_mp(n1, v1)
        return float(kl), float(h + kl), float(h)


def _assert_close(got: float, want: float, what: str) -> None:
    assert abs(got - want) <= RTOL * abs(want), f"{what}: got {got!r}, want {want!r}, rel {abs(got - want) / abs(want):.2e}"


def _check_point(n1: float, v1: np.ndarray, n2: float, v2: np.ndarray) -> None:
    p, q = Wishart(n1, v1), Wishart(n2, v2)
    kl, ce, h = _truth(n1, v1, n2, v2)
    _assert_close(anadiv.kl(p, q), kl, f"kl {n1} {n2}")
    _assert_close(anadiv.cross_entropy(p, q), ce, f"cross_entropy {n1} {n2}")
    _assert_close(anadiv.entropy(p), h, f"entropy {n1}")


def _spd(rng: np.random.Generator, d: int, lo: float = 0.3, hi: float = 3.0) -> np.ndarray:
    return Wishart.parameters[1].constraint.draw(rng, (lo, hi), (d, d))


# ------------------------------------------------------------------ values
@pytest.mark.parametrize("d", [1, 2, 3, 5])
def test_closed_forms_equal_mpmath_at_typical_points(d):
    rng = np.random.default_rng(100 + d)
    for _ in range(3):
        n1, v1 = Wishart.random_params(rng, d)
        n2, v2 = Wishart.random_params(rng, d)
        _check_point(float(n1), v1, float(n2), v2)


@pytest.mark.parametrize("s1, s2", [(1e-150, 1e-150), (1e150, 1e150), (1e-150, 1.0), (1.0, 1e150), (1e-150, 1e150),
                                    (1e150, 1e-150), (1e-300, 1e-300)])
def test_extreme_scales(s1, s2):
    rng = np.random.default_rng(7)
    v1, v2 = _spd(rng, 3), _spd(rng, 3)
    _check_point(5.5, v1 * s1, 4.5, v2 * s2)


@pytest.mark.parametrize("df", [1e6, 1e15, 1e100, 1e300])
def test_huge_degrees_of_freedom(df):
    rng = np.random.default_rng(8)
    v1, v2 = _spd(rng, 2), _spd(rng, 2)
    _check_point(df, v1, 1.5 * df, v2)
    # equal means n V: the KL is O(1) while its terms are O(df) (the exact path where floats cannot)
    _check_point(df, v1, 2.0 * df, v1 / 2.0)
    _check_point(df, v1, 3.0 * df, v2 / 3.0)


@pytest.mark.parametrize("eps", [1e-3, 1e-8, 1e-14])
def test_degrees_of_freedom_near_d_minus_1(eps):
    rng = np.random.default_rng(9)
    for d in (2, 3):
        v1, v2 = _spd(rng, d), _spd(rng, d)
        _check_point(d - 1 + eps, v1, d - 1 + 2 * eps, v2)
        _check_point(d + 3.0, v1, d - 1 + eps, v2)
        _check_point(d - 1 + eps, v1, d + 3.0, v2)


@pytest.mark.parametrize("df", [1.5, 7.0, 1e3, 1e8, 1e200])
def test_nearly_equal_p_and_q_keep_their_digits(df):
    rng = np.random.default_rng(10)
    for d in (2, 4):
        v = _spd(rng, d)
        n = max(df, d - 0.5)
        for n2, v2 in ((n * (1 + 1e-9), v * (1 + 1e-9)), (n * (1 + 1e-9), v / (1 + 1e-9)),
                       (n, v * (1 + 1e-12)), (n * (1 + 1e-9), v), (n, v + 1e-9 * _spd(rng, d))):
            _check_point(n, v, n2, v2)


def test_kl_of_equal_distributions_is_zero_and_never_negative():
    rng = np.random.default_rng(11)
    n, v = Wishart.random_params(rng, 3)
    assert anadiv.kl(Wishart(n, v), Wishart(n, v)) == 0.0
    for _ in range(20):
        p, q = Wishart(*Wishart.random_params(rng, 3)), Wishart(*Wishart.random_params(rng, 3))
        assert anadiv.kl(p, q) > 0.0


def test_one_dimensional_wishart_is_a_gamma():
    # W_1(n, v) = Gamma(shape n/2, rate 1/(2v))
    for (n1, v1), (n2, v2) in [((3.0, 0.7), (5.5, 2.0)), ((1e6, 1.0), (1e6 * (1 + 1e-9), 1.0 + 1e-9))]:
        p, q = Wishart(n1, [[v1]]), Wishart(n2, [[v2]])
        gp, gq = Gamma(n1 / 2, 1 / (2 * v1)), Gamma(n2 / 2, 1 / (2 * v2))
        assert anadiv.kl(p, q) == pytest.approx(anadiv.kl(gp, gq), rel=1e-12)
        assert anadiv.entropy(p) == pytest.approx(anadiv.entropy(gp), rel=1e-12)
        x = np.array([[[0.3]], [[2.0]]])
        np.testing.assert_allclose(p.logpdf(x), gp.logpdf(x[:, 0, 0]), rtol=1e-13)


def test_gamma_bregman_step_equals_mpmath():
    cases = [(1e6, 1e6 + 1e-3, 1e-9), (1e8, 1e8 - 0.3, -3e-9), (3.0, 3.5, 0.2), (20.0, 25.0, 0.25),
             (0.01, 0.011, -0.9), (1e12, 2e12, 1.0), (1e12, 2e12, 0.999999), (50.0, 25.0, -0.5), (5e-15, 2.0, 3.0)]
    for a, b, e in cases:
        got = float(gamma_bregman_step(a, b, e))
        with mp.workdps(60):
            a_, b_, e_ = mp.mpf(a), mp.mpf(b), mp.mpf(e)
            want = (mp.loggamma(b_) - mp.loggamma(a_) - (b_ - a_) * mp.digamma(a_)
                    + a_ * (e_ - mp.log1p(e_)) - (b_ - a_) * mp.log1p(e_))
        _assert_close(got, float(want), f"gamma_bregman_step{(a, b, e)}")


# -------------------------------------------------- Monte Carlo, scipy, torch
def test_closed_forms_agree_with_monte_carlo():
    p = Wishart(5.0, np.array([[2.0, 0.3], [0.3, 1.0]]))
    q = Wishart(4.0, np.array([[1.5, -0.2], [-0.2, 0.8]]))
    for kind, args, exact in [("kl", (p, q), anadiv.kl(p, q)), ("cross_entropy", (p, q), anadiv.cross_entropy(p, q)),
                              ("entropy", (p,), anadiv.entropy(p))]:
        est = divergence_estimate(kind, *args, n=20_000, seed=3)
        assert est.stderr_reliable
        assert abs(est.value - exact) < 4 * est.stderr, (kind, est, exact)


def test_logpdf_and_entropy_equal_scipy():
    rng = np.random.default_rng(12)
    for d in (2, 3, 4):
        n, v = Wishart.random_params(rng, d)
        ref = st.wishart(float(n), v)
        x = ref.rvs(6, random_state=rng)
        np.testing.assert_allclose(Wishart(n, v).logpdf(x), ref.logpdf(np.moveaxis(x, 0, -1)), rtol=1e-12)
        assert anadiv.entropy(Wishart(n, v)) == pytest.approx(ref.entropy(), rel=1e-12)


def test_logpdf_and_entropy_equal_torch():
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(13)
    for d in (2, 3):
        n, v = Wishart.random_params(rng, d)
        w = Wishart(n, v)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)  # torch warns about df < d, which it also accepts
            tw = w.to_torch()
        x = w.sample(5, rng=1)
        np.testing.assert_allclose(tw.log_prob(torch.as_tensor(x)).numpy(), w.logpdf(x), rtol=1e-11)
        assert float(tw.entropy()) == pytest.approx(anadiv.entropy(w), rel=1e-12)


def test_sampler_moments_within_their_standard_errors():
    n, v = 6.5, np.array([[2.0, 0.6, 0.1], [0.6, 1.0, -0.3], [0.1, -0.3, 0.5]])
    w = Wishart(n, v)
    size = 40_000
    x = w.sample(size, rng=4)
    assert x.shape == (size, 3, 3)
    mean, var = w.mean_variance()
    assert np.all(np.abs(x.mean(axis=0) - mean) < 5 * np.sqrt(var / size))
    # E[log det X] = psi_3(n/2) + 3 log 2 + log det V (the Bartlett decomposition's diagonal)
    logdet = np.linalg.slogdet(x)[1]
    want = sum(float(mp.digamma(n / 2 - j / 2)) for j in range(3)) + 3 * math.log(2) + np.linalg.slogdet(v)[1]
    assert abs(logdet.mean() - want) < 5 * logdet.std() / math.sqrt(size)
    # and scipy's sampler agrees in distribution on a scalar statistic
    y = st.wishart(n, v).rvs(size, random_state=5)
    assert st.ks_2samp(np.trace(x, axis1=1, axis2=2), np.trace(y, axis1=1, axis2=2)).pvalue > 1e-3


def test_logpdf_is_minus_inf_off_the_positive_definite_cone():
    w = Wishart(4.0, np.eye(2))
    x = np.array([np.eye(2), -np.eye(2), [[1.0, 2.0], [2.0, 1.0]], [[1.0, 0.5], [0.0, 1.0]], [[1.0, np.nan], [np.nan, 1.0]]])
    got = w.logpdf(x)
    assert np.isfinite(got[0]) and np.all(got[1:] == -np.inf)
    with pytest.raises(ValueError, match="^x"):
        w.logpdf(np.eye(3))


def test_from_scale_tril_and_from_scipy():
    tril = np.array([[2.0, 0.0], [1.0, 0.5]])
    w = Wishart.from_scale_tril(4.0, tril)
    np.testing.assert_allclose(w.scale, tril @ tril.T)
    with pytest.raises(ValueError, match="^scale_tril"):
        Wishart.from_scale_tril(4.0, np.array([[-1.0, 0.0], [0.0, 1.0]]))
    back = anadiv.from_scipy(w.to_scipy())
    assert isinstance(back, Wishart) and float(back.df) == 4.0
    np.testing.assert_allclose(back.scale, w.scale)


# -------------------------------------------------------- batches, errors
def test_batches_broadcast_and_match_scalar_calls():
    rng = np.random.default_rng(14)
    dfs = np.array([[3.0], [7.5], [1e6]])  # (3, 1)
    scales = np.stack([_spd(rng, 2) for _ in range(4)])  # (4, 2, 2)
    q = Wishart(5.0, _spd(rng, 2))
    p = Wishart(dfs, scales)
    assert p.batch_shape == (3, 4) and p.dim == 2
    # one item nearly equal to q (eigenvalue path) and one with equal means at a huge df (exact path)
    scales[1] = q.scale * (1 + 1e-9)
    p = Wishart(np.array([[5.0], [7.5], [1e6]]), scales)
    qq = Wishart(np.array([5.0, 5.0, 2e6, 5.0]), np.stack([q.scale, q.scale, scales[2] / 2, q.scale]))
    for fn in (anadiv.kl, anadiv.cross_entropy):
        got = fn(p, qq)
        assert got.shape == (3, 4)
        for i, j in np.ndindex(3, 4):
            pi = Wishart(float(p.df[i, 0]), p.scale[j])
            qj = Wishart(float(qq.df[j]), qq.scale[j])
            assert got[i, j] == fn(pi, qj)
    h = anadiv.entropy(p)
    assert h.shape == (3, 4) and h[2, 3] == anadiv.entropy(Wishart(1e6, scales[3]))
    assert p.sample(2, rng=0).shape == (2, 3, 4, 2, 2)
    assert p.logpdf(np.eye(2)).shape == (3, 4)


def test_pair_errors_name_q():
    p = Wishart(4.0, np.eye(2))
    with pytest.raises(ValueError, match="^q: dimension"):
        anadiv.kl(p, Wishart(4.0, np.eye(3)))
    with pytest.raises(ValueError, match="^q: batch shape"):
        anadiv.kl(Wishart(np.full(2, 4.0), np.eye(2)), Wishart(np.full(3, 4.0), np.eye(2)))


@pytest.mark.parametrize("df, scale, name", [
    (1.0, np.eye(2), "df"),
    (2.9, np.eye(4), "df"),
    (np.inf, np.eye(2), "df"),
    (4.0, np.array([[1.0, 2.0], [2.0, 1.0]]), "scale"),
    (4.0, np.zeros((2, 2)), "scale"),
    (4.0, np.ones(2), "scale"),
    (np.full(3, 4.0), np.broadcast_to(np.eye(2), (2, 2, 2)), "df, scale"),
])
def test_invalid_parameters_name_the_argument(df, scale, name):
    with pytest.raises(ValueError) as info:
        Wishart(df, scale)
    assert str(info.value).startswith(name), str(info.value)


def test_gamma_bregman_step_has_a_torch_derivative():
    torch = pytest.importorskip("torch")
    from anadiv.numeric.backends.torch_backend import namespace

    a, b = np.array([0.7, 3.0, 40.0]), np.array([1.1, 2.5, 45.0])
    e = np.array([0.3, -0.2, 0.05])
    args = [a, b, e]
    tensors = [torch.tensor(x, requires_grad=True) for x in args]
    out = namespace()._stable.gamma_bregman_step(*tensors)
    np.testing.assert_array_equal(out.detach().numpy(), gamma_bregman_step(*args))
    out.sum().backward()
    for i, t in enumerate(tensors):
        h = 1e-6 * np.maximum(1.0, np.abs(args[i]))
        up = [x + h if k == i else x for k, x in enumerate(args)]
        down = [x - h if k == i else x for k, x in enumerate(args)]
        fd = (gamma_bregman_step(*up) - gamma_bregman_step(*down)) / (2 * h)
        np.testing.assert_allclose(t.grad.numpy(), fd, rtol=1e-6, atol=1e-9)
