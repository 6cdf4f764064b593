"""Labelled input (pandas Series and DataFrames) in anadiv.discrete (issue 10).

Two labelled arguments are paired by label, as pandas arithmetic pairs them;
label sets that differ are refused with a ValueError naming the argument.
Labelled objects are recognised by duck typing (``.index`` and
``.to_numpy``), so the logic is tested here with a small stand-in class and,
where pandas is installed, with pandas itself.
"""

from __future__ import annotations

import numpy as np
import pytest

from anadiv.discrete import cross_entropy, js_distance, js_divergence, kl, pairwise

TWO = [kl, js_divergence, js_distance, cross_entropy]


class Labelled:
    """The part of a pandas Series / DataFrame that anadiv.discrete looks at."""

    def __init__(self, values, index, columns=None):
        self._values = np.asarray(values, dtype=float)
        self.index = list(index)
        if columns is not None:
            self.columns = list(columns)

    def to_numpy(self):
        return self._values.copy()


P = {"a": 0.1, "b": 0.4, "c": 0.5}
Q = {"a": 0.8, "b": 0.15, "c": 0.05}


def series(d, order):
    return Labelled([d[k] for k in order], order)


@pytest.mark.parametrize("func", TWO)
def test_same_labels_in_another_order_are_paired_by_label(func):
    # issue 10: kl of two Series with the same labels in another order returned 0.0
    p = series(P, "abc")
    q_shuffled = series(Q, "cab")
    expected = func(list(P.values()), list(Q.values()))
    assert func(p, q_shuffled) == expected
    assert func(series(P, "bca"), q_shuffled) == expected
    same = series(P, "cba")
    assert func(p, same) == func(list(P.values()), list(P.values()))  # 0 but for cross_entropy


@pytest.mark.parametrize("func", TWO)
def test_different_label_sets_are_refused(func):
    p = series(P, "abc")
    q = Labelled([0.8, 0.15, 0.05], ["a", "b", "z"])
    with pytest.raises(ValueError, match=r"^q: labels along axis -1 differ from p's \(1 of 3 not in p; e\.g\. 'c' is only in p\)"):
        func(p, q)


def test_duplicate_labels_are_refused():
    p = Labelled([0.1, 0.4, 0.5], ["a", "a", "b"])
    q = Labelled([0.8, 0.15, 0.05], ["a", "b", "a"])
    with pytest.raises(ValueError, match=r"^q: labels along axis -1 are not unique"):
        kl(p, q)


def test_one_labelled_argument_is_taken_by_position():
    p = series(P, "abc")
    q = [0.05, 0.8, 0.15]  # plain values: their order is the caller's
    assert kl(p, q) == kl([0.1, 0.4, 0.5], q)
    assert kl(q, p) == kl(q, [0.1, 0.4, 0.5])


def test_frames_are_paired_along_both_axes():
    rows = ["x", "y"]
    values = np.array([[0.1, 0.4, 0.5], [0.3, 0.3, 0.4]])
    other = np.array([[0.8, 0.15, 0.05], [0.2, 0.2, 0.6]])
    p = Labelled(values, rows, columns="abc")
    # q: rows and columns in another order
    q = Labelled(other[::-1][:, [2, 0, 1]], rows[::-1], columns="cab")
    np.testing.assert_array_equal(kl(p, q), kl(values, other))
    # a Series against a frame pairs its index with the columns, as pandas does
    s = Labelled([0.05, 0.8, 0.15], "cab")
    np.testing.assert_array_equal(js_divergence(p, s), js_divergence(values, [0.8, 0.15, 0.05]))
    with pytest.raises(ValueError, match=r"^q: labels along axis -2 differ from p's"):
        kl(p, Labelled(other, ["x", "w"], columns="abc"))


def test_frames_with_probabilities_down_the_columns():
    values = np.array([[0.1, 0.8], [0.4, 0.15], [0.5, 0.05]])  # two distributions in columns
    p = Labelled(values, "abc", columns=["u", "v"])
    q = Labelled(values[[1, 2, 0]], "bca", columns=["u", "v"])
    np.testing.assert_array_equal(kl(p, q, axis=0), [0.0, 0.0])


def test_pairwise_pairs_the_bins_by_label_not_the_distributions():
    x = np.array([[0.1, 0.4, 0.5], [0.8, 0.15, 0.05]])
    y = np.array([[0.3, 0.3, 0.4], [0.2, 0.2, 0.6], [0.5, 0.25, 0.25]])
    dists = Labelled(x, ["d1", "d2"], columns="abc")
    q = Labelled(y[:, [1, 2, 0]], ["e1", "e2", "e3"], columns="bca")  # other rows: never matched with dists'
    np.testing.assert_array_equal(pairwise("kl", dists, q=q), pairwise("kl", x, q=y))
    with pytest.raises(ValueError, match=r"^q: labels along axis -1 differ from dists'"):
        pairwise("kl", dists, q=Labelled(y, ["e1", "e2", "e3"], columns="abz"))
    # probabilities down the columns: the index holds the bins
    dists_t = Labelled(x.T, "abc", columns=["d1", "d2"])
    q_t = Labelled(y.T[[2, 0, 1]], "cab", columns=["e1", "e2", "e3"])
    np.testing.assert_array_equal(pairwise("js_distance", dists_t, q=q_t, axis=0), pairwise("js_distance", x, q=y))


# -------------------------------------------------------------- with pandas


def test_pandas_series_and_frames():
    pd = pytest.importorskip("pandas")
    p = pd.Series(P)
    q = pd.Series(Q)[["c", "a", "b"]]
    assert kl(p, q) == kl(list(P.values()), list(Q.values()))
    assert kl(p, q) > 0.0
    with pytest.raises(ValueError, match=r"^q: labels along axis -1 differ"):
        kl(p, pd.Series({"a": 0.8, "b": 0.15, "z": 0.05}))
    frame_p = pd.DataFrame([P, Q], index=["r1", "r2"])
    frame_q = pd.DataFrame([Q, P], index=["r2", "r1"])[["b", "c", "a"]]
    np.testing.assert_array_equal(kl(frame_p, frame_q), [0.0, 0.0])
    np.testing.assert_array_equal(pairwise("kl", frame_p, q=frame_q[["c", "a", "b"]]), pairwise("kl", frame_p, q=frame_q))
