"""DeepLabCut export (single- and multi-animal): loads with DeepLabCut's own pandas calls; round trip."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml
from export_fixtures import (
    MOUSE_KEYPOINTS,
    OPENFIELD,
    assert_xy_equal,
    build_multi_dataset,
    expected_labels,
    expected_multi_labels,
)

from simgen.errors import SimgenError
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


# -- several animals (issue 16) ------------------------------------------------------------
@pytest.mark.parametrize(("occluded", "policy", "kset"), [("keep", "keep", None), (None, "drop", "openfield_dlc")])
def test_dlc_multi_animal_project(multi_dataset, tmp_path, occluded, policy, kset):
    out = tmp_path / "proj"
    cfg = yaml.safe_load(export("dlc", multi_dataset, out, camera="top", keypoints=kset, occluded=occluded).read_text())
    names, exp = expected_multi_labels(multi_dataset, "top", policy, OPENFIELD if kset else None)
    bodyparts = list(OPENFIELD) if kset else MOUSE_KEYPOINTS
    # what DeepLabCut 3's create_new_project(multianimal=True) writes, identities kept
    assert cfg["multianimalproject"] is True and cfg["identity"] is True
    assert cfg["individuals"] == names == ["mouse0", "mouse1", "mouse2"]
    assert cfg["multianimalbodyparts"] == bodyparts
    assert cfg["uniquebodyparts"] == [] and cfg["bodyparts"] == "MULTI!"
    (video,) = cfg["video_sets"]
    folder = out / "labeled-data" / Path(video).stem
    df = pd.read_hdf(folder / f"CollectedData_{cfg['scorer']}.h5", "df_with_missing")
    assert list(df.columns.names) == ["scorer", "individuals", "bodyparts", "coords"]
    assert list(dict.fromkeys(df.columns.get_level_values("individuals"))) == names
    for name in names:
        assert list(dict.fromkeys(df[(cfg["scorer"], name)].columns.get_level_values("bodyparts"))) == bodyparts
    assert [k[2] for k in df.index] == [f"img{f:06d}.png" for f in range(4)]
    # individuals-major columns: the reshape create_multianimaltraining_dataset does
    xy = df.to_numpy().reshape(len(df), len(names), len(bodyparts), 2)
    assert_xy_equal(xy, exp[..., :2])
    assert_xy_equal(df[(cfg["scorer"], "mouse2", bodyparts[0], "y")], exp[:, 2, 0, 1])  # by label, too
    assert df.loc[("labeled-data", folder.name, "img000001.png"), (cfg["scorer"], "mouse1")].isna().all()
    assert df.loc[("labeled-data", folder.name, "img000003.png")].isna().all()  # no animal in view
    _, kept = expected_multi_labels(multi_dataset, "top", "keep", OPENFIELD if kset else None)
    occluded_points = kept[..., 2] == 1
    assert occluded_points.any()
    assert (np.isfinite if policy == "keep" else np.isnan)(xy[occluded_points]).all()
    csv = pd.read_csv(folder / f"CollectedData_{cfg['scorer']}.csv", header=[0, 1, 2, 3], index_col=[0, 1, 2])
    assert_xy_equal(csv.to_numpy().reshape(xy.shape), exp[..., :2])

    # read back: one row per image and labeled individual, named in tracks
    back = read_dlc(out)
    rows = [(f, a) for f in range(4) for a in range(3) if (exp[f, a, :, 2] > 0).any()]
    assert len(rows) == 8  # mouse1 is out of view in frame 1, nobody in frame 3
    assert back.tracks == [names[a] for _, a in rows]
    assert [p.name for p in back.images] == [f"img{f:06d}.png" for f, _ in rows]
    assert_xy_equal(back.xy, exp[[f for f, _ in rows], [a for _, a in rows], :, :2])
    assert back.keypoints == bodyparts


def test_dlc_multi_animal_drop_is_the_default(multi_dataset, tmp_path):
    default = read_dlc(export("dlc", multi_dataset, tmp_path / "d", camera="side").parent)
    keep = read_dlc(export("dlc", multi_dataset, tmp_path / "k", camera="side", occluded="keep").parent)
    _, exp = expected_multi_labels(multi_dataset, "side")
    rows = [(f, a) for f in range(4) for a in range(3) if (exp[f, a, :, 2] > 0).any()]
    occ = np.stack([exp[f, a, :, 2] == 1 for f, a in rows])
    assert occ.any() and default.tracks == keep.tracks
    assert np.isfinite(keep.xy[occ]).all() and np.isnan(default.xy[occ]).all()
    assert_xy_equal(default.xy[~occ], keep.xy[~occ], tol=0)


def test_dlc_refuses_animal_names_deeplabcut_reserves(tmp_path):
    ds = build_multi_dataset(tmp_path / "ds", cameras=("top",), animals=("single_male", "female"))
    with pytest.raises(SimgenError, match="single"):
        export("dlc", ds, tmp_path / "proj")


def test_read_dlc_refuses_unique_bodyparts(multi_dataset, tmp_path):
    cfg = yaml.safe_load(export("dlc", multi_dataset, tmp_path / "p", camera="top").read_text())
    (h5,) = (tmp_path / "p" / "labeled-data").glob("*/CollectedData_*.h5")
    df = pd.read_hdf(h5)
    single = pd.DataFrame(1.0, index=df.index, columns=pd.MultiIndex.from_tuples(
        [(cfg["scorer"], "single", "arena_corner", c) for c in ("x", "y")], names=df.columns.names))
    pd.concat([df, single], axis=1).to_hdf(h5, key="df_with_missing", mode="w")
    with pytest.raises(SimgenError, match="unique body parts"):
        read_dlc(tmp_path / "p")
