"""Split a log-density into coefficient x basis-term pieces.

``log q(x)`` of every univariate family is a finite sum
``const + sum_j c_j * g_j(x)`` where the ``c_j`` are free of ``x`` and each
``g_j`` is one of a few basis kinds:

=========  ===================================  ======================
kind       basis term ``g(x)``                  appears in log q of
=========  ===================================  ======================
``pow``    ``x**n`` (n an integer or a symbol)  Normal, Exponential, Gamma, Gumbel, Weibull
``logpow`` ``log(x)**n``                        Gamma, Beta, LogNormal, Weibull
``log1m``  ``log(1 - x)``                       Beta
``exp``    ``exp(t*x)``                         Gumbel
``abs``    ``|x - c|``                          Laplace
``logquad````log((x - m)**2 + c)``, ``c > 0``   Cauchy, StudentT
``lgamma`` ``log(gamma(s*x + b))``              Poisson, Binomial, NegativeBinomial (``log k!``)
``softplus`` ``log(1 + exp(-(x - m)/s))``, s > 0 Logistic
``cos``    ``cos(x - m)``                       VonMises
``log1mpow`` ``log(1 - x**c)``                  Kumaraswamy
``logitpow`` ``logit(x)**n``                    LogitNormal
=========  ===================================  ======================

The expectation of each kind under each family is derived once
(:mod:`anadiv.symbolic.expectations`), so every cross-family pair is a sum of
known pieces.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import sympy as sp

from ..errors import NoClosedFormError
from .functions import logit

KINDS = ("pow", "logpow", "log1m", "exp", "abs", "logquad", "lgamma", "softplus", "cos", "log1mpow", "logitpow")


@dataclass(frozen=True)
class Term:
    """One basis term: its kind and its ``x``-free arguments."""

    kind: str
    args: tuple[Any, ...] = ()

    def as_expr(self, x: Any) -> Any:
        """The basis function as a sympy expression in ``x`` (for the steps)."""
        if self.kind == "pow":
            return x ** self.args[0]
        if self.kind == "logpow":
            return sp.log(x) ** self.args[0]
        if self.kind == "log1m":
            return sp.log(1 - x)
        if self.kind == "exp":
            return sp.exp(self.args[0] * x)
        if self.kind == "abs":
            return sp.Abs(x - self.args[0])
        if self.kind == "logquad":
            m, c = self.args
            return sp.log((x - m) ** 2 + c)
        if self.kind == "lgamma":
            s, b = self.args
            return sp.loggamma(s * x + b)
        if self.kind == "softplus":
            m, scale = self.args
            return sp.log(1 + sp.exp(-(x - m) / scale))
        if self.kind == "cos":
            return sp.cos(x - self.args[0])
        if self.kind == "log1mpow":
            return sp.log(1 - x ** self.args[0])
        if self.kind == "logitpow":
            return logit(x) ** self.args[0]
        raise ValueError(f"kind: unknown basis kind {self.kind!r}")


def _classify(factor: Any, x: Any) -> tuple[Any, Term]:
    """Write an ``x``-dependent factor as ``extra_coefficient * basis``.

    Returns ``(extra, term)``; ``extra`` is ``x``-free (``|a|`` from
    ``|a x + b|``, ...) or an additive constant folded in by the caller via
    :func:`decompose`.
    """
    if factor == x:
        return sp.Integer(1), Term("pow", (sp.Integer(1),))
    if factor.is_Pow and factor.base == x and not factor.exp.has(x):
        return sp.Integer(1), Term("pow", (factor.exp,))
    if isinstance(factor, sp.log) and factor.args[0] == x:
        return sp.Integer(1), Term("logpow", (sp.Integer(1),))
    if factor.is_Pow and isinstance(factor.base, sp.log) and factor.base.args[0] == x and factor.exp.is_Integer:
        return sp.Integer(1), Term("logpow", (factor.exp,))
    if isinstance(factor, sp.exp):
        arg = sp.expand(factor.args[0])
        slope = sp.diff(arg, x)
        if not slope.has(x) and sp.simplify(arg - slope * x) == 0:
            return sp.Integer(1), Term("exp", (slope,))
    if isinstance(factor, sp.Abs):
        arg = sp.expand(factor.args[0])
        slope = sp.diff(arg, x)
        if not slope.has(x) and slope != 0:
            return sp.Abs(slope), Term("abs", (sp.simplify(-(arg - slope * x) / slope),))
    logitpow = _logitpow_term(factor, x)
    if logitpow is not None:
        return sp.Integer(1), logitpow
    lgamma = _classify_lgamma(factor, x)
    if lgamma is not None:
        return sp.Integer(1), lgamma
    if isinstance(factor, sp.cos):
        found = _cos_term(factor, x)
        if found is not None:
            return sp.Integer(1), found
    if isinstance(factor, sp.log):
        arg = sp.expand(factor.args[0])
        found = _softplus_term(arg, x) or _log1mpow_term(arg, x)
        if found is not None:
            return sp.Integer(1), found
        if arg.is_polynomial(x):
            poly = sp.Poly(arg, x)
            if poly.degree() == 1 and sp.simplify(arg - (1 - x)) == 0:
                return sp.Integer(1), Term("log1m")
            if poly.degree() == 2:
                a2, a1, a0 = poly.all_coeffs()
                m = sp.simplify(-a1 / (2 * a2))
                c = sp.simplify(a0 / a2 - m**2)
                # log(a2 (x-m)^2 + a2 c) = log(a2) + log((x-m)^2 + c): return the constant separately
                return sp.expand_log(sp.log(a2), force=True), Term("logquad", (m, c))
    raise NoClosedFormError(
        f"the engine cannot expand the log-density term {factor} into its basis terms; "
        "use anadiv.kl_quad(p, q) (numerical integration) or anadiv.kl_estimate(p, q) (Monte Carlo)"
    )


def _classify_lgamma(factor: Any, x: Any) -> Term | None:
    """``log(gamma(s*x + b))`` (a mass function's ``log k!`` or binomial coefficient) as an ``lgamma`` term."""
    if isinstance(factor, sp.loggamma):
        arg = factor.args[0]
    elif isinstance(factor, sp.log) and isinstance(factor.args[0], sp.gamma):
        arg = factor.args[0].args[0]
    else:
        return None
    arg = sp.expand(arg)
    slope = sp.diff(arg, x)
    if slope.has(x) or slope == 0:
        return None
    return Term("lgamma", (slope, sp.expand(arg - slope * x)))
def _softplus_term(arg: Any, x: Any) -> Term | None:
    """``log(1 + A exp(u x + v))`` with a negative slope ``u`` as ``softplus(m, s)``: ``log(1 + exp(-(x - m)/s))``.

    A positive slope is left unrecognised (``log(1 + e^w) = w + log(1 + e^-w)``
    would split it, but no declared log-density needs that).
    """
    rest = sp.expand(arg - 1)
    if rest == 0 or not rest.has(x):
        return None
    coef, dep = rest.as_independent(x, as_Add=False)
    exps = [f for f in sp.Mul.make_args(dep) if isinstance(f, sp.exp)]
    if len(exps) != len(sp.Mul.make_args(dep)) or coef.is_positive is not True:
        return None
    exponent = sp.expand(sp.Add(*[f.args[0] for f in exps]) + sp.log(coef))
    slope = sp.diff(exponent, x)
    if slope.has(x) or slope.is_negative is not True:
        return None
    scale = sp.simplify(-1 / slope)
    m = sp.simplify(sp.expand_log(exponent - slope * x, force=True) * scale)
    return Term("softplus", (m, scale))


def _logitpow_term(factor: Any, x: Any) -> Term | None:
    """``logit(x)**n`` (``n`` a positive integer): a LogitNormal's log-density is quadratic in ``logit(x)``."""
    base, n = factor.as_base_exp()
    if isinstance(base, logit) and base.args[0] == x and n.is_Integer and n > 0:
        return Term("logitpow", (n,))
    return None


def _log1mpow_term(arg: Any, x: Any) -> Term | None:
    """``log(1 - x**c)`` for a symbolic or non-integer ``c`` (``c = 1`` is ``log1m``)."""
    rest = sp.expand(1 - arg)
    if rest.is_Pow and rest.base == x and not rest.exp.has(x) and not rest.exp.is_Integer:
        return Term("log1mpow", (rest.exp,))
    return None


def _cos_term(factor: Any, x: Any) -> Term | None:
    """``cos(+-(x - m))`` as ``cos(x - m)`` (cos is even); other frequencies are left unrecognised."""
    arg = sp.expand(factor.args[0])
    slope = sp.diff(arg, x)
    if slope not in (1, -1):
        return None
    return Term("cos", (sp.simplify(-(arg - slope * x) / slope),))


def normalize(logdensity: Any) -> Any:
    """Expand logs, powers and exponentials so each summand holds one basis factor."""
    expr = sp.expand_log(sp.expand(logdensity), force=True)
    return sp.expand(sp.powsimp(sp.expand(expr, power_base=True, force=True), combine="base"), force=True)


def decompose(logdensity: Any, x: Any) -> tuple[Any, dict[Term, Any]]:
    """Split ``logdensity`` into ``(constant, {term: coefficient})``.

    Examples
    --------
    >>> import sympy as sp
    >>> x, mu = sp.Symbol("x", real=True), sp.Symbol("mu", real=True)
    >>> const, pieces = decompose(-(x - mu)**2 / 2, x)
    >>> sorted((t.args[0], c) for t, c in pieces.items())
    [(1, mu), (2, -1/2)]
    """
    const = sp.Integer(0)
    pieces: dict[Term, Any] = {}
    for summand in sp.Add.make_args(normalize(logdensity)):
        coef, factor = summand.as_independent(x, as_Add=False)
        if factor == 1:
            const += coef
            continue
        if factor.is_Mul:
            # a product of x-dependent factors: only an x-free power split is acceptable
            raise NoClosedFormError(
                f"the engine cannot expand the product {factor} into basis terms; "
                "use anadiv.kl_quad(p, q) or anadiv.kl_estimate(p, q)"
            )
        extra, term = _classify(factor, x)
        if term.kind == "logquad":
            const += coef * extra
            extra = sp.Integer(1)
        pieces[term] = pieces.get(term, sp.Integer(0)) + coef * extra
    return const, {t: c for t, c in pieces.items() if c != 0}
