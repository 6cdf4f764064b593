"""Fixed costs of anadiv, compared between source trees in one interleaved run.

Measures what a refactor must not make slower:

1. ``import anadiv`` in a fresh process (beyond Python's own start-up), and
   ``import anadiv`` plus one ``kl`` on numbers;
2. the scalar ``kl`` overhead: ``anadiv.kl(p, q)`` on prebuilt distributions,
   the same with construction of both, and the raw generated function;
3. a batch of 1e6 Normal-Normal KLs through ``anadiv.kl``.

Each tree is run in its own subprocess with ``PYTHONPATH`` pointing at it;
trees alternate round by round, so drift on a shared machine hits both alike.
Medians and ranges over the rounds are printed, and the ratio of each tree to
the first.

Usage::

    python benchmarks/bench_overhead.py                      # this tree only
    python benchmarks/bench_overhead.py --tree /path/old --tree .  --rounds 7
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys

_PROBE = r"""
import json, sys, time, timeit
t0 = time.perf_counter()
import anadiv
t_import = time.perf_counter() - t0
import numpy as np
from anadiv import Normal
p, q = Normal(0.3, 1.2), Normal(1.0, 2.0)
anadiv.kl(p, q)
f = anadiv.kl_function(Normal, Normal)
def best(fn, number):
    return min(timeit.repeat(fn, number=number, repeat=5)) / number
rng = np.random.default_rng(0)
n = 10**6
mu1, mu2 = rng.normal(size=n), rng.normal(size=n)
s1, s2 = rng.uniform(0.5, 2, n), rng.uniform(0.5, 2, n)
P, Q = Normal(mu1, s1), Normal(mu2, s2)
anadiv.kl(P, Q)
out = {
    "import": t_import,
    "kl(p, q)": best(lambda: anadiv.kl(p, q), 20000),
    "kl(Normal(..), Normal(..))": best(lambda: anadiv.kl(Normal(0.3, 1.2), Normal(1.0, 2.0)), 10000),
    "kl_function floats": best(lambda: f(0.3, 1.2, 1.0, 2.0), 20000),
    "1e6 batch kl": best(lambda: anadiv.kl(P, Q), 3),
    "sympy imported": "sympy" in sys.modules,
}
print(json.dumps(out))
"""

_COLD = "import time; t0 = time.perf_counter(); import anadiv; print(time.perf_counter() - t0)"


def _run(tree: str, code: str) -> str:
    env = dict(os.environ, PYTHONPATH=os.path.abspath(tree))
    # with bytecode writing off every import compiles from source: that would time the compiler
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    return subprocess.run([sys.executable, "-c", code], check=True, capture_output=True, text=True, env=env,
                          cwd=os.path.abspath(tree)).stdout


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--tree", action="append", help="source tree (repeatable); default: this repository")
    ap.add_argument("--rounds", type=int, default=5)
    args = ap.parse_args()
    trees = args.tree or [os.path.dirname(os.path.dirname(os.path.abspath(__file__)))]
    results: dict[str, dict[str, list[float]]] = {t: {} for t in trees}
    for _ in range(args.rounds):
        for tree in trees:
            row = json.loads(_run(tree, _PROBE))
            if row.pop("sympy imported"):
                raise SystemExit(f"{tree}: the numeric path imported sympy")
            row["import (cold process)"] = float(_run(tree, _COLD))
            for key, value in row.items():
                results[tree].setdefault(key, []).append(value)
    keys = list(results[trees[0]])
    print(f"{args.rounds} rounds, trees interleaved; median [min - max]; ratio = median / first tree's median")
    for key in keys:
        unit, scale = ("ms", 1e3) if key.startswith(("import", "1e6")) else ("us", 1e6)
        print(f"{key}")
        base = statistics.median(results[trees[0]][key])
        for tree in trees:
            vals = results[tree][key]
            med = statistics.median(vals)
            print(f"  {tree:<40} {med * scale:9.2f} {unit} [{min(vals) * scale:.2f} - {max(vals) * scale:.2f}]"
                  f"  ratio {med / base:.2f}")


if __name__ == "__main__":
    main()
