"""The derivation engine: decomposition, the Derivation object, supports, coverage, matrix forms.

Numerical agreement of every univariate closed form with quadrature is in
``test_closed_forms_quadrature.py``; here: the engine's parts, the infinite
cases, the error messages, the multivariate and diagonal normal.
"""

from __future__ import annotations

import itertools

import mpmath
import numpy as np
import pytest
import sympy as sp

import anadiv
from anadiv import FAMILIES, NoClosedFormError
from anadiv.symbolic import (
    Derivation,
    derivable_pairs,
    derive_cross_entropy,
    derive_entropy,
    derive_kl,
    kl_symbolic,
    no_closed_form_pairs,
)
from anadiv.symbolic.expectations import REPRESENTATIONS, expectation
from anadiv.symbolic.mvn import instantiate
from anadiv.symbolic.terms import Term, decompose

F = FAMILIES
Normal, Laplace, Uniform, Cauchy = F["normal"], F["laplace"], F["uniform"], F["cauchy"]
MVN, Diag = F["multivariate_normal"], F["diagonal_normal"]


# ------------------------------------------------------------ decomposition
def test_decompose_normal_log_density_into_powers():
    x = sp.Symbol("x", real=True)
    mu, s = Normal.symbols("2")
    const, pieces = decompose(Normal.sym_logpdf(x, mu, s), x)
    assert pieces == {Term("pow", (sp.Integer(2),)): -1 / (2 * s**2), Term("pow", (sp.Integer(1),)): mu / s**2}
    assert sp.simplify(const - (-(mu**2) / (2 * s**2) - sp.log(s) - sp.log(2 * sp.pi) / 2)) == 0


def test_decompose_laplace_and_cauchy_terms():
    x = sp.Symbol("x", real=True)
    loc, b = Laplace.symbols("2")
    _, pieces = decompose(Laplace.sym_logpdf(x, loc, b), x)
    assert pieces == {Term("abs", (loc,)): -1 / b}
    loc, s = Cauchy.symbols("2")
    _, pieces = decompose(Cauchy.sym_logpdf(x, loc, s), x)
    assert pieces == {Term("logquad", (loc, s**2)): -1}


@pytest.mark.parametrize("name", sorted(REPRESENTATIONS))
def test_base_representation_reproduces_the_declared_density(name):
    """X = transform(Y): p_X(x) = p_Y(inverse(x)) |d inverse/dx| must equal exp(sym_logpdf)."""
    cls, rep = F[name], REPRESENTATIONS[name]
    x, y = sp.Symbol("x", real=True), sp.Symbol("y", real=True)
    rng = np.random.default_rng(11)
    for _ in range(3):
        params = tuple(sp.Float(v, 30) for v in cls.random_params(rng))
        lo, hi = (float(v) for v in cls._np_support(*[np.asarray(float(v)) for v in params]))
        inv = rep.inverse(x, *params)
        jac = sp.Abs(sp.diff(inv, x))
        for u in (0.17, 0.5, 0.83):  # points inside the support via the base quantile-free map
            xv = sp.Float(lo + u * (hi - lo), 30) if np.isfinite(lo) and np.isfinite(hi) else sp.Float(
                (lo if np.isfinite(lo) else -3.0) + 4 * u, 30)
            yv = inv.subs(x, xv)
            dens = [d for a, b, d in rep.pieces(y, *params) if (sp.sympify(a) <= yv) == sp.true and (yv <= sp.sympify(b)) == sp.true]
            assert dens, (name, xv)
            via_base = dens[0].subs(y, yv) * jac.subs(x, xv)
            declared = sp.exp(cls.sym_logpdf(xv, *params))
            assert abs(sp.N(via_base - declared, 25)) < 1e-20 * abs(sp.N(declared, 25))
            assert sp.N(rep.transform(yv, *params) - xv, 25) == pytest.approx(0, abs=1e-20)


def test_expectation_carries_its_finiteness_condition():
    nu, loc, s = F["studentt"].symbols("1")
    m = expectation(F["studentt"], (nu, loc, s), Term("pow", (sp.Integer(2),)))
    assert sp.simplify(m.finite.subs(nu, 3)) == sp.true
    assert sp.simplify(m.finite.subs(nu, 2)) == sp.false
    assert sp.simplify(m.value.subs({loc: 0, s: 1}) - nu / (nu - 2)) == 0


# --------------------------------------------------------- Derivation object
def test_derivation_attributes_and_rendering():
    d = derive_kl(Normal, Normal)
    assert isinstance(d, Derivation)
    assert d.kind == "kl" and d.families == (Normal, Normal)
    assert d.symbols == (Normal.symbols("1"), Normal.symbols("2"))
    mu1, s1, mu2, s2 = (*d.symbols[0], *d.symbols[1])
    expected = sp.log(s2 / s1) + (s1**2 + (mu1 - mu2) ** 2) / (2 * s2**2) - sp.Rational(1, 2)
    assert sp.simplify(d.expr - expected) == 0
    assert sp.StrictGreaterThan(s1, 0, evaluate=False) in d.conditions
    assert sp.true not in d.conditions
    assert any(step.startswith("log q(x) =") for step in d.steps)
    assert any("E_P[x**2]" in step for step in d.steps)
    latex = d._repr_latex_()
    assert latex.startswith("$") and latex.endswith("$") and r"\log" in latex
    assert r"\mathrm{KL}" in latex
    text = str(d)
    assert text.startswith("KL(Normal || Normal) =")


def test_source_comes_from_the_code_generator_or_says_why_not():
    d = derive_kl(Normal, Normal)
    try:
        src = d.source
    except ImportError as exc:
        assert "anadiv.codegen" in str(exc)
    else:
        assert "def " in src


def test_entropy_uses_unsuffixed_symbols_and_cross_entropy_identity():
    h = derive_entropy(Normal)
    assert h.kind == "entropy" and h.symbols == (Normal.symbols(""),)
    mu, s = Normal.symbols("")
    assert sp.simplify(h.expr - sp.log(2 * sp.pi * sp.E * s**2) / 2) == 0
    ce, kl = derive_cross_entropy(Normal, Normal), derive_kl(Normal, Normal)
    h1 = h.expr.xreplace(dict(zip(Normal.symbols(""), Normal.symbols("1"))))
    assert sp.simplify(ce.expr - (h1 + kl.expr)) == 0


def test_instances_substitute_their_parameters():
    m, s = sp.symbols("m s", positive=True)
    expr = derive_kl(Normal(0, s), Normal(m, 1)).expr
    assert expr.free_symbols == {m, s}
    assert sp.simplify(expr - (-sp.log(s) + (s**2 + m**2) / 2 - sp.Rational(1, 2))) == 0
    value = derive_kl(Normal(0.3, 1.2), Normal(1.0, 2.0)).expr
    assert float(value) == pytest.approx(float(anadiv.kl_quad(Normal(0.3, 1.2), Normal(1.0, 2.0))), rel=1e-12)


def test_kl_with_sympy_parameters_returns_the_expression():
    m1, m2 = sp.symbols("m1 m2", real=True)
    s1, s2 = sp.symbols("s1 s2", positive=True)
    expr = kl_symbolic(Normal(m1, s1), Normal(m2, s2))
    assert sp.simplify(expr - (sp.log(s2 / s1) + (s1**2 + (m1 - m2) ** 2) / (2 * s2**2) - sp.Rational(1, 2))) == 0
    try:
        via_api = anadiv.kl(Normal(m1, s1), Normal(m2, s2))
    except (ImportError, AttributeError):  # pragma: no cover - api routing owned elsewhere
        return
    assert sp.simplify(via_api - expr) == 0


# ------------------------------------------------------------ supports, oo
@pytest.mark.parametrize("p,q", [("normal", "exponential"), ("normal", "uniform"), ("laplace", "beta"),
                                 ("gamma", "beta"), ("cauchy", "normal"), ("cauchy", "laplace"),
                                 ("cauchy", "gumbel"), ("studentt", "gumbel"), ("exponential", "uniform")])
def test_infinite_pairs_are_oo(p, q):
    d = derive_kl(F[p], F[q])
    assert d.expr == sp.oo
    assert derive_cross_entropy(F[p], F[q]).expr == sp.oo


def test_uniform_uniform_is_piecewise_on_containment():
    d = derive_kl(Uniform, Uniform)
    assert isinstance(d.expr, sp.Piecewise)
    zero, one, two = sp.Integer(0), sp.Integer(1), sp.Integer(2)
    assert derive_kl(Uniform(zero, one), Uniform(-one, two)).expr == sp.log(3)
    assert float(derive_kl(Uniform(0, 1), Uniform(-1, 2)).expr) == pytest.approx(np.log(3), rel=1e-15)
    assert derive_kl(Uniform(0, 1), Uniform(0.5, 2)).expr == sp.oo
    assert derive_kl(Uniform(zero, one), Uniform(zero, one)).expr == 0


def test_moment_conditions_decide_infinity():
    d = derive_kl(F["studentt"], Normal)
    assert derive_kl(F["studentt"](1.5, 0, 1), Normal(0, 1)).expr == sp.oo
    assert derive_kl(F["studentt"](2.5, 0, 1), Normal(0, 1)).expr.is_finite
    assert d.expr.has(sp.Piecewise)
    assert derive_kl(Laplace(0, 2), F["gumbel"](0, 1)).expr == sp.oo  # E exp(-x/s) diverges: scale_1 >= scale_2
    assert derive_kl(Laplace(0, 0.5), F["gumbel"](0, 1)).expr.is_finite
    assert derive_kl(Uniform(-1, 1), F["exponential"](1)).expr == sp.oo
    assert derive_kl(Uniform(0.5, 1), F["exponential"](1)).expr.is_finite


def test_no_closed_form_names_the_alternatives():
    for p, q in [("studentt", "studentt"), ("normal", "cauchy"), ("beta", "gumbel")]:
        with pytest.raises(NoClosedFormError) as info:
            derive_kl(F[p], F[q])
        assert isinstance(info.value, NotImplementedError)
        assert "anadiv.kl_quad" in str(info.value) and "anadiv.kl_estimate" in str(info.value)
    with pytest.raises(NoClosedFormError, match="cross_entropy_quad"):
        derive_cross_entropy(F["studentt"], F["studentt"])


def test_rejects_non_families():
    with pytest.raises(TypeError):
        derive_kl(int, Normal)


# ----------------------------------------------------------------- coverage
PYTORCH_FINITE_CROSS = [
    ("exponential", "gamma"), ("exponential", "gumbel"), ("exponential", "normal"),
    ("gamma", "exponential"), ("gamma", "gumbel"), ("gamma", "normal"),
    ("laplace", "normal"), ("normal", "gumbel"), ("normal", "laplace"),
    ("uniform", "beta"), ("uniform", "exponential"), ("uniform", "gamma"), ("uniform", "gumbel"), ("uniform", "normal"),
]
LAPLACE_AS_Q = ["normal", "exponential", "gamma", "uniform", "beta", "gumbel", "laplace", "lognormal", "weibull"]


# Families whose closed forms are evaluated by anadiv's hand-written rules (anadiv.gaussian_pairs:
# Woodbury algebra; anadiv.wishart_pairs: Cholesky factors, eigenvalues, an exact path); the registry
# lists them with source "builtin".
BUILTIN = {"lowrank_multivariate_normal", "wishart"}
# ... of which the engine derives none: the Wishart's it derives (anadiv/symbolic/wishart.py, the
# exponential-family route; tests/test_wishart_derivation.py), the LowRank's it does not
BUILTIN_ONLY = BUILTIN - {"wishart"}


def test_builtin_families_have_registered_closed_forms():
    import anadiv

    for kind in ("kl", "cross_entropy", "entropy"):
        rows = {(c.p, c.q): c.source for c in anadiv.closed_form_pairs(kind)}
        for name in BUILTIN:
            assert rows[(name, None if kind == "entropy" else name)] == "builtin", (kind, name)


def test_coverage_of_pairs():
    pairs = {(P.name, Q.name) for P, Q in derivable_pairs("kl")}
    assert len(pairs) >= 60
    # a Student t, a logistic and a Kumaraswamy have no closed-form KL against another member of their family
    no_self_kl = {"studentt", "logistic", "kumaraswamy"}
    for name, fam in FAMILIES.items():
        if name not in no_self_kl | BUILTIN_ONLY:
            assert (name, name) in pairs
        else:
            assert (name, name) not in pairs
    assert set(PYTORCH_FINITE_CROSS) <= pairs
    assert {(p, "laplace") for p in LAPLACE_AS_Q} <= pairs
    assert ("cauchy", "cauchy") in pairs
    failing = {(P.name, Q.name) for (P, Q), _ in no_closed_form_pairs("kl")}
    assert ("studentt", "studentt") in failing and not failing & pairs
    # E[log k!] under a Poisson has no closed form, so neither has its entropy
    # E[log k!], E[log x_k!], E[log C(n, k)], E[log gamma(k + r)]
    # and E[log x(1 - x)] under a LogitNormal is not elementary
    no_entropy = BUILTIN_ONLY | {"poisson", "multinomial", "binomial", "negative_binomial", "logitnormal"}
    assert {P for (P,) in derivable_pairs("entropy")} == {F for n, F in FAMILIES.items() if n not in no_entropy}
    # a Multinomial's cross-entropy holds E[log x_k!] too; its KL does not (the log h terms cancel)
    assert {P.name for P, _ in derivable_pairs("cross_entropy")} == {P.name for P, _ in derivable_pairs("kl")} - {
        "multinomial"}


def test_cauchy_cauchy_closed_form():
    d = derive_kl(Cauchy, Cauchy)
    l1, s1, l2, s2 = (*d.symbols[0], *d.symbols[1])
    assert sp.simplify(sp.exp(d.expr) - ((s1 + s2) ** 2 + (l1 - l2) ** 2) / (4 * s1 * s2)) == 0


# ------------------------------------------------------ multivariate normal
def _explicit_kl(dim: int):
    """KL of two explicit dim x dim Gaussians by expanding log q in x and taking moments."""
    mu1, S1 = MVN.explicit_symbols("1", dim)
    mu2, S2 = MVN.explicit_symbols("2", dim)
    xs = sp.symbols(f"x0:{dim}", real=True)
    xv = sp.Matrix(xs)

    def expected(logdensity):
        poly = sp.Poly(sp.expand(logdensity), *xs)
        total = sp.Integer(0)
        for monom, coeff in poly.terms():
            idx = [i for i, k in enumerate(monom) for _ in range(k)]
            if len(idx) == 0:
                m = 1
            elif len(idx) == 1:
                m = mu1[idx[0]]
            else:  # second moment E[x_i x_j] = Sigma_ij + mu_i mu_j
                m = S1[idx[0], idx[1]] + mu1[idx[0]] * mu1[idx[1]]
            total += coeff * m
        return total

    kl = expected(MVN.sym_logpdf(xv, mu1, S1)) - expected(MVN.sym_logpdf(xv, mu2, S2))
    return kl, (mu1, S1, mu2, S2)


def _random_spd(rng, dim):
    a = rng.normal(size=(dim, dim))
    return a @ a.T + dim * np.eye(dim) * 0.5


@pytest.mark.parametrize("dim", [2, 3])
def test_matrix_form_equals_explicit_expansion(dim):
    general = derive_kl(MVN, MVN)
    explicit, (mu1, S1, mu2, S2) = _explicit_kl(dim)
    rng = np.random.default_rng(dim)
    for _ in range(3):
        vals = {}
        m1, m2 = rng.normal(size=dim), rng.normal(size=dim)
        C1, C2 = _random_spd(rng, dim), _random_spd(rng, dim)
        for sym_m, vm in ((mu1, m1), (mu2, m2)):
            vals.update({sym_m[i]: sp.Float(vm[i], 30) for i in range(dim)})
        for sym_c, vc in ((S1, C1), (S2, C2)):
            vals.update({sym_c[i, j]: sp.Float(vc[i, j], 30) for i in range(dim) for j in range(dim)})
        a = sp.N(explicit.xreplace(vals), 30)
        exact = [sp.Matrix(dim, 1, lambda i, j: vals[sym_m[i]]) for sym_m in (mu1, mu2)]
        covs = [sp.Matrix(dim, dim, lambda i, j: vals[sym_c[i, j]]) for sym_c in (S1, S2)]
        b = instantiate(general, [(exact[0], covs[0]), (exact[1], covs[1])]).expr
        assert abs(sp.N(a - b, 30)) < 1e-25
        assert float(b) == pytest.approx(float(derive_kl(MVN(m1, C1), MVN(m2, C2)).expr), rel=1e-13)
    # the matrix form itself: trace, log-determinant and quadratic form atoms only
    assert general.expr.has(sp.Trace) and general.expr.has(sp.Determinant)


def test_mvn_entropy_cross_entropy_and_self_kl():
    h = derive_entropy(MVN)
    mu, S = h.symbols[0]
    d = mu.shape[0]
    assert sp.simplify(h.expr - (d * sp.log(2 * sp.pi) / 2 + d / 2 + sp.log(sp.Determinant(S)) / 2)) == 0
    kl = derive_kl(MVN, MVN)
    (m1, S1), (m2, S2) = kl.symbols
    same = kl.expr.xreplace({m2: m1, S2: S1}).doit()
    assert sp.simplify(same) == 0
    ce = derive_cross_entropy(MVN, MVN)
    h1 = h.expr.xreplace({mu: m1, S: S1})
    assert sp.simplify(ce.expr - h1 - kl.expr) == 0


def test_mvn_d2_against_dblquad():
    from scipy.integrate import dblquad

    rng = np.random.default_rng(5)
    for _ in range(2):
        m1, m2 = rng.normal(size=2) * 0.5, rng.normal(size=2) * 0.5
        C1, C2 = _random_spd(rng, 2) * 0.4, _random_spd(rng, 2) * 0.6
        p, q = MVN(m1, C1), MVN(m2, C2)
        closed = float(derive_kl(p, q).expr)

        def gauss(mean, cov):
            # plain-float log-density: dblquad calls it ~1e5 times
            (a, b), (_, c) = np.linalg.inv(cov).tolist()
            m0, m1_ = mean.tolist()
            const = -np.log(2 * np.pi) - 0.5 * np.log(np.linalg.det(cov))
            return lambda x, y: const - 0.5 * (a * (x - m0) ** 2 + 2 * b * (x - m0) * (y - m1_) + c * (y - m1_) ** 2)

        lp_f, lq_f = gauss(m1, C1), gauss(m2, C2)

        def f(y, x):
            lp = lp_f(x, y)
            return np.exp(lp) * (lp - lq_f(x, y))

        r = 9.0 * float(np.sqrt(np.max(np.linalg.eigvalsh(C1))))
        value, _ = dblquad(f, m1[0] - r, m1[0] + r, m1[1] - r, m1[1] + r, epsabs=1e-11, epsrel=1e-10)
        assert closed == pytest.approx(value, rel=1e-8)
        h = float(derive_entropy(p).expr)
        assert h == pytest.approx(0.5 * np.log(np.linalg.det(2 * np.pi * np.e * C1)), rel=1e-12)


def test_diagonal_normal_is_the_coordinate_sum():
    d = derive_kl(Diag, Diag)
    assert d.coordinate_sum
    assert isinstance(d.total, sp.Sum)
    m1, s1 = Diag.symbols("1")
    m2, s2 = Diag.symbols("2")
    assert d.symbols == ((m1, s1), (m2, s2))
    assert d.expr.free_symbols == {m1, s1, m2, s2}
    p = Diag(np.array([0.1, -0.4, 1.0]), np.array([1.2, 0.5, 2.0]))
    q = Diag(np.array([0.0, 0.3, 0.5]), np.array([1.0, 0.9, 1.5]))
    diag_value = float(derive_kl(p, q).expr)
    full = float(derive_kl(MVN(p.mean, np.diag(p.scale**2)), MVN(q.mean, np.diag(q.scale**2))).expr)
    assert diag_value == pytest.approx(full, rel=1e-13)
    per = sum(float(derive_kl(Normal(a, b), Normal(c, e)).expr) for a, b, c, e in zip(p.mean, p.scale, q.mean, q.scale))
    assert diag_value == pytest.approx(per, rel=1e-13)
    assert derive_entropy(Diag).coordinate_sum
    assert d._repr_latex_().startswith("$") and r"\sum" in d._repr_latex_()


def test_vector_families_pair_only_with_themselves():
    with pytest.raises(NoClosedFormError):
        derive_kl(Diag, MVN)
    pairs = derivable_pairs("kl")
    assert (MVN, MVN) in pairs and (Diag, Diag) in pairs
    assert not any((P is MVN) != (Q is MVN) for P, Q in pairs)

