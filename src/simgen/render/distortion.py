"""Lens distortion (OpenCV model: k1, k2, p1, p2, k3) for rendered frames (numpy + cv2).

Blender renders pinhole images. A camera with ``distortion`` is rendered through an
*overscan* pinhole: the same focal length and principal point, on a canvas padded so
it covers every ray the distorted image sees (a barrel lens sees more than its
pinhole). The image and the mask are then resampled onto the distorted pixel grid
(bilinear / nearest), and each keypoint goes through the same model with
``cv2.projectPoints``, so a label is exactly where the warped image shows its point.

The annotation then carries ``"dist"``: ``keypoints`` are the distorted pixel
positions, and ``K, R, t`` alone give the undistorted projection.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from simgen.sampling.spec import CameraSpec, FrameSpec

PAD_MARGIN = 2  # px beyond the farthest ray the distorted image needs


@dataclass(frozen=True)
class Overscan:
    pad_x: int  # pixels added on the left and on the right
    pad_y: int  # ... on the top and on the bottom
    width: int  # overscan canvas
    height: int


def _dist(dist) -> np.ndarray:
    d = np.zeros(5)
    d[:len(dist)] = np.asarray(dist, float)[:5]
    return d


def undistort_pixels(uv: np.ndarray, K: np.ndarray, dist) -> np.ndarray:
    """Distorted pixels -> the pinhole pixels of the same rays (iterated to 1e-10)."""
    import cv2

    pts = np.asarray(uv, np.float64).reshape(-1, 1, 2)
    crit = (cv2.TERM_CRITERIA_COUNT | cv2.TERM_CRITERIA_EPS, 100, 1e-12)
    out = cv2.undistortPointsIter(pts, K, _dist(dist), None, K, crit)
    return out.reshape(-1, 2)


def distort_pixels(uv: np.ndarray, K: np.ndarray, dist) -> np.ndarray:
    """Pinhole pixels -> distorted pixels, through ``cv2.projectPoints``."""
    import cv2

    uv = np.asarray(uv, np.float64).reshape(-1, 2)
    x = (uv - K[:2, 2]) / np.array([K[0, 0], K[1, 1]])
    pts = np.c_[x, np.ones(len(x))].reshape(-1, 1, 3)
    out, _ = cv2.projectPoints(pts, np.zeros(3), np.zeros(3), K, _dist(dist))
    return out.reshape(-1, 2)


def overscan(K: np.ndarray, dist, width: int, height: int) -> Overscan:
    """The padding a pinhole render needs to cover the distorted image's rays."""
    n = 64
    xs, ys = np.linspace(-0.5, width - 0.5, n), np.linspace(-0.5, height - 0.5, n)
    border = np.concatenate([np.c_[xs, np.full(n, -0.5)], np.c_[xs, np.full(n, height - 0.5)],
                             np.c_[np.full(n, -0.5), ys], np.c_[np.full(n, width - 0.5), ys]])
    u = undistort_pixels(border, K, dist)
    px = int(np.ceil(max(0.0, -u[:, 0].min() - 0.5, u[:, 0].max() - (width - 0.5)))) + PAD_MARGIN
    py = int(np.ceil(max(0.0, -u[:, 1].min() - 0.5, u[:, 1].max() - (height - 0.5)))) + PAD_MARGIN
    return Overscan(px, py, width + 2 * px, height + 2 * py)


def overscan_camera(cam: CameraSpec, K: np.ndarray) -> CameraSpec:
    """The FrameSpec camera that renders the overscan canvas: same focal length in pixels
    and the same principal point, ``distortion`` dropped."""
    w, h = (int(v) for v in cam.resolution)
    o = overscan(K, cam.distortion, w, h)
    fitted = ("horizontal" if w >= h else "vertical") if cam.sensor_fit == "auto" else cam.sensor_fit
    side, side_o = (w, o.width) if fitted == "horizontal" else (h, o.height)
    return cam.model_copy(update=dict(
        resolution=[o.width, o.height], sensor_mm=float(cam.sensor_mm) * side_o / side, sensor_fit=fitted,
        shift=[float(s) * side / side_o for s in cam.shift], distortion=None))


@lru_cache(maxsize=8)
def _maps(K_key: tuple, dist_key: tuple, width: int, height: int, pad_x: int, pad_y: int):
    K = np.asarray(K_key, float).reshape(3, 3)
    u, v = np.meshgrid(np.arange(width, dtype=np.float64), np.arange(height, dtype=np.float64))
    src = undistort_pixels(np.c_[u.ravel(), v.ravel()], K, dist_key)
    mx = (src[:, 0] + pad_x).reshape(height, width).astype(np.float32)
    my = (src[:, 1] + pad_y).reshape(height, width).astype(np.float32)
    return mx, my


def warp(image: np.ndarray, K: np.ndarray, dist, width: int, height: int, pad: Overscan, *,
         nearest: bool = False) -> np.ndarray:
    """Resample an overscan pinhole render onto the distorted ``width`` x ``height`` grid."""
    import cv2

    mx, my = _maps(tuple(np.asarray(K, float).ravel()), tuple(_dist(dist)), width, height, pad.pad_x, pad.pad_y)
    interp = cv2.INTER_NEAREST if nearest else cv2.INTER_LINEAR
    return cv2.remap(image, mx, my, interp, borderMode=cv2.BORDER_CONSTANT, borderValue=0)


def warp_png(path, K: np.ndarray, dist, width: int, height: int, pad: Overscan) -> None:
    """Warp an RGB(A) PNG in place (PIL keeps its mode)."""
    from PIL import Image

    with Image.open(path) as im:
        mode = im.mode
        a = np.asarray(im)
    Image.fromarray(warp(a, K, dist, width, height, pad), mode).save(path, format="PNG")


def distort_label(label, K: np.ndarray, dist, width: int, height: int, pad: Overscan, mask=None,
                  mask_id: int = 1):
    """A ``CameraLabel`` made on the overscan canvas -> the distorted camera's label:
    keypoints through the lens, ``v`` 0 outside the real image, box from the pixels of
    ``mask_id`` in ``mask`` (the warped mask) and ``K``, size and ``dist`` of the real camera."""
    from dataclasses import replace

    from simgen.dataset.annotation import OUTSIDE
    from simgen.render.project import mask_bbox, points_bbox

    kp = np.asarray(label.keypoints, float).copy()
    uv = kp[:, :2] - [pad.pad_x, pad.pad_y]
    d = distort_pixels(uv, K, dist)
    inside = (d[:, 0] >= -0.5) & (d[:, 0] <= width - 0.5) & (d[:, 1] >= -0.5) & (d[:, 1] <= height - 0.5)
    kp[:, :2] = d
    kp[:, 2] = np.where(inside, kp[:, 2], OUTSIDE)
    bbox = mask_bbox(mask, mask_id) if mask is not None else points_bbox(kp, width, height)
    return replace(label, K=np.asarray(K, float), width=width, height=height, keypoints=kp, bbox=bbox,
                   dist=_dist(dist))


@dataclass(frozen=True)
class Lens:
    """One distorted camera of a frame: what the render loop needs to warp and label."""

    K: np.ndarray
    dist: np.ndarray
    width: int
    height: int
    pad: Overscan

    def warp_png(self, path) -> None:
        warp_png(path, self.K, self.dist, self.width, self.height, self.pad)

    def warp_array(self, a: np.ndarray) -> np.ndarray:
        """Masks and depth maps: nearest neighbour, so ids and depths stay exact."""
        return warp(a, self.K, self.dist, self.width, self.height, self.pad, nearest=True)

    def label(self, label, mask=None, mask_id: int = 1):
        return distort_label(label, self.K, self.dist, self.width, self.height, self.pad, mask, mask_id)


def lens_for(cam: CameraSpec) -> Lens | None:
    """The ``Lens`` of a FrameSpec camera, or None without distortion."""
    from simgen.render.camera import PinholeCamera

    if not cam.distortion or not any(float(v) for v in cam.distortion):
        return None
    pin = PinholeCamera.from_spec(cam)
    return Lens(pin.K, _dist(cam.distortion), pin.width, pin.height,
                overscan(pin.K, cam.distortion, pin.width, pin.height))


def render_spec(spec: FrameSpec) -> FrameSpec:
    """``spec`` with every distorted camera replaced by its overscan pinhole (what
    Blender renders); ``spec`` itself when no camera has distortion."""
    from simgen.render.camera import PinholeCamera

    if not any(lens_for(c) is not None for c in spec.cameras):
        return spec
    cams = [overscan_camera(c, PinholeCamera.from_spec(c).K) if lens_for(c) is not None else c for c in spec.cameras]
    return spec.model_copy(update={"cameras": cams})
