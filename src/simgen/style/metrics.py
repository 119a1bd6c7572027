"""Offline style metrics: nothing here downloads weights.

Distribution distance (translated vs real, always next to raw vs real):
  - KID: the unbiased estimator of squared MMD with the cubic polynomial kernel
    k(x, y) = (x.y / d + 1)^3 (Binkowski et al. 2018), averaged over random subsets.
    It is computed on two feature sets, because there are no Inception weights here:
    ``cnn``: a fixed, seeded, randomly initialised convolutional net (4 stride-2 conv
    layers, ReLU, global mean and std pooling; 512 numbers) on 256x192 RGB frames;
    ``classic``: hand-made image statistics (grey-level histogram, log power spectrum,
    HOG of a 128x96 grey frame, gradient-magnitude histogram, colour saturation), each
    block scaled to unit norm. Both are computed on full frames and on 128 px crops
    around the animal at native scale (where style transfer matters most and the
    arena's content, which no style can change, is mostly out of view). Random-feature KID is comparable only within one
    feature net (same seed); it is not the Inception KID of papers.
  - C2ST: held-out accuracy of a small real-vs-synthetic classifier (L2 logistic
    regression on both feature sets, standardised, k-fold). 0.5 means the classifier
    cannot tell the domains apart; 1.0 means it always can.
Geometry (translated vs raw render of the same frame):
  - SSIM of the grey images; flow drift: median magnitude of Farneback optical flow
    inside the (slightly dilated) animal mask, over pixels with image structure (flow
    in a flat patch is undetermined), on locally contrast-normalised images, after mapping the translated image's grey
    levels onto the render's (a monotone map moves no pixel, and Farneback assumes
    constant brightness); silhouette IoU: the animal segmented the same way in both
    images (a threshold halfway between the animal's and its surroundings' median grey,
    inside a band around the render's mask), then compared.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from simgen.style.data import to_gray

FEATURE_SETS = ("cnn", "classic")


# -- KID ------------------------------------------------------------------------------------
def mmd2_unbiased(x: np.ndarray, y: np.ndarray) -> float:
    """Unbiased squared MMD with the cubic polynomial kernel (rows are samples)."""
    x = np.asarray(x, np.float64)
    y = np.asarray(y, np.float64)
    d = x.shape[1]
    kxx = (x @ x.T / d + 1) ** 3
    kyy = (y @ y.T / d + 1) ** 3
    kxy = (x @ y.T / d + 1) ** 3
    m, n = len(x), len(y)
    sxx = (kxx.sum() - np.trace(kxx)) / (m * (m - 1))
    syy = (kyy.sum() - np.trace(kyy)) / (n * (n - 1))
    return float(sxx + syy - 2 * kxy.mean())


def kid(x: np.ndarray, y: np.ndarray, rng: np.random.Generator, subsets: int = 50,
        subset_size: int = 100) -> tuple[float, float]:
    """KID (mean, std over subsets) between feature sets ``x`` and ``y``."""
    if len(x) < 2 or len(y) < 2:
        raise ValueError("KID needs at least 2 samples per set")
    size = min(subset_size, len(x), len(y))
    vals = []
    for _ in range(subsets):
        ix = rng.choice(len(x), size, replace=False)
        iy = rng.choice(len(y), size, replace=False)
        vals.append(mmd2_unbiased(x[ix], y[iy]))
    return float(np.mean(vals)), float(np.std(vals))


# -- feature sets ---------------------------------------------------------------------------
CNN_SIZE = (256, 192)  # w, h


def cnn_features(images: list[np.ndarray], seed: int = 0, size: tuple[int, int] = CNN_SIZE) -> np.ndarray:
    """Features of a fixed, seeded, randomly initialised CNN (see the module docstring)."""
    import cv2
    import torch

    gen = torch.Generator().manual_seed(seed)
    chans = [3, 32, 64, 128, 256]
    weights = []
    for cin, cout in zip(chans[:-1], chans[1:]):
        w = torch.randn(cout, cin, 3, 3, generator=gen) * np.sqrt(2.0 / (cin * 9))
        weights.append(w)
    out = []
    with torch.no_grad():
        for im in images:
            x = cv2.resize(im[..., :3], size, interpolation=cv2.INTER_AREA).astype(np.float32) / 127.5 - 1
            t = torch.from_numpy(x).permute(2, 0, 1)[None]
            for w in weights:
                t = torch.relu(torch.nn.functional.conv2d(t, w, stride=2, padding=1))
            out.append(torch.cat([t.mean(dim=(2, 3)), t.std(dim=(2, 3))], 1)[0].numpy())
    return np.stack(out)


def classic_features(images: list[np.ndarray], hog_size: tuple[int, int] = (128, 96)) -> np.ndarray:
    """Hand-made image statistics (see the module docstring); each block has unit norm."""
    import cv2
    from skimage.feature import hog

    from simgen.style.classic import log_spectrum

    out = []
    for im in images:
        rgb = im[..., :3].astype(np.float32)
        g = to_gray(rgb)
        hist = np.histogram(g, bins=32, range=(0, 256))[0].astype(np.float64)
        spec = log_spectrum(g)
        spec = spec - spec.mean()
        small = cv2.resize(g, hog_size, interpolation=cv2.INTER_AREA)
        h = hog(small, orientations=8, pixels_per_cell=(16, 16), cells_per_block=(2, 2), feature_vector=True)
        mag = np.hypot(cv2.Sobel(g, cv2.CV_32F, 1, 0), cv2.Sobel(g, cv2.CV_32F, 0, 1))
        ghist = np.histogram(np.log1p(mag), bins=24, range=(0, 8))[0].astype(np.float64)
        sat = rgb.max(axis=2) - rgb.min(axis=2)
        shist = np.histogram(sat, bins=16, range=(0, 256))[0].astype(np.float64)
        blocks = [hist, spec, h, ghist, shist]
        out.append(np.concatenate([b / (np.linalg.norm(b) + 1e-9) for b in blocks]))
    return np.stack(out)


def features(name: str, images: list[np.ndarray]) -> np.ndarray:
    """Feature set ``name`` of full frames, or of square crops (sizes adapted to the crop)."""
    square = images[0].shape[0] == images[0].shape[1]
    side = images[0].shape[0]
    if name == "cnn":
        return cnn_features(images, size=(side, side) if square else CNN_SIZE)
    if name == "classic":
        return classic_features(images, hog_size=(side, side) if square else (128, 96))
    raise ValueError(f"unknown feature set {name!r} (known: {', '.join(FEATURE_SETS)})")


# -- C2ST ---------------------------------------------------------------------------------
def c2st_accuracy(real: np.ndarray, synthetic: np.ndarray, rng: np.random.Generator, folds: int = 5,
                  l2: float = 1.0, steps: int = 300) -> float:
    """Held-out accuracy of an L2 logistic regression telling ``real`` rows from ``synthetic`` rows.

    Both sets are cut to the same size (chance is 0.5); k-fold, each fold's
    standardisation fitted on its training part only.
    """
    n = min(len(real), len(synthetic))
    if n < folds:
        raise ValueError(f"C2ST needs at least {folds} samples per domain")
    x = np.concatenate([real[rng.permutation(len(real))[:n]], synthetic[rng.permutation(len(synthetic))[:n]]])
    y = np.concatenate([np.ones(n), np.zeros(n)])
    order = rng.permutation(2 * n)
    x, y = x[order], y[order]
    correct = 0
    for k in range(folds):
        test = np.arange(2 * n) % folds == k
        mu, sd = x[~test].mean(0), x[~test].std(0) + 1e-6
        xtr, xte = (x[~test] - mu) / sd, (x[test] - mu) / sd
        w, b = _logreg(xtr, y[~test], l2, steps)
        correct += int((((xte @ w + b) > 0) == (y[test] > 0.5)).sum())
    return correct / (2 * n)


def _logreg(x: np.ndarray, y: np.ndarray, l2: float, steps: int) -> tuple[np.ndarray, float]:
    """Full-batch gradient descent on the mean logistic loss + l2/(2n) |w|^2."""
    n, d = x.shape
    w, b = np.zeros(d), 0.0
    lr = 1.0 / (0.25 * (np.linalg.norm(x, 2) ** 2 / n) + l2 / n + 1e-9)
    for _ in range(steps):
        p = 1 / (1 + np.exp(-(x @ w + b)))
        gw = x.T @ (p - y) / n + l2 / n * w
        gb = float(np.mean(p - y))
        w -= lr * gw
        b -= lr * gb
    return w, b


# -- geometry -------------------------------------------------------------------------------
def ssim(a: np.ndarray, b: np.ndarray) -> float:
    from skimage.metrics import structural_similarity

    return float(structural_similarity(to_gray(a), to_gray(b), data_range=255.0))


def match_gray(src: np.ndarray, ref: np.ndarray) -> np.ndarray:
    """Grey levels of ``src`` remapped so that their CDF follows ``ref``'s (a monotone map)."""
    s, r = src.ravel(), ref.ravel()
    q = np.linspace(0, 1, 257)
    sq = np.maximum.accumulate(np.quantile(s, q) + np.arange(q.size) * 1e-6)
    return np.interp(src, sq, np.quantile(r, q)).astype(np.float32)


def dilate(mask: np.ndarray, px: int) -> np.ndarray:
    import cv2

    if px <= 0:
        return mask.astype(bool)
    k = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * px + 1, 2 * px + 1))
    return cv2.dilate(mask.astype(np.uint8), k) > 0


def erode(mask: np.ndarray, px: int) -> np.ndarray:
    import cv2

    if px <= 0:
        return mask.astype(bool)
    k = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * px + 1, 2 * px + 1))
    return cv2.erode(mask.astype(np.uint8), k) > 0


def flow_drift(raw: np.ndarray, translated: np.ndarray, mask: np.ndarray, dilate_px: int = 3,
               min_grad: float = 6.0) -> float:
    """Median Farneback flow magnitude (px) from ``raw`` to ``translated`` inside the dilated mask,
    over the pixels where the render has structure (grey gradient > ``min_grad`` levels/px).

    The region is cropped around the mask with a margin, so the flow of a large
    frame costs about as much as the animal's bounding box.
    """
    import cv2

    region = dilate(mask, dilate_px)
    ys, xs = np.nonzero(region)
    if xs.size == 0:
        return 0.0
    margin = 24
    h, w = mask.shape
    y0, y1 = max(ys.min() - margin, 0), min(ys.max() + margin + 1, h)
    x0, x1 = max(xs.min() - margin, 0), min(xs.max() + margin + 1, w)
    a = to_gray(raw)[y0:y1, x0:x1]
    b = match_gray(to_gray(translated)[y0:y1, x0:x1], a)
    a, b = local_contrast(a), local_contrast(b)
    # the animal's surroundings flattened in both images: only the animal's own
    # structure drives the flow (walls and floor texture, which a style may relight
    # strongly, would otherwise leak into it through Farneback's window)
    far = ~dilate(mask, 12)[y0:y1, x0:x1]
    a[far] = 128
    b[far] = 128
    flow = cv2.calcOpticalFlowFarneback(np.clip(a, 0, 255).astype(np.uint8), np.clip(b, 0, 255).astype(np.uint8),
                                        None, 0.5, 3, 15, 3, 5, 1.1, 0)
    # only where the render has structure: in a flat patch (a black back) optical flow is
    # undetermined and reports noise, not motion (the aperture problem)
    g = cv2.GaussianBlur(to_gray(raw)[y0:y1, x0:x1], (0, 0), 1.5)
    grad = np.hypot(cv2.Sobel(g, cv2.CV_32F, 1, 0), cv2.Sobel(g, cv2.CV_32F, 0, 1)) / 8.0
    sel = region[y0:y1, x0:x1]
    textured = sel & (grad > min_grad)
    if textured.sum() >= 20:
        sel = textured
    mag = np.hypot(flow[..., 0], flow[..., 1])[sel]
    return float(np.median(mag))


def local_contrast(g: np.ndarray, sigma: float = 6.0) -> np.ndarray:
    """Grey image with its local mean removed and local contrast normalised, as uint8.

    A smooth gain (vignetting, uneven light) then leaves the image unchanged, so the
    flow measures motion rather than relighting. Light smoothing first keeps sensor
    noise out of the flow.
    """
    import cv2

    g = cv2.GaussianBlur(g.astype(np.float32), (0, 0), 1.0)
    d = g - cv2.GaussianBlur(g, (0, 0), sigma)
    sd = np.sqrt(cv2.GaussianBlur(d * d, (0, 0), sigma)) + 4.0  # +4 grey levels: flat areas stay flat
    return np.clip(128 + 40 * d / sd, 0, 255).astype(np.uint8)


def silhouette(image: np.ndarray, mask: np.ndarray, band_px: int = 8) -> np.ndarray:
    """The animal segmented from ``image`` inside a band around ``mask`` (a boolean mask).

    Threshold halfway between the median grey of the mask's interior and of the ring
    just outside it, so a monotone tone change segments the same shape.
    """
    import cv2

    # a light blur first, so that sensor noise added by a style does not fray the outline
    g = cv2.GaussianBlur(to_gray(image), (0, 0), 1.0)
    mask = mask.astype(bool)
    inner = erode(mask, 2)
    if not inner.any():
        inner = mask
    ring = dilate(mask, band_px) & ~dilate(mask, 3)
    if not inner.any() or not ring.any():
        return mask.copy()
    fg, bg = float(np.median(g[inner])), float(np.median(g[ring]))
    thr = (fg + bg) / 2
    inside = (g < thr if fg < bg else g >= thr) & dilate(mask, band_px)
    # keep only the parts connected to the animal's interior: a dark wall edge or a
    # shadow that touches the band is not the animal
    n, labels = cv2.connectedComponents(inside.astype(np.uint8), connectivity=8)
    keep = np.unique(labels[inside & inner])
    return np.isin(labels, keep[keep > 0])


def iou(a: np.ndarray, b: np.ndarray) -> float:
    union = np.logical_or(a, b).sum()
    return 1.0 if union == 0 else float(np.logical_and(a, b).sum() / union)


def silhouette_iou(raw: np.ndarray, translated: np.ndarray, mask: np.ndarray, band_px: int = 8) -> float:
    """IoU of the animal's silhouette segmented the same way from the render and its translation.

    The translation's grey levels inside the band are first mapped onto the render's
    (``match_gray``): a tone curve, however strong, moves no outline, and without this
    step a mid-grey part (a pink tail turned grey) could cross the threshold in one
    image and not the other.
    """
    region = dilate(mask, band_px + 4)
    r = to_gray(raw)
    t = to_gray(translated).copy()
    t[region] = match_gray(t[region], r[region])
    return iou(silhouette(r, mask, band_px), silhouette(t, mask, band_px))


@dataclass
class GateResult:
    keep: bool
    drift_px: float
    iou: float
    ssim: float


def gate(raw: np.ndarray, translated: np.ndarray, mask: np.ndarray, max_drift_px: float = 0.5,
         min_iou: float = 0.95) -> GateResult:
    """Keep a translated frame only if the animal did not move or change shape."""
    if not mask.any():  # nothing to protect; keep the frame
        return GateResult(True, 0.0, 1.0, ssim(raw, translated))
    drift = flow_drift(raw, translated, mask)
    sil = silhouette_iou(raw, translated, mask)
    return GateResult(bool(drift <= max_drift_px and sil >= min_iou), drift, sil, ssim(raw, translated))
