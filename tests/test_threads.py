"""The shared worker pool: thread count setting, splitting, errors, nesting, fork."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time

import pytest

import anadiv
from anadiv.numeric import threads as _threads
@pytest.fixture(autouse=True)
def _restore_threads():
    yield
    anadiv.set_num_threads(None)


def test_split_covers_range_evenly():
    for n in (0, 1, 7, 10, 1001):
        for parts in (1, 2, 3, 8):
            ranges = _threads.split(n, parts)
            assert ranges[0][0] == 0 and ranges[-1][1] == n
            assert all(a[1] == b[0] for a, b in zip(ranges, ranges[1:]))
            sizes = [hi - lo for lo, hi in ranges]
            assert max(sizes) - min(sizes) <= 1


def test_set_and_get():
    anadiv.set_num_threads(3)
    assert anadiv.get_num_threads() == 3
    anadiv.set_num_threads(None)
    assert anadiv.get_num_threads() >= 1


@pytest.mark.parametrize("bad", [0, -1, 1.5, True, "2"])
def test_set_rejects_bad_counts(bad):
    with pytest.raises(ValueError, match=r"^n: must be a positive integer"):
        anadiv.set_num_threads(bad)


@pytest.mark.parametrize("raw", ["zero", "0", "-3"])
def test_environment_variable_is_checked(monkeypatch, raw):
    monkeypatch.setenv("ANADIV_NUM_THREADS", raw)
    with pytest.raises(ValueError, match=r"^ANADIV_NUM_THREADS: must be a positive integer"):
        anadiv.set_num_threads(None)


def test_environment_variable_sets_default(monkeypatch):
    monkeypatch.setenv("ANADIV_NUM_THREADS", "5")
    anadiv.set_num_threads(None)
    assert anadiv.get_num_threads() == 5


def test_run_parts_in_order_and_in_parallel_threads():
    anadiv.set_num_threads(2)
    out = _threads.run_parts(lambda lo, hi: (lo, hi, threading.current_thread().name), 10)
    assert [(lo, hi) for lo, hi, _ in out] == [(0, 5), (5, 10)]
    assert out[0][2] == threading.current_thread().name  # the caller does one part itself
    assert out[1][2].startswith("anadiv")


def test_min_part_limits_splitting():
    anadiv.set_num_threads(4)
    assert _threads.run_parts(lambda lo, hi: (lo, hi), 10, min_part=6) == [(0, 10)]
    assert len(_threads.run_parts(lambda lo, hi: (lo, hi), 12, min_part=6)) == 2


def test_one_thread_runs_inline():
    anadiv.set_num_threads(1)
    names = _threads.run_parts(lambda lo, hi: threading.current_thread().name, 100)
    assert names == [threading.current_thread().name]


def test_nested_calls_do_not_split_again():
    anadiv.set_num_threads(2)
    inner = _threads.run_parts(lambda lo, hi: _threads.run_parts(lambda a, b: (a, b), 4), 10)
    assert inner == [[(0, 4)], [(0, 4)]]


def test_errors_propagate_after_all_parts_finish():
    anadiv.set_num_threads(2)
    done = []

    def work(lo, hi):
        if lo > 0:
            raise KeyError("second part")
        done.append(lo)
        return lo

    with pytest.raises(KeyError, match="second part"):
        _threads.run_parts(work, 10)
    assert done == [0]


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs fork")
def test_pool_works_in_a_forked_child():
    code = (
        "import os, anadiv\n"
        "from anadiv.numeric import threads as _threads\n"
        "anadiv.set_num_threads(2)\n"
        "_threads.run_parts(lambda lo, hi: hi, 10)\n"
        "pid = os.fork()\n"
        "if pid == 0:\n"
        "    os._exit(0 if _threads.run_parts(lambda lo, hi: hi, 10) == [5, 10] else 3)\n"
        "_, status = os.waitpid(pid, 0)\n"
        "raise SystemExit(os.waitstatus_to_exitcode(status))\n"
    )
    result = subprocess.run([sys.executable, "-c", code], timeout=60)
    assert result.returncode == 0


def test_run_chunks_hands_out_every_item_once():
    anadiv.set_num_threads(2)
    lock = threading.Lock()
    seen: list[int] = []
    makers: list[str] = []

    def make_work():
        with lock:
            makers.append(threading.current_thread().name)

        def work(lo, hi):
            with lock:
                seen.extend(range(lo, hi))

        return work

    _threads.run_chunks(make_work, 1001, 7, min_part=100)
    assert sorted(seen) == list(range(1001))
    assert len(makers) == 2 and len(set(makers)) == 2  # one work function per thread


def test_run_chunks_stops_the_others_after_an_error():
    anadiv.set_num_threads(2)
    taken: list[int] = []

    def make_work():
        def work(lo, hi):
            taken.append(lo)
            if lo == 0:
                raise KeyError("first chunk")
            time.sleep(0.001)

        return work

    with pytest.raises(KeyError, match="first chunk"):
        _threads.run_chunks(make_work, 10_000, 1, min_part=10)
    assert len(taken) < 10_000


# ------------------------------------------------ resizing while in use (issue 10)
_RESIZE_RACE = """
import threading, time
import numpy as np
import anadiv
from anadiv import Normal
from anadiv.numeric import threads as _threads

m = np.random.default_rng(0).normal(size=1 << 17)
p, q = Normal(m, 1.0, validate=False), Normal(0.5, 2.0, validate=False)
expected = anadiv.kl(p, q)
errors = []

def user(start):
    start.wait()
    try:
        for _ in range(10):
            if not np.array_equal(anadiv.kl(p, q), expected):
                errors.append("wrong values")
    except Exception as exc:
        errors.append(repr(exc))

def resizer(start):
    start.wait()
    for n in range(2, 33):
        anadiv.set_num_threads(n)
        time.sleep(0.002)

for attempt in range(3):
    with _threads._lock:  # start each round from no workers, so that they are added while in use
        _threads._queue, _threads._workers = None, 0  # the old ones idle on the old queue
    anadiv.set_num_threads(2)
    start = threading.Barrier(9)
    threads = [threading.Thread(target=user, args=(start,)) for _ in range(8)]
    threads.append(threading.Thread(target=resizer, args=(start,)))
    for t in threads:
        t.start()
    for t in threads:
        t.join()
print(errors[:1] if errors else "ok")
raise SystemExit(1 if errors else 0)
"""


def test_resizing_the_pool_while_eight_threads_use_it():
    # the reproducer of issue 10: 8 threads run kl on 2**17-value batches while
    # another raises the thread count 2 -> 32; the old code raised "cannot
    # schedule new futures after shutdown" in every such process on 2 cores
    result = subprocess.run([sys.executable, "-c", _RESIZE_RACE], capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stdout + result.stderr


def test_calls_from_many_threads_get_their_own_results():
    anadiv.set_num_threads(3)
    out: dict[int, list[int]] = {}

    def caller(k):
        for size in (3, 9, 30):
            anadiv.set_num_threads(size)
            out[k] = _threads.run_parts(lambda lo, hi: (hi - lo) * k, 300)

    ts = [threading.Thread(target=caller, args=(k,)) for k in range(1, 7)]
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    assert sorted(out) == list(range(1, 7))
    assert all(sum(v) == 300 * k for k, v in out.items())


# ----------------------------------------------------------- interrupts (issue 10)
@pytest.fixture
def python_sigint():
    """Ctrl-C as ``_thread.interrupt_main`` simulates it, whatever ran before in this process.

    ``interrupt_main`` does nothing unless the main thread runs Python's own SIGINT
    handler; a test earlier in the same worker (an asyncio runner, a kernel
    client) may have left another one installed, and then the interrupt is
    silently dropped ("DID NOT RAISE"). The handler is set for the test and
    restored after it.
    """
    import signal

    assert threading.current_thread() is threading.main_thread(), "interrupt_main reaches only the main thread"
    previous = signal.signal(signal.SIGINT, signal.default_int_handler)
    yield
    signal.signal(signal.SIGINT, previous)


def _blocks_until_cancelled(log, n_blocks=2000):
    """A part that works in small blocks and stops when its run is abandoned."""

    def work(lo, hi):
        for _ in range(n_blocks):
            if _threads.cancelled():
                return "stopped"
            time.sleep(0.001)
            log.append(lo)
        return "finished"

    return work


def test_interrupt_during_the_callers_part_stops_the_pool_parts(python_sigint):
    import _thread

    anadiv.set_num_threads(2)
    log: list[int] = []
    inner = _blocks_until_cancelled(log)

    def work(lo, hi):
        if lo > 0:  # a pool part: ask for Ctrl-C on the calling thread once it is under way
            log.append(lo)
            _thread.interrupt_main()
        return inner(lo, hi)

    t0 = time.perf_counter()
    with pytest.raises(KeyboardInterrupt):
        _threads.run_parts(work, 10)
    assert time.perf_counter() - t0 < 1.0  # 2000 blocks of 1 ms each would take 2 s
    assert len(log) < 2 * 2000
    assert getattr(_threads._local, "worker", False) is False
    assert _threads.run_parts(lambda lo, hi: hi - lo, 10) == [5, 5]  # the pool is still usable


def test_interrupt_while_the_caller_waits_for_the_pool(python_sigint):
    import _thread

    anadiv.set_num_threads(2)
    log: list[int] = []
    inner = _blocks_until_cancelled(log)

    def work(lo, hi):
        if lo == 0:
            return "caller done"  # the caller goes straight to waiting for the other part
        time.sleep(0.05)
        _thread.interrupt_main()
        return inner(lo, hi)

    t0 = time.perf_counter()
    with pytest.raises(KeyboardInterrupt):
        _threads.run_parts(work, 10)
    assert time.perf_counter() - t0 < 1.0
    assert len(log) < 2000
    assert _threads.run_parts(lambda lo, hi: hi - lo, 10) == [5, 5]


def test_interrupt_between_two_submissions_abandons_the_unsent_parts(monkeypatch):
    # a Ctrl-C can land between two puts: the part already queued must run at
    # most once (or be skipped), the unsent one must not be waited for, and the
    # caller's thread must not stay marked as a worker (every later call there
    # would silently run on one thread: the "DID NOT RAISE" of the tests above)
    anadiv.set_num_threads(3)
    real_get_queue = _threads._get_queue
    calls: list[int] = []

    class InterruptedQueue:
        def __init__(self, queue):
            self.queue, self.puts = queue, 0

        def put(self, item):
            self.puts += 1
            if self.puts == 2:
                raise KeyboardInterrupt
            self.queue.put(item)

    monkeypatch.setattr(_threads, "_get_queue", lambda size: InterruptedQueue(real_get_queue(size)))

    def work(lo, hi):
        calls.append(lo)
        for _ in range(2000):
            if _threads.cancelled():
                return "stopped"
            time.sleep(0.001)
        return "finished"

    t0 = time.perf_counter()
    with pytest.raises(KeyboardInterrupt):
        _threads.run_parts(work, 30)
    assert time.perf_counter() - t0 < 1.0
    assert sorted(set(calls)) == sorted(calls) and set(calls) <= {0, 10}  # part 20 was never sent
    assert getattr(_threads._local, "worker", False) is False
    monkeypatch.undo()
    assert _threads.run_parts(lambda lo, hi: hi - lo, 30) == [10, 10, 10]


_EXIT_AFTER_CTRL_C = """
import signal
# Python's own SIGINT handler, as in an interactive session: a runner started in the background
# ignores SIGINT, and a child inherits that (then neither Ctrl-C nor interrupt_main does anything)
signal.signal(signal.SIGINT, signal.default_int_handler)
import _thread, time
import anadiv
from anadiv.numeric import threads

anadiv.set_num_threads(2)

def work(lo, hi):
    if lo > 0:
        _thread.interrupt_main()
    time.sleep(0.01)

try:
    threads.run_parts(work, 10)
except KeyboardInterrupt:
    print("interrupted")
"""


def test_the_interpreter_exits_after_a_caught_ctrl_c():
    # with concurrent.futures' pool, the interpreter hung at exit joining a
    # worker after the caller caught a Ctrl-C raised during a split
    result = subprocess.run(
        [sys.executable, "-c", _EXIT_AFTER_CTRL_C], capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["interrupted"]


def test_keyboard_interrupt_raised_in_a_worker_reaches_the_caller():
    anadiv.set_num_threads(2)
    log: list[int] = []
    inner = _blocks_until_cancelled(log)

    def work(lo, hi):
        if lo > 0:
            raise KeyboardInterrupt
        return inner(lo, hi)

    with pytest.raises(KeyboardInterrupt):
        _threads.run_parts(work, 10)
    assert len(log) < 2000  # the caller's own part stopped early too
    assert _threads.run_parts(lambda lo, hi: hi - lo, 10) == [5, 5]


def test_cancelled_is_false_outside_a_run():
    assert _threads.cancelled() is False
    anadiv.set_num_threads(2)
    assert _threads.run_parts(lambda lo, hi: _threads.cancelled(), 10) == [False, False]


def test_run_chunks_stops_at_the_next_chunk_on_interrupt(python_sigint):
    import _thread

    anadiv.set_num_threads(2)
    taken: list[int] = []

    def make_work():
        def work(lo, hi):
            taken.append(lo)
            if lo == 50:
                _thread.interrupt_main()
            time.sleep(0.001)

        return work

    with pytest.raises(KeyboardInterrupt):
        _threads.run_chunks(make_work, 10_000, 1, min_part=10)
    assert len(taken) < 10_000
    done = []
    _threads.run_chunks(lambda: lambda lo, hi: done.append((lo, hi)), 10, 4)
    assert sorted(done) == [(0, 4), (4, 8), (8, 10)]


def test_threads_argument_caps_the_split():
    anadiv.set_num_threads(4)
    assert len(_threads.run_parts(lambda lo, hi: (lo, hi), 100, threads=2)) == 2


_SIGINT = """
import signal
# Python's own SIGINT handler, as in an interactive session: a runner started in the background
# ignores SIGINT, and a child inherits that (then neither Ctrl-C nor interrupt_main does anything)
signal.signal(signal.SIGINT, signal.default_int_handler)
import os, signal, sys, threading, time
import numpy as np
import anadiv
from anadiv import Normal, discrete

which = sys.argv[1]
if which == "kl":
    p, q = Normal(np.zeros(30_000_000), 1.0), Normal(1.0, 2.0)
    run = lambda: anadiv.kl(p, q)
    small = lambda: anadiv.kl(Normal(np.zeros(1 << 18), 1.0), Normal(1.0, 2.0))
else:
    d = np.random.default_rng(0).random((3000, 64))
    d /= d.sum(1, keepdims=True)
    run = lambda: discrete.pairwise("kl", d)
    small = lambda: discrete.pairwise("kl", d[:300])
sent = []

def fire():
    time.sleep(1.0)
    sent.append(time.perf_counter())
    os.kill(os.getpid(), signal.SIGINT)

threading.Thread(target=fire, daemon=True).start()
try:
    while True:
        run()
except KeyboardInterrupt:
    late = time.perf_counter() - sent[0]
small()  # the pool still works
print(f"{late:.3f}")
"""


@pytest.mark.skipif(not hasattr(os, "kill") or sys.platform == "win32", reason="needs SIGINT")
@pytest.mark.parametrize("which", ["kl", "pairwise"])
def test_ctrl_c_takes_effect_within_a_second(which):
    # issue 10: Ctrl-C during a 3e7-value kl or a large discrete.pairwise took
    # effect 12-22 s late; the running blocks now stop at their next block
    result = subprocess.run(
        [sys.executable, "-c", _SIGINT, which], capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stderr
    assert float(result.stdout.split()[-1]) < 1.0, result.stdout
