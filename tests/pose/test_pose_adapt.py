"""Batch-norm statistics from the lab's video (pose/adapt.py)."""

import numpy as np
import pytest
import torch

from simgen.errors import SimgenError
from simgen.pose.adapt import adapt_bn, video_frames
from simgen.pose.data import letterbox
from simgen.pose.model import TrainedModel, build_net

ARCH = {"widths": [8, 8, 8, 8], "blocks": [1, 1, 1], "decoder_width": 8, "stride": 4}


def _model() -> TrainedModel:
    torch.manual_seed(0)
    net = build_net(2, ARCH).eval()
    return TrainedModel(net, ["a", "b"], [], (64, 48), config={"model": ARCH})


def _frames(n: int, seed: int = 0) -> list[np.ndarray]:
    rng = np.random.default_rng(seed)
    return [rng.integers(0, 256, (96, 128, 3), dtype=np.uint8) for _ in range(n)]


def test_the_statistics_are_those_of_the_frames_and_the_weights_stay():
    m = _model()
    before = {k: v.clone() for k, v in m.net.state_dict().items()}
    frames = _frames(10)
    tm = adapt_bn(m, frames, batch_size=16)  # one batch: the running mean is that batch's mean
    first_conv, first_bn = tm.net.stem[0][0], tm.net.stem[0][1]
    x = torch.from_numpy(np.stack([letterbox(f, (64, 48))[0] for f in frames])).permute(0, 3, 1, 2).float() / 255
    with torch.no_grad():
        feat = first_conv(x - 0.5)  # the net centres its input first
    assert torch.allclose(first_bn.running_mean, feat.mean(dim=(0, 2, 3)), atol=1e-5)
    assert torch.allclose(first_bn.running_var, feat.var(dim=(0, 2, 3), unbiased=True), rtol=1e-4, atol=1e-6)
    after = tm.net.state_dict()
    learned = [k for k in before if not k.split(".")[-1].startswith(("running_", "num_batches"))]
    assert learned and all(torch.equal(before[k], after[k]) for k in learned)
    assert any(not torch.equal(before[k], after[k]) for k in before if k.endswith("running_mean"))
    # the given model is untouched, the copy predicts in eval mode and records what was done
    assert all(torch.equal(before[k], v) for k, v in m.net.state_dict().items())
    assert not tm.net.training and tm.config["adapted_bn"] == {"frames": 10}


def test_batches_average_and_a_lone_last_frame_joins_the_batch_before():
    m = _model()
    tm = adapt_bn(m, _frames(9), batch_size=4)  # batches of 4 and 5: no batch of one
    assert int(tm.net.stem[0][1].num_batches_tracked) == 2


def test_too_few_frames_and_top_down_models_are_refused():
    m = _model()
    with pytest.raises(SimgenError, match="at least 2 frames"):
        adapt_bn(m, _frames(1))
    m.topdown = {"margin": 0.25}
    with pytest.raises(SimgenError, match="top-down"):
        adapt_bn(m, _frames(4))


def test_video_frames_are_spread_over_the_video(tmp_path):
    import cv2

    path = tmp_path / "v.avi"
    w = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"MJPG"), 10, (32, 24))
    for i in range(50):
        w.write(np.full((24, 32, 3), i * 5, np.uint8))
    w.release()
    got = [int(round(f.mean() / 5)) for f in video_frames(path, 5)]
    assert got == [0, 12, 24, 36, 49]
    assert len(video_frames(path, 500)) == 50
    with pytest.raises(SimgenError, match="no such video"):
        video_frames(tmp_path / "missing.mp4", 5)
    (tmp_path / "bad.mp4").write_text("not a video")
    with pytest.raises(SimgenError):
        video_frames(tmp_path / "bad.mp4", 5)


def test_pose_adapt_writes_a_model_that_predicts_and_refuses_to_overwrite(toy_project, tmp_path, run_cli):
    import cv2
    import yaml

    from simgen.pose.model import load_model

    tiny = {"input_size": [64, 48], "steps": 3, "batch_size": 4, "val_fraction": 0.0, "val_every": 3,
            "checkpoint_every": 3, "threads": 1, "device": "cpu", "model": ARCH}
    cfg = tmp_path / "tiny.yaml"
    cfg.write_text(yaml.safe_dump(tiny))
    train, test, _ = toy_project
    video = tmp_path / "lab.avi"
    writer = cv2.VideoWriter(str(video), cv2.VideoWriter_fourcc(*"MJPG"), 10, (128, 96))
    for i in range(12):
        writer.write(np.full((96, 128, 3), 20 * i, np.uint8))
    writer.release()

    assert run_cli("pose", "train", train, "--out", tmp_path / "m", "--config", cfg)[0] == 0
    code, out, err = run_cli("pose", "adapt", tmp_path / "m", video, "--out", tmp_path / "a", "--frames", 6)
    assert code == 0, out + err
    assert "on 6 frames" in out
    adapted = load_model(tmp_path / "a")
    assert adapted.config["adapted_bn"] == {"frames": 6}
    assert run_cli("pose", "evaluate", tmp_path / "a", test)[0] == 0
    # fine-tuning starts from an adapted model as from any other
    assert run_cli("pose", "train", test, "--init", tmp_path / "a", "--out", tmp_path / "f", "--config", cfg)[0] == 0
    code, out, err = run_cli("pose", "adapt", tmp_path / "m", video, "--out", tmp_path / "a")
    assert code != 0 and "already holds a model" in out + err
    code, out, err = run_cli("pose", "adapt", tmp_path / "m", tmp_path / "nope.mp4", "--out", tmp_path / "b")
    assert code != 0 and "no such video" in out + err
