"""COCO keypoints export: read with pycocotools (and sleap-io's COCO reader)."""

from __future__ import annotations

import contextlib
import io
import json
import shutil

import numpy as np
import pytest
import sleap_io as sio
from export_fixtures import OPENFIELD, assert_xy_equal, expected_labels, expected_multi_labels
from PIL import Image

from simgen.export.coco import rle_encode
from simgen.export.registry import export

pycocotools = pytest.importorskip("pycocotools")


def _quiet(fn, *args):
    with contextlib.redirect_stdout(io.StringIO()):
        return fn(*args)


def test_coco_loads_in_pycocotools_with_mask_boxes_and_areas(edge_dataset, tmp_path):
    from pycocotools.coco import COCO

    path = export("coco", edge_dataset, tmp_path / "c", keypoints="openfield_dlc")
    coco = _quiet(COCO, str(path))
    names, exp = expected_labels(edge_dataset, "top", "keep", OPENFIELD)
    (cat,) = coco.loadCats(coco.getCatIds())
    assert cat["keypoints"] == names
    assert [1, 2] in cat["skeleton"]  # snout-leftear, 1-based
    assert len(coco.getImgIds()) == 5
    for image_id in coco.getImgIds():
        img = coco.loadImgs(image_id)[0]
        frame = image_id - 1
        assert (path.parent / img["file_name"]).is_file()
        mask = np.asarray(Image.open(edge_dataset / f"masks/top/{frame:06d}.png")) == 1
        anns = coco.loadAnns(coco.getAnnIds(imgIds=image_id))
        if frame == 2:  # the animal is out of view: no annotation, the image stays
            assert anns == [] and not mask.any()
            continue
        (ann,) = anns
        assert ann["iscrowd"] == 0
        np.testing.assert_array_equal(coco.annToMask(ann).astype(bool), mask)  # exact segmentation
        assert ann["area"] == mask.sum()
        ys, xs = np.nonzero(mask)
        # continuous box over the mask's pixels: [x0, x1 + 1), clipped to the image
        assert ann["bbox"] == [xs.min(), ys.min(), xs.max() + 1 - xs.min(), ys.max() + 1 - ys.min()]
        x, y, w, h = ann["bbox"]
        assert x >= 0 and y >= 0 and x + w <= img["width"] and y + h <= img["height"]
        assert x + w == img["width"]  # tail_tip is outside: the mask touches the right border
        kp = np.asarray(ann["keypoints"], float).reshape(-1, 3)
        e = exp[frame]
        np.testing.assert_array_equal(kp[:, 2], e[:, 2])  # v 0/1/2: occluded kept as v=1
        assert (kp[e[:, 2] == 0, :2] == 0).all()  # COCO: unlabeled at 0, 0
        lab = e[:, 2] > 0
        assert np.abs(kp[lab, :2] - e[lab, :2]).max() <= 1e-4  # pixel indices, unchanged
        assert ann["num_keypoints"] == int(lab.sum())
    assert (np.array([a["keypoints"][2::3] for a in coco.dataset["annotations"]]) == 1).any()


def test_coco_keypoint_eval_of_the_labels_against_themselves_is_perfect(edge_dataset, tmp_path):
    from pycocotools.coco import COCO
    from pycocotools.cocoeval import COCOeval

    path = export("coco", edge_dataset, tmp_path / "c", keypoints="openfield_dlc")
    gt = _quiet(COCO, str(path))
    dets = [{**a, "score": 1.0} for a in gt.dataset["annotations"]]
    dt = _quiet(gt.loadRes, dets)
    ev = COCOeval(gt, dt, "keypoints")
    ev.params.kpt_oks_sigmas = np.full(4, 0.05)
    _quiet(ev.evaluate)
    _quiet(ev.accumulate)
    _quiet(ev.summarize)
    assert ev.stats[0] == pytest.approx(1.0)  # AP over OKS thresholds


def test_coco_drop_overrides(dataset_dir, tmp_path):
    path = export("coco", dataset_dir, tmp_path / "c", camera="side", occluded="drop")
    data = json.loads(path.read_text())
    v = np.array([np.asarray(a["keypoints"]).reshape(-1, 3)[:, 2] for a in data["annotations"]])
    _, exp = expected_labels(dataset_dir, "side", "drop")
    np.testing.assert_array_equal(v, exp[..., 2])
    assert not (v == 1).any()


def test_coco_without_masks_uses_the_shifted_clipped_bbox(edge_dataset, tmp_path):
    shutil.rmtree(edge_dataset / "masks")
    path = export("coco", edge_dataset, tmp_path / "c")
    data = json.loads(path.read_text())
    assert [a["image_id"] for a in data["annotations"]] == [1, 2, 4, 5]  # frame 2 out of view
    for ann in data["annotations"]:
        box = json.loads((edge_dataset / f"annotations/{ann['image_id'] - 1:06d}.json").read_text())
        x0, y0, x1, y1 = np.asarray(box["cameras"]["top"]["bbox"]) + 0.5  # pixel centers -> edges
        assert ann["bbox"] == pytest.approx([x0, y0, x1 - x0, y1 - y0])
        assert ann["area"] == pytest.approx((x1 - x0) * (y1 - y0))
        assert len(ann["segmentation"][0]) == 8  # the box as a polygon


def test_coco_sleap_io_reads_the_coordinates(dataset_dir, tmp_path):
    path = export("coco", dataset_dir, tmp_path / "c", camera="top", keypoints="openfield_dlc")
    _, exp = expected_labels(dataset_dir, "top", "keep", OPENFIELD)
    labels = sio.load_coco(str(path))  # it folds v 1 and 2 into "visible"
    xy = np.stack([lf.instances[0].numpy() for lf in labels.labeled_frames])
    assert_xy_equal(xy, exp[..., :2])


def test_rle_matches_pycocotools():
    from pycocotools import mask as mask_util

    rng = np.random.default_rng(0)
    for _ in range(50):
        h, w = rng.integers(1, 30, 2)
        m = rng.random((h, w)) < rng.random()
        ref = mask_util.encode(np.asfortranarray(m.astype(np.uint8)))
        assert rle_encode(m) == {"size": [int(h), int(w)], "counts": ref["counts"].decode()}


def test_coco_one_annotation_per_animal_with_track_id(multi_dataset, tmp_path):
    from pycocotools.coco import COCO

    path = export("coco", multi_dataset, tmp_path / "c", camera="top")
    coco = _quiet(COCO, str(path))
    names, exp = expected_multi_labels(multi_dataset, "top")
    assert len(coco.getCatIds()) == 1 and len(coco.getImgIds()) == 4
    seen = []
    for image_id in coco.getImgIds():
        frame = image_id - 1
        ids = np.asarray(Image.open(multi_dataset / f"masks/top/{frame:06d}.png"))
        anns = coco.loadAnns(coco.getAnnIds(imgIds=image_id))
        in_view = [a for a in range(3) if (ids == a + 1).any()]
        assert [ann["track_id"] for ann in anns] == [a + 1 for a in in_view]  # 1-based
        seen.append([ann["attributes"]["name"] for ann in anns])
        for ann in anns:
            a = ann["attributes"]["track"]
            assert ann["track_id"] == a + 1 and ann["attributes"]["name"] == names[a]
            mask = ids == a + 1
            np.testing.assert_array_equal(coco.annToMask(ann).astype(bool), mask)  # the animal's own mask id
            assert ann["area"] == mask.sum()
            ys, xs = np.nonzero(mask)
            assert ann["bbox"] == [xs.min(), ys.min(), xs.max() + 1 - xs.min(), ys.max() + 1 - ys.min()]
            kp = np.asarray(ann["keypoints"], float).reshape(-1, 3)
            e = exp[frame, a]
            np.testing.assert_array_equal(kp[:, 2], e[:, 2])
            lab = e[:, 2] > 0
            assert np.abs(kp[lab, :2] - e[lab, :2]).max() <= 1e-4 and (kp[~lab, :2] == 0).all()
            assert ann["num_keypoints"] == int(lab.sum())
    assert seen == [names, ["mouse0", "mouse2"], names, []]
    # sleap-io's COCO reader makes one track per track_id, stable across images
    labels = sio.load_coco(str(path))
    for lf in labels.labeled_frames:
        for inst in lf.instances:
            a = int(inst.track.name.removeprefix("track_")) - 1
            assert_xy_equal(inst.numpy(), exp[lf.frame_idx, a, :, :2])
    assert sorted(t.name for t in labels.tracks) == ["track_1", "track_2", "track_3"]
