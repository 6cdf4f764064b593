"""MkDocs hook for the anadiv site.

* Writes ``kinds/*.md``: one page per divergence kind beyond KL (its module's
  docstring, how to ask, its closed-form pairs) and an overview with the grid
  of which pairs are closed for which kind.
* Writes ``closed-forms.md`` from the closed-form registry
  (:func:`anadiv.closed_form_pairs`): per kind a P x Q grid per group of
  families (:func:`grid_markdown`), each mark linking to the pair's section
  with the formula (the LaTeX of the derivation, as stored in the generated
  function's docstring), the function's name and an example of the public
  calls (:func:`public_example`). The page can never drift from the code:
  both come from one expression.
* Writes a page per example notebook with its outputs (``notebook_pages.py``)
  and puts them in the navigation under "Examples".
* Serves MathJax from the site (:data:`MATHJAX_FILES`): no CDN.
* Breaks every page's long display formulas over lines (``formula_lines.py``).
* Leaves out of the navigation the pages other parts of the project have not
  written yet (links to them become plain text), and the ``::: module`` API
  sections whose module does not exist yet (logged at INFO, so
  ``mkdocs build --strict`` passes while the project grows).

The page generator is importable on its own (``closed_forms_markdown()``),
so tests can check it without building the site.
"""

from __future__ import annotations

import importlib
import importlib.util
import inspect
import logging
import re
from pathlib import Path
from typing import Any

log = logging.getLogger("mkdocs.hooks.anadiv")

GENERATED_PAGE = "closed-forms.md"
_DIRECTIVE = re.compile(r"^:::\s+([\w.]+)\s*$")


# ----------------------------------------------------------------- registry
def _registry() -> list[tuple[str, tuple[type, ...], str]]:
    """(kind, family classes, status) for every closed form, in a stable order."""
    from anadiv import api
    from anadiv.families import FAMILIES
    from anadiv.kinds import KINDS

    rows = []
    for kind in KINDS:
        for entry in api.closed_form_pairs(kind):
            names = (entry.p,) if entry.q is None else (entry.p, entry.q)
            # a hand-written rule (source "builtin") is named by module.qualname; a generated one by None
            builtin = entry.function if entry.source != "generated" else None
            rows.append((kind, tuple(FAMILIES[n] for n in names), entry.status, builtin))
    return rows


def _function(kind: str, fams: tuple[type, ...]) -> Any:
    from anadiv import api

    return api._raw(kind, fams if len(fams) > 1 else fams[0])


def formula_latex(func: Any) -> str | None:
    """The LaTeX of the ``.. math::`` block in a generated function's docstring."""
    doc = inspect.getdoc(func) or ""
    lines = doc.splitlines()
    for i, line in enumerate(lines):
        stripped = line.strip()
        if stripped.startswith(".. math::"):
            inline = stripped[len(".. math::"):].strip()
            if inline:
                return inline
            body = []
            for nxt in lines[i + 1:]:
                if body and not nxt.strip():
                    break
                if nxt.strip():
                    if not nxt.startswith((" ", "\t")):
                        break
                    body.append(nxt.strip())
            return " ".join(body) or None
    return None


_FUNCTION_NAMES = (
    (r"\operatorname{loggamma}", r"\log\Gamma"),
    (r"\operatorname{polygamma}{\left(0,", r"\psi{\left("),
    (r"\operatorname{polygamma}{\left(1,", r"\psi'{\left("),
)


def prettify_latex(latex: str) -> str:
    r"""Conventional names for sympy's functions, upright multi-letter parameter names.

    ``\operatorname{loggamma}`` becomes ``\log\Gamma``, ``polygamma(0, x)`` and
    ``polygamma(1, x)`` become ``\psi(x)`` and ``\psi'(x)``, and parameter names
    such as ``shape_{1}`` are set upright (``\mathrm{shape}_{1}``) instead of
    as a product of italic letters.
    """
    from anadiv.families import FAMILIES

    for old, new in _FUNCTION_NAMES:
        latex = latex.replace(old, new)
    names = {p.name for cls in FAMILIES.values() for p in cls.parameters if len(p.name) > 1}
    greek = {"mu", "sigma", "nu", "alpha", "beta", "lambda", "theta", "kappa", "tau"}
    words = "|".join(sorted(names - greek, key=len, reverse=True))
    # one pass, so a name is never wrapped twice; not inside commands (\\log, \\left)
    return re.sub(rf"(?<![\\a-zA-Z])({words})(?![a-zA-Z])", r"\\mathrm{\1}", latex)


def public_example(kind: str, fams: tuple[type, ...], func: Any) -> list[str]:
    """The section's example: the public calls (the distributions, and the raw function
    where a ``<kind>_function`` hands it out), with the docstring's arguments and value.

    The generated function's own docstring calls it by its bare name; users reach it
    through the public API, which is what the page shows.
    """
    import ast

    import anadiv
    from anadiv.kinds import KINDS

    example = _example(func)
    if example is None:
        return [f"Generated function: `{func.__name__}`.", ""]
    call, value = example
    outer = ast.parse(call, mode="eval").body
    inner = outer.args[0] if isinstance(outer, ast.Call) and outer.args else outer
    args = [ast.get_source_segment(call, a) for a in inner.args]
    extra = KINDS[kind].parameters
    n_p = len(fams[0].parameters)
    groups = [args[:n_p]] if len(fams) == 1 else [args[:n_p], args[n_p:len(args) - len(extra)]]
    dists = [f"{cls.__name__}({', '.join(a)})" for cls, a in zip(fams, groups)]
    kwargs = "".join(f", {spec.name}={a}" for spec, a in zip(extra, args[len(args) - len(extra):]))
    public = f"anadiv.{kind}({', '.join(dists)}{kwargs})"
    lines = ["```python", ">>> import anadiv", f">>> from anadiv import {', '.join(sorted({f.__name__ for f in fams}))}"]
    values = [ast.literal_eval(a) for a in inner.args]  # the docstring's literal arguments (no code is run)
    raw = float(func(*values))
    p_values = [values[:n_p]] if len(fams) == 1 else [values[:n_p], values[n_p:len(values) - len(extra)]]
    options = {spec.name: v for spec, v in zip(extra, values[len(values) - len(extra):])}
    try:
        shown = float(getattr(anadiv, kind)(*(cls(*v) for cls, v in zip(fams, p_values)), **options))
    except Exception:  # noqa: BLE001 (e.g. a pair whose checks refuse the example's parameters): raw call only
        shown = None
    if shown is not None and (shown == raw or abs(shown - raw) <= 1e-9 * max(1.0, abs(raw))):  # inf == inf
        lines += [f">>> {public}", value]
    if hasattr(anadiv, f"{kind}_function"):
        names = ", ".join(repr(f.name) for f in fams)
        lines += [f">>> {func.__name__} = anadiv.{kind}_function({names})  # the generated function: raw "
                  "parameters, no checks", f">>> {call}", value]
    lines.append("```")
    where = (f"`anadiv.{kind}_function({', '.join(repr(f.name) for f in fams)})` returns it"
             if hasattr(anadiv, f"{kind}_function") else f"`anadiv.{kind}` calls it")
    return [f"Generated function: `{func.__name__}` ({where}).", "", *lines, ""]


def _example(func: Any) -> tuple[str, str] | None:
    """The doctest call of a generated function and its printed value."""
    doc = inspect.getdoc(func) or ""
    lines = doc.splitlines()
    for i, line in enumerate(lines):
        s = line.strip()
        if s.startswith(">>> "):
            result = lines[i + 1].strip() if i + 1 < len(lines) else ""
            return s[4:].split("  #")[0].strip(), result
    return None


def _title(kind: str, fams: tuple[type, ...]) -> str:
    from anadiv.kinds import KINDS

    if len(fams) == 1:
        args = [", ".join(p.name for p in fams[0].parameters)]
    else:
        args = [", ".join(f"{p.name}_{i}" for p in f.parameters) for i, f in enumerate(fams, start=1)]
    return KINDS[kind].show([f"{f.__name__}({a})" for f, a in zip(fams, args)])


def _anchor(kind: str, fams: tuple[type, ...]) -> str:
    return "-".join([kind.replace("_", "-"), *(f.name.replace("_", "-") for f in fams)])


def _heading(kind: str) -> str:
    from anadiv.kinds import KINDS

    title = KINDS[kind].title
    return title[0].upper() + title[1:]


_STATUS_CELL = {
    "finite": "closed form",
    "infinite": "\\(+\\infty\\) (supports differ)",
    "conditional": "closed form, \\(+\\infty\\) where P's support is not inside Q's",
    "partial": "closed form where the trial counts are equal, none elsewhere",
}


def _status_cell(kind: str, status: str) -> str:
    """The table cell of a status, in the words of the kind for a conditional one."""
    from anadiv.kinds import KINDS

    if status == "conditional" and KINDS[kind].infinite_where != "where P's support is not inside Q's":
        return f"closed form, \\(+\\infty\\) {KINDS[kind].infinite_where}"
    return _STATUS_CELL.get(status, status)


def _counts(rows: list[tuple[str, tuple[type, ...], str]], kind: str) -> dict[str, int]:
    """Families and pairs of one kind by status; ``none``: pairs of families of one event
    dimension (and measure) with no closed form."""
    from anadiv.families import FAMILIES
    from anadiv.kinds import KINDS

    mine = [r for r in rows if r[0] == kind]
    fams = list(FAMILIES.values())
    if KINDS[kind].arity == 1:
        candidates = len(fams)
    else:
        candidates = sum(1 for a in fams for b in fams if a.event_ndim == b.event_ndim)
    out = {status: sum(1 for r in mine if r[2] == status)
           for status in ("finite", "conditional", "partial", "infinite")}
    # a mass function against a density: inf by one registry rule, not a listed row each
    singular = 0
    if KINDS[kind].arity == 2 and KINDS[kind].infinite_from_supports:
        listed = {r[1] for r in mine}
        singular = sum(1 for a in fams for b in fams
                       if a.event_ndim == b.event_ndim and a.measure != b.measure and (a, b) not in listed)
    out["infinite"] += singular
    out["singular"] = singular
    out["families"] = len(fams)
    out["none"] = candidates - len(mine) - singular
    return out


def counts_markdown(rows: list[tuple[str, tuple[type, ...], str]]) -> list[str]:
    """The table of counts per kind: families, finite, conditional and infinite closed forms, none."""
    from anadiv.kinds import KINDS

    out = [
        "| kind | families | closed form, finite | finite or \\(+\\infty\\) by the parameters | "
        "closed form where the trial counts are equal | always \\(+\\infty\\) (supports differ) | no closed form |",
        "|---|---|---|---|---|---|---|",
    ]
    for kind in KINDS:
        if not any(r[0] == kind for r in rows):
            continue
        c = _counts(rows, kind)
        out.append(f"| {_heading(kind)} | {c['families']} | {c['finite']} | {c['conditional']} | "
                   f"{c['partial']} | {c['infinite']} | {c['none']} |")
    singular = _counts(rows, "kl")["singular"] if any(r[0] == "kl" for r in rows) else 0
    out += ["", "\"No closed form\" counts the ordered pairs of families of the same event dimension (the "
            "families themselves for the entropy) that the engine cannot derive: estimate those. "
            f"\"Always infinite\" includes the {singular} ordered pairs of a discrete and a continuous family "
            "(a mass function against a density: each puts its mass where the other has none), answered by one "
            "rule of the registry and not listed below.", ""]
    return out


def _sibling(name: str) -> Any:
    """A module of this folder (mkdocs loads hooks by path: their folder is not on sys.path)."""
    import sys

    key = f"anadiv_docs_{name}"
    if key in sys.modules:
        return sys.modules[key]
    spec = importlib.util.spec_from_file_location(key, Path(__file__).with_name(f"{name}.py"))
    module = importlib.util.module_from_spec(spec)
    assert spec.loader is not None
    sys.modules[key] = module  # registered first: its dataclasses look their module up
    spec.loader.exec_module(module)
    return module


def _formula_lines() -> Any:
    return _sibling("formula_lines")


def _peers() -> Any:
    spec = importlib.util.spec_from_file_location("peer_kl_pairs", Path(__file__).with_name("peer_kl_pairs.py"))
    module = importlib.util.module_from_spec(spec)
    assert spec.loader is not None
    spec.loader.exec_module(module)
    return module


def peer_class(library: str, name: str) -> type | None:
    """The anadiv class standing for a peer library's class, or None."""
    import anadiv
    from anadiv.families import FAMILIES

    peers = _peers()
    if name == "Independent":
        return anadiv.Independent
    for cls in FAMILIES.values():
        if library == "torch" and cls.torch_name == name:
            return cls
        if library == "tfp" and cls.__name__ == peers.TFP_ALIASES.get(name, name):
            return cls
    return None


def peer_status(library: str, p_name: str, q_name: str) -> str:
    """anadiv's answer for a KL pair a peer library registers, as a table cell."""
    from anadiv import registry

    peers = _peers()
    for name in (p_name, q_name):
        if name in peers.CONSTRUCTIONS and name != "Independent":
            return peers.CONSTRUCTIONS[name]
    P, Q = peer_class(library, p_name), peer_class(library, q_name)
    missing = [n for n, c in ((p_name, P), (q_name, Q)) if c is None]
    if missing:
        return "not yet: no anadiv family for " + " and ".join(sorted(set(missing)))
    rule = registry.resolve("kl", P, Q)
    if rule is None:
        return "no closed form: estimated (`kl_quad`, `kl_estimate`)"
    if rule.source == "composite":
        return "closed form (composite: " + peers.CONSTRUCTIONS.get(p_name, "sum of the parts") + ")"
    return {"finite": "closed form", "conditional": "closed form, \\(+\\infty\\) by the supports",
            "partial": "closed form where the trial counts are equal",
            "infinite": "\\(+\\infty\\) (supports differ)"}.get(rule.status, rule.status)


def parity_markdown() -> list[str]:
    """Every KL pair PyTorch and TensorFlow Probability register, with anadiv's answer."""
    peers = _peers()
    out = ["## Parity with PyTorch and TensorFlow Probability", "",
           f"Every KL pair `torch.distributions` {peers.TORCH_VERSION} registers "
           f"({len(peers.TORCH_KL_PAIRS)} pairs) and every public pair TensorFlow Probability registers "
           f"({len(peers.TFP_KL_PAIRS)}, at commit `{peers.TFP_COMMIT[:8]}`), with anadiv's answer. "
           "`tests/test_peer_parity.py` checks the torch list against torch's own registry and anadiv's "
           "values against torch's on every pair both have.", ""]
    for library, title, pairs in (("torch", "PyTorch", peers.TORCH_KL_PAIRS), ("tfp", "TensorFlow Probability",
                                                                            peers.TFP_KL_PAIRS)):
        answered = sum(1 for p, q in pairs if not peer_status(library, p, q).startswith(("not yet", "torch's")))
        out += [f"### {title}: {answered} of {len(pairs)} answered", "", "| P | Q | anadiv | note |", "|---|---|---|---|"]
        for p, q in pairs:
            note = peers.TORCH_WRONG.get((p, q), "") if library == "torch" else ""
            note = "; ".join(n for n in (note, peers.NOTES.get((p, q), "")) if n)
            out.append(f"| {p} | {q} | {peer_status(library, p, q)} | {note} |")
        out.append("")
    return out


#: the mark of a grid cell by the pair's status; a pair with no closed form has an empty cell
GRID_MARKS = {
    "finite": ("\u25cf", "closed form"),
    "conditional": ("\u25d0", "closed form; +\u221e for some parameters"),
    "partial": ("\u25d2", "closed form where the trial counts are equal, none elsewhere"),
    "infinite": ("\u221e", "+\u221e for all parameters (the supports differ)"),
}


def _family_groups() -> list[list[type]]:
    """The families by event dimension and measure: a closed form only pairs families of one group."""
    from anadiv.families import FAMILIES

    groups: dict[tuple[int, str], list[type]] = {}
    for cls in FAMILIES.values():
        groups.setdefault((cls.event_ndim, cls.measure), []).append(cls)
    return list(groups.values())


def _grid_cell(kind: str, fams: tuple[type, ...], status: str | None) -> str:
    if status is None:
        return "<td></td>"
    from anadiv.kinds import KINDS

    mark, meaning = GRID_MARKS[status]
    if status == "conditional":  # in the kind's words: where it is infinite
        meaning = f"closed form; +\u221e {KINDS[kind].infinite_where}"
    title = f"{_title_plain(kind, fams)}: {meaning}"
    if status == "infinite":
        return f'<td title="{title}">{mark}</td>'
    return f'<td><a href="#{_anchor(kind, fams)}" title="{title}">{mark}</a></td>'


def _title_plain(kind: str, fams: tuple[type, ...]) -> str:
    from anadiv.kinds import KINDS

    return KINDS[kind].show([f.__name__ for f in fams])


def grid_markdown(kind: str, mine: list[tuple[str, tuple[type, ...], str, Any]]) -> list[str]:
    """One kind's closed forms as a P x Q grid per group of families (a column of families for the entropy).

    A cell links to the pair's formula below; the groups (univariate densities, mass
    functions, multivariate densities, ...) are the families that can pair at all.
    """
    from anadiv.kinds import KINDS

    status = {fams: st for _, fams, st, _ in mine}
    unary = KINDS[kind].arity == 1
    out = [" ".join(f"{mark} {meaning}." for mark, meaning in GRID_MARKS.values()
                    if any(st in status.values() for st in GRID_MARKS if GRID_MARKS[st][0] == mark))
           + " An empty cell: no closed form (estimate it). Each mark links to the pair's formula below.", ""]
    for group in _family_groups():
        if unary:
            rows = [f for f in group if (f,) in status]
            if not rows:
                continue
            body = "".join(f"<tr><th>{f.__name__}</th>{_grid_cell(kind, (f,), status[(f,)])}</tr>" for f in rows)
            out += ['<div class="closed-form-grid" markdown="0"><table>',
                    f"<thead><tr><th>P</th><th>{KINDS[kind].symbol}</th></tr></thead>",
                    f"<tbody>{body}</tbody></table></div>", ""]
            continue
        if not any((p, q) in status for p in group for q in group):
            continue
        head = "".join(f"<th><span>{q.__name__}</span></th>" for q in group)
        body = "".join(
            f"<tr><th>{p.__name__}</th>" + "".join(_grid_cell(kind, (p, q), status.get((p, q))) for q in group)
            + "</tr>" for p in group)
        out += ['<div class="closed-form-grid" markdown="0"><table>',
                f'<thead><tr><th class="corner">P \\ Q</th>{head}</tr></thead>',
                f"<tbody>{body}</tbody></table></div>", ""]
    infinite = [r for r in mine if r[2] == "infinite"]
    if infinite:
        names = ", ".join(f"`{builtin or _function(kind, fams).__name__}`" for _, fams, _, builtin in infinite)
        out += [f'??? note "The {len(infinite)} functions of the always-infinite pairs (they return +inf)"', "",
                f"    {names}", ""]
    return out


def closed_forms_markdown() -> str:
    """Markdown of the closed-form page, from the registry."""
    rows = _registry()
    out = [
        "# Closed forms",
        "",
        "Every closed form anadiv knows, generated from the registry when the site is built. Each "
        "formula is the expression the symbolic engine derived; the numeric function beside it was "
        "generated from that same expression (after the numerically stable rewrites), so this page, "
        "the code and the tests cannot disagree. Parameters carry the suffix `_1` for P and `_2` for Q.",
        "",
        "Pairs missing here have no closed form: use `anadiv.kl_estimate` (Monte Carlo with a "
        "confidence interval), `anadiv.kl_quad` (numerical integration) or, for Gaussian "
        "mixtures, `anadiv.gmm`; see [Estimation](estimation.md). From a shell, `anadiv pairs` "
        "prints the same list.",
        "",
    ]
    if not rows:
        out.append("*No closed form is registered yet.*")
        return "\n".join(out) + "\n"

    from anadiv.kinds import KINDS

    out += counts_markdown(rows) + parity_markdown()

    for kind in KINDS:
        mine = [r for r in rows if r[0] == kind]
        if not mine:
            continue
        out += [f"## {_heading(kind)}", ""]
        out += grid_markdown(kind, mine)
        if any(r[3] for r in mine):
            out += ["Functions named by their module are anadiv's hand-written rules (the Gaussians of "
                    "different covariance structure: `anadiv.gaussian_pairs`; the Wishart: `anadiv.wishart_pairs`, "
                    "see the API reference).", ""]
        for _, fams, status, builtin in mine:
            if status == "infinite":
                continue  # listed in the table; the formula is just +inf
            if builtin:
                out += _builtin_section(kind, fams, builtin)
                continue
            func = _function(kind, fams)
            out += [f"### {_title(kind, fams)} {{#{_anchor(kind, fams)}}}", ""]
            latex = formula_latex(func)
            if latex:
                out += ["\\[", prettify_latex(latex), "\\]", ""]
            if status == "conditional" and KINDS[kind].infinite_where != "where P's support is not inside Q's":
                out += [f"and \\(+\\infty\\) {KINDS[kind].infinite_where}.", ""]
            elif status == "conditional":
                out += ["where P's support lies inside Q's, and \\(+\\infty\\) elsewhere.", ""]
            elif status == "partial":
                out += ["where the trial counts are equal (\\(+\\infty\\) where P's support is not inside Q's); "
                        "elsewhere the function raises `NoClosedFormError`: estimate those.", ""]
            out += public_example(kind, fams, func)
            derive = KINDS[kind].route_name
            cli_kind = "" if kind == "kl" else f" --kind {kind.replace('_', '-')}"
            names = " ".join(f.name for f in fams)
            out += ["", f"Derivation: `anadiv.{derive}({', '.join(f.__name__ for f in fams)})`, "
                    f"or `anadiv derive {names}{cli_kind} --format latex`.", ""]
    return "\n".join(out) + "\n"


def _derived_latex(kind: str, fams: tuple[type, ...]) -> str | None:
    """The LaTeX of the engine's derivation for the pair, or None where the engine derives none."""
    from anadiv.errors import NoClosedFormError
    from anadiv.kinds import KINDS

    import sympy

    try:
        return sympy.latex(KINDS[kind].derive(*fams).total)
    except NoClosedFormError:
        return None


def _builtin_section(kind: str, fams: tuple[type, ...], name: str) -> list[str]:
    """The section of a hand-written rule: the engine's formula (else its docstring's) and how it is called."""
    from anadiv import registry
    from anadiv.kinds import KINDS

    func = registry.resolve(kind, *fams).function
    out = [f"### {_title(kind, fams)} {{#{_anchor(kind, fams)}}}", ""]
    derived = _derived_latex(kind, fams)
    latex = derived or formula_latex(func)
    if latex:
        out += ["\\[", prettify_latex(latex), "\\]", ""]
    args = "p" if len(fams) == 1 else "p, q"
    out += [f"Hand-written function: `{name}`, called as `{name}({args})` by `anadiv.{kind}({args})` with the "
            f"distributions; how each term is evaluated: `{func.__module__}`.", ""]
    if derived:
        cli_kind = "" if kind == "kl" else f" --kind {kind.replace('_', '-')}"
        call = f"anadiv.{KINDS[kind].route_name}({', '.join(f.__name__ for f in fams)})"
        out += [f"The formula is the engine's: `{call}`, "
                f"or `anadiv derive {' '.join(f.name for f in fams)}{cli_kind} --format latex`; the hand-written "
                "function is its stable evaluation.", ""]
    return out


# ------------------------------------------------------------ kind pages
#: the kinds beyond KL, each with a page ``kinds/<name>.md`` written from its object
KIND_PAGES = ("renyi", "hellinger", "bhattacharyya", "chi_square", "total_variation", "jeffreys", "jensen_shannon",
              "jensen_shannon_distance", "wasserstein2")
KINDS_INDEX = "kinds/index.md"


def _kind_page(kind: str) -> str:
    return f"kinds/{kind.replace('_', '-')}.md"


def _closed_pairs(kind: str) -> list[tuple[str, str, str]]:
    """(P, Q, how) of the pairs with a closed form of ``kind``, from the registry (and the kinds it derives from)."""
    from anadiv import api
    from anadiv.families import FAMILIES
    from anadiv.kinds import KINDS

    k = KINDS[kind]
    name = lambda n: FAMILIES[n].__name__  # noqa: E731
    if hasattr(k, "renyi_order"):
        return [(name(c.p), name(c.q), f"from the Renyi form at order {k.renyi_order:g}")
                for c in api.closed_form_pairs("renyi")]
    if kind == "jeffreys":
        kl = {(c.p, c.q): c for c in api.closed_form_pairs("kl")}
        return [(name(p), name(q), "KL(P || Q) + KL(Q || P)") for (p, q) in kl
                if (q, p) in kl and "partial" not in (kl[p, q].status, kl[q, p].status)]
    if not k.expectation:
        return _tried_pairs(kind)
    return [(name(c.p), name(c.q), "generated" if c.source == "generated" else f"`{c.function}`")
            for c in api.closed_form_pairs(kind)]


def _tried_pairs(kind: str) -> list[tuple[str, str, str]]:
    """The pairs whose closed form answers at the families' typical parameters (a kind outside the registry)."""
    import numpy as np

    from anadiv.errors import NoClosedFormError
    from anadiv.families import FAMILIES
    from anadiv.kinds import KINDS

    k = KINDS[kind]
    rng = np.random.default_rng(0)
    fams = sorted(FAMILIES.values(), key=lambda f: f.name)
    examples = {}
    for f in fams:
        try:
            examples[f] = f(*f.random_params(rng))
        except Exception:  # a family without typical draws: not listed
            continue
    out = []
    for a, pa in examples.items():
        for b, pb in examples.items():
            try:
                k.closed_form(None, pa, pb)
            except (NoClosedFormError, TypeError, ValueError):
                continue
            out.append((a.__name__, b.__name__, f"`{k.closed_route.replace(':', '.')}`"))
    return out


def kind_page_markdown(kind: str) -> str:
    """The page of one kind: its definition (the kind module's docstring), how to ask, its closed forms."""
    import inspect as _inspect

    from anadiv.kinds import KINDS

    k = KINDS[kind]
    module = importlib.import_module(type(k).__module__)
    doc = _rst_to_markdown(_inspect.cleandoc(module.__doc__ or ""))
    extra = "".join(f", {spec.name}=0.5" for spec in k.parameters)
    out = [f"# {_heading(kind)}", "", doc, "", "## How to ask", "",
           "```python", "import anadiv", "from anadiv import Normal, Mixture", "",
           f"r = anadiv.divergence({kind!r}, Normal(0.0, 1.0), Normal(1.0, 2.0){extra})",
           "r.value, r.error, r.method   # closed form if there is one, else quadrature, else Monte Carlo",
           f"anadiv.divergence_quad({kind!r}, p, q{', params={' + repr(k.parameters[0].name) + ': 0.5}' if k.parameters else ''})"
           "   # numerical integration, with its error bound",
           f"anadiv.divergence_estimate({kind!r}, p, q{', params={' + repr(k.parameters[0].name) + ': 0.5}' if k.parameters else ''}, n=100_000, seed=0)"
           "   # Monte Carlo, with a standard error and ci()",
           "```", ""]
    if hasattr(anadiv_module(), kind):
        args = "p, q" + "".join(f", {spec.name}" for spec in k.parameters)
        out += [f"`anadiv.{kind}({args})` is the closed form alone: it raises `NoClosedFormError` for a pair "
                "without one (naming the calls above).", ""]
    else:
        out += ["There is no closed form between the usual families (the logarithm of a sum of two densities); "
                "`anadiv.divergence` integrates numerically (univariate, 2-D Gaussians and their mixtures) or "
                "estimates by Monte Carlo.", ""]
    out += ["Quadrature and Monte Carlo read the same expectation under P as the formula above (a nonnegative "
            "integrand of second order near P = Q, plus the part carried where P has no mass); Monte Carlo's "
            "interval is the interval of that mean mapped through the kind's monotone map, so it stays in "
            "the kind's range. See [Estimation](../estimation.md).", ""]
    pairs = _closed_pairs(kind)
    out += ["## Closed forms", ""]
    if not pairs:
        out += ["None.", ""]
    else:
        out += [f"{len(pairs)} ordered pairs; the formulas of the generated ones are on the "
                "[closed-form page](../closed-forms.md).", "", "| P | Q | how |", "|---|---|---|"]
        out += [f"| {p} | {q} | {how} |" for p, q, how in pairs] + [""]
    if k.route is not None:
        out += [f"Derivation with LaTeX: `anadiv.{k.route_name}(P, Q)`; from a shell: "
                f"`anadiv derive normal normal --kind {k.cli_name}`.", ""]
    return "\n".join(out) + "\n"


def _rst_to_markdown(text: str) -> str:
    """The reST math and roles of a docstring as Markdown (the API pages' rewrite, :mod:`griffe_math`)."""
    spec = importlib.util.spec_from_file_location("griffe_math_rst", Path(__file__).with_name("griffe_math.py"))
    module = importlib.util.module_from_spec(spec)
    assert spec.loader is not None
    spec.loader.exec_module(module)
    return module.rst_to_markdown(text).replace("``", "`")


def anadiv_module() -> Any:
    import anadiv

    return anadiv


def kinds_index_markdown() -> str:
    """The overview: each kind, and a grid of which same-family pairs have a closed form of which kind."""
    from anadiv import api
    from anadiv.families import FAMILIES
    from anadiv.kinds import KINDS

    kinds = ("kl", *KIND_PAGES)
    closed = {"kl": {(FAMILIES[c.p].__name__, FAMILIES[c.q].__name__) for c in api.closed_form_pairs("kl")
                     if c.q is not None and c.status != "partial"}}
    for kind in KIND_PAGES:
        closed[kind] = {(p, q) for p, q, _ in _closed_pairs(kind)}
    same = sorted({p for p, q in closed["kl"] if p == q} | {p for kind in KIND_PAGES for p, q in closed[kind] if p == q})
    out = ["# Divergences beyond KL", "",
           "Each kind is one object (`anadiv.kinds.KINDS`) read the same way by the closed forms, quadrature, "
           "Monte Carlo and the command line. `anadiv.divergence(kind, p, q)` answers any of them for any pair "
           "it can evaluate and says how it did it.", "", "| kind | definition | page |", "|---|---|---|"]
    for kind in kinds:
        k = KINDS[kind]
        page = "[closed forms](../closed-forms.md)" if kind == "kl" else f"[{k.title}]({kind.replace('_', '-')}.md)"
        out.append(f"| `{kind}` | `{k.definition}` | {page} |")
    out += ["", "## Which pairs are closed for which kind", "",
            "Two members of one family; the pairs of different families are listed on each kind's page (KL: "
            "the [closed-form page](../closed-forms.md)). A dash: quadrature or Monte Carlo, through "
            "`anadiv.divergence`.", "",
            "| family | " + " | ".join(KINDS[k].symbol for k in kinds) + " |",
            "|---|" + "---|" * len(kinds)]
    for fam in same:
        cells = ["yes" if (fam, fam) in closed[k] else "-" for k in kinds]
        out.append(f"| {fam} | " + " | ".join(cells) + " |")
    return "\n".join(out) + "\n"


# ----------------------------------------------------------- mkdocs events
def _module_exists(name: str) -> bool:
    try:
        return importlib.util.find_spec(name) is not None
    except (ImportError, ValueError):
        return False


def _object_exists(path: str) -> bool:
    """``anadiv.api`` or ``anadiv.families.Normal``: module, or attribute of one."""
    if _module_exists(path):
        return True
    module, _, attr = path.rpartition(".")
    if not module or not _module_exists(module):
        return False
    try:
        return hasattr(importlib.import_module(module), attr)
    except Exception:  # a half-written module: leave its section out
        return False


def _prune_nav(nav: Any, docs_dir: Path, generated: set[str]) -> Any:
    if isinstance(nav, list):
        kept = [_prune_nav(item, docs_dir, generated) for item in nav]
        return [k for k in kept if k not in (None, [], {})]
    if isinstance(nav, dict):
        out = {}
        for title, value in nav.items():
            pruned = _prune_nav(value, docs_dir, generated)
            if pruned not in (None, [], {}):
                out[title] = pruned
        return out
    if isinstance(nav, str) and not nav.startswith(("http://", "https://")):
        if nav in generated or (docs_dir / nav).exists():
            return nav
        log.info("anadiv docs: page %s is not written yet; left out of the navigation", nav)
        return None
    return nav


def _notebook_pages() -> Any:
    return _sibling("notebook_pages")


def on_config(config: Any) -> Any:
    generated = {GENERATED_PAGE, KINDS_INDEX, *(_kind_page(k) for k in KIND_PAGES)}
    config.nav = _prune_nav(config.nav, Path(config.docs_dir), generated)
    # the example notebooks, after the guide: one page each (written in on_files)
    nb = _notebook_pages()
    examples = {"Examples": [{nb.title(p): nb.page_path(p)} for p in nb.notebooks()]}
    at = next((i + 1 for i, item in enumerate(config.nav) if isinstance(item, dict) and "Guide" in item),
              len(config.nav))
    config.nav.insert(at, examples)
    return config


#: MathJax's files the site serves (from the django-static-mathjax package: MathJax 3's
#: ``es5`` build): the TeX-to-HTML component, its fonts, the TeX extensions it loads on
#: demand, and the menu's accessibility parts. The speech engine (``sre``, 4 MB) is left
#: out: only the menu's speech options ask for it.
MATHJAX_SITE_DIR = "javascripts/mathjax"
MATHJAX_FILES = ("tex-mml-chtml.js", "output/chtml/fonts/woff-v2", "input/tex/extensions", "a11y", "ui")


def mathjax_sources() -> list[tuple[str, Path]]:
    """(path in the site, file) of every MathJax file the site serves."""
    spec = importlib.util.find_spec("mathjax")
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError("MathJax is served from the site: install the docs extra (django-static-mathjax)")
    es5 = Path(list(spec.submodule_search_locations)[0]) / "static" / "mathjax" / "es5"
    out = []
    for name in MATHJAX_FILES:
        path = es5 / name
        found = sorted(p for p in path.rglob("*") if p.is_file()) if path.is_dir() else [path]
        out += [(f"{MATHJAX_SITE_DIR}/{p.relative_to(es5).as_posix()}", p) for p in found]
    return out


def on_files(files: Any, config: Any) -> Any:
    from mkdocs.structure.files import File

    for dest, source in mathjax_sources():
        files.append(File.generated(config, dest, abs_src_path=str(source)))
    for page in _notebook_pages().pages():
        files.append(File.generated(config, page.page, content=page.markdown))
        for name, data in page.files.items():
            files.append(File.generated(config, name, content=data))

    try:
        content = closed_forms_markdown()
    except (ImportError, AttributeError) as exc:  # the registry has not landed yet
        log.info("anadiv docs: closed-form registry unavailable (%s)", exc)
        content = "# Closed forms\n\n*The closed-form registry is not available in this build.*\n"
    files.append(File.generated(config, GENERATED_PAGE, content=content))
    files.append(File.generated(config, KINDS_INDEX, content=kinds_index_markdown()))
    for kind in KIND_PAGES:
        files.append(File.generated(config, _kind_page(kind), content=kind_page_markdown(kind)))
    return files


# Pages other parts of the project write; until one exists, links to it are
# shown as plain text (and it is left out of the navigation).
OTHERS_PAGES = ("derivation.md", "accuracy.md", "discrete.md", "estimation.md", "generated-code.md",
                "architecture.md")


def _unlink_missing(markdown: str, docs_dir: Path) -> str:
    for name in OTHERS_PAGES:
        if (docs_dir / name).exists():
            continue
        pattern = re.compile(r"\[([^\]]+)\]\(" + re.escape(name) + r"(#[^)]*)?\)")
        if pattern.search(markdown):
            log.info("anadiv docs: %s is not written yet; links to it are plain text", name)
            markdown = pattern.sub(r"\1", markdown)
    return markdown


def on_page_markdown(markdown: str, page: Any, config: Any, files: Any) -> str:
    """Drop ``::: module`` directives whose module does not exist yet, and
    links to pages not written yet."""
    markdown = _unlink_missing(markdown, Path(config.docs_dir))
    markdown = _formula_lines().break_display_blocks(markdown)
    lines = markdown.splitlines()
    out: list[str] = []
    skipping = False
    for line in lines:
        m = _DIRECTIVE.match(line)
        if m:
            skipping = not _object_exists(m.group(1))
            if skipping:
                log.info("anadiv docs: %s does not exist yet; its API section is left out", m.group(1))
                continue
        elif skipping and (line.startswith((" ", "\t")) or not line.strip()):
            continue  # the directive's indented options
        else:
            skipping = False
        out.append(line)
    return "\n".join(out)
