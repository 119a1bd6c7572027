"""Test-time augmentation: the median over the flips a model was trained for (pose/predict.py)."""

import numpy as np
import torch

from simgen.pose.model import TrainedModel
from simgen.pose.predict import predict_images, tta_flips


class BrightestPixel(torch.nn.Module):
    """A stride-1 'model' whose keypoint k is the brightest pixel of color channel k: it
    sees a flipped image exactly as flipped, so un-flipping must give the same answer."""

    stride = 1
    num_keypoints = 3

    def __init__(self):
        super().__init__()
        self.dummy = torch.nn.Parameter(torch.zeros(1))

    def forward(self, x):
        logits = (x - 0.5) * 60
        return logits, torch.zeros(x.shape[0], 3, 2, *x.shape[-2:])


def _model(swap_pairs=(), **augment):
    return TrainedModel(BrightestPixel(), ["left", "right", "mid"], list(swap_pairs), (64, 48),
                        config={"augment": augment})


def _image():
    img = np.zeros((48, 64, 3), np.uint8)
    img[10, 5, 0] = img[30, 50, 1] = img[40, 20, 2] = 255  # red (x 5, y 10), green (50, 30), blue (20, 40)
    return img


def test_the_flips_follow_the_training_augmentation():
    assert tta_flips(_model(flip=0.5, rotation_deg=25)) == [(False, False), (True, False)]
    assert tta_flips(_model(flip=0.5, rotation_deg=180)) == [(False, False), (True, False), (False, True),
                                                             (True, True)]
    assert tta_flips(_model(flip=0.0, rotation_deg=180)) == [(False, False), (True, True)]
    assert tta_flips(_model(enabled=False, flip=0.5, rotation_deg=180)) == [(False, False)]


def test_every_flip_maps_back_to_the_same_pixels():
    m = _model(flip=0.5, rotation_deg=180)
    plain, _ = predict_images(m, [_image()])
    assert np.allclose(plain[0], [[5, 10], [50, 30], [20, 40]])
    tta, conf = predict_images(m, [_image()], tta=True)
    assert np.allclose(tta, plain) and conf.shape == (1, 3)


def test_a_mirror_swaps_left_and_right():
    """In a mirrored image the model's 'left' is the animal's right: the answer swaps back."""
    from simgen.pose.predict import unflip

    xy, conf = np.array([[5.0, 10.0], [50.0, 30.0], [20.0, 40.0]]), np.array([0.1, 0.2, 0.3])
    # pixel i <-> w - 1 - i (w 64, h 48); one flip swaps keypoints 0 and 1
    for flip, want in (((True, False), [[13, 30], [58, 10], [43, 40]]), ((False, True), [[50, 17], [5, 37], [20, 7]]),
                       ((True, True), [[58, 37], [13, 17], [43, 7]])):
        got, c = unflip(xy, conf, flip, (64, 48), [1, 0, 2])
        assert np.allclose(got, want), flip
        assert np.allclose(c, [0.2, 0.1, 0.3] if flip[0] != flip[1] else conf)


def test_the_median_outvotes_one_flip_that_went_wrong():
    m = _model(flip=0.5, rotation_deg=180)
    net = m.net
    calls = []
    real = net.forward

    def forward(x):  # in every batch, the image's third flip (vertical) gets a bright decoy
        calls.append(1)
        x = x.clone()
        x[2::4, 0, 0, 0] = 1.0
        return real(x)

    net.forward = forward
    xy, _ = predict_images(m, [_image(), _image()], tta=True)
    assert calls and np.allclose(xy, [[[5, 10], [50, 30], [20, 40]]] * 2)


def test_evaluate_and_predict_take_tta_end_to_end(toy_project, tmp_path):
    import json

    import cv2
    import pandas as pd
    import yaml
    from typer.testing import CliRunner

    from simgen.commands.pose import app

    tiny = {"input_size": [64, 48], "steps": 3, "batch_size": 4, "val_fraction": 0.0, "val_every": 3,
            "checkpoint_every": 3, "threads": 1, "device": "cpu",
            "model": {"widths": [8, 8, 16, 16], "blocks": [1, 1, 1], "decoder_width": 8, "stride": 4}}
    cfg = tmp_path / "tiny.yaml"
    cfg.write_text(yaml.safe_dump(tiny))
    train, test, _ = toy_project

    def invoke(*args):
        res = CliRunner().invoke(app, [str(a) for a in args])
        assert res.exit_code == 0, res.output + repr(res.exception)

    invoke("train", train, "--out", tmp_path / "m", "--config", cfg, "--full-rotation")
    invoke("evaluate", tmp_path / "m", test, "--tta", "--out", tmp_path / "ev")
    saved = json.loads((tmp_path / "ev" / "metrics.json").read_text())
    assert saved["tta"] == [[False, False], [True, False], [False, True], [True, True]]
    video = tmp_path / "toy.mp4"
    writer = cv2.VideoWriter(str(video), cv2.VideoWriter_fourcc(*"mp4v"), 10, (128, 96))
    for _ in range(3):
        writer.write(np.full((96, 128, 3), 60, np.uint8))
    writer.release()
    invoke("predict", tmp_path / "m", video, "--tta", "--out", tmp_path / "p")
    df = pd.read_csv(next((tmp_path / "p").glob("*.csv")), header=[0, 1, 2], index_col=0)
    assert len(df) == 3 and np.isfinite(df.to_numpy()).all()
