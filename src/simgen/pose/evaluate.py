"""Accuracy of a trained model on labeled frames: pixel errors, PCK, worst frames.

Errors are Euclidean distances in the labeled images' own pixels, over keypoints
that carry a label (v > 0); "visible" restricts to v = 2. ``rmse`` is the root of the
mean squared distance. ``mean_error`` is the mean distance, which is what DeepLabCut
reports under the name "RMSE"; compare DeepLabCut's numbers with ``mean_error``.
PCK@t is the fraction of labeled keypoints within t pixels. ``head_tail`` counts the
frames whose predicted snout is nearer the labeled tail base than the labeled snout
(head and tail swapped), the failure that dominates sim2real error.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from simgen.errors import SimgenError
from simgen.export.labels import PoseLabels
from simgen.pose.data import SourceSpec, load_labels, select_keypoints
from simgen.pose.model import TrainedModel


def summarize(d: np.ndarray) -> dict:
    """Metrics of a flat array of distances (NaN entries ignored)."""
    d = d[np.isfinite(d)]
    if d.size == 0:
        return {"n": 0, "rmse": None, "mean_error": None, "median_error": None, "pck5": None, "pck10": None}
    return {
        "n": int(d.size),
        "rmse": float(np.sqrt(np.mean(d**2))),
        "mean_error": float(np.mean(d)),
        "median_error": float(np.median(d)),
        "pck5": float(np.mean(d <= 5)),
        "pck10": float(np.mean(d <= 10)),
    }


HEAD_NAMES = ("snout", "nose")
TAIL_NAMES = ("tailbase", "tail_base", "tailroot", "tail_root", "tail_0", "tail0")


def head_tail_pair(keypoints: list[str]) -> tuple[int, int] | None:
    """Indices of the head (snout/nose) and tail-base keypoints, or None if either is missing."""
    low = [k.lower() for k in keypoints]
    head = next((low.index(n) for n in HEAD_NAMES if n in low), None)
    tail = next((low.index(n) for n in TAIL_NAMES if n in low), None)
    return None if head is None or tail is None else (head, tail)


def head_tail_swaps(pred: np.ndarray, gt_xyv: np.ndarray, keypoints: list[str]) -> dict | None:
    """Frames whose predicted snout lies nearer the labeled tail base than the labeled
    snout: the model took the tail for the head. Counted over frames where both are labeled;
    ``frames_swapped`` lists their indices. None if the keypoints have no snout/tail base."""
    pair = head_tail_pair(keypoints)
    if pair is None:
        return None
    h, t = pair
    ok = (gt_xyv[:, h, 2] > 0) & (gt_xyv[:, t, 2] > 0)
    to_head = np.linalg.norm(pred[:, h] - gt_xyv[:, h, :2], axis=-1)
    to_tail = np.linalg.norm(pred[:, h] - gt_xyv[:, t, :2], axis=-1)
    swapped = ok & (to_tail < to_head)
    n = int(ok.sum())
    return {"head": keypoints[h], "tail": keypoints[t], "frames": n, "swapped": int(swapped.sum()),
            "rate": float(swapped.sum() / n) if n else None,
            "frames_swapped": [int(i) for i in np.flatnonzero(swapped)]}


def metrics(pred: np.ndarray, gt_xyv: np.ndarray, keypoints: list[str]) -> dict:
    """pred (N, K, 2), gt (N, K, 3) -> {"all", "visible", "per_keypoint": {name: ...},
    "head_tail": head/tail swap count (see ``head_tail_swaps``; None without snout/tail base)}."""
    d = np.linalg.norm(pred - gt_xyv[..., :2], axis=-1)
    v = gt_xyv[..., 2]
    d_all = np.where(v > 0, d, np.nan)
    d_vis = np.where(v == 2, d, np.nan)
    return {
        "frames": int(len(pred)),
        "all": summarize(d_all.ravel()),
        "visible": summarize(d_vis.ravel()),
        "per_keypoint": {k: summarize(d_all[:, j]) for j, k in enumerate(keypoints)},
        "head_tail": head_tail_swaps(pred, gt_xyv, keypoints),
    }


@dataclass
class Evaluation:
    metrics: dict
    pred: np.ndarray  # (N, K, 2)
    conf: np.ndarray  # (N, K)
    labels: PoseLabels
    gt: np.ndarray  # (N, K, 3), model keypoint order

    def frame_errors(self) -> np.ndarray:
        d = np.linalg.norm(self.pred - self.gt[..., :2], axis=-1)
        d = np.where(self.gt[..., 2] > 0, d, np.nan)
        with np.errstate(all="ignore"):
            return np.nanmean(d, axis=1)


def evaluate(model: TrainedModel, labeled: str | SourceSpec, camera: str | None = None,
             tta: bool = False) -> Evaluation:
    """``tta``: the median over the flips the model was trained for (``predict.tta_flips``);
    the metrics record them."""
    from simgen.pose.predict import predict_images, tta_flips

    if model.topdown:  # several animals: a crop per labeled box, matched (pose/topdown.py)
        if tta:
            raise SimgenError("--tta is not there for top-down models (several animals); leave it out")
        return evaluate_topdown(model, labeled, camera)
    spec = labeled if isinstance(labeled, SourceSpec) else SourceSpec.parse(labeled)
    labels = load_labels(spec, model.keypoint_set, camera)
    gt = select_keypoints(labels, model.keypoints)
    pred, conf = predict_images(model, (labels.load_image(i) for i in range(len(labels))), tta=tta)
    m = metrics(pred, gt, model.keypoints)
    if tta:
        m["tta"] = [list(f) for f in tta_flips(model)]
    return Evaluation(m, pred, conf, labels, gt)


def evaluate_topdown(model: TrainedModel, labeled: str | SourceSpec, camera: str | None = None) -> Evaluation:
    """``evaluate`` for a top-down model (pose/topdown.py): a crop per labeled animal's box
    (oracle boxes), poses matched to labeled animals, identity swaps and per-animal metrics."""
    from simgen.pose.topdown import load_instances, match, model_margin, predict_instances

    margin = model_margin(model)
    spec = labeled if isinstance(labeled, SourceSpec) else SourceSpec.parse(labeled)
    inst = load_instances(spec, model.keypoint_set, camera)
    gt = select_keypoints(inst.labels, model.keypoints)
    raw_xy, raw_conf = predict_instances(model, inst)
    pred, conf, swaps = match(inst, gt, raw_xy, raw_conf)
    m = topdown_metrics(pred, gt, model.keypoints, inst.labels.tracks or [""] * len(pred), swaps)
    m["topdown"].update(margin=margin, images=len(inst.groups()))
    return Evaluation(m, pred, conf, inst.labels, gt)


def topdown_metrics(pred: np.ndarray, gt_xyv: np.ndarray, keypoints: list[str], animals: list[str],
                    swaps: list[dict]) -> dict:
    """``metrics`` over every labeled animal, plus ``topdown``: the identity swaps and each
    animal's (``animals`` names each row) numbers."""
    m = metrics(pred, gt_xyv, keypoints)
    per_animal = {}
    for name in dict.fromkeys(animals):
        rows = np.array([a == name for a in animals])
        pa = metrics(pred[rows], gt_xyv[rows], keypoints)
        per_animal[name] = {"frames": pa["frames"], "all": pa["all"], "visible": pa["visible"],
                            "head_tail": pa["head_tail"],
                            "identity_swaps": sum(s["matched_to"] == name for s in swaps)}
    m["topdown"] = {
        "boxes": "labeled (oracle): each labeled animal's own box, no detector",
        "margin": None,
        "images": None,
        "animals": int(len(pred)),
        "matching": "Hungarian assignment of predicted poses to labeled animals on mean keypoint distance",
        "identity_swaps": len(swaps),
        "swaps": swaps,
        "per_animal": per_animal,
    }
    return m


def write_report(ev: Evaluation, out: Path, keypoints: list[str], worst: int = 12) -> dict[str, Path]:
    """metrics.json, predictions.csv (DeepLabCut style) and worst_frames.png in ``out``."""
    from simgen.pose.predict import dlc_table

    out.mkdir(parents=True, exist_ok=True)
    files = {"metrics": out / "metrics.json", "predictions": out / "predictions.csv", "sheet": out / "worst_frames.png"}
    files["metrics"].write_text(json.dumps(ev.metrics, indent=1))
    names = [ev.labels.image_name(i) for i in range(len(ev.labels))]
    if ev.metrics.get("topdown") and ev.labels.tracks is not None:  # one row per animal
        names = [f"{n}/{t}" for n, t in zip(names, ev.labels.tracks)]
    dlc_table(ev.pred, ev.conf, keypoints, index=names).to_csv(files["predictions"])
    worst_sheet(ev, keypoints, files["sheet"], worst)
    return files


def worst_sheet(ev: Evaluation, keypoints: list[str], path: Path, n: int = 12) -> None:
    """Grid of the frames with the largest mean error: labels (o) and predictions (x), joined."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    err = ev.frame_errors()
    order = [i for i in np.argsort(-np.nan_to_num(err, nan=-1.0)) if np.isfinite(err[i])][:n]
    if not order:
        raise SimgenError("no labeled keypoints to draw")
    cols = min(4, len(order))
    rows = (len(order) + cols - 1) // cols
    fig, axes = plt.subplots(rows, cols, figsize=(4 * cols, 3.3 * rows), squeeze=False)
    colors = plt.get_cmap("tab10")
    for ax in axes.ravel():
        ax.axis("off")
    for ax, i in zip(axes.ravel(), order):
        img = ev.labels.load_image(i)
        ax.imshow(img)
        gt, pr = ev.gt[i], ev.pred[i]
        for j in range(len(keypoints)):
            c = colors(j % 10)
            ax.plot(pr[j, 0], pr[j, 1], "x", color=c, ms=7, mew=2)
            if gt[j, 2] > 0:
                ax.plot(gt[j, 0], gt[j, 1], "o", mfc="none", color=c, ms=7, mew=1.5)
                ax.plot([gt[j, 0], pr[j, 0]], [gt[j, 1], pr[j, 1]], "-", color=c, lw=1)
        # Zoom on the animal: the labels' box plus a margin, so small errors are visible.
        pts = np.concatenate([gt[gt[:, 2] > 0, :2], pr])
        lo, hi = pts.min(axis=0), pts.max(axis=0)
        m = max(30.0, 0.3 * float((hi - lo).max()))
        h, w = img.shape[:2]
        ax.set_xlim(max(-0.5, lo[0] - m), min(w - 0.5, hi[0] + m))
        ax.set_ylim(min(h - 0.5, hi[1] + m), max(-0.5, lo[1] - m))
        ax.set_title(f"{ev.labels.image_name(i)}: {err[i]:.1f} px", fontsize=9)
    handles = [plt.Line2D([], [], color=colors(j % 10), marker="o", ls="", label=k) for j, k in enumerate(keypoints)]
    fig.legend(handles=handles, loc="lower center", ncol=min(8, len(keypoints)), fontsize=8,
               title="o label, x prediction", title_fontsize=8)
    fig.tight_layout(rect=(0, 0.06, 1, 1))
    fig.savefig(path, dpi=90)
    plt.close(fig)
