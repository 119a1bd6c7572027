"""Top-down training and evaluation on datasets of several animals (pose/topdown.py)."""

import json
import sys
from pathlib import Path

import numpy as np
import pytest
import yaml
from typer.testing import CliRunner

from simgen.commands.pose import app
from simgen.errors import SimgenError
from simgen.pose.data import letterbox
from simgen.pose.evaluate import topdown_metrics
from simgen.pose.topdown import assign, crop_for_box, crop_sample, instances, load_instances, match, pose_cost

sys.path.insert(0, str(Path(__file__).parents[1] / "export"))
from export_fixtures import ANIMALS, build_multi_dataset  # noqa: E402

TINY = {
    "input_size": [64, 64], "steps": 3, "batch_size": 4, "val_every": 3, "checkpoint_every": 3,
    "val_fraction": 0.2, "threads": 1, "device": "cpu",
    "model": {"widths": [8, 8, 16, 16], "blocks": [1, 1, 1], "decoder_width": 8, "stride": 4},
}


def _invoke(*args):
    res = CliRunner().invoke(app, [str(a) for a in args])
    assert res.exit_code == 0, res.output + repr(res.exception)
    return res.output


def test_crop_math_is_exact_both_ways():
    rng = np.random.default_rng(3)
    for _ in range(200):
        w, h = rng.integers(20, 400, size=2)
        x0, y0 = rng.uniform(-5, w - 2), rng.uniform(-5, h - 2)
        box = (x0, y0, x0 + rng.uniform(0.5, w / 2), y0 + rng.uniform(0.5, h / 2))
        crop = crop_for_box(box, (int(w), int(h)), margin=float(rng.uniform(0, 0.5)))
        assert 0 <= crop.x0 < crop.x1 <= w and 0 <= crop.y0 < crop.y1 <= h
        xy = rng.uniform(-0.5, [w - 0.5, h - 0.5], size=(7, 2))
        assert np.abs(crop.inverse(crop.forward(xy)) - xy).max() < 1e-6
        # through the letterbox too: image -> crop -> input -> crop -> image
        img = np.zeros((h, w, 3), np.uint8)
        _, lb = letterbox(crop.cut(img), (64, 64))
        assert crop.cut(img).shape[:2] == (crop.y1 - crop.y0, crop.x1 - crop.x0)
        back = crop.inverse(lb.inverse(lb.forward(crop.forward(xy))))
        assert np.abs(back - xy).max() < 1e-6


def test_crop_is_the_box_grown_square_and_the_pixels_follow():
    crop = crop_for_box((39.5, 19.5, 59.5, 29.5), (200, 100), margin=0.25)  # 20 x 10 box, center (49.5, 24.5)
    assert crop.size == (30, 30) and (crop.x0, crop.y0) == (35, 10)  # side 20 * 1.5, centered
    img = np.arange(100 * 200 * 3, dtype=np.int64).reshape(100, 200, 3) % 251
    img = img.astype(np.uint8)
    xyv = np.array([[45.0, 22.0, 2], [199.0, 99.0, 2]])  # inside; outside the crop
    cut, kp, c = crop_sample(img, xyv, (39.5, 19.5, 59.5, 29.5), 0.25)
    assert (cut[int(kp[0, 1]), int(kp[0, 0])] == img[22, 45]).all()
    assert kp[1, 2] == 0 and np.isnan(kp[1, :2]).all()  # outside the crop: not trained on
    edge = crop_for_box((0.5, 0.5, 10.5, 10.5), (200, 100), margin=0.25)  # clipped at the image's corner
    assert (edge.x0, edge.y0) == (0, 0) and edge.x1 == edge.y1 == 14


def test_instances_of_a_dataset_of_several_animals(tmp_path):
    from simgen.export.labels import animals_from_dataset

    ds = build_multi_dataset(tmp_path / "ds", cameras=("top",), out_of_view={1: (2,)})
    al = animals_from_dataset(ds)
    inst = instances(al)
    assert len(inst) == 4 * 3 - 1 and inst.n_images == 4  # frame 1's mouse2 is out of view
    assert inst.animals[:3] == list(ANIMALS)
    assert [len(g) for g in inst.groups()] == [3, 2, 3, 3]
    r = inst.animals.index("mouse1")
    np.testing.assert_array_equal(inst.labels.bboxes[r], al.animals[1].bboxes[0])
    np.testing.assert_array_equal(inst.labels.xyv[r], al.animals[1].xyv[0])
    sub = load_instances(type("S", (), {"path": ds, "frames": slice(1, 3)})())
    assert sub.n_images == 2 and len(sub) == 5
    # keypoint boxes (the trainer's default, finder.boxes): what real labels give, the tail left out
    kp = instances(al, boxes="keypoints")
    xyv = kp.labels.xyv[r]
    seen = xyv[xyv[:, 2] > 0, :2]
    np.testing.assert_allclose(kp.labels.bboxes[r], [*seen.min(axis=0), *seen.max(axis=0)], atol=1.0)
    assert not np.allclose(kp.labels.bboxes[r], inst.labels.bboxes[r])  # not the mask's box


def test_matching_undoes_a_permutation_and_counts_identity_swaps(tmp_path):
    from simgen.export.labels import animals_from_dataset

    ds = build_multi_dataset(tmp_path / "ds", cameras=("top",))
    inst = instances(animals_from_dataset(ds))
    gt = inst.labels.xyv
    rng = np.random.default_rng(0)
    gt_xy = np.nan_to_num(gt[..., :2], nan=0.0) + rng.normal(0, 0.1, size=gt[..., :2].shape)
    raw = gt_xy.copy()
    first = inst.groups()[0]
    raw[first] = gt_xy[first[[1, 0, 2]]]  # image 0: the boxes of mouse0 and mouse1 gave each other's pose
    pred, conf, swaps = match(inst, gt, raw, np.ones(raw.shape[:2]))
    m = topdown_metrics(pred, gt, list(inst.labels.keypoints), inst.animals, swaps)
    np.testing.assert_allclose(pred, gt_xy)
    td = m["topdown"]
    assert td["identity_swaps"] == 2 and {s["box_of"] for s in td["swaps"]} == {"mouse0", "mouse1"}
    assert td["per_animal"]["mouse2"]["identity_swaps"] == 0
    assert m["all"]["mean_error"] < 0.5
    assert list(assign(np.array([[5.0, 1.0], [1.0, 5.0]]))) == [1, 0]
    assert np.argmin(pose_cost(gt_xy[first], gt[first]), axis=0).tolist() == [0, 1, 2]


@pytest.fixture(scope="module")
def trained_multi(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("topdown")
    ds = build_multi_dataset(tmp / "ds", cameras=("top",))
    cfg = tmp / "tiny.yaml"
    cfg.write_text(yaml.safe_dump(TINY))
    out = _invoke("train", ds, "--out", tmp / "model", "--config", cfg)
    return {"tmp": tmp, "ds": ds, "model": tmp / "model", "cfg": cfg, "output": out}


def test_a_dataset_of_several_animals_trains_a_top_down_model(trained_multi):
    from simgen.pose.model import load_model

    assert "animal crops (top-down)" in trained_multi["output"]
    assert "10 training animal crops" in trained_multi["output"]  # 12 (image, animal), 2 held out
    tm = load_model(trained_multi["model"])
    assert tm.topdown["margin"] == 0.25 and set(tm.topdown) == {"margin", "finder"}
    assert tm.topdown["finder"]["format"] == "simgen-finder/1" and tm.topdown["finder"]["max_animals"] == 3
    assert "finding stage:" in trained_multi["output"]


def test_top_down_evaluation_on_oracle_boxes_reports_per_animal_metrics_and_swaps(trained_multi):
    from simgen.pose.evaluate import evaluate
    from simgen.pose.model import load_model

    ev = evaluate(load_model(trained_multi["model"]), str(trained_multi["ds"]), oracle_boxes=True)
    td = ev.metrics["topdown"]
    assert set(td["per_animal"]) == set(ANIMALS) and td["animals"] == 12 and td["images"] == 4
    assert isinstance(td["identity_swaps"], int) and "oracle" in td["boxes"]
    assert all(td["per_animal"][a]["all"]["n"] > 0 for a in ANIMALS)
    assert ev.pred.shape == (12, len(ev.labels.keypoints), 2)
    assert ev.metrics["relative"]["all"]["n"] == ev.metrics["all"]["n"]
    out = _invoke("evaluate", trained_multi["model"], trained_multi["ds"], "--out", trained_multi["tmp"] / "ev",
                  "--oracle-boxes")
    assert "oracle boxes" in out and "identity swaps" in out
    saved = json.loads((trained_multi["tmp"] / "ev" / "metrics.json").read_text())
    assert saved["topdown"]["margin"] == 0.25


def test_top_down_evaluation_by_default_finds_the_animals_itself(trained_multi):
    from simgen.pose.evaluate import evaluate
    from simgen.pose.model import load_model

    ev = evaluate(load_model(trained_multi["model"]), str(trained_multi["ds"]))
    a = ev.metrics["animals"]
    assert a["labeled"] == 12 and "no labeled box" in ev.metrics["topdown"]["boxes"]
    assert ev.pred.shape == (12, len(ev.labels.keypoints), 2)
    assert np.isfinite(ev.pred).all(axis=(1, 2)).sum() == a["found"]  # the rest were not found: NaN
    out = _invoke("evaluate", trained_multi["model"], trained_multi["ds"])
    assert "animals found:" in out and "recall" in out and "oracle" not in out


def test_a_top_down_model_is_no_whole_image_model(trained_multi, tmp_path):
    from simgen.pose.model import load_model
    from simgen.pose.predict import predict_video
    from simgen.pose.topdown import predict_crops

    tm = load_model(trained_multi["model"])
    with pytest.raises(SimgenError, match="a top-down model"):
        predict_video(tm, tmp_path / "x.mp4")
    xy, conf = predict_crops(tm, np.zeros((48, 64, 3), np.uint8), [(10, 10, 20, 20), (30, 5, 50, 25)])
    assert xy.shape == (2, len(tm.keypoints), 2) and conf.shape == (2, len(tm.keypoints))


def test_a_margin_for_one_animal_is_refused(tmp_path):
    from export_fixtures import build_dataset

    from simgen.pose.config import PoseConfig
    from simgen.pose.train import train

    ds = build_dataset(tmp_path / "one", cameras=("top",))
    with pytest.raises(SimgenError, match="several animals"):
        train([str(ds)], tmp_path / "m", PoseConfig(**TINY), topdown_margin=0.3, progress=False)


def test_tta_on_a_top_down_model_flips_each_crop(trained_multi):
    from simgen.pose.data import SourceSpec
    from simgen.pose.evaluate import evaluate
    from simgen.pose.model import load_model
    from simgen.pose.predict import tta_flips
    from simgen.pose.topdown import load_instances, predict_instances

    tm = load_model(trained_multi["model"])
    flips = tta_flips(tm)
    assert len(flips) > 1  # the default augmentation mirrors
    for oracle in (False, True):
        ev = evaluate(tm, str(trained_multi["ds"]), tta=True, oracle_boxes=oracle)
        assert ev.metrics["tta"] == [list(f) for f in flips] and ev.pred.shape == (12, len(tm.keypoints), 2)
    # each crop's answer is the median over its flips: not the plain prediction, and within the image
    inst = load_instances(SourceSpec(trained_multi["ds"]), tm.keypoint_set, boxes=tm.config.finder.boxes)
    plain, _ = predict_instances(tm, inst)
    flipped, _ = predict_instances(tm, inst, tta=True)
    assert flipped.shape == plain.shape and not np.allclose(flipped, plain)
    h, w = inst.labels.load_image(0).shape[:2]
    assert (flipped >= -1).all() and (flipped[..., 0] <= w).all() and (flipped[..., 1] <= h).all()
