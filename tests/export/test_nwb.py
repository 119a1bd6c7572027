"""NWB export (sleap-io writer), read back with pynwb + ndx-pose."""

from __future__ import annotations

import numpy as np
from export_fixtures import OPENFIELD, assert_xy_equal, expected_labels

from simgen.export.nwb import read_nwb_points
from simgen.export.registry import export


def test_nwb_round_trip(dataset_dir, tmp_path):
    path = export("nwb", dataset_dir, tmp_path / "n", camera="top", keypoints="openfield_dlc", occluded="drop")
    xy, vis, names = read_nwb_points(path)
    enames, exp = expected_labels(dataset_dir, "top", "drop", OPENFIELD)
    assert names == enames
    assert_xy_equal(xy, exp[..., :2])
    np.testing.assert_array_equal(vis, exp[..., 2] > 0)


def test_nwb_keeps_occluded_as_visible_and_skips_out_of_view(edge_dataset, tmp_path):
    path = export("nwb", edge_dataset, tmp_path / "n")
    xy, vis, _ = read_nwb_points(path)
    _, exp = expected_labels(edge_dataset, "top")
    exp = exp[[0, 1, 3, 4]]  # frame 2: the animal is out of view, no training frame
    assert_xy_equal(xy, exp[..., :2])
    np.testing.assert_array_equal(vis, exp[..., 2] > 0)  # sleap-io would NaN a not-visible point
