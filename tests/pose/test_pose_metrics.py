"""pose.metrics: the one definition of the pose metrics, read by pose evaluate and the sweep."""

from __future__ import annotations

import numpy as np
import pytest

from simgen.pose.metrics import metric, metric_values


def test_metrics_of_distances_ignore_unlabeled_entries():
    d = np.array([1.0, 4.0, np.nan, 6.0, 12.0])
    ok = d[np.isfinite(d)]
    # the formulas pose evaluate used before (exact: same sums in the same order)
    assert metric(d, "mean_error") == float(np.mean(ok)) == 5.75
    assert metric(d, "rmse") == float(np.sqrt(np.mean(ok**2)))
    assert metric(d, "median_error") == float(np.median(ok)) == 5.0
    assert (metric(d, "pck5"), metric(d, "pck10")) == (0.5, 0.75)
    assert np.isnan(metric(np.array([np.nan]), "rmse"))


def test_metric_values_per_row_and_unknown_name():
    d = np.array([[1.0, 3.0], [np.nan, np.nan]])
    v = metric_values(d, "mean_error")
    assert v[0] == 2.0 and np.isnan(v[1])
    with pytest.raises(ValueError, match="unknown metric 'mae'; choices: mean_error"):
        metric_values(d, "mae")


def test_evaluate_summarize_reads_the_same_metrics():
    from simgen.pose.evaluate import summarize

    d = np.array([0.5, 7.0, np.nan, 11.0])
    s = summarize(d)
    assert s == {"n": 3, **{k: metric(d, k) for k in ("rmse", "mean_error", "median_error", "pck5", "pck10")}}
    assert summarize(np.array([np.nan])) == {"n": 0, "rmse": None, "mean_error": None, "median_error": None,
                                             "pck5": None, "pck10": None}
