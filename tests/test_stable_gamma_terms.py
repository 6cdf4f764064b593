"""The lgamma Bregman divergence where its evaluation changes method, against mpmath.

:func:`anadiv.numeric.stable.lgamma_bregman` shifts its arguments to at least 10
(one step more or less on either side of 10), and carries Stirling's remainder
with as many terms as ``1/min(x, y) < 2**e`` needs: the count changes at every
power of two from 16 on, and in one batch most elements get the common count
while the others get the rest separately. Points just either side of those
boundaries, alone and mixed in one batch, must be as accurate as anywhere:
8 eps against 40 correct digits of mpmath. Gamma and Beta KLs of large shapes
use the same remainder (within 16 eps, their regrouped terms add a few roundings).

Budget: about 1 s.
"""

from __future__ import annotations

import mpmath
import numpy as np
import pytest

from anadiv.numeric import stable as _stable

EPS = float(np.finfo(np.float64).eps)
# 1/min(x, y) crosses a power of two (the remainder's term count changes), and the shift target
EDGES = [10.0, 16.0, 32.0, 64.0, 128.0, 1024.0, 2048.0]
STEPS = [1e-12, 1e-6, 1e-3, 0.2]  # relative distance of b from a


def _points() -> list[tuple[float, float]]:
    out = []
    for edge in EDGES:
        for a in (np.nextafter(edge, 0.0), edge, edge * (1 + 1e-9), edge * (1 - 1e-9)):
            for step in STEPS:
                for sign in (1.0, -1.0):
                    b = float(a * (1 + sign * step))
                    # the smaller argument decides the count: keep it at the edge too
                    out.append((float(a), b) if sign > 0 else (b, float(a)))
    return out


def _exact(a: float, b: float) -> mpmath.mpf:
    with mpmath.workdps(80):  # 40 digits after the cancellation of a 1e-12 step
        x, y = mpmath.mpf(a), mpmath.mpf(b)
        return mpmath.loggamma(y) - mpmath.loggamma(x) - (y - x) * mpmath.digamma(x)


def _worst(values: np.ndarray, refs: list[mpmath.mpf]) -> float:
    return max(float(abs((mpmath.mpf(float(v)) - r) / r)) for v, r in zip(values, refs))


POINTS = _points()
REFS = [_exact(a, b) for a, b in POINTS]


def test_lgamma_bregman_either_side_of_its_boundaries_one_by_one():
    values = np.array([float(_stable.lgamma_bregman(a, b)) for a, b in POINTS])
    assert _worst(values, REFS) <= 8 * EPS


def test_lgamma_bregman_either_side_of_its_boundaries_in_one_batch():
    # one batch: the elements that need more remainder terms than most take the separate pass
    a = np.array([p[0] for p in POINTS])
    b = np.array([p[1] for p in POINTS])
    batch = _stable.lgamma_bregman(a, b)
    assert _worst(batch, REFS) <= 8 * EPS
    # and a batch of mostly large arguments, where the few small ones are the minority
    big = np.full(200, 5000.0)
    a2 = np.concatenate([a, big])
    b2 = np.concatenate([b, big * (1 + 1e-7)])
    assert np.array_equal(_stable.lgamma_bregman(a2, b2)[: a.size], batch)


@pytest.mark.parametrize("edge", [16.0, 32.0, 128.0, 1024.0])
def test_gamma_and_beta_kl_of_large_shapes_at_the_remainder_boundaries(edge):
    def gamma_kl(a1, b1, a2, b2):
        return (mpmath.loggamma(a2) - mpmath.loggamma(a1) - (a2 - a1) * mpmath.digamma(a1)
                + a1 * (b2 / b1 - 1 - mpmath.log(b2 / b1)) + (a2 - a1) * mpmath.log(b1 / b2))

    def beta_kl(a1, b1, a2, b2):
        def br(x, y):
            return mpmath.loggamma(y) - mpmath.loggamma(x) - (y - x) * mpmath.digamma(x)

        return br(a1, a2) + br(b1, b2) - br(a1 + b1, a2 + b2)

    a1 = np.array([edge, np.nextafter(edge, 0.0) * 2, edge * 1.5, edge])
    a2 = a1 * np.array([1 + 1e-6, 1 - 1e-9, 1.1, 1 - 1e-3])
    change = np.array([1 - 1e-6, 1 + 1e-9, 1.0, 1 + 1e-3])
    rates = np.array([1.3, 0.7, 3.0 * edge, 2.0 * edge])
    # Beta: both parameters of a distribution large (one far larger than the other is outside
    # the documented bound, docs/accuracy.md)
    betas = edge * np.array([0.8, 1.3, 3.0, 2.0])
    for fn, ref, b1 in ((_stable.gamma_bregman, gamma_kl, rates), (_stable.beta_bregman, beta_kl, betas)):
        b2 = b1 * change
        got = fn(a1, b1, a2, b2)
        with mpmath.workdps(80):
            refs = [ref(*(mpmath.mpf(float(x[i])) for x in (a1, b1, a2, b2))) for i in range(a1.size)]
        assert _worst(got, refs) <= 16 * EPS, fn.__name__


def test_a_batch_of_huge_shapes_needing_no_remainder_terms_keeps_the_few_small_ones_whole():
    # shapes of 1e12 need none of Stirling's remainder terms, so the common count is zero; the
    # elements that need terms must still get all of them (a batch once dropped their first term)
    a = np.array([p[0] for p in POINTS])
    b = np.array([p[1] for p in POINTS])
    huge = np.full(3 * a.size, 1e12)
    batch = _stable.lgamma_bregman(np.concatenate([a, huge]), np.concatenate([b, huge * (1 + 1e-7)]))[: a.size]
    assert _worst(batch, REFS) <= 8 * EPS
    # the Beta KL found so: its value in a batch with a pair of huge shapes is its value alone
    pair = ([17.3, 1e12], [26.551525034662863, 16.799831726437034],
            [20.08972048321544, 707068646173.0659], [84.99903034112128, 19.472217258908405])
    alone = float(_stable.beta_bregman(*(p[0] for p in pair)))
    assert float(_stable.beta_bregman(*(np.array(p) for p in pair))[0]) == alone
    assert abs(alone / 10.323995086661479710455363775803 - 1) <= 16 * EPS
