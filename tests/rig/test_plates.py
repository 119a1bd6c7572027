import numpy as np
from rig_synth import write_video

from simgen.rig.plates import extract_plates
from simgen.video import even_indices, probe, read_frames

W, H, N = 240, 180, 60


def _background() -> np.ndarray:
    import cv2

    y, x = np.mgrid[0:H, 0:W]
    bg = 200 - 40 * ((x - W / 2) ** 2 + (y - H / 2) ** 2) / (W / 2) ** 2  # vignette
    bg = bg.astype(np.float32)
    cv2.line(bg, (30, 140), (200, 40), 170.0, 2)  # a drawing on the floor
    return bg


def _video(tmp_path):
    """A dark blob that walks around and another that rests at REST for 70% of the video."""
    import cv2

    bg = _background()
    rest = (60, 60)
    frames = []
    for i in range(N):
        f = bg.copy()
        t = i / N
        walker = (int(120 + 80 * np.cos(2 * np.pi * t)), int(95 + 55 * np.sin(4 * np.pi * t)))
        cv2.ellipse(f, walker, (14, 8), 30 * i, 0, 360, 40.0, -1)
        if i < 0.7 * N:
            cv2.ellipse(f, rest, (14, 8), 20, 0, 360, 35.0, -1)  # resting: barely moves
        else:
            cv2.ellipse(f, (int(60 + 2.5 * (i - 0.7 * N) * 4), 150), (14, 8), 0, 0, 360, 35.0, -1)
        frames.append(np.clip(f + np.random.default_rng(i).normal(0, 2, f.shape), 0, 255).astype(np.uint8))
    return write_video(tmp_path / "rig.avi", frames), bg, rest


def test_plate_has_no_ghost_of_a_resting_or_moving_animal(tmp_path):
    path, bg, rest = _video(tmp_path)
    info = probe(path)
    assert (info.frames, info.width, info.height) == (N, W, H)
    got = read_frames(info, even_indices(info.frames, 40))
    idx, frames = got.indices, got.stack()
    ps = extract_plates(frames, idx, info.frames, segments=1)
    assert ps.polarity == "dark"
    plate = ps.plates[0].astype(float).mean(axis=-1)
    x, y = rest
    spot = (slice(y - 8, y + 9), slice(x - 14, x + 15))
    # the plain median keeps the resting animal: the test can see a ghost
    plain = np.median(frames.astype(float).mean(axis=-1), axis=0)
    assert np.abs(plain[spot] - bg[spot]).mean() > 60
    # the plate does not
    assert np.abs(plate[spot] - bg[spot]).mean() < 6
    assert np.abs(plate - bg).max() < 25
    assert np.abs(plate - bg).mean() < 3


def test_lighting_drift_gives_a_plate_per_period(tmp_path):
    bg = _background()
    frames = [np.clip(bg * (1.0 if i < N // 2 else 0.8), 0, 255).astype(np.uint8) for i in range(N)]
    path = write_video(tmp_path / "drift.avi", frames)
    info = probe(path)
    got = read_frames(info, even_indices(info.frames, 40))
    idx, fr = got.indices, got.stack()
    ps = extract_plates(fr, idx, info.frames, segments=4)
    assert len(ps.plates) == 2
    assert ps.segments[0] == (0, N // 2) and ps.segments[1] == (N // 2, N)
    assert ps.plate_for(5) == 0 and ps.plate_for(N - 1) == 1
    assert abs(ps.plates[1].mean() / ps.plates[0].mean() - 0.8) < 0.02
