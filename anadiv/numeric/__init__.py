"""The numeric infrastructure under every closed form and estimator (no sympy).

=============================  ==============================================
module                         job
=============================  ==============================================
:mod:`.xp`                     array namespaces: ``namespace(*args)`` picks
                               numpy, torch, JAX or Dask for generated code;
                               :func:`register_backend` adds a library
:mod:`.backends`               the torch, JAX and Dask namespaces (imported
                               only when one of their arrays arrives)
:mod:`.stable`                 numerically stable helpers of generated code
:mod:`.refine`                 the result check and exact (mpmath) fallback
:mod:`.linalg`, :mod:`.blas`   batched Cholesky algebra, BLAS without the GIL
:mod:`.blocks`, :mod:`.threads` large batches cut into blocks over one pool
:mod:`.validation`             checks of user input, messages naming the
                               argument
=============================  ==============================================

Importing this package imports nothing (its names load :mod:`.xp` on first
use), so ``import anadiv`` pays only for the modules it uses.

Examples
--------
A backend is a namespace object with the names the generated code calls
(``log``, ``exp``, ``where``, ..., see :class:`~.xp.NumpyNamespace`),
registered under the top-level module of its array type:

>>> import anadiv.numeric as numeric
>>> class Traced(numeric.NumpyNamespace):
...     name = "mylib"
>>> numeric.register_backend("mylib", Traced())
>>> numeric.namespace(1.0).name
'numpy'
"""

from __future__ import annotations

import importlib
from typing import Any

__all__ = ["NumpyNamespace", "namespace", "numpy_namespace", "register_backend"]


def __getattr__(name: str) -> Any:
    if name in __all__:
        return getattr(importlib.import_module("anadiv.numeric.xp"), name)
    raise AttributeError(f"module 'anadiv.numeric' has no attribute {name!r}")
