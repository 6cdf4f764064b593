"""The PyTorch backend: ``torch.Tensor`` arguments compute with torch ops.

Results are tensors on the inputs' device and gradients flow (``backward()``
on a KL term of a training loss). torch is imported when the first tensor
reaches a generated function; it is never a dependency.
"""

from __future__ import annotations

import functools
import math
from typing import Any, Callable

import numpy as np

from .generic import (
    Constants,
    GenericLinalg,
    GenericStable,
    _GAMMA_HELPER_GRADS,
    _Quiet,
    _betainc_clamped,
    _d_betainc,
    _d_exp1,
    _d_expi,
    _d_gammainc,
    _d_lambertw,
    _gammainc_clamped,
    _lambertw_real,
    _numpy_stable,
    _trigamma,
)

__all__ = ["TorchNamespace", "namespace"]


class TorchNamespace(Constants):
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
            "i0e": sp.i0e, "i1e": sp.i1e,
        }.items():
            setattr(self, nm, wrap1(f))
        for nm, f in {
            "arctan2": torch.atan2, "minimum": torch.minimum, "maximum": torch.maximum,
            "logical_and": torch.logical_and, "logical_or": torch.logical_or,
            "logaddexp": torch.logaddexp, "xlogy": sp.xlogy, "xlog1py": sp.xlog1py, "zeta": sp.zeta,
            "power": torch.pow,
        }.items():
            setattr(self, nm, wrapn(f))
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
    """:func:`anadiv.numeric.refine.checked` for tensors: the check runs on the tensor's
    device (one synchronisation, for ``any``); only doubtful elements go to the host.

    A recomputed element is a constant: no gradient flows through it (the float
    expression it replaces was NaN, infinite or cancelled there).
    """

    def __init__(self, ns: TorchNamespace) -> None:
        self.ns = ns

    def checked(self, kind: str, value: Any, scale: Any, exact: Callable[..., Any], *params: Any) -> Any:
        from .. import refine as _refine

        torch = self.ns.torch
        params = tuple(self.ns._t(p) for p in params)
        with torch.no_grad():
            v = value.detach()
            c = 256.0 if v.dtype == torch.float64 else 8.0
            nonnegative, from_supports = _refine.rule(kind)
            if scale is None and v.numel() > 1 and v.is_floating_point():
                # the common case in one reduction (one kernel instead of two per parameter):
                # all finite (and >= 0 for a divergence); a NaN fails both comparisons
                lo, hi = torch.stack(torch.aminmax(v)).tolist()
                if (lo >= 0 if nonnegative else lo > -math.inf) and hi < math.inf:
                    return value
            ok = torch.isfinite(v) & (v >= 0) if nonnegative else torch.isfinite(v)
            if scale is not None:
                s = scale.detach() if isinstance(scale, torch.Tensor) else torch.as_tensor(scale)
                ok &= s <= c * v.abs()
                if from_supports:
                    ok |= (v == math.inf) & (s == 0)
            bad = ~ok
            events = _refine.event_ndims(exact, len(params))
            for p, e in zip(params, events):
                # a vector parameter (event_ndim 1) is valid where all its coordinates are finite
                bad &= torch.isfinite(p) if e == 0 else torch.isfinite(p).all(dim=-1)
            if not bool(bad.any()):
                return value
            shape = tuple(v.shape)
            args = [np.broadcast_to(p.detach().cpu().numpy(), shape + (tuple(p.shape[-1:]) if e else ()))
                    for p, e in zip(params, events)]
            where = bad.cpu().numpy()
            fixed = v.cpu().numpy().copy()
            for i in zip(*np.nonzero(where)):
                point = [[float(x) for x in a[i]] if e else float(a[i]) for a, e in zip(args, events)]
                fixed[i] = _refine.exact_value(exact, point, kind)
            fixed_t = torch.as_tensor(fixed).to(device=v.device, dtype=v.dtype)
        return torch.where(bad, fixed_t, value)

    def defined(self, value: Any, message: str, *params: Any) -> Any:
        """:func:`anadiv.numeric.refine.defined` on the host (one synchronisation, for ``any``)."""
        from .. import refine as _refine

        torch = self.ns.torch
        if not bool(torch.isnan(value.detach()).any()):
            return value
        _refine.defined(value.detach().cpu().numpy(), message,
                        *(self.ns._t(p).detach().cpu().numpy() for p in params))
        return value


# ======================================================================== jax


@functools.cache
def namespace() -> TorchNamespace:
    """The (single) torch namespace; imports torch."""
    return TorchNamespace()
