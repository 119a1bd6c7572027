"""Keypoints <-> heatmaps: Gaussian targets, offset (location refinement) maps, decoding.

Heatmap cell ``j`` at output stride ``s`` covers input pixels ``j*s .. j*s+s-1``; its
center is input pixel ``j*s + (s-1)/2``. Offsets are stored in heatmap cells: the
keypoint sits at ``cell + offset``. Decoding takes the argmax cell and adds its
predicted offset (exact on encoded targets); without offsets it refines the argmax by
fitting a quadratic to the log-heatmap's 3x3 neighbourhood (exact for a Gaussian).
"""

from __future__ import annotations

import torch


def to_cells(xy: torch.Tensor, stride: int) -> torch.Tensor:
    """Input-pixel coordinates -> heatmap-cell coordinates."""
    return (xy - (stride - 1) / 2.0) / stride


def to_pixels(uv: torch.Tensor, stride: int) -> torch.Tensor:
    """Heatmap-cell coordinates -> input-pixel coordinates."""
    return uv * stride + (stride - 1) / 2.0


def encode(
    xy: torch.Tensor,
    valid: torch.Tensor,
    size: tuple[int, int],
    stride: int,
    sigma_px: float,
    radius_cells: float = 2.0,
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Targets for keypoints ``xy`` (B, K, 2) in input pixels.

    ``size`` is the heatmap (height, width). Returns heat (B, K, h, w) in [0, 1] with
    peak 1 at the keypoint (zero where ``valid`` is False), offsets (B, K, 2, h, w) in
    cells and the offset mask (B, K, h, w): cells within ``radius_cells`` of a valid
    keypoint, where the offset is supervised.
    """
    h, w = size
    uv = to_cells(xy.float(), stride)
    ys = torch.arange(h, dtype=torch.float32, device=xy.device).view(1, 1, h, 1)
    xs = torch.arange(w, dtype=torch.float32, device=xy.device).view(1, 1, 1, w)
    u = torch.nan_to_num(uv[..., 0], nan=-1e4).unsqueeze(-1).unsqueeze(-1)
    v = torch.nan_to_num(uv[..., 1], nan=-1e4).unsqueeze(-1).unsqueeze(-1)
    dx = (u - xs).expand(-1, -1, h, w)  # (B, K, h, w)
    dy = (v - ys).expand(-1, -1, h, w)
    s = sigma_px / stride
    ok = valid.bool().unsqueeze(-1).unsqueeze(-1)
    heat = torch.exp(-(dx**2 + dy**2) / (2 * s * s)) * ok
    mask = ((dx**2 + dy**2) <= radius_cells**2) & ok
    offsets = torch.stack([dx, dy], dim=2) * mask.unsqueeze(2)
    return heat, offsets, mask.float()


def _argmax(heat: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    b, k, h, w = heat.shape
    conf, idx = heat.reshape(b, k, h * w).max(dim=-1)
    return conf, idx // w, idx % w


def decode(heat: torch.Tensor, offsets: torch.Tensor | None, stride: int) -> tuple[torch.Tensor, torch.Tensor]:
    """Keypoints (B, K, 2) in input pixels and their confidence (peak value), (B, K)."""
    b, k, h, w = heat.shape
    conf, iy, ix = _argmax(heat)
    if offsets is not None:
        flat = offsets.reshape(b, k, 2, h * w)
        idx = (iy * w + ix).unsqueeze(2).unsqueeze(-1).expand(b, k, 2, 1)
        off = flat.gather(-1, idx).squeeze(-1)
    else:
        off = quadratic_refine(heat, iy, ix)
    uv = torch.stack([ix, iy], dim=-1).float() + off
    return to_pixels(uv, stride), conf


def quadratic_refine(heat: torch.Tensor, iy: torch.Tensor, ix: torch.Tensor) -> torch.Tensor:
    """Newton step on log(heat) at the argmax using central differences (3x3)."""
    b, k, h, w = heat.shape
    logh = torch.log(heat.clamp_min(1e-10))
    pad = torch.nn.functional.pad(logh, (1, 1, 1, 1), mode="replicate")

    def at(dy: int, dx: int) -> torch.Tensor:
        flat = pad.reshape(b, k, (h + 2) * (w + 2))
        idx = (iy + 1 + dy) * (w + 2) + (ix + 1 + dx)
        return flat.gather(-1, idx.unsqueeze(-1)).squeeze(-1)

    c = at(0, 0)
    gx = (at(0, 1) - at(0, -1)) / 2
    gy = (at(1, 0) - at(-1, 0)) / 2
    hxx = at(0, 1) - 2 * c + at(0, -1)
    hyy = at(1, 0) - 2 * c + at(-1, 0)
    hxy = (at(1, 1) - at(1, -1) - at(-1, 1) + at(-1, -1)) / 4
    det = hxx * hyy - hxy * hxy
    ok = (det > 1e-12) & (hxx < 0)
    safe = torch.where(ok, det, torch.ones_like(det))
    ox = -(hyy * gx - hxy * gy) / safe
    oy = -(hxx * gy - hxy * gx) / safe
    off = torch.stack([ox, oy], dim=-1)
    return torch.where(ok.unsqueeze(-1), off.clamp(-1, 1), torch.zeros_like(off))
