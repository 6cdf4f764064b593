"""discrete.pairwise as a lazy Dask matrix: the same values as the numpy matrix, block by block.

The lazy path (anadiv/pairwise_dask.py) computes each block with the numpy
pairwise, so these tests check the blocking: every divergence, with and
without q, uneven blocks, the other axis, a base, labels, the mirrored
blocks of symmetric divergences, the errors (raised when computed, naming
the input), and one run on a dask.distributed LocalCluster of two worker
processes (the graph is pickled and run elsewhere, as on a real cluster).
"""

from __future__ import annotations

import numpy as np
import pytest

from anadiv.discrete import pairwise

da = pytest.importorskip("dask.array")

RULES = [
    ("kl", {}),
    ("js_divergence", {"base": 2}),
    ("js_distance", {}),
    ("cross_entropy", {}),
    ("hellinger", {}),
    ("bhattacharyya", {}),
    ("total_variation", {}),
    ("chi_square", {}),
    ("renyi", {"alpha": 2.0}),
]


@pytest.fixture(scope="module")
def dists() -> np.ndarray:
    rng = np.random.default_rng(7)
    x = rng.dirichlet(np.full(6, 0.7), size=23)
    x[3, 2] = 0.0  # a zero bin: KL to it is inf, JS stays finite
    return x / x.sum(axis=1, keepdims=True)


@pytest.mark.parametrize("name, options", RULES)
def test_lazy_matrix_equals_the_numpy_matrix(dists, name, options):
    expected = pairwise(name, dists, **options)
    lazy = pairwise(name, da.from_array(dists, chunks=(7, 6)), **options)  # uneven: 7, 7, 7, 2
    assert isinstance(lazy, da.Array) and lazy.numblocks == (4, 4)
    got = lazy.compute(scheduler="sync")
    np.testing.assert_allclose(got, expected, rtol=1e-13, atol=0)
    assert np.array_equal(np.isinf(got), np.isinf(expected))
    q = dists[:9][::-1]
    expected_q = pairwise(name, dists, q=q, **options)
    got_q = pairwise(name, dists, q=q, chunks=5, **options).compute(scheduler="sync")
    np.testing.assert_allclose(got_q, expected_q, rtol=1e-13, atol=0)


def test_symmetric_divergences_are_exactly_symmetric_with_a_zero_diagonal(dists):
    for name in ("js_divergence", "hellinger", "total_variation", "bhattacharyya"):
        m = pairwise(name, dists, chunks=4).compute(scheduler="sync")
        assert np.array_equal(m, m.T)
        assert np.all(np.diag(m) == 0.0)


def test_bins_first_axis_normalize_and_custom_callable(dists):
    counts = np.round(dists * 1000) + 1.0
    expected = pairwise("kl", counts, normalize=True)
    got = pairwise("kl", da.from_array(counts.T, chunks=(6, 5)), axis=0, normalize=True).compute(scheduler="sync")
    np.testing.assert_allclose(got, expected, rtol=1e-13)

    def l1(rows, cols):
        return np.abs(rows - cols).sum(axis=-1)

    np.testing.assert_allclose(
        pairwise(l1, dists, chunks=6).compute(scheduler="sync"), pairwise(l1, dists), rtol=1e-15
    )


def test_labelled_inputs_in_memory_are_aligned_before_blocking(dists):
    pd = pytest.importorskip("pandas")
    cols = list("abcdef")
    p = pd.DataFrame(dists[:5], columns=cols)
    q = pd.DataFrame(dists[5:9][:, ::-1], columns=cols[::-1])  # same bins, other order
    np.testing.assert_allclose(
        pairwise("kl", p, q=q, chunks=2).compute(scheduler="sync"), pairwise("kl", dists[:5], q=dists[5:9]), rtol=1e-13
    )


def test_bad_blocks_raise_when_computed_naming_the_input(dists):
    bad = dists.copy()
    bad[20, 1] = -0.1
    lazy = pairwise("js_divergence", da.from_array(bad, chunks=8))
    with pytest.raises(ValueError, match="^dists: contains negative entries"):
        lazy.compute(scheduler="sync")
    lazy_q = pairwise("kl", da.from_array(dists, chunks=8), q=da.from_array(bad, chunks=8))
    with pytest.raises(ValueError, match="^q: contains negative entries"):
        lazy_q.compute(scheduler="sync")
    with pytest.raises(ValueError, match="^dists: contains negative entries"):
        pairwise("kl", bad, chunks=8)  # in memory: checked at once


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"workers": 2}, "^workers: a lazy"),
        ({"chunks": 0}, "^chunks: must be a positive integer"),
        ({"chunks": 2.5}, "^chunks: must be a positive integer"),
        ({"chunk_size": -1}, "^chunk_size: must be a positive integer"),
        ({"q": np.full((2, 5), 0.2)}, "^q: has 5 probabilities per distribution but dists has 6"),
    ],
)
def test_bad_options_are_refused_at_once(dists, kwargs, message):
    with pytest.raises(ValueError, match=message):
        pairwise("kl", da.from_array(dists, chunks=8), **kwargs)


def test_a_local_cluster_computes_and_reduces_the_matrix(dists):
    distributed = pytest.importorskip("distributed")
    rng = np.random.default_rng(3)
    x = rng.dirichlet(np.ones(5), size=300)
    expected = pairwise("js_divergence", x)
    with distributed.LocalCluster(
        n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None, silence_logs=50
    ) as cluster, distributed.Client(cluster) as client:
        lazy = pairwise("js_divergence", da.from_array(x, chunks=64))
        nearest = (lazy + da.diag(da.full(300, np.inf, chunks=64))).min(axis=1)
        got_nearest, got_block = client.compute([nearest, lazy[100:164, 200:264]], sync=True)
    np.testing.assert_allclose(got_nearest, (expected + np.diag(np.full(300, np.inf))).min(axis=1), rtol=1e-13)
    np.testing.assert_allclose(got_block, expected[100:164, 200:264], rtol=1e-13)


def test_module_examples_run():
    import doctest

    from anadiv import pairwise_dask

    result = doctest.testmod(pairwise_dask, verbose=False)
    assert result.failed == 0 and result.attempted > 0
