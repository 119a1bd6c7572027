"""Synthetic rigs for the rig tests: a known camera looking at a floor rectangle."""

from __future__ import annotations

import numpy as np

from simgen.render.camera import look_at_rotation
from simgen.rig.camera_fit import intrinsics

ARENA = (0.5, 0.35)


def camera(width=320, height=240, f=260.0, k1=-0.2, k2=0.05, position=(0.06, -0.14, 0.45)):
    """(K, dist, rvec, tvec) of a tilted top-down camera with image-up toward +y."""
    import cv2

    pos = np.asarray(position, float)
    R = look_at_rotation(pos, [0.0, 0.0, 0.0], [0.0, 1.0, 0.0])
    return intrinsics(f, width, height), np.array([k1, k2, 0, 0, 0.0]), cv2.Rodrigues(R)[0].ravel(), -R @ pos


def render_floor(width, height, cam, *, floor=215.0, wall=120.0) -> np.ndarray:
    """(H, W) uint8: each pixel's ray (through the lens model) hits the floor rectangle
    (bright, with a smooth vignette) or not (the walls, darker)."""
    import cv2

    K, dist, rvec, tvec = cam
    R = cv2.Rodrigues(rvec)[0]
    u, v = np.meshgrid(np.arange(width, dtype=float), np.arange(height, dtype=float))
    pts = np.stack([u.ravel(), v.ravel()], axis=1).reshape(-1, 1, 2)
    n = cv2.undistortPoints(pts, K, dist).reshape(-1, 2)
    rays = np.c_[n, np.ones(len(n))] @ R  # camera -> world directions (R.T @ d)
    pos = -R.T @ tvec
    s = -pos[2] / rays[:, 2]
    hit = pos[None, :2] + s[:, None] * rays[:, :2]
    inside = (np.abs(hit[:, 0]) < ARENA[0] / 2) & (np.abs(hit[:, 1]) < ARENA[1] / 2) & (s > 0)
    r2 = ((u.ravel() - width / 2) ** 2 + (v.ravel() - height / 2) ** 2) / (width / 2) ** 2
    img = np.where(inside, floor * (1 - 0.15 * r2), wall)
    img = cv2.GaussianBlur(img.reshape(height, width).astype(np.float32), (0, 0), 0.7)
    return np.clip(np.rint(img), 0, 255).astype(np.uint8)


def write_video(path, frames, fps=30.0):
    """Frames (N, H, W) or (N, H, W, 3) uint8 -> an MJPG .avi (lossy, like a real video)."""
    import cv2

    frames = np.asarray(frames)
    if frames.ndim == 3:
        frames = np.repeat(frames[..., None], 3, axis=-1)
    h, w = frames.shape[1:3]
    vw = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"MJPG"), fps, (w, h))
    for f in frames:
        vw.write(np.ascontiguousarray(f))
    vw.release()
    return path
