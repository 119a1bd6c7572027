"""`simgen gap`: a static report and gap.json that find the gap planted in tiny data."""

import json
import re

import pytest
from gap_fixtures import oracle_model, real_frames, saved_untrained_model, write_dataset, write_video


@pytest.fixture(scope="module")
def inputs(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("gap")
    return {"ds": write_dataset(tmp / "ds", 12), "video": write_video(tmp / "real.avi", real_frames(40)),
            "model": saved_untrained_model(tmp / "model"), "tmp": tmp}


def test_gap_report_finds_the_border_the_scene_never_visits(inputs, run_cli, monkeypatch):
    import simgen.pose.model as pm

    monkeypatch.setattr(pm, "load_model", lambda p: oracle_model())
    out = inputs["tmp"] / "report"
    code, stdout, err = run_cli("gap", inputs["ds"], inputs["video"], "--model", inputs["model"],
                                "--real-frames", "16", "--out", out)
    assert code == 0, stdout + err
    data = json.loads((out / "gap.json").read_text())
    # The real mouse walks 18 px from the top border (19% of the short side); renders keep >= 30 px away.
    misses = data["behavior"]["misses"]
    assert any(m.startswith("15-30%") for m in misses), misses
    assert data["behavior"]["bins"]["border_distance"]["synthetic"]["15-30%"] == 0
    # A darker floor: a linear classifier tells them apart; every real frame is far from the renders.
    assert data["realism"]["c2st_full"] >= 0.8
    regions = data["realism"]["regions_xywh"]
    assert len(regions) == len(data["realism"]["most_fake_renders"]) > 0
    assert all(w == 32 and h == 24 for _, _, w, h in regions)  # a cell of the 4x4 grid of 128x96 renders
    assert data["coverage"]["uncovered_fraction"] > 0.5
    assert len(data["estimate"]["score"]) == 16 and len(data["real_frames"]) == 16
    assert "Scene misses 15-30%" in stdout
    page = (out / "report.html").read_text()
    assert '<svg id="map"' in page and page.count('class="real"') == 16
    assert not re.search(r'(src|href)="(?!data:)', page)  # self-contained: no external images or links
    assert len(re.findall(r'src="data:image/jpeg;base64,', page)) >= 8


def test_gap_without_model_still_reports_coverage_and_realism(inputs, run_cli):
    out = inputs["tmp"] / "report_nomodel"
    code, stdout, err = run_cli("gap", inputs["ds"], inputs["video"], "--real-frames", "10", "--out", out)
    assert code == 0, stdout + err
    data = json.loads((out / "gap.json").read_text())
    assert data["behavior"] is None and data["estimate"] is None
    assert data["coverage"]["uncovered_fraction"] > 0.5
    assert "no --model" in data["notes"][0]


def test_gap_errors_are_one_line(inputs, run_cli, monkeypatch, tmp_path):
    import simgen.pose.model as pm
    from simgen.dataset import CameraInfo, DatasetMeta, DatasetWriter

    bad_video = tmp_path / "x.mp4"
    bad_video.write_bytes(b"\0" * 100)
    code, _, err = run_cli("gap", inputs["ds"], bad_video, "--out", tmp_path / "r")
    assert code == 1 and "x.mp4" in err and len(err.strip().splitlines()) == 1

    empty = tmp_path / "empty"
    DatasetWriter(empty, DatasetMeta(scene={"simgen": 1}, scene_sha256="0" * 64, seed=0, frames=3,
                                     keypoints=["snout", "tailbase"], cameras=[CameraInfo("top", 128, 96)],
                                     mask_ids={"background": 0, "animal": 1, "arena": 2}))
    code, _, err = run_cli("gap", empty, inputs["video"], "--out", tmp_path / "r")
    assert code == 1 and "no complete frames" in err

    monkeypatch.setattr(pm, "load_model", lambda p: oracle_model(("red", "green", "blue")))
    code, _, err = run_cli("gap", inputs["ds"], inputs["video"], "--model", inputs["model"], "--out", tmp_path / "r")
    assert code == 1 and "keypoints" in err and "missing" in err


def test_behavior_words_and_the_broken_tracking_warning():
    import numpy as np

    from simgen.gap.behavior import compare

    real = {"border_distance": np.full(50, 0.02), "heading": np.full(50, 180.0), "body_length": np.full(50, 0.05)}
    synth = {"border_distance": np.full(50, 0.4), "heading": np.linspace(0, 359, 50), "body_length": np.full(50, 0.22)}
    res = compare(real, synth)
    assert any(m.startswith("< 5%") and "100% of frames" in m and "0%" in m for m in res["misses"])
    assert any(m.startswith("heading left") for m in res["misses"])
    assert "tracking looks broken" in res["warning"]
    assert compare(synth, synth)["misses"] == [] and compare(synth, synth)["warning"] is None
