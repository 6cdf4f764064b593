"""Constraint objects: checks, messages, draws, sympy assumptions and event shapes.

The last part declares the parameters of Poisson, Binomial, Categorical,
Dirichlet and Wishart with these constraints (the families themselves are
another issue's) and validates good and bad values through them.
"""

from __future__ import annotations

import math
import warnings

import numpy as np
import pytest

from anadiv.families import Family, Param
from anadiv.constraints import (
    SHORTHANDS,
    as_constraint,
    independent,
    integer_interval,
    interval,
    nonnegative_integer,
    positive,
    positive_definite,
    real,
    simplex,
    unit_interval,
)

SEEDS = range(200)

#: (constraint, event shape of the test draws, valid values, [(invalid value, start of the message)])
CASES = [
    (real, (), [0.0, -1e300, 3.5, np.array([1.0, -2.0])],
     [(np.nan, "x: must be finite"), (np.inf, "x: must be finite"), (np.array([0.0, -np.inf]), "x: must be finite")]),
    (positive, (), [1e-300, 2.0, np.array([1.0, 3.0])],
     [(0.0, "x: must be > 0, got 0.0"), (-1.0, "x: must be > 0, got -1.0"), (np.nan, "x: must be > 0, got NaN"),
      (np.inf, "x: must be finite, got inf"), (np.array([1.0, -2.0]), "x: must be > 0, got -2.0")]),
    (unit_interval, (), [1e-300, 0.5, 1 - 1e-16, np.array([0.1, 0.9])],
     [(0.0, "x: must lie in (0, 1), got 0.0"), (1.0, "x: must lie in (0, 1), got 1.0"),
      (np.nan, "x: must be finite"), (np.array([0.5, 1.5]), "x: must lie in (0, 1), got 1.5")]),
    (interval(-1, 2, high_closed=True), (), [-0.999, 2.0, 0.0],
     [(-1.0, "x: must lie in (-1, 2], got -1.0"), (2.5, "x: must lie in (-1, 2], got 2.5")]),
    (interval(0, 0.5, low_closed=True), (), [0.0, 0.25],
     [(0.5, "x: must lie in [0, 0.5), got 0.5"), (-0.1, "x: must lie in [0, 0.5), got -0.1")]),
    (nonnegative_integer, (), [0.0, 3.0, 1e15, np.array([0.0, 7.0])],
     [(-1.0, "x: must be a non-negative integer, got -1.0"), (2.5, "x: must be a non-negative integer, got 2.5"),
      (np.inf, "x: must be finite"), (np.array([1.0, 0.5]), "x: must be a non-negative integer, got 0.5")]),
    (integer_interval(1, 6), (), [1.0, 6.0, np.array([2.0, 3.0])],
     [(0.0, "x: must be an integer in [1, 6], got 0.0"), (7.0, "x: must be an integer in [1, 6], got 7.0"),
      (3.5, "x: must be an integer in [1, 6], got 3.5")]),
    (integer_interval(-2), (), [-2.0, 100.0], [(-3.0, "x: must be an integer >= -2, got -3.0")]),
    (simplex, (4,), [np.array([0.2, 0.3, 0.5]), np.array([1.0, 0.0]), np.array([[0.5, 0.5], [0.1, 0.9]]),
                     np.array([0.1, 0.2, 0.7])],  # 0.1 + 0.2 + 0.7 != 1 in float64: round-off is forgiven
     [(0.5, "x: must have shape (..., k), got a scalar"), (np.array([0.5, 0.6]), "x: must sum to 1 over the last axis"),
      (np.array([1.2, -0.2]), "x: must be non-negative, got -0.2"), (np.array([0.5, np.nan]), "x: must be finite"),
      (np.array([[0.5, 0.5], [0.5, 0.4]]), "x: must sum to 1 over the last axis, got a sum of 0.9")]),
    (positive_definite, (3, 3), [np.eye(2), np.array([[2.0, 0.3], [0.3 * (1 + 1e-12), 1.0]]), np.eye(3)[None] * 2],
     [(np.ones(3), "x: must be square with shape (..., d, d)"), (np.ones((2, 3)), "x: must be square"),
      (np.array([[1.0, 0.5], [0.0, 1.0]]), "x: must be symmetric (max |x - x.T| = 0.5)"),
      (np.array([[1.0, 2.0], [2.0, 1.0]]), "x: must be positive definite"),
      (np.array([[1.0, np.nan], [np.nan, 1.0]]), "x: must be finite")]),
    (independent(real), (5,), [np.zeros(3), np.ones((2, 3))],
     [(0.0, "x: must have shape (..., d), got a scalar"), (np.array([0.0, np.nan]), "x: must be finite")]),
    (independent(positive), (5,), [np.ones(3), np.full((2, 3), 1e-300)],
     [(1.0, "x: must have shape (..., d), got a scalar"), (np.array([1.0, 0.0]), "x: must be > 0, got 0.0")]),
    (independent(nonnegative_integer, 2), (2, 3), [np.zeros((2, 2)), np.arange(6.0).reshape(3, 2)],
     [(np.zeros(3), "x: must have shape (..., d1, d2), got shape (3,)"),
      (np.array([[1.0, 2.0], [3.0, 0.5]]), "x: must be a non-negative integer, got 0.5")]),
]
IDS = [repr(c[0]) for c in CASES]


@pytest.mark.parametrize("constraint, shape, good, bad", CASES, ids=IDS)
def test_valid_values_pass_and_come_back_as_float_arrays(constraint, shape, good, bad):
    for value in good:
        out = constraint.check(value, "x")
        assert isinstance(out, np.ndarray) and out.dtype == np.float64
        np.testing.assert_array_equal(out, value)
        # lists and ints are converted the way a family converts them
        np.testing.assert_array_equal(constraint.check(np.asarray(value).tolist(), "x"), value)


@pytest.mark.parametrize("constraint, shape, good, bad", CASES, ids=IDS)
def test_invalid_values_raise_a_message_naming_the_argument(constraint, shape, good, bad):
    for value, message in bad:
        with pytest.raises(ValueError) as info:
            constraint.check(value, "x")
        assert str(info.value).startswith(message), (value, str(info.value))


@pytest.mark.parametrize("constraint, shape, good, bad", CASES, ids=IDS)
def test_draws_satisfy_the_constraint(constraint, shape, good, bad):
    batch = (2,) + shape
    for seed in SEEDS:
        rng = np.random.default_rng(seed)
        one = constraint.draw(rng, shape=shape)
        constraint.check(np.asarray(one, dtype=float), "x")
        many = constraint.draw(rng, shape=batch)
        assert np.shape(many) == batch
        constraint.check(np.asarray(many, dtype=float), "x")
    if constraint.is_discrete:
        draws = constraint.draw(np.random.default_rng(0), shape=(1000,) + shape)
        assert draws.dtype.kind == "i"


def test_scalar_draws_are_python_numbers_in_the_typical_range():
    rng = np.random.default_rng(1)
    x = [positive.draw(rng, (1e-3, 1e3)) for _ in range(2000)]
    assert all(type(v) is float and 1e-3 <= v <= 1e3 for v in x)
    # log-uniform: about half the draws lie below the geometric mean 1
    assert 0.45 < np.mean(np.array(x) < 1.0) < 0.55
    y = [real.draw(rng, (-2.0, 4.0)) for _ in range(2000)]
    assert all(-2.0 <= v <= 4.0 for v in y) and 0.45 < np.mean(np.array(y) < 1.0) < 0.55
    n = [nonnegative_integer.draw(rng, (2, 5)) for _ in range(500)]
    assert all(type(v) is int for v in n) and set(n) == {2, 3, 4, 5}
    k = [integer_interval(1, 6).draw(rng, (0, 100)) for _ in range(500)]
    assert set(k) == {1, 2, 3, 4, 5, 6}  # the typical range is clipped to the domain


def test_matrix_and_simplex_draws_have_the_asked_shape_and_spread():
    rng = np.random.default_rng(2)
    cov = positive_definite.draw(rng, (0.5, 2.0), shape=(100, 3, 3))
    eig = np.linalg.eigvalsh(cov)
    assert eig.min() >= 0.5 * (1 - 1e-12) and eig.max() <= 2.0 * (1 + 1e-12)
    np.testing.assert_array_equal(cov, np.swapaxes(cov, -1, -2))
    p = simplex.draw(rng, shape=(100, 5))
    np.testing.assert_allclose(p.sum(axis=-1), 1.0, rtol=1e-15)
    assert np.all(p > 0)
    with pytest.raises(ValueError, match="^shape: a simplex needs an event shape"):
        simplex.draw(rng, shape=())
    with pytest.raises(ValueError, match="^shape: a positive-definite matrix needs an event shape"):
        positive_definite.draw(rng, shape=(2, 3))


def test_event_ndim_and_discreteness():
    assert [c.event_ndim for c in (real, positive, unit_interval, interval(0, 2), nonnegative_integer,
                                    integer_interval(0, 3))] == [0] * 6
    assert simplex.event_ndim == 1 and independent(real).event_ndim == 1 and independent(positive).event_ndim == 1
    assert positive_definite.event_ndim == 2 and independent(real, 2).event_ndim == 2
    assert independent(simplex).event_ndim == 2
    assert nonnegative_integer.is_discrete and integer_interval(1, 6).is_discrete
    assert independent(nonnegative_integer).is_discrete
    assert not any(c.is_discrete for c in (real, positive, unit_interval, simplex, positive_definite))


def test_equality_hash_and_repr():
    assert independent(real) == independent(real) and hash(independent(real)) == hash(independent(real))
    assert independent(real) != independent(positive) and independent(real) != independent(real, 2)
    assert interval(0, 1) is unit_interval and interval(0, 1) == unit_interval
    assert interval(0, 1, high_closed=True) != unit_interval
    assert integer_interval(0) is nonnegative_integer
    assert positive != real and positive != independent(positive)
    assert len({real, positive, unit_interval, independent(real), independent(real)}) == 4
    assert [repr(c) for c in (real, positive, unit_interval, nonnegative_integer, simplex, positive_definite)] == [
        "real", "positive", "unit_interval", "nonnegative_integer", "simplex", "positive_definite"]
    assert repr(interval(-1, 2.5, low_closed=True)) == "interval[-1, 2.5)"
    assert repr(integer_interval(1, 6)) == "integer_interval(1, 6)"
    assert repr(independent(positive)) == "independent(positive)"
    assert repr(independent(real, 2)) == "independent(real, 2)"


def test_bad_constraint_arguments_are_refused():
    with pytest.raises(ValueError, match="^low, high: need finite low < high"):
        interval(1, 1)
    with pytest.raises(ValueError, match="^low, high: need finite low < high"):
        interval(0, math.inf)
    with pytest.raises(ValueError, match="^low, high: need integers"):
        integer_interval(0.5, 3)
    with pytest.raises(ValueError, match="^low, high: need integers"):
        integer_interval(3, 2)
    with pytest.raises(ValueError, match="^ndims: must be an integer >= 1"):
        independent(real, 0)
    with pytest.raises(ValueError, match="^constraint: unknown constraint 'postive'"):
        Param("sigma", "postive", (0.3, 3.0))
    with pytest.raises(ValueError, match="^constraint: must be a Constraint"):
        Param("sigma", 3, (0.3, 3.0))


def test_strings_are_a_deprecated_shorthand_from_one_table():
    assert set(SHORTHANDS) == {"real", "positive", "unit_interval", "vector", "pd_matrix"}
    assert SHORTHANDS["vector"] == independent(real) and SHORTHANDS["pd_matrix"] is positive_definite
    for text, constraint in SHORTHANDS.items():
        with pytest.warns(DeprecationWarning, match=f"constraint string '{text}' is deprecated"):
            p = Param("x", text, (0.5, 1.0))
        assert p.constraint == constraint
        with pytest.warns(DeprecationWarning, match="comparing a constraint with the string"):
            assert p.constraint == text
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert as_constraint(positive) is positive  # objects pass silently
        assert Param("x", positive).typical == positive.typical  # the constraint's typical range by default


# ----------------------------------------------------------------- sympy side
def test_sympy_assumptions():
    sympy = pytest.importorskip("sympy")
    assert real.sympy_assumptions() == {"real": True}
    assert positive.sympy_assumptions() == {"positive": True}
    assert unit_interval.sympy_assumptions() == {"positive": True}
    assert interval(0, 1, low_closed=True).sympy_assumptions() == {"nonnegative": True}
    assert interval(-2, 0).sympy_assumptions() == {"negative": True}
    assert interval(-2, 3).sympy_assumptions() == {"real": True}
    assert nonnegative_integer.sympy_assumptions() == {"integer": True, "nonnegative": True}
    assert integer_interval(1, 6).sympy_assumptions() == {"integer": True, "positive": True}
    assert independent(positive).sympy_assumptions() == {"positive": True}
    for c in (real, positive, unit_interval, nonnegative_integer, integer_interval(-3, 3), simplex):
        s = sympy.Symbol("s", **c.sympy_assumptions())
        assert s.is_real
    n = sympy.Symbol("n", **nonnegative_integer.sympy_assumptions())
    assert n.is_integer and n.is_nonnegative


def test_sympy_conditions_are_unevaluated_relations():
    sympy = pytest.importorskip("sympy")
    s = sympy.Symbol("s", positive=True)
    assert real.sympy_conditions(s) == []
    (cond,) = positive.sympy_conditions(s)
    assert isinstance(cond, sympy.StrictGreaterThan) and cond.args == (s, 0)  # not evaluated to True
    assert [type(c) for c in unit_interval.sympy_conditions(s)] == [sympy.StrictGreaterThan, sympy.StrictLessThan]
    low, high = interval(0, 1, low_closed=True, high_closed=True).sympy_conditions(s)
    assert isinstance(low, sympy.GreaterThan) and isinstance(high, sympy.LessThan)
    assert [c.args[1] for c in integer_interval(1, 6).sympy_conditions(s)] == [1, 6]
    assert len(nonnegative_integer.sympy_conditions(s)) == 1
    m = sympy.Matrix(sympy.symbols("a b", positive=True))
    assert len(independent(positive).sympy_conditions(m)) == 2
    assert independent(positive).sympy_conditions(s) == positive.sympy_conditions(s)
    assert independent(real).sympy_conditions(sympy.MatrixSymbol("mu", 3, 1)) == []
    assert positive_definite.sympy_conditions(sympy.MatrixSymbol("S", 3, 3)) == []
    assert len(simplex.sympy_conditions(m)) == 3  # two entries >= 0 and their sum = 1


def test_sympy_values_known_to_break_a_constraint_are_refused():
    sympy = pytest.importorskip("sympy")
    x = sympy.Symbol("x")
    neg = sympy.Symbol("n", negative=True)
    refused = [
        (real, sympy.I, "x: must be real"), (real, sympy.oo, "x: must be finite"),
        (real, sympy.Matrix([1, 2]), "x: must be a scalar"),
        (positive, sympy.Integer(-1), "x: must be > 0, got -1"), (positive, neg, "x: must be > 0"),
        (positive, sympy.nan, "x: must be finite"),
        (unit_interval, sympy.Rational(3, 2), "x: must lie in (0, 1), got 3/2"),
        (unit_interval, sympy.Integer(0), "x: must lie in (0, 1)"),
        (interval(0, 1, high_closed=True), sympy.Float(1.5), "x: must lie in (0, 1]"),
        (nonnegative_integer, sympy.Rational(1, 2), "x: must be a non-negative integer, got 1/2"),
        (nonnegative_integer, neg, "x: must be a non-negative integer"),
        (integer_interval(1, 6), sympy.Integer(7), "x: must be an integer in [1, 6], got 7"),
        (simplex, sympy.Matrix([sympy.Rational(1, 2), sympy.Rational(1, 3)]), "x: must sum to 1"),
        (simplex, sympy.Matrix([sympy.Rational(3, 2), -sympy.Rational(1, 2)]), "x: must be non-negative"),
        (simplex, sympy.Matrix([0.5, 0.6]), "x: must sum to 1"),
        (simplex, x, "x: must be a vector"),
        (positive_definite, sympy.Matrix([[1, 2], [2, 1]]), "x: must be positive definite"),
        (positive_definite, sympy.Matrix([[1, 0], [1, 1]]), "x: must be symmetric"),
        (positive_definite, sympy.Matrix([[1, 2, 3]]), "x: must be square"),
        (positive_definite, x, "x: must be a d x d matrix"),
        (independent(positive), sympy.Matrix([x, -2]), "x: must be > 0, got -2"),
        (independent(positive), sympy.Integer(-3), "x: must be > 0"),  # one coordinate's symbol
    ]
    for constraint, value, message in refused:
        with pytest.raises(ValueError) as info:
            constraint.check_sympy(value, "x")
        assert str(info.value).startswith(message), (constraint, value, str(info.value))


def test_sympy_values_of_unknown_sign_are_kept():
    sympy = pytest.importorskip("sympy")
    x, k = sympy.Symbol("x"), sympy.Symbol("k", integer=True)
    p = sympy.Symbol("p", positive=True)
    kept = [
        (real, x), (positive, x), (positive, p), (positive, sympy.Integer(2)), (unit_interval, p),
        (unit_interval, sympy.Rational(1, 3)), (nonnegative_integer, k), (nonnegative_integer, sympy.Integer(4)),
        (integer_interval(1, 6), k), (simplex, sympy.Matrix([p, 1 - p])), (simplex, sympy.Matrix([0.1, 0.2, 0.7])),
        (simplex, sympy.MatrixSymbol("q", 3, 1)), (positive_definite, sympy.Matrix([[2, 1], [1, 2]])),
        (positive_definite, sympy.Matrix([[x, 0], [0, 1]])), (positive_definite, sympy.MatrixSymbol("S", 2, 2)),
        (independent(real), sympy.MatrixSymbol("mu", 2, 1)), (independent(positive), sympy.Matrix([p, 2])),
    ]
    for constraint, value in kept:
        constraint.check_sympy(value, "x")


# ----------------------------------------------- families the constraints can declare
# The parameter lists of families other issues add; declared here only to show
# that the constraints are enough to validate them.
POISSON = (Param("rate", positive, (0.5, 20.0), "mean number of events"),)
BINOMIAL = (
    Param("total_count", nonnegative_integer, (1, 50), "number of trials"),
    Param("probs", interval(0, 1, low_closed=True, high_closed=True), (0.05, 0.95), "success probability"),
)
CATEGORICAL = (Param("probs", simplex, (0.1, 1.0), "probability of each category, shape (..., k)"),)
DIRICHLET = (Param("concentration", independent(positive), (0.3, 5.0), "concentration, shape (..., k)"),)
WISHART = (
    Param("df", positive, (3.0, 10.0), "degrees of freedom (> d - 1, a joint condition)"),
    Param("scale", positive_definite, (0.3, 3.0), "scale matrix, shape (..., d, d)"),
)


def _validate(params: tuple[Param, ...], values: list) -> list[np.ndarray]:
    return [p.constraint.check(v, p.name) for p, v in zip(params, values, strict=True)]


def test_discrete_and_matrix_families_can_be_declared_and_validated():
    _validate(POISSON, [3.5])
    _validate(BINOMIAL, [10, 0.3])
    _validate(BINOMIAL, [0, 1.0])  # zero trials and a sure success are valid
    _validate(BINOMIAL, [np.array([5, 10]), np.array([0.0, 0.5])])
    _validate(CATEGORICAL, [[0.2, 0.3, 0.5]])
    _validate(DIRICHLET, [[0.5, 1.0, 2.0]])
    (df, scale) = _validate(WISHART, [4.0, [[2.0, 0.5], [0.5, 1.0]]])
    assert not scale.flags.writeable  # kept as the factored, immutable copy
    bad = [
        (POISSON, [-1.0], "rate: must be > 0"),
        (BINOMIAL, [10.5, 0.3], "total_count: must be a non-negative integer, got 10.5"),
        (BINOMIAL, [-2, 0.3], "total_count: must be a non-negative integer, got -2.0"),
        (BINOMIAL, [10, 1.2], "probs: must lie in [0, 1], got 1.2"),
        (CATEGORICAL, [[0.2, 0.3]], "probs: must sum to 1 over the last axis"),
        (CATEGORICAL, [0.5], "probs: must have shape (..., k), got a scalar"),
        (DIRICHLET, [[0.5, 0.0]], "concentration: must be > 0, got 0.0"),
        (DIRICHLET, [2.0], "concentration: must have shape (..., d), got a scalar"),
        (WISHART, [0.0, np.eye(2)], "df: must be > 0"),
        (WISHART, [4.0, [[1.0, 2.0], [2.0, 1.0]]], "scale: must be positive definite"),
        (WISHART, [4.0, [[1.0, 0.1], [0.0, 1.0]]], "scale: must be symmetric (max |scale - scale.T| = 0.1)"),
    ]
    for params, values, message in bad:
        with pytest.raises(ValueError) as info:
            _validate(params, values)
        assert str(info.value).startswith(message), (values, str(info.value))


@pytest.mark.parametrize("params, shapes", [
    (POISSON, [()]), (BINOMIAL, [(), ()]), (CATEGORICAL, [(4,)]), (DIRICHLET, [(3,)]), (WISHART, [(), (3, 3)]),
], ids=["poisson", "binomial", "categorical", "dirichlet", "wishart"])
def test_declared_parameters_draw_valid_test_values(params, shapes):
    for seed in SEEDS:
        rng = np.random.default_rng(seed)
        values = [p.draw(rng, shape) for p, shape in zip(params, shapes)]
        for p, v in zip(params, values):
            lo, hi = p.typical
            if p.constraint.event_ndim == 0:
                assert lo <= v <= hi, (p.name, v)
        _validate(params, values)


def test_a_family_validates_through_its_constraints():
    """A Family subclass (unregistered: empty name) declared with the new constraints."""

    class Counts(Family):
        parameters = BINOMIAL

    class Scatter(Family):
        event_ndim = 2
        parameters = WISHART

    Counts(10, 0.3)
    with pytest.raises(ValueError, match=r"^total_count: must be a non-negative integer, got 2.5"):
        Counts(2.5, 0.3)
    with pytest.raises(ValueError, match=r"^probs: must lie in \[0, 1\], got -0.1"):
        Counts(3, -0.1)
    w = Scatter(5.0, np.eye(3))
    assert not w.scale.flags.writeable
    with pytest.raises(ValueError, match="^scale: must be positive definite"):
        Scatter(5.0, -np.eye(3))
    sympy = pytest.importorskip("sympy")
    n = sympy.Symbol("n", **nonnegative_integer.sympy_assumptions())
    assert Counts(n, sympy.Rational(1, 3)).symbolic
    with pytest.raises(ValueError, match="^total_count: must be a non-negative integer, got -1"):
        Counts(sympy.Integer(-1), sympy.Rational(1, 3))
    with pytest.raises(ValueError, match="^scale: must be positive definite"):
        Scatter(sympy.Integer(5), sympy.Matrix([[1, 2], [2, 1]]))
    with pytest.raises(ValueError, match="^df: must be a scalar"):
        Scatter(sympy.eye(2), sympy.eye(2))



def test_the_module_examples_run():
    import doctest

    from anadiv import constraints

    result = doctest.testmod(constraints, optionflags=doctest.ELLIPSIS, verbose=False)
    assert result.attempted >= 10 and result.failed == 0
