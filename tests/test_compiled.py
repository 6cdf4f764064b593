"""``kl_function(..., compile=...)``: the generated closed form compiled by torch or JAX.

Compilation takes seconds, so one small call per library: the compiled function
gives the eager function's values (the same branches; the stable helpers take
their ``where`` form when traced) and keeps the result check.
"""

from __future__ import annotations

import numpy as np
import pytest

import anadiv
from anadiv import compiled as compiled_module

# nearly equal sigmas (the series branch), a far ratio (the ratio branch), typical values
MU_1 = [0.3, -1.0, 2.0, 0.0]
SIGMA_1 = [1.0, 1e-3, 0.7, 1.0 + 1e-9]
MU_2 = [0.3, 0.5, -1.0, 1e-5]
SIGMA_2 = [1.0 + 1e-7, 10.0, 1.3, 1.0]


def _exact() -> np.ndarray:
    import mpmath

    out = []
    with mpmath.workdps(40):
        for m1, s1, m2, s2 in zip(MU_1, SIGMA_1, MU_2, SIGMA_2):
            m1, s1, m2, s2 = map(mpmath.mpf, (m1, s1, m2, s2))
            out.append(float(mpmath.log(s2 / s1) + (s1**2 + (m1 - m2) ** 2) / (2 * s2**2) - mpmath.mpf(1) / 2))
    return np.array(out)


def test_torch_compiled_equals_eager():
    torch = pytest.importorskip("torch")
    args = [torch.tensor(c, dtype=torch.float64) for c in (MU_1, SIGMA_1, MU_2, SIGMA_2)]
    eager = anadiv.kl_function("normal", "normal")(*args)
    fused = anadiv.kl_function("normal", "normal", compile="torch")
    got = fused(*args)
    assert isinstance(got, torch.Tensor) and got.dtype == torch.float64
    np.testing.assert_allclose(got.numpy(), eager.numpy(), rtol=1e-15, atol=0)
    np.testing.assert_allclose(got.numpy(), _exact(), rtol=1e-13, atol=0)


@pytest.fixture
def jax_x64():
    """JAX with float64 for the test, the process's setting back afterwards (other files test JAX's default)."""
    jax = pytest.importorskip("jax")
    before = jax.config.jax_enable_x64
    jax.config.update("jax_enable_x64", True)
    yield jax
    jax.config.update("jax_enable_x64", before)


def test_jax_compiled_equals_eager(jax_x64):
    args = [jax_x64.numpy.asarray(np.array(c)) for c in (MU_1, SIGMA_1, MU_2, SIGMA_2)]
    eager = anadiv.kl_function("normal", "normal")(*args)
    got = anadiv.kl_function("normal", "normal", compile="jax")(*args)
    assert got.dtype == np.float64
    np.testing.assert_allclose(np.asarray(got), np.asarray(eager), rtol=1e-15, atol=0)
    np.testing.assert_allclose(np.asarray(got), _exact(), rtol=1e-13, atol=0)


def test_unknown_backend_is_named():
    with pytest.raises(ValueError, match=r"compile: must be one of \['jax', 'torch'\], got 'tensorflow'"):
        anadiv.kl_function("normal", "normal", compile="tensorflow")


def test_torch_without_compile_raises_clearly(monkeypatch):
    torch = pytest.importorskip("torch")
    monkeypatch.delattr(torch, "compile")
    with pytest.raises(RuntimeError, match=r"compile='torch': torch.compile is not available"):
        anadiv.kl_function("normal", "normal", compile="torch")


def test_torch_backend_failure_raises_clearly(monkeypatch):
    """A compiler that cannot build (no C++ compiler for CPU tensors) gives an error that says so."""
    torch = pytest.importorskip("torch")

    class BackendCompilerFailed(Exception):
        pass

    def broken(fn, **kwargs):
        def call(*args):
            raise BackendCompilerFailed("backend='inductor' raised: no working C++ compiler found")

        return call

    monkeypatch.setattr(torch, "compile", broken)
    f = compiled_module.compiled(anadiv.kl_function("normal", "normal"), "torch")
    with pytest.raises(RuntimeError, match=r"could not build kl_normal_normal .*needs a C\+\+ compiler"):
        f(torch.tensor([0.0]), torch.tensor([1.0]), torch.tensor([0.0]), torch.tensor([2.0]))


def test_docstring_examples_run():
    import doctest

    pytest.importorskip("jax")
    result = doctest.testmod(compiled_module, optionflags=doctest.ELLIPSIS)
    assert result.attempted >= 3 and result.failed == 0
