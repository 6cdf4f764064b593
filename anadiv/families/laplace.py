"""Laplace (double exponential) distribution."""

from __future__ import annotations

from typing import Any

import numpy as np

from ._base import Family, Param, ParamValue
from ..constraints import positive, real


class Laplace(Family):
    r"""Laplace distribution with location :math:`\mu` and scale :math:`b`.

    scipy equivalent: ``scipy.stats.laplace(loc=loc, scale=scale)``; torch:
    ``Laplace(loc, scale)``.

    .. math:: \log p(x) = -\log(2b) - \frac{|x-\mu|}{b}

    Parameters
    ----------
    loc : array_like or sympy expression
        Location :math:`\mu` (mean and median), any real number.
    scale : array_like or sympy expression
        Scale :math:`b > 0`; the variance is ``2 * scale**2``.

    Notes
    -----
    The density has a kink at ``loc``, reported as a breakpoint.

    Examples
    --------
    >>> from anadiv import Laplace
    >>> float(Laplace(0.0, 1.0).logpdf(1.0))  # doctest: +ELLIPSIS
    -1.693...
    """

    name = "laplace"
    scipy_name = "laplace"
    location = "loc"
    parameters = (
        Param("loc", real, (-3.0, 3.0), "location (mean and median)"),
        Param("scale", positive, (0.3, 3.0), "scale; the variance is 2 scale^2"),
    )

    def __init__(self, loc: ParamValue, scale: ParamValue, *, validate: bool = True) -> None:
        # explicit, so editors and type checkers see the parameters
        super().__init__(loc, scale, validate=validate)

    @staticmethod
    def _np_logpdf(x: np.ndarray, loc: np.ndarray, scale: np.ndarray) -> np.ndarray:
        return -np.log(2 * scale) - np.abs(x - loc) / scale

    @staticmethod
    def _np_sample(rng: np.random.Generator, size: tuple[int, ...], loc: np.ndarray, scale: np.ndarray) -> np.ndarray:
        return rng.laplace(loc, scale, size)

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
    torch_name = "Laplace"
    expectation_routes = {"pow": "mgf", "exp": "mgf", "abs": "abs"}

    @staticmethod
    def _np_quantile(u: np.ndarray, loc: np.ndarray, scale: np.ndarray) -> np.ndarray:
        t = u - 0.5
        return loc - scale * np.sign(t) * np.log1p(-2.0 * np.abs(t))

    @staticmethod
    def _np_mean_var(loc: np.ndarray, scale: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        return loc, 2 * scale * scale

    @staticmethod
    def _scipy_frozen(loc: np.ndarray, scale: np.ndarray) -> Any:
        import scipy.stats

        return scipy.stats.laplace(loc, scale)

    @staticmethod
    def _torch_params(loc: Any, scale: Any) -> dict[str, Any]:
        return {"loc": loc, "scale": scale}

    @staticmethod
    def _np_log_neg_logpdf(x: np.ndarray, loc: float, scale: float) -> np.ndarray:
        # -log p ~ |x - loc| / scale once that overflows
        return np.log(np.abs(x - loc)) - np.log(scale)

    @classmethod
    def sym_logpdf(cls, x: Any, loc: Any, scale: Any) -> Any:
        import sympy

        return -sympy.log(2 * scale) - sympy.Abs(x - loc) / scale

    @classmethod
    def sym_support(cls, loc: Any, scale: Any) -> Any:
        import sympy

        return sympy.Interval(-sympy.oo, sympy.oo)

    @classmethod
    def sym_representation(cls) -> Any:
        import sympy

        from ._representation import Representation

        return Representation(
            lambda y, m, b: [(-sympy.oo, 0, sympy.exp(y) / 2), (0, sympy.oo, sympy.exp(-y) / 2)],
            lambda y, m, b: m + b * y,
            lambda x, m, b: (x - m) / b,
            True,
            "X = loc + scale*Y, Y with density exp(-|y|)/2",
            lambda m, b: (m, b),
        )
