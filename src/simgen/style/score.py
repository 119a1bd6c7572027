"""``score_dataset``: how real a dataset looks, and (with a reference) how much it moved.

Real frames are read at the halfway positions between those training reads
(``simgen.video.sample_frames(..., offset=0.5)``), so with the default counts they are held out.
Every number is printed next to the raw render's (``reference``) where one is given.
Distribution metrics are computed on full frames and on 128 px crops around the animal
(synthetic: the mask's centroid; real: where the frame differs most from the median
frame, i.e. the moving animal).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from simgen.errors import SimgenError

CROP = 128  # px, native scale, around the animal


@dataclass
class DomainScore:
    kid: dict[str, tuple[float, float]]  # "cnn", "classic", "cnn_crop", "classic_crop" -> (mean, std)
    c2st: dict[str, float]  # "frame", "crop" -> held-out accuracy


@dataclass
class Score:
    dataset: DomainScore
    reference: DomainScore | None = None
    geometry: dict[str, float] = field(default_factory=dict)
    frames: int = 0
    real_frames: int = 0

    def to_json(self) -> dict:
        def dom(d: DomainScore | None):
            return None if d is None else {"kid": {k: {"mean": m, "std": s} for k, (m, s) in d.kid.items()},
                                           "c2st": dict(d.c2st)}
        return {"frames": self.frames, "real_frames": self.real_frames, "dataset": dom(self.dataset),
                "reference": dom(self.reference), "geometry": self.geometry}


def crops(images: list[np.ndarray], centers: list, size: int = CROP) -> list[np.ndarray]:
    """A ``size`` crop of each image around its centre (image centre when None), clipped inside."""
    out = []
    for im, c in zip(images, centers):
        h, w = im.shape[:2]
        size = min(size, h, w)
        cx, cy = c if c is not None else (w / 2, h / 2)
        x0 = int(np.clip(round(cx - size / 2), 0, w - size))
        y0 = int(np.clip(round(cy - size / 2), 0, h - size))
        out.append(im[y0:y0 + size, x0:x0 + size])
    return out


def _features(frames: list[np.ndarray], animal_crops: list[np.ndarray]) -> dict[str, np.ndarray]:
    from simgen.style.metrics import FEATURE_SETS, features

    out = {name: features(name, frames) for name in FEATURE_SETS}
    out.update({f"{name}_crop": features(name, animal_crops) for name in FEATURE_SETS})
    return out


def _domain(feats: dict[str, np.ndarray], real: dict[str, np.ndarray], seed: int) -> DomainScore:
    from simgen.style.metrics import FEATURE_SETS, c2st_accuracy, kid

    n = len(next(iter(feats.values())))
    size = max(2, min(100, n // 2, len(next(iter(real.values()))) // 2))
    kids = {name: kid(feats[name], real[name], np.random.default_rng([seed, i]), subset_size=size)
            for i, name in enumerate(feats)}
    c2st = {}
    for j, (label, suffix) in enumerate((("frame", ""), ("crop", "_crop"))):
        mine = np.concatenate([feats[n + suffix] for n in FEATURE_SETS], axis=1)
        theirs = np.concatenate([real[n + suffix] for n in FEATURE_SETS], axis=1)
        c2st[label] = c2st_accuracy(theirs, mine, np.random.default_rng([seed, 99, j]))
    return DomainScore(kids, c2st)


def score_dataset(dataset: Path | str, real: Path | str, reference: Path | str | None = None, n: int = 100,
                  n_real: int = 100, seed: int = 0, camera: str | None = None) -> Score:
    from simgen.dataset import Dataset
    from simgen.style.data import (
        animal_centers_from_masks,
        animal_centers_from_motion,
    )
    from simgen.style.metrics import flow_drift, silhouette_iou, ssim
    from simgen.video import even_indices, sample_frames

    ds = Dataset(dataset)
    cam = ds.meta.pick_camera(camera)
    frames = ds.frames()
    if len(frames) < 5:
        raise SimgenError(f"{dataset}: {len(frames)} complete frame(s); scoring needs at least 5")
    frames = [frames[i] for i in even_indices(len(frames), n)]
    real_frames = sample_frames(real, n_real, offset=0.5).images
    if len(real_frames) < 5:
        raise SimgenError(f"{real}: {len(real_frames)} frame(s); scoring needs at least 5")
    real_feats = _features(real_frames, crops(real_frames, animal_centers_from_motion(real_frames)))
    images = [ds.load_image(cam, f) for f in frames]
    animal = ds.meta.animal_id
    centers = animal_centers_from_masks([ds.load_mask(cam, f) for f in frames], animal)
    score = Score(_domain(_features(images, crops(images, centers)), real_feats, seed), frames=len(frames),
                  real_frames=len(real_frames))
    if reference is not None:
        ref = Dataset(reference)
        ref_frames = [f for f in frames if ref.is_complete(f)]
        if not ref_frames:
            raise SimgenError(f"{reference}: shares no frame with {dataset}")
        ref_images = [ref.load_image(cam, f) for f in ref_frames]
        ref_masks = [ref.load_mask(cam, f) for f in ref_frames]
        animal = ref.meta.animal_id
        ref_centers = animal_centers_from_masks(ref_masks, animal)
        score.reference = _domain(_features(ref_images, crops(ref_images, ref_centers)), real_feats, seed)
        drift, ious, ssims = [], [], []
        for f, raw, m in zip(ref_frames, ref_images, ref_masks):
            out = ds.load_image(cam, f)
            mask = m == animal
            ssims.append(ssim(raw, out))
            if mask.any():
                drift.append(flow_drift(raw, out, mask))
                ious.append(silhouette_iou(raw, out, mask))
        score.geometry = {"ssim_median": float(np.median(ssims)),
                          "flow_drift_median_px": float(np.median(drift)) if drift else float("nan"),
                          "flow_drift_p95_px": float(np.percentile(drift, 95)) if drift else float("nan"),
                          "silhouette_iou_median": float(np.median(ious)) if ious else float("nan"),
                          "silhouette_iou_min": float(np.min(ious)) if ious else float("nan"),
                          "frames": len(ref_frames)}
    return score
