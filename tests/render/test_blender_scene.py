"""The Blender scene: toy animal import and posing, rig primitives, masks, visibility."""

import math

import numpy as np
import pytest
from render_helpers import TOY_KEYPOINTS, camera, spec

from simgen.sampling.spec import PlacementSpec

pytestmark = pytest.mark.blender

ARENA = dict(name="arena", asset="arena", position=[0, 0, 0], rotation_deg=[0, 0, 0], scale=[1, 1, 1],
             size=[0.3, 0.25, 0.05], material=dict(color=[0.8, 0.8, 0.8], roughness=0.5, texture=None))
TOP = camera("top", position=(0, 0, 0.3), resolution=(160, 120))


def _scene(toy_animal, s):
    from simgen.render.blender_scene import BlenderScene

    scene = BlenderScene(s, animal=toy_animal)
    scene.apply(s)
    return scene


def _labels(scene, cam, mask=None):
    from simgen.render.labels import camera_label

    return camera_label(scene.pinhole(cam), scene.keypoints_world(), scene.first_hits, mask=mask)


def test_rest_pose_and_placement_move_keypoints_rigidly(toy_animal):
    s = spec([TOP], rig=[ARENA])
    scene = _scene(toy_animal, s)
    rest = np.array([p for _, p in TOY_KEYPOINTS.values()])
    assert scene.animals[0].keypoint_names == list(TOY_KEYPOINTS)
    assert np.allclose(scene.keypoints_world(), rest, atol=1e-6)
    s.animals[0].scale = 1.2
    s.animals[0].placement = PlacementSpec(x=0.03, y=-0.02, z=0.001, yaw_deg=90.0)
    scene.apply(s)
    rz = np.array([[0, -1, 0], [1, 0, 0], [0, 0, 1.0]])
    assert np.allclose(scene.keypoints_world(), 1.2 * rest @ rz.T + [0.03, -0.02, 0.001], atol=1e-6)
    assert scene.mask_ids == {"background": 0, "animal": 1, "arena": 2}


def test_posed_keypoint_follows_the_skin_in_the_mask(toy_animal, tmp_path):
    """Bend the head: the snout label moves and still lands on the animal's mask."""
    s = spec([TOP], rig=[ARENA])
    scene = _scene(toy_animal, s)
    s.animals[0].pose.angles = {"head": [0.0, 0.0, 40.0]}
    scene.apply(s)
    kp = scene.keypoints_world()
    snout = kp[list(TOY_KEYPOINTS).index("snout")]
    # bent 40 deg about the head joint at (0.02, 0, 0.015), 3 cm from the tip
    assert np.isclose(np.linalg.norm(snout - [0.02, 0, 0.015]), 0.03, atol=1e-6)
    assert abs(math.degrees(math.atan2(abs(snout[1]), snout[0] - 0.02)) - 40.0) < 1e-3
    mask = scene.render_mask("top", tmp_path / "m.png")
    assert mask.shape == (120, 160) and mask.dtype == np.uint8
    assert set(np.unique(mask)) == {1, 2}  # the arena floor fills the view around the animal
    lab = _labels(scene, "top", mask)
    assert lab.visibility.tolist() == [2, 2, 1, 2]  # the belly point hides under the body
    for (x, y, v) in lab.keypoints:
        xi, yi = int(round(x)), int(round(y))
        assert (mask[max(yi - 1, 0):yi + 2, max(xi - 1, 0):xi + 2] == 1).any(), (x, y)
    # the mask's animal area matches the ellipsoid's projected area (pi a b f^2 / d^2) roughly;
    # the bent head shortens it a little
    pin = scene.pinhole("top")
    expect = math.pi * 0.045 * 0.012 * (pin.focal_px / (0.3 - 0.027)) ** 2
    assert 0.75 * expect < (mask == 1).sum() < 1.15 * expect
    x0, y0, x1, y1 = lab.bbox
    ys, xs = np.nonzero(mask == 1)
    assert x0 < xs.min() and x1 > xs.max() and y0 < ys.min() and y1 > ys.max()


def test_visibility_wall_own_body_and_outside(toy_animal):
    names = list(TOY_KEYPOINTS)
    snout = names.index("snout")
    s = spec([TOP], rig=[ARENA])
    scene = _scene(toy_animal, s)
    v = _labels(scene, "top").visibility
    assert v[snout] == 2 and v[names.index("back")] == 2
    assert v[names.index("belly_point")] == 1  # under the body, seen from above
    # a small plate half-way between the camera and the snout hides the snout only
    p_snout = np.array(TOY_KEYPOINTS["snout"][1])
    cam = np.array(TOP["position"], float)
    mid = cam + (p_snout - cam) * 0.5
    plate = dict(name="plate", asset="box", position=list(mid), rotation_deg=[0, 0, 0], scale=[1, 1, 1],
                 size=[0.01, 0.01, 0.002], material=dict(color=[0.2, 0.2, 0.2], roughness=0.5, texture=None))
    s2 = spec([TOP], rig=[ARENA, plate])
    scene = _scene(toy_animal, s2)
    v2 = _labels(scene, "top").visibility
    assert v2[snout] == 1
    assert v2[names.index("back")] == 2
    # a narrow field of view: the snout leaves the image, the back stays
    narrow = camera("top", position=(0, 0, 0.3), focal_mm=300.0, resolution=(160, 120))
    s3 = spec([narrow], rig=[ARENA])
    scene = _scene(toy_animal, s3)
    v3 = _labels(scene, "top").visibility
    assert v3[snout] == 0 and v3[names.index("back")] == 2


def test_primitives_and_materials_render(tmp_path):
    """Every primitive builds, gets its own mask id and its material color."""
    from PIL import Image

    from simgen.render.blender_scene import BlenderScene
    from simgen.render.primitives import PRIMITIVES

    sizes = {"plane": [0.4, 0.4, 0], "box": [0.04, 0.04, 0.03], "cylinder": [0.04, 0, 0.03],
             "arena": [0.3, 0.3, 0.02], "wheel": [0.08, 0.03, 0.01], "head_post": [0.05, 0.006, 0.02]}
    pos = {"plane": [0, 0, -0.01], "box": [-0.08, -0.08, 0], "cylinder": [0.08, -0.08, 0], "arena": [0, 0, 0],
           "wheel": [-0.07, 0.07, 0.05], "head_post": [0.08, 0.08, 0.0]}
    rig = [dict(name=n, asset=n, position=pos[n], rotation_deg=[0, 0, 0], scale=[1, 1, 1], size=sizes[n],
                material=dict(color=[0.1 * (i + 1), 0.5, 0.2], roughness=0.5, texture=None))
           for i, n in enumerate(PRIMITIVES)]
    cam = camera("top", position=(0, 0, 0.6), resolution=(120, 120))
    s = spec([cam], animal=False, rig=rig, engine="workbench")
    scene = BlenderScene(s)
    scene.apply(s)
    mask = scene.render_mask("top", tmp_path / "m.png")
    ids = set(np.unique(mask).tolist())
    assert {scene.mask_ids[n] for n in PRIMITIVES} - {scene.mask_ids["plane"]} <= ids
    scene.render_rgb("top", tmp_path / "rgb.png")
    with Image.open(tmp_path / "rgb.png") as im:
        assert im.size == (120, 120)
    # a texture replaces the flat color
    tex = tmp_path / "tex.png"
    Image.fromarray(np.tile(np.array([[255, 0, 0], [0, 0, 255]], np.uint8)[:, None], (32, 64, 1))).save(tex)
    s.rig[3].material.texture = str(tex)
    s.render.engine = "cycles"  # Workbench shows material colors, not textures
    scene.apply(s)
    scene.render_rgb("top", tmp_path / "tex_rgb.png")
    with Image.open(tmp_path / "tex_rgb.png") as im:
        a = np.asarray(im.convert("RGB")).astype(int)
    floor = a[mask == scene.mask_ids["arena"]]
    assert floor.size and (floor[:, 2] - floor[:, 1]).max() > 30  # blue from the texture shows
