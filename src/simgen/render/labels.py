"""One camera's labels from 3-D keypoints: project, visibility, box (pure numpy).

Blender enters only through ``hits``: a function that, given the camera center
and 3-D points, returns the distance at which the ray toward each point is first
blocked (``BlenderScene.first_hits``). Tests pass their own.

When the dataset uses a keypoint set that maps the animal's keypoints (means of
several, renamed), the 3-D points are mapped first and then projected, so a
mapped label is exactly the projection of its 3-D point; its visibility is the
least visibility of its sources (``KeypointSet.map_labels``).
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from simgen.dataset.annotation import OUTSIDE, CameraLabel
from simgen.render.camera import PinholeCamera
from simgen.render.project import in_image, mask_bbox, points_bbox, project, visibility_codes

HitsFn = Callable[[np.ndarray, np.ndarray, float], np.ndarray]

# Keypoints sit on or just under the skin; surfaces closer than this to the
# keypoint along its ray do not hide it.
DEFAULT_TOLERANCE_M = 0.002


def source_visibility(pin: PinholeCamera, points: np.ndarray, hits: HitsFn,
                      tolerance: float = DEFAULT_TOLERANCE_M) -> tuple[np.ndarray, np.ndarray]:
    """((N, 2) pixel coordinates, (N,) v) of the animal's own keypoints."""
    uv, z = project(points, pin.K, pin.R, pin.t)
    inside = in_image(uv, pin.width, pin.height, z)
    dist = np.linalg.norm(np.asarray(points, float) - pin.position, axis=1)
    hit = np.full(len(points), np.inf)
    if inside.any():
        hit[inside] = hits(pin.position, np.asarray(points, float)[inside], tolerance)
    return uv, visibility_codes(inside, dist, hit, tolerance)


def camera_label(
    pin: PinholeCamera,
    points: np.ndarray,
    hits: HitsFn,
    *,
    mask: np.ndarray | None = None,
    src_names: list[str] | None = None,
    keypoint_set=None,
    tolerance: float = DEFAULT_TOLERANCE_M,
    mask_id: int = 1,
) -> CameraLabel:
    """The ``CameraLabel`` of one camera.

    ``points`` are the animal's keypoints (world, in ``src_names`` order); with a
    ``keypoint_set`` the labels are in the set's order. The box is the animal's
    mask extent when a mask is given (the tight box of the pixels with ``mask_id``,
    what the camera sees of it), else the extent of the in-image keypoints.
    """
    points = np.asarray(points, float)
    uv, v = source_visibility(pin, points, hits, tolerance)
    if keypoint_set is not None:
        xyv_src = np.c_[uv, v]
        v = keypoint_set.map_labels(src_names, xyv_src)[:, 2].astype(int)
        mapped = keypoint_set.map_points(src_names, points)
        uv, z = project(mapped, pin.K, pin.R, pin.t)
        v = np.where(in_image(uv, pin.width, pin.height, z), v, OUTSIDE)
    uv = np.where(np.isfinite(uv), uv, -1.0)  # a point in the camera plane has no image
    xyv = np.c_[uv, v]
    bbox = mask_bbox(mask, mask_id) if mask is not None else points_bbox(xyv, pin.width, pin.height)
    return CameraLabel(K=pin.K, R=pin.R, t=pin.t, width=pin.width, height=pin.height, keypoints=xyv, bbox=bbox)
