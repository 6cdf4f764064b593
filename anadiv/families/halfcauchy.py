"""Half-Cauchy distribution: the absolute value of a centred Cauchy."""

from __future__ import annotations

from typing import Any

import numpy as np

from ..constraints import positive
from ._base import Family, Param, ParamValue
from ._scipy import require_zero_loc

_LOG_2_OVER_PI = float(np.log(2.0 / np.pi))


class HalfCauchy(Family):
    r"""Half-Cauchy distribution: :math:`X = \gamma|Y|` with :math:`Y` standard Cauchy.

    scipy equivalent: ``scipy.stats.halfcauchy(scale=scale)``; torch:
    ``HalfCauchy(scale)``.

    .. math::

        \log p(x) = \log\frac{2}{\pi} - \log\gamma - \log\left(1 + \frac{x^2}{\gamma^2}\right),
        \quad x \ge 0

    Parameters
    ----------
    scale : array_like or sympy expression
        Scale :math:`\gamma > 0` (the median).

    Notes
    -----
    The mean is infinite (``mean_variance`` raises). ``log((x - m)^2 + c)``
    is even in ``x`` for ``m = 0``, so its half-Cauchy expectation is the
    Cauchy one, ``2 log(scale + sqrt(c))`` (Poisson integral), which gives
    :math:`\mathrm{KL} = \log\frac{(\gamma_1 + \gamma_2)^2}{4\gamma_1\gamma_2}`
    and the entropy :math:`\log(2\pi\gamma)`; ``E[X^t] = \gamma^t/\cos(\pi t/2)``
    for :math:`|t| < 1` gives the logarithmic moments.

    Examples
    --------
    >>> from anadiv import HalfCauchy, kl
    >>> float(HalfCauchy(1.0).logpdf(0.0))  # doctest: +ELLIPSIS
    -0.4515...
    >>> round(kl(HalfCauchy(1.0), HalfCauchy(3.0)), 6)  # log(16/12)
    0.287682
    """

    name = "halfcauchy"
    scipy_name = "halfcauchy"
    parameters = (Param("scale", positive, (0.3, 3.0), "scale (the median)"),)

    def __init__(self, scale: ParamValue, *, validate: bool = True) -> None:
        # explicit, so editors and type checkers see the parameters
        super().__init__(scale, validate=validate)

    @staticmethod
    def _np_logpdf(x: np.ndarray, scale: np.ndarray) -> np.ndarray:
        inside = x >= 0
        xs = np.where(inside, x, 0.0)
        # beyond x = scale, log(1 + z^2) = 2 log z + log1p(1/z^2) with log z = log x - log scale: z = x/scale
        # and z*z overflow long before the density underflows (z ~ 1e154: density ~ 1e-308), and quadrature
        # follows the power-law tail that far
        big = xs > scale
        xb = np.where(big, xs, scale)
        r = scale / xb
        with np.errstate(over="ignore", divide="ignore"):
            z = np.where(big, 1.0, xs / scale)
            log_1pz2 = np.where(big, 2.0 * (np.log(xb) - np.log(scale)) + np.log1p(r * r), np.log1p(z * z))
        return np.where(inside, _LOG_2_OVER_PI - np.log(scale) - log_1pz2, -np.inf)

    @staticmethod
    def _np_sample(rng: np.random.Generator, size: tuple[int, ...], scale: np.ndarray) -> np.ndarray:
        return scale * np.abs(rng.standard_cauchy(size))

    @staticmethod
    def _np_support(scale: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        s = np.shape(scale)
        return np.zeros(s), np.full(s, np.inf)

    @staticmethod
    def _np_breakpoints(scale: np.ndarray) -> tuple[np.ndarray, ...]:
        # the mode is the support's start (a no-op split)
        return (np.zeros(np.shape(scale)),)

    @classmethod
    def _from_scipy_params(cls, shapes: dict[str, Any], loc: Any, scale: Any) -> tuple[Any, ...]:
        require_zero_loc(loc, "halfcauchy")
        return (scale,)

    # ------------------------------------------------------------------ hooks
    torch_name = "HalfCauchy"
    # no "exp": E[exp(-x/s)] needs the sine and cosine integrals
    expectation_routes = {"pow": "mellin", "logpow": "mellin", "abs": "tail", "logquad": "half_poisson"}
    # The mean is infinite: control variates cannot centre on it.
    _np_mean_var = None
    # A power-law tail: log p never overflows before p underflows.
    _np_log_neg_logpdf = None

    @staticmethod
    def _np_quantile(u: np.ndarray, scale: np.ndarray) -> np.ndarray:
        return scale * np.tan(0.5 * np.pi * u)

    @staticmethod
    def _scipy_frozen(scale: np.ndarray) -> Any:
        import scipy.stats

        return scipy.stats.halfcauchy(scale=scale)

    @staticmethod
    def _torch_params(scale: Any) -> dict[str, Any]:
        return {"scale": scale}

    @classmethod
    def sym_logpdf(cls, x: Any, scale: Any) -> Any:
        import sympy

        return sympy.log(2 / sympy.pi) + sympy.log(scale) - sympy.log(x**2 + scale**2)

    @classmethod
    def sym_support(cls, scale: Any) -> Any:
        import sympy

        return sympy.Interval(0, sympy.oo)

    @classmethod
    def sym_representation(cls) -> Any:
        import sympy

        from ._representation import Representation

        return Representation(
            lambda y, s: [(0, sympy.oo, 2 / (sympy.pi * (1 + y**2)))],
            lambda y, s: s * y,
            lambda x, s: x / s,
            True,
            "X = scale*|Y|, Y standard Cauchy",
        )
