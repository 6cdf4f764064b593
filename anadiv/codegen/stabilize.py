r"""Rewrite derived closed forms so that float64 evaluation keeps full precision.

A divergence vanishes to second order as P approaches Q, but the derived
expression is a sum of first-order terms, e.g. for two normals

.. math:: \log\sigma_2 - \log\sigma_1 + \frac{\sigma_1^2}{2\sigma_2^2}
          + \frac{(\mu_1-\mu_2)^2}{2\sigma_2^2} - \frac12 ,

whose float64 value at :math:`\sigma_2 = \sigma_1(1 + 10^{-9})` is rounding
noise. :func:`stabilize` returns an expression equal to the input that is a
sum of terms which do not cancel:

.. math:: \tfrac12\operatorname{powm1mlog}(\sigma_1, \sigma_2, 2)
          + \frac{(\mu_1-\mu_2)^2}{2\sigma_2^2}

How (each step keeps the expression exactly equal):

1. *atoms*: nonnegative second-order combinations, written with the helpers of
   :mod:`anadiv.codegen.helpers`, are found in the expression:

   * Bregman divergences of ``loggamma``: ``loggamma(y) - loggamma(x)
     - (y - x) digamma(x)`` where ``y`` is ``x`` with P's parameters replaced by
     Q's (Gamma, Beta, ...);
   * ``c (r^k - 1 - k log r)`` for a ratio ``r`` of matching positive
     parameters (found by substituting :math:`x_1 = x_2 e^L` and reading off
     the coefficients of :math:`e^{kL}` when a term linear in ``L`` is present);
   * per-pair atoms from :data:`REWRITES` where the pattern is not generic
     (an exponential of a sum, as for Laplace, Gumbel, Weibull);

2. the *residual* ``expr - sum(atoms)`` (taken from the derivation, so the
   formula still comes from the engine) is reorganised: ``log(g(P)) -
   log(g(Q))`` becomes ``log_ratio``, the rational rest is factored (so
   :math:`\mu_1^2 - 2\mu_1\mu_2 + \mu_2^2` prints as :math:`(\mu_1-\mu_2)^2`),
   and a residual that is zero (symbolically, or to 40 digits at random
   points) is dropped;

3. the result is *verified*: it must agree with the input to 40 digits at
   random parameter points evaluated with 50-digit mpmath. If it does not (a
   bug), a warning is issued and the input is returned unchanged.
"""

from __future__ import annotations

import warnings
from typing import Any, Callable

import mpmath
import numpy as np
import sympy
from sympy import Abs, Add, Dummy, Mul, Piecewise, exp, log, loggamma, polygamma

from .helpers import (
    log1pmx,
    atanmx,
    cos_half_pi,
    beta_bregman,
    betainc_reg,
    gamma_bregman,
    lgamma_diff,
    lgamma_mpsi,
    lowergamma_reg,
    expm1mx,
    lgamma_bregman,
    lgamma_bregman_d,
    diff2,
    log_ratio,
    log_ratio_d,
    powm1mlog,
    to_elementary,
    with_scaled_bessel,
    xm1mlog,
    xm1mlog_d,
)

__all__ = ["stabilize", "verify", "REWRITES", "register_rewrite", "StabilizeError"]


class StabilizeError(AssertionError):
    """A rewritten expression does not agree with the derivation."""


# ----------------------------------------------------------------- per-pair atoms

#: (kind, P name, Q name) -> function(P symbols, Q symbols) -> list of atoms.
#: An atom is any expression built from helpers; the residual (derivation minus
#: atoms) is computed from the derivation, so a wrong atom cannot change the
#: value, only the accuracy, and the accuracy test catches that.
REWRITES: dict[tuple[str, str, str], Callable[[tuple[Any, ...], tuple[Any, ...]], list[Any]]] = {}
#: Pairs whose atoms are the whole value of one case of a case split: a case
#: they do not add up to takes the generic atoms (``Binomial(n) || Bernoulli``:
#: the Bernoulli KL where ``n = 1``, ``-log(1 - p_2)`` where ``n = 0``).
ONE_CASE: set[tuple[str, str, str]] = set()


def register_rewrite(kind: str, p: str, q: str, one_case: bool = False) -> Callable[[Callable[[tuple[Any, ...], tuple[Any, ...]], list[Any]]], Callable[[tuple[Any, ...], tuple[Any, ...]], list[Any]]]:
    """Decorator registering the atoms of one family pair (``one_case``: see :data:`ONE_CASE`)."""

    def deco(fn: Callable[[tuple[Any, ...], tuple[Any, ...]], list[Any]]) -> Callable[[tuple[Any, ...], tuple[Any, ...]], list[Any]]:
        key = (kind, p, q)
        if key in REWRITES:
            raise ValueError(f"rewrite for {key} registered twice")
        REWRITES[key] = fn
        if one_case:
            ONE_CASE.add(key)
        return fn

    return deco


@register_rewrite("kl", "gamma", "gamma")
def _gamma(p: tuple[Any, ...], q: tuple[Any, ...]) -> list[Any]:
    # the generic atoms (lgamma Bregman + r - 1 - log r + a log-ratio term) cancel by a
    # factor up to 2*shape; the helper regroups them with Stirling's series
    (a1, b1), (a2, b2) = p, q
    return [gamma_bregman(a1, b1, a2, b2)]


@register_rewrite("kl", "beta", "beta")
def _beta(p: tuple[Any, ...], q: tuple[Any, ...]) -> list[Any]:
    # three lgamma Bregman terms cancel by a factor up to a + b; see _stable.beta_bregman
    (a1, b1), (a2, b2) = p, q
    return [beta_bregman(a1, b1, a2, b2)]


@register_rewrite("kl", "laplace", "laplace")
def _laplace(p: tuple[Any, ...], q: tuple[Any, ...]) -> list[Any]:
    # (b1/b2) exp(-|m1-m2|/b1) - 1 - log(b1/b2) + |m1-m2|/b1 = expm1mx(log(b1/b2) - |m1-m2|/b1) >= 0;
    # what is left, |m1-m2| (1/b2 - 1/b1), factors as |m1-m2| (b1 - b2)/(b1 b2).
    (m1, b1), (m2, b2) = p, q
    return [expm1mx(log_ratio(b1, b2) - Abs(m1 - m2) / b1)]


def _gumbel_like(u_rest: Any, e: Any, c1: Any, c2: Any) -> list[Any]:
    r"""Atoms of :math:`e^{u} - 1 - \ldots` with :math:`u = u_{rest} + \log\Gamma(2 + e)`.

    :math:`\log\Gamma(2+e) = B_{\log\Gamma}(2, 2+e) + (1-\gamma)e`, so the KL is
    ``expm1mx(u) + lgamma_bregman_d(2, e) + xm1mlog(c1, c2)`` with
    :math:`e = c_1/c_2 - 1`, three nonnegative terms.
    """
    lg = lgamma_bregman_d(2, e) + (1 - sympy.EulerGamma) * e
    return [expm1mx(u_rest + lg), lgamma_bregman_d(2, e), xm1mlog(c1, c2)]


@register_rewrite("kl", "gumbel", "gumbel")
def _gumbel(p: tuple[Any, ...], q: tuple[Any, ...]) -> list[Any]:
    # exp((m2-m1)/b2) Gamma(1 + b1/b2) = exp(u)
    (m1, b1), (m2, b2) = p, q
    return _gumbel_like((m2 - m1) / b2, (b1 - b2) / b2, b1, b2)


@register_rewrite("kl", "weibull", "weibull")
def _weibull(p: tuple[Any, ...], q: tuple[Any, ...]) -> list[Any]:
    # (l1/l2)^k2 Gamma(1 + k2/k1) = exp(u)
    (k1, l1), (k2, l2) = p, q
    return _gumbel_like(k2 * log_ratio(l1, l2), (k2 - k1) / k1, k2, k1)


@register_rewrite("kl", "moyal", "moyal")
def _moyal(p: tuple[Any, ...], q: tuple[Any, ...]) -> list[Any]:
    # 2^(r-1) exp((m2-m1)/b2) Gamma(r + 1/2)/sqrt(pi) = exp(u)/2 with r = b1/b2 = 1 + e and
    # u = (m2-m1)/b2 + (2 - gamma - log 2) e + B(3/2, e), B = lgamma_bregman_d (psi(3/2) = 2 - gamma - 2 log 2);
    # the KL is then (expm1mx(u) + B(3/2, e))/2 + xm1mlog(b1, b2), three nonnegative terms
    (m1, b1), (m2, b2) = p, q
    e = (b1 - b2) / b2
    bregman = lgamma_bregman_d(sympy.Rational(3, 2), e)
    u = (m2 - m1) / b2 + (2 - sympy.EulerGamma - log(2)) * e + bregman
    return [expm1mx(u) / 2, bregman / 2, xm1mlog(b1, b2)]


@register_rewrite("kl", "cauchy", "cauchy")
def _cauchy(p: tuple[Any, ...], q: tuple[Any, ...]) -> list[Any]:
    # log(((b1+b2)^2 + (m1-m2)^2) / (4 b1 b2)) = log1p(((b1-b2)^2 + (m1-m2)^2) / (4 b1 b2))
    from sympy.codegen.cfunctions import log1p

    (m1, b1), (m2, b2) = p, q
    return [log1p(((b1 - b2) ** 2 + (m1 - m2) ** 2) / (4 * b1 * b2))]


def _two_point_bregman(p1: Any, p2: Any) -> list[Any]:
    r"""KL of Bernoulli(p1) from Bernoulli(p2) as two nonnegative atoms.

    :math:`\sum_k P_k \log(P_k/Q_k) = \sum_k P_k\,(Q_k/P_k - 1 - \log(Q_k/P_k))`
    (the added :math:`\sum_k (Q_k - P_k)` is 0). The generic atoms left
    :math:`p_1 \log p_1 - p_1 \log p_2` and its partner to cancel: nearly equal
    pairs, and typical ones by a few digits, went to the exact fallback. The
    differences are given exactly (:math:`p_1 - p_2`), since ``1 - p`` is rounded
    for :math:`p < 1/2`.
    """
    return [p1 * xm1mlog_d(p2, p1, p2 - p1), (1 - p1) * xm1mlog_d(1 - p2, 1 - p1, p1 - p2)]


@register_rewrite("kl", "bernoulli", "bernoulli")
def _bernoulli(p: tuple[Any, ...], q: tuple[Any, ...]) -> list[Any]:
    return _two_point_bregman(p[0], q[0])


@register_rewrite("kl", "binomial", "bernoulli", one_case=True)
def _binomial_bernoulli(p: tuple[Any, ...], q: tuple[Any, ...]) -> list[Any]:
    # finite where n = 0 (-log(1 - p_2), generic atoms) or n = 1: Bernoulli(p_1) || Bernoulli(p_2)
    return _two_point_bregman(p[1], q[0])


@register_rewrite("kl", "geometric", "geometric")
def _geometric(p: tuple[Any, ...], q: tuple[Any, ...]) -> list[Any]:
    # KL(Geometric(p1) || Geometric(p2)) = KL(Bernoulli(p1) || Bernoulli(p2)) / p1
    (p1,), (p2,) = p, q
    return [atom / p1 for atom in _two_point_bregman(p1, p2)]


@register_rewrite("kl", "halfcauchy", "halfcauchy")
def _halfcauchy(p: tuple[Any, ...], q: tuple[Any, ...]) -> list[Any]:
    # the Cauchy's with equal locations: log((s1+s2)^2 / (4 s1 s2)) = log1p((s1-s2)^2 / (4 s1 s2))
    from sympy.codegen.cfunctions import log1p

    (s1,), (s2,) = p, q
    return [log1p((s1 - s2) ** 2 / (4 * s1 * s2))]


# Binomial and NegativeBinomial pairs (same trial count): log(p1/p2) = log1p(d/p2) and
# log(q1/q2) = log1p(-d/q2) with d = p1 - p2 (an exact difference for close values; 1 - p1 and
# 1 - p2 round to the same float below 1e-16, so log(q1/q2) is never formed as a ratio). Each
# log1p(t) is log1pmx(t) + t, and the first-order terms t add up to a multiple of d^2: nothing
# cancels to first order when P and Q are nearly equal.
@register_rewrite("kl", "binomial", "binomial")
def _binomial(p: tuple[Any, ...], q: tuple[Any, ...]) -> list[Any]:
    # n [p1 log(p1/p2) + q1 log(q1/q2)], d = p1 - p2: n [p1 log1pmx(d/p2) + q1 log1pmx(-d/q2) + d^2/(p2 q2)]
    (n1, p1), (_, p2) = p, q
    d = p1 - p2
    return [n1 * p1 * log1pmx(d / p2), n1 * (1 - p1) * log1pmx(-d / (1 - p2)), n1 * d**2 / (p2 * (1 - p2))]


@register_rewrite("kl", "negative_binomial", "negative_binomial")
def _negative_binomial(p: tuple[Any, ...], q: tuple[Any, ...]) -> list[Any]:
    # r [log(q1/q2) + (p1/q1) log(p1/p2)], d = p1 - p2:
    # r [log1pmx(-d/q2) + (p1/q1) log1pmx(d/p2) + d^2/(q1 q2 p2)]
    (r1, p1), (_, p2) = p, q
    d = p1 - p2
    return [r1 * log1pmx(-d / (1 - p2)), r1 * p1 / (1 - p1) * log1pmx(d / p2), r1 * d**2 / ((1 - p1) * (1 - p2) * p2)]


# ------------------------------------------------------------------ generic atoms


def _swap_map(p: tuple[Any, ...], q: tuple[Any, ...]) -> dict[Any, Any]:
    """P's symbols -> Q's (for same-family pairs)."""
    return dict(zip(p, q))


def _has_special(term: Any) -> bool:
    return any(not isinstance(f, (exp, log, Abs)) for f in term.atoms(sympy.Function))


def _gamma_atoms(expr: Any, p: tuple[Any, ...], q: tuple[Any, ...]) -> list[Any]:
    """``c * lgamma_bregman(x, y)`` for every loggamma/digamma Bregman pattern."""
    to_q = _swap_map(p, q)
    e = sympy.expand(expr)
    atoms = []
    for lg in e.atoms(loggamma):
        x = lg.args[0]
        y = x.xreplace(to_q)
        if y == x or not e.has(loggamma(y)):
            continue
        c = e.coeff(loggamma(y))
        if c == 0 or sympy.expand(e.coeff(loggamma(x)) + c) != 0:
            continue
        if sympy.expand(e.coeff(polygamma(0, x)) - c * (x - y)) != 0:
            continue
        atoms.append(c * lgamma_bregman(x, y))
    return atoms


def _cross_mpsi_atoms(expr: Any, p: tuple[Any, ...], q: tuple[Any, ...]) -> list[Any]:
    """Same-family cross-entropy: ``k (loggamma(y) + (c - y) digamma(x))`` with ``y`` = Q's ``x``.

    Equal to ``k (lgamma_bregman(x, y) + lgamma_mpsi(x, c) - x)``: a
    nonnegative Bregman term plus the entropy piece, neither cancelling.
    """
    to_p = dict(zip(q, p))
    e = sympy.expand(expr)
    atoms = []
    for lg in e.atoms(loggamma):
        y = lg.args[0]
        x = y.xreplace(to_p)
        k = e.coeff(lg)
        if x == y or k == 0 or not k.is_number or e.coeff(polygamma(0, y)) != 0:
            continue
        psi = e.coeff(polygamma(0, x))
        if psi == 0 or e.coeff(loggamma(x)) != 0:
            continue
        c = sympy.expand(psi / k + y)
        if c.has(*x.free_symbols) or c.has(loggamma, polygamma):
            continue
        atoms += [k * lgamma_bregman(x, y), k * lgamma_mpsi(x, c)]
    return atoms


def _mpsi_atoms(expr: Any) -> list[Any]:
    """``k * lgamma_mpsi(x, c)`` for ``k (loggamma(x) + (c - x) digamma(x))`` (entropy pieces).

    Both terms grow like ``x log x`` for a large shape ``x`` and cancel; the
    helper returns their sum plus ``x`` without cancellation (the ``- k x``
    left in the residual cancels symbolically against the divergence's
    linear terms).
    """
    e = sympy.expand(expr)
    atoms = []
    for lg in e.atoms(loggamma):
        x = lg.args[0]
        k = e.coeff(lg)
        if k == 0 or not k.is_number:
            continue
        psi = e.coeff(polygamma(0, x))
        if psi == 0:
            continue
        c = sympy.expand(psi / k + x)
        if c.has(*x.free_symbols) or c.has(loggamma, polygamma):
            continue
        atoms.append(k * lgamma_mpsi(x, c))
    return atoms


def _scale_atoms(expr: Any, p: tuple[Any, ...], q: tuple[Any, ...]) -> list[Any]:
    """``c * powm1mlog(x1, x2, k)`` for ``c (r^k - 1 - k log r)`` with ``r = x1/x2``."""
    plain = Add(*[t for t in Add.make_args(sympy.expand(expr)) if not _has_special(t)])
    atoms = []
    for x1, x2 in zip(p, q):
        if not (x1.is_positive and x2.is_positive) or not plain.has(x1):
            continue
        L = Dummy("L", real=True)
        f = sympy.expand(sympy.expand_log(sympy.powsimp(plain.xreplace({x1: x2 * exp(L)})), force=True))
        f = sympy.expand(sympy.powsimp(f, combine="exp"))
        if sympy.expand(f.coeff(L)) == 0:
            continue  # no log of this parameter: no r - 1 - log r pattern
        groups: dict[Any, Any] = {}
        for t in Add.make_args(f):
            c, dep = t.as_independent(L, as_Add=False)
            if isinstance(dep, exp):
                k = sympy.simplify(dep.args[0] / L)
                if not k.has(L) and not c.has(x1):
                    groups[k] = groups.get(k, 0) + c
        for k, c in groups.items():
            c = sympy.factor(c)
            if c != 0:
                atoms.append(c * powm1mlog(x1, x2, k))
    return atoms


# ------------------------------------------------------------------ the residual


def _log_ratios(expr: Any, p: tuple[Any, ...], q: tuple[Any, ...]) -> Any:
    """``a log(g(P)) - a log(g(Q))`` -> ``a log_ratio(g(P), g(Q))``; the rest factored."""
    to_q = _swap_map(p, q)
    e = sympy.expand(sympy.expand_log(expr, force=True))
    log_terms: dict[Any, Any] = {}
    rest = []
    for t in Add.make_args(e):
        logs = [f for f in Mul.make_args(t) if isinstance(f, log)]
        if len(logs) == 1:
            log_terms[logs[0]] = log_terms.get(logs[0], 0) + t / logs[0]
        else:
            rest.append(t)
    out = []
    paired: set[Any] = set()
    for lg, c in log_terms.items():  # P-side logs first: pair each with its Q-side partner
        partner = log(lg.args[0].xreplace(to_q))
        if partner != lg and partner in log_terms and sympy.expand(log_terms[partner] + c) == 0:
            out.append(sympy.factor(c) * _log_ratio_of(lg.args[0], partner.args[0]))
            paired.update((lg, partner))
    for lg, c in log_terms.items():
        if lg not in paired:
            out.append(sympy.factor(c) * lg)
    return Add(*out) + _factor_rest(Add(*rest))


def _log_ratio_of(g1: Any, g2: Any) -> Any:
    """``log(g1/g2)``; for widths ``x1 - y1`` over ``x2 - y2`` the difference is taken
    as ``(x1 - x2) - (y1 - y2)`` (exact for close values) instead of from the rounded widths."""
    if g1.is_Symbol and g2.is_Symbol:
        return log_ratio(g1, g2)
    parts1, parts2 = Add.make_args(g1), Add.make_args(g2)
    if isinstance(g1, Add) and len(parts1) == 2 and len(parts2) == 2:
        pos1 = [t for t in parts1 if t.is_Symbol]
        neg1 = [-t for t in parts1 if (-t).is_Symbol]
        pos2 = [t for t in parts2 if t.is_Symbol]
        neg2 = [-t for t in parts2 if (-t).is_Symbol]
        if len(pos1) == len(neg1) == len(pos2) == len(neg2) == 1:
            return log_ratio_d(g1, g2, diff2(pos1[0], pos2[0], neg1[0], neg2[0]))
    return log_ratio(g1, g2)


def _is_rational_term(term: Any) -> bool:
    """No functions other than Abs, and only numeric exponents: safe to factor."""
    if any(not isinstance(f, Abs) for f in term.atoms(sympy.Function)):
        return False
    return all(pw.exp.is_number for pw in term.atoms(sympy.Pow))


def _log_of_factor(f: Any) -> Any | None:
    """log of a factor that may over/underflow on its own, or None."""
    base, e = (f.base, f.exp) if f.is_Pow else (f, sympy.Integer(1))
    if isinstance(base, sympy.gamma) and base.args[0].is_positive:
        return e * loggamma(base.args[0])
    if isinstance(base, sympy.beta) and all(a.is_positive for a in base.args):
        x, y = base.args
        return e * (loggamma(x) + loggamma(y) - loggamma(x + y))
    if isinstance(base, exp):
        return e * base.args[0]
    if f.is_Pow and not e.is_number and base.is_positive:
        return e * log(base)
    return None


def _pair_lgammas(expo: Any) -> Any:
    """``loggamma(x + h) - loggamma(x)`` -> ``lgamma_diff(x, x + h)`` inside an exponent."""
    terms = list(Add.make_args(sympy.expand(expo)))
    pos = [t for t in terms if isinstance(t, loggamma)]
    neg = [-t for t in terms if isinstance(-t, loggamma)]
    out = [t for t in terms if t not in pos and -t not in neg]
    for y in pos:
        match = next((x for x in neg if len((y.args[0] - x.args[0]).free_symbols) < len(y.args[0].free_symbols)), None)
        if match is None:
            out.append(y)
        else:
            neg.remove(match)
            out.append(lgamma_diff(match.args[0], y.args[0]))
    return Add(*out) - Add(*neg)


def _regularize_lowergamma(term: Any) -> Any:
    """``lowergamma(s + n, x) / gamma(s)`` -> ``lowergamma_reg(s + n, x) * gamma(s + n) / gamma(s)``."""
    lows = [f for f in Mul.make_args(term) if isinstance(f, sympy.lowergamma)]
    invs = [f for f in Mul.make_args(term) if f.is_Pow and isinstance(f.base, sympy.gamma) and f.exp == -1]
    if len(lows) != 1 or len(invs) != 1:
        return term
    (low,), (inv,) = lows, invs
    s_, x = low.args
    ratio = sympy.gammasimp(sympy.gamma(s_) / inv.base)
    if ratio.has(sympy.gamma):
        return term
    return term / (low * inv) * lowergamma_reg(s_, x) * ratio


def _log_space(term: Any) -> Any:
    """``gamma(z) b**e exp(a) ...`` -> ``exp(loggamma(z) + e log b + a)``.

    A product of several factors that over/underflow separately (``gamma(k+1)``
    and ``(rate scale)**-k`` for a large shape ``k``) is formed in log space,
    so it is finite whenever the product is; ``lowergamma(s, x)/gamma(s)`` becomes
    the regularized function.
    """
    term = _regularize_lowergamma(term)
    big, other = [], []
    for f in Mul.make_args(term):
        lf = _log_of_factor(f)
        if lf is None:
            other.append(f)
        else:
            big.append(lf)
    if len(big) < 2:
        return term
    return Mul(*other) * exp(_pair_logs(_pair_lgammas(Add(*big))))


def _pair_logs(expo: Any) -> Any:
    """``e log(a) - e log(b)`` -> ``e log_ratio(a, b)`` inside an exponent (``e`` may be
    a large shape: the rounding of each log would be amplified by it)."""
    e = sympy.expand(sympy.expand_log(expo, force=True))
    coefs: dict[Any, Any] = {}
    rest = []
    for t in Add.make_args(e):
        logs = [f for f in Mul.make_args(t) if isinstance(f, log)]
        if len(logs) == 1:
            coefs[logs[0]] = coefs.get(logs[0], 0) + t / logs[0]
        else:
            rest.append(t)
    out, used = [], set()
    for la, ca in coefs.items():
        if la in used:
            continue
        lb = next((lb for lb, cb in coefs.items() if lb not in used and lb != la
                   and sympy.expand(ca + cb) == 0), None)
        if lb is None:
            out.append(ca * la)
            used.add(la)
        else:
            out.append(sympy.factor(ca) * log_ratio(la.args[0], lb.args[0]))
            used.update((la, lb))
    return Add(*out, *rest)


def _log_of_width_ratio(expr: Any, p: tuple[Any, ...], q: tuple[Any, ...]) -> Any:
    """``log(g)`` with ``g = N/D``, ``N`` the Q-side copy of the sum ``D`` (a ratio of
    widths, ``(high_2 - low_2)/(high_1 - low_1)``) -> :func:`_log_ratio_of`."""
    to_p = dict(zip(q, p))

    def fix(arg: Any) -> Any:
        n, d = sympy.fraction(sympy.together(arg))
        if isinstance(n, Add) and isinstance(d, Add) and n != d and sympy.expand(n.xreplace(to_p) - d) == 0:
            return _log_ratio_of(n, d)
        return log(arg)

    return expr.replace(log, fix)


#: parameters that may be huge (Student t degrees of freedom): a log of a sum dominated by
#: a term growing with them is split as log(term) + log1p(rest / term)
_GROWING_PARAMS = {"df"}


def _growing_symbols(derivation: Any) -> list[Any]:
    out = []
    for fam, syms in zip(derivation.families, derivation.symbols):
        out += [sym for prm, sym in zip(fam.parameters, syms) if prm.name in _GROWING_PARAMS]
    return out


def _split_dominant_logs(expr: Any, growing: list[Any]) -> Any:
    """``log(df s^2 + y)`` -> ``log(df s^2) + log1p(y / (df s^2))`` so the ``(df+1)/2 log(df ...)``
    terms of Student t formulas cancel symbolically instead of in floating point."""
    from sympy.codegen.cfunctions import log1p

    def split(arg: Any) -> Any:
        if not isinstance(arg, Add):
            return log(arg)
        for g in growing:
            powers = [sympy.S(t.as_powers_dict().get(g, 0)) for t in arg.args]
            top = max(powers)
            if top.is_number and top > 0 and powers.count(top) == 1:
                dom = arg.args[powers.index(top)]
                if dom.is_positive:
                    return log(dom) + log1p(sympy.cancel((arg - dom) / dom))
        return log(arg)

    if not growing:
        return expr
    expr = expr.replace(log, split)
    # atan(z) with z -> 0 as df grows: its linear part cancels against other terms
    return expr.replace(
        lambda e: isinstance(e, sympy.atan) and any(
            sympy.S(t.as_powers_dict().get(g, 0)) < 0 for g in growing for t in Add.make_args(sympy.expand(e.args[0]))),
        lambda e: atanmx(e.args[0]) + e.args[0],
    )


def _factor_rest(rest: Any) -> Any:
    """Factor the rational part so differences stay differences; products of
    gamma functions, exponentials and symbolic powers go to log space."""
    rest = rest.replace(
        lambda e: isinstance(e, Piecewise),
        lambda e: Piecewise(*[(_factor_rest(sympy.expand(b)), c) for b, c in e.args]),
    )
    terms = Add.make_args(rest)
    plain = Add(*[t for t in terms if _is_rational_term(t)])
    other = [_log_space(t) for t in terms if not _is_rational_term(t)]
    # loggamma(x + h) - loggamma(x) with a constant shift h: each is huge for a large x
    lg_terms = [t for t in other if isinstance(t, loggamma) or isinstance(-t, loggamma)]
    if len(lg_terms) >= 2:
        other = [t for t in other if t not in lg_terms] + [_pair_lgammas(Add(*lg_terms))]
    special = Add(*other)
    return sympy.factor(plain) + sympy.collect(special, list(special.atoms(loggamma, polygamma)))


def _is_zero(expr: Any, points: list[dict[Any, Any]]) -> bool:
    """Zero symbolically, or below 1e-35 at every point (50-digit evaluation)."""
    if expr == 0:
        return True
    with mpmath.workdps(50):
        return all(abs(_mp_value(expr, pt)) < mpmath.mpf(10) ** -35 for pt in points)


# ------------------------------------------------------------------ verification


#: lambdify(..., "mpmath") has no translation of the 4-argument regularized incomplete beta
_MP_FIXES = {"betainc_regularized": lambda a, b, x1, x2: mpmath.betainc(a, b, x1, x2, regularized=True)}


def _mp_value(expr: Any, point: dict[Any, Any]) -> Any:
    """50-digit value; helpers evaluate through their guarded mpmath form (``_imp_``)."""
    syms = list(point)
    f = sympy.lambdify(syms, expr, modules=[_MP_FIXES, "mpmath"])
    return f(*[point[s] for s in syms])


def _close(a_expr: Any, b_expr: Any, point: dict[Any, Any], digits: int = 40) -> bool:
    with mpmath.workdps(50):
        a = _mp_value(sympy.sympify(a_expr), point)
        b = _mp_value(sympy.sympify(b_expr), point)
        if mpmath.isinf(a) or mpmath.isinf(b):
            return a == b
        scale = max(abs(a), abs(b), mpmath.mpf(10) ** -30)
        return abs(a - b) <= scale * mpmath.mpf(10) ** -digits


def tied_symbols(expr: Any) -> dict[Any, Any]:
    """Q's symbol -> P's for a closed form that holds only where they are equal (``Eq(n_1, n_2)``).

    The engine derives a pair whose terms cancel only for a shared parameter (a
    Binomial pair's trial count) as ``Piecewise((value, Eq(n_1, n_2)), ...,
    (nan, True))``; points that check or illustrate ``value`` take the tie.
    """
    if not isinstance(expr, Piecewise) or not any(e is sympy.nan for e, _ in expr.args):
        return {}
    eqs = [c for _, condition in expr.args for c in sympy.And.make_args(condition) if isinstance(c, sympy.Eq)]
    out = {}
    for eq in eqs:
        a, b = sorted(eq.args, key=str)  # "n_1" < "n_2": Q's symbol second
        out[b] = a
    return out


def _points(derivation: Any, n: int, seed: int = 0) -> list[dict[Any, Any]]:
    """Random parameter points (exact decimals) for P and Q, near-equal ones included."""
    tied = tied_symbols(derivation.expr)
    rng = np.random.default_rng(seed)
    fams = derivation.families
    syms = derivation.symbols
    pts = []
    for i in range(n):
        vals: list[tuple[Any, float]] = []
        for fam, ss in zip(fams, syms):
            params = fam.random_params(rng)
            if i % 3 == 2 and len(fams) == 2 and fams[0] is fams[1] and vals:
                # near-equal pair: Q = P perturbed
                params = tuple(v if spec.constraint.is_discrete else v * (1 + 1e-3 * rng.standard_normal())
                               for (_, v), spec in zip(vals, fam.parameters))
            vals += list(zip(ss, params))
        # the kind's own parameters (Renyi's order) follow the families' symbols
        for extra in syms[len(fams):]:
            vals += list(zip(extra, _kind_draws(derivation.kind, rng)))
        point = {s: mpmath.mpf(float(v)) for s, v in vals}
        point.update({q: point[p] for q, p in tied.items() if p in point})
        pts.append(point)
    return pts


def _kind_draws(kind: str, rng: Any) -> tuple[float, ...]:
    """Test values of a kind's extra parameters (``KindParameter.draw``)."""
    from ..kinds import KINDS

    return tuple(spec.draw(rng) for spec in KINDS[kind].parameters)


def verify(original: Any, rewritten: Any, derivation: Any, n: int = 8, digits: int = 40) -> None:
    """Raise :class:`StabilizeError` unless the two expressions agree at random points.

    Both are evaluated with 50-digit mpmath (helpers through their accurate
    mpmath evaluation) at ``n`` random parameter points from the families'
    typical ranges, a third of them with Q close to P.
    """
    for pt in _points(derivation, n):
        if not _close(original, rewritten, pt, digits):
            raise StabilizeError(f"stabilized expression differs from the derivation at {pt}")


# ------------------------------------------------------------------------ driver


def _flat_symbols(derivation: Any) -> tuple[tuple[Any, ...], tuple[Any, ...]]:
    syms = tuple(tuple(s) for s in derivation.symbols)
    if len(syms) == 1:
        return syms[0], ()
    return syms[0], syms[1]


def _stabilize_branch(expr: Any, derivation: Any, points: list[dict[Any, Any]]) -> Any:
    if expr.is_number:
        return expr
    p, q = _flat_symbols(derivation)
    names = tuple(f.name for f in derivation.families)
    same = len(names) == 2 and names[0] == names[1] and len(p) == len(q)
    key = (derivation.kind, *names) if len(names) == 2 else (derivation.kind, names[0], "")
    if same:
        expr = _log_of_width_ratio(expr, p, q)
    atoms: list[Any] = []
    hint = REWRITES.get(key)
    if hint is not None and key in ONE_CASE and not _is_zero(expr - Add(*[to_elementary(a) for a in hint(p, q)]), points):
        hint = None  # another case of the split: the generic atoms
    if hint is not None:
        atoms += hint(p, q)
    else:  # generic atoms, for pairs without registered ones
        if same:
            atoms += _gamma_atoms(expr, p, q)
            atoms += _scale_atoms(expr - Add(*[to_elementary(a) for a in atoms]), p, q)
            atoms += _cross_mpsi_atoms(expr - Add(*[to_elementary(a) for a in atoms]), p, q)
        atoms += _mpsi_atoms(expr - Add(*[to_elementary(a) for a in atoms]))
    residual = sympy.expand_log(expr - Add(*[to_elementary(a) for a in atoms]), force=True)
    residual = sympy.expand(_split_dominant_logs(residual, _growing_symbols(derivation)))
    residual = _rewrite_gamma(residual)
    residual = _log_ratios(residual, p, q if same else ())
    if atoms and _is_zero(residual, points):
        residual = sympy.Integer(0)
    return Add(*atoms) + residual


def _rewrite_gamma(expr: Any) -> Any:
    """``log(gamma(x))`` -> ``loggamma(x)`` (so gamma Bregman terms can pair up)."""
    return expr.replace(
        lambda e: isinstance(e, log) and isinstance(e.args[0], sympy.gamma),
        lambda e: loggamma(e.args[0].args[0]),
    )


def _betainc_from_zero(expr: Any) -> Any:
    """``betainc_regularized(a, b, 0, x)`` -> ``betainc_reg(a, b, x)`` (see the helper: the
    stock SciPy printing of the 4-argument form drops parentheses)."""
    return expr.replace(
        lambda e: isinstance(e, sympy.betainc_regularized) and e.args[2] == 0,
        lambda e: betainc_reg(e.args[0], e.args[1], e.args[3]),
    )


def _cos_half_pi(expr: Any) -> Any:
    """``cos(pi u/2)`` as ``cos_half_pi(u)``: printed as written, it loses every digit near ``u = 1``
    (the half-Cauchy's Mellin transform ``E[X^t] = scale^t/cos(pi t/2)`` against a Weibull of shape near 1)."""

    def half_pi_multiple(e: Any) -> Any:
        u = sympy.simplify(2 * e.args[0] / sympy.pi)
        return u if not u.has(sympy.pi) else None

    return expr.replace(
        lambda e: isinstance(e, sympy.cos) and half_pi_multiple(e) is not None,
        lambda e: cos_half_pi(half_pi_multiple(e)),
    )


def stabilize(expr: Any, derivation: Any) -> Any:
    """Rewrite ``expr`` (the derivation's expression) into an equal, cancellation-free form.

    Parameters
    ----------
    expr : sympy expression
        Usually ``derivation.expr``; ``oo`` and ``Piecewise`` are handled
        branch by branch.
    derivation : Derivation
        Supplies ``kind``, ``families``, ``symbols`` (P's, then Q's) and ``expr`` (its ties of
        discrete parameters).

    Returns
    -------
    sympy expression
        Mathematically equal to ``expr`` (checked at random points to 40
        digits), built from elementary functions and the helpers of
        :mod:`anadiv.codegen.helpers`.

    Examples
    --------
    >>> import sympy
    >>> from types import SimpleNamespace
    >>> from anadiv.families import Normal
    >>> m1, s1 = Normal.symbols("1"); m2, s2 = Normal.symbols("2")
    >>> kl = sympy.log(s2) - sympy.log(s1) + (s1**2 + (m1 - m2)**2) / (2 * s2**2) - sympy.Rational(1, 2)
    >>> d = SimpleNamespace(kind="kl", families=(Normal, Normal), symbols=((m1, s1), (m2, s2)), expr=kl)
    >>> stabilize(kl, d)
    powm1mlog(sigma_1, sigma_2, 2)/2 + (mu_1 - mu_2)**2/(2*sigma_2**2)
    """
    expr = sympy.sympify(expr)
    if expr.is_number:
        return expr
    points = _points(derivation, 6, seed=1)
    # Bessel functions overflow float64 from k ~ 713: their scaled forms first (von Mises)
    work = with_scaled_bessel(expr) if expr.has(sympy.besseli) else expr
    if isinstance(work, Piecewise):
        out = Piecewise(*[(_stabilize_branch(e, derivation, points), c) for e, c in work.args])
    else:
        out = _stabilize_branch(work, derivation, points)
    out = _cos_half_pi(_betainc_from_zero(out))
    try:
        verify(expr, out, derivation)
    except StabilizeError as err:  # a bug here must not produce wrong numbers
        warnings.warn(f"stabilize: {err}; keeping the derived expression", RuntimeWarning, stacklevel=2)
        return expr
    return out
