"""Ultralytics YOLO pose: ``OUT/data.yaml``, ``OUT/train/images/*.png``, ``OUT/train/labels/*.txt``.

Written by us, not sleap-io: sleap-io's writer prints 6 decimals of normalized
coordinates (up to 3e-4 px error at 640 px), writes v=2 for every labeled point
(no occluded), boxes the keypoints rather than the animal, and splits frames at
random. We write 9 decimals, keep v, and put every frame in ``train`` (``val``
points at the same folder; export a second dataset for a real validation split).

Coordinates: Ultralytics normalizes continuous image coordinates whose origin is the
top-left *corner* of the image (it flips with ``w - x``), so a simgen pixel-center
coordinate x is written as ``(x + 0.5) / width`` (same for y with height).
Each line: ``0 xc yc w h x1 y1 v1 ...``; v 2 visible, 1 occluded (kept by default), 0 not labeled
with x=y=0 (outside the image, or occluded with ``--occluded drop``). An image with
no labeled keypoint gets an empty label file (a background image).

Several animals: one line per animal in view (some keypoint labeled), in the dataset's
animal order, each with its own box (its mask's; else its keypoints'), all of class 0.
YOLO-pose has no identities, so the animals' names and tracks are not written.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from simgen.export.dlc import copy_images, image_names
from simgen.export.labels import AnimalsLabels, PoseLabels, labels_for_export

PIXEL_CENTER_SHIFT = 0.5  # simgen pixel-center coordinates -> corner-origin coordinates


def label_line(xyv: np.ndarray, box: np.ndarray, width: int, height: int, class_id: int = 0) -> str:
    x0, y0, x1, y1 = box
    xc = ((x0 + x1) / 2 + PIXEL_CENTER_SHIFT) / width
    yc = ((y0 + y1) / 2 + PIXEL_CENTER_SHIFT) / height
    parts = [str(class_id), *(f"{v:.9f}" for v in (xc, yc, (x1 - x0) / width, (y1 - y0) / height))]
    for x, y, v in xyv:
        if v > 0:
            parts += [f"{(x + PIXEL_CENTER_SHIFT) / width:.9f}", f"{(y + PIXEL_CENTER_SHIFT) / height:.9f}", str(int(v))]
        else:
            parts += ["0.000000000", "0.000000000", "0"]
    return " ".join(parts)


def write_yolo(labels: PoseLabels | AnimalsLabels, out: Path, class_name: str = "mouse") -> Path:
    import yaml

    out = Path(out)
    animals = labels.animals if isinstance(labels, AnimalsLabels) else [labels]
    labels = animals[0]  # images, sizes, keypoint names: shared by all animals
    names = image_names(labels)
    copy_images(labels, out / "train" / "images", names)
    label_dir = out / "train" / "labels"
    label_dir.mkdir(parents=True, exist_ok=True)
    per_animal = []
    for lab in animals:
        boxes = lab.bboxes if lab.bboxes is not None else np.full((len(lab), 4), np.nan)
        per_animal.append(np.where(np.isfinite(boxes).all(axis=1, keepdims=True), boxes, lab.keypoint_bboxes()))
    for i, name in enumerate(names):
        w, h = labels.size(i)
        lines = [label_line(lab.xyv[i], box[i], w, h) for lab, box in zip(animals, per_animal)
                 if (lab.xyv[i, :, 2] > 0).any() and np.isfinite(box[i]).all()]
        (label_dir / name).with_suffix(".txt").write_text("".join(line + "\n" for line in lines))
    index = {n: i for i, n in enumerate(labels.keypoints)}
    flip = list(range(len(labels.keypoints)))
    for a, b in labels.swap_pairs:
        flip[index[a]], flip[index[b]] = index[b], index[a]
    data = {
        "path": str(out.resolve()),
        "train": "train/images",
        "val": "train/images",
        "kpt_shape": [len(labels.keypoints), 3],
        "flip_idx": flip,
        "names": {0: class_name},
        "kpt_names": {0: list(labels.keypoints)},  # Ultralytics' key for keypoint names
        "node_names": list(labels.keypoints),  # sleap-io's key for the same
        "skeleton": [[index[a], index[b]] for a, b in labels.skeleton],
    }
    path = out / "data.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    return path


def read_yolo_labels(path: Path, width: int, height: int, num_keypoints: int) -> np.ndarray:
    """(K, 3) x, y, v of a label file's first instance, in simgen pixel coordinates."""
    got = read_yolo_instances(path, width, height, num_keypoints)
    if len(got):
        return got[0]
    out = np.full((num_keypoints, 3), np.nan)
    out[:, 2] = 0
    return out


def read_yolo_instances(path: Path, width: int, height: int, num_keypoints: int) -> np.ndarray:
    """(A, K, 3) x, y, v of every instance (line) of a label file, in simgen pixel coordinates."""
    rows = []
    for line in Path(path).read_text().splitlines():
        if not line.split():
            continue
        kp = np.asarray(line.split()[5 : 5 + 3 * num_keypoints], dtype=float).reshape(num_keypoints, 3)
        out = np.full((num_keypoints, 3), np.nan)
        out[:, 2] = 0
        lab = kp[:, 2] > 0
        out[lab, 0] = kp[lab, 0] * width - PIXEL_CENTER_SHIFT
        out[lab, 1] = kp[lab, 1] * height - PIXEL_CENTER_SHIFT
        out[lab, 2] = kp[lab, 2]
        rows.append(out)
    return np.stack(rows) if rows else np.zeros((0, num_keypoints, 3))


OCCLUDED_DEFAULT = "keep"


def export(dataset, out: Path, *, camera=None, keypoint_set=None, occluded=None) -> Path:
    return write_yolo(labels_for_export(dataset, camera, keypoint_set, occluded or OCCLUDED_DEFAULT), out)
