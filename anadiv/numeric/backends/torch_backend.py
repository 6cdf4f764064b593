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
        """``np_fn`` on the values (host numpy), as a tensor like the arguments (not differentiable;
        works under ``torch.func`` transforms)."""
        return self._stable._host_function.apply(np_fn, *(self._t(a) for a in args))

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


#: The gamma-function helpers that run numpy's code on eager CPU tensors (see :class:`_TorchStable`).
CPU_NUMPY_HELPERS = ("lgamma_diff", "lgamma_diff_d", "digamma_diff", "digamma_diff_d", "lgamma_bregman",
                     "lgamma_bregman_d", "lgamma_mpsi", "gamma_bregman", "beta_bregman", "gamma_bregman_step")


class _TorchStable(GenericStable):
    """Stable helpers for torch: native (GenericStable, with the gamma-function ones of
    :mod:`.generic_gamma`); a helper of :mod:`anadiv.numeric.stable` without a native
    version runs on the host with its analytic gradient (``__getattr__``).

    On eager CPU tensors the gamma-function helpers (:data:`CPU_NUMPY_HELPERS`) run
    numpy's code on the tensors' own memory (no copy, analytic gradients): it
    computes each element's branch only, where the native code, with shapes that do
    not depend on values, runs every branch and the 16-step recurrence on every
    element (10^6 Gamma KLs: about 10x faster on the CPU). On another device, under
    ``torch.func`` or ``torch.compile``, or with :attr:`numpy_on_cpu` off, they run natively.
    """

    #: Whether the gamma-function helpers run numpy's code on eager CPU tensors.
    numpy_on_cpu: bool = True

    def __init__(self, ns: TorchNamespace) -> None:
        super().__init__(ns)
        self._function = _torch_numpy_function(ns.torch)
        self._host_function = _torch_host_function(ns.torch)
        self._partials_function = _torch_partials_function(ns.torch)
        for name in CPU_NUMPY_HELPERS:
            setattr(self, name, self._numpy_on_cpu(name, getattr(self, name)))

    def _numpy_on_cpu(self, name: str, native: Callable[..., Any]) -> Callable[..., Any]:
        """``name`` through numpy's helper for eager CPU tensors, else ``native``."""
        np_fn, grad, fn, ns = _numpy_stable(name), _GAMMA_HELPER_GRADS[name], self._function, self.xp
        eager = self._subsets.eager  # type: ignore[union-attr]  # torch's namespace always has them

        def call(*args: Any) -> Any:
            tensors = [ns._t(a) for a in args]
            if self.numpy_on_cpu and all(t.device.type == "cpu" for t in tensors) and eager(*tensors):
                return fn.apply(name, np_fn, grad, ns, *tensors)
            return native(*args)

        call.__name__ = call.__qualname__ = name
        return call

    def __getattr__(self, name: str) -> Any:
        if name.startswith("__") or name.startswith("_"):
            raise AttributeError(name)
        np_fn = _numpy_stable(name)
        grad = _GAMMA_HELPER_GRADS.get(name)
        fn = self._function
        ns = self.xp

        def call(*args: Any) -> Any:
            return fn.apply(name, np_fn, grad, ns, *map(ns._t, args))

        setattr(self, name, call)
        return call

    # hooks of generic_gamma.GammaStable
    def _floats(self, *args: Any) -> tuple[Any, ...]:
        return tuple(self.xp._t(a) for a in args)

    def _wide(self, *arrays: Any) -> tuple[tuple[Any, ...], Any]:
        torch = self.xp.torch
        dtype = _result_dtype(torch, arrays)
        if dtype == torch.float64 or any(t.device.type == "mps" for t in arrays):  # MPS has no float64
            return arrays, None
        return tuple(t.to(torch.float64) for t in arrays), dtype

    def _narrow(self, x: Any, dtype: Any) -> Any:
        return x if dtype is None else x.to(dtype)

    def _is_double(self, x: Any) -> bool:
        return bool(x.dtype == self.xp.torch.float64)

    def _values_known(self, x: Any) -> bool:
        # eager tensors: a branch no element takes is skipped (one synchronisation each);
        # functorch wrappers and torch.compile's tracing get the static path
        torch = self.xp.torch
        return not (torch.compiler.is_compiling() or torch._C._functorch.is_functorch_wrapped_tensor(x))

    def _with_partials(self, name: str, fn: Callable[..., Any], partials: Callable[..., tuple[Any, ...]],
                       *args: Any) -> Any:
        return self._partials_function.apply(name, fn, partials, self.xp, *args)

    def _grad_needed(self, *args: Any) -> bool:
        # autograd records (eagerly or under torch.func.grad/vjp, whose tracked tensors require
        # grad) and some argument is differentiated; vmap alone, no_grad and constants take the
        # plain forward (no autograd.Function overhead)
        torch = self.xp.torch
        return torch.is_grad_enabled() and any(isinstance(a, torch.Tensor) and a.requires_grad for a in args)


def _result_dtype(torch: Any, tensors: Any) -> Any:
    """The dtype torch's arithmetic gives: dimensioned tensors decide over 0-d ones."""
    dims = [t.dtype for t in tensors if t.ndim] or [t.dtype for t in tensors]
    return functools.reduce(torch.promote_types, dims)


def _vmap_elementwise(apply: Callable[..., Any], info: Any, in_dims: tuple[Any, ...], args: tuple[Any, ...],
                      tensor_from: int) -> tuple[Any, int]:
    """vmap rule of an elementwise function: the batch dimension moved to the front of every
    tensor argument (a size-1 one where unbatched), the per-example shapes aligned to the
    right as broadcasting aligns them, and the function applied to the whole batch at once."""
    tensors = args[tensor_from:]
    dims = in_dims[tensor_from:]
    moved = [t.movedim(d, 0) if d is not None else t.unsqueeze(0) for t, d in zip(tensors, dims)]
    rank = max(t.ndim for t in moved)
    aligned = [t.reshape(t.shape[:1] + (1,) * (rank - t.ndim) + t.shape[1:]) for t in moved]
    out = apply(*args[:tensor_from], *aligned)
    if out.shape[0] != info.batch_size:  # every argument unbatched (cannot happen under vmap; kept total)
        out = out.expand(info.batch_size, *out.shape[1:])
    return out, 0


def _to_host(torch: Any, np_fn: Callable[..., Any], tensors: Any) -> Any:
    dtype = _result_dtype(torch, tensors)
    device = next((t.device for t in tensors if t.ndim), tensors[0].device)
    out = np_fn(*(t.detach().cpu().numpy() for t in tensors))
    return torch.as_tensor(np.asarray(out)).to(device=device, dtype=dtype)


def _torch_numpy_function(torch: Any) -> Any:
    class NumpyHelper(torch.autograd.Function):
        """Forward: the numpy function on the host; backward: analytic partials in torch ops.

        ``setup_context`` and ``vmap`` make it work under ``torch.func.grad``,
        ``jacrev`` and ``vmap`` (it is elementwise: the vmap rule runs it once on
        the whole batch)."""

        @staticmethod
        def forward(name: str, np_fn: Any, grad: Any, ns: Any, *tensors: Any) -> Any:
            return _to_host(torch, np_fn, tensors)

        @staticmethod
        def setup_context(ctx: Any, inputs: tuple[Any, ...], output: Any) -> None:
            name, _, grad, ns, *tensors = inputs
            ctx.name, ctx.grad, ctx.ns = name, grad, ns
            ctx.save_for_backward(*tensors)

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

        @staticmethod
        def vmap(info: Any, in_dims: tuple[Any, ...], *args: Any) -> tuple[Any, int]:
            return _vmap_elementwise(NumpyHelper.apply, info, in_dims, args, 4)

    return NumpyHelper


def _torch_host_function(torch: Any) -> Any:
    class HostValues(torch.autograd.Function):
        """A numpy function's values as a constant tensor (no derivative), vmappable."""

        @staticmethod
        def forward(np_fn: Any, *tensors: Any) -> Any:
            return _to_host(torch, np_fn, tensors)

        @staticmethod
        def setup_context(ctx: Any, inputs: tuple[Any, ...], output: Any) -> None:
            ctx.mark_non_differentiable(output)

        @staticmethod
        def backward(ctx: Any, grad_out: Any) -> Any:
            raise NotImplementedError("host values carry no derivative")

        @staticmethod
        def vmap(info: Any, in_dims: tuple[Any, ...], *args: Any) -> tuple[Any, int]:
            return _vmap_elementwise(HostValues.apply, info, in_dims, args, 1)

    return HostValues


def _torch_partials_function(torch: Any) -> Any:
    class NativeWithPartials(torch.autograd.Function):
        """Forward: a native torch expression; backward: its analytic partials.

        For the elementary stable helpers (one recorded node instead of the dozens
        of their branches, widening and subsets; the partials keep the relative
        accuracy near cancellation) and the Gamma and Beta KL helpers, whose forward
        hands cancelling elements to the result check (NaN) and whose derivative is
        elementary. Everything is torch ops, so torch generates the vmap rule, and
        the backward is itself differentiable (double backward, ``torch.func.hessian``)."""

        generate_vmap_rule = True

        @staticmethod
        def forward(name: str, fn: Any, grad: Any, ns: Any, *tensors: Any) -> Any:
            return fn(*tensors)

        @staticmethod
        def setup_context(ctx: Any, inputs: tuple[Any, ...], output: Any) -> None:
            _, _, grad, ns, *tensors = inputs
            ctx.grad, ctx.ns = grad, ns
            ctx.save_for_backward(*tensors)
            ctx.save_for_forward(*tensors)

        @staticmethod
        def backward(ctx: Any, grad_out: Any) -> Any:
            tensors = ctx.saved_tensors
            partials = ctx.grad(ctx.ns, *tensors)
            grads = [(grad_out * p).sum_to_size(t.shape) if need else None
                     for t, p, need in zip(tensors, partials, ctx.needs_input_grad[4:])]
            return (None, None, None, None, *grads)

        @staticmethod
        def jvp(ctx: Any, *tangents: Any) -> Any:
            # forward mode (torch.func.jvp, jacfwd, hessian): the partials times the tangents
            tensors = ctx.saved_tensors
            partials = ctx.grad(ctx.ns, *tensors)
            terms = [p * t for p, t in zip(partials, tangents[4:]) if t is not None]
            # the output's (broadcast) shape even where the partials depend on fewer arguments
            return functools.reduce(lambda x, y: x + y, terms).expand(torch.broadcast_shapes(*(t.shape for t in tensors)))

    return NativeWithPartials


class _TorchRefine:
    """:func:`anadiv.numeric.refine.checked` for tensors: the check runs on the tensor's
    device (one synchronisation, for ``any``); only doubtful elements go to the host.

    Under ``torch.func`` transforms (``grad``, ``vmap``, ``jacrev``: the tensors
    are functorch wrappers, whose values Python cannot branch on) and while
    ``torch.compile`` traces, the check runs instead as an elementwise host
    function with a vmap rule (:func:`_torch_check_function`): the values and
    parameters go to the host, numpy's :func:`~anadiv.numeric.refine.checked`
    recomputes the doubtful elements, and the elements it changed replace the
    float result (as the JAX backend does through ``pure_callback``).

    A recomputed element is a constant: no gradient flows through it (the float
    expression it replaces was NaN, infinite or cancelled there).
    """

    def __init__(self, ns: TorchNamespace) -> None:
        self.ns = ns
        self._check_function = _torch_check_function(ns.torch)

    def _transformed(self, *tensors: Any) -> bool:
        torch = self.ns.torch
        if torch.compiler.is_compiling():
            return True
        wrapped = torch._C._functorch.is_functorch_wrapped_tensor
        return any(isinstance(t, torch.Tensor) and wrapped(t) for t in tensors)

    def checked(self, kind: str, value: Any, scale: Any, exact: Callable[..., Any], *params: Any) -> Any:
        from .. import refine as _refine

        torch = self.ns.torch
        params = tuple(self.ns._t(p) for p in params)
        if self._transformed(value, scale, *params):
            return self._checked_transformed(kind, value, scale, exact, params)
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

    def _checked_transformed(self, kind: str, value: Any, scale: Any, exact: Callable[..., Any],
                             params: tuple[Any, ...]) -> Any:
        from .. import refine as _refine

        torch = self.ns.torch
        events = _refine.event_ndims(exact, len(params))
        v = value.detach()
        shape = tuple(v.shape)
        s = v.new_zeros(()) if scale is None else self.ns._t(scale).detach().to(v.dtype).expand(shape)
        ps = [p.detach().expand(shape + (tuple(p.shape[-1:]) if e else ())) for p, e in zip(params, events)]
        fixed = self._check_function.apply(kind, exact, scale is not None, tuple(events), v, s, *ps)
        changed = ~((fixed == v) | (torch.isnan(fixed) & torch.isnan(v)))
        return torch.where(changed, fixed, value)

    def defined(self, value: Any, message: str, *params: Any) -> Any:
        """:func:`anadiv.numeric.refine.defined` on the host (one synchronisation, for ``any``).

        Under ``torch.func`` transforms and ``torch.compile`` Python cannot read the
        values: there the NaN stays (call the function untransformed to have it checked)."""
        from .. import refine as _refine

        torch = self.ns.torch
        if self._transformed(value, *params):
            return value
        if not bool(torch.isnan(value.detach()).any()):
            return value
        _refine.defined(value.detach().cpu().numpy(), message,
                        *(self.ns._t(p).detach().cpu().numpy() for p in params))
        return value


def _torch_check_function(torch: Any) -> Any:
    class HostCheck(torch.autograd.Function):
        """numpy's :func:`anadiv.numeric.refine.checked` on the values, as a constant tensor.

        Arguments after the tensors' metadata: the value, the cancellation scale (a 0-d
        zero when there is none) and the parameters, each broadcast to the value's shape
        (plus the event dimension of a vector parameter). Elementwise over the value's
        elements, so its vmap rule moves the batch dimension to the front and checks the
        whole batch in one call."""

        @staticmethod
        def forward(kind: str, exact: Any, has_scale: bool, events: tuple[int, ...], v: Any, s: Any,
                    *ps: Any) -> Any:
            from .. import refine as _refine

            out = _refine.checked(kind, v.cpu().numpy().copy(), s.cpu().numpy() if has_scale else None, exact,
                                  *(p.cpu().numpy() for p in ps))
            return torch.as_tensor(np.asarray(out)).to(device=v.device, dtype=v.dtype)

        @staticmethod
        def setup_context(ctx: Any, inputs: tuple[Any, ...], output: Any) -> None:
            ctx.mark_non_differentiable(output)

        @staticmethod
        def backward(ctx: Any, grad_out: Any) -> Any:
            raise NotImplementedError("the result check carries no derivative")

        @staticmethod
        def vmap(info: Any, in_dims: tuple[Any, ...], kind: str, exact: Any, has_scale: bool,
                 events: tuple[int, ...], v: Any, s: Any, *ps: Any) -> tuple[Any, int]:
            size = info.batch_size

            def front(t: Any, d: Any) -> Any:
                return t.movedim(d, 0) if d is not None else t.unsqueeze(0).expand(size, *t.shape)

            vb = front(v, in_dims[4])
            sb = front(s, in_dims[5]).expand(vb.shape) if has_scale else s
            pb = [front(p, d) for p, d in zip(ps, in_dims[6:])]
            return HostCheck.apply(kind, exact, has_scale, events, vb, sb, *pb), 0

    return HostCheck


# ======================================================================== jax


@functools.cache
def namespace() -> TorchNamespace:
    """The (single) torch namespace; imports torch."""
    return TorchNamespace()
