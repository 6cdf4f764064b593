"""Test helpers keyed on a family's reference measure (``"lebesgue"`` or ``"counting"``), never on its name.

Under the counting measure the "density" is a probability mass function:
scipy calls its log ``logpmf``, the total mass is a sum, a sampler is checked
with a chi-square test on the counts (a Kolmogorov-Smirnov test assumes a
continuous cdf), and a quantile is the smallest count whose cdf reaches ``u``.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import scipy.stats as st


def is_counting(cls_or_dist: Any) -> bool:
    cls = cls_or_dist if isinstance(cls_or_dist, type) else type(cls_or_dist)
    return getattr(cls, "measure", "lebesgue") == "counting"


def scipy_log_density(frozen: Any, x: np.ndarray, event_ndim: int = 0) -> np.ndarray:
    """scipy's log-density (continuous) or log-mass (discrete) at ``x``.

    ``x`` holds points on its leading axes and each event on its last
    ``event_ndim``; scipy's matrix variates (``event_ndim == 2``) take the
    matrix axes first and the points last.
    """
    if hasattr(frozen, "logpmf"):
        return frozen.logpmf(x)
    if event_ndim == 2:
        x = np.asarray(x)
        return np.asarray(frozen.logpdf(np.moveaxis(x.reshape((-1,) + x.shape[-2:]), 0, -1))).reshape(x.shape[:-2])
    out = frozen.logpdf(x)
    if getattr(getattr(frozen, "dist", None), "name", None) in LOGPDF_UNDERFLOWS:
        # scipy's -inf inside its support is exp underflowing before the log, no zero density:
        # no truth there (nan: neither -inf nor compared)
        lo, hi = frozen.support()
        out = np.where(np.isneginf(out) & (np.asarray(x) > lo) & (np.asarray(x) < hi), np.nan, out)
    return out


#: scipy distributions whose ``logpdf`` is the log of an underflowing ``pdf`` (scipy 1.x ``moyal``:
#: ``-inf`` from ``exp(-exp(-z)/2)`` far left, where the log-density is a finite ``-exp(-z)/2``).
LOGPDF_UNDERFLOWS: frozenset[str] = frozenset({"moyal"})


def count_range(dist: Any) -> np.ndarray:
    """The counts holding all but ~1e-30 of a counting-measure distribution's mass."""
    lo, hi = (float(np.asarray(v)) for v in dist.support())
    mean, var = (float(np.asarray(v)) for v in dist.mean_variance())
    top = min(hi, math.ceil(mean + 60.0 * math.sqrt(var) + 200.0))
    return np.arange(lo, top + 1.0)


def total_mass(dist: Any) -> float:
    """The sum of the mass function over :func:`count_range`."""
    return math.fsum(np.exp(dist.logpdf(count_range(dist))))


def sampler_pvalue(draws: np.ndarray, frozen: Any, counting: bool) -> float:
    """p-value of the draws against ``frozen``: KS for a density, chi-square on counts for a mass function.

    Counts are pooled into bins of expected frequency at least 5 (the chi-square approximation's rule).
    """
    if not counting:
        return float(st.kstest(draws, frozen.cdf).pvalue)
    n = len(draws)
    hi = int(frozen.ppf(1 - 1e-12))
    lo = int(max(frozen.ppf(1e-12), frozen.support()[0]))
    ks = np.arange(lo, hi + 1)
    expected = frozen.pmf(ks) * n
    observed = np.array([np.count_nonzero(draws == k) for k in ks], dtype=float)
    expected[0] += frozen.cdf(lo - 1) * n
    expected[-1] += frozen.sf(hi) * n
    observed[0] += np.count_nonzero(draws < lo)
    observed[-1] += np.count_nonzero(draws > hi)
    bins_e, bins_o, acc_e, acc_o = [], [], 0.0, 0.0
    for e, o in zip(expected, observed):
        acc_e, acc_o = acc_e + e, acc_o + o
        if acc_e >= 5.0:
            bins_e.append(acc_e)
            bins_o.append(acc_o)
            acc_e = acc_o = 0.0
    if bins_e:
        bins_e[-1] += acc_e
        bins_o[-1] += acc_o
    if len(bins_e) < 2:
        return 1.0  # (nearly) all the mass on one count: nothing to test beyond the support
    e, o = np.array(bins_e), np.array(bins_o)
    return float(st.chisquare(o, e * o.sum() / e.sum()).pvalue)
