"""The command line on sample files: .npy and delimited text, against a distribution or another sample."""

from __future__ import annotations

import re

import numpy as np
import pytest

from anadiv.cli import main
from anadiv.estimators.knn import entropy_knn, kl_knn, kl_knn_density
from anadiv import Normal


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def _value(out: str) -> float:
    return float(re.search(r"estimate:\s+(\S+)", out).group(1))


@pytest.fixture(scope="module")
def files(tmp_path_factory: pytest.TempPathFactory) -> dict[str, object]:
    d = tmp_path_factory.mktemp("samples")
    rng = np.random.default_rng(0)
    x, y = rng.normal(0, 1, 800), rng.normal(1, 1, 700)
    x2 = rng.normal(0, 1, (600, 2))
    np.save(d / "x.npy", x)
    np.save(d / "y.npy", y)
    np.savetxt(d / "x2.csv", x2, delimiter=",", header="a,b", comments="")
    np.savetxt(d / "y2.tsv", x2[::-1] + [1.0, 0.0], delimiter="\t")
    np.savetxt(d / "x.txt", x)
    (d / "bad.csv").write_text("a\n1\n2\nfoo\n")
    (d / "nan.csv").write_text("1\nnan\n2\n3\n")
    return {"dir": d, "x": x, "y": y, "x2": x2}


def test_two_sample_files(capsys, files):
    d = files["dir"]
    code, out, _ = run(capsys, "estimate", str(d / "x.npy"), str(d / "y.npy"), "--digits", "12")
    assert code == 0 and "knn" in out and "95% interval" in out
    assert _value(out) == pytest.approx(kl_knn(files["x"], files["y"]).value, rel=1e-10)
    code, out, _ = run(capsys, "estimate", str(d / "x2.csv"), str(d / "y2.tsv"), "--k", "2", "--digits", "12")
    assert _value(out) == pytest.approx(kl_knn(files["x2"], files["x2"][::-1] + [1.0, 0.0], k=2).value, rel=1e-10)


def test_samples_against_a_distribution_and_entropy_in_bits(capsys, files):
    d = files["dir"]
    code, out, _ = run(capsys, "estimate", str(d / "x.txt"), "Normal(1, 1)", "--digits", "12")
    assert _value(out) == pytest.approx(kl_knn_density(files["x"], Normal(1.0, 1.0)).value, rel=1e-10)
    code, out, _ = run(capsys, "estimate", str(d / "x.npy"), "--kind", "entropy", "--base", "2", "--digits", "12")
    assert _value(out) == pytest.approx(entropy_knn(files["x"]).value / np.log(2), rel=1e-10)
    code, out, _ = run(capsys, "estimate", str(d / "x.npy"), "Normal(1, 1)", "--kind", "cross-entropy")
    assert code == 0 and "sample mean" in out


@pytest.mark.parametrize("argv,message", [
    (["nofile.npy", "{d}/y.npy"], "P: no such sample file: nofile.npy"),
    (["{d}/bad.csv", "{d}/y.npy"], "P: cannot read samples from"),
    (["{d}/nan.csv", "{d}/y.npy"], "P: samples must be finite; point 1 has nan"),
    (["{d}/x.npy", "{d}/x2.csv"], "q: samples have dimension 2, but p has dimension 1"),
    (["{d}/x.npy", "{d}/y.npy", "--method", "qmc"], "--method qmc: applies to distributions"),
    (["{d}/x.npy", "{d}/y.npy", "--quad"], "--quad: numerical integration needs two distributions"),
    (["{d}/x.npy", "{d}/y.npy", "--k", "0"], "--k: must be an integer >= 1"),
    (["Normal(0, 1)", "Normal(1, 1)", "--k", "3"], "--k: the neighbour rank applies to sample files"),
    (["{d}/x.npy", "{d}/y.npy", "--kind", "renyi", "--alpha", "0.5"], "kind: renyi is not offered from samples"),
])
def test_bad_sample_input_is_named(capsys, files, argv, message):
    code, _, err = run(capsys, "estimate", *[a.format(d=files["dir"]) for a in argv])
    assert code != 0 and message in err


def test_the_command_offers_every_method_of_the_route_table():
    from anadiv.cli import DATA_METHODS
    from anadiv.estimators import data_routes  # noqa: F401  (fills the table)
    from anadiv.estimators.from_data import ROUTES

    assert set(DATA_METHODS) == {m for (_, _, m) in ROUTES}


def test_classifier_kinds_and_wasserstein_from_files(capsys, files):
    d = files["dir"]
    code, out, _ = run(capsys, "estimate", str(d / "x.npy"), str(d / "y.npy"), "--kind", "jensen-shannon")
    assert code == 0 and "classifier" in out
    code, out, _ = run(capsys, "estimate", str(d / "x.npy"), str(d / "y.npy"), "--kind", "wasserstein2")
    assert code == 0 and "empirical" in out
