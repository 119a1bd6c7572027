"""Background plates: the empty rig, from frames that show an animal somewhere in it.

A plain temporal median keeps an animal that rests in one place for most of the
video (a "ghost"). So the animal is found in each frame on its own first, by shape:
a dark (or bright) blob narrower than a structuring element stands out against a
morphological closing (opening) of the frame, resting or not. A first median over
the frames with those blobs excluded is ghost-free; a second pass also excludes
what differs from it (tail, shadow, the parts the shape test missed). Pixels that
are excluded in (nearly) every frame -- static structures such as wall bands that
the shape test also flags -- fall back to the plain median, which is right for
anything that does not move.

Lighting that drifts over the video gives several plates: the frames are split in
time segments, each gets its plate, and neighbouring segments whose plates agree
within ``merge_tol`` grey levels are merged.

Textured floors (bedding: pellets, shavings) need two changes, chosen automatically
when more than ``TEXTURE_FRACTION`` of a typical frame is fine-grained texture (see
``textured_fraction``; the gaps between pellets are dark blobs to the shape test), or
when asked: the shape and difference tests take a stronger
contrast and drop blobs narrower than a body (an opening ``1/BODY_FRACTION`` of the
shorter side wide), and a plate is no longer a median but each pixel's value in the
sampled frame nearest the segment's middle where no animal covers it: mice dig, the
bedding moves between frames, and a median of moving pellets is a blur that looks like
no floor.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

# Shape test: blob contrast (grey levels) and the structuring element as a fraction
# of the shorter image side (wider than an animal's body seen from above).
HAT_THRESHOLD = 30.0
KERNEL_FRACTION = 1 / 6
# Second pass: difference from the ghost-free median that marks the animal.
DIFF_THRESHOLD = 25.0
# Detection runs on frames shrunk by this factor (the big kernel costs k^2 per pixel).
DETECT_SCALE = 4
# Textured floor: the share of a typical frame covered by fine-grained texture above which
# the floor counts as textured (measured: DeepLabCut's open field 0.000, the home-cage dev
# video 0.31), and the narrowest blob kept then (a fraction of the shorter side; a mouse's
# body seen from above is ~1/10 of it in a cage or an open field).
TEXTURE_FRACTION = 0.05
TEXTURE_STD = 15.0  # grey levels: local contrast of bedding (30-40 measured), not of fur or plastic
BODY_FRACTION = 30


@dataclass
class PlateSet:
    plates: list[np.ndarray]  # (H, W, 3) uint8 RGB each
    segments: list[tuple[int, int]]  # [start, end) video frame range of each plate
    polarity: str  # "dark" or "bright": the animal against its floor
    masks: list[np.ndarray] = field(default_factory=list)  # per sampled frame, True = animal (excluded)
    textured: bool = False  # a textured floor (bedding): plates are nearest clean frames, not medians

    def plate_for(self, frame: int) -> int:
        for i, (a, b) in enumerate(self.segments):
            if a <= frame < b:
                return i
        return len(self.segments) - 1


def grey_of(frames: np.ndarray) -> np.ndarray:
    return frames.astype(np.float32).mean(axis=-1) if frames.ndim == 4 else frames.astype(np.float32)


def blobs(score: np.ndarray, threshold: float, min_area: int, open_px: int = 3) -> np.ndarray:
    """Connected regions of ``score > threshold`` at least ``min_area`` pixels large,
    after an opening ``open_px`` wide that drops thin lines (floor drawings, edges) and,
    when wide, specks narrower than a body (bedding)."""
    import cv2

    m = (score > threshold).astype(np.uint8)
    kernel = np.ones((3, 3), np.uint8) if open_px <= 3 else \
        cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (open_px | 1, open_px | 1))
    m = cv2.morphologyEx(m, cv2.MORPH_OPEN, kernel)
    n, lab, stats, _ = cv2.connectedComponentsWithStats(m, connectivity=8)
    keep = np.zeros(n, bool)
    keep[1:] = stats[1:, cv2.CC_STAT_AREA] >= min_area
    return keep[lab]


def shape_masks(grey: np.ndarray, *, threshold: float = HAT_THRESHOLD, kernel_fraction: float = KERNEL_FRACTION,
                textured: bool = False) -> tuple[np.ndarray, np.ndarray]:
    """Per frame (N, H, W) bool masks of dark and of bright compact blobs (``textured``:
    twice the contrast, and only blobs at least a body wide)."""
    import cv2

    n, h, w = grey.shape
    s = DETECT_SCALE if min(h, w) >= 16 * DETECT_SCALE else 1
    small_hw = (w // s, h // s)
    k = max(3, int(min(h, w) * kernel_fraction / s) | 1)
    kernel = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (k, k))
    min_area = max(4, int(0.02 * k * k))
    open_px = body_px(h, w, s) if textured else 3
    threshold = 2 * threshold if textured else threshold
    dark = np.zeros((n, h, w), bool)
    bright = np.zeros((n, h, w), bool)
    for i in range(n):
        g = cv2.resize(grey[i], small_hw, interpolation=cv2.INTER_AREA)
        black_hat = cv2.morphologyEx(g, cv2.MORPH_CLOSE, kernel) - g
        top_hat = g - cv2.morphologyEx(g, cv2.MORPH_OPEN, kernel)
        for score, out in ((black_hat, dark), (top_hat, bright)):
            b = blobs(score, threshold, min_area, open_px).astype(np.uint8)
            out[i] = cv2.resize(b, (w, h), interpolation=cv2.INTER_NEAREST) > 0
    return dark, bright


def body_px(h: int, w: int, scale: int = 1) -> int:
    """The narrowest blob that counts as an animal on a textured floor, in pixels of an
    image shrunk by ``scale``."""
    return max(3, int(round(min(h, w) / scale / BODY_FRACTION)))


def textured_fraction(grey: np.ndarray, frames: int = 12) -> float:
    """The share of a typical frame covered by fine-grained texture: local grey standard
    deviation (a window 1/60 of the shorter side) above ``TEXTURE_STD`` over regions at
    least three windows wide (an opening drops the lines along edges and rims); the median
    over up to ``frames`` frames. Above ``TEXTURE_FRACTION`` the floor is textured."""
    import cv2

    h, w = grey.shape[1:]
    win = max(3, int(min(h, w) / 60) | 1)
    kernel = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (3 * win | 1, 3 * win | 1))
    out = []
    for g in grey[::max(1, len(grey) // frames)]:
        mu = cv2.blur(g, (win, win))
        sd = np.sqrt(np.clip(cv2.blur(g * g, (win, win)) - mu * mu, 0, None))
        out.append(float((cv2.morphologyEx(sd, cv2.MORPH_OPEN, kernel) > TEXTURE_STD).mean()))
    return float(np.median(out))


def nearest_clean(frames: np.ndarray, exclude: np.ndarray, order: np.ndarray, fallback: np.ndarray) -> np.ndarray:
    """Each pixel from the first frame in ``order`` where ``exclude`` is False there;
    ``fallback`` where every frame excludes it. Keeps the texture a median blurs."""
    out = fallback.astype(np.float32).copy()
    todo = np.ones(frames.shape[1:3], bool)
    for i in order:
        take = todo & ~exclude[i]
        out[take] = frames[i][take]
        todo &= ~take
        if not todo.any():
            break
    return out


def count_animals(masks: np.ndarray, *, min_share: float = 0.4, percentile: float = 75) -> int:
    """How many animals the video shows at once: per frame, the blobs of its animal mask
    at least ``min_share`` of that frame's largest (bedding kicked about makes small
    ones), then the ``percentile`` over frames (touching animals are one blob in some
    frames, an animal out of view in others), at least 1. Blobs that stay where they are
    in most frames (wall bands, a feeder) are not animals; 0 when no frame shows a blob
    that moves (an animal that never leaves its place looks like a fixture)."""
    import cv2

    freq = masks.mean(axis=0)
    counts = []
    for m in masks:
        n, lab, stats, _ = cv2.connectedComponentsWithStats(m.astype(np.uint8), connectivity=8)
        moving = np.bincount(lab.ravel(), weights=freq.ravel(), minlength=n)[1:] / np.maximum(stats[1:, 4], 1) < 0.5
        areas = stats[1:, cv2.CC_STAT_AREA][moving]
        counts.append(int((areas >= min_share * areas.max()).sum()) if len(areas) else 0)
    if not any(counts):
        return 0
    return max(1, int(round(float(np.percentile(counts, percentile)))))


def _dilate(masks: np.ndarray, px: int) -> np.ndarray:
    import cv2

    if px <= 0:
        return masks
    kernel = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * px + 1, 2 * px + 1))
    return np.stack([cv2.dilate(m.astype(np.uint8), kernel) > 0 for m in masks])


def masked_median(frames: np.ndarray, exclude: np.ndarray, fallback: np.ndarray,
                  min_count: int) -> np.ndarray:
    """Per-pixel median over the frames where ``exclude`` is False; ``fallback`` where
    fewer than ``min_count`` frames are left.

    Excluded samples are replaced by +inf and -inf in turn (per pixel, so the two
    balance), which leaves the median of the rest (off by half a rank when an odd
    number is excluded) and lets ``np.median`` partition instead of ``nanmedian``
    sorting; rows go in chunks to keep the memory small.
    """
    n, h = frames.shape[:2]
    out = np.empty(frames.shape[1:], np.float32)
    chunk = max(1, (1 << 24) // max(1, frames[0].size // h * n))
    for r in range(0, h, chunk):
        data = frames[:, r:r + chunk].astype(np.float32)
        ex = exclude[:, r:r + chunk]
        high = (np.cumsum(ex, axis=0) % 2 == 1) & ex
        low = ex & ~high
        if data.ndim == 4:
            high, low = high[..., None], low[..., None]
        data[np.broadcast_to(high, data.shape)] = np.inf
        data[np.broadcast_to(low, data.shape)] = -np.inf
        with np.errstate(invalid="ignore"):  # inf + -inf in the middle: NaN -> fallback
            med = np.median(data, axis=0)
        bad = ((~ex).sum(axis=0) < min_count)
        if data.ndim == 4:
            bad = bad[..., None]
        fb = fallback[r:r + chunk].astype(np.float32)
        out[r:r + chunk] = np.where(bad | ~np.isfinite(med), fb, med)
    return out


def animal_masks(frames: np.ndarray, *, dilate_px: int | None = None,
                 textured: bool | None = None) -> tuple[np.ndarray, np.ndarray, str, bool]:
    """(per-frame animal masks, ghost-free median plate (float), polarity, textured);
    ``textured`` None: decided from the frames (``is_textured``)."""
    grey = grey_of(frames)
    n, h, w = grey.shape
    if textured is None:
        textured = textured_fraction(grey) > TEXTURE_FRACTION
    dark, bright = shape_masks(grey, textured=textured)
    # The animal's polarity: the kind of blob that moves. Static blobs (walls, fixtures)
    # sit in the same pixels in every frame; the animal's pixels are flagged in few.
    def moving(m: np.ndarray) -> float:
        freq = m.mean(axis=0)
        return float((m & (freq < 0.5)[None]).sum())

    plain = np.median(frames.astype(np.float32), axis=0)
    if textured:  # pellets make blobs of both kinds that move: ask what differs from the median
        diff0 = grey - grey_of(plain[None])[0][None]
        area = max(4, (h * w) // 20000)
        darker, brighter = (sum(float(blobs(sign * d, 2 * DIFF_THRESHOLD, area, body_px(h, w)).sum()) for d in diff0)
                            for sign in (-1.0, 1.0))
        polarity = "dark" if darker >= brighter else "bright"
    else:
        polarity = "dark" if moving(dark) >= moving(bright) else "bright"
    shape = dark if polarity == "dark" else bright
    pad = dilate_px if dilate_px is not None else max(2, min(h, w) // 60)
    min_count = max(2, n // 10)
    first = masked_median(frames, _dilate(shape, pad), plain, min_count)
    diff = grey - grey_of(first[None])[0][None]
    sign = -1.0 if polarity == "dark" else 1.0
    min_area = max(4, (h * w) // 20000)
    open_px = body_px(h, w) if textured else 3
    moved = np.stack([blobs(sign * d, (2 if textured else 1) * DIFF_THRESHOLD, min_area, open_px) for d in diff])
    # the shadow and the tail are fainter than the body: the blob found by difference
    # grows into its surroundings by a dilation
    masks = _dilate(shape | moved, 2 * pad)
    return masks, masked_median(frames, masks, plain, min_count), polarity, textured


def extract_plates(frames: np.ndarray, indices: np.ndarray, total_frames: int, *,
                   segments: int = 4, merge_tol: float = 3.0) -> PlateSet:
    """Plates from sampled ``frames`` (N, H, W, 3) taken at video ``indices``.

    The video is cut into ``segments`` equal time ranges; neighbours whose plates
    differ by less than ``merge_tol`` grey levels (mean absolute, where neither has
    the animal excluded) are merged.
    """
    masks, global_plate, polarity, textured = animal_masks(frames)
    n = len(frames)
    segments = max(1, min(segments, n // 8))
    bounds = np.linspace(0, total_frames, segments + 1).astype(int)
    groups = [[int(b) for b in bounds[i:i + 2]] for i in range(segments)]

    def plate_of(a: int, b: int) -> np.ndarray:
        sel = (indices >= a) & (indices < b)
        if textured:  # nearest the segment's middle first, then outward over the whole video
            order = np.argsort(np.abs(indices - (a + b) / 2) + np.where(sel, 0, total_frames), kind="stable")
            return nearest_clean(frames, masks, order, global_plate)
        min_count = max(2, int(sel.sum()) // 5)
        return masked_median(frames[sel], masks[sel], global_plate, min_count)

    plates = [plate_of(a, b) for a, b in groups]
    merged = True
    while merged and len(groups) > 1:
        merged = False
        diffs = [float(np.abs(grey_of(plates[i][None]) - grey_of(plates[i + 1][None])).mean())
                 for i in range(len(groups) - 1)]
        i = int(np.argmin(diffs))
        if diffs[i] < merge_tol:
            groups[i:i + 2] = [[groups[i][0], groups[i + 1][1]]]
            plates[i:i + 2] = [plate_of(*groups[i])]
            merged = True
    out = [np.clip(np.rint(p), 0, 255).astype(np.uint8) for p in plates]
    return PlateSet(out, [tuple(g) for g in groups], polarity, list(masks), textured)
