"""Exceptions raised by anadiv."""

from __future__ import annotations


class NoClosedFormError(NotImplementedError):
    """Raised when a divergence has no closed form for the requested pair.

    The message always names what to use instead (``kl_estimate`` for Monte
    Carlo, ``kl_quad`` for numerical integration, or the Gaussian-mixture
    approximations).
    """
