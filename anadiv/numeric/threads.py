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

Any number of threads may split work at once, also while another changes the
thread count: the workers are daemon threads taking parts from one queue, and
a larger count starts more of them. Ctrl-C (or an exception in any part) stops
every part at its next block; the caller gets the KeyboardInterrupt within a
block's time and the pool stays usable.

The pool is not ``concurrent.futures``: a Ctrl-C landing inside
``ThreadPoolExecutor.submit`` (its bookkeeping is plain Python, interruptible
between any two calls) could leave a started worker unregistered, so the
interpreter hung at exit joining it, or leave a part queued but counted as never
sent. Here a submission is one C call (``SimpleQueue.put``), each part is
claimed exactly once, by a worker or by the caller abandoning it, and the
workers are daemons, so nothing at exit waits for them.
"""

from __future__ import annotations

import os
import threading
from typing import TYPE_CHECKING, Any, Callable

if TYPE_CHECKING:
    from queue import SimpleQueue

__all__ = ["get_num_threads", "set_num_threads", "run_parts", "run_chunks", "cancelled", "split"]

_lock = threading.Lock()
_local = threading.local()
_queue: SimpleQueue[Any] | None = None  # parts waiting for a worker
_workers = 0  # worker threads started on _queue
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


def _worker_loop(queue: SimpleQueue[Any]) -> None:
    """A worker: take parts off the shared queue for ever; a part abandoned by its caller is skipped."""
    while True:
        run, index, fn, lo, hi = queue.get()
        if run.claim(index):
            _part(run, index, fn, lo, hi)
        del run, fn  # do not keep the last run's arrays alive while idle


def _get_queue(size: int) -> SimpleQueue[Any]:
    """The shared queue, with at least ``size`` workers taking from it; the caller holds ``_lock``."""
    # imported here: most programs never split a batch
    from queue import SimpleQueue

    global _queue, _workers
    if _queue is None:
        _queue = SimpleQueue()
    while _workers < size:
        name = f"anadiv_{_workers}"
        threading.Thread(target=_worker_loop, args=(_queue,), name=name, daemon=True).start()
        _workers += 1
    return _queue


def _reset_after_fork() -> None:
    global _queue, _workers, _lock
    _queue, _workers, _lock = None, 0, threading.Lock()


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


class _Run:
    """The state of one :func:`run_parts` call, shared by its parts.

    ``stop`` is set by the first part that fails (an exception, or Ctrl-C
    on the calling thread): the other parts see it through :func:`cancelled`
    and return at their next block, so an error or an interrupt takes effect
    after one block instead of after the whole batch.
    """

    __slots__ = ("stop", "done", "results", "error", "interrupted", "_left", "_claimed", "_lock")

    def __init__(self, parts: int) -> None:
        self.stop = threading.Event()
        self.done = threading.Event()
        self.results: list[Any] = [None] * parts
        self.error: BaseException | None = None
        self.interrupted: BaseException | None = None
        self._left = parts
        self._claimed = {0}  # the caller's own part
        self._lock = threading.Lock()

    def claim(self, index: int) -> bool:
        """Take part ``index`` for running; False when a worker or the caller already took it."""
        with self._lock:
            if index in self._claimed:
                return False
            self._claimed.add(index)
            return True

    def abandon(self, parts: int) -> None:
        """Claim every pool part nobody has started (the caller gave up submitting) and count it done."""
        for index in range(1, parts):
            if self.claim(index):
                self.finished()

    def fail(self, exc: BaseException) -> None:
        with self._lock:
            if self.error is None:
                self.error = exc
        self.stop.set()

    def finished(self, parts: int = 1) -> None:
        with self._lock:
            self._left -= parts
            if self._left == 0:
                self.done.set()


def _part(run: _Run, index: int, fn: Callable[[int, int], Any], lo: int, hi: int) -> None:
    """Run part ``index`` (0: the caller's own); never raises (the caller re-raises ``run.error``)."""
    try:
        # set inside the try: the finally must reset them on the caller's thread
        # whatever interrupts it, or every later call there would run unsplit
        _local.worker, _local.run = True, run
        # a pool part queued behind other callers' work may start after the run
        # was abandoned; the caller's own part always starts (fn checks cancelled())
        if index == 0 or not run.stop.is_set():
            run.results[index] = fn(lo, hi)
    except BaseException as exc:  # noqa: BLE001  (handed to the calling thread)
        run.fail(exc)
    finally:
        _local.worker, _local.run = False, None
        run.finished()


def cancelled() -> bool:
    """True when the :func:`run_parts` call this thread works for is being abandoned.

    Long parts check it between blocks and return early: another part has
    failed, or the calling thread got a KeyboardInterrupt, and the result
    will not be used. Outside a part it is False.
    """
    run = getattr(_local, "run", None)
    return run is not None and run.stop.is_set()


def _wait(run: _Run) -> None:
    """Wait until every part has returned, without missing a Ctrl-C.

    The wait wakes every 0.1 s (a bare lock wait is not interruptible
    everywhere). The first KeyboardInterrupt stops the parts at their next
    block and is raised once they have returned; a second one is raised at
    once.
    """
    while True:
        try:
            while not run.done.wait(0.1):
                pass
            return
        except KeyboardInterrupt as exc:
            if run.interrupted is not None:
                raise
            run.interrupted = exc
            run.stop.set()


def run_parts(fn: Callable[[int, int], Any], n: int, min_part: int = 1, *, threads: int | None = None) -> list[Any]:
    """Call ``fn(lo, hi)`` on contiguous parts of ``range(n)``, in parallel.

    At most :func:`get_num_threads` parts (or ``threads``), each at least
    ``min_part`` long; one part runs on the calling thread, the others on the
    pool. Results come back in order. The first exception raised by any part
    stops the others (see :func:`cancelled`) and is re-raised once they have
    returned; so is a KeyboardInterrupt on the calling thread, which takes
    effect within a block.

    Safe to call from several threads at once and while another thread calls
    :func:`set_num_threads`: every call submits to the pool it got, under the
    lock that guards replacing it.

    Parameters
    ----------
    fn : callable
        ``fn(lo, hi)`` does the work for indices ``lo <= i < hi``; the parts
        must not write to the same memory. A part that loops over blocks
        should return early when :func:`cancelled` says so.
    n : int
        Number of items.
    min_part : int
        Smallest part worth a thread of its own.
    threads : int, optional
        Use at most this many threads instead of :func:`get_num_threads`.

    Examples
    --------
    >>> run_parts(lambda lo, hi: hi - lo, 10)  # doctest: +SKIP
    [5, 5]
    """
    if threads is None:
        threads = get_num_threads()
    if getattr(_local, "worker", False):
        threads = 1  # nested: the outer split already uses the cores
    parts = split(n, min(threads, max(1, n // max(1, min_part))))
    if len(parts) == 1:
        return [fn(0, n)]
    run = _Run(len(parts))
    try:
        with _lock:
            queue = _get_queue(len(parts) - 1)
            for k in range(1, len(parts)):
                queue.put((run, k, fn, *parts[k]))
    except BaseException as exc:  # noqa: BLE001  (e.g. Ctrl-C between two puts)
        run.fail(exc)
        run.abandon(len(parts))  # queued or not, a part no worker has started never will
    _part(run, 0, fn, *parts[0])
    if isinstance(run.error, KeyboardInterrupt) and run.interrupted is None:
        run.interrupted = run.error  # Ctrl-C landed in the caller's own part
    _wait(run)
    if run.interrupted is not None:
        raise run.interrupted
    if run.error is not None:
        raise run.error
    return run.results


class _ChunkQueue:
    """Hands out ``range(n)`` in chunks of ``size``, each once, to whichever thread asks next."""

    def __init__(self, n: int, size: int) -> None:
        self._n = n
        self._size = size
        self._next = 0
        self._lock = threading.Lock()

    def take(self) -> tuple[int, int] | None:
        if cancelled():  # another thread failed or the caller was interrupted
            return None
        with self._lock:
            lo = self._next
            if lo >= self._n:
                return None
            self._next = min(self._n, lo + self._size)
            return lo, self._next


def run_chunks(
    make_work: Callable[[], Callable[[int, int], Any]],
    n: int,
    chunk: int,
    min_part: int = 1,
    *,
    threads: int | None = None,
) -> None:
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
    threads : int, optional
        Use at most this many threads instead of :func:`get_num_threads`.

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
        while (taken := queue.take()) is not None:
            work(*taken)

    if threads is None:  # called as run_parts(fn, n, min_part), the form tests may wrap
        run_parts(drain, n, min_part)
    else:
        run_parts(drain, n, min_part, threads=threads)
