r"""scipy.stats distribution objects as anadiv distributions.

Two kinds of scipy object are accepted wherever anadiv takes a distribution:

* the classic frozen distributions (``scipy.stats.norm(0, 1)``,
  ``scipy.stats.poisson(3)``, ``scipy.stats.dirichlet([1, 2])``);
* the distribution objects of scipy >= 1.15 (``scipy.stats.Normal(mu=0, sigma=1)``,
  ``scipy.stats.make_distribution(scipy.stats.gamma)(a=2)``) and their shifted and
  scaled versions (``2 * Normal() + 1``).

Each is read as a :class:`ScipyForm`, scipy's name with its shape values,
``loc`` and ``scale`` (the new objects through the classic distribution they
stand for), and becomes

1. the anadiv family equal to it (:func:`family_of`), through the family's own
   converter (``scipy_name`` and ``_from_scipy_params``) or, for scipy's names
   of special cases of a family (``erlang`` is a Gamma, ``levy`` an inverse
   gamma, ``chi2`` with a scale a Gamma), the table :data:`SPECIAL_CASES`;
2. otherwise a :class:`ScipyDistribution`: an adapter on the object's own
   ``logpdf`` (``logpmf``), sampler and support, which quadrature and Monte Carlo
   take like any family. Its ``form`` lets the closed-form front doors remove a
   shift or scale that P and Q share (:func:`common_reduction`): the
   f-divergences are invariant under one affine map applied to both, and the
   entropy and cross-entropy move by :math:`\log|a|` under :math:`x \mapsto ax + b`.

Neither scipy nor sympy is imported here: the objects are only inspected.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from typing import Any, Callable

import numpy as np

from ._base import FAMILIES, Family
from ._scipy import NotRepresentable, require_unit_scale, require_zero_loc, shapes_loc_scale

__all__ = [
    "ScipyForm",
    "ScipyDistribution",
    "ScipyMassFunction",
    "SPECIAL_CASES",
    "is_scipy_object",
    "scipy_form",
    "family_of",
    "as_distribution",
    "form_of",
    "common_reduction",
]


@dataclass(frozen=True)
class ScipyForm:
    """A univariate scipy distribution: ``scipy.stats.<name>(**shapes, loc=loc, scale=scale)``."""

    name: str
    shapes: dict[str, Any]
    loc: Any
    scale: Any
    discrete: bool = False

    def scalar(self) -> bool:
        """Whether every value is a scalar (one distribution, not a batch)."""
        return all(np.ndim(v) == 0 for v in (*self.shapes.values(), self.loc, self.scale))

    def shifted_to_origin(self) -> "ScipyForm":
        """The same distribution moved to where its family starts (``loc = 0``, but ``-1`` for scipy's geom)."""
        return replace(self, loc=ORIGIN.get(self.name, 0.0))

    def standardized(self) -> "ScipyForm":
        return replace(self, loc=ORIGIN.get(self.name, 0.0), scale=1.0)


# ------------------------------------------------------------------ special cases
def _gamma_from_chi2(shapes: dict[str, Any], loc: Any, scale: Any) -> tuple[Any, ...]:
    # chi2(df, scale=s) has the density of a Gamma(df/2, rate=1/(2s))
    require_zero_loc(loc, "chi2")
    return (np.asarray(shapes["df"], dtype=float) / 2.0, 1.0 / (2.0 * np.asarray(scale, dtype=float)))


def _chi_by_df(df: float, family: str) -> Callable[[dict[str, Any], Any, Any], tuple[Any, ...]]:
    def convert(shapes: dict[str, Any], loc: Any, scale: Any) -> tuple[Any, ...]:
        # chi(1, scale=s) is a HalfNormal(s), chi(2, scale=s) a Rayleigh(s)
        require_zero_loc(loc, "chi")
        if np.any(np.asarray(shapes["df"]) != df):
            raise NotRepresentable(f"df: scipy.stats.chi with a scale is a {family} only for df = {df:g}")
        return (scale,)

    return convert


def _unit(family_params: Callable[[dict[str, Any]], tuple[Any, ...]], name: str) -> Callable[..., tuple[Any, ...]]:
    def convert(shapes: dict[str, Any], loc: Any, scale: Any) -> tuple[Any, ...]:
        require_zero_loc(loc, name)
        require_unit_scale(scale, name)
        return family_params(shapes)

    return convert


def _levy(shapes: dict[str, Any], loc: Any, scale: Any) -> tuple[Any, ...]:
    # levy(scale=c): sqrt(c/(2 pi)) x^(-3/2) exp(-c/(2x)), an InverseGamma(1/2, rate=c/2)
    require_zero_loc(loc, "levy")
    return (0.5, np.asarray(scale, dtype=float) / 2.0)


def _gibrat(shapes: dict[str, Any], loc: Any, scale: Any) -> tuple[Any, ...]:
    # gibrat is lognorm(s=1)
    require_zero_loc(loc, "gibrat")
    return (np.log(np.asarray(scale, dtype=float)), 1.0)


def _planck(shapes: dict[str, Any], loc: Any, scale: Any) -> tuple[Any, ...]:
    # planck(lambda): (1 - e^-lambda) e^(-lambda k), k >= 0: failures before a success of p = 1 - e^-lambda
    require_zero_loc(loc, "planck")
    return (-np.expm1(-np.asarray(shapes["lambda_"], dtype=float)),)


def _own(family: str) -> Callable[[dict[str, Any], Any, Any], tuple[Any, ...]]:
    return lambda shapes, loc, scale: FAMILIES[family]._from_scipy_params(shapes, loc, scale)


#: scipy's names for special cases of an anadiv family, each with the family's
#: name and a converter ``(shapes, loc, scale) -> the family's parameters`` (it
#: raises :class:`~anadiv.families._scipy.NotRepresentable` for values it cannot
#: express). Tried after the family whose ``scipy_name`` the name is, if any.
SPECIAL_CASES: dict[str, tuple[tuple[str, Callable[[dict[str, Any], Any, Any], tuple[Any, ...]]], ...]] = {
    "erlang": (("gamma", _own("gamma")),),
    "chi2": (("gamma", _gamma_from_chi2),),
    "chi": (("halfnormal", _chi_by_df(1.0, "HalfNormal")), ("rayleigh", _chi_by_df(2.0, "Rayleigh"))),
    "maxwell": (("chi", _unit(lambda s: (3.0,), "maxwell")),),
    "arcsine": (("beta", _unit(lambda s: (0.5, 0.5), "arcsine")),),
    "powerlaw": (("beta", _unit(lambda s: (s["a"], 1.0), "powerlaw")),),
    "levy": (("inversegamma", _levy),),
    "gibrat": (("lognormal", _gibrat),),
    "vonmises_line": (("vonmises", _unit(lambda s: (0.0, s["kappa"]), "vonmises_line")),),
    "planck": (("geometric", _planck),),
}

#: Where scipy's distribution is the family's when that is not at ``loc = 0``: scipy's geom counts trials
#: (from 1), anadiv's Geometric failures (from 0), so ``geom(p, loc=-1)`` is ``Geometric(p)``. The
#: reductions by a common shift move the distributions there.
ORIGIN: dict[str, float] = {"geom": -1.0}

#: Multivariate frozen objects: scipy's name -> (family name, ``frozen -> parameters``).
_MULTIVARIATE: dict[str, tuple[str, Callable[[Any], tuple[Any, ...]]]] = {
    "dirichlet": ("dirichlet", lambda f: (np.asarray(f.alpha, dtype=float),)),
    "multinomial": ("multinomial", lambda f: (f.n, np.asarray(f.p, dtype=float))),
}

#: scipy names whose objects are no density on their support: scipy's vonmises is
#: periodic on the whole real line (its integral there is infinite).
_NOT_A_DENSITY = {"vonmises": "use anadiv.VonMises(loc, concentration), a density on [-pi, pi]"}


# ------------------------------------------------------------------ recognition
def is_scipy_object(obj: Any) -> bool:
    """Whether ``obj`` is a scipy.stats object (a distribution, frozen or not, of either kind)."""
    return not isinstance(obj, type) and type(obj).__module__.startswith("scipy.stats")


def _is_new(obj: Any) -> bool:
    """A distribution object of scipy's new infrastructure (``scipy.stats.Normal``, ...)."""
    return hasattr(obj, "sample") and hasattr(obj, "logpdf") and not hasattr(obj, "dist")


def _is_discrete(obj: Any) -> bool:
    if _is_new(obj):
        return any(k.__name__ == "DiscreteDistribution" for k in type(obj).__mro__)
    dist = getattr(obj, "dist", None)
    return any(k.__name__ == "rv_discrete" for k in type(dist).__mro__)


def _rv_generic(cls: type) -> Any:
    """The classic distribution behind a ``make_distribution`` class (held by its methods' closures)."""
    for value in vars(cls).values():
        for cell in getattr(value, "__closure__", None) or ():
            try:
                held = cell.cell_contents
            except ValueError:  # an empty cell
                continue
            if hasattr(held, "freeze") and hasattr(held, "shapes") and hasattr(held, "name"):
                return held
    return None


def _value(v: Any) -> Any:
    a = np.asarray(v, dtype=float)
    return float(a) if a.ndim == 0 else a


#: The new infrastructure's own classes as classic forms: parameters -> (name, shapes, loc, scale).
_NEW_CLASSES: dict[str, Callable[[dict[str, Any]], tuple[str, dict[str, Any], Any, Any]]] = {
    "Normal": lambda p: ("norm", {}, p["mu"], p["sigma"]),
    "StandardNormal": lambda p: ("norm", {}, 0.0, 1.0),
    "Uniform": lambda p: ("uniform", {}, p["a"], _value(p["b"]) - _value(p["a"])),
    "Logistic": lambda p: ("logistic", {}, 0.0, 1.0),
    "Binomial": lambda p: ("binom", {"n": p["n"], "p": p["p"]}, 0.0, 1.0),
}


def scipy_form(obj: Any) -> ScipyForm | None:
    """``obj`` as scipy's name, shapes, loc and scale.

    ``None`` for what has none: a reflection, another transformation, a multivariate object.
    """
    discrete = _is_discrete(obj)
    if _is_new(obj):
        if not hasattr(obj, "_parameters"):
            return None  # a mixture
        params = {k: _value(v) for k, v in obj._parameters.items()}
        base = getattr(obj, "_dist", None)
        if base is not None:  # a shifted and scaled distribution: loc + scale * base
            if type(obj).__name__ != "ShiftedScaledDistribution":
                return None  # exp(X), |X|, a truncation, ...: only the adapter
            inner = scipy_form(base)
            loc, scale = params.get("loc", 0.0), params.get("scale", 1.0)
            if inner is None or np.any(np.asarray(scale) <= 0) or (discrete and np.any(np.asarray(scale) != 1)):
                return None  # a reflection has no classic form
            return replace(inner, loc=_value(loc + scale * np.asarray(inner.loc)),
                           scale=_value(scale * np.asarray(inner.scale)))
        make = _NEW_CLASSES.get(type(obj).__name__)
        if make is not None:
            name, shapes, loc, scale = make(params)
            return ScipyForm(name, {k: _value(v) for k, v in shapes.items()}, _value(loc), _value(scale), discrete)
        gen = _rv_generic(type(obj))
        if gen is None:
            return None
        return ScipyForm(str(gen.name), params, 0.0, 1.0, discrete)
    dist = getattr(obj, "dist", None)
    if dist is None or not hasattr(obj, "args") or not hasattr(dist, "shapes"):
        return None  # a multivariate frozen object
    shapes, loc, scale = shapes_loc_scale(obj)
    return ScipyForm(str(dist.name), shapes, loc, scale, discrete)


def _scipy_name(obj: Any) -> str:
    dist = getattr(obj, "dist", None)
    if dist is not None and hasattr(dist, "name"):
        return str(dist.name)
    gen = getattr(obj, "_dist", None)
    if gen is not None and not _is_new(obj):
        return type(gen).__name__.removesuffix("_gen")
    if _is_new(obj):
        form = scipy_form(obj)
        return form.name if form is not None else type(obj).__name__
    return type(obj).__name__


def _describe(obj: Any) -> str:
    """How the message names a scipy object: ``scipy.stats.gamma(2.0, loc=1.0)``, or scipy's repr."""
    if _is_new(obj):
        return f"scipy.stats {obj!r}"
    form = scipy_form(obj)
    if form is None:
        return f"scipy.stats.{_scipy_name(obj)}"
    args = [f"{k}={v!r}" for k, v in form.shapes.items()]
    args += [f"loc={form.loc!r}"] if np.any(np.asarray(form.loc) != 0) else []
    args += [f"scale={form.scale!r}"] if np.any(np.asarray(form.scale) != 1) else []
    return f"scipy.stats.{form.name}({', '.join(args)})"


# ------------------------------------------------------------------ families
def _family_table() -> dict[str, type[Family]]:
    # from the registry on each call, so a family added later is seen
    return {cls.scipy_name: cls for cls in FAMILIES.values() if cls.scipy_name}


def mapped_names() -> dict[str, tuple[str, ...]]:
    """scipy name -> the anadiv families it maps to (its own family first, then :data:`SPECIAL_CASES`)."""
    out: dict[str, list[str]] = {}
    for name, cls in _family_table().items():
        out.setdefault(name, []).append(cls.__name__)
    for name, cases in SPECIAL_CASES.items():
        out.setdefault(name, []).extend(FAMILIES[f].__name__ for f, _ in cases)
    for name, (family, _) in _MULTIVARIATE.items():
        out.setdefault(name, []).append(FAMILIES[family].__name__)
    return {k: tuple(dict.fromkeys(v)) for k, v in sorted(out.items())}


def _family_of_form(form: ScipyForm, refusals: list[NotRepresentable] | None = None) -> Family | None:
    """The family equal to ``form``; ``None`` when no family expresses it (its errors on bad values propagate).

    ``refusals`` collects why each candidate family could not express it.
    """
    candidates: list[tuple[type[Family], Callable[..., tuple[Any, ...]]]] = []
    own = _family_table().get(form.name)
    if own is not None:
        candidates.append((own, own._from_scipy_params))
    candidates += [(FAMILIES[f], convert) for f, convert in SPECIAL_CASES.get(form.name, ())]
    for cls, convert in candidates:
        try:
            params = convert(dict(form.shapes), form.loc, form.scale)
        except NotRepresentable as exc:
            if refusals is not None:
                refusals.append(exc)
            continue
        return cls(*params)
    return None


def family_of(obj: Any, refusals: list[NotRepresentable] | None = None) -> Family | None:
    """The anadiv family equal to the scipy object ``obj``, or ``None`` when there is none.

    Raises the family's ``ValueError`` when scipy's values break its
    constraints (``norm(0, -1)``): scipy freezes them without a check.
    ``refusals`` collects why a family of that name could not express ``obj``
    (a shift, a scale).
    """
    form = scipy_form(obj)
    if form is not None:
        return _family_of_form(form, refusals)
    name = _scipy_name(obj)
    if name in _MULTIVARIATE:
        family, params = _MULTIVARIATE[name]
        return FAMILIES[family](*params(obj))
    cls = _family_table().get(name)
    if cls is not None and not _is_new(obj):  # a multivariate family's own converter (multivariate_normal, wishart)
        return cls(*cls._from_scipy_frozen(obj))
    return None


# ------------------------------------------------------------------ the adapter
class ScipyDistribution(Family):
    r"""Any univariate continuous scipy.stats distribution, through its own methods.

    :math:`\log p(x)` is scipy's ``logpdf`` (``-inf`` off scipy's support),
    draws are scipy's (``rvs``, or ``sample`` for the new objects) and the
    support is scipy's ``support()``. Quadrature (:func:`anadiv.kl_quad`) and
    Monte Carlo (:func:`anadiv.kl_estimate`, ``method="mc"``) take it like a
    family; it has no closed forms of its own (:func:`anadiv.kl` answers for
    it only where a shift or scale shared with Q reduces the pair to families),
    and neither a quantile (``method="qmc"``) nor mean and variance
    (``method="control"``) hook.

    The front doors build it from a scipy object for which no family exists;
    it is also public, to keep one adapter for many calls.

    Parameters
    ----------
    obj : scipy.stats distribution
        A frozen ``rv_continuous`` (``scipy.stats.skewnorm(4.0)``) or a new
        distribution object (``scipy.stats.make_distribution(scipy.stats.skewnorm)(a=4.0)``),
        with scalar parameters.

    Examples
    --------
    >>> import scipy.stats
    >>> from anadiv.families._scipy_objects import ScipyDistribution
    >>> p = ScipyDistribution(scipy.stats.skewnorm(4.0))
    >>> float(p.logpdf(0.5)) == float(scipy.stats.skewnorm(4.0).logpdf(0.5))
    True
    """

    # No hook is declared: what the adapter does not know (moments, a closed-form quantile) is unknown,
    # not "none" (a declared ``_np_mean_var = None`` would say the mean never exists).
    parameters = ()

    def __init__(self, obj: Any, *, arg: str = "obj") -> None:
        super().__init__()
        density = hasattr(obj, "logpdf") or hasattr(obj, "logpmf")
        if not is_scipy_object(obj) or not density or not hasattr(obj, "support"):
            raise TypeError(f"{arg}: expected a scipy.stats distribution object, got {type(obj).__name__}")
        if _is_discrete(obj) != (type(self).measure == "counting"):
            kind = "ScipyMassFunction" if _is_discrete(obj) else "ScipyDistribution"
            raise TypeError(f"{arg}: {_describe(obj)} needs the adapter {kind}")
        self.scipy_object = obj
        #: scipy's name, shapes, loc and scale, where the object has them (the closed-form reductions read it).
        self.form: ScipyForm | None = scipy_form(obj)
        lo, hi = (np.asarray(v, dtype=float) for v in obj.support())
        if lo.ndim or hi.ndim or (self.form is not None and not self.form.scalar()):
            shape = np.broadcast_shapes(lo.shape, hi.shape)
            raise ValueError(f"{arg}: {_describe(obj)} has no anadiv family, and the adapter on scipy's methods "
                             f"takes one distribution (scalar parameters), got a batch of shape {shape}")
        if math.isnan(float(lo)) or math.isnan(float(hi)):
            raise ValueError(f"{arg}: {_describe(obj)} has parameters scipy marks invalid (its support is NaN)")
        self._lo, self._hi = float(lo), float(hi)

    def __repr__(self) -> str:
        return f"{type(self).__name__}({_describe(self.scipy_object)})"

    @property
    def scipy_distribution(self) -> str:
        """scipy's name of the distribution (``"skewnorm"``), or of the object's class for a transformed one."""
        return _scipy_name(self.scipy_object)

    def logpdf(self, x: Any) -> np.ndarray:
        x = np.asarray(x, dtype=float)
        method = self.scipy_object.logpmf if type(self).measure == "counting" else self.scipy_object.logpdf
        with np.errstate(all="ignore"):
            out = np.asarray(method(x), dtype=float)
        # off the support scipy may answer NaN (or a number, for a periodic density): -inf there
        return np.where((x < self._lo) | (x > self._hi) | np.isnan(x), -np.inf, out)

    def sample(self, size: int | tuple[int, ...] = (), rng: np.random.Generator | int | None = None) -> np.ndarray:
        rng = np.random.default_rng(rng)
        shape: tuple[int, ...] = (size,) if isinstance(size, (int, np.integer)) else tuple(size)
        obj = self.scipy_object
        draws = obj.sample(shape, rng=rng) if _is_new(obj) else obj.rvs(size=shape, random_state=rng)
        return np.asarray(draws, dtype=float).reshape(shape)

    def support(self) -> tuple[np.ndarray, np.ndarray]:
        return np.asarray(self._lo), np.asarray(self._hi)

    def quantile(self, u: Any) -> np.ndarray:
        """scipy's quantile function (``ppf``, or ``icdf`` for the new objects)."""
        obj = self.scipy_object
        return np.asarray(obj.icdf(u) if _is_new(obj) else obj.ppf(u), dtype=float)

    def to_scipy(self) -> Any:
        """The scipy object itself."""
        return self.scipy_object


class ScipyMassFunction(ScipyDistribution):
    """Any univariate discrete scipy.stats distribution (``logpmf`` on the integers of its support)."""

    measure = "counting"


# ------------------------------------------------------------------ front doors
def as_distribution(obj: Any, arg: str) -> Any:
    """What anadiv computes with for ``obj``: a scipy object as its family or adapter, anything else unchanged.

    Raises
    ------
    ValueError
        ``<arg>: ...`` for an unfrozen scipy distribution, a multivariate one
        without a family, a batch without a family, invalid parameters.
    """
    if not is_scipy_object(obj):
        return obj
    if hasattr(obj, "freeze") and hasattr(obj, "name") and not hasattr(obj, "dist"):
        raise ValueError(f"{arg}: got the unfrozen scipy.stats.{obj.name}; pass a frozen distribution "
                         f"with its parameters, e.g. scipy.stats.{obj.name}(...)")
    if not hasattr(obj, "logpdf") and not hasattr(obj, "logpmf"):
        raise ValueError(f"{arg}: expected a scipy.stats distribution, got {type(obj).__name__}")
    try:
        family = family_of(obj)
    except ValueError as exc:
        raise ValueError(f"{arg}: {_describe(obj)}: {exc}") from None
    if family is not None:
        return family
    name = _scipy_name(obj)
    if name in _NOT_A_DENSITY:
        raise ValueError(f"{arg}: scipy.stats.{name} is not a density on its support; {_NOT_A_DENSITY[name]}")
    if scipy_form(obj) is None and not _is_new(obj):
        raise ValueError(f"{arg}: scipy.stats.{name} has no anadiv family, and the adapter on scipy's methods "
                         "takes univariate distributions only")
    adapter = ScipyMassFunction if _is_discrete(obj) else ScipyDistribution
    return adapter(obj, arg=arg)


def form_of(dist: Any) -> ScipyForm | None:
    """scipy's form of an adapter or of a family with a scipy counterpart (scalar parameters), else ``None``."""
    if isinstance(dist, ScipyDistribution):
        return dist.form
    if isinstance(dist, Family) and not dist.symbolic and type(dist)._scipy_frozen is not None and not dist.event_ndim:
        if dist.batch_shape:
            return None
        form = scipy_form(dist.to_scipy())
        return form if form is not None and form.scalar() else None
    return None


def common_reduction(*dists: Any) -> tuple[tuple[Family, ...], float] | None:
    """Families equal to ``dists`` under one affine map ``x -> (x - b) / a``, and ``log a``.

    The shift ``b`` is the common ``loc``; the scale ``a`` is 1, or the common
    ``scale`` when removing the shift alone leaves no family. ``None`` when the
    distributions share no such map or no family expresses the result.
    """
    found = [form_of(d) for d in dists]
    forms = [f for f in found if f is not None and f.scalar()]
    if len(forms) != len(found):
        return None
    locs = {float(f.loc) for f in forms}
    scales = {float(f.scale) for f in forms}
    if len(locs) != 1 or len({ORIGIN.get(f.name, 0.0) for f in forms}) != 1:
        return None  # no common shift, or one that would move them to different origins
    steps: list[tuple[Callable[[ScipyForm], ScipyForm], float]] = [(ScipyForm.shifted_to_origin, 0.0)]
    if len(scales) == 1:
        steps.append((ScipyForm.standardized, math.log(scales.pop())))
    for step, log_scale in steps:
        families = [_family_of_form(step(f)) for f in forms]
        known = [f for f in families if f is not None]
        if len(known) == len(families):
            return tuple(known), log_scale
    return None
