"""``simgen rig from-video`` end to end on a small synthetic video (no render), and its
one-line errors."""

import numpy as np
import pytest
from rig_synth import ARENA, camera, render_floor, write_video


@pytest.fixture(scope="module")
def rig_video(tmp_path_factory):
    import cv2

    d = tmp_path_factory.mktemp("rigvid")
    cam = camera(320, 240, f=210.0, k1=-0.12, k2=0.0, position=(0.05, -0.18, 0.42))
    bg = render_floor(320, 240, cam).astype(np.float32)
    frames = []
    for i in range(40):
        f = bg.copy()
        cv2.ellipse(f, (int(100 + 3 * i), int(90 + 40 * np.sin(i / 5))), (12, 7), 10 * i, 0, 360, 30.0, -1)
        frames.append(np.clip(f, 0, 255).astype(np.uint8))
    return write_video(d / "rig.avi", frames), bg


def test_from_video_writes_a_valid_scene_with_plates(rig_video, tmp_path, run_cli):
    from PIL import Image

    from simgen.scene import load_scene

    video, bg = rig_video
    out = tmp_path / "rig"
    code, stdout, stderr = run_cli("rig", "from-video", video, "--arena", *map(str, ARENA), "--out", out,
                                   "--no-render", "--samples", "16")
    assert code == 0, stderr
    assert "corner reprojection error" in stdout and "focal" in stdout
    scene = load_scene(out / "scene.yaml").scene
    assert scene.background is not None and len(scene.background.plates) == 1
    cam = scene.cameras[0]
    assert cam.focal_mm / cam.sensor_mm * 320 == pytest.approx(210.0, rel=0.03)
    assert np.allclose(cam.position, [0.05, -0.18, 0.42], atol=0.02)
    assert abs(cam.distortion[0] - -0.12) < 0.04  # small lossy video: looser than test_camera_fit
    raw = np.asarray(Image.open(out / "plates" / "plate_00.png"), float)
    raw = raw if raw.ndim == 2 else raw.mean(axis=-1)
    assert np.abs(raw - bg).mean() < 4  # the walking blob is gone
    assert (out / "fit.png").is_file() and (out / "camera.json").is_file()
    code, _, stderr = run_cli("validate", out / "scene.yaml")
    assert code == 0, stderr


def test_a_file_that_is_no_video_is_one_clear_line(tmp_path, run_cli):
    bad = tmp_path / "notes.mp4"
    bad.write_text("not a video")
    code, _, stderr = run_cli("rig", "from-video", bad, "--arena", "0.5", "0.3", "--out", tmp_path / "o")
    assert code == 1
    assert stderr.strip().count("\n") == 0 and "cannot open video" in stderr


def test_corners_outside_the_image_are_refused(rig_video, tmp_path, run_cli):
    video, _ = rig_video
    code, _, stderr = run_cli("rig", "from-video", video, "--arena", "0.5", "0.35", "--out", tmp_path / "o",
                              "--no-render", "--samples", "8", "--corners", "10,10,400,10,300,200,10,200")
    assert code == 1 and "outside the 320x240 image" in stderr
    assert stderr.strip().count("\n") == 0


def test_no_arena_in_view_says_to_pass_corners(tmp_path, run_cli):
    frames = [np.full((120, 160), 128, np.uint8) for _ in range(12)]
    video = write_video(tmp_path / "grey.avi", frames)
    code, _, stderr = run_cli("rig", "from-video", video, "--arena", "0.5", "0.35", "--out", tmp_path / "o",
                              "--no-render", "--samples", "8")
    assert code == 1 and "--corners" in stderr
    assert stderr.strip().count("\n") == 0


def test_given_corners_in_any_order_are_used(rig_video, tmp_path, run_cli):
    import cv2

    from simgen.rig.camera_fit import floor_corners_world

    K, dist, rvec, tvec = camera(320, 240, f=210.0, k1=-0.12, k2=0.0, position=(0.05, -0.18, 0.42))
    c = cv2.projectPoints(floor_corners_world(*ARENA), rvec, tvec, K, dist)[0].reshape(-1, 2)
    text = ",".join(f"{v:.2f}" for v in c[[2, 0, 3, 1]].ravel())  # scrambled
    video, _ = rig_video
    code, stdout, stderr = run_cli("rig", "from-video", video, "--arena", *map(str, ARENA), "--out", tmp_path / "o",
                                   "--no-render", "--samples", "16", "--corners", text)
    assert code == 0, stderr
    rms = float(stdout.split("(rms ")[1].split(")")[0])
    assert rms < 1.0
