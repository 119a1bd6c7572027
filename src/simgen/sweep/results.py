"""From a sweep's stage folders to the analysis' inputs: per-frame predictions and labels
of every arm and seed, what each arm trained on, the mean training label position.

The evaluate stage writes ``report/points.npz`` (predictions and the labels they were
scored against); stages from before it existed are read back from ``predictions.csv``
and the labeled data.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from simgen.errors import SimgenError
from simgen.sweep.analysis import ArmData, distances
from simgen.sweep.runner import POINTS, ArmRun
from simgen.sweep.spec import Sweep


@dataclass
class RealLabels:
    """The real labeled frames every arm was evaluated on."""

    gt: np.ndarray  # (N, K, 3)
    sizes: np.ndarray  # (N, 2) width, height
    names: list[str]  # image names
    keypoints: list[str]
    labels: object | None = None  # PoseLabels, to load images (None: not readable here)

    def image(self, i: int) -> np.ndarray | None:
        return None if self.labels is None else self.labels.load_image(i)


def _read_predictions(path: Path, keypoints: list[str]) -> tuple[list[str], np.ndarray]:
    """predictions.csv (DeepLabCut layout: scorer / bodyparts / coords header rows)."""
    with open(path, newline="") as fh:
        rows = list(csv.reader(fh))
    parts, coords = rows[1], rows[2]
    names, pred = [], []
    for row in rows[3:]:
        names.append(row[0])
        p = np.full((len(keypoints), 2), np.nan)
        for col in range(1, len(row)):
            if parts[col] in keypoints and coords[col] in ("x", "y") and row[col] != "":
                p[keypoints.index(parts[col]), 0 if coords[col] == "x" else 1] = float(row[col])
        pred.append(p)
    return names, np.array(pred)


def load_real(sweep: Sweep, keypoints: list[str]) -> RealLabels:
    """The labeled frames as the evaluate stage read them (keypoints in the model's order)."""
    from simgen.pose.data import SourceSpec, load_labels, select_keypoints

    labels = load_labels(SourceSpec.parse(sweep.labeled), None, sweep.camera)
    gt = select_keypoints(labels, keypoints)
    sizes = labels.sizes
    if sizes is None:
        sizes = np.array([labels.load_image(i).shape[1::-1] for i in range(len(labels))])
    return RealLabels(gt, np.asarray(sizes), [labels.image_name(i) for i in range(len(labels))], list(keypoints),
                      labels)


def _points(run: ArmRun, real: RealLabels | None) -> np.ndarray | None:
    """(N, K, 2) predictions of one run on the real frames, in ``real``'s order."""
    ev = run.stages.get("evaluate")
    if ev is None:
        return None
    npz = ev.path / "report" / POINTS
    if npz.is_file():
        with np.load(npz) as z:
            return z["pred"]
    if real is None:
        return None
    names, pred = _read_predictions(ev.path / "report" / "predictions.csv", real.keypoints)
    order = {n: i for i, n in enumerate(names)}
    return np.stack([pred[order[n]] for n in real.names])


def real_labels(sweep: Sweep, runs: list[ArmRun]) -> RealLabels | None:
    """The real frames, from the first evaluate stage's points.npz (images from the labeled data)."""
    done = [r for r in runs if r.stages.get("evaluate")]
    if not done:
        return None
    ev = done[0].stages["evaluate"]
    keypoints = list(ev.info.get("keypoints") or done[0].accuracy.rmse_per_keypoint)
    try:
        real = load_real(sweep, keypoints)
    except (SimgenError, OSError, ValueError):  # the labeled data moved: numbers from points.npz, no images
        real = None
    npz = ev.path / "report" / POINTS
    if npz.is_file():
        with np.load(npz) as z:
            gt, sizes, names = z["gt"], z["sizes"], [str(n) for n in z["names"]]
        return RealLabels(gt, sizes, names, keypoints, real.labels if real and real.names == names else None)
    return real


def trivial_mean(run: ArmRun, keypoints: list[str]) -> np.ndarray | None:
    """(K, 2) mean training label position as fractions of the image size (None: not readable)."""
    from simgen.dataset import Layout
    from simgen.export.labels import from_dataset

    data = run.stages.get("style") or run.stages.get("render")
    if data is None or not Layout(data.path / "data").meta.is_file():
        return None
    try:
        labels = from_dataset(data.path / "data")
    except (SimgenError, OSError, ValueError):  # unreadable training labels: no trivial baseline on the page
        return None
    if any(k not in labels.keypoints for k in keypoints) or labels.sizes is None:
        return None
    xy = labels.xyv[:, [labels.keypoints.index(k) for k in keypoints]]
    norm = np.where(xy[..., 2:3] > 0, xy[..., :2] / labels.sizes[:, None, :], np.nan)
    with np.errstate(all="ignore"):
        return np.nanmean(norm, axis=0)


def arm_data(sweep: Sweep, runs: list[ArmRun], real: RealLabels) -> list[ArmData]:
    """One ArmData per arm of the sweep that has runs, in the sweep's order."""
    out = []
    for arm in sweep.arms:
        rs = [r for r in runs if r.arm.name == arm.name]
        if not rs:
            continue
        ok = [(r, _points(r, real)) for r in rs if r.accuracy is not None]
        ok = [(r, p) for r, p in ok if p is not None and p.shape[0] == real.gt.shape[0]]
        k = real.gt.shape[1]
        pred = np.stack([p for _, p in ok]) if ok else np.zeros((0, real.gt.shape[0], k, 2))
        out.append(ArmData(
            arm.name, distances(pred, real.gt), [r.seed for r, _ in ok], pred=pred,
            train_frames=[r.stages["train"].info.get("train_frames") for r, _ in ok],
            steps=[r.stages["train"].info.get("steps") for r, _ in ok],
            frames=arm.frames, cfg_steps=_cfg_steps(arm, rs[0].seed), failed=len(rs) - len(ok)))
    return out


def _cfg_steps(arm, seed: int) -> int | None:
    from simgen.sweep.spec import pose_config

    try:
        return pose_config(arm.train, seed).steps
    except SimgenError:  # the pose config no longer loads: what the arm asked for
        return arm.train.steps
