"""Continuous uniform distribution on an interval."""

from __future__ import annotations

from typing import Any

import numpy as np

from ._base import UNSET, Family, Param, ParamValue
from ..constraints import real
from ..numeric.validation import all_true


class Uniform(Family):
    r"""Uniform distribution on :math:`[a, b]` with ``low = a < high = b``.

    scipy equivalent: ``scipy.stats.uniform(loc=low, scale=high - low)``;
    torch: ``Uniform(low, high)``.

    .. math:: \log p(x) = -\log(b - a), \quad a \le x \le b

    Parameters
    ----------
    low : array_like or sympy expression
        Lower end :math:`a`, any real number.
    high : array_like or sympy expression
        Upper end :math:`b`, must satisfy ``low < high``.

    Notes
    -----
    The density jumps at both ends, which are the support ends, so there are
    no interior breakpoints.

    Examples
    --------
    >>> from anadiv import Uniform
    >>> float(Uniform(0.0, 4.0).logpdf(1.0))  # doctest: +ELLIPSIS
    -1.386...
    """

    name = "uniform"
    scipy_name = "uniform"
    shifted = ("low", "high")
    parameters = (
        Param("low", real, (-3.0, 0.0), "lower end of the interval", aliases=("a",)),
        Param("high", real, (0.5, 3.0), "upper end of the interval (> low)", aliases=("b",)),
    )

    def __init__(
        self, low: ParamValue = UNSET, high: ParamValue = UNSET, *,
        a: ParamValue = UNSET, b: ParamValue = UNSET, validate: bool = True,
    ) -> None:
        # explicit, so editors and type checkers see the parameters; the aliases are torch's and scipy's names
        super().__init__(low, high, a=a, b=b, validate=validate)

    def _check_joint(self, params: dict[str, np.ndarray]) -> None:
        low, high = params["low"], params["high"]
        if not all_true(low < high):  # numpy, torch or JAX: on the values' device
            raise ValueError("low, high: need low < high for every element")

    def _check_joint_symbolic(self, params: dict[str, Any]) -> None:
        # Refused only when sympy can tell; an undecided sign is left to the engine.
        if (params["high"] - params["low"]).is_positive is False:
            raise ValueError(f"low, high: need low < high, got low={params['low']}, high={params['high']}")

    @staticmethod
    def _np_logpdf(x: np.ndarray, low: np.ndarray, high: np.ndarray) -> np.ndarray:
        inside = (x >= low) & (x <= high)
        return np.where(inside, -np.log(high - low), -np.inf)

    @staticmethod
    def _np_sample(rng: np.random.Generator, size: tuple[int, ...], low: np.ndarray, high: np.ndarray) -> np.ndarray:
        return low + (high - low) * rng.random(size)

    @staticmethod
    def _np_support(low: np.ndarray, high: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        b = np.broadcast_shapes(np.shape(low), np.shape(high))
        return np.broadcast_to(low, b).astype(float), np.broadcast_to(high, b).astype(float)

    @classmethod
    def _from_scipy_params(cls, shapes: dict[str, Any], loc: Any, scale: Any) -> tuple[Any, ...]:
        return (loc, np.asarray(loc, dtype=float) + scale)

    # ------------------------------------------------------------------ hooks
    torch_name = "Uniform"
    expectation_routes = {
        "pow": "direct_interval",
        "logpow": "direct_interval",
        "exp": "direct_interval",
        # cos(x - m) (a VonMises Q): the integral (sin(high - m) - sin(low - m)) / (high - low)
        "cos": "direct",
        "logquad": "direct_interval",
        "abs": "abs",
        "log1m": "uniform_reflect",
    }

    @staticmethod
    def _np_quantile(u: np.ndarray, low: np.ndarray, high: np.ndarray) -> np.ndarray:
        return low + (high - low) * u

    @staticmethod
    def _np_mean_var(low: np.ndarray, high: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        return (low + high) / 2, (high - low) ** 2 / 12

    @staticmethod
    def _scipy_frozen(low: np.ndarray, high: np.ndarray) -> Any:
        import scipy.stats

        return scipy.stats.uniform(low, high - low)

    @staticmethod
    def _torch_params(low: Any, high: Any) -> dict[str, Any]:
        return {"low": low, "high": high}

    @classmethod
    def sym_logpdf(cls, x: Any, low: Any, high: Any) -> Any:
        import sympy

        return -sympy.log(high - low)

    @classmethod
    def sym_support(cls, low: Any, high: Any) -> Any:
        import sympy

        return sympy.Interval(low, high)

    @classmethod
    def sym_representation(cls) -> Any:
        from ._representation import Representation

        return Representation(
            lambda y, lo, hi: [(lo, hi, 1 / (hi - lo))],
            lambda y, lo, hi: y,
            lambda x, lo, hi: x,
            True,
            "X with density 1/(high - low) on [low, high]",
        )
