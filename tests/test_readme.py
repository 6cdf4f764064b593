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


def _extras() -> dict[str, list[str]]:
    import tomllib

    project = tomllib.loads((README.parent / "pyproject.toml").read_text())["project"]
    return project["optional-dependencies"]


def test_every_extra_the_docs_name_exists():
    extras = _extras()
    pages = [README, *sorted((README.parent / "docs").rglob("*.md"))]
    named = {m for page in pages for m in re.findall(r"anadiv\[([a-z,]+)\]", page.read_text())}
    missing = {e for group in named for e in group.split(",") if e not in extras}
    assert not missing, f"extras named in the docs but not in pyproject.toml: {missing}"


def test_extras_say_what_they_install():
    """Each array-library extra installs that library, and the test extra installs every one the tests cover."""
    extras = _extras()
    for extra, package in [("torch", "torch"), ("jax", "jax"), ("dask", "dask"), ("plot", "matplotlib"),
                           ("learn", "scikit-learn"), ("threads", "threadpoolctl"), ("progress", "tqdm")]:
        assert any(re.match(rf"{package}\b", req) for req in extras[extra]), extra
    test = " ".join(extras["test"])
    for covered in ("torch", "jax", "dask", "plot", "docs", "threads", "progress"):
        assert re.search(rf"anadiv\[[a-z,]*\b{covered}\b", test), f"the test extra lacks {covered}"
    # no platform-conditional requirement: a marker would leave other platforms silently without it
    assert not [req for reqs in extras.values() for req in reqs if ";" in req]
