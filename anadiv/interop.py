"""Interoperability with other libraries.

:func:`from_scipy` turns a ``scipy.stats`` distribution into the equal anadiv
family. The front doors (``anadiv.kl``, the estimators, quadrature) take scipy
objects as they are, through :func:`anadiv.families._scipy_objects.as_distribution`:
the family when there is one, else an adapter on scipy's own methods. Neither
scipy nor sympy is imported here: the objects are only inspected.
"""

from __future__ import annotations

from typing import Any

from .families import Family
from .families._scipy_objects import (
    ScipyDistribution,
    ScipyMassFunction,
    _scipy_name,
    family_of,
    is_scipy_object,
    mapped_names,
)

__all__ = ["from_scipy", "scipy_names", "ScipyDistribution", "ScipyMassFunction"]


def scipy_names() -> dict[str, tuple[str, ...]]:
    """scipy.stats names that :func:`from_scipy` maps, each with the anadiv families it maps to.

    Examples
    --------
    >>> scipy_names()["erlang"]
    ('Gamma',)
    >>> scipy_names()["chi2"]
    ('Chi2', 'Gamma')
    """
    return mapped_names()


def from_scipy(frozen: Any) -> Family:
    """The anadiv family equal to a ``scipy.stats`` distribution.

    Takes the classic frozen distributions (``scipy.stats.gamma(2.0,
    scale=0.5)``) and the distribution objects of scipy >= 1.15
    (``scipy.stats.Normal(mu=0, sigma=1)``,
    ``scipy.stats.make_distribution(scipy.stats.gamma)(a=2.0)``, shifted and
    scaled: ``2 * scipy.stats.Normal() + 1``). :func:`scipy_names` lists the
    names mapped (``norm``, ``gamma``, ``erlang``, ``chi2`` with a scale, which
    is a Gamma, ...). Array arguments give a batched family.

    Objects without a family need no conversion: :func:`anadiv.kl_quad`,
    :func:`anadiv.kl_estimate` & co. take them as they are, through an adapter
    on scipy's own ``logpdf``, sampler and support.

    Parameters
    ----------
    frozen : scipy.stats distribution
        For example ``scipy.stats.gamma(2.0, scale=0.5)``.

    Returns
    -------
    Family
        For example ``Gamma(shape=2.0, rate=2.0)``.

    Raises
    ------
    ValueError
        ``frozen: ...`` for a distribution without a family or a non-frozen
        object; ``loc: ...`` / ``scale: ...`` when scipy's shift or scale has
        no anadiv equivalent (``expon(loc=1)``: anadiv's Exponential starts at
        0; ``beta(2, 3, scale=2)``: anadiv's Beta lives on [0, 1]); the
        family's own parameter errors otherwise.

    Examples
    --------
    >>> import scipy.stats
    >>> from anadiv import from_scipy
    >>> from_scipy(scipy.stats.gamma(2.0, scale=0.5))
    Gamma(shape=2.0, rate=2.0)
    >>> from_scipy(2.0 * scipy.stats.Normal(mu=1.0, sigma=0.5) + 1.0)
    Normal(mu=3.0, sigma=1.0)
    """
    if not is_scipy_object(frozen):
        raise ValueError(f"frozen: expected a frozen scipy.stats distribution, got {type(frozen).__name__}")
    if hasattr(frozen, "freeze") and hasattr(frozen, "name") and not hasattr(frozen, "dist"):
        raise ValueError(
            f"frozen: got the unfrozen scipy.stats.{frozen.name}; pass a frozen distribution "
            f"with its parameters, e.g. scipy.stats.{frozen.name}(...)"
        )
    refusals: list[Any] = []
    family = family_of(frozen, refusals)
    if family is not None:
        return family
    if refusals:
        raise refusals[0]
    name = _scipy_name(frozen)
    raise ValueError(
        f"frozen: scipy.stats.{name} has no anadiv family (kl_quad, kl_estimate & co. take it as it is); "
        f"mapped: {', '.join(mapped_names())}"
    )
