"""A sympy printer that writes array-namespace (``xp.``) Python source.

The generated code never names numpy or scipy: every function is looked up on
the namespace object ``xp`` returned by :func:`anadiv.numeric.xp.namespace`, so the
same source runs on numpy today and on other array libraries once their
backend is registered.

Printing rules (why each exists):

* numeric constants such as ``log(2)`` or ``pi`` are printed as Python float
  literals, because a numpy float64 scalar would promote float32 arrays to
  float64 while a Python float does not (NEP 50 "weak" scalars);
* ``Piecewise`` becomes nested ``xp.where`` (elementwise, broadcasting), with
  ``oo`` printed as ``xp.inf``;
* ``loggamma, digamma, polygamma, beta, erf, ...`` map to the namespace's
  special functions (scipy.special for numpy);
* functions declared in :mod:`anadiv.codegen.helpers` (stable helpers) are
  printed as ``xp._stable.<name>(...)``;
* negative integer powers print as divisions, ``x**(1/2)`` as ``xp.sqrt``.
"""

from __future__ import annotations

from typing import Any

import sympy
from sympy.printing.numpy import SciPyPrinter

#: numpy/scipy names -> namespace attribute names where they differ
_RENAMES = {
    "psi": "digamma",
    "select": "select",
    "euler_gamma": "euler_gamma",
}

#: Module whose sympy Functions print as ``xp._stable.<name>``.
HELPERS_MODULE = "anadiv.codegen.helpers"


def is_helper(func: Any) -> bool:
    """True for a stable-helper function class declared in :mod:`anadiv.codegen.helpers`."""
    return getattr(func, "__module__", "") == HELPERS_MODULE


class zero_or_nan(sympy.Function):  # noqa: N801 - printed as a numpy expression
    """``0 * x``, kept as written: 0 where ``x`` is a number, NaN where it overflowed (never simplified to 0)."""

    nargs = 1


class XpPrinter(SciPyPrinter):
    """Print sympy expressions as calls on an array namespace named ``xp``."""

    printmethod = "_xpcode"
    language = "Python with an array namespace"

    def __init__(self, settings: dict[Any, Any] | None = None) -> None:
        base = {"fully_qualified_modules": True, "inline": True, "allow_unknown_functions": False}
        base.update(settings or {})
        super().__init__(base)

    # ------------------------------------------------------------- names
    def _module_format(self, fqn: str, register: bool = True) -> str:
        name = fqn.split("(")[0].split("[")[0].split(".")[-1]
        if fqn.startswith("scipy.constants."):
            return "xp." + name
        return "xp." + _RENAMES.get(name, name)

    # ---------------------------------------------------------- numbers
    def _print(self, expr: Any, **kwargs: Any) -> str:
        if (
            isinstance(expr, sympy.Expr)
            and expr.is_number
            and not expr.is_Rational
            and not expr.is_Float
            and expr.is_finite
            and expr.is_real
        ):
            value = float(sympy.N(expr, 30))
            return repr(value) if value >= 0 else f"({value!r})"
        return super()._print(expr, **kwargs)

    def _print_Float(self, expr: Any) -> str:
        return repr(float(expr))

    def _print_Infinity(self, expr: Any) -> str:
        return "xp.inf"

    def _print_NegativeInfinity(self, expr: Any) -> str:
        return "(-xp.inf)"

    def _print_NaN(self, expr: Any) -> str:
        return "xp.nan"

    def _print_Rational(self, expr: Any) -> str:
        # Python folds 1/2 into the constant 0.5 at compile time.
        return f"{expr.p}/{expr.q}" if expr.q != 1 else str(expr.p)

    def _print_Half(self, expr: Any) -> str:
        return self._print_Rational(expr)

    # ------------------------------------------------- sums and products
    # Each printed operator is one pass over the arrays; these two rules save
    # passes in the hot closed forms (the Normal KL's 0.5*A + 0.5*B**2/C**2).
    def _print_Add(self, expr: Any, order: Any = None) -> str:
        # a coefficient every term shares is applied once: c*(a + b)
        coeffs = [term.as_coeff_Mul()[0] for term in expr.args]
        c = coeffs[0]
        if c.is_Rational and c not in (sympy.S.One, sympy.S.NegativeOne) and all(k == c for k in coeffs[1:]):
            inner = sympy.Add(*[term / c for term in expr.args])
            factor = self._print_Rational(c)
            factor = factor if c.is_Integer and c > 0 else f"({factor})"
            return f"{factor}*({self._print(inner)})"
        return super()._print_Add(expr, order)

    def _print_Mul(self, expr: Any) -> str:
        # x**n * y**-n is printed (x/y)**n: one power instead of two, and no
        # overflow of x**n or y**n when the ratio is moderate
        from sympy.printing.precedence import PRECEDENCE

        factors = list(expr.args)
        for i, up in enumerate(factors):
            if not (up.is_Pow and up.exp.is_Integer and up.exp >= 2):
                continue
            for j, down in enumerate(factors):
                if down.is_Pow and down.exp == -up.exp:
                    num = self.parenthesize(up.base, PRECEDENCE["Mul"])
                    den = self.parenthesize(down.base, PRECEDENCE["Mul"], strict=True)
                    ratio = f"({num}/{den})**{up.exp}"
                    rest = [f for k, f in enumerate(factors) if k not in (i, j)]
                    if not rest:
                        return ratio
                    return f"{self.parenthesize(sympy.Mul(*rest), PRECEDENCE['Mul'])}*{ratio}"
        return super()._print_Mul(expr)

    # ------------------------------------------------------------ powers
    def _print_Pow(self, expr: Any, rational: bool = False) -> str:
        base, exp = expr.base, expr.exp
        if exp.is_Integer and exp.is_negative:
            from sympy.printing.precedence import PRECEDENCE

            inner = base if exp == -1 else sympy.Pow(base, -exp, evaluate=False)
            return f"(1/{self.parenthesize(inner, PRECEDENCE['Pow'])})"
        if exp == sympy.S.Half:
            return f"xp.sqrt({self._print(base)})"
        if exp == -sympy.S.Half:
            return f"(1/xp.sqrt({self._print(base)}))"
        if not exp.is_Integer:
            # Python's float ** float is complex for a negative base; xp.power
            # gives nan there (only ever in an xp.where branch not taken)
            return f"xp.power({self._print(base)}, {self._print(exp)})"
        return self._hprint_Pow(expr, rational=rational, sqrt="xp.sqrt")

    # -------------------------------------------------- piecewise, logic
    def _print_Piecewise(self, expr: Any) -> str:
        args = list(expr.args)
        last = args[-1]
        if last.cond == sympy.true:
            out = self._print(last.expr)
            args = args[:-1]
        else:
            out = "xp.nan"  # outside every branch: undefined
        for branch in reversed(args):
            out = f"xp.where({self._print(branch.cond)}, {self._print(branch.expr)}, {out})"
        return out

    def _print_BranchGuard(self, expr: Any) -> str:
        value, cond, safe = expr.args
        return f"xp.where({self._print(cond)}, {self._print(value)}, {self._print(safe)})"

    def _print_Relational(self, expr: Any) -> str:
        ops = {"==": "==", "!=": "!=", "<": "<", "<=": "<=", ">": ">", ">=": ">="}
        op = ops[expr.rel_op]
        return f"({self._print(expr.lhs)} {op} {self._print(expr.rhs)})"

    def _print_And(self, expr: Any) -> str:
        out = self._print(expr.args[0])
        for arg in expr.args[1:]:
            out = f"xp.logical_and({out}, {self._print(arg)})"
        return out

    def _print_Or(self, expr: Any) -> str:
        out = self._print(expr.args[0])
        for arg in expr.args[1:]:
            out = f"xp.logical_or({out}, {self._print(arg)})"
        return out

    def _print_Not(self, expr: Any) -> str:
        return f"xp.logical_not({self._print(expr.args[0])})"

    def _print_BooleanTrue(self, expr: Any) -> str:
        return "True"

    def _print_BooleanFalse(self, expr: Any) -> str:
        return "False"

    # ------------------------------------------------ special functions
    def _print_digamma(self, expr: Any) -> str:
        return f"xp.digamma({self._print(expr.args[0])})"

    def _print_polygamma(self, expr: Any) -> str:
        n, x = expr.args
        if n == 0:
            return f"xp.digamma({self._print(x)})"
        return f"xp.polygamma({self._print(n)}, {self._print(x)})"

    def _print_loggamma(self, expr: Any) -> str:
        return f"xp.gammaln({self._print(expr.args[0])})"

    def _print_log(self, expr: Any) -> str:
        # sympy writes loggamma(n + 1) of an integer n >= 0 as log(gamma(n + 1)) (a mass function's
        # log n!): gammaln keeps it finite where gamma overflows (n > 170)
        if isinstance(expr.args[0], sympy.gamma):
            return f"xp.gammaln({self._print(expr.args[0].args[0])})"
        return super()._print_log(expr)

    def _print_beta(self, expr: Any) -> str:
        # B(1, b) = 1/b: scipy's beta promotes float32 to float64 beside a Python number
        if len(expr.args) == 2 and sympy.S.One in expr.args:
            other = expr.args[1] if expr.args[0] == 1 else expr.args[0]
            return f"(1/{self.parenthesize(other, 50)})"
        return f"xp.beta({', '.join(self._print(a) for a in expr.args)})"

    def _print_betainc_regularized(self, expr: Any) -> str:
        a, b, x1, x2 = (self._print(arg) for arg in expr.args)
        upper = f"xp.betainc({a}, {b}, {x2})"
        return upper if expr.args[2] == 0 else f"({upper} - xp.betainc({a}, {b}, {x1}))"

    def _print_Abs(self, expr: Any) -> str:
        return f"xp.abs({self._print(expr.args[0])})"

    def _print_Min(self, expr: Any) -> str:
        out = self._print(expr.args[0])
        for arg in expr.args[1:]:
            out = f"xp.minimum({out}, {self._print(arg)})"
        return out

    def _print_Max(self, expr: Any) -> str:
        out = self._print(expr.args[0])
        for arg in expr.args[1:]:
            out = f"xp.maximum({out}, {self._print(arg)})"
        return out

    def _print_zero_or_nan(self, expr: Any) -> str:
        return f"(0*({self._print(expr.args[0])}))"

    def _print_erfcx(self, expr: Any) -> str:
        return f"xp.erfcx({self._print(expr.args[0])})"

    def _print_Function(self, expr: Any) -> str:
        if is_helper(type(expr)):
            return f"xp._stable.{type(expr).__name__}({', '.join(self._print(a) for a in expr.args)})"
        # a function a family declares (sympy imported inside the family) with a stable helper of
        # the same meaning in anadiv.numeric.stable: the continuous Bernoulli log-normalizer
        stable_name = getattr(type(expr), "xp_stable_name", None)
        if stable_name:
            return f"xp._stable.{stable_name}({', '.join(self._print(a) for a in expr.args)})"
        return super()._print_Function(expr)


def constants_to_floats(expr: Any) -> Any:
    """Replace constant subexpressions (``log(2)/2 + EulerGamma``) by one Float.

    Evaluated with 30 digits, then rounded once: the generated literal is the
    correctly rounded double of the exact constant.
    """

    def walk(e: Any) -> Any:
        if isinstance(e, sympy.Expr) and e.is_number and not e.is_Rational:
            if e.is_finite and e.is_real:
                return sympy.Float(float(sympy.N(e, 30)), 17)
            return e
        if not e.args or isinstance(e, (sympy.Symbol, sympy.MatrixSymbol)):
            return e
        new = [walk(a) for a in e.args]
        return e.func(*new) if any(n is not o for n, o in zip(new, e.args)) else e

    return walk(expr)


def xpcode(expr: Any) -> str:
    """Print ``expr`` as ``xp.``-namespace Python source."""
    return XpPrinter().doprint(constants_to_floats(expr))


class BranchGuard(sympy.Function):
    """``value`` where ``cond`` holds, else ``safe`` (a point inside the branch's domain).

    ``xp.where`` evaluates every branch of a ``Piecewise``. The branch not taken
    may take ``log`` of a negative parameter: numpy drops that NaN, but
    automatic differentiation (torch, JAX) multiplies it by zero and still gets
    NaN. Guarding the parameter inside each branch keeps values unchanged and
    gradients finite (the "double where": ``where(c, f(where(c, s, safe)), ...)``).
    """

    nargs = 3


def guard_piecewise_branches(expr: Any) -> Any:
    """Guard the parameters of each ``Piecewise`` branch where the branch is not taken.

    In each branch, a symbol ``s`` that a comparison bounds by a number or by
    another symbol ``c`` is replaced by ``BranchGuard(s, comparison, safe)``
    with ``safe`` = ``c -+ 1`` (``c`` for an equality): the branch's own
    condition, the negations of earlier single comparisons, then what the
    earlier branches leave of it (``alpha > 1`` after
    ``(loc <= scale) & (alpha > 1)``: ``loc > scale``, so ``scale + 1``). A
    branch that holds ``oo`` inside an expression (infinite wherever it is
    taken, but ``oo * f(s)`` has an infinite derivative at every ``s``) has
    every symbol guarded by its whole condition: the gradient of
    ``where(taken, s, safe)`` with respect to ``s`` is ``where(taken, g, 0)``,
    exactly 0 where the branch is not taken, whatever ``0 * inf`` gave inside it.
    """

    def safe_for(rel: Any) -> Any:
        if not isinstance(rel, sympy.core.relational.Relational):
            return None
        lhs, rhs = rel.lhs, rel.rhs
        if isinstance(lhs, sympy.Symbol) and (rhs.is_number or isinstance(rhs, sympy.Symbol)):
            sym, c, below = lhs, rhs, rel.rel_op in ("<", "<=")
        elif isinstance(rhs, sympy.Symbol) and lhs.is_number:
            sym, c, below = rhs, lhs, rel.rel_op in (">", ">=")
        else:
            return None
        if rel.rel_op == "==":
            return sym, c
        return sym, (c - 1 if below else c + 1)

    def relations(cond: Any) -> list[Any]:
        return list(cond.args) if isinstance(cond, sympy.And) else [cond]

    def guard(pw: Any) -> Any:
        new_args = []
        earlier: list[Any] = []
        for branch_expr, cond in pw.args:
            rels = relations(cond)
            rels += [sympy.Not(c) for c in earlier if isinstance(c, sympy.core.relational.Relational)]
            taken = cond
            if earlier:
                taken = sympy.simplify_logic(sympy.And(cond, *[sympy.Not(c) for c in earlier]))
                rels += [r for r in relations(taken) if r not in rels]
            subs = {}
            for rel in rels:
                found = safe_for(rel)
                if found is not None and found[0] not in subs:
                    subs[found[0]] = BranchGuard(found[0], rel, found[1])
            if branch_expr.has(sympy.oo, -sympy.oo) and not branch_expr.is_number and taken != sympy.true:
                subs = {s: BranchGuard(s, taken, subs[s].args[2] if s in subs else sympy.S.One)
                        for s in branch_expr.free_symbols}
            new_args.append((branch_expr.xreplace(subs) if subs else branch_expr, cond))
            earlier.append(cond)
        return sympy.Piecewise(*new_args, evaluate=False)

    return expr.replace(lambda e: isinstance(e, sympy.Piecewise), guard)
