"""Accuracy of the closed forms in float64 against high-precision mpmath.

For every pair of the closed-form registry (KL, entropy, cross-entropy) this
evaluates, on a grid of float64 parameter points,

* **anadiv**: the generated function (``anadiv/_generated``; for pairs the
  generator has not written yet, the stabilized expression lambdified with
  :mod:`anadiv._stable`),
* **naive**: the engine's expression as derived, lambdified to numpy/scipy
  without stabilisation (the textbook formula),
* **torch**: ``torch.distributions.kl_divergence`` where PyTorch is installed
  and has the pair,

against the engine's expression evaluated by mpmath at 60 digits at the
*same* float64 inputs, and prints the worst relative error of each.

The grid (:func:`grid`): random points from the families' typical ranges;
Q equal to P with every parameter perturbed by a relative 1e-3, 1e-6, 1e-9 and
1e-12 (all together and one at a time); all location/scale parameters of P
and Q scaled together by 1e-8 and 1e8; and shape parameters (Gamma, Beta,
Weibull, StudentT df) at 1e3 and 1e6, alone and nearly equal.

Run: ``python benchmarks/accuracy.py [--kind kl] [--markdown]``.
"""

from __future__ import annotations

import argparse
import importlib
import math
import sys
import time
import warnings
from dataclasses import dataclass, field
from typing import Any, Callable

import mpmath
import numpy as np

DPS = 60
EPS_NEAR = (1e-3, 1e-6, 1e-9, 1e-12)
SCALES = (1e-8, 1e8)
BIG_SHAPES = (1e3, 1e6)
#: parameters treated as shapes (large-shape grid) rather than locations/scales
SHAPE_NAMES = {"shape", "a", "b", "df"}


# --------------------------------------------------------------------- the pairs


def registry_pairs(kind: str) -> list[tuple[str, ...]]:
    """Keys of the closed-form registry for ``kind``, finite or conditional only.

    Vector-valued families (MultivariateNormal, DiagonalNormal) are left out:
    their accuracy is tested with their own matrix grid in the codegen tests.
    """
    from anadiv.families import FAMILIES

    keys: set[tuple[str, ...]] = set()
    try:
        from anadiv._generated import _index

        for key, (_, _, status) in _index.REGISTRY[kind].items():
            if status != "infinite":
                keys.add(key if isinstance(key, tuple) else (key,))
    except ImportError:
        pass
    try:
        from anadiv.symbolic import derivable_pairs

        for key in derivable_pairs(kind):
            keys.add(tuple(k if isinstance(k, str) else k.name for k in (key if isinstance(key, tuple) else (key,))))
    except Exception as err:  # the engine's survey failing must not hide the generated pairs
        print(f"derivable_pairs({kind!r}) failed: {err!r}", file=sys.stderr)
    return sorted(k for k in keys if all(n in FAMILIES and FAMILIES[n].event_ndim == 0 for n in k))


def derivation(kind: str, key: tuple[str, ...]) -> Any:
    import anadiv.symbolic as sym
    from anadiv.families import FAMILIES

    fams = [FAMILIES[n] for n in key]
    return getattr(sym, f"derive_{kind}")(*fams)


def _flat(d: Any) -> list[Any]:
    return [s for group in d.symbols for s in group]


def generated_function(kind: str, key: tuple[str, ...]) -> Callable[..., Any] | None:
    """The generated numpy function, or None when the generator has not written it."""
    try:
        from anadiv._generated import _index
    except ImportError:
        return None
    entry = _index.REGISTRY.get(kind, {}).get(key if len(key) > 1 else key[0])
    if entry is None:
        return None
    module, fname, _ = entry
    return getattr(importlib.import_module(f"anadiv._generated.{module}"), fname)


def lambdified_stable(d: Any) -> Callable[..., Any]:
    """The stabilized expression lambdified with numpy + scipy + anadiv._stable."""
    import sympy

    from anadiv import _stable
    from anadiv.codegen.helpers import HELPERS
    from anadiv.codegen.stabilize import stabilize

    expr = stabilize(d.expr, d)
    ns = {name: getattr(_stable, name) for name in HELPERS}
    return sympy.lambdify(_flat(d), expr, modules=[ns, "scipy", "numpy"], use_imps=False)


#: set by --no-generated: always lambdify the current stabilize() output
USE_GENERATED = True


def anadiv_function(kind: str, key: tuple[str, ...], d: Any) -> tuple[Callable[..., Any], str]:
    fn = generated_function(kind, key) if USE_GENERATED else None
    if fn is not None:
        return fn, "generated"
    return lambdified_stable(d), "lambdified"


def naive_function(d: Any) -> Callable[..., Any]:
    import sympy

    return sympy.lambdify(_flat(d), d.expr, modules=["scipy", "numpy"])


class ReferenceTimeout(Exception):
    """mpmath took too long at one point (a slowly converging hypergeometric series)."""


def _alarm(signum: int, frame: Any) -> None:
    raise ReferenceTimeout


def reference_function(d: Any, seconds: float = 5.0) -> Callable[..., Any]:
    import signal

    import sympy

    # lambdify has no mpmath translation of the 4-argument regularized incomplete beta
    fixes = {"betainc_regularized": lambda a, b, x1, x2: mpmath.betainc(a, b, x1, x2, regularized=True)}
    f = sympy.lambdify(_flat(d), d.expr, modules=[fixes, "mpmath"])

    def ref(*vals: float) -> Any:
        use_alarm = hasattr(signal, "setitimer")
        if use_alarm:
            old = signal.signal(signal.SIGALRM, _alarm)
            signal.setitimer(signal.ITIMER_REAL, seconds)
        try:
            with mpmath.workdps(DPS):
                return f(*[mpmath.mpf(float(v)) for v in vals])
        finally:
            if use_alarm:
                signal.setitimer(signal.ITIMER_REAL, 0)
                signal.signal(signal.SIGALRM, old)

    return ref


# ------------------------------------------------------------------------ torch

_TORCH_CTORS: dict[str, Callable[..., Any]] = {
    "normal": lambda D, m, s: D.Normal(m, s),
    "lognormal": lambda D, m, s: D.LogNormal(m, s),
    "exponential": lambda D, r: D.Exponential(r),
    "gamma": lambda D, a, r: D.Gamma(a, r),
    "beta": lambda D, a, b: D.Beta(a, b),
    "laplace": lambda D, m, s: D.Laplace(m, s),
    "gumbel": lambda D, m, s: D.Gumbel(m, s),
    "weibull": lambda D, k, s: D.Weibull(s, k),
    "cauchy": lambda D, m, s: D.Cauchy(m, s),
    "uniform": lambda D, lo, hi: D.Uniform(lo, hi),
    "studentt": lambda D, df, m, s: D.StudentT(df, m, s),
}


def torch_function(kind: str, key: tuple[str, ...], nparams: tuple[int, ...]) -> Callable[..., Any] | None:
    """``torch.distributions`` KL/entropy in float64, or None (not installed / no pair)."""
    if kind == "cross_entropy" or any(k not in _TORCH_CTORS for k in key):
        return None
    try:
        import torch
        import torch.distributions as D
    except ImportError:
        return None

    def make(name: str, vals: tuple[float, ...]) -> Any:
        return _TORCH_CTORS[name](D, *[torch.tensor(float(v), dtype=torch.float64) for v in vals])

    def fn(*vals: float) -> float:
        p = make(key[0], vals[: nparams[0]])
        if kind == "entropy":
            return float(p.entropy())
        q = make(key[1], vals[nparams[0]:])
        return float(D.kl_divergence(p, q))

    try:
        import anadiv.families as fam

        probe = [fam.FAMILIES[k].random_params(np.random.default_rng(0)) for k in key]
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            fn(*[v for pr in probe for v in pr])
    except NotImplementedError:
        return None
    except Exception:
        return None
    return fn


# ------------------------------------------------------------------------- grid


def _valid(fam: Any, vals: tuple[float, ...]) -> bool:
    try:
        fam(*vals)
    except (ValueError, TypeError):
        return False
    return all(math.isfinite(v) for v in vals)


def _perturb(fam: Any, vals: tuple[float, ...], eps: float, rng: np.random.Generator, which: int | None) -> tuple[float, ...]:
    # a real parameter (location) moves relative to the family's scale, not to 1
    scales = [v for p, v in zip(fam.parameters, vals) if p.constraint == "positive" and p.name not in SHAPE_NAMES]
    unit = scales[0] if scales else 1.0
    out = []
    for i, (p, v) in enumerate(zip(fam.parameters, vals)):
        if which is not None and i != which:
            out.append(v)
            continue
        sign = rng.choice((-1.0, 1.0))
        # relative perturbation; a real parameter near 0 moves relative to 1
        out.append(v * (1 + sign * eps) if p.constraint != "real" or abs(v) > unit else v + sign * eps * unit)
    return tuple(out)


#: how a family's parameters change when the variable is scaled by s (default: locations
#: and scales multiply, shapes stay); LogNormal's mu is the log of its scale.
_SCALE_RULES: dict[str, Callable[[tuple[float, ...], float], tuple[float, ...]]] = {
    "lognormal": lambda vals, s: (vals[0] + math.log(s), vals[1]),
}


def _scaled(fam: Any, vals: tuple[float, ...], s: float) -> tuple[float, ...]:
    rule = _SCALE_RULES.get(fam.name)
    if rule is not None:
        return rule(vals, s)
    return tuple(v if p.name in SHAPE_NAMES else v * s for p, v in zip(fam.parameters, vals))


def _big_shape(fam: Any, vals: tuple[float, ...], big: float) -> tuple[float, ...] | None:
    if not any(p.name in SHAPE_NAMES for p in fam.parameters):
        return None
    return tuple(v * big if p.name in SHAPE_NAMES else v for p, v in zip(fam.parameters, vals))


def grid(kind: str, key: tuple[str, ...], n_random: int = 6, seed: int = 0) -> list[tuple[float, ...]]:
    """Float64 parameter points (P's, then Q's) for one pair; see the module docstring."""
    from anadiv.families import FAMILIES

    rng = np.random.default_rng(seed)
    fams = [FAMILIES[k] for k in key]
    same = len(fams) == 2 and fams[0] is fams[1]
    points: list[tuple[tuple[float, ...], ...]] = []

    def add(*groups: tuple[float, ...] | None) -> None:
        if all(g is not None and _valid(f, g) for f, g in zip(fams, groups)):
            points.append(tuple(groups))  # type: ignore[arg-type]

    for _ in range(n_random):
        base = [f.random_params(rng) for f in fams]
        add(*base)
        variants = [base]
        for s in SCALES:
            variants.append([_scaled(f, b, s) for f, b in zip(fams, base)])
        for big in BIG_SHAPES:
            v = [_big_shape(f, b, big) or b for f, b in zip(fams, base)]
            if v != base:
                variants.append(v)
        for v in variants[1:]:
            add(*v)
        if same:
            f = fams[0]
            for v in variants:
                p = v[0]
                for eps in EPS_NEAR:
                    add(p, _perturb(f, p, eps, rng, None))
                    for i in range(len(f.parameters)):
                        add(p, _perturb(f, p, eps, rng, i))
    return [tuple(x for g in pt for x in g) for pt in points]


# ------------------------------------------------------------------ evaluation


@dataclass
class PairResult:
    kind: str
    key: tuple[str, ...]
    npoints: int
    source: str
    worst: dict[str, float] = field(default_factory=dict)
    where: dict[str, tuple[float, ...]] = field(default_factory=dict)
    seconds: float = 0.0
    skipped: int = 0


def rel_error(value: Any, ref: Any) -> float:
    value = float(value)
    if mpmath.isinf(ref):
        return 0.0 if value == float(ref) else math.inf
    if not math.isfinite(value):
        # beyond the float64 range the right answer is inf
        return 0.0 if value == math.inf and ref > sys.float_info.max else math.inf
    if ref == 0:
        return 0.0 if value == 0 else math.inf
    return float(abs((mpmath.mpf(value) - ref) / ref))


def evaluate(kind: str, key: tuple[str, ...], n_random: int = 6, with_naive: bool = True,
             with_torch: bool = True) -> PairResult:
    t0 = time.perf_counter()
    d = derivation(kind, key)
    fn, source = anadiv_function(kind, key, d)
    methods: dict[str, Callable[..., Any]] = {"anadiv": fn}
    if with_naive:
        methods["naive"] = naive_function(d)
    if with_torch:
        tf = torch_function(kind, key, tuple(len(g) for g in d.symbols))
        if tf is not None:
            methods["torch"] = tf
    ref = reference_function(d)
    pts = grid(kind, key, n_random)
    res = PairResult(kind, key, len(pts), source)
    for pt in pts:
        try:
            r = ref(*pt)
        except (ValueError, ZeroDivisionError, OverflowError, mpmath.libmp.NoConvergence, ReferenceTimeout):
            # mpmath could not evaluate the reference here (a hypergeometric series that
            # does not converge at 60 digits): the point is counted, not scored
            res.skipped += 1
            continue
        for name, f in methods.items():
            with np.errstate(all="ignore"), warnings.catch_warnings():
                warnings.simplefilter("ignore")
                try:
                    v = f(*[np.float64(x) for x in pt])
                except Exception:
                    v = math.nan
            e = rel_error(v, r)
            if not (e <= res.worst.get(name, -1.0)):
                res.worst[name] = e
                res.where[name] = pt
    res.seconds = time.perf_counter() - t0
    return res


def _fmt(e: float | None) -> str:
    if e is None:
        return "-"
    if not math.isfinite(e):
        return "inf/nan"
    return "0" if e == 0 else f"{e:.1e}"


def table(results: list[PairResult]) -> str:
    lines = ["| kind | pair | points | anadiv | naive formula | torch |", "|---|---|---|---|---|---|"]
    for r in results:
        pts = f"{r.npoints - r.skipped}" + (f" (+{r.skipped} no reference)" if r.skipped else "")
        lines.append(f"| {r.kind} | {' -> '.join(r.key)} | {pts} | {_fmt(r.worst.get('anadiv'))} "
                     f"| {_fmt(r.worst.get('naive'))} | {_fmt(r.worst.get('torch'))} |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--kind", choices=("kl", "entropy", "cross_entropy", "all"), default="all")
    ap.add_argument("--random", type=int, default=6, help="random base points per pair")
    ap.add_argument("--verbose", action="store_true", help="print the worst point of each method")
    ap.add_argument("--no-generated", action="store_true",
                    help="evaluate stabilize() output lambdified, not the committed generated modules")
    args = ap.parse_args(argv)
    global USE_GENERATED
    USE_GENERATED = not args.no_generated
    kinds = ("kl", "entropy", "cross_entropy") if args.kind == "all" else (args.kind,)
    results = []
    for kind in kinds:
        for key in registry_pairs(kind):
            try:
                r = evaluate(kind, key, args.random)
            except Exception as err:  # report and go on: one broken pair must not hide the table
                print(f"{kind} {key}: failed: {err!r}", file=sys.stderr)
                continue
            results.append(r)
            print(f"{kind:14s} {' -> '.join(key):28s} {r.npoints:4d} pts {r.seconds:5.1f}s  "
                  + "  ".join(f"{k}={_fmt(v)}" for k, v in r.worst.items()), file=sys.stderr)
            if args.verbose:
                for k, v in r.where.items():
                    print(f"    worst {k} at {v}", file=sys.stderr)
    print(table(results))
    return 0


if __name__ == "__main__":
    sys.exit(main())
