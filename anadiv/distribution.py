"""The common base of every object anadiv's functions accept as a distribution.

:class:`~anadiv.Family` (the parametric families), :class:`~anadiv.Mixture`
and :class:`~anadiv.Independent` derive from :class:`Distribution`, so
:func:`anadiv.kl` & co. recognise their arguments by class, and a user's own
distribution type joins them by subclassing it (then
:func:`anadiv.register_closed_form` gives it closed forms). This module
imports nothing, so every other module can import it.
"""

from __future__ import annotations

from typing import Any

__all__ = ["Distribution"]


class Distribution:
    r"""Base class of anadiv's distributions: a density :math:`p(x)` and a sampler.

    A subclass provides

    * ``logpdf(x)``: :math:`\log p(x)`, ``-inf`` off the support,
      broadcasting over the leading axes of ``x``;
    * ``sample(size, rng)``: an array of shape
      ``size + batch_shape + event_shape``;
    * ``batch_shape``: the shape of a batch of independent distributions;
    * ``event_ndim``: the number of axes of one draw (0 for a scalar);
    * ``symbolic``: True when the parameters are sympy expressions.

    The closed-form registry (:mod:`anadiv.registry`) dispatches on the
    subclass, along its method resolution order.

    Examples
    --------
    >>> from anadiv import Distribution, Mixture, Normal
    >>> isinstance(Normal(0.0, 1.0), Distribution)
    True
    >>> isinstance(Mixture([1.0], [Normal(0.0, 1.0)]), Distribution)
    True
    """

    #: True for distributions with sympy parameters (sent to the symbolic engine).
    symbolic: bool = False

    def logpdf(self, x: Any) -> Any:
        """Log-density at ``x``."""
        raise NotImplementedError(f"{type(self).__name__} does not define logpdf")

    def sample(self, size: int | tuple[int, ...] = (), rng: Any = None) -> Any:
        """Draws of shape ``size + batch_shape + event_shape``."""
        raise NotImplementedError(f"{type(self).__name__} does not define sample")
