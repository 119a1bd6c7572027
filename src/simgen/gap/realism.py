"""Realism: can a simple classifier tell renders from real frames, and which renders give it away?

Features: the seeded random CNN and the hand-made statistics of ``simgen.style.metrics``
(the ones `simgen style score` uses), on full frames and on native-scale square crops
around the animal (renders: the mask's centroid; real frames: the pose model's
predicted center, or the motion against the median frame without a model). An L2
logistic regression is fitted k-fold on balanced sets; each render gets its held-out
probability of being real (low = looks fake), and the accuracy is the C2ST number
(0.5: indistinguishable). For the most fake renders, the region that gives them away
is the crop (of a 4x4 grid of cells) with the lowest held-out p(real) from a classifier
on grid cells.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from simgen.style.metrics import _logreg, classic_features, cnn_features


def feats(images: list[np.ndarray], cnn: np.ndarray | None = None) -> np.ndarray:
    """Random-CNN and hand-made features (``cnn``: the CNN part when already computed)."""
    square = images[0].shape[0] == images[0].shape[1]
    size = (images[0].shape[1], images[0].shape[0]) if square else (256, 192)
    hog = (images[0].shape[1], images[0].shape[0]) if square else (128, 96)
    c = cnn if cnn is not None and not square else cnn_features(images, size=size)
    return np.concatenate([c, classic_features(images, hog_size=hog)], axis=1)


def heldout_p_real(real: np.ndarray, synth: np.ndarray, seed: int = 0, folds: int = 5,
                   steps: int = 150) -> tuple[float, np.ndarray]:
    """(accuracy, p_real for every synthetic row), all held out, balanced by subsampling per fold."""
    rng = np.random.default_rng(seed)
    x = np.concatenate([real, synth])
    y = np.concatenate([np.ones(len(real)), np.zeros(len(synth))])
    fold = np.concatenate([rng.permutation(len(real)) % folds, rng.permutation(len(synth)) % folds])
    p = np.zeros(len(x))
    for k in range(folds):
        tr, te = fold != k, fold == k
        ri, si = np.nonzero(tr & (y == 1))[0], np.nonzero(tr & (y == 0))[0]
        m = min(len(ri), len(si))
        if m < 2:
            p[te] = 0.5
            continue
        idx = np.concatenate([rng.choice(ri, m, replace=False), rng.choice(si, m, replace=False)])
        mu, sd = x[idx].mean(0), x[idx].std(0) + 1e-6
        w, b = _logreg((x[idx] - mu) / sd, y[idx], 1.0, steps)
        p[te] = 1 / (1 + np.exp(-(((x[te] - mu) / sd) @ w + b)))
    acc_r = np.mean(p[y == 1] > 0.5)
    acc_s = np.mean(p[y == 0] <= 0.5)
    return float((acc_r + acc_s) / 2), p[len(real):]


def crops(images: list[np.ndarray], centers: list, size: int) -> list[np.ndarray]:
    out = []
    for im, c in zip(images, centers):
        h, w = im.shape[:2]
        cx, cy = c if c is not None else (w / 2, h / 2)
        x0 = int(np.clip(round(cx - size / 2), 0, w - size))
        y0 = int(np.clip(round(cy - size / 2), 0, h - size))
        out.append(np.ascontiguousarray(im[y0:y0 + size, x0:x0 + size]))
    return out


def grid_cells(images: list[np.ndarray], g: int = 4) -> tuple[list[np.ndarray], list[tuple[int, int, int, int]]]:
    h, w = images[0].shape[:2]
    ch, cw = h // g, w // g
    boxes = [(x * cw, y * ch, cw, ch) for y in range(g) for x in range(g)]
    cells = [np.ascontiguousarray(im[y:y + hh, x:x + ww]) for im in images for x, y, ww, hh in boxes]
    return cells, boxes


@dataclass
class Realism:
    """Render indices are rows of the sampled renders (not dataset frames)."""

    c2st_full: float  # held-out real-vs-render accuracy on full frames (0.5: indistinguishable)
    c2st_crop: float  # the same on square animal crops
    crop_px: int  # the crops' side
    p_real_full: np.ndarray  # (S,) held-out p(real) of each render, full frames
    p_real_crop: np.ndarray  # (S,) the same on crops
    most_fake: list[int]  # renders, most fake first
    regions: list[list[int]]  # per most fake render: the give-away grid cell [x, y, w, h] (may be empty)


def realism(real: list[np.ndarray], synth: list[np.ndarray], real_centers: list, synth_centers: list,
            crop: int = 128, worst: int = 6, seed: int = 0, cnn_real: np.ndarray | None = None,
            cnn_synth: np.ndarray | None = None) -> Realism:
    crop = min(crop, *real[0].shape[:2], *synth[0].shape[:2])
    acc_full, p_full = heldout_p_real(feats(real, cnn_real), feats(synth, cnn_synth), seed)
    acc_crop, p_crop = heldout_p_real(feats(crops(real, real_centers, crop)),
                                      feats(crops(synth, synth_centers, crop)), seed)
    fakeness = -(p_full + p_crop) / 2
    most_fake = np.argsort(-fakeness)[:worst].tolist()
    regions = []
    try:  # regions: a cell classifier over a 4x4 grid, trained on the other frames (at most 30 a side)
        g = 4
        rng = np.random.default_rng(seed)
        others = [i for i in range(len(synth)) if i not in most_fake]
        r_idx = rng.permutation(len(real))[:30]
        s_idx = rng.permutation(others)[:30]
        rc, _ = grid_cells([real[i] for i in r_idx], g)
        sc, _ = grid_cells([synth[i] for i in s_idx], g)
        fc, boxes = grid_cells([synth[i] for i in most_fake], g)
        hog = (64, 48)  # HOG needs at least 32 px a side
        rf, sf, ff = (classic_features(c, hog_size=hog) for c in (rc, sc, fc))
        x = np.concatenate([rf, sf])
        y = np.concatenate([np.ones(len(rf)), np.zeros(len(sf))])
        mu, sd = x.mean(0), x.std(0) + 1e-6
        w, b = _logreg((x - mu) / sd, y, 1.0, 150)
        p_cell = (((ff - mu) / sd) @ w + b).reshape(len(most_fake), g * g)  # logit of p(real)
        for k, _i in enumerate(most_fake):
            j = int(np.argmin(p_cell[k]))
            x, y, w, h = boxes[j]
            regions.append([x, y, w, h])
    except (ValueError, IndexError) as exc:  # e.g. frames of mixed sizes: no regions
        import logging

        logging.getLogger("simgen").warning(f"realism: no give-away regions ({exc})")
        regions = []
    return Realism(c2st_full=acc_full, c2st_crop=acc_crop, crop_px=crop, p_real_full=p_full, p_real_crop=p_crop,
                   most_fake=most_fake, regions=regions)
