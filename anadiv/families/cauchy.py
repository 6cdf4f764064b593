"""Cauchy (Lorentz) distribution."""

from __future__ import annotations

from typing import Any

import numpy as np

from ._base import Family, Param, ParamValue
from ..constraints import positive, real

_LOG_PI = float(np.log(np.pi))


class Cauchy(Family):
    r"""Cauchy distribution with location :math:`x_0` and scale :math:`\gamma`.

    scipy equivalent: ``scipy.stats.cauchy(loc=loc, scale=scale)``; torch:
    ``Cauchy(loc, scale)``.

    .. math:: \log p(x) = \log\gamma - \log\pi - \log\left((x-x_0)^2 + \gamma^2\right)

    Parameters
    ----------
    loc : array_like or sympy expression
        Location :math:`x_0` (median and mode), any real number.
    scale : array_like or sympy expression
        Scale :math:`\gamma > 0` (half-width at half-maximum).

    Notes
    -----
    The mean and variance do not exist; ``loc`` is reported as a breakpoint.

    Examples
    --------
    >>> from anadiv import Cauchy
    >>> float(Cauchy(0.0, 1.0).logpdf(0.0))  # doctest: +ELLIPSIS
    -1.144...
    """

    name = "cauchy"
    scipy_name = "cauchy"
    location = "loc"
    parameters = (
        Param("loc", real, (-3.0, 3.0), "location (median and mode)"),
        Param("scale", positive, (0.3, 3.0), "scale (half width at half maximum)"),
    )

    def __init__(self, loc: ParamValue, scale: ParamValue, *, validate: bool = True) -> None:
        # explicit, so editors and type checkers see the parameters
        super().__init__(loc, scale, validate=validate)

    @staticmethod
    def _np_logpdf(x: np.ndarray, loc: np.ndarray, scale: np.ndarray) -> np.ndarray:
        z = (x - loc) / scale
        return -np.log(scale) - _LOG_PI - np.log1p(z * z)

    @staticmethod
    def _np_sample(rng: np.random.Generator, size: tuple[int, ...], loc: np.ndarray, scale: np.ndarray) -> np.ndarray:
        return loc + scale * rng.standard_cauchy(size)

    @staticmethod
    def _np_support(loc: np.ndarray, scale: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        s = np.broadcast_shapes(np.shape(loc), np.shape(scale))
        return np.full(s, -np.inf), np.full(s, np.inf)

    @staticmethod
    def _np_breakpoints(loc: np.ndarray, scale: np.ndarray) -> tuple[np.ndarray, ...]:
        return (np.asarray(loc),)

    @classmethod
    def _from_scipy_params(cls, shapes: dict[str, Any], loc: Any, scale: Any) -> tuple[Any, ...]:
        return (loc, scale)

    # ------------------------------------------------------------------ hooks
    torch_name = "Cauchy"
    expectation_routes = {"pow": "tail", "exp": "tail", "abs": "tail", "logquad": "poisson"}
    # The mean does not exist: control variates cannot centre on it.
    _np_mean_var = None

    @staticmethod
    def _np_quantile(u: np.ndarray, loc: np.ndarray, scale: np.ndarray) -> np.ndarray:
        return loc + scale * np.tan(np.pi * (u - 0.5))

    @staticmethod
    def _scipy_frozen(loc: np.ndarray, scale: np.ndarray) -> Any:
        import scipy.stats

        return scipy.stats.cauchy(loc, scale)

    @staticmethod
    def _torch_params(loc: Any, scale: Any) -> dict[str, Any]:
        return {"loc": loc, "scale": scale}

    @staticmethod
    def _np_log_neg_logpdf(x: np.ndarray, loc: float, scale: float) -> np.ndarray:
        # -log p = log(pi s) + log(1 + z^2) ~ log(pi s) + 2 log|z| once z^2 overflows
        return np.log(np.log(np.pi * scale) + 2.0 * (np.log(np.abs(x - loc)) - np.log(scale)))

    @classmethod
    def sym_logpdf(cls, x: Any, loc: Any, scale: Any) -> Any:
        import sympy

        return sympy.log(scale) - sympy.log(sympy.pi) - sympy.log((x - loc) ** 2 + scale**2)

    @classmethod
    def sym_support(cls, loc: Any, scale: Any) -> Any:
        import sympy

        return sympy.Interval(-sympy.oo, sympy.oo)

    @classmethod
    def sym_representation(cls) -> Any:
        import sympy

        from ._representation import Representation

        return Representation(
            lambda y, m, s: [(-sympy.oo, sympy.oo, 1 / (sympy.pi * (1 + y**2)))],
            lambda y, m, s: m + s * y,
            lambda x, m, s: (x - m) / s,
            True,
            "X = loc + scale*Y, Y standard Cauchy",
            lambda m, s: (m, s),
        )
