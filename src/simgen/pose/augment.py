"""Joint image + keypoint augmentation for a batch, with kornia.

Geometry (rotation, scale, translation, horizontal flip) is one affine matrix per
image: kornia warps the image with it and the same matrix moves the keypoints, so
labels stay exact. A flipped image's left/right keypoints swap names (``swap``, an
index permutation). Photometry (brightness, contrast, gamma, blur, noise, cutout)
leaves keypoints alone. Every random number comes from the caller's Generator.
"""

from __future__ import annotations

import kornia
import numpy as np
import torch

from simgen.pose.config import AugmentConfig


def affine_matrices(n: int, size: tuple[int, int], cfg: AugmentConfig, rng: np.random.Generator,
                    ) -> tuple[np.ndarray, np.ndarray]:
    """(n, 3, 3) matrices mapping input pixels to augmented pixels, and the flip flags."""
    w, h = size
    c = np.array([(w - 1) / 2, (h - 1) / 2])
    out = np.zeros((n, 3, 3))
    flips = rng.random(n) < cfg.flip
    for i in range(n):
        a = np.deg2rad(rng.uniform(-cfg.rotation_deg, cfg.rotation_deg))
        s = np.exp(rng.uniform(np.log(cfg.scale[0]), np.log(cfg.scale[1])))
        t = rng.uniform(-cfg.translate, cfg.translate, 2) * (w, h)
        lin = s * np.array([[np.cos(a), -np.sin(a)], [np.sin(a), np.cos(a)]])
        if flips[i]:
            lin = lin @ np.diag([-1.0, 1.0])
        out[i, :2, :2] = lin
        out[i, :2, 2] = c + t - lin @ c
        out[i, 2, 2] = 1
    return out, flips


def warp(images: torch.Tensor, xyv: torch.Tensor, mats: np.ndarray, flips: np.ndarray,
         swap: list[int]) -> tuple[torch.Tensor, torch.Tensor]:
    """Apply affine ``mats`` to float images (B, 3, H, W) and keypoints (B, K, 3)."""
    b, _, h, w = images.shape
    m = torch.as_tensor(mats, dtype=images.dtype, device=images.device)
    # align_corners=True: pixel i sits at coordinate i, our labels' convention.
    out = kornia.geometry.transform.warp_affine(images, m[:, :2], (h, w), align_corners=True)
    xy = xyv[..., :2].to(m)
    xy = xy @ m[:, :2, :2].transpose(1, 2) + m[:, None, :2, 2]
    v = xyv[..., 2].to(m).clone()
    inside = (xy[..., 0] > -0.5) & (xy[..., 0] < w - 0.5) & (xy[..., 1] > -0.5) & (xy[..., 1] < h - 0.5)
    v = torch.where(inside & (v > 0), v, torch.zeros_like(v))
    xy = torch.where((v > 0).unsqueeze(-1), xy, torch.full_like(xy, float("nan")))
    res = torch.cat([xy, v.unsqueeze(-1)], dim=-1)
    flipped = torch.as_tensor(flips, device=res.device)
    res = torch.where(flipped[:, None, None], res[:, swap], res)
    return out, res


def photometric(images: torch.Tensor, cfg: AugmentConfig, rng: np.random.Generator) -> torch.Tensor:
    """Brightness, contrast, gamma, blur, noise and cutout on float images in [0, 1]."""
    b, _, h, w = images.shape
    dev, dt = images.device, images.dtype
    t = lambda a: torch.as_tensor(np.asarray(a), dtype=dt, device=dev)  # noqa: E731
    x = kornia.enhance.adjust_gamma(images, t(rng.uniform(*cfg.gamma, b)))
    x = kornia.enhance.adjust_contrast_with_mean_subtraction(x, t(rng.uniform(1 - cfg.contrast, 1 + cfg.contrast, b)))
    x = kornia.enhance.adjust_brightness(x, t(rng.uniform(-cfg.brightness, cfg.brightness, b)))
    blur = rng.random(b) < cfg.blur_p
    if blur.any():
        sig = rng.uniform(*cfg.blur_sigma, int(blur.sum()))
        idx = torch.as_tensor(np.flatnonzero(blur), device=dev)
        sigma = t(np.stack([sig, sig], axis=1))
        x[idx] = kornia.filters.gaussian_blur2d(x[idx], (7, 7), sigma)
    noisy = rng.random(b) < cfg.noise_p
    if noisy.any() and cfg.noise_std > 0:
        idx = np.flatnonzero(noisy)
        x[torch.as_tensor(idx, device=dev)] += t(rng.normal(0, cfg.noise_std, (len(idx), 3, h, w)))
    side = int(round(cfg.cutout_size * min(h, w)))
    if side > 0:
        for i in np.flatnonzero(rng.random(b) < cfg.cutout_p):
            y0, x0 = rng.integers(0, h - side + 1), rng.integers(0, w - side + 1)
            x[i, :, y0:y0 + side, x0:x0 + side] = t(rng.random(3)).view(3, 1, 1)
    return x.clamp(0, 1)


def augment(images: torch.Tensor, xyv: torch.Tensor, cfg: AugmentConfig, swap: list[int],
            rng: np.random.Generator) -> tuple[torch.Tensor, torch.Tensor]:
    """Float images (B, 3, H, W) in [0, 1] and keypoints (B, K, 3) -> augmented copies."""
    if not cfg.enabled:
        return images, xyv
    b, _, h, w = images.shape
    mats, flips = affine_matrices(b, (w, h), cfg, rng)
    images, xyv = warp(images, xyv, mats, flips, swap)
    return photometric(images, cfg, rng), xyv
