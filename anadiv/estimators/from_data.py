"""The route from data to an estimator: which estimator answers a kind, for which inputs, by which method.

``kl_estimate``, ``entropy_estimate``, ``cross_entropy_estimate`` and
``divergence_estimate`` hand their arguments here when one of them is data
(an array of samples) rather than a distribution. :data:`ROUTES` is the one
table of what is offered: ``(kind, inputs, method) -> estimator``, with
``inputs`` one of

* ``"samples"``: ``p`` is a sample, no ``q`` (entropy),
* ``"samples-samples"``: two samples,
* ``"samples-density"``: a sample of P against a distribution Q,
* ``"density-samples"``: a distribution P against a sample of Q.

Anything not in the table is refused with a ``ValueError`` that lists what is
offered for those inputs. :mod:`.data_routes` adds the routes with
:func:`register_route`; the front doors import it, and with it the
estimators, only when data arrives.
"""

from __future__ import annotations

from typing import Any, Callable

from .result import Estimate
from .samples import is_sample_array

__all__ = ["ROUTES", "DEFAULT_METHOD", "register_route", "estimate_from_data", "inputs_of"]

#: (kind name, inputs, method) -> estimator(p, q, *, k, seed, n) -> Estimate
ROUTES: dict[tuple[str, str, str], Callable[..., Estimate]] = {}
#: inputs -> the method used when none is named
DEFAULT_METHOD: dict[str, str] = {}


def register_route(kind: str, inputs: str, method: str, default: bool = False
                   ) -> Callable[[Callable[..., Estimate]], Callable[..., Estimate]]:
    """Decorator: offer ``kind`` on ``inputs`` by ``method``."""

    def add(fn: Callable[..., Estimate]) -> Callable[..., Estimate]:
        ROUTES[(kind, inputs, method)] = fn
        if default:
            DEFAULT_METHOD.setdefault(f"{kind}|{inputs}", method)
        return fn

    return add


def inputs_of(p: Any, q: Any) -> str | None:
    """The inputs' signature (``"samples-density"``, ...), or None when neither is data."""
    ps = is_sample_array(p)
    if q is None:
        return "samples" if ps else None
    qs = is_sample_array(q)
    if not (ps or qs):
        return None
    return f"{'samples' if ps else 'density'}-{'samples' if qs else 'density'}"


def _offered(inputs: str) -> str:
    items = sorted({f"{k} ({m})" for (k, i, m) in ROUTES if i == inputs})
    return ", ".join(items) if items else "nothing"


def estimate_from_data(kind_name: str, p: Any, q: Any, inputs: str, method: str | None,
                       k: int | None, seed: Any, n: int | None = None) -> Estimate:
    """Run the estimator :data:`ROUTES` names for ``(kind_name, inputs, method)``.

    The table is filled by importing :mod:`.data_routes` (the front doors do).
    """
    if method is None:
        method = DEFAULT_METHOD.get(f"{kind_name}|{inputs}")
    fn = ROUTES.get((kind_name, inputs, method or ""))
    if fn is None:
        what = inputs.replace("-", " against ")
        if method is not None and any(kk == kind_name and i == inputs for (kk, i, _) in ROUTES):
            methods = sorted(m for (kk, i, m) in ROUTES if kk == kind_name and i == inputs)
            raise ValueError(f"method: {method!r} is not offered for {kind_name} from {what}; "
                             f"offered: {', '.join(methods)}")
        raise ValueError(f"kind: {kind_name} is not offered from {what}; offered from {what}: "
                         f"{_offered(inputs)}")
    return fn(p, q, k=k, seed=seed, n=n)

