"""Printing of closed forms over coordinate sums (the vector exponential families).

The Bregman route (:mod:`anadiv.symbolic.bregman`) writes a divergence as
terms in ``IndexedBase`` parameters with ``Sum`` over the ``K`` coordinates.
The body here separates it into

* coordinate terms: one ``Sum`` over ``j`` of a summand in ``a[j]`` (and
  aggregates), printed as ``xp.sum(<summand>, axis=-1)`` on the arrays;
* aggregate terms: functions of linear sums ``Sum(a[i])`` (``a_0``), printed
  with ``xp.sum(a, axis=-1)``;

and rewrites each part with the stable helpers of the scalar code (the same
pattern finders as :mod:`anadiv.codegen.stabilize`): ``lgamma_bregman`` for
the Bregman pieces of the log-gamma (per coordinate, and for the aggregate
with the exact step ``Sum(b - a)``: ``lgamma_bregman_d``), ``lgamma_mpsi`` for
entropy pieces, ``xm1mlog`` for ``p log(p/q)`` of probability vectors (the
nonnegative terms ``p log(p/q) - p + q``, as :func:`anadiv.discrete.kl`).
A term ``c p log(y)`` of a probability entry ``p`` is 0 where ``p = 0``.
"""

from __future__ import annotations

from typing import Any

import sympy

from ..constraints import simplex
from .helpers import lgamma_bregman, lgamma_bregman_d, to_elementary, xm1mlog
from .printer import XpPrinter, constants_to_floats
from .refine import _nonnegative, _term_scale, exact_name
from .stabilize import _cross_mpsi_atoms, _gamma_atoms, _mpsi_atoms

_K = sympy.Symbol("K", integer=True, positive=True)
_J = sympy.Symbol("j", integer=True, nonnegative=True)


def is_indexed(derivation: Any) -> bool:
    return any(isinstance(s, sympy.IndexedBase) for syms in derivation.symbols for s in syms)


def _is_aggregate(s: Any) -> bool:
    """A linear coordinate sum (``Sum(a[i])``, ``Sum(b[i] - a[i])``): no function of a coordinate inside."""
    return isinstance(s, sympy.Sum) and not s.function.atoms(sympy.Function)


def _split(expr: Any) -> tuple[Any, Any]:
    """``expr = outer + Sum(inner, (j, 0, K - 1))``; ``outer`` holds only aggregates."""
    outer, inner = sympy.Integer(0), sympy.Integer(0)
    for term in sympy.Add.make_args(sympy.expand(expr)):
        sums = [f for f in sympy.Mul.make_args(term) if isinstance(f, sympy.Sum) and not _is_aggregate(f)]
        if not sums:
            outer += term
            continue
        if len(sums) != 1:
            raise NotImplementedError(f"indexed printer: a product of coordinate sums in {term}")
        (s,) = sums
        coef = term / s
        (var, lo, hi) = s.limits[0]
        if (lo, hi) != (0, _K - 1):
            raise NotImplementedError(f"indexed printer: a sum over {lo}..{hi}")
        for piece in sympy.Add.make_args(sympy.expand(s.function.xreplace({var: _J}))):
            c, rest = piece.as_independent(_J, as_Add=False)
            if rest == 1:
                outer += coef * c * _K
            elif not rest.atoms(sympy.Function):
                outer += coef * c * sympy.Sum(rest, (_J, 0, _K - 1))
            else:
                inner += coef * piece
    return outer, inner


def _stable(expr: Any, p: tuple[Any, ...], q: tuple[Any, ...], probs: set[Any]) -> Any:
    """The scalar stabilizer's atoms for one part (in plain symbols)."""
    atoms: list[Any] = []
    if q:
        atoms += _gamma_atoms(expr, p, q)
        atoms += _cross_mpsi_atoms(expr - sympy.Add(*[to_elementary(a) for a in atoms]), p, q)
    atoms += _mpsi_atoms(expr - sympy.Add(*[to_elementary(a) for a in atoms]))
    residual = sympy.expand(sympy.expand_log(expr - sympy.Add(*[to_elementary(a) for a in atoms]), force=True))
    for x, y in zip(p, q):
        if x in probs:
            # c (x log x - x log y) -> c (x xm1mlog(y, x) + x - y): nonnegative terms; sum(x - y) = 0
            c = residual.coeff(x * sympy.log(x))
            if c != 0 and sympy.expand(residual.coeff(x * sympy.log(y)) + c) == 0:
                residual = sympy.expand(residual - c * (x * sympy.log(x) - x * sympy.log(y)))
                atoms.append(c * sympy.Piecewise((y, sympy.Eq(x, 0)), (x * xm1mlog(y, x), True)))
                residual += c * (x - y)  # the linear rest, summed separately (an aggregate: cancels)
    for x in probs:
        # 0 log 0 = 0 in what is left
        for t in sympy.Add.make_args(residual):
            if x in sympy.Mul.make_args(t) and t.has(sympy.log):
                residual -= t
                atoms.append(sympy.Piecewise((0, sympy.Eq(x, 0)), (t, True)))
    return sympy.Add(*atoms) + residual


class _ArrayPrinter(XpPrinter):
    """Coordinates as whole arrays; a sum over the coordinates as ``xp.sum`` on the last axis."""

    def __init__(self, keepdims: bool, scalars: set[Any] | None = None) -> None:
        super().__init__()
        self._keepdims = keepdims
        self._scalars = scalars or set()

    def _print_Symbol(self, expr: Any) -> str:
        # a scalar parameter (one per batch element) inside a coordinate sum meets the coordinate axis
        name = super()._print_Symbol(expr)
        return f"{name}[..., None]" if self._keepdims and expr in self._scalars else name

    def _print_Indexed(self, expr: Any) -> str:
        return str(expr.base.label)

    def _print_Sum(self, expr: Any) -> str:
        (var, lo, hi) = expr.limits[0]
        body = self._print(expr.function.xreplace({var: _J}))
        return f"xp.sum({body}, axis=-1{', keepdims=True' if self._keepdims else ''})"


def indexed_body(expr: Any, derivation: Any, args: list[str], kind: str, fname: str) -> list[str]:
    """Body lines for a derivation in ``IndexedBase`` parameters (names already the argument names).

    The result goes through ``xp._refine.checked`` with the cancellation scale
    ``sum |term|`` of both parts (per coordinate and aggregate) and the exact
    form ``_<fname>_exact`` over the coordinate lists (see :mod:`anadiv.codegen.refine`).
    """
    bases = [s for syms in derivation.symbols for s in syms if isinstance(s, sympy.IndexedBase)]
    probs_bases = {s for fam, syms in zip(derivation.families, derivation.symbols)
                   for spec, s in zip(fam.parameters, syms) if spec.constraint is simplex}
    # a probability entry may be 0 (the "0 log 0" rule must see it), a concentration may not
    coord = {b: sympy.Symbol(f"_c_{b.label}", **({"nonnegative": True} if b in probs_bases else {"positive": True}))
             for b in bases}
    p_syms = tuple(derivation.symbols[0])
    q_syms = tuple(derivation.symbols[1]) if len(derivation.symbols) == 2 else ()

    def parts(expr: Any) -> tuple[Any, Any, tuple[Any, Any] | None]:
        outer, inner = _split(expr)
        # coordinate part: a[j] -> a plain symbol, stabilized, and back
        inner_plain = inner.replace(lambda e: isinstance(e, sympy.Indexed) and e.base in coord and e.indices[0] == _J,
                                    lambda e: coord[e.base])
        back = {v: k[_J] for k, v in coord.items()}
        inner_s = _stable(inner_plain, tuple(coord[b] for b in p_syms if b in coord),
                          tuple(coord[b] for b in q_syms if b in coord), {coord[b] for b in probs_bases})
        # the linear rest of the coordinate part joins the aggregates
        kept = sympy.Integer(0)
        for t in sympy.Add.make_args(inner_s):
            if t.atoms(sympy.Function) or t.has(sympy.Piecewise):
                kept += t
            else:
                outer += sympy.Sum(t.xreplace(back), (_J, 0, _K - 1))
        # judged on the plain symbols, which carry the parameters' signs (an Indexed entry carries none)
        inner_terms = sympy.Add.make_args(kept)
        inner_nonnegative = all(_nonnegative(t) for t in inner_terms)
        inner_scale = sympy.Add(*[_term_scale(t) for t in inner_terms]).xreplace(back)
        inner_s = kept.xreplace(back)
        # aggregate part: Sum(a[i]) -> a plain symbol
        agg = {b: sympy.Symbol(f"_s_{b.label}", positive=True) for b in bases}

        def to_agg(e: Any) -> Any:
            # a linear sum is the same combination of the vectors' sums (which cancel symbolically)
            (var, _lo, _hi) = e.limits[0]
            if not _is_aggregate(e):
                return e
            f = sympy.expand(e.function)
            out = sympy.Integer(0)
            for t in sympy.Add.make_args(f):
                c, core = t.as_independent(var, as_Add=False)
                if core == 1:
                    out += c * _K
                elif isinstance(core, sympy.Indexed) and core.base in agg and core.indices[0] == var:
                    out += c * agg[core.base]
                else:
                    return e
            return out

        outer_plain = sympy.expand(outer.replace(lambda e: isinstance(e, sympy.Sum), to_agg))
        # a probability vector sums to one
        outer_plain = sympy.expand(outer_plain.xreplace({agg[b]: 1 for b in probs_bases}))
        ps = tuple(agg[b] for b in p_syms if b in agg)
        qs = tuple(agg[b] for b in q_syms if b in agg)
        outer_s = _stable(outer_plain, ps, qs, set())
        outer_nonnegative = all(_nonnegative(t) for t in sympy.Add.make_args(outer_s))
        # lgamma_bregman(a0, b0) with the step b0 - a0 summed exactly: lgamma_bregman_d(a0, Sum(b - a))
        i = sympy.Symbol("i", integer=True, nonnegative=True)
        for x, y in zip(ps, qs):
            bx = next(b for b, s in agg.items() if s == x)
            by = next(b for b, s in agg.items() if s == y)
            step = sympy.Sum(by[i] - bx[i], (i, 0, _K - 1))
            outer_s = outer_s.replace(lambda e: isinstance(e, lgamma_bregman) and e.args == (x, y),
                                      lambda e: lgamma_bregman_d(x, step))
        outer_s = outer_s.xreplace({s: sympy.Sum(b[i], (i, 0, _K - 1)) for b, s in agg.items()})
        # sum |term| over both parts; None when no term can cancel another (every one nonnegative)
        scale = None
        if not (inner_nonnegative and outer_nonnegative):
            outer_terms = sympy.Add.make_args(outer_s)
            scale = (None if inner_nonnegative else inner_scale,
                     None if len(outer_terms) == 1 else sympy.Add(*[_term_scale(t) for t in outer_terms]))
        return inner_s, outer_s, scale

    vectors = [a for a, sym in zip(args, [s for syms in derivation.symbols for s in syms])
               if isinstance(sym, sympy.IndexedBase)]
    scalars = {sym for syms in derivation.symbols for sym in syms if not isinstance(sym, sympy.IndexedBase)}
    inner_printer, outer_printer = _ArrayPrinter(True, scalars), _ArrayPrinter(False, scalars)
    uses_k = False

    def printed(inner_s: Any, outer_s: Any) -> tuple[str, str]:
        nonlocal uses_k
        texts = (inner_printer.doprint(constants_to_floats(inner_s)), outer_printer.doprint(constants_to_floats(outer_s)))
        uses_k = uses_k or "K" in "".join(texts).replace("keepdims", "")
        return texts

    def total(inner_s: Any, outer_s: Any) -> str:
        printed_inner, printed_outer = printed(inner_s, outer_s)
        terms = []
        if inner_s != 0:
            terms.append(f"xp.sum({printed_inner}, axis=-1)")
        if outer_s != 0 or not terms:
            terms.append(printed_outer)
        text = terms[0]
        for v in terms[1:]:
            text += f" - {v[1:]}" if v.startswith("-") else f" + {v}"
        return text

    prelude: list[str] = []

    def value(expr: Any, top: bool) -> tuple[str, str | None]:
        """The printed value and its printed cancellation scale (None: no term can cancel).

        At the top (no case split) the two parts are computed once, as ``inner``
        (the coordinate sum) and ``outer`` (the aggregate terms), and the scale
        reuses them.
        """
        if isinstance(expr, sympy.Piecewise):
            # a top-level case split (a singular parameter): each branch printed on its own
            (first, cond), rest = expr.args[0], expr.args[1:]
            other = sympy.Piecewise(*rest) if rest and rest[0][1] is not sympy.true else rest[0][0]
            (v1, s1), (v2, s2) = value(first, False), value(other, False)
            where = outer_printer.doprint(cond)
            if s1 is None and s2 is None:
                return f"xp.where({where}, {v1}, {v2})", None
            # a branch without cancellation is its own scale: the value itself there
            return f"xp.where({where}, {v1}, {v2})", f"xp.where({where}, {s1 or 'value'}, {s2 or 'value'})"
        if expr == sympy.oo:
            # infinite by the supports: scale 0, the result check keeps it
            return "xp.inf", "0.0"
        inner_s, outer_s, scale = parts(expr)
        if scale is None or not top or inner_s == 0 or outer_s == 0:
            return total(inner_s, outer_s), None if scale is None else (
                total(inner_s if scale[0] is None else scale[0], sympy.Abs(outer_s) if scale[1] is None else scale[1]))
        printed_inner, printed_outer = printed(inner_s, outer_s)
        prelude.append(f"        inner = xp.sum({printed_inner}, axis=-1)")
        prelude.append(f"        outer = {printed_outer}")
        inner_scale = "inner" if scale[0] is None else f"xp.sum({printed(scale[0], sympy.Integer(0))[0]}, axis=-1)"
        outer_scale = "xp.abs(outer)" if scale[1] is None else printed(sympy.Integer(0), scale[1])[1]
        return "inner + outer", f"{inner_scale} + {outer_scale}"

    text, scale = value(expr, True)
    exact_call = ", ".join([repr(kind), "value", scale or "None", exact_name(fname), *args])
    lines = [f"    xp = namespace({', '.join(args)})"]
    lines.append(f"    {', '.join(args)} = {', '.join(f'xp.asarray({a})' for a in args)}")
    if uses_k:
        lines.append(f"    K = {vectors[0]}.shape[-1]")
    if len(derivation.symbols) == 2:
        # one category count (event size) on both sides: a mismatch is the second argument's fault
        a, b = vectors[0], vectors[len(vectors) // 2]
        lines.append(f"    if {a}.shape[-1:] != {b}.shape[-1:]:")
        lines.append(f'        raise ValueError(f"q: {b} has {{{b}.shape[-1:]}} entries on its last axis, P\'s {a} has {{{a}.shape[-1:]}}")')
    # a where() evaluates both branches: log(0) where the value is 0 or inf by the rules above
    # (and an overflow in an intermediate is recomputed by the result check)
    lines.append('    with xp.errstate(divide="ignore", invalid="ignore", over="ignore"):')
    lines += prelude
    lines.append(f"        value = {text}")
    lines.append(f"        return xp._refine.checked({exact_call})")
    return lines
