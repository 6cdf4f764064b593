"""Estimators for what has no closed form, sharing one result type.

=================================  ==========================================
module                             estimates
=================================  ==========================================
:mod:`.monte_carlo`                ``kl_estimate``, ``cross_entropy_estimate``,
                                   ``entropy_estimate``: Monte Carlo,
                                   quasi-Monte Carlo and control variates
:mod:`.quadrature`                 ``kl_quad`` & co.: numerical integration
                                   (scipy in double precision, mpmath beyond)
:mod:`.gmm`                        bounds and approximations of the KL between
                                   Gaussian mixtures
:mod:`.classifier`                 ``divergence_from_classifier``: JS,
                                   Hellinger, TV from two samples through a
                                   cross-fitted classifier
:mod:`.result`                     :class:`Result`, :class:`Estimate`,
                                   :class:`QuadResult`
=================================  ==========================================

The modules are also reachable under their earlier names ``anadiv.estimate``,
``anadiv.quadrature`` and ``anadiv.gmm``. None of them imports sympy.
"""

from __future__ import annotations

from .result import Estimate, QuadResult, Result

__all__ = ["Result", "Estimate", "QuadResult"]
