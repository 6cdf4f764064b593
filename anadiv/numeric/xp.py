"""Array namespaces for the generated code.

Every generated function starts with ``xp = namespace(*arguments)`` and then
calls only ``xp.<name>``: elementary functions, ``where``, special functions
(``gammaln``, ``digamma``, ...), the stable helpers of :mod:`anadiv.numeric.stable`
(as ``xp._stable.<name>``), the Cholesky helpers of :mod:`anadiv.numeric.linalg`
(as ``xp._linalg.<name>``) and the result check of :mod:`anadiv.numeric.refine`
(as ``xp._refine.checked``).

Backends are registered by the top-level module of the array type
(``"numpy"``, ``"torch"``, ``"jax"``, ...) with :func:`register_backend`; the
numpy backend (numpy + scipy.special) is built in, and the torch, JAX and Dask
backends (:mod:`anadiv.numeric.backends`) are registered by name, so their
library is imported only when one of its arrays is first seen. Resolution is cached per
argument *type*, so for numpy and Python scalars :func:`namespace` costs a few
dictionary look-ups: the scalar ``kl`` path must stay within microseconds.

scipy.special, :mod:`anadiv.numeric.stable` and :mod:`anadiv.numeric.linalg` are
imported on first use only, so computing a Normal-Normal KL never imports scipy.
"""

from __future__ import annotations

import importlib
import math
from typing import Any

import numpy as np

__all__ = ["namespace", "register_backend", "NumpyNamespace", "numpy_namespace", "is_dask"]


class NumpyNamespace:
    """numpy + scipy.special, with float32 kept as float32.

    Attributes are plain numpy ufuncs where possible (bound once, at class
    creation) so the generated code pays no wrapper cost on the hot path.
    """

    name = "numpy"

    # elementary functions: numpy ufuncs keep the input dtype
    log = staticmethod(np.log)
    log1p = staticmethod(np.log1p)
    log2 = staticmethod(np.log2)
    exp = staticmethod(np.exp)
    expm1 = staticmethod(np.expm1)
    sqrt = staticmethod(np.sqrt)
    abs = staticmethod(np.abs)
    square = staticmethod(np.square)
    power = staticmethod(np.power)
    sin = staticmethod(np.sin)
    cos = staticmethod(np.cos)
    tan = staticmethod(np.tan)
    arctan = staticmethod(np.arctan)
    arctan2 = staticmethod(np.arctan2)
    sinh = staticmethod(np.sinh)
    cosh = staticmethod(np.cosh)
    tanh = staticmethod(np.tanh)
    arcsinh = staticmethod(np.arcsinh)
    floor = staticmethod(np.floor)
    sign = staticmethod(np.sign)
    minimum = staticmethod(np.minimum)
    maximum = staticmethod(np.maximum)
    isfinite = staticmethod(np.isfinite)
    logical_and = staticmethod(np.logical_and)
    logical_or = staticmethod(np.logical_or)
    logical_not = staticmethod(np.logical_not)
    logaddexp = staticmethod(np.logaddexp)
    where = staticmethod(np.where)
    asarray = staticmethod(np.asarray)
    sum = staticmethod(np.sum)
    result_type = staticmethod(np.result_type)
    broadcast_shapes = staticmethod(np.broadcast_shapes)
    errstate = staticmethod(np.errstate)

    inf = math.inf
    nan = math.nan
    pi = math.pi
    e = math.e
    euler_gamma = float(np.euler_gamma)

    # special functions: resolved on first use (scipy import is slow)
    _SPECIAL = {
        "gammaln": "gammaln",
        "digamma": "psi",
        "erf": "erf",
        "erfc": "erfc",
        "erfcx": "erfcx",
        "betaln": "betaln",
        "beta": "beta",
        "gamma": "gamma",
        "xlogy": "xlogy",
        "xlog1py": "xlog1py",
        "log_ndtr": "log_ndtr",
        "zeta": "zeta",
        "expit": "expit",
        "logit": "logit",
        "ndtr": "ndtr",
        "exp1": "exp1",
        "expi": "expi",
        "lambertw": "lambertw",
        "betainc": "betainc",
        "gammainc": "gammainc",
        "gammaincc": "gammaincc",
        "i0e": "i0e",
        "i1e": "i1e",
    }

    def __getattr__(self, item: str) -> Any:
        # Only reached for attributes not set above: load lazily, then cache
        # on the class so later calls are plain attribute look-ups.
        value: Any
        if item in self._SPECIAL:
            import scipy.special

            value = staticmethod(getattr(scipy.special, self._SPECIAL[item]))
        elif item == "_stable":
            value = importlib.import_module("anadiv.numeric.stable")
        elif item == "_linalg":
            value = importlib.import_module("anadiv.numeric.linalg")
        elif item == "_refine":
            value = importlib.import_module("anadiv.numeric.refine")
        else:
            raise AttributeError(f"array namespace 'numpy' has no attribute {item!r}")
        setattr(type(self), item, value)
        return getattr(self, item)

    @staticmethod
    def polygamma(n: Any, x: Any) -> Any:
        """scipy's polygamma, cast back to x's float dtype (scipy returns float64)."""
        import scipy.special

        out = scipy.special.polygamma(n, x)
        dtype = np.result_type(x, 1.0)
        return out.astype(dtype, copy=False) if out.dtype != dtype else out

    @staticmethod
    def full(value: float, *arrays: Any) -> Any:
        """``value`` broadcast to the arguments' shape, in their float dtype.

        Used by closed forms that are constant (an infinite KL, a zero).
        """
        arrays = tuple(a if isinstance(a, (np.ndarray, np.generic, float, int)) else np.asarray(a) for a in arrays)
        shapes = [np.shape(a) for a in arrays]
        dtype = np.result_type(*arrays, 1.0)
        if not any(shapes):  # scalars: skip the shape broadcasting (hot scalar path)
            return dtype.type(value)
        return np.full(np.broadcast_shapes(*shapes), value, dtype=dtype)


#: The default namespace instance.
numpy_namespace = NumpyNamespace()

# module name of an array type -> namespace object (or a factory returning one)
_BACKENDS: dict[str, Any] = {"numpy": numpy_namespace, "builtins": numpy_namespace}
# type -> namespace, filled on first sight of each type (the fast path)
_BY_TYPE: dict[type, Any] = {
    float: numpy_namespace,
    int: numpy_namespace,
    np.ndarray: numpy_namespace,
    np.float64: numpy_namespace,
    np.float32: numpy_namespace,
}
# rank of a backend when arguments mix libraries: a non-numpy array wins over
# numpy/Python scalars (a torch tensor with a float stays torch).
_PRIORITY: dict[str, int] = {"numpy": 0, "builtins": 0}


def register_backend(module: str, ns: Any, priority: int = 1) -> None:
    """Register the namespace for arrays whose type lives in ``module``.

    Parameters
    ----------
    module : str
        Top-level module of the array type (``"torch"`` for ``torch.Tensor``).
    ns : object, callable or str
        The namespace object; or a zero-argument callable returning it, or the
        ``"package.module:function"`` path of such a callable (either way the
        library is imported only when one of its arrays is first seen).
    priority : int
        Arguments from several libraries resolve to the highest priority.
    """
    _BACKENDS[module] = ns
    _PRIORITY[module] = priority
    for typ in [t for t in _BY_TYPE if _module_of(t) == module]:
        del _BY_TYPE[typ]


def _module_of(typ: type) -> str:
    return typ.__module__.split(".", 1)[0]


def is_dask(x: Any) -> bool:
    """True for a dask array (detected without importing dask)."""
    return _module_of(type(x)) == "dask" and hasattr(x, "chunks")


def _resolve(typ: type) -> Any:
    module = _module_of(typ)
    ns = _BACKENDS.get(module)
    if ns is None:
        # Unknown types (lists, tuples, Python scalars subclasses, ...) go to numpy.
        ns = numpy_namespace
        module = "numpy"
    elif isinstance(ns, str):
        path, _, attr = ns.partition(":")
        ns = getattr(importlib.import_module(path), attr)()
        _BACKENDS[module] = ns
    elif not isinstance(ns, NumpyNamespace) and callable(ns) and not hasattr(ns, "log"):
        ns = ns()
        _BACKENDS[module] = ns
    _BY_TYPE[typ] = ns
    return ns


def namespace(*arrays: Any) -> Any:
    """The array namespace for the arguments of a generated function.

    Parameters
    ----------
    *arrays
        The arguments (floats, numpy arrays, or arrays of a registered
        backend).

    Returns
    -------
    object
        An object with ``log, log1p, exp, expm1, sqrt, abs, where, square,
        asarray, sum, inf, pi, gammaln, digamma, polygamma, erf, erfc, ...``,
        ``_stable`` (stable helpers) and ``_linalg`` (Cholesky helpers).

    Examples
    --------
    >>> import numpy as np
    >>> xp = namespace(1.0, np.ones(3))
    >>> xp.name
    'numpy'
    """
    ns = numpy_namespace
    for a in arrays:
        found = _BY_TYPE.get(type(a))
        if found is None:
            found = _resolve(type(a))
        if found is not ns and found is not numpy_namespace:
            if ns is numpy_namespace or _PRIORITY.get(found.name, 1) > _PRIORITY.get(ns.name, 1):
                ns = found
    return ns



# Other array libraries: registered by where their namespace is built, so
# torch, jax and dask are imported only when one of their arrays arrives.
# Dask ranks above torch and JAX (a dask array of numpy blocks mixed with
# scalars is dask), and every library ranks above numpy and Python scalars.
register_backend("torch", "anadiv.numeric.backends.torch_backend:namespace", priority=2)
register_backend("jax", "anadiv.numeric.backends.jax_backend:namespace", priority=2)
register_backend("jaxlib", "anadiv.numeric.backends.jax_backend:namespace", priority=2)
register_backend("dask", "anadiv.numeric.backends.dask_backend:namespace", priority=3)
