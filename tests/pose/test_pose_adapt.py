"""`simgen pose adapt`: pseudo-labels from a model's confident frames, then fine-tuning on them."""

import sys
from pathlib import Path

import numpy as np
import pytest
import yaml
from typer.testing import CliRunner

from simgen.commands.pose import app
from simgen.pose.adapt import frame_indices

sys.path.insert(0, str(Path(__file__).parents[1] / "export"))
from export_fixtures import build_multi_dataset  # noqa: E402

TINY = {
    "input_size": [64, 64], "steps": 3, "batch_size": 4, "val_every": 3, "checkpoint_every": 3,
    "val_fraction": 0.0, "threads": 1, "device": "cpu",
    "model": {"widths": [8, 8, 16, 16], "blocks": [1, 1, 1], "decoder_width": 8, "stride": 4},
    "finder": {"steps": 2},
}


def _invoke(*args, code=0):
    res = CliRunner().invoke(app, [str(a) for a in args])
    assert res.exit_code == code, res.output + repr(res.exception)
    return res.output + ("" if res.exception is None else str(res.exception))


def test_frame_indices_spread_over_the_range():
    assert frame_indices(100, 5, None).tolist() == [0, 20, 40, 60, 80]
    assert frame_indices(147, 200, (0, 110)).tolist() == list(range(110))
    assert frame_indices(100, 2, (50, 60)).tolist() == [50, 55]


@pytest.fixture(scope="module")
def topdown(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("adapt")
    ds = build_multi_dataset(tmp / "ds", cameras=("top",))
    cfg = tmp / "tiny.yaml"
    cfg.write_text(yaml.safe_dump(TINY))
    _invoke("train", ds, "--out", tmp / "syn", "--config", cfg)
    return tmp, ds


def test_adapt_writes_pseudo_labels_of_confident_frames_and_fine_tunes_from_the_model(topdown):
    from simgen.export.labels import read_dlc
    from simgen.pose.model import load_model

    tmp, ds = topdown
    frames = ds / "images" / "top"
    out = _invoke("adapt", tmp / "syn", frames, "--out", tmp / "ad", "--pcutoff", 0.01, "--steps", 2,
                  "--frame-range", "1:4", "--no-tta", "--threshold", 0.0)
    assert "kept 3 of 3 frames" in out and "initialized from" in out and "mixing in the init model" in out
    labels = read_dlc(tmp / "ad" / "pseudo")
    syn = load_model(tmp / "syn")
    assert labels.tracks is not None and len(set(labels.tracks)) == syn.topdown["finder"]["max_animals"]
    assert len(labels) == 3 * len(set(labels.tracks)) and list(labels.keypoints) == list(syn.keypoints)
    assert np.isfinite(labels.xyv[..., :2]).all()  # every animal of a kept frame, every keypoint
    tm = load_model(tmp / "ad")
    assert tm.topdown is not None and any("pseudo" in s["path"] for s in tm.sources)
    assert any(str(ds) in s["path"] for s in tm.sources)  # the renders mixed back in


def test_adapt_says_what_to_do_when_no_frame_is_confident(topdown):
    tmp, ds = topdown
    out = _invoke("adapt", tmp / "syn", ds / "images" / "top", "--out", tmp / "none", "--pcutoff", 0.99,
                  "--no-tta", code=1)
    assert "no frame" in out and "lower --pcutoff" in out
    out = _invoke("adapt", tmp / "syn", ds / "images" / "top", "--out", tmp / "bad", "--frame-range", "9", code=1)
    assert "A:B" in out


def test_a_one_animal_model_adapts_on_a_folder_of_frames(toy_project, tmp_path):
    from simgen.export.labels import read_dlc
    from simgen.pose.model import load_model

    train, _, _ = toy_project
    cfg = tmp_path / "tiny.yaml"
    cfg.write_text(yaml.safe_dump({k: v for k, v in TINY.items() if k != "finder"}))
    _invoke("train", train, "--out", tmp_path / "m", "--config", cfg)
    out = _invoke("adapt", tmp_path / "m", train / "labeled-data" / "toy", "--out", tmp_path / "ad", "--frames", 6,
                  "--pcutoff", 0.01, "--steps", 2)
    assert "kept 6 of 6 frames" in out
    labels = read_dlc(tmp_path / "ad" / "pseudo")
    assert labels.tracks is None and len(labels) == 6 and np.isfinite(labels.xyv[..., :2]).all()
    assert load_model(tmp_path / "ad").topdown is None


def test_a_stopped_adaptation_reuses_its_pseudo_labels_and_resumes(topdown):
    tmp, ds = topdown
    args = ("adapt", tmp / "syn", ds / "images" / "top", "--out", tmp / "stop", "--pcutoff", 0.01, "--steps", 3,
            "--no-tta", "--threshold", 0.0)
    _invoke(*args)
    (tmp / "stop" / "model.pt").unlink()  # as if killed after the last checkpoint, before the model was saved
    (tmp / "stop" / "pseudo.part").mkdir()  # and a half-written project of an earlier kill: never read
    out = _invoke(*args)
    assert "reusing the 4 pseudo-labeled frames" in out and "resumed at step 3" in out
    assert (tmp / "stop" / "model.pt").is_file()
    out = _invoke(*args, code=1)
    assert "already holds an adapted model" in out
