"""Train on toy blob images through the CLI, then evaluate, predict, resume and fine-tune."""

import json

import numpy as np
import pytest
import yaml
from typer.testing import CliRunner

from simgen.commands.pose import app

TOY_CONFIG = {
    "input_size": [128, 96], "sigma_px": 3.0, "steps": 100, "batch_size": 8, "lr": 0.006,
    "val_every": 20, "checkpoint_every": 100, "val_fraction": 0.2, "threads": 1, "device": "cpu",
    "model": {"widths": [16, 24, 32, 48], "blocks": [1, 1, 1], "decoder_width": 32, "stride": 4},
    # Blob colors tell the keypoints apart, so no flip; mild geometry keeps 100 steps enough
    # (measured: loss 0.49x its first logged value, held-out mean error 0.51 px, PCK@5 1.0).
    "augment": {"flip": 0.0, "rotation_deg": 15, "cutout_p": 0.0},
}


def _invoke(*args):
    res = CliRunner().invoke(app, [str(a) for a in args])
    assert res.exit_code == 0, res.output + repr(res.exception)
    return res.output


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    from pose_toy import make_toy_images, write_dlc_project

    tmp = tmp_path_factory.mktemp("toy")
    imgs, pts = make_toy_images(48, np.random.default_rng(0))
    train_dir = write_dlc_project(tmp / "train", imgs[:40], pts[:40])
    test_dir = write_dlc_project(tmp / "test", imgs[40:], pts[40:])
    cfg = tmp / "toy.yaml"
    cfg.write_text(yaml.safe_dump(TOY_CONFIG))
    out = _invoke("train", train_dir, "--out", tmp / "model", "--config", cfg)
    return {"tmp": tmp, "train": train_dir, "test": test_dir, "cfg": cfg, "model": tmp / "model",
            "images": imgs[40:], "points": pts[40:], "output": out}


def test_training_lowers_loss_and_finds_held_out_keypoints(trained):
    from simgen.pose.evaluate import evaluate
    from simgen.pose.model import load_model

    model = trained["model"]
    history = json.loads((model / "history.json").read_text())
    assert history[-1]["loss"] < 0.6 * history[0]["loss"]
    assert (model / "val_curve.png").stat().st_size > 1000
    assert (model / "checkpoint.pt").is_file() and (model / "model.pt").is_file()
    tm = load_model(model)
    assert tm.keypoints == ["red", "green", "blue"]
    ev = evaluate(tm, str(trained["test"]))
    assert ev.metrics["frames"] == 8
    assert ev.metrics["all"]["mean_error"] < 2.0
    assert ev.metrics["all"]["pck5"] == 1.0


def test_evaluate_cli_writes_report(trained):
    out_dir = trained["tmp"] / "eval"
    text = _invoke("evaluate", trained["model"], trained["test"], "--out", out_dir)
    assert "PCK@5" in text and "visible" in text
    m = json.loads((out_dir / "metrics.json").read_text())
    assert set(m["per_keypoint"]) == {"red", "green", "blue"}
    assert (out_dir / "worst_frames.png").stat().st_size > 1000
    import pandas as pd

    df = pd.read_csv(out_dir / "predictions.csv", header=[0, 1, 2], index_col=0)
    assert df.shape == (8, 9)


def test_predict_writes_deeplabcut_tables(trained):
    import cv2
    import pandas as pd

    video = trained["tmp"] / "toy.avi"
    writer = cv2.VideoWriter(str(video), cv2.VideoWriter_fourcc(*"MJPG"), 10, (128, 96))
    for img in trained["images"]:
        writer.write(cv2.cvtColor(img, cv2.COLOR_RGB2BGR))
    writer.release()
    out_dir = trained["tmp"] / "pred"
    _invoke("predict", trained["model"], video, "--out", out_dir, "--labeled-video")
    csv = pd.read_csv(out_dir / "toysimgenPose.csv", header=[0, 1, 2], index_col=0)
    h5 = pd.read_hdf(out_dir / "toysimgenPose.h5")
    assert list(h5.columns.names) == ["scorer", "bodyparts", "coords"]
    assert list(h5.columns.get_level_values("coords")[:3]) == ["x", "y", "likelihood"]
    assert h5.shape == csv.shape == (8, 9)
    assert np.allclose(csv.to_numpy(), h5.to_numpy())
    xy = h5.to_numpy().reshape(8, 3, 3)
    # MJPG compression blurs colors a little; the blobs are still found.
    assert np.median(np.linalg.norm(xy[..., :2] - trained["points"], axis=-1)) < 2.0
    assert ((xy[..., 2] >= 0) & (xy[..., 2] <= 1)).all()
    assert (out_dir / "toysimgenPose_labeled.mp4").is_file()


@pytest.mark.slow  # 20 more training steps; the default run covers training once
def test_resume_continues_and_init_fine_tunes(trained, run_cli):
    tmp = trained["tmp"]
    code, _, err = run_cli("pose", "train", trained["train"], "--out", trained["model"], "--config", trained["cfg"])
    assert code == 1 and "--resume" in err
    import shutil

    shutil.copytree(trained["model"], tmp / "resumed")
    out = _invoke("train", trained["train"], "--out", tmp / "resumed", "--config", trained["cfg"],
                  "--resume", "--steps", 120)
    assert "resumed at step 100" in out
    hist = json.loads((tmp / "resumed" / "history.json").read_text())
    assert [h["step"] for h in hist][-2:] == [100, 120]
    out = _invoke("train", f"{trained['test']},frames=0:6", "--out", tmp / "tuned", "--config", trained["cfg"],
                  "--init", trained["model"], "--steps", 25)
    assert "3/3 keypoints matched" in out
    hist = json.loads((tmp / "tuned" / "history.json").read_text())
    # Starting from the trained model, the first validation is already good.
    assert hist[0]["val_error"] < 3.0


def test_bad_inputs_are_clear_errors(tmp_path, run_cli):
    code, _, err = run_cli("pose", "train", tmp_path / "nope", "--out", tmp_path / "m")
    assert code == 1 and "no such dataset" in err
    bad = tmp_path / "bad.yaml"
    bad.write_text("steps: 10\nlearning_rate: 1\n")
    code, _, err = run_cli("pose", "train", tmp_path, "--out", tmp_path / "m", "--config", bad)
    assert code == 2 and "bad.yaml:2: learning_rate: unknown key" in err  # a config file error, like a scene's
    code, _, err = run_cli("pose", "evaluate", tmp_path, tmp_path)
    assert code == 1 and "no trained pose model" in err


def test_bundled_large_config_trains_saves_and_loads(trained):
    """`--config large` (the GPU backbone) builds, trains a step and round-trips; its size is
    measured at a toy input so the test stays fast on a CPU."""
    import torch

    from simgen.pose.config import load_config
    from simgen.pose.model import build_net, load_model
    from simgen.pose.train import train

    default, large = load_config("default"), load_config("large")
    assert large.model.blocks == (3, 4, 6) and large.input_size == (640, 512)
    cfg = load_config("large", {"input_size": [64, 48], "steps": 1, "batch_size": 2, "threads": 1,
                                "device": "cpu", "val_every": 1, "checkpoint_every": 1})
    out = trained["tmp"] / "large"
    train([str(trained["train"])], out, cfg, progress=False, log=lambda _: None)
    tm = load_model(out)
    n_large = sum(p.numel() for p in tm.net.parameters())
    assert 20e6 < n_large < 25e6
    assert list(tm.config.model.widths) == [64, 128, 256, 384]
    assert n_large > 20 * sum(p.numel() for p in build_net(3, default.model.model_dump()).parameters())
    with torch.no_grad():
        heat, offsets = tm.net(torch.zeros(1, 3, 48, 64))
    assert heat.shape == (1, 3, 12, 16) and offsets.shape == (1, 3, 2, 12, 16)


def test_a_trained_model_keeps_its_body_prior_and_argmax_turns_it_off(trained, tmp_path):
    # the keypoints' pairwise distances in the training labels (pose/body_prior.py)
    from simgen.pose.model import load_model

    tm = load_model(trained["model"])
    k = len(tm.keypoints)
    assert np.array(tm.prior["mean"]).shape == (k, k) and tm.decode_prior is tm.prior
    # a model saved before the prior gets the same one from its recorded training sources
    from simgen.pose.train import refit_prior

    saved = tm.prior
    tm.prior = None
    refit_prior(tm, log=lambda s: None)
    np.testing.assert_allclose(np.array(tm.prior["mean"]), np.array(saved["mean"]), rtol=1e-9)
    assert tm.prior["anchors"] == saved["anchors"]
    assert tm.read_argmaxes().decode_prior is None
    # a model saved before the prior existed loads with none and reads argmaxes
    tm.prior = None
    tm.save(tmp_path)
    assert load_model(tmp_path).prior is None and load_model(tmp_path).decode_prior is None
