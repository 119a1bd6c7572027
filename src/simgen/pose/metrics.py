"""Pose accuracy metrics of keypoint distances in pixels, one definition for every caller:
``pose evaluate`` (``evaluate.summarize``) and the sweep's analysis and report.

Pure numpy (no torch), so the sweep imports it without the trainer. A distance is NaN where
the keypoint is not labeled; every metric ignores those. PCK@t is the share of labeled
keypoints within t px.
"""

from __future__ import annotations

import numpy as np

from simgen.choices import Metric, names


def metric_values(d: np.ndarray, metric: Metric) -> np.ndarray:
    """The metric over the last axis of ``d`` (NaN ignored); NaN where nothing is labeled."""
    ok = np.isfinite(d)
    n = ok.sum(axis=-1)
    with np.errstate(all="ignore"):
        if metric == "mean_error":
            v = np.nansum(d, axis=-1) / n
        elif metric == "rmse":
            v = np.sqrt(np.nansum(d**2, axis=-1) / n)
        elif metric == "median_error":
            v = np.nanmedian(np.where(ok, d, np.nan), axis=-1) if d.size else np.full(d.shape[:-1], np.nan)
        elif metric in ("pck5", "pck10"):
            t = 5.0 if metric == "pck5" else 10.0
            v = (np.where(ok, d, np.inf) <= t).sum(axis=-1) / n
        else:
            raise ValueError(f"unknown metric {metric!r}; choices: {', '.join(names(Metric))}")
    return np.where(n > 0, v, np.nan)


def metric(d: np.ndarray, name: Metric) -> float:
    """One metric over every entry of ``d`` (NaN when nothing is labeled)."""
    return float(metric_values(np.asarray(d, float).reshape(1, -1), name)[0])
