"""Floor and image randomization: each field deterministic per frame and off when off."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from simgen.imageops import ImageOpsSpec, apply_image_ops, draw_image_ops
from simgen.sampling import sample_frame
from simgen.scene import load_scene

SCENE = Path(__file__).parents[2] / "scenes" / "openfield.yaml"
ALL_ON = ["image.floor_lines=1", "image.glare=1", "image.vignette=0.5", "image.gain=0.3", "image.blur_px=1.5",
          "image.noise=0.05"]
FIELDS = {"floor_lines": "lines", "glare": "glare", "vignette": "vignette", "gain": "gain",
          "blur_px": "blur_sigma_px", "noise": "noise_std"}


def _image(h=60, w=80):
    img = np.full((h, w, 3), 200, np.uint8)
    mask = np.ones((h, w), np.uint8)  # the arena
    mask[20:40, 30:50] = 2  # the animal
    img[mask == 2] = 30
    return img, mask


def test_everything_off_by_default_is_the_identity():
    scene = load_scene(SCENE).scene
    assert sample_frame(scene, 3).image is None
    img, mask = _image()
    assert apply_image_ops(img, None, mask, 2) is img
    assert apply_image_ops(img, ImageOpsSpec(), mask, 2) is img


def test_each_field_is_deterministic_per_frame_and_off_when_off():
    on = load_scene(SCENE, ALL_ON).scene
    specs = [sample_frame(on, i).image for i in range(6)]
    assert all(s is not None for s in specs)
    assert specs[2] == sample_frame(on, 2).image  # same frame, same values
    assert specs[2] != specs[3]
    img, mask = _image()
    a = apply_image_ops(img, specs[2], mask, 2)
    assert np.array_equal(a, apply_image_ops(img, specs[2], mask, 2)) and not np.array_equal(a, img)
    for field, attr in FIELDS.items():
        off = load_scene(SCENE, [s for s in ALL_ON if not s.startswith(f"image.{field}=")]).scene
        for i in range(6):
            spec = sample_frame(off, i).image
            assert getattr(spec, attr) == getattr(ImageOpsSpec(), attr), field
            # switching one field off leaves the others' values as they were
            other = [f for f in FIELDS.values() if f != attr]
            assert all(getattr(spec, f) == getattr(specs[i], f) for f in other), field


def test_floor_lines_pass_under_the_animal_and_stay_off_background():
    img, mask = _image()
    mask[:, :5] = 0  # background strip
    lines = ImageOpsSpec(lines=[{"points": [[0.0, 0.5], [1.0, 0.5]], "width_px": 2.0, "darkness": 0.5}])
    out = apply_image_ops(img, lines, mask, 2)
    row = out[30]
    assert (row[10:25] < 150).all()  # the line darkens the floor
    assert np.array_equal(out[mask == 2], img[mask == 2])  # not the animal
    assert np.array_equal(out[:, :5], img[:, :5])  # not the background
    assert np.array_equal(out[:10], img[:10])  # only near the line


@pytest.mark.parametrize("spec, check", [
    ({"glare": [{"x": 0.5, "y": 0.5, "radius": 0.05, "strength": 0.8}]}, lambda o, i: o[30, 40].mean() > i[30, 40].mean()),
    ({"vignette": 0.8}, lambda o, i: o[0, 0].mean() < 0.5 * i[0, 0].mean() and abs(int(o[30, 10, 0]) - 200) < 40),
    ({"gain": 0.5}, lambda o, i: np.allclose(o, np.round(i * 0.5), atol=1)),
    ({"blur_sigma_px": 2.0}, lambda o, i: 30 < o[30, 30].mean() < 200),
    ({"noise_std": 0.05, "noise_seed": 3}, lambda o, i: 5 < np.std(o[:10].astype(float)) < 20),
])
def test_each_operation_does_what_it_says(spec, check):
    img, mask = _image()
    out = apply_image_ops(img, ImageOpsSpec(**spec), mask, 2)
    assert out.dtype == np.uint8 and out.shape == img.shape
    assert check(out, img)


def test_draw_needs_no_scene_for_unit_use():
    from simgen.sampling.draw import rng_for
    from simgen.scene.schema import ImageRandomization

    cfg = ImageRandomization(floor_lines=1.0, floor_lines_max=2)
    spec = draw_image_ops(cfg, lambda f: rng_for(0, 1, f))
    assert 1 <= len(spec.lines) <= 2 and spec.vignette == 0 and spec.noise_std == 0
    assert draw_image_ops(ImageRandomization(), lambda f: rng_for(0, 1, f)) is None


RENDER_SCENE = """\
simgen: 1
seed: 5
frames: 2
render: {engine: workbench, samples: 1, resolution: [96, 72]}
animal:
  placement: {mode: behavior, x: {uniform: [-0.1, 0.1]}, y: {uniform: [-0.05, 0.05]}, yaw: {uniform: [0, 360]}}
rig:
  - {name: arena, asset: arena, size: [0.4, 0.3, 0.1], material: {color: 0.8}}
cameras:
  - {name: top, position: [0, 0, 0.6], focal_mm: 6, sensor_mm: 6.4}
lights:
  - {type: area, position: [0, 0, 1.2], energy: 200}
"""


@pytest.mark.blender
def test_render_applies_the_ops_to_the_image_only(tmp_path):
    import json

    import cv2

    from simgen.render.run import render

    (tmp_path / "off.yaml").write_text(RENDER_SCENE)
    (tmp_path / "on.yaml").write_text(RENDER_SCENE + "image: {floor_lines: 1.0, floor_lines_max: 6, vignette: 0.6}\n")
    render(tmp_path / "off.yaml", tmp_path / "off", progress=False)
    render(tmp_path / "on.yaml", tmp_path / "on", progress=False)
    for f in range(2):
        a = json.loads((tmp_path / "off" / "annotations" / f"{f:06d}.json").read_text())
        b = json.loads((tmp_path / "on" / "annotations" / f"{f:06d}.json").read_text())
        assert "image" not in a["params"] and b["params"]["image"]["lines"]  # off: left out of the JSON
        assert a["params"]["animal"]["placement"]["region"] in ("open", "wall", "corner", "rear_wall")
        assert a["cameras"] == b["cameras"]  # labels unchanged
        off = cv2.imread(str(tmp_path / "off" / "images" / "top" / f"{f:06d}.png"))
        on = cv2.imread(str(tmp_path / "on" / "images" / "top" / f"{f:06d}.png"))
        assert on.shape == off.shape and on.mean() < off.mean() - 1  # darker: vignette and lines


def test_the_srgb_pair_round_trips_keeps_float_dtypes_and_matches_the_old_copies():
    from simgen.imageops import linear_to_srgb, srgb_to_linear

    v = np.linspace(-0.1, 1.2, 301)
    enc = linear_to_srgb(v)
    assert enc.min() == 0.0 and enc.max() == pytest.approx(1.0, abs=1e-15)  # clipped to [0, 1]
    # rig.from_video's copy clipped after encoding: the same 8-bit image
    old_rig = np.clip(np.where(v <= 0.0031308, v * 12.92, 1.055 * np.clip(v, 0, None) ** (1 / 2.4) - 0.055), 0, 1)
    assert np.array_equal(np.rint(enc * 255).astype(np.uint8), np.rint(old_rig * 255).astype(np.uint8))
    inside = (v >= 0) & (v <= 1)
    np.testing.assert_allclose(srgb_to_linear(enc[inside]), v[inside], rtol=0, atol=1e-12)
    assert srgb_to_linear(np.array([0.5]))[0] == pytest.approx(0.21404114, abs=1e-8)  # sRGB mid grey
    # style.classic's copy worked in float32: the pair keeps float32 and gives its exact bits
    x32 = np.linspace(0, 1, 97, dtype=np.float32)
    old32 = np.where(x32 <= 0.0031308, 12.92 * x32, 1.055 * np.power(x32, 1 / 2.4) - 0.055).astype(np.float32)
    assert linear_to_srgb(x32).dtype == np.float32 and np.array_equal(linear_to_srgb(x32), old32)
    # 8-bit input (rig.exposure's copy divided by 255 in float64)
    g = np.arange(256, dtype=np.uint8)
    old = np.where(g / 255.0 <= 0.04045, g / 255.0 / 12.92, ((g / 255.0 + 0.055) / 1.055) ** 2.4)
    assert np.array_equal(srgb_to_linear(g / 255.0), old)
