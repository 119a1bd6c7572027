"""Depth maps: the Z pass of the mask render, meters along the camera's optical axis."""

import numpy as np
import pytest
from render_helpers import TOY_KEYPOINTS, camera, spec

pytestmark = pytest.mark.blender

PLANE = dict(name="floor", asset="plane", position=[0, 0, 0], rotation_deg=[0, 0, 0], scale=[1, 1, 1],
             size=[0.3, 0.3, 0.001], material=dict(color=[0.8, 0.8, 0.8], roughness=0.5, texture=None))
# oblique, shifted, non-square: depth varies across the plane and the background shows
OBLIQUE = camera("oblique", position=(0.12, -0.3, 0.25), look_at=(0.0, 0.02, 0.0), up=(0, 0, 1), focal_mm=24,
                 sensor_mm=36, shift=(0.05, -0.03), resolution=(200, 150))
TOP = camera("top", position=(0.01, 0.0, 0.3), resolution=(160, 120))


def _plane_depth(pin, w: int, h: int) -> np.ndarray:
    """Analytic depth (camera z) of the plane z=0 at every pixel center."""
    K, R, t = pin.K, pin.R, pin.t
    center = -R.T @ t
    u, v = np.meshgrid(np.arange(w), np.arange(h))
    rays = np.linalg.inv(K) @ np.stack([u.ravel(), v.ravel(), np.ones(u.size)])  # camera z = 1
    s = -center[2] / (R.T @ rays)[2]
    return s.reshape(h, w)


def test_depth_of_a_plane_is_analytic_and_mask_unchanged(tmp_path):
    from simgen.render.blender_scene import BlenderScene

    s = spec([OBLIQUE], animal=False, rig=[PLANE], engine="workbench", samples=1)
    scene = BlenderScene(s)
    scene.apply(s)
    plain = scene.render_mask("oblique", tmp_path / "a.png")
    mask, depth = scene.render_mask("oblique", tmp_path / "b.png", depth=True)
    assert np.array_equal(mask, plain)  # the compositor passes the ids through untouched
    assert depth.dtype == np.float32 and depth.shape == (150, 200)
    on = mask == 2
    assert 0.2 < on.mean() < 0.95  # the plane and the background both show
    want = _plane_depth(scene.pinhole("oblique"), 200, 150)
    err = np.abs(depth[on] - want[on])
    assert err.max() < 1e-3, f"max error {err.max() * 1000:.3f} mm"
    assert np.isinf(depth[mask == 0]).all()
    # the RGB pass afterwards is not composited (it still renders normally)
    scene.render_rgb("oblique", tmp_path / "rgb.png")
    assert (tmp_path / "rgb.png").stat().st_size > 0


def test_depth_at_visible_keypoints_matches_their_camera_z(toy_animal, tmp_path):
    from simgen.render.blender_scene import BlenderScene
    from simgen.render.labels import camera_label

    s = spec([TOP], rig=[PLANE], engine="workbench", samples=1)
    pl = s.animals[0].placement
    pl.x, pl.y, pl.yaw_deg = 0.01, -0.005, 20.0
    scene = BlenderScene(s, animal=toy_animal)
    scene.apply(s)
    mask, depth = scene.render_mask("top", tmp_path / "m.png", depth=True)
    pin = scene.pinhole("top")
    kp = scene.keypoints_world()
    lab = camera_label(pin, kp, scene.first_hits, mask=mask)
    cam_z = (kp @ pin.R.T + pin.t)[:, 2]
    checked = []
    for name, (x, y, v), z in zip(TOY_KEYPOINTS, lab.keypoints, cam_z):
        xi, yi = int(round(x)), int(round(y))
        if v == 2 and mask[yi, xi] == 1:
            # the keypoints lie at most ~1 mm under the skin that faces the camera
            assert abs(depth[yi, xi] - z) < 2e-3, (name, depth[yi, xi], z)
            assert depth[yi, xi] <= z + 2e-4  # the surface is in front of (or at) the point
            checked.append(name)
    assert "back" in checked
    # the floor around the animal
    floor = mask == 2
    assert np.abs(depth[floor] - _plane_depth(pin, 160, 120)[floor]).max() < 1e-3
