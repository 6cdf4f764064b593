"""Fuzzing the public API (hypothesis, derandomized): closed forms, discrete, estimators, quadrature, CLI.

Each call gets valid values drawn over a wide range (log-uniform within +-8
decades of each parameter's typical range) or invalid ones (zero or negative
scales, NaN, inf, strings, bools, complex numbers, mismatched shapes, ...).
What must hold: either a ``ValueError`` whose message starts with the name of
an offending argument (or ``NoClosedFormError`` for a pair the registry has
no closed form for), or a result that is right:

* ``kl`` / ``entropy`` / ``cross_entropy``: never NaN, a KL never negative,
  and within 1e-9 (relative) of the derived expression evaluated by mpmath
  with enough digits for the parameters (``inf`` where that is infinite or
  beyond the float range);
* ``anadiv.discrete``: a direct mpmath sum with the conventions ``0 log 0 = 0``
  and ``p log(p/0) = inf``;
* quadrature: within its own reported error of the closed form; Monte Carlo:
  within 6 standard errors of it, or an estimate that says its standard error
  is unreliable and refuses an interval;
* the command line prints the number ``anadiv.kl`` returns.

The closed-form pairs are a fixed, representative subset of the registry (a
derivation costs up to a second), derived once per pair on first use.
"""

from __future__ import annotations

import contextlib
import functools
import io
import math
import sys
import warnings
from decimal import Decimal

import mpmath
import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from _assert_truth import assert_right, mpmath_modules

import anadiv
from anadiv import FAMILIES, NoClosedFormError, UnreliableIntervalError
from anadiv import discrete as D
from anadiv._generated import _index
from anadiv.cli import main
from anadiv.constraints import positive

SETTINGS = settings(max_examples=120, deadline=None, derandomize=True)
FMAX = sys.float_info.max

# finite, conditional (finite on part of the parameter space), infinite, and missing pairs
KL_PAIRS = [
    ("normal", "normal"), ("gamma", "gamma"), ("beta", "beta"), ("laplace", "normal"),
    ("gumbel", "laplace"), ("uniform", "weibull"), ("uniform", "cauchy"), ("studentt", "normal"),
    ("exponential", "gamma"), ("lognormal", "normal"), ("beta", "laplace"), ("uniform", "gumbel"),
    ("cauchy", "cauchy"), ("weibull", "weibull"), ("laplace", "gumbel"),
    ("normal", "uniform"), ("cauchy", "normal"),  # infinite
    ("normal", "cauchy"), ("gamma", "studentt"),  # no closed form
]
CE_PAIRS = [("normal", "normal"), ("gamma", "gamma"), ("uniform", "gumbel"), ("beta", "laplace"),
            ("laplace", "normal"), ("normal", "uniform"), ("normal", "studentt")]
ENTROPY = ["normal", "gamma", "beta", "studentt", "gumbel", "uniform", "weibull", "lognormal", "cauchy"]

BAD_ANY = [math.nan, math.inf, -math.inf, "1", "nan", True, np.bool_(False), 1j, complex(1, 0), None, b"1",
           Decimal("NaN"), [[1.0], [2.0, 3.0]], np.array([1.0, 2.0, 3.0]), object()]
BAD_POSITIVE = [0.0, -1.0, -1e-300, -0.0, -math.inf]


# ------------------------------------------------------------------ helpers
def _names_argument(exc: BaseException, names: set[str]) -> bool:
    """True when the message starts with one or more of ``names`` (``"low, high: ..."``)."""
    first = str(exc).split(":", 1)[0]
    return bool(first) and all(part.strip() in names for part in first.split(","))


def _status(kind: str, names: tuple[str, ...]) -> str | None:
    entry = _index.REGISTRY[kind].get(names if len(names) > 1 else names[0])
    return None if entry is None else entry[2]


@functools.lru_cache(maxsize=None)
def _reference(kind: str, names: tuple[str, ...]):
    """The derived expression as an mpmath function of the flat parameters."""
    import sympy

    import anadiv.symbolic as sym

    d = getattr(sym, f"derive_{kind}")(*(FAMILIES[n] for n in names))
    flat = [s for group in d.symbols for s in group]
    return sympy.lambdify(flat, d.expr, modules=mpmath_modules())


def _true_value(kind: str, names: tuple[str, ...], point: tuple[float, ...]) -> tuple[mpmath.mpf, mpmath.mpf]:
    """The derived expression at ``point`` and a bound on its evaluation noise.

    Evaluated at two precisions: where they disagree, the true value lies below the
    first one's rounding residue (P equal to Q leaves ``+-1e-56`` instead of 0), and
    the larger residue is returned as the noise.
    """
    from anadiv.numeric.refine import _precisions

    if _status(kind, names) == "infinite":
        return mpmath.inf, mpmath.mpf(0)
    f = _reference(kind, names)
    first = _precisions(list(point))[0] + 20
    values = []
    for dps in (first, 2 * first):
        with mpmath.workdps(dps):
            v = f(*[mpmath.mpf(x) for x in point])
            values.append(+v.real if isinstance(v, mpmath.mpc) else +mpmath.mpf(v))
    a, b = values
    if a == b or abs(a - b) <= abs(b) * mpmath.mpf(2) ** -60:
        return b, mpmath.mpf(0)
    return b, 2 * max(abs(a), abs(b))


def _assert_right(kind: str, value: float, truth: tuple[mpmath.mpf, mpmath.mpf], where: str,
                  rtol: float = 1e-9) -> None:
    ref, noise = truth
    assert_right(kind, value, ref, rtol=rtol, where=where, fmax=FMAX, floor=noise)


#: Known wrong results, excluded from the fuzz and pinned by strict xfails below (none at present).
KNOWN_BUGS: dict = {}


# ------------------------------------------------------------------ parameter strategies
def _valid_param(p) -> st.SearchStrategy[float]:
    lo, hi = p.typical
    if p.constraint == positive:
        return st.floats(math.log10(lo) - 8, math.log10(hi) + 8).map(lambda e: 10.0**e)
    m = max(abs(lo), abs(hi))
    wide = st.tuples(st.sampled_from([-1.0, 1.0]), st.floats(math.log10(m) - 8, math.log10(m) + 8)).map(
        lambda t: t[0] * 10.0 ** t[1])
    return st.one_of(st.floats(lo, hi), wide)


@st.composite
def _valid_params(draw, name: str) -> list[float]:
    cls = FAMILIES[name]
    vals = [draw(_valid_param(p)) for p in cls.parameters]
    if name == "uniform":
        vals[1] = vals[0] + 10.0 ** draw(st.floats(-8, 8))
    return vals


@st.composite
def _params(draw, name: str) -> list:
    """Mostly valid parameters; sometimes one or two slots replaced by an invalid value."""
    vals: list = draw(_valid_params(name))
    cls = FAMILIES[name]
    for i, p in enumerate(cls.parameters):
        # hypothesis favours 0, the simplest integer: the rarer branches take the largest
        if draw(st.integers(0, 5)) == 5:
            bad = BAD_ANY + (BAD_POSITIVE if p.constraint == positive else [])
            vals[i] = draw(st.sampled_from(bad))
        elif draw(st.integers(0, 9)) == 9:  # a batch of two valid values
            vals[i] = [vals[i], draw(_valid_param(p))] if name != "uniform" else vals[i]
    return vals


def _build(name: str, vals: list):
    cls = FAMILIES[name]
    try:
        dist = cls(*vals)
    except ValueError as exc:
        assert _names_argument(exc, {p.name for p in cls.parameters}), str(exc)
        return None
    for p, v in zip(cls.parameters, dist.param_values):
        assert np.all(np.isfinite(v)) and (p.constraint != positive or np.all(v > 0)), (name, vals)
    return dist


def _points(*dists) -> list[tuple[float, ...]]:
    """The flat parameter tuples of every batch element."""
    arrays = [np.asarray(v, dtype=float) for d in dists for v in d.param_values]
    arrays = np.broadcast_arrays(*arrays)
    return [tuple(float(a[idx]) for a in arrays) for idx in np.ndindex(arrays[0].shape)]


def _check_pair(kind: str, names: tuple[str, str], pv: list, qv: list) -> None:
    fn = getattr(anadiv, kind)
    p, q = _build(names[0], pv), _build(names[1], qv)
    if p is None or q is None:
        return
    try:
        with warnings.catch_warnings():  # overflow inside the generated code is refined, not an error
            warnings.simplefilter("ignore", RuntimeWarning)
            value = fn(p, q)
    except NoClosedFormError:
        assert _status(kind, names) is None, (names, "registry has an entry")
        return
    except ValueError as exc:
        # only a batch-shape clash is a valid reason left at this point
        assert _names_argument(exc, {"p", "q"}) and "broadcast" in str(exc), str(exc)
        with pytest.raises(ValueError):
            np.broadcast_shapes(p.batch_shape, q.batch_shape)
        return
    assert _status(kind, names) is not None
    flat = np.ravel(np.asarray(value, dtype=float))
    known = KNOWN_BUGS.get((kind, names), lambda pt: False)
    for v, point in zip(flat, _points(p, q), strict=True):
        if known(point):
            continue
        _assert_right(kind, float(v), _true_value(kind, names, point), f"{kind}{names} at {point}")


# ------------------------------------------------------------------ closed forms
@pytest.mark.slow
@pytest.mark.parametrize("names", KL_PAIRS, ids="-".join)
@settings(SETTINGS, max_examples=25)
@given(st.data())
def test_kl_is_right_or_names_the_argument(names, data):
    _check_pair("kl", names, data.draw(_params(names[0])), data.draw(_params(names[1])))


@pytest.mark.slow
@pytest.mark.parametrize("names", CE_PAIRS, ids="-".join)
@settings(SETTINGS, max_examples=25)
@given(st.data())
def test_cross_entropy_is_right_or_names_the_argument(names, data):
    _check_pair("cross_entropy", names, data.draw(_params(names[0])), data.draw(_params(names[1])))


@pytest.mark.parametrize("name", ENTROPY)
@settings(SETTINGS, max_examples=25)
@given(st.data())
def test_entropy_is_right_or_names_the_parameter(name, data):
    p = _build(name, data.draw(_params(name)))
    if p is None:
        return
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        value = anadiv.entropy(p)
    for v, point in zip(np.ravel(np.asarray(value, dtype=float)), _points(p), strict=True):
        _assert_right("entropy", float(v), _true_value("entropy", (name,), point), f"entropy {name} at {point}")


def test_kl_exponential_gamma_equal_is_zero():
    # found by this fuzz: the last term (gamma r - (1 + gamma) r + r) / r rounded to 1.1e-16 at
    # r = 1 while every other term was 0; the result check now sees the sum inside the product
    for r in (1.0, 3.0, 0.7, 2.5):
        assert anadiv.kl(anadiv.Exponential(r), anadiv.Gamma(1.0, r)) == 0.0


@SETTINGS
@given(st.one_of(st.sampled_from(BAD_ANY + [1.0, 0, [1.0], FAMILIES["normal"]]), st.text(max_size=4)),
       st.booleans())
def test_closed_forms_name_a_non_distribution_argument(bad, bad_is_p):
    good = anadiv.Normal(0.0, 1.0)
    for fn in (anadiv.kl, anadiv.cross_entropy):
        args = (bad, good) if bad_is_p else (good, bad)
        with pytest.raises(ValueError) as info:
            fn(*args)
        assert _names_argument(info.value, {"p" if bad_is_p else "q"}), str(info.value)
    with pytest.raises(ValueError) as info:
        anadiv.entropy(bad)
    assert _names_argument(info.value, {"p"}), str(info.value)


# ------------------------------------------------------------------ discrete
def _mp_log(x) -> mpmath.mpf:
    return mpmath.log(mpmath.mpf(x))


def _ref_kl(p, q) -> mpmath.mpf:
    total = mpmath.mpf(0)
    for a, b in zip(p, q):
        if a > 0:
            if b == 0:
                return mpmath.inf
            total += mpmath.mpf(a) * (_mp_log(a) - _mp_log(b))
    return total


def _ref_ce(p, q) -> mpmath.mpf:
    total = mpmath.mpf(0)
    for a, b in zip(p, q):
        if a > 0:
            if b == 0:
                return mpmath.inf
            total -= mpmath.mpf(a) * _mp_log(b)
    return total


def _ref_js(p, q) -> mpmath.mpf:
    m = [(mpmath.mpf(a) + mpmath.mpf(b)) / 2 for a, b in zip(p, q)]
    return (_ref_kl(p, m) + _ref_kl(q, m)) / 2


DISCRETE_REFS = {
    "kl": _ref_kl,
    "cross_entropy": _ref_ce,
    "js_divergence": _ref_js,
    "js_distance": _ref_js,  # the square root is taken after the change of base
    "entropy": lambda p, _: _ref_ce(p, p),
}


def _probabilities(k: int) -> st.SearchStrategy[list[float]]:
    weights = st.lists(st.one_of(st.just(0.0), st.floats(1e-300, 1.0), st.floats(0.0, 1.0)), min_size=k, max_size=k)
    return weights.filter(lambda w: sum(w) > 0).map(lambda w: [x / math.fsum(w) for x in w])


@st.composite
def _vector_pair(draw):
    k = draw(st.integers(1, 6))
    p, q = draw(_probabilities(k)), draw(_probabilities(k))
    # hypothesis favours 0, the simplest integer: make that "unspoiled"; one draw in 4 is spoiled
    spoil = draw(st.integers(0, 9)) if draw(st.integers(0, 3)) == 3 else None
    which = draw(st.sampled_from(["p", "q"]))
    bad = {
        0: lambda v: [-x if x else -0.25 for x in v],
        1: lambda v: [2 * x for x in v],
        2: lambda v: [math.nan] + v[1:],
        3: lambda v: [math.inf] + v[1:],
        4: lambda v: v + [0.0],
        5: lambda v: [],
        6: lambda v: "ab",
        7: lambda v: [[x] for x in v] + [[0.1, 0.2]],
        8: lambda v: [str(x) for x in v],
        9: lambda v: [complex(x, 1) for x in v],
    }.get(spoil)  # type: ignore[arg-type]
    if bad is not None:
        if which == "p":
            p = bad(p)
        else:
            q = bad(q)
    return p, q, spoil if bad is not None else None, which


GOOD_BASES = st.sampled_from([None, 2, 2.0, math.e, 10, 0.5, 1e-3, 1e300])
BAD_BASES = st.sampled_from([1, 1.0, 0, -2, math.nan, math.inf, "2", True, 1j, [2, 3]])
BASES = st.integers(0, 3).flatmap(lambda i: BAD_BASES if i == 3 else GOOD_BASES)
GOOD_AXES = st.sampled_from([-1, 0, np.int64(0), np.int32(-1)])
BAD_AXES = st.sampled_from([1, -2, 5, 1.5, "0", None, True, np.float64(0.0)])
AXES = st.integers(0, 3).flatmap(lambda i: BAD_AXES if i == 3 else GOOD_AXES)


def _base_ok(base) -> bool:
    return base is None or (not isinstance(base, (bool, str, complex, list)) and 0 < base < math.inf and base != 1)


@pytest.mark.parametrize("fn_name", sorted(DISCRETE_REFS))
@settings(SETTINGS, max_examples=80)
@given(_vector_pair(), BASES, AXES)
def test_discrete_is_right_or_names_the_argument(fn_name, vectors, base, axis):
    p, q, spoil, which = vectors
    # an appended zero spoils a pair only by its length: p alone is still a distribution
    spoiled = spoil is not None and not (spoil == 4 and fn_name == "entropy")
    fn = getattr(D, fn_name)
    args = (p,) if fn_name == "entropy" else (p, q)
    try:
        value = fn(*args, base=base, axis=axis)
    except ValueError as exc:
        assert _names_argument(exc, {"p", "q", "base", "axis", "atol"}), str(exc)
        culprit = str(exc).split(":", 1)[0]
        if culprit == "base":
            assert not _base_ok(base) or (fn_name == "js_distance" and base < 1), base
        elif culprit == "axis":
            assert axis not in (-1, 0) or isinstance(axis, (bool, str, float)), axis
        else:
            # a length mismatch is a fault of the pair: either name may be given
            assert spoiled and (culprit == which or fn_name == "entropy" or spoil == 4), (culprit, p, q)
        return
    assert not (spoiled and (which == "p" or fn_name != "entropy")), ("accepted", p, q, value)
    assert _base_ok(base), base
    assert axis in (-1, 0) and not isinstance(axis, (bool, str, float)), axis
    value = float(value)
    if fn_name == "entropy":
        q = p  # H(p) = H(p, p); q was not passed
    ref = DISCRETE_REFS[fn_name](p, q)
    log_base = mpmath.mpf(1) if base is None else _mp_log(base)
    ref = ref / log_base if fn_name != "js_distance" else mpmath.sqrt(ref / log_base)
    where = f"{fn_name}({p}, {q}, base={base})"
    assert not math.isnan(value), where
    if mpmath.isinf(ref):
        assert value == (math.inf if ref > 0 else -math.inf), (where, value)
        return
    # float64 sums of terms of size up to |a log b| carry an absolute rounding error
    scale = sum(abs(mpmath.mpf(a) * _mp_log(b)) for a, b in zip(p, q) if a > 0 and b > 0) + 1
    scale += sum(abs(mpmath.mpf(a) * _mp_log(a)) for a in p if a > 0)
    tol = 1e-9 * abs(ref) + 1e-14 * scale / abs(log_base)
    assert abs(mpmath.mpf(value) - ref) <= tol, (where, value, mpmath.nstr(ref, 17))
    if fn_name in ("kl", "js_divergence", "js_distance") and log_base > 0:
        assert value >= 0, (where, value)
    if fn_name == "js_divergence" and log_base > 0:
        assert value <= math.log(2) / float(log_base) * (1 + 1e-15), (where, value)


@settings(SETTINGS, max_examples=40)
@given(st.integers(1, 4), st.integers(1, 4), st.data(),
       st.sampled_from(["kl", "js_divergence", "js_distance", "cross_entropy"]))
def test_discrete_pairwise_matches_the_pairs(rows, bins, data, name):
    dists = np.array([data.draw(_probabilities(bins)) for _ in range(rows)])
    m = D.pairwise(name, dists)
    assert m.shape == (rows, rows)
    for i in range(rows):
        for j in range(rows):
            one = getattr(D, name)(dists[i], dists[j])
            assert m[i, j] == pytest.approx(float(one), rel=1e-12, abs=1e-15) or (math.isinf(one) and m[i, j] == one)


@settings(SETTINGS, max_examples=40)
@given(st.sampled_from(["foo", "", 3, None, "KL ", b"kl"]), st.sampled_from([None, [[1.0, 0.0]], [[0.5, "x"]]]))
def test_discrete_pairwise_names_a_bad_argument(divergence, q):
    dists = [[0.5, 0.5], [1.0, 0.0]]
    with pytest.raises(ValueError) as info:
        D.pairwise(divergence, dists, q=q)
    assert _names_argument(info.value, {"divergence", "q"}), str(info.value)


# ------------------------------------------------------------------ estimators and quadrature
ESTIMATOR_BAD = {
    "n": [0, 1, -5, 2.5, "100", None, math.nan, 10**13, True],
    "max_n": [0, -1, 1.5, "10", 10**13],
    "seed": ["a", -1, 1.5, math.nan, [1.5]],
    "method": ["foo", 3, "knn", "MC "],  # None is the default; "knn" is for samples only
    "rtol": [-1.0, math.nan, "x", math.inf, 1j],
    "atol": [-1.0, math.nan, "x", 1j],
    "chunk_size": [0, -3, 2.5, "8"],
    "batches": [0, 1, -2, 2.5, "4"],
}
QUAD_BAD = {
    "precision": ["quad", 3, None, "HIGH "],
    "digits": [5, 14, 2.5, "30", -30, None, 10**9],
    "rtol": [-1.0, math.nan, "x", math.inf, 0.0, 1j],
}


@SETTINGS
@given(st.sampled_from(["kl_estimate", "cross_entropy_estimate", "entropy_estimate"]), st.data())
def test_estimators_name_a_bad_argument(fn_name, data):
    arg = data.draw(st.sampled_from(sorted(ESTIMATOR_BAD)))
    bad = data.draw(st.sampled_from(ESTIMATOR_BAD[arg]))
    fn = getattr(anadiv, fn_name)
    dists = (anadiv.Normal(0.0, 1.0),) if fn_name == "entropy_estimate" else (anadiv.Normal(0.0, 1.0),) * 2
    kwargs = {"n": 256, "seed": 0, arg: bad}
    if arg == "max_n":
        kwargs["rtol"] = 0.1  # adaptive mode, where max_n is used
    with pytest.raises(ValueError) as info, warnings.catch_warnings():
        warnings.simplefilter("ignore")
        fn(*dists, **kwargs)
    assert _names_argument(info.value, {arg}), (arg, bad, str(info.value))


@SETTINGS
@given(st.sampled_from(["kl_quad", "cross_entropy_quad", "entropy_quad"]), st.data())
def test_quadrature_names_a_bad_argument(fn_name, data):
    arg = data.draw(st.sampled_from(sorted(QUAD_BAD)))
    bad = data.draw(st.sampled_from(QUAD_BAD[arg]))
    fn = getattr(anadiv, fn_name)
    dists = (anadiv.Normal(0.0, 1.0),) if fn_name == "entropy_quad" else (anadiv.Normal(0.0, 1.0),) * 2
    kwargs = {arg: bad}
    if arg == "digits":
        kwargs["precision"] = "high"
    with pytest.raises(ValueError) as info:
        fn(*dists, **kwargs)
    assert _names_argument(info.value, {arg}), (arg, bad, str(info.value))


@settings(SETTINGS, max_examples=30)
@given(st.sampled_from([0, 1, -0.5, 1.5, math.nan, "0.9", None, True, 1j]))
def test_estimate_ci_names_a_bad_level(level):
    est = anadiv.kl_estimate(anadiv.Normal(0.0, 1.0), anadiv.Normal(0.5, 1.0), n=256, seed=0)
    with pytest.raises(ValueError) as info:
        est.ci(level)
    assert _names_argument(info.value, {"level"}), str(info.value)


# StudentT against Normal: infinite for df <= 2, infinite integrand variance for df <= 4
CHEAP = [("normal", "normal"), ("gamma", "gamma"), ("laplace", "normal"), ("studentt", "normal")]


@st.composite
def _typical_pair(draw):
    names = draw(st.sampled_from(CHEAP))
    dists = []
    for name in names:
        vals = [draw(st.floats(*p.typical)) for p in FAMILIES[name].parameters]
        dists.append(FAMILIES[name](*vals))
    return names, dists


@pytest.mark.slow
@settings(SETTINGS, max_examples=40)
@given(_typical_pair(), st.sampled_from(["kl", "cross_entropy", "entropy"]), st.sampled_from(["mc", "qmc", "control"]),
       st.integers(0, 2**32 - 1))
def test_estimators_are_within_six_standard_errors(pair, kind, method, seed):
    _, (p, q) = pair
    args = (p,) if kind == "entropy" else (p, q)
    truth = float(getattr(anadiv, kind)(*args))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        try:
            est = getattr(anadiv, f"{kind}_estimate")(*args, n=2000, seed=seed, method=method)
        except ValueError as exc:
            # documented: control variates need P's variance, which StudentT(df <= 2) lacks
            assert _names_argument(exc, {"method"}) and method == "control", str(exc)
            assert isinstance(p, anadiv.StudentT) and float(p.df) <= 2, str(exc)
            return
    assert not math.isnan(est.value) and est.stderr >= 0
    if math.isinf(truth):
        # never a finite value with a confident interval where the divergence is infinite
        assert est.value == truth or not est.stderr_reliable, (est, truth)
        if est.value == truth:
            assert est.ci() == (truth, truth)
            return
    if not est.stderr_reliable:
        with pytest.raises(UnreliableIntervalError):
            est.ci()
        return
    assert abs(est.value - truth) <= 6 * est.stderr + 1e-12 * abs(truth), (est, truth)
    lo, hi = est.ci()
    assert lo <= est.value <= hi


@pytest.mark.slow
@settings(SETTINGS, max_examples=30)
@given(_typical_pair(), st.sampled_from(["kl", "cross_entropy", "entropy"]))
def test_quadrature_is_within_its_error(pair, kind):
    _, (p, q) = pair
    args = (p,) if kind == "entropy" else (p, q)
    truth = float(getattr(anadiv, kind)(*args))
    res = getattr(anadiv, f"{kind}_quad")(*args)
    value, error = float(res), float(res.error)
    if math.isinf(truth):
        assert value == truth, (res, truth)
        return
    assert abs(value - truth) <= min(max(error, 4e-16 * abs(truth)), 1e-8 * max(1.0, abs(truth))) + 1e-15, (
        res, truth)


# ------------------------------------------------------------------ command line
def _run_cli(argv: list[str]) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main(argv)
    return code, out.getvalue(), err.getvalue()


CLI_PAIRS = [("normal", "normal"), ("gamma", "gamma"), ("laplace", "normal"), ("beta", "laplace"),
             ("uniform", "gumbel"), ("normal", "uniform")]


@settings(SETTINGS, max_examples=60)
@given(st.sampled_from(CLI_PAIRS), st.data())
def test_the_command_line_prints_what_kl_returns(names, data):
    dists = []
    texts = []
    for name in names:
        vals = data.draw(_valid_params(name))
        cls = FAMILIES[name]
        try:
            dist = cls(*vals)
        except ValueError:
            assume(False)
        dists.append(dist)
        texts.append(f"{cls.__name__}({', '.join(repr(float(v)) for v in vals)})")
    code, out, err = _run_cli(["kl", *texts])
    assert code == 0 and err == "", (texts, err)
    assert out.strip() == repr(float(anadiv.kl(*dists))), (texts, out)
