"""Tests for anadiv.discrete: worked numbers, agreement with scipy and with
50-digit mpmath, input checks, broadcasting, zeros, and the pairwise matrix.

Property tests (hypothesis) live in test_discrete_properties.py.
Budget: about 10 s for this file on 2 cores.
"""

from __future__ import annotations

import doctest
import math
import subprocess
import sys
import tracemalloc
import warnings

import mpmath
import numpy as np
import pytest
from scipy.spatial.distance import jensenshannon
from scipy.special import rel_entr

import anadiv.discrete as discrete
from anadiv.discrete import (
    SUM_ATOL,
    cross_entropy,
    entropy,
    js_distance,
    js_divergence,
    kl,
    pairwise,
)

P = [0.10, 0.40, 0.50]
Q = [0.80, 0.15, 0.05]
EPS = np.finfo(np.float64).eps


def random_dists(rng, n, bins, zeros=0.0):
    """n random distributions over `bins`, a fraction `zeros` of bins set to 0."""
    x = rng.dirichlet(np.full(bins, 0.7), size=n)
    if zeros:
        x[rng.random(x.shape) < zeros] = 0.0
        x[:, 0] += x.sum(axis=1) == 0  # keep every row non-empty
        x /= x.sum(axis=1, keepdims=True)
    return x


# ------------------------------------------------------ the seed tutorial


def test_seed_tutorial_numbers():
    assert round(kl(P, Q, base=2), 3) == 1.927
    assert round(kl(P, Q), 3) == 1.336
    assert round(kl(Q, P, base=2), 3) == 2.022
    assert round(kl(Q, P), 3) == 1.401
    assert round(js_divergence(P, Q, base=2), 3) == 0.420
    assert round(js_divergence(Q, P, base=2), 3) == 0.420


def test_seed_js_distance_is_the_root_of_js_in_bits():
    # 0.648 = sqrt(0.420): the tutorial's distance is taken in bits (base 2).
    # In nats (the default, as in scipy) the same pair is at 0.540.
    assert round(js_distance(P, Q, base=2), 3) == 0.648
    assert round(js_distance(P, Q), 3) == 0.540
    assert js_distance(P, Q, base=2) == pytest.approx(math.sqrt(js_divergence(P, Q, base=2)), rel=1e-15)
    assert js_distance(P, Q) == pytest.approx(jensenshannon(P, Q), rel=1e-14)
    assert js_distance(P, Q, base=2) == pytest.approx(jensenshannon(P, Q, base=2), rel=1e-14)


def test_seed_numbers_against_mpmath():
    mpmath.mp.dps = 50
    p = [mpmath.mpf(v) for v in ("0.10", "0.40", "0.50")]
    q = [mpmath.mpf(v) for v in ("0.80", "0.15", "0.05")]
    exact = sum(a * mpmath.log(a / b) for a, b in zip(p, q))
    assert kl(P, Q) == pytest.approx(float(exact), rel=4 * EPS)
    assert kl(P, Q, base=2) == pytest.approx(float(exact / mpmath.log(2)), rel=4 * EPS)


def test_results_are_python_floats_for_single_vectors():
    for value in (kl(P, Q), js_divergence(P, Q), js_distance(P, Q), entropy(P), cross_entropy(P, Q)):
        assert type(value) is float


# --------------------------------------------------- agreement with scipy


@pytest.mark.parametrize("zeros", [0.0, 0.3])
def test_kl_matches_scipy_rel_entr(zeros):
    rng = np.random.default_rng(1)
    p = random_dists(rng, 200, 17, zeros)
    q = random_dists(rng, 200, 17)  # no zeros in q: finite KL
    expected = rel_entr(p, q).sum(axis=-1)
    np.testing.assert_allclose(kl(p, q), expected, rtol=1e-13, atol=0)
    np.testing.assert_allclose(kl(p, q, base=2), expected / np.log(2), rtol=1e-13, atol=0)


@pytest.mark.parametrize("base", [None, 2, 10, 1.5])
def test_js_distance_matches_scipy_jensenshannon(base):
    rng = np.random.default_rng(2)
    p = random_dists(rng, 300, 12, 0.2)
    q = random_dists(rng, 300, 12, 0.2)
    expected = jensenshannon(p, q, axis=-1, base=base)
    np.testing.assert_allclose(js_distance(p, q, base=base), expected, rtol=1e-13, atol=0)
    np.testing.assert_allclose(js_divergence(p, q, base=base), expected**2, rtol=1e-13, atol=0)


def test_entropy_and_cross_entropy_match_scipy():
    from scipy.stats import entropy as scipy_entropy

    rng = np.random.default_rng(3)
    p = random_dists(rng, 50, 9, 0.2)
    q = random_dists(rng, 50, 9)
    np.testing.assert_allclose(entropy(p, base=3), scipy_entropy(p, axis=-1, base=3), rtol=1e-13)
    np.testing.assert_allclose(
        cross_entropy(p, q), scipy_entropy(p, axis=-1) + rel_entr(p, q).sum(-1), rtol=1e-13
    )


def test_base_below_one_flips_the_sign_and_js_distance_refuses_it():
    assert kl(P, Q, base=0.5) == pytest.approx(-kl(P, Q, base=2), rel=2 * EPS)
    assert js_divergence(P, Q, base=0.5) == pytest.approx(-js_divergence(P, Q, base=2), rel=2 * EPS)
    with pytest.raises(ValueError, match=r"^base: must be greater than 1"):
        js_distance(P, Q, base=0.5)
    with pytest.raises(ValueError, match=r"^base: must be greater than 1"):
        pairwise("js_distance", [P, Q], base=0.5)


def test_natural_base_equals_nats():
    assert kl(P, Q, base=math.e) == pytest.approx(kl(P, Q), rel=2 * EPS)
    assert kl(P, Q, base=10) == pytest.approx(kl(P, Q) / math.log(10), rel=2 * EPS)
    assert js_distance(P, Q, base=np.float64(2)) == js_distance(P, Q, base=2)


# ------------------------------------------- accuracy near p = q (mpmath)


def exact_pair(rng, bins, spread):
    """Two vectors of integers / 2**40 with exactly unit sums (so no rounding
    enters through normalisation) differing by about `spread` units."""
    total = 2**40
    pi = rng.integers(total // (4 * bins), total // bins, size=bins)
    pi[-1] = total - pi[:-1].sum()
    qi = pi + np.round(rng.integers(-1000, 1001, size=bins) * spread).astype(np.int64)
    qi[-1] = total - qi[:-1].sum()
    return pi, qi


def mp_divergences(pi, qi):
    mpmath.mp.dps = 50
    p = [mpmath.mpf(int(v)) / 2**40 for v in pi]
    q = [mpmath.mpf(int(v)) / 2**40 for v in qi]
    kl_ = sum(a * mpmath.log(a / b) for a, b in zip(p, q))
    js_ = sum((a * mpmath.log(2 * a / (a + b)) + b * mpmath.log(2 * b / (a + b))) / 2 for a, b in zip(p, q))
    return float(kl_), float(js_)


@pytest.mark.parametrize("spread", [1e6, 1e3, 1.0, 1e-2])
def test_full_relative_precision_when_p_and_q_nearly_agree(spread):
    # KL runs down to ~1e-21 here; rel_entr(p, q).sum() loses up to 7 digits
    # at the small end, the per-bin forms keep all but a few ulps.
    rng = np.random.default_rng(4)
    for _ in range(5):
        pi, qi = exact_pair(rng, 40, spread)
        p, q = pi / 2.0**40, qi / 2.0**40
        assert p.sum() == 1.0 and q.sum() == 1.0
        kl_exact, js_exact = mp_divergences(pi, qi)
        assert kl(p, q) == pytest.approx(kl_exact, rel=16 * EPS)
        assert js_divergence(p, q) == pytest.approx(js_exact, rel=16 * EPS)
        assert js_distance(p, q) == pytest.approx(math.sqrt(js_exact), rel=16 * EPS)


def test_accuracy_on_random_vectors_with_zeros_and_far_ratios():
    mpmath.mp.dps = 40
    rng = np.random.default_rng(5)
    for _ in range(60):
        bins = int(rng.integers(2, 10))
        pi = rng.integers(0, 2**40 // bins, size=bins)
        pi[-1] = 2**40 - pi[:-1].sum()
        qi = np.abs(pi + rng.integers(-(2 ** int(rng.integers(0, 36))), 2 ** int(rng.integers(0, 36)), size=bins))
        qi[rng.integers(bins)] = 0
        if qi[:-1].sum() > 2**40:
            continue
        qi[-1] = 2**40 - qi[:-1].sum()
        p, q = pi / 2.0**40, qi / 2.0**40
        P_, Q_ = ([mpmath.mpf(int(v)) / 2**40 for v in x] for x in (pi, qi))
        js_exact = sum(
            ((a * mpmath.log(2 * a / (a + b))) if a else 0) + ((b * mpmath.log(2 * b / (a + b))) if b else 0)
            for a, b in zip(P_, Q_)
        ) / 2
        assert js_divergence(p, q) == pytest.approx(float(js_exact), rel=32 * EPS, abs=1e-300)
        if any(a > 0 and b == 0 for a, b in zip(pi, qi)):
            assert kl(p, q) == math.inf
        else:
            kl_exact = sum(a * mpmath.log(a / b) for a, b in zip(P_, Q_) if a)
            assert kl(p, q) == pytest.approx(float(kl_exact), rel=32 * EPS, abs=1e-300)


# ------------------------------------------------------------ zeros, inf


def test_zeros_follow_the_conventions_without_warnings():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert kl([0.5, 0.5, 0.0], [0.25, 0.25, 0.5]) == pytest.approx(math.log(2), rel=2 * EPS)
        assert kl([0.5, 0.5], [1.0, 0.0]) == math.inf
        assert kl([1.0, 0.0], [0.5, 0.5], base=2) == pytest.approx(1.0, rel=2 * EPS)
        assert js_divergence([1, 0], [0, 1], base=2) == 1.0
        assert js_divergence([1, 0, 0], [1, 0, 0]) == 0.0
        assert cross_entropy([0.5, 0.5], [1.0, 0.0]) == math.inf
        assert cross_entropy([1.0, 0.0], [1.0, 0.0]) == 0.0
        assert entropy([1.0, 0.0, 0.0]) == 0.0
        # mixed finite and infinite rows in one batch
        out = kl([[0.5, 0.5], [0.5, 0.5]], [[0.5, 0.5], [1.0, 0.0]])
        assert out.tolist() == [0.0, math.inf]
        # extreme ratios: no overflow of p/q to inf, no underflow to 0
        tiny = kl([1 - 1e-300, 1e-300], [1e-300, 1 - 1e-300])
        assert tiny == pytest.approx(math.log(1e300), rel=1e-12)


def test_kl_of_identical_vectors_is_exactly_zero():
    rng = np.random.default_rng(6)
    p = random_dists(rng, 20, 30, 0.3)
    assert (kl(p, p) == 0).all()
    assert (js_divergence(p, p) == 0).all()


# --------------------------------------------------- shapes and batching


def test_batching_broadcasting_and_axis():
    rng = np.random.default_rng(7)
    p = random_dists(rng, 5, 3).reshape(5, 1, 3)
    q = random_dists(rng, 4, 3)
    out = kl(p, q)
    assert out.shape == (5, 4)
    assert out[2, 3] == pytest.approx(kl(p[2, 0], q[3]), rel=1e-15)
    # the same along axis 0 of transposed inputs
    out0 = kl(np.moveaxis(p, -1, 0), q.T[:, None, :], axis=0)
    np.testing.assert_allclose(out0, out, rtol=1e-15)
    # lists, tuples and integer arrays are array-likes
    assert kl((1, 0), [1, 0]) == 0.0
    assert entropy(np.array([[1, 0], [0, 1]]), axis=0).tolist() == [0.0, 0.0]


def test_normalize_rescales_and_atol_is_documented():
    assert kl([1, 4, 5], [16, 3, 1], normalize=True) == pytest.approx(kl(P, Q), rel=1e-15)
    assert SUM_ATOL == 1e-6
    kl([0.5, 0.5 + 0.9e-6], [0.5, 0.5])  # within the default tolerance
    with pytest.raises(ValueError, match=r"^p: does not sum to 1"):
        kl([0.5, 0.5 + 1.1e-6], [0.5, 0.5])
    kl([0.5, 0.51], [0.5, 0.5], atol=0.02)
    # scipy silently normalises [.5, .5] vs [.3, .3] to a KL of 0; we refuse.
    with pytest.raises(ValueError, match=r"^q: does not sum to 1.*normalize=True"):
        kl([0.5, 0.5], [0.3, 0.3])


# ------------------------------------------------------------ bad input

TWO_ARG = [kl, js_divergence, js_distance, cross_entropy]

BAD_VECTORS = [
    ([0.5, -0.1, 0.6], "negative"),
    ([0.5, np.nan, 0.5], "NaN"),
    ([0.5, np.inf, 0.5], "inf"),
    ([0.3, 0.3, 0.3], "does not sum to 1"),
    ([], "empty"),
    (0.5, "scalar"),
    ([[0.5, 0.5], [0.5]], "cannot be read"),
    (["a", "b"], "must be numbers"),
    ([0.5 + 0j, 0.5], "complex"),
]


@pytest.mark.parametrize("func", TWO_ARG)
@pytest.mark.parametrize("bad,words", BAD_VECTORS)
def test_bad_p_and_q_name_the_argument(func, bad, words):
    good = [1 / 3, 1 / 3, 1 / 3] if words != "empty" else []
    if words in ("empty", "scalar", "cannot be read", "must be numbers", "complex"):
        good = [0.5, 0.5]
    with pytest.raises(ValueError, match=rf"^p: .*{words}"):
        func(bad, good)
    with pytest.raises(ValueError, match=rf"^q: .*{words}"):
        func(good, bad)


@pytest.mark.parametrize("bad,words", BAD_VECTORS)
def test_bad_p_for_entropy_names_p(bad, words):
    with pytest.raises(ValueError, match=rf"^p: .*{words}"):
        entropy(bad)


@pytest.mark.parametrize("func", TWO_ARG)
def test_shape_errors_name_q(func):
    with pytest.raises(ValueError, match=r"^q: has 2 probabilities along axis -1 but p has 3"):
        func(P, [0.5, 0.5])
    with pytest.raises(ValueError, match=r"^q: batch shape \(3,\) does not broadcast"):
        func(np.full((2, 2), 0.5), np.full((3, 2), 0.5))
    with pytest.raises(ValueError, match=r"^p: has shape \(2,\), with no axis 0"):
        func([0.5, 0.5], np.full((2, 2), 0.5), axis=0)


@pytest.mark.parametrize("func", [*TWO_ARG, entropy])
@pytest.mark.parametrize("base", [1, 0, -2, np.nan, np.inf, "2", True, 1.0])
def test_bad_base_names_base(func, base):
    args = (P, Q) if func is not entropy else (P,)
    with pytest.raises(ValueError, match=r"^base: "):
        func(*args, base=base)


@pytest.mark.parametrize("func", [*TWO_ARG, entropy])
@pytest.mark.parametrize("axis", [1, -2, 0.0, "x"])
def test_bad_axis_names_axis(func, axis):
    args = (P, Q) if func is not entropy else (P,)
    with pytest.raises(ValueError, match=r"^axis: "):
        func(*args, axis=axis)


@pytest.mark.parametrize("atol", [-1e-3, np.nan, "0.1"])
def test_bad_atol_names_atol(atol):
    with pytest.raises(ValueError, match=r"^atol: "):
        kl(P, Q, atol=atol)


def test_normalize_rejects_all_zero_vectors():
    with pytest.raises(ValueError, match=r"^q: a vector is all zeros"):
        kl(P, [0, 0, 0], normalize=True)
    with pytest.raises(ValueError, match=r"^p: contains negative"):
        kl([-1, 2, 0], Q, normalize=True)


# ------------------------------------------------------------ pairwise

FUNCS = {"kl": kl, "js_divergence": js_divergence, "js_distance": js_distance, "cross_entropy": cross_entropy}


@pytest.mark.parametrize("name", list(FUNCS))
@pytest.mark.parametrize("chunk_size,workers", [(None, None), (7, 1), (3, 2), (100, 2)])
@pytest.mark.parametrize("bins", [11, 80])  # tiles with the bins first / last
def test_pairwise_matches_the_per_pair_loop(name, chunk_size, workers, bins):
    rng = np.random.default_rng(8)
    x = random_dists(rng, 23, bins, 0.25)
    matrix = pairwise(name, x, base=2, chunk_size=chunk_size, workers=workers)
    loop = np.array([[FUNCS[name](a, b, base=2) for b in x] for a in x])
    np.testing.assert_allclose(matrix, loop, rtol=1e-15, atol=0)
    assert np.isinf(loop).any() == (name in ("kl", "cross_entropy"))
    # the function object works like its name
    np.testing.assert_array_equal(pairwise(FUNCS[name], x, base=2, chunk_size=chunk_size), matrix)


@pytest.mark.parametrize("name", list(FUNCS))
def test_pairwise_with_a_second_set(name):
    rng = np.random.default_rng(9)
    x, y = random_dists(rng, 9, 6, 0.2), random_dists(rng, 13, 6)
    matrix = pairwise(name, x, q=y, chunk_size=4)
    assert matrix.shape == (9, 13)
    loop = np.array([[FUNCS[name](a, b) for b in y] for a in x])
    np.testing.assert_allclose(matrix, loop, rtol=1e-15, atol=0)
    # axis=0: distributions in columns
    np.testing.assert_array_equal(pairwise(name, x.T, q=y.T, axis=0, chunk_size=4), matrix)


def test_pairwise_js_is_exactly_symmetric_with_zero_diagonal():
    rng = np.random.default_rng(10)
    x = random_dists(rng, 50, 40, 0.3)
    for name in ("js_divergence", "js_distance"):
        matrix = pairwise(name, x, chunk_size=8)
        np.testing.assert_array_equal(matrix, matrix.T)
        assert (np.diag(matrix) == 0).all()
        assert (matrix >= 0).all()
    kl_matrix = pairwise("kl", x)
    assert (np.diag(kl_matrix) == 0).all() and (kl_matrix >= 0).all()


def test_pairwise_agrees_with_scipy_pdist():
    from scipy.spatial.distance import pdist, squareform

    rng = np.random.default_rng(11)
    x = random_dists(rng, 60, 32, 0.1)
    np.testing.assert_allclose(
        pairwise("js_distance", x), squareform(pdist(x, "jensenshannon")), rtol=1e-13, atol=0
    )


def test_pairwise_edge_sizes():
    assert pairwise("kl", [[0.5, 0.5]]).tolist() == [[0.0]]
    one_bin = pairwise("js_distance", np.ones((5, 1)))
    assert one_bin.shape == (5, 5) and (one_bin == 0).all()
    rng = np.random.default_rng(14)
    wide = random_dists(rng, 3, 200_000)  # a tile of one pair still fits the scratch
    np.testing.assert_allclose(
        pairwise("js_divergence", wide, chunk_size=1), [[js_divergence(a, b) for b in wide] for a in wide], rtol=1e-14
    )


def test_float32_inputs_normalised_in_float32_are_accepted():
    rng = np.random.default_rng(15)
    x = rng.random((50, 300)).astype(np.float32)
    x /= x.sum(axis=1, keepdims=True)
    assert np.isfinite(kl(x, x[::-1])).all()
    assert pairwise("js_distance", x).dtype == np.float64


def test_pairwise_custom_callable():
    rng = np.random.default_rng(12)
    x = random_dists(rng, 10, 5)

    def hellinger(p, q):
        return np.sqrt(0.5 * ((np.sqrt(p) - np.sqrt(q)) ** 2).sum(axis=-1))

    matrix = pairwise(hellinger, x, chunk_size=3)
    loop = np.array([[hellinger(a, b) for b in x] for a in x])
    np.testing.assert_allclose(matrix, loop, rtol=1e-15)
    # scipy's own function, given base=, broadcast over the blocks
    np.testing.assert_allclose(
        pairwise(lambda p, q, base: jensenshannon(p, q, axis=-1, base=base), x, base=2),
        pairwise("js_distance", x, base=2),
        rtol=1e-13,
    )
    with pytest.raises(ValueError, match=r"^divergence: .*returned shape"):
        pairwise(lambda p, q: p + q, x)


def test_pairwise_bad_input_names_the_argument():
    x = np.full((4, 3), 1 / 3)
    with pytest.raises(ValueError, match=r"^divergence: unknown name 'wasserstein'"):
        pairwise("wasserstein", x)
    with pytest.raises(ValueError, match=r"^divergence: entropy takes one distribution"):
        pairwise("entropy", x)
    with pytest.raises(ValueError, match=r"^divergence: entropy takes one distribution"):
        pairwise(entropy, x)
    with pytest.raises(ValueError, match=r"^divergence: must be a name or a callable"):
        pairwise(3, x)
    with pytest.raises(ValueError, match=r"^dists: must be 2-D"):
        pairwise("kl", x[0])
    with pytest.raises(ValueError, match=r"^dists: does not sum to 1"):
        pairwise("kl", x * 2)
    with pytest.raises(ValueError, match=r"^dists: contains negative"):
        pairwise("kl", x - 0.5)
    with pytest.raises(ValueError, match=r"^dists: holds no distributions"):
        pairwise("kl", np.empty((0, 3)))
    with pytest.raises(ValueError, match=r"^q: has 2 probabilities per distribution but dists has 3"):
        pairwise("kl", x, q=np.full((2, 2), 0.5))
    with pytest.raises(ValueError, match=r"^q: contains NaN"):
        pairwise("kl", x, q=np.full((2, 3), np.nan))
    with pytest.raises(ValueError, match=r"^base: "):
        pairwise("kl", x, base=1)
    with pytest.raises(ValueError, match=r"^axis: "):
        pairwise("kl", x, axis=2)
    with pytest.raises(ValueError, match=r"^chunk_size: "):
        pairwise("kl", x, chunk_size=0)
    with pytest.raises(ValueError, match=r"^workers: "):
        pairwise("kl", x, workers=0)
    np.testing.assert_allclose(pairwise("kl", x * 2, normalize=True), np.zeros((4, 4)))


@pytest.mark.slow  # 3-9 s wall depending on machine load
def test_pairwise_ten_thousand_distributions_in_bounded_memory():
    # 10,000 x 10,000 matrix (800 MB) over 4-bin histograms; the temporaries
    # beyond the result stay at a few tiles (measured ~6 MB per worker).
    rng = np.random.default_rng(13)
    n, bins = 10_000, 4
    x = random_dists(rng, n, bins, 0.2)
    tracemalloc.start()
    try:
        matrix = pairwise("js_distance", x, base=2)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    result_bytes = n * n * 8
    assert peak - result_bytes < 64 * 2**20, (peak - result_bytes) / 2**20
    idx = rng.integers(0, n, size=(200, 2))
    expected = [js_distance(x[i], x[j], base=2) for i, j in idx]
    np.testing.assert_allclose(matrix[idx[:, 0], idx[:, 1]], expected, rtol=1e-15, atol=0)
    assert (matrix[idx[:, 0], idx[:, 1]] == matrix[idx[:, 1], idx[:, 0]]).all()
    assert matrix.max() <= 1.0


# ------------------------------------------------------ docs and imports


def test_docstring_examples_run():
    failures, tried = doctest.testmod(discrete, optionflags=doctest.ELLIPSIS, verbose=False)
    assert tried >= 15 and failures == 0


def test_docs_page_examples_run():
    import re
    from pathlib import Path

    page = Path(__file__).resolve().parent.parent / "docs" / "discrete.md"
    blocks = re.findall(r"```python\n(.*?)```", page.read_text(encoding="utf-8"), flags=re.S)
    text = "\n\n".join(b for b in blocks if ">>>" in b)
    test = doctest.DocTestParser().get_doctest(text, {}, "discrete.md", str(page), 0)
    runner = doctest.DocTestRunner(optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    out: list[str] = []
    runner.run(test, out=out.append)
    result = runner.summarize(verbose=False)
    assert result.attempted >= 15 and result.failed == 0, "".join(out)


def test_public_functions_have_docstrings_and_hints():
    for func in (kl, js_divergence, js_distance, entropy, cross_entropy, pairwise):
        doc = func.__doc__ or ""
        for section in ("Parameters", "Returns", "Raises", "Examples", ".. math::"):
            assert section in doc, (func.__name__, section)
        assert "return" in func.__annotations__


def test_discrete_does_not_import_sympy():
    code = "import sys, anadiv.discrete as d; d.kl([0.5, 0.5], [0.25, 0.75]); d.pairwise('js_distance', [[1, 0], [0, 1]]); print('sympy' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
