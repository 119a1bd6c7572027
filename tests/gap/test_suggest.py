"""`simgen suggest`: uncertain and diverse picks, written as a DeepLabCut project."""

import re

import numpy as np
import pytest
import yaml
from gap_fixtures import oracle_model, real_frames, saved_untrained_model, write_video

from simgen.gap.suggest import image_name, pick, pick_clusters, pick_typical


def test_pick_takes_the_most_uncertain_first_and_never_near_duplicates():
    rng = np.random.default_rng(0)
    base = rng.normal(size=(10, 8))
    feats = np.concatenate([base, base + 1e-3])  # rows 10..19 duplicate rows 0..9
    score = np.concatenate([np.linspace(1, 0.5, 10), np.linspace(1, 0.5, 10) - 1e-3])
    frames = np.concatenate([np.arange(10) * 100, np.arange(10) * 100 + 1])
    rows = pick(score, feats, frames, n=6, min_gap=5)
    assert rows[0] == 0  # the most uncertain
    assert len(rows) == 6 and len(set(rows)) == 6
    kept = {r % 10 for r in rows}
    assert len(kept) == 6  # never a row and its duplicate
    d = np.linalg.norm(feats[rows][:, None] - feats[rows][None], axis=-1) + np.eye(6) * 99
    assert d.min() > 0.1


def test_pick_respects_the_frame_gap():
    feats = np.random.default_rng(1).normal(size=(30, 4))
    frames = np.arange(30)
    rows = pick(np.linspace(1, 0, 30), feats, frames, n=4, min_gap=6)
    f = np.sort(frames[rows])
    assert np.all(np.diff(f) > 6)


def test_pick_clusters_takes_one_uncertain_frame_from_each_cluster():
    rng = np.random.default_rng(2)
    centers = rng.normal(size=(4, 6)) * 10
    sizes = [20, 10, 6, 4]
    feats = np.concatenate([c + rng.normal(size=(m, 6)) * 0.1 for c, m in zip(centers, sizes)])
    label = np.repeat(np.arange(4), sizes)
    score = rng.random(len(feats))
    score[7] = 5.0  # a very uncertain frame in the big cluster: picked, but only one from there
    frames = np.arange(len(feats)) * 10
    rows = pick_clusters(score, feats, frames, n=4)
    assert sorted(label[rows].tolist()) == [0, 1, 2, 3] and 7 in rows
    for r in rows:  # each the most uncertain of its cluster
        assert score[r] == score[label == label[r]].max()
    assert rows == pick_clusters(score, feats, frames, n=4)  # deterministic
    gap = pick_clusters(score, feats, np.arange(len(feats)), n=8, min_gap=3)
    assert len(gap) == 8 and np.all(np.diff(np.sort(gap)) > 3)


def test_pick_typical_takes_the_densest_frame_of_each_cluster():
    rng = np.random.default_rng(3)
    centers = rng.normal(size=(3, 5)) * 10
    sizes = [15, 9, 6]
    feats = np.concatenate([c + rng.normal(size=(m, 5)) * 0.2 for c, m in zip(centers, sizes)])
    label = np.repeat(np.arange(3), sizes)
    feats[0] = centers[0] + 0.9  # an outlier of the big cluster: never its typical frame
    score = rng.random(len(feats))
    score[0] = 9.0  # however uncertain
    rows = pick_typical(score, feats, np.arange(len(feats)) * 10, n=3)
    assert sorted(label[rows].tolist()) == [0, 1, 2] and 0 not in rows
    f = feats / np.linalg.norm(feats, axis=1, keepdims=True)
    for r in rows:  # the frame nearest its cluster's others on average, up to the 20-neighbour cut
        m = np.flatnonzero(label == label[r])
        d = np.linalg.norm(f[m, None] - f[None, m], axis=-1)
        mean_near = np.sort(d, axis=1)[:, 1:21].mean(1)
        assert r == m[np.argmin(mean_near)]
    assert rows == pick_typical(score, feats, np.arange(len(feats)) * 10, n=3)
    more = pick_typical(score, feats, np.arange(len(feats)), n=6, min_gap=2)
    assert len(more) == 6 and len(set(more)) == 6 and np.all(np.diff(np.sort(more)) > 2)
    with np.errstate(all="raise"):  # identical frames leave clusters empty: still n distinct picks
        same = pick_typical(np.zeros(5), np.ones((5, 8)), np.arange(5), n=3)
    assert len(same) == 3 and len(set(same)) == 3


def test_image_names_follow_deeplabcut():
    assert image_name(7, 2330) == "img0007.png"
    assert image_name(123, 50) == "img123.png"
    assert image_name(3, 100000) == "img00003.png"


def test_suggest_writes_a_deeplabcut_project(tmp_path, run_cli, monkeypatch):
    import simgen.pose.model as pm

    video = write_video(tmp_path / "session1.avi", real_frames(40))
    model_dir = saved_untrained_model(tmp_path / "model")
    monkeypatch.setattr(pm, "load_model", lambda p: oracle_model())  # an accurate model, no training
    code, out, err = run_cli("suggest", video, "--model", model_dir, "--n", "4", "--sample", "16",
                             "--out", tmp_path / "proj")
    assert code == 0, out + err
    proj = tmp_path / "proj"
    cfg = yaml.safe_load((proj / "config.yaml").read_text())
    assert cfg["bodyparts"] == ["snout", "tailbase"]
    assert list(cfg["video_sets"]) == [str(video.resolve())]
    assert cfg["video_sets"][str(video.resolve())]["crop"] == "0, 128, 0, 96"
    assert cfg["project_path"] == str(proj.resolve()) and cfg["multianimalproject"] is False
    # export dlc's writer (one config.yaml writer): DeepLabCut 3.0's keys, the picks as numframes2pick
    assert cfg["engine"] == "pytorch" and cfg["numframes2pick"] == 4 and cfg["Task"] == "session1"
    assert (proj / "config.yaml").read_text().startswith("# DeepLabCut project written by simgen suggest")
    pngs = sorted((proj / "labeled-data" / "session1").glob("*.png"))
    assert len(pngs) == 4
    assert all(re.fullmatch(r"img\d{2}\.png", p.name) for p in pngs)
    nums = sorted(int(p.stem[3:]) for p in pngs)
    assert np.all(np.diff(nums) > 0)
    rows = (proj / "suggestions.csv").read_text().splitlines()
    assert rows[0].startswith("image,frame,score") and len(rows) == 5
    code, out, err = run_cli("suggest", video, "--model", model_dir, "--n", "4", "--sample", "16",
                             "--strategy", "clusters", "--out", tmp_path / "proj2")
    assert code == 0, out + err
    assert len(list((tmp_path / "proj2" / "labeled-data" / "session1").glob("*.png"))) == 4


def test_suggest_errors_are_one_line(tmp_path, run_cli):
    bad = tmp_path / "broken.mp4"
    bad.write_text("not a video")
    model_dir = saved_untrained_model(tmp_path / "model")
    code, out, err = run_cli("suggest", bad, "--model", model_dir, "--out", tmp_path / "p")
    assert code == 1 and "broken.mp4" in err and "Traceback" not in err
    code, out, err = run_cli("suggest", bad, "--model", tmp_path / "nomodel", "--out", tmp_path / "p")
    assert code == 1 and "no trained pose model" in err
    code, out, err = run_cli("suggest", bad, "--model", model_dir, "--strategy", "best", "--out", tmp_path / "p")
    assert code == 2 and "best" in err and all(s in err for s in ("typical", "uncertain", "clusters")), err


@pytest.mark.parametrize("n", [0])
def test_suggest_rejects_zero(n):
    from simgen.errors import SimgenError

    with pytest.raises(SimgenError):
        pick(np.zeros(3), np.zeros((3, 2)), np.arange(3), n)
