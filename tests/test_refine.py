"""The result check of the generated closed forms (anadiv.numeric.refine) and its exact fallback."""

from __future__ import annotations

import importlib
import math

import mpmath
import numpy as np
import pytest

from anadiv.numeric import refine as _refine
from anadiv._generated import _index
from anadiv.families import FAMILIES
from anadiv.constraints import positive_definite


def _log_gap(mp, x):
    # log(x + 1e-12) - log(x): cancels in floats, exact in mpmath
    return mp.log(x + mp.mpf("1e-12")) - mp.log(x)


def test_good_values_pass_through_untouched():
    v = np.array([0.5, 1.0, 2.0])
    assert _refine.checked("kl", v, None, _log_gap, v) is v
    assert _refine.checked("kl", 0.25, None, _log_gap, 1.0) == 0.25
    s = np.array([0.5, 1.0, 2.0])
    assert _refine.checked("cross_entropy", -v, s, _log_gap, v) is not None


@pytest.mark.parametrize("bad", [math.nan, math.inf, -1e-17])
def test_doubtful_scalars_are_recomputed(bad):
    out = _refine.checked("kl", bad, None, _log_gap, 1.0)
    assert out == pytest.approx(1e-12 - 5e-25, rel=1e-15)


def test_cancelling_terms_are_recomputed():
    # value 1e-12 from terms of size 1: cancellation 1e12 > 256
    out = _refine.checked("cross_entropy", 1.1e-12, 2.0, _log_gap, 1.0)
    assert out == pytest.approx(1e-12 - 5e-25, rel=1e-15)
    # the same value with terms of its own size is trusted
    assert _refine.checked("cross_entropy", 1.1e-12, 1.1e-12, _log_gap, 1.0) == 1.1e-12


def test_array_elements_recomputed_in_place_and_others_kept():
    x = np.array([1.0, 2.0, 3.0, 4.0])
    v = np.array([0.1, np.nan, -1.0, 0.2])
    out = _refine.checked("kl", v.copy(), None, _log_gap, x)
    assert out[0] == 0.1 and out[3] == 0.2
    assert out[1] == pytest.approx(float(_log_gap(mpmath, mpmath.mpf(2))), rel=1e-15)
    assert out[2] == pytest.approx(float(_log_gap(mpmath, mpmath.mpf(3))), rel=1e-15)


def test_infinity_from_the_supports_is_not_recomputed():
    calls = []

    def exact(mp, x):
        calls.append(x)
        return mp.inf

    v = np.array([np.inf, 1.0])
    out = _refine.checked("kl", v, np.array([0.0, 1.0]), exact, np.array([1.0, 2.0]))
    assert calls == [] and out[0] == np.inf
    assert _refine.checked("kl", math.inf, 0.0, exact, 1.0) == math.inf and calls == []


def test_invalid_parameters_keep_the_float_result():
    v = np.array([np.nan, np.nan])
    out = _refine.checked("kl", v, None, _log_gap, np.array([np.nan, np.inf]))
    assert np.isnan(out).all()


def test_beyond_the_float_range_is_inf_and_a_kl_is_never_negative():
    assert _refine.exact_value(lambda mp, x: mp.exp(x), [1000.0], "kl") == math.inf
    assert _refine.exact_value(lambda mp, x: x - x - mp.mpf(2) ** -3000, [1.0], "kl") == 0.0
    out = _refine.checked("cross_entropy", np.float32(np.nan), None, lambda mp, x: mp.exp(x), np.float32(100.0))
    assert isinstance(out, np.float32) and out == np.inf


def test_precision_spans_every_parameter():
    # 1.7e-70 + 5.5e275 rounds to 5.5e275 below ~350 digits at any two precisions alike
    first = _refine._precisions([1.7e-70, 5.5e275])[0]
    assert first >= 34 + 345
    value = _refine.exact_value(lambda mp, a, b: mp.log((a + b) / b) * 1e70, [1.7e-70, 5.5e275], "cross_entropy")
    assert value == pytest.approx(1.7e-70 / 5.5e275 * 1e70, rel=1e-14)


@pytest.mark.parametrize("a,b,x", [(2.0, 3.0, 0.3), (0.5, 0.7, 0.99), (1e-3, 5.0, 0.2), (60.0, 40.0, 0.55),
                                   (300.0, 700.0, 0.31)])
def test_incomplete_beta_continued_fraction_matches_mpmath(a, b, x):
    with mpmath.workdps(40):
        got = _refine.MP.betainc_reg(mpmath.mpf(a), mpmath.mpf(b), 0, mpmath.mpf(x))
        want = mpmath.betainc(a, b, 0, x, regularized=True)
        assert abs(got - want) <= mpmath.mpf(10) ** -35


def _univariate_entries():
    for kind in ("kl", "cross_entropy", "entropy"):
        for key, (module, fname, status) in _index.REGISTRY[kind].items():
            names = key if isinstance(key, tuple) else (key,)
            if not any(p.constraint == positive_definite for n in names for p in FAMILIES[n].parameters):
                yield kind, module, fname, status


def test_every_scalar_and_diagonal_closed_form_has_an_exact_form():
    for kind, module, fname, status in _univariate_entries():
        mod = importlib.import_module(f"anadiv._generated.{module}")
        if status == "infinite":
            continue
        assert callable(getattr(mod, f"_{fname}_exact", None)), f"{fname} has no exact form"


def test_torch_tensors_get_the_same_recomputed_values():
    torch = pytest.importorskip("torch")
    from anadiv._generated.beta import kl_beta_beta
    from anadiv._generated.gamma import kl_gamma_gamma

    t = lambda *x: torch.tensor(x, dtype=torch.float64)  # noqa: E731
    got = kl_beta_beta(t(40.0, 2.0), t(1e16, 3.0), t(0.1, 2.5), t(2.0, 3.0))
    want = kl_beta_beta(np.array([40.0, 2.0]), np.array([1e16, 3.0]), np.array([0.1, 2.5]), np.array([2.0, 3.0]))
    np.testing.assert_array_equal(got.numpy(), want)
    a = t(132827350.99004583, 2.0).requires_grad_(True)
    v = kl_gamma_gamma(a, t(6288.546083846826, 1.0), t(8.763580199846443, 2.5), t(0.00015285221041374514, 1.0))
    assert float(v[0].detach()) == pytest.approx(10.992494684715538, rel=1e-12)
    v.sum().backward()
    assert torch.isfinite(a.grad).all()  # the typical element keeps its gradient; the recomputed one is constant


def test_jax_arrays_get_the_same_recomputed_values_under_jit_and_grad():
    jax = pytest.importorskip("jax")
    jax.config.update("jax_enable_x64", True)
    import jax.numpy as jnp

    from anadiv._generated.beta import kl_beta_beta
    from anadiv._generated.gamma import kl_gamma_gamma

    cols = ([40.0, 2.0], [1e16, 3.0], [0.1, 2.5], [2.0, 3.0])
    want = kl_beta_beta(*(np.array(c) for c in cols))
    for f in (kl_beta_beta, jax.jit(kl_beta_beta)):
        np.testing.assert_array_equal(np.asarray(f(*(jnp.asarray(c) for c in cols))), want)
    rest = (jnp.asarray([6288.546083846826, 1.0]), jnp.asarray([8.763580199846443, 2.5]),
            jnp.asarray([0.00015285221041374514, 1.0]))
    a = jnp.asarray([132827350.99004583, 2.0])
    assert float(kl_gamma_gamma(a, *rest)[0]) == pytest.approx(10.992494684715538, rel=1e-12)
    g = jax.grad(lambda x: jnp.sum(kl_gamma_gamma(x, *rest)))(a)
    assert bool(jnp.all(jnp.isfinite(g)))  # the typical element keeps its gradient; the recomputed one is constant
    assert float(g[1]) == pytest.approx(float(jax.grad(lambda x: kl_gamma_gamma(x, 1.0, 2.5, 1.0))(2.0)), rel=1e-12)


@pytest.mark.parametrize("x", [1e-300, 1e-40, 3e-5, 2e-3])
def test_small_argument_series_match_mpmath(x):
    with mpmath.workdps(60):
        v = mpmath.mpf(x)
        assert abs(_refine.MP.loggamma(v) - mpmath.loggamma(v)) <= mpmath.mpf(10) ** -55 * abs(mpmath.loggamma(v))
        for n in (0, 1):
            want = mpmath.polygamma(n, v)
            assert abs(_refine.MP.polygamma(n, v) - want) <= mpmath.mpf(10) ** -55 * abs(want)


@pytest.mark.parametrize("t", [1e-300, -1e-40, 3e-5])
def test_series_near_one_match_mpmath(t):
    with mpmath.workdps(60):
        x = 1 + mpmath.mpf(t)
        for got, want in ((_refine.MP.loggamma(x), mpmath.loggamma(x)), (_refine.MP.gamma(x), mpmath.gamma(x)),
                          (_refine.MP.polygamma(0, x), mpmath.psi(0, x)), (_refine.MP.polygamma(1, x), mpmath.psi(1, x))):
            assert abs(got - want) <= mpmath.mpf(10) ** -55 * max(abs(want), mpmath.mpf(10) ** -300)


def test_huge_arguments_do_not_hang():
    with mpmath.workdps(50):
        big = mpmath.mpf(10) ** 300  # exact: e^(2 big) - 2 e^big is no inf - inf
        assert _refine.MP.exp(2 * big) - 2 * _refine.MP.exp(big) > 0
        assert float(_refine.MP.exp(-big)) == 0.0 and float(_refine.MP.exp(big)) == math.inf
        astronomical = mpmath.mpf(10) ** (10**7)  # would not return from mpmath.exp
        assert _refine.MP.exp(-astronomical) == 0 and _refine.MP.exp(astronomical) == mpmath.inf
        assert _refine.MP.power(mpmath.mpf(2), astronomical) == mpmath.inf
        assert _refine.MP.ei(-mpmath.mpf(10) ** 30) == 0
        assert abs(_refine.MP.gammainc(2.5, 0, mpmath.mpf(10) ** 30) - mpmath.gamma(2.5)) < mpmath.mpf(10) ** -45


def _endless(mpmath, x):
    while True:
        x = x + 1


@pytest.mark.parametrize("in_thread", [False, True])
def test_an_endless_exact_form_is_cut_at_the_time_budget(monkeypatch, in_thread):
    from concurrent.futures import ThreadPoolExecutor

    monkeypatch.setattr(_refine, "TIME_BUDGET", 0.2)

    def run():
        stopped = _refine.exact_value(_endless, [1.0], "cross_entropy")
        # nothing is left pending for the thread: later work runs undisturbed
        fine = _refine.exact_value(lambda mp, x: mp.log(x), [2.0], "cross_entropy")
        total = sum(range(200_000))
        return stopped, fine, total

    if in_thread:
        with ThreadPoolExecutor(1) as pool:
            stopped, fine, total = pool.submit(run).result()
    else:
        stopped, fine, total = run()
    assert math.isnan(stopped)
    assert fine == math.log(2.0)
    assert total == 199_999 * 100_000
    # the float result is kept for an element whose exact form runs out of time
    assert _refine.checked("cross_entropy", np.array([np.nan, 1.0]), None, _endless, np.array([1.0, 2.0]))[1] == 1.0


def test_the_scale_counts_the_terms_of_an_exponent():
    import sympy

    from anadiv.codegen.refine import cancellation_scale

    a, b, k = sympy.symbols("a b k", positive=True)
    # exp(u) with u = lgamma(a + b) - lgamma(a + k + b) + ... : terms of size 1e9 that cancel to ~1e-4
    u = sympy.loggamma(a + b) - sympy.loggamma(a) - sympy.loggamma(a + k + b) + sympy.loggamma(a + k)
    scale = cancellation_scale(sympy.log(k) + sympy.exp(u))
    at = {a: 751793.2, b: 394851886.5, k: 6.1e-5}
    value = float((sympy.log(k) + sympy.exp(u)).evalf(50, subs=at))
    assert float(scale.evalf(30, subs=at)) > 1e6 * abs(value)  # the check sees the lost digits
    # a plain difference of parameters in the exponent is one rounding: not inflated
    plain = cancellation_scale(sympy.log(k) + sympy.exp(a - b))
    assert float(plain.evalf(30, subs={a: 2.0, b: 1.0, k: 3.0})) == pytest.approx(math.log(3.0) + math.e)


def test_log_of_one_plus_is_printed_as_log1p_and_symbolic_powers_are_guarded():
    import sympy
    from sympy.codegen.cfunctions import log1p

    from anadiv.codegen.helpers import with_log1p
    from anadiv.codegen.refine import exact_source

    x, y = sympy.symbols("x y", positive=True)
    assert with_log1p(sympy.log(1 - x) + sympy.log(x)) == log1p(-x) + sympy.log(x)
    src = exact_source(x**y + x**2, "f", ["x", "y"])
    assert "mpmath.power(x, y)" in src and "x**2" in src


def test_two_close_precisions_can_agree_on_a_wrong_zero():
    """Why the confirming precision doubles the first: terms of size 1/b^2 = 1e600 that cancel to 1
    round alike at 354 and at 378 digits (both give exactly 0), while 708 digits resolve them. A rule
    adding a fixed number of digits (tried on 2026-11-28) returned 0 here and for a Kumaraswamy
    cross-entropy at b = 1e-300."""
    value = _refine.exact_value(lambda mp, b: (1 / b + 1) ** 2 - 1 / b**2 - 2 / b, [1e-300], "cross_entropy")
    assert value == 1.0


def test_exact_evaluations_in_parallel_chunks_do_not_share_a_precision():
    """mpmath's precision is process-wide: Dask chunks recomputed at once each ran at the other's
    precision, and one of three chunks of a Kumaraswamy cross-entropy at b = 1e-300 came out 0.0."""
    da = pytest.importorskip("dask.array")
    from anadiv._generated import kumaraswamy

    point = (0.6790245576178698, 1e-300, -0.9333431595558972, 0.4882221228429113)
    f = kumaraswamy.cross_entropy_kumaraswamy_lognormal
    want = float(f(*point))
    assert want == pytest.approx(2.029287127566629, rel=1e-15)
    with np.errstate(all="ignore"):
        got = np.asarray(f(*[da.from_array(np.full(4, v), chunks=1) for v in point]).compute())
    np.testing.assert_array_equal(got, np.full(4, want))
