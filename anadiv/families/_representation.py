"""How a family tells the expectation engine what its random variable is.

A family may declare (``Family.sym_representation``) that ``X = transform(Y)``
for a ``Y`` with a simple piecewise base density; the engine
(:mod:`anadiv.symbolic.expectations`) then integrates in ``Y``'s coordinates.
This is the families' vocabulary for that declaration, kept here so that a
family module never imports the engine. sympy is imported only inside the
base densities.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable

__all__ = ["Representation", "std_normal_density", "exp1_density"]


@dataclass(frozen=True)
class Representation:
    """``X = transform(Y, *params)`` where ``Y`` has a piecewise base density.

    ``pieces(y, *params)`` lists ``(lo, hi, density)``; ``inverse`` solves
    ``transform(y) = x`` for ``y``; ``symmetric`` marks ``X = loc + scale*Y``
    with ``Y`` symmetric about 0, in which case ``loc_scale(*params)`` returns
    ``(loc, scale)``.
    """

    pieces: Callable[..., list[tuple[Any, Any, Any]]]
    transform: Callable[..., Any]
    inverse: Callable[..., Any]
    increasing: bool
    text: str
    loc_scale: Callable[..., tuple[Any, Any]] | None = None

    @property
    def symmetric(self) -> bool:
        return self.loc_scale is not None


def std_normal_density(y: Any) -> Any:
    """The standard normal density, a base density of several representations."""
    import sympy as sp

    return sp.exp(-(y**2) / 2) / sp.sqrt(2 * sp.pi)


def exp1_density(y: Any) -> Any:
    """The Exp(1) density on y >= 0, a base density of several representations."""
    import sympy as sp

    return sp.exp(-y)

