"""Binding of scipy's arguments and the checks shared by the families' ``_from_scipy_params`` converters.

scipy's continuous distributions all carry a ``loc`` shift and a ``scale``;
several anadiv families have a fixed support start (0) or a fixed interval
([0, 1]) and so cannot represent every shifted or scaled scipy object. These
checks raise a ``ValueError`` naming the scipy argument that has no
equivalent.
"""

from __future__ import annotations

from typing import Any

import numpy as np


class NotRepresentable(ValueError):
    """A scipy ``loc`` or ``scale`` that the anadiv family cannot express (a shifted or stretched support).

    A ``ValueError`` for :func:`anadiv.from_scipy`, which refuses such objects;
    the front doors that take scipy objects catch it and fall back to the
    adapter on scipy's own methods (:mod:`anadiv.families._scipy_objects`).
    """


def require_zero_loc(loc: Any, scipy_name: str) -> None:
    """Reject a shifted support, which the anadiv family cannot express."""
    if np.any(np.asarray(loc) != 0):
        raise NotRepresentable(
            f"loc: scipy.stats.{scipy_name} with loc != 0 (a shifted support) has no anadiv equivalent; "
            f"got loc={loc!r}"
        )


def require_unit_scale(scale: Any, scipy_name: str) -> None:
    """Reject a rescaled support, which the anadiv family cannot express."""
    if np.any(np.asarray(scale) != 1):
        raise NotRepresentable(
            f"scale: scipy.stats.{scipy_name} with scale != 1 (a stretched support) has no anadiv equivalent; "
            f"got scale={scale!r}"
        )


def shapes_loc_scale(frozen: Any) -> tuple[dict[str, Any], Any, Any]:
    """Bind a frozen univariate distribution's arguments to (shapes, loc, scale)."""
    dist = frozen.dist
    shape_names = [s.strip() for s in (dist.shapes or "").split(",") if s.strip()]
    names = shape_names + ["loc", "scale"]
    if len(frozen.args) > len(names):
        raise ValueError(f"frozen: scipy.stats.{dist.name} got {len(frozen.args)} positional arguments")
    bound = dict(zip(names, frozen.args))
    for key, val in frozen.kwds.items():
        if key in bound:
            raise ValueError(f"frozen: scipy.stats.{dist.name} got {key!r} twice")
        bound[key] = val
    missing = [n for n in shape_names if n not in bound]
    if missing:
        raise ValueError(f"frozen: scipy.stats.{dist.name} is missing shape parameter(s) {', '.join(missing)}")
    unknown = set(bound) - set(names)
    if unknown:
        raise ValueError(f"frozen: scipy.stats.{dist.name} got unknown argument(s) {', '.join(sorted(unknown))}")
    shapes = {n: bound[n] for n in shape_names}
    return shapes, bound.get("loc", 0.0), bound.get("scale", 1.0)
