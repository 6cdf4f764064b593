"""The sympy function ``logit``, for a family's symbolic log-density (imported only inside ``sym_*`` methods).

It lives with the families because a family module may not import the engine
(:mod:`anadiv.symbolic`); the engine re-exports it from :mod:`anadiv.symbolic.functions`.

Examples
--------
>>> import sympy
>>> logit(sympy.Rational(1, 2))
0
>>> a = sympy.Symbol("a", real=True)
>>> logit(1 / (1 + sympy.exp(-a)))
a
"""

from __future__ import annotations

from typing import Any

import mpmath
import sympy as sp
from sympy.core.function import ArgumentIndexError

__all__ = ["logit"]
class logit(sp.Function):  # noqa: N801 - named as in scipy.special
    """``logit(x) = log(x/(1 - x))``, kept whole so a log-density's powers of it stay one basis term.

    A LogitNormal's log-density is quadratic in ``logit(x)``; written with
    ``log(x) - log(1 - x)`` its square would expand into ``log(x) log(1 - x)``,
    a product with no expectation of its own, while ``E[logit(X)**n]`` is a
    normal moment (:mod:`anadiv.symbolic.terms`, kind ``logitpow``). At a
    number it is the logarithm itself; at a sigmoid ``1/(1 + exp(-a))`` it is
    ``a`` (the representation ``X = sigmoid(loc + scale*Z)``).
    """

    nargs = 1

    @classmethod
    def eval(cls, x: Any) -> Any:
        if x.is_Number:
            return sp.log(x) - sp.log(1 - x)
        base, e = x.as_base_exp()
        if e == -1 and base.is_Add:
            # 1/(1 + exp(w)) = sigmoid(-w)
            rest = base - 1
            if isinstance(rest, sp.exp):
                return -rest.args[0]
        return None

    def fdiff(self, argindex: int = 1) -> Any:
        if argindex != 1:
            raise ArgumentIndexError(self, argindex)
        x = self.args[0]
        return 1 / (x * (1 - x))

    def _eval_rewrite_as_log(self, x: Any, **kwargs: Any) -> Any:
        return sp.log(x) - sp.log(1 - x)

    def _eval_is_extended_real(self) -> bool | None:
        x = self.args[0]
        return True if (x.is_positive and (1 - x).is_positive) else None

    def _eval_evalf(self, prec: int) -> Any:
        return self.rewrite(sp.log)._eval_evalf(prec)

    # lambdify(..., "mpmath") calls this (the mpmath log-densities of quadrature and the tests)
    _imp_ = staticmethod(lambda x: mpmath.log(x) - mpmath.log1p(-x))
