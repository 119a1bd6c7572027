"""Builds a tiny two-camera simgen dataset with known labels, built without rendering.

Keypoints are the default mouse's names, placed in 3-D and projected through two
OpenCV cameras, so 2-D labels, K, R and t agree exactly. Per frame: most keypoints
visible, a few marked occluded, and ``tail_tip`` outside camera ``top``'s image.
The animal's mask is the rectangle spanning all its projected keypoints, clipped to
the image (so it touches the border where ``tail_tip`` leaves it); the annotation's
bbox comes from the mask as ``render`` computes it. Frames in ``out_of_view`` put
the whole animal outside every camera (no keypoint, empty mask, no bbox).

``build_multi_dataset`` does the same for several animals (``simgen-dataset/1.1``): each
animal in its own part of the view with its own mask id, ``instances`` in dataset.json's
order; ``out_of_view`` then maps a frame to the animals that are outside every camera.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from simgen.contract import mask_ids
from simgen.dataset import (
    DATASET_FORMAT_MULTI,
    CameraInfo,
    CameraLabel,
    DatasetMeta,
    DatasetWriter,
    FrameAnnotation,
)
from simgen.dataset.annotation import AnimalLabels
from simgen.render.project import mask_bbox

MOUSE_KEYPOINTS = (
    "snout left_eye right_eye left_ear_base left_ear_tip right_ear_base right_ear_tip head neck "
    "withers mid_back lower_back tail_base tail_q1 tail_mid tail_q3 tail_tip left_shoulder "
    "right_shoulder left_elbow right_elbow left_wrist right_wrist left_forepaw right_forepaw "
    "left_hip right_hip left_knee right_knee left_ankle right_ankle left_hindpaw right_hindpaw"
).split()

SKELETON = [("snout", "head"), ("head", "neck"), ("neck", "tail_base"), ("tail_base", "tail_tip")]
SWAPS = [("left_ear_base", "right_ear_base"), ("left_ear_tip", "right_ear_tip")]
FRAMES = 4


def look_at(position, target, up=(0.0, 0.0, 1.0)):
    """OpenCV R, t for a camera at ``position`` looking at ``target``."""
    position, target = np.asarray(position, float), np.asarray(target, float)
    z = target - position
    z /= np.linalg.norm(z)
    x = np.cross(z, up)
    if np.linalg.norm(x) < 1e-9:
        x = np.cross(z, (0.0, 1.0, 0.0))
    x /= np.linalg.norm(x)
    y = np.cross(z, x)
    R = np.stack([x, y, z])
    return R, -R @ position


CAMERAS = {
    # name: (width, height, focal px, position)
    "top": (64, 48, 60.0, (0.0, 0.0, 1.0)),
    "side": (80, 60, 90.0, (1.0, -0.2, 0.3)),
}


def project(K, R, t, X):
    xc = X @ R.T + t
    uv = xc @ K.T
    return uv[:, :2] / uv[:, 2:3]


def rect_mask(uv: np.ndarray, width: int, height: int) -> np.ndarray:
    """uint8 id mask: 1 on the pixels whose centers lie in the box of ``uv``, clipped."""
    x0, y0 = np.ceil(uv.min(axis=0)).astype(int)
    x1, y1 = np.floor(uv.max(axis=0)).astype(int)
    mask = np.zeros((height, width), np.uint8)
    mask[max(y0, 0): max(min(y1, height - 1) + 1, 0), max(x0, 0): max(min(x1, width - 1) + 1, 0)] = 1
    return mask


def build_dataset(root: Path, cameras=("top", "side"), frames: int = FRAMES, out_of_view=()) -> Path:
    rng = np.random.default_rng(7)
    meta = DatasetMeta(
        scene={"note": "test fixture"},
        scene_sha256="0" * 64,
        seed=7,
        frames=frames,
        keypoints=list(MOUSE_KEYPOINTS),
        cameras=[CameraInfo(c, CAMERAS[c][0], CAMERAS[c][1]) for c in cameras],
        skeleton=SKELETON,
        swap_pairs=SWAPS,
    )
    writer = DatasetWriter(root, meta)
    n = len(MOUSE_KEYPOINTS)
    tail_tip = MOUSE_KEYPOINTS.index("tail_tip")
    for f in range(frames):
        X = rng.uniform(-0.12, 0.12, size=(n, 3)) * (1, 1, 0.3) + (0, 0, 0.03)
        X[tail_tip] = (0.9, 0.1, 0.02)  # far outside the top camera's view
        if f in out_of_view:
            X += (5.0, 5.0, 0.0)  # the whole animal far outside every camera's view
        labels = {}
        for c in cameras:
            w, h, fpx, pos = CAMERAS[c]
            K = np.array([[fpx, 0, (w - 1) / 2], [0, fpx * 1.01, (h - 1) / 2], [0, 0, 1.0]])
            R, t = look_at(pos, (0, 0, 0.03))
            uv = project(K, R, t, X)
            inside = (uv[:, 0] >= -0.5) & (uv[:, 0] <= w - 0.5) & (uv[:, 1] >= -0.5) & (uv[:, 1] <= h - 0.5)
            assert not (f in out_of_view and inside.any()), f"camera {c} sees the out-of-view frame"
            v = np.where(inside, 2, 0)
            occ = (np.arange(n) + f) % 5 == 1  # a known, frame-dependent occlusion pattern
            v[occ & inside] = 1
            kp = np.column_stack([uv, v])
            mask = rect_mask(uv, w, h)
            writer.write_mask(c, f, mask)
            bbox = mask_bbox(mask, 1)
            labels[c] = CameraLabel(K=K, R=R, t=t, width=w, height=h, keypoints=kp, bbox=bbox)
            img = rng.integers(0, 256, size=(h, w, 3), dtype=np.uint8)
            writer.write_image(c, f, img)
        writer.write_annotation(FrameAnnotation(frame=f, params={"frame": f}, animals=[AnimalLabels(None, 0, X, labels)]))
    return root


ANIMALS = ("mouse0", "mouse1", "mouse2")
ANIMAL_X = (-0.3, 0.0, 0.3)  # each animal's center along world x: apart in both cameras' views


def build_multi_dataset(root: Path, cameras=("top", "side"), frames: int = FRAMES, animals=ANIMALS,
                        out_of_view: dict[int, tuple[int, ...]] | None = None) -> Path:
    """Several animals, labels known exactly; masks are rectangles over each animal's keypoints
    inside the image (so they do not overlap), with ids 1..A."""
    rng = np.random.default_rng(11)
    out_of_view = out_of_view or {}
    names = list(animals)
    meta = DatasetMeta(
        scene={"note": "test fixture, several animals"},
        scene_sha256="1" * 64,
        seed=11,
        frames=frames,
        keypoints=list(MOUSE_KEYPOINTS),
        cameras=[CameraInfo(c, CAMERAS[c][0], CAMERAS[c][1]) for c in cameras],
        skeleton=SKELETON,
        swap_pairs=SWAPS,
        mask_ids=mask_ids(["arena"], names),
        format=DATASET_FORMAT_MULTI,
        animals=[{"name": n, "asset": "mouse"} for n in names],
    )
    writer = DatasetWriter(root, meta)
    n = len(MOUSE_KEYPOINTS)
    for f in range(frames):
        Xs = []
        for a in range(len(names)):
            X = rng.uniform(-0.05, 0.05, size=(n, 3)) * (1, 1, 0.3) + (ANIMAL_X[a % 3], 0.05 * (a // 3), 0.03)
            X[MOUSE_KEYPOINTS.index("tail_tip")] = (0.9, 0.1 + 0.05 * a, 0.02)  # outside camera top's view
            if a in out_of_view.get(f, ()):
                X += (5.0, 5.0, 0.0)
            Xs.append(X)
        cams, per_animal = {}, [dict() for _ in names]
        for c in cameras:
            w, h, fpx, pos = CAMERAS[c]
            K = np.array([[fpx, 0, (w - 1) / 2], [0, fpx * 1.01, (h - 1) / 2], [0, 0, 1.0]])
            R, t = look_at(pos, (0, 0, 0.03))
            cams[c] = CameraLabel(K=K, R=R, t=t, width=w, height=h, keypoints=np.zeros((0, 3)))
            mask = np.zeros((h, w), np.uint8)
            for a, X in enumerate(Xs):
                uv = project(K, R, t, X)
                inside = (uv[:, 0] >= -0.5) & (uv[:, 0] <= w - 0.5) & (uv[:, 1] >= -0.5) & (uv[:, 1] <= h - 0.5)
                v = np.where(inside, 2, 0)
                v[((np.arange(n) + f + a) % 5 == 1) & inside] = 1
                if inside.any():
                    mask[rect_mask(uv[inside], w, h) > 0] = a + 1
                per_animal[a][c] = np.column_stack([uv, v])
            writer.write_mask(c, f, mask)
            writer.write_image(c, f, rng.integers(0, 256, size=(h, w, 3), dtype=np.uint8))
            for a in range(len(names)):
                per_animal[a][c] = cams[c].with_labels(per_animal[a][c], mask_bbox(mask, a + 1))
        animals = [AnimalLabels(nm, a, Xs[a], per_animal[a]) for a, nm in enumerate(names)]
        writer.write_annotation(FrameAnnotation(frame=f, params={"frame": f}, animals=animals))
    return root


def expected_multi_labels(root: Path, camera: str, occluded: str = "keep", mapping: dict | None = None):
    """(animal names, (N, A, K, 3) x, y, v) from the annotation JSON files' ``instances``, with
    the export semantics of ``expected_labels``."""
    import json

    names = list(MOUSE_KEYPOINTS)
    mapping = mapping or {n: [n] for n in names}
    rows, animals = [], None
    for path in sorted((root / "annotations").glob("*.json")):
        instances = json.loads(path.read_text())["instances"]
        animals = [i["name"] for i in instances]
        frame = []
        for inst in instances:
            kp = np.asarray(inst["cameras"][camera]["keypoints"], float)
            frame.append([[kp[[names.index(s) for s in srcs], 0].mean(), kp[[names.index(s) for s in srcs], 1].mean(),
                           kp[[names.index(s) for s in srcs], 2].min()] for srcs in mapping.values()])
        rows.append(frame)
    xyv = np.asarray(rows, float)
    if occluded == "drop":
        xyv[xyv[..., 2] == 1] = (np.nan, np.nan, 0)
    xyv[xyv[..., 2] == 0] = (np.nan, np.nan, 0)
    return animals, xyv


OPENFIELD = {
    "snout": ["snout"],
    "leftear": ["left_ear_base", "left_ear_tip"],
    "rightear": ["right_ear_base", "right_ear_tip"],
    "tailbase": ["tail_base"],
}


def expected_labels(root: Path, camera: str, occluded: str = "keep", mapping: dict | None = None):
    """(names, (N, K, 3) x, y, v) straight from the annotation JSON files, with the
    export semantics: v=0 -> NaN; ``drop`` turns v=1 into v=0/NaN; a mapped keypoint is
    the mean of its sources with the min of their v."""
    import json

    names = list(MOUSE_KEYPOINTS)
    mapping = mapping or {n: [n] for n in names}
    rows = []
    for path in sorted((root / "annotations").glob("*.json")):
        kp = np.asarray(json.loads(path.read_text())["cameras"][camera]["keypoints"], float)
        out = []
        for srcs in mapping.values():
            ix = [names.index(s) for s in srcs]
            out.append([kp[ix, 0].mean(), kp[ix, 1].mean(), kp[ix, 2].min()])
        rows.append(out)
    xyv = np.asarray(rows, float)
    if occluded == "drop":
        xyv[xyv[..., 2] == 1] = (np.nan, np.nan, 0)
    xyv[xyv[..., 2] == 0] = (np.nan, np.nan, 0)
    return list(mapping), xyv


def assert_xy_equal(actual, expected, tol=1e-4):
    """Same coordinates within ``tol`` px, and NaN exactly where expected."""
    actual, expected = np.asarray(actual, float), np.asarray(expected, float)
    assert actual.shape == expected.shape
    np.testing.assert_array_equal(np.isnan(actual), np.isnan(expected))
    ok = ~np.isnan(expected)
    assert np.abs(actual[ok] - expected[ok]).max(initial=0.0) <= tol
