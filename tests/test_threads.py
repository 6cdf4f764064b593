"""The shared worker pool: thread count setting, splitting, errors, nesting, fork."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time

import pytest

import anadiv
from anadiv import _threads


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
        "from anadiv import _threads\n"
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
