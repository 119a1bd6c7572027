"""Adapting a trained model to a lab's own video without labels: ``simgen pose adapt``.

Self-training, as DeepLabCut 3's video adaptation and domain-adaptation work do it: the model
reads frames of the video; the frames it reads confidently become pseudo-labels, written as
a DeepLabCut project (``OUT/pseudo``); and the model is fine-tuned on them the way
``pose train --init`` fine-tunes on human labels, its own training data (the renders) still
in ``init_mix`` of the batches. No human label is used.

Which frames are kept (nothing here is fitted to labeled frames):
- a top-down model: the finding stage found as many animals as its training images held
  (``finder.max_animals``; a frame with a missed animal would teach the finding stage that it
  is background) and every keypoint of every animal reached ``pcutoff``;
- a one-animal model: every keypoint reached ``pcutoff``.
``pcutoff`` defaults to 0.4, the cutoff ``pose predict`` draws points with. The frames are
read with test-time flips where the model was trained for them (``--tta``, on by default).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import numpy as np

from simgen.errors import SimgenError

PSEUDO = "pseudo"  # OUT/pseudo: the pseudo-labeled DeepLabCut project


@dataclass
class AdaptResult:
    pseudo: Path  # the DeepLabCut project of the kept frames
    frames_read: int  # 0 when a stopped run's pseudo-labels were reused
    frames_kept: int
    animals: int  # animals per kept frame
    train: object  # train.TrainResult of the fine-tuning


def frame_indices(total: int, n: int, frame_range: tuple[int, int] | None) -> np.ndarray:
    """``n`` frame numbers spread evenly over ``frame_range`` [a, b) (default: all ``total``)."""
    from simgen.video import even_indices

    a, b = frame_range if frame_range is not None else (0, total)
    a, b = max(0, a), min(total, b)
    if b <= a:
        raise SimgenError(f"frame range {frame_range[0]}:{frame_range[1]} holds none of the source's {total} frames")
    return a + even_indices(b - a, min(n, b - a))


def pseudo_labels(model, images: list[np.ndarray], pcutoff: float, threshold: float | None, tta: bool,
                  ) -> tuple[list[int], np.ndarray, int]:
    """(indices of the kept images, poses (kept, A, K, 2), A animals per image) of ``images``."""
    if model.topdown:
        from simgen.pose.topdown import pose_animals

        most = model_finder_count(model)
        found = list(pose_animals(model, images, most, threshold, tta=tta))
        keep = [i for i, f in enumerate(found) if len(f) == most and float(f.conf.min()) >= pcutoff]
        xy = np.stack([found[i].xy for i in keep]) if keep else np.zeros((0, most, len(model.keypoints), 2))
        return keep, xy, most
    from simgen.pose.predict import predict_images

    xy, conf = predict_images(model, images, tta=tta)
    keep = [i for i in range(len(images)) if float(conf[i].min()) >= pcutoff]
    return keep, xy[keep][:, None], 1


def write_pseudo(model, images: list[np.ndarray], frames: list[int], xy: np.ndarray, out: Path) -> Path:
    """Poses ``xy`` (N, A, K, 2) of ``images`` (frame numbers ``frames``) as a DeepLabCut project."""
    from simgen.export.dlc import write_dlc
    from simgen.export.labels import AnimalsLabels, PoseLabels, VideoFrame

    sizes = np.array([(im.shape[1], im.shape[0]) for im in images])
    refs = [VideoFrame(images, i, f"frame{f}") for i, f in enumerate(frames)]
    n, a, k = xy.shape[:3]
    per_animal = [PoseLabels(images=refs, xyv=np.concatenate([xy[:, j], np.full((n, k, 1), 2.0)], axis=-1),
                             keypoints=list(model.keypoints), swap_pairs=[tuple(p) for p in model.swap_pairs],
                             sizes=sizes, frames=list(frames), source=str(out)) for j in range(a)]
    labels = AnimalsLabels([f"animal{j}" for j in range(a)], per_animal) if model.topdown else per_animal[0]
    return write_dlc(labels, out, task="simgen-adapt", scorer=PSEUDO, set_name=PSEUDO).parent


def adapt(model_path: Path, source: Path, out: Path, *, frames: int = 200, frame_range: tuple[int, int] | None = None,
          pcutoff: float = 0.4, threshold: float | None = None, tta: bool = True, steps: int | None = None,
          log: Callable[[str], None] = print, progress: bool = True) -> AdaptResult:
    """Pseudo-label ``frames`` frames of ``source`` (a video or a folder of frames) with the model
    at ``model_path`` and fine-tune it on them into ``out`` (its recorded config; ``steps``
    overrides the pose steps)."""
    from simgen.pose.model import load_model
    from simgen.pose.train import train
    from simgen.video import probe, read_frames

    if not 0 < pcutoff < 1:
        raise SimgenError(f"--pcutoff {pcutoff}: use a likelihood between 0 and 1")
    from simgen.pose.model import MODEL_FILE
    from simgen.pose.train import CHECKPOINT

    out = Path(out)
    if (out / MODEL_FILE).exists():
        raise SimgenError(f"{out}: already holds an adapted model; pick a new --out")
    model = load_model(model_path)
    pseudo = out / PSEUDO
    if pseudo.is_dir():  # a run stopped midway: its pseudo-labels are whole (renamed into place last)
        from simgen.export.labels import read_dlc

        n_read, n_kept = 0, len({str(i) for i in read_dlc(pseudo).images})
        animals = model_finder_count(model)
        log(f"reusing the {n_kept} pseudo-labeled frames in {pseudo} (a run stopped midway) and resuming")
    else:
        info = probe(source)
        read = read_frames(info, frame_indices(info.frames, frames, frame_range))
        log(f"reading {len(read.images)} frames of {source} with {model_path}{' and test-time flips' if tta else ''}")
        keep, xy, animals = pseudo_labels(model, read.images, pcutoff, threshold, tta)
        what = f"{animals} animals found, " if model.topdown else ""
        log(f"kept {len(keep)} of {len(read.images)} frames as pseudo-labels ({what}every keypoint's likelihood "
            f">= {pcutoff})")
        if not keep:
            raise SimgenError(f"no frame of {source} was read confidently enough to learn from (every keypoint >= "
                              f"{pcutoff}{', every animal found' if model.topdown else ''}); lower --pcutoff, or "
                              "label a few frames and fine-tune with `simgen pose train --init`")
        import shutil

        part = out / f"{PSEUDO}.part"  # written whole, then renamed: a killed run leaves no half project
        shutil.rmtree(part, ignore_errors=True)
        write_pseudo(model, [read.images[i] for i in keep], [int(read.indices[i]) for i in keep], xy, part)
        part.rename(pseudo)
        n_read, n_kept = len(read.images), len(keep)
        log(f"wrote pseudo-labels: {pseudo}")
    cfg = model.config
    if steps is not None:
        cfg = cfg.model_copy(update={"steps": int(steps)})
    res = train([str(pseudo)], out, cfg, init=Path(model_path), resume=(out / CHECKPOINT).exists(), log=log,
                progress=progress)
    return AdaptResult(pseudo, n_read, n_kept, animals, res)


def model_finder_count(model) -> int:
    """Animals per image a model's pseudo-labels hold: its finding stage's most, or 1."""
    if not model.topdown:
        return 1
    from simgen.pose.finder import model_finder

    return model_finder(model).max_animals
