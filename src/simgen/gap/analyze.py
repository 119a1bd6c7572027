"""``simgen gap``'s analysis: coverage, behavior, realism and the estimate, as one typed result.

Arrays stay numpy here; ``report`` turns them into gap.json and report.html.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from simgen.errors import SimgenError

if TYPE_CHECKING:
    from simgen.gap.behavior import Behavior
    from simgen.gap.coverage import Coverage
    from simgen.gap.estimate import Estimate, Validation
    from simgen.gap.realism import Realism

MIN_FRAMES = 5  # real frames and renders, each: fewer leave the statistics meaningless


@dataclass
class GapResult:
    dataset: Path
    video: Path
    model: Path | None
    real_frames: np.ndarray  # video frame numbers
    real_images: list[np.ndarray]
    synth_frames: list[int]
    synth_images: list[np.ndarray]
    coverage: Coverage
    realism: Realism
    embedding: str
    behavior: Behavior | None = None  # with a model only
    estimate: Estimate | None = None  # per real frame, as reported (with a model only)
    validation: Validation | None = None  # with a model and labeled frames only
    notes: list[str] = field(default_factory=list)


def check_keypoints(model, dataset: Path, camera: str | None):
    """The dataset's ground truth in the model's keypoints, or a one-line error."""
    from simgen.pose.data import SourceSpec, load_labels

    labels = load_labels(SourceSpec(Path(dataset)), model.keypoint_set, camera)
    missing = [k for k in model.keypoints if k not in labels.keypoints]
    if missing:
        raise SimgenError(f"the model's keypoints {model.keypoints} are not the dataset's "
                          f"({labels.keypoints}; missing {missing}): use a model trained on this keypoint set")
    return labels


def analyze(dataset: Path, video: Path, model_path: Path | None = None, labeled: Path | str | None = None,
            n_real: int = 200, n_synth: int = 200, camera: str | None = None, seed: int = 0,
            labeled_camera: str | None = None) -> GapResult:
    """``labeled``: real labeled frames to validate the estimate on (PATH[,frames=A:B]), of
    ``labeled_camera`` when they are a multi-camera simgen dataset; ``camera``: the renders'."""
    from simgen.gap.behavior import compare, quantities
    from simgen.gap.coverage import coverage
    from simgen.gap.embed import embed
    from simgen.gap.realism import realism
    from simgen.style.data import animal_centers_from_masks, animal_centers_from_motion, load_synthetic
    from simgen.video import sample_frames

    model = None
    labels = None
    if model_path is not None:
        from simgen.pose.model import load_model

        model = load_model(model_path)
        labels = check_keypoints(model, dataset, camera)
    synth = load_synthetic(dataset, n_synth, camera)
    real = sample_frames(video, n_real)
    if len(real.images) < MIN_FRAMES or len(synth.images) < MIN_FRAMES:
        raise SimgenError(f"need at least {MIN_FRAMES} real frames and {MIN_FRAMES} renders (got "
                          f"{len(real.images)} and {len(synth.images)})")
    feats_r = embed(real.images, model)
    feats_s = embed(synth.images, model)
    cov = coverage(feats_r, feats_s)
    embedding = ("pose model encoder (stride 16, mean+std pooled)" if model is not None and hasattr(model.net, "s16")
                 else "fixed random CNN")
    synth_centers = animal_centers_from_masks(synth.masks, synth.animal_id)
    est = behavior = validation = None
    notes = []
    if model is not None:
        from simgen.gap.estimate import estimate, validate
        from simgen.pose.data import select_keypoints

        est = estimate(model, real.images, consecutive=real.consecutive).as_reported()
        real_centers = [tuple(c) for c in est.xy.mean(axis=1)]
        sizes_r = np.array([[im.shape[1], im.shape[0]] for im in real.images])
        gt = select_keypoints(labels, model.keypoints)
        xy_s = np.where(gt[..., 2:3] > 0, gt[..., :2], np.nan)
        sizes_s = labels.sizes if labels.sizes is not None else np.tile(
            [synth.images[0].shape[1], synth.images[0].shape[0]], (len(gt), 1))
        behavior = compare(quantities(est.xy, sizes_r, model.keypoints), quantities(xy_s, sizes_s, model.keypoints))
        if labeled is not None:
            from simgen.pose.evaluate import evaluate

            ev = evaluate(model, str(labeled), labeled_camera)
            imgs = [ev.labels.load_image(i) for i in range(len(ev.labels))]
            validation = validate(estimate(model, imgs), ev.frame_errors())
            validation.labeled = str(labeled)
    else:
        real_centers = animal_centers_from_motion(real.images)
        notes.append("no --model: no behavior coverage and no accuracy estimate; coverage uses a fixed "
                     "random CNN, crops are centred on motion")
        if labeled is not None:
            notes.append("--labeled needs --model (the estimate is the model's); ignored")
    cnn = {} if embedding.startswith("pose") else {"cnn_real": feats_r, "cnn_synth": feats_s}  # same CNN
    rea = realism(real.images, synth.images, real_centers, synth_centers, seed=seed, **cnn)
    return GapResult(Path(dataset), Path(video), model_path, real.indices, real.images, synth.frames, synth.images,
                     cov, rea, embedding, behavior, est, validation, notes)
