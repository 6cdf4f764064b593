"""Fuzzing the inputs (hypothesis, derandomized): constructors and the command line.

Every family constructor, given any mix of numbers, non-numbers, huge values
and odd containers, either builds a distribution whose parameters are finite
floating arrays that meet their constraints, or raises a ``ValueError`` whose
message starts with the name of a parameter. Any text given to the command
line gives exit code 0 with one line of output, or exit code 2 with one line
on stderr: never a traceback. Budget: a few seconds.
"""

from __future__ import annotations

import contextlib
import io
from decimal import Decimal
from fractions import Fraction

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from anadiv import FAMILIES
from anadiv.cli import main
from anadiv.constraints import positive

SETTINGS = settings(max_examples=150, deadline=None, derandomize=True)
UNIVARIATE = sorted(n for n, c in FAMILIES.items() if c.event_ndim == 0)

numbers = st.one_of(
    st.floats(allow_nan=True, allow_infinity=True),
    st.floats(-10, 10),
    st.integers(-(2**2000), 2**2000),
    st.integers(-5, 5),
    st.fractions(),
    st.decimals(allow_nan=False),
    st.sampled_from([0.5, 1.0, 2.0, np.float32(1.5), np.int64(3), np.uint8(7), 10**400, Fraction(10**400, 7)]),
)
non_numbers = st.one_of(
    st.text(max_size=5),
    st.binary(max_size=5),
    st.booleans(),
    st.complex_numbers(max_magnitude=10),
    st.none(),
    st.sampled_from([np.datetime64("2020-01-01"), np.timedelta64(3, "s"), object(), {}, np.bool_(True)]),
)
values = st.one_of(
    numbers,
    non_numbers,
    st.lists(numbers, min_size=1, max_size=3),
    st.lists(st.one_of(numbers, non_numbers), min_size=1, max_size=3),
    st.lists(st.lists(st.floats(0.1, 5), min_size=1, max_size=3), min_size=1, max_size=3),  # may be ragged
)


@pytest.mark.parametrize("name", UNIVARIATE)
def test_constructors_accept_valid_values_and_name_the_parameter_otherwise(name):
    cls = FAMILIES[name]
    names = [p.name for p in cls.parameters]

    @SETTINGS
    @given(st.lists(values, min_size=len(names), max_size=len(names)))
    def check(params):
        try:
            dist = cls(*params)
        except ValueError as exc:
            first = str(exc).split(":", 1)[0]
            assert first and all(part.strip() in names for part in first.split(",")), str(exc)
            return
        # a vector parameter (a Categorical's probs) carries its coordinates on its last axes
        shape = np.broadcast_shapes(*(np.shape(v)[:np.ndim(v) - p.constraint.event_ndim]
                                      for p, v in zip(cls.parameters, dist.param_values)))
        assert dist.batch_shape == shape
        for p, v in zip(cls.parameters, dist.param_values):
            assert isinstance(v, np.ndarray) and v.dtype.kind == "f", (p.name, v)
            assert np.all(np.isfinite(v)), (p.name, v)
            if p.constraint == positive:
                assert np.all(v > 0), (p.name, v)

    check()


tokens = st.sampled_from([
    "Normal", "Gamma", "Beta", "Uniform", "StudentT", "Mixture", "MultivariateNormal", "DiagonalNormal",
    "(", ")", "[", "]", ",", ", ", "-", "+", "*", "/", "**", "0", "1", "2", "0.5", "1e308", "1e999", "10",
    "1000", "9", "pi", "e", "inf", "nan", "x", "mu=", "sigma=", "validate=", "'1'", "True", "None", "1j",
    "__import__", ".", "lambda", ":", " ",
])
texts = st.one_of(
    st.lists(tokens, max_size=25).map("".join),
    st.builds(lambda a, b: f"Normal({a}, {b})", st.lists(tokens, max_size=8).map("".join),
              st.lists(tokens, max_size=8).map("".join)),
    st.text(max_size=30),
)


@SETTINGS
@given(texts, st.sampled_from(["kl", "entropy", "cross-entropy"]))
def test_the_command_line_answers_in_one_line(text, command):
    argv = [command, text] if command == "entropy" else [command, text, "Normal(0, 1)"]
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main(argv)
    if code == 0:
        assert out.getvalue().count("\n") >= 1 and err.getvalue() == ""
    else:
        assert code == 2, (text, code, err.getvalue())
        assert out.getvalue() == ""
        message = err.getvalue()
        assert message.count("\n") == 1 and message.startswith("anadiv: error: "), (text, message)
        assert "Traceback" not in message


def test_decimal_and_fraction_inputs_convert_exactly_enough():
    dist = FAMILIES["normal"](Decimal("0.1"), Fraction(1, 3))
    assert float(dist.mu) == 0.1 and float(dist.sigma) == 1 / 3
