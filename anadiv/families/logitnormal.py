"""Logit-normal distribution: the sigmoid of a normal variable, on (0, 1)."""

from __future__ import annotations

from typing import Any

import numpy as np

from ..constraints import positive, real
from ._base import Family, Param, ParamValue

_LOG_SQRT_2PI = float(0.5 * np.log(2.0 * np.pi))


def _mode_logit(loc: np.ndarray, scale: np.ndarray) -> np.ndarray:
    """``logit`` of a mode: a root of ``h(y) = y - loc - scale^2 tanh(y/2)`` where ``h`` crosses upwards.

    ``d log p / dy = -h(y)/scale^2`` in ``y = logit(x)``, so the density rises
    where ``h < 0`` and falls where ``h > 0``; bisection keeping ``h(lo) < 0 < h(hi)``
    on ``[loc - scale^2, loc + scale^2]`` (``|tanh| < 1`` puts every root there)
    ends on an upward crossing: a mode, one of the two when ``scale^2 > 2`` makes
    the density bimodal.
    """
    s2 = np.asarray(scale, dtype=float) ** 2
    lo, hi = np.broadcast_arrays(loc - s2, loc + s2)
    lo, hi = lo.astype(float), hi.astype(float)
    for _ in range(200):
        mid = 0.5 * (lo + hi)
        up = mid - loc - s2 * np.tanh(0.5 * mid) > 0
        lo, hi = np.where(up, lo, mid), np.where(up, mid, hi)
    return 0.5 * (lo + hi)


class LogitNormal(Family):
    r"""Logit-normal distribution: :math:`\operatorname{logit} X \sim N(\mu, \sigma^2)`, :math:`X \in (0, 1)`.

    TensorFlow Probability: ``tfd.LogitNormal(loc, scale)``; scipy and torch
    have no class for it.

    .. math::

        \log p(x) = -\log x - \log(1 - x) - \log\sigma - \tfrac12\log(2\pi)
                    - \frac{(\operatorname{logit} x - \mu)^2}{2\sigma^2},
        \qquad \operatorname{logit} x = \log\frac{x}{1 - x}

    Parameters
    ----------
    loc : array_like or sympy expression
        Mean :math:`\mu` of ``logit(X)``, any real number (``sigmoid(loc)`` is the median).
    scale : array_like or sympy expression
        Standard deviation :math:`\sigma > 0` of ``logit(X)``.

    Notes
    -----
    Breakpoints: a mode (``logit`` of it solves ``y = loc + scale^2 tanh(y/2)``;
    the density is bimodal when ``scale^2 > 2``) and the median ``sigmoid(loc)``.
    ``X = sigmoid(loc + scale*Z)`` with ``Z`` standard normal. The KL between
    two logit-normals is the KL between the underlying normals (a divergence
    does not change under a bijection of the variable): the engine derives it
    from the densities, where the Jacobian terms ``-log x - log(1 - x)`` of
    ``log p`` and ``log q`` cancel and ``E[logit(X)**n]`` is a normal moment,

    .. math::

        \mathrm{KL} = \log\frac{\sigma_2}{\sigma_1}
                      + \frac{\sigma_1^2 + (\mu_1 - \mu_2)^2}{2\sigma_2^2} - \frac12 .

    The entropy and the cross-entropy need :math:`E[\log X(1 - X)]`, a
    logistic-normal integral with no elementary form (nor have the mean and
    the variance): they raise :class:`~anadiv.errors.NoClosedFormError`
    (use ``entropy_quad`` / ``kl_quad`` or the Monte Carlo estimators).

    Examples
    --------
    >>> from anadiv import LogitNormal, Normal, kl
    >>> float(LogitNormal(0.0, 1.0).logpdf(0.5))  # -log(1/4) - log(2 pi)/2
    0.467355827915...
    >>> kl(LogitNormal(0.3, 1.2), LogitNormal(-0.5, 0.7)) == kl(Normal(0.3, 1.2), Normal(-0.5, 0.7))
    True
    """

    name = "logitnormal"
    parameters = (
        Param("loc", real, (-2.0, 2.0), "mean of logit(X)"),
        Param("scale", positive, (0.3, 2.0), "standard deviation of logit(X)"),
    )

    def __init__(self, loc: ParamValue, scale: ParamValue, *, validate: bool = True) -> None:
        # explicit, so editors and type checkers see the parameters
        super().__init__(loc, scale, validate=validate)

    @staticmethod
    def _np_logpdf(x: np.ndarray, loc: np.ndarray, scale: np.ndarray) -> np.ndarray:
        inside = (x > 0) & (x < 1)
        xs = np.where(inside, x, 0.5)
        lx, l1mx = np.log(xs), np.log1p(-xs)  # 1 - x is exact for x >= 1/2 (Sterbenz)
        z = (lx - l1mx - loc) / scale
        out = -lx - l1mx - np.log(scale) - _LOG_SQRT_2PI - 0.5 * z * z
        return np.where(inside, out, -np.inf)

    @staticmethod
    def _np_sample(rng: np.random.Generator, size: tuple[int, ...], loc: np.ndarray, scale: np.ndarray) -> np.ndarray:
        from scipy.special import expit

        return expit(loc + scale * rng.standard_normal(size))

    @staticmethod
    def _np_support(loc: np.ndarray, scale: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        s = np.broadcast_shapes(np.shape(loc), np.shape(scale))
        return np.zeros(s), np.ones(s)

    @staticmethod
    def _np_breakpoints(loc: np.ndarray, scale: np.ndarray) -> tuple[np.ndarray, ...]:
        from scipy.special import expit

        return (expit(_mode_logit(loc, scale)), expit(np.broadcast_to(loc, np.broadcast_shapes(np.shape(loc), np.shape(scale)))))

    # ------------------------------------------------------------------ hooks
    torch_name = None
    # scipy.stats has no logit-normal
    _scipy_frozen = None
    # E[X] and Var[X] are logistic-normal integrals with no closed form
    _np_mean_var = None
    expectation_routes = {"logitpow": "logit_base"}

    @staticmethod
    def _np_quantile(u: np.ndarray, loc: np.ndarray, scale: np.ndarray) -> np.ndarray:
        from scipy.special import expit, ndtri

        return expit(loc + scale * ndtri(u))

    @classmethod
    def sym_logpdf(cls, x: Any, loc: Any, scale: Any) -> Any:
        import sympy

        from ._logit import logit

        return (
            -sympy.log(x)
            - sympy.log(1 - x)
            - sympy.log(scale)
            - sympy.log(2 * sympy.pi) / 2
            - (logit(x) - loc) ** 2 / (2 * scale**2)
        )

    @classmethod
    def sym_support(cls, loc: Any, scale: Any) -> Any:
        import sympy

        return sympy.Interval(0, 1)

    @classmethod
    def sym_representation(cls) -> Any:
        import sympy

        from ._representation import Representation, std_normal_density

        return Representation(
            lambda y, m, s: [(-sympy.oo, sympy.oo, std_normal_density(y))],
            lambda y, m, s: 1 / (1 + sympy.exp(-(m + s * y))),
            lambda x, m, s: (sympy.log(x) - sympy.log(1 - x) - m) / s,
            True,
            "X = sigmoid(loc + scale*Z), Z ~ N(0, 1)",
        )
