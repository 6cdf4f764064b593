"""benchmarks/bench_gpu.py runs (tiny sizes, CPU, no compilation) and prints every row of its table."""

from __future__ import annotations

import importlib.util
import pathlib
import re
import sys

import pytest

pytest.importorskip("torch")
pytest.importorskip("jax")

SCRIPT = pathlib.Path(__file__).resolve().parent.parent / "benchmarks" / "bench_gpu.py"
TIMED = re.compile(r"^\| (?P<case>[^|]+) \| (?P<variant>[^|]+) \| (?P<ms>[0-9.e+-]+) \((?P<lo>[0-9.e+-]+) \.\. (?P<hi>[0-9.e+-]+)\) \|")


def test_quick_cpu_table(monkeypatch):
    spec = importlib.util.spec_from_file_location("bench_gpu", SCRIPT)
    bench = importlib.util.module_from_spec(spec)
    monkeypatch.setitem(sys.modules, "bench_gpu", bench)  # dataclasses look their module up
    spec.loader.exec_module(bench)
    lines = bench.main(["--device", "cpu", "--quick", "--no-compile"])
    assert lines[0].startswith("device: ") and "torch " in lines[1] and "jax " in lines[1]
    timed = {(m["case"], m["variant"]): (float(m["lo"]), float(m["ms"]), float(m["hi"]))
             for m in map(TIMED.match, lines) if m}
    expected = [
        ("2e+03 Normal-Normal KLs, float32", "torch.distributions"),
        ("2e+03 Normal-Normal KLs, float32", "anadiv eager"),
        ("2e+03 Normal-Normal KLs, float64", "torch.distributions"),
        ("2e+03 Normal-Normal KLs, float64", "anadiv eager"),
        ("5e+02 Gamma-Gamma KLs, float64", "anadiv eager"),
        ("5e+02 Beta-Beta KLs, float64", "anadiv eager"),
        ("VAE term 32 x 8, forward + backward, float32", "torch.distributions"),
        ("VAE term 32 x 8, forward + backward, float32", "hand-written formula"),
        ("VAE term 32 x 8, forward + backward, float32", "anadiv kl_function on tensors"),
        ("3 MultivariateNormal pairs, d = 6, float64", "anadiv eager"),
        ("JAX jit, 2e+03 Normal-Normal KLs, float32", "naive formula, jit"),
        ("JAX jit, 2e+03 Normal-Normal KLs, float32", "anadiv, jit"),
        ("JAX jit, 5e+02 Gamma-Gamma KLs, float32", "anadiv, jit"),
    ]
    for key in expected:
        lo, med, hi = timed[key]
        assert 0 < lo <= med <= hi, key
    # anadiv.kl on tensor families: a row either way (timed, or the error it raised)
    assert any(line.startswith("| VAE term 32 x 8, forward + backward, float32 | anadiv.kl on families |")
               for line in lines)
    counts = {m[1]: int(m[2]) for m in (re.match(r"^\| (torch.distributions|anadiv eager) \| (\d+) \|$", line)
                                        for line in lines) if m}
    assert set(counts) == {"torch.distributions", "anadiv eager"} and min(counts.values()) > 0
