r"""Display formulas that fit the page column: a TeX width estimate and a line breaker.

The closed forms are printed by sympy on one line, and a sum of twenty terms
runs to several thousand pixels. :func:`break_lines` splits a display formula
at the plus and minus signs (and after the relation) of its outermost level
into an ``aligned`` block whose lines fit ``max_em``, packing terms greedily::

    \begin{aligned} LHS &= t_1 + t_2 \\ &\quad {}+ t_3 - t_4 \end{aligned}

It goes one level in where one term alone is too wide: into the first cell of
a ``cases`` block (the piecewise closed forms), and into a ``\left( \right)``
group, whose delimiters become ``\Bigl( \Bigr)`` so they may close on a later
line. A formula already broken by hand (one with ``\\``) is left alone.

:func:`tex_width_em` is the width estimate the breaker and the tests use: a
sum of per-symbol advance widths (in em of the math font, including TeX's
spacing around operators), with fractions as wide as their wider part and
scripts at 70 %. It needs no renderer, so it is cheap enough for a test; the
renderer-based measurement is ``benchmarks/formula_widths.py``, which also
reports how well this estimate follows the rendered widths.

The page column: Material's content column at its default width is 688 px
(``61rem`` grid less two ``12.1rem`` sidebars and ``1.2rem`` margins, at 20 px
a rem) and its text is 16 px; MathJax matches the text's x-height, which sets
the formulas at about 19 px. So the column holds about 36 em of formula.
"""

from __future__ import annotations

import re

#: px of the content column, px of a formula's em (see the module docstring)
COLUMN_PX = 688.0
FORMULA_EM_PX = 19.0
#: the budget a broken line is packed to: the column less a margin for the estimate's error
COLUMN_EM = COLUMN_PX / FORMULA_EM_PX
LINE_EM = 0.85 * COLUMN_EM

#: How a token changes the nesting depth of TeX groups (braces, \\left...\\right, environments).
_GROUP_DEPTH = {"{": 1, "\\left": 1, "\\begin": 1, "}": -1, "\\right": -1, "\\end": -1}

_TOKEN = re.compile(r"\\[a-zA-Z]+\*?|\\.|[{}_^&]|\s+|.", re.S)

_BINARY = {"+": 1.22, "-": 1.22, "\\pm": 1.22, "\\mp": 1.22, "\\cdot": 0.72, "\\times": 1.22, "\\wedge": 1.22,
           "\\vee": 1.22}
#: the operators a line may start with: the terms of a sum, the clauses of a condition
_CUTS = {"+", "-", "\\wedge", "\\vee"}
_RELATION = {"=", "<", ">", "\\le", "\\ge", "\\leq", "\\geq", "\\approx", "\\sim", "\\to", "\\in", "\\ne",
             "\\neq", "\\equiv", "\\propto", "\\mapsto", "\\rightarrow", "\\Rightarrow", "\\coloneqq"}
_SPACES = {"\\quad": 1.0, "\\qquad": 2.0, "\\,": 0.17, "\\;": 0.28, "\\:": 0.22, "\\!": -0.17, "\\ ": 0.25,
           "~": 0.25}
_NARROW = set("()[]|,;.!'/:") | {"\\{", "\\}", "\\|", "\\lvert", "\\rvert", "\\lVert", "\\rVert", "\\langle",
                                  "\\rangle", "\\lfloor", "\\rfloor", "\\lceil", "\\rceil"}
_WORDS = {"log", "exp", "ln", "det", "tr", "sin", "cos", "tan", "max", "min", "sup", "inf", "lim", "arg", "sinh",
          "cosh", "tanh", "erf", "sgn", "Pr", "diag"}
_BIG = {"\\sum": 1.45, "\\prod": 1.3, "\\int": 1.0, "\\oint": 1.0, "\\infty": 1.0, "\\ldots": 1.2, "\\cdots": 1.2,
        "\\dots": 1.2, "\\mid": 0.84, "\\partial": 0.57, "\\nabla": 0.84, "\\top": 0.78, "\\prime": 0.3}
_DROP = {"\\left", "\\right", "\\bigl", "\\bigr", "\\Bigl", "\\Bigr", "\\biggl", "\\biggr", "\\big", "\\Big",
         "\\displaystyle", "\\textstyle", "\\limits", "\\nolimits", "\\middle"}
_TEXT = {"\\mathrm", "\\text", "\\textrm", "\\operatorname", "\\mathbf", "\\mathit", "\\mathsf", "\\mathtt",
         "\\textit", "\\textbf", "\\mathbb", "\\mathcal", "\\boldsymbol", "\\bm"}
_ACCENT = {"\\hat", "\\bar", "\\tilde", "\\overline", "\\widehat", "\\widetilde", "\\vec", "\\dot", "\\ddot",
           "\\underline", "\\mathring"}


def _tokens(tex: str) -> list[str]:
    """TeX tokens; a run of white space is one ``" "`` token (kept, so that joining them gives the TeX back)."""
    return [" " if t.isspace() else t for t in _TOKEN.findall(tex)]


def _group(tokens: list[str], i: int) -> tuple[list[str], int]:
    """The tokens of the argument starting at ``i`` (a braced group or one token), and the index after it."""
    if i >= len(tokens):
        return [], i
    while i < len(tokens) and tokens[i] == " ":
        i += 1
    if i >= len(tokens):
        return [], i
    if tokens[i] != "{":
        return [tokens[i]], i + 1
    depth, j = 0, i
    while j < len(tokens):
        depth += {"{": 1, "}": -1}.get(tokens[j], 0)
        if depth == 0:
            return tokens[i + 1:j], j + 1
        j += 1
    return tokens[i + 1:], len(tokens)


def _env_width(body: list[str], scale: float) -> float:
    """An array-like environment: the widest row, its cells side by side with a gap."""
    rows: list[list[list[str]]] = []
    row: list[list[str]] = []
    cell: list[str] = []
    depth = 0
    for t in body:
        if t in ("{", "\\begin"):
            depth += 1
        elif t in ("}", "\\end"):
            depth -= 1
        if depth == 0 and t in ("\\\\", "&"):
            row.append(cell)
            cell = []
            if t == "\\\\":
                rows.append(row)
                row = []
        else:
            cell.append(t)
    rows.append(row + [cell])
    return max(sum(_width(c, scale) for c in r) + 1.0 * (len(r) - 1) for r in rows)


def _width(tokens: list[str], scale: float = 1.0) -> float:
    total, i = 0.0, 0
    prev_operand = False
    while i < len(tokens):
        t = tokens[i]
        i += 1
        operand = True
        if t == " ":
            continue
        if t in ("{", "}"):
            if t == "{":
                inner, i = _group(tokens, i - 1)
                total += _width(inner, scale)
            continue
        if t in ("_", "^"):
            arg, i = _group(tokens, i)
            total += _width(arg, scale * 0.7)
            continue
        if t in ("\\frac", "\\dfrac", "\\tfrac", "\\binom", "\\dbinom", "\\tbinom"):
            num, i = _group(tokens, i)
            den, i = _group(tokens, i)
            inner = scale * (0.7 if t.startswith("\\t") else 1.0)
            total += max(_width(num, inner), _width(den, inner)) + scale * (0.8 if "binom" in t else 0.24)
        elif t == "\\sqrt":
            if i < len(tokens) and tokens[i] == "[":
                while i < len(tokens) and tokens[i] != "]":
                    i += 1
                i += 1
            arg, i = _group(tokens, i)
            total += _width(arg, scale) + 0.85 * scale
        elif t == "\\begin":
            _, i = _group(tokens, i)
            depth, j = 1, i
            while j < len(tokens) and depth:
                depth += {"\\begin": 1, "\\end": -1}.get(tokens[j], 0)
                j += 1
            body = tokens[i:j - 1]
            _, i = _group(tokens, j)
            total += _env_width(body, scale) + (0.9 * scale if tokens[i - 2:i - 1] != ["aligned"] else 0.0)
        elif t in _TEXT:
            arg, i = _group(tokens, i)
            if t == "\\operatorname":
                total += scale * (0.5 * len("".join(arg)) + 0.17)
            else:
                total += _width(arg, scale)
        elif t in _ACCENT:
            arg, i = _group(tokens, i)
            total += _width(arg, scale)
        elif t in _DROP:
            operand = prev_operand
        elif t in _BINARY:
            # a sign with no operand before it is unary: no spacing
            total += scale * (_BINARY[t] if prev_operand else 0.78)
            operand = False
        elif t in _RELATION:
            total += scale * 1.33
            operand = False
        elif t in _SPACES:
            total += scale * _SPACES[t]
            operand = prev_operand
        elif t in ("&", "\\\\", "\\end"):
            operand = False
        elif t in _NARROW:
            total += scale * (0.45 if t in "()[]" else 0.3)
            operand = t in ")]|"
        elif t in _BIG:
            total += scale * _BIG[t]
        elif t.startswith("\\") and t[1:] in _WORDS:
            total += scale * (0.5 * len(t[1:]) + 0.17)
        elif t.startswith("\\") and len(t) > 2:
            total += scale * (0.75 if t[1].isupper() else 0.6)  # a Greek letter or symbol
        elif t.isupper():
            total += scale * 0.72
        elif t.isdigit():
            total += scale * 0.5
        else:
            total += scale * 0.52
        prev_operand = operand
    return total


def tex_width_em(tex: str) -> float:
    r"""Estimated width, in em of the math font, of a display formula (the widest line of a broken one).

    >>> round(tex_width_em(r"\frac{a}{b} + c"), 2)
    2.5
    """
    return _width(_tokens(tex))


# ------------------------------------------------------------------ breaking
def _split_top(tokens: list[str]) -> list[list[str]]:
    """The tokens cut before each binary ``+``/``-`` of the outermost level (not inside groups or delimiters)."""
    parts: list[list[str]] = [[]]
    depth, prev_operand, last = 0, False, ""
    for k, t in enumerate(tokens):
        if t in ("{", "\\left", "\\begin") or (t in ("(", "[") and last not in _DROP):
            depth += 1  # a plain parenthesis too: a sum inside one is not cut (unless sized: \\Bigl()
        elif t in ("}", "\\right", "\\end") or (t in (")", "]") and last not in _DROP):
            depth -= 1
        if depth == 0 and t in _CUTS and prev_operand and parts[-1]:
            parts.append([])
        elif depth == 0 and t in ("\\quad", "\\qquad") and last == "," and parts[-1]:
            parts.append([])  # a list of formulas: the next one may start a line
        if t != " ":
            last = t
        parts[-1].append(t)
        if t == " ":
            continue
        if t in ("\\right",):
            prev_operand = True
        elif t in _DROP or t in _SPACES:
            pass
        else:
            prev_operand = not (t in _BINARY or t in _RELATION or t in ("{", "&", "\\\\", "(", "[", ","))
    return parts


def _relation_split(tokens: list[str]) -> tuple[list[str], list[str]]:
    """``lhs =`` and the rest, at the first relation of the outermost level (``[]`` and all when there is none)."""
    depth = 0
    for k, t in enumerate(tokens):
        step = _GROUP_DEPTH.get(t, 0)
        depth += step
        if not step and depth == 0 and t in _RELATION and k > 0:
            return tokens[:k + 1], tokens[k + 1:]
    return [], tokens


def _join(tokens: list[str]) -> str:
    return "".join(tokens).strip()


def _line(terms: list[list[str]]) -> str:
    """One line's terms; a factor's ``\\times`` is shown only where the factor starts the line."""
    parts = [_join(t) for t in terms]
    return " ".join([parts[0]] + [p.removeprefix("\\times").strip() for p in parts[1:]])


def _pack(terms: list[list[str]], budget: float, first_budget: float) -> list[list[list[str]]]:
    """Greedy lines of terms, the first of width ``first_budget``, the others ``budget``."""
    lines: list[list[list[str]]] = [[]]
    width, limit = 0.0, first_budget
    for term in terms:
        w = _width(["x", *term]) - _width(["x"])  # after an operand: a leading sign is binary, as on the page
        if lines[-1] and width + w > limit:
            lines.append([])
            width, limit = 0.0, budget
        lines[-1].append(term)
        width += w
    return lines


def _match(tokens: list[str], k: int, opening: str, closing: str) -> int:
    """The index of the token closing the one at ``k`` (``len(tokens)`` when unclosed)."""
    depth = 0
    for j in range(k, len(tokens)):
        depth += (tokens[j] == opening) - (tokens[j] == closing)
        if depth == 0:
            return j
    return len(tokens)


def _unwrap(term: list[str]) -> list[str]:
    """``f{\\left(x\\right)}`` as ``f\\left(x\\right)``: sympy's braces around a function's
    delimited argument only group, and a group cannot go over lines."""
    out, k = [], 0
    while k < len(term):
        nxt = next((j for j in range(k + 1, len(term)) if term[j] != " "), None)
        if term[k] == "{" and nxt is not None and term[nxt] == "\\left":
            close, right = _match(term, k, "{", "}"), _match(term, nxt, "\\left", "\\right")
            if right + 2 <= close and all(t == " " for t in term[right + 2:close]):
                out += term[nxt:right + 2]
                k = close + 1
                continue
        out.append(term[k])
        k += 1
    return out


def _open_group(term: list[str], budget: float) -> list[list[str]] | None:
    """A term ``c \\left( a + b + ... \\right) d`` too wide alone: its pieces, with the group's
    delimiters made ``\\Bigl( \\Bigr)`` so the sum inside may go over lines. None when it has no such group."""
    term = _unwrap(term)
    depth = 0
    for k, t in enumerate(term):
        if t == "\\left" and depth == 0:
            j = _match(term, k, "\\left", "\\right")
            inside = term[k + 2:j]
            pieces = _split_top(inside)
            if len(pieces) > 1 and _width(inside) > budget / 2:
                opening = term[:k] + ["\\Bigl", term[k + 1]]
                closing = ["\\Bigr", term[j + 1] if j + 1 < len(term) else "."] + term[j + 2:]
                pieces[0] = opening + pieces[0]
                pieces[-1] = pieces[-1] + closing
                return pieces
            # a narrow sum here: look for a wider group further on
        depth += _GROUP_DEPTH.get(t, 0)
    return None


def _open_frac(term: list[str], budget: float) -> list[list[str]] | None:
    """A term ``c \\frac{a + b + ...}{d} e`` whose numerator is too wide: ``c \\frac{1}{d} \\Bigl(a + b + ...\\Bigr) e``
    in pieces. None when it has no such fraction at its outer level."""
    depth = 0
    for k, t in enumerate(term):
        if t in ("\\frac", "\\dfrac") and depth == 0:
            num, after_num = _group(term, k + 1)
            den, after_den = _group(term, after_num)
            if _width(num) <= budget / 2:
                return None
            pieces = _split_top(num)
            if len(pieces) < 2:  # a product: 1/d and its factors, each of which may start a line
                factors = _factors(num)
                if len(factors) < 2:
                    return None
                factors[0] = term[:k] + ["\\frac", "{", "1", "}", "{", *den, "}", " "] + factors[0]
                factors[-1] = factors[-1] + term[after_den:]
                return factors
            pieces[0] = term[:k] + ["\\frac", "{", "1", "}", "{", *den, "}", " ", "\\Bigl", "("] + pieces[0]
            pieces[-1] = pieces[-1] + ["\\Bigr", ")", *term[after_den:]]
            return pieces
        depth += _GROUP_DEPTH.get(t, 0)
    return None


_BIG_OPERATORS = {"\\sum", "\\prod", "\\int", "\\oint"}
_OPENING = {"(", "[", "{", "\\times", "\\cdot", "&", ","}


def _factors(tokens: list[str]) -> list[list[str]]:
    """A product cut between its factors (sympy separates them by a space at the outer level); each
    later factor starts with ``\\times``, so a factor starting a line shows the product. Never after
    a sum or integral sign, whose operand follows it."""
    parts: list[list[str]] = [[]]
    depth = 0
    for k, t in enumerate(tokens):
        depth += _GROUP_DEPTH.get(t, 0)
        before = [x for x in parts[-1] if x != " "]
        if (depth == 0 and t == " " and before and k + 1 < len(tokens)
                and before[-1] not in _CUTS | _RELATION | _OPENING and before[-1] not in _DROP
                and before[-1] not in _SPACES
                and tokens[k + 1] not in _CUTS | _RELATION | _DROP | {"^", "_", "&", "\\right", ")", "]"}
                and not any(x in _BIG_OPERATORS for x in before)):
            parts.append(["\\times", " "])
            continue
        parts[-1].append(t)
    return [p for p in parts if [x for x in p if x not in (" ", "\\times")]]


def _terms(tokens: list[str], budget: float, levels: int = 3) -> list[list[str]]:
    """The outermost terms; a term too wide alone is opened (its fraction's numerator, or its delimited
    group) and its own terms are opened in turn, ``levels`` deep."""
    out: list[list[str]] = []
    for term in _split_top(tokens):
        if levels and _width(term) > budget:
            opened = _open_frac(term, budget) or _open_group(term, budget)
            if not opened and len(_factors(term)) > 1:
                opened = _factors(term)
            if opened:
                for piece in opened:
                    out += _terms(piece, budget, levels - 1)
                continue
        out.append(term)
    return out


def _aligned(tokens: list[str], max_em: float, force: bool = False) -> str | None:
    """The tokens as ``aligned`` lines of at most ``max_em``, or None when one line already fits or no cut
    helps (with ``force``: an ``aligned`` block all the same, of one line if it fits)."""
    if _width(tokens) <= max_em and not force:
        return None
    lhs, rhs = _relation_split(tokens)
    lhs_em = _width(lhs)
    if lhs_em > 0.4 * max_em:  # a long left side: the right side starts on the next line
        terms = _terms(rhs, max_em - 1.0)
        lines = _pack(terms, max_em - 1.0, max_em - 1.0)
        head = _join(lhs[:-1]) + " &" + _join(lhs[-1:]) + r" \\ &\quad "
        indent_first = True
    else:
        terms = _terms(rhs, max_em - lhs_em)
        lines = _pack(terms, max_em - 1.0 - lhs_em * bool(lhs), max_em - lhs_em)
        head = (_join(lhs[:-1]) + " &" + _join(lhs[-1:]) + " ") if lhs else "& "
        indent_first = False
    if len(lines) < 2 and not indent_first and not force:
        return None
    rendered = []
    for n, line in enumerate(lines):
        body = _line(line)
        if n and body[:1] in "+-":
            body = "{}" + body  # a sign starting a line stays a binary operator
        rendered.append(body)
    return r"\begin{aligned}" + head + r" \\ &\quad ".join(rendered) + r"\end{aligned}"


def _break_cases(tex: str, max_em: float) -> str | None:
    """A ``cases`` block whose rows are too wide: each value over lines, its condition on a line of its own
    below it where the two do not fit side by side."""
    m = re.fullmatch(r"\s*\\begin\{cases\}(.*)\\end\{cases\}\s*", tex, flags=re.S)
    if not m or "\\begin" in m.group(1):
        return None
    rows = re.split(r"\\\\", m.group(1))
    out, changed = [], False
    for row in rows:
        value, sep, condition = row.partition("&")
        budget = max_em - 1.5  # the brace
        value_em, condition_em = _width(_tokens(value)), _width(_tokens(condition))
        if value_em + 1.0 + condition_em <= budget:
            out.append(row)
            continue
        changed = True
        if value_em + 1.0 + condition_em > budget and condition.strip():
            # the condition goes below the value: one aligned block, the condition cell left empty
            broken = _aligned(_tokens(value), budget, force=True)
            lines = broken[len(r"\begin{aligned}"):-len(r"\end{aligned}")]
            clauses = _pack(_terms(_tokens(condition), budget - 1.0), budget - 1.0, budget)
            below = r" \\ &\quad ".join(_line(line) for line in clauses)
            out.append(r"\begin{aligned}" + lines + r" \\ &" + below + r"\end{aligned} &")
        else:
            out.append((_aligned(_tokens(value), budget) or value) + sep + condition)
    return r"\begin{cases}" + r"\\".join(out) + r"\end{cases}" if changed else None


def _rows(tokens: list[str]) -> list[list[str]]:
    """An environment body cut at its own ``\\\\`` (not those of a nested environment)."""
    rows: list[list[str]] = [[]]
    depth = 0
    for t in tokens:
        depth += (t in ("{", "\\begin")) - (t in ("}", "\\end"))
        if depth == 0 and t == "\\\\":
            rows.append([])
        else:
            rows[-1].append(t)
    return rows


def _break_rows(tex: str, max_em: float) -> str | None:
    """An ``aligned`` or ``gathered`` block (or a bare body with ``&`` or ``\\\\``, which MathJax sets only
    inside one: it becomes ``aligned``) with each too-wide row over lines of its own."""
    m = re.fullmatch(r"\s*\\begin\{(aligned|gathered)\}(.*)\\end\{\1\}\s*", tex, flags=re.S)
    env, body = (m.group(1), m.group(2)) if m else ("aligned", tex)
    if not m and (("&" not in tex and r"\\" not in tex) or re.match(r"\s*\\begin\{", tex)):
        return None  # nothing over lines, or another environment (cases: see _break_cases)
    if m and re.search(r"\\begin\{", body):
        return None
    out = []
    for row in _rows(_tokens(body)):
        if _width(row) <= max_em:
            out.append(_join(row))
            continue
        if env == "gathered":
            out.append(_aligned(row, max_em) or _join(row))
            continue
        amp = row.index("&") if "&" in row else -1
        left, right = (row[:amp + 1], row[amp + 1:]) if amp >= 0 else (["&"], row)
        room = max_em - _width(left)
        lines = _pack(_terms(right, room - 1.0), room - 1.0, room)
        glue = r" \\ &\quad "
        out.append(_join(left) + " " + glue.join(("{}" + b if n and b[:1] in "+-" else b)
                                                for n, b in enumerate(_line(x) for x in lines)))
    return rf"\begin{{{env}}}" + r" \\ ".join(out) + rf"\end{{{env}}}"


def break_lines(tex: str, max_em: float = LINE_EM) -> str:
    r"""A display formula over lines of at most ``max_em`` (estimated), or unchanged where it fits.

    Parameters
    ----------
    tex : str
        The formula's TeX, without the ``\[ \]`` delimiters.
    max_em : float
        Line width budget, in em of the math font.

    Returns
    -------
    str
        ``tex`` itself where it fits or is broken by hand already, else an
        ``aligned`` (or ``cases`` of ``aligned``) block.

    Examples
    --------
    >>> print(break_lines("x = a + b + c + d + e", max_em=7))
    \begin{aligned}x &= a + b + c \\ &\quad {}+ d + e\end{aligned}
    """
    if _width(_tokens(tex)) <= max_em:
        return tex
    cases = _break_cases(tex, max_em)
    if cases is not None:
        return cases
    if r"\\" in tex or "&" in tex:  # over lines already (by hand, or an earlier pass): the too-wide rows
        return _break_rows(tex, max_em) or tex
    return _aligned(_tokens(tex), max_em) or tex


_DISPLAY_BLOCK = re.compile(r"^([ \t]*)\\\[[ \t]*\n(.*?)\n[ \t]*\\\][ \t]*$", re.S | re.M)
_FENCE = re.compile(r"^[ \t]*```.*?^[ \t]*```[ \t]*$", re.S | re.M)


def break_display_blocks(markdown: str, max_em: float = LINE_EM) -> str:
    r"""Every ``\[ ... \]`` display block of a Markdown page (outside code fences) through :func:`break_lines`."""
    def one(m: re.Match[str]) -> str:
        indent, tex = m.group(1), m.group(2)
        broken = break_lines(tex.strip(), max_em)
        if broken == tex.strip():
            return m.group(0)
        return f"{indent}\\[\n{indent}{broken}\n{indent}\\]"

    out, last = [], 0
    for fence in _FENCE.finditer(markdown):
        out.append(_DISPLAY_BLOCK.sub(one, markdown[last:fence.start()]))
        out.append(fence.group(0))
        last = fence.end()
    out.append(_DISPLAY_BLOCK.sub(one, markdown[last:]))
    return "".join(out)
