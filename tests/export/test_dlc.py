"""DeepLabCut export: loads with DeepLabCut's own pandas calls; round trip."""

from __future__ import annotations

from pathlib import Path

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


def test_dlc_drops_occluded_by_default_and_keep_overrides(dataset_dir, tmp_path):
    default = read_dlc(export("dlc", dataset_dir, tmp_path / "d", camera="side").parent)
    keep = read_dlc(export("dlc", dataset_dir, tmp_path / "k", camera="side", occluded="keep").parent)
    _, exp = expected_labels(dataset_dir, "side")
    occ = exp[..., 2] == 1
    assert occ.any()
    assert np.isfinite(keep.xy[occ]).all() and np.isnan(default.xy[occ]).all()
    assert_xy_equal(default.xy[~occ], keep.xy[~occ], tol=0)


def test_dlc_video_sets_name_a_real_video(edge_dataset, tmp_path):
    import cv2

    out = tmp_path / "proj"
    cfg = yaml.safe_load(export("dlc", edge_dataset, out).read_text())
    (video,) = cfg["video_sets"]
    # what DeepLabCut's VideoReader does: open with OpenCV, read size and frame count
    cap = cv2.VideoCapture(video)
    assert cap.isOpened()
    w, h = int(cap.get(cv2.CAP_PROP_FRAME_WIDTH)), int(cap.get(cv2.CAP_PROP_FRAME_HEIGHT))
    assert cfg["video_sets"][video]["crop"] == f"0, {w}, 0, {h}" == "0, 64, 0, 48"
    frames = []
    while True:
        ok, frame = cap.read()
        if not ok:
            break
        frames.append(frame[..., ::-1].astype(float))
    assert len(frames) == 5
    # frame k is image k (lossy codec: compare against every image, nearest must be k)
    from PIL import Image

    folder = out / "labeled-data" / Path(video).stem  # create_training_dataset's lookup
    images = [np.asarray(Image.open(p), float) for p in sorted(folder.glob("img*.png"))]
    for k, frame in enumerate(frames):
        assert np.argmin([np.abs(frame - im).mean() for im in images]) == k
    # the out-of-view frame is a row of NaN, as DeepLabCut writes an unlabeled frame
    df = pd.read_hdf(folder / f"CollectedData_{cfg['scorer']}.h5", "df_with_missing")
    assert df.loc[("labeled-data", folder.name, "img000002.png")].isna().all()
    assert df.drop(index=("labeled-data", folder.name, "img000002.png")).notna().any(axis=1).all()


def test_set_name_is_safe():
    assert dlc.set_name_for("my data/set 1") == "my_data_set_1"
