"""The animal's size in the video: body lengths from its foreground against the plate.

Per sampled frame, what differs from the frame's plate in the animal's polarity, opened
by a disk a body's width wide (``plates.body_px``: the tail, the ears and the bedding's
specks go, the body stays), split into blobs. Frames where the blobs are as many as the
animals (none merged, none missing) count; each blob that does not touch the image's
border gives one length: its extent along its main axis (the snout-to-rump line seen
from above). The distribution over frames is what the renders must match (issue 35).

The same bodies, eroded to their inner half-width (fur edges and shadows off), give the
animal's brightness: the median linear grey of their pixels over the sampled frames
(``body_linear``), which ``rig from-video`` matches the renders' to (``scene.Tone``).

``BODY_LENGTH_M`` is the same measure on the bundled mouse, rendered top-down with
scenes/openfield.yaml's poses and sizes (see its comment); with it, a video's median
length in pixels gives the floor's scale in metres per pixel when the arena's size is
not known.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

# Median body length (metres) of the bundled mouse, measured as above on 60 frames of
# scenes/openfield.yaml rendered at 640x480 (`simgen render scenes/openfield.yaml --frames 60
# --preset preview`, masks; pixels to metres at the floor through each frame's camera).
BODY_LENGTH_M = 0.0994  # p10-p90: 0.083-0.111 m (50 frames with the whole body in view)


@dataclass
class AnimalSizes:
    lengths_px: np.ndarray  # one per isolated animal body and frame
    frames_used: int  # frames whose blob count equalled the animals
    body_linear: float = float("nan")  # median linear grey (0..1) inside the eroded bodies

    @property
    def median_px(self) -> float:
        return float(np.median(self.lengths_px)) if len(self.lengths_px) else float("nan")

    def percentile_px(self, q: float) -> float:
        return float(np.percentile(self.lengths_px, q)) if len(self.lengths_px) else float("nan")


def blob_lengths(mask: np.ndarray, *, min_share: float = 0.4) -> list[float]:
    """Main-axis extents (px) of the blobs of ``mask`` at least ``min_share`` of the largest,
    leaving out those that touch the image's border."""
    import cv2

    h, w = mask.shape
    n, lab, stats, _ = cv2.connectedComponentsWithStats(mask.astype(np.uint8), connectivity=8)
    if n < 2:
        return []
    areas = stats[1:, cv2.CC_STAT_AREA]
    out = []
    for k in np.nonzero(areas >= min_share * areas.max())[0] + 1:
        x, y, bw, bh = stats[k, :4]
        if x <= 0 or y <= 0 or x + bw >= w or y + bh >= h:
            continue
        blob = (lab[y:y + bh, x:x + bw] == k).astype(np.uint8)
        length = _extent(blob)
        # the tail (and a leg or whisker shadow) off: an opening 0.4 of the body's width,
        # relative to the animal, so the measure does not depend on the image's size
        d = max(3, int(round(0.4 * areas[k - 1] / length)) | 1)
        opened = cv2.morphologyEx(np.pad(blob, d), cv2.MORPH_OPEN, cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (d, d)))
        m, lab2, st2, _ = cv2.connectedComponentsWithStats(opened, connectivity=8)
        if m > 1:
            out.append(_extent(lab2 == 1 + int(np.argmax(st2[1:, cv2.CC_STAT_AREA]))))
    return out


def _extent(blob: np.ndarray) -> float:
    """A blob's extent (px) along its main axis."""
    ys, xs = np.nonzero(blob)
    pts = np.stack([xs, ys], 1).astype(float)
    pts -= pts.mean(axis=0)
    proj = pts @ np.linalg.svd(pts, full_matrices=False)[2][0]
    return float(proj.max() - proj.min() + 1)


def body_masks(frames: np.ndarray, plate: np.ndarray, polarity: str, *, threshold: float = 40.0) -> np.ndarray:
    """(N, H, W) bool: each frame's animal bodies (see the module docstring)."""
    from simgen.rig.plates import blobs, body_px, grey_of

    grey = grey_of(frames)
    h, w = grey.shape[1:]
    sign = -1.0 if polarity == "dark" else 1.0
    p = grey_of(plate[None].astype(np.float32))[0]
    import cv2

    sigma = max(1.0, min(h, w) / 150)  # a pellet's size: fur against the gaps between pellets differs little
    return np.stack([blobs(cv2.GaussianBlur(sign * (g - p), (0, 0), sigma), threshold, max(4, (h * w) // 5000),
                           body_px(h, w)) for g in grey])


def inner_pixels(image: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """Linear grey (0..1) of ``image``'s (8-bit sRGB, grey or RGB) pixels inside ``mask``
    eroded by a quarter of its blobs' mean width (its fur edges and shadows off)."""
    import cv2

    from simgen.imageops import srgb_to_linear

    m = mask.astype(np.uint8)
    if not m.any():
        return np.zeros(0)
    lengths = blob_lengths(m, min_share=0.0) or [_extent(m)]
    width = m.sum() / max(1.0, float(np.sum(lengths)))
    d = max(3, int(round(0.5 * width)) | 1)
    inner = cv2.erode(m, cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (d, d))).astype(bool)
    grey = image.astype(float).mean(axis=-1) if image.ndim == 3 else image.astype(float)
    return srgb_to_linear(grey[inner] / 255.0)


def measure(frames: np.ndarray, indices: np.ndarray, plate_set, animals: int) -> AnimalSizes:
    """Body lengths and brightness over the sampled ``frames`` (RGB, at video ``indices``),
    each against its plate."""
    import cv2

    lengths, used, inside = [], 0, []
    for f, i in zip(frames, indices):
        plate = plate_set.plates[plate_set.plate_for(int(i))]
        m = body_masks(f[None], plate, plate_set.polarity)[0]
        inside.append(inner_pixels(f, m))
        _, _, stats, _ = cv2.connectedComponentsWithStats(m.astype(np.uint8), connectivity=8)
        areas = stats[1:, cv2.CC_STAT_AREA]
        ls = blob_lengths(m)
        if len(areas) and int((areas >= 0.4 * areas.max()).sum()) == animals and ls:
            used += 1
            lengths.extend(ls)
    inside = np.concatenate(inside) if inside else np.zeros(0)
    return AnimalSizes(np.asarray(lengths, float), used, float(np.median(inside)) if len(inside) else float("nan"))


def rendered_lengths(dataset: Path, scale_px: float = 1.0) -> np.ndarray:
    """Body lengths (px, times ``scale_px``) of each animal in each frame of a rendered
    dataset, measured on its exact mask (each animal's id alone, from dataset.json, so
    touching animals are measured apart), the same way as in the video."""
    from simgen.dataset import Dataset

    ds = Dataset(dataset)
    out = []
    for cam in ds.meta.camera_names:
        for f in ds.frames():
            m = ds.load_mask(cam, f)
            for k in ds.meta.animal_ids:
                out.extend(blob_lengths(m == k, min_share=0.0)[:1])
    return np.asarray(out, float) * scale_px


def size_plot(path: Path, real: np.ndarray, rendered: np.ndarray) -> Path:
    """Histograms of the real and the rendered body lengths, with their medians."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(6, 3.2), dpi=100)
    bins = np.linspace(min(real.min(), rendered.min()), max(real.max(), rendered.max()), 30)
    for v, label, color in ((real, "video", "#0072B2"), (rendered, "renders", "#E69F00")):
        ax.hist(v, bins=bins, alpha=0.55, color=color, density=True,
                label=f"{label}: median {np.median(v):.0f} px, p90 {np.percentile(v, 90):.0f} (n={len(v)})")
        ax.axvline(np.median(v), color=color, lw=1.5)
    ax.set_xlabel("body length seen from above, snout to rump (px)")
    ax.set_yticks([])
    ax.legend(fontsize=8, loc="upper left")
    fig.tight_layout()
    from simgen.dataset.writer import atomic_write

    with atomic_write(path, suffix=Path(path).suffix) as tmp:  # whole or none; errors name the file
        fig.savefig(tmp)
    plt.close(fig)
    return path
