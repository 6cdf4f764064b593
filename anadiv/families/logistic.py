"""Logistic distribution: the difference of two standard Gumbels, a sigmoid cdf."""

from __future__ import annotations

from typing import Any

import numpy as np

from ..constraints import positive, real
from ._base import Family, Param, ParamValue


class Logistic(Family):
    r"""Logistic distribution with location :math:`\mu` and scale :math:`s`.

    scipy equivalent: ``scipy.stats.logistic(loc=loc, scale=scale)``; torch
    has no logistic class (``TransformedDistribution`` of a uniform only).

    .. math::

        \log p(x) = -z - 2\log\bigl(1 + e^{-z}\bigr) - \log s,
        \qquad z = \frac{x - \mu}{s}

    Parameters
    ----------
    loc : array_like or sympy expression
        Location :math:`\mu` (mean, median and mode), any real number.
    scale : array_like or sympy expression
        Scale :math:`s > 0`; the variance is :math:`\pi^2 s^2/3`.

    Notes
    -----
    The cdf is the sigmoid :math:`1/(1 + e^{-z})`, so
    :math:`X = \mu + s\log(U/(1 - U))` for a uniform :math:`U`: the engine
    derives the moment generating function
    :math:`E[e^{tX}] = e^{t\mu}\,\Gamma(1 + st)\,\Gamma(1 - st)`
    (:math:`|t| < 1/s`) from Euler's beta integral, and
    :math:`E\log(1 + e^{-z}) = E[-\log U] = 1`, so the entropy is
    :math:`\log s + 2`. The term :math:`\log(1 + e^{-(x - m)/s'})` of another
    logistic's log-density has no elementary expectation unless
    :math:`(m, s') = (\mu, s)`: KL and cross-entropy *into* a logistic
    (``Normal || Logistic``, ``Logistic || Logistic`` with other parameters)
    raise :class:`~anadiv.errors.NoClosedFormError` (use ``kl_quad``); out of
    a logistic (into a Normal, Laplace, Gumbel, ...) they are closed forms.

    Examples
    --------
    >>> from anadiv import Logistic, Normal, entropy, kl
    >>> float(Logistic(0.0, 1.0).logpdf(0.0))  # -2 log 2
    -1.3862943611198906
    >>> round(entropy(Logistic(0.0, 3.0)), 12)  # log 3 + 2
    3.098612288668
    >>> round(kl(Logistic(0.0, 1.0), Normal(0.0, 1.0)), 6)  # pi^2/6 + log(2 pi)/2 - 2
    0.563873
    """

    name = "logistic"
    scipy_name = "logistic"
    location = "loc"
    parameters = (
        Param("loc", real, (-3.0, 3.0), "location (mean, median and mode)"),
        Param("scale", positive, (0.3, 3.0), "scale; the variance is pi^2 scale^2 / 3"),
    )

    def __init__(self, loc: ParamValue, scale: ParamValue, *, validate: bool = True) -> None:
        # explicit, so editors and type checkers see the parameters
        super().__init__(loc, scale, validate=validate)

    @staticmethod
    def _np_logpdf(x: np.ndarray, loc: np.ndarray, scale: np.ndarray) -> np.ndarray:
        # symmetric in z: -|z| - 2 log(1 + exp(-|z|)) never overflows
        a = np.abs((x - loc) / scale)
        return -a - 2.0 * np.log1p(np.exp(-a)) - np.log(scale)

    @staticmethod
    def _np_sample(rng: np.random.Generator, size: tuple[int, ...], loc: np.ndarray, scale: np.ndarray) -> np.ndarray:
        return rng.logistic(loc, scale, size)

    @staticmethod
    def _np_support(loc: np.ndarray, scale: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        b = np.broadcast_shapes(np.shape(loc), np.shape(scale))
        return np.full(b, -np.inf), np.full(b, np.inf)

    @staticmethod
    def _np_breakpoints(loc: np.ndarray, scale: np.ndarray) -> tuple[np.ndarray, ...]:
        return (np.asarray(loc),)

    @classmethod
    def _from_scipy_params(cls, shapes: dict[str, Any], loc: Any, scale: Any) -> tuple[Any, ...]:
        return (loc, scale)

    # ------------------------------------------------------------------ hooks
    torch_name = None
    expectation_routes = {"pow": "logistic_mgf", "exp": "logistic_mgf", "abs": "abs", "softplus": "logistic_softplus"}

    @staticmethod
    def _np_quantile(u: np.ndarray, loc: np.ndarray, scale: np.ndarray) -> np.ndarray:
        from scipy.special import logit

        return loc + scale * logit(u)

    @staticmethod
    def _np_mean_var(loc: np.ndarray, scale: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        return loc + 0.0 * scale, (np.pi * np.pi / 3.0) * scale * scale

    @staticmethod
    def _scipy_frozen(loc: np.ndarray, scale: np.ndarray) -> Any:
        import scipy.stats

        return scipy.stats.logistic(loc, scale)

    @staticmethod
    def _np_log_neg_logpdf(x: np.ndarray, loc: float, scale: float) -> np.ndarray:
        # -log p ~ |x - loc| / scale once that overflows
        return np.log(np.abs(x - loc)) - np.log(scale)

    @classmethod
    def sym_logpdf(cls, x: Any, loc: Any, scale: Any) -> Any:
        import sympy

        z = (x - loc) / scale
        return -z - 2 * sympy.log(1 + sympy.exp(-z)) - sympy.log(scale)

    @classmethod
    def sym_support(cls, loc: Any, scale: Any) -> Any:
        import sympy

        return sympy.Interval(-sympy.oo, sympy.oo)

    @classmethod
    def sym_representation(cls) -> Any:
        import sympy

        from ._representation import Representation

        return Representation(
            lambda y, m, s: [(-sympy.oo, sympy.oo, sympy.exp(-y) / (1 + sympy.exp(-y)) ** 2)],
            lambda y, m, s: m + s * y,
            lambda x, m, s: (x - m) / s,
            True,
            "X = loc + scale*Y, Y with density exp(-y)/(1 + exp(-y))**2",
            lambda m, s: (m, s),
        )
