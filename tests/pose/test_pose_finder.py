"""The finding stage of top-down models (pose/finder.py), and predict / evaluate through it
(pose/predict_animals.py, pose/evaluate.py's evaluate_found) on tiny generated images."""

import json
from pathlib import Path

import numpy as np
import pytest
import torch
import yaml
from typer.testing import CliRunner

from simgen.commands.pose import app
from simgen.pose.evaluate import animal_lengths, found_metrics, match_animals
from simgen.pose.finder import box_iou, decode_boxes, encode_boxes, flip_batch, found_boxes

NAMES = ["snout", "leftear", "rightear", "tailbase"]


def _invoke(*args):
    res = CliRunner().invoke(app, [str(a) for a in args])
    assert res.exit_code == 0, res.output + repr(res.exception)
    return res.output


def make_animals(n: int, rng: np.random.Generator, size=(96, 64), count: int = 2, empty=()):
    """n images of ``count`` toy animals each (a grey body ellipse, a red head disc), their
    keypoints (n, count, 4, 2) in NAMES order; images in ``empty`` hold none."""
    import cv2

    w, h = size
    images, pts = [], np.full((n, count, 4, 2), np.nan)
    for i in range(n):
        img = np.clip(np.full((h, w, 3), 50.0) + rng.normal(0, 5, (h, w, 3)), 0, 255).astype(np.uint8)
        centres: list[np.ndarray] = []
        while len(centres) < (0 if i in empty else count):
            c = rng.uniform([16, 16], [w - 17, h - 17])
            if all(np.linalg.norm(c - o) > 30 for o in centres):
                centres.append(c)
        for a, c in enumerate(centres):
            th = rng.uniform(0, 2 * np.pi)
            u = np.array([np.cos(th), np.sin(th)])
            across = np.array([-u[1], u[0]])
            fx = lambda p: (int(round(p[0] * 16)), int(round(p[1] * 16)))  # noqa: E731  (cv2: 4 fraction bits)
            cv2.ellipse(img, fx(c), (12 * 16, 5 * 16), float(np.degrees(th)), 0, 360, (210, 210, 210), -1,
                        cv2.LINE_AA, 4)
            head = c + 7 * u
            cv2.circle(img, fx(head), 4 * 16, (230, 60, 60), -1, cv2.LINE_AA, 4)
            pts[i, a] = [c + 11 * u, head + 4 * across - u, head - 4 * across - u, c - 11 * u]
        images.append(img)
    return images, pts


def write_dlc_multi(root: Path, images, pts) -> Path:
    """A DeepLabCut multi-animal project (4-row header) of ``images`` and ``pts``."""
    import pandas as pd
    from pose_toy import save_toy_images

    folder, index = save_toy_images(root, images)
    cols = pd.MultiIndex.from_product([["toy"], [f"mouse{a}" for a in range(pts.shape[1])], NAMES, ["x", "y"]],
                                      names=["scorer", "individuals", "bodyparts", "coords"])
    pd.DataFrame(pts.reshape(len(pts), -1), columns=cols, index=index).to_csv(folder / "CollectedData_toy.csv")
    (root / "config.yaml").write_text("scorer: toy\nmultianimalproject: true\nbodyparts: [%s]\n" % ", ".join(NAMES))
    return root


# -- targets, decoding, flips: exact ---------------------------------------------------------
def test_box_targets_decode_back_exactly():
    boxes = [np.array([[10.5, 20.25, 40.5, 35.5], [60.0, 5.0, 90.0, 50.0]]), np.zeros((0, 4)),
             np.array([[3.0, 3.0, 20.0, 11.0]])]
    heat, maps, mask = encode_boxes(boxes, (16, 32), 4, 4.0)
    assert heat.shape == (3, 1, 16, 32) and maps.shape == (3, 2, 2, 16, 32) and mask.shape == (3, 2, 16, 32)
    assert float(heat[1].max()) == 0 and float(mask[1].max()) == 0  # no animal: all background
    got = decode_boxes(heat, maps, 4, threshold=0.3, max_animals=5)
    np.testing.assert_allclose(got[0][0], boxes[0], atol=1e-4)  # centre offsets and log sizes invert exactly
    np.testing.assert_allclose(got[2][0], boxes[2], atol=1e-4)
    assert len(got[1][0]) == 0 and got[0][1][0] >= got[0][1][1]  # best first
    one = decode_boxes(heat, maps, 4, threshold=0.3, max_animals=1)
    np.testing.assert_allclose(one[0][0], boxes[0][:1], atol=1e-4)  # more than the maximum: the best kept
    assert all(len(b) == 0 for b, _ in decode_boxes(heat, maps, 4, threshold=0.99, max_animals=5))
    # sizes learned about a reference log size (the training boxes' median): the targets
    # shift by it, the boxes decode back the same
    ref = 1.7
    _, shifted, _ = encode_boxes(boxes, (16, 32), 4, 4.0, log_size_ref=ref)
    on = mask[:, 1].bool()
    np.testing.assert_allclose(shifted[:, 1][on.unsqueeze(1).expand(-1, 2, -1, -1)],
                               maps[:, 1][on.unsqueeze(1).expand(-1, 2, -1, -1)] - ref, atol=1e-5)
    again = decode_boxes(heat, shifted, 4, threshold=0.3, max_animals=5, log_size_ref=ref)
    np.testing.assert_allclose(again[0][0], boxes[0], atol=1e-4)


def test_flips_move_the_boxes_with_the_pixels():
    img = torch.zeros(1, 3, 20, 30)
    img[0, :, 4:9, 2:12] = 1.0  # pixels x 2..11, y 4..8: box at pixel edges (1.5, 3.5, 11.5, 8.5)
    box = np.array([[1.5, 3.5, 11.5, 8.5]])
    for seed in range(8):
        out, b = flip_batch(img, [box], np.random.default_rng(seed))
        ys, xs = np.nonzero(out[0, 0].numpy())
        np.testing.assert_allclose(b[0], [[xs.min() - 0.5, ys.min() - 0.5, xs.max() + 0.5, ys.max() + 0.5]])


def test_box_overlap_and_found_boxes():
    a = np.array([[0, 0, 10, 10], [20, 0, 30, 10]], float)
    np.testing.assert_allclose(box_iou(a, np.array([[5, 0, 15, 10]])), [[50 / 150], [0.0]])
    # one predicted centre 4 px off (within half of 10), one 6 px off (not), one missing
    pred = np.array([[4, 0, 14, 10], [26, 0, 36, 10]], float)
    gt = np.vstack([a, [[100, 100, 110, 110]]])
    assert found_boxes(pred, gt).tolist() == [True, False, False]
    assert found_boxes(np.zeros((0, 4)), gt).tolist() == [False] * 3


# -- evaluation's matching and numbers, by hand -------------------------------------------------
def _animal(snout, tail, ears=True):
    s, t = np.array(snout, float), np.array(tail, float)
    e = s + 0.2 * (t - s)
    xyv = np.array([[*s, 2], [e[0], e[1] + 10, 2], [e[0], e[1] - 10, 2], [*t, 2]])
    if not ears:
        xyv[1:3] = (np.nan, np.nan, 0)
    return xyv


def test_animals_found_and_errors_relative_to_length_are_exact():
    a, b = _animal((0, 0), (100, 0)), _animal((300, 0), (200, 0))  # both 100 px snout to tail base
    c, d = _animal((0, 100), (100, 100), ears=False), _animal((0, 200), (100, 200))
    gt = [np.stack([a, b]), c[None], d[None]]
    pa = a[:, :2] + (6, 8)  # every keypoint 10 px off: 10% of the length; found
    pb = b[:, :2].copy()
    pb[[0, 3]] = pb[[3, 0]]  # head and tail swapped: snout and tail base 100 px off, centre right; found
    far = np.full((4, 2), 1000.0)  # a false animal
    pc = c[:, :2] + (60, 0)  # matched but its centre 60 px off (> half of 100): not found
    pred = [np.stack([pb, far, pa]), np.nan_to_num(pc)[None], np.zeros((0, 4, 2))]  # image 2: its animal missed
    boxes = [np.array([[-5, -5, 105, 5], [0, 0, 1, 1], [0, 0, 1, 1]]), np.array([[40, 90, 150, 110]]), np.zeros((0, 4))]
    am = match_animals(pred, gt, NAMES, boxes=boxes)
    assert am.found.tolist() == [True, True, False, False] and am.predicted == 4
    assert am.boxed.tolist() == [True, False, True, False]  # centres (35, 0), (265, 0), (50, 100), (35, 200)
    np.testing.assert_allclose(am.lengths, 100.0)
    assert np.isnan(am.pred[2:]).all()
    rows = np.concatenate(gt)
    m = found_metrics(am, rows, NAMES)
    assert m["animals"] == {**m["animals"], "labeled": 4, "predicted": 4, "found": 2, "recall": 0.5,
                            "precision": 0.5, "boxed": 2, "box_recall": 0.5}
    # found errors: A 10, 10, 10, 10; B 100, 0, 0, 100
    assert m["all"]["n"] == 8
    assert m["all"]["mean_error"] == pytest.approx(30.0)
    assert m["all"]["rmse"] == pytest.approx(np.sqrt((4 * 100 + 2 * 10000) / 8))
    rel = m["relative"]
    assert rel["length"] == "snout to tailbase"
    assert rel["all"]["mean_pct"] == pytest.approx(30.0)
    assert rel["all"]["rmse_pct"] == pytest.approx(np.sqrt((4 * 100 + 2 * 10000) / 8))
    assert rel["all"]["pck5"] == pytest.approx(2 / 8) and rel["all"]["pck10"] == pytest.approx(6 / 8)
    assert rel["per_keypoint"]["snout"]["mean_pct"] == pytest.approx(55.0)
    assert m["head_tail"]["swapped"] == 1 and m["head_tail"]["frames"] == 2
    json.dumps(m)


def test_lengths_fall_back_to_the_median_and_to_the_keypoint_box():
    rows = np.stack([_animal((0, 0), (100, 0)), _animal((0, 0), (60, 0))])
    rows = np.concatenate([rows, _animal((0, 0), (50, 0))[None]])
    rows[2, 3] = (np.nan, np.nan, 0)  # no tail base: the median of the others
    lengths, what = animal_lengths(rows, NAMES)
    np.testing.assert_allclose(lengths, [100, 60, 80])
    assert "median" in what
    lengths, what = animal_lengths(rows, ["a", "b", "c", "d"])  # no snout / tail base names
    np.testing.assert_allclose(lengths, [100, 60, 20])  # longer side of the labeled keypoints' box
    assert "box" in what


# -- a tiny model trained end to end: find, crop, pose ----------------------------------------
TINY = {
    "input_size": [48, 48], "steps": 150, "batch_size": 8, "val_every": 50, "checkpoint_every": 150,
    "val_fraction": 0.1, "threads": 1, "device": "cpu", "augment": {"rotation_deg": 180},
    "model": {"widths": [8, 8, 16, 16], "blocks": [1, 1, 1], "decoder_width": 8, "stride": 4},
    "finder": {"steps": 150, "input_size": [96, 64]},
}


@pytest.fixture(scope="module")
def toy_animals(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("finder")
    rng = np.random.default_rng(0)
    images, pts = make_animals(48, rng, empty=(44,))
    train = write_dlc_multi(tmp / "train", images[:40], pts[:40])
    test = write_dlc_multi(tmp / "test", images[40:44], pts[40:44])
    frames = tmp / "frames"
    frames.mkdir()
    from PIL import Image

    for i in range(40, 48):
        Image.fromarray(images[i]).save(frames / f"f{i}.png")
    cfg = tmp / "tiny.yaml"
    cfg.write_text(yaml.safe_dump(TINY))
    out = _invoke("train", train, "--out", tmp / "model", "--config", cfg)
    return {"tmp": tmp, "model": tmp / "model", "test": test, "frames": frames, "pts": pts, "images": images,
            "output": out}


def test_the_finding_stage_finds_both_animals_in_held_out_images(toy_animals):
    from simgen.pose.finder import find, model_finder
    from simgen.pose.model import load_model

    assert "finding stage: 36 training images" in toy_animals["output"]
    tm = load_model(toy_animals["model"])
    finder = model_finder(tm)
    assert finder.max_animals == 2 and finder.input_size == (96, 64)
    got = find(finder, toy_animals["images"][40:48])
    pts = toy_animals["pts"]
    hits = 0
    for (boxes, scores), p in zip(got[:4], pts[40:44]):
        gt = np.concatenate([p.min(axis=1), p.max(axis=1)], axis=1)
        hits += int(found_boxes(boxes, gt).sum())
        assert len(boxes) == 2 and (scores >= finder.threshold).all()
    assert hits == 8
    assert len(got[4][0]) == 0  # the empty image: no animal


def test_predict_on_a_folder_writes_multi_animal_dlc_files(toy_animals, tmp_path):
    import pandas as pd

    out = _invoke("predict", toy_animals["model"], toy_animals["frames"], "--out", tmp_path)
    csv = tmp_path / "framessimgenPose.csv"
    assert "wrote h5" in out and "wrote sheet" in out
    head = [line.split(",")[0] for line in csv.read_text().splitlines()[:5]]
    assert head[:4] == ["scorer", "individuals", "bodyparts", "coords"] and head[4] == "f40.png"
    df = pd.read_csv(csv, header=[0, 1, 2, 3], index_col=0)
    assert list(df.columns.names) == ["scorer", "individuals", "bodyparts", "coords"]
    assert list(dict.fromkeys(df.columns.get_level_values("individuals"))) == ["animal0", "animal1"]
    assert list(dict.fromkeys(df.columns.get_level_values("bodyparts"))) == NAMES
    assert list(df.index) == [f"f{i}.png" for i in range(40, 48)]
    h5 = pd.read_hdf(tmp_path / "framessimgenPose.h5", "df_with_missing")
    np.testing.assert_allclose(h5.to_numpy(), df.to_numpy(), rtol=1e-6)
    assert df.loc["f44.png"].isna().all()  # no animal in that frame: NaN, no error
    assert df.loc["f40.png"].notna().all()
    import sleap_io as sio

    slp = sio.load_slp(str(tmp_path / "framessimgenPose.predictions.slp"))
    assert [lf.frame_idx for lf in slp.labeled_frames] == [0, 1, 2, 3, 5, 6, 7]  # f44.png: no animal
    first = slp.labeled_frames[0]
    assert len(first.instances) == 2 and all(type(i).__name__ == "PredictedInstance" for i in first.instances)
    np.testing.assert_allclose(first.instances[0].numpy(), df.loc["f40.png"][("simgenPose", "animal0")]
                               .to_numpy().reshape(4, 3)[:, :2], rtol=1e-5)
    assert slp.skeletons[0].node_names == NAMES
    assert tuple(slp.videos[0].shape) == (8, 64, 96, 3) and Path(slp.videos[0].filename[5]).name == "f45.png"
    boxes = pd.read_csv(tmp_path / "framessimgenPose_boxes.csv")
    assert list(boxes.columns) == ["frame", "animal", "x0", "y0", "x1", "y1", "score"]
    assert "f44.png" not in set(boxes["frame"]) and (boxes.groupby("frame").size() == 2).all()
    from PIL import Image

    with Image.open(tmp_path / "framessimgenPose_sheet.png") as im:
        assert im.width == 4 * 320
    # at most one animal: the best-scoring one, one individual in the table
    _invoke("predict", toy_animals["model"], toy_animals["frames"], "--out", tmp_path / "one", "--max-animals", "1")
    one = pd.read_csv(tmp_path / "one" / "framessimgenPose.csv", header=[0, 1, 2, 3], index_col=0)
    assert set(one.columns.get_level_values("individuals")) == {"animal0"}
    best = boxes[boxes["animal"] == 0].set_index("frame")["score"]
    one_boxes = pd.read_csv(tmp_path / "one" / "framessimgenPose_boxes.csv").set_index("frame")["score"]
    np.testing.assert_allclose(one_boxes.loc[best.index], best, rtol=1e-6)


def test_evaluate_finds_the_animals_without_the_labeled_boxes(toy_animals, tmp_path):
    from simgen.pose.evaluate import evaluate
    from simgen.pose.model import load_model

    ev = evaluate(load_model(toy_animals["model"]), str(toy_animals["test"]))
    a = ev.metrics["animals"]
    assert (a["labeled"], a["predicted"], a["found"]) == (8, 8, 8) and a["recall"] == a["precision"] == 1.0
    assert ev.metrics["relative"]["length"] == "snout to tailbase"
    assert ev.metrics["relative"]["all"]["n"] == ev.metrics["all"]["n"] == 32
    out = _invoke("evaluate", toy_animals["model"], toy_animals["test"], "--out", tmp_path, "--threshold", "0.99")
    assert "animals found: 0 of 8 labeled (recall 0.0%)" in out  # nothing reaches that score
    saved = json.loads((tmp_path / "metrics.json").read_text())
    assert saved["animals"]["found"] == 0 and saved["topdown"]["threshold"] == 0.99
    assert (tmp_path / "worst_frames.png").is_file()  # the animals not found, labels only


def test_the_finding_stage_of_a_pretrained_backbone_starts_from_imagenet(tmp_path):
    from simgen.pose.backbones import PRETRAINED
    from simgen.pose.config import PoseConfig
    from simgen.pose.data import SourceSpec
    from simgen.pose.finder import Finder, train_finder
    from simgen.pose.topdown import load_instances
    from simgen.pose.train import make_optimizer

    images, pts = make_animals(6, np.random.default_rng(1))
    inst = load_instances(SourceSpec(write_dlc_multi(tmp_path / "p", images, pts)))
    cfg = PoseConfig(input_size=(64, 64), steps=2, batch_size=2, val_fraction=0, threads=1, device="cpu",
                     model={"backbone": "efficientnet_lite0", "decoder_width": 8})
    finder = train_finder([inst], cfg, torch.device("cpu"), make_optimizer, log=lambda _: None, progress=False)
    imagenet = PRETRAINED["efficientnet_lite0"].load().state_dict()
    trained = finder.net.encoder.state_dict()
    assert torch.equal(trained["_bn0.running_var"], imagenet["_bn0.running_var"])  # frozen statistics
    w0, w1 = imagenet["_conv_stem.weight"], trained["_conv_stem.weight"]
    assert not torch.equal(w0, w1) and float((w1 - w0).abs().max()) < 0.05  # ImageNet's, learned a little
    again = Finder.from_state(finder.state())  # saved and loaded with the model
    assert torch.equal(again.net.encoder.state_dict()["_conv_stem.weight"], w1)


def test_fine_tuning_starts_the_finding_stage_from_the_init_model(toy_animals, tmp_path):
    from simgen.pose.model import load_model

    cfg = tmp_path / "ft.yaml"
    cfg.write_text(yaml.safe_dump({**TINY, "steps": 2, "finder": {**TINY["finder"], "steps": 2}}))
    out = _invoke("train", toy_animals["test"], "--out", tmp_path / "ft", "--config", cfg,
                  "--init", toy_animals["model"], "--init-mix", "0")
    assert f"finding stage: initialized from {toy_animals['model']}" in out
    tm = load_model(tmp_path / "ft")
    assert tm.topdown["margin"] == 0.25 and tm.topdown["finder"]["max_animals"] == 2
