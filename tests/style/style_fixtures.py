"""Tiny generated inputs for the style tests: a dataset of dark blobs on a light floor,
and "real" frames of the same scene with vignetting, noise and another tone curve."""

from __future__ import annotations

from pathlib import Path

import numpy as np

W, H = 96, 72


def blob_frame(rng: np.random.Generator, cx: float, cy: float, floor: float = 200.0, fur: float = 40.0,
               textured: bool = True) -> tuple[np.ndarray, np.ndarray]:
    """An RGB frame with a dark elliptical 'animal' (with a stripe pattern) and its mask."""
    yy, xx = np.mgrid[0:H, 0:W].astype(np.float32)
    ang = rng.uniform(0, np.pi)
    u = (xx - cx) * np.cos(ang) + (yy - cy) * np.sin(ang)
    v = -(xx - cx) * np.sin(ang) + (yy - cy) * np.cos(ang)
    inside = (u / 18.0) ** 2 + (v / 9.0) ** 2 <= 1.0
    img = np.full((H, W), floor, np.float32) + 6 * np.sin(xx / 5.0) * np.cos(yy / 7.0)
    body = fur + (25 * (np.sin(u / 1.7) > 0) if textured else 0)
    img = np.where(inside, body, img)
    rgb = np.stack([img * 1.0, img * 0.95, img * 0.9], axis=2)
    mask = np.where(inside, 1, 2).astype(np.uint8)
    return np.clip(rgb, 0, 255).astype(np.uint8), mask


def write_dataset(root: Path, n: int = 6, seed: int = 0) -> Path:
    from simgen.dataset import AnimalLabels, CameraInfo, CameraLabel, DatasetMeta, DatasetWriter, FrameAnnotation

    rng = np.random.default_rng(seed)
    meta = DatasetMeta(scene={"simgen": 1}, scene_sha256="0" * 64, seed=seed, frames=n,
                       keypoints=["snout", "tailbase"], cameras=[CameraInfo("top", W, H)],
                       mask_ids={"background": 0, "animal": 1, "arena": 2})
    w = DatasetWriter(root, meta)
    for f in range(n):
        cx, cy = rng.uniform(24, W - 24), rng.uniform(20, H - 20)
        rgb, mask = blob_frame(rng, cx, cy)
        w.write_image("top", f, rgb)
        w.write_mask("top", f, mask)
        kp = np.array([[cx + 10, cy, 2], [cx - 10, cy, 2]], float)
        label = CameraLabel(K=np.eye(3), R=np.eye(3), t=np.zeros(3), width=W, height=H, keypoints=kp,
                            bbox=np.array([cx - 12, cy - 12, cx + 12, cy + 12]))
        w.write_annotation(FrameAnnotation(f, {"frame": f, "note": "tiny"},
                                           [AnimalLabels(None, 0, np.zeros((2, 3)), {"top": label})]))
    return root


def write_real_folder(root: Path, n: int = 8, seed: int = 1) -> Path:
    """Mono 'real' frames: vignetting, a darker floor, a different fur level and sensor noise."""
    from PIL import Image

    rng = np.random.default_rng(seed)
    root.mkdir(parents=True, exist_ok=True)
    yy, xx = np.mgrid[0:H, 0:W].astype(np.float32)
    r2 = ((xx - W / 2) ** 2 + (yy - H / 2) ** 2) / ((W / 2) ** 2 + (H / 2) ** 2)
    for i in range(n):
        rgb, _ = blob_frame(rng, rng.uniform(24, W - 24), rng.uniform(20, H - 20), floor=170, fur=25)
        g = rgb.astype(np.float32).mean(axis=2) * np.exp(-0.5 * r2) + rng.normal(0, 3, (H, W))
        g = np.clip(g, 0, 255).astype(np.uint8)
        Image.fromarray(np.repeat(g[..., None], 3, axis=2)).save(root / f"real_{i:03d}.png")
    return root
