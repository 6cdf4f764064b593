"""The JAX backend: ``jax.Array`` arguments and tracers compute with ``jax.numpy``.

Works under ``jax.grad``, ``jax.jit`` and ``jax.vmap``. The stable helpers,
the gamma-function ones included, are native ``jax.numpy``
(:mod:`.generic` and :mod:`.generic_gamma`); ``lambertw``, the shape
derivatives of ``betainc`` and the result check reach numpy through
``jax.pure_callback``.
jax is imported when the first JAX array reaches a generated function.
"""

from __future__ import annotations

import functools
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
    _d_lambertw,
    _lambertw_real,
    _numpy_stable,
)

__all__ = ["JaxNamespace", "namespace"]


class JaxNamespace(Constants):
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
                   "log_ndtr", "zeta", "expit", "logit", "ndtr", "i0e", "i1e"):
            if hasattr(jsp, nm):
                setattr(self, nm, getattr(jsp, nm))
        self._jsp = jsp
        self.errstate = _Quiet
        # a value the compiler must keep as computed: XLA simplifies (1 + t) - 1 to t, which
        # undoes the rounding that Goldberg's log1p (GenericStable._log1p_from_log) relies on
        self.as_rounded = jax.lax.optimization_barrier
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
    """Stable helpers for JAX: all native (GenericStable, with the gamma-function ones of
    :mod:`.generic_gamma`); a helper of :mod:`anadiv.numeric.stable` without a native
    version would run through ``pure_callback`` with a custom JVP (``__getattr__``)."""

    def __getattr__(self, name: str) -> Any:
        if name.startswith("_"):
            raise AttributeError(name)
        fn = _jax_numpy_helper(self.xp, name, _numpy_stable(name), _GAMMA_HELPER_GRADS.get(name))
        setattr(self, name, fn)
        return fn

    # hooks of generic_gamma.GammaStable
    def _floats(self, *args: Any) -> tuple[Any, ...]:
        jnp = self.xp.jnp
        arrays = [jnp.asarray(a) for a in args]
        # integer literals of the generated code (lgamma_bregman_d(2, t)) as floats
        floating = jnp.result_type(*arrays, 1.0)
        return tuple(a if jnp.issubdtype(a.dtype, jnp.floating) else a.astype(floating) for a in arrays)

    def _wide(self, *arrays: Any) -> tuple[tuple[Any, ...], Any]:
        jnp = self.xp.jnp
        dtype = jnp.result_type(*arrays)
        if dtype == jnp.float64 or not self.xp.jax.config.jax_enable_x64:  # no float64 without x64
            return arrays, None
        return tuple(a.astype(jnp.float64) for a in arrays), dtype

    def _narrow(self, x: Any, dtype: Any) -> Any:
        return x if dtype is None else x.astype(dtype)

    def _is_double(self, x: Any) -> bool:
        return bool(x.dtype == self.xp.jnp.float64)

    def _host_helper(self, name: str) -> Callable[..., Any] | None:
        # without x64 JAX has no float64: numpy's helper (pure_callback, custom JVP) keeps float32's accuracy
        if self.xp.jax.config.jax_enable_x64:
            return None
        return getattr(self, "_host_" + name, None) or self.__dict__.setdefault(
            "_host_" + name, _jax_numpy_helper(self.xp, name, _numpy_stable(name), _GAMMA_HELPER_GRADS.get(name)))

    def _values_known(self, x: Any) -> bool:
        # concrete arrays (eager): a branch no element takes is skipped; tracers get the static path
        return not isinstance(x, self.xp.jax.core.Tracer)

    def _sum_terms(self, start: Any, term: Callable[..., Any], table: tuple[tuple[float, ...], ...]) -> Any:
        # traced (jit, grad, vmap): one loop body to trace and compile instead of one per row
        # (unrolled, a Gamma KL under vmap(grad) took seconds to trace); eager: the Python
        # loop (an eager fori_loop would compile its body on every call)
        jax, jnp = self.xp.jax, self.xp.jnp
        if not isinstance(start, jax.core.Tracer):
            return super()._sum_terms(start, term, table)
        dtype = jnp.result_type(start)
        columns = [jnp.asarray(col, dtype=dtype) for col in zip(*table)]
        first = term(*(col[0] for col in columns))
        start = jnp.broadcast_to(start, jnp.broadcast_shapes(jnp.shape(start), jnp.shape(first))).astype(
            jnp.result_type(start, first))
        return jax.lax.fori_loop(0, len(table), lambda k, acc: acc + term(*(col[k] for col in columns)), start)

    def _with_partials(self, name: str, fn: Callable[..., Any], partials: Callable[..., tuple[Any, ...]],
                       *args: Any) -> Any:
        cache = self.__dict__.setdefault("_partials_cache", {})
        wrapped = cache.get(name)
        if wrapped is None:
            wrapped = cache[name] = _jax_with_partials(self.xp, fn, partials)
        return wrapped(*args)


def _jax_with_partials(ns: JaxNamespace, fn: Callable[..., Any], grad: Callable[..., tuple[Any, ...]]) -> Any:
    """``fn`` (native jax.numpy) with the analytic partials ``grad(ns, *args)`` as its JVP."""
    jax, jnp = ns.jax, ns.jnp
    helper = jax.custom_jvp(fn)

    @helper.defjvp
    def helper_jvp(primals: Any, tangents: Any) -> Any:
        out = fn(*primals)
        tangent = jnp.zeros(out.shape, out.dtype)
        for p, t in zip(grad(ns, *primals), tangents):
            tangent = tangent + p * t
        return out, jnp.broadcast_to(tangent, out.shape).astype(out.dtype)

    return helper


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
    """:func:`anadiv.numeric.refine.checked` for JAX arrays, through ``jax.pure_callback``
    (so it works under ``jit`` and ``vmap``); recomputed elements carry no gradient."""

    def __init__(self, ns: JaxNamespace) -> None:
        self.ns = ns

    def checked(self, kind: str, value: Any, scale: Any, exact: Callable[..., Any], *params: Any) -> Any:
        from .. import refine as _refine

        jax, jnp = self.ns.jax, self.ns.jnp
        value = jnp.asarray(value)
        events = _refine.event_ndims(exact, len(params))
        args = [jnp.broadcast_to(jnp.asarray(p), value.shape + (jnp.shape(p)[-1:] if e else ()))
                for p, e in zip(params, events)]
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

    def defined(self, value: Any, message: str, *params: Any) -> Any:
        """:func:`anadiv.numeric.refine.defined` on concrete arrays.

        Under ``jit`` the values are not known when the function is traced and
        an exception cannot be raised from compiled code: there the NaN stays
        (call the function outside ``jit`` to have it checked).
        """
        from .. import refine as _refine

        try:
            host = [np.asarray(a) for a in (value, *params)]
        except self.ns.jax.errors.TracerArrayConversionError:
            return value
        _refine.defined(host[0], message, *host[1:])
        return value


@functools.cache
def namespace() -> JaxNamespace:
    """The (single) jax namespace; imports jax."""
    return JaxNamespace()
