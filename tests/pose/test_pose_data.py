import numpy as np
import pytest

from simgen.errors import SimgenError
from simgen.export.labels import PoseLabels
from simgen.pose.data import PoseDataset, SourceSpec, letterbox, subset


def test_letterbox_maps_keypoints_exactly():
    # A 2x2 checker block at known pixels lands where the mapped keypoint says.
    img = np.zeros((120, 200, 3), np.uint8)
    img[40:60, 100:120] = 255  # block centered on pixel (109.5, 49.5)
    out, box = letterbox(img, (96, 64))
    assert out.shape == (64, 96, 3)
    assert box.sx == pytest.approx(96 / 200) and box.sy == pytest.approx(58 / 120)
    assert out[58:].max() == 0  # padding at the bottom
    xy = box.forward(np.array([109.5, 49.5]))
    ys, xs = np.nonzero(out[..., 0] > 0)
    wts = out[ys, xs, 0].astype(float)
    assert np.allclose([np.average(xs, weights=wts), np.average(ys, weights=wts)], xy, atol=0.15)
    assert np.allclose(box.inverse(xy), [109.5, 49.5])


def test_source_spec_parsing_and_subset(tmp_path):
    s = SourceSpec.parse(f"{tmp_path},weight=2.5,frames=3:7")
    assert s.path == tmp_path and s.weight == 2.5 and s.frames == slice(3, 7)
    with pytest.raises(SimgenError, match="unknown source option"):
        SourceSpec.parse(f"{tmp_path},wieght=2")
    with pytest.raises(SimgenError, match="bad value"):
        SourceSpec.parse(f"{tmp_path},weight=-1")
    labels = PoseLabels(images=[tmp_path / f"{i}.png" for i in range(10)], xyv=np.ones((10, 2, 3)) * 2,
                        keypoints=["a", "b"])
    sub = subset(labels, slice(3, 7))
    assert [p.name for p in sub.images] == ["3.png", "4.png", "5.png", "6.png"]


def test_mixing_weights_set_batch_shares(tmp_path):
    from PIL import Image

    srcs = []
    for name, n in (("a", 2), ("b", 8)):
        paths = []
        for i in range(n):
            p = tmp_path / f"{name}{i}.png"
            Image.fromarray(np.zeros((20, 30, 3), np.uint8)).save(p)
            paths.append(p)
        srcs.append(PoseLabels(images=paths, xyv=np.full((n, 1, 3), 2.0), keypoints=["k"]))
    ds = PoseDataset(srcs, ["k"], (32, 32), weights=[3.0, 1.0])
    idx = ds.sample_indices(20000, np.random.default_rng(0))
    share_a = np.mean(idx < 2)
    assert share_a == pytest.approx(0.75, abs=0.02)
    with pytest.raises(SimgenError, match="missing"):
        PoseDataset(srcs, ["k", "other"], (32, 32))


def test_simgen_dataset_is_a_source(tmp_path):
    from simgen.dataset.annotation import AnimalLabels, CameraLabel, FrameAnnotation
    from simgen.dataset.meta import CameraInfo, DatasetMeta
    from simgen.dataset.writer import DatasetWriter
    from simgen.pose.data import load_labels

    meta = DatasetMeta(scene={}, scene_sha256="x", seed=0, frames=3, keypoints=["left_ear", "right_ear"],
                       cameras=[CameraInfo("top", 40, 30)], swap_pairs=[("left_ear", "right_ear")])
    w = DatasetWriter(tmp_path / "ds", meta)
    for f in range(3):
        w.write_image("top", f, np.full((30, 40, 3), 10 * f, np.uint8))
        kp = np.array([[5.0 + f, 6.0, 2], [20.0, 7.5 + f, 1]])
        cam = CameraLabel(K=np.eye(3), R=np.eye(3), t=np.zeros(3), width=40, height=30, keypoints=kp)
        w.write_annotation(FrameAnnotation(frame=f, params={}, animals=[AnimalLabels(None, 0, np.zeros((2, 3)), {"top": cam})]))
    labels = load_labels(SourceSpec.parse(f"{tmp_path / 'ds'},frames=1:"))
    assert labels.keypoints == ["left_ear", "right_ear"] and labels.swap_pairs == [("left_ear", "right_ear")]
    assert np.allclose(labels.xyv[:, :, :2], [[[6, 6], [20, 8.5]], [[7, 6], [20, 9.5]]])
    dropped = load_labels(SourceSpec.parse(str(tmp_path / "ds")), occluded="drop")
    assert (dropped.visibility[:, 1] == 0).all()
    ds = PoseDataset([labels], labels.keypoints, (80, 64))  # scale 2: x' = 2x + 0.5
    assert np.allclose(ds.samples[0].xyv[0, :2], [12.5, 12.5])
    assert ds.samples[0].image.shape == (64, 80, 3)


def test_a_multi_animal_deeplabcut_project_is_refused(tmp_path):
    import pandas as pd
    from PIL import Image

    from simgen.export.dlc import coords_table
    from simgen.pose.data import load_labels

    folder = tmp_path / "proj" / "labeled-data" / "s"
    folder.mkdir(parents=True)
    Image.fromarray(np.zeros((8, 8, 3), np.uint8)).save(folder / "img0.png")
    index = pd.MultiIndex.from_tuples([("labeled-data", "s", "img0.png")])
    df = coords_table(np.ones((1, 2, 1, 2)), ["snout"], "me", index, individuals=["a", "b"])
    df.to_csv(folder / "CollectedData_me.csv")
    with pytest.raises(SimgenError, match=r"multi-animal DeepLabCut project \(a, b\); pose training takes one"):
        load_labels(SourceSpec.parse(str(tmp_path / "proj")))
