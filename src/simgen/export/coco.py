"""COCO keypoints: ``OUT/annotations.json`` and ``OUT/images/<image>.png``.

Written by us, not sleap-io: sleap-io's COCO writer goes through SLEAP's one
visibility flag, so it can never write v=1 (occluded), and it derives the bbox from
the keypoints; we keep simgen's three levels and the animal's bounding box.

Coordinates: COCO keypoints are pixel indices (Detectron2 adds 0.5 when it loads
them), i.e. simgen's convention: pixel centers at integer coordinates, origin at the
center of the top-left pixel; written unchanged. Visibility: v=2 visible, v=1
occluded (labeled, not visible), v=0 not labeled with x=y=0: keypoints outside the
image, and occluded ones with ``--occluded drop``. ``bbox`` is [x, y, w, h] from the
dataset's bbox (else the labeled keypoints' extent); ``file_name`` is relative to
the JSON's folder. One category (the animal) with 1-based skeleton indices.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from simgen.export.dlc import copy_images, image_names
from simgen.export.labels import PoseLabels, from_dataset


def coco_dict(labels: PoseLabels, file_names: list[str], category: str = "mouse") -> dict:
    idx = {n: i + 1 for i, n in enumerate(labels.keypoints)}
    boxes = labels.bboxes if labels.bboxes is not None else np.full((len(labels), 4), np.nan)
    fallback = labels.keypoint_bboxes()
    images, anns = [], []
    for i in range(len(labels)):
        w, h = labels.size(i)
        images.append({"id": i + 1, "file_name": file_names[i], "width": int(w), "height": int(h)})
        kp = labels.xyv[i].copy()
        kp[kp[:, 2] == 0] = 0.0
        box = boxes[i] if np.isfinite(boxes[i]).all() else fallback[i]
        bbox = [0.0, 0.0, 0.0, 0.0] if not np.isfinite(box).all() else [
            float(box[0]), float(box[1]), float(box[2] - box[0]), float(box[3] - box[1])
        ]
        anns.append({
            "id": i + 1,
            "image_id": i + 1,
            "category_id": 1,
            "keypoints": [float(x) if j % 3 < 2 else int(x) for j, x in enumerate(kp.reshape(-1))],
            "num_keypoints": int((kp[:, 2] > 0).sum()),
            "bbox": bbox,
            "area": bbox[2] * bbox[3],
            "iscrowd": 0,
        })
    return {
        "info": {"description": f"simgen export of {labels.source}", "version": "1.0"},
        "licenses": [],
        "images": images,
        "annotations": anns,
        "categories": [{
            "id": 1,
            "name": category,
            "supercategory": "animal",
            "keypoints": list(labels.keypoints),
            "skeleton": [[idx[a], idx[b]] for a, b in labels.skeleton],
        }],
    }


def write_coco(labels: PoseLabels, out: Path) -> Path:
    out = Path(out)
    names = image_names(labels)
    copy_images(labels, out / "images", names)
    path = out / "annotations.json"
    path.write_text(json.dumps(coco_dict(labels, [f"images/{n}" for n in names]), indent=1) + "\n")
    return path


def export(dataset, out: Path, *, camera=None, keypoint_set=None, occluded="keep") -> Path:
    return write_coco(from_dataset(dataset, camera, keypoint_set, occluded), out)
