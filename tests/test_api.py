"""The numeric API: dispatch, shapes, dtypes, infinite pairs, errors, imports.

Cases are generated from the closed-form registry (``anadiv._generated._index``),
so a new pair is covered as soon as it is generated. Budget: about 5 s.
"""

from __future__ import annotations

import subprocess
import sys
import textwrap

import numpy as np
import pytest

import anadiv
from anadiv import FAMILIES, Normal, NoClosedFormError, registry
from anadiv._generated import _index
from anadiv.api import closed_form_pairs

KL_KEYS = sorted(_index.KL)
XE_KEYS = sorted(_index.CROSS_ENTROPY)
H_KEYS = sorted(_index.ENTROPY)
ALL = [("kl", k) for k in KL_KEYS] + [("cross_entropy", k) for k in XE_KEYS] + [("entropy", k) for k in H_KEYS]


def _function(kind, key):
    return {"kl": anadiv.kl_function, "cross_entropy": anadiv.cross_entropy_function, "entropy": anadiv.entropy_function}[kind](
        *((key,) if kind == "entropy" else key)
    )


def _params(name, rng, batch=()):
    """Valid parameters of family ``name``, each with a leading batch shape."""
    fam = FAMILIES[name]
    if fam.event_ndim or any(p.constraint.event_ndim for p in fam.parameters):
        n = int(np.prod(batch)) if batch else 1
        draws = [fam.random_params(rng, dim=3) for _ in range(n)]
        return [np.stack([d[i] for d in draws]).reshape(batch + np.shape(draws[0][i])) for i in range(len(draws[0]))]
    if not batch:
        return list(fam.random_params(rng))
    draws = [fam.random_params(rng) for _ in range(int(np.prod(batch)))]
    return [np.array([d[i] for d in draws]).reshape(batch) for i in range(len(draws[0]))]


def _dists(kind, key, rng, batch=()):
    names = (key,) if kind == "entropy" else key
    return [FAMILIES[n](*_params(n, rng, batch)) for n in names]


def _tied(kind, dists):
    """A tied closed form (a Binomial pair's KL holds where the trial counts are equal): Q's and P's tied
    parameters set to one scalar, P's first value, so that every element of a batch lies where it holds."""
    if kind == "entropy" or type(dists[0]) is not type(dists[1]):
        return dists
    from anadiv.codegen.stabilize import tied_symbols
    from anadiv.symbolic import derive_kl

    if kind != "kl":
        return dists
    d = derive_kl(type(dists[0]), type(dists[1]))
    names = [s.name for s in d.symbols[0]]
    tied = [names.index(a.name) for a in tied_symbols(d.expr).values()]
    if not tied:
        return dists
    p, q = list(dists[0].param_values), list(dists[1].param_values)
    for i in tied:
        p[i] = q[i] = float(np.ravel(p[i])[0])
    return [type(dists[0])(*p), type(dists[1])(*q)]


def _call(kind, dists):
    return getattr(anadiv, kind)(*_tied(kind, dists))


# ------------------------------------------------------------------ results
@pytest.mark.parametrize(("kind", "key"), ALL, ids=[f"{k}-{'-'.join(np.atleast_1d(x))}" for k, x in ALL])
def test_scalar_parameters_give_a_float_and_batches_broadcast(kind, key):
    rng = np.random.default_rng(0)
    out = _call(kind, _dists(kind, key, rng))
    assert isinstance(out, float)
    status = _index.REGISTRY[kind][key][2]
    if status == "infinite":
        assert out == np.inf
    else:
        assert not np.isnan(out)
    # batch (3, 1) against (4,): the result is (3, 4) and equals the scalar calls
    dists = _dists(kind, key, np.random.default_rng(1), (3, 1))
    if kind != "entropy":
        dists[1] = _dists(kind, key, np.random.default_rng(2), (4,))[1]
    batched = _call(kind, dists)
    assert np.shape(batched) == ((3, 4) if kind != "entropy" else (3, 1))


@pytest.mark.parametrize(("kind", "key"), ALL, ids=[f"{k}-{'-'.join(np.atleast_1d(x))}" for k, x in ALL])
def test_float32_in_float32_out(kind, key):
    rng = np.random.default_rng(3)
    names = (key,) if kind == "entropy" else key
    args64 = [v for n in names for v in _params(n, rng, (5,))]
    if kind == "kl" and names[0] == names[1]:
        # a tied closed form holds where Q's parameter is P's (a Binomial pair's trial count)
        from anadiv.codegen.stabilize import tied_symbols
        from anadiv.symbolic import derive_kl

        d = derive_kl(FAMILIES[names[0]], FAMILIES[names[1]])
        ps, qs = [x.name for x in d.symbols[0]], [x.name for x in d.symbols[1]]
        for b, a in tied_symbols(d.expr).items():
            args64[len(ps) + qs.index(b.name)] = args64[ps.index(a.name)]
    args32 = [np.asarray(a, dtype=np.float32) for a in args64]
    f = _function(kind, key)
    out32, out64 = f(*args32), f(*args64)
    assert out32.dtype == np.float32, f"{kind} {key}: float32 in, {out32.dtype} out"
    assert out64.dtype == np.float64
    finite = np.isfinite(out64)
    np.testing.assert_allclose(out32[finite], out64[finite], rtol=2e-3, atol=2e-3)


def test_infinite_pairs_return_inf_with_the_broadcast_shape():
    infinite = [c for c in closed_form_pairs("kl") if c.status == "infinite"]
    assert infinite, "the registry should list the pairs whose KL is infinite"
    for c in infinite:
        dists = _dists("kl", (c.p, c.q), np.random.default_rng(4), (2, 3))
        out = anadiv.kl(*dists)
        assert out.shape == (2, 3) and np.all(out == np.inf)
        f = anadiv.kl_function(c.p, c.q)
        scalar = f(*[v for d in _dists("kl", (c.p, c.q), np.random.default_rng(5)) for v in d.param_values])
        assert float(scalar) == np.inf


def test_normal_normal_value_and_batching():
    # KL(N(0,1) || N(1,2)) = log 2 + (1 + 1)/8 - 1/2
    assert anadiv.kl(Normal(0.0, 1.0), Normal(1.0, 2.0)) == pytest.approx(np.log(2) - 0.25, rel=1e-15)
    out = anadiv.kl(Normal(np.zeros((3, 1)), 1.0), Normal(np.arange(4.0), 2.0))
    assert out.shape == (3, 4)
    np.testing.assert_allclose(out[0], np.log(2) + (1 + np.arange(4.0) ** 2) / 8 - 0.5, rtol=1e-14)
    assert anadiv.kl(Normal(0.3, 1.2), Normal(0.3, 1.2)) == 0.0


def test_validate_false_gives_the_same_result():
    p, q = Normal(0.0, 1.0), Normal(1.0, 2.0)
    assert anadiv.kl(p, q, validate=False) == anadiv.kl(p, q)


def test_function_lookup_by_class_instance_or_name():
    f = anadiv.kl_function(Normal, Normal)
    assert anadiv.kl_function("normal", "normal") is f
    assert anadiv.kl_function(Normal(0, 1), Normal(0, 1)) is f
    assert f.__name__ == "kl_normal_normal"
    assert anadiv.entropy_function(Normal).__name__ == "entropy_normal"


def test_closed_form_pairs_lists_the_registry():
    for kind in ("kl", "cross_entropy", "entropy"):
        pairs = closed_form_pairs(kind)
        assert len([c for c in pairs if c.source == "generated"]) == len(_index.REGISTRY[kind])
        # the rest: anadiv's hand-written Gaussian and Wishart rules
        assert all(c.function.startswith(("anadiv.gaussian_pairs.", "anadiv.wishart_pairs."))
                   for c in pairs if c.source != "generated")
        assert {c.status for c in pairs} <= {"finite", "infinite", "conditional", "partial"}
    assert ("normal", "normal") in [(c.p, c.q) for c in closed_form_pairs("kl")]
    with pytest.raises(ValueError, match="^kind"):
        closed_form_pairs("kullback")
    # the Renyi closed forms are generated too
    assert ("gamma", "gamma") in [(c.p, c.q) for c in closed_form_pairs("renyi")]


# ------------------------------------------------------------------- errors
def test_pairs_without_closed_form_name_the_alternatives():
    from anadiv.mixture import Mixture

    mix = Mixture([0.5, 0.5], [Normal(0.0, 1.0), Normal(2.0, 1.0)])
    with pytest.raises(NoClosedFormError, match="kl_estimate.*kl_quad"):
        anadiv.kl(mix, Normal(0.0, 1.0))
    with pytest.raises(NoClosedFormError, match="entropy_estimate"):
        anadiv.entropy(mix)
    # not generated and no rule of the registry (a mass function against a density is inf by one rule)
    missing = [(a, b) for a in FAMILIES for b in FAMILIES
               if (a, b) not in _index.KL and registry.resolve("kl", FAMILIES[a], FAMILIES[b]) is None]
    if missing:
        with pytest.raises(NoClosedFormError, match="kl_estimate"):
            anadiv.kl_function(*missing[0])
    assert issubclass(NoClosedFormError, NotImplementedError)


def test_bad_inputs_raise_value_errors_naming_the_argument():
    with pytest.raises(ValueError, match="^p: expected an anadiv distribution"):
        anadiv.kl(1.0, Normal(0.0, 1.0))
    with pytest.raises(ValueError, match="^q: expected an anadiv distribution"):
        anadiv.kl(Normal(0.0, 1.0), [0.0, 1.0])
    with pytest.raises(ValueError, match="^q: expected a distribution such as Normal"):
        anadiv.kl(Normal(0.0, 1.0), Normal)
    with pytest.raises(ValueError, match="^q: batch shape"):
        anadiv.kl(Normal(np.zeros(3), 1.0), Normal(np.zeros(4), 1.0))
    with pytest.raises(ValueError, match="^sigma"):
        Normal(0.0, -1.0)


def test_symbolic_parameters_go_to_the_engine():
    sympy = pytest.importorskip("sympy")
    pytest.importorskip("anadiv.symbolic")
    mu = sympy.Symbol("m", real=True)
    out = anadiv.kl(Normal(mu, 1), Normal(0, 1))
    assert isinstance(out, sympy.Expr)
    assert sympy.simplify(out - mu**2 / 2) == 0


# ------------------------------------------------------------------ imports
def test_numeric_path_never_imports_sympy():
    code = textwrap.dedent(
        """
        import sys
        import numpy as np
        import anadiv
        from anadiv import FAMILIES, Normal
        anadiv.kl(Normal(0, 1), Normal(1, 2))
        anadiv.entropy(Normal(0, 1))
        anadiv.cross_entropy(Normal(0, 1), Normal(1, 2))
        anadiv.kl_function(Normal, Normal)(0.0, 1.0, 1.0, 2.0)
        anadiv.closed_form_pairs("kl")
        rng = np.random.default_rng(0)
        for fam in FAMILIES.values():
            fam(*fam.random_params(rng))
        bad = sorted(m for m in sys.modules if m == "sympy" or m.startswith("sympy.") or m == "anadiv.symbolic")
        print(bad)
        """
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]", out.stdout + out.stderr


def test_importing_anadiv_loads_no_generated_module():
    code = "import sys, anadiv; anadiv.kl; print(sorted(m for m in sys.modules if m.startswith('anadiv._generated.') and m != 'anadiv._generated._index'))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]", out.stdout + out.stderr


def test_docstring_examples_run():
    import doctest

    from anadiv import api
    from anadiv.numeric import linalg as _linalg
    from anadiv.numeric import xp as _xp

    for module in (api, _xp, _linalg):
        result = doctest.testmod(module, verbose=False)
        assert result.failed == 0, module.__name__
        assert result.attempted > 0, module.__name__
