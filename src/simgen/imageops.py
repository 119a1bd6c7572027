"""Floor and image randomization: post-render image operations, pure numpy (+ OpenCV).

Real arena videos carry what a clean render lacks: odor trails and scratches drawn on
the floor, glare spots from the lights, vignetting and dark corners, sensor noise and
gain, slight defocus. Each is a field of the scene's ``image`` section (all off by
default, so a sweep can switch each one off); ``draw_image_ops`` turns them into a
frame's ``ImageOpsSpec`` (plain numbers in the FrameSpec, drawn per frame and field
from the seed, so a frame re-renders identically) and ``apply_image_ops`` applies a
spec to the rendered RGB image, with the instance mask so that floor lines pass under
the animal. Keypoint labels do not change: nothing moves.

Order: floor lines (on rig pixels only), glare, vignette, gain, blur, noise.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from pydantic import BaseModel, ConfigDict, Field


def srgb_to_linear(v: np.ndarray) -> np.ndarray:
    """sRGB-encoded values in [0, 1] -> linear light (IEC 61966-2-1); floats keep their dtype.
    With ``linear_to_srgb``, the one sRGB transfer pair in simgen."""
    v = np.asarray(v)
    v = v if np.issubdtype(v.dtype, np.floating) else v.astype(float)
    return np.where(v <= 0.04045, v / 12.92, ((v + 0.055) / 1.055) ** 2.4)


def linear_to_srgb(v: np.ndarray) -> np.ndarray:
    """Linear light, clipped to [0, 1] -> sRGB-encoded values in [0, 1]; floats keep their dtype."""
    v = np.asarray(v)
    v = np.clip(v if np.issubdtype(v.dtype, np.floating) else v.astype(float), 0.0, 1.0)
    return np.where(v <= 0.0031308, v * 12.92, 1.055 * v ** (1 / 2.4) - 0.055)


class _Spec(BaseModel):
    model_config = ConfigDict(extra="forbid")


class LineSpec(_Spec):
    points: list[list[float]]  # polyline, image fractions (x / width, y / height)
    width_px: float
    darkness: float  # 0..1: how much the line darkens what it crosses


class GlareSpec(_Spec):
    x: float  # image fractions
    y: float
    radius: float  # fraction of the image diagonal
    strength: float  # 0..1 added toward white at the center


class ImageOpsSpec(_Spec):
    lines: list[LineSpec] = Field(default_factory=list)
    glare: list[GlareSpec] = Field(default_factory=list)
    vignette: float = 0.0  # 0..1 darkening at the corners
    gain: float = 1.0  # multiplies the image
    blur_sigma_px: float = 0.0
    noise_std: float = 0.0  # 0..1 scale, Gaussian per pixel and channel
    noise_seed: int = 0

    def is_identity(self) -> bool:
        return (not self.lines and not self.glare and self.vignette == 0 and self.gain == 1
                and self.blur_sigma_px == 0 and self.noise_std == 0)


def draw_image_ops(cfg, rng: Callable[[str], np.random.Generator]) -> ImageOpsSpec | None:
    """A frame's image operations from the scene's ``image`` settings (``ImageRandomization``);
    ``rng(field)`` gives the frame's generator of a field. None when every operation is off."""
    ops = ImageOpsSpec()
    if cfg.floor_lines > 0 and rng("image.floor_lines").uniform() < cfg.floor_lines:
        g = rng("image.floor_lines.shape")
        for _ in range(int(g.integers(1, cfg.floor_lines_max + 1))):
            n = int(g.integers(2, 6))  # 2 points: a straight line; more: a bent or curved trail
            start = g.uniform(0.05, 0.95, 2)
            heading = g.uniform(0, 2 * np.pi)
            step = g.uniform(0.05, 0.25)
            pts = [start]
            curve = g.normal(0, 0.6) if g.uniform() < 0.5 else 0.0
            for _ in range(n - 1):
                heading += curve + g.normal(0, 0.3)
                pts.append(pts[-1] + step * np.array([np.cos(heading), np.sin(heading)]))
            ops.lines.append(LineSpec(points=[[float(a), float(b)] for a, b in pts],
                                      width_px=float(g.uniform(0.7, 2.5)), darkness=float(g.uniform(0.15, 0.6))))
    if cfg.glare > 0 and rng("image.glare").uniform() < cfg.glare:
        g = rng("image.glare.shape")
        for _ in range(int(g.integers(1, 4))):
            ops.glare.append(GlareSpec(x=float(g.uniform()), y=float(g.uniform()), radius=float(g.uniform(0.02, 0.12)),
                                       strength=float(g.uniform(0.2, 0.7))))
    if cfg.vignette > 0:
        ops.vignette = float(rng("image.vignette").uniform(0, cfg.vignette))
    if cfg.gain > 0:
        ops.gain = float(np.exp(rng("image.gain").uniform(-cfg.gain, cfg.gain)))
    if cfg.blur_px > 0:
        ops.blur_sigma_px = float(rng("image.blur").uniform(0, cfg.blur_px))
    if cfg.noise > 0:
        g = rng("image.noise")
        ops.noise_std = float(g.uniform(0, cfg.noise))
        ops.noise_seed = int(g.integers(0, 2**31 - 1))
    return None if ops.is_identity() else ops


def apply_image_ops(rgb: np.ndarray, ops: ImageOpsSpec | None, mask: np.ndarray | None = None,
                    animal_id: int | list[int] | None = None) -> np.ndarray:
    """uint8 (H, W, 3) -> uint8 (H, W, 3). Floor lines darken only pixels that are not the
    animal (``mask != animal_id``; a list: the ids of several animals) and not background
    (id 0) when a mask is given."""
    if ops is None or ops.is_identity():
        return rgb
    import cv2

    h, w = rgb.shape[:2]
    img = rgb.astype(np.float32) / 255.0
    if ops.lines:
        layer = np.zeros((h, w), np.float32)
        for ln in ops.lines:
            pts = np.array([[x * w, y * h] for x, y in ln.points], np.float64)
            if len(pts) > 2:  # smooth the bent polyline into a curve (Chaikin, 3 rounds)
                for _ in range(3):
                    q = 0.75 * pts[:-1] + 0.25 * pts[1:]
                    r = 0.25 * pts[:-1] + 0.75 * pts[1:]
                    pts = np.concatenate([pts[:1], np.stack([q, r], 1).reshape(-1, 2), pts[-1:]])
            one = np.zeros((h, w), np.uint8)
            shift = 4  # sub-pixel coordinates for cv2
            cv2.polylines(one, [np.round(pts * (1 << shift)).astype(np.int32)], False, 255,
                          thickness=max(1, round(ln.width_px)), lineType=cv2.LINE_AA, shift=shift)
            layer = np.maximum(layer, one.astype(np.float32) / 255.0 * ln.darkness)
        if mask is not None:
            keep = (mask != 0) & (~np.isin(mask, animal_id) if animal_id is not None else True)
            layer = np.where(keep, layer, 0.0)
        img = img * (1.0 - layer[..., None])
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    if ops.glare:
        diag = float(np.hypot(w, h))
        add = np.zeros((h, w), np.float32)
        for gl in ops.glare:
            d2 = (xx - gl.x * w) ** 2 + (yy - gl.y * h) ** 2
            add += gl.strength * np.exp(-d2 / (2 * (gl.radius * diag) ** 2))
        add = np.clip(add, 0, 1)[..., None]
        img = img + (1.0 - img) * add
    if ops.vignette > 0:
        r2 = ((xx - (w - 1) / 2) / (w / 2)) ** 2 + ((yy - (h - 1) / 2) / (h / 2)) ** 2  # 2 at the corners
        img = img * (1.0 - ops.vignette * np.clip(r2 / 2, 0, 1) ** 1.5)[..., None]
    img = img * ops.gain
    if ops.blur_sigma_px > 0:
        img = cv2.GaussianBlur(img, (0, 0), ops.blur_sigma_px)
    if ops.noise_std > 0:
        img = img + np.random.default_rng(ops.noise_seed).normal(0, ops.noise_std, img.shape).astype(np.float32)
    return np.clip(np.round(img * 255.0), 0, 255).astype(np.uint8)
