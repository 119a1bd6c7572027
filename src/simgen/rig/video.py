"""Decode only the frames we need from a video (OpenCV)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from simgen.errors import SimgenError


@dataclass(frozen=True)
class VideoInfo:
    path: Path
    frames: int
    fps: float
    width: int
    height: int


def probe(path: Path) -> VideoInfo:
    import cv2  # lazily: heavy

    path = Path(path)
    if not path.is_file():
        raise SimgenError(f"video not found: {path}")
    cap = cv2.VideoCapture(str(path))
    try:
        ok, frame = cap.read() if cap.isOpened() else (False, None)
        if not ok or frame is None:
            raise SimgenError(f"cannot open video {path}: OpenCV could not decode a frame (is it a video file?)")
        n = int(cap.get(cv2.CAP_PROP_FRAME_COUNT))
        fps = float(cap.get(cv2.CAP_PROP_FPS)) or 30.0
        h, w = frame.shape[:2]
    finally:
        cap.release()
    if n < 1:
        raise SimgenError(f"cannot open video {path}: it reports no frames")
    return VideoInfo(path, n, fps, w, h)


def sample_indices(total: int, count: int, offset: float = 0.0) -> np.ndarray:
    """``count`` frame indices spread evenly over the whole video (``offset``: fraction
    of a step to shift them by, e.g. 0.5 for frames between the plate's samples)."""
    count = max(1, min(count, total))
    step = total / count
    return np.unique(np.clip(((np.arange(count) + 0.5 + offset) * step).astype(int), 0, total - 1))


def read_frames(info: VideoInfo, indices) -> tuple[np.ndarray, np.ndarray]:
    """(indices actually read, frames (N, H, W, 3) uint8 BGR). Seeks for sparse samples,
    reads through for dense ones; frames that fail to decode are skipped."""
    import cv2

    indices = np.asarray(sorted(set(int(i) for i in indices)))
    cap = cv2.VideoCapture(str(info.path))
    got, frames = [], []
    try:
        dense = len(indices) > 1 and np.median(np.diff(indices)) < 12  # seeking costs ~ a GOP
        pos = -1
        for i in indices:
            if dense and i > pos:
                while pos + 1 < i:
                    if not cap.grab():
                        break
                    pos += 1
            elif not dense or i <= pos:
                cap.set(cv2.CAP_PROP_POS_FRAMES, int(i))
            ok, frame = cap.read()
            pos = i
            if ok and frame is not None:
                got.append(i)
                frames.append(frame)
    finally:
        cap.release()
    if not frames:
        raise SimgenError(f"cannot read frames from {info.path}")
    return np.asarray(got), np.stack(frames)
