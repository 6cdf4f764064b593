"""How many of scipy.stats' distributions anadiv accepts: closed forms, and the estimators.

For every distribution in scipy's own table of example parameters
(``scipy.stats._distr_params``: ~110 continuous, ~20 discrete), frozen at
those parameters as scipy writes them and once more shifted and scaled
(``loc=0.5, scale=2``; discrete ones shifted by ``loc=1``), this counts

* ``from_scipy``: converted to an anadiv family;
* ``entropy``: ``anadiv.entropy(frozen)`` answers in closed form;
* ``kl``: ``anadiv.kl(frozen, frozen)`` answers in closed form (the pair with itself);
* ``estimate``: ``anadiv.entropy_estimate(frozen, n=64)`` answers (Monte Carlo).

Measured with scipy 1.17.1 (110 continuous, 21 discrete names; plain / shifted and scaled):

============  ==========  =========  ==========  ==========
before        from_scipy  entropy    kl          estimate
============  ==========  =========  ==========  ==========
continuous    20 / 8      0 / 0      0 / 0       0 / 0
discrete      4 / 0       0 / 0      0 / 0       0 / 0
============  ==========  =========  ==========  ==========

============  ==========  =========  ==========  ==========
after         from_scipy  entropy    kl          estimate
============  ==========  =========  ==========  ==========
continuous    27 / 8      27 / 27    25 / 25     108 / 107
discrete      5 / 0       3 / 3      6 / 6       20 / 20
============  ==========  =========  ==========  ==========

(``from_scipy`` still refuses a shift its family cannot express; the front doors take such objects
through the adapter. Not estimated: studentized_range, whose sampler takes minutes; vonmises, refused
as periodic; wrapcauchy shifted; poisson_binom, whose shape is a vector.)

Run: ``python benchmarks/scipy_coverage.py`` (minutes: some of scipy's samplers are slow; a call over
:data:`LIMIT` seconds counts as not accepted and is named on stderr).
"""

from __future__ import annotations

import signal
import sys
import warnings

import numpy as np
import scipy.stats as st
from scipy.stats._distr_params import distcont, distdiscrete

import anadiv


#: Seconds one call may take; slower counts as not accepted (a sampler or a sum that takes minutes).
LIMIT = 30


class _TooSlow(BaseException):
    pass


def _alarm(signum, frame):
    raise _TooSlow


def _ok(call) -> bool:
    signal.signal(signal.SIGALRM, _alarm)
    signal.alarm(LIMIT)
    try:
        with warnings.catch_warnings(), np.errstate(all="ignore"):
            warnings.simplefilter("ignore")
            value = call()
    except _TooSlow:
        print(f"  over {LIMIT} s: {SLOW[-1]}", file=sys.stderr)
        return False
    except Exception:
        return False
    finally:
        signal.alarm(0)
    return bool(np.all(np.isfinite(np.asarray(getattr(value, "value", value), dtype=float))))


def _frozen(kind: str) -> list[tuple[str, str, object]]:
    out = []
    table, shift = (distcont, {"loc": 0.5, "scale": 2.0}) if kind == "continuous" else (distdiscrete, {"loc": 1})
    seen = set()
    for name, shapes in table:
        if name in seen or not isinstance(name, str):
            continue  # scipy lists some names twice, with other example parameters
        seen.add(name)
        gen = getattr(st, name)
        out.append((name, "plain", gen(*shapes)))
        out.append((name, "shifted", gen(*shapes, **shift)))
    return out


SLOW: list[str] = [""]
#: What the estimators did not take, named after the counts.
MISSED: list[str] = []


def count(kind: str) -> dict[str, dict[str, int]]:
    rows = _frozen(kind)
    tallies: dict[str, dict[str, int]] = {}
    for name, variant, frozen in rows:
        SLOW.append(f"{name} ({variant})")
        t = tallies.setdefault(variant, {"total": 0, "from_scipy": 0, "entropy": 0, "kl": 0, "estimate": 0})
        t["total"] += 1
        t["from_scipy"] += _ok(lambda: anadiv.from_scipy(frozen).logpdf(frozen.median()))
        t["entropy"] += _ok(lambda: anadiv.entropy(frozen))
        t["kl"] += _ok(lambda: anadiv.kl(frozen, frozen))
        estimated = _ok(lambda: anadiv.entropy_estimate(frozen, n=64, seed=0))
        t["estimate"] += estimated
        if not estimated:
            MISSED.append(f"{name} ({variant})")
    return tallies


def main() -> None:
    for kind in ("continuous", "discrete"):
        for variant, t in count(kind).items():
            print(f"{kind:10s} {variant:8s} " + "  ".join(f"{k}={v}" for k, v in t.items()))
    print("not estimated:", ", ".join(MISSED) or "none")
    sys.stdout.flush()


if __name__ == "__main__":
    main()
