"""The animal's size from its foreground: body length without the tail, any image size;
how many animals the video shows; the scene written for a cage."""

import numpy as np
import pytest

from simgen.rig.animal_size import blob_lengths
from simgen.rig.plates import count_animals


def _mouse(h, w, center, length, angle_deg, tail=True) -> np.ndarray:
    import cv2

    m = np.zeros((h, w), np.uint8)
    cv2.ellipse(m, center, (length // 2, length // 6), angle_deg, 0, 360, 1, -1)
    if tail:  # a thin tail as long as the body, off the rump
        a = np.radians(angle_deg)
        start = np.array(center) - (length // 2) * np.array([np.cos(a), np.sin(a)])
        end = start - length * np.array([np.cos(a), np.sin(a)])
        cv2.line(m, tuple(int(v) for v in start), tuple(int(v) for v in end), 1, max(1, length // 40))
    return m > 0


@pytest.mark.parametrize("scale", [1, 3])
def test_body_length_ignores_the_tail_at_any_image_size(scale):
    m = _mouse(240 * scale, 320 * scale, (160 * scale, 120 * scale), 80 * scale, 30)
    (length,) = blob_lengths(m)
    assert length == pytest.approx(80 * scale, rel=0.06)  # the body's 80, not body + tail (160)


def test_bodies_touching_the_border_are_not_measured():
    m = _mouse(240, 320, (30, 120), 80, 0, tail=False)
    assert blob_lengths(m) == []


def test_count_animals_ignores_static_blobs_and_specks():
    rng = np.random.default_rng(0)
    masks = []
    for i in range(20):
        m = _mouse(240, 320, (60 + 8 * i, 100), 70, 10 * i, tail=False) | _mouse(240, 320, (260 - 6 * i, 170), 70, 5 * i, tail=False)
        m[5:30, 5:300] = True  # a wall band, in every frame
        for _ in range(5):  # bedding kicked about
            y, x = rng.integers(0, 230), rng.integers(0, 310)
            m[y:y + 4, x:x + 4] = True
        masks.append(m)
    assert count_animals(np.stack(masks)) == 2


def test_cage_scene_has_two_animals_clear_walls_and_the_fitted_scale(tmp_path):
    from PIL import Image

    from simgen.rig.scene_writer import CLEAR_WALL_M, RigDescription, write_scene
    from simgen.scene.loader import load_scene

    d = RigDescription(video="v.mp4", arena_m=(0.34, 0.21), wall_height_m=0.15, resolution=(480, 270),
                       position=np.array([0, 0, 0.44]), look_at=np.zeros(3), up=np.array([0, 1.0, 0]),
                       focal_px=343.0, dist=np.zeros(5), corner_rms=0.0, energy=(5.8, 5.0, 6.8),
                       world_strength=0.1, floor_linear=0.38, fur="black", plates=[], light_height_m=0.9,
                       animals=2, clear_walls=True, animal_scale=1.1)
    scene = load_scene(write_scene(tmp_path / "scene.yaml", d)).scene
    assert scene.rig[0].size[2] == pytest.approx(CLEAR_WALL_M)
    assert scene.animal.count == 2
    text = (tmp_path / "scene.yaml").read_text()
    assert "count: 2" in text and "social:" in text and "mode: behavior" in text
    assert "scale: {uniform: [1.012, 1.188]}" in text  # 0.92 and 1.08 x 1.1
    assert scene.background is None  # no plates, no tone
    (tmp_path / "plates").mkdir()
    Image.fromarray(np.full((270, 480, 3), 200, np.uint8)).save(tmp_path / "plates" / "p.png")
    d.plates, d.tone = ["plates/p.png"], (1.93, 0.45)
    bg = load_scene(write_scene(tmp_path / "scene.yaml", d)).scene.background
    assert (bg.tone.gamma, bg.tone.pivot) == (pytest.approx(1.93), pytest.approx(0.45))


def test_rendered_lengths_measures_each_animal_by_its_mask_id_from_dataset_json(tmp_path):
    """Two animals (ids 1 and 2 in dataset.json) beside the arena (id 3): each animal's body
    is measured alone, every frame, and the rig part is not taken for an animal."""
    from simgen.contract import mask_ids
    from simgen.dataset import AnimalLabels, CameraInfo, CameraLabel, DatasetMeta, DatasetWriter, FrameAnnotation
    from simgen.dataset.meta import DATASET_FORMAT_MULTI
    from simgen.rig.animal_size import rendered_lengths

    names = ["a", "b"]
    meta = DatasetMeta(scene={}, scene_sha256="0" * 64, seed=0, frames=3, keypoints=["snout"],
                       cameras=[CameraInfo("cam", 320, 240)], mask_ids=mask_ids(["arena"], names),
                       format=DATASET_FORMAT_MULTI, animals=[{"name": n, "asset": "mouse"} for n in names])
    assert meta.mask_ids == {"background": 0, "a": 1, "b": 2, "arena": 3}
    w = DatasetWriter(tmp_path / "ds", meta)
    for f in range(3):
        m = np.full((240, 320), 3, np.uint8)
        m[_mouse(240, 320, (150, 70), 80, 10 * f)] = 1
        m[_mouse(240, 320, (220, 160), 60, 90 - 10 * f)] = 2  # tails on: measured without them
        w.write_mask("cam", f, m)
        w.write_image("cam", f, np.zeros((240, 320, 3), np.uint8))
        cam = CameraLabel(K=np.eye(3), R=np.eye(3), t=np.zeros(3), width=320, height=240, keypoints=np.zeros((1, 3)))
        w.write_annotation(FrameAnnotation(f, {}, [AnimalLabels(n, i, np.zeros((1, 3)), {"cam": cam})
                                                   for i, n in enumerate(names)]))
    lengths = rendered_lengths(tmp_path / "ds", scale_px=2.0)
    np.testing.assert_allclose(lengths, [160, 120] * 3, rtol=0.06)  # px x 2; blob_lengths' 6% tolerance


@pytest.mark.blender
def test_match_size_scales_the_rendered_animal_to_the_video(tmp_path):
    """A video whose animal is 1.25x the bundled mouse's rendered length: the scale found
    makes the renders' median length the video's."""
    import dataclasses

    from simgen.render.run import render
    from simgen.rig.animal_size import rendered_lengths
    from simgen.rig.from_video import _match_size
    from simgen.rig.scene_writer import RigDescription, write_scene

    d = RigDescription(video="v.mp4", arena_m=(0.3, 0.2), wall_height_m=0.05, resolution=(320, 240),
                       position=np.array([0, 0, 0.35]), look_at=np.zeros(3), up=np.array([0, 1.0, 0]),
                       focal_px=300.0, dist=np.zeros(5), corner_rms=0.0, energy=(5.8, 5.0, 6.8),
                       world_strength=0.1, floor_linear=0.5, fur="black", plates=[], light_height_m=0.7)
    half = dataclasses.replace(d, resolution=(160, 120), focal_px=150.0)  # as _match_size renders it
    render(write_scene(tmp_path / "s.yaml", half), tmp_path / "ds", frames=12, preset="preview", progress=False)
    base = rendered_lengths(tmp_path / "ds", scale_px=2.0)
    assert len(base) >= 8 and 40 < np.median(base) < 120  # px: a ~10 cm mouse 35 cm below a 300 px lens
    real = 1.25 * base
    lines = []
    _match_size(d, real, tmp_path, lines.append, frames=12)
    assert d.animal_scale == pytest.approx(1.25, rel=0.02)  # the same frames and poses: exact but for rounding
    assert (tmp_path / "size.png").is_file() and "median" in lines[-1]


def test_inner_pixels_leave_out_the_fur_edge_and_fit_tone_matches_the_medians():
    import cv2

    from simgen.imageops import linear_to_srgb, srgb_to_linear
    from simgen.render.background import tone_map
    from simgen.rig.animal_size import inner_pixels
    from simgen.rig.from_video import _fit_tone

    img = np.full((120, 160), 200, np.uint8)
    mask = np.zeros((120, 160), np.uint8)
    cv2.ellipse(mask, (80, 60), (40, 14), 20, 0, 360, 1, -1)
    img[mask > 0] = 120  # a grey rim...
    core = cv2.erode(mask, np.ones((9, 9), np.uint8)) > 0
    img[core] = 10  # ...around a near-black body
    body = inner_pixels(np.dstack([img] * 3), mask > 0)
    assert len(body) > 100
    assert np.median(body) == pytest.approx(float(srgb_to_linear(np.asarray(10 / 255))), rel=1e-6)
    # the fitted gamma takes the rendered median to the video's, the floor's level fixed
    gamma, pivot = _fit_tone(0.001, 0.019, 0.45, log=lambda _: None)
    assert pivot == 0.45
    assert float(tone_map(np.asarray(0.019), gamma, pivot)) == pytest.approx(0.001, rel=1e-6)
    assert float(tone_map(np.asarray(0.45), gamma, pivot)) == pytest.approx(0.45, rel=1e-9)
    # nothing to match: an animal darker than the floor rendered brighter than it, or unmeasured
    assert _fit_tone(0.01, 0.6, 0.45, log=lambda _: None) is None
    assert _fit_tone(float("nan"), 0.02, 0.45, log=lambda _: None) is None
    assert 255 * float(linear_to_srgb(np.asarray(0.001))) < 5  # what the home cage's near-black mice read as
