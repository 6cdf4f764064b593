"""Property tests (hypothesis) for anadiv.discrete.

Vectors mix exact zeros, tiny masses (down to 1e-300) and ordinary values so
that the zero conventions, the far-ratio forms and the near-equal forms are
all exercised.  Budget: about 5 s.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from anadiv.discrete import cross_entropy, entropy, js_distance, js_divergence, kl, pairwise

EPS = np.finfo(np.float64).eps
SETTINGS = settings(max_examples=150, deadline=None)

weights = st.one_of(
    st.just(0.0),
    st.floats(1e-300, 1e-250),
    st.floats(1e-12, 1e-6),
    st.floats(1e-3, 1e3),
)


@st.composite
def distributions(draw, count: int):
    """`count` probability vectors of one common length, each with some mass."""
    n = draw(st.integers(1, 12))
    out = []
    for _ in range(count):
        w = np.array(draw(st.lists(weights, min_size=n, max_size=n)))
        assume(w.sum() > 0)
        out.append(w / w.sum())
    return out


@st.composite
def near_pairs(draw):
    """p and a small relative perturbation of it (the cancellation regime)."""
    n = draw(st.integers(1, 12))
    w = np.array(draw(st.lists(st.floats(1e-6, 1e3), min_size=n, max_size=n)))
    p = w / w.sum()
    eps = draw(st.floats(1e-12, 1e-2))
    signs = np.array(draw(st.lists(st.sampled_from([-1.0, 1.0]), min_size=p.size, max_size=p.size)))
    q = p * (1 + eps * signs)
    return p, q / q.sum()


@SETTINGS
@given(distributions(2))
def test_kl_is_non_negative_and_never_nan(pq):
    p, q = pq
    value = kl(p, q)
    assert value >= 0.0 and not math.isnan(value)
    assert kl(p, q, base=2) >= 0.0
    # infinite exactly when p has mass where q has none
    assert math.isinf(value) == bool(((p > 0) & (q == 0)).any())


@SETTINGS
@given(distributions(1))
def test_kl_of_a_distribution_with_itself_is_zero(p):
    (p,) = p
    assert kl(p, p) == 0.0
    assert js_divergence(p, p) == 0.0
    assert js_distance(p, p) == 0.0


@SETTINGS
@given(distributions(2))
def test_js_is_symmetric_and_at_most_one_bit(pq):
    p, q = pq
    forward, backward = js_divergence(p, q, base=2), js_divergence(q, p, base=2)
    assert forward == backward  # bit for bit: the per-bin terms are symmetric
    assert 0.0 <= forward <= 1.0
    assert js_divergence(p, q) <= math.log(2)
    assert js_distance(p, q, base=2) <= 1.0


@SETTINGS
@given(distributions(3))
def test_js_distance_obeys_the_triangle_inequality(pqr):
    p, q, r = pqr
    d_pr = js_distance(p, r)
    d_pq, d_qr = js_distance(p, q), js_distance(q, r)
    # each distance carries a relative error of a few ulps
    assert d_pr <= (d_pq + d_qr) * (1 + 16 * EPS)


@SETTINGS
@given(distributions(2))
def test_cross_entropy_is_entropy_plus_kl(pq):
    p, q = pq
    h, ce, d = entropy(p), cross_entropy(p, q), kl(p, q)
    assert 0.0 <= h <= math.log(p.size) * (1 + 4 * EPS) + 1e-300
    # Float vectors sum to 1 only within ~n ulps; that slack (not the
    # evaluation) bounds how far H(p, q) >= H(p) can appear violated.
    assert ce >= h * (1 - 8 * EPS) - 4 * p.size * EPS
    if math.isinf(d):
        assert math.isinf(ce)
    else:
        assert ce == pytest.approx(h + d, rel=1e-12, abs=1e-14)


@SETTINGS
@given(near_pairs())
def test_near_equal_pairs_stay_positive_and_consistent(pq):
    # For p close to q: KL ~ sum (p-q)^2 / (2q) ~ 4 JS; no zero, no negative.
    p, q = pq
    d, j = kl(p, q), js_divergence(p, q)
    assert d >= 0.0 and j >= 0.0
    if (np.abs(p - q) > 1e-10 * p).any():  # a difference beyond rounding
        assert d > 0.0 and j > 0.0
        chi2 = float((((p - q) ** 2) / q).sum())
        assert d == pytest.approx(chi2 / 2, rel=0.05)
        assert j == pytest.approx(d / 4, rel=0.05)


@settings(max_examples=40, deadline=None)
@given(distributions(5))
def test_batched_and_pairwise_agree_with_single_calls(dists):
    x = np.array(dists)
    batched = js_distance(x[:, None, :], x[None, :, :])
    single = np.array([[js_distance(a, b) for b in x] for a in x])
    np.testing.assert_array_equal(batched, single)
    # tiles may sum the bins in another order: a few ulps
    np.testing.assert_allclose(pairwise("js_distance", x, chunk_size=2, workers=1), single, rtol=1e-14, atol=0)
    kl_single = np.array([[kl(a, b) for b in x] for a in x])
    np.testing.assert_allclose(pairwise("kl", x, chunk_size=3, workers=1), kl_single, rtol=1e-14, atol=0)
    assert not np.isnan(pairwise("cross_entropy", x)).any()


@SETTINGS
@given(distributions(2), st.floats(1e-3, 1e6))
def test_normalize_equals_dividing_by_the_sum(pq, scale):
    p, q = pq
    # Rescaling rounds each entry (relative 1e-16), which moves a divergence
    # by about 1e-16 of itself, or by ~1e-32 when it is 0.
    assert kl(p * scale, q, normalize=True) == pytest.approx(kl(p, q), rel=1e-13, abs=1e-28)
    assert js_divergence(p * scale, q / 2, normalize=True) == pytest.approx(
        js_divergence(p, q), rel=1e-13, abs=1e-28
    )
