"""Writes a dataset directory so that concurrent shards never see a half-written frame.

Every file is written to a unique temporary name in its final folder and renamed
into place (atomic on POSIX file systems, NFS and Lustre included). The annotation
is written last: its presence marks the frame as done.
"""

from __future__ import annotations

import json
import os
import uuid
from pathlib import Path

import numpy as np

from simgen.dataset.annotation import FrameAnnotation
from simgen.dataset.layout import Layout
from simgen.dataset.meta import DatasetMeta
from simgen.errors import DatasetError

# Fields that must agree between a dataset.json on disk and a writer joining it.
_IDENTITY = ("scene_sha256", "seed", "keypoints", "format")


def tmp_path_for(path: Path) -> Path:
    """A unique temporary sibling of ``path`` (same folder, so rename is atomic)."""
    return path.with_name(f".{path.name}.{os.getpid()}.{uuid.uuid4().hex[:8]}.tmp")


def atomic_write_bytes(path: Path, data: bytes) -> None:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = tmp_path_for(path)
    with open(tmp, "wb") as fh:
        fh.write(data)
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, path)


def _json_bytes(obj: object) -> bytes:
    return (json.dumps(obj, indent=1, sort_keys=False) + "\n").encode()


class DatasetWriter:
    """Opens (or joins) a dataset directory and writes frames into it."""

    def __init__(self, root: Path | str, meta: DatasetMeta):
        self.layout = Layout(Path(root))
        self.meta = self._init_meta(meta)

    def _init_meta(self, meta: DatasetMeta) -> DatasetMeta:
        path = self.layout.meta
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = tmp_path_for(path)
        tmp.write_bytes(_json_bytes(meta.to_json()))
        try:
            os.link(tmp, path)  # create-if-absent, atomically: the first shard wins
            return meta
        except FileExistsError:
            pass
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
        return tmp_path_for(final).with_suffix(".png"), final

    def mask_target(self, camera: str, frame: int) -> tuple[Path, Path]:
        final = self.layout.mask(camera, frame)
        final.parent.mkdir(parents=True, exist_ok=True)
        return tmp_path_for(final).with_suffix(".png"), final

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
