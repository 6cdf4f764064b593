"""Turn one :class:`~anadiv.symbolic.Derivation` into the source of one function.

The function is named ``kl_<p>_<q>``, ``entropy_<p>`` or
``cross_entropy_<p>_<q>``; its arguments are P's constructor parameters with
suffix ``_1`` then Q's with suffix ``_2`` (``mu_1, sigma_1, mu_2, sigma_2``;
plain names for an entropy). The body asks :func:`anadiv.numeric.xp.namespace` for
the array namespace, computes the common subexpressions (``sympy.cse``) as
named temporaries ``t0, t1, ...`` and returns the closed form.

Before printing, the expression goes through
:func:`anadiv.codegen.stabilize.stabilize` (numerically careful rewrites) and
the body is printed by :mod:`anadiv.codegen.scalar`. Expressions in matrix symbols (multivariate
normal) are printed by :mod:`anadiv.codegen.matrix`.
"""

from __future__ import annotations

import math
import textwrap
import zlib
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
import sympy

from ..kinds import KINDS
from .refine import exact_source
from .scalar import scalar_body
from .stabilize import stabilize, tied_symbols

if TYPE_CHECKING:
    from ..families._base import Family



@dataclass(frozen=True)
class GeneratedFunction:
    """Source of one generated function and what the index needs to know."""

    kind: str
    key: tuple[str, ...]
    name: str
    module: str
    source: str
    status: str  # "finite", "infinite", "conditional" (inf where supports say so) or "partial" (see _status)


def function_name(kind: str, families: tuple[type[Family], ...]) -> str:
    return KINDS[kind].function_name([f.name for f in families])


def argument_names(kind: str, families: tuple[type[Family], ...]) -> list[list[str]]:
    """Argument names per family (suffixed ``_1``/``_2`` for pairs, plain for one family), then the kind's own."""
    k = KINDS[kind]
    if k.arity == 1:
        per_family = [[p.name for p in families[0].parameters]]
    else:
        per_family = [[f"{p.name}_{i}" for p in fam.parameters] for i, fam in enumerate(families, start=1)]
    return k.argument_names(per_family)


def is_matrix_family(fam: type[Family]) -> bool:
    return any(p.constraint.event_ndim for p in fam.parameters)


def _status(expr: Any) -> str:
    if expr == sympy.oo:
        return "infinite"
    if isinstance(expr, sympy.Piecewise) and any(e is sympy.nan for e, _ in expr.args):
        # a closed form where the parameters tie (equal trial counts); none elsewhere
        return "partial"
    if expr.has(sympy.oo) or expr.has(sympy.Piecewise):
        return "conditional" if expr.has(sympy.oo) else "finite"
    return "finite"


def location_differences(expr: Any, families: tuple[type[Family], ...], names: list[list[str]], symbols: list[Any]) -> Any:
    """Write a pair's closed form through the difference of the two locations.

    A divergence between location families depends on ``loc_1 - loc_2`` only,
    but a derived form may carry the locations separately (``mu_1**2 - 2*mu_1*mu_2
    + mu_2**2``, ``exp(loc_1/s)*exp(-loc_2/s)``): at locations of 1e8 that loses
    every digit or overflows. Substituting ``loc_1 = loc_2 + delta``, expanding
    and combining exponentials cancels ``loc_2`` symbolically; ``delta`` is then
    printed as ``(loc_1 - loc_2)``, an exact difference for close locations.
    The rewrite is kept only when it removes ``loc_2`` entirely. A P with
    several shifted parameters (a Uniform's ``low`` and ``high``) gets one
    difference each: ``low_1 - loc_2``, ``high_1 - loc_2``.
    """
    if len(families) != 2 or not families[0].shifted_parameters() or families[1].location is None:
        return expr
    by_name = {s.name: s for s in symbols}
    p_names = [p.name for p in families[0].parameters]
    p_locs = [by_name[names[0][p_names.index(n)]] for n in families[0].shifted_parameters()]
    q_loc = by_name[names[1][[p.name for p in families[1].parameters].index(families[1].location)]]
    if not (any(expr.has(p) for p in p_locs) and expr.has(q_loc)):
        return expr
    deltas = {p: sympy.Symbol(f"_delta{i}", real=True) for i, p in enumerate(p_locs)}

    def cancel(e: Any) -> Any:
        # Only nodes that still hold loc_2 are touched, so the stabilizer's
        # forms elsewhere (exact differences, helpers) stay as they are.
        if e.is_Atom or not e.has(q_loc):
            return e
        e = e.func(*(cancel(a) for a in e.args))
        if e.is_Add and e.has(q_loc):
            with_q = [a for a in e.args if a.has(q_loc)]
            rest = [a for a in e.args if not a.has(q_loc)]
            # factor_terms pulls a common exp(loc_2/s) out of the sum, so that
            # the enclosing product can cancel it against its partner
            expanded = sympy.expand(sympy.Add(*with_q), power_base=False, log=False)
            return sympy.Add(sympy.factor_terms(expanded), *rest)
        if (e.is_Mul or e.is_Pow) and e.has(q_loc):
            combined = sympy.powsimp(sympy.expand_power_base(e, force=True), combine="exp")
            return cancel(combined) if combined != e else e
        return e

    shifted = cancel(expr.xreplace({p: q_loc + d for p, d in deltas.items()}))
    if shifted.has(q_loc):
        return expr
    return shifted.xreplace({d: p - q_loc for p, d in deltas.items()})


def _rename(expr: Any, derivation: Any, names: list[list[str]]) -> tuple[Any, list[Any]]:
    """Replace the engine's symbols by symbols named like the arguments."""
    mapping = {}
    new_symbols = []
    for syms, ns in zip(derivation.symbols, names):
        for sym, name in zip(syms, ns):
            if isinstance(sym, sympy.MatrixSymbol):
                new = sympy.MatrixSymbol(name, *sym.shape)
            elif isinstance(sym, sympy.IndexedBase):
                new = sympy.IndexedBase(name, **sym.assumptions0)
            else:
                new = sympy.Symbol(name, **sym.assumptions0)
            mapping[sym] = new
            new_symbols.append(new)
    return expr.xreplace(mapping), new_symbols


def _renamed(derivation: Any, names: list[list[str]]) -> Any:
    """The derivation's families and symbols, the symbols named like the arguments."""
    from types import SimpleNamespace

    _, symbols = _rename(sympy.Integer(0), derivation, names)
    it = iter(symbols)
    grouped = tuple(tuple(next(it) for _ in syms) for syms in derivation.symbols)
    return SimpleNamespace(kind=derivation.kind, families=derivation.families, symbols=grouped)


def _example_values(families: tuple[type[Family], ...], kind: str, name: str) -> list[list[str]]:
    """Doctest argument literals: short decimals drawn from each family's typical range.

    The draw is seeded by the function name, so the docstring is reproducible.
    """
    from .matrix import example_literals

    rng = np.random.default_rng(zlib.crc32(name.encode()))
    out = []
    for i, fam in enumerate(families):
        if is_matrix_family(fam):
            out.append(example_literals(fam, i))
            continue
        for _attempt in range(50):
            vals = [float(f"{v:.2g}") for v in fam.random_params(rng)]
            try:
                fam(*vals)
            except ValueError:
                continue
            break
        out.append([repr(v) for v in vals])
    extra = KINDS[kind].parameters
    if extra:
        # the kind's own parameters (Renyi's order), from their typical values
        out.append([repr(spec.draw(rng)) for spec in extra])
    return out


def _format_example(value: float) -> str:
    """The start of ``repr(value)`` followed by an ellipsis (robust to the last digits)."""
    text = repr(float(value))
    if text in ("inf", "-inf", "nan") or len(text) <= 8:
        return text
    if "e" in text:
        mant, exp = text.split("e")
        return mant[:8] + "...e" + exp
    digits = 0
    for k, ch in enumerate(text):
        if ch.isdigit() and (digits or ch != "0"):
            digits += 1
        if digits == 10:
            return text[: k + 1] + "..."
    return text


def _docstring(kind: str, families: tuple[type[Family], ...], names: list[list[str]], fname: str,
               expr_for_doc: Any, example_call: str, example_out: str, status: str) -> str:
    cls = [f.__name__ for f in families]
    k = KINDS[kind]
    derive = f"{k.route_name}({', '.join(cls)})"
    if k.arity == 1:
        title = f"{k.title} of {cls[0]}({', '.join(names[0])})."
    else:
        title = f"{k.title} {k.show(['P', 'Q'])}, P = {cls[0]}({', '.join(names[0])}), Q = {cls[1]}({', '.join(names[1])})."
    latex = sympy.latex(expr_for_doc)
    text = sympy.sstr(expr_for_doc)
    lines = [title, "", f"Generated from ``anadiv.symbolic.{derive}``; do not edit.", ""]
    lines += [".. math::", "", "    " + latex, ""]
    lines += ["As text::", ""]
    lines += ["    " + ln for ln in textwrap.wrap(text, 80, break_long_words=False, break_on_hyphens=False)]
    lines += ["", "Parameters", "----------"]
    for fam, ns in zip(families, names):
        lines += [f"{', '.join(ns)} : array_like", f"    Parameters of {fam.__name__}, broadcasting against each other."]
    lines += ["", "Returns", "-------", "array_like", "    Same broadcast shape and float dtype as the parameters."]
    if status == "infinite":
        lines[-1] += " Always ``inf``: P is not absolutely continuous with respect to Q."
    elif status == "conditional":
        lines[-1] += f" ``inf`` {k.infinite_where}."
    elif status == "partial":
        lines[-1] += (" A closed form where the trial counts are equal (``inf`` where P's support is not inside"
                      " Q's); elsewhere it raises ``NoClosedFormError``.")
    lines += ["", "Examples", "--------", f">>> float({example_call})  # doctest: +ELLIPSIS", example_out]
    body = "\n".join(lines)
    if '"""' in body:  # pragma: no cover - latex never contains it
        body = body.replace('"""', "'''")
    return textwrap.indent(f'r"""{body}\n"""', "    ")


def render_function(derivation: Any) -> GeneratedFunction:
    """Python source of the numeric function for ``derivation``."""
    kind = derivation.kind
    families = tuple(derivation.families)
    fname = function_name(kind, families)
    names = argument_names(kind, families)
    flat = [n for ns in names for n in ns]

    raw, _ = _rename(derivation.expr, derivation, names)
    status = _status(raw)
    matrix_symbols = any(isinstance(s, (sympy.MatrixSymbol, sympy.IndexedBase))
                         for syms in derivation.symbols for s in syms)
    indexed = any(isinstance(s, sympy.IndexedBase) for syms in derivation.symbols for s in syms)
    if indexed:
        # coordinate sums of a vector exponential family (the Bregman route)
        from .indexed import indexed_body

        renamed_derivation = _renamed(derivation, names)
        body_lines = indexed_body(raw, renamed_derivation, flat, kind, fname)
    elif matrix_symbols:
        # Cholesky-based printing; its kl_core call is the stable form.
        from .matrix import matrix_body

        constraints = {n: p.constraint for fam, ns in zip(families, names) for p, n in zip(fam.parameters, ns)}
        body_lines = matrix_body(raw, flat, constraints)
    else:
        expr = derivation.expr
        stable = None
        if len(derivation.symbols) > len(families) and kind == "renyi":
            # a sum of Jensen gaps of the log-normalizer's terms (renyi_form), else the order's mixtures of
            # natural parameters kept as products (alpha near 1 would cancel them)
            from .helpers import with_mixtures
            from .renyi_form import stable_renyi

            stable = stable_renyi(derivation)
            expr = with_mixtures(expr, derivation.symbols[len(families)][0])
        if stable is not None:
            from .stabilize import verify

            verify(derivation.expr, stable, _per_coordinate_view(derivation))
            expr = stable
        else:
            expr = stabilize(expr, _per_coordinate_view(derivation))
        expr, renamed = _rename(expr, derivation, names)
        expr = location_differences(expr, families, names, renamed)
        if any(f.event_ndim == 1 for f in families):
            # derived per coordinate (independent coordinates): sum over the last axis
            from .matrix import diagonal_body

            body_lines = diagonal_body(expr, flat, kind, fname)
        else:
            body_lines = scalar_body(expr, flat, kind, fname, undefined_message(raw, kind, fname))

    header = f"def {fname}({', '.join(flat)}):"
    if not matrix_symbols:
        # value i depends on the parameters at i only (a DiagonalNormal's on row i): large
        # batches run in blocks on all cores
        per_row = any(f.event_ndim == 1 for f in families)
        header = f"@elementwise{'(event_ndim=1)' if per_row else ''}\n{header}"
    example_args = _example_values(families, kind, fname)
    for q, p in tied_symbols(raw).items():
        # a closed form that holds where Q's parameter equals P's (a Binomial pair's trial count)
        (i, j), (k, m) = _position(names, q.name), _position(names, p.name)
        example_args[i][j] = example_args[k][m]
    call = f"{fname}({', '.join(a for args in example_args for a in args)})"
    partial = "\n".join([header, *body_lines])
    # every closed form but the Cholesky-printed ones (their kl_core is the stable form) has an exact one
    exact = not matrix_symbols or indexed
    if exact:
        partial += "\n\n" + exact_source(raw, fname, flat)
    value = _evaluate(partial, fname, call)
    doc = _docstring(kind, families, names, fname, raw, call, _format_example(value), status)
    source = "\n".join([header, doc, *body_lines]) + "\n"
    if exact:
        source += "\n\n" + exact_source(raw, fname, flat)
    module = families[0].name
    key = tuple(f.name for f in families)
    return GeneratedFunction(kind, key, fname, module, source, status)


def _position(names: list[list[str]], name: str) -> tuple[int, int]:
    return next((i, ns.index(name)) for i, ns in enumerate(names) if name in ns)


def undefined_message(expr: Any, kind: str, fname: str) -> str | None:
    """What the function raises where ``expr`` (a ``Piecewise``) takes its ``nan`` branch; None without one.

    The engine writes ``nan`` where a divergence exists but has no closed form
    (a Binomial pair with ``n_1 < n_2``); the message names the region, from
    the conditions of the branches before it.
    """
    if not isinstance(expr, sympy.Piecewise) or not any(e is sympy.nan for e, _ in expr.args):
        return None
    before = []
    for e, c in expr.args:
        if e is sympy.nan:
            break
        before.append(sympy.Not(c))
    region = sympy.simplify(sympy.And(*before)) if before else sympy.true
    text = f"{region.lhs} != {region.rhs}" if isinstance(region, sympy.Ne) else str(region)
    where = "" if region == sympy.true else f" where {text}"
    return f"{fname}: no closed form{where}; use {KINDS[kind].instead()}"


class _OneCoordinate:
    """A family of independent coordinates seen one coordinate at a time.

    Its derivation is per coordinate (scalar symbols), so the stabilizer's
    random points must be scalars too.
    """

    event_ndim = 0

    def __init__(self, fam: type[Family]) -> None:
        self._fam = fam
        self.name = fam.name
        self.__name__ = fam.__name__
        self.parameters = fam.parameters

    def random_params(self, rng: np.random.Generator) -> tuple[float, ...]:
        return tuple(float(np.asarray(v).ravel()[0]) for v in self._fam.random_params(rng))


def _per_coordinate_view(derivation: Any) -> Any:
    if not any(f.event_ndim == 1 for f in derivation.families):
        return derivation
    from types import SimpleNamespace

    fams = tuple(_OneCoordinate(f) if f.event_ndim == 1 else f for f in derivation.families)
    return SimpleNamespace(kind=derivation.kind, families=fams, symbols=derivation.symbols, expr=derivation.expr)


def _evaluate(source: str, fname: str, call: str) -> float:
    from anadiv.numeric.blocks import elementwise
    from anadiv.numeric.refine import with_event_ndim
    from anadiv.numeric.xp import namespace

    scope: dict[str, Any] = {"namespace": namespace, "np": np, "elementwise": elementwise,
                             "with_event_ndim": with_event_ndim}
    exec(compile(source, f"<generated {fname}>", "exec"), scope)  # noqa: S102 - our own generated code
    value = eval(call, scope)  # noqa: S307
    return float(value) if np.ndim(value) == 0 else math.nan
