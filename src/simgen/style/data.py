"""Images for style training and scoring: synthetic frames, native-scale crops, animal centres.

Real frames are read by ``simgen.video`` (a video or a folder of frames, sampled
evenly). Synthetic frames come from a simgen dataset with their masks. Crops are cut at
full resolution (never resized), so a network sees the animal at the size it has in the
frames it will be applied to; most crops are centred near the animal, because a crop of
empty floor teaches nothing about fur and a domain whose crops always hold a mouse
against one whose crops rarely do would teach the generator to paint mice.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from simgen.errors import SimgenError
from simgen.video import even_indices


@dataclass
class SyntheticFrames:
    frames: list[int]
    images: list[np.ndarray]  # RGB uint8
    masks: list[np.ndarray]  # uint8 ids
    camera: str
    animal_id: int


def load_synthetic(dataset_dir: Path | str, n: int | None = None, camera: str | None = None) -> SyntheticFrames:
    """Images and masks of ``n`` complete frames of a dataset, sampled evenly."""
    from simgen.dataset import Dataset

    ds = Dataset(dataset_dir)
    cam = ds.meta.pick_camera(camera)
    frames = ds.frames()
    if not frames:
        raise SimgenError(f"{dataset_dir}: the dataset has no complete frames")
    if n is not None:
        frames = [frames[i] for i in even_indices(len(frames), n)]
    frames = ds.sound_frames("used", frames)  # a frame verify calls corrupt is left out, with a warning
    if not frames:
        raise SimgenError(f"{dataset_dir}: none of the sampled frames is sound (see `simgen verify`)")
    images, masks = [], []
    for f in frames:
        images.append(ds.load_image(cam, f))
        if not ds.mask_path(cam, f).is_file():
            raise SimgenError(f"{ds.mask_path(cam, f)}: missing; style transfer needs the render's masks")
        masks.append(ds.load_mask(cam, f))
    return SyntheticFrames(frames, images, masks, cam, ds.meta.animal_id)


def is_mono(frames: list[np.ndarray], tol: float = 2.0) -> bool:
    """True when every frame's channels agree to within ``tol`` grey levels on average."""
    for f in frames:
        if f.ndim == 3 and f.shape[2] >= 3:
            a = f[..., :3].astype(np.int16)
            if np.abs(a[..., 0] - a[..., 1]).mean() > tol or np.abs(a[..., 1] - a[..., 2]).mean() > tol:
                return False
    return True


def to_gray(img: np.ndarray) -> np.ndarray:
    """Rec. 601 luma of an RGB image, float32 in the input's range."""
    if img.ndim == 2:
        return img.astype(np.float32)
    x = img[..., :3].astype(np.float32)
    return 0.299 * x[..., 0] + 0.587 * x[..., 1] + 0.114 * x[..., 2]


def animal_centers_from_masks(masks: list[np.ndarray], animal_id: int = 1) -> list[tuple[float, float] | None]:
    """(x, y) centroid of the animal in each mask, or None where it is not seen."""
    out: list[tuple[float, float] | None] = []
    for m in masks:
        ys, xs = np.nonzero(m == animal_id)
        out.append((float(xs.mean()), float(ys.mean())) if xs.size else None)
    return out


def animal_centers_from_motion(frames: list[np.ndarray]) -> list[tuple[float, float] | None]:
    """Where each real frame differs most from the median frame (the animal moves; the rig does not).

    Needs a handful of frames spread over a video; returns None for a frame that does
    not differ from the background anywhere (e.g. when fewer than 3 frames are given).
    """
    import cv2

    if len(frames) < 3:
        return [None] * len(frames)
    gray = np.stack([to_gray(f) for f in frames])
    background = np.median(gray, axis=0)
    out: list[tuple[float, float] | None] = []
    for g in gray:
        diff = cv2.GaussianBlur(np.abs(g - background), (0, 0), 8)
        if diff.max() < 10:  # grey levels; nothing moved here
            out.append(None)
            continue
        y, x = np.unravel_index(int(np.argmax(diff)), diff.shape)
        out.append((float(x), float(y)))
    return out


def crop_boxes(shape: tuple[int, int], centers: list[tuple[float, float] | None], size: int, n: int,
               rng: np.random.Generator, p_animal: float = 0.75, jitter: float | None = None
               ) -> list[tuple[int, int, int]]:
    """``n`` crops (image index, x0, y0) of ``size`` px: mostly around the animal, some anywhere."""
    h, w = shape
    if size > min(h, w):
        raise SimgenError(f"crop size {size} px is larger than the frames ({w}x{h})")
    jitter = size / 4 if jitter is None else jitter
    out = []
    for _ in range(n):
        i = int(rng.integers(len(centers)))
        c = centers[i]
        if c is not None and rng.random() < p_animal:
            cx, cy = c[0] + rng.normal(0, jitter), c[1] + rng.normal(0, jitter)
            x0, y0 = int(round(cx - size / 2)), int(round(cy - size / 2))
        else:
            x0, y0 = int(rng.integers(0, w - size + 1)), int(rng.integers(0, h - size + 1))
        out.append((i, int(np.clip(x0, 0, w - size)), int(np.clip(y0, 0, h - size))))
    return out
