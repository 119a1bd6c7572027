"""Accuracy of a trained model on labeled frames: pixel errors, PCK, worst frames.

Errors are Euclidean distances in the labeled images' own pixels, over keypoints
that carry a label (v > 0); "visible" restricts to v = 2. ``rmse`` is the root of the
mean squared distance. ``mean_error`` is the mean distance, which is what DeepLabCut
reports under the name "RMSE"; compare DeepLabCut's numbers with ``mean_error``.
PCK@t is the fraction of labeled keypoints within t pixels. ``head_tail`` counts the
frames whose predicted snout is nearer the labeled tail base than the labeled snout
(head and tail swapped), the failure that dominates sim2real error.

Several animals (a top-down model, ``evaluate_found``): the labeled frames go through the
path ``simgen pose predict`` takes (``topdown.pose_animals``: finding stage, crops, pose
model), never through the labels' boxes. Per image the predicted animals are matched to
the labeled ones (Hungarian assignment on the mean distance over the labeled animal's
labeled keypoints, ``match_animals``); a matched pair is *found* when the predicted
centre lies within half the labeled animal's length of the labeled centre (centre: the
mean of the keypoints labeled on that animal, taken at the same keypoints for both; length:
snout to tail base, ``animal_lengths``). Recall = found / labeled animals, precision =
found / predicted animals. Errors are over found animals, in pixels and as a share of
each animal's length (``relative``: mean and RMSE in %, PCK at 5% and 10% of the length).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from simgen.errors import SimgenError
from simgen.export.labels import PoseLabels
from simgen.pose.data import SourceSpec, load_labels, select_keypoints
from simgen.pose.metrics import metric
from simgen.pose.model import TrainedModel


def summarize(d: np.ndarray) -> dict:
    """Metrics (``pose.metrics``) of a flat array of distances (NaN entries ignored)."""
    d = d[np.isfinite(d)]
    keys = ("rmse", "mean_error", "median_error", "pck5", "pck10")
    return {"n": int(d.size), **{k: metric(d, k) if d.size else None for k in keys}}


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


def relative_summary(r: np.ndarray) -> dict:
    """Metrics of distances as shares of the animal's length (NaN ignored): mean and RMSE
    in %, PCK@5%/10% of the length."""
    r = r[np.isfinite(r)]
    if r.size == 0:
        return {"n": 0, "mean_pct": None, "rmse_pct": None, "pck5": None, "pck10": None}
    return {"n": int(r.size), "mean_pct": float(100 * np.mean(r)), "rmse_pct": float(100 * np.sqrt(np.mean(r**2))),
            "pck5": float(np.mean(r <= 0.05)), "pck10": float(np.mean(r <= 0.10))}


def animal_lengths(gt_xyv: np.ndarray, keypoints: list[str]) -> tuple[np.ndarray, str]:
    """(R,) length of each labeled animal and how it was taken: snout to tail base
    (``head_tail_pair``'s names) where both are labeled; where one is missing, the median of
    the others' lengths; without such keypoints at all, the longer side of the box of the
    animal's labeled keypoints."""
    pair = head_tail_pair(keypoints)
    if pair is not None:
        h, t = pair
        ok = (gt_xyv[:, h, 2] > 0) & (gt_xyv[:, t, 2] > 0)
        if ok.any():
            L = np.linalg.norm(gt_xyv[:, h, :2] - gt_xyv[:, t, :2], axis=-1)
            L = np.where(ok, L, np.median(L[ok]))
            what = f"{keypoints[h]} to {keypoints[t]}"
            if not ok.all():
                what += f" (the median, {float(np.median(L[ok])):.1f} px, where one is not labeled)"
            return L, what
    lab = gt_xyv[..., 2] > 0
    with np.errstate(all="ignore"):
        lo = np.nanmin(np.where(lab[..., None], gt_xyv[..., :2], np.nan), axis=1)
        hi = np.nanmax(np.where(lab[..., None], gt_xyv[..., :2], np.nan), axis=1)
    return (hi - lo).max(axis=-1), "the longer side of the box of its labeled keypoints (no snout/tail base)"


def relative_metrics(pred: np.ndarray, gt_xyv: np.ndarray, lengths: np.ndarray, keypoints: list[str],
                     what: str) -> dict:
    """Errors of pred (R, K, 2) against gt (R, K, 3) as shares of each row's length."""
    d = np.linalg.norm(pred - gt_xyv[..., :2], axis=-1)
    r = np.where(gt_xyv[..., 2] > 0, d, np.nan) / np.asarray(lengths, float)[:, None]
    return {"length": what, "all": relative_summary(r.ravel()),
            "per_keypoint": {k: relative_summary(r[:, j]) for j, k in enumerate(keypoints)}}


@dataclass
class AnimalMatch:
    """Predicted animals matched to labeled ones, over all images (labeled rows in order)."""

    pred: np.ndarray  # (R, K, 2) the pose matched to each labeled animal; NaN where not found
    conf: np.ndarray  # (R, K); 0 where not found
    found: np.ndarray  # (R,) bool
    lengths: np.ndarray  # (R,)
    length: str  # how the lengths were taken
    predicted: int  # predicted animals in all
    boxed: np.ndarray | None = None  # (R,) bool: the labeled centre lies inside some predicted box


def match_animals(pred: list[np.ndarray], gt: list[np.ndarray], keypoints: list[str],
                  conf: list[np.ndarray] | None = None, boxes: list[np.ndarray] | None = None) -> AnimalMatch:
    """Per image, predicted poses ``pred[i]`` (P_i, K, 2) vs labeled animals ``gt[i]``
    (G_i, K, 3): Hungarian assignment on mean keypoint distance, then a pair is found when
    the predicted centre lies within half the labeled animal's length of the labeled centre
    (both centres: the mean of the keypoints labeled on that animal). ``boxes[i]`` (P_i, 4),
    the finding stage's boxes, if given: which labeled centres lie inside any of them (the
    finding stage's part, whatever the poses)."""
    from simgen.pose.topdown import assign, pose_cost

    k = len(keypoints)
    rows = np.concatenate([np.asarray(g, float).reshape(-1, k, 3) for g in gt]) if gt else np.zeros((0, k, 3))
    lengths, what = animal_lengths(rows, keypoints)
    out_xy = np.full(rows[..., :2].shape, np.nan)
    out_conf = np.zeros(rows.shape[:2])
    found = np.zeros(len(rows), bool)
    boxed = None if boxes is None else np.zeros(len(rows), bool)
    r, n_pred = 0, 0
    for i, (p, g) in enumerate(zip(pred, gt)):
        p, g = np.asarray(p, float).reshape(-1, k, 2), np.asarray(g, float).reshape(-1, k, 3)
        c = np.ones(p.shape[:2]) if conf is None else np.asarray(conf[i], float).reshape(-1, k)
        n_pred += len(p)
        if boxes is not None and len(g):
            bx = np.asarray(boxes[i], float).reshape(-1, 4)
            for j in range(len(g)):
                lab_j = g[j, :, 2] > 0
                if lab_j.any():
                    cx, cy = g[j, lab_j, :2].mean(axis=0)
                    boxed[r + j] = bool(((bx[:, 0] <= cx) & (cx <= bx[:, 2]) & (bx[:, 1] <= cy) & (cy <= bx[:, 3])).any())
        if len(p) and len(g):
            got = assign(pose_cost(p, g))
            lab = g[..., 2] > 0
            for j, q in enumerate(got):
                if q < 0 or not lab[j].any():
                    continue
                centre_gt = g[j, lab[j], :2].mean(axis=0)
                centre_pred = p[q, lab[j]].mean(axis=0)
                if np.linalg.norm(centre_pred - centre_gt) <= 0.5 * lengths[r + j]:
                    found[r + j] = True
                    out_xy[r + j], out_conf[r + j] = p[q], c[q]
        r += len(g)
    return AnimalMatch(out_xy, out_conf, found, lengths, what, n_pred, boxed)


def found_metrics(am: AnimalMatch, gt_xyv: np.ndarray, keypoints: list[str]) -> dict:
    """``metrics`` (pixels) over the found animals, ``relative`` (shares of each animal's
    length) and ``animals``: labeled, predicted, found, recall and precision."""
    f = am.found
    m = metrics(am.pred[f], gt_xyv[f], keypoints)
    m["relative"] = relative_metrics(am.pred[f], gt_xyv[f], am.lengths[f], keypoints, am.length)
    n, nf = len(f), int(f.sum())
    m["animals"] = {
        "labeled": int(n), "predicted": int(am.predicted), "found": nf,
        "recall": nf / n if n else None, "precision": nf / am.predicted if am.predicted else None,
        "criterion": "a predicted animal matched to a labeled one (Hungarian, mean keypoint distance) whose "
                     "centre lies within half the labeled animal's length of the labeled centre",
    }
    if am.boxed is not None:  # the finding stage alone: a box around the labeled centre, whatever the pose
        m["animals"]["boxed"] = int(am.boxed.sum())
        m["animals"]["box_recall"] = float(am.boxed.mean()) if n else None
    return m


@dataclass
class Evaluation:
    metrics: dict
    pred: np.ndarray  # (N, K, 2)
    conf: np.ndarray  # (N, K)
    labels: PoseLabels
    gt: np.ndarray  # (N, K, 3), model keypoint order

    def frame_errors(self) -> np.ndarray:
        """Mean error per row; NaN where nothing is labeled or nothing was predicted (an animal not found)."""
        d = np.linalg.norm(self.pred - self.gt[..., :2], axis=-1)
        d = np.where(self.gt[..., 2] > 0, d, np.nan)
        n = np.isfinite(d).sum(axis=1)
        return np.where(n > 0, np.nansum(d, axis=1) / np.maximum(n, 1), np.nan)


def evaluate(model: TrainedModel, labeled: str | SourceSpec, camera: str | None = None,
             tta: bool = False, oracle_boxes: bool = False, max_animals: int | None = None,
             threshold: float | None = None) -> Evaluation:
    """``tta``: the median over the flips the model was trained for (``predict.tta_flips``);
    the metrics record them. A top-down model (several animals) is evaluated through its
    finding stage (``evaluate_found``; ``max_animals``, ``threshold`` override the finder's),
    or with ``oracle_boxes`` on crops of the labeled boxes (``evaluate_topdown``)."""
    from simgen.pose.predict import predict_images, tta_flips

    if model.topdown:  # several animals (pose/topdown.py)
        ev = (evaluate_topdown(model, labeled, camera, tta) if oracle_boxes
              else evaluate_found(model, labeled, camera, max_animals, threshold, tta))
        if tta:
            ev.metrics["tta"] = [list(f) for f in tta_flips(model)]
        return ev
    if oracle_boxes:
        raise SimgenError("--oracle-boxes is for top-down models (trained on several animals per image)")
    spec = labeled if isinstance(labeled, SourceSpec) else SourceSpec.parse(labeled)
    labels = load_labels(spec, model.keypoint_set, camera)
    gt = select_keypoints(labels, model.keypoints)
    pred, conf = predict_images(model, (labels.load_image(i) for i in range(len(labels))), tta=tta)
    m = metrics(pred, gt, model.keypoints)
    if tta:
        m["tta"] = [list(f) for f in tta_flips(model)]
    return Evaluation(m, pred, conf, labels, gt)


def evaluate_found(model: TrainedModel, labeled: str | SourceSpec, camera: str | None = None,
                   max_animals: int | None = None, threshold: float | None = None, tta: bool = False) -> Evaluation:
    """``evaluate`` for a top-down model through the path of ``simgen pose predict``: the
    finding stage boxes the animals of each labeled image (the labels' boxes are not
    used), the pose model runs on their crops, predicted animals are matched to labeled
    ones (``match_animals``) and scored (``found_metrics``). Rows are the labeled animals;
    one not found has a NaN prediction."""
    from simgen.pose.finder import model_finder
    from simgen.pose.topdown import load_instances, model_margin, pose_animals

    finder = model_finder(model)
    spec = labeled if isinstance(labeled, SourceSpec) else SourceSpec.parse(labeled)
    inst = load_instances(spec, model.keypoint_set, camera, boxes=model.config.finder.boxes)
    gt = select_keypoints(inst.labels, model.keypoints)
    groups = inst.groups()
    labels = inst.labels
    found = list(pose_animals(model, (labels.load_image(int(idx[0])) for idx in groups), max_animals, threshold,
                              tta=tta))
    am = match_animals([f.xy for f in found], [gt[idx] for idx in groups], model.keypoints, [f.conf for f in found],
                       [f.boxes for f in found])
    order = np.concatenate(groups)  # match_animals' rows are the groups' rows in this order
    pred, conf = np.full(gt[..., :2].shape, np.nan), np.zeros(gt.shape[:2])
    pred[order], conf[order] = am.pred, am.conf
    gt_rows = gt[order]
    m = found_metrics(am, gt_rows, model.keypoints)
    m["topdown"] = {
        "boxes": "found by the model's finding stage (no labeled box is used)",
        "margin": model_margin(model),
        "images": len(groups),
        "threshold": finder.threshold if threshold is None else float(threshold),
        "max_animals": finder.max_animals if max_animals is None else int(max_animals),
        "matching": "Hungarian assignment of predicted to labeled animals on mean keypoint distance",
    }
    return Evaluation(m, pred, conf, labels, gt)


def evaluate_topdown(model: TrainedModel, labeled: str | SourceSpec, camera: str | None = None,
                     tta: bool = False) -> Evaluation:
    """``evaluate`` for a top-down model (pose/topdown.py): a crop per labeled animal's box
    (oracle boxes), poses matched to labeled animals, identity swaps and per-animal metrics."""
    from simgen.pose.topdown import load_instances, match, model_margin, predict_instances

    margin = model_margin(model)
    spec = labeled if isinstance(labeled, SourceSpec) else SourceSpec.parse(labeled)
    inst = load_instances(spec, model.keypoint_set, camera, boxes=model.config.finder.boxes)
    gt = select_keypoints(inst.labels, model.keypoints)
    raw_xy, raw_conf = predict_instances(model, inst, tta)
    pred, conf, swaps = match(inst, gt, raw_xy, raw_conf)
    m = topdown_metrics(pred, gt, model.keypoints, inst.labels.tracks or [""] * len(pred), swaps)
    m["topdown"].update(margin=margin, images=len(inst.groups()))
    lengths, what = animal_lengths(gt, model.keypoints)
    m["relative"] = relative_metrics(pred, gt, lengths, model.keypoints, what)
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
    if (ev.gt[..., 2] > 0).any():
        worst_sheet(ev, keypoints, files["sheet"], worst)
    else:
        del files["sheet"]
    return files


def worst_sheet(ev: Evaluation, keypoints: list[str], path: Path, n: int = 12) -> None:
    """Grid of the frames with the largest mean error: labels (o) and predictions (x), joined.
    Several animals found by the model (``evaluate_found``): one tile per labeled animal,
    those not found first (labels only, titled "not found")."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    err = ev.frame_errors()
    if "animals" in ev.metrics:  # a labeled animal with no prediction was not found: worst of all
        missed = (ev.gt[..., 2] > 0).any(axis=1) & ~np.isfinite(ev.pred).all(axis=(1, 2))
        err = np.where(missed, np.inf, err)
    order = [i for i in np.argsort(-np.nan_to_num(err, nan=-1.0)) if not np.isnan(err[i])][:n]
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
        lo, hi = np.nanmin(pts, axis=0), np.nanmax(pts, axis=0)
        m = max(30.0, 0.3 * float((hi - lo).max()))
        h, w = img.shape[:2]
        ax.set_xlim(max(-0.5, lo[0] - m), min(w - 0.5, hi[0] + m))
        ax.set_ylim(min(h - 0.5, hi[1] + m), max(-0.5, lo[1] - m))
        name = ev.labels.image_name(i) + (f"/{ev.labels.tracks[i]}" if ev.labels.tracks is not None else "")
        ax.set_title(f"{name}: " + ("not found" if np.isinf(err[i]) else f"{err[i]:.1f} px"), fontsize=9)
    handles = [plt.Line2D([], [], color=colors(j % 10), marker="o", ls="", label=k) for j, k in enumerate(keypoints)]
    fig.legend(handles=handles, loc="lower center", ncol=min(8, len(keypoints)), fontsize=8,
               title="o label, x prediction", title_fontsize=8)
    fig.tight_layout(rect=(0, 0.06, 1, 1))
    fig.savefig(path, dpi=90)
    plt.close(fig)
