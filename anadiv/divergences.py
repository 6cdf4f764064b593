r"""Every divergence kind through one front door, and the closed-form functions of the kinds beyond KL.

:func:`divergence` answers any kind for any pair it can evaluate, without the
caller knowing what exists for that pair: the closed form when the registry
has one, else numerical integration (univariate, and 2-D Gaussians or their
mixtures), else Monte Carlo. The :class:`~anadiv.estimators.result.Result` it
returns says which (``method``) and with what error: a closed form's error is
its rounding (the relative bound :data:`CLOSED_FORM_RTOL` every closed form is
tested to), quadrature's its error bound, Monte Carlo's its standard error.

The explicit functions stay for those who want control: :func:`renyi`,
:func:`bhattacharyya`, :func:`hellinger`, :func:`chi_square`,
:func:`total_variation` and :func:`jeffreys` are closed forms only (they raise
:class:`~anadiv.errors.NoClosedFormError` naming the alternatives, like
:func:`anadiv.kl`), and :func:`anadiv.divergence_quad` /
:func:`anadiv.divergence_estimate` are the two numerical paths.

Where the closed forms come from: the Renyi divergence is derived for two
members of one exponential family (:mod:`anadiv.symbolic.chernoff`) and
generated like the KL's; Bhattacharyya, Hellinger and chi-square are its
values at orders 1/2 and 2, mapped without loss of digits
(``-expm1``, ``expm1``); Jeffreys is the sum of the two KL closed forms; the
total variation closed forms are written by hand (:mod:`anadiv.total_variation_pairs`).
The Jensen-Shannon divergence has none (quadrature and Monte Carlo only).

Examples
--------
>>> from anadiv import Normal, Mixture, divergence
>>> r = divergence("hellinger", Normal(0.0, 1.0), Normal(1.0, 2.0))
>>> r.method, round(r.value, 12)
('closed form', 0.386257087763)
>>> r = divergence("jensen_shannon", Normal(0.0, 1.0), Normal(1.0, 2.0))
>>> r.method, round(r.value, 9)
('scipy.integrate.quad', 0.128174973)
>>> mix = Mixture([0.5, 0.5], [Normal(-1.0, 1.0), Normal(1.0, 1.0)])
>>> r = divergence("renyi", mix, Normal(0.0, 2.0), alpha=0.5)
>>> r.method, r.error < 1e-10
('scipy.integrate.quad', True)
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from . import api
from .distribution import Distribution
from .errors import NoClosedFormError, QuadratureError
from .estimators.result import ClosedFormResult, Result
from .families._scipy_objects import as_distribution
from .kinds import KINDS, get_kind
from .typing import DivergenceValue
from .wasserstein import wasserstein2, wasserstein2_quad

__all__ = [
    "divergence",
    "closed_form",
    "renyi",
    "bhattacharyya",
    "hellinger",
    "chi_square",
    "total_variation",
    "jeffreys",
    "wasserstein2",
    "wasserstein2_quad",
    "CLOSED_FORM_RTOL",
    "METHODS",
]

#: The relative error every closed form is tested to over the whole valid range (docs/accuracy.md):
#: what :func:`divergence` reports as a closed form's error.
CLOSED_FORM_RTOL = 1e-12

#: ``method=`` of :func:`divergence`: ``"auto"`` tries them in this order (closed, quad, mc).
METHODS = ("auto", "closed", "quad", "mc", "qmc", "control")


def _evaluate(validate: bool) -> Any:
    """The registry look-up the kinds' ``closed_form`` call: ``anadiv.kl`` & co. for the kinds that have one."""

    def evaluate(name: str, p: Any, q: Any, *extra: Any) -> Any:
        if KINDS[name].has_wrappers:
            args = (p,) if KINDS[name].arity == 1 else (p, q)
            return getattr(api, name)(*args, validate=validate)
        return api._divergence(name, p, q, validate, *extra)

    return evaluate


def closed_form(kind: str, p: Distribution, q: Distribution | None = None, *, validate: bool = True,
                **params: Any) -> DivergenceValue:
    r"""The closed form of any kind: a float, an array over the batch shape, or a sympy expression.

    Parameters
    ----------
    kind : str
        A name in :data:`anadiv.kinds.KINDS` (``"renyi"``, ``"hellinger"``, ...).
    p, q : Family
        The distributions (``q`` omitted for the entropy); array parameters broadcast.
    validate : bool
        Check batch shapes and dimensions (as :func:`anadiv.kl`).
    **params
        The kind's own parameters (``alpha=`` for ``"renyi"``).

    Raises
    ------
    NoClosedFormError
        No closed form for the pair; the message names :func:`divergence`.
    ValueError
        Unknown kind, a missing or bad kind parameter (named), shapes that do not broadcast.

    Examples
    --------
    >>> from anadiv import Gamma
    >>> round(closed_form("renyi", Gamma(2.0, 1.0), Gamma(3.0, 2.0), alpha=0.5), 12)
    0.071665438475
    """
    k = get_kind(kind).at(params)
    if k.arity == 2 and q is None:
        raise ValueError(f"q: {k.title} needs a second distribution")
    return _finish(k.closed_form(_evaluate(validate), p, q))


def _finish(out: Any) -> Any:
    """A float for one value, an array for a batch, a sympy expression as it is."""
    return api._finish(out) if isinstance(out, (float, int, np.ndarray, np.generic)) else out


def _closed_result(value: Any) -> ClosedFormResult:
    if not isinstance(value, (float, int, np.ndarray, np.generic)):
        return ClosedFormResult(value, 0.0, "closed form (symbolic)")
    v = np.asarray(value, dtype=float)
    error = np.where(np.isfinite(v), CLOSED_FORM_RTOL * np.abs(v), 0.0)
    return ClosedFormResult(value, float(error) if error.ndim == 0 else error, "closed form")


def _quad_possible(p: Any, q: Any) -> bool:
    """Whether quadrature applies: single (unbatched) distributions, univariate or 2-D Gaussian."""
    from .estimators.quadrature import _dim, _gaussian_parts

    try:
        dp = _dim(p, "p")
        if q is not None and _dim(q, "q") != dp:
            return False
        if dp == 2:
            _gaussian_parts(p, "p")
            if q is not None:
                _gaussian_parts(q, "q")
        return dp in (0, 2)
    except ValueError:
        return False


def divergence(
    kind: str,
    p: Any,
    q: Any = None,
    *,
    method: str = "auto",
    validate: bool = True,
    n: int = 100_000,
    seed: Any = None,
    rtol: float | None = None,
    atol: float | None = None,
    precision: str = "double",
    **params: Any,
) -> Result:
    r"""Any divergence kind for any pair anadiv can evaluate, with how it was computed and its error.

    Parameters
    ----------
    kind : str
        ``"kl"``, ``"cross_entropy"``, ``"entropy"``, ``"renyi"`` (give
        ``alpha=``), ``"bhattacharyya"``, ``"hellinger"``, ``"chi_square"``,
        ``"total_variation"``, ``"jeffreys"``, ``"jensen_shannon"``,
        ``"wasserstein2"`` (closed forms between Gaussians, else the quantile
        integral of a univariate pair; no Monte Carlo).
    p, q : distribution
        Families (array parameters broadcast on the closed-form path),
        mixtures, ``Independent``; ``q`` omitted for the entropy.
    method : {"auto", "closed", "quad", "mc", "qmc", "control"}
        ``"auto"``: the closed form if the registry has one, else quadrature
        (single univariate distributions, 2-D Gaussians and their mixtures),
        else plain Monte Carlo. The others force one path (and raise when it
        does not apply).
    validate : bool
        Shape checks of the closed-form path.
    n, seed, rtol, atol
        Monte Carlo: sample size (the first one when ``rtol``/``atol`` ask
        for an adaptive run), seed.
    precision : {"double", "high"}
        Quadrature's precision (``"high"``: mpmath, univariate only).
    **params
        The kind's own parameters (``alpha=`` for ``"renyi"``).

    Returns
    -------
    Result
        ``value``, ``error`` and ``method``: a
        :class:`~anadiv.estimators.result.ClosedFormResult` (``"closed form"``,
        error ``CLOSED_FORM_RTOL * |value|``), a ``QuadResult`` (the
        integrator's name, its error bound) or an ``Estimate`` (``"mc"``,
        standard error, ``ci()``).

    Raises
    ------
    ValueError
        Unknown ``kind`` or ``method``, a missing or bad kind parameter, a
        forced method that does not apply (a batch to quadrature).
    NoClosedFormError
        ``method="closed"`` without a closed form.

    Examples
    --------
    >>> from anadiv import Normal, StudentT
    >>> divergence("renyi", Normal(0.0, 1.0), Normal(0.5, 1.0), alpha=2.0).value  # alpha (mu1 - mu2)^2 / 2
    0.25
    >>> r = divergence("total_variation", StudentT(3.0, 0.0, 1.0), Normal(0.0, 1.0))
    >>> r.method, round(r.value, 6)
    ('scipy.integrate.quad', 0.098594)
    """
    if not isinstance(method, str) or method not in METHODS:
        raise ValueError(f"method: must be one of {METHODS}, got {method!r}")
    k = get_kind(kind).at(params)
    if k.arity == 2 and q is None:
        raise ValueError(f"q: {k.title} needs a second distribution")
    if k.arity == 1 and q is not None:
        raise ValueError(f"q: {k.title} takes one distribution, got a second one")
    # scipy objects: their family, or the adapter on scipy's own methods
    p = as_distribution(p, "p")
    q = as_distribution(q, "q") if q is not None else None
    for arg, d in (("p", p), ("q", q)):
        if d is not None and not isinstance(d, Distribution):
            raise ValueError(f"{arg}: expected an anadiv distribution (Normal(...), Mixture(...), ...), "
                             f"got {type(d).__name__}")
    if method in ("auto", "closed"):
        try:
            return _closed_result(_finish(k.closed_form(_evaluate(validate), p, q)))
        except NoClosedFormError:
            if method == "closed":
                raise
    from .estimators.monte_carlo import divergence_estimate
    from .estimators.quadrature import divergence_quad

    if not k.expectation:
        # the Wasserstein-2 distance: its own quadrature (the quantile integral), no Monte Carlo
        if method not in ("auto", "quad"):
            raise ValueError(f"method: {k.title} has no Monte Carlo estimate from distributions; use "
                             f"method='quad' ({k.instead()})")
        return k.own_quadrature(p, q)
    if method == "quad" or (method == "auto" and _quad_possible(p, q)):
        try:
            return divergence_quad(kind, p, q, params=params or None, precision=precision)
        except QuadratureError:
            if method == "quad":
                raise
    mc = "mc" if method in ("auto", "quad") else method
    return divergence_estimate(kind, p, q, params=params or None, n=n, seed=seed, method=mc, rtol=rtol,
                               atol=atol)


# ----------------------------------------------------------- explicit closed forms
def renyi(p: Distribution, q: Distribution, alpha: float, *, validate: bool = True) -> DivergenceValue:
    r"""Renyi divergence of order :math:`\alpha`, :math:`D_\alpha(P \| Q) = \frac{1}{\alpha - 1}\log\int p^\alpha q^{1-\alpha}`, in nats.

    Closed forms for two members of one exponential family (Normal, LogNormal,
    Gamma, Beta, Exponential, Chi2, Chi, HalfNormal, Rayleigh, InverseGamma,
    ContinuousBernoulli, VonMises), derived from the log-normalizer.
    ``alpha = 1`` gives the KL divergence (the limit); ``inf`` where the
    integral diverges (``alpha > 1`` and Q much narrower than P).

    Raises
    ------
    NoClosedFormError
        Other pairs: use :func:`divergence` (quadrature or Monte Carlo).
    ValueError
        ``alpha`` not a finite number > 0.

    Examples
    --------
    >>> from anadiv import Normal
    >>> renyi(Normal(0.0, 1.0), Normal(1.0, 1.0), alpha=0.5)  # alpha (mu1 - mu2)^2 / (2 sigma^2)
    0.25
    >>> renyi(Normal(0.0, 2.0), Normal(0.0, 1.0), alpha=2.0)  # 2 sigma_q^2 < alpha sigma_p^2 ... diverges
    inf
    """
    return closed_form("renyi", p, q, validate=validate, alpha=alpha)


def bhattacharyya(p: Distribution, q: Distribution, *, validate: bool = True) -> DivergenceValue:
    r"""Bhattacharyya distance :math:`-\log\int\sqrt{pq}` (half the Renyi divergence of order 1/2).

    Examples
    --------
    >>> from anadiv import Normal
    >>> bhattacharyya(Normal(0.0, 1.0), Normal(1.0, 1.0))  # (mu1 - mu2)^2 / (8 sigma^2)
    0.125
    """
    return closed_form("bhattacharyya", p, q, validate=validate)


def hellinger(p: Distribution, q: Distribution, *, validate: bool = True) -> DivergenceValue:
    r"""Hellinger distance :math:`\sqrt{1 - \int\sqrt{pq}}`, in [0, 1].

    Computed as ``sqrt(-expm1(-D_B))`` from the Bhattacharyya distance: no
    loss of digits near P = Q, where it is of the order of the parameter change.

    Examples
    --------
    >>> from anadiv import Normal
    >>> float(hellinger(Normal(0.0, 1.0), Normal(1e-9, 1.0)))  # doctest: +ELLIPSIS
    3.5355339...e-10
    """
    return closed_form("hellinger", p, q, validate=validate)


def chi_square(p: Distribution, q: Distribution, *, validate: bool = True) -> DivergenceValue:
    r"""Pearson chi-square divergence :math:`\int p^2/q - 1 = e^{D_2} - 1`; ``inf`` where the integral diverges.

    Examples
    --------
    >>> from anadiv import Normal
    >>> round(chi_square(Normal(0.0, 1.0), Normal(1.0, 1.0)), 12)  # e - 1
    1.718281828459
    """
    return closed_form("chi_square", p, q, validate=validate)


def total_variation(p: Distribution, q: Distribution, *, validate: bool = True) -> DivergenceValue:
    r"""Total variation distance :math:`\sup_A |P(A) - Q(A)| = \tfrac12\int|p - q|`, in [0, 1].

    Closed forms through the crossing points of the two densities
    (:mod:`anadiv.total_variation_pairs`).
    """
    return closed_form("total_variation", p, q, validate=validate)


def jeffreys(p: Distribution, q: Distribution, *, validate: bool = True) -> DivergenceValue:
    r"""Jeffreys divergence :math:`KL(P \| Q) + KL(Q \| P)`, wherever both KL closed forms exist.

    Examples
    --------
    >>> from anadiv import Normal
    >>> jeffreys(Normal(0.0, 1.0), Normal(1.0, 1.0))
    1.0
    """
    return closed_form("jeffreys", p, q, validate=validate)
