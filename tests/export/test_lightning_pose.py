"""lightning-pose export: the CSV as lightning-pose 2.4 parses it (3-row header, visible
column), the snippet's paths as its checks resolve them, names its flip can pair."""

from __future__ import annotations

import os

import numpy as np
import pandas as pd
import pytest
import yaml
from export_fixtures import OPENFIELD, assert_xy_equal, expected_labels

from simgen.errors import SimgenError
from simgen.export.lightning_pose import flip_names
from simgen.export.registry import export


def _read(csv):
    # lightning-pose: pd.read_csv(csv, header=[0, 1, 2], index_col=0), keypoints where coords == 'x'
    df = pd.read_csv(csv, header=[0, 1, 2], index_col=0)
    return df, [b[1] for b in df.columns if b[2] == "x"], df.to_numpy().reshape(len(df), -1, 3)


def _lp_hflip_pairs(names):
    """lightning-pose's ``_build_hflip_swap_indices``: pairs names ending in _left/_right."""
    left = {n[:-5]: i for i, n in enumerate(names) if n.endswith("_left")}
    right = {n[:-6]: i for i, n in enumerate(names) if n.endswith("_right")}
    assert set(left) == set(right), "lightning-pose raises ValueError on unmatched sides"
    return {(names[left[b]], names[right[b]]) for b in left}


def test_lightning_pose_csv_snippet_and_flip_names(edge_dataset, tmp_path):
    csv = export("lightning-pose", edge_dataset, tmp_path / "lp", keypoints="openfield_dlc")
    df, names, raw = _read(csv)
    _, exp = expected_labels(edge_dataset, "top", "keep", OPENFIELD)
    assert names == ["snout", "ear_left", "ear_right", "tailbase"]  # leftear/rightear renamed
    assert _lp_hflip_pairs(names) == {("ear_left", "ear_right")}
    assert [b[2] for b in df.columns][:3] == ["x", "y", "visible"]
    np.testing.assert_array_equal(raw[..., 2], exp[..., 2])  # occluded kept as visible=1
    occ = raw[..., 2] == 1
    assert occ.any()
    # no "visible=1 with coordinates" warning: occluded points carry no x, y
    assert np.isnan(raw[occ, :2]).all()
    expected_xy = exp[..., :2].copy()
    expected_xy[occ] = np.nan
    assert_xy_equal(raw[..., :2], expected_xy)
    assert np.isnan(raw[2, :, :2]).all() and (raw[2, :, 2] == 0).all()  # out of view
    # exactly one of x, y NaN is an error in lightning-pose
    assert (np.isnan(raw[..., 0]) == np.isnan(raw[..., 1])).all()

    snippet = yaml.safe_load((csv.parent / "config_snippet.yaml").read_text())
    data = snippet["data"]
    assert data["num_keypoints"] == 4 and data["keypoint_names"] == names
    assert data["image_orig_dims"] == {"height": 48, "width": 64}
    assert data["image_resize_dims"]["height"] % 128 == 0
    # lightning-pose's return_absolute_data_paths: data_dir absolute, video_dir joined to it
    assert os.path.isabs(data["data_dir"]) and os.path.isdir(data["data_dir"])
    video_dir = os.path.join(data["data_dir"], data["video_dir"])
    assert os.path.isdir(video_dir)
    for name in df.index:  # image paths relative to data_dir
        assert os.path.isfile(os.path.join(data["data_dir"], name))
    assert os.path.join(data["data_dir"], data["csv_file"]) == str(csv.resolve())
    assert snippet["simgen"]["renamed"] == {"leftear": "ear_left", "rightear": "ear_right"}


def test_lightning_pose_drop_overrides(dataset_dir, tmp_path):
    csv = export("lightning-pose", dataset_dir, tmp_path / "lp", camera="side", occluded="drop")
    _, names, raw = _read(csv)
    _, exp = expected_labels(dataset_dir, "side", "drop")
    np.testing.assert_array_equal(raw[..., 2], exp[..., 2])
    assert_xy_equal(raw[..., :2], exp[..., :2])
    # the dataset's own left/right pairs become *_left/*_right; other sided names too
    # only where the keypoint set pairs them
    assert "ear_base_left" in names and "ear_tip_right" in names
    assert "left_eye" in names  # not a swap pair in this dataset: left as is


def test_flip_names_refuses_what_lightning_pose_would_reject():
    assert flip_names(["a", "fore_left_paw", "fore_right_paw"], [("fore_left_paw", "fore_right_paw")]) == {
        "fore_left_paw": "fore_paw_left", "fore_right_paw": "fore_paw_right"}
    with pytest.raises(SimgenError, match="without a swap pair"):
        flip_names(["paw_left", "x"], [])
