import numpy as np
import pytest
from rig_synth import ARENA, camera, render_floor

from simgen.errors import SimgenError
from simgen.rig.camera_fit import fit_camera, floor_corners_world
from simgen.rig.floor import check_corners, detect_floor


def _project(cam, pts):
    import cv2

    K, dist, rvec, tvec = cam
    return cv2.projectPoints(np.asarray(pts, float).reshape(-1, 1, 3), rvec, tvec, K, dist)[0].reshape(-1, 2)


def test_fit_recovers_a_known_camera_from_projected_corners_and_edges():
    cam = camera(640, 480, f=500.0, k1=-0.25, k2=0.06)
    world = floor_corners_world(*ARENA)
    rng = np.random.default_rng(0)
    corners = _project(cam, world) + rng.normal(0, 0.3, (4, 2))
    s = np.linspace(0.1, 0.9, 40)[:, None]
    edges = [_project(cam, world[j] + s * (world[(j + 1) % 4] - world[j])) + rng.normal(0, 0.3, (40, 2))
             for j in range(4)]
    fit = fit_camera(corners, edges, ARENA, (640, 480))
    assert fit.focal_px == pytest.approx(500.0, rel=0.02)
    assert abs(fit.dist[0] - -0.25) < 0.02
    assert fit.corner_rms < 1.0
    K, dist, rvec, tvec = cam
    assert np.allclose(fit.position, [0.06, -0.14, 0.45], atol=0.01)


def test_fit_from_an_image_of_a_known_camera_finds_floor_focal_and_k1():
    """The whole path on a synthetic picture: floor detection, then the fit."""
    cam = camera(640, 480, f=400.0, k1=-0.15, k2=0.0, position=(0.08, -0.2, 0.4))
    img = render_floor(640, 480, cam)
    outline = detect_floor(img)
    truth = _project(cam, floor_corners_world(*ARENA))
    assert np.abs(outline.corners - truth).max() < 2.0
    fit = fit_camera(outline.corners, outline.edges, ARENA, (640, 480))
    assert fit.focal_px == pytest.approx(400.0, rel=0.02)
    assert abs(fit.dist[0] - -0.15) < 0.02
    assert fit.corner_rms < 2.0


def test_no_floor_found_says_to_pass_corners():
    with pytest.raises(SimgenError, match="--corners"):
        detect_floor(np.full((120, 160), 128, np.uint8))


def test_corners_outside_the_image_are_refused():
    with pytest.raises(SimgenError, match="outside the 160x120 image"):
        check_corners(np.array([[10, 10], [170, 10], [150, 100], [10, 100]]), 160, 120)
