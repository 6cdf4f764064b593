r"""One-dimensional estimators from samples: spacing entropy and empirical Wasserstein distances.

* :func:`entropy_spacing`: the differential entropy of a sample on the line
  from its m-spacings (Vasicek and its refinements, through
  :func:`scipy.stats.differential_entropy`), with a standard error and a
  deterministic rule for tied (rounded) data. A cross-check of the
  k-nearest-neighbour entropy in one dimension.
* :func:`wasserstein_samples`: the Wasserstein-p distance between the two
  empirical distributions, exactly (p = 1 through
  :func:`scipy.stats.wasserstein_distance`, any p >= 1 through the quantile
  functions), with a jackknife standard error for the distance between the
  populations.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from ..numeric.validation import check_count, check_tol
from .result import Estimate
from .samples import as_samples

__all__ = ["SPACING_METHODS", "entropy_spacing", "wasserstein_samples"]

#: The spacing estimators of :func:`scipy.stats.differential_entropy` ("auto": van Es up to
#: 10 points, Ebrahimi up to 1000, Vasicek beyond, as scipy chooses).
SPACING_METHODS: tuple[str, ...] = ("vasicek", "van es", "ebrahimi", "correa", "auto")
# Groups of the delete-a-group jackknife of the Wasserstein distances (Student-t with G - 1 df).
_JACKKNIFE_GROUPS = 20


def _one_dimensional(x: Any, name: str, minimum: int) -> np.ndarray:
    arr = as_samples(x, name, minimum=minimum)
    if arr.shape[1] != 1:
        raise ValueError(
            f"{name}: these estimators work on the line; got {arr.shape[1]}-dimensional samples "
            "(use the k-nearest-neighbour estimators, or POT's ot.emd2 for Wasserstein distances in d > 1)"
        )
    return arr[:, 0]


def _auto_method(n: int) -> str:
    return "van es" if n <= 10 else "ebrahimi" if n <= 1000 else "vasicek"


def entropy_spacing(x: Any, *, method: str = "auto", window: int | None = None) -> Estimate:
    r"""Differential entropy of a one-dimensional sample from its m-spacings.

    Vasicek's estimator reads the density from the spacings of the order
    statistics :math:`X_{(1)} \le \dots \le X_{(n)}`:

    .. math::

        \hat H_{m,n} = \frac1n \sum_{i=1}^n \log\Big(\frac{n}{2m}
        \big(X_{(i+m)} - X_{(i-m)}\big)\Big),
        \qquad X_{(j)} = X_{(1)}\ (j < 1),\ X_{(n)}\ (j > n);

    van Es, Ebrahimi and Correa refine its boundary terms and bias (see
    :func:`scipy.stats.differential_entropy`, which computes the value). The
    default window is scipy's :math:`m = \lfloor \sqrt n + 1/2 \rfloor`.

    **Ties.** A value repeated more than ``m`` times makes a spacing zero and
    the estimate :math:`-\infty`. The rule here is deterministic (no jitter):
    the window is widened to the largest multiplicity of any value,
    :math:`m \leftarrow \max(m, \text{max multiplicity})`, the smallest
    window in which every spacing of every method spans two distinct values.
    :attr:`Estimate.warning` then gives the window used. If that needs
    :math:`2m \ge n` the data are too coarse for a spacing estimate
    (``ValueError`` naming ``x``).

    **Standard error.** For :math:`m \to \infty`, :math:`m/n \to 0`,
    :math:`\sqrt n (\hat H - H) \to N(0, \operatorname{Var}\log f(X))`
    (Vasicek 1976). The variance of :math:`\log f(X)` is estimated by the
    sample variance of the per-point terms :math:`\log(\frac{n}{2m}(X_{(i+m)}
    - X_{(i-m)}))` minus the variance they owe to the spacings themselves,
    :math:`\psi'(2m)` (a sum of :math:`2m` uniform spacings is
    :math:`\mathrm{Gamma}(2m)`-distributed, whose log has variance
    :math:`\psi'(2m)`). It ignores the estimators' bias of order
    :math:`m/n` and :math:`1/m`, which the Vasicek form has the most of
    (coverage measured in ``docs/data.md``, "One dimension").

    Parameters
    ----------
    x : array_like, shape (n,) or (n, 1)
        The sample (at least 4 points).
    method : {"vasicek", "van es", "ebrahimi", "correa", "auto"}
        The spacing estimator (:data:`SPACING_METHODS`).
    window : int, optional
        The window :math:`m`, with :math:`2 \le 2m < n`; widened for ties.

    Returns
    -------
    Estimate
        In nats; ``method`` is the estimator used (``"auto"`` resolved).

    Raises
    ------
    ValueError
        Naming ``x`` (bad sample, more than one dimension, too many ties),
        ``method`` or ``window``.

    References
    ----------
    O. Vasicek, "A test for normality based on sample entropy", JRSS B 38
    (1976). N. Ebrahimi, K. Pflughoeft, E. Soofi, "Two measures of sample
    entropy", Stat. Probab. Lett. 20 (1994). B. van Es, "Estimating
    functionals related to a density by a class of statistics based on
    spacings", Scand. J. Stat. 19 (1992). J. C. Correa, "A new estimator of
    entropy", Commun. Stat. Theory Methods 24 (1995).

    Examples
    --------
    >>> import math
    >>> import numpy as np
    >>> from anadiv.estimators.one_dim import entropy_spacing
    >>> x = np.random.default_rng(2).normal(size=5000)
    >>> r = entropy_spacing(x, method="ebrahimi")
    >>> round(r.value, 3), round(r.stderr, 3), round(0.5 * math.log(2 * math.pi * math.e), 3)
    (1.431, 0.01, 1.419)
    >>> rounded = entropy_spacing(np.round(x, 1), method="ebrahimi")  # ties: the window grows
    >>> round(rounded.value, 2), rounded.warning
    (1.46, 'ties: window widened from 71 to 209 (a value repeats 209 times)')
    """
    from scipy.special import polygamma
    from scipy.stats import differential_entropy

    if not isinstance(method, str) or method not in SPACING_METHODS:
        raise ValueError(f"method: must be one of {list(SPACING_METHODS)}, got {method!r}")
    xs = np.sort(_one_dimensional(x, "x", 4))
    n = len(xs)
    m = math.floor(math.sqrt(n) + 0.5) if window is None else check_count(window, "window", 1)
    if not 2 * m < n:
        raise ValueError(f"window: must satisfy 2 <= 2 * window < n = {n}, got {m}")
    _, multiplicity = np.unique(xs, return_counts=True)
    most = int(multiplicity.max())
    warning = ""
    if most > m:
        if not 2 * most < n:
            raise ValueError(
                f"x: a value repeats {most} times of {n}; a spacing estimate needs every window of "
                f"2m < n points to span two distinct values (too coarse a rounding, or a point mass)"
            )
        warning = f"ties: window widened from {m} to {most} (a value repeats {most} times)"
        m = most
    used = _auto_method(n) if method == "auto" else method
    value = float(differential_entropy(xs, window_length=m, method=used))
    padded = np.concatenate([np.full(m, xs[0]), xs, np.full(m, xs[-1])])
    terms = np.log(n / (2 * m) * (padded[2 * m:] - padded[:-2 * m]))
    spread = max(float(np.var(terms, ddof=1)) - float(polygamma(1, 2 * m)), 0.0)
    return Estimate(value, math.sqrt(spread / n), n, used, warning=warning)


def _weights(w: Any, name: str, n: int) -> np.ndarray | None:
    if w is None:
        return None
    arr = as_samples(w, name, minimum=1)
    if arr.shape != (n, 1):
        raise ValueError(f"{name}: must hold one weight per point ({n}), got shape {np.shape(w)}")
    arr = arr[:, 0]
    if np.any(arr < 0) or not arr.sum() > 0:
        raise ValueError(f"{name}: weights must be >= 0 with a positive sum")
    return arr


def _quantile_distance_p(xs: np.ndarray, ys: np.ndarray, wx: np.ndarray | None, wy: np.ndarray | None,
                         p: float) -> float:
    r"""W_p^p = \int_0^1 |F^{-1}(u) - G^{-1}(u)|^p du for two discrete measures, exactly.

    ``xs`` and ``ys`` are sorted (the weights in the same order). Both quantile
    functions are step functions; between consecutive jumps of either, the
    integrand is constant. Without weights the jumps sit at i/n and j/m,
    numbered as the integers i*m and j*n so that no rounding merges or splits
    them.
    """
    total: float
    if wx is None and wy is None:
        n, m = len(xs), len(ys)
        cx, cy, total = np.arange(1, n + 1) * m, np.arange(1, m + 1) * n, n * m
    else:
        ux = np.full(len(xs), 1.0 / len(xs)) if wx is None else wx / wx.sum()
        uy = np.full(len(ys), 1.0 / len(ys)) if wy is None else wy / wy.sum()
        cx, cy, total = np.cumsum(ux), np.cumsum(uy), 1.0
        cx[-1] = cy[-1] = 1.0  # the last jump at exactly 1, whatever the rounding of the sums
    # both are sorted: a stable sort of the two runs is a merge
    merged = np.sort(np.concatenate([cx, cy]), kind="stable")
    u = merged[np.diff(merged, prepend=merged.dtype.type(0)) != 0]
    du = np.diff(u, prepend=u.dtype.type(0))
    ix = np.minimum(np.searchsorted(cx, u, side="left"), len(xs) - 1)
    iy = np.minimum(np.searchsorted(cy, u, side="left"), len(ys) - 1)
    gap = np.abs(xs[ix] - ys[iy])
    return float(np.dot(du, gap if p == 1 else gap**p)) / total


def _sorted(v: np.ndarray, w: np.ndarray | None) -> tuple[np.ndarray, np.ndarray | None, np.ndarray]:
    order = np.argsort(v, kind="stable")
    return v[order], None if w is None else w[order], order


def wasserstein_samples(x: Any, y: Any, *, p: float = 1, x_weights: Any = None, y_weights: Any = None) -> Estimate:
    r"""Wasserstein-p distance between two one-dimensional empirical distributions.

    On the line the optimal coupling is the monotone one, so

    .. math::

        W_p(\hat F, \hat G) = \Big(\int_0^1 \big|\hat F^{-1}(u)
        - \hat G^{-1}(u)\big|^p\, du\Big)^{1/p},

    and for empirical measures (of any sizes ``n`` and ``m``, with optional
    weights) both quantile functions are step functions: the integral is a
    finite sum over the union of their jumps, computed exactly. ``p = 1``
    goes through :func:`scipy.stats.wasserstein_distance`
    (:math:`\int |\hat F - \hat G|\,dx`, the same number; its jackknife
    replicates go through the quantile sum).

    ``value`` is the **exact distance between the empirical measures**. As an
    estimate of the distance between the populations it is biased upward
    (most where the populations are close: for equal populations it is of
    order :math:`n^{-1/2}`, not 0). ``stderr`` is a delete-a-group jackknife
    for the population distance: the points are split into
    :math:`G = 20` groups by position (``i mod G``, so the order of the
    data must not carry information), each group is deleted from both
    samples in turn, and :math:`\hat\sigma^2 = \frac{G-1}{G}\sum_g
    (W^{(-g)} - \bar W)^2`; ``df = G - 1`` makes :meth:`Estimate.ci` a
    Student-t interval. It is valid when the populations differ (a smooth
    functional); for equal populations the distance is not normal and the
    interval undercovers (measured in ``docs/data.md``, "One dimension").

    Parameters
    ----------
    x, y : array_like, shape (n,) and (m,) (or (n, 1), (m, 1))
        The two samples (each at least ``G = 20`` points for the jackknife;
        2 at least).
    p : float
        The order, ``p >= 1``.
    x_weights, y_weights : array_like, optional
        Nonnegative weights of the points (normalised to sum to 1).

    Returns
    -------
    Estimate
        ``method="empirical (exact)"``, ``n = len(x) + len(y)``; ``stderr``
        NaN (with a warning) when a sample has fewer than ``G`` points.

    Raises
    ------
    ValueError
        Naming ``x`` or ``y`` (bad samples, more than one dimension: use
        ``ot.emd2`` from POT there), ``p``, ``x_weights`` or ``y_weights``.

    References
    ----------
    E. del Barrio, E. Gine, C. Matran, "Central limit theorems for the
    Wasserstein distance between the empirical and the true distributions",
    Ann. Probab. 27 (1999). V. M. Panaretos, Y. Zemel, "Statistical aspects of
    Wasserstein distances", Annu. Rev. Stat. Appl. 6 (2019).

    Examples
    --------
    >>> import numpy as np
    >>> from anadiv.estimators.one_dim import wasserstein_samples
    >>> wasserstein_samples([0.0, 1.0, 2.0], [0.5, 2.5]).value  # doctest: +ELLIPSIS
    0.6666...
    >>> rng = np.random.default_rng(3)
    >>> r = wasserstein_samples(rng.normal(0, 1, 20_000), rng.normal(1, 2, 30_000), p=2)
    >>> round(r.value, 2), round(r.stderr, 3)  # exact for N(0,1), N(1,2): sqrt(2) = 1.414
    (1.41, 0.014)
    """
    pv = check_tol(p, "p", allow_none=False)
    if pv < 1:
        raise ValueError(f"p: must be >= 1 (a distance), got {p!r}")
    xs = _one_dimensional(x, "x", 1)
    ys = _one_dimensional(y, "y", 1)
    wx = _weights(x_weights, "x_weights", len(xs))
    wy = _weights(y_weights, "y_weights", len(ys))
    if pv == 1:
        from scipy.stats import wasserstein_distance

        value = float(wasserstein_distance(xs, ys, wx, wy))
    groups = _JACKKNIFE_GROUPS
    # sorted once: a subsample of a sorted array is sorted, so the jackknife re-sorts nothing
    xs, wx, ox = _sorted(xs, wx)
    ys, wy, oy = _sorted(ys, wy)
    if pv != 1:
        value = _quantile_distance_p(xs, ys, wx, wy, pv) ** (1 / pv)
    if min(len(xs), len(ys)) < groups:
        return Estimate(value, math.nan, len(xs) + len(ys), "empirical (exact)",
                        warning=f"no standard error: the jackknife needs {groups} points in each sample")
    gx, gy = ox % groups, oy % groups  # the group of each point by its position in the input
    leave_out = np.empty(groups)
    for g in range(groups):
        kx, ky = gx != g, gy != g
        leave_out[g] = _quantile_distance_p(xs[kx], ys[ky], None if wx is None else wx[kx],
                                            None if wy is None else wy[ky], pv) ** (1 / pv)
    stderr = math.sqrt((groups - 1) / groups * float(np.sum((leave_out - leave_out.mean()) ** 2)))
    return Estimate(value, stderr, len(xs) + len(ys), "empirical (exact)", df=groups - 1)
