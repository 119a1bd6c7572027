"""End-to-end rendering of a small scene with the bundled mouse: resume, shards, workers,
kill -9, and labels that agree with the rendered masks and images."""

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

pytestmark = pytest.mark.blender

SCENE = """\
simgen: 1
seed: 3
frames: 8
render: {engine: cycles, device: cpu, samples: 4, denoise: false, resolution: [160, 120]}
animal:
  asset: mouse
  fur: {choice: [black, agouti]}
  pose: {mode: presets, jitter_deg: 5.0}
  placement: {x: {uniform: [-0.04, 0.04]}, y: {uniform: [-0.04, 0.04]}, yaw: {uniform: [0, 360]}}
rig:
  - {name: arena, asset: arena, size: [0.3, 0.3, 0.05], material: {color: {uniform: [0.75, 0.9]}}}
cameras:
  - {name: top, position: [0, 0, 0.33], focal_mm: 20, sensor_mm: 36, jitter: {position: {normal: [0, 0.005]}}}
lights:
  - {type: area, position: [0, 0, 1.0], energy: {uniform: [8, 14]}, size: 0.6}
world: {color: 0.3, strength: 0.4}
keypoints: {names: KP}
"""

KP = """\
name: test_set
keypoints:
  snout: snout
  ears: {mean: [left_ear_tip, right_ear_tip]}
  withers: withers
  mid_back: mid_back
  tail_base: tail_base
  left_hindpaw: left_hindpaw
skeleton: [[snout, ears], [ears, withers], [withers, mid_back], [mid_back, tail_base]]
"""


@pytest.fixture(scope="module")
def scene_file(tmp_path_factory) -> Path:
    d = tmp_path_factory.mktemp("scene")
    (d / "kp.yaml").write_text(KP)
    (d / "scene.yaml").write_text(SCENE.replace("KP", str(d / "kp.yaml")))
    return d / "scene.yaml"


@pytest.fixture(scope="module")
def one_run(scene_file, tmp_path_factory) -> Path:
    from simgen.render.run import render

    out = tmp_path_factory.mktemp("one") / "ds"
    res = render(scene_file, out, progress=False)
    assert res.rendered == list(range(8))
    return out


def _ann(root: Path, f: int) -> dict:
    return json.loads((root / "annotations" / f"{f:06d}.json").read_text())


def test_dataset_json_and_verify(one_run):
    from simgen.dataset import Dataset, verify_dataset

    ds = Dataset(one_run)
    assert ds.meta.keypoints == ["snout", "ears", "withers", "mid_back", "tail_base", "left_hindpaw"]
    assert ds.meta.mask_ids == {"background": 0, "animal": 1, "arena": 2}
    assert ds.meta.versions["blender"].startswith("5.0")
    assert [c.name for c in ds.meta.cameras] == ["top"] and (ds.meta.cameras[0].width, ds.meta.cameras[0].height) == (160, 120)
    assert ds.meta.skeleton[0] == ("snout", "ears")
    rep = verify_dataset(one_run)
    assert rep.ok and rep.complete == list(range(8)) and not rep.stray_tmp
    ann = ds.annotation(0)
    assert len(ann.animals) == 1 and ann.animals[0].keypoints_3d.shape == (6, 3)
    assert ann.params["animal"]["asset"] == "mouse"


def test_labels_agree_with_mask_and_image(one_run):
    """Visible keypoints lie on the animal's mask; the mask's animal is darker than the arena."""
    from simgen.dataset import Dataset

    ds = Dataset(one_run)
    on, total = 0, 0
    for f in ds.frames():
        lab = ds.annotation(f).animals[0].cameras["top"]
        mask = ds.load_mask("top", f)
        img = ds.load_image("top", f).astype(float).mean(axis=2)
        for x, y, v in lab.keypoints:
            if v == 2:
                total += 1
                xi, yi = int(round(x)), int(round(y))
                on += bool((mask[max(yi - 2, 0):yi + 3, max(xi - 2, 0):xi + 3] == 1).any())
        assert (mask == 1).sum() > 50
        animal, arena = img[mask == 1].mean(), img[mask == 2].mean()
        assert animal < arena - 40, (f, animal, arena)
        ys, xs = np.nonzero(mask == 1)
        x0, y0, x1, y1 = lab.bbox
        assert (x0, y0, x1, y1) == (xs.min() - 0.5, ys.min() - 0.5, xs.max() + 0.5, ys.max() + 0.5)
    assert total >= 20 and on / total >= 0.98, (on, total)


def test_shards_and_workers_match_one_run(scene_file, one_run, tmp_path):
    from PIL import Image

    from simgen.dataset.shards import parse_shard
    from simgen.render.run import plan, run

    out = tmp_path / "sharded"
    run(plan(scene_file, out, shard=parse_shard("0/2")), progress=False)
    run(plan(scene_file, out, shard=parse_shard("1/2")), workers=2, progress=False)
    for f in range(8):
        assert _ann(out, f) == _ann(one_run, f), f"frame {f}: labels differ"
        a = np.asarray(Image.open(one_run / "images" / "top" / f"{f:06d}.png")).astype(int)
        b = np.asarray(Image.open(out / "images" / "top" / f"{f:06d}.png")).astype(int)
        assert np.abs(a - b).mean() < 0.5 and np.abs(a - b).max() <= 16, f
        ma = np.asarray(Image.open(one_run / "masks" / "top" / f"{f:06d}.png"))
        mb = np.asarray(Image.open(out / "masks" / "top" / f"{f:06d}.png"))
        assert (ma == mb).all()


def test_resume_skips_complete_and_redoes_broken(scene_file, one_run, tmp_path):
    import shutil

    from simgen.render.run import plan, run

    out = tmp_path / "copy"
    shutil.copytree(one_run, out)
    assert plan(scene_file, out).todo == []
    (out / "images" / "top" / "000002.png").write_bytes(b"\x89PNG truncated")
    (out / "annotations" / "000005.json").unlink()
    p = plan(scene_file, out)
    assert p.todo == [2, 5]
    res = run(p, progress=False)
    assert res.rendered == [2, 5]
    assert _ann(out, 5) == _ann(one_run, 5)


def test_kill_minus_9_then_rerun_completes(scene_file, tmp_path):
    from simgen.dataset import verify_dataset

    out = tmp_path / "killed"
    code = ("import sys; from simgen.render.run import render; "
            f"render({str(scene_file)!r}, {str(out)!r}, progress=False)")
    proc = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.time() + 60
        while time.time() < deadline and len(list((out / "annotations").glob("*.json"))) < 2:
            time.sleep(0.05)
        assert proc.poll() is None, "the render finished before it could be killed"
        os.kill(proc.pid, signal.SIGKILL)
    finally:
        proc.wait()
    done_before = len(list((out / "annotations").glob("*.json")))
    assert 2 <= done_before < 8
    rep = verify_dataset(out)
    assert not rep.corrupt  # an interrupted frame has no annotation, so it is missing, not corrupt
    from simgen.render.run import plan, run

    p = plan(scene_file, out)
    assert len(p.todo) == 8 - done_before
    run(p, progress=False)
    rep = verify_dataset(out)
    assert rep.ok and rep.complete == list(range(8))
    leftovers = [q for q in out.rglob(".*") if q.is_file()]
    assert leftovers == [], leftovers
