"""PyTorch, JAX and Dask backends for the generated code.

The generated closed forms compute with ``xp = anadiv._xp.namespace(*args)``
and call only ``xp.<name>``, ``xp._stable.<name>`` and ``xp._linalg.<name>``.
This module provides those namespaces for other array libraries and
registers them with :func:`anadiv._xp.register_backend` (lazily: torch, jax
and dask are imported only when one of their arrays reaches a generated
function, so none of them is a dependency).

* **PyTorch** (``torch.Tensor``): torch ops and ``torch.special``; results
  are tensors on the inputs' device and gradients flow (``backward()`` on a
  KL term of a training loss).
* **JAX** (``jax.Array`` and tracers): ``jax.numpy`` and
  ``jax.scipy.special``; works under ``jax.grad``, ``jax.jit`` and
  ``jax.vmap``.
* **Dask** (``dask.array.Array``): every operation is applied blockwise to
  the numpy namespace (``elemwise``; ``apply_gufunc`` for the matrix
  helpers), so the result is a lazy, chunked dask array evaluated by dask's
  schedulers (threads, processes, or a distributed cluster) with exactly the
  numpy code's values.

Stable helpers (:mod:`anadiv._stable`). The elementary ones (``expm1mx``,
``log1pmx``, ``log_ratio``, ``xm1mlog``, ``powm1mlog``) are written here once
for any namespace with the same branches and series as the numpy versions,
so torch and JAX run them natively (on GPU, differentiably). The gamma-function
ones (``lgamma_diff``, ``digamma_diff``, ``lgamma_bregman``,
``lgamma_bregman_d``) run the accurate numpy code on the values (a host
round-trip; ``jax.pure_callback`` under JAX) and supply their derivatives
analytically, from ``digamma``/``polygamma`` of the library itself.

Matrix helpers (:mod:`anadiv._linalg`) are written once over a few
primitives (Cholesky, triangular solve, diagonal, lower triangle) and
differentiate through the library's own linear algebra.
"""

from __future__ import annotations

import contextlib
import functools
import math
from typing import Any, Callable

import numpy as np

__all__ = ["register_all", "torch_namespace", "jax_namespace", "dask_namespace"]


# ===================================================================== shared
class _Quiet(contextlib.AbstractContextManager):
    """``errstate`` stand-in for libraries that never warn on inf/NaN."""

    def __init__(self, **kwargs: Any) -> None:
        pass

    def __exit__(self, *exc: Any) -> None:
        return None


# Series coefficients, the same as anadiv._stable's.
_EXPM1MX_COEFS = [1.0 / math.factorial(k + 2) for k in range(19)]
_ATANH_COEFS = [1.0 / (2 * k + 3) for k in range(20)]
_ATANMX_COEFS = [(-1.0) ** k / (2 * k + 1) for k in range(1, 18)]


def _horner(x: Any, coefs: list[float]) -> Any:
    acc = x * 0.0 + coefs[-1]
    for c in coefs[-2::-1]:
        acc = acc * x + c
    return acc


class GenericStable:
    """The elementary stable helpers, written once for torch and JAX.

    Same branches and series as :mod:`anadiv._stable`. Each branch gets a
    *safe* input where it is not selected (``where(mask, x, 0)``), so the
    unused branch can neither overflow nor poison a gradient with NaN.
    """

    def __init__(self, xp: Any) -> None:
        self.xp = xp

    def expm1mx(self, u: Any) -> Any:
        xp = self.xp
        u = xp.asarray(u)
        small = xp.abs(u) < 1.0
        us = xp.where(small, u, 0.0)
        series = us * us * _horner(us, _EXPM1MX_COEFS)
        ul = xp.where(small, 1.0, u)
        return xp.where(small, series, xp.expm1(ul) - ul)

    def log1pmx(self, t: Any) -> Any:
        xp = self.xp
        t = xp.asarray(t)
        near = (t >= -0.5) & (t <= 1.0)
        ts = xp.where(near, t, 0.0)
        z = ts / (2.0 + ts)
        z2 = z * z
        series = -ts * z + 2.0 * z * z2 * _horner(z2, _ATANH_COEFS)
        tf = xp.where(near, 2.0, t)
        return xp.where(near, series, xp.log1p(tf) - tf)

    def atanmx(self, x: Any) -> Any:
        # numpy's branches: the odd series for |x| < 0.3, arctan(x) - x beyond.
        xp = self.xp
        x = xp.asarray(x)
        small = xp.abs(x) < 0.3
        xs = xp.where(small, x, 0.0)
        series = xs * xs * xs * _horner(xs * xs, _ATANMX_COEFS)
        xl = xp.where(small, 1.0, x)
        return xp.where(small, series, xp.arctan(xl) - xl)

    def _log_ratio_d(self, a: Any, b: Any, d: Any) -> Any:
        xp = self.xp
        far = d < -0.5
        return xp.where(far, xp.log(a / b), xp.log1p(xp.where(far, 0.0, d)))

    def log_ratio(self, a: Any, b: Any) -> Any:
        return self._log_ratio_d(a, b, (a - b) / b)

    def log_ratio_d(self, a: Any, b: Any, d: Any) -> Any:
        return self._log_ratio_d(a, b, d / b)

    def diff2(self, a2: Any, a1: Any, b2: Any, b1: Any) -> Any:
        return self.xp.asarray((a2 - a1) - (b2 - b1))

    def xm1mlog(self, a: Any, b: Any) -> Any:
        xp = self.xp
        d = (a - b) / b
        far = d < -0.5
        r = a / b
        near_value = -self.log1pmx(xp.where(far, 0.0, d))
        return xp.where(far, r - 1.0 - xp.log(r), near_value)

    def powm1mlog(self, a: Any, b: Any, k: Any) -> Any:
        # numpy's branches: u = k log(a/b); expm1(u) - u by default, r**k - 1 - u for
        # |u| > 20, and for |log r| < 0.05 the log from log1p((a - b)/b), with a short
        # series for |u| < 0.05.
        xp = self.xp
        r = a / b
        lr = xp.log(r)
        u = k * lr
        big = xp.abs(u) > 20.0
        near = xp.abs(lr) < 0.05
        u_def = xp.where(big, 0.0, u)
        default = xp.expm1(u_def) - u_def
        far_value = xp.where(big, r, 1.0) ** k - 1.0 - xp.where(big, u, 0.0)
        un = xp.where(near, k * xp.log1p(xp.where(near, (a - b) / b, 0.0)), 0.0)
        small = xp.abs(un) < 0.05
        us = xp.where(small, un, 0.0)
        series = us * us * _horner(us, _EXPM1MX_COEFS[:10])
        ul = xp.where(small, 0.0, un)
        near_value = xp.where(small, series, xp.expm1(ul) - ul)
        return xp.where(near, near_value, xp.where(big, far_value, default))

    def lowergamma_reg(self, s: Any, x: Any) -> Any:
        return self.xp.gammainc(s, x)

    def betainc_reg(self, a: Any, b: Any, x: Any) -> Any:
        return self.xp.betainc(a, b, x)


# Derivatives of the gamma-function helpers, in the target library's ops.
# Each returns the partial derivatives with respect to the helper's inputs.
def _d_lgamma_diff(xp: Any, a: Any, b: Any) -> tuple[Any, ...]:
    return -xp.digamma(a), xp.digamma(b)


def _d_digamma_diff(xp: Any, a: Any, b: Any) -> tuple[Any, ...]:
    return -xp.polygamma(1, a), xp.polygamma(1, b)


def _d_lgamma_diff_d(xp: Any, a: Any, d: Any) -> tuple[Any, ...]:
    psi_b = xp.digamma(a + d)
    return psi_b - xp.digamma(a), psi_b


def _d_digamma_diff_d(xp: Any, a: Any, d: Any) -> tuple[Any, ...]:
    tri_b = xp.polygamma(1, a + d)
    return tri_b - xp.polygamma(1, a), tri_b


def _d_lgamma_bregman(xp: Any, a: Any, b: Any) -> tuple[Any, ...]:
    # d/da = -(b - a) psi'(a); d/db = psi(b) - psi(a)
    return -(b - a) * xp.polygamma(1, a), xp.digamma(b) - xp.digamma(a)


def _d_lgamma_bregman_d(xp: Any, a: Any, d: Any) -> tuple[Any, ...]:
    # B(a, a + d): d/da = psi(a + d) - psi(a) - d psi'(a); d/dd = psi(a + d) - psi(a)
    dpsi = xp.digamma(a + d) - xp.digamma(a)
    return dpsi - d * xp.polygamma(1, a), dpsi


def _d_gamma_bregman(xp: Any, a1: Any, b1: Any, a2: Any, b2: Any) -> tuple[Any, ...]:
    # KL(Gamma(a1, b1) || Gamma(a2, b2)) = (a1 - a2) psi(a1) - lgamma(a1) + lgamma(a2)
    #                                      + a2 log(b1 / b2) + a1 (b2 / b1 - 1)
    return (
        (a1 - a2) * xp.polygamma(1, a1) + b2 / b1 - 1.0,
        a2 / b1 - a1 * b2 / (b1 * b1),
        xp.digamma(a2) - xp.digamma(a1) + xp.log(b1 / b2),
        a1 / b1 - a2 / b2,
    )


def _d_beta_bregman(xp: Any, a1: Any, b1: Any, a2: Any, b2: Any) -> tuple[Any, ...]:
    # KL(Beta(a1, b1) || Beta(a2, b2)) = log B(a2, b2) - log B(a1, b1) + (a1 - a2) psi(a1)
    #                                    + (b1 - b2) psi(b1) + (s2 - s1) psi(s1),  s = a + b
    s1, s2 = a1 + b1, a2 + b2
    tri_s1 = xp.polygamma(1, s1)
    psi_s1, psi_s2 = xp.digamma(s1), xp.digamma(s2)
    return (
        (a1 - a2) * xp.polygamma(1, a1) - (s1 - s2) * tri_s1,
        (b1 - b2) * xp.polygamma(1, b1) - (s1 - s2) * tri_s1,
        xp.digamma(a2) - psi_s2 - xp.digamma(a1) + psi_s1,
        xp.digamma(b2) - psi_s2 - xp.digamma(b1) + psi_s1,
    )


def _d_lgamma_mpsi(xp: Any, x: Any, c: Any) -> tuple[Any, ...]:
    # lgamma(x) + (c - x) psi(x) + x: d/dx = (c - x) psi'(x) + 1; d/dc = psi(x)
    return (c - x) * xp.polygamma(1, x) + 1.0, xp.digamma(x)


_GAMMA_HELPER_GRADS: dict[str, Callable[..., tuple[Any, ...]]] = {
    "lgamma_mpsi": _d_lgamma_mpsi,
    "lgamma_diff": _d_lgamma_diff,
    "digamma_diff": _d_digamma_diff,
    "lgamma_diff_d": _d_lgamma_diff_d,
    "digamma_diff_d": _d_digamma_diff_d,
    "lgamma_bregman": _d_lgamma_bregman,
    "lgamma_bregman_d": _d_lgamma_bregman_d,
    "gamma_bregman": _d_gamma_bregman,
    "beta_bregman": _d_beta_bregman,
}


def _betainc_fd(which: int, a: Any, b: Any, x: Any) -> np.ndarray:
    """Central difference of scipy's ``betainc`` in ``a`` (which=0) or ``b`` (which=1).

    The derivative in the shape parameters has no elementary form (it is a
    hypergeometric series); a step of 1e-5 relative gives about 9 digits.
    """
    import scipy.special

    a, b, x = np.broadcast_arrays(*(np.asarray(v, dtype=np.float64) for v in (a, b, x)))
    x = np.clip(x, 0.0, 1.0)
    shape = a if which == 0 else b
    h = 1e-5 * np.maximum(1.0, np.abs(shape))
    step = (h, 0.0) if which == 0 else (0.0, h)
    up = scipy.special.betainc(a + step[0], b + step[1], x)
    down = scipy.special.betainc(a - step[0], b - step[1], x)
    return (up - down) / (2.0 * h)


def _betainc_clamped(a: Any, b: Any, x: Any) -> np.ndarray:
    """scipy's ``betainc`` with ``x`` clamped to [0, 1].

    The generated code evaluates every branch of a ``where``; a NaN from
    ``x`` outside [0, 1] in a branch that is not taken would still turn the
    gradients of torch and JAX into NaN (0 * NaN), so the differentiable
    backends clamp ``x`` (numpy's values where ``0 <= x <= 1``).
    """
    import scipy.special

    return scipy.special.betainc(a, b, np.clip(x, 0.0, 1.0))


def _d_betainc(xp: Any, a: Any, b: Any, x: Any) -> tuple[Any, ...]:
    # d/dx I_x(a, b) = x^(a-1) (1-x)^(b-1) / B(a, b) inside (0, 1), 0 where x is clamped;
    # in a and b: central differences on the host
    inside = (x > 0.0) & (x < 1.0)
    xs = xp.where(inside, x, 0.5)
    density = xp.exp((a - 1.0) * xp.log(xs) + (b - 1.0) * xp.log1p(-xs) - xp.betaln(a, b))
    density = xp.where(inside, density, 0.0)
    da = xp._host(functools.partial(_betainc_fd, 0), a, b, x)
    db = xp._host(functools.partial(_betainc_fd, 1), a, b, x)
    return da, db, density


def _gammainc_clamped(a: Any, x: Any) -> np.ndarray:
    """scipy's ``gammainc`` with ``x`` clamped to >= 0 (see :func:`_betainc_clamped`)."""
    import scipy.special

    return scipy.special.gammainc(a, np.maximum(x, 0.0))


def _gammainc_fd_a(a: Any, x: Any) -> np.ndarray:
    """Central difference of ``gammainc`` in ``a`` (no elementary form; about 9 digits)."""
    import scipy.special

    a, x = np.broadcast_arrays(np.asarray(a, dtype=np.float64), np.maximum(np.asarray(x, dtype=np.float64), 0.0))
    h = 1e-5 * np.maximum(1.0, np.abs(a))
    return (scipy.special.gammainc(a + h, x) - scipy.special.gammainc(a - h, x)) / (2.0 * h)


def _d_gammainc(xp: Any, a: Any, x: Any) -> tuple[Any, ...]:
    # d/dx P(a, x) = x^(a-1) e^-x / Gamma(a) for x > 0 (0 where x is clamped)
    positive = x > 0.0
    xs = xp.where(positive, x, 1.0)
    density = xp.where(positive, xp.exp((a - 1.0) * xp.log(xs) - xs - xp.gammaln(a)), 0.0)
    return xp._host(_gammainc_fd_a, a, x), density


def _lambertw_real(x: Any) -> np.ndarray:
    """Principal branch of Lambert's W for real ``x >= -1/e`` (scipy returns complex)."""
    import scipy.special

    return np.real(scipy.special.lambertw(x))


def _d_lambertw(xp: Any, x: Any) -> tuple[Any, ...]:
    # W'(x) = W / (x (1 + W)) = 1 / (exp(W) (1 + W)), finite at x = 0
    w = xp._host(_lambertw_real, x)
    return (1.0 / (xp.exp(w) * (1.0 + w)),)


def _d_expi(xp: Any, x: Any) -> tuple[Any, ...]:
    return (xp.exp(x) / x,)


def _d_exp1(xp: Any, x: Any) -> tuple[Any, ...]:
    return (-xp.exp(-x) / x,)


# trigamma(z) ~ 1/z + 1/(2 z^2) + sum_k B_2k / z^(2k+1) for z >= 10
_TRIGAMMA_ASYM = (1.0 / 6.0, -1.0 / 30.0, 1.0 / 42.0, -1.0 / 30.0, 5.0 / 66.0, -691.0 / 2730.0, 7.0 / 6.0)


def _trigamma(xp: Any, x: Any) -> Any:
    """``polygamma(1, x)`` for ``x > 0`` to ~1e-16: recurrence up to 10, then the asymptotic series."""
    acc = x * 0.0
    z = x
    for _ in range(10):
        small = z < 10.0
        zs = xp.where(small, z, 1.0)
        acc = acc + xp.where(small, 1.0 / (zs * zs), 0.0)
        z = xp.where(small, z + 1.0, z)
    inv = 1.0 / z
    inv2 = inv * inv
    series = _horner(inv2, list(_TRIGAMMA_ASYM)) * inv2 * inv
    return acc + inv + 0.5 * inv2 + series


def _numpy_stable(name: str) -> Callable[..., Any]:
    import anadiv._stable as stable

    return getattr(stable, name)


class GenericLinalg:
    """:mod:`anadiv._linalg`'s functions over a library's linear algebra.

    ``ops`` supplies ``cholesky(a) -> (L, ok)``, ``solve_lower(L, b)``,
    ``diagonal(a)``, ``tril(a, k)``, ``sum(a, axis)``, ``zeros(shape, like)``.
    """

    def __init__(self, xp: Any, ops: Any) -> None:
        self.xp = xp
        self.ops = ops

    def cholesky(self, cov: Any, name: str = "cov") -> Any:
        cov = self.xp.asarray(cov)
        if cov.ndim < 2 or cov.shape[-1] != cov.shape[-2]:
            raise ValueError(f"{name}: must be square with shape (..., d, d), got shape {tuple(cov.shape)}")
        chol, ok = self.ops.cholesky(cov)
        if ok is False:
            raise ValueError(f"{name}: must be positive definite (Cholesky factorization failed)")
        return chol

    def solve_lower(self, chol: Any, rhs: Any) -> Any:
        return self.ops.solve_lower(chol, rhs)

    def dimension(self, **arrays: Any) -> int:
        from . import _linalg

        shapes = {n: _Shaped(tuple(a.shape) if hasattr(a, "shape") else np.shape(a)) for n, a in arrays.items()}
        return _linalg.dimension(**shapes)

    def logdet(self, chol: Any) -> Any:
        return 2.0 * self.ops.sum(self.xp.log(self.ops.diagonal(chol)), -1)

    def mahalanobis(self, chol: Any, diff: Any) -> Any:
        diff = self.xp.asarray(diff)
        z = self.ops.solve_lower(chol, diff[..., None])[..., 0]
        return self.ops.sum(z * z, -1)

    def trace_solve(self, chol_b: Any, chol_a: Any) -> Any:
        m = self.ops.solve_lower(chol_b, chol_a)
        return self.ops.sum(m * m, (-2, -1))

    def batch_zeros(self, x: Any, event_ndim: int) -> Any:
        x = self.xp.asarray(x)
        shape = tuple(x.shape[: x.ndim - event_ndim]) if event_ndim else tuple(x.shape)
        return self.ops.zeros(shape, x)

    def kl_core(self, cov_a: Any, chol_a: Any, cov_b: Any, chol_b: Any) -> Any:
        """``tr(B^-1 A) - d - log det(B^-1 A)`` as a sum of nonnegative terms.

        The numpy version additionally recomputes nearly equal covariances
        through eigenvalues; eigenvalue gradients are undefined for repeated
        eigenvalues (equal covariances), so the differentiable backends keep
        the Cholesky form, accurate down to KL ~ 1e-12 relative to d.
        """
        xp = self.xp
        stable = GenericStable(xp)
        m = self.ops.solve_lower(chol_b, chol_a)
        off = self.ops.sum(self.ops.tril(m, -1) ** 2, (-2, -1))
        # diag(M) = a / b from the factors' diagonals; as in anadiv._linalg._ratio_atoms,
        # r^2 - 1 = t (t + 2) from the difference, and log a - log b where r^2 << 1
        a, b = self.ops.diagonal(chol_a), self.ops.diagonal(chol_b)
        t = (a - b) / b
        x = t * (t + 2.0)
        far = x < -0.99
        near = -stable.log1pmx(xp.where(far, 0.0, x))
        r = a / b
        terms = xp.where(far, r * r - 1.0 - 2.0 * (xp.log(a) - xp.log(b)), near)
        return self.ops.sum(terms, -1) + off


class _Shaped:
    """Something with a shape only (for :func:`anadiv._linalg.dimension`)."""

    def __init__(self, shape: tuple[int, ...]) -> None:
        self.shape = shape


# ====================================================================== torch
class TorchNamespace:
    """Array namespace over PyTorch; differentiable, device-preserving.

    Python scalars and numpy arrays among the arguments are turned into
    tensors (Python floats as float64 0-d tensors, which do not promote the
    dtype of a float32 batch).
    """

    name = "torch"

    def __init__(self) -> None:
        import torch

        self.torch = torch
        sp = torch.special
        t = self._t
        wrap1 = lambda f: (lambda x: f(t(x)))  # noqa: E731
        wrapn = lambda f: (lambda *a: f(*map(t, a)))  # noqa: E731
        for nm, f in {
            "log": torch.log, "log1p": torch.log1p, "log2": torch.log2, "exp": torch.exp,
            "expm1": torch.expm1, "sqrt": torch.sqrt, "abs": torch.abs, "square": torch.square,
            "sin": torch.sin, "cos": torch.cos, "tan": torch.tan, "arctan": torch.atan,
            "sinh": torch.sinh, "cosh": torch.cosh, "tanh": torch.tanh, "arcsinh": torch.asinh,
            "floor": torch.floor, "sign": torch.sign, "isfinite": torch.isfinite,
            "logical_not": torch.logical_not,
            "gammaln": sp.gammaln, "digamma": sp.digamma, "erf": sp.erf, "erfc": sp.erfc,
            "erfcx": sp.erfcx, "log_ndtr": sp.log_ndtr, "expit": sp.expit, "logit": sp.logit,
            "ndtr": sp.ndtr, "gamma": lambda x: torch.exp(sp.gammaln(x)),
        }.items():
            setattr(self, nm, wrap1(f))
        for nm, f in {
            "arctan2": torch.atan2, "minimum": torch.minimum, "maximum": torch.maximum,
            "logical_and": torch.logical_and, "logical_or": torch.logical_or,
            "logaddexp": torch.logaddexp, "xlogy": sp.xlogy, "xlog1py": sp.xlog1py, "zeta": sp.zeta,
            "power": torch.pow,
        }.items():
            setattr(self, nm, wrapn(f))
        self.inf = math.inf
        self.nan = math.nan
        self.pi = math.pi
        self.e = math.e
        self.euler_gamma = float(np.euler_gamma)
        self.errstate = _Quiet
        self._stable = _TorchStable(self)
        self._refine = _TorchRefine(self)
        self._linalg = GenericLinalg(self, _TorchLinalgOps(torch))

    def _t(self, x: Any) -> Any:
        torch = self.torch
        if isinstance(x, torch.Tensor):
            return x
        if isinstance(x, (bool, np.bool_)):
            return torch.as_tensor(x)
        if isinstance(x, (int, float)):
            return torch.as_tensor(float(x), dtype=torch.float64)
        arr = np.asarray(x)
        if arr.dtype.kind in "biu":
            arr = arr.astype(np.float64)
        return torch.as_tensor(arr)

    def asarray(self, x: Any, dtype: Any = None) -> Any:
        out = self._t(x)
        return out if dtype is None else out.to(dtype)

    def where(self, cond: Any, a: Any, b: Any) -> Any:
        return self.torch.where(self._t(cond), self._t(a), self._t(b))

    def sum(self, x: Any, axis: Any = None) -> Any:
        x = self._t(x)
        return x.sum() if axis is None else x.sum(dim=axis)

    def polygamma(self, n: Any, x: Any) -> Any:
        if int(n) == 1:  # torch's trigamma has ~5e-10 relative error; this one ~1e-16
            return _trigamma(self, self._t(x))
        return self.torch.special.polygamma(int(n), self._t(x))

    def expi(self, x: Any) -> Any:
        """Exponential integral Ei (scipy's values; derivative e^x / x)."""
        import scipy.special

        return self._stable._function.apply("expi", scipy.special.expi, _d_expi, self, self._t(x))

    def exp1(self, x: Any) -> Any:
        """Exponential integral E1 (scipy's values; derivative -e^-x / x)."""
        import scipy.special

        return self._stable._function.apply("exp1", scipy.special.exp1, _d_exp1, self, self._t(x))

    def lambertw(self, x: Any) -> Any:
        """Lambert W, principal branch, real part (scipy's values; derivative 1/(e^W (1 + W)))."""
        return self._stable._function.apply("lambertw", _lambertw_real, _d_lambertw, self, self._t(x))

    def _host(self, np_fn: Callable[..., Any], *args: Any) -> Any:
        """``np_fn`` on the values (host numpy), as a tensor like the arguments (not differentiable)."""
        tensors = [self._t(a) for a in args]
        dtype = functools.reduce(self.torch.promote_types, [t.dtype for t in tensors])
        device = next((t.device for t in tensors if t.ndim), tensors[0].device)
        out = np_fn(*(t.detach().cpu().numpy() for t in tensors))
        return self.torch.as_tensor(np.asarray(out)).to(device=device, dtype=dtype)

    def betainc(self, a: Any, b: Any, x: Any) -> Any:
        """Regularized incomplete beta (torch has none): scipy's values, analytic derivative in
        ``x``, central differences in ``a`` and ``b``."""
        fn = self._stable._function
        return fn.apply("betainc", _betainc_clamped, _d_betainc, self, *map(self._t, (a, b, x)))

    def gammainc(self, a: Any, x: Any) -> Any:
        """Regularized lower incomplete gamma (torch has no derivative in ``a``): scipy's values,
        analytic derivative in ``x``, central differences in ``a``."""
        fn = self._stable._function
        return fn.apply("gammainc", _gammainc_clamped, _d_gammainc, self, *map(self._t, (a, x)))

    def gammaincc(self, a: Any, x: Any) -> Any:
        return 1.0 - self.gammainc(a, x)

    def betaln(self, a: Any, b: Any) -> Any:
        a, b = self._t(a), self._t(b)
        g = self.torch.special.gammaln
        return g(a) + g(b) - g(a + b)

    def beta(self, a: Any, b: Any) -> Any:
        return self.torch.exp(self.betaln(a, b))

    def result_type(self, *arrays: Any) -> Any:
        return functools.reduce(self.torch.promote_types, [self._t(a).dtype for a in arrays])

    def broadcast_shapes(self, *shapes: Any) -> tuple[int, ...]:
        return tuple(self.torch.broadcast_shapes(*shapes))

    def full(self, value: float, *arrays: Any) -> Any:
        """``value`` broadcast to the arguments' shape, dtype and device."""
        tensors = [self._t(a) for a in arrays]
        shape = self.torch.broadcast_shapes(*(t.shape for t in tensors))
        dtype = functools.reduce(self.torch.promote_types, [t.dtype for t in tensors], self.torch.float32)
        if not dtype.is_floating_point:
            dtype = self.torch.float64
        device = next((t.device for t in tensors if t.ndim), tensors[0].device if tensors else None)
        out = self.torch.full(tuple(shape), float(value), dtype=dtype, device=device)
        # Keep the graph connected so a constant KL still has a (zero) gradient.
        for t in tensors:
            if t.requires_grad:
                out = out + 0.0 * t
        return out


class _TorchLinalgOps:
    def __init__(self, torch: Any) -> None:
        self.torch = torch

    def cholesky(self, a: Any) -> tuple[Any, bool | None]:
        chol, info = self.torch.linalg.cholesky_ex(a)
        return chol, not bool((info != 0).any())

    def solve_lower(self, chol: Any, rhs: Any) -> Any:
        batch = self.torch.broadcast_shapes(chol.shape[:-2], rhs.shape[:-2])
        chol = chol.expand(*batch, *chol.shape[-2:])
        rhs = rhs.expand(*batch, *rhs.shape[-2:]).to(self.torch.promote_types(chol.dtype, rhs.dtype))
        return self.torch.linalg.solve_triangular(chol.to(rhs.dtype), rhs, upper=False)

    def diagonal(self, a: Any) -> Any:
        return self.torch.diagonal(a, dim1=-2, dim2=-1)

    def tril(self, a: Any, k: int) -> Any:
        return self.torch.tril(a, k)

    def sum(self, a: Any, axis: Any) -> Any:
        return a.sum(dim=axis)

    def zeros(self, shape: tuple[int, ...], like: Any) -> Any:
        dtype = like.dtype if like.dtype.is_floating_point else self.torch.float64
        return self.torch.zeros(shape, dtype=dtype, device=like.device)


class _TorchStable(GenericStable):
    """Stable helpers for torch: native ones from GenericStable, the
    gamma-function ones through numpy with analytic gradients."""

    def __init__(self, ns: TorchNamespace) -> None:
        super().__init__(ns)
        self._function = _torch_numpy_function(ns.torch)

    def __getattr__(self, name: str) -> Any:
        if name.startswith("__"):
            raise AttributeError(name)
        np_fn = _numpy_stable(name)
        grad = _GAMMA_HELPER_GRADS.get(name)
        fn = self._function
        ns = self.xp

        def call(*args: Any) -> Any:
            return fn.apply(name, np_fn, grad, ns, *map(ns._t, args))

        setattr(self, name, call)
        return call


def _torch_numpy_function(torch: Any) -> Any:
    class NumpyHelper(torch.autograd.Function):
        """Forward: the accurate numpy helper; backward: analytic partials."""

        @staticmethod
        def forward(ctx: Any, name: str, np_fn: Any, grad: Any, ns: Any, *tensors: Any) -> Any:
            ctx.name, ctx.grad, ctx.ns = name, grad, ns
            ctx.save_for_backward(*tensors)
            dtype = functools.reduce(torch.promote_types, [t.dtype for t in tensors])
            device = next((t.device for t in tensors if t.ndim), tensors[0].device)
            out = np_fn(*(t.detach().cpu().numpy() for t in tensors))
            return torch.as_tensor(np.asarray(out)).to(device=device, dtype=dtype)

        @staticmethod
        def backward(ctx: Any, grad_out: Any) -> Any:
            tensors = ctx.saved_tensors
            if ctx.grad is None:
                raise NotImplementedError(f"_stable.{ctx.name}: no derivative is defined for the torch backend")
            partials = ctx.grad(ctx.ns, *tensors)
            grads = []
            for i, (t, p, need) in enumerate(zip(tensors, partials, ctx.needs_input_grad[4:])):
                if need and p is None:
                    raise NotImplementedError(f"{ctx.name}: no derivative with respect to argument {i}")
                grads.append((grad_out * p).sum_to_size(t.shape) if need else None)
            return (None, None, None, None, *grads)

    return NumpyHelper


class _TorchRefine:
    """:func:`anadiv._refine.checked` for tensors: the check runs on the tensor's
    device (one synchronisation, for ``any``); only doubtful elements go to the host.

    A recomputed element is a constant: no gradient flows through it (the float
    expression it replaces was NaN, infinite or cancelled there).
    """

    def __init__(self, ns: TorchNamespace) -> None:
        self.ns = ns

    def checked(self, kind: str, value: Any, scale: Any, exact: Callable[..., Any], *params: Any) -> Any:
        from . import _refine

        torch = self.ns.torch
        params = tuple(self.ns._t(p) for p in params)
        with torch.no_grad():
            v = value.detach()
            c = 256.0 if v.dtype == torch.float64 else 8.0
            nonnegative, from_supports = _refine.rule(kind)
            ok = torch.isfinite(v) & (v >= 0) if nonnegative else torch.isfinite(v)
            if scale is not None:
                s = scale.detach() if isinstance(scale, torch.Tensor) else torch.as_tensor(scale)
                ok &= s <= c * v.abs()
                if from_supports:
                    ok |= (v == math.inf) & (s == 0)
            bad = ~ok
            for p in params:
                bad &= torch.isfinite(p)
            if not bool(bad.any()):
                return value
            args = [np.broadcast_to(p.detach().cpu().numpy(), tuple(v.shape)) for p in params]
            where = bad.cpu().numpy()
            fixed = v.cpu().numpy().copy()
            for i in zip(*np.nonzero(where)):
                fixed[i] = _refine.exact_value(exact, [float(a[i]) for a in args], kind)
            fixed_t = torch.as_tensor(fixed).to(device=v.device, dtype=v.dtype)
        return torch.where(bad, fixed_t, value)


# ======================================================================== jax
class JaxNamespace:
    """Array namespace over ``jax.numpy`` and ``jax.scipy.special``.

    Works under ``jax.grad``, ``jax.jit`` and ``jax.vmap``. JAX computes in
    float32 unless ``jax.config.update("jax_enable_x64", True)``.
    """

    name = "jax"

    def __init__(self) -> None:
        import jax
        import jax.numpy as jnp
        import jax.scipy.special as jsp

        self.jax = jax
        self.jnp = jnp
        for nm in ("log", "log1p", "log2", "exp", "expm1", "sqrt", "abs", "square", "sin", "cos", "tan",
                   "arctan", "arctan2", "sinh", "cosh", "tanh", "arcsinh", "floor", "sign", "minimum", "power",
                   "maximum", "isfinite", "logical_and", "logical_or", "logical_not", "logaddexp",
                   "where", "asarray", "sum", "result_type", "broadcast_shapes"):
            setattr(self, nm, getattr(jnp, nm))
        for nm in ("gammaln", "digamma", "erf", "erfc", "betaln", "beta", "gamma", "xlogy", "xlog1py",
                   "log_ndtr", "zeta", "expit", "logit", "ndtr"):
            if hasattr(jsp, nm):
                setattr(self, nm, getattr(jsp, nm))
        self._jsp = jsp
        self.inf = math.inf
        self.nan = math.nan
        self.pi = math.pi
        self.e = math.e
        self.euler_gamma = float(np.euler_gamma)
        self.errstate = _Quiet
        self._stable = _JaxStable(self)
        self._refine = _JaxRefine(self)
        self._linalg = GenericLinalg(self, _JaxLinalgOps(jax))

    def polygamma(self, n: Any, x: Any) -> Any:
        return self._jsp.polygamma(int(n), x)

    def expi(self, x: Any) -> Any:
        r"""Exponential integral Ei; differentiable.

        ``jax.scipy.special.expi`` runs its continued fraction for every element of
        a batch until all have converged, about ``1/|x|`` iterations: a batch holding
        ``-1e-7`` took minutes. Inside ``|x| < 1`` the series
        :math:`\gamma + \log|x| + \sum_k x^k / (k\,k!)` (20 terms, below 1e-19 of
        the result) is used, and jax's function only sees the other elements.
        """
        jnp = self.jnp
        x = jnp.asarray(x)
        inner = jnp.abs(x) < 1
        xs = jnp.where(inner, x, 0.5)
        term = xs
        total = xs
        for k in range(2, 21):
            term = term * xs / k
            total = total + term / k
        series = self.euler_gamma + jnp.log(jnp.abs(xs)) + total
        outer = self._jsp.expi(jnp.where(inner, 2.0, x))
        outer = jnp.where(x == -jnp.inf, 0.0, outer)  # jax gives NaN at -inf
        return jnp.where(inner, series, outer)

    def exp1(self, x: Any) -> Any:
        """Exponential integral E1 for ``x > 0``: ``-Ei(-x)`` (see :meth:`expi`)."""
        return -self.expi(-self.jnp.asarray(x))

    def _host(self, np_fn: Callable[..., Any], *args: Any) -> Any:
        """``np_fn`` on the values through ``jax.pure_callback`` (not differentiable)."""
        jnp = self.jnp
        args = tuple(jnp.asarray(a) for a in args)
        shape = jnp.broadcast_shapes(*(a.shape for a in args))
        dtype = jnp.result_type(*args)
        return self.jax.pure_callback(lambda *v: np.asarray(np_fn(*v), dtype=dtype),
                                      self.jax.ShapeDtypeStruct(shape, dtype), *args, vmap_method="broadcast_all")

    def lambertw(self, x: Any) -> Any:
        """Lambert W, principal branch, real part, with its derivative (JAX has none)."""
        fn = self.__dict__.get("_lambertw")
        if fn is None:
            fn = self._lambertw = _jax_numpy_helper(self, "lambertw", _lambertw_real, _d_lambertw)
        return fn(x)

    def gammainc(self, a: Any, x: Any) -> Any:
        # x clamped to >= 0: a NaN in a branch `where` discards would poison gradients
        return self._jsp.gammainc(a, self.jnp.maximum(x, 0.0))

    def gammaincc(self, a: Any, x: Any) -> Any:
        return self._jsp.gammaincc(a, self.jnp.maximum(x, 0.0))

    def betainc(self, a: Any, b: Any, x: Any) -> Any:
        """Regularized incomplete beta with derivatives in all three arguments
        (``jax.scipy.special.betainc`` has none in ``a`` and ``b``)."""
        fn = self.__dict__.get("_betainc")
        if fn is None:
            fn = self._betainc = _jax_numpy_helper(self, "betainc", _betainc_clamped, _d_betainc)
        return fn(a, b, x)

    def erfcx(self, x: Any) -> Any:
        # jax.scipy.special has no erfcx; exp(x^2) erfc(x) is accurate for moderate x.
        x = self.jnp.asarray(x)
        return self.jnp.exp(x * x) * self._jsp.erfc(x)

    def full(self, value: float, *arrays: Any) -> Any:
        jnp = self.jnp
        arrs = [jnp.asarray(a) for a in arrays]
        shape = jnp.broadcast_shapes(*(a.shape for a in arrs))
        dtype = jnp.result_type(*arrs, 1.0)
        out = jnp.full(shape, value, dtype=dtype)
        # zero-weighted inputs keep tracers (grad, vmap) attached to the result
        for a in arrs:
            out = out + 0.0 * a
        return out


class _JaxLinalgOps:
    def __init__(self, jax: Any) -> None:
        import jax.numpy as jnp
        import jax.scipy.linalg as jsl

        self.jnp = jnp
        self.jsl = jsl
        self.jax = jax

    def cholesky(self, a: Any) -> tuple[Any, bool | None]:
        chol = self.jnp.linalg.cholesky(a)
        try:  # concrete values: check; under jit the check is not possible
            ok = not bool(self.jnp.any(self.jnp.isnan(chol)))
        except self.jax.errors.ConcretizationTypeError:
            ok = None
        return chol, ok

    def solve_lower(self, chol: Any, rhs: Any) -> Any:
        jnp = self.jnp
        batch = jnp.broadcast_shapes(chol.shape[:-2], rhs.shape[:-2])
        chol = jnp.broadcast_to(chol, batch + chol.shape[-2:])
        rhs = jnp.broadcast_to(rhs, batch + rhs.shape[-2:])
        return self.jsl.solve_triangular(chol, rhs, lower=True)

    def diagonal(self, a: Any) -> Any:
        return self.jnp.diagonal(a, axis1=-2, axis2=-1)

    def tril(self, a: Any, k: int) -> Any:
        return self.jnp.tril(a, k)

    def sum(self, a: Any, axis: Any) -> Any:
        return self.jnp.sum(a, axis=axis)

    def zeros(self, shape: tuple[int, ...], like: Any) -> Any:
        return self.jnp.zeros(shape, dtype=self.jnp.result_type(like, 1.0))


class _JaxStable(GenericStable):
    """Stable helpers for JAX: native ones from GenericStable, the
    gamma-function ones through ``pure_callback`` with a custom JVP."""

    def __getattr__(self, name: str) -> Any:
        if name.startswith("__"):
            raise AttributeError(name)
        fn = _jax_numpy_helper(self.xp, name, _numpy_stable(name), _GAMMA_HELPER_GRADS.get(name))
        setattr(self, name, fn)
        return fn


def _jax_numpy_helper(ns: JaxNamespace, name: str, np_fn: Any, grad: Any) -> Callable[..., Any]:
    jax, jnp = ns.jax, ns.jnp

    @jax.custom_jvp
    def helper(*args: Any) -> Any:
        shape = jnp.broadcast_shapes(*(jnp.shape(a) for a in args))
        dtype = jnp.result_type(*args)

        def host(*arrays: Any) -> np.ndarray:
            return np.asarray(np_fn(*arrays), dtype=dtype)

        return jax.pure_callback(host, jax.ShapeDtypeStruct(shape, dtype), *args, vmap_method="broadcast_all")

    @helper.defjvp
    def helper_jvp(primals: Any, tangents: Any) -> Any:
        out = helper(*primals)
        if grad is None:
            raise NotImplementedError(f"_stable.{name}: no derivative is defined for the JAX backend")
        partials = grad(ns, *primals)
        tangent = jnp.zeros(out.shape, out.dtype)
        for p, t in zip(partials, tangents):
            if t.dtype != jax.dtypes.float0:
                tangent = tangent + p * t
        return out, jnp.broadcast_to(tangent, out.shape).astype(out.dtype)

    def call(*args: Any) -> Any:
        arrays = [jnp.asarray(a) for a in args]
        # integer literals of the generated code (lgamma_bregman_d(2, t)) as floats
        floating = jnp.result_type(*arrays, 1.0)
        return helper(*(a if jnp.issubdtype(a.dtype, jnp.floating) else a.astype(floating) for a in arrays))

    return call


class _JaxRefine:
    """:func:`anadiv._refine.checked` for JAX arrays, through ``jax.pure_callback``
    (so it works under ``jit`` and ``vmap``); recomputed elements carry no gradient."""

    def __init__(self, ns: JaxNamespace) -> None:
        self.ns = ns

    def checked(self, kind: str, value: Any, scale: Any, exact: Callable[..., Any], *params: Any) -> Any:
        from . import _refine

        jax, jnp = self.ns.jax, self.ns.jnp
        value = jnp.asarray(value)
        args = [jnp.broadcast_to(jnp.asarray(p), value.shape) for p in params]
        dtype = value.dtype

        def host(v: Any, s: Any, *ps: Any) -> Any:
            out = _refine.checked(kind, np.array(v, copy=True), None if scale is None else np.asarray(s), exact,
                                  *(np.asarray(p) for p in ps))
            return np.asarray(out, dtype=dtype)

        s = jnp.zeros((), dtype) if scale is None else jnp.broadcast_to(jnp.asarray(scale), value.shape)
        # the callback has no derivative: every operand is cut from the graph (the
        # recomputed elements carry none; the others keep value's own)
        fixed = jax.pure_callback(host, jax.ShapeDtypeStruct(value.shape, dtype), jax.lax.stop_gradient(value),
                                  jax.lax.stop_gradient(s), *(jax.lax.stop_gradient(a) for a in args),
                                  vmap_method="broadcast_all")
        changed = ~((fixed == value) | (jnp.isnan(fixed) & jnp.isnan(value)))
        return jnp.where(changed, jax.lax.stop_gradient(fixed), value)


class _DaskRefine:
    """:func:`anadiv._refine.checked` block by block."""

    def __init__(self, ns: "DaskNamespace") -> None:
        self.ns = ns

    def checked(self, kind: str, value: Any, scale: Any, exact: Callable[..., Any], *params: Any) -> Any:
        from . import _refine

        if scale is None:
            def block(v: Any, *ps: Any) -> Any:
                return _refine.checked(kind, np.array(v, copy=True), None, exact, *ps)

            return self.ns.lift(block)(value, *params)

        def block_scaled(v: Any, s: Any, *ps: Any) -> Any:
            return _refine.checked(kind, np.array(v, copy=True), s, exact, *ps)

        return self.ns.lift(block_scaled)(value, scale, *params)


# ======================================================================= dask
class DaskNamespace:
    """Array namespace over ``dask.array``: the numpy namespace, blockwise.

    Each operation becomes ``dask.array.elemwise`` of the numpy operation
    (inside ``numpy.errstate(all="ignore")``, as the numpy path suppresses
    the warnings of branches ``where`` discards), the matrix helpers become
    ``dask.array.apply_gufunc`` with the matrix axes in one chunk. Nothing is
    computed until ``.compute()``.
    """

    name = "dask"

    def __init__(self) -> None:
        import dask.array as da
        from dask.array.core import elemwise

        from ._xp import numpy_namespace

        self.da = da
        self._elemwise = elemwise
        self._np = numpy_namespace
        self.inf = math.inf
        self.nan = math.nan
        self.pi = math.pi
        self.e = math.e
        self.euler_gamma = float(np.euler_gamma)
        self.errstate = np.errstate
        self._stable = _DaskModule(self, "_stable")
        self._refine = _DaskRefine(self)
        self._linalg = _DaskLinalg(self)

    def _is_dask(self, x: Any) -> bool:
        return isinstance(x, self.da.Array)

    def lift(self, fn: Callable[..., Any]) -> Callable[..., Any]:
        """``fn`` applied blockwise when an argument is a dask array."""

        def quiet(*args: Any, **kwargs: Any) -> Any:
            with np.errstate(all="ignore"):
                return fn(*args, **kwargs)

        def call(*args: Any) -> Any:
            if not any(self._is_dask(a) for a in args):
                return fn(*args)
            return self._elemwise(quiet, *args)

        return call

    def __getattr__(self, name: str) -> Any:
        if name.startswith("__"):
            raise AttributeError(name)
        value = getattr(self._np, name)
        if callable(value):
            value = self.lift(value)
        setattr(self, name, value)
        return value

    def asarray(self, x: Any, dtype: Any = None) -> Any:
        if self._is_dask(x):
            return x if dtype is None else x.astype(dtype)
        return np.asarray(x, dtype=dtype)

    def where(self, cond: Any, a: Any, b: Any) -> Any:
        return self.lift(np.where)(cond, a, b)

    def sum(self, x: Any, axis: Any = None) -> Any:
        return self.da.sum(x, axis=axis) if self._is_dask(x) else np.sum(x, axis=axis)

    def result_type(self, *arrays: Any) -> Any:
        return np.result_type(*(a.dtype if self._is_dask(a) else a for a in arrays))

    def broadcast_shapes(self, *shapes: Any) -> tuple[int, ...]:
        return np.broadcast_shapes(*shapes)

    def polygamma(self, n: Any, x: Any) -> Any:
        return self.lift(lambda xx: self._np.polygamma(n, xx))(x)

    def full(self, value: float, *arrays: Any) -> Any:
        return self.lift(lambda *a: self._np.full(value, *a))(*arrays)


class _DaskModule:
    """A numpy helper module (``_stable``) with every function lifted blockwise."""

    def __init__(self, ns: DaskNamespace, module: str) -> None:
        self._ns = ns
        self._module = module

    def __getattr__(self, name: str) -> Any:
        if name.startswith("__"):
            raise AttributeError(name)
        value = self._ns.lift(getattr(getattr(self._ns._np, self._module), name))
        setattr(self, name, value)
        return value


class _DaskLinalg:
    """:mod:`anadiv._linalg` as ``apply_gufunc`` calls (matrix axes whole, batch axes chunked)."""

    _SIGNATURES = {
        "cholesky": "(n,n)->(n,n)",
        "solve_lower": "(n,n),(n,k)->(n,k)",
        "logdet": "(n,n)->()",
        "mahalanobis": "(n,n),(n)->()",
        "trace_solve": "(n,n),(n,n)->()",
        "kl_core": "(n,n),(n,n),(n,n),(n,n)->()",
    }

    def __init__(self, ns: DaskNamespace) -> None:
        self._ns = ns

    def __getattr__(self, name: str) -> Any:
        if name.startswith("__"):
            raise AttributeError(name)
        np_fn = getattr(self._ns._np._linalg, name)
        signature = self._SIGNATURES.get(name)
        ns = self._ns

        if signature is None:  # shape-only helpers (dimension) and batch_zeros
            if name == "batch_zeros":
                return self._batch_zeros
            return np_fn

        def call(*args: Any) -> Any:
            arrays = [a for a in args if not isinstance(a, str)]
            extra = [a for a in args if isinstance(a, str)]
            if not any(ns._is_dask(a) for a in arrays):
                return np_fn(*args)
            dtype = np.result_type(*(a.dtype if hasattr(a, "dtype") else np.asarray(a).dtype for a in arrays), 1.0)
            fn = functools.partial(_call_with_extra, np_fn, tuple(extra))
            return ns.da.apply_gufunc(fn, signature, *arrays, output_dtypes=dtype, allow_rechunk=True)

        setattr(self, name, call)
        return call

    def _batch_zeros(self, x: Any, event_ndim: int) -> Any:
        da = self._ns.da
        if not self._ns._is_dask(x):
            return self._ns._np._linalg.batch_zeros(x, event_ndim)
        keep = x.ndim - event_ndim
        chunks = x.chunks[:keep]
        return da.zeros(x.shape[:keep], dtype=np.result_type(x.dtype, 1.0), chunks=chunks)


def _call_with_extra(fn: Callable[..., Any], extra: tuple[str, ...], *arrays: Any) -> Any:
    return fn(*arrays, *extra)


# ================================================================== registry
@functools.cache
def torch_namespace() -> TorchNamespace:
    """The (single) torch namespace; imports torch."""
    return TorchNamespace()


@functools.cache
def jax_namespace() -> JaxNamespace:
    """The (single) JAX namespace; imports jax."""
    return JaxNamespace()


@functools.cache
def dask_namespace() -> DaskNamespace:
    """The (single) dask namespace; imports dask.array."""
    return DaskNamespace()


def register_all() -> None:
    """Register the torch, JAX and dask backends with :mod:`anadiv._xp` (lazily).

    Dask ranks above torch and JAX (a dask array of numpy blocks mixed with
    scalars is dask), and every library ranks above numpy and Python scalars.
    """
    from ._xp import register_backend

    register_backend("torch", torch_namespace, priority=2)
    register_backend("jax", jax_namespace, priority=2)
    register_backend("jaxlib", jax_namespace, priority=2)
    register_backend("dask", dask_namespace, priority=3)
