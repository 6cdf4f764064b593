"""MultivariateNormal and DiagonalNormal closed forms over the whole float range.

Every check compares the generated functions (raw arrays, both linear-algebra
paths) and the public API (validated families, which reuse their factors)
with a 60-digit mpmath evaluation at the same float64 inputs
(:func:`mp_parts`: its own Cholesky factorization, no tolerance on tiny
pivots). Drawn from a seeded generator: dimensions 1, 2, 3, 5; covariance
scales log-uniform over 1e-300 ... 1e300 and over +-8 decades; P and Q
independent, a scale ratio up to 1e+-300 apart, or nearly equal (relative
perturbations 1e-3 ... 1e-12); condition numbers up to 1e10; mean offsets
from 1e-12 to 1e4 standard deviations, and none.

The bounds are those of docs/accuracy.md ("Multivariate normal at extreme
scales"): a relative error of 1e-12, loosened only by the condition numbers
of the covariances (a float64 Cholesky factor is exact for a matrix within
about eps * cond of the given one), and, for the entropy and cross-entropy,
which change sign, an absolute floor proportional to the size of their terms.

Budget: about 8 s of CPU, a third of it importing torch.
"""

from __future__ import annotations

import math

import mpmath
import numpy as np
import pytest

import anadiv
from anadiv.numeric import linalg as _linalg
from anadiv.families import DiagonalNormal, MultivariateNormal

EPS = float(np.finfo(np.float64).eps)
BIG = float(np.finfo(np.float64).max)
TINY = float(np.finfo(np.float64).tiny)
TARGET = 1e-12

KL = anadiv.kl_function(MultivariateNormal, MultivariateNormal)
CE = anadiv.cross_entropy_function(MultivariateNormal, MultivariateNormal)
H = anadiv.entropy_function(MultivariateNormal)


# ------------------------------------------------------------------ reference
def _mp(a: np.ndarray) -> mpmath.matrix:
    a = np.asarray(a, dtype=np.float64)
    if a.ndim == 1:
        return mpmath.matrix([mpmath.mpf(float(x)) for x in a])
    return mpmath.matrix([[mpmath.mpf(float(x)) for x in row] for row in a])


def _mp_cholesky(s: mpmath.matrix) -> mpmath.matrix:
    # mpmath.cholesky rejects pivots below its absolute eps: useless at 1e-300
    n = s.rows
    chol = mpmath.matrix(n, n)
    for j in range(n):
        pivot = s[j, j] - mpmath.fsum(chol[j, k] ** 2 for k in range(j))
        if pivot <= 0:
            raise ValueError("not positive definite at 60 digits")
        chol[j, j] = mpmath.sqrt(pivot)
        for i in range(j + 1, n):
            chol[i, j] = (s[i, j] - mpmath.fsum(chol[i, k] * chol[j, k] for k in range(j))) / chol[j, j]
    return chol


def _mp_solve_lower(chol: mpmath.matrix, rhs: mpmath.matrix) -> mpmath.matrix:
    n, k = rhs.rows, rhs.cols
    out = mpmath.matrix(n, k)
    for c in range(k):
        for i in range(n):
            out[i, c] = (rhs[i, c] - mpmath.fsum(chol[i, j] * out[j, c] for j in range(i))) / chol[i, i]
    return out


def mp_parts(m1, s1, m2, s2, dps: int = 60) -> dict[str, mpmath.mpf]:
    """KL, cross-entropy, entropy of P and the log-determinants, at ``dps`` digits.

    The KL is summed from nonnegative pieces (diagonal of ``M = L2^-1 L1``:
    ``m^2 - 1 - 2 log m``; the rest of ``M`` and ``L2^-1 (m1 - m2)``:
    squares), so 60 digits are plenty even for KL ~ 1e-24.
    """
    with mpmath.workdps(dps):
        l1, l2 = _mp_cholesky(_mp(s1)), _mp_cholesky(_mp(s2))
        d = l1.rows
        m = _mp_solve_lower(l2, l1)
        z = _mp_solve_lower(l2, _mp(m1) - _mp(m2))
        pieces = [m[i, i] ** 2 - 1 - 2 * mpmath.log(m[i, i]) for i in range(d)]
        pieces += [m[i, j] ** 2 for i in range(d) for j in range(i)]
        pieces += [z[i] ** 2 for i in range(d)]
        kl = mpmath.fsum(pieces) / 2
        logdet1 = 2 * mpmath.fsum(mpmath.log(l1[i, i]) for i in range(d))
        logdet2 = 2 * mpmath.fsum(mpmath.log(l2[i, i]) for i in range(d))
        h = d * (1 + mpmath.log(2 * mpmath.pi)) / 2 + logdet1 / 2
        return {"kl": kl, "ce": kl + h, "h": h, "logdet1": logdet1, "logdet2": logdet2}


# --------------------------------------------------------------------- bounds
def _cond(s: np.ndarray) -> float:
    s = s / np.max(np.abs(s))  # the SVD of a matrix at 1e-300 would underflow
    return float(np.linalg.cond(s))


def kl_bound(d: int, k1: float, k2: float, ref: float) -> float:
    """Relative error allowed for the KL (docs/accuracy.md)."""
    conditioning = d * EPS * (k1 + k2)
    if ref >= 1e-3 * d:
        conditioning *= 1.0 + ref**-0.5
    return max(TARGET, conditioning)


def abs_bound(value: float, terms: float, d: int, conditioning: float) -> float:
    """Absolute error allowed for the entropy and cross-entropy (they change sign)."""
    return max(TARGET * abs(value), 4 * d * EPS * (terms + conditioning))


def _check(got, ref, allowed_rel=None, allowed_abs=None, what=""):
    got = float(got)
    assert not math.isnan(got), f"{what}: NaN (reference {mpmath.nstr(ref, 17)})"
    if ref > BIG:
        assert got == math.inf, f"{what}: {got} where the true value {mpmath.nstr(ref, 5)} exceeds the float range"
        return
    assert math.isfinite(got), f"{what}: {got} where the true value is {mpmath.nstr(ref, 17)}"
    err = abs(mpmath.mpf(got) - ref)
    if allowed_abs is None:
        # below the normal range the float result has an absolute precision of 2^-1074 per rounding
        allowed_abs = max(allowed_rel * abs(ref), 16 * 2.0**-1074)
    assert err <= allowed_abs, f"{what}: {got!r} vs {mpmath.nstr(ref, 17)} (error {float(err):.3g}, allowed {allowed_abs:.3g})"


# -------------------------------------------------------------------- drawing
def _spd(rng, d: int, cond: float, scale: float) -> np.ndarray:
    """A random SPD matrix with eigenvalues spread over ``cond``, geometric mean ``scale``."""
    if d == 1:
        return np.array([[scale]])
    eig = np.exp(rng.uniform(0.0, math.log(cond), size=d))
    eig[0], eig[-1] = 1.0, cond
    q, r = np.linalg.qr(rng.standard_normal((d, d)))
    q = q * np.sign(np.diag(r))
    s = (q * (eig / math.sqrt(cond))) @ q.T
    return 0.5 * (s + s.T) * scale


def _decades(rng, lo: float, hi: float) -> float:
    return 10.0 ** rng.uniform(lo, hi)


def draw_case(rng) -> tuple[np.ndarray, ...]:
    d = int(rng.choice([1, 2, 3, 5]))
    scale = _decades(rng, -300, 300) if rng.random() < 0.5 else _decades(rng, -8, 8)
    cond1 = _decades(rng, 0, float(rng.choice([1, 4, 10])))
    s1 = _spd(rng, d, cond1, scale)
    how = rng.choice(["independent", "far apart", "near"])
    if how == "independent":
        s2 = _spd(rng, d, _decades(rng, 0, 4), scale * _decades(rng, -8, 8))
    elif how == "far apart":
        # a covariance ratio anywhere up to 1e+-300, the matrices kept inside the float range
        ratio = _decades(rng, max(-300, -300 - math.log10(scale)), min(300, 300 - math.log10(scale)))
        s2 = _spd(rng, d, _decades(rng, 0, 4), scale * ratio)
    else:
        # Q = (I + delta E) P (I + delta E)^T: positive definite whatever P's condition
        delta = _decades(rng, -12, -3)
        t = np.eye(d) + delta * rng.standard_normal((d, d))
        s2 = t @ s1 @ t.T * (1.0 + delta * rng.standard_normal())
        s2 = 0.5 * (s2 + s2.T)
    sd1, sd2 = math.sqrt(scale), math.sqrt(float(np.mean(np.diag(s2))))
    m1 = rng.standard_normal(d) * sd1 * _decades(rng, -8, 3)
    if rng.random() < 0.25:
        m2 = m1.copy()
    else:
        m2 = m1 + rng.standard_normal(d) * sd2 * _decades(rng, -12, 4)
    return m1, s1, m2, s2


def _check_case(m1, s1, m2, s2, kl, ce, h, label):
    d = s1.shape[-1]
    ref = mp_parts(m1, s1, m2, s2)
    k1, k2 = _cond(s1), _cond(s2)
    kl_ref = ref["kl"]
    assert float(kl) >= 0, f"{label}: negative KL {kl}"
    _check(kl, kl_ref, allowed_rel=kl_bound(d, k1, k2, float(kl_ref)), what=f"{label} KL")
    h_terms = 1.5 * d + abs(float(ref["logdet1"])) / 2
    _check(h, ref["h"], allowed_abs=abs_bound(float(ref["h"]), h_terms, d, k1), what=f"{label} entropy")
    if kl_ref > BIG:
        assert float(ce) == math.inf, f"{label}: cross-entropy {ce} where the KL exceeds the float range"
        return
    ce_terms = 2 * d + float(kl_ref) + abs(float(ref["logdet1"])) + abs(float(ref["logdet2"]))
    _check(ce, ref["ce"], allowed_abs=abs_bound(float(ref["ce"]), ce_terms, d, (k1 + k2) * (1 + float(kl_ref))),
           what=f"{label} cross-entropy")


# ------------------------------------------------------------- reproducers
@pytest.mark.parametrize("ratio, true", [(1e-20, "45.0517"), (1e-16, "35.8414")])
def test_issue_reproducers(ratio, true):
    eye = np.eye(2)
    got = anadiv.kl(MultivariateNormal([0, 0], ratio * eye), MultivariateNormal([0, 0], eye))
    ref = mp_parts(np.zeros(2), ratio * eye, np.zeros(2), eye)["kl"]
    assert mpmath.nstr(ref, 6) == true  # the values quoted in the issue
    _check(got, ref, allowed_rel=TARGET, what="kl")


@pytest.mark.parametrize("a, b", [(1e-300, 1.0), (1.0, 1e-300), (1e-300, 1e300), (1e300, 1e-300), (1e300, 1.0),
                                  (1e-300, 1e-300), (1e300, 1e300), (1e-308, 1e-308), (1e-150, 1e150)])
def test_extreme_scales_and_ratios(a, b):
    base = np.array([[2.0, 0.5, 0.1], [0.5, 1.0, 0.3], [0.1, 0.3, 0.7]])
    for s in (np.eye(3), base):
        for offset in (0.0, 1.0):
            m1, m2 = np.zeros(3), offset * math.sqrt(b) * np.array([1.0, -2.0, 0.5])
            p, q = MultivariateNormal(m1, a * s), MultivariateNormal(m2, b * s)
            _check_case(m1, a * s, m2, b * s, anadiv.kl(p, q), anadiv.cross_entropy(p, q), anadiv.entropy(p),
                        f"a={a} b={b} offset={offset}")


# ------------------------------------------------------------ random sweep
def _cases(seed: int, n: int) -> list[tuple[np.ndarray, ...]]:
    rng = np.random.default_rng(seed)
    return [draw_case(rng) for _ in range(n)]


@pytest.mark.parametrize("seed", range(4))
def test_random_sweep_generated_functions(seed):
    for i, (m1, s1, m2, s2) in enumerate(_cases(seed, 150)):
        _check_case(m1, s1, m2, s2, KL(m1, s1, m2, s2), CE(m1, s1, m2, s2), H(m1, s1), f"seed {seed} case {i}")


@pytest.mark.parametrize("seed", range(4, 6))
def test_random_sweep_public_api(seed):
    # validated families hand their factors to the generated code
    for i, (m1, s1, m2, s2) in enumerate(_cases(seed, 100)):
        p, q = MultivariateNormal(m1, s1), MultivariateNormal(m2, s2)
        _check_case(m1, s1, m2, s2, anadiv.kl(p, q), anadiv.cross_entropy(p, q), anadiv.entropy(p),
                    f"seed {seed} case {i}")


def test_random_sweep_lapack_loop_path(monkeypatch):
    # the BLAS loop (d >= 28 by default) forced on small matrices, as one batch per dimension
    monkeypatch.setattr(_linalg, "_LOOP_MIN_DIM", 1)
    cases = _cases(7, 120)
    for d in (1, 2, 3, 5):
        group = [c for c in cases if c[1].shape[-1] == d]
        m1, s1, m2, s2 = (np.stack([c[j] for c in group]) for j in range(4))
        kl, ce, h = KL(m1, s1, m2, s2), CE(m1, s1, m2, s2), H(m1, s1)
        for i, c in enumerate(group):
            _check_case(*c, kl[i], ce[i], h[i], f"loop d={d} case {i}")


def test_batch_mixing_near_and_far_pairs_matches_single_calls():
    cases = [c for c in _cases(8, 80) if c[1].shape[-1] == 3]
    m1, s1, m2, s2 = (np.stack([c[j] for c in cases]) for j in range(4))
    batched = KL(m1, s1, m2, s2)
    single = np.array([KL(*c) for c in cases])
    np.testing.assert_array_equal(np.isinf(batched), np.isinf(single))
    finite = np.isfinite(single)
    np.testing.assert_allclose(batched[finite], single[finite], rtol=1e-13, atol=0)


# --------------------------------------------------------- overflow, edges
def test_overflowing_solve_gives_inf_not_nan():
    # P huge, Q tiny and ill-conditioned: M = L2^-1 L1 overflows inside the triangular solve
    q = np.array([[1.0, 1.0 - 1e-9], [1.0 - 1e-9, 1.0]]) * 1e-300
    p = np.array([[1.0, -0.9], [-0.9, 1.0]]) * 1e300
    for f in (KL, CE):
        assert f(np.zeros(2), p, np.zeros(2), q) == np.inf
    # and a mean offset whose solve overflows
    assert KL(np.zeros(2), q, np.array([1e200, -1e200]), q) == np.inf


@pytest.mark.parametrize("mean, offset, scale", [(1e200, 1e190, 1e300), (1e300, 1e-300, 1e-300), (1e8, 1e-4, 1e-8),
                                                  (-1e307, 1e307, 1e300), (1e150, 1e140, 1e-300)])
def test_large_means(mean, offset, scale):
    base = np.array([[2.0, 0.5], [0.5, 1.0]])
    m1 = mean * np.array([1.0, -0.5])
    m2 = m1 + offset * np.array([1.0, 1.0])
    for s1, s2 in ((base * scale, base * scale), (base * scale, np.eye(2) * scale * 3.0)):
        p, q = MultivariateNormal(m1, s1), MultivariateNormal(m2, s2)
        _check_case(m1, s1, m2, s2, anadiv.kl(p, q), anadiv.cross_entropy(p, q), anadiv.entropy(p),
                    f"mean {mean} offset {offset} scale {scale}")


def test_nearly_singular_covariance_is_right_or_refused():
    # validated as positive definite, singular to working precision
    for gap in (1e-13, 1e-15, 1e-16):
        s = np.array([[1.0, 1.0 - gap], [1.0 - gap, 1.0]])
        try:
            p = MultivariateNormal(np.zeros(2), s)
        except ValueError as err:
            assert str(err).startswith("cov")
            continue
        q = MultivariateNormal(np.ones(2), np.eye(2))
        for a, b in ((p, q), (q, p)):
            _check_case(np.asarray(a.mean), np.asarray(a.cov), np.asarray(b.mean), np.asarray(b.cov),
                        anadiv.kl(a, b), anadiv.cross_entropy(a, b), anadiv.entropy(a), f"gap {gap}")


def test_identical_distributions_give_zero_at_every_scale():
    base = np.array([[2.0, 0.5], [0.5, 1.0]])
    for scale in (1e-300, 1e-8, 1.0, 1e8, 1e300):
        m, s = np.array([1.0, -1.0]) * math.sqrt(scale), base * scale
        assert KL(m, s, m, s) == 0.0


def test_float32_at_extreme_ratios():
    eye = np.eye(2, dtype=np.float32)
    for ratio in (1e-30, 1e-20, 1e-10, 1e10, 1e30):
        s1 = (np.float32(ratio) * eye).astype(np.float32)
        got = KL(np.zeros(2, np.float32), s1, np.zeros(2, np.float32), eye)
        assert got.dtype == np.float32
        ref = mp_parts(np.zeros(2), s1.astype(np.float64), np.zeros(2), eye.astype(np.float64))["kl"]
        _check(got, ref, allowed_rel=1e-5, what=f"float32 ratio {ratio}")


# ---------------------------------------------------------- diagonal normal
def _diag_case(rng):
    d = int(rng.choice([1, 2, 3, 5]))
    scale = _decades(rng, -8, 8)
    sc1 = scale * np.exp(rng.uniform(-2, 2, size=d))
    how = rng.choice(["independent", "near"])
    if how == "independent":
        sc2 = scale * _decades(rng, -8, 8) * np.exp(rng.uniform(-2, 2, size=d))
    else:
        sc2 = sc1 * (1.0 + _decades(rng, -12, -3) * rng.standard_normal(d))
    m1 = rng.standard_normal(d) * scale * _decades(rng, -8, 3)
    m2 = m1 + rng.standard_normal(d) * sc2 * _decades(rng, -12, 4) if rng.random() < 0.75 else m1.copy()
    return m1, sc1, m2, sc2


def test_diagonal_normal_sweep():
    rng = np.random.default_rng(12)
    for i in range(300):
        m1, sc1, m2, sc2 = _diag_case(rng)
        p, q = DiagonalNormal(m1, sc1), DiagonalNormal(m2, sc2)
        s1, s2 = np.diag(sc1**2), np.diag(sc2**2)
        # the reference takes the variances as exact: square in mpmath instead
        with mpmath.workdps(60):
            kl_ref = mpmath.fsum(
                (mpmath.mpf(a) / b) ** 2 - 1 - 2 * mpmath.log(mpmath.mpf(a) / b) + ((mpmath.mpf(x) - y) / b) ** 2
                for a, b, x, y in zip(sc1.tolist(), sc2.tolist(), m1.tolist(), m2.tolist())
            ) / 2
            h_ref = mpmath.fsum(mpmath.log(mpmath.mpf(a)) for a in sc1.tolist()) + len(sc1) * (
                1 + mpmath.log(2 * mpmath.pi)) / 2
        d = len(sc1)
        kl = anadiv.kl(p, q)
        assert float(kl) >= 0
        _check(kl, kl_ref, allowed_rel=TARGET, what=f"diagonal case {i} KL")
        h_terms = 1.5 * d + float(mpmath.fsum(abs(mpmath.log(mpmath.mpf(a))) for a in sc1.tolist()))
        _check(anadiv.entropy(p), h_ref, allowed_abs=abs_bound(float(h_ref), h_terms, d, 0.0),
               what=f"diagonal case {i} entropy")
        ce_terms = h_terms + float(kl_ref) + d + float(mpmath.fsum(abs(mpmath.log(mpmath.mpf(b))) for b in sc2.tolist()))
        _check(anadiv.cross_entropy(p, q), kl_ref + h_ref, allowed_abs=abs_bound(float(kl_ref + h_ref), ce_terms, d, 0.0),
               what=f"diagonal case {i} cross-entropy")
        assert s1.shape == s2.shape


# ------------------------------------------------------------ torch backend
def test_torch_backend_at_extreme_ratios():
    torch = pytest.importorskip("torch")
    base = np.array([[2.0, 0.5], [0.5, 1.0]])
    for ratio in (1e-300, 1e-20, 1e-16, 1.0 + 1e-9, 1e10, 1e300):
        s1 = torch.tensor(ratio * base, requires_grad=True)
        got = KL(torch.zeros(2, dtype=torch.float64), s1, torch.ones(2, dtype=torch.float64), torch.tensor(base))
        got.backward()
        ref = mp_parts(np.zeros(2), ratio * base, np.ones(2), base)["kl"]
        _check(got.item(), ref, allowed_rel=TARGET, what=f"torch ratio {ratio}")
        assert torch.all(torch.isfinite(s1.grad))


# ------------------------------------------------------------------ helpers
def test_ratio_atoms_against_mpmath():
    b = np.array([1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 3.0, 1e-160, 1e160, 1e-150, 2.0, 1e100, 1e-300])
    a = np.array([1 + 1e-12, 1 - 1e-12, 1 + 1e-6, 0.1, 0.1 + 1e-9, 0.09999, 1e-10, 10.0, 1.0, 1e160, 1e-160,
                  1e150, 2.0, 3e100, 1e-5])
    got = _linalg._ratio_atoms(a, b)
    with mpmath.workdps(60):
        for x, y, g in zip(a.tolist(), b.tolist(), got.tolist()):
            r = mpmath.mpf(x) / mpmath.mpf(y)
            ref = r**2 - 1 - 2 * mpmath.log(r)
            if ref > BIG:
                assert g == math.inf
            elif ref == 0:
                assert g == 0.0
            else:
                assert abs(g - ref) <= 4 * EPS * ref, (x, y, g, mpmath.nstr(ref, 17))
