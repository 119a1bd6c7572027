"""Real video in one place: a video file or a folder of frames, read as RGB uint8 with frame indices.

A *source* is a video file (anything OpenCV decodes: ``VIDEO_SUFFIXES`` are the usual
ones and name the hint when a file does not open, but any file OpenCV opens is taken) or a folder of images (``IMAGE_SUFFIXES``) in
natural name order (``f2.png`` before ``f10.png``). A frame's index is its number in the
video, or its position in that order in a folder. Nothing else in simgen opens a video.

- ``probe``: frame count, fps and size. A folder has no frame rate: it is
  ``DEFAULT_FOLDER_FPS`` unless the caller passes one.
- ``even_indices``: the one sampling rule, ``n`` frames spread evenly, with an ``offset``
  that takes the frames between them (held-out frames).
- ``read_frames``: chosen frames. A video is read by seeking to each frame when they are
  far apart, and by decoding straight through when they are close (a seek decodes from
  the previous keyframe anyway). ``sample_frames`` = ``probe`` + ``even_indices`` +
  ``read_frames``.
- ``iter_frames``: every frame in order, streamed (``simgen pose predict``).

Unreadable frames, one policy everywhere: a frame that does not decode (a corrupt or
truncated image, a video frame OpenCV cannot decode or one past where the file really
ends) is skipped. A read logs one warning on the ``simgen`` logger naming how many frames
it skipped and the first few; the returned indices say which frames were read. Only when
none of the frames asked for could be read is it an error: one ``SimgenError`` line that
names the path.

Mixed sizes: every frame read from a folder must have the size of the folder's first
readable image. A frame of another size is an error naming that file and both sizes,
because a folder of frames stands for one camera's video; move the odd image out or
resize it. (Only the frames read are checked: a probe opens one image, not all.)
"""

from __future__ import annotations

import logging
import os
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from simgen.errors import SimgenError

IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".bmp", ".tif", ".tiff")
VIDEO_SUFFIXES = (".mp4", ".avi", ".mov", ".mkv", ".webm", ".m4v", ".mpg", ".mpeg")
DEFAULT_FOLDER_FPS = 30.0  # a folder of frames states no rate; 30 fps is the usual camera's
# Median gap (frames) between the frames asked for below which decoding straight through
# beats seeking: a seek cost as much as decoding 91 frames of the open-field video (640x480)
# and 47 of the home-cage one (1920x1080) on this machine; both ways give the same pixels.
DENSE_STEP = 48
NAMED = 5  # skipped frames named in the warning

# what PIL raises for a file that is no image or a truncated one
_IMAGE_ERRORS: tuple[type[BaseException], ...] = (OSError, ValueError, SyntaxError)


@dataclass(frozen=True)
class VideoInfo:
    path: Path
    frames: int  # frames in the whole video (images in the folder)
    fps: float
    width: int
    height: int
    files: tuple[Path, ...] = ()  # a folder's images in frame order; empty for a video file

    @property
    def is_folder(self) -> bool:
        return bool(self.files)


@dataclass
class RealFrames:
    """Frames read from a source: ``images[k]`` is frame ``indices[k]``."""

    info: VideoInfo
    indices: np.ndarray  # (N,) int frame numbers, ascending
    images: list[np.ndarray]  # RGB uint8 (H, W, 3) each, all of the source's size
    skipped: list[int]  # asked-for frames that could not be read

    @property
    def source(self) -> Path:
        return self.info.path

    @property
    def count(self) -> int:
        return self.info.frames

    @property
    def names(self) -> list[str] | None:
        """File names of a folder's frames (None for a video)."""
        return [self.info.files[int(i)].name for i in self.indices] if self.info.is_folder else None

    @property
    def consecutive(self) -> bool:
        return len(self.indices) > 2 and bool(np.all(np.diff(self.indices) == 1))

    def stack(self) -> np.ndarray:
        """The images as one (N, H, W, 3) array."""
        return np.stack(self.images)


def _natural_key(p: Path) -> list:
    return [(0, int(t), "") if t.isdigit() else (1, 0, t.lower()) for t in re.split(r"(\d+)", p.name) if t]


def frame_files(folder: Path | str) -> list[Path]:
    """A folder's images in frame order (natural name order)."""
    return sorted((p for p in Path(folder).iterdir() if p.is_file() and p.suffix.lower() in IMAGE_SUFFIXES),
                  key=_natural_key)


def _capture(path: Path):
    """(cv2, an opened VideoCapture of ``path``); one line if it does not open."""
    cv2 = _opencv()
    cap = cv2.VideoCapture(str(path))
    if not cap.isOpened():
        raise SimgenError(f"{path}: cannot open video")
    return cv2, cap


def _opencv():
    """OpenCV (imported lazily: heavy), with FFmpeg's own log lines off: a broken file would
    print them beside simgen's one line, and a read reports what failed once. Set
    ``OPENCV_FFMPEG_LOGLEVEL`` (e.g. 32) to see them. FFmpeg reads the level once, when
    OpenCV first uses it, so code that writes video imports cv2 through here too (``opencv``)."""
    os.environ.setdefault("OPENCV_FFMPEG_LOGLEVEL", "-8")  # AV_LOG_QUIET; read when FFmpeg is first used
    import cv2

    return cv2


opencv = _opencv  # for the writers of videos (render's clips, the DeepLabCut export, labeled videos)


def _why(exc: BaseException, path: Path | None = None) -> str:
    """The reason in a few words (without the path, which the warning names already)."""
    text = str(exc).replace(f"'{path}'", "").replace(str(path), "") if path is not None else str(exc)
    return " ".join(text.split())[:60] or type(exc).__name__


def probe(path: Path | str, fps: float | None = None) -> VideoInfo:
    """Frame count, fps and size of a video file or a folder of frames (``fps``: a folder's
    frame rate, default ``DEFAULT_FOLDER_FPS``; ignored for a video, which states its own)."""
    path = Path(path)
    if path.is_dir():
        return _probe_folder(path, fps or DEFAULT_FOLDER_FPS)
    if not path.is_file():
        raise SimgenError(f"{path}: no such video file or image folder")
    if path.suffix.lower() in IMAGE_SUFFIXES:
        raise SimgenError(f"{path}: one image, not a video; pass the folder of frames it is in")
    cv2 = _opencv()

    cap = cv2.VideoCapture(str(path))
    try:
        ok, frame = cap.read() if cap.isOpened() else (False, None)
        if not ok or frame is None:
            kind = "a damaged or unsupported video" if path.suffix.lower() in VIDEO_SUFFIXES else \
                f"not a video file ({', '.join(VIDEO_SUFFIXES)}) or an image folder"
            raise SimgenError(f"{path}: cannot open video: OpenCV could not decode a frame ({kind}?)")
        count = int(cap.get(cv2.CAP_PROP_FRAME_COUNT))
        rate = float(cap.get(cv2.CAP_PROP_FPS))
    finally:
        cap.release()
    if count < 1:
        raise SimgenError(f"{path}: cannot open video: it reports no frames")
    h, w = frame.shape[:2]
    return VideoInfo(path, count, rate if np.isfinite(rate) and rate > 0 else DEFAULT_FOLDER_FPS, w, h)


def _probe_folder(folder: Path, fps: float) -> VideoInfo:
    from PIL import Image

    files = frame_files(folder)
    if not files:
        raise SimgenError(f"{folder}: no images ({', '.join(IMAGE_SUFFIXES)}) in this folder")
    for f in files:
        try:
            with Image.open(f) as im:  # reads the header only
                w, h = im.size
            break
        except _IMAGE_ERRORS:
            continue
    else:
        raise SimgenError(f"{folder}: none of its {len(files)} images could be read")
    return VideoInfo(folder, len(files), float(fps), int(w), int(h), tuple(files))


def even_indices(count: int, n: int, offset: float = 0.0) -> np.ndarray:
    """``n`` indices spread evenly over ``range(count)`` (all of them when n >= count).

    Index k is ``floor((k + offset) * count / n)``: offset 0 starts at the first frame,
    offset 0.5 takes the frames halfway between those (held-out frames: with equal ``n``
    and ``n <= count / 2`` the two sets share no frame).
    """
    if count <= 0 or n <= 0:
        return np.zeros(0, int)
    if n >= count:
        return np.arange(count)
    return np.unique(np.floor((np.arange(n) + offset) * count / n).astype(int).clip(0, count - 1))


def _as_info(source: VideoInfo | Path | str) -> VideoInfo:
    return source if isinstance(source, VideoInfo) else probe(source)


def _warn_skipped(info: VideoInfo, bad: list[tuple[int, str]], asked: int) -> None:
    """One warning: how many, and by reason the first ``NAMED`` runs of neighbouring
    frames (a video cut off early is one run, not hundreds of names)."""
    if not bad:
        return
    runs: dict[str, list[list[int]]] = {}  # reason -> [first, last] runs
    for i, why in bad:
        r = runs.setdefault(why, [])
        if r and r[-1][1] == i - 1:
            r[-1][1] = i
        else:
            r.append([i, i])

    def name(i: int) -> str:
        return info.files[i].name if info.is_folder else str(i)

    parts = []
    for why, rs in list(runs.items())[:NAMED]:
        text = ", ".join(name(a) if a == b else f"{name(a)}..{name(b)}" for a, b in rs[:NAMED])
        many = len(rs) > 1 or rs[0][0] != rs[0][1]
        label = "" if info.is_folder else ("frames " if many else "frame ")
        parts.append(f"{label}{text}{', ...' if len(rs) > NAMED else ''} ({why})")
    logging.getLogger("simgen").warning(
        f"{info.path}: skipped {len(bad)} of {asked} frame(s) that could not be read: {'; '.join(parts)}"
        f"{'; ...' if len(runs) > NAMED else ''}")


def _read_image(info: VideoInfo, i: int) -> np.ndarray:
    """Frame ``i`` of a folder as RGB; raises a PIL/OS error when it does not decode, and a
    SimgenError when its size is not the folder's."""
    from PIL import Image

    path = info.files[i]
    with Image.open(path) as im:
        if im.size != (info.width, info.height):
            raise SimgenError(
                f"{path}: {im.size[0]}x{im.size[1]}, but the folder's frames are {info.width}x{info.height} "
                f"(its first image's size); a folder of frames is one camera's video: move this image out or "
                f"resize it")
        return np.asarray(im.convert("RGB"))


def read_frames(source: VideoInfo | Path | str, indices: Iterable[int]) -> RealFrames:
    """The frames at ``indices`` (duplicates dropped, in ascending order), RGB uint8;
    unreadable ones are skipped with one warning (see the module docstring)."""
    info = _as_info(source)
    idx = sorted({int(i) for i in indices})
    if idx and (idx[0] < 0 or idx[-1] >= info.frames):
        raise ValueError(f"frame indices must lie in [0, {info.frames}): got {idx[0]}..{idx[-1]}")
    got: list[int] = []
    images: list[np.ndarray] = []
    bad: list[tuple[int, str]] = []
    if info.is_folder:
        for i in idx:
            try:
                images.append(_read_image(info, i))
                got.append(i)
            except _IMAGE_ERRORS as exc:
                bad.append((i, _why(exc, info.files[i])))
    else:
        cv2, cap = _capture(info.path)
        try:
            dense = len(idx) > 1 and float(np.median(np.diff(idx))) < DENSE_STEP
            pos: int | None = -1  # the last frame decoded (the next grab gives pos + 1); None: unknown
            for i in idx:
                if not (dense and pos is not None and i > pos):
                    cap.set(cv2.CAP_PROP_POS_FRAMES, int(i))
                    pos = i - 1
                ok = True
                while ok and pos + 1 <= i:
                    ok = cap.grab()
                    pos += 1
                frame = cap.retrieve()[1] if ok else None
                if not ok:
                    pos = None  # the stream ended or broke here: seek for the next one
                if frame is None:
                    bad.append((i, "does not decode"))
                    continue
                got.append(i)
                images.append(cv2.cvtColor(frame, cv2.COLOR_BGR2RGB))
        finally:
            cap.release()
    _warn_skipped(info, bad, len(idx))
    if idx and not images:
        raise SimgenError(f"{info.path}: none of the {len(idx)} frame(s) asked for could be read")
    return RealFrames(info, np.asarray(got, dtype=int), images, [i for i, _ in bad])


def sample_frames(source: VideoInfo | Path | str, n: int, offset: float = 0.0) -> RealFrames:
    """``n`` frames spread evenly over the source (``even_indices``), at least one read."""
    if n < 1:
        raise SimgenError(f"asked for {n} frames of {getattr(source, 'path', source)}; ask for at least 1")
    info = _as_info(source)
    return read_frames(info, even_indices(info.frames, n, offset))


def iter_frames(source: VideoInfo | Path | str, limit: int | None = None) -> Iterator[tuple[int, np.ndarray]]:
    """(index, RGB uint8 image) for every frame in order (of the first ``limit`` when given).

    A video is decoded straight through; where a frame fails before the count the video
    reports, one seek past it is tried, and when that fails too the rest counts as
    unreadable. Skipped frames are warned about once, at the end.
    """
    info = _as_info(source)
    end = info.frames if limit is None else min(info.frames, max(0, int(limit)))
    bad: list[tuple[int, str]] = []
    read = 0
    if info.is_folder:
        for i in range(end):
            try:
                img = _read_image(info, i)
            except _IMAGE_ERRORS as exc:
                bad.append((i, _why(exc, info.files[i])))
                continue
            read += 1
            yield i, img
    else:
        cv2, cap = _capture(info.path)
        try:
            i = 0
            while i < end:
                ok, frame = cap.read()
                if not ok or frame is None:
                    cap.set(cv2.CAP_PROP_POS_FRAMES, i + 1)
                    ok, frame = cap.read()
                    if not ok or frame is None:
                        bad.extend((j, "the video ends before these") for j in range(i, end))
                        break
                    bad.append((i, "does not decode"))
                    i += 1
                read += 1
                yield i, cv2.cvtColor(frame, cv2.COLOR_BGR2RGB)
                i += 1
        finally:
            cap.release()
    _warn_skipped(info, bad, end)
    if end and not read:
        raise SimgenError(f"{info.path}: none of its {end} frame(s) could be read")
