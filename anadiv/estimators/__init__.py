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
:mod:`.knn`                        from samples: ``kl_knn`` (two samples),
                                   ``kl_knn_density``, ``kl_density_knn``,
                                   ``entropy_knn`` (k nearest neighbours)
:mod:`.against_density`            ``cross_entropy_samples``: data against a
                                   density, as a sample mean
:mod:`.from_data`                  the table routing data through the front
                                   doors (``kl_estimate(x, y)`` & co.)
:mod:`.samples`                    the one check of sample arrays
:mod:`.neighbours`                 exact k-nearest-neighbour search
:mod:`.histogram`                  ``histogram_divergence`` (KL, Jensen-Shannon)
                                   and ``histogram_entropy`` from samples
:mod:`.one_dim`                    ``entropy_spacing``, ``wasserstein_samples``:
                                   samples on the line
:mod:`.classifier`                 ``divergence_from_classifier``: JS,
                                   Hellinger, TV from two samples through a
                                   cross-fitted classifier
:mod:`.result`                     :class:`Result`, :class:`Estimate`,
                                   :class:`QuadResult`
:mod:`.neighbours`                 :class:`NeighbourIndex`: exact k-nearest
                                   neighbours of samples (k-d tree or BLAS)
=================================  ==========================================

The modules are also reachable under their earlier names ``anadiv.estimate``,
``anadiv.quadrature`` and ``anadiv.gmm``. None of them imports sympy.
"""

from __future__ import annotations

from .result import Estimate, QuadResult, Result

__all__ = ["Result", "Estimate", "QuadResult"]
