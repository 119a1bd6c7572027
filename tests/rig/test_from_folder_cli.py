"""``simgen rig from-video`` on a folder of frames: the fit, colour order, and bad folders
(mixed sizes, a corrupt image, one frame) as one line or a warning."""

import numpy as np
import pytest
from PIL import Image
from rig_synth import ARENA, camera, render_floor, write_video

W, H = 320, 240
TINT = np.array([1.0, 0.85, 0.7])  # a warm floor: red > green > blue, so a swapped channel order shows


@pytest.fixture(scope="module")
def rig_frames(tmp_path_factory):
    """(RGB frames (N, H, W, 3) uint8 of a tinted floor with a walking dark blob, the floor (H, W) grey)."""
    import cv2

    cam = camera(W, H, f=210.0, k1=-0.12, k2=0.0, position=(0.05, -0.18, 0.42))
    bg = render_floor(W, H, cam).astype(np.float32)
    frames = []
    for i in range(24):
        f = bg.copy()
        cv2.ellipse(f, (int(100 + 5 * i), int(90 + 40 * np.sin(i / 3))), (12, 7), 10 * i, 0, 360, 30.0, -1)
        frames.append(np.clip(f[..., None] * TINT, 0, 255).astype(np.uint8))
    return np.stack(frames), bg


def _folder(path, frames):
    path.mkdir()
    for i, f in enumerate(frames):
        Image.fromarray(f).save(path / f"frame{i}.png")  # unpadded: natural order puts frame10 after frame9
    return path


def _run(run_cli, source, out, *extra):
    return run_cli("rig", "from-video", source, "--arena", *map(str, ARENA), "--out", out, "--no-render",
                   "--samples", "16", *extra)


def test_a_folder_of_frames_fits_like_a_video_and_keeps_colours(rig_frames, tmp_path, run_cli):
    from simgen.scene import load_scene

    frames, bg = rig_frames
    folder = _folder(tmp_path / "frames", frames)
    code, stdout, stderr = _run(run_cli, folder, tmp_path / "rig")
    assert code == 0, stderr
    assert f"frames: 24 images {W}x{H}" in stdout
    cam = load_scene(tmp_path / "rig" / "scene.yaml").scene.cameras[0]
    assert cam.focal_mm / cam.sensor_mm * W == pytest.approx(210.0, rel=0.03)
    assert np.allclose(cam.position, [0.05, -0.18, 0.42], atol=0.02)
    plate = np.asarray(Image.open(tmp_path / "rig" / "plates" / "plate_00.png").convert("RGB"), float)
    floor = bg > 150
    r, g, b = (plate[..., c][floor].mean() for c in range(3))
    assert r > g + 10 > b + 20  # written in RGB order, as the frames were
    assert np.abs(plate.mean(axis=-1) - (bg[..., None] * TINT).mean(axis=-1)).mean() < 3  # the blob is gone

    # the same frames as a video give the same plate (to the video codec's loss)
    import cv2

    video = write_video(tmp_path / "rig.avi", [cv2.cvtColor(f, cv2.COLOR_RGB2BGR) for f in frames])
    code, _, stderr = _run(run_cli, video, tmp_path / "rig_video")
    assert code == 0, stderr
    vplate = np.asarray(Image.open(tmp_path / "rig_video" / "plates" / "plate_00.png").convert("RGB"), float)
    assert np.abs(vplate - plate)[floor].mean() < 4


def test_mixed_sizes_are_one_line_naming_the_odd_image(rig_frames, tmp_path, run_cli):
    frames, _ = rig_frames
    folder = _folder(tmp_path / "frames", frames[:12])
    Image.fromarray(frames[0][: H // 2, : W // 2]).save(folder / "frame5.png")
    code, stdout, stderr = _run(run_cli, folder, tmp_path / "o")
    assert code == 1
    assert stderr.strip().count("\n") == 0 and "frame5.png: 160x120" in stderr and f"{W}x{H}" in stderr
    assert "Traceback" not in stderr + stdout


def test_a_corrupt_image_is_skipped_with_a_warning(rig_frames, tmp_path, run_cli):
    frames, _ = rig_frames
    folder = _folder(tmp_path / "frames", frames[:16])
    (folder / "frame3.png").write_bytes(b"\x89PNG\r\n\x1a\n cut off here")
    code, stdout, stderr = _run(run_cli, folder, tmp_path / "o")
    assert code == 0, stderr
    warnings = [ln for ln in stderr.splitlines() if ln.startswith("warning:")]
    assert len(warnings) == 1 and "skipped 1 of 16 frame(s)" in warnings[0] and "frame3.png" in warnings[0]
    assert "sampled 15" in stdout and (tmp_path / "o" / "scene.yaml").is_file()


def test_a_folder_of_one_frame_fits_with_a_warning(rig_frames, tmp_path, run_cli):
    _, bg = rig_frames
    folder = tmp_path / "one"
    folder.mkdir()
    Image.fromarray(np.clip(bg, 0, 255).astype(np.uint8)).save(folder / "empty_rig.png")  # a still of the empty rig
    code, stdout, stderr = _run(run_cli, folder, tmp_path / "o")
    assert code == 0, stderr
    assert "warning: only 1 frame(s) read" in stdout
    assert (tmp_path / "o" / "scene.yaml").is_file()
    plate = np.asarray(Image.open(tmp_path / "o" / "plates" / "plate_00.png"), float)
    assert np.abs(plate - bg).mean() < 1  # grey: one channel, the still itself


def test_a_folder_without_images_is_one_line(tmp_path, run_cli):
    (tmp_path / "empty").mkdir()
    (tmp_path / "empty" / "notes.txt").write_text("no frames here")
    code, _, stderr = _run(run_cli, tmp_path / "empty", tmp_path / "o")
    assert code == 1 and stderr.strip().count("\n") == 0 and "no images" in stderr
