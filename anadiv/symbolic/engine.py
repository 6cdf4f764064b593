"""Derive KL divergence, entropy and cross-entropy: the engine's front door.

``derive_kl``, ``derive_cross_entropy`` and ``derive_entropy`` take family
classes or instances, dispatch univariate pairs to :mod:`.univariate` (the
expectation route through the declared log-densities) and vector families
(``event_ndim == 1``) to :mod:`.mvn` (matrix and per-coordinate forms),
matrix variates (``event_ndim == 2``: Wishart) to :mod:`.wishart` (the
exponential-family route in matrix form), and substitute an instance's
values into the family-level derivation.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import sympy as sp

from ..errors import NoClosedFormError
from ..families import FAMILIES
from ..kinds import KINDS
from . import bregman, chernoff, mvn, wishart
from .derivation import Derivation
from .univariate import entropy as _univariate_entropy
from .univariate import two_sided as _univariate_two_sided
from ..numeric.caching import memoize

if TYPE_CHECKING:
    from ..families._base import Family


def _vector(*families: type[Family]) -> bool:
    """Whether the matrix route (:mod:`.mvn`) handles this tuple of families."""
    return any(getattr(f, "event_ndim", 0) for f in families)


def _check_supported(*classes: type[Family]) -> None:
    for c in classes:
        if not (isinstance(c, type) and getattr(c, "name", "") in FAMILIES):
            raise TypeError(f"expected a family class or instance, got {c!r}")


@memoize
def _entropy(P: type[Family]) -> Derivation:
    if wishart.handles(P):
        return wishart.derive("entropy", P)
    if bregman.handles(P):
        return bregman.derive("entropy", P)
    return mvn.derive("entropy", P) if _vector(P) else _univariate_entropy(P)


@memoize
def _two_sided(name: str, P: type[Family], Q: type[Family]) -> Derivation:
    if wishart.handles(P, Q):
        return wishart.derive(name, P, Q)
    if bregman.handles(P) or bregman.handles(Q):
        return bregman.derive(name, P, Q)
    return mvn.derive(name, P, Q) if _vector(P, Q) else _univariate_two_sided(name, P, Q)


# ----------------------------------------------------------------- public API
def _split(dist: Any, name: str) -> tuple[type[Family], tuple[Any, ...] | None]:
    if isinstance(dist, type):
        _check_supported(dist)
        return dist, None
    cls = type(dist)
    _check_supported(cls)
    values = []
    for v in dist.param_values:
        if isinstance(v, (sp.Basic, sp.MatrixBase)):
            values.append(v)
            continue
        import numpy as np

        arr = np.asarray(v)
        if arr.ndim == 0:
            values.append(sp.Float(float(arr)))
        elif (cls.event_ndim or bregman.handles(cls)) and arr.ndim <= 2:
            values.append(sp.Matrix(arr.tolist()) if arr.ndim == 2 else sp.Matrix(arr.tolist()))
        else:
            raise ValueError(f"{name}: symbolic derivation needs scalar or sympy parameters, got shape {arr.shape}")
    return cls, tuple(values)


def _instantiate(d: Derivation, values: list[tuple[Any, ...] | None]) -> Derivation:
    if d.families and wishart.handles(*d.families) and any(v is not None for v in values):
        return wishart.instantiate(d, values)
    if d.families and bregman.handles(d.families[0]) and any(v is not None for v in values):
        return bregman.instantiate(d, values)
    if d.families and _vector(*d.families) and any(v is not None for v in values):
        return mvn.instantiate(d, values)
    mapping = {}
    for syms, vals in zip(d.symbols, values):
        if vals is not None:
            mapping.update({s: sp.sympify(v) for s, v in zip(syms, vals)})
    return d.substitute(mapping)


def derive_kl(P: type[Family] | Family, Q: type[Family] | Family) -> Derivation:
    r"""Derive :math:`\mathrm{KL}(P \| Q) = E_P[\log p(X) - \log q(X)]` in closed form.

    Parameters
    ----------
    P, Q : Family subclass or instance
        Classes give the result in the symbols ``P.symbols("1")`` and
        ``Q.symbols("2")``; instances substitute their parameter values
        (numbers or sympy expressions).

    Returns
    -------
    Derivation
        ``expr`` is the closed form, ``oo`` or a ``Piecewise`` deciding finiteness.

    Raises
    ------
    NoClosedFormError
        When the engine finds no closed form (the message says what to use instead).

    Examples
    --------
    >>> from anadiv import Normal, Uniform
    >>> from anadiv.symbolic import derive_kl
    >>> print(derive_kl(Normal, Normal).expr)
    log(sigma_2/sigma_1) - 1/2 + (sigma_1**2 + (mu_1 - mu_2)**2)/(2*sigma_2**2)
    >>> derive_kl(Normal, Uniform).expr
    oo
    """
    (Pc, pv), (Qc, qv) = _split(P, "P"), _split(Q, "Q")
    return _instantiate(_two_sided("kl", Pc, Qc), [pv, qv])


def derive_cross_entropy(P: type[Family] | Family, Q: type[Family] | Family) -> Derivation:
    r"""Derive the cross-entropy :math:`H(P, Q) = -E_P[\log q(X)]` (see :func:`derive_kl`)."""
    (Pc, pv), (Qc, qv) = _split(P, "P"), _split(Q, "Q")
    return _instantiate(_two_sided("cross_entropy", Pc, Qc), [pv, qv])


def derive_entropy(P: type[Family] | Family) -> Derivation:
    r"""Derive the differential entropy :math:`H(P) = -E_P[\log p(X)]`.

    The result is in the unsuffixed symbols ``P.symbols("")``.

    Examples
    --------
    >>> from anadiv import Exponential
    >>> from anadiv.symbolic import derive_entropy
    >>> print(derive_entropy(Exponential).expr)
    1 - log(rate)
    """
    Pc, pv = _split(P, "P")
    return _instantiate(_entropy(Pc), [pv])


@memoize
def _chernoff(name: str, P: type[Family], Q: type[Family]) -> Derivation:
    return chernoff.derive(name, P, Q) if name == "renyi" else chernoff.derive_transformed(name, P, Q)


def derive_renyi(P: Any, Q: Any, alpha: Any = None) -> Derivation:
    r"""Derive the Renyi divergence :math:`D_\alpha(P \| Q) = \frac{1}{\alpha - 1}\log\int p^\alpha q^{1-\alpha}`.

    Two members of one univariate exponential family (Normal, Gamma, Beta,
    Exponential, ...), from the log-normalizer (:mod:`anadiv.symbolic.chernoff`);
    ``inf`` where the integral diverges (possible for ``alpha > 1`` only).

    Parameters
    ----------
    P, Q : Family subclass or instance
        As for :func:`derive_kl`.
    alpha : number or sympy expression, optional
        The order; the symbol ``alpha`` (positive) when not given.

    Examples
    --------
    >>> from anadiv import Exponential
    >>> from anadiv.symbolic import derive_renyi
    >>> print(derive_renyi(Exponential, Exponential).expr)
    Piecewise(((alpha*log(rate_1) + (1 - alpha)*log(rate_2) - log(alpha*rate_1 + rate_2*(1 - alpha)))/(alpha - 1), alpha*rate_1 + rate_2*(1 - alpha) > 0), (oo, True))
    """
    (Pc, pv), (Qc, qv) = _split(P, "P"), _split(Q, "Q")
    d = _instantiate(_chernoff("renyi", Pc, Qc), [pv, qv])
    if alpha is not None:
        d = d.substitute({chernoff.ALPHA: sp.sympify(alpha)})
    return d


def _transformed(name: str, P: Any, Q: Any) -> Derivation:
    (Pc, pv), (Qc, qv) = _split(P, "P"), _split(Q, "Q")
    return _instantiate(_chernoff(name, Pc, Qc), [pv, qv])


def derive_bhattacharyya(P: Any, Q: Any) -> Derivation:
    r"""Derive the Bhattacharyya distance :math:`-\log\int\sqrt{pq} = D_{1/2}/2` (see :func:`derive_renyi`)."""
    return _transformed("bhattacharyya", P, Q)


def derive_hellinger(P: Any, Q: Any) -> Derivation:
    r"""Derive the Hellinger distance :math:`\sqrt{1 - \int\sqrt{pq}}` (see :func:`derive_renyi`)."""
    return _transformed("hellinger", P, Q)


def derive_chi_square(P: Any, Q: Any) -> Derivation:
    r"""Derive the chi-square divergence :math:`\int p^2/q - 1 = e^{D_2} - 1` (see :func:`derive_renyi`)."""
    return _transformed("chi_square", P, Q)


def kl_symbolic(p: Any, q: Any) -> Any:
    """The KL closed form for two (symbolic) distributions, as a sympy expression."""
    return derive_kl(p, q).total


def cross_entropy_symbolic(p: Any, q: Any) -> Any:
    """The cross-entropy closed form for two (symbolic) distributions."""
    d = derive_cross_entropy(p, q)
    return d.total


def entropy_symbolic(p: Any) -> Any:
    """The entropy closed form of a (symbolic) distribution."""
    return derive_entropy(p).total


def _all_families() -> list[type[Family]]:
    return sorted(FAMILIES.values(), key=lambda f: f.name)


@memoize
def _survey(kind: str) -> tuple[tuple[tuple[type[Family], ...], ...], tuple[tuple[tuple[type[Family], ...], str], ...]]:
    if kind not in KINDS or KINDS[kind].route is None:
        routed = [k for k, v in KINDS.items() if v.route is not None]
        raise ValueError(f"kind: expected one of {', '.join(map(repr, routed))}, got {kind!r}")
    k = KINDS[kind]
    ok, failed = [], []
    fams = _all_families()
    candidates: list[tuple[type[Family], ...]]
    if k.arity == 1:
        candidates = [(P,) for P in fams]
    else:
        # vector families pair only with themselves
        candidates = [(P, Q) for P in fams for Q in fams
                      if P is Q or not _vector(P, Q)]
    for item in candidates:
        try:
            k.derive(*item)
            ok.append(item)
        except NoClosedFormError as exc:
            failed.append((item, str(exc)))
    return tuple(ok), tuple(failed)


def derivable_pairs(kind: str = "kl") -> list[tuple[type[Family], ...]]:
    """Every family pair (``(P,)`` for the entropy) the engine derives: a closed form or a proven ``oo``.

    Computed by trying each pair once (cached).

    Examples
    --------
    >>> from anadiv import Normal
    >>> (Normal, Normal) in derivable_pairs("kl")
    True
    """
    return list(_survey(kind)[0])


def no_closed_form_pairs(kind: str = "kl") -> list[tuple[tuple[type[Family], ...], str]]:
    """The pairs that raise :class:`~anadiv.errors.NoClosedFormError`, with the reason."""
    return list(_survey(kind)[1])
