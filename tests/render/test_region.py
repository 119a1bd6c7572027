"""Region rendering (render.reuse_background): a cached background per camera, the animal's box per frame."""

from __future__ import annotations

import logging

import numpy as np
import pytest

from simgen.render.region import background_fields, background_key, first_difference, paste, region_box, region_boxes

SCENE = """\
simgen: 1
seed: 2
frames: 3
render: {{engine: cycles, device: cpu, samples: 4, denoise: {denoise}, resolution: [96, 72],
         reuse_background: {reuse}}}
animal:
  asset: {animal}
  placement: {{x: {{uniform: [-0.03, 0.03]}}, yaw: {{uniform: [0, 360]}}}}
rig:
  - {{name: arena, asset: arena, size: [0.2, 0.16, 0.03], material: {{color: 0.8}}}}
cameras:
  - {{name: top, position: [0, 0, 0.25], focal_mm: 30, sensor_mm: 36{jitter}{lens}}}
lights:
  - {{type: area, position: [0.05, 0.05, 0.6], energy: 6, size: 0.2}}
world: {{color: 0.5, strength: 0.3}}
keypoints: {{names: {kp}}}
{background}"""
KP = "name: toy\nkeypoints: {snout: snout, back: back, belly_point: belly_point, tail_base: tail_base}\n"


def test_region_box_grows_by_the_margin_and_clips():
    mask = np.zeros((40, 60), np.uint8)
    mask[10:20, 30:50] = 1  # a 20 x 10 animal
    assert region_box(mask, 0.5) == (30 - 18, 0, 60, 20 + 18)  # margin 0.5 * 20 + 8 px, clipped
    assert region_box(mask, 0.0) == (22, 2, 58, 28)
    assert region_box(np.zeros((4, 4), np.uint8), 0.5) is None


def test_region_boxes_one_per_animal_merged_where_that_renders_fewer_pixels():
    mask = np.zeros((60, 100), np.uint8)
    mask[10:20, 5:15] = 1
    mask[40:50, 80:90] = 2  # far from animal 1: a box each
    assert region_boxes(mask, 0.0, [1, 2]) == [region_box(mask, 0.0, 1), region_box(mask, 0.0, 2)]
    assert region_boxes(mask, 0.0) == [region_box(mask, 0.0)]  # one animal: its box, as before
    mask[22:30, 12:20] = 3  # just below animal 1: one box around both renders fewer pixels than two
    boxes = region_boxes(mask, 0.0, [1, 2, 3])
    assert boxes == [(0, 2, 28, 38), region_box(mask, 0.0, 2)]
    assert region_boxes(mask, 0.0, [4]) == []  # not in view
    diag = np.zeros((200, 200), np.uint8)  # two long animals crossing diagonally: their boxes overlap,
    diag[20:100, 20:30] = 1                # but the box around both would be mostly empty
    diag[90:100, 25:180] = 2
    assert region_boxes(diag, 0.0, [1, 2]) == [region_box(diag, 0.0, 1), region_box(diag, 0.0, 2)]


def test_paste_puts_the_patch_in_its_box_only():
    bg = np.zeros((6, 8, 3), np.uint8)
    out = paste(bg, np.full((2, 3, 3), 9, np.uint8), (4, 1, 7, 3))
    assert (out[1:3, 4:7] == 9).all() and out.sum() == 9 * 18 and bg.sum() == 0
    with pytest.raises(ValueError, match="expected 3x2"):
        paste(bg, np.zeros((3, 3, 3), np.uint8), (4, 1, 7, 3))


def test_paste_feathers_inner_edges_but_not_the_image_border():
    bg = np.zeros((20, 30, 3), np.uint8)
    patch = np.full((20, 30, 3), 200, np.uint8)  # rendered over the whole image
    out = paste(bg, patch, (10, 0, 30, 12), rendered=(0, 0, 30, 20), feather=3)
    assert (out[:, :10] == 0).all() and (out[12:] == 0).all()  # outside the box: the background
    assert out[0, 29, 0] == 200  # a box edge on the image border is not blended
    assert out[5, 10, 0] == 50 and out[5, 11, 0] == 100 and out[5, 12, 0] == 150 and out[5, 13, 0] == 200
    assert out[11, 20, 0] == 50 and (out[:9, 13:] == 200).all()


def test_background_key_ignores_the_animal_and_the_noise_seed(tmp_path):
    from simgen.sampling import sample_frame
    from simgen.scene import load_scene

    (tmp_path / "s.yaml").write_text("simgen: 1\nanimal: {placement: {x: {uniform: [-0.1, 0.1]}}}\n"
                                     "cameras: [{name: top, position: [0, 0, 1]}]\n")
    scene = load_scene(tmp_path / "s.yaml").scene
    a, b = sample_frame(scene, 0), sample_frame(scene, 1)
    assert a.animals[0] != b.animals[0] and a.render.cycles_seed != b.render.cycles_seed
    assert background_key(a) == background_key(b)
    b.cameras[0].position[0] += 0.01
    assert background_key(a) != background_key(b)
    assert first_difference(background_fields(a), background_fields(b)) == "cameras.top.position[0]"


def test_over_a_plate_the_background_key_ignores_lights_world_rig_and_plate(tmp_path):
    from simgen.sampling import sample_frame
    from simgen.scene import load_scene

    (tmp_path / "p0.png").write_bytes(b"")
    (tmp_path / "p1.png").write_bytes(b"")
    (tmp_path / "s.yaml").write_text(
        "simgen: 1\nanimal: {placement: {x: {uniform: [-0.1, 0.1]}}}\n"
        "cameras: [{name: top, position: [0, 0, 1]}, {name: side, position: [1, 0, 0.2]}]\n"
        "lights: [{type: area, position: [0, 0, 1], energy: {uniform: [5, 7]}}]\n"
        "background: {plates: [p0.png, p1.png]}\n")
    scene = load_scene(tmp_path / "s.yaml").scene
    a, b = sample_frame(scene, 0), sample_frame(scene, 1)
    assert a.lights != b.lights
    assert background_key(a, "top") == background_key(b, "top")  # the plate camera's film is empty
    assert background_key(a, "side") != background_key(b, "side")  # the other camera sees the lit rig
    assert first_difference(background_fields(a, "side"), background_fields(b, "side")).startswith("lights")


def _render(tmp_path, toy_animal_dir, *, reuse, denoise="false", jitter="", plate=False):
    from PIL import Image

    from simgen.render.run import plan, run

    d = tmp_path / f"reuse_{reuse}_{denoise}{'_jitter' if jitter else ''}{'_plate' if plate else ''}"
    d.mkdir()
    (tmp_path / "kp.yaml").write_text(KP)  # one path for both runs: the annotations name it
    background, lens = "", ""
    if plate:  # a textured photo of the "empty rig", seen through a barrel lens
        rng = np.random.default_rng(0)
        img = (120 + 60 * rng.random((72, 96, 1)) * np.ones(3)).astype(np.uint8)
        Image.fromarray(img).save(tmp_path / "plate.png")
        background = f"background: {{plates: [{tmp_path / 'plate.png'}]}}\n"
        lens = ", distortion: [-0.15, 0.04, 0, 0, 0]"
    (d / "scene.yaml").write_text(SCENE.format(animal=toy_animal_dir, kp=tmp_path / "kp.yaml", reuse=reuse,
                                               denoise=denoise, jitter=jitter, lens=lens, background=background))
    run(plan(d / "scene.yaml", d / "out"), progress=False)
    return d / "out"


def _psnr(a, b):
    mse = ((a.astype(float) - b.astype(float)) ** 2).mean()
    return np.inf if mse == 0 else 10 * np.log10(255**2 / mse)


@pytest.mark.blender
@pytest.mark.parametrize("denoise", ["false", "true"])
def test_region_render_keeps_labels_and_matches_the_full_render_inside_the_box(tmp_path, toy_animal_dir, denoise):
    from simgen.dataset import Dataset

    full = Dataset(_render(tmp_path, toy_animal_dir, reuse="false", denoise=denoise))
    reg = Dataset(_render(tmp_path, toy_animal_dir, reuse="true", denoise=denoise))
    assert full.frames() == reg.frames() == [0, 1, 2]
    for f in full.frames():
        assert full.layout.annotation(f).read_bytes() == reg.layout.annotation(f).read_bytes()
        assert full.layout.mask("top", f).read_bytes() == reg.layout.mask("top", f).read_bytes()
        a, b = full.load_image("top", f), reg.load_image("top", f)
        x0, y0, x1, y1 = region_box(full.load_mask("top", f), 0.5)
        x0, y0, x1, y1 = x0 + 6, y0 + 6, x1 - 6, y1 - 6  # inside the band that blends into the background
        inside = _psnr(a[y0:y1, x0:x1], b[y0:y1, x0:x1])
        assert inside >= 40, (f, inside)  # the bar: the same samples and seed inside the box
    # outside the box: frame 0's background has frame 0's noise seed, so there the render
    # lacks only the animal's light beyond the margin
    assert _psnr(full.load_image("top", 0), reg.load_image("top", 0)) >= 35
    # later frames reuse that background (their own noise seed shows only inside their box)
    first = reg.load_image("top", 0)
    outside = np.ones(first.shape[:2], bool)
    for f in full.frames():
        x0, y0, x1, y1 = region_box(full.load_mask("top", f), 0.5)
        outside[y0:y1, x0:x1] = False
    assert outside.mean() > 0.2
    for f in full.frames()[1:]:
        assert (reg.load_image("top", f)[outside] == first[outside]).all()


@pytest.mark.blender
def test_region_render_over_a_plate_through_a_lens_matches_the_full_render(tmp_path, toy_animal_dir, monkeypatch):
    """Plates (transparent film, shadow catchers) and lens distortion combine with regions."""
    from simgen.dataset import Dataset
    from simgen.render import region

    full = Dataset(_render(tmp_path, toy_animal_dir, reuse="false", plate=True))
    pasted = []
    monkeypatch.setattr(region, "paste", lambda bg, patch, *a, **k: pasted.append(bg.shape) or paste(bg, patch, *a, **k))
    reg = Dataset(_render(tmp_path, toy_animal_dir, reuse="true", plate=True))
    assert len(pasted) == 3 and all(s[2] == 4 for s in pasted)  # regions, with the film's alpha
    assert full.frames() == reg.frames() == [0, 1, 2]
    for f in full.frames():
        assert full.layout.annotation(f).read_bytes() == reg.layout.annotation(f).read_bytes()
        assert full.layout.mask("top", f).read_bytes() == reg.layout.mask("top", f).read_bytes()
        a, b = full.load_image("top", f), reg.load_image("top", f)
        assert a.shape == b.shape == (72, 96, 3)
        mask = full.load_mask("top", f)
        assert (mask == 1).sum() > 20  # the animal is in view
        psnr = _psnr(a, b)  # over the whole frame: outside the box both are the plate
        assert psnr >= 40, (f, psnr)
        far = np.ones(mask.shape, bool)
        x0, y0, x1, y1 = region_box(mask, 1.0)
        far[y0:y1, x0:x1] = False
        assert (a[far] == b[far]).all()  # the plate itself, untouched


# Two toy animals (issue 32 item 2): a box each, one background with both hidden.
TWO = """\
simgen: 1
seed: 2
frames: 3
render: {{engine: cycles, device: cpu, samples: 4, denoise: {denoise}, resolution: [160, 120],
         reuse_background: {reuse}}}
animals:
  - {{name: left, asset: {animal}, placement: {left}}}
  - {{name: right, asset: {animal}, placement: {right}}}
rig:
  - {{name: arena, asset: arena, size: [0.34, 0.2, 0.03], material: {{color: 0.8}}}}
cameras:
  - {{name: top, position: [0, 0, 0.4], focal_mm: 30, sensor_mm: 36}}
lights:
  - {{type: area, position: [0.05, 0.05, 0.6], energy: 6, size: 0.2}}
world: {{color: 0.5, strength: 0.3}}
keypoints: {{names: {kp}}}
"""
LAYOUTS = {  # placements of the two animals
    # at either end of the arena: two boxes apart
    "apart": ("{x: -0.12, y: {uniform: [-0.02, 0.02]}, yaw: {uniform: [80, 100]}}",
              "{x: 0.12, y: {uniform: [-0.02, 0.02]}, yaw: {uniform: [80, 100]}}"),
    # one lengthwise, one crosswise, diagonally apart: the boxes overlap at a corner, where the
    # box around both would render more pixels than the two
    "corner": ("{x: -0.065, y: 0.05, yaw: {uniform: [-5, 5]}}", "{x: 0.065, y: -0.04, yaw: {uniform: [85, 95]}}"),
}


@pytest.mark.blender
@pytest.mark.parametrize(("layout", "denoise"), [("apart", "false"), ("apart", "true"), ("corner", "false")])
def test_region_render_of_several_animals_matches_the_full_render(tmp_path, toy_animal_dir, monkeypatch, layout,
                                                                  denoise):
    from simgen.dataset import Dataset
    from simgen.render import region
    from simgen.render.run import plan, run

    (tmp_path / "kp.yaml").write_text(KP)
    boxes = []
    real = region.region_boxes
    monkeypatch.setattr(region, "region_boxes", lambda *a, **k: boxes.append(real(*a, **k)) or boxes[-1])
    out = {}
    for reuse in ("false", "true"):
        d = tmp_path / reuse
        d.mkdir()
        left, right = LAYOUTS[layout]
        (d / "scene.yaml").write_text(TWO.format(animal=toy_animal_dir, kp=tmp_path / "kp.yaml", reuse=reuse,
                                                 denoise=denoise, left=left, right=right))
        run(plan(d / "scene.yaml", d / "out"), progress=False)
        out[reuse] = Dataset(d / "out")
    full, reg = out["false"], out["true"]
    assert [len(b) for b in boxes] == [2, 2, 2]  # both animals in view, a box each, every frame
    overlap = [max(a[0], b[0]) < min(a[2], b[2]) and max(a[1], b[1]) < min(a[3], b[3]) for a, b in boxes]
    assert overlap == [layout == "corner"] * 3
    assert full.frames() == reg.frames() == [0, 1, 2]
    for f in full.frames():
        assert full.layout.annotation(f).read_bytes() == reg.layout.annotation(f).read_bytes()
        assert full.layout.mask("top", f).read_bytes() == reg.layout.mask("top", f).read_bytes()
        mask = full.load_mask("top", f)
        assert (mask == 1).sum() > 20 and (mask == 2).sum() > 20
        a, b = full.load_image("top", f), reg.load_image("top", f)
        for x0, y0, x1, y1 in region_boxes(mask, 0.5, [1, 2]):
            x0, y0, x1, y1 = x0 + 6, y0 + 6, x1 - 6, y1 - 6  # inside the band that blends into the background
            inside = _psnr(a[y0:y1, x0:x1], b[y0:y1, x0:x1])
            assert inside >= 40, (f, inside)  # the one-animal test's bar
    # outside the boxes frame 0 has its own noise seed and lacks only the animals' light beyond the margin
    assert _psnr(full.load_image("top", 0), reg.load_image("top", 0)) >= 35
    first = reg.load_image("top", 0)  # later frames reuse frame 0's background outside their boxes
    outside = np.ones(first.shape[:2], bool)
    for f in full.frames():
        for x0, y0, x1, y1 in region_boxes(full.load_mask("top", f), 0.5, [1, 2]):
            outside[y0:y1, x0:x1] = False
    assert outside.mean() > 0.2
    for f in full.frames()[1:]:
        assert (reg.load_image("top", f)[outside] == first[outside]).all()


@pytest.mark.blender
def test_a_background_that_changes_every_frame_is_said_and_rendered_in_full(tmp_path, toy_animal_dir, caplog):
    jitter = ", jitter: {position: {normal: [0, 0.003]}}"
    with caplog.at_level(logging.WARNING, logger="simgen.render.region"):
        out = _render(tmp_path, toy_animal_dir, reuse="true", jitter=jitter)
    assert "cameras.top.position" in caplog.text and "rendering full frames" in caplog.text
    from simgen.dataset.verify import verify_dataset

    assert verify_dataset(out).ok
