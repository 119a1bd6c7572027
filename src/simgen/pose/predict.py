"""Running a trained model: on letterboxed batches, on images, and on a video.

``predict_video`` writes DeepLabCut-style output: a table with columns
(scorer, bodyparts, coords) where coords are x, y, likelihood, one row per frame,
saved as ``<video stem><scorer>.h5`` (key ``df_with_missing``) and ``.csv``.
Likelihood is the heatmap peak (sigmoid), in [0, 1].
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import torch

from simgen.dataset.writer import atomic_write
from simgen.errors import SimgenError
from simgen.pose.data import letterbox
from simgen.pose.heatmaps import decode
from simgen.pose.model import TrainedModel

SCORER = "simgenPose"


@torch.no_grad()
def predict_letterboxed(net, images: torch.Tensor, prior: dict | None = None) -> tuple[torch.Tensor, torch.Tensor]:
    """uint8 or float (B, 3, H, W) input-size images -> xy (B, K, 2) input pixels, confidence (B, K);
    ``prior``: read the keypoints with this body prior (pose/body_prior.py), else argmaxes."""
    if images.dtype == torch.uint8:
        images = images.float() / 255.0
    logits, offsets = net(images)
    if prior is not None:
        from simgen.pose.body_prior import decode_with_prior

        return decode_with_prior(torch.sigmoid(logits), offsets, net.stride, prior)
    return decode(torch.sigmoid(logits), offsets, net.stride)


def tta_flips(model: TrainedModel) -> list[tuple[bool, bool]]:
    """(horizontal, vertical) flips of the input that the model was trained to see: a
    horizontal flip if its augmentation flipped (left/right keypoints swap), a half turn
    (both flips) if it rotated by any angle, and so a vertical flip if both."""
    aug = model.config.augment
    mirror, turn = aug.enabled and aug.flip > 0, aug.enabled and aug.rotation_deg >= 180
    return [(False, False)] + [f for f, ok in (((True, False), mirror), ((False, True), mirror and turn),
                                               ((True, True), turn)) if ok]


def unflip(xy: np.ndarray, conf: np.ndarray, flip: tuple[bool, bool], size: tuple[int, int], perm: list[int],
           ) -> tuple[np.ndarray, np.ndarray]:
    """Keypoints (K, 2) predicted on a flip of an image of ``size`` (w, h) -> in the image:
    pixel ``i`` <-> ``w - 1 - i``; a mirror (one flip) swaps left and right by ``perm``."""
    (fx, fy), (w, h) = flip, size
    xy = np.array(xy, dtype=float)
    if fx:
        xy[:, 0] = w - 1 - xy[:, 0]
    if fy:
        xy[:, 1] = h - 1 - xy[:, 1]
    return (xy[perm], conf[perm]) if fx != fy else (xy, conf)


def predict_images(model: TrainedModel, images, batch_size: int = 16, tta: bool = False,
                   ) -> tuple[np.ndarray, np.ndarray]:
    """RGB uint8 (H, W, 3) arrays (any sizes) -> xy (N, K, 2) in their pixels, likelihood (N, K).

    ``tta``: test-time augmentation: each image is flipped (``tta_flips``) and letterboxed
    as usual, and the answers, mapped back, give the per-coordinate median and the mean
    likelihood."""
    from simgen.pose.data import swap_permutation

    net = model.net.eval()
    dev = next(net.parameters()).device
    flips = tta_flips(model) if tta else [(False, False)]
    perm = swap_permutation(model.keypoints, [tuple(p) for p in model.swap_pairs])
    xy_out, conf_out = [], []
    batch, boxes, sizes = [], [], []

    def flush() -> None:
        if not batch:
            return
        t = torch.from_numpy(np.stack(batch)).permute(0, 3, 1, 2).to(dev)
        xy, conf = predict_letterboxed(net, t, model.decode_prior)
        xy, conf = xy.cpu().numpy(), conf.cpu().numpy()
        if len(flips) == 1:  # plain prediction: one row per image, nothing to map back
            xy_out.extend(box.inverse(p) for box, p in zip(boxes, xy))
            conf_out.extend(conf)
        for i, size in enumerate(sizes if len(flips) > 1 else []):  # len(flips) rows per image
            got = [unflip(boxes[r].inverse(xy[r]), conf[r], f, size, perm)
                   for r, f in zip(range(i * len(flips), (i + 1) * len(flips)), flips)]
            xy_out.append(np.median([g[0] for g in got], axis=0))
            conf_out.append(np.mean([g[1] for g in got], axis=0))
        batch.clear()
        boxes.clear()
        sizes.clear()

    for img in images:
        img = np.asarray(img)
        for fx, fy in flips:
            lb, box = letterbox(np.ascontiguousarray(img[:: -1 if fy else 1, :: -1 if fx else 1]), model.input_size)
            batch.append(lb)
            boxes.append(box)
        sizes.append((img.shape[1], img.shape[0]))
        if len(batch) >= batch_size:
            flush()
    flush()
    k = len(model.keypoints)
    if not xy_out:
        return np.zeros((0, k, 2)), np.zeros((0, k))
    return np.stack(xy_out), np.stack(conf_out)


def dlc_table(xy: np.ndarray, conf: np.ndarray, keypoints: list[str], scorer: str = SCORER, index=None):
    """DeepLabCut's prediction table: MultiIndex columns (scorer, bodyparts, coords)."""
    import pandas as pd

    cols = pd.MultiIndex.from_product([[scorer], keypoints, ["x", "y", "likelihood"]],
                                      names=["scorer", "bodyparts", "coords"])
    data = np.concatenate([xy, conf[..., None]], axis=-1).reshape(len(xy), -1)
    return pd.DataFrame(data, columns=cols, index=index)


def predict_video(model: TrainedModel, video: Path, out_dir: Path | None = None, batch_size: int = 16,
                  labeled_video: bool = False, max_frames: int | None = None, pcutoff: float = 0.4,
                  tta: bool = False) -> dict[str, Path]:
    """Predict every frame of ``video`` (a video file or a folder of frames, read by
    ``simgen.video``: unreadable frames are skipped, rows keep the frame indices); returns
    the written files by kind (h5, csv, video). ``tta``: see ``predict_images``."""
    from simgen.video import iter_frames, probe

    video = Path(video)
    if model.topdown:
        raise SimgenError("a top-down model (several animals) finds the animals first: use "
                          "simgen.pose.predict_animals.predict_animals (what `simgen pose predict` runs for it)")
    info = probe(video)
    fps = info.fps
    frames_for_video: list[np.ndarray] = []
    indices: list[int] = []

    def frames():
        for i, f in iter_frames(info, max_frames):
            indices.append(i)
            if labeled_video:
                frames_for_video.append(f)
            yield f

    xy, conf = predict_images(model, frames(), batch_size, tta=tta)
    if len(xy) == 0:
        raise SimgenError(f"{video}: no frames could be read")
    out_dir = Path(out_dir) if out_dir is not None else video.parent
    out_dir.mkdir(parents=True, exist_ok=True)
    stem = f"{video.stem}{SCORER}"
    df = dlc_table(xy, conf, model.keypoints, index=indices)
    written = {"h5": out_dir / f"{stem}.h5", "csv": out_dir / f"{stem}.csv"}
    with atomic_write(written["h5"]) as tmp:
        df.to_hdf(tmp, key="df_with_missing", mode="w")
    with atomic_write(written["csv"]) as tmp:
        df.to_csv(tmp)
    if labeled_video:
        written["video"] = out_dir / f"{stem}_labeled.mp4"
        with atomic_write(written["video"], suffix=".mp4") as tmp:  # OpenCV picks the container by suffix
            _write_labeled_video(frames_for_video, xy, conf, tmp, fps, pcutoff)
            from simgen.dataset.writer import check_video_written

            check_video_written(tmp, len(frames_for_video), "the labeled video written")
    return written


def _write_labeled_video(frames, xy, conf, path: Path, fps: float, pcutoff: float) -> Path:
    from matplotlib import colormaps

    from simgen.video import opencv

    cv2 = opencv()  # FFmpeg quiet: the check after writing may open a broken file

    h, w = frames[0].shape[:2]
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"mp4v"), fps, (w, h))
    cmap = colormaps["jet"]
    k = xy.shape[1]
    colors = [tuple(int(255 * c) for c in cmap(i / max(1, k - 1))[:3][::-1]) for i in range(k)]
    for f, p, c in zip(frames, xy, conf):
        bgr = cv2.cvtColor(f, cv2.COLOR_RGB2BGR)
        for j in range(k):
            if c[j] >= pcutoff:
                cv2.circle(bgr, (int(round(p[j, 0])), int(round(p[j, 1]))), 4, colors[j], -1)
        writer.write(bgr)
    writer.release()
    return path
