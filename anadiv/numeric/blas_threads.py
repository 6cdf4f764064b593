"""The BLAS libraries' own thread counts, held at one while anadiv splits a batch across its threads.

numpy and scipy each link a BLAS (OpenBLAS in the PyPI wheels, MKL, BLIS or
Accelerate elsewhere), and each runs worker threads inside every call. When
anadiv splits a batch of matrix operations across its own threads, the BLAS
calls made from those threads at once do not run in parallel while the BLAS
threads itself (measured with OpenBLAS: 50 Cholesky factorizations of
d = 200 from 2 threads took as long as from one; with the BLAS on one
thread, half as long). So the split runs with every BLAS on one thread.

The counts are read and set with threadpoolctl, which knows every BLAS
vendor (an optional dependency, extra ``threads``). Without it, or when no
BLAS library is found, :func:`can_split` is False and callers run the batch
on one anadiv thread, where the BLAS threads itself: the result is the same.

:func:`one_blas_thread` may be entered from several user threads at once:
the first entry sets the counts to one and the last exit restores them (a
process-wide count under a lock), so the saved counts are those from before
any split.

Examples
--------
>>> from anadiv.numeric.blas_threads import can_split, one_blas_thread
>>> with one_blas_thread():  # a no-op when can_split() is False
...     pass
"""

from __future__ import annotations

import contextlib
import functools
import os
import threading
from typing import Any, Iterator

__all__ = ["can_split", "one_blas_thread", "blas_libraries"]

_lock = threading.Lock()
_active = 0
_limiter: Any = None


@functools.lru_cache(maxsize=1)
def _controller() -> Any:
    """threadpoolctl's controller over the BLAS libraries loaded by numpy and scipy, or None."""
    try:
        from threadpoolctl import ThreadpoolController
    except ImportError:
        return None
    # scipy's BLAS is loaded by its Cython wrappers; load it before the scan so both are seen.
    import scipy.linalg.cython_blas  # noqa: F401

    blas = ThreadpoolController().select(user_api="blas")
    return blas if blas.lib_controllers else None


def blas_libraries() -> list[dict[str, Any]]:
    """threadpoolctl's description of each BLAS library found (vendor, file, thread count); [] without it."""
    found = _controller()
    return [] if found is None else list(found.info())


def can_split() -> bool:
    """True when the BLAS thread counts can be held at one, so calls from several threads run in parallel."""
    return _controller() is not None


@contextlib.contextmanager
def one_blas_thread() -> Iterator[None]:
    """Every BLAS on one thread inside the block, restored when the last overlapping block ends."""
    global _active, _limiter
    blas = _controller()
    if blas is None:
        yield
        return
    with _lock:
        if _active == 0:
            _limiter = blas.limit(limits=1)
        _active += 1
    try:
        yield
    finally:
        with _lock:
            _active -= 1
            if _active == 0 and _limiter is not None:
                _limiter.restore_original_limits()
                _limiter = None


def _after_fork_in_child() -> None:
    # A fork taken while another thread was inside one_blas_thread: that
    # thread does not exist in the child, so restore the counts here.
    global _lock, _active, _limiter
    _lock = threading.Lock()
    if _active and _limiter is not None:
        _limiter.restore_original_limits()
    _active, _limiter = 0, None


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_after_fork_in_child)
