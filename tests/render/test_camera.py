"""Camera maths without Blender: K, R, t and the Blender settings agree."""

import numpy as np
import pytest

from simgen.errors import SimgenError
from simgen.render.camera import PinholeCamera, look_at_rotation
from simgen.render.project import in_image, project


def cam(**kw):
    d = dict(position=np.array([0.3, -0.4, 0.8]), look_at=np.array([0.0, 0.0, 0.0]),
             up=np.array([0.0, 0.0, 1.0]), focal_mm=25.0, sensor_mm=36.0, width=320, height=240)
    d.update(kw)
    return PinholeCamera(**d)


def test_rotation_is_proper_and_faces_target():
    c = cam()
    R = c.R
    assert np.allclose(R @ R.T, np.eye(3))
    assert np.isclose(np.linalg.det(R), 1.0)
    # the look-at point projects to the principal point, in front of the camera
    uv, z = project(c.look_at[None], c.K, R, c.t)
    assert z[0] > 0
    assert np.allclose(uv[0], c.K[:2, 2])


def test_image_up_follows_up_hint():
    # top-down camera with image up = world +y: a point at +y lands above center, +x right
    c = cam(position=np.array([0, 0, 1.0]), look_at=np.zeros(3), up=np.array([0, 1.0, 0]))
    uv, _ = project(np.array([[0, 0.1, 0], [0.1, 0, 0]]), c.K, c.R, c.t)
    cx, cy = c.K[0, 2], c.K[1, 2]
    assert uv[0, 1] < cy and np.isclose(uv[0, 0], cx)
    assert uv[1, 0] > cx and np.isclose(uv[1, 1], cy)


@pytest.mark.parametrize(
    "fit,w,h,expect_px",
    [("auto", 320, 240, 320), ("auto", 240, 320, 320), ("horizontal", 240, 320, 240),
     ("vertical", 320, 240, 240), ("auto", 200, 200, 200)],
)
def test_focal_follows_sensor_fit(fit, w, h, expect_px):
    c = cam(sensor_fit=fit, width=w, height=h)
    assert c.fitted_pixels == expect_px
    assert np.isclose(c.K[0, 0], 25.0 / 36.0 * expect_px)
    assert c.K[0, 0] == c.K[1, 1]


def test_principal_point_and_shift():
    c = cam(width=320, height=240, shift=(0.1, -0.05))
    # center of the top-left pixel is the origin: unshifted center at (W-1)/2
    assert np.isclose(c.K[0, 2], 159.5 - 0.1 * 320)
    assert np.isclose(c.K[1, 2], 119.5 - 0.05 * 320)


def test_blender_settings_match_cv_extrinsics():
    c = cam(sensor_fit="vertical", shift=(0.02, 0.03))
    b = c.blender()
    assert b.sensor_fit == "VERTICAL" and b.resolution == (320, 240)
    M = b.matrix_world
    # Blender camera looks down its -Z and has +Y up
    assert np.allclose(M[:3, 2], -c.R[2])
    assert np.allclose(M[:3, 1], -c.R[1])
    assert np.allclose(M[:3, 3], c.position)
    assert np.allclose(c.t, -c.R @ c.position)


def test_degenerate_up_is_a_clear_error():
    with pytest.raises(SimgenError, match="parallel"):
        look_at_rotation([0, 0, 1], [0, 0, 0], [0, 0, 1])


def test_from_spec():
    from simgen.sampling.spec import CameraSpec

    c = PinholeCamera.from_spec(CameraSpec(name="top", position=[0, 0, 1], look_at=[0, 0, 0], up=[0, 1, 0],
                                           focal_mm=6, sensor_mm=6.4, sensor_fit="auto", shift=[0, 0],
                                           resolution=[640, 480]))
    assert (c.width, c.height) == (640, 480)
    assert np.isclose(c.K[0, 0], 600.0)


def test_in_image_edges_and_behind():
    uv = np.array([[-0.5, 0], [-0.51, 0], [319.49, 239.49], [319.5, 0], [np.nan, np.nan]])
    assert in_image(uv, 320, 240).tolist() == [True, False, True, False, False]
    c = cam()
    behind = 2 * c.position - c.look_at  # straight behind the camera: mirrors onto the center
    uv, z = project(np.array([behind]), c.K, c.R, c.t)
    assert z[0] < 0 and np.isfinite(uv).all()
    assert in_image(uv, 320, 240)[0] and not in_image(uv, 320, 240, z)[0]
