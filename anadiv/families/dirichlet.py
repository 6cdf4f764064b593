"""Dirichlet distribution on the probability simplex."""

from __future__ import annotations

from typing import Any

import numpy as np

from ._base import UNSET, Family, Param, ParamValue
from ..constraints import independent, positive


def _log_beta(a: np.ndarray) -> np.ndarray:
    from scipy.special import gammaln

    return np.sum(gammaln(a), axis=-1) - gammaln(np.sum(a, axis=-1))


class Dirichlet(Family):
    r"""Dirichlet distribution with concentrations :math:`a_1, \dots, a_K` (:math:`K \ge 2`).

    .. math::

        \log p(x) = \sum_{i=1}^{K} (a_i - 1)\log x_i - \log B(a), \qquad
        \log B(a) = \sum_i \log\Gamma(a_i) - \log\Gamma(a_0),\ a_0 = \sum_i a_i,

    on the simplex :math:`x_i > 0,\ \sum_i x_i = 1` (density with respect to the
    Lebesgue measure of the first :math:`K - 1` coordinates, as scipy and torch).

    Parameters
    ----------
    concentration : array_like, shape (..., K), or sympy expression
        Concentrations, > 0; the last axis is the event axis, the leading axes the batch.

    Notes
    -----
    An exponential family: :math:`\eta_i = a_i - 1`, :math:`T_i(x) = \log x_i`,
    :math:`A(\eta) = \sum_i \log\Gamma(\eta_i + 1) - \log\Gamma(\sum_i (\eta_i + 1))`,
    :math:`h = 1`; the engine derives its divergences from these
    (:mod:`anadiv.symbolic.bregman`):

    .. math::

        \mathrm{KL}(P \| Q) = \log\Gamma(a_0) - \sum_i \log\Gamma(a_i) - \log\Gamma(b_0)
            + \sum_i \log\Gamma(b_i) + \sum_i (a_i - b_i)(\psi(a_i) - \psi(a_0)),

    printed as :math:`\sum_i B(a_i, b_i) - B(a_0, b_0)` with the Bregman divergence
    :math:`B` of :math:`\log\Gamma` (``lgamma_bregman``), so nearly equal ``a`` and
    ``b`` do not lose digits to the difference of the log-gammas. Where ``b`` is
    nearly proportional to ``a`` the two nonnegative parts still cancel by about
    :math:`a_0/(K-1)`: the relative error is at most :math:`64\,a_0\,\epsilon`
    there (docs/accuracy.md, "Documented bounds").

    Examples
    --------
    >>> import numpy as np
    >>> from anadiv import Dirichlet, kl
    >>> p = Dirichlet(np.array([1.0, 2.0, 3.0]))
    >>> float(p.logpdf(np.array([0.2, 0.3, 0.5])))  # doctest: +ELLIPSIS
    1.5040...
    >>> float(kl(p, Dirichlet(np.array([2.0, 2.0, 2.0]))))  # doctest: +ELLIPSIS
    0.8068...
    """

    name = "dirichlet"
    scipy_name = None  # scipy.stats.dirichlet takes one unbatched vector: see _scipy_frozen
    event_ndim = 1
    parameters = (
        Param("concentration", independent(positive), (0.3, 5.0), "concentration of each category, shape (..., K)",
              aliases=("alpha",)),
    )

    def __init__(self, concentration: ParamValue = UNSET, *, alpha: ParamValue = UNSET, validate: bool = True) -> None:
        # explicit, so editors and type checkers see the parameters; the aliases are torch's and scipy's names
        super().__init__(concentration, alpha=alpha, validate=validate)
    measure = "lebesgue"
    exponential_family = True
    #: doctest literals of the generated functions (P's, then Q's)
    codegen_examples = (["[1.0, 2.0, 3.0]"], ["[2.0, 2.0, 2.0]"])

    def _check_joint(self, params: dict[str, np.ndarray]) -> None:
        a = params["concentration"]
        if a.ndim < 1 or a.shape[-1] < 2:
            raise ValueError(f"concentration: needs shape (..., K) with K >= 2, got {a.shape}")

    @property
    def batch_shape(self) -> tuple[int, ...]:
        return () if self.symbolic else np.shape(self.concentration)[:-1]

    @staticmethod
    def _np_logpdf(x: np.ndarray, concentration: np.ndarray) -> np.ndarray:
        from scipy.special import xlogy

        dtype = np.result_type(x, concentration, np.float32)
        x = np.asarray(x, dtype=dtype)
        # on the simplex to the rounding of a float32 point's sum (sqrt of float32's eps, 3.5e-4),
        # so that a point rounded to float32 and back stays on it
        tol = np.sqrt(np.finfo(np.float32).eps)
        inside = np.all(x >= 0, axis=-1) & (np.abs(np.sum(x, axis=-1) - 1.0) <= tol)
        out = np.sum(xlogy(concentration - 1.0, x), axis=-1) - _log_beta(concentration)
        return np.where(inside, out, -np.inf).astype(dtype)

    @staticmethod
    def _np_sample(rng: np.random.Generator, size: tuple[int, ...], concentration: np.ndarray) -> np.ndarray:
        a = np.asarray(concentration, dtype=float)
        g = rng.standard_gamma(np.broadcast_to(a, tuple(size) + a.shape))
        return g / np.sum(g, axis=-1, keepdims=True)

    @staticmethod
    def _np_support(concentration: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        shape = np.shape(concentration)
        return np.zeros(shape), np.ones(shape)

    # ------------------------------------------------------------------ hooks
    torch_name = "Dirichlet"
    _np_quantile = None  # no inverse cdf of a vector
    # scipy.stats.dirichlet takes one unbatched vector and its logpdf wants the event on the first axis
    _scipy_frozen = None

    @staticmethod
    def _np_mean_var(concentration: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        a = np.asarray(concentration, dtype=float)
        a0 = np.sum(a, axis=-1, keepdims=True)
        mean = a / a0
        cov = (mean[..., :, None] * np.eye(a.shape[-1]) - mean[..., :, None] * mean[..., None, :]) / (a0[..., None] + 1)
        return mean, cov

    @staticmethod
    def _torch_params(concentration: Any) -> dict[str, Any]:
        return {"concentration": concentration}

    @classmethod
    def random_params(cls, rng: np.random.Generator, dim: int = 3) -> tuple[np.ndarray]:
        """A random concentration vector of length ``dim`` from the typical range."""
        return (np.array([cls.parameters[0].draw(rng) for _ in range(dim)]),)

    # -------------------------------------------------------------- symbolic
    @classmethod
    def symbols(cls, suffix: str = "") -> tuple[Any, ...]:
        """The concentration vector as a positive ``IndexedBase`` over ``K`` coordinates."""
        import sympy

        name = f"concentration_{suffix}" if suffix else "concentration"
        return (sympy.IndexedBase(name, positive=True),)

    @classmethod
    def sym_logpdf(cls, x: Any, concentration: Any) -> Any:
        """``sum (a_i - 1) log x_i - log B(a)``; on explicit vectors (``Matrix``) or ``IndexedBase`` over ``K``."""
        import sympy

        if isinstance(concentration, sympy.MatrixBase):
            a = list(concentration)
            return (sympy.Add(*[(ai - 1) * sympy.log(x[i]) for i, ai in enumerate(a)])
                    - sympy.Add(*[sympy.loggamma(ai) for ai in a]) + sympy.loggamma(sympy.Add(*a)))
        i = sympy.Symbol("i", integer=True, nonnegative=True)
        k = sympy.Symbol("K", integer=True, positive=True)
        body = sympy.Sum((concentration[i] - 1) * sympy.log(x[i]), (i, 0, k - 1))
        return body - (sympy.Sum(sympy.loggamma(concentration[i]), (i, 0, k - 1))
                       - sympy.loggamma(sympy.Sum(concentration[i], (i, 0, k - 1))))

    @classmethod
    def sym_support(cls, concentration: Any) -> Any:
        """Each coordinate lies in [0, 1] (and the coordinates sum to one)."""
        import sympy

        return sympy.Interval(0, 1)

    # exponential family, per coordinate: eta_i = a_i - 1, T_i(x) = log x_i, h = 1
    @classmethod
    def sym_natural_params(cls, concentration: Any) -> tuple[Any, ...]:
        return (concentration - 1,)

    @classmethod
    def sym_sufficient_statistics(cls, x: Any) -> tuple[Any, ...]:
        import sympy

        return (sympy.log(x),)

    @classmethod
    def sym_log_normalizer(cls, eta: Any) -> Any:
        import sympy

        i = sympy.Symbol("i", integer=True, nonnegative=True)
        k = sympy.Symbol("K", integer=True, positive=True)
        return (sympy.Sum(sympy.loggamma(eta[i] + 1), (i, 0, k - 1))
                - sympy.loggamma(sympy.Sum(eta[i] + 1, (i, 0, k - 1))))

    @classmethod
    def sym_log_base_measure(cls, x: Any) -> Any:
        import sympy

        return sympy.Integer(0)
