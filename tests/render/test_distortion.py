"""Lens distortion: labels go through the same model as the warped image (issue 13)."""

import numpy as np
import pytest

from simgen.render.camera import PinholeCamera
from simgen.render.distortion import distort_pixels, lens_for, overscan, overscan_camera, render_spec, undistort_pixels

DIST = [-0.25, 0.06, 0.001, -0.0005, 0.0]


def _cam(**kw):
    from simgen.sampling.spec import CameraSpec

    d = dict(name="top", position=[0.0, 0.0, 0.5], look_at=[0.0, 0.0, 0.0], up=[0.0, 1.0, 0.0], focal_mm=20.0,
             sensor_mm=36.0, sensor_fit="auto", shift=[0.02, -0.01], resolution=[320, 240], distortion=DIST)
    d.update(kw)
    return CameraSpec.model_validate(d)


def test_distort_undistort_round_trip_below_a_tenth_of_a_pixel():
    K = PinholeCamera.from_spec(_cam()).K
    uv = np.random.default_rng(0).uniform([0, 0], [319, 239], (500, 2))
    back = distort_pixels(undistort_pixels(uv, K, DIST), K, DIST)
    assert np.abs(back - uv).max() < 0.1


def test_labels_match_cv2_projectpoints_through_the_overscan_canvas():
    """A label made on the overscan pinhole and moved through the lens equals
    cv2.projectPoints of the 3-D point with K and dist (what the contract promises)."""
    import cv2

    from simgen.dataset.annotation import CameraLabel
    from simgen.render.project import project

    cam = _cam()
    pin = PinholeCamera.from_spec(cam)
    big = PinholeCamera.from_spec(overscan_camera(cam, PinholeCamera.from_spec(cam).K))
    lens = lens_for(cam)
    assert big.focal_px == pytest.approx(pin.focal_px)
    assert np.allclose(big.K[:2, 2], pin.K[:2, 2] + [lens.pad.pad_x, lens.pad.pad_y])
    pts = np.c_[np.random.default_rng(1).uniform(-0.3, 0.3, (50, 2)), np.random.default_rng(2).uniform(0, 0.05, 50)]
    uv_big, _ = project(pts, big.K, big.R, big.t)
    label = CameraLabel(K=big.K, R=big.R, t=big.t, width=big.width, height=big.height,
                        keypoints=np.c_[uv_big, np.full(50, 2)])
    out = lens.label(label)
    ref, _ = cv2.projectPoints(pts.reshape(-1, 1, 3), cv2.Rodrigues(pin.R)[0], pin.t, pin.K, np.asarray(DIST))
    ref = ref.reshape(-1, 2)
    assert np.abs(out.keypoints[:, :2] - ref).max() < 1e-3
    inside = (ref[:, 0] >= -0.5) & (ref[:, 0] <= 319.5) & (ref[:, 1] >= -0.5) & (ref[:, 1] <= 239.5)
    assert np.array_equal(out.keypoints[:, 2] == 2, inside)
    assert out.to_json()["dist"] == pytest.approx(DIST)
    assert (out.width, out.height) == (320, 240) and np.allclose(out.K, pin.K)


def test_overscan_covers_every_ray_of_a_barrel_lens():
    K = PinholeCamera.from_spec(_cam()).K
    o = overscan(K, DIST, 320, 240)
    corners = undistort_pixels(np.array([[-0.5, -0.5], [319.5, 239.5]]), K, DIST)
    assert o.pad_x > 0 and o.pad_y > 0
    assert (corners[:, 0] + o.pad_x >= 0).all() and (corners[:, 0] + o.pad_x <= o.width - 1).all()
    assert lens_for(_cam(distortion=None)) is None and lens_for(_cam(distortion=[0, 0, 0, 0, 0])) is None


@pytest.mark.blender
def test_emissive_markers_land_on_their_distorted_labels(tmp_path):
    """The marker test of test_label_exactness, through a barrel lens: render the
    overscan pinhole, warp, and find each marker where cv2.projectPoints puts it."""
    import cv2
    from PIL import Image
    from render_helpers import add_emissive_markers, spec

    from simgen.render.blender_scene import BlenderScene

    markers = np.array([[0.02, 0.03, 0.01], [-0.2, 0.1, 0.0], [0.22, -0.12, 0.03], [-0.15, -0.14, 0.02],
                        [0.25, 0.15, 0.0]])
    cam = _cam(shift=[0.0, 0.0])
    s = spec([cam], animal=False, lights=[], world=(0, 0, 0), samples=16)
    s.world.strength = 0.0
    scene = BlenderScene(render_spec(s))
    add_emissive_markers(markers)
    scene.apply(render_spec(s))
    path = tmp_path / "top.png"
    scene.render_rgb("top", path)
    lens = lens_for(cam)
    lens.warp_png(path)
    with Image.open(path) as im:
        assert im.size == (320, 240)
        img = np.asarray(im.convert("L")).astype(float)
    pin = PinholeCamera.from_spec(cam)
    uv, _ = cv2.projectPoints(markers.reshape(-1, 1, 3), cv2.Rodrigues(pin.R)[0], pin.t, pin.K, np.asarray(DIST))
    uv = uv.reshape(-1, 2)
    undistorted = (pin.K @ (pin.R @ markers.T + pin.t[:, None]))
    assert np.abs(undistorted[:2] / undistorted[2] - uv.T).max() > 3  # the lens moves the markers
    r = 7
    errs = []
    for q in uv:
        x0, y0 = np.round(q).astype(int)
        ys, xs = np.mgrid[y0 - r:y0 + r + 1, x0 - r:x0 + r + 1]
        win = img[y0 - r:y0 + r + 1, x0 - r:x0 + r + 1]
        assert win.sum() > 0, f"no marker near {q}"
        errs.append(np.hypot((xs * win).sum() / win.sum() - q[0], (ys * win).sum() / win.sum() - q[1]))
    assert max(errs) < 0.3, f"marker off its label by {max(errs):.3f} px"
