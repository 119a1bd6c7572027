"""``rig from-video`` on frames that cannot give a clean fit: an animal that never moves,
a floor that never shows (bedding to the image's edges)."""

from __future__ import annotations

import numpy as np
from PIL import Image

W, H = 320, 240


def _folder(path, frames):
    path.mkdir()
    for i, f in enumerate(frames):
        Image.fromarray(np.repeat(np.clip(f, 0, 255).astype(np.uint8)[..., None], 3, 2)).save(path / f"f{i}.png")
    return path


def test_an_animal_that_never_moves_is_warned_about(run_cli, tmp_path):
    import cv2
    from rig_synth import ARENA, camera, render_floor

    bg = render_floor(W, H, camera(W, H, f=210.0, k1=-0.12, k2=0.0, position=(0.05, -0.18, 0.42)))
    frames = []
    for i in range(24):
        f = bg.astype(np.float32)
        cv2.ellipse(f, (150, 110), (12, 7), 30, 0, 360, 30.0, -1)  # in the same place in every frame
        frames.append(f + np.random.default_rng(i).normal(0, 2, f.shape))
    code, out, err = run_cli("rig", "from-video", _folder(tmp_path / "still", frames), "--arena", *map(str, ARENA),
                             "--out", tmp_path / "o", "--no-render", "--samples", "16")
    assert code == 0, out + err
    assert "warning: nothing moved in the 16 sampled frames: an animal that stays in one place" in out
    plate = np.asarray(Image.open(tmp_path / "o" / "plates" / "plate_00.png")).astype(float)
    assert plate[105:116, 143:158].mean() < 100  # what the warning is about: the animal is in the plate


def test_a_floor_that_never_shows_is_one_line(run_cli, tmp_path):
    import cv2

    rng = np.random.default_rng(0)
    bedding = cv2.GaussianBlur(rng.uniform(90, 200, (H, W)).astype(np.float32), (0, 0), 1.5)
    frames = []
    for i in range(24):
        f = bedding.copy()
        cv2.ellipse(f, (int(100 + 5 * i), int(90 + 40 * np.sin(i / 3))), (12, 7), 10 * i, 0, 360, 30.0, -1)
        frames.append(f)
    code, out, err = run_cli("rig", "from-video", _folder(tmp_path / "bedding", frames), "--out", tmp_path / "o",
                             "--no-render", "--samples", "16")
    assert code == 1 and "Traceback" not in out + err and len(err.strip().splitlines()) == 1
    assert "could not find the arena floor's edges in the video; pass the floor's corners with --corners" in err
