"""The command line for scripts and papers: --json on every command, derive --format latex, exact numbers,
estimate --rtol/--atol/--progress, --normalize.

Every value printed is compared with the Python API. Cheap: in-process ``main`` calls, small sample sizes.
"""

from __future__ import annotations

import json
import math
import sys

import numpy as np
import pytest
import sympy as sp

import anadiv
from anadiv import cli, discrete
from anadiv.cli import CLIError, build_parser, main, parse_exact
from anadiv.families import Beta, Normal
from anadiv.kinds import KINDS
from anadiv.symbolic import derive_entropy, derive_kl

MIXTURE = "Mixture([0.3, 0.7], [Normal(0, 1), Normal(3, 0.5)])"


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def run_json(capsys: pytest.CaptureFixture[str], *argv: str) -> dict:
    code, out, err = run(capsys, *argv, "--json")
    assert code == 0, err
    assert out.count("\n") == 1  # one object, one line
    record = json.loads(out)
    assert record["command"] == argv[0] and isinstance(record["warnings"], list)
    return record


# ------------------------------------------------------------ derive, LaTeX
def test_derive_latex_prints_exactly_derivation_latex(capsys: pytest.CaptureFixture[str]) -> None:
    d = derive_kl(Normal, Normal)
    assert run(capsys, "derive", "normal", "normal", "--format", "latex") == (0, d.latex() + "\n", "")
    assert run(capsys, "derive", "normal", "normal", "--format", "latex", "--steps")[1] == d.latex(steps=True) + "\n"
    assert run(capsys, "derive", "beta", "--format", "latex") == (0, derive_entropy(Beta).latex() + "\n", "")


def test_derive_substitutes_exact_numbers(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(capsys, "derive", "Normal(0,1)", "normal", "--format", "latex")
    assert code == 0, err
    assert out.splitlines()[0] == (
        r"\mathrm{KL}\left(P \,\|\, Q\right) = \log \sigma_{2} + \frac{\mu_{2}^{2} + 1}{2 \sigma_{2}^{2}} - \frac{1}{2} \\")
    assert "1.0" not in out
    code, out, err = run(capsys, "derive", "Normal(0.1, 0.5)", "Normal(0, 1)")
    assert code == 0, err
    # KL(N(1/10, 1/2) || N(0, 1)) = -log(1/2) + (1/4 + 1/100)/2 - 1/2, exactly
    assert "KL(Normal(1/10, 1/2) || Normal(0, 1)) =" in out
    assert out.splitlines()[1] == str(sp.log(2) + sp.Rational(13, 100) - sp.Rational(1, 2))


@pytest.mark.parametrize("text, value", [
    ("Normal(0.1, 1)", sp.Rational(1, 10)), ("Normal(1e-3, 1)", sp.Rational(1, 1000)),
    ("Normal(-2.5e2, 1)", sp.Integer(-250)), ("Normal(1/3, 1)", sp.Rational(1, 3)),
    ("Normal(2**0.5, 1)", sp.sqrt(2)), ("Normal(pi, 1)", sp.pi), ("Normal(1_000.5, 1)", sp.Rational(2001, 2)),
    ("Normal(0.30000000000000001, 1)", sp.Rational(30000000000000001, 10**17)),  # the literal, not the float
])
def test_parse_exact_reads_the_literal(text: str, value: sp.Expr) -> None:
    assert parse_exact(text).mu == value


def test_parse_exact_vectors_and_bounds() -> None:
    mvn = parse_exact("MultivariateNormal([0, 0.5], [[1, 0], [0, 2]])")
    assert mvn.param_values[0] == sp.Matrix([0, sp.Rational(1, 2)])
    for text, fragment in [("Normal(2**(10**5), 1)", "exponent too large"), ("Normal(1e999999999, 1)", "out of range"),
                           ("Normal(1/0, 1)", "division by zero"), ("Normal((-1)**0.5, 1)", "complex"),
                           ("Normal(3**4000 * 3**4000, 1)", "too large"), ("Normal(0, -0.5)", "sigma")]:
        with pytest.raises(CLIError, match=fragment):
            parse_exact(text, "P")


# ------------------------------------------------------------------- --json
def _divergence_case(kind: str) -> tuple[list[str], list[str], float | None]:
    """(command line, inputs, the Python API's value or None where the command refuses) for a kind's command."""
    k = KINDS[kind]
    params = {spec.name: 0.5 for spec in k.parameters}
    extra = [a for name, v in params.items() for a in (f"--{name}", str(v))]
    if k.arity == 1:
        texts, dists = ["Gamma(2, 3)"], [anadiv.Gamma(2.0, 3.0)]
    else:
        texts, dists = ["Normal(0, 1)", "Normal(1, 2)"], [Normal(0.0, 1.0), Normal(1.0, 2.0)]
    try:
        value = float(anadiv.divergences.closed_form(kind, *dists, **params)) if k.expectation else \
            float(anadiv.divergence(kind, *dists, method="auto").value)
    except anadiv.errors.NoClosedFormError:
        value = None
    return texts + extra, texts, value


def _commands() -> list[str]:
    parser = build_parser()
    sub = next(a for a in parser._actions if a.dest == "command")
    return list(sub.choices)


def test_every_command_answers_in_json(capsys: pytest.CaptureFixture[str]) -> None:
    commands = _commands()
    covered = set()
    # the divergence commands: the value against the library's own
    for kind in KINDS.values():
        argv, texts, value = _divergence_case(kind.name)
        covered.add(kind.cli_name)
        if value is None:  # no closed form (Jensen-Shannon): the error object
            code, out, err = run(capsys, kind.cli_name, *argv, "--json")
            error = json.loads(out)
            assert code == 2 and error["command"] == kind.cli_name and "estimate" in error["error"]
            assert err.startswith("anadiv: error: ")
            continue
        record = run_json(capsys, kind.cli_name, *argv)
        assert record["kind"] == kind.name and record["inputs"] == dict(zip("PQ", texts))
        assert record["value"] == pytest.approx(value, rel=1e-14)
        assert record["unit"] == ("nats" if kind.in_nats else None) and record["discrete"] is False
    record = run_json(capsys, "kl", "[0.1, 0.4, 0.5]", "[0.8, 0.15, 0.05]", "--base", "2")
    assert record["value"] == pytest.approx(float(discrete.kl([0.1, 0.4, 0.5], [0.8, 0.15, 0.05], base=2)), rel=1e-15)
    assert record["unit"] == "bits" and record["discrete"] is True

    record = run_json(capsys, "derive", "normal", "normal", "--steps")
    d = derive_kl(Normal, Normal)
    assert record["text"] == str(d.expr) and record["latex"] == d.latex(steps=True)
    assert record["conditions"] == ["sigma_1 > 0", "sigma_2 > 0"] and record["steps"] == [str(s) for s in d.steps]
    assert record["families"] == ["Normal", "Normal"] and record["symbols"] == [["mu_1", "sigma_1"], ["mu_2", "sigma_2"]]
    covered.add("derive")

    record = run_json(capsys, "pairs", "--kind", "kl")
    expected = anadiv.closed_form_pairs("kl")
    assert record["count"] == len(expected) == len(record["pairs"])
    assert {"kind": "kl", "p": "Normal", "q": "Normal", "status": "finite"} in record["pairs"]
    covered.add("pairs")

    record = run_json(capsys, "estimate", MIXTURE, "Normal(1, 2)", "--n", "4000", "--seed", "3")
    est = anadiv.kl_estimate(cli.parse_distribution(MIXTURE), Normal(1.0, 2.0), n=4000, seed=3)
    assert record["value"] == est.value and record["stderr"] == est.stderr and record["n"] == 4000
    assert record["interval"] == list(est.ci(0.95)) and record["level"] == 0.95 and record["method"] == "mc"
    assert record["stderr_reliable"] is True and record["quadrature"] is None
    covered.add("estimate")

    record = run_json(capsys, "demo")
    assert record["closed_form"]["value"] == pytest.approx(0.5 * math.log(4) + 2 / 8 - 0.5, rel=1e-14)
    assert record["discrete"]["value"] == pytest.approx(1.9269790471552186, rel=1e-12)
    assert record["derivation"]["latex"] == d.latex()
    low, high = record["estimate"]["interval"]
    assert low <= record["estimate"]["quadrature"] <= high
    covered.add("demo")
    assert covered == set(commands)  # a new command needs its --json case here


def test_json_numbers_warnings_and_errors(capsys: pytest.CaptureFixture[str]) -> None:
    assert run_json(capsys, "kl", "Normal(0, 1)", "Uniform(0, 1)")["value"] == "inf"  # JSON has no Infinity
    # a warning is collected into the object, not printed
    code, out, err = run(capsys, "estimate", "StudentT(3, 0, 1)", "Normal(0, 1)", "--n", "500", "--json")
    record = json.loads(out)
    assert code == 0 and err == ""
    assert record["stderr_reliable"] is False and record["interval"] is None
    assert len(record["warnings"]) == 1 and "variance of the integrand" in record["warnings"][0]
    # errors: exit 2, the stderr line, and an object on stdout; argparse's usage errors too
    for argv, fragment in [(["kl", "Normel(0, 1)", "Normal(0, 1)"], "unknown family 'Normel'"),
                           (["kl", "Normal(0, 1)"], "arguments are required: Q"),
                           (["estimate", MIXTURE, "Normal(1, 2)", "--rtol", "x"], "--rtol")]:
        code, out, err = run(capsys, *argv, "--json")
        error = json.loads(out)
        assert code == 2 and error["exit_code"] == 2 and error["command"] == argv[0]
        assert fragment in error["error"] and err.startswith("anadiv: error:")


def test_estimate_text_without_a_valid_interval(capsys: pytest.CaptureFixture[str]) -> None:
    # was: "error: no confidence interval" and exit 2; the estimate is printed, the reason is the warning
    code, out, err = run(capsys, "estimate", "StudentT(3, 0, 1)", "Normal(0, 1)", "--n", "500")
    assert code == 0 and out.splitlines()[1].startswith("no interval:")
    assert err.startswith("anadiv: warning: kl estimate: the variance")


# -------------------------------------------------- estimate: rtol, progress
def test_rtol_runs_the_adaptive_estimate(capsys: pytest.CaptureFixture[str]) -> None:
    record = run_json(capsys, "estimate", MIXTURE, "Normal(1, 2)", "--n", "2000", "--rtol", "0.01")
    est = anadiv.kl_estimate(cli.parse_distribution(MIXTURE), Normal(1.0, 2.0), n=2000, seed=0, rtol=0.01)
    assert record["value"] == est.value and record["n"] == est.n > 2000
    assert record["stderr"] <= 0.01 * abs(record["value"]) and record["rtol"] == 0.01


@pytest.mark.parametrize("argv, fragment", [
    (["--rtol", "0"], "--rtol: must be a finite number > 0"),
    (["--atol", "-1"], "--atol: must be a finite number > 0"),
    (["--rtol", "nan"], "--rtol: must be a finite number > 0"),
    (["--rtol", "abc"], "argument --rtol: expected a number"),
])
def test_tolerance_errors_name_the_option(capsys: pytest.CaptureFixture[str], argv: list[str], fragment: str) -> None:
    code, out, err = run(capsys, "estimate", MIXTURE, "Normal(1, 2)", *argv)
    assert code == 2 and out == "" and fragment in err


def test_sample_files_refuse_rtol_and_progress(capsys: pytest.CaptureFixture[str], tmp_path) -> None:
    path = tmp_path / "x.npy"
    np.save(path, np.random.default_rng(0).normal(size=50))
    for option in ("--rtol 0.1", "--progress"):
        code, out, err = run(capsys, "estimate", str(path), "Normal(0, 1)", *option.split())
        assert code == 2 and out == "" and f"{option.split()[0]}: applies to Monte Carlo over distributions" in err


def test_progress_bar_with_tqdm(capsys: pytest.CaptureFixture[str]) -> None:
    pytest.importorskip("tqdm")
    code, out, err = run(capsys, "estimate", MIXTURE, "Normal(1, 2)", "--n", "3000", "--progress")
    assert code == 0
    assert "mc: 100%" in err and "3.00k/3.00k" in err and "value=" in err
    assert out.startswith("estimate:")


def test_progress_line_without_tqdm(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "tqdm", None)  # `import tqdm` fails: the status line answers
    code, out, err = run(capsys, "estimate", MIXTURE, "Normal(1, 2)", "--n", "3000", "--progress")
    assert code == 0 and out.startswith("estimate:")
    est = anadiv.kl_estimate(cli.parse_distribution(MIXTURE), Normal(1.0, 2.0), n=3000, seed=0)
    assert err.endswith(f"\rmc: n=3,000 value={est.value:.6g} stderr={est.stderr:.3g}   \n")
    assert "%" not in err


# ---------------------------------------------------------------- normalize
def test_normalize_divides_by_the_sums(capsys: pytest.CaptureFixture[str]) -> None:
    record = run_json(capsys, "kl", "[1, 2, 3]", "[3, 2, 1]", "--normalize")
    p, q = np.array([1, 2, 3]) / 6, np.array([3, 2, 1]) / 6
    assert record["value"] == pytest.approx(float(np.sum(p * np.log(p / q))), rel=1e-14)
    assert record["normalized"] is True
    assert run(capsys, "entropy", "[2, 2]", "--normalize", "--base", "2") == (0, "1.0\n", "")


@pytest.mark.parametrize("argv, fragment", [
    (["kl", "[1, 2, 3]", "[3, 2, 1]"], "P: does not sum to 1 (a sum is 6.0; allowed deviation atol=1e-06); pass --normalize"),
    (["kl", "[1, -2, 3]", "[3, 2, 1]", "--normalize"], "--normalize: P has a negative entry (-2)"),
    (["kl", "[1, 2, 3]", "[0, 0, 0]", "--normalize"], "--normalize: Q sums to 0"),
    (["kl", "[1, 2, inf]", "[1, 1, 1]", "--normalize"], "--normalize: P has an entry that is not a finite number"),
    (["kl", "Normal(0, 1)", "Normal(1, 1)", "--normalize"], "--normalize: applies to probability vectors"),
])
def test_normalize_errors_name_the_input(capsys: pytest.CaptureFixture[str], argv: list[str], fragment: str) -> None:
    code, out, err = run(capsys, *argv)
    assert code == 2 and out == "" and fragment in err
