"""Fine-tuning keeps the init model's data in the batches; head/tail swaps are counted;
full-rotation augmentation."""

import json
from pathlib import Path

import numpy as np
import yaml
from typer.testing import CliRunner

from simgen.commands.pose import app
from simgen.pose.data import SourceSpec
from simgen.pose.evaluate import head_tail_swaps, metrics
from simgen.pose.finetune import mix_init_sources, source_from_record, source_record

TINY = {
    "input_size": [64, 48], "steps": 3, "batch_size": 4, "val_fraction": 0.0, "val_every": 3,
    "checkpoint_every": 3, "threads": 1, "device": "cpu",
    "model": {"widths": [8, 8, 16, 16], "blocks": [1, 1, 1], "decoder_width": 8, "stride": 4},
}


def test_recorded_sources_round_trip(tmp_path):
    for frames in (None, slice(2, 5), slice(None, 3), (0, 4, 7)):
        spec = SourceSpec(tmp_path / "d", 2.5, frames)
        rec = json.loads(json.dumps(source_record(spec)))
        back = source_from_record(rec)
        assert back.path == (tmp_path / "d").resolve() and back.weight == 2.5 and back.frames == frames


def test_mix_gives_the_init_data_its_share(tmp_path):
    for name in ("real", "syn_a", "syn_b"):
        (tmp_path / name).mkdir()
    real = [SourceSpec(tmp_path / "real", 2.0)]
    recorded = [source_record(SourceSpec(tmp_path / "syn_a", 1.0)),
                source_record(SourceSpec(tmp_path / "syn_b", 3.0)),
                source_record(SourceSpec(tmp_path / "gone", 1.0)),
                source_record(SourceSpec(tmp_path / "real", 1.0))]
    lines = []
    mixed = mix_init_sources(real, recorded, 0.5, lines.append)
    assert [s.path.name for s in mixed] == ["real", "syn_a", "syn_b"]
    w = np.array([s.weight for s in mixed])
    assert np.isclose(w[1:].sum() / w.sum(), 0.5)
    assert np.isclose(w[2] / w[1], 3.0)  # recorded weights kept among themselves
    assert any("gone" in ln for ln in lines) and any("not mixed in twice" in ln for ln in lines)
    mixed = mix_init_sources(real, recorded, 0.25, lines.append)
    w = np.array([s.weight for s in mixed])
    assert np.isclose(w[1:].sum() / w.sum(), 0.25)
    assert mix_init_sources(real, recorded, 0.0) == real


def _train(*args):
    res = CliRunner().invoke(app, ["train", *[str(a) for a in args]])
    assert res.exit_code == 0, res.output + repr(res.exception)
    return res.output


def test_init_fine_tuning_mixes_the_pretraining_data_in(toy_project, tmp_path):
    from simgen.pose.model import load_model

    train, test, _ = toy_project
    cfg = tmp_path / "tiny.yaml"
    cfg.write_text(yaml.safe_dump(TINY))
    _train(train, "--out", tmp_path / "pre", "--config", cfg, "--full-rotation")
    pre = load_model(tmp_path / "pre")
    assert [Path(s["path"]) for s in pre.sources] == [train.resolve()]
    assert pre.config.augment.rotation_deg == 180.0
    out = _train(f"{test},frames=0:4", "--out", tmp_path / "tuned", "--config", cfg, "--init", tmp_path / "pre")
    assert "mixing in the init model's training data (50% of batches)" in out
    assert "44 training frames" in out  # 4 new + the 40 it was pretrained on
    tuned = load_model(tmp_path / "tuned")
    assert [Path(s["path"]) for s in tuned.sources] == [test.resolve(), train.resolve()]
    assert tuned.sources[0]["frames"] == {"start": 0, "stop": 4}
    assert np.isclose(tuned.sources[0]["weight"], tuned.sources[1]["weight"])  # half and half
    out = _train(f"{test},frames=0:4", "--out", tmp_path / "plain", "--config", cfg, "--init", tmp_path / "pre",
                 "--init-mix", 0)
    assert "mixing" not in out and "4 training frames" in out


def test_head_tail_swaps_count_frames_whose_snout_sits_on_the_tail():
    names = ["snout", "leftear", "rightear", "tailbase"]
    gt = np.zeros((4, 4, 3))
    gt[..., 2] = 2
    gt[:, 0, :2] = [100, 50]  # snout
    gt[:, 3, :2] = [10, 50]  # tail base
    pred = gt[..., :2].copy()
    pred[1, 0] = [20, 50]  # snout predicted on the tail: swapped
    pred[2, 0] = [60, 50]  # far off, still nearer the snout: not swapped
    gt[3, 3, 2] = 0  # tail base unlabeled: not counted
    pred[3, 0] = [10, 50]
    ht = head_tail_swaps(pred, gt, names)
    assert ht == {"head": "snout", "tail": "tailbase", "frames": 3, "swapped": 1, "rate": 1 / 3,
                  "frames_swapped": [1]}
    assert metrics(pred, gt, names)["head_tail"]["swapped"] == 1
    assert head_tail_swaps(pred, gt, ["a", "b", "c", "d"]) is None


def test_full_rotation_draws_every_heading():
    from simgen.pose.augment import affine_matrices
    from simgen.pose.config import AugmentConfig

    cfg = AugmentConfig(rotation_deg=180, flip=0.0, scale=(1.0, 1.0), translate=0.0)
    mats, _ = affine_matrices(400, (64, 48), cfg, np.random.default_rng(0))
    ang = np.degrees(np.arctan2(mats[:, 1, 0], mats[:, 0, 0]))
    assert ang.min() < -160 and ang.max() > 160
    assert np.histogram(ang, bins=4, range=(-180, 180))[0].min() > 70  # every quadrant
