"""The :class:`DivergenceKind` base class and the :data:`KINDS` registry.

A divergence kind (KL, cross-entropy, entropy, later Renyi, Hellinger, ...) is
one subclass of :class:`DivergenceKind` in one module of this package. Declaring
the subclass registers one instance of it in :data:`KINDS` under its ``name``;
everything else in anadiv (the closed-form API, the symbolic engine, code
generation, quadrature, Monte Carlo, the command line, the result check of the
generated code) consults that object instead of listing kinds.

Plain Python: importing this package imports neither numpy nor sympy (the
symbolic route is named, and imported only when a derivation is asked for).
"""

from __future__ import annotations

import importlib
import math
from dataclasses import dataclass
from typing import Any, Callable, ClassVar, Mapping, Protocol, Sequence, cast, runtime_checkable

import numpy as np

from ..numeric.refine import register_rule

__all__ = ["DivergenceKind", "KindParameter", "KINDS", "get_kind"]

#: name -> the kind object, in the order the kinds were declared.
KINDS: dict[str, "DivergenceKind"] = {}


@dataclass(frozen=True)
class KindParameter:
    """An extra parameter of a divergence kind (Renyi's order ``alpha``).

    Parameters
    ----------
    name : str
        The keyword it is given as; also the name of the generated functions' extra argument.
    check : callable
        ``check(value)`` returns the value to use or raises ``ValueError`` (the
        kind prefixes the message with the parameter's name).
    doc : str
        What it means, for docstrings.
    typical : tuple of float
        Values the generated tests and the code generator's checks use.
    """

    name: str
    check: Callable[[Any], Any]
    doc: str = ""
    #: values the tests and the code generator's checks draw from
    typical: tuple[float, ...] = ()

    def draw(self, rng: Any) -> float:
        """One of :attr:`typical`, chosen by ``rng`` (a numpy Generator)."""
        return float(self.typical[int(rng.integers(len(self.typical)))])


class DivergenceKind:
    r"""What anadiv needs to know about one divergence kind.

    A kind is a functional of P (and Q for ``arity == 2``) written as an
    expectation under P of an integrand of the two log-densities,

    .. math::

        D(P, Q) = E_P\left[h(\log p(X), \log q(X))\right],

    (``KL``: :math:`h = \log p - \log q`; cross-entropy: :math:`-\log q`;
    entropy: :math:`-\log p`). Quadrature integrates :math:`p\,h`, Monte Carlo
    averages :math:`h` over draws from P, and the symbolic engine follows
    :attr:`route`.

    Subclass it and set the class attributes; the subclass is registered in
    :data:`KINDS` when it is declared (a subclass without ``name`` is an
    abstract helper and is not registered).

    Attributes
    ----------
    name : str
        Registry key and prefix of the generated functions (``kl_normal_gamma``).
    title : str
        Long name (``"Kullback-Leibler divergence"``).
    symbol, separator : str
        ``KL`` and ``" || "`` show ``KL(Normal || Gamma)``.
    latex_symbol, latex_separator : str
        The same in LaTeX.
    arity : int
        2 for a divergence between P and Q, 1 for a functional of P alone.
    parameters : tuple of KindParameter
        Extra parameters (empty for KL, cross-entropy and entropy).
    log_densities : tuple of str
        Which of ``"p"`` and ``"q"`` the integrand reads: the symbolic engine
        derives only those expectations.
    definition : str
        The defining expectation in plain text, for derivation steps.
    route : str or None
        The engine's derivation function, ``"module:function"``, imported on
        first use (``None``: no symbolic route, no closed forms).
    nonnegative : bool
        The value is never negative (a KL): the result check recomputes a
        negative float result and clamps the exact one at 0.
    infinite_from_supports : bool
        P putting mass where ``q = 0`` makes the value ``+inf`` (KL,
        cross-entropy); False when no infinite value comes from the supports.
        A kind whose verdict depends on its parameters (Renyi's order)
        overrides :meth:`infinite_at`.
    outside_weight : float
        ``c`` in ``D = outer(E_P[h] + c Q(p = 0))``: what the divergence
        carries where Q has mass and P has none, which no expectation under P
        sees (0 for KL; ``inf`` for Jeffreys: any such mass makes it infinite).
        See :mod:`anadiv.kinds._fdiv`.
    linear : bool
        The integrand is linear in ``log p`` and ``log q`` (KL, cross-entropy,
        entropy): the engine's expectation route derives it term by term, and
        where ``log q`` overflows float64 quadrature reads ``log(-log q)`` from
        the family instead.
    expectation : bool
        The value is read through an expectation under P (:meth:`integrand`):
        quadrature and Monte Carlo apply. False for the Wasserstein-2
        distance, which brings its own closed forms and quadrature.
    in_nats : bool
        A logarithmic quantity (nats; the command line's ``--base`` converts
        it); False for the distances (Hellinger, total variation, chi-square,
        Wasserstein-2).
    has_wrappers : bool
        Whether ``anadiv.<name>_estimate`` and ``anadiv.<name>_quad`` exist
        (KL, cross-entropy, entropy); other kinds are reached through
        ``anadiv.divergence`` and the generic ``divergence_quad`` / ``divergence_estimate``.
    generated : bool
        Whether the code generator writes functions for this kind (False for
        a kind whose closed forms are another kind's, transformed: Hellinger
        from the Renyi divergence of order 1/2).

    Examples
    --------
    >>> from anadiv.kinds import KINDS
    >>> KINDS["kl"].show(["Normal", "Gamma"])
    'KL(Normal || Gamma)'
    >>> KINDS["kl"].integrand(-1.0, -3.5)
    2.5
    """

    name: ClassVar[str] = ""
    title: ClassVar[str] = ""
    symbol: ClassVar[str] = ""
    separator: ClassVar[str] = ", "
    latex_symbol: ClassVar[str] = ""
    latex_separator: ClassVar[str] = ", "
    arity: ClassVar[int] = 2
    parameters: ClassVar[tuple[KindParameter, ...]] = ()
    log_densities: ClassVar[tuple[str, ...]] = ("p", "q")
    definition: ClassVar[str] = ""
    route: ClassVar[str | None] = None
    nonnegative: ClassVar[bool] = False
    infinite_from_supports: ClassVar[bool] = True
    outside_weight: ClassVar[float] = 0.0
    generated: ClassVar[bool] = True
    has_wrappers: ClassVar[bool] = False
    expectation: ClassVar[bool] = True
    #: where a "conditional" closed form is infinite, in words (the generated docstrings, the docs, the CLI)
    infinite_where: ClassVar[str] = "where P's support is not inside Q's"
    in_nats: ClassVar[bool] = True
    #: the function of :mod:`anadiv.discrete` computing this kind for probability vectors ('' : the name)
    discrete_name: ClassVar[str] = ""
    linear: ClassVar[bool] = False

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if not cls.name:
            return
        if cls.arity not in (1, 2):
            raise TypeError(f"arity: a divergence kind takes 1 or 2 distributions, {cls.__name__} says {cls.arity}")
        if cls.name in KINDS and type(KINDS[cls.name]) is not cls:
            raise TypeError(f"divergence kind {cls.name!r} registered twice")
        KINDS[cls.name] = cls()
        # the result check of generated code judges this kind's values by these two rules
        register_rule(cls.name, cls.nonnegative, cls.infinite_from_supports)

    # ------------------------------------------------------------ evaluation
    def integrand(self, logp: Any, logq: Any, **params: Any) -> Any:
        """``h(log p, log q)``: the value is ``E_P[h]``.

        ``logp`` and ``logq`` are floats or numpy arrays (mpmath numbers on
        quadrature's ``"high"`` path, sympy expectations on the symbolic route
        of a kind that is linear in them); for ``arity == 1`` ``logq`` carries
        no information.
        """
        raise NotImplementedError(f"{type(self).__name__} does not define its integrand")

    def log_abs_integrand(self, logp: Any, logq: Any, **params: Any) -> tuple[Any, Any]:
        """``(log |h|, sign h)`` on numpy arrays: what the tail scans of quadrature read.

        The default takes the logarithm of :meth:`integrand`. A kind whose
        integrand overflows where ``p * h`` does not (one with ``q/p`` in it)
        overrides this with a form computed in logarithms.
        """
        import numpy as np

        h = self.integrand(logp, logq, **params)
        return np.log(np.abs(h)), np.sign(h)

    def outer(self, m: float, **params: Any) -> float:
        """The divergence from its moment ``M = E_P[h] + c Q(p = 0)`` (identity unless overridden).

        Monotone nondecreasing on :meth:`moment_range`, so a confidence
        interval of ``M`` maps to one of the divergence.
        """
        return m

    @property
    def maps_moment(self) -> bool:
        """Whether :meth:`outer` is more than the identity (the estimators then map errors and intervals)."""
        return type(self).outer is not DivergenceKind.outer

    def moment_range(self, **params: Any) -> tuple[float, float]:
        """The values the moment can take (an estimate is clipped into it before :meth:`outer`)."""
        return (-math.inf, math.inf)

    def bounded_under_mixture(self, **params: Any) -> bool:
        """Whether ``p |h| / m`` is bounded, ``m = (p + q)/2``: Monte Carlo then draws from the mixture M.

        Under P a Hellinger or Jensen-Shannon integrand grows like ``q/p`` in a
        light tail of P, so its variance is infinite whenever Q's tails are
        heavier (and what lies where P underflows is never drawn); read as
        ``E_M[(p/m) h]`` it is bounded, and Q's mass where ``p = 0`` is drawn too.
        """
        return False

    def infinite_at(self, **params: Any) -> bool:
        """Whether P's mass where ``q = 0`` makes the value infinite, at these parameter values."""
        return self.infinite_from_supports

    def closed_form(self, evaluate: Callable[..., Any], p: Any, q: Any = None, **params: Any) -> Any:
        """The closed form, through ``evaluate(kind_name, p, q, *extra)`` (a registry look-up that
        raises :class:`~anadiv.errors.NoClosedFormError` on a miss).

        A kind whose closed forms are another kind's, transformed (Hellinger
        from the Renyi divergence, Jeffreys from two KL divergences),
        overrides this.
        """
        return evaluate(self.name, p, q, *params.values())

    def log_abs_weighted(self, logp: Any, logq: Any, **params: Any) -> tuple[Any, Any]:
        """``(log |p h|, sign h)`` on numpy arrays: what quadrature's tail scans and far points read.

        The default adds ``log p`` to :meth:`log_abs_integrand`. A kind whose
        ``h`` grows like ``q/p`` overrides it where ``h`` overflows, writing
        the result through ``log q`` (``log p + (log q - log p)`` in floats
        loses ``log q`` when ``log p`` is -1e300).
        """
        log_h, sign = self.log_abs_integrand(logp, logq, **params)
        return logp + log_h, sign

    def mixture_integrand(self, logp: Any, logq: Any, **params: Any) -> Any:
        """The integrand under ``M = (P + Q)/2``: ``(p/m) h``, and ``2c`` where ``p = 0`` (numpy arrays).

        ``E_P[h] + c Q(p = 0) = E_M[(p/m) h + 2c 1{p = 0}]``. Read through
        :meth:`log_abs_weighted`, nothing overflows where ``h`` grows like
        ``q/p``. Monte Carlo draws from M with it (:meth:`bounded_under_mixture`),
        and the classifier estimators evaluate it at ``p/m = 2 eta``.
        """
        c = float(getattr(self, "outside_weight", 0.0))
        with np.errstate(all="ignore"):
            logp = np.asarray(logp, dtype=float)
            logq = np.asarray(logq, dtype=float)
            log_ph, sign = self.log_abs_weighted(logp, logq, **params)
            log_m = np.logaddexp(logp, logq) - math.log(2.0)
            return np.where(logp == -np.inf, 2.0 * c, sign * np.exp(log_ph - log_m))

    # --------------------------------------------------------------- display
    @property
    def cli_name(self) -> str:
        """The command-line spelling (``cross-entropy``)."""
        return self.name.replace("_", "-")

    @property
    def index_section(self) -> str:
        """Name of this kind's dict in the generated index (``REGISTRY[name]``)."""
        return self.name.upper()

    def function_name(self, family_names: Sequence[str]) -> str:
        """Name of the generated function (``kl_normal_gamma``)."""
        return "_".join([self.name, *family_names])

    def show(self, names: Sequence[str]) -> str:
        """``KL(Normal || Gamma)``, ``H(Normal, Gamma)``, ``H(Normal)``."""
        return f"{self.symbol}({self.separator.join(names)})"

    def latex(self, names: Sequence[str]) -> str:
        r"""The same in LaTeX (``\mathrm{KL}\left(P \,\|\, Q\right)``)."""
        return rf"{self.latex_symbol}\left({self.latex_separator.join(names)}\right)"

    # -------------------------------------------------------- no closed form
    @property
    def estimator(self) -> str:
        """Name of the Monte Carlo wrapper in ``anadiv`` (``kl_estimate``)."""
        return f"{self.name}_estimate"

    @property
    def quadrature(self) -> str:
        """Name of the quadrature wrapper in ``anadiv`` (``kl_quad``)."""
        return f"{self.name}_quad"

    def own_quadrature(self, p: Any, q: Any) -> Any:
        """The numerical value of a kind that is no expectation (``expectation = False``), its own way.

        An expectation's quadrature is the generic one (``anadiv.divergence_quad``).
        """
        raise TypeError(f"kind: {self.name!r} is an expectation; its quadrature is anadiv.divergence_quad")

    def instead(self) -> str:
        """What to call when there is no closed form."""
        args = "p" if self.arity == 1 else "p, q"
        if not self.has_wrappers:
            extra = "".join(f", {spec.name}=..." for spec in self.parameters)
            return (f"anadiv.divergence({self.name!r}, {args}{extra}) (quadrature, else Monte Carlo, with its "
                    f"error), or anadiv.divergence_quad / anadiv.divergence_estimate with kind={self.name!r}")
        return (f"anadiv.{self.estimator}({args}) (Monte Carlo with a standard error) or "
                f"anadiv.{self.quadrature}({args}) (numerical integration)")

    # ------------------------------------------------------------ parameters
    def bind(self, params: Mapping[str, Any] | None = None) -> dict[str, Any]:
        """Checked values of the kind's extra parameters, in declared order.

        Raises ``ValueError`` naming the parameter for a missing, unknown or bad value.
        """
        given = dict(params or {})
        out = {}
        for spec in self.parameters:
            if spec.name not in given:
                raise ValueError(f"{spec.name}: missing; {self.title} needs it")
            try:
                out[spec.name] = spec.check(given.pop(spec.name))
            except ValueError as exc:
                raise ValueError(f"{spec.name}: {exc}") from None
        if given:
            raise ValueError(f"{sorted(given)[0]}: not a parameter of {self.title}")
        return out

    def cache_key(self, family_names: Sequence[str], params: Mapping[str, Any] | None = None) -> tuple[Any, ...]:
        """Key of one closed form: the kind, the families, and the bound extra parameters."""
        bound = self.bind(params)
        return (self.name, *family_names, *bound.values())

    def at(self, params: Mapping[str, Any] | None = None) -> "DivergenceKind":
        """This kind with its extra parameters fixed (itself when it has none).

        Quadrature and Monte Carlo call ``integrand(logp, logq)`` on the result.
        """
        values = self.bind(params)
        # _Bound reads as the kind: what it does not override it forwards (__getattr__)
        return cast(DivergenceKind, _Bound(self, values)) if values else self

    def argument_names(self, per_family: Sequence[Sequence[str]]) -> list[list[str]]:
        """Arguments of the generated function: each family's, then the kind's own."""
        out = [list(ns) for ns in per_family]
        if self.parameters:
            out.append([spec.name for spec in self.parameters])
        return out

    # ------------------------------------------------------------ symbolic
    @property
    def route_path(self) -> str:
        """Dotted path of the derivation function (``anadiv.symbolic.derive_kl``)."""
        if self.route is None:
            raise LookupError(f"{self.title} has no symbolic route")
        module, func = self.route.split(":")
        return f"{module}.{func}"

    @property
    def route_name(self) -> str:
        """The derivation function's name (``derive_kl``)."""
        return self.route_path.rsplit(".", 1)[1]

    def derive(self, *dists: Any) -> Any:
        """The engine's :class:`~anadiv.symbolic.Derivation` (imports sympy)."""
        if self.route is None:
            from ..errors import NoClosedFormError

            raise NoClosedFormError(f"{self.title} has no symbolic route; use {self.instead()}")
        module, func = self.route.split(":")
        return getattr(importlib.import_module(module), func)(*dists)

    def __repr__(self) -> str:
        return f"<divergence kind {self.name!r}>"


@runtime_checkable
class FromRenyi(Protocol):
    """A kind whose closed forms are the Renyi divergence's at one order, mapped (Hellinger, chi-square, ...)."""

    #: the order of the Renyi divergence it is read from
    renyi_order: float
    #: the map, as text for the derivation's steps
    from_renyi_text: str

    @staticmethod
    def sym_from_renyi(d: Any) -> Any:
        """The map on a sympy expression of the Renyi divergence."""


class _Bound:
    """A kind whose extra parameters are fixed: reads like the kind, integrand takes only the logs."""

    def __init__(self, kind: DivergenceKind, values: dict[str, Any]) -> None:
        self.kind = kind
        self.values = values

    def integrand(self, logp: Any, logq: Any) -> Any:
        return self.kind.integrand(logp, logq, **self.values)

    def log_abs_integrand(self, logp: Any, logq: Any) -> tuple[Any, Any]:
        return self.kind.log_abs_integrand(logp, logq, **self.values)

    def log_abs_weighted(self, logp: Any, logq: Any) -> tuple[Any, Any]:
        return self.kind.log_abs_weighted(logp, logq, **self.values)

    def closed_form(self, evaluate: Callable[..., Any], p: Any, q: Any = None) -> Any:
        return self.kind.closed_form(evaluate, p, q, **self.values)

    def outer(self, m: float) -> float:
        return self.kind.outer(m, **self.values)

    def bounded_under_mixture(self) -> bool:
        return self.kind.bounded_under_mixture(**self.values)

    def mixture_integrand(self, logp: Any, logq: Any) -> Any:
        return self.kind.mixture_integrand(logp, logq, **self.values)

    def moment_range(self) -> tuple[float, float]:
        return self.kind.moment_range(**self.values)

    @property
    def infinite_from_supports(self) -> bool:
        return self.kind.infinite_at(**self.values)

    def __getattr__(self, attr: str) -> Any:
        return getattr(self.kind, attr)

    def __repr__(self) -> str:
        shown = ", ".join(f"{k}={v!r}" for k, v in self.values.items())
        return f"<divergence kind {self.kind.name!r} at {shown}>"


def get_kind(kind: "str | DivergenceKind", arg: str = "kind") -> DivergenceKind:
    """The kind object for a name or a kind (a kind need not be registered).

    Examples
    --------
    >>> get_kind("entropy").arity
    1
    """
    if isinstance(kind, (DivergenceKind, _Bound)):
        return kind
    found = KINDS.get(kind) if isinstance(kind, str) else None
    if found is None:
        raise ValueError(f"{arg}: must be one of {', '.join(KINDS)} or a DivergenceKind, got {kind!r}")
    return found
