"""Accuracy of the closed forms in float64 against high-precision mpmath.

For every pair of the closed-form registry (KL, entropy, cross-entropy) this
evaluates, on a grid of float64 parameter points,

* **anadiv**: the generated function (``anadiv/_generated``; for pairs the
  generator has not written yet, the stabilized expression lambdified with
  :mod:`anadiv.numeric.stable`),
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

``--sweep N`` runs the whole-range sweep instead (:func:`sweep`): per function,
N parameter points drawn log-uniformly within +-8 decades of the typical
ranges, N/5 within +-300 decades and N/5 nearly equal pairs, against the
derived expression at digits chosen for the point and confirmed at twice as
many; it counts NaN, negative KLs, wrong infinities and exceptions, and gives
the worst relative error of each group.
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
    # scalar parameters only: the vector families are swept in their own tests (test_simplex_families.py)
    return sorted(k for k in keys if all(n in FAMILIES and FAMILIES[n].event_ndim == 0
                                         and not any(p.constraint.event_ndim for p in FAMILIES[n].parameters)
                                         for n in k))


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
    """The stabilized expression lambdified with numpy + scipy + anadiv.numeric.stable."""
    import sympy

    from anadiv.numeric import stable as _stable
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

def torch_function(kind: str, key: tuple[str, ...], nparams: tuple[int, ...]) -> Callable[..., Any] | None:
    """``torch.distributions`` KL/entropy in float64, or None (not installed / no pair)."""
    import anadiv.families as fam

    # Each family names its torch.distributions counterpart (``torch_name``, ``_torch_params``).
    if kind == "cross_entropy" or any(fam.FAMILIES[k].torch_name is None for k in key):
        return None
    try:
        import torch
        import torch.distributions as D
    except ImportError:
        return None

    def make(name: str, vals: tuple[float, ...]) -> Any:
        cls = fam.FAMILIES[name]
        tensors = [torch.tensor(float(v), dtype=torch.float64) for v in vals]
        return getattr(D, cls.torch_name)(**cls._torch_params(*tensors))

    def fn(*vals: float) -> float:
        p = make(key[0], vals[: nparams[0]])
        if kind == "entropy":
            return float(p.entropy())
        q = make(key[1], vals[nparams[0]:])
        return float(D.kl_divergence(p, q))

    try:
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
    from anadiv.constraints import positive, real

    # a real parameter (location) moves relative to the family's scale, not to 1
    scales = [v for p, v in zip(fam.parameters, vals) if p.constraint == positive and p.name not in SHAPE_NAMES]
    unit = scales[0] if scales else 1.0
    out = []
    for i, (p, v) in enumerate(zip(fam.parameters, vals)):
        if (which is not None and i != which) or p.constraint.is_discrete:
            out.append(v)  # a count stays a count
            continue
        sign = rng.choice((-1.0, 1.0))
        # relative perturbation; a real parameter near 0 moves relative to 1
        out.append(v * (1 + sign * eps) if p.constraint != real or abs(v) > unit else v + sign * eps * unit)
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


def tie(kind: str, key: tuple[str, ...]) -> list[tuple[int, int]]:
    """``(index in Q's, index in P's)`` parameters a closed form needs equal (a Binomial pair's trial count).

    Elsewhere it has no value (the generated function raises NoClosedFormError):
    the points of such a pair take the tie.
    """
    if len(key) < 2:
        return []
    from anadiv.codegen.stabilize import tied_symbols

    d = derivation(kind, key)
    ps, qs = [s.name for s in d.symbols[0]], [s.name for s in d.symbols[1]]
    return [(qs.index(b.name), ps.index(a.name)) for b, a in tied_symbols(d.expr).items()]


def _tied(groups: Any, pairs: list[tuple[int, int]]) -> Any:
    if not pairs or groups[0] is None or groups[1] is None:
        return groups
    q = list(groups[1])
    for i, j in pairs:
        q[i] = groups[0][j]
    return [groups[0], tuple(q), *groups[2:]]


def grid(kind: str, key: tuple[str, ...], n_random: int = 6, seed: int = 0) -> list[tuple[float, ...]]:
    """Float64 parameter points (P's, then Q's) for one pair; see the module docstring."""
    from anadiv.families import FAMILIES

    rng = np.random.default_rng(seed)
    fams = [FAMILIES[k] for k in key]
    same = len(fams) == 2 and fams[0] is fams[1]
    points: list[tuple[tuple[float, ...], ...]] = []
    ties = tie(kind, key)

    def add(*groups: tuple[float, ...] | None) -> None:
        groups = tuple(_tied(list(groups), ties))
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


# ------------------------------------------------------------- whole-range sweep

#: decades around the typical ranges for the sweep's log-uniform draws
SWEEP_DECADES = 8


def _sweep_draw(fam: Any, rng: np.random.Generator, decades: float) -> tuple[float, ...]:
    from anadiv.constraints import IntegerInterval, positive

    vals = []
    for p in fam.parameters:
        lo, hi = p.typical
        if isinstance(p.constraint, IntegerInterval):
            # a count, log-uniformly up to 10^decades above the typical top (a Binomial's trial count)
            top = min(float(p.constraint.high), 10.0 ** min(math.log10(hi + 1) + decades, 15))
            vals.append(max(p.constraint.low, math.floor(10 ** rng.uniform(0, math.log10(top + 1)))))
        elif p.constraint == positive:
            vals.append(10 ** rng.uniform(math.log10(lo) - decades, math.log10(hi) + decades))
        elif rng.random() < 0.3:
            vals.append(rng.uniform(lo, hi))
        else:
            m = max(abs(lo), abs(hi))
            vals.append(rng.choice([-1.0, 1.0]) * 10 ** rng.uniform(math.log10(m) - decades, math.log10(m) + decades))
    if fam.name == "uniform":
        vals[1] = vals[0] + 10 ** rng.uniform(-decades, math.log10(6) + decades)
    return tuple(float(v) for v in vals)


def sweep_points(key: tuple[str, ...], rng: np.random.Generator, n_wide: int, n_ext: int,
                 n_near: int, ties: list[tuple[int, int]] | None = None) -> list[tuple[str, tuple[float, ...]]]:
    """(tag, point) pairs: "wide" (+-8 decades), "ext" (+-300 decades), "near" (same family, Q ~ P).

    ``ties`` (from :func:`tie`): parameters of Q set to P's in every point.
    """
    from anadiv.families import FAMILIES

    fams = [FAMILIES[k] for k in key]
    out: list[tuple[str, tuple[float, ...]]] = []

    def add(tag: str, groups: list[tuple[float, ...]]) -> None:
        groups = _tied(groups, ties or [])
        if all(_valid(f, g) for f, g in zip(fams, groups)):
            out.append((tag, tuple(x for g in groups for x in g)))

    for _ in range(n_wide):
        add("wide", [_sweep_draw(f, rng, SWEEP_DECADES) for f in fams])
    for _ in range(n_ext):
        add("ext", [_sweep_draw(f, rng, 300) for f in fams])
    if len(fams) == 2 and fams[0] is fams[1]:
        for i in range(n_near):
            base = _sweep_draw(fams[0], rng, SWEEP_DECADES) if i % 2 else fams[0].random_params(rng)
            eps = 10.0 ** -int(rng.integers(3, 13))
            which = None if i % 3 == 0 else int(rng.integers(len(base)))
            add("near", [base, _perturb(fams[0], base, eps, rng, which)])
    return out


def settled_reference(d: Any) -> Callable[..., Any]:
    """The derived expression in mpmath, at digits for the point's magnitudes, confirmed at twice that."""
    import sympy

    from anadiv.numeric.refine import MP, _precisions

    fixes = {"betainc_regularized": MP.betainc_reg, "loggamma": MP.loggamma, "polygamma": MP.polygamma, "Ei": MP.ei,
             "exp": MP.exp, "gamma": MP.gamma, "gammainc": MP.gammainc}
    f = sympy.lambdify(_flat(d), d.expr, modules=[fixes, "mpmath"])

    def ref(point: tuple[float, ...]) -> Any:
        first = _precisions(list(point))[0] + 20
        prev = None
        for dps in (first, 2 * first, 4 * first):
            with mpmath.workdps(dps):
                v = f(*[mpmath.mpf(x) for x in point])
                v = +v.real if isinstance(v, mpmath.mpc) else mpmath.mpf(v)
            if prev is not None and (v == prev or abs(v - prev) <= abs(v) * mpmath.mpf(2) ** -60):
                return v
            prev = v
        return v

    return ref


@dataclass
class SweepResult:
    kind: str
    key: tuple[str, ...]
    points: int = 0
    nan: int = 0
    negative: int = 0
    wrong_inf: int = 0
    errors: int = 0
    worst: dict[str, float] = field(default_factory=dict)
    where: dict[str, tuple[float, ...]] = field(default_factory=dict)


def sweep(kind: str, key: tuple[str, ...], n_wide: int = 200, n_ext: int = 40, n_near: int = 40,
          seed: int = 0) -> SweepResult:
    """Count NaN, negative KLs, wrong infinities and the worst relative error over the whole range."""
    d = derivation(kind, key)
    fn = generated_function(kind, key)
    ref = settled_reference(d)
    res = SweepResult(kind, key)
    for tag, pt in sweep_points(key, np.random.default_rng(seed), n_wide, n_ext, n_near, tie(kind, key)):
        try:
            r = ref(pt)
        except (ValueError, ZeroDivisionError, OverflowError, mpmath.libmp.NoConvergence):
            continue
        with np.errstate(all="ignore"), warnings.catch_warnings():
            warnings.simplefilter("ignore")
            try:
                v = float(fn(*[np.float64(x) for x in pt]))
            except Exception:  # an exception is as wrong as a NaN, and counted apart
                res.errors += 1
                v = math.nan
        res.points += 1
        res.nan += math.isnan(v)
        res.negative += kind == "kl" and v < 0
        res.wrong_inf += math.isinf(v) and not (mpmath.isinf(r) or abs(r) > sys.float_info.max)
        e = rel_error(v, r)
        if not e <= res.worst.get(tag, -1.0):
            res.worst[tag] = e
            res.where[tag] = pt
    return res


def sweep_table(results: list[SweepResult]) -> str:
    lines = ["| kind | pair | points | NaN | negative | wrong inf | exceptions | worst +-8 decades | worst +-300 decades "
             "| worst nearly equal |", "|---|---|---|---|---|---|---|---|---|---|"]
    for r in results:
        lines.append(f"| {r.kind} | {' -> '.join(r.key)} | {r.points} | {r.nan} | {r.negative} | {r.wrong_inf} "
                     f"| {r.errors} | {_fmt(r.worst.get('wide'))} | {_fmt(r.worst.get('ext'))} "
                     f"| {_fmt(r.worst.get('near'))} |")
    tot = [sum(getattr(r, a) for r in results) for a in ("points", "nan", "negative", "wrong_inf", "errors")]
    bad = sum(1 for r in results if r.nan or r.negative or r.wrong_inf or r.errors)
    lines.append(f"| all | {len(results)} functions ({bad} with NaN, negative, wrong inf or exceptions) "
                 f"| {tot[0]} | {tot[1]} | {tot[2]} | {tot[3]} | {tot[4]} | | | |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--kind", choices=("kl", "entropy", "cross_entropy", "all"), default="all")
    ap.add_argument("--random", type=int, default=6, help="random base points per pair")
    ap.add_argument("--verbose", action="store_true", help="print the worst point of each method")
    ap.add_argument("--no-generated", action="store_true",
                    help="evaluate stabilize() output lambdified, not the committed generated modules")
    ap.add_argument("--sweep", type=int, metavar="N", default=0,
                    help="whole-range sweep instead of the grid: N draws within +-8 decades per function "
                         "(plus N/5 within +-300 decades and N/5 nearly equal pairs)")
    ap.add_argument("--only", default="", help="with --sweep: only pairs whose name contains this text")
    args = ap.parse_args(argv)
    if args.sweep:
        kinds = ("kl", "entropy", "cross_entropy") if args.kind == "all" else (args.kind,)
        results = []
        for kind in kinds:
            for key in registry_pairs(kind):
                if args.only not in " -> ".join(key):
                    continue
                r = sweep(kind, key, args.sweep, max(1, args.sweep // 5), max(1, args.sweep // 5))
                results.append(r)
                print(f"{kind:14s} {' -> '.join(key):28s} {r.points:4d} pts nan={r.nan} neg={r.negative} "
                      f"inf={r.wrong_inf} exc={r.errors} "
                      + " ".join(f"{k}={_fmt(v)}" for k, v in r.worst.items()), file=sys.stderr)
        print(sweep_table(results))
        return 0
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
