"""The Gaussian cross-pair closed forms of ``anadiv.gaussian_pairs``.

Every pair of LowRankMultivariateNormal, MultivariateNormal, DiagonalNormal
(and Independent(Normal, 1)) against a 60-digit dense mpmath evaluation of the
textbook Gaussian formula (``tests/_gaussian_truth.py``) at typical and
extreme values: d up to 50, r up to 10, scales 1e-8 and 1e8, a factor much
larger than the diagonal, and nearly equal P and Q (relative changes 1e-9,
rotated factors). Also: the dense MultivariateNormal closed form, torch's
``kl_divergence``, batches and broadcasting, errors naming the argument, and
the Monte Carlo estimate.
"""

from __future__ import annotations

import math
import zlib
from typing import Any

import mpmath as mp
import numpy as np
import pytest

import _gaussian_truth as truth
import anadiv
from anadiv import (
    DiagonalNormal,
    Independent,
    Laplace,
    LowRankMultivariateNormal,
    MultivariateNormal,
    NoClosedFormError,
    Normal,
)

CLASSES = {"lowrank": LowRankMultivariateNormal, "mvn": MultivariateNormal, "diag": DiagonalNormal}
PAIRS = [
    ("lowrank", "lowrank"),
    ("lowrank", "mvn"),
    ("mvn", "lowrank"),
    ("lowrank", "diag"),
    ("diag", "lowrank"),
    ("diag", "mvn"),
    ("mvn", "diag"),
]
# name -> (d, r, scale, factor size relative to sqrt(D), relative change of Q, or None: an unrelated Q)
SCENARIOS = {
    "typical": (5, 2, 1.0, 1.0, None),
    "large": (50, 10, 1.0, 1.0, None),
    "tiny": (8, 3, 1e-8, 1.0, None),
    "huge": (8, 3, 1e8, 1.0, None),
    "dominant_factor": (8, 3, 1.0, 100.0, None),
    "near": (6, 2, 1.0, 1.0, 1e-9),
    "near_tiny": (6, 2, 1e-8, 1.0, 1e-9),
    "near_huge": (6, 2, 1e8, 1.0, 1e-9),
    "near_large": (50, 10, 1.0, 1.0, 1e-9),
    "near_dominant_factor": (8, 3, 1.0, 100.0, 1e-9),
}
RTOL = 1e-12
EPS = float(np.finfo(float).eps)


def _rtol(q: tuple[str, tuple[Any, ...]]) -> float:
    """RTOL, or ``eps cond(S_Q)`` where that is larger: the documented bound for nearly equal pairs.

    Whitening by a float Cholesky factor of ``S_Q`` moves the eigenvalues of
    ``S_Q^-1 (S_P - S_Q)`` by a relative ``eps cond(S_Q)`` (the existing dense
    MultivariateNormal closed form has the same bound).
    """
    _, cov = truth.covariance(*q)
    dense = np.array(cov.tolist(), dtype=float)
    return max(RTOL, EPS * float(np.linalg.cond(dense)))


def _rng(*salt: Any) -> np.random.Generator:
    return np.random.default_rng(zlib.crc32("/".join(map(str, salt)).encode()))


def _base(rng: np.random.Generator, d: int, r: int, s: float, big: float, factor: bool) -> dict[str, Any]:
    """Mean, factor (or None) and diagonal of one Gaussian at scale ``s``."""
    diag = np.exp(rng.uniform(-1.0, 1.0, d)) * s * s
    w = rng.normal(size=(d, r)) * s * big if factor else None
    return {"loc": rng.normal(size=d) * s, "w": w, "diag": diag, "s": s, "r": r}


def _perturb(rng: np.random.Generator, base: dict[str, Any], eps: float) -> dict[str, Any]:
    out = dict(base)
    for key in ("loc", "w", "diag"):
        if base[key] is not None:
            out[key] = base[key] * (1.0 + eps * rng.normal(size=base[key].shape))
    return out


def _realize(kind: str, base: dict[str, Any], rng: np.random.Generator) -> tuple[str, tuple[Any, ...]]:
    """``(kind, params)`` of one family for the Gaussian ``base``."""
    loc, w, diag = base["loc"], base["w"], base["diag"]
    if kind == "lowrank":
        if w is None:  # a low-rank part 1e-5 of the diagonal's scale: a relative change of 1e-10
            w = 1e-5 * base["s"] * rng.normal(size=(len(loc), base["r"]))
        return kind, (loc, w, diag)
    if kind == "diag":
        assert w is None
        return kind, (loc, np.sqrt(diag))
    cov = np.diag(diag) if w is None else w @ w.T + np.diag(diag)
    return kind, (loc, 0.5 * (cov + cov.T))


def case(kp: str, kq: str, scenario: str) -> tuple[tuple[str, tuple[Any, ...]], tuple[str, tuple[Any, ...]]]:
    """P and Q (as ``(kind, params)``) of one scenario."""
    d, r, s, big, eps = SCENARIOS[scenario]
    rng = _rng(kp, kq, scenario)
    factor = "diag" not in (kp, kq) or eps is None
    first = _base(rng, d, r, s, big, factor and kp != "diag")
    if eps is None:
        second = _base(rng, d, r, s, big, kq != "diag")
    else:
        second = _perturb(rng, first, eps)
    return _realize(kp, first, rng), _realize(kq, second, rng)


def _dist(spec: tuple[str, tuple[Any, ...]]) -> Any:
    kind, params = spec
    return CLASSES[kind](*params)


def _rel(value: float, ref: Any) -> float:
    return float(abs(mp.mpf(value) - ref) / abs(ref))


# --------------------------------------------------------------- mpmath truth
@pytest.mark.parametrize("scenario", sorted(SCENARIOS))
@pytest.mark.parametrize("kp, kq", PAIRS, ids=["-".join(p) for p in PAIRS])
def test_kl_equals_60_digit_mpmath(kp, kq, scenario):
    p, q = case(kp, kq, scenario)
    ref = truth.kl(p, q)
    got = anadiv.kl(_dist(p), _dist(q))
    assert isinstance(got, float) and got >= 0
    assert _rel(got, ref) <= _rtol(q), (kp, kq, scenario, got, mp.nstr(ref, 20), _rtol(q))


@pytest.mark.parametrize("scenario", ["typical", "tiny", "huge", "dominant_factor", "near"])
@pytest.mark.parametrize("kp, kq", PAIRS, ids=["-".join(p) for p in PAIRS])
def test_cross_entropy_and_entropy_equal_mpmath(kp, kq, scenario):
    p, q = case(kp, kq, scenario)
    h_ref, kl_ref = truth.entropy(p), truth.kl(p, q)
    got = anadiv.cross_entropy(_dist(p), _dist(q))
    # H(P, Q) = H(P) + KL(P || Q): each part to its bound, RTOL of H(P) and the KL's documented
    # max(RTOL, eps cond(S_Q)) of the KL (a dominant factor: cond(S_Q) ~ 1e5; numpy 2.4.6 / OpenBLAS
    # 0.3.31 round it to 1.5e-12 where the earlier build gave under 1e-12), so the sum to their sum
    # (H(P, Q) itself can be near 0 where H(P) < 0 cancels the KL)
    bound = RTOL * abs(h_ref) + _rtol(q) * kl_ref
    assert abs(mp.mpf(got) - (h_ref + kl_ref)) <= bound, (got, h_ref + kl_ref)
    if kp == "lowrank":
        d = len(p[1][0])
        h = anadiv.entropy(_dist(p))
        # the terms d (1 + log 2 pi) / 2 and log det S / 2 can cancel: the bound is in their sizes
        size = d * (1 + math.log(2 * math.pi)) / 2 + abs(float(h_ref) - d * (1 + math.log(2 * math.pi)) / 2)
        assert abs(mp.mpf(h) - h_ref) <= RTOL * size, (h, h_ref)


def test_rotated_factors_give_the_same_covariance():
    # W and W R (R orthogonal) are the same covariance up to the rounding of W R: the KL is that
    # rounding's tiny effect, which the difference of W W^T and (W R)(W R)^T, formed exactly, keeps.
    rng = _rng("rotated")
    for d, r, s in ((6, 3, 1.0), (50, 10, 1.0), (10, 4, 1e-8), (10, 4, 1e8)):
        loc, w, diag = rng.normal(size=d) * s, rng.normal(size=(d, r)) * s, np.exp(rng.normal(size=d)) * s * s
        rot, _ = np.linalg.qr(rng.normal(size=(r, r)))
        p, q = ("lowrank", (loc, w, diag)), ("lowrank", (loc, w @ rot, diag))
        ref = truth.kl(p, q)
        got = anadiv.kl(_dist(p), _dist(q))
        assert 0 < ref < 1e-25
        assert _rel(got, ref) <= RTOL, (d, r, s, got, mp.nstr(ref, 20))


def test_independent_normal_is_a_diagonal_normal():
    rng = _rng("independent")
    mean, scale = rng.normal(size=(2, 5)), np.exp(rng.normal(size=(2, 5)))
    ind, diag = Independent(Normal(mean, scale), 1), DiagonalNormal(mean, scale)
    others = [_dist(case("lowrank", "lowrank", "typical")[1]), MultivariateNormal(*MultivariateNormal.random_params(rng, 5)),
              DiagonalNormal(rng.normal(size=5), np.exp(rng.normal(size=5)))]
    for other in others:
        for kind in ("kl", "cross_entropy"):
            f = getattr(anadiv, kind)
            np.testing.assert_allclose(f(ind, other), f(diag, other), rtol=1e-14)
            np.testing.assert_allclose(f(other, ind), f(other, diag), rtol=1e-14)
    with pytest.raises(NoClosedFormError, match=r"^p: the Gaussian closed forms take Independent\(Normal"):
        anadiv.kl(Independent(Laplace(mean, scale), 1), others[0])
    with pytest.raises(NoClosedFormError, match=r"^q: the Gaussian closed forms take Independent\(Normal"):
        anadiv.kl(others[1], Independent(Normal(mean[..., None], scale[..., None]), 2))


# ------------------------------------------------------ the dense closed form
@pytest.mark.parametrize("kp, kq", PAIRS, ids=["-".join(p) for p in PAIRS])
def test_equals_the_dense_multivariate_normal_closed_form(kp, kq):
    for scenario in ("typical", "large", "tiny", "huge"):
        p, q = (_dist(s) for s in case(kp, kq, scenario))
        dense = [x if isinstance(x, MultivariateNormal) else x.to_multivariate() for x in (p, q)]
        for kind in ("kl", "cross_entropy"):
            f = getattr(anadiv, kind)
            assert f(p, q) == pytest.approx(f(*dense), rel=1e-12, abs=0), (scenario, kind)
    lowrank = _dist(case("lowrank", "lowrank", "large")[0])
    assert anadiv.entropy(lowrank) == pytest.approx(anadiv.entropy(lowrank.to_multivariate()), rel=1e-12)


# ---------------------------------------------------------------------- torch
TORCH_PAIRS = [("lowrank", "lowrank"), ("lowrank", "mvn"), ("mvn", "lowrank")]


def _torch(spec: tuple[str, tuple[Any, ...]]) -> Any:
    import torch

    kind, params = spec
    t = [torch.tensor(np.asarray(v, dtype=np.float64)) for v in params]
    if kind == "lowrank":
        return torch.distributions.LowRankMultivariateNormal(*t)
    return torch.distributions.MultivariateNormal(t[0], covariance_matrix=t[1])


@pytest.mark.parametrize("kp, kq", TORCH_PAIRS, ids=["-".join(p) for p in TORCH_PAIRS])
def test_torch_kl_divergence_agrees_where_it_is_right(kp, kq):
    torch = pytest.importorskip("torch")
    for scenario in ("typical", "large", "dominant_factor"):
        p, q = case(kp, kq, scenario)
        ref = truth.kl(p, q)
        theirs = float(torch.distributions.kl_divergence(_torch(p), _torch(q)))
        ours = anadiv.kl(_dist(p), _dist(q))
        assert _rel(ours, ref) <= _rtol(q), scenario  # the documented bound, as in test_kl_equals_60_digit_mpmath
        assert theirs == pytest.approx(ours, rel=1e-9), scenario


@pytest.mark.parametrize("kp, kq", TORCH_PAIRS, ids=["-".join(p) for p in TORCH_PAIRS])
def test_torch_loses_the_digits_of_nearly_equal_pairs(kp, kq):
    # torch adds tr(S_Q^-1 S_P), -d and the log-determinants as they are: for P and Q 1e-9 apart
    # the KL (~1e-17) is below their rounding (~1e-15), anadiv's terms are each small.
    torch = pytest.importorskip("torch")
    p, q = case(kp, kq, "near")
    ref = truth.kl(p, q)
    theirs = float(torch.distributions.kl_divergence(_torch(p), _torch(q)))
    ours = anadiv.kl(_dist(p), _dist(q))
    assert _rel(ours, ref) <= RTOL
    assert _rel(theirs, ref) > 1e-3, (theirs, mp.nstr(ref, 20))


# ---------------------------------------------------------- batches, errors
@pytest.mark.parametrize("kp, kq", PAIRS, ids=["-".join(p) for p in PAIRS])
def test_batches_broadcast_like_scalars(kp, kq):
    rng = _rng("batch", kp, kq)
    d, r = 4, 2

    def make(kind: str, shape: tuple[int, ...]) -> Any:
        loc = rng.normal(size=shape + (d,))
        if kind == "lowrank":
            return LowRankMultivariateNormal(loc, rng.normal(size=shape + (d, r)), np.exp(rng.normal(size=(d,))))
        if kind == "diag":
            return DiagonalNormal(loc, np.exp(rng.normal(size=shape + (d,))))
        mats = [MultivariateNormal.random_params(rng, d)[1] for _ in range(int(np.prod(shape)))]
        return MultivariateNormal(loc, np.reshape(mats, shape + (d, d)))

    p, q = make(kp, (3, 1)), make(kq, (4,))
    # one pair nearly equal, so that its item takes the recomputed path inside the batch
    for kind in ("kl", "cross_entropy"):
        f = getattr(anadiv, kind)
        got = f(p, q)
        assert got.shape == (3, 4)
        for i in range(3):
            for j in range(4):
                pi = type(p)(*[np.asarray(v)[i, 0] if np.ndim(v) > (1 if n != "cov_factor" and n != "cov" else 2) else v
                               for n, v in p.params.items()])
                qj = type(q)(*[np.asarray(v)[j] if np.ndim(v) > (1 if n != "cov_factor" and n != "cov" else 2) else v
                               for n, v in q.params.items()])
                assert got[i, j] == pytest.approx(f(pi, qj), rel=1e-13), (kind, i, j)


def test_a_batch_mixes_the_structured_and_the_recomputed_paths():
    rng = _rng("mixed")
    d, r = 6, 2
    loc, w, diag = rng.normal(size=(3, d)), rng.normal(size=(3, d, r)), np.exp(rng.normal(size=(3, d)))
    w_q = w.copy()
    w_q[1] *= 1 + 1e-9 * rng.normal(size=(d, r))  # item 1 nearly equal: its terms cancel
    w_q[0] = rng.normal(size=(d, r))
    w_q[2] *= 2.0
    p = LowRankMultivariateNormal(loc, w, diag)
    q = LowRankMultivariateNormal(loc, w_q, diag)
    got = anadiv.kl(p, q)
    for i in range(3):
        ref = truth.kl(("lowrank", (loc[i], w[i], diag[i])), ("lowrank", (loc[i], w_q[i], diag[i])))
        assert _rel(got[i], ref) <= RTOL, i


def test_bad_pairs_are_refused_naming_the_argument():
    rng = _rng("bad")
    p = LowRankMultivariateNormal(*LowRankMultivariateNormal.random_params(rng, 3))
    for q in (MultivariateNormal(np.zeros(4), np.eye(4)), DiagonalNormal(np.zeros(2), 1.0),
              LowRankMultivariateNormal(np.zeros(4), np.ones((4, 1)), np.ones(4))):
        for f in (anadiv.kl, anadiv.cross_entropy):
            with pytest.raises(ValueError, match=r"^q: dimension \d differs from p's dimension 3"):
                f(p, q)
    batch_p = LowRankMultivariateNormal(np.zeros((2, 3)), np.ones((3, 1)), np.ones(3))
    batch_q = DiagonalNormal(np.zeros((5, 3)), 1.0)
    with pytest.raises(ValueError, match=r"^q: batch shape \(5,\) does not broadcast with p's batch shape \(2,\)"):
        anadiv.kl(batch_p, batch_q)


def test_the_rules_are_listed():
    for kind in ("kl", "cross_entropy"):
        rows = {(c.p, c.q): c for c in anadiv.closed_form_pairs(kind)}
        for kp, kq in PAIRS:
            row = rows[(CLASSES[kp].name, CLASSES[kq].name)]
            assert row.source == "builtin" and row.status == "finite"
    (row,) = [c for c in anadiv.closed_form_pairs("entropy") if c.p == "lowrank_multivariate_normal"]
    assert row.function == "anadiv.gaussian_pairs.entropy_lowrank"


# --------------------------------------------------------------- Monte Carlo
@pytest.mark.parametrize("kp, kq", PAIRS, ids=["-".join(p) for p in PAIRS])
def test_monte_carlo_agrees_within_its_standard_error(kp, kq):
    p, q = (_dist(s) for s in case(kp, kq, "typical"))
    est = anadiv.kl_estimate(p, q, n=20_000, seed=5)
    assert abs(est.value - anadiv.kl(p, q)) < 5 * est.stderr, (est, anadiv.kl(p, q))


def test_docstring_examples_run():
    import doctest

    from anadiv import gaussian_pairs

    result = doctest.testmod(gaussian_pairs, optionflags=doctest.ELLIPSIS)
    assert result.attempted >= 3 and result.failed == 0
