"""In-memory labels: from a simgen dataset, and read from DeepLabCut and SLEAP files."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from export_fixtures import MOUSE_KEYPOINTS, OPENFIELD, assert_xy_equal, expected_labels, expected_multi_labels
from PIL import Image

from simgen.errors import SimgenError
from simgen.export.labels import PoseLabels, animals_from_dataset, from_dataset, read_dlc, read_sleap


def test_from_dataset_keeps_occluded_and_blanks_outside(dataset_dir):
    labels = from_dataset(dataset_dir, camera="top")
    names, exp = expected_labels(dataset_dir, "top")
    assert labels.keypoints == names == MOUSE_KEYPOINTS
    assert labels.frames == [0, 1, 2, 3] and labels.camera == "top"
    assert_xy_equal(labels.xy, exp[..., :2], tol=1e-12)
    np.testing.assert_array_equal(labels.visibility, exp[..., 2])
    tail_tip = MOUSE_KEYPOINTS.index("tail_tip")
    assert (labels.visibility[:, tail_tip] == 0).all()  # outside the top camera's image
    assert np.isnan(labels.xy[:, tail_tip]).all()
    assert (labels.visibility == 1).sum() > 0 and (labels.visibility == 2).sum() > 0
    assert [p.name for p in labels.images] == [f"{f:06d}.png" for f in range(4)]
    assert all(p.is_file() for p in labels.images)
    assert labels.size(0) == (64, 48)


def test_from_dataset_drop_and_mapping(dataset_dir):
    labels = from_dataset(dataset_dir, camera="side", keypoint_set="openfield_dlc", occluded="drop")
    names, exp = expected_labels(dataset_dir, "side", "drop", OPENFIELD)
    assert labels.keypoints == names
    assert (labels.visibility != 1).all()
    assert_xy_equal(labels.xy, exp[..., :2], tol=1e-12)
    np.testing.assert_array_equal(labels.visibility, exp[..., 2])
    assert labels.swap_pairs == [("leftear", "rightear")]


def test_from_dataset_needs_a_camera_when_there_are_several(dataset_dir, single_camera_dataset):
    with pytest.raises(SimgenError, match="pick one with --camera"):
        from_dataset(dataset_dir)
    with pytest.raises(SimgenError, match="no camera 'front'"):
        from_dataset(dataset_dir, camera="front")
    assert from_dataset(single_camera_dataset).camera == "top"


def _write_dlc_tables(folder: Path, tuple_index: bool) -> np.ndarray:
    """A hand-made DeepLabCut labeled-data folder; returns the (3, 2, 2) xy written."""
    folder.mkdir(parents=True)
    xy = np.array([[[1.5, 2.25], [np.nan, np.nan]], [[3.0, 4.0], [5.125, 6.5]], [[7, 8], [9, 10]]])
    names = [f"img{i:04d}.png" for i in range(3)]
    from PIL import Image

    for n in names:
        Image.new("RGB", (20, 10)).save(folder / n)
    if tuple_index:
        index = pd.MultiIndex.from_tuples([("labeled-data", folder.name, n) for n in names])
    else:
        index = [f"labeled-data/{folder.name}/{n}" for n in names]
    cols = pd.MultiIndex.from_product([["Me"], ["nose", "tail"], ["x", "y"]], names=["scorer", "bodyparts", "coords"])
    df = pd.DataFrame(xy.reshape(3, 4), index=index, columns=cols)
    df.to_csv(folder / "CollectedData_Me.csv")
    return xy, df


@pytest.mark.parametrize("tuple_index", [False, True])
def test_read_dlc_csv_string_or_tuple_index(tmp_path, tuple_index):
    xy, _ = _write_dlc_tables(tmp_path / "proj" / "labeled-data" / "s1", tuple_index)
    labels = read_dlc(tmp_path / "proj")
    assert labels.keypoints == ["nose", "tail"]
    assert_xy_equal(labels.xy, xy, tol=0)
    np.testing.assert_array_equal(labels.visibility, [[2, 0], [2, 2], [2, 2]])
    assert labels.images[1] == tmp_path / "proj" / "labeled-data" / "s1" / "img0001.png"
    assert all(p.is_file() for p in labels.images)
    # a labeled-data/<set> folder or the file itself read the same
    assert_xy_equal(read_dlc(tmp_path / "proj" / "labeled-data" / "s1").xy, xy, tol=0)
    file_labels = read_dlc(tmp_path / "proj" / "labeled-data" / "s1" / "CollectedData_Me.csv")
    assert file_labels.images == labels.images


def test_read_dlc_h5_preferred(tmp_path):
    folder = tmp_path / "proj" / "labeled-data" / "s1"
    xy, df = _write_dlc_tables(folder, tuple_index=True)
    df2 = df.copy()
    df2.iloc[0, 0] = 100.0  # make the H5 distinguishable from the CSV
    df2.to_hdf(folder / "CollectedData_Me.h5", key="df_with_missing", mode="w")
    labels = read_dlc(tmp_path / "proj")
    assert labels.xy[0, 0, 0] == 100.0


def test_read_dlc_rejects_non_dlc(tmp_path):
    with pytest.raises(SimgenError, match="no labeled-data"):
        read_dlc(tmp_path)
    with pytest.raises(SimgenError, match="no such"):
        read_dlc(tmp_path / "missing")


def test_read_sleap_round_trip(dataset_dir, tmp_path):
    from simgen.export.sleap import write_sleap

    labels = from_dataset(dataset_dir, camera="top", keypoint_set="openfield_dlc")
    slp = write_sleap(labels, tmp_path / "sl")
    back = read_sleap(slp, invisible_as_occluded=True)
    assert back.keypoints == labels.keypoints
    assert back.skeleton == labels.skeleton
    assert back.swap_pairs == labels.swap_pairs
    assert_xy_equal(back.xy, labels.xy)
    # occluded points are written with coordinates, marked not visible: they come back as 1
    np.testing.assert_array_equal(back.visibility, labels.visibility)
    # by default a not-visible point is unlabeled, as SLEAP trains it
    plain = read_sleap(slp)
    np.testing.assert_array_equal(plain.visibility, np.where(labels.visibility == 2, 2, 0))
    assert back.images == [tmp_path / "sl" / "images" / p.name.replace("0000", "img0000", 1) for p in labels.images]
    np.testing.assert_array_equal(back.load_image(1), labels.load_image(1))
    pkg = read_sleap(tmp_path / "sl" / "labels.pkg.slp", invisible_as_occluded=True)
    assert_xy_equal(pkg.xy, labels.xy)
    np.testing.assert_array_equal(pkg.load_image(2), labels.load_image(2))


def test_pose_labels_enforces_nan_where_unlabeled():
    labels = PoseLabels(images=[Path("a.png")], xyv=np.array([[[1.0, 2.0, 0], [np.nan, 3.0, 2]]]), keypoints=["a", "b"])
    assert np.isnan(labels.xy).all() and (labels.visibility == 0).all()
    with pytest.raises(SimgenError, match="visibility"):
        PoseLabels(images=[Path("a.png")], xyv=np.array([[[1.0, 2.0, 3]]]), keypoints=["a"])


def test_read_a_project_as_deeplabcut_writes_it(tmp_path):
    """A DeepLabCut 2.x project written by hand in DeepLabCut's own CSV layout (not by our
    exporter): a 3-row header, one index column of image paths, empty cells for unlabeled
    points, and the skeleton from config.yaml."""
    folder = tmp_path / "proj" / "labeled-data" / "session1"
    folder.mkdir(parents=True)
    for i in range(3):
        Image.fromarray(np.zeros((48, 64, 3), np.uint8)).save(folder / f"img{i:03d}.png")
    parts = ["snout", "leftear", "rightear", "tailbase"]
    rows = ["scorer," + ",".join(["lab"] * 8), "bodyparts," + ",".join(p for p in parts for _ in "xy"),
            "coords," + ",".join("xy" * 4)]
    vals = [[10.5, 20, 12, 18, 12, 22, 40, 20.25], [11, 21, "", "", 13, 23, 41, 21], [""] * 8]
    rows += [f"labeled-data/session1/img{i:03d}.png," + ",".join(map(str, v)) for i, v in enumerate(vals)]
    (folder / "CollectedData_lab.csv").write_text("\n".join(rows) + "\n")
    (tmp_path / "proj" / "config.yaml").write_text("Task: t\nbodyparts: [snout, leftear, rightear, tailbase]\n"
                                                  "skeleton:\n- [snout, tailbase]\n- [snout, nosuchpart]\n")
    labels = read_dlc(tmp_path / "proj")
    assert len(labels) == 3 and labels.keypoints == parts
    assert [p.name for p in labels.images] == ["img000.png", "img001.png", "img002.png"]
    assert labels.size(0) == (64, 48)
    np.testing.assert_array_equal(labels.visibility, [[2, 2, 2, 2], [2, 0, 2, 2], [0, 0, 0, 0]])
    assert_xy_equal(labels.xy[0], np.array([[10.5, 20], [12, 18], [12, 22], [40, 20.25]]))
    assert labels.skeleton == [("snout", "tailbase")]  # names not in the table are left out


def test_keypoint_set_already_applied_by_the_scene_is_identity():
    """A dataset rendered with `keypoints: {names: openfield_dlc}` already has the set's names:
    asking for the same set again must not try to map them a second time."""
    from types import SimpleNamespace

    from simgen.export.labels import resolve_keypoint_set

    meta = SimpleNamespace(keypoints=["snout", "leftear", "rightear", "tailbase"], skeleton=[], swap_pairs=[])
    kset = resolve_keypoint_set("openfield_dlc", meta)
    xyv = np.arange(12, dtype=float).reshape(1, 4, 3)
    assert np.array_equal(kset.map_labels(meta.keypoints, xyv)[..., :2], xyv[..., :2])
    assert ("leftear", "rightear") in [tuple(p) for p in kset.swap_pairs]


def test_animals_from_dataset_one_labels_per_animal(multi_dataset, dataset_dir):
    group = animals_from_dataset(multi_dataset, camera="top", occluded="drop")
    names, exp = expected_multi_labels(multi_dataset, "top", "drop")
    assert group.names == names and len(group) == 4
    assert group.xyv.shape == exp.shape
    assert_xy_equal(group.xyv[..., :2], exp[..., :2])
    np.testing.assert_array_equal(group.xyv[..., 2], exp[..., 2])
    for a, lab in enumerate(group.animals):
        assert lab.mask_id == a + 1 and lab.images == group.first.images and lab.frames == [0, 1, 2, 3]
        ids = np.asarray(Image.open(multi_dataset / "masks/top/000002.png"))
        np.testing.assert_array_equal(lab.load_mask(2), ids == a + 1)
    with pytest.raises(SimgenError, match="several animals"):
        from_dataset(multi_dataset, camera="top")
    one = animals_from_dataset(dataset_dir, camera="top")  # one animal: named "animal", as from_dataset
    assert one.names == ["animal"]
    np.testing.assert_array_equal(one.first.xyv, from_dataset(dataset_dir, camera="top").xyv)
