"""Multinomial distribution: counts of n independent draws over K categories."""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from ._base import UNSET, Family, Param, ParamValue
from ..constraints import integer_interval, simplex


class Multinomial(Family):
    r"""Multinomial distribution of the counts :math:`x_1, \dots, x_K` of ``total_count`` categorical draws.

    .. math::

        \log p(x) = \log n! - \sum_{k} \log x_k! + \sum_k x_k \log p_k,
        \qquad x_k \in \{0, 1, \dots\},\ \sum_k x_k = n

    Parameters
    ----------
    total_count : array_like or sympy expression
        The number of draws ``n``, an integer >= 1.
    probs : array_like, shape (..., K), or sympy expression
        Probability of each category: entries >= 0 summing to 1 over the last
        axis (to a relative tolerance of ``sqrt(eps)``, :data:`anadiv.constraints.simplex`).

    Notes
    -----
    For a fixed ``n``, an exponential family: :math:`\eta_k = \log p_k`,
    :math:`T(x) = x`, :math:`A(\eta) = n\log\sum_k e^{\eta_k}`,
    :math:`\log h(x) = \log n! - \sum_k \log x_k!`. The Bregman route
    (:mod:`anadiv.symbolic.bregman`) gives

    .. math:: \mathrm{KL}(P \| Q) = n \sum_k p_k \log\frac{p_k}{q_k} \quad (n_P = n_Q = n),

    and ``inf`` where :math:`n_P \ne n_Q`: the counts sum to :math:`n_P` under P
    and to :math:`n_Q` under Q, so the supports are disjoint (``total_count`` is
    a singular parameter). The entropy and the cross-entropy contain
    :math:`E_P[\log x_k!]`, which has no closed form: they are not derived
    (use :func:`anadiv.entropy_estimate`).

    Examples
    --------
    >>> import numpy as np
    >>> from anadiv import Multinomial, kl
    >>> p = Multinomial(4, np.array([0.2, 0.3, 0.5]))
    >>> float(p.logpdf(np.array([1.0, 1.0, 2.0])))  # doctest: +ELLIPSIS
    -1.7147...
    >>> float(kl(p, Multinomial(4, np.array([0.5, 0.25, 0.25]))))  # doctest: +ELLIPSIS
    0.8720...
    >>> float(kl(p, Multinomial(5, np.array([0.5, 0.25, 0.25]))))
    inf
    """

    name = "multinomial"
    scipy_name = None  # scipy.stats.multinomial is unbatched in n: see the tests for the comparison
    event_ndim = 1
    parameters = (
        # n >= 1: at n = 0 both laws are the point mass at the zero vector (nothing to compare)
        Param("total_count", integer_interval(1, math.inf), (1.0, 10.0), "number of draws n >= 1", aliases=("n",)),
        Param("probs", simplex, (0.1, 1.0), "probability of each category, shape (..., K)", aliases=("p",),
              reparametrizations=(("logits", "torch's log-odds: pass probs=scipy.special.softmax(logits, axis=-1)"),)),
    )

    def __init__(
        self, total_count: ParamValue = UNSET, probs: ParamValue = UNSET, *,
        n: ParamValue = UNSET, p: ParamValue = UNSET, validate: bool = True,
    ) -> None:
        # explicit, so editors and type checkers see the parameters; the aliases are torch's and scipy's names
        super().__init__(total_count, probs, n=n, p=p, validate=validate)
    measure = "counting"
    exponential_family = True
    #: one exponential family per number of draws; different numbers give disjoint supports
    singular_parameters = ("total_count",)
    #: doctest literals of the generated functions (P's, then Q's)
    codegen_examples = (["4", "[0.2, 0.3, 0.5]"], ["4", "[0.5, 0.25, 0.25]"])

    def _check_joint(self, params: dict[str, np.ndarray]) -> None:
        p = params["probs"]
        if p.ndim < 1 or p.shape[-1] < 1:
            raise ValueError(f"probs: needs shape (..., K) with K >= 1, got {p.shape}")
        try:
            np.broadcast_shapes(np.shape(params["total_count"]), p.shape[:-1])
        except ValueError:
            raise ValueError(f"total_count, probs: shapes {np.shape(params['total_count'])} and {p.shape} "
                             "(batch shape and K) do not broadcast in Multinomial") from None

    @property
    def batch_shape(self) -> tuple[int, ...]:
        if self.symbolic:
            return ()
        return np.broadcast_shapes(np.shape(self.total_count), np.shape(self.probs)[:-1])

    @staticmethod
    def _np_logpdf(x: np.ndarray, total_count: np.ndarray, probs: np.ndarray) -> np.ndarray:
        from scipy.special import gammaln, xlogy

        dtype = np.result_type(probs, np.float32)
        x = np.asarray(x, dtype=float)
        n = np.asarray(total_count, dtype=float)
        inside = np.all((x >= 0) & (x == np.floor(x)), axis=-1) & (np.sum(x, axis=-1) == n)
        with np.errstate(invalid="ignore"):
            out = gammaln(n + 1) - np.sum(gammaln(x + 1), axis=-1) + np.sum(xlogy(x, probs), axis=-1)
        return np.where(inside, out, -np.inf).astype(dtype)

    @staticmethod
    def _np_sample(rng: np.random.Generator, size: tuple[int, ...], total_count: np.ndarray,
                   probs: np.ndarray) -> np.ndarray:
        p = np.asarray(probs, dtype=float)
        batch = np.broadcast_shapes(np.shape(total_count), p.shape[:-1])
        n = np.broadcast_to(np.asarray(total_count, dtype=np.int64), tuple(size) + batch)
        pv = np.broadcast_to(p / np.sum(p, axis=-1, keepdims=True), tuple(size) + batch + p.shape[-1:])
        return rng.multinomial(n, pv).astype(float)

    @staticmethod
    def _np_support(total_count: np.ndarray, probs: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        shape = np.broadcast_shapes(np.shape(total_count) + (1,), np.shape(probs))
        return np.zeros(shape), np.broadcast_to(np.asarray(total_count, dtype=float)[..., None], shape).copy()

    # ------------------------------------------------------------------ hooks
    torch_name = "Multinomial"
    _np_quantile = None
    _scipy_frozen = None

    @staticmethod
    def _np_mean_var(total_count: np.ndarray, probs: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        p = np.asarray(probs, dtype=float)
        n = np.asarray(total_count, dtype=float)[..., None, None]
        return n[..., 0] * p, n * (p[..., :, None] * np.eye(p.shape[-1]) - p[..., :, None] * p[..., None, :])

    @staticmethod
    def _from_torch(obj: Any) -> tuple[Any, ...]:
        # torch's one number of draws for the whole batch (an int): the reverse of _torch_params
        return (obj.total_count, obj.probs)

    @staticmethod
    def _torch_params(total_count: Any, probs: Any) -> dict[str, Any]:
        counts = np.unique(np.asarray(total_count))
        if counts.size != 1:
            raise ValueError("total_count: torch's Multinomial takes one number of draws for the whole batch")
        return {"total_count": int(counts[0]), "probs": probs}

    @classmethod
    def random_params(cls, rng: np.random.Generator, dim: int = 3) -> tuple[Any, np.ndarray]:
        """A random number of draws and probability vector over ``dim`` categories."""
        return float(cls.parameters[0].draw(rng)), simplex.draw(rng, shape=(dim,))

    # -------------------------------------------------------------- symbolic
    @classmethod
    def symbols(cls, suffix: str = "") -> tuple[Any, ...]:
        """``total_count`` a positive integer symbol, ``probs`` a nonnegative ``IndexedBase`` over ``K``."""
        import sympy

        tail = f"_{suffix}" if suffix else ""
        return (sympy.Symbol(f"total_count{tail}", integer=True, positive=True),
                sympy.IndexedBase(f"probs{tail}", nonnegative=True))

    @classmethod
    def _convert_symbolic(cls, param: Param, value: Any) -> Any:
        from ..numeric.validation import as_sympy

        return as_sympy(value, param.name)

    @classmethod
    def sym_logpdf(cls, x: Any, total_count: Any, probs: Any) -> Any:
        """``log n! - sum log x_k! + sum x_k log p_k`` over ``K`` coordinates (``x`` indexed like ``probs``)."""
        import sympy

        i = sympy.Symbol("i", integer=True, nonnegative=True)
        k = sympy.Symbol("K", integer=True, positive=True)
        return (sympy.loggamma(total_count + 1) - sympy.Sum(sympy.loggamma(x[i] + 1), (i, 0, k - 1))
                + sympy.Sum(x[i] * sympy.log(probs[i]), (i, 0, k - 1)))

    @classmethod
    def sym_support(cls, total_count: Any, probs: Any) -> Any:
        """Each count lies in ``0 .. n`` (and the counts sum to ``n``)."""
        import sympy

        return sympy.Range(0, total_count + 1)

    # exponential family for a fixed n, per category: eta_k = log p_k, T_k(x) = x_k
    @classmethod
    def sym_natural_params(cls, total_count: Any, probs: Any) -> tuple[Any, ...]:
        import sympy

        return (sympy.log(probs),)

    @classmethod
    def sym_sufficient_statistics(cls, x: Any) -> tuple[Any, ...]:
        return (x,)

    @classmethod
    def sym_log_normalizer(cls, eta: Any, total_count: Any) -> Any:
        import sympy

        i = sympy.Symbol("i", integer=True, nonnegative=True)
        k = sympy.Symbol("K", integer=True, positive=True)
        return total_count * sympy.log(sympy.Sum(sympy.exp(eta[i]), (i, 0, k - 1)))

    @classmethod
    def sym_log_base_measure(cls, x: Any) -> Any:
        import sympy

        i = sympy.Symbol("i", integer=True, nonnegative=True)
        k = sympy.Symbol("K", integer=True, positive=True)
        n = sympy.Sum(x[i], (i, 0, k - 1))
        return sympy.loggamma(n + 1) - sympy.Sum(sympy.loggamma(x[i] + 1), (i, 0, k - 1))
