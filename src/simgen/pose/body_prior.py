"""The body's shape as a prior when keypoints are read from heatmaps.

A keypoint's heatmap can peak in two places. On the home-cage video a model trained on
renders put the snout's strongest peak on the tail base in a quarter of the mice, while
the tail base's own heatmap was right and the snout's second peak lay on the real snout
(docs/benchmarks.md, home cage). Reading each keypoint's argmax alone cannot see that the
snout then sits on the tail base.

The prior is the distance between every two keypoints in the network's input pixels, as
the training labels give it (a mean and a spread per pair), and each keypoint's side of
the body's axis (the pair farthest apart, e.g. snout to tail base), which tells a left ear
from a right one; fitted when the model trains and saved in it (``fit``). The spreads also
count the scale augmentation and a cell of the output grid. Only what the labels say
firmly is used: a pair whose spread exceeds ``MAX_SPREAD`` of its mean (keypoints that
move freely about each other) and a side that the labels do not keep (its mean under its
spread) are left out, so keypoints with no fixed geometry read as argmaxes.

Decoding (``decode_with_prior``) takes for each keypoint up to ``CANDIDATES`` peaks of its
heatmap (local maxima of at least ``REL_PEAK`` of its highest, the argmax first) and picks
the combination with the highest ``sum log(peak) - 0.5 * sum (z ** 2)`` over the pairs'
distances and the sides (z: the distance from the prior's mean in spreads): exactly over
all combinations for a few keypoints, by coordinate ascent from the argmaxes for many.
Where every keypoint has one clear peak that is the argmax.
"""

from __future__ import annotations

import functools
import itertools

import numpy as np
import torch

CANDIDATES = 4  # peaks per keypoint considered
MIN_PEAK = 0.01  # a local maximum below this (sigmoid) is no candidate
REL_PEAK = 0.1  # nor one below this share of its keypoint's highest peak
MAX_SPREAD = 0.4  # a pair's distance whose sd exceeds this share of its mean says too little to use
MIN_PAIRS = 5  # a pair labeled together fewer times has no prior
EXACT_COMBINATIONS = 4096  # up to this many combinations are all scored, else coordinate ascent
SIDE_SD_MIN = 0.03  # least spread of a keypoint's side of the body's axis (share of its length)


def fit(xyv: np.ndarray, scale: tuple[float, float] | None, stride: int) -> dict:
    """Labels (N, K, 3) in input pixels (v > 0: labeled) -> the prior: ``mean`` and ``sd`` (K, K
    lists) of every pair's distance, and the body frame's ``anchors`` (the pair farthest apart
    on average, e.g. snout and tail base) with each keypoint's ``side`` (mean, sd): its signed
    distance from the line between the anchors as a share of their distance, which tells a
    left ear from a right one. ``scale``: the training augmentation's scale range (None: off).
    A pair labeled together fewer than ``MIN_PAIRS`` times has sd inf (no prior)."""
    xyv = np.asarray(xyv, float)
    k = xyv.shape[1]
    mean, sd = np.zeros((k, k)), np.full((k, k), np.inf)
    rel = (scale[1] - scale[0]) / np.sqrt(12) if scale else 0.0  # sd of a uniform scale factor
    for i, j in itertools.combinations(range(k), 2):
        ok = (xyv[:, i, 2] > 0) & (xyv[:, j, 2] > 0)
        if ok.sum() < MIN_PAIRS:
            continue
        d = np.linalg.norm(xyv[ok, i, :2] - xyv[ok, j, :2], axis=1)
        m = float(d.mean())
        mean[i, j] = mean[j, i] = m
        sd[i, j] = sd[j, i] = float(np.sqrt(d.var() + (rel * m) ** 2 + float(stride) ** 2))
    prior = {"mean": mean.tolist(), "sd": sd.tolist(), "anchors": None, "side": None}
    if np.isfinite(sd).any():
        a, b = np.unravel_index(np.argmax(np.where(np.isfinite(sd), mean, -1.0)), mean.shape)
        side = np.full((k, 2), [0.0, np.inf])
        for i in set(range(k)) - {a, b}:
            ok = (xyv[:, [a, b, i], 2] > 0).all(axis=1)
            if ok.sum() >= MIN_PAIRS:
                lat = _side(xyv[ok, a, :2], xyv[ok, b, :2], xyv[ok, i, :2])
                side[i] = float(np.mean(lat)), float(np.sqrt(np.var(lat) + SIDE_SD_MIN ** 2))
        prior.update(anchors=[int(a), int(b)], side=side.tolist())
    return prior


def _side(pa: np.ndarray, pb: np.ndarray, p: np.ndarray) -> np.ndarray:
    """Signed distance of ``p`` from the line a -> b, as a share of |ab| (positive: to the
    left of the direction a -> b in image coordinates, y down)."""
    ab, ap = pb - pa, p - pa
    cross = ab[..., 0] * ap[..., 1] - ab[..., 1] * ap[..., 0]
    return cross / np.maximum((ab ** 2).sum(-1), 1e-9)


def candidates(heat: torch.Tensor, offsets: torch.Tensor | None, stride: int, m: int = CANDIDATES,
               ) -> tuple[np.ndarray, np.ndarray]:
    """Heatmaps (B, K, h, w) in [0, 1] -> each keypoint's ``m`` best local maxima: xy (B, K, m, 2)
    in input pixels (offset-refined) and peak (B, K, m), best first; the first is the argmax,
    and a slot with no local maximum of at least ``MIN_PEAK`` has peak 0."""
    from simgen.pose.heatmaps import decode, quadratic_refine, to_pixels

    b, k, h, w = heat.shape
    m = min(m, h * w)
    pooled = torch.nn.functional.max_pool2d(heat, 3, stride=1, padding=1)
    peaks = torch.where((heat >= pooled) & (heat >= MIN_PEAK), heat, torch.zeros_like(heat))
    floor = REL_PEAK * heat.reshape(b, k, h * w).max(dim=-1).values[..., None, None]
    peaks = torch.where(peaks >= floor, peaks, torch.zeros_like(peaks))
    val, idx = peaks.reshape(b, k, h * w).topk(m, dim=-1)  # (b, k, m)
    iy, ix = idx // w, idx % w
    if offsets is not None:
        off = offsets.reshape(b, k, 2, h * w).gather(-1, idx.unsqueeze(2).expand(b, k, 2, m))  # (b, k, 2, m)
        off = off.permute(0, 1, 3, 2)
    else:
        off = quadratic_refine(heat.repeat_interleave(m, dim=1), iy.reshape(b, k * m),
                                ix.reshape(b, k * m)).reshape(b, k, m, 2)
    xy = to_pixels(torch.stack([ix, iy], dim=-1).float() + off, stride).cpu().numpy()
    val = val.cpu().numpy()
    # the argmax is always a candidate, even where it is no strict local maximum (a plateau)
    amax_xy, amax_v = decode(heat, offsets, stride)
    xy[:, :, 0], val[:, :, 0] = amax_xy.cpu().numpy(), amax_v.cpu().numpy()
    return xy, val


def score(xy: np.ndarray, peak: np.ndarray, prior: dict, combos: np.ndarray) -> np.ndarray:
    """Log-score of choices of candidates: ``combos`` (C, K) candidate indices -> (C,); ``prior``
    with array ``mean`` and ``sd`` (``_arrays``)."""
    k = peak.shape[0]
    cols = np.arange(k)
    pts = xy[cols, combos]  # (C, K, 2)
    got = np.log(np.maximum(peak[cols, combos], 1e-9))
    got = np.where((peak[cols, combos] > 0) | (combos == 0), got, -np.inf).sum(axis=1)  # slot 0: the argmax
    mean, sd = prior["mean"], prior["sd"]  # arrays (``_arrays``)
    for i, j in itertools.combinations(range(k), 2):
        if sd[i, j] <= MAX_SPREAD * mean[i, j]:  # inf (no prior) fails too
            d = np.linalg.norm(pts[:, i] - pts[:, j], axis=-1)
            got = got - 0.5 * ((d - mean[i, j]) / sd[i, j]) ** 2
    if prior.get("anchors") is not None:
        a, b = prior["anchors"]
        for i, (m, s) in enumerate(prior["side"]):
            if abs(m) >= s:  # a keypoint on one side of the axis in most labels (an ear), not one on it
                got = got - 0.5 * ((_side(pts[:, a], pts[:, b], pts[:, i]) - m) / s) ** 2
    return got


@functools.lru_cache(maxsize=8)
def _all_combinations(m: int, k: int) -> np.ndarray:
    return np.array(list(itertools.product(range(m), repeat=k)))


def _arrays(prior: dict) -> dict:
    return {**prior, "mean": np.asarray(prior["mean"], float), "sd": np.asarray(prior["sd"], float)}


def choose(xy: np.ndarray, peak: np.ndarray, prior: dict) -> np.ndarray:
    """One image's candidates (K, m, 2), peaks (K, m) -> the chosen candidate per keypoint (K,);
    ``prior`` with array ``mean`` and ``sd`` (``_arrays``)."""
    k, m = peak.shape
    if m ** k <= EXACT_COMBINATIONS:
        combos = _all_combinations(m, k)
        return combos[int(np.argmax(score(xy, peak, prior, combos)))]
    sel = np.zeros(k, dtype=int)  # coordinate ascent from the argmaxes
    for _ in range(5):
        before = sel.copy()
        for i in range(k):
            combos = np.repeat(sel[None], m, axis=0)
            combos[:, i] = np.arange(m)
            sel[i] = int(np.argmax(score(xy, peak, prior, combos)))
        if (sel == before).all():
            break
    return sel


def decode_with_prior(heat: torch.Tensor, offsets: torch.Tensor | None, stride: int, prior: dict,
                      ) -> tuple[torch.Tensor, torch.Tensor]:
    """Like ``heatmaps.decode`` (xy (B, K, 2) input pixels, confidence (B, K)), each keypoint's
    peak chosen with the body prior."""
    xy, peak = candidates(heat, offsets, stride)
    prior = _arrays(prior)
    b, k = peak.shape[:2]
    out_xy, out_conf = np.empty((b, k, 2)), np.empty((b, k))
    for n in range(b):
        sel = choose(xy[n], peak[n], prior)
        out_xy[n] = xy[n, np.arange(k), sel]
        out_conf[n] = peak[n, np.arange(k), sel]
    return torch.from_numpy(out_xy).float(), torch.from_numpy(out_conf).float()
