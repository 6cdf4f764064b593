r"""Shared machinery of the kinds written as f-divergences of the log-density ratio.

Every such kind is read through one moment of :math:`r = \log q - \log p`
under P and one outer map,

.. math::

    D(P, Q) = \mathrm{outer}(M), \qquad
    M = E_P[g(r)] + c \, Q(p = 0),

where :math:`g(r)` is the kind's generator in logs (its
:meth:`~anadiv.kinds.DivergenceKind.integrand`, with ``r = logq - logp``) and
``c`` (:attr:`~anadiv.kinds.DivergenceKind.outside_weight`) is the limit of
:math:`g(\log t)/t` as :math:`t \to \infty`: the part of the divergence
carried where P has no mass and Q has some, which no expectation under P can
see. Each generator here is chosen so that :math:`g(0) = g'(0) = 0` and
:math:`g \ge 0`: near P = Q the integrand is pointwise of second order, so
quadrature and Monte Carlo lose no digits to cancellation (the plain forms,
such as :math:`\int p^\alpha q^{1-\alpha} - 1`, are first order pointwise and
cancel across x).

The helpers work on floats, numpy arrays and mpmath numbers (the high-precision
quadrature path), through :func:`ops`.
"""

from __future__ import annotations

import math
from typing import Any

__all__ = ["ops", "quiet", "log_abs_gap", "LOG2"]

LOG2 = math.log(2.0)


class _NumpyOps:
    """numpy versions of the elementary functions the generators use."""

    def __init__(self) -> None:
        import numpy as np

        self.np = np
        self.exp, self.expm1, self.log, self.log1p = np.exp, np.expm1, np.log, np.log1p
        self.sinh, self.abs = np.sinh, np.abs
        self.maximum = np.maximum
        self.inf = np.inf

    def softplus(self, x: Any) -> Any:
        """``log(1 + e^x)`` without overflow."""
        return self.np.logaddexp(0.0, x)

    def where(self, c: Any, a: Any, b: Any) -> Any:
        return self.np.where(c, a, b)


class _MpmathOps:
    """mpmath versions (quadrature's ``precision="high"``)."""

    def __init__(self) -> None:
        import mpmath

        self.mp = mpmath
        self.exp, self.expm1, self.log, self.log1p = mpmath.exp, mpmath.expm1, mpmath.log, mpmath.log1p
        self.sinh, self.abs = mpmath.sinh, abs
        self.inf = mpmath.inf

    @staticmethod
    def maximum(a: Any, b: Any) -> Any:
        return max(a, b)

    def softplus(self, x: Any) -> Any:
        if x > 0:
            return x + self.mp.log1p(self.mp.exp(-x))
        return self.mp.log1p(self.mp.exp(x))

    @staticmethod
    def where(c: Any, a: Any, b: Any) -> Any:
        return a if c else b


_OPS: dict[str, Any] = {}


def ops(*values: Any) -> Any:
    """The function set for these values: mpmath's for mpmath numbers, numpy's otherwise."""
    kind = "mpmath" if any(type(v).__module__.startswith("mpmath") for v in values) else "numpy"
    found = _OPS.get(kind)
    if found is None:
        found = _OPS[kind] = _MpmathOps() if kind == "mpmath" else _NumpyOps()
    return found


def quiet() -> Any:
    """numpy's floating-point warnings off (the generators' 0 * inf branches are replaced, not reported)."""
    import numpy as np

    return np.errstate(all="ignore")



def log_abs_gap(logp: Any, logq: Any) -> Any:
    """``log|p - q|`` from the two log-densities, without forming either density."""
    import numpy as np

    lp, lq = np.asarray(logp, dtype=float), np.asarray(logq, dtype=float)
    with np.errstate(all="ignore"):
        return np.maximum(lp, lq) + np.log(-np.expm1(-np.abs(lq - lp)))
