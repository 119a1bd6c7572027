"""COCO keypoints export: json and sleap-io's COCO reader."""

from __future__ import annotations

import json

import numpy as np
import sleap_io as sio
from export_fixtures import OPENFIELD, assert_xy_equal, expected_labels

from simgen.export.registry import export


def test_coco_round_trip(dataset_dir, tmp_path):
    path = export("coco", dataset_dir, tmp_path / "c", camera="top", keypoints="openfield_dlc")
    data = json.loads(path.read_text())
    names, exp = expected_labels(dataset_dir, "top", "keep", OPENFIELD)
    (cat,) = data["categories"]
    assert cat["keypoints"] == names
    assert [1, 2] in cat["skeleton"]  # snout-leftear, 1-based
    assert len(data["images"]) == len(data["annotations"]) == 4
    for img, ann in zip(data["images"], data["annotations"]):
        assert (path.parent / img["file_name"]).is_file()
        assert (img["width"], img["height"]) == (64, 48)
        kp = np.asarray(ann["keypoints"], float).reshape(-1, 3)
        e = exp[img["id"] - 1]
        np.testing.assert_array_equal(kp[:, 2], e[:, 2])  # v 0/1/2 preserved
        assert (kp[e[:, 2] == 0, :2] == 0).all()  # COCO: unlabeled at 0, 0
        lab = e[:, 2] > 0
        assert np.abs(kp[lab, :2] - e[lab, :2]).max() <= 1e-4
        assert ann["num_keypoints"] == int(lab.sum())
        x, y, w, h = ann["bbox"]
        assert w > 0 and h > 0
    # sleap-io's reader (coordinates; it folds v 1 and 2 into "visible")
    labels = sio.load_coco(str(path))
    xy = np.stack([lf.instances[0].numpy() for lf in labels.labeled_frames])
    assert_xy_equal(xy, exp[..., :2])


def test_coco_drop(dataset_dir, tmp_path):
    path = export("coco", dataset_dir, tmp_path / "c", camera="side", occluded="drop")
    data = json.loads(path.read_text())
    v = np.array([np.asarray(a["keypoints"]).reshape(-1, 3)[:, 2] for a in data["annotations"]])
    _, exp = expected_labels(dataset_dir, "side", "drop")
    np.testing.assert_array_equal(v, exp[..., 2])
    assert not (v == 1).any()
