"""Exact k-nearest-neighbour search (anadiv.estimators.neighbours) against a brute-force numpy reference.

Budget: about 2 s. Speed and memory at scale are measured in benchmarks/bench_knn.py.
"""

from __future__ import annotations

import doctest
import re
from pathlib import Path

import numpy as np
import pytest

import anadiv
from anadiv.estimators import neighbours
from anadiv.estimators.neighbours import NeighbourIndex

METHODS = ("kdtree", "brute")


def reference(points: np.ndarray, queries: np.ndarray, k: int, exclude_self: bool) -> tuple[np.ndarray, np.ndarray]:
    """All pairwise distances as differences then norms; ties broken by the lower index."""
    dist = np.sqrt(((queries[:, None, :] - points[None, :, :]) ** 2).sum(axis=-1))
    if exclude_self:
        dist[np.arange(len(queries)), np.arange(len(queries))] = np.inf
    cols = np.broadcast_to(np.arange(len(points)), dist.shape)
    order = np.lexsort((cols, dist), axis=-1)[:, :k]
    return np.take_along_axis(dist, order, axis=1), order


def check_valid(points, queries, k, exclude_self, dist, idx) -> None:
    """The answer of any correct search: the reference distances, and indices that realise them."""
    ref_dist, ref_idx = reference(points, queries, k, exclude_self)
    assert dist.shape == idx.shape == (len(queries), k)
    assert dist.dtype == np.float64 and idx.dtype == np.int64
    np.testing.assert_allclose(dist, ref_dist, rtol=1e-14, atol=0)
    np.testing.assert_allclose(np.sqrt(((queries[:, None, :] - points[idx]) ** 2).sum(-1)), dist, rtol=1e-14, atol=0)
    assert all(len(set(row)) == k for row in idx.tolist())  # no point twice
    if exclude_self:
        assert not (idx == np.arange(len(queries))[:, None]).any()


@pytest.mark.parametrize("method", METHODS)
@pytest.mark.parametrize("d", [1, 3, 20])
def test_matches_reference_with_rounded_data(method: str, d: int) -> None:
    rng = np.random.default_rng(d)
    points = np.round(rng.normal(size=(240, d)), 1)  # many ties, and duplicates in low dimension
    queries = np.round(rng.normal(size=(60, d)), 1)
    index = NeighbourIndex(points, method=method)
    assert index.method == method and (index.n, index.d) == (240, d)
    for k in range(1, 5):
        for q, exclude in ((queries, False), (points, True)):
            dist, idx = index.query(q, k, exclude_self=exclude)
            check_valid(points, q, k, exclude, dist, idx)


@pytest.mark.parametrize("d", [1, 3, 20])
def test_brute_force_breaks_exact_ties_by_the_lower_index(d: int) -> None:
    # small integers: every difference and square is exact, so equal distances are equal floats
    rng = np.random.default_rng(10 + d)
    points = np.round(2 * rng.normal(size=(240, d)))
    index = NeighbourIndex(points, method="brute")
    for k in (1, 4):
        for q, exclude in ((points[::-3], False), (points, True)):
            dist, idx = index.query(q, k, exclude_self=exclude)
            ref_dist, ref_idx = reference(points, q, k, exclude)
            np.testing.assert_array_equal(dist, ref_dist)
            np.testing.assert_array_equal(idx, ref_idx)


@pytest.mark.parametrize("method", METHODS)
def test_exclude_self_keeps_duplicates_at_exactly_zero(method: str) -> None:
    # 5 distinct points, 40 copies each, shuffled: self is one of 40 ties at 0.0,
    # so it need not come first, nor among the k + 1 the tree returns
    rng = np.random.default_rng(0)
    points = rng.permutation(np.repeat(rng.normal(size=(5, 2)), 40, axis=0))
    index = NeighbourIndex(points, method=method)
    for k in (1, 4, 39):
        dist, idx = index.query(points, k, exclude_self=True)
        assert (dist == 0.0).all()
        assert not (idx == np.arange(200)[:, None]).any()
        assert (points[idx] == points[:, None, :]).all()
        assert all(len(set(row)) == k for row in idx.tolist())
    # the 40th neighbour of a point is the nearest other cluster
    dist, idx = index.query(points, 40, exclude_self=True)
    assert (dist[:, :39] == 0.0).all() and (dist[:, 39] > 0).all()
    check_valid(points, points, 40, True, dist, idx)


@pytest.mark.parametrize("method", METHODS)
@pytest.mark.parametrize("spread", [0.0, 1e6])
def test_near_duplicates_far_from_the_origin_are_exact(method: str, spread: float) -> None:
    # pairs 2^-10 apart (relative 1e-9) near 1e6, where that sum is exact: the
    # distance is exactly 2^-10. spread puts a mirror cluster at -1e6, so the
    # centring cannot remove the offset and the rounding bound must send the
    # rows to the exact recomputation of every point it cannot exclude.
    rng = np.random.default_rng(1)
    base = 1e6 + rng.uniform(0, 1, size=(100, 3))
    twins = base + np.array([2.0**-10, 0.0, 0.0])
    points = np.concatenate([base, twins] + ([-base] if spread else []))
    index = NeighbourIndex(points, method=method)
    dist, idx = index.query(points, 1, exclude_self=True)
    assert (dist[:200, 0] == 2.0**-10).all()
    np.testing.assert_array_equal(idx[:200, 0], np.r_[np.arange(100, 200), np.arange(100)])
    # the textbook expansion cannot tell these distances from zero
    naive = np.einsum("ij,ij->i", base, base) + np.einsum("ij,ij->i", twins, twins) - 2 * np.einsum("ij,ij->i", base, twins)
    assert np.abs(np.sqrt(np.abs(naive)) / 2.0**-10 - 1).max() > 0.1


@pytest.mark.parametrize("method", METHODS)
def test_chunks_respect_chunk_size_and_match_query(method: str, monkeypatch: pytest.MonkeyPatch) -> None:
    rng = np.random.default_rng(2)
    points, queries = rng.normal(size=(150, 3)), rng.normal(size=(53, 3))
    # brute force's internal blocks of 3 rows (the memory bound), across threads
    monkeypatch.setattr(neighbours, "_BLOCK_BYTES", 17 * 150 * 3 * 2)
    index = NeighbourIndex(points, method=method, workers=2)
    for exclude, q in ((False, queries), (True, points)):
        dist, idx = index.query(q, 3, exclude_self=exclude)
        blocks = list(index.chunks(q, 3, exclude_self=exclude, chunk_size=7))
        assert [b[0] for b in blocks] == list(range(0, len(q), 7))
        assert all(len(b[1]) == min(7, len(q) - b[0]) for b in blocks)
        np.testing.assert_array_equal(np.concatenate([b[1] for b in blocks]), dist)
        np.testing.assert_array_equal(np.concatenate([b[2] for b in blocks]), idx)
        check_valid(points, q, 3, exclude, dist, idx)
    # the default block holds all of a small query set
    assert len(list(index.chunks(queries, 3))) == 1


@pytest.mark.parametrize("method", METHODS)
def test_dask_streaming_equals_numpy(method: str) -> None:
    da = pytest.importorskip("dask.array")
    rng = np.random.default_rng(3)
    points = np.round(rng.normal(size=(1000, 3)), 2)
    index = NeighbourIndex(da.from_array(points, chunks=(300, 2)), method=method)  # computed once
    np.testing.assert_array_equal(index.points, points)
    lazy = da.from_array(points, chunks=((100, 250, 0, 333, 317), (2, 1)))
    for exclude in (False, True):
        dist, idx = index.query(points, 2, exclude_self=exclude)
        blocks = list(index.chunks(lazy, 2, exclude_self=exclude, chunk_size=200))
        assert [b[0] for b in blocks] == [0, 100, 300, 350, 550, 683, 883]
        np.testing.assert_array_equal(np.concatenate([b[1] for b in blocks]), dist)
        np.testing.assert_array_equal(np.concatenate([b[2] for b in blocks]), idx)
        lazy_dist, lazy_idx = index.query(lazy, 2, exclude_self=exclude)
        np.testing.assert_array_equal(lazy_dist, dist)
        np.testing.assert_array_equal(lazy_idx, idx)
    one_d = NeighbourIndex(points[:, 0], method=method)
    np.testing.assert_array_equal(one_d.query(da.from_array(points[:, 0], chunks=400), 1)[0],
                                  one_d.query(points[:, 0], 1)[0])


def test_bad_input_names_the_argument() -> None:
    points = np.arange(12.0).reshape(6, 2)
    index = NeighbourIndex(points)
    for k in (0, 1.5, "2", True, None):
        with pytest.raises(ValueError, match="^k: must be an integer"):
            index.query(points, k)
    with pytest.raises(ValueError, match=r"^k: must be at most 6 \(6 reference points\), got 7"):
        index.query(points, 7)
    with pytest.raises(ValueError, match=r"^k: must be at most 5 .*less the query itself"):
        index.chunks(points, 6, exclude_self=True)  # checked at the call, not at the first block
    with pytest.raises(ValueError, match="^queries: samples have dimension 3, but points has dimension 2"):
        index.query(np.zeros((4, 3)), 1)
    with pytest.raises(ValueError, match="^queries: samples must be finite"):
        index.query([[0.0, np.nan]], 1)
    with pytest.raises(ValueError, match="^queries: exclude_self=True needs the queries to be the reference"):
        index.query(points[::-1], 1, exclude_self=True)
    with pytest.raises(ValueError, match="^queries: exclude_self=True"):
        index.query(points[:5], 1, exclude_self=True)
    with pytest.raises(ValueError, match="^points: samples must be finite"):
        NeighbourIndex([[0.0, np.inf], [1.0, 1.0]])
    with pytest.raises(ValueError, match="^method: must be one of 'auto', 'kdtree', 'brute'"):
        NeighbourIndex(points, method="ball_tree")
    for workers in (0, -2, 1.5, True, "2"):
        with pytest.raises(ValueError, match="^workers: must be None, -1"):
            NeighbourIndex(points, workers=workers)
    with pytest.raises(ValueError, match="^chunk_size: must be an integer >= 1"):
        index.chunks(points, 1, chunk_size=0)


def test_dask_queries_not_the_reference_are_refused() -> None:
    da = pytest.importorskip("dask.array")
    points = np.arange(20.0).reshape(10, 2)
    index = NeighbourIndex(points)
    with pytest.raises(ValueError, match="^queries: exclude_self=True"):
        list(index.chunks(da.from_array(points[:8], chunks=4), 1, exclude_self=True))
    with pytest.raises(ValueError, match="^queries: samples have dimension 1"):
        list(index.chunks(da.from_array(points[:, 0], chunks=4), 1))


def test_auto_follows_the_measured_crossover() -> None:
    rng = np.random.default_rng(4)
    below, at = neighbours.BRUTE_FROM_DIM - 1, neighbours.BRUTE_FROM_DIM
    assert NeighbourIndex(rng.normal(size=(5, below))).method == "kdtree"
    assert NeighbourIndex(rng.normal(size=(5, at))).method == "brute"


class _Recorder:
    """Stands in for the cKDTree and records the ``workers`` it is asked for."""

    def __init__(self, tree) -> None:
        self.tree, self.workers = tree, []

    def query(self, q, k, workers):
        self.workers.append(workers)
        return self.tree.query(q, k=k, workers=workers)


def test_workers_follow_set_num_threads(monkeypatch: pytest.MonkeyPatch) -> None:
    rng = np.random.default_rng(5)
    points = rng.normal(size=(300, 3))
    tree_index = NeighbourIndex(points, method="kdtree")
    tree_index._backend.tree = recorder = _Recorder(tree_index._backend.tree)
    brute_index = NeighbourIndex(points, method="brute")
    split_threads = []
    real_run_chunks = neighbours.run_chunks
    monkeypatch.setattr(neighbours, "run_chunks",
                        lambda *a, threads, **kw: split_threads.append(threads) or real_run_chunks(*a, threads=threads, **kw))
    monkeypatch.setattr(neighbours, "_BLOCK_BYTES", 17 * 300 * 10)  # several blocks, so they can be split
    previous = anadiv.get_num_threads()
    try:
        anadiv.set_num_threads(2)
        many = [ix.query(points, 3, exclude_self=True) for ix in (tree_index, brute_index)]
        anadiv.set_num_threads(1)
        one = [ix.query(points, 3, exclude_self=True) for ix in (tree_index, brute_index)]
    finally:
        anadiv.set_num_threads(previous)
    assert recorder.workers == [2, 1]
    assert split_threads == ([2] if neighbours.blas_threads.can_split() else [])
    for (d2, i2), (d1, i1) in zip(many, one):
        np.testing.assert_array_equal(d2, d1)
        np.testing.assert_array_equal(i2, i1)
    assert NeighbourIndex(points, workers=1).workers == 1
    assert NeighbourIndex(points, workers=-1).workers >= 1


def test_docstring_examples_run() -> None:
    failures, tried = doctest.testmod(neighbours, verbose=False)
    assert tried >= 8 and failures == 0


def test_data_page_example_runs() -> None:
    pytest.importorskip("dask.array")
    page = (Path(__file__).resolve().parent.parent / "docs" / "data.md").read_text(encoding="utf-8")
    section = page.split("## Large samples and Dask", 1)[1].split("\n## ", 1)[0]
    code = "\n".join(re.findall(r"```python\n(.*?)```", section, flags=re.S))
    test = doctest.DocTestParser().get_doctest(code, {}, "data.md", "data.md", 0)
    assert test.examples
    runner = doctest.DocTestRunner(optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    runner.run(test)
    assert runner.failures == 0
