"""The elementary stable helpers' analytic derivatives on torch.

Where autograd records and an argument requires grad, ``powm1mlog``,
``log1pmx``, ``expm1mx``, ``atanmx``, ``log_ratio``, ``log_ratio_d``,
``xm1mlog`` and ``xm1mlog_d`` run as one node whose backward is their
closed-form partials. Checked here:

* float64 gradients against mpmath's derivative (40 digits) of the helper's
  exact expression, at a grid with nearly equal arguments (``a = b (1 +- 1e-8)``),
  far ratios and values in between, to 1e-13 relative; against autograd through
  the where-form (the helper with its analytic derivative switched off);
* broadcast arguments get gradients of their own shape; ``gradcheck`` and
  ``gradgradcheck`` (double backward) on a few; ``torch.func.hessian``;
* float32 gradients in float32, within its rounding of the float64 ones;
* the Normal KL under ``torch.func.grad``/``vmap``, and the VAE term's gradient
  against ``torch.distributions.kl_divergence`` (float64 1e-12, float32 1e-5);
* without a gradient the plain forward runs (no autograd node).
"""

from __future__ import annotations

from typing import Any, Callable

import mpmath
import numpy as np
import pytest

import anadiv

torch = pytest.importorskip("torch")

from anadiv.numeric.backends.torch_backend import namespace  # noqa: E402

STABLE = namespace()._stable


def _ref_log_ratio_d(a: Any, b: Any, d: Any) -> Any:
    # the forward's branches: log1p(d/b), log(a/b) where d/b < -1/2
    return mpmath.log(a / b) if d / b < -0.5 else mpmath.log1p(d / b)


def _ref_xm1mlog_d(a: Any, b: Any, d: Any) -> Any:
    if d / b < -0.5:
        return a / b - 1 - mpmath.log(a / b)
    return d / b - mpmath.log1p(d / b)


# helper -> (exact expression for mpmath, points: one tuple of floats per point)
NEAR = (1.0 + 1e-8, 1.0 - 1e-8)
CASES: dict[str, tuple[Callable[..., Any], list[tuple[float, ...]]]] = {
    "powm1mlog_2": (lambda a, b: (a / b) ** 2 - 1 - 2 * mpmath.log(a / b),
                    [(3.0 * r, 3.0) for r in NEAR] + [(1e-6, 2.0), (5e3, 0.7), (0.8, 1.1), (2.0, 1.9)]),
    "powm1mlog_-1": (lambda a, b: (a / b) ** -1 - 1 + mpmath.log(a / b),
                     [(0.25 * r, 0.25) for r in NEAR] + [(1e-5, 3.0), (40.0, 0.5), (1.3, 1.0)]),
    "powm1mlog_1": (lambda a, b: a / b - 1 - mpmath.log(a / b), [(7.0 * NEAR[0], 7.0), (0.002, 1.0), (2.5, 1.0)]),
    "powm1mlog_-2": (lambda a, b: (a / b) ** -2 - 1 + 2 * mpmath.log(a / b), [(NEAR[1], 1.0), (0.1, 2.0), (3.0, 1.5)]),
    "powm1mlog_0.5": (lambda a, b: (a / b) ** 0.5 - 1 - 0.5 * mpmath.log(a / b),
                      [(2.0 * NEAR[0], 2.0), (1e-4, 1.0), (300.0, 1.0), (1.2, 1.0)]),
    "log1pmx": (lambda t: mpmath.log1p(t) - t, [(1e-8,), (-1e-8,), (0.2,), (-0.4,), (-0.999,), (3.0,), (1e5,)]),
    "expm1mx": (lambda u: mpmath.expm1(u) - u, [(1e-8,), (-1e-8,), (0.5,), (-0.9,), (4.0,), (-30.0,)]),
    "atanmx": (lambda x: mpmath.atan(x) - x, [(1e-6,), (-0.2,), (0.29,), (0.31,), (5.0,), (-1e3,)]),
    "log_ratio": (lambda a, b: mpmath.log(a / b), [(3.0 * NEAR[0], 3.0), (1e-3, 1.0), (9.0, 2.0)]),
    "xm1mlog": (lambda a, b: a / b - 1 - mpmath.log(a / b),
                [(3.0 * r, 3.0) for r in NEAR] + [(0.01, 1.0), (0.6, 1.0), (8.0, 2.0)]),
    # d = a - b exactly; the near points at a = b (1 +- 1e-8) via d
    "log_ratio_d": (_ref_log_ratio_d, [(2.0, 2.0, 2e-8), (2.0, 2.0, -2e-8), (0.2, 1.0, -0.8), (1.5, 1.0, 0.5)]),
    "xm1mlog_d": (_ref_xm1mlog_d, [(0.5, 0.5, 5e-9), (0.5, 0.5, -5e-9), (0.125, 1.0, -0.875), (1.75, 1.0, 0.75)]),
}


def _helper(name: str) -> Callable[..., Any]:
    if name.startswith("powm1mlog_"):
        k = float(name.split("_")[1])
        return lambda a, b: STABLE.powm1mlog(a, b, k)
    return getattr(STABLE, name)


def _mp_gradient(fn: Callable[..., Any], point: tuple[float, ...]) -> list[float]:
    with mpmath.workdps(40):
        x = [mpmath.mpf(v) for v in point]
        return [float(mpmath.diff(lambda *a: fn(*a), x, tuple(int(i == j) for j in range(len(x)))))
                for i in range(len(x))]


def _torch_gradient(name: str, point: tuple[float, ...], dtype: Any = torch.float64) -> list[Any]:
    args = [torch.tensor(v, dtype=dtype, requires_grad=True) for v in point]
    out = _helper(name)(*args)
    assert type(out.grad_fn).__name__ == "NativeWithPartialsBackward", name  # one node, analytic backward
    return list(torch.autograd.grad(out, args, allow_unused=True))


@pytest.mark.parametrize("name", list(CASES))
def test_float64_gradient_equals_mpmath(name: str) -> None:
    fn, points = CASES[name]
    for point in points:
        got = [g.item() for g in _torch_gradient(name, point)]
        np.testing.assert_allclose(got, _mp_gradient(fn, point), rtol=1e-13, atol=1e-300, err_msg=f"{name}{point}")


def test_gradient_equals_autograd_through_the_where_form(monkeypatch: pytest.MonkeyPatch) -> None:
    analytic = {n: [_torch_gradient(n, p) for p in pts] for n, (_, pts) in CASES.items()}
    monkeypatch.setattr(type(STABLE), "_grad_needed", lambda self, *args: False)
    for name, (_, points) in CASES.items():
        for point, want in zip(points, analytic[name]):
            args = [torch.tensor(v, dtype=torch.float64, requires_grad=True) for v in point]
            got = torch.autograd.grad(_helper(name)(*args), args, allow_unused=True)
            for g, w in zip(got, want):
                g = torch.zeros(()) if g is None else g
                np.testing.assert_allclose(g.item(), w.item(), rtol=1e-9, atol=1e-300, err_msg=f"{name}{point}")


def test_broadcast_gradients_have_their_arguments_shapes() -> None:
    a = torch.tensor([[0.5], [1.0 + 1e-9], [3.0]], dtype=torch.float64, requires_grad=True)
    b = torch.tensor([1.0, 2.0, 0.3, 1.0], dtype=torch.float64, requires_grad=True)
    k = torch.tensor(2.0, dtype=torch.float64, requires_grad=True)
    ga, gb = torch.autograd.grad(STABLE.powm1mlog(a, b, 2).sum(), (a, b))
    r = (a / b).detach()
    np.testing.assert_allclose(ga.numpy(), (2 / a.detach() * (r**2 - 1)).sum(1, keepdim=True), rtol=1e-12)
    np.testing.assert_allclose(gb.numpy(), (-2 / b.detach() * (r**2 - 1)).sum(0), rtol=1e-12)
    # a tensor k takes the general form and has its own derivative, log(a/b) ((a/b)**k - 1)
    ga, gb, gk = torch.autograd.grad(STABLE.powm1mlog(a, b, k).sum(), (a, b, k))
    assert (ga.shape, gb.shape, gk.shape) == (a.shape, b.shape, k.shape)
    np.testing.assert_allclose(gk.item(), (torch.log(r) * (r**2 - 1)).sum().item(), rtol=1e-12)
    d = torch.tensor([1e-9, -0.9], dtype=torch.float64, requires_grad=True)
    b1 = torch.tensor([1.0], dtype=torch.float64, requires_grad=True)
    grads = torch.autograd.grad(STABLE.xm1mlog_d(a, b1, d).sum(), (a, b1, d))
    assert [g.shape for g in grads] == [a.shape, b1.shape, d.shape]
    # near branch (d/b >= -1/2): d/dd = d/(b (b + d)), none in a; far branch: 1/b - 1/a, none in d
    np.testing.assert_allclose(grads[2].numpy(), [3 * 1e-9 / (1 + 1e-9), 0.0], rtol=1e-13)
    np.testing.assert_allclose(grads[0].numpy(), ((a.detach() - 1) / a.detach()).numpy(), rtol=1e-13)


def test_gradcheck_and_double_backward() -> None:
    a = torch.tensor([0.3, 1.0, 1.7, 40.0], dtype=torch.float64, requires_grad=True)
    b = torch.tensor([1.1, 1.0, 1.6, 2.0], dtype=torch.float64, requires_grad=True)
    d = (a - b).detach().requires_grad_()
    for fn, args in [(lambda a, b: STABLE.powm1mlog(a, b, 2), (a, b)), (lambda a, b: STABLE.powm1mlog(a, b, -1), (a, b)),
                     (STABLE.xm1mlog_d, (a, b, d)), (STABLE.log_ratio_d, (a, b, d)), (STABLE.log1pmx, (b - 0.5,))]:
        assert torch.autograd.gradcheck(fn, args)
        assert torch.autograd.gradgradcheck(fn, args)
    # d^2/da^2 (a/b)^2 - 1 - 2 log(a/b) = 2/b^2 + 2/a^2
    hess = torch.func.hessian(lambda x: STABLE.powm1mlog(x, b.detach(), 2).sum())(a.detach())
    np.testing.assert_allclose(torch.diagonal(hess).numpy(), (2 / b**2 + 2 / a**2).detach().numpy(), rtol=1e-13)


@pytest.mark.parametrize("name", list(CASES))
def test_float32_gradient_within_float32_rounding(name: str) -> None:
    _, points = CASES[name]
    for point in points:
        # the same point in both (a = b (1 +- 1e-8) rounds to a = b in float32)
        point = tuple(float(np.float32(v)) for v in point)
        wide = _torch_gradient(name, point)
        narrow = _torch_gradient(name, point, torch.float32)
        for g32, g64 in zip(narrow, wide):
            if g64 is None:
                assert g32 is None
                continue
            assert g32.dtype == torch.float32
            np.testing.assert_allclose(g32.item(), g64.item(), rtol=2e-6, atol=1e-30, err_msg=f"{name}{point}")


def test_no_gradient_no_autograd_node() -> None:
    a = torch.tensor([0.5, 2.0], requires_grad=True)
    with torch.no_grad():
        assert STABLE.powm1mlog(a, 1.0, 2).grad_fn is None
    out = STABLE.powm1mlog(a.detach(), 1.0, 2)
    assert out.grad_fn is None and out.dtype == torch.float32


def test_normal_kl_under_torch_func_grad_and_vmap() -> None:
    kl = anadiv.kl_function("normal", "normal")
    s1 = torch.tensor([0.5, 1.0 + 1e-9, 3.0], dtype=torch.float64)
    s2 = torch.tensor([1.0, 1.0, 2.0], dtype=torch.float64)
    # d/ds1 KL = s1/s2^2 - 1/s1 = (s1^2 - s2^2)/(s1 s2^2)
    want = ((s1 - s2) * (s1 + s2) / (s1 * s2**2)).numpy()
    grad = torch.func.grad(lambda s: kl(0.3, s, 0.3, s2).sum())(s1)
    np.testing.assert_allclose(grad.numpy(), want, rtol=1e-13)
    per_example = torch.func.vmap(torch.func.grad(lambda s, t: kl(0.3, s, 0.3, t)))(s1, s2)
    np.testing.assert_allclose(per_example.numpy(), want, rtol=1e-13)


@pytest.mark.parametrize("dtype, tol", [(torch.float64, 1e-12), (torch.float32, 1e-5)])
def test_vae_term_gradient_equals_torch_distributions(dtype: Any, tol: float) -> None:
    from torch.distributions import Independent, Normal, kl_divergence

    g = torch.Generator().manual_seed(0)
    mu = torch.randn(64, 16, generator=g, dtype=dtype).requires_grad_()
    log_sigma = (0.3 * torch.randn(64, 16, generator=g, dtype=dtype)).requires_grad_()
    kl = anadiv.kl_function("diagonal_normal", "diagonal_normal")
    ours = torch.autograd.grad(kl(mu, log_sigma.exp(), 0.0, 1.0).sum(), (mu, log_sigma))
    zero, one = torch.zeros((), dtype=dtype), torch.ones((), dtype=dtype)
    prior = Independent(Normal(zero.expand(16), one.expand(16)), 1)
    theirs = torch.autograd.grad(kl_divergence(Independent(Normal(mu, log_sigma.exp()), 1), prior).sum(),
                                 (mu, log_sigma))
    for o, t in zip(ours, theirs):
        assert o.dtype == dtype
        np.testing.assert_allclose(o.numpy(), t.numpy(), rtol=tol, atol=tol)


def test_forward_mode_jvp() -> None:
    # log_ratio's partials, 1/a and -1/b, have the arguments' shapes; the jvp has the output's.
    # At a = b/2 (0.5 vs 1, 2 vs 4) the where-form's clamp meets its boundary exactly: the
    # derivative there is 1/a too (a clamp by maximum would halve it at the tie)
    a = torch.tensor([[0.5], [2.0]], dtype=torch.float64)
    b = torch.tensor([1.0, 4.0, 0.25], dtype=torch.float64)
    _, tangent = torch.func.jvp(lambda x: STABLE.log_ratio(x, b), (a,), (torch.ones_like(a),))
    np.testing.assert_allclose(tangent.numpy(), np.broadcast_to(1 / a.numpy(), (2, 3)), rtol=1e-15)
    # the analytic node's forward-mode rule (an argument that requires grad; torch.func.hessian
    # reaches it too, in test_gradcheck_and_double_backward)
    import torch.autograd.forward_ad as fwad

    with fwad.dual_level():
        out = STABLE.log_ratio(fwad.make_dual(a.requires_grad_(), torch.ones_like(a)), b)
        assert type(out.grad_fn).__name__ == "NativeWithPartialsBackward"
        tangent = fwad.unpack_dual(out).tangent
    np.testing.assert_allclose(tangent.detach().numpy(), np.broadcast_to(1 / a.detach().numpy(), (2, 3)), rtol=1e-15)


@pytest.mark.parametrize("b", [1.37, float(np.float32(1.37)) * (1 + 1e-12), float(np.float32(1.37)), 1.0])
def test_float32_values_near_equal_arguments_correctly_rounded(b: float) -> None:
    """float32 values computed in float64: the series runs only where the direct form would
    lose a float32 digit (none where all arguments hold float32 values, ``a - b`` being 0 or at
    least an ulp); a = b and a within 30 ulps of b, and spread ratios."""
    b32 = np.float32(b)
    steps = np.arange(-30, 31, dtype=np.float32)
    a = np.concatenate([b32 + steps * np.spacing(b32), b32 * np.float32([0.005, 0.3, 0.9, 1.1, 4.0, 300.0])])
    a = a.astype(np.float32)
    helpers = [(lambda x, y: STABLE.powm1mlog(x, y, 2), lambda x, y: (x / y) ** 2 - 1 - 2 * mpmath.log(x / y)),
               (lambda x, y: STABLE.powm1mlog(x, y, -1), lambda x, y: y / x - 1 + mpmath.log(x / y)),
               (STABLE.xm1mlog, lambda x, y: x / y - 1 - mpmath.log(x / y))]
    for fn, exact in helpers:
        got = fn(torch.from_numpy(a), b).numpy()
        assert got.dtype == np.float32
        with mpmath.workdps(40):
            want = np.array([float(exact(mpmath.mpf(float(x)), mpmath.mpf(b))) for x in a])
        ulps = np.abs(got - want) / np.spacing(np.abs(want).astype(np.float32)).astype(np.float64)
        assert np.all(np.where(want == 0, got == 0, ulps <= 0.51)), ulps.max()
