"""Projection, image bounds, visibility codes and boxes (pure numpy).

Blender only supplies numbers (3-D keypoints, ray-cast hit distances, masks);
the labels are computed here. Conventions as in ``simgen.render.camera``.
"""

from __future__ import annotations

import numpy as np

from simgen.dataset.annotation import OCCLUDED, OUTSIDE, VISIBLE


def to_camera(points: np.ndarray, R: np.ndarray, t: np.ndarray) -> np.ndarray:
    """(N, 3) world points -> (N, 3) OpenCV camera coordinates."""
    return np.asarray(points, float).reshape(-1, 3) @ np.asarray(R, float).T + np.asarray(t, float)


def project(points: np.ndarray, K: np.ndarray, R: np.ndarray, t: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(N, 3) world points -> ((N, 2) pixel coordinates, (N,) depth along the camera z).

    Points behind the camera still get the (mirrored) coordinates of the division,
    so labels stay finite; check ``z > 0`` (``in_image`` does) before trusting
    them. Points exactly in the camera plane get NaN.
    """
    xc = to_camera(points, R, t)
    z = xc[:, 2]
    uvw = xc @ np.asarray(K, float).T
    with np.errstate(divide="ignore", invalid="ignore"):
        uv = uvw[:, :2] / uvw[:, 2:3]
    uv[z == 0] = np.nan
    return uv, z


def in_image(uv: np.ndarray, width: int, height: int, z: np.ndarray | None = None) -> np.ndarray:
    """Whether each point falls on a pixel (pixel i spans [i - 0.5, i + 0.5)).

    With ``z`` (depth from ``project``), points behind the camera are outside.
    """
    uv = np.asarray(uv, float).reshape(-1, 2)
    front = np.ones(len(uv), bool) if z is None else np.asarray(z, float) > 0
    with np.errstate(invalid="ignore"):
        return (
            front
            & np.isfinite(uv).all(axis=1)
            & (uv[:, 0] >= -0.5)
            & (uv[:, 0] < width - 0.5)
            & (uv[:, 1] >= -0.5)
            & (uv[:, 1] < height - 0.5)
        )


def visibility_codes(
    inside: np.ndarray,
    point_dist: np.ndarray,
    hit_dist: np.ndarray,
    tolerance: float,
) -> np.ndarray:
    """v per keypoint: 0 outside the image, 1 occluded, 2 visible.

    ``point_dist`` is the distance from the camera center to the keypoint;
    ``hit_dist`` the distance to the first surface a ray toward it meets (inf if
    none). A keypoint is visible when nothing lies more than ``tolerance`` in front
    of it; the tolerance covers keypoints that sit on or just under the skin.
    """
    inside = np.asarray(inside, bool)
    point_dist = np.asarray(point_dist, float)
    hit_dist = np.asarray(hit_dist, float)
    v = np.where(hit_dist >= point_dist - tolerance, VISIBLE, OCCLUDED)
    return np.where(inside, v, OUTSIDE).astype(int)


def mask_bbox(mask: np.ndarray, instance_id: int = 1) -> np.ndarray | None:
    """[x0, y0, x1, y1] enclosing the pixels of ``instance_id`` (pixel edges), or None."""
    ys, xs = np.nonzero(np.asarray(mask) == instance_id)
    if xs.size == 0:
        return None
    return np.array([xs.min() - 0.5, ys.min() - 0.5, xs.max() + 0.5, ys.max() + 0.5], float)


def points_bbox(xyv: np.ndarray, width: int, height: int) -> np.ndarray | None:
    """[x0, y0, x1, y1] of the keypoints with v > 0, clipped to the image, or None."""
    xyv = np.asarray(xyv, float).reshape(-1, 3)
    pts = xyv[xyv[:, 2] > 0, :2]
    if len(pts) == 0:
        return None
    lo = np.clip(pts.min(axis=0), -0.5, [width - 0.5, height - 0.5])
    hi = np.clip(pts.max(axis=0), -0.5, [width - 0.5, height - 0.5])
    return np.array([lo[0], lo[1], hi[0], hi[1]], float)
