"""Closed forms between location families at large, close locations.

A divergence between two location families depends only on the difference of
the locations. A form that carries them separately (mu_1**2 - 2*mu_1*mu_2 +
mu_2**2, exp(loc_1/s)*exp(-loc_2/s)) loses every digit or overflows at
locations of 1e8; codegen rewrites such forms through the exact difference.
Checked against the engine's expression in 60-digit mpmath at the same inputs.
"""

import zlib

import mpmath as mp
import numpy as np
import pytest

import anadiv
from anadiv import FAMILIES

sympy = pytest.importorskip("sympy")

GETTERS = {"kl": anadiv.kl_function, "cross_entropy": anadiv.cross_entropy_function}


def _cases():
    out = []
    for kind in GETTERS:
        for cf in anadiv.closed_form_pairs(kind):
            P, Q = FAMILIES[cf.p], FAMILIES[cf.q]
            if cf.status != "infinite" and P.location and Q.location and not P.event_ndim:
                out.append(pytest.param(kind, P, Q, id=f"{kind}-{cf.p}-{cf.q}"))
    return out


CASES = _cases()


def test_location_families_have_cases():
    names = {fam.name for fam in FAMILIES.values() if fam.location and not fam.event_ndim}
    assert names == {"normal", "laplace", "cauchy", "gumbel", "studentt", "logistic", "moyal"}
    assert len(CASES) >= 20


@pytest.mark.parametrize("kind, P, Q", CASES)
def test_large_close_locations_keep_full_precision(kind, P, Q):
    derive = getattr(anadiv, f"derive_{kind}")
    d = derive(P, Q)
    exact = sympy.lambdify([*d.symbols[0], *d.symbols[1]], d.expr, "mpmath")
    func = GETTERS[kind](P, Q)
    rng = np.random.default_rng(zlib.crc32(f"{kind}-{P.name}-{Q.name}".encode()))
    p_names = [p.name for p in P.parameters]
    q_names = [p.name for p in Q.parameters]
    checked = 0
    for _ in range(16):
        pv, qv = list(P.random_params(rng)), list(Q.random_params(rng))
        base = 1e8 * rng.choice([-1.0, 1.0])
        pv[p_names.index(P.location)] = base
        qv[q_names.index(Q.location)] = base + rng.uniform(-2.0, 2.0)
        with mp.workdps(60):
            try:
                truth = exact(*[mp.mpf(v) for v in pv + qv])
            except ZeroDivisionError:
                continue
            if not mp.isfinite(truth):
                continue
            got = float(func(*pv, *qv))
            assert abs(got - truth) <= 1e-12 * abs(truth), (pv, qv, got, float(truth))
        checked += 1
    assert checked >= 3


def test_diagonal_normal_cross_entropy_at_large_close_means():
    from anadiv import DiagonalNormal

    mean_1 = np.array([1e8, -1e8, 3.0])
    mean_2 = mean_1 + np.array([0.5, -0.25, 0.0])
    scale_1, scale_2 = np.array([1.0, 2.0, 0.5]), np.array([1.5, 1.0, 0.5])
    got = anadiv.cross_entropy(DiagonalNormal(mean_1, scale_1), DiagonalNormal(mean_2, scale_2))
    with mp.workdps(60):
        truth = sum(
            mp.log(mp.mpf(s2)) + mp.log(2 * mp.pi) / 2 + ((mp.mpf(m1) - mp.mpf(m2)) ** 2 + mp.mpf(s1) ** 2) / (2 * mp.mpf(s2) ** 2)
            for m1, s1, m2, s2 in zip(mean_1, scale_1, mean_2, scale_2)
        )
        assert abs(got - truth) <= 1e-13 * abs(truth)
