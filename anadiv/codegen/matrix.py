"""Matrix-aware printing for the multivariate normal.

The engine derives multivariate-normal closed forms in matrix symbols: sums
of terms ``c * atom`` where an atom is one of

* ``Trace(Inverse(B) * A)``           -> ``xp._linalg.trace_solve(chol_B, chol_A)``
* ``Trace(v.T * Inverse(B) * v)``     -> ``xp._linalg.mahalanobis(chol_B, v)``
* ``log(Determinant(A))``             -> ``xp._linalg.logdet(chol_A)``
* the dimension symbol ``d``          -> ``d`` (read from the arrays)

with ``c`` a number. Every covariance is factored once (``chol_1 = ...``),
nothing is inverted. The KL's group
``Trace(B^-1 A) - d - log det A + log det B`` (a sum of nonnegative terms
that nearly cancels when A is close to B) is printed as one call,
``xp._linalg.kl_core(cov_A, chol_A, cov_B, chol_B)``, which keeps full
precision for nearly equal covariances and for covariances far apart
(ratios to 1e+-300).

Families whose parameters are vectors of independent coordinates
(``DiagonalNormal``) are derived per coordinate; their body is the scalar body
summed over the last axis (:func:`diagonal_body`), so no ``d x d`` matrix is
ever formed.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import sympy

from .printer import XpPrinter, constants_to_floats

if TYPE_CHECKING:
    from ..families._base import Family


def example_literals(fam: type[Family], index: int) -> list[str]:
    """Doctest literals for a vector/matrix family (two fixed 2-d examples, or the family's ``codegen_examples``)."""
    own = getattr(fam, "codegen_examples", None)
    if own is not None:
        return list(own[index % len(own)])
    if fam.name == "multivariate_normal":
        choices = [
            ["[0.0, 1.0]", "[[2.0, 0.5], [0.5, 1.0]]"],
            ["[0.5, -0.5]", "[[1.0, 0.0], [0.0, 3.0]]"],
        ]
    else:
        choices = [["[0.0, 1.0]", "[1.0, 2.0]"], ["[0.5, -0.5]", "[1.5, 0.5]"]]
    return choices[index % 2]


class _VectorPrinter(XpPrinter):
    """Prints mean-vector expressions (``mu_2 - mu_1``) as array arithmetic."""

    def _print_MatrixSymbol(self, expr: Any) -> str:
        return expr.name

    def _print_MatAdd(self, expr: Any) -> str:
        parts = [self._print(a) for a in expr.args]
        parts.sort(key=lambda s: s.startswith("-"))  # a positive term first: "b - a"
        out = parts[0]
        for p in parts[1:]:
            out += f" - {p[1:]}" if p.startswith("-") else f" + {p}"
        return f"({out})"

    def _print_MatMul(self, expr: Any) -> str:
        coeff, mats = expr.as_coeff_matrices()
        if len(mats) != 1:
            raise NotImplementedError(f"cannot print the matrix product {expr} elementwise")
        inner = self._print(mats[0])
        if coeff == -1:
            return f"-{inner}"
        return f"{self._print(coeff)}*{inner}"


def _is_transpose_of(a: Any, b: Any) -> bool:
    return sympy.simplify((a.T - b).doit()) == sympy.ZeroMatrix(*b.shape) or (a.T).doit() == b.doit()


def _classify(atom: Any) -> tuple[str, tuple[Any, ...]] | None:
    """Name and operands of a recognized matrix atom, or None."""
    if isinstance(atom, sympy.Trace):
        arg = atom.arg
        if isinstance(arg, sympy.MatMul):
            _, mats = arg.as_coeff_matrices()
            if len(mats) == 2 and isinstance(mats[0], sympy.Inverse) and mats[1].is_square:
                return "trace_solve", (mats[0].arg, mats[1])
            if len(mats) == 2 and isinstance(mats[1], sympy.Inverse) and mats[0].is_square:
                return "trace_solve", (mats[1].arg, mats[0])  # tr(A B^-1) = tr(B^-1 A)
            if len(mats) == 3 and isinstance(mats[1], sympy.Inverse) and _is_transpose_of(mats[0], mats[2]):
                return "mahalanobis", (mats[1].arg, mats[2])
    if isinstance(atom, sympy.log) and isinstance(atom.args[0], sympy.Determinant):
        return "logdet", (atom.args[0].arg,)
    return None


def matrix_body(expr: Any, args: list[str], arg_constraints: dict[str, Any]) -> list[str]:
    """Body lines for a scalar expression in matrix symbols named like ``args``.

    ``arg_constraints`` maps each argument to its parameter's constraint, whose
    ``event_ndim`` says how many trailing axes an unused argument's zeros drop.
    """
    expr = sympy.expand(expr, deep=False)
    matrices = sorted({m for m in expr.atoms(sympy.MatrixSymbol)}, key=lambda m: m.name)
    dims = {m.shape[0] for m in matrices} | {m.shape[1] for m in matrices}
    dim_syms = [s for s in dims if isinstance(s, sympy.Symbol)]
    terms: dict[tuple[str, tuple[Any, ...]], Any] = {}
    constant = sympy.S.Zero
    for term in sympy.Add.make_args(expr):
        coeff, core = term.as_independent(*matrices, *dim_syms, as_Add=False)
        if core == 1:
            constant += coeff
            continue
        if core in dim_syms:
            key: tuple[str, tuple[Any, ...]] = ("d", ())
        else:
            found = _classify(core)
            if found is None:
                raise NotImplementedError(f"matrix printer: no numeric rule for the term {core}")
            key = found
        terms[key] = terms.get(key, 0) + coeff

    # Group the nearly-cancelling KL terms into one accurate call.
    groups = []
    for (name, ops), c in list(terms.items()):
        if name != "trace_solve":
            continue
        b, a = ops
        if (
            terms.get(("logdet", (a,))) == -c
            and terms.get(("logdet", (b,))) == c
            and terms.get(("d", ())) is not None
        ):
            groups.append((c, a, b))
            del terms[("trace_solve", ops)], terms[("logdet", (a,))], terms[("logdet", (b,))]
            terms[("d", ())] += c
    chol = {m: f"chol_{m.name.rsplit('_', 1)[-1]}" if "_" in m.name else "chol" for m in matrices if m.is_square}

    vp = _VectorPrinter()
    placeholders: dict[str, Any] = {}

    def call(text: str) -> Any:
        return placeholders.setdefault(text, sympy.Symbol(text))

    total = constant
    for c, a, b in groups:
        total += c * call(f"xp._linalg.kl_core({a.name}, {chol[a]}, {b.name}, {chol[b]})")
    for (name, ops), c in terms.items():
        if c == 0:
            continue
        if name == "d":
            total += c * sympy.Symbol("d")
        elif name == "trace_solve":
            b, a = ops
            total += c * call(f"xp._linalg.trace_solve({chol[b]}, {chol[a]})")
        elif name == "mahalanobis":
            b, v = ops
            total += c * call(f"xp._linalg.mahalanobis({chol[b]}, {vp.doprint(v)})")
        elif name == "logdet":
            (a,) = ops
            total += c * call(f"xp._linalg.logdet({chol[a]})")

    lines = [f"    xp = namespace({', '.join(args)})"]
    lines.append(f"    {', '.join(args)}{',' if len(args) == 1 else ''} = {', '.join(f'xp.asarray({a})' for a in args)}")
    named = ", ".join(f"{a}={a}" for a in args)
    lines.append(f"    d = xp._linalg.dimension({named})")
    used = set()
    for m in matrices:
        if m.is_square and m.name in args:
            lines.append(f'    {chol[m]} = xp._linalg.cholesky({m.name}, "{m.name}")')
            used.add(m.name)
    printed = XpPrinter().doprint(constants_to_floats(total))
    used |= {a for a in args if a in printed}
    unused = [a for a in args if a not in used]
    for a in unused:
        printed += f" + xp._linalg.batch_zeros({a}, {arg_constraints[a].event_ndim})"
    lines.append(f"    return {printed}")
    return lines


def diagonal_body(expr: Any, args: list[str], kind: str | None = None, fname: str | None = None) -> list[str]:
    """Body for a per-coordinate expression: the scalar body summed over the last axis.

    With ``kind`` and ``fname`` each coordinate's value is checked (and
    recomputed exactly where doubtful) before the sum, as in a scalar body.
    """
    from .scalar import scalar_body

    lines = scalar_body(expr, args, kind, fname)
    lines.insert(1, f"    {', '.join(args)}{',' if len(args) == 1 else ''} = {', '.join(f'xp.asarray({a})' for a in args)}")
    last = lines[-1]
    indent = last[: len(last) - len(last.lstrip())]
    lines[-1] = f"{indent}return xp.sum({last.strip()[len('return '):]}, axis=-1)"
    return lines
