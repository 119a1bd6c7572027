"""Frames of a real video (or an image folder), with their indices in the video."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from simgen.errors import SimgenError


@dataclass
class RealFrames:
    source: Path
    indices: np.ndarray  # (N,) frame numbers in the video (or file order in a folder)
    images: list[np.ndarray]  # RGB uint8
    count: int  # frames in the whole video
    names: list[str] | None = None  # file names when read from a folder

    @property
    def consecutive(self) -> bool:
        return len(self.indices) > 2 and bool(np.all(np.diff(self.indices) == 1))


def read_frames(source: Path | str, n: int) -> RealFrames:
    """``n`` frames spread evenly over a video file (or an image folder), at least one."""
    from simgen.style.data import IMAGE_SUFFIXES, even_indices

    source = Path(source)
    if source.is_dir():
        from PIL import Image

        files = sorted(p for p in source.iterdir() if p.suffix.lower() in IMAGE_SUFFIXES)
        if not files:
            raise SimgenError(f"{source}: no images in this folder")
        idx = even_indices(len(files), n)
        images = []
        for i in idx:
            try:
                with Image.open(files[i]) as im:
                    images.append(np.asarray(im.convert("RGB")))
            except (OSError, ValueError) as exc:
                raise SimgenError(f"{files[i]}: cannot read image ({exc})") from None
        return RealFrames(source, idx, images, len(files), [files[i].name for i in idx])
    if not source.is_file():
        raise SimgenError(f"{source}: no such video file or image folder")
    import cv2

    cap = cv2.VideoCapture(str(source))
    if not cap.isOpened():
        raise SimgenError(f"{source}: OpenCV cannot open this video")
    try:
        count = int(cap.get(cv2.CAP_PROP_FRAME_COUNT))
        if count <= 0:
            raise SimgenError(f"{source}: the video reports no frames")
        want = set(even_indices(count, n).tolist())
        idx, images = [], []
        for i in range(max(want) + 1):
            if not cap.grab():
                break
            if i in want:
                ok, bgr = cap.retrieve()
                if ok:
                    idx.append(i)
                    images.append(cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB))
    finally:
        cap.release()
    if not images:
        raise SimgenError(f"{source}: no frame could be decoded")
    return RealFrames(source, np.asarray(idx), images, count)
