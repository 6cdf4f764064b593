"""GIL-free calls to the BLAS/LAPACK that scipy is linked against.

:mod:`anadiv.numeric.linalg` loops over a batch of matrices with three routines:
``potrf`` (Cholesky), ``trsm`` (triangular solve, many right-hand sides)
and ``trsv`` (one right-hand side), plus ``dot``. ``scipy.linalg.lapack``'s wrappers hold
the GIL during the call and copy every strided argument, so a batch split
across threads would run one matrix at a time (measured: 2 threads took as
long as 1). Here the same routines are called through the function
pointers scipy publishes for Cython (``scipy.linalg.cython_blas`` and
``cython_lapack``, part of scipy's public API) with ``ctypes``, which
releases the GIL during a foreign call and passes any sub-block of a matrix
as a pointer and a leading dimension, without a copy.

The arrays are numpy C-ordered; Fortran routines see each matrix transposed.
A C-ordered lower-triangular ``L`` is, to Fortran, the upper-triangular
``L^T`` with the same leading dimension. Every function here documents its
operation in C terms.

Threads: a batch split across anadiv's threads runs with the BLAS on one
thread per call (:mod:`anadiv.numeric.blas_threads`).
"""

from __future__ import annotations

import ctypes
import threading
from typing import Any, Callable

import numpy as np

__all__ = ["routines"]

_P = ctypes.c_void_p
_TRSM = ctypes.CFUNCTYPE(None, *([_P] * 11))
_POTRF = ctypes.CFUNCTYPE(None, *([_P] * 5))
_TRSV = ctypes.CFUNCTYPE(None, *([_P] * 8))
_DOT = {np.float64: ctypes.CFUNCTYPE(ctypes.c_double, *([_P] * 5)), np.float32: ctypes.CFUNCTYPE(ctypes.c_float, *([_P] * 5))}
_CHAR = {c: ctypes.c_char_p(c.encode()) for c in "LRUNT"}


class Routines:
    """``potrf``, ``trsm`` and ``trsv`` of one dtype (float32 or float64), called with raw pointers.

    Each method takes the sizes once and returns a function of the pointers
    only: the ``ctypes`` integers are built once, which brings a call from
    about 3.7 to 1.1 us. The returned functions are for one thread each
    (``factorizer`` keeps its ``info`` in its own integer).
    """

    def __init__(self, trsm: Any, trsv: Any, potrf: Any, dot: Any, scalar: Any) -> None:
        self._trsm = trsm
        self._trsv = trsv
        self._potrf = potrf
        self._dot = dot
        self._one = scalar(1.0)

    def sum_of_squares(self, n: int) -> Callable[[int], float]:
        """``total(x)``: the sum of squares of ``n`` contiguous numbers at ``x`` (``dot(x, x)``)."""
        n_, inc = ctypes.c_int(n), ctypes.c_int(1)
        size, step = ctypes.byref(n_), ctypes.byref(inc)
        dot = self._dot

        def total(x: int) -> float:
            return dot(size, x, step, x, step)

        total.keep = (n_, inc)  # type: ignore[attr-defined]  # the ctypes integers outlive the call
        return total

    def factorizer(self, n: int, ld: int) -> Callable[[int], int]:
        """``factor(ptr)``: Cholesky factor of ``S``, given ``S^T`` as the C-ordered ``n x n`` matrix at ``ptr``.

        Reads the upper triangle of ``S^T`` (the lower triangle of ``S``)
        and overwrites it with ``L^T``, where ``S = L L^T``; the other
        triangle is left as it was. Returns LAPACK's ``info`` (``> 0``: not
        positive definite). Fortran sees ``S`` itself and factors its lower
        triangle: OpenBLAS's lower ``potrf`` is about 1.5 times faster than
        its upper one (84 vs 128 us at n = 200).
        """
        info, nn, lda = ctypes.c_int(0), ctypes.c_int(n), ctypes.c_int(ld)
        head = (_CHAR["L"], ctypes.byref(nn))
        tail = (ctypes.byref(lda), ctypes.byref(info))
        potrf = self._potrf

        def factor(ptr: int) -> int:
            potrf(*head, ptr, *tail)
            return info.value

        factor.keep = (info, nn, lda)  # type: ignore[attr-defined]  # the integers outlive the call
        return factor

    def solver(self, n: int, k: int, lda: int, ldb: int) -> Callable[[int, int], None]:
        """``solve(a, b)``: ``B <- A^-1 B`` for the C-ordered lower-triangular ``n x n`` ``A`` and ``n x k`` ``B``.

        In Fortran terms ``B^T <- B^T (A^T)^-1`` with the upper-triangular
        ``A^T``: ``trsm`` with side R, uplo U, no transpose.
        """
        m_, n_, lda_, ldb_ = ctypes.c_int(k), ctypes.c_int(n), ctypes.c_int(lda), ctypes.c_int(ldb)
        head = (_CHAR["R"], _CHAR["U"], _CHAR["N"], _CHAR["N"], ctypes.byref(m_), ctypes.byref(n_), ctypes.byref(self._one))
        a_ld, b_ld = ctypes.byref(lda_), ctypes.byref(ldb_)
        trsm = self._trsm

        def solve(a: int, b: int) -> None:
            trsm(*head, a, a_ld, b, b_ld)

        solve.keep = (m_, n_, lda_, ldb_)  # type: ignore[attr-defined]  # the ctypes integers outlive the call
        return solve

    def vector_solver(self, n: int, lda: int) -> Callable[[int, int], None]:
        """``solve(a, x)``: ``x <- A^-1 x`` for the C-ordered lower-triangular ``n x n`` ``A``, contiguous ``x``.

        ``trsv`` on the Fortran view ``A^T`` (upper), transposed: for one
        right-hand side it is several times faster than ``trsm``.
        """
        n_, lda_, inc = ctypes.c_int(n), ctypes.c_int(lda), ctypes.c_int(1)
        head = (_CHAR["U"], _CHAR["T"], _CHAR["N"], ctypes.byref(n_))
        a_ld, x_inc = ctypes.byref(lda_), ctypes.byref(inc)
        trsv = self._trsv

        def solve(a: int, x: int) -> None:
            trsv(*head, a, a_ld, x, x_inc)

        solve.keep = (n_, lda_, inc)  # type: ignore[attr-defined]  # the ctypes integers outlive the call
        return solve


_lock = threading.Lock()
_loaded = False
_routines: dict[np.dtype, Routines] = {}


def _capsule_pointer(module: Any, name: str) -> int:
    get_name = ctypes.pythonapi.PyCapsule_GetName
    get_name.restype, get_name.argtypes = ctypes.c_char_p, [ctypes.py_object]
    get_ptr = ctypes.pythonapi.PyCapsule_GetPointer
    get_ptr.restype, get_ptr.argtypes = ctypes.c_void_p, [ctypes.py_object, ctypes.c_char_p]
    capsule = module.__pyx_capi__[name]
    return int(get_ptr(capsule, get_name(capsule)))


def _load() -> None:
    global _loaded
    with _lock:
        if _loaded:
            return
        try:
            import scipy.linalg.cython_blas as cblas
            import scipy.linalg.cython_lapack as clapack

            for dtype, prefix, scalar in ((np.float64, "d", ctypes.c_double), (np.float32, "s", ctypes.c_float)):
                trsm = _TRSM(_capsule_pointer(cblas, f"{prefix}trsm"))
                trsv = _TRSV(_capsule_pointer(cblas, f"{prefix}trsv"))
                potrf = _POTRF(_capsule_pointer(clapack, f"{prefix}potrf"))
                dot = _DOT[dtype](_capsule_pointer(cblas, f"{prefix}dot"))
                _routines[np.dtype(dtype)] = Routines(trsm, trsv, potrf, dot, scalar)
        except Exception:  # noqa: BLE001  (no usable scipy build: the callers fall back to scipy.linalg.lapack)
            _routines.clear()
        _loaded = True


def routines(dtype: Any) -> Routines | None:
    """The routines for ``dtype`` (float32 or float64), or None when unavailable."""
    if not _loaded:
        _load()
    return _routines.get(np.dtype(dtype))
