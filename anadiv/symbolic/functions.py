"""sympy functions a derivation may use beyond sympy's own, each with numpy, scipy and mpmath equivalents.

:class:`erfcx`, the scaled complementary error function ``e^(x^2) erfc(x)``,
carries the expectation of ``exp(-x/s)`` under a Gaussian tail (a HalfNormal
against a Gumbel): written as ``exp(a) erfc(b)`` it overflows and underflows in
float64 from ``b ~ 27``, and ``1 - erf(b)`` cancels from ``b ~ 6``, while
``exp(a - b^2) erfcx(b)`` keeps every digit. The code printers print it as
``xp.erfcx`` (scipy.special.erfcx, torch.special.erfcx, ...) and, for the exact
forms, as :meth:`anadiv.numeric.refine.MP.erfcx`.

Examples
--------
>>> import sympy
>>> x = sympy.Symbol("x")
>>> erfcx(x).rewrite(sympy.erfc)
exp(x**2)*erfc(x)
>>> float(erfcx(sympy.Integer(30)).evalf(20))  # doctest: +ELLIPSIS
0.0187958888614167...
"""

from __future__ import annotations

from typing import Any

import mpmath
import sympy as sp
from sympy.core.function import ArgumentIndexError

from ..families._logit import logit  # declared where a family's sym_logpdf may import it
from ..numeric.refine import MP

__all__ = ["erfcx", "with_erfcx", "logit"]


class erfcx(sp.Function):  # noqa: N801 - named as in scipy.special
    """``erfcx(x) = exp(x**2) * erfc(x)``."""

    nargs = 1

    @classmethod
    def eval(cls, x: Any) -> Any:
        if x.is_zero:
            return sp.Integer(1)
        if x is sp.oo:
            return sp.Integer(0)
        return None

    def fdiff(self, argindex: int = 1) -> Any:
        if argindex != 1:
            raise ArgumentIndexError(self, argindex)
        x = self.args[0]
        return 2 * x * erfcx(x) - 2 / sp.sqrt(sp.pi)

    def _eval_rewrite_as_erfc(self, x: Any, **kwargs: Any) -> Any:
        return sp.exp(x**2) * sp.erfc(x)

    def _eval_is_positive(self) -> bool | None:
        return True if self.args[0].is_extended_real else None

    def _eval_evalf(self, prec: int) -> Any:
        x = self.args[0]._eval_evalf(prec)
        if x is None or not x.is_number or not x.is_real:
            return None
        with mpmath.workprec(prec + 20):
            value = MP.erfcx(mpmath.mpf(sp.Float(x, prec + 20)._mpf_))
        return sp.Float(value, precision=prec)

    # lambdify(..., "mpmath") calls this (the reference values of the tests and of stabilize.verify)
    _imp_ = staticmethod(MP.erfcx)


def with_erfcx(expr: Any) -> Any:
    """``exp(a) erfc(b)`` as ``exp(a - b^2) erfcx(b)`` where ``b`` is positive.

    The exponent ``a - b^2`` is simplified (``loc/scale`` for a HalfNormal
    against a Gumbel), so neither factor over- nor underflows where the
    product is an ordinary number.
    """

    def fold(term: Any) -> Any:
        if not term.is_Mul:
            return term
        factors = list(term.args)
        erfcs = [f for f in factors if isinstance(f, sp.erfc) and f.args[0].is_positive]
        exps = [f for f in factors if isinstance(f, sp.exp)]
        if len(erfcs) != 1 or len(exps) != 1:
            return term
        (e,), (c,) = exps, erfcs
        b = c.args[0]
        rest = [f for f in factors if f is not e and f is not c]
        return sp.Mul(*rest, sp.exp(sp.factor(sp.cancel(e.args[0] - b**2))), erfcx(b))

    return sp.Add(*[fold(t) for t in sp.Add.make_args(expr)])

