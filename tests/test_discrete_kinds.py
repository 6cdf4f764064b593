"""Hellinger, Bhattacharyya, total variation, chi-square and Renyi divergences
of probability vectors (anadiv.discrete, issue 13): 50-digit mpmath sums,
nearly equal pairs, zeros, overflow, properties, bases, input checks,
batches, slices and the pairwise matrix."""

from __future__ import annotations

import math

import mpmath
import numpy as np
import pytest

import anadiv.discrete as discrete
from anadiv.discrete import bhattacharyya, chi_square, hellinger, kl, pairwise, renyi, total_variation

EPS = np.finfo(np.float64).eps
TOTAL = 2**52  # vectors of integers / 2**52: exactly unit sums, so no rounding enters by rescaling
KINDS = ["hellinger", "bhattacharyya", "total_variation", "chi_square"]
ALPHAS = [0.0, 0.01, 0.3, 0.5, 0.9, 0.999, 0.999999, 1.0, 1.000001, 1.001, 1.5, 2.0, 5.0, 50.0, 1e4, math.inf]


# ------------------------------------------------------------- mpmath truth


def mp_vector(ints):
    return [mpmath.mpf(int(v)) / TOTAL for v in ints]


def mp_truth(kind, P, Q, alpha=None):
    """The divergence from its textbook definition, in 50-digit arithmetic."""
    mpmath.mp.dps = 50
    pairs = list(zip(P, Q))
    violated = any(a > 0 and b == 0 for a, b in pairs)
    if kind == "hellinger":
        return mpmath.sqrt(sum((mpmath.sqrt(a) - mpmath.sqrt(b)) ** 2 for a, b in pairs) / 2)
    if kind == "bhattacharyya":
        bc = sum(mpmath.sqrt(a * b) for a, b in pairs)
        return mpmath.inf if bc == 0 else -mpmath.log(bc)
    if kind == "total_variation":
        return sum(abs(a - b) for a, b in pairs) / 2
    if kind == "chi_square":
        return mpmath.inf if violated else sum((a - b) ** 2 / b for a, b in pairs if b > 0)
    if kind == "kl" or alpha == 1:
        return mpmath.inf if violated else sum(a * mpmath.log(a / b) for a, b in pairs if a > 0)
    if alpha == 0:
        inside = sum(b for a, b in pairs if a > 0)
        return mpmath.inf if inside == 0 else -mpmath.log(inside)
    if math.isinf(alpha):
        return mpmath.inf if violated else max(mpmath.log(a / b) for a, b in pairs if a > 0)
    if alpha > 1 and violated:
        return mpmath.inf
    a_ = mpmath.mpf(alpha)
    total = sum(a**a_ * b ** (1 - a_) for a, b in pairs if a > 0 and b > 0)
    return mpmath.inf if total == 0 else mpmath.log(total) / (a_ - 1)


def evaluate(kind, p, q, alpha=None):
    return renyi(p, q, alpha) if kind == "renyi" else getattr(discrete, kind)(p, q)


def assert_close(got, exact, rel):
    if mpmath.isinf(exact):
        assert got == math.inf
    elif exact == 0:
        assert got == 0.0
    else:
        assert abs(got - exact) <= rel * abs(exact), (got, float(exact))


def near_pair(rng, bins, rel):
    """Two exactly normalised vectors whose entries differ by a relative `rel`."""
    pi = rng.integers(TOTAL // (4 * bins), TOTAL // bins, size=bins)
    pi[-1] = TOTAL - pi[:-1].sum()
    qi = pi + np.round(pi * rel * rng.uniform(-1, 1, size=bins)).astype(np.int64)
    qi[-1] = TOTAL - qi[:-1].sum()
    assert (qi != pi).any()
    return pi, qi


def zero_pair(rng, bins):
    """Two exactly normalised vectors, about a third of each one's entries 0."""
    pi, qi = (rng.integers(0, TOTAL // bins, size=bins) for _ in range(2))
    pi[rng.random(bins) < 0.3] = 0
    qi[rng.random(bins) < 0.3] = 0
    for x in (pi, qi):
        x[-1] = 0
        x[-1] = TOTAL - x.sum()
    return pi, qi


# ----------------------------------------------------------- accuracy


@pytest.mark.parametrize("rel", [1e-3, 1e-6, 1e-9, 1e-12])
@pytest.mark.parametrize("bins", [2, 10, 1000])
def test_nearly_equal_pairs_keep_their_digits(bins, rel):
    # divergences down to 1e-26: a textbook sum (1 - BC, sum p^a q^(1-a) - 1)
    # would return rounding noise; the per-bin forms keep all but a few ulps
    rng = np.random.default_rng(int(bins * 7 + -math.log10(rel)))
    pi, qi = near_pair(rng, bins, rel)
    P, Q = mp_vector(pi), mp_vector(qi)
    p, q = pi / TOTAL, qi / TOTAL
    assert p.sum() == 1.0 and q.sum() == 1.0
    for kind in KINDS:
        assert_close(evaluate(kind, p, q), mp_truth(kind, P, Q), 64 * EPS)
    for alpha in ALPHAS if bins <= 10 else [0.5, 2.0, math.inf]:
        assert_close(evaluate("renyi", p, q, alpha), mp_truth("renyi", P, Q, alpha), 64 * EPS)


@pytest.mark.parametrize("bins", [2, 3, 10, 100])
def test_zeros_in_p_and_q(bins):
    rng = np.random.default_rng(bins)
    for _ in range(3):
        pi, qi = zero_pair(rng, bins)
        P, Q = mp_vector(pi), mp_vector(qi)
        p, q = pi / TOTAL, qi / TOTAL
        for kind in KINDS:
            assert_close(evaluate(kind, p, q), mp_truth(kind, P, Q), 64 * EPS)
        for alpha in ALPHAS:
            assert_close(evaluate("renyi", p, q, alpha), mp_truth("renyi", P, Q, alpha), 64 * EPS)


@pytest.mark.parametrize("alpha", [0.0, 0.3, 0.5, 2.0, math.inf])
def test_supports_decide_infinity(alpha):
    # only disjoint supports make D_alpha infinite for alpha < 1; q = 0 < p does for alpha >= 1
    overlap = ([0.5, 0.5, 0.0], [0.0, 0.5, 0.5])
    disjoint = ([1.0, 0.0], [0.0, 1.0])
    assert renyi(*disjoint, alpha) == math.inf
    assert (renyi(*overlap, alpha) == math.inf) == (alpha >= 1)
    assert math.isfinite(renyi(overlap[1], overlap[1], alpha))
    assert bhattacharyya(*disjoint) == math.inf and math.isfinite(bhattacharyya(*overlap))
    assert chi_square(*overlap) == math.inf and chi_square(*disjoint) == math.inf
    assert chi_square([0.5, 0.5, 0.0], [0.5, 0.5, 0.0]) == 0.0
    assert hellinger(*disjoint) == 1.0 and total_variation(*disjoint) == 1.0


def test_far_ratios_stay_finite():
    # p^a q^(1-a) overflows for a = 10 (2^9000), underflows to 2^-1060 for the
    # overlap of nearly disjoint supports, and 1 + S rounds to 0 for a < 1:
    # the divergences are finite and large, where rescaling's rounding does not matter
    mpmath.mp.dps = 50
    tiny, tinier = 2.0**-1000, 2.0**-1060
    cases = [
        ([0.5, 0.5], [1.0, tiny]),
        ([1.0, 0.0], [tiny, 1.0]),
        ([1.0, 0.0, tinier], [0.0, 1.0, tinier]),
        ([tinier, 1.0], [1.0, tinier]),
    ]
    for p, q in cases:
        P, Q = ([mpmath.mpf(v) for v in x] for x in (p, q))
        P, Q = [v / sum(P) for v in P], [v / sum(Q) for v in Q]
        for alpha in [0.01, 0.5, 0.9, 2.0, 10.0, 1000.0, math.inf]:
            exact = mp_truth("renyi", P, Q, alpha)
            if not mpmath.isinf(exact):
                assert renyi(p, q, alpha) == pytest.approx(float(exact), rel=1e-13)
        assert bhattacharyya(p, q) == pytest.approx(float(mp_truth("bhattacharyya", P, Q)), rel=1e-13)


def test_renyi_special_orders():
    p, q = [0.10, 0.40, 0.50], [0.80, 0.15, 0.05]
    assert renyi(p, q, 1) == kl(p, q)
    assert renyi(p, q, 0) == 0.0  # same supports
    assert renyi([0.5, 0.5, 0.0], [0.25, 0.25, 0.5], 0) == pytest.approx(math.log(2), rel=EPS)
    assert renyi(p, q, math.inf) == pytest.approx(math.log(10), rel=2 * EPS)
    assert renyi(p, q, 0.5) == pytest.approx(2 * bhattacharyya(p, q), rel=4 * EPS)
    assert renyi(p, q, 2) == pytest.approx(math.log1p(chi_square(p, q)), rel=4 * EPS)


# ---------------------------------------------------------- properties


def random_pairs(rng, count, bins, zeros=0.0):
    x = rng.dirichlet(np.full(bins, 0.7), size=(2, count))
    if zeros:
        x[rng.random(x.shape) < zeros] = 0.0
        x[..., 0] += x.sum(axis=-1) == 0
        x /= x.sum(axis=-1, keepdims=True)
    return x[0], x[1]


def test_bounds_and_inequalities():
    rng = np.random.default_rng(11)
    for bins, zeros in [(2, 0.0), (5, 0.3), (50, 0.0), (50, 0.5)]:
        p, q = random_pairs(rng, 200, bins, zeros)
        h, tv, kl_ = hellinger(p, q), total_variation(p, q), kl(p, q)
        assert ((0 <= h) & (h <= 1)).all() and ((0 <= tv) & (tv <= 1)).all()
        slack = 1 + 1e-14  # rounding of the two sides
        assert (tv <= np.sqrt(kl_ / 2) * slack).all()  # Pinsker
        assert (h**2 <= tv * slack).all() and (tv <= math.sqrt(2) * h * slack).all()
        assert (chi_square(p, q) >= np.expm1(kl_) / slack).all()  # KL <= log(1 + chi^2)
        finite = h < 0.99
        np.testing.assert_allclose(bhattacharyya(p, q)[finite], -np.log1p(-(h[finite] ** 2)), rtol=1e-13)


def test_renyi_is_non_decreasing_in_alpha_and_continuous_at_one():
    rng = np.random.default_rng(12)
    alphas = [0.0, 0.01, 0.1, 0.3, 0.5, 0.8, 0.99, 1.0, 1.01, 1.5, 2.0, 4.0, 10.0, 100.0, math.inf]
    for bins, zeros in [(3, 0.0), (20, 0.0), (20, 0.3)]:
        p, q = random_pairs(rng, 50, bins, zeros)
        values = np.array([renyi(p, q, a) for a in alphas])
        finite = np.isfinite(values)
        with np.errstate(invalid="ignore"):
            steps = np.diff(values, axis=0)
        ok = (steps >= -1e-14 * np.abs(values[1:])) | ~finite[1:]
        assert ok.all()
        kl_ = kl(p, q)
        fin = np.isfinite(kl_)
        for h in [1e-4, 1e-7, 1e-10]:
            for a in (1 - h, 1 + h):
                np.testing.assert_allclose(renyi(p, q, a)[fin], kl_[fin], rtol=100 * h)


def test_bases():
    p, q = [0.10, 0.40, 0.50], [0.80, 0.15, 0.05]
    for func, args in [(bhattacharyya, ()), (renyi, (0.5,)), (renyi, (3.0,)), (renyi, (math.inf,)), (renyi, (0.0,))]:
        nats = func(p, q, *args)
        assert func(p, q, *args, base=2) == pytest.approx(nats / math.log(2), rel=2 * EPS)
        assert func(p, q, *args, base=10) == pytest.approx(nats / math.log(10), rel=2 * EPS)
        assert func(p, q, *args, base=math.e) == pytest.approx(nats, rel=2 * EPS)
        with pytest.raises(ValueError, match=r"^base: "):
            func(p, q, *args, base=1)


# ------------------------------------------------------------ input checks

FUNCS = [hellinger, bhattacharyya, total_variation, chi_square, lambda p, q, **kw: renyi(p, q, 2.0, **kw)]


@pytest.mark.parametrize("func", FUNCS)
def test_bad_vectors_name_the_argument(func):
    good = [0.5, 0.5]
    for bad, words in [([0.5, -0.1, 0.6], "negative"), ([0.3, 0.3], "does not sum to 1"), ([0.5, np.nan], "NaN")]:
        with pytest.raises(ValueError, match=rf"^p: .*{words}"):
            func(bad, good)
        with pytest.raises(ValueError, match=rf"^q: .*{words}"):
            func(good, bad)
    with pytest.raises(ValueError, match=r"^q: has 2 probabilities along axis -1 but p has 3"):
        func([0.2, 0.3, 0.5], good)
    with pytest.raises(ValueError, match=r"^q: batch shape \(3,\) does not broadcast"):
        func(np.full((2, 2), 0.5), np.full((3, 2), 0.5))
    with pytest.raises(ValueError, match=r"^axis: "):
        func(good, good, axis=1)
    with pytest.raises(ValueError, match=r"^atol: "):
        func(good, good, atol=-1)
    assert func([1.0, 1.0], [1.0, 3.0], normalize=True) == func(good, [0.25, 0.75])


@pytest.mark.parametrize("alpha", [-0.5, -math.inf, math.nan, "2", True, None, 1j, [2.0]])
def test_bad_alpha_is_named(alpha):
    with pytest.raises(ValueError, match=r"^alpha: "):
        renyi([0.5, 0.5], [0.25, 0.75], alpha)
    with pytest.raises(ValueError, match=r"^alpha: "):
        pairwise("renyi", [[0.5, 0.5]], alpha=alpha)


# ---------------------------------------------------- batches and slices


@pytest.mark.parametrize("name", ["hellinger", "bhattacharyya", "total_variation", "chi_square", "renyi"])
def test_batches_axis_and_slices(monkeypatch, name):
    rng = np.random.default_rng(13)
    func = getattr(discrete, name)
    kwargs = {"alpha": 3.0} if name == "renyi" else {}
    p = rng.dirichlet(np.ones(7), size=(3, 1))
    q = rng.dirichlet(np.ones(7), size=(1, 4))
    q[0, 1] = [1e-320, 1e-300, 0.2, 0.2, 0.2, 0.2, 0.2]  # renyi(3): an overflowing sum in one item
    whole = func(p, q, **kwargs)
    loop = np.array([[func(p[i, 0], q[0, j], **kwargs) for j in range(4)] for i in range(3)])
    np.testing.assert_array_equal(whole, loop)
    np.testing.assert_array_equal(func(np.moveaxis(p, -1, 0), np.moveaxis(q, -1, 0), axis=0, **kwargs), whole)
    monkeypatch.setattr(discrete, "_TILE_ELEMENTS", 4)  # every slicing path, also along the bins
    np.testing.assert_allclose(func(p, q, **kwargs), whole, rtol=8 * EPS)


def test_renyi_passes_join_slices_of_one_long_vector(monkeypatch):
    rng = np.random.default_rng(14)
    p, q = rng.dirichlet(np.ones(40)), rng.dirichlet(np.ones(40))
    q[3], p[5] = 1e-300, 0.0
    p /= p.sum()
    q /= q.sum()
    expected = {a: renyi(p, q, a) for a in [0.0, 0.3, 3.0, math.inf]}
    # nearly disjoint supports: for alpha < 1 the sum of powers 2^-1060 underflows
    far_p, far_q = np.zeros(40), np.zeros(40)
    far_p[:20], far_q[20:] = 1 / 20, 1 / 20
    far_p[39] = far_q[0] = 2.0**-1060
    far = {a: renyi(far_p, far_q, a) for a in [0.3, 0.9]}
    P, Q = ([mpmath.mpf(v) for v in x] for x in (far_p, far_q))
    P, Q = [v / sum(P) for v in P], [v / sum(Q) for v in Q]
    for a, value in far.items():
        assert value == pytest.approx(float(mp_truth("renyi", P, Q, a)), rel=1e-13)
    monkeypatch.setattr(discrete, "_TILE_ELEMENTS", 8)
    for a, value in expected.items():
        assert renyi(p, q, a) == pytest.approx(value, rel=8 * EPS)
    for a, value in far.items():
        assert renyi(far_p, far_q, a) == pytest.approx(value, rel=8 * EPS)


# ------------------------------------------------------------ pairwise


@pytest.mark.parametrize(
    "name,kwargs",
    [("hellinger", {}), ("bhattacharyya", {}), ("total_variation", {}), ("chi_square", {}),
     ("renyi", {"alpha": 0.0}), ("renyi", {"alpha": 0.3}), ("renyi", {"alpha": 3.0}), ("renyi", {"alpha": math.inf})],
)
@pytest.mark.parametrize("bins", [5, 70])  # bins first in the tiles below 64 bins
def test_pairwise_equals_the_loop_of_pairs(name, kwargs, bins):
    rng = np.random.default_rng(bins)
    x = rng.dirichlet(np.ones(bins), size=9)
    x[0, 1] = x[2, 3] = 0.0
    x[4, 0] = 1e-300
    x /= x.sum(axis=1, keepdims=True)
    y = rng.dirichlet(np.ones(bins), size=4)
    func = getattr(discrete, name)
    for chunk in [None, 2]:
        matrix = pairwise(name, x, chunk_size=chunk, **kwargs)
        np.testing.assert_array_equal(matrix, [[func(a, b, **kwargs) for b in x] for a in x])
        np.testing.assert_array_equal(pairwise(func, x, q=y, chunk_size=chunk, **kwargs), [[func(a, b, **kwargs) for b in y] for a in x])
    if name in ("hellinger", "bhattacharyya", "total_variation"):
        assert (matrix == matrix.T).all() and (np.diag(matrix) == 0).all()


def test_pairwise_bases_and_errors():
    x = [[0.10, 0.40, 0.50], [0.80, 0.15, 0.05], [1 / 3, 1 / 3, 1 / 3]]
    np.testing.assert_allclose(pairwise("renyi", x, alpha=2, base=2), pairwise("renyi", x, alpha=2) / math.log(2), rtol=2 * EPS)
    np.testing.assert_array_equal(pairwise("renyi", x, alpha=1), pairwise("kl", x))
    for name in ["hellinger", "total_variation", "chi_square"]:
        with pytest.raises(ValueError, match=r"^base: .*no base"):
            pairwise(name, x, base=2)
    with pytest.raises(ValueError, match=r"^alpha: .*needs its order"):
        pairwise("renyi", x)
    with pytest.raises(ValueError, match=r"^alpha: only the Renyi"):
        pairwise("kl", x, alpha=2)
    with pytest.raises(ValueError, match=r"^divergence: unknown name 'renyii'.*'renyi'"):
        pairwise("renyii", x)


# -------------------------------------------------------------- labels


class Labelled:
    """The part of a pandas Series that anadiv.discrete looks at."""

    def __init__(self, values, index):
        self._values = np.asarray(values, dtype=float)
        self.index = list(index)

    def to_numpy(self):
        return self._values.copy()


@pytest.mark.parametrize("func", FUNCS)
def test_labelled_vectors_are_paired_by_label(func):
    p = Labelled([0.1, 0.4, 0.5], "abc")
    q_shuffled = Labelled([0.05, 0.8, 0.15], "cab")
    assert func(p, q_shuffled) == func([0.1, 0.4, 0.5], [0.8, 0.15, 0.05])
    with pytest.raises(ValueError, match=r"^q: labels along axis -1 differ"):
        func(p, Labelled([0.8, 0.15, 0.05], "abz"))
