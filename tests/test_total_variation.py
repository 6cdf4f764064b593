"""Closed-form total variation distances (anadiv.total_variation_pairs) against 50-digit mpmath truth.

The truth is :math:`\\int (p - q)_+`, computed independently of the module's
formulas: the crossing points of the two densities are found in mpmath (roots
of the log-density difference, piece by piece where it is piecewise linear),
the real line is split at them (and at the densities' peaks and kinks), and
each piece, on which p - q has one sign, contributes ``max(0, mp.quad(p - q))``.
Discrete pairs sum ``p - q`` over the counts where it is positive, through the
cdf in mpmath.

Points per pair: typical, nearly equal (relative parameter changes 1e-3 ...
1e-12), extreme scales (1e-200, 1e200) and far apart. Few points, chosen to
cover the branches of each function, keep the file well under its 10 s budget.
"""

from __future__ import annotations

import doctest
import math
from typing import Any, Callable

import mpmath as mp
import numpy as np
import pytest

import anadiv
from anadiv import total_variation_pairs as tvm
from anadiv.total_variation_pairs import CLOSED_FORMS

DPS = 50
RTOL = 1e-12


# ------------------------------------------------------------ mpmath truth
def _pieces_truth(pdf_p: Callable, pdf_q: Callable, lo: Any, hi: Any, splits: list[Any], unit: Any) -> Any:
    """int (p - q)_+ = int (q - p)_+, over the pieces between sorted split points where the integrand is > 0.

    The difference has one sign on each piece (the crossings are among the split points), read at an
    inner point. Of the two equal integrals, the one over finite pieces only is taken where there is
    one (quad is much slower on infinite ones). quad integrates over x / unit, so that its nodes sit
    on the densities' scale (1e-200 or 1e200).
    """
    pts = sorted({mp.mpf(s) for s in splits if lo < s < hi})
    edges = [e / unit for e in (lo, *pts, hi)]
    sides: dict[bool, list[tuple[Any, Any]]] = {True: [], False: []}
    for a, b in zip(edges[:-1], edges[1:]):
        if a == b:
            continue
        inner = b - 1 if a == mp.ninf else a + 1 if b == mp.inf else (a + b) / 2
        p, q = pdf_p(unit * inner), pdf_q(unit * inner)
        if p != q:
            sides[bool(p > q)].append((a, b))
    side = not any(mp.isinf(a) or mp.isinf(b) for a, b in sides[False])
    sign = 1 if side else -1
    total = mp.mpf(0)
    for a, b in sides[side]:
        total += max(mp.quad(lambda u: sign * unit * (pdf_p(unit * u) - pdf_q(unit * u)), [a, b]), 0)
    return total


def _quadratic_roots(a: Any, b: Any, c: Any) -> list[Any]:
    """Real roots of a x^2 + b x + c (a may be 0)."""
    if a == 0:
        return [] if b == 0 else [-c / b]
    disc = b * b - 4 * a * c
    if disc < 0:
        return []
    s = mp.sqrt(disc)
    return [(-b - s) / (2 * a), (-b + s) / (2 * a)]


def _peaks(mu: Any, s: Any) -> list[Any]:
    """Split points at a peak, so quad does not miss a narrow density inside a wide piece."""
    return [mu]


def truth_normal(mu1: float, s1: float, mu2: float, s2: float) -> Any:
    mu1, s1, mu2, s2 = map(mp.mpf, (mu1, s1, mu2, s2))
    # log p - log q = 0: (x - mu2)^2/(2 s2^2) - (x - mu1)^2/(2 s1^2) + log(s2/s1) = 0
    a = 1 / (2 * s2**2) - 1 / (2 * s1**2)
    b = -mu2 / s2**2 + mu1 / s1**2
    c = mu2**2 / (2 * s2**2) - mu1**2 / (2 * s1**2) + mp.log(s2 / s1)
    roots = _quadratic_roots(a, b, c)
    p = lambda x: mp.npdf(x, mu1, s1)  # noqa: E731
    q = lambda x: mp.npdf(x, mu2, s2)  # noqa: E731
    return _pieces_truth(p, q, mp.ninf, mp.inf, roots + _peaks(mu1, s1) + _peaks(mu2, s2), min(s1, s2))


def truth_lognormal(mu1: float, s1: float, mu2: float, s2: float) -> Any:
    """With the log-normal densities of x (not those of log x), so the invariance under the log map is
    checked, not assumed; quad runs over y = log x (density p(e^y) e^y), as the crossings can lie
    at x = e^(+-1e5) and beyond, out of reach of a quadrature in x."""
    mu1, s1, mu2, s2 = map(mp.mpf, (mu1, s1, mu2, s2))
    a = 1 / (2 * s2**2) - 1 / (2 * s1**2)
    b = -mu2 / s2**2 + mu1 / s1**2
    c = mu2**2 / (2 * s2**2) - mu1**2 / (2 * s1**2) + mp.log(s2 / s1)
    roots = _quadratic_roots(a, b, c)  # in log x

    def pdf_in_log(mu: Any, s: Any) -> Callable:
        def pdf_x(x: Any) -> Any:
            return mp.exp(-((mp.log(x) - mu) ** 2) / (2 * s**2)) / (x * s * mp.sqrt(2 * mp.pi))

        return lambda y: pdf_x(mp.exp(y)) * mp.exp(y)

    splits = roots + _peaks(mu1, s1) + _peaks(mu2, s2)
    return _pieces_truth(pdf_in_log(mu1, s1), pdf_in_log(mu2, s2), mp.ninf, mp.inf, splits, min(s1, s2))


def truth_halfnormal(s1: float, s2: float) -> Any:
    s1, s2 = mp.mpf(s1), mp.mpf(s2)
    roots = [] if s1 == s2 else [mp.sqrt(mp.log(s2 / s1) / (1 / (2 * s1**2) - 1 / (2 * s2**2)))]

    def pdf(s: Any) -> Callable:
        return lambda x: 2 * mp.npdf(x, 0, s)

    splits = roots + [k * s for s in (s1, s2) for k in (1,)]
    return _pieces_truth(pdf(s1), pdf(s2), mp.mpf(0), mp.inf, splits, min(s1, s2))


def truth_uniform(l1: float, h1: float, l2: float, h2: float) -> Any:
    """Exact: p - q is constant between consecutive interval ends."""
    l1, h1, l2, h2 = map(mp.mpf, (l1, h1, l2, h2))
    ends = sorted({l1, h1, l2, h2})
    total = mp.mpf(0)
    for a, b in zip(ends[:-1], ends[1:]):
        x = (a + b) / 2
        p = 1 / (h1 - l1) if l1 <= x <= h1 else 0
        q = 1 / (h2 - l2) if l2 <= x <= h2 else 0
        total += max(p - q, 0) * (b - a)
    return total


def truth_exponential(r1: float, r2: float) -> Any:
    r1, r2 = mp.mpf(r1), mp.mpf(r2)
    roots = [] if r1 == r2 else [mp.log(r1 / r2) / (r1 - r2)]
    p = lambda x: r1 * mp.exp(-r1 * x)  # noqa: E731
    q = lambda x: r2 * mp.exp(-r2 * x)  # noqa: E731
    splits = roots + [k / r for r in (r1, r2) for k in (1,)]
    return _pieces_truth(p, q, mp.mpf(0), mp.inf, splits, 1 / max(r1, r2))


def truth_laplace(m1: float, b1: float, m2: float, b2: float) -> Any:
    m1, b1, m2, b2 = map(mp.mpf, (m1, b1, m2, b2))

    def g(x: Any) -> Any:  # log p - log q, piecewise linear with kinks at m1, m2
        return -abs(x - m1) / b1 + abs(x - m2) / b2 + mp.log(b2 / b1)

    kinks = sorted({m1, m2})
    step = max(b1, b2)
    # the three (or two) linear segments: ends and an inner point
    segments = [(None, kinks[0], kinks[0] - step)]
    if len(kinks) == 2:
        segments.append((kinks[0], kinks[1], (kinks[0] + kinks[1]) / 2))
    segments.append((kinks[-1], None, kinks[-1] + step))
    roots = []
    for a, b, inner in segments:
        # exact slope from the signs (0 exactly for equal scales outside the kinks)
        slope = -mp.sign(inner - m1) / b1 + mp.sign(inner - m2) / b2
        if slope != 0:
            root = inner - g(inner) / slope
            if (a is None or root >= a) and (b is None or root <= b):
                roots.append(root)
    p = lambda x: mp.exp(-abs(x - m1) / b1) / (2 * b1)  # noqa: E731
    q = lambda x: mp.exp(-abs(x - m2) / b2) / (2 * b2)  # noqa: E731
    return _pieces_truth(p, q, mp.ninf, mp.inf, roots + _peaks(m1, b1) + _peaks(m2, b2), min(b1, b2))


def truth_cauchy(x1: float, g1: float, x2: float, g2: float) -> Any:
    x1, g1, x2, g2 = map(mp.mpf, (x1, g1, x2, g2))
    # p = q  <=>  g1 ((x - x2)^2 + g2^2) = g2 ((x - x1)^2 + g1^2)
    a = g1 - g2
    b = -2 * g1 * x2 + 2 * g2 * x1
    c = g1 * (x2**2 + g2**2) - g2 * (x1**2 + g1**2)
    roots = _quadratic_roots(a, b, c)
    p = lambda x: g1 / (mp.pi * ((x - x1) ** 2 + g1**2))  # noqa: E731
    q = lambda x: g2 / (mp.pi * ((x - x2) ** 2 + g2**2))  # noqa: E731
    return _pieces_truth(p, q, mp.ninf, mp.inf, roots + _peaks(x1, g1) + _peaks(x2, g2), min(g1, g2))


def truth_bernoulli(p1: float, p2: float) -> Any:
    with mp.workprec(2200):  # 1 - p exactly, for p down to 1e-300
        p1, p2 = mp.mpf(p1), mp.mpf(p2)
        return (max(p1 - p2, 0) + max((1 - p1) - (1 - p2), 0)) / 2 + (max(p2 - p1, 0) + max((1 - p2) - (1 - p1), 0)) / 2


def truth_geometric(p1: float, p2: float) -> Any:
    """sum over counts k with p_k > q_k, through the cdf 1 - (1 - p)^(k + 1); directly for few counts."""
    p1, p2 = mp.mpf(p1), mp.mpf(p2)
    if p1 == p2:
        return mp.mpf(0)
    if p1 < p2:
        p1, p2 = p2, p1  # TV is symmetric: P is the one with the larger success probability
    k_star = mp.log(p1 / p2) / (mp.log1p(-p2) - mp.log1p(-p1))
    n = mp.floor(k_star) + 1
    via_cdf = mp.exp(n * mp.log1p(-p2)) - mp.exp(n * mp.log1p(-p1))  # F_P(n - 1) - F_Q(n - 1)
    if n <= 200:
        direct = mp.fsum(max(p1 * (1 - p1) ** k - p2 * (1 - p2) ** k, 0) for k in range(int(n) + 50))
        assert abs(direct - via_cdf) <= mp.mpf(10) ** (-30) * via_cdf
    return via_cdf


def truth_poisson(r1: float, r2: float) -> Any:
    """sum of p_k - q_k over k <= k*: term by term for few counts, else through the regularized upper gamma."""
    if r1 == r2:
        return mp.mpf(0)
    r1, r2 = min(r1, r2), max(r1, r2)
    # e^{-r1} - e^{-r2} for tiny rates needs the digits 1 - r would lose at DPS
    with mp.workdps(DPS + max(0, -int(math.floor(math.log10(r1))))):
        r1, r2 = mp.mpf(r1), mp.mpf(r2)
        k_star = int(mp.floor((r2 - r1) / mp.log(r2 / r1)))
        if k_star <= 300:
            return mp.fsum(mp.exp(k * mp.log(r1) - r1 - mp.loggamma(k + 1))
                           - mp.exp(k * mp.log(r2) - r2 - mp.loggamma(k + 1)) for k in range(k_star + 1))
        return mp.gammainc(k_star + 1, r1, mp.inf, regularized=True) - mp.gammainc(
            k_star + 1, r2, mp.inf, regularized=True)


TRUTH: dict[str, Callable[..., Any]] = {
    "normal": truth_normal,
    "lognormal": truth_lognormal,
    "halfnormal": truth_halfnormal,
    "uniform": truth_uniform,
    "exponential": truth_exponential,
    "laplace": truth_laplace,
    "cauchy": truth_cauchy,
    "bernoulli": truth_bernoulli,
    "geometric": truth_geometric,
    "poisson": truth_poisson,
}


def rel_error(name: str, params: tuple[float, ...]) -> float:
    got = CLOSED_FORMS[name, name](*params)
    assert isinstance(got, float) and 0.0 <= got <= 1.0, (name, params, got)
    with mp.workdps(DPS):
        want = TRUTH[name](*params)
        if want == 0:
            return 0.0 if got == 0.0 else math.inf
        return float(abs(mp.mpf(got) - want) / want)


# ------------------------------------------------------------ points per pair
# typical, nearly equal (relative changes 1e-3 ... 1e-12), extreme scales, far apart; each family's
# points also reach the branches of its function (equal scales, one or two crossings, nested, ...)
POINTS: dict[str, list[tuple[float, ...]]] = {
    "normal": [
        (0.0, 1.0, 1.0, 2.0),
        (0.3, 1.0, 0.3 + 1e-12, 1.0),  # equal scales, nearly equal means
        (0.3, 1.0, 0.3, 1.0 + 1e-3),  # scale change only
        (7e-201, 1e-200, 5e-201, 3e-200),
        (0.7e200, 1e200, 0.7e200 + 1e188, 1e200 * (1 + 1e-6)),
        (0.0, 1.0, 30.0, 1.5),  # far apart
    ],
    "lognormal": [(0.0, 1.0, 1.0, 2.0), (0.5, 0.8, 0.5 + 1e-7, 0.8 * (1 + 1e-3))],
    "halfnormal": [(1.0, 2.0), (1.0, 1.0 + 1e-12), (1e-200, 1.001e-200), (1e200, 2e200)],
    "uniform": [
        (0.0, 1.0, 0.5, 2.0),
        (0.0, 1.0, 1e-9, 1.0 + 1e-9),  # shifted: widths differ by a rounding
        (0.0, 1.0, -1e-12, 1.0),
        (0.0, 2.0, 0.5, 1.0),  # nested
        (0.0, 1.0, 2.0, 3.0),  # disjoint
        (-1e200, 1e200, -3e200, 2e200),
        (1e-200, 2e-200, 1.5e-200, 3e-200),
    ],
    "exponential": [(1.0, 2.0), (3.0, 3.0 * (1 + 1e-12)), (1e-200, 1.001e-200), (1e200, 1e199), (1.0, 1e3)],
    "laplace": [
        (0.0, 1.0, 1.0, 2.0),  # right crossing where both densities decay the same way
        (0.0, 1.0, 0.1, 2.0),  # ... where they decay opposite ways
        (0.0, 1.0, 1e-9, 1.0),  # equal scales
        (0.3, 1.0, 0.3 + 1e-12, 1.0 + 1e-10),
        (0.0, 1e200, 3e200, 1.5e200),
        (0.0, 1.0, 50.0, 1.5),
    ],
    "cauchy": [(0.0, 1.0, 1.0, 2.0), (0.3, 1.0, 0.3 + 1e-12, 1.0 + 1e-12), (0.0, 1e-200, 0.0, 1.001e-200),
               (1e200, 1e200, -1e200, 3e200), (0.0, 1.0, 1e6, 1.0)],
    "bernoulli": [(0.25, 0.75), (0.5, 0.5 + 1e-12), (1e-200, 2e-200), (1 - 1e-12, 1 - 2e-12)],
    "geometric": [(0.5, 0.25), (0.3, 0.3 * (1 + 1e-12)), (1e-200, 1.001e-200), (0.999999, 0.1), (1e-8, 0.9)],
    "poisson": [(1.0, 2.0), (1e-200, 1.001e-200), (50.0, 50.0 * (1 + 1e-12)), (1e4, 1.001e4), (1e6, 1.5e6),
                (3.0, 300.0)],
}
FAMILY_NAMES = sorted(POINTS)


def test_closed_forms_cover_the_registry_names() -> None:
    assert set(CLOSED_FORMS) == {(n, n) for n in FAMILY_NAMES}
    for (name, _), fn in CLOSED_FORMS.items():
        assert name in anadiv.FAMILIES
        assert fn.__name__ == f"tv_{name}_{name}"
        params = [p.name for p in anadiv.FAMILIES[name].parameters]
        expected = [p + s for s in ("1", "2") for p in params]
        assert list(fn.__code__.co_varnames[: fn.__code__.co_argcount]) == expected


@pytest.mark.parametrize("name,params", [(n, p) for n in FAMILY_NAMES for p in POINTS[n]],
                         ids=[f"{n}-{i}" for n in FAMILY_NAMES for i in range(len(POINTS[n]))])
def test_against_mpmath(name: str, params: tuple[float, ...]) -> None:
    assert rel_error(name, params) <= RTOL


def _random_batch(name: str, rng: np.random.Generator, n: int = 64) -> tuple[np.ndarray, ...]:
    """P's parameters from the family's typical range; Q's from P's, moved by relative steps 1e-12 ... 10."""
    cls = anadiv.FAMILIES[name]
    p = [np.array([prm.draw(rng) for _ in range(n)]) for prm in cls.parameters]
    step = 10.0 ** rng.uniform(-12, 1, size=(len(p), n)) * rng.choice([-1.0, 1.0], size=(len(p), n))
    q = []
    for prm, v, s in zip(cls.parameters, p, step):
        lo, hi = prm.typical
        if name in ("bernoulli", "geometric"):
            q.append(np.clip(v * (1 + np.clip(s, -0.9, 0.9)), 1e-6, 1 - 1e-6))
        elif name == "uniform":
            q.append(v + s * (hi - lo))
        elif lo > 0 or prm.constraint == anadiv.constraints.positive:
            q.append(v * np.exp(s))
        else:
            q.append(v + s * (hi - lo))
    if name == "uniform":
        q[1] = np.maximum(q[1], q[0] + 0.1)
    return (*p, *q)


@pytest.mark.parametrize("name", FAMILY_NAMES)
def test_symmetric_and_in_unit_interval(name: str) -> None:
    rng = np.random.default_rng(11)
    args = _random_batch(name, rng)
    half = len(args) // 2
    fn = CLOSED_FORMS[name, name]
    forward = fn(*args)
    backward = fn(*args[half:], *args[:half])
    np.testing.assert_array_equal(forward, backward)
    assert np.all((forward >= 0.0) & (forward <= 1.0))
    assert np.all(forward > 0.0)  # every pair differs


_KL_FAMILY = {name: getattr(anadiv, cls.__name__) for name, cls in anadiv.FAMILIES.items()}


@pytest.mark.parametrize("name", [n for n in FAMILY_NAMES if n != "uniform"])
def test_pinsker(name: str) -> None:
    """TV <= sqrt(KL/2) on the same pairs, KL from anadiv.kl (up to a rounding of each side)."""
    rng = np.random.default_rng(12)
    args = _random_batch(name, rng)
    half = len(args) // 2
    cls = _KL_FAMILY[name]
    kl = np.asarray(anadiv.kl(cls(*args[:half]), cls(*args[half:])))
    tv = CLOSED_FORMS[name, name](*args)
    assert np.all(tv <= np.sqrt(kl / 2) * (1 + 1e-12))


def test_pinsker_uniform_nested() -> None:
    """KL between uniforms is finite only for P's interval inside Q's."""
    low1, high1 = np.array([0.2, 0.0, 0.3]), np.array([0.8, 1.0 - 1e-9, 0.30001])
    low2, high2 = np.array([0.0, 0.0, 0.0]), np.array([1.0, 1.0, 1.0])
    kl = np.asarray(anadiv.kl(anadiv.Uniform(low1, high1), anadiv.Uniform(low2, high2)))
    tv = CLOSED_FORMS["uniform", "uniform"](low1, high1, low2, high2)
    assert np.all(np.isfinite(kl)) and np.all(tv <= np.sqrt(kl / 2) * (1 + 1e-12)), (tv, kl)


@pytest.mark.parametrize("name", FAMILY_NAMES)
def test_broadcasting(name: str) -> None:
    """P's first parameter as a column, Q's last as a row: the result has the broadcast shape, entry by entry."""
    rng = np.random.default_rng(13)
    args = [a[:4] for a in _random_batch(name, rng, 4)]
    args[0] = args[0][:3, None]
    fn = CLOSED_FORMS[name, name]
    out = fn(*args)
    assert out.shape == (3, 4) and out.dtype == np.float64
    for i in range(3):
        for j in range(4):
            one = [float(np.broadcast_to(a, (3, 4))[i, j]) for a in args]
            assert out[i, j] == fn(*one)
    assert isinstance(fn(*(float(a.flat[0]) for a in args)), float)


@pytest.mark.parametrize("name,args,match", [
    ("normal", (0.0, 1.0, 0.0, -1.0), "sigma2: must be > 0"),
    ("normal", (float("nan"), 1.0, 0.0, 1.0), "mu1: must be finite"),
    ("normal", ("0", 1.0, 0.0, 1.0), "mu1: must be a real number"),
    ("normal", (0.0, True, 0.0, 1.0), "sigma1: must be a real number, got a bool"),
    ("normal", (np.zeros(3), 1.0, np.zeros(2), 1.0), r"mu1, mu2: shapes \(3,\) and \(2,\) do not broadcast"),
    ("lognormal", (0.0, 1.0, 0.0, float("inf")), "sigma2: must be finite"),
    ("halfnormal", (0.0, 1.0), "scale1: must be > 0"),
    ("uniform", (0.0, 1.0, 1.0, 1.0), "low2, high2: need low2 < high2"),
    ("uniform", (0.0, float("inf"), 0.0, 1.0), "high1: must be finite"),
    ("exponential", (1.0, float("nan")), "rate2: must be > 0, got NaN"),
    ("laplace", (0.0, 1.0, 0.0, 0.0), "scale2: must be > 0"),
    ("cauchy", (0.0, -2.0, 0.0, 1.0), "scale1: must be > 0"),
    ("bernoulli", (1.5, 0.5), "p1"),
    ("geometric", (0.5, 0.0), "p2"),
    ("poisson", (-1.0, 1.0), "rate1: must be > 0"),
])
def test_bad_input_names_the_argument(name: str, args: tuple[Any, ...], match: str) -> None:
    with pytest.raises(ValueError, match=match):
        CLOSED_FORMS[name, name](*args)


def test_equal_distributions_give_zero() -> None:
    for name in FAMILY_NAMES:
        args = POINTS[name][0]
        half = len(args) // 2
        assert CLOSED_FORMS[name, name](*args[:half], *args[:half]) == 0.0


def test_doctests() -> None:
    failures, tried = doctest.testmod(tvm, optionflags=doctest.ELLIPSIS, verbose=False)
    assert tried >= len(CLOSED_FORMS) and failures == 0


def test_numeric_path_does_not_import_sympy() -> None:
    """The module imports numpy, scipy.special (on first use) and anadiv's sympy-free modules only."""
    import ast

    tree = ast.parse(open(tvm.__file__, encoding="utf-8").read())
    imported = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            imported |= {a.name for a in node.names}
        elif isinstance(node, ast.ImportFrom):
            imported.add("." * node.level + (node.module or ""))
    # the families and the registry: the rules register themselves (sympy-free modules both)
    assert imported == {"__future__", "math", "typing", "numpy", "scipy.special", ".families._base",
                        ".numeric.validation", ".numeric.stable", ".families", ".registry"}, imported
    import subprocess
    import sys

    code = ("import sys, anadiv; from anadiv import Normal; anadiv.total_variation(Normal(0.0, 1.0), "
            "Normal(1.0, 2.0)); assert 'sympy' not in sys.modules")
    subprocess.run([sys.executable, "-c", code], check=True)
