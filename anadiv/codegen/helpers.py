r"""sympy mirrors of the numerically stable helpers in :mod:`anadiv.numeric.stable`.

:func:`anadiv.codegen.stabilize.stabilize` rewrites derived expressions in
terms of these functions; the code printer prints each one as a call to
``xp._stable.<name>`` (same name). Every class here

* has an elementary form, ``f.as_elementary()`` or
  ``expr.rewrite("elementary")`` (used to prove a rewrite equal to the
  derivation),
* derivatives (``fdiff``),
* an mpmath evaluation (``evalf`` and ``lambdify(..., "mpmath")`` through
  ``_imp_``) that works with extra guard digits, so it is accurate even where
  the elementary form cancels.

Examples
--------
>>> import sympy
>>> from anadiv.codegen.helpers import expm1mx
>>> u = sympy.Symbol("u")
>>> expm1mx(u).rewrite("elementary")
-u + exp(u) - 1
>>> sympy.N(expm1mx(sympy.Rational(1, 10**9)), 5)
5.0000e-19
"""

from __future__ import annotations

from typing import Any, Callable

import mpmath
import sympy
from sympy.core.function import ArgumentIndexError
from sympy import Function, digamma, exp, log, loggamma, polygamma

__all__ = [
    "StableHelper",
    "expm1mx",
    "log1pmx",
    "log_ratio",
    "xm1mlog",
    "xm1mlog_d",
    "powm1mlog",
    "lgamma_diff",
    "digamma_diff",
    "lgamma_diff_d",
    "digamma_diff_d",
    "with_increments",
    "with_log1p",
    "lgamma_bregman",
    "lgamma_bregman_d",
    "gamma_bregman",
    "beta_bregman",
    "diff2",
    "log_diff",
    "mix",
    "xm1",
    "log_mix_gap",
    "lgamma_mix_gap",
    "with_mixtures",
    "with_exact_widths",
    "log_ratio_d",
    "lgamma_mpsi",
    "lowergamma_reg",
    "betainc_reg",
    "atanmx",
    "cos_half_pi",
    "log_i0",
    "i1_i0",
    "HELPERS",
    "to_elementary",
]

#: Guard digits for the mpmath evaluation of the elementary form.
_GUARD_DPS = 60


class StableHelper(Function):
    """Base class: elementary form, mpmath evaluation, registry of helpers."""

    #: Elementary form as a function of the arguments (sympy objects).
    _elementary: Callable[..., Any]
    #: The same with mpmath functions (numbers in, mpf out).
    _mp: Callable[..., Any]

    def as_elementary(self) -> Any:
        """The helper written with elementary and gamma functions only."""
        return type(self)._elementary(*self.args)

    def fdiff(self, argindex: int = 1) -> Any:
        """Derivative from the elementary form (subclasses give simpler closed forms)."""
        dummies = [sympy.Dummy() for _ in self.args]
        form = type(self)._elementary(*dummies)
        return sympy.diff(form, dummies[argindex - 1]).xreplace(dict(zip(dummies, self.args)))

    def _eval_rewrite_as_elementary(self, *args: Any, **kwargs: Any) -> Any:
        return type(self)._elementary(*args)

    @classmethod
    def mp_eval(cls, *args: Any) -> Any:
        """Value at numeric arguments with mpmath, accurate at the current precision."""
        with mpmath.workdps(mpmath.mp.dps + _GUARD_DPS):
            value = cls._mp(*(mpmath.mpf(a) if not isinstance(a, mpmath.mpf) else a for a in args))
        return +value

    def _eval_evalf(self, prec: int) -> Any:
        if not all(a.is_number for a in self.args):
            return None
        with mpmath.workprec(prec):
            vals = [mpmath.mpf(sympy.Float(a.evalf(prec + 20), precision=prec + 20)._mpf_) for a in self.args]
            value = type(self).mp_eval(*vals)
        return sympy.Float(value, precision=prec)

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        # lambdify(..., "mpmath") uses _imp_ for functions it does not know
        cls._imp_ = staticmethod(lambda *args, _cls=cls: _cls.mp_eval(*args))


class expm1mx(StableHelper):
    r""":math:`e^u - 1 - u`."""

    nargs = 1

    @staticmethod
    def _elementary(u: Any) -> Any:
        return exp(u) - 1 - u

    @staticmethod
    def _mp(u: Any) -> Any:
        return mpmath.expm1(u) - u

    def fdiff(self, argindex: int = 1) -> Any:
        return exp(self.args[0]) - 1


class log1pmx(StableHelper):
    r""":math:`\log(1+t) - t`."""

    nargs = 1

    @staticmethod
    def _elementary(t: Any) -> Any:
        return log(1 + t) - t

    @staticmethod
    def _mp(t: Any) -> Any:
        return mpmath.log1p(t) - t

    def fdiff(self, argindex: int = 1) -> Any:
        t = self.args[0]
        return 1 / (1 + t) - 1


class log_ratio(StableHelper):
    r""":math:`\log(a/b)`."""

    nargs = 2

    @staticmethod
    def _elementary(a: Any, b: Any) -> Any:
        return log(a) - log(b)

    @staticmethod
    def _mp(a: Any, b: Any) -> Any:
        return mpmath.log(a / b)

    def fdiff(self, argindex: int = 1) -> Any:
        a, b = self.args
        return 1 / a if argindex == 1 else -1 / b


class log_diff(StableHelper):
    r""":math:`\log(a - b)` (the rounding error of ``a - b`` added back)."""

    nargs = 2

    @staticmethod
    def _elementary(a: Any, b: Any) -> Any:
        return log(a - b)

    @staticmethod
    def _mp(a: Any, b: Any) -> Any:
        return mpmath.log(a - b)

    def fdiff(self, argindex: int = 1) -> Any:
        a, b = self.args
        return 1 / (a - b) if argindex == 1 else -1 / (a - b)


class mix(StableHelper):
    r""":math:`a x + (1 - a) y`: a natural parameter between two others (the Renyi forms' :math:`\eta_\alpha`)."""

    nargs = 3

    @staticmethod
    def _elementary(a: Any, x: Any, y: Any) -> Any:
        return a * x + (1 - a) * y

    @staticmethod
    def _mp(a: Any, x: Any, y: Any) -> Any:
        return a * x + (1 - a) * y


class xm1(StableHelper):
    r""":math:`x - 1` as one number: a factor ``alpha - 1`` the stabilizer must not distribute."""

    nargs = 1

    @staticmethod
    def _elementary(x: Any) -> Any:
        return x - 1

    @staticmethod
    def _mp(x: Any) -> Any:
        return x - 1

    def fdiff(self, argindex: int = 1) -> Any:
        return sympy.Integer(1)


class log_mix_gap(StableHelper):
    r""":math:`\log(a x + (1 - a) y) - a \log x - (1 - a) \log y`: the Jensen gap of ``log``; ``d = x - y`` (used numerically)."""

    nargs = 4

    @staticmethod
    def _elementary(a: Any, x: Any, y: Any, d: Any) -> Any:
        return log(a * x + (1 - a) * y) - a * log(x) - (1 - a) * log(y)

    @staticmethod
    def _mp(a: Any, x: Any, y: Any, d: Any) -> Any:
        return mpmath.log(a * x + (1 - a) * y) - a * mpmath.log(x) - (1 - a) * mpmath.log(y)


class lgamma_mix_gap(StableHelper):
    r""":math:`\log\Gamma(a x + (1 - a) y) - a \log\Gamma(x) - (1 - a) \log\Gamma(y)`: the Jensen gap of ``lgamma``; ``d = x - y``."""

    nargs = 4

    @staticmethod
    def _elementary(a: Any, x: Any, y: Any, d: Any) -> Any:
        return sympy.loggamma(a * x + (1 - a) * y) - a * sympy.loggamma(x) - (1 - a) * sympy.loggamma(y)

    @staticmethod
    def _mp(a: Any, x: Any, y: Any, d: Any) -> Any:
        return mpmath.loggamma(a * x + (1 - a) * y) - a * mpmath.loggamma(x) - (1 - a) * mpmath.loggamma(y)


def with_mixtures(expr: Any, a: Any) -> Any:
    """Every ``a X + (1 - a) Y`` in a sum (``a``: Renyi's order) -> ``mix(a, X, Y)``.

    Printed as written, ``(1 - a) Y`` is expanded into ``Y - a Y``, which
    cancels for ``a`` near 1 (``Y`` far above ``X``: 1e-9 relative at
    ``a = 1 - 1e-7``); :func:`anadiv.numeric.stable.mix` keeps both products.
    Applied before the stabilizer, which treats the helper as an atom.
    """
    one_minus = 1 - a

    def split(term: Any) -> tuple[str, Any] | None:
        factors = sympy.Mul.make_args(term)
        if one_minus in factors:
            return "y", sympy.Mul(*[f for f in factors if f != one_minus])
        if a in factors and not any(f.has(a) for f in factors if f != a):
            return "x", sympy.Mul(*[f for f in factors if f != a])
        return None

    def is_mixture(e: Any) -> bool:
        if not e.is_Add:
            return False
        kinds = [split(t) for t in e.args]
        return any(k and k[0] == "x" for k in kinds) and any(k and k[0] == "y" for k in kinds)

    def rewrite(e: Any) -> Any:
        xs: list[Any] = []
        ys: list[Any] = []
        rest: list[Any] = []
        for t in e.args:
            k = split(t)
            (xs if k and k[0] == "x" else ys if k else rest).append(k[1] if k else t)
        x, y = sympy.Add(*xs), sympy.Add(*ys)
        # mix(a, x + c, y + c) = mix(a, x, y) + c: a shared constant (a natural parameter k - 1) leaves
        # the mixture, where it would cancel against the constant beside it (k near 0: mix(...) + 1)
        cx, cy = x.as_coeff_Add()[0], y.as_coeff_Add()[0]
        if cx != 0 and cx == cy:
            return sympy.Add(mix(a, x - cx, y - cx), cx, *rest)
        return sympy.Add(mix(a, x, y), *rest)

    expr = expr.replace(is_mixture, rewrite)
    # (a - 1) X distributed into a X - X cancels for a near 1: the factor stays one number
    return expr.replace(lambda e: e == a - 1, lambda e: xm1(a))


def with_exact_widths(expr: Any) -> Any:
    """``log(a - b)`` of two parameters (a Uniform's width) -> ``log_diff(a, b)``.

    The rounded ``high - low`` costs nothing where ``log`` of it is large, but near
    a width of 1 its half-ulp error is all of the logarithm.
    """

    def width(e: Any) -> bool:
        if not isinstance(e, log) or not isinstance(e.args[0], sympy.Add) or len(e.args[0].args) != 2:
            return False
        first, second = e.args[0].args
        return ((first.is_Symbol and (-second).is_Symbol) or (second.is_Symbol and (-first).is_Symbol))

    def rewrite(e: Any) -> Any:
        first, second = e.args[0].args
        a, b = (first, -second) if first.is_Symbol and (-second).is_Symbol else (second, -first)
        return log_diff(a, b)

    return expr.replace(width, rewrite)


class diff2(StableHelper):
    r""":math:`(a_2 - a_1) - (b_2 - b_1)` (evaluated in that order)."""

    nargs = 4

    @staticmethod
    def _elementary(a2: Any, a1: Any, b2: Any, b1: Any) -> Any:
        return (a2 - a1) - (b2 - b1)

    @staticmethod
    def _mp(a2: Any, a1: Any, b2: Any, b1: Any) -> Any:
        return (a2 - a1) - (b2 - b1)


class log_ratio_d(StableHelper):
    r""":math:`\log(a/b)`, with ``d = a - b`` supplied (only used numerically)."""

    nargs = 3

    @staticmethod
    def _elementary(a: Any, b: Any, d: Any) -> Any:
        return log(a) - log(b)

    @staticmethod
    def _mp(a: Any, b: Any, d: Any) -> Any:
        return mpmath.log(a / b)


class lgamma_mpsi(StableHelper):
    r""":math:`\log\Gamma(x) + (c - x)\psi(x) + x`."""

    nargs = 2

    @staticmethod
    def _elementary(x: Any, c: Any) -> Any:
        return loggamma(x) + (c - x) * digamma(x) + x

    @staticmethod
    def _mp(x: Any, c: Any) -> Any:
        return mpmath.loggamma(x) + (c - x) * mpmath.digamma(x) + x


class lowergamma_reg(StableHelper):
    r""":math:`\gamma(s, x)/\Gamma(s)` (regularized lower incomplete gamma)."""

    nargs = 2

    @staticmethod
    def _elementary(s: Any, x: Any) -> Any:
        return sympy.lowergamma(s, x) / sympy.gamma(s)

    @staticmethod
    def _mp(s: Any, x: Any) -> Any:
        return mpmath.gammainc(s, 0, x, regularized=True)

    def fdiff(self, argindex: int = 1) -> Any:
        s, x = self.args
        if argindex == 2:
            return x ** (s - 1) * exp(-x) / sympy.gamma(s)
        raise ArgumentIndexError(self, argindex)  # no closed form in s


class betainc_reg(StableHelper):
    r"""Regularized incomplete beta function :math:`I_x(a, b)`."""

    nargs = 3

    @staticmethod
    def _elementary(a: Any, b: Any, x: Any) -> Any:
        return sympy.betainc_regularized(a, b, 0, x)

    @staticmethod
    def _mp(a: Any, b: Any, x: Any) -> Any:
        return mpmath.betainc(a, b, 0, x, regularized=True)

    def fdiff(self, argindex: int = 1) -> Any:
        a, b, x = self.args
        if argindex == 3:
            return x ** (a - 1) * (1 - x) ** (b - 1) / sympy.beta(a, b)
        raise ArgumentIndexError(self, argindex)  # no closed form in a, b


class atanmx(StableHelper):
    r""":math:`\arctan x - x`."""

    nargs = 1

    @staticmethod
    def _elementary(x: Any) -> Any:
        return sympy.atan(x) - x

    @staticmethod
    def _mp(x: Any) -> Any:
        return mpmath.atan(x) - x

    def fdiff(self, argindex: int = 1) -> Any:
        x = self.args[0]
        return 1 / (1 + x**2) - 1


class cos_half_pi(StableHelper):
    r""":math:`\cos(\pi x/2)` (numpy: the sine form near the zeros at ``x = +-1``)."""

    nargs = 1

    @staticmethod
    def _elementary(x: Any) -> Any:
        return sympy.cos(sympy.pi * x / 2)

    @staticmethod
    def _mp(x: Any) -> Any:
        return mpmath.cospi(x / 2)

    def fdiff(self, argindex: int = 1) -> Any:
        x = self.args[0]
        return -sympy.pi / 2 * sympy.sin(sympy.pi * x / 2)


class xm1mlog(StableHelper):
    r""":math:`a/b - 1 - \log(a/b)`."""

    nargs = 2

    @staticmethod
    def _elementary(a: Any, b: Any) -> Any:
        return a / b - 1 - log(a) + log(b)

    @staticmethod
    def _mp(a: Any, b: Any) -> Any:
        return a / b - 1 - mpmath.log(a / b)

    def fdiff(self, argindex: int = 1) -> Any:
        a, b = self.args
        return 1 / b - 1 / a if argindex == 1 else -a / b**2 + 1 / b


class xm1mlog_d(StableHelper):
    r""":math:`a/b - 1 - \log(a/b)`, with ``d = a - b`` supplied (only used numerically)."""

    nargs = 3

    @staticmethod
    def _elementary(a: Any, b: Any, d: Any) -> Any:
        return a / b - 1 - log(a) + log(b)

    @staticmethod
    def _mp(a: Any, b: Any, d: Any) -> Any:
        return a / b - 1 - mpmath.log(a / b)


class powm1mlog(StableHelper):
    r""":math:`(a/b)^k - 1 - k \log(a/b)`."""

    nargs = 3

    @staticmethod
    def _elementary(a: Any, b: Any, k: Any) -> Any:
        return (a / b) ** k - 1 - k * (log(a) - log(b))

    @staticmethod
    def _mp(a: Any, b: Any, k: Any) -> Any:
        return mpmath.power(a / b, k) - 1 - k * mpmath.log(a / b)

    def fdiff(self, argindex: int = 1) -> Any:
        a, b, k = self.args
        r = (a / b) ** k
        if argindex == 1:
            return k * (r - 1) / a
        if argindex == 2:
            return -k * (r - 1) / b
        return (r - 1) * (log(a) - log(b))


class lgamma_diff(StableHelper):
    r""":math:`\log\Gamma(b) - \log\Gamma(a)`."""

    nargs = 2

    @staticmethod
    def _elementary(a: Any, b: Any) -> Any:
        return loggamma(b) - loggamma(a)

    @staticmethod
    def _mp(a: Any, b: Any) -> Any:
        return mpmath.loggamma(b) - mpmath.loggamma(a)

    def fdiff(self, argindex: int = 1) -> Any:
        a, b = self.args
        return -digamma(a) if argindex == 1 else digamma(b)


class digamma_diff(StableHelper):
    r""":math:`\psi(b) - \psi(a)`."""

    nargs = 2

    @staticmethod
    def _elementary(a: Any, b: Any) -> Any:
        return digamma(b) - digamma(a)

    @staticmethod
    def _mp(a: Any, b: Any) -> Any:
        return mpmath.digamma(b) - mpmath.digamma(a)

    def fdiff(self, argindex: int = 1) -> Any:
        a, b = self.args
        return -polygamma(1, a) if argindex == 1 else polygamma(1, b)


class lgamma_diff_d(StableHelper):
    r""":math:`\log\Gamma(a + d) - \log\Gamma(a)`: :class:`lgamma_diff` given the increment
    ``d`` (the float sum ``a + d`` may round to ``a``; see :func:`with_increments`)."""

    nargs = 2

    @staticmethod
    def _elementary(a: Any, d: Any) -> Any:
        return loggamma(a + d) - loggamma(a)

    @staticmethod
    def _mp(a: Any, d: Any) -> Any:
        return mpmath.loggamma(a + d) - mpmath.loggamma(a)


class digamma_diff_d(StableHelper):
    r""":math:`\psi(a + d) - \psi(a)`: :class:`digamma_diff` given the increment ``d``."""

    nargs = 2

    @staticmethod
    def _elementary(a: Any, d: Any) -> Any:
        return digamma(a + d) - digamma(a)

    @staticmethod
    def _mp(a: Any, d: Any) -> Any:
        return mpmath.digamma(a + d) - mpmath.digamma(a)


def _within(small: Any, big: Any) -> bool:
    """True when every summand of ``small`` is a summand of ``big`` and ``big`` has more."""
    inner, outer = sympy.Add.make_args(small), list(sympy.Add.make_args(big))
    for term in inner:
        if term not in outer:
            return False
        outer.remove(term)
    return bool(outer)


def with_increments(expr: Any) -> Any:
    """Give helpers of two close arguments their exact increment.

    ``lgamma_diff(a, a + k)`` becomes ``lgamma_diff_d(a, k)`` (and
    ``lgamma_diff(a + k, a)`` becomes ``-lgamma_diff_d(a, k)``), ``digamma_diff``
    likewise, and ``log_ratio(r, r + t)`` becomes ``log_ratio_d(r, r + t, -t)``:
    in floats ``a + k`` is rounded (to ``a`` itself at ``a = 1e300``), and the
    helper would see an increment with the rounding error of ``a``. The
    smaller argument is always the base, so ``base + increment`` is a sum of
    the original summands, never a cancelling difference.
    """

    def with_base(plain: Any, incremented: Any) -> Any:
        def rewrite(a: Any, b: Any) -> Any:
            if _within(a, b):
                return incremented(a, sympy.Add(*[t for t in sympy.Add.make_args(b) if t not in sympy.Add.make_args(a)]))
            if _within(b, a):
                return -incremented(b, sympy.Add(*[t for t in sympy.Add.make_args(a) if t not in sympy.Add.make_args(b)]))
            return plain(a, b)

        return rewrite

    def lr(a: Any, b: Any) -> Any:
        if _within(a, b) or _within(b, a):
            return log_ratio_d(a, b, sympy.expand(a - b))
        return log_ratio(a, b)

    return (expr.replace(lgamma_diff, with_base(lgamma_diff, lgamma_diff_d))
            .replace(digamma_diff, with_base(digamma_diff, digamma_diff_d))
            .replace(log_ratio, lr))


def with_log1p(expr: Any) -> Any:
    """``log(1 + u)`` -> ``log1p(u)``.

    ``1 - low`` for ``low = 1.7e-4`` is rounded to a relative 1e-16 of 1, which
    is 6e-13 of ``log(1 - low)``; ``log1p`` works from ``u`` itself.
    """
    from sympy.codegen.cfunctions import log1p

    def one_plus(e: Any) -> bool:
        return isinstance(e, sympy.log) and isinstance(e.args[0], sympy.Add) and sympy.S.One in e.args[0].args

    return expr.replace(one_plus, lambda e: log1p(e.args[0] - 1))


class lgamma_bregman(StableHelper):
    r""":math:`\log\Gamma(b) - \log\Gamma(a) - (b-a)\psi(a)`."""

    nargs = 2

    @staticmethod
    def _elementary(a: Any, b: Any) -> Any:
        return loggamma(b) - loggamma(a) - (b - a) * digamma(a)

    @staticmethod
    def _mp(a: Any, b: Any) -> Any:
        return mpmath.loggamma(b) - mpmath.loggamma(a) - (b - a) * mpmath.digamma(a)

    def fdiff(self, argindex: int = 1) -> Any:
        a, b = self.args
        return -(b - a) * polygamma(1, a) if argindex == 1 else digamma(b) - digamma(a)


class lgamma_bregman_d(StableHelper):
    r""":math:`\log\Gamma(a+d) - \log\Gamma(a) - d\,\psi(a)`."""

    nargs = 2

    @staticmethod
    def _elementary(a: Any, d: Any) -> Any:
        return loggamma(a + d) - loggamma(a) - d * digamma(a)

    @staticmethod
    def _mp(a: Any, d: Any) -> Any:
        return mpmath.loggamma(a + d) - mpmath.loggamma(a) - d * mpmath.digamma(a)

    def fdiff(self, argindex: int = 1) -> Any:
        a, d = self.args
        if argindex == 1:
            return digamma(a + d) - digamma(a) - d * polygamma(1, a)
        return digamma(a + d) - digamma(a)


def _gamma_kl(a1: Any, b1: Any, a2: Any, b2: Any, lg: Any, dg: Any, ln: Any) -> Any:
    return lg(a2) - lg(a1) - (a2 - a1) * dg(a1) + a1 * (b2 / b1 - 1) + a2 * (ln(b1) - ln(b2))


def _beta_kl(a1: Any, b1: Any, a2: Any, b2: Any, lg: Any, dg: Any) -> Any:
    def breg(x: Any, y: Any) -> Any:
        return lg(y) - lg(x) - (y - x) * dg(x)

    return breg(a1, a2) + breg(b1, b2) - breg(a1 + b1, a2 + b2)


class gamma_bregman(StableHelper):
    r"""KL(Gamma(a1, rate b1) || Gamma(a2, rate b2)), the Bregman divergence of
    :math:`\log\Gamma(a) - a\log b`."""

    nargs = 4

    @staticmethod
    def _elementary(a1: Any, b1: Any, a2: Any, b2: Any) -> Any:
        return _gamma_kl(a1, b1, a2, b2, loggamma, digamma, log)

    @staticmethod
    def _mp(a1: Any, b1: Any, a2: Any, b2: Any) -> Any:
        return _gamma_kl(a1, b1, a2, b2, mpmath.loggamma, mpmath.digamma, mpmath.log)



class beta_bregman(StableHelper):
    r"""KL(Beta(a1, b1) || Beta(a2, b2)), the Bregman divergence of :math:`\log B(a, b)`."""

    nargs = 4

    @staticmethod
    def _elementary(a1: Any, b1: Any, a2: Any, b2: Any) -> Any:
        return _beta_kl(a1, b1, a2, b2, loggamma, digamma)

    @staticmethod
    def _mp(a1: Any, b1: Any, a2: Any, b2: Any) -> Any:
        return _beta_kl(a1, b1, a2, b2, mpmath.loggamma, mpmath.digamma)



class log_i0(StableHelper):
    r""":math:`\log I_0(\kappa)`, the von Mises log-normalizer, without overflow.

    Printed as ``xp._stable.log_i0``: ``log(i0e(k)) + k`` for large ``k`` (``I_0``
    itself overflows from ``k ~ 713``), a series of ``I_0 - 1`` through ``log1p``
    for small ``k`` (where ``log I_0(k) ~ k^2/4`` would lose its digits).
    """

    nargs = 1

    @staticmethod
    def _elementary(k: Any) -> Any:
        return log(sympy.besseli(0, k))

    @staticmethod
    def _mp(k: Any) -> Any:
        return mpmath.log(mpmath.besseli(0, k))

    def fdiff(self, argindex: int = 1) -> Any:
        return i1_i0(self.args[0])


class i1_i0(StableHelper):
    r""":math:`A(\kappa) = I_1(\kappa)/I_0(\kappa)`, the von Mises mean resultant length.

    Printed as ``xp._stable.i1_i0``: ``i1e(k)/i0e(k)`` (the scalings cancel),
    so neither factor overflows at large ``k``.
    """

    nargs = 1

    @staticmethod
    def _elementary(k: Any) -> Any:
        return sympy.besseli(1, k) / sympy.besseli(0, k)

    @staticmethod
    def _mp(k: Any) -> Any:
        return mpmath.besseli(1, k) / mpmath.besseli(0, k)

    def fdiff(self, argindex: int = 1) -> Any:
        # A' = 1 - A/k - A^2 (from I0' = I1 and I1' = I0 - I1/k)
        k = self.args[0]
        a = i1_i0(k)
        return 1 - a / k - a**2


def with_scaled_bessel(expr: Any) -> Any:
    """``log(besseli(0, k))`` as :class:`log_i0` and ``besseli(1, k)/besseli(0, k)`` as :class:`i1_i0`.

    A Bessel function left over (none in the von Mises forms) stays as it is.
    """
    expr = sympy.sympify(expr)
    # log((high - low)/(2 pi I0(k))) arrives as the log of a sum: factor it, then split the log
    expr = expr.replace(lambda e: isinstance(e, log) and e.args[0].has(sympy.besseli),
                        lambda e: sympy.expand_log(log(sympy.factor(e.args[0])), force=True))

    def ratio(e: Any) -> Any:
        factors = list(sympy.Mul.make_args(e))
        for f in factors:
            if isinstance(f, sympy.besseli) and f.args[0] == 1:
                k = f.args[1]
                den = sympy.Pow(sympy.besseli(0, k), -1)
                if den in factors:
                    rest = [g for g in factors if g is not f and g != den]
                    return sympy.Mul(*rest, i1_i0(k))
        return e

    expr = expr.replace(lambda e: isinstance(e, log) and isinstance(e.args[0], sympy.besseli) and e.args[0].args[0] == 0,
                        lambda e: log_i0(e.args[0].args[1]))
    return expr.replace(lambda e: e.is_Mul and e.has(sympy.besseli), ratio)


#: Every helper by name (the names of the numpy functions in anadiv.numeric.stable).
HELPERS: dict[str, type[StableHelper]] = {
    cls.__name__: cls
    for cls in (expm1mx, log1pmx, log_ratio, log_diff, mix, xm1, log_mix_gap, lgamma_mix_gap, xm1mlog, xm1mlog_d, powm1mlog, lgamma_diff, digamma_diff, lgamma_diff_d, digamma_diff_d,
                lgamma_bregman, lgamma_bregman_d, gamma_bregman, beta_bregman, diff2, log_ratio_d,
                lgamma_mpsi, lowergamma_reg, betainc_reg, atanmx, cos_half_pi, log_i0, i1_i0)
}


def to_elementary(expr: Any) -> Any:
    """Replace every stable helper in ``expr`` by its elementary form."""
    expr = sympy.sympify(expr)
    return expr.replace(lambda e: isinstance(e, StableHelper), lambda e: e.as_elementary())

