"""The real frames most worth labeling, written as a DeepLabCut project.

Picking: every sampled frame gets the label-free estimate (``gap.estimate``) and the
model's features. The default strategy ``typical`` (``pick_typical``) clusters the
features by k-means into n clusters and takes the most typical frame of each, never
within ``min_gap`` video frames of a pick: frames that cover the video and each stand
for many others (with 10 labels, these taught the model more than uncertain ones; see
docs/gap.md). Strategy ``uncertain`` (``pick``): the ``pool`` most uncertain frames
(3 x n by default) are candidates; the most uncertain one is picked first, then greedily
the candidate farthest from every pick so far (farthest-point sampling). Strategy
``clusters`` (``pick_clusters``): the same clusters, the most uncertain frame of each.

The project is what DeepLabCut's ``extract_frames`` leaves behind: ``config.yaml`` with
the model's bodyparts and the video under ``video_sets``, and
``labeled-data/<video stem>/img<frame number>.png`` (zero-padded to the digits of the
frame count), ready for ``deeplabcut.label_frames``.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from simgen.choices import SuggestStrategy
from simgen.errors import SimgenError


@dataclass
class Picks:
    rows: list[int]  # indices into the candidate frames, in pick order
    reasons: list[str]


def pick(score: np.ndarray, feats: np.ndarray, frame_idx: np.ndarray, n: int, pool: int | None = None,
         min_gap: int = 0) -> list[int]:
    """Rows of ``n`` uncertain, mutually distant frames (fewer when too few qualify)."""
    if n <= 0:
        raise SimgenError("--n must be at least 1")
    order = np.argsort(-score, kind="stable")
    pool = max(n, pool if pool is not None else 3 * n)
    f = feats / (np.linalg.norm(feats, axis=1, keepdims=True) + 1e-9)
    picks = [int(order[0])]
    picks += _fill(score, f, frame_idx, picks, order[1:pool], n, min_gap)
    picks += _fill(score, f, frame_idx, picks, order[pool:], n, min_gap)  # the pool ran out
    return picks


def pick_clusters(score: np.ndarray, feats: np.ndarray, frame_idx: np.ndarray, n: int, min_gap: int = 0,
                  seed: int = 0, iters: int = 50) -> list[int]:
    """Rows of ``n`` frames that cover the video and that the model is unsure of: k-means
    (k = n, k-means++ start, fixed seed) over the features, then from each cluster, largest
    first, its most uncertain frame that keeps ``min_gap``; clusters left without a pick
    are filled farthest-point from the rest. DeepLabCut's own extraction clusters frames the
    same way (k-means on downsampled frames) and takes one per cluster at random."""
    if n <= 0:
        raise SimgenError("--n must be at least 1")
    f = feats / (np.linalg.norm(feats, axis=1, keepdims=True) + 1e-9)
    k = min(n, len(f))
    lab = _kmeans(f, k, seed, iters)
    return _one_per_cluster(lab, k, lambda r: (-score[r], r), score, f, frame_idx, n, min_gap)


def pick_typical(score: np.ndarray, feats: np.ndarray, frame_idx: np.ndarray, n: int, min_gap: int = 0,
                 seed: int = 0, iters: int = 50, knn: int = 20) -> list[int]:
    """Rows of ``n`` frames that each stand for many others: k-means (k = n) over the
    features, then from each cluster, largest first, its most typical frame (the inverse
    mean distance to its ``knn`` nearest neighbours in the cluster) that keeps ``min_gap``.
    TypiClust (Hacohen et al. 2022): with a labeling budget this small, typical frames
    teach a model more than uncertain ones. ``score`` only breaks ties and fills."""
    if n <= 0:
        raise SimgenError("--n must be at least 1")
    f = feats / (np.linalg.norm(feats, axis=1, keepdims=True) + 1e-9)
    k = min(n, len(f))
    lab = _kmeans(f, k, seed, iters)
    typical = np.zeros(len(f))
    for j in range(k):
        rows = np.flatnonzero(lab == j)
        if len(rows) < 2:
            continue  # an empty cluster, or a lone frame that stands for nothing else: least typical
        g = f[rows] @ f[rows].T  # unit rows: squared distance 2 - 2 cos, without an (m, m, D) array
        d = np.sqrt(np.clip(2.0 - 2.0 * g, 0.0, None))
        near = np.sort(d, axis=1)[:, 1:1 + min(knn, len(rows) - 1)]
        typical[rows] = 1.0 / (near.mean(1) + 1e-9)
    return _one_per_cluster(lab, k, lambda r: (-typical[r], -score[r], r), score, f, frame_idx, n, min_gap)


def _one_per_cluster(lab, k, key, score, f, frame_idx, n, min_gap) -> list[int]:
    """From each cluster, largest first, its first frame by ``key`` that keeps ``min_gap``
    from the picks so far; clusters left without a pick are filled farthest-point from the
    rest (the most uncertain first on ties)."""
    picks: list[int] = []
    for j in sorted(range(k), key=lambda j: (-int(np.sum(lab == j)), j)):
        for r in sorted(np.flatnonzero(lab == j), key=key):
            if not picks or np.min(np.abs(frame_idx[r] - frame_idx[picks])) > min_gap:
                picks.append(int(r))
                break
    if len(picks) < n:
        rest = np.array([r for r in range(len(f)) if r not in picks], dtype=int)
        picks += _fill(score, f, frame_idx, picks, rest, n, min_gap)
    return picks[:n]


def _kmeans(f: np.ndarray, k: int, seed: int, iters: int) -> np.ndarray:
    """Cluster labels of the rows of ``f``: k-means, k-means++ start with a fixed seed."""
    rng = np.random.default_rng(seed)
    centers = [f[int(rng.integers(len(f)))]]
    for _ in range(1, k):  # k-means++
        d = np.min([((f - c) ** 2).sum(1) for c in centers], axis=0)
        centers.append(f[int(rng.choice(len(f), p=d / d.sum()))] if d.sum() > 0 else f[int(rng.integers(len(f)))])
    c = np.array(centers)
    for _ in range(iters):
        lab = np.argmin(((f[:, None] - c[None]) ** 2).sum(-1), axis=1)
        new = np.array([f[lab == j].mean(0) if np.any(lab == j) else c[j] for j in range(k)])
        if np.allclose(new, c):
            break
        c = new
    return np.argmin(((f[:, None] - c[None]) ** 2).sum(-1), axis=1)


def _fill(score, f, frame_idx, picks, rest, n, min_gap) -> list[int]:
    """Farthest-point additions from ``rest`` (most uncertain first on ties) up to ``n`` picks."""
    out: list[int] = []
    cand = sorted(rest.tolist(), key=lambda r: (-score[r], r))
    while len(picks) + len(out) < n:
        have = picks + out
        ok = [r for r in cand if r not in out and (not have or np.min(np.abs(frame_idx[r] - frame_idx[have])) > min_gap)]
        if not ok:
            break
        if not have:
            out.append(ok[0])
            continue
        d = [np.min(np.linalg.norm(f[have] - f[r], axis=1)) for r in ok]
        out.append(int(ok[int(np.argmax(d))]))
    return out


STRATEGIES: dict[SuggestStrategy, Callable[..., list[int]]] = {  # suggest --strategy
    "typical": pick_typical, "uncertain": pick, "clusters": pick_clusters}
DEFAULT_STRATEGY: SuggestStrategy = "typical"


def image_name(frame: int, count: int) -> str:
    """DeepLabCut's name for an extracted frame: img + index padded to ceil(log10(count)) digits."""
    digits = max(1, int(math.ceil(math.log10(max(count, 2)))))
    return f"img{str(frame).zfill(digits)}.png"


def write_project(out: Path, video: Path, images: list[np.ndarray], frames: list[int], count: int,
                  bodyparts: list[str], skeleton: list[tuple[str, str]] | None = None,
                  scorer: str = "labeler") -> Path:
    """A DeepLabCut project with the frames extracted; returns the labeled-data folder."""
    import datetime

    from PIL import Image

    from simgen.dataset.writer import atomic_write
    from simgen.export.dlc import write_config

    out = Path(out)
    folder = out / "labeled-data" / video.stem
    folder.mkdir(parents=True, exist_ok=True)
    for img, fr in zip(images, frames):
        with atomic_write(folder / image_name(fr, count), suffix=".png") as tmp:  # errors name the file
            Image.fromarray(img).save(tmp)
    h, w = images[0].shape[:2]
    for sub in ("videos", "training-datasets", "dlc-models"):
        (out / sub).mkdir(exist_ok=True)
    write_config(out, task=video.stem, scorer=scorer, day=datetime.date.today().strftime("%b%d"), video=video,
                 bodyparts=list(bodyparts), skeleton=list(skeleton or []), size=(w, h),
                 numframes2pick=len(frames), written_by="simgen suggest (frames to label)")
    return folder


def fewer_picks_reason(n: int, picked: int, sampled: int, sample: int, count: int, min_gap: int) -> str:
    """Why ``picked`` frames and not the ``n`` asked: too few sampled, or too few far enough apart."""
    why, asked = [], min(sample, count)
    if sampled < n:
        why.append(f"only {sampled} of the {asked} frames sampled could be read" if sampled < asked else
                   f"only {sampled} frames were sampled to choose from (--sample {sample}; raise it to {n} or more)"
                   if sample < count else f"the video has only {count} frames")
    if picked < min(n, sampled):
        why.append(f"only {picked} of the sampled frames are more than {min_gap} video frames apart (lower --min-gap)")
    return f"picked {picked} frames, fewer than the {n} asked: " + "; ".join(why)


def suggest(video: Path, model_path: Path, n: int, out: Path, sample: int = 400,
            min_gap: int | None = None, strategy: SuggestStrategy = DEFAULT_STRATEGY) -> dict:
    """Estimate ``sample`` frames of ``video``, pick ``n``, write the project; returns a summary."""
    import csv

    from simgen.gap.embed import embed
    from simgen.gap.estimate import estimate
    from simgen.pose.model import load_model
    from simgen.video import sample_frames

    video = Path(video)
    if strategy not in STRATEGIES:
        raise SimgenError(f"--strategy {strategy}: unknown; one of {', '.join(STRATEGIES)}")
    if Path(out).exists() and any(Path(out).iterdir()):
        raise SimgenError(f"{out}: exists and is not empty (choose a new folder for the label project)")
    model = load_model(model_path)
    real = sample_frames(video, sample)
    est = estimate(model, real.images, consecutive=real.consecutive)
    feats = embed(real.images, model)
    gap = min_gap if min_gap is not None else max(1, real.count // (4 * max(n, 1) * 4))
    rows = STRATEGIES[strategy](est.score, feats, real.indices, n, min_gap=gap)
    if len(rows) < n:
        import logging

        logging.getLogger("simgen").warning(fewer_picks_reason(n, len(rows), len(real.images), sample, real.count, gap))
    frames = [int(real.indices[r]) for r in rows]
    from simgen.dataset.writer import atomic_write, output_folder

    with output_folder(out):  # a project cut off by a full disk is removed: the rerun is not refused
        folder = write_project(out, video, [real.images[r] for r in rows], frames, real.count, model.keypoints)
        with atomic_write(Path(out) / "suggestions.csv") as tmp, open(tmp, "w", newline="") as fh:
            wr = csv.writer(fh)
            wr.writerow(["image", "frame", "score", *est.signals])
            for r, fr in zip(rows, frames):
                wr.writerow([image_name(fr, real.count), fr, round(float(est.score[r]), 4),
                             *[round(float(v[r]), 3) for v in est.signals.values()]])
    return {"folder": folder, "frames": frames, "scores": [float(est.score[r]) for r in rows],
            "sampled": len(real.images), "min_gap": gap}
