"""Ultralytics YOLO pose export: our parser and sleap-io's reader."""

from __future__ import annotations

import numpy as np
import sleap_io as sio
import yaml
from export_fixtures import OPENFIELD, assert_xy_equal, expected_labels

from simgen.export.registry import export
from simgen.export.yolo import PIXEL_CENTER_SHIFT, read_yolo_labels


def test_yolo_round_trip(dataset_dir, tmp_path):
    path = export("yolo", dataset_dir, tmp_path / "y", camera="top", keypoints="openfield_dlc")
    data = yaml.safe_load(path.read_text())
    assert data["kpt_shape"] == [4, 3]
    assert data["flip_idx"] == [0, 2, 1, 3]  # leftear <-> rightear
    names, exp = expected_labels(dataset_dir, "top", "keep", OPENFIELD)
    root = path.parent
    images = sorted((root / "train/images").glob("*.png"))
    assert len(images) == 4
    got = np.stack([read_yolo_labels(root / "train/labels" / f"{p.stem}.txt", 64, 48, 4) for p in images])
    assert_xy_equal(got[..., :2], exp[..., :2])
    np.testing.assert_array_equal(got[..., 2], exp[..., 2])
    # every field of a line lies in [0, 1]
    for p in (root / "train/labels").glob("*.txt"):
        vals = np.asarray(p.read_text().split()[1:], float)
        assert ((vals >= 0) & (vals <= 2)).all()
        assert ((vals.reshape(-1)[:4] >= 0) & (vals[:4] <= 1)).all()
    # sleap-io's reader gives corner-origin pixels: ours + 0.5
    labels = sio.load_ultralytics(str(root), split="train")
    assert [n.name for n in labels.skeletons[0].nodes] == names
    xy = np.stack([lf.instances[0].numpy() for lf in labels.labeled_frames])
    assert_xy_equal(xy - PIXEL_CENTER_SHIFT, exp[..., :2])


def test_yolo_drop(dataset_dir, tmp_path):
    path = export("yolo", dataset_dir, tmp_path / "y", camera="side", occluded="drop")
    _, exp = expected_labels(dataset_dir, "side", "drop")
    got = np.stack([
        read_yolo_labels(path.parent / "train/labels" / f"img{f:06d}.txt", 80, 60, exp.shape[1]) for f in range(4)
    ])
    np.testing.assert_array_equal(got[..., 2], exp[..., 2])
    assert_xy_equal(got[..., :2], exp[..., :2])
