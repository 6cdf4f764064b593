"""Categorical distribution over the categories 0, ..., K - 1."""

from __future__ import annotations

from typing import Any

import numpy as np

from ._base import Family, Param, ParamValue
from ..constraints import simplex


class Categorical(Family):
    r"""Categorical distribution: :math:`P(X = k) = p_k`, :math:`k = 0, \dots, K - 1`.

    .. math:: \log p(k) = \log p_k

    Parameters
    ----------
    probs : array_like, shape (..., K), or sympy expression
        Probability of each category: entries >= 0 summing to 1 over the last
        axis, to a relative tolerance of ``sqrt(eps)`` (about 1.5e-8 in float64:
        :data:`anadiv.constraints.simplex`); a zero is allowed. The leading axes are the batch.

    Notes
    -----
    The event is one integer (``event_ndim = 0``); ``probs`` carries the
    categories on its last axis. torch's ``OneHotCategorical`` is the same law
    with the event written as a one-hot vector: its divergences are these.

    An exponential family (overcomplete): :math:`\eta_k = \log p_k`,
    :math:`T_k(x) = [x = k]`, :math:`A(\eta) = \log\sum_k e^{\eta_k}`, :math:`h = 1`.
    The engine's Bregman route (:mod:`anadiv.symbolic.bregman`) gives
    :math:`\mathrm{KL}(P \| Q) = \sum_k p_k \log(p_k/q_k)` (``0 log 0 = 0``;
    ``inf`` where :math:`q_k = 0 < p_k`), printed as the sum of the nonnegative
    terms :math:`p_k \log(p_k/q_k) - p_k + q_k` (no cancellation for nearly
    equal vectors, as :func:`anadiv.discrete.kl`).

    Examples
    --------
    >>> import numpy as np
    >>> from anadiv import Categorical, kl
    >>> p = Categorical(np.array([0.2, 0.3, 0.5]))
    >>> float(p.logpdf(2))  # doctest: +ELLIPSIS
    -0.6931...
    >>> float(kl(p, Categorical(np.array([0.5, 0.25, 0.25]))))  # doctest: +ELLIPSIS
    0.2180...
    """

    name = "categorical"
    scipy_name = None  # scipy.stats has no categorical distribution
    event_ndim = 0
    parameters = (Param("probs", simplex, (0.1, 1.0), "probability of each category, shape (..., K)",
              reparametrizations=(("logits", "torch's log-odds: pass probs=scipy.special.softmax(logits, axis=-1)"),)),)

    def __init__(self, probs: ParamValue, *, validate: bool = True) -> None:
        # explicit, so editors and type checkers see the parameters
        super().__init__(probs, validate=validate)
    measure = "counting"
    exponential_family = True
    #: doctest literals of the generated functions (P's, then Q's)
    codegen_examples = (["[0.2, 0.3, 0.5]"], ["[0.5, 0.25, 0.25]"])

    def _check_joint(self, params: dict[str, np.ndarray]) -> None:
        p = params["probs"]
        if p.ndim < 1 or p.shape[-1] < 1:
            raise ValueError(f"probs: needs shape (..., K) with K >= 1, got {p.shape}")

    @classmethod
    def _convert_symbolic(cls, param: Param, value: Any) -> Any:
        # the event is a scalar, the parameter a vector (a sympy Matrix)
        from ..numeric.validation import as_sympy

        return as_sympy(value, param.name)

    @property
    def batch_shape(self) -> tuple[int, ...]:
        return () if self.symbolic else np.shape(self.probs)[:-1]

    @staticmethod
    def _np_logpdf(x: np.ndarray, probs: np.ndarray) -> np.ndarray:
        dtype = np.result_type(probs, np.float32)
        p = np.asarray(probs, dtype=dtype)
        x = np.asarray(x, dtype=float)
        k = p.shape[-1]
        inside = (x >= 0) & (x <= k - 1) & (x == np.floor(x))
        idx = np.where(inside, x, 0).astype(np.intp)
        shape = np.broadcast_shapes(idx.shape, p.shape[:-1])
        picked = np.take_along_axis(np.broadcast_to(p, shape + (k,)), np.broadcast_to(idx, shape)[..., None], axis=-1)[..., 0]
        with np.errstate(divide="ignore"):
            return np.where(inside, np.log(picked), -np.inf)

    @staticmethod
    def _np_sample(rng: np.random.Generator, size: tuple[int, ...], probs: np.ndarray) -> np.ndarray:
        p = np.asarray(probs, dtype=float)
        shape = tuple(size) + p.shape[:-1]
        cdf = np.cumsum(p, axis=-1)
        u = rng.random(shape) * cdf[..., -1]
        # the first category whose cumulative probability exceeds u (a zero-probability category never does)
        k = np.sum(np.broadcast_to(cdf, shape + p.shape[-1:]) <= u[..., None], axis=-1)
        return np.minimum(k, p.shape[-1] - 1).astype(float)

    @staticmethod
    def _np_support(probs: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        p = np.asarray(probs)
        return np.zeros(p.shape[:-1]), np.full(p.shape[:-1], p.shape[-1] - 1.0)

    # ------------------------------------------------------------------ hooks
    torch_name = "Categorical"
    _np_quantile = None
    _scipy_frozen = None  # scipy.stats has none

    @staticmethod
    def _np_mean_var(probs: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        p = np.asarray(probs, dtype=float)
        k = np.arange(p.shape[-1], dtype=float)
        mean = np.sum(p * k, axis=-1)
        return mean, np.sum(p * k * k, axis=-1) - mean * mean

    @staticmethod
    def _torch_params(probs: Any) -> dict[str, Any]:
        return {"probs": probs}

    @classmethod
    def random_params(cls, rng: np.random.Generator, dim: int = 3) -> tuple[np.ndarray]:
        """A random probability vector over ``dim`` categories."""
        return (simplex.draw(rng, shape=(dim,)),)

    # -------------------------------------------------------------- symbolic
    @classmethod
    def symbols(cls, suffix: str = "") -> tuple[Any, ...]:
        """The probability vector as a nonnegative ``IndexedBase`` over ``K`` categories."""
        import sympy

        name = f"probs_{suffix}" if suffix else "probs"
        return (sympy.IndexedBase(name, nonnegative=True),)

    @classmethod
    def sym_logpdf(cls, x: Any, probs: Any) -> Any:
        """``log p_x``: the entry of an explicit vector (``Matrix``), or ``log probs[x]`` of an ``IndexedBase``."""
        import sympy

        if isinstance(probs, sympy.MatrixBase):
            entries = list(probs)
            return sympy.Piecewise(*[(sympy.log(p), sympy.Eq(x, k)) for k, p in enumerate(entries)],
                                   (-sympy.oo, True))
        return sympy.log(probs[x])

    @classmethod
    def sym_support(cls, probs: Any) -> Any:
        """The integers ``0 .. K - 1``."""
        import sympy

        k = len(list(probs)) if isinstance(probs, sympy.MatrixBase) else sympy.Symbol("K", integer=True, positive=True)
        return sympy.Range(0, k)

    # exponential family, per category: eta_k = log p_k, T_k(x) = [x = k], h = 1
    @classmethod
    def sym_natural_params(cls, probs: Any) -> tuple[Any, ...]:
        import sympy

        return (sympy.log(probs),)

    @classmethod
    def sym_sufficient_statistics(cls, x: Any) -> tuple[Any, ...]:
        """The indicator of category ``k`` (``x`` is the pair ``(value, k)``)."""
        import sympy

        value, k = x
        return (sympy.KroneckerDelta(value, k),)

    @classmethod
    def sym_log_normalizer(cls, eta: Any) -> Any:
        import sympy

        i = sympy.Symbol("i", integer=True, nonnegative=True)
        k = sympy.Symbol("K", integer=True, positive=True)
        return sympy.log(sympy.Sum(sympy.exp(eta[i]), (i, 0, k - 1)))

    @classmethod
    def sym_log_base_measure(cls, x: Any) -> Any:
        import sympy

        return sympy.Integer(0)
