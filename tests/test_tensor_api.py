"""torch tensors and JAX arrays through the front doors, and torch.distributions objects.

Families keep the arrays as given and check them on their device (the same
messages as numpy); ``anadiv.kl``, ``entropy`` and ``cross_entropy`` return
tensors that carry gradients; torch objects are accepted and give torch's
``kl_divergence`` values, shapes and gradients. torch and JAX are optional:
their tests are skipped when the library is not installed (CI has both).
"""

from __future__ import annotations

import math
import pickle
from typing import Any

import numpy as np
import pytest
from scipy.special import polygamma

import anadiv
from anadiv import Normal
from anadiv.errors import NoClosedFormError
from anadiv.families import FAMILIES
from anadiv.numeric import validation

torch = pytest.importorskip("torch")
td = torch.distributions

#: anadiv's own families (tests elsewhere may register users' families in the same process)
BUILTIN = sorted(n for n, c in FAMILIES.items() if c.__module__.startswith("anadiv."))


def _point(cls: Any, seed: int = 0) -> tuple[Any, ...]:
    """Valid parameters from the typical ranges (a batch of 3 for univariate families)."""
    rng = np.random.default_rng(seed)
    if cls.event_ndim:
        return cls.random_params(rng)
    draws = [cls.random_params(rng) for _ in range(3)]
    return tuple(np.array([d[i] for d in draws], dtype=float) for i in range(len(cls.parameters)))


# ------------------------------------------------------------ families keep tensors
@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("name", BUILTIN)
def test_family_keeps_tensors(name: str, dtype: str) -> None:
    cls = FAMILIES[name]
    tensors = [torch.as_tensor(np.asarray(v, dtype=float), dtype=getattr(torch, dtype)) for v in _point(cls)]
    dist = cls(*tensors)
    for given, kept in zip(tensors, dist.param_values):
        assert kept is given  # no copy, no conversion: same tensor, dtype and device
        assert kept.dtype == getattr(torch, dtype) and kept.device.type == "cpu"
    assert dist.batch_shape == cls(*(t.numpy() for t in tensors)).batch_shape


def test_integer_tensors_become_the_default_float_and_bools_are_refused() -> None:
    assert Normal(torch.tensor([1, 2]), 1.0).mu.dtype == torch.get_default_dtype()
    with pytest.raises(ValueError, match=r"^mu: must be real numbers, got a torch array of bools"):
        Normal(torch.tensor([True, False]), 1.0)
    with pytest.raises(ValueError, match=r"^mu: must be real numbers, got a torch array of complex numbers"):
        Normal(torch.tensor([1j]), 1.0)


def test_python_numbers_stay_floats_and_numpy_arrays_join_the_tensors() -> None:
    mu = torch.zeros(3, dtype=torch.float32)
    p = Normal(mu, 2)
    assert type(p.sigma) is float and p.sigma == 2.0
    assert p.to_torch().loc is mu  # handed over as it is, not copied
    again = pickle.loads(pickle.dumps(p))
    assert again._library is p._library and torch.equal(again.mu, mu)
    q = Normal(mu, np.full(3, 2.0))
    assert isinstance(q.sigma, torch.Tensor) and q.sigma.dtype == torch.float64
    value = anadiv.kl(p, Normal(1.0, 3.0))  # a numpy family beside a tensor family
    assert isinstance(value, torch.Tensor) and value.dtype == torch.float32 and value.shape == (3,)
    assert np.allclose(value.numpy(), anadiv.kl(Normal(np.zeros(3), 2.0), Normal(1.0, 3.0)), rtol=1e-6)


CONSTRAINT_ERRORS = [
    ("normal", (0.0, [1.0, -2.0])),
    ("normal", ([0.0, math.nan], 1.0)),
    ("normal", (0.0, [1.0, math.inf])),
    ("beta", ([0.5, 1.0], [2.0, 0.0])),
    ("bernoulli", ([0.5, 1.5],)),
    ("binomial", ([3.0, 2.5], 0.5)),
    ("categorical", ([[0.5, 0.6]],)),
    ("uniform", ([0.0, 3.0], [1.0, 2.0])),
    ("multivariate_normal", ([0.0, 0.0], [[1.0, 2.0], [2.0, 1.0]])),
    ("multivariate_normal", ([0.0, 0.0], [[1.0, 0.5], [0.0, 1.0]])),
    ("wishart", ([2.5, 0.5], [[1.0, 0.0], [0.0, 1.0]])),
]


@pytest.mark.parametrize("name, values", CONSTRAINT_ERRORS, ids=[f"{n}-{i}" for i, (n, _) in enumerate(CONSTRAINT_ERRORS)])
def test_constraint_errors_on_tensors_match_numpy(name: str, values: tuple[Any, ...]) -> None:
    cls = FAMILIES[name]
    with pytest.raises(ValueError) as from_numpy:
        cls(*(np.asarray(v, dtype=float) for v in values))
    with pytest.raises(ValueError) as from_torch:
        cls(*(torch.tensor(v, dtype=torch.float64) for v in values))
    assert str(from_torch.value) == str(from_numpy.value)


def test_negative_sigma_tensor_names_the_argument() -> None:
    with pytest.raises(ValueError, match=r"^sigma: must be > 0, got -1.0$"):
        Normal(torch.zeros(2), torch.tensor([1.0, -1.0], requires_grad=True))


def test_validate_false_never_synchronises(monkeypatch: pytest.MonkeyPatch) -> None:
    def sync(*args: Any) -> Any:
        raise AssertionError("a host synchronisation with validate=False")

    lib = validation.kept_library(torch.zeros(1))
    monkeypatch.setattr(type(lib), "all_true", sync)
    monkeypatch.setattr(type(lib), "to_host", sync)
    for name in BUILTIN:
        cls = FAMILIES[name]
        cls(*(torch.as_tensor(np.asarray(v, dtype=float)) for v in _point(cls)), validate=False)
    with pytest.raises(AssertionError, match="synchronisation"):
        Normal(torch.zeros(2), torch.ones(2))  # the check does synchronise, once


def test_numpy_methods_refuse_tensor_families() -> None:
    with pytest.raises(TypeError, match=r"^logpdf computes with numpy; Normal holds torch arrays"):
        Normal(torch.zeros(2), 1.0).logpdf(0.0)


# ----------------------------------------------------------------- values, gradients
def test_kl_gradient_is_analytic() -> None:
    mu = torch.tensor([0.5, -1.0], dtype=torch.float64, requires_grad=True)
    s = torch.tensor([0.7, 1.5], dtype=torch.float64, requires_grad=True)
    value = anadiv.kl(Normal(mu, s), Normal(0.0, 2.0))
    value.sum().backward()
    m, v = mu.detach().numpy(), s.detach().numpy()
    # KL = log(2/s) + (s^2 + mu^2)/8 - 1/2
    np.testing.assert_allclose(value.detach().numpy(), np.log(2 / v) + (v**2 + m**2) / 8 - 0.5, rtol=1e-14)
    np.testing.assert_allclose(mu.grad.numpy(), m / 4, rtol=1e-14)
    np.testing.assert_allclose(s.grad.numpy(), v / 4 - 1 / v, rtol=1e-14)


def test_zero_dim_results_stay_tensors() -> None:
    mu = torch.tensor(0.5, dtype=torch.float64, requires_grad=True)
    for value in (anadiv.kl(Normal(mu, 1.0), Normal(0.0, 2.0)), anadiv.entropy(Normal(mu, 1.0)),
                  anadiv.cross_entropy(Normal(mu, 1.0), Normal(0.0, 2.0))):
        assert isinstance(value, torch.Tensor) and value.ndim == 0 and value.requires_grad
    assert anadiv.entropy(Normal(mu, 2.0)).item() == pytest.approx(0.5 * math.log(2 * math.pi * math.e * 4), rel=1e-15)
    kl = anadiv.kl(Normal(mu, 1.0), Normal(0.0, 2.0))
    assert kl.item() == pytest.approx(math.log(2.0) + (1.0 + 0.25) / 8 - 0.5, rel=1e-15)


def test_torch_func_grad_with_checks_on() -> None:
    grad = torch.func.grad(lambda mu: anadiv.kl(Normal(mu, 1.0), Normal(0.0, 2.0)))(torch.tensor(0.5))
    assert grad.item() == pytest.approx(0.125, rel=1e-7)


def test_jax_arrays_grad_and_jit() -> None:
    jax = pytest.importorskip("jax")
    jnp = jax.numpy

    def loss(mu: Any) -> Any:
        return anadiv.kl(Normal(mu, 1.0), Normal(0.0, 2.0)).sum()

    # other tests turn x64 on for the whole process; this one states JAX's default (float32) itself
    before = jax.config.jax_enable_x64
    jax.config.update("jax_enable_x64", False)
    try:
        _jax_arrays_grad_and_jit(jax, jnp, loss)
    finally:
        jax.config.update("jax_enable_x64", before)


def _jax_arrays_grad_and_jit(jax: Any, jnp: Any, loss: Any) -> None:
    mu = jnp.array([0.5, -1.0], dtype=jnp.float32)
    assert isinstance(Normal(mu, 1.0).mu, type(mu))
    np.testing.assert_allclose(np.asarray(jax.grad(loss)(mu)), [0.125, -0.25], rtol=1e-6)
    np.testing.assert_allclose(float(jax.jit(loss)(mu)), float(loss(mu)), rtol=1e-6)  # checks skip tracers
    with pytest.raises(ValueError, match=r"^sigma: must be > 0, got -1.0$"):
        Normal(mu, jnp.array([1.0, -1.0]))
    with pytest.raises(ValueError, match=r"^cov: must be positive definite"):
        anadiv.MultivariateNormal(jnp.zeros(2), jnp.array([[1.0, 2.0], [2.0, 1.0]]))
    assert Normal(jnp.array([1, 2]), 1.0).mu.dtype == jnp.float32  # JAX's default float (no x64)


# --------------------------------------------------------- torch.distributions objects
def _torch_pairs() -> list[str]:
    """Families with a torch counterpart whose KL torch computes (the families' own pair)."""
    from anadiv.families._torch_objects import torch_families

    names = []
    for torch_name, (cls, _) in sorted(torch_families().items()):
        p = cls(*_point(cls, 1)).to_torch()
        q = cls(*_point(cls, 2)).to_torch()
        try:
            td.kl_divergence(p, q)  # torch's own dispatch (along the classes' hierarchy)
        except NotImplementedError:
            continue
        if cls.name not in TENSORS_REFUSED:
            names.append(cls.name)
    return names


#: Families whose closed forms compute with numpy only and refuse tensors (test below).
TENSORS_REFUSED = {"wishart"}


TORCH_PAIRS = _torch_pairs()


def test_torch_pairs_cover_the_common_families() -> None:
    assert {"normal", "gamma", "beta", "exponential", "laplace", "multivariate_normal",
            "lowrank_multivariate_normal", "dirichlet", "categorical", "poisson"} <= set(TORCH_PAIRS)


@pytest.mark.parametrize("name", TORCH_PAIRS)
def test_kl_of_torch_objects_equals_torch(name: str) -> None:
    cls = FAMILIES[name]
    p, q = cls(*_point(cls, 1)).to_torch(), cls(*_point(cls, 2)).to_torch()
    ours, theirs = anadiv.kl(p, q), td.kl_divergence(p, q)
    assert isinstance(ours, torch.Tensor) and ours.shape == theirs.shape and ours.dtype == torch.float64
    np.testing.assert_allclose(ours.numpy(), theirs.numpy(), rtol=1e-12, atol=1e-12)


def test_torch_objects_gradients_and_mixed_pairs() -> None:
    conc = torch.tensor([2.0, 3.5], dtype=torch.float64, requires_grad=True)
    rate = torch.tensor([1.0, 0.5], dtype=torch.float64, requires_grad=True)
    p, q = td.Gamma(conc, rate), td.Gamma(torch.tensor(3.0, dtype=torch.float64), 2.0)
    anadiv.kl(p, q).sum().backward()
    # KL = (a - a2) psi(a) - lgamma(a) + lgamma(a2) + a2 log(b / b2) + a (b2 - b) / b, with a2 = 3, b2 = 2
    # (torch's own gradient goes through its trigamma, ~5e-10 relative off)
    a, b = conc.detach().numpy(), rate.detach().numpy()
    np.testing.assert_allclose(conc.grad.numpy(), (a - 3.0) * polygamma(1, a) + (2.0 - b) / b, rtol=1e-13)
    np.testing.assert_allclose(rate.grad.numpy(), 3.0 / b - 2.0 * a / b**2, rtol=1e-13)
    mixed = anadiv.kl(td.Normal(torch.tensor([0.0, 1.0], dtype=torch.float64), 1.0), anadiv.Normal(1.0, 2.0))
    np.testing.assert_allclose(mixed.numpy(), anadiv.kl(Normal(np.array([0.0, 1.0]), 1.0), Normal(1.0, 2.0)), rtol=1e-15)
    assert anadiv.entropy(td.Normal(torch.tensor(0.0, dtype=torch.float64), 2.0)).item() == pytest.approx(
        0.5 * math.log(2 * math.pi * math.e * 4), rel=1e-15)


def test_torch_independent_and_gaussians() -> None:
    g = torch.Generator().manual_seed(0)
    mu = torch.randn(4, 3, generator=g, dtype=torch.float64, requires_grad=True)
    s = torch.rand(4, 3, generator=g, dtype=torch.float64) + 0.5
    tril = torch.tensor([[1.0, 0.0, 0.0], [0.3, 1.2, 0.0], [-0.2, 0.1, 0.8]], dtype=torch.float64)
    p = td.Independent(td.Normal(mu, s), 1)
    q = td.Independent(td.Normal(torch.zeros(3, dtype=torch.float64), 2.0), 1)
    m = td.MultivariateNormal(mu, scale_tril=tril)
    m2 = td.MultivariateNormal(torch.ones(3, dtype=torch.float64), precision_matrix=tril @ tril.T)
    for a, b, reference in ((p, q, td.kl_divergence(p, q)), (m, m2, td.kl_divergence(m, m2)),
                            (p, m2, td.kl_divergence(td.MultivariateNormal(mu, torch.diag_embed(s * s)), m2))):
        ours = anadiv.kl(a, b)
        assert ours.shape == reference.shape == (4,)
        np.testing.assert_allclose(ours.detach().numpy(), reference.detach().numpy(), rtol=1e-12)
        ours.sum().backward()
        grad = mu.grad.clone()
        mu.grad = None
        reference.sum().backward()
        np.testing.assert_allclose(grad.numpy(), mu.grad.numpy(), rtol=1e-10, atol=1e-14)
        mu.grad = None


def test_tensor_gaussian_families_against_torch() -> None:
    g = torch.Generator().manual_seed(1)
    loc = torch.randn(2, 3, generator=g, dtype=torch.float64)
    w = torch.randn(3, 2, generator=g, dtype=torch.float64)
    diag = torch.rand(3, generator=g, dtype=torch.float64) + 0.5
    cov = w @ w.T + torch.diag(diag)
    lowrank = anadiv.LowRankMultivariateNormal(loc, w, diag)
    dense = anadiv.MultivariateNormal(torch.zeros(3, dtype=torch.float64), cov + torch.eye(3, dtype=torch.float64))
    diagonal = anadiv.DiagonalNormal(loc, diag)
    other = anadiv.LowRankMultivariateNormal(loc + 1.0, 0.5 * w, 2.0 * diag)
    t = {id(lowrank): td.LowRankMultivariateNormal(loc, w, diag), id(dense): dense.to_torch(),
         id(diagonal): td.MultivariateNormal(loc, torch.diag(diag * diag)),
         id(other): td.LowRankMultivariateNormal(loc + 1.0, 0.5 * w, 2.0 * diag)}
    for a, b in ((lowrank, dense), (dense, lowrank), (lowrank, other), (diagonal, lowrank), (dense, diagonal)):
        ours = anadiv.kl(a, b)
        assert isinstance(ours, torch.Tensor)
        np.testing.assert_allclose(ours.numpy(), td.kl_divergence(t[id(a)], t[id(b)]).numpy(), rtol=1e-12)
    np.testing.assert_allclose(anadiv.entropy(lowrank).numpy(), t[id(lowrank)].entropy().numpy(), rtol=1e-13)


def test_wishart_refuses_tensors_by_name() -> None:
    cov = torch.eye(2, dtype=torch.float64)
    with pytest.raises(TypeError, match=r"^p: the Wishart closed forms compute with numpy; this Wishart holds torch"):
        anadiv.kl(td.Wishart(torch.tensor(3.0, dtype=torch.float64), cov), td.Wishart(torch.tensor(4.0), cov))


def test_torch_objects_without_a_family_are_named() -> None:
    with pytest.raises(NoClosedFormError, match=r"^q: torch.distributions.RelaxedBernoulli has no anadiv family"):
        anadiv.kl(td.Normal(0.0, 1.0), td.RelaxedBernoulli(torch.tensor(1.0), probs=torch.tensor(0.3)))
    vector = td.MultivariateNormal(torch.zeros(2), torch.eye(2))
    with pytest.raises(NoClosedFormError, match=r"^p: torch.distributions.Independent of MultivariateNormal"):
        anadiv.kl(td.Independent(vector.expand((3,)), 1), td.Independent(vector.expand((3,)), 1))


def test_vae_term_equals_torch() -> None:
    g = torch.Generator().manual_seed(0)
    mu = torch.randn(4096, 256, generator=g).requires_grad_()
    log_sigma = (0.3 * torch.randn(4096, 256, generator=g)).requires_grad_()
    prior = td.Independent(td.Normal(torch.zeros(256), torch.ones(256)), 1)
    values, grads = [], []
    for kl in (anadiv.kl, td.kl_divergence):
        value = kl(td.Independent(td.Normal(mu, log_sigma.exp()), 1), prior)
        value.sum().backward()
        values.append(value.detach())
        grads.append((mu.grad, log_sigma.grad))
        mu.grad = log_sigma.grad = None
    assert values[0].shape == values[1].shape == (4096,) and values[0].dtype == torch.float32
    # float32: each KL sums 256 terms of about 0.05 (rounding ~ 256 * 6e-8 relative)
    np.testing.assert_allclose(values[0].numpy(), values[1].numpy(), rtol=2e-5, atol=1e-5)
    for ours, theirs in zip(grads[0], grads[1]):
        np.testing.assert_allclose(ours.numpy(), theirs.numpy(), rtol=1e-5, atol=1e-6)


def test_docstring_examples_run() -> None:
    import doctest

    from anadiv.families import _torch_objects

    for module in (_torch_objects, validation):
        result = doctest.testmod(module, verbose=False)
        assert result.failed == 0 and result.attempted > 0, module.__name__
