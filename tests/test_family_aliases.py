"""Parameter aliases (torch's and scipy's names) and the families' explicit constructor signatures."""

from __future__ import annotations

import inspect

import numpy as np
import pytest

from anadiv import FAMILIES, Family, Normal, Param
from anadiv.constraints import positive, real

FAMILY_CLASSES = sorted(FAMILIES.values(), key=lambda c: c.name)
ALIASED = [(cls, p.name, alias) for cls in FAMILY_CLASSES for p in cls.parameters for alias in p.aliases]
REFUSED = [(cls, p.name, key) for cls in FAMILY_CLASSES for p in cls.parameters for key, _ in p.reparametrizations]


def _canonical(cls: type[Family]) -> dict[str, object]:
    rng = np.random.default_rng(3)
    for _ in range(20):  # joint constraints (Uniform: low < high) may refuse a draw
        values = dict(zip((p.name for p in cls.parameters), cls.random_params(rng)))
        try:
            cls(**values)
        except ValueError:
            continue
        return values
    raise AssertionError(f"no valid draw for {cls.__name__}")


def _same(a: Family, b: Family) -> bool:
    return all(np.array_equal(np.asarray(x), np.asarray(y)) for x, y in zip(a.param_values, b.param_values))


def test_the_torch_and_scipy_names_are_declared():
    # the examples, and a count so that no family loses its aliases unnoticed
    assert Normal.aliases() == {"loc": "mu", "scale": "sigma"}
    assert FAMILIES["gamma"].aliases() == {"concentration": "shape", "a": "shape"}
    assert len(ALIASED) == 30 and len(REFUSED) == 14


@pytest.mark.parametrize("cls, name, alias", ALIASED, ids=[f"{c.__name__}-{a}" for c, _, a in ALIASED])
def test_an_alias_gives_the_canonical_construction(cls, name, alias):
    values = _canonical(cls)
    aliased = {alias if k == name else k: v for k, v in values.items()}
    assert _same(cls(**aliased), cls(**values))
    # both spellings at once: a TypeError naming both
    with pytest.raises(TypeError, match=rf"'{name}' given twice, as '{name}' and '{alias}'"):
        cls(**values, **{alias: values[name]})


@pytest.mark.parametrize("cls, name, key", REFUSED, ids=[f"{c.__name__}-{k}" for c, _, k in REFUSED])
def test_a_reparametrization_is_refused_with_its_conversion(cls, name, key):
    values = _canonical(cls)
    values.pop(name)
    with pytest.raises(TypeError, match=rf"'{key}' is no alias of '{name}' but a reparametrization \(.*pass {name}="):
        cls(**values, **{key: 1.0})


@pytest.mark.parametrize("cls", FAMILY_CLASSES, ids=lambda c: c.__name__)
def test_the_signature_lists_the_parameters_then_the_aliases(cls):
    sig = inspect.signature(cls)
    positional = [n for n, p in sig.parameters.items() if p.kind is inspect.Parameter.POSITIONAL_OR_KEYWORD]
    keyword = [n for n, p in sig.parameters.items() if p.kind is inspect.Parameter.KEYWORD_ONLY]
    assert positional == [p.name for p in cls.parameters]
    assert keyword == [a for p in cls.parameters for a in p.aliases] + ["validate"]
    assert all(p.annotation is not inspect.Parameter.empty for p in sig.parameters.values())
    # the explicit constructor is the family's own, so the signature is no inherited one
    assert "__init__" in vars(cls)


def test_unknown_keywords_and_extra_values_name_what_is_taken():
    with pytest.raises(TypeError, match=r"unknown parameter 'sd'; expected mu, sigma \(aliases: loc=mu, scale=sigma\)"):
        Normal(0.0, sd=1.0)
    with pytest.raises(TypeError, match=r"Normal takes 2 parameters \(mu, sigma\), got 3"):
        Normal(0.0, 1.0, 2.0)
    with pytest.raises(TypeError, match="missing parameter.*sigma"):
        Normal(loc=0.0)


def test_an_alias_may_not_shadow_a_parameter():
    with pytest.raises(TypeError, match="keyword 'mu' of parameter 'sigma' is already 'mu'"):
        class Clash(Family):  # noqa: F841
            parameters = (Param("mu", real), Param("sigma", positive, aliases=("mu",)))


def test_a_subclass_with_its_own_parameters_gets_the_generic_constructor():
    class Shifted(Normal):
        parameters = (Param("centre", real), Param("width", positive, aliases=("w",)))

    d = Shifted(centre=1.0, w=2.0)
    assert d.param_values == (1.0, 2.0)
    assert Shifted.aliases() == {"w": "width"}
