"""SLEAP export (one animal, or several with tracks), read back with sleap-io."""

from __future__ import annotations

import json
import shutil

import h5py
import numpy as np
import sleap_io as sio
from export_fixtures import assert_xy_equal, expected_labels, expected_multi_labels
from PIL import Image

from simgen.export.labels import read_sleap
from simgen.export.registry import export


def _points(labels):
    xy = np.stack([lf.instances[0].points["xy"] for lf in labels.labeled_frames])
    vis = np.stack([lf.instances[0].points["visible"] for lf in labels.labeled_frames])
    return xy, vis


def test_sleap_round_trip_with_sleap_io(dataset_dir, tmp_path):
    slp = export("sleap", dataset_dir, tmp_path / "out", camera="side")
    names, exp = expected_labels(dataset_dir, "side")
    for path in (slp, tmp_path / "out" / "labels.pkg.slp"):
        labels = sio.load_slp(str(path))
        assert [n.name for n in labels.skeleton.nodes] == names
        assert len(labels.labeled_frames) == 4
        xy, vis = _points(labels)
        assert_xy_equal(xy, exp[..., :2])  # occluded points keep their coordinates
        np.testing.assert_array_equal(vis, exp[..., 2] == 2)  # ... marked not visible
        # what SLEAP trains on: invisible points are NaN
        trained = np.stack([lf.instances[0].numpy() for lf in labels.labeled_frames])
        assert np.isnan(trained[exp[..., 2] == 1]).all()
    pkg = sio.load_slp(str(tmp_path / "out" / "labels.pkg.slp"))
    img = pkg.labeled_frames[1].image
    ref = np.asarray(Image.open(dataset_dir / "images/side/000001.png"))
    np.testing.assert_array_equal(img, ref)  # embedded losslessly


def test_sleap_drop_unlabels_occluded(dataset_dir, tmp_path):
    slp = export("sleap", dataset_dir, tmp_path / "out", camera="side", occluded="drop")
    _, exp = expected_labels(dataset_dir, "side", "drop")
    xy, vis = _points(sio.load_slp(str(slp)))
    np.testing.assert_array_equal(vis, exp[..., 2] > 0)
    assert_xy_equal(xy, exp[..., :2])


def test_sleap_relative_paths_and_no_instance_out_of_view(edge_dataset, tmp_path, monkeypatch):
    out = tmp_path / "out"
    slp = export("sleap", edge_dataset, out)
    with h5py.File(slp) as f:
        backend = json.loads(f["videos_json"][0])["backend"]
    assert backend["filenames"] == [f"images/img{i:06d}.png" for i in range(5)]  # relative to the .slp
    moved = tmp_path / "elsewhere" / "moved"
    shutil.move(str(out), str(moved))
    _, exp = expected_labels(edge_dataset, "top")

    monkeypatch.chdir(moved)  # sleap-io opens image lists relative to the working directory
    labels = sio.load_slp("labels.slp")
    assert [lf.frame_idx for lf in labels.labeled_frames] == [0, 1, 3, 4]  # frame 2: no instance
    assert all(len(lf.instances) == 1 for lf in labels.labeled_frames)
    ref = np.asarray(Image.open(edge_dataset / "images/top/000003.png"))
    np.testing.assert_array_equal(labels.labeled_frames[2].image, ref)
    xy, _ = _points(labels)
    assert_xy_equal(xy, exp[[0, 1, 3, 4], :, :2])

    monkeypatch.chdir(tmp_path)
    pkg = sio.load_slp(str(moved / "labels.pkg.slp"))  # self-contained
    assert len(pkg.labeled_frames) == 4
    np.testing.assert_array_equal(pkg.labeled_frames[2].image, ref)
    # our reader resolves the relative paths against the file's folder, from anywhere
    back = read_sleap(moved / "labels.slp", invisible_as_occluded=True)
    assert back.images[2] == moved / "images/img000003.png"
    np.testing.assert_array_equal(back.load_image(2), ref)
    np.testing.assert_array_equal(back.visibility, exp[[0, 1, 3, 4], :, 2])
    assert_xy_equal(back.xy, exp[[0, 1, 3, 4], :, :2])
    plain = read_sleap(moved / "labels.slp")  # default: not-visible points are unlabeled
    np.testing.assert_array_equal(plain.visibility, np.where(exp[[0, 1, 3, 4], :, 2] == 2, 2, 0))


def test_sleap_multi_animal_instances_and_tracks(multi_dataset, tmp_path, monkeypatch):
    slp = export("sleap", multi_dataset, tmp_path / "out", camera="side")
    names, exp = expected_multi_labels(multi_dataset, "side")
    monkeypatch.chdir(tmp_path / "out")  # sleap-io opens image lists relative to the working directory
    for path in (slp, tmp_path / "out" / "labels.pkg.slp"):
        labels = sio.load_slp(str(path))
        assert [t.name for t in labels.tracks] == names
        assert [lf.frame_idx for lf in labels.labeled_frames] == [0, 1, 2]  # frame 3: no animal in view
        assert [[i.track.name for i in lf.instances] for lf in labels.labeled_frames] == [
            names, ["mouse0", "mouse2"], names]  # mouse1 is out of view in frame 1
        for lf in labels.labeled_frames:
            for inst in lf.instances:
                a = names.index(inst.track.name)
                assert inst.track is labels.tracks[a]  # one Track object per animal, in every frame
                assert_xy_equal(inst.points["xy"], exp[lf.frame_idx, a, :, :2])  # the track follows its animal
                np.testing.assert_array_equal(inst.points["visible"], exp[lf.frame_idx, a, :, 2] == 2)
    back = read_sleap(slp, invisible_as_occluded=True)
    rows = [(f, a) for f in range(4) for a in range(3) if (exp[f, a, :, 2] > 0).any()]
    assert back.tracks == [names[a] for _, a in rows]
    assert [p.name for p in back.images] == [f"img{f:06d}.png" for f, _ in rows]
    np.testing.assert_array_equal(back.visibility, np.stack([exp[f, a, :, 2] for f, a in rows]))
    assert_xy_equal(back.xy, np.stack([exp[f, a, :, :2] for f, a in rows]))


def test_read_sleap_without_tracks_has_none(dataset_dir, tmp_path):
    assert read_sleap(export("sleap", dataset_dir, tmp_path / "out", camera="top")).tracks is None
