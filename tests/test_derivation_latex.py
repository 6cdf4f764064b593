"""Derivation.latex(): one simplified formula, its conditions, its steps; the display form keeps the value."""

from __future__ import annotations

import doctest
import pickle

import mpmath
import numpy as np
import pytest
import sympy as sp

from anadiv import Beta, Exponential, Gamma, Laplace, MultivariateNormal, Normal, Uniform
from anadiv.symbolic import derive_entropy, derive_kl, derive_renyi
from anadiv.symbolic.display import display_form, term_count
from anadiv.symbolic.steps import Step, equation, latex_text, steps_latex


def test_normal_kl_is_the_textbook_formula_with_its_conditions_on_a_second_line():
    d = derive_kl(Normal, Normal)
    assert d.latex() == (
        r"\mathrm{KL}\left(P \,\|\, Q\right) = \log\frac{\sigma_{2}}{\sigma_{1}} + "
        r"\frac{\sigma_{1}^{2} + \left(\mu_{1} - \mu_{2}\right)^{2}}{2 \sigma_{2}^{2}} - \frac{1}{2} \\" "\n"
        r"\sigma_{1} > 0,\ \sigma_{2} > 0"
    )


def test_no_plain_text_in_the_formula():
    text = derive_kl(Normal, Normal).latex()
    for plain in ("where", "KL(", "sigma_1", "||", "log("):
        assert plain not in text


def test_logs_of_numbers_are_combined():
    # H(N(mu, sigma)) = log sigma + (1/2) log(2 pi) + 1/2: was log(2)/2 + log(pi)/2
    d = derive_entropy(Normal)
    assert term_count(d.expr) == 4 and term_count(d.display_expr) == 3
    assert d.latex().splitlines()[0] == (
        r"H\left(P\right) = \log \sigma + \frac{1}{2} \log\left(2 \pi\right) + \frac{1}{2} \\")


def test_beta_kl_is_grouped_by_digamma_and_one_log_gamma_ratio():
    d = derive_kl(Beta, Beta)
    assert term_count(d.expr) == 14
    assert term_count(d.display_expr) == 4
    a1, b1 = Beta.symbols("1")
    a2, b2 = Beta.symbols("2")
    assert d.display_expr == (
        (a1 - a2) * sp.polygamma(0, a1) + (b1 - b2) * sp.polygamma(0, b1)
        + (a2 + b2 - a1 - b1) * sp.polygamma(0, a1 + b1)
        + sp.log(sp.gamma(a2) * sp.gamma(b2) * sp.gamma(a1 + b1) / (sp.gamma(a1) * sp.gamma(b1) * sp.gamma(a2 + b2))))
    first = d.latex().splitlines()[0]
    assert r"\psi\left(a_{1} + b_{1}\right)" in first and "polygamma" not in first and "loggamma" not in first


def _random_points(d, rng, count):
    """Exact rational parameter values drawn by the families (the valid region), one dict per point."""
    points = []
    for _ in range(count):
        point = {}
        for family, symbols in zip(d.families, d.symbols):
            for s, v in zip(symbols, family.random_params(rng)):
                point[s] = sp.Rational(str(round(float(v), 4)))
        points.append(point)
    return points


@pytest.mark.parametrize("derive", [
    lambda: derive_kl(Normal, Normal),
    lambda: derive_kl(Beta, Beta),
    lambda: derive_kl(Gamma, Gamma),
    lambda: derive_kl(Beta, Laplace),
    lambda: derive_entropy(Normal),
    lambda: derive_renyi(Exponential, Exponential, alpha=sp.Rational(1, 3)),
], ids=["normal", "beta", "gamma", "beta-laplace", "normal-entropy", "renyi-exponential"])
def test_the_display_form_has_the_derived_value(derive):
    d = derive()
    shown = display_form(d.expr)
    assert shown != d.expr or term_count(d.expr) <= 3  # something was rewritten where there was something to do
    for point in _random_points(d, np.random.default_rng(7), 4):
        exact = sp.N(d.expr.xreplace(point), 40)
        displayed = sp.N(shown.xreplace(point), 40)
        assert displayed.is_real and exact.is_real
        assert mpmath.almosteq(mpmath.mpf(str(exact)), mpmath.mpf(str(displayed)), rel_eps=mpmath.mpf("1e-30"))


def test_logs_are_combined_only_where_the_arguments_are_positive():
    x = sp.Symbol("x", real=True)  # not known positive: log(x) + log(2) stays as it is
    assert display_form(sp.log(x) - sp.log(x + 1)) == sp.log(x) - sp.log(x + 1)
    y = sp.Symbol("y", positive=True)
    assert display_form(sp.log(y) - sp.log(y + 1)) == sp.log(y / (y + 1))


def test_substituted_numbers_print_exactly():
    d = derive_kl(Normal(sp.Integer(0), sp.Integer(1)), Normal)
    assert d.latex().splitlines()[0] == (
        r"\mathrm{KL}\left(P \,\|\, Q\right) = \log \sigma_{2} + \frac{\mu_{2}^{2} + 1}{2 \sigma_{2}^{2}} - \frac{1}{2} \\")


def test_piecewise_and_matrix_forms_print_as_math():
    text = derive_kl(Exponential, Uniform).latex()
    assert text.splitlines()[0] == r"\mathrm{KL}\left(P \,\|\, Q\right) = \infty \\"
    assert r"\mathrm{rate}_{1} > 0" in text
    mvn = derive_kl(MultivariateNormal, MultivariateNormal).latex()
    assert r"\Sigma_{1} \succ 0,\ \Sigma_{2} \succ 0" in mvn
    assert r"\log\left|\Sigma_{2}\right|" in mvn


def test_steps_are_an_aligned_block_of_equations_and_text_rows():
    d = derive_kl(Normal, Normal)
    text = d.latex(steps=True)
    assert text.startswith(d.latex() + " \\\\\n\\begin{aligned}\n") and text.endswith("\n\\end{aligned}")
    assert r"\mathbb{E}_P\left[x^{2}\right] &= \mu_{1}^{2} + \sigma_{1}^{2}" in text
    assert r"\log q(x) &= " in text
    assert r"&\text{supp P = Interval(-oo, oo)" in text
    # the steps' text is as before: the LaTeX parts ride along
    assert str(d.steps[3]).startswith("E_P[x**2] = mu_1**2 + sigma_1**2 (from the second derivative")
    assert d.steps[-1] == "result = log(sigma_2/sigma_1) - 1/2 + (sigma_1**2 + (mu_1 - mu_2)**2)/(2*sigma_2**2)"


def test_step_objects():
    s = equation("E_P[x]", r"\mathbb{E}_P\left[x\right]", sp.Symbol("mu"), note="mean")
    assert s == "E_P[x] = mu (mean)" and isinstance(s, str)
    back = pickle.loads(pickle.dumps(s))
    assert isinstance(back, Step) and back.lhs == s.lhs and back.rhs == s.rhs and back == s
    assert latex_text("a_b & 50% {x}") == r"\text{a\_b \& 50\% \{x\}}"
    assert steps_latex(["plain"]) == "\\begin{aligned}\n&\\text{plain}\n\\end{aligned}"


def test_repr_latex_is_the_latex_method():
    d = derive_kl(Normal, Normal)
    assert d._repr_latex_() == "$\\begin{gathered}\n" + d.latex() + "\n\\end{gathered}$"
    numbers = derive_kl(Normal(sp.Integer(0), sp.Integer(1)), Normal(sp.Integer(1), sp.Integer(2)))
    assert "\n" not in numbers.latex()  # no conditions left: one line, in $...$
    assert numbers._repr_latex_() == f"${numbers.latex()}$"
    assert numbers.latex() == r"\mathrm{KL}\left(P \,\|\, Q\right) = \log 2 - \frac{1}{4}"


def test_module_examples_run():
    from anadiv.estimators import progress
    from anadiv.symbolic import derivation, display, steps

    for module in (display, steps, derivation, progress):
        result = doctest.testmod(module, verbose=False)
        assert result.attempted > 0 and result.failed == 0, module.__name__
