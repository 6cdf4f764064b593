"""Types of anadiv's public API, for annotating code that calls it.

A closed form (:func:`anadiv.kl`, :func:`anadiv.hellinger`, ...) of
distributions with numeric parameters is a ``float`` for scalar parameters
and a numpy array over the batch shape for arrays (float32 parameters keep
float32): :data:`DivergenceValue`. The generated functions
(:func:`anadiv.kl_function`) take raw parameter values and return the same:
:data:`ClosedFormFunction`.

A distribution does not carry the type of its parameters, so a type checker
sees every such call as returning :data:`DivergenceValue`; parameters that
are torch, JAX or Dask arrays give that library's array, and sympy
parameters a sympy expression (``typing.cast`` there, or annotate ``Any``).

Examples
--------
>>> from anadiv import Normal, kl
>>> from anadiv.typing import DivergenceValue
>>> value: DivergenceValue = kl(Normal(0.0, 1.0), Normal(1.0, 2.0))
>>> round(float(value), 6)
0.443147
"""

from __future__ import annotations

from typing import Any, Callable, Union

import numpy as np
from numpy.typing import NDArray

from .distribution import Distribution

__all__ = ["ClosedFormFunction", "DivergenceValue", "FamilyKey"]

DivergenceValue = Union[float, NDArray[np.floating[Any]]]
"""A closed form's value: a float (scalar parameters) or an array over the batch shape."""

ClosedFormFunction = Callable[..., DivergenceValue]
"""A generated closed form, called with P's parameter values then Q's (raw: no validation)."""

FamilyKey = Union[type[Distribution], Distribution, str]
"""What names a family in :func:`anadiv.kl_function` & co.: its class, an instance, or its name."""
