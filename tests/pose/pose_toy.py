"""Toy pose data: colored blobs at known points, written as a DeepLabCut project.

A plain module (not conftest) so test files can import it by a unique name.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

TOY_NAMES = ["red", "green", "blue"]
TOY_COLORS = [(230, 40, 40), (40, 220, 40), (60, 60, 240)]


def make_toy_images(n: int, rng: np.random.Generator, size=(128, 96)) -> tuple[list[np.ndarray], np.ndarray]:
    """n RGB images with one anti-aliased ellipse per keypoint at a sub-pixel center."""
    import cv2

    w, h = size
    images, pts = [], np.zeros((n, len(TOY_NAMES), 2))
    for i in range(n):
        img = np.full((h, w, 3), rng.integers(40, 90), np.uint8)
        img = np.clip(img + rng.normal(0, 6, img.shape), 0, 255).astype(np.uint8)
        for k, color in enumerate(TOY_COLORS):
            c = rng.uniform([10, 10], [w - 11, h - 11])
            pts[i, k] = c
            axes = rng.uniform(3, 6, 2)
            sh = 4  # cv2 fixed-point shift: centers to 1/16 px
            cv2.ellipse(img, (int(round(c[0] * 16)), int(round(c[1] * 16))),
                        (int(round(axes[0] * 16)), int(round(axes[1] * 16))), float(rng.uniform(0, 180)),
                        0, 360, color, -1, cv2.LINE_AA, sh)
        images.append(img)
    return images, pts


def save_toy_images(root: Path, images: list[np.ndarray]) -> tuple[Path, list[str]]:
    """``images`` as ``root/labeled-data/toy/img<i>.png``: (that folder, the DeepLabCut row index)."""
    from PIL import Image

    folder = root / "labeled-data" / "toy"
    folder.mkdir(parents=True)
    index = []
    for i, img in enumerate(images):
        Image.fromarray(img).save(folder / f"img{i:04d}.png")
        index.append(f"labeled-data/toy/img{i:04d}.png")
    return folder, index


def write_dlc_project(root: Path, images: list[np.ndarray], pts: np.ndarray, names=TOY_NAMES) -> Path:
    """A minimal DeepLabCut project: labeled-data/toy/CollectedData_toy.csv + PNGs."""
    import pandas as pd

    folder, index = save_toy_images(root, images)
    cols = pd.MultiIndex.from_product([["toy"], names, ["x", "y"]], names=["scorer", "bodyparts", "coords"])
    pd.DataFrame(pts.reshape(len(pts), -1), columns=cols, index=index).to_csv(folder / "CollectedData_toy.csv")
    (root / "config.yaml").write_text("scorer: toy\nbodyparts: [%s]\nskeleton: []\n" % ", ".join(names))
    return root
