"""Gamma-Gamma and Beta-Beta KLs on numpy against ``torch.distributions`` on the CPU.

Run: ``python benchmarks/bench_special_pairs.py`` (``--quick`` for fewer
repetitions and only 1e6 values; ``--before FILE`` also times an older copy of
``anadiv/numeric/stable.py``, e.g. one written by
``git show main:anadiv/numeric/stable.py > /tmp/stable_before.py``, swapped in
for the two helpers the generated functions call).

Prints, for 1e6 and 1e5 float64 pairs with parameters drawn uniformly from
(0.5, 20), (0.1, 5) and (20, 1000), and for nearly equal pairs (shape about 50,
relative change 1e-6): the median time of ``anadiv.kl_function`` on numpy
arrays and of ``kl_divergence(..., validate_args=False)`` on CPU float64
tensors, both on 2 threads, their repeats interleaved, with the median and
range of the per-repeat time ratio (target: at most 1.5x). Then the worst
relative error of both against 50-digit mpmath on nearly equal pairs.

On a machine shared with other work, wall times of two threads mostly measure
the contention (torch's worker threads wait for each other); ``--cpu-time``
runs both on one thread and times the calling thread's CPU time instead
(``time.thread_time``), which the other processes disturb far less.
"""

from __future__ import annotations

import argparse
import importlib.util
import statistics
import time
from collections.abc import Callable
from typing import Any

import numpy as np

RANGES: dict[str, tuple[float, float] | None] = {
    "U(0.5, 20)": (0.5, 20.0),
    "U(0.1, 5)": (0.1, 5.0),
    "U(20, 1000)": (20.0, 1000.0),
    "nearly equal": None,
}


def _params(kind: str, rng: np.random.Generator, n: int) -> list[np.ndarray]:
    """(p1, q1, p2, q2): the first distribution's two parameters, then the second's."""
    span = RANGES[kind]
    if span is not None:
        return [rng.uniform(*span, n) for _ in range(4)]
    p1 = 50.0 * rng.uniform(0.5, 2.0, n)
    q1 = 50.0 * rng.uniform(0.5, 2.0, n)
    step = 1e-6
    return [p1, q1, p1 * (1 + step * rng.choice((-1.0, 1.0), n)), q1 * (1 + step * rng.choice((-1.0, 1.0), n))]


def _interleaved(fns: list[Callable[[], Any]], repeat: int, clock: Callable[[], float]) -> list[list[float]]:
    for fn in fns:
        fn()
    out: list[list[float]] = [[] for _ in fns]
    for _ in range(repeat):
        for i, fn in enumerate(fns):
            t0 = clock()
            fn()
            out[i].append(clock() - t0)
    return out


def _swap_in(path: str) -> Callable[[bool], None]:
    """A switch between the installed gamma/beta helpers and those of the file at ``path``."""
    from anadiv.numeric import stable

    spec = importlib.util.spec_from_file_location("stable_before", path)
    assert spec is not None and spec.loader is not None
    before = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(before)
    now = {name: getattr(stable, name) for name in ("gamma_bregman", "beta_bregman")}

    def use(old: bool) -> None:
        for name, fn in now.items():
            setattr(stable, name, getattr(before, name) if old else fn)

    return use


def bench_speed(sizes: list[int], repeat: int, before: str | None, cpu_time: bool) -> None:
    import torch
    from torch.distributions import Beta, Gamma, kl_divergence

    import anadiv

    threads = 1 if cpu_time else 2
    anadiv.set_num_threads(threads)
    torch.set_num_threads(threads)
    clock = time.thread_time if cpu_time else time.perf_counter
    print(f"{threads} thread(s) each, {'CPU time of the calling thread' if cpu_time else 'wall time'}, "
          f"median of {repeat} interleaved repeats")
    use_before = _swap_in(before) if before else None
    families = {"gamma": Gamma, "beta": Beta}
    head = "| pair | parameters | n | anadiv (ms) | torch (ms) | ratio, median [range] |"
    if use_before:
        head += " before (ms) | before / torch |"
    print(head)
    print("|" + "---|" * (head.count("|") - 1))
    rng = np.random.default_rng(0)
    for name, dist in families.items():
        fn = anadiv.kl_function(name, name)
        for kind in RANGES:
            for n in sizes:
                p = _params(kind, rng, n)
                t = [torch.from_numpy(x) for x in p]

                def ours(fn: Any = fn, p: list[np.ndarray] = p) -> Any:
                    return fn(*p)

                def theirs(dist: Any = dist, t: list[Any] = t) -> Any:
                    return kl_divergence(dist(t[0], t[1], validate_args=False), dist(t[2], t[3], validate_args=False))

                fns = [ours, theirs]
                if use_before:
                    def old(fn: Any = fn, p: list[np.ndarray] = p) -> Any:
                        use_before(True)
                        try:
                            return fn(*p)
                        finally:
                            use_before(False)

                    fns.append(old)
                times = _interleaved(fns, repeat, clock)
                ratios = [a / b for a, b in zip(times[0], times[1])]
                ms = [1e3 * statistics.median(x) for x in times]
                row = (f"| {name}-{name} | {kind} | {n:.0e} | {ms[0]:.1f} | {ms[1]:.1f} | "
                       f"{statistics.median(ratios):.2f} [{min(ratios):.2f}, {max(ratios):.2f}] |")
                if use_before:
                    row += f" {ms[2]:.1f} | {statistics.median([a / b for a, b in zip(times[2], times[1])]):.2f} |"
                print(row, flush=True)


def bench_accuracy(points: int) -> None:
    import mpmath
    import torch
    from torch.distributions import Beta, Gamma, kl_divergence

    import anadiv

    def gamma_mp(a1: Any, b1: Any, a2: Any, b2: Any) -> Any:
        return (mpmath.loggamma(a2) - mpmath.loggamma(a1) - (a2 - a1) * mpmath.digamma(a1)
                + a1 * (b2 / b1 - 1 - mpmath.log(b2 / b1)) + (a2 - a1) * mpmath.log(b1 / b2))

    def beta_mp(a1: Any, b1: Any, a2: Any, b2: Any) -> Any:
        def br(x: Any, y: Any) -> Any:
            return mpmath.loggamma(y) - mpmath.loggamma(x) - (y - x) * mpmath.digamma(x)

        return br(a1, a2) + br(b1, b2) - br(a1 + b1, a2 + b2)

    print(f"\nWorst relative error against mpmath (50 digits), {points} nearly equal pairs "
          "(parameters 25 to 100, relative change 1e-6)")
    print("| pair | anadiv | torch |")
    print("|---|---|---|")
    rng = np.random.default_rng(1)
    for name, dist, ref in (("gamma", Gamma, gamma_mp), ("beta", Beta, beta_mp)):
        p = _params("nearly equal", rng, points)
        ours = anadiv.kl_function(name, name)(*p)
        t = [torch.from_numpy(x) for x in p]
        theirs = kl_divergence(dist(t[0], t[1], validate_args=False), dist(t[2], t[3], validate_args=False)).numpy()
        worst = [0.0, 0.0]
        with mpmath.workdps(50):
            for i in range(points):
                exact = ref(*(mpmath.mpf(float(x[i])) for x in p))
                for k, v in enumerate((ours[i], theirs[i])):
                    worst[k] = max(worst[k], float(abs((mpmath.mpf(float(v)) - exact) / exact)))
        print(f"| {name}-{name} | {worst[0]:.1e} | {worst[1]:.1e} |")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="5 repeats, 1e6 values only")
    parser.add_argument("--before", metavar="FILE", help="an older anadiv/numeric/stable.py to time as well")
    parser.add_argument("--cpu-time", action="store_true", help="one thread each, timed by the thread's CPU time")
    parser.add_argument("--no-accuracy", action="store_true")
    args = parser.parse_args()
    sizes = [10**6] if args.quick else [10**6, 10**5]
    bench_speed(sizes, 5 if args.quick else 11, args.before, args.cpu_time)
    if not args.no_accuracy:
        bench_accuracy(200)


if __name__ == "__main__":
    main()
