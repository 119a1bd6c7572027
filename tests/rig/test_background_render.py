"""A real (tiny) render over a background plate: the animal and its shadow composited
onto the plate, the rig's own pixels replaced by it, labels unchanged."""

import json

import numpy as np
import pytest

pytestmark = pytest.mark.blender

SCENE = """\
simgen: 1
seed: 5
frames: 1
render: {engine: cycles, device: cpu, samples: 8, denoise: false, resolution: [160, 120]}
animal:
  asset: mouse
  fur: black
  pose: {mode: rest}
  placement: {x: 0.0, y: 0.0, yaw: 30}
rig:
  - {name: arena, asset: arena, size: [0.3, 0.22, 0.05], material: {color: 0.8}}
cameras:
  - {name: top, position: [0, 0, 0.33], focal_mm: 20, sensor_mm: 36}
lights:
  - {type: area, position: [0.25, 0, 0.25], look_at: [0, 0, 0], energy: 4, size: 0.05}
world: {color: 0.5, strength: 0.1}
keypoints: {names: default}
"""


@pytest.fixture(scope="module")
def renders(tmp_path_factory):
    from PIL import Image

    from simgen.render.run import render

    d = tmp_path_factory.mktemp("bg")
    y, x = np.mgrid[0:120, 0:160]
    plate = np.stack([120 + 60 * x / 160, 150 + 0 * x, 90 + 60 * y / 120], axis=-1).astype(np.uint8)
    Image.fromarray(plate).save(d / "plate.png")
    (d / "plain.yaml").write_text(SCENE)
    (d / "bg.yaml").write_text(SCENE + "background: {plates: [plate.png]}\n")
    (d / "lens.yaml").write_text(SCENE.replace("sensor_mm: 36}", "sensor_mm: 36, distortion: [-0.3, 0.08, 0, 0, 0]}")
                                 + "background: {plates: [plate.png]}\n")
    render(d / "plain.yaml", d / "plain", progress=False)
    render(d / "bg.yaml", d / "bg", progress=False)
    (d / "tone.yaml").write_text(SCENE + "background: {plates: [plate.png], tone: {gamma: 2.0, pivot: 0.4}}\n")
    render(d / "lens.yaml", d / "lens", progress=False)
    render(d / "tone.yaml", d / "tone", progress=False)
    return d, plate


def _load(d, name):
    from PIL import Image

    img = np.asarray(Image.open(d / name / "images" / "top" / "000000.png").convert("RGB")).astype(float)
    mask = np.asarray(Image.open(d / name / "masks" / "top" / "000000.png"))
    ann = json.loads((d / name / "annotations" / "000000.json").read_text())
    return img, mask, ann


def test_animal_and_shadow_on_the_plate_with_unchanged_labels(renders):
    import cv2

    d, plate = renders
    img, mask, ann = _load(d, "bg")
    plain_img, plain_mask, plain_ann = _load(d, "plain")
    assert ann["params"]["background"]["plate"] == str((d / "plate.png").resolve())
    # labels come from geometry: identical with and without the plate
    assert np.array_equal(mask, plain_mask)
    assert np.allclose(ann["cameras"]["top"]["keypoints"], plain_ann["cameras"]["top"]["keypoints"])
    animal = mask == 1
    assert animal.sum() > 50
    near = cv2.dilate(animal.astype(np.uint8), np.ones((31, 31), np.uint8)) > 0
    far = ~near
    # away from the animal the image is the plate (the rig renders as a shadow catcher)
    assert np.abs(img[far] - plate[far]).mean() < 1.0
    assert np.abs(plain_img[far] - plate[far]).mean() > 10  # ...which the plain render is not
    # the black mouse is drawn over the plate
    assert img[animal].mean() < plate[animal].mean() - 40
    # its shadow darkens the plate beside it (light from +x: shadow toward -x)
    ring = cv2.dilate(animal.astype(np.uint8), np.ones((9, 9), np.uint8)).astype(bool) & ~animal
    assert (plate[ring] - img[ring]).mean() > 3


def test_a_distorted_camera_over_a_plate_keeps_labels_exact(renders):
    """Images and masks warped through the lens; keypoints = cv2.projectPoints of the
    3-D keypoints with the annotation's K, R, t and dist."""
    import cv2

    d, plate = renders
    img, mask, ann = _load(d, "lens")
    _, plain_mask, _ = _load(d, "bg")
    cam = ann["cameras"]["top"]
    assert cam["dist"] == pytest.approx([-0.3, 0.08, 0, 0, 0])
    assert img.shape == (120, 160, 3) and mask.shape == (120, 160)
    K, R, t = (np.asarray(cam[k], float) for k in ("K", "R", "t"))
    uv, _ = cv2.projectPoints(np.asarray(ann["keypoints_3d"]).reshape(-1, 1, 3), cv2.Rodrigues(R)[0], t, K,
                              np.asarray(cam["dist"]))
    kp = np.asarray(cam["keypoints"])
    assert np.abs(kp[:, :2] - uv.reshape(-1, 2)).max() < 1e-3
    # the barrel lens pulls the animal toward the center: a smaller silhouette than the pinhole's
    assert 0 < (mask == 1).sum() < (plain_mask == 1).sum()
    far = ~(cv2.dilate((mask == 1).astype(np.uint8), np.ones((31, 31), np.uint8)) > 0)
    assert np.abs(img[far] - plate[far]).mean() < 1.0


def test_tone_maps_the_rendered_animal_about_the_pivot_and_leaves_the_plate(renders):
    import cv2

    from simgen.imageops import srgb_to_linear
    from simgen.render.background import tone_map

    d, plate = renders
    img, mask, _ = _load(d, "bg")
    toned, toned_mask, _ = _load(d, "tone")
    assert np.array_equal(mask, toned_mask)
    inner = cv2.erode((mask == 1).astype(np.uint8), np.ones((5, 5), np.uint8)).astype(bool)  # opaque fur only
    assert inner.sum() > 20
    before, after = srgb_to_linear(img[inner] / 255), srgb_to_linear(toned[inner] / 255)
    # the same render (same seed), its colour through pivot * (x / pivot) ** 2; tolerance: 8-bit rounding
    assert np.allclose(after, tone_map(before, 2.0, 0.4), atol=0.004)
    assert np.median(after) < 0.8 * np.median(before)  # a dark animal below the pivot gets darker
    far = cv2.dilate((mask == 1).astype(np.uint8), np.ones((31, 31), np.uint8)) == 0
    assert np.abs(toned[far] - img[far]).max() <= 1  # the plate is not toned
