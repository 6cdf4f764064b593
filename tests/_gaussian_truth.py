"""60-digit dense evaluation of the Gaussian closed forms (private test helper).

A Gaussian is given as ``(kind, params)`` with kind ``"lowrank"`` (loc, W, D),
``"mvn"`` (mean, cov) or ``"diag"`` (mean, scale). The covariance is formed
from the float parameters exactly (mpmath at 60 digits: ``W W^T + D``,
``scale^2``), then the textbook formula

    KL = 1/2 [tr(S_Q^-1 S_P) - d + log det S_Q - log det S_P + (m_Q - m_P)^T S_Q^-1 (m_Q - m_P)]

through mpmath Cholesky factors and triangular solves (``tr(S_Q^-1 S_P) =
|L_Q^-1 L_P|_F^2``), sharing no code with anadiv.
"""

from __future__ import annotations

from typing import Any

import mpmath as mp
import numpy as np

DPS = 60


def covariance(kind: str, params: tuple[Any, ...]) -> tuple[list[Any], Any]:
    """Mean (list of mpf) and covariance (mp.matrix) of one Gaussian, exact in its float parameters."""
    if kind == "lowrank":
        loc, w, diag = (np.asarray(v, dtype=float) for v in params)
        d, r = w.shape
        wm = [[mp.mpf(w[i, k]) for k in range(r)] for i in range(d)]
        cov = mp.matrix(d, d)
        for i in range(d):
            for j in range(i + 1):
                cov[i, j] = cov[j, i] = mp.fsum(wm[i][k] * wm[j][k] for k in range(r))
            cov[i, i] += mp.mpf(diag[i])
        return [mp.mpf(v) for v in loc], cov
    if kind == "mvn":
        mean, c = (np.asarray(v, dtype=float) for v in params)
        d = len(mean)
        return [mp.mpf(v) for v in mean], mp.matrix([[mp.mpf(c[i, j]) for j in range(d)] for i in range(d)])
    mean, scale = (np.asarray(v, dtype=float) for v in params)
    d = len(mean)
    cov = mp.zeros(d, d)
    for i in range(d):
        cov[i, i] = mp.mpf(scale[i]) ** 2
    return [mp.mpf(v) for v in mean], cov


def _solve_lower(chol: Any, rhs: list[list[Any]]) -> list[list[Any]]:
    """``L^-1 B`` for lower-triangular ``L`` and ``B`` given as a list of columns."""
    d = chol.rows
    out = []
    for col in rhs:
        x: list[Any] = []
        for i in range(d):
            x.append((col[i] - mp.fsum(chol[i, j] * x[j] for j in range(i))) / chol[i, i])
        out.append(x)
    return out


def kl(p: tuple[str, tuple[Any, ...]], q: tuple[str, tuple[Any, ...]]) -> Any:
    """KL(P || Q) at 60 digits."""
    with mp.workdps(DPS):
        m1, s1 = covariance(*p)
        m2, s2 = covariance(*q)
        d = len(m1)
        l1, l2 = mp.cholesky(s1), mp.cholesky(s2)
        cols = [[l1[i, j] for i in range(d)] for j in range(d)]
        m = _solve_lower(l2, cols)
        trace = mp.fsum(v * v for col in m for v in col)
        (z,) = _solve_lower(l2, [[a - b for a, b in zip(m1, m2)]])
        maha = mp.fsum(v * v for v in z)
        logdet = 2 * mp.fsum(mp.log(l2[i, i]) - mp.log(l1[i, i]) for i in range(d))
        return +((trace - d + logdet + maha) / 2)


def entropy(p: tuple[str, tuple[Any, ...]]) -> Any:
    """H(P) = 1/2 [d (1 + log 2 pi) + log det S_P] at 60 digits."""
    with mp.workdps(DPS):
        m1, s1 = covariance(*p)
        d = len(m1)
        l1 = mp.cholesky(s1)
        return +((d * (1 + mp.log(2 * mp.pi)) + 2 * mp.fsum(mp.log(l1[i, i]) for i in range(d))) / 2)
