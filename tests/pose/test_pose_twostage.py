"""One animal in two stages: a crop model boxed by a whole-image detector (pose/twostage.py)."""

import numpy as np
import pytest
import yaml
from pose_toy import make_toy_images, write_dlc_project
from typer.testing import CliRunner

from simgen.commands.pose import app
from simgen.errors import SimgenError
from simgen.pose.twostage import detector_boxes

TINY = {
    "input_size": [64, 48], "steps": 3, "batch_size": 4, "val_fraction": 0.0, "val_every": 3,
    "checkpoint_every": 3, "threads": 1, "device": "cpu",
    "model": {"widths": [8, 8, 16, 16], "blocks": [1, 1, 1], "decoder_width": 8, "stride": 4},
}


def _invoke(*args, ok=True):
    res = CliRunner().invoke(app, [str(a) for a in args])
    if ok:
        assert res.exit_code == 0, res.output + repr(res.exception)
    return res


def test_detector_boxes_grow_a_collapsed_box_about_its_centre():
    # four frames: three whole animals (box side 40), one whose keypoints all fell on the head
    xy = np.array([
        [[10, 10], [50, 10], [30, 30]],
        [[100, 100], [140, 120], [120, 110]],
        [[0, 0], [20, 40], [10, 20]],
        [[200, 200], [204, 203], [202, 201]],
    ], float)
    boxes = detector_boxes(xy)
    assert np.allclose(boxes[:3], [[10, 10, 50, 30], [100, 100, 140, 120], [0, 0, 20, 40]])
    side = 0.8 * 40  # the median longer side is 40
    assert np.allclose(boxes[3], [202 - side / 2, 201.5 - side / 2, 202 + side / 2, 201.5 + side / 2])


@pytest.fixture(scope="module")
def two_models(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("twostage")
    rng = np.random.default_rng(0)
    imgs, pts = make_toy_images(24, rng)
    proj = write_dlc_project(tmp / "proj", imgs, pts)
    cfg = tmp / "tiny.yaml"
    cfg.write_text(yaml.safe_dump(TINY))
    _invoke("train", proj, "--out", tmp / "det", "--config", cfg)
    out = _invoke("train", proj, "--out", tmp / "crop", "--config", cfg, "--topdown-margin", "0.4").output
    return {"tmp": tmp, "proj": proj, "det": tmp / "det", "crop": tmp / "crop", "imgs": imgs, "out": out}


def test_topdown_margin_on_one_animal_trains_a_crop_model_of_keypoint_boxes(two_models):
    from simgen.pose.model import load_model

    assert "animal crops (top-down)" in two_models["out"]
    assert load_model(two_models["crop"]).topdown == {"margin": 0.4, "box": "keypoints"}
    assert load_model(two_models["det"]).topdown is None


def test_a_fine_tune_of_a_crop_model_stays_a_crop_model(two_models, tmp_path):
    from simgen.pose.model import load_model

    cfg = two_models["tmp"] / "tiny.yaml"
    _invoke("train", f"{two_models['proj']},frames=0:5", "--out", tmp_path / "ft", "--config", cfg,
            "--init", two_models["crop"])
    assert load_model(tmp_path / "ft").topdown == {"margin": 0.4, "box": "keypoints"}


def test_two_stage_prediction_crops_where_the_detector_points(two_models, monkeypatch):
    """The crop model sees the detector's box grown by the margin, and its crop-pixel
    answers come back in image pixels."""
    import simgen.pose.predict as predict
    from simgen.pose.model import load_model
    from simgen.pose.twostage import predict_two_stage

    det, crop = load_model(two_models["det"]), load_model(two_models["crop"])
    real = predict.predict_images
    seen = []

    def fake(model, images, batch_size=16, tta=False):
        images = list(images)
        if model is det:  # three points spanning x 20..60, y 30..50 in every image
            return np.tile([[20.0, 30.0], [60.0, 50.0], [40.0, 40.0]], (len(images), 1, 1)), np.ones((len(images), 3))
        seen.extend(im.shape for im in images)
        return np.tile([[1.0, 2.0]] * 3, (len(images), 1, 1)), np.full((len(images), 3), 0.5)

    monkeypatch.setattr(predict, "predict_images", fake)
    xy, conf = predict_two_stage(crop, det, two_models["imgs"][:3])
    # box 20..60 x 30..50 (longer side 40) grown by 0.4 x 40 on each side: a square of side 72
    # around (40, 40), edges 4 .. 76: pixels 4 .. 76 (73 of them), so crop pixel p is image p + 4
    assert seen == [(73, 73, 3)] * 3
    assert np.allclose(xy, [[[1 + 4, 2 + 4]] * 3] * 3) and np.allclose(conf, 0.5)
    monkeypatch.setattr(predict, "predict_images", real)


def test_evaluate_with_a_detector_reports_two_stages(two_models):
    from simgen.pose.evaluate import evaluate
    from simgen.pose.model import load_model

    crop, det = load_model(two_models["crop"]), load_model(two_models["det"])
    ev = evaluate(crop, str(two_models["proj"]), detector=det)
    assert ev.metrics["two_stage"]["boxes"] == "the detector's predicted keypoints"
    assert ev.pred.shape == (24, 3, 2) and ev.metrics["all"]["n"] == 72
    oracle = evaluate(crop, str(two_models["proj"]))  # no detector: the labels' keypoint boxes
    assert "oracle" in oracle.metrics["topdown"]["boxes"] and "two_stage" not in oracle.metrics
    out = _invoke("evaluate", two_models["crop"], two_models["proj"], "--detector", two_models["det"]).output
    assert "all" in out
    with pytest.raises(SimgenError, match="crop model of one animal"):
        evaluate(det, str(two_models["proj"]), detector=det)
    with pytest.raises(SimgenError, match="whole-image model"):
        evaluate(crop, str(two_models["proj"]), detector=crop)


def test_predict_video_with_a_detector_and_without(two_models, tmp_path):
    import cv2
    import pandas as pd

    video = tmp_path / "toy.mp4"
    writer = cv2.VideoWriter(str(video), cv2.VideoWriter_fourcc(*"mp4v"), 10, (128, 96))
    for img in two_models["imgs"][:5]:
        writer.write(cv2.cvtColor(img, cv2.COLOR_RGB2BGR))
    writer.release()
    res = _invoke("predict", two_models["crop"], video, "--out", tmp_path / "p", ok=False)
    assert isinstance(res.exception, SimgenError) and "--detector" in str(res.exception)
    _invoke("predict", two_models["crop"], video, "--out", tmp_path / "p", "--detector", two_models["det"])
    df = pd.read_csv(next((tmp_path / "p").glob("*.csv")), header=[0, 1, 2], index_col=0)
    assert len(df) == 5 and np.isfinite(df.to_numpy()).all()
