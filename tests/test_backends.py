"""Generated closed forms on PyTorch, JAX and Dask arrays.

For every registered closed form (finite or conditional) the backends must
give numpy's values (float64), return their own array type, and (torch,
JAX) differentiate: gradients are compared with central finite differences
of the numpy function and, for the Gaussian KLs, with the analytic
derivatives. Dask results must be lazy (nothing runs before ``compute``) and
equal numpy's. Each library is optional: its tests are skipped when it is
not installed. Budget: ~10 s with all three installed.
"""

from __future__ import annotations

import subprocess
import sys
from typing import Any

import numpy as np
import pytest

from anadiv import api
from anadiv.families import FAMILIES, MultivariateNormal, Normal
from anadiv.constraints import positive_definite

KINDS = ("kl", "cross_entropy", "entropy")


def registered() -> list[tuple[str, tuple[type, ...]]]:
    out = []
    for kind in KINDS:
        for entry in api.closed_form_pairs(kind):
            if entry.status == "infinite" or entry.source != "generated":
                continue  # anadiv's hand-written (builtin) rules take numpy-backed distributions, not arrays
            names = (entry.p,) if entry.q is None else (entry.p, entry.q)
            out.append((kind, tuple(FAMILIES[n] for n in names)))
    return out


CASES = registered()
# The backends compute the same expressions with their own special functions
# (torch's lgamma and digamma, JAX's gammaln: relative errors up to ~3e-12 near
# their zeros, against scipy's ~1e-16); the elementary and stable parts agree
# to the last bit (test_*_stable_* below).
VALUE_RTOL, VALUE_ATOL = 1e-11, 1e-13
# JAX runs op by op outside jit (slow for the long expressions): its gradients
# are checked on pairs that together use every helper and special function.
JAX_GRAD_CASES = {
    ("kl", ("normal", "normal")), ("kl", ("multivariate_normal", "multivariate_normal")),
    ("kl", ("diagonal_normal", "diagonal_normal")), ("kl", ("gamma", "gamma")), ("kl", ("beta", "beta")),
    ("kl", ("beta", "laplace")), ("kl", ("weibull", "weibull")), ("kl", ("gumbel", "gumbel")),
    ("kl", ("gumbel", "laplace")), ("kl", ("gamma", "laplace")), ("kl", ("uniform", "uniform")),
    ("kl", ("exponential", "exponential")), ("entropy", ("studentt",)), ("entropy", ("beta",)),
    ("cross_entropy", ("gamma", "lognormal")),
}
# jit compiles every expression anew (seconds each): a representative subset.
JIT_CASES = {("kl", ("normal", "normal")), ("kl", ("multivariate_normal", "multivariate_normal")),
             ("kl", ("gamma", "gamma")), ("kl", ("beta", "laplace")), ("entropy", ("studentt",))}
IDS = [f"{k}-{'-'.join(f.name for f in fams)}" for k, fams in CASES]
# Piecewise branches evaluate every branch (xp.where); codegen guards the
# parameters inside each branch (BranchGuard) so the branch not taken cannot
# feed NaN into a gradient. Every registered closed form is checked here.
def grad_cases() -> list[Any]:
    return [pytest.param(kind, fams, id=case_id) for (kind, fams), case_id in zip(CASES, IDS)]


def getter(kind: str) -> Any:
    return {"kl": api.kl_function, "cross_entropy": api.cross_entropy_function, "entropy": api.entropy_function}[kind]


def finite_point(kind: str, fams: tuple[type, ...], seed: int = 0) -> list[np.ndarray]:
    """A parameter point (P's then Q's, float64 arrays) where the closed form is finite."""
    rng = np.random.default_rng(seed)
    func = getter(kind)(*fams)
    for attempt in range(200):
        draws = [f.random_params(rng) for f in fams]
        if attempt % 2 and fams[0].name in INSIDE_UNIT_INTERVAL:
            # P's typical range may never fit inside Q's support (Uniform on [-3, 3] vs [0, inf))
            draws[0] = INSIDE_UNIT_INTERVAL[fams[0].name](rng)
        if attempt % 2 and len(fams) == 2 and fams[1].name == "uniform":
            # a Uniform Q around P's bounded support (VonMises on [-pi, pi])
            lo, hi = (float(v) for v in fams[0]._np_support(*[np.asarray(v) for v in draws[0]]))
            if np.isfinite(lo) and np.isfinite(hi):
                draws[1] = (lo - rng.uniform(0.0, 1.0), hi + rng.uniform(0.0, 1.0))
        if len(fams) == 2 and fams[0] is fams[1] and kind == "kl":
            # a tied closed form holds where Q's parameter is P's (a Binomial pair's trial count)
            from anadiv.codegen.stabilize import tied_symbols
            from anadiv.symbolic import derive_kl

            d = derive_kl(*fams)
            ps, qs = [x.name for x in d.symbols[0]], [x.name for x in d.symbols[1]]
            q = list(draws[1])
            for b, a in tied_symbols(d.expr).items():
                q[qs.index(b.name)] = draws[0][ps.index(a.name)]
            draws[1] = tuple(q)
        params = [np.asarray(v, dtype=float) for d in draws for v in d]
        try:
            for f, chunk in zip(fams, _split(fams, params)):
                f(*chunk)
        except ValueError:
            continue
        with np.errstate(all="ignore"):
            value = np.asarray(func(*params))
        if np.all(np.isfinite(value)):
            return params
    pytest.skip(f"no finite point found for {kind} {fams}")


# Parameter draws of P supported inside (0, 1), for pairs whose Q lives on [0, inf) or [0, 1].
INSIDE_UNIT_INTERVAL = {"uniform": lambda rng: tuple(np.sort(rng.uniform(0.05, 0.95, size=2)))}


def _split(fams: tuple[type, ...], flat: list[Any]) -> list[list[Any]]:
    out, i = [], 0
    for f in fams:
        n = len(f.parameters)
        out.append(flat[i:i + n])
        i += n
    return out


def is_matrix(fams: tuple[type, ...], index: int) -> bool:
    """Whether flat parameter ``index`` is a covariance matrix or an integer (not perturbed elementwise)."""
    constraints = [p.constraint for f in fams for p in f.parameters]
    return constraints[index] == positive_definite or constraints[index].is_discrete


def numeric_gradient(func: Any, params: list[np.ndarray], index: int) -> np.ndarray:
    """Central differences of ``sum(func)`` with respect to one parameter."""
    base = params[index]
    grad = np.zeros_like(base)
    for pos in np.ndindex(base.shape):
        h = 1e-6 * max(1.0, abs(float(base[pos])))
        plus = [p.copy() for p in params]
        minus = [p.copy() for p in params]
        plus[index][pos] += h
        minus[index][pos] -= h
        grad[pos] = (np.sum(func(*plus)) - np.sum(func(*minus))) / (2 * h)
    return grad


def test_numpy_path_imports_no_array_library() -> None:
    code = (
        "import sys, anadiv; from anadiv import Normal, MultivariateNormal, kl_function; "
        "anadiv.kl(Normal(0., 1.), Normal(1., 2.)); "
        "kl_function(MultivariateNormal, MultivariateNormal)([0., 0.], [[1., 0.], [0., 1.]], [1., 0.], [[2., 0.], [0., 1.]]); "
        "print(sorted(m for m in ('torch', 'jax', 'dask', 'sympy') if m in sys.modules))"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]"


# ====================================================================== torch
@pytest.fixture(scope="module")
def torch() -> Any:
    return pytest.importorskip("torch")


@pytest.mark.parametrize("kind, fams", grad_cases())
def test_torch_values_and_gradients_match_numpy(torch: Any, kind: str, fams: tuple[type, ...]) -> None:
    func = getter(kind)(*fams)
    params = finite_point(kind, fams)
    expected = np.asarray(func(*params))
    tensors = [torch.tensor(p, dtype=torch.float64, requires_grad=not is_matrix(fams, i)) for i, p in enumerate(params)]
    out = func(*tensors)
    assert isinstance(out, torch.Tensor)
    np.testing.assert_allclose(out.detach().numpy(), expected, rtol=VALUE_RTOL, atol=VALUE_ATOL)
    if out.requires_grad:
        out.sum().backward()
    tied = _tied_indices(kind, fams)
    for i, t in enumerate(tensors):
        if is_matrix(fams, i) or i in tied:
            continue
        numeric = numeric_gradient(func, params, i)
        if t.grad is None:  # the value does not depend on this parameter (e.g. an entropy on a mean)
            np.testing.assert_allclose(numeric, 0.0, atol=1e-7)
            continue
        np.testing.assert_allclose(t.grad.numpy(), numeric, rtol=1e-5, atol=1e-7)


def _tied_indices(kind: str, fams: tuple[type, ...]) -> set[int]:
    """Flat indices of the parameters a tied closed form needs equal (a Binomial pair's trial counts):
    the form holds only on n_1 = n_2, so there is no derivative in them to compare."""
    if kind != "kl" or len(fams) != 2 or fams[0] is not fams[1]:
        return set()
    from anadiv.codegen.stabilize import tied_symbols
    from anadiv.symbolic import derive_kl

    d = derive_kl(*fams)
    ps, qs = [x.name for x in d.symbols[0]], [x.name for x in d.symbols[1]]
    pairs = tied_symbols(d.expr).items()
    return {ps.index(a.name) for _, a in pairs} | {len(ps) + qs.index(b.name) for b, _ in pairs}


def test_torch_normal_kl_gradient_is_analytic(torch: Any) -> None:
    f = api.kl_function(Normal, Normal)
    mu1 = torch.tensor([0.3, -1.0, 2.0], dtype=torch.float64, requires_grad=True)
    s1 = torch.tensor([0.5, 1.0, 3.0], dtype=torch.float64, requires_grad=True)
    mu2, s2 = 0.7, 1.5
    f(mu1, s1, mu2, s2).sum().backward()
    np.testing.assert_allclose(mu1.grad.numpy(), (mu1.detach().numpy() - mu2) / s2**2, rtol=1e-14)
    np.testing.assert_allclose(s1.grad.numpy(), s1.detach().numpy() / s2**2 - 1 / s1.detach().numpy(), rtol=1e-13)


def test_torch_gradcheck_normal_kl(torch: Any) -> None:
    f = api.kl_function(Normal, Normal)
    args = [torch.rand(4, dtype=torch.float64, requires_grad=True) + 0.5 for _ in range(4)]
    assert torch.autograd.gradcheck(f, args)
    # second derivatives too (a KL term inside a loss that is differentiated twice)
    assert torch.autograd.gradgradcheck(f, args)


def test_torch_multivariate_normal_gradients_are_analytic(torch: Any) -> None:
    f = api.kl_function(MultivariateNormal, MultivariateNormal)
    rng = np.random.default_rng(1)
    m1, s1 = MultivariateNormal.random_params(rng, dim=3)
    m2, s2 = MultivariateNormal.random_params(rng, dim=3)
    tm1 = torch.tensor(m1, requires_grad=True)
    ts1 = torch.tensor(s1, requires_grad=True)
    out = f(tm1, ts1, torch.tensor(m2), torch.tensor(s2))
    np.testing.assert_allclose(out.item(), f(m1, s1, m2, s2), rtol=1e-13)
    out.backward()
    inv2 = np.linalg.inv(s2)
    np.testing.assert_allclose(tm1.grad.numpy(), inv2 @ (m1 - m2), rtol=1e-10)
    g = ts1.grad.numpy()
    np.testing.assert_allclose(0.5 * (g + g.T), 0.5 * (inv2 - np.linalg.inv(s1)), rtol=1e-9, atol=1e-12)


def test_torch_keeps_float32_and_mixes_with_python_scalars(torch: Any) -> None:
    f = api.kl_function(Normal, Normal)
    mu = torch.linspace(-1, 1, 5)  # float32
    out = f(mu, 1.0, 0.0, 2.0)
    assert out.dtype == torch.float32 and out.shape == (5,)
    np.testing.assert_allclose(out.numpy(), f(mu.numpy().astype(np.float64), 1.0, 0.0, 2.0), rtol=1e-6)


def test_torch_invalid_covariance_raises_named_error(torch: Any) -> None:
    f = api.kl_function(MultivariateNormal, MultivariateNormal)
    bad = torch.tensor([[1.0, 2.0], [2.0, 1.0]], dtype=torch.float64)
    good = torch.eye(2, dtype=torch.float64)
    with pytest.raises(ValueError, match="^cov_1"):
        f(torch.zeros(2, dtype=torch.float64), bad, torch.zeros(2, dtype=torch.float64), good)


def test_torch_vae_kl_term_in_a_training_step(torch: Any) -> None:
    """A batch of diagonal Gaussians against N(0, 1): the loss decreases under SGD."""
    f = api.kl_function(Normal, Normal)
    gen = torch.Generator().manual_seed(0)
    mu = (torch.randn(64, 8, generator=gen)).requires_grad_()
    log_sigma = (0.5 * torch.randn(64, 8, generator=gen)).requires_grad_()
    opt = torch.optim.SGD([mu, log_sigma], lr=5.0)  # the batch mean divides gradients by 64
    losses = []
    for _ in range(20):
        opt.zero_grad()
        loss = f(mu, torch.exp(log_sigma), 0.0, 1.0).sum(dim=-1).mean()
        loss.backward()
        opt.step()
        losses.append(loss.item())
    assert all(b < a for a, b in zip(losses, losses[1:]))
    assert losses[-1] < 0.3 * losses[0]


# ======================================================================== jax
@pytest.fixture(scope="module")
def jax() -> Any:
    jax = pytest.importorskip("jax")
    jax.config.update("jax_enable_x64", True)
    return jax


@pytest.mark.parametrize("kind, fams", grad_cases())
def test_jax_values_and_gradients_match_numpy(jax: Any, kind: str, fams: tuple[type, ...]) -> None:
    import jax.numpy as jnp

    func = getter(kind)(*fams)
    params = finite_point(kind, fams)
    expected = np.asarray(func(*params))
    arrays = [jnp.asarray(p) for p in params]
    out = func(*arrays)
    assert isinstance(out, jax.Array)
    np.testing.assert_allclose(np.asarray(out), expected, rtol=VALUE_RTOL, atol=VALUE_ATOL)
    if (kind, tuple(f.name for f in fams)) in JIT_CASES:
        jitted = jax.jit(func)(*arrays)
        np.testing.assert_allclose(np.asarray(jitted), expected, rtol=VALUE_RTOL, atol=VALUE_ATOL)
    if (kind, tuple(f.name for f in fams)) not in JAX_GRAD_CASES:
        return
    vector_args = [i for i in range(len(params)) if not is_matrix(fams, i)]
    grads = jax.grad(lambda *a: jnp.sum(func(*a)), argnums=tuple(vector_args))(*arrays)
    for i, g in zip(vector_args, grads):
        np.testing.assert_allclose(np.asarray(g), numeric_gradient(func, params, i), rtol=1e-5, atol=1e-7)


def test_jax_vmap_over_a_batch(jax: Any) -> None:
    import jax.numpy as jnp

    f = api.kl_function(Normal, Normal)
    mu = np.linspace(-2, 2, 7)
    out = jax.vmap(lambda m: f(m, 1.0, 0.5, 2.0))(jnp.asarray(mu))
    np.testing.assert_allclose(np.asarray(out), f(mu, 1.0, 0.5, 2.0), rtol=1e-13)


@pytest.mark.parametrize("library", ["torch", "jax", "dask"])
def test_backends_have_every_numpy_namespace_function(library: str) -> None:
    """A function added to anadiv.numeric.xp.NumpyNamespace needs a counterpart on every backend."""
    pytest.importorskip({"torch": "torch", "jax": "jax", "dask": "dask.array"}[library])
    import importlib

    from anadiv.numeric.xp import NumpyNamespace

    ns = importlib.import_module(f"anadiv.numeric.backends.{library}_backend").namespace()
    names = {n for n in vars(NumpyNamespace) if not n.startswith("_")} | set(NumpyNamespace._SPECIAL)
    missing = sorted(n for n in names if not hasattr(ns, n))
    assert not missing, f"{library} backend lacks {missing}"


def test_lambertw_on_torch_and_jax() -> None:
    import scipy.special

    from anadiv.numeric.backends import jax_backend, torch_backend
    x = np.array([-0.3, 0.0, 0.5, 4.0])
    expected = scipy.special.lambertw(x).real
    deriv = 1.0 / (np.exp(expected) * (1.0 + expected))
    torch = pytest.importorskip("torch")
    t = torch.tensor(x, requires_grad=True)
    w = torch_backend.namespace().lambertw(t)
    w.sum().backward()
    np.testing.assert_allclose(w.detach().numpy(), expected, rtol=1e-15)
    np.testing.assert_allclose(t.grad.numpy(), deriv, rtol=1e-14)
    jax = pytest.importorskip("jax")
    jax.config.update("jax_enable_x64", True)
    import jax.numpy as jnp

    g = jax.vmap(jax.grad(jax_backend.namespace().lambertw))(jnp.asarray(x))
    np.testing.assert_allclose(np.asarray(g), deriv, rtol=1e-14)


def test_every_stable_helper_is_differentiable_on_the_backends() -> None:
    """A helper added to anadiv.numeric.stable needs a native version or a derivative rule here."""
    from anadiv.numeric import stable as _stable
    from anadiv.numeric.backends import generic

    native = {n for n in vars(generic.GenericStable) if not n.startswith("_")}
    missing = set(_stable.__all__) - native - set(generic._GAMMA_HELPER_GRADS)
    assert not missing, f"no torch/JAX derivative for anadiv.numeric.stable helpers {sorted(missing)}"


def _stable_grid() -> dict[str, tuple[np.ndarray, ...]]:
    """Arguments crossing every branch boundary of the elementary stable helpers."""
    u = np.array([-50.0, -1.5, -1.0, -0.999, -0.3, -1e-9, 0.0, 1e-12, 0.4, 0.999, 1.0, 1.001, 3.0, 40.0])
    t = np.array([-0.99, -0.6, -0.5, -0.49, -1e-8, 0.0, 1e-10, 0.5, 1.0, 1.01, 7.0, 1e6])
    a = np.array([1e-3, 0.2, 0.49, 0.5, 0.51, 1.0, 1.0 + 1e-12, 2.0, 3.0, 1e3])
    b = np.full_like(a, 1.0)
    return {
        "expm1mx": (u,), "log1pmx": (t,), "log_ratio": (a, b), "xm1mlog": (a, b),
        "powm1mlog": (a, b, np.full_like(a, 2.0)), "log_ratio_d": (a + 1.0, b + 1.0, a - b),
        "xm1mlog_d": (a, b, a - b),
        # |u| > 20, default, |log r| < 0.05 with |u| below and above 0.05, k an array
        "powm1mlog ": (np.array([1e-10, 1e3, 1e5, 1.01, 1.04, 1.0 + 1e-9, 0.97, 50.0]), 1.0,
                       np.array([2.0, 2.0, 2.0, 2.0, 2.0, 3.5, -0.5, 6.0])),
        "diff2": (a, b, 0.5 * a, 0.25 * b),
        "cos_half_pi": (np.array([-2.5, -1.0 + 1e-9, -0.5, 0.0, 0.3, 0.5, 1.0 - 2.0**-40, 1.0, 1.7, 2.0, 3.1]),),
    }


@pytest.mark.parametrize("library", ["torch", "jax"])
def test_native_stable_helpers_equal_numpy(library: str) -> None:
    from anadiv.numeric import stable as _stable
    from anadiv.numeric.backends import jax_backend, torch_backend

    if library == "torch":
        torch = pytest.importorskip("torch")
        st = torch_backend.namespace()._stable
        convert, back = (lambda x: torch.tensor(x, dtype=torch.float64)), (lambda y: y.numpy())
        rtol = 1e-15  # torch.pow and numpy's power may differ in the last bit
    else:
        jax = pytest.importorskip("jax")
        jax.config.update("jax_enable_x64", True)
        import jax.numpy as jnp

        st = jax_backend.namespace()._stable
        convert, back = jnp.asarray, np.asarray
        rtol = 2e-14  # XLA's own log1p is off by up to ~1e-14 relative (e.g. at -0.4)
    for key, args in _stable_grid().items():
        name = key.strip()
        expected = getattr(_stable, name)(*args)
        got = back(getattr(st, name)(*(convert(x) for x in args)))
        np.testing.assert_allclose(got, expected, rtol=rtol, atol=0, err_msg=name)


@pytest.mark.parametrize("name", ["gamma_bregman", "beta_bregman", "lgamma_bregman_d"])
def test_torch_gamma_helper_gradients(torch: Any, name: str) -> None:
    from anadiv.numeric import stable as _stable
    from anadiv.numeric.backends.torch_backend import namespace as torch_namespace

    helper = getattr(torch_namespace()._stable, name)
    nargs = 2 if name == "lgamma_bregman_d" else 4
    rng = np.random.default_rng(3)
    args = [np.exp(rng.normal(size=3)) + 0.2 for _ in range(nargs)]
    tensors = [torch.tensor(a, requires_grad=True) for a in args]
    out = helper(*tensors)
    # native torch (anadiv.numeric.backends.generic_gamma): numpy's values to a few ulps
    np.testing.assert_allclose(out.detach().numpy(), getattr(_stable, name)(*args), rtol=1e-13, atol=0)
    out.sum().backward()
    for i, t in enumerate(tensors):
        np.testing.assert_allclose(t.grad.numpy(), numeric_gradient(getattr(_stable, name), args, i), rtol=1e-6)


def test_jax_gamma_helpers_under_grad_and_jit(jax: Any) -> None:
    """The gamma-function helpers run natively under jit and grad (numpy's values to a few ulps)."""
    import jax.numpy as jnp

    from anadiv.numeric import stable as _stable
    from anadiv.numeric.backends.jax_backend import namespace as jax_namespace

    st = jax_namespace()._stable
    a, b = np.array([0.7, 2.0, 30.0]), np.array([0.7 * (1 + 1e-9), 3.5, 29.0])
    for name in ("lgamma_diff", "digamma_diff", "lgamma_bregman"):
        np.testing.assert_allclose(np.asarray(jax.jit(getattr(st, name))(jnp.asarray(a), jnp.asarray(b))),
                                   getattr(_stable, name)(a, b), rtol=1e-13, atol=0)
        g = jax.grad(lambda x: jnp.sum(getattr(st, name)(x, jnp.asarray(b + 0.5))))(jnp.asarray(a))
        h = 1e-6
        fd = (getattr(_stable, name)(a + h, b + 0.5) - getattr(_stable, name)(a - h, b + 0.5)) / (2 * h)
        np.testing.assert_allclose(np.asarray(g), fd, rtol=1e-5)


# ======================================================================= dask
@pytest.fixture(scope="module")
def da() -> Any:
    return pytest.importorskip("dask.array")


def batch_point(kind: str, fams: tuple[type, ...], n: int) -> list[np.ndarray]:
    """``n`` finite parameter points stacked along a leading batch axis."""
    points = [finite_point(kind, fams, seed) for seed in range(n)]
    return [np.stack([p[i] for p in points]) for i in range(len(points[0]))]


@pytest.mark.parametrize("kind, fams", CASES, ids=IDS)
def test_dask_is_lazy_and_equals_numpy(da: Any, kind: str, fams: tuple[type, ...]) -> None:
    from dask.callbacks import Callback

    func = getter(kind)(*fams)
    params = batch_point(kind, fams, 12)
    expected = np.asarray(func(*params))
    chunked = [da.from_array(p, chunks=(5,) + p.shape[1:]) for p in params]

    started: list[Any] = []

    class Count(Callback):
        def _start(self, dsk: Any) -> None:
            started.append(dsk)

    with Count():
        out = func(*chunked)
        assert isinstance(out, da.Array)
        assert started == [], "the generated function computed something eagerly"
        assert out.numblocks[0] == 3
        values = out.compute(scheduler="threads")
    assert len(started) == 1
    np.testing.assert_allclose(values, expected, rtol=1e-15, atol=1e-300)


def test_dask_pairwise_matrix_in_chunks(da: Any) -> None:
    """A 2000 x 2000 KL matrix from 500 x 500 blocks equals numpy's, on two schedulers."""
    f = api.kl_function(Normal, Normal)
    rng = np.random.default_rng(0)
    mu, sigma = rng.normal(size=2000), np.exp(rng.normal(size=2000) * 0.3)
    dmu, dsig = da.from_array(mu, chunks=500), da.from_array(sigma, chunks=500)
    lazy = f(dmu[:, None], dsig[:, None], dmu[None, :], dsig[None, :])
    assert lazy.shape == (2000, 2000) and lazy.numblocks == (4, 4)
    expected = f(mu[:, None], sigma[:, None], mu[None, :], sigma[None, :])
    np.testing.assert_array_equal(lazy.compute(scheduler="threads"), expected)
    # a reduction never materialises the matrix
    np.testing.assert_allclose(float(lazy.max().compute(scheduler="synchronous")), expected.max(), rtol=0)


def test_dask_batch_generated_lazily_never_materialised(da: Any) -> None:
    """A batch created by dask itself (never in memory at once), reduced blockwise."""
    f = api.kl_function(Normal, Normal)
    n, chunk = 4_000_000, 500_000
    mu = da.random.default_rng(0).normal(size=n, chunks=chunk)
    sigma = da.exp(0.3 * da.random.default_rng(1).normal(size=n, chunks=chunk))
    mean_kl = f(mu, sigma, 0.0, 1.0).mean()
    value = float(mean_kl.compute())
    # E[KL(N(m, s) || N(0, 1))] = E[(s^2 + m^2)/2 - 1/2 - log s] with m ~ N(0,1), log s ~ N(0, 0.09)
    exact = 0.5 * (np.exp(2 * 0.09) + 1.0) - 0.5
    assert abs(value - exact) < 5e-3


def test_dask_multivariate_normal_batch(da: Any) -> None:
    f = api.kl_function(MultivariateNormal, MultivariateNormal)
    rng = np.random.default_rng(2)
    draws = [MultivariateNormal.random_params(rng, dim=3) for _ in range(10)]
    m = np.stack([d[0] for d in draws])
    s = np.stack([d[1] for d in draws])
    lazy = f(da.from_array(m, chunks=(4, 3)), da.from_array(s, chunks=(4, 3, 3)), m[::-1], s[::-1])
    assert isinstance(lazy, da.Array)
    np.testing.assert_allclose(lazy.compute(), f(m, s, m[::-1], s[::-1]), rtol=1e-14)


def test_jax_exponential_integrals_in_one_batch() -> None:
    """Tiny and ordinary arguments in one batch (jax's own expi loops ~1/|x| times
    for the whole batch: minutes for -1e-7), and -inf."""
    jax = pytest.importorskip("jax")
    jax.config.update("jax_enable_x64", True)
    import jax.numpy as jnp
    import scipy.special

    from anadiv.numeric.backends import jax_backend

    ns = jax_backend.namespace()
    x = np.array([-np.inf, -700.0, -30.0, -2.0, -1.0, -0.999, -0.3, -1.65e-7, -1e-300, 1e-300, 1e-9, 0.5,
                  0.999, 1.0, 3.0, 40.0])
    np.testing.assert_allclose(np.asarray(ns.expi(jnp.asarray(x))), scipy.special.expi(x), rtol=2e-15, atol=0)
    pos = x[x > 0]
    np.testing.assert_allclose(np.asarray(ns.exp1(jnp.asarray(pos))), scipy.special.exp1(pos), rtol=2e-15, atol=0)
    g = jax.vmap(jax.grad(ns.expi))(jnp.asarray(x[2:-1]))
    np.testing.assert_allclose(np.asarray(g), np.exp(x[2:-1]) / x[2:-1], rtol=1e-13)


def test_a_registered_backend_is_used_for_its_arrays() -> None:
    """anadiv.numeric.register_backend: arrays whose type lives in the named module compute with that namespace."""
    import anadiv.numeric as numeric
    from anadiv.numeric import xp as xp_module

    calls: list[str] = []

    class Tagged(np.ndarray):
        pass

    Tagged.__module__ = "tagged_lib.core"

    class TaggedNamespace(numeric.NumpyNamespace):
        name = "tagged_lib"

        @staticmethod
        def errstate(**kwargs):
            calls.append("errstate")
            return np.errstate(**kwargs)

    numeric.register_backend("tagged_lib", TaggedNamespace(), priority=2)
    try:
        f = api.kl_function(Normal, Normal)
        mu = np.array([0.0, 0.5, 1.0]).view(Tagged)
        got = f(mu, 1.0, 1.0, 2.0)
        want = f(np.asarray(mu), 1.0, 1.0, 2.0)
        assert calls, "the registered namespace was not used"
        np.testing.assert_allclose(np.asarray(got), want, rtol=1e-15)
        assert numeric.namespace(mu).name == "tagged_lib" and numeric.namespace(1.0).name == "numpy"
    finally:
        del xp_module._BACKENDS["tagged_lib"], xp_module._PRIORITY["tagged_lib"]
        xp_module._BY_TYPE.pop(Tagged, None)
