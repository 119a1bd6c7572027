"""COCO keypoints: ``OUT/annotations.json`` and ``OUT/images/<image>.png``.

Written by us, not sleap-io: sleap-io's COCO writer goes through SLEAP's one
visibility flag, so it can never write v=1 (occluded), and it derives the bbox from
the keypoints; we keep simgen's three levels and the animal's mask.

Coordinates: COCO mixes two conventions, and so do we.
- ``keypoints`` are pixel indices (Detectron2 adds 0.5 when it loads them), i.e.
  simgen's convention: pixel centers at integer coordinates, origin at the center of
  the top-left pixel; written unchanged.
- ``bbox`` and ``segmentation`` are continuous: pixel (i, j) covers [i, i+1] x
  [j, j+1], the image spans [0, W] x [0, H]. A box from the mask is
  ``[x0, y0, x1 + 1 - x0, y1 + 1 - y0]`` over the mask's pixel indices (in simgen's
  coordinates its edges are x0 - 0.5 and x1 + 0.5, hence the +0.5 shift of a simgen
  box), clipped to the image.

Per image, one annotation for the animal when at least one of its pixels is in view
(else none: the image stays as a background image), with ``iscrowd`` 0, ``area`` the
mask's pixel count, and ``segmentation`` the mask as compressed RLE (pycocotools'
string encoding, written by ``rle_encode`` below without needing pycocotools). A
dataset without masks falls back to its bbox (else the labeled keypoints' extent):
``area`` is then the box area, ``segmentation`` the box as a polygon, and "in view"
means a labeled keypoint or a bbox.

Visibility: v=2 visible, v=1 occluded (labeled, not visible; COCO's own convention,
and ``OCCLUDED_DEFAULT = "keep"``), v=0 not labeled with x=y=0: keypoints outside
the image, and occluded ones with ``--occluded drop``. ``file_name`` is relative to
the JSON's folder. One category (the animal) with 1-based skeleton indices.

Several animals: per image, one annotation per animal in view (its own mask id, box,
area and keypoints, as above), with ``track_id`` the animal's track + 1 (1-based like
COCO's other ids, and as PoseTrack and sleap-io's COCO reader use it: that reader takes
a ``track_id`` of 0 for none) and ``attributes: {"name": <animal>, "track": <track>}``
(CVAT's place for extra fields; ``track`` is dataset.json's 0-based index). Every animal
is the one category.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from simgen.dataset.writer import atomic_write_text
from simgen.export.dlc import copy_images, image_names
from simgen.export.labels import AnimalsLabels, PoseLabels, labels_for_export

OCCLUDED_DEFAULT = "keep"  # COCO's v=1 is "labeled but not visible"
PIXEL_EDGE_SHIFT = 0.5  # simgen pixel-center coordinates -> COCO's continuous ones


def rle_counts(mask: np.ndarray) -> list[int]:
    """Run lengths of a binary mask in COCO's order (column-major), starting with zeros."""
    flat = np.asarray(mask, bool).ravel(order="F")
    change = np.flatnonzero(flat[1:] != flat[:-1]) + 1
    bounds = np.r_[0, change, flat.size]
    counts = np.diff(bounds).tolist()
    return ([0] + counts) if flat.size and flat[0] else counts


def rle_string(counts: list[int]) -> str:
    """pycocotools' compressed RLE string (``rleToString`` in maskApi.c)."""
    out = []
    for i, n in enumerate(counts):
        x = n - counts[i - 2] if i > 2 else n
        more = True
        while more:
            c = x & 0x1F
            x >>= 5
            more = x != -1 if c & 0x10 else x != 0
            if more:
                c |= 0x20
            out.append(chr(c + 48))
    return "".join(out)


def rle_encode(mask: np.ndarray) -> dict:
    """COCO compressed RLE ``{"size": [h, w], "counts": str}`` of a binary mask."""
    h, w = np.asarray(mask).shape
    return {"size": [int(h), int(w)], "counts": rle_string(rle_counts(mask))}


def mask_box(mask: np.ndarray) -> list[float] | None:
    """COCO [x, y, w, h] of the mask's pixels (continuous coordinates), or None if empty."""
    ys, xs = np.nonzero(mask)
    if xs.size == 0:
        return None
    return [float(xs.min()), float(ys.min()), float(xs.max() + 1 - xs.min()), float(ys.max() + 1 - ys.min())]


def simgen_box(box: np.ndarray, width: int, height: int) -> list[float] | None:
    """COCO [x, y, w, h] of a simgen [x0, y0, x1, y1] box, shifted to pixel edges and clipped."""
    if not np.isfinite(box).all():
        return None
    x0, y0, x1, y1 = (float(v) + PIXEL_EDGE_SHIFT for v in box)
    x0, x1 = np.clip([x0, x1], 0.0, width)
    y0, y1 = np.clip([y0, y1], 0.0, height)
    return [float(x0), float(y0), float(x1 - x0), float(y1 - y0)]


def _box_polygon(bbox: list[float]) -> list[list[float]]:
    x, y, w, h = bbox
    return [[x, y, x + w, y, x + w, y + h, x, y + h]]


def annotation(labels: PoseLabels, i: int, fallback_box: np.ndarray) -> dict | None:
    """The animal's annotation in image i, or None when no pixel of it is in view."""
    w, h = labels.size(i)
    kp = labels.xyv[i].copy()
    kp[kp[:, 2] == 0] = 0.0
    mask = labels.load_mask(i)
    if mask is not None:
        bbox = mask_box(mask)
        if bbox is None:
            return None
        area, segmentation = float(mask.sum()), rle_encode(mask)
    else:
        box = labels.bboxes[i] if labels.bboxes is not None else np.full(4, np.nan)
        bbox = simgen_box(box if np.isfinite(box).all() else fallback_box, w, h)
        if bbox is None:
            return None
        area, segmentation = bbox[2] * bbox[3], _box_polygon(bbox)
    return {
        "image_id": i + 1,
        "category_id": 1,
        "keypoints": [float(x) if j % 3 < 2 else int(x) for j, x in enumerate(kp.reshape(-1))],
        "num_keypoints": int((kp[:, 2] > 0).sum()),
        "bbox": bbox,
        "area": area,
        "segmentation": segmentation,
        "iscrowd": 0,
    }


def coco_dict(labels: PoseLabels | AnimalsLabels, file_names: list[str], category: str = "mouse") -> dict:
    group = labels if isinstance(labels, AnimalsLabels) else None
    animals = group.animals if group else [labels]
    first = animals[0]
    idx = {n: i + 1 for i, n in enumerate(first.keypoints)}
    fallbacks = [a.keypoint_bboxes() for a in animals]
    images, anns = [], []
    for i in range(len(first)):
        w, h = first.size(i)
        images.append({"id": i + 1, "file_name": file_names[i], "width": int(w), "height": int(h)})
        for track, (animal, fallback) in enumerate(zip(animals, fallbacks, strict=True)):
            ann = annotation(animal, i, fallback[i])
            if ann is None:
                continue
            if group:
                ann |= {"track_id": track + 1, "attributes": {"name": group.names[track], "track": track}}
            anns.append({"id": len(anns) + 1, **ann})
    return {
        "info": {"description": f"simgen export of {first.source}", "version": "1.0"},
        "licenses": [],
        "images": images,
        "annotations": anns,
        "categories": [{
            "id": 1,
            "name": category,
            "supercategory": "animal",
            "keypoints": list(first.keypoints),
            "skeleton": [[idx[a], idx[b]] for a, b in first.skeleton],
        }],
    }


def write_coco(labels: PoseLabels | AnimalsLabels, out: Path) -> Path:
    out = Path(out)
    first = labels.first if isinstance(labels, AnimalsLabels) else labels
    names = image_names(first)
    copy_images(first, out / "images", names)
    path = out / "annotations.json"
    atomic_write_text(path, json.dumps(coco_dict(labels, [f"images/{n}" for n in names]), indent=1) + "\n")
    return path


def export(dataset, out: Path, *, camera=None, keypoint_set=None, occluded=None) -> Path:
    return write_coco(labels_for_export(dataset, camera, keypoint_set, occluded or OCCLUDED_DEFAULT), out)
