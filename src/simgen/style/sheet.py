"""The raw | translated | real sheet each model saves: full frames, then native-scale crops."""

from __future__ import annotations

from pathlib import Path

import numpy as np

TILE = (320, 240)  # w, h of a full-frame tile
CROP = 160  # native-scale crop (px), shown at 240 px


def _crop(img: np.ndarray, center: tuple[float, float] | None) -> np.ndarray:
    h, w = img.shape[:2]
    size = min(CROP, h, w)
    cx, cy = center if center is not None else (w / 2, h / 2)
    x0 = int(np.clip(round(cx - size / 2), 0, w - size))
    y0 = int(np.clip(round(cy - size / 2), 0, h - size))
    return img[y0:y0 + size, x0:x0 + size]


def make_sheet(raw: list[np.ndarray], translated: list[np.ndarray], real: list[np.ndarray],
               raw_centers: list, real_centers: list, path: Path | str) -> Path:
    """One row per frame: raw, translated, real (full frames), then the same three cropped
    around the animal at native resolution (the translated crop is the raw crop's)."""
    import cv2
    from PIL import Image

    rows = []
    for r, t, q, rc, qc in zip(raw, translated, real, raw_centers, real_centers):
        full = [cv2.resize(x[..., :3], TILE, interpolation=cv2.INTER_AREA) for x in (r, t, q)]
        crops = [cv2.resize(_crop(x[..., :3], c), (TILE[1], TILE[1]), interpolation=cv2.INTER_NEAREST)
                 for x, c in ((r, rc), (t, rc), (q, qc))]
        gap = np.full((TILE[1], 4, 3), 255, np.uint8)
        rows.append(np.concatenate([full[0], gap, full[1], gap, full[2], gap * 0, crops[0], gap, crops[1], gap,
                                    crops[2]], axis=1))
    sheet = np.concatenate([np.concatenate([row, np.full((4, row.shape[1], 3), 255, np.uint8)]) for row in rows])
    from simgen.dataset.writer import atomic_write

    path = Path(path)
    with atomic_write(path, suffix=path.suffix) as tmp:  # whole or none; errors name the file
        Image.fromarray(sheet).save(tmp)
    return path
