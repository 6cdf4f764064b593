"""Von Mises distribution: the circular analogue of the normal, on [-pi, pi]."""

from __future__ import annotations

from typing import Any

import numpy as np

from ..constraints import interval, positive
from ._base import UNSET, Family, Param, ParamValue

_LOG_2PI = float(np.log(2.0 * np.pi))
#: an angle: a location beyond [-pi, pi] is the same distribution as its remainder there, and a huge
#: one (1e300) would lose every digit of cos(loc_1 - loc_2); it is asked for in [-pi, pi]
_ANGLE = interval(-np.pi, np.pi, low_closed=True, high_closed=True)


class VonMises(Family):
    r"""Von Mises distribution with location :math:`\mu` and concentration :math:`\kappa`.

    torch: ``VonMises(loc, concentration)``. scipy's
    ``scipy.stats.vonmises(kappa, loc=loc)`` has the same density but lives on
    :math:`[\mu - \pi, \mu + \pi]`, so it is the same distribution only for
    :math:`\mu = 0` and is not declared as a counterpart.

    .. math::

        \log p(x) = \kappa\cos(x - \mu) - \log\bigl(2\pi I_0(\kappa)\bigr),
        \quad -\pi \le x \le \pi

    Parameters
    ----------
    loc : array_like or sympy expression
        Location :math:`\mu` (the mode), an angle in :math:`[-\pi, \pi]` (torch
        accepts any real ``loc``; reduce it modulo :math:`2\pi` first).
    concentration : array_like or sympy expression
        Concentration :math:`\kappa > 0`; :math:`\kappa \to 0` is the uniform
        on the circle, :math:`\kappa \to \infty` a normal of variance
        :math:`1/\kappa`.

    Notes
    -----
    An exponential family with sufficient statistics
    :math:`(\cos x, \sin x)`, natural parameters
    :math:`\kappa(\cos\mu, \sin\mu)` and log-normalizer
    :math:`\log(2\pi I_0(|\eta|))`, so
    :math:`E\cos(X - m) = A(\kappa)\cos(\mu - m)` with
    :math:`A = I_1/I_0`, and

    .. math::

        H = \log(2\pi I_0(\kappa)) - \kappa A(\kappa), \qquad
        \mathrm{KL} = \log\frac{I_0(\kappa_2)}{I_0(\kappa_1)}
        + A(\kappa_1)\bigl(\kappa_1 - \kappa_2\cos(\mu_1 - \mu_2)\bigr).

    *Support.* The distribution lives on a circle of length :math:`2\pi`;
    anadiv treats it, as torch does, as the interval :math:`[-\pi, \pi]` of the
    real line. Against another von Mises or a ``Uniform(low, high)`` with
    :math:`[-\pi, \pi] \subseteq [low, high]` the divergences are closed
    forms; a family on the whole line (Normal, Laplace, ...) gives
    :math:`E[x^2]` or :math:`E|x - c|` over the interval, which have no closed
    form (:class:`~anadiv.errors.NoClosedFormError`); one that puts mass outside
    :math:`[-\pi, \pi]` against a von Mises gives ``inf``. The generated
    code computes with the scaled Bessel functions
    (:math:`\log I_0(\kappa) = \log i_0e(\kappa) + \kappa`), so nothing
    overflows at large :math:`\kappa`. The mean and variance of :math:`X` as
    a real variable have no closed form (``mean_variance`` is unavailable;
    torch's ``mean`` and ``variance`` are the circular ones).

    Examples
    --------
    >>> from anadiv import VonMises, entropy, kl
    >>> float(VonMises(0.0, 1.0).logpdf(0.0))  # doctest: +ELLIPSIS
    -1.0737914249...
    >>> round(kl(VonMises(0.0, 2.0), VonMises(1.0, 2.0)), 12)  # 2 A(2) (1 - cos 1)
    0.641530802579
    >>> round(entropy(VonMises(0.0, 1e-12)), 12)  # the uniform on the circle: log(2 pi)
    1.837877066409
    """

    name = "vonmises"
    scipy_name = None
    parameters = (
        Param("loc", _ANGLE, (-3.0, 3.0), "location (the mode), an angle in [-pi, pi]"),
        Param("concentration", positive, (0.3, 5.0), "concentration kappa", aliases=("kappa",)),
    )

    def __init__(
        self, loc: ParamValue = UNSET, concentration: ParamValue = UNSET, *,
        kappa: ParamValue = UNSET, validate: bool = True,
    ) -> None:
        # explicit, so editors and type checkers see the parameters; the aliases are torch's and scipy's names
        super().__init__(loc, concentration, kappa=kappa, validate=validate)

    @staticmethod
    def _np_logpdf(x: np.ndarray, loc: np.ndarray, concentration: np.ndarray) -> np.ndarray:
        from scipy.special import i0e

        inside = (x >= -np.pi) & (x <= np.pi)
        # kappa (cos - 1) - log(2 pi i0e(kappa)): log I0(kappa) = log i0e(kappa) + kappa, no overflow;
        # cos(d) - 1 = -2 sin(d/2)^2 keeps its digits near the mode
        half = np.sin(0.5 * (x - loc))
        out = -2.0 * concentration * half * half - _LOG_2PI - np.log(i0e(concentration))
        return np.where(inside, out, -np.inf)

    @staticmethod
    def _np_sample(
        rng: np.random.Generator, size: tuple[int, ...], loc: np.ndarray, concentration: np.ndarray
    ) -> np.ndarray:
        # numpy's sampler returns values in [-pi, pi] for any mu
        return rng.vonmises(loc, concentration, size)

    @staticmethod
    def _np_support(loc: np.ndarray, concentration: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        b = np.broadcast_shapes(np.shape(loc), np.shape(concentration))
        return np.full(b, -np.pi), np.full(b, np.pi)

    @staticmethod
    def _np_breakpoints(loc: np.ndarray, concentration: np.ndarray) -> tuple[np.ndarray, ...]:
        # the mode (loc wrapped into [-pi, pi)), then the antimode opposite it
        mode = np.mod(np.asarray(loc, dtype=float) + np.pi, 2.0 * np.pi) - np.pi
        anti = np.where(mode >= 0, mode - np.pi, mode + np.pi)
        shape = np.broadcast_shapes(np.shape(loc), np.shape(concentration))
        return (np.broadcast_to(mode, shape), np.broadcast_to(anti, shape))

    # ------------------------------------------------------------------ hooks
    torch_name = "VonMises"
    exponential_family = True
    expectation_routes = {"cos": "natural_cos"}
    _np_quantile = None
    # scipy's vonmises(kappa, loc=loc) lives on [loc - pi, loc + pi]: a different distribution on
    # the real line unless loc = 0, so it is not declared as the counterpart
    _scipy_frozen = None
    # E[X] and Var[X] of the real variable on [-pi, pi] have no closed form for loc != 0
    _np_mean_var = None

    @staticmethod
    def _torch_params(loc: Any, concentration: Any) -> dict[str, Any]:
        return {"loc": loc, "concentration": concentration}

    @classmethod
    def sym_logpdf(cls, x: Any, loc: Any, concentration: Any) -> Any:
        import sympy

        return concentration * sympy.cos(x - loc) - sympy.log(2 * sympy.pi * sympy.besseli(0, concentration))

    @classmethod
    def sym_support(cls, loc: Any, concentration: Any) -> Any:
        import sympy

        return sympy.Interval(-sympy.pi, sympy.pi)

    @classmethod
    def sym_representation(cls) -> Any:
        return None

    # exponential family: eta = kappa (cos mu, sin mu), T(x) = (cos x, sin x), A(eta) = log(2 pi I0(|eta|))
    @classmethod
    def sym_natural_params(cls, loc: Any, concentration: Any) -> tuple[Any, ...]:
        import sympy

        return (concentration * sympy.cos(loc), concentration * sympy.sin(loc))

    @classmethod
    def sym_sufficient_statistics(cls, x: Any) -> tuple[Any, ...]:
        import sympy

        return (sympy.cos(x), sympy.sin(x))

    @classmethod
    def sym_log_normalizer(cls, eta1: Any, eta2: Any) -> Any:
        import sympy

        return sympy.log(2 * sympy.pi * sympy.besseli(0, sympy.sqrt(eta1**2 + eta2**2)))

    @classmethod
    def sym_log_base_measure(cls, x: Any) -> Any:
        return 0
