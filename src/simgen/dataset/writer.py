"""Writes a dataset directory so that concurrent shards never see a half-written frame.

Every file is written to a unique temporary name in its final folder and renamed
into place (atomic on POSIX file systems, NFS and Lustre included). The annotation
is written last: its presence marks the frame as done.

``atomic_write`` is simgen's one temporary-file-and-rename: every file that a rerun
or a later command reads back (frames, dataset.json, checkpoints, sweep tables, clip
videos, written configs; docs/errors-and-limits.md lists them) goes through it, and it
deletes its temporary file when the write fails (a full disk, an error, a
kill signal turned into an exception). ``remove_dead_temporaries`` deletes those left
by a process that was killed outright.
"""

from __future__ import annotations

import json
import os
import re
import time
import uuid
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path

import numpy as np

from simgen.dataset.annotation import FrameAnnotation
from simgen.dataset.layout import Layout
from simgen.dataset.meta import DatasetMeta
from simgen.errors import DatasetError

# Fields that must agree between a dataset.json on disk and a writer joining it.
_IDENTITY = ("scene_sha256", "seed", "keypoints", "format")


def _host_tag() -> str:
    import socket
    import zlib

    return f"{zlib.crc32(socket.gethostname().encode()) & 0xFFFF:04x}"


def tmp_path_for(path: Path, suffix: str = ".tmp") -> Path:
    """A unique temporary sibling of ``path`` (same folder, so rename is atomic):
    ``.NAME.PID.HOSTRAND.tmp`` (4 hex digits of the host, 4 random); ``suffix`` keeps the
    type for writers that need it (``.png``)."""
    return path.with_name(f".{path.name}.{os.getpid()}.{_host_tag()}{uuid.uuid4().hex[:4]}{suffix}")


_TMP_NAME = re.compile(r"^\.(?P<name>.+)\.(?P<pid>\d+)\.(?P<host>[0-9a-f]{4})[0-9a-f]{4}(\.[A-Za-z0-9]+)?$")
# A temporary file of another host's writer is removed only when it is this old: a writer
# holds one for seconds (a rename follows the write), never for an hour.
FOREIGN_TMP_AGE_S = 3600.0


@contextmanager
def atomic_write(path: Path | str, suffix: str = ".tmp", fsync: bool = True) -> Iterator[Path]:
    """Yield a temporary path to write ``path``'s content to; on success it is renamed onto
    ``path``, on any error (or exit signal) it is deleted and the error goes on."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = tmp_path_for(path, suffix)
    try:
        yield tmp
        if fsync and tmp.is_file():
            fd = os.open(tmp, os.O_RDONLY)
            try:
                os.fsync(fd)
            finally:
                os.close(fd)
        os.replace(tmp, path)
    except BaseException as exc:
        tmp.unlink(missing_ok=True)
        if isinstance(exc, OSError) and exc.filename is None:
            exc.filename = str(path)  # a write() error names no file; the message should
        raise


def final_path_of(path: Path) -> Path:
    """The final path a temporary sibling (``tmp_path_for``) stands for; ``path`` otherwise."""
    m = _TMP_NAME.match(path.name) if path.name.startswith(".") else None
    return path.with_name(m.group("name")) if m else path


# A writer that swallows its errors (Blender's image writer) and left a cut-off file blames
# the disk when less than this is free: after ENOSPC a disk has about nothing left, and a
# sibling worker's cleanup frees at most a few of its own frames.
LOW_SPACE_BYTES = 64 << 20
_PNG_END = b"IEND\xaeB`\x82"


def _mount_of(path: Path) -> Path:
    path = path.resolve()
    while not os.path.ismount(path) and path != path.parent:
        path = path.parent
    return path


def check_written(path: Path | str) -> None:
    """Raise if a writer that reports no errors left no whole file at ``path`` (empty, or a
    PNG without its end chunk). On a nearly full disk the error is ENOSPC (``disk full``)
    naming the final path, the free bytes and the file system; otherwise an I/O error."""
    path = Path(path)
    try:
        size = path.stat().st_size
        whole = size > 0
        if whole and path.suffix.lower() == ".png":
            with open(path, "rb") as fh:
                fh.seek(max(0, size - len(_PNG_END)))
                whole = fh.read() == _PNG_END
    except FileNotFoundError:
        size, whole = 0, False
    if not whole:
        write_failed(path, "the image written was " + ("empty" if size == 0 else f"cut off at {size:,} bytes"))


def write_failed(path: Path | str, what: str) -> None:
    """Raise for ``path``, which a library wrote without an error but not whole (``what``
    says how): ENOSPC (``disk full``) naming the final path, the free bytes and the file
    system when it is nearly full, else an I/O error."""
    import errno
    import shutil

    path = Path(path)
    shown = final_path_of(path)
    folder = path.parent if path.parent.is_dir() else shown.parent
    free = shutil.disk_usage(folder).free
    if free < LOW_SPACE_BYTES:
        raise OSError(errno.ENOSPC, f"No space left on device: {free:,} bytes free on the file system "
                      f"at {_mount_of(folder)}, {what}", str(shown))
    raise OSError(errno.EIO, f"{what} although {free:,} bytes are free", str(shown))


def check_video_written(path: Path | str, frames: int, what: str = "the video written") -> None:
    """Count the frames of a video OpenCV just wrote (its writer reports no error on a full
    disk: it leaves a short video, or one that does not open) and ``write_failed`` if they
    are not ``frames``."""
    from simgen.errors import SimgenError
    from simgen.video import probe

    try:
        n = probe(path).frames
    except SimgenError:
        n = -1
    if n != frames:
        write_failed(path, f"{what} has {n} of {frames} frames" if n >= 0 else f"{what} does not open")


def atomic_write_bytes(path: Path | str, data: bytes) -> None:
    with atomic_write(path, fsync=False) as tmp:
        with open(tmp, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())


def atomic_write_text(path: Path | str, text: str) -> None:
    atomic_write_bytes(path, text.encode())


def atomic_write_json(path: Path | str, obj: object, **dump_kwargs) -> None:
    atomic_write_text(path, json.dumps(obj, indent=1, **dump_kwargs) + "\n")


@contextmanager
def output_folder(path: Path | str) -> Iterator[Path]:
    """A command's new (or empty) output folder: if the block fails, what it wrote is removed
    again, so the next try is not refused for a folder that is not empty."""
    import shutil

    path = Path(path)
    existed = path.is_dir()
    path.mkdir(parents=True, exist_ok=True)
    try:
        yield path
    except BaseException:
        if existed:
            for p in path.iterdir():
                shutil.rmtree(p, ignore_errors=True) if p.is_dir() and not p.is_symlink() else p.unlink(True)
        else:
            shutil.rmtree(path, ignore_errors=True)
        raise


def pid_alive(pid: int) -> bool:
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _dead(p: Path, m: re.Match, now: float, host: str) -> bool:
    """A temporary file whose writer is gone: this host's and its pid is not running, or
    another host's (a shared file system) and older than ``FOREIGN_TMP_AGE_S``."""
    if m.group("host") == host:
        return not pid_alive(int(m.group("pid")))
    try:
        return now - p.stat().st_mtime >= FOREIGN_TMP_AGE_S
    except FileNotFoundError:
        return False


def remove_dead_temporaries(finals: Iterable[Path] | None = None, *, folders: Iterable[Path] = ()) -> list[Path]:
    """Delete temporary files whose writer is gone; returns them. ``finals``: only those of
    these final paths (a frame's files); ``folders``: every one in these folders."""
    removed: list[Path] = []
    by_folder: dict[Path, set[str] | None] = {Path(d): None for d in folders}
    for f in finals or ():
        names = by_folder.setdefault(Path(f).parent, set())
        if names is not None:
            names.add(Path(f).name)
    now, host = time.time(), _host_tag()
    for folder, names in by_folder.items():
        if not folder.is_dir():
            continue
        for p in folder.iterdir():
            m = _TMP_NAME.match(p.name) if p.name.startswith(".") else None
            if not m or (names is not None and m.group("name") not in names) or not _dead(p, m, now, host):
                continue
            p.unlink(missing_ok=True)
            removed.append(p)
    return removed


def dataset_folders(layout: Layout) -> list[Path]:
    """The folders of a dataset that hold per-frame files (and their temporaries)."""
    out = [layout.root, layout.annotations_dir]
    for kind in ("images", "masks", "depth"):
        top = layout.root / kind
        if top.is_dir():
            out += [d for d in top.iterdir() if d.is_dir()]
    return out


def frame_files(layout: Layout, cameras: Iterable[str], frame: int) -> list[Path]:
    """Every final path of one frame (images, masks, depth, annotation)."""
    out = [layout.annotation(frame)]
    for cam in cameras:
        out += list(layout.frame_files(cam, frame).values())
    return out


def _json_bytes(obj: object) -> bytes:
    return (json.dumps(obj, indent=1, sort_keys=False) + "\n").encode()


class DatasetWriter:
    """Opens (or joins) a dataset directory and writes frames into it."""

    def __init__(self, root: Path | str, meta: DatasetMeta):
        self.layout = Layout(Path(root))
        self.created = False  # True when this writer wrote dataset.json (a new dataset)
        self.meta = self._init_meta(meta)

    def _init_meta(self, meta: DatasetMeta) -> DatasetMeta:
        path = self.layout.meta
        path.parent.mkdir(parents=True, exist_ok=True)
        remove_dead_temporaries(folders=dataset_folders(self.layout))  # left by killed writers
        tmp = tmp_path_for(path)
        try:
            tmp.write_bytes(_json_bytes(meta.to_json()))
            os.link(tmp, path)  # create-if-absent, atomically: the first shard wins
            self.created = True
            return meta
        except FileExistsError:
            pass
        except OSError as exc:
            if exc.filename is None:
                exc.filename = str(path)  # a write() error names no file (a full disk)
            raise
        finally:
            tmp.unlink(missing_ok=True)
        existing = DatasetMeta.load(path)
        for name in _IDENTITY:
            if getattr(existing, name) != getattr(meta, name):
                raise DatasetError(
                    f"{self.layout.root} already holds a dataset whose {name} differs from "
                    "this run's; render into a new --out directory"
                )
        if [c for c in existing.cameras] != [c for c in meta.cameras]:
            raise DatasetError(f"{self.layout.root}: cameras differ from this run's; use a new --out")
        lo = min(existing.start, meta.start)
        hi = max(existing.start + existing.frames, meta.start + meta.frames)
        if (lo, hi - lo) != (existing.start, existing.frames):
            existing.start, existing.frames = lo, hi - lo
            atomic_write_bytes(path, _json_bytes(existing.to_json()))
        return existing

    # -- per-frame files -------------------------------------------------------------
    def image_target(self, camera: str, frame: int) -> tuple[Path, Path]:
        """(temporary, final) paths for an image a renderer writes itself, then ``commit``s."""
        final = self.layout.image(camera, frame)
        final.parent.mkdir(parents=True, exist_ok=True)
        return tmp_path_for(final, ".png"), final

    def mask_target(self, camera: str, frame: int) -> tuple[Path, Path]:
        final = self.layout.mask(camera, frame)
        final.parent.mkdir(parents=True, exist_ok=True)
        return tmp_path_for(final, ".png"), final

    @staticmethod
    def commit(tmp: Path, final: Path) -> None:
        os.replace(tmp, final)

    def write_image(self, camera: str, frame: int, rgb: np.ndarray) -> Path:
        return self._write_png(self.layout.image(camera, frame), rgb)

    def write_mask(self, camera: str, frame: int, mask: np.ndarray) -> Path:
        if mask.dtype != np.uint8 or mask.ndim != 2:
            raise ValueError("a mask is a 2-D uint8 array of ids")
        return self._write_png(self.layout.mask(camera, frame), mask)

    def write_depth(self, camera: str, frame: int, depth: np.ndarray) -> Path:
        import io

        buf = io.BytesIO()
        np.save(buf, depth.astype(np.float32))
        path = self.layout.depth(camera, frame)
        atomic_write_bytes(path, buf.getvalue())
        return path

    def write_annotation(self, ann: FrameAnnotation) -> Path:
        """Write last: this marks the frame complete."""
        path = self.layout.annotation(ann.frame)
        atomic_write_bytes(path, _json_bytes(ann.to_json()))
        return path

    @staticmethod
    def _write_png(path: Path, array: np.ndarray) -> Path:
        import io

        from PIL import Image

        buf = io.BytesIO()
        Image.fromarray(np.ascontiguousarray(array)).save(buf, format="PNG")
        atomic_write_bytes(path, buf.getvalue())
        return path
