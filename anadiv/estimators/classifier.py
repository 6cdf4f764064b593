r"""Divergences beyond KL from two samples, through a classifier that tells them apart.

With the pooled sample labelled by origin and the two classes weighted equally,
the posterior :math:`\eta(z) = P(\text{from } P \mid z)` is the density ratio to
the mixture :math:`M = (P + Q)/2`:

.. math::

    \frac{p}{m} = 2\eta, \qquad \frac{q}{m} = 2(1 - \eta),

so every kind read as :math:`E_P[h(\log q - \log p)] + c\,Q(p = 0)` (see
:mod:`anadiv.kinds._fdiv`) is a mean under M of one function of :math:`\eta`,

.. math::

    D = \mathrm{outer}\left(E_M[\varphi(\eta)]\right), \qquad
    \varphi(e) = 2e\, h\!\left(\log\tfrac{1 - e}{e}\right)
    \quad (\varphi(0) = 2c),

read from the kind object (:meth:`~anadiv.kinds.DivergenceKind.log_abs_weighted`
at ``log p = log 2e``, ``log q = log 2(1 - e)``, where ``log m = 0``), exactly as
Monte Carlo evaluates a kind under the mixture. For the kinds offered:
:math:`\varphi = e\log 2e + (1 - e)\log 2(1 - e)` (Jensen-Shannon),
:math:`(\sqrt e - \sqrt{1 - e})^2` (squared Hellinger) and
:math:`2\,(2e - 1)_+` (total variation, whose mean under M is :math:`E_M|2\eta - 1|`).
Any kind whose integrand is bounded under M (:meth:`~anadiv.kinds.DivergenceKind.bounded_under_mixture`)
works without change; KL is offered too but flagged (its :math:`\varphi` grows like
:math:`\log(1/(1 - e))`, so the clip below decides its tail).

Estimation, in three steps:

1. **Cross-fitting.** Each sample is cut into ``folds`` parts; the classifier is
   fitted on the other folds and predicts :math:`\hat\eta` on the held-out one,
   so no point is scored by a model that saw it.
2. **Prior correction.** A classifier fitted on :math:`n_x` against :math:`n_y`
   points estimates :math:`\eta' = n_x p / (n_x p + n_y q)`; its odds are
   multiplied by :math:`n_y / n_x` (the training folds' counts) to give the
   balanced :math:`\hat\eta`, and the mean under M is
   :math:`\tfrac12 \overline{t}_x + \tfrac12 \overline{t}_y` over the per-point
   terms :math:`t_i` of each sample, so the result estimates the divergence of
   the populations whatever the sample sizes.
3. **One-step correction** (``correction="one_step"``, the default). The
   plug-in mean of :math:`\varphi(\hat\eta)` inherits the classifier's error to
   first order. With the label :math:`\ell_i` (1 for a point of ``x``), whose
   mean given z under M is :math:`\eta`, the per-point term

   .. math::

       t_i = \varphi(\hat\eta_i) + \varphi'(\hat\eta_i)\,(\ell_i - \hat\eta_i)

   has mean :math:`E_M[\varphi(\eta)] - E_M[B_\varphi(\eta, \hat\eta)]`, where
   :math:`B_\varphi \ge 0` is the Bregman gap of the convex :math:`\varphi`: the
   error is of second order in :math:`\hat\eta - \eta` and never positive, so
   the estimate is a lower bound in expectation. For Jensen-Shannon the terms are
   :math:`\log 2\hat\eta` on ``x`` and :math:`\log 2(1 - \hat\eta)` on ``y``:
   :math:`\log 2` minus the held-out log-loss; for total variation,
   :math:`\hat P(A) - \hat Q(A)` with :math:`A = \{\hat\eta > 1/2\}`.
   :math:`\varphi'` is a central difference of the kind's
   :math:`\varphi` in the logit of :math:`e` (step ``1e-4``).
   ``correction="plug_in"`` averages :math:`\varphi(\hat\eta)` instead: no
   labels at evaluation, a bias of either sign (a noisy :math:`\hat\eta` inflates
   it, a smoothed one shrinks it); see ``docs/data.md`` for both, measured.

The standard error is the spread of the per-point terms,
:math:`\sqrt{s_x^2/(4 n_x) + s_y^2/(4 n_y)}`, mapped through the kind's outer
map with :meth:`Estimate.of_moment`. It treats :math:`\hat\eta` as fixed, so it
does not see the classifier's own bias (measured coverage in ``docs/data.md``).
A moment estimate below 0 (the samples are indistinguishable) gives the kind's
value at 0 (its outer map clips into its range); the raw mean is kept in
:attr:`Estimate.moment`.

**Clip.** Every :math:`\hat\eta` is kept in :math:`[\epsilon, 1 - \epsilon]`,
:math:`\epsilon = 1/(2n)` with :math:`n = n_x + n_y`: a probability finer than one
point in the pooled sample is not supported by the data. It changes
:math:`\varphi` by at most :math:`2\epsilon` (total variation) or
:math:`\epsilon(1 + \log(1/\epsilon))` (Jensen-Shannon) per point, and bounds a
one-step term by :math:`\log(2n)` in size (Jensen-Shannon) where a confident
classifier is wrong.

**Default classifier.** The k-nearest-neighbour posterior: the fraction of a
held-out point's k nearest training points that come from ``x``, smoothed as
:math:`(c_x + 1/2)/(k + 1)` (Krichevsky-Trofimov: k neighbours never justify a
posterior of exactly 0 or 1, where the one-step terms of Hellinger and KL are
steepest) and corrected by the class sizes as above. Its ``k`` (unless given) is chosen among
:math:`\lceil\sqrt{n_{\text{train}}}\,2^j\rceil`, :math:`j = -2, \dots, 2`, by the
held-out log-loss (one neighbour search at the largest k serves all five): the
log-loss is exactly what the Jensen-Shannon lower bound loses, so the choice
minimises that bias. Choosing on the same held-out points adds a small upward
bias (the best of five correlated scores); the measured net bias stays negative
in every case of the benchmark.

References
----------
X. Nguyen, M. J. Wainwright and M. I. Jordan, "Estimating divergence functionals
and the likelihood ratio by convex risk minimization", IEEE Trans. Inf. Theory
56 (2010) 5847-5861. V. Chernozhukov et al., "Double/debiased machine learning for
treatment and structural parameters", The Econometrics Journal 21 (2018) C1-C68
(cross-fitting and the one-step correction).
"""

from __future__ import annotations

import copy
import math
from dataclasses import dataclass
from typing import Any, Callable

import numpy as np

from ..kinds import KINDS, get_kind
from ..numeric.validation import check_count, check_seed
from .result import Estimate
from .samples import as_samples, check_same_dim

__all__ = ["divergence_from_classifier", "held_out_posterior", "divergence_from_posterior", "HeldOutPosterior",
           "offered_kinds"]

# kinds whose phi is unbounded on [0, 1]: offered, but the estimate says its interval is not to be trusted
_UNBOUNDED_OFFERED = ("kl",)
_UNBOUNDED_WARNING = ("the KL integrand under the mixture grows like log(1/(1 - eta)): the estimate is decided by "
                      "the clip of eta near 1 and by the classifier's calibration there; its interval is not "
                      "reliable")
_DERIVATIVE_STEP = 1e-4  # in logit units: truncation ~ step^2, rounding ~ 1e-16 / step, both < 1e-8
_K_GRID_POWERS = (-2, -1, 0, 1, 2)


def offered_kinds() -> list[str]:
    """The kinds :func:`divergence_from_classifier` estimates.

    Every two-sample kind without extra parameters whose integrand is bounded
    under the mixture, plus ``"kl"`` (flagged as unreliable).

    Examples
    --------
    >>> [k for k in offered_kinds() if k in ("jensen_shannon", "hellinger", "total_variation", "renyi")]
    ['hellinger', 'total_variation', 'jensen_shannon']
    """
    out = []
    for name, kind in KINDS.items():
        if kind.arity != 2 or not kind.expectation or kind.parameters:
            continue
        if kind.bounded_under_mixture() or name in _UNBOUNDED_OFFERED:
            out.append(name)
    return out


def _offered_kind(kind: Any) -> Any:
    offered = offered_kinds()
    name = kind if isinstance(kind, str) else getattr(kind, "name", None)
    if name not in offered:
        raise ValueError(f"kind: a classifier estimates only {', '.join(offered)}; got {kind!r}")
    return get_kind(name)


# ------------------------------------------------------------------ the posterior


@dataclass(frozen=True)
class HeldOutPosterior:
    """Cross-fitted class posteriors of the pooled sample.

    Attributes
    ----------
    eta : numpy.ndarray, shape (n_x + n_y,)
        The balanced posterior :math:`\\hat\\eta = P(\\text{from x} \\mid z)` of each
        point (the points of ``x`` first), predicted by a model that did not
        see it, corrected to equal class sizes and clipped.
    from_x : numpy.ndarray of bool
        True for the points of ``x``.
    clip : float
        :math:`\\epsilon`: every :math:`\\hat\\eta` lies in :math:`[\\epsilon, 1 - \\epsilon]`.
    k : int or None
        The number of neighbours of the default classifier (None for a given classifier).
    method : str
        ``"knn"`` or the given classifier's class name.
    """

    eta: np.ndarray
    from_x: np.ndarray
    clip: float
    k: int | None
    method: str


def _fold_ids(n: int, folds: int, rng: np.random.Generator) -> np.ndarray:
    """A fold number for each of ``n`` points, balanced, in random order."""
    return rng.permutation(np.arange(n) % folds)


def _neighbour_labels(train: np.ndarray, query: np.ndarray, k: int) -> np.ndarray:
    """Indices into ``train`` of each query point's ``k`` nearest neighbours, shape (n_query, k)."""
    from .neighbours import NeighbourIndex

    return NeighbourIndex(train).query(query, k)[1]


def _balanced(raw: np.ndarray, n_x: int | np.ndarray, n_y: int | np.ndarray, clip: float) -> np.ndarray:
    """The posterior at equal class sizes from one fitted on ``n_x`` against ``n_y`` points, clipped.

    Odds times ``n_y / n_x``: ``eta = a / (a + b)`` with ``a = raw / n_x``,
    ``b = (1 - raw) / n_y``, which keeps ``raw = 0`` and 1 exact.
    """
    a = raw / n_x
    b = (1.0 - raw) / n_y
    return np.clip(a / (a + b), clip, 1.0 - clip)


def _k_grid(n_train: int) -> list[int]:
    root = math.sqrt(n_train)
    return sorted({min(max(1, math.ceil(root * 2.0**j)), n_train) for j in _K_GRID_POWERS})


def _balanced_log_loss(eta: np.ndarray, from_x: np.ndarray) -> float:
    return -(0.5 * np.mean(np.log(eta[from_x])) + 0.5 * np.mean(np.log1p(-eta[~from_x])))


def _knn_posterior(z: np.ndarray, from_x: np.ndarray, fold: np.ndarray, folds: int, k: int | None,
                   clip: float) -> tuple[np.ndarray, int]:
    """Cross-fitted kNN posteriors, for the given ``k`` or the best of the grid by held-out log-loss."""
    n_train_min = min(int(np.sum(fold != f)) for f in range(folds))
    grid = [k] if k is not None else _k_grid(n_train_min)
    if grid[-1] > n_train_min:
        raise ValueError(f"k: must be at most the training fold's size {n_train_min}, got {grid[-1]}")
    k_max = grid[-1]
    counts = {kk: np.empty(len(z)) for kk in grid}  # neighbours from x among the first kk
    n_x_train = np.empty(len(z))
    for f in range(folds):
        held, train = fold == f, fold != f
        labels = from_x[train]
        idx = _neighbour_labels(z[train], z[held], k_max)
        cum = np.cumsum(labels[idx], axis=1)
        for kk in grid:
            counts[kk][held] = cum[:, kk - 1]
        n_x_train[held] = labels.sum()
    n_train = len(z) - np.bincount(fold, minlength=folds)[fold]
    best: tuple[float, int, np.ndarray] | None = None
    for kk in grid:
        # add-1/2 (Krichevsky-Trofimov): k draws never justify a posterior of exactly 0 or 1
        eta = _balanced((counts[kk] + 0.5) / (kk + 1), n_x_train, n_train - n_x_train, clip)
        loss = _balanced_log_loss(eta, from_x)
        if best is None or loss < best[0]:
            best = (loss, kk, eta)
    assert best is not None
    return best[2], best[1]


def _classifier_posterior(classifier: Any, z: np.ndarray, from_x: np.ndarray, fold: np.ndarray, folds: int,
                          clip: float) -> np.ndarray:
    """Cross-fitted posteriors of a scikit-learn-style classifier (a fresh copy fitted per fold)."""
    labels = from_x.astype(np.int64)
    eta = np.empty(len(z))
    for f in range(folds):
        held, train = fold == f, fold != f
        model = copy.deepcopy(classifier)  # the user's object stays unfitted; no fold sees another's fit
        model.fit(z[train], labels[train])
        proba = np.asarray(model.predict_proba(z[held]), dtype=float)
        classes = list(getattr(model, "classes_", [0, 1]))
        if proba.ndim != 2 or proba.shape[0] != int(held.sum()) or 1 not in classes:
            raise ValueError(f"classifier: predict_proba must return one column per class (0: y, 1: x), got "
                             f"shape {proba.shape} for classes {classes}")
        raw = proba[:, classes.index(1)]
        if not np.all(np.isfinite(raw)) or np.any((raw < 0) | (raw > 1)):
            raise ValueError("classifier: predict_proba returned values outside [0, 1]")
        n_x = int(labels[train].sum())
        eta[held] = _balanced(raw, n_x, int(train.sum()) - n_x, clip)
    return eta


def held_out_posterior(x: Any, y: Any, *, classifier: Any = None, folds: int = 5, seed: Any = None,
                       k: int | None = None) -> HeldOutPosterior:
    """Cross-fitted, prior-corrected posteriors :math:`\\hat\\eta = P(\\text{from x} \\mid z)` of the pooled sample.

    The first step of :func:`divergence_from_classifier` (see the module
    docstring); call it once and pass the result to
    :func:`divergence_from_posterior` for several kinds.

    Parameters
    ----------
    x, y : array_like, shape (n,) or (n, d)
        The two samples (same dimension; at least ``folds`` points each).
    classifier : object, optional
        Anything with ``fit(X, labels)`` and ``predict_proba(X)`` (labels 1 for
        ``x``, 0 for ``y``), unfitted; copied and fitted once per fold. It must
        estimate the posterior under the training proportions (no class
        weights: the sizes are corrected here). Default: the k-nearest-neighbour
        posterior.
    folds : int
        Number of cross-fitting folds (at least 2).
    seed : int, Generator or None
        Draws the folds.
    k : int, optional
        Neighbours of the default classifier (default: chosen by held-out
        log-loss among five values around the square root of the training size).

    Returns
    -------
    HeldOutPosterior

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> post = held_out_posterior(rng.normal(0, 1, 400), rng.normal(1, 1, 400), seed=1)
    >>> post.eta.shape, post.method, post.k is not None
    ((800,), 'knn', True)
    """
    folds = check_count(folds, "folds", 2)
    xs = as_samples(x, "x", minimum=folds)
    ys = as_samples(y, "y", minimum=folds)
    check_same_dim(xs, ys, "y")
    if k is not None:
        k = check_count(k, "k", 1)
    if classifier is not None:
        for method in ("fit", "predict_proba"):
            if not callable(getattr(classifier, method, None)):
                raise ValueError(f"classifier: needs fit(X, labels) and predict_proba(X); "
                                 f"{type(classifier).__name__} has no {method}")
        if k is not None:
            raise ValueError("k: only for the default k-nearest-neighbour classifier; a classifier was given")
    rng = np.random.default_rng(check_seed(seed))
    z = np.concatenate([xs, ys])
    from_x = np.zeros(len(z), dtype=bool)
    from_x[: len(xs)] = True
    fold = np.concatenate([_fold_ids(len(xs), folds, rng), _fold_ids(len(ys), folds, rng)])
    clip = 1.0 / (2 * len(z))
    if classifier is None:
        eta, k_used = _knn_posterior(z, from_x, fold, folds, k, clip)
        return HeldOutPosterior(eta, from_x, clip, k_used, "knn")
    eta = _classifier_posterior(classifier, z, from_x, fold, folds, clip)
    return HeldOutPosterior(eta, from_x, clip, None, type(classifier).__name__)


# -------------------------------------------------------------- from eta to D


def _phi(kind: Any) -> Callable[[np.ndarray], np.ndarray]:
    """``phi(e) = (p/m) h`` at ``p/m = 2e``, ``q/m = 2(1 - e)``: the kind's integrand under the mixture."""

    def phi(e: np.ndarray) -> np.ndarray:
        with np.errstate(divide="ignore"):
            return kind.mixture_integrand(np.log(2.0 * e), np.log(2.0 * (1.0 - e)))

    return phi


def _phi_slope(phi: Callable[[np.ndarray], np.ndarray], e: np.ndarray) -> np.ndarray:
    """``phi'(e)``: a central difference in ``u = logit(e)``, divided by ``de/du = e (1 - e)``."""
    u = np.log(e) - np.log1p(-e)
    step = _DERIVATIVE_STEP

    def at(v: np.ndarray) -> np.ndarray:
        return phi(1.0 / (1.0 + np.exp(-v)))

    return (at(u + step) - at(u - step)) / (2.0 * step) / (e * (1.0 - e))


def _plug_in_terms(phi: Callable[[np.ndarray], np.ndarray], eta: np.ndarray, from_x: np.ndarray) -> np.ndarray:
    return phi(eta)


def _one_step_terms(phi: Callable[[np.ndarray], np.ndarray], eta: np.ndarray, from_x: np.ndarray) -> np.ndarray:
    return phi(eta) + _phi_slope(phi, eta) * (from_x - eta)


#: correction name -> per-point terms (phi, eta, from_x) whose mean under M estimates the moment
CORRECTIONS: dict[str, Callable[..., np.ndarray]] = {"one_step": _one_step_terms, "plug_in": _plug_in_terms}


def divergence_from_posterior(kind: Any, posterior: HeldOutPosterior, *, correction: str = "one_step") -> Estimate:
    """The divergence from cross-fitted posteriors (the second step of :func:`divergence_from_classifier`).

    Parameters
    ----------
    kind : str
        One of :func:`offered_kinds`.
    posterior : HeldOutPosterior
        From :func:`held_out_posterior`.
    correction : {"one_step", "plug_in"}
        The per-point terms (see the module docstring).

    Returns
    -------
    Estimate
        ``method`` is ``"classifier:<classifier>:<correction>"``; ``n`` the pooled size.

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> post = held_out_posterior(rng.normal(0, 1, 400), rng.normal(3, 1, 400), seed=1)
    >>> tv = divergence_from_posterior("total_variation", post)
    >>> 0.8 < tv.value < 0.9 and tv.stderr < 0.03   # truth 2 Phi(1.5) - 1 = 0.866
    True
    """
    k = _offered_kind(kind)
    if not isinstance(posterior, HeldOutPosterior):
        raise ValueError(f"posterior: must come from held_out_posterior, got {type(posterior).__name__}")
    terms_of = CORRECTIONS.get(correction) if isinstance(correction, str) else None
    if terms_of is None:
        raise ValueError(f"correction: must be one of {', '.join(CORRECTIONS)}, got {correction!r}")
    from_x = posterior.from_x
    t = terms_of(_phi(k), posterior.eta, from_x)
    tx, ty = t[from_x], t[~from_x]
    moment = 0.5 * float(np.mean(tx)) + 0.5 * float(np.mean(ty))
    stderr = 0.5 * math.sqrt(float(np.var(tx, ddof=1)) / len(tx) + float(np.var(ty, ddof=1)) / len(ty))
    extra: dict[str, Any] = {}
    if k.name in _UNBOUNDED_OFFERED:
        extra = {"stderr_reliable": False, "warning": _UNBOUNDED_WARNING}
    method = f"classifier:{posterior.method}:{correction}"
    if k.maps_moment:
        return Estimate.of_moment(k.outer, k.moment_range(), moment, stderr, len(t), method, **extra)
    return Estimate(moment, stderr, len(t), method, **extra)


def divergence_from_classifier(kind: str, x: Any, y: Any, *, classifier: Any = None, folds: int = 5,
                               seed: Any = None, k: int | None = None, correction: str = "one_step") -> Estimate:
    r"""Jensen-Shannon, Hellinger, total variation (...) between the populations of two samples.

    A classifier is cross-fitted to tell ``x`` from ``y``; its held-out
    posterior :math:`\hat\eta` gives the density ratios to the mixture
    (:math:`p/m = 2\eta`), and the divergence is the kind's mean under the
    mixture,

    .. math::

        D = \mathrm{outer}\left(\tfrac12 \overline{t}_x + \tfrac12 \overline{t}_y\right), \qquad
        t_i = \varphi(\hat\eta_i) + \varphi'(\hat\eta_i)(\ell_i - \hat\eta_i),

    with :math:`\varphi(e) = 2e\,h(\log\frac{1 - e}{e})` from the kind's
    integrand :math:`h` (details, the clip and the references in
    :mod:`anadiv.estimators.classifier`). With the default one-step
    correction the estimate is a lower bound in expectation, low by the
    classifier's Bregman gap (second order in its error).

    Parameters
    ----------
    kind : str
        ``"jensen_shannon"``, ``"jensen_shannon_distance"``, ``"hellinger"``,
        ``"total_variation"``, ``"bhattacharyya"`` (any of :func:`offered_kinds`),
        or ``"kl"`` (flagged unreliable: the ratio is unbounded).
    x, y : array_like, shape (n,) or (n, d)
        Samples from P and from Q (sizes may differ: corrected).
    classifier : object, optional
        Unfitted, with ``fit(X, labels)`` and ``predict_proba(X)`` (label 1 for
        ``x``), e.g. a scikit-learn classifier; default the k-nearest-neighbour
        posterior (no scikit-learn needed).
    folds : int
        Cross-fitting folds.
    seed : int, Generator or None
        Draws the folds.
    k : int, optional
        Neighbours of the default classifier (default: by held-out log-loss).
    correction : {"one_step", "plug_in"}
        ``"plug_in"`` averages :math:`\varphi(\hat\eta)` (biased either way).

    Returns
    -------
    Estimate
        With the standard error of the per-point terms (it treats
        :math:`\hat\eta` as fixed) and, for mapped kinds, the moment
        (:attr:`Estimate.moment`, which may be slightly negative for
        indistinguishable samples: the value is then the kind's value at 0).

    Raises
    ------
    ValueError
        Naming the argument: a kind not offered (with the list), bad samples
        (NaN, too few points, different dimensions), a classifier without
        ``fit``/``predict_proba``.

    Examples
    --------
    >>> import numpy as np
    >>> import anadiv
    >>> rng = np.random.default_rng(0)
    >>> x, y = rng.normal(0.0, 1.0, 600), rng.normal(1.0, 1.0, 600)
    >>> est = divergence_from_classifier("hellinger", x, y, seed=0)
    >>> truth = float(anadiv.hellinger(anadiv.Normal(0.0, 1.0), anadiv.Normal(1.0, 1.0)))
    >>> abs(est.value - truth) < 4 * est.stderr + 0.03
    True
    """
    _offered_kind(kind)  # before any fitting
    post = held_out_posterior(x, y, classifier=classifier, folds=folds, seed=seed, k=k)
    return divergence_from_posterior(kind, post, correction=correction)
