"""Accuracy of the torch and JAX paths, float32 included (CPU).

The elementary stable helpers of :class:`anadiv.numeric.backends.generic.GenericStable`
take one of two forms on torch: eager tensors run each accurate branch on the
compressed subset of elements that needs it, traced code (``torch.compile``,
``torch.func``) and JAX run it everywhere through ``where``. Both must give
numpy's values:

* the helpers on a dense grid of ratios (``1e-12 .. 1e3`` and ``1 +- 1e-15 .. 1 +- 0.3``,
  ``1 +- 1e-8``): float64 within 1e-14 of numpy's helpers (the two libraries'
  ``log1p`` differ by an ulp on a few percent of arguments, and next to a series'
  band ``t - log1p(t)`` multiplies that by up to 40: both are within 5e-15 of
  the exact value there); torch float32 equal to numpy's float64 value rounded to
  float32 (the helpers with a series compute in float64; ``log_ratio`` within 2 ulps),
  JAX float32 (no float64 without x64) within :data:`JAX_FLOAT32_HELPERS` of it;
* every generated univariate KL at typical and nearly equal parameters: torch
  float64 in both forms within 1e-12 of numpy (tests/test_full_range.py holds numpy
  to mpmath there, and torch and JAX float64 to numpy over the whole range);
* the same KLs in float32 on torch (every pair) and JAX (:data:`JAX_PAIRS`) within :data:`FLOAT32_BOUND` of the exact
  value at the float32 parameters (numpy's float64 value there, held to 1e-12 of
  mpmath by tests/test_full_range.py), and nearly equal Normals (relative changes
  1e-3 .. 1e-6 in mu and sigma) within 1e-6 of mpmath.
"""

from __future__ import annotations

import warnings

import mpmath
import numpy as np
import pytest

from test_full_range import CASES, _function, _near, _tie, _valid, _with_tie

from anadiv.errors import NoClosedFormError
from anadiv.families import FAMILIES
from anadiv.numeric import stable
from anadiv.numeric.backends import generic

torch = pytest.importorskip("torch")
jax = pytest.importorskip("jax")
jnp = jax.numpy


@pytest.fixture
def x64():
    """JAX with float64 for the test, the process's setting back afterwards (other files test JAX's default)."""
    before = jax.config.jax_enable_x64
    jax.config.update("jax_enable_x64", True)
    yield
    jax.config.update("jax_enable_x64", before)

#: float32 KL results against the exact value at the float32 parameters, typical values
#: (docs/accuracy.md): the float32 rounding of the parameters' differences inside the
#: formulas (a shape's digamma difference, a location difference over a scale) is
#: amplified by the conditioning of the pair; 1e-5 is numpy's float32 bound too.
FLOAT32_BOUND = 1e-5
#: JAX float32 helpers against numpy's float64 value rounded to float32 (16 ulps): the
#: rounding of ``t = (a/b)**k - 1`` in float32, amplified by 1/(1 + t) next to the ratio branch.
JAX_FLOAT32_HELPERS = 1e-6
#: torch's float32 ``log_ratio`` (no series: computed in float32) within 2 ulps.
TORCH_FLOAT32_LOG_RATIO = 1.2e-7

KL_PAIRS = [names for kind, names in CASES if kind == "kl"]


def _ratios() -> np.ndarray:
    return np.concatenate([
        np.geomspace(1e-12, 1e3, 3001),
        1.0 + np.linspace(-1e-8, 1e-8, 101),
        1.0 + np.geomspace(1e-15, 0.3, 400),
        1.0 - np.geomspace(1e-15, 0.3, 400),
    ])


R = _ratios()
B = np.full_like(R, 1.7)
A = R * B
HELPERS = {
    "powm1mlog k=2": (lambda m, a, b: m.powm1mlog(a, b, 2), (A, B)),
    "powm1mlog k=-2": (lambda m, a, b: m.powm1mlog(a, b, -2), (A, B)),
    "powm1mlog k=1": (lambda m, a, b: m.powm1mlog(a, b, 1), (A, B)),
    "powm1mlog k=-1": (lambda m, a, b: m.powm1mlog(a, b, -1), (A, B)),
    "xm1mlog": (lambda m, a, b: m.xm1mlog(a, b), (A, B)),
    "xm1mlog_d": (lambda m, a, b, d: m.xm1mlog_d(a, b, d), (A, B, A - B)),
    "log_ratio": (lambda m, a, b: m.log_ratio(a, b), (A, B)),
    "log1pmx": (lambda m, t: m.log1pmx(t), (R - 1.0,)),
    "expm1mx": (lambda m, u: m.expm1mx(u), (np.log(R),)),
}


def _torch_stable():
    from anadiv.numeric.backends.torch_backend import namespace

    return namespace()._stable


def _jax_stable():
    from anadiv.numeric.backends.jax_backend import namespace

    return namespace()._stable


@pytest.fixture(params=["subset", "where"])
def torch_form(request, monkeypatch):
    """Eager torch with every branch on its compressed subset, or every branch through ``where``."""
    monkeypatch.setattr(generic, "_SUBSET_SHARE", 1.0 if request.param == "subset" else -1.0)
    return request.param


def _rel(got: np.ndarray, want: np.ndarray) -> float:
    got, want = np.asarray(got, dtype=np.float64), np.asarray(want, dtype=np.float64)
    assert np.array_equal(np.isnan(got), np.isnan(want))
    ok = np.isfinite(want) & (want != 0)
    assert np.array_equal(got[~ok & ~np.isnan(want)], want[~ok & ~np.isnan(want)])
    return float(np.max(np.abs(got[ok] - want[ok]) / np.abs(want[ok])))


@pytest.mark.parametrize("name", list(HELPERS))
def test_helpers_torch_equal_numpy(name, torch_form):
    fn, args = HELPERS[name]
    want = fn(stable, *args)
    got = fn(_torch_stable(), *(torch.as_tensor(a) for a in args))
    assert got.dtype == torch.float64
    assert _rel(got.numpy(), want) <= 1e-14, name
    # float32: the float64 value at the float32 arguments, rounded once
    args32 = [np.asarray(a, dtype=np.float32) for a in args]
    if name == "xm1mlog_d":
        args32[2] = np.float32(args32[0].astype(np.float64) - args32[1])  # the caller's difference, in float32
    want32 = np.asarray(fn(stable, *(a.astype(np.float64) for a in args32))).astype(np.float32)
    got32 = fn(_torch_stable(), *(torch.as_tensor(a) for a in args32))
    assert got32.dtype == torch.float32
    assert _rel(got32.numpy(), want32) <= (TORCH_FLOAT32_LOG_RATIO if name == "log_ratio" else 0.0), name


@pytest.mark.parametrize("name", list(HELPERS))
def test_helpers_jax_equal_numpy(name, x64):
    fn, args = HELPERS[name]
    want = fn(stable, *args)
    got = fn(_jax_stable(), *(jnp.asarray(a) for a in args))
    assert got.dtype == jnp.float64
    assert _rel(np.asarray(got), want) <= 1e-14, name
    args32 = [np.asarray(a, dtype=np.float32) for a in args]
    if name == "xm1mlog_d":
        args32[2] = np.float32(args32[0].astype(np.float64) - args32[1])
    want32 = np.asarray(fn(stable, *(a.astype(np.float64) for a in args32))).astype(np.float32)
    got32 = fn(_jax_stable(), *(jnp.asarray(a) for a in args32))
    assert got32.dtype == jnp.float32
    assert _rel(np.asarray(got32), want32) <= JAX_FLOAT32_HELPERS, name


def test_helpers_where_form_under_vmap_and_grad():
    """Under torch.func the branches take the where form (no data-dependent shapes) with numpy's values,
    and a far branch's clamped input keeps the gradient finite at a ratio of 1e-17."""
    a, b = torch.as_tensor(A), torch.as_tensor(B)
    st = _torch_stable()
    got = torch.func.vmap(lambda x, y: st.powm1mlog(x, y, 2))(a, b)
    assert _rel(got.numpy(), stable.powm1mlog(A, B, 2)) <= 1e-14
    # d/da [(a/b)^2 - 1 - 2 log(a/b)] = 2a/b^2 - 2/a
    x = torch.tensor([1e-17, 1.0 + 1e-9, 3.0], dtype=torch.float64, requires_grad=True)
    st.powm1mlog(x, torch.tensor(1.0, dtype=torch.float64), 2).sum().backward()
    want = 2 * x.detach() - 2 / x.detach()
    torch.testing.assert_close(x.grad, want, rtol=1e-7, atol=1e-12)


# ------------------------------------------------------------------ every univariate KL


def _points(names: tuple[str, ...], seed: int, tie: list[tuple[int, int]]) -> list[tuple[float, ...]]:
    """Typical parameters (the families' ``random_params``) and, for a same-family pair, nearly equal ones."""
    rng = np.random.default_rng(seed)
    fams = [FAMILIES[n] for n in names]
    pts = []

    def add(*groups):
        groups = _with_tie(list(groups), tie)
        if all(_valid(f, g) for f, g in zip(fams, groups)):
            pts.append(tuple(float(x) for g in groups for x in g))

    for _ in range(6):
        add(*[tuple(f.random_params(rng)) for f in fams])
    if fams[0] is fams[1]:
        for eps in (1e-3, 1e-6, 1e-9):
            p = tuple(fams[0].random_params(rng))
            add(p, _near(fams[0], rng, p, eps))
    # one batch shape for every pair: JAX compiles each operation once per shape, not per pair
    return [pts[i % len(pts)] for i in range(N_POINTS)]


N_POINTS = 12


def _numpy_values(names, cols):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        return np.asarray(_function("kl", names)(*(np.asarray(c, dtype=np.float64) for c in cols)), dtype=np.float64)


def _close(got, want, rtol, where):
    got = np.asarray(got, dtype=np.float64)
    finite = np.isfinite(want)
    np.testing.assert_array_equal(np.isfinite(got), finite, err_msg=where)
    np.testing.assert_allclose(got[finite], want[finite], rtol=rtol, atol=0, err_msg=where)


def _case(names: tuple[str, ...]) -> tuple[list[list[float]], np.ndarray]:
    """The pair's points as columns, and numpy's float64 values there."""
    seed = sum(map(ord, "".join(names)))
    cols = [list(c) for c in zip(*_points(names, seed, []))]
    try:
        return cols, _numpy_values(names, cols)
    except NoClosedFormError:  # a pair with a closed form only for an equal parameter (a trial count)
        cols = [list(c) for c in zip(*_points(names, seed, _tie("kl", names)))]
        return cols, _numpy_values(names, cols)


def _float32_case(names, cols):
    """float32 parameters that survive the rounding (none turned into 0 or inf), and the exact
    value there (numpy's float64 value at the float32 parameters) where it fits float32."""
    cols32 = [np.array(c, dtype=np.float32) for c in cols]
    keep = np.all([np.isfinite(c32) & ((c32 != 0) == (np.array(c) != 0)) for c32, c in zip(cols32, cols)], axis=0)
    want32 = _numpy_values(names, [c.astype(np.float64) for c in cols32])
    keep &= np.isfinite(want32) & (np.abs(want32) < float(np.finfo(np.float32).max)) & (np.abs(want32) > 1e-30)
    return cols32, keep, want32


@pytest.mark.parametrize("names", KL_PAIRS, ids=["-".join(n) for n in KL_PAIRS])
def test_kl_torch_equal_numpy(names, monkeypatch):
    cols, want = _case(names)
    fn = _function("kl", names)
    for share in (1.0, -1.0):  # the subset form, then the where form
        monkeypatch.setattr(generic, "_SUBSET_SHARE", share)
        got = fn(*(torch.tensor(c, dtype=torch.float64) for c in cols))
        _close(got.numpy(), want, 1e-12, f"torch float64 {names} share={share}")
    cols32, keep, want32 = _float32_case(names, cols)
    # what a float32 caller holds (a few pairs still answer in float64)
    got32 = fn(*(torch.from_numpy(c) for c in cols32)).numpy().astype(np.float32)
    _close(got32[keep], want32[keep], FLOAT32_BOUND, f"torch float32 {names}")


#: JAX compiles each operation on first use (about a second per pair on the CPU): every fourth
#: pair, and Normal's. Its float64 values over the whole range: tests/test_full_range.py.
JAX_PAIRS = sorted(set(KL_PAIRS[::4]) | {("normal", "normal"), ("gamma", "gamma"), ("beta", "beta")})


@pytest.mark.parametrize("names", JAX_PAIRS, ids=["-".join(n) for n in JAX_PAIRS])
def test_kl_jax_float32(names, x64):
    cols, _ = _case(names)
    cols32, keep, want32 = _float32_case(names, cols)
    got32 = np.asarray(_function("kl", names)(*(jnp.asarray(c) for c in cols32))).astype(np.float32)
    _close(got32[keep], want32[keep], FLOAT32_BOUND, f"jax float32 {names}")


def _normal_kl_exact(m1, s1, m2, s2) -> float:
    with mpmath.workdps(40):
        m1, s1, m2, s2 = (mpmath.mpf(float(v)) for v in (m1, s1, m2, s2))
        return float(mpmath.log(s2 / s1) + (s1**2 + (m1 - m2) ** 2) / (2 * s2**2) - mpmath.mpf(1) / 2)


def test_nearly_equal_normals_float32(x64):
    """The issue's target: nearly equal Normals in float32 within 1e-6 of the exact KL (torch and JAX)."""
    rng = np.random.default_rng(15)
    mu = rng.uniform(-3, 3, 64).astype(np.float32)
    sigma = rng.uniform(0.2, 4, 64).astype(np.float32)
    rows = []
    for eps in (1e-3, 1e-4, 1e-5, 1e-6):
        sign = rng.choice([-1.0, 1.0], size=(2, 64))
        mu2 = (mu.astype(np.float64) + sign[0] * eps * sigma).astype(np.float32)
        sigma2 = (sigma.astype(np.float64) * (1 + sign[1] * eps)).astype(np.float32)
        rows.append((mu, sigma, mu2, sigma2))
    cols = [np.concatenate(c) for c in zip(*rows)]
    exact = np.array([_normal_kl_exact(*p) for p in zip(*cols)])
    fn = _function("kl", ("normal", "normal"))
    for label, arrays in (("torch", [torch.from_numpy(c) for c in cols]), ("jax", [jnp.asarray(c) for c in cols])):
        got = np.asarray(fn(*arrays), dtype=np.float64)
        assert np.max(np.abs(got - exact) / exact) <= 1e-6, label
