"""Every code path of the multivariate-normal linear algebra against the textbook formula.

``anadiv.numeric.linalg`` computes the same quantities several ways: numpy's batched
routines (many small matrices), a loop over LAPACK/BLAS called through
``anadiv.numeric.blas`` (split across threads, blocked triangular solve), the
scipy.linalg.lapack loop it falls back to, and factors remembered from a
validated ``MultivariateNormal``. Each is checked here against

    KL = 1/2 (tr(S2^-1 S1) - d + log det S2 - log det S1 + (m1-m2)^T S2^-1 (m1-m2))

evaluated with plain numpy (``solve`` and ``slogdet``, matrix by matrix) on
well-conditioned matrices, and against each other, at rtol 1e-12.

Budget: about 2 s (1.3 s measured on 2 cores).
"""

from __future__ import annotations

import gc
import sys
import threading

import numpy as np
import pytest

import anadiv
from anadiv import MultivariateNormal
from anadiv.numeric import blas as _blas
from anadiv.numeric import blas_threads as _blas_threads
from anadiv.numeric import linalg as _linalg
from anadiv.numeric import threads as _threads

KL = anadiv.kl_function("multivariate_normal", "multivariate_normal")
XENT = anadiv.cross_entropy_function("multivariate_normal", "multivariate_normal")
ENT = anadiv.entropy_function("multivariate_normal")
RTOL = 1e-12


def spd(rng: np.random.Generator, shape: tuple[int, ...], d: int, dtype=np.float64) -> np.ndarray:
    a = rng.standard_normal(shape + (d, d)) / np.sqrt(d)
    s = a @ np.swapaxes(a, -1, -2) + 0.5 * np.eye(d)
    return (0.5 * (s + np.swapaxes(s, -1, -2))).astype(dtype)


def textbook_kl(m1, s1, m2, s2) -> np.ndarray:
    batch = np.broadcast_shapes(np.shape(m1)[:-1], np.shape(s1)[:-2], np.shape(m2)[:-1], np.shape(s2)[:-2])
    d = np.shape(s1)[-1]
    m1, m2 = (np.broadcast_to(m, batch + (d,)).reshape(-1, d) for m in (m1, m2))
    s1, s2 = (np.broadcast_to(s, batch + (d, d)).reshape(-1, d, d) for s in (s1, s2))
    out = []
    for a, sa, b, sb in zip(m1, s1, m2, s2):
        diff = a - b
        tr = np.trace(np.linalg.solve(sb, sa))
        maha = diff @ np.linalg.solve(sb, diff)
        out.append(0.5 * (tr - d + np.linalg.slogdet(sb)[1] - np.linalg.slogdet(sa)[1] + maha))
    return np.array(out).reshape(batch)


def textbook_cross_entropy(m1, s1, m2, s2) -> np.ndarray:
    d = np.shape(s1)[-1]
    return textbook_kl(m1, s1, m2, s2) + 0.5 * (d * np.log(2 * np.pi * np.e) + np.linalg.slogdet(s1)[1])


@pytest.fixture
def rng() -> np.random.Generator:
    return np.random.default_rng(20261122)


@pytest.fixture
def split_small(monkeypatch):
    """Split even tiny batches across 3 threads and record how many parts each split used."""
    monkeypatch.setattr(_linalg, "_MIN_PART_FLOPS", 1.0)
    parts: list[int] = []
    original = _threads.run_parts

    def recording(fn, n, min_part=1):
        out = original(fn, n, min_part)
        parts.append(len(out))
        return out

    monkeypatch.setattr(_threads, "run_parts", recording)
    _threads.set_num_threads(3)
    yield parts
    _threads.set_num_threads(None)


def _slow_paths(monkeypatch, which: str) -> None:
    if which == "lapack-f2py":  # the scipy.linalg.lapack loop
        monkeypatch.setattr(_blas, "routines", lambda dtype: None)
    elif which == "numpy-batched":
        monkeypatch.setattr(_linalg, "_LOOP_MIN_DIM", 10**9)


# ------------------------------------------------------------------ loop path
@pytest.mark.parametrize("n", [1, 2, 5, 7, 11])
def test_threaded_loop_matches_textbook_uneven_batches(rng, split_small, n):
    d = 30
    m1, m2 = rng.normal(size=(2, n, d))
    s1, s2 = spd(rng, (n,), d), spd(rng, (n,), d)
    got = KL(m1, s1, m2, s2)
    np.testing.assert_allclose(got, textbook_kl(m1, s1, m2, s2), rtol=RTOL)
    if n >= 2:
        assert max(split_small) == min(3, n)  # the batch really was split, unevenly for 5, 7, 11


@pytest.mark.parametrize("block", [7, 13, 50])
def test_blocked_solve_matches_textbook(rng, monkeypatch, block):
    monkeypatch.setattr(_linalg, "_BLOCK", block)
    d, n = 61, 3
    m1, m2 = rng.normal(size=(2, n, d))
    s1, s2 = spd(rng, (n,), d), spd(rng, (n,), d)
    monkeypatch.setattr(_linalg, "_MAX_BLOCKS", 100)
    edges = _linalg._block_edges(d)
    assert edges[0] == 0 and edges[-1] == d and all(a < b for a, b in zip(edges, edges[1:]))
    assert len(edges) - 1 == {7: 8, 13: 5, 50: 1}[block]  # corners on multiples of 8
    np.testing.assert_allclose(KL(m1, s1, m2, s2), textbook_kl(m1, s1, m2, s2), rtol=RTOL)
    np.testing.assert_allclose(XENT(m1, s1, m2, s2), textbook_cross_entropy(m1, s1, m2, s2), rtol=RTOL)


def test_cholesky_reads_the_lower_triangle_like_numpy(rng, split_small):
    d, n = 40, 5
    s = spd(rng, (n,), d)
    s[:, 0, 1:] = 1e6  # the strict upper triangle is never read
    got = _linalg.cholesky(s)
    np.testing.assert_allclose(got, np.linalg.cholesky(s), rtol=RTOL, atol=1e-15)
    assert np.all(np.triu(got, 1) == 0)
    assert got.dtype == np.float64 and got.flags.c_contiguous


def test_whitened_parts_match_the_explicit_matrix(rng, split_small):
    d, n = 40, 4
    l1 = np.linalg.cholesky(spd(rng, (n,), d))
    l2 = np.linalg.cholesky(spd(rng, (n,), d))
    diag, off = _linalg._whitened(l2, l1)
    m = np.linalg.solve(l2, l1)
    np.testing.assert_allclose(diag, np.diagonal(m, axis1=-2, axis2=-1), rtol=RTOL)
    np.testing.assert_allclose(off, np.sum(np.tril(m, -1) ** 2, axis=(-2, -1)), rtol=RTOL)
    np.testing.assert_allclose(_linalg.trace_solve(l2, l1), np.sum(m * m, axis=(-2, -1)), rtol=RTOL)


@pytest.mark.parametrize("k", [1, 3])
def test_solve_lower_loop_broadcasts(rng, split_small, k):
    d = 33
    chol = np.linalg.cholesky(spd(rng, (), d))  # one factor for every right-hand side
    rhs = rng.normal(size=(6, d, k))
    got = _linalg.solve_lower(chol, rhs)
    np.testing.assert_allclose(got, np.linalg.solve(chol, rhs), rtol=1e-11, atol=1e-13)
    assert _linalg.solve_lower(chol, rhs[..., :0]).shape == (6, d, 0)


@pytest.mark.parametrize("which", ["lapack-f2py", "numpy-batched"])
def test_loop_path_equals_the_slow_paths(rng, monkeypatch, which):
    d, n = 45, 6
    m1, m2 = rng.normal(size=(2, n, d))
    s1, s2 = spd(rng, (n,), d), spd(rng, (n,), d)
    fast = (KL(m1, s1, m2, s2), XENT(m1, s1, m2, s2), ENT(m1, s1), _linalg.cholesky(s1))
    _slow_paths(monkeypatch, which)
    slow = (KL(m1, s1, m2, s2), XENT(m1, s1, m2, s2), ENT(m1, s1), _linalg.cholesky(s1))
    for a, b in zip(fast, slow):
        np.testing.assert_allclose(a, b, rtol=RTOL, atol=1e-15)
    np.testing.assert_allclose(fast[0], textbook_kl(m1, s1, m2, s2), rtol=RTOL)


def test_large_batches_take_the_loop(rng, monkeypatch):
    d, n = 28, 600  # beyond the scipy.linalg.lapack loop's batch limit
    assert _linalg._use_loop((n,), d)
    m1, m2 = rng.normal(size=(2, n, d))
    s1, s2 = spd(rng, (n,), d), spd(rng, (n,), d)
    got = KL(m1, s1, m2, s2)
    np.testing.assert_allclose(got, textbook_kl(m1, s1, m2, s2), rtol=RTOL)
    monkeypatch.setattr(_blas, "routines", lambda dtype: None)
    assert not _linalg._use_loop((n,), d)
    np.testing.assert_allclose(KL(m1, s1, m2, s2), got, rtol=RTOL)


def test_one_thread_equals_threaded(rng, monkeypatch):
    d, n = 50, 9
    m1, m2 = rng.normal(size=(2, n, d))
    s1, s2 = spd(rng, (n,), d), spd(rng, (n,), d)
    monkeypatch.setattr(_linalg, "_MIN_PART_FLOPS", 1.0)
    threaded = KL(m1, s1, m2, s2)
    anadiv.set_num_threads(1)
    try:
        single = KL(m1, s1, m2, s2)
    finally:
        anadiv.set_num_threads(None)
    np.testing.assert_allclose(threaded, single, rtol=RTOL)
    monkeypatch.setattr(_blas_threads, "can_split", lambda: False)  # a BLAS whose threads cannot be set
    np.testing.assert_allclose(KL(m1, s1, m2, s2), single, rtol=RTOL)


@pytest.mark.parametrize(
    "shape1, shape2",
    [((), (5,)), ((5,), ()), ((2, 1), (3,)), ((4,), (4,))],
)
def test_broadcasting_batches(rng, split_small, shape1, shape2):
    d = 30
    m1, m2 = rng.normal(size=shape1 + (d,)), rng.normal(size=(d,))
    s1, s2 = spd(rng, shape1, d), spd(rng, shape2, d)
    got = KL(m1, s1, m2, s2)
    expected = textbook_kl(m1, s1, m2, s2)
    assert got.shape == expected.shape == np.broadcast_shapes(shape1, shape2)
    np.testing.assert_allclose(got, expected, rtol=RTOL)


def test_float32_stays_float32(rng, split_small):
    d, n = 30, 5
    m1, m2 = rng.normal(size=(2, n, d))
    s1, s2 = spd(rng, (n,), d), spd(rng, (n,), d)
    args32 = [a.astype(np.float32) for a in (m1, s1, m2, s2)]
    got = KL(*args32)
    assert got.dtype == np.float32
    assert _linalg.cholesky(args32[1]).dtype == np.float32
    # float32 inputs, float64 arithmetic on them: the float32 result is within float32 round-off
    exact = textbook_kl(*(a.astype(np.float64) for a in args32))
    np.testing.assert_allclose(got, exact, rtol=2e-4)
    mixed = KL(args32[0], args32[1], m2, s2)  # float32 P, float64 Q: float64
    assert mixed.dtype == np.float64


def test_near_equal_covariances_keep_the_eigenvalue_recomputation(rng, split_small):
    d, n = 30, 4
    s1 = spd(rng, (n,), d)
    eps = 1e-7
    bump = eps * np.eye(d)
    s2 = s1 + bump  # KL = 1/2 sum(e - log1p(e)) with e the eigenvalues of -eps S2^-1
    mean = np.zeros(d)
    got = KL(mean, s1, mean, s2)
    e = np.linalg.eigvalsh(-eps * np.linalg.inv(s2))
    expected = 0.5 * np.sum(e * e / 2 - e**3 / 3 + e**4 / 4, axis=-1)
    np.testing.assert_allclose(got, expected, rtol=1e-8)
    assert np.all(got > 0)


@pytest.mark.parametrize("which, name", [(0, "cov_1"), (1, "cov_2")])
def test_not_positive_definite_names_the_argument_from_a_worker(rng, split_small, which, name):
    d, n = 28, 6
    covs = [spd(rng, (n,), d), spd(rng, (n,), d)]
    covs[which][-1] = -np.eye(d)  # the last matrix: in the part a worker thread runs
    m = np.zeros((n, d))
    with pytest.raises(ValueError, match=f"^{name}: must be positive definite"):
        KL(m, covs[0], m, covs[1])


def _blas_thread_counts() -> list[int]:
    """The thread count of every BLAS library loaded (numpy's and scipy's), as threadpoolctl reads it."""
    return [lib["num_threads"] for lib in _blas_threads.blas_libraries()]


def test_without_threadpoolctl_batches_run_on_one_anadiv_thread(rng, monkeypatch):
    monkeypatch.setitem(sys.modules, "threadpoolctl", None)  # the import fails
    _blas_threads._controller.cache_clear()
    try:
        assert not _blas_threads.can_split()
        assert _blas_threads.blas_libraries() == []
        with _blas_threads.one_blas_thread():
            pass
        d, n = 30, 6
        s = spd(rng, (n,), d)
        np.testing.assert_allclose(_linalg.cholesky(s), np.linalg.cholesky(s), rtol=1e-12, atol=1e-12)
    finally:
        _blas_threads._controller.cache_clear()


def test_blas_thread_count_is_restored(rng, monkeypatch):
    if not _blas_threads.can_split():
        pytest.skip("threadpoolctl is not installed (extra 'threads')")
    before = _blas_thread_counts()
    monkeypatch.setattr(_linalg, "_MIN_PART_FLOPS", 1.0)
    d, n = 30, 8
    s = spd(rng, (n,), d)
    seen: list[int] = []
    errors: list[BaseException] = []

    def work() -> None:
        try:
            for _ in range(20):
                _linalg.cholesky(s)
                seen.append(_blas_threads._active)
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=work) for _ in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    assert _blas_threads._active == 0
    assert _blas_thread_counts() == before


def test_blas_runs_on_one_thread_while_split_or_when_anadiv_has_one(rng, monkeypatch):
    if not _blas_threads.can_split():
        pytest.skip("threadpoolctl is not installed (extra 'threads')")
    seen: list[list[int]] = []
    original = _blas.Routines.solver

    def spying_solver(self, *sizes):
        solve = original(self, *sizes)

        def spy(a, b):
            seen.append(_blas_thread_counts())
            solve(a, b)

        return spy

    monkeypatch.setattr(_blas.Routines, "solver", spying_solver)
    monkeypatch.setattr(_linalg, "_MIN_PART_FLOPS", 1.0)
    d = 30
    chol = np.linalg.cholesky(spd(rng, (4,), d))
    rhs = rng.normal(size=(4, d, 2))
    _linalg.solve_lower(chol, rhs)  # split: one BLAS thread per worker
    assert seen and all(counts == [1] * len(counts) for counts in seen)
    seen.clear()
    anadiv.set_num_threads(1)
    try:
        _linalg.solve_lower(chol[0], rhs[0])
    finally:
        anadiv.set_num_threads(None)
    assert seen and all(counts == [1] * len(counts) for counts in seen)


# --------------------------------------------------------------- factor reuse
def test_validated_family_reuses_its_factor(rng, monkeypatch):
    d, n = 40, 3
    m1, m2 = rng.normal(size=(2, n, d))
    s1, s2 = spd(rng, (n,), d), spd(rng, (n,), d)
    p, q = MultivariateNormal(m1, s1), MultivariateNormal(m2, s2)
    expected = KL(m1, s1, m2, s2)

    def no_factoring(*args, **kwargs):
        raise AssertionError("factored again")

    monkeypatch.setattr(_linalg, "_cholesky_blas", no_factoring)
    monkeypatch.setattr(_linalg, "_cholesky_f2py", no_factoring)
    monkeypatch.setattr(np.linalg, "cholesky", no_factoring)
    np.testing.assert_array_equal(anadiv.kl(p, q), expected)
    np.testing.assert_allclose(anadiv.kl(p, q), textbook_kl(m1, s1, m2, s2), rtol=RTOL)
    np.testing.assert_allclose(anadiv.cross_entropy(p, q), textbook_cross_entropy(m1, s1, m2, s2), rtol=RTOL)
    x = rng.normal(size=(n, d))
    p.logpdf(x)
    p.sample(2, rng=0)


def test_in_place_changes_after_construction_are_harmless(rng):
    d = 30
    s1, s2 = spd(rng, (2,), d), spd(rng, (2,), d)
    mean = np.zeros(d)
    original = s1.copy()
    p, q = MultivariateNormal(mean, s1), MultivariateNormal(mean, s2)
    first = anadiv.kl(p, q)
    s1 *= 3.0  # the caller's array changes ...
    s1[0] = -np.eye(d)
    np.testing.assert_array_equal(anadiv.kl(p, q), first)  # ... the distribution does not
    np.testing.assert_array_equal(p.cov, original)
    np.testing.assert_allclose(first, textbook_kl(mean, original, mean, s2), rtol=RTOL)
    # the private copy cannot be made writable again, nor can its base
    assert not p.cov.flags.writeable
    with pytest.raises(ValueError):
        p.cov[0, 0, 0] = 1.0
    with pytest.raises(ValueError):
        p.cov.flags.writeable = True
    with pytest.raises(ValueError):
        p.cov.base.flags.writeable = True
    factor = _linalg.cholesky(p.cov)
    assert not factor.flags.writeable
    # a new distribution from the changed array sees the change
    with pytest.raises(ValueError, match="^cov: must be positive definite"):
        MultivariateNormal(mean, s1)


def test_validate_false_uses_the_live_array(rng):
    d = 30
    s1, s2 = spd(rng, (2,), d), spd(rng, (2,), d)
    mean = np.zeros(d)
    p, q = MultivariateNormal(mean, s1, validate=False), MultivariateNormal(mean, s2, validate=False)
    assert p.cov is s1
    before = anadiv.kl(p, q, validate=False)
    s1 *= 2.0
    after = anadiv.kl(p, q, validate=False)
    np.testing.assert_allclose(after, textbook_kl(mean, s1, mean, s2), rtol=RTOL)
    assert not np.allclose(before, after)


def test_equal_copies_are_not_confused(rng):
    """A remembered factor belongs to one array object: equal data or a view gets its own."""
    d = 30
    s = spd(rng, (), d)
    frozen, chol = _linalg.factored_copy(s)
    assert _linalg.cholesky(frozen) is chol
    assert _linalg.cholesky(frozen.copy()) is not chol
    assert _linalg.cholesky(frozen[...]) is not chol
    np.testing.assert_allclose(_linalg.cholesky(frozen.copy()), chol, rtol=RTOL)


def test_remembered_factors_are_released(rng):
    d = 30
    gc.collect()
    before = len(_linalg._FACTORS)
    dists = [MultivariateNormal(np.zeros(d), spd(rng, (), d)) for _ in range(5)]
    assert len(_linalg._FACTORS) == before + 5
    del dists
    gc.collect()
    assert len(_linalg._FACTORS) == before


def test_symmetry_check_in_parts(rng, monkeypatch):
    from anadiv import constraints

    monkeypatch.setattr(constraints, "_MIN_PART_ENTRIES", 1)
    _threads.set_num_threads(3)
    try:
        d, n = 25, 7
        s = spd(rng, (n,), d)
        s[-1, 0, 1] += 1e-3  # asymmetric matrix in the last part
        with pytest.raises(ValueError, match=r"^cov: must be symmetric \(max \|cov - cov.T\| = 0.001\)"):
            MultivariateNormal(np.zeros(d), s)
        s[-1, 0, 1] -= 1e-3
        s[-1, 0, 1] *= 1 + 1e-12  # round-off asymmetry is accepted
        MultivariateNormal(np.zeros(d), s)
    finally:
        _threads.set_num_threads(None)


def test_blas_threads_example_runs():
    import doctest

    result = doctest.testmod(_blas_threads, verbose=False)
    assert result.failed == 0 and result.attempted > 0
