"""Checks shared by the families' ``_from_scipy_params`` converters.

scipy's continuous distributions all carry a ``loc`` shift and a ``scale``;
several anadiv families have a fixed support start (0) or a fixed interval
([0, 1]) and so cannot represent every shifted or scaled scipy object. These
checks raise a ``ValueError`` naming the scipy argument that has no
equivalent.
"""

from __future__ import annotations

from typing import Any

import numpy as np


def require_zero_loc(loc: Any, scipy_name: str) -> None:
    """Reject a shifted support, which the anadiv family cannot express."""
    if np.any(np.asarray(loc) != 0):
        raise ValueError(
            f"loc: scipy.stats.{scipy_name} with loc != 0 (a shifted support) has no anadiv equivalent; "
            f"got loc={loc!r}"
        )


def require_unit_scale(scale: Any, scipy_name: str) -> None:
    """Reject a rescaled support, which the anadiv family cannot express."""
    if np.any(np.asarray(scale) != 1):
        raise ValueError(
            f"scale: scipy.stats.{scipy_name} with scale != 1 (a stretched support) has no anadiv equivalent; "
            f"got scale={scale!r}"
        )
