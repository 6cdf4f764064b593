"""The ``anadiv`` console command: parsing, numbers, errors, help.

Numbers printed by the CLI are compared with the library (closed forms) and
with independent references (the analytic Normal-Normal KL, the seed
tutorial's discrete KL in bits, quadrature). Budget: a few seconds, plus the
Monte Carlo/quadrature commands (marked slow).
"""

from __future__ import annotations

import math
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from anadiv import cli
from anadiv.cli import CLIError, main, parse_distribution
from anadiv.families import Normal


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def normal_kl(m1: float, s1: float, m2: float, s2: float) -> float:
    return math.log(s2 / s1) + (s1**2 + (m1 - m2) ** 2) / (2 * s2**2) - 0.5


# ------------------------------------------------------------------ parsing
def test_parse_positional_keyword_and_arithmetic() -> None:
    d = parse_distribution("Normal(mu=-1, sigma=1/4 + 2**-2)")
    assert isinstance(d, Normal)
    assert float(d.mu) == -1.0 and float(d.sigma) == 0.5
    assert float(parse_distribution("normal(0, pi)").sigma) == pytest.approx(math.pi)


def test_parse_vectors_and_matrices() -> None:
    d = parse_distribution("MultivariateNormal([0, 1], [[2, 0.5], [0.5, 1]])")
    assert np.allclose(d.mean, [0, 1])
    assert np.allclose(d.cov, [[2, 0.5], [0.5, 1]])


def test_parse_probability_vector() -> None:
    assert parse_distribution("[0.2, 0.3, 0.5]") == [0.2, 0.3, 0.5]


def test_parse_mixture() -> None:
    m = parse_distribution("Mixture([0.3, 0.7], [Normal(0, 1), Normal(3, 0.5)])")
    assert type(m).__name__ == "Mixture"
    assert len(m) == 2


@pytest.mark.parametrize(
    "text, fragment",
    [
        ("__import__('os').system('echo hacked')", "expected a family name"),
        ("__import__('os')", "unknown family '__import__'"),
        ("Normal(0, 1).__class__", "unsupported syntax"),
        ("Normal(0, x)", "unknown name 'x'"),
        ("Normal(0, '1')", "expected a number"),
        ("Normal(0, 1", "cannot read"),
        ("Normal(*[0, 1])", "not supported"),
        ("lambda: 0", "unsupported syntax"),
        ("Normal(0, 10**10**10)", "too large"),
        ("Normal", "needs its parameters"),
    ],
)
def test_parse_rejects_anything_but_data(text: str, fragment: str) -> None:
    with pytest.raises(CLIError, match=None) as info:
        parse_distribution(text, "P")
    assert fragment in str(info.value)


def test_unknown_family_suggests_close_names() -> None:
    with pytest.raises(CLIError) as info:
        parse_distribution("Normel(0, 1)")
    msg = str(info.value)
    assert "unknown family 'Normel'" in msg and "did you mean Normal" in msg


# ------------------------------------------------------------------ numbers
def test_kl_prints_one_number(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(capsys, "kl", "Normal(0, 1)", "Normal(1, 2)")
    assert code == 0 and err == ""
    assert len(out.strip().splitlines()) == 1
    assert float(out) == pytest.approx(normal_kl(0, 1, 1, 2), rel=1e-14)


def test_kl_keywords_and_digits(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "kl", "Normal(mu=0, sigma=1)", "Normal(sigma=2, mu=1)", "--digits", "4")
    assert code == 0 and out.strip() == "0.4431"


def test_kl_in_bits(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "kl", "Normal(0, 1)", "Normal(1, 2)", "--base", "2")
    assert code == 0
    assert float(out) == pytest.approx(normal_kl(0, 1, 1, 2) / math.log(2), rel=1e-14)


def test_kl_batched_parameters_print_an_array(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "kl", "Normal([0, 1, 2], 1)", "Normal(0, 1)")
    assert code == 0
    values = [float(v) for v in out.strip().strip("[]").split(",")]
    assert values == pytest.approx([0.0, 0.5, 2.0], rel=1e-14, abs=1e-300)


def test_kl_infinite(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "kl", "Normal(0, 1)", "Exponential(1)")
    assert code == 0 and out.strip() == "inf"


def test_kl_multivariate(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "kl", "MultivariateNormal([0, 0], [[1, 0], [0, 2]])",
                       "MultivariateNormal([0, 1], [[1, 0.5], [0.5, 2]])")
    assert code == 0
    m1, s1 = np.zeros(2), np.diag([1.0, 2.0])
    m2, s2 = np.array([0.0, 1.0]), np.array([[1.0, 0.5], [0.5, 2.0]])
    inv = np.linalg.inv(s2)
    ref = 0.5 * (np.trace(inv @ s1) + (m2 - m1) @ inv @ (m2 - m1) - 2 + np.log(np.linalg.det(s2) / np.linalg.det(s1)))
    assert float(out) == pytest.approx(ref, rel=1e-12)


def test_entropy(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "entropy", "MultivariateNormal([0, 0], [[1, 0], [0, 2]])")
    assert code == 0
    assert float(out) == pytest.approx(0.5 * np.log((2 * np.pi * np.e) ** 2 * 2.0), rel=1e-14)


def test_discrete_kl_seed_example_in_bits(capsys: pytest.CaptureFixture[str]) -> None:
    pytest.importorskip("anadiv.discrete")
    code, out, _ = run(capsys, "kl", "[0.10, 0.40, 0.50]", "[0.80, 0.15, 0.05]", "--base", "2")
    assert code == 0
    p, q = np.array([0.10, 0.40, 0.50]), np.array([0.80, 0.15, 0.05])
    assert float(out) == pytest.approx(float(np.sum(p * np.log2(p / q))), rel=1e-12)
    assert abs(float(out) - 1.927) < 1e-3


# ------------------------------------------------------------------- errors
def assert_one_line_error(code: int, out: str, err: str, *fragments: str) -> None:
    assert code == 2
    assert out == ""
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith("anadiv: error: ")
    assert "Traceback" not in err
    for f in fragments:
        assert f in lines[0], lines[0]


def test_error_unknown_family(capsys: pytest.CaptureFixture[str]) -> None:
    assert_one_line_error(*run(capsys, "kl", "Normel(0, 1)", "Normal(1, 2)"), "unknown family", "Normal")


def test_error_bad_parameter_value(capsys: pytest.CaptureFixture[str]) -> None:
    assert_one_line_error(*run(capsys, "kl", "Normal(0, -1)", "Normal(1, 2)"), "P: sigma: must be > 0")


def test_error_bad_parameter_names(capsys: pytest.CaptureFixture[str]) -> None:
    assert_one_line_error(*run(capsys, "kl", "Normal(0, 1)", "Normal(mean=1, sd=2)"), "Q: ", "unknown parameter")
    assert_one_line_error(*run(capsys, "kl", "Normal(0, 1, 2)", "Normal(1, 2)"), "takes 2 parameters")


def test_error_bad_covariance(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(capsys, "entropy", "MultivariateNormal([0, 0], [[1, 2], [2, 1]])")
    assert_one_line_error(code, out, err, "cov")


def test_error_no_closed_form_suggests_estimate(capsys: pytest.CaptureFixture[str]) -> None:
    from anadiv import api
    from anadiv.families import FAMILIES

    registered = {(c.p, c.q) for c in api.closed_form_pairs("kl")}
    # scalar parameters: the command line takes numbers (not the simplex families' vectors)
    univariate = sorted(n for n, c in FAMILIES.items()
                        if not c.event_ndim and not any(p.constraint.event_ndim for p in c.parameters))
    # a discrete against a continuous family is inf by one registry rule, not a listed pair
    missing = [(p, q) for p in univariate for q in univariate
               if (p, q) not in registered and FAMILIES[p].measure == FAMILIES[q].measure]
    if not missing:  # pragma: no cover - every univariate pair has a closed form
        pytest.skip("every univariate KL pair has a closed form")
    p, q = missing[0]
    rng = np.random.default_rng(0)
    texts = [f"{FAMILIES[n].__name__}({', '.join(repr(v) for v in FAMILIES[n].random_params(rng))})" for n in (p, q)]
    assert_one_line_error(*run(capsys, "kl", *texts), "no closed form", "anadiv estimate")


def test_error_mixture_in_kl_suggests_estimate(capsys: pytest.CaptureFixture[str]) -> None:
    assert_one_line_error(
        *run(capsys, "kl", "Mixture([0.5, 0.5], [Normal(0, 1), Normal(2, 1)])", "Normal(0, 1)"),
        "no closed form", "anadiv estimate",
    )


def test_error_bad_mixture_weights(capsys: pytest.CaptureFixture[str]) -> None:
    assert_one_line_error(
        *run(capsys, "estimate", "Mixture([0.5, 0.6], [Normal(0, 1), Normal(2, 1)])", "Normal(0, 1)"), "weights"
    )


def test_error_mixed_vector_and_family(capsys: pytest.CaptureFixture[str]) -> None:
    assert_one_line_error(*run(capsys, "kl", "[0.5, 0.5]", "Normal(0, 1)"), "probability vector")


def test_error_bad_base(capsys: pytest.CaptureFixture[str]) -> None:
    assert_one_line_error(*run(capsys, "kl", "Normal(0, 1)", "Normal(0, 1)", "--base", "1"), "--base")


def test_argparse_usage_error_exit_code(capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["kl", "Normal(0, 1)"])  # missing Q
    _, err = capsys.readouterr()
    assert code == 2 and "usage" in err


# --------------------------------------------------------------------- help
@pytest.mark.parametrize("command", ["demo", "derive", "kl", "cross-entropy", "entropy", "pairs", "estimate"])
def test_help_of_each_command_has_an_example(capsys: pytest.CaptureFixture[str], command: str) -> None:
    code, out, _ = run(capsys, command, "--help")
    assert code == 0
    assert "example" in out
    assert f"anadiv {command}" in out


def test_top_level_help_and_no_command(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "--help")
    assert code == 0 and "derive" in out and "estimate" in out
    code, out2, _ = run(capsys)
    assert code == 0 and "usage" in out2


# ------------------------------------------------------------------- pairs
def test_pairs_lists_the_registry(capsys: pytest.CaptureFixture[str]) -> None:
    from anadiv import api

    code, out, _ = run(capsys, "pairs", "--kind", "kl")
    assert code == 0
    entries = api.closed_form_pairs("kl")
    body = out.strip().splitlines()
    assert body[-1] == f"{len(entries)} closed forms"
    assert len(body) == len(entries) + 2  # header and count
    assert any(line.split()[:3] == ["kl", "Normal", "Normal"] for line in body)


def test_pairs_all_kinds(capsys: pytest.CaptureFixture[str]) -> None:
    from anadiv import api

    code, out, _ = run(capsys, "pairs")
    from anadiv.kinds import KINDS

    total = sum(len(api.closed_form_pairs(k)) for k in KINDS)
    assert code == 0 and out.strip().splitlines()[-1] == f"{total} closed forms"


# ------------------------------------------------------------------ derive
def test_derive_text_matches_the_analytic_kl(capsys: pytest.CaptureFixture[str]) -> None:
    sympy = pytest.importorskip("sympy")
    code, out, _ = run(capsys, "derive", "normal", "normal")
    assert code == 0
    title, body = out.strip().splitlines()[:2]
    assert title.startswith("KL(Normal(") and "||" in title
    expr = sympy.sympify(body)
    names = {str(s): s for s in expr.free_symbols}
    values = dict(zip(sorted(names), [0.3, -0.4, 1.3, 0.7]))  # mu_1, mu_2, sigma_1, sigma_2
    got = float(expr.subs({names[k]: v for k, v in values.items()}))
    assert got == pytest.approx(normal_kl(values["mu_1"], values["sigma_1"], values["mu_2"], values["sigma_2"]), rel=1e-12)


def test_derive_latex_and_code(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "derive", "normal", "normal", "--format", "latex")
    assert code == 0 and "\\log" in out and "\\sigma" in out
    code, out, _ = run(capsys, "derive", "Normal", "Normal", "--format", "code")
    assert code == 0
    namespace: dict[str, object] = {}
    exec(compile(out, "<generated>", "exec"), namespace)  # the printed code is runnable as is
    funcs = [v for k, v in namespace.items() if k.startswith("kl_")]
    assert len(funcs) == 1
    assert float(funcs[0](0.0, 1.0, 1.0, 2.0)) == pytest.approx(normal_kl(0, 1, 1, 2), rel=1e-14)


def test_derive_entropy_of_one_family(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "derive", "normal", "--kind", "entropy")
    assert code == 0 and out.startswith("H(Normal(")
    code, out2, _ = run(capsys, "derive", "normal")
    assert code == 0 and out2 == out


def test_derive_without_closed_form_suggests_estimate(capsys: pytest.CaptureFixture[str]) -> None:
    from anadiv import api
    from anadiv.families import FAMILIES

    registered = {(c.p, c.q) for c in api.closed_form_pairs("kl")}
    # scalar parameters: the command line takes numbers (not the simplex families' vectors)
    univariate = sorted(n for n, c in FAMILIES.items()
                        if not c.event_ndim and not any(p.constraint.event_ndim for p in c.parameters))
    # a discrete against a continuous family is inf by one registry rule, not a listed pair
    missing = [(p, q) for p in univariate for q in univariate
               if (p, q) not in registered and FAMILIES[p].measure == FAMILIES[q].measure]
    if not missing:  # pragma: no cover
        pytest.skip("every univariate KL pair has a closed form")
    code, out, err = run(capsys, "derive", *missing[0])
    assert_one_line_error(code, out, err, "no closed form", "anadiv estimate")
    # the suggested command runs
    suggested = err.split("for numbers: ", 1)[1].strip()
    import shlex

    args = shlex.split(suggested)[1:]
    assert args[0] == "estimate"
    code, out, err = run(capsys, *args, "--n", "2000")
    assert code == 0, err
    assert out.startswith("estimate:")


def test_derive_wrong_number_of_families(capsys: pytest.CaptureFixture[str]) -> None:
    assert_one_line_error(*run(capsys, "derive", "normal", "--kind", "kl"), "two families")
    assert_one_line_error(*run(capsys, "derive", "normal", "normal", "--kind", "entropy"), "one family")


# ---------------------------------------------------------------- estimate
@pytest.mark.slow
def test_estimate_mixture_agrees_with_quadrature(capsys: pytest.CaptureFixture[str]) -> None:
    pytest.importorskip("anadiv.estimators.monte_carlo")
    mix = "Mixture([0.3, 0.7], [Normal(0, 1), Normal(3, 0.5)])"
    code, out, err = run(capsys, "estimate", mix, "Normal(1, 2)", "--n", "200000", "--seed", "3", "--quad",
                         "--digits", "10")
    assert code == 0, err
    lines = out.strip().splitlines()
    est_line = next(line for line in lines if line.startswith("estimate"))
    value = float(est_line.split()[1])
    stderr = float(est_line.split()[3])
    quad = float(next(line for line in lines if line.startswith("quadrature")).split()[1])
    assert stderr > 0
    assert abs(value - quad) < 4 * stderr
    from anadiv import kl_quad

    p = parse_distribution(mix)
    assert quad == pytest.approx(float(kl_quad(p, Normal(1.0, 2.0))), rel=1e-9)


def test_estimate_is_reproducible_with_a_seed(capsys: pytest.CaptureFixture[str]) -> None:
    pytest.importorskip("anadiv.estimators.monte_carlo")
    args = ["estimate", "Mixture([0.5, 0.5], [Normal(-1, 1), Normal(1, 1)])", "Normal(0, 2)", "--n", "2000"]
    code1, out1, _ = run(capsys, *args, "--seed", "7")
    code2, out2, _ = run(capsys, *args, "--seed", "7")
    code3, out3, _ = run(capsys, *args, "--seed", "8")
    assert code1 == code2 == code3 == 0
    assert out1 == out2 and out1 != out3


def test_estimate_argument_errors(capsys: pytest.CaptureFixture[str]) -> None:
    assert_one_line_error(*run(capsys, "estimate", "Normal(0, 1)"), "two distributions")
    assert_one_line_error(*run(capsys, "estimate", "Normal(0, 1)", "Normal(0, 1)", "--n", "1"), "--n")


# --------------------------------------------------------------------- demo
@pytest.mark.slow
def test_demo_prints_formula_code_and_numbers(capsys: pytest.CaptureFixture[str]) -> None:
    pytest.importorskip("anadiv.estimators.monte_carlo")
    code, out, err = run(capsys, "demo")
    assert code == 0, err
    assert "KL(Normal(" in out
    assert "def kl_normal_normal(" in out
    assert "1.927 bits" in out
    assert "Monte Carlo" in out and "quadrature" in out


# ------------------------------------------------------- installed command
def test_python_dash_m_and_installed_entry_point() -> None:
    result = subprocess.run([sys.executable, "-m", "anadiv", "kl", "Normal(0, 1)", "Normal(1, 2)"],
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert float(result.stdout) == pytest.approx(normal_kl(0, 1, 1, 2), rel=1e-14)
    # the entry point of this interpreter's environment (a venv's bin/ is often not on PATH)
    beside = Path(sys.executable).parent / "anadiv"
    exe = str(beside) if beside.exists() else shutil.which("anadiv")
    if exe is None:
        pytest.skip("the anadiv entry point is not installed")
    result = subprocess.run([exe, "kl", "Normel(0, 1)", "Normal(1, 2)"], capture_output=True, text=True, timeout=120)
    assert result.returncode == 2
    assert result.stdout == ""
    assert result.stderr.startswith("anadiv: error: unknown family 'Normel'")
    assert "Traceback" not in result.stderr


def test_numeric_commands_do_not_import_sympy() -> None:
    code = (
        "import sys; from anadiv.cli import main; "
        "main(['kl', 'Normal(0, 1)', 'Normal(1, 2)']); main(['pairs']); "
        "main(['kl', 'Normal(0, 1)', 'Normal(1, 2)', '--json']); main(['kl', '[1, 2]', '[2, 1]', '--normalize']); "
        "print('sympy' in sys.modules)"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().splitlines()[-1] == "False"


def test_cli_module_exports() -> None:
    assert set(cli.__all__) >= {"main", "parse_distribution", "CLIError"}


def test_estimate_infinite_divergence(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(capsys, "estimate", "Normal(0, 1)", "Exponential(1)", "--quad")
    assert code == 0, err
    lines = out.strip().splitlines()
    assert lines[0].split()[:2] == ["estimate:", "inf"]
    assert lines[1].split() == ["quadrature:", "inf"]


def test_every_divergence_command_takes_probability_vectors_where_anadiv_discrete_has_the_kind(
    capsys: pytest.CaptureFixture[str],
) -> None:
    """The command of each kind with a function in anadiv.discrete computes it for vectors (the
    Jensen-Shannon commands looked for a function named after the kind and always failed)."""
    from anadiv import discrete
    from anadiv.kinds import KINDS as kinds

    p, q = [0.5, 0.3, 0.2], [0.1, 0.6, 0.3]
    covered = set()
    for kind in kinds.values():
        if kind.arity != 2 or kind.parameters:
            continue
        func = getattr(discrete, kind.discrete_name or kind.name, None)
        code, out, err = run(capsys, kind.cli_name, str(p), str(q))
        if func is None:
            assert code != 0 and "no discrete version" in err, kind.name
            continue
        assert code == 0, (kind.name, err)
        assert float(out) == pytest.approx(float(func(p, q)), rel=1e-15), kind.name
        covered.add(kind.name)
    assert {"kl", "jensen_shannon", "jensen_shannon_distance", "hellinger", "total_variation"} <= covered
