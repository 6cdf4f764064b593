"""Blocked, threaded evaluation of large elementwise batches (anadiv.numeric.blocks).

The decorated function must return exactly what the undecorated one returns:
same values bit for bit, same dtype, same shape, for every elementwise entry
of the closed-form registry, for broadcasts, float32, NaN and inf.
"""

from __future__ import annotations

import importlib
import threading
import zlib

import numpy as np
import pytest

import anadiv
from anadiv.kinds import KINDS
from anadiv.numeric import blocks as _blocks
from anadiv._generated import _index
from anadiv.families import FAMILIES

N = _blocks.MIN_SPLIT + 12_345  # blocks of uneven length, and a short last block


@pytest.fixture(autouse=True)
def _two_threads():
    anadiv.set_num_threads(2)
    yield
    anadiv.set_num_threads(None)


def _function(kind: str, key):
    module, name, _status = _index.REGISTRY[kind][key]
    return getattr(importlib.import_module(f"anadiv._generated.{module}"), name)


def _elementwise_entries():
    for kind, table in _index.REGISTRY.items():
        for key in sorted(table):
            names = (key,) if kind == "entropy" else key
            # scalar parameters: the simplex families' vector functions are not @elementwise
            if all(FAMILIES[n].event_ndim == 0 and not any(p.constraint.event_ndim for p in FAMILIES[n].parameters)
                   for n in names):
                yield pytest.param(kind, key, id=f"{kind}-{'-'.join(names)}")


def _batch(names, rng: np.random.Generator, n: int) -> list[np.ndarray]:
    """n parameter points per family: 97 random valid points, repeated and shuffled."""
    columns: list[np.ndarray] = []
    for name in names:
        points = np.array([FAMILIES[name].random_params(rng) for _ in range(97)], dtype=float)
        rows = points[rng.integers(0, len(points), size=n)]
        columns += [np.ascontiguousarray(rows[:, j]) for j in range(rows.shape[1])]
    return columns


def _row_entries():
    for kind, table in _index.REGISTRY.items():
        for key in sorted(table):
            names = (key,) if kind == "entropy" else key
            if all(n == "diagonal_normal" for n in names):
                yield pytest.param(kind, key, id=f"{kind}-{'-'.join(names)}")


@pytest.mark.parametrize("kind,key", list(_row_entries()))
def test_diagonal_normal_entries_split_by_rows(kind, key):
    f = _function(kind, key)
    assert f.__wrapped__ is not f
    names = (key,) if kind == "entropy" else key
    rng = np.random.default_rng(zlib.crc32(repr(key).encode()))
    rows, d = 3001, 64  # the VAE case: a batch of diagonal Gaussians
    args = []
    for _ in names:
        args += [rng.normal(size=(rows, d)), np.exp(rng.normal(size=(rows, d)) * 0.5)]
    expected = f.__wrapped__(*args)
    got = f(*args)
    assert got.shape == expected.shape == (rows,)
    np.testing.assert_array_equal(got, expected)
    if kind == "kl":
        # against the standard normal given as one (d,) vector: broadcasting rows
        zeros, ones = np.zeros(d), np.ones(d)
        np.testing.assert_array_equal(f(args[0], args[1], zeros, ones), f.__wrapped__(args[0], args[1], zeros, ones))
        # a 3-d batch (rows, 2, d) splits along its first axis too
        m3, s3 = args[0].reshape(rows, 1, d).repeat(2, axis=1), args[1].reshape(rows, 1, d).repeat(2, axis=1)
        np.testing.assert_array_equal(f(m3, s3, zeros, ones), f.__wrapped__(m3, s3, zeros, ones))


def test_docstring_examples():
    import doctest

    from anadiv.numeric import threads as _threads
    for module in (_blocks, _threads):
        failed, tried = doctest.testmod(module, verbose=False)
        assert tried > 0 and failed == 0, module.__name__


def _tied_columns(kind: str, names: tuple[str, ...]) -> list[tuple[int, int]]:
    """(P's column, Q's column) of the parameters a tied closed form needs equal."""
    if kind != "kl" or len(names) != 2 or names[0] != names[1]:
        return []
    from anadiv.codegen.stabilize import tied_symbols
    from anadiv.symbolic import derive_kl

    d = derive_kl(FAMILIES[names[0]], FAMILIES[names[1]])
    ps, qs = [x.name for x in d.symbols[0]], [x.name for x in d.symbols[1]]
    return [(ps.index(a.name), len(ps) + qs.index(b.name)) for b, a in tied_symbols(d.expr).items()]


#: The every-entry test splits a smaller batch: the thresholds are module values read at each
#: call, so scaled down 32x (in the test) the same plan as at full size (the batch cut between
#: both threads, the last block one value shorter) runs on 1/27 of the values (the full size
#: took 2 minutes of CI). The full-size plan is tested by the tests above and below.
SMALL_MIN_SPLIT, SMALL_BLOCK = _blocks.MIN_SPLIT // 32, _blocks.BLOCK // 32
N_SMALL = SMALL_MIN_SPLIT + 1_235


@pytest.mark.parametrize("kind,key", list(_elementwise_entries()))
def test_every_elementwise_entry_gives_identical_results(kind, key, monkeypatch):
    monkeypatch.setattr(_blocks, "MIN_SPLIT", SMALL_MIN_SPLIT)
    monkeypatch.setattr(_blocks, "BLOCK", SMALL_BLOCK)
    f = _function(kind, key)
    assert f.__wrapped__ is not f
    names = (key,) if kind == "entropy" else key
    args = _batch(names, np.random.default_rng(zlib.crc32(repr(key).encode())), N_SMALL)
    for i, j in _tied_columns(kind, names):
        args[j] = args[i]  # a tied closed form (a Binomial pair's trial counts) holds where they are equal
    rng = np.random.default_rng(1)
    for spec in KINDS[kind].parameters:  # the kind's own (Renyi's order), one per entry
        args.append(np.array([spec.draw(rng) for _ in range(N_SMALL)]))
    with np.errstate(all="ignore"):
        expected = f.__wrapped__(*args)
        got = f(*args)
    assert got.shape == expected.shape == (N_SMALL,)
    assert got.dtype == expected.dtype
    np.testing.assert_array_equal(got, expected)


def _normal_kl():
    return anadiv.kl_function("normal", "normal")


def _standard_batch():
    """N standard normals: locations, scales, and a copy of the scales to spoil."""
    scales = np.ones(N)
    return np.zeros(N), scales, scales.copy()


def test_large_batches_use_several_threads():
    seen: set[str] = set()
    kernel = _normal_kl().__wrapped__

    def spy(*args):
        seen.add(threading.current_thread().name)
        return kernel(*args)

    f = _blocks.elementwise(spy)
    m, s = np.zeros(N), np.ones(N)
    f(m, s, m + 1.0, s * 2.0)
    assert len(seen) == 2
    seen.clear()
    anadiv.set_num_threads(1)
    f(m, s, m + 1.0, s * 2.0)
    assert seen == {threading.current_thread().name}


def test_small_batches_and_other_inputs_go_straight_through():
    calls = []

    def spy(*args):
        calls.append(args)
        return np.real(np.asarray(args[0])) * 2.0

    f = _blocks.elementwise(spy)
    small = np.ones(_blocks.MIN_SPLIT - 1)
    f(small)
    f([1.0, 2.0])
    f(np.ones(N, dtype=complex))
    assert len(calls) == 3
    assert calls[0][0] is small


def test_float32_stays_float32():
    f = _normal_kl()
    rng = np.random.default_rng(1)
    m1, m2 = rng.normal(size=(2, N)).astype(np.float32)
    s1, s2 = np.exp(rng.normal(size=(2, N)) * 0.5).astype(np.float32)
    got = f(m1, s1, m2, s2)
    assert got.dtype == np.float32
    np.testing.assert_array_equal(got, f.__wrapped__(m1, s1, m2, s2))
    # Python numbers stay weak: float32 with 0.0 and 1.0 is still float32
    got = f(m1, s1, 0.0, 1)
    assert got.dtype == np.float32
    np.testing.assert_array_equal(got, f.__wrapped__(m1, s1, 0.0, 1))


def test_integer_arrays_give_float64():
    f = _normal_kl()
    m = np.arange(N) % 7
    got = f(m, 1, np.zeros(N, dtype=np.int64), 2)
    assert got.dtype == np.float64
    np.testing.assert_array_equal(got, f.__wrapped__(m, 1, np.zeros(N, dtype=np.int64), 2))


@pytest.mark.parametrize(
    "shapes",
    [
        ((600, 1), (600, 1), (1, 600), (1, 600)),  # pairwise matrix: blocks of rows
        ((N,), (), (1,), (1, 1)),  # one-value arrays of several shapes
        ((3, 50_000), (3, 1), (50_000,), ()),  # few rows: one call
        ((40, 80, 50), (80, 1), (1, 50), (40, 1, 1)),
    ],
    ids=["pairwise", "single-values", "few-rows", "3d"],
)
def test_broadcasting(shapes):
    f = _normal_kl()
    rng = np.random.default_rng(2)
    m1 = rng.normal(size=shapes[0])
    s1 = np.exp(rng.normal(size=shapes[1]))
    m2 = rng.normal(size=shapes[2])
    s2 = np.exp(rng.normal(size=shapes[3]))
    got = f(m1, s1, m2, s2)
    expected = f.__wrapped__(m1, s1, m2, s2)
    assert got.shape == expected.shape == np.broadcast_shapes(*shapes)
    np.testing.assert_array_equal(got, expected)


def test_non_contiguous_views():
    f = _normal_kl()
    rng = np.random.default_rng(3)
    base = rng.normal(size=(2 * N,))
    m1 = base[::2]
    s1 = np.exp(base[1::2])
    m2 = np.asfortranarray(rng.normal(size=(N // 300, 300)))
    s2 = 1.5
    m1 = m1[: m2.size].reshape(m2.shape)
    s1 = s1[: m2.size].reshape(m2.shape)
    np.testing.assert_array_equal(f(m1, s1, m2, s2), f.__wrapped__(m1, s1, m2, s2))


def test_nan_and_inf_semantics_are_kept():
    f = _normal_kl()
    m, s, s2 = _standard_batch()
    m[5], s[7], s2[11], m[N - 1] = np.nan, np.inf, 0.0, np.inf
    with np.errstate(all="ignore"):
        expected = f.__wrapped__(m, s, 0.0, s2)
        got = f(m, s, 0.0, s2)
    np.testing.assert_array_equal(got, expected)
    # an always-infinite pair (supports differ) keeps its inf everywhere
    g = anadiv.kl_function("normal", "exponential")
    assert np.all(np.isposinf(g(m, np.ones(N), np.ones(N))))


def test_batched_kl_through_the_api_matches_the_scalar_path():
    rng = np.random.default_rng(4)
    m1, m2 = rng.normal(size=(2, N))
    s1, s2 = np.exp(rng.normal(size=(2, N)))
    got = anadiv.kl(anadiv.Normal(m1, s1), anadiv.Normal(m2, s2))
    picks = rng.integers(0, N, size=20)
    for i in picks:
        # one pair goes through the math-module scalar path; both are good to ~1e-14
        one = anadiv.kl(anadiv.Normal(m1[i], s1[i]), anadiv.Normal(m2[i], s2[i]))
        assert got[i] == pytest.approx(one, rel=2e-14)


def test_wrapped_function_keeps_its_identity():
    f = _normal_kl()
    assert f.__name__ == "kl_normal_normal"
    assert "Kullback-Leibler" in f.__doc__
    import inspect

    assert list(inspect.signature(f).parameters) == ["mu_1", "sigma_1", "mu_2", "sigma_2"]
    assert inspect.getsource(f).startswith("@elementwise\ndef kl_normal_normal(")


def test_a_function_with_another_dtype_rule_is_not_cast():
    # e.g. a function that always computes in float64: the blocked run must not cast
    # its result to the inputs' float32
    f = _blocks.elementwise(lambda x: np.asarray(x, dtype=np.float64) * 3.0)
    x = np.full(N, 1.25, dtype=np.float32)
    got = f(x)
    assert got.dtype == np.float64 and got.shape == (N,)
    np.testing.assert_array_equal(got, 3.75)


def test_float16_goes_straight_through():
    calls = []

    def spy(x):
        calls.append(x)
        return np.asarray(x, dtype=np.float32)

    assert _blocks.elementwise(spy)(np.ones(N, dtype=np.float16)).dtype == np.float32
    assert len(calls) == 1


def test_many_blocks_per_thread():
    f = _normal_kl()
    n = 3 * _blocks.BLOCK + 7
    rng = np.random.default_rng(5)
    m1, m2 = rng.normal(size=(2, n))
    s1, s2 = np.exp(rng.normal(size=(2, n)))
    np.testing.assert_array_equal(f(m1, s1, m2, s2), f.__wrapped__(m1, s1, m2, s2))


def test_callers_floating_point_error_settings_reach_the_workers():
    # (the generated closed forms silence their own float path, whose overflows
    # are recomputed: a plain elementwise function shows the blocks' behaviour)
    f = _blocks.elementwise(lambda x, y: np.log(np.asarray(x) / np.asarray(y)))
    m, s, s2 = _standard_batch()
    s2[N - 3] = 0.0  # division by zero in the last block, which a worker evaluates
    with np.errstate(divide="raise", invalid="raise"):
        with pytest.raises(FloatingPointError):
            f.__wrapped__(s, s2)
        with pytest.raises(FloatingPointError):
            f(s, s2)
    with np.errstate(all="ignore"):
        np.testing.assert_array_equal(f(s, s2), f.__wrapped__(s, s2))


def test_numpy_scalars_of_other_kinds_go_straight_through():
    calls = []

    def spy(x, y):
        calls.append(y)
        return np.asarray(x, dtype=float)

    f = _blocks.elementwise(spy)
    f(np.ones(N), np.complex128(1.0))
    f(np.ones(N), np.float16(1.0))
    assert len(calls) == 2


def test_one_thread_still_runs_in_blocks():
    seen = []
    kernel = _normal_kl().__wrapped__

    def spy(*args):
        seen.append(np.shape(args[0]))
        return kernel(*args)

    anadiv.set_num_threads(1)
    n = 2 * _blocks.BLOCK + 5
    m, s = np.zeros(n), np.ones(n)
    got = _blocks.elementwise(spy)(m, s, m + 1.0, s * 2.0)
    assert seen == [(_blocks.BLOCK,), (_blocks.BLOCK,), (5,)]
    np.testing.assert_array_equal(got, kernel(m, s, m + 1.0, s * 2.0))


def test_python_floats_are_retried_as_numpy_where_python_raises_or_turns_complex():
    calls = []

    @_blocks.elementwise
    def square_root_of_cube(x, y):
        calls.append(type(x))
        return (x ** 3) ** 0.5 / y

    assert square_root_of_cube(4.0, 2.0) == 4.0 and calls == [float]  # the fast path: Python floats
    calls.clear()
    with np.errstate(all="ignore"):
        assert square_root_of_cube(1e200, 1.0) == np.inf  # OverflowError in Python, inf in numpy
        assert square_root_of_cube(4.0, 0.0) == np.inf  # ZeroDivisionError in Python
        assert np.isnan(square_root_of_cube(-4.0, 1.0))  # complex in Python, NaN in numpy
    assert calls == [float, np.float64] * 3
