"""Histogram estimators: shared edges, pseudo-counts, Miller-Madow, delta-method errors, bad input."""

from __future__ import annotations

import doctest
import math

import numpy as np
import pytest
from scipy import stats

from anadiv import discrete
from anadiv.estimators import histogram
from anadiv.estimators.histogram import histogram_divergence, histogram_entropy


def test_doctests() -> None:
    result = doctest.testmod(histogram, optionflags=doctest.ELLIPSIS, verbose=False)
    assert result.attempted >= 10 and result.failed == 0


def _dense(x: np.ndarray, y: np.ndarray | None, edges: list[np.ndarray], alpha: float):
    """Every cell listed (np.histogramdd), smoothed: the reference the sparse counting must match."""
    cx = np.histogramdd(x, bins=edges)[0].ravel()
    p = (cx + alpha) / (cx.sum() + cx.size * alpha)
    if y is None:
        return p, None
    cy = np.histogramdd(y, bins=edges)[0].ravel()
    return p, (cy + alpha) / (cy.sum() + cy.size * alpha)


@pytest.mark.parametrize("kind, ref", [("kl", discrete.kl), ("jensen_shannon", discrete.js_divergence)])
@pytest.mark.parametrize("pseudo", [None, "laplace", "jeffreys", 0.25])
def test_matches_every_cell_listed(kind: str, ref, pseudo) -> None:
    # 2-D, unequal explicit edges on one axis, a fine grid with many cells empty in both samples:
    # the merged empty bin must give exactly the sum over the listed cells
    rng = np.random.default_rng(5)
    x = rng.normal(size=(300, 2))
    y = rng.normal(size=(200, 2)) * [1.3, 0.8] + [0.5, 0.0]
    edges = [np.array([-9.0, -2.0, -1.0, -0.3, 0.0, 0.4, 1.5, 9.0]), np.linspace(-6, 6, 25)]
    alpha = {None: 0.0, "laplace": 1.0, "jeffreys": 0.5}.get(pseudo, pseudo)
    p, q = _dense(x, y, edges, alpha)
    est = histogram_divergence(x, y, kind, bins=edges, pseudo_count=pseudo)
    expected = ref(p, q)
    if kind == "kl" and pseudo is None:
        assert math.isinf(expected) and est.value == math.inf and est.warning
        return
    assert est.value == pytest.approx(expected, rel=1e-12)
    assert est.n == 500 and est.method == "histogram"


def test_edges_come_from_the_pooled_sample() -> None:
    rng = np.random.default_rng(1)
    x, y = rng.normal(size=400), rng.normal(2.0, 1.0, size=300)
    pooled = np.concatenate([x, y])
    for rule in ("fd", "scott", "sturges", "sqrt", 17):
        edges = np.histogram_bin_edges(pooled, bins=rule)
        p, q = _dense(x[:, None], y[:, None], [edges], 0.5)
        est = histogram_divergence(x, y, "jensen_shannon", bins=rule, pseudo_count="jeffreys")
        assert est.value == pytest.approx(discrete.js_divergence(p, q), rel=1e-12), rule


def test_range_and_per_axis_rules() -> None:
    rng = np.random.default_rng(2)
    x, y = rng.normal(size=(200, 2)), rng.normal(size=(250, 2)) + 0.3
    pooled = np.concatenate([x, y])
    bounds = [(-5.0, 5.0), None]
    edges = [np.histogram_bin_edges(pooled[:, 0], bins=12, range=bounds[0]),
             np.histogram_bin_edges(pooled[:, 1], bins="sturges")]
    p, q = _dense(x, y, edges, 1.0)
    est = histogram_divergence(x, y, bins=[12, "sturges"], range=bounds, pseudo_count="laplace")
    assert est.value == pytest.approx(discrete.kl(p, q), rel=1e-12)


def _numeric_stderr(x, y, kind, edges, alpha) -> float:
    """sqrt(g' C g) with g the numerical gradient of D in the counts and C the multinomial covariance."""
    cx = np.histogramdd(x, bins=edges)[0].ravel()
    cy = np.histogramdd(y, bins=edges)[0].ravel()
    ref = {"kl": discrete.kl, "jensen_shannon": discrete.js_divergence}[kind]

    def d(a, b):
        return ref((a + alpha) / (a.sum() + a.size * alpha), (b + alpha) / (b.sum() + b.size * alpha))

    var = 0.0
    for counts, which in ((cx, 0), (cy, 1)):
        n = counts.sum()
        grad = np.empty(counts.size)
        h = 1e-5
        for i in range(counts.size):
            up, dn = counts.copy(), counts.copy()
            up[i] += h
            dn[i] -= h
            grad[i] = ((d(up, cy) - d(dn, cy)) if which == 0 else (d(cx, up) - d(cx, dn))) / (2 * h)
        pi = (counts + alpha) / (n + counts.size * alpha)  # the plug-in of the cell probabilities
        cov = n * (np.diag(pi) - np.outer(pi, pi))
        var += grad @ cov @ grad
    return math.sqrt(var)


@pytest.mark.parametrize("kind", ["kl", "jensen_shannon"])
@pytest.mark.parametrize("alpha", [0.0, 0.5])
def test_delta_method_matches_a_numerical_jacobian(kind: str, alpha: float) -> None:
    rng = np.random.default_rng(3)
    x, y = rng.normal(size=(400, 1)), rng.normal(0.7, 1.2, size=(300, 1))
    edges = [np.array([-10.0, -1.5, -0.5, 0.0, 0.5, 1.0, 2.0, 10.0])]
    est = histogram_divergence(x, y, kind, bins=edges, pseudo_count=alpha or None)
    assert est.stderr == pytest.approx(_numeric_stderr(x, y, kind, edges, alpha), rel=1e-5)


def _binned_normal_truth(edges: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    return np.diff(stats.norm.cdf(edges)), np.diff(stats.norm.cdf(edges, loc=1.0))


@pytest.mark.parametrize("kind, ref", [("kl", discrete.kl), ("jensen_shannon", discrete.js_divergence)])
def test_estimates_the_binned_divergence_within_its_error(kind: str, ref) -> None:
    # edges with every cell well filled: the delta method holds; the truth is the BINNED divergence
    edges = np.array([-9.0, -1.0, -0.5, 0.0, 0.5, 1.0, 1.5, 2.0, 10.0])
    rng = np.random.default_rng(11)
    x, y = rng.normal(size=20_000), rng.normal(1.0, 1.0, size=20_000)
    truth = ref(*_binned_normal_truth(edges))
    plain = histogram_divergence(x, y, kind, bins=edges)
    mm = histogram_divergence(x, y, kind, bins=edges, correction="miller-madow")
    bias_bound = abs(plain.value - mm.value)  # the first-order bias itself, O(K / n)
    assert abs(mm.value - truth) < 4 * mm.stderr + bias_bound
    assert abs(plain.value - truth) < 4 * plain.stderr + bias_bound
    assert mm.stderr == plain.stderr
    # the binned KL is below the continuous one (data processing)
    assert truth < (0.5 if kind == "kl" else 0.1125)


def test_infinite_kl_is_honest_and_js_stays_finite() -> None:
    x, y = [0.0, 0.1, 5.0], [0.0, 0.2, 0.3]
    kl_est = histogram_divergence(x, y, bins=2)
    assert kl_est.value == math.inf and "pseudo_count" in kl_est.warning
    assert kl_est.ci() == (math.inf, math.inf)
    js = histogram_divergence(x, y, "jensen_shannon", bins=2)
    assert 0 < js.value < math.log(2) and math.isfinite(js.stderr)
    assert math.isfinite(histogram_divergence(x, y, bins=2, pseudo_count="laplace").value)


def test_miller_madow_negative_is_returned_with_a_warning() -> None:
    x = np.random.default_rng(4).normal(size=50)
    est = histogram_divergence(x, x.copy(), "jensen_shannon", bins=8, correction="miller-madow")
    plain = histogram_divergence(x, x.copy(), "jensen_shannon", bins=8)
    assert plain.value == 0.0 and plain.warning == ""
    assert est.value < 0 and "not clamped" in est.warning


def test_miller_madow_formulas() -> None:
    # the corrections written out on a small table of counts
    x = np.repeat([0.5, 1.5, 2.5], [5, 3, 2])
    y = np.repeat([0.5, 1.5, 2.5], [2, 4, 6])
    edges = [0.0, 1.0, 2.0, 3.0]
    p, q = np.array([5, 3, 2]) / 10, np.array([2, 4, 6]) / 12
    kl_mm = discrete.kl(p, q) - (3 - 1) / 20 - (np.sum(p / q) - 1) / 24
    assert histogram_divergence(x, y, bins=edges, correction="miller-madow").value == pytest.approx(kl_mm, rel=1e-13)
    mid = (p + q) / 2
    js_bias = 2 / 40 + 2 / 48 - np.sum((p * (1 - p) / 10 + q * (1 - q) / 12) / mid) / 8
    js_mm = histogram_divergence(x, y, "jensen_shannon", bins=edges, correction="miller-madow").value
    assert js_mm == pytest.approx(discrete.js_divergence(p, q) - js_bias, rel=1e-13)


def test_base_two_gives_bits() -> None:
    rng = np.random.default_rng(6)
    x, y = rng.normal(size=300), rng.normal(0.5, 1.0, size=300)
    nats = histogram_divergence(x, y, "jensen_shannon", bins=10)
    bits = histogram_divergence(x, y, "jensen_shannon", bins=10, base=2)
    assert bits.value == pytest.approx(nats.value / math.log(2), rel=1e-13)
    assert bits.stderr == pytest.approx(nats.stderr / math.log(2), rel=1e-13)
    assert histogram_entropy(x, bins=10, base=2).value == pytest.approx(
        histogram_entropy(x, bins=10).value / math.log(2), rel=1e-13)


@pytest.mark.parametrize("pseudo", [None, "laplace", 0.3])
def test_entropy_matches_every_cell_listed(pseudo) -> None:
    rng = np.random.default_rng(7)
    x = rng.normal(size=(400, 2))
    edges = [np.array([-8.0, -1.0, -0.2, 0.1, 1.0, 2.5, 8.0]), np.array([-7.0, -3.0, -1.0, 0.0, 0.5, 7.0])]
    alpha = {None: 0.0, "laplace": 1.0}.get(pseudo, pseudo)
    p, _ = _dense(x, None, edges, alpha)
    log_vol = (np.log(np.diff(edges[0]))[:, None] + np.log(np.diff(edges[1]))[None, :]).ravel()
    keep = p > 0
    g = np.log(p[keep]) - log_vol[keep]
    value = -np.dot(p[keep], g)
    var = np.dot(p[keep], (g + value) ** 2)
    alpha_total = 400 + p.size * alpha
    est = histogram_entropy(x, bins=edges, pseudo_count=pseudo)
    assert est.value == pytest.approx(value, rel=1e-12)
    assert est.stderr == pytest.approx(math.sqrt(400 * var) / alpha_total, rel=1e-9)
    mm = histogram_entropy(x, bins=edges, correction="miller-madow")
    if pseudo is None:
        assert mm.value == pytest.approx(value + (np.count_nonzero(p) - 1) / 800, rel=1e-12)


def test_entropy_of_a_uniform_sample() -> None:
    x = np.random.default_rng(8).uniform(0.0, 2.0, size=(5000, 2))
    est = histogram_entropy(x, bins=5, range=[(0.0, 2.0), (0.0, 2.0)], correction="miller-madow")
    # log of the area; the binned uniform has the same entropy, Miller-Madow leaves an O(K^2/n^2) bias
    assert abs(est.value - math.log(4.0)) < 4 * est.stderr + 1e-3


def _bad_calls():
    x, y = np.zeros((10, 2)) + np.arange(10)[:, None], np.ones((12, 2)) + np.arange(12)[:, None]
    nan = x.copy()
    nan[3, 1] = np.nan
    return [
        ("x", lambda: histogram_divergence(nan, y)),
        ("y", lambda: histogram_divergence(x, y[:, :1])),
        ("y", lambda: histogram_divergence(x, [])),
        ("x", lambda: histogram_entropy([[1.0, 2.0, 3.0]] * 0)),
        ("x", lambda: histogram_divergence("abc", y)),
        ("kind", lambda: histogram_divergence(x, y, "hellinger")),
        ("kind", lambda: histogram_divergence(x, y, 2)),
        ("bins", lambda: histogram_divergence(x, y, bins="freedman")),
        ("bins", lambda: histogram_divergence(x, y, bins=0)),
        ("bins", lambda: histogram_divergence(x, y, bins=2.5)),
        ("bins", lambda: histogram_divergence(x, y, bins=[3, 4, 5])),
        ("bins", lambda: histogram_divergence(x[:, 0], y[:, 0], bins=[0.0, 2.0, 1.0])),
        ("bins", lambda: histogram_divergence(x[:, 0], y[:, 0], bins=[0.0, 5.0])),  # points beyond the edges
        ("bins", lambda: histogram_divergence(x[:, 0], y[:, 0], bins=[0.0, np.inf])),
        ("bins", lambda: histogram_divergence(x[:, 0], y[:, 0], bins=True)),
        ("bins", lambda: histogram_divergence(x, y, bins=2**40)),  # refused before any edge is computed
        ("bins", lambda: histogram_divergence(np.ones((3, 4)), np.ones((3, 4)), bins=10**5)),  # 1e20 cells
        ("range", lambda: histogram_divergence(x[:, 0], y[:, 0], range=(0.0, 3.0))),
        ("range", lambda: histogram_divergence(x[:, 0], y[:, 0], range=(5.0, 1.0))),
        ("range", lambda: histogram_divergence(x[:, 0], y[:, 0], range=("0", "20"))),
        ("range", lambda: histogram_divergence(x[:, 0], y[:, 0], range=(0.0, np.nan))),
        ("range", lambda: histogram_divergence(x, y, range=(0.0, 30.0))),
        ("range", lambda: histogram_divergence(x[:, 0], y[:, 0], bins=[0.0, 30.0], range=(0.0, 30.0))),
        ("pseudo_count", lambda: histogram_divergence(x, y, pseudo_count="add-one")),
        ("pseudo_count", lambda: histogram_divergence(x, y, pseudo_count=-1.0)),
        ("pseudo_count", lambda: histogram_divergence(x, y, pseudo_count="1")),
        ("pseudo_count", lambda: histogram_divergence(x, y, pseudo_count=math.nan)),
        ("correction", lambda: histogram_divergence(x, y, correction="mm")),
        ("correction", lambda: histogram_divergence(x, y, correction="miller-madow", pseudo_count="laplace")),
        ("correction", lambda: histogram_entropy(x, correction=True)),
        ("base", lambda: histogram_divergence(x, y, base=1)),
        ("base", lambda: histogram_divergence(x, y, base="e")),
        ("base", lambda: histogram_entropy(x, base=-2)),
    ]


@pytest.mark.parametrize("name, call", _bad_calls(), ids=[f"{n}-{i}" for i, (n, _) in enumerate(_bad_calls())])
def test_bad_input_names_the_argument(name: str, call) -> None:
    with pytest.raises(ValueError, match=rf"^{name}:"):
        call()


def test_data_on_the_last_edge_is_counted() -> None:
    # numpy's convention: the last bin holds its right edge
    est = histogram_divergence([0.0, 1.0, 2.0], [0.0, 2.0, 2.0], bins=[0.0, 1.0, 2.0], pseudo_count="laplace")
    p, q = np.array([1 + 1, 2 + 1]) / 5, np.array([1 + 1, 2 + 1]) / 5
    assert est.value == pytest.approx(discrete.kl(p, q), abs=1e-15)


def test_huge_sparse_grid_costs_memory_in_points_not_cells() -> None:
    # 10^12 cells: only the occupied ones are stored
    rng = np.random.default_rng(9)
    x, y = rng.normal(size=(100, 3)), rng.normal(size=(100, 3))
    est = histogram_divergence(x, y, "jensen_shannon", bins=10_000, pseudo_count="jeffreys")
    assert histogram._grid(np.concatenate([x, y]), 10_000, None).cells == 10**12
    # every point in a cell of its own: without smoothing no cell is shared, JS = log 2
    assert histogram_divergence(x, y, "jensen_shannon", bins=10_000).value == pytest.approx(math.log(2), rel=1e-12)
    # with it, 200 cells hold (1.5, 0.5) or (0.5, 1.5) half-counts out of N, the 10^12 - 200 others are equal
    total = 100 + 0.5e12
    per_cell = 0.5 * (1.5 * math.log(2 * 1.5 / 2) + 0.5 * math.log(2 * 0.5 / 2)) / total
    assert est.value == pytest.approx(200 * per_cell, rel=1e-9) and math.isfinite(est.stderr)
