"""Camera labels from 3-D points with a fake ray caster (pure numpy)."""

import numpy as np

from simgen.keypoints import KeypointSet
from simgen.render.camera import PinholeCamera
from simgen.render.labels import camera_label

PIN = PinholeCamera(position=np.array([0, 0, 1.0]), look_at=np.zeros(3), up=np.array([0, 1.0, 0]),
                    focal_mm=35, sensor_mm=36, width=200, height=100)


def no_hits(origin, points, tol):
    return np.full(len(points), np.inf)


def test_codes_and_coordinates():
    pts = np.array([[0, 0, 0], [0.01, 0.02, 0.0], [5.0, 0, 0], [0, 0, 2.0]])  # last: behind the camera

    def wall_over_second(origin, points, tol):
        out = np.full(len(points), np.inf)
        out[np.isclose(points[:, 0], 0.01)] = 0.5  # something half-way to point 1
        return out

    lab = camera_label(PIN, pts, wall_over_second)
    assert lab.visibility.tolist() == [2, 1, 0, 0]
    assert np.allclose(lab.xy[0], [99.5, 49.5])
    # +x right, +y up in the image for this top-down camera
    assert lab.xy[1, 0] > 99.5 and lab.xy[1, 1] < 49.5
    assert np.isfinite(lab.keypoints).all()
    assert lab.bbox is not None and lab.bbox[0] <= lab.xy[0, 0] <= lab.bbox[2]


def test_mask_bbox_preferred():
    mask = np.zeros((100, 200), np.uint8)
    mask[40:60, 90:120] = 1
    lab = camera_label(PIN, np.zeros((1, 3)), no_hits, mask=mask)
    assert lab.bbox.tolist() == [89.5, 39.5, 119.5, 59.5]


def test_mapped_keypoints_project_the_mean_point():
    names = ["a", "b", "c"]
    pts = np.array([[0.0, 0, 0], [0.02, 0, 0.1], [0.01, 0.01, 0]])
    ks = KeypointSet.from_dict({"name": "t", "keypoints": {"ab": {"mean": ["a", "b"]}, "c": "c"}})

    def hide_b(origin, points, tol):
        return np.where(np.isclose(points[:, 2], 0.1), 0.1, np.inf)

    lab = camera_label(PIN, pts, hide_b, src_names=names, keypoint_set=ks)
    mean = pts[:2].mean(0)
    uv = (PIN.K @ (PIN.R @ mean + PIN.t))
    assert np.allclose(lab.xy[0], uv[:2] / uv[2])
    assert lab.visibility.tolist() == [1, 2]  # "ab" as visible as its hidden source
