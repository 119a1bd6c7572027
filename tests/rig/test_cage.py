"""A home cage: a bedding rectangle (textured, and dug up between frames) inside clear
walls on a smooth table, two dark animals. The plate keeps the bedding's texture with
both animals gone, the animals come out dark, and the floor is the bedding rectangle."""

import numpy as np

from simgen.rig.floor import detect_floor
from simgen.rig.plates import extract_plates

W, H, N = 480, 300, 40
BED = (105, 75, 375, 240)  # x0, y0, x1, y1 of the bedding


def _bedding(rng) -> np.ndarray:
    """Pellets: bright specks with dark gaps, on a jittered grid 1/60 of the height apart
    (as in a real cage video)."""
    import cv2

    img = np.full((H, W, 3), (225, 228, 232), np.float32)  # the table under clear plastic
    x0, y0, x1, y1 = BED
    img[y0:y1, x0:x1] = (70, 60, 50)
    for y in range(y0 + 3, y1 - 2, 5):
        for x in range(x0 + 3, x1 - 2, 5):
            c = (int(x + rng.uniform(-1, 1)), int(y + rng.uniform(-1, 1)))
            col = tuple(float(v) for v in rng.uniform(170, 215) * np.array([1.0, 0.92, 0.8]))
            cv2.ellipse(img, c, (2, 1), float(rng.uniform(0, 180)), 0, 360, col, -1)
    cv2.rectangle(img, (60, 38), (420, 278), (200, 205, 210), 2)  # the clear wall's rim
    return img


def _frames():
    import cv2

    rng = np.random.default_rng(0)
    beds = [_bedding(rng), _bedding(rng)]  # the mice dig: the bedding of the second half differs
    frames = []
    for i in range(N):
        f = beds[i * 2 // N].copy()
        t = i / N
        for k, (cx, cy) in enumerate([(240 + 90 * np.cos(2 * np.pi * t), 158 + 45 * np.sin(2 * np.pi * t)),
                                      (180 + 105 * t, 120 + 60 * np.cos(3 * t))]):
            cv2.ellipse(f, (int(cx), int(cy)), (24, 12), 40 * i + 90 * k, 0, 360, (30, 30, 32), -1)
        frames.append(np.clip(f + rng.normal(0, 2, f.shape), 0, 255).astype(np.uint8))
    return np.stack(frames), beds


def test_cage_plate_keeps_the_bedding_and_removes_both_animals():
    frames, beds = _frames()
    ps = extract_plates(frames, np.arange(N), N, segments=2)
    assert ps.textured and ps.polarity == "dark"
    assert len(ps.plates) == 2  # the bedding moved between the halves: one plate each
    for plate, bed in zip(ps.plates, beds):
        x0, y0, x1, y1 = BED
        err = np.abs(plate.astype(float) - bed)[y0:y1, x0:x1].mean(axis=-1)
        assert np.median(err) < 4  # sensor noise: the pellets themselves, not a blur of them
        assert (err > 60).mean() < 0.005  # nowhere an animal left behind
        # a median over frames would blur: the plate's texture is as strong as the bedding's
        assert plate[y0:y1, x0:x1].std() > 0.9 * bed[y0:y1, x0:x1].std()


def test_cage_floor_is_the_bedding_rectangle():
    frames, beds = _frames()
    ps = extract_plates(frames, np.arange(N), N, segments=1)
    outline = detect_floor(ps.plates[0])
    assert outline.textured
    x0, y0, x1, y1 = BED
    want = np.array([[x0, y0], [x1, y0], [x1, y1], [x0, y1]], float)
    assert np.abs(outline.corners - want).max() < 8  # px, of a 270 x 165 px rectangle
