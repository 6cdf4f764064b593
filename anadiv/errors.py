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


class AmbiguousClosedFormError(RuntimeError):
    """Raised when several closed-form rules match a pair of classes and none is more specific.

    Two rules ``(A, B)`` and ``(C, D)`` match the classes ``(X, Y)`` when ``X``
    derives from both ``A`` and ``C`` and ``Y`` from both ``B`` and ``D``; the
    more specific rule is nearer to ``X`` and to ``Y`` along their method
    resolution orders. The message names the tied rules; registering a rule
    for ``(X, Y)`` itself (:func:`anadiv.register_closed_form`) settles it.
    """
