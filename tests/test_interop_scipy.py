"""``anadiv.from_scipy``: round trips against the frozen scipy distribution."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.stats as st

from _measure import scipy_log_density

from anadiv import FAMILIES, from_scipy

# scipy name -> frozen distributions to convert, spelled by hand (default and non-default
# loc/scale/shape spelling); every family also gets random points through its own hook below.
HAND_CASES = {
    "norm": [st.norm(), st.norm(1.5, 0.7), st.norm(loc=-1.0, scale=2.0)],
    "expon": [st.expon(), st.expon(scale=0.4), st.expon(0, 3.0)],
    "gamma": [st.gamma(2.5), st.gamma(0.7, scale=2.0), st.gamma(a=4.0, loc=0.0, scale=0.3)],
    "laplace": [st.laplace(), st.laplace(0.5, 1.7)],
    "uniform": [st.uniform(), st.uniform(-1.0, 3.0), st.uniform(loc=2.0, scale=0.5)],
    "beta": [st.beta(2.0, 3.0), st.beta(0.6, 0.8), st.beta(a=5.0, b=1.2, loc=0, scale=1)],
    "lognorm": [st.lognorm(0.5), st.lognorm(1.2, scale=3.0), st.lognorm(s=0.3, scale=0.5)],
    "cauchy": [st.cauchy(), st.cauchy(-2.0, 0.5)],
    "gumbel_r": [st.gumbel_r(), st.gumbel_r(1.0, 2.0)],
    "weibull_min": [st.weibull_min(1.5), st.weibull_min(0.8, scale=2.0), st.weibull_min(c=3.0, scale=0.7)],
    "t": [st.t(3.0), st.t(1.5, 0.5, 2.0), st.t(df=20.0, loc=-1.0, scale=0.4)],
    "multivariate_normal": [
        st.multivariate_normal([0.0, 1.0], [[1.0, 0.3], [0.3, 2.0]]),
        st.multivariate_normal(mean=np.arange(3.0), cov=np.diag([1.0, 2.0, 0.5])),
    ],
}


def _cases() -> dict[str, list]:
    """HAND_CASES plus, for every family with a scipy counterpart, frozen distributions from its hook."""
    rng = np.random.default_rng(11)
    out = {name: list(cases) for name, cases in HAND_CASES.items()}
    for cls in FAMILIES.values():
        if cls.scipy_name and cls._scipy_frozen is not None:
            out.setdefault(cls.scipy_name, []).extend(cls._scipy_frozen(*cls.random_params(rng)) for _ in range(2))
    return out


CASES = _cases()


def test_every_family_with_a_scipy_name_has_cases():
    names = {cls.scipy_name for cls in FAMILIES.values() if cls.scipy_name}
    assert names == set(CASES)
    assert set(HAND_CASES) <= names, f"hand-written cases for unknown scipy names: {set(HAND_CASES) - names}"


@pytest.mark.parametrize("scipy_name", sorted(CASES))
def test_round_trip_logpdf(scipy_name):
    rng = np.random.default_rng(7)
    for frozen in CASES[scipy_name]:
        dist = from_scipy(frozen)
        assert type(dist).scipy_name == scipy_name
        x = np.asarray(frozen.rvs(size=20, random_state=rng))
        if dist.event_ndim == 0:
            x = np.concatenate([x, [-1.0, 0.0, 0.3, 1.0, 2.5]])
        got, want = dist.logpdf(x), scipy_log_density(frozen, x, dist.event_ndim)
        assert np.array_equal(np.isneginf(got), np.isneginf(want))
        finite = np.isfinite(want)
        np.testing.assert_allclose(got[finite], want[finite], rtol=1e-11, atol=1e-12)


def test_batched_scipy_arguments_give_a_batch():
    frozen = st.gamma([1.0, 2.0, 3.0], scale=[[0.5], [2.0]])
    dist = from_scipy(frozen)
    assert dist.batch_shape == (2, 3)
    np.testing.assert_allclose(dist.logpdf(1.3), frozen.logpdf(1.3), rtol=1e-12)


@pytest.mark.parametrize(
    "frozen, start",
    [
        (st.expon(loc=1.0), "loc"),
        (st.gamma(2.0, loc=-0.5), "loc"),
        (st.lognorm(0.5, loc=1.0), "loc"),
        (st.weibull_min(2.0, loc=0.1), "loc"),
        (st.beta(2.0, 3.0, loc=1.0), "loc"),
        (st.beta(2.0, 3.0, scale=2.0), "scale"),
        (st.zipf(3.0), "frozen"),
        (st.multivariate_t([0.0, 0.0], df=3.0), "frozen"),
        (st.norm, "frozen"),
        (3.0, "frozen"),
        (st.norm(0.0, -1.0), "sigma"),
    ],
)
def test_unsupported_inputs_raise(frozen, start):
    with pytest.raises(ValueError) as info:
        from_scipy(frozen)
    assert str(info.value).startswith(start), str(info.value)


def test_unsupported_message_lists_what_is_supported():
    with pytest.raises(ValueError, match="gumbel_r"):
        from_scipy(st.zipf(3.0))


def test_docstring_example_runs():
    import doctest

    import anadiv.interop

    result = doctest.testmod(anadiv.interop, optionflags=doctest.ELLIPSIS)
    assert result.attempted > 0 and result.failed == 0
