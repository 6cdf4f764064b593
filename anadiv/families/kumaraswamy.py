"""Kumaraswamy distribution: a Beta-like law on (0, 1) with a closed-form cdf."""

from __future__ import annotations

from typing import Any

import numpy as np

from ..constraints import positive
from ._base import Family, Param, ParamValue


class Kumaraswamy(Family):
    r"""Kumaraswamy distribution with shapes :math:`a` (``concentration1``) and :math:`b` (``concentration0``).

    scipy has no counterpart; torch: ``Kumaraswamy(concentration1, concentration0)``.

    .. math::

        \log p(x) = \log a + \log b + (a - 1)\log x + (b - 1)\log(1 - x^a),
        \quad 0 < x < 1

    Parameters
    ----------
    concentration1 : array_like or sympy expression
        Shape :math:`a > 0` (the power of ``x``).
    concentration0 : array_like or sympy expression
        Shape :math:`b > 0` (the power of ``1 - x^a``).

    Notes
    -----
    :math:`W = X^a` is a :math:`\mathrm{Beta}(1, b)` variable, so the cdf is
    :math:`1 - (1 - x^a)^b` and :math:`E[X^t] = b\,B(1 + t/a, b)`. The engine
    derives :math:`E\log X = -H_b/a` and :math:`E\log(1 - X^a) = -1/b`
    (:math:`H_b = \psi(b + 1) + \gamma` the harmonic number), hence the entropy
    :math:`(1 - 1/b) + (1 - 1/a) H_b - \log(ab)`.
    :math:`E\log(1 - X)` and :math:`E\log(1 - X^c)` for :math:`c \ne a` are
    infinite series with no closed form: KL and cross-entropy against a Beta
    or another Kumaraswamy raise :class:`~anadiv.errors.NoClosedFormError`
    (use ``kl_quad``); against a Uniform, Exponential, Gamma, Normal, ... they
    are closed forms.

    Examples
    --------
    >>> from anadiv import Kumaraswamy, Uniform, entropy, kl
    >>> float(Kumaraswamy(2.0, 3.0).logpdf(0.5))  # log(2*3*0.5*0.75**2)
    0.5232...
    >>> round(entropy(Kumaraswamy(1.0, 1.0)), 12)  # the uniform on (0, 1)
    0.0
    >>> round(kl(Kumaraswamy(2.0, 3.0), Uniform(0.0, 1.0)), 6)  # log 6 - 2/3 - H_3/2
    0.208426
    """

    name = "kumaraswamy"
    scipy_name = None
    parameters = (
        Param("concentration1", positive, (0.5, 4.0), "shape a (the power of x)"),
        Param("concentration0", positive, (0.5, 4.0), "shape b (the power of 1 - x^a)"),
    )

    def __init__(self, concentration1: ParamValue, concentration0: ParamValue, *, validate: bool = True) -> None:
        # explicit, so editors and type checkers see the parameters
        super().__init__(concentration1, concentration0, validate=validate)

    @staticmethod
    def _np_logpdf(x: np.ndarray, a: np.ndarray, b: np.ndarray) -> np.ndarray:
        inside = (x > 0) & (x < 1)
        xs = np.where(inside, x, 0.5)
        # log(1 - x^a) = log(-expm1(a log x)): keeps its digits for x^a near 0 and near 1
        out = np.log(a) + np.log(b) + (a - 1) * np.log(xs) + (b - 1) * np.log(-np.expm1(a * np.log(xs)))
        return np.where(inside, out, -np.inf)

    @staticmethod
    def _np_sample(rng: np.random.Generator, size: tuple[int, ...], a: np.ndarray, b: np.ndarray) -> np.ndarray:
        return Kumaraswamy._np_quantile(rng.random(size), a, b)

    @staticmethod
    def _np_support(a: np.ndarray, b: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        s = np.broadcast_shapes(np.shape(a), np.shape(b))
        return np.zeros(s), np.ones(s)

    @staticmethod
    def _np_breakpoints(a: np.ndarray, b: np.ndarray) -> tuple[np.ndarray, ...]:
        # the mode ((a - 1)/(a b - 1))^(1/a) where a >= 1 and b >= 1 (not both 1); an end otherwise
        a, b = np.broadcast_arrays(np.asarray(a, dtype=float), np.asarray(b, dtype=float))
        with np.errstate(divide="ignore", invalid="ignore"):
            mode = ((a - 1) / (a * b - 1)) ** (1 / a)
        inner = (a >= 1) & (b >= 1) & ~((a == 1) & (b == 1))
        return (np.where(inner, mode, np.where(a < 1, 0.0, 1.0)),)

    # ------------------------------------------------------------------ hooks
    torch_name = "Kumaraswamy"
    _scipy_frozen = None
    expectation_routes = {"pow": "mellin", "logpow": "mellin", "abs": "abs", "log1mpow": "log1mpow_base"}

    @staticmethod
    def _np_quantile(u: np.ndarray, a: np.ndarray, b: np.ndarray) -> np.ndarray:
        # 1 - (1 - x^a)^b = u  <=>  x = (1 - (1 - u)^(1/b))^(1/a), with expm1/log1p for u near 0
        return (-np.expm1(np.log1p(-u) / b)) ** (1 / a)

    @staticmethod
    def _np_mean_var(a: np.ndarray, b: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        from scipy.special import betaln

        # E[X^n] = b B(1 + n/a, b)
        m1 = b * np.exp(betaln(1 + 1 / a, b))
        m2 = b * np.exp(betaln(1 + 2 / a, b))
        return m1, m2 - m1 * m1

    @staticmethod
    def _torch_params(a: Any, b: Any) -> dict[str, Any]:
        return {"concentration1": a, "concentration0": b}

    @classmethod
    def sym_logpdf(cls, x: Any, a: Any, b: Any) -> Any:
        import sympy

        return sympy.log(a) + sympy.log(b) + (a - 1) * sympy.log(x) + (b - 1) * sympy.log(1 - x**a)

    @classmethod
    def sym_support(cls, a: Any, b: Any) -> Any:
        import sympy

        return sympy.Interval(0, 1)

    @classmethod
    def sym_representation(cls) -> Any:
        import sympy

        from ._representation import Representation

        return Representation(
            lambda w, a, b: [(0, 1, b * (1 - w) ** (b - 1))],
            lambda w, a, b: w ** (1 / a),
            lambda x, a, b: x**a,
            True,
            "X = W**(1/a), W ~ Beta(1, b)",
        )
