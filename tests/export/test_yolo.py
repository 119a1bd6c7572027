"""Ultralytics YOLO pose export: our parser and sleap-io's reader."""

from __future__ import annotations

import numpy as np
import sleap_io as sio
import yaml
from export_fixtures import CAMERAS, OPENFIELD, assert_xy_equal, expected_labels, expected_multi_labels

from simgen.export.registry import export
from simgen.export.yolo import PIXEL_CENTER_SHIFT, read_yolo_instances, read_yolo_labels


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


def test_yolo_several_animals_one_line_each(multi_dataset, tmp_path):
    path = export("yolo", multi_dataset, tmp_path / "y", camera="top")
    _, exp = expected_multi_labels(multi_dataset, "top")  # (frames, animals, K, 3)
    w, h = CAMERAS["top"][:2]
    files = sorted((path.parent / "train/labels").glob("*.txt"))
    assert len(files) == len(exp) == 4
    counts = []
    for f, p in enumerate(files):
        got = read_yolo_instances(p, w, h, exp.shape[2])
        in_view = [a for a in range(exp.shape[1]) if (exp[f, a, :, 2] > 0).any()]  # dataset order
        counts.append(len(got))
        assert len(got) == len(in_view)
        assert_xy_equal(got[..., :2], exp[f, in_view, :, :2])
        np.testing.assert_array_equal(got[..., 2], exp[f, in_view, :, 2])
        assert all(line.split()[0] == "0" for line in p.read_text().splitlines())  # one class, no identity
    assert counts == [3, 2, 3, 0]  # mouse1 out of view in frame 1; frame 3 a background image
    labels = sio.load_ultralytics(str(path.parent), split="train")
    assert sorted(len(lf.instances) for lf in labels.labeled_frames) == [0, 2, 3, 3]
