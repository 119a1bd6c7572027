"""A tiny rendered sequence: smooth clip frames, one mp4 per clip and camera once its
frames are complete (also across shards), and depth maps written by the run."""

from pathlib import Path

import numpy as np
import pytest

pytestmark = pytest.mark.blender

SCENE = """\
simgen: 1
seed: 5
frames: 6
frames_mode: sequence
sequence: {length: 3, fps: 30.0}
render: {engine: workbench, device: cpu, samples: 1, denoise: false, resolution: [96, 72], depth: true}
animal:
  asset: mouse
  fur: {choice: [black, agouti]}
  scale: {uniform: [0.9, 1.1]}
  pose: {mode: presets, preset_weights: {walk: 1.0, trot: 1.0}}
  placement: {x: {uniform: [-0.03, 0.03]}, y: {uniform: [-0.03, 0.03]}, yaw: {uniform: [0, 360]}}
rig:
  - {name: arena, asset: arena, size: [0.3, 0.3, 0.05], material: {color: 0.85}}
cameras:
  - {name: top, position: [0, 0, 0.3], focal_mm: 20, sensor_mm: 36, jitter: {position: {normal: [0, 0.005]}}}
lights:
  - {type: area, position: [0, 0, 1.0], energy: 10, size: 0.6}
world: {color: 0.3, strength: 0.4}
"""


@pytest.fixture(scope="module")
def sharded(tmp_path_factory) -> tuple[Path, list]:
    """Shard 0/2 then 1/2: no clip is complete until the second shard is done."""
    from simgen.dataset.shards import parse_shard
    from simgen.render.run import plan, run

    d = tmp_path_factory.mktemp("seq")
    scene = d / "scene.yaml"
    scene.write_text(SCENE)
    out = d / "ds"
    first = run(plan(scene, out, shard=parse_shard("0/2")), progress=False)
    assert first.rendered == [0, 2, 4] and first.videos == []
    second = run(plan(scene, out, shard=parse_shard("1/2")), progress=False)
    assert second.rendered == [1, 3, 5]
    return out, [scene, second.videos]


def test_each_clip_becomes_an_mp4_with_its_frames(sharded):
    import cv2

    from simgen.dataset import Dataset

    out, (_, videos) = sharded
    want = [out / "videos" / "top" / f"clip_{k:04d}.mp4" for k in (0, 1)]
    assert sorted(videos) == want
    ds = Dataset(out)
    for k, path in enumerate(want):
        cap = cv2.VideoCapture(str(path))
        assert cap.get(cv2.CAP_PROP_FPS) == pytest.approx(30.0)
        frames = []
        while True:
            ok, im = cap.read()
            if not ok:
                break
            frames.append(im[..., ::-1])  # BGR -> RGB
        cap.release()
        assert len(frames) == 3
        for j, im in enumerate(frames):
            png = ds.load_image("top", 3 * k + j).astype(float)
            assert im.shape == png.shape
            assert np.abs(im.astype(float) - png).mean() < 6  # the same picture, lossy


def test_clip_frames_move_smoothly_and_clips_redraw(sharded):
    from simgen.dataset import Dataset

    out, _ = sharded
    ds = Dataset(out)
    params = [ds.annotation(f).params for f in range(6)]
    assert [p["clip"]["index"] for p in params] == [0, 0, 0, 1, 1, 1]
    assert params[0]["animal"]["fur"] == params[2]["animal"]["fur"]
    assert params[0]["cameras"] == params[2]["cameras"]
    centers = []
    for f in range(6):
        ys, xs = np.nonzero(ds.load_mask("top", f) == 1)
        centers.append([xs.mean(), ys.mean()])
    step = np.linalg.norm(np.diff(centers, axis=0), axis=1)
    assert step[[0, 1, 3, 4]].max() < 3.0  # < 3 px per frame inside a clip (a few mm)
    assert params[2]["animal"]["scale"] != params[3]["animal"]["scale"]


def test_depth_maps_written_with_the_frames(sharded):
    out, _ = sharded
    from simgen.dataset import Dataset

    ds = Dataset(out)
    for f in range(6):
        depth = np.load(out / "depth" / "top" / f"{f:06d}.npy")
        assert depth.dtype == np.float32 and depth.shape == (72, 96)
        mask = ds.load_mask("top", f)
        floor = depth[mask == 2]
        animal = depth[mask == 1]
        assert np.isfinite(depth[mask > 0]).all()
        # the mouse stands on the floor: up to ~4 cm closer to the camera than the floor
        assert 0.0 < np.median(floor) - np.median(animal) < 0.04
        assert abs(np.median(floor) - 0.3) < 0.02


def test_rerun_writes_nothing_new(sharded):
    from simgen.render.run import plan, run

    out, (scene, _) = sharded
    before = {p: p.stat().st_mtime_ns for p in (out / "videos").rglob("*.mp4")}
    res = run(plan(scene, out), progress=False)
    assert res.rendered == [] and res.videos == []
    assert {p: p.stat().st_mtime_ns for p in (out / "videos").rglob("*.mp4")} == before
    assert [q for q in out.rglob(".*") if q.is_file()] == []
