"""Expectations of basis terms under each family, derived once and cached.

For a family P and a basis term g (see :mod:`anadiv.symbolic.terms`), this
module derives ``E_P[g(X)]`` together with the condition under which it is
finite. Nothing here is a typed-in result: every value comes from one of
these derivation routes, chosen per (family, kind) by the family's class
(``expectation_routes``, names from :data:`ROUTE_FUNCTIONS`; :data:`ROUTES`
is the resulting table).

* **Base integral.** Each family is written as ``X = phi(Y)`` with ``Y`` of a
  simple density (its class's ``sym_representation``, collected in
  :data:`REPRESENTATIONS`: ``Normal = mu + sigma*Z``,
  ``Gumbel = loc - scale*log(E)`` with ``E ~ Exp(1)``,
  ``Weibull = scale*E**(1/shape)``, ``LogNormal = exp(mu + sigma*Z)``, ...;
  the tests check each change of variables against the declared
  log-density; a family that declares none is integrated against its own
  density). Integrals against the base density are done by sympy, except
  that integrands of the Euler forms ``y**p * exp(-r*y)`` and
  ``y**p * (1-y)**q`` are recognised and written as ``gamma``/``lowergamma``
  and ``beta``/``betainc_regularized`` (their definitions), which keeps every
  derivation fast.
* **Generating functions.** From the base integral the engine derives, once
  per family, the moment generating function ``M(t) = E[exp(t X)]``
  (real-line families) or the Mellin transform ``M(t) = E[X**t]``
  (positive families). ``E[X**n]`` is then ``M^(n)(0)`` or ``M(n)``,
  ``E[log(X)**n]`` is ``d^n/dt^n M(t)`` at 0, ``E[exp(tX)]`` is ``M(t)``.
  The condition attached to the integral (``t < rate``, ``shape + t > 0``)
  becomes the finiteness condition.
* **Absolute deviation.** ``E|X - c| = E[X] - c + 2 E[(c - X)^+]`` with the
  partial integral taken in base coordinates; for symmetric families
  ``E|X - c| = scale * E|Y - D|`` with ``D = |c - loc|/scale >= 0``.
* **Poisson integral (Cauchy).** For f holomorphic and of logarithmic growth
  on the upper half-plane, ``E[f(loc + scale*Y)] = f(loc + i*scale)`` for a
  standard Cauchy ``Y``; ``log((x-m)^2 + c) = 2 Re log(x - m + i sqrt(c))``.
* **Beta transform (StudentT).** ``W = Y^2/(df + Y^2) ~ Beta(1/2, df/2)`` for
  ``Y ~ t_df``, so even functions of ``Y`` reduce to Beta expectations.
* **Tails.** For the power-law families (Cauchy, StudentT) the tail exponent
  ``alpha = lim -log p(x)/log x`` (a sympy limit) decides which moments are
  infinite: ``E|X|^n < oo`` iff ``n < alpha - 1``; ``E[exp(tX)] = oo``.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Callable, TypeVar

import sympy as sp

from ..errors import NoClosedFormError
from ..families._representation import Representation
from .terms import Term
from ..numeric.caching import memoize

if TYPE_CHECKING:
    from ..families._base import Family

#: sympy functions a derived expectation may contain (all have numpy/scipy equivalents).
ALLOWED_FUNCTIONS = (
    sp.log, sp.exp, sp.gamma, sp.loggamma, sp.polygamma, sp.beta, sp.erf, sp.erfc, sp.Ei, sp.expint,
    sp.lowergamma, sp.uppergamma, sp.betainc_regularized, sp.atan, sp.Abs, sp.Piecewise, sp.sign,
    sp.Max, sp.Min,
    # the Mellin transform of a half-Cauchy, E[X**t] = scale**t/cos(pi t/2)
    sp.cos,
    # E[cos(X - m)] under a Uniform: (sin(high - m) - sin(low - m))/(high - low)
    sp.sin,
)


class _NoForm(Exception):
    """Internal: this route gives no closed form."""


@dataclass(frozen=True)
class Moment:
    """``E_P[g(X)]``: a value valid where ``finite`` holds.

    Where ``finite`` fails the expectation diverges: to ``+oo`` when
    ``sign_if_infinite`` is +1, undefined (``oo - oo``) when it is 0.
    """

    value: Any
    finite: Any = sp.true
    sign_if_infinite: int = 1
    notes: tuple[str, ...] = field(default=())

    def subs(self, mapping: dict[Any, Any]) -> "Moment":
        value = self.value.xreplace(mapping) if self.value is not None else None
        finite = self.finite.xreplace(mapping) if self.finite is not sp.true else sp.true
        notes = []
        for note in self.notes:
            # the notes were written in P's generic symbols (``sigma_P``): name the actual parameters
            for old, new in mapping.items():
                if isinstance(old, sp.Symbol) and old.name.endswith("_P"):
                    note = note.replace(old.name, str(new))
            notes.append(note)
        return Moment(value, finite, self.sign_if_infinite, tuple(notes))


def growth(term: Term) -> float:
    """How fast a basis term grows in |x| (to find the dominant infinite term)."""
    if term.kind == "exp":
        return 1e9
    if term.kind == "pow":
        n = term.args[0]
        return float(n) if n.is_number else 1e6
    if term.kind in ("abs", "softplus"):
        return 1.0
    if term.kind == "lgamma":
        return 1.5  # log gamma(x) ~ x log x: between |x| and x**2
    return 0.0


# --------------------------------------------------------------- representations
def _family(name_or_cls: Any) -> type[Family]:
    if isinstance(name_or_cls, str):
        from ..families import FAMILIES

        return FAMILIES[name_or_cls]
    return name_or_cls


@memoize
def representation(cls: type[Family]) -> Representation:
    """The family's ``sym_representation``, or its own density on its support (``X = Y``).

    Cached per class, so every derivation sees the same object.
    """
    rep = cls.sym_representation()
    if rep is not None:
        return rep

    def pieces(y: Any, *params: Any) -> list[tuple[Any, Any, Any]]:
        support = cls.sym_support(*params)
        return [(support.start, support.end, sp.exp(cls.sym_logpdf(y, *params)))]

    return Representation(
        pieces, lambda y, *params: y, lambda x, *params: x, True, f"X with the {cls.__name__} density exp(log p(x))"
    )


class _Representations(Mapping[str, Any]):
    """Family name -> declared :class:`Representation`, read from the classes (a live view)."""

    def _declaring(self) -> dict[str, type[Family]]:
        from ..families import FAMILIES

        return {n: c for n, c in FAMILIES.items() if c.sym_representation() is not None}

    def __getitem__(self, name: str) -> Representation:
        cls = self._declaring().get(name)
        if cls is None:
            raise KeyError(name)
        return representation(cls)

    def __iter__(self) -> Iterator[str]:
        return iter(self._declaring())

    def __len__(self) -> int:
        return len(self._declaring())


#: Family name -> the representation its class declares (``sym_representation``).
REPRESENTATIONS: Mapping[str, Representation] = _Representations()


# ------------------------------------------------------------------ integration
def _check_allowed(expr: Any) -> None:
    if expr.has(sp.Integral) or expr.has(sp.hyper) or expr.has(sp.meijerg):
        raise _NoForm(str(expr))
    for f in expr.atoms(sp.Function):
        if not isinstance(f, ALLOWED_FUNCTIONS):
            raise _NoForm(f"{type(f).__name__} has no numpy equivalent here")
    if expr.has(sp.nan) or expr.has(sp.zoo):
        raise _NoForm("nan")


def _euler_parts(dep: Any, y: Any) -> tuple[Any, Any, Any, Any, list[Any]]:
    """Write ``dep`` as ``k * y**p * exp(-r*y) * (1-y)**q * rest`` and return ``(k, p, q, r, rest)``."""
    k = sp.Integer(1)
    p = q = r = sp.Integer(0)
    rest = []
    for f in sp.Mul.make_args(dep):
        base, e = f.as_base_exp()
        if base == y:
            p += e
        elif base == sp.E or isinstance(f, sp.exp):
            arg = sp.expand(f.args[0] if isinstance(f, sp.exp) else e)
            for piece in sp.Add.make_args(arg):
                c, dep_part = piece.as_independent(y, as_Add=False)
                if dep_part == 1:
                    k *= sp.exp(c)
                elif dep_part == y:
                    r -= c
                elif dep_part == sp.log(y):
                    p += c  # exp(c log y) = y**c
                elif dep_part == sp.log(1 - y):
                    q += c  # exp(c log(1 - y)) = (1 - y)**c
                else:
                    rest.append(sp.exp(piece))
        elif sp.expand(base - (1 - y)) == 0:
            q += e
        elif sp.expand(base - (y - 1)) == 0 and e.is_Integer:
            q += e
            k *= (-1) ** e
        else:
            rest.append(f)
    return k, p, q, r, rest


def _gaussian(dep: Any, y: Any, lo: Any, hi: Any) -> Any:
    """Complete the square: the integral of ``exp(-alpha y^2 + beta y + gamma)``, or None."""
    if not isinstance(dep, sp.exp):
        return None
    arg = sp.expand(dep.args[0])
    if not arg.is_polynomial(y):
        return None
    poly = sp.Poly(arg, y)
    if poly.degree() != 2:
        return None
    neg_alpha, beta, gamma = poly.all_coeffs()
    alpha = -neg_alpha
    if alpha.is_positive is not True:
        return None
    shift = beta / (2 * alpha)
    root = sp.sqrt(alpha)

    def erf_at(v: Any) -> Any:
        return sp.erf(root * (v - shift)) if v not in (sp.oo, -sp.oo) else (1 if v == sp.oo else -1)

    scale = sp.exp(gamma + beta**2 / (4 * alpha)) * sp.sqrt(sp.pi) / (2 * root)
    return scale * (erf_at(hi) - erf_at(lo))


def _integrate_term(term: Any, y: Any, lo: Any, hi: Any) -> tuple[Any, Any]:
    coef, dep = term.as_independent(y, as_Add=False)
    if dep == 1:
        return coef * (hi - lo), sp.true
    if lo == -sp.oo and hi == 0:
        # reflect y -> -u so the Euler forms below apply on [0, oo)
        u = sp.Symbol("u", positive=True)
        return _integrate_term(coef * sp.powsimp(sp.expand(dep.xreplace({y: -u})), combine="exp"), u, sp.Integer(0), sp.oo)
    gauss = _gaussian(dep, y, lo, hi)
    if gauss is not None:
        return coef * gauss, sp.true
    k, p, q, r, rest = _euler_parts(dep, y)
    # k, the y-free part of dep's exponentials, multiplies the Euler forms below, which
    # integrate dep / k; sympy's own integration (the last resort) integrates dep itself
    euler = coef * k
    if not rest and lo == 0 and q == 0 and r != 0:
        # Euler's gamma integral (or its incomplete form): the definition of gamma / lowergamma
        cond = sp.And(p + 1 > 0, r > 0)
        if hi == sp.oo:
            return euler * sp.gamma(p + 1) / r ** (p + 1), cond
        return euler * sp.lowergamma(p + 1, r * hi) / r ** (p + 1), cond
    if not rest and q == 0 and r != 0 and hi == sp.oo and (lo > 0) == sp.true:
        # the upper incomplete gamma function, by its definition
        return euler * sp.uppergamma(p + 1, r * lo) / r ** (p + 1), sp.And(r > 0)
    if not rest and lo == 0 and r == 0 and q != 0:
        # Euler's beta integral (or the incomplete beta function): their definitions
        cond = sp.And(p + 1 > 0, q + 1 > 0)
        if hi == 1:
            return euler * sp.beta(p + 1, q + 1), cond
        return euler * sp.beta(p + 1, q + 1) * sp.betainc_regularized(p + 1, q + 1, 0, hi), cond
    res = sp.integrate(dep, (y, lo, hi), conds="piecewise")
    cond = sp.true
    if isinstance(res, sp.Piecewise):
        value, cond = res.args[0]
        if value.has(sp.Integral):
            raise _NoForm(str(res))
        res = value
    if res in (sp.oo, -sp.oo):
        return coef * res, sp.true
    _check_allowed(res)
    return coef * res, cond


def integrate(expr: Any, y: Any, lo: Any, hi: Any) -> tuple[Any, Any]:
    """``(integral of expr over [lo, hi], condition for convergence)``."""
    total, conds = sp.Integer(0), []
    # keep y-free factors out of the expansion (expand would push them into denominators)
    outer, body = expr.as_independent(y, as_Add=False) if expr.is_Mul else (sp.Integer(1), expr)
    for term in sp.Add.make_args(sp.expand(body)):
        v, c = _integrate_term(outer * sp.powsimp(term, combine="exp"), y, lo, hi)
        total += v
        conds.append(c)
    return total, sp.And(*conds)


def base_expectation(
    name: str, params: tuple[Any, ...], g: Callable[[Any], Any], hi: Any = None, inside: bool = False
) -> tuple[Any, Any]:
    """``E[g(X)]`` by integrating in base coordinates, optionally only over base values below ``hi``.

    ``inside=True`` states that ``hi`` lies inside a one-piece base support.
    """
    rep = representation(_family(name))
    y = sp.Symbol("y", real=True)
    total, conds = sp.Integer(0), []
    pieces = rep.pieces(y, *params)
    for plo, phi, dens in pieces:
        plo, phi = sp.sympify(plo), sp.sympify(phi)
        a = plo
        b = phi if hi is None else (hi if inside and len(pieces) == 1 else sp.Min(phi, hi))
        if (a >= b) == sp.true:
            continue
        if a.has(sp.Max) or b.has(sp.Min):
            raise _NoForm("cannot order the integration limits")
        # positive y when the piece starts at 0 helps sympy with powers of y
        ypos = sp.Symbol("y", positive=True) if (a >= 0) == sp.true else y
        integrand = (g(rep.transform(ypos, *params)) * dens.xreplace({y: ypos}))
        # integrate up to a plain symbol, then substitute the limit: sympy simplifies better
        upper = sp.Symbol("Y", positive=True) if (a >= 0) == sp.true else sp.Symbol("Y", real=True)
        if b.is_Symbol or b.is_number:
            upper = b
        v, c = integrate(integrand, ypos, a, upper)
        if upper is not b:
            v, c = v.xreplace({upper: b}), c.xreplace({upper: b})
        total += v
        conds.append(c)
    return total, sp.And(*conds)


# -------------------------------------------------------------- placeholders
_T = sp.Symbol("t", real=True, nonzero=True)
_K = sp.Symbol("k", positive=True)
_C = sp.Symbol("c", real=True)
_CPOS = sp.Symbol("c", positive=True)
_M = sp.Symbol("m", real=True)
_D = sp.Symbol("D", positive=True)


def _generic(cls: type[Family]) -> tuple[Any, ...]:
    return cls.symbols("P")


def _simplify(expr: Any) -> Any:
    expr = sp.expand(expr)
    if sp.count_ops(expr) < 30:
        try:
            expr = sp.simplify(expr)
        except Exception:  # pragma: no cover - simplify is best effort
            pass
    return expr


# ------------------------------------------------------ generating functions
@memoize
def mgf(name: str) -> tuple[Any, Any, tuple[Any, ...]]:
    """``M(t) = E[exp(t X)]`` and its existence condition, in generic symbols."""
    from ..families import FAMILIES

    params = _generic(FAMILIES[name])
    t = sp.Symbol("t", real=True)
    value, cond = base_expectation(name, params, lambda x: sp.exp(t * x))
    return _simplify(value), cond, params


@memoize
def mellin(name: str) -> tuple[Any, Any, tuple[Any, ...]]:
    """``M(t) = E[X**t]`` for a positive family, and its existence condition."""
    from ..families import FAMILIES

    params = _generic(FAMILIES[name])
    t = sp.Symbol("t", real=True)
    value, cond = base_expectation(name, params, lambda x: sp.powdenest(sp.expand_power_base(x**t, force=True), force=True))
    return sp.powsimp(sp.expand_power_base(value, force=True), force=True), cond, params


@memoize
def mellin_complement(name: str) -> tuple[Any, Any, tuple[Any, ...]]:
    """``M(u) = E[(1 - X)**u]`` for a family on (0, 1)."""
    from ..families import FAMILIES

    params = _generic(FAMILIES[name])
    u = sp.Symbol("t", real=True)
    value, cond = base_expectation(name, params, lambda x: (1 - x) ** u)
    return value, cond, params


def clear_name_caches() -> None:
    """Forget the generating functions cached by family name (:func:`mgf`, :func:`mellin`, ...).

    For a name that now belongs to another class: a user's own family declared
    again (:mod:`anadiv.codegen.on_demand`, ``Family``'s redefinition rule).
    """
    for cached in (mgf, mellin, mellin_complement, tail_exponent):
        cached.cache_clear()


def _from_generating(gen: tuple[Any, Any, tuple[Any, ...]], order: int | None, at: Any | None) -> tuple[Any, Any]:
    value, cond, _params = gen
    t = sp.Symbol("t", real=True)
    if order is not None:
        value = sp.diff(value, t, order)
        point: Any = 0
    else:
        point = at
    out = value.subs(t, point)
    cond = cond.subs(t, point) if cond is not sp.true else sp.true
    if out.has(sp.beta) and (point == 0 or sp.sympify(point).is_Integer):
        out = sp.gammasimp(sp.expand_func(out))
    return _simplify(out), cond


# ------------------------------------------------------------------- routes
def _route_mgf(cls: type[Family], term: Term) -> Moment:
    name = cls.name
    gen = mgf(name)
    if term.kind == "pow" and term.args[0].is_Integer and term.args[0] > 0:
        n = int(term.args[0])
        val, cond = _from_generating(gen, n, None)
        return Moment(val, _as_bool(cond), 1 if n % 2 == 0 else 0, (f"the {_ordinal(n)} derivative at t = 0 of the moment generating function M(t) = {gen[0]} (integral of exp(t x) against the density; {representation(cls).text})",))
    if term.kind == "exp":
        val, cond = _from_generating(gen, None, term.args[0])
        return Moment(val, _as_bool(cond), 1, (f"M({term.args[0]}) with the moment generating function M(t) = {gen[0]}",))
    raise _NoForm(term.kind)


def _route_mellin(cls: type[Family], term: Term) -> Moment:
    name = cls.name
    if term.kind == "log1m":
        gen = mellin_complement(name)
        val, cond = _from_generating(gen, 1, None)
        return Moment(val, _as_bool(cond), 0, (f"d/du at u = 0 of E[(1-X)**u] = {gen[0]} (Euler's beta integral)",))
    gen = mellin(name)
    if term.kind == "pow":
        val, cond = _from_generating(gen, None, term.args[0])
        return Moment(val, _as_bool(cond), 1, (f"the Mellin transform E[X**t] = {gen[0]} at t = {term.args[0]} ({representation(cls).text})",))
    if term.kind == "logpow" and term.args[0].is_Integer and term.args[0] > 0:
        n = int(term.args[0])
        val, cond = _from_generating(gen, n, None)
        return Moment(val, _as_bool(cond), 1 if n % 2 == 0 else 0, (f"the {_ordinal(n)} derivative at t = 0 of the Mellin transform E[X**t] = {gen[0]}",))
    raise _NoForm(term.kind)


def _route_direct(cls: type[Family], term: Term, end_limits: bool = False) -> Moment:
    """Direct integral of the term against the density."""
    params = _generic(cls)
    x = sp.Symbol("x", real=True)
    g = term.as_expr(x)
    val, cond = base_expectation(cls.name, params, lambda xx: g.xreplace({x: xx}))
    val = _simplify(val)
    notes = [f"integrating {g} against the density ({representation(cls).text})"]
    if end_limits:
        val, extra = _uniform_end_limits(val, params)
        notes.extend(extra)
    return Moment(val, _as_bool(cond), 1, tuple(notes))


def _route_direct_interval(cls: type[Family], term: Term) -> Moment:
    """Direct integral for a family on ``[low, high]`` (its two parameters), with the limits at ends 0 and 1."""
    return _route_direct(cls, term, end_limits=True)


def _uniform_end_limits(val: Any, params: tuple[Any, ...]) -> tuple[Any, list[str]]:
    """Where the value is 0*log(0)-like at an interval end at 0 (low) or 1 (high), use its limit there.

    ``(high log high - low log low - high + low)/(high - low)`` is the mean of ``log x`` but evaluates to
    nan at ``low = 0``; the limit ``log(high) - 1`` is its value there.
    """
    low, high = params
    notes = []
    for end, point, direction in ((low, 0, "+"), (high, 1, "-")):
        at = val.subs(end, point)
        if at.has(sp.nan, sp.zoo) or at.has(sp.log(0)) or at is sp.nan:
            lim = _simplify(sp.limit(val, end, point, direction))
            val = sp.Piecewise((val, sp.Ne(end, point)), (lim, True))
            notes.append(f"at {end} = {point} the limit {lim}")
    return val, notes


def _route_uniform_log1m(cls: type[Family], term: Term) -> Moment:
    """``log(1 - X)`` with ``X ~ Uniform(low, high)`` is ``log(U)`` with ``U = 1 - X ~ Uniform(1 - high, 1 - low)``."""
    if term.kind != "log1m":
        raise _NoForm(term.kind)
    low, high = _generic(cls)
    inner = expectation(cls, (1 - high, 1 - low), Term("logpow", (sp.Integer(1),)))
    return Moment(inner.value, inner.finite, 1, ("1 - X ~ Uniform(1 - high, 1 - low), so E[log(1 - X)] = E[log U] for that uniform",))


def _first_moment(cls: type[Family]) -> Moment:
    return expectation_generic(cls, Term("pow", (sp.Integer(1),)))


def _route_abs(cls: type[Family], term: Term) -> Moment:
    name = cls.name
    rep = representation(cls)
    params = _generic(cls)
    c = term.args[0]
    if rep.loc_scale is not None:  # rep.symmetric
        loc, scale = rep.loc_scale(*params)
        D = _D
        # E|Y - D| = -D + 2 * integral_{-oo}^{D} (D - y) p(y) dy  (E[Y] = 0 by symmetry)
        part, cond = base_expectation(name, params, lambda x: (D - (x - loc) / scale), hi=D)
        inner = _simplify(-D + 2 * part)
        val = (scale * inner).xreplace({D: sp.Abs(c - loc) / scale})
        return Moment(val, _as_bool(cond), 1, (f"E|X - c| = scale*E|Y - D| with D = |c - loc|/scale, E|Y - D| = -D + 2*Int_(-oo)^D (D - y) p_Y(y) dy = {inner} ({rep.text})",))
    first = _first_moment(cls)
    support = cls.sym_support(*params)
    lo, hi = support.start, support.end
    cc = _CPOS if lo == 0 else _C
    yc = rep.inverse(cc, *params)
    if rep.increasing:
        part, cond = base_expectation(name, params, lambda x: cc - x, hi=yc, inside=True)
        inner = first.value - cc + 2 * part
    else:
        part, cond = _decreasing_lower_part(rep, params, yc)
        inner = first.value - cc + 2 * part
    inner = _simplify(inner).xreplace({cc: c})
    branches = [(first.value - c, c <= lo)] if lo != -sp.oo else []
    if hi != sp.oo:
        branches.append((c - first.value, c >= hi))
    branches.append((inner, True))
    val = sp.Piecewise(*branches) if len(branches) > 1 else inner
    return Moment(val, sp.And(first.finite, _as_bool(cond)), 1, (f"E|X - c| = E[X] - c + 2 E[(c - X)^+] with the partial integral in base coordinates ({rep.text})",))


def _decreasing_lower_part(rep: Representation, params: tuple[Any, ...], yc: Any) -> tuple[Any, Any]:
    """``E[(c - X)^+] = Int_{-oo}^{c} P(X < x) dx`` for ``X = phi(Y)`` with ``phi`` decreasing.

    ``P(X < x) = S_Y(phi^-1(x))`` (the base survival function); substituting ``x = phi(y)``
    gives ``Int_{y_c}^{oo} S_Y(y) |phi'(y)| dy``, an upper incomplete gamma integral for the
    Gumbel (no integral of ``log(y) exp(-y)`` is needed).
    """
    pieces = rep.pieces(sp.Symbol("y", positive=True), *params)
    if len(pieces) != 1:
        raise _NoForm("piecewise base density")
    _, base_hi, _ = pieces[0]
    y, u, ylim = sp.Symbol("y", positive=True), sp.Symbol("u", positive=True), sp.Symbol("Y", positive=True)
    dens_u = rep.pieces(u, *params)[0][2]
    survival, c1 = integrate(dens_u, u, y, sp.sympify(base_hi))
    slope = -sp.diff(rep.transform(y, *params), y)
    part, c2 = integrate(survival * slope, y, ylim, sp.sympify(base_hi))
    return part.xreplace({ylim: yc}), sp.And(c1, c2).xreplace({ylim: yc})


@memoize
def tail_exponent(name: str) -> Any:
    """``alpha = lim_{x->oo} -log p(x)/log(x)`` for a power-law family."""
    from ..families import FAMILIES

    cls = FAMILIES[name]
    x = sp.Symbol("x", positive=True)
    logp = sp.expand_log(cls.sym_logpdf(x, *_generic(cls)), force=True)
    return sp.simplify(sp.limit(-logp / sp.log(x), x, sp.oo))


def _route_tail(cls: type[Family], term: Term, finite_power: Callable[[type[Family], int, Any, str], Moment] | None = None) -> Moment:
    """Power-law tails; ``finite_power`` derives the power moments that are finite."""
    alpha = tail_exponent(cls.name)
    note = f"the density decays like |x|**({-alpha}) (tail exponent from a limit), so "
    if term.kind == "exp":
        return Moment(None, sp.false, 1, (note + "E[exp(t X)] is infinite",))
    if term.kind == "abs":
        finite = _as_bool(sp.Integer(1) < alpha - 1)
        if finite is not sp.false:
            raise _NoForm("E|X - c| under a power-law family")
        return Moment(None, finite, 1, (note + "E|X - c| is infinite",))
    if term.kind == "pow" and term.args[0].is_Integer and term.args[0] > 0:
        n = int(term.args[0])
        finite = _as_bool(sp.Integer(n) < alpha - 1)
        sign = 1 if n % 2 == 0 else 0
        if finite is sp.false:
            return Moment(None, finite, sign, (note + f"E[X**{n}] is infinite",))
        if finite_power is None:
            raise _NoForm("power moment")
        return finite_power(cls, n, finite, note)
    raise _NoForm(term.kind)


def _route_tail_t(cls: type[Family], term: Term) -> Moment:
    """Power-law tails of a Student t ``(df, loc, scale)``: its finite moments through the Beta transform."""
    return _route_tail(cls, term, _studentt_power)


def _studentt_power(cls: type[Family], n: int, finite: Any, note: str) -> Moment:
    from ..families import FAMILIES

    nu, loc, scale = _generic(cls)
    beta_cls = FAMILIES["beta"]
    half = sp.Rational(1, 2)
    total = sp.Integer(0)
    for j in range(0, n + 1, 2):  # odd moments of the symmetric Y vanish
        # Y^2 = df * W/(1-W), W ~ Beta(1/2, df/2): E[Y^j] = df^(j/2) E[W^(j/2) (1-W)^(-j/2)]
        i = j // 2
        if i == 0:
            ey = sp.Integer(1)
        else:
            a, b = _generic(beta_cls)
            joint, _ = base_expectation("beta", (a, b), lambda w: w**i * (1 - w) ** (-i))
            ey = nu**i * joint.xreplace({a: half, b: nu / 2})
        total += sp.binomial(n, j) * loc ** (n - j) * scale**j * ey
    return Moment(_simplify(sp.gammasimp(total)), finite, 1 if n % 2 == 0 else 0,
                  (note + f"E[X**{n}] is finite iff {finite}; even moments of Y from W = Y**2/(df + Y**2) ~ Beta(1/2, df/2)",))


def _route_poisson(cls: type[Family], term: Term) -> Moment:
    if term.kind != "logquad":
        raise _NoForm(term.kind)
    loc, scale = _generic(cls)
    m, c = term.args
    w = loc - m + sp.I * (scale + sp.sqrt(c))
    val = sp.expand(sp.log(sp.expand(sp.Abs(w) ** 2)))
    return Moment(val, sp.true, 1, (
        f"log((x - m)**2 + c) = 2 Re log(x - m + i sqrt(c)) is the real part of a function holomorphic on the upper "
        f"half-plane with logarithmic growth, so its Cauchy expectation is its value at loc + i*scale (Poisson integral): {val}",))


_RouteT = TypeVar("_RouteT", bound=Callable[..., Moment])


def _per_arguments(route: _RouteT) -> _RouteT:
    """Mark a route whose verdict depends on the actual arguments: called with them, not cached per kind."""
    setattr(route, "per_arguments", True)  # read back by getattr: a function's type declares no such attribute
    return route


@_per_arguments
def _route_studentt_logquad(cls: type[Family], term: Term, params: tuple[Any, ...] | None = None) -> Moment:
    """Needs the actual parameters: the reduction holds only for StudentT's own location and scale."""
    if term.kind != "logquad":
        raise _NoForm(term.kind)
    from ..families import FAMILIES

    nu, loc, scale = params if params is not None else _generic(cls)
    m, c = term.args
    if sp.simplify(m - loc) != 0 or sp.simplify(c - nu * scale**2) != 0:
        raise _NoForm("log((x-m)^2 + c) under a StudentT with another location or scale")
    beta_cls = FAMILIES["beta"]
    inner = expectation(beta_cls, (sp.Rational(1, 2), nu / 2), Term("log1m"))
    # (x - loc)^2 + df*scale^2 = df*scale^2/(1 - W)
    val = _simplify(sp.log(nu) + 2 * sp.log(scale) - inner.value)
    return Moment(val, sp.true, 1, (f"(x - loc)**2 + df*scale**2 = df*scale**2/(1 - W) with W = Y**2/(df + Y**2) ~ Beta(1/2, df/2), and E[log(1 - W)] = {inner.value}",))


@_per_arguments
def _route_half_poisson(cls: type[Family], term: Term, params: tuple[Any, ...] | None = None) -> Moment:
    """``log(x**2 + c)`` under ``X = scale*|Y|``, ``Y`` standard Cauchy: the Cauchy's Poisson integral.

    Needs the actual arguments: the term is even in ``x`` only for ``m = 0``, and
    then ``E[f(scale*|Y|)] = E[f(scale*Y)]``.
    """
    if term.kind != "logquad":
        raise _NoForm(term.kind)
    (scale,) = params if params is not None else _generic(cls)
    m, c = term.args
    if sp.simplify(m) != 0:
        raise _NoForm("log((x - m)**2 + c) with m != 0 under a half-Cauchy (not even in x)")
    val = 2 * sp.log(scale + sp.sqrt(c))
    return Moment(val, sp.true, 1, (
        f"log(x**2 + c) is even, so its expectation under scale*|Y| is the one under a Cauchy(0, scale): "
        f"the value at i*scale of 2 Re log(x + i sqrt(c)) (Poisson integral), {val}",))
def _logistic_uniform(cls: type[Family], g: Callable[[Any], Any]) -> tuple[Any, Any, tuple[Any, ...]]:
    """``E[g(X)]`` for ``X = loc + scale*Y`` with the standard logistic ``Y`` written as ``Y = log(U/(1 - U))``.

    The base cdf ``1/(1 + exp(-y))`` maps ``Y`` to a uniform ``U`` on (0, 1), so the
    expectation is an integral over ``u`` of ``g(loc + scale*(log u - log(1 - u)))``:
    ``exp(t X)`` becomes ``exp(t loc) u**(scale t) (1 - u)**(-scale t)``, Euler's beta integral.
    """
    loc, scale = _generic(cls)
    u = sp.Symbol("u", positive=True)
    integrand = sp.powsimp(sp.expand(g(loc + scale * (sp.log(u) - sp.log(1 - u)))), combine="exp")
    value, cond = integrate(integrand, u, sp.Integer(0), sp.Integer(1))
    return value, cond, (loc, scale)


@memoize
def _logistic_mgf(name: str) -> tuple[Any, Any, tuple[Any, ...]]:
    from ..families import FAMILIES

    t = sp.Symbol("t", real=True)
    value, cond, params = _logistic_uniform(FAMILIES[name], lambda x: sp.exp(t * x))
    # beta(1 + st, 1 - st) = gamma(1 + st) gamma(1 - st) (gamma(2) = 1); not gammasimp, whose pi st/sin(pi st) is 0/0 at t = 0
    return sp.expand_func(value), cond, params


def _route_logistic_mgf(cls: type[Family], term: Term) -> Moment:
    """Powers and exponentials under a logistic, from its mgf (a beta integral in the uniform coordinate)."""
    gen = _logistic_mgf(cls.name)
    note = f"the moment generating function M(t) = {gen[0]} (X = loc + scale*log(U/(1 - U)), U uniform: Euler's beta integral)"
    if term.kind == "pow" and term.args[0].is_Integer and term.args[0] > 0:
        n = int(term.args[0])
        val, cond = _from_generating(gen, n, None)
        return Moment(val, _as_bool(cond), 1 if n % 2 == 0 else 0, (f"the {_ordinal(n)} derivative at t = 0 of {note}",))
    if term.kind == "exp":
        # not simplified: gamma(1 - a) gamma(1 + a) keeps its digits as a -> 1, pi a/sin(pi a) does not
        t = sp.Symbol("t", real=True)
        val, cond = gen[0].xreplace({t: term.args[0]}), gen[1].xreplace({t: term.args[0]})
        return Moment(val, _as_bool(cond), 1, (f"M({term.args[0]}) with {note}",))
    raise _NoForm(term.kind)


@_per_arguments
def _route_logistic_softplus(cls: type[Family], term: Term, params: tuple[Any, ...] | None = None) -> Moment:
    """``log(1 + exp(-(x - m)/s))`` under a logistic with its own ``m = loc`` and ``s = scale``.

    In the uniform coordinate the term is ``log(1 + (1 - u)/u) = -log(u)``; with another
    location or scale it is a dilogarithm, which the engine does not print.
    """
    if term.kind != "softplus":
        raise _NoForm(term.kind)
    loc, scale = params if params is not None else _generic(cls)
    m, s = term.args
    if sp.simplify(m - loc) != 0 or sp.simplify(s - scale) != 0:
        raise _NoForm("log(1 + exp(-(x - m)/s)) under a logistic with another location or scale")
    gen_loc, gen_scale = _generic(cls)

    def g(x: Any) -> Any:
        # log(1 + exp(-(x - loc)/scale)) with x = loc + scale*log(u/(1 - u)): log(1 + (1 - u)/u)
        inner = sp.simplify(sp.exp(-sp.expand((x - gen_loc) / gen_scale)))
        return sp.expand_log(sp.log(sp.cancel(1 + inner)), force=True)

    value, cond, _ = _logistic_uniform(cls, g)
    return Moment(_simplify(value), _as_bool(cond), 1, (
        "with x = loc + scale*log(u/(1 - u)), u uniform on (0, 1), log(1 + exp(-(x - loc)/scale)) = -log(u), "
        f"whose integral over (0, 1) is {value}",))




def _route_natural_cos(cls: type[Family], term: Term) -> Moment:
    """``E[cos(X - m)]`` from an exponential family with sufficient statistics ``(cos x, sin x)``.

    ``E[T] = grad A(eta)`` (the derivative of the log-normalizer), and
    ``cos(x - m) = cos(x) cos(m) + sin(x) sin(m)``.
    """
    if term.kind != "cos" or not getattr(cls, "exponential_family", False):
        raise _NoForm(term.kind)
    params = _generic(cls)
    x = sp.Symbol("x", real=True)
    stats = tuple(cls.sym_sufficient_statistics(x))
    if stats != (sp.cos(x), sp.sin(x)):
        raise _NoForm("sufficient statistics other than (cos x, sin x)")
    etas = tuple(sp.Symbol(f"eta{i}", real=True) for i in range(len(stats)))
    a = cls.sym_log_normalizer(*etas)
    natural = dict(zip(etas, cls.sym_natural_params(*params)))
    e_cos, e_sin = (sp.simplify(sp.trigsimp(sp.diff(a, e).xreplace(natural))) for e in etas)
    m = term.args[0]
    value = sp.simplify(sp.trigsimp(sp.expand_trig(e_cos * sp.cos(m) + e_sin * sp.sin(m))))
    value = sp.trigsimp(value)
    return Moment(value, sp.true, 1, (
        f"E[(cos X, sin X)] = grad A(eta) = ({e_cos}, {e_sin}) (exponential-family mean), "
        "and cos(x - m) = cos(x) cos(m) + sin(x) sin(m)",))


@_per_arguments
def _route_log1mpow_base(cls: type[Family], term: Term, params: tuple[Any, ...] | None = None) -> Moment:
    """``log(1 - x**c)`` where the representation's base variable is ``W = X**c`` on (0, 1).

    ``E[(1 - X**c)**u] = E[(1 - W)**u]`` is Euler's beta integral in base coordinates;
    its derivative at ``u = 0`` is the expectation. With another exponent ``c`` the
    term is an infinite series, left to the numerical routes.
    """
    if term.kind != "log1mpow":
        raise _NoForm(term.kind)
    actual = params if params is not None else _generic(cls)
    generic = _generic(cls)
    rep = representation(cls)
    own = _own_power(rep, generic)
    mapping = dict(zip(generic, actual))
    if sp.simplify(own.xreplace(mapping) - term.args[0]) != 0:
        raise _NoForm("log(1 - x**c) with c other than the family's own power")
    gen = _log1mpow_generating(cls.name)
    val, fin = _from_generating(gen, 1, None)
    moment = Moment(val, _as_bool(fin), 0, (
        f"d/du at u = 0 of E[(1 - X**c)**u] = {gen[0]} (W = X**c is the base variable: Euler's beta integral)",))
    return moment.subs(mapping)


@memoize
def _log1mpow_generating(name: str) -> tuple[Any, Any, tuple[Any, ...]]:
    """``E[(1 - X**c)**u]`` with ``c`` the family's own power, in base coordinates."""
    cls = _family(name)
    generic = _generic(cls)
    own = _own_power(representation(cls), generic)
    u = sp.Symbol("t", real=True)
    value, cond = base_expectation(name, generic, lambda x: (1 - sp.powdenest(x**own, force=True)) ** u)
    return value, cond, generic


def _own_power(rep: Representation, params: tuple[Any, ...]) -> Any:
    """The ``c`` with ``transform(w)**c = w`` (a power transform ``w**(1/c)``)."""
    w = sp.Symbol("w", positive=True)
    x = rep.transform(w, *params)
    base, e = x.as_base_exp()
    if base != w:
        raise _NoForm("the representation is not a power of its base variable")
    return 1 / e





def _route_natural_linear(cls: type[Family], term: Term) -> Moment:
    """A one-parameter exponential family with sufficient statistic ``x`` on a bounded support.

    ``E[exp(tX)] = exp(A(eta + t) - A(eta))`` (the density integrates to one at
    every natural parameter, and a bounded support makes every ``t`` admissible);
    the power moments are its derivatives at ``t = 0`` (``A'``, ``A'' + A'^2``, ...).
    """
    if not getattr(cls, "exponential_family", False) or term.kind not in ("pow", "exp"):
        raise _NoForm(term.kind)
    params = _generic(cls)
    x = sp.Symbol("x", real=True)
    if tuple(cls.sym_sufficient_statistics(x)) != (x,):
        raise _NoForm("sufficient statistic other than x")
    lo, hi = (sp.sympify(v) for v in (cls.sym_support(*params).start, cls.sym_support(*params).end))
    if not (lo.is_finite and hi.is_finite):
        raise _NoForm("unbounded support: E[exp(tX)] may be infinite")
    (eta,) = cls.sym_natural_params(*params)
    t = sp.Symbol("t", real=True)
    gen = sp.exp(cls.sym_log_normalizer(eta + t) - cls.sym_log_normalizer(eta))
    note = f"E[exp(tX)] = exp(A(eta + t) - A(eta)) = {gen} (exponential family, bounded support)"
    if term.kind == "exp":
        return Moment(gen.xreplace({t: term.args[0]}), sp.true, 1, (note,))
    n = term.args[0]
    if not (n.is_Integer and n > 0):
        raise _NoForm("a power other than a positive integer")
    value = sp.expand(sp.diff(gen, t, int(n)).xreplace({t: 0}))
    return Moment(value, sp.true, 1 if int(n) % 2 == 0 else 0, (f"the derivative of order {n} at t = 0 of {note}",))


def _route_logit_base(cls: type[Family], term: Term) -> Moment:
    """``E[logit(X)**n]`` where the representation is ``X = sigmoid(a + b*Y)``: the base moment ``E[(a + b*Y)**n]``.

    ``logit`` of the sigmoid is its argument (:class:`.functions.logit`), so the
    integral in base coordinates is a polynomial moment of ``Y`` (a normal one
    for a LogitNormal).
    """
    if term.kind != "logitpow" or not (term.args[0].is_Integer and term.args[0] > 0):
        raise _NoForm(term.kind)
    from .functions import logit

    n = int(term.args[0])
    val, cond = base_expectation(cls.name, _generic(cls), lambda xx: logit(xx) ** n)
    if val.has(logit):
        raise _NoForm("the representation is not a sigmoid of its base variable")
    return Moment(_simplify(val), _as_bool(cond), 1 if n % 2 == 0 else 0,
                  (f"E[logit(X)**{n}] in base coordinates ({representation(cls).text})",))


def _chain(*routes: Callable[[type[Family], Term], Moment]) -> Callable[[type[Family], Term], Moment]:
    def run(cls: type[Family], term: Term) -> Moment:
        for r in routes:
            try:
                return r(cls, term)
            except _NoForm:
                continue
        raise _NoForm(term.kind)

    return run


# Not cached per kind: whether the route applies depends on the actual arguments.

def _route_density(cls: type[Family], term: Term) -> Moment:
    """A family declaring no routes (a user's own): the Mellin transform or the direct integral.

    ``E[log(X)**n]`` against a density like ``x**2 exp(-x**2/2)`` (Maxwell) has
    no direct antiderivative sympy finds (and looking for one takes seconds),
    but ``E[X**t]`` is a gamma function whose derivatives at ``t = 0`` are the
    log-moments. That needs ``X > 0``: on a support starting at or above 0 a
    log-moment tries the Mellin transform first, then the direct integral; a
    power tries the direct integral first (a polynomial moment), then the
    Mellin transform. Elsewhere only the direct integral applies.
    """
    support = cls.sym_support(*_generic(cls))
    positive = getattr(support, "start", None) is not None and (support.start >= 0) == sp.true
    if not positive or term.kind not in ("logpow", "pow"):
        return _route_direct(cls, term)
    order = (_route_mellin, _route_direct) if term.kind == "logpow" else (_route_direct, _route_mellin)
    try:
        return order[0](cls, term)
    except _NoForm:
        return order[1](cls, term)


#: Route name -> derivation, for the families' ``expectation_routes``.
ROUTE_FUNCTIONS: dict[str, Callable[..., Moment]] = {
    # the moment generating function from the base integral (real-line families)
    "mgf": _route_mgf,
    # the Mellin transform E[X**t] (positive families; E[(1-X)**u] for log(1 - x))
    "mellin": _route_mellin,
    # the term integrated against the density in base coordinates
    "direct": _route_direct,
    # the same for a family on [low, high], with its limits where an end sits at 0 or 1
    "direct_interval": _route_direct_interval,
    # E|X - c| from the first moment and a partial integral (or by symmetry)
    "abs": _route_abs,
    # power-law tails decide which moments are infinite
    "tail": _route_tail,
    # the same, with a Student t's finite moments through the Beta transform
    "tail_t": _route_tail_t,
    # the Poisson integral for log((x - m)^2 + c) under a Cauchy
    "poisson": _route_poisson,
    # log((x - loc)^2 + df scale^2) under a Student t through the Beta transform
    "t_beta": _route_studentt_logquad,
    # log(1 - X) under Uniform(low, high) as log U under Uniform(1 - high, 1 - low)
    "uniform_reflect": _route_uniform_log1m,
    # log(x**2 + c) under a half-Cauchy through the Cauchy's Poisson integral
    "half_poisson": _route_half_poisson,
    # a family declaring no routes: the direct integral, else the Mellin transform on a positive support
    "density": _route_density,
    # powers and exponentials under a logistic: its mgf in the uniform coordinate
    "logistic_mgf": _route_logistic_mgf,
    # log(1 + exp(-(x - loc)/scale)) under a logistic with its own loc and scale
    "logistic_softplus": _route_logistic_softplus,
    # cos(x - m) from an exponential family with statistics (cos x, sin x) (VonMises)
    "natural_cos": _route_natural_cos,
    # log(1 - x**c) where X**c is the base variable on (0, 1) (Kumaraswamy)
    "log1mpow_base": _route_log1mpow_base,
    # powers and exponentials of x from a one-parameter exponential family's log-normalizer (ContinuousBernoulli)
    "natural_linear": _route_natural_linear,
    # powers of logit(x) where X is the sigmoid of an affine map of the base variable (LogitNormal)
    "logit_base": _route_logit_base,
}

#: The routes of a family that declares none: the terms integrated against its density.
GENERIC_ROUTES: dict[str, str] = {
    "pow": "density", "logpow": "density", "exp": "direct", "logquad": "direct", "log1m": "direct", "abs": "abs",
}


@memoize
def routes(cls: type[Family]) -> dict[str, Callable[..., Moment]]:
    """Basis kind -> route deriving ``E_P[term]`` for the family ``cls`` (asked of the class).

    Raises
    ------
    ValueError
        When the class names a route that :data:`ROUTE_FUNCTIONS` does not have.
    """
    declared = cls.expectation_routes
    if declared is None:
        declared = GENERIC_ROUTES if cls.event_ndim == 0 else {}
    out = {}
    for kind, route in declared.items():
        if isinstance(route, str):
            if route not in ROUTE_FUNCTIONS:
                raise ValueError(
                    f"expectation_routes: {cls.__name__} names the unknown route {route!r} for {kind!r}; "
                    f"known: {', '.join(sorted(ROUTE_FUNCTIONS))}"
                )
            route = ROUTE_FUNCTIONS[route]
        out[kind] = route
    return out


class _Routes(Mapping[str, Any]):
    """Family name -> basis kind -> route, read from the classes (a live view)."""

    def __getitem__(self, name: str) -> dict[str, Callable[..., Moment]]:
        return routes(_family(name))

    def __iter__(self) -> Iterator[str]:
        from ..families import FAMILIES

        return iter(FAMILIES)

    def __len__(self) -> int:
        from ..families import FAMILIES

        return len(FAMILIES)


#: (family name) -> (basis kind) -> route deriving E_P[term] in generic symbols.
ROUTES: Mapping[str, dict[str, Callable[..., Moment]]] = _Routes()


def _as_bool(cond: Any) -> Any:
    if cond is True or cond == sp.true:
        return sp.true
    if cond is False or cond == sp.false:
        return sp.false
    try:
        simplified = sp.simplify(cond)
    except Exception:  # pragma: no cover
        simplified = cond
    return simplified


def _ordinal(n: int) -> str:
    return {1: "first", 2: "second", 3: "third", 4: "fourth"}.get(n, f"{n}th")


# ---------------------------------------------------------------- public
def _placeholder_term(term: Term) -> tuple[Term, dict[Any, Any]]:
    """Replace a term's arguments by placeholders so its derivation is cached per kind."""
    if term.kind == "pow" and not term.args[0].is_Integer:
        return Term("pow", (_K,)), {_K: term.args[0]}
    if term.kind == "exp":
        return Term("exp", (_T,)), {_T: term.args[0]}
    if term.kind == "abs":
        return Term("abs", (_C,)), {_C: term.args[0]}
    if term.kind == "logquad":
        return Term("logquad", (_M, _CPOS)), {_M: term.args[0], _CPOS: term.args[1]}
    if term.kind == "cos":
        return Term("cos", (_M,)), {_M: term.args[0]}
    return term, {}


def _domain(constraint: Any, symbol: Any) -> Any:
    """The set of values a scalar parameter's constraint allows (None when not a set of reals)."""
    if constraint.event_ndim:
        return None
    conditions = constraint.sympy_conditions(symbol)
    if not conditions:
        return sp.S.Reals
    try:
        return sp.And(*conditions).as_set()
    except (NotImplementedError, TypeError, ValueError):
        return None


def _holds_everywhere(cond: Any, cls: type[Family], params: tuple[Any, ...]) -> Any:
    """``sp.true`` when ``cond`` (in one parameter) holds on that parameter's whole domain, else ``cond``."""
    if cond in (sp.true, sp.false) or len(cond.free_symbols) != 1:
        return cond
    (s,) = cond.free_symbols
    spec = dict(zip(params, cls.parameters)).get(s)
    domain = _domain(spec.constraint, s) if spec is not None else None
    if domain is not None and sp.solveset(sp.Not(cond), s, domain) == sp.S.EmptySet:
        return sp.true
    return cond


def _mass_function(cls: type[Family], k: Any, params: tuple[Any, ...]) -> Any:
    """The probability mass at ``k`` as a product of powers and factorials: the form sympy's summation recognises.

    ``exp(k*log(1 - p))`` becomes ``(1 - p)**k``, ``exp(-loggamma(k + 1))`` becomes ``1/k!``.
    """
    logp = sp.expand(sp.expand_log(cls.sym_logpdf(k, *params), force=True))
    logp = logp.replace(sp.loggamma, lambda a: sp.log(sp.gamma(a)))
    pmf = sp.Mul(*[sp.powsimp(sp.exp(t)) for t in sp.Add.make_args(logp)])
    return pmf.rewrite(sp.Pow).rewrite(sp.factorial)


def _route_sum(cls: type[Family], term: Term) -> Moment:
    """Counting measure: ``E_P[g] = sum over the support of pmf(k) g(k)``, summed by sympy.

    The sum comes back as ``Piecewise((value, convergence condition), (Sum, True))``;
    a condition that holds for every valid parameter (``|1 - p| < 1`` for
    ``0 < p < 1``) is dropped, one that does not becomes the finiteness condition
    (with an undecided sign where it fails).
    """
    params = _generic(cls)
    support = cls.sym_support(*params)
    lo, hi = support.inf, support.sup
    k = sp.Symbol("k", integer=True, nonnegative=True) if (lo >= 0) == sp.true else sp.Symbol("k", integer=True)
    if term.kind == "lgamma" and not (lo.is_number and hi.is_number and hi.is_finite):
        # E[log gamma(k + b)] (E[log k!] under a Poisson, a Binomial(n), ...) has no closed form: a finite
        # support with numeric ends is summed term by term below, any other is refused here, since
        # sympy would only hand back the unevaluated Sum (after a long search)
        raise _NoForm(f"E[{term.as_expr(k)}] over k in {support} is not a known closed form")
    if hi.is_finite and not hi.is_number:
        # a finite support with a symbolic end (Binomial(n)): sympy's summation of the mass
        # function times a term searches for minutes (E[X] there comes from the score identity)
        raise _NoForm(f"E[{term.as_expr(k)}] over k in {support}: no closed-form sum up to a symbolic end")
    pmf = _mass_function(cls, k, params)
    total = sp.piecewise_fold(sp.summation(pmf * term.as_expr(k), (k, lo, hi)))
    value, finite = total, sp.true
    if isinstance(total, sp.Piecewise):
        value, finite = total.args[0]
    if value.has(sp.Sum):
        raise _NoForm("sympy finds no closed form for the sum")
    value = _simplify(value)
    value = gamma_logs(value)
    _check_allowed(value)
    finite = _holds_everywhere(finite, cls, params)
    how = f"the sum over k in {support} of the probability mass times {term.as_expr(k)}"
    return Moment(value, finite, 1 if finite == sp.true else 0, (how,))


def gamma_logs(value: Any) -> Any:
    """Log-gammas and log-factorials as ``log(gamma(a))``, with ``gamma(a + m)`` expanded, so that they cancel.

    sympy writes ``loggamma(n + 1)`` of an integer ``n >= 0`` as ``log(gamma(n + 1))``
    but keeps ``loggamma(n)`` (infinite at ``n = 0``), and a finite sum of
    ``log gamma(n - k + 1)`` (a Binomial(n)'s coefficient under a Bernoulli) comes
    back as ``log(n!)``: one form for all of them, ``gamma(n + 1) = n gamma(n)``
    expanded, lets the log-gammas of a constant and of an expectation cancel
    (``log(n!) - log((n - 1)!) = log n``). The code printer writes a remaining
    ``log(gamma(a))`` as ``gammaln(a)`` (no overflow).
    """
    if not value.has(sp.factorial, sp.gamma, sp.loggamma):
        return value
    value = value.replace(sp.factorial, lambda a: sp.gamma(a + 1))
    value = value.replace(sp.loggamma, lambda a: sp.log(sp.gamma(a)))
    return sp.expand(sp.expand_log(sp.expand_func(value), force=True))


def _route_score(cls: type[Family], term: Term) -> Moment:
    """``E[X]`` from the score identity ``E_P[d/dtheta log p(X)] = 0``.

    For a continuous parameter ``theta`` that the support does not depend on
    and whose score is affine in ``x``, ``a(theta) x + b(theta)``, the identity
    gives ``E[X] = -b/a`` without the sum (sympy finds no closed form for
    ``sum k C(n, k) p^k (1 - p)^(n - k)`` with a symbolic ``n``, and looks for
    one for minutes).
    """
    if term.kind != "pow" or term.args[0] != 1:
        raise _NoForm(term.kind)
    params = _generic(cls)
    x = sp.Symbol("x", integer=True, nonnegative=True)
    logp = cls.sym_logpdf(x, *params)
    fixed = cls.sym_support(*params).free_symbols
    for theta, spec in zip(params, cls.parameters):
        if theta in fixed or spec.constraint.is_discrete:
            continue
        score = sp.expand(sp.diff(logp, theta))
        a = sp.simplify(sp.diff(score, x))
        if a.has(x) or a == 0:
            continue
        b = sp.simplify(score.xreplace({x: 0}))  # the score is affine in x: its value at 0
        value = sp.factor(sp.simplify(-b / a))
        return Moment(value, sp.true, 1, (
            f"the score identity E[d/d{theta} log p(X)] = 0, with the score ({a})*x + {b} affine in x",))
    raise _NoForm("no parameter whose score is affine in x")


def _route_counting(cls: type[Family], term: Term) -> Moment:
    """Counting measure: the score identity for ``E[X]`` where it applies, else the sum over the support."""
    try:
        return _route_score(cls, term)
    except _NoForm:
        return _route_sum(cls, term)


def _routes_for(cls: type[Family], term: Term) -> Callable[[type[Family], Term], Moment] | None:
    # a family's reference measure decides how an expectation is taken: sums
    # under the counting measure, the per-family integral routes otherwise
    if getattr(cls, "measure", "lebesgue") == "counting":
        return _route_counting
    return routes(cls).get(term.kind)


@memoize
def expectation_generic(cls: type[Family], term: Term) -> Moment:
    """``E_P[term]`` in P's generic symbols ``cls.symbols("P")`` (cached per family and term)."""
    route = _routes_for(cls, term)
    if route is None:
        raise NoClosedFormError(f"no derivation of E[{term.as_expr(sp.Symbol('x'))}] under {cls.__name__}")
    try:
        return route(cls, term)
    except _NoForm as exc:
        raise NoClosedFormError(
            f"E[{term.as_expr(sp.Symbol('x'))}] under {cls.__name__} has no closed form in the engine ({exc})"
        ) from None


def expectation(cls: type[Family], params: tuple[Any, ...], term: Term) -> Moment:
    """``E_P[term]`` for P = ``cls(*params)`` (params are sympy expressions).

    Raises
    ------
    NoClosedFormError
        When no route derives the expectation.
    """
    route = routes(cls).get(term.kind)
    if route is not None and getattr(route, "per_arguments", False):
        # not cached per kind: whether the route applies depends on the actual arguments
        try:
            return route(cls, term, tuple(params))
        except _NoForm as exc:
            raise NoClosedFormError(
                f"E[{term.as_expr(sp.Symbol('x'))}] under {cls.__name__} has no closed form in the engine ({exc})"
            ) from None
    generic_term, back = _placeholder_term(term)
    moment = _cached(cls, generic_term)
    mapping = dict(zip(_generic(cls), params))
    mapping.update(back)
    return moment.subs(mapping)


@memoize
def _cached(cls: type[Family], term: Term) -> Moment:
    return expectation_generic(cls, term)
