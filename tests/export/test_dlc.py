"""DeepLabCut export: loads with DeepLabCut's own pandas calls; round trip."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import yaml
from export_fixtures import OPENFIELD, assert_xy_equal, expected_labels

from simgen.export import dlc
from simgen.export.labels import read_dlc
from simgen.export.registry import export


@pytest.mark.parametrize("occluded", ["keep", "drop"])
def test_dlc_project_loads_like_deeplabcut(dataset_dir, tmp_path, occluded):
    out = tmp_path / "proj"
    cfg_path = export("dlc", dataset_dir, out, camera="top", keypoints="openfield_dlc", occluded=occluded)
    cfg = yaml.safe_load(cfg_path.read_text())
    for key in ("Task", "scorer", "date", "project_path", "video_sets", "bodyparts", "skeleton",
                "TrainingFraction", "default_net_type", "engine"):
        assert key in cfg, key
    assert cfg["bodyparts"] == ["snout", "leftear", "rightear", "tailbase"]
    assert cfg["project_path"] == str(out.resolve())
    assert cfg["multianimalproject"] is False
    (video,) = cfg["video_sets"]
    set_name = video.rsplit("/", 1)[1].removesuffix(".mp4")
    folder = out / "labeled-data" / set_name
    assert folder.is_dir()
    assert cfg["video_sets"][video]["crop"] == "0, 64, 0, 48"

    # What DeepLabCut does: read_hdf of CollectedData_<scorer>.h5 under key df_with_missing.
    h5 = folder / f"CollectedData_{cfg['scorer']}.h5"
    df = pd.read_hdf(h5, "df_with_missing")
    assert list(df.columns.names) == ["scorer", "bodyparts", "coords"]
    assert set(df.columns.get_level_values("scorer")) == {cfg["scorer"]}
    assert list(dict.fromkeys(df.columns.get_level_values("bodyparts"))) == cfg["bodyparts"]
    assert df.index.nlevels == 3
    for key in df.index:
        assert key[0] == "labeled-data" and key[1] == set_name
        assert (out / key[0] / key[1] / key[2]).is_file()
    names, exp = expected_labels(dataset_dir, "top", occluded, OPENFIELD)
    xy = df.to_numpy().reshape(len(df), 4, 2)
    assert_xy_equal(xy, exp[..., :2])
    # copied images are the dataset's bytes
    assert (folder / "img000002.png").read_bytes() == (dataset_dir / "images/top/000002.png").read_bytes()

    # the CSV says the same, with DeepLabCut's 3-row header
    csv = pd.read_csv(h5.with_suffix(".csv"), header=[0, 1, 2], index_col=[0, 1, 2])
    assert_xy_equal(csv.to_numpy().reshape(-1, 4, 2), exp[..., :2])
    # and our importer reads the project back
    back = read_dlc(out)
    assert_xy_equal(back.xy, exp[..., :2])
    np.testing.assert_array_equal(back.visibility, np.where(exp[..., 2] > 0, 2, 0))
    assert back.skeleton == [tuple(e) for e in cfg["skeleton"]]


def test_dlc_occluded_keep_versus_drop(dataset_dir, tmp_path):
    keep = read_dlc(export("dlc", dataset_dir, tmp_path / "k", camera="side").parent)
    drop = read_dlc(export("dlc", dataset_dir, tmp_path / "d", camera="side", occluded="drop").parent)
    _, exp = expected_labels(dataset_dir, "side")
    occ = exp[..., 2] == 1
    assert occ.any()
    assert np.isfinite(keep.xy[occ]).all() and np.isnan(drop.xy[occ]).all()
    assert_xy_equal(drop.xy[~occ], keep.xy[~occ], tol=0)


def test_set_name_is_safe():
    assert dlc.set_name_for("my data/set 1") == "my_data_set_1"
