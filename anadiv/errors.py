"""Exceptions raised by anadiv."""

from __future__ import annotations


class NoClosedFormError(NotImplementedError):
    """Raised when a divergence has no closed form for the requested pair.

    The message always names what to use instead (``kl_estimate`` for Monte
    Carlo, ``kl_quad`` for numerical integration, or the Gaussian-mixture
    approximations).
    """


class QuadratureError(ArithmeticError):
    """Quadrature cannot give the value to the accuracy it promises (the message says why)."""


class UnreliableIntervalError(ValueError):
    """Raised by :meth:`anadiv.Estimate.ci` when the estimate's standard error is not valid
    (a heavy tail: the variance of the integrand is infinite or not estimable; see
    ``Estimate.warning``)."""
