"""The Dask backend: ``dask.array.Array`` arguments stay lazy and chunked.

Every operation is applied blockwise to the numpy namespace (``elemwise``;
``apply_gufunc`` for the matrix helpers), so the result is a lazy dask array
evaluated by dask's schedulers with exactly the numpy code's values.
"""

from __future__ import annotations

import functools
from typing import Any, Callable

import numpy as np

from .generic import Constants

__all__ = ["DaskNamespace", "namespace"]


class _DaskRefine:
    """:func:`anadiv.numeric.refine.checked` block by block."""

    def __init__(self, ns: "DaskNamespace") -> None:
        self.ns = ns

    def checked(self, kind: str, value: Any, scale: Any, exact: Callable[..., Any], *params: Any) -> Any:
        from .. import refine as _refine

        events = _refine.event_ndims(exact, len(params))
        if any(events):
            return self._checked_vectors(kind, value, scale, exact, params, events)
        if scale is None:
            def block(v: Any, *ps: Any) -> Any:
                return _refine.checked(kind, np.array(v, copy=True), None, exact, *ps)

            return self.ns.lift(block)(value, *params)

        def block_scaled(v: Any, s: Any, *ps: Any) -> Any:
            return _refine.checked(kind, np.array(v, copy=True), s, exact, *ps)

        return self.ns.lift(block_scaled)(value, scale, *params)

    def _checked_vectors(self, kind: str, value: Any, scale: Any, exact: Callable[..., Any],
                         params: tuple[Any, ...], events: tuple[int, ...]) -> Any:
        """The check with vector parameters: each block gets its rows' coordinates whole."""
        import dask.array as da

        from .. import refine as _refine

        value = da.asarray(value)
        batch = tuple(range(value.ndim))
        operands: list[Any] = [value, batch]
        if scale is not None:
            operands += [da.broadcast_to(da.asarray(scale), value.shape), batch]
        for p, e in zip(params, events):
            p = da.asarray(p)
            if e:
                # the coordinate axis in one chunk: the exact form needs every coordinate of a row
                p = da.broadcast_to(p, value.shape + p.shape[-1:]).rechunk({value.ndim: -1})
                operands += [p, batch + (value.ndim,)]
            else:
                operands += [da.broadcast_to(p, value.shape), batch]

        def block(v: Any, *rest: Any) -> Any:
            s, ps = (rest[0], rest[1:]) if scale is not None else (None, rest)
            with np.errstate(all="ignore"):
                return _refine.checked(kind, np.array(v, copy=True), s, exact, *ps)

        return da.blockwise(block, batch, *operands, dtype=value.dtype, concatenate=True)

    def defined(self, value: Any, message: str, *params: Any) -> Any:
        """:func:`anadiv.numeric.refine.defined` block by block (raised when the block is computed)."""
        from .. import refine as _refine

        def block(v: Any, *ps: Any) -> Any:
            return _refine.defined(v, message, *ps)

        return self.ns.lift(block)(value, *params)


# ======================================================================= dask
class DaskNamespace(Constants):
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

        from ..xp import numpy_namespace

        from dask.base import tokenize

        self.da = da
        self._elemwise = elemwise
        self._tokenize = tokenize
        self._fn_tokens: dict[Callable[..., Any], str] = {}
        self._np = numpy_namespace
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

        label = getattr(fn, "__name__", "op")

        def call(*args: Any) -> Any:
            if not any(self._is_dask(a) for a in args):
                return fn(*args)
            # The graph key is named here from a token of ``fn`` computed once: dask
            # would tokenize the function (by pickling it) at every operation.
            return self._elemwise(quiet, *args, name=f"{label}-{self._tokenize(self._token_of(fn), *args)}")

        return call

    def _token_of(self, fn: Callable[..., Any]) -> str:
        if getattr(fn, "__closure__", None) is not None:
            # made per call (the result check's block): kept by no cache, so none grows
            return str(self._tokenize(fn))
        token = self._fn_tokens.get(fn)
        if token is None:  # a ufunc or a module's function: lives as long as the process
            token = self._fn_tokens[fn] = self._tokenize(fn)
        return token

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
    """:mod:`anadiv.numeric.linalg` as ``apply_gufunc`` calls (matrix axes whole, batch axes chunked)."""

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


@functools.cache
def namespace() -> DaskNamespace:
    """The (single) dask namespace; imports dask.array."""
    return DaskNamespace()
