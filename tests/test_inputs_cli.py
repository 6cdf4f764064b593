"""The command line turns every bad input into one line on stderr and exit code 2.

Regression tests for the CLI reproducers of issue 10, run in-process through
``main(argv)``: each of them printed a wrong number, a traceback, or hung.
"""

from __future__ import annotations

import warnings

import pytest

from anadiv import api, cli
from anadiv.cli import main


def one_line_error(capsys: pytest.CaptureFixture[str], *argv: str) -> str:
    """Run the command; check exit 2, nothing on stdout, one error line on stderr; return that line."""
    code = main(list(argv))
    out, err = capsys.readouterr()
    assert code == 2, (code, out, err)
    assert out == ""
    assert err.endswith("\n") and err.count("\n") == 1, err
    assert err.startswith("anadiv: error: ")
    return err


def test_validation_cannot_be_switched_off(capsys: pytest.CaptureFixture[str]) -> None:
    # was: prints 0.0
    err = one_line_error(capsys, "kl", "Normal(0, -1, validate=0)", "Normal(0,1)")
    assert "validate" in err
    assert "validate" in one_line_error(capsys, "kl", "Normal(0, 1, validate=True)", "Normal(0,1)")
    assert "validate" in one_line_error(capsys, "estimate", "Mixture([1.0], [Normal(0, -1, validate=0)])", "Normal(0,1)")
    assert "sigma" in one_line_error(capsys, "kl", "Normal(0, -1)", "Normal(0,1)")


@pytest.mark.parametrize("text", ["Normal(0, 10**400)", "Normal(0, 9**999)", "Normal(-9**999, 1)"])
def test_integers_too_large_for_float64(capsys: pytest.CaptureFixture[str], text: str) -> None:
    # was: OverflowError tracebacks
    err = one_line_error(capsys, "kl", text, "Normal(0,1)")
    assert "too large for float64" in err and ("sigma" in err or "mu" in err)


@pytest.mark.parametrize("text", [
    "Normal(0, ((10**1000)**1000)**1000)",  # was: hangs
    "Normal(0, (10**1000)**(10**1000))",
    "Normal(0, 2**4000 * 2**4000 * 2**4000)",
    "Normal(0, 10**10**10)",
    "Normal(0, (-3)**10**9)",
])
def test_every_intermediate_integer_is_bounded(capsys: pytest.CaptureFixture[str], text: str) -> None:
    assert "too large" in one_line_error(capsys, "kl", text, "Normal(0,1)")


def test_integer_arithmetic_within_the_bound_still_works(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["kl", "Normal(0, 10**400 / 10**400)", "Normal(0, 2**10 / 2**9)", "--digits", "6"]) == 0
    out, err = capsys.readouterr()
    assert out.strip() == "0.318147" and err == ""


def test_deep_expressions_are_one_line_errors(capsys: pytest.CaptureFixture[str]) -> None:
    # was: MemoryError and RecursionError tracebacks
    assert "cannot read" in one_line_error(capsys, "kl", "Normal(0, " + "-" * 100_000 + "1)", "Normal(0,1)")
    assert "cannot read" in one_line_error(capsys, "kl", "Normal(0, " + "+".join(["1"] * 60_000) + ")", "Normal(0,1)")
    err = one_line_error(capsys, "kl", "Normal(0, " + "-" * 500 + "1)", "Normal(0,1)")
    assert "nested too deeply" in err
    err = one_line_error(capsys, "kl", "Normal(0, " + "[" * 150 + "1" + "]" * 150 + ")", "Normal(0,1)")
    assert "nested too deeply" in err
    assert "too long" in one_line_error(capsys, "kl", "Normal(0, 1" + " " * 300_000 + ")", "Normal(0,1)")
    assert "cannot read" in one_line_error(capsys, "kl", "Normal(0, " + "7" * 5000 + ")", "Normal(0,1)")
    assert "cannot read" in one_line_error(capsys, "kl", "0inf", "Normal(0,1)")  # no parser SyntaxWarning line


def test_estimate_failures_inside_the_library_are_one_line(capsys: pytest.CaptureFixture[str]) -> None:
    # was: a FloatingPointError traceback (the estimator itself is fixed in anadiv.estimators.monte_carlo)
    code = main(["estimate", "Beta(0.01,0.01)", "Beta(0.02,0.02)", "--n", "10000"])
    out, err = capsys.readouterr()
    if code == 0:
        assert out.startswith("estimate:") and err == ""
    else:
        assert code == 2 and out == "" and err.count("\n") == 1 and err.startswith("anadiv: error: ")


def test_any_unexpected_exception_is_one_line(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(*args, **kwargs):
        raise RuntimeError("something inside went wrong\nwith a second line")

    monkeypatch.setattr(api, "kl", broken)
    err = one_line_error(capsys, "kl", "Normal(0, 1)", "Normal(1, 2)")
    assert "RuntimeError: something inside went wrong" in err and "second line" not in err


def test_library_warnings_print_as_one_line(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    def noisy(*args, **kwargs):
        warnings.warn("the standard error is unreliable\nhere", UserWarning, stacklevel=2)
        return 1.5

    monkeypatch.setattr(api, "kl", noisy)
    assert main(["kl", "Normal(0, 1)", "Normal(1, 2)"]) == 0
    out, err = capsys.readouterr()
    assert out == "1.5\n"
    assert err == "anadiv: warning: the standard error is unreliable here\n"


def test_derive_vector_and_scalar_family(capsys: pytest.CaptureFixture[str]) -> None:
    # was: a TypeError traceback
    err = one_line_error(capsys, "derive", "MultivariateNormal", "normal")
    assert "no such pair" in err and "MultivariateNormal" in err and "Normal" in err
    assert "no such pair" in one_line_error(capsys, "derive", "Normal(0, 1)", "DiagonalNormal")
    # two vector families without a derivation: the suggested command is runnable text
    err = one_line_error(capsys, "derive", "MultivariateNormal([0, 0], [[1, 0], [0, 1]])", "diagonal_normal")
    assert 'anadiv estimate "MultivariateNormal([0.0, 0.0], [[1.0, 0.0], [0.0, 1.0]])" "DiagonalNormal([' in err


def test_estimate_sample_count_is_bounded(capsys: pytest.CaptureFixture[str]) -> None:
    # was: runs without bound, silently
    err = one_line_error(capsys, "estimate", "Normal(0, 1)", "Normal(1, 1)", "--n", str(10**26))
    assert "--n" in err and f"{cli.MAX_SAMPLES:,}" in err
    assert "--n" in one_line_error(capsys, "estimate", "Normal(0, 1)", "Normal(1, 1)", "--n", "10**26")
    assert "--n" in one_line_error(capsys, "estimate", "Normal(0, 1)", "Normal(1, 1)", "--n", str(cli.MAX_SAMPLES + 1))
    assert "--seed" in one_line_error(capsys, "estimate", "Normal(0, 1)", "Normal(1, 1)", "--seed", "-1")
    assert "--digits" in one_line_error(capsys, "kl", "Normal(0, 1)", "Normal(1, 1)", "--digits", "-1")
    assert "--digits" in one_line_error(capsys, "estimate", "Normal(0, 1)", "Normal(1, 1)", "--digits", "99")


def test_usage_errors_are_one_line_with_the_usage(capsys: pytest.CaptureFixture[str]) -> None:
    err = one_line_error(capsys, "kl", "Normal(0, 1)")
    assert "required" in err and "usage: anadiv kl" in err
    assert "--bogus" in one_line_error(capsys, "kl", "Normal(0, 1)", "Normal(0, 1)", "--bogus")
    assert "invalid choice" in one_line_error(capsys, "nonsense")


def test_other_bad_text_is_one_line(capsys: pytest.CaptureFixture[str]) -> None:
    assert "mu: given twice" in one_line_error(capsys, "kl", "Normal(mu=0, mu=1)", "Normal(0,1)")
    assert "P: " in one_line_error(capsys, "kl", "[10**400, 1]", "[0.5, 0.5]")
    assert "expected a number" in one_line_error(capsys, "kl", "[True, 1]", "[0.5, 0.5]")
    err = one_line_error(capsys, "kl", "Normal([0, 0, 0], [1, 1])", "Normal(0,1)")
    assert "mu, sigma" in err and "Normal" in err
    assert "expected a number" in one_line_error(capsys, "kl", "Normal(0, '1')", "Normal(0,1)")
    assert "complex result" in one_line_error(capsys, "kl", "Normal(0, (-1)**0.5)", "Normal(0,1)")
    assert "complex result" in one_line_error(capsys, "kl", "[(-1)**0.5, 1]", "[0.5, 0.5]")
