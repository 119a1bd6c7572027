"""A saved model's training config is read back through PoseConfig: old models load with the
schema's defaults, a malformed config is one line."""

from __future__ import annotations

import pytest
import torch

from simgen.errors import SimgenError
from simgen.pose.config import PoseConfig
from simgen.pose.model import TrainedModel, build_net, load_model
from simgen.pose.predict import tta_flips

SMALL = {"widths": [8, 8, 8, 8], "blocks": [1, 1, 1], "decoder_width": 8, "stride": 4}


def _save(folder, config: dict) -> None:
    """A model.pt as the first simgen-pose/1 versions wrote it: no backbone, finder, init_mix."""
    net = build_net(2, SMALL)
    folder.mkdir()
    torch.save({"format": "simgen-pose/1", "arch": {"num_keypoints": 2, **SMALL}, "weights": net.state_dict(),
                "keypoints": ["snout", "tailbase"], "swap_pairs": [], "input_size": [64, 48], "config": config},
               folder / "model.pt")


def _old_config() -> dict:
    cfg = PoseConfig().model_dump(mode="json")
    for key in ("init_mix", "backbone_lr", "freeze_backbone_bn", "finder"):
        del cfg[key]
    del cfg["model"]["backbone"]
    cfg["model"].update(SMALL)
    cfg["augment"] = {"enabled": True, "rotation_deg": 180.0}  # the rest left to the schema
    return cfg


def test_an_old_model_loads_with_the_schema_defaults(tmp_path):
    _save(tmp_path / "m", _old_config())
    tm = load_model(tmp_path / "m")
    assert isinstance(tm.config, PoseConfig)
    assert tm.config.model.backbone == "simgen" and tm.config.init_mix == PoseConfig().init_mix
    assert tm.config.augment.flip == 0.5  # the schema's default, not a reader's own 0
    assert tta_flips(tm) == [(False, False), (True, False), (False, True), (True, True)]
    assert tm.config.finder.boxes == "keypoints"  # no finder: not a top-down model
    tm.save(tmp_path / "again")  # saved again: the full config, and it loads the same
    again = load_model(tmp_path / "again")
    assert again.config == tm.config
    assert torch.load(tmp_path / "again" / "model.pt", weights_only=False)["config"]["augment"]["flip"] == 0.5


def test_a_malformed_saved_config_is_one_line(tmp_path):
    cfg = _old_config()
    cfg["augment"]["flip"] = 2.0
    _save(tmp_path / "m", cfg)
    with pytest.raises(SimgenError) as err:
        load_model(tmp_path / "m")
    msg = str(err.value)
    assert "\n" not in msg and "model.pt" in msg and "augment.flip" in msg


def test_a_config_built_in_code_is_validated_too():
    tm = TrainedModel(build_net(2, SMALL), ["a", "b"], [], (64, 48), {"model": SMALL})
    assert tm.config.model.decoder_width == 8 and tm.config.augment.flip == 0.5
    with pytest.raises(SimgenError, match="steps"):
        TrainedModel(build_net(2, SMALL), ["a", "b"], [], (64, 48), {"steps": 0})


def test_an_old_top_down_model_keeps_the_mask_boxes_it_was_trained_on():
    from simgen.pose.model import saved_config

    cfg = PoseConfig().model_dump(mode="json")
    del cfg["finder"]["boxes"]  # saved before the box was a choice
    assert saved_config(cfg).finder.boxes == "mask"
    assert saved_config(PoseConfig().model_dump(mode="json")).finder.boxes == "keypoints"


def _bundled() -> list[str]:
    from simgen.resources import config_path

    return sorted(p.stem for p in config_path("pose", "default").parent.glob("*.yaml"))


@pytest.mark.parametrize("name", _bundled())
def test_every_bundled_config_loads(name):
    from simgen.pose.config import load_config

    assert {"default", "cage"} <= set(_bundled())
    cfg = load_config(name)
    assert cfg.steps >= 1 and cfg.input_size[0] % 16 == 0
    if name == "cage":  # the top-down recipe of docs/home-cage.md
        assert cfg.input_size == (192, 192) and cfg.augment.rotation_deg == 180
        assert cfg.finder.input_size == (320, 192) and cfg.finder.threshold == 0.2 and cfg.finder.boxes == "keypoints"
        assert cfg.model.backbone == "efficientnet_lite0"  # measured better there (docs/benchmarks.md)
