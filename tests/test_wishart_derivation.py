"""The engine's Wishart derivations (anadiv/symbolic/wishart.py, the exponential-family route in matrix form).

The derived KL, cross-entropy and entropy, evaluated exactly (rational parameters, 40 digits), against
anadiv's hand-written numeric rules (anadiv.wishart_pairs) at d = 1, 2, 3, 5 with df just above d - 1,
typical and 1e6; against an independent truth at d = 1 (W_1(n, v) is Gamma(n/2, rate 1/(2v))); the
steps; the pairs the route refuses; the registry and the code generator keep the hand-written rules.
"""

from __future__ import annotations

import numpy as np
import pytest
import sympy as sp

import anadiv
from anadiv import Gamma, MultivariateNormal, Normal, Wishart
from anadiv.errors import NoClosedFormError
from anadiv.symbolic import derive_cross_entropy, derive_entropy, derive_kl, kl_symbolic
from anadiv.symbolic import wishart as route

RTOL = 1e-10
KINDS = ("kl", "cross_entropy", "entropy")


def _derivation(kind):
    return derive_entropy(Wishart) if kind == "entropy" else {"kl": derive_kl, "cross_entropy": derive_cross_entropy}[
        kind](Wishart, Wishart)


def _exact(kind, *sides):
    """The derived expression at the float64 parameters, evaluated in 50-digit arithmetic."""
    # 50-digit Floats hold the float64 values exactly; rationals would make sympy evaluate
    # loggamma(500000) as the logarithm of an exact factorial
    def big(x):
        return sp.Float(float(x), 50)

    values = [(big(n), sp.Matrix(np.shape(v)[0], np.shape(v)[0], [big(x) for x in np.ravel(v)])) for n, v in sides]
    return float(sp.N(route.instantiate(_derivation(kind), values).expr, 40))


def _spd(rng, d):
    a = rng.standard_normal((d, d))
    v = a @ a.T + 0.5 * np.eye(d)
    return 0.5 * (v + v.T)


def _cases():
    rng = np.random.default_rng(20261128)
    out = []
    for d in (1, 2, 3, 5):
        dfs = (d - 1 + 1e-3, d + 1.7, 1e6)  # just above d - 1, typical, huge
        for n1, n2 in ((dfs[0], dfs[1]), (dfs[1], dfs[2]), (dfs[2], dfs[0]), (dfs[1], dfs[1] + 3.25)):
            out.append((d, (n1, _spd(rng, d)), (n2, _spd(rng, d))))
    return out


CASES = _cases()


@pytest.mark.parametrize("kind", KINDS)
def test_derived_forms_equal_the_builtin_rules(kind):
    func = getattr(anadiv, kind)
    for d, (n1, v1), (n2, v2) in CASES:
        p, q = Wishart(n1, v1), Wishart(n2, v2)
        if kind == "entropy":
            derived, builtin = _exact(kind, (n1, v1)), func(p)
        else:
            derived, builtin = _exact(kind, (n1, v1), (n2, v2)), func(p, q)
        assert derived == pytest.approx(builtin, rel=RTOL), (kind, d, n1, n2, derived, builtin)


def test_at_d_1_the_derived_forms_are_the_gamma_ones():
    # W_1(n, v) is the law of v * chi^2_n: Gamma(shape n/2, rate 1/(2v))
    for (n1, v1), (n2, v2) in (((0.25, 0.3), (3.5, 2.0)), ((7.0, 1.5), (2.0, 0.01)), ((1e6, 4.0), (40.0, 0.125))):
        g1, g2 = Gamma(n1 / 2, 1 / (2 * v1)), Gamma(n2 / 2, 1 / (2 * v2))
        p, q = (n1, np.array([[v1]])), (n2, np.array([[v2]]))
        assert _exact("kl", p, q) == pytest.approx(anadiv.kl(g1, g2), rel=RTOL)
        assert _exact("cross_entropy", p, q) == pytest.approx(anadiv.cross_entropy(g1, g2), rel=RTOL)
        assert _exact("entropy", p) == pytest.approx(anadiv.entropy(g1), rel=RTOL)


def test_instances_go_through_the_public_api():
    p, q = Wishart(4.0, np.eye(2)), Wishart(5.0, 2.0 * np.eye(2))
    assert float(derive_kl(p, q).expr) == pytest.approx(anadiv.kl(p, q), rel=1e-13)
    assert float(derive_entropy(p).expr) == pytest.approx(anadiv.entropy(p), rel=1e-13)
    assert float(derive_cross_entropy(p, q).expr) == pytest.approx(anadiv.cross_entropy(p, q), rel=1e-13)
    assert kl_symbolic(p, p) == 0


def test_steps_show_the_exponential_family_route():
    d = derive_kl(Wishart, Wishart)
    text = "\n".join(d.steps)
    assert "log-normalizer A" in text and "natural parameters" in text
    assert "E_P[log det(X)] = dA/d eta" in text and "E_P[X] = dA/dH" in text
    assert "= n_1*V_1" in text  # E[X] = n V, by differentiating A
    latex = d._repr_latex_()
    assert latex.startswith("$") and r"\sum_{j=0}^{d - 1}" in latex and r"\operatorname{tr}" in latex
    assert d.symbols == (Wishart.symbols("1"), Wishart.symbols("2"))


@pytest.mark.parametrize("P, Q", [(Wishart, Normal), (MultivariateNormal, Wishart), (Normal, Wishart)])
def test_other_partners_have_no_closed_form(P, Q):
    with pytest.raises(NoClosedFormError, match=r"pairs a matrix-variate family \(Wishart\) only with itself"):
        derive_kl(P, Q)
    with pytest.raises(NoClosedFormError, match="kl_estimate"):
        derive_cross_entropy(P, Q)


def test_the_registry_and_the_generator_keep_the_hand_written_rules():
    from anadiv import registry
    from anadiv._generated import _index
    from anadiv.codegen import generate

    for kind in KINDS:
        rule = registry.resolve(kind, Wishart, None if kind == "entropy" else Wishart)
        assert rule.source == "builtin" and rule.name.startswith("anadiv.wishart_pairs.")
        key = "wishart" if kind == "entropy" else ("wishart", "wishart")
        assert key not in _index.REGISTRY[kind]
        assert (("wishart",) if kind == "entropy" else key) in generate._builtin(kind)
