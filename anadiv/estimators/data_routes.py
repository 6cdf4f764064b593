"""The estimators from data offered through the front doors (``kl_estimate`` & co. on arrays).

Each route adapts one estimator to the common call ``fn(p, q, *, k, seed, n)``;
:mod:`.from_data` holds the table and the dispatch. A new estimator from data
is one decorated function here.
"""

from __future__ import annotations

from typing import Any

from . import knn
from .against_density import cross_entropy_samples, log_density_at
from .from_data import estimate_from_data, register_route
from .result import Estimate
from .samples import as_samples, check_same_dim, is_dask

__all__ = ["estimate_from_data"]


def _samples(x: Any, name: str) -> Any:
    """Checked under the front door's own argument name (a dask array is checked as it streams)."""
    return x if is_dask(x) else as_samples(x, name, minimum=3)


def _pair(p: Any, q: Any) -> tuple[Any, Any]:
    p, q = _samples(p, "p"), _samples(q, "q")
    check_same_dim(p, q, "q", "p")
    return p, q


def _no_k(k: int | None, what: str) -> None:
    if k is not None:
        raise ValueError(f"k: {what} has no neighbour rank (got k={k!r})")


@register_route("kl", "samples-samples", "knn", default=True)
def _kl_two_samples(p: Any, q: Any, *, k: int | None, seed: Any, n: int | None) -> Estimate:
    return knn.kl_knn(*_pair(p, q), k=k)


@register_route("kl", "samples-density", "knn", default=True)
def _kl_samples_density(p: Any, q: Any, *, k: int | None, seed: Any, n: int | None) -> Estimate:
    log_density_at(q, _samples(p, "p")[:1], "q", "p")  # Q a density of p's dimension, named as given
    return knn.kl_knn_density(p, q, k=k)


@register_route("kl", "density-samples", "knn", default=True)
def _kl_density_samples(p: Any, q: Any, *, k: int | None, seed: Any, n: int | None) -> Estimate:
    q = _samples(q, "q")
    log_density_at(p, q[:1], "p", "q")
    return knn.kl_density_knn(p, q, n=n, k=k, seed=seed)


@register_route("entropy", "samples", "knn", default=True)
def _entropy_samples(p: Any, q: Any, *, k: int | None, seed: Any, n: int | None) -> Estimate:
    return knn.entropy_knn(_samples(p, "p"), k=k)


@register_route("cross_entropy", "samples-density", "sample mean", default=True)
def _cross_entropy_samples(p: Any, q: Any, *, k: int | None, seed: Any, n: int | None) -> Estimate:
    _no_k(k, "the cross-entropy of samples against a density (a sample mean)")
    p = _samples(p, "p")
    if not is_dask(p):
        log_density_at(q, p[:1], "q", "p")
    return cross_entropy_samples(p, q)


@register_route("kl", "samples-samples", "histogram")
def _kl_histogram(p: Any, q: Any, *, k: int | None, seed: Any, n: int | None) -> Estimate:
    from .histogram import histogram_divergence

    _no_k(k, "the histogram estimate")
    return histogram_divergence(*_pair(p, q), "kl")


@register_route("jensen_shannon", "samples-samples", "histogram")
def _js_histogram(p: Any, q: Any, *, k: int | None, seed: Any, n: int | None) -> Estimate:
    from .histogram import histogram_divergence

    _no_k(k, "the histogram estimate")
    return histogram_divergence(*_pair(p, q), "jensen_shannon")


@register_route("entropy", "samples", "histogram")
def _entropy_histogram(p: Any, q: Any, *, k: int | None, seed: Any, n: int | None) -> Estimate:
    from .histogram import histogram_entropy

    _no_k(k, "the histogram estimate")
    return histogram_entropy(_samples(p, "p"))


@register_route("entropy", "samples", "spacing")
def _entropy_spacing(p: Any, q: Any, *, k: int | None, seed: Any, n: int | None) -> Estimate:
    from .one_dim import entropy_spacing

    _no_k(k, "the spacing estimate (its window is set by entropy_spacing)")
    return entropy_spacing(_samples(p, "p"))


@register_route("wasserstein2", "samples-samples", "empirical", default=True)
def _w2_empirical(p: Any, q: Any, *, k: int | None, seed: Any, n: int | None) -> Estimate:
    from .one_dim import wasserstein_samples

    _no_k(k, "the empirical Wasserstein distance")
    p, q = _pair(p, q)
    if p.shape[1] != 1:
        raise ValueError(f"p: the empirical Wasserstein-2 distance is offered on the line; got {p.shape[1]}-dimensional "
                         "samples (POT's ot.emd2 computes it in d > 1)")
    return wasserstein_samples(p, q, p=2)


def _classifier_route(kind_name: str) -> Any:
    def route(p: Any, q: Any, *, k: int | None, seed: Any, n: int | None) -> Estimate:
        from .classifier import divergence_from_classifier

        return divergence_from_classifier(kind_name, *_pair(p, q), seed=seed, k=k)

    route.__name__ = f"_{kind_name}_classifier"
    return route


def _drawn_classifier_route(kind_name: str, data_first: bool) -> Any:
    """Samples against a distribution: as many draws of the distribution as there are samples, then the classifier."""

    def route(p: Any, q: Any, *, k: int | None, seed: Any, n: int | None) -> Estimate:
        import numpy as np

        from ..numeric.validation import check_seed
        from .classifier import divergence_from_classifier

        data, dist, name, dname = (p, q, "p", "q") if data_first else (q, p, "q", "p")
        data = _samples(data, name)
        log_density_at(dist, data[:1], dname, name)  # a density of the data's dimension
        rng = np.random.default_rng(check_seed(seed))
        drawn = np.asarray(dist.sample(len(data), rng=rng), dtype=float).reshape(data.shape)
        x, y = (data, drawn) if data_first else (drawn, data)
        return divergence_from_classifier(kind_name, x, y, seed=rng, k=k)

    route.__name__ = f"_{kind_name}_classifier_drawn"
    return route


def _register_classifier_routes() -> None:
    """Every kind the classifier estimates; the default for two samples except KL (kNN is).

    Against a distribution, the classifier tells the samples from as many
    draws of it (bounded kinds only: KL has its kNN routes there).
    """
    from .classifier import offered_kinds

    for name in offered_kinds():
        register_route(name, "samples-samples", "classifier", default=name != "kl")(_classifier_route(name))
        if name != "kl":
            register_route(name, "samples-density", "classifier", default=True)(_drawn_classifier_route(name, True))
            register_route(name, "density-samples", "classifier", default=True)(_drawn_classifier_route(name, False))


_register_classifier_routes()
