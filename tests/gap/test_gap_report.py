"""`simgen gap`: a static report and gap.json that find the gap planted in tiny data."""

import json
import re
from pathlib import Path

import numpy as np
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
    uris = re.findall(r'src="data:image/jpeg;base64,([^"]+)"', page)
    assert len(uris) >= 8
    import base64

    import cv2
    import numpy as np

    for u in uris:  # no broken image: every inline JPEG decodes
        img = cv2.imdecode(np.frombuffer(base64.b64decode(u), np.uint8), cv2.IMREAD_COLOR)
        assert img is not None and img.shape[1] in (160, 200, 220)
    _look_in_chromium(out / "report.html", inputs["tmp"] / "shot.png")


def _look_in_chromium(page, shot):
    """Headless Chromium renders the page; the map's red and blue dots are on the first screen."""
    import shutil
    import subprocess

    import numpy as np
    from PIL import Image

    exe = shutil.which("chromium") or shutil.which("chromium-browser")
    if exe is None:
        pytest.skip("chromium not installed (Debian: apt-get install chromium)")
    subprocess.run([exe, "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars",
                    f"--screenshot={shot}", "--window-size=1200,900", page.resolve().as_uri()],
                   check=True, timeout=120, capture_output=True)
    img = np.asarray(Image.open(shot).convert("RGB")).astype(int)
    red = (img[..., 0] > 180) & (img[..., 1] < 150) & (img[..., 2] < 150)
    blue = (img[..., 2] > 150) & (img[..., 0] < 150)
    assert red.sum() > 100 and blue.sum() > 100, (red.sum(), blue.sum())


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
    assert any(m.startswith("< 5%") and "100% of frames" in m and "0%" in m for m in res.misses)
    assert any(m.startswith("heading left") for m in res.misses)
    assert "tracking looks broken" in res.warning
    assert res.bins["border_distance"]["real"]["< 5%"] == 1.0 and (res.n_real, res.n_synthetic) == (50, 50)
    assert compare(synth, synth).misses == [] and compare(synth, synth).warning is None


def test_headline_numbers_and_the_doubtful_rule():
    """The few numbers a sweep shows per arm: doubtful = moves > 5% of the shorter side under a
    mirror or a turn, or head/tail > 0.5; pixel signals as medians; the combined score left out."""
    from simgen.gap.analyze import GapResult
    from simgen.gap.coverage import Coverage
    from simgen.gap.estimate import Estimate, Validation
    from simgen.gap.realism import Realism
    from simgen.gap.report import GAP_NUMBERS, HEADLINE, GapNumbers, headline

    imgs = [np.zeros((100, 200, 3), np.uint8)] * 4  # shorter side 100 px: 5 px is the limit
    signals = {"flip": [1.0, 6.0, 1.0, 2.0], "rotate": [1.0, 1.0, 5.5, 2.0], "shift": [1.0, 2.0, 3.0, 4.0],
               "confidence": [0.2, 0.4, 0.2, 0.4], "headtail": [0.0, 0.0, 0.0, 0.7]}
    est = Estimate(np.zeros((4, 2, 2)), np.ones((4, 2)), {k: np.array(v) for k, v in signals.items()},
                   np.array([0.1, 0.9, 0.5, 0.5]))
    cov = Coverage(np.array([1.0, 2.0, 3.0, 10.0]), np.zeros((4, 1), int), 1.0, 2.0, 0.25, [3], np.zeros((4, 2)),
                   np.zeros((1, 2)), [0.5, 0.2])
    rea = Realism(0.9, 0.6, 64, np.full(1, 0.5), np.full(1, 0.5), [0], [])
    res = GapResult(Path("d"), Path("v"), Path("m"), np.arange(4), imgs, [0], imgs, cov, rea, "pose model encoder",
                    estimate=est, validation=Validation(40, 3.0, 0.4, {}))
    h = headline(res)
    assert h.doubtful == 0.75  # frame 1 (flip), 2 (turn), 3 (head/tail); frame 0 is fine
    assert (h.flip_px, h.rotate_px, h.shift_px) == (1.5, 1.5, 2.5)
    assert h.confidence == pytest.approx(0.7) and "score" not in h.to_json()
    assert (h.coverage_median, h.coverage_mean, h.uncovered) == (2.5, 4.0, 0.25)
    assert (h.realism_full, h.realism_crop, h.spearman, h.validation_frames) == (0.9, 0.6, 0.4, 40)
    assert (h.real_frames, h.renders, h.embedding) == (4, 4, "pose model encoder")
    assert GapNumbers.from_json(h.to_json()) == h
    # the names are the dataclass' fields: results.csv's columns, in order, and the sweep table's subset
    assert HEADLINE[:5] == ("doubtful", "flip_px", "rotate_px", "shift_px", "confidence") and len(HEADLINE) == 11
    assert list(GAP_NUMBERS) == ["doubtful", "flip_px", "coverage_median", "uncovered", "realism_full", "spearman"]
    no_model = headline(GapResult(Path("d"), Path("v"), None, np.arange(4), imgs, [0], imgs, cov, rea, "cnn"))
    assert no_model.doubtful is None and no_model.spearman is None and no_model.uncovered == 0.25


def test_gap_numbers_read_records_of_other_versions():
    """A sweep's gap stage record from before a number existed (or with one since dropped) still reads."""
    from simgen.gap.report import GapNumbers

    old = {"real_frames": 50, "renders": 60, "embedding": "fixed random CNN", "uncovered": 0.5, "gone": 1.0}
    g = GapNumbers.from_json(old)
    assert (g.real_frames, g.uncovered, g.doubtful) == (50, 0.5, None)
