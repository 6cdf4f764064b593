"""Batched Cholesky helpers for the multivariate-normal closed forms.

The generated multivariate-normal functions call these through the array
namespace (``xp._linalg.<name>``). Everything works from Cholesky factors
``S = L L^T``: log-determinants are ``2 sum log diag(L)``, every ``S^-1 x`` is a
triangular solve, no inverse is ever formed. All functions batch over leading
axes (numpy broadcasting) and keep float32 as float32.

Two code paths compute the same thing: numpy's batched ``linalg`` routines
(best for many small matrices) and a Python loop over LAPACK's triangular
routines (``potrf``/``trtrs``, best for a few large matrices, where numpy's
batched ``solve`` would run a general LU on a triangular factor). The choice
depends only on the shapes.

Accuracy: for nearly equal covariances the KL's matrix part
``tr(S2^-1 S1) - d - log det(S2^-1 S1)`` is a tiny difference of large
numbers. :func:`kl_core` writes it as a sum of nonnegative terms and, where
it is small, recomputes it from the eigenvalues ``e`` of the whitened
difference ``L2^-1 (S1 - S2) L2^-T`` as ``sum(e - log1p(e))`` with a series
for small ``e``: full relative precision down to KL ~ 1e-300.
"""

from __future__ import annotations

from typing import Any

import numpy as np

__all__ = [
    "cholesky",
    "dimension",
    "logdet",
    "mahalanobis",
    "trace_solve",
    "kl_core",
    "batch_zeros",
    "solve_lower",
]

# Few large matrices: loop over LAPACK (a triangular solve costs half of LU).
_LOOP_MIN_DIM = 24
_LOOP_MAX_BATCH = 512
# Below this value (relative to d), kl_core recomputes through eigenvalues.
_NEAR_EQUAL = 1e-3


def _lapack(name: str, arr: np.ndarray) -> Any:
    from scipy.linalg import lapack

    (func,) = lapack.get_lapack_funcs((name,), (arr,))
    return func


def _use_loop(batch: tuple[int, ...], d: int) -> bool:
    return d >= _LOOP_MIN_DIM and int(np.prod(batch, dtype=np.int64)) <= _LOOP_MAX_BATCH


def _float(a: Any) -> np.ndarray:
    a = np.asarray(a)
    return a if a.dtype.kind == "f" else a.astype(np.float64)


_OWNER = {"_1": " (P's covariance)", "_2": " (Q's covariance)"}


def _not_pd(name: str) -> ValueError:
    return ValueError(f"{name}: must be positive definite{_OWNER.get(name[-2:], '')} (Cholesky factorization failed)")


def cholesky(cov: Any, name: str = "cov") -> np.ndarray:
    """Lower Cholesky factor of a batch of covariance matrices.

    Raises ``ValueError`` starting with ``name`` when a matrix is not
    positive definite.

    Examples
    --------
    >>> L = cholesky([[4.0, 2.0], [2.0, 2.0]])
    >>> L.tolist()
    [[2.0, 0.0], [1.0, 1.0]]
    """
    cov = _float(cov)
    if cov.ndim < 2 or cov.shape[-1] != cov.shape[-2]:
        raise ValueError(f"{name}: must be square with shape (..., d, d), got shape {cov.shape}")
    batch, d = cov.shape[:-2], cov.shape[-1]
    if _use_loop(batch, d) and batch:
        potrf = _lapack("potrf", cov)
        flat = cov.reshape((-1, d, d))
        out = np.empty_like(flat)
        for i in range(flat.shape[0]):
            # the transpose is a Fortran-ordered view of the same symmetric
            # matrix: LAPACK reads it without a copy
            c, info = potrf(flat[i].T, lower=1, clean=1)
            if info != 0:
                raise _not_pd(name)
            out[i] = c
        return out.reshape(cov.shape)
    try:
        return np.linalg.cholesky(cov)
    except np.linalg.LinAlgError:
        raise _not_pd(name) from None


def solve_lower(chol: np.ndarray, rhs: np.ndarray) -> np.ndarray:
    """``L^-1 rhs`` for lower-triangular ``L`` (..., d, d) and ``rhs`` (..., d, k), broadcasting."""
    d = chol.shape[-1]
    batch = np.broadcast_shapes(chol.shape[:-2], rhs.shape[:-2])
    if _use_loop(batch, d):
        trtrs = _lapack("trtrs", np.empty(0, np.result_type(chol, rhs)))
        cb = np.broadcast_to(chol, batch + chol.shape[-2:]).reshape((-1, d, d))
        rb = np.broadcast_to(rhs, batch + rhs.shape[-2:]).reshape((-1,) + rhs.shape[-2:])
        out = np.empty(rb.shape, dtype=np.result_type(chol, rhs))
        for i in range(cb.shape[0]):
            # L^T is a Fortran-ordered view of L: solve (L^T)^T x = b without copying L
            out[i], _info = trtrs(cb[i].T, rb[i], lower=0, trans=1)
        return out.reshape(batch + rhs.shape[-2:])
    return np.linalg.solve(chol, rhs)


def dimension(**arrays: Any) -> int:
    """The common event dimension ``d`` of mean vectors and covariance matrices.

    Arguments are named like the generated function's parameters; the names
    ending in ``_2`` are Q's. A mismatch raises ``ValueError`` naming them.
    """
    dims = {}
    for name, a in arrays.items():
        shape = np.shape(a)
        if not shape:
            raise ValueError(f"{name}: must have an event axis (shape (..., d)), got a scalar")
        dims[name] = shape[-1]
    values = set(dims.values())
    if len(values) > 1:
        first = next(iter(dims.values()))
        bad = [n for n, v in dims.items() if v != first]
        good = [n for n, v in dims.items() if v == first]
        raise ValueError(
            f"{', '.join(bad)}: dimension {dims[bad[0]]} differs from {', '.join(good)} (dimension {first})"
        )
    return int(values.pop())


def logdet(chol: np.ndarray) -> np.ndarray:
    """``log det S = 2 sum log diag(L)`` for ``S = L L^T``, batched."""
    return 2.0 * np.sum(np.log(np.diagonal(chol, axis1=-2, axis2=-1)), axis=-1)


def mahalanobis(chol: np.ndarray, diff: Any) -> np.ndarray:
    """``diff^T S^-1 diff = |L^-1 diff|^2`` for ``S = L L^T``, batched over leading axes."""
    diff = np.asarray(diff)
    z = solve_lower(chol, diff[..., None])[..., 0]
    return np.sum(z * z, axis=-1)


def trace_solve(chol_b: np.ndarray, chol_a: np.ndarray) -> np.ndarray:
    """``tr(B^-1 A) = |L_B^-1 L_A|_F^2`` from the Cholesky factors of A and B."""
    m = solve_lower(chol_b, chol_a)
    return np.sum(m * m, axis=(-2, -1))


def batch_zeros(x: Any, event_ndim: int) -> np.ndarray:
    """Zeros with the batch shape of ``x`` (its shape without the event axes)."""
    x = np.asarray(x)
    shape = x.shape[: x.ndim - event_ndim] if event_ndim else x.shape
    return np.zeros(shape, dtype=np.result_type(x, 1.0))


def _x_minus_log1p(x: np.ndarray) -> np.ndarray:
    """``x - log1p(x)`` (>= 0) without cancellation for small ``|x|``.

    With ``u = x / (2 + x)``: ``log1p(x) = 2 atanh(u)`` and ``x - 2u = u x``, so
    ``x - log1p(x) = u x - 2 (u^3/3 + u^5/5 + ...)``, every term small and of
    one sign for small ``u``.
    """
    x = np.asarray(x)
    out = np.empty_like(x)
    small = np.abs(x) < 0.5
    xs = x[small]
    u = xs / (2.0 + xs)
    u2 = u * u
    series = np.zeros_like(u)
    for k in range(31, 1, -2):  # |u| < 0.2: u^28 < 1e-19
        series = series * u2 + 1.0 / k
    out[small] = u * xs - 2.0 * u * u2 * series
    xl = x[~small]
    out[~small] = xl - np.log1p(xl)
    return out


def kl_core(cov_a: Any, chol_a: np.ndarray, cov_b: Any, chol_b: np.ndarray) -> np.ndarray:
    """``tr(B^-1 A) - d - log det(B^-1 A)`` (>= 0), accurate when A is close to B.

    With the lower-triangular ``M = L_B^-1 L_A`` (diagonal ``m``) the value is
    ``sum(f(m_ii^2 - 1)) + sum_{i>j} M_ij^2`` with ``f(x) = x - log1p(x)``:
    nonnegative terms, no cancellation between traces and determinants.
    Where the result is small (nearly equal covariances) the diagonal of
    factors computed separately is not accurate enough, so it is recomputed
    from the eigenvalues of the whitened difference (see the module notes).
    """
    m = solve_lower(chol_b, chol_a)
    d = m.shape[-1]
    diag = np.diagonal(m, axis1=-2, axis2=-1)
    x = (diag - 1.0) * (diag + 1.0)
    off = np.sum(np.tril(m, -1) ** 2, axis=(-2, -1))
    value = np.sum(_x_minus_log1p(x), axis=-1) + off
    near = value < _NEAR_EQUAL * d
    if np.any(near):
        cov_a, cov_b = _float(cov_a), _float(cov_b)
        batch = value.shape
        full = lambda a: np.broadcast_to(a, batch + a.shape[-2:])  # noqa: E731
        diff = (full(cov_a) - full(cov_b))[near]
        lb = full(chol_b)[near]
        w = solve_lower(lb, diff)
        w = solve_lower(lb, np.swapaxes(w, -1, -2))
        w = 0.5 * (w + np.swapaxes(w, -1, -2))
        eig = np.linalg.eigvalsh(w)
        value = np.array(value, copy=True)
        value[near] = np.sum(_x_minus_log1p(eig), axis=-1)
    return value
