"""What every estimator returns: a value with its error and how it was found.

:class:`Result` is the one result type of :mod:`anadiv.estimators`: a value
(``float(result)``), an error on it (:attr:`Result.error`: a standard error for
Monte Carlo, an absolute error bound for quadrature) and the method that
produced it. Each kind of estimator adds what it knows:

* :class:`Estimate` (Monte Carlo, quasi-Monte Carlo, control variates): the
  standard error, the sample size, the degrees of freedom of its interval and
  whether that interval can be trusted (:meth:`Estimate.ci`);
* :class:`QuadResult` (numerical integration): the integrator's error estimate.

Estimators from samples (k-nearest-neighbour, histograms) will return
:class:`Estimate` as well.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Callable

from ..errors import UnreliableIntervalError
from ..numeric.validation import check_tol

__all__ = ["Result", "Estimate", "QuadResult", "ClosedFormResult"]


class Result:
    """Base of every estimator's result: ``value``, ``error`` and ``method``.

    Subclasses are frozen dataclasses with a ``value`` and a ``method`` field;
    ``error`` is the uncertainty on ``value`` in the subclass's own sense.

    Examples
    --------
    >>> from anadiv import Normal, kl_quad
    >>> r = kl_quad(Normal(0.0, 1.0), Normal(1.0, 2.0))
    >>> isinstance(r, Result), round(float(r), 6), r.error < 1e-8
    (True, 0.443147, True)
    """

    #: The estimate (``inf`` for an infinite divergence).
    value: float
    #: How it was computed (``"mc"``, ``"scipy.integrate.quad"``, ...).
    method: str
    if TYPE_CHECKING:
        # Uncertainty on ``value``: a standard error or an absolute error bound,
        # a field or a property of the subclass (declared for type checkers only:
        # a property here would become the default of the subclasses' fields).
        @property
        def error(self) -> float: ...

    def __float__(self) -> float:
        return float(self.value)


@dataclass(frozen=True)
class Estimate(Result):
    """A Monte Carlo estimate with its standard error.

    Attributes
    ----------
    value : float
        Point estimate (``inf`` for an infinite divergence).
    stderr : float
        Standard error of ``value``.
    n : int
        Number of samples (points) used.
    method : str
        ``"mc"``, ``"qmc"``, ``"control"`` or ``"support"`` (infinite from
        the supports).
    df : float
        Degrees of freedom of the interval: ``inf`` for a normal interval,
        ``batches - 1`` for a Student-t interval over independent replicates.
    stderr_reliable : bool
        False when the variance of the integrand under P is infinite (a
        polynomial-tailed P against a Q whose log-density grows like ``x^2``,
        e.g. Student-t(3) against a Normal): ``value`` is still a consistent
        estimate, but ``stderr`` is only the sample spread, the error does
        not shrink like ``1/sqrt(n)``, and :meth:`ci` raises
        :class:`UnreliableIntervalError`.
    warning : str
        Why ``stderr_reliable`` is False (empty otherwise).
    moment, moment_stderr : float
        For a divergence computed as a monotone map of a mean (Hellinger
        ``sqrt(M)``, Renyi ``log(1 + (alpha - 1) M) / (alpha - 1)``; see
        :mod:`anadiv.kinds._fdiv`): the mean ``M`` and its standard error.
        ``stderr`` is then the delta-method error, and :meth:`ci` maps the
        interval of ``M`` through the map, so it stays inside the divergence's
        range (a Hellinger interval within [0, 1]). NaN otherwise.
    """

    value: float
    stderr: float
    n: int
    method: str
    df: float = math.inf
    stderr_reliable: bool = True
    warning: str = ""
    moment: float = math.nan
    moment_stderr: float = math.nan
    outer: Any = field(default=None, repr=False, compare=False)
    moment_range: tuple[float, float] = field(default=(-math.inf, math.inf), repr=False, compare=False)

    @classmethod
    def of_moment(cls, outer: Callable[[float], float], moment_range: tuple[float, float], moment: float,
                  moment_stderr: float, n: int, method: str, df: float = math.inf, **kw: Any) -> "Estimate":
        """The estimate of ``outer(M)`` from an estimate of ``M`` (``outer`` monotone on ``moment_range``)."""
        lo, hi = moment_range

        def clip(v: float) -> float:
            return min(max(v, lo), hi)

        value = outer(clip(moment))
        up, down = outer(clip(moment + moment_stderr)), outer(clip(moment - moment_stderr))
        stderr = (up - down) / 2 if math.isfinite(up - down) else math.inf
        if stderr == 0.0 and moment_stderr > 0.0 and math.isfinite(moment):
            # M and M +- its error all beyond one end of the range (a small divergence estimated
            # below 0): the value sits at the end, and one error of M inward is how far it may move
            edge, inward = (lo, moment_stderr) if moment <= lo else (hi, -moment_stderr)
            stderr = abs(outer(clip(edge + inward)) - outer(edge))
        return cls(value, stderr, n, method, df, moment=moment, moment_stderr=moment_stderr, outer=outer,
                   moment_range=moment_range, **kw)

    @property
    def error(self) -> float:
        """The standard error (:attr:`stderr`)."""
        return self.stderr

    def ci(self, level: float = 0.95) -> tuple[float, float]:
        """Two-sided confidence interval ``(low, high)`` at ``level``.

        Examples
        --------
        >>> from anadiv.estimators import Estimate
        >>> Estimate(1.0, 0.1, 1000, "mc").ci()  # doctest: +ELLIPSIS
        (0.80400..., 1.19599...)
        """
        lv = check_tol(level, "level", allow_none=False)
        if not (0.0 < lv < 1.0):
            raise ValueError(f"level: must lie in (0, 1), got {level!r}")
        level = lv
        if not self.stderr_reliable:
            raise UnreliableIntervalError(f"no confidence interval: {self.warning}")
        if not math.isfinite(self.value):
            return (self.value, self.value)
        from scipy.special import ndtri, stdtrit

        p = 0.5 + 0.5 * level
        z = float(ndtri(p)) if math.isinf(self.df) else float(stdtrit(self.df, p))
        if self.outer is not None:
            lo, hi = self.moment_range
            a = min(max(self.moment - z * self.moment_stderr, lo), hi)
            b = min(max(self.moment + z * self.moment_stderr, lo), hi)
            if a == b and self.moment_stderr > 0:
                # the whole interval of M beyond one end: keep z errors of M inward from that end
                if a == lo:
                    b = min(lo + z * self.moment_stderr, hi)
                else:
                    a = max(hi - z * self.moment_stderr, lo)
            return (self.outer(a), self.outer(b))
        return (self.value - z * self.stderr, self.value + z * self.stderr)


@dataclass(frozen=True)
class QuadResult(Result):
    """A numerically integrated value with its error estimate.

    Attributes
    ----------
    value : float
        The integral (``inf`` when the divergence is infinite).
    error : float
        Absolute error estimate (quadrature estimate, plus the tail bound for
        the truncated 2-D box).
    method : str
        How it was computed, e.g. ``"scipy.integrate.quad"``.
    """

    value: float
    error: float
    method: str


@dataclass(frozen=True)
class ClosedFormResult(Result):
    """A closed form's value, as :func:`anadiv.divergence` returns it.

    Attributes
    ----------
    value : float, numpy.ndarray or sympy expression
        The closed form (an array over a batch of parameters).
    error : float or numpy.ndarray
        Its rounding: ``CLOSED_FORM_RTOL * |value|`` (the relative error the
        closed forms are tested to), 0 where the value is ``inf``.
    method : str
        ``"closed form"`` (``"closed form (symbolic)"`` for sympy parameters).

    Examples
    --------
    >>> ClosedFormResult(0.5, 5e-13, "closed form").error
    5e-13
    """

    value: Any
    error: Any
    method: str
