"""The gamma-function helpers run natively on torch and JAX, and every KL pair works under transforms.

* Every generated univariate pair whose closed form calls a gamma-function
  helper (``lgamma_diff``, ``lgamma_bregman``, ``gamma_bregman``, ...) gives
  numpy's values (the reference) to 1e-13 relative on torch float64 tensors
  and JAX float64 arrays, at a typical point and at the hard points: nearly
  equal shapes (1e-6 apart) at 50 and 1e6, tiny shapes (1e-3), huge ones
  (1e12) and shapes far apart.
* No host round-trip: with numpy's helpers and the host functions patched to
  fail, the torch pairs that use only gamma-function helpers still run.
* ``torch.func.grad``/``vmap`` (and ``jacrev`` once) on every generated
  univariate KL pair, values against numpy and gradients against central
  differences of the numpy function at one typical point per pair; on JAX
  every pair is traced under ``jit(vmap(value_and_grad))`` (the tracing is
  where a transform fails), and a Gamma KL is compiled and run
  (tests/test_backends.py compares every pair's JAX values, and a subset's
  gradients, with numpy).
"""

from __future__ import annotations

import inspect
import re
from typing import Any

import numpy as np
import pytest

from anadiv import api
from anadiv.constraints import positive
from anadiv.families import FAMILIES
from test_backends import _tied_indices, finite_point, is_matrix, numeric_gradient

GAMMA_HELPERS = ("lgamma_diff", "lgamma_diff_d", "digamma_diff", "digamma_diff_d", "lgamma_bregman",
                 "lgamma_bregman_d", "gamma_bregman", "beta_bregman", "lgamma_mpsi")
HOST_FUNCTIONS = ("expi", "exp1", "lambertw", "betainc", "gammainc", "gammaincc")
MATRIX_FAMILIES = {"multivariate_normal", "diagonal_normal", "dirichlet", "categorical"}


def _source(p: str, q: str) -> str:
    from anadiv._generated import _index
    import importlib

    module, function, _ = _index.KL[(p, q)]
    return inspect.getsource(getattr(importlib.import_module(f"anadiv._generated.{module}"), function))


def _kl_pairs() -> list[tuple[str, str]]:
    return [(e.p, e.q) for e in api.closed_form_pairs("kl")
            if e.source == "generated" and e.status != "infinite" and not {e.p, e.q} & MATRIX_FAMILIES]


def _uses(source: str, names: tuple[str, ...], prefix: str) -> bool:
    return any(re.search(rf"{prefix}{n}\(", source) for n in names)


KL_PAIRS = _kl_pairs()
GAMMA_PAIRS = [pq for pq in KL_PAIRS if _uses(_source(*pq), GAMMA_HELPERS, r"_stable\.")]
# the pairs with no host-only special function: nothing of theirs may leave the device
HOST_HELPERS = ("betainc_reg", "lowergamma_reg")
NATIVE_PAIRS = [pq for pq in GAMMA_PAIRS
                if not _uses(_source(*pq), HOST_FUNCTIONS, r"xp\.")
                and not _uses(_source(*pq), HOST_HELPERS, r"_stable\.")]
# (P's positive parameters, Q's): nearly equal at 50 and 1e6, tiny, huge, far apart
HARD = ((50.0, 50.0 * (1 + 1e-6)), (1e6, 1e6 * (1 + 1e-6)), (1e-3, 1e-3 * (1 + 1e-6)), (1e-3, 2e-3),
        (1e12, 1e12 * (1 + 1e-6)), (0.5, 30.0), (30.0, 0.5))


def _families(p: str, q: str) -> tuple[type, type]:
    return FAMILIES[p], FAMILIES[q]


def hard_points(p: str, q: str) -> list[np.ndarray]:
    """The typical point and the hard points (every positive parameter of P set to the first
    value of a HARD row, Q's to the second) that the families accept, as one batch."""
    fams = _families(p, q)
    typical = [float(v) for v in finite_point("kl", fams)]
    rows = [typical]
    for vp, vq in HARD:
        row, i = [], 0
        for f, v in zip(fams, (vp, vq)):
            for par in f.parameters:
                row.append(v if par.constraint == positive else typical[i])
                i += 1
        try:
            f0, f1 = fams
            f0(*row[:len(f0.parameters)])
            f1(*row[len(f0.parameters):])
        except ValueError:
            continue
        rows.append(row)
    # one batch size for every pair: JAX compiles each operation once per shape
    rows += [typical] * (len(HARD) + 1 - len(rows))
    return [np.array(col) for col in zip(*rows)]


def _expected(p: str, q: str, params: list[np.ndarray]) -> np.ndarray:
    with np.errstate(all="ignore"):
        return np.asarray(api.kl_function(*_families(p, q))(*params))


# ====================================================================== values
@pytest.fixture
def native_on_cpu(monkeypatch: pytest.MonkeyPatch) -> None:
    """The torch gamma helpers natively on CPU tensors too, as they run on a GPU (not numpy's code)."""
    pytest.importorskip("torch")
    from anadiv.numeric.backends import torch_backend

    monkeypatch.setattr(torch_backend._TorchStable, "numpy_on_cpu", False)


@pytest.mark.parametrize("library", ["torch", "jax"])
def test_gamma_pairs_equal_numpy_at_hard_points(library: str, native_on_cpu: None) -> None:
    if library == "torch":
        torch = pytest.importorskip("torch")
        convert, back = (lambda x: torch.tensor(x, dtype=torch.float64)), (lambda y: y.numpy())
    else:
        jax = pytest.importorskip("jax")
        jax.config.update("jax_enable_x64", True)
        import jax.numpy as jnp

        convert, back = jnp.asarray, np.asarray
    assert len(GAMMA_PAIRS) > 40, "the registry lost its gamma-function pairs"
    for p, q in GAMMA_PAIRS:
        params = hard_points(p, q)
        expected = _expected(p, q, params)
        got = back(api.kl_function(*_families(p, q))(*map(convert, params)))
        np.testing.assert_allclose(got, expected, rtol=1e-13, atol=0, err_msg=f"{library} KL({p} || {q})")


def test_torch_gamma_pairs_never_leave_the_device(monkeypatch: pytest.MonkeyPatch, native_on_cpu: None) -> None:
    torch = pytest.importorskip("torch")
    from anadiv.numeric.backends import generic, torch_backend

    def fail(*args: Any) -> Any:
        raise AssertionError("a gamma-function helper went to the host")

    monkeypatch.setattr(generic, "_numpy_stable", fail)
    monkeypatch.setattr(torch_backend, "_numpy_stable", fail)
    monkeypatch.setattr(torch_backend, "_to_host", fail)
    families = {"gamma", "beta", "weibull", "inversegamma", "chi2", "studentt"}
    pairs = [pq for pq in NATIVE_PAIRS if set(pq) & families]
    assert {("gamma", "gamma"), ("beta", "beta"), ("weibull", "weibull"), ("inversegamma", "inversegamma"),
            ("chi2", "chi2"), ("cauchy", "studentt"), ("studentt", "normal")} <= set(pairs)
    for p, q in pairs:
        params = finite_point("kl", _families(p, q))
        out = api.kl_function(*_families(p, q))(*(torch.tensor(x, dtype=torch.float64) for x in params))
        np.testing.assert_allclose(out.numpy(), _expected(p, q, params), rtol=1e-13, err_msg=f"KL({p} || {q})")


def test_torch_gamma_helpers_on_eager_cpu_tensors_run_numpy_on_their_memory(monkeypatch: pytest.MonkeyPatch) -> None:
    # eager CPU tensors: numpy's helper (each element's branch only), with torch's gradient; under
    # torch.func the native code (shapes that do not depend on values)
    torch = pytest.importorskip("torch")
    from anadiv.numeric.backends import torch_backend

    calls: list[str] = []
    host = torch_backend._to_host

    def counted(torch_: Any, np_fn: Any, tensors: Any) -> Any:
        calls.append(np_fn.__name__)
        return host(torch_, np_fn, tensors)

    monkeypatch.setattr(torch_backend, "_to_host", counted)
    a = torch.tensor([2.0, 50.0, 1e6], dtype=torch.float64, requires_grad=True)
    b = torch.tensor([3.0, 50.0 * (1 + 1e-6), 1e6 * (1 - 1e-9)], dtype=torch.float64)
    f = api.kl_function("gamma", "gamma")
    value = f(a, 1.0, b, 2.0)
    assert calls == ["gamma_bregman"]
    expected = _expected("gamma", "gamma", [a.detach().numpy(), np.ones(3), b.numpy(), np.full(3, 2.0)])
    np.testing.assert_allclose(value.detach().numpy(), expected, rtol=1e-15)
    (grad,) = torch.autograd.grad(value.sum(), a)
    # d KL / d a1 = (a1 - a2) psi'(a1) + (b2 - b1) / b1, rates b1 = 1, b2 = 2
    import scipy.special  # torch's own trigamma is 5e-10 off

    want = (a.detach().numpy() - b.numpy()) * scipy.special.polygamma(1, a.detach().numpy()) + 1.0
    np.testing.assert_allclose(grad.numpy(), want, rtol=1e-12)
    calls.clear()
    batched = torch.func.vmap(lambda x: f(x, 1.0, b, 2.0))(a.detach().expand(2, 3))
    assert calls == []
    np.testing.assert_allclose(batched.numpy(), np.broadcast_to(expected, (2, 3)), rtol=1e-13)


# ================================================================ torch.func
@pytest.mark.parametrize("p, q", KL_PAIRS, ids=[f"{p}-{q}" for p, q in KL_PAIRS])
def test_torch_func_grad_and_vmap_on_every_kl_pair(p: str, q: str) -> None:
    torch = pytest.importorskip("torch")
    fams = _families(p, q)
    func = api.kl_function(*fams)
    params = finite_point("kl", fams)
    # two copies of the point in a batch: vmap over grad_and_value
    batch = [torch.tensor(np.stack([x, x]), dtype=torch.float64) for x in params]
    argnums = tuple(range(len(params)))
    grads, values = torch.func.vmap(torch.func.grad_and_value(lambda *a: func(*a), argnums=argnums))(*batch)
    np.testing.assert_allclose(values.numpy(), np.broadcast_to(_expected(p, q, params), (2,)), rtol=1e-11, atol=1e-13)
    tied = _tied_indices("kl", fams)
    for i, g in enumerate(grads):
        if is_matrix(fams, i) or i in tied:  # a trial count: no derivative to compare
            continue
        np.testing.assert_allclose(g.numpy(), np.broadcast_to(numeric_gradient(func, params, i), g.shape),
                                   rtol=1e-5, atol=1e-7, err_msg=f"d/d{i} KL({p} || {q})")


def test_torch_func_jacrev_gamma_kl() -> None:
    torch = pytest.importorskip("torch")
    func = api.kl_function(FAMILIES["gamma"], FAMILIES["gamma"])
    a1 = torch.tensor([0.7, 3.0, 50.0], dtype=torch.float64)
    jac = torch.func.jacrev(func, argnums=0)(a1, 1.5, 2.0, 0.5)
    params = [a1.numpy(), np.full(3, 1.5), np.full(3, 2.0), np.full(3, 0.5)]
    np.testing.assert_allclose(jac.numpy(), np.diag(numeric_gradient(func, params, 0)), rtol=1e-6, atol=1e-9)


def test_torch_result_check_under_vmap_and_grad() -> None:
    """An element the float path hands to the exact check (NaN from beta_bregman's cancellation
    bound) is recomputed under vmap and grad too (a constant there, as outside transforms),
    while the helper itself keeps its analytic derivative at that point."""
    torch = pytest.importorskip("torch")
    import scipy.special

    from anadiv.numeric import stable
    from anadiv.numeric.backends.torch_backend import namespace

    func = api.kl_function(FAMILIES["beta"], FAMILIES["beta"])
    # the first pair's three Bregman terms cancel by ~2000: NaN, then the exact value
    params = [np.array([1.0, 2.0]), np.array([1000.0, 3.0]), np.array([1.0, 2.5]), np.array([1000.001, 3.5])]
    assert np.isnan(stable.beta_bregman(*params)[0])
    expected = _expected("beta", "beta", params)
    t = [torch.tensor(x) for x in params]
    np.testing.assert_allclose(torch.func.vmap(func)(*t).numpy(), expected, rtol=1e-13)
    grads = torch.func.vmap(torch.func.grad(func, argnums=3))(*t).numpy()
    a1, b1, a2, b2 = params
    psi = scipy.special.digamma
    analytic = psi(b2) - psi(a2 + b2) - psi(b1) + psi(a1 + b1)
    np.testing.assert_allclose(grads[1], analytic[1], rtol=1e-8)
    assert grads[0] == 0.0  # the recomputed element is a constant
    helper = namespace()._stable.beta_bregman
    g = torch.func.vmap(torch.func.grad(helper, argnums=3))(*t).numpy()
    np.testing.assert_allclose(g, analytic, rtol=1e-8)


# ========================================================================= JAX
@pytest.fixture(scope="module")
def jax() -> Any:
    jax = pytest.importorskip("jax")
    jax.config.update("jax_enable_x64", True)
    return jax


def test_jax_every_kl_pair_traces_under_jit_vmap_grad(jax: Any) -> None:
    import jax.numpy as jnp

    for p, q in KL_PAIRS:
        func = api.kl_function(*_families(p, q))
        n = sum(len(f.parameters) for f in _families(p, q))
        f = jax.jit(jax.vmap(jax.value_and_grad(lambda *a: func(*a), argnums=tuple(range(n)))))
        f.trace(*[jnp.ones(2)] * n)  # a transform that cannot handle a helper fails here


def test_jax_jit_runs_compiled(jax: Any) -> None:
    import jax.numpy as jnp

    func = api.kl_function(FAMILIES["gamma"], FAMILIES["gamma"])
    params = [np.array([0.7, 50.0, 1e6]), np.array([1.5, 2.0, 1.0]), np.array([2.0, 50.00005, 1e6 * (1 + 1e-6)]),
              np.array([0.5, 2.0, 1.0])]
    f = jax.jit(jax.vmap(jax.value_and_grad(lambda *a: func(*a), argnums=(0, 1, 2, 3))))
    values, grads = f(*map(jnp.asarray, params))
    np.testing.assert_allclose(np.asarray(values), _expected("gamma", "gamma", params), rtol=1e-13)
    for i, g in enumerate(grads):
        np.testing.assert_allclose(np.asarray(g), numeric_gradient(func, params, i), rtol=1e-5, atol=1e-9)


def test_jax_float32_without_x64_takes_numpy_helpers_not_the_exact_fallback(monkeypatch: pytest.MonkeyPatch) -> None:
    # JAX's default (no float64): the gamma helpers run numpy's code through pure_callback, which
    # computes in double; in float32 the native KL helpers' cancellation bound sent about 15 % of
    # typical Gamma pairs to mpmath, one element at a time (1e4 pairs: 1.3 s, 1.3e-6 off)
    jax = pytest.importorskip("jax")
    import jax.numpy as jnp

    from anadiv.numeric import refine

    def fail(*args: Any) -> Any:
        raise AssertionError("an element went to the exact fallback")

    before = jax.config.jax_enable_x64
    jax.config.update("jax_enable_x64", False)
    monkeypatch.setattr(refine, "exact_value", fail)
    try:
        rng = np.random.default_rng(4)
        params = [rng.random(2000, dtype=np.float32) * 5 + 0.5 for _ in range(4)]
        for pair in (("gamma", "gamma"), ("beta", "beta")):
            func = api.kl_function(*_families(*pair))
            for call in (func, jax.jit(func)):
                got = np.asarray(call(*map(jnp.asarray, params)), dtype=np.float64)
                want = _expected(*pair, [p.astype(np.float64) for p in params])
                # the float64 value rounded once (half an ulp), the inputs exact in both
                np.testing.assert_allclose(got, want, rtol=2.0**-24, err_msg=str(pair))
    finally:
        jax.config.update("jax_enable_x64", before)


def test_generic_gamma_docstring_example() -> None:
    pytest.importorskip("torch")
    import doctest

    from anadiv.numeric.backends import generic_gamma

    result = doctest.testmod(generic_gamma, optionflags=doctest.ELLIPSIS, verbose=False)
    assert result.failed == 0 and result.attempted > 0
