"""Label-free adaptation to the lab's video: batch-norm statistics from real frames.

A model trained on renders (or on renders and a few real frames in mixed batches)
normalizes every layer with the mean and variance it saw in training, those of the
renders. ``adapt_bn`` re-estimates them on frames of the lab's own video ("AdaBN",
Li et al. 2016): no labels, no gradient, the weights stay; only the running
statistics of the batch-norm layers change, so the model normalizes real frames
as it normalized renders.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Iterable
from pathlib import Path

import numpy as np
import torch

from simgen.errors import SimgenError
from simgen.pose.data import letterbox
from simgen.pose.model import TrainedModel


def video_frames(video: Path, n: int) -> list[np.ndarray]:
    """``n`` RGB frames spread evenly over ``video`` (all of them if it has fewer)."""
    import cv2

    video = Path(video)
    if not video.is_file():
        raise SimgenError(f"{video}: no such video")
    cap = cv2.VideoCapture(str(video))
    if not cap.isOpened():
        raise SimgenError(f"{video}: OpenCV cannot open this video")
    try:
        total = int(cap.get(cv2.CAP_PROP_FRAME_COUNT) or 0)
        want = set(np.linspace(0, max(total - 1, 0), num=min(n, total), dtype=int).tolist()) if total > 0 else None
        frames, i = [], 0
        while want is None or i <= max(want):  # read through: seeking is unreliable in many codecs
            ok, frame = cap.read()
            if not ok:
                break
            if want is None or i in want:
                frames.append(cv2.cvtColor(frame, cv2.COLOR_BGR2RGB))
                if want is None and len(frames) >= n:
                    break
            i += 1
    finally:
        cap.release()
    if not frames:
        raise SimgenError(f"{video}: no frames could be read")
    return frames


@torch.no_grad()
def adapt_bn(model: TrainedModel, images: Iterable[np.ndarray], batch_size: int = 16,
             log: Callable[[str], None] = lambda s: None) -> TrainedModel:
    """A copy of ``model`` whose batch-norm running statistics are the average over
    ``images`` (RGB uint8, any size, letterboxed as prediction does) of the per-batch
    statistics; every weight is the model's. A batch of one image is refused by torch,
    so a last single image joins the batch before it."""
    if model.topdown:
        raise SimgenError("batch-norm adaptation works on whole-image models; this one is top-down")
    tm = copy.copy(model)
    tm.net = copy.deepcopy(model.net)
    bns = [m for m in tm.net.modules() if isinstance(m, torch.nn.modules.batchnorm._BatchNorm)]
    if not bns:
        raise SimgenError("this model has no batch-norm layers to adapt")
    boxed = [letterbox(np.asarray(img), tm.input_size)[0] for img in images]
    if len(boxed) < 2:
        raise SimgenError(f"batch-norm adaptation needs at least 2 frames (got {len(boxed)})")
    for bn in bns:
        bn.reset_running_stats()
        bn.momentum = None  # cumulative average over the batches
    dev = next(tm.net.parameters()).device
    tm.net.train()
    starts = list(range(0, len(boxed), batch_size))
    if len(boxed) - starts[-1] == 1:
        starts.pop()
    for j, s in enumerate(starts):
        stop = starts[j + 1] if j + 1 < len(starts) else len(boxed)
        x = torch.from_numpy(np.stack(boxed[s:stop])).permute(0, 3, 1, 2).to(dev).float() / 255.0
        tm.net(x)
    for bn in bns:
        bn.momentum = 0.1
    tm.net.eval()
    tm.config = {**tm.config, "adapted_bn": {"frames": len(boxed)}}
    log(f"re-estimated {len(bns)} batch-norm layers on {len(boxed)} frames")
    return tm
