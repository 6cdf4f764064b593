"""The README's example must run and show what it claims."""

import re
from pathlib import Path

import numpy as np

README = Path(__file__).resolve().parents[1] / "README.md"


def test_readme_example_runs_and_matches_its_comments():
    text = README.read_text()
    code = re.findall(r"```python\n(.*?)```", text, re.S)[0]
    ns: dict = {}
    exec(compile(code, str(README), "exec"), ns)
    anadiv, Normal, Gamma = ns["anadiv"], ns["Normal"], ns["Gamma"]
    assert abs(anadiv.kl(Normal(0.0, 1.0), Normal(1.0, 2.0)) - 0.4431471805599453) < 1e-15
    assert np.isinf(anadiv.kl(Normal(0.0, 1.0), Gamma(2.0, 1.0)))
    assert anadiv.kl(Normal(np.zeros(3), 1.0), Normal(0.5, [1, 2, 3])).shape == (3,)
    est, truth = ns["est"], float(anadiv.kl_quad(ns["p"], Normal(0, 2)))
    assert abs(est.value - truth) < 4 * est.stderr
    assert abs(ns["discrete"].kl([0.10, 0.40, 0.50], [0.80, 0.15, 0.05], base=2) - 1.927) < 5e-4
    # beyond KL: what each line says it returns
    r = anadiv.divergence("hellinger", Normal(0, 1), Normal(1, 2))
    assert r.method == "closed form" and r.error <= 1e-12 * r.value
    r = anadiv.divergence("jensen_shannon", ns["p"], Normal(0, 2))
    assert r.method == "scipy.integrate.quad" and 0 < r.value < np.log(2) and r.error < 1e-9
    assert abs(anadiv.renyi(Gamma(2.0, 1.0), Gamma(3.0, 2.0), alpha=0.5) - 0.071665438475) < 1e-11


def test_readme_commands_match_ci():
    text = README.read_text()
    ci = (README.parent / ".ci" / "run").read_text()
    test_cmd = [line for line in ci.splitlines() if line.startswith("python3 -m venv")][0]
    assert test_cmd in text
