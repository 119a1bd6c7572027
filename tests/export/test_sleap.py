"""SLEAP export, read back with sleap-io."""

from __future__ import annotations

import numpy as np
import sleap_io as sio
from export_fixtures import assert_xy_equal, expected_labels
from PIL import Image

from simgen.export.registry import export


def test_sleap_round_trip_with_sleap_io(dataset_dir, tmp_path):
    slp = export("sleap", dataset_dir, tmp_path / "out", camera="side")
    names, exp = expected_labels(dataset_dir, "side")
    for path in (slp, tmp_path / "out" / "labels.pkg.slp"):
        labels = sio.load_slp(str(path))
        assert [n.name for n in labels.skeleton.nodes] == names
        assert len(labels.labeled_frames) == 4
        xy = np.stack([lf.instances[0].numpy() for lf in labels.labeled_frames])
        vis = np.stack([lf.instances[0].points["visible"] for lf in labels.labeled_frames])
        assert_xy_equal(xy, exp[..., :2])
        np.testing.assert_array_equal(vis, exp[..., 2] > 0)  # occluded kept -> visible
    pkg = sio.load_slp(str(tmp_path / "out" / "labels.pkg.slp"))
    img = pkg.labeled_frames[1].image
    ref = np.asarray(Image.open(dataset_dir / "images/side/000001.png"))
    np.testing.assert_array_equal(img, ref)  # embedded losslessly


def test_sleap_drop_unlabels_occluded(dataset_dir, tmp_path):
    slp = export("sleap", dataset_dir, tmp_path / "out", camera="side", occluded="drop")
    names, exp = expected_labels(dataset_dir, "side", "drop")
    labels = sio.load_slp(str(slp))
    vis = np.stack([lf.instances[0].points["visible"] for lf in labels.labeled_frames])
    np.testing.assert_array_equal(vis, exp[..., 2] > 0)
    xy = np.stack([lf.instances[0].numpy() for lf in labels.labeled_frames])
    assert_xy_equal(xy, exp[..., :2])
