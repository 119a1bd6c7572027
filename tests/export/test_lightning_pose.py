"""lightning-pose export: the CSV as lightning-pose parses it (3-row header, visible column)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import yaml
from export_fixtures import OPENFIELD, assert_xy_equal, expected_labels

from simgen.export.registry import export


def test_lightning_pose_csv_and_snippet(dataset_dir, tmp_path):
    csv = export("lightning-pose", dataset_dir, tmp_path / "lp", camera="top", keypoints="openfield_dlc")
    # lightning-pose: pd.read_csv(csv, header=[0, 1, 2], index_col=0), keypoints where coords == 'x'
    df = pd.read_csv(csv, header=[0, 1, 2], index_col=0)
    names, exp = expected_labels(dataset_dir, "top", "keep", OPENFIELD)
    assert [b[1] for b in df.columns if b[2] == "x"] == names
    assert [b[2] for b in df.columns][:3] == ["x", "y", "visible"]
    raw = df.to_numpy().reshape(len(df), -1, 3)
    assert_xy_equal(raw[..., :2], exp[..., :2])
    np.testing.assert_array_equal(raw[..., 2], exp[..., 2])
    for name in df.index:
        assert (csv.parent / name).is_file()
    snippet = yaml.safe_load((csv.parent / "config_snippet.yaml").read_text())["data"]
    assert snippet["num_keypoints"] == 4 and snippet["keypoint_names"] == names
    assert snippet["image_orig_dims"] == {"height": 48, "width": 64}
    assert snippet["image_resize_dims"]["height"] % 128 == 0
    assert (csv.parent / snippet["csv_file"]) == csv


def test_lightning_pose_drop(dataset_dir, tmp_path):
    csv = export("lightning-pose", dataset_dir, tmp_path / "lp", camera="side", occluded="drop")
    raw = pd.read_csv(csv, header=[0, 1, 2], index_col=0).to_numpy().reshape(4, -1, 3)
    _, exp = expected_labels(dataset_dir, "side", "drop")
    np.testing.assert_array_equal(raw[..., 2], exp[..., 2])
    assert_xy_equal(raw[..., :2], exp[..., :2])
