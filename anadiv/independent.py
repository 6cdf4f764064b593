r"""Independent: the last batch dimensions of a univariate family as one vector event.

``Independent(Normal(mu, sigma), 1)`` with ``mu`` of shape ``(..., d)`` is a
``d``-dimensional distribution with independent coordinates, its batch the
leading axes. Its divergences are sums of the base's closed forms over the
event axes, registered as composite rules in :mod:`anadiv.registry`: for
product densities :math:`p(x) = \prod_i p_i(x_i)`, :math:`q(x) = \prod_i q_i(x_i)`,

.. math::

    KL(P \| Q) = \sum_i KL(P_i \| Q_i), \quad
    H(P, Q) = \sum_i H(P_i, Q_i), \quad
    H(P) = \sum_i H(P_i),

because :math:`\log q(x) = \sum_i \log q_i(x_i)` and the expectation of the
``i``-th term under :math:`P` involves :math:`P_i` only. Each pair
:math:`(P_i, Q_i)` uses the bases' closed form, so ``Independent(Normal)``
against ``Independent(Laplace)`` sums KL(Normal || Laplace).
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from .distribution import Distribution
from .registry import register_closed_form
from .errors import NoClosedFormError
from .families._base import Family
from .families._torch_objects import from_torch, register_torch_wrapper
from .numeric.validation import kept_library

__all__ = ["Independent"]


class Independent(Distribution):
    r"""A univariate family whose last ``n`` batch dimensions form the event.

    .. math:: \log p(x) = \sum_{i \in \text{event}} \log p_i(x_i)

    Parameters
    ----------
    base : Family
        A univariate family instance with numeric parameters, its batch shape
        ``batch_shape + event_shape``.
    reinterpreted_batch_ndims : int
        ``n``: how many trailing batch dimensions of ``base`` become event
        dimensions (0 to ``len(base.batch_shape)``).

    Attributes
    ----------
    batch_shape, event_shape : tuple of int
        ``base.batch_shape`` split before its last ``n`` axes.
    event_ndim : int
        ``n``.

    Raises
    ------
    ValueError
        Naming ``base`` (not a univariate numeric family instance) or
        ``reinterpreted_batch_ndims`` (not an integer in range).

    Examples
    --------
    >>> import numpy as np
    >>> import anadiv
    >>> from anadiv import Independent, Normal
    >>> p = Independent(Normal(np.zeros(3), 1.0), 1)
    >>> q = Independent(Normal(np.ones(3), 2.0), 1)
    >>> p.batch_shape, p.event_shape, p.sample(5, rng=0).shape
    ((), (3,), (5, 3))
    >>> round(anadiv.kl(p, q), 6) == round(3 * anadiv.kl(Normal(0.0, 1.0), Normal(1.0, 2.0)), 6)
    True
    """

    #: Listings name the class by this (the rules' ``p`` and ``q`` in ``closed_form_pairs``).
    name = "independent"

    def __init__(self, base: Family, reinterpreted_batch_ndims: int) -> None:
        if isinstance(base, type) or not isinstance(base, Family):
            what = f"the class {base.__name__}" if isinstance(base, type) else type(base).__name__
            raise ValueError(f"base: expected a univariate family instance such as Normal(mu, sigma), got {what}")
        if base.event_ndim:
            raise ValueError(f"base: must be univariate (event_ndim 0), got {type(base).__name__} with vector events")
        if base.symbolic:
            raise ValueError(f"base: must have numeric parameters, got symbolic {base!r}")
        n = reinterpreted_batch_ndims
        shape = tuple(base.batch_shape)
        ndim = len(shape)
        if isinstance(n, (bool, np.bool_)) or not isinstance(n, (int, np.integer)) or not 0 <= n <= ndim:
            raise ValueError(
                f"reinterpreted_batch_ndims: must be an integer from 0 to {ndim} (the base's batch dimensions "
                f"{shape}), got {n!r}"
            )
        n = int(n)
        self.base: Family = base
        self.reinterpreted_batch_ndims: int = n
        self.event_ndim: int = n
        self.batch_shape: tuple[int, ...] = shape[: ndim - n]
        self.event_shape: tuple[int, ...] = shape[ndim - n :]
        #: Number of coordinates of one event.
        self.dim: int = math.prod(self.event_shape)
        self._axes = tuple(range(-n, 0))

    def __repr__(self) -> str:
        return f"Independent({self.base!r}, {self.reinterpreted_batch_ndims})"

    def _sum(self, value: Any) -> Any:
        if not self._axes:
            return value
        if type(value) is not np.ndarray and kept_library(value) is not None:
            return value.sum(self._axes)  # a torch tensor or JAX array: summed on its device, 0-d stays a tensor
        out = np.sum(value, axis=self._axes)
        return float(out) if np.ndim(out) == 0 else out

    def logpdf(self, x: Any) -> Any:
        """Sum of the base's log-densities over the event axes; ``x`` ends with ``event_shape``."""
        x = np.asarray(x)
        n = self.reinterpreted_batch_ndims
        if x.ndim < n or x.shape[x.ndim - n :] != self.event_shape:
            raise ValueError(f"x: the last {n} axes must have shape {self.event_shape}, got shape {x.shape}")
        return self._sum(self.base.logpdf(x))

    def pdf(self, x: Any) -> Any:
        """Density at ``x``."""
        return np.exp(self.logpdf(x))

    def sample(self, size: int | tuple[int, ...] = (), rng: np.random.Generator | int | None = None) -> np.ndarray:
        """Draws of shape ``size + batch_shape + event_shape`` (the base's batch is already in that order)."""
        return self.base.sample(size, rng=rng)


@register_torch_wrapper("Independent")
def _from_torch_independent(obj: Any, arg: str) -> Independent:
    """``torch.distributions.Independent(base, n)``: anadiv's Independent of the base's family."""
    base = from_torch(obj.base_dist, arg)
    if not isinstance(base, Family) or base.event_ndim:
        raise NoClosedFormError(
            f"{arg}: torch.distributions.Independent of {type(obj.base_dist).__name__} has no anadiv "
            "counterpart (anadiv's Independent takes a univariate family)"
        )
    return Independent(base, obj.reinterpreted_batch_ndims)


def _check_events(p: Independent, q: Independent) -> None:
    if p.event_shape != q.event_shape:
        raise ValueError(f"q: event shape {q.event_shape} differs from p's event shape {p.event_shape}")


# The bases are dispatched by anadiv.api (imported on call: it imports this package).
@register_closed_form("kl", Independent, Independent, status="conditional", source="composite")
def kl_independent(p: Independent, q: Independent) -> Any:
    r""":math:`KL(P \| Q) = \sum_i KL(P_i \| Q_i)` over the event axes."""
    from .api import kl

    _check_events(p, q)
    return p._sum(kl(p.base, q.base))


@register_closed_form("cross_entropy", Independent, Independent, status="conditional", source="composite")
def cross_entropy_independent(p: Independent, q: Independent) -> Any:
    r""":math:`H(P, Q) = \sum_i H(P_i, Q_i)` over the event axes."""
    from .api import cross_entropy

    _check_events(p, q)
    return p._sum(cross_entropy(p.base, q.base))


@register_closed_form("entropy", Independent, status="finite", source="composite")
def entropy_independent(p: Independent) -> Any:
    r""":math:`H(P) = \sum_i H(P_i)` over the event axes."""
    from .api import entropy

    return p._sum(entropy(p.base))
