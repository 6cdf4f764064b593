"""Error-free transformations: a sum or a product as a rounded value plus its exact error.

Pure arithmetic, so the same functions serve numpy arrays, torch tensors and JAX
arrays (and Python floats). They assume round-to-nearest arithmetic without a
fused multiply-add contracting ``a * b - p`` (numpy and eager torch never
contract; a compiler that did would still leave Veltkamp's halves exact,
since each half product is exact).
"""

from __future__ import annotations

from typing import Any

__all__ = ["SPLIT32", "SPLIT64", "two_product", "two_sum"]

#: Veltkamp's splitters: ``2**27 + 1`` cuts a float64 into two 26-bit halves, ``2**12 + 1`` a float32.
SPLIT64 = 134217729.0
SPLIT32 = 4097.0


def two_sum(a: Any, b: Any) -> tuple[Any, Any]:
    """``(s, e)`` with ``s = fl(a + b)`` and ``s + e = a + b`` exactly (Knuth), elementwise.

    Examples
    --------
    >>> two_sum(1.0, 1e-17)
    (1.0, 1e-17)
    """
    s = a + b
    bb = s - a
    return s, (a - (s - bb)) + (b - bb)


def two_product(a: Any, b: Any, split: float = SPLIT64) -> tuple[Any, Any]:
    """``(p, e)`` with ``p = fl(a b)`` and ``p + e = a b`` exactly (Dekker), elementwise.

    ``split`` is the dtype's Veltkamp splitter (:data:`SPLIT64`, :data:`SPLIT32`).
    Exact for ``|a|, |b|`` below about ``1e150`` in float64 (the split multiplies
    by ``2**27``) and products above the subnormal range.

    Examples
    --------
    >>> from fractions import Fraction
    >>> p, e = two_product(0.1, 0.1)
    >>> Fraction(p) + Fraction(e) == Fraction(0.1) ** 2
    True
    """
    p = a * b
    c = split * a
    ah = c - (c - a)
    al = a - ah
    c = split * b
    bh = c - (c - b)
    bl = b - bh
    return p, ((ah * bh - p) + ah * bl + al * bh) + al * bl
