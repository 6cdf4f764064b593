"""Closed forms compiled for an array library: the whole formula as one fused kernel.

A generated closed form run eagerly on torch tensors or JAX arrays launches one
kernel per operation (a pass over memory each: the branches of the stable
helpers add several). :func:`compiled` hands the same function to the
library's compiler, ``torch.compile`` or ``jax.jit``, which fuses the
elementwise formula into one kernel reading the parameters once and writing
the result once; the accurate branches run in registers (the helpers take
their ``where`` form when traced, :class:`anadiv.numeric.backends.generic.GenericStable`).

The result check stays: under ``torch.compile`` its one synchronisation (is
every value finite and nonnegative?) is a graph break after the fused kernel;
under ``jax.jit`` it is the backend's ``pure_callback``. The compiled function
gives the eager function's values (the same branches and series).

Compilers are a registry (:data:`COMPILERS`): one entry per library.
"""

from __future__ import annotations

import functools
from typing import Any, Callable

__all__ = ["compiled", "COMPILERS"]


def _torch_compile(fn: Callable[..., Any]) -> Callable[..., Any]:
    try:
        import torch
    except ImportError as err:
        raise ImportError("compile='torch' needs PyTorch (pip install torch)") from err
    compile_fn = getattr(torch, "compile", None)
    dynamo = getattr(torch, "_dynamo", None)
    if compile_fn is None or (dynamo is not None and not dynamo.is_dynamo_supported()):
        raise RuntimeError(
            f"compile='torch': torch.compile is not available with torch {torch.__version__} on this "
            "Python; call the function without compile (eager torch gives the same values)"
        )
    fused = compile_fn(fn, dynamic=None)
    from .numeric.xp import namespace

    @functools.wraps(fn)
    def call(*args: Any) -> Any:
        # the array namespace resolved here first: its first resolution imports the backend,
        # which inside the traced function would be a graph break splitting the formula
        namespace(*args)
        try:
            return fused(*args)
        except Exception as err:  # a backend failure (no C++ compiler for CPU tensors, ...)
            if type(err).__name__ not in ("BackendCompilerFailed", "InductorError"):
                raise
            raise RuntimeError(
                f"compile='torch': torch.compile could not build {fn.__name__} ({type(err).__name__}: "
                f"{str(err).splitlines()[0] if str(err) else ''}); on the CPU it needs a C++ compiler. "
                "Call the function without compile (eager torch gives the same values)"
            ) from err

    return call


def _jax_jit(fn: Callable[..., Any]) -> Callable[..., Any]:
    try:
        import jax
    except ImportError as err:
        raise ImportError("compile='jax' needs JAX (pip install jax)") from err
    return functools.wraps(fn)(jax.jit(fn))


COMPILERS: dict[str, Callable[[Callable[..., Any]], Callable[..., Any]]] = {
    "torch": _torch_compile,
    "jax": _jax_jit,
}


def compiled(fn: Callable[..., Any], backend: str) -> Callable[..., Any]:
    r"""``fn`` compiled by an array library's compiler: one fused kernel per call.

    Parameters
    ----------
    fn : callable
        A generated closed form, e.g. :func:`anadiv.kl_function` ``("normal", "normal")``.
    backend : {"torch", "jax"}
        ``"torch"``: ``torch.compile(fn)`` (call it with tensors; on the CPU
        inductor needs a C++ compiler); ``"jax"``: ``jax.jit(fn)``.

    Returns
    -------
    callable
        Same arguments and values as ``fn``. The first call (and a call with a
        new shape or dtype) compiles, which takes seconds; later calls run the
        fused kernel.

    Raises
    ------
    ValueError
        For an unknown ``backend``.
    ImportError, RuntimeError
        When the library or its compiler is not available.

    Examples
    --------
    >>> import anadiv, jax.numpy as jnp
    >>> f = anadiv.kl_function("normal", "normal", compile="jax")
    >>> round(float(f(jnp.float32(0.0), jnp.float32(1.0), jnp.float32(1.0), jnp.float32(2.0))), 5)
    0.44315
    """
    if not isinstance(backend, str) or backend not in COMPILERS:
        raise ValueError(f"compile: must be one of {sorted(COMPILERS)}, got {backend!r}")
    return COMPILERS[backend](fn)
