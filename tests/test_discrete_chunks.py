"""anadiv.discrete in bounded memory: evaluation in slices along the batch and
the bins, pairwise tiles on the shared pool (issue 10)."""

from __future__ import annotations

import tracemalloc

import numpy as np
import pytest

import anadiv
import anadiv.discrete as discrete
from anadiv.discrete import cross_entropy, entropy, js_distance, js_divergence, kl, pairwise

TWO = {"kl": kl, "js_divergence": js_divergence, "js_distance": js_distance, "cross_entropy": cross_entropy}


def dists(rng, shape, zeros=0.0):
    x = rng.dirichlet(np.full(shape[-1], 0.7), size=shape[:-1])
    if zeros:
        x[rng.random(x.shape) < zeros] = 0.0
        x[..., 0] += x.sum(axis=-1) == 0
        x /= x.sum(axis=-1, keepdims=True)
    return x


def _longdouble_kl(p, q):
    """sum p log(p/q) - p + q (each term >= 0) in extended precision."""
    pl, ql = p.astype(np.longdouble), q.astype(np.longdouble)
    terms = ql - pl
    pos = pl > 0
    terms[pos] += pl[pos] * np.log(pl[pos] / ql[pos])
    return float(terms.sum())


def test_kl_of_millions_of_bins_needs_scratch_of_a_few_slices_only():
    # issue 10: kl over 1e8 bins peaked at 12 GB; at 8e6 bins the old code
    # allocated ~830 MB (each input is 64 MB). The slices are _TILE_ELEMENTS
    # long, so the extra memory is a constant times that, whatever the length.
    rng = np.random.default_rng(0)
    n = 8_000_000
    p, q = rng.random(n), rng.random(n)
    p[::7] = 0.0
    p /= p.sum()
    q /= q.sum()
    slice_bytes = discrete._TILE_ELEMENTS * 8
    for func in (kl, js_divergence, cross_entropy):
        tracemalloc.start()
        try:
            func(p, q)
            _, peak = tracemalloc.get_traced_memory()
        finally:
            tracemalloc.stop()
        assert peak < 24 * slice_bytes, (func.__name__, peak / 2**20)
        assert peak < p.nbytes / 2  # not a copy of an input
    tracemalloc.start()
    try:
        entropy(p)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 24 * slice_bytes
    # the partial sums are added pairwise: as accurate as one long sum of exact terms
    assert kl(p, q) == pytest.approx(_longdouble_kl(p, q), rel=8 * np.finfo(float).eps)


@pytest.mark.parametrize(
    "p_shape,q_shape",
    [
        ((1000,), (1000,)),  # one vector, longer than a slice
        ((3, 1000), (1000,)),  # rows longer than a slice, q broadcast
        ((4, 5, 40), (1, 5, 40)),  # items of the first axis too large, of the second small
        ((2, 1, 300), (3, 300)),  # size-1 axes broadcast on both sides
        ((6, 7), (6, 7)),
        ((0, 7), (7,)),
    ],
)
@pytest.mark.parametrize("name", list(TWO))
def test_slicing_gives_the_unsliced_values(monkeypatch, name, p_shape, q_shape):
    rng = np.random.default_rng(1)
    p, q = dists(rng, p_shape, 0.2), dists(rng, q_shape, 0.1)
    whole = TWO[name](p, q)  # every shape here fits one slice of the default size
    monkeypatch.setattr(discrete, "_TILE_ELEMENTS", 64)  # now every path of the slicing is taken
    sliced = TWO[name](p, q)
    assert np.shape(sliced) == np.shape(whole)
    np.testing.assert_allclose(sliced, whole, rtol=4 * np.finfo(float).eps, atol=0)
    assert np.array_equal(np.isinf(sliced), np.isinf(whole))
    if p.ndim == 1:
        assert entropy(p) == pytest.approx(float(0.0 - np.sum(discrete._xlogx(p))), rel=4e-16)


def test_slicing_along_other_axes(monkeypatch):
    rng = np.random.default_rng(2)
    p, q = dists(rng, (5, 300), 0.2), dists(rng, (5, 300))
    whole = kl(p.T, q.T, axis=0)
    monkeypatch.setattr(discrete, "_TILE_ELEMENTS", 50)
    np.testing.assert_allclose(kl(p.T, q.T, axis=0), whole, rtol=4e-16, atol=0)
    np.testing.assert_allclose(entropy(p.T, axis=0), entropy(p), rtol=4e-16, atol=0)


def test_an_infinite_kl_in_any_slice_makes_the_sum_infinite(monkeypatch):
    monkeypatch.setattr(discrete, "_TILE_ELEMENTS", 16)
    p = np.full(100, 0.01)
    q = np.full(100, 0.01)
    q[77], q[78] = 0.0, 0.02
    assert kl(p, q) == np.inf
    assert cross_entropy(p, q) == np.inf
    assert np.isfinite(js_divergence(p, q))


def test_checks_still_name_the_argument_and_sum():
    big = np.full(300_000, 1 / 300_000)
    bad = big.copy()
    bad[123_456] = np.nan
    with pytest.raises(ValueError, match=r"^q: contains NaN"):
        kl(big, bad)
    bad[123_456] = -1e-9
    with pytest.raises(ValueError, match=r"^q: contains negative entries \(smallest -1e-09\)"):
        kl(big, bad)
    bad[123_456] = np.inf
    with pytest.raises(ValueError, match=r"^p: contains inf"):
        js_divergence(bad, big)
    with pytest.raises(ValueError, match=r"^p: does not sum to 1"):
        kl(big * 2, big)
    assert kl(big * 2, big, normalize=True) == 0.0


# ---------------------------------------------------------------- pairwise


def test_pairwise_chunk_size_larger_than_the_set_is_capped():
    # issue 10: chunk_size above N sized the scratch buffers by chunk_size**2 * bins
    rng = np.random.default_rng(3)
    x = dists(rng, (5, 4), 0.2)
    tracemalloc.start()
    try:
        matrix = pairwise("kl", x, chunk_size=10**9)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 2**20
    np.testing.assert_array_equal(matrix, pairwise("kl", x))
    y = dists(rng, (40, 4))
    np.testing.assert_array_equal(pairwise("js_distance", x, q=y, chunk_size=10**6), pairwise("js_distance", x, q=y))


def test_pairwise_uses_the_shared_pool_and_its_thread_count(monkeypatch):
    from anadiv.numeric import threads as _threads
    calls = []
    original = _threads.run_parts

    def recording(fn, n, min_part=1, *, threads=None):
        out = original(fn, n, min_part, threads=threads)
        calls.append((threads, len(out)))
        return out

    monkeypatch.setattr(_threads, "run_parts", recording)
    rng = np.random.default_rng(4)
    x = dists(rng, (60, 16))
    try:
        anadiv.set_num_threads(1)
        one = pairwise("js_divergence", x, chunk_size=8)
        assert calls[-1] == (1, 1)
        anadiv.set_num_threads(3)
        three = pairwise("js_divergence", x, chunk_size=8)
        assert calls[-1] == (3, 3)
        two = pairwise("js_divergence", x, chunk_size=8, workers=2)
        assert calls[-1] == (2, 2)
    finally:
        anadiv.set_num_threads(None)
    np.testing.assert_array_equal(one, three)
    np.testing.assert_array_equal(one, two)
