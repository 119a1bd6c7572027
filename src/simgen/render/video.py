"""Clip videos of ``frames_mode: sequence`` datasets: one mp4 per camera and clip (OpenCV).

``OUT/videos/<camera>/clip_<k:04d>.mp4`` holds the frames of clip k that lie in the
dataset's frame range, at the scene's ``sequence.fps``, codec ``mp4v``. A video is
written once every one of those frames is complete (its annotation exists, which the
renderer writes last), atomically (temporary file + rename), so shards that finish at
the same time may both write it; a video whose frame count no longer matches (the
range grew) is rewritten. The PNGs stay the dataset's images; the mp4 is lossy.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from simgen.dataset.writer import atomic_write, check_video_written
from simgen.errors import SimgenError

FOURCC = "mp4v"


def video_path(root: Path, camera: str, clip: int) -> Path:
    return Path(root) / "videos" / camera / f"clip_{clip:04d}.mp4"


def clip_frames(start: int, count: int, length: int) -> dict[int, list[int]]:
    """Clip index -> its frames within ``[start, start + count)``."""
    out: dict[int, list[int]] = {}
    for f in range(start, start + count):
        out.setdefault(f // length, []).append(f)
    return out


def frame_count(path: Path) -> int:
    """Frames in a written clip video, -1 when it does not open (then it is rewritten)."""
    from simgen.video import probe

    try:
        return probe(path).frames
    except SimgenError:
        return -1


def write_video(images: list[Path], out: Path, fps: float) -> Path:
    """Encode the PNGs ``images`` (all one size) as an mp4 at ``out``, atomically."""
    from simgen.video import opencv

    cv2 = opencv()  # FFmpeg quiet: the check below may open a broken file
    first = cv2.imread(str(images[0]), cv2.IMREAD_COLOR)
    if first is None:
        raise SimgenError(f"cannot read {images[0]}")
    h, w = first.shape[:2]
    # MPEG-4 part 2 wants even sizes: pad odd ones by one edge row/column
    W, H = w + (w % 2), h + (h % 2)
    with atomic_write(out, suffix=".mp4") as tmp:  # OpenCV picks the container by suffix
        writer = cv2.VideoWriter(str(tmp), cv2.VideoWriter_fourcc(*FOURCC), float(fps), (W, H))
        if not writer.isOpened():
            raise SimgenError(f"OpenCV cannot write {FOURCC} video {tmp}")
        try:
            for p in images:
                im = cv2.imread(str(p), cv2.IMREAD_COLOR)
                if im is None or im.shape[:2] != (h, w):
                    raise SimgenError(f"{p}: unreadable or not {w}x{h}")
                if (W, H) != (w, h):
                    im = np.pad(im, ((0, H - h), (0, W - w), (0, 0)), mode="edge")
                writer.write(im)
        finally:
            writer.release()
        check_video_written(tmp, len(images))
    return out


def write_clip_videos(layout, meta, length: int, fps: float) -> list[Path]:
    """Write the mp4 of every clip whose frames in the dataset's range are all complete
    and whose video is missing or stale; returns the videos written."""
    written = []
    for clip, frames in clip_frames(meta.start, meta.frames, length).items():
        if not all(layout.annotation(f).is_file() for f in frames):
            continue
        for cam in meta.cameras:
            out = video_path(layout.root, cam.name, clip)
            if out.is_file() and frame_count(out) == len(frames):
                continue
            written.append(write_video([layout.image(cam.name, f) for f in frames], out, fps))
    return written
