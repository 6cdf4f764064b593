"""Batched Cholesky helpers for the multivariate-normal closed forms.

The generated multivariate-normal functions call these through the array
namespace (``xp._linalg.<name>``). Everything works from Cholesky factors
``S = L L^T``: log-determinants are ``2 sum log diag(L)``, every ``S^-1 x`` is a
triangular solve, no inverse is ever formed. All functions batch over leading
axes (numpy broadcasting) and keep float32 as float32.

Two code paths compute the same thing: numpy's batched ``linalg`` routines
(best for small matrices, d < 28) and a Python loop over LAPACK/BLAS
(``potrf``, ``trsm``, ``trsv``; best from d ~ 28, where numpy's batched
``solve`` would run a general LU on a triangular factor). The choice depends
only on the shapes and dtype.

Accuracy: for nearly equal covariances the KL's matrix part
``tr(S2^-1 S1) - d - log det(S2^-1 S1)`` is a tiny difference of large
numbers. :func:`kl_core` writes it as a sum of nonnegative terms (the
diagonal ones from the ratios of the factors' diagonals, right for ratios
from 1e-150 to 1e150) and, where it is small, recomputes it from the
eigenvalues ``e`` of the whitened difference ``L2^-1 (S1 - S2) L2^-T`` as
``sum(e - log1p(e))`` with a series for small ``e``: full relative precision
down to KL ~ 1e-300. Scales: tiny covariances are factored after an exact
power-of-4 scaling, and an overflow inside a triangular solve gives ``inf``
(see docs/accuracy.md, "Multivariate normal at extreme scales").

Speed (the LAPACK loop). The loop calls ``potrf``, ``trsm`` and ``trsv``
through :mod:`anadiv.numeric.blas` (no GIL, no copies of sub-blocks); the threads
of :mod:`anadiv.numeric.threads` take chunks of the batch from a shared queue, with
OpenBLAS on one thread each. ``M = L_B^-1 L_A`` is lower triangular and its
column block ``J`` (columns ``j0 <= j < j1``) depends only on the trailing
triangle ``L_B[j0:, j0:]``, so it is solved block by block: about
``0.47 d^3`` flops with four blocks (the most used) instead of ``d^3`` for
a full triangular solve, in 0.7 of its time at d = 200 (narrow solves run
slower per flop). The diagonal and the strictly-lower sum of squares of
``M`` are read from a per-thread buffer; ``M`` itself is never stored. At
d = 200 one factorization takes about 120 us (84 of them in ``potrf``) and
one blocked solve about 145 us on one core.

Low-rank plus diagonal covariances. ``S = D + W W^T`` (``W`` of shape
``d x r``) is handled through the ``r x r`` capacitance ``C = I + W^T D^-1 W``
(:func:`capacitance_cholesky`): Woodbury for ``S^-1``, the determinant lemma
for ``log det S``, ``O(d r^2)`` per matrix (:func:`lowrank_kl_core`,
:func:`lowrank_mahalanobis`), each value with the sum of its terms' sizes so
that a caller can tell cancellation. For nearly equal pairs,
:func:`covariance_difference` forms ``S_A - S_B`` from the parts with exact
products and double-double sums and :func:`kl_core_from_difference` runs
:func:`kl_core`'s eigenvalue path on it (used by :mod:`anadiv.gaussian_pairs`).

Factor reuse. A validated :class:`~anadiv.MultivariateNormal` keeps its
covariance as an immutable private copy (:func:`factored_copy`: numpy
cannot make it writable again) and the factor computed while validating
it; :func:`cholesky` returns that factor when it is given that very array.
A user who changes their own array afterwards changes nothing the family
holds, so a remembered factor can never be stale.
"""

from __future__ import annotations

import weakref
from typing import Any, Callable

import numpy as np

from . import blas as _blas
from . import blas_threads, error_free
from .error_free import two_sum

__all__ = [
    "cholesky",
    "dimension",
    "logdet",
    "mahalanobis",
    "trace_solve",
    "kl_core",
    "batch_zeros",
    "solve_lower",
    "factored_copy",
    "two_sum",
    "two_product",
    "capacitance_cholesky",
    "lowrank_logdet",
    "lowrank_mahalanobis",
    "lowrank_kl_core",
    "covariance_difference",
    "kl_core_from_difference",
    "whitened_difference_eigenvalues",
]

# Few large matrices: loop over LAPACK (a triangular solve costs half of LU).
# Measured crossover (2 cores, float64): the loop wins from d ~ 28 whatever the
# batch size when it calls BLAS through anadiv.numeric.blas; through scipy.linalg.lapack's
# wrappers (the fallback) it pays a Python call per matrix, so batches stay small.
_LOOP_MIN_DIM = 28
_LOOP_MAX_BATCH = 512
# Below this value (relative to d), kl_core recomputes through eigenvalues.
_NEAR_EQUAL = 1e-3
# Column blocks of the triangular solve M = L_B^-1 L_A: about d / _BLOCK of
# them, at most _MAX_BLOCKS (measured at d = 200, 1000, 2000: 4 blocks; narrower
# blocks lose more in trsm efficiency than they save in flops).
_BLOCK = 50
_MAX_BLOCKS = 4
# A thread's part of a batch should hold at least this many flops (a split costs
# ~0.1 ms: smaller parts, such as 50 single-vector solves of d = 200, run faster unsplit).
_MIN_PART_FLOPS = 2.0e6


def _lapack(name: str, arr: np.ndarray) -> Any:
    from scipy.linalg import lapack

    (func,) = lapack.get_lapack_funcs((name,), (arr,))
    return func


def _use_loop(batch: tuple[int, ...], d: int, dtype: Any = np.float64) -> bool:
    if d < _LOOP_MIN_DIM:
        return False
    return _blas.routines(dtype) is not None or int(np.prod(batch, dtype=np.int64)) <= _LOOP_MAX_BATCH


def _float(a: Any) -> np.ndarray:
    a = np.asarray(a)
    return a if a.dtype.kind == "f" else a.astype(np.float64)


_OWNER = {"_1": " (P's covariance)", "_2": " (Q's covariance)"}


def _not_pd(name: str) -> ValueError:
    return ValueError(f"{name}: must be positive definite{_OWNER.get(name[-2:], '')} (Cholesky factorization failed)")


# ------------------------------------------------------------ factor reuse
# id(frozen covariance) -> (weak reference to it, its read-only factor). The
# weak reference's callback drops the entry when the array is freed, and a
# hit also checks identity, so a recycled id can never match.
_FACTORS: dict[int, tuple[weakref.ref[Any], np.ndarray]] = {}


def _forget(key: int) -> Callable[[Any], None]:
    def drop(_ref: Any) -> None:
        _FACTORS.pop(key, None)

    return drop


def _immutable_copy(a: np.ndarray) -> np.ndarray:
    # Backed by a bytes object: numpy refuses to make it (or its base) writable.
    return np.frombuffer(np.ascontiguousarray(a).tobytes(), dtype=a.dtype).reshape(a.shape)


def factored_copy(cov: Any, name: str = "cov") -> tuple[np.ndarray, np.ndarray]:
    """An immutable copy of ``cov`` and its Cholesky factor, remembered for :func:`cholesky`.

    The copy is backed by a ``bytes`` object, so neither it nor its base can
    be made writable; the factor is read-only. Later ``cholesky(copy)``
    calls return the factor without factoring again. Raises ``ValueError``
    starting with ``name`` when a matrix is not positive definite.

    Examples
    --------
    >>> import numpy as np
    >>> cov = np.array([[4.0, 2.0], [2.0, 2.0]])
    >>> frozen, chol = factored_copy(cov)
    >>> cholesky(frozen) is chol
    True
    >>> frozen.flags.writeable
    False
    """
    frozen = _immutable_copy(_float(cov))
    chol = cholesky(frozen, name)
    if chol.flags.writeable:
        chol.flags.writeable = False
    key = id(frozen)
    _FACTORS[key] = (weakref.ref(frozen, _forget(key)), chol)
    return frozen, chol


def _remembered(cov: Any) -> np.ndarray | None:
    entry = _FACTORS.get(id(cov))
    if entry is not None and entry[0]() is cov:
        return entry[1]
    return None


# -------------------------------------------------------------- the loop
def _for_each(make_work: Callable[[], Callable[[int, int], None]], n: int, flops_per_item: float) -> None:
    """Run ``work(lo, hi)`` over chunks covering ``range(n)``, split across threads when it pays.

    ``make_work()`` is called once per thread (per-thread buffers) and
    returns ``work``. Threads take chunks of about a quarter of the smallest
    worthwhile part (one matrix at d = 200) from a shared queue rather than
    fixed halves, so a core slowed by another process does not hold the
    others up. The BLAS runs on one thread while the batch is split, and
    also when anadiv is set to one thread (``set_num_threads(1)``: the
    caller runs one computation per core); see :mod:`anadiv.numeric.blas_threads`.
    """
    from .threads import get_num_threads, run_chunks

    threads = get_num_threads()
    min_part = max(1, int(_MIN_PART_FLOPS // max(flops_per_item, 1.0)))
    if not blas_threads.can_split():
        make_work()(0, n)
    elif threads > 1 and n >= 2 * min_part:
        with blas_threads.one_blas_thread():
            run_chunks(make_work, n, min_part // 4, min_part)
    elif threads == 1:
        with blas_threads.one_blas_thread():
            make_work()(0, n)
    else:
        make_work()(0, n)


def _stack(a: np.ndarray, batch: tuple[int, ...]) -> tuple[np.ndarray, np.ndarray | None]:
    """``a``'s matrices as a C-contiguous stack, and the index of each broadcast batch item in it.

    The index is None when ``a`` already has the full batch (no copies of
    broadcast matrices are made).
    """
    tail = a.shape[len(a.shape) - 2 :]
    own = a.shape[:-2]
    stack = np.require(a, requirements=("C", "A")).reshape((-1,) + tail)  # BLAS gets aligned, C-ordered data
    if own == batch:
        return stack, None
    index = np.broadcast_to(np.arange(len(stack)).reshape(own), batch).ravel()
    return stack, index


def _aligned_empty(shape: tuple[int, ...], dtype: Any) -> np.ndarray:
    """``np.empty`` starting on a 64-byte boundary (numpy's large arrays start 16 bytes past one).

    With block corners on multiples of 8 (see :func:`_block_edges`) the
    sub-matrices given to BLAS then start on cache lines.
    """
    dtype = np.dtype(dtype)
    nbytes = int(np.prod(shape, dtype=np.int64)) * dtype.itemsize
    raw = np.empty(nbytes + 64, dtype=np.uint8)
    start = (-raw.ctypes.data) % 64
    return raw[start : start + nbytes].view(dtype).reshape(shape)


_UPPER: dict[int, np.ndarray] = {}


def _upper_mask(d: int) -> np.ndarray:
    mask = _UPPER.get(d)
    if mask is None:
        mask = _UPPER[d] = np.triu(np.ones((d, d), dtype=bool), 1)
    return mask


def _cholesky_blas(flat: np.ndarray, name: str, lib: _blas.Routines) -> np.ndarray:
    n, d = flat.shape[0], flat.shape[-1]
    out = _aligned_empty(flat.shape, flat.dtype)
    keep = ~_upper_mask(d).T  # the upper triangle with the diagonal

    def make_work() -> Callable[[int, int], None]:
        # This thread's buffer: its strict lower triangle stays 0 (potrf
        # never writes there), so its transpose is a clean lower factor.
        w = _aligned_empty((d, d), flat.dtype)
        w[...] = 0.0
        wptr = w.ctypes.data
        factor = lib.factorizer(d, d)

        def work(lo: int, hi: int) -> None:
            for i in range(lo, hi):
                # Through the transpose LAPACK reads the lower triangle (as numpy
                # does) with its faster lower-triangular potrf; see anadiv.numeric.blas.
                np.copyto(w, flat[i].T, where=keep)
                if factor(wptr) != 0:
                    raise _not_pd(name)
                np.copyto(out[i], w.T)

        return work

    _for_each(make_work, n, d**3 / 3.0)
    return out


def _cholesky_f2py(flat: np.ndarray, name: str) -> np.ndarray:
    # Fallback when anadiv.numeric.blas is unavailable (a dtype or scipy build it does not cover).
    potrf = _lapack("potrf", flat)
    out = np.empty_like(flat)
    for i in range(flat.shape[0]):
        # the transpose is a Fortran-ordered view of the same symmetric
        # matrix: LAPACK reads it without a copy
        c, info = potrf(flat[i].T, lower=1, clean=1)
        if info != 0:
            raise _not_pd(name)
        out[i] = c
    return out


def cholesky(cov: Any, name: str = "cov") -> np.ndarray:
    """Lower Cholesky factor of a batch of covariance matrices.

    Raises ``ValueError`` starting with ``name`` when a matrix is not
    positive definite. For a covariance made by :func:`factored_copy` the
    remembered (read-only) factor is returned.

    Examples
    --------
    >>> L = cholesky([[4.0, 2.0], [2.0, 2.0]])
    >>> L.tolist()
    [[2.0, 0.0], [1.0, 1.0]]
    """
    known = _remembered(cov)
    if known is not None:
        return known
    cov = _float(cov)
    if cov.ndim < 2 or cov.shape[-1] != cov.shape[-2]:
        raise ValueError(f"{name}: must be square with shape (..., d, d), got shape {cov.shape}")
    batch, d = cov.shape[:-2], cov.shape[-1]
    shift = _tiny_shift(cov)
    if shift is not None:
        # 4^-j S is factored and its factor scaled back by 2^j: both exact
        # (two factors 2^-j: 4^-j itself overflows for j < -511)
        down = np.ldexp(1.0, -shift).astype(cov.dtype)[..., None, None]
        cov = cov * down * down
    if batch and _use_loop(batch, d, cov.dtype):
        flat = np.require(cov, requirements=("C", "A")).reshape((-1, d, d))
        lib = _blas.routines(flat.dtype)
        out = _cholesky_blas(flat, name, lib) if lib is not None else _cholesky_f2py(flat, name)
        out = out.reshape(cov.shape)
    else:
        try:
            out = np.linalg.cholesky(cov)
        except np.linalg.LinAlgError:
            raise _not_pd(name) from None
    if shift is not None:
        out *= np.ldexp(1.0, shift).astype(out.dtype)[..., None, None]
    return out


def _tiny_shift(cov: np.ndarray) -> np.ndarray | None:
    """Per matrix, ``j`` with ``4^-j max(diag S)`` near 1 where that maximum is tiny; None when none is.

    The factorization forms Schur complements down to about ``max(diag S) /
    cond(S)``: for a matrix at 1e-300 with a condition number of 1e10 they
    would be subnormal and lose their digits. Scaling by a power of 4 first
    keeps them normal (the factor of the scaled matrix is the factor of ``S``
    times a power of 2, exactly). Large matrices need nothing: every
    intermediate of the factorization is bounded by the diagonal.
    """
    if cov.shape[-1] == 0 or cov.size == 0:
        return None
    top = np.max(np.diagonal(cov, axis1=-2, axis2=-1), axis=-1)
    small = (top > 0) & (top < np.sqrt(np.finfo(cov.dtype).tiny))
    if not np.any(small):
        return None
    exponent = np.frexp(top)[1]
    return np.where(small, exponent // 2, 0)


def _solve_lower_blas(chol: np.ndarray, rhs: np.ndarray, batch: tuple[int, ...], lib: _blas.Routines) -> np.ndarray:
    d, k = rhs.shape[-2], rhs.shape[-1]
    lstack, lidx = _stack(chol, batch)
    rstack, ridx = _stack(rhs, batch)
    n = int(np.prod(batch, dtype=np.int64))
    out = np.empty((n, d, k), dtype=lstack.dtype)
    lbase, lstep = lstack.ctypes.data, d * d * lstack.itemsize
    obase, ostep = out.ctypes.data, d * k * out.itemsize

    def make_work() -> Callable[[int, int], None]:
        solve = lib.vector_solver(d, d) if k == 1 else lib.solver(d, k, d, k)

        def work(lo: int, hi: int) -> None:
            out[lo:hi] = rstack[lo:hi] if ridx is None else rstack[ridx[lo:hi]]
            for i in range(lo, hi):
                solve(lbase + (i if lidx is None else int(lidx[i])) * lstep, obase + i * ostep)

        return work

    _for_each(make_work, n, float(d) * d * k)
    return out.reshape(batch + (d, k))


def solve_lower(chol: np.ndarray, rhs: np.ndarray) -> np.ndarray:
    """``L^-1 rhs`` for lower-triangular ``L`` (..., d, d) and ``rhs`` (..., d, k), broadcasting."""
    d = chol.shape[-1]
    batch = np.broadcast_shapes(chol.shape[:-2], rhs.shape[:-2])
    dtype = np.result_type(chol, rhs)
    if _use_loop(batch, d, dtype):
        if rhs.shape[-1] == 0 or 0 in batch:
            return np.empty(batch + rhs.shape[-2:], dtype=dtype)
        lib = _blas.routines(dtype)
        if lib is not None:
            return _solve_lower_blas(chol.astype(dtype, copy=False), rhs.astype(dtype, copy=False), batch, lib)
        trtrs = _lapack("trtrs", np.empty(0, dtype))
        cb = np.broadcast_to(chol, batch + chol.shape[-2:]).reshape((-1, d, d))
        rb = np.broadcast_to(rhs, batch + rhs.shape[-2:]).reshape((-1,) + rhs.shape[-2:])
        out = np.empty(rb.shape, dtype=dtype)
        for i in range(len(cb)):
            # L^T is a Fortran-ordered view of L: solve (L^T)^T x = b without copying L
            out[i], _info = trtrs(cb[i].T, rb[i], lower=0, trans=1)
        return out.reshape(batch + rhs.shape[-2:])
    return np.linalg.solve(chol, rhs)


def _block_edges(d: int) -> list[int]:
    blocks = min(_MAX_BLOCKS, max(1, round(d / _BLOCK)))
    # Block corners on multiples of 8 rows and columns keep the sub-matrices that
    # trsm gets 64-byte aligned in float64: 130 instead of 145 us at d = 200.
    inner = [8 * round(i * d / blocks / 8) for i in range(1, blocks)]
    return sorted({0, d, *(e for e in inner if 0 < e < d)})


def _whitened_blas(
    chol_b: np.ndarray, chol_a: np.ndarray, batch: tuple[int, ...], lib: _blas.Routines
) -> tuple[np.ndarray, np.ndarray]:
    """Diagonal and strictly-lower sum of squares of ``M = L_B^-1 L_A``, block by block (module notes)."""
    d = chol_a.shape[-1]
    astack, aidx = _stack(chol_a, batch)
    bstack, bidx = _stack(chol_b, batch)
    n = int(np.prod(batch, dtype=np.int64))
    diag = np.empty((n, d), dtype=astack.dtype)
    off = np.empty(n, dtype=astack.dtype)
    size = astack.itemsize
    bbase, step = bstack.ctypes.data, d * d * size
    edges = _block_edges(d)
    blocks = list(zip(edges[:-1], edges[1:]))

    def make_work() -> Callable[[int, int], None]:
        m = _aligned_empty((d, d), astack.dtype)  # this thread's buffer
        mptr = m.ctypes.data
        flat_diag = m.reshape(-1)[:: d + 1]
        # block J: rows j0.. of its columns, against the trailing triangle of L_B
        solves = [((j0 * d + j0) * size, lib.solver(d - j0, j1 - j0, d, d)) for j0, j1 in blocks]
        squares = lib.sum_of_squares(d * d)

        def work(lo: int, hi: int) -> None:
            for i in range(lo, hi):
                # L_A is lower triangular, so M is too: rows above j0 of block J stay 0
                np.copyto(m, astack[i if aidx is None else aidx[i]])
                lb = bbase + (i if bidx is None else int(bidx[i])) * step
                for corner, solve in solves:
                    solve(lb + corner, mptr + corner)
                diag[i] = flat_diag
                flat_diag[:] = 0.0
                off[i] = squares(mptr)  # the diagonal and the upper triangle are 0

        return work

    _for_each(make_work, n, d**3 / 2.3)
    return diag.reshape(batch + (d,)), off.reshape(batch)


def _whitened(chol_b: Any, chol_a: Any) -> tuple[np.ndarray, np.ndarray]:
    """``(diag(M), sum_{i>j} M_ij^2)`` for ``M = L_B^-1 L_A``, both factors lower triangular."""
    chol_a, chol_b = np.asarray(chol_a), np.asarray(chol_b)
    d = chol_a.shape[-1]
    batch = np.broadcast_shapes(chol_a.shape[:-2], chol_b.shape[:-2])
    dtype = np.result_type(chol_a, chol_b)
    lib = _blas.routines(dtype) if (d and _use_loop(batch, d, dtype)) else None
    if lib is not None:
        return _whitened_blas(chol_b.astype(dtype, copy=False), chol_a.astype(dtype, copy=False), batch, lib)
    m = solve_lower(chol_b, chol_a)
    diag = np.diagonal(m, axis1=-2, axis2=-1)
    return diag, np.sum(np.tril(m, -1) ** 2, axis=(-2, -1))


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
    with np.errstate(over="ignore", invalid="ignore", under="ignore"):
        z = solve_lower(chol, diff[..., None])[..., 0]
        return _overflow_to_inf(np.sum(z * z, axis=-1), (diff, 1))


def trace_solve(chol_b: np.ndarray, chol_a: np.ndarray) -> np.ndarray:
    """``tr(B^-1 A) = |L_B^-1 L_A|_F^2`` from the (lower-triangular) Cholesky factors of A and B."""
    with np.errstate(over="ignore", invalid="ignore", under="ignore"):
        diag, off = _whitened(chol_b, chol_a)
        return _overflow_to_inf(np.sum(diag * diag, axis=-1) + off, (chol_a, 2), (chol_b, 2))


def _overflow_to_inf(value: np.ndarray, *inputs: tuple[Any, int]) -> np.ndarray:
    """``value`` with NaN made ``inf`` where the inputs hold no NaN.

    A triangular solve with finite inputs gives NaN only through ``inf -
    inf`` after an overflow, and an intermediate ``L_ij z_j`` overflows only
    when ``|z_j| > sqrt(max float)`` (every ``|L_ij|`` is below the square
    root of the largest float): the sum of squares is then beyond the float
    range anyway.
    """
    bad = np.isnan(value)
    if not np.any(bad):
        return value
    tainted = np.zeros(np.shape(value), dtype=bool)
    for a, event_ndim in inputs:
        a = np.asarray(a)
        tainted |= np.any(np.isnan(a), axis=tuple(range(a.ndim - event_ndim, a.ndim)))
    value = np.array(value, copy=True)
    value[bad & ~tainted] = np.inf
    return value


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
    small = np.abs(x) < 0.5
    if small.all():  # the usual case of nearly equal inputs: no masked copies
        u = x / (2.0 + x)
        u2 = u * u
        series = np.zeros_like(u)
        for k in range(31, 1, -2):
            series = series * u2 + 1.0 / k
        return u * x - 2.0 * u * u2 * series
    out = np.empty_like(x)
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


def _ratio_atoms(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """``r^2 - 1 - 2 log r`` (>= 0) for ``r = a / b``, positive ``a`` and ``b``, elementwise.

    ``r^2 - 1 = t (t + 2)`` with ``t = (a - b) / b`` from the difference of
    the two numbers (exact when they are within a factor 2), then
    ``x - log1p(x)`` of it. Below ``r = 0.1`` the term is ``-1 - 2 log r``
    plus a little, and ``1 + x`` has lost the digits of ``r^2``: there it is
    formed from ``log r`` (or ``log a - log b`` where ``r`` underflows), so a
    ratio of 1e-10 (covariances 1e-20 apart) keeps every digit.
    """
    with np.errstate(over="ignore", invalid="ignore", under="ignore", divide="ignore"):
        t = (a - b) / b
        x = t * (t + 2.0)
        out = _x_minus_log1p(x)
        out[x == np.inf] = np.inf  # r^2 beyond the float range: so is the term
        far = x < -0.99
        if np.any(far):
            af, bf = a[far], b[far]
            r = af / bf
            log_r = np.where(r >= np.finfo(r.dtype).tiny, np.log(r), np.log(af) - np.log(bf))
            out[far] = r * r - 1.0 - 2.0 * log_r
    return out


def _pow2_exponent(x: np.ndarray) -> np.ndarray:
    """``e`` with ``x = m 2^e``, ``0.5 <= m < 1`` (0 for ``x == 0``)."""
    return np.frexp(x)[1]


def kl_core(cov_a: Any, chol_a: np.ndarray, cov_b: Any, chol_b: np.ndarray) -> np.ndarray:
    """``tr(B^-1 A) - d - log det(B^-1 A)`` (>= 0), accurate when A is close to B and at any scale.

    With the lower-triangular ``M = L_B^-1 L_A`` (diagonal ``m_i = a_i / b_i``,
    the ratios of the factors' diagonals) the value is
    ``sum(m_i^2 - 1 - 2 log m_i) + sum_{i>j} M_ij^2``: nonnegative terms, no
    cancellation between traces and determinants, each diagonal term from
    :func:`_ratio_atoms` (accurate from ``m_i`` ~ 1e-150 to 1e150).
    Where the result is small (nearly equal covariances) the factors,
    computed separately, are not close enough to each other, so it is
    recomputed from the eigenvalues of the whitened difference (see the
    module notes), after scaling both matrices by the same power of 2 so that
    their difference is not subnormal (covariances near 1e-300).
    """

    def difference(mask: np.ndarray, k: np.ndarray) -> np.ndarray:
        a, b = _float(cov_a), _float(cov_b)
        four = -2 * k[:, None, None]  # 4^-k A, 4^-k B are exact
        full = lambda x: np.broadcast_to(x, mask.shape + x.shape[-2:])  # noqa: E731
        return np.ldexp(full(a)[mask], four) - np.ldexp(full(b)[mask], four)

    return kl_core_from_difference(chol_a, chol_b, difference)


def _near_equal_core(
    value: np.ndarray, near: np.ndarray, chol_b: np.ndarray, difference: Callable[[np.ndarray, np.ndarray], np.ndarray]
) -> np.ndarray:
    """``value`` with its ``near`` items recomputed as ``sum(e - log1p(e))`` over the whitened difference.

    ``e`` are the eigenvalues of ``L_B^-1 (A - B) L_B^-T``; ``difference(near, k)``
    gives ``4^-k (A - B)`` for the ``near`` items, ``k`` per item such that
    ``2^-k L_B`` has its largest diagonal entry in [0.5, 1) (so that the
    difference of tiny covariances is not subnormal).
    """
    batch = value.shape
    lb = np.broadcast_to(chol_b, batch + chol_b.shape[-2:])[near]
    k = _pow2_exponent(np.max(np.diagonal(lb, axis1=-2, axis2=-1), axis=-1))
    lb = np.ldexp(lb, -k[:, None, None])
    diff = difference(near, k)
    w = solve_lower(lb, diff)
    w = solve_lower(lb, np.swapaxes(w, -1, -2))
    w = 0.5 * (w + np.swapaxes(w, -1, -2))
    eig = np.linalg.eigvalsh(w)
    value = np.array(value, copy=True)
    value[near] = np.sum(_x_minus_log1p(eig), axis=-1)
    return value


# ------------------------------------------- low-rank plus diagonal covariances
# S = D + W W^T with D = diag(D) > 0 (d entries) and W of shape (..., d, r): the
# Woodbury identity and the matrix determinant lemma through the r x r
# "capacitance" C = I_r + W^T D^-1 W = L_C L_C^T:
#     S^-1 = D^-1 - D^-1 W C^-1 W^T D^-1,   log det S = sum log D + log det C,
# so nothing of size d x d is formed or factored: O(d r^2) per matrix.
# A diagonal is carried as a double-double pair (hi, lo), hi + lo exact: a
# DiagonalNormal's variance is scale^2, exactly the pair two_product(scale, scale).
def two_product(a: Any, b: Any) -> tuple[np.ndarray, np.ndarray]:
    """``(p, e)`` with ``p = fl(a b)`` and ``p + e = a b`` exactly, as float64 arrays
    (:func:`anadiv.numeric.error_free.two_product`).

    Examples
    --------
    >>> p, e = two_product(0.1, 0.1)
    >>> from fractions import Fraction
    >>> Fraction(p) + Fraction(e) == Fraction(0.1) ** 2
    True
    """
    return error_free.two_product(np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64))


def capacitance_cholesky(factor: np.ndarray, diag: np.ndarray) -> np.ndarray:
    """Lower Cholesky factor of ``C = I_r + W^T D^-1 W``, batched; ``factor`` (..., d, r), ``diag`` (..., d).

    ``C`` is the identity plus a positive semi-definite matrix, so its factor
    always exists and its eigenvalues are at least 1.
    """
    # D^-1 applied to W^T (r x d): numpy broadcasts faster along the long axis
    gram = (np.swapaxes(factor, -1, -2) / diag[..., None, :]) @ factor
    r = gram.shape[-1]
    return cholesky(gram + np.eye(r, dtype=gram.dtype), "cov_factor")


def lowrank_logdet(factor: np.ndarray | None, diag: np.ndarray, chol_cap: np.ndarray | None) -> np.ndarray:
    """``log det(D + W W^T) = sum log D + log det C`` (the matrix determinant lemma)."""
    out = np.sum(np.log(diag), axis=-1)
    if factor is not None and chol_cap is not None:
        out = out + logdet(chol_cap)
    return out


def _trace_inverse(chol: np.ndarray, gram: np.ndarray) -> np.ndarray:
    """``tr(C^-1 G) = tr(L^-1 G L^-T)`` for ``C = L L^T`` and a positive semi-definite ``G`` (r x r).

    The diagonal of ``L^-1 G L^-T`` is nonnegative: a sum without cancellation.
    """
    half = solve_lower(chol, gram)  # L^-1 G
    full = solve_lower(chol, np.swapaxes(half, -1, -2))  # L^-1 (L^-1 G)^T = L^-1 G L^-T
    return np.sum(np.diagonal(full, axis1=-2, axis2=-1), axis=-1)


def lowrank_mahalanobis(
    diag: np.ndarray, factor: np.ndarray | None, chol_cap: np.ndarray | None, diff: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """``(v, s)``: ``v = diff^T (D + W W^T)^-1 diff`` by Woodbury, and the sum ``s`` of its terms' sizes.

    ``v = diff^T D^-1 diff - |L_C^-1 W^T D^-1 diff|^2``; the two terms cancel
    where ``diff`` lies along a factor column much larger than ``sqrt(D)``,
    which ``v`` much smaller than ``s`` shows (the absolute error of ``v`` is
    a few ``eps * s``).
    """
    scaled = diff / diag
    m1 = np.sum(scaled * diff, axis=-1)
    if factor is None or chol_cap is None:
        return m1, m1
    y = solve_lower(chol_cap, np.swapaxes(factor, -1, -2) @ scaled[..., :, None])[..., 0]
    m2 = np.sum(y * y, axis=-1)
    return m1 - m2, m1 + m2


def _variance_atoms(t: np.ndarray, d1: np.ndarray, d2: np.ndarray) -> np.ndarray:
    """``rho - 1 - log rho`` (>= 0) for ``rho = d1 / d2 = 1 + t``, ``t`` computed from the difference.

    ``x - log1p(x)`` of ``t`` (:func:`_x_minus_log1p`); below ``rho = 0.01``, ``1 + t``
    has lost the digits of ``rho``: there the term is ``rho - 1 - (log d1 - log d2)``.
    """
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        far = t < -0.99
        out = _x_minus_log1p(np.where(far, 0.0, t))
        if np.any(far):
            d1f, d2f = np.broadcast_arrays(d1, d2)
            out[far] = (d1f[far] / d2f[far] - 1.0) - (np.log(d1f[far]) - np.log(d2f[far]))
        out[t == np.inf] = np.inf
    return out


def lowrank_kl_core(
    diag_1: tuple[np.ndarray, np.ndarray],
    factor_1: np.ndarray | None,
    chol_cap_1: np.ndarray | None,
    diag_2: tuple[np.ndarray, np.ndarray],
    factor_2: np.ndarray | None,
    chol_cap_2: np.ndarray | None,
) -> tuple[np.ndarray, np.ndarray]:
    r"""``(v, s)``: ``v = tr(S_2^-1 S_1) - d - log det(S_2^-1 S_1)`` for ``S_i = D_i + W_i W_i^T``, in O(d r^2).

    ``diag_i`` are double-double pairs ``(hi, lo)``; a factor is ``None`` for a
    diagonal covariance (``r = 0``); ``chol_cap_i`` is the factor of the
    capacitance ``C_i = I + W_i^T D_i^-1 W_i`` (:func:`capacitance_cholesky`).
    With ``rho = D_1 / D_2 = 1 + t``,

    .. math::

        v = \sum_i (
ho_i - 1 - \log
ho_i) + \operatorname{tr}(W_1^	op D_2^{-1} W_1)
            - \operatorname{tr}(C_2^{-1} W_2^	op D_1 D_2^{-2} W_2)
            - \|L_{C_2}^{-1} W_2^	op D_2^{-1} W_1\|_F^2
            - \log\det C_1 + \log\det C_2 :

    ``tr(S_2^-1 S_1)`` by Woodbury (``S_2^-1 = D_2^-1 - D_2^-1 W_2 C_2^-1 W_2^T D_2^-1``
    applied to ``D_1`` and to ``W_1 W_1^T``), ``log det S_2 - log det S_1`` by the
    determinant lemma, and ``tr(D_2^-1 D_1) - d - sum log rho`` as the
    nonnegative atoms ``t - log1p(t)`` (``t`` from the difference of the
    diagonals, exact for a double-double pair). Only ``r x r`` matrices are
    factored or solved. ``s`` is the sum of the terms' sizes: where ``v`` is
    much smaller than ``s`` (nearly equal low-rank parts) the terms cancel
    and ``v`` has an absolute error of a few ``eps * s``; the caller
    recomputes those items (:func:`kl_core_from_difference`).
    """
    (h1, l1), (h2, l2) = diag_1, diag_2
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        t = ((h1 - h2) + (l1 - l2)) / h2
    value = np.sum(_variance_atoms(t, h1, h2), axis=-1)
    scale = value
    w2t_over_d2 = None
    if factor_2 is not None and chol_cap_2 is not None:
        w2t_over_d2 = np.swapaxes(factor_2, -1, -2) / h2[..., None, :]  # W_2^T D_2^-1, r x d
        # W_2^T D_1 D_2^-2 W_2 = (W_2^T D_2^-1 rho) W_2
        weighted = (w2t_over_d2 * (1.0 + t)[..., None, :]) @ factor_2
        x2 = _trace_inverse(chol_cap_2, 0.5 * (weighted + np.swapaxes(weighted, -1, -2)))
        t5 = logdet(chol_cap_2)
        value = value - x2 + t5
        scale = scale + x2 + t5
    if factor_1 is not None and chol_cap_1 is not None:
        t1 = np.sum(np.einsum("...ij,...ij->...i", factor_1, factor_1) / h2, axis=-1)
        t4 = logdet(chol_cap_1)
        value = value + t1 - t4
        scale = scale + t1 + t4
        if w2t_over_d2 is not None and chol_cap_2 is not None:  # both or neither: Q's factor
            cross = w2t_over_d2 @ factor_1  # W_2^T D_2^-1 W_1
            t3 = np.sum(solve_lower(chol_cap_2, cross) ** 2, axis=(-2, -1))
            value = value - t3
            scale = scale + t3
    return value, scale


#: A covariance for :func:`covariance_difference`: ``(dense, (diag_hi, diag_lo), factor)``, each part
#: optional (``None``); the matrix is ``dense + diag(diag_hi + diag_lo) + factor factor^T``.
CovarianceParts = tuple[Any, Any, Any]


def covariance_difference(a: CovarianceParts, b: CovarianceParts, k: np.ndarray) -> np.ndarray:
    """``4^-k (S_A - S_B)`` for covariances given by their parts, each entry accurate to rounding.

    The parts have a leading axis of items (``k`` one exponent per item).
    Every product ``w_i w_j`` of a factor is split exactly (:func:`two_product`)
    and every sum is carried as a double-double (:func:`two_sum`), so the
    difference of two nearly equal covariances keeps its digits even when
    their factors differ (a rotated ``W``) or one side is a dense matrix:
    this is what the eigenvalue path of :func:`kl_core_from_difference` needs.
    Costs ``O(d^2 r)`` with a large constant (about 30 passes per factor column).
    """
    shapes = [np.shape(x) for parts in (a, b) for x in (parts[0], parts[2]) if x is not None]
    shapes += [np.shape(parts[1][0]) for parts in (a, b) if parts[1] is not None]
    n = int(k.shape[0])
    d = max(s[1] for s in shapes)
    hi = np.zeros((n, d, d))
    lo = np.zeros((n, d, d))
    idx = np.arange(d)
    half = -k[:, None, None]
    for sign, (dense, diag, factor) in ((1.0, a), (-1.0, b)):
        if dense is not None:
            hi, e = two_sum(hi, sign * np.ldexp(np.asarray(dense, dtype=np.float64), 2 * half))
            lo += e
        if diag is not None:
            dh = sign * np.ldexp(np.asarray(diag[0], dtype=np.float64), 2 * half[..., 0])
            dl = sign * np.ldexp(np.asarray(diag[1], dtype=np.float64), 2 * half[..., 0])
            s, e = two_sum(hi[:, idx, idx], dh)
            hi[:, idx, idx] = s
            lo[:, idx, idx] += e + dl
        if factor is not None:
            f = np.ldexp(np.asarray(factor, dtype=np.float64), half)
            for j in range(f.shape[-1]):
                col = f[:, :, j]
                p, e = two_product(col[:, :, None], col[:, None, :])
                hi, e2 = two_sum(hi, sign * p)
                lo += e2 + sign * e
    return hi + lo


def kl_core_from_difference(
    chol_a: np.ndarray, chol_b: np.ndarray, difference: Callable[[np.ndarray, np.ndarray], np.ndarray]
) -> np.ndarray:
    """:func:`kl_core` from the two factors, its near-equal path given ``4^-k (A - B)`` by ``difference``.

    For covariances that are not held as matrices (a low-rank plus diagonal
    covariance, a diagonal of squared scales), whose dense forms are rounded:
    their difference comes from :func:`covariance_difference` instead of
    subtracting the rounded matrices. ``difference(near, k)`` gets a boolean
    mask over the batch and one exponent per selected item.
    """
    with np.errstate(over="ignore", invalid="ignore", under="ignore"):
        diag, off = _whitened(chol_b, chol_a)
        a = np.diagonal(chol_a, axis1=-2, axis2=-1)
        b = np.diagonal(chol_b, axis1=-2, axis2=-1)
        a, b = np.broadcast_arrays(a, b)
        value = np.sum(_ratio_atoms(a, b), axis=-1) + _overflow_to_inf(off, (chol_a, 2), (chol_b, 2))
    near = value < _NEAR_EQUAL * diag.shape[-1]
    if np.any(near):
        value = _near_equal_core(value, near, chol_b, difference)
    return value


def whitened_difference_eigenvalues(cov_a: Any, cov_b: Any, chol_b: np.ndarray) -> np.ndarray:
    """Eigenvalues ``e`` (ascending) of ``L_B^-1 (A - B) L_B^-T``, batched: ``B^-1 A`` has the eigenvalues ``1 + e``.

    ``A - B`` is formed by subtracting the matrices after scaling both by the
    same power of 4 (exact), chosen so that ``2^-k L_B`` has its largest
    diagonal entry in [0.5, 1): nearly equal covariances keep the digits of
    their difference even near 1e-300, and each ``e`` is accurate to rounding
    relative to the largest ``|e|`` (the eigenvalue path of :func:`kl_core`,
    for callers that need the eigenvalues themselves, as the Wishart KL does).
    """
    cov_a, cov_b, chol_b = (np.asarray(x, dtype=np.float64) for x in (cov_a, cov_b, chol_b))
    batch = np.broadcast_shapes(cov_a.shape[:-2], cov_b.shape[:-2], chol_b.shape[:-2])
    d = cov_a.shape[-1]
    lb = np.broadcast_to(chol_b, batch + (d, d)).reshape((-1, d, d))
    k = _pow2_exponent(np.max(np.diagonal(lb, axis1=-2, axis2=-1), axis=-1))
    four = -2 * k[:, None, None]
    a = np.broadcast_to(cov_a, batch + (d, d)).reshape((-1, d, d))
    b = np.broadcast_to(cov_b, batch + (d, d)).reshape((-1, d, d))
    with np.errstate(over="ignore", invalid="ignore", under="ignore"):
        diff = np.ldexp(a, four) - np.ldexp(b, four)
        lb = np.ldexp(lb, -k[:, None, None])
        w = solve_lower(lb, diff)
        w = solve_lower(lb, np.swapaxes(w, -1, -2))
        w = 0.5 * (w + np.swapaxes(w, -1, -2))
    if not np.all(np.isfinite(w)):
        out = np.full(w.shape[:-1], np.nan)
        good = np.all(np.isfinite(w), axis=(-2, -1))
        if np.any(good):
            out[good] = np.linalg.eigvalsh(w[good])
        return out.reshape(batch + (d,))
    return np.linalg.eigvalsh(w).reshape(batch + (d,))
