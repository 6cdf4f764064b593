"""Worker threads for large numeric batches.

numpy's ufuncs and LAPACK calls release the GIL, so a batch split into a few
contiguous parts runs in parallel from plain Python threads. This module owns
the one shared pool and the thread count; everything that splits work asks it
through :func:`run_parts`.

The count is ``ANADIV_NUM_THREADS`` when set, else the number of CPUs this
process may use; :func:`set_num_threads` changes it at run time (1 turns
threading off). Work submitted from inside a worker runs inline, so nested
splitting never waits on its own pool, and a forked child starts with a fresh
pool (the parent's threads do not exist there).
"""

from __future__ import annotations

import os
import threading
from typing import TYPE_CHECKING, Any, Callable

if TYPE_CHECKING:
    from concurrent.futures import ThreadPoolExecutor

__all__ = ["get_num_threads", "set_num_threads", "run_parts", "run_chunks", "split"]

_lock = threading.Lock()
_local = threading.local()
_pool: ThreadPoolExecutor | None = None
_pool_size = 0
_num_threads: int | None = None


def _cpus() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def _from_env() -> int:
    raw = os.environ.get("ANADIV_NUM_THREADS", "").strip()
    if not raw:
        return _cpus()
    try:
        n = int(raw)
    except ValueError:
        raise ValueError(f"ANADIV_NUM_THREADS: must be a positive integer, got {raw!r}") from None
    if n < 1:
        raise ValueError(f"ANADIV_NUM_THREADS: must be a positive integer, got {raw!r}")
    return n


def get_num_threads() -> int:
    """Number of threads anadiv uses for large batches.

    Examples
    --------
    >>> import anadiv
    >>> anadiv.get_num_threads() >= 1
    True
    """
    global _num_threads
    if _num_threads is None:
        _num_threads = _from_env()
    return _num_threads


def set_num_threads(n: int | None) -> None:
    """Set the number of threads for large batches (``None``: back to the default).

    The default is ``ANADIV_NUM_THREADS`` when set, else the number of CPUs the
    process may use. ``1`` runs everything on the calling thread; use it when
    the caller already runs one computation per core.

    Parameters
    ----------
    n : int or None
        A positive number of threads, or ``None`` for the default.

    Examples
    --------
    >>> import anadiv
    >>> anadiv.set_num_threads(1)
    >>> anadiv.get_num_threads()
    1
    >>> anadiv.set_num_threads(None)
    """
    global _num_threads
    if n is None:
        _num_threads = _from_env()
        return
    if isinstance(n, bool) or not isinstance(n, int) or n < 1:
        raise ValueError(f"n: must be a positive integer or None, got {n!r}")
    _num_threads = n


def _get_pool(size: int) -> ThreadPoolExecutor:
    # imported here: concurrent.futures costs ~4 ms, and most programs never split a batch
    from concurrent.futures import ThreadPoolExecutor

    global _pool, _pool_size
    with _lock:
        if _pool is None or _pool_size < size:
            if _pool is not None:
                _pool.shutdown(wait=False)
            _pool = ThreadPoolExecutor(max_workers=size, thread_name_prefix="anadiv")
            _pool_size = size
        return _pool


def _reset_after_fork() -> None:
    global _pool, _pool_size, _lock
    _pool, _pool_size, _lock = None, 0, threading.Lock()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_reset_after_fork)


def split(n: int, parts: int) -> list[tuple[int, int]]:
    """``parts`` contiguous ranges ``(lo, hi)`` covering ``range(n)``, sizes differing by at most 1.

    Examples
    --------
    >>> split(10, 3)
    [(0, 4), (4, 7), (7, 10)]
    """
    parts = max(1, min(parts, n))
    base, extra = divmod(n, parts)
    out, lo = [], 0
    for i in range(parts):
        hi = lo + base + (i < extra)
        out.append((lo, hi))
        lo = hi
    return out


def _inline(fn: Callable[[int, int], Any], lo: int, hi: int) -> Any:
    _local.worker = True
    try:
        return fn(lo, hi)
    finally:
        _local.worker = False


def run_parts(fn: Callable[[int, int], Any], n: int, min_part: int = 1) -> list[Any]:
    """Call ``fn(lo, hi)`` on contiguous parts of ``range(n)``, in parallel.

    At most :func:`get_num_threads` parts, each at least ``min_part`` long; one
    part runs on the calling thread, the others on the pool. Results come back
    in order; the first exception raised by any part is re-raised.

    Parameters
    ----------
    fn : callable
        ``fn(lo, hi)`` does the work for indices ``lo <= i < hi``; the parts
        must not write to the same memory.
    n : int
        Number of items.
    min_part : int
        Smallest part worth a thread of its own.

    Examples
    --------
    >>> run_parts(lambda lo, hi: hi - lo, 10)  # doctest: +SKIP
    [5, 5]
    """
    threads = get_num_threads()
    if getattr(_local, "worker", False):
        threads = 1  # nested: the outer split already uses the cores
    parts = split(n, min(threads, max(1, n // max(1, min_part))))
    if len(parts) == 1:
        return [fn(0, n)]
    pool = _get_pool(len(parts) - 1)
    futures = [pool.submit(_inline, fn, lo, hi) for lo, hi in parts[1:]]
    results: list[Any] = []
    first_error: BaseException | None = None
    try:
        results.append(_inline(fn, *parts[0]))
    except BaseException as exc:  # noqa: BLE001  (re-raised below, after the others finish)
        first_error = exc
        results.append(None)
    for fut in futures:
        try:
            results.append(fut.result())
        except BaseException as exc:  # noqa: BLE001
            if first_error is None:
                first_error = exc
            results.append(None)
    if first_error is not None:
        raise first_error
    return results


class _ChunkQueue:
    """Hands out ``range(n)`` in chunks of ``size``, each once, to whichever thread asks next."""

    def __init__(self, n: int, size: int) -> None:
        self._n = n
        self._size = size
        self._next = 0
        self._lock = threading.Lock()
        self.failed = False

    def take(self) -> tuple[int, int] | None:
        with self._lock:
            lo = self._next
            if lo >= self._n or self.failed:
                return None
            self._next = min(self._n, lo + self._size)
            return lo, self._next


def run_chunks(make_work: Callable[[], Callable[[int, int], Any]], n: int, chunk: int, min_part: int = 1) -> None:
    """Call ``work(lo, hi)`` on chunks of ``range(n)`` handed out to the threads as they ask.

    Unlike :func:`run_parts` (fixed contiguous parts), each thread takes the
    next ``chunk`` items when it is done with its last ones, so a core slowed
    by another process does not hold the others up. ``make_work()`` is called
    once per thread and returns that thread's ``work`` (room for per-thread
    buffers). The first exception stops the other threads at their next chunk
    and is re-raised.

    Parameters
    ----------
    make_work : callable
        Returns ``work(lo, hi)`` for indices ``lo <= i < hi``; chunks do not
        overlap, so the work may write to disjoint memory without locks.
    n : int
        Number of items.
    chunk : int
        Items per chunk.
    min_part : int
        Smallest number of items worth a thread of its own.

    Examples
    --------
    >>> done = []
    >>> run_chunks(lambda: lambda lo, hi: done.append((lo, hi)), 10, 4)
    >>> sorted(done)
    [(0, 4), (4, 8), (8, 10)]
    """
    queue = _ChunkQueue(n, max(1, chunk))

    def drain(_lo: int, _hi: int) -> None:
        work = make_work()
        try:
            while (taken := queue.take()) is not None:
                work(*taken)
        except BaseException:
            queue.failed = True  # the others stop at their next chunk; run_parts re-raises this
            raise

    run_parts(drain, n, min_part)
