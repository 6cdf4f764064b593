"""Every generated univariate closed form over the whole valid parameter range.

Generated from the closed-form registry, so a new pair is tested without an
edit here. For each KL, cross-entropy and entropy function, parameters are drawn

* log-uniformly within +-8 decades of each family's typical range (signs of
  real parameters at random, a Uniform's width separately),
* at the extremes of the float range: one parameter at a time set to
  1e-300 and 1e300 (either sign for a real one), the others typical,
* nearly equal P and Q (same family; relative changes 1e-3 ... 1e-12),

and the result is compared with the derived expression (``derive_*``,
lambdified by sympy for mpmath: a printer independent of the generated code)
evaluated with enough digits for the parameters' magnitudes, at two
precisions that must agree. What must hold: no NaN, no negative KL, ``inf``
only where the true value is infinite or beyond the float range, and the
relative error within :data:`BOUNDS` (1e-12 unless docs/accuracy.md names a
looser bound for the pair). float32 inputs (within +-8 decades): finite where
the true value fits in float32, relative error at most 1e-5.
"""

from __future__ import annotations

import functools
import math
import sys
import warnings

import mpmath
import numpy as np
import pytest

from _assert_truth import assert_right, mpmath_modules

from anadiv._generated import _index
from anadiv.numeric.refine import _precisions
from anadiv.families import FAMILIES
from anadiv.constraints import IntegerInterval, Interval, positive

#: Relative-error bounds looser than 1e-12, per (kind, pair), within +-8 decades;
#: docs/accuracy.md gives the reason for each. Keep in step with that page.
BOUNDS: dict[tuple[str, tuple[str, ...]], float] = {}

#: Bounds at the extremes of the float range (a parameter at 1e-300 or 1e300), where
#: looser than the pair's bound; docs/accuracy.md gives the reason for each. (Beta ->
#: Weibull had 1e-8 and 1e-3 here until the result check counted the cancellation
#: inside exp(lgamma_diff_d(a, b) - lgamma_diff_d(a + k, b)).)
EXTREME_BOUNDS: dict[tuple[str, tuple[str, ...]], float] = {}
DEFAULT_BOUND = 1e-12
FLOAT32_BOUND = 1e-5


def _cases() -> list[tuple[str, tuple[str, ...]]]:
    out = []
    for kind in ("kl", "cross_entropy", "entropy", "renyi"):
        for key, (_, _, status) in _index.REGISTRY[kind].items():
            names = key if isinstance(key, tuple) else (key,)
            # vector parameters (the Gaussians, and the simplex families: tests/test_simplex_families.py)
            if status == "infinite" or any(FAMILIES[n].event_ndim or any(p.constraint.event_ndim for p in
                                                                       FAMILIES[n].parameters) for n in names):
                continue
            out.append((kind, names))
    return sorted(out)


CASES = _cases()


def _function(kind: str, names: tuple[str, ...]):
    import importlib

    module, fname, _ = _index.REGISTRY[kind][names if len(names) > 1 else names[0]]
    return getattr(importlib.import_module(f"anadiv._generated.{module}"), fname)


def _reference(kind: str, names: tuple[str, ...]):
    import sympy

    import anadiv.symbolic as sym

    d = getattr(sym, f"derive_{kind}")(*(FAMILIES[n] for n in names))
    flat = [s for group in d.symbols for s in group]
    f = sympy.lambdify(flat, d.expr, modules=mpmath_modules())

    def ref(point: tuple[float, ...]) -> mpmath.mpf:
        first = _precisions(list(point))[0] + 20

        def at(dps: int) -> mpmath.mpf:
            with mpmath.workdps(dps):
                v = f(*[mpmath.mpf(x) for x in point])
                return +v.real if isinstance(v, mpmath.mpc) else mpmath.mpf(v)

        a, b = at(first), at(2 * first)
        if not (a == b or abs(a - b) <= abs(b) * mpmath.mpf(2) ** -60):
            # terms of size 1/p^2 cancel (a Kumaraswamy's digamma(b) + 1/b at b = 1e-300; Rayleigh -> Gumbel
            # at scale 1e-300: exp(z) (1 - sqrt(pi) z erfcx(z)) with z ~ 1/scale): more digits
            # than the parameters' magnitudes suggest, as in the generated functions' exact fallback
            # (anadiv.numeric.refine); the last two precisions must still agree
            a, b = b, at(4 * first)
        if abs(a) > sys.float_info.max and abs(b) > sys.float_info.max and mpmath.sign(a) == mpmath.sign(b):
            return b  # beyond the float range at both precisions: inf is the answer either way
        assert (a == b) or (mpmath.isinf(a) and a == b) or abs(a - b) <= abs(b) * mpmath.mpf(2) ** -60, (
            f"reference unsettled at {point}: {a} vs {b}")
        return b

    return ref


def _tie(kind: str, names: tuple[str, ...]) -> list[tuple[int, int]]:
    """``(index in q, index in p)`` of the parameters a closed form needs equal (a Binomial pair's trial count).

    Elsewhere it has no value and the generated function raises (test_families_discrete.py),
    so every point of such a pair takes the tie.
    """
    if len(names) < 2:
        return []
    import anadiv.symbolic as sym
    from anadiv.codegen.stabilize import tied_symbols

    d = getattr(sym, f"derive_{kind}")(*(FAMILIES[n] for n in names))
    ps, qs = [s.name for s in d.symbols[0]], [s.name for s in d.symbols[1]]
    return [(qs.index(b.name), ps.index(a.name)) for b, a in tied_symbols(d.expr).items()]


def _with_tie(groups: list[tuple[float, ...]], tie: list[tuple[int, int]]) -> list[tuple[float, ...]]:
    if not tie:
        return groups
    q = list(groups[1])
    for i, j in tie:
        q[i] = groups[0][j]
    return [groups[0], tuple(q), *groups[2:]]


def _valid(fam, vals) -> bool:
    try:
        fam(*vals)
    except (ValueError, TypeError):
        return False
    return all(math.isfinite(v) for v in vals)


def _wide(fam, rng: np.random.Generator) -> tuple[float, ...]:
    vals = []
    for p in fam.parameters:
        lo, hi = p.typical
        if isinstance(p.constraint, Interval):
            vals.append(_in_interval(p.constraint, rng))
        elif isinstance(p.constraint, IntegerInterval):
            vals.append(_integer(p.constraint, rng))
        elif p.constraint == positive:
            vals.append(10 ** rng.uniform(math.log10(lo) - 8, math.log10(hi) + 8))
        elif rng.random() < 0.3:
            vals.append(rng.uniform(lo, hi))
        else:
            m = max(abs(lo), abs(hi))
            vals.append(rng.choice([-1.0, 1.0]) * 10 ** rng.uniform(math.log10(m) - 8, math.log10(m) + 8))
    if fam.name == "uniform":
        vals[1] = vals[0] + 10 ** rng.uniform(-8, 8)
    return tuple(float(v) for v in vals)


def _in_interval(c: Interval, rng: np.random.Generator) -> float:
    """A value of a bounded interval, log-uniformly close to either end (1e-300 of the width at the low
    end of (0, 1), the float spacing at the high end) or uniform inside: a probability near 0 or 1."""
    width = c.high - c.low
    u = rng.random()
    if u < 0.3:
        return float(rng.uniform(c.low, c.high))
    if u < 0.65:
        return float(c.low + width * 10 ** rng.uniform(-300 if c.low == 0 else -15, -0.5))
    return float(c.high - width * 10 ** rng.uniform(-15.5, -0.5))


def _integer(c: IntegerInterval, rng: np.random.Generator) -> float:
    """A count from the domain, log-uniformly up to 1e6 (or the domain's top)."""
    top = min(float(c.high), 1e6)
    return float(min(top, max(c.low, math.floor(10 ** rng.uniform(0, math.log10(top + 1))))))


def _extremes(fam, rng: np.random.Generator) -> list[tuple[float, ...]]:
    base = fam.random_params(rng)
    out = []
    for i, p in enumerate(fam.parameters):
        if isinstance(p.constraint, Interval):
            # the ends of a bounded interval: 1e-300 above 0 (or 1e-15 of the width), and the float spacing below the top
            width = p.constraint.high - p.constraint.low
            for v_i in (p.constraint.low + width * (1e-300 if p.constraint.low == 0 else 1e-15),
                        float(np.nextafter(p.constraint.high, -np.inf))):
                v = list(base)
                v[i] = v_i
                out.append(tuple(v))
            continue
        if isinstance(p.constraint, IntegerInterval):
            for v_i in (float(p.constraint.low), min(float(p.constraint.high), 1e9)):
                v = list(base)
                v[i] = v_i
                out.append(tuple(v))
            continue
        for e in (-300, 300):
            v = list(base)
            v[i] = 10.0**e if p.constraint == positive else float(rng.choice([-1.0, 1.0])) * 10.0**e
            if fam.name == "uniform":
                v = [min(v), max(v)]
            out.append(tuple(v))
    return out


def _near(fam, rng: np.random.Generator, p: tuple[float, ...], eps: float) -> tuple[float, ...]:
    scales = [v for prm, v in zip(fam.parameters, p) if prm.constraint == positive]
    unit = scales[-1] if scales else 1.0
    out = []
    for prm, v in zip(fam.parameters, p):
        sign = float(rng.choice([-1.0, 1.0]))
        if prm.constraint.is_discrete:
            out.append(v)  # a count stays a count (a Binomial's trial count)
            continue
        out.append(v * (1 + sign * eps) if prm.constraint == positive or abs(v) > unit else v + sign * eps * unit)
    return tuple(out)


#: Renyi orders drawn with each point: the typical ones, and orders next to 1 (where the
#: derived form divides a difference of log-normalizers by alpha - 1) and far from it.
ORDERS = (0.1, 0.5, 0.9, 1.5, 2.0, 4.0, 1.0 - 1e-7, 1.0 + 1e-5, 1e-6, 50.0)


def _kind_values(kind: str, rng: np.random.Generator) -> tuple[float, ...]:
    """Values of the kind's own parameters (Renyi's order), after the families'."""
    return (float(rng.choice(ORDERS)),) if kind == "renyi" else ()


def _points(kind: str, names: tuple[str, ...], seed: int) -> list[tuple[float, ...]]:
    rng = np.random.default_rng(seed)
    fams = [FAMILIES[n] for n in names]
    pts: list[tuple[float, ...]] = []
    tie = _tie(kind, names)

    def add(*groups: tuple[float, ...]) -> None:
        groups = tuple(_with_tie(list(groups), tie))
        if all(_valid(f, g) for f, g in zip(fams, groups)):
            pts.append(tuple(x for g in groups for x in g) + tuple(float(np.float32(v)) for v in _kind_values(kind, rng)))

    for _ in range(8):
        add(*[_wide(f, rng) for f in fams])
    for i, f in enumerate(fams):
        for ext in _extremes(f, rng):
            groups = [g.random_params(rng) for g in fams]
            groups[i] = ext
            add(*groups)
    if len(fams) == 2 and fams[0] is fams[1]:
        for eps in (1e-3, 1e-6, 1e-9, 1e-12):
            p = fams[0].random_params(rng) if eps < 1e-6 else _wide(fams[0], rng)
            add(p, _near(fams[0], rng, p, eps))
    return pts


# The float64 test and the backend tests of a pair use the same points and the same numpy batch:
# drawn and evaluated once per test process (an exception is not cached: it is raised again).
@functools.lru_cache(maxsize=None)
def _case_points(kind: str, names: tuple[str, ...]) -> tuple[tuple[float, ...], ...]:
    return tuple(_points(kind, names, seed=len(kind) * 1000 + sum(map(ord, "".join(names)))))


@functools.lru_cache(maxsize=None)
def _numpy_batch(kind: str, names: tuple[str, ...]) -> np.ndarray:
    """The generated function on the case's points as numpy columns, with no RuntimeWarning (read-only)."""
    with warnings.catch_warnings():
        # an overflow on the float path is recomputed, not reported: the caller sees no warning
        warnings.simplefilter("error", RuntimeWarning)
        batch = np.asarray(_function(kind, names)(*(np.array(col) for col in zip(*_case_points(kind, names)))))
    batch.flags.writeable = False
    return batch


@pytest.mark.slow
@pytest.mark.parametrize("kind,names", CASES, ids=[f"{k}-{'-'.join(n)}" for k, n in CASES])
def test_whole_range_float64(kind: str, names: tuple[str, ...]) -> None:
    fn = _function(kind, names)
    ref = _reference(kind, names)
    bound = BOUNDS.get((kind, names), DEFAULT_BOUND)
    pts = _case_points(kind, names)
    assert len(pts) >= 10
    batch = _numpy_batch(kind, names)
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)
        for i, pt in enumerate(pts):
            r = ref(pt)
            scalar = float(fn(*pt))
            extreme = any(x != 0 and abs(math.log10(abs(x))) > 100 for x in pt)
            b = max(bound, EXTREME_BOUNDS.get((kind, names), bound)) if extreme else bound
            assert_right(kind, scalar, r, rtol=b, where=f"at {pt}")
            # the batch takes the array path of every helper: same guarantee
            assert_right(kind, float(batch[i]), r, rtol=b, where=f"at {pt} (in a batch)")


@pytest.mark.slow
@pytest.mark.parametrize("kind,names", CASES, ids=[f"{k}-{'-'.join(n)}" for k, n in CASES])
def test_whole_range_float32(kind: str, names: tuple[str, ...]) -> None:
    fn = _function(kind, names)
    ref = _reference(kind, names)
    rng = np.random.default_rng(7)
    fams = [FAMILIES[n] for n in names]
    pts = []
    tie = _tie(kind, names)
    for _ in range(40):
        groups = _with_tie([_wide(f, rng) for f in fams], tie)
        groups = [tuple(float(np.float32(x)) for x in g) for g in groups]
        if all(_valid(f, g) for f, g in zip(fams, groups)) and all(
            np.float32(x) != 0 and np.isfinite(np.float32(x)) for g in groups for x in g):
            pts.append(tuple(x for g in groups for x in g) + tuple(float(np.float32(v)) for v in _kind_values(kind, rng)))
        if len(pts) == 8:
            break
    fmax = float(np.finfo(np.float32).max)
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)
        arrays = [np.array(col, dtype=np.float32) for col in zip(*pts)]
        batch = np.asarray(fn(*arrays))
    assert batch.dtype == np.float32
    for i, pt in enumerate(pts):
        r = ref(pt)
        assert_right(kind, float(batch[i]), r, rtol=FLOAT32_BOUND, fmax=fmax, where=f"at float32 {pt}")


def _backend_arrays(library: str):
    if library == "dask":
        da = pytest.importorskip("dask.array")
        return lambda col: da.from_array(np.array(col, dtype=np.float64), chunks=7), lambda out: np.asarray(out.compute())
    if library == "torch":
        torch = pytest.importorskip("torch")
        return lambda col: torch.tensor(col, dtype=torch.float64), lambda out: out.numpy()
    jax = pytest.importorskip("jax")
    jax.config.update("jax_enable_x64", True)
    import jax.numpy as jnp

    return lambda col: jnp.asarray(np.array(col, dtype=np.float64)), np.asarray


#: Dask evaluates each chunk with the numpy namespace itself, so its values are numpy's by
#: construction (tests/test_backends.py checks every function lazily at typical points); what the
#: whole range adds is the chunked result check, exercised on every fourth function.
DASK_CASES = CASES[::4]
BACKEND_CASES = [(lib, k, n) for lib in ("torch", "jax") for k, n in CASES] + [("dask", k, n) for k, n in DASK_CASES]


@pytest.mark.slow
@pytest.mark.parametrize("library,kind,names", BACKEND_CASES,
                         ids=[f"{lib}-{k}-{'-'.join(n)}" for lib, k, n in BACKEND_CASES])
def test_whole_range_array_backends(library: str, kind: str, names: tuple[str, ...]) -> None:
    """The same points on torch tensors, JAX arrays and Dask arrays (in chunks of 7):
    the numpy batch's values
    (checked against the reference above), through the backend's own result check."""
    to_backend, to_numpy = _backend_arrays(library)
    fn = _function(kind, names)
    pts = _case_points(kind, names)
    cols = [list(col) for col in zip(*pts)]
    want = _numpy_batch(kind, names)
    got = to_numpy(fn(*(to_backend(c) for c in cols)))
    assert got.shape == want.shape
    assert not np.isnan(got).any(), [pts[i] for i in np.nonzero(np.isnan(got))[0]]
    np.testing.assert_array_equal(np.isinf(got), np.isinf(want))
    finite = np.isfinite(want)
    np.testing.assert_allclose(got[finite], want[finite], rtol=4e-12, atol=0,
                               err_msg=f"{library} {kind} {names}")
