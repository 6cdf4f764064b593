"""Gumbel (type I extreme value, maximum) distribution."""

from __future__ import annotations

from typing import Any

import numpy as np

from ._base import Family, Param, ParamValue
from ..constraints import positive, real


class Gumbel(Family):
    r"""Gumbel distribution for maxima, location :math:`\mu`, scale :math:`\beta`.

    scipy equivalent: ``scipy.stats.gumbel_r(loc=loc, scale=scale)``; torch:
    ``Gumbel(loc, scale)``; numpy: ``Generator.gumbel``.

    .. math::

        \log p(x) = -\log\beta - z - e^{-z}, \quad z = \frac{x - \mu}{\beta}

    Parameters
    ----------
    loc : array_like or sympy expression
        Location :math:`\mu` (the mode), any real number.
    scale : array_like or sympy expression
        Scale :math:`\beta > 0`.

    Notes
    -----
    This is the right-skewed (maximum) Gumbel; the mean is
    ``loc + euler_gamma * scale``. The mode ``loc`` is the breakpoint.

    Examples
    --------
    >>> from anadiv import Gumbel
    >>> float(Gumbel(0.0, 1.0).logpdf(0.0))
    -1.0
    """

    name = "gumbel"
    scipy_name = "gumbel_r"
    location = "loc"
    parameters = (
        Param("loc", real, (-3.0, 3.0), "location (mode)"),
        Param("scale", positive, (0.3, 3.0), "scale"),
    )

    def __init__(self, loc: ParamValue, scale: ParamValue, *, validate: bool = True) -> None:
        # explicit, so editors and type checkers see the parameters
        super().__init__(loc, scale, validate=validate)

    @staticmethod
    def _np_logpdf(x: np.ndarray, loc: np.ndarray, scale: np.ndarray) -> np.ndarray:
        z = (x - loc) / scale
        with np.errstate(over="ignore"):
            return -np.log(scale) - z - np.exp(-z)

    @staticmethod
    def _np_sample(rng: np.random.Generator, size: tuple[int, ...], loc: np.ndarray, scale: np.ndarray) -> np.ndarray:
        return rng.gumbel(loc, scale, size)

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
    torch_name = "Gumbel"
    expectation_routes = {"pow": "mgf", "exp": "mgf", "abs": "abs"}

    @staticmethod
    def _np_quantile(u: np.ndarray, loc: np.ndarray, scale: np.ndarray) -> np.ndarray:
        return loc - scale * np.log(-np.log(u))

    @staticmethod
    def _np_mean_var(loc: np.ndarray, scale: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        return loc + np.euler_gamma * scale, np.pi**2 / 6 * scale * scale

    @staticmethod
    def _scipy_frozen(loc: np.ndarray, scale: np.ndarray) -> Any:
        import scipy.stats

        return scipy.stats.gumbel_r(loc, scale)

    @staticmethod
    def _torch_params(loc: Any, scale: Any) -> dict[str, Any]:
        return {"loc": loc, "scale": scale}

    @staticmethod
    def _np_log_neg_logpdf(x: np.ndarray, loc: float, scale: float) -> np.ndarray:
        # -log p = log b + z + e^-z; far left (z << 0) it is e^-z (1 + (z + log b) e^z).
        # Far right (z >> 0, where z itself may overflow) it is z.
        z = (x - loc) / scale
        right = np.log(np.abs(x - loc)) - np.log(scale)
        return np.where(x > loc, right, -z + np.log1p((z + np.log(scale)) * np.exp(z)))

    @classmethod
    def sym_logpdf(cls, x: Any, loc: Any, scale: Any) -> Any:
        import sympy

        z = (x - loc) / scale
        return -sympy.log(scale) - z - sympy.exp(-z)

    @classmethod
    def sym_support(cls, loc: Any, scale: Any) -> Any:
        import sympy

        return sympy.Interval(-sympy.oo, sympy.oo)

    @classmethod
    def sym_representation(cls) -> Any:
        import sympy

        from ._representation import Representation, exp1_density

        return Representation(
            lambda y, m, s: [(0, sympy.oo, exp1_density(y))],
            lambda y, m, s: m - s * sympy.log(y),
            lambda x, m, s: sympy.exp(-(x - m) / s),
            False,
            "X = loc - scale*log(E), E ~ Exp(1)",
        )
