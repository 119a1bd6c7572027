import json

import numpy as np
import pytest

from simgen.pose.evaluate import metrics


def test_metrics_on_hand_made_predictions_are_exact():
    # Two frames, two keypoints. Errors: 3-4-5 triangle, 0, 12 (occluded), unlabeled.
    gt = np.array([
        [[10.0, 10.0, 2], [50.0, 50.0, 2]],
        [[20.0, 20.0, 1], [np.nan, np.nan, 0]],
    ])
    pred = np.array([
        [[13.0, 14.0], [50.0, 50.0]],
        [[32.0, 20.0], [99.0, 99.0]],
    ])
    m = metrics(pred, gt, ["a", "b"])
    d = np.array([5.0, 0.0, 12.0])
    assert m["all"]["n"] == 3
    assert m["all"]["rmse"] == pytest.approx(np.sqrt(np.mean(d**2)))
    assert m["all"]["mean_error"] == pytest.approx(17 / 3)
    assert m["all"]["median_error"] == pytest.approx(5.0)
    assert m["all"]["pck5"] == pytest.approx(2 / 3)
    assert m["all"]["pck10"] == pytest.approx(2 / 3)
    assert m["visible"]["n"] == 2
    assert m["visible"]["rmse"] == pytest.approx(np.sqrt(12.5))
    assert m["per_keypoint"]["a"]["mean_error"] == pytest.approx(8.5)
    assert m["per_keypoint"]["b"] == {"n": 1, "rmse": 0.0, "mean_error": 0.0, "median_error": 0.0,
                                      "pck5": 1.0, "pck10": 1.0}
    json.dumps(m)  # plain Python numbers
