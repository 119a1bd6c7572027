"""Losses of the learned methods (torch; import lazily).

Besides the GAN losses (LSGAN) and PatchNCE, two geometry terms tie the translation
to its input:
- ``mask_band_edge_loss``: L1 between the Sobel gradients (x and y) of the
  translation and of its input, inside the silhouette band taken from the render's
  mask (``band`` = dilated mask minus eroded mask). Edges that carry the labels may
  change contrast a little but may not move.
- ``lowfreq_luminance_loss``: L1 between heavily average-pooled luminance of the
  translation and of its input, so that the network cannot relight the scene or
  paint a shadow that a keypoint detector would read as body.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F


def lsgan_loss(pred: torch.Tensor, real: bool) -> torch.Tensor:
    target = torch.ones_like(pred) if real else torch.zeros_like(pred)
    return F.mse_loss(pred, target)


def sobel(x: torch.Tensor) -> torch.Tensor:
    """Sobel gradients (N x 2C x H x W) of an N x C x H x W image, with replicated borders."""
    import kornia

    g = kornia.filters.spatial_gradient(x, mode="sobel", order=1)  # N x C x 2 x H x W
    return g.flatten(1, 2)


def mask_band_edge_loss(out: torch.Tensor, inp: torch.Tensor, band: torch.Tensor) -> torch.Tensor:
    """Mean |sobel(out) - sobel(inp)| over the band pixels (``band``: N x 1 x H x W in {0, 1})."""
    diff = (sobel(out) - sobel(inp)).abs().mean(dim=1, keepdim=True)
    return (diff * band).sum() / band.sum().clamp_min(1.0)


def luminance(x: torch.Tensor) -> torch.Tensor:
    if x.shape[1] == 1:
        return x
    w = torch.tensor([0.299, 0.587, 0.114], dtype=x.dtype, device=x.device).view(1, 3, 1, 1)
    return (x[:, :3] * w).sum(dim=1, keepdim=True)


def lowfreq_luminance_loss(out: torch.Tensor, inp: torch.Tensor, pool: int = 16) -> torch.Tensor:
    k = min(pool, out.shape[-1], out.shape[-2])
    return F.l1_loss(F.avg_pool2d(luminance(out), k), F.avg_pool2d(luminance(inp), k))


def patchnce_loss(feat_q: torch.Tensor, feat_k: torch.Tensor, tau: float = 0.07) -> torch.Tensor:
    """PatchNCE (Park et al. 2020): each output patch must pick its own input patch among
    the other patches of the same image. ``feat_*``: (N*P) x D, L2-normalised, P per image."""
    feat_k = feat_k.detach()
    n_patches = feat_q.shape[0]
    l_pos = (feat_q * feat_k).sum(dim=1, keepdim=True)
    l_neg = feat_q @ feat_k.t()
    eye = torch.eye(n_patches, dtype=torch.bool, device=feat_q.device)
    l_neg = l_neg.masked_fill(eye, -10.0)
    logits = torch.cat([l_pos, l_neg], dim=1) / tau
    return F.cross_entropy(logits, torch.zeros(n_patches, dtype=torch.long, device=feat_q.device))
