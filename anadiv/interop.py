"""Interoperability with other libraries.

:func:`from_scipy` turns a frozen ``scipy.stats`` distribution into the
matching anadiv family, so distributions users already have can be passed to
``anadiv.kl`` and friends. Neither scipy nor sympy is imported here: the
frozen object is only inspected.
"""

from __future__ import annotations

from typing import Any

from .families import FAMILIES, Family

__all__ = ["from_scipy"]


def _scipy_table() -> dict[str, type[Family]]:
    # Built from the registry on each call so a newly added family is picked
    # up without touching this module: a family with a ``scipy_name`` declares
    # the reverse mapping (``Family._from_scipy_frozen``), which the test of the
    # family hooks checks.
    return {cls.scipy_name: cls for cls in FAMILIES.values() if cls.scipy_name}


def _scipy_name(frozen: Any) -> str:
    dist = getattr(frozen, "dist", None)
    if dist is not None and hasattr(dist, "name") and hasattr(frozen, "args"):
        return str(dist.name)
    gen = getattr(frozen, "_dist", None)
    if gen is not None:
        return type(gen).__name__.removesuffix("_gen")
    if hasattr(frozen, "name") and hasattr(frozen, "freeze"):
        raise ValueError(
            f"frozen: got the unfrozen scipy.stats.{frozen.name}; pass a frozen distribution "
            f"with its parameters, e.g. scipy.stats.{frozen.name}(...)"
        )
    raise ValueError(f"frozen: expected a frozen scipy.stats distribution, got {type(frozen).__name__}")


def from_scipy(frozen: Any) -> Family:
    """The anadiv family equal to a frozen ``scipy.stats`` distribution.

    Supported: ``norm``, ``expon``, ``gamma``, ``laplace``, ``uniform``,
    ``beta``, ``lognorm``, ``cauchy``, ``gumbel_r``, ``weibull_min``, ``t`` and
    ``multivariate_normal``. Array arguments give a batched family.

    Parameters
    ----------
    frozen : scipy.stats frozen distribution
        For example ``scipy.stats.gamma(2.0, scale=0.5)``.

    Returns
    -------
    Family
        For example ``Gamma(shape=2.0, rate=2.0)``.

    Raises
    ------
    ValueError
        ``frozen: ...`` for an unsupported distribution or a non-frozen
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
    """
    name = _scipy_name(frozen)
    table = _scipy_table()
    cls = table.get(name)
    if cls is None:
        raise ValueError(
            f"frozen: scipy.stats.{name} has no anadiv family; supported: {', '.join(sorted(table))}"
        )
    return cls(*cls._from_scipy_frozen(frozen))
