r"""``torch.distributions`` objects as anadiv distributions, for the closed forms.

``anadiv.kl(p, q)``, ``entropy`` and ``cross_entropy`` take a torch object
wherever they take a family: :func:`from_torch` turns it into the family that
is the same distribution, holding the torch object's own parameter tensors
(same device, dtype and autograd graph), so the result is a tensor whose
gradients reach those parameters. A training loop swaps
``torch.distributions.kl_divergence(p, q)`` for ``anadiv.kl(p, q)`` and gets
the same batch shape.

One table, built from the registry, maps torch's class names to families:
each family's ``torch_name`` and, in reverse, its ``_torch_params`` hook
(called once with placeholders, it says which torch attribute holds which
parameter). A family whose ``_torch_params`` is no renaming of its parameters
declares ``_from_torch(obj) -> parameter values`` instead. torch's wrappers
map to anadiv's through :data:`TORCH_WRAPPERS`, filled by the wrappers' own
modules: ``Independent(base, n)`` to :class:`anadiv.Independent` of the
base's family (:mod:`anadiv.independent`). A ``MultivariateNormal`` of any of
torch's three parametrizations (``scale_tril``, ``covariance_matrix``,
``precision_matrix``) is a :class:`~anadiv.MultivariateNormal` of its
``covariance_matrix`` (torch forms it, differentiably, from the one given).

torch checked the parameters when it built the object (unless its
``validate_args`` was off, when torch's own ``kl_divergence`` does not check
either), so the families are built unchecked (``Family._from_checked``): no
second check, no host synchronisation, no conversion. The conversion of each
torch class is looked up once and kept (one dictionary look-up per object). Nothing here imports torch: a torch object is
recognised by its class's module.

Examples
--------
>>> import torch  # doctest: +SKIP
>>> import anadiv  # doctest: +SKIP
>>> p = torch.distributions.Normal(torch.tensor([0.0, 1.0]), 1.0)  # doctest: +SKIP
>>> anadiv.kl(p, torch.distributions.Normal(0.0, 2.0))  # doctest: +SKIP
tensor([0.4431, 0.5681])
"""

from __future__ import annotations

import importlib
from typing import Any, Callable

from ..errors import NoClosedFormError
from ..numeric.validation import kept_library
from ._base import FAMILIES, Family

__all__ = ["is_torch_distribution", "from_torch", "torch_families", "register_torch_wrapper", "TORCH_WRAPPERS"]

_TABLE: dict[str, tuple[type[Family], tuple[str, ...] | None]] = {}

#: torch's wrapper classes (``"Independent"``) -> ``convert(obj, arg)``: the anadiv distribution for such an
#: object; filled by the modules of anadiv's wrappers (:mod:`anadiv.independent`), which this module does not import.
TORCH_WRAPPERS: dict[str, Callable[[Any, str], Any]] = {}
#: The module that registers each wrapper, imported on the first such object (``import anadiv`` loads it lazily).
_WRAPPER_MODULES: dict[str, str] = {"Independent": "anadiv.independent"}


def register_torch_wrapper(name: str) -> Callable[[Callable[[Any, str], Any]], Callable[[Any, str], Any]]:
    """Decorator: ``convert(obj, arg)`` turns torch's wrapper class ``name`` into an anadiv distribution."""

    def add(convert: Callable[[Any, str], Any]) -> Callable[[Any, str], Any]:
        TORCH_WRAPPERS[name] = convert
        return convert

    return add


def is_torch_distribution(obj: Any) -> bool:
    """Whether ``obj`` is a ``torch.distributions`` object (told from its class's module; torch not imported)."""
    return not isinstance(obj, type) and type(obj).__module__.startswith("torch.distributions")


class _Slot:
    """Stands for one parameter in a call of a family's ``_torch_params``."""

    def __init__(self, index: int) -> None:
        self.index = index


def _torch_attributes(cls: type[Family]) -> tuple[str, ...] | None:
    """The torch attribute of each parameter, from ``_torch_params`` in reverse; ``None``: no renaming."""
    if cls._torch_params is None:
        return None
    try:
        kwargs = cls._torch_params(*(_Slot(i) for i in range(len(cls.parameters))))
    except Exception:  # it computes with the values (a Multinomial's one number of draws)
        return None
    names: list[str | None] = [None] * len(cls.parameters)
    for key, value in kwargs.items():
        if isinstance(value, _Slot):
            names[value.index] = key
    return None if None in names else tuple(n for n in names if n is not None)


def torch_families() -> dict[str, tuple[type[Family], tuple[str, ...] | None]]:
    """torch's class name -> (the family, the torch attribute of each parameter, or ``None``: ``_from_torch``).

    Built once from :data:`anadiv.families.FAMILIES` (``torch_name`` and
    ``_torch_params`` in reverse); the first family to claim a torch name keeps it.

    Examples
    --------
    >>> from anadiv.families._torch_objects import torch_families
    >>> cls, attributes = torch_families()["Gamma"]
    >>> cls.__name__, attributes
    ('Gamma', ('concentration', 'rate'))
    """
    if not _TABLE:
        for cls in FAMILIES.values():
            if cls.torch_name and cls.torch_name not in _TABLE:
                attributes = _torch_attributes(cls)
                if attributes is not None or cls._from_torch is not None:
                    _TABLE[cls.torch_name] = (cls, attributes)
    return _TABLE


def _torch_class(typ: type) -> str:
    """The name of the ``torch.distributions`` class ``typ`` is (a subclass of one: the nearest)."""
    for klass in typ.__mro__:
        if klass.__module__.startswith("torch.distributions") and klass.__name__ in torch_families():
            return klass.__name__
    return typ.__name__


#: torch class -> how to convert its objects: the one look-up per call, filled on first sight of each class.
_CONVERTERS: dict[type, Callable[[Any, str], Any]] = {}


def _converter(typ: type) -> Callable[[Any, str], Any]:
    name = typ.__name__
    if name in _WRAPPER_MODULES and name not in TORCH_WRAPPERS:
        importlib.import_module(_WRAPPER_MODULES[name])
    wrapper = TORCH_WRAPPERS.get(name)
    if wrapper is not None:
        return wrapper
    entry = torch_families().get(_torch_class(typ))
    if entry is None:

        def refuse(obj: Any, arg: str) -> Any:
            raise NoClosedFormError(
                f"{arg}: torch.distributions.{name} has no anadiv family (families with a torch counterpart: "
                f"{', '.join(sorted(torch_families()))}; wrappers: {', '.join(sorted(_WRAPPER_MODULES))})"
            )

        return refuse
    cls, attributes = entry
    if attributes is None:
        read = cls._from_torch
        assert read is not None  # the table holds no family with neither
    else:

        def read(obj: Any) -> tuple[Any, ...]:
            return tuple(getattr(obj, a) for a in attributes)

    def convert(obj: Any, arg: str) -> Any:
        values = read(obj)
        library = next((kept_library(v) for v in values if kept_library(v) is not None), None)
        return cls._from_checked(values, library)

    return convert


def from_torch(obj: Any, arg: str = "p") -> Any:
    """The anadiv distribution equal to a ``torch.distributions`` object; anything else unchanged.

    Parameters
    ----------
    obj : torch.distributions.Distribution or anything
        A torch object of a class some family names in ``torch_name``, an
        ``Independent`` of one, or a ``MultivariateNormal`` /
        ``LowRankMultivariateNormal``. Other objects are returned as they are
        (the front doors' look-up reports them).
    arg : str
        The argument's name, for messages.

    Returns
    -------
    Family, anadiv.Independent or obj
        The family holds the torch object's parameter tensors themselves.

    Raises
    ------
    NoClosedFormError
        ``<arg>: ...`` naming the torch class when no anadiv family is that
        distribution (its closed forms are torch's alone).
    """
    convert = _CONVERTERS.get(type(obj))
    if convert is None:
        if not is_torch_distribution(obj):
            return obj
        convert = _CONVERTERS[type(obj)] = _converter(type(obj))
    return convert(obj, arg)
