"""The ``anadiv`` console command.

Subcommands (``anadiv <command> --help`` explains each with an example)::

    anadiv demo                                   # a tour: formula, code, numbers
    anadiv derive normal normal --format latex    # a derived closed form
    anadiv kl "Normal(0, 1)" "Normal(1, 2)"       # one number
    anadiv kl "[0.1, 0.4, 0.5]" "[0.8, 0.15, 0.05]" --base 2   # discrete, in bits
    anadiv entropy "Gamma(2, 3)"
    anadiv cross-entropy "Normal(0, 1)" "Laplace(0, 1)"
    anadiv pairs                                  # every closed form
    anadiv estimate "Mixture([0.3, 0.7], [Normal(0, 1), Normal(3, 0.5)])" "Normal(1, 2)"

Distributions are written as Python-like calls, ``Normal(0, 1)``,
``Normal(mu=0, sigma=1)``, ``MultivariateNormal([0, 0], [[1, 0], [0, 2]])``,
and read with :mod:`ast` (never ``eval``): only family names, ``Mixture``,
numbers, ``+ - * / **``, lists and the constants ``pi``, ``e``, ``inf`` are
accepted. Parameters are always validated (the ``validate`` keyword is
refused), and the reader is bounded so that no input can make it hang or
exhaust memory: the text length, the nesting depth of the expression, and
the size of every integer it computes.

Errors (an unknown family, bad parameters, a pair without a closed form,
bad options, and any unexpected failure inside the library) are one line
on stderr and exit code 2, never a traceback.

sympy is imported only by ``derive`` (and ``demo``, which derives a formula).
"""

from __future__ import annotations

import argparse
import ast
import contextlib
import difflib
import functools
import json
import math
import operator
import os
import sys
import textwrap
import warnings
from typing import TYPE_CHECKING, Any, Callable, Sequence

import numpy as np

from .kinds import KINDS as _KINDS
from .kinds import DivergenceKind

if TYPE_CHECKING:
    from .families._base import Family

__all__ = ["main", "parse_distribution", "parse_exact", "CLIError"]

_PROG = "anadiv"

#: the --kind choices: every divergence kind, spelled for the command line
KINDS = tuple(k.cli_name for k in _KINDS.values())
#: what a command means without --kind, by the number of distributions given
_DEFAULT_KIND = {2: "kl", 1: "entropy"}


class CLIError(Exception):
    """A user error reported as one line on stderr (exit code 2)."""


# --------------------------------------------------------------------------
# Reading distributions from the command line (ast, never eval)
# --------------------------------------------------------------------------
_CONSTANTS = {"pi": math.pi, "e": math.e, "inf": math.inf}
_BINOPS: dict[type, Callable[[Any, Any], Any]] = {
    ast.Add: operator.add,
    ast.Sub: operator.sub,
    ast.Mult: operator.mul,
    ast.Div: operator.truediv,
    ast.Pow: operator.pow,
}
_UNARY: dict[type, Callable[[Any], Any]] = {ast.USub: operator.neg, ast.UAdd: operator.pos}
# Bounds that keep hostile input from hanging the reader or exhausting memory.
# An integer of more bits than this is far beyond float64 (1024 bits) anyway,
# so refusing it loses nothing; arithmetic on smaller ones is instant.
_MAX_INT_BITS = 4096
# Longer text than this is not a distribution anyone types (a 100 x 100
# covariance written out in full is about 60,000 characters).
_MAX_TEXT = 200_000
# Deeper expressions are not data (a 3-level matrix inside a 2-level Mixture
# needs about 8); the limit keeps the recursive reader far from Python's own.
_MAX_DEPTH = 100
#: The largest --n the estimate command takes (the library's default max_n).
MAX_SAMPLES = 10**8


# Common other names of families (lower case) -> registry name.
_ALIASES = {"mvn": "multivariate_normal", "gaussian": "normal", "diagnormal": "diagonal_normal",
            "t": "studentt", "student_t": "studentt", "exp": "exponential"}


def _family_lookup() -> dict[str, type]:
    """Lower-case spellings (class name, registry name, no underscores, aliases) -> class."""
    from .families import FAMILIES

    table: dict[str, type] = {}
    for key, cls in FAMILIES.items():
        for spelling in (key, cls.__name__, key.replace("_", "")):
            table[spelling.lower()] = cls
    for alias, key in _ALIASES.items():
        if key in FAMILIES:
            table.setdefault(alias, FAMILIES[key])
    return table


def _known_names() -> list[str]:
    from .families import FAMILIES

    return sorted({cls.__name__ for cls in FAMILIES.values()})


def resolve_family(name: str) -> type:
    """The family class for a (case-insensitive) name, or a CLIError with suggestions."""
    table = _family_lookup()
    cls = table.get(name.lower())
    if cls is not None:
        return cls
    names = _known_names()
    close = difflib.get_close_matches(name.lower(), [n.lower() for n in names], n=3, cutoff=0.6)
    by_lower = {n.lower(): n for n in names}
    hint = f"; did you mean {', '.join(by_lower[c] for c in close)}?" if close else ""
    raise CLIError(f"unknown family {name!r}{hint} (known: {', '.join(names)}, and Mixture)")


class _Reader:
    """Turns one parsed expression into numbers, lists, families and mixtures."""

    def __init__(self, text: str, label: str) -> None:
        self.text = text
        self.label = label

    def fail(self, message: str) -> CLIError:
        return CLIError(f"{self.label}: {message} in {self.text!r}")

    def value(self, node: ast.AST) -> Any:
        if isinstance(node, ast.Constant):
            if isinstance(node.value, bool) or not isinstance(node.value, (int, float)):
                raise self.fail(f"expected a number, got {node.value!r}")
            return self._bounded(node.value)
        if isinstance(node, ast.Name):
            if node.id.lower() in _CONSTANTS:
                return _CONSTANTS[node.id.lower()]
            # A bare family name is a common slip: say so.
            if node.id.lower() in _family_lookup() or node.id == "Mixture":
                raise self.fail(f"{node.id} needs its parameters, e.g. {node.id}(...)")
            raise self.fail(f"unknown name {node.id!r}")
        if isinstance(node, ast.UnaryOp) and type(node.op) in _UNARY:
            operand = self.value(node.operand)
            self._require_number(operand)
            return _UNARY[type(node.op)](operand)
        if isinstance(node, ast.BinOp) and type(node.op) in _BINOPS:
            left, right = self.value(node.left), self.value(node.right)
            self._require_number(left)
            self._require_number(right)
            self._check_int_size(node.op, left, right)
            try:
                return self._bounded(_BINOPS[type(node.op)](left, right))
            except (ZeroDivisionError, OverflowError) as exc:
                raise self.fail(f"arithmetic error ({exc})") from None
        if isinstance(node, (ast.List, ast.Tuple)):
            return [self.value(elt) for elt in node.elts]
        if isinstance(node, ast.Call):
            return self.call(node)
        raise self.fail(f"unsupported syntax {type(node).__name__}")

    def _require_number(self, value: Any) -> None:
        if not isinstance(value, (int, float)):
            raise self.fail("arithmetic is only allowed on numbers")

    def _check_int_size(self, op: ast.operator, left: Any, right: Any) -> None:
        """Refuse an integer product or power before computing it, from the operands' sizes.

        Both operands are bounded already; only ``*`` and ``**`` on two ints
        can grow the result past the bound (``+``/``-`` add one bit at most,
        ``/`` gives a float), so only their result size is estimated here.
        """
        if not (isinstance(left, int) and isinstance(right, int)):
            return
        if isinstance(op, ast.Mult):
            bits = left.bit_length() + right.bit_length()
        elif isinstance(op, ast.Pow) and right > 0 and abs(left) > 1:
            bits = (abs(left).bit_length() - 1) * right  # a lower bound of the result's size
        else:
            return
        if bits > _MAX_INT_BITS:
            raise self.fail(f"integer result too large (over {_MAX_INT_BITS} bits, about 10**{int(bits * 0.30103)})")

    def _bounded(self, value: Any) -> Any:
        if isinstance(value, int) and value.bit_length() > _MAX_INT_BITS:
            raise self.fail(f"integer too large (over {_MAX_INT_BITS} bits)")
        if isinstance(value, complex):  # a negative number to a fractional power
            raise self.fail(f"arithmetic error (complex result {value!r})")
        return value

    def call(self, node: ast.Call) -> Any:
        if not isinstance(node.func, ast.Name):
            raise self.fail("expected a family name such as Normal(...)")
        name = node.func.id
        # Resolve the name before reading the arguments, so an unknown
        # function is reported as such.
        cls = None if name.lower() == "mixture" else resolve_family(name)
        if any(isinstance(a, ast.Starred) for a in node.args) or any(k.arg is None for k in node.keywords):
            raise self.fail("*args and **kwargs are not supported")
        keywords = [k.arg for k in node.keywords if k.arg is not None]  # None (**kwargs) refused above
        if "validate" in keywords:
            raise self.fail("validate: not accepted on the command line (parameters are always validated)")
        repeated = sorted({k for k in keywords if keywords.count(k) > 1})
        if repeated:
            raise self.fail(f"{', '.join(repeated)}: given twice")
        args = [self.value(a) for a in node.args]
        kwargs = {k.arg: self.value(k.value) for k in node.keywords if k.arg is not None}
        if cls is None:
            return self.mixture(args, kwargs)
        try:
            return self.construct(cls, args, kwargs)
        except (TypeError, ValueError) as exc:
            # Wrong parameters: the family's own message, naming the argument.
            raise CLIError(f"{self.label}: {_first_line(exc)}") from None

    def construct(self, cls: type, args: list[Any], kwargs: dict[str, Any]) -> Any:
        """The family's instance from the values read."""
        return cls(*args, **kwargs)

    def mixture(self, args: list[Any], kwargs: dict[str, Any]) -> Any:
        from .mixture import Mixture

        try:
            return Mixture(*args, **kwargs)
        except TypeError as exc:
            raise CLIError(
                f"{self.label}: {_first_line(exc)}; write Mixture([w1, w2, ...], [Family(...), Family(...), ...])"
            ) from None
        except ValueError as exc:
            raise CLIError(f"{self.label}: {_first_line(exc)}") from None


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


def parse_distribution(text: str, label: str = "distribution") -> Any:
    """Read ``"Normal(0, 1)"``-style text into a family instance (or a list).

    Parameters
    ----------
    text : str
        A call of a family (``Normal(0, 1)``, ``Gamma(shape=2, rate=3)``),
        a ``Mixture([weights], [components])``, or a plain list of numbers
        (a probability vector for the discrete divergences).
    label : str
        Name used in error messages (``"P"``, ``"Q"``).

    Returns
    -------
    Family, Mixture or list
        What the text describes.

    Raises
    ------
    CLIError
        For text that is not a distribution, an unknown family (with the
        closest names) or the wrong parameter names.
    ValueError
        From the family itself, for invalid parameter values.

    Examples
    --------
    >>> parse_distribution("Normal(0, 2)")
    Normal(mu=0.0, sigma=2.0)
    >>> parse_distribution("Normal(mu=-1, sigma=1/2)")
    Normal(mu=-1.0, sigma=0.5)
    """
    tree, _, shown = _parse(text, label)
    return _Reader(shown, label).value(tree.body)


def parse_exact(text: str, label: str = "distribution") -> Any:
    """Read a distribution as :func:`parse_distribution` does, with exact sympy numbers (for ``derive``).

    A decimal literal becomes the rational it spells (``0.1`` is ``1/10``, never
    the float nearest to it), an integer a sympy ``Integer``, ``pi`` and ``e``
    sympy's constants and ``1/3`` a ``Rational``, so that a derived formula with
    numbers substituted is exact (``log(sigma_2)``, not ``log(1.0*sigma_2)``).
    Lists become sympy matrices. The text is read with :mod:`ast`, never evaluated,
    under the same bounds.

    Examples
    --------
    >>> parse_exact("Normal(0.1, 1/3)")
    Normal(mu=1/10, sigma=1/3)
    """
    tree, source, shown = _parse(text, label)
    return _ExactReader(shown, label, source).value(tree.body)


def _parse(text: str, label: str) -> tuple[ast.Expression, str, str]:
    """The syntax tree of ``text``, the source it was parsed from, and the text shown in messages."""
    if len(text) > _MAX_TEXT:
        raise CLIError(f"{label}: text too long ({len(text):,} characters; at most {_MAX_TEXT:,})")
    shown = text if len(text) <= 200 else f"{text[:200]}..."
    source = text.strip()
    try:
        with warnings.catch_warnings():
            # the parser's SyntaxWarnings ("invalid decimal literal") about text that is read anyway
            warnings.simplefilter("ignore")
            tree = ast.parse(source, mode="eval")
    except SyntaxError as exc:
        raise CLIError(f"{label}: cannot read {shown!r} ({exc.msg})") from None
    except (RecursionError, MemoryError):  # how the parser gives up on deep nesting
        raise CLIError(f"{label}: cannot read {shown!r} (nested too deeply)") from None
    except ValueError as exc:  # an integer literal of over 4300 digits
        raise CLIError(f"{label}: cannot read {shown!r} ({_first_line(exc)})") from None
    if _depth(tree.body) > _MAX_DEPTH:
        raise CLIError(f"{label}: expression nested too deeply (more than {_MAX_DEPTH} levels) in {shown!r}")
    return tree, source, shown


class _ExactReader(_Reader):
    """The reader with exact sympy numbers: decimal literals as the rationals they spell."""

    def __init__(self, text: str, label: str, source: str) -> None:
        super().__init__(text, label)
        self.source = source

    def value(self, node: ast.AST) -> Any:
        import sympy

        if isinstance(node, ast.Constant) and isinstance(node.value, float):
            literal = ast.get_source_segment(self.source, node) or repr(node.value)
            return self._bounded(self._decimal(literal))
        if isinstance(node, ast.Constant) and isinstance(node.value, int) and not isinstance(node.value, bool):
            return self._bounded(sympy.Integer(self._bounded(node.value)))
        if isinstance(node, ast.Name) and node.id.lower() in _CONSTANTS:
            return {"pi": sympy.pi, "e": sympy.E, "inf": sympy.oo}[node.id.lower()]
        return super().value(node)

    def _decimal(self, literal: str) -> Any:
        """The exact rational a decimal literal spells (``"0.1"`` -> 1/10, ``"1e-3"`` -> 1/1000)."""
        import decimal

        import sympy

        try:
            number = decimal.Decimal(literal.replace("_", ""))
        except decimal.InvalidOperation:
            raise self.fail(f"cannot read the number {literal!r}") from None
        # the exponent is checked before the rational is formed, so 1e999999999 is refused at once
        if number.is_finite() and number and abs(number.adjusted()) > _MAX_INT_BITS * 0.30103:
            raise self.fail(f"number {literal!r} out of range for an exact value")
        if not number.is_finite():
            raise self.fail(f"number {literal!r} is not finite")
        return sympy.Rational(*number.as_integer_ratio())

    def _require_number(self, value: Any) -> None:
        import sympy

        if not (isinstance(value, sympy.Expr) and value.is_number):
            raise self.fail("arithmetic is only allowed on numbers")

    def _check_int_size(self, op: ast.operator, left: Any, right: Any) -> None:
        """Refuse a product or power whose exact result would be too large, before computing it."""
        def bits(x: Any) -> int:
            return max(abs(int(x.p)).bit_length(), int(x.q).bit_length()) if x.is_Rational else 0

        if isinstance(op, ast.Mult):
            size = bits(left) + bits(right)
        elif isinstance(op, ast.Pow) and right.is_Rational:
            if abs(int(right.p)) > _MAX_INT_BITS or int(right.q) > _MAX_INT_BITS:
                raise self.fail(f"exponent too large or too fine (numerator or denominator over {_MAX_INT_BITS})")
            size = (bits(left) - 1) * abs(int(right.p)) if left.is_Rational else 0
        else:
            return
        if size > _MAX_INT_BITS:
            raise self.fail(f"number too large for an exact value (over {_MAX_INT_BITS} bits)")

    def _bounded(self, value: Any) -> Any:
        import sympy

        if not isinstance(value, sympy.Basic):
            return super()._bounded(value)
        if value.has(sympy.zoo, sympy.nan):
            raise self.fail("arithmetic error (division by zero)")
        if value.is_extended_real is False:
            raise self.fail(f"arithmetic error (complex result {value})")
        if value.is_Rational and max(abs(int(value.p)).bit_length(), int(value.q).bit_length()) > _MAX_INT_BITS:
            raise self.fail(f"number too large for an exact value (over {_MAX_INT_BITS} bits)")
        return value

    def construct(self, cls: type, args: list[Any], kwargs: dict[str, Any]) -> Any:
        import sympy

        # a vector or matrix parameter as a sympy Matrix of exact entries (a list would become floats)
        def exact(v: Any) -> Any:
            return sympy.Matrix(v) if isinstance(v, list) else v

        return super().construct(cls, [exact(v) for v in args], {k: exact(v) for k, v in kwargs.items()})


def _depth(root: ast.AST) -> int:
    """Depth of a syntax tree, without recursion (the tree may be very deep)."""
    deepest, stack = 0, [(root, 1)]
    while stack:
        node, level = stack.pop()
        deepest = max(deepest, level)
        if level > _MAX_DEPTH:
            break
        stack.extend((child, level + 1) for child in ast.iter_child_nodes(node))
    return deepest


def _family_or_class(text: str, label: str) -> Any:
    """A bare name (``normal``) gives the class; a call gives an instance."""
    stripped = text.strip()
    if stripped.isidentifier():
        return resolve_family(stripped)
    value = parse_exact(stripped, label)
    if not hasattr(value, "param_values"):
        raise CLIError(f"{label}: expected a family name or call such as Normal(0, 1), got {text!r}")
    return value


def _is_mixture(value: Any) -> bool:
    return type(value).__name__ == "Mixture"


# --------------------------------------------------------------------------
# Output helpers
# --------------------------------------------------------------------------
def _format_number(value: Any, digits: int | None) -> str:
    arr = np.asarray(value, dtype=float)
    if arr.ndim == 0:
        x = float(arr)
        return repr(x) if digits is None else f"{x:.{digits}g}"
    if digits is None:
        return np.array2string(arr, precision=17, separator=", ", floatmode="unique", threshold=sys.maxsize)
    return np.array2string(arr, precision=digits, separator=", ", threshold=sys.maxsize)


def _log_base(base: str) -> float:
    """ln(base) for the unit conversion of a divergence in nats."""
    if base == "e":
        return 1.0
    try:
        b = float(base)
    except ValueError:
        raise CLIError(f"--base: expected 2, 10, e or a number > 1, got {base!r}") from None
    if not b > 1 or not math.isfinite(b):
        raise CLIError(f"--base: must be > 1, got {base!r}")
    return math.log(b)


# --------------------------------------------------------------------------
# --json: one object on stdout (keys listed in docs/cli.md)
# --------------------------------------------------------------------------
#: the unit of a logarithmic divergence for each common --base
_UNITS = {"e": "nats", "2": "bits", "10": "bans"}


def _json_number(value: Any) -> Any:
    """A float (or nested lists of floats) for JSON; inf, -inf and nan as the strings "inf", "-inf", "nan".

    JSON has no non-finite numbers, and Python's ``Infinity`` extension breaks strict readers (jq, browsers).
    """
    arr = np.asarray(value, dtype=float)
    if arr.ndim:
        return [_json_number(v) for v in arr]
    x = float(arr)
    if math.isfinite(x):
        return x
    return "nan" if math.isnan(x) else ("inf" if x > 0 else "-inf")


def _unit(base: str, kind: str) -> str | None:
    """``nats``, ``bits``, ``bans``, ``log base <b>``; None for a kind that is not a logarithm."""
    if not _kind(kind).in_nats:
        return None
    return _UNITS.get(base, f"log base {base}")


def _inputs(texts: Sequence[str]) -> dict[str, str]:
    """The distributions as given on the command line, by label."""
    return dict(zip(("P", "Q"), texts))


def _emit_json(args: argparse.Namespace, record: dict[str, Any]) -> None:
    """Print the command's one JSON object: ``command``, the record's keys, then ``warnings``."""
    whole = {"command": args.command, **record, "warnings": list(args.warnings)}
    print(json.dumps(whole, allow_nan=False))


# --------------------------------------------------------------------------
# Subcommands
# --------------------------------------------------------------------------
#: (help, description, examples) of each kind's command
_COMMAND_TEXT = {
    "kl": (
        "KL divergence KL(P || Q) from the closed form (one number)",
        None,
        'anadiv kl "Normal(0, 1)" "Normal(1, 2)"\n'
        '  anadiv kl "Gamma(shape=2, rate=1)" "Exponential(1)" --digits 6\n'
        '  anadiv kl "[0.10, 0.40, 0.50]" "[0.80, 0.15, 0.05]" --base 2    # discrete, in bits',
    ),
    "cross_entropy": (
        "cross-entropy H(P, Q) = -E_P[log q] from the closed form",
        None,
        'anadiv cross-entropy "Normal(0, 1)" "Normal(1, 2)"\n'
        '  anadiv cross-entropy "[0.5, 0.5]" "[0.9, 0.1]" --base 2',
    ),
    "entropy": (
        "differential entropy H(P) from the closed form",
        "Differential entropy H(P) = -E_P[log p] from the closed form (Shannon entropy for a probability vector).",
        'anadiv entropy "Normal(0, 2)"\n  anadiv entropy "[0.25, 0.25, 0.5]" --base 2',
    ),
}


def _command_text(kind: DivergenceKind) -> tuple[str, str, str]:
    """Help, description and examples of a kind's command; a kind without its own text gets one from its fields."""
    names = ["P", "Q"][:kind.arity]
    quoted = " ".join('"Normal(0, 1)"' for _ in names)
    kind_help, description, example = _COMMAND_TEXT.get(
        kind.name,
        (f"{kind.title.lower()} {kind.show(names)} = {kind.definition} from the closed form", None,
         f"anadiv {kind.cli_name} {quoted}"),
    )
    if description is None:
        description = (f"{kind_help[0].upper()}{kind_help[1:]}. Probability vectors give the discrete divergence. "
                       "Pairs without a closed form point to `anadiv estimate`.")
    return kind_help, description, example


def _kind(kind: str) -> DivergenceKind:
    """The kind object for a command-line spelling (``cross-entropy``)."""
    return _KINDS[kind.replace("-", "_")]


def _kind_params(args: argparse.Namespace, kind: str) -> dict[str, float]:
    """The kind's own parameters from their options (``--alpha``), checked by the kind (message naming them)."""
    given = {spec.name: getattr(args, spec.name, None) for spec in _kind(kind).parameters}
    missing = [name for name, v in given.items() if v is None]
    if missing:
        raise CLIError(f"--{missing[0]}: required for {kind}, e.g. --{missing[0]} 0.5")
    try:
        return _kind(kind).bind(given)
    except ValueError as exc:
        raise CLIError(f"--{exc}") from None


def _scale(args: argparse.Namespace, kind: str) -> float:
    """The unit conversion of ``--base``: logarithmic kinds only."""
    if not _kind(kind).in_nats:
        if args.base != "e":
            raise CLIError(f"--base: the {_kind(kind).title} is not a logarithm (no nats to convert)")
        return 1.0
    return _log_base(args.base)


def _divergence(args: argparse.Namespace, kind: str) -> int:
    """A kind's command: its closed form, or the discrete version for probability vectors."""
    texts = [args.p] if _kind(kind).arity == 1 else [args.p, args.q]
    values = [parse_distribution(t, label) for t, label in zip(texts, ("P", "Q"))]
    params = _kind_params(args, kind)
    scale = _scale(args, kind)
    if any(_is_mixture(v) for v in values):
        quoted = " ".join(f'"{t}"' for t in texts)
        extra = "" if kind == _DEFAULT_KIND[2] else f" --kind {kind}"
        raise CLIError(f"mixtures have no closed form; estimate it instead: anadiv estimate {quoted}{extra}")
    discrete = all(isinstance(v, list) for v in values)
    if discrete:
        result = _discrete(kind, values, params, normalize=args.normalize)
    elif any(isinstance(v, list) for v in values):
        raise CLIError("cannot mix a probability vector and a continuous family")
    elif args.normalize:
        raise CLIError("--normalize: applies to probability vectors, not to distributions")
    else:
        result = _closed_form(kind, values, texts, params)
    value = np.asarray(result, dtype=float) / scale
    if args.json:
        _emit_json(args, {"kind": _kind(kind).name, "inputs": _inputs(texts), "parameters": params,
                          "discrete": discrete, "normalized": bool(args.normalize),
                          "value": _json_number(value), "base": args.base, "unit": _unit(args.base, kind)})
    else:
        print(_format_number(value, args.digits))
    return 0


def _discrete(kind: str, vectors: list[list[Any]], params: dict[str, float] | None = None,
              normalize: bool = False) -> Any:
    from . import discrete

    from .numeric.validation import as_float_array

    arrays = [as_float_array(v, label) for v, label in zip(vectors, ("P", "Q"))]
    spec = _kind(kind)
    func = getattr(discrete, spec.discrete_name or spec.name, None)
    if func is None:
        raise CLIError(f"{kind}: no discrete version for probability vectors")
    if normalize:
        arrays = [_normalized(a, label) for a, label in zip(arrays, ("P", "Q"))]
    try:
        return func(*arrays, **(params or {}))
    except ValueError as exc:
        # the library names its arguments p and q, and its option normalize=True: say it as the command does
        message = _first_line(exc).replace("pass normalize=True", "pass --normalize")
        if message[:3] in ("p: ", "q: "):
            message = message[0].upper() + message[1:]
        raise CLIError(message) from None


def _normalized(vector: Any, label: str) -> Any:
    """``--normalize``: the vector divided by its sum, refused where that is no probability vector."""
    if vector.ndim != 1:
        raise CLIError(f"--normalize: {label} must be one vector of weights, got shape {vector.shape}")
    if not np.isfinite(vector).all():
        raise CLIError(f"--normalize: {label} has an entry that is not a finite number")
    if (vector < 0).any():
        raise CLIError(f"--normalize: {label} has a negative entry ({vector[vector < 0][0]:g}); weights must be >= 0")
    total = float(vector.sum())
    if not total > 0:
        raise CLIError(f"--normalize: {label} sums to 0; nothing to divide by")
    if not math.isfinite(total):
        raise CLIError(f"--normalize: {label}'s sum overflows; rescale it")
    return vector / total


def _closed_form(kind: str, dists: list[Any], texts: list[str], params: dict[str, Any] | None = None) -> Any:
    from . import divergences
    from .errors import NoClosedFormError

    if not _kind(kind).expectation:
        # the Wasserstein-2 distance: its closed form, else its quantile integral
        return divergences.divergence(_kind(kind).name, *dists, method="auto").value
    try:
        return divergences.closed_form(_kind(kind).name, *dists, **(params or {}))
    except NoClosedFormError:
        what = _what(kind, [type(d).__name__ for d in dists])
        quoted = " ".join(f'"{t}"' for t in texts)
        extra = "" if kind == _DEFAULT_KIND[2] else f" --kind {kind}"
        extra += "".join(f" --{name} {value:g}" for name, value in (params or {}).items())
        raise CLIError(f"no closed form for {what}; estimate it instead: anadiv estimate {quoted}{extra} --quad") from None


def _cmd_derive(args: argparse.Namespace) -> int:
    kind = args.kind
    if _kind(kind).arity == 1:
        if len(args.families) != 1:
            raise CLIError(f"derive --kind {kind} takes one family, e.g. anadiv derive gamma --kind {kind}")
    elif len(args.families) == 1:
        if args.kind_given:
            raise CLIError(f"derive --kind {kind} takes two families, e.g. anadiv derive normal normal")
        kind = _DEFAULT_KIND[1]  # `anadiv derive gamma` means its entropy
    elif len(args.families) != 2:
        raise CLIError("derive takes one family (entropy) or two (KL, cross-entropy)")
    fams = [_family_or_class(t, label) for t, label in zip(args.families, ("P", "Q"))]
    _require_same_event(kind, fams)
    derivation = _derive(kind, fams)
    if args.json:
        record = {"kind": kind.replace("-", "_"), "inputs": _inputs(args.families),
                  "families": [f.__name__ if isinstance(f, type) else type(f).__name__ for f in fams],
                  "symbols": [[str(s) for s in syms] for syms in derivation.symbols],
                  "text": str(derivation.total), "latex": derivation.latex(steps=args.steps),
                  "conditions": [str(c) for c in derivation._shown_conditions()],
                  "steps": [str(step) for step in derivation.steps]}
        if args.format == "code":
            record["code"] = render_derivation(derivation, "code")
        _emit_json(args, record)
        return 0
    print(render_derivation(derivation, args.format, steps=args.steps, inputs=fams))
    return 0


def _require_same_event(kind: str, fams: list[Any]) -> None:
    """A vector family and a univariate one have no divergence between them: say so plainly."""
    classes: list[type[Family]] = [f if isinstance(f, type) else type(f) for f in fams]
    if len(classes) == 2 and bool(classes[0].event_ndim) != bool(classes[1].event_ndim):
        what = _what(kind, [c.__name__ for c in classes])
        vector, scalar = (classes[0], classes[1]) if classes[0].event_ndim else (classes[1], classes[0])
        raise CLIError(
            f"no such pair: {what} compares a distribution of vectors ({vector.__name__}) with one of "
            f"single numbers ({scalar.__name__}); both must be of the same kind"
        )


def _what(kind: str, names: list[str]) -> str:
    return _kind(kind).show(names[:_kind(kind).arity])


def _derive(kind: str, fams: list[Any]) -> Any:
    from .errors import NoClosedFormError

    try:
        return _kind(kind).derive(*fams)
    except NoClosedFormError as exc:
        head = _first_line(exc).split(";")[0]  # the engine's reason, before its advice
        detail = head[head.index("("):head.rindex(")") + 1] if "(" in head and ")" in head else ""
        names = [f.__name__ if isinstance(f, type) else type(f).__name__ for f in fams]
        what = _what(kind, names)
        calls = " ".join(f'"{_example_call(f)}"' for f in fams)
        extra = "" if kind == _DEFAULT_KIND[2] else f" --kind {kind}"
        raise CLIError(
            f"no closed form for {what}{' ' + detail if detail else ''}; for numbers: anadiv estimate {calls}{extra} --quad"
        ) from None


def _example_call(fam: Family | type[Family]) -> str:
    if not isinstance(fam, type):  # an instance: its own values, in full
        values = ", ".join(repr(_plain(v).tolist()) for v in fam.param_values)
        return f"{type(fam).__name__}({values})"
    rng = np.random.default_rng(0)
    values = ", ".join(_rounded(v) for v in fam.random_params(rng))
    return f"{fam.__name__}({values})"


def _plain(value: Any) -> Any:
    """A parameter as a float array; an exact vector (a sympy column) as a flat one, as it was written."""
    arr = np.asarray(value, dtype=float)
    if hasattr(value, "free_symbols") and arr.ndim == 2 and arr.shape[1] == 1:
        return arr.reshape(-1)
    return arr


def _rounded(value: Any) -> str:
    """A parameter for an example command line: 3 significant digits, lists for arrays."""
    if np.ndim(value) == 0:
        return f"{float(value):.3g}"
    return repr(np.vectorize(lambda v: float(f"{v:.3g}"))(np.asarray(value, dtype=float)).tolist())


def _title(derivation: Any, inputs: Sequence[Any] | None = None) -> str:
    """``KL(Normal(mu_1, sigma_1) || Normal(mu_2, sigma_2))`` for a derivation.

    An instance among ``inputs`` (numbers substituted) shows its numbers.
    """
    names = []
    inputs = list(inputs) if inputs is not None else [None] * len(derivation.families)
    for fam, syms, given in zip(derivation.families, derivation.symbols, inputs):
        cls = fam if isinstance(fam, type) else type(fam)
        if given is not None and not isinstance(given, type):
            args = ", ".join(_short(v) for v in given.param_values)
        else:
            args = ", ".join(str(s) for s in syms)
        names.append(f"{cls.__name__}({args})")
    return _KINDS[getattr(derivation, "kind", "kl")].show(names)


def _short(value: Any) -> str:
    if hasattr(value, "free_symbols"):  # an exact value read by parse_exact: shown as it was read
        if hasattr(value, "tolist"):
            return str(value.T.tolist()[0] if value.shape[1] == 1 else value.tolist())
        return str(value)
    arr = np.asarray(value, dtype=float)
    return f"{float(arr):g}" if arr.ndim == 0 else np.array2string(arr, separator=", ")


def render_derivation(derivation: Any, fmt: str, steps: bool = False, inputs: Sequence[Any] | None = None) -> str:
    """A derivation as text, pretty text, LaTeX or the generated numpy code."""
    import sympy

    if fmt == "code":
        source = str(derivation.source).rstrip()
        imports = []
        if source.startswith("@elementwise"):
            imports.append("from anadiv.numeric.blocks import elementwise")
        if "namespace(" in source and "import namespace" not in source:
            imports.append("from anadiv.numeric.xp import namespace")
        if imports:
            # the generated modules' import lines, so the printed code runs as is
            source = "\n".join(imports) + "\n\n\n" + source
        return source
    if fmt == "latex":
        return derivation.latex(steps=steps)
    if fmt == "pretty":
        body = sympy.pretty(derivation.expr, use_unicode=False)
    else:
        body = str(derivation.expr)
    lines = [f"{_title(derivation, inputs)} =", body]
    # Conditions that always hold (True) say nothing; print the others.
    conditions = [c for c in _as_list(getattr(derivation, "conditions", None) or []) if c is not True
                  and str(c) != "True"]
    if conditions:
        lines.append("where " + "; ".join(str(c) for c in conditions))
    if steps and getattr(derivation, "steps", None):
        lines += ["", "Steps:", textwrap.indent(str(_steps_text(derivation.steps)), "  ")]
    return "\n".join(lines)


def _as_list(value: Any) -> list[Any]:
    if isinstance(value, (list, tuple)):
        return list(value)
    return [value]


def _steps_text(steps: Any) -> str:
    return steps if isinstance(steps, str) else "\n".join(str(s) for s in steps)


def _cmd_pairs(args: argparse.Namespace) -> int:
    rows = pair_rows(args.kind)
    if args.json:
        _emit_json(args, {"kind": args.kind.replace("-", "_"), "count": len(rows),
                          "pairs": [{"kind": k.replace("-", "_"), "p": p, "q": q or None, "status": status}
                                    for k, p, q, status in rows]})
        return 0
    if not rows:
        print("no closed forms registered")
        return 0
    width_p = max(len(r[1]) for r in rows)
    width_q = max(len(r[2]) for r in rows)
    print(f"{'kind':<14} {'P':<{width_p}}  {'Q':<{width_q}}  value")
    for kind, p, q, status in rows:
        text = _STATUS_TEXT.get(status, status)
        if status == "conditional":
            text = f"closed form; inf {_kind(kind).infinite_where}"
        print(f"{kind:<14} {p:<{width_p}}  {q:<{width_q}}  {text}")
    print(f"{len(rows)} closed forms")
    return 0


_STATUS_TEXT = {
    "finite": "closed form",
    "infinite": "inf (P's support is not inside Q's)",
    "conditional": "closed form; inf where P's support is not inside Q's",
    "partial": "closed form where the trial counts are equal (inf where P's support is not inside Q's); "
               "none elsewhere",
}


def pair_rows(kind: str | None = None) -> list[tuple[str, str, str, str]]:
    """``(kind, P class name, Q class name or '', status)`` for every registered closed form."""
    from . import api

    kinds = tuple(_KINDS) if kind in (None, "all") else (kind.replace("-", "_"),)
    rows = []
    for k in kinds:
        for entry in api.closed_form_pairs(k):
            q = _display_name(entry.q) if entry.q else ""
            rows.append((k.replace("_", "-"), _display_name(entry.p), q, entry.status))
    return rows


def _display_name(name: Any) -> str:
    if isinstance(name, type):
        return name.__name__
    cls = _family_lookup().get(str(name).lower())
    return cls.__name__ if cls is not None else str(name)


#: the estimate methods for sample files (those of anadiv.estimators.from_data.ROUTES)
DATA_METHODS = ("knn", "sample mean", "histogram", "classifier", "spacing", "empirical")

#: file endings read as samples (one point per row, one column per coordinate)
SAMPLE_FILES = (".npy", ".csv", ".tsv", ".txt")


def is_sample_file(text: str) -> bool:
    return text.lower().endswith(SAMPLE_FILES)


def load_samples(path: str, label: str) -> Any:
    """Samples from a ``.npy`` file (no pickles) or a delimited text file (an optional header row is skipped)."""
    import numpy as np

    if not os.path.isfile(path):
        raise CLIError(f"{label}: no such sample file: {path}")
    try:
        if path.lower().endswith(".npy"):
            data = np.load(path, allow_pickle=False)
        else:
            delimiter = "\t" if path.lower().endswith(".tsv") else ("," if path.lower().endswith(".csv") else None)
            with open(path, encoding="utf-8") as fh:
                first = fh.readline()
            try:
                [float(v) for v in (first.split(delimiter) if delimiter else first.split()) if v.strip()]
                skip = 0
            except ValueError:
                skip = 1  # a header row
            data = np.loadtxt(path, delimiter=delimiter, skiprows=skip, ndmin=1, dtype=np.float64)
    except (OSError, ValueError, UnicodeDecodeError) as exc:
        raise CLIError(f"{label}: cannot read samples from {path} ({_first_line(exc)})") from None
    from .estimators.samples import as_samples

    try:
        return as_samples(data, label, minimum=2)
    except ValueError as exc:
        raise CLIError(f"{exc} (file {path})") from None


def _cmd_estimate(args: argparse.Namespace) -> int:
    kind = args.kind
    one = _kind(kind).arity == 1
    texts = [args.p] if one else [args.p, args.q]
    if one and args.q is not None:
        raise CLIError(f"estimate --kind {kind} takes one distribution")
    if not one and args.q is None:
        raise CLIError(f"estimate --kind {kind} takes two distributions, P and Q")
    if any(is_sample_file(t) for t in texts):
        return _estimate_from_files(args, kind, texts)
    if args.k is not None:
        raise CLIError("--k: the neighbour rank applies to sample files, not to distributions")
    if args.method in DATA_METHODS:
        raise CLIError(f"--method {args.method}: applies to sample files; for distributions use mc, qmc or control")
    dists = [parse_distribution(t, label) for t, label in zip(texts, ("P", "Q"))]
    if any(isinstance(d, list) for d in dists):
        raise CLIError("estimate works on continuous distributions; for probability vectors use anadiv kl")
    if not 2 <= args.n <= MAX_SAMPLES:
        raise CLIError(f"--n: must be between 2 and {MAX_SAMPLES:,}, got {args.n}")
    if args.seed < 0:
        raise CLIError(f"--seed: must be >= 0, got {args.seed}")
    if not _kind(kind).expectation:
        raise CLIError(f"estimate --kind {kind}: no Monte Carlo estimate from distributions; "
                       f"anadiv {kind} P Q gives the closed form or the quantile integral")
    params = _kind_params(args, kind)
    scale = _scale(args, kind)
    with _library_options():
        est = run_estimate(kind, dists, n=args.n, seed=args.seed, method=args.method or "mc", params=params,
                           **_adaptive(args))
    quad = quad_value(run_quad(kind, dists, params=params)) / scale if args.quad else None
    if args.json:
        _emit_json(args, _estimate_record(args, kind, texts, params, est, scale, quad))
        return 0
    for line in estimate_lines(kind, est, scale, args.digits):
        print(line)
    if quad is not None:
        print(f"quadrature:     {_format_number(quad, args.digits)}")
    return 0


def _adaptive(args: argparse.Namespace) -> dict[str, Any]:
    """``--rtol``, ``--atol`` and ``--progress`` as the estimators' keywords, the tolerances checked here."""
    from .numeric.validation import check_tol

    options: dict[str, Any] = {}
    for name in ("rtol", "atol"):
        value = getattr(args, name)
        if value is not None:
            try:
                options[name] = check_tol(value, f"--{name}", positive=True)
            except ValueError as exc:
                raise CLIError(str(exc)) from None
    if args.progress:
        options["progress"] = True
    return options


@contextlib.contextmanager
def _library_options() -> Any:
    """The estimators' complaints about an argument, named as the command's option (``n:`` -> ``--n:``)."""
    try:
        yield
    except ValueError as exc:
        msg = _first_line(exc)
        for option in ("k", "n", "method", "rtol", "atol", "progress", "seed"):
            if msg.startswith(f"{option}: "):
                msg = f"--{msg}"
        raise CLIError(msg) from None


def _estimate_record(args: argparse.Namespace, kind: str, texts: list[str], params: dict[str, float], est: Any,
                     scale: float, quad: float | None) -> dict[str, Any]:
    """The ``--json`` object of ``estimate``."""
    from .errors import UnreliableIntervalError

    level = 0.95
    try:
        interval: Any = [_json_number(float(c) / scale) for c in est.ci(level)]
    except UnreliableIntervalError:
        interval = None
    return {"kind": _kind(kind).name, "inputs": _inputs(texts), "parameters": params,
            "value": _json_number(float(est.value) / scale), "stderr": _json_number(float(est.stderr) / scale),
            "interval": interval, "level": level, "n": int(est.n), "method": est.method, "seed": args.seed,
            "rtol": args.rtol, "atol": args.atol, "stderr_reliable": bool(getattr(est, "stderr_reliable", True)),
            "note": getattr(est, "warning", None) or None, "quadrature": None if quad is None else _json_number(quad),
            "base": args.base, "unit": _unit(args.base, kind)}


def _estimate_from_files(args: argparse.Namespace, kind: str, texts: list[str]) -> int:
    """P and/or Q given as sample files: the estimators from data."""
    from .estimators.monte_carlo import divergence_estimate

    if args.quad:
        raise CLIError("--quad: numerical integration needs two distributions, not samples")
    if args.method in ("mc", "qmc", "control"):
        raise CLIError(f"--method {args.method}: applies to distributions; for sample files use "
                       f"{', '.join(DATA_METHODS)}")
    inputs = [load_samples(t, label) if is_sample_file(t) else parse_distribution(t, label)
              for t, label in zip(texts, ("P", "Q"))]
    if any(isinstance(d, list) for d in inputs):
        raise CLIError("estimate: a sample file goes with a continuous distribution or another sample file")
    if not 2 <= args.n <= MAX_SAMPLES:
        raise CLIError(f"--n: must be between 2 and {MAX_SAMPLES:,}, got {args.n}")
    params = _kind_params(args, kind)
    scale = _scale(args, kind)
    with _library_options():
        est = divergence_estimate(_kind(kind), *inputs, params=params or None, n=args.n, seed=args.seed,
                                  method=args.method, k=args.k, **_adaptive(args))
    if args.json:
        _emit_json(args, _estimate_record(args, kind, texts, params, est, scale, None))
        return 0
    for line in estimate_lines(kind, est, scale, args.digits):
        print(line)
    if est.warning:
        print(f"note:           {est.warning}")
    return 0


def run_estimate(kind: str, dists: list[Any], n: int, seed: int | None, method: str = "mc",
                 params: dict[str, float] | None = None, **options: Any) -> Any:
    """Monte Carlo estimate of a divergence with a fixed seed (``options``: ``rtol``, ``atol``, ``progress``)."""
    from .estimators.monte_carlo import divergence_estimate

    return divergence_estimate(_kind(kind), *dists, params=params or None, n=n, seed=seed, method=method, **options)


def run_quad(kind: str, dists: list[Any], params: dict[str, float] | None = None) -> Any:
    """Numerical-integration value of a divergence (the reference truth)."""
    from .estimators.quadrature import divergence_quad

    return divergence_quad(_kind(kind), *dists, params=params or None)


def quad_value(result: Any) -> float:
    return float(getattr(result, "value", result))


def estimate_lines(kind: str, est: Any, scale: float = 1.0, digits: int | None = 6) -> list[str]:
    """Human-readable lines for an ``Estimate``: value, standard error, interval."""
    value = float(est.value) / scale
    se = float(est.stderr) / scale
    fmt = (lambda x: f"{x:.{digits}g}") if digits is not None else repr
    method = getattr(est, "method", "")
    if not math.isfinite(value):  # decided from the supports or tails, not sampled
        return [f"estimate:       {fmt(value)} ({method})" if method else f"estimate:       {fmt(value)}"]
    lines = [f"estimate:       {fmt(value)} +/- {fmt(se)} (standard error, n={getattr(est, 'n', '?')}"
             + (f", {method})" if method else ")")]
    ci = getattr(est, "ci", None)
    if ci is not None and getattr(est, "stderr_reliable", True):
        lo, hi = (float(c) / scale for c in (ci() if callable(ci) else ci))
        level = getattr(est, "level", 0.95)
        lines.append(f"{int(round(100 * float(level)))}% interval:   [{fmt(lo)}, {fmt(hi)}]")
    elif ci is not None:
        # no valid interval (infinite variance, ...): the value still, the reason in the warning, not an error
        lines.append("no interval:    the standard error is not valid here (see the warning)")
    return lines


def _cmd_demo(args: argparse.Namespace) -> int:
    if not args.json:
        run_demo(print)
        return 0
    from . import api, discrete
    from .families import Normal

    derivation = _derive("kl", [Normal, Normal])
    p, q = parse_distribution(DEMO_MIXTURE, "P"), parse_distribution(DEMO_MIXTURE_Q, "Q")
    est = run_estimate("kl", [p, q], n=100_000, seed=0)
    _emit_json(args, {
        "derivation": {"kind": "kl", "families": ["Normal", "Normal"], "text": str(derivation.total),
                       "latex": derivation.latex()},
        "closed_form": {"kind": "kl", "inputs": {"P": "Normal(0, 1)", "Q": "Normal(1, 2)"},
                        "value": _json_number(api.kl(Normal(0.0, 1.0), Normal(1.0, 2.0))), "unit": "nats"},
        "discrete": {"kind": "kl", "inputs": {"P": DEMO_DISCRETE_P, "Q": DEMO_DISCRETE_Q},
                     "value": _json_number(discrete.kl(DEMO_DISCRETE_P, DEMO_DISCRETE_Q, base=2)), "unit": "bits"},
        "estimate": {"kind": "kl", "inputs": {"P": DEMO_MIXTURE, "Q": DEMO_MIXTURE_Q}, "value": _json_number(est.value),
                     "stderr": _json_number(est.stderr), "interval": _json_number(est.ci(0.95)), "level": 0.95,
                     "n": int(est.n), "seed": 0, "method": est.method, "unit": "nats",
                     "quadrature": _json_number(quad_value(run_quad("kl", [p, q])))},
    })
    return 0


#: The demo's inputs, also used by the docs and tests.
DEMO_DISCRETE_P = [0.10, 0.40, 0.50]
DEMO_DISCRETE_Q = [0.80, 0.15, 0.05]
DEMO_MIXTURE = "Mixture([0.3, 0.7], [Normal(0, 1), Normal(3, 0.5)])"
DEMO_MIXTURE_Q = "Normal(1, 2)"


def run_demo(emit: Callable[[str], Any] = print, n: int = 100_000, seed: int = 0) -> None:
    """The README's tour: a derived formula, its generated code, and numbers.

    Needs only the core dependencies (numpy, scipy, sympy).
    """
    import inspect

    from . import api, discrete
    from .families import Normal

    emit("1. A closed form derived by sympy: anadiv.derive_kl(Normal, Normal)")
    derivation = _derive("kl", [Normal, Normal])
    emit(textwrap.indent(render_derivation(derivation, "text"), "   "))
    emit("")
    func = api.kl_function(Normal, Normal)
    try:
        source = inspect.getsource(func)
        where = f"{func.__module__.replace('.', '/')}.py"
    except (OSError, TypeError):
        source, where = str(derivation.source), "anadiv/_generated/"
    emit(f"2. The numpy code generated from it ({where}, sympy-free; docstring left out):")
    emit(textwrap.indent(_without_docstring(source).rstrip(), "   "))
    if source.startswith("@elementwise"):
        emit("   # @elementwise: batches of 2**17+ values run in blocks on all cores (same values)")
    if "powm1mlog" in source:
        emit("   # powm1mlog(a, b, k) = (a/b)**k - 1 - k*log(a/b), computed without cancellation")
    emit("")
    emit("3. Numbers")
    value = float(api.kl(Normal(0.0, 1.0), Normal(1.0, 2.0)))
    emit(f"   closed form:     KL(Normal(0, 1) || Normal(1, 2)) = {value:.6f} nats")
    bits = float(discrete.kl(DEMO_DISCRETE_P, DEMO_DISCRETE_Q, base=2))
    emit(f"   discrete:        KL(p || q) = {bits:.3f} bits   (p = {DEMO_DISCRETE_P}, q = {DEMO_DISCRETE_Q})")
    p = parse_distribution(DEMO_MIXTURE, "P")
    q = parse_distribution(DEMO_MIXTURE_Q, "Q")
    est = run_estimate("kl", [p, q], n=n, seed=seed)
    truth = quad_value(run_quad("kl", [p, q]))
    lo, hi = est.ci(0.95)
    emit(f"   no closed form:  KL(P || {DEMO_MIXTURE_Q}), P = {DEMO_MIXTURE}")
    emit(f"     Monte Carlo:   {est.value:.5f} +/- {est.stderr:.5f} (n = {est.n}, seed {seed}), "
         f"95% interval [{lo:.5f}, {hi:.5f}]")
    inside = "inside" if lo <= truth <= hi else "outside"
    emit(f"     quadrature:    {truth:.5f} ({inside} the interval)")


def _without_docstring(source: str) -> str:
    """A function's source with its docstring removed (for a compact listing)."""
    lines = source.splitlines()
    try:
        tree = ast.parse(textwrap.dedent(source))
    except SyntaxError:
        return source
    node = tree.body[0] if tree.body else None
    body = getattr(node, "body", None)
    doc = body[0] if body else None
    if isinstance(doc, ast.Expr) and isinstance(doc.value, ast.Constant) and isinstance(doc.value.value, str):
        first, last = doc.lineno - 1, doc.end_lineno
        lines = lines[:first] + lines[last:]
    return "\n".join(lines)


# --------------------------------------------------------------------------
# Argument parsing
# --------------------------------------------------------------------------
_DIST_HELP = (
    'a distribution written like a call: "Normal(0, 1)", "Normal(mu=0, sigma=1)", '
    '"MultivariateNormal([0, 0], [[1, 0], [0, 2]])"; or a probability vector "[0.2, 0.8]"'
)


def _digits(text: str) -> int:
    """--digits: 1 to 17 (17 significant digits give every float64 exactly)."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number from 1 to 17, got {text!r}") from None
    if not 1 <= value <= 17:
        raise argparse.ArgumentTypeError(f"must be from 1 to 17, got {value}")
    return value


def _add_kind_params(p: argparse.ArgumentParser, kinds: tuple[DivergenceKind, ...]) -> None:
    """An option per extra parameter of these kinds (``--alpha`` for the Renyi divergence)."""
    seen: set[str] = set()
    for kind in kinds:
        for spec in kind.parameters:
            if spec.name not in seen:
                seen.add(spec.name)
                p.add_argument(f"--{spec.name}", type=float, default=None,
                               help=f"{kind.title}: {spec.doc}")


def _add_common(p: argparse.ArgumentParser) -> None:
    p.add_argument("--base", default="e", help="logarithm base: e (nats, default), 2 (bits), 10 (bans)")
    p.add_argument("--digits", type=_digits, default=None,
                   help="significant digits to print (default: all, the shortest exact repr)")
    p.add_argument("--normalize", action="store_true",
                   help="probability vectors: divide each by its sum (weights >= 0, not all zero) "
                   "instead of requiring it to be 1")


def _add_json(p: argparse.ArgumentParser) -> None:
    p.add_argument("--json", action="store_true",
                   help="print one JSON object instead of text (keys in docs/cli.md; errors too)")


def _tolerance(text: str) -> float:
    """--rtol, --atol: read as a float here, checked (> 0, finite) with the option's name later."""
    try:
        return float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number, got {text!r}") from None


def build_parser() -> argparse.ArgumentParser:
    """The argparse parser of the ``anadiv`` command."""
    fmt = argparse.RawDescriptionHelpFormatter
    parser = _Parser(
        prog=_PROG,
        formatter_class=fmt,
        description="Divergences between probability distributions: derived closed forms, "
        "generated numpy code, Monte Carlo estimates and discrete divergences.",
        epilog=textwrap.dedent(
            """\
            examples:
              anadiv demo
              anadiv derive normal normal --format latex
              anadiv kl "Normal(0, 1)" "Normal(1, 2)"
              anadiv kl "[0.10, 0.40, 0.50]" "[0.80, 0.15, 0.05]" --base 2
              anadiv pairs --kind kl
              anadiv estimate "Mixture([0.3, 0.7], [Normal(0, 1), Normal(3, 0.5)])" "Normal(1, 2)" --quad

            Run `anadiv <command> --help` for the details of one command."""
        ),
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {_version()}")
    sub = parser.add_subparsers(dest="command", metavar="<command>", parser_class=_Parser)

    p = sub.add_parser(
        "demo", formatter_class=fmt, help="a short tour: a derived formula, its code, and numbers",
        description="Print a derived closed form (KL between two normals), the numpy code generated "
        "from it, and a few numbers: a closed-form KL, a discrete KL in bits, and a Monte Carlo "
        "estimate for a Gaussian mixture with its confidence interval next to the quadrature value.",
        epilog="example:\n  anadiv demo",
    )
    _add_json(p)
    p.set_defaults(func=_cmd_demo)

    p = sub.add_parser(
        "derive", formatter_class=fmt, help="derive a closed form symbolically (LaTeX, text or code)",
        description="Derive a closed-form KL divergence, cross-entropy or entropy with sympy and print "
        "it as text, pretty text, LaTeX, or as the generated numpy code. Families are names "
        "(normal, gamma, ...) or calls with numbers (\"Normal(0, 1)\") to substitute parameters.",
        epilog=textwrap.dedent(
            """\
            examples:
              anadiv derive normal normal
              anadiv derive normal normal --format latex
              anadiv derive gamma gamma --format code
              anadiv derive "Normal(0, 1)" normal        # KL from N(0, 1) as a function of Q's parameters
              anadiv derive exponential --kind entropy"""
        ),
    )
    p.add_argument("families", nargs="+", metavar="family", help="one family (entropy) or two (P then Q)")
    p.add_argument("--kind", choices=KINDS, default=None, help="what to derive (default: kl for two families, entropy for one)")
    p.add_argument("--format", choices=("text", "pretty", "latex", "code"), default="text",
                   help="text (sympy expression, default), pretty (2-D ASCII), latex, or code (generated numpy)")
    p.add_argument("--steps", action="store_true", help="also print the derivation steps")
    _add_json(p)
    p.set_defaults(func=_cmd_derive)

    for kind in _KINDS.values():
        kind_help, description, example = _command_text(kind)
        p = sub.add_parser(kind.cli_name, formatter_class=fmt, help=kind_help, description=description,
                           epilog=f"examples:\n  {example}")
        p.add_argument("p", metavar="P", help=_DIST_HELP)
        if kind.arity == 2:
            p.add_argument("q", metavar="Q", help="the second distribution, written the same way")
        _add_kind_params(p, (kind,))
        _add_common(p)
        _add_json(p)
        p.set_defaults(func=functools.partial(_divergence, kind=kind.cli_name))

    p = sub.add_parser(
        "pairs", formatter_class=fmt, help="list every closed form in the registry",
        description="List the (P, Q) family pairs with a closed form, from the generated registry.",
        epilog="examples:\n  anadiv pairs\n  anadiv pairs --kind entropy",
    )
    p.add_argument("--kind", choices=(*KINDS, "all"), default="all", help="only this kind (default: all)")
    _add_json(p)
    p.set_defaults(func=_cmd_pairs)

    p = sub.add_parser(
        "estimate", formatter_class=fmt, help="Monte Carlo estimate with a confidence interval (mixtures, ...)",
        description=textwrap.dedent(
            """\
            Monte Carlo estimate of KL(P || Q), H(P, Q) or H(P) with its standard error and
            confidence interval, for pairs without a closed form, such as Gaussian mixtures.
            P and Q may also be sample files (.npy, or .csv/.tsv/.txt with one point per row and
            an optional header): then the estimators from data answer (k nearest neighbours).
            A mixture is written Mixture([w1, w2, ...], [Family(...), Family(...), ...]):
            weights first (positive, summing to 1), then the components."""
        ),
        epilog=textwrap.dedent(
            """\
            examples:
              anadiv estimate "Mixture([0.3, 0.7], [Normal(0, 1), Normal(3, 0.5)])" "Normal(1, 2)"
              anadiv estimate "Mixture([0.5, 0.5], [Normal(-1, 1), Normal(1, 1)])" "Laplace(0, 1)" --n 200000 --seed 1 --quad
              anadiv estimate "Mixture([0.3, 0.7], [Normal(0, 1), Normal(3, 0.5)])" --kind entropy
              anadiv estimate predictions.npy "Normal(0, 1)"          (samples against a distribution)
              anadiv estimate real.csv generated.csv --k 3            (two samples, k nearest neighbours)"""
        ),
    )
    p.add_argument("p", metavar="P", help='a distribution, "Mixture([weights], [components])", or a sample '
                   "file (.npy, .csv, .tsv, .txt: one point per row)")
    p.add_argument("q", metavar="Q", nargs="?", default=None,
                   help="the second distribution or sample file (not for --kind entropy)")
    p.add_argument("--kind", choices=KINDS, default="kl", help="what to estimate (default: kl)")
    _add_kind_params(p, tuple(_KINDS.values()))
    p.add_argument("--n", type=int, default=100_000,
                   help=f"number of samples, from 2 to {MAX_SAMPLES:,} (default: 100000)")
    p.add_argument("--seed", type=int, default=0, help="random seed, for reproducible numbers (default: 0)")
    p.add_argument("--method", choices=("mc", "qmc", "control", *DATA_METHODS), default=None,
                   help="mc: plain Monte Carlo (default for distributions); qmc: randomized quasi-Monte Carlo "
                   "(scrambled Sobol, t-interval over randomizations); control: control variates; for sample "
                   "files: knn (k nearest neighbours, the default), sample mean (cross-entropy against a "
                   "distribution), and the others listed in the docs")
    p.add_argument("--k", type=int, default=None,
                   help="sample files: the neighbour rank of the k-nearest-neighbour estimators "
                   "(default: by dimension, 5 in one dimension)")
    p.add_argument("--quad", action="store_true", help="also print the value from numerical integration")
    p.add_argument("--base", default="e", help="logarithm base: e (nats, default), 2 (bits), 10")
    p.add_argument("--digits", type=_digits, default=6, help="significant digits to print (default: 6)")
    p.add_argument("--rtol", type=_tolerance, default=None,
                   help="adaptive: keep sampling (from --n on) until stderr <= atol + rtol * |value|")
    p.add_argument("--atol", type=_tolerance, default=None, help="adaptive: the absolute part of that tolerance")
    p.add_argument("--progress", action="store_true",
                   help="show progress on stderr (a tqdm bar when tqdm is installed, else a status line)")
    _add_json(p)
    p.set_defaults(func=_cmd_estimate)
    return parser


def _version() -> str:
    from . import __version__

    return __version__


def _error(message: str, as_json: bool = False, command: str | None = None,
           warnings_seen: Sequence[str] = ()) -> int:
    """The one-line error on stderr (exit code 2); with ``--json`` also its JSON object on stdout."""
    text = " ".join(message.split())
    print(f"{_PROG}: error: {text}", file=sys.stderr)
    if as_json:
        print(json.dumps({"command": command, "error": text, "exit_code": 2, "warnings": list(warnings_seen)}))
    return 2


class _UsageError(Exception):
    """argparse's complaint about the command line, raised instead of printing and exiting."""


class _Parser(argparse.ArgumentParser):
    """An ArgumentParser whose usage errors become one line: the message, then the usage."""

    def error(self, message: str) -> Any:  # argparse's hook; it must not return
        usage = " ".join(self.format_usage().split())
        raise _UsageError(f"{self.prog}: {message} ({usage})")


def main(argv: Sequence[str] | None = None) -> int:
    """Run the ``anadiv`` command; returns the exit code (0 ok, 2 user error).

    Parameters
    ----------
    argv : sequence of str, optional
        The arguments after the program name (default: ``sys.argv[1:]``).

    Examples
    --------
    >>> main(["kl", "Normal(0, 1)", "Normal(0, 1)"])
    0.0
    0
    """
    argv = list(sys.argv[1:] if argv is None else argv)
    # known before parsing, so that a usage error is answered in JSON too
    as_json = "--json" in argv
    collected: list[str] = []

    def show_warning(message: Any, category: type, filename: str, lineno: int, file: Any = None,
                     line: str | None = None) -> None:
        text = " ".join(str(message).split())
        if as_json:
            collected.append(text)  # into the object's "warnings"
        else:
            print(f"{_PROG}: warning: {text}", file=sys.stderr)

    with warnings.catch_warnings():
        # numpy's floating-point warnings say nothing to a command-line user
        # (the result, or the one-line error, does); other warnings print as
        # one line each.
        warnings.filterwarnings("ignore", category=RuntimeWarning,
                                message="(invalid value|divide by zero|overflow|underflow) encountered")
        warnings.showwarning = show_warning
        return _main(argv, as_json, collected)


def _main(argv: Sequence[str], as_json: bool, collected: list[str]) -> int:
    parser = build_parser()
    command = next((a for a in argv if not a.startswith("-")), None)

    def fail(message: str) -> int:
        return _error(message, as_json, command, collected)

    try:
        args = parser.parse_args(argv)
    except _UsageError as exc:  # argparse's own usage error, as one line
        return fail(str(exc))
    except SystemExit as exc:  # --help, --version
        return int(exc.code or 0)
    if args.command is None:
        parser.print_help()
        return 0
    args.warnings = collected
    if args.command == "derive":
        args.kind_given = args.kind is not None
        args.kind = args.kind or "kl"
    try:
        return int(args.func(args))
    except CLIError as exc:
        return fail(str(exc))
    except ValueError as exc:  # bad parameter values: the family's own message
        return fail(str(exc).strip().splitlines()[0] if str(exc).strip() else "invalid value")
    except NotImplementedError as exc:
        msg = str(exc).strip().splitlines()[0] if str(exc).strip() else "not implemented"
        return fail(msg)
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:  # `anadiv ... | head`: the reader left; not an error
        import os

        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0
    except Exception as exc:  # a failure inside the library: still one line, no traceback
        return fail(f"{args.command} failed: {type(exc).__name__}: {_first_line(exc)}")


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
